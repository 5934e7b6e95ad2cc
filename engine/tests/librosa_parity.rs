//! The frontend against librosa 0.11 on the committed fixture (scripts/librosa_fixture.py).

use std::path::PathBuf;

use mcclstm_engine::frontend::{MelFrontend, Preset};

fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/librosa")
}

fn read_f32(name: &str) -> Vec<f32> {
    let bytes = std::fs::read(fixture_dir().join(name)).expect("fixture file is committed");
    bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

fn check_preset(preset: Preset) {
    let meta: serde_json::Value = serde_json::from_slice(
        &std::fs::read(fixture_dir().join(format!("{preset}.json"))).unwrap(),
    )
    .unwrap();
    let signal = read_f32(&format!("{preset}-signal.f32"));
    let expected = read_f32(&format!("{preset}-logmel.f32"));
    let config = preset.config();
    assert_eq!(meta["sample_rate"], config.sample_rate);
    assert_eq!(meta["n_mels"], config.n_mels);

    let frames = MelFrontend::from_preset(preset).process_signal(&signal);
    assert_eq!(frames.len(), meta["frames"].as_u64().unwrap() as usize);
    assert_eq!(frames.data.len(), expected.len());
    let max_diff = frames
        .data
        .iter()
        .zip(&expected)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    eprintln!(
        "{preset}: max abs difference to librosa {max_diff:.2e} dB over {} values",
        expected.len()
    );
    // DESIGN.md's parity target: below 1e-3 dB on every band of every frame.
    assert!(
        max_diff < 1e-3,
        "{preset}: max |ours - librosa| = {max_diff} dB"
    );
}

#[test]
fn paper_preset_matches_librosa_within_1e_3_db() {
    check_preset(Preset::Paper);
}

#[test]
fn paper_44k_preset_matches_librosa_within_1e_3_db() {
    check_preset(Preset::Paper44k);
}
