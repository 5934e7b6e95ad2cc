//! Decoding and resampling: files at any rate and channel count reach the frontend as the same
//! features they would have at the frontend's own rate.

use std::f64::consts::PI;
use std::path::Path;

use mcclstm_engine::audio::{decode_file, decode_file_channels, load_for_frontend, write_wav_f32};
use mcclstm_engine::error::AudioError;
use mcclstm_engine::frontend::{MelFrontend, Preset};

/// A band-limited test signal (partials from 110 Hz to 7 kHz with slow amplitude modulation), the
/// same continuous function sampled at any rate, so every rate sees the same music.
fn music_like(rate: u32, seconds: f64) -> Vec<f32> {
    let n = (seconds * f64::from(rate)) as usize;
    let partials = [
        110.0, 220.0, 330.0, 587.0, 1175.0, 2349.0, 3520.0, 4699.0, 7040.0,
    ];
    (0..n)
        .map(|i| {
            let t = i as f64 / f64::from(rate);
            let mut y = 0.0;
            for (k, f) in partials.iter().enumerate() {
                let env = 0.6 + 0.4 * (2.0 * PI * (0.5 + 0.3 * k as f64) * t).sin();
                y += 0.08 * env * (2.0 * PI * f * t + k as f64).sin();
            }
            y as f32
        })
        .collect()
}

fn write_stereo(path: &Path, mono: &[f32], rate: u32) {
    let interleaved: Vec<f32> = mono.iter().flat_map(|&s| [s, s]).collect();
    write_wav_f32(path, &interleaved, 2, rate).unwrap();
}

#[test]
fn resampled_48k_and_96k_input_gives_the_frames_of_the_22k_path() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let preset = Preset::Paper;
    let config = preset.config();
    let reference =
        MelFrontend::from_preset(preset).process_signal(&music_like(config.sample_rate, 6.0));
    for rate in [48_000u32, 96_000, 44_100] {
        let path = dir.join(format!("music-{rate}.wav"));
        write_stereo(&path, &music_like(rate, 6.0), rate);
        let audio = load_for_frontend(&path, &config).unwrap();
        assert_eq!(audio.sample_rate, config.sample_rate);
        assert_eq!(audio.channels, 2);
        let frames = MelFrontend::from_preset(preset).process_signal(&audio.samples);
        assert_eq!(frames.len(), reference.len(), "{rate} Hz");
        // Bands that hold the music (within 40 dB of the frame's loudest band) must agree within
        // 1e-3 dB. The FFT resampler's passband error for content this far below its cutoff is
        // about 2e-5 dB here (measured), so this leaves a 50x margin and still catches a wrong
        // rate, a lost delay compensation or a filter that reaches into the passband. Quieter
        // bands hold only window leakage, where a tiny absolute difference is a large one in dB;
        // for them we ask only that they stay quiet.
        let mut worst = 0.0f32;
        for (ours, reference) in frames.iter().zip(reference.iter()) {
            let peak = reference.iter().cloned().fold(f32::MIN, f32::max);
            for (a, b) in ours.iter().zip(reference) {
                if *b > peak - 40.0 {
                    worst = worst.max((a - b).abs());
                } else {
                    assert!(
                        *a < peak - 30.0,
                        "{rate} Hz: a quiet band came up to {a} dB"
                    );
                }
            }
        }
        eprintln!("{rate} Hz: worst music-band difference {worst:.2e} dB");
        assert!(
            worst < 1e-3,
            "{rate} Hz: worst music band differs by {worst} dB"
        );
    }
}

#[test]
fn decoding_channels_keeps_each_channel_and_averages_to_the_mono_decode() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stereo.wav");
    let left = music_like(44_100, 1.5);
    let right: Vec<f32> = left.iter().map(|s| -0.7 * s + 0.01).collect();
    let interleaved: Vec<f32> = left
        .iter()
        .zip(&right)
        .flat_map(|(&l, &r)| [l, r])
        .collect();
    write_wav_f32(&path, &interleaved, 2, 44_100).unwrap();
    let decoded = decode_file_channels(&path).unwrap();
    assert_eq!(decoded.sample_rate, 44_100);
    // A float WAV holds the samples exactly: bit for bit what was written, per channel.
    assert_eq!(decoded.channels, vec![left, right]);
    // The mono decode is the same mean a host's downmix would compute from those channels.
    let mono = decode_file(&path).unwrap().samples;
    let mean: Vec<f32> = decoded.channels[0]
        .iter()
        .zip(&decoded.channels[1])
        .map(|(l, r)| (l + r) * 0.5)
        .collect();
    assert_eq!(mono, mean);
}

#[test]
fn decoding_downmixes_any_channel_count_by_averaging() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let path = dir.join("quad.wav");
    // Four channels with values 0.1, 0.2, 0.3, 0.4: the mono mix is their mean, 0.25.
    let interleaved: Vec<f32> = (0..4000).flat_map(|_| [0.1, 0.2, 0.3, 0.4]).collect();
    write_wav_f32(&path, &interleaved, 4, 8_000).unwrap();
    let audio = decode_file(&path).unwrap();
    assert_eq!(
        (audio.channels, audio.sample_rate, audio.samples.len()),
        (4, 8_000, 4000)
    );
    assert!(audio.samples.iter().all(|s| (s - 0.25).abs() < 1e-6));
}

#[test]
fn the_mono_buffer_is_sized_once_from_the_header_and_a_lying_header_is_capped() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    // An honest stereo header: the buffer is reserved once for its frames and never grows (a
    // grown vector keeps slack: its capacity would exceed its length).
    let honest = dir.join("honest.wav");
    let interleaved: Vec<f32> = (0..2 * 30_001).map(|i| (i as f32 * 0.01).sin()).collect();
    write_wav_f32(&honest, &interleaved, 2, 44_100).unwrap();
    let audio = decode_file(&honest).unwrap();
    assert_eq!(audio.samples.len(), 30_001);
    assert_eq!(audio.samples.capacity(), 30_001);

    // A header whose data chunk claims 4 GB (a billion stereo frames) over 4 000 real frames: the
    // reservation stops at 2^24 frames instead of asking for gigabytes, and the real samples come
    // out as for a truncated file.
    let lying = dir.join("lying.wav");
    write_wav_f32(&lying, &interleaved[..8_000], 2, 44_100).unwrap();
    let mut bytes = std::fs::read(&lying).unwrap();
    bytes[4..8].copy_from_slice(&(u32::MAX - 8).to_le_bytes());
    bytes[40..44].copy_from_slice(&(u32::MAX - 44).to_le_bytes());
    std::fs::write(&lying, &bytes).unwrap();
    let audio = decode_file(&lying).unwrap();
    assert_eq!(audio.samples.len(), 4_000);
    assert!(
        audio.samples.capacity() <= 1 << 24,
        "reserved {} samples for a header's word",
        audio.samples.capacity()
    );
}

#[test]
fn missing_file_error_names_the_file() {
    let err = decode_file(Path::new("/no/such/dir/song.wav")).unwrap_err();
    assert!(matches!(err, AudioError::Open { .. }));
    assert!(err.to_string().contains("/no/such/dir/song.wav"), "{err}");
}

#[test]
fn non_audio_file_is_unsupported_and_named() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let path = dir.join("notes.wav");
    std::fs::write(&path, b"these are my notes, not audio at all. ".repeat(100)).unwrap();
    let err = decode_file(&path).unwrap_err();
    assert!(
        matches!(
            err,
            AudioError::Unsupported { .. } | AudioError::Decode { .. }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("notes.wav"), "{err}");
}

#[test]
fn empty_wav_is_an_empty_error() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let path = dir.join("empty.wav");
    write_wav_f32(&path, &[], 1, 22_050).unwrap();
    let err = decode_file(&path).unwrap_err();
    assert!(err.to_string().contains("empty.wav"), "{err}");
}

#[test]
fn a_header_claiming_a_rate_no_audio_has_is_refused_and_named() {
    // Found by the fuzzer (fuzz/regressions/audio/huge-rate.bin): a WAV header claiming
    // 1 853 189 228 Hz. Decoding it must be a clear error, not minutes of building a resampler.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge-rate.wav");
    mcclstm_engine::audio::write_wav_f32(&path, &[0.1; 4_000], 1, 1_853_189_228).unwrap();
    let err = mcclstm_engine::audio::decode_file(&path).unwrap_err();
    let text = err.to_string();
    assert!(
        matches!(err, mcclstm_engine::AudioError::Unsupported { .. })
            && text.contains("1853189228 Hz")
            && text.contains("huge-rate.wav"),
        "{text}"
    );
}

#[test]
fn samples_far_beyond_full_scale_are_invalid_and_the_frames_stay_finite() {
    // Found by the fuzzer (fuzz/regressions/audio/huge-samples.bin): a float WAV at 44.1 kHz
    // whose samples are near f32::MAX made the resampler's FFT produce NaN, and rubato panicked.
    // Such samples are garbage, analysed as zero and counted like NaN; loud real audio (over
    // full scale, as float files allow) is analysed as it is.
    let config = mcclstm_engine::Preset::Paper.config();
    let mut samples = music_like(44_100, 6.0);
    for (i, s) in samples.iter_mut().enumerate().step_by(97) {
        *s = if i % 2 == 0 { 3.0e38 } else { -1.0e30 };
    }
    let garbage = samples.len().div_ceil(97) as u64;
    samples[5] = 8.0; // loud, but audio
    let (frames, invalid) =
        mcclstm_engine::stream::signal_frames(&samples, 44_100, &config).unwrap();
    assert_eq!(invalid, garbage);
    assert!(frames.data.iter().all(|v| v.is_finite()));
    let resampled = mcclstm_engine::resample::resample(&samples, 44_100, 22_050).unwrap();
    assert!(resampled.iter().all(|v| v.is_finite()));
}
