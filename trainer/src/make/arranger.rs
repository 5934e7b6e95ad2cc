//! Procedural General MIDI arranger for the ten GTZAN genres and the five soundtrack emotions.
//!
//! The songs train a classifier that only hears a log-mel spectrogram of ~30 s of rendered audio,
//! so every decision here is about what is *audible*: tempo, meter, groove and swing, bass line,
//! harmony and mode, register, timbre (GM program), loudness, articulation, dissonance and room.
//! Each class is one `Traits` table of those cues. Songs are drawn inside ranges that overlap
//! between classes on purpose (shared progressions, shared instruments with other weights, a random
//! key, a random form) so that no single cue gives the label away.
//!
//! Pipeline: class name -> `Traits` -> `Plan` (tempo, key, form, styles and programs, drawn
//! once) -> parts (drums from step grids, bass, comp, pad, melody, accent hits) -> `tidy` (clip to
//! the end, resolve overlapping notes) -> format-1 Standard MIDI File written by `midly`.
//!
//! Determinism: one `rand::rngs::StdRng` (ChaCha12 in rand 0.9) per song, seeded from the class
//! name mixed with the caller's seed and consumed in a fixed order, so the same (class, seed,
//! seconds) always gives the same bytes with this rand 0.9. rand does not promise StdRng's
//! algorithm across versions; `rand_chacha::ChaCha12Rng` (the same generator today) is the swap if
//! bytes must survive upgrades.

use std::f32::consts::PI;

use midly::num::{u4, u7, u15, u24, u28};
use midly::{Format, Header, MetaMessage, MidiMessage, Smf, Timing, TrackEvent, TrackEventKind};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// The classes the arranger knows: GTZAN's genres and the soundtrack set's emotions, in the
/// data sets' order (the readers' constants, so the two can never disagree).
pub use crate::dataset::{GTZAN_GENRES as GENRES, SOUNDTRACK_EMOTIONS as MOODS};

/// One generated piece.
pub struct Song {
    /// A Standard MIDI File (format 1, first track = tempo/meter map), ready to write to disk or render.
    pub smf: Vec<u8>,
    /// One line a person reads: tempo, meter, key and mode, swing, GM programs used.
    pub summary: String,
    /// Length of the music in seconds (the last note-off), close to the requested length.
    pub seconds: f32,
}

/// Why no song could be arranged.
#[derive(Debug, thiserror::Error)]
pub enum ArrangeError {
    #[error(
        "unknown genre {0:?}; known: blues, classical, country, disco, hiphop, jazz, metal, pop, reggae, rock"
    )]
    UnknownGenre(String),
    #[error("unknown mood {0:?}; known: anger, fear, sadness, happiness, tenderness")]
    UnknownMood(String),
}

/// A song in the style of one GTZAN genre. `seconds` is clamped to 1..=600 (NaN counts as 1); the
/// last note-off lands at most one beat (<= 1.5 s at the slowest tempo here) after it.
pub fn genre_song(genre: &str, seed: u64, seconds: f32) -> Result<Song, ArrangeError> {
    let (name, traits) = GENRES
        .iter()
        .zip(GENRE_TRAITS.iter())
        .find(|(name, _)| **name == genre)
        .ok_or_else(|| ArrangeError::UnknownGenre(genre.to_owned()))?;
    Ok(arrange(name, traits, seed, seconds))
}

/// A song that expresses one soundtrack emotion; same length contract as [`genre_song`].
pub fn mood_song(mood: &str, seed: u64, seconds: f32) -> Result<Song, ArrangeError> {
    let (name, traits) = MOODS
        .iter()
        .zip(MOOD_TRAITS.iter())
        .find(|(name, _)| **name == mood)
        .ok_or_else(|| ArrangeError::UnknownMood(mood.to_owned()))?;
    Ok(arrange(name, traits, seed, seconds))
}

// ---------------------------------------------------------------------------------------------
// Musical primitives
// ---------------------------------------------------------------------------------------------

/// Ticks per quarter note: divides into 16ths (120), triplet 8ths (160) and dotted beats (720).
const PPQ: u32 = 480;
const MIN_SECONDS: f32 = 1.0;
const MAX_SECONDS: f32 = 600.0;

/// A meter as the grid the patterns are written on: `beats` per bar, `sub` steps per beat.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Meter {
    num: u8,
    den: u8,
    beats: u32,
    sub: u32,
}

impl Meter {
    /// Compound meters (6/8, 12/8) count dotted-quarter beats split in three.
    fn compound(self) -> bool {
        self.den == 8
    }
    fn beat_ticks(self) -> u32 {
        if self.compound() { PPQ * 3 / 2 } else { PPQ }
    }
    fn step_ticks(self) -> u32 {
        self.beat_ticks() / self.sub
    }
    fn steps(self) -> u32 {
        self.beats * self.sub
    }
    fn bar_ticks(self) -> u32 {
        self.beat_ticks() * self.beats
    }
}

const FOUR: Meter = Meter {
    num: 4,
    den: 4,
    beats: 4,
    sub: 4,
};
const THREE: Meter = Meter {
    num: 3,
    den: 4,
    beats: 3,
    sub: 4,
};
const TWO: Meter = Meter {
    num: 2,
    den: 4,
    beats: 2,
    sub: 4,
};
const FIVE: Meter = Meter {
    num: 5,
    den: 4,
    beats: 5,
    sub: 4,
};
const SIX_EIGHT: Meter = Meter {
    num: 6,
    den: 8,
    beats: 2,
    sub: 3,
};
const TWELVE_EIGHT: Meter = Meter {
    num: 12,
    den: 8,
    beats: 4,
    sub: 3,
};

/// A scale the melody walks on; `minor` only picks the key signature.
struct Mode {
    name: &'static str,
    scale: &'static [u8],
    minor: bool,
}

#[rustfmt::skip]
mod modes {
    use super::Mode;
    pub const MAJOR: Mode = Mode { name: "major", scale: &[0, 2, 4, 5, 7, 9, 11], minor: false };
    pub const MINOR: Mode = Mode { name: "minor", scale: &[0, 2, 3, 5, 7, 8, 10], minor: true };
    pub const HARMONIC: Mode = Mode { name: "harmonic minor", scale: &[0, 2, 3, 5, 7, 8, 11], minor: true };
    pub const DORIAN: Mode = Mode { name: "dorian", scale: &[0, 2, 3, 5, 7, 9, 10], minor: true };
    pub const MIXOLYDIAN: Mode = Mode { name: "mixolydian", scale: &[0, 2, 4, 5, 7, 9, 10], minor: false };
    pub const PHRYGIAN: Mode = Mode { name: "phrygian", scale: &[0, 1, 3, 5, 7, 8, 10], minor: true };
    /// Minor pentatonic plus the flat fifth over dominant-seventh chords: the blue notes.
    pub const BLUES: Mode = Mode { name: "blues", scale: &[0, 3, 5, 6, 7, 10], minor: false };
    pub const MINOR_BLUES: Mode = Mode { name: "minor blues", scale: &[0, 3, 5, 6, 7, 10], minor: true };
    pub const MAJOR_PENT: Mode = Mode { name: "major pentatonic", scale: &[0, 2, 4, 7, 9], minor: false };
    pub const MINOR_PENT: Mode = Mode { name: "minor pentatonic", scale: &[0, 3, 5, 7, 10], minor: true };
}
use modes::*;

// Chord qualities as semitones above the root.
const MAJ: &[u8] = &[0, 4, 7];
const MIN: &[u8] = &[0, 3, 7];
const DIM: &[u8] = &[0, 3, 6];
const DOM7: &[u8] = &[0, 4, 7, 10];
const MAJ7: &[u8] = &[0, 4, 7, 11];
const MIN7: &[u8] = &[0, 3, 7, 10];
const HDIM7: &[u8] = &[0, 3, 6, 10];
const DIM7: &[u8] = &[0, 3, 6, 9];
const DOM9: &[u8] = &[0, 4, 10, 14];
const MIN9: &[u8] = &[0, 3, 10, 14];
const MAJ9: &[u8] = &[0, 4, 11, 14];
const ADD9: &[u8] = &[0, 4, 7, 14];
const SUS4: &[u8] = &[0, 5, 7];
const POW: &[u8] = &[0, 7];

/// A chord loop: roots in semitones above the tonic, one chord per bar.
struct Prog {
    mode: &'static Mode,
    chords: &'static [(i32, &'static [u8])],
}

// Progressions. Several are shared between classes on purpose (I-V-vi-IV in pop, rock, country
// and happiness; i-bVI-iv-V in classical and sadness) so harmony alone never names the label.
#[rustfmt::skip]
mod progs {
    use super::*;
    /// 12-bar blues, slow change (I7 x4, IV7 x2, I7 x2, V7 IV7 I7 V7).
    pub const BLUES_12: Prog = Prog { mode: &BLUES, chords: &[(0, DOM7), (0, DOM7), (0, DOM7), (0, DOM7), (5, DOM7), (5, DOM7), (0, DOM7), (0, DOM7), (7, DOM7), (5, DOM7), (0, DOM7), (7, DOM7)] };
    pub const BLUES_QUICK: Prog = Prog { mode: &BLUES, chords: &[(0, DOM7), (5, DOM7), (0, DOM7), (0, DOM7), (5, DOM7), (5, DOM7), (0, DOM7), (0, DOM7), (7, DOM7), (5, DOM7), (0, DOM7), (7, DOM7)] };
    pub const BLUES_MINOR_12: Prog = Prog { mode: &MINOR_BLUES, chords: &[(0, MIN7), (0, MIN7), (0, MIN7), (0, MIN7), (5, MIN7), (5, MIN7), (0, MIN7), (0, MIN7), (8, DOM7), (7, DOM7), (0, MIN7), (7, DOM7)] };
    pub const JAZZ_BLUES: Prog = Prog { mode: &MIXOLYDIAN, chords: &[(0, DOM7), (5, DOM7), (0, DOM7), (0, DOM7), (5, DOM7), (5, DOM7), (0, DOM7), (9, DOM7), (2, MIN7), (7, DOM7), (0, DOM7), (7, DOM7)] };
    pub const CADENCE: Prog = Prog { mode: &MAJOR, chords: &[(0, MAJ), (5, MAJ), (7, MAJ), (0, MAJ)] };
    pub const PACHELBEL: Prog = Prog { mode: &MAJOR, chords: &[(0, MAJ), (7, MAJ), (9, MIN), (4, MIN), (5, MAJ), (0, MAJ), (5, MAJ), (7, MAJ)] };
    pub const CIRCLE: Prog = Prog { mode: &MAJOR, chords: &[(0, MAJ), (9, MIN), (2, MIN), (7, DOM7)] };
    pub const MINOR_CADENCE: Prog = Prog { mode: &HARMONIC, chords: &[(0, MIN), (5, MIN), (7, DOM7), (0, MIN)] };
    pub const LAMENTO: Prog = Prog { mode: &HARMONIC, chords: &[(0, MIN), (8, MAJ), (5, MIN), (7, DOM7)] };
    pub const MINOR_CIRCLE: Prog = Prog { mode: &HARMONIC, chords: &[(0, MIN), (5, MIN), (10, MAJ), (3, MAJ), (8, MAJ), (2, DIM), (7, DOM7), (0, MIN)] };
    pub const COUNTRY_8: Prog = Prog { mode: &MAJOR_PENT, chords: &[(0, MAJ), (0, MAJ), (5, MAJ), (0, MAJ), (0, MAJ), (7, MAJ), (7, DOM7), (0, MAJ)] };
    pub const I_IV_I_V: Prog = Prog { mode: &MAJOR, chords: &[(0, MAJ), (5, MAJ), (0, MAJ), (7, DOM7)] };
    pub const AXIS: Prog = Prog { mode: &MAJOR, chords: &[(0, MAJ), (7, MAJ), (9, MIN), (5, MAJ)] };
    pub const SENSITIVE: Prog = Prog { mode: &MAJOR, chords: &[(9, MIN), (5, MAJ), (0, MAJ), (7, MAJ)] };
    pub const FIFTIES: Prog = Prog { mode: &MAJOR, chords: &[(0, MAJ), (9, MIN), (5, MAJ), (7, MAJ)] };
    pub const POP_MINOR: Prog = Prog { mode: &MINOR, chords: &[(0, MIN), (8, MAJ), (3, MAJ), (10, MAJ)] };
    pub const DISCO_VAMP: Prog = Prog { mode: &DORIAN, chords: &[(0, MIN7), (5, DOM7)] };
    pub const DISCO_MINOR: Prog = Prog { mode: &DORIAN, chords: &[(0, MIN7), (0, MIN7), (10, MAJ), (5, MIN7)] };
    pub const DISCO_MAJOR: Prog = Prog { mode: &MAJOR, chords: &[(5, MAJ7), (4, MIN7), (2, MIN7), (0, MAJ7)] };
    pub const VI_II_V_I: Prog = Prog { mode: &MAJOR, chords: &[(9, MIN7), (2, MIN7), (7, DOM7), (0, MAJ7)] };
    pub const HH_MINOR: Prog = Prog { mode: &MINOR, chords: &[(0, MIN7), (8, MAJ7)] };
    pub const HH_DORIAN: Prog = Prog { mode: &DORIAN, chords: &[(0, MIN9), (5, DOM9)] };
    pub const HH_LOOP: Prog = Prog { mode: &MINOR, chords: &[(0, MIN7), (5, MIN7), (8, MAJ7), (7, MIN7)] };
    pub const II_V_I: Prog = Prog { mode: &MAJOR, chords: &[(2, MIN9), (7, DOM9), (0, MAJ9), (0, MAJ7)] };
    pub const RHYTHM: Prog = Prog { mode: &MAJOR, chords: &[(0, MAJ7), (9, MIN7), (2, MIN7), (7, DOM7)] };
    pub const MINOR_II_V: Prog = Prog { mode: &HARMONIC, chords: &[(2, HDIM7), (7, DOM7), (0, MIN7), (0, MIN9)] };
    pub const JAZZ_LONG: Prog = Prog { mode: &MAJOR, chords: &[(4, MIN7), (9, DOM7), (2, MIN7), (7, DOM7), (0, MAJ9), (5, DOM9), (0, MAJ7), (7, DOM7)] };
    pub const PHRYG_POWER: Prog = Prog { mode: &PHRYGIAN, chords: &[(0, POW), (1, POW), (0, POW), (1, POW)] };
    pub const METAL_DESC: Prog = Prog { mode: &MINOR, chords: &[(0, POW), (10, POW), (8, POW), (10, POW)] };
    pub const METAL_TRITONE: Prog = Prog { mode: &PHRYGIAN, chords: &[(0, POW), (0, POW), (6, POW), (5, POW)] };
    pub const METAL_HARMONIC: Prog = Prog { mode: &HARMONIC, chords: &[(0, POW), (5, POW), (8, POW), (7, POW)] };
    pub const REGGAE_I_IV: Prog = Prog { mode: &MAJOR, chords: &[(0, MAJ), (5, MAJ)] };
    pub const REGGAE_DORIAN: Prog = Prog { mode: &DORIAN, chords: &[(0, MIN), (5, MAJ)] };
    pub const REGGAE_FOUR: Prog = Prog { mode: &MAJOR, chords: &[(0, MAJ), (5, MAJ), (7, MAJ), (5, MAJ)] };
    pub const REGGAE_TWO: Prog = Prog { mode: &MINOR, chords: &[(0, MIN), (10, MAJ)] };
    pub const MIXO_ROCK: Prog = Prog { mode: &MIXOLYDIAN, chords: &[(0, MAJ), (10, MAJ), (5, MAJ), (0, MAJ)] };
    pub const ROCK_BIII: Prog = Prog { mode: &MINOR_PENT, chords: &[(0, POW), (3, POW), (5, POW), (0, POW)] };
    pub const SEMITONE: Prog = Prog { mode: &PHRYGIAN, chords: &[(0, MIN), (1, MAJ)] };
    pub const AEOLIAN_DESC: Prog = Prog { mode: &MINOR, chords: &[(0, MIN), (10, MAJ), (8, MAJ), (10, MAJ)] };
    /// The tritone root motion (i to bV) is the stock signal of menace.
    pub const TRITONE: Prog = Prog { mode: &HARMONIC, chords: &[(0, MIN), (6, DIM), (0, MIN), (7, DOM7)] };
    pub const FEAR_DIM: Prog = Prog { mode: &HARMONIC, chords: &[(0, MIN), (6, DIM7), (0, MIN), (1, DIM7)] };
    pub const FEAR_CHROMATIC: Prog = Prog { mode: &HARMONIC, chords: &[(0, MIN), (11, DIM7), (10, MIN), (9, DIM7)] };
    pub const SAD_PEDAL: Prog = Prog { mode: &MINOR, chords: &[(0, MIN), (5, MIN), (0, MIN), (7, MIN)] };
    pub const TENDER: Prog = Prog { mode: &MAJOR, chords: &[(0, MAJ7), (5, MAJ7)] };
    pub const TENDER_ADD9: Prog = Prog { mode: &MAJOR, chords: &[(0, ADD9), (9, MIN7), (5, MAJ7), (7, SUS4)] };
}
use progs::*;

/// Drum groove families; `Tacet` means no channel-10 part at all.
#[derive(Clone, Copy, Debug, PartialEq)]
enum DrumStyle {
    Tacet,
    Shuffle,
    Rock,
    Metal,
    Disco,
    BoomBap,
    Swing,
    OneDrop,
    Steppers,
    Train,
    TwoBeat,
    Pop,
    /// Shaker, tambourine, triangle: the "light percussion" the moods may use.
    Light,
    /// Toms and bass drum without a backbeat: pounding (anger) or irregular (fear).
    Toms,
}

/// Bass-line families: sustained roots (classical, ballads), walking quarters (jazz), driving
/// 8ths/16ths (rock, metal), octave jumps (disco), boogie (blues), one-drop riffs (reggae), kick-
/// locked sub notes (hip-hop), chromatic drones (fear).
#[derive(Clone, Copy, Debug, PartialEq)]
enum BassStyle {
    Sustain,
    Quarters,
    Pulse8,
    Pulse16,
    RootFifth,
    Walking,
    Octave,
    Boogie,
    Reggae,
    Sub,
    Drone,
}

/// Accompaniment rhythms applied to each bar's chord: sustained pads, arpeggios, strums, off-beat
/// chops and skanks, rootless jazz comping, power-chord 8ths and palm-muted chugs, syncopated
/// stabs, 16th-note guitar scratch, a repeating keys loop (sample-like), and string tremolo.
#[derive(Clone, Copy, Debug, PartialEq)]
enum CompStyle {
    Pad,
    Arpeggio,
    Strum,
    Chop,
    Skank,
    Jazz,
    Power,
    Chug,
    Stabs,
    Scratch,
    Loop,
    Tremolo,
}

// ---------------------------------------------------------------------------------------------
// Class tables
// ---------------------------------------------------------------------------------------------

/// The audible cues of one class. Ranges are (low, high); pools are (value, weight).
struct Traits {
    /// Beats per minute of the meter's beat (the dotted quarter in 6/8 and 12/8).
    tempo: (f32, f32),
    meters: &'static [(Meter, u32)],
    /// 0 = straight, 1 = full triplet swing; `swing16` swings 16ths instead of 8ths.
    swing: (f32, f32),
    swing16: bool,
    progs: &'static [(&'static Prog, u32)],
    drums: &'static [(DrumStyle, u32)],
    /// Drum kit programs on channel 10 (GS numbering: 0 standard, 8 room, 16 power, 24
    /// electronic, 25 TR-808, 32 jazz, 40 brush, 48 orchestra).
    kits: &'static [(u8, u32)],
    bass: &'static [(BassStyle, u32)],
    bass_programs: &'static [(u8, u32)],
    /// Semitones above E1..D#2 for the bass root (12 lifts cello/piano basses into their range).
    bass_lift: i32,
    comp: &'static [(CompStyle, u32)],
    comp_programs: &'static [(u8, u32)],
    /// MIDI note the comp voicings centre on; low for riffs, high for bright accompaniment.
    comp_center: i32,
    /// Chance of a sustained pad layer, and its programs.
    pad_chance: f32,
    pad_programs: &'static [(u8, u32)],
    melody_programs: &'static [(u8, u32)],
    melody_center: i32,
    /// Half-range of the melody in semitones: small for sadness, wide for happiness.
    melody_span: i32,
    /// Melody notes per beat.
    density: (f32, f32),
    velocity: (f32, f32),
    /// CC7 channel volume range.
    volume: (f32, f32),
    /// Sounding fraction of each note's slot: < 0.5 staccato, ~1 legato.
    articulation: (f32, f32),
    /// CC91 reverb and CC93 chorus send ranges.
    reverb: (f32, f32),
    chorus: (f32, f32),
    /// Chance per bar that the comp voicing gets a minor second or tritone added.
    dissonance: f32,
    /// Depth of bar-to-bar loudness change (phrase arches and sudden swings), 0 = flat.
    dynamics: f32,
    /// Chance per bar of a sudden accent hit (fear's startle, anger's stab), their programs
    /// and register.
    hits: f32,
    hit_programs: &'static [(u8, u32)],
    hit_center: i32,
    /// Chance that a melody onset is displaced or dropped, and that toms play off the grid.
    irregular: f32,
    /// Timing jitter in ticks (480 per quarter).
    humanize: i32,
}

const NO_HITS: &[(u8, u32)] = &[(0, 1)];

/// Genre tables. Tempo ranges and grooves follow common descriptions of each style (the brief's
/// trait list); instruments are General MIDI programs (0-based).
#[rustfmt::skip]
const GENRE_TRAITS: [Traits; 10] = [
    // Blues: 12-bar I7-IV7-V7, shuffle, 60-120 bpm, guitar/piano/harmonica.
    Traits { tempo: (60.0, 120.0), meters: &[(FOUR, 7), (TWELVE_EIGHT, 3)], swing: (0.55, 1.0), swing16: false,
        progs: &[(&BLUES_12, 4), (&BLUES_QUICK, 3), (&BLUES_MINOR_12, 2), (&JAZZ_BLUES, 1)],
        drums: &[(DrumStyle::Shuffle, 8), (DrumStyle::Swing, 2), (DrumStyle::Rock, 1)], kits: &[(0, 3), (8, 1), (32, 1)],
        bass: &[(BassStyle::Boogie, 4), (BassStyle::Walking, 3), (BassStyle::Pulse8, 1)], bass_programs: &[(33, 4), (32, 3), (34, 1)], bass_lift: 0,
        comp: &[(CompStyle::Strum, 3), (CompStyle::Jazz, 2), (CompStyle::Chop, 2)], comp_programs: &[(0, 4), (26, 3), (27, 3), (16, 2), (25, 1)], comp_center: 60,
        pad_chance: 0.25, pad_programs: &[(16, 2), (61, 1)],
        melody_programs: &[(22, 3), (27, 2), (29, 2), (65, 1), (66, 1), (0, 1)], melody_center: 67, melody_span: 9, density: (1.0, 2.0),
        velocity: (70.0, 100.0), volume: (90.0, 110.0), articulation: (0.55, 0.85), reverb: (20.0, 60.0), chorus: (0.0, 30.0),
        dissonance: 0.05, dynamics: 0.1, hits: 0.0, hit_programs: NO_HITS, hit_center: 72, irregular: 0.0, humanize: 12 },
    // Classical: no drums, strings/piano/woodwinds, functional harmony, legato, wide dynamics.
    Traits { tempo: (50.0, 150.0), meters: &[(FOUR, 5), (THREE, 4), (SIX_EIGHT, 2), (TWO, 1)], swing: (0.0, 0.0), swing16: false,
        progs: &[(&CADENCE, 3), (&PACHELBEL, 2), (&CIRCLE, 3), (&MINOR_CADENCE, 2), (&LAMENTO, 2), (&MINOR_CIRCLE, 2)],
        drums: &[(DrumStyle::Tacet, 1)], kits: &[(48, 1)],
        bass: &[(BassStyle::Sustain, 2), (BassStyle::Quarters, 3)], bass_programs: &[(42, 3), (43, 2), (0, 2), (70, 1)], bass_lift: 12,
        comp: &[(CompStyle::Arpeggio, 4), (CompStyle::Pad, 2)], comp_programs: &[(0, 5), (48, 3), (46, 2), (6, 1), (45, 1)], comp_center: 62,
        pad_chance: 0.6, pad_programs: &[(48, 3), (49, 2), (60, 1)],
        melody_programs: &[(40, 4), (73, 3), (68, 2), (71, 2), (0, 2), (60, 1)], melody_center: 72, melody_span: 12, density: (1.0, 2.5),
        velocity: (55.0, 100.0), volume: (90.0, 115.0), articulation: (0.8, 1.0), reverb: (60.0, 110.0), chorus: (0.0, 20.0),
        dissonance: 0.0, dynamics: 0.45, hits: 0.0, hit_programs: NO_HITS, hit_center: 72, irregular: 0.0, humanize: 8 },
    // Country: two-beat or train beat, I-IV-V, steel/acoustic guitar, fiddle, 90-140 bpm.
    Traits { tempo: (90.0, 140.0), meters: &[(FOUR, 8), (THREE, 2)], swing: (0.0, 0.35), swing16: false,
        progs: &[(&CADENCE, 3), (&COUNTRY_8, 3), (&I_IV_I_V, 2), (&AXIS, 1)],
        drums: &[(DrumStyle::TwoBeat, 5), (DrumStyle::Train, 3), (DrumStyle::Pop, 1)], kits: &[(0, 3), (40, 1), (8, 1)],
        bass: &[(BassStyle::RootFifth, 6), (BassStyle::Walking, 1)], bass_programs: &[(32, 3), (33, 3)], bass_lift: 0,
        comp: &[(CompStyle::Chop, 3), (CompStyle::Strum, 4)], comp_programs: &[(25, 5), (24, 1), (27, 2), (105, 1), (0, 1)], comp_center: 60,
        pad_chance: 0.15, pad_programs: &[(21, 1), (48, 1)],
        melody_programs: &[(110, 4), (25, 2), (27, 2), (22, 1), (105, 1), (26, 1)], melody_center: 69, melody_span: 9, density: (1.5, 2.5),
        velocity: (70.0, 100.0), volume: (90.0, 110.0), articulation: (0.45, 0.8), reverb: (20.0, 55.0), chorus: (0.0, 30.0),
        dissonance: 0.0, dynamics: 0.1, hits: 0.0, hit_programs: NO_HITS, hit_center: 72, irregular: 0.0, humanize: 10 },
    // Disco: four-on-the-floor, open hi-hat offbeats, octave bass, strings, 110-130 bpm.
    Traits { tempo: (110.0, 130.0), meters: &[(FOUR, 1)], swing: (0.0, 0.1), swing16: true,
        progs: &[(&DISCO_VAMP, 3), (&DISCO_MINOR, 2), (&DISCO_MAJOR, 2), (&VI_II_V_I, 2)],
        drums: &[(DrumStyle::Disco, 1)], kits: &[(0, 3), (24, 1), (8, 1)],
        bass: &[(BassStyle::Octave, 6), (BassStyle::Pulse8, 1)], bass_programs: &[(33, 3), (36, 2), (38, 2), (34, 1)], bass_lift: 0,
        comp: &[(CompStyle::Scratch, 3), (CompStyle::Stabs, 3), (CompStyle::Strum, 1)], comp_programs: &[(28, 3), (27, 2), (4, 2), (48, 1), (61, 1)], comp_center: 64,
        pad_chance: 0.85, pad_programs: &[(48, 4), (49, 2), (50, 2)],
        melody_programs: &[(61, 2), (56, 1), (81, 1), (52, 1), (40, 1), (80, 1), (73, 1)], melody_center: 72, melody_span: 9, density: (1.0, 2.0),
        velocity: (85.0, 110.0), volume: (100.0, 120.0), articulation: (0.4, 0.7), reverb: (30.0, 70.0), chorus: (20.0, 70.0),
        dissonance: 0.0, dynamics: 0.05, hits: 0.0, hit_programs: NO_HITS, hit_center: 72, irregular: 0.0, humanize: 4 },
    // Hip-hop: 80-100 bpm boom-bap with swung 16ths, sparse sampled-like keys loops, heavy low bass.
    Traits { tempo: (80.0, 100.0), meters: &[(FOUR, 1)], swing: (0.25, 0.7), swing16: true,
        progs: &[(&HH_MINOR, 3), (&HH_DORIAN, 2), (&II_V_I, 1), (&HH_LOOP, 2), (&SEMITONE, 1)],
        drums: &[(DrumStyle::BoomBap, 1)], kits: &[(0, 2), (25, 2), (8, 1)],
        bass: &[(BassStyle::Sub, 5), (BassStyle::Sustain, 1)], bass_programs: &[(38, 4), (39, 2), (33, 2), (32, 1)], bass_lift: 0,
        comp: &[(CompStyle::Loop, 6), (CompStyle::Stabs, 1)], comp_programs: &[(4, 4), (0, 4), (5, 2), (11, 1), (26, 1), (48, 1)], comp_center: 62,
        pad_chance: 0.2, pad_programs: &[(89, 1), (48, 1)],
        melody_programs: &[(73, 2), (0, 2), (11, 1), (4, 1), (81, 1), (66, 1), (56, 1)], melody_center: 70, melody_span: 7, density: (0.4, 1.0),
        velocity: (80.0, 105.0), volume: (100.0, 120.0), articulation: (0.5, 0.9), reverb: (15.0, 50.0), chorus: (0.0, 30.0),
        dissonance: 0.0, dynamics: 0.05, hits: 0.0, hit_programs: NO_HITS, hit_center: 72, irregular: 0.0, humanize: 6 },
    // Jazz: swing ride, walking bass, ii-V-I with 7ths/9ths, piano comping, sax/trumpet, 100-220 bpm.
    Traits { tempo: (100.0, 220.0), meters: &[(FOUR, 8), (THREE, 2)], swing: (0.5, 0.9), swing16: false,
        progs: &[(&II_V_I, 4), (&RHYTHM, 3), (&MINOR_II_V, 2), (&JAZZ_BLUES, 2), (&JAZZ_LONG, 2)],
        drums: &[(DrumStyle::Swing, 1)], kits: &[(32, 3), (40, 2), (0, 1)],
        bass: &[(BassStyle::Walking, 1)], bass_programs: &[(32, 6), (33, 1)], bass_lift: 0,
        comp: &[(CompStyle::Jazz, 1)], comp_programs: &[(0, 5), (26, 3), (4, 1), (11, 1)], comp_center: 62,
        pad_chance: 0.1, pad_programs: &[(61, 1)],
        melody_programs: &[(66, 3), (65, 3), (56, 3), (64, 1), (57, 1), (0, 1), (11, 1), (71, 1)], melody_center: 67, melody_span: 12, density: (1.5, 2.5),
        velocity: (65.0, 100.0), volume: (85.0, 110.0), articulation: (0.6, 0.9), reverb: (25.0, 60.0), chorus: (0.0, 20.0),
        dissonance: 0.1, dynamics: 0.15, hits: 0.0, hit_programs: NO_HITS, hit_center: 72, irregular: 0.0, humanize: 10 },
    // Metal: distorted power chords, double-kick 16ths, minor/phrygian, 100-200 bpm.
    Traits { tempo: (100.0, 200.0), meters: &[(FOUR, 9), (TWELVE_EIGHT, 1)], swing: (0.0, 0.0), swing16: false,
        progs: &[(&PHRYG_POWER, 3), (&METAL_DESC, 3), (&METAL_TRITONE, 2), (&METAL_HARMONIC, 2)],
        drums: &[(DrumStyle::Metal, 1)], kits: &[(16, 3), (0, 1), (8, 1)],
        bass: &[(BassStyle::Pulse16, 3), (BassStyle::Pulse8, 2)], bass_programs: &[(34, 4), (33, 2)], bass_lift: 0,
        comp: &[(CompStyle::Chug, 1)], comp_programs: &[(30, 5), (29, 2)], comp_center: 46,
        pad_chance: 0.3, pad_programs: &[(48, 1), (52, 1), (19, 1), (30, 1)],
        melody_programs: &[(30, 3), (29, 2), (81, 1)], melody_center: 64, melody_span: 12, density: (1.5, 3.0),
        velocity: (95.0, 125.0), volume: (105.0, 127.0), articulation: (0.4, 0.8), reverb: (15.0, 50.0), chorus: (0.0, 20.0),
        dissonance: 0.2, dynamics: 0.05, hits: 0.0, hit_programs: NO_HITS, hit_center: 72, irregular: 0.0, humanize: 4 },
    // Pop: 95-130 bpm, I-V-vi-IV, clean drums, synth/piano, bright.
    Traits { tempo: (95.0, 130.0), meters: &[(FOUR, 9), (SIX_EIGHT, 1)], swing: (0.0, 0.15), swing16: true,
        progs: &[(&AXIS, 4), (&SENSITIVE, 3), (&FIFTIES, 2), (&CADENCE, 1), (&POP_MINOR, 1)],
        drums: &[(DrumStyle::Pop, 5), (DrumStyle::Disco, 1), (DrumStyle::Rock, 1)], kits: &[(0, 2), (24, 1), (25, 1), (8, 1)],
        bass: &[(BassStyle::Pulse8, 4), (BassStyle::Sustain, 2), (BassStyle::Octave, 1), (BassStyle::Sub, 1)], bass_programs: &[(33, 3), (38, 3), (34, 1), (39, 1)], bass_lift: 0,
        comp: &[(CompStyle::Strum, 3), (CompStyle::Stabs, 2), (CompStyle::Arpeggio, 2), (CompStyle::Pad, 1)], comp_programs: &[(0, 3), (1, 2), (4, 2), (90, 2), (25, 2), (27, 1)], comp_center: 64,
        pad_chance: 0.5, pad_programs: &[(89, 2), (90, 2), (48, 1)],
        melody_programs: &[(80, 2), (81, 1), (73, 1), (0, 1), (54, 2), (11, 1), (27, 1), (65, 1)], melody_center: 72, melody_span: 9, density: (1.2, 2.2),
        velocity: (80.0, 105.0), volume: (95.0, 115.0), articulation: (0.5, 0.85), reverb: (30.0, 70.0), chorus: (20.0, 60.0),
        dissonance: 0.0, dynamics: 0.08, hits: 0.0, hit_programs: NO_HITS, hit_center: 72, irregular: 0.0, humanize: 6 },
    // Reggae: 60-90 bpm one-drop (kick and rim on 3), offbeat guitar/organ skank, heavy bass riffs.
    Traits { tempo: (60.0, 90.0), meters: &[(FOUR, 1)], swing: (0.0, 0.45), swing16: true,
        progs: &[(&REGGAE_I_IV, 4), (&REGGAE_DORIAN, 3), (&REGGAE_FOUR, 2), (&REGGAE_TWO, 2), (&AXIS, 1)],
        drums: &[(DrumStyle::OneDrop, 6), (DrumStyle::Steppers, 2)], kits: &[(0, 3), (8, 1), (25, 1)],
        bass: &[(BassStyle::Reggae, 1)], bass_programs: &[(33, 4), (38, 1), (32, 1)], bass_lift: 0,
        comp: &[(CompStyle::Skank, 1)], comp_programs: &[(27, 3), (28, 2), (17, 2), (16, 1), (0, 1)], comp_center: 64,
        pad_chance: 0.35, pad_programs: &[(16, 2), (17, 1)],
        melody_programs: &[(56, 1), (66, 1), (57, 1), (16, 1), (73, 1), (0, 1), (27, 1)], melody_center: 69, melody_span: 9, density: (0.8, 1.6),
        velocity: (70.0, 100.0), volume: (95.0, 115.0), articulation: (0.35, 0.7), reverb: (30.0, 80.0), chorus: (0.0, 30.0),
        dissonance: 0.0, dynamics: 0.05, hits: 0.0, hit_programs: NO_HITS, hit_center: 72, irregular: 0.0, humanize: 8 },
    // Rock: 100-160 bpm backbeat, overdriven guitar, I-IV-V and I-bVII-IV.
    Traits { tempo: (100.0, 160.0), meters: &[(FOUR, 8), (SIX_EIGHT, 1), (TWELVE_EIGHT, 1)], swing: (0.0, 0.15), swing16: false,
        progs: &[(&CADENCE, 2), (&MIXO_ROCK, 3), (&REGGAE_FOUR, 2), (&POP_MINOR, 2), (&AXIS, 1), (&ROCK_BIII, 2)],
        drums: &[(DrumStyle::Rock, 6), (DrumStyle::Pop, 1), (DrumStyle::Shuffle, 1)], kits: &[(0, 2), (16, 2), (8, 2)],
        bass: &[(BassStyle::Pulse8, 5), (BassStyle::RootFifth, 1), (BassStyle::Sustain, 1)], bass_programs: &[(34, 3), (33, 3)], bass_lift: 0,
        comp: &[(CompStyle::Power, 5), (CompStyle::Strum, 2)], comp_programs: &[(29, 5), (30, 2), (27, 1), (25, 1), (18, 1)], comp_center: 52,
        pad_chance: 0.3, pad_programs: &[(18, 1), (29, 1), (48, 1)],
        melody_programs: &[(29, 3), (30, 1), (27, 2), (81, 1), (22, 1), (18, 1)], melody_center: 67, melody_span: 10, density: (1.0, 2.0),
        velocity: (85.0, 115.0), volume: (100.0, 120.0), articulation: (0.5, 0.85), reverb: (20.0, 60.0), chorus: (0.0, 30.0),
        dissonance: 0.05, dynamics: 0.08, hits: 0.0, hit_programs: NO_HITS, hit_center: 72, irregular: 0.0, humanize: 8 },
];

/// Mood tables from the cue summaries of Juslin & Laukka (2003, cross-modal cue patterns for
/// discrete emotions) and Gabrielsson & Lindstroem (2010, structural factors): tempo, mode, sound
/// level, articulation, register, pitch range, timbre, rhythmic regularity and dissonance.
#[rustfmt::skip]
const MOOD_TRAITS: [Traits; 5] = [
    // Anger: fast, loud, minor, dissonant, sharp attacks, distortion/brass, low-mid register.
    Traits { tempo: (120.0, 185.0), meters: &[(FOUR, 8), (SIX_EIGHT, 1), (THREE, 1)], swing: (0.0, 0.0), swing16: false,
        progs: &[(&SEMITONE, 3), (&AEOLIAN_DESC, 2), (&MINOR_CADENCE, 2), (&TRITONE, 3), (&PHRYG_POWER, 1)],
        drums: &[(DrumStyle::Tacet, 5), (DrumStyle::Toms, 4), (DrumStyle::Light, 1)], kits: &[(48, 1), (0, 1)],
        bass: &[(BassStyle::Pulse8, 4), (BassStyle::Pulse16, 2), (BassStyle::Drone, 1)], bass_programs: &[(43, 2), (34, 2), (58, 1), (38, 2), (57, 1)], bass_lift: 0,
        comp: &[(CompStyle::Stabs, 4), (CompStyle::Chug, 2), (CompStyle::Tremolo, 1), (CompStyle::Power, 2)], comp_programs: &[(61, 3), (30, 3), (48, 2), (0, 2), (62, 1), (29, 1)], comp_center: 52,
        pad_chance: 0.4, pad_programs: &[(19, 1), (48, 1), (62, 1)],
        melody_programs: &[(56, 2), (57, 1), (61, 1), (40, 2), (30, 1), (81, 2), (29, 1)], melody_center: 62, melody_span: 9, density: (1.5, 3.0),
        velocity: (95.0, 125.0), volume: (105.0, 127.0), articulation: (0.3, 0.6), reverb: (15.0, 50.0), chorus: (0.0, 20.0),
        dissonance: 0.35, dynamics: 0.15, hits: 0.25, hit_programs: &[(61, 2), (0, 1), (48, 1), (47, 2)], hit_center: 48, irregular: 0.05, humanize: 6 },
    // Fear: irregular rhythm, tremolo strings, clusters, wide dynamic swings, low register with
    // sudden high hits, minor/chromatic.
    Traits { tempo: (50.0, 140.0), meters: &[(FOUR, 4), (THREE, 3), (FIVE, 2), (SIX_EIGHT, 1)], swing: (0.0, 0.0), swing16: false,
        progs: &[(&SEMITONE, 3), (&FEAR_DIM, 3), (&FEAR_CHROMATIC, 3), (&LAMENTO, 1)],
        drums: &[(DrumStyle::Tacet, 6), (DrumStyle::Toms, 4)], kits: &[(48, 1), (0, 1)],
        bass: &[(BassStyle::Drone, 5), (BassStyle::Sustain, 2), (BassStyle::Pulse8, 1)], bass_programs: &[(43, 4), (42, 2), (38, 1), (19, 1)], bass_lift: 0,
        comp: &[(CompStyle::Tremolo, 5), (CompStyle::Pad, 2), (CompStyle::Arpeggio, 1), (CompStyle::Stabs, 1)], comp_programs: &[(44, 5), (48, 2), (49, 1), (0, 1), (95, 1), (52, 1)], comp_center: 50,
        pad_chance: 0.5, pad_programs: &[(52, 1), (95, 1), (19, 1)],
        melody_programs: &[(40, 2), (41, 1), (42, 1), (73, 1), (8, 1), (10, 1), (0, 2), (68, 1)], melody_center: 57, melody_span: 8, density: (0.4, 1.5),
        velocity: (50.0, 105.0), volume: (85.0, 115.0), articulation: (0.3, 1.0), reverb: (60.0, 120.0), chorus: (0.0, 40.0),
        dissonance: 0.5, dynamics: 0.8, hits: 0.3, hit_programs: &[(0, 2), (40, 1), (9, 1), (61, 1), (48, 1)], hit_center: 86, irregular: 0.35, humanize: 14 },
    // Sadness: slow, soft, minor, legato, low register, small pitch range, dark timbres.
    Traits { tempo: (50.0, 80.0), meters: &[(FOUR, 5), (THREE, 3), (SIX_EIGHT, 2)], swing: (0.0, 0.0), swing16: false,
        progs: &[(&MINOR_CADENCE, 3), (&LAMENTO, 3), (&POP_MINOR, 2), (&MINOR_CIRCLE, 2), (&SAD_PEDAL, 2), (&HH_MINOR, 1)],
        drums: &[(DrumStyle::Tacet, 8), (DrumStyle::Light, 1)], kits: &[(40, 1), (0, 1)],
        bass: &[(BassStyle::Sustain, 5), (BassStyle::Quarters, 1), (BassStyle::Drone, 1)], bass_programs: &[(43, 2), (42, 3), (0, 2), (32, 1)], bass_lift: 0,
        comp: &[(CompStyle::Pad, 3), (CompStyle::Arpeggio, 4)], comp_programs: &[(0, 5), (48, 3), (49, 2), (24, 1), (46, 1), (89, 1)], comp_center: 55,
        pad_chance: 0.55, pad_programs: &[(48, 2), (49, 2), (89, 1), (52, 1)],
        melody_programs: &[(42, 3), (68, 2), (69, 2), (71, 2), (40, 2), (0, 2), (60, 1), (73, 1)], melody_center: 60, melody_span: 5, density: (0.5, 1.1),
        velocity: (45.0, 75.0), volume: (85.0, 105.0), articulation: (0.9, 1.0), reverb: (50.0, 100.0), chorus: (0.0, 40.0),
        dissonance: 0.02, dynamics: 0.2, hits: 0.0, hit_programs: NO_HITS, hit_center: 72, irregular: 0.0, humanize: 12 },
    // Happiness: fast, major, staccato and bouncy, bright high register, moderately loud, regular.
    Traits { tempo: (108.0, 165.0), meters: &[(FOUR, 6), (TWO, 2), (SIX_EIGHT, 2)], swing: (0.0, 0.3), swing16: false,
        progs: &[(&CADENCE, 3), (&AXIS, 2), (&FIFTIES, 2), (&I_IV_I_V, 3), (&COUNTRY_8, 1), (&MIXO_ROCK, 1)],
        drums: &[(DrumStyle::Light, 6), (DrumStyle::Tacet, 4)], kits: &[(0, 1)],
        bass: &[(BassStyle::RootFifth, 4), (BassStyle::Pulse8, 2), (BassStyle::Quarters, 2), (BassStyle::Octave, 1)], bass_programs: &[(32, 2), (33, 2), (45, 1), (58, 1)], bass_lift: 0,
        comp: &[(CompStyle::Chop, 3), (CompStyle::Strum, 2), (CompStyle::Stabs, 2), (CompStyle::Arpeggio, 2)], comp_programs: &[(0, 3), (25, 2), (45, 2), (105, 1), (21, 1), (12, 1), (4, 1)], comp_center: 67,
        pad_chance: 0.25, pad_programs: &[(48, 1), (61, 1)],
        melody_programs: &[(73, 2), (9, 2), (13, 2), (56, 2), (71, 2), (80, 1), (22, 1), (0, 1), (40, 1), (12, 1)], melody_center: 77, melody_span: 10, density: (1.8, 3.0),
        velocity: (75.0, 105.0), volume: (95.0, 115.0), articulation: (0.3, 0.55), reverb: (20.0, 60.0), chorus: (10.0, 50.0),
        dissonance: 0.0, dynamics: 0.08, hits: 0.0, hit_programs: NO_HITS, hit_center: 72, irregular: 0.0, humanize: 6 },
    // Tenderness: slow-moderate, soft, major, legato, mid-high register, consonant, soft timbres.
    Traits { tempo: (60.0, 100.0), meters: &[(FOUR, 4), (THREE, 4), (SIX_EIGHT, 2)], swing: (0.0, 0.0), swing16: false,
        progs: &[(&TENDER, 3), (&TENDER_ADD9, 3), (&FIFTIES, 2), (&CADENCE, 2), (&PACHELBEL, 2)],
        drums: &[(DrumStyle::Tacet, 8), (DrumStyle::Light, 2)], kits: &[(0, 1), (40, 1)],
        bass: &[(BassStyle::Sustain, 4), (BassStyle::Quarters, 2), (BassStyle::RootFifth, 1)], bass_programs: &[(32, 2), (42, 2), (0, 2), (35, 1), (33, 1)], bass_lift: 12,
        comp: &[(CompStyle::Arpeggio, 5), (CompStyle::Pad, 2), (CompStyle::Strum, 1)], comp_programs: &[(24, 4), (0, 4), (46, 3), (4, 2), (10, 1)], comp_center: 62,
        pad_chance: 0.6, pad_programs: &[(48, 2), (49, 2), (89, 2), (88, 1), (52, 1)],
        melody_programs: &[(73, 4), (0, 2), (71, 2), (40, 1), (68, 1), (75, 1), (24, 1), (11, 1), (10, 1)], melody_center: 72, melody_span: 8, density: (0.7, 1.4),
        velocity: (45.0, 75.0), volume: (85.0, 105.0), articulation: (0.85, 1.0), reverb: (55.0, 100.0), chorus: (20.0, 60.0),
        dissonance: 0.0, dynamics: 0.15, hits: 0.0, hit_programs: NO_HITS, hit_center: 72, irregular: 0.0, humanize: 12 },
];

// ---------------------------------------------------------------------------------------------
// Plan: everything drawn once per song
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq)]
enum Section {
    Intro,
    Verse,
    Chorus,
    Bridge,
}

/// Song forms the sections cycle through until the requested length is covered.
#[rustfmt::skip]
const FORMS: [&[Section]; 4] = {
    use Section::{Bridge as B, Chorus as C, Verse as V};
    [&[V, C, V, C, B], &[V, V, C, V, C], &[V, V, B, V], &[V, C, B, C]]
};

/// A chord with its root as an absolute pitch class.
#[derive(Clone, Copy)]
struct Chord {
    root: i32,
    tones: &'static [u8],
}

impl Chord {
    fn has(self, pitch: i32) -> bool {
        self.tones
            .iter()
            .any(|&t| (self.root + i32::from(t) - pitch).rem_euclid(12) == 0)
    }
    /// The chord's third, or the mode's where the chord has none (power and sus chords).
    fn third(self, minor: bool) -> i32 {
        if self.tones.contains(&4) {
            4
        } else if self.tones.contains(&3) || minor {
            3
        } else {
            4
        }
    }
    fn fifth(self) -> i32 {
        if self.tones.contains(&6) && !self.tones.contains(&7) {
            6
        } else {
            7
        }
    }
    fn seventh(self) -> i32 {
        if self.tones.contains(&11) { 11 } else { 10 }
    }
}

struct Bar {
    start: u32,
    section: Section,
    /// Index within the section and the section's length, for phrasing, fills and crashes.
    pos: u32,
    len: u32,
    chord: Chord,
    next: Chord,
    scale: &'static [u8],
    /// Loudness multiplier from section energy and dynamics.
    level: f32,
}

struct Programs {
    bass: u8,
    comp: u8,
    melody: u8,
    pad: Option<u8>,
    hits: Option<u8>,
}

struct Plan {
    traits: &'static Traits,
    bpm: f32,
    us_per_quarter: u32,
    meter: Meter,
    tonic: i32,
    mode: &'static Mode,
    swing: f32,
    drums: DrumStyle,
    kit: u8,
    /// Which variant of the groove (drum grid, strum pattern) this song uses.
    groove: usize,
    intro_drums: bool,
    bass: BassStyle,
    comp: CompStyle,
    programs: Programs,
    velocity: f32,
    articulation: f32,
    density: f32,
    bars: Vec<Bar>,
    end_tick: u32,
    form: String,
}

impl Plan {
    fn draw(t: &'static Traits, rng: &mut StdRng, seconds: f32) -> Plan {
        let meter = pick(rng, t.meters).unwrap_or(FOUR);
        let bpm = range(rng, t.tempo).round();
        let us_per_quarter = (60.0e6 / f64::from(bpm) * f64::from(PPQ)
            / f64::from(meter.beat_ticks()))
        .round() as u32;
        let tonic = rng.random_range(0..12);
        let main = pick(rng, t.progs).unwrap_or(&AXIS);
        let bridge = pick(rng, t.progs).unwrap_or(main);
        let chorus = if chance(rng, 0.5) {
            main
        } else {
            pick(rng, t.progs).unwrap_or(main)
        };
        let swing = if meter.compound() {
            0.0
        } else {
            range(rng, t.swing)
        };
        let drums = pick(rng, t.drums).unwrap_or(DrumStyle::Tacet);
        let kit = pick(rng, t.kits).unwrap_or(0);
        let groove = rng.random_range(0..3);
        let intro_drums = chance(rng, 0.5);
        let bass = pick(rng, t.bass).unwrap_or(BassStyle::Sustain);
        let comp = pick(rng, t.comp).unwrap_or(CompStyle::Pad);
        let programs = Programs {
            bass: pick(rng, t.bass_programs).unwrap_or(33),
            comp: pick(rng, t.comp_programs).unwrap_or(0),
            melody: pick(rng, t.melody_programs).unwrap_or(0),
            pad: if chance(rng, t.pad_chance) {
                pick(rng, t.pad_programs)
            } else {
                None
            },
            hits: if t.hits > 0.0 {
                pick(rng, t.hit_programs)
            } else {
                None
            },
        };
        let velocity = range(rng, t.velocity);
        let articulation = range(rng, t.articulation);
        let density = range(rng, t.density);

        // The end sits on the first beat at or after the requested length, so the last note-off
        // is never early and at most one beat late.
        let seconds = f64::from(if seconds.is_nan() {
            MIN_SECONDS
        } else {
            seconds.clamp(MIN_SECONDS, MAX_SECONDS)
        });
        let exact = seconds * 1.0e6 / f64::from(us_per_quarter) * f64::from(PPQ);
        let beat = meter.beat_ticks();
        let end_tick = (exact.ceil() as u32 + 1).div_ceil(beat) * beat;

        let needed = end_tick.div_ceil(meter.bar_ticks());
        let mut sections: Vec<(Section, u32, &'static Prog)> = Vec::new();
        if chance(rng, 0.7) {
            sections.push((Section::Intro, coin(rng, 0.5, 2, 4), main));
        }
        let form = FORMS[rng.random_range(0..FORMS.len())];
        let mut total: u32 = sections.iter().map(|s| s.1).sum();
        let mut i = 0;
        while total < needed {
            let kind = form
                .get(i % form.len().max(1))
                .copied()
                .unwrap_or(Section::Verse);
            let prog = match kind {
                Section::Chorus => chorus,
                Section::Bridge => bridge,
                _ => main,
            };
            let cycle = prog.chords.len().max(1) as u32;
            let bars = if cycle >= 8 {
                cycle
            } else {
                cycle * ((coin(rng, 0.5, 4, 8)) / cycle).max(1)
            };
            sections.push((kind, bars, prog));
            total += bars;
            i += 1;
        }

        let mut bars = Vec::new();
        for &(section, len, prog) in &sections {
            for pos in 0..len {
                let k = pos as usize % prog.chords.len().max(1);
                let (rel, tones) = prog.chords.get(k).copied().unwrap_or((0, MAJ));
                let chord = Chord {
                    root: (tonic + rel).rem_euclid(12),
                    tones,
                };
                let energy = match section {
                    Section::Intro => 0.8,
                    Section::Verse => 0.9,
                    Section::Chorus => 1.0,
                    Section::Bridge => 0.93,
                };
                // A phrase arch (swell to the middle of the section) plus sudden swings; both
                // scale with the class's dynamics depth.
                let arch = (PI * (pos as f32 + 0.5) / len as f32).sin();
                let mut level = energy * (1.0 - 0.5 * t.dynamics + 0.5 * t.dynamics * arch);
                if chance(rng, 0.4 * t.dynamics) {
                    level *= range(rng, (0.45, 1.25));
                }
                bars.push(Bar {
                    start: bars.len() as u32 * meter.bar_ticks(),
                    section,
                    pos,
                    len,
                    chord,
                    next: chord,
                    scale: prog.mode.scale,
                    level,
                });
            }
        }
        // The walking bass approaches the next bar's root, across section boundaries too.
        for i in 1..bars.len() {
            bars[i - 1].next = bars[i].chord;
        }
        let form = sections
            .iter()
            .map(|(s, n, _)| format!("{}{n}", &format!("{s:?}")[..1]))
            .collect::<Vec<_>>()
            .join(" ");

        Plan {
            traits: t,
            bpm,
            us_per_quarter,
            meter,
            tonic,
            mode: main.mode,
            swing,
            drums,
            kit,
            groove,
            intro_drums,
            bass,
            comp,
            programs,
            velocity,
            articulation,
            density,
            bars,
            end_tick,
            form,
        }
    }

    /// Tick offset of a grid step inside its bar, with swing: the 8th off-beat moves from 1/2
    /// towards 2/3 of the beat (16th swing: odd 16ths from 1/4 towards 1/3).
    fn step_offset(&self, step: u32) -> u32 {
        let m = self.meter;
        let (beat, sub) = (step / m.sub, step % m.sub);
        let straight = beat * m.beat_ticks() + sub * m.step_ticks();
        if m.compound() || m.sub != 4 {
            return straight;
        }
        let third = m.beat_ticks() as f32 / 12.0;
        let shift = match (self.traits.swing16, sub) {
            (true, 1 | 3) => third,
            (false, 2) => 2.0 * third,
            (false, 3) => third,
            _ => 0.0,
        };
        straight + (shift * self.swing) as u32
    }

    /// E.g. `blues: 92 bpm 12/8, E blues, swing 0.00, drums Shuffle (kit 0), bass Boogie
    /// (prog 33), comp Strum (prog 0), pad -, melody prog 22, hits -, form I2 V12 C12`.
    /// Programs are 0-based GM numbers, as sent in the Program Change message.
    fn summary(&self, class: &str) -> String {
        const NAMES: [&str; 12] = [
            "C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B",
        ];
        let p = &self.programs;
        let opt = |x: Option<u8>| x.map_or_else(|| "-".to_owned(), |v| format!("prog {v}"));
        let drums = match self.drums {
            DrumStyle::Tacet => "none".to_owned(),
            d => format!("{d:?} (kit {})", self.kit),
        };
        let unit = match (self.swing > 0.0, self.traits.swing16) {
            (false, _) => "",
            (true, true) => " on 16ths",
            (true, false) => " on 8ths",
        };
        format!(
            "{class}: {:.0} bpm {}/{}, {} {}, swing {:.2}{unit}, drums {drums}, bass {:?} (prog {}), comp {:?} (prog {}), pad {}, melody prog {}, hits {}, form {}",
            self.bpm,
            self.meter.num,
            self.meter.den,
            NAMES[self.tonic.rem_euclid(12) as usize],
            self.mode.name,
            self.swing,
            self.bass,
            p.bass,
            self.comp,
            p.comp,
            opt(p.pad),
            p.melody,
            opt(p.hits),
            self.form,
        )
    }
}

// ---------------------------------------------------------------------------------------------
// Composition core
// ---------------------------------------------------------------------------------------------

/// A note in absolute ticks.
#[derive(Clone, Copy, Debug)]
struct Note {
    start: u32,
    end: u32,
    key: u8,
    vel: u8,
}

/// Pushes a note with its pitch folded by octaves into 0..=127 and velocity clamped to 1..=127.
fn push(out: &mut Vec<Note>, start: u32, len: u32, key: i32, vel: f32) {
    let key = if key < 0 {
        key.rem_euclid(12)
    } else if key > 127 {
        116 + (key - 116).rem_euclid(12)
    } else {
        key
    };
    let vel = vel.round().clamp(1.0, 127.0) as u8;
    out.push(Note {
        start,
        end: start + len.max(1),
        key: key as u8,
        vel,
    });
}

fn chance(rng: &mut StdRng, p: f32) -> bool {
    rng.random::<f32>() < p
}

/// `yes` with probability `p`, else `no`.
fn coin<T>(rng: &mut StdRng, p: f32, yes: T, no: T) -> T {
    if chance(rng, p) { yes } else { no }
}

fn range(rng: &mut StdRng, (lo, hi): (f32, f32)) -> f32 {
    lo + (hi - lo) * rng.random::<f32>()
}

fn nudge(rng: &mut StdRng, tick: u32, amount: i32) -> u32 {
    if amount <= 0 {
        return tick;
    }
    (i64::from(tick) + i64::from(rng.random_range(-amount..=amount))).max(0) as u32
}

/// A weighted draw; `None` only for an empty pool.
fn pick<T: Copy>(rng: &mut StdRng, pool: &[(T, u32)]) -> Option<T> {
    let total: u32 = pool.iter().map(|(_, w)| *w).sum();
    if total == 0 {
        return pool.first().map(|(v, _)| *v);
    }
    let mut r = rng.random_range(0..total);
    for &(v, w) in pool {
        if r < w {
            return Some(v);
        }
        r -= w;
    }
    pool.last().map(|(v, _)| *v)
}

/// Moves `steps` scale degrees from `pitch` (snapped down onto the scale first).
fn scale_move(pitch: i32, steps: i32, tonic: i32, scale: &[u8]) -> i32 {
    let n = scale.len() as i32;
    if n == 0 {
        return pitch + steps;
    }
    let rel = pitch - tonic;
    let degree = scale
        .iter()
        .rposition(|&d| i32::from(d) <= rel.rem_euclid(12))
        .unwrap_or(0) as i32;
    let index = rel.div_euclid(12) * n + degree + steps;
    tonic + index.div_euclid(n) * 12 + i32::from(scale[index.rem_euclid(n) as usize])
}

fn nearest_chord_tone(pitch: i32, chord: Chord) -> i32 {
    (0..7)
        .flat_map(|d| [pitch - d, pitch + d])
        .find(|&p| chord.has(p))
        .unwrap_or(pitch)
}

/// Nearest pitch with pitch class `pc` inside [center - 6, center + 5].
fn near(pc: i32, center: i32) -> i32 {
    center - 6 + (pc - (center - 6)).rem_euclid(12)
}

/// Close-position voicing around `center`: fixed-centre placement gives smooth voice leading.
fn voicing(chord: Chord, center: i32) -> Vec<i32> {
    let mut v: Vec<i32> = chord
        .tones
        .iter()
        .map(|&t| near(chord.root + i32::from(t), center))
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

const KICK: u8 = 36;
const SNARE: u8 = 38;
const CRASH: u8 = 49;
const FILL_TOMS: [u8; 5] = [50, 48, 47, 45, 43];

/// 16-step (4/4) drum grids: 'X' accent, 'x' normal, 'o' ghost. GM drum notes.
#[rustfmt::skip]
fn grid(style: DrumStyle, groove: usize) -> Option<&'static [(u8, &'static str)]> {
    let grids: &[&[(u8, &str)]] = match style {
        DrumStyle::Shuffle => &[
            &[(36, "x.......x......."), (38, "....x.......x..."), (42, "x.x.x.x.x.x.x.x.")],
            &[(36, "x.....x.x......."), (38, "....x.......x..."), (51, "x.x.x.x.x.x.x.x.")]],
        DrumStyle::Rock => &[
            &[(36, "x.......x.x....."), (38, "....X.......X..."), (42, "x.x.x.x.x.x.x.x.")],
            &[(36, "x.....x.x.....x."), (38, "....X.......X..."), (42, "x.x.x.x.x.x.x.x.")],
            &[(36, "x.......x......."), (38, "....X.......X..o"), (51, "x.x.x.x.x.x.x.x.")]],
        DrumStyle::Metal => &[
            &[(36, "xxxxxxxxxxxxxxxx"), (38, "....X.......X..."), (52, "x...x...x...x...")],
            &[(36, "x.xxx.xxx.xxx.xx"), (38, "....X.......X..."), (42, "x.x.x.x.x.x.x.x.")],
            &[(36, "x.x.x.x.x.x.x.x."), (38, ".x.x.x.x.x.x.x.x"), (51, "x.x.x.x.x.x.x.x.")]],
        DrumStyle::Disco => &[
            &[(36, "X...X...X...X..."), (39, "....x.......x..."), (42, "xx.xxx.xxx.xxx.x"), (46, "..x...x...x...x.")],
            &[(36, "X...X...X...X..."), (38, "....x.......x..."), (42, "x...x...x...x..."), (46, "..x...x...x...x."), (54, "oooooooooooooooo")]],
        DrumStyle::BoomBap => &[
            &[(36, "x......x..x....."), (38, "....X.......X..."), (42, "x.x.x.x.x.x.x.x.")],
            &[(36, "x.x.......x..x.."), (38, "....X..o....X..."), (42, "xoxoxoxoxoxoxoxo")],
            &[(36, "x......xx.....x."), (38, "....X.......X.o."), (42, "x.x.x.xox.x.x.xo")]],
        DrumStyle::Swing => &[
            &[(51, "x...x.x.x...x.x."), (44, "....x.......x..."), (36, "o...o...o...o...")],
            &[(51, "x...x.x.x...x.x."), (44, "....x.......x..."), (36, "o.......o.......")]],
        DrumStyle::OneDrop => &[
            &[(36, "........X......."), (37, "........x......."), (42, "x.x.x.x.x.x.x.x.")],
            &[(36, "........X......."), (37, "........x......."), (42, "xoxoxoxoxoxoxo.o"), (46, "..............x.")]],
        DrumStyle::Steppers => &[
            &[(36, "X...X...X...X..."), (37, "....x.......x..."), (42, "..x...x...x...x.")]],
        DrumStyle::Train => &[
            &[(36, "x.......x......."), (38, "ooooXoooooooXooo")]],
        DrumStyle::TwoBeat => &[
            &[(36, "x.......x......."), (37, "....x.......x..."), (42, "..x...x...x...x.")],
            &[(36, "x.......x......."), (38, "....x.......x..."), (44, "....x.......x..."), (51, "x.x.x.x.x.x.x.x.")]],
        DrumStyle::Pop => &[
            &[(36, "x.......x.x....."), (39, "....x.......x..."), (42, "x.x.x.x.x.x.x.x.")],
            &[(36, "x..x..x.x......."), (38, "....X.......X..."), (42, "xoxoxoxoxoxoxoxo")],
            &[(36, "x.......x......."), (38, "....x.......x..."), (54, "....x.......x..."), (42, "x.x.x.x.x.x.x.x.")]],
        DrumStyle::Tacet | DrumStyle::Light | DrumStyle::Toms => return None,
    };
    grids.get(groove % grids.len().max(1)).copied()
}

type Hit = (u32, u8, f32);

fn grid_hits(rows: &[(u8, &str)]) -> Vec<Hit> {
    let mut hits = Vec::new();
    for &(key, row) in rows {
        for (step, c) in row.bytes().enumerate() {
            let accent = match c {
                b'X' => 1.1,
                b'x' => 0.9,
                b'o' => 0.5,
                _ => continue,
            };
            hits.push((step as u32, key, accent));
        }
    }
    hits
}

/// Kit grooves for meters without a written grid (3/4, 5/4, 6/8, 12/8, 2/4): kick on the
/// downbeat(s), backbeat on the weak beats, time on 8ths.
fn generic_hits(style: DrumStyle, m: Meter) -> Vec<Hit> {
    let mid = if m.beats == 5 { 3 } else { m.beats / 2 };
    let (snare, time) = match style {
        DrumStyle::Swing | DrumStyle::Shuffle => (SNARE, 51),
        DrumStyle::OneDrop | DrumStyle::Steppers | DrumStyle::TwoBeat => (37, 42),
        DrumStyle::Pop | DrumStyle::Disco => (39, 42),
        DrumStyle::Metal => (SNARE, 52),
        _ => (SNARE, 42),
    };
    let mut hits = Vec::new();
    for s in 0..m.steps() {
        let (beat, sub) = (s / m.sub, s % m.sub);
        let on_beat = sub == 0;
        let kick = match style {
            DrumStyle::Metal => m.compound() || sub % 2 == 0,
            DrumStyle::Disco | DrumStyle::Steppers => on_beat,
            DrumStyle::OneDrop => on_beat && beat == mid,
            _ => on_beat && (beat == 0 || (beat == mid && m.beats >= 4)),
        };
        if kick {
            hits.push((s, KICK, if style == DrumStyle::Swing { 0.5 } else { 1.0 }));
        }
        let back = on_beat
            && if m.beats == 3 {
                beat > 0
            } else {
                beat % 2 == 1
            };
        if back {
            hits.push((s, snare, if m.beats == 3 { 0.7 } else { 1.0 }));
        }
        let timekeeping = if m.compound() {
            style != DrumStyle::Shuffle || sub != 1
        } else {
            sub % 2 == 0
        };
        if timekeeping {
            hits.push((s, time, if on_beat { 0.9 } else { 0.6 }));
        }
    }
    hits
}

/// Light percussion for moods: shaker on 8ths, then tambourine backbeats or a bar-top triangle.
fn light_hits(m: Meter, groove: usize) -> Vec<Hit> {
    let mut hits = Vec::new();
    for s in 0..m.steps() {
        let (beat, sub) = (s / m.sub, s % m.sub);
        if m.compound() || sub % 2 == 0 {
            hits.push((s, 70, if sub == 0 { 0.6 } else { 0.4 }));
        }
        if groove >= 1 && sub == 0 && beat % 2 == 1 {
            hits.push((s, 54, 0.6));
        }
        if groove == 2 && s == 0 {
            hits.push((s, 81, 0.6));
        }
    }
    hits
}

/// Toms without backbeat: regular pounding, or (irregular) sparse hits off the grid's logic.
fn tom_hits(m: Meter, irregular: bool, rng: &mut StdRng) -> Vec<Hit> {
    const TOMS: [u8; 4] = [41, 43, 45, 35];
    let mut hits = Vec::new();
    for s in 0..m.steps() {
        let (beat, sub) = (s / m.sub, s % m.sub);
        if irregular {
            if chance(rng, 0.1) {
                let key = TOMS[rng.random_range(0..TOMS.len())];
                hits.push((s, key, range(rng, (0.4, 1.2))));
            }
        } else if sub == 0 {
            hits.push((
                s,
                if beat % 2 == 0 { 41 } else { 43 },
                if beat == 0 { 1.1 } else { 0.95 },
            ));
            if beat == 0 {
                hits.push((s, 35, 1.1));
            }
        } else if (m.compound() || sub % 2 == 0) && chance(rng, 0.4) {
            hits.push((s, 45, 0.7));
        }
    }
    hits
}

fn drums(plan: &Plan, rng: &mut StdRng) -> Vec<Note> {
    let m = plan.meter;
    let kit_groove = !matches!(
        plan.drums,
        DrumStyle::Tacet | DrumStyle::Light | DrumStyle::Toms
    );
    let mut out = Vec::new();
    for bar in &plan.bars {
        if bar.section == Section::Intro && !plan.intro_drums {
            continue;
        }
        let groove = plan.groove + usize::from(bar.section == Section::Chorus);
        let mut hits = match plan.drums {
            DrumStyle::Tacet => Vec::new(),
            DrumStyle::Light => light_hits(m, plan.groove),
            DrumStyle::Toms => tom_hits(m, plan.traits.irregular > 0.0, rng),
            style => match grid(style, groove) {
                Some(rows) if m.steps() == 16 => grid_hits(rows),
                _ => generic_hits(style, m),
            },
        };
        if kit_groove {
            // A fill in the last beat of a section, a crash on the first beat of the next.
            if bar.pos + 1 == bar.len && bar.len >= 4 && chance(rng, 0.6) {
                let from = (m.beats - 1) * m.sub;
                hits.retain(|h| h.0 < from || h.1 == KICK);
                let stride = if m.compound() || chance(rng, 0.5) {
                    1
                } else {
                    2
                };
                for (i, s) in (from..m.steps()).step_by(stride).enumerate() {
                    let key = coin(rng, 0.5, SNARE, FILL_TOMS[i % FILL_TOMS.len()]);
                    hits.push((s, key, 0.7 + 0.08 * i as f32));
                }
            }
            if bar.pos == 0 && bar.section != Section::Intro {
                hits.push((0, CRASH, 1.0));
            }
            if plan.drums == DrumStyle::Swing {
                for b in 0..m.beats {
                    if chance(rng, 0.15) {
                        hits.push((b * m.sub + m.sub / 2, SNARE, 0.4));
                    }
                }
            }
        }
        for (step, key, accent) in hits {
            let start = nudge(
                rng,
                bar.start + plan.step_offset(step),
                plan.traits.humanize / 2,
            );
            let vel = plan.velocity * bar.level * 0.95 * accent + range(rng, (-5.0, 5.0));
            push(&mut out, start, m.step_ticks(), i32::from(key), vel);
        }
    }
    out
}

/// Bass root in E1..D#2 (MIDI 28..39), lifted by the class's `bass_lift`.
fn bass_root(pc: i32, lift: i32) -> i32 {
    28 + (pc - 4).rem_euclid(12) + lift
}

fn bass(plan: &Plan, rng: &mut StdRng) -> Vec<Note> {
    const BOOGIE: [i32; 8] = [0, 4, 7, 9, 10, 9, 7, 4];
    const REGGAE: [&[(u32, u32, i32)]; 2] = [
        &[
            (2, 2, 0),
            (4, 2, 0),
            (7, 1, 7),
            (8, 3, 12),
            (12, 2, 7),
            (14, 2, 4),
        ],
        &[(0, 3, 0), (3, 1, 0), (6, 2, 7), (8, 4, 12), (14, 2, 10)],
    ];
    let m = plan.meter;
    let t = plan.traits;
    let eighth = if m.compound() { 1 } else { m.sub / 2 };
    let minor = plan.mode.minor;
    let mut out = Vec::new();
    for bar in &plan.bars {
        let root = bass_root(bar.chord.root, t.bass_lift);
        let c = bar.chord;
        // Interval codes: 3/4 = the chord's third, 6/7 its fifth, 10/11 its seventh.
        let tone = |code: i32| match code {
            3 | 4 => root + c.third(minor),
            6 | 7 => root + c.fifth(),
            10 | 11 => root + c.seventh(),
            x => root + x,
        };
        let steps = m.steps();
        let mut line: Vec<(u32, u32, i32)> = Vec::new();
        match plan.bass {
            BassStyle::Sustain => line.push((0, steps, root)),
            BassStyle::Drone => {
                if chance(rng, 0.3) {
                    let half = steps / 2;
                    line.push((0, half, root));
                    line.push((half, steps - half, root + coin(rng, 0.5, 1, -1)));
                } else {
                    line.push((0, steps, root));
                }
            }
            BassStyle::Quarters => {
                for b in 0..m.beats {
                    line.push((b * m.sub, m.sub, tone([0, 7, 4, 7][b as usize % 4])));
                }
            }
            BassStyle::Pulse8 | BassStyle::Octave => {
                for (i, s) in (0..steps).step_by(eighth as usize).enumerate() {
                    let up = if plan.bass == BassStyle::Octave {
                        i % 2 == 1
                    } else {
                        s + eighth >= steps && chance(rng, 0.3)
                    };
                    line.push((s, eighth, root + if up { 12 } else { 0 }));
                }
            }
            BassStyle::Pulse16 => line.extend((0..steps).map(|s| (s, 1, root))),
            BassStyle::RootFifth => {
                let stride = match m.beats {
                    4 => 2,
                    3 => 3,
                    _ => 1,
                };
                for (i, b) in (0..m.beats).step_by(stride).enumerate() {
                    line.push((b * m.sub, m.sub, if i % 2 == 0 { root } else { tone(7) }));
                }
            }
            BassStyle::Walking => {
                let target = near(bar.next.root, root);
                for b in 0..m.beats {
                    let pitch = if b == 0 {
                        root
                    } else if b + 1 == m.beats {
                        target + coin(rng, 0.6, -1, 1)
                    } else {
                        tone([4, 7, 10, 9, 12, 2][rng.random_range(0..6)])
                    };
                    line.push((b * m.sub, m.sub, pitch));
                }
            }
            BassStyle::Boogie => {
                for (i, s) in (0..steps).step_by(eighth as usize).enumerate() {
                    line.push((s, eighth, tone(BOOGIE[i % BOOGIE.len()])));
                }
            }
            BassStyle::Reggae => {
                let riff = REGGAE[plan.groove % REGGAE.len()];
                for &(s, len, code) in riff {
                    line.push((s * steps / 16, (len * steps / 16).max(1), tone(code)));
                }
            }
            BassStyle::Sub => {
                let kicks: Vec<u32> = match grid(DrumStyle::BoomBap, plan.groove) {
                    Some(rows) if steps == 16 => rows.first().map_or(Vec::new(), |(_, row)| {
                        row.bytes()
                            .enumerate()
                            .filter(|(_, c)| *c != b'.')
                            .map(|(i, _)| i as u32)
                            .collect()
                    }),
                    _ => (0..m.beats).map(|b| b * m.sub).collect(),
                };
                for (i, &s) in kicks.iter().enumerate() {
                    let next = kicks.get(i + 1).copied().unwrap_or(steps);
                    let pitch = if i > 0 && chance(rng, 0.25) {
                        tone(coin(rng, 0.5, 7, 12))
                    } else {
                        root
                    };
                    line.push((s, next - s, pitch));
                }
            }
        }
        let hold = match plan.bass {
            BassStyle::Sustain | BassStyle::Drone | BassStyle::Walking | BassStyle::Sub => 0.95,
            _ => plan.articulation.max(0.45),
        };
        for (step, len, pitch) in line {
            let accent = if step == 0 {
                1.08
            } else if step % m.sub == 0 {
                1.0
            } else {
                0.9
            };
            let start = nudge(rng, bar.start + plan.step_offset(step), t.humanize / 2);
            let ticks = (len * m.step_ticks()) as f32 * hold;
            let vel = plan.velocity * bar.level * 0.95 * accent + range(rng, (-4.0, 4.0));
            push(&mut out, start, ticks as u32, pitch, vel);
        }
    }
    // Ring the last chord's root through the final beat (replacing what the line had there) so
    // the song's last note-off is exactly the end.
    if let Some(last) = plan.bars.iter().rev().find(|b| b.start < plan.end_tick) {
        let beat = plan.meter.beat_ticks().min(plan.end_tick);
        out.retain(|n| n.start < plan.end_tick - beat);
        push(
            &mut out,
            plan.end_tick - beat,
            beat,
            bass_root(last.chord.root, t.bass_lift),
            plan.velocity * 0.8,
        );
    }
    out
}

/// One chord attack inside a bar: offset in ticks, length in ticks, pitches, accent.
struct Strike {
    at: u32,
    len: f32,
    pitches: Vec<i32>,
    accent: f32,
}

/// Comping and pad parts: a rhythm style applied to each bar's voicing.
fn comp(plan: &Plan, rng: &mut StdRng, style: CompStyle, center: i32, gain: f32) -> Vec<Note> {
    const CHUG: [&str; 3] = ["xxxxxxxxxxxxxxxx", "x.xxx.xxx.xxx.xx", "X.x.xxX.x.x.xxx."];
    let m = plan.meter;
    let t = plan.traits;
    let st = m.step_ticks() as f32;
    let steps = m.steps();
    let art = plan.articulation;
    let eighth = if m.compound() { 1 } else { m.sub / 2 };
    // Per-song figures, drawn once so they repeat bar after bar like a riff or a sample.
    let stabs: Vec<u32> = (0..steps)
        .filter(|&s| {
            s == 0
                || chance(
                    rng,
                    if s % m.sub == 0 {
                        0.3
                    } else if s % eighth == 0 {
                        0.4
                    } else {
                        0.1
                    },
                )
        })
        .collect();
    let loops: Vec<Vec<(u32, u32, usize)>> = (0..2)
        .map(|_| {
            let mut on: Vec<u32> = (0..rng.random_range(3..=5))
                .map(|_| rng.random_range(0..steps))
                .collect();
            on.sort_unstable();
            on.dedup();
            let ends: Vec<u32> = on.iter().skip(1).copied().chain([steps]).collect();
            on.iter()
                .zip(ends)
                .map(|(&s, e)| (s, (e - s).min(m.sub * 2), rng.random_range(0..4)))
                .collect()
        })
        .collect();
    let chug = CHUG[rng.random_range(0..CHUG.len())];
    let open_chorus = chance(rng, 0.5);
    let arp = rng.random_range(0..3);

    let mut out = Vec::new();
    for (index, bar) in plan.bars.iter().enumerate() {
        let mut v = voicing(bar.chord, center);
        if chance(rng, t.dissonance) {
            // A minor second against the lowest voice or the tritone above the root.
            let low = v.first().copied().unwrap_or(center);
            v.push(coin(rng, 0.5, low + 1, near(bar.chord.root + 6, center)));
        }
        let power = {
            let r = near(bar.chord.root, center);
            vec![r, r + 7, r + 12]
        };
        // Strikes on grid steps (swung by `at`), lengths in steps; accents lean on the beat.
        let mut strikes: Vec<Strike> = Vec::new();
        let mut strike = |step: u32, len: f32, pitches: &[i32], accent: f32| {
            let pitches = pitches.to_vec();
            strikes.push(Strike {
                at: plan.step_offset(step),
                len: len * st,
                pitches,
                accent,
            })
        };
        let on_beat = |s: u32| if s.is_multiple_of(m.sub) { 1.0 } else { 0.85 };
        let whole = steps as f32;
        match style {
            CompStyle::Pad => strike(0, whole, &v, 0.85),
            CompStyle::Arpeggio => {
                let rate = if m.compound() {
                    1
                } else if plan.density < 1.0 {
                    m.sub
                } else {
                    eighth
                };
                let mut seq = v.clone();
                seq.push(v.first().copied().unwrap_or(center) + 12);
                let n = seq.len();
                let period = (2 * n).saturating_sub(2).max(1);
                // Legato classes let arpeggio notes ring over each other, like a sustain pedal.
                let ring = if art > 0.8 { 2.0 } else { art };
                for (k, s) in (0..steps).step_by(rate as usize).enumerate() {
                    let i = match arp {
                        0 => k % n,
                        1 => (k % period).min(period - k % period),
                        _ => [0, n - 1, n / 2, n - 1][k % 4],
                    };
                    strike(s, rate as f32 * ring, &seq[i..=i], on_beat(s));
                }
            }
            CompStyle::Strum => {
                for s in (0..steps).step_by(m.sub as usize) {
                    strike(s, m.sub as f32 * art, &v, if s == 0 { 1.0 } else { 0.85 });
                    if !m.compound() && plan.groove % 2 == 1 && (s / m.sub) % 2 == 1 {
                        strike(s + eighth, eighth as f32 * art, &v, 0.75);
                    }
                }
            }
            CompStyle::Chop => {
                for s in 0..steps {
                    let (beat, sub) = (s / m.sub, s % m.sub);
                    let backbeat = beat % 2 == 1 || (m.beats == 3 && beat > 0);
                    if if m.compound() {
                        sub != 0
                    } else {
                        sub == 0 && backbeat
                    } {
                        strike(s, 1.5 * art, &v, 0.85);
                    }
                }
            }
            CompStyle::Skank => {
                for s in (m.sub..steps).step_by(2 * m.sub as usize) {
                    strike(s, 0.9, &v, 0.9);
                    if plan.groove == 1 {
                        strike(s + eighth, 0.8, &v, 0.7);
                    }
                }
            }
            CompStyle::Jazz => {
                // Rootless voicings (the bass has the root) on a few swung beats and off-beats.
                let root = bar.chord.root;
                let shell: Vec<i32> = v
                    .iter()
                    .copied()
                    .filter(|&p| (p - root).rem_euclid(12) != 0)
                    .collect();
                for _ in 0..rng.random_range(1..=3) {
                    let s = rng.random_range(0..m.beats) * m.sub + coin(rng, 0.5, eighth, 0);
                    let len = rng.random_range(1..=m.sub) as f32 * art;
                    strike(s, len, &shell, range(rng, (0.7, 1.0)));
                }
            }
            CompStyle::Power | CompStyle::Chug if bar.section == Section::Chorus && open_chorus => {
                strike(0, whole / 2.0, &power, 1.05);
                strike(steps / 2, whole / 2.0, &power, 1.0);
            }
            CompStyle::Power => {
                for s in (0..steps).step_by(eighth as usize) {
                    strike(s, eighth as f32 * art * 0.8, &power, on_beat(s));
                }
            }
            CompStyle::Chug => {
                for s in 0..steps {
                    let c = if steps == 16 {
                        chug.as_bytes().get(s as usize).copied()
                    } else {
                        Some(b'x')
                    };
                    if let Some(c @ (b'x' | b'X')) = c {
                        strike(s, 0.6, &power[..2], if c == b'X' { 1.1 } else { 0.9 });
                    }
                }
            }
            CompStyle::Stabs => {
                for &s in &stabs {
                    strike(s, 1.5 * art, &v, 1.05);
                }
            }
            CompStyle::Scratch => {
                let top: Vec<i32> = v.iter().rev().take(2).copied().collect();
                for s in 0..steps {
                    strike(s, 0.45, &top, if s % m.sub == eighth { 1.0 } else { 0.55 });
                }
            }
            CompStyle::Loop => {
                let n = v.len().max(1);
                for &(s, len, idx) in &loops[index % loops.len()] {
                    let pitch =
                        v.get(idx % n).copied().unwrap_or(center) + if idx >= n { 12 } else { 0 };
                    strike(s, len as f32 * art, &[pitch], 0.9);
                }
            }
            CompStyle::Tremolo => {
                // Re-attacked 32nds with a swell: audible tremolo even on sustaining patches.
                let count = steps * 2;
                for k in 0..count {
                    let swell = 0.65 + 0.35 * (2.0 * PI * k as f32 / count as f32).sin();
                    strikes.push(Strike {
                        at: k * m.step_ticks() / 2,
                        len: st * 0.5,
                        pitches: v.clone(),
                        accent: swell,
                    });
                }
            }
        }
        let stagger = if style == CompStyle::Strum { 10 } else { 0 };
        for s in strikes {
            let start = nudge(rng, bar.start + s.at, t.humanize);
            for (i, &p) in s.pitches.iter().enumerate() {
                let vel = plan.velocity * bar.level * gain * s.accent + range(rng, (-4.0, 4.0));
                push(
                    &mut out,
                    start + stagger * i as u32,
                    s.len.max(30.0) as u32,
                    p,
                    vel,
                );
            }
        }
    }
    out
}

/// Melody: a few one-bar motifs (rhythm + scale-step contour) arranged in 4-bar phrases
/// (A, A varied, B, cadence), strong beats snapped to chord tones, kept inside the class's range.
fn melody(plan: &Plan, rng: &mut StdRng) -> Vec<Note> {
    let m = plan.meter;
    let t = plan.traits;
    let st = m.step_ticks();
    let motifs: Vec<Vec<(u32, u32, i32)>> = (0..3).map(|_| motif(rng, m, plan.density)).collect();
    let mut cur = t.melody_center;
    let mut out = Vec::new();
    for bar in &plan.bars {
        if bar.section == Section::Intro {
            continue;
        }
        let lift = if bar.section == Section::Chorus { 3 } else { 0 };
        let (lo, hi) = (
            t.melody_center - t.melody_span + lift,
            t.melody_center + t.melody_span + lift,
        );
        let phrase = bar.pos % 4;
        let mut events: Vec<(u32, u32, i32)> = match (bar.section, phrase) {
            (_, 3) => {
                let half = m.steps() / 2;
                coin(
                    rng,
                    0.5,
                    vec![(0, m.steps(), 0)],
                    vec![(0, half, 1), (half, m.steps() - half, -1)],
                )
            }
            (Section::Chorus, _) => motifs[2].clone(),
            (_, 2) => motifs[1].clone(),
            _ => motifs[0].clone(),
        };
        if phrase == 1 && chance(rng, 0.6) {
            let n = events.len();
            for e in events.iter_mut().skip(n.saturating_sub(2)) {
                e.2 = rng.random_range(-2..=2);
            }
        }
        for (step, len, delta) in events {
            let mut step = step;
            if chance(rng, t.irregular) {
                if chance(rng, 0.5) {
                    continue;
                }
                step = (step + rng.random_range(1..=2)).min(m.steps() - 1);
            }
            let mut p = scale_move(cur, delta, plan.tonic, bar.scale);
            if step % m.sub == 0 || phrase == 3 {
                p = nearest_chord_tone(p, bar.chord);
            }
            if p > hi {
                p = scale_move(2 * hi - p, 0, plan.tonic, bar.scale);
            } else if p < lo {
                p = scale_move(2 * lo - p, 0, plan.tonic, bar.scale);
            }
            p = p.clamp(lo, hi);
            if chance(rng, t.dissonance * 0.3) {
                p += coin(rng, 0.5, 1, -1);
            }
            cur = p;
            let accent = if step == 0 {
                1.08
            } else if step % m.sub == 0 {
                1.0
            } else {
                0.92
            };
            let start = nudge(rng, bar.start + plan.step_offset(step), t.humanize);
            let ticks = ((len * st) as f32 * plan.articulation).max(40.0);
            let vel = plan.velocity * bar.level * accent + range(rng, (-5.0, 5.0));
            push(&mut out, start, ticks as u32, p, vel);
        }
    }
    out
}

/// One bar of melody rhythm and contour; onsets favour beats, then 8ths, then 16ths, scaled to
/// `density` notes per beat. Contours mostly move by step and lean up then down (an arch).
fn motif(rng: &mut StdRng, m: Meter, density: f32) -> Vec<(u32, u32, i32)> {
    let weight = |s: u32| {
        let sub = s % m.sub;
        if sub == 0 {
            1.0
        } else if m.compound() || sub == m.sub / 2 {
            0.55
        } else {
            0.2
        }
    };
    let total: f32 = (0..m.steps()).map(weight).sum();
    let scale = density * m.beats as f32 / total.max(1.0);
    let mut onsets: Vec<u32> = (0..m.steps())
        .filter(|&s| chance(rng, weight(s) * scale))
        .collect();
    if onsets.is_empty() {
        onsets.push(0);
    }
    let n = onsets.len();
    let ends: Vec<u32> = onsets.iter().skip(1).copied().chain([m.steps()]).collect();
    onsets
        .iter()
        .zip(ends)
        .enumerate()
        .map(|(i, (&s, e))| {
            let size = match rng.random::<f32>() {
                x if x < 0.7 => 1,
                x if x < 0.88 => 2,
                _ => rng.random_range(3..=4),
            };
            let up = if i < n / 2 {
                chance(rng, 0.65)
            } else {
                chance(rng, 0.35)
            };
            let delta = if i == 0 {
                0
            } else if up {
                size
            } else {
                -size
            };
            (s, (e - s).min(m.sub * 2), delta)
        })
        .collect()
}

/// Sudden accents: fear's high startle clusters, anger's low minor-second/tritone stabs.
fn hits(plan: &Plan, rng: &mut StdRng) -> Vec<Note> {
    let t = plan.traits;
    let m = plan.meter;
    let mut out = Vec::new();
    for bar in &plan.bars {
        if !chance(rng, t.hits) {
            continue;
        }
        let start = bar.start + plan.step_offset(rng.random_range(0..m.steps()));
        let base = t.hit_center + rng.random_range(-3..=3);
        let shape: [i32; 3] = if t.irregular > 0.2 {
            [0, 1, 2]
        } else {
            [0, 1, 6]
        };
        let len = m.step_ticks() * rng.random_range(1..=4);
        let vel = range(rng, (112.0, 127.0));
        for d in shape {
            push(&mut out, start, len, base + d, vel);
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Assembly and MIDI writing
// ---------------------------------------------------------------------------------------------

/// One track and channel of the file, with its mixer settings.
struct Part {
    name: &'static str,
    channel: u8,
    program: u8,
    volume: u8,
    pan: u8,
    reverb: u8,
    chorus: u8,
    notes: Vec<Note>,
}

/// Mixer role of a part: its channel, CC7 gain against the class volume and send scale (a dry
/// bass and drier drums keep the low end from washing out).
struct Role {
    name: &'static str,
    channel: u8,
    gain: f32,
    wet: f32,
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
use roles::*;

fn cc(x: f32) -> u8 {
    x.round().clamp(0.0, 127.0) as u8
}

fn arrange(class: &str, traits: &'static Traits, seed: u64, seconds: f32) -> Song {
    let mut rng = StdRng::seed_from_u64(class_seed(class, seed));
    let plan = Plan::draw(traits, &mut rng, seconds);
    let t = traits;
    let side = coin(&mut rng, 0.5, -1.0, 1.0);
    let mut parts = Vec::new();
    let mut add = |rng: &mut StdRng, role: &Role, program: u8, pan: f32, notes: Vec<Note>| {
        parts.push(Part {
            name: role.name,
            channel: role.channel,
            program,
            volume: cc(range(rng, t.volume) * role.gain),
            pan: cc(64.0 + pan),
            reverb: cc(range(rng, t.reverb) * role.wet),
            chorus: cc(range(rng, t.chorus) * role.wet),
            notes,
        })
    };
    if plan.drums != DrumStyle::Tacet {
        let notes = drums(&plan, &mut rng);
        add(&mut rng, &DRUMS, plan.kit, 0.0, notes);
    }
    let notes = bass(&plan, &mut rng);
    add(&mut rng, &BASS, plan.programs.bass, 0.0, notes);
    let notes = comp(&plan, &mut rng, plan.comp, t.comp_center, 0.9);
    let pan = side * range(&mut rng, (12.0, 32.0));
    add(&mut rng, &COMP, plan.programs.comp, pan, notes);
    let notes = melody(&plan, &mut rng);
    let pan = range(&mut rng, (-8.0, 8.0));
    add(&mut rng, &MELODY, plan.programs.melody, pan, notes);
    if let Some(program) = plan.programs.pad {
        let notes = comp(&plan, &mut rng, CompStyle::Pad, t.comp_center + 7, 0.75);
        let pan = -side * range(&mut rng, (12.0, 32.0));
        add(&mut rng, &PAD, program, pan, notes);
    }
    if let Some(program) = plan.programs.hits {
        let notes = hits(&plan, &mut rng);
        let pan = range(&mut rng, (-30.0, 30.0));
        add(&mut rng, &HITS, program, pan, notes);
    }
    for part in &mut parts {
        tidy(&mut part.notes, plan.end_tick);
    }
    let smf = write_smf(&plan, &parts);
    let seconds =
        f64::from(plan.end_tick) * f64::from(plan.us_per_quarter) / (f64::from(PPQ) * 1.0e6);
    Song {
        smf,
        summary: plan.summary(class),
        seconds: seconds as f32,
    }
}

/// FNV-1a of the class name folded into the seed through splitmix64, so seed 1 of one class
/// starts an unrelated random stream from seed 1 of another.
fn class_seed(class: &str, seed: u64) -> u64 {
    fn splitmix(mut z: u64) -> u64 {
        z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    let name = class.bytes().fold(0xCBF2_9CE4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01B3)
    });
    splitmix(name ^ splitmix(seed))
}

/// Clips notes to the end and shortens a note where the same key restarts on its channel, since
/// a MIDI note-off cannot say which of two overlapping same-key notes it ends.
fn tidy(notes: &mut Vec<Note>, end_tick: u32) {
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

fn delta_encode(
    mut events: Vec<(u32, u8, TrackEventKind<'static>)>,
    end_tick: u32,
) -> Vec<TrackEvent<'static>> {
    // Stable sort on (tick, order): at one tick, setup before note-offs before note-ons.
    events.sort_by_key(|e| (e.0, e.1));
    let mut track = Vec::with_capacity(events.len() + 1);
    let mut now = 0;
    for (tick, _, kind) in events {
        track.push(TrackEvent {
            delta: u28::new(tick - now),
            kind,
        });
        now = tick;
    }
    let end = TrackEventKind::Meta(MetaMessage::EndOfTrack);
    track.push(TrackEvent {
        delta: u28::new(end_tick.saturating_sub(now)),
        kind: end,
    });
    track
}

/// Key signature as sharps (negative = flats) of the major key with this tonic pitch class.
fn key_signature(tonic: i32, minor: bool) -> i8 {
    const SHARPS: [i8; 12] = [0, -5, 2, -3, 4, -1, 6, 1, -4, 3, -2, 5];
    SHARPS[(tonic + if minor { 3 } else { 0 }).rem_euclid(12) as usize]
}

fn write_smf(plan: &Plan, parts: &[Part]) -> Vec<u8> {
    use MetaMessage as Meta;
    let m = plan.meter;
    let minor = plan.mode.minor;
    // MIDI clocks per metronome click: a quarter is 24, a dotted quarter 36.
    let clocks = if m.compound() { 36 } else { 24 };
    let map = [
        Meta::TrackName(b"tempo map"),
        Meta::TimeSignature(m.num, m.den.trailing_zeros() as u8, clocks, 8),
        Meta::KeySignature(key_signature(plan.tonic, minor), minor),
        Meta::Tempo(u24::new(plan.us_per_quarter)),
    ];
    let map = map
        .into_iter()
        .map(|e| (0, 0, TrackEventKind::Meta(e)))
        .collect();
    let mut tracks = vec![delta_encode(map, plan.end_tick)];
    for part in parts {
        let channel = u4::new(part.channel);
        let midi = |message| TrackEventKind::Midi { channel, message };
        let control = |controller: u8, value: u8| {
            let (controller, value) = (u7::new(controller), u7::new(value));
            MidiMessage::Controller { controller, value }
        };
        // The program change is the channel's first event; the stable sort keeps this order.
        let setup = [
            MidiMessage::ProgramChange {
                program: u7::new(part.program),
            },
            control(7, part.volume),
            control(10, part.pan),
            control(91, part.reverb),
            control(93, part.chorus),
        ];
        let name = TrackEventKind::Meta(Meta::TrackName(part.name.as_bytes()));
        let mut events = vec![(0, 0, name)];
        events.extend(setup.into_iter().map(|message| (0, 1, midi(message))));
        for n in &part.notes {
            let (key, vel) = (u7::new(n.key), u7::new(n.vel));
            events.push((
                n.end,
                2,
                midi(MidiMessage::NoteOff {
                    key,
                    vel: u7::new(0),
                }),
            ));
            events.push((n.start, 3, midi(MidiMessage::NoteOn { key, vel })));
        }
        tracks.push(delta_encode(events, plan.end_tick));
    }
    let smf = Smf {
        header: Header::new(Format::Parallel, Timing::Metrical(u15::new(PPQ as u16))),
        tracks,
    };
    let mut bytes = Vec::new();
    // midly only fails for more than 65535 tracks or a chunk over 4 GiB; we write at most seven
    // tracks of bounded length (<= 600 s), so this branch is unreachable in practice.
    if smf.write(&mut bytes).is_err() {
        bytes.clear();
    }
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the tests read back out of a written file with midly's parser.
    struct Parsed {
        us_per_quarter: u32,
        meter: (u8, u8),
        ppq: u32,
        last_off: u32,
        tracks: Vec<TrackInfo>,
        programs: Vec<(u8, u8)>,
        velocities: Vec<u8>,
    }

    /// A non-tempo track: its name, the channels it uses, and its first channel event
    /// (absolute tick, whether it is a program change).
    struct TrackInfo {
        name: String,
        channels: Vec<u8>,
        first: Option<(u32, bool)>,
    }

    impl Parsed {
        fn seconds(&self) -> f64 {
            f64::from(self.last_off) * f64::from(self.us_per_quarter) / f64::from(self.ppq) / 1e6
        }
        fn bpm(&self) -> f64 {
            let beat_quarters = if self.meter.1 == 8 { 1.5 } else { 1.0 };
            60.0e6 / f64::from(self.us_per_quarter) / beat_quarters
        }
        fn mean_velocity(&self) -> f64 {
            self.velocities.iter().map(|&v| f64::from(v)).sum::<f64>()
                / self.velocities.len() as f64
        }
    }

    fn parse(song: &Song) -> Parsed {
        let smf = Smf::parse(&song.smf).expect("midly parses the song");
        assert_eq!(smf.header.format, Format::Parallel);
        let ppq = match smf.header.timing {
            Timing::Metrical(t) => u32::from(t.as_int()),
            Timing::Timecode(..) => panic!("metrical timing expected"),
        };
        let mut p = Parsed {
            us_per_quarter: 0,
            meter: (0, 0),
            ppq,
            last_off: 0,
            tracks: Vec::new(),
            programs: Vec::new(),
            velocities: Vec::new(),
        };
        for (i, track) in smf.tracks.iter().enumerate() {
            let (mut now, mut name, mut channels, mut first) =
                (0u32, String::new(), Vec::new(), None);
            for ev in track {
                now += ev.delta.as_int();
                match ev.kind {
                    TrackEventKind::Meta(MetaMessage::Tempo(us)) => p.us_per_quarter = us.as_int(),
                    TrackEventKind::Meta(MetaMessage::TimeSignature(n, d, _, _)) => {
                        p.meter = (n, 1 << d)
                    }
                    TrackEventKind::Meta(MetaMessage::TrackName(n)) => {
                        name = String::from_utf8_lossy(n).into()
                    }
                    TrackEventKind::Midi { channel, message } => {
                        assert!(i > 0, "the first track holds only the tempo/meter map");
                        let ch = channel.as_int();
                        if !channels.contains(&ch) {
                            channels.push(ch);
                        }
                        first.get_or_insert((
                            now,
                            matches!(message, MidiMessage::ProgramChange { .. }),
                        ));
                        match message {
                            MidiMessage::ProgramChange { program } => {
                                p.programs.push((ch, program.as_int()))
                            }
                            MidiMessage::NoteOn { vel, .. } if vel.as_int() > 0 => {
                                p.velocities.push(vel.as_int())
                            }
                            MidiMessage::NoteOn { .. } | MidiMessage::NoteOff { .. } => {
                                p.last_off = p.last_off.max(now)
                            }
                            _ => {}
                        }
                    }
                    _ => {}
                }
            }
            if i > 0 {
                p.tracks.push(TrackInfo {
                    name,
                    channels,
                    first,
                });
            }
        }
        p
    }

    fn all_classes() -> Vec<(&'static str, bool)> {
        GENRES
            .iter()
            .map(|g| (*g, true))
            .chain(MOODS.iter().map(|m| (*m, false)))
            .collect()
    }

    fn song(class: &str, is_genre: bool, seed: u64, seconds: f32) -> Song {
        let song = if is_genre {
            genre_song(class, seed, seconds)
        } else {
            mood_song(class, seed, seconds)
        };
        song.expect("known class")
    }

    #[test]
    fn same_class_and_seed_give_identical_bytes() {
        for (class, is_genre) in all_classes() {
            let (a, b) = (
                song(class, is_genre, 7, 30.0),
                song(class, is_genre, 7, 30.0),
            );
            assert_eq!(a.smf, b.smf, "{class}");
            assert_eq!(a.summary, b.summary, "{class}");
        }
    }

    #[test]
    fn different_seeds_give_different_songs() {
        for (class, is_genre) in all_classes() {
            assert_ne!(
                song(class, is_genre, 1, 30.0).smf,
                song(class, is_genre, 2, 30.0).smf,
                "{class}"
            );
        }
    }

    #[test]
    fn class_name_is_mixed_into_the_seed() {
        let mut seeds: Vec<u64> = all_classes()
            .iter()
            .map(|(c, _)| class_seed(c, 1))
            .collect();
        seeds.sort_unstable();
        seeds.dedup();
        assert_eq!(seeds.len(), 15);
        assert_ne!(class_seed("blues", 1), class_seed("blues", 2));
    }

    #[test]
    fn every_song_parses_with_valid_channels_and_programs_first() {
        for (class, is_genre) in all_classes() {
            for seed in 0..20 {
                let s = song(class, is_genre, seed, 30.0);
                let p = parse(&s);
                assert!(
                    p.us_per_quarter > 0 && p.meter.0 > 0,
                    "{class} {seed}: tempo map"
                );
                assert!(!p.velocities.is_empty(), "{class} {seed}: has notes");
                assert!(p.velocities.iter().all(|&v| (1..=127).contains(&v)));
                for TrackInfo {
                    name,
                    channels,
                    first,
                } in &p.tracks
                {
                    assert_eq!(
                        channels.len(),
                        1,
                        "{class} {seed} {name}: one channel per track"
                    );
                    assert_eq!(
                        channels[0] == 9,
                        name == "drums",
                        "{class} {seed} {name}: drums only on 9"
                    );
                    assert_eq!(
                        *first,
                        Some((0, true)),
                        "{class} {seed} {name}: program change at tick 0"
                    );
                }
                let has = |n: &str| p.tracks.iter().any(|t| t.name == n);
                assert!(
                    has("bass") && has("comp") && has("melody"),
                    "{class} {seed}"
                );
            }
        }
    }

    #[test]
    fn length_is_within_four_seconds_after_the_request() {
        for seconds in [4.0, 30.0, 120.0] {
            for (class, is_genre) in all_classes() {
                for seed in 0..3 {
                    let s = song(class, is_genre, seed, seconds);
                    let parsed = parse(&s).seconds();
                    // 1 ms of slack covers the microsecond rounding of the tempo meta event.
                    assert!(
                        (parsed - f64::from(s.seconds)).abs() < 1e-3,
                        "{class} {seed} {seconds}: {parsed} vs {}",
                        s.seconds
                    );
                    assert!(
                        parsed >= f64::from(seconds),
                        "{class} {seed}: {parsed} < {seconds}"
                    );
                    assert!(
                        parsed <= f64::from(seconds) + 4.0,
                        "{class} {seed}: {parsed} > {seconds}+4"
                    );
                }
            }
        }
    }

    #[test]
    fn genre_tempo_stays_in_its_documented_range() {
        for (class, traits) in GENRES.iter().zip(GENRE_TRAITS.iter()) {
            for seed in 0..20 {
                let bpm = parse(&song(class, true, seed, 10.0)).bpm();
                // 0.05 bpm covers rounding the tempo to whole microseconds per quarter.
                let (lo, hi) = traits.tempo;
                assert!(
                    bpm > f64::from(lo) - 0.05 && bpm < f64::from(hi) + 0.05,
                    "{class}: {bpm}"
                );
            }
        }
    }

    #[test]
    fn metal_always_uses_a_distortion_guitar() {
        for seed in 0..20 {
            let p = parse(&song("metal", true, seed, 10.0));
            assert!(
                p.programs
                    .iter()
                    .any(|&(ch, prog)| ch != 9 && (prog == 29 || prog == 30)),
                "{seed}"
            );
        }
    }

    #[test]
    fn classical_has_no_drum_channel_events() {
        for seed in 0..20 {
            let p = parse(&song("classical", true, seed, 30.0));
            assert!(p.tracks.iter().all(|t| !t.channels.contains(&9)), "{seed}");
        }
    }

    #[test]
    fn sadness_is_slower_than_happiness_on_average() {
        let mean = |mood| {
            (0..20)
                .map(|seed| parse(&song(mood, false, seed, 10.0)).bpm())
                .sum::<f64>()
                / 20.0
        };
        let (sad, happy) = (mean("sadness"), mean("happiness"));
        assert!(sad + 20.0 < happy, "sadness {sad} vs happiness {happy}");
    }

    #[test]
    fn anger_is_louder_than_tenderness_on_average() {
        let mean = |mood| {
            (0..20)
                .map(|seed| parse(&song(mood, false, seed, 30.0)).mean_velocity())
                .sum::<f64>()
                / 20.0
        };
        let (anger, tender) = (mean("anger"), mean("tenderness"));
        assert!(
            anger > tender + 20.0,
            "anger {anger} vs tenderness {tender}"
        );
    }

    #[test]
    fn class_tables_have_usable_pools_and_ranges() {
        fn usable<T>(pool: &[(T, u32)]) -> bool {
            pool.iter().map(|p| p.1).sum::<u32>() > 0
        }
        for t in GENRE_TRAITS.iter().chain(MOOD_TRAITS.iter()) {
            // The length contract ends on a beat; at >= 40 bpm one beat is at most 1.5 s.
            assert!(t.tempo.0 >= 40.0 && t.tempo.0 <= t.tempo.1);
            assert!(usable(t.meters) && usable(t.progs) && usable(t.drums) && usable(t.kits));
            assert!(
                usable(t.bass)
                    && usable(t.bass_programs)
                    && usable(t.comp)
                    && usable(t.comp_programs)
            );
            assert!(usable(t.pad_programs) && usable(t.melody_programs) && usable(t.hit_programs));
            for (lo, hi) in [
                t.swing,
                t.density,
                t.velocity,
                t.volume,
                t.articulation,
                t.reverb,
                t.chorus,
            ] {
                assert!(lo <= hi);
            }
        }
    }

    #[test]
    fn unknown_class_names_are_errors() {
        let e = genre_song("polka", 1, 30.0)
            .err()
            .expect("polka is no GTZAN genre");
        assert!(e.to_string().contains("polka") && e.to_string().contains("reggae"));
        let e = mood_song("blues", 1, 30.0).err().expect("blues is no mood");
        assert!(matches!(e, ArrangeError::UnknownMood(_)));
    }

    #[test]
    fn odd_lengths_and_seeds_do_not_panic() {
        for seconds in [f32::NAN, -5.0, 0.0, 0.5, f32::INFINITY, 1e9] {
            for (class, is_genre) in all_classes() {
                let s = song(class, is_genre, u64::MAX, seconds);
                assert!(
                    s.seconds >= MIN_SECONDS && s.seconds <= MAX_SECONDS + 4.0,
                    "{class} {seconds}"
                );
            }
        }
    }

    #[test]
    fn tidy_clips_to_the_end_and_separates_same_key_notes() {
        let n = |start, end, key| Note {
            start,
            end,
            key,
            vel: 90,
        };
        let mut notes = vec![
            n(0, 500, 60),
            n(100, 300, 60),
            n(100, 300, 62),
            n(900, 1200, 64),
            n(1000, 1100, 65),
        ];
        tidy(&mut notes, 1000);
        let spans: Vec<(u32, u32, u8)> = notes.iter().map(|n| (n.start, n.end, n.key)).collect();
        assert_eq!(
            spans,
            vec![
                (0, 100, 60),
                (100, 300, 60),
                (100, 300, 62),
                (900, 1000, 64)
            ]
        );
    }
}
