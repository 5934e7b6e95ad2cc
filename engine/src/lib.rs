//! mcclstm-engine: the one place where audio becomes features and features become predictions.
//!
//! The plugin, the trainer and the tests all call this crate, so training and live use cannot
//! disagree. Stages, in the order data flows through them:
//!
//! - [`audio`]: decode WAV, FLAC, MP3, Ogg Vorbis and Sun `.au` ([`au`]) to mono `f32` (or to
//!   its channels, as a host plays a file); resample to the model's rate.
//! - [`resample`]: the streaming resampler, for whole files and for live blocks alike.
//! - [`frontend`]: the log-mel frontend (whole-signal and streaming, one implementation) and the
//!   chunk assembler.
//! - [`contract`]: the model file contract of DESIGN.md: load an ONNX file, check it, describe it.
//! - [`runner`]: run a model one chunk at a time, carrying the LSTM state or a running mean.
//! - [`confidence`]: the model's calibration, applied to every output, and the "unsure" verdict.
//! - [`stream`]: the pipeline every caller runs: cleaning, the silence gate, then per model the
//!   resampler, frontend, chunk assembly and runner, with one time convention.

pub mod architecture;
pub mod atomic_file;
pub mod au;
pub mod audio;
pub mod confidence;
pub mod contract;
pub mod error;
pub mod fast;
pub mod frontend;
pub mod resample;
pub mod runner;
pub mod stream;
mod wav;

pub use architecture::Architecture;
pub use confidence::{Confidence, Verdict};
pub use contract::{ModelDescription, ModelKind, Outputs, Summary};
pub use error::{AudioError, ContractError, FrontendError, RunError};
pub use frontend::{ChunkAssembler, FrontendConfig, InputStats, MelFrames, MelFrontend, Preset};
pub use runner::{Model, RunnerChoice, RunnerKind, StepOutput, StreamingRunner, WeakModel};
pub use stream::{
    ChunkEvent, FrameStream, Stream, StreamConfig, StreamEvent, TrackAnalysis, analyze_signal,
};
