//! One chunk through each architecture at the paper's sizes, on the engine's fast runner (as the
//! plugin runs it) and on tract (its reference and fallback). Also: model load time on each
//! (DESIGN.md budgets: 1 ms for the fast runner, 100 ms for tract).
//!
//! Run: `cargo bench -p mcclstm-trainer --bench chunk`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use mcclstm_engine::{Architecture, Model, Preset, RunnerChoice};
use mcclstm_onnx::arch::ArchConfig;
use mcclstm_onnx::export::{self, ExportMeta, Weights};
use mcclstm_onnx::parity::random_chunks;
use rand::SeedableRng;
use rand::rngs::StdRng;

fn model_bytes(arch: Architecture) -> Vec<u8> {
    let config = ArchConfig::paper(arch);
    let meta = ExportMeta {
        task: "genre".to_string(),
        labels: (0..10).map(|i| format!("c{i}")).collect(),
        frontend: Preset::Paper.config(),
        trained_on: serde_json::json!({"dataset": "bench"}),
        metrics: serde_json::json!({}),
        outputs: mcclstm_engine::Outputs::Exclusive,
    };
    let weights = Weights::random(&config, 40, 80, 10, &mut StdRng::seed_from_u64(0)).unwrap();
    export::model_bytes(&config, &weights, &meta).unwrap()
}

fn one_chunk(c: &mut Criterion) {
    let chunk = random_chunks(1, 40 * 80, 5).remove(0);
    for arch in Architecture::ALL {
        let bytes = model_bytes(arch);
        for choice in [RunnerChoice::Auto, RunnerChoice::Tract] {
            let model = Model::from_bytes_with(&bytes, choice).unwrap();
            let mut runner = model.runner();
            let name = format!("chunk/{}/{}", arch.name(), model.runner_kind());
            c.bench_function(&name, |b| {
                b.iter(|| black_box(runner.step(black_box(&chunk)).unwrap().track[0]))
            });
        }
    }
}

fn model_load(c: &mut Criterion) {
    let bytes = model_bytes(Architecture::Mcclstm);
    for choice in [RunnerChoice::Auto, RunnerChoice::Tract] {
        let name = format!("load/MCCLSTM/{choice:?}");
        c.bench_function(&name, |b| {
            b.iter(|| black_box(Model::from_bytes_with(black_box(&bytes), choice).unwrap()))
        });
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30);
    targets = one_chunk, model_load
}
criterion_main!(benches);
