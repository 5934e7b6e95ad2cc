//! Results the analysis publishes for the editor and the host: lock-free values for the live
//! display, and a bounded history of past chunks that is saved with the plugin state.
//!
//! Data flows one way: the analysis writes, the editor and the state reader read. The audio thread
//! touches only the atomic counters ([`Published::dropped`], [`Published::reset_requests`]) and,
//! in real-time mode, marks resets in the ring itself (`analysis::RESET_MARK`).

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use atomic_float::AtomicF32;
use serde::{Deserialize, Serialize};

/// Model slots: genre, mood, and dance (off by default).
pub const MAX_SLOTS: usize = 3;
/// Most classes a slot can publish; the contract does not limit labels, the display does.
pub const MAX_CLASSES: usize = 32;
/// Chunks of history kept per slot: over an hour at the `paper` preset's 3.7 s chunks, so a
/// session's history fits, and memory stays flat however long the plugin runs.
pub const HISTORY_PER_SLOT: usize = 1024;

/// The live result of one slot.
pub struct SlotResults {
    /// The running track estimate after the last chunk, one value per class.
    pub probs: [AtomicF32; MAX_CLASSES],
    /// Chunks completed since the plugin was created (never reset): the editor repaints when it
    /// changes, and a test waits on it.
    pub sequence: AtomicU64,
    /// Chunks since the last reset of the analysis state.
    pub chunks_since_reset: AtomicU64,
    /// Fraction of the current chunk already collected, 0..1.
    pub progress: AtomicF32,
    /// Time the last chunk's model step took, in milliseconds.
    pub step_ms: AtomicF32,
    /// Whether the slot has a model running.
    pub active: AtomicBool,
    /// Labels, model description and the last error. Read and written by the analysis and editor
    /// threads only, never by the audio thread, so a mutex is fine here.
    pub info: Mutex<SlotInfo>,
}

/// What the editor shows about a slot's model.
#[derive(Clone, Debug, Default)]
pub struct SlotInfo {
    pub task: String,
    pub labels: Vec<String>,
    /// "MCCLSTM · trained on GTZAN" and the like.
    pub model: String,
    /// Where the model came from: "embedded" or a path.
    pub source: String,
    /// Why the last model load failed; the previous model keeps running.
    pub error: Option<String>,
}

impl Default for SlotResults {
    fn default() -> Self {
        Self {
            probs: std::array::from_fn(|_| AtomicF32::new(0.0)),
            sequence: AtomicU64::new(0),
            chunks_since_reset: AtomicU64::new(0),
            progress: AtomicF32::new(0.0),
            step_ms: AtomicF32::new(0.0),
            active: AtomicBool::new(false),
            info: Mutex::new(SlotInfo::default()),
        }
    }
}

impl SlotResults {
    /// Copies the current probabilities (as many as there are labels).
    pub fn snapshot(&self, classes: usize) -> Vec<f32> {
        self.probs
            .iter()
            .take(classes.min(MAX_CLASSES))
            .map(|p| p.load(Ordering::Relaxed))
            .collect()
    }
}

/// Everything the analysis publishes.
#[derive(Default)]
pub struct Published {
    pub slots: [SlotResults; MAX_SLOTS],
    /// Host samples the audio thread could not hand over because the analysis fell behind.
    pub dropped: AtomicU64,
    /// NaN or infinite samples, analysed as zero.
    pub invalid: AtomicU64,
    /// True while the input has been silent for longer than the threshold.
    pub silence: AtomicBool,
    /// Incremented by the audio thread (reset, transport restart) while the analysis runs inline
    /// (offline); the analysis resets its state when it sees a new value. In real-time mode the
    /// audio thread marks resets in the ring instead, at the exact sample.
    pub reset_requests: AtomicU64,
    /// True while the host renders offline (analysis inline in `process()`).
    pub offline: AtomicBool,
}

/// One analysed chunk, as saved in the plugin state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// The slot's task (genre, mood, ...).
    pub task: String,
    /// Increases at each reset of the analysis state (transport restart, silence, new rate).
    pub segment: u64,
    /// Chunk index within the segment.
    pub chunk: u64,
    /// Seconds from the start of the segment to the end of the chunk, at the model's rate.
    pub end_s: f64,
    /// The running track estimate after this chunk.
    pub probs: Vec<f32>,
    /// Label of the most probable class.
    pub top: String,
}

/// The saved history: the last [`HISTORY_PER_SLOT`] chunks of each slot, and how much of the
/// host's audio the analysis saw.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct History {
    pub slots: Vec<VecDeque<HistoryEntry>>,
    /// Host samples (per channel) handed to the analysis, over every session of this state.
    #[serde(default)]
    pub analysed_samples: u64,
    /// Host samples the audio thread dropped because the analysis had fallen behind (its ring was
    /// full), over every session of this state. Together with `analysed_samples` this accounts for
    /// every sample the host processed, so a host (or a user) can tell how much was not analysed.
    #[serde(default)]
    pub dropped_samples: u64,
    /// The segment the running analysis writes to. Not saved, so a state loaded by the host
    /// (which replaces the whole history, also while the plugin is active, as Ardour does when it
    /// opens a project) has none, and the next chunk starts a segment after all it holds.
    #[serde(skip)]
    writer: Option<SegmentWriter>,
}

/// Which history segment one analysis's local segment (its count of resets) was given.
#[derive(Clone, Copy, Debug)]
struct SegmentWriter {
    analysis: u64,
    local: u64,
    segment: u64,
}

/// Histories are equal when they hold the same chunks and counts; who writes next is not part of
/// what was saved.
impl PartialEq for History {
    fn eq(&self, other: &Self) -> bool {
        self.slots == other.slots
            && self.analysed_samples == other.analysed_samples
            && self.dropped_samples == other.dropped_samples
    }
}

impl History {
    /// Appends a chunk of the analysis numbered `analysis` (unique per analysis instance), in the
    /// `local`-th segment of that analysis (its resets so far), and numbers its segment: the first
    /// chunk of a new local segment, of a new analysis, or after a state was loaded starts a
    /// segment after every one the history holds, so restored and new chunks never share one.
    pub fn push_chunk(&mut self, slot: usize, analysis: u64, local: u64, mut entry: HistoryEntry) {
        let segment = match self.writer {
            Some(w) if w.analysis == analysis && w.local == local => w.segment,
            _ => {
                let segment = self.next_segment();
                self.writer = Some(SegmentWriter {
                    analysis,
                    local,
                    segment,
                });
                segment
            }
        };
        entry.segment = segment;
        self.push(slot, entry);
    }

    pub fn push(&mut self, slot: usize, entry: HistoryEntry) {
        if self.slots.len() <= slot {
            self.slots.resize_with(slot + 1, VecDeque::new);
        }
        let queue = &mut self.slots[slot];
        if queue.len() == HISTORY_PER_SLOT {
            queue.pop_front();
        }
        queue.push_back(entry);
    }

    pub fn len(&self) -> usize {
        self.slots.iter().map(VecDeque::len).sum()
    }

    /// The segment number that follows every saved one, so an analysis started after a rate
    /// change or a reloaded project never shares a segment with what came before.
    pub fn next_segment(&self) -> u64 {
        self.slots
            .iter()
            .flatten()
            .map(|e| e.segment + 1)
            .max()
            .unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_is_bounded_per_slot() {
        let mut h = History::default();
        for i in 0..(HISTORY_PER_SLOT as u64 + 10) {
            h.push(
                1,
                HistoryEntry {
                    task: "mood".into(),
                    segment: 0,
                    chunk: i,
                    end_s: 0.0,
                    probs: vec![],
                    top: String::new(),
                },
            );
        }
        assert_eq!(h.slots[1].len(), HISTORY_PER_SLOT);
        assert_eq!(h.slots[1].front().unwrap().chunk, 10);
        assert!(h.slots[0].is_empty());
    }

    fn chunk(task: &str, chunk: u64) -> HistoryEntry {
        HistoryEntry {
            task: task.into(),
            segment: u64::MAX,
            chunk,
            end_s: 0.0,
            probs: vec![],
            top: String::new(),
        }
    }

    fn segments(h: &History, slot: usize) -> Vec<u64> {
        h.slots[slot].iter().map(|e| e.segment).collect()
    }

    #[test]
    fn segments_are_numbered_by_the_history_and_never_shared_with_a_loaded_state() {
        let mut h = History::default();
        // One analysis: both slots' chunks of a local segment share its number; a reset (the next
        // local segment) starts the next number.
        h.push_chunk(0, 1, 0, chunk("genre", 0));
        h.push_chunk(1, 1, 0, chunk("mood", 0));
        h.push_chunk(0, 1, 0, chunk("genre", 1));
        h.push_chunk(0, 1, 1, chunk("genre", 0));
        h.push_chunk(1, 1, 1, chunk("mood", 0));
        assert_eq!(segments(&h, 0), [0, 0, 1]);
        assert_eq!(segments(&h, 1), [0, 1]);
        // The host loads a saved state while that analysis runs: its next chunk, still in the
        // same local segment, goes after everything the loaded history holds.
        let saved = serde_json::to_string(&h).unwrap();
        let mut loaded: History = serde_json::from_str(&saved).unwrap();
        assert_eq!(loaded, h);
        loaded.push_chunk(0, 1, 1, chunk("genre", 1));
        loaded.push_chunk(1, 1, 1, chunk("mood", 1));
        assert_eq!(segments(&loaded, 0), [0, 0, 1, 2]);
        assert_eq!(segments(&loaded, 1), [0, 1, 2]);
        // A new analysis (a new activation) starts a new segment too.
        loaded.push_chunk(0, 2, 0, chunk("genre", 0));
        assert_eq!(segments(&loaded, 0), [0, 0, 1, 2, 3]);
    }
}
