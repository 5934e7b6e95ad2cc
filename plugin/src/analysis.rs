//! The analysis: host-rate mono samples in, published chunk results out.
//!
//! An [`Analyzer`] runs on the analysis thread in real-time mode ([`AnalysisThread`] drains the ring
//! into it) and inline in `process()` when the host renders offline, so an offline bounce gives the
//! same result as `mcclstm analyze`. Per model slot it runs the engine's resampler, frontend, chunk
//! assembler and streaming runner: the same code as the command line.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};
use mcclstm_engine::resample::StreamResampler;
use mcclstm_engine::runner::argmax;
use mcclstm_engine::{ChunkAssembler, MelFrontend, Model, StreamingRunner};

use nice_plug_egui::RepaintNotifier;

use crate::models;
use crate::params::McclstmParams;
use crate::published::{History, HistoryEntry, MAX_CLASSES, MAX_SLOTS, Published};

/// Most samples the analysis thread takes from the ring at once.
const READ_BLOCK: usize = 4096;

/// In the ring, a value with these bits is not a sample but the audio thread's mark of where a
/// reset happened (a transport jump, the host's `reset()`), so the analysis thread resets at
/// exactly that sample however it reads the ring in batches. A quiet NaN with a payload that
/// arithmetic on host samples does not make; the audio thread writes a host NaN that happens to
/// have these bits as the plain NaN, so a sample is never taken for the mark.
pub const RESET_MARK: u32 = 0x7FC0_4D43;
/// Samples the analysis thread waits for before it reads the ring (about 85 ms at 48 kHz).
const MIN_BATCH: usize = 4096;

/// Samples quieter than this (about -80 dBFS) count as silence.
pub const SILENCE_LEVEL: f32 = 1e-4;

/// Requests from the editor (or the plugin) to the analysis.
#[derive(Debug)]
pub enum Command {
    /// Load a model file into a slot; on failure the slot keeps its model and shows the error.
    LoadModel { slot: usize, path: String },
    /// Go back to the slot's embedded model.
    UseEmbedded { slot: usize },
}

/// One slot's pipeline from host samples to chunk results.
struct Slot {
    model: Model,
    resampler: StreamResampler,
    frontend: MelFrontend,
    assembler: ChunkAssembler,
    runner: StreamingRunner,
}

impl Slot {
    fn new(model: Model, host_rate: u32) -> Result<Self, String> {
        let fe = model.description().frontend.clone();
        Ok(Self {
            resampler: StreamResampler::new(host_rate, fe.sample_rate)
                .map_err(|e| e.to_string())?,
            frontend: MelFrontend::new(fe.clone()).map_err(|e| e.to_string())?,
            assembler: ChunkAssembler::for_config(&fe),
            runner: model.runner(),
            model,
        })
    }

    fn reset(&mut self) {
        self.resampler.reset();
        self.frontend.reset();
        self.assembler.reset();
        self.runner.reset();
    }

    /// Forgets the partial chunk after a gap in the input, keeping the LSTM's memory of the
    /// complete chunks before it.
    fn discard_partial_chunk(&mut self) {
        self.resampler.reset();
        self.frontend.reset();
        self.assembler.reset();
    }
}

/// Host samples in, published results out. See the module documentation.
pub struct Analyzer {
    host_rate: u32,
    slots: [Option<Slot>; MAX_SLOTS],
    published: Arc<Published>,
    history: Arc<Mutex<History>>,
    /// The silence threshold parameter (read atomically, any thread).
    params: Arc<McclstmParams>,
    /// Tells an open editor to repaint when a result changes.
    repaint: RepaintNotifier,
    /// Host samples since the input was last above [`SILENCE_LEVEL`].
    silent_run: u64,
    reset_seen: u64,
    dropped_seen: u64,
    /// This analysis's number, unique in the process: the history numbers segments per analysis.
    analysis_id: u64,
    /// Resets so far: the analysis's local segment, which the history maps to a saved segment.
    local_segment: u64,
    /// Sanitised copy of the current block (NaN and infinities replaced by zero).
    clean: Vec<f32>,
}

impl Analyzer {
    /// Builds the pipelines for the slots' models. Allocates; call off the audio thread.
    pub fn new(
        host_rate: u32,
        max_block: usize,
        models: [Option<Model>; MAX_SLOTS],
        published: Arc<Published>,
        params: Arc<McclstmParams>,
        repaint: RepaintNotifier,
    ) -> Self {
        // Segments are numbered by the history when the first chunk is written, after whatever
        // it holds then (activation at a new rate, a project loaded before or after activation).
        static ANALYSES: AtomicU64 = AtomicU64::new(1);
        let mut analyzer = Self {
            host_rate,
            slots: [None, None, None],
            reset_seen: published.reset_requests.load(Ordering::Acquire),
            dropped_seen: published.dropped.load(Ordering::Acquire),
            published,
            history: params.history.clone(),
            params,
            repaint,
            silent_run: 0,
            analysis_id: ANALYSES.fetch_add(1, Ordering::Relaxed),
            local_segment: 0,
            // The analysis thread hands over at most READ_BLOCK samples, the host at most max_block.
            clean: Vec::with_capacity(max_block.max(READ_BLOCK)),
        };
        for (slot, model) in models.into_iter().enumerate() {
            if let Some(model) = model {
                analyzer.install(slot, model, "embedded".to_string());
            }
        }
        analyzer
    }

    /// Puts a model into a slot (fresh state) and publishes its description.
    fn install(&mut self, slot: usize, model: Model, source: String) {
        let results = &self.published.slots[slot];
        match Slot::new(model, self.host_rate) {
            Ok(pipeline) => {
                let d = pipeline.model.description();
                if let Ok(mut info) = results.info.lock() {
                    info.task = d.task.clone();
                    info.labels = d.labels.iter().take(MAX_CLASSES).cloned().collect();
                    info.model = d.summary();
                    info.source = source;
                    info.error = None;
                }
                for p in &results.probs {
                    p.store(0.0, Ordering::Relaxed);
                }
                results.chunks_since_reset.store(0, Ordering::Relaxed);
                results.active.store(true, Ordering::Release);
                self.slots[slot] = Some(pipeline);
            }
            Err(e) => self.report_error(slot, e),
        }
    }

    fn report_error(&self, slot: usize, error: String) {
        if let Ok(mut info) = self.published.slots[slot].info.lock() {
            info.error = Some(error);
        }
    }

    /// Carries out an editor request. Model files are read here, never on the audio thread.
    pub fn handle(&mut self, command: Command) {
        match command {
            Command::LoadModel { slot, path } if slot < MAX_SLOTS => {
                match Model::from_file(std::path::Path::new(&path)) {
                    Ok(model) => self.install(slot, model, path),
                    Err(e) => self.report_error(slot, e.to_string()),
                }
            }
            Command::UseEmbedded { slot } if slot < MAX_SLOTS => match models::embedded(slot) {
                Some(Ok(model)) => self.install(slot, model, "embedded".to_string()),
                Some(Err(e)) => self.report_error(slot, e.to_string()),
                None => {
                    self.slots[slot] = None;
                    self.published.slots[slot]
                        .active
                        .store(false, Ordering::Release);
                }
            },
            Command::LoadModel { .. } | Command::UseEmbedded { .. } => {}
        }
    }

    /// Resets every slot's state and starts a new history segment.
    pub fn reset(&mut self) {
        for slot in self.slots.iter_mut().flatten() {
            slot.reset();
        }
        for results in &self.published.slots {
            results.chunks_since_reset.store(0, Ordering::Relaxed);
            results.progress.store(0.0, Ordering::Relaxed);
        }
        self.silent_run = 0;
        self.local_segment += 1;
    }

    /// Adds `analysed` samples, and the samples the audio thread dropped since the last call, to
    /// the saved account. Returns whether any were dropped.
    pub fn account(&mut self, analysed: u64) -> bool {
        let dropped = self.published.dropped.load(Ordering::Acquire);
        let newly_dropped = dropped.wrapping_sub(self.dropped_seen);
        self.dropped_seen = dropped;
        if (analysed > 0 || newly_dropped > 0)
            && let Ok(mut h) = self.history.lock()
        {
            h.analysed_samples += analysed;
            h.dropped_samples += newly_dropped;
        }
        newly_dropped > 0
    }

    /// Analyses a block of mono host-rate samples. A [`RESET_MARK`] in it resets the analysis at
    /// exactly that point (what came before it is analysed first); the mark is not a sample.
    pub fn push(&mut self, samples: &[f32]) {
        let mut rest = samples;
        while let Some(at) = rest.iter().position(|s| s.to_bits() == RESET_MARK) {
            self.push_samples(&rest[..at]);
            self.reset();
            rest = &rest[at + 1..];
        }
        self.push_samples(rest);
    }

    fn push_samples(&mut self, samples: &[f32]) {
        let requests = self.published.reset_requests.load(Ordering::Acquire);
        if requests != self.reset_seen {
            self.reset_seen = requests;
            self.reset();
        }
        if self.account(samples.len() as u64) {
            // Samples went missing between the last block and this one: the partial chunk would
            // straddle the gap, so it is discarded rather than corrupted.
            for slot in self.slots.iter_mut().flatten() {
                slot.discard_partial_chunk();
            }
        }
        if samples.is_empty() {
            return;
        }

        self.clean.clear();
        let mut invalid = 0u64;
        let mut loud = false;
        for &x in samples {
            let x = if x.is_finite() {
                x
            } else {
                invalid += 1;
                0.0
            };
            loud |= x.abs() >= SILENCE_LEVEL;
            self.clean.push(x);
        }
        if invalid > 0 {
            self.published.invalid.fetch_add(invalid, Ordering::Relaxed);
        }

        let threshold =
            (self.params.silence_seconds.value().max(0.0) * self.host_rate as f32) as u64;
        if loud {
            self.silent_run = 0;
            self.published.silence.store(false, Ordering::Relaxed);
        } else {
            let was = self.silent_run;
            self.silent_run += samples.len() as u64;
            if was <= threshold && self.silent_run > threshold {
                // A long silence ends the track: forget it and show "silence".
                self.reset();
                self.silent_run = threshold + 1;
                self.published.silence.store(true, Ordering::Relaxed);
            }
            if self.silent_run > threshold {
                return;
            }
        }

        for (index, slot) in self.slots.iter_mut().enumerate() {
            let Some(slot) = slot else { continue };
            let results = &self.published.slots[index];
            let history = &self.history;
            let (analysis, local) = (self.analysis_id, self.local_segment);
            let Slot {
                model,
                resampler,
                frontend,
                assembler,
                runner,
            } = slot;
            let description = model.description();
            let chunk_frames = assembler.chunk_frames();
            resampler.push(&self.clean, |resampled| {
                frontend.push(resampled, |frame| {
                    let Some(chunk) = assembler.push_frame(frame) else {
                        return;
                    };
                    let started = Instant::now();
                    match runner.step(chunk) {
                        Ok(out) => {
                            let elapsed = started.elapsed().as_secs_f32() * 1e3;
                            for (slot, &p) in results.probs.iter().zip(out.track) {
                                slot.store(p, Ordering::Relaxed);
                            }
                            results.step_ms.store(elapsed, Ordering::Relaxed);
                            results
                                .chunks_since_reset
                                .store(out.chunk_index + 1, Ordering::Relaxed);
                            results.sequence.fetch_add(1, Ordering::Release);
                            let fe = &description.frontend;
                            let end_s = ((out.chunk_index + 1) as f64
                                * chunk_frames as f64
                                * fe.hop as f64)
                                / f64::from(fe.sample_rate);
                            let top = argmax(out.track);
                            let entry = HistoryEntry {
                                task: description.task.clone(),
                                // Numbered by the history in `push_chunk`.
                                segment: 0,
                                chunk: out.chunk_index,
                                end_s,
                                probs: out.track.to_vec(),
                                top: description.labels[top].clone(),
                            };
                            if let Ok(mut h) = history.lock() {
                                h.push_chunk(index, analysis, local, entry);
                            }
                        }
                        Err(e) => {
                            if let Ok(mut info) = results.info.lock() {
                                info.error = Some(e.to_string());
                            }
                        }
                    }
                });
            });
            results.progress.store(
                assembler.filled() as f32 / chunk_frames as f32,
                Ordering::Relaxed,
            );
        }
        self.repaint.request_repaint();
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
                loop {
                    while let Ok(command) = commands.try_recv() {
                        analyzer.handle(command);
                    }
                    // The stop flag first: once it is seen, every sample the audio thread wrote
                    // before it stopped is visible in `slots()`, so draining misses none.
                    let stopping = stop_flag.load(Ordering::Acquire);
                    let available = consumer.slots().min(block.len());
                    // Reads of a few hundred samples cost more per sample (each push runs the
                    // resampler, frontend and publishing) than they gain in latency against a
                    // 3.7 s chunk: wait for a batch, unless the thread is draining to stop.
                    if available >= MIN_BATCH.min(block.len()) || (available > 0 && stopping) {
                        if let Ok(chunk) = consumer.read_chunk(available) {
                            let (a, b) = chunk.as_slices();
                            block[..a.len()].copy_from_slice(a);
                            block[a.len()..a.len() + b.len()].copy_from_slice(b);
                            chunk.commit_all();
                            analyzer.push(&block[..available]);
                        }
                        continue;
                    }
                    if stopping {
                        // The audio thread has stopped: count what it dropped after the last read.
                        analyzer.account(0);
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(20));
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
        self.stop.store(true, Ordering::Release);
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
    }
}

impl Drop for AnalysisThread {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
    }
}

/// The editor's side of the command channel.
pub type CommandSender = Sender<Command>;

#[cfg(test)]
mod tests {
    use super::*;

    fn analyzer(host_rate: u32) -> (Analyzer, Arc<Published>, Arc<McclstmParams>) {
        let published = Arc::new(Published::default());
        let params = Arc::new(McclstmParams::default());
        let models = std::array::from_fn(|slot| models::default_model(slot).map(|m| m.unwrap()));
        let analyzer = Analyzer::new(
            host_rate,
            512,
            models,
            published.clone(),
            params.clone(),
            RepaintNotifier::new(),
        );
        (analyzer, published, params)
    }

    fn tone(rate: u32, seconds: f32) -> Vec<f32> {
        (0..(rate as f32 * seconds) as usize)
            .map(|i| 0.3 * (i as f32 * 440.0 * std::f32::consts::TAU / rate as f32).sin())
            .collect()
    }

    fn push_in_blocks(analyzer: &mut Analyzer, samples: &[f32]) {
        for block in samples.chunks(512) {
            analyzer.push(block);
        }
    }

    #[test]
    fn a_refused_model_file_keeps_the_previous_model_and_shows_why() {
        let (mut analyzer, published, _) = analyzer(44_100);
        let dir = std::env::temp_dir().join(format!("mcclstm-plugin-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let bad = dir.join("broken.onnx");
        std::fs::write(&bad, b"not a model").unwrap();
        analyzer.handle(Command::LoadModel {
            slot: 0,
            path: bad.display().to_string(),
        });
        let info = published.slots[0].info.lock().unwrap().clone();
        assert!(info.error.unwrap().contains("not an ONNX model"));
        assert_eq!(info.source, "embedded");
        // The embedded model still analyses.
        push_in_blocks(&mut analyzer, &tone(44_100, 4.5));
        assert_eq!(published.slots[0].sequence.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn long_silence_shows_silence_and_resets_the_state() {
        let (mut analyzer, published, params) = analyzer(22_050);
        push_in_blocks(&mut analyzer, &tone(22_050, 4.0));
        assert_eq!(
            published.slots[1]
                .chunks_since_reset
                .load(Ordering::Relaxed),
            1
        );
        let threshold = params.silence_seconds.value();
        push_in_blocks(
            &mut analyzer,
            &vec![0.0; (22_050.0 * (threshold + 1.0)) as usize],
        );
        assert!(published.silence.load(Ordering::Relaxed));
        assert_eq!(
            published.slots[1]
                .chunks_since_reset
                .load(Ordering::Relaxed),
            0
        );
        // Music again: silence is over, analysis starts a new segment.
        push_in_blocks(&mut analyzer, &tone(22_050, 4.0));
        assert!(!published.silence.load(Ordering::Relaxed));
        let history = params.history.lock().unwrap();
        // Silence shorter than the threshold is still analysed (here it completes a second chunk
        // of the first segment); the chunk after the reset starts a new segment at index 0.
        let first = history.slots[1].front().unwrap();
        let last = history.slots[1].back().unwrap();
        assert!(last.segment > first.segment);
        assert_eq!(last.chunk, 0);
    }

    #[test]
    fn dropped_samples_discard_the_partial_chunk_and_are_saved() {
        let (mut analyzer, published, params) = analyzer(22_050);
        let music = tone(22_050, 6.0);
        // 3 s in, the audio thread drops samples: the 3 s collected so far must not be completed
        // by samples from after the gap.
        push_in_blocks(&mut analyzer, &music[..22_050 * 3]);
        published.dropped.fetch_add(1000, Ordering::AcqRel);
        push_in_blocks(&mut analyzer, &music[22_050 * 3..22_050 * 5]);
        assert_eq!(
            published.slots[0]
                .chunks_since_reset
                .load(Ordering::Relaxed),
            0
        );
        push_in_blocks(&mut analyzer, &tone(22_050, 2.0));
        assert_eq!(
            published.slots[0]
                .chunks_since_reset
                .load(Ordering::Relaxed),
            1
        );
        // Drops after the last block are counted when the thread stops.
        published.dropped.fetch_add(24, Ordering::AcqRel);
        analyzer.account(0);
        let history = params.history.lock().unwrap();
        assert_eq!(history.analysed_samples, 22_050 * 7);
        assert_eq!(history.dropped_samples, 1024);
    }

    #[test]
    fn a_reset_mark_resets_at_exactly_its_sample_within_a_batch() {
        // Two seconds of one tune, the mark, then another: read in batches of any size, the
        // chunks after the mark are exactly those of a fresh analysis of the second tune.
        let first = tone(22_050, 2.0);
        let second: Vec<f32> = tone(22_050, 8.0)
            .iter()
            .enumerate()
            .map(|(i, s)| s * (1.0 + 0.5 * (i as f32 / 5000.0).sin()))
            .collect();
        let (mut fresh, _, fresh_params) = analyzer(22_050);
        push_in_blocks(&mut fresh, &second);
        let expected = fresh_params.history.lock().unwrap().slots[0].clone();
        assert_eq!(expected.len(), 2);
        for batch in [4096, 1000, 333] {
            let mut ring = first.clone();
            ring.push(f32::from_bits(RESET_MARK));
            ring.extend_from_slice(&second);
            let (mut marked, _, params) = analyzer(22_050);
            for block in ring.chunks(batch) {
                marked.push(block);
            }
            let history = params.history.lock().unwrap();
            let after: Vec<_> = history.slots[0].iter().collect();
            assert_eq!(after.len(), 2, "batch {batch}");
            for (got, want) in after.iter().zip(&expected) {
                assert_eq!(got.probs, want.probs, "batch {batch}");
                assert_eq!(got.chunk, want.chunk, "batch {batch}");
            }
            // The mark is not a sample.
            assert_eq!(
                history.analysed_samples,
                (first.len() + second.len()) as u64
            );
        }
    }

    #[test]
    fn a_saved_state_from_before_the_account_still_loads() {
        let old = r#"{"slots":[[{"task":"genre","segment":0,"chunk":0,"end_s":3.7,"probs":[1.0],"top":"rock"}]]}"#;
        let history: History = serde_json::from_str(old).unwrap();
        assert_eq!(history.len(), 1);
        assert_eq!((history.analysed_samples, history.dropped_samples), (0, 0));
    }

    #[test]
    fn non_finite_samples_are_counted() {
        let (mut analyzer, published, _) = analyzer(48_000);
        let mut block = tone(48_000, 0.1);
        block[3] = f32::NAN;
        block[7] = f32::INFINITY;
        analyzer.push(&block);
        assert_eq!(published.invalid.load(Ordering::Relaxed), 2);
    }
}
