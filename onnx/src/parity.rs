//! The export check of DESIGN.md: a model file is written only when independent runtimes agree
//! on it. Here tract (the engine, what the plugin runs) against ONNX Runtime, step by step on a
//! sequence of probe chunks and on the same sequence rolled out through ONNX's own LSTM operator.
//! The trainer probes with consecutive chunks of a validation track (the input the model is made
//! for); a model without data (`export-random`, tests) with [`random_chunks`].

use mcclstm_engine::Model;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::arch::ArchConfig;
use crate::export::{self, ExportMeta, Weights};
use crate::reference::{OrtModel, ReferenceError};

/// Largest difference allowed between runtimes on any probability or state value: absolute on
/// values within [-1, 1] (probabilities, the LSTM output `h`), relative beyond (the LSTM cell
/// state `c` accumulates over steps and is unbounded; beyond 1 its float32 rounding grows with
/// it). float32 networks of this depth differ by 1e-6 to 1e-5 between runtimes (different
/// summation orders and kernels); 1e-4 is DESIGN.md's bound.
pub const TOLERANCE: f32 = 1e-4;

/// Chunks in the roll-out check: the probe sequence's length.
pub const ROLLOUT_CHUNKS: usize = 3;

/// The largest differences found.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct ParityReport {
    /// tract vs ONNX Runtime, step by step, probabilities and state.
    pub step_max_diff: f32,
    /// tract's three steps vs ONNX Runtime's roll-out of the three chunks (stateful models).
    pub rollout_max_diff: Option<f32>,
    /// ONNX Runtime with a batch of two chunks vs one chunk at a time.
    pub batch_max_diff: f32,
}

impl ParityReport {
    pub fn worst(&self) -> f32 {
        self.step_max_diff
            .max(self.rollout_max_diff.unwrap_or(0.0))
            .max(self.batch_max_diff)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ParityError {
    #[error(transparent)]
    Reference(#[from] ReferenceError),
    #[error("export: {0}")]
    Export(#[from] export::ExportError),
    #[error("tract: {0}")]
    Tract(String),
    #[error("runtimes disagree: {what} differs by {diff:e} (> {TOLERANCE:e})")]
    Disagree { what: String, diff: f32 },
    #[error("export check: {0} probe chunks given, {ROLLOUT_CHUNKS} needed, of {1} values each")]
    Probe(usize, usize),
}

/// The largest difference between `a` and the reference `b`, each scaled by `max(1, |b|)`: the
/// absolute difference for values within [-1, 1], the relative one beyond ([`TOLERANCE`]).
fn max_diff(a: &[f32], b: &[f32]) -> f32 {
    if a.len() != b.len() {
        return f32::INFINITY;
    }
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs() / y.abs().max(1.0))
        .fold(0.0, f32::max)
}

/// The largest of named differences, with the name of the output it came from.
fn worst_of(diffs: &[(&'static str, f32)]) -> (&'static str, f32) {
    diffs
        .iter()
        .copied()
        .fold(("", 0.0), |worst, d| if d.1 > worst.1 { d } else { worst })
}

/// Random chunks at log-mel levels (dB), so the in-graph standardisation sees realistic input.
pub fn random_chunks(n: usize, len: usize, seed: u64) -> Vec<Vec<f32>> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..n)
        .map(|_| (0..len).map(|_| rng.random_range(-90.0f32..10.0)).collect())
        .collect()
}

/// Checks the step graph of `weights` in tract against ONNX Runtime on the [`ROLLOUT_CHUNKS`]
/// consecutive `chunks` (log-mel dB, one chunk each), and for stateful models the roll-out of
/// them. Errors when any difference exceeds [`TOLERANCE`].
pub fn check_export(
    config: &ArchConfig,
    weights: &Weights,
    meta: &ExportMeta,
    chunks: &[Vec<f32>],
) -> Result<ParityReport, ParityError> {
    let fe = &meta.frontend;
    let chunk_len = fe.chunk_len();
    if chunks.len() != ROLLOUT_CHUNKS || chunks.iter().any(|c| c.len() != chunk_len) {
        return Err(ParityError::Probe(chunks.len(), chunk_len));
    }
    let bytes = export::model_bytes(config, weights, meta)?;
    let model = Model::from_bytes(&bytes).map_err(|e| ParityError::Tract(e.to_string()))?;
    let mut ort = OrtModel::from_bytes(&bytes)?;
    let mel_shape = vec![1, 1, fe.n_mels, fe.chunk_frames];
    let hidden = config.lstm;
    let state_shape = vec![1, 1, hidden];
    let mut report = ParityReport::default();

    let mut runner = model.runner();
    let (mut h, mut c) = (vec![0.0f32; hidden], vec![0.0f32; hidden]);
    let mut single = Vec::new();
    for (k, chunk) in chunks.iter().enumerate() {
        let tract_probs = runner
            .step(chunk)
            .map_err(|e| ParityError::Tract(e.to_string()))?
            .chunk
            .to_vec();
        let mut inputs = vec![("mel", mel_shape.clone(), chunk.as_slice())];
        let outputs: &[&str] = if hidden > 0 {
            inputs.push(("h0", state_shape.clone(), &h));
            inputs.push(("c0", state_shape.clone(), &c));
            &["probs", "h1", "c1"]
        } else {
            &["probs"]
        };
        let out = ort.run(&inputs, outputs)?;
        let mut diffs = vec![("probs", max_diff(&tract_probs, &out[0].1))];
        if hidden > 0 {
            let (th, tc) = runner.state();
            diffs.push(("h", max_diff(th, &out[1].1)));
            diffs.push(("c", max_diff(tc, &out[2].1)));
            h.clone_from(&out[1].1);
            c.clone_from(&out[2].1);
        }
        let (output, diff) = worst_of(&diffs);
        report.step_max_diff = report.step_max_diff.max(diff);
        if diff > TOLERANCE {
            return Err(ParityError::Disagree {
                what: format!("step {k}'s {output} (tract vs ONNX Runtime)"),
                diff,
            });
        }
        single.push(out[0].1.clone());
    }

    // A batch of the first two chunks from a zero state equals them one at a time (stateless), or
    // the first chunk's result (stateful: only row 0 starts where the sequence did).
    let batch: Vec<f32> = chunks[..2].concat();
    let mut inputs = vec![(
        "mel",
        vec![2, 1, fe.n_mels, fe.chunk_frames],
        batch.as_slice(),
    )];
    let zeros = vec![0.0f32; 2 * hidden];
    if hidden > 0 {
        inputs.push(("h0", vec![1, 2, hidden], &zeros));
        inputs.push(("c0", vec![1, 2, hidden], &zeros));
    }
    let batched = ort.run(&inputs, &["probs"])?.remove(0).1;
    let classes = meta.labels.len();
    report.batch_max_diff = max_diff(&batched[..classes], &single[0]);
    if hidden == 0 {
        report.batch_max_diff = report
            .batch_max_diff
            .max(max_diff(&batched[classes..], &single[1]));
    }
    if report.batch_max_diff > TOLERANCE {
        return Err(ParityError::Disagree {
            what: "batch of two vs one at a time".to_string(),
            diff: report.batch_max_diff,
        });
    }

    if hidden > 0 {
        let rollout = export::rollout_bytes(config, weights, meta, ROLLOUT_CHUNKS)?;
        let mut ort_rollout = OrtModel::from_bytes(&rollout)?;
        let mels: Vec<f32> = chunks.concat();
        let zeros = vec![0.0f32; hidden];
        let out = ort_rollout.run(
            &[
                (
                    "mels",
                    vec![1, ROLLOUT_CHUNKS, 1, fe.n_mels, fe.chunk_frames],
                    &mels,
                ),
                ("h0", state_shape.clone(), &zeros),
                ("c0", state_shape.clone(), &zeros),
            ],
            &["probs", "h1", "c1"],
        )?;
        let (th, tc) = runner.state();
        let (output, diff) = worst_of(&[
            ("probs", max_diff(&single[ROLLOUT_CHUNKS - 1], &out[0].1)),
            ("h", max_diff(th, &out[1].1)),
            ("c", max_diff(tc, &out[2].1)),
        ]);
        report.rollout_max_diff = Some(diff);
        if diff > TOLERANCE {
            return Err(ParityError::Disagree {
                what: format!(
                    "{output} after {ROLLOUT_CHUNKS} steps vs the {ROLLOUT_CHUNKS}-chunk LSTM \
                     roll-out"
                ),
                diff,
            });
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differences_are_absolute_within_one_and_relative_beyond() {
        // A probability or `h` off by 2e-4 fails the bound, whatever its size within [-1, 1].
        assert!((max_diff(&[0.5002], &[0.5]) - 2e-4).abs() < 1e-6);
        assert!((max_diff(&[-0.0002], &[0.0]) - 2e-4).abs() < 1e-6);
        // A cell state of 30 off by 2e-3 is 6.7e-5 relative (float32's spacing there is 1.9e-6).
        let d = max_diff(&[30.002], &[30.0]);
        assert!(d < TOLERANCE && (d - 2e-3 / 30.0).abs() < 1e-6, "{d}");
        // ... and off by 6e-3 it fails.
        assert!(max_diff(&[-30.006], &[-30.0]) > TOLERANCE);
        // Different lengths never agree.
        assert_eq!(max_diff(&[0.0], &[0.0, 0.0]), f32::INFINITY);
    }

    #[test]
    fn the_worst_difference_names_its_output() {
        assert_eq!(
            worst_of(&[("probs", 1e-6), ("h", 3e-5), ("c", 2e-5)]),
            ("h", 3e-5)
        );
        assert_eq!(worst_of(&[("probs", 0.0)]).1, 0.0);
    }
}
