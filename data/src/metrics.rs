//! Metrics of a classifier on a data set: the confusion matrix (counts, accuracy, text) and the
//! mean and spread of fold accuracies. Plain data, shared by `mcclstm evaluate` and the trainer's
//! protocol; the trainer draws the PNG (`mcclstm_trainer::plot`).

use std::fmt::Write as _;

use serde::Serialize;

/// Counts of (true class, predicted class).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Confusion {
    pub labels: Vec<String>,
    /// `counts[truth][predicted]`.
    pub counts: Vec<Vec<u64>>,
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

#[cfg(test)]
mod tests {
    use super::*;

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
