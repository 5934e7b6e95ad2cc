//! The bass part: one line per bar from the plan's bass style (sustained roots, quarters, 8th and
//! 16th pulses, root-fifth, walking, octaves, boogie, reggae riffs, kick-locked sub notes,
//! drones), ending on the last chord's root exactly at the song's end.

use rand::Rng;
use rand::rngs::StdRng;

use super::dice::*;
use super::drums::grid;
use super::plan::*;
use super::theory::*;
use super::traits::*;

/// Bass root in E1..D#2 (MIDI 28..39), lifted by the class's `bass_lift`.
pub(super) fn bass_root(pc: i32, lift: i32) -> i32 {
    28 + (pc - 4).rem_euclid(12) + lift
}

pub(super) fn bass(plan: &Plan, rng: &mut StdRng) -> Vec<Note> {
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
