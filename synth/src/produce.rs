//! `dataset make --produce`: a seeded production chain on a render, so the synthetic music
//! sounds mixed and mastered rather than straight out of a SoundFont: tone (EQ), dynamics
//! (compression), colour (saturation), a room, the level, a noise floor and a lossy-codec round
//! trip, each drawn per track.
//!
//! The order is a studio's: the mix bus (EQ, compressor, saturation) first, then the room, then
//! the master's level, then what happens to a recording on its way to a listener (noise, a lossy
//! codec). Stereo width is left out on purpose: the frontend hears the mono sum, and widening a
//! mix (mid/side) leaves the mono sum unchanged, so it could teach the model nothing.
//!
//! Everything is deterministic given the drawn [`Chain`]: the Vorbis encoder runs with a fixed
//! stream serial, and the noise comes from its own seeded generator.

use std::f32::consts::PI;
use std::num::{NonZeroU8, NonZeroU32};

use anyhow::Context;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;

/// One track's production, drawn by [`Chain::draw`].
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Chain {
    /// Low shelf: corner (Hz) and gain (dB).
    pub low_shelf: (f32, f32),
    /// A bell: centre (Hz), gain (dB), Q.
    pub bell: (f32, f32, f32),
    /// High shelf: corner (Hz) and gain (dB).
    pub high_shelf: (f32, f32),
    /// Compressor, or none.
    pub compressor: Option<Compressor>,
    /// Saturation drive in dB into a tanh curve (0: none).
    pub drive_db: f32,
    /// Room reverb, or none.
    pub room: Option<Room>,
    /// Noise floor in dB below the track's peak, or none.
    pub noise_db: Option<f32>,
    /// Ogg Vorbis round trip at this quality (-0.2..1, libvorbis's scale divided by ten), or none.
    pub vorbis_quality: Option<f32>,
    /// Seed of the noise floor.
    pub noise_seed: u64,
}

/// A feed-forward compressor on the signal's envelope.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Compressor {
    /// Threshold in dB below the track's peak.
    pub threshold_db: f32,
    pub ratio: f32,
    pub attack_ms: f32,
    pub release_ms: f32,
}

/// A small Schroeder room: four damped combs into two all-passes.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Room {
    /// Comb feedback (0.70..0.88): the room's size and decay.
    pub size: f32,
    /// High-frequency damping in the combs (0..0.5).
    pub damping: f32,
    /// Wet share of the output (0..1).
    pub wet: f32,
    pub predelay_ms: f32,
}

impl Chain {
    /// Draws one track's production. Every step is present with its own probability, so the
    /// set holds dry and heavily produced tracks alike.
    pub fn draw(rng: &mut StdRng) -> Self {
        let db = |rng: &mut StdRng, max: f32| rng.random_range(-max..max);
        Self {
            low_shelf: (rng.random_range(60.0..250.0), db(rng, 6.0)),
            bell: (
                rng.random_range(250.0..4000.0),
                db(rng, 6.0),
                rng.random_range(0.5..2.0),
            ),
            high_shelf: (rng.random_range(2500.0..8000.0), db(rng, 8.0)),
            compressor: rng.random_bool(0.7).then(|| Compressor {
                threshold_db: rng.random_range(-24.0..-6.0),
                ratio: rng.random_range(1.5..8.0),
                attack_ms: rng.random_range(1.0..30.0),
                release_ms: rng.random_range(40.0..300.0),
            }),
            drive_db: if rng.random_bool(0.5) {
                rng.random_range(0.0..18.0)
            } else {
                0.0
            },
            room: rng.random_bool(0.7).then(|| Room {
                size: rng.random_range(0.70..0.88),
                damping: rng.random_range(0.0..0.5),
                wet: rng.random_range(0.05..0.35),
                predelay_ms: rng.random_range(0.0..40.0),
            }),
            noise_db: rng.random_bool(0.6).then(|| rng.random_range(-80.0..-45.0)),
            vorbis_quality: rng.random_bool(0.6).then(|| rng.random_range(-0.2..0.4)),
            noise_seed: rng.random(),
        }
    }

    /// Applies the chain to mono `samples` at `sample_rate`, keeping their peak level.
    pub fn apply(&self, samples: &mut Vec<f32>, sample_rate: u32) -> anyhow::Result<()> {
        let peak_in = peak(samples);
        anyhow::ensure!(
            peak_in > 0.0 && peak_in.is_finite(),
            "cannot produce a silent render"
        );
        let rate = sample_rate as f32;
        Biquad::low_shelf(self.low_shelf.0, self.low_shelf.1, rate).run(samples);
        Biquad::bell(self.bell.0, self.bell.1, self.bell.2, rate).run(samples);
        Biquad::high_shelf(self.high_shelf.0, self.high_shelf.1, rate).run(samples);
        if let Some(c) = &self.compressor {
            c.run(samples, rate);
        }
        if self.drive_db > 0.0 {
            saturate(samples, self.drive_db);
        }
        if let Some(room) = &self.room {
            room.run(samples, rate);
        }
        normalise(samples, peak_in);
        if let Some(db) = self.noise_db {
            let mut rng = StdRng::seed_from_u64(self.noise_seed);
            add_pink_noise(samples, peak_in * 10f32.powf(db / 20.0), &mut rng);
        }
        if let Some(q) = self.vorbis_quality {
            *samples = vorbis_round_trip(samples, sample_rate, q)?;
        }
        Ok(())
    }

    /// A line for the track's summary.
    pub fn describe(&self) -> String {
        let mut parts = vec![format!(
            "eq {:+.1} dB @{:.0} Hz, {:+.1} dB @{:.0} Hz, {:+.1} dB @{:.0} Hz",
            self.low_shelf.1,
            self.low_shelf.0,
            self.bell.1,
            self.bell.0,
            self.high_shelf.1,
            self.high_shelf.0
        )];
        if let Some(c) = &self.compressor {
            parts.push(format!("comp {:.1}:1 at {:.0} dB", c.ratio, c.threshold_db));
        }
        if self.drive_db > 0.0 {
            parts.push(format!("drive {:.1} dB", self.drive_db));
        }
        if let Some(r) = &self.room {
            parts.push(format!("room {:.2} wet {:.2}", r.size, r.wet));
        }
        if let Some(db) = self.noise_db {
            parts.push(format!("noise {db:.0} dB"));
        }
        if let Some(q) = self.vorbis_quality {
            parts.push(format!("vorbis q{:.1}", q * 10.0));
        }
        parts.join(", ")
    }
}

fn peak(samples: &[f32]) -> f32 {
    samples.iter().fold(0.0f32, |m, s| m.max(s.abs()))
}

fn normalise(samples: &mut [f32], to_peak: f32) {
    let p = peak(samples);
    if p > 0.0 && p.is_finite() {
        let g = to_peak / p;
        samples.iter_mut().for_each(|s| *s *= g);
    }
}

/// A second-order section (the audio EQ cookbook's shelves and bell), direct form I.
#[derive(Clone, Copy, Debug)]
struct Biquad {
    b: [f32; 3],
    a: [f32; 2],
}

impl Biquad {
    fn normalised(b: [f32; 3], a: [f32; 3]) -> Self {
        Self {
            b: [b[0] / a[0], b[1] / a[0], b[2] / a[0]],
            a: [a[1] / a[0], a[2] / a[0]],
        }
    }

    /// `w0` and the shelf's `alpha` at slope 1, clamped below Nyquist.
    fn angle(hz: f32, rate: f32) -> (f32, f32) {
        let w0 = 2.0 * PI * hz.min(0.45 * rate) / rate;
        (w0.cos(), w0.sin())
    }

    fn low_shelf(hz: f32, gain_db: f32, rate: f32) -> Self {
        Self::shelf(hz, gain_db, rate, 1.0)
    }

    fn high_shelf(hz: f32, gain_db: f32, rate: f32) -> Self {
        Self::shelf(hz, gain_db, rate, -1.0)
    }

    /// The cookbook's shelves at slope 1: the high shelf is the low one with the sign of the
    /// cosine's terms flipped (`side` 1 low, -1 high).
    fn shelf(hz: f32, gain_db: f32, rate: f32, side: f32) -> Self {
        let a = 10f32.powf(gain_db / 40.0);
        let (cos, sin) = Self::angle(hz, rate);
        let alpha = sin / 2.0 * 2f32.sqrt();
        let s = 2.0 * a.sqrt() * alpha;
        let c = side * cos;
        Self::normalised(
            [
                a * ((a + 1.0) - (a - 1.0) * c + s),
                2.0 * a * side * ((a - 1.0) - (a + 1.0) * c),
                a * ((a + 1.0) - (a - 1.0) * c - s),
            ],
            [
                (a + 1.0) + (a - 1.0) * c + s,
                -2.0 * side * ((a - 1.0) + (a + 1.0) * c),
                (a + 1.0) + (a - 1.0) * c - s,
            ],
        )
    }

    fn bell(hz: f32, gain_db: f32, q: f32, rate: f32) -> Self {
        let a = 10f32.powf(gain_db / 40.0);
        let (cos, sin) = Self::angle(hz, rate);
        let alpha = sin / (2.0 * q);
        Self::normalised(
            [1.0 + alpha * a, -2.0 * cos, 1.0 - alpha * a],
            [1.0 + alpha / a, -2.0 * cos, 1.0 - alpha / a],
        )
    }

    fn run(&self, samples: &mut [f32]) {
        let (mut x1, mut x2, mut y1, mut y2) = (0.0f32, 0.0f32, 0.0f32, 0.0f32);
        for s in samples {
            let x = *s;
            let y =
                self.b[0] * x + self.b[1] * x1 + self.b[2] * x2 - self.a[0] * y1 - self.a[1] * y2;
            (x2, x1, y2, y1) = (x1, x, y1, y);
            *s = y;
        }
    }
}

impl Compressor {
    /// Gain computed from a peak envelope with attack and release, threshold relative to the
    /// signal's own peak; make-up gain is left to the normalisation that follows.
    fn run(&self, samples: &mut [f32], rate: f32) {
        let threshold = peak(samples) * 10f32.powf(self.threshold_db / 20.0);
        if threshold <= 0.0 {
            return;
        }
        let coef = |ms: f32| (-1.0 / (ms * 1e-3 * rate)).exp();
        let (attack, release) = (coef(self.attack_ms), coef(self.release_ms));
        let mut env = 0.0f32;
        for s in samples {
            let level = s.abs();
            let k = if level > env { attack } else { release };
            env = k * env + (1.0 - k) * level;
            if env > threshold {
                // Above the threshold the output rises 1/ratio dB per dB of input.
                let over = env / threshold;
                *s *= over.powf(1.0 / self.ratio - 1.0);
            }
        }
    }
}

/// tanh saturation at `drive_db` into the curve, scaled back so small signals keep their level.
fn saturate(samples: &mut [f32], drive_db: f32) {
    let p = peak(samples);
    if p <= 0.0 {
        return;
    }
    // The signal's peak meets the curve at `drive` (1 at 0 dB: barely bent).
    let drive = 10f32.powf(drive_db / 20.0) / p;
    samples
        .iter_mut()
        .for_each(|s| *s = (*s * drive).tanh() / drive);
}

impl Room {
    fn run(&self, samples: &mut [f32], rate: f32) {
        // Comb and all-pass lengths in ms (mutually prime at common rates), scaled by nothing:
        // the room's size is its decay.
        const COMBS_MS: [f32; 4] = [29.7, 37.1, 41.1, 43.7];
        const ALLPASS_MS: [f32; 2] = [5.0, 1.7];
        let len = |ms: f32| ((ms * 1e-3 * rate).round() as usize).max(1);
        let predelay = len(self.predelay_ms.max(0.0)).saturating_sub(1);
        let n = samples.len();
        let mut wet = vec![0.0f32; n];
        for ms in COMBS_MS {
            let d = len(ms);
            let mut line = vec![0.0f32; d];
            let mut low = 0.0f32;
            let mut at = 0;
            for i in 0..n {
                let input = if i >= predelay {
                    samples[i - predelay]
                } else {
                    0.0
                };
                let out = line[at];
                low = out * (1.0 - self.damping) + low * self.damping;
                line[at] = input + low * self.size;
                at = (at + 1) % d;
                wet[i] += out * 0.25;
            }
        }
        for ms in ALLPASS_MS {
            let d = len(ms);
            let mut line = vec![0.0f32; d];
            let mut at = 0;
            for w in wet.iter_mut() {
                let delayed = line[at];
                let input = *w;
                line[at] = input + 0.5 * delayed;
                *w = delayed - 0.5 * line[at];
                at = (at + 1) % d;
            }
        }
        // Equal peak of dry and wet before the mix, so `wet` is the share one hears.
        let (pd, pw) = (peak(samples), peak(&wet));
        let g = if pw > 0.0 { pd / pw } else { 0.0 };
        for (s, w) in samples.iter_mut().zip(&wet) {
            *s = (1.0 - self.wet) * *s + self.wet * g * w;
        }
    }
}

/// Adds pink-ish noise (white through a three-pole filter, -3 dB per octave over the audio
/// band) whose peak is about `level`.
fn add_pink_noise(samples: &mut [f32], level: f32, rng: &mut StdRng) {
    let mut b = [0.0f32; 3];
    let mut noise: Vec<f32> = samples
        .iter()
        .map(|_| {
            let white: f32 = rng.random_range(-1.0..1.0);
            b[0] = 0.99765 * b[0] + white * 0.099_046;
            b[1] = 0.963 * b[1] + white * 0.296_516_4;
            b[2] = 0.57 * b[2] + white * 1.052_691_3;
            b[0] + b[1] + b[2] + white * 0.1848
        })
        .collect();
    normalise(&mut noise, level);
    for (s, n) in samples.iter_mut().zip(&noise) {
        *s += n;
    }
}

/// Encodes mono `samples` as Ogg Vorbis at `quality` and decodes them again (libvorbis, aoTuV),
/// returning exactly as many samples (the codec's delay is removed by the decoder).
pub fn vorbis_round_trip(
    samples: &[f32],
    sample_rate: u32,
    quality: f32,
) -> anyhow::Result<Vec<f32>> {
    let rate = NonZeroU32::new(sample_rate).context("a zero sample rate")?;
    let mut encoder = vorbis_rs::VorbisEncoderBuilder::new_with_serial(
        rate,
        NonZeroU8::MIN,
        Vec::new(),
        0x6d63_636c,
    )
    .bitrate_management_strategy(vorbis_rs::VorbisBitrateManagementStrategy::QualityVbr {
        target_quality: quality.clamp(-0.2, 1.0),
    })
    .build()
    .context("cannot start the Vorbis encoder")?;
    for block in samples.chunks(4096) {
        encoder
            .encode_audio_block([block])
            .context("Vorbis encoding failed")?;
    }
    let ogg = encoder.finish().context("Vorbis encoding failed")?;
    let mut decoder = vorbis_rs::VorbisDecoder::new(std::io::Cursor::new(ogg))
        .context("cannot read back the Vorbis stream")?;
    let mut out = Vec::with_capacity(samples.len());
    while let Some(block) = decoder
        .decode_audio_block()
        .context("Vorbis decoding failed")?
    {
        out.extend_from_slice(block.samples()[0]);
    }
    out.resize(samples.len(), 0.0);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(hz: f32, rate: u32, seconds: f32, amp: f32) -> Vec<f32> {
        let n = (rate as f32 * seconds) as usize;
        (0..n)
            .map(|i| amp * (2.0 * PI * hz * i as f32 / rate as f32).sin())
            .collect()
    }

    fn rms(x: &[f32]) -> f32 {
        (x.iter().map(|s| s * s).sum::<f32>() / x.len() as f32).sqrt()
    }

    #[test]
    fn shelves_and_bell_have_their_gain_where_they_act_and_none_far_away() {
        let rate = 22050.0;
        let gain = |q: Biquad, hz: f32| {
            let mut x = sine(hz, 22050, 2.0, 0.5);
            q.run(&mut x);
            20.0 * (rms(&x[11025..]) / rms(&sine(hz, 22050, 1.0, 0.5))).log10()
        };
        let low = Biquad::low_shelf(200.0, 6.0, rate);
        assert!((gain(low, 30.0) - 6.0).abs() < 0.5, "{}", gain(low, 30.0));
        assert!(gain(low, 5000.0).abs() < 0.5);
        let high = Biquad::high_shelf(4000.0, -8.0, rate);
        assert!(
            (gain(high, 10000.0) + 8.0).abs() < 1.0,
            "{}",
            gain(high, 10000.0)
        );
        assert!(gain(high, 100.0).abs() < 0.5);
        let bell = Biquad::bell(1000.0, 5.0, 1.0, rate);
        assert!((gain(bell, 1000.0) - 5.0).abs() < 0.3);
        assert!(gain(bell, 60.0).abs() < 0.5);
    }

    #[test]
    fn the_compressor_narrows_the_gap_between_loud_and_quiet() {
        let mut x = sine(440.0, 22050, 1.0, 1.0);
        x.extend(sine(440.0, 22050, 1.0, 0.1));
        let before = rms(&x[..22050]) / rms(&x[22050..]);
        Compressor {
            threshold_db: -20.0,
            ratio: 4.0,
            attack_ms: 5.0,
            release_ms: 50.0,
        }
        .run(&mut x, 22050.0);
        let after = rms(&x[11025..22050]) / rms(&x[33075..]);
        // 20 dB apart, the loud part 20 dB over the threshold comes out 5 dB over it.
        let (db_before, db_after) = (20.0 * before.log10(), 20.0 * after.log10());
        assert!((db_before - 20.0).abs() < 0.1);
        assert!((db_after - 5.0).abs() < 1.0, "{db_after} dB");
    }

    #[test]
    fn saturation_adds_odd_harmonics_and_keeps_quiet_signals() {
        let mut loud = sine(441.0, 22050, 1.0, 1.0);
        saturate(&mut loud, 12.0);
        // The third harmonic's share, by correlation over whole periods.
        let third: f32 = loud
            .iter()
            .enumerate()
            .map(|(i, s)| s * (2.0 * PI * 1323.0 * i as f32 / 22050.0).sin())
            .sum::<f32>()
            * 2.0
            / loud.len() as f32;
        assert!(third.abs() > 0.05, "third harmonic {third}");
        let mut quiet = vec![1.0, 0.001, -0.001];
        saturate(&mut quiet, 0.0);
        assert!((quiet[1] - 0.001).abs() < 1e-5);
    }

    #[test]
    fn the_room_rings_on_after_the_sound_stops() {
        let mut x = sine(300.0, 22050, 0.5, 0.8);
        x.extend(vec![0.0; 22050]);
        Room {
            size: 0.84,
            damping: 0.2,
            wet: 0.3,
            predelay_ms: 10.0,
        }
        .run(&mut x, 22050.0);
        let tail = rms(&x[11025 + 2205..11025 + 4410]);
        assert!(tail > 1e-3, "tail {tail}");
        assert!(x.iter().all(|s| s.is_finite()));
    }

    #[test]
    fn a_vorbis_round_trip_keeps_length_and_timing_and_loses_detail() {
        let rate = 22050;
        let x: Vec<f32> = sine(440.0, rate, 3.0, 0.5)
            .iter()
            .zip(sine(3100.0, rate, 3.0, 0.05))
            .map(|(a, b)| a + b)
            .collect();
        let y = vorbis_round_trip(&x, rate, 0.0).unwrap();
        assert_eq!(y.len(), x.len());
        let err: Vec<f32> = x.iter().zip(&y).map(|(a, b)| a - b).collect();
        let snr = 20.0 * (rms(&x) / rms(&err)).log10();
        // Aligned (no codec delay left) and close, but not bit-exact.
        assert!(snr > 10.0 && snr < 80.0, "SNR {snr} dB");
    }

    #[test]
    fn a_chain_is_deterministic_and_keeps_the_peak() {
        let mut rng = StdRng::seed_from_u64(7);
        let chains: Vec<Chain> = (0..16).map(|_| Chain::draw(&mut rng)).collect();
        let x = sine(220.0, 22050, 2.0, 0.3);
        for chain in chains {
            let (mut a, mut b) = (x.clone(), x.clone());
            chain.apply(&mut a, 22050).unwrap();
            chain.apply(&mut b, 22050).unwrap();
            assert_eq!(a, b, "{}", chain.describe());
            assert_eq!(a.len(), x.len());
            assert!(a.iter().all(|s| s.is_finite()));
            let p = peak(&a);
            // The codec and the noise may move the peak a little; nothing else does.
            assert!(
                (p / 0.3 - 1.0).abs() < 0.25,
                "peak {p}: {}",
                chain.describe()
            );
        }
    }
}
