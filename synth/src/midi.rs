//! The MIDI the data makers read and write: notes of an existing Standard MIDI File (what abc2midi
//! wrote) in quarter-note time, a small multi-channel song builder, and the crate's one MIDI
//! writer ([`Track`], [`write_tracks`], through midly) that the builder and the arranger share.

use midly::num::{u4, u7, u15, u24, u28};
use midly::{Format, Header, MetaMessage, MidiMessage, Smf, Timing, TrackEvent, TrackEventKind};

/// Ticks per quarter note of the files we write: fine enough for humanised timing at any tempo.
pub const TICKS_PER_QUARTER: u16 = 480;

/// General MIDI's percussion channel (channel 10, counted from 1).
pub const DRUM_CHANNEL: u8 = 9;

/// A note in quarter-note time.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Note {
    pub start: f64,
    pub length: f64,
    pub key: u8,
    pub velocity: u8,
}

/// The melody of a Standard MIDI File: the notes of its busiest non-percussion channel, sorted by
/// start. abc2midi puts the tune there; accompaniment it may add from chord symbols is dropped.
pub fn melody_notes(bytes: &[u8]) -> Result<Vec<Note>, String> {
    let melody = channel_notes(bytes)?
        .into_iter()
        .enumerate()
        .filter(|(ch, _)| *ch != usize::from(DRUM_CHANNEL))
        .map(|(_, notes)| notes)
        .max_by_key(Vec::len)
        .unwrap_or_default();
    if melody.is_empty() {
        return Err("the MIDI file has no notes".into());
    }
    Ok(melody)
}

/// The notes of a Standard MIDI File, per channel (16), each channel's sorted by start.
pub fn channel_notes(bytes: &[u8]) -> Result<Vec<Vec<Note>>, String> {
    let smf = Smf::parse(bytes).map_err(|e| format!("not a MIDI file: {e}"))?;
    let Timing::Metrical(tpq) = smf.header.timing else {
        return Err("MIDI file uses timecode timing".into());
    };
    let tpq = f64::from(tpq.as_int().max(1));
    let mut per_channel: Vec<Vec<Note>> = vec![Vec::new(); 16];
    for track in &smf.tracks {
        let mut now: u64 = 0;
        // Open notes per (channel, key): start tick and velocity.
        let mut open: Vec<Option<(u64, u8)>> = vec![None; 16 * 128];
        for event in track {
            now += u64::from(event.delta.as_int());
            let TrackEventKind::Midi { channel, message } = event.kind else {
                continue;
            };
            let ch = usize::from(channel.as_int());
            let (key, on_velocity) = match message {
                MidiMessage::NoteOn { key, vel } => (key.as_int(), vel.as_int()),
                MidiMessage::NoteOff { key, .. } => (key.as_int(), 0),
                _ => continue,
            };
            let slot = ch * 128 + usize::from(key);
            if let Some((start, velocity)) = open[slot].take()
                && now > start
            {
                per_channel[ch].push(Note {
                    start: start as f64 / tpq,
                    length: (now - start) as f64 / tpq,
                    key,
                    velocity,
                });
            }
            if on_velocity > 0 {
                open[slot] = Some((now, on_velocity));
            }
        }
    }
    for notes in &mut per_channel {
        notes.sort_by(|a, b| a.start.total_cmp(&b.start));
    }
    Ok(per_channel)
}

/// A channel's sound: General MIDI program and mixer settings.
#[derive(Clone, Copy, Debug)]
pub struct ChannelSetup {
    pub channel: u8,
    /// General MIDI program, 0-based; on the drum channel the kit ([`SongBuilder`] sends none
    /// there, so its drums play the synth's standard kit).
    pub program: u8,
    pub volume: u8,
    pub pan: u8,
    /// Reverb send (CC 91): the room.
    pub reverb: u8,
    /// Chorus send (CC 93).
    pub chorus: u8,
}

/// Builds a one-track (format 0) Standard MIDI File with a constant tempo.
pub struct SongBuilder {
    quarters_per_minute: f64,
    channels: Vec<ChannelSetup>,
    notes: Vec<(u8, Note)>,
}

impl SongBuilder {
    pub fn new(quarters_per_minute: f64) -> Self {
        Self {
            quarters_per_minute: quarters_per_minute.clamp(20.0, 600.0),
            channels: Vec::new(),
            notes: Vec::new(),
        }
    }

    pub fn channel(&mut self, setup: ChannelSetup) {
        self.channels.push(setup);
    }

    /// Adds a note; keys and velocities are clamped into MIDI's range.
    pub fn note(&mut self, channel: u8, note: Note) {
        if note.length > 0.0 && note.start >= 0.0 {
            self.notes.push((channel.min(15), note));
        }
    }

    /// Seconds per quarter note.
    pub fn seconds_per_quarter(&self) -> f64 {
        60.0 / self.quarters_per_minute
    }

    /// Seconds until the last note ends.
    pub fn seconds(&self) -> f64 {
        let end = self
            .notes
            .iter()
            .map(|(_, n)| n.start + n.length)
            .fold(0.0, f64::max);
        end * self.seconds_per_quarter()
    }

    /// The file's bytes: format 0, the tempo, each channel's setup (no program change on the
    /// drum channel: it keeps the synth's standard kit), then the notes.
    pub fn write(&self) -> Vec<u8> {
        let tick = |q: f64| (q * f64::from(TICKS_PER_QUARTER)).round().max(0.0) as u64;
        let mut track = Track::new();
        track.tempo((60_000_000.0 / self.quarters_per_minute).round() as u32);
        for setup in &self.channels {
            if setup.channel == DRUM_CHANNEL {
                track.mixer(setup);
            } else {
                track.setup(setup);
            }
        }
        for (channel, note) in &self.notes {
            let on = tick(note.start);
            let off = tick(note.start + note.length);
            track.note(*channel, on, off, note.key, note.velocity);
        }
        write_tracks(vec![track])
    }
}

/// Rank of an event among those at the same tick: meta events and channel setup first (in the
/// order added), then note-offs, then note-ons, so a repeated key is released before it is
/// struck again.
const SETUP: u8 = 0;
const NOTE_OFF: u8 = 1;
const NOTE_ON: u8 = 2;

/// One track of a file being written: events at absolute ticks, added in any order. The crate's
/// one MIDI writer: [`SongBuilder`] and the arranger both build these and write them with
/// [`write_tracks`].
#[derive(Default)]
pub struct Track {
    events: Vec<(u64, u8, TrackEventKind<'static>)>,
    end: u64,
}

impl Track {
    pub fn new() -> Self {
        Self::default()
    }

    fn meta(&mut self, message: MetaMessage<'static>) {
        self.events.push((0, SETUP, TrackEventKind::Meta(message)));
    }

    fn midi(&mut self, tick: u64, rank: u8, channel: u8, message: MidiMessage) {
        let channel = u4::new(channel.min(15));
        let kind = TrackEventKind::Midi { channel, message };
        self.events.push((tick, rank, kind));
    }

    /// The track's name (a meta event at tick 0).
    pub fn name(&mut self, name: &'static str) {
        self.meta(MetaMessage::TrackName(name.as_bytes()));
    }

    /// The tempo from tick 0 on, in microseconds per quarter note.
    pub fn tempo(&mut self, micros_per_quarter: u32) {
        self.meta(MetaMessage::Tempo(u24::new(
            micros_per_quarter.min(0xFF_FFFF),
        )));
    }

    /// The time signature `numerator/denominator` (a power of two) with the metronome's MIDI
    /// clocks per click (24 a quarter).
    pub fn time_signature(&mut self, numerator: u8, denominator: u8, clocks_per_click: u8) {
        let power = denominator.max(1).trailing_zeros() as u8;
        self.meta(MetaMessage::TimeSignature(
            numerator,
            power,
            clocks_per_click,
            8,
        ));
    }

    /// The key signature: sharps (negative: flats) and whether the key is minor.
    pub fn key_signature(&mut self, sharps: i8, minor: bool) {
        self.meta(MetaMessage::KeySignature(sharps, minor));
    }

    /// A program change at tick 0 (on the drum channel it picks the kit).
    pub fn program(&mut self, channel: u8, program: u8) {
        let program = u7::new(program.min(127));
        self.midi(0, SETUP, channel, MidiMessage::ProgramChange { program });
    }

    /// The channel's mixer at tick 0: volume (CC 7), pan (CC 10), reverb (CC 91), chorus (CC 93).
    pub fn mixer(&mut self, setup: &ChannelSetup) {
        for (controller, value) in [
            (7, setup.volume),
            (10, setup.pan),
            (91, setup.reverb),
            (93, setup.chorus),
        ] {
            let message = MidiMessage::Controller {
                controller: u7::new(controller),
                value: u7::new(value.min(127)),
            };
            self.midi(0, SETUP, setup.channel, message);
        }
    }

    /// Program change, then mixer.
    pub fn setup(&mut self, setup: &ChannelSetup) {
        self.program(setup.channel, setup.program);
        self.mixer(setup);
    }

    /// A note from tick `on` to `off` (at least one tick long); key and velocity are clamped into
    /// MIDI's range.
    pub fn note(&mut self, channel: u8, on: u64, off: u64, key: u8, velocity: u8) {
        let key = u7::new(key.min(127));
        let vel = u7::new(velocity.clamp(1, 127));
        self.midi(on, NOTE_ON, channel, MidiMessage::NoteOn { key, vel });
        let off = off.max(on + 1);
        let vel = u7::new(0);
        self.midi(off, NOTE_OFF, channel, MidiMessage::NoteOff { key, vel });
    }

    /// Where End of Track goes when no event is later (else right after the last event).
    pub fn end_at(&mut self, tick: u64) {
        self.end = tick;
    }

    /// The events with delta times, in the order described at [`SETUP`].
    fn encode(mut self) -> Vec<TrackEvent<'static>> {
        // Stable: events of one tick and rank keep the order they were added in.
        self.events.sort_by_key(|(t, rank, _)| (*t, *rank));
        let max = u64::from(u28::max_value().as_int());
        let mut track = Vec::with_capacity(self.events.len() + 1);
        let mut last = 0u64;
        for (t, _, kind) in self.events {
            let delta = u28::new((t - last).min(max) as u32);
            track.push(TrackEvent { delta, kind });
            last = t;
        }
        track.push(TrackEvent {
            delta: u28::new(self.end.saturating_sub(last).min(max) as u32),
            kind: TrackEventKind::Meta(MetaMessage::EndOfTrack),
        });
        track
    }
}

/// A Standard MIDI File of these tracks at [`TICKS_PER_QUARTER`]: format 0 for one track, format
/// 1 (parallel tracks, the first the tempo map) for more.
pub fn write_tracks(tracks: Vec<Track>) -> Vec<u8> {
    let format = if tracks.len() == 1 {
        Format::SingleTrack
    } else {
        Format::Parallel
    };
    let smf = Smf {
        header: Header::new(format, Timing::Metrical(u15::new(TICKS_PER_QUARTER))),
        tracks: tracks.into_iter().map(Track::encode).collect(),
    };
    let mut out = Vec::new();
    // midly only fails for more than 65535 tracks or a chunk over 4 GiB; the files here have a
    // few tracks of bounded length, so this branch is unreachable in practice.
    if smf.write_std(&mut out).is_err() {
        out.clear();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_song_reads_back_as_the_same_melody() {
        let mut song = SongBuilder::new(120.0);
        song.channel(ChannelSetup {
            channel: 0,
            program: 40,
            volume: 100,
            pan: 64,
            reverb: 40,
            chorus: 0,
        });
        let notes: Vec<Note> = (0..8)
            .map(|i| Note {
                start: f64::from(i) * 0.5,
                length: 0.5,
                key: 60 + i as u8,
                velocity: 90,
            })
            .collect();
        for n in &notes {
            song.note(0, *n);
        }
        // A drum note must not be taken for the melody.
        song.note(
            DRUM_CHANNEL,
            Note {
                start: 0.0,
                length: 0.1,
                key: 36,
                velocity: 100,
            },
        );
        let back = melody_notes(&song.write()).unwrap();
        assert_eq!(back, notes);
        assert!((song.seconds() - 2.0).abs() < 1e-9);
    }
}
