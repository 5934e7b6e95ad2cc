//! The log-mel frontend: the one place where audio becomes features.
//!
//! One [`MelFrontend`] serves both modes (Essentia's "standard" and "streaming"): the trainer feeds
//! it a whole file through [`MelFrontend::process_signal`], the plugin feeds it a block at a time
//! through [`MelFrontend::push`]. Both run the same per-frame code, so the frames are identical
//! (pinned by `streaming_frames_equal_whole_signal_frames`).
//!
//! The parameters follow DESIGN.md, "Frontend": periodic 4-term Blackman-Harris window, no centring
//! or padding (frame `k` starts at sample `k * hop`), power spectrum, Slaney mel scale with Slaney
//! area normalisation (librosa's defaults) and `10 * log10(max(x, 1e-10))`. The spectrum is computed
//! in `f64` so that bands far below the loudest one keep their precision; this is what lets us match
//! librosa within 1e-3 dB on every band.

use std::str::FromStr;
use std::sync::Arc;

use realfft::num_complex::Complex;
use realfft::{RealFftPlanner, RealToComplex};
use serde::{Deserialize, Serialize};

use crate::error::FrontendError;

/// Power floor before the logarithm, as librosa's `power_to_db(amin=1e-10)`.
pub const POWER_FLOOR: f64 = 1e-10;
/// `10 / ln 10`: decibels of power per unit of its natural logarithm.
const DB_PER_NEPER_OF_POWER: f64 = 10.0 / std::f64::consts::LN_10;

/// Number of mel bands, M = 40 (paper, Section 3.1: "40-dimensional log-mel").
pub const PAPER_MELS: usize = 40;
/// Frames per chunk, N = 80 (paper, Section 3.1: "M=40, N=80").
pub const PAPER_CHUNK_FRAMES: usize = 80;
/// Analysis window length (paper, Section 3.1: Blackman-Harris window of 2048 samples).
pub const PAPER_WINDOW: usize = 2048;
/// Hop between frames (paper, Section 3.1: hop size 1024).
pub const PAPER_HOP: usize = 1024;

/// The window function. Only the paper's is offered; the enum keeps the model file explicit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum WindowKind {
    /// Periodic 4-term Blackman-Harris (scipy's `blackmanharris(N, sym=False)`).
    BlackmanHarris,
}

/// Every parameter of the frontend. It is stored as JSON in each model file
/// (`mcclstm.frontend`), so a model always runs with the features it was trained on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FrontendConfig {
    /// Name of the preset this came from (`paper`, `paper-44k`), for people reading a model card.
    pub preset: String,
    /// Analysis sample rate in Hz; input at any other rate is resampled to it.
    pub sample_rate: u32,
    pub window: WindowKind,
    /// Window and FFT length in samples.
    pub n_fft: usize,
    /// Hop between frame starts in samples.
    pub hop: usize,
    pub n_mels: usize,
    /// Lowest and highest edge of the mel filterbank in Hz.
    pub fmin: f64,
    pub fmax: f64,
    /// Frames per model chunk.
    pub chunk_frames: usize,
}

/// The two named parameter sets of DESIGN.md.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Preset {
    /// 22050 Hz: 80 hops of 1024 samples are 3.715 s, the paper's "3.712 s" chunk.
    #[default]
    Paper,
    /// The paper's literal 44.1 kHz: 80 hops are 1.858 s.
    Paper44k,
}

impl Preset {
    pub const ALL: [Preset; 2] = [Preset::Paper, Preset::Paper44k];

    pub fn name(self) -> &'static str {
        match self {
            Preset::Paper => "paper",
            Preset::Paper44k => "paper-44k",
        }
    }

    pub fn config(self) -> FrontendConfig {
        let sample_rate = match self {
            Preset::Paper => 22_050,
            Preset::Paper44k => 44_100,
        };
        FrontendConfig {
            preset: self.name().to_string(),
            sample_rate,
            window: WindowKind::BlackmanHarris,
            n_fft: PAPER_WINDOW,
            hop: PAPER_HOP,
            n_mels: PAPER_MELS,
            fmin: 0.0,
            fmax: f64::from(sample_rate) / 2.0,
            chunk_frames: PAPER_CHUNK_FRAMES,
        }
    }
}

impl FromStr for Preset {
    type Err = FrontendError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Preset::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| FrontendError::UnknownPreset(s.to_string()))
    }
}

impl std::fmt::Display for Preset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl FrontendConfig {
    /// The same frontend with `n_mels` mel bands over the same range, named after its preset and
    /// the band count (`paper-64mels`) so a model card shows it is not the preset itself.
    pub fn with_mels(mut self, n_mels: usize) -> Self {
        if n_mels != self.n_mels {
            self.preset = format!("{}-{n_mels}mels", self.preset);
            self.n_mels = n_mels;
        }
        self
    }

    /// Checks that the parameters describe a frontend we can build, naming the first bad one.
    pub fn validate(&self) -> Result<(), FrontendError> {
        let bad =
            |field: &'static str, reason: String| Err(FrontendError::Invalid { field, reason });
        if !(1_000..=400_000).contains(&self.sample_rate) {
            return bad(
                "sample_rate",
                format!("{} Hz is outside 1 kHz..400 kHz", self.sample_rate),
            );
        }
        if self.n_fft < 16 || self.n_fft > 1 << 16 {
            return bad("n_fft", format!("{} is outside 16..65536", self.n_fft));
        }
        if self.hop == 0 || self.hop > self.n_fft {
            return bad(
                "hop",
                format!("{} must be in 1..=n_fft ({})", self.hop, self.n_fft),
            );
        }
        if self.n_mels == 0 || self.n_mels > self.n_fft / 2 {
            return bad("n_mels", format!("{} must be in 1..=n_fft/2", self.n_mels));
        }
        let nyquist = f64::from(self.sample_rate) / 2.0;
        if !(self.fmin >= 0.0 && self.fmin < self.fmax && self.fmax <= nyquist) {
            return bad(
                "fmin/fmax",
                format!(
                    "need 0 <= fmin ({}) < fmax ({}) <= {nyquist}",
                    self.fmin, self.fmax
                ),
            );
        }
        if self.chunk_frames == 0 {
            return bad("chunk_frames", "must be at least 1".to_string());
        }
        Ok(())
    }

    /// Seconds of audio covered by one chunk of `chunk_frames` frames (hop times frames).
    pub fn chunk_seconds(&self) -> f64 {
        (self.chunk_frames * self.hop) as f64 / f64::from(self.sample_rate)
    }

    /// Values in one chunk, a model's input: mels x frames.
    pub fn chunk_len(&self) -> usize {
        self.n_mels * self.chunk_frames
    }

    /// Number of frames a signal of `samples` samples yields (no padding: a partial window yields
    /// nothing).
    pub fn frames_in(&self, samples: usize) -> usize {
        if samples < self.n_fft {
            0
        } else {
            1 + (samples - self.n_fft) / self.hop
        }
    }
}

/// The largest sample magnitude analysed: 80 dB over full scale, far above any real signal
/// (float files may go over 1.0), far below where an FFT of it overflows. Beyond it a sample is
/// a damaged file's garbage (found by the fuzzer: a float WAV of samples near 3e38 made the
/// resampler's FFT return NaN and panic) and is treated like NaN.
pub const MAX_SAMPLE: f32 = 1.0e4;

/// Whether a sample is analysed as it is: finite and at most [`MAX_SAMPLE`] in magnitude.
#[inline]
pub fn is_valid_sample(x: f32) -> bool {
    x.abs() <= MAX_SAMPLE
}

/// Counts of samples the frontend replaced by zero. The audio itself is never touched; only the
/// analysis copy is sanitised.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InputStats {
    /// NaN or infinite samples, and finite ones beyond [`MAX_SAMPLE`] (a damaged file's
    /// garbage, whose FFT would overflow to infinity).
    pub non_finite: u64,
    /// Subnormal samples (flushed to zero so they cannot slow the FFT down).
    pub subnormal: u64,
    /// All samples seen since the last reset.
    pub total: u64,
}

/// Log-mel frames of a whole signal, `frames x n_mels`, row-major.
#[derive(Clone, Debug, PartialEq)]
pub struct MelFrames {
    pub n_mels: usize,
    pub data: Vec<f32>,
}

impl MelFrames {
    pub fn len(&self) -> usize {
        self.data.len() / self.n_mels
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    pub fn frame(&self, index: usize) -> &[f32] {
        &self.data[index * self.n_mels..(index + 1) * self.n_mels]
    }

    pub fn iter(&self) -> std::slice::ChunksExact<'_, f32> {
        self.data.chunks_exact(self.n_mels)
    }
}

/// One triangular mel filter, stored over its non-zero bins only.
#[derive(Clone, Debug)]
struct MelFilter {
    first_bin: usize,
    weights: Vec<f64>,
}

/// The streaming and whole-signal log-mel frontend.
///
/// Real-time: everything is allocated in [`MelFrontend::new`]; [`MelFrontend::push`] and
/// [`MelFrontend::reset`] never allocate, lock or panic on any input.
pub struct MelFrontend {
    config: FrontendConfig,
    /// Planned once here so that no frame ever plans or allocates.
    fft: Arc<dyn RealToComplex<f64>>,
    window: Vec<f64>,
    filters: Vec<MelFilter>,
    /// The last `fill` input samples (sanitised), oldest first; a frame is cut when it is full.
    pending: Vec<f32>,
    fill: usize,
    fft_input: Vec<f64>,
    spectrum: Vec<Complex<f64>>,
    scratch: Vec<Complex<f64>>,
    power: Vec<f64>,
    frame: Vec<f32>,
    frames_emitted: u64,
    stats: InputStats,
}

impl MelFrontend {
    pub fn new(config: FrontendConfig) -> Result<Self, FrontendError> {
        config.validate()?;
        let fft = RealFftPlanner::<f64>::new().plan_fft_forward(config.n_fft);
        let bins = config.n_fft / 2 + 1;
        Ok(Self {
            window: blackman_harris(config.n_fft),
            filters: mel_filters(&config),
            pending: vec![0.0; config.n_fft],
            fill: 0,
            fft_input: fft.make_input_vec(),
            spectrum: fft.make_output_vec(),
            scratch: fft.make_scratch_vec(),
            power: vec![0.0; bins],
            frame: vec![0.0; config.n_mels],
            frames_emitted: 0,
            stats: InputStats::default(),
            fft,
            config,
        })
    }

    pub fn from_preset(preset: Preset) -> Self {
        // The presets are constants that pass validation (pinned by a test).
        Self::new(preset.config()).expect("built-in presets are valid")
    }

    pub fn config(&self) -> &FrontendConfig {
        &self.config
    }

    pub fn stats(&self) -> InputStats {
        self.stats
    }

    /// Frames emitted since the last reset.
    pub fn frames_emitted(&self) -> u64 {
        self.frames_emitted
    }

    /// Forgets buffered samples and counters, as at construction. Never allocates.
    pub fn reset(&mut self) {
        self.fill = 0;
        self.frames_emitted = 0;
        self.stats = InputStats::default();
    }

    /// Feeds any number of samples at the frontend's rate; calls `on_frame` with each log-mel frame
    /// (`n_mels` values, dB) as soon as its last sample has arrived.
    ///
    /// Real-time: never allocates, locks or panics. NaN, infinite and out-of-range samples
    /// ([`is_valid_sample`]) are analysed as zero and counted in [`InputStats::non_finite`];
    /// subnormals are flushed to zero and counted.
    pub fn push(&mut self, samples: &[f32], mut on_frame: impl FnMut(&[f32])) {
        let n_fft = self.config.n_fft;
        let hop = self.config.hop;
        let mut rest = samples;
        while !rest.is_empty() {
            let take = (n_fft - self.fill).min(rest.len());
            let (now, later) = rest.split_at(take);
            let (non_finite, subnormal) =
                sanitise(now, &mut self.pending[self.fill..self.fill + take]);
            self.stats.non_finite += non_finite;
            self.stats.subnormal += subnormal;
            self.stats.total += take as u64;
            self.fill += take;
            rest = later;
            if self.fill == n_fft {
                self.compute_frame();
                on_frame(&self.frame);
                self.frames_emitted += 1;
                // Keep the overlap for the next frame: it starts `hop` samples later.
                self.pending.copy_within(hop.., 0);
                self.fill = n_fft - hop;
            }
        }
    }

    /// Log-mel frames of a whole signal at the frontend's rate. Resets the frontend first, so the
    /// result depends on `samples` only.
    pub fn process_signal(&mut self, samples: &[f32]) -> MelFrames {
        self.reset();
        let n_mels = self.config.n_mels;
        let mut data = Vec::with_capacity(self.config.frames_in(samples.len()) * n_mels);
        self.push(samples, |frame| data.extend_from_slice(frame));
        MelFrames { n_mels, data }
    }

    fn compute_frame(&mut self) {
        for ((dst, &x), &w) in self
            .fft_input
            .iter_mut()
            .zip(&self.pending)
            .zip(&self.window)
        {
            *dst = f64::from(x) * w;
        }
        // The buffers were made by this plan, so their lengths always match and this cannot fail;
        // should it ever, the frame is computed from a zero spectrum instead of panicking.
        if self
            .fft
            .process_with_scratch(&mut self.fft_input, &mut self.spectrum, &mut self.scratch)
            .is_err()
        {
            self.spectrum.fill(Complex::new(0.0, 0.0));
        }
        for (p, c) in self.power.iter_mut().zip(&self.spectrum) {
            *p = c.norm_sqr();
        }
        for (out, filter) in self.frame.iter_mut().zip(&self.filters) {
            let bins = &self.power[filter.first_bin..filter.first_bin + filter.weights.len()];
            let energy = dot(bins, &filter.weights);
            // 10 log10(e) as a multiple of ln(e): the C library's `log` is about twice as fast
            // as its `log10`, and the two differ by rounding only, far below an `f32`'s step.
            *out = (DB_PER_NEPER_OF_POWER * energy.max(POWER_FLOOR).ln()) as f32;
        }
    }
}

/// Copies `from` into `to` (the same length) with NaN, infinite and out-of-range samples
/// ([`is_valid_sample`]) and subnormals replaced by zero, and returns how many of each it
/// replaced. The tests are on the magnitude's bits (for non-negative floats their order is the
/// bits' order, and NaN's bits are above infinity's), with no branch and no short-circuit, so the
/// compiler runs the loop in vector lanes.
#[inline]
fn sanitise(from: &[f32], to: &mut [f32]) -> (u64, u64) {
    /// The magnitude bits of the smallest normal `f32`: from 1 to this minus 1 is subnormal.
    const MIN_NORMAL_BITS: u32 = 0x0080_0000;
    const MAX_BITS: u32 = MAX_SAMPLE.to_bits();
    let (mut invalid, mut subnormal) = (0u64, 0u64);
    for (slot, &x) in to.iter_mut().zip(from) {
        let magnitude = x.to_bits() & 0x7fff_ffff;
        let bad = magnitude > MAX_BITS;
        let tiny = magnitude.wrapping_sub(1) < MIN_NORMAL_BITS - 1;
        invalid += u64::from(bad);
        subnormal += u64::from(tiny);
        *slot = if bad | tiny { 0.0 } else { x };
    }
    (invalid, subnormal)
}

/// `a . b` over the shorter of the two, in eight interleaved partial sums that the compiler keeps
/// in vector registers; one running sum would be a chain of dependent additions, one per bin.
/// The order of the additions differs from a plain sum's, which moves the result by rounding
/// only (about 1e-16 of it in `f64`, far below the `f32` a frame is stored in).
#[inline]
fn dot(a: &[f64], b: &[f64]) -> f64 {
    const LANES: usize = 8;
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let (a_blocks, a_tail) = a.as_chunks::<LANES>();
    let (b_blocks, b_tail) = b.as_chunks::<LANES>();
    let mut acc = [0.0f64; LANES];
    for (x, y) in a_blocks.iter().zip(b_blocks) {
        for lane in 0..LANES {
            acc[lane] += x[lane] * y[lane];
        }
    }
    let tail: f64 = a_tail.iter().zip(b_tail).map(|(x, y)| x * y).sum();
    let [a0, a1, a2, a3, a4, a5, a6, a7] = acc;
    ((a0 + a4) + (a2 + a6)) + ((a1 + a5) + (a3 + a7)) + tail
}

/// Periodic 4-term Blackman-Harris window (scipy `blackmanharris(n, sym=False)`).
fn blackman_harris(n: usize) -> Vec<f64> {
    const A: [f64; 4] = [0.35875, 0.48829, 0.14128, 0.01168];
    let step = 2.0 * std::f64::consts::PI / n as f64;
    (0..n)
        .map(|i| {
            let x = step * i as f64;
            A[0] - A[1] * x.cos() + A[2] * (2.0 * x).cos() - A[3] * (3.0 * x).cos()
        })
        .collect()
}

/// Slaney's mel scale: linear at 200/3 Hz per mel below 1 kHz, logarithmic above, with a step of
/// ln(6.4) / 27 per mel (librosa `hz_to_mel(htk=False)`).
const SLANEY_HZ_PER_MEL: f64 = 200.0 / 3.0;
const SLANEY_LOG_START_HZ: f64 = 1000.0;
const SLANEY_LOG_START_MEL: f64 = SLANEY_LOG_START_HZ / SLANEY_HZ_PER_MEL;

fn slaney_log_step() -> f64 {
    6.4f64.ln() / 27.0
}

fn hz_to_mel(hz: f64) -> f64 {
    if hz >= SLANEY_LOG_START_HZ {
        SLANEY_LOG_START_MEL + (hz / SLANEY_LOG_START_HZ).ln() / slaney_log_step()
    } else {
        hz / SLANEY_HZ_PER_MEL
    }
}

fn mel_to_hz(mel: f64) -> f64 {
    if mel >= SLANEY_LOG_START_MEL {
        SLANEY_LOG_START_HZ * (slaney_log_step() * (mel - SLANEY_LOG_START_MEL)).exp()
    } else {
        SLANEY_HZ_PER_MEL * mel
    }
}

/// `numpy.linspace(start, stop, n)` including both ends.
fn linspace(start: f64, stop: f64, n: usize) -> Vec<f64> {
    if n == 1 {
        return vec![start];
    }
    let step = (stop - start) / (n - 1) as f64;
    let mut v: Vec<f64> = (0..n).map(|i| start + step * i as f64).collect();
    v[n - 1] = stop;
    v
}

/// librosa `filters.mel(norm="slaney", htk=False)`: triangles between consecutive mel-spaced edges,
/// each scaled by `2 / (upper - lower)` so every filter has unit area.
fn mel_filters(config: &FrontendConfig) -> Vec<MelFilter> {
    let bins = config.n_fft / 2 + 1;
    let fft_freqs = linspace(0.0, f64::from(config.sample_rate) / 2.0, bins);
    let edges: Vec<f64> = linspace(
        hz_to_mel(config.fmin),
        hz_to_mel(config.fmax),
        config.n_mels + 2,
    )
    .into_iter()
    .map(mel_to_hz)
    .collect();
    (0..config.n_mels)
        .map(|m| {
            let (lo, mid, hi) = (edges[m], edges[m + 1], edges[m + 2]);
            let norm = 2.0 / (hi - lo);
            let dense: Vec<f64> = fft_freqs
                .iter()
                .map(|&f| {
                    let rising = (f - lo) / (mid - lo);
                    let falling = (hi - f) / (hi - mid);
                    rising.min(falling).max(0.0) * norm
                })
                .collect();
            let first = dense.iter().position(|&w| w > 0.0).unwrap_or(0);
            let last = dense
                .iter()
                .rposition(|&w| w > 0.0)
                .map_or(first, |i| i + 1);
            MelFilter {
                first_bin: first,
                weights: dense[first..last].to_vec(),
            }
        })
        .collect()
}

/// Collects frames into model chunks laid out `[n_mels, chunk_frames]` (the model's `[1, 1, M, N]`
/// input without its unit axes). Chunk `k` is frames `[k * N, k * N + N)`.
///
/// Real-time: allocates only in [`ChunkAssembler::new`].
pub struct ChunkAssembler {
    n_mels: usize,
    chunk_frames: usize,
    filled: usize,
    chunk: Vec<f32>,
}

impl ChunkAssembler {
    pub fn new(n_mels: usize, chunk_frames: usize) -> Self {
        Self {
            n_mels,
            chunk_frames,
            filled: 0,
            chunk: vec![0.0; n_mels * chunk_frames],
        }
    }

    pub fn for_config(config: &FrontendConfig) -> Self {
        Self::new(config.n_mels, config.chunk_frames)
    }

    /// Frames collected towards the current chunk.
    pub fn filled(&self) -> usize {
        self.filled
    }

    pub fn chunk_frames(&self) -> usize {
        self.chunk_frames
    }

    pub fn reset(&mut self) {
        self.filled = 0;
    }

    /// Adds one frame; returns the completed chunk when this frame was its last.
    pub fn push_frame(&mut self, frame: &[f32]) -> Option<&[f32]> {
        let t = self.filled;
        for (m, &v) in frame.iter().take(self.n_mels).enumerate() {
            self.chunk[m * self.chunk_frames + t] = v;
        }
        self.filled += 1;
        if self.filled == self.chunk_frames {
            self.filled = 0;
            Some(&self.chunk)
        } else {
            None
        }
    }
}

/// All complete chunks of a whole signal's frames, each `[n_mels, chunk_frames]`. Frames after the
/// last complete chunk are dropped, as they are live until the chunk completes.
pub fn chunks_of(frames: &MelFrames, chunk_frames: usize) -> Vec<Vec<f32>> {
    let mut assembler = ChunkAssembler::new(frames.n_mels, chunk_frames);
    frames
        .iter()
        .filter_map(|f| assembler.push_frame(f).map(<[f32]>::to_vec))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_are_valid_and_parse_back() {
        for preset in Preset::ALL {
            preset.config().validate().unwrap();
            assert_eq!(preset.name().parse::<Preset>().unwrap(), preset);
        }
        assert!("paper-48k".parse::<Preset>().is_err());
    }

    #[test]
    fn paper_chunk_is_the_papers_3_712_seconds_within_5_ms() {
        let s = Preset::Paper.config().chunk_seconds();
        assert!((s - 3.712).abs() < 0.005, "{s}");
        assert!((Preset::Paper44k.config().chunk_seconds() - 1.858).abs() < 0.001);
    }

    #[test]
    fn mel_scale_round_trips() {
        for hz in [0.0, 100.0, 999.0, 1000.0, 4000.0, 11025.0] {
            assert!((mel_to_hz(hz_to_mel(hz)) - hz).abs() < 1e-9);
        }
    }

    #[test]
    fn every_mel_filter_has_unit_area_in_hz() {
        // Slaney normalisation: the triangle of height 2/(hi-lo) over (hi-lo) Hz has area 1, so the
        // sum of weights times the bin width is close to 1 (discretisation error only).
        let config = Preset::Paper.config();
        let bin_hz = f64::from(config.sample_rate) / config.n_fft as f64;
        for f in mel_filters(&config) {
            let area: f64 = f.weights.iter().sum::<f64>() * bin_hz;
            assert!((area - 1.0).abs() < 0.35, "area {area}");
        }
    }

    #[test]
    fn frame_count_has_no_padding() {
        let config = Preset::Paper.config();
        assert_eq!(config.frames_in(2047), 0);
        assert_eq!(config.frames_in(2048), 1);
        assert_eq!(config.frames_in(2048 + 1023), 1);
        assert_eq!(config.frames_in(2048 + 1024), 2);
    }

    #[test]
    fn non_finite_and_subnormal_samples_are_counted_and_frames_stay_finite() {
        let mut fe = MelFrontend::from_preset(Preset::Paper);
        let mut signal: Vec<f32> = (0..8192).map(|i| (i as f32 * 0.05).sin()).collect();
        signal[10] = f32::NAN;
        signal[20] = f32::INFINITY;
        signal[30] = f32::NEG_INFINITY;
        signal[40] = f32::MIN_POSITIVE / 4.0;
        let frames = fe.process_signal(&signal);
        assert_eq!(frames.len(), 7);
        assert!(frames.data.iter().all(|v| v.is_finite()));
        let stats = fe.stats();
        assert_eq!(
            (stats.non_finite, stats.subnormal, stats.total),
            (3, 1, 8192)
        );
    }

    #[test]
    fn sanitising_keeps_exactly_the_normal_samples_in_range_and_counts_the_rest() {
        let tiny = f32::from_bits(1); // the smallest subnormal
        let cases: [(f32, Option<f32>); 14] = [
            (0.5, Some(0.5)),
            (-0.25, Some(-0.25)),
            (0.0, Some(0.0)),
            (-0.0, Some(-0.0)),
            (f32::MIN_POSITIVE, Some(f32::MIN_POSITIVE)),
            (-f32::MIN_POSITIVE, Some(-f32::MIN_POSITIVE)),
            (MAX_SAMPLE, Some(MAX_SAMPLE)),
            (-MAX_SAMPLE, Some(-MAX_SAMPLE)),
            (tiny, None),
            (-f32::MIN_POSITIVE / 2.0, None),
            (f32::NAN, None),
            (f32::NEG_INFINITY, None),
            (MAX_SAMPLE * 1.001, None),
            (-3.0e38, None),
        ];
        let from: Vec<f32> = cases.iter().map(|c| c.0).collect();
        let mut to = vec![7.0; from.len()];
        assert_eq!(sanitise(&from, &mut to), (4, 2));
        for (&(x, kept), &y) in cases.iter().zip(&to) {
            // Bits, so that -0.0 must stay -0.0.
            assert_eq!(y.to_bits(), kept.unwrap_or(0.0).to_bits(), "{x:e}");
        }
        // The bit tests against the float ones, over a million patterns across all of `f32`.
        for bits in (0..u32::MAX).step_by(4099) {
            let x = f32::from_bits(bits);
            let mut y = [7.0];
            let (bad, tiny) = sanitise(&[x], &mut y);
            assert_eq!(bad == 1, !is_valid_sample(x), "{bits:#x}");
            assert_eq!(tiny == 1, x.is_subnormal(), "{bits:#x}");
        }
    }

    #[test]
    fn the_lane_sum_is_the_dot_product() {
        for n in 0..40 {
            let a: Vec<f64> = (0..n).map(|i| 1.0 + (i as f64 * 0.7).sin()).collect();
            let b: Vec<f64> = (0..n).map(|i| 1e-3 * (i as f64 + 0.5)).collect();
            let plain: f64 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
            let lanes = dot(&a, &b);
            assert!(
                (lanes - plain).abs() <= 1e-14 * plain.abs(),
                "{n}: {lanes} vs {plain}"
            );
        }
        assert_eq!(dot(&[2.0, 3.0, 4.0], &[5.0]), 10.0);
    }

    #[test]
    fn silence_gives_the_floor() {
        let mut fe = MelFrontend::from_preset(Preset::Paper);
        let frames = fe.process_signal(&[0.0; 4096]);
        assert!(frames.data.iter().all(|&v| v == -100.0));
    }

    #[test]
    fn chunk_layout_is_mels_by_frames() {
        let frames = MelFrames {
            n_mels: 2,
            data: vec![1.0, 10.0, 2.0, 20.0, 3.0, 30.0, 4.0, 40.0],
        };
        let chunks = chunks_of(&frames, 3);
        assert_eq!(chunks, vec![vec![1.0, 2.0, 3.0, 10.0, 20.0, 30.0]]);
    }
}
