//! The analysis pipeline: samples at any rate in, per-chunk results out. One named type for every
//! caller: `mcclstm analyze` and `mcclstm evaluate` push a decoded file through it, the plugin's
//! analysis thread pushes what it drains from the ring, its inline offline path pushes the host's
//! blocks, and the trainer's feature cache runs its frame stages. Callers differ only in where
//! samples come from and where results go, so a bounce and `mcclstm analyze` of the same audio give
//! the same chunks, times and probabilities.
//!
//! The stages, in order (docs/DESIGN.md, "The live path"):
//!
//! 1. **Cleaning**: NaN and infinite samples become 0 and are counted, before anything else sees
//!    them (the resampler's FFT would otherwise spread one NaN over a whole chunk).
//! 2. **Silence gate**: a run of samples quieter than [`StreamConfig::silence_level`] longer than
//!    [`StreamConfig::silence_reset_s`] ends the track: every lane resets and the silent samples
//!    are not analysed; the next audible sample starts a new segment. Decided per sample, so the
//!    result does not depend on how the input was split into blocks.
//! 3. Per lane (one model each): **resampling** to the model's rate ([`crate::resample`]), the
//!    **log-mel frontend** ([`crate::frontend`]), **chunk assembly**, and one **model step** per
//!    chunk with the state carried ([`crate::runner`]). Lanes whose models share a frontend
//!    configuration and whose frames started together (built together, or since the last reset or
//!    gap) share the first one's resampling and frontend: the genre and mood models hear the same
//!    frames, computed once. A lane that joins mid-stream computes its own until the next reset.
//!
//! **Time convention.** Times are seconds of input since the stream started, gaps and skipped
//! silence included. A chunk spans exactly the samples its frames read: from its first
//! frame's first sample to its last frame's last sample, `[k*N*hop, (k*N + N - 1)*hop + n_fft)`
//! model-rate samples after the start of its segment, so chunk 0 of the `paper` preset is
//! 0.000-3.762 s.
//!
//! Real-time: [`Stream::push`], [`Stream::skip`] and [`Stream::reset`] allocate nothing of their
//! own (buffers are sized in [`Stream::new`]); a model step runs the model's runner, which may.

use std::time::{Duration, Instant};

use crate::contract::Summary;
use crate::error::{AudioError, FrontendError, RunError};
use crate::frontend::{ChunkAssembler, FrontendConfig, MelFrames, MelFrontend};
use crate::resample::StreamResampler;
use crate::runner::{Model, StreamingRunner, argmax};

/// Samples quieter than this (about -80 dBFS) count as silence.
pub const SILENCE_LEVEL: f32 = 1e-4;

/// The silence after which a track is taken to have ended, in seconds: the plugin's "Silence
/// reset" parameter default and `mcclstm analyze --silence-reset`'s default.
pub const DEFAULT_SILENCE_RESET_S: f32 = 5.0;

/// How often the plugin's editor gets a provisional result between chunk boundaries, in seconds
/// of audio: under half a second, so that with the analysis thread's batching (about 0.1 s) every
/// second of real time brings at least two updates.
pub const PROVISIONAL_EVERY_S: f32 = 0.45;

/// Input samples cleaned at a time: the stream's only buffer for input, sized once.
const CLEAN_BLOCK: usize = 4096;

/// How a stream treats its input.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StreamConfig {
    /// Rate of the samples pushed in (Hz).
    pub input_rate: u32,
    /// Samples whose magnitude is below this count as silence.
    pub silence_level: f32,
    /// A silence longer than this many seconds resets the analysis; `None` never does (a whole
    /// file read as one track, as the trainer does).
    pub silence_reset_s: Option<f32>,
    /// Between chunk boundaries, a provisional result this often (seconds of audio): the latest
    /// full window of frames stepped from the last committed state without committing it
    /// ([`StreamEvent::Provisional`]). `None`: committed chunks only (`analyze`, `evaluate`).
    pub provisional_every_s: Option<f32>,
}

impl StreamConfig {
    /// The plugin's and `mcclstm analyze`'s policy at `input_rate`: reset after
    /// [`DEFAULT_SILENCE_RESET_S`] of silence.
    pub fn live(input_rate: u32) -> Self {
        Self {
            input_rate,
            silence_level: SILENCE_LEVEL,
            silence_reset_s: Some(DEFAULT_SILENCE_RESET_S),
            provisional_every_s: None,
        }
    }

    /// [`StreamConfig::live`] with a provisional result every [`PROVISIONAL_EVERY_S`]: the
    /// plugin's editor.
    pub fn live_with_provisional(input_rate: u32) -> Self {
        Self {
            provisional_every_s: Some(PROVISIONAL_EVERY_S),
            ..Self::live(input_rate)
        }
    }

    /// No silence gate: the whole input is one track.
    pub fn whole(input_rate: u32) -> Self {
        Self {
            silence_reset_s: None,
            ..Self::live(input_rate)
        }
    }

    fn threshold_samples(&self) -> Option<u64> {
        self.silence_reset_s
            // Rounded: 0.08 s in f32 is a hair under 0.08, and truncating would lose a sample.
            .map(|s| (f64::from(s.max(0.0)) * f64::from(self.input_rate)).round() as u64)
    }
}

/// Why the stream could not be built.
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    #[error(transparent)]
    Resample(#[from] AudioError),
    #[error(transparent)]
    Frontend(#[from] FrontendError),
    #[error("lane {lane} does not exist (the stream has {lanes})")]
    NoSuchLane { lane: usize, lanes: usize },
}

/// Input-rate samples to log-mel frames at a frontend's rate: the resampler and the frontend.
/// The feature cache runs this on whole files; a [`Stream`] lane runs it block by block.
///
/// Real-time: allocates only in [`FrameStream::new`].
pub struct FrameStream {
    resampler: StreamResampler,
    frontend: MelFrontend,
}

impl FrameStream {
    pub fn new(input_rate: u32, config: FrontendConfig) -> Result<Self, StreamError> {
        Ok(Self {
            resampler: StreamResampler::new(input_rate, config.sample_rate)?,
            frontend: MelFrontend::new(config)?,
        })
    }

    pub fn config(&self) -> &FrontendConfig {
        self.frontend.config()
    }

    /// Feeds clean input-rate samples; `on_frame` gets each frame as soon as it is complete.
    pub fn push(&mut self, samples: &[f32], mut on_frame: impl FnMut(&[f32])) {
        let frontend = &mut self.frontend;
        self.resampler
            .push(samples, |resampled| frontend.push(resampled, &mut on_frame));
    }

    /// Ends the input: the resampler's tail goes through the frontend (a whole file's last
    /// samples), then the stream starts over as new.
    pub fn finish(&mut self, mut on_frame: impl FnMut(&[f32])) {
        let frontend = &mut self.frontend;
        self.resampler
            .flush(|resampled| frontend.push(resampled, &mut on_frame));
        self.reset();
    }

    /// Forgets buffered samples, as at construction. Never allocates.
    pub fn reset(&mut self) {
        self.resampler.reset();
        self.frontend.reset();
    }
}

/// The log-mel frames of a whole signal at `input_rate`, cleaned, resampled and framed exactly as
/// a [`Stream`] lane does (no silence gate: a file is one track). Also returns the number of
/// non-finite samples replaced by zero.
pub fn signal_frames(
    samples: &[f32],
    input_rate: u32,
    config: &FrontendConfig,
) -> Result<(MelFrames, u64), StreamError> {
    let mut frames = FrameStream::new(input_rate, config.clone())?;
    let n_mels = config.n_mels;
    let expected = (samples.len() as u64 * u64::from(config.sample_rate))
        .div_ceil(u64::from(input_rate.max(1))) as usize;
    let mut data = Vec::with_capacity(config.frames_in(expected) * n_mels);
    let mut clean = vec![0.0f32; CLEAN_BLOCK.min(samples.len())];
    let mut invalid = 0;
    for block in samples.chunks(CLEAN_BLOCK) {
        invalid += clean_into(block, &mut clean[..block.len()]);
        frames.push(&clean[..block.len()], |f| data.extend_from_slice(f));
    }
    frames.finish(|f| data.extend_from_slice(f));
    Ok((MelFrames { n_mels, data }, invalid))
}

/// Copies `input` into `out` with NaN, infinities and out-of-range samples
/// ([`crate::frontend::is_valid_sample`]) replaced by zero; returns how many were.
fn clean_into(input: &[f32], out: &mut [f32]) -> u64 {
    let mut invalid = 0;
    for (o, &x) in out.iter_mut().zip(input) {
        *o = if crate::frontend::is_valid_sample(x) {
            x
        } else {
            invalid += 1;
            0.0
        };
    }
    invalid
}

/// What a [`Stream`] reports as it runs.
#[derive(Debug)]
pub enum StreamEvent<'a> {
    /// A lane completed a chunk and stepped its model.
    Chunk(ChunkEvent<'a>),
    /// A lane's model step failed; the chunk is discarded and the lane's state is unchanged.
    StepFailed { lane: usize, error: &'a RunError },
    /// Every lane was reset: a new segment starts at `at_s`.
    Reset { reason: ResetReason, at_s: f64 },
    /// A provisional result between chunk boundaries (only with
    /// [`StreamConfig::provisional_every_s`]). Nothing was committed: the next chunk's result is
    /// what it would have been without it.
    Provisional(ProvisionalEvent<'a>),
}

/// A provisional result: the running estimate if the latest full window of frames were the next
/// chunk, stepped from the last committed state.
#[derive(Clone, Copy, Debug)]
pub struct ProvisionalEvent<'a> {
    pub lane: usize,
    pub segment: u64,
    /// Committed chunks of the segment before it.
    pub committed: u64,
    /// The window's span in seconds of input since the stream started.
    pub start_s: f64,
    pub end_s: f64,
    /// The provisional running estimate.
    pub track: &'a [f32],
    /// Wall time of the model step.
    pub step: Duration,
}

/// Why the stream reset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResetReason {
    /// The caller asked ([`Stream::reset`]): a transport jump, the host's `reset()`.
    Requested,
    /// A silence longer than the threshold ended the track.
    Silence,
}

/// One chunk's result.
#[derive(Clone, Copy, Debug)]
pub struct ChunkEvent<'a> {
    pub lane: usize,
    /// Resets since the stream started; chunks of one segment belong to one track.
    pub segment: u64,
    /// Chunk index within the segment.
    pub index: u64,
    /// The chunk's span in seconds of input since the stream started (see the module docs).
    pub start_s: f64,
    pub end_s: f64,
    /// The model's output for this chunk alone (stateless) or after every chunk of the segment
    /// (stateful).
    pub chunk: &'a [f32],
    /// The running estimate for the segment so far.
    pub track: &'a [f32],
    /// Wall time of the model step.
    pub step: Duration,
}

/// One model's stages.
struct Lane {
    frames: FrameStream,
    /// The earlier lane whose frames this lane receives instead of computing its own (its own
    /// `frames` then stand idle). Both have the same frontend configuration and their frames
    /// started at the same input sample.
    follows: Option<usize>,
    /// Whether samples reached this lane's frames since they last started.
    fed: bool,
    state: LaneState,
}

/// A lane apart from its frame stream: where its frames go.
struct LaneState {
    assembler: ChunkAssembler,
    runner: StreamingRunner,
    /// Input sample at which the lane's frame stream last started (segment start, or the end of a
    /// gap): frame `f` since then starts `f * hop` model samples after it.
    origin: u64,
    /// Frames since `origin`.
    frames_since_origin: u64,
    /// The latest frames, for provisional results.
    window: FrameWindow,
    /// Frames between provisional results; 0: none.
    provisional_every: u64,
    /// `frames_since_origin` at the last result, committed or provisional.
    last_result: u64,
}

impl Lane {
    fn new(
        model: Model,
        input_rate: u32,
        origin: u64,
        provisional_every_s: Option<f32>,
    ) -> Result<Self, StreamError> {
        let config = model.description().frontend.clone();
        let provisional_every = frames_every(&config, provisional_every_s);
        Ok(Self {
            frames: FrameStream::new(input_rate, config.clone())?,
            follows: None,
            fed: false,
            state: LaneState {
                assembler: ChunkAssembler::for_config(&config),
                window: FrameWindow::new(config.n_mels, config.chunk_frames),
                runner: model.runner(),
                origin,
                frames_since_origin: 0,
                provisional_every,
                last_result: 0,
            },
        })
    }

    /// Starts the frame stream over at input sample `origin`, keeping or clearing the model state.
    fn restart_frames(&mut self, origin: u64, keep_state: bool) {
        self.frames.reset();
        self.fed = false;
        let state = &mut self.state;
        state.assembler.reset();
        if !keep_state {
            state.runner.reset();
        }
        state.origin = origin;
        state.frames_since_origin = 0;
        state.last_result = 0;
    }
}

impl LaneState {
    /// Where this lane's frames go (numbered `lane` in `segment`).
    fn sink<'a, F>(
        &'a mut self,
        lane: usize,
        segment: u64,
        input_rate: u32,
        on_event: &'a mut F,
    ) -> ChunkSink<'a, F> {
        ChunkSink {
            lane,
            segment,
            input_rate,
            assembler: &mut self.assembler,
            runner: &mut self.runner,
            origin: self.origin,
            frames_since_origin: &mut self.frames_since_origin,
            window: &mut self.window,
            provisional_every: self.provisional_every,
            last_result: &mut self.last_result,
            on_event,
        }
    }
}

/// Hands one frame of lane `leader` to it and to every lane of `later` (the lanes after it) that
/// follows it, in lane order.
#[allow(clippy::too_many_arguments)]
fn dispatch_frame<F: FnMut(StreamEvent<'_>)>(
    leader: usize,
    state: &mut LaneState,
    later: &mut [Option<Lane>],
    segment: u64,
    input_rate: u32,
    frame: &[f32],
    timing: &FrameTiming,
    on_event: &mut F,
) {
    state
        .sink(leader, segment, input_rate, on_event)
        .frame(frame, timing);
    for (offset, lane) in later.iter_mut().enumerate() {
        if let Some(lane) = lane
            && lane.follows == Some(leader)
        {
            lane.state
                .sink(leader + 1 + offset, segment, input_rate, on_event)
                .frame(frame, timing);
        }
    }
}

/// The analysis pipeline for one input: cleaning and the silence gate once, then one lane per
/// model. See the module documentation.
pub struct Stream {
    config: StreamConfig,
    lanes: Vec<Option<Lane>>,
    clean: Vec<f32>,
    /// Input samples since the start, analysed, silent or skipped alike: the stream's clock.
    position: u64,
    /// Resets since the start.
    segment: u64,
    /// Consecutive silent input samples up to `position`.
    silent_run: u64,
    /// True while a long silence holds the analysis off.
    gated: bool,
    invalid: u64,
}

impl Stream {
    /// A stream with one lane per entry of `models` (`None`: an empty lane, e.g. a plugin slot
    /// that is off). Allocates; build it off the audio thread.
    pub fn new(
        config: StreamConfig,
        models: impl IntoIterator<Item = Option<Model>>,
    ) -> Result<Self, StreamError> {
        let lanes = models
            .into_iter()
            .map(|m| {
                m.map(|m| Lane::new(m, config.input_rate, 0, config.provisional_every_s))
                    .transpose()
            })
            .collect::<Result<_, _>>()?;
        let mut stream = Self {
            lanes,
            ..Self::with_empty_lanes(config, 0)
        };
        stream.share_fresh_frames();
        Ok(stream)
    }

    /// A stream of `lanes` empty lanes, filled later with [`Stream::set_model`]. Cannot fail.
    pub fn with_empty_lanes(config: StreamConfig, lanes: usize) -> Self {
        Self {
            config,
            lanes: (0..lanes).map(|_| None).collect(),
            clean: vec![0.0; CLEAN_BLOCK],
            position: 0,
            segment: 0,
            silent_run: 0,
            gated: false,
            invalid: 0,
        }
    }

    pub fn config(&self) -> &StreamConfig {
        &self.config
    }

    /// Changes the silence threshold (the plugin's parameter); takes effect from the next sample.
    pub fn set_silence_reset(&mut self, seconds: Option<f32>) {
        self.config.silence_reset_s = seconds;
    }

    /// Turns provisional results on (every `seconds` of audio) or off, from the next frame on.
    pub fn set_provisional(&mut self, seconds: Option<f32>) {
        self.config.provisional_every_s = seconds;
        for lane in self.lanes.iter_mut().flatten() {
            lane.state.provisional_every = frames_every(lane.frames.config(), seconds);
        }
    }

    /// Puts `model` into `lane` (or empties it) with fresh state, starting at the current
    /// position. Allocates; call off the audio thread.
    pub fn set_model(&mut self, lane: usize, model: Option<Model>) -> Result<(), StreamError> {
        let lanes = self.lanes.len();
        if lane >= lanes {
            return Err(StreamError::NoSuchLane { lane, lanes });
        }
        let new = model
            .map(|m| {
                Lane::new(
                    m,
                    self.config.input_rate,
                    self.position,
                    self.config.provisional_every_s,
                )
            })
            .transpose()?;
        self.hand_over_frames(lane);
        self.lanes[lane] = new;
        self.share_fresh_frames();
        Ok(())
    }

    /// Before `lane` is replaced: if other lanes follow it, the first of them takes its frame
    /// stream (mid-stream, the only one in step) and leads the rest.
    fn hand_over_frames(&mut self, lane: usize) {
        let (head, tail) = self.lanes.split_at_mut(lane + 1);
        let Some(old) = head[lane].as_mut() else {
            return;
        };
        let mut heir = None;
        for (offset, next) in tail.iter_mut().enumerate() {
            let Some(next) = next else { continue };
            if next.follows != Some(lane) {
                continue;
            }
            match heir {
                None => {
                    std::mem::swap(&mut old.frames, &mut next.frames);
                    next.follows = None;
                    heir = Some(lane + 1 + offset);
                }
                Some(_) => next.follows = heir,
            }
        }
    }

    /// Lets every lane whose frames are fresh (nothing fed since they started) follow the first
    /// earlier fresh lane with the same frontend configuration that started at the same input
    /// sample: from here on both get the same frames, so they are computed once. Lanes already
    /// fed keep their grouping. Never allocates.
    fn share_fresh_frames(&mut self) {
        for index in 0..self.lanes.len() {
            let (head, tail) = self.lanes.split_at_mut(index);
            let Some(lane) = tail[0].as_mut() else {
                continue;
            };
            if lane.fed {
                continue;
            }
            lane.follows = head.iter().enumerate().find_map(|(leader, other)| {
                let other = other.as_ref()?;
                (other.follows.is_none()
                    && !other.fed
                    && other.state.origin == lane.state.origin
                    && other.frames.config() == lane.frames.config())
                .then_some(leader)
            });
        }
    }

    /// How many lanes compute their own frames (the rest share them); for tests and benchmarks.
    pub fn frame_streams(&self) -> usize {
        self.lanes
            .iter()
            .flatten()
            .filter(|l| l.follows.is_none())
            .count()
    }

    /// The model running in `lane`, if any.
    pub fn model(&self, lane: usize) -> Option<&Model> {
        self.lanes
            .get(lane)?
            .as_ref()
            .map(|l| l.state.runner.model())
    }

    pub fn lanes(&self) -> usize {
        self.lanes.len()
    }

    /// Input samples since the start (the stream's clock).
    pub fn position(&self) -> u64 {
        self.position
    }

    /// Seconds of input since the start.
    pub fn position_s(&self) -> f64 {
        self.position as f64 / f64::from(self.config.input_rate)
    }

    /// Resets so far.
    pub fn segment(&self) -> u64 {
        self.segment
    }

    /// True while a silence longer than the threshold holds the analysis off.
    pub fn in_silence(&self) -> bool {
        self.gated
    }

    /// NaN or infinite samples replaced by zero since the start.
    pub fn invalid_samples(&self) -> u64 {
        self.invalid
    }

    /// Chunks `lane` has completed in the current segment.
    pub fn chunks_in_segment(&self, lane: usize) -> u64 {
        self.lane(lane).map_or(0, |l| l.state.runner.chunks())
    }

    /// Fraction of `lane`'s current chunk already collected, 0..1.
    pub fn progress(&self, lane: usize) -> f32 {
        self.lane(lane).map_or(0.0, |l| {
            l.state.assembler.filled() as f32 / l.state.assembler.chunk_frames() as f32
        })
    }

    fn lane(&self, lane: usize) -> Option<&Lane> {
        self.lanes.get(lane)?.as_ref()
    }

    /// Starts a new segment at the current position: every lane forgets its state.
    pub fn reset(&mut self, on_event: &mut impl FnMut(StreamEvent<'_>)) {
        self.reset_lanes(ResetReason::Requested, on_event);
        self.silent_run = 0;
        self.gated = false;
    }

    fn reset_lanes(&mut self, reason: ResetReason, on_event: &mut impl FnMut(StreamEvent<'_>)) {
        let at = self.position;
        for lane in self.lanes.iter_mut().flatten() {
            lane.restart_frames(at, false);
        }
        self.share_fresh_frames();
        self.segment += 1;
        on_event(StreamEvent::Reset {
            reason,
            at_s: self.position_s(),
        });
    }

    /// Back to the state of a new stream with the same lanes: position and segment 0, every
    /// lane's frames, partial chunk and model state cleared, the counters at zero. Keeps every
    /// buffer, resampler filter and FFT plan, so a run over many files builds them once
    /// ([`Analyzer`]). Emits no event: nothing before it belongs to what comes after.
    pub fn rewind(&mut self) {
        for lane in self.lanes.iter_mut().flatten() {
            lane.restart_frames(0, false);
        }
        self.share_fresh_frames();
        self.position = 0;
        self.segment = 0;
        self.silent_run = 0;
        self.gated = false;
        self.invalid = 0;
    }

    /// `samples` input samples are missing here (the plugin's ring overflowed): the clock moves
    /// on, and each lane discards its partial chunk, which would straddle the gap, but keeps its
    /// model state (the memory of the complete chunks before it).
    pub fn skip(&mut self, samples: u64) {
        if samples == 0 {
            return;
        }
        self.position += samples;
        let at = self.position;
        for lane in self.lanes.iter_mut().flatten() {
            lane.restart_frames(at, true);
        }
        self.share_fresh_frames();
    }

    /// Analyses input samples. `on_event` hears each completed chunk, failed step and reset, in
    /// order. See the module documentation for the stages.
    pub fn push(&mut self, samples: &[f32], mut on_event: impl FnMut(StreamEvent<'_>)) {
        for block in samples.chunks(CLEAN_BLOCK) {
            let mut clean = std::mem::take(&mut self.clean);
            let clean_block = &mut clean[..block.len()];
            self.invalid += clean_into(block, clean_block);
            self.gate_and_feed(clean_block, &mut on_event);
            self.clean = clean;
        }
    }

    /// Ends the input (the end of a file): each lane's resampler tail goes through, which may
    /// complete a last chunk. The stream keeps its clock and segment.
    pub fn finish(&mut self, mut on_event: impl FnMut(StreamEvent<'_>)) {
        self.through_leaders(&mut on_event, |frames, sink| frames.finish(sink));
    }

    /// Runs `run` (a push or the finish) on each leading lane's frame stream, handing every frame
    /// it makes to that lane and to the lanes that follow it.
    fn through_leaders(
        &mut self,
        on_event: &mut impl FnMut(StreamEvent<'_>),
        mut run: impl FnMut(&mut FrameStream, &mut dyn FnMut(&[f32])),
    ) {
        let (segment, input_rate) = (self.segment, self.config.input_rate);
        for index in 0..self.lanes.len() {
            let (head, later) = self.lanes.split_at_mut(index + 1);
            // A lane that follows another gets its frames from it.
            let Some(Lane {
                frames,
                follows: None,
                state,
                ..
            }) = head[index].as_mut()
            else {
                continue;
            };
            let timing = FrameTiming::of(frames.config());
            run(frames, &mut |frame| {
                dispatch_frame(
                    index, state, later, segment, input_rate, frame, &timing, on_event,
                );
            });
        }
    }

    /// Splits a clean block at the silence gate's decisions and feeds the analysed runs.
    ///
    /// The gate counts quiet samples (below the silence level) since the last loud one; when the
    /// count passes the threshold, the track ends at that sample, and the silence is skipped
    /// until a loud sample starts a new segment. The block is searched rather than walked: after
    /// a loud sample at `p`, the earliest end is at `p + t + 1`, so only the window up to there
    /// is searched (from its end) for a later loud sample. On music that finds one at once, so a
    /// block costs a few probes, not a branch per sample.
    fn gate_and_feed(&mut self, block: &[f32], on_event: &mut impl FnMut(StreamEvent<'_>)) {
        let level = self.config.silence_level;
        let loud = |x: &f32| x.abs() >= level;
        let threshold = self.config.threshold_samples();
        let n = block.len();
        let mut run_start = 0;
        let mut i = 0;
        while i < n {
            if self.gated {
                let Some(f) = block[i..].iter().position(loud) else {
                    self.silent_run += (n - i) as u64;
                    break;
                };
                // The sound is back: the skipped silence ends and a new segment starts at this
                // sample.
                let j = i + f;
                self.position += (j - run_start) as u64;
                run_start = j;
                self.gated = false;
                self.silent_run = 0;
                let at = self.position;
                for lane in self.lanes.iter_mut().flatten() {
                    lane.state.origin = at;
                }
                i = j + 1;
                continue;
            }
            // Ungated: the last loud sample is `silent_run` samples before `i` (it may lie in an
            // earlier block: a virtual index below `i`).
            let mut last_loud = i as i64 - 1 - self.silent_run as i64;
            let ends_at = match threshold {
                Some(t) => loop {
                    // The sample where the quiet run would pass the threshold (at once, if a
                    // shorter threshold was just set).
                    let k = (last_loud + 1 + t as i64).max(i as i64);
                    let from = (last_loud + 1).max(i as i64) as usize;
                    if k >= n as i64 {
                        if let Some(r) = block[from..].iter().rposition(loud) {
                            last_loud = (from + r) as i64;
                        }
                        break None;
                    }
                    let k = k as usize;
                    match block[from..=k].iter().rposition(loud) {
                        Some(r) => last_loud = (from + r) as i64,
                        None => break Some(k),
                    }
                },
                None => {
                    if let Some(r) = block[i..].iter().rposition(loud) {
                        last_loud = (i + r) as i64;
                    }
                    None
                }
            };
            match ends_at {
                Some(k) => {
                    // A silence longer than the threshold ends the track: what came before this
                    // sample is analysed, then every lane resets and the silence is skipped.
                    self.feed(&block[run_start..k], on_event);
                    self.position += (k - run_start) as u64;
                    self.reset_lanes(ResetReason::Silence, on_event);
                    self.gated = true;
                    self.silent_run = (k as i64 - last_loud) as u64;
                    run_start = k;
                    i = k + 1;
                }
                None => {
                    self.silent_run = (n as i64 - 1 - last_loud) as u64;
                    break;
                }
            }
        }
        if !self.gated {
            self.feed(&block[run_start..], on_event);
        }
        self.position += (n - run_start) as u64;
    }

    /// Runs clean, ungated samples through every lane.
    fn feed(&mut self, samples: &[f32], on_event: &mut impl FnMut(StreamEvent<'_>)) {
        if samples.is_empty() {
            return;
        }
        for lane in self.lanes.iter_mut().flatten() {
            lane.fed = true;
        }
        self.through_leaders(on_event, |frames, sink| frames.push(samples, sink));
    }
}

/// Where a lane's frames go: chunk assembly, the model step, the event.
struct ChunkSink<'a, F> {
    lane: usize,
    segment: u64,
    input_rate: u32,
    assembler: &'a mut ChunkAssembler,
    runner: &'a mut StreamingRunner,
    origin: u64,
    frames_since_origin: &'a mut u64,
    window: &'a mut FrameWindow,
    provisional_every: u64,
    last_result: &'a mut u64,
    on_event: &'a mut F,
}

impl<F: FnMut(StreamEvent<'_>)> ChunkSink<'_, F> {
    fn frame(&mut self, frame: &[f32], config: &FrameTiming) {
        *self.frames_since_origin += 1;
        // Always kept (40 values a frame), so provisional results can be turned on at any time.
        self.window.push(frame);
        let (first, last) = self.span(config);
        let Some(chunk) = self.assembler.push_frame(frame) else {
            self.provisional(config, first, last);
            return;
        };
        *self.last_result = *self.frames_since_origin;
        let started = Instant::now();
        match self.runner.step(chunk) {
            Ok(out) => {
                (self.on_event)(StreamEvent::Chunk(ChunkEvent {
                    lane: self.lane,
                    segment: self.segment,
                    index: out.chunk_index,
                    start_s: first,
                    end_s: last,
                    chunk: out.chunk,
                    track: out.track,
                    step: started.elapsed(),
                }));
            }
            Err(error) => (self.on_event)(StreamEvent::StepFailed {
                lane: self.lane,
                error: &error,
            }),
        }
    }

    /// The span in seconds of the last `chunk_frames` frames (see the module docs).
    fn span(&self, config: &FrameTiming) -> (f64, f64) {
        let last = *self.frames_since_origin - 1;
        let first = (last + 1).saturating_sub(config.chunk_frames as u64);
        let origin_s = self.origin as f64 / f64::from(self.input_rate);
        let hop_s = config.hop as f64 / f64::from(config.sample_rate);
        (
            origin_s + first as f64 * hop_s,
            origin_s + last as f64 * hop_s + config.n_fft as f64 / f64::from(config.sample_rate),
        )
    }

    /// A provisional result when one is due: a full window exists and `provisional_every` frames
    /// passed since the last result. A failed step is reported like a chunk's, and commits
    /// nothing either way.
    fn provisional(&mut self, config: &FrameTiming, start_s: f64, end_s: f64) {
        let now = *self.frames_since_origin;
        if self.provisional_every == 0
            || now < config.chunk_frames as u64
            || now - *self.last_result < self.provisional_every
        {
            return;
        }
        *self.last_result = now;
        let started = Instant::now();
        let committed = self.runner.chunks();
        match self.runner.peek(self.window.chunk()) {
            Ok(track) => (self.on_event)(StreamEvent::Provisional(ProvisionalEvent {
                lane: self.lane,
                segment: self.segment,
                committed,
                start_s,
                end_s,
                track,
                step: started.elapsed(),
            })),
            Err(error) => (self.on_event)(StreamEvent::StepFailed {
                lane: self.lane,
                error: &error,
            }),
        }
    }
}

/// Whole frames of `config` in `seconds` (at least one), or 0 for `None`.
fn frames_every(config: &FrontendConfig, seconds: Option<f32>) -> u64 {
    let frame_s = config.hop as f64 / f64::from(config.sample_rate);
    seconds
        .filter(|s| s.is_finite() && *s > 0.0)
        .map_or(0, |s| ((f64::from(s) / frame_s).floor() as u64).max(1))
}

/// The latest `chunk_frames` frames, laid out as a chunk (`[n_mels, chunk_frames]`, oldest frame
/// first) on demand. Sized once; never allocates after.
struct FrameWindow {
    n_mels: usize,
    chunk_frames: usize,
    /// Frame-major ring.
    ring: Vec<f32>,
    /// Where the next frame goes.
    next: usize,
    chunk: Vec<f32>,
}

impl FrameWindow {
    fn new(n_mels: usize, chunk_frames: usize) -> Self {
        Self {
            n_mels,
            chunk_frames,
            ring: vec![0.0; n_mels * chunk_frames],
            next: 0,
            chunk: vec![0.0; n_mels * chunk_frames],
        }
    }

    fn push(&mut self, frame: &[f32]) {
        let at = self.next * self.n_mels;
        for (slot, &v) in self.ring[at..at + self.n_mels].iter_mut().zip(frame) {
            *slot = v;
        }
        self.next = (self.next + 1) % self.chunk_frames;
    }

    /// The window as a chunk. Only meaningful once `chunk_frames` frames were pushed since the
    /// lane's frames last started (the caller counts).
    fn chunk(&mut self) -> &[f32] {
        for t in 0..self.chunk_frames {
            let frame = (self.next + t) % self.chunk_frames;
            let frame = &self.ring[frame * self.n_mels..(frame + 1) * self.n_mels];
            for (m, &v) in frame.iter().enumerate() {
                self.chunk[m * self.chunk_frames + t] = v;
            }
        }
        &self.chunk
    }
}

/// The frontend numbers a chunk's times need, copied so timing never borrows the frontend.
#[derive(Clone, Copy, Debug)]
struct FrameTiming {
    sample_rate: u32,
    hop: usize,
    n_fft: usize,
    chunk_frames: usize,
}

impl FrameTiming {
    fn of(config: &FrontendConfig) -> Self {
        Self {
            sample_rate: config.sample_rate,
            hop: config.hop,
            n_fft: config.n_fft,
            chunk_frames: config.chunk_frames,
        }
    }
}

/// One chunk of a track's timeline.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ChunkResult {
    /// Segment of the stream (resets before this chunk: long silences).
    #[serde(default)]
    pub segment: u64,
    /// Chunk index within the segment.
    pub index: u64,
    /// The chunk's span in seconds from the start of the input (see the module docs).
    pub start_s: f64,
    pub end_s: f64,
    /// The model's output for this chunk (see [`ChunkEvent::chunk`]).
    pub probs: Vec<f32>,
    /// The running estimate of the segment after this chunk.
    pub track: Vec<f32>,
}

/// A whole input through one model.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TrackAnalysis {
    pub chunks: Vec<ChunkResult>,
    /// The track's prediction by the model's rule ([`crate::Summary`], see [`summarise`]): by
    /// default the mean of every chunk's output over the whole input (every segment).
    pub summary: Vec<f32>,
}

/// The whole-track summary of `chunks` by `rule`. [`Summary::Mean`] is the mean of their
/// outputs ([`output_mean`]): for a stateful model each output is its running estimate after that
/// chunk, for a stateless one that chunk's alone. [`Summary::Last`] is the last chunk's running
/// estimate (of the last segment, after a silence reset). The mean is the default: a stateful
/// model's last output says most about the last seconds (it learned each chunk's own target), and
/// on the selection packages the mean agreed with the teacher's class of the whole track on 87 of
/// 103 tracks for mood where the last estimate did on 65 (`docs/DESIGN.md`, section 3).
pub fn summarise(chunks: &[ChunkResult], rule: Summary) -> Vec<f32> {
    match rule {
        Summary::Mean => output_mean(chunks.iter().map(|c| c.probs.as_slice())),
        Summary::Last => chunks.last().map(|c| c.track.clone()).unwrap_or_default(),
    }
}

/// The mean of `outputs`, element by element, summed in `f64`; as wide as the first (empty when
/// there is none).
pub fn output_mean<'a>(outputs: impl IntoIterator<Item = &'a [f32]>) -> Vec<f32> {
    let mut outputs = outputs.into_iter();
    let Some(first) = outputs.next() else {
        return Vec::new();
    };
    let mut sum: Vec<f64> = first.iter().map(|&p| f64::from(p)).collect();
    let mut n = 1.0f64;
    for output in outputs {
        for (s, p) in sum.iter_mut().zip(output) {
            *s += f64::from(*p);
        }
        n += 1.0;
    }
    sum.into_iter().map(|s| (s / n) as f32).collect()
}

impl TrackAnalysis {
    /// Index of the most probable class of the summary.
    pub fn top(&self) -> usize {
        argmax(&self.summary)
    }
}

/// Every model's view of one whole input.
#[derive(Clone, Debug)]
pub struct SignalAnalysis {
    /// One per model, in the order given.
    pub models: Vec<TrackAnalysis>,
    /// NaN or infinite samples analysed as zero.
    pub invalid_samples: u64,
    /// Resets by long silences.
    pub silence_resets: u64,
}

/// Why a whole-signal analysis produced nothing.
#[derive(Debug, thiserror::Error)]
pub enum AnalysisError {
    #[error("the audio is {seconds:.2} s long; one chunk needs {needed:.3} s")]
    TooShort { seconds: f64, needed: f64 },
    #[error("no chunk completed: the audio is silent except for runs shorter than one chunk")]
    Silent,
    #[error(transparent)]
    Stream(#[from] StreamError),
    #[error(transparent)]
    Run(#[from] RunError),
}

/// Runs a whole signal at `config.input_rate` through a [`Stream`] with every model, then
/// [`Stream::finish`]. A model step that fails fails the analysis.
pub fn analyze_stream(
    models: &[Model],
    samples: &[f32],
    config: StreamConfig,
) -> Result<SignalAnalysis, AnalysisError> {
    Analyzer::new(models.to_vec()).analyze(samples, config)
}

/// Analyses whole signals one after another with the same models, as [`analyze_stream`] does
/// each: one [`Stream`] is built for the first signal and [rewound](Stream::rewind) for the
/// next ones while their [`StreamConfig`] stays the same (resamplers, frontends and runners are
/// built once, not once per file). A signal can also come in blocks ([`Analyzer::start`]), so
/// a file is analysed as it is decoded, never held whole.
pub struct Analyzer {
    models: Vec<Model>,
    stream: Option<Stream>,
}

impl Analyzer {
    pub fn new(models: Vec<Model>) -> Self {
        Self {
            models,
            stream: None,
        }
    }

    pub fn models(&self) -> &[Model] {
        &self.models
    }

    /// [`analyze_stream`] of `samples` with this analyser's models.
    pub fn analyze(
        &mut self,
        samples: &[f32],
        config: StreamConfig,
    ) -> Result<SignalAnalysis, AnalysisError> {
        let mut signal = self.start(config)?;
        signal.push(samples);
        self.finish(signal)
    }

    /// Starts a signal that comes in blocks: [`Signal::push`] each, then [`Analyzer::finish`],
    /// which gives what [`Analyzer::analyze`] gives for all the blocks at once.
    pub fn start(&mut self, config: StreamConfig) -> Result<Signal, StreamError> {
        // Taken out while it runs and put back by `finish`: a signal dropped unfinished (a
        // decoding error, a panic that `analyze` catches per file) leaves nothing half-run to
        // be reused.
        let stream = match self.stream.take() {
            Some(mut stream) if *stream.config() == config => {
                stream.rewind();
                stream
            }
            _ => Stream::new(config, self.models.iter().cloned().map(Some))?,
        };
        Ok(Signal {
            models: self.models.clone(),
            stream,
            record: Recorder {
                tracks: vec![
                    TrackAnalysis {
                        chunks: Vec::new(),
                        summary: Vec::new(),
                    };
                    self.models.len()
                ],
                failure: None,
                silence_resets: 0,
            },
            samples: 0,
        })
    }
}

/// One signal of an [`Analyzer`], pushed in blocks.
pub struct Signal {
    /// The models it was started with (clones: shared weights).
    models: Vec<Model>,
    stream: Stream,
    record: Recorder,
    samples: u64,
}

impl Signal {
    /// The next samples of the signal, at its config's input rate.
    pub fn push(&mut self, samples: &[f32]) {
        self.samples += samples.len() as u64;
        let record = &mut self.record;
        self.stream.push(samples, |event| record.hear(event));
    }
}

impl Analyzer {
    /// Ends `signal`: the analysis of everything pushed. A model step that fails fails it. Its
    /// stream is kept for the next signal when this analyser started it (the same models).
    pub fn finish(&mut self, signal: Signal) -> Result<SignalAnalysis, AnalysisError> {
        let Signal {
            models,
            mut stream,
            mut record,
            samples,
        } = signal;
        stream.finish(|event| record.hear(event));
        let invalid_samples = stream.invalid_samples();
        let rate = stream.config().input_rate;
        let ours = models.len() == self.models.len()
            && models
                .iter()
                .zip(&self.models)
                .all(|(a, b)| a.is_same_loaded_model(b));
        if ours {
            self.stream = Some(stream);
        }
        let Recorder {
            mut tracks,
            failure,
            silence_resets,
        } = record;
        if let Some(error) = failure {
            return Err(AnalysisError::Run(error));
        }
        for (track, model) in tracks.iter_mut().zip(&models) {
            if track.chunks.is_empty() {
                let fe = &model.description().frontend;
                let seconds = samples as f64 / f64::from(rate);
                let needed = needed_seconds(fe);
                return Err(if seconds < needed {
                    AnalysisError::TooShort { seconds, needed }
                } else {
                    AnalysisError::Silent
                });
            }
            track.summary = summarise(&track.chunks, model.description().track_summary);
        }
        Ok(SignalAnalysis {
            models: tracks,
            invalid_samples,
            silence_resets,
        })
    }
}

/// What [`Analyzer::analyze_file`] read and heard: the file's rate, largest channel count and
/// length in mono samples, known once it decoded, and the analysis, which can still fail.
#[derive(Debug)]
pub struct FileAnalysis {
    pub sample_rate: u32,
    pub channels: usize,
    pub samples: u64,
    pub analysis: Result<SignalAnalysis, AnalysisError>,
}

impl Analyzer {
    /// Analyses the audio file at `path` as it is decoded, a packet at a time (an hour-long file
    /// never sits in memory whole), with the stream configuration `config` gives for the file's
    /// rate. The same as [`Analyzer::analyze`] of [`crate::audio::decode_file`]'s samples. Fails
    /// when the file cannot be decoded; an analysis that fails is in [`FileAnalysis::analysis`].
    pub fn analyze_file(
        &mut self,
        path: &std::path::Path,
        config: impl Fn(u32) -> StreamConfig,
    ) -> Result<FileAnalysis, AudioError> {
        let mut signal = None;
        let mut refused = None;
        let (sample_rate, channels, samples) =
            crate::audio::decode_mono_blocks(path, |rate, block| {
                // The first packet settles the rate, and with it the stream.
                if signal.is_none() && refused.is_none() {
                    match self.start(config(rate)) {
                        Ok(started) => signal = Some(started),
                        Err(e) => refused = Some(e),
                    }
                }
                if let Some(signal) = signal.as_mut() {
                    signal.push(block);
                }
            })?;
        let analysis = match (signal, refused) {
            (Some(signal), _) => self.finish(signal),
            (None, Some(refused)) => Err(refused.into()),
            // The decoder reports a file without samples as empty, so a packet always came.
            (None, None) => Err(AnalysisError::Silent),
        };
        Ok(FileAnalysis {
            sample_rate,
            channels,
            samples,
            analysis,
        })
    }
}

/// What a whole-signal analysis keeps of a stream's events: committed chunks per lane, the first
/// failed step, silence resets.
struct Recorder {
    tracks: Vec<TrackAnalysis>,
    failure: Option<RunError>,
    silence_resets: u64,
}

impl Recorder {
    fn hear(&mut self, event: StreamEvent<'_>) {
        match event {
            StreamEvent::Chunk(c) => self.tracks[c.lane].chunks.push(ChunkResult {
                segment: c.segment,
                index: c.index,
                start_s: c.start_s,
                end_s: c.end_s,
                probs: c.chunk.to_vec(),
                track: c.track.to_vec(),
            }),
            StreamEvent::StepFailed { error, .. } => {
                if self.failure.is_none() {
                    self.failure = Some(RunError::Inference(error.to_string()));
                }
            }
            StreamEvent::Reset { reason, .. } => {
                if reason == ResetReason::Silence {
                    self.silence_resets += 1;
                }
            }
            // A whole-signal analysis reports committed chunks only.
            StreamEvent::Provisional(_) => {}
        }
    }
}

/// Analyses a whole signal already at the model's rate as one track (no silence gate): the
/// stream with one lane. What the plugin computes over the same samples when no silence reset
/// intervenes.
pub fn analyze_signal(model: &Model, samples: &[f32]) -> Result<TrackAnalysis, AnalysisError> {
    let rate = model.description().frontend.sample_rate;
    let mut analysis = analyze_stream(
        std::slice::from_ref(model),
        samples,
        StreamConfig::whole(rate),
    )?;
    Ok(analysis.models.swap_remove(0))
}

/// The silence gate's definition, one sample at a time: where a track ends (the sample index
/// at which the count of quiet samples since the last loud one passes `threshold(index)`), and
/// whether the end of `samples` is inside a skipped silence. Samples the stream cleans (NaN,
/// infinities, out of range) count as zero. [`Stream`] searches its blocks instead; this is
/// what the tests and the fuzzer check it against.
pub fn silence_resets_by_definition(
    samples: &[f32],
    level: f32,
    threshold: impl Fn(usize) -> u64,
) -> (Vec<u64>, bool) {
    let mut resets = Vec::new();
    let (mut run, mut gated) = (0u64, false);
    for (i, &x) in samples.iter().enumerate() {
        let x = if crate::frontend::is_valid_sample(x) {
            x
        } else {
            0.0
        };
        if x.abs() >= level {
            run = 0;
            gated = false;
            continue;
        }
        run += 1;
        if !gated && run > threshold(i) {
            resets.push(i as u64);
            gated = true;
        }
    }
    (resets, gated)
}

/// Shortest signal that yields one chunk: `(N - 1) * hop + n_fft` samples.
pub fn needed_seconds(config: &FrontendConfig) -> f64 {
    ((config.chunk_frames - 1) * config.hop + config.n_fft) as f64 / f64::from(config.sample_rate)
}
