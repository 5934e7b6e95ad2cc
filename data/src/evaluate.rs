//! `mcclstm evaluate`: a model file's track accuracy on a data set, through the same engine path as
//! `mcclstm analyze` (decode, then the analysis stream: cleaning, the silence gate, resampling,
//! frontend, one step per chunk; the mean of the outputs over the track's chunks).
//! This is how a shipped model is measured on data it never saw, e.g. the time-stretched sets of
//! the default models' cards.

use std::path::{Path, PathBuf};

use anyhow::bail;
use mcclstm_engine::Model;
use mcclstm_engine::stream::{Analyzer, StreamConfig, TrackAnalysis};
use rayon::prelude::*;
use serde::Serialize;

use crate::dataset::Dataset;
use crate::metrics::{
    BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED, Confusion, Interval, bootstrap_by_unit,
    percentile_interval, roc_auc, wilson_interval,
};

/// The result of one evaluation.
#[derive(Debug, Serialize)]
pub struct Evaluation {
    pub labels: Vec<String>,
    pub tracks: usize,
    pub accuracy: f64,
    /// Wilson's 95% interval of the accuracy over this many tracks.
    pub accuracy_interval: Option<Interval>,
    pub confusion: Confusion,
    /// Every analysed track's outcome, in the data set's order: which tracks the model gets
    /// wrong, and what it called them.
    pub per_track: Vec<TrackOutcome>,
    /// Tracks that could not be analysed, with the reason.
    pub skipped: Vec<(PathBuf, String)>,
}

/// One track's outcome in an [`Evaluation`].
#[derive(Debug, Serialize)]
pub struct TrackOutcome {
    pub path: PathBuf,
    pub label: String,
    /// The model's top class of the track's summary.
    pub predicted: String,
    /// The track's summary by the model's rule: one probability per model label.
    pub summary: Vec<f32>,
}

impl TrackOutcome {
    pub fn correct(&self) -> bool {
        self.label == self.predicted
    }
}

/// For each label of `from`, its index in `into` (matched by name, so the order may differ), or
/// the first label `into` does not have.
pub fn indices_by_name<'a>(from: &'a [String], into: &[String]) -> Result<Vec<usize>, &'a str> {
    from.iter()
        .map(|label| into.iter().position(|l| l == label).ok_or(label.as_str()))
        .collect()
}

/// For each of the data set's labels, its index among the model's `labels` (matched by name, so
/// the order may differ); an error names a label the model does not have.
pub fn model_indices(dataset: &Dataset, labels: &[String]) -> anyhow::Result<Vec<usize>> {
    indices_by_name(&dataset.labels, labels).or_else(|label| {
        bail!(
            "the data set's label {label:?} is not one of the model's labels ({})",
            labels.join(", ")
        )
    })
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
    let outcomes: Vec<Result<(usize, TrackAnalysis), (PathBuf, String)>> = dataset
        .tracks
        .par_iter()
        .map_init(worker(model), |analyzer, track| {
            let result = analyze_track(analyzer, &track.path)
                .map(|analysis| (to_model[track.label], analysis))
                .map_err(|reason| (track.path.clone(), reason));
            tick();
            result
        })
        .collect();
    let mut confusion = Confusion::new(&labels);
    let mut per_track = Vec::new();
    let mut skipped = Vec::new();
    for (track, outcome) in dataset.tracks.iter().zip(outcomes) {
        match outcome {
            Ok((truth, analysis)) => {
                let predicted = analysis.top();
                confusion.add(truth, predicted);
                per_track.push(TrackOutcome {
                    path: track.path.clone(),
                    label: labels[truth].clone(),
                    predicted: labels[predicted].clone(),
                    summary: analysis.summary,
                });
            }
            Err(s) => skipped.push(s),
        }
    }
    let tracks = confusion.total() as usize;
    anyhow::ensure!(tracks > 0, "no track of the data set could be analysed");
    Ok(Evaluation {
        labels,
        tracks,
        accuracy: confusion.accuracy(),
        accuracy_interval: wilson_interval(confusion.correct() as usize, tracks),
        confusion,
        per_track,
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
    /// Tracks with at least one present chunk: how many recordings the figure rests on.
    pub positive_tracks: usize,
    /// How well the model's probability ranks present above absent chunks; `None` without a
    /// positive or a negative chunk.
    pub roc_auc: Option<f64>,
    /// Its 95% interval, from a bootstrap over whole tracks ([`TagEvaluation::resamples`]).
    pub interval: Option<Interval>,
}

/// A multi-label model against a tag CSV's per-chunk targets (a teacher's tags).
#[derive(Debug, Serialize)]
pub struct TagEvaluation {
    pub tracks: usize,
    pub chunks: usize,
    /// The threshold that makes a target "present" ([`TAG_ON`]).
    pub on_at: f32,
    pub tags: Vec<TagFigures>,
    /// The mean ROC-AUC over the tags that have one, and its 95% interval.
    pub mean_roc_auc: Option<f64>,
    pub mean_interval: Option<Interval>,
    /// Resamples of the bootstrap over tracks behind every interval (seeded: an evaluation
    /// repeats exactly).
    pub resamples: usize,
    /// Tracks that could not be analysed, with the reason.
    pub skipped: Vec<(PathBuf, String)>,
    /// The chunks behind the figures, for a paired comparison ([`compare_tags`]).
    #[serde(skip)]
    pub scored: TagChunks,
}

/// A model's outputs on the taught chunks of a tag data set, tag by tag.
#[derive(Clone, Debug, Default)]
pub struct TagChunks {
    /// Per chunk: the track (its index in the data set) and the chunk's number in it.
    pub keys: Vec<(usize, usize)>,
    /// `scores[tag][chunk]`: the model's probability of each of the data set's tags.
    pub scores: Vec<Vec<f32>>,
    /// `present[tag][chunk]`: the target is at least [`TAG_ON`].
    pub present: Vec<Vec<bool>>,
}

impl TagChunks {
    fn track_of(&self) -> Vec<usize> {
        self.keys.iter().map(|&(t, _)| t).collect()
    }

    /// ROC-AUC of each tag over the chunks `at` (a chunk listed twice counts twice).
    fn aucs(&self, at: &[usize]) -> Vec<Option<f64>> {
        let mut scores = Vec::with_capacity(at.len());
        let mut present = Vec::with_capacity(at.len());
        self.scores
            .iter()
            .zip(&self.present)
            .map(|(s, p)| {
                scores.clear();
                present.clear();
                scores.extend(at.iter().map(|&i| s[i]));
                present.extend(at.iter().map(|&i| p[i]));
                roc_auc(&scores, &present)
            })
            .collect()
    }
}

/// The mean of `values` over the tags in `counted`; `None` when one of them is undefined.
fn mean_of(values: &[Option<f64>], counted: &[bool]) -> Option<f64> {
    let mut sum = 0.0;
    let mut n = 0;
    for (v, &c) in values.iter().zip(counted) {
        if c {
            sum += (*v)?;
            n += 1;
        }
    }
    (n > 0).then(|| sum / n as f64)
}

/// A figure per tag and their mean, each with its 95% interval.
struct Figures {
    per_tag: Vec<(Option<f64>, Option<Interval>)>,
    mean: Option<f64>,
    mean_interval: Option<Interval>,
}

/// The per-tag and mean figures of `statistic` (a value per tag for a set of chunks) over all
/// chunks, with 95% intervals from a bootstrap over the tracks of `track_of`.
fn with_intervals(
    track_of: &[usize],
    statistic: impl Fn(&[usize]) -> Vec<Option<f64>> + Sync,
) -> Figures {
    let all: Vec<usize> = (0..track_of.len()).collect();
    let point = statistic(&all);
    let counted: Vec<bool> = point.iter().map(Option::is_some).collect();
    let draws = bootstrap_by_unit(track_of, BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED, |at| {
        let values = statistic(at);
        let mean = mean_of(&values, &counted);
        (values, mean)
    });
    let per_tag = point
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            let column: Vec<Option<f64>> = draws.iter().map(|(d, _)| d[i]).collect();
            (v, v.and(percentile_interval(&column)))
        })
        .collect();
    let means: Vec<Option<f64>> = draws.iter().map(|(_, m)| *m).collect();
    let mean = mean_of(&point, &counted);
    Figures {
        per_tag,
        mean,
        mean_interval: mean.and(percentile_interval(&means)),
    }
}

/// Evaluates a multi-label `model` on a tag data set ([`crate::dataset::DatasetKind::Tags`]),
/// chunk by chunk: the model's output for each chunk (for a stateful model, with the state of
/// every chunk before it, as it runs live) against the chunk's target, a tag present at
/// [`TAG_ON`] or more; per tag, the ROC-AUC over every taught chunk of every track, with a 95%
/// interval from a bootstrap over tracks. Chunks are matched by their start time, so a silence
/// that resets the stream does not shift them.
pub fn evaluate_tags(
    model: &Model,
    dataset: &Dataset,
    tick: &(dyn Fn() + Sync),
) -> anyhow::Result<TagEvaluation> {
    let labels = model.description().labels.clone();
    let to_model = model_indices(dataset, &labels)?;
    let hop_s = model.description().frontend.chunk_seconds();
    type Scored = Vec<(usize, Vec<f32>, Vec<f32>)>;
    let outcomes: Vec<Result<Scored, (PathBuf, String)>> = dataset
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
                            let scores = to_model.iter().map(|&m| c.probs[m]).collect();
                            Some((k, scores, target.to_vec()))
                        })
                        .collect()
                })
                .map_err(|reason| (track.path.clone(), reason));
            tick();
            result
        })
        .collect();
    let n_tags = dataset.labels.len();
    let mut scored = TagChunks {
        keys: Vec::new(),
        scores: vec![Vec::new(); n_tags],
        present: vec![Vec::new(); n_tags],
    };
    let mut skipped = Vec::new();
    let mut tracks = 0;
    for (t, outcome) in outcomes.into_iter().enumerate() {
        match outcome {
            Ok(chunks) => {
                tracks += 1;
                for (k, scores, target) in chunks {
                    scored.keys.push((t, k));
                    for i in 0..n_tags {
                        scored.scores[i].push(scores[i]);
                        scored.present[i].push(target[i] >= TAG_ON);
                    }
                }
            }
            Err(s) => skipped.push(s),
        }
    }
    anyhow::ensure!(
        !scored.keys.is_empty(),
        "no chunk of the data set could be analysed and matched to a target"
    );
    let track_of = scored.track_of();
    let Figures {
        per_tag: figures,
        mean: mean_roc_auc,
        mean_interval,
    } = with_intervals(&track_of, |at| scored.aucs(at));
    let tags = dataset
        .labels
        .iter()
        .zip(figures)
        .enumerate()
        .map(|(i, (tag, (roc_auc, interval)))| {
            let present = &scored.present[i];
            let positives = present.iter().filter(|&&p| p).count();
            let mut with_tag: Vec<usize> = track_of
                .iter()
                .zip(present)
                .filter(|&(_, &p)| p)
                .map(|(&t, _)| t)
                .collect();
            with_tag.dedup();
            TagFigures {
                tag: tag.clone(),
                positives,
                negatives: present.len() - positives,
                positive_tracks: with_tag.len(),
                roc_auc,
                interval,
            }
        })
        .collect();
    Ok(TagEvaluation {
        tracks,
        chunks: scored.keys.len(),
        on_at: TAG_ON,
        tags,
        mean_roc_auc,
        mean_interval,
        resamples: BOOTSTRAP_RESAMPLES,
        skipped,
        scored,
    })
}

/// One tag's difference in a [`TagComparison`].
#[derive(Debug, Serialize)]
pub struct TagDifference {
    pub tag: String,
    /// The model's ROC-AUC minus the other model's, on the same chunks.
    pub difference: Option<f64>,
    /// Its 95% interval from a paired bootstrap over tracks: both models on the same draws.
    pub interval: Option<Interval>,
}

/// Two multi-label models on the same chunks of one tag data set: per tag and on the mean, how
/// much better the first ranks them, and whether that is more than the tracks' draw explains.
#[derive(Debug, Serialize)]
pub struct TagComparison {
    /// Chunks both models scored (the same track and chunk number).
    pub chunks: usize,
    pub tags: Vec<TagDifference>,
    pub mean_difference: Option<f64>,
    pub mean_interval: Option<Interval>,
    pub resamples: usize,
}

/// Compares `model` with `other`, evaluated ([`evaluate_tags`]) on the same tag data set, on the
/// chunks both scored: a paired bootstrap over tracks, so the tracks that are hard for both do
/// not widen the interval of the difference.
pub fn compare_tags(model: &TagEvaluation, other: &TagEvaluation) -> anyhow::Result<TagComparison> {
    let (a, b) = (&model.scored, &other.scored);
    anyhow::ensure!(
        a.scores.len() == b.scores.len(),
        "the two evaluations have different tags"
    );
    let index: std::collections::HashMap<(usize, usize), usize> =
        b.keys.iter().enumerate().map(|(i, &k)| (k, i)).collect();
    let (mine, theirs): (Vec<usize>, Vec<usize>) = a
        .keys
        .iter()
        .enumerate()
        .filter_map(|(i, k)| Some((i, *index.get(k)?)))
        .unzip();
    anyhow::ensure!(
        !mine.is_empty(),
        "the two models share no chunk (their chunks must start at the same times)"
    );
    let track_of: Vec<usize> = mine.iter().map(|&i| a.keys[i].0).collect();
    let Figures {
        per_tag: figures,
        mean: mean_difference,
        mean_interval,
    } = with_intervals(&track_of, |at| {
        let at_a: Vec<usize> = at.iter().map(|&j| mine[j]).collect();
        let at_b: Vec<usize> = at.iter().map(|&j| theirs[j]).collect();
        a.aucs(&at_a)
            .into_iter()
            .zip(b.aucs(&at_b))
            .map(|(x, y)| Some(x? - y?))
            .collect()
    });
    Ok(TagComparison {
        chunks: mine.len(),
        tags: model
            .tags
            .iter()
            .zip(figures)
            .map(|(t, (difference, interval))| TagDifference {
                tag: t.tag.clone(),
                difference,
                interval,
            })
            .collect(),
        mean_difference,
        mean_interval,
        resamples: BOOTSTRAP_RESAMPLES,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 12 tracks of 10 chunks with one tag, present in every other chunk; `skill` is how much of
    /// the truth the scores carry (0: none), `seed` draws the rest.
    fn scored(skill: f32, seed: u64) -> TagChunks {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let mut chunks = TagChunks {
            keys: Vec::new(),
            scores: vec![Vec::new()],
            present: vec![Vec::new()],
        };
        for t in 0..12 {
            for k in 0..10 {
                let present = (t + k) % 2 == 0;
                chunks.keys.push((t, k));
                chunks.present[0].push(present);
                let truth = if present { 1.0 } else { 0.0 };
                chunks.scores[0].push(skill * truth + rng.random_range(0.0..1.0f32));
            }
        }
        chunks
    }

    fn evaluation(scored: TagChunks) -> TagEvaluation {
        TagEvaluation {
            tracks: 12,
            chunks: scored.keys.len(),
            on_at: TAG_ON,
            tags: vec![TagFigures {
                tag: "piano".to_string(),
                positives: 60,
                negatives: 60,
                positive_tracks: 12,
                roc_auc: None,
                interval: None,
            }],
            mean_roc_auc: None,
            mean_interval: None,
            resamples: BOOTSTRAP_RESAMPLES,
            skipped: Vec::new(),
            scored,
        }
    }

    #[test]
    fn a_paired_comparison_pairs_chunks_by_track_and_number_and_finds_the_better_model() {
        let good = evaluation(scored(0.8, 1));
        let poor = evaluation(scored(0.0, 2));
        let same = compare_tags(&good, &good).unwrap();
        assert_eq!(same.chunks, 120);
        assert_eq!(same.tags[0].difference, Some(0.0));
        assert_eq!(
            same.tags[0].interval,
            Some(Interval {
                low: 0.0,
                high: 0.0
            })
        );
        let better = compare_tags(&good, &poor).unwrap();
        let d = better.tags[0].difference.unwrap();
        let i = better.tags[0].interval.unwrap();
        assert!(d > 0.2 && i.low > 0.0 && i.contains(d), "{d} {i:?}");
        assert_eq!(better.mean_difference, Some(d));
        let worse = compare_tags(&poor, &good).unwrap();
        assert!(worse.tags[0].interval.unwrap().high < 0.0);

        // The other model's chunks in another order (as tracks finish in parallel): paired by
        // (track, chunk), the comparison is the same.
        let mut shuffled = scored(0.0, 2);
        shuffled.keys.reverse();
        shuffled.scores[0].reverse();
        shuffled.present[0].reverse();
        let again = compare_tags(&good, &evaluation(shuffled)).unwrap();
        assert_eq!(again.tags[0].difference, better.tags[0].difference);
        assert_eq!(again.tags[0].interval, better.tags[0].interval);

        // No shared chunk: refused, not a difference of nothing.
        let mut elsewhere = scored(0.0, 2);
        elsewhere.keys.iter_mut().for_each(|k| k.1 += 100);
        assert!(compare_tags(&good, &evaluation(elsewhere)).is_err());
    }
}
