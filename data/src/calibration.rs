//! Fitting a model's calibration on held-out audio (`mcclstm calibrate`): one temperature for the
//! whole model, fitted by the negative log-likelihood of the true class over the running estimate
//! after every chunk (what the plugin shows as a track plays), each track weighing the same.
//!
//! The figures that judge the calibration are cross-fitted: the data are split by group (a
//! package, an artist) or, without groups, by track, into at most [`MAX_FOLDS`] folds; each fold
//! is scored with the temperature fitted on the others. So the reported calibration error is
//! measured on audio its temperature never saw, even though the stored temperature is fitted on
//! all of it. A temperature never changes which class leads, so accuracy is the same either way.
//!
//! The fitted temperature is applied only where it helps on audio it never saw: when the
//! cross-fitted NLL is below the raw outputs' NLL (or when there is a single group, so nothing
//! can be cross-fitted). Otherwise the stored temperature is 1: the network's own probabilities
//! are as well calibrated as the data can tell, and a temperature fitted on few packages would
//! only carry their quirks.

use std::collections::BTreeMap;
use std::path::PathBuf;

use mcclstm_engine::Model;
use mcclstm_engine::confidence::{Confidence, TEMPERATURE_RANGE, Verdict, calibrate_with};
use rayon::prelude::*;
use serde::Serialize;

use crate::dataset::Dataset;

/// Most folds of the cross-fitted figures.
pub const MAX_FOLDS: usize = 10;
/// Equal-width confidence bins of the expected calibration error.
pub const ECE_BINS: usize = 10;

/// A track that could not be analysed, and why.
pub type Skipped = (PathBuf, String);

/// One track's raw running estimates (one row per chunk) and its true class.
#[derive(Clone, Debug)]
pub struct TrackEstimates {
    pub truth: usize,
    /// The cross-fitting unit: the track's group, or its path.
    pub group: String,
    pub running: Vec<Vec<f32>>,
}

/// How well probabilities match outcomes, each track weighing the same.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Figures {
    pub tracks: usize,
    pub chunks: usize,
    /// Mean negative log-likelihood of the true class.
    pub nll: f64,
    /// Expected calibration error of the top class ([`ECE_BINS`] bins), 0 is perfect.
    pub ece: f64,
    /// The top class is the true one.
    pub accuracy: f64,
    /// Share of chunks whose verdict is "unsure".
    pub unsure: f64,
    /// Accuracy over the chunks that are not "unsure" (0 when there are none).
    pub accuracy_when_sure: f64,
    /// Accuracy over the "unsure" chunks (0 when there are none).
    pub accuracy_when_unsure: f64,
}

/// A fitted calibration and what it measured.
#[derive(Clone, Debug, Serialize)]
pub struct Calibration {
    /// The temperature to store: `fitted_temperature` if it helped on held-out folds, else 1.
    pub temperature: f32,
    /// The temperature of least NLL on all the data.
    pub fitted_temperature: f32,
    /// Whether `fitted_temperature` is the one stored (see the module docs).
    pub applied: bool,
    pub unsure_below: f32,
    /// The raw outputs (temperature 1).
    pub raw: Figures,
    /// Each fold scored with the temperature fitted on the other folds.
    pub cross_fitted: Figures,
    pub folds: usize,
    /// What the folds split: "group" or "track".
    pub folds_by: &'static str,
    /// The temperature of each fold's fit, for its spread.
    pub fold_temperatures: Vec<f32>,
    /// Tracks that could not be analysed, with the reason.
    pub skipped: Vec<Skipped>,
}

impl Calibration {
    /// What the model file stores (`mcclstm.confidence`), with `fitted_on` describing the data.
    pub fn confidence(&self, fitted_on: serde_json::Value) -> Confidence {
        let mut described = serde_json::json!({
            "fitted_temperature": self.fitted_temperature,
            "applied": self.applied,
            "raw": self.raw,
            "cross_fitted": self.cross_fitted,
            "folds": self.folds,
            "folds_by": self.folds_by,
        });
        if let (Some(target), serde_json::Value::Object(extra)) =
            (described.as_object_mut(), fitted_on)
        {
            target.extend(extra);
        }
        Confidence {
            temperature: self.temperature,
            unsure_below: self.unsure_below,
            fitted_on: described,
        }
    }
}

/// Runs `model` uncalibrated over every track of `dataset` and keeps its running estimates.
pub fn collect(
    model: &Model,
    dataset: &Dataset,
    tick: &(dyn Fn() + Sync),
) -> anyhow::Result<(Vec<TrackEstimates>, Vec<Skipped>)> {
    let raw = model.with_confidence(Confidence::default());
    let to_model = crate::evaluate::model_indices(dataset, &raw.description().labels)?;
    let outcomes: Vec<Result<TrackEstimates, Skipped>> = dataset
        .tracks
        .par_iter()
        .map_init(crate::evaluate::worker(&raw), |analyzer, track| {
            let result = crate::evaluate::analyze_track(analyzer, &track.path)
                .map(|analysis| TrackEstimates {
                    truth: to_model[track.label],
                    group: track
                        .group
                        .clone()
                        .unwrap_or_else(|| track.path.display().to_string()),
                    running: analysis.chunks.into_iter().map(|c| c.track).collect(),
                })
                .map_err(|reason| (track.path.clone(), reason));
            tick();
            result
        })
        .collect();
    let mut tracks = Vec::new();
    let mut skipped = Vec::new();
    for outcome in outcomes {
        match outcome {
            Ok(t) if !t.running.is_empty() => tracks.push(t),
            Ok(_) => {}
            Err(s) => skipped.push(s),
        }
    }
    Ok((tracks, skipped))
}

/// Fits the temperature on all `tracks` and cross-fits the figures (see the module docs).
pub fn calibrate(tracks: &[TrackEstimates], unsure_below: f32) -> anyhow::Result<Calibration> {
    anyhow::ensure!(
        !tracks.is_empty(),
        "no track of the data set could be analysed"
    );
    anyhow::ensure!(
        unsure_below.is_finite() && (0.0..=1.0).contains(&unsure_below),
        "the unsure threshold must lie in 0..=1, not {unsure_below}"
    );
    let all: Vec<&TrackEstimates> = tracks.iter().collect();
    let fitted_temperature = fit_temperature(&all);

    // Folds: whole groups, assigned in sorted order round-robin, so a group never straddles.
    let mut groups: BTreeMap<&str, Vec<&TrackEstimates>> = BTreeMap::new();
    for t in tracks {
        groups.entry(t.group.as_str()).or_default().push(t);
    }
    let by_group = groups.len() < tracks.len();
    let folds = groups.len().min(MAX_FOLDS);
    let mut fold_of: Vec<Vec<&TrackEstimates>> = vec![Vec::new(); folds];
    for (i, members) in groups.into_values().enumerate() {
        fold_of[i % folds].extend(members);
    }
    let mut scored: Vec<(Vec<f32>, usize, f64)> = Vec::new();
    let mut fold_temperatures = Vec::new();
    if folds >= 2 {
        for k in 0..folds {
            let rest: Vec<&TrackEstimates> = fold_of
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != k)
                .flat_map(|(_, f)| f.iter().copied())
                .collect();
            let t = fit_temperature(&rest);
            fold_temperatures.push(t);
            scored.extend(rows(&fold_of[k], t));
        }
    }
    let raw = figures(&rows(&all, 1.0), unsure_below, tracks.len());
    let cross_fitted = figures(&scored, unsure_below, tracks.len());
    let applied = folds < 2 || cross_fitted.nll < raw.nll;
    Ok(Calibration {
        temperature: if applied { fitted_temperature } else { 1.0 },
        fitted_temperature,
        applied,
        unsure_below,
        raw,
        cross_fitted,
        folds,
        folds_by: if by_group { "group" } else { "track" },
        fold_temperatures,
        skipped: Vec::new(),
    })
}

/// Every chunk's probabilities at temperature `t`, its truth and its weight (1 / chunks of its
/// track).
fn rows(tracks: &[&TrackEstimates], t: f32) -> Vec<(Vec<f32>, usize, f64)> {
    tracks
        .iter()
        .flat_map(|track| {
            let w = 1.0 / track.running.len() as f64;
            track.running.iter().map(move |p| {
                let mut p = p.clone();
                calibrate_with(t, &mut p);
                (p, track.truth, w)
            })
        })
        .collect()
}

fn figures(rows: &[(Vec<f32>, usize, f64)], unsure_below: f32, tracks: usize) -> Figures {
    let total: f64 = rows.iter().map(|r| r.2).sum();
    if rows.is_empty() || total <= 0.0 {
        return Figures::default();
    }
    let mut nll = 0.0;
    let mut right = 0.0;
    let (mut sure_w, mut sure_right, mut unsure_w, mut unsure_right) = (0.0, 0.0, 0.0, 0.0);
    // Per bin: weight, weighted confidence, weighted correctness.
    let mut bins = [(0.0f64, 0.0f64, 0.0f64); ECE_BINS];
    for (p, truth, w) in rows {
        let v = Verdict::of(p, unsure_below);
        let ok = if v.top == *truth { 1.0 } else { 0.0 };
        nll -= w * f64::from(p[*truth]).max(1e-12).ln();
        right += w * ok;
        if v.unsure {
            unsure_w += w;
            unsure_right += w * ok;
        } else {
            sure_w += w;
            sure_right += w * ok;
        }
        let b = ((f64::from(v.top_p) * ECE_BINS as f64) as usize).min(ECE_BINS - 1);
        bins[b].0 += w;
        bins[b].1 += w * f64::from(v.top_p);
        bins[b].2 += w * ok;
    }
    let ece = bins
        .iter()
        .map(|(_, conf, ok)| (conf - ok).abs())
        .sum::<f64>()
        / total;
    let share = |num: f64, den: f64| if den > 0.0 { num / den } else { 0.0 };
    Figures {
        tracks,
        chunks: rows.len(),
        nll: nll / total,
        ece,
        accuracy: right / total,
        unsure: unsure_w / total,
        accuracy_when_sure: share(sure_right, sure_w),
        accuracy_when_unsure: share(unsure_right, unsure_w),
    }
}

/// Mean weighted NLL at temperature `t`.
fn nll(tracks: &[&TrackEstimates], t: f32) -> f64 {
    let rows = rows(tracks, t);
    let total: f64 = rows.iter().map(|r| r.2).sum();
    rows.iter()
        .map(|(p, truth, w)| -w * f64::from(p[*truth]).max(1e-12).ln())
        .sum::<f64>()
        / total.max(f64::MIN_POSITIVE)
}

/// The temperature of least NLL: golden-section search over `ln t` in [`TEMPERATURE_RANGE`]. The
/// NLL is convex in `1/t` (a log-sum-exp of terms linear in it), so the search finds its minimum.
pub fn fit_temperature(tracks: &[&TrackEstimates]) -> f32 {
    let (lo, hi) = TEMPERATURE_RANGE;
    let (mut a, mut b) = (f64::from(lo).ln(), f64::from(hi).ln());
    let g = (5f64.sqrt() - 1.0) / 2.0;
    let at = |x: f64| nll(tracks, x.exp() as f32);
    let (mut c, mut d) = (b - g * (b - a), a + g * (b - a));
    let (mut fc, mut fd) = (at(c), at(d));
    for _ in 0..40 {
        if fc < fd {
            b = d;
            d = c;
            fd = fc;
            c = b - g * (b - a);
            fc = at(c);
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + g * (b - a);
            fd = at(d);
        }
    }
    (((a + b) / 2.0).exp() as f32).clamp(lo, hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Tracks whose raw outputs are `sharpen`-times over-confident versions of calibrated ones:
    /// the true class has probability `q` in a 3-class output, and is the top class with the
    /// matching frequency.
    fn overconfident(sharpen: f64, groups: usize) -> Vec<TrackEstimates> {
        let mut tracks = Vec::new();
        let mut n = 0u64;
        for g in 0..groups {
            for q in [0.4f64, 0.55, 0.7, 0.85] {
                // Out of 20 tracks at confidence q, round(20 q) have the top class right.
                let right = (20.0 * q).round() as usize;
                for i in 0..20 {
                    n += 1;
                    let top = if i < right { 0 } else { 1 };
                    let calibrated = {
                        let mut p = vec![(1.0 - q) / 2.0; 3];
                        p[top] = q;
                        p
                    };
                    // Raw = calibrated at temperature 1/sharpen.
                    let z: Vec<f64> = calibrated.iter().map(|v| v.ln() * sharpen).collect();
                    let s: f64 = z.iter().map(|v| v.exp()).sum();
                    let raw: Vec<f32> = z.iter().map(|v| (v.exp() / s) as f32).collect();
                    tracks.push(TrackEstimates {
                        truth: 0,
                        group: format!("g{g}-{}", n % 3),
                        running: vec![raw; 1 + (n % 4) as usize],
                    });
                }
            }
        }
        tracks
    }

    #[test]
    fn an_overconfident_model_gets_a_temperature_above_one_and_a_lower_calibration_error() {
        let tracks = overconfident(3.0, 4);
        let c = calibrate(&tracks, 0.5).unwrap();
        assert!(
            (c.temperature - 3.0).abs() < 0.3,
            "temperature {}",
            c.temperature
        );
        assert!(c.applied && c.temperature == c.fitted_temperature);
        assert!(c.cross_fitted.ece < c.raw.ece / 3.0, "{c:#?}");
        assert!(c.cross_fitted.nll < c.raw.nll, "{c:#?}");
        assert_eq!(c.folds, 10);
        assert_eq!(c.folds_by, "group");
        // The leader never changes.
        assert!((c.cross_fitted.accuracy - c.raw.accuracy).abs() < 1e-12);
        // Calibrated, the sure chunks are right more often than the unsure ones.
        assert!(c.cross_fitted.accuracy_when_sure > c.cross_fitted.accuracy_when_unsure);
        assert!(c.cross_fitted.unsure > 0.0 && c.raw.unsure < c.cross_fitted.unsure);
    }

    #[test]
    fn an_underconfident_model_gets_a_temperature_below_one() {
        let c = calibrate(&overconfident(0.5, 2), 0.5).unwrap();
        assert!(
            (c.temperature - 0.5).abs() < 0.1,
            "temperature {}",
            c.temperature
        );
    }

    #[test]
    fn a_temperature_that_does_not_help_on_unseen_folds_is_not_applied() {
        // Already calibrated: the fit lands near 1, and is kept only if it beats 1 out of fold.
        let c = calibrate(&overconfident(1.0, 3), 0.5).unwrap();
        assert!((c.fitted_temperature - 1.0).abs() < 0.1, "{c:#?}");
        if c.applied {
            assert!(c.cross_fitted.nll < c.raw.nll);
            assert_eq!(c.temperature, c.fitted_temperature);
        } else {
            assert!(c.cross_fitted.nll >= c.raw.nll);
            assert_eq!(c.temperature, 1.0);
        }
        // One group: nothing to cross-fit, the fit is applied.
        let mut one = overconfident(2.0, 1);
        for t in &mut one {
            t.group = "all".to_string();
        }
        let c = calibrate(&one, 0.5).unwrap();
        assert!(c.applied && (c.temperature - 2.0).abs() < 0.2, "{c:#?}");
    }

    #[test]
    fn folds_keep_groups_whole_and_fall_back_to_tracks() {
        let mut tracks = overconfident(2.0, 1);
        for (i, t) in tracks.iter_mut().enumerate() {
            t.group = format!("track{i}");
        }
        let c = calibrate(&tracks, 0.5).unwrap();
        assert_eq!(c.folds_by, "track");
        assert_eq!(c.fold_temperatures.len(), 10);
        let one_group: Vec<TrackEstimates> = tracks
            .into_iter()
            .map(|mut t| {
                t.group = "all".to_string();
                t
            })
            .collect();
        let c = calibrate(&one_group, 0.5).unwrap();
        assert_eq!(c.folds, 1);
        assert!(c.fold_temperatures.is_empty());
        assert_eq!(c.cross_fitted, Figures::default());
    }

    #[test]
    fn nothing_to_fit_or_a_bad_threshold_is_an_error() {
        assert!(calibrate(&[], 0.5).is_err());
        assert!(calibrate(&overconfident(1.0, 1), 1.5).is_err());
        assert!(calibrate(&overconfident(1.0, 1), f32::NAN).is_err());
    }
}
