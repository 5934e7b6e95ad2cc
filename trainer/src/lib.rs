//! mcclstm-trainer: the `mcclstm` command's library. Data set readers, the feature cache, the
//! paper's architectures in burn, training and the paper's protocol, the ONNX writer, ONNX Runtime
//! as the reference that checks every export, and the commands themselves.

pub mod analyze;
pub mod arch;
pub mod bin_jobs;
pub mod cache;
pub mod dataset;
pub mod defaults;
pub mod demo;
pub mod evaluate;
pub mod export;
pub mod features;
pub mod make;
pub mod model;
pub mod parity;
pub mod protocol;
pub mod reference;
pub mod report;
pub mod split;
pub mod train;
