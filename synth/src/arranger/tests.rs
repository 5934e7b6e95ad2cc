//! The arranger's tests: written files read back with midly's parser.

use midly::{Format, MetaMessage, MidiMessage, Smf, Timing, TrackEventKind};

use super::dice::class_seed;
use super::mix::tidy;
use super::plan::{MAX_SECONDS, MIN_SECONDS};
use super::theory::Note;
use super::traits::{GENRE_TRAITS, MOOD_TRAITS};
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
        self.velocities.iter().map(|&v| f64::from(v)).sum::<f64>() / self.velocities.len() as f64
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
        let (mut now, mut name, mut channels, mut first) = (0u32, String::new(), Vec::new(), None);
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
                    first
                        .get_or_insert((now, matches!(message, MidiMessage::ProgramChange { .. })));
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
            usable(t.bass) && usable(t.bass_programs) && usable(t.comp) && usable(t.comp_programs)
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
