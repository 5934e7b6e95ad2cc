//! The plugin's model slots: the default models embedded once in `mcclstm-models` (genre, mood,
//! and dance, off by default), and how a saved choice names them.

pub use mcclstm_models::{SLOTS, SlotSpec, default_model, embedded};

/// What a saved model path of [`SLOTS`]' slot says when the user chose the embedded model of a
/// slot that is off by default (so the choice survives a reload of the project).
pub const EMBEDDED_PATH: &str = "embedded";
