//! What the host suites share: the `mcclstm-host` child, the `mcclstm` command, bit views.
#![allow(dead_code)] // Each suite uses its own part.

use std::path::PathBuf;
use std::process::Command;

use mcclstm_tests::HistoryEntry;

/// Runs the `mcclstm-host` child process with `args` and returns its JSON summary. A child dies
/// alone (an allocation in `process()` aborts it), and the death is a failed assertion here.
pub fn host(args: &[&str]) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_mcclstm-host"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "mcclstm-host {args:?} died ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

pub fn bits(x: &[f32]) -> Vec<u32> {
    x.iter().map(|s| s.to_bits()).collect()
}

/// The `mcclstm` command users run: `MCCLSTM_BIN`, else the debug build `cargo xtask test`
/// makes (the cli crate's tests build it). Missing is a failure, never a skip.
pub fn mcclstm_bin() -> PathBuf {
    let path = std::env::var_os("MCCLSTM_BIN").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/debug/mcclstm"),
        PathBuf::from,
    );
    assert!(
        path.is_file(),
        "{} is missing (MCCLSTM_BIN): build it with `cargo build -p mcclstm-cli --bin mcclstm`",
        path.display()
    );
    path
}

/// Per task (genre, mood), every chunk `mcclstm analyze --json FILE` prints with the embedded
/// default models.
pub fn analyze_timeline(file: &std::path::Path) -> Vec<(String, Vec<AnalyzedChunk>)> {
    let out = Command::new(mcclstm_bin())
        .arg("analyze")
        .arg(file)
        .arg("--json")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "mcclstm analyze {} failed: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    json[0]["models"]
        .as_array()
        .expect("models in the JSON")
        .iter()
        .map(|m| {
            let chunks = serde_json::from_value(m["chunks"].clone()).unwrap();
            (m["task"].as_str().unwrap().to_string(), chunks)
        })
        .collect()
}

/// Per task (genre, mood), the running track estimate after each chunk that `mcclstm analyze
/// --json FILE` prints with the embedded default models.
pub fn analyze_chunks(file: &std::path::Path) -> Vec<(String, Vec<Vec<f32>>)> {
    analyze_timeline(file)
        .into_iter()
        .map(|(task, chunks)| (task, chunks.into_iter().map(|c| c.track).collect()))
        .collect()
}

/// One chunk as `mcclstm analyze --json` prints it.
#[derive(Clone, Debug, serde::Deserialize)]
pub struct AnalyzedChunk {
    pub segment: u64,
    pub index: u64,
    pub start_s: f64,
    pub end_s: f64,
    pub track: Vec<f32>,
}

/// The largest difference between a slot's saved chunks and a reference per chunk.
pub fn max_diff(live: &[HistoryEntry], reference: &[Vec<f32>]) -> f32 {
    assert_eq!(live.len(), reference.len(), "chunk count");
    live.iter()
        .zip(reference)
        .flat_map(|(l, o)| {
            assert_eq!(l.probs.len(), o.len(), "class count");
            l.probs.iter().zip(o).map(|(a, b)| (a - b).abs())
        })
        .fold(0.0f32, f32::max)
}
