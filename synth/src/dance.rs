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

/// Lead instruments (General MIDI, 0-based): fiddle, flutes and whistles, free reeds, plucked and
/// keyboard sounds. Every dance draws from the same pool.
const LEADS: [u8; 14] = [40, 110, 73, 72, 78, 75, 74, 21, 22, 23, 0, 6, 105, 24];
/// Accompaniment sounds: piano, guitars, accordion, harp, strings.
const COMPING: [u8; 7] = [0, 1, 24, 25, 21, 46, 48];

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
    shared_meter_tempo: bool,
    rng: &mut impl Rng,
) -> Result<DancePerformance, String> {
    let tune_end = melody
        .iter()
        .map(|n| n.start + n.length)
        .fold(0.0, f64::max);
    if tune_end <= 0.0 || melody.len() < 8 {
        return Err("the tune has fewer than 8 notes".into());
    }
    let (lo, hi) = running_rate(tune.dance, shared_meter_tempo);
    let rate = rng.random_range(lo..hi);
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
                length: n.length * 0.92,
                key: key_of(n.key),
                velocity,
            };
            placed.push(note);
        }
        offset += tune_end;
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
    Ok(DancePerformance {
        song,
        summary: parts.join(", "),
    })
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
