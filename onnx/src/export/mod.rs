//! The ONNX writer: the inference graph of every architecture, from weight tensors, with the
//! per-band standardisation inside the graph and the metadata of the model file contract.
//!
//! Two graphs per stateful model:
//! - the **step graph**, the model file the engine runs: one chunk in, one LSTM step, written with
//!   plain ONNX operators (Gemm, Split, Sigmoid, Tanh) so that every runtime computes the same step;
//! - the **roll-out graph**, used only to check the step graph: a sequence of chunks through ONNX's
//!   own `LSTM` operator. Three step-graph calls with the state fed back must equal it.

mod graph;
pub mod weights;

use std::path::{Path, PathBuf};

use mcclstm_engine::contract::{Outputs, keys, names};
use mcclstm_engine::{Architecture, FrontendConfig, FrontendError};
use prost::Message;
use serde::Serialize;
use tract_onnx::pb;

use crate::arch::{ArchConfig, CNN3_KERNELS, CNN3_POOL};
use graph::{Dim, GraphBuilder, IR_VERSION, OPSET, attr_int, attr_ints, tensor_value};
pub use weights::{Conv, Linear, Lstm, Tensor, Weights, WeightsError};

/// Extra metadata key: the [`ArchConfig`] as JSON, so a model card can say what was built.
pub const ARCH_CONFIG_KEY: &str = "mcclstm.arch_config";

/// What a model file says about itself besides its weights.
#[derive(Clone, Debug, Serialize)]
pub struct ExportMeta {
    pub task: String,
    pub labels: Vec<String>,
    pub frontend: FrontendConfig,
    pub trained_on: serde_json::Value,
    pub metrics: serde_json::Value,
    /// Exclusive classes (a softmax, format 1) or independent tags (sigmoids, format 2).
    pub outputs: Outputs,
}

/// Why a model cannot be exported or written.
///
/// The wrapped errors are not `#[source]`s (so no `#[from]`; the `From` impls are written out):
/// each message already ends with its cause, and a source would print it a second time in an
/// `anyhow` chain (`{:#}`).
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("cannot export: {0}")]
    Weights(WeightsError),
    #[error("cannot export: {0}")]
    Frontend(FrontendError),
    /// The number of labels given.
    #[error("cannot export: a classifier needs at least 2 labels")]
    TooFewLabels(usize),
    /// A roll-out graph asked of a stateless architecture.
    #[error("cannot export: {0} has no LSTM")]
    NoLstm(Architecture),
    #[error("{path}: cannot write: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl From<WeightsError> for ExportError {
    fn from(e: WeightsError) -> Self {
        ExportError::Weights(e)
    }
}

impl From<FrontendError> for ExportError {
    fn from(e: FrontendError) -> Self {
        ExportError::Frontend(e)
    }
}

/// The bytes of the model file (step graph) for these weights.
pub fn model_bytes(
    config: &ArchConfig,
    weights: &Weights,
    meta: &ExportMeta,
) -> Result<Vec<u8>, ExportError> {
    check(config, weights, meta)?;
    let fe = &meta.frontend;
    let mut g = GraphBuilder::default();
    let x = standardise(&mut g, names::MEL, weights, fe.n_mels);
    let mut features = features(&mut g, config, weights, &x);
    let mut inputs = vec![tensor_value(
        names::MEL,
        &[
            Dim::Named("batch"),
            Dim::Fixed(1),
            Dim::Fixed(fe.n_mels),
            Dim::Fixed(fe.chunk_frames),
        ],
    )];
    let mut outputs = Vec::new();
    if let Some(lstm) = &weights.lstm {
        let hidden = config.lstm;
        let state = |name| {
            tensor_value(
                name,
                &[Dim::Fixed(1), Dim::Named("batch"), Dim::Fixed(hidden)],
            )
        };
        inputs.push(state(names::H0));
        inputs.push(state(names::C0));
        features = lstm_step(&mut g, lstm, hidden, &features);
        outputs.push(state(names::H1));
        outputs.push(state(names::C1));
    }
    classifier(&mut g, weights, &features, meta.outputs);
    let n_classes = meta.labels.len();
    outputs.insert(
        0,
        tensor_value(names::PROBS, &[Dim::Named("batch"), Dim::Fixed(n_classes)]),
    );
    let graph = g.finish(config.architecture.name(), inputs, outputs);
    Ok(encode(graph, config, meta))
}

/// The bytes of the roll-out graph over `chunks` chunks: input `mels` `[B, L, 1, M, N]` plus `h0`,
/// `c0`; outputs `probs` after the last chunk, `h1`, `c1`. Stateful architectures only.
pub fn rollout_bytes(
    config: &ArchConfig,
    weights: &Weights,
    meta: &ExportMeta,
    chunks: usize,
) -> Result<Vec<u8>, ExportError> {
    check(config, weights, meta)?;
    let lstm = weights
        .lstm
        .as_ref()
        .ok_or(ExportError::NoLstm(config.architecture))?;
    let fe = &meta.frontend;
    let hidden = config.lstm;
    let mut g = GraphBuilder::default();
    let flat_shape = g.int64s(
        "flat_shape",
        &[-1, 1, fe.n_mels as i64, fe.chunk_frames as i64],
    );
    let flat = g.op("Reshape", &["mels", &flat_shape], vec![]);
    let x = standardise(&mut g, &flat, weights, fe.n_mels);
    let features = features(&mut g, config, weights, &x);
    let width = lstm.w.shape[1];
    let seq_shape = g.int64s("seq_shape", &[-1, chunks as i64, width as i64]);
    let batch_major = g.op("Reshape", &[&features, &seq_shape], vec![]);
    let time_major = g.op(
        "Transpose",
        &[&batch_major],
        vec![attr_ints("perm", &[1, 0, 2])],
    );
    let w = g.weight("lstm_W", &[1, 4 * hidden, width], &lstm.w.data);
    let r = g.weight("lstm_R", &[1, 4 * hidden, hidden], &lstm.r.data);
    let b = g.weight("lstm_B", &[1, 8 * hidden], &lstm.b.data);
    g.op_into(
        "LSTM",
        &[&time_major, &w, &r, &b, "", names::H0, names::C0],
        &["", names::H1, names::C1],
        vec![attr_int("hidden_size", hidden as i64)],
    );
    let axes = g.int64s("axis0", &[0]);
    let last = g.op("Squeeze", &[names::H1, &axes], vec![]);
    classifier(&mut g, weights, &last, meta.outputs);
    let state = |name| {
        tensor_value(
            name,
            &[Dim::Fixed(1), Dim::Named("batch"), Dim::Fixed(hidden)],
        )
    };
    let inputs = vec![
        tensor_value(
            "mels",
            &[
                Dim::Named("batch"),
                Dim::Fixed(chunks),
                Dim::Fixed(1),
                Dim::Fixed(fe.n_mels),
                Dim::Fixed(fe.chunk_frames),
            ],
        ),
        state(names::H0),
        state(names::C0),
    ];
    let outputs = vec![
        tensor_value(
            names::PROBS,
            &[Dim::Named("batch"), Dim::Fixed(meta.labels.len())],
        ),
        state(names::H1),
        state(names::C1),
    ];
    let graph = g.finish("rollout", inputs, outputs);
    Ok(encode(graph, config, meta))
}

/// Writes the model file through a temporary file and a rename, so a kill never leaves a
/// half-written model under the real name.
pub fn write_model(path: &Path, bytes: &[u8]) -> Result<(), ExportError> {
    let io = |source| ExportError::Io {
        path: path.to_path_buf(),
        source,
    };
    mcclstm_engine::atomic_file::write(path, bytes).map_err(io)
}

fn check(config: &ArchConfig, weights: &Weights, meta: &ExportMeta) -> Result<(), ExportError> {
    meta.frontend.validate()?;
    if meta.labels.len() < 2 {
        return Err(ExportError::TooFewLabels(meta.labels.len()));
    }
    weights.validate(
        config,
        meta.frontend.n_mels,
        meta.frontend.chunk_frames,
        meta.labels.len(),
    )?;
    Ok(())
}

/// `(mel - mean) / std` per band, broadcast over `[B, 1, M, N]`.
fn standardise(g: &mut GraphBuilder, input: &str, w: &Weights, n_mels: usize) -> String {
    let mean = g.weight("mel_mean", &[1, 1, n_mels, 1], &w.mel_mean);
    let std = g.weight("mel_std", &[1, 1, n_mels, 1], &w.mel_std);
    let centred = g.op("Sub", &[input, &mean], vec![]);
    g.op("Div", &[&centred, &std], vec![])
}

fn activation(g: &mut GraphBuilder, config: &ArchConfig, x: &str) -> String {
    g.op(config.activation.onnx_op(), &[x], vec![])
}

fn conv_act_pool(
    g: &mut GraphBuilder,
    config: &ArchConfig,
    name: &str,
    x: &str,
    conv: &Conv,
    pool: [usize; 2],
) -> String {
    let w = g.weight(&format!("{name}_W"), &conv.weight.shape, &conv.weight.data);
    let b = g.weight(&format!("{name}_B"), &conv.bias.shape, &conv.bias.data);
    let kernel = [conv.weight.shape[2], conv.weight.shape[3]];
    let y = g.op(
        "Conv",
        &[x, &w, &b],
        vec![attr_ints("kernel_shape", &kernel)],
    );
    let y = activation(g, config, &y);
    g.op(
        "MaxPool",
        &[&y],
        vec![
            attr_ints("kernel_shape", &pool),
            attr_ints("strides", &pool),
        ],
    )
}

fn linear(g: &mut GraphBuilder, name: &str, x: &str, layer: &Linear) -> String {
    let w = g.weight(
        &format!("{name}_W"),
        &layer.weight.shape,
        &layer.weight.data,
    );
    let b = g.weight(&format!("{name}_B"), &layer.bias.shape, &layer.bias.data);
    g.op("Gemm", &[x, &w, &b], vec![attr_int("transB", 1)])
}

/// The per-chunk feature vector `[B, D]` that feeds the LSTM or the classifier.
fn features(g: &mut GraphBuilder, config: &ArchConfig, w: &Weights, x: &str) -> String {
    let flat = match config.architecture {
        Architecture::R1 => g.op("Flatten", &[x], vec![attr_int("axis", 1)]),
        Architecture::Cnns3 => {
            let mut y = x.to_string();
            for (i, conv) in w.cnn3.iter().enumerate() {
                debug_assert_eq!(conv.weight.shape[2..], CNN3_KERNELS[i]);
                y = conv_act_pool(g, config, &format!("cnn3_conv{i}"), &y, conv, CNN3_POOL);
            }
            g.op("Flatten", &[&y], vec![attr_int("axis", 1)])
        }
        _ => {
            let branches: Vec<String> = config
                .channels()
                .iter()
                .zip(&w.channels)
                .map(|(ch, conv)| {
                    let y = conv_act_pool(
                        g,
                        config,
                        &format!("{}_conv", ch.name()),
                        x,
                        conv,
                        ch.pool(),
                    );
                    g.op("Flatten", &[&y], vec![attr_int("axis", 1)])
                })
                .collect();
            if branches.len() == 1 {
                branches[0].clone()
            } else {
                let refs: Vec<&str> = branches.iter().map(String::as_str).collect();
                g.op("Concat", &refs, vec![attr_int("axis", 1)])
            }
        }
    };
    match &w.dense {
        Some(dense) => {
            let y = linear(g, "dense", &flat, dense);
            activation(g, config, &y)
        }
        None => flat,
    }
}

/// One LSTM step from `h0`, `c0` (`[1, B, H]`), writing `h1` and `c1`; returns `h1` as `[B, H]`.
/// Gates in ONNX's order i, o, f, c; the input and recurrent biases are summed into one.
fn lstm_step(g: &mut GraphBuilder, lstm: &Lstm, hidden: usize, x: &str) -> String {
    let axes = g.int64s("axis0", &[0]);
    let h = g.op("Squeeze", &[names::H0, &axes], vec![]);
    let c = g.op("Squeeze", &[names::C0, &axes], vec![]);
    let bias: Vec<f32> = lstm.b.data[..4 * hidden]
        .iter()
        .zip(&lstm.b.data[4 * hidden..])
        .map(|(a, b)| a + b)
        .collect();
    let w = g.weight("lstm_W", &lstm.w.shape, &lstm.w.data);
    let r = g.weight("lstm_R", &lstm.r.shape, &lstm.r.data);
    let b = g.weight("lstm_bias", &[4 * hidden], &bias);
    let from_x = g.op("Gemm", &[x, &w, &b], vec![attr_int("transB", 1)]);
    let from_h = g.op("Gemm", &[&h, &r], vec![attr_int("transB", 1)]);
    let gates = g.op("Add", &[&from_x, &from_h], vec![]);
    let split = g.int64s("gate_sizes", &[hidden as i64; 4]);
    let gate_names = ["gate_i", "gate_o", "gate_f", "gate_c"];
    g.op_into(
        "Split",
        &[&gates, &split],
        &gate_names,
        vec![attr_int("axis", 1)],
    );
    let i = g.op("Sigmoid", &["gate_i"], vec![]);
    let o = g.op("Sigmoid", &["gate_o"], vec![]);
    let f = g.op("Sigmoid", &["gate_f"], vec![]);
    let cand = g.op("Tanh", &["gate_c"], vec![]);
    let kept = g.op("Mul", &[&f, &c], vec![]);
    let added = g.op("Mul", &[&i, &cand], vec![]);
    let c1 = g.op("Add", &[&kept, &added], vec![]);
    let squashed = g.op("Tanh", &[&c1], vec![]);
    let h1 = g.op("Mul", &[&o, &squashed], vec![]);
    g.op_into("Unsqueeze", &[&h1, &axes], &[names::H1], vec![]);
    g.op_into("Unsqueeze", &[&c1, &axes], &[names::C1], vec![]);
    h1
}

/// Output layer and a softmax (exclusive classes) or a sigmoid per tag (independent) into `probs`.
fn classifier(g: &mut GraphBuilder, w: &Weights, x: &str, outputs: Outputs) {
    let logits = linear(g, "output", x, &w.output);
    match outputs {
        Outputs::Exclusive => g.op_into(
            "Softmax",
            &[&logits],
            &[names::PROBS],
            vec![attr_int("axis", 1)],
        ),
        Outputs::Independent => g.op_into("Sigmoid", &[&logits], &[names::PROBS], vec![]),
    }
}

fn encode(graph: pb::GraphProto, config: &ArchConfig, meta: &ExportMeta) -> Vec<u8> {
    let props = [
        (keys::FORMAT, meta.outputs.format().to_string()),
        (keys::OUTPUTS, meta.outputs.name().to_string()),
        (keys::TASK, meta.task.clone()),
        (keys::LABELS, to_json(&meta.labels)),
        (keys::ARCHITECTURE, config.architecture.name().to_string()),
        (keys::FRONTEND, to_json(&meta.frontend)),
        (keys::TRAINED_ON, meta.trained_on.to_string()),
        (keys::METRICS, meta.metrics.to_string()),
        (
            keys::CREATED,
            humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
        ),
        (ARCH_CONFIG_KEY, to_json(config)),
    ];
    pb::ModelProto {
        ir_version: IR_VERSION,
        opset_import: vec![pb::OperatorSetIdProto {
            domain: String::new(),
            version: OPSET,
        }],
        producer_name: "mcclstm".to_string(),
        producer_version: env!("CARGO_PKG_VERSION").to_string(),
        doc_string: format!(
            "{} ({}) for {}: {}",
            config.architecture.name(),
            config.architecture.description(),
            meta.task,
            meta.labels.join(", ")
        ),
        graph: Some(graph),
        metadata_props: props
            .into_iter()
            .map(|(key, value)| pb::StringStringEntryProto {
                key: key.to_string(),
                value,
            })
            .collect(),
        ..Default::default()
    }
    .encode_to_vec()
}

/// JSON of our own plain types, which cannot fail to serialise (no maps with non-string keys, no
/// failing `Serialize` impls).
fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|e| format!("\"unserialisable: {e}\""))
}
