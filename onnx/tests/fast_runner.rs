//! The fast runner against tract, the reference: every architecture, every activation, both
//! output kinds, one step and a 64-chunk roll-out with the state carried; and the fallback to
//! tract for a graph the fast runner does not plan.

use mcclstm_engine::{Architecture, Model, Outputs, Preset, RunnerChoice, RunnerKind};
use mcclstm_onnx::arch::{Activation, ArchConfig};
use mcclstm_onnx::export::{self, ExportMeta, Weights};
use mcclstm_onnx::parity::random_chunks;
use prost::Message;
use rand::SeedableRng;
use rand::rngs::StdRng;
use tract_onnx::pb;

/// The agreement the issue asks for, on probabilities and on the carried LSTM state.
const TOLERANCE: f32 = 1e-5;
const ROLLOUT: usize = 64;

fn bytes(config: &ArchConfig, outputs: Outputs, seed: u64) -> Vec<u8> {
    let classes = 5;
    let meta = ExportMeta {
        task: "genre".to_string(),
        labels: (0..classes).map(|i| format!("c{i}")).collect(),
        frontend: Preset::Paper.config(),
        trained_on: serde_json::json!({"dataset": "test"}),
        metrics: serde_json::json!({}),
        outputs,
    };
    let weights =
        Weights::random(config, 40, 80, classes, &mut StdRng::seed_from_u64(seed)).unwrap();
    export::model_bytes(config, &weights, &meta).unwrap()
}

fn max_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

/// The difference of two LSTM cell states, relative where a value exceeds 1: the cell state is
/// unbounded (it sums over the track), and float error grows with its size; `h`, bounded by 1,
/// and the probabilities are compared absolutely.
fn state_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs() / y.abs().max(1.0))
        .fold(0.0, f32::max)
}

/// Steps both models over the same chunks from a fresh state; returns the largest difference
/// in chunk and track probabilities, peeks, and LSTM state over the whole roll-out.
fn worst_difference(fast: &Model, tract: &Model, chunks: &[Vec<f32>]) -> f32 {
    let (mut a, mut b) = (fast.runner(), tract.runner());
    let mut worst = 0.0f32;
    for (i, chunk) in chunks.iter().enumerate() {
        if i % 16 == 5 {
            let pa = a.peek(chunk).unwrap().to_vec();
            worst = worst.max(max_diff(&pa, b.peek(chunk).unwrap()));
        }
        let oa = a.step(chunk).unwrap();
        let (ca, ta) = (oa.chunk.to_vec(), oa.track.to_vec());
        let ob = b.step(chunk).unwrap();
        let dp = max_diff(&ca, ob.chunk).max(max_diff(&ta, ob.track));
        worst = worst
            .max(max_diff(&ca, ob.chunk))
            .max(max_diff(&ta, ob.track));
        let ((ha, sa), (hb, sb)) = (a.state(), b.state());
        let (dh, dc) = (max_diff(ha, hb), state_diff(sa, sb));
        if dp.max(dh).max(dc) > TOLERANCE / 2.0 {
            eprintln!(
                "  chunk {i}: probs {dp:e}, h {dh:e}, c {dc:e} (abs {:e})",
                max_diff(sa, sb)
            );
        }
        worst = worst.max(dp).max(dh).max(dc);
    }
    worst
}

#[test]
fn the_fast_runner_equals_tract_on_every_architecture_over_a_64_chunk_rollout() {
    let chunks = random_chunks(ROLLOUT, 40 * 80, 7);
    let mut cases = Vec::new();
    for (i, arch) in Architecture::ALL.into_iter().enumerate() {
        let mut config = ArchConfig::paper(arch);
        config.filters = 8;
        cases.push((config, Outputs::Exclusive, i as u64));
    }
    // The paper's own sizes, the other activations, and independent tags (sigmoid outputs).
    cases.push((
        ArchConfig::paper(Architecture::Mcclstm),
        Outputs::Exclusive,
        20,
    ));
    for (activation, arch) in [
        (Activation::Elu, Architecture::Mcclstm),
        (Activation::Tanh, Architecture::Cnns3),
        (Activation::Elu, Architecture::R3),
    ] {
        let mut config = ArchConfig::paper(arch);
        config.filters = 8;
        config.activation = activation;
        cases.push((config, Outputs::Exclusive, 30));
    }
    let mut config = ArchConfig::paper(Architecture::R4);
    config.filters = 8;
    cases.push((config, Outputs::Independent, 40));

    for (config, outputs, seed) in cases {
        let what = format!(
            "{} ({:?}, {} filters, {outputs:?})",
            config.architecture, config.activation, config.filters
        );
        let bytes = bytes(&config, outputs, seed);
        let tract = Model::from_bytes_with(&bytes, RunnerChoice::Tract).unwrap();
        assert_eq!(tract.runner_kind(), RunnerKind::Tract);
        // The kernels this CPU gets, and the portable ones every CPU can run.
        for choice in [RunnerChoice::Auto, RunnerChoice::FastPortable] {
            let fast = Model::from_bytes_with(&bytes, choice).unwrap();
            assert_eq!(fast.runner_kind(), RunnerKind::Fast, "{what}: not planned");
            // The stateless ones need no long roll-out; 8 chunks cover the mean.
            let n = if config.architecture.is_stateful() {
                ROLLOUT
            } else {
                8
            };
            let worst = worst_difference(&fast, &tract, &chunks[..n]);
            let runner = fast.runner_name();
            assert!(
                worst <= TOLERANCE,
                "{what} on {runner}: differs from tract by {worst}"
            );
            eprintln!("{what} on {runner}: {n} chunks, worst difference {worst:e}");
        }
    }
}

/// A model whose first `Relu` is written as `LeakyRelu(alpha = 0)`: the same function, but an
/// operator the fast runner does not plan.
fn with_leaky_relu(bytes: &[u8]) -> Vec<u8> {
    let mut proto = pb::ModelProto::decode(bytes).unwrap();
    let graph = proto.graph.as_mut().unwrap();
    let node = graph.node.iter_mut().find(|n| n.op_type == "Relu").unwrap();
    node.op_type = "LeakyRelu".to_string();
    node.attribute.push(pb::AttributeProto {
        name: "alpha".to_string(),
        r#type: pb::attribute_proto::AttributeType::Float as i32,
        f: 0.0,
        ..Default::default()
    });
    proto.encode_to_vec()
}

#[test]
fn a_graph_outside_the_fast_runners_operators_runs_on_tract_with_the_same_results() {
    let mut config = ArchConfig::paper(Architecture::Mcclstm);
    config.filters = 8;
    let plain = bytes(&config, Outputs::Exclusive, 3);
    let fast = Model::from_bytes(&plain).unwrap();
    let foreign = Model::from_bytes(&with_leaky_relu(&plain)).unwrap();
    assert_eq!(fast.runner_kind(), RunnerKind::Fast);
    assert_eq!(foreign.runner_kind(), RunnerKind::Tract);
    assert_eq!(foreign.runner_name(), "tract");
    assert!(
        fast.runner_name().starts_with("fast ("),
        "{}",
        fast.runner_name()
    );
    let chunks = random_chunks(6, fast.chunk_len(), 9);
    let worst = worst_difference(&fast, &foreign, &chunks);
    assert!(worst <= TOLERANCE, "{worst}");
}

#[test]
fn a_failed_fast_step_leaves_the_state_as_it_was() {
    let mut config = ArchConfig::paper(Architecture::R4);
    config.filters = 8;
    let model = Model::from_bytes(&bytes(&config, Outputs::Exclusive, 4)).unwrap();
    assert_eq!(model.runner_kind(), RunnerKind::Fast);
    let chunks = random_chunks(2, model.chunk_len(), 5);
    let mut runner = model.runner();
    runner.step(&chunks[0]).unwrap();
    let (h, c) = (runner.state().0.to_vec(), runner.state().1.to_vec());
    assert!(runner.step(&chunks[1][1..]).is_err());
    assert_eq!(runner.state().0, h.as_slice());
    assert_eq!(runner.state().1, c.as_slice());
    assert_eq!(runner.chunks(), 1);
}

/// The model with the activation between each convolution and its max-pooling taken out
/// (`Conv -> MaxPool`, the activation's readers rewired to the convolution): a graph whose
/// pooling the planner cannot fuse into the product, so the fast runner pools as an op of its own.
fn without_activations_before_pooling(bytes: &[u8]) -> (Vec<u8>, usize) {
    let mut proto = pb::ModelProto::decode(bytes).unwrap();
    let graph = proto.graph.as_mut().unwrap();
    let producer = |graph: &pb::GraphProto, name: &str| {
        graph
            .node
            .iter()
            .find(|n| n.output.iter().any(|o| o == name))
            .map(|n| n.op_type.clone())
    };
    let mut removed = 0;
    loop {
        let found = graph.node.iter().position(|n| {
            n.op_type == "Relu"
                && producer(graph, &n.input[0]).as_deref() == Some("Conv")
                && graph
                    .node
                    .iter()
                    .filter(|m| m.input.contains(&n.output[0]))
                    .all(|m| m.op_type == "MaxPool")
        });
        let Some(at) = found else { break };
        let relu = graph.node.remove(at);
        for node in &mut graph.node {
            for input in &mut node.input {
                if *input == relu.output[0] {
                    *input = relu.input[0].clone();
                }
            }
        }
        removed += 1;
    }
    (proto.encode_to_vec(), removed)
}

#[test]
fn an_unfused_max_pool_after_a_convolution_equals_tract_over_a_rollout() {
    let mut config = ArchConfig::paper(Architecture::Mcclstm);
    config.filters = 8;
    let (bytes, removed) =
        without_activations_before_pooling(&bytes(&config, Outputs::Exclusive, 5));
    // MCCLSTM pools after each of its three channels' convolutions.
    assert_eq!(removed, 3);
    let tract = Model::from_bytes_with(&bytes, RunnerChoice::Tract).unwrap();
    let chunks = random_chunks(16, tract.chunk_len(), 11);
    for choice in [RunnerChoice::Auto, RunnerChoice::FastPortable] {
        let fast = Model::from_bytes_with(&bytes, choice).unwrap();
        assert_eq!(fast.runner_kind(), RunnerKind::Fast);
        let worst = worst_difference(&fast, &tract, &chunks);
        assert!(worst <= TOLERANCE, "{}: {worst}", fast.runner_name());
    }
}
