//! `mcclstm analyze`: per-chunk timeline and track summary of audio files, per model.
//!
//! A file is decoded once and pushed through the engine's analysis stream with every model (the
//! plugin's pipeline: cleaning, the silence gate, resampling, frontend, one step per chunk), so
//! the timeline equals a bounce of the same file through the plugin. A file that cannot be
//! analysed is reported and skipped; the others are still analysed.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use anyhow::Context;
use mcclstm_engine::confidence::{TAG_PRESENT, present_tags};
use mcclstm_engine::stream::{
    AnalysisError, Analyzer, DEFAULT_SILENCE_RESET_S, StreamConfig, TrackAnalysis,
};
use mcclstm_engine::{AudioError, Model};
use mcclstm_engine::{Outputs, Summary, Verdict};
use serde::Serialize;

/// `--silence-reset`: seconds of silence that end a track, or `off`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SilenceReset(pub Option<f32>);

impl Default for SilenceReset {
    fn default() -> Self {
        Self(Some(DEFAULT_SILENCE_RESET_S))
    }
}

impl FromStr for SilenceReset {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.eq_ignore_ascii_case("off") {
            return Ok(Self(None));
        }
        match s.parse::<f32>() {
            Ok(v) if v.is_finite() && v > 0.0 => Ok(Self(Some(v))),
            _ => Err(format!("`{s}`: give seconds of silence (e.g. 5) or `off`")),
        }
    }
}

/// One model's view of one file.
#[derive(Debug, Serialize)]
pub struct ModelResult {
    /// The model file it came from.
    pub model: String,
    pub task: String,
    pub architecture: String,
    /// What ran the model: `fast (avx2+fma)`, `fast (baseline)` or `tract` (a graph the fast
    /// runner does not plan).
    pub runner: String,
    pub labels: Vec<String>,
    /// The label of the summary's most probable class.
    pub top: String,
    /// The summary's second class.
    pub second: String,
    /// The summary's top probability is below the model's "unsure" threshold: show `top` and
    /// `second` together, not `top` alone. Always false for independent tags.
    pub unsure: bool,
    /// `exclusive` classes, or `independent` tags (a multi-label model such as `style`).
    pub outputs: Outputs,
    /// Independent tags: the tags whose mean over the track's chunks is `TAG_PRESENT` (0.3) or
    /// more, strongest first. Empty for exclusive classes.
    pub tags: Vec<String>,
    /// The model's calibration and threshold (`mcclstm.confidence`; the defaults when the file
    /// carries none).
    pub confidence: ConfidenceShown,
    /// How `summary` is formed from the chunks (`mcclstm.summary`): `mean` or `last`.
    pub track_summary: Summary,
    #[serde(flatten)]
    pub analysis: TrackAnalysis,
}

/// How a model's probabilities were calibrated, as `analyze` reports it.
#[derive(Debug, Serialize)]
pub struct ConfidenceShown {
    pub temperature: f32,
    pub unsure_below: f32,
    /// Whether the model file carries a fitted calibration.
    pub calibrated: bool,
}

/// One file's analysis, or why there is none.
#[derive(Debug, Serialize)]
pub struct FileResult {
    pub file: PathBuf,
    pub duration_s: Option<f64>,
    pub sample_rate: Option<u32>,
    pub channels: Option<usize>,
    /// NaN or infinite samples, analysed as zero.
    pub invalid_samples: u64,
    /// Times a silence longer than `--silence-reset` ended a track and the analysis started over.
    pub silence_resets: u64,
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

/// The embedded default models (genre and mood); their path reads `embedded:genre` and
/// `embedded:mood`.
pub fn default_models() -> anyhow::Result<Vec<NamedModel>> {
    mcclstm_models::defaults()
        .into_iter()
        .map(|(name, model)| {
            let model = model.with_context(|| format!("the embedded {name} model"))?;
            Ok(NamedModel {
                path: PathBuf::from(format!("embedded:{name}")),
                model,
            })
        })
        .collect()
}

/// The embedded model of the slot `name` (`genre`, `mood`, `dance`, `style`), whether or not it
/// runs by default: what `--model embedded:NAME` loads.
pub fn embedded_model(name: &str) -> anyhow::Result<Model> {
    let slots = &mcclstm_models::SLOTS;
    let slot = slots.iter().position(|s| s.name == name).with_context(|| {
        let names: Vec<&str> = slots.iter().map(|s| s.name).collect();
        format!(
            "embedded:{name}: no such embedded model (there are {})",
            names.join(", ")
        )
    })?;
    mcclstm_models::embedded(slot)
        .with_context(|| format!("embedded:{name}: the slot has no embedded model"))?
        .with_context(|| format!("the embedded {name} model"))
}

/// Analyses one file with every model, in one pass of the analysis stream.
pub fn analyze_file(path: &Path, models: &[NamedModel], silence: SilenceReset) -> FileResult {
    FileAnalyzer::new(models).analyze(path, silence)
}

/// Analyses files one after another with the same models ([`analyze_file`] of each), building
/// the analysis stream (resamplers, frontends, runners) once for every run of files at the same
/// sample rate: `analyze` keeps one per worker.
pub struct FileAnalyzer<'a> {
    models: &'a [NamedModel],
    analyzer: Analyzer,
}

impl<'a> FileAnalyzer<'a> {
    pub fn new(models: &'a [NamedModel]) -> Self {
        Self {
            models,
            analyzer: Analyzer::new(models.iter().map(|m| m.model.clone()).collect()),
        }
    }

    /// [`analyze_file`] of `path`.
    pub fn analyze(&mut self, path: &Path, silence: SilenceReset) -> FileResult {
        let mut result = FileResult {
            file: path.to_path_buf(),
            duration_s: None,
            sample_rate: None,
            channels: None,
            invalid_samples: 0,
            silence_resets: 0,
            models: Vec::new(),
            error: None,
        };
        // A panic in a dependency (a decoder, the resampler) on a hostile file is that file's
        // error, not the end of a run over a thousand files. The analyser holds no stream while
        // one runs, so nothing half-run is reused after a panic.
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            analyze_file_inner(path, self.models, &mut self.analyzer, silence, &mut result)
        }));
        match outcome {
            Ok(Ok(())) => {}
            Ok(Err(e)) => result.error = Some(e.to_string()),
            Err(payload) => {
                result.models.clear();
                result.error = Some(format!(
                    "{}: the analysis crashed on this file (a bug, caught): {}",
                    path.display(),
                    mcclstm_engine::error::panic_message(payload.as_ref())
                ));
            }
        }
        result
    }
}

fn analyze_file_inner(
    path: &Path,
    models: &[NamedModel],
    analyzer: &mut Analyzer,
    silence: SilenceReset,
    result: &mut FileResult,
) -> Result<(), FileError> {
    // The file is analysed as it is decoded, a packet at a time: an hour-long mix never sits in
    // memory whole.
    let file = analyzer.analyze_file(path, |rate| StreamConfig {
        silence_reset_s: silence.0,
        ..StreamConfig::live(rate)
    })?;
    result.duration_s = Some(file.samples as f64 / f64::from(file.sample_rate));
    result.sample_rate = Some(file.sample_rate);
    result.channels = Some(file.channels);
    let analysis = file.analysis.map_err(|source| FileError::Analysis {
        path: path.to_path_buf(),
        source,
    })?;
    result.invalid_samples = analysis.invalid_samples;
    result.silence_resets = analysis.silence_resets;
    for (named, analysis) in models.iter().zip(analysis.models) {
        let description = named.model.description();
        let confidence = &description.confidence;
        let verdict = confidence.verdict(&analysis.summary);
        let independent = description.outputs == Outputs::Independent;
        let tags = if independent {
            present_tags(&analysis.summary)
                .into_iter()
                .map(|(i, _)| description.labels[i].clone())
                .collect()
        } else {
            Vec::new()
        };
        result.models.push(ModelResult {
            model: named.path.display().to_string(),
            task: description.task.clone(),
            architecture: description.architecture.clone(),
            runner: named.model.runner_name(),
            labels: description.labels.clone(),
            top: description.labels[verdict.top].clone(),
            second: description.labels[verdict.second].clone(),
            unsure: verdict.unsure && !independent,
            outputs: description.outputs,
            tags,
            confidence: ConfidenceShown {
                temperature: confidence.temperature,
                unsure_below: confidence.unsure_below,
                calibrated: confidence.is_calibrated(),
            },
            track_summary: description.track_summary,
            analysis,
        });
    }
    Ok(())
}

/// Tags present at [`TAG_PRESENT`] or more, strongest first: "electronic 0.62, synth 0.41", or
/// "none at 0.30 or more (strongest: piano 0.21)".
fn describe_tags(probs: &[f32], labels: &[String]) -> String {
    let present = present_tags(probs);
    if present.is_empty() {
        let top = mcclstm_engine::runner::argmax(probs);
        return format!(
            "none at {TAG_PRESENT:.2} or more (strongest: {} {:.2})",
            labels[top], probs[top]
        );
    }
    present
        .iter()
        .map(|&(i, p)| format!("{} {p:.2}", labels[i]))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The report of a model with independent tags: each chunk's tags and the track's.
fn render_tags(out: &mut String, m: &ModelResult) {
    use std::fmt::Write;
    let _ = writeln!(
        out,
        "  {} · {} · {} · {} runner · independent tags, shown at {TAG_PRESENT:.2} or more",
        m.task, m.architecture, m.model, m.runner
    );
    let _ = writeln!(out, "    {:>15}  tags", "time (s)");
    for chunk in &m.analysis.chunks {
        let _ = writeln!(
            out,
            "    {:>6.1} – {:>6.1}  {}",
            chunk.start_s,
            chunk.end_s,
            describe_tags(&chunk.probs, &m.labels)
        );
    }
    let _ = writeln!(
        out,
        "    track: {}",
        describe_tags(&m.analysis.summary, &m.labels)
    );
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
    if result.invalid_samples > 0 {
        let _ = writeln!(
            out,
            "  {} NaN or infinite samples were analysed as silence",
            result.invalid_samples
        );
    }
    if result.silence_resets > 0 {
        let _ = writeln!(
            out,
            "  {} long silence(s) ended a track: the analysis started over after each",
            result.silence_resets
        );
    }
    if let Some(error) = &result.error {
        let _ = writeln!(out, "  error: {error}");
        return out;
    }
    for m in &result.models {
        if m.outputs == Outputs::Independent {
            render_tags(&mut out, m);
            continue;
        }
        let _ = writeln!(
            out,
            "  {} · {} · {} · {} runner · {}",
            m.task,
            m.architecture,
            m.model,
            m.runner,
            if m.confidence.calibrated {
                format!(
                    "calibrated: temperature {:.2}, unsure below {:.2}",
                    m.confidence.temperature, m.confidence.unsure_below
                )
            } else {
                format!(
                    "not calibrated: unsure below {:.2}",
                    m.confidence.unsure_below
                )
            }
        );
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
            let v = Verdict::of(&chunk.track, m.confidence.unsure_below);
            let _ = writeln!(
                out,
                "    {:>6.1} – {:>6.1}  {:<label_width$}  {:>5.2}  {} {:.2}{}",
                chunk.start_s,
                chunk.end_s,
                m.labels[v.top],
                v.top_p,
                m.labels[v.second],
                v.second_p,
                if v.unsure { "  unsure" } else { "" },
            );
        }
        let mut ranked: Vec<usize> = (0..m.labels.len()).collect();
        ranked.sort_by(|&a, &b| m.analysis.summary[b].total_cmp(&m.analysis.summary[a]));
        let summary: Vec<String> = ranked
            .iter()
            .take(3)
            .map(|&i| format!("{} {:.2}", m.labels[i], m.analysis.summary[i]))
            .collect();
        let verdict = Verdict::of(&m.analysis.summary, m.confidence.unsure_below);
        let _ = writeln!(
            out,
            "    track{}: {}   (top three: {})",
            match m.track_summary {
                Summary::Mean => "",
                Summary::Last => " (last estimate)",
            },
            verdict.describe(&m.labels),
            summary.join(", ")
        );
    }
    out
}
