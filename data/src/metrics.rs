//! Metrics of a classifier on a data set: the confusion matrix (counts, accuracy, text) and the
//! mean and spread of fold accuracies, ROC-AUC, and 95% intervals: Wilson's for an accuracy,
//! a bootstrap over whole tracks for anything computed from chunks. Plain data, shared by
//! `mcclstm evaluate` and the trainer's protocol; the trainer draws the PNG
//! (`mcclstm_trainer::plot`).

use std::fmt::Write as _;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Counts of (true class, predicted class). Read back (from `mcclstm evaluate --json`) only when
/// it is square over its labels.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "UncheckedConfusion")]
pub struct Confusion {
    pub labels: Vec<String>,
    /// `counts[truth][predicted]`.
    pub counts: Vec<Vec<u64>>,
}

/// A confusion matrix as read, before its shape is checked.
#[derive(Deserialize)]
struct UncheckedConfusion {
    labels: Vec<String>,
    counts: Vec<Vec<u64>>,
}

impl TryFrom<UncheckedConfusion> for Confusion {
    type Error = String;

    fn try_from(c: UncheckedConfusion) -> Result<Self, String> {
        let n = c.labels.len();
        if n == 0 {
            return Err("a confusion matrix without labels".into());
        }
        if c.counts.len() != n || c.counts.iter().any(|row| row.len() != n) {
            return Err(format!(
                "a confusion matrix over {n} labels must have {n} rows of {n} counts"
            ));
        }
        Ok(Self {
            labels: c.labels,
            counts: c.counts,
        })
    }
}

impl Confusion {
    pub fn new(labels: &[String]) -> Self {
        Self {
            labels: labels.to_vec(),
            counts: vec![vec![0; labels.len()]; labels.len()],
        }
    }

    pub fn add(&mut self, truth: usize, predicted: usize) {
        self.counts[truth][predicted] += 1;
    }

    pub fn merge(&mut self, other: &Confusion) {
        for (row, other_row) in self.counts.iter_mut().zip(&other.counts) {
            for (c, o) in row.iter_mut().zip(other_row) {
                *c += o;
            }
        }
    }

    pub fn total(&self) -> u64 {
        self.counts.iter().flatten().sum()
    }

    /// The count on the diagonal.
    pub fn correct(&self) -> u64 {
        (0..self.labels.len()).map(|i| self.counts[i][i]).sum()
    }

    pub fn accuracy(&self) -> f64 {
        self.correct() as f64 / self.total().max(1) as f64
    }

    /// Rows are the true class, columns the prediction; aligned for a terminal or a text file.
    pub fn to_text(&self) -> String {
        let width = self
            .labels
            .iter()
            .map(String::len)
            .max()
            .unwrap_or(0)
            .max(5);
        let mut out = format!("{:>width$} | predicted\n", "truth");
        let _ = write!(out, "{:>width$} |", "");
        for l in &self.labels {
            let _ = write!(out, " {:>6}", abbreviate(l, 6));
        }
        out.push('\n');
        for (label, row) in self.labels.iter().zip(&self.counts) {
            let _ = write!(out, "{label:>width$} |");
            for c in row {
                let _ = write!(out, " {c:>6}");
            }
            out.push('\n');
        }
        let _ = writeln!(out, "accuracy {:.2}%", 100.0 * self.accuracy());
        out
    }
}

pub fn abbreviate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        s.chars().take(max - 1).chain(['…']).collect()
    }
}

/// Mean and (population) standard deviation in percent, as the paper reports them.
pub fn mean_std_percent(values: &[f64]) -> (f64, f64) {
    let n = values.len().max(1) as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    (100.0 * mean, 100.0 * var.sqrt())
}

/// The area under the ROC curve of `scores` against `truth`: the chance that a random positive
/// scores above a random negative, ties counting half (the Mann-Whitney U over the product of the
/// class sizes). `None` when there is no positive or no negative, or a score is not finite.
pub fn roc_auc(scores: &[f32], truth: &[bool]) -> Option<f64> {
    if scores.len() != truth.len() || scores.iter().any(|s| !s.is_finite()) {
        return None;
    }
    let positives = truth.iter().filter(|&&t| t).count();
    let negatives = truth.len() - positives;
    if positives == 0 || negatives == 0 {
        return None;
    }
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    // Sum of the positives' ranks (1-based), tied scores sharing their mean rank.
    let mut rank_sum = 0.0f64;
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && scores[order[j + 1]] == scores[order[i]] {
            j += 1;
        }
        let mean_rank = (i + j) as f64 / 2.0 + 1.0;
        rank_sum += mean_rank * order[i..=j].iter().filter(|&&k| truth[k]).count() as f64;
        i = j + 1;
    }
    let p = positives as f64;
    Some((rank_sum - p * (p + 1.0) / 2.0) / (p * negatives as f64))
}

/// A 95% interval of a figure.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Interval {
    pub low: f64,
    pub high: f64,
}

impl Interval {
    pub fn contains(&self, x: f64) -> bool {
        self.low <= x && x <= self.high
    }
}

/// Wilson's 95% score interval of `correct` successes in `n` trials (`None` for no trial): an
/// accuracy over few tracks is known only this well.
pub fn wilson_interval(correct: usize, n: usize) -> Option<Interval> {
    if n == 0 {
        return None;
    }
    const Z: f64 = 1.959_963_984_540_054;
    let n = n as f64;
    let p = correct as f64 / n;
    let z2 = Z * Z;
    let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
    let half = Z / (1.0 + z2 / n) * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    Some(Interval {
        low: (centre - half).max(0.0),
        high: (centre + half).min(1.0),
    })
}

/// Resamples of a bootstrap over tracks: enough for a 95% interval's ends to settle to about
/// 0.005 of an ROC-AUC.
pub const BOOTSTRAP_RESAMPLES: usize = 1000;
/// The seed of every bootstrap, so an evaluation repeats exactly.
pub const BOOTSTRAP_SEED: u64 = 0x5eed_b007;

/// A bootstrap over whole units (tracks): item `i` belongs to unit `unit_of[i]`; each of
/// `resamples` draws as many units as there are, with replacement, and `statistic` gets the
/// drawn units' items (a unit drawn twice, twice). Chunks of one track are alike, so resampling
/// chunks would claim far more certainty than the number of tracks allows. Returns, per
/// resample, what `statistic` returns; resample `r` is seeded by `seed` and `r` alone, so the
/// result does not depend on the threads.
pub fn bootstrap_by_unit<T: Send>(
    unit_of: &[usize],
    resamples: usize,
    seed: u64,
    statistic: impl Fn(&[usize]) -> T + Sync,
) -> Vec<T> {
    let mut items_of: Vec<Vec<usize>> = Vec::new();
    for (i, &u) in unit_of.iter().enumerate() {
        if items_of.len() <= u {
            items_of.resize_with(u + 1, Vec::new);
        }
        items_of[u].push(i);
    }
    items_of.retain(|items| !items.is_empty());
    let units = items_of.len();
    (0..resamples)
        .into_par_iter()
        .map(|r| {
            let mut rng =
                StdRng::seed_from_u64(seed ^ (r as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
            let mut drawn = Vec::with_capacity(unit_of.len());
            for _ in 0..units {
                drawn.extend_from_slice(&items_of[rng.random_range(0..units)]);
            }
            statistic(&drawn)
        })
        .collect()
}

/// The 2.5th and 97.5th percentiles of a bootstrap's values; `None` where a value is undefined
/// in more than one resample of twenty (e.g. a tag absent from too many draws), since the
/// interval would then describe only the lucky draws.
pub fn percentile_interval(values: &[Option<f64>]) -> Option<Interval> {
    let mut defined: Vec<f64> = values.iter().flatten().copied().collect();
    if defined.is_empty() || defined.len() * 20 < values.len() * 19 {
        return None;
    }
    defined.sort_by(f64::total_cmp);
    let at = |q: f64| {
        let pos = q * (defined.len() - 1) as f64;
        let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
        defined[lo] + (defined[hi] - defined[lo]) * (pos - lo as f64)
    };
    Some(Interval {
        low: at(0.025),
        high: at(0.975),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_confusion_matrix_reads_back_only_when_square_over_its_labels() {
        let labels: Vec<String> = ["a", "b"].map(String::from).to_vec();
        let mut c = Confusion::new(&labels);
        c.add(0, 1);
        c.add(1, 1);
        let text = serde_json::to_string(&c).unwrap();
        assert_eq!(serde_json::from_str::<Confusion>(&text).unwrap(), c);
        for bad in [
            r#"{"labels": [], "counts": []}"#,
            r#"{"labels": ["a", "b"], "counts": [[1, 2]]}"#,
            r#"{"labels": ["a", "b"], "counts": [[1, 2], [3]]}"#,
            r#"{"labels": ["a"], "counts": [[1, 2]]}"#,
        ] {
            let error = serde_json::from_str::<Confusion>(bad)
                .unwrap_err()
                .to_string();
            assert!(error.contains("confusion matrix"), "{bad}: {error}");
        }
    }

    #[test]
    fn roc_auc_counts_ordered_pairs_and_half_the_ties() {
        // Perfect, reversed, and one of four pairs wrong.
        assert_eq!(
            roc_auc(&[0.1, 0.2, 0.8, 0.9], &[false, false, true, true]),
            Some(1.0)
        );
        assert_eq!(
            roc_auc(&[0.9, 0.8, 0.2, 0.1], &[false, false, true, true]),
            Some(0.0)
        );
        assert_eq!(
            roc_auc(&[0.1, 0.5, 0.4, 0.9], &[false, false, true, true]),
            Some(0.75)
        );
        // Every score equal: a coin.
        assert_eq!(roc_auc(&[0.3; 4], &[false, true, false, true]), Some(0.5));
        // A tie between one positive and one negative is half a pair: (1 + 1 + 0.5 + 1) / 4.
        assert_eq!(
            roc_auc(&[0.1, 0.5, 0.5, 0.9], &[false, false, true, true]),
            Some(0.875)
        );
        assert_eq!(roc_auc(&[0.1, 0.2], &[true, true]), None);
        assert_eq!(roc_auc(&[0.1, f32::NAN], &[true, false]), None);
        assert_eq!(roc_auc(&[0.1], &[true, false]), None);
    }

    #[test]
    fn confusion_accuracy_and_text() {
        let labels = vec!["a".to_string(), "b".to_string()];
        let mut c = Confusion::new(&labels);
        c.add(0, 0);
        c.add(0, 1);
        c.add(1, 1);
        c.add(1, 1);
        assert!((c.accuracy() - 0.75).abs() < 1e-12);
        assert!(c.to_text().contains("accuracy 75.00%"));
    }

    #[test]
    fn mean_and_std_match_hand_computation() {
        let (m, s) = mean_std_percent(&[0.8, 0.9]);
        assert!((m - 85.0).abs() < 1e-9 && (s - 5.0).abs() < 1e-9);
    }

    #[test]
    fn wilson_intervals_match_hand_computation_and_stay_inside_zero_and_one() {
        let close = |i: Option<Interval>, low: f64, high: f64| {
            let i = i.unwrap();
            assert!(
                (i.low - low).abs() < 1e-6 && (i.high - high).abs() < 1e-6,
                "{i:?}"
            );
        };
        close(wilson_interval(39, 73), 0.420_989, 0.644_080);
        close(wilson_interval(0, 10), 0.0, 0.277_533);
        close(wilson_interval(10, 10), 0.722_467, 1.0);
        assert_eq!(wilson_interval(0, 0), None);
    }

    /// `tracks` tracks of `chunks` chunks; a track's chunks share its score (plus a little
    /// noise), half the tracks have the tag: the tracks, not the chunks, are the evidence.
    fn alike_chunks(tracks: usize, chunks: usize) -> (Vec<usize>, Vec<f32>, Vec<bool>) {
        let mut rng = StdRng::seed_from_u64(3);
        let (mut unit, mut score, mut truth) = (Vec::new(), Vec::new(), Vec::new());
        for t in 0..tracks {
            let present = t % 2 == 0;
            let level = rng.random_range(0.0..1.0) + if present { 0.3 } else { 0.0 };
            for _ in 0..chunks {
                unit.push(t);
                score.push(level + rng.random_range(0.0..0.01));
                truth.push(present);
            }
        }
        (unit, score, truth)
    }

    fn auc_interval(unit: &[usize], score: &[f32], truth: &[bool]) -> Interval {
        let draws = bootstrap_by_unit(unit, 400, 1, |at| {
            let s: Vec<f32> = at.iter().map(|&i| score[i]).collect();
            let t: Vec<bool> = at.iter().map(|&i| truth[i]).collect();
            roc_auc(&s, &t)
        });
        percentile_interval(&draws).unwrap()
    }

    #[test]
    fn the_bootstrap_draws_whole_tracks_so_alike_chunks_do_not_narrow_the_interval() {
        let (unit, score, truth) = alike_chunks(16, 40);
        let point = roc_auc(&score, &truth).unwrap();
        let by_track = auc_interval(&unit, &score, &truth);
        assert!(by_track.contains(point), "{point} {by_track:?}");
        // Every chunk its own unit: 640 "independent" chunks claim a far narrower interval
        // than the 16 tracks they come from allow.
        let each: Vec<usize> = (0..unit.len()).collect();
        let by_chunk = auc_interval(&each, &score, &truth);
        let width = |i: Interval| i.high - i.low;
        assert!(
            width(by_track) > 2.5 * width(by_chunk),
            "tracks {by_track:?}, chunks {by_chunk:?}"
        );
        // More tracks of the same kind: a narrower interval.
        let (unit, score, truth) = alike_chunks(160, 4);
        assert!(width(auc_interval(&unit, &score, &truth)) < width(by_track));
    }

    #[test]
    fn a_bootstrap_repeats_exactly_and_an_interval_needs_nearly_every_draw_defined() {
        let unit: Vec<usize> = (0..50).map(|i| i / 5).collect();
        let draw = || bootstrap_by_unit(&unit, 64, 9, |at| at.iter().sum::<usize>());
        assert_eq!(draw(), draw());
        assert_ne!(
            draw(),
            bootstrap_by_unit(&unit, 64, 10, |at| at.iter().sum::<usize>())
        );
        // Every draw holds as many items as there are (whole units of 5).
        assert!(
            bootstrap_by_unit(&unit, 64, 9, |at| at.len())
                .iter()
                .all(|&n| n == 50)
        );

        let values: Vec<Option<f64>> = (0..=100).map(|v| Some(f64::from(v))).collect();
        assert_eq!(
            percentile_interval(&values),
            Some(Interval {
                low: 2.5,
                high: 97.5
            })
        );
        let mut gappy = values.clone();
        gappy[..4].fill(None);
        assert!(percentile_interval(&gappy).is_some(), "4 of 101 undefined");
        gappy[..6].fill(None);
        assert_eq!(percentile_interval(&gappy), None, "6 of 101 undefined");
    }
}
