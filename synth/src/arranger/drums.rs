//! The drum part (General MIDI channel 10): written 16-step grids for 4/4 grooves, generic kit
//! grooves for other meters, light percussion and tom patterns for the moods, fills at section
//! ends and crashes at section starts, swung and humanised through the plan.

use rand::Rng;
use rand::rngs::StdRng;

use super::dice::*;
use super::plan::*;
use super::theory::*;
use super::traits::*;

pub(super) const KICK: u8 = 36;
pub(super) const SNARE: u8 = 38;
pub(super) const CRASH: u8 = 49;
pub(super) const FILL_TOMS: [u8; 5] = [50, 48, 47, 45, 43];

/// 16-step (4/4) drum grids: 'X' accent, 'x' normal, 'o' ghost. GM drum notes.
#[rustfmt::skip]
pub(super) fn grid(style: DrumStyle, groove: usize) -> Option<&'static [(u8, &'static str)]> {
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

pub(super) type Hit = (u32, u8, f32);

pub(super) fn grid_hits(rows: &[(u8, &str)]) -> Vec<Hit> {
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
pub(super) fn generic_hits(style: DrumStyle, m: Meter) -> Vec<Hit> {
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
pub(super) fn light_hits(m: Meter, groove: usize) -> Vec<Hit> {
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
pub(super) fn tom_hits(m: Meter, irregular: bool, rng: &mut StdRng) -> Vec<Hit> {
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

pub(super) fn drums(plan: &Plan, rng: &mut StdRng) -> Vec<Note> {
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
