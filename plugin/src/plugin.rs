//! The plugin itself and its audio-thread side: activation builds everything (the analyzer, the
//! ring, the analysis thread), and `process()` only passes audio through, downmixes it and hands
//! it on, through the ring in real-time mode or to the inline analyzer when a CLAP host renders
//! offline. See the crate documentation for the live path.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use crossbeam_channel::{Receiver, Sender};
use mcclstm_engine::Model;
use nice_plug::prelude::*;
use nice_plug_egui::RepaintNotifier;

use crate::analyzer::{
    ANCHORS, Analyzer, Command, GAP_MARK, GAP_MAX, LiveEstimates, RESET_MARK, TransportAnchor,
    is_mark,
};
use crate::params::McclstmParams;
use crate::published::{MAX_SLOTS, Published};
use crate::thread::AnalysisThread;
use crate::{editor, models};

/// Seconds of host audio the ring holds in real-time mode: the analysis thread can stall this
/// long before samples are dropped (and counted). 750 kB at 48 kHz.
const RING_SECONDS: f32 = 4.0;

/// Seconds of host audio the ring holds when a VST3 host says it renders offline (a bounce,
/// whose analysis runs on its thread, see `activate()`): a bounce at `speed` times real time
/// leaves the analysis `BOUNCE_RING_SECONDS / speed` of wall time to catch up after a stall
/// (1.5 s at 20x, 300 ms at 100x) before anything drops. 5.5 MB at 48 kHz, held while that
/// activation lasts.
const BOUNCE_RING_SECONDS: f32 = 30.0;

pub struct Mcclstm {
    params: Arc<McclstmParams>,
    /// Results for the editor; the audio thread only bumps its counters.
    published: Arc<Published>,
    /// Editor requests (model loads) to the analysis; bounded so a stuck analysis cannot grow it.
    commands: (Sender<Command>, Receiver<Command>),
    repaint: RepaintNotifier,
    /// Audio thread's end of the ring; `None` while inactive or rendering offline.
    producer: Option<rtrb::Producer<f32>>,
    thread: Option<AnalysisThread>,
    /// The analysis itself while rendering offline.
    inline: Option<Box<Analyzer>>,
    /// Mono downmix of the current block for the inline analysis; sized in `activate()`.
    mono: Vec<f32>,
    /// Where the transport should be at the next block while playing, to notice a restart.
    expected_pos: Option<i64>,
    /// A reset to mark in the ring before the next samples (real-time mode); set by `reset()`
    /// and transport jumps, kept while the ring is full.
    reset_pending: bool,
    /// Samples dropped (the ring was full) whose [`GAP_MARK`] is not in the ring yet: it goes in
    /// before the next samples that fit, so the analysis skips at the right place.
    gap_pending: u64,
    /// Where the audio thread tells the analysis the host's song position (see
    /// [`TransportAnchor`]); sized in `activate()`.
    anchors: Option<rtrb::Producer<TransportAnchor>>,
    /// Host samples handed to the analysis (analysed or dropped) since activation: the stream's
    /// clock on the audio thread's side.
    handed: u64,
    /// The song position expected at the next block if it follows the audio (`None`: stopped).
    anchor_expected: Option<i64>,
    /// Whether the analysis has an anchor for the current run of the transport.
    anchored: bool,
}

impl Default for Mcclstm {
    fn default() -> Self {
        // Before any host thread runs our code (see `pin`).
        crate::pin::pin_library();
        Self {
            params: Arc::new(McclstmParams::default()),
            published: Arc::new(Published::default()),
            commands: crossbeam_channel::bounded(16),
            repaint: RepaintNotifier::new(),
            producer: None,
            thread: None,
            inline: None,
            mono: Vec::new(),
            expected_pos: None,
            reset_pending: false,
            gap_pending: 0,
            anchors: None,
            handed: 0,
            anchor_expected: None,
            anchored: false,
        }
    }
}

impl Mcclstm {
    /// The models to start with: the user's file where one is saved and loads, else the embedded
    /// model. A user file that fails keeps the embedded model running and shows the error.
    fn initial_models(&self) -> [Option<Model>; MAX_SLOTS] {
        let paths = self
            .params
            .model_paths
            .lock()
            .map(|p| p.clone())
            .unwrap_or_default();
        std::array::from_fn(|slot| {
            if let Some(Some(path)) = paths.get(slot) {
                if path == models::EMBEDDED_PATH {
                    return models::embedded(slot).and_then(Result::ok);
                }
                match Model::from_file(std::path::Path::new(path)) {
                    Ok(model) => return Some(model),
                    Err(e) => self.published.set_error(slot, e.to_string()),
                }
            }
            models::default_model(slot).and_then(Result::ok)
        })
    }

    /// Mono downmix of sample `i` (mean of the channels). A NaN that happens to have the bits of
    /// a ring mark ([`RESET_MARK`], [`GAP_MARK`]) becomes the plain NaN, so a host sample is
    /// never read as a mark.
    #[inline]
    fn downmix(channels: &[&mut [f32]], i: usize, scale: f32) -> f32 {
        let x = channels.iter().map(|c| c[i]).sum::<f32>() * scale;
        if is_mark(x) { f32::NAN } else { x }
    }

    /// Tells the analysis where the song position is when it stops following the audio (playback
    /// starts, stops or jumps), then counts the block. Audio thread: one lock-free push at most;
    /// a full anchor ring is retried at the next block.
    fn anchor_transport(&mut self, position: Option<i64>, samples: usize) {
        let follows = match (position, self.anchor_expected) {
            (Some(p), Some(e)) => p == e,
            (None, None) => true,
            _ => false,
        };
        if (!follows || !self.anchored)
            && let Some(anchors) = self.anchors.as_mut()
        {
            self.anchored = anchors
                .push(TransportAnchor {
                    sample: self.handed,
                    transport: position,
                })
                .is_ok();
        }
        self.anchor_expected = position.map(|p| p + samples as i64);
        self.handed += samples as u64;
    }

    /// Starts a new track in the analysis: inline, through the request counter the analysis
    /// reads before its next block; in real-time mode, as a [`RESET_MARK`] in the ring before
    /// the next samples, so the reset lands on the exact sample whatever the analysis thread's
    /// batches. Audio thread; no allocation.
    fn request_reset(&mut self) {
        if self.inline.is_some() {
            self.published.reset_requests.fetch_add(1, Ordering::AcqRel);
        } else {
            self.reset_pending = true;
        }
    }
}

impl Plugin for Mcclstm {
    const NAME: &'static str = "MCCLSTM";
    const VENDOR: &'static str = "mcclstm";
    const URL: &'static str = "https://example.invalid/mcclstm";
    const EMAIL: &'static str = "mcclstm@example.invalid";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    const AUDIO_IO_LAYOUTS: &'static [AudioIOLayout] = &[
        AudioIOLayout {
            main_input_channels: NonZeroU32::new(2),
            main_output_channels: NonZeroU32::new(2),
            ..AudioIOLayout::const_default()
        },
        AudioIOLayout {
            main_input_channels: NonZeroU32::new(1),
            main_output_channels: NonZeroU32::new(1),
            ..AudioIOLayout::const_default()
        },
    ];

    type Editor = nice_plug_egui::EguiEditor<editor::McclstmEditor>;
    type SysExMessage = ();
    type BackgroundTask = ();

    fn params(&self) -> Arc<dyn Params> {
        self.params.clone()
    }

    fn editor(&mut self, _async_executor: AsyncExecutor<Self>) -> Option<Self::Editor> {
        editor::create(
            self.params.clone(),
            self.published.clone(),
            self.commands.0.clone(),
            self.repaint.clone(),
        )
    }

    /// Builds the analysis for this rate: everything that allocates happens here, so `process()`
    /// only uses what is there.
    fn activate(
        &mut self,
        _layout: &AudioIOLayout,
        buffer_config: &BufferConfig,
        context: &mut impl ActivateContext<Self>,
    ) -> bool {
        self.deactivate();
        let host_rate = buffer_config.sample_rate.round().max(1.0) as u32;
        let max_block = buffer_config.max_buffer_size.max(1) as usize;
        let mut analyzer = Analyzer::new(
            host_rate,
            self.initial_models(),
            self.published.clone(),
            self.params.clone(),
            self.repaint.clone(),
        );
        let offline = buffer_config.process_mode == ProcessMode::Offline;
        // Live estimates are for a person watching in real time; a render only pays for them.
        analyzer.set_live_estimates(if offline {
            LiveEstimates::Off
        } else {
            LiveEstimates::from_env()
        });
        let (anchor_tx, anchor_rx) = rtrb::RingBuffer::new(ANCHORS);
        analyzer.set_transport_anchors(anchor_rx);
        self.anchors = Some(anchor_tx);
        self.handed = 0;
        self.anchor_expected = None;
        self.anchored = false;
        self.published.offline.store(offline, Ordering::Relaxed);
        self.expected_pos = None;
        // A new analysis starts fresh: a reset asked of the old one needs no mark, nor a gap the
        // old one never saw (it is in the saved account).
        self.reset_pending = false;
        self.gap_pending = 0;
        // nice-plug 0.4.2's VST3 wrapper reports the mode of the *previous* `setupProcessing`
        // (docs/upstream.md), so under VST3 "offline" may be real-time playback after a bounce,
        // and a bounce may look like playback. So under VST3 the analysis always runs on its
        // thread and `process()` never waits for it: a bounce keeps pace through the ring (the
        // analysis runs hundreds of times faster than real time), and what a bounce faster than
        // the analysis cannot fit is dropped and counted, as in playback. CLAP's mode is reliable:
        // offline there, the analysis runs inline and sees every sample at any speed.
        let vst3 = context.plugin_api() == PluginApi::Vst3;
        if offline && !vst3 {
            self.mono = vec![0.0; max_block];
            self.inline = Some(Box::new(analyzer));
            return true;
        }
        #[cfg(feature = "standalone")]
        if let Some(samples) = demo_input(host_rate) {
            // `MCCLSTM_DEMO_SPEED` (default 4): how much faster than real time the file plays.
            let speed = std::env::var("MCCLSTM_DEMO_SPEED")
                .ok()
                .and_then(|s| s.parse::<f32>().ok())
                .filter(|s| s.is_finite() && *s > 0.0)
                .unwrap_or(4.0);
            return match AnalysisThread::spawn_demo(
                analyzer,
                samples,
                host_rate,
                speed,
                self.commands.1.clone(),
            ) {
                Ok(thread) => {
                    self.thread = Some(thread);
                    true
                }
                Err(_) => false,
            };
        }
        // Only a VST3 activation reaches this point saying offline (see above).
        let seconds = if offline {
            BOUNCE_RING_SECONDS
        } else {
            RING_SECONDS
        };
        let capacity = ((host_rate as f32 * seconds) as usize).max(max_block * 4);
        let (producer, consumer) = rtrb::RingBuffer::new(capacity);
        match AnalysisThread::spawn(analyzer, consumer, self.commands.1.clone()) {
            Ok(thread) => {
                self.producer = Some(producer);
                self.thread = Some(thread);
                true
            }
            Err(_) => false,
        }
    }

    fn deactivate(&mut self) {
        self.producer = None;
        if let Some(thread) = self.thread.take() {
            thread.join();
        }
        self.inline = None;
    }

    /// Audio thread: only asks for the reset ([`Mcclstm::request_reset`]); the analysis resets
    /// when it reaches it.
    fn reset(&mut self) {
        self.request_reset();
        self.expected_pos = None;
    }

    /// Real-time: passes audio through untouched (the host already copied input to output), and
    /// hands a mono downmix to the analysis. Through the ring (real-time mode, and any VST3
    /// render) that is one write, never waiting: when the ring is full the rest is dropped and
    /// counted. No allocation, lock, wait, I/O or panic on this path; `assert_process_allocs`
    /// builds prove the allocation part, and the hosts count `process()`'s voluntary context
    /// switches (none) for the waiting part.
    fn process(
        &mut self,
        buffer: &mut Buffer,
        _aux: &mut AuxiliaryBuffers,
        context: &mut impl ProcessContext<Self>,
    ) -> ProcessStatus {
        let samples = buffer.samples();
        let channels = buffer.as_slice_immutable();
        if samples == 0 || channels.is_empty() {
            return ProcessStatus::Normal;
        }

        // A jump of the play position (restart, loop, locate) starts a new track.
        let transport = context.transport();
        if transport.playing {
            let pos = transport.pos_samples();
            if let (Some(pos), Some(expected)) = (pos, self.expected_pos)
                && pos != expected
            {
                self.request_reset();
            }
            self.expected_pos = pos.map(|p| p + samples as i64);
        } else {
            self.expected_pos = None;
        }
        let position = if transport.playing {
            transport.pos_samples()
        } else {
            None
        };
        self.anchor_transport(position, samples);

        let scale = 1.0 / channels.len() as f32;
        if let Some(analyzer) = self.inline.as_mut() {
            // Offline rendering is not real-time: the model may allocate, so it is allowed here.
            let n = samples.min(self.mono.len());
            for (i, m) in self.mono[..n].iter_mut().enumerate() {
                *m = Self::downmix(channels, i, scale);
            }
            let mono = &self.mono[..n];
            let commands = &self.commands.1;
            nice_plug::util::permit_alloc(|| {
                while let Ok(command) = commands.try_recv() {
                    analyzer.handle(command);
                }
                analyzer.push(mono);
            });
        } else if let Some(producer) = self.producer.as_mut() {
            // Where samples were dropped before this block, first: each mark and its count take
            // two slots, and go in only together.
            while self.gap_pending > 0 {
                let count = self.gap_pending.min(u64::from(GAP_MAX));
                let Ok(chunk) = producer.write_chunk_uninit(2) else {
                    break;
                };
                chunk.fill_from_iter([f32::from_bits(GAP_MARK), f32::from_bits(count as u32)]);
                self.gap_pending -= count;
            }
            if self.reset_pending && producer.push(f32::from_bits(RESET_MARK)).is_ok() {
                self.reset_pending = false;
            }
            // Samples never go in ahead of a gap mark still waiting for room.
            let free = if self.gap_pending > 0 {
                0
            } else {
                producer.slots().min(samples)
            };
            if free > 0
                && let Ok(chunk) = producer.write_chunk_uninit(free)
            {
                chunk.fill_from_iter((0..free).map(|i| Self::downmix(channels, i, scale)));
            }
            if free < samples {
                let dropped = (samples - free) as u64;
                self.gap_pending += dropped;
                self.published.dropped.fetch_add(dropped, Ordering::AcqRel);
            }
        }
        flush_subnormals(buffer.as_slice());
        ProcessStatus::Normal
    }
}

/// The output guarantee: every sample passes bit for bit except subnormal ones, which become a
/// zero of the same sign (hosts and validators treat subnormal output as an error: it can cost a
/// downstream effect a hundred times its usual CPU). NaN and infinities pass untouched.
fn flush_subnormals(channels: &mut [&mut [f32]]) {
    for channel in channels {
        for sample in channel.iter_mut() {
            // Branch-free, so the loop vectorises: an exponent of zero is a zero or a subnormal,
            // and either becomes the zero of its sign (a zero stays itself).
            let bits = sample.to_bits();
            let flushed = if bits & 0x7F80_0000 == 0 {
                bits & 0x8000_0000
            } else {
                bits
            };
            *sample = f32::from_bits(flushed);
        }
    }
}

/// The standalone's demo input: the WAV file `MCCLSTM_DEMO_WAV` names, decoded and resampled to
/// the host rate. The standalone's dummy backend feeds only silence, so this is how the demo (and
/// `cargo xtask screenshot`) shows the analysis at work.
#[cfg(feature = "standalone")]
fn demo_input(host_rate: u32) -> Option<Vec<f32>> {
    let path = std::env::var_os("MCCLSTM_DEMO_WAV")?;
    let audio = mcclstm_engine::audio::decode_file(std::path::Path::new(&path)).ok()?;
    mcclstm_engine::audio::resample(&audio.samples, audio.sample_rate, host_rate).ok()
}

impl ClapPlugin for Mcclstm {
    const CLAP_ID: &'static str = "org.mcclstm.analyzer";
    const CLAP_DESCRIPTION: Option<&'static str> =
        Some("Live genre and mood of the audio passing through (MCCLSTM, ISMIR 2017)");
    const CLAP_MANUAL_URL: Option<&'static str> = None;
    const CLAP_SUPPORT_URL: Option<&'static str> = None;
    const CLAP_FEATURES: &'static [ClapFeature] = &[
        ClapFeature::AudioEffect,
        ClapFeature::Analyzer,
        ClapFeature::Stereo,
        ClapFeature::Mono,
    ];
}

impl Vst3Plugin for Mcclstm {
    const VST3_CLASS_ID: [u8; 16] = *b"McclstmAnalyzer1";
    const VST3_SUBCATEGORIES: &'static [Vst3SubCategory] =
        &[Vst3SubCategory::Fx, Vst3SubCategory::Analyzer];
}
