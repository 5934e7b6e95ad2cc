//! The session's history as the editor's timeline, and as files: pure functions of the saved
//! [`History`] (no GUI here, so they are tested directly).
//!
//! - [`Timeline::of`]: one row per slot, the chunks merged into bars where the verdict holds (the
//!   same top class, or "unsure"), laid out on one time axis: the host's song position when every
//!   chunk has one ([`Axis::Transport`]), otherwise session time (seconds of host audio since the
//!   analysis started, the engine's convention), where a later analysis (a new activation, or a
//!   project reopened) restarts the clock, so its segments are placed after what came before.
//! - [`to_json`]: the history in the schema of `mcclstm analyze --json` (one file result, one
//!   model result per slot with its chunks), so the same tools read both.
//! - [`to_csv`]: one row per chunk, a column per class, for a spreadsheet.
//! - [`overall`]: a slot's verdict over its whole history, by the model's summary rule: what the
//!   editor shows beside the live estimate, and the export's `summary`.

use std::collections::{BTreeMap, VecDeque};

use mcclstm_engine::stream::output_mean;
use mcclstm_engine::{Summary, Verdict};
use serde_json::json;

use crate::history::{History, HistoryEntry};
use crate::published::SlotInfo;

/// Seconds left between the runs of two analyses on the time axis.
pub const RUN_GAP_S: f64 = 1.0;

/// Consecutive chunks of one slot with the same verdict.
#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    /// On the timeline's axis (see [`Timeline::start`]).
    pub start: f64,
    pub end: f64,
    /// The class shown; `None`: unsure.
    pub class: Option<usize>,
    /// Indices of its first and last chunk in the slot's history.
    pub first: usize,
    pub last: usize,
}

/// What the timeline's axis measures.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Axis {
    /// Seconds of audio since the analysis started, runs of later analyses placed after.
    #[default]
    Session,
    /// The host's song position: every chunk came with one.
    Transport,
}

/// The history laid out for the editor.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Timeline {
    pub axis: Axis,
    /// One row per slot (the history's slots, in order).
    pub rows: Vec<Vec<Bar>>,
    /// The axis spans `start..end` (0..0 when empty).
    pub start: f64,
    pub end: f64,
    /// Axis time of each history segment's time 0.
    offsets: BTreeMap<u64, f64>,
}

impl Timeline {
    /// Lays out `history`; `infos[slot]` gives each slot's labels and "unsure" threshold. The
    /// axis is the host's song position when every chunk has one, session time otherwise.
    pub fn of(history: &History, infos: &[SlotInfo]) -> Self {
        let transport = history.slots.iter().flatten().next().is_some()
            && history
                .slots
                .iter()
                .flatten()
                .all(|e| e.transport_s.is_some());
        let mut timeline = if transport {
            Self::transport_axis(history)
        } else {
            Self::session_axis(history)
        };
        timeline.rows = Self::bars(&timeline, history, infos);
        timeline
    }

    fn transport_axis(history: &History) -> Self {
        let (mut start, mut end) = (f64::INFINITY, f64::NEG_INFINITY);
        for e in history.slots.iter().flatten() {
            let s = e.transport_s.unwrap_or(0.0);
            start = start.min(s);
            end = end.max(s + (e.end_s - e.start_s));
        }
        Self {
            axis: Axis::Transport,
            start,
            end,
            ..Self::default()
        }
    }

    fn session_axis(history: &History) -> Self {
        // Each segment's span in its own analysis's clock, over every slot.
        let mut spans: BTreeMap<u64, (f64, f64)> = BTreeMap::new();
        for entry in history.slots.iter().flatten() {
            let span = spans
                .entry(entry.segment)
                .or_insert((entry.start_s, entry.end_s));
            span.0 = span.0.min(entry.start_s);
            span.1 = span.1.max(entry.end_s);
        }
        // Segments in order. Within one analysis a segment starts after the previous one ended
        // (a reset follows a silence or a jump); one that starts before belongs to a later
        // analysis, whose clock restarted: shift it (and the rest of its analysis) past the end.
        let mut offsets = BTreeMap::new();
        let (mut offset, mut last_end, mut end) = (0.0f64, f64::NEG_INFINITY, 0.0f64);
        let mut first = true;
        for (&segment, &(s, e)) in &spans {
            if first {
                offset = -s;
                first = false;
            } else if s < last_end - 1e-6 {
                offset = end + RUN_GAP_S - s;
            }
            last_end = e;
            offsets.insert(segment, offset);
            end = end.max(e + offset);
        }
        let start = spans
            .iter()
            .map(|(seg, (s, _))| s + offsets[seg])
            .fold(f64::INFINITY, f64::min);
        Self {
            axis: Axis::Session,
            rows: Vec::new(),
            start: if start.is_finite() { start } else { 0.0 },
            end,
            offsets,
        }
    }

    /// Each slot's chunks merged into bars on `timeline`'s axis.
    fn bars(timeline: &Timeline, history: &History, infos: &[SlotInfo]) -> Vec<Vec<Bar>> {
        let mut rows = Vec::new();
        for (slot, entries) in history.slots.iter().enumerate() {
            let unsure_below = infos
                .get(slot)
                .map_or(mcclstm_engine::confidence::DEFAULT_UNSURE_BELOW, |i| {
                    i.unsure_below
                });
            let labels = infos.get(slot).map(|i| i.labels.as_slice()).unwrap_or(&[]);
            let mut bars: Vec<Bar> = Vec::new();
            let mut previous_segment = None;
            for (k, entry) in entries.iter().enumerate() {
                let class = shown_class(entry, labels, unsure_below);
                let (start, end) = timeline.span_of(entry);
                match bars.last_mut() {
                    Some(bar)
                        if bar.class == class
                            && previous_segment == Some(entry.segment)
                            && entry.gap_before_s.is_none()
                            && start <= bar.end + 0.5 =>
                    {
                        bar.end = bar.end.max(end);
                        bar.last = k;
                    }
                    _ => bars.push(Bar {
                        start,
                        end,
                        class,
                        first: k,
                        last: k,
                    }),
                }
                previous_segment = Some(entry.segment);
            }
            rows.push(bars);
        }
        rows
    }

    /// A chunk's span on the axis.
    pub fn span_of(&self, entry: &HistoryEntry) -> (f64, f64) {
        if self.axis == Axis::Transport
            && let Some(t) = entry.transport_s
        {
            return (t, t + (entry.end_s - entry.start_s));
        }
        let offset = self.offsets.get(&entry.segment).copied().unwrap_or(0.0);
        (entry.start_s + offset, entry.end_s + offset)
    }

    /// The index of `slot`'s chunk under axis time `t`: the latest one whose span holds it.
    pub fn entry_at(&self, history: &History, slot: usize, t: f64) -> Option<usize> {
        let entries = history.slots.get(slot)?;
        entries
            .iter()
            .enumerate()
            .rev()
            .find(|(_, e)| {
                let (s, end) = self.span_of(e);
                s <= t && t < end
            })
            .map(|(k, _)| k)
    }
}

/// The class a chunk shows: its top class by label, or `None` when the verdict is "unsure".
fn shown_class(entry: &HistoryEntry, labels: &[String], unsure_below: f32) -> Option<usize> {
    let verdict = Verdict::of(&entry.probs, unsure_below);
    if entry.probs.is_empty() || verdict.unsure {
        return None;
    }
    // Saved entries name their top class; the index follows the current labels where it can.
    labels
        .iter()
        .position(|l| *l == entry.top)
        .or(Some(verdict.top))
}

/// A slot's outputs summarised over its whole history.
#[derive(Clone, Debug, PartialEq)]
pub struct Overall {
    pub probs: Vec<f32>,
    /// The chunks it was formed from: those of the latest chunk's width (chunks from a model of
    /// another task, loaded earlier in the session, are left out).
    pub chunks: usize,
    /// How it was formed: the model's rule.
    pub rule: Summary,
}

/// Which chunks of a slot's history an [`Overall`] verdict is formed from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Span {
    /// All of them: what the JSON export's summary says.
    History,
    /// Those since the analysis last reset (after a silence, a transport jump, a new rate): the
    /// latest segment, e.g. the song a DJ plays now after the ones before it.
    Segment,
}

/// `entries` (a slot's history, or its latest segment: `span`) summarised as `mcclstm analyze`
/// summarises a file, by the rule of the slot's model (`info.track_summary`): the mean of the
/// running estimates over the chunks of the latest chunk's width, or the latest estimate. `None`
/// for an empty history.
pub fn overall(entries: &VecDeque<HistoryEntry>, info: &SlotInfo, span: Span) -> Option<Overall> {
    let last = entries.back()?;
    let width = last.probs.len();
    let same = || {
        entries.iter().filter(|e| {
            e.probs.len() == width && (span == Span::History || e.segment == last.segment)
        })
    };
    let probs = match info.track_summary {
        Summary::Mean => output_mean(same().map(|e| e.probs.as_slice())),
        Summary::Last => last.probs.clone(),
    };
    Some(Overall {
        probs,
        chunks: same().count(),
        rule: info.track_summary,
    })
}

/// The history in the schema of `mcclstm analyze --json`: an array of one file result whose
/// `models` hold one result per slot with chunks. `probs` and `track` are both the running
/// estimate the plugin saved (for the stateful default models they are the same thing); the
/// `summary`, and the verdict on it, is the slot's [`overall`] verdict, as `analyze` summarises
/// a file.
pub fn to_json(history: &History, infos: &[SlotInfo]) -> serde_json::Value {
    let mut models = Vec::new();
    for (slot, entries) in history.slots.iter().enumerate() {
        let Some(last) = entries.back() else { continue };
        let info = infos.get(slot).cloned().unwrap_or_default();
        let labels = if info.labels.len() == last.probs.len() {
            info.labels.clone()
        } else {
            (0..last.probs.len())
                .map(|i| format!("class {i}"))
                .collect()
        };
        let summary = overall(entries, &info, Span::History)
            .map(|o| o.probs)
            .unwrap_or_default();
        let verdict = Verdict::of(&summary, info.unsure_below);
        let chunks: Vec<serde_json::Value> = entries
            .iter()
            .map(|e| {
                json!({
                    "segment": e.segment,
                    "index": e.chunk,
                    "start_s": e.start_s,
                    "end_s": e.end_s,
                    "probs": e.probs,
                    "track": e.probs,
                    // Audio dropped just before this chunk (the analysis fell behind); null when
                    // nothing was missing.
                    "gap_before_s": e.gap_before_s,
                })
            })
            .collect();
        models.push(json!({
            "model": if info.source.is_empty() { "plugin".to_string() } else { info.source.clone() },
            "task": last.task,
            "architecture": info.model,
            "labels": labels,
            "top": labels.get(verdict.top),
            "second": labels.get(verdict.second),
            "unsure": verdict.unsure,
            "chunks": chunks,
            "summary": summary,
        }));
    }
    json!([{
        "file": "MCCLSTM plugin session",
        "duration_s": serde_json::Value::Null,
        "sample_rate": serde_json::Value::Null,
        "channels": serde_json::Value::Null,
        "invalid_samples": 0,
        "silence_resets": 0,
        "analysed_samples": history.analysed_samples,
        "dropped_samples": history.dropped_samples,
        "models": models,
        "error": serde_json::Value::Null,
    }])
}

/// The history as CSV: one row per chunk of every slot, with its verdict and a column per class
/// of every slot's labels (empty where the class is not the row's task's).
pub fn to_csv(history: &History, infos: &[SlotInfo]) -> String {
    let mut columns: Vec<String> = Vec::new();
    for info in infos {
        for label in &info.labels {
            if !columns.contains(label) {
                columns.push(label.clone());
            }
        }
    }
    let mut out = String::from("task,segment,chunk,start_s,end_s,top,top_p,second,second_p,unsure");
    for c in &columns {
        out.push(',');
        out.push_str(&csv_field(c));
    }
    out.push('\n');
    for (slot, entries) in history.slots.iter().enumerate() {
        let info = infos.get(slot).cloned().unwrap_or_default();
        for e in entries {
            let v = Verdict::of(&e.probs, info.unsure_below);
            let name = |i: usize| info.labels.get(i).map_or("", String::as_str);
            out.push_str(&format!(
                "{},{},{},{:.3},{:.3},{},{:.4},{},{:.4},{}",
                csv_field(&e.task),
                e.segment,
                e.chunk,
                e.start_s,
                e.end_s,
                csv_field(name(v.top)),
                v.top_p,
                csv_field(name(v.second)),
                v.second_p,
                v.unsure
            ));
            for c in &columns {
                out.push(',');
                if let Some(i) = info.labels.iter().position(|l| l == c)
                    && let Some(p) = e.probs.get(i)
                {
                    out.push_str(&format!("{p:.4}"));
                }
            }
            out.push('\n');
        }
    }
    out
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(labels: &[&str]) -> SlotInfo {
        SlotInfo {
            task: "genre".into(),
            labels: labels.iter().map(|l| l.to_string()).collect(),
            ..SlotInfo::default()
        }
    }

    fn entry(segment: u64, chunk: u64, start_s: f64, probs: &[f32], top: &str) -> HistoryEntry {
        HistoryEntry {
            task: "genre".into(),
            segment,
            chunk,
            start_s,
            end_s: start_s + 3.762,
            probs: probs.to_vec(),
            top: top.into(),
            transport_s: None,
            gap_before_s: None,
        }
    }

    fn history() -> History {
        let rock = [0.1, 0.8, 0.1];
        let tie = [0.3, 0.35, 0.35];
        let jazz = [0.05, 0.05, 0.9];
        let mut h = History::default();
        // Analysis 1: segment 0 (rock, rock, unsure, jazz), then a silence reset: segment 1.
        for (k, (p, top)) in [
            (rock, "rock"),
            (rock, "rock"),
            (tie, "rock"),
            (jazz, "jazz"),
        ]
        .into_iter()
        .enumerate()
        {
            h.push(0, entry(0, k as u64, k as f64 * 3.715, &p, top));
        }
        h.push(0, entry(1, 0, 25.0, &jazz, "jazz"));
        // Analysis 2 (a new activation): its clock starts at 0 again.
        h.push(0, entry(2, 0, 0.0, &rock, "rock"));
        h
    }

    #[test]
    fn chunks_merge_where_the_verdict_holds_and_a_new_analysis_goes_after_the_last() {
        let h = history();
        let infos = [info(&["blues", "rock", "jazz"])];
        let t = Timeline::of(&h, &infos);
        let row = &t.rows[0];
        let classes: Vec<Option<usize>> = row.iter().map(|b| b.class).collect();
        // rock x2 merged, unsure, jazz; jazz again in the next segment (a reset keeps bars apart);
        // rock in the second analysis.
        assert_eq!(classes, [Some(1), None, Some(2), Some(2), Some(1)]);
        assert_eq!((row[0].first, row[0].last), (0, 1));
        assert!((row[0].end - (3.715 + 3.762)).abs() < 1e-9);
        // The second analysis starts after the first one's end, with the gap.
        let first_end = 25.0 + 3.762;
        assert!(
            (row[4].start - (first_end + RUN_GAP_S)).abs() < 1e-9,
            "{row:?}"
        );
        assert!((t.end - (first_end + RUN_GAP_S + 3.762)).abs() < 1e-9);
        assert_eq!(t.start, 0.0);
        // Hover: the chunk under a time, latest first where two overlap.
        assert_eq!(t.entry_at(&h, 0, 1.0), Some(0));
        assert_eq!(t.entry_at(&h, 0, 3.72), Some(1));
        assert_eq!(t.entry_at(&h, 0, first_end + RUN_GAP_S + 1.0), Some(5));
        assert_eq!(t.entry_at(&h, 0, 20.0), None);
        assert_eq!(
            Timeline::of(&History::default(), &infos),
            Timeline::default()
        );
    }

    #[test]
    fn a_chunk_after_dropped_audio_starts_a_bar_of_its_own_and_the_export_says_so() {
        // Three rock chunks in one segment; 0.2 s were dropped before the third (it starts that
        // much later, well within the half second that would otherwise merge it).
        let rock = [0.1, 0.8, 0.1];
        let mut h = History::default();
        h.push(0, entry(0, 0, 0.0, &rock, "rock"));
        h.push(0, entry(0, 1, 3.715, &rock, "rock"));
        let mut after_gap = entry(0, 2, 2.0 * 3.715 + 0.2, &rock, "rock");
        after_gap.gap_before_s = Some(0.2);
        h.push(0, after_gap);
        let infos = [info(&["blues", "rock", "jazz"])];
        let row = &Timeline::of(&h, &infos).rows[0];
        assert_eq!(row.len(), 2, "{row:?}");
        assert_eq!((row[0].first, row[0].last, row[1].first), (0, 1, 2));
        let json = to_json(&h, &infos);
        let chunks = &json[0]["models"][0]["chunks"];
        assert_eq!(chunks[1]["gap_before_s"], serde_json::Value::Null);
        assert_eq!(chunks[2]["gap_before_s"], 0.2);
    }

    #[test]
    fn with_the_hosts_song_position_on_every_chunk_the_axis_is_the_song() {
        let mut h = history();
        for (k, e) in h.slots[0].iter_mut().enumerate() {
            // Each pass of a loop from 30 s: the same song positions again.
            e.transport_s = Some(30.0 + (k % 2) as f64 * 3.715);
        }
        let infos = [info(&["blues", "rock", "jazz"])];
        let t = Timeline::of(&h, &infos);
        assert_eq!(t.axis, Axis::Transport);
        assert_eq!(t.start, 30.0);
        assert!((t.end - (30.0 + 3.715 + 3.762)).abs() < 1e-9);
        // The latest pass is what the pointer finds.
        assert_eq!(t.entry_at(&h, 0, 31.0), Some(4));
        // One chunk without a position: session time for all.
        h.slots[0][2].transport_s = None;
        assert_eq!(Timeline::of(&h, &infos).axis, Axis::Session);
    }

    #[test]
    fn json_export_reads_back_as_analyze_output_and_csv_has_a_row_per_chunk() {
        let h = history();
        let infos = [info(&["blues", "rock", "jazz"])];
        let json = to_json(&h, &infos);
        let model = &json[0]["models"][0];
        // The engine's own type reads it: the same schema as `mcclstm analyze --json`.
        let analysis: mcclstm_engine::TrackAnalysis =
            serde_json::from_value(model.clone()).unwrap();
        assert_eq!(analysis.chunks.len(), 6);
        assert_eq!(analysis.chunks[3].track, vec![0.05, 0.05, 0.9]);
        // The summary is the mean of the six chunks (rock, rock, tie, jazz, jazz, rock), as
        // `analyze` summarises a file, not the last chunk.
        let want = [0.7 / 6.0, 2.85 / 6.0, 2.45 / 6.0];
        for (got, want) in analysis.summary.iter().zip(want) {
            assert!((got - want).abs() < 1e-6, "{:?}", analysis.summary);
        }
        assert_eq!(model["top"], "rock");
        assert_eq!(model["second"], "jazz");
        assert_eq!(
            model["unsure"], true,
            "0.475 is under the default threshold of 0.5"
        );
        assert_eq!(model["labels"][2], "jazz");

        let csv = to_csv(&h, &infos);
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 7);
        assert_eq!(
            lines[0],
            "task,segment,chunk,start_s,end_s,top,top_p,second,second_p,unsure,blues,rock,jazz"
        );
        assert!(lines[3].starts_with("genre,0,2,7.430,11.192,rock,0.3500,jazz,0.3500,true,"));
        assert!(
            lines[1].ends_with(",false,0.1000,0.8000,0.1000"),
            "{}",
            lines[1]
        );
        assert_eq!(csv_field("a,b"), "\"a,b\"");
    }

    #[test]
    fn a_model_that_summarises_by_its_last_estimate_exports_the_last_chunk() {
        let h = history();
        let infos = [SlotInfo {
            track_summary: Summary::Last,
            ..info(&["blues", "rock", "jazz"])
        }];
        let json = to_json(&h, &infos);
        let model = &json[0]["models"][0];
        let analysis: mcclstm_engine::TrackAnalysis =
            serde_json::from_value(model.clone()).unwrap();
        let last = h.slots[0].back().unwrap();
        assert_eq!(analysis.summary, last.probs);
        // The mean of the same chunks leads with rock too but is unsure at 0.475: the last
        // chunk is not.
        assert_eq!(model["top"], "rock");
        assert_eq!(model["unsure"], false, "{:?}", analysis.summary);
    }

    #[test]
    fn the_overall_verdict_follows_the_rule_over_the_chunks_of_the_current_width() {
        let mut h = history();
        let three = info(&["blues", "rock", "jazz"]);
        // Two chunks of an earlier four-class model come first: left out of both rules.
        for k in 0..2 {
            h.slots[0].push_front(entry(0, k, 0.0, &[0.0, 0.0, 0.0, 1.0], "other"));
        }
        let mean = overall(&h.slots[0], &three, Span::History).unwrap();
        assert_eq!((mean.chunks, mean.rule), (6, Summary::Mean));
        let want = [0.7 / 6.0, 2.85 / 6.0, 2.45 / 6.0];
        for (got, want) in mean.probs.iter().zip(want) {
            assert!((got - want).abs() < 1e-6, "{:?}", mean.probs);
        }
        // The export's summary is the same verdict.
        let json = to_json(&h, std::slice::from_ref(&three));
        let summary: Vec<f32> =
            serde_json::from_value(json[0]["models"][0]["summary"].clone()).unwrap();
        assert_eq!(summary, mean.probs);
        let last_rule = SlotInfo {
            track_summary: Summary::Last,
            ..three.clone()
        };
        let last = overall(&h.slots[0], &last_rule, Span::History).unwrap();
        assert_eq!(last.probs, h.slots[0].back().unwrap().probs);
        assert_eq!((last.chunks, last.rule), (6, Summary::Last));
        assert_eq!(overall(&VecDeque::new(), &last_rule, Span::History), None);
        // Since the last reset: the latest segment's one rock chunk alone, by either rule.
        for rule in [&three, &last_rule] {
            let segment = overall(&h.slots[0], rule, Span::Segment).unwrap();
            assert_eq!(segment.chunks, 1);
            assert_eq!(segment.probs, [0.1, 0.8, 0.1]);
        }
        // Within the segment before it (a silence reset ended it): its own chunk only.
        let mut earlier = h.slots[0].clone();
        earlier.pop_back();
        let segment = overall(&earlier, &three, Span::Segment).unwrap();
        assert_eq!((segment.chunks, segment.probs), (1, vec![0.05, 0.05, 0.9]));
        let whole = overall(&earlier, &three, Span::History).unwrap();
        assert_eq!(whole.chunks, 5);
    }
}
