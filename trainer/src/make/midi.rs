//! The MIDI the data makers read and write: notes of an existing Standard MIDI File (what abc2midi
//! wrote) in quarter-note time, and a small multi-channel song builder that writes one (midly).

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
    let mut melody = per_channel
        .into_iter()
        .enumerate()
        .filter(|(ch, _)| *ch != usize::from(DRUM_CHANNEL))
        .map(|(_, notes)| notes)
        .max_by_key(Vec::len)
        .unwrap_or_default();
    if melody.is_empty() {
        return Err("the MIDI file has no notes".into());
    }
    melody.sort_by(|a, b| a.start.total_cmp(&b.start));
    Ok(melody)
}

/// A channel's sound: General MIDI program and mixer settings.
#[derive(Clone, Copy, Debug)]
pub struct ChannelSetup {
    pub channel: u8,
    /// General MIDI program, 0-based (ignored on the drum channel).
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

    /// The file's bytes.
    pub fn write(&self) -> Vec<u8> {
        let tick = |q: f64| (q * f64::from(TICKS_PER_QUARTER)).round().max(0.0) as u64;
        // (tick, order, kind): at the same tick, setup comes first and note-offs before note-ons,
        // so a repeated key is released before it is struck again.
        let mut events: Vec<(u64, u8, TrackEventKind<'static>)> = Vec::new();
        let micros = (60_000_000.0 / self.quarters_per_minute).round() as u32;
        events.push((
            0,
            0,
            TrackEventKind::Meta(MetaMessage::Tempo(u24::new(micros))),
        ));
        for setup in &self.channels {
            let channel = u4::new(setup.channel.min(15));
            let cc = |controller: u8, value: u8| TrackEventKind::Midi {
                channel,
                message: MidiMessage::Controller {
                    controller: u7::new(controller),
                    value: u7::new(value.min(127)),
                },
            };
            if setup.channel != DRUM_CHANNEL {
                events.push((
                    0,
                    0,
                    TrackEventKind::Midi {
                        channel,
                        message: MidiMessage::ProgramChange {
                            program: u7::new(setup.program.min(127)),
                        },
                    },
                ));
            }
            events.push((0, 0, cc(7, setup.volume)));
            events.push((0, 0, cc(10, setup.pan)));
            events.push((0, 0, cc(91, setup.reverb)));
            events.push((0, 0, cc(93, setup.chorus)));
        }
        for (channel, note) in &self.notes {
            let channel = u4::new(*channel);
            let key = u7::new(note.key.min(127));
            let on = tick(note.start);
            let off = tick(note.start + note.length).max(on + 1);
            let vel = u7::new(note.velocity.clamp(1, 127));
            events.push((
                on,
                2,
                TrackEventKind::Midi {
                    channel,
                    message: MidiMessage::NoteOn { key, vel },
                },
            ));
            events.push((
                off,
                1,
                TrackEventKind::Midi {
                    channel,
                    message: MidiMessage::NoteOff {
                        key,
                        vel: u7::new(0),
                    },
                },
            ));
        }
        events.sort_by_key(|(t, order, _)| (*t, *order));
        let mut track = Vec::with_capacity(events.len() + 1);
        let mut last = 0u64;
        for (t, _, kind) in events {
            let delta = (t - last).min(u64::from(u28::max_value().as_int())) as u32;
            track.push(TrackEvent {
                delta: u28::new(delta),
                kind,
            });
            last = t;
        }
        track.push(TrackEvent {
            delta: u28::new(0),
            kind: TrackEventKind::Meta(MetaMessage::EndOfTrack),
        });
        let smf = Smf {
            header: Header::new(
                Format::SingleTrack,
                Timing::Metrical(u15::new(TICKS_PER_QUARTER)),
            ),
            tracks: vec![track],
        };
        let mut out = Vec::new();
        // Writing into a Vec cannot fail for a well-formed single track.
        if smf.write_std(&mut out).is_err() {
            out.clear();
        }
        out
    }
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
