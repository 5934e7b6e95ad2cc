//! The melody part: a few one-bar motifs arranged in 4-bar phrases, walked on the bar's scale,
//! strong beats snapped to chord tones, kept inside the class's register.

use rand::Rng;
use rand::rngs::StdRng;

use super::dice::*;
use super::plan::*;
use super::theory::*;

/// Melody: a few one-bar motifs (rhythm + scale-step contour) arranged in 4-bar phrases
/// (A, A varied, B, cadence), strong beats snapped to chord tones, kept inside the class's range.
pub(super) fn melody(plan: &Plan, rng: &mut StdRng) -> Vec<Note> {
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
pub(super) fn motif(rng: &mut StdRng, m: Meter, density: f32) -> Vec<(u32, u32, i32)> {
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
