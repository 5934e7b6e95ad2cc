//! mcclstm-onnx: model files for the contract of `mcclstm_engine::contract`.
//!
//! - [`arch`]: the paper's architectures as plain configuration (Tables 1-2).
//! - [`export`]: the ONNX writer: a graph per architecture, weights as initializers, metadata.
//! - [`reference`]: ONNX Runtime (ort, load-dynamic) as the independent reference.
//! - [`parity`]: the check every export passes before it is written: tract and ONNX Runtime
//!   agree on a sequence of probe chunks and on its state roll-out.
//! - [`random`]: development models with random weights.
//!
//! No training code: the trainer fills [`export::Weights`] from its burn models.

pub mod arch;
pub mod export;
pub mod parity;
pub mod random;
pub mod reference;
