//! The models the plugin ships with, embedded in the binary: MCCLSTM models trained by our
//! trainer on the data the project makes (`cargo xtask models`; each has a model card in
//! `models/`). Dance is embedded but off by default; the editor's "Embedded" button turns it on.

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
        embedded: Some(include_bytes!("../../models/genre.onnx")),
        enabled: true,
    },
    SlotSpec {
        name: "mood",
        embedded: Some(include_bytes!("../../models/mood.onnx")),
        enabled: true,
    },
    SlotSpec {
        name: "dance",
        embedded: Some(include_bytes!("../../models/dance.onnx")),
        enabled: false,
    },
];

/// What a saved model path of [`SLOTS`]' slot says when the user chose the embedded model of a
/// slot that is off by default (so the choice survives a reload of the project).
pub const EMBEDDED_PATH: &str = "embedded";

/// Loads a slot's embedded model, whether or not the slot runs by default.
pub fn embedded(slot: usize) -> Option<Result<Model, ContractError>> {
    SLOTS
        .get(slot)
        .and_then(|s| s.embedded)
        .map(Model::from_bytes)
}

/// The model a slot starts with when the user chose none: the embedded one of a slot that runs
/// by default.
pub fn default_model(slot: usize) -> Option<Result<Model, ContractError>> {
    SLOTS
        .get(slot)
        .filter(|s| s.enabled)
        .and_then(|_| embedded(slot))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_models_pass_the_contract() {
        for (i, spec) in SLOTS.iter().enumerate() {
            let model = embedded(i)
                .unwrap_or_else(|| panic!("{} has no embedded model", spec.name))
                .unwrap_or_else(|e| panic!("{}: {e}", spec.name));
            assert_eq!(model.description().task, spec.name);
        }
        // Genre and mood run by default, dance does not.
        assert!(default_model(0).is_some() && default_model(1).is_some());
        assert!(default_model(2).is_none());
    }
}
