//! What each class sounds like, as data: the `Traits` table of audible cues (tempo, meters,
//! swing, progressions, drum, bass and comp styles, General MIDI instrument pools, register,
//! density, loudness, articulation, room, dissonance, dynamics, accents, irregularity) for each
//! GTZAN genre and each soundtrack emotion, and the style names those tables choose from. The
//! code that turns a style into notes lives in the part files (`drums`, `bass`, `harmony`).

use super::theory::*;

/// Drum groove families; `Tacet` means no channel-10 part at all.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum DrumStyle {
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
pub(super) enum BassStyle {
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
pub(super) enum CompStyle {
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

/// The audible cues of one class. Ranges are (low, high); pools are (value, weight).
pub(super) struct Traits {
    /// Beats per minute of the meter's beat (the dotted quarter in 6/8 and 12/8).
    pub(super) tempo: (f32, f32),
    pub(super) meters: &'static [(Meter, u32)],
    /// 0 = straight, 1 = full triplet swing; `swing16` swings 16ths instead of 8ths.
    pub(super) swing: (f32, f32),
    pub(super) swing16: bool,
    pub(super) progs: &'static [(&'static Prog, u32)],
    pub(super) drums: &'static [(DrumStyle, u32)],
    /// Drum kit programs on channel 10 (GS numbering: 0 standard, 8 room, 16 power, 24
    /// electronic, 25 TR-808, 32 jazz, 40 brush, 48 orchestra).
    pub(super) kits: &'static [(u8, u32)],
    pub(super) bass: &'static [(BassStyle, u32)],
    pub(super) bass_programs: &'static [(u8, u32)],
    /// Semitones above E1..D#2 for the bass root (12 lifts cello/piano basses into their range).
    pub(super) bass_lift: i32,
    pub(super) comp: &'static [(CompStyle, u32)],
    pub(super) comp_programs: &'static [(u8, u32)],
    /// MIDI note the comp voicings centre on; low for riffs, high for bright accompaniment.
    pub(super) comp_center: i32,
    /// Chance of a sustained pad layer, and its programs.
    pub(super) pad_chance: f32,
    pub(super) pad_programs: &'static [(u8, u32)],
    pub(super) melody_programs: &'static [(u8, u32)],
    pub(super) melody_center: i32,
    /// Half-range of the melody in semitones: small for sadness, wide for happiness.
    pub(super) melody_span: i32,
    /// Melody notes per beat.
    pub(super) density: (f32, f32),
    pub(super) velocity: (f32, f32),
    /// CC7 channel volume range.
    pub(super) volume: (f32, f32),
    /// Sounding fraction of each note's slot: < 0.5 staccato, ~1 legato.
    pub(super) articulation: (f32, f32),
    /// CC91 reverb and CC93 chorus send ranges.
    pub(super) reverb: (f32, f32),
    pub(super) chorus: (f32, f32),
    /// Chance per bar that the comp voicing gets a minor second or tritone added.
    pub(super) dissonance: f32,
    /// Depth of bar-to-bar loudness change (phrase arches and sudden swings), 0 = flat.
    pub(super) dynamics: f32,
    /// Chance per bar of a sudden accent hit (fear's startle, anger's stab), their programs
    /// and register.
    pub(super) hits: f32,
    pub(super) hit_programs: &'static [(u8, u32)],
    pub(super) hit_center: i32,
    /// Chance that a melody onset is displaced or dropped, and that toms play off the grid.
    pub(super) irregular: f32,
    /// Timing jitter in ticks (480 per quarter).
    pub(super) humanize: i32,
}

pub(super) const NO_HITS: &[(u8, u32)] = &[(0, 1)];

/// Genre tables. Tempo ranges and grooves follow common descriptions of each style (the brief's
/// trait list); instruments are General MIDI programs (0-based).
#[rustfmt::skip]
pub(super) const GENRE_TRAITS: [Traits; 10] = [
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
pub(super) const MOOD_TRAITS: [Traits; 5] = [
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
