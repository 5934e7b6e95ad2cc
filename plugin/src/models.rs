//! The models the plugin ships with, embedded in the binary.
//!
//! Until trained default models land, these are development models written by our ONNX writer
//! with random weights (see `models/README.md`): they exercise the whole live path, and the editor
//! says they are untrained.

use mcclstm_engine::{ContractError, Model};

/// One model slot: what the editor calls it and the model it starts with.
pub struct SlotSpec {
    pub name: &'static str,
    pub embedded: Option<&'static [u8]>,
    /// Whether the slot runs by default.
    pub enabled: bool,
}

/// Genre, mood and dance, in the order of [`crate::published::Published::slots`].
pub const SLOTS: [SlotSpec; 3] = [
    SlotSpec {
        name: "genre",
        embedded: Some(include_bytes!("../../models/dev-genre.onnx")),
        enabled: true,
    },
    SlotSpec {
        name: "mood",
        embedded: Some(include_bytes!("../../models/dev-mood.onnx")),
        enabled: true,
    },
    SlotSpec {
        name: "dance",
        embedded: None,
        enabled: false,
    },
];

/// Loads a slot's embedded model.
pub fn embedded(slot: usize) -> Option<Result<Model, ContractError>> {
    SLOTS
        .get(slot)
        .and_then(|s| s.embedded.filter(|_| s.enabled))
        .map(Model::from_bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_models_pass_the_contract() {
        for (i, spec) in SLOTS.iter().enumerate() {
            if let Some(model) = embedded(i) {
                let model = model.unwrap_or_else(|e| panic!("{}: {e}", spec.name));
                assert_eq!(model.description().task, spec.name);
            }
        }
    }
}
