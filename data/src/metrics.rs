//! Metrics of a classifier on a data set: the confusion matrix (counts, accuracy, text) and the
//! mean and spread of fold accuracies. Plain data, shared by `mcclstm evaluate` and the trainer's
//! protocol; the trainer draws the PNG (`mcclstm_trainer::plot`).

use std::fmt::Write as _;

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

    pub fn accuracy(&self) -> f64 {
        let correct: u64 = (0..self.labels.len()).map(|i| self.counts[i][i]).sum();
        correct as f64 / self.total().max(1) as f64
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
}
