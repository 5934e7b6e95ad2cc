//! `mcclstm dataset make`: training data the project makes itself from what the package registries
//! ship, for the default models (real data sets cannot be downloaded here).
//!
//! | kind | source | label | group |
//! |------|--------|-------|-------|
//! | `dance` | ABC tunes (Ryan's Mammoth Collection in music21's corpus) via abc2midi | the tune's `R:` dance | the tune |
//! | `genre` | the procedural arranger, GTZAN's ten genres | the genre | the song |
//! | `mood` | the procedural arranger, the soundtrack set's five emotions | the emotion | the song |
//!
//! Every track is MIDI rendered with a General MIDI SoundFont (rustysynth) and written as
//! `<label>/<name>.wav` beside its `.mid`, with `tracks.csv` (`path,label,group`, read by
//! `--dataset generic`) and `manifest.json` (what was drawn for each track). Everything is seeded by
//! (seed, track name), so a rerun writes the same files, and an interrupted run continues where it
//! stopped: tracks whose audio exists are kept.

pub mod abc;
pub mod arranger;
pub mod dance;
pub mod midi;
pub mod produce;
pub mod synth;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use mcclstm_engine::atomic_file;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rayon::prelude::*;
use serde::Serialize;

use synth::{Finish, Renderer};

/// What to make.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MakeKind {
    Dance,
    Genre,
    Mood,
}

impl MakeKind {
    pub fn name(self) -> &'static str {
        match self {
            Self::Dance => "dance",
            Self::Genre => "genre",
            Self::Mood => "mood",
        }
    }
}

/// Options of `dataset make`.
#[derive(Clone, Debug)]
pub struct MakeOptions {
    pub kind: MakeKind,
    pub out: PathBuf,
    pub soundfont: PathBuf,
    /// Folder of ABC tune files (dance only).
    pub abc: Option<PathBuf>,
    /// Tracks per class (dance: tunes per class, at most what the collection has, each played
    /// `renders` times).
    pub per_class: usize,
    /// Dances with fewer tunes than this are left out (too few for a 10-fold protocol).
    pub min_tunes: usize,
    pub seconds: f64,
    pub sample_rate: u32,
    pub seed: u64,
    /// Skip this many sources per class first: `--offset N` with the same seed makes tracks
    /// disjoint from a set made with `--per-class N` (new songs; for dance, other tunes).
    pub offset: usize,
    /// Performances per tune (dance only): each has its own tempo, key, instruments and room,
    /// and all share the tune's group.
    pub renders: usize,
    /// Tempo factor of the rendering (1.06 plays 6% faster at the same pitch): a pure
    /// time-stretch, since the music is MIDI.
    pub speed: f64,
    /// Dance only: these dances alone (names as [`abc::DANCES`] spells them); empty for all.
    pub dances: Vec<String>,
    /// Dance only: jigs and hornpipes drawn from one tempo range (training sets), so the meter,
    /// not the tempo, tells them apart.
    pub shared_meter_tempo: bool,
    /// Dance only: hornpipes played dotted, whatever the notation (as players do).
    pub dotted_hornpipes: bool,
    /// Dance only: the part of each melody note that sounds, drawn per performance from
    /// `lo..hi` (or `lo` where they are equal); [`dance::ARTICULATION`] where `None`. Drawn from
    /// a stream of its own, so every other draw, and so the performance but for its notes'
    /// lengths, is that of the set made without it.
    pub articulation: Option<(f64, f64)>,
    /// A seeded production chain on every render ([`produce::Chain`]): EQ, compression,
    /// saturation, a room, a noise floor and a lossy-codec round trip, drawn per track.
    pub produce: bool,
    /// Dance only: leave out the chosen tunes that a tune of this ABC folder shares a title with
    /// ([`abc::title_key`]), so a test of another collection holds no tune the training
    /// collection also has. Applied after the seeded choice: the tunes kept, their order and
    /// their renders are those of the set made without it.
    pub leave_out_titles_of: Option<PathBuf>,
}

/// One track of the made set.
#[derive(Clone, Debug, Serialize)]
pub struct MadeTrack {
    /// Relative to the output folder.
    pub path: String,
    pub label: String,
    pub group: String,
    pub summary: String,
}

/// What `make` wrote.
#[derive(Debug, Serialize)]
pub struct MakeReport {
    pub kind: MakeKind,
    pub labels: Vec<String>,
    pub tracks: Vec<MadeTrack>,
    /// Sources that could not be turned into a track, with the reason.
    pub skipped: Vec<(String, String)>,
    /// Dance: the folder whose titles were left out (`--leave-out-titles-of`), and each tune left
    /// out as (group, title).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub left_out_titles_of: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub left_out: Vec<(String, String)>,
    pub seconds_per_track: f64,
    pub sample_rate: u32,
    pub seed: u64,
    pub offset: usize,
    pub renders: usize,
    pub speed: f64,
    /// Dance: jigs and hornpipes shared one tempo range.
    pub shared_meter_tempo: bool,
    /// Dance: hornpipes' even pairs were played long-short.
    pub dotted_hornpipes: bool,
    /// Dance: the range each performance's articulation was drawn from, where one was asked
    /// for (the part of each melody note that sounds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub articulation: Option<(f64, f64)>,
    /// Every render went through a drawn production chain.
    pub produce: bool,
    pub soundfont: String,
}

impl MakeReport {
    pub fn counts(&self) -> Vec<(String, usize)> {
        self.labels
            .iter()
            .map(|l| {
                (
                    l.clone(),
                    self.tracks.iter().filter(|t| t.label == *l).count(),
                )
            })
            .collect()
    }
}

/// What one track is made from.
enum Source {
    Tune(abc::AbcTune),
    Genre(&'static str),
    Mood(&'static str),
}

struct Job {
    name: String,
    label: String,
    group: String,
    source: Source,
}

/// Makes the data set, calling `tick` after each track.
pub fn make(options: &MakeOptions, tick: &(dyn Fn() + Sync)) -> anyhow::Result<MakeReport> {
    anyhow::ensure!(options.per_class > 0, "--per-class must be at least 1");
    anyhow::ensure!(options.renders > 0, "--renders must be at least 1");
    anyhow::ensure!(
        (0.5..=2.0).contains(&options.speed),
        "--speed must be between 0.5 and 2"
    );
    anyhow::ensure!(
        (4.0..=600.0).contains(&options.seconds),
        "--seconds must be between 4 and 600"
    );
    let Plan {
        labels,
        jobs,
        mut skipped,
        left_out,
    } = plan(options)?;
    let renderer = Renderer::load(&options.soundfont)?;
    refuse_other_options(options, &renderer)?;
    std::fs::create_dir_all(&options.out)
        .with_context(|| format!("cannot create {}", options.out.display()))?;
    // abc2midi writes files; each gets its own name here and is removed after reading.
    let scratch = options.out.join(".scratch");
    std::fs::create_dir_all(&scratch)
        .with_context(|| format!("cannot create {}", scratch.display()))?;
    let results: Vec<Result<MadeTrack, (String, String)>> = jobs
        .par_iter()
        .map(|job| {
            let made = make_track(options, &renderer, &scratch, job)
                .map_err(|e| (job.name.clone(), format!("{e:#}")));
            tick();
            made
        })
        .collect();
    let mut tracks = Vec::new();
    for r in results {
        match r {
            Ok(t) => tracks.push(t),
            Err(s) => skipped.push(s),
        }
    }
    let _ = std::fs::remove_dir_all(&scratch);
    let report = MakeReport {
        kind: options.kind,
        labels,
        tracks,
        skipped,
        left_out_titles_of: options
            .leave_out_titles_of
            .as_ref()
            .map(|d| d.display().to_string()),
        left_out,
        seconds_per_track: options.seconds,
        sample_rate: options.sample_rate,
        seed: options.seed,
        offset: options.offset,
        renders: options.renders,
        speed: options.speed,
        shared_meter_tempo: options.shared_meter_tempo,
        dotted_hornpipes: options.dotted_hornpipes,
        articulation: options.articulation,
        produce: options.produce,
        soundfont: renderer.path.display().to_string(),
    };
    write_index(&options.out, &report)?;
    Ok(report)
}

/// Finished tracks are kept when a set is made again (a killed run resumes), so a folder holding
/// a set made with options that change the audio would keep the old audio under the new
/// manifest. Refused instead, naming what differs. A folder without a manifest (new, or a first
/// run killed before the end) is fine.
fn refuse_other_options(options: &MakeOptions, renderer: &Renderer) -> anyhow::Result<()> {
    let path = options.out.join("manifest.json");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(());
    };
    let Ok(old) = serde_json::from_str::<serde_json::Value>(&text) else {
        bail!(
            "{} is not a manifest this maker wrote; make the set in another folder, or delete \
             this one",
            path.display()
        );
    };
    let flag = |key: &str| old.get(key).and_then(|v| v.as_bool()).unwrap_or(false);
    let number = |key: &str| old.get(key).and_then(|v| v.as_f64());
    let mut differ = Vec::new();
    if old.get("kind").and_then(|v| v.as_str()) != Some(options.kind.name()) {
        differ.push("--kind".to_string());
    }
    for (key, name, now) in [
        ("seed", "--seed", options.seed as f64),
        ("speed", "--speed", options.speed),
        (
            "sample_rate",
            "--sample-rate",
            f64::from(options.sample_rate),
        ),
        ("seconds_per_track", "--seconds", options.seconds),
    ] {
        if number(key) != Some(now) {
            differ.push(name.to_string());
        }
    }
    for (key, name, now) in [
        (
            "shared_meter_tempo",
            "--shared-meter-tempo",
            options.shared_meter_tempo,
        ),
        (
            "dotted_hornpipes",
            "--dotted-hornpipes",
            options.dotted_hornpipes,
        ),
        ("produce", "--produce", options.produce),
    ] {
        if flag(key) != now {
            differ.push(name.to_string());
        }
    }
    let articulation = |v: &serde_json::Value| {
        let pair = v.get("articulation")?.as_array()?;
        Some((pair.first()?.as_f64()?, pair.get(1)?.as_f64()?))
    };
    if articulation(&old) != options.articulation {
        differ.push("--articulation".to_string());
    }
    if old.get("soundfont").and_then(|v| v.as_str()) != Some(&renderer.path.display().to_string()) {
        differ.push("--soundfont".to_string());
    }
    if differ.is_empty() {
        return Ok(());
    }
    bail!(
        "{} holds a set made with other options ({}): its finished tracks would be kept as they \
         are; make the set in another folder, or delete this one",
        options.out.display(),
        differ.join(", ")
    )
}

/// How many tracks `make` will write (for a progress bar), and the labels.
pub fn planned(options: &MakeOptions) -> anyhow::Result<usize> {
    Ok(plan(options)?.jobs.len())
}

/// What a set is made of before anything is rendered.
struct Plan {
    labels: Vec<String>,
    jobs: Vec<Job>,
    /// Sources that cannot be read, with the reason.
    skipped: Vec<(String, String)>,
    /// Tunes left out by `--leave-out-titles-of`: (group, title).
    left_out: Vec<(String, String)>,
}

fn plan(options: &MakeOptions) -> anyhow::Result<Plan> {
    if options.kind != MakeKind::Dance {
        refuse_dance_options(options)?;
    }
    match options.kind {
        MakeKind::Genre => Ok(arranged(options, &arranger::GENRES, Source::Genre)),
        MakeKind::Mood => Ok(arranged(options, &arranger::MOODS, Source::Mood)),
        MakeKind::Dance => plan_dance(options),
    }
}

/// The options that only the dance maker reads, refused for the arranger's kinds: a set made
/// without what was asked for, under a manifest that says it was asked for, would mislead.
fn refuse_dance_options(options: &MakeOptions) -> anyhow::Result<()> {
    let given: Vec<&str> = [
        (options.abc.is_some(), "--abc"),
        (options.renders > 1, "--renders"),
        (!options.dances.is_empty(), "--dances"),
        (options.shared_meter_tempo, "--shared-meter-tempo"),
        (options.dotted_hornpipes, "--dotted-hornpipes"),
        (options.articulation.is_some(), "--articulation"),
        (
            options.leave_out_titles_of.is_some(),
            "--leave-out-titles-of",
        ),
    ]
    .into_iter()
    .filter_map(|(asked, name)| asked.then_some(name))
    .collect();
    anyhow::ensure!(
        given.is_empty(),
        "{} {} for dance sets (--kind dance) only: the {} maker arranges songs and plays no tunes",
        given.join(", "),
        if given.len() == 1 { "is" } else { "are" },
        options.kind.name()
    );
    Ok(())
}

fn arranged(
    options: &MakeOptions,
    classes: &[&'static str],
    source: fn(&'static str) -> Source,
) -> Plan {
    let mut jobs = Vec::new();
    for &class in classes {
        for i in options.offset..options.offset + options.per_class {
            let name = format!("{}.{i:05}", file_safe(class));
            jobs.push(Job {
                group: name.clone(),
                name,
                label: class.to_string(),
                source: source(class),
            });
        }
    }
    Plan {
        labels: classes.iter().map(|c| c.to_string()).collect(),
        jobs,
        skipped: Vec::new(),
        left_out: Vec::new(),
    }
}

fn plan_dance(options: &MakeOptions) -> anyhow::Result<Plan> {
    let Some(dir) = &options.abc else {
        bail!(
            "--kind dance needs --abc DIR, a folder of ABC tunes with R: fields (music21's corpus \
             has Ryan's Mammoth Collection under music21/corpus/ryansMammoth)"
        );
    };
    if let Some(unknown) = options
        .dances
        .iter()
        .find(|d| !abc::DANCES.contains(&d.as_str()))
    {
        bail!(
            "unknown dance {unknown:?}: expected some of {}",
            abc::DANCES.join(", ")
        );
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read the ABC folder {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("abc")))
        .collect();
    files.sort();
    let shared = match &options.leave_out_titles_of {
        Some(other) => Some(abc::collection_title_keys(other)?),
        None => None,
    };
    let mut skipped = Vec::new();
    let mut left_out = Vec::new();
    let mut by_dance: BTreeMap<&'static str, Vec<abc::AbcTune>> = BTreeMap::new();
    for file in &files {
        match abc::read_tunes(file) {
            Ok(tunes) => {
                for tune in tunes {
                    if options.dances.is_empty() || options.dances.iter().any(|d| d == tune.dance) {
                        by_dance.entry(tune.dance).or_default().push(tune);
                    }
                }
            }
            Err(e) => skipped.push((file.display().to_string(), format!("{e:#}"))),
        }
    }
    let mut labels = Vec::new();
    let mut jobs = Vec::new();
    for dance in abc::DANCES {
        let Some(mut tunes) = by_dance.remove(dance) else {
            continue;
        };
        if tunes.len() < options.min_tunes {
            continue;
        }
        // A seeded choice of tunes, so --per-class below the collection's count is still a fair
        // sample of it.
        tunes.shuffle(&mut StdRng::seed_from_u64(options.seed ^ hash(dance)));
        tunes.drain(..options.offset.min(tunes.len()));
        tunes.truncate(options.per_class);
        if let Some(shared) = &shared {
            tunes.retain(|tune| {
                let keep = !tune
                    .titles
                    .iter()
                    .any(|t| shared.contains(&abc::title_key(t)));
                if !keep {
                    left_out.push((tune.group(), tune.title.clone()));
                }
                keep
            });
        }
        if tunes.is_empty() {
            continue;
        }
        tunes.sort_by(|a, b| (&a.path, a.number).cmp(&(&b.path, b.number)));
        labels.push(dance.to_string());
        for tune in tunes {
            let group = tune.group();
            for take in 0..options.renders {
                let name = if options.renders == 1 {
                    format!("{}.{}", file_safe(dance), file_safe(&group))
                } else {
                    format!("{}.{}.take{take}", file_safe(dance), file_safe(&group))
                };
                jobs.push(Job {
                    name,
                    label: dance.to_string(),
                    group: group.clone(),
                    source: Source::Tune(tune.clone()),
                });
            }
        }
    }
    anyhow::ensure!(
        !jobs.is_empty(),
        "no dance in {} has {} or more tunes with an R: field",
        dir.display(),
        options.min_tunes
    );
    Ok(Plan {
        labels,
        jobs,
        skipped,
        left_out,
    })
}

/// Where abc2midi hands over `job`'s MIDI: named by the job, which no other job of the set shares
/// (the takes of one tune share their group), so jobs made in parallel never meet there.
fn scratch_midi(scratch: &Path, job: &Job) -> PathBuf {
    scratch.join(format!("{}.mid", job.name))
}

fn make_track(
    options: &MakeOptions,
    renderer: &Renderer,
    scratch: &Path,
    job: &Job,
) -> anyhow::Result<MadeTrack> {
    let folder = file_safe(&job.label);
    let rel_wav = format!("{folder}/{}.wav", job.name);
    let wav = options.out.join(&rel_wav);
    let mid = wav.with_extension("mid");
    let summary_file = wav.with_extension("txt");
    let made = MadeTrack {
        path: rel_wav,
        label: job.label.clone(),
        group: job.group.clone(),
        summary: String::new(),
    };
    if wav.is_file() && summary_file.is_file() {
        let summary = std::fs::read_to_string(&summary_file)?;
        return Ok(MadeTrack { summary, ..made });
    }
    let mut rng = StdRng::seed_from_u64(options.seed ^ hash(&job.name));
    // The same music at every speed, so `--speed` is a pure time-stretch of the same songs (the
    // arranger's form depends on the length asked for). At speeds above 1 the music may end up to
    // a few percent before the audio does; the arranger writes at least this length.
    let music_seconds = options.seconds + 1.0;
    let (smf, summary) = match &job.source {
        Source::Tune(tune) => {
            let midi = abc::to_midi(tune, &scratch_midi(scratch, job))?;
            let melody = midi::melody_notes(&midi).map_err(anyhow::Error::msg)?;
            let performance = dance::perform(
                tune,
                &melody,
                music_seconds,
                dance::Playing {
                    shared_meter_tempo: options.shared_meter_tempo,
                    dotted_hornpipes: options.dotted_hornpipes,
                    articulation: articulation(options, job),
                },
                &mut rng,
            )
            .map_err(anyhow::Error::msg)?;
            (
                performance.song.write(),
                format!("{}: {}", tune.title, performance.summary),
            )
        }
        Source::Genre(genre) => {
            let song =
                arranger::genre_song(genre, rand::Rng::random(&mut rng), music_seconds as f32)?;
            (song.smf, song.summary)
        }
        Source::Mood(mood) => {
            let song =
                arranger::mood_song(mood, rand::Rng::random(&mut rng), music_seconds as f32)?;
            (song.smf, song.summary)
        }
    };
    let finish = Finish {
        peak_db: rand::Rng::random_range(&mut rng, -20.0..-1.0),
        lowpass_hz: rand::Rng::random_bool(&mut rng, 0.4)
            .then(|| rand::Rng::random_range(&mut rng, 2500.0..9000.0)),
    };
    let mut audio = renderer.render(
        &smf,
        options.seconds,
        options.sample_rate,
        options.speed,
        finish,
    )?;
    // Drawn from its own generator, so a set made without `--produce` keeps every other draw.
    let summary = if options.produce {
        let chain = produce::Chain::draw(&mut StdRng::seed_from_u64(
            options.seed ^ hash(&job.name) ^ PRODUCE_SALT,
        ));
        chain.apply(&mut audio, options.sample_rate)?;
        format!("{summary}; produced: {}", chain.describe())
    } else {
        summary
    };
    std::fs::create_dir_all(options.out.join(&folder))?;
    atomic_file::write(&mid, &smf).with_context(|| format!("cannot write {}", mid.display()))?;
    mcclstm_engine::audio::write_wav_f32(&wav, &audio, 1, options.sample_rate)
        .with_context(|| format!("cannot write {}", wav.display()))?;
    // Written last: its presence says the track is complete.
    atomic_file::write(&summary_file, summary.as_bytes())?;
    Ok(MadeTrack { summary, ..made })
}

fn write_index(out: &Path, report: &MakeReport) -> anyhow::Result<()> {
    let mut csv = String::from("path,label,group\n");
    for t in &report.tracks {
        csv.push_str(&format!("{},{},{}\n", t.path, t.label, t.group));
    }
    atomic_file::write(&out.join("tracks.csv"), csv.as_bytes())?;
    atomic_file::write(
        &out.join("manifest.json"),
        serde_json::to_string_pretty(report)?.as_bytes(),
    )?;
    Ok(())
}

/// A name usable as a file or folder name on every system.
fn file_safe(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// The part of each note a dance performance sounds, where the set asks for one: drawn from the
/// range on a generator of its own, so every other draw is the set's without it.
fn articulation(options: &MakeOptions, job: &Job) -> Option<f64> {
    let (lo, hi) = options.articulation?;
    if lo < hi {
        let mut own = StdRng::seed_from_u64(options.seed ^ hash(&job.name) ^ ARTICULATION_SALT);
        Some(rand::Rng::random_range(&mut own, lo..hi))
    } else {
        Some(lo)
    }
}

/// Mixed into a track's seed for its production chain's generator.
const PRODUCE_SALT: u64 = 0x7072_6f64_7563_6564;
/// Mixed into a track's seed for its drawn articulation's generator.
const ARTICULATION_SALT: u64 = 0x6172_7469_6375_6c61;

/// A stable 64-bit hash (FNV-1a) for seeds; std's hasher may change between releases.
fn hash(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    use crate::synth::DEFAULT_SOUNDFONT;

    #[test]
    fn takes_of_one_tune_hand_over_their_midi_in_files_of_their_own() {
        let abc = tempfile::tempdir().unwrap();
        for i in 0..3 {
            std::fs::write(
                abc.path().join(format!("Reel{i}.abc")),
                format!("X:1\nT:Reel {i}\nR:reel\nM:C|\nL:1/8\nK:D\n|:DFAF dFAF:|\n"),
            )
            .unwrap();
        }
        let options = MakeOptions {
            kind: MakeKind::Dance,
            out: abc.path().join("out"),
            soundfont: PathBuf::from(DEFAULT_SOUNDFONT),
            abc: Some(abc.path().to_path_buf()),
            per_class: 3,
            min_tunes: 1,
            seconds: 8.0,
            sample_rate: 22050,
            seed: 1,
            offset: 0,
            renders: 3,
            speed: 1.0,
            dances: Vec::new(),
            shared_meter_tempo: false,
            dotted_hornpipes: false,
            articulation: None,
            produce: false,
            leave_out_titles_of: None,
        };
        let jobs = plan(&options).unwrap().jobs;
        assert_eq!(jobs.len(), 9);
        let groups: BTreeSet<&str> = jobs.iter().map(|j| j.group.as_str()).collect();
        assert_eq!(groups.len(), 3, "three takes of each tune share its group");
        let scratch = Path::new("scratch");
        let files: BTreeSet<PathBuf> = jobs.iter().map(|j| scratch_midi(scratch, j)).collect();
        assert_eq!(files.len(), jobs.len(), "{files:?}");
    }
}
