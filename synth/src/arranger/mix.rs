//! The parts as channels of one file: each part's mixer role (channel, level against the class
//! volume, how wet), `tidy` (clip to the end, no overlapping same-key notes), and the format-1
//! Standard MIDI File (a tempo/meter map track, then one track per part), written through the
//! crate's one MIDI writer in [`crate::midi`].

use crate::midi::{ChannelSetup, Track, write_tracks};

use super::plan::Plan;
use super::theory::{Note, key_signature};

/// One track and channel of the file, with its mixer settings.
pub(super) struct Part {
    pub(super) name: &'static str,
    pub(super) setup: ChannelSetup,
    pub(super) notes: Vec<Note>,
}

/// Mixer role of a part: its channel, CC7 gain against the class volume and send scale (a dry
/// bass and drier drums keep the low end from washing out).
pub(super) struct Role {
    pub(super) name: &'static str,
    pub(super) channel: u8,
    pub(super) gain: f32,
    pub(super) wet: f32,
}

#[rustfmt::skip]
mod roles {
    use super::Role;
    pub const DRUMS: Role = Role { name: "drums", channel: 9, gain: 0.95, wet: 0.6 };
    pub const BASS: Role = Role { name: "bass", channel: 0, gain: 0.95, wet: 0.35 };
    pub const COMP: Role = Role { name: "comp", channel: 1, gain: 0.85, wet: 1.0 };
    pub const MELODY: Role = Role { name: "melody", channel: 2, gain: 1.0, wet: 1.0 };
    pub const PAD: Role = Role { name: "pad", channel: 3, gain: 0.75, wet: 1.0 };
    pub const HITS: Role = Role { name: "hits", channel: 4, gain: 0.9, wet: 1.0 };
}
pub(super) use roles::*;

/// A controller value from a level.
pub(super) fn cc(x: f32) -> u8 {
    x.round().clamp(0.0, 127.0) as u8
}

/// Clips notes to the end and shortens a note where the same key restarts on its channel, since
/// a MIDI note-off cannot say which of two overlapping same-key notes it ends.
pub(super) fn tidy(notes: &mut Vec<Note>, end_tick: u32) {
    notes.retain(|n| n.start < end_tick);
    for n in notes.iter_mut() {
        n.end = n.end.min(end_tick);
    }
    notes.sort_by_key(|n| (n.key, n.start, n.end));
    for i in 1..notes.len() {
        let (key, start) = (notes[i].key, notes[i].start);
        let prev = &mut notes[i - 1];
        if prev.key == key && start < prev.end {
            prev.end = start;
        }
    }
    notes.retain(|n| n.end > n.start);
    notes.sort_by_key(|n| (n.start, n.key));
}

/// The file: a tempo map track (name, meter, key, tempo), then per part its name, program
/// change (on channel 10 it picks the drum kit) and mixer, and its notes. Every track's End of
/// Track lands on the plan's end.
pub(super) fn write_smf(plan: &Plan, parts: &[Part]) -> Vec<u8> {
    let m = plan.meter;
    let minor = plan.mode.minor;
    let end = u64::from(plan.end_tick);
    let mut map = Track::new();
    map.name("tempo map");
    // MIDI clocks per metronome click: a quarter is 24, a dotted quarter 36.
    map.time_signature(m.num, m.den, if m.compound() { 36 } else { 24 });
    map.key_signature(key_signature(plan.tonic, minor), minor);
    map.tempo(plan.us_per_quarter);
    map.end_at(end);
    let mut tracks = vec![map];
    for part in parts {
        let mut track = Track::new();
        track.name(part.name);
        // The program change is the channel's first event.
        track.setup(&part.setup);
        for n in &part.notes {
            let (start, stop) = (u64::from(n.start), u64::from(n.end));
            track.note(part.setup.channel, start, stop, n.key, n.vel);
        }
        track.end_at(end);
        tracks.push(track);
    }
    write_tracks(tracks)
}
