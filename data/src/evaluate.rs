//! `mcclstm evaluate`: a model file's track accuracy on a data set, through the same engine path as
//! `mcclstm analyze` (decode, then the analysis stream: cleaning, the silence gate, resampling,
//! frontend, one step per chunk; the last running estimate).
//! This is how a shipped model is measured on data it never saw, e.g. the time-stretched sets of
//! the default models' cards.

use std::path::PathBuf;

use anyhow::bail;
use mcclstm_engine::stream::{StreamConfig, analyze_stream};
use mcclstm_engine::{Model, audio};
use rayon::prelude::*;
use serde::Serialize;

use crate::dataset::Dataset;
use crate::metrics::Confusion;

/// The result of one evaluation.
#[derive(Debug, Serialize)]
pub struct Evaluation {
    pub labels: Vec<String>,
    pub tracks: usize,
    pub accuracy: f64,
    pub confusion: Confusion,
    /// Tracks that could not be analysed, with the reason.
    pub skipped: Vec<(PathBuf, String)>,
}

/// For each of the data set's labels, its index among the model's `labels` (matched by name, so
/// the order may differ); an error names a label the model does not have.
pub fn model_indices(dataset: &Dataset, labels: &[String]) -> anyhow::Result<Vec<usize>> {
    dataset
        .labels
        .iter()
        .map(|label| match labels.iter().position(|l| l == label) {
            Some(i) => Ok(i),
            None => bail!(
                "the data set's label {label:?} is not one of the model's labels ({})",
                labels.join(", ")
            ),
        })
        .collect()
}

/// Evaluates `model` on every track of `dataset`. The data set's labels must all be labels of the
/// model (matched by name, so the order may differ).
pub fn evaluate(
    model: &Model,
    dataset: &Dataset,
    tick: &(dyn Fn() + Sync),
) -> anyhow::Result<Evaluation> {
    let labels = model.description().labels.clone();
    let to_model = model_indices(dataset, &labels)?;
    let outcomes: Vec<Result<(usize, usize), (PathBuf, String)>> = dataset
        .tracks
        .par_iter()
        .map(|track| {
            let result = audio::decode_file(&track.path)
                .map_err(|e| e.to_string())
                .and_then(|decoded| {
                    let config = StreamConfig::live(decoded.sample_rate);
                    analyze_stream(std::slice::from_ref(model), &decoded.samples, config)
                        .map_err(|e| e.to_string())
                })
                .map(|mut analysis| (to_model[track.label], analysis.models.swap_remove(0).top()))
                .map_err(|reason| (track.path.clone(), reason));
            tick();
            result
        })
        .collect();
    let mut confusion = Confusion::new(&labels);
    let mut skipped = Vec::new();
    for outcome in outcomes {
        match outcome {
            Ok((truth, predicted)) => confusion.add(truth, predicted),
            Err(s) => skipped.push(s),
        }
    }
    let tracks = confusion.total() as usize;
    anyhow::ensure!(tracks > 0, "no track of the data set could be analysed");
    Ok(Evaluation {
        labels,
        tracks,
        accuracy: confusion.accuracy(),
        confusion,
        skipped,
    })
}
