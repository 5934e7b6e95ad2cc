//! Architecture configuration: the sizes the paper gives (Tables 1-2, Section 3.1) and the choices
//! it leaves open, as options with defaults. The ONNX writer and (later) the burn models read it.

use mcclstm_engine::Architecture;
use serde::{Deserialize, Serialize};

/// Kernel of the pitch channel, (32, 1) (paper, Table 1).
pub const P_KERNEL: [usize; 2] = [32, 1];
/// Pooling of the pitch channel, (1, 80) (paper, Table 1).
pub const P_POOL: [usize; 2] = [1, 80];
/// Kernel of the tempo channel, (1, 60) (paper, Table 1).
pub const T_KERNEL: [usize; 2] = [1, 60];
/// Pooling of the tempo channel, (40, 1) (paper, Table 1).
pub const T_POOL: [usize; 2] = [40, 1];
/// Kernel of the bass channel, (13, 9) (paper, Table 1).
pub const B_KERNEL: [usize; 2] = [13, 9];
/// Pooling of the bass channel, (4, 4) (paper, Table 1).
pub const B_POOL: [usize; 2] = [4, 4];
/// CNNs-3's kernels (5, 5) and (3, 3) and its (2, 2) poolings (paper, Section 3.2.1).
pub const CNN3_KERNELS: [[usize; 2]; 2] = [[5, 5], [3, 3]];
pub const CNN3_POOL: [usize; 2] = [2, 2];
/// Dense and LSTM widths for two fused channels: 200 and 100 (paper, Section 3.1).
pub const DENSE_2CH: usize = 200;
pub const LSTM_2CH: usize = 100;
/// Dense and LSTM widths for three fused channels: 400 and 200 (paper, Section 3.1).
pub const DENSE_3CH: usize = 400;
pub const LSTM_3CH: usize = 200;
/// CNNs-3's dense layer: 200 units (paper, Section 3.2.1).
pub const CNN3_DENSE: usize = 200;
/// Filters per convolutional channel. Not in the paper; 32 is our default.
pub const DEFAULT_FILTERS: usize = 32;

/// The hidden non-linearity after each convolution and the dense layer (not in the paper).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    #[default]
    Relu,
    Elu,
    Tanh,
}

impl Activation {
    pub fn onnx_op(self) -> &'static str {
        match self {
            Activation::Relu => "Relu",
            Activation::Elu => "Elu",
            Activation::Tanh => "Tanh",
        }
    }
}

impl std::str::FromStr for Activation {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "relu" => Ok(Activation::Relu),
            "elu" => Ok(Activation::Elu),
            "tanh" => Ok(Activation::Tanh),
            _ => Err(format!("unknown activation `{s}` (known: relu, elu, tanh)")),
        }
    }
}

/// A convolutional channel of Figure 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Channel {
    /// Tempo: a wide temporal filter.
    T,
    /// Pitch: a tall frequency filter.
    P,
    /// Bass: a filter wide in time and narrow in frequency.
    B,
}

impl Channel {
    pub fn kernel(self) -> [usize; 2] {
        match self {
            Channel::T => T_KERNEL,
            Channel::P => P_KERNEL,
            Channel::B => B_KERNEL,
        }
    }

    pub fn pool(self) -> [usize; 2] {
        match self {
            Channel::T => T_POOL,
            Channel::P => P_POOL,
            Channel::B => B_POOL,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Channel::T => "t",
            Channel::P => "p",
            Channel::B => "b",
        }
    }
}

/// Why an [`ArchConfig`] cannot be built for a chunk size.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ArchError {
    #[error("filters must be at least 1")]
    NoFilters,
    /// A stateful architecture configured with `lstm = 0`.
    #[error("{0} needs an LSTM (lstm = 0)")]
    MissingLstm(Architecture),
    /// A stateless architecture configured with LSTM units.
    #[error("{architecture} has no an LSTM (lstm = {lstm})")]
    UnexpectedLstm {
        architecture: Architecture,
        lstm: usize,
    },
    #[error("input {input:?} is smaller than kernel {kernel:?}")]
    InputSmallerThanKernel {
        input: [usize; 2],
        kernel: [usize; 2],
    },
    #[error("convolution output {conv} is smaller than pooling {pool:?}")]
    ConvSmallerThanPool { conv: usize, pool: [usize; 2] },
}

/// The shape of one model: which layers it has and how wide they are.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ArchConfig {
    pub architecture: Architecture,
    /// Filters of each convolution (every channel, and both of CNNs-3's).
    pub filters: usize,
    pub activation: Activation,
    /// Units of the dense layer after the channels; 0 for none (R0, R1).
    pub dense: usize,
    /// Units of the LSTM; 0 for a stateless model.
    pub lstm: usize,
}

impl ArchConfig {
    /// The paper's sizes for `architecture` with our default for what it leaves open.
    pub fn paper(architecture: Architecture) -> Self {
        let (dense, lstm) = match architecture {
            Architecture::R0 => (0, 0),
            Architecture::R1 => (0, LSTM_2CH),
            Architecture::R2 => (DENSE_2CH, 0),
            Architecture::R3 => (DENSE_3CH, 0),
            Architecture::R4 => (DENSE_2CH, LSTM_2CH),
            Architecture::Mcclstm => (DENSE_3CH, LSTM_3CH),
            Architecture::Cnns3 => (CNN3_DENSE, 0),
        };
        Self {
            architecture,
            filters: DEFAULT_FILTERS,
            activation: Activation::default(),
            dense,
            lstm,
        }
    }

    /// The convolutional channels of the multi-channel schemes, in the order their outputs are
    /// concatenated. Empty for R1 and CNNs-3.
    pub fn channels(&self) -> &'static [Channel] {
        match self.architecture {
            Architecture::R0 => &[Channel::T],
            Architecture::R2 | Architecture::R4 => &[Channel::T, Channel::P],
            Architecture::R3 | Architecture::Mcclstm => &[Channel::T, Channel::P, Channel::B],
            Architecture::R1 | Architecture::Cnns3 => &[],
        }
    }

    /// Width of the feature vector a chunk of `n_mels x frames` yields before the dense layer.
    pub fn feature_width(&self, n_mels: usize, frames: usize) -> Result<usize, ArchError> {
        match self.architecture {
            Architecture::R1 => Ok(n_mels * frames),
            Architecture::Cnns3 => {
                let mut hw = [n_mels, frames];
                for kernel in CNN3_KERNELS {
                    hw = conv_pool(hw, kernel, CNN3_POOL)?;
                }
                Ok(self.filters * hw[0] * hw[1])
            }
            _ => self.channels().iter().try_fold(0, |acc, ch| {
                let [h, w] = conv_pool([n_mels, frames], ch.kernel(), ch.pool())?;
                Ok(acc + self.filters * h * w)
            }),
        }
    }

    pub fn validate(&self, n_mels: usize, frames: usize) -> Result<(), ArchError> {
        if self.filters == 0 && !matches!(self.architecture, Architecture::R1) {
            return Err(ArchError::NoFilters);
        }
        match (self.architecture.is_stateful(), self.lstm) {
            (true, 0) => return Err(ArchError::MissingLstm(self.architecture)),
            (false, lstm) if lstm > 0 => {
                return Err(ArchError::UnexpectedLstm {
                    architecture: self.architecture,
                    lstm,
                });
            }
            _ => {}
        }
        self.feature_width(n_mels, frames).map(|_| ())
    }
}

/// Output size of a valid convolution followed by a max-pool whose stride is its kernel.
fn conv_pool(
    hw: [usize; 2],
    kernel: [usize; 2],
    pool: [usize; 2],
) -> Result<[usize; 2], ArchError> {
    let mut out = [0; 2];
    for d in 0..2 {
        if hw[d] < kernel[d] {
            return Err(ArchError::InputSmallerThanKernel { input: hw, kernel });
        }
        let conv = hw[d] - kernel[d] + 1;
        if conv < pool[d] {
            return Err(ArchError::ConvSmallerThanPool { conv, pool });
        }
        out[d] = conv / pool[d];
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paper_feature_widths_at_40_by_80() {
        let width = |a| ArchConfig::paper(a).feature_width(40, 80).unwrap();
        // T: (40,21) conv -> (1,21) pool; P: (9,80) -> (9,1); B: (28,72) -> (7,18).
        assert_eq!(width(Architecture::R0), 32 * 21);
        assert_eq!(width(Architecture::R2), 32 * (21 + 9));
        assert_eq!(width(Architecture::Mcclstm), 32 * (21 + 9 + 126));
        assert_eq!(width(Architecture::R1), 3200);
        // CNNs-3: (36,76) -> (18,38) -> (16,36) -> (8,18).
        assert_eq!(width(Architecture::Cnns3), 32 * 144);
    }

    #[test]
    fn stateful_architectures_need_an_lstm() {
        for a in Architecture::ALL {
            ArchConfig::paper(a).validate(40, 80).unwrap();
        }
        let mut bad = ArchConfig::paper(Architecture::Mcclstm);
        bad.lstm = 0;
        assert_eq!(
            bad.validate(40, 80),
            Err(ArchError::MissingLstm(Architecture::Mcclstm))
        );
        let mut bad = ArchConfig::paper(Architecture::R2);
        bad.lstm = 100;
        assert!(matches!(
            bad.validate(40, 80),
            Err(ArchError::UnexpectedLstm { lstm: 100, .. })
        ));
    }
}
