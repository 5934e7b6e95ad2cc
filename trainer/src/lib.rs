//! mcclstm-trainer: training the paper's architectures on a data set.
//!
//! - [`model`]: the architectures as burn modules, each with its config beside it.
//! - [`train`]: fitting one model (batches, early stopping, checkpoints and resume).
//! - [`protocol`]: the paper's protocol: train one architecture or cross-validate several on the
//!   same splits, export checked model files, write model cards and the accuracy table.
//! - [`plot`]: the confusion matrix as a PNG.
//! - [`card`]: model cards as data, rendered to Markdown by one function.
//! - [`commands`]: the command-line front of `mcclstm-train` (arguments, progress, output).
//!
//! Data sets, splits and the feature cache are `mcclstm-data`'s; the ONNX writer and its check
//! are `mcclstm-onnx`'s; the synthetic data maker is `mcclstm-synth`.

pub mod card;
pub mod commands;
pub mod model;
pub mod plot;
pub mod protocol;
pub mod train;
