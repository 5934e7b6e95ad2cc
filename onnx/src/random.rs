//! Models with random weights: development models for the plugin, the demo and tests, never
//! trained ones, and marked as such in their metadata.

use std::path::Path;

use mcclstm_engine::{Architecture, FrontendConfig, Preset};
use rand::SeedableRng;
use rand::rngs::StdRng;

use crate::arch::ArchConfig;
use crate::export::{self, ExportMeta, Weights};

/// Random weights for `config` and metadata that says so: a development model, for the plugin,
/// the demo and tests, never a trained one.
pub fn random_model(
    config: &ArchConfig,
    task: String,
    labels: Vec<String>,
    preset: Preset,
    seed: u64,
) -> Result<(Weights, ExportMeta), export::ExportError> {
    random_model_reading(config, task, labels, preset.config(), seed)
}

/// [`random_model`] for any frontend, e.g. a preset with more mel bands
/// ([`FrontendConfig::with_mels`]).
pub fn random_model_reading(
    config: &ArchConfig,
    task: String,
    labels: Vec<String>,
    frontend: FrontendConfig,
    seed: u64,
) -> Result<(Weights, ExportMeta), export::ExportError> {
    let mut rng = StdRng::seed_from_u64(seed);
    let weights = Weights::random(
        config,
        frontend.n_mels,
        frontend.chunk_frames,
        labels.len(),
        &mut rng,
    )?;
    let meta = ExportMeta {
        task,
        labels,
        frontend,
        trained_on: serde_json::json!({
            "dataset": "none: random weights (development model)",
            "seed": seed,
        }),
        metrics: serde_json::json!({}),
        outputs: mcclstm_engine::Outputs::Exclusive,
    };
    Ok((weights, meta))
}

/// An MCCLSTM genre model with random weights and the given labels, marked as untrained in its
/// metadata.
pub fn write_development_model(path: &Path, labels: &[&str]) -> Result<(), export::ExportError> {
    let config = ArchConfig::paper(Architecture::Mcclstm);
    let labels = labels.iter().map(|s| s.to_string()).collect();
    let (weights, meta) = random_model(&config, "genre".to_string(), labels, Preset::Paper, 2017)?;
    export::write_model(path, &export::model_bytes(&config, &weights, &meta)?)
}
