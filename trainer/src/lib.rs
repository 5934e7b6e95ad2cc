//! mcclstm-trainer: the `mcclstm` command's library. Architecture configuration, the ONNX writer,
//! ONNX Runtime as the reference that checks every export, and the commands themselves.

pub mod analyze;
pub mod arch;
pub mod demo;
pub mod export;
pub mod features;
pub mod parity;
pub mod reference;
