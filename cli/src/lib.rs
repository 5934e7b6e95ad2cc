//! mcclstm-cli: the `mcclstm` command's library. It depends on the engine, the embedded models and
//! the data set readers only; training lives in `mcclstm-trainer` (`mcclstm-train`).
//!
//! - [`analyze`]: `mcclstm analyze`: files through the analysis stream, as text or JSON.
//! - [`features`]: `mcclstm features`: log-mel frames as `.npy`.
//! - [`evaluate`]: `mcclstm evaluate`: a model's accuracy on a data set.
//! - [`calibrate`]: `mcclstm calibrate`: a model's temperature and "unsure" threshold, fitted on
//!   held-out audio and stored in the model file.
//! - [`demo`]: the demo track.
//! - [`training`]: hands the training commands to `mcclstm-train`.

pub mod analyze;
pub mod calibrate;
pub mod demo;
pub mod evaluate;
pub mod features;
pub mod summary;
pub mod training;
