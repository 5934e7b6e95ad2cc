//! The model file contract (DESIGN.md, "Model file contract"): what an mcclstm ONNX file holds,
//! checked before anything runs.
//!
//! Stateful models (R1, R4, MCCLSTM) take `mel` `[B,1,M,N]`, `h0` and `c0` `[1,B,H]` and give
//! `probs` `[B,C]`, `h1` and `c1` `[1,B,H]`; stateless ones take `mel` and give `probs`. The
//! `metadata_props` under [`keys`] describe the task, labels, architecture, frontend and training.
//! A file that breaks any of it is refused with a [`ContractError`] that names what is wrong.

use std::collections::{HashMap, HashSet};

use prost::Message;
use serde::{Deserialize, Serialize};
use tract_onnx::pb;
use tract_onnx::pb::tensor_shape_proto::dimension::Value as DimValue;
use tract_onnx::pb::type_proto::Value as TypeValue;

use crate::architecture::Architecture;
use crate::confidence::Confidence;
use crate::error::ContractError;
use crate::frontend::FrontendConfig;

/// The `metadata_props` keys of the contract.
pub mod keys {
    pub const FORMAT: &str = "mcclstm.format";
    pub const TASK: &str = "mcclstm.task";
    pub const LABELS: &str = "mcclstm.labels";
    pub const ARCHITECTURE: &str = "mcclstm.architecture";
    pub const FRONTEND: &str = "mcclstm.frontend";
    pub const TRAINED_ON: &str = "mcclstm.trained_on";
    pub const METRICS: &str = "mcclstm.metrics";
    pub const CREATED: &str = "mcclstm.created";
    /// Optional: the calibration and "unsure" threshold ([`crate::confidence::Confidence`] as
    /// JSON). A file without it runs uncalibrated with the default threshold.
    pub const CONFIDENCE: &str = "mcclstm.confidence";
    /// How `probs` reads ([`super::Outputs`]): `exclusive` or `independent`. Format 2 requires
    /// it; a format-1 file has exclusive outputs and may omit it.
    pub const OUTPUTS: &str = "mcclstm.outputs";
    /// Optional: how a whole track is summarised from its chunks ([`super::Summary`]): `mean`
    /// or `last`. A file without it takes the mean.
    pub const SUMMARY: &str = "mcclstm.summary";
    /// Every key a model file must have.
    pub const ALL: [&str; 8] = [
        FORMAT,
        TASK,
        LABELS,
        ARCHITECTURE,
        FRONTEND,
        TRAINED_ON,
        METRICS,
        CREATED,
    ];
}

/// The newest format version this build writes and reads. Format 2 added independent
/// (multi-label) outputs; a model with exclusive outputs is still written as format 1, so older
/// builds keep loading it, and every format-1 file loads here unchanged.
pub const FORMAT_VERSION: &str = "2";

/// Every format version this build reads.
pub const FORMATS_READ: [&str; 2] = ["1", FORMAT_VERSION];

/// How a model's `probs` output reads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outputs {
    /// One class at a time: the probabilities sum to 1 (a softmax). Genre, mood, dance.
    #[default]
    Exclusive,
    /// A probability per tag, each on its own (sigmoids): multi-label, such as `style`.
    Independent,
}

impl Outputs {
    /// The format version a file with these outputs is written as: the oldest that can say it.
    pub fn format(self) -> &'static str {
        match self {
            Outputs::Exclusive => "1",
            Outputs::Independent => FORMAT_VERSION,
        }
    }

    /// The metadata value of [`keys::OUTPUTS`].
    pub fn name(self) -> &'static str {
        match self {
            Outputs::Exclusive => "exclusive",
            Outputs::Independent => "independent",
        }
    }
}

/// How a whole track's prediction is formed from its chunks (`docs/DESIGN.md`, section 3).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Summary {
    /// The mean of every chunk's output over the whole input: what the teacher's truth of a
    /// whole track is, and what genre and mood were chosen with.
    #[default]
    Mean,
    /// The last running estimate: for a model whose state has heard the whole of a short piece
    /// (dance: one tune), the end says more than a mean that counts the first, uninformed chunks.
    Last,
}

impl Summary {
    /// The metadata value of [`keys::SUMMARY`].
    pub fn name(self) -> &'static str {
        match self {
            Summary::Mean => "mean",
            Summary::Last => "last",
        }
    }
}

impl std::str::FromStr for Summary {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "mean" => Ok(Summary::Mean),
            "last" => Ok(Summary::Last),
            other => Err(format!("`{other}` is neither `mean` nor `last`")),
        }
    }
}

/// Tensor names of the contract.
pub mod names {
    pub const MEL: &str = "mel";
    pub const H0: &str = "h0";
    pub const C0: &str = "c0";
    pub const PROBS: &str = "probs";
    pub const H1: &str = "h1";
    pub const C1: &str = "c1";
}

/// Whether the model carries an LSTM state between chunks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum ModelKind {
    /// One call is one LSTM step; `hidden` is H of `h0`/`c0`.
    Stateful { hidden: usize },
    /// Chunk probabilities are averaged over the track.
    Stateless,
}

/// Everything a model file says about itself, checked.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelDescription {
    /// What the labels describe: `genre`, `mood`, `dance` or a user's own name.
    pub task: String,
    pub labels: Vec<String>,
    /// The paper's name of the architecture, or a user's own for a foreign model.
    pub architecture: String,
    pub frontend: FrontendConfig,
    /// The data set the model was trained on (free JSON: name, tracks, classes, ...).
    pub trained_on: serde_json::Value,
    /// Evaluation figures (free JSON, e.g. 10-fold accuracy mean and std).
    pub metrics: serde_json::Value,
    /// When the file was written (RFC 3339).
    pub created: String,
    pub kind: ModelKind,
    /// The calibration applied to every output and the "unsure" threshold.
    #[serde(default)]
    pub confidence: Confidence,
    /// Whether the labels are exclusive classes or independent tags.
    #[serde(default)]
    pub outputs: Outputs,
    /// How a whole track is summarised from its chunks.
    #[serde(default)]
    pub track_summary: Summary,
}

impl ModelDescription {
    /// A one-line summary for people: "genre · MCCLSTM · 10 classes · trained on GTZAN".
    pub fn summary(&self) -> String {
        let data = self
            .trained_on
            .get("dataset")
            .and_then(|d| d.as_str())
            .unwrap_or("unknown data");
        format!(
            "{} · {} · {} classes · trained on {}",
            self.task,
            self.architecture,
            self.labels.len(),
            data
        )
    }
}

/// A checked model file: its description and its ONNX graph, ready for tract.
pub struct CheckedModel {
    pub description: ModelDescription,
    pub proto: pb::ModelProto,
    /// Positions of `mel`, `h0`, `c0` among the graph's (non-initializer) inputs.
    pub input_order: Vec<&'static str>,
    /// Positions of `probs`, `h1`, `c1` among the graph's outputs.
    pub output_order: Vec<&'static str>,
}

/// Reads and checks a model file's bytes against the contract, without building an inference plan
/// (see [`crate::runner::Model`] for that, which also checks the output shapes tract infers).
pub fn check(bytes: &[u8]) -> Result<CheckedModel, ContractError> {
    if bytes.is_empty() {
        return Err(ContractError::Empty);
    }
    let proto = pb::ModelProto::decode(bytes)
        .map_err(|e| ContractError::NotOnnx(format!("protobuf decoding failed: {e}")))?;
    let graph = proto
        .graph
        .as_ref()
        .ok_or_else(|| ContractError::NotOnnx("the file has no graph".to_string()))?;
    if graph.node.is_empty() {
        return Err(ContractError::NotOnnx("the graph has no nodes".to_string()));
    }

    let meta: HashMap<&str, &str> = proto
        .metadata_props
        .iter()
        .map(|kv| (kv.key.as_str(), kv.value.as_str()))
        .collect();
    let get = |key: &'static str| {
        meta.get(key)
            .copied()
            .ok_or(ContractError::MissingMetadata(key))
    };
    let json = |key: &'static str| -> Result<serde_json::Value, ContractError> {
        serde_json::from_str(get(key)?).map_err(|e| ContractError::BadMetadata {
            key,
            reason: format!("not JSON: {e}"),
        })
    };

    let format = get(keys::FORMAT)?;
    if !FORMATS_READ.contains(&format) {
        return Err(ContractError::UnsupportedFormat(format.to_string()));
    }
    let outputs = match meta.get(keys::OUTPUTS).map(|v| v.trim()) {
        None if format == "1" => Outputs::Exclusive,
        None => return Err(ContractError::MissingMetadata(keys::OUTPUTS)),
        Some("exclusive") => Outputs::Exclusive,
        Some("independent") if format != "1" => Outputs::Independent,
        Some(other) => {
            return Err(ContractError::BadMetadata {
                key: keys::OUTPUTS,
                reason: if other == "independent" {
                    "independent outputs need format 2; a format-1 reader would take them for \
                     exclusive classes"
                        .to_string()
                } else {
                    format!("`{other}` is neither `exclusive` nor `independent`")
                },
            });
        }
    };
    let task = get(keys::TASK)?.trim().to_string();
    if task.is_empty() {
        return Err(ContractError::BadMetadata {
            key: keys::TASK,
            reason: "empty".to_string(),
        });
    }
    let labels = parse_labels(get(keys::LABELS)?)?;
    let architecture = get(keys::ARCHITECTURE)?.trim().to_string();
    if architecture.is_empty() {
        return Err(ContractError::BadMetadata {
            key: keys::ARCHITECTURE,
            reason: "empty".to_string(),
        });
    }
    let frontend: FrontendConfig =
        serde_json::from_str(get(keys::FRONTEND)?).map_err(|e| ContractError::BadMetadata {
            key: keys::FRONTEND,
            reason: e.to_string(),
        })?;
    frontend
        .validate()
        .map_err(|e| ContractError::BadMetadata {
            key: keys::FRONTEND,
            reason: e.to_string(),
        })?;
    let trained_on = json(keys::TRAINED_ON)?;
    let metrics = json(keys::METRICS)?;
    let created = get(keys::CREATED)?.to_string();
    let confidence = match meta.get(keys::CONFIDENCE) {
        None => Confidence::default(),
        Some(raw) => {
            let bad = |reason: String| ContractError::BadMetadata {
                key: keys::CONFIDENCE,
                reason,
            };
            let confidence: Confidence =
                serde_json::from_str(raw).map_err(|e| bad(e.to_string()))?;
            confidence.validate().map_err(bad)?;
            if outputs == Outputs::Independent && confidence.temperature != 1.0 {
                return Err(bad(
                    "a temperature is defined for exclusive outputs only; independent outputs \
                     take temperature 1"
                        .to_string(),
                ));
            }
            confidence
        }
    };

    let track_summary = match meta.get(keys::SUMMARY) {
        None => Summary::default(),
        Some(raw) => {
            raw.trim()
                .parse::<Summary>()
                .map_err(|reason| ContractError::BadMetadata {
                    key: keys::SUMMARY,
                    reason,
                })?
        }
    };

    // Inputs: graph inputs that are not initializers (weights may be listed as inputs too).
    let initializers: HashSet<&str> = graph.initializer.iter().map(|t| t.name.as_str()).collect();
    let inputs: Vec<&pb::ValueInfoProto> = graph
        .input
        .iter()
        .filter(|v| !initializers.contains(v.name.as_str()))
        .collect();
    let mut input_order = Vec::new();
    for input in &inputs {
        let name = match input.name.as_str() {
            names::MEL => names::MEL,
            names::H0 => names::H0,
            names::C0 => names::C0,
            other => return Err(ContractError::UnexpectedInput(other.to_string())),
        };
        input_order.push(name);
    }
    let find_input = |name: &'static str| inputs.iter().copied().find(|v| v.name == name);
    let find_output = |name: &'static str| graph.output.iter().find(|v| v.name == name);

    let mel = find_input(names::MEL).ok_or(ContractError::MissingInput(names::MEL))?;
    check_dims(
        mel,
        &[
            Dim::Batch,
            Dim::Fixed(1),
            Dim::Fixed(frontend.n_mels),
            Dim::Fixed(frontend.chunk_frames),
        ],
    )?;
    find_output(names::PROBS).ok_or(ContractError::MissingOutput(names::PROBS))?;

    let has_state = find_input(names::H0).is_some() || find_input(names::C0).is_some();
    let kind = if has_state {
        let h0 = find_input(names::H0).ok_or(ContractError::MissingInput(names::H0))?;
        let c0 = find_input(names::C0).ok_or(ContractError::MissingInput(names::C0))?;
        let hidden = state_width(h0)?;
        check_dims(c0, &[Dim::Fixed(1), Dim::Batch, Dim::Fixed(hidden)])?;
        find_output(names::H1).ok_or(ContractError::MissingOutput(names::H1))?;
        find_output(names::C1).ok_or(ContractError::MissingOutput(names::C1))?;
        ModelKind::Stateful { hidden }
    } else {
        ModelKind::Stateless
    };
    if let Ok(known) = architecture.parse::<Architecture>()
        && known.is_stateful() != has_state
    {
        return Err(ContractError::BadMetadata {
            key: keys::ARCHITECTURE,
            reason: format!(
                "{known} is {} but the graph {} h0/c0",
                if known.is_stateful() {
                    "stateful"
                } else {
                    "stateless"
                },
                if has_state { "has" } else { "has no" }
            ),
        });
    }
    check_wiring(graph)?;
    check_windows(graph)?;
    check_axes(graph)?;
    let output_order = graph
        .output
        .iter()
        .map(|o| match o.name.as_str() {
            names::PROBS => names::PROBS,
            names::H1 => names::H1,
            names::C1 => names::C1,
            _ => "",
        })
        .collect();

    Ok(CheckedModel {
        description: ModelDescription {
            task,
            labels,
            architecture,
            frontend,
            trained_on,
            metrics,
            created,
            kind,
            confidence,
            outputs,
            track_summary,
        },
        proto,
        input_order,
        output_order,
    })
}

/// `bytes` (a model file) with metadata `key` set to `value`, replaced if present. The result is
/// checked against the contract before it is returned, so a bad value never reaches a file.
pub fn with_metadata(bytes: &[u8], key: &str, value: &str) -> Result<Vec<u8>, ContractError> {
    let mut proto = check(bytes)?.proto;
    proto.metadata_props.retain(|kv| kv.key != key);
    proto.metadata_props.push(pb::StringStringEntryProto {
        key: key.to_string(),
        value: value.to_string(),
    });
    let out = proto.encode_to_vec();
    check(&out)?;
    Ok(out)
}

fn parse_labels(raw: &str) -> Result<Vec<String>, ContractError> {
    let bad = |reason: String| ContractError::BadMetadata {
        key: keys::LABELS,
        reason,
    };
    let labels: Vec<String> =
        serde_json::from_str(raw).map_err(|e| bad(format!("not a JSON array of strings: {e}")))?;
    if labels.len() < 2 {
        return Err(bad(format!(
            "{} label(s); a classifier needs at least 2",
            labels.len()
        )));
    }
    let mut seen = HashSet::new();
    for label in &labels {
        if label.trim().is_empty() {
            return Err(bad("a label is empty".to_string()));
        }
        if !seen.insert(label) {
            return Err(bad(format!("label `{label}` appears twice")));
        }
    }
    Ok(labels)
}

/// One expected dimension of a declared input shape.
enum Dim {
    /// The batch axis: a symbol, or any fixed size (the runner uses 1).
    Batch,
    Fixed(usize),
}

fn declared_dims(info: &pb::ValueInfoProto) -> Result<Vec<Option<i64>>, ContractError> {
    let Some(pb::TypeProto {
        value: Some(TypeValue::TensorType(tensor)),
        ..
    }) = &info.r#type
    else {
        return Err(ContractError::BadShape {
            tensor: info.name.clone(),
            expected: "a float32 tensor".to_string(),
            found: "no tensor type".to_string(),
        });
    };
    if tensor.elem_type != pb::tensor_proto::DataType::Float as i32 {
        return Err(ContractError::BadType {
            tensor: info.name.clone(),
            found: tensor.elem_type,
        });
    }
    let shape = tensor
        .shape
        .as_ref()
        .ok_or_else(|| ContractError::BadShape {
            tensor: info.name.clone(),
            expected: "a declared shape".to_string(),
            found: "none".to_string(),
        })?;
    Ok(shape
        .dim
        .iter()
        .map(|d| match d.value {
            Some(DimValue::DimValue(v)) => Some(v),
            _ => None,
        })
        .collect())
}

fn show_dims(dims: &[Option<i64>]) -> String {
    let parts: Vec<String> = dims
        .iter()
        .map(|d| d.map_or("?".to_string(), |v| v.to_string()))
        .collect();
    format!("[{}]", parts.join(","))
}

fn check_dims(info: &pb::ValueInfoProto, expected: &[Dim]) -> Result<(), ContractError> {
    let dims = declared_dims(info)?;
    let expected_text = format!(
        "[{}]",
        expected
            .iter()
            .map(|d| match d {
                Dim::Batch => "B".to_string(),
                Dim::Fixed(v) => v.to_string(),
            })
            .collect::<Vec<_>>()
            .join(",")
    );
    let fits = dims.len() == expected.len()
        && dims.iter().zip(expected).all(|(d, e)| match e {
            Dim::Batch => d.is_none_or(|v| v >= 1),
            Dim::Fixed(v) => *d == Some(*v as i64),
        });
    if fits {
        Ok(())
    } else {
        Err(ContractError::BadShape {
            tensor: info.name.clone(),
            expected: expected_text,
            found: show_dims(&dims),
        })
    }
}

/// Checks that every node has a first input (but a `Constant`) and an output, and that every node
/// input and graph output names a tensor something defines (a graph input, an initializer, or an
/// earlier node's output; empty names are ONNX's "absent"). tract 0.23
/// indexes its name table without a check and panics on a name nothing defines (found by the
/// fuzzer; docs/upstream.md).
fn check_wiring(graph: &pb::GraphProto) -> Result<(), ContractError> {
    let mut defined: HashSet<&str> = graph
        .input
        .iter()
        .map(|i| i.name.as_str())
        .chain(graph.initializer.iter().map(|t| t.name.as_str()))
        .collect();
    for node in &graph.node {
        // Every op but a constant reads a tensor, and every op makes one (tract indexes both).
        if (node.op_type != "Constant" && node.input.first().is_none_or(String::is_empty))
            || node.output.first().is_none_or(String::is_empty)
        {
            return Err(ContractError::Model(format!(
                "node `{}` ({}) has no {}",
                node.name,
                node.op_type,
                if node.output.first().is_none_or(String::is_empty) {
                    "output"
                } else {
                    "input"
                }
            )));
        }
        if let Some(name) = node
            .input
            .iter()
            .find(|n| !n.is_empty() && !defined.contains(n.as_str()))
        {
            return Err(ContractError::Model(format!(
                "node `{}` ({}) reads `{name}`, which nothing before it defines",
                node.name, node.op_type
            )));
        }
        defined.extend(node.output.iter().map(String::as_str));
    }
    if let Some(output) = graph
        .output
        .iter()
        .find(|o| !defined.contains(o.name.as_str()))
    {
        return Err(ContractError::Model(format!(
            "the graph output `{}` is made by no node",
            output.name
        )));
    }
    Ok(())
}

/// The largest kernel, stride, dilation or padding a convolution or pooling may have: far above
/// the paper's (a pooling over 80 frames), far below where tract's window arithmetic overflows.
const MAX_WINDOW: i64 = 1 << 16;

/// Checks the window attributes of every convolution and pooling: kernel, stride and dilation
/// at least 1, padding at least 0, all at most [`MAX_WINDOW`], one value per spatial axis (two
/// for padding). tract 0.23 indexes these arrays by the input's
/// spatial rank and subtracts 1 from the kernel without checks, so a damaged file made it panic
/// (found by the fuzzer; docs/upstream.md).
fn check_windows(graph: &pb::GraphProto) -> Result<(), ContractError> {
    for node in &graph.node {
        let bad = |what: String| {
            Err(ContractError::Model(format!(
                "node `{}` ({}): {what}",
                node.name, node.op_type
            )))
        };
        let ints = |name: &str| {
            node.attribute
                .iter()
                .find(|a| a.name == name)
                .map(|a| a.ints.clone())
        };
        match node.op_type.as_str() {
            "Conv" | "MaxPool" | "AveragePool" => {
                // Spatial axes: the kernel's, or the weights' rank less two for a Conv without one.
                let weights_rank = node.input.get(1).and_then(|w| {
                    graph
                        .initializer
                        .iter()
                        .find(|t| &t.name == w)
                        .map(|t| t.dims.len() as i64 - 2)
                });
                let kernel = ints("kernel_shape");
                let spatial = match (&kernel, weights_rank) {
                    (Some(k), _) => k.len() as i64,
                    (None, Some(r)) => r,
                    (None, None) => return bad("no kernel shape".to_string()),
                };
                if !(1..=MAX_RANK).contains(&spatial) {
                    return bad(format!("{spatial} spatial axes"));
                }
                for (name, per_axis, least) in [
                    ("kernel_shape", 1, 1),
                    ("strides", 1, 1),
                    ("dilations", 1, 1),
                    ("pads", 2, 0),
                ] {
                    let Some(values) = ints(name) else { continue };
                    if values.len() as i64 != per_axis * spatial {
                        return bad(format!(
                            "{name} has {} values for {spatial} spatial axes",
                            values.len()
                        ));
                    }
                    if let Some(v) = values.iter().find(|v| !(least..=MAX_WINDOW).contains(*v)) {
                        return bad(format!(
                            "{name} value {v} is outside {least}..={MAX_WINDOW}"
                        ));
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// The most dimensions a tensor in a contract model has (`[batch, 1, mels, frames]`), with room.
const MAX_RANK: i64 = 6;

/// Checks every `Squeeze`, `Unsqueeze`, `Flatten` and `Split` axis against the rank of the tensor
/// it applies to, and a `Split`'s sizes against its outputs. Ranks come from the graph (inputs, outputs, value infos, initializers) and are
/// carried through the ops contract models use, in graph order; where a rank stays unknown the
/// axis is held to [`MAX_RANK`]. tract 0.23 panics on an axis outside the tensor
/// (`Squeeze::output_shape`, `Flatten::compute_shape`; found by the fuzzer, see
/// docs/upstream.md); the panic would be caught, but a damaged file deserves a plain answer.
fn check_axes(graph: &pb::GraphProto) -> Result<(), ContractError> {
    let mut ranks: HashMap<&str, i64> = HashMap::new();
    for info in graph
        .input
        .iter()
        .chain(&graph.output)
        .chain(&graph.value_info)
    {
        if let Some(TypeValue::TensorType(t)) = info.r#type.as_ref().and_then(|t| t.value.as_ref())
            && let Some(shape) = &t.shape
        {
            ranks.insert(info.name.as_str(), shape.dim.len() as i64);
        }
    }
    for init in &graph.initializer {
        ranks.insert(init.name.as_str(), init.dims.len() as i64);
    }
    let constant = |name: &str| -> Option<Vec<i64>> {
        let t = graph.initializer.iter().find(|t| t.name == name)?;
        if !t.int64_data.is_empty() {
            return Some(t.int64_data.clone());
        }
        Some(
            t.raw_data
                .chunks_exact(8)
                .map(|b| i64::from_le_bytes(b.try_into().expect("8 bytes")))
                .collect(),
        )
    };
    for node in &graph.node {
        let rank_of = |i: usize| {
            node.input
                .get(i)
                .and_then(|name| ranks.get(name.as_str()))
                .copied()
        };
        let input_rank = rank_of(0);
        let attribute = |name: &str| node.attribute.iter().find(|a| a.name == name);
        let axes = || {
            attribute("axes")
                .map(|a| a.ints.clone())
                .or_else(|| node.input.get(1).and_then(|name| constant(name)))
                .unwrap_or_default()
        };
        let bad = |axis: i64, rank: i64| {
            Err(ContractError::Model(format!(
                "node `{}` ({}): axis {axis} is outside a tensor of {rank} dimensions",
                node.name, node.op_type
            )))
        };
        // Each op's check, and the rank of its output where it follows from its inputs'.
        let output_rank = match node.op_type.as_str() {
            op @ ("Squeeze" | "Unsqueeze") => {
                let axes = axes();
                let k = axes.len() as i64;
                // The rank the axes index: the input's for Squeeze, the output's for Unsqueeze.
                let rank = match (op, input_rank) {
                    ("Squeeze", Some(r)) => r,
                    (_, Some(r)) => r + k,
                    (_, None) => MAX_RANK,
                };
                if let Some(&axis) = axes.iter().find(|&&a| a < -rank || a >= rank) {
                    return bad(axis, rank);
                }
                input_rank.map(|r| if op == "Squeeze" { r - k } else { r + k })
            }
            "Flatten" => {
                let axis = attribute("axis").map_or(1, |a| a.i);
                let rank = input_rank.unwrap_or(MAX_RANK);
                if axis < -rank || axis > rank {
                    return bad(axis, rank);
                }
                Some(2)
            }
            "Split" => {
                let axis = attribute("axis").map_or(0, |a| a.i);
                let rank = input_rank.unwrap_or(MAX_RANK);
                if axis < -rank || axis >= rank {
                    return bad(axis, rank);
                }
                // The sizes, from the attribute or a constant second input: tract makes one
                // output per size and then looks up the node's outputs by index (a panic, in
                // `Expansion::to_typed` or `Split::rules`, where the counts differ).
                let sizes = attribute("split")
                    .map(|a| a.ints.clone())
                    .or_else(|| node.input.get(1).and_then(|name| constant(name)));
                if let Some(sizes) = sizes
                    && (sizes.len() != node.output.len() || sizes.iter().any(|&v| v < 0))
                {
                    return Err(ContractError::Model(format!(
                        "node `{}` (Split): sizes {sizes:?} for {} outputs",
                        node.name,
                        node.output.len()
                    )));
                }
                input_rank
            }
            "Gemm" => Some(2),
            "Reshape" => node
                .input
                .get(1)
                .and_then(|name| constant(name))
                .map(|shape| shape.len() as i64),
            // Ops whose output has their first input's rank (elementwise ones broadcast to the
            // larger of their inputs').
            "Conv" | "MaxPool" | "AveragePool" | "Relu" | "Elu" | "Tanh" | "Sigmoid"
            | "Softmax" | "Concat" | "Identity" | "Dropout" | "BatchNormalization" => input_rank,
            "Add" | "Sub" | "Mul" | "Div" => input_rank.max(rank_of(1)),
            _ => None,
        };
        if let (Some(rank), Some(output)) = (output_rank, node.output.first()) {
            // Out of range ranks (a damaged Reshape) are left unknown.
            if (0..=MAX_RANK).contains(&rank) {
                ranks.entry(output.as_str()).or_insert(rank);
            }
        }
    }
    Ok(())
}

/// H of a state input `[1, B, H]`.
fn state_width(info: &pb::ValueInfoProto) -> Result<usize, ContractError> {
    let dims = declared_dims(info)?;
    match dims.as_slice() {
        [Some(1), _, Some(h)] if *h >= 1 => {
            check_dims(info, &[Dim::Fixed(1), Dim::Batch, Dim::Fixed(*h as usize)])?;
            Ok(*h as usize)
        }
        _ => Err(ContractError::BadShape {
            tensor: info.name.clone(),
            expected: "[1,B,H]".to_string(),
            found: show_dims(&dims),
        }),
    }
}
