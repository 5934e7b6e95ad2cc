//! Audio input: decode a file to mono `f32` and resample it to the frontend's rate.
//!
//! Decoding uses symphonia (WAV, FLAC, MP3, Ogg Vorbis, ADPCM), [`crate::wav`] for the common
//! PCM and float WAV files (the same samples, without symphonia's packets), and [`crate::au`] for
//! Sun `.au`;
//! resampling is [`crate::resample`], the same streaming resampler the plugin uses. Every error
//! names the file and the cause.

use std::fs::File;
use std::path::Path;

use symphonia::core::codecs::audio::{AudioDecoder, AudioDecoderOptions};
use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, FormatReader, TrackType};
use symphonia::core::io::{MediaSourceStream, MediaSourceStreamOptions};
use symphonia::core::meta::MetadataOptions;

use crate::error::AudioError;
use crate::frontend::FrontendConfig;
pub use crate::resample::resample;

/// A decoded file, downmixed to mono by averaging its channels.
#[derive(Clone, Debug)]
pub struct DecodedAudio {
    pub samples: Vec<f32>,
    pub sample_rate: u32,
    /// Channel count of the file before the downmix.
    pub channels: usize,
}

impl DecodedAudio {
    pub fn duration_seconds(&self) -> f64 {
        self.samples.len() as f64 / f64::from(self.sample_rate)
    }
}

/// Decodes any file symphonia can read to mono `f32` at the file's own rate.
///
/// A truncated file keeps what was decoded before the cut; a packet that fails to decode is
/// skipped. A file that yields no samples at all is an error.
pub fn decode_file(path: &Path) -> Result<DecodedAudio, AudioError> {
    let mut mono = Vec::new();
    let (sample_rate, channels) = decode_frames(path, |event| match event {
        Decoded::Length(frames) => mono.reserve_exact(frames),
        Decoded::Rate(_) => {}
        Decoded::Frames(frames, n_channels) => downmix_into(&mut mono, frames, n_channels),
    })?;
    Ok(DecodedAudio {
        samples: mono,
        sample_rate,
        channels,
    })
}

/// Decodes `path` packet by packet without holding the whole file: `on_block` gets the sample
/// rate (checked, the same for every block) and each packet's samples downmixed to mono, in
/// order; together they are [`decode_file`]'s samples. Returns the rate, the largest channel
/// count and the number of mono samples. An hour-long file needs a packet's memory, not the
/// hour's.
pub fn decode_mono_blocks(
    path: &Path,
    mut on_block: impl FnMut(u32, &[f32]),
) -> Result<(u32, usize, u64), AudioError> {
    let mut mono = Vec::new();
    let mut rate = 0;
    let mut samples = 0u64;
    let (sample_rate, channels) = decode_frames(path, |event| match event {
        Decoded::Length(_) => {}
        Decoded::Rate(r) => rate = r,
        Decoded::Frames(frames, n_channels) => {
            mono.clear();
            downmix_into(&mut mono, frames, n_channels);
            samples += mono.len() as u64;
            on_block(rate, &mono);
        }
    })?;
    Ok((sample_rate, channels, samples))
}

/// Appends the average of each interleaved frame's `n_channels` samples to `mono`. Mono and stereo,
/// nearly every file, get loops the compiler vectorises; the sum is the same, in the same order,
/// as the general case's.
fn downmix_into(mono: &mut Vec<f32>, frames: &[f32], n_channels: usize) {
    let scale = 1.0 / n_channels as f32;
    match n_channels {
        1 => mono.extend_from_slice(frames),
        2 => mono.extend(
            frames
                .chunks_exact(2)
                .map(|frame| (frame[0] + frame[1]) * scale),
        ),
        _ => mono.extend(
            frames
                .chunks_exact(n_channels)
                .map(|frame| frame.iter().sum::<f32>() * scale),
        ),
    }
}

/// The most frames [`decode_frames`] passes on from a header's frame count: 2^24, six minutes at
/// 44.1 kHz (64 MB of mono `f32`). A damaged or hostile header can claim any length; past this
/// the buffer grows as samples actually arrive.
const MAX_RESERVED_FRAMES: u64 = 1 << 24;

/// A decoded file with its channels kept apart.
#[derive(Clone, Debug)]
pub struct DecodedChannels {
    /// One vector per channel, all of the same length.
    pub channels: Vec<Vec<f32>>,
    pub sample_rate: u32,
}

/// Decodes a file like [`decode_file`] but keeps every channel: what a host plays into a plugin.
/// Its channels average to exactly the samples [`decode_file`] gives.
pub fn decode_file_channels(path: &Path) -> Result<DecodedChannels, AudioError> {
    let mut channels: Vec<Vec<f32>> = Vec::new();
    let (sample_rate, _) = decode_frames(path, |event| {
        let Decoded::Frames(frames, n_channels) = event else {
            return;
        };
        if channels.len() < n_channels {
            // A stream that gains channels mid-file: the new ones are silent until they start.
            let len = channels.first().map_or(0, Vec::len);
            channels.resize(n_channels, vec![0.0; len]);
        }
        for frame in frames.chunks_exact(n_channels) {
            for (channel, &s) in channels.iter_mut().zip(frame) {
                channel.push(s);
            }
        }
        let len = channels[0].len();
        for channel in &mut channels[n_channels..] {
            channel.resize(len, 0.0);
        }
    })?;
    Ok(DecodedChannels {
        channels,
        sample_rate,
    })
}

/// What [`decode_frames`] hands its caller.
enum Decoded<'a> {
    /// The frame count the header states (at most [`MAX_RESERVED_FRAMES`]), once, before any
    /// frames, when it states one: a caller can size its buffer once instead of growing it
    /// packet by packet.
    Length(usize),
    /// The sample rate, checked ([`check_rate`]), once, before the first frames.
    Rate(u32),
    /// One decoded packet: interleaved samples and their channel count.
    Frames(&'a [f32], usize),
}

/// Decodes `path` and hands each decoded packet to `on_event`. Returns the sample rate and the
/// largest channel count; a file that yields no frames is [`AudioError::Empty`].
fn decode_frames(
    path: &Path,
    mut on_event: impl FnMut(Decoded<'_>),
) -> Result<(u32, usize), AudioError> {
    let mut file = File::open(path).map_err(|source| AudioError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    if starts_like_au(&mut file) {
        return decode_au(path, on_event);
    }
    if let Some(reason) = odd_wav_format(&mut file) {
        return Err(AudioError::Unsupported {
            path: path.to_path_buf(),
            reason,
        });
    }
    // The common WAV encodings straight from their bytes (the same samples as symphonia's).
    if let Some(layout) = crate::wav::layout(&mut file) {
        on_event(Decoded::Length(
            layout.frames.min(MAX_RESERVED_FRAMES) as usize
        ));
        on_event(Decoded::Rate(layout.sample_rate));
        let mut any = false;
        crate::wav::read(&mut file, &layout, |block| {
            any = true;
            on_event(Decoded::Frames(block, layout.channels));
        });
        if !any {
            return Err(AudioError::Empty {
                path: path.to_path_buf(),
            });
        }
        return Ok((layout.sample_rate, layout.channels));
    }
    {
        use std::io::Seek;
        file.rewind().map_err(|source| AudioError::Open {
            path: path.to_path_buf(),
            source,
        })?;
    }
    decode_with_symphonia(path, file, on_event)
}

/// [`decode_frames`] through symphonia, from the file's start.
fn decode_with_symphonia(
    path: &Path,
    file: File,
    mut on_event: impl FnMut(Decoded<'_>),
) -> Result<(u32, usize), AudioError> {
    let stream = MediaSourceStream::new(Box::new(file), MediaSourceStreamOptions::default());
    let mut hint = Hint::new();
    if let Some(ext) = path.extension().and_then(|e| e.to_str()) {
        hint.with_extension(ext);
    }
    let unsupported = |reason: String| AudioError::Unsupported {
        path: path.to_path_buf(),
        reason,
    };
    let decode_err = |reason: String| AudioError::Decode {
        path: path.to_path_buf(),
        reason,
    };
    let mut format = symphonia::default::get_probe()
        .probe(
            &hint,
            stream,
            FormatOptions::default(),
            MetadataOptions::default(),
        )
        .map_err(|e| unsupported(e.to_string()))?;
    let OpenTrack {
        id: mut track_id,
        mut sample_rate,
        mut decoder,
    } = open_decoder(format.as_ref()).map_err(|e| unsupported(e.to_string()))?;
    if let Some(frames) = format
        .default_track(TrackType::Audio)
        .and_then(|track| track.num_frames)
    {
        on_event(Decoded::Length(frames.min(MAX_RESERVED_FRAMES) as usize));
    }

    let mut interleaved: Vec<f32> = Vec::new();
    let mut channels = 0;
    let mut any = false;
    loop {
        let packet = match format.next_packet() {
            Ok(Some(packet)) => packet,
            Ok(None) => break,
            // A truncated file: keep what came before the cut.
            Err(SymphoniaError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                break;
            }
            // A chained Ogg stream starts a new logical stream: reopen its decoder.
            Err(SymphoniaError::ResetRequired) => {
                let track =
                    open_decoder(format.as_ref()).map_err(|e| unsupported(e.to_string()))?;
                track_id = track.id;
                decoder = track.decoder;
                sample_rate = sample_rate.or(track.sample_rate);
                continue;
            }
            Err(e) => return Err(decode_err(e.to_string())),
        };
        if packet.track_id != track_id {
            continue;
        }
        match decoder.decode(&packet) {
            Ok(buffer) => {
                let n_channels = buffer.num_planes();
                if n_channels == 0 || buffer.frames() == 0 {
                    continue;
                }
                if !any {
                    // The rate is settled by the first frames: the stated one, or theirs.
                    let rate = sample_rate
                        .or(Some(buffer.spec().rate()))
                        .filter(|&r| r > 0)
                        .ok_or_else(|| {
                            decode_err("the file does not state its sample rate".to_string())
                        })?;
                    check_rate(path, rate)?;
                    sample_rate = Some(rate);
                    on_event(Decoded::Rate(rate));
                }
                channels = channels.max(n_channels);
                buffer.copy_to_vec_interleaved(&mut interleaved);
                on_event(Decoded::Frames(&interleaved, n_channels));
                any = true;
            }
            // A damaged packet: skip it, as players do.
            Err(SymphoniaError::DecodeError(_)) | Err(SymphoniaError::IoError(_)) => continue,
            Err(e) => return Err(decode_err(e.to_string())),
        }
    }
    if !any {
        return Err(AudioError::Empty {
            path: path.to_path_buf(),
        });
    }
    let sample_rate = sample_rate
        .filter(|&r| r > 0)
        .ok_or_else(|| decode_err("the file does not state its sample rate".to_string()))?;
    check_rate(path, sample_rate)?;
    Ok((sample_rate, channels))
}

/// Refuses a sample rate no audio file has (a damaged or hostile header): resampling from it
/// would need filters as long as the rate itself.
fn check_rate(path: &Path, rate: u32) -> Result<(), AudioError> {
    if crate::resample::RATES.contains(&rate) {
        Ok(())
    } else {
        Err(AudioError::Unsupported {
            path: path.to_path_buf(),
            reason: format!(
                "a sample rate of {rate} Hz (audio files are {} to {} Hz)",
                crate::resample::RATES.start(),
                crate::resample::RATES.end()
            ),
        })
    }
}

/// The default audio track's id, its stated sample rate (if any) and a decoder for it.
struct OpenTrack {
    id: u32,
    sample_rate: Option<u32>,
    decoder: Box<dyn AudioDecoder>,
}

/// Why a file's audio track cannot be decoded; the reason of an [`AudioError::Unsupported`].
#[derive(Debug, thiserror::Error)]
enum TrackError {
    #[error("the file has no audio track")]
    NoAudioTrack,
    #[error("the audio track has no codec parameters")]
    NoCodecParameters,
    #[error("no decoder for this codec: {0}")]
    UnsupportedCodec(SymphoniaError),
}

fn open_decoder(format: &dyn FormatReader) -> Result<OpenTrack, TrackError> {
    let track = format
        .default_track(TrackType::Audio)
        .ok_or(TrackError::NoAudioTrack)?;
    let params = track
        .codec_params
        .as_ref()
        .and_then(|p| p.audio())
        .ok_or(TrackError::NoCodecParameters)?;
    let decoder = symphonia::default::get_codecs()
        .make_audio_decoder(params, &AudioDecoderOptions::default())
        .map_err(TrackError::UnsupportedCodec)?;
    Ok(OpenTrack {
        id: track.id,
        sample_rate: params.sample_rate,
        decoder,
    })
}

/// Whether the file begins with the `.au` magic; rewinds it either way.
fn starts_like_au(file: &mut File) -> bool {
    use std::io::{Read, Seek};
    let mut magic = [0u8; 4];
    let is_au = file.read_exact(&mut magic).is_ok() && crate::au::is_au(&magic);
    // A file that cannot be rewound fails in symphonia's probe next, with an error naming it.
    let _ = file.rewind();
    is_au
}

/// What is wrong with a WAV file's `fmt ` chunk that symphonia 0.6.1 does not check before it
/// computes with it: a frame of `channels x bytes per sample` over 65535 bytes overflows its `u16`
/// arithmetic (a panic in debug builds, found by the fuzzer; docs/upstream.md). `None` for a sane
/// chunk or a file that is not WAV. Reads the first 4 KiB and rewinds.
fn odd_wav_format(file: &mut File) -> Option<String> {
    use std::io::{Read, Seek};
    let mut head = Vec::with_capacity(4096);
    let read = file.by_ref().take(4096).read_to_end(&mut head);
    let _ = file.rewind();
    read.ok()?;
    if head.len() < 12 || &head[..4] != b"RIFF" || &head[8..12] != b"WAVE" {
        return None;
    }
    let mut at = 12;
    while at + 8 <= head.len() {
        let size = u32::from_le_bytes(head[at + 4..at + 8].try_into().ok()?) as usize;
        if &head[at..at + 4] == b"fmt " {
            let fmt = head.get(at + 8..at + 8 + size.min(16))?;
            if fmt.len() < 16 {
                return None;
            }
            let channels = u32::from(u16::from_le_bytes([fmt[2], fmt[3]]));
            let bits = u32::from(u16::from_le_bytes([fmt[14], fmt[15]]));
            return (channels * bits.div_ceil(8) > u32::from(u16::MAX)).then(|| {
                format!("a WAV frame of {channels} channels of {bits} bits (over 65535 bytes)")
            });
        }
        // Chunks are padded to an even size.
        at = at
            .checked_add(8)?
            .checked_add(size.checked_add(size & 1)?)?;
    }
    None
}

/// Sun/NeXT `.au` (GTZAN's format), which symphonia does not read.
fn decode_au(
    path: &Path,
    mut on_event: impl FnMut(Decoded<'_>),
) -> Result<(u32, usize), AudioError> {
    let bytes = std::fs::read(path).map_err(|source| AudioError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    let au = crate::au::decode(&bytes).map_err(|e| AudioError::Decode {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    if au.channels == 0 || au.samples.len() < au.channels {
        return Err(AudioError::Empty {
            path: path.to_path_buf(),
        });
    }
    check_rate(path, au.sample_rate)?;
    on_event(Decoded::Length(au.samples.len() / au.channels));
    on_event(Decoded::Rate(au.sample_rate));
    on_event(Decoded::Frames(&au.samples, au.channels));
    Ok((au.sample_rate, au.channels))
}

/// Decodes a file and resamples it to the frontend's rate: the samples the frontend expects.
pub fn load_for_frontend(path: &Path, config: &FrontendConfig) -> Result<DecodedAudio, AudioError> {
    let decoded = decode_file(path)?;
    if decoded.sample_rate == config.sample_rate {
        return Ok(decoded);
    }
    let samples = resample(&decoded.samples, decoded.sample_rate, config.sample_rate)?;
    Ok(DecodedAudio {
        samples,
        sample_rate: config.sample_rate,
        channels: decoded.channels,
    })
}

/// Writes a mono or interleaved 32-bit float WAV file. Used for demo files and tests; the trainer's
/// data makers write their audio through it too.
pub fn write_wav_f32(
    path: &Path,
    interleaved: &[f32],
    channels: u16,
    sample_rate: u32,
) -> std::io::Result<()> {
    let data_len = (interleaved.len() * 4) as u32;
    let mut out = Vec::with_capacity(44 + interleaved.len() * 4);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&3u16.to_le_bytes()); // IEEE float
    out.extend_from_slice(&channels.to_le_bytes());
    out.extend_from_slice(&sample_rate.to_le_bytes());
    out.extend_from_slice(
        &sample_rate
            .saturating_mul(4 * u32::from(channels))
            .to_le_bytes(),
    );
    out.extend_from_slice(&(4 * channels).to_le_bytes());
    out.extend_from_slice(&32u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    for s in interleaved {
        out.extend_from_slice(&s.to_le_bytes());
    }
    crate::atomic_file::write(path, &out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A WAV file of `frames` frames of `channels` channels, written by hand: `tag` and `bits`
    /// in a plain or an extensible `fmt `, an odd-sized `JUNK` chunk before `data`, samples from `sample`.
    fn wav(
        tag: u16,
        bits: u16,
        channels: u16,
        extensible: bool,
        frames: usize,
        sample: impl Fn(usize) -> Vec<u8>,
    ) -> Vec<u8> {
        let block = channels * bits / 8;
        let mut fmt = Vec::new();
        fmt.extend_from_slice(&(if extensible { 0xfffe } else { tag }).to_le_bytes());
        fmt.extend_from_slice(&channels.to_le_bytes());
        fmt.extend_from_slice(&44_100u32.to_le_bytes());
        fmt.extend_from_slice(&(44_100 * u32::from(block)).to_le_bytes());
        fmt.extend_from_slice(&block.to_le_bytes());
        fmt.extend_from_slice(&bits.to_le_bytes());
        if extensible {
            fmt.extend_from_slice(&22u16.to_le_bytes());
            fmt.extend_from_slice(&bits.to_le_bytes());
            fmt.extend_from_slice(&0u32.to_le_bytes());
            fmt.extend_from_slice(&tag.to_le_bytes());
            fmt.extend_from_slice(&[
                0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71,
            ]);
        }
        let data: Vec<u8> = (0..frames * usize::from(channels))
            .flat_map(sample)
            .collect();
        let mut out = b"RIFF\0\0\0\0WAVE".to_vec();
        for (id, body) in [
            (b"fmt ", fmt),
            (b"JUNK", b"odd-sized".to_vec()),
            (b"data", data),
        ] {
            out.extend_from_slice(id);
            out.extend_from_slice(&(body.len() as u32).to_le_bytes());
            out.extend_from_slice(&body);
            if body.len() % 2 == 1 {
                out.push(0);
            }
        }
        let riff = (out.len() - 8) as u32;
        out[4..8].copy_from_slice(&riff.to_le_bytes());
        out
    }

    fn decode_both(bytes: &[u8]) -> (Vec<f32>, Vec<f32>, (u32, usize)) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.wav");
        std::fs::write(&path, bytes).unwrap();
        let mut file = File::open(&path).unwrap();
        assert!(crate::wav::layout(&mut file).is_some(), "not read directly");
        let mut direct = Vec::new();
        let spec = decode_frames(&path, |e| {
            if let Decoded::Frames(f, _) = e {
                direct.extend_from_slice(f);
            }
        })
        .unwrap();
        let mut reference = Vec::new();
        let reference_spec = decode_with_symphonia(&path, File::open(&path).unwrap(), |e| {
            if let Decoded::Frames(f, _) = e {
                reference.extend_from_slice(f);
            }
        })
        .unwrap();
        assert_eq!(spec, reference_spec);
        (direct, reference, spec)
    }

    #[test]
    fn wav_files_read_directly_give_symphonias_samples_bit_for_bit() {
        // Every value of a pseudo-random walk through the full range, extremes included.
        let word = |i: usize| {
            (i as u64)
                .wrapping_mul(0x9e37_79b9_7f4a_7c15)
                .rotate_left(17)
        };
        let cases: Vec<(&str, Vec<u8>)> = vec![
            (
                "16-bit mono",
                wav(1, 16, 1, false, 40_000, |i| {
                    let v = match i {
                        7 => i16::MIN,
                        8 => i16::MAX,
                        _ => word(i) as i16,
                    };
                    v.to_le_bytes().to_vec()
                }),
            ),
            (
                "16-bit stereo, extensible",
                wav(1, 16, 2, true, 20_001, |i| {
                    (word(i) as i16).to_le_bytes().to_vec()
                }),
            ),
            (
                "24-bit, 3 channels",
                wav(1, 24, 3, false, 9_999, |i| {
                    (word(i) as u32).to_le_bytes()[..3].to_vec()
                }),
            ),
            (
                "32-bit integer",
                wav(1, 32, 2, false, 7_000, |i| {
                    (word(i) as i32).to_le_bytes().to_vec()
                }),
            ),
            (
                "32-bit float, 6 channels, extensible",
                wav(3, 32, 6, true, 5_000, |i| {
                    (((word(i) % 20_001) as f32 - 10_000.0) / 7_000.0)
                        .to_le_bytes()
                        .to_vec()
                }),
            ),
        ];
        for (what, bytes) in cases {
            let (direct, reference, (rate, channels)) = decode_both(&bytes);
            assert_eq!(rate, 44_100, "{what}");
            assert!(channels >= 1, "{what}");
            assert!(!direct.is_empty(), "{what}");
            let same = direct.len() == reference.len()
                && direct
                    .iter()
                    .zip(&reference)
                    .all(|(a, b)| a.to_bits() == b.to_bits());
            assert!(
                same,
                "{what}: {} against {} samples",
                direct.len(),
                reference.len()
            );
        }
    }

    #[test]
    fn odd_wav_files_are_left_to_symphonia() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.wav");
        let plain = wav(1, 16, 2, false, 100, |i| (i as i16).to_le_bytes().to_vec());
        let mut cut = plain.clone();
        cut.truncate(plain.len() - 10);
        let mut partial_frame = plain.clone();
        let n = partial_frame.len();
        partial_frame[n - 404..n - 400].copy_from_slice(&398u32.to_le_bytes());
        for (what, bytes) in [
            ("8-bit", wav(1, 8, 1, false, 100, |i| vec![i as u8])),
            (
                "64-bit float",
                wav(3, 64, 1, false, 10, |_| 0.5f64.to_le_bytes().to_vec()),
            ),
            ("a-law", wav(6, 8, 1, false, 100, |i| vec![i as u8])),
            ("data cut short", cut),
            ("a partial last frame", partial_frame),
            ("nine channels", wav(1, 16, 9, false, 10, |_| vec![0, 1])),
        ] {
            std::fs::write(&path, &bytes).unwrap();
            let mut file = File::open(&path).unwrap();
            assert_eq!(crate::wav::layout(&mut file), None, "{what}");
        }
    }

    #[test]
    fn decoding_in_blocks_gives_the_whole_files_samples_on_every_path() {
        let dir = tempfile::tempdir().unwrap();
        let walk = |i: usize| ((i * 7919) % 2001) as f32 / 1000.0 - 1.0;
        let float_stereo: Vec<f32> = (0..2 * 50_000).map(walk).collect();
        let cases: Vec<(&str, Vec<u8>)> = vec![
            // Read straight from its bytes, in several blocks.
            (
                "t.wav",
                wav(1, 16, 2, false, 40_000, |i| {
                    ((walk(i) * 30_000.0) as i16).to_le_bytes().to_vec()
                }),
            ),
            // Left to symphonia.
            (
                "u.wav",
                wav(1, 8, 1, false, 30_000, |i| vec![(i * 13) as u8]),
            ),
            ("v.au", crate::au::encode_pcm16(&float_stereo, 48_000, 2)),
        ];
        let float_path = dir.path().join("w.wav");
        write_wav_f32(&float_path, &float_stereo, 2, 32_000).unwrap();
        let mut paths = vec![float_path];
        for (name, bytes) in cases {
            let path = dir.path().join(name);
            std::fs::write(&path, bytes).unwrap();
            paths.push(path);
        }
        for path in paths {
            let whole = decode_file(&path).unwrap();
            let mut joined = Vec::new();
            let mut blocks = 0;
            let (rate, channels, samples) = decode_mono_blocks(&path, |rate, block| {
                assert_eq!(rate, whole.sample_rate, "{}", path.display());
                joined.extend_from_slice(block);
                blocks += 1;
            })
            .unwrap();
            assert_eq!((rate, channels), (whole.sample_rate, whole.channels));
            assert_eq!(samples, whole.samples.len() as u64, "{}", path.display());
            let same = joined.len() == whole.samples.len()
                && joined
                    .iter()
                    .zip(&whole.samples)
                    .all(|(a, b)| a.to_bits() == b.to_bits());
            assert!(same, "{}: {blocks} blocks", path.display());
            // Decoded a block at a time, not in one piece (the .au reader holds its file whole).
            let is_au = path.extension().is_some_and(|e| e == "au");
            assert!(is_au || blocks > 1, "{}: {blocks} blocks", path.display());
        }
        // A file that is not audio is the same error either way.
        let junk = dir.path().join("x.wav");
        std::fs::write(&junk, b"not audio at all").unwrap();
        let whole = decode_file(&junk).unwrap_err().to_string();
        let blocks = decode_mono_blocks(&junk, |_, _| panic!("no samples"))
            .unwrap_err()
            .to_string();
        assert_eq!(blocks, whole);
    }
}
