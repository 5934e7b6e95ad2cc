//! The analysis history: the last chunks of each slot, saved with the host's project so that
//! reopening it shows the past, and so a host or a test can read the results from the state.
//!
//! Written by the analysis (one chunk at a time), read by the editor and the state serialiser;
//! never touched by the audio thread in real-time mode.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

/// Chunks of history kept per slot: over an hour at the `paper` preset's 3.7 s chunks, so a
/// session's history fits, and memory stays flat however long the plugin runs.
pub const HISTORY_PER_SLOT: usize = 1024;

/// One analysed chunk, as saved in the plugin state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// The slot's task (genre, mood, ...).
    pub task: String,
    /// Increases at each reset of the analysis state (transport restart, silence, new rate).
    pub segment: u64,
    /// Chunk index within the segment.
    pub chunk: u64,
    /// Where the chunk starts and ends, in seconds of host audio since the analysis started
    /// (activation): the engine's time convention (`mcclstm_engine::stream`), so a bounce's
    /// history and `mcclstm analyze --json` of the same audio give the same times. States saved
    /// before start times were kept load with a start of 0.
    #[serde(default)]
    pub start_s: f64,
    pub end_s: f64,
    /// The running track estimate after this chunk.
    pub probs: Vec<f32>,
    /// Label of the most probable class.
    pub top: String,
    /// Where the chunk starts on the host's transport (seconds of the song position), when the
    /// host was playing and said where; `None` otherwise (stopped, or a host without transport).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transport_s: Option<f64>,
    /// Seconds of host audio missing just before this chunk: the audio thread dropped them
    /// because the analysis had fallen a whole ring behind. `None` when nothing was missing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gap_before_s: Option<f64>,
}

/// The saved history: the last [`HISTORY_PER_SLOT`] chunks of each slot, and how much of the
/// host's audio the analysis saw. A loaded state is held to the same bounds (at most
/// [`crate::published::MAX_SLOTS`] slots of [`HISTORY_PER_SLOT`] chunks, the newest kept), so a
/// huge or hostile state cannot grow the plugin's memory or the editor's work.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(from = "SavedHistory")]
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

/// A history as a state holds it, before the bounds are applied.
#[derive(Deserialize)]
struct SavedHistory {
    slots: Vec<VecDeque<HistoryEntry>>,
    #[serde(default)]
    analysed_samples: u64,
    #[serde(default)]
    dropped_samples: u64,
}

impl From<SavedHistory> for History {
    fn from(saved: SavedHistory) -> Self {
        let mut slots = saved.slots;
        slots.truncate(crate::published::MAX_SLOTS);
        for queue in &mut slots {
            let excess = queue.len().saturating_sub(HISTORY_PER_SLOT);
            queue.drain(..excess);
        }
        Self {
            slots,
            analysed_samples: saved.analysed_samples,
            dropped_samples: saved.dropped_samples,
            writer: None,
        }
    }
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

    /// Forgets every chunk (the editor's "Clear"); the account of analysed and dropped samples
    /// stays. The running analysis's next chunk starts a new segment.
    pub fn clear_chunks(&mut self) {
        for queue in &mut self.slots {
            queue.clear();
        }
        self.writer = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_loaded_history_is_held_to_the_bounds_newest_kept() {
        let entry = |chunk: u64| HistoryEntry {
            task: "genre".into(),
            segment: 0,
            chunk,
            start_s: 0.0,
            end_s: 1.0,
            probs: vec![1.0],
            top: "a".into(),
            transport_s: None,
            gap_before_s: None,
        };
        let big = History {
            slots: vec![(0..HISTORY_PER_SLOT as u64 + 50).map(entry).collect(); 40],
            ..History::default()
        };
        let loaded: History = serde_json::from_str(&serde_json::to_string(&big).unwrap()).unwrap();
        assert_eq!(loaded.slots.len(), crate::published::MAX_SLOTS);
        for queue in &loaded.slots {
            assert_eq!(queue.len(), HISTORY_PER_SLOT);
            assert_eq!(
                queue.front().unwrap().chunk,
                50,
                "the newest chunks are kept"
            );
        }
    }

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
                    start_s: 0.0,
                    end_s: 0.0,
                    probs: vec![],
                    top: String::new(),
                    transport_s: None,
                    gap_before_s: None,
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
            start_s: 0.0,
            end_s: 0.0,
            probs: vec![],
            top: String::new(),
            transport_s: None,
            gap_before_s: None,
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
