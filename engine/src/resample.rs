//! Streaming resampling to the frontend's rate: one implementation for whole files and for the
//! plugin's blocks, so an offline bounce and `mcclstm analyze` see the same samples.
//!
//! rubato's FFT resampler runs on fixed input chunks, so the output does not depend on how the
//! input was split into blocks. Its delay is removed: output sample `n` is input time
//! `n / to_rate`, and a flushed stream of `len` samples yields `ceil(len * to / from)`.

use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{Fft, FixedSync, Indexing, Resampler, WindowFunction};

use crate::error::AudioError;

/// Input frames per resampler chunk, before rounding to an even number of minimal blocks. Small
/// enough for low live latency, large enough for a sharp anti-aliasing filter.
const TARGET_CHUNK: usize = 1024;

/// A mono streaming resampler.
///
/// Real-time: allocates only in [`StreamResampler::new`]; [`StreamResampler::push`] and
/// [`StreamResampler::reset`] never allocate (rubato's `process_into_buffer` works in place).
pub struct StreamResampler {
    from: u32,
    to: u32,
    /// `None` when the rates are equal: samples pass straight through.
    inner: Option<Inner>,
    total_in: u64,
    emitted: u64,
}

struct Inner {
    resampler: Fft<f32>,
    input: Vec<f32>,
    fill: usize,
    output: Vec<f32>,
    /// Output frames of the resampler's delay still to drop.
    to_trim: usize,
}

/// The sample rates the resampler takes: from telephone-band recordings well below 8 kHz to
/// 1536 kHz (eight times 192 kHz). Outside them a rate is a damaged or hostile header, and the
/// filters for it would be as long as the rate itself (gigabytes for a rate of 2^31 Hz).
pub const RATES: std::ops::RangeInclusive<u32> = 1_000..=1_536_000;

impl StreamResampler {
    pub fn new(from: u32, to: u32) -> Result<Self, AudioError> {
        let err = |reason: String| AudioError::Resample { from, to, reason };
        if from == 0 || to == 0 {
            return Err(err("a rate of 0 Hz".to_string()));
        }
        if from != to && !(RATES.contains(&from) && RATES.contains(&to)) {
            return Err(err(format!(
                "rates outside {} to {} Hz are not audio",
                RATES.start(),
                RATES.end()
            )));
        }
        let inner = if from == to {
            None
        } else {
            let (i, o) = (from as usize, to as usize);
            let resampler = Fft::<f32>::new_custom(
                i,
                o,
                even_block_chunk(i, o, TARGET_CHUNK),
                1,
                1,
                WindowFunction::BlackmanHarris2,
                FixedSync::Input,
            )
            .map_err(|e| err(e.to_string()))?;
            Some(Inner {
                input: vec![0.0; resampler.input_frames_next()],
                fill: 0,
                output: vec![0.0; resampler.output_frames_max()],
                to_trim: resampler.output_delay(),
                resampler,
            })
        };
        Ok(Self {
            from,
            to,
            inner,
            total_in: 0,
            emitted: 0,
        })
    }

    pub fn rates(&self) -> (u32, u32) {
        (self.from, self.to)
    }

    /// Feeds samples at the input rate; `sink` receives resampled samples as they become ready.
    /// The samples must be finite ([`crate::stream::Stream`] cleans its input first).
    /// Real-time: never allocates.
    pub fn push(&mut self, mut samples: &[f32], mut sink: impl FnMut(&[f32])) {
        self.total_in += samples.len() as u64;
        let Some(inner) = self.inner.as_mut() else {
            self.emitted += samples.len() as u64;
            sink(samples);
            return;
        };
        while !samples.is_empty() {
            let n = (inner.input.len() - inner.fill).min(samples.len());
            inner.input[inner.fill..inner.fill + n].copy_from_slice(&samples[..n]);
            inner.fill += n;
            samples = &samples[n..];
            if inner.fill == inner.input.len() {
                self.emitted += inner.run_chunk(None, u64::MAX - self.emitted, &mut sink);
                inner.fill = 0;
            }
        }
    }

    /// Ends the stream: emits the tail so that the whole output has `ceil(len * to / from)`
    /// samples, then starts over as new.
    pub fn flush(&mut self, mut sink: impl FnMut(&[f32])) {
        let expected = (self.total_in * u64::from(self.to)).div_ceil(u64::from(self.from));
        if let Some(inner) = self.inner.as_mut() {
            if inner.fill > 0 {
                let fill = inner.fill;
                self.emitted +=
                    inner.run_chunk(Some(fill), expected.saturating_sub(self.emitted), &mut sink);
                inner.fill = 0;
            }
            // Each silent chunk yields at least one output frame once the delay is trimmed; the
            // bound only guards against a resampler that stops producing.
            let mut guard = 0;
            while self.emitted < expected && guard < 1024 {
                self.emitted +=
                    inner.run_chunk(Some(0), expected.saturating_sub(self.emitted), &mut sink);
                guard += 1;
            }
        }
        self.reset();
    }

    /// Forgets buffered samples, as at construction. Never allocates.
    pub fn reset(&mut self) {
        if let Some(inner) = self.inner.as_mut() {
            inner.resampler.reset();
            inner.fill = 0;
            inner.to_trim = inner.resampler.output_delay();
        }
        self.total_in = 0;
        self.emitted = 0;
    }
}

impl Inner {
    /// Runs one input chunk (`partial`: how many of its frames are real; the rest is silence) and
    /// passes at most `limit` delay-compensated output frames to `sink`. Returns how many.
    fn run_chunk(
        &mut self,
        partial: Option<usize>,
        limit: u64,
        sink: &mut impl FnMut(&[f32]),
    ) -> u64 {
        let (n_in, n_out) = (self.input.len(), self.output.len());
        let (Ok(input), Ok(mut output)) = (
            InterleavedSlice::new(&self.input[..], 1, n_in),
            InterleavedSlice::new_mut(&mut self.output[..], 1, n_out),
        ) else {
            return 0;
        };
        let indexing = match partial {
            Some(n) => Indexing::new().partial_len(n),
            None => Indexing::new(),
        };
        // The buffers were sized by this resampler, so this cannot fail; if it ever did, the
        // chunk is dropped rather than panicking on the audio path.
        let Ok((_, produced)) =
            self.resampler
                .process_into_buffer(&input, &mut output, Some(&indexing))
        else {
            return 0;
        };
        let skip = self.to_trim.min(produced);
        self.to_trim -= skip;
        let take = ((produced - skip) as u64).min(limit) as usize;
        if take > 0 {
            sink(&self.output[skip..skip + take]);
        }
        take as u64
    }
}

fn gcd(mut a: usize, mut b: usize) -> usize {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// A chunk size that is an even number of the resampler's smallest blocks: both FFT sizes are then
/// even and the reported delay is exact (no half-sample lag).
fn even_block_chunk(from: usize, to: usize, target: usize) -> usize {
    let min_in = from / gcd(from, to);
    target.div_ceil(min_in).next_multiple_of(2) * min_in
}

/// Resamples a whole mono signal through the streaming resampler. NaN, infinite and out-of-range
/// samples ([`crate::frontend::is_valid_sample`]) are resampled as zero (rubato's FFT would
/// spread them, overflow on them, or fail, otherwise).
pub fn resample(samples: &[f32], from: u32, to: u32) -> Result<Vec<f32>, AudioError> {
    use crate::frontend::is_valid_sample;
    let cleaned: Vec<f32>;
    let samples = if samples.iter().all(|&x| is_valid_sample(x)) {
        samples
    } else {
        cleaned = samples
            .iter()
            .map(|&x| if is_valid_sample(x) { x } else { 0.0 })
            .collect();
        &cleaned
    };
    if from == to {
        return Ok(samples.to_vec());
    }
    let mut resampler = StreamResampler::new(from, to)?;
    let expected = (samples.len() as u64 * u64::from(to)).div_ceil(u64::from(from)) as usize;
    let mut out = Vec::with_capacity(expected);
    resampler.push(samples, |s| out.extend_from_slice(s));
    resampler.flush(|s| out.extend_from_slice(s));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resampled_length_is_the_ceiling_of_the_ratio() {
        let input = vec![0.0f32; 48_000];
        assert_eq!(resample(&input, 48_000, 22_050).unwrap().len(), 22_050);
        assert_eq!(resample(&input[..1001], 48_000, 22_050).unwrap().len(), 460);
        assert_eq!(resample(&input[..5], 384_000, 22_050).unwrap().len(), 1);
    }

    #[test]
    fn a_rate_no_audio_has_is_refused_at_once() {
        // Found by the fuzzer: a WAV header claiming 1 853 189 228 Hz made the resampler build
        // filters of that length (minutes and gigabytes) before anything was decoded.
        for (from, to) in [(1_853_189_228, 22_050), (22_050, 3_000_000), (999, 22_050)] {
            let err = StreamResampler::new(from, to).err().expect("refused");
            assert!(
                err.to_string().contains("not audio"),
                "{from} -> {to}: {err}"
            );
        }
        // The edges of the range are audio.
        assert!(StreamResampler::new(1_000, 22_050).is_ok());
        assert!(StreamResampler::new(1_536_000, 22_050).is_ok());
    }

    #[test]
    fn even_block_chunk_is_an_even_multiple_of_the_minimal_block() {
        let c = even_block_chunk(48_000, 22_050, 1024);
        assert_eq!(c % 320, 0);
        assert_eq!((c / 320) % 2, 0);
    }

    #[test]
    fn output_does_not_depend_on_the_block_schedule() {
        let input: Vec<f32> = (0..50_000).map(|i| (i as f32 * 0.013).sin()).collect();
        let whole = resample(&input, 44_100, 22_050).unwrap();
        let mut r = StreamResampler::new(44_100, 22_050).unwrap();
        let mut blocks = Vec::new();
        let mut start = 0;
        for size in [1usize, 17, 256, 1000, 4096, 3].iter().cycle() {
            if start >= input.len() {
                break;
            }
            let end = (start + size).min(input.len());
            r.push(&input[start..end], |s| blocks.extend_from_slice(s));
            start = end;
        }
        r.flush(|s| blocks.extend_from_slice(s));
        assert_eq!(blocks, whole);
    }
}
