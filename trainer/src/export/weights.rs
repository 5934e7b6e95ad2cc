//! The weight tensors of a model, in ONNX's layouts, checked against its [`ArchConfig`].

use mcclstm_engine::Architecture;
use rand::Rng;
use rand::distr::{Distribution, Uniform};

use crate::arch::{ArchConfig, CNN3_KERNELS, Channel};

/// A dense row-major `f32` tensor.
#[derive(Clone, Debug, PartialEq)]
pub struct Tensor {
    pub shape: Vec<usize>,
    pub data: Vec<f32>,
}

impl Tensor {
    pub fn new(shape: Vec<usize>, data: Vec<f32>) -> Self {
        Self { shape, data }
    }

    pub fn zeros(shape: Vec<usize>) -> Self {
        let n = shape.iter().product();
        Self::new(shape, vec![0.0; n])
    }

    fn uniform(shape: Vec<usize>, bound: f32, rng: &mut impl Rng) -> Self {
        let n = shape.iter().product();
        let dist = Uniform::new_inclusive(-bound, bound).expect("bound is finite and positive");
        Self::new(shape, (0..n).map(|_| dist.sample(rng)).collect())
    }

    fn check(&self, name: &str, shape: &[usize]) -> Result<(), String> {
        if self.shape != shape {
            return Err(format!(
                "`{name}` has shape {:?}, expected {shape:?}",
                self.shape
            ));
        }
        if self.data.len() != shape.iter().product::<usize>() {
            return Err(format!(
                "`{name}` holds {} values for shape {shape:?}",
                self.data.len()
            ));
        }
        if self.data.iter().any(|v| !v.is_finite()) {
            return Err(format!("`{name}` holds non-finite values"));
        }
        Ok(())
    }
}

/// A convolution: weight `[filters, in_channels, kh, kw]`, bias `[filters]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Conv {
    pub weight: Tensor,
    pub bias: Tensor,
}

/// A fully connected layer: weight `[out, in]` (ONNX Gemm with `transB = 1`), bias `[out]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Linear {
    pub weight: Tensor,
    pub bias: Tensor,
}

/// An LSTM in ONNX's layout, gates in ONNX's order i, o, f, c:
/// `w` `[4H, I]`, `r` `[4H, H]`, `b` `[8H]` (input biases, then recurrent biases).
#[derive(Clone, Debug, PartialEq)]
pub struct Lstm {
    pub w: Tensor,
    pub r: Tensor,
    pub b: Tensor,
}

/// Every tensor of one model. Layers the architecture does not have are `None`.
#[derive(Clone, Debug, PartialEq)]
pub struct Weights {
    /// Per-band standardisation, inside the graph: `(mel - mean) / std`, `[n_mels]` each.
    pub mel_mean: Vec<f32>,
    pub mel_std: Vec<f32>,
    /// The T, P and B channels, in [`ArchConfig::channels`] order.
    pub channels: Vec<Conv>,
    /// CNNs-3's two convolutions.
    pub cnn3: Vec<Conv>,
    pub dense: Option<Linear>,
    pub lstm: Option<Lstm>,
    pub output: Linear,
}

impl Weights {
    /// Checks every tensor's shape against the configuration, naming the first that is wrong.
    pub fn validate(
        &self,
        config: &ArchConfig,
        n_mels: usize,
        frames: usize,
        classes: usize,
    ) -> Result<(), String> {
        config.validate(n_mels, frames)?;
        if self.mel_mean.len() != n_mels || self.mel_std.len() != n_mels {
            return Err(format!("mel_mean and mel_std need {n_mels} values"));
        }
        if self.mel_std.iter().any(|s| !(s.is_finite() && *s > 0.0))
            || self.mel_mean.iter().any(|m| !m.is_finite())
        {
            return Err("mel_std must be finite and positive, mel_mean finite".to_string());
        }
        let f = config.filters;
        let channels = config.channels();
        if self.channels.len() != channels.len() {
            return Err(format!(
                "{} has {} channels, got weights for {}",
                config.architecture,
                channels.len(),
                self.channels.len()
            ));
        }
        for (ch, conv) in channels.iter().zip(&self.channels) {
            let [kh, kw] = ch.kernel();
            conv.weight
                .check(&format!("{}.conv.weight", ch.name()), &[f, 1, kh, kw])?;
            conv.bias.check(&format!("{}.conv.bias", ch.name()), &[f])?;
        }
        let cnn3_expected = usize::from(config.architecture == Architecture::Cnns3) * 2;
        if self.cnn3.len() != cnn3_expected {
            return Err(format!("expected {cnn3_expected} CNNs-3 convolutions"));
        }
        for (i, (conv, [kh, kw])) in self.cnn3.iter().zip(CNN3_KERNELS).enumerate() {
            let inputs = if i == 0 { 1 } else { f };
            conv.weight
                .check(&format!("cnn3.conv{i}.weight"), &[f, inputs, kh, kw])?;
            conv.bias.check(&format!("cnn3.conv{i}.bias"), &[f])?;
        }
        let mut width = config.feature_width(n_mels, frames)?;
        match (&self.dense, config.dense) {
            (None, 0) => {}
            (Some(d), units) if units > 0 => {
                d.weight.check("dense.weight", &[units, width])?;
                d.bias.check("dense.bias", &[units])?;
                width = units;
            }
            _ => return Err(format!("dense layer of {} units expected", config.dense)),
        }
        match (&self.lstm, config.lstm) {
            (None, 0) => {}
            (Some(l), h) if h > 0 => {
                l.w.check("lstm.w", &[4 * h, width])?;
                l.r.check("lstm.r", &[4 * h, h])?;
                l.b.check("lstm.b", &[8 * h])?;
                width = h;
            }
            _ => return Err(format!("LSTM of {} units expected", config.lstm)),
        }
        self.output
            .weight
            .check("output.weight", &[classes, width])?;
        self.output.bias.check("output.bias", &[classes])?;
        Ok(())
    }

    /// Random weights of the right shapes (Glorot-uniform, so activations stay in range and the
    /// softmax is not saturated), with a standardisation for typical log-mel levels. For tests and
    /// development models; trained weights come from the trainer.
    pub fn random(
        config: &ArchConfig,
        n_mels: usize,
        frames: usize,
        classes: usize,
        rng: &mut impl Rng,
    ) -> Result<Self, String> {
        config.validate(n_mels, frames)?;
        let f = config.filters;
        let glorot = |fan_in: usize, fan_out: usize| (6.0 / (fan_in + fan_out) as f32).sqrt();
        let conv = |inputs: usize, [kh, kw]: [usize; 2], rng: &mut _| Conv {
            weight: Tensor::uniform(
                vec![f, inputs, kh, kw],
                glorot(inputs * kh * kw, f * kh * kw),
                rng,
            ),
            bias: Tensor::uniform(vec![f], 0.1, rng),
        };
        let channels = config
            .channels()
            .iter()
            .map(|ch: &Channel| conv(1, ch.kernel(), rng))
            .collect();
        let cnn3 = if config.architecture == Architecture::Cnns3 {
            vec![conv(1, CNN3_KERNELS[0], rng), conv(f, CNN3_KERNELS[1], rng)]
        } else {
            Vec::new()
        };
        let linear = |inputs: usize, outputs: usize, rng: &mut _| Linear {
            weight: Tensor::uniform(vec![outputs, inputs], glorot(inputs, outputs), rng),
            bias: Tensor::uniform(vec![outputs], 0.1, rng),
        };
        let mut width = config.feature_width(n_mels, frames)?;
        let dense = (config.dense > 0).then(|| {
            let d = linear(width, config.dense, rng);
            width = config.dense;
            d
        });
        let lstm = (config.lstm > 0).then(|| {
            let h = config.lstm;
            let l = Lstm {
                w: Tensor::uniform(vec![4 * h, width], glorot(width, h), rng),
                r: Tensor::uniform(vec![4 * h, h], glorot(h, h), rng),
                b: Tensor::uniform(vec![8 * h], 0.1, rng),
            };
            width = h;
            l
        });
        let output = linear(width, classes, rng);
        Ok(Self {
            mel_mean: (0..n_mels)
                .map(|_| rng.random_range(-50.0..-20.0))
                .collect(),
            mel_std: (0..n_mels).map(|_| rng.random_range(10.0..25.0)).collect(),
            channels,
            cnn3,
            dense,
            lstm,
            output,
        })
    }
}
