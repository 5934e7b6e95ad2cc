//! Every architecture written by the ONNX writer runs the same in tract (the engine) and ONNX
//! Runtime, one chunk at a time with the state fed back, in a batch, and against ONNX's own LSTM
//! operator over a three-chunk roll-out.

use mcclstm_engine::{Architecture, Model, ModelKind, Preset};
use mcclstm_onnx::arch::{Activation, ArchConfig};
use mcclstm_onnx::export::{self, ExportMeta, Weights};
use mcclstm_onnx::parity::{self, TOLERANCE};
use rand::SeedableRng;
use rand::rngs::StdRng;

fn meta(preset: Preset, classes: usize) -> ExportMeta {
    ExportMeta {
        task: "genre".to_string(),
        labels: (0..classes).map(|i| format!("class{i}")).collect(),
        frontend: preset.config(),
        trained_on: serde_json::json!({"dataset": "test", "tracks": 0}),
        metrics: serde_json::json!({}),
        outputs: mcclstm_engine::Outputs::Exclusive,
    }
}

fn check(arch: Architecture, activation: Activation, preset: Preset) {
    let mut config = ArchConfig::paper(arch);
    config.activation = activation;
    // Fewer filters than the default keep the test quick; the graph is the same.
    config.filters = 8;
    let meta = meta(preset, 5);
    let fe = &meta.frontend;
    let mut rng = StdRng::seed_from_u64(arch as u64);
    let weights = Weights::random(&config, fe.n_mels, fe.chunk_frames, 5, &mut rng).unwrap();
    let probe = parity::random_chunks(parity::ROLLOUT_CHUNKS, fe.n_mels * fe.chunk_frames, 42);
    let report = parity::check_export(&config, &weights, &meta, &probe)
        .unwrap_or_else(|e| panic!("{arch}: {e}"));
    eprintln!("{arch} {activation:?} {}: {report:?}", preset.name());
    assert!(report.worst() <= TOLERANCE);
    assert_eq!(report.rollout_max_diff.is_some(), arch.is_stateful());

    // The written file passes the contract and describes itself correctly.
    let model = Model::from_bytes(&export::model_bytes(&config, &weights, &meta).unwrap()).unwrap();
    let d = model.description();
    assert_eq!(d.architecture, arch.name());
    assert_eq!(d.labels.len(), 5);
    assert_eq!(d.frontend, preset.config());
    match d.kind {
        ModelKind::Stateful { hidden } => assert_eq!(hidden, config.lstm),
        ModelKind::Stateless => assert!(!arch.is_stateful()),
    }
}

#[test]
fn cnns3_tract_equals_onnx_runtime() {
    check(Architecture::Cnns3, Activation::Relu, Preset::Paper);
}

#[test]
fn r0_tract_equals_onnx_runtime() {
    check(Architecture::R0, Activation::Relu, Preset::Paper);
}

#[test]
fn r1_tract_equals_onnx_runtime_and_rollout() {
    check(Architecture::R1, Activation::Relu, Preset::Paper);
}

#[test]
fn r2_tract_equals_onnx_runtime() {
    check(Architecture::R2, Activation::Relu, Preset::Paper);
}

#[test]
fn r3_tract_equals_onnx_runtime() {
    check(Architecture::R3, Activation::Relu, Preset::Paper);
}

#[test]
fn r4_tract_equals_onnx_runtime_and_rollout() {
    check(Architecture::R4, Activation::Relu, Preset::Paper);
}

#[test]
fn mcclstm_tract_equals_onnx_runtime_and_rollout() {
    check(Architecture::Mcclstm, Activation::Relu, Preset::Paper);
}

#[test]
fn mcclstm_with_elu_and_tanh_and_the_44k_preset() {
    check(Architecture::Mcclstm, Activation::Elu, Preset::Paper44k);
    check(Architecture::R3, Activation::Tanh, Preset::Paper);
}

#[test]
fn paper_sized_mcclstm_tract_equals_onnx_runtime() {
    let config = ArchConfig::paper(Architecture::Mcclstm);
    let meta = meta(Preset::Paper, 10);
    let mut rng = StdRng::seed_from_u64(1);
    let weights = Weights::random(&config, 40, 80, 10, &mut rng).unwrap();
    let probe = parity::random_chunks(parity::ROLLOUT_CHUNKS, 40 * 80, 7);
    let report = parity::check_export(&config, &weights, &meta, &probe).unwrap();
    eprintln!("paper-sized MCCLSTM: {report:?}");
}

#[test]
fn mis_shaped_weights_are_refused_before_writing() {
    let config = ArchConfig::paper(Architecture::R2);
    let meta = meta(Preset::Paper, 3);
    let mut rng = StdRng::seed_from_u64(3);
    let mut weights = Weights::random(&config, 40, 80, 3, &mut rng).unwrap();
    weights.output.bias.shape = vec![4];
    weights.output.bias.data.push(0.0);
    let err = export::model_bytes(&config, &weights, &meta).unwrap_err();
    assert!(err.to_string().contains("output.bias"), "{err}");
}

#[test]
fn a_probe_of_the_wrong_shape_is_refused_before_anything_runs() {
    let mut config = ArchConfig::paper(Architecture::Mcclstm);
    config.filters = 8;
    let meta = meta(Preset::Paper, 3);
    let mut rng = StdRng::seed_from_u64(3);
    let weights = Weights::random(&config, 40, 80, 3, &mut rng).unwrap();
    let short = parity::random_chunks(parity::ROLLOUT_CHUNKS - 1, 40 * 80, 1);
    let narrow = parity::random_chunks(parity::ROLLOUT_CHUNKS, 40 * 80 - 1, 1);
    for probe in [short, narrow] {
        let e = parity::check_export(&config, &weights, &meta, &probe).unwrap_err();
        assert!(
            matches!(e, parity::ParityError::Probe(n, 3200) if n == probe.len()),
            "{e}"
        );
    }
}
