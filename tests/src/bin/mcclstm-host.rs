//! Renders a synthetic stereo signal through the CLAP bundle and prints a JSON summary. Tests run
//! it as a child process, so a bundle that aborts (an allocation in `process()` under
//! `assert_process_allocs`) fails the test instead of killing the test runner.
//!
//! `mcclstm-host [--format clap|vst3] [--debug-bundle] [--rate HZ]
//! [--block N | --random-blocks MAX | --host-like N] [--seconds S | --wav FILE] [--realtime]
//! [--realtime-pace | --pace SPEED | --unpaced] [--non-finite] [--stream-minutes M]`
//!
//! The host hands blocks over at a fast bounce's pace ([`mcclstm_tests::BOUNCE_SPEED`] times real
//! time) unless told: `--realtime-pace` is a real-time host's callback (1x), `--pace SPEED` any
//! speed, `--unpaced` as fast as it can (far faster than any DAW's export).
//!
//! It loads the release bundle of the format ([`Format::bundle_path`], CLAP unless told), or with
//! `--debug-bundle` the debug bundle built with `assert_process_allocs`
//! ([`Format::debug_bundle_path`]). It renders S seconds of a test tune, or the file `--wav`
//! names (played at `--rate`, resampled when the file has another rate).
//!
//! `--instances N` runs N instances of the plugin in this one process, as a DAW with N tracks
//! does: each block, the host thread processes every instance in turn (each instance has its own
//! analysis thread), for `--seconds S` of the test tune at the chosen pace, and reports the CPU
//! and resident memory per instance, drops, chunks and `process()` waits over all of them.
//!
//! `--stream-minutes M` renders M minutes offline in 10-second pieces through one instance (so the
//! input never has to fit in memory) and reports resident memory after 5 minutes and at the end.

use std::f32::consts::TAU;
use std::path::PathBuf;

use anyhow::{Context, bail};
use mcclstm_tests::render::{AnyBundle, Format, read_track};
use mcclstm_tests::{Pacer, RenderOptions, Schedule, saved_history_field};

fn main() -> anyhow::Result<()> {
    let mut options = RenderOptions::default();
    let mut seconds = 6.0f64;
    let mut non_finite = false;
    let mut stream_minutes = None;
    let mut instances = None;
    let mut debug_bundle = false;
    let mut format = Format::Clap;
    let mut wav: Option<PathBuf> = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().with_context(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--rate" => options.sample_rate = value("--rate")?.parse()?,
            "--block" => options.schedule = Schedule::Fixed(value("--block")?.parse()?),
            "--random-blocks" => {
                options.schedule = Schedule::Random {
                    max: value("--random-blocks")?.parse()?,
                    seed: 7,
                }
            }
            "--host-like" => {
                options.schedule = Schedule::HostLike {
                    buffer: value("--host-like")?.parse()?,
                    seed: 7,
                }
            }
            "--debug-bundle" => debug_bundle = true,
            "--format" => format = Format::parse(&value("--format")?)?,
            "--wav" => wav = Some(value("--wav")?.into()),
            "--seconds" => seconds = value("--seconds")?.parse()?,
            "--realtime" => options.offline = false,
            "--realtime-pace" => options.pace = Some(1.0),
            "--pace" => options.pace = Some(value("--pace")?.parse()?),
            "--unpaced" => options.pace = None,
            "--non-finite" => non_finite = true,
            "--stream-minutes" => stream_minutes = Some(value("--stream-minutes")?.parse()?),
            "--instances" => instances = Some(value("--instances")?.parse()?),
            other => bail!("unknown argument `{other}`"),
        }
    }
    let bundle_path = if debug_bundle {
        format.debug_bundle_path()?
    } else {
        format.bundle_path()?
    };
    if let Some(minutes) = stream_minutes {
        let bundle = AnyBundle::load(format, &bundle_path)?;
        return stream(&bundle, &options, minutes);
    }
    if let Some(n) = instances {
        let bundle = AnyBundle::load(format, &bundle_path)?;
        return many(&bundle, &options, n, seconds);
    }
    let mut input = match &wav {
        Some(path) => read_track(path, options.sample_rate)?,
        None => {
            let left = tune(
                0,
                (seconds * options.sample_rate) as usize,
                options.sample_rate,
            );
            let right: Vec<f32> = left.iter().map(|s| s * 0.5).collect();
            vec![left, right]
        }
    };
    let n = input[0].len();
    if non_finite {
        for i in (0..n).step_by(1009) {
            input[0][i] = [f32::NAN, f32::INFINITY, f32::NEG_INFINITY][i % 3];
        }
    }

    let rss_before_kb = status_kb("VmRSS")?;
    let cpu_before = cpu_seconds()?;
    let analysis_cpu = AnalysisCpuWatch::start();
    let started = std::time::Instant::now();
    let bundle = AnyBundle::load(format, &bundle_path)?;
    let rendered = bundle.render(&input, &options)?;
    let wall_s = started.elapsed().as_secs_f64();
    let cpu_s = cpu_seconds()? - cpu_before;
    let analysis_cpu_s = analysis_cpu.stop();
    let bit_exact = rendered.output.iter().zip(&input).all(|(o, i)| {
        o.len() == i.len() && o.iter().zip(i).all(|(a, b)| a.to_bits() == b.to_bits())
    });
    let saved = saved_history_field(&rendered.state)?;
    let history = &saved.slots;
    let summary = serde_json::json!({
        "format": format!("{format:?}"),
        "bundle": bundle_path,
        "samples": n,
        "bit_exact": bit_exact,
        "chunks": history.iter().map(Vec::len).collect::<Vec<_>>(),
        "all_finite": history.iter().flatten().all(|e| e.probs.iter().all(|p| p.is_finite())),
        // The plugin's saved account: samples the analysis got, and samples the audio thread
        // dropped because the analysis was behind.
        "analysed_samples": saved.analysed_samples,
        "dropped_samples": saved.dropped_samples,
        // Where the history marks the drops: seconds missing before the first slot's chunks.
        "gap_seconds": history.first().map_or(0.0, |slot| {
            slot.iter().filter_map(|e| e.gap_before_s).sum::<f64>()
        }),
        "max_process_us": rendered.max_process_time.as_secs_f64() * 1e6,
        // Voluntary context switches inside process() calls: 0 when no call ever waited.
        "process_waits": rendered.waits,
        "process_page_faults": rendered.faults,
        "process_ns_per_frame": rendered.total_process_time.as_secs_f64() * 1e9 / n.max(1) as f64,
        // The whole process's CPU time over the render (audio thread, analysis thread, host),
        // and the audio thread's own share: what is left is the analysis (and the host's loop).
        "wall_s": wall_s,
        "cpu_s": cpu_s,
        "process_cpu_s": rendered.total_process_time.as_secs_f64(),
        // The plugin's analysis thread alone (the last reading, every 20 ms, before it ended).
        "analysis_cpu_s": analysis_cpu_s,
        "rss_kb_before_load": rss_before_kb,
        "peak_rss_kb": status_kb("VmHWM")?,
    });
    println!("{summary}");
    Ok(())
}

/// `n` samples of the test tune starting at sample `start` (so pieces join without a seam).
fn tune(start: usize, n: usize, rate: f64) -> Vec<f32> {
    (start..start + n)
        .map(|i| {
            let t = (i as f64 / rate) as f32;
            0.3 * (TAU * 220.0 * t).sin()
                + 0.2 * (TAU * 55.0 * t).sin() * (TAU * 2.0 * t).sin().max(0.0)
        })
        .collect()
}

/// Watches the CPU time of the plugin's analysis thread (named `mcclstm-analysis`, which Linux
/// shortens to 15 characters) while a render runs: the thread is gone once the plugin deactivates,
/// so the last reading is kept.
struct AnalysisCpuWatch {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    handle: std::thread::JoinHandle<f64>,
}

impl AnalysisCpuWatch {
    fn start() -> Self {
        use std::sync::atomic::{AtomicBool, Ordering};
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let handle = std::thread::spawn(move || {
            let mut last = 0.0f64;
            while !flag.load(Ordering::Acquire) {
                if let Some(seconds) = thread_cpu_seconds("mcclstm-analysi") {
                    last = last.max(seconds);
                }
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            last
        });
        Self { stop, handle }
    }

    fn stop(self) -> f64 {
        self.stop.store(true, std::sync::atomic::Ordering::Release);
        self.handle.join().unwrap_or(0.0)
    }
}

/// CPU seconds of this process's thread named `name`, if it runs: the scheduler's own count in
/// nanoseconds (`schedstat`'s first field), or, where the kernel has no schedstat, user + system
/// time in 10 ms ticks.
fn thread_cpu_seconds(name: &str) -> Option<f64> {
    for task in std::fs::read_dir("/proc/self/task").ok()?.flatten() {
        let comm = std::fs::read_to_string(task.path().join("comm")).ok()?;
        if comm.trim() != name {
            continue;
        }
        if let Some(ns) = std::fs::read_to_string(task.path().join("schedstat"))
            .ok()
            .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        {
            return Some(ns as f64 * 1e-9);
        }
        let stat = std::fs::read_to_string(task.path().join("stat")).ok()?;
        let rest = stat.rsplit_once(") ")?.1;
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let ticks: f64 =
            fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
        return Some(ticks / 100.0);
    }
    None
}

/// Resident set size of this process in kB (Linux).
fn rss_kb() -> anyhow::Result<u64> {
    status_kb("VmRSS")
}

/// A kB field of /proc/self/status (`VmRSS`, `VmHWM` = peak resident set).
fn status_kb(field: &str) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .with_context(|| format!("no {field} in /proc/self/status"))
}

/// User plus system CPU time of this process, all threads (Linux: /proc/self/stat fields 14 and
/// 15, in USER_HZ = 100 ticks per second, fixed by the kernel's ABI).
fn cpu_seconds() -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat")?;
    // Fields after the command name, which is in parentheses and may contain spaces.
    let rest = stat
        .rsplit_once(") ")
        .map(|(_, r)| r)
        .context("odd /proc/self/stat")?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| -> anyhow::Result<f64> {
        Ok(fields
            .get(i)
            .context("short /proc/self/stat")?
            .parse::<f64>()?)
    };
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
    Ok((ticks(11)? + ticks(12)?) / 100.0)
}

fn many(bundle: &AnyBundle, options: &RenderOptions, n: usize, seconds: f64) -> anyhow::Result<()> {
    let rate = options.sample_rate;
    let block = options.schedule.max();
    let rss_before = rss_kb()?;
    let started = std::time::Instant::now();
    let mut sessions = (0..n)
        .map(|_| bundle.start(None, options.offline, rate, block))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let start_s = started.elapsed().as_secs_f64();
    let rss_active = rss_kb()?;
    let total = (seconds * rate) as usize;
    let left = tune(0, total, rate);
    let right: Vec<f32> = left.iter().map(|s| s * 0.5).collect();
    let cpu_before = cpu_seconds()?;
    let clock = std::time::Instant::now();
    let pacer = Pacer::new(rate, options.pace);
    let (mut waits, mut bit_exact, mut max_process) = (0u64, true, std::time::Duration::ZERO);
    let mut faults = 0u64;
    let mut pos = 0;
    while pos < total {
        let end = (pos + block).min(total);
        // The host's clock: this block's turn comes at its time in the audio, over the pace.
        pacer.wait_for(pos);
        let piece = [left[pos..end].to_vec(), right[pos..end].to_vec()];
        for session in &mut sessions {
            let out = session.process(&piece, Schedule::Fixed(block), None)?;
            waits += out.waits;
            faults += out.faults;
            max_process = max_process.max(out.max_process_time);
            bit_exact &= out.output[0] == piece[0] && out.output[1] == piece[1];
        }
        pos = end;
    }
    let wall_s = clock.elapsed().as_secs_f64();
    let cpu_s = cpu_seconds()? - cpu_before;
    let rss_end = rss_kb()?;
    let (mut chunks, mut analysed, mut dropped) = (Vec::new(), 0u64, 0u64);
    for session in &mut sessions {
        session.deactivate()?;
        let saved = saved_history_field(&session.save_state()?)?;
        chunks.push(saved.slots.first().map_or(0, Vec::len));
        analysed += saved.analysed_samples;
        dropped += saved.dropped_samples;
    }
    let summary = serde_json::json!({
        "instances": n,
        "samples_each": total,
        "start_s": start_s,
        "wall_s": wall_s,
        // CPU of the whole process over the run (host thread, every instance's analysis thread),
        // as a share of one core, per instance.
        "cpu_share_per_instance": cpu_s / wall_s / n as f64,
        "rss_kb_before": rss_before,
        "rss_kb_per_instance": (rss_active.saturating_sub(rss_before)) as f64 / n as f64,
        "rss_kb_end": rss_end,
        "chunks": chunks,
        "analysed_samples": analysed,
        "dropped_samples": dropped,
        "process_waits": waits,
        "process_page_faults": faults,
        "max_process_us": max_process.as_secs_f64() * 1e6,
        "bit_exact": bit_exact,
    });
    println!("{summary}");
    Ok(())
}

fn stream(bundle: &AnyBundle, options: &RenderOptions, minutes: u64) -> anyhow::Result<()> {
    let mut session = bundle.start(None, true, options.sample_rate, options.schedule.max())?;
    let piece = (10.0 * options.sample_rate) as usize;
    let mut rss_after_5_min = 0;
    for k in 0..(minutes * 6) as usize {
        let left = tune(k * piece, piece, options.sample_rate);
        let right: Vec<f32> = left.iter().map(|s| s * 0.5).collect();
        session.process(&[left, right], options.schedule, options.pace)?;
        if k + 1 == 30 {
            rss_after_5_min = rss_kb()?;
        }
    }
    let rss_end = rss_kb()?;
    session.deactivate()?;
    let saved = saved_history_field(&session.save_state()?)?;
    let summary = serde_json::json!({
        "minutes": minutes,
        "chunks": saved.slots.iter().map(Vec::len).collect::<Vec<_>>(),
        "analysed_samples": saved.analysed_samples,
        "dropped_samples": saved.dropped_samples,
        "rss_kb_after_5_min": rss_after_5_min,
        "rss_kb_end": rss_end,
    });
    println!("{summary}");
    Ok(())
}
