//! Musical primitives, the vocabulary every other file speaks: time (ticks per quarter, meters as
//! step grids), notes in ticks, modes and scales, chord qualities and chords, the chord loops
//! (progressions) the class tables choose from, and pitch arithmetic (scale steps, nearest chord
//! tone, close voicings, key signatures). Nothing here draws random numbers.

use crate::midi::TICKS_PER_QUARTER;

/// Ticks per quarter note: divides into 16ths (120), triplet 8ths (160) and dotted beats (720).
/// The one MIDI writer's resolution, so the tick grid here is the file's.
pub(super) const PPQ: u32 = TICKS_PER_QUARTER as u32;

/// A meter as the grid the patterns are written on: `beats` per bar, `sub` steps per beat.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Meter {
    pub(super) num: u8,
    pub(super) den: u8,
    pub(super) beats: u32,
    pub(super) sub: u32,
}

impl Meter {
    /// Compound meters (6/8, 12/8) count dotted-quarter beats split in three.
    pub(super) fn compound(self) -> bool {
        self.den == 8
    }
    pub(super) fn beat_ticks(self) -> u32 {
        if self.compound() { PPQ * 3 / 2 } else { PPQ }
    }
    pub(super) fn step_ticks(self) -> u32 {
        self.beat_ticks() / self.sub
    }
    pub(super) fn steps(self) -> u32 {
        self.beats * self.sub
    }
    pub(super) fn bar_ticks(self) -> u32 {
        self.beat_ticks() * self.beats
    }
}

pub(super) const FOUR: Meter = Meter {
    num: 4,
    den: 4,
    beats: 4,
    sub: 4,
};
pub(super) const THREE: Meter = Meter {
    num: 3,
    den: 4,
    beats: 3,
    sub: 4,
};
pub(super) const TWO: Meter = Meter {
    num: 2,
    den: 4,
    beats: 2,
    sub: 4,
};
pub(super) const FIVE: Meter = Meter {
    num: 5,
    den: 4,
    beats: 5,
    sub: 4,
};
pub(super) const SIX_EIGHT: Meter = Meter {
    num: 6,
    den: 8,
    beats: 2,
    sub: 3,
};
pub(super) const TWELVE_EIGHT: Meter = Meter {
    num: 12,
    den: 8,
    beats: 4,
    sub: 3,
};

/// A scale the melody walks on; `minor` only picks the key signature.
pub(super) struct Mode {
    pub(super) name: &'static str,
    pub(super) scale: &'static [u8],
    pub(super) minor: bool,
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
pub(super) use modes::*;

// Chord qualities as semitones above the root.
pub(super) const MAJ: &[u8] = &[0, 4, 7];
pub(super) const MIN: &[u8] = &[0, 3, 7];
pub(super) const DIM: &[u8] = &[0, 3, 6];
pub(super) const DOM7: &[u8] = &[0, 4, 7, 10];
pub(super) const MAJ7: &[u8] = &[0, 4, 7, 11];
pub(super) const MIN7: &[u8] = &[0, 3, 7, 10];
pub(super) const HDIM7: &[u8] = &[0, 3, 6, 10];
pub(super) const DIM7: &[u8] = &[0, 3, 6, 9];
pub(super) const DOM9: &[u8] = &[0, 4, 10, 14];
pub(super) const MIN9: &[u8] = &[0, 3, 10, 14];
pub(super) const MAJ9: &[u8] = &[0, 4, 11, 14];
pub(super) const ADD9: &[u8] = &[0, 4, 7, 14];
pub(super) const SUS4: &[u8] = &[0, 5, 7];
pub(super) const POW: &[u8] = &[0, 7];

/// A chord loop: roots in semitones above the tonic, one chord per bar.
pub(super) struct Prog {
    pub(super) mode: &'static Mode,
    pub(super) chords: &'static [(i32, &'static [u8])],
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
pub(super) use progs::*;

/// A chord with its root as an absolute pitch class.
#[derive(Clone, Copy)]
pub(super) struct Chord {
    pub(super) root: i32,
    pub(super) tones: &'static [u8],
}

impl Chord {
    pub(super) fn has(self, pitch: i32) -> bool {
        self.tones
            .iter()
            .any(|&t| (self.root + i32::from(t) - pitch).rem_euclid(12) == 0)
    }
    /// The chord's third, or the mode's where the chord has none (power and sus chords).
    pub(super) fn third(self, minor: bool) -> i32 {
        if self.tones.contains(&4) {
            4
        } else if self.tones.contains(&3) || minor {
            3
        } else {
            4
        }
    }
    pub(super) fn fifth(self) -> i32 {
        if self.tones.contains(&6) && !self.tones.contains(&7) {
            6
        } else {
            7
        }
    }
    pub(super) fn seventh(self) -> i32 {
        if self.tones.contains(&11) { 11 } else { 10 }
    }
}

/// A note in absolute ticks.
#[derive(Clone, Copy, Debug)]
pub(super) struct Note {
    pub(super) start: u32,
    pub(super) end: u32,
    pub(super) key: u8,
    pub(super) vel: u8,
}

/// Pushes a note with its pitch folded by octaves into 0..=127 and velocity clamped to 1..=127.
pub(super) fn push(out: &mut Vec<Note>, start: u32, len: u32, key: i32, vel: f32) {
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

/// Moves `steps` scale degrees from `pitch` (snapped down onto the scale first).
pub(super) fn scale_move(pitch: i32, steps: i32, tonic: i32, scale: &[u8]) -> i32 {
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

pub(super) fn nearest_chord_tone(pitch: i32, chord: Chord) -> i32 {
    (0..7)
        .flat_map(|d| [pitch - d, pitch + d])
        .find(|&p| chord.has(p))
        .unwrap_or(pitch)
}

/// Nearest pitch with pitch class `pc` inside [center - 6, center + 5].
pub(super) fn near(pc: i32, center: i32) -> i32 {
    center - 6 + (pc - (center - 6)).rem_euclid(12)
}

/// Close-position voicing around `center`: fixed-centre placement gives smooth voice leading.
pub(super) fn voicing(chord: Chord, center: i32) -> Vec<i32> {
    let mut v: Vec<i32> = chord
        .tones
        .iter()
        .map(|&t| near(chord.root + i32::from(t), center))
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// Key signature as sharps (negative = flats) of the major key with this tonic pitch class.
pub(super) fn key_signature(tonic: i32, minor: bool) -> i8 {
    const SHARPS: [i8; 12] = [0, -5, 2, -3, 4, -1, 6, 1, -4, 3, -2, 5];
    SHARPS[(tonic + if minor { 3 } else { 0 }).rem_euclid(12) as usize]
}
