//! Frontend, input and model-step benchmarks (DESIGN.md budgets): a 30 s clip through the
//! frontend, the streaming push cost per sample, decode + resample + frontend of a 30 s WAV, and
//! one chunk of each shipped model on the fast runner and on tract (and their loads).
//!
//! Run: `cargo bench -p mcclstm-engine --bench engine`
//!
//! The allocator is mimalloc, as in the `mcclstm` binary: a model load allocates and frees
//! several buffers of megabytes, and with the system allocator each comes from fresh pages, so
//! the figure would be page faults rather than the load. (The plugin runs on the host's
//! allocator; a model load there happens when the user picks a model.)

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mcclstm_engine::audio::{load_for_frontend, write_wav_f32};
use mcclstm_engine::{MelFrontend, Model, Preset, RunnerChoice};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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

fn frontend(c: &mut Criterion) {
    for preset in Preset::ALL {
        let config = preset.config();
        let samples = clip(config.sample_rate, 30.0);
        let mut fe = MelFrontend::from_preset(preset);
        c.bench_function(&format!("frontend/30s_clip/{preset}"), |b| {
            b.iter(|| black_box(fe.process_signal(black_box(&samples))))
        });
    }
}

fn streaming_push(c: &mut Criterion) {
    let samples = clip(22_050, 10.0);
    let mut fe = MelFrontend::from_preset(Preset::Paper);
    let mut group = c.benchmark_group("frontend/streaming_push");
    group.throughput(Throughput::Elements(samples.len() as u64));
    for block in [64usize, 512, 4096] {
        group.bench_function(format!("block_{block}"), |b| {
            b.iter(|| {
                fe.reset();
                let mut acc = 0.0f32;
                for chunk in samples.chunks(block) {
                    fe.push(chunk, |frame| acc += frame[0]);
                }
                black_box(acc)
            })
        });
    }
    group.finish();
}

fn decode_resample_frontend(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clip.wav");
    let stereo: Vec<f32> = clip(44_100, 30.0).iter().flat_map(|&s| [s, s]).collect();
    write_wav_f32(&path, &stereo, 2, 44_100).unwrap();
    let config = Preset::Paper.config();
    let mut fe = MelFrontend::from_preset(Preset::Paper);
    c.bench_function("input/30s_wav_44k_stereo/decode_resample_frontend", |b| {
        b.iter(|| {
            let audio = load_for_frontend(&path, &config).unwrap();
            black_box(fe.process_signal(&audio.samples))
        })
    });
}

fn model_step(c: &mut Criterion) {
    // Log-mel levels like a real chunk's, the same on every run.
    let chunk: Vec<f32> = (0..40 * 80)
        .map(|i| -60.0 + 40.0 * ((i as f32) * 0.37).sin())
        .collect();
    for spec in mcclstm_models::SLOTS {
        let Some(bytes) = spec.embedded else { continue };
        for choice in [RunnerChoice::Auto, RunnerChoice::Tract] {
            let model = Model::from_bytes_with(bytes, choice).unwrap();
            let runner_name = model.runner_kind().name();
            let mut runner = model.runner();
            c.bench_function(&format!("step/{}/{runner_name}", spec.name), |b| {
                b.iter(|| black_box(runner.step(&chunk).unwrap().chunk[0]))
            });
            c.bench_function(&format!("load/{}/{runner_name}", spec.name), |b| {
                b.iter(|| black_box(Model::from_bytes_with(bytes, choice).unwrap()))
            });
        }
    }
}

criterion_group!(
    benches,
    frontend,
    streaming_push,
    decode_resample_frontend,
    model_step
);
criterion_main!(benches);
