//! `mcclstm evaluate`: a model file's track accuracy on a data set, through the same engine path as
//! `mcclstm analyze` (decode, then the analysis stream: cleaning, the silence gate, resampling,
//! frontend, one step per chunk; the last running estimate).
//! This is how a shipped model is measured on data it never saw, e.g. the time-stretched sets of
//! the default models' cards.

use std::path::{Path, PathBuf};

use anyhow::bail;
use mcclstm_engine::Model;
use mcclstm_engine::stream::{Analyzer, StreamConfig, TrackAnalysis};
use rayon::prelude::*;
use serde::Serialize;

use crate::dataset::Dataset;
use crate::metrics::{Confusion, roc_auc};

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

/// One file through the analyser's model on the engine's path (decoded a packet at a time into
/// the live analysis stream), as `mcclstm analyze` runs it; the error is the reason, for a
/// skipped-files listing. The analyser is kept across tracks, so its stream (resampler,
/// frontend, runner) is built once per rate, not once per file.
pub fn analyze_track(analyzer: &mut Analyzer, path: &Path) -> Result<TrackAnalysis, String> {
    let file = analyzer
        .analyze_file(path, StreamConfig::live)
        .map_err(|e| e.to_string())?;
    let mut analysis = file.analysis.map_err(|e| e.to_string())?;
    Ok(analysis.models.swap_remove(0))
}

/// An analyser of `model` for each worker of a parallel evaluation.
pub(crate) fn worker(model: &Model) -> impl Fn() -> Analyzer + Sync + Send + '_ {
    move || Analyzer::new(vec![model.clone()])
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
        .map_init(worker(model), |analyzer, track| {
            let result = analyze_track(analyzer, &track.path)
                .map(|analysis| (to_model[track.label], analysis.top()))
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

/// A tag counts as present in a chunk when its target probability is at least this: the
/// threshold at which `analyze` and the plugin show a tag.
pub const TAG_ON: f32 = mcclstm_engine::confidence::TAG_PRESENT;

/// One tag's figures in a [`TagEvaluation`].
#[derive(Debug, Serialize)]
pub struct TagFigures {
    pub tag: String,
    /// Chunks whose target is at least [`TAG_ON`], and the others.
    pub positives: usize,
    pub negatives: usize,
    /// How well the model's probability ranks present above absent chunks; `None` without a
    /// positive or a negative chunk.
    pub roc_auc: Option<f64>,
}

/// A multi-label model against a tag CSV's per-chunk targets (a teacher's tags).
#[derive(Debug, Serialize)]
pub struct TagEvaluation {
    pub tracks: usize,
    pub chunks: usize,
    /// The threshold that makes a target "present" ([`TAG_ON`]).
    pub on_at: f32,
    pub tags: Vec<TagFigures>,
    /// Tracks that could not be analysed, with the reason.
    pub skipped: Vec<(PathBuf, String)>,
}

/// Evaluates a multi-label `model` on a tag data set ([`crate::dataset::DatasetKind::Tags`]),
/// chunk by chunk: the model's output for each chunk (for a stateful model, with the state of
/// every chunk before it, as it runs live) against the chunk's target, a tag present at
/// [`TAG_ON`] or more; per tag, the ROC-AUC over every taught chunk of every track. Chunks are
/// matched by their start time, so a silence that resets the stream does not shift them.
pub fn evaluate_tags(
    model: &Model,
    dataset: &Dataset,
    tick: &(dyn Fn() + Sync),
) -> anyhow::Result<TagEvaluation> {
    let labels = model.description().labels.clone();
    let to_model = model_indices(dataset, &labels)?;
    let hop_s = model.description().frontend.chunk_seconds();
    type Pairs = Vec<(Vec<f32>, Vec<f32>)>;
    let outcomes: Vec<Result<Pairs, (PathBuf, String)>> = dataset
        .tracks
        .par_iter()
        .map_init(worker(model), |analyzer, track| {
            let result = analyze_track(analyzer, &track.path)
                .map(|analysis| {
                    let soft = track.soft.as_ref();
                    analysis
                        .chunks
                        .into_iter()
                        .filter_map(|c| {
                            let k = (c.start_s / hop_s).round() as usize;
                            let target = soft?.row(k)?;
                            let mut truth = vec![0.0f32; labels.len()];
                            for (i, &t) in target.iter().enumerate() {
                                truth[to_model[i]] = t;
                            }
                            Some((c.probs, truth))
                        })
                        .collect()
                })
                .map_err(|reason| (track.path.clone(), reason));
            tick();
            result
        })
        .collect();
    let mut pairs = Vec::new();
    let mut skipped = Vec::new();
    let mut tracks = 0;
    for outcome in outcomes {
        match outcome {
            Ok(p) => {
                tracks += 1;
                pairs.extend(p);
            }
            Err(s) => skipped.push(s),
        }
    }
    anyhow::ensure!(
        !pairs.is_empty(),
        "no chunk of the data set could be analysed and matched to a target"
    );
    let tags = dataset
        .labels
        .iter()
        .map(|tag| {
            let i = labels.iter().position(|l| l == tag).unwrap_or_default();
            let scores: Vec<f32> = pairs.iter().map(|(p, _)| p[i]).collect();
            let truth: Vec<bool> = pairs.iter().map(|(_, t)| t[i] >= TAG_ON).collect();
            let positives = truth.iter().filter(|&&t| t).count();
            TagFigures {
                tag: tag.clone(),
                positives,
                negatives: truth.len() - positives,
                roc_auc: roc_auc(&scores, &truth),
            }
        })
        .collect();
    Ok(TagEvaluation {
        tracks,
        chunks: pairs.len(),
        on_at: TAG_ON,
        tags,
        skipped,
    })
}
