//! The Rust side of `cargo xtask bench`: times our frontend, our model step (the fast runner, as
//! the plugin runs it, and tract, its reference and fallback), ONNX Runtime on the same step, and
//! model loading, on inputs it writes to WORKDIR for
//! the Python peers (`scripts/bench_peers.py`) to time on exactly the same data. Prints and writes
//! `WORKDIR/rust.json`.
//!
//! `mcclstm-bench WORKDIR --genre genre.onnx --mood mood.onnx [--runs-frontend 30]
//! [--runs-chunk 300]` (ONNX Runtime from `ORT_DYLIB_PATH`, as everywhere in the trainer)

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use mcclstm_engine::{MelFrontend, Model, Preset, RunnerChoice};
use mcclstm_onnx::parity::random_chunks;
use mcclstm_onnx::reference::OrtModel;
use ndarray::{ArrayD, IxDyn};
use serde_json::json;

/// The allocator of the `mcclstm` binary, whose loads and steps these are: a model load allocates
/// and frees buffers of megabytes, and with the system allocator every one comes from fresh pages.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The clip of the engine's criterion bench and of `scripts/bench_librosa.py`: a sine plus LCG
/// noise, the same on every machine.
fn clip(rate: u32, seconds: f64) -> Vec<f32> {
    let n = (f64::from(rate) * seconds) as usize;
    let mut state: u32 = 1;
    (0..n)
        .map(|i| {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let noise = (state >> 8) as f32 / (1u32 << 24) as f32 - 0.5;
            0.3 * (i as f32 * 0.0627).sin() + 0.05 * noise
        })
        .collect()
}

/// Median, min and max of `runs` timings of `f`, in milliseconds, after one warm-up call.
fn time_ms(
    runs: usize,
    mut f: impl FnMut() -> anyhow::Result<()>,
) -> anyhow::Result<serde_json::Value> {
    f()?;
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        f()?;
        times.push(started.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    Ok(json!({
        "median_ms": times[times.len() / 2],
        "min_ms": times[0],
        "max_ms": times[times.len() - 1],
        "runs": runs,
    }))
}

/// The core's peak rate of single-precision multiply-adds, in GFLOP/s: twelve independent
/// chains of vector FMAs (more than the FMA units' latency times their number, so none waits),
/// with AVX-512 where the CPU has it, else AVX2. The fast runner's convolutions are matrix
/// products, so this bounds how fast a step can be; `None` off x86-64 or without FMA.
fn fma_peak_gflops() -> Option<f64> {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::*;
        const CHAINS: usize = 12;
        const ROUNDS: usize = 50_000_000;
        #[target_feature(enable = "avx512f,fma")]
        fn avx512() -> f32 {
            let mut acc = [_mm512_set1_ps(0.5); CHAINS];
            let (w, c) = (_mm512_set1_ps(0.999_9), _mm512_set1_ps(1e-6));
            for _ in 0..ROUNDS {
                for a in acc.iter_mut() {
                    *a = _mm512_fmadd_ps(*a, w, c);
                }
            }
            acc.iter().map(|&a| _mm512_reduce_add_ps(a)).sum()
        }
        #[target_feature(enable = "avx2,fma")]
        fn avx2() -> f32 {
            let mut acc = [_mm256_set1_ps(0.5); CHAINS];
            let (w, c) = (_mm256_set1_ps(0.999_9), _mm256_set1_ps(1e-6));
            for _ in 0..ROUNDS {
                for a in acc.iter_mut() {
                    *a = _mm256_fmadd_ps(*a, w, c);
                }
            }
            let mut lanes = [0f32; 8];
            acc.iter()
                .map(|&a| {
                    // SAFETY: `lanes` holds the 8 floats the store writes.
                    unsafe { _mm256_storeu_ps(lanes.as_mut_ptr(), a) };
                    lanes.iter().sum::<f32>()
                })
                .sum()
        }
        let fma = std::is_x86_feature_detected!("fma");
        let (width, run): (usize, fn() -> f32) = if fma && std::is_x86_feature_detected!("avx512f")
        {
            // SAFETY: the CPU has AVX-512F and FMA (checked above).
            (16, || unsafe { avx512() })
        } else if fma && std::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2 and FMA (checked above).
            (8, || unsafe { avx2() })
        } else {
            return None;
        };
        let started = Instant::now();
        let sum = std::hint::black_box(run());
        let seconds = started.elapsed().as_secs_f64();
        sum.is_finite()
            .then(|| (2 * width * CHAINS * ROUNDS) as f64 / seconds / 1e9)
    }
    #[cfg(not(target_arch = "x86_64"))]
    None
}

fn write_npy(path: &Path, shape: &[usize], data: &[f32]) -> anyhow::Result<()> {
    let array = ArrayD::from_shape_vec(IxDyn(shape), data.to_vec())?;
    ndarray_npy::write_npy(path, &array).with_context(|| format!("cannot write {}", path.display()))
}

fn max_abs_diff(a: &[f32], b: &[f32]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| f64::from((x - y).abs()))
        .fold(0.0, f64::max)
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let mut work = None;
    let mut genre = None;
    let mut mood = None;
    let mut runs_frontend = 30usize;
    let mut runs_chunk = 300usize;
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().with_context(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--genre" => genre = Some(PathBuf::from(value("--genre")?)),
            "--mood" => mood = Some(PathBuf::from(value("--mood")?)),
            "--runs-frontend" => runs_frontend = value("--runs-frontend")?.parse()?,
            "--runs-chunk" => runs_chunk = value("--runs-chunk")?.parse()?,
            other if !other.starts_with('-') && work.is_none() => work = Some(PathBuf::from(other)),
            other => bail!("unknown argument `{other}`"),
        }
    }
    let work = work.context("usage: mcclstm-bench WORKDIR --genre M --mood M")?;
    let genre = genre.context("--genre is required")?;
    let mood = mood.context("--mood is required")?;
    std::fs::create_dir_all(&work)?;

    // 1. The frontend on a 30 s clip.
    let config = Preset::Paper.config();
    let samples = clip(config.sample_rate, 30.0);
    let mut frontend = MelFrontend::from_preset(Preset::Paper);
    let frames = frontend.process_signal(&samples);
    write_npy(&work.join("clip30.npy"), &[samples.len()], &samples)?;
    write_npy(
        &work.join("frames_ours.npy"),
        &[frames.len(), frames.n_mels],
        &frames.data,
    )?;
    let frontend_times = time_ms(runs_frontend, || {
        std::hint::black_box(frontend.process_signal(&samples));
        Ok(())
    })?;

    // 2. One chunk of the genre model: our fast runner, tract and ONNX Runtime (Rust), same input.
    let bytes = std::fs::read(&genre).with_context(|| format!("{}", genre.display()))?;
    let model = Model::from_bytes(&bytes).with_context(|| format!("{}", genre.display()))?;
    let tract_model = Model::from_bytes_with(&bytes, RunnerChoice::Tract)?;
    let chunk = random_chunks(1, 40 * 80, 5).remove(0);
    let mut runner = model.runner();
    let probs_ours = runner.step(&chunk)?.chunk.to_vec();
    let (h1, c1) = {
        let (h, c) = runner.state();
        (h.to_vec(), c.to_vec())
    };
    let h = h1.len();
    let zeros = vec![0.0f32; h];
    write_npy(&work.join("chunk_mel.npy"), &[1, 1, 40, 80], &chunk)?;
    write_npy(&work.join("h0.npy"), &[1, 1, h], &zeros)?;
    write_npy(&work.join("c0.npy"), &[1, 1, h], &zeros)?;
    write_npy(
        &work.join("probs_ours.npy"),
        &[1, probs_ours.len()],
        &probs_ours,
    )?;
    write_npy(&work.join("h1_ours.npy"), &[1, 1, h], &h1)?;
    write_npy(&work.join("c1_ours.npy"), &[1, 1, h], &c1)?;
    let fast_times = time_ms(runs_chunk, || {
        runner.reset();
        std::hint::black_box(runner.step(&chunk)?.chunk[0]);
        Ok(())
    })?;
    let mut tract_runner = tract_model.runner();
    let probs_tract = tract_runner.step(&chunk)?.chunk.to_vec();
    let tract_diff = max_abs_diff(&probs_tract, &probs_ours)
        .max(max_abs_diff(tract_runner.state().0, &h1))
        .max(max_abs_diff(tract_runner.state().1, &c1));
    let tract_times = time_ms(runs_chunk, || {
        tract_runner.reset();
        std::hint::black_box(tract_runner.step(&chunk)?.chunk[0]);
        Ok(())
    })?;

    let mut ort = OrtModel::from_bytes(&bytes)?;
    let inputs = vec![
        ("mel", vec![1, 1, 40, 80], chunk.as_slice()),
        ("h0", vec![1, 1, h], zeros.as_slice()),
        ("c0", vec![1, 1, h], zeros.as_slice()),
    ];
    let ort_out = ort.run(&inputs, &["probs", "h1", "c1"])?;
    let ort_diff = max_abs_diff(&ort_out[0].1, &probs_ours)
        .max(max_abs_diff(&ort_out[1].1, &h1))
        .max(max_abs_diff(&ort_out[2].1, &c1));
    let ort_times = time_ms(runs_chunk, || {
        std::hint::black_box(ort.run(&inputs, &["probs"])?);
        Ok(())
    })?;

    // 3. Model load (read, check, plan), both default models, on each runner.
    let load = |path: &Path, choice: RunnerChoice| {
        time_ms(20, || {
            let bytes = std::fs::read(path)?;
            std::hint::black_box(Model::from_bytes_with(&bytes, choice)?);
            Ok(())
        })
    };
    // The same from bytes already in memory: how the embedded default models load.
    let load_bytes = |path: &Path| {
        let bytes = std::fs::read(path)?;
        time_ms(20, || {
            std::hint::black_box(Model::from_bytes_with(&bytes, RunnerChoice::Auto)?);
            Ok(())
        })
    };
    let load_genre = load(&genre, RunnerChoice::Auto)?;
    let load_mood = load(&mood, RunnerChoice::Auto)?;
    let load_genre_bytes = load_bytes(&genre)?;
    let load_mood_bytes = load_bytes(&mood)?;
    let load_genre_tract = load(&genre, RunnerChoice::Tract)?;
    let load_mood_tract = load(&mood, RunnerChoice::Tract)?;

    let frames_per_chunk = model.description().frontend.chunk_frames as f64;
    let report = json!({
        "frontend": frontend_times,
        "frontend_frames": frames.len(),
        "frames_per_chunk": frames_per_chunk,
        "runner": model.runner_name(),
        "chunk_fast": fast_times,
        "chunk_tract": tract_times,
        "chunk_ort_rust": ort_times,
        "ort_vs_ours_max_abs_diff": ort_diff,
        "tract_vs_ours_max_abs_diff": tract_diff,
        "hidden": h,
        "load_genre": load_genre,
        "load_genre_bytes": load_genre_bytes,
        "load_mood_bytes": load_mood_bytes,
        "load_mood": load_mood,
        "load_genre_tract": load_genre_tract,
        "load_mood_tract": load_mood_tract,
        "genre_bytes": bytes.len(),
        "threads": 1,
        "fma_peak_gflops": fma_peak_gflops(),
    });
    std::fs::write(
        work.join("rust.json"),
        serde_json::to_string_pretty(&report)?,
    )?;
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}
