//! Honest confidence: a model's calibration, applied to every output, and the "unsure" verdict.
//!
//! A model file may carry `mcclstm.confidence` (DESIGN.md, "Model file contract"): a temperature
//! fitted on held-out audio (`mcclstm-train calibrate`) and the confidence below which the model's
//! top class is shown as "unsure" with the two leading classes. A file without it runs at
//! temperature 1 with [`DEFAULT_UNSURE_BELOW`].
//!
//! The temperature acts on the model's probabilities as on logits: `p_i^(1/T)`, renormalised,
//! which is `softmax(log p / T)`. It never changes which class leads, only how sure the output is.

use serde::{Deserialize, Serialize};

/// Below this top-class probability a model without a stored threshold says "unsure": the top
/// class is then more likely wrong than right if the probabilities are calibrated, and two classes
/// nearly tied always fall under it.
pub const DEFAULT_UNSURE_BELOW: f32 = 0.5;

/// The range a stored temperature must lie in; outside it the file is refused.
pub const TEMPERATURE_RANGE: (f32, f32) = (0.05, 20.0);

/// A model's calibration and "unsure" threshold.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Confidence {
    /// Divides the log-probabilities; 1 leaves them as the network gives them.
    pub temperature: f32,
    /// Top-class probability (after calibration) below which the verdict is "unsure".
    pub unsure_below: f32,
    /// Where the calibration was fitted and what it measured (free JSON); `null` when the file
    /// carries none.
    #[serde(default)]
    pub fitted_on: serde_json::Value,
}

impl Default for Confidence {
    fn default() -> Self {
        Self {
            temperature: 1.0,
            unsure_below: DEFAULT_UNSURE_BELOW,
            fitted_on: serde_json::Value::Null,
        }
    }
}

impl Confidence {
    /// Whether the model file carried a fitted calibration.
    pub fn is_calibrated(&self) -> bool {
        !self.fitted_on.is_null()
    }

    /// Why the values cannot be used, if they cannot.
    pub fn validate(&self) -> Result<(), String> {
        let (lo, hi) = TEMPERATURE_RANGE;
        if !(self.temperature.is_finite() && (lo..=hi).contains(&self.temperature)) {
            return Err(format!(
                "temperature {} is outside {lo}..={hi}",
                self.temperature
            ));
        }
        if !(self.unsure_below.is_finite() && (0.0..=1.0).contains(&self.unsure_below)) {
            return Err(format!(
                "unsure_below {} is outside 0..=1",
                self.unsure_below
            ));
        }
        Ok(())
    }

    /// Applies the temperature to `probs` in place. Never allocates. Temperature 1 leaves the
    /// values untouched, bit for bit.
    pub fn calibrate(&self, probs: &mut [f32]) {
        calibrate_with(self.temperature, probs);
    }

    /// The verdict on a probability vector (already calibrated).
    pub fn verdict(&self, probs: &[f32]) -> Verdict {
        Verdict::of(probs, self.unsure_below)
    }
}

/// A tag of a model with independent outputs ([`crate::Outputs::Independent`]) is shown as present
/// at this probability or more. Lower than 0.5 because such models learn a teacher's tag
/// probabilities, which rarely reach 0.5 (docs/teacher-mapping.md); the `style` card measures it.
pub const TAG_PRESENT: f32 = 0.3;

/// The tags of `probs` present at [`TAG_PRESENT`] or more, strongest first, as (index, p).
pub fn present_tags(probs: &[f32]) -> Vec<(usize, f32)> {
    let mut tags: Vec<(usize, f32)> = probs
        .iter()
        .copied()
        .enumerate()
        .filter(|&(_, p)| p >= TAG_PRESENT)
        .collect();
    tags.sort_by(|a, b| b.1.total_cmp(&a.1));
    tags
}

/// `p_i^(1/t)`, renormalised, in place: a softmax of `log p / t`. Zero stays zero. Temperature 1,
/// or a vector without a positive value, is left as it is.
pub fn calibrate_with(temperature: f32, probs: &mut [f32]) {
    if temperature == 1.0 {
        return;
    }
    let max = probs.iter().copied().fold(0.0f32, f32::max);
    if !(max > 0.0 && max.is_finite()) {
        return;
    }
    let inv = 1.0 / f64::from(temperature);
    let mut sum = 0.0f64;
    for p in probs.iter_mut() {
        let v = if *p > 0.0 {
            // (p / max)^(1/t) keeps the largest term at 1: no overflow at small temperatures.
            (f64::from(*p) / f64::from(max)).powf(inv)
        } else {
            0.0
        };
        *p = v as f32;
        sum += v;
    }
    for p in probs.iter_mut() {
        *p = (f64::from(*p) / sum) as f32;
    }
}

/// What to show for one probability vector: the leading class, the runner-up, and whether the
/// leader is sure enough to be shown alone.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Verdict {
    pub top: usize,
    pub top_p: f32,
    /// The second class (equal to `top` when there is only one class).
    pub second: usize,
    pub second_p: f32,
    /// `top_p` is below the model's threshold.
    pub unsure: bool,
}

impl Verdict {
    /// The verdict with threshold `unsure_below`. Ties go to the first class, as `argmax` does.
    pub fn of(probs: &[f32], unsure_below: f32) -> Self {
        let mut top = 0;
        for (i, &p) in probs.iter().enumerate() {
            if p > probs[top] {
                top = i;
            }
        }
        let mut second = top;
        for (i, &p) in probs.iter().enumerate() {
            if i != top && (second == top || p > probs[second]) {
                second = i;
            }
        }
        let top_p = probs.get(top).copied().unwrap_or(0.0);
        Self {
            top,
            top_p,
            second,
            second_p: probs.get(second).copied().unwrap_or(0.0),
            // NaN compares false: never sure.
            unsure: top_p.partial_cmp(&unsure_below).is_none_or(|o| o.is_lt()),
        }
    }

    /// "classical 0.91", or "unsure: classical 0.41 / rock 0.33".
    pub fn describe(&self, labels: &[String]) -> String {
        let name = |i: usize| labels.get(i).map_or("?", String::as_str);
        if self.unsure {
            format!(
                "unsure: {} {:.2} / {} {:.2}",
                name(self.top),
                self.top_p,
                name(self.second),
                self.second_p
            )
        } else {
            format!("{} {:.2}", name(self.top), self.top_p)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temperature_one_is_the_identity_bit_for_bit() {
        let mut p = [0.1f32, 0.2, 0.7];
        calibrate_with(1.0, &mut p);
        assert_eq!(p, [0.1, 0.2, 0.7]);
    }

    #[test]
    fn temperature_is_a_softmax_of_log_probabilities_and_keeps_the_leader() {
        let raw = [0.05f32, 0.15, 0.8];
        for t in [0.3f32, 0.7, 1.5, 4.0] {
            let mut p = raw;
            calibrate_with(t, &mut p);
            let z: Vec<f64> = raw
                .iter()
                .map(|&r| f64::from(r).ln() / f64::from(t))
                .collect();
            let s: f64 = z.iter().map(|v| v.exp()).sum();
            for (got, zi) in p.iter().zip(&z) {
                assert!(
                    (f64::from(*got) - zi.exp() / s).abs() < 1e-6,
                    "t={t}: {p:?}"
                );
            }
            assert_eq!(Verdict::of(&p, 0.0).top, 2);
            assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-5);
        }
        // Above 1 it softens, below 1 it sharpens.
        let (mut soft, mut sharp) = (raw, raw);
        calibrate_with(2.0, &mut soft);
        calibrate_with(0.5, &mut sharp);
        assert!(soft[2] < 0.8 && sharp[2] > 0.8);
    }

    #[test]
    fn zeros_and_tiny_temperatures_stay_finite() {
        let mut p = [0.0f32, 1e-30, 1.0];
        calibrate_with(0.05, &mut p);
        assert!(p.iter().all(|v| v.is_finite()));
        assert_eq!(p[0], 0.0);
        let mut zeros = [0.0f32; 4];
        calibrate_with(2.0, &mut zeros);
        assert_eq!(zeros, [0.0; 4]);
    }

    #[test]
    fn a_near_tie_is_unsure_and_names_both_leaders() {
        let labels: Vec<String> = ["blues", "rock", "metal"].map(String::from).into();
        let v = Verdict::of(&[0.1, 0.46, 0.44], DEFAULT_UNSURE_BELOW);
        assert!(v.unsure);
        assert_eq!((v.top, v.second), (1, 2));
        assert_eq!(v.describe(&labels), "unsure: rock 0.46 / metal 0.44");
        let sure = Verdict::of(&[0.1, 0.8, 0.1], DEFAULT_UNSURE_BELOW);
        assert!(!sure.unsure);
        assert_eq!(sure.describe(&labels), "rock 0.80");
        // NaN never reads as sure.
        assert!(Verdict::of(&[f32::NAN, f32::NAN], 0.5).unsure);
    }

    #[test]
    fn stored_values_out_of_range_are_refused() {
        let ok = Confidence::default();
        assert!(ok.validate().is_ok());
        for (t, u) in [
            (0.0, 0.5),
            (f32::NAN, 0.5),
            (50.0, 0.5),
            (1.0, 1.5),
            (1.0, -0.1),
        ] {
            let c = Confidence {
                temperature: t,
                unsure_below: u,
                fitted_on: serde_json::Value::Null,
            };
            assert!(c.validate().is_err(), "{t} {u}");
        }
    }
}
