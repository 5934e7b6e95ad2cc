//! The common WAV files read directly: 16-, 24- and 32-bit integer PCM and 32-bit float, plain
//! or `WAVE_FORMAT_EXTENSIBLE`, one to eight channels, a `data` chunk whole inside the file.
//! Everything else (8-bit, 64-bit float, compressed formats, odd containers, a `data` chunk cut
//! short, a streaming header of unknown length) goes to symphonia, as before.
//!
//! The samples are symphonia's exactly: the same integer-to-float conversions, in the same
//! order. What is skipped is symphonia's packets and planar buffers: the bytes are converted
//! straight into interleaved floats, block by block, with buffers reused.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};

/// The sample encodings read here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Encoding {
    I16,
    I24,
    I32,
    F32,
}

impl Encoding {
    fn bytes(self) -> usize {
        match self {
            Encoding::I16 => 2,
            Encoding::I24 => 3,
            Encoding::I32 | Encoding::F32 => 4,
        }
    }
}

/// A WAV file's layout, when it is one read here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Layout {
    pub sample_rate: u32,
    pub channels: usize,
    pub encoding: Encoding,
    /// Where the `data` chunk's samples start, and how many whole frames it holds.
    pub data_at: u64,
    pub frames: u64,
}

const WAVE_FORMAT_PCM: u16 = 1;
const WAVE_FORMAT_IEEE_FLOAT: u16 = 3;
const WAVE_FORMAT_EXTENSIBLE: u16 = 0xfffe;
/// The most chunks walked before `data`: past it the file is left to symphonia.
const MAX_CHUNKS: usize = 64;

/// The layout of `file` if it is a WAV file read here; `None` leaves it to symphonia. Leaves the
/// file's position anywhere.
pub(crate) fn layout(file: &mut File) -> Option<Layout> {
    let len = file.metadata().ok()?.len();
    file.seek(SeekFrom::Start(0)).ok()?;
    let mut riff = [0u8; 12];
    file.read_exact(&mut riff).ok()?;
    if &riff[..4] != b"RIFF" || &riff[8..] != b"WAVE" {
        return None;
    }
    let mut at = 12u64;
    let mut format: Option<(u32, usize, Encoding)> = None;
    for _ in 0..MAX_CHUNKS {
        let mut head = [0u8; 8];
        file.seek(SeekFrom::Start(at)).ok()?;
        file.read_exact(&mut head).ok()?;
        let size = u64::from(u32::from_le_bytes([head[4], head[5], head[6], head[7]]));
        let body = at + 8;
        match &head[..4] {
            b"fmt " => {
                // The first `fmt ` decides, as in symphonia; a second one is odd: leave it.
                if format.is_some() || !(16..=1024).contains(&size) {
                    return None;
                }
                let mut fmt = vec![0u8; size as usize];
                file.read_exact(&mut fmt).ok()?;
                format = Some(parse_fmt(&fmt)?);
            }
            b"data" => {
                let (sample_rate, channels, encoding) = format?;
                let frame = (channels * encoding.bytes()) as u64;
                // A chunk cut short, a streaming header (0 or 0xFFFFFFFF) or a partial last
                // frame: symphonia's handling of those stays the reference.
                if size == 0 || size % frame != 0 || body.checked_add(size)? > len {
                    return None;
                }
                return Some(Layout {
                    sample_rate,
                    channels,
                    encoding,
                    data_at: body,
                    frames: size / frame,
                });
            }
            _ => {}
        }
        // Chunks are padded to an even size.
        at = body.checked_add(size)?.checked_add(size & 1)?;
        if at >= len {
            return None;
        }
    }
    None
}

fn parse_fmt(fmt: &[u8]) -> Option<(u32, usize, Encoding)> {
    let u16_at = |i: usize| u16::from_le_bytes([fmt[i], fmt[i + 1]]);
    let mut tag = u16_at(0);
    let channels = usize::from(u16_at(2));
    let sample_rate = u32::from_le_bytes([fmt[4], fmt[5], fmt[6], fmt[7]]);
    let block_align = usize::from(u16_at(12));
    let bits = u16_at(14);
    if tag == WAVE_FORMAT_EXTENSIBLE {
        // cbSize 22: valid bits, channel mask, then the sub-format GUID whose first two bytes are
        // the format tag. Only containers whose bits are all valid are read here.
        if fmt.len() < 40 || u16_at(16) < 22 || u16_at(18) != bits {
            return None;
        }
        const GUID_TAIL: [u8; 14] = [
            0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71,
        ];
        if fmt[26..40] != GUID_TAIL {
            return None;
        }
        tag = u16_at(24);
    }
    let encoding = match (tag, bits) {
        (WAVE_FORMAT_PCM, 16) => Encoding::I16,
        (WAVE_FORMAT_PCM, 24) => Encoding::I24,
        (WAVE_FORMAT_PCM, 32) => Encoding::I32,
        (WAVE_FORMAT_IEEE_FLOAT, 32) => Encoding::F32,
        _ => return None,
    };
    if !(1..=8).contains(&channels) || block_align != channels * encoding.bytes() {
        return None;
    }
    if !crate::resample::RATES.contains(&sample_rate) {
        return None;
    }
    Some((sample_rate, channels, encoding))
}

/// Frames converted per block.
const BLOCK_FRAMES: usize = 16 * 1024;

/// Reads the `data` chunk of `layout` and hands its samples to `on_block`, interleaved, block by
/// block. A read that fails part way (a file shrinking under us) keeps what came before, as a
/// truncated file does in symphonia.
pub(crate) fn read(file: &mut File, layout: &Layout, mut on_block: impl FnMut(&[f32])) {
    let frame = layout.channels * layout.encoding.bytes();
    if file.seek(SeekFrom::Start(layout.data_at)).is_err() {
        return;
    }
    let mut bytes = vec![0u8; BLOCK_FRAMES * frame];
    let mut samples = vec![0.0f32; BLOCK_FRAMES * layout.channels];
    let mut left = layout.frames;
    while left > 0 {
        let n = (left.min(BLOCK_FRAMES as u64)) as usize;
        let bytes = &mut bytes[..n * frame];
        if file.read_exact(bytes).is_err() {
            return;
        }
        let out = &mut samples[..n * layout.channels];
        convert(layout.encoding, bytes, out);
        on_block(out);
        left -= n as u64;
    }
}

/// Little-endian samples to floats, with symphonia's conversions.
fn convert(encoding: Encoding, bytes: &[u8], out: &mut [f32]) {
    match encoding {
        Encoding::I16 => {
            for (o, b) in out.iter_mut().zip(bytes.chunks_exact(2)) {
                *o = f32::from(i16::from_le_bytes([b[0], b[1]])) / 32_768.0;
            }
        }
        Encoding::I24 => {
            for (o, b) in out.iter_mut().zip(bytes.chunks_exact(3)) {
                // Sign-extended from the top byte.
                let v = i32::from_le_bytes([0, b[0], b[1], b[2]]) >> 8;
                *o = v as f32 / 8_388_608.0;
            }
        }
        Encoding::I32 => {
            for (o, b) in out.iter_mut().zip(bytes.chunks_exact(4)) {
                let v = i32::from_le_bytes([b[0], b[1], b[2], b[3]]);
                *o = (f64::from(v) / 2_147_483_648.0) as f32;
            }
        }
        Encoding::F32 => {
            for (o, b) in out.iter_mut().zip(bytes.chunks_exact(4)) {
                *o = f32::from_le_bytes([b[0], b[1], b[2], b[3]]);
            }
        }
    }
}
