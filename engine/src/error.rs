//! Error types of the engine, one enum per stage, each naming what went wrong and where.

use std::path::PathBuf;

/// A frontend parameter set that cannot be built.
#[derive(Debug, thiserror::Error)]
pub enum FrontendError {
    #[error("unknown frontend preset `{0}` (known: paper, paper-44k)")]
    UnknownPreset(String),
    #[error("invalid frontend parameter `{field}`: {reason}")]
    Invalid { field: &'static str, reason: String },
}

/// Audio that could not be read or converted.
#[derive(Debug, thiserror::Error)]
pub enum AudioError {
    #[error("{path}: cannot open: {source}")]
    Open {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: not a supported audio file: {reason}")]
    Unsupported { path: PathBuf, reason: String },
    #[error("{path}: decoding failed: {reason}")]
    Decode { path: PathBuf, reason: String },
    #[error("{path}: contains no audio samples")]
    Empty { path: PathBuf },
    #[error("cannot resample from {from} Hz to {to} Hz: {reason}")]
    Resample { from: u32, to: u32, reason: String },
}

/// A model file that breaks the contract of DESIGN.md. Each variant names what is wrong.
#[derive(Debug, thiserror::Error)]
pub enum ContractError {
    #[error("{path}: cannot read the model file: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the model file is empty")]
    Empty,
    #[error("not an ONNX model: {0}")]
    NotOnnx(String),
    #[error("missing metadata `{0}`")]
    MissingMetadata(&'static str),
    #[error("bad metadata `{key}`: {reason}")]
    BadMetadata { key: &'static str, reason: String },
    #[error("unsupported model format version `{0}` (this build reads formats 1 and 2)")]
    UnsupportedFormat(String),
    #[error("missing graph input `{0}`")]
    MissingInput(&'static str),
    #[error("missing graph output `{0}`")]
    MissingOutput(&'static str),
    #[error("unexpected graph input `{0}` (the contract allows mel, h0, c0)")]
    UnexpectedInput(String),
    #[error("`{tensor}` has shape {found}, the contract needs {expected}")]
    BadShape {
        tensor: String,
        expected: String,
        found: String,
    },
    #[error("`{tensor}` has element type {found}, the contract needs float32")]
    BadType { tensor: String, found: i32 },
    #[error("the model cannot be prepared for inference: {0}")]
    Model(String),
    #[error("the model file crashed the model loader (a bug there, caught): {0}")]
    LoaderPanicked(String),
}

/// The message of a caught panic's payload.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_string())
}

/// A failure while running a loaded model.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("chunk has {found} values, the model needs {expected} (mels x frames)")]
    ChunkSize { expected: usize, found: usize },
    #[error("inference failed: {0}")]
    Inference(String),
    #[error("the model produced {0}")]
    BadOutput(String),
}
