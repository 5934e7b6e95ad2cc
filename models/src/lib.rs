//! The default models, embedded once: MCCLSTM models trained by our trainer on the data the
//! project makes (`cargo xtask models`; each has a model card beside it in `models/`). The plugin
//! runs them in its slots and `mcclstm analyze` uses genre and mood when no `--model` is given.
//! Dance and style are embedded but off by default (the editor's "Embedded" button turns them
//! on). Style is multi-label: independent tags (model format 2).

use mcclstm_engine::{ContractError, Model};

/// One model slot: what it is called and the model it starts with.
pub struct SlotSpec {
    pub name: &'static str,
    pub embedded: Option<&'static [u8]>,
    /// Whether the slot runs by default (in the plugin, and in `mcclstm analyze`).
    pub enabled: bool,
}

/// Genre, mood, dance and style, in the plugin's slot order.
pub const SLOTS: [SlotSpec; 4] = [
    SlotSpec {
        name: "genre",
        embedded: Some(include_bytes!("../genre.onnx")),
        enabled: true,
    },
    SlotSpec {
        name: "mood",
        embedded: Some(include_bytes!("../mood.onnx")),
        enabled: true,
    },
    SlotSpec {
        name: "dance",
        embedded: Some(include_bytes!("../dance.onnx")),
        enabled: false,
    },
    SlotSpec {
        name: "style",
        embedded: Some(include_bytes!("../style.onnx")),
        enabled: false,
    },
];

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

/// The models that run by default, with their slot names, in slot order (genre, mood).
pub fn defaults() -> Vec<(&'static str, Result<Model, ContractError>)> {
    SLOTS
        .iter()
        .enumerate()
        .filter_map(|(slot, spec)| default_model(slot).map(|m| (spec.name, m)))
        .collect()
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
        let names: Vec<&str> = defaults().iter().map(|(n, _)| *n).collect();
        assert_eq!(names, ["genre", "mood"]);
    }
}
