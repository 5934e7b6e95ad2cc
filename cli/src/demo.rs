//! The demo track of `mcclstm demo`: a synthesised groove that is none of the training styles.

use std::f64::consts::PI;
use std::path::Path;

use mcclstm_engine::audio;

/// A deterministic, music-like stereo track at 44.1 kHz: a four-chord progression with bass, a
/// kick on every beat and hi-hat noise at 120 BPM.
pub fn demo_track(seconds: f64) -> Vec<f32> {
    let rate = 44_100.0;
    let n = (seconds * rate) as usize;
    let chords = [
        [220.0, 277.18, 329.63],
        [196.0, 246.94, 293.66],
        [174.61, 220.0, 261.63],
        [196.0, 246.94, 329.63],
    ];
    let mut noise_state: u32 = 0x1234_5678;
    let mut out = Vec::with_capacity(2 * n);
    for i in 0..n {
        let t = i as f64 / rate;
        let beat = t * 2.0; // 120 BPM
        let chord = chords[(beat / 4.0) as usize % 4];
        let pad: f64 = chord.iter().map(|f| (2.0 * PI * f * t).sin()).sum::<f64>() * 0.08;
        let bass = (2.0 * PI * chord[0] / 2.0 * t).sin() * 0.2;
        let since_beat = beat.fract() / 2.0;
        let kick = (2.0 * PI * (50.0 + 80.0 * (-since_beat * 30.0).exp()) * since_beat).sin()
            * (-since_beat * 12.0).exp()
            * 0.5;
        noise_state = noise_state
            .wrapping_mul(1_664_525)
            .wrapping_add(1_013_904_223);
        let noise = (f64::from(noise_state >> 8) / f64::from(1u32 << 24) - 0.5) * 2.0;
        let hat = noise * (-((beat * 2.0).fract() / 4.0) * 80.0).exp() * 0.1;
        let left = (pad + bass + kick + hat * 0.8) as f32;
        let right = (pad + bass + kick + hat * 1.2) as f32;
        out.push(left);
        out.push(right);
    }
    out
}

pub fn write_demo_track(path: &Path, seconds: f64) -> std::io::Result<()> {
    audio::write_wav_f32(path, &demo_track(seconds), 2, 44_100)
}
