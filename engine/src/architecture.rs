//! The seven architectures of the paper (Tables 1-2 and Section 3.2), by name.
//!
//! The engine only needs to know which are stateful; the trainer builds and exports them.

use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// One of the paper's schemes. The names are the paper's, and they are what `mcclstm.architecture`
/// holds in a model file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Architecture {
    /// Tempo channel only: conv (1,60), max-pool (40,1), softmax on its output (Section 3.2.1).
    R0,
    /// LSTM directly on the spectrogram chunk sequence (Section 3.2.1).
    R1,
    /// Tempo + pitch channels, dense 200 (Pons et al., the paper's [16]).
    R2,
    /// Tempo + pitch + bass channels, dense 400.
    R3,
    /// Tempo + pitch channels, dense 200, LSTM 100.
    R4,
    /// Tempo + pitch + bass channels, dense 400, LSTM 200 (Figure 1).
    #[serde(rename = "MCCLSTM")]
    Mcclstm,
    /// Conv 5x5, pool 2x2, conv 3x3, pool 2x2, dense 200 (Section 3.2.1).
    #[serde(rename = "CNNs-3")]
    Cnns3,
}

impl Architecture {
    /// In the order of the paper's tables.
    pub const ALL: [Architecture; 7] = [
        Architecture::Cnns3,
        Architecture::R0,
        Architecture::R1,
        Architecture::R2,
        Architecture::R3,
        Architecture::R4,
        Architecture::Mcclstm,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Architecture::R0 => "R0",
            Architecture::R1 => "R1",
            Architecture::R2 => "R2",
            Architecture::R3 => "R3",
            Architecture::R4 => "R4",
            Architecture::Mcclstm => "MCCLSTM",
            Architecture::Cnns3 => "CNNs-3",
        }
    }

    /// What the paper's tables write after the name.
    pub fn description(self) -> &'static str {
        match self {
            Architecture::R0 => "T",
            Architecture::R1 => "LSTM only",
            Architecture::R2 => "T+P",
            Architecture::R3 => "T+P+B",
            Architecture::R4 => "T+P+LSTM",
            Architecture::Mcclstm => "T+P+B+LSTM",
            Architecture::Cnns3 => "CNNs-3",
        }
    }

    /// Stateful models carry the LSTM state `(h, c)` from chunk to chunk.
    pub fn is_stateful(self) -> bool {
        matches!(
            self,
            Architecture::R1 | Architecture::R4 | Architecture::Mcclstm
        )
    }
}

impl FromStr for Architecture {
    type Err = String;

    /// Accepts the paper's names in any case (`mcclstm`, `cnns-3`, `cnns3`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.to_ascii_lowercase().replace(['-', '_'], "");
        Architecture::ALL
            .into_iter()
            .find(|a| a.name().to_ascii_lowercase().replace('-', "") == wanted)
            .ok_or_else(|| {
                format!("unknown architecture `{s}` (known: CNNs-3, R0, R1, R2, R3, R4, MCCLSTM)")
            })
    }
}

impl std::fmt::Display for Architecture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_back_in_any_case() {
        for a in Architecture::ALL {
            assert_eq!(a.name().parse::<Architecture>().unwrap(), a);
            assert_eq!(a.name().to_lowercase().parse::<Architecture>().unwrap(), a);
        }
        assert_eq!(
            "cnns3".parse::<Architecture>().unwrap(),
            Architecture::Cnns3
        );
        assert!("R5".parse::<Architecture>().is_err());
    }
}
