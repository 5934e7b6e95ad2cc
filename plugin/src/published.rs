//! What the analysis publishes for the editor: one coherent [`Snapshot`] of the live results per
//! update, handed over through a triple buffer, so a repaint never mixes chunk N of one slot (or
//! one class) with chunk N+1 of another; plus each slot's model description, and the counters the
//! audio thread bumps.
//!
//! Data flows one way: the analysis writes, the editor reads. The audio thread touches only the
//! atomic counters ([`Published::dropped`], [`Published::reset_requests`]) and, in real-time
//! mode, marks resets in the ring itself (`analyzer::RESET_MARK`).

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64};

pub use crate::history::{History, HistoryEntry};

/// Model slots: genre, mood, and dance and style (off by default): one per embedded model.
pub const MAX_SLOTS: usize = mcclstm_models::SLOTS.len();
/// Most classes a slot can publish; the contract does not limit labels, the display does.
pub const MAX_CLASSES: usize = 32;

/// The live result of one slot, as of one update.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SlotSnapshot {
    /// Whether the slot has a model running.
    pub active: bool,
    /// The running track estimate after the last chunk, one value per class (the first
    /// `labels.len()` are meaningful).
    pub probs: [f32; MAX_CLASSES],
    /// Chunks completed since the plugin was created (never reset): the editor repaints when it
    /// changes, and a test waits on it.
    pub sequence: u64,
    /// Chunks since the last reset of the analysis state.
    pub chunks_since_reset: u64,
    /// Fraction of the current chunk already collected, 0..1.
    pub progress: f32,
    /// Time the last chunk's model step took, in milliseconds.
    pub step_ms: f32,
    /// `probs` is a provisional estimate between chunk boundaries (the latest window stepped from
    /// the last committed state, committing nothing); false: the last committed chunk's result.
    pub provisional: bool,
    /// Results published, committed and provisional (never reset): the editor's update count.
    pub updates: u64,
    /// End of the audio the shown result heard, in seconds since the analysis started.
    pub heard_to_s: f64,
}

impl Default for SlotSnapshot {
    fn default() -> Self {
        Self {
            active: false,
            probs: [0.0; MAX_CLASSES],
            sequence: 0,
            chunks_since_reset: 0,
            progress: 0.0,
            step_ms: 0.0,
            provisional: false,
            updates: 0,
            heard_to_s: 0.0,
        }
    }
}

impl SlotSnapshot {
    /// The probabilities of the first `classes` classes.
    pub fn probs(&self, classes: usize) -> &[f32] {
        &self.probs[..classes.min(MAX_CLASSES)]
    }
}

/// Everything the editor shows that changes as audio is analysed, taken at one moment.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Snapshot {
    pub slots: [SlotSnapshot; MAX_SLOTS],
    /// True while the input has been silent for longer than the threshold.
    pub silence: bool,
    /// NaN or infinite samples, analysed as zero.
    pub invalid: u64,
}

/// What the editor shows about a slot's model.
#[derive(Clone, Debug)]
pub struct SlotInfo {
    pub task: String,
    pub labels: Vec<String>,
    /// "MCCLSTM · trained on GTZAN" and the like.
    pub model: String,
    /// Where the model came from: "embedded" or a path.
    pub source: String,
    /// What runs it: "fast (avx2+fma)", "tract", ... (`Model::runner_name`).
    pub runner: String,
    /// Why the last model load failed; the previous model keeps running.
    pub error: Option<String>,
    /// Top-class probability below which the slot shows "unsure" with its two leading classes
    /// (the model's stored threshold, or the default).
    pub unsure_below: f32,
    /// Whether the model carries a fitted calibration.
    pub calibrated: bool,
    /// Exclusive classes, or independent tags (the `style` model): a tag slot shows the tags
    /// present at `TAG_PRESENT` or more, not one class.
    pub outputs: mcclstm_engine::Outputs,
    /// How the session's whole-track summary is formed (the JSON export): the model's rule.
    pub track_summary: mcclstm_engine::Summary,
}

impl Default for SlotInfo {
    fn default() -> Self {
        Self {
            task: String::new(),
            labels: Vec::new(),
            model: String::new(),
            source: String::new(),
            runner: String::new(),
            error: None,
            unsure_below: mcclstm_engine::confidence::DEFAULT_UNSURE_BELOW,
            calibrated: false,
            outputs: mcclstm_engine::Outputs::Exclusive,
            track_summary: mcclstm_engine::Summary::Mean,
        }
    }
}

impl SlotInfo {
    /// What the slot shows for `probs`: the leading class, or "unsure" and the two leaders. For
    /// independent tags: the strongest tag, "unsure" when no tag is present.
    pub fn verdict(&self, probs: &[f32]) -> mcclstm_engine::Verdict {
        let below = match self.outputs {
            mcclstm_engine::Outputs::Exclusive => self.unsure_below,
            mcclstm_engine::Outputs::Independent => mcclstm_engine::confidence::TAG_PRESENT,
        };
        mcclstm_engine::Verdict::of(probs, below)
    }

    /// The tags of `probs` present at `TAG_PRESENT` or more, strongest first, as "electronic
    /// 62% · synth 41%"; `None` for exclusive classes or when no tag is present.
    pub fn present_tags(&self, probs: &[f32]) -> Option<String> {
        if self.outputs != mcclstm_engine::Outputs::Independent {
            return None;
        }
        let tags = mcclstm_engine::confidence::present_tags(probs);
        (!tags.is_empty()).then(|| {
            tags.iter()
                .filter_map(|&(i, p)| Some(format!("{} {:.0}%", self.labels.get(i)?, p * 100.0)))
                .collect::<Vec<_>>()
                .join(" · ")
        })
    }
}

/// Everything the analysis publishes.
pub struct Published {
    /// The analysis's end of the snapshot buffer. Only one analysis exists at a time (the plugin
    /// joins the old one before it builds the next), so this lock is never contended.
    snapshot_in: Mutex<triple_buffer::Input<Snapshot>>,
    /// The readers' end (editor, tests). Only readers on the GUI thread take it.
    snapshot_out: Mutex<triple_buffer::Output<Snapshot>>,
    /// Labels, model description and the last error per slot. Changes only when a model is
    /// installed or fails; read and written by the analysis and editor threads, never by the
    /// audio thread, so a mutex is fine here.
    pub info: [Mutex<SlotInfo>; MAX_SLOTS],
    /// Host samples the audio thread could not hand over because the analysis fell behind.
    pub dropped: AtomicU64,
    /// Incremented by the audio thread (reset, transport restart) while the analysis runs inline
    /// (offline); the analysis resets its state when it sees a new value. In real-time mode the
    /// audio thread marks resets in the ring instead, at the exact sample.
    pub reset_requests: AtomicU64,
    /// True while the host renders offline (analysis inline in `process()`).
    pub offline: AtomicBool,
    /// True while an editor window is open: live estimates between chunks are computed only
    /// for someone watching (see [`crate::analyzer::LiveEstimates`]).
    pub editor_open: AtomicBool,
}

impl Default for Published {
    fn default() -> Self {
        let (input, output) = triple_buffer::triple_buffer(&Snapshot::default());
        Self {
            snapshot_in: Mutex::new(input),
            snapshot_out: Mutex::new(output),
            info: Default::default(),
            dropped: AtomicU64::new(0),
            reset_requests: AtomicU64::new(0),
            offline: AtomicBool::new(false),
            editor_open: AtomicBool::new(false),
        }
    }
}

impl Published {
    /// Publishes a whole snapshot at once. Never allocates (the buffer holds plain values).
    pub fn publish(&self, snapshot: &Snapshot) {
        if let Ok(mut input) = self.snapshot_in.lock() {
            input.write(*snapshot);
        }
    }

    /// The latest published snapshot, whole.
    pub fn snapshot(&self) -> Snapshot {
        self.snapshot_out
            .lock()
            .map(|mut output| *output.read())
            .unwrap_or_default()
    }

    /// A copy of a slot's model description.
    pub fn info(&self, slot: usize) -> SlotInfo {
        self.info
            .get(slot)
            .and_then(|i| i.lock().ok().map(|i| i.clone()))
            .unwrap_or_default()
    }

    /// Records why a slot's model could not be loaded or run.
    pub fn set_error(&self, slot: usize, error: String) {
        if let Some(Ok(mut info)) = self.info.get(slot).map(Mutex::lock) {
            info.error = Some(error);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tag_slot_shows_every_present_tag_and_an_exclusive_slot_none() {
        let tags = SlotInfo {
            labels: ["electronic", "piano", "synth"].map(String::from).to_vec(),
            outputs: mcclstm_engine::Outputs::Independent,
            ..SlotInfo::default()
        };
        // Independent: two tags present at 0.3 or more, strongest first; they sum past 1.
        let probs = [0.62, 0.12, 0.81];
        assert_eq!(
            tags.present_tags(&probs).as_deref(),
            Some("synth 81% · electronic 62%")
        );
        // The timeline's verdict: the strongest tag, unsure only when no tag is present.
        assert!(!tags.verdict(&probs).unsure);
        assert!(tags.verdict(&[0.2, 0.1, 0.25]).unsure);
        assert_eq!(tags.present_tags(&[0.2, 0.1, 0.25]), None);
        // Exclusive classes keep their verdict and show no tag list.
        let classes = SlotInfo {
            outputs: mcclstm_engine::Outputs::Exclusive,
            ..tags
        };
        assert_eq!(classes.present_tags(&[0.2, 0.3, 0.5]), None);
        assert!(!classes.verdict(&[0.2, 0.3, 0.5]).unsure);
        assert!(classes.verdict(&[0.35, 0.3, 0.35]).unsure);
    }

    #[test]
    fn a_reader_sees_whole_snapshots_only() {
        // Two slots always published together with equal sequences: every read sees them equal,
        // while the writer runs on another thread.
        let published = std::sync::Arc::new(Published::default());
        let writer = {
            let published = published.clone();
            std::thread::spawn(move || {
                let mut s = Snapshot::default();
                for n in 1..=20_000u64 {
                    for slot in &mut s.slots {
                        slot.sequence = n;
                        slot.probs.fill(n as f32);
                    }
                    published.publish(&s);
                }
            })
        };
        let mut last = 0;
        while !writer.is_finished() {
            let s = published.snapshot();
            assert_eq!(s.slots[0].sequence, s.slots[1].sequence);
            assert!(
                s.slots[1]
                    .probs
                    .iter()
                    .all(|&p| p == s.slots[0].sequence as f32)
            );
            assert!(s.slots[0].sequence >= last);
            last = s.slots[0].sequence;
        }
        writer.join().unwrap();
        assert_eq!(published.snapshot().slots[2].sequence, 20_000);
    }
}
