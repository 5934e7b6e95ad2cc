//! The default models in `models/`: each passes the model file contract, carries the label set of
//! its task (genre: GTZAN's ten; mood: the soundtrack set's five emotions; dance: the dances of
//! the ABC collection that the data maker keeps), fits the plugin's embedding budget and has its
//! model card.

use std::collections::BTreeSet;
use std::path::PathBuf;

use mcclstm_data::dataset::{GTZAN_GENRES, SOUNDTRACK_EMOTIONS};
use mcclstm_engine::contract;
use mcclstm_synth::abc::DANCES;

/// DESIGN.md: each embedded model stays under 8 MB.
const MAX_BYTES: usize = 8 * 1024 * 1024;

fn models_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn check(name: &str) -> contract::ModelDescription {
    let path = models_dir().join(format!("{name}.onnx"));
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(
        bytes.len() < MAX_BYTES,
        "{name}.onnx is {} bytes",
        bytes.len()
    );
    let card = models_dir().join(format!("{name}.MODEL_CARD.md"));
    let card = std::fs::read_to_string(&card).unwrap_or_else(|e| panic!("{}: {e}", card.display()));
    for section in [
        "## Cross-validation",
        "## Time-stretch robustness",
        "## What this model cannot know",
    ] {
        assert!(card.contains(section), "{name}'s card lacks {section}");
    }
    let checked = contract::check(&bytes).unwrap_or_else(|e| panic!("{name}.onnx: {e}"));
    let description = checked.description;
    assert_eq!(description.task, name);
    assert_eq!(description.architecture, "MCCLSTM");
    // Trained, not a development model.
    assert!(description.metrics.get("validation_accuracy").is_some());
    description
}

fn set(labels: &[impl AsRef<str>]) -> BTreeSet<String> {
    labels.iter().map(|l| l.as_ref().to_string()).collect()
}

#[test]
fn genre_model_has_gtzans_ten_genres() {
    assert_eq!(set(&check("genre").labels), set(&GTZAN_GENRES));
}

#[test]
fn mood_model_has_the_five_soundtrack_emotions() {
    assert_eq!(set(&check("mood").labels), set(&SOUNDTRACK_EMOTIONS));
}

#[test]
fn dance_model_has_dances_of_the_collection() {
    let labels = check("dance").labels;
    assert!(labels.len() >= 4, "{labels:?}");
    assert!(
        labels.iter().all(|l| DANCES.contains(&l.as_str())),
        "{labels:?}"
    );
}
