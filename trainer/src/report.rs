//! Reports of the paper's protocol: the accuracy table in the layout of the paper's Tables 3-5,
//! confusion matrices as text and PNG, and a model card.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context;
use plotters::prelude::*;
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

    /// A heat map of row-normalised counts with the counts written in the cells.
    pub fn write_png(&self, path: &Path, title: &str) -> anyhow::Result<()> {
        register_font();
        let n = self.labels.len();
        let cell = 56u32;
        let margin = 150u32;
        let grid = margin + cell * n as u32 + 30;
        // Hack at 18 px is about 11 px per character.
        let title_width = 11 * title.chars().count() as u32 + 20;
        let size = (grid.max(title_width), grid);
        let tmp = mcclstm_engine::audio::temp_path(path).with_extension("tmp.png");
        {
            let root = BitMapBackend::new(&tmp, size).into_drawing_area();
            root.fill(&WHITE).map_err(plot_err)?;
            let font = ("sans-serif", 14).into_font();
            root.draw(&Text::new(
                title.to_string(),
                (10, 10),
                ("sans-serif", 18).into_font(),
            ))
            .map_err(plot_err)?;
            root.draw(&Text::new(
                "predicted →".to_string(),
                (margin as i32, 36),
                font.clone(),
            ))
            .map_err(plot_err)?;
            root.draw(&Text::new(
                "truth ↓".to_string(),
                (10, margin as i32 - 22),
                font.clone(),
            ))
            .map_err(plot_err)?;
            for (i, row) in self.counts.iter().enumerate() {
                let row_total = row.iter().sum::<u64>().max(1) as f64;
                let y = (margin + cell * i as u32) as i32;
                root.draw(&Text::new(
                    abbreviate(&self.labels[i], 16),
                    (10, y + cell as i32 / 2 - 7),
                    font.clone(),
                ))
                .map_err(plot_err)?;
                for (j, &count) in row.iter().enumerate() {
                    let x = (margin + cell * j as u32) as i32;
                    let share = count as f64 / row_total;
                    let shade = (255.0 * (1.0 - share)) as u8;
                    let colour = RGBColor(shade, shade, 255);
                    root.draw(&Rectangle::new(
                        [(x, y), (x + cell as i32 - 2, y + cell as i32 - 2)],
                        colour.filled(),
                    ))
                    .map_err(plot_err)?;
                    let ink = if share > 0.5 { WHITE } else { BLACK };
                    root.draw(&Text::new(
                        count.to_string(),
                        (x + 8, y + cell as i32 / 2 - 7),
                        font.clone().color(&ink),
                    ))
                    .map_err(plot_err)?;
                }
            }
            for (j, label) in self.labels.iter().enumerate() {
                let x = (margin + cell * j as u32) as i32;
                root.draw(&Text::new(
                    abbreviate(label, 7),
                    (x + 2, margin as i32 - 22),
                    font.clone(),
                ))
                .map_err(plot_err)?;
            }
            root.present().map_err(plot_err)?;
        }
        std::fs::rename(&tmp, path).with_context(|| format!("{}: cannot write", path.display()))
    }
}

fn plot_err<E: std::fmt::Debug>(e: E) -> anyhow::Error {
    anyhow::anyhow!("cannot draw the confusion matrix: {e:?}")
}

/// plotters' text needs a registered font; the Hack font ships inside a registry crate
/// (epaint_default_fonts, MIT-style licence), so nothing depends on the system's fonts.
fn register_font() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = plotters::style::register_font(
            "sans-serif",
            FontStyle::Normal,
            epaint_default_fonts::HACK_REGULAR,
        );
    });
}

fn abbreviate(s: &str, max: usize) -> String {
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
    fn confusion_png_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let labels: Vec<String> = ["blues", "classical", "country"].map(String::from).to_vec();
        let mut c = Confusion::new(&labels);
        for (t, p) in [(0, 0), (1, 1), (2, 1), (2, 2)] {
            c.add(t, p);
        }
        let path = dir.path().join("c.png");
        c.write_png(&path, "test").unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(&bytes[1..4], b"PNG");
    }

    #[test]
    fn mean_and_std_match_hand_computation() {
        let (m, s) = mean_std_percent(&[0.8, 0.9]);
        assert!((m - 85.0).abs() < 1e-9 && (s - 5.0).abs() < 1e-9);
    }
}
