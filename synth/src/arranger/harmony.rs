//! The chord parts: comping and the pad (a rhythm style applied to each bar's close voicing, with
//! the class's dissonance added) and the accent hits (fear's startle clusters, anger's stabs).

use std::f32::consts::PI;

use rand::Rng;
use rand::rngs::StdRng;

use super::dice::*;
use super::plan::*;
use super::theory::*;
use super::traits::*;

/// One chord attack inside a bar: offset in ticks, length in ticks, pitches, accent.
pub(super) struct Strike {
    pub(super) at: u32,
    pub(super) len: f32,
    pub(super) pitches: Vec<i32>,
    pub(super) accent: f32,
}

/// Comping and pad parts: a rhythm style applied to each bar's voicing.
pub(super) fn comp(
    plan: &Plan,
    rng: &mut StdRng,
    style: CompStyle,
    center: i32,
    gain: f32,
) -> Vec<Note> {
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

/// Sudden accents: fear's high startle clusters, anger's low minor-second/tritone stabs.
pub(super) fn hits(plan: &Plan, rng: &mut StdRng) -> Vec<Note> {
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
