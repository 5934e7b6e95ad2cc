//! The analysis thread: drains the ring the audio thread fills and runs the [`Analyzer`] on it,
//! between the editor's commands. Started when the plugin activates in real-time mode and joined
//! when it deactivates. It never runs on the audio thread, so it may allocate, lock and sleep.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::Receiver;

use crate::analyzer::{Analyzer, Command};

/// Most samples the analysis thread takes from the ring at once.
const READ_BLOCK: usize = 4096;

/// Audio the analysis thread waits for before it reads the ring, in seconds at the host's rate.
/// While someone watches (an editor is open, or live estimates are forced on) about 85 ms, so
/// the progress and the live estimates move smoothly; otherwise half a second, since nothing
/// shows before a chunk of 3.7 s is complete: each read then runs the resampler, frontend and
/// publishing twice a second instead of twelve times (a read costs more than its samples: cold
/// caches, a publish). Both are far below the ring's 4 s.
const WATCHED_BATCH_S: f64 = 4096.0 / 48_000.0;
const UNWATCHED_BATCH_S: f64 = 0.5;

/// Shortest and longest sleep between looks at the ring. The thread sleeps until a batch should
/// be there; the longest sleep bounds how late an editor command is handled and how much of the
/// ring a host that suddenly runs faster than real time (Ardour's export after an idle spell)
/// fills before the thread looks: a look that finds less than a batch costs only the look.
/// [`AnalysisThread::join`] wakes it at once.
const MIN_SLEEP: Duration = Duration::from_millis(5);
const MAX_SLEEP: Duration = Duration::from_millis(100);

/// The pace assumed before the first sleep has measured one: a fast bounce's.
const UNKNOWN_PACE: f64 = 1000.0;

/// Samples the analysis thread waits for at `rate` Hz before it reads the ring.
fn batch_samples(rate: u32, watched: bool) -> usize {
    let seconds = if watched {
        WATCHED_BATCH_S
    } else {
        UNWATCHED_BATCH_S
    };
    ((f64::from(rate) * seconds).round() as usize).max(1)
}

/// How long to sleep while `available` samples wait in the ring at `rate` Hz: until `batch` are
/// due at `pace` times real time (the host's pace as last seen; at least 1).
fn sleep_for(available: usize, batch: usize, rate: u32, pace: f64) -> Duration {
    let missing = batch.saturating_sub(available);
    let per_second = f64::from(rate.max(1)) * pace.max(1.0);
    Duration::from_secs_f64(missing as f64 / per_second).clamp(MIN_SLEEP, MAX_SLEEP)
}

/// The host's pace, as the analysis thread sees it across its sleeps: samples that arrived during
/// a sleep against the sleep's length at the host's rate. A host bouncing faster than real time
/// (a VST3 host whose offline mode nice-plug reports as real time, Ardour's export) fills the
/// ring in bursts: the thread then sleeps that much less, so the ring does not overflow during
/// a sleep meant for real-time pace. Unknown at the start, so the first sleeps are the shortest;
/// a fast pace decays by half per look, so a live host is back at real-time sleeps within a few.
/// ([`UNKNOWN_PACE`] halves to 1 in ten looks of 5 ms.)
#[derive(Debug)]
struct Pace {
    pace: f64,
    asleep: Option<(Instant, usize)>,
}

impl Pace {
    fn new() -> Self {
        Self {
            pace: UNKNOWN_PACE,
            asleep: None,
        }
    }

    /// Before a sleep, with `available` samples in the ring.
    fn sleeping(&mut self, available: usize) {
        self.asleep = Some((Instant::now(), available));
    }

    /// After a sleep, with `available` samples in the ring now.
    fn woke(&mut self, available: usize, rate: u32) {
        if let Some((at, before)) = self.asleep.take() {
            let expected = at.elapsed().as_secs_f64() * f64::from(rate.max(1));
            let seen = available.saturating_sub(before) as f64 / expected.max(1.0);
            self.pace = seen.max(self.pace * 0.5).max(1.0);
        }
    }
}

/// The analysis thread: drains the ring, runs the [`Analyzer`], handles editor commands.
/// Started when the plugin activates and joined when it deactivates.
pub struct AnalysisThread {
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

impl AnalysisThread {
    pub fn spawn(
        mut analyzer: Analyzer,
        mut consumer: rtrb::Consumer<f32>,
        commands: Receiver<Command>,
    ) -> std::io::Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let stop_flag = stop.clone();
        let handle = std::thread::Builder::new()
            .name("mcclstm-analysis".to_string())
            .spawn(move || {
                let mut block = vec![0.0f32; READ_BLOCK];
                let mut pace = Pace::new();
                loop {
                    while let Ok(command) = commands.try_recv() {
                        analyzer.handle(command);
                    }
                    // The stop flag first: once it is seen, every sample the audio thread wrote
                    // before it stopped is visible in `slots()`, so draining misses none.
                    let stopping = stop_flag.load(Ordering::Acquire);
                    let in_ring = consumer.slots();
                    let rate = analyzer.host_rate();
                    pace.woke(in_ring, rate);
                    let batch = batch_samples(rate, analyzer.watched());
                    // Reads of a few hundred samples cost more per sample (each push runs the
                    // resampler, frontend and publishing) than they gain in latency against a
                    // 3.7 s chunk: wait for a batch, unless the thread is draining to stop.
                    // Then read what is there, a block at a time, before looking at commands
                    // again (a fast bounce keeps filling the ring behind it).
                    if in_ring > 0 && (in_ring >= batch || stopping) {
                        let mut left = in_ring;
                        while left > 0 {
                            let take = left.min(block.len());
                            let Ok(chunk) = consumer.read_chunk(take) else {
                                break;
                            };
                            let (a, b) = chunk.as_slices();
                            block[..a.len()].copy_from_slice(a);
                            block[a.len()..a.len() + b.len()].copy_from_slice(b);
                            chunk.commit_all();
                            analyzer.push(&block[..take]);
                            left -= take;
                        }
                        continue;
                    }
                    if stopping {
                        // The audio thread has stopped: count what it dropped after the last read.
                        analyzer.account(0);
                        break;
                    }
                    pace.sleeping(in_ring);
                    std::thread::park_timeout(sleep_for(in_ring, batch, rate, pace.pace));
                }
            })?;
        Ok(Self {
            stop,
            handle: Some(handle),
        })
    }

    /// Analyses `samples` (mono, at the host rate) instead of the host's input, `speed` times
    /// faster than real time, then keeps handling commands until stopped. For the standalone demo
    /// and the editor screenshot, where the host feeds only silence.
    pub fn spawn_demo(
        mut analyzer: Analyzer,
        samples: Vec<f32>,
        host_rate: u32,
        speed: f32,
        commands: Receiver<Command>,
    ) -> std::io::Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let stop_flag = stop.clone();
        let handle = std::thread::Builder::new()
            .name("mcclstm-demo".to_string())
            .spawn(move || {
                let block = (host_rate as usize / 100).max(1);
                let pause =
                    Duration::from_secs_f32(block as f32 / host_rate as f32 / speed.max(0.1));
                let mut blocks = samples.chunks(block);
                while !stop_flag.load(Ordering::Acquire) {
                    while let Ok(command) = commands.try_recv() {
                        analyzer.handle(command);
                    }
                    if let Some(b) = blocks.next() {
                        analyzer.push(b);
                    }
                    std::thread::sleep(pause);
                }
            })?;
        Ok(Self {
            stop,
            handle: Some(handle),
        })
    }

    /// Stops the thread after it has analysed what is in the ring, and waits for it.
    pub fn join(mut self) {
        self.stop_and_join();
    }

    fn stop_and_join(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(handle) = self.handle.take() {
            // Out of its sleep now rather than at its next look at the ring.
            handle.thread().unpark();
            let _ = handle.join();
        }
    }
}

impl Drop for AnalysisThread {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use nice_plug_egui::RepaintNotifier;

    use super::*;
    use crate::models;
    use crate::params::McclstmParams;
    use crate::published::Published;

    #[test]
    fn the_thread_sleeps_until_a_batch_is_due_within_bounds() {
        let batch = batch_samples(48_000, true);
        assert_eq!(batch, 4096);
        // 4096 samples at 48 kHz: 85.3 ms.
        let empty = sleep_for(0, batch, 48_000, 1.0);
        assert!(
            (empty.as_secs_f64() - 4096.0 / 48_000.0).abs() < 1e-6,
            "{empty:?}"
        );
        // Half a batch there: half the wait.
        let half = sleep_for(2048, batch, 48_000, 1.0);
        assert!(
            (half.as_secs_f64() - 2048.0 / 48_000.0).abs() < 1e-6,
            "{half:?}"
        );
        // Nearly a batch: the shortest sleep, not a spin.
        assert_eq!(sleep_for(4095, batch, 48_000, 1.0), MIN_SLEEP);
        assert_eq!(sleep_for(usize::MAX, batch, 48_000, 1.0), MIN_SLEEP);
        // A rate of 0 cannot divide by zero: the longest sleep.
        assert_eq!(sleep_for(0, batch, 0, 1.0), MAX_SLEEP);
        // A host at 4x real time: a quarter of the wait; at an unknown pace, the shortest.
        let fast = sleep_for(0, batch, 48_000, 4.0);
        assert!(
            (fast.as_secs_f64() - 1024.0 / 48_000.0).abs() < 1e-6,
            "{fast:?}"
        );
        assert_eq!(sleep_for(0, batch, 48_000, f64::INFINITY), MIN_SLEEP);
        // Slower than real time never sleeps longer than real time's wait.
        assert_eq!(sleep_for(0, batch, 48_000, 0.1), empty);
        // Watched, the batch is the same time at every rate, and no rate makes it empty.
        assert_eq!(batch_samples(96_000, true), 8192);
        assert_eq!(batch_samples(1, true), 1);

        // Unwatched: half a second of audio at any rate, looked for at least every 100 ms.
        for rate in [8_000, 44_100, 48_000, 192_000] {
            let batch = batch_samples(rate, false);
            assert_eq!(batch, rate as usize / 2, "{rate} Hz");
            assert_eq!(sleep_for(0, batch, rate, 1.0), MAX_SLEEP, "{rate} Hz");
            let nearly = batch - rate as usize / 20;
            let wait = sleep_for(nearly, batch, rate, 1.0);
            assert!(
                (wait.as_secs_f64() - 0.05).abs() < 1e-6,
                "{rate} Hz: {wait:?}"
            );
        }
    }

    #[test]
    fn the_pace_follows_a_fast_host_at_once_and_a_real_time_one_within_a_few_looks() {
        let mut pace = Pace::new();
        assert_eq!(
            sleep_for(0, batch_samples(48_000, true), 48_000, pace.pace),
            MIN_SLEEP,
            "unknown: the shortest"
        );
        // Nothing arrived over a sleep: the unknown pace halves, still far above real time.
        pace.sleeping(0);
        pace.woke(0, 48_000);
        assert_eq!(pace.pace, UNKNOWN_PACE / 2.0);
        // A burst: 48,000 samples during a sleep of a few ms is hundreds of times real time.
        let mut pace = Pace {
            pace: 1.0,
            asleep: None,
        };
        pace.sleeping(0);
        std::thread::sleep(Duration::from_millis(5));
        pace.woke(48_000, 48_000);
        assert!(pace.pace > 20.0, "{pace:?}");
        // Then real time (nothing beyond what the clock brings): back to 1 within a few looks.
        for _ in 0..12 {
            pace.sleeping(0);
            pace.woke(0, 48_000);
        }
        assert_eq!(pace.pace, 1.0, "{pace:?}");
    }

    /// At real-time pace (a host's 512-sample blocks at 48 kHz, paced by the clock), the editor's
    /// first result comes within one window of audio plus 0.5 s, and then at least twice in every
    /// second.
    #[test]
    fn at_real_time_pace_the_editor_updates_at_least_twice_a_second() {
        let rate = 48_000u32;
        let published = Arc::new(Published::default());
        let params = Arc::new(McclstmParams::default());
        let slots = std::array::from_fn(|slot| models::default_model(slot).map(|m| m.unwrap()));
        let analyzer = Analyzer::new(
            rate,
            slots,
            published.clone(),
            params,
            RepaintNotifier::new(),
        );
        // An editor is open: live estimates are made.
        published
            .editor_open
            .store(true, std::sync::atomic::Ordering::Release);
        let (mut producer, consumer) = rtrb::RingBuffer::new(rate as usize * 2);
        let (_tx, rx) = crossbeam_channel::unbounded();
        let thread = AnalysisThread::spawn(analyzer, consumer, rx).unwrap();

        let seconds = 7.0;
        let block = 512usize;
        let total = (rate as f64 * seconds) as usize;
        let start = Instant::now();
        let feeder = std::thread::spawn(move || {
            let mut written = 0usize;
            while written < total {
                let t0 = written as f64 / f64::from(rate);
                // The host's clock: wait until this block's time has come.
                let due = Duration::from_secs_f64(t0);
                if let Some(wait) = due.checked_sub(start.elapsed()) {
                    std::thread::sleep(wait);
                }
                for i in 0..block {
                    let t = (written + i) as f32 / rate as f32;
                    let x = 0.3 * (std::f32::consts::TAU * 220.0 * t).sin()
                        + 0.2 * (std::f32::consts::TAU * 55.0 * t).sin();
                    let _ = producer.push(x);
                }
                written += block;
            }
        });
        // Watch the published updates as an editor repainting every 5 ms would.
        let mut seen = Vec::new();
        let mut last = 0;
        while start.elapsed() < Duration::from_secs_f64(seconds + 0.3) {
            let updates = published.snapshot().slots[0].updates;
            if updates != last {
                last = updates;
                seen.push(start.elapsed().as_secs_f64());
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        feeder.join().unwrap();
        thread.join();

        // One window (a chunk) of the paper preset: 3.762 s.
        let fe = mcclstm_engine::Preset::Paper.config();
        let window_s =
            ((fe.chunk_frames - 1) * fe.hop + fe.n_fft) as f64 / f64::from(fe.sample_rate);
        let first = *seen.first().expect("no result at all");
        assert!(first <= window_s + 0.5, "first result after {first:.3} s");
        // Every full second after the first result brings at least two updates.
        let mut from = first;
        while from + 1.0 <= seconds {
            let n = seen
                .iter()
                .filter(|&&t| t > from && t <= from + 1.0)
                .count();
            assert!(
                n >= 2,
                "{n} update(s) in ({from:.2}, {:.2}] s: {seen:?}",
                from + 1.0
            );
            from += 0.25;
        }
    }
}
