//! The weight tensors of a model, in ONNX's layouts, checked against its [`ArchConfig`].

use mcclstm_engine::Architecture;
use rand::Rng;
use rand::distr::{Distribution, Uniform};

use crate::arch::{ArchConfig, ArchError, CNN3_KERNELS, Channel};

/// Why a set of weights does not fit its [`ArchConfig`]. Tensors are named as in
/// [`Weights::validate`] (`t.conv.weight`, `lstm.r`, `output.bias`, ...).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WeightsError {
    #[error(transparent)]
    Arch(#[from] ArchError),
    #[error("`{name}` has shape {shape:?}, expected {expected:?}")]
    Shape {
        name: String,
        shape: Vec<usize>,
        expected: Vec<usize>,
    },
    #[error("`{name}` holds {len} values for shape {shape:?}")]
    Len {
        name: String,
        len: usize,
        shape: Vec<usize>,
    },
    #[error("`{name}` holds non-finite values")]
    NonFinite { name: String },
    #[error("mel_mean and mel_std need {n_mels} values")]
    StandardisationLen { n_mels: usize },
    #[error("mel_std must be finite and positive, mel_mean finite")]
    StandardisationValues,
    #[error("{architecture} has {expected} channels, got weights for {got}")]
    Channels {
        architecture: Architecture,
        expected: usize,
        got: usize,
    },
    #[error("expected {expected} CNNs-3 convolutions")]
    Cnns3 { expected: usize },
    #[error("dense layer of {units} units expected")]
    Dense { units: usize },
    #[error("LSTM of {units} units expected")]
    Lstm { units: usize },
}

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

    fn check(&self, name: &str, shape: &[usize]) -> Result<(), WeightsError> {
        if self.shape != shape {
            return Err(WeightsError::Shape {
                name: name.to_string(),
                shape: self.shape.clone(),
                expected: shape.to_vec(),
            });
        }
        if self.data.len() != shape.iter().product::<usize>() {
            return Err(WeightsError::Len {
                name: name.to_string(),
                len: self.data.len(),
                shape: shape.to_vec(),
            });
        }
        if self.data.iter().any(|v| !v.is_finite()) {
            return Err(WeightsError::NonFinite {
                name: name.to_string(),
            });
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
    ) -> Result<(), WeightsError> {
        config.validate(n_mels, frames)?;
        if self.mel_mean.len() != n_mels || self.mel_std.len() != n_mels {
            return Err(WeightsError::StandardisationLen { n_mels });
        }
        if self.mel_std.iter().any(|s| !(s.is_finite() && *s > 0.0))
            || self.mel_mean.iter().any(|m| !m.is_finite())
        {
            return Err(WeightsError::StandardisationValues);
        }
        let f = config.filters;
        let channels = config.channels();
        if self.channels.len() != channels.len() {
            return Err(WeightsError::Channels {
                architecture: config.architecture,
                expected: channels.len(),
                got: self.channels.len(),
            });
        }
        for (ch, conv) in channels.iter().zip(&self.channels) {
            let [kh, kw] = ch.kernel();
            conv.weight
                .check(&format!("{}.conv.weight", ch.name()), &[f, 1, kh, kw])?;
            conv.bias.check(&format!("{}.conv.bias", ch.name()), &[f])?;
        }
        let cnn3_expected = usize::from(config.architecture == Architecture::Cnns3) * 2;
        if self.cnn3.len() != cnn3_expected {
            return Err(WeightsError::Cnns3 {
                expected: cnn3_expected,
            });
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
            _ => {
                return Err(WeightsError::Dense {
                    units: config.dense,
                });
            }
        }
        match (&self.lstm, config.lstm) {
            (None, 0) => {}
            (Some(l), h) if h > 0 => {
                l.w.check("lstm.w", &[4 * h, width])?;
                l.r.check("lstm.r", &[4 * h, h])?;
                l.b.check("lstm.b", &[8 * h])?;
                width = h;
            }
            _ => {
                return Err(WeightsError::Lstm { units: config.lstm });
            }
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
    ) -> Result<Self, WeightsError> {
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
