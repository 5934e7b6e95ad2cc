//! The plan of one song: everything drawn once from the class's `Traits` before any note is
//! written (meter, tempo, tonic, mode, progressions per section, form, swing, styles, programs,
//! loudness and articulation), laid out bar by bar with each bar's chord, scale and level. The
//! parts only read it; the length contract (end on the first beat at or after the request) is
//! decided here.

use std::f32::consts::PI;

use rand::Rng;
use rand::rngs::StdRng;

use super::dice::*;
use super::theory::*;
use super::traits::*;

pub(super) const MIN_SECONDS: f32 = 1.0;
pub(super) const MAX_SECONDS: f32 = 600.0;

#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Section {
    Intro,
    Verse,
    Chorus,
    Bridge,
}

/// Song forms the sections cycle through until the requested length is covered.
#[rustfmt::skip]
pub(super) const FORMS: [&[Section]; 4] = {
    use Section::{Bridge as B, Chorus as C, Verse as V};
    [&[V, C, V, C, B], &[V, V, C, V, C], &[V, V, B, V], &[V, C, B, C]]
};

pub(super) struct Bar {
    pub(super) start: u32,
    pub(super) section: Section,
    /// Index within the section and the section's length, for phrasing, fills and crashes.
    pub(super) pos: u32,
    pub(super) len: u32,
    pub(super) chord: Chord,
    pub(super) next: Chord,
    pub(super) scale: &'static [u8],
    /// Loudness multiplier from section energy and dynamics.
    pub(super) level: f32,
}

pub(super) struct Programs {
    pub(super) bass: u8,
    pub(super) comp: u8,
    pub(super) melody: u8,
    pub(super) pad: Option<u8>,
    pub(super) hits: Option<u8>,
}

pub(super) struct Plan {
    pub(super) traits: &'static Traits,
    pub(super) bpm: f32,
    pub(super) us_per_quarter: u32,
    pub(super) meter: Meter,
    pub(super) tonic: i32,
    pub(super) mode: &'static Mode,
    pub(super) swing: f32,
    pub(super) drums: DrumStyle,
    pub(super) kit: u8,
    /// Which variant of the groove (drum grid, strum pattern) this song uses.
    pub(super) groove: usize,
    pub(super) intro_drums: bool,
    pub(super) bass: BassStyle,
    pub(super) comp: CompStyle,
    pub(super) programs: Programs,
    pub(super) velocity: f32,
    pub(super) articulation: f32,
    pub(super) density: f32,
    pub(super) bars: Vec<Bar>,
    pub(super) end_tick: u32,
    pub(super) form: String,
}

impl Plan {
    pub(super) fn draw(t: &'static Traits, rng: &mut StdRng, seconds: f32) -> Plan {
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
    pub(super) fn step_offset(&self, step: u32) -> u32 {
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
    pub(super) fn summary(&self, class: &str) -> String {
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
