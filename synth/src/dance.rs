//! Dance tunes as performances: a tune's melody (from abc2midi) played at a tempo in its dance's
//! usual range, in a random key, by a random lead instrument, with or without a vamp
//! accompaniment and a frame drum. The instruments, keys, rooms and levels are drawn from the same
//! pools for every dance, so the label is in the rhythm and tempo of the tune, as in a dance hall.

use rand::Rng;
use rand::seq::IndexedRandom;

use super::abc::AbcTune;
use super::midi::{ChannelSetup, DRUM_CHANNEL, Note, SongBuilder};

/// Running notes (the tune's unit note) per second in each dance's usual playing tempo. Session
/// tempos: reels ~112 half notes per minute (7.5 eighths/s), jigs ~116 dotted quarters (5.8/s),
/// hornpipes (clogs among them) slower and dotted, strathspeys slower again with Scotch snaps.
/// The ranges overlap on purpose.
fn usual_running_rate(dance: &str) -> (f64, f64) {
    match dance {
        "reel" => (6.4, 8.6),
        "jig" => (5.0, 6.8),
        "slip jig" => (5.0, 6.6),
        "hornpipe" => (4.2, 6.0),
        "strathspey" => (3.6, 4.9),
        "highland fling" => (3.8, 5.2),
        _ => (4.5, 7.0),
    }
}

/// The running-note rate a performance draws its tempo from. With `shared_meter_tempo` jigs,
/// slip jigs and hornpipes share one range (the union of theirs), so tempo says nothing about
/// which of them a tune is and a model trained on such renders must hear the meter (notes in
/// threes or in twos, where the accents and the vamp fall). A model trained on the usual ranges
/// learned a tempo threshold instead: it called slow jigs hornpipes and quick hornpipes jigs.
fn running_rate(dance: &str, shared_meter_tempo: bool) -> (f64, f64) {
    match dance {
        "jig" | "slip jig" | "hornpipe" if shared_meter_tempo => (4.2, 6.8),
        _ => usual_running_rate(dance),
    }
}

/// How far players dot a hornpipe's pairs of running notes (long:short), whatever the notation:
/// from a lilt of about 3:2 to a full 2:1, by player and tune.
const HORNPIPE_DOT: (f64, f64) = (1.4, 2.2);

/// Lead instruments (General MIDI, 0-based): fiddle, flutes and whistles, free reeds, plucked and
/// keyboard sounds. Every dance draws from the same pool.
const LEADS: [u8; 14] = [40, 110, 73, 72, 78, 75, 74, 21, 22, 23, 0, 6, 105, 24];
/// Accompaniment sounds: piano, guitars, accordion, harp, strings.
const COMPING: [u8; 7] = [0, 1, 24, 25, 21, 46, 48];

/// How much of each written note sounds, the rest a gap before the next note, unless a set asks
/// for another ([`Playing::articulation`]).
pub const ARTICULATION: f64 = 0.92;

/// How a set's performances are played, beyond what is drawn per performance.
#[derive(Clone, Copy, Debug, Default)]
pub struct Playing {
    /// Jigs, slip jigs and hornpipes draw their tempo from one range (`running_rate`).
    pub shared_meter_tempo: bool,
    /// Hornpipes' even pairs are played long-short (`HORNPIPE_DOT`).
    pub dotted_hornpipes: bool,
    /// The part of each melody note that sounds, the rest a gap before the next note;
    /// [`ARTICULATION`] where `None`. Short notes leave gaps that a wind's slow attack would
    /// otherwise blur.
    pub articulation: Option<f64>,
}

/// What the arranger chose, for the data set's manifest.
pub struct DancePerformance {
    pub song: SongBuilder,
    pub summary: String,
}

/// Arranges `melody` (in quarter notes) as a performance of at least `seconds`.
pub fn perform(
    tune: &AbcTune,
    melody: &[Note],
    seconds: f64,
    playing: Playing,
    rng: &mut impl Rng,
) -> Result<DancePerformance, String> {
    let tune_end = melody
        .iter()
        .map(|n| n.start + n.length)
        .fold(0.0, f64::max);
    if tune_end <= 0.0 || melody.len() < 8 {
        return Err("the tune has fewer than 8 notes".into());
    }
    let (lo, hi) = running_rate(tune.dance, playing.shared_meter_tempo);
    let rate = rng.random_range(lo..hi);
    // Drawn only where it is used, so sets made without it keep their draws.
    let dot = (playing.dotted_hornpipes && tune.dance == "hornpipe")
        .then(|| rng.random_range(HORNPIPE_DOT.0..HORNPIPE_DOT.1));
    let dotted;
    let melody = match dot {
        Some(ratio) => {
            dotted = dot_pairs(melody, tune.unit, ratio);
            dotted.as_slice()
        }
        None => melody,
    };
    let quarters_per_minute = rate * 60.0 * tune.unit;
    let mut song = SongBuilder::new(quarters_per_minute);
    let spq = song.seconds_per_quarter();
    let needed = seconds / spq + 2.0 * tune.bar_quarters();

    // Key: a transposition, then whole octaves so the melody sits in the lead's usual register.
    let transpose: i32 = rng.random_range(-5..=6);
    let mean_key = melody.iter().map(|n| f64::from(n.key)).sum::<f64>() / melody.len() as f64;
    let target_centre = rng.random_range(66.0..80.0);
    let octave = ((target_centre - (mean_key + f64::from(transpose))) / 12.0).round() as i32 * 12;
    let shift = transpose + octave;
    let key_of = |k: u8| (i32::from(k) + shift).clamp(24, 108) as u8;

    let lead = *LEADS.choose(rng).unwrap_or(&40);
    let double = rng
        .random_bool(0.25)
        .then(|| *LEADS.choose(rng).unwrap_or(&73));
    let reverb = rng.random_range(10..100u8);
    let loudness = rng.random_range(70..118u8);
    let humanise = rng.random_range(0.0..0.012) / spq;
    song.channel(ChannelSetup {
        channel: 0,
        program: lead,
        volume: 110,
        pan: rng.random_range(44..84),
        reverb,
        chorus: rng.random_range(0..40),
    });
    if let Some(program) = double {
        song.channel(ChannelSetup {
            channel: 1,
            program,
            volume: 80,
            pan: rng.random_range(30..98),
            reverb,
            chorus: rng.random_range(0..60),
        });
    }

    let articulation = playing.articulation.unwrap_or(ARTICULATION);

    // The melody, looped until the performance is long enough.
    let beat = if tune.compound() { 3.0 } else { 2.0 } * tune.unit;
    let mut offset = 0.0;
    let mut placed: Vec<Note> = Vec::new();
    while offset < needed {
        for n in melody {
            let start = offset + n.start;
            if start > needed {
                break;
            }
            // Accent on the beat, as players do.
            let on_beat = ((n.start / beat).fract() < 1e-6) as u8;
            let velocity = loudness.saturating_sub(12) + 12 * on_beat + rng.random_range(0..8);
            let jitter = rng.random_range(-humanise..=humanise);
            let note = Note {
                start: (start + jitter).max(0.0),
                length: n.length * articulation,
                key: key_of(n.key),
                velocity,
            };
            placed.push(note);
        }
        offset += tune_end;
    }
    if playing.articulation.is_some() {
        end_before_the_next_of_its_key(&mut placed);
    }
    for n in &placed {
        song.note(0, *n);
        if double.is_some() {
            song.note(
                1,
                Note {
                    key: n.key.saturating_sub(12).max(36),
                    velocity: n.velocity.saturating_sub(20),
                    ..*n
                },
            );
        }
    }

    let mut parts = vec![format!(
        "{:.0} quarters/min ({rate:.1} notes/s), lead {lead}",
        quarters_per_minute
    )];
    if let Some(p) = double {
        parts.push(format!("doubled by {p}"));
    }
    if let Some(ratio) = dot {
        parts.push(format!("dotted {ratio:.2}:1"));
    }
    let tonic = (i32::from(tune.tonic) + shift).rem_euclid(12) as u8;
    if rng.random_bool(0.7) {
        let program = *COMPING.choose(rng).unwrap_or(&0);
        song.channel(ChannelSetup {
            channel: 2,
            program,
            volume: rng.random_range(60..100),
            pan: rng.random_range(30..98),
            reverb,
            chorus: rng.random_range(0..50),
        });
        vamp(&mut song, &placed, tonic, &tune.scale, beat, needed, rng);
        parts.push(format!("vamp on {program}"));
    }
    if rng.random_bool(0.45) {
        song.channel(ChannelSetup {
            channel: DRUM_CHANNEL,
            program: 0,
            volume: rng.random_range(50..95),
            pan: 64,
            reverb,
            chorus: 0,
        });
        frame_drum(&mut song, beat, needed, tune.compound(), rng);
        parts.push("frame drum".into());
    }
    parts.push(format!("transposed {transpose:+}, reverb {reverb}"));
    if playing.articulation.is_some() {
        parts.push(format!("notes sound {articulation:.2} of their length"));
    }
    Ok(DancePerformance {
        song,
        summary: parts.join(", "),
    })
}

/// Ends each note that would still sound when the next note of its key starts (the timing
/// jitter can push a note past it, and a long articulation often does) where that note starts:
/// MIDI has one voice per key, so the overlap would cut the next note to nothing instead (the
/// arranger's songs get the same treatment from `arranger::mix::tidy`, on its tick notes). Sets
/// made without `--articulation` keep their notes as they were made (a few in a thousand
/// overlap at the usual 0.92), so their audio stays what the shipped models were measured on.
fn end_before_the_next_of_its_key(notes: &mut [Note]) {
    let mut order: Vec<usize> = (0..notes.len()).collect();
    order.sort_by(|&a, &b| notes[a].start.total_cmp(&notes[b].start));
    let mut next_start = [f64::INFINITY; 128];
    for &i in order.iter().rev() {
        let note = &mut notes[i];
        let key = usize::from(note.key.min(127));
        note.length = note.length.min(next_start[key] - note.start);
        next_start[key] = note.start;
    }
}

/// The melody with its even pairs of running notes played long-short at `ratio`:1, as
/// hornpipes are played: many books write the pairs even (about two thirds of Ryan's and
/// O'Neill's hornpipes), and abc2midi plays them as written. A pair is two unit notes (one beat
/// of a hornpipe); it is even where a note starts at its middle, and its time is then stretched
/// piecewise linearly so that middle falls at `ratio / (1 + ratio)`. Pairs written broken (`a>b`,
/// which abc2midi already plays 2:1) and longer notes keep their times. Where the pairs start is
/// [`pair_phase`]'s estimate (a tune may open with a pickup of one unit).
fn dot_pairs(melody: &[Note], unit: f64, ratio: f64) -> Vec<Note> {
    let pair = 2.0 * unit;
    let phase = pair_phase(melody, unit);
    let position = |t: f64| {
        let x = (t - phase) / pair;
        let k = (x + 1e-9).floor();
        (k as i64, (x - k).max(0.0))
    };
    let even: std::collections::HashSet<i64> = melody
        .iter()
        .filter_map(|n| {
            let (k, frac) = position(n.start);
            ((frac - 0.5).abs() < 1e-6).then_some(k)
        })
        .collect();
    let middle = ratio / (1.0 + ratio);
    let warp = |t: f64| {
        let (k, frac) = position(t);
        if !even.contains(&k) {
            return t;
        }
        let w = if frac <= 0.5 {
            2.0 * frac * middle
        } else {
            middle + 2.0 * (frac - 0.5) * (1.0 - middle)
        };
        phase + (k as f64 + w) * pair
    };
    melody
        .iter()
        .map(|n| {
            let start = warp(n.start);
            Note {
                start,
                length: (warp(n.start + n.length) - start).max(0.25 * n.length),
                ..*n
            }
        })
        .collect()
}

/// Where a melody's pairs of unit notes start: 0, or one unit in where the tune opens with an odd
/// pickup (abc2midi starts the file at the pickup, not at the first bar line). The notes of two
/// units or more vote with their length, since they fall on the beat.
fn pair_phase(melody: &[Note], unit: f64) -> f64 {
    let mut votes = [0.0f64; 2];
    for n in melody.iter().filter(|n| n.length >= 2.0 * unit - 1e-9) {
        let x = n.start / unit;
        if (x - x.round()).abs() < 1e-6 {
            votes[(x.round() as i64).rem_euclid(2) as usize] += n.length;
        }
    }
    if votes[1] > votes[0] { unit } else { 0.0 }
}

/// Bass on the strong beats and the chord on the weak ones ("oom-pah"), one diatonic triad per
/// two beats, the one that covers most of the melody there.
fn vamp(
    song: &mut SongBuilder,
    melody: &[Note],
    tonic: u8,
    scale: &[u8; 7],
    beat: f64,
    end: f64,
    rng: &mut impl Rng,
) {
    let span = 2.0 * beat;
    let velocity = rng.random_range(50..85u8);
    let mut t = 0.0;
    let mut next = 0usize;
    while t < end {
        let mut weight = [0.0f64; 12];
        while next < melody.len() && melody[next].start < t + span {
            let n = melody[next];
            weight[usize::from(n.key % 12)] += n.length;
            next += 1;
        }
        // Degrees I, IV, V, vi, ii (0-based scale steps), in order of preference on a tie.
        let degree = [0usize, 3, 4, 5, 1]
            .into_iter()
            .max_by(|&a, &b| {
                let score = |d: usize| -> f64 {
                    (0..3)
                        .map(|k| {
                            let pc = (tonic + scale[(d + 2 * k) % 7]) % 12;
                            weight[usize::from(pc)]
                        })
                        .sum::<f64>()
                        - 1e-3 * d as f64
                };
                score(a).total_cmp(&score(b))
            })
            .unwrap_or(0);
        let root = 36 + (tonic + scale[degree]) % 12;
        let chord: Vec<u8> = (0..3)
            .map(|k| {
                let step = degree + 2 * k;
                let pc = (tonic + scale[step % 7]) % 12;
                52 + (pc + 12 - 4) % 12
            })
            .collect();
        for b in 0..2 {
            let start = t + f64::from(b) * beat;
            song.note(
                2,
                Note {
                    start,
                    length: beat * 0.45,
                    key: root + if b == 1 { 7 } else { 0 },
                    velocity: velocity + 10,
                },
            );
            for &key in &chord {
                song.note(
                    2,
                    Note {
                        start: start + beat / 2.0,
                        length: beat * 0.35,
                        key,
                        velocity,
                    },
                );
            }
        }
        t += span;
    }
}

/// A frame drum (bodhrán-like low toms) on the beats, with a lighter stroke between them.
fn frame_drum(song: &mut SongBuilder, beat: f64, end: f64, compound: bool, rng: &mut impl Rng) {
    let low = *[41u8, 43, 45].choose(rng).unwrap_or(&43);
    let base = rng.random_range(60..95u8);
    let strokes = if compound { 3 } else { 2 };
    let mut t = 0.0;
    let mut i = 0u32;
    while t < end {
        for s in 0..strokes {
            let start = t + f64::from(s) * beat / f64::from(strokes);
            let accent = if s == 0 { 25 } else { 0 } + if i.is_multiple_of(2) { 8 } else { 0 };
            song.note(
                DRUM_CHANNEL,
                Note {
                    start,
                    length: 0.1,
                    key: if s == 0 { low } else { low + 4 },
                    velocity: (base + accent).min(127),
                },
            );
        }
        t += beat;
        i += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(start: f64, length: f64) -> Note {
        Note {
            start,
            length,
            key: 60,
            velocity: 80,
        }
    }

    #[test]
    fn even_pairs_are_dotted_and_broken_pairs_and_long_notes_keep_their_times() {
        // Eighths (unit 0.5 quarter): an even pair, a broken pair at 2:1 (abc2midi's `a>b`),
        // then a quarter note.
        let melody = [
            note(0.0, 0.5),
            note(0.5, 0.5),
            note(1.0, 2.0 / 3.0),
            note(1.0 + 2.0 / 3.0, 1.0 / 3.0),
            note(2.0, 1.0),
        ];
        let dotted = dot_pairs(&melody, 0.5, 2.0);
        let starts: Vec<f64> = dotted.iter().map(|n| n.start).collect();
        let lengths: Vec<f64> = dotted.iter().map(|n| n.length).collect();
        let near = |a: &[f64], b: &[f64]| a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-9);
        assert!(
            near(&starts, &[0.0, 2.0 / 3.0, 1.0, 1.0 + 2.0 / 3.0, 2.0]),
            "{starts:?}"
        );
        assert!(
            near(&lengths, &[2.0 / 3.0, 1.0 / 3.0, 2.0 / 3.0, 1.0 / 3.0, 1.0]),
            "{lengths:?}"
        );
        // At 3:2 the even pair's middle moves to 0.6 of the pair.
        let lilt = dot_pairs(&melody, 0.5, 1.5);
        assert!((lilt[1].start - 0.6).abs() < 1e-9);
    }

    #[test]
    fn a_pickup_of_one_unit_moves_the_pairs_by_one_unit() {
        // `A|defg abag|f2d2 d3A|`: the file starts at the pickup, the bar one eighth later.
        let mut melody = vec![note(0.0, 0.5)];
        melody.extend((0..8).map(|i| note(0.5 + 0.5 * f64::from(i), 0.5)));
        melody.extend([
            note(4.5, 1.0),
            note(5.5, 1.0),
            note(6.5, 1.5),
            note(8.0, 0.5),
        ]);
        assert_eq!(pair_phase(&melody, 0.5), 0.5);
        let dotted = dot_pairs(&melody, 0.5, 2.0);
        // The bar's first pair (d at 0.5, e at 1.0) is long-short from 0.5.
        assert!((dotted[1].start - 0.5).abs() < 1e-9);
        assert!((dotted[2].start - (0.5 + 2.0 / 3.0)).abs() < 1e-9);
        // Without a pickup the same bar votes for 0.
        let shifted: Vec<Note> = melody[1..]
            .iter()
            .map(|n| note(n.start - 0.5, n.length))
            .collect();
        assert_eq!(pair_phase(&shifted, 0.5), 0.0);
    }

    #[test]
    fn a_note_running_into_the_next_of_its_key_ends_where_that_one_starts() {
        let key = |start: f64, length: f64, key: u8| Note {
            key,
            ..note(start, length)
        };
        // Out of order, as the jitter can leave them: E runs into the next E, D does not.
        let mut notes = vec![
            key(1.0, 0.6, 64),
            key(0.0, 1.02, 64),
            key(0.5, 0.4, 62),
            key(1.5, 0.5, 62),
            key(2.0, 0.5, 64),
        ];
        end_before_the_next_of_its_key(&mut notes);
        let lengths: Vec<f64> = notes.iter().map(|n| n.length).collect();
        assert_eq!(lengths, [0.6, 1.0, 0.4, 0.5, 0.5]);
    }

    #[test]
    fn a_shared_meter_tempo_leaves_only_the_meter_between_jig_and_hornpipe() {
        // Usual ranges: a jig is quicker than a hornpipe (a tempo threshold separates much).
        let (jig, hornpipe) = (running_rate("jig", false), running_rate("hornpipe", false));
        assert!(jig.0 > hornpipe.0 && jig.1 > hornpipe.1);
        // Shared: one range for both, covering both usual ones; reels and strathspeys keep theirs.
        let shared = running_rate("jig", true);
        assert_eq!(shared, running_rate("hornpipe", true));
        assert_eq!(shared, running_rate("slip jig", true));
        assert!(shared.0 <= hornpipe.0 && shared.1 >= jig.1);
        for other in ["reel", "strathspey"] {
            assert_eq!(running_rate(other, true), running_rate(other, false));
        }
    }
}
