//! The analyzer: host-rate mono samples in, published results and history out.
//!
//! An [`Analyzer`] runs on the analysis thread in real-time mode ([`crate::thread`] drains the
//! ring into it) and inline in `process()` when a CLAP host renders offline. Either way it runs
//! the engine's one pipeline, [`mcclstm_engine::stream::Stream`], with a lane per model slot: the
//! same code as `mcclstm analyze`, so a bounce gives the same chunks, times and probabilities.
//! What the analyzer adds is the plugin's side: the ring's reset marks, the account of dropped
//! samples, the editor's commands, and publishing.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crossbeam_channel::Sender;
use mcclstm_engine::Model;
use mcclstm_engine::runner::argmax;
use mcclstm_engine::stream::{Stream, StreamConfig, StreamEvent};
use nice_plug_egui::RepaintNotifier;

use crate::models;
use crate::params::McclstmParams;
use crate::published::{History, HistoryEntry, MAX_CLASSES, MAX_SLOTS, Published, Snapshot};

/// In the ring, a value with these bits is not a sample but the audio thread's mark of where a
/// reset happened (a transport jump, the host's `reset()`), so the analysis thread resets at
/// exactly that sample however it reads the ring in batches. A quiet NaN with a payload that
/// arithmetic on host samples does not make; the audio thread writes a host NaN that happens to
/// have these bits as the plain NaN, so a sample is never taken for the mark.
pub const RESET_MARK: u32 = 0x7FC0_4D43;

/// In the ring, a value with these bits marks where the audio thread dropped samples because the
/// ring was full; the value after it is not a sample but how many it dropped there (its bits, a
/// `u32` of at most [`GAP_MAX`]). So the analysis skips exactly there, and the history marks the
/// gap on the first chunk after it, however the ring is read in batches. Another quiet NaN that
/// the audio thread never lets a host sample carry (see [`RESET_MARK`]).
pub const GAP_MARK: u32 = 0x7FC0_4750;

/// The most samples one gap mark counts; a longer gap is written as several marks.
pub const GAP_MAX: u32 = 1 << 30;

/// Whether a value read from the ring is one of the audio thread's marks, not a sample.
#[inline]
pub fn is_mark(x: f32) -> bool {
    matches!(x.to_bits(), RESET_MARK | GAP_MARK)
}

/// Where the host's transport was at one point of the analysis's input: from `sample` (host
/// samples since the analysis started, the stream's clock) on, the song position advances with
/// the audio from `transport` (host samples), or is unknown (`None`: stopped, or not given).
/// The audio thread sends one when playback starts, stops or jumps.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TransportAnchor {
    pub sample: u64,
    pub transport: Option<i64>,
}

/// When the analysis computes live estimates between chunk boundaries (each costs a model
/// step).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LiveEstimates {
    /// Never: an offline render, or `MCCLSTM_LIVE_ESTIMATES=off`.
    Off,
    /// While an editor window is open (the default): nobody else sees them.
    WhileWatched,
    /// Always (`MCCLSTM_LIVE_ESTIMATES=always`; for measuring their cost).
    Always,
}

impl LiveEstimates {
    /// The mode `MCCLSTM_LIVE_ESTIMATES` asks for (`off`, `always`; anything else: while
    /// watched).
    pub fn from_env() -> Self {
        match std::env::var("MCCLSTM_LIVE_ESTIMATES").as_deref() {
            Ok("off") => Self::Off,
            Ok("always") => Self::Always,
            _ => Self::WhileWatched,
        }
    }
}

/// Anchors kept by the analysis: more than the resets a few seconds of lag can hold.
pub const ANCHORS: usize = 64;

/// Requests from the editor (or the plugin) to the analysis.
#[derive(Debug)]
pub enum Command {
    /// Load a model file into a slot; on failure the slot keeps its model and shows the error.
    LoadModel { slot: usize, path: String },
    /// Go back to the slot's embedded model.
    UseEmbedded { slot: usize },
}

/// The editor's side of the command channel.
pub type CommandSender = Sender<Command>;

/// Host samples in, published results out. See the module documentation.
pub struct Analyzer {
    /// The engine's pipeline, a lane per slot.
    stream: Stream,
    published: Arc<Published>,
    history: Arc<Mutex<History>>,
    /// The silence threshold parameter (read atomically, any thread).
    params: Arc<McclstmParams>,
    /// Tells an open editor to repaint when a result changes.
    repaint: RepaintNotifier,
    /// Each slot's task and labels, for the history entries.
    tasks: [String; MAX_SLOTS],
    labels: [Vec<String>; MAX_SLOTS],
    /// The live results as last published; updated in place and published whole.
    snapshot: Snapshot,
    /// Invalid samples counted by earlier analyses of this instance (the editor shows the total).
    invalid_before: u64,
    reset_seen: u64,
    dropped_seen: u64,
    /// This analysis's number, unique in the process: the history numbers segments per analysis.
    analysis_id: u64,
    /// The audio thread's transport anchors, and the latest ones received, oldest first.
    anchor_input: Option<rtrb::Consumer<TransportAnchor>>,
    anchors: std::collections::VecDeque<TransportAnchor>,
    host_rate: u32,
    live_estimates: LiveEstimates,
    /// Whether the stream computes provisional results now.
    provisional_on: bool,
    /// A [`GAP_MARK`] ended the last block read: the next value is its count.
    gap_count_next: bool,
    /// Seconds of host audio dropped before each slot's next chunk, not yet written to the
    /// history (the next chunk carries them as `gap_before_s`).
    gap_before: [f64; MAX_SLOTS],
}

impl Analyzer {
    /// Builds the pipeline for the slots' models. Allocates; call off the audio thread.
    pub fn new(
        host_rate: u32,
        models: [Option<Model>; MAX_SLOTS],
        published: Arc<Published>,
        params: Arc<McclstmParams>,
        repaint: RepaintNotifier,
    ) -> Self {
        // Segments are numbered by the history when the first chunk is written, after whatever
        // it holds then (activation at a new rate, a project loaded before or after activation).
        static ANALYSES: AtomicU64 = AtomicU64::new(1);
        let snapshot = published.snapshot();
        let mut analyzer = Self {
            stream: Stream::with_empty_lanes(StreamConfig::live(host_rate.max(1)), MAX_SLOTS),
            tasks: Default::default(),
            labels: Default::default(),
            invalid_before: snapshot.invalid,
            reset_seen: published.reset_requests.load(Ordering::Acquire),
            dropped_seen: published.dropped.load(Ordering::Acquire),
            snapshot,
            published,
            history: params.history.clone(),
            params,
            repaint,
            analysis_id: ANALYSES.fetch_add(1, Ordering::Relaxed),
            anchor_input: None,
            anchors: std::collections::VecDeque::with_capacity(ANCHORS),
            host_rate: host_rate.max(1),
            live_estimates: LiveEstimates::WhileWatched,
            provisional_on: false,
            gap_count_next: false,
            gap_before: [0.0; MAX_SLOTS],
        };
        for slot in analyzer.snapshot.slots.iter_mut() {
            slot.active = false;
            slot.chunks_since_reset = 0;
            slot.progress = 0.0;
        }
        for (slot, model) in models.into_iter().enumerate() {
            if let Some(model) = model {
                analyzer.install(slot, model, "embedded".to_string());
            }
        }
        analyzer.publish();
        analyzer
    }

    /// Puts a model into a slot (fresh state) and publishes its description.
    fn install(&mut self, slot: usize, model: Model, source: String) {
        let d = model.description().clone();
        let model_runner = model.runner_name();
        match self.stream.set_model(slot, Some(model)) {
            Ok(()) => {
                if let Ok(mut info) = self.published.info[slot].lock() {
                    info.task = d.task.clone();
                    info.labels = d.labels.iter().take(MAX_CLASSES).cloned().collect();
                    info.model = d.summary();
                    info.runner = model_runner;
                    info.source = source;
                    info.error = None;
                    info.unsure_below = d.confidence.unsure_below;
                    info.calibrated = d.confidence.is_calibrated();
                    info.outputs = d.outputs;
                    info.track_summary = d.track_summary;
                }
                self.tasks[slot] = d.task.clone();
                self.labels[slot] = d.labels.clone();
                let s = &mut self.snapshot.slots[slot];
                s.probs.fill(0.0);
                s.chunks_since_reset = 0;
                s.progress = 0.0;
                s.active = true;
            }
            Err(e) => self.published.set_error(slot, e.to_string()),
        }
    }

    /// Where the audio thread sends its transport anchors, so history chunks carry the song
    /// position of the host's transport.
    pub fn set_transport_anchors(&mut self, input: rtrb::Consumer<TransportAnchor>) {
        self.anchor_input = Some(input);
    }

    /// Takes the anchors the audio thread sent, keeping the newest [`ANCHORS`].
    fn receive_anchors(&mut self) {
        let Some(input) = self.anchor_input.as_mut() else {
            return;
        };
        while let Ok(anchor) = input.pop() {
            if self.anchors.len() == ANCHORS {
                self.anchors.pop_front();
            }
            self.anchors.push_back(anchor);
        }
    }

    /// When to compute live estimates between chunk boundaries.
    pub fn set_live_estimates(&mut self, mode: LiveEstimates) {
        self.live_estimates = mode;
        self.update_live_estimates();
    }

    /// Whether anyone sees the analysis between chunks: an editor is open, or live estimates
    /// are on. The analysis thread reads the ring in smaller batches then.
    pub fn watched(&self) -> bool {
        self.provisional_on || self.published.editor_open.load(Ordering::Acquire)
    }

    /// Turns the stream's provisional results on or off as the mode and an open editor say;
    /// checked before each batch.
    fn update_live_estimates(&mut self) {
        let on = match self.live_estimates {
            LiveEstimates::Off => false,
            LiveEstimates::Always => true,
            LiveEstimates::WhileWatched => self.published.editor_open.load(Ordering::Acquire),
        };
        if on != self.provisional_on {
            self.provisional_on = on;
            self.stream
                .set_provisional(on.then_some(mcclstm_engine::stream::PROVISIONAL_EVERY_S));
        }
    }

    /// Carries out an editor request. Model files are read here, never on the audio thread.
    pub fn handle(&mut self, command: Command) {
        match command {
            Command::LoadModel { slot, path } if slot < MAX_SLOTS => {
                match Model::from_file(std::path::Path::new(&path)) {
                    Ok(model) => self.install(slot, model, path),
                    Err(e) => self.published.set_error(slot, e.to_string()),
                }
            }
            Command::UseEmbedded { slot } if slot < MAX_SLOTS => match models::embedded(slot) {
                Some(Ok(model)) => self.install(slot, model, "embedded".to_string()),
                Some(Err(e)) => self.published.set_error(slot, e.to_string()),
                None => {
                    // An empty lane cannot fail to build.
                    let _ = self.stream.set_model(slot, None);
                    self.snapshot.slots[slot].active = false;
                }
            },
            Command::LoadModel { .. } | Command::UseEmbedded { .. } => {}
        }
        self.publish();
    }

    /// `samples` host samples were dropped here (the ring was full): the stream's clock moves
    /// past them, the partial chunk that would straddle the gap is discarded, and each slot's next
    /// chunk says how much audio was missing before it.
    pub fn gap(&mut self, samples: u64) {
        self.stream.skip(samples);
        let seconds = samples as f64 / f64::from(self.host_rate);
        for g in &mut self.gap_before {
            *g += seconds;
        }
    }

    /// Resets every slot's state and starts a new history segment.
    pub fn reset(&mut self) {
        self.stream.reset(&mut |_| {});
        for s in &mut self.snapshot.slots {
            s.chunks_since_reset = 0;
            s.progress = 0.0;
        }
    }

    /// The host's sample rate, at which [`Analyzer::push`] takes samples.
    pub fn host_rate(&self) -> u32 {
        self.host_rate
    }

    /// Adds `analysed` samples, and the samples the audio thread dropped since the last call, to
    /// the saved account. Returns how many were newly dropped. Where they were dropped comes
    /// through the ring as [`GAP_MARK`]s ([`Analyzer::gap`]).
    pub fn account(&mut self, analysed: u64) -> u64 {
        let dropped = self.published.dropped.load(Ordering::Acquire);
        let newly_dropped = dropped.wrapping_sub(self.dropped_seen);
        self.dropped_seen = dropped;
        if (analysed > 0 || newly_dropped > 0)
            && let Ok(mut h) = self.history.lock()
        {
            h.analysed_samples += analysed;
            h.dropped_samples += newly_dropped;
        }
        newly_dropped
    }

    /// Analyses a block of mono host-rate samples. A [`RESET_MARK`] in it resets the analysis at
    /// exactly that point (what came before it is analysed first), and a [`GAP_MARK`] with its
    /// count moves the clock past the samples dropped there; marks are not samples. A mark's
    /// count may come at the start of the next block.
    pub fn push(&mut self, samples: &[f32]) {
        let mut rest = samples;
        if self.gap_count_next
            && let Some((count, tail)) = rest.split_first()
        {
            self.gap_count_next = false;
            self.gap(u64::from(count.to_bits().min(GAP_MAX)));
            rest = tail;
        }
        while let Some(at) = rest.iter().position(|&s| is_mark(s)) {
            self.push_samples(&rest[..at]);
            if rest[at].to_bits() == RESET_MARK {
                self.reset();
                rest = &rest[at + 1..];
            } else if let Some(count) = rest.get(at + 1) {
                self.gap(u64::from(count.to_bits().min(GAP_MAX)));
                rest = &rest[at + 2..];
            } else {
                self.gap_count_next = true;
                rest = &[];
            }
        }
        self.push_samples(rest);
        self.publish();
        self.repaint.request_repaint();
    }

    fn push_samples(&mut self, samples: &[f32]) {
        self.receive_anchors();
        self.update_live_estimates();
        let requests = self.published.reset_requests.load(Ordering::Acquire);
        if requests != self.reset_seen {
            self.reset_seen = requests;
            self.reset();
        }
        self.account(samples.len() as u64);
        if samples.is_empty() {
            return;
        }
        self.stream
            .set_silence_reset(Some(self.params.silence_seconds.value().max(0.0)));

        let Self {
            stream,
            published,
            history,
            snapshot,
            analysis_id,
            tasks,
            labels,
            anchors,
            host_rate,
            gap_before,
            ..
        } = self;
        let rate = f64::from(*host_rate);
        stream.push(samples, |event| match event {
            StreamEvent::Chunk(c) => {
                let s = &mut snapshot.slots[c.lane];
                for (p, &v) in s.probs.iter_mut().zip(c.track) {
                    *p = v;
                }
                s.step_ms = c.step.as_secs_f32() * 1e3;
                s.chunks_since_reset = c.index + 1;
                s.sequence += 1;
                s.updates += 1;
                s.provisional = false;
                s.heard_to_s = c.end_s;
                let top = argmax(c.track);
                let entry = HistoryEntry {
                    task: tasks[c.lane].clone(),
                    // Numbered by the history in `push_chunk`.
                    segment: 0,
                    chunk: c.index,
                    start_s: c.start_s,
                    end_s: c.end_s,
                    probs: c.track.to_vec(),
                    top: labels[c.lane].get(top).cloned().unwrap_or_default(),
                    transport_s: transport_at(
                        anchors,
                        (c.start_s * rate).round() as u64,
                        (c.end_s * rate).round() as u64,
                        rate,
                    ),
                    gap_before_s: Some(std::mem::take(&mut gap_before[c.lane]))
                        .filter(|&g| g > 0.0),
                };
                if let Ok(mut h) = history.lock() {
                    h.push_chunk(c.lane, *analysis_id, c.segment, entry);
                }
            }
            StreamEvent::StepFailed { lane, error } => {
                published.set_error(lane, error.to_string());
            }
            StreamEvent::Reset { .. } => {
                for s in &mut snapshot.slots {
                    s.chunks_since_reset = 0;
                    s.provisional = false;
                }
            }
            // Shown, never written to the history: the committed chunks stay those of
            // `mcclstm analyze`.
            StreamEvent::Provisional(p) => {
                let s = &mut snapshot.slots[p.lane];
                for (v, &x) in s.probs.iter_mut().zip(p.track) {
                    *v = x;
                }
                s.updates += 1;
                s.provisional = true;
                s.heard_to_s = p.end_s;
            }
        });
    }

    /// Publishes the live state as one snapshot.
    fn publish(&mut self) {
        for (lane, s) in self.snapshot.slots.iter_mut().enumerate() {
            s.progress = self.stream.progress(lane);
        }
        self.snapshot.silence = self.stream.in_silence();
        self.snapshot.invalid = self.invalid_before + self.stream.invalid_samples();
        self.published.publish(&self.snapshot);
    }
}

/// The song position (seconds) of a chunk that starts at stream sample `start` and ends at
/// `end`: from the latest anchor at or before its start; if the transport was stopped there but
/// started rolling within the chunk (a host's pre-roll, an export starting), extrapolated back
/// from that start, so every chunk of a take has one and they advance with the audio.
fn transport_at(
    anchors: &std::collections::VecDeque<TransportAnchor>,
    start: u64,
    end: u64,
    rate: f64,
) -> Option<f64> {
    let at_start = anchors.iter().rev().find(|a| a.sample <= start);
    let position = match at_start.and_then(|a| a.transport.map(|t| (a.sample, t))) {
        Some((sample, t)) => t + (start - sample) as i64,
        None => {
            let rolled = anchors
                .iter()
                .find(|a| a.sample > start && a.sample < end && a.transport.is_some())?;
            rolled.transport? - (rolled.sample - start) as i64
        }
    };
    Some(position as f64 / rate)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn analyzer(host_rate: u32) -> (Analyzer, Arc<Published>, Arc<McclstmParams>) {
        let published = Arc::new(Published::default());
        let params = Arc::new(McclstmParams::default());
        let models = std::array::from_fn(|slot| models::default_model(slot).map(|m| m.unwrap()));
        let analyzer = Analyzer::new(
            host_rate,
            models,
            published.clone(),
            params.clone(),
            RepaintNotifier::new(),
        );
        (analyzer, published, params)
    }

    fn tone(rate: u32, seconds: f32) -> Vec<f32> {
        (0..(rate as f32 * seconds) as usize)
            .map(|i| 0.3 * (i as f32 * 440.0 * std::f32::consts::TAU / rate as f32).sin())
            .collect()
    }

    fn push_in_blocks(analyzer: &mut Analyzer, samples: &[f32]) {
        for block in samples.chunks(512) {
            analyzer.push(block);
        }
    }

    #[test]
    fn a_refused_model_file_keeps_the_previous_model_and_shows_why() {
        let (mut analyzer, published, _) = analyzer(44_100);
        let dir = std::env::temp_dir().join(format!("mcclstm-plugin-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let bad = dir.join("broken.onnx");
        std::fs::write(&bad, b"not a model").unwrap();
        analyzer.handle(Command::LoadModel {
            slot: 0,
            path: bad.display().to_string(),
        });
        let info = published.info(0);
        assert!(info.error.unwrap().contains("not an ONNX model"));
        assert_eq!(info.source, "embedded");
        // The embedded model still analyses.
        push_in_blocks(&mut analyzer, &tone(44_100, 4.5));
        assert_eq!(published.snapshot().slots[0].sequence, 1);
    }

    #[test]
    fn a_models_calibration_reaches_the_editor_and_its_threshold_decides_unsure() {
        let (mut analyzer, published, _) = analyzer(44_100);
        // The embedded genre model carries its measured calibration.
        let embedded = published.info(0);
        assert!(embedded.calibrated);
        assert_eq!(embedded.unsure_below, 0.5);

        // The same network, softened (temperature 20) and with a threshold no output reaches.
        let shipped = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../models/genre.onnx");
        let bytes = std::fs::read(shipped).unwrap();
        let strict = mcclstm_engine::contract::with_metadata(
            &bytes,
            mcclstm_engine::contract::keys::CONFIDENCE,
            r#"{"temperature":20,"unsure_below":0.99,"fitted_on":{"dataset":"test"}}"#,
        )
        .unwrap();
        let dir = std::env::temp_dir().join(format!("mcclstm-plugin-cal-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("strict.onnx");
        std::fs::write(&path, strict).unwrap();
        analyzer.handle(Command::LoadModel {
            slot: 0,
            path: path.display().to_string(),
        });
        let info = published.info(0);
        assert_eq!(info.error, None);
        assert!(info.calibrated);
        assert_eq!(info.unsure_below, 0.99);
        push_in_blocks(&mut analyzer, &tone(44_100, 4.5));
        let slot = published.snapshot().slots[0];
        assert_eq!(slot.sequence, 1);
        let probs = slot.probs(info.labels.len());
        // Temperature 20 spreads ten classes to near 0.1 each: the editor says "unsure".
        assert!(probs.iter().all(|&p| p < 0.5), "{probs:?}");
        let verdict = info.verdict(probs);
        assert!(verdict.unsure && verdict.top != verdict.second);
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// What `model` alone gives for the last chunk of `signal` through a stream of its own, fed
    /// in the blocks the analyzer's tests use.
    fn alone(model: Model, rate: u32, signal: &[f32]) -> Vec<f32> {
        let mut stream = Stream::new(StreamConfig::live(rate), [Some(model)]).unwrap();
        let mut track = Vec::new();
        for block in signal.chunks(512) {
            stream.push(block, |e| {
                if let StreamEvent::Chunk(c) = e {
                    track = c.track.to_vec();
                }
            });
        }
        track
    }

    /// Each slot's live probabilities after `chunks` chunks are exactly what its model gives alone.
    fn assert_each_slot_gives_its_model_alone(
        published: &Published,
        models: &[Option<Model>],
        rate: u32,
        signal: &[f32],
        chunks: &[u64],
    ) {
        let snapshot = published.snapshot();
        for (slot, model) in models.iter().enumerate() {
            let Some(model) = model else { continue };
            let info = published.info(slot);
            assert_eq!(info.error, None, "slot {slot}");
            let live = snapshot.slots[slot];
            assert!(live.active, "slot {slot}");
            assert_eq!(live.sequence, chunks[slot], "slot {slot}");
            let track = alone(model.clone(), rate, signal);
            assert_eq!(track.len(), info.labels.len(), "slot {slot}");
            assert_eq!(live.probs(info.labels.len()), &track[..], "slot {slot}");
        }
    }

    /// Dance and style, off by default, turned on beside genre and mood: every slot gives its
    /// chunk, and each gives what its model gives alone on the same audio.
    #[test]
    fn embedded_slots_turned_on_each_give_what_their_model_gives_alone() {
        let rate = 48_000;
        let (mut analyzer, published, _) = analyzer(rate);
        for slot in 0..MAX_SLOTS {
            analyzer.handle(Command::UseEmbedded { slot });
        }
        let signal = tone(rate, 4.5);
        push_in_blocks(&mut analyzer, &signal);
        let slot_models: Vec<_> = (0..MAX_SLOTS)
            .map(|slot| models::embedded(slot).map(|m| m.unwrap()))
            .collect();
        assert_eq!(slot_models.iter().flatten().count(), models::SLOTS.len());
        assert_each_slot_gives_its_model_alone(&published, &slot_models, rate, &signal, &[1; 4]);
    }

    /// A model that reads another frontend (48 mel bands, as `mcclstm train --mels 48` makes)
    /// beside the defaults: its lane computes its own frames, the defaults still share theirs, and
    /// each slot gives what its model gives alone.
    #[test]
    fn a_model_reading_more_mel_bands_runs_in_its_own_lane_beside_the_defaults() {
        use mcclstm_engine::{Architecture, Preset};
        use mcclstm_onnx::arch::ArchConfig;

        let rate = 48_000;
        let (mut analyzer, published, _) = analyzer(rate);
        let mut config = ArchConfig::paper(Architecture::Mcclstm);
        (config.filters, config.dense, config.lstm) = (2, 8, 4);
        let frontend = Preset::Paper.config().with_mels(48);
        let labels = ["a", "b", "c"].map(String::from).to_vec();
        let (weights, meta) = mcclstm_onnx::random::random_model_reading(
            &config,
            "style".into(),
            labels,
            frontend,
            3,
        )
        .unwrap();
        let bytes = mcclstm_onnx::export::model_bytes(&config, &weights, &meta).unwrap();
        let dir = std::env::temp_dir().join(format!("mcclstm-plugin-48-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("mels48.onnx");
        std::fs::write(&path, &bytes).unwrap();
        analyzer.handle(Command::LoadModel {
            slot: 3,
            path: path.display().to_string(),
        });
        assert_eq!(analyzer.stream.frame_streams(), 2);
        let signal = tone(rate, 8.0);
        push_in_blocks(&mut analyzer, &signal);
        let mut slot_models: Vec<_> = (0..MAX_SLOTS)
            .map(|slot| models::default_model(slot).map(|m| m.unwrap()))
            .collect();
        slot_models[3] = Some(Model::from_bytes(&bytes).unwrap());
        // Dance stays off: its slot is skipped.
        assert_each_slot_gives_its_model_alone(
            &published,
            &slot_models,
            rate,
            &signal,
            &[2, 2, 0, 2],
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn provisional_results_update_the_editor_between_chunks_and_never_the_history() {
        let run = |provisional: bool| {
            let (mut analyzer, published, params) = analyzer(48_000);
            // Live estimates are made while an editor is open.
            published.editor_open.store(provisional, Ordering::Release);
            let mut updates = Vec::new();
            for block in tone(48_000, 12.0).chunks(4096) {
                analyzer.push(block);
                let s = published.snapshot().slots[0];
                updates.push((s.updates, s.sequence, s.provisional));
            }
            let history = params.history.lock().unwrap().slots.clone();
            (history, updates)
        };
        let (with, updates) = run(true);
        let (without, plain) = run(false);
        // The committed history is the same, entry for entry.
        assert_eq!(with, without);
        assert_eq!(with[0].len(), 3);
        // Without: one update a chunk. With: more, some of them provisional, and the committed
        // count (`sequence`) is the same at every block.
        let (last, plain_last) = (updates.last().unwrap(), plain.last().unwrap());
        assert_eq!(plain_last.0, 3);
        assert!(last.0 >= 3 + 2 * 8, "{updates:?}");
        assert!(updates.iter().any(|u| u.2) && !plain.iter().any(|u| u.2));
        for (u, p) in updates.iter().zip(&plain) {
            assert_eq!(u.1, p.1);
        }
    }

    #[test]
    fn live_estimates_follow_an_open_editor_unless_forced() {
        let count = |mode: Option<LiveEstimates>, open_after_s: Option<f32>| {
            let (mut analyzer, published, _) = analyzer(48_000);
            if let Some(mode) = mode {
                analyzer.set_live_estimates(mode);
            }
            let tone = tone(48_000, 12.0);
            let (first, second) = tone.split_at(6 * 48_000);
            push_in_blocks(&mut analyzer, first);
            let before = published.snapshot().slots[0].updates;
            if open_after_s.is_some() {
                published.editor_open.store(true, Ordering::Release);
            }
            push_in_blocks(&mut analyzer, second);
            (before, published.snapshot().slots[0].updates)
        };
        // Closed: one update a chunk. Opened half way: more after it. Forced on or off.
        assert_eq!(count(None, None), (1, 3));
        let (before, after) = count(None, Some(6.0));
        assert_eq!(before, 1);
        assert!(after >= 3 + 8, "{after}");
        assert!(count(Some(LiveEstimates::Always), None).0 > 1);
        let (_, off) = count(Some(LiveEstimates::Off), Some(6.0));
        assert_eq!(off, 3);
    }

    #[test]
    fn history_chunks_carry_the_song_position_of_the_hosts_transport() {
        let (mut analyzer, _published, params) = analyzer(48_000);
        let (mut tx, rx) = rtrb::RingBuffer::new(ANCHORS);
        analyzer.set_transport_anchors(rx);
        // Stopped at first; rolling from 10 s into the song after 1 s of audio (pre-roll): the
        // first chunk, which began before the roll, is placed 1 s before 10 s.
        tx.push(TransportAnchor {
            sample: 0,
            transport: None,
        })
        .unwrap();
        tx.push(TransportAnchor {
            sample: 48_000,
            transport: Some(480_000),
        })
        .unwrap();
        // Then stopped after 8 s of audio; 1 s later playing again from 60 s.
        tx.push(TransportAnchor {
            sample: 8 * 48_000,
            transport: None,
        })
        .unwrap();
        tx.push(TransportAnchor {
            sample: 9 * 48_000,
            transport: Some(60 * 48_000),
        })
        .unwrap();
        push_in_blocks(&mut analyzer, &tone(48_000, 16.0));
        let h = params.history.lock().unwrap();
        let at: Vec<(f64, Option<f64>)> = h.slots[0]
            .iter()
            .map(|e| (e.start_s, e.transport_s))
            .collect();
        assert_eq!(at.len(), 4, "{at:?}");
        for (start, transport) in at {
            let expected = if start < 8.0 {
                Some(9.0 + start)
            } else if start < 9.0 {
                None
            } else {
                Some(60.0 + start - 9.0)
            };
            match (transport, expected) {
                (Some(t), Some(e)) => assert!((t - e).abs() < 1e-4, "{start}: {t} vs {e}"),
                (t, e) => assert_eq!(t, e, "{start}"),
            }
        }
    }

    #[test]
    fn long_silence_shows_silence_and_resets_the_state() {
        let (mut analyzer, published, params) = analyzer(22_050);
        push_in_blocks(&mut analyzer, &tone(22_050, 4.0));
        assert_eq!(published.snapshot().slots[1].chunks_since_reset, 1);
        let threshold = params.silence_seconds.value();
        push_in_blocks(
            &mut analyzer,
            &vec![0.0; (22_050.0 * (threshold + 1.0)) as usize],
        );
        assert!(published.snapshot().silence);
        assert_eq!(published.snapshot().slots[1].chunks_since_reset, 0);
        // Music again: silence is over, analysis starts a new segment.
        push_in_blocks(&mut analyzer, &tone(22_050, 4.0));
        assert!(!published.snapshot().silence);
        let history = params.history.lock().unwrap();
        // Silence shorter than the threshold is still analysed (here it completes a second chunk
        // of the first segment); the chunk after the reset starts a new segment at index 0.
        let first = history.slots[1].front().unwrap();
        let last = history.slots[1].back().unwrap();
        assert!(last.segment > first.segment);
        assert_eq!(last.chunk, 0);
    }

    /// `samples` with a gap mark for `dropped` samples at `at`, as the audio thread writes the
    /// ring when it drops.
    fn with_gap(samples: &[f32], at: usize, dropped: u32) -> Vec<f32> {
        let mut ring = samples[..at].to_vec();
        ring.extend([f32::from_bits(GAP_MARK), f32::from_bits(dropped)]);
        ring.extend_from_slice(&samples[at..]);
        ring
    }

    #[test]
    fn dropped_samples_discard_the_partial_chunk_and_are_saved() {
        let (mut analyzer, published, params) = analyzer(22_050);
        let music = tone(22_050, 6.0);
        // 3 s in, the audio thread drops samples: the 3 s collected so far must not be completed
        // by samples from after the gap.
        push_in_blocks(&mut analyzer, &music[..22_050 * 3]);
        published.dropped.fetch_add(1000, Ordering::AcqRel);
        push_in_blocks(
            &mut analyzer,
            &with_gap(&music[22_050 * 3..22_050 * 5], 0, 1000),
        );
        assert_eq!(published.snapshot().slots[0].chunks_since_reset, 0);
        push_in_blocks(&mut analyzer, &tone(22_050, 2.0));
        assert_eq!(published.snapshot().slots[0].chunks_since_reset, 1);
        // Drops after the last block are counted when the thread stops.
        published.dropped.fetch_add(24, Ordering::AcqRel);
        analyzer.account(0);
        let history = params.history.lock().unwrap();
        assert_eq!(history.analysed_samples, 22_050 * 7);
        assert_eq!(history.dropped_samples, 1024);
        // The first chunk after the gap says how much audio was missing before it, and starts
        // after it on the stream's clock.
        for slot in 0..2 {
            let chunk = &history.slots[slot][0];
            assert_eq!(chunk.gap_before_s, Some(1000.0 / 22_050.0), "slot {slot}");
            assert!(chunk.start_s >= (22_050.0 * 3.0 + 1000.0) / 22_050.0);
        }
    }

    #[test]
    fn a_gap_mark_skips_at_exactly_its_sample_within_a_batch() {
        // 5 s of music with 700 samples dropped after 2 s: however the ring is read (the mark and
        // its count may fall in different reads), the chunks are those of the same music with 700
        // samples of anything in the gap's place, on the same clock.
        let music = tone(22_050, 9.0);
        let (at, gap) = (22_050 * 2, 700usize);
        let (mut reference, _, reference_params) = analyzer(22_050);
        reference.push(&music[..at]);
        reference.gap(gap as u64);
        push_in_blocks(&mut reference, &music[at + gap..]);
        let expected = reference_params.history.lock().unwrap().slots[0].clone();
        assert_eq!(expected.len(), 1);
        assert_eq!(expected[0].gap_before_s, Some(gap as f64 / 22_050.0));
        let mut ring = music[..at].to_vec();
        ring.extend([f32::from_bits(GAP_MARK), f32::from_bits(gap as u32)]);
        ring.extend_from_slice(&music[at + gap..]);
        // Reads cut just before the mark, between the mark and its count, and after the count,
        // in batches of several sizes.
        for cut in [at, at + 1, at + 2] {
            for batch in [4096, 1000, 333] {
                let (mut marked, _, params) = analyzer(22_050);
                for block in ring[..cut].chunks(batch).chain(ring[cut..].chunks(batch)) {
                    marked.push(block);
                }
                let history = params.history.lock().unwrap();
                assert_eq!(history.slots[0], expected, "cut {cut}, batch {batch}");
                // Neither the mark nor its count is a sample.
                assert_eq!(history.analysed_samples, (music.len() - gap) as u64);
            }
        }
    }

    #[test]
    fn a_reset_mark_resets_at_exactly_its_sample_within_a_batch() {
        // Two seconds of one tune, the mark, then another: read in batches of any size, the
        // chunks after the mark are exactly those of a fresh analysis of the second tune.
        let first = tone(22_050, 2.0);
        let second: Vec<f32> = tone(22_050, 8.0)
            .iter()
            .enumerate()
            .map(|(i, s)| s * (1.0 + 0.5 * (i as f32 / 5000.0).sin()))
            .collect();
        let (mut fresh, _, fresh_params) = analyzer(22_050);
        push_in_blocks(&mut fresh, &second);
        let expected = fresh_params.history.lock().unwrap().slots[0].clone();
        assert_eq!(expected.len(), 2);
        for batch in [4096, 1000, 333] {
            let mut ring = first.clone();
            ring.push(f32::from_bits(RESET_MARK));
            ring.extend_from_slice(&second);
            let (mut marked, _, params) = analyzer(22_050);
            for block in ring.chunks(batch) {
                marked.push(block);
            }
            let history = params.history.lock().unwrap();
            let after: Vec<_> = history.slots[0].iter().collect();
            assert_eq!(after.len(), 2, "batch {batch}");
            for (got, want) in after.iter().zip(&expected) {
                assert_eq!(got.probs, want.probs, "batch {batch}");
                assert_eq!(got.chunk, want.chunk, "batch {batch}");
            }
            // The mark is not a sample.
            assert_eq!(
                history.analysed_samples,
                (first.len() + second.len()) as u64
            );
        }
    }

    #[test]
    fn a_saved_state_from_before_the_account_still_loads() {
        let old = r#"{"slots":[[{"task":"genre","segment":0,"chunk":0,"end_s":3.7,"probs":[1.0],"top":"rock"}]]}"#;
        let history: History = serde_json::from_str(old).unwrap();
        assert_eq!(history.len(), 1);
        assert_eq!((history.analysed_samples, history.dropped_samples), (0, 0));
    }

    #[test]
    fn non_finite_samples_are_counted() {
        let (mut analyzer, published, _) = analyzer(48_000);
        let mut block = tone(48_000, 0.1);
        block[3] = f32::NAN;
        block[7] = f32::INFINITY;
        analyzer.push(&block);
        assert_eq!(published.snapshot().invalid, 2);
    }
}
