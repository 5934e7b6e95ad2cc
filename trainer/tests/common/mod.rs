//! Small synthetic data sets for the trainer's tests: classes separable by tempo (click trains) or
//! by timbre (sine, sawtooth, noise), written in each reader's on-disk layout.

#![allow(dead_code)]

use std::f32::consts::PI;
use std::path::Path;

use mcclstm_engine::audio::write_wav_f32;

/// A tiny deterministic generator (xorshift), so the data does not depend on a crate's RNG.
pub struct Noise(u64);

impl Noise {
    pub fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// Uniform in [0, 1).
    pub fn next(&mut self) -> f32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 40) as f32 / (1u64 << 24) as f32
    }

    pub fn range(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * self.next()
    }
}

/// Clicks at `bpm` (short decaying tones of a random pitch per track) over a quiet noise floor.
/// Pitch, level and phase vary per track, so only the tempo tells the classes apart.
pub fn click_track(bpm: f32, seconds: f32, rate: u32, seed: u64) -> Vec<f32> {
    let mut rng = Noise::new(seed);
    let n = (seconds * rate as f32) as usize;
    let pitch = rng.range(400.0, 3000.0);
    let level = rng.range(0.2, 0.6);
    let period = 60.0 / bpm * rate as f32;
    let offset = rng.range(0.0, period);
    let decay = rate as f32 * 0.03;
    (0..n)
        .map(|i| {
            let since = (i as f32 + offset) % period;
            let click = (-since / decay).exp() * (2.0 * PI * pitch * since / rate as f32).sin();
            level * click + 0.01 * (rng.next() - 0.5)
        })
        .collect()
}

/// Notes of one timbre: 0 sine, 1 sawtooth, 2 band-limited noise. Pitch and note lengths vary
/// per track and per note, so only the timbre tells the classes apart.
pub fn timbre_track(kind: usize, seconds: f32, rate: u32, seed: u64) -> Vec<f32> {
    let mut rng = Noise::new(seed + 1000 * kind as u64);
    let n = (seconds * rate as f32) as usize;
    let mut out = Vec::with_capacity(n);
    let level = rng.range(0.2, 0.5);
    let mut smooth = 0.0f32;
    while out.len() < n {
        let len = (rng.range(0.2, 0.6) * rate as f32) as usize;
        let freq = rng.range(150.0, 900.0);
        for k in 0..len.min(n - out.len()) {
            let phase = freq * k as f32 / rate as f32;
            let v = match kind {
                0 => (2.0 * PI * phase).sin(),
                1 => 2.0 * (phase - phase.floor()) - 1.0,
                _ => {
                    smooth = 0.7 * smooth + 0.3 * (2.0 * rng.next() - 1.0);
                    2.0 * smooth
                }
            };
            out.push(level * v);
        }
    }
    out
}

pub fn write_wav(path: &Path, samples: &[f32], rate: u32) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    write_wav_f32(path, samples, 1, rate).unwrap();
}

pub fn write_au(path: &Path, samples: &[f32], rate: u32) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, mcclstm_engine::au::encode_pcm16(samples, rate, 1)).unwrap();
}

/// Tempi far enough apart that a 3.7 s chunk holds clearly different click counts.
pub const TEMPI: [f32; 3] = [60.0, 110.0, 170.0];
