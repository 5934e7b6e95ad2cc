//! The paper's seven architectures as one burn module (Tables 1-2, Section 3): the T, P and B
//! channels, CNNs-3, the dense layer, the LSTM over the chunk sequence and the classifier, each
//! present or absent as [`ArchConfig`] says.
//!
//! A model maps a batch of chunk sequences `[B, L, 1, mels, frames]` (already standardised per
//! band) to class logits at every step, `[B, L, classes]`. The LSTM is written out gate by gate in
//! ONNX's gate order (i, o, f, c), so that its weights are the model file's weights with no
//! reordering: what trains here is exactly what the engine runs.

use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{Dropout, DropoutConfig, Initializer, Linear, LinearConfig};
use burn::prelude::*;
use burn::tensor::TensorReadError;
use burn::tensor::activation::{elu, relu, sigmoid};
use serde::{Deserialize, Serialize};

use mcclstm_onnx::arch::{Activation, ArchConfig, ArchError, CNN3_KERNELS, CNN3_POOL, Channel};
use mcclstm_onnx::export::{Conv, Linear as LinearWeights, Lstm, Tensor as WeightTensor, Weights};

/// How weights start.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Init {
    /// burn's defaults (Kaiming-uniform), the LSTM's forget-gate bias at 1.
    #[default]
    Default,
    /// The paper's "Gaussian with variance 1" for every weight, biases at 0 (Section 3.1).
    Paper,
}

/// Everything that shapes a model besides the data: the architecture and the training-time
/// choices the paper leaves open.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelConfig {
    pub arch: ArchConfig,
    /// Dropout before the LSTM or classifier.
    pub dropout: f64,
    pub init: Init,
    pub n_mels: usize,
    pub frames: usize,
    pub classes: usize,
    /// Independent tags (sigmoid outputs, binary cross-entropy per tag) instead of exclusive
    /// classes (softmax, cross-entropy).
    #[serde(default)]
    pub multi_label: bool,
}

/// Why a [`Net`] cannot be built, or its weights not read back.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error(transparent)]
    Arch(#[from] ArchError),
    #[error("dropout {0} is not in [0, 1)")]
    Dropout(f64),
    /// Not a `#[source]`: the message already ends with it.
    #[error("cannot read weights: {0:?}")]
    ReadWeights(TensorReadError),
}

/// A convolution followed by the activation and a max-pool whose stride is its size.
#[derive(Module, Debug)]
pub struct Branch {
    conv: Conv2d,
    pool: MaxPool2d,
}

#[derive(Module, Debug)]
pub struct Net {
    /// The T, P and B channels, in [`ArchConfig::channels`] order (concatenated).
    channels: Vec<Branch>,
    /// CNNs-3's two stacked convolutions.
    cnn3: Vec<Branch>,
    dense: Option<Linear>,
    dropout: Dropout,
    /// Input-to-gates, `[width, 4H]`, gates i, o, f, c, with the (summed) bias.
    lstm_x: Option<Linear>,
    /// State-to-gates, `[H, 4H]`, no bias.
    lstm_h: Option<Linear>,
    output: Linear,
    #[module(skip)]
    config: ModelConfig,
}

impl Net {
    /// A freshly initialised model. Seed the device first for reproducible weights.
    pub fn new(config: &ModelConfig, device: &Device) -> Result<Self, ModelError> {
        let arch = &config.arch;
        arch.validate(config.n_mels, config.frames)?;
        if !(0.0..1.0).contains(&config.dropout) {
            return Err(ModelError::Dropout(config.dropout));
        }
        let f = arch.filters;
        let weight_init = match config.init {
            Init::Default => None,
            Init::Paper => Some(Initializer::Normal {
                mean: 0.0,
                std: 1.0,
            }),
        };
        let conv = |inputs: usize, kernel: [usize; 2], pool: [usize; 2]| {
            let mut c = Conv2dConfig::new([inputs, f], kernel);
            if let Some(init) = &weight_init {
                c = c.with_initializer(init.clone());
            }
            Branch {
                conv: c.init(device),
                pool: MaxPool2dConfig::new(pool).with_strides(pool).init(),
            }
        };
        let linear = |inputs: usize, outputs: usize, bias: bool| {
            let mut c = LinearConfig::new(inputs, outputs).with_bias(bias);
            if let Some(init) = &weight_init {
                c = c.with_initializer(init.clone());
            }
            c.init(device)
        };
        let channels = arch
            .channels()
            .iter()
            .map(|ch: &Channel| conv(1, ch.kernel(), ch.pool()))
            .collect();
        let cnn3 = if arch.architecture == mcclstm_engine::Architecture::Cnns3 {
            vec![
                conv(1, CNN3_KERNELS[0], CNN3_POOL),
                conv(f, CNN3_KERNELS[1], CNN3_POOL),
            ]
        } else {
            Vec::new()
        };
        let mut width = arch.feature_width(config.n_mels, config.frames)?;
        let dense = (arch.dense > 0).then(|| {
            let d = linear(width, arch.dense, true);
            width = arch.dense;
            d
        });
        let (lstm_x, lstm_h) = if arch.lstm > 0 {
            let h = arch.lstm;
            let x = linear(width, 4 * h, true);
            let r = linear(h, 4 * h, false);
            width = h;
            (Some(x), Some(r))
        } else {
            (None, None)
        };
        let output = linear(width, config.classes, true);
        let mut net = Self {
            channels,
            cnn3,
            dense,
            dropout: DropoutConfig::new(config.dropout).init(),
            lstm_x,
            lstm_h,
            output,
            config: config.clone(),
        };
        net.set_initial_biases(device);
        Ok(net)
    }

    pub fn config(&self) -> &ModelConfig {
        &self.config
    }

    /// Paper init: biases at 0. Default init: the LSTM's forget-gate bias at 1, so the cell keeps
    /// its memory at the start of training (Jozefowicz et al. 2015).
    fn set_initial_biases(&mut self, device: &Device) {
        let zero_bias = |layer: &mut Linear| {
            if let Some(bias) = &layer.bias {
                let n = bias.dims()[0];
                layer.bias = Some(burn::module::Param::from_data(
                    TensorData::new(vec![0.0f32; n], [n]),
                    device,
                ));
            }
        };
        match self.config.init {
            Init::Paper => {
                for branch in self.channels.iter_mut().chain(self.cnn3.iter_mut()) {
                    if let Some(bias) = &branch.conv.bias {
                        let n = bias.dims()[0];
                        branch.conv.bias = Some(burn::module::Param::from_data(
                            TensorData::new(vec![0.0f32; n], [n]),
                            device,
                        ));
                    }
                }
                for layer in [&mut self.dense, &mut self.lstm_x]
                    .into_iter()
                    .flatten()
                    .chain([&mut self.output])
                {
                    zero_bias(layer);
                }
            }
            Init::Default => {
                if let Some(x) = &mut self.lstm_x {
                    let h = self.config.arch.lstm;
                    // ONNX order i, o, f, c: the forget gate is the third block.
                    let bias: Vec<f32> = (0..4 * h)
                        .map(|k| {
                            if (2 * h..3 * h).contains(&k) {
                                1.0
                            } else {
                                0.0
                            }
                        })
                        .collect();
                    x.bias = Some(burn::module::Param::from_data(
                        TensorData::new(bias, [4 * h]),
                        device,
                    ));
                }
            }
        }
    }

    fn activate<const D: usize>(&self, x: Tensor<D>) -> Tensor<D> {
        match self.config.arch.activation {
            Activation::Relu => relu(x),
            Activation::Elu => elu(x, 1.0),
            Activation::Tanh => x.tanh(),
        }
    }

    /// Per-chunk features `[N, D]` of chunks `[N, 1, mels, frames]`, after the dense layer.
    fn chunk_features(&self, x: Tensor<4>) -> Tensor<2> {
        let flat = if !self.cnn3.is_empty() {
            let mut y = x;
            for b in &self.cnn3 {
                y = b.pool.forward(self.activate(b.conv.forward(y)));
            }
            y.flatten::<2>(1, 3)
        } else if self.channels.is_empty() {
            x.flatten::<2>(1, 3)
        } else {
            let branches: Vec<Tensor<2>> = self
                .channels
                .iter()
                .map(|b| {
                    b.pool
                        .forward(self.activate(b.conv.forward(x.clone())))
                        .flatten::<2>(1, 3)
                })
                .collect();
            Tensor::cat(branches, 1)
        };
        match &self.dense {
            Some(d) => self.activate(d.forward(flat)),
            None => flat,
        }
    }

    /// Logits at every step, `[B, L, classes]`, for sequences `[B, L, 1, mels, frames]`.
    /// Steps past a sequence's end see padding; callers mask them out.
    pub fn forward(&self, x: Tensor<5>) -> Tensor<3> {
        let [b, l, _, m, n] = x.dims();
        let features = self.chunk_features(x.reshape([b * l, 1, m, n]));
        let features = self.dropout.forward(features);
        let d = features.dims()[1];
        let out = match (&self.lstm_x, &self.lstm_h) {
            (Some(wx), Some(wh)) => {
                let h_size = self.config.arch.lstm;
                let from_x = wx.forward(features).reshape([b, l, 4 * h_size]);
                let device = from_x.device();
                let mut h = Tensor::<2>::zeros([b, h_size], &device);
                let mut c = Tensor::<2>::zeros([b, h_size], &device);
                let mut outputs = Vec::with_capacity(l);
                for t in 0..l {
                    let gates = from_x.clone().select_dim::<2>(1, t) + wh.forward(h);
                    let gate = |k: usize| gates.clone().narrow(1, k * h_size, h_size);
                    let (i, o, f, g) = (gate(0), gate(1), gate(2), gate(3));
                    c = sigmoid(f) * c + sigmoid(i) * g.tanh();
                    h = sigmoid(o) * c.clone().tanh();
                    outputs.push(h.clone());
                }
                Tensor::stack::<3>(outputs, 1).reshape([b * l, h_size])
            }
            _ => features.reshape([b * l, d]),
        };
        self.output
            .forward(out)
            .reshape([b, l, self.config.classes])
    }

    /// The weights in the model file's layout, with the training set's standardisation.
    pub fn to_weights(&self, mel_mean: &[f32], mel_std: &[f32]) -> Result<Weights, ModelError> {
        let conv = |b: &Branch| -> Result<Conv, ModelError> {
            let w = &b.conv.weight;
            Ok(Conv {
                weight: read(w.val())?,
                bias: match &b.conv.bias {
                    Some(bias) => read(bias.val())?,
                    None => WeightTensor::zeros(vec![w.dims()[0]]),
                },
            })
        };
        let linear = |l: &Linear| -> Result<LinearWeights, ModelError> {
            // burn keeps `[in, out]`; ONNX Gemm with transB takes `[out, in]`.
            let weight = read(l.weight.val().transpose())?;
            let out = weight.shape[0];
            Ok(LinearWeights {
                weight,
                bias: match &l.bias {
                    Some(b) => read(b.val())?,
                    None => WeightTensor::zeros(vec![out]),
                },
            })
        };
        let lstm = match (&self.lstm_x, &self.lstm_h) {
            (Some(x), Some(h)) => {
                let wx = linear(x)?;
                let wh = linear(h)?;
                let mut b = wx.bias.data.clone();
                b.extend(std::iter::repeat_n(0.0, b.len()));
                Some(Lstm {
                    w: wx.weight,
                    r: wh.weight,
                    b: WeightTensor::new(vec![b.len()], b),
                })
            }
            _ => None,
        };
        Ok(Weights {
            mel_mean: mel_mean.to_vec(),
            mel_std: mel_std.to_vec(),
            channels: self.channels.iter().map(conv).collect::<Result<_, _>>()?,
            cnn3: self.cnn3.iter().map(conv).collect::<Result<_, _>>()?,
            dense: self.dense.as_ref().map(linear).transpose()?,
            lstm,
            output: linear(&self.output)?,
        })
    }
}

fn read<const D: usize>(t: Tensor<D>) -> Result<WeightTensor, ModelError> {
    let shape = t.dims().to_vec();
    let data = t
        .try_into_vec_as::<f32>()
        .map_err(ModelError::ReadWeights)?;
    Ok(WeightTensor::new(shape, data))
}
