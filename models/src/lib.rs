//! The default models, embedded once: MCCLSTM models trained by our trainer on the data the
//! project makes (`cargo xtask models`; each has a model card beside it in `models/`). The plugin
//! runs them in its slots and `mcclstm analyze` uses genre and mood when no `--model` is given.
//! Dance and style are embedded but off by default (the editor's "Embedded" button turns them
//! on). Style is multi-label: independent tags (model format 2).

use std::sync::{Mutex, PoisonError};

use mcclstm_engine::{ContractError, Model, WeakModel};

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

/// The embedded models loaded in this process, by slot, held weakly: every plugin instance (and
/// every `analyze` job) that asks for a slot's embedded model while another still holds it shares
/// that one copy of its weights (a model is immutable; each runner has its own state and
/// buffers), and the last to drop it frees it.
static LOADED: Mutex<[Option<WeakModel>; SLOTS.len()]> = Mutex::new([const { None }; SLOTS.len()]);

/// A slot's embedded model, whether or not the slot runs by default: the copy already loaded in
/// this process if there is one, else loaded now.
pub fn embedded(slot: usize) -> Option<Result<Model, ContractError>> {
    let bytes = SLOTS.get(slot)?.embedded?;
    // Nothing is left half-done under the lock, so a poisoned one is still consistent. Loading
    // under it keeps two instances starting at once from loading the same model twice.
    let mut loaded = LOADED.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(model) = loaded[slot].as_ref().and_then(WeakModel::upgrade) {
        return Some(Ok(model));
    }
    let model = Model::from_bytes(bytes);
    if let Ok(model) = &model {
        loaded[slot] = Some(model.downgrade());
    }
    Some(model)
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
        for (i, spec) in SLOTS.iter().enumerate().filter(|(_, s)| s.name != "style") {
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

    #[test]
    fn an_embedded_model_is_loaded_once_while_held_and_freed_after() {
        // Only this test touches the style slot, so no other test holds it meanwhile.
        let slot = SLOTS.iter().position(|s| s.name == "style").unwrap();
        let first = embedded(slot).unwrap().unwrap();
        let second = embedded(slot).unwrap().unwrap();
        let mood = embedded(1).unwrap().unwrap();
        assert!(first.is_same_loaded_model(&second));
        assert!(!first.is_same_loaded_model(&mood));
        let weak = first.downgrade();
        drop((first, second));
        assert!(
            weak.upgrade().is_none(),
            "the last user's drop frees the model"
        );
        let again = embedded(slot).unwrap().unwrap();
        assert_eq!(again.description().task, "style");
    }
}
