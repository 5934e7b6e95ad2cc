//! Sun/NeXT `.au` audio, the format GTZAN ships in. symphonia does not read it, so the engine does:
//! a 24-byte big-endian header (magic `.snd`, data offset, data size, encoding, rate, channels)
//! followed by interleaved big-endian samples.
//!
//! Supported encodings: 1 (8-bit G.711 µ-law), 2 (8-bit linear), 3 (16-bit linear),
//! 4 (24-bit linear), 5 (32-bit linear), 6 (32-bit float), 7 (64-bit float), 27 (8-bit G.711 A-law).

/// The four bytes every `.au` file starts with.
pub const MAGIC: &[u8; 4] = b".snd";

/// Size of the fixed header; the annotation field that may follow is skipped via the data offset.
const HEADER_LEN: usize = 24;

/// Why bytes are not a readable `.au` file.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AuError {
    #[error("not a Sun/NeXT .au file (no `.snd` header)")]
    NotAu,
    #[error("data offset {offset} is outside the file ({file_len} bytes)")]
    DataOffset { offset: usize, file_len: usize },
    #[error("sample rate is 0")]
    ZeroSampleRate,
    /// None, or more than 64.
    #[error("{0} channels")]
    Channels(usize),
    #[error("unsupported .au encoding {0}")]
    UnsupportedEncoding(u32),
}

/// A decoded `.au` file, still interleaved.
#[derive(Clone, Debug, PartialEq)]
pub struct AuAudio {
    pub samples: Vec<f32>,
    pub sample_rate: u32,
    pub channels: usize,
}

/// Whether `bytes` start like an `.au` file.
pub fn is_au(bytes: &[u8]) -> bool {
    bytes.starts_with(MAGIC)
}

/// Decodes a whole `.au` file. A data size of `0xffffffff` ("unknown") or one that runs past the end
/// of the file reads to the end, keeping whole frames only, as other readers do with truncated files.
pub fn decode(bytes: &[u8]) -> Result<AuAudio, AuError> {
    if bytes.len() < HEADER_LEN || !is_au(bytes) {
        return Err(AuError::NotAu);
    }
    let word = |i: usize| u32::from_be_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
    let offset = word(4) as usize;
    let size = word(8);
    let encoding = word(12);
    let sample_rate = word(16);
    let channels = word(20) as usize;
    if offset < HEADER_LEN || offset > bytes.len() {
        return Err(AuError::DataOffset {
            offset,
            file_len: bytes.len(),
        });
    }
    if sample_rate == 0 {
        return Err(AuError::ZeroSampleRate);
    }
    if channels == 0 || channels > 64 {
        return Err(AuError::Channels(channels));
    }
    let width = match encoding {
        1 | 2 | 27 => 1,
        3 => 2,
        4 => 3,
        5 | 6 => 4,
        7 => 8,
        other => return Err(AuError::UnsupportedEncoding(other)),
    };
    let available = bytes.len() - offset;
    let len = if size == u32::MAX {
        available
    } else {
        available.min(size as usize)
    };
    let frame = width * channels;
    let data = &bytes[offset..offset + len - len % frame];
    let samples = data
        .chunks_exact(width)
        .map(|s| match encoding {
            1 => mu_law(s[0]),
            27 => a_law(s[0]),
            2 => f32::from(s[0] as i8) / 128.0,
            3 => f32::from(i16::from_be_bytes([s[0], s[1]])) / 32768.0,
            4 => (i32::from_be_bytes([s[0], s[1], s[2], 0]) >> 8) as f32 / 8_388_608.0,
            5 => (f64::from(i32::from_be_bytes([s[0], s[1], s[2], s[3]])) / 2_147_483_648.0) as f32,
            6 => f32::from_be_bytes([s[0], s[1], s[2], s[3]]),
            _ => f64::from_be_bytes([s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]]) as f32,
        })
        .collect();
    Ok(AuAudio {
        samples,
        sample_rate,
        channels,
    })
}

/// G.711 µ-law expansion to [-1, 1).
fn mu_law(byte: u8) -> f32 {
    let u = !byte;
    let sign = u & 0x80;
    let exponent = (u >> 4) & 0x07;
    let mantissa = i32::from(u & 0x0f);
    let magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84;
    let value = if sign != 0 { -magnitude } else { magnitude };
    value as f32 / 32768.0
}

/// G.711 A-law expansion to [-1, 1).
fn a_law(byte: u8) -> f32 {
    let a = byte ^ 0x55;
    let sign = a & 0x80;
    let exponent = i32::from((a >> 4) & 0x07);
    let mantissa = i32::from(a & 0x0f);
    let magnitude = if exponent == 0 {
        (mantissa << 4) + 8
    } else {
        ((mantissa << 4) + 0x108) << (exponent - 1)
    };
    let value = if sign != 0 { magnitude } else { -magnitude };
    value as f32 / 32768.0
}

/// Writes interleaved samples as a 16-bit linear `.au` file's bytes (what GTZAN's files are).
/// Used by tests and by data makers that want GTZAN's layout.
pub fn encode_pcm16(samples: &[f32], sample_rate: u32, channels: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + samples.len() * 2);
    out.extend_from_slice(MAGIC);
    for word in [
        HEADER_LEN as u32,
        (samples.len() * 2) as u32,
        3,
        sample_rate,
        channels as u32,
    ] {
        out.extend_from_slice(&word.to_be_bytes());
    }
    for s in samples {
        // The decoder's scale (1/32768), so a round trip is within half a step.
        let v = (s * 32768.0).round().clamp(-32768.0, 32767.0) as i16;
        out.extend_from_slice(&v.to_be_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pcm16_round_trip_keeps_samples_within_one_step() {
        let samples: Vec<f32> = (0..1000).map(|i| ((i as f32) * 0.01).sin() * 0.9).collect();
        let bytes = encode_pcm16(&samples, 22050, 2);
        let audio = decode(&bytes).unwrap();
        assert_eq!(audio.sample_rate, 22050);
        assert_eq!(audio.channels, 2);
        assert_eq!(audio.samples.len(), 1000);
        for (a, b) in samples.iter().zip(&audio.samples) {
            // Half a 16-bit quantisation step.
            assert!((a - b).abs() <= 0.5 / 32768.0 + 1e-7, "{a} vs {b}");
        }
    }

    #[test]
    fn truncated_file_keeps_whole_frames() {
        let mut bytes = encode_pcm16(&[0.5; 10], 8000, 2);
        bytes.truncate(bytes.len() - 3);
        assert_eq!(decode(&bytes).unwrap().samples.len(), 8);
    }

    #[test]
    fn mu_law_matches_g711_table_entries() {
        // G.711: 0xff and 0x7f are the two zeros, 0x00 is the most negative value (-32124).
        assert_eq!(mu_law(0xff), 0.0);
        assert_eq!(mu_law(0x7f), 0.0);
        assert_eq!(mu_law(0x00), -32124.0 / 32768.0);
        assert_eq!(mu_law(0x80), 32124.0 / 32768.0);
        // A-law 0xd5 is +8, 0x55 is -8 (the smallest magnitudes).
        assert_eq!(a_law(0xd5), 8.0 / 32768.0);
        assert_eq!(a_law(0x55), -8.0 / 32768.0);
    }

    #[test]
    fn garbage_is_refused_with_a_reason() {
        let err = decode(b"RIFF....").unwrap_err();
        assert_eq!(err, AuError::NotAu);
        assert!(err.to_string().contains(".snd"), "{err}");
        let mut bytes = encode_pcm16(&[0.0; 4], 8000, 1);
        bytes[15] = 99;
        let err = decode(&bytes).unwrap_err();
        assert_eq!(err, AuError::UnsupportedEncoding(99));
        assert!(err.to_string().contains("encoding 99"), "{err}");
    }
}
