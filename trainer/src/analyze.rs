//! `mcclstm analyze`: per-chunk timeline and track summary of audio files, per model.
//!
//! A file that cannot be analysed is reported and skipped; the others are still analysed.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::path::{Path, PathBuf};

use mcclstm_engine::audio;
use mcclstm_engine::runner::{AnalysisError, TrackAnalysis, analyze_signal, argmax};
use mcclstm_engine::{AudioError, Model};
use serde::Serialize;

/// One model's view of one file.
#[derive(Debug, Serialize)]
pub struct ModelResult {
    /// The model file it came from.
    pub model: String,
    pub task: String,
    pub architecture: String,
    pub labels: Vec<String>,
    /// The label of the summary's most probable class.
    pub top: String,
    #[serde(flatten)]
    pub analysis: TrackAnalysis,
}

/// One file's analysis, or why there is none.
#[derive(Debug, Serialize)]
pub struct FileResult {
    pub file: PathBuf,
    pub duration_s: Option<f64>,
    pub sample_rate: Option<u32>,
    pub channels: Option<usize>,
    pub models: Vec<ModelResult>,
    pub error: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error(transparent)]
    Audio(#[from] AudioError),
    #[error("{path}: {source}")]
    Analysis {
        path: PathBuf,
        #[source]
        source: AnalysisError,
    },
}

/// A loaded model and the file it came from.
pub struct NamedModel {
    pub path: PathBuf,
    pub model: Model,
}

/// Analyses one file with every model. The file is decoded once and resampled once per distinct
/// model rate.
pub fn analyze_file(path: &Path, models: &[NamedModel]) -> FileResult {
    let mut result = FileResult {
        file: path.to_path_buf(),
        duration_s: None,
        sample_rate: None,
        channels: None,
        models: Vec::new(),
        error: None,
    };
    match analyze_file_inner(path, models, &mut result) {
        Ok(()) => {}
        Err(e) => result.error = Some(e.to_string()),
    }
    result
}

fn analyze_file_inner(
    path: &Path,
    models: &[NamedModel],
    result: &mut FileResult,
) -> Result<(), FileError> {
    let decoded = audio::decode_file(path)?;
    result.duration_s = Some(decoded.duration_seconds());
    result.sample_rate = Some(decoded.sample_rate);
    result.channels = Some(decoded.channels);
    let mut at_rate: HashMap<u32, Vec<f32>> = HashMap::new();
    for named in models {
        let description = named.model.description();
        let rate = description.frontend.sample_rate;
        let samples = match at_rate.entry(rate) {
            Entry::Occupied(entry) => entry.into_mut(),
            Entry::Vacant(entry) => entry.insert(audio::resample(
                &decoded.samples,
                decoded.sample_rate,
                rate,
            )?),
        };
        let analysis =
            analyze_signal(&named.model, samples).map_err(|source| FileError::Analysis {
                path: path.to_path_buf(),
                source,
            })?;
        result.models.push(ModelResult {
            model: named.path.display().to_string(),
            task: description.task.clone(),
            architecture: description.architecture.clone(),
            labels: description.labels.clone(),
            top: description.labels[analysis.top()].clone(),
            analysis,
        });
    }
    Ok(())
}

/// The human-readable report of one file.
pub fn render_text(result: &FileResult) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = write!(out, "{}", result.file.display());
    if let (Some(d), Some(r), Some(c)) = (result.duration_s, result.sample_rate, result.channels) {
        let _ = write!(out, "  ({d:.1} s, {r} Hz, {c} ch)");
    }
    out.push('\n');
    if let Some(error) = &result.error {
        let _ = writeln!(out, "  error: {error}");
        return out;
    }
    for m in &result.models {
        let _ = writeln!(out, "  {} · {} · {}", m.task, m.architecture, m.model);
        let label_width = m
            .labels
            .iter()
            .map(|l| l.chars().count())
            .max()
            .unwrap_or(5)
            .max(5);
        let _ = writeln!(
            out,
            "    {:>15}  {:<label_width$}  {:>5}  runner-up",
            "time (s)", "top", "p"
        );
        for chunk in &m.analysis.chunks {
            let top = argmax(&chunk.track);
            let second = runner_up(&chunk.track, top);
            let _ = writeln!(
                out,
                "    {:>6.1} – {:>6.1}  {:<label_width$}  {:>5.2}  {} {:.2}",
                chunk.start_s,
                chunk.end_s,
                m.labels[top],
                chunk.track[top],
                m.labels[second],
                chunk.track[second],
            );
        }
        let mut ranked: Vec<usize> = (0..m.labels.len()).collect();
        ranked.sort_by(|&a, &b| m.analysis.summary[b].total_cmp(&m.analysis.summary[a]));
        let summary: Vec<String> = ranked
            .iter()
            .take(3)
            .map(|&i| format!("{} {:.2}", m.labels[i], m.analysis.summary[i]))
            .collect();
        let _ = writeln!(out, "    track: {}", summary.join(", "));
    }
    out
}

fn runner_up(probs: &[f32], top: usize) -> usize {
    probs
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != top)
        .fold(
            (top, f32::MIN),
            |best, (i, &p)| if p > best.1 { (i, p) } else { best },
        )
        .0
}
