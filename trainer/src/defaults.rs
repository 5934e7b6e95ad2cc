//! The default models, embedded in the `mcclstm` binary: `mcclstm analyze` uses them when no
//! `--model` is given. They are the plugin's models (`models/genre.onnx`, `models/mood.onnx`,
//! trained by `cargo xtask models`; see their model cards).

use std::path::PathBuf;

use anyhow::Context;
use mcclstm_engine::Model;

use crate::analyze::NamedModel;

/// (name, bytes) of each default model, in the order `analyze` reports them.
pub const MODELS: [(&str, &[u8]); 2] = [
    ("genre", include_bytes!("../../models/genre.onnx")),
    ("mood", include_bytes!("../../models/mood.onnx")),
];

/// The embedded models, loaded; their path reads `embedded:genre` and `embedded:mood`.
pub fn load() -> anyhow::Result<Vec<NamedModel>> {
    MODELS
        .iter()
        .map(|(name, bytes)| {
            let model =
                Model::from_bytes(bytes).with_context(|| format!("the embedded {name} model"))?;
            Ok(NamedModel {
                path: PathBuf::from(format!("embedded:{name}")),
                model,
            })
        })
        .collect()
}
