//! The trainer end to end on small synthetic data sets in each reader's layout: `cv` learns what
//! separates the classes, bad files are skipped and listed, too-small classes are refused before
//! training, a killed run resumes to the same weights, and `train` exports a model the engine
//! loads.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{TEMPI, click_track, timbre_track, write_au, write_wav};
use mcclstm_data::cache::TrackChunks;
use mcclstm_data::dataset::{self, DatasetKind};
use mcclstm_engine::{Architecture, Model, Preset};
use mcclstm_trainer::model::{Init, ModelConfig, Net};
use mcclstm_trainer::protocol::{self, CvJob, CvOutcome, CvProgress, DataSource, ModelOptions};
use mcclstm_trainer::train::{self, Checkpointing, Progress, Quiet, Selection, TrainOptions};

const RATE: u32 = 22_050;
/// Two chunks of the `paper` preset (3.715 s each) and a little more.
const SECONDS: f32 = 8.0;

struct QuietCv(Quiet);
impl CvProgress for QuietCv {
    fn training(&mut self) -> &mut dyn Progress {
        &mut self.0
    }
}

/// Small models so a test trains in seconds: the paper's layers, fewer units.
fn small_model() -> ModelOptions {
    ModelOptions {
        filters: 4,
        dense: Some(32),
        lstm: Some(16),
        dropout: 0.1,
        ..ModelOptions::default()
    }
}

fn quick_options() -> TrainOptions {
    TrainOptions {
        max_epochs: 25,
        patience: 8,
        batch_size: 4,
        learning_rate: 3e-3,
        ..TrainOptions::default()
    }
}

fn source(kind: DatasetKind, root: &Path, cache: &Path) -> DataSource {
    DataSource {
        kind,
        root: root.to_path_buf(),
        preset: Preset::Paper,
        mels: None,
        cache_dir: cache.to_path_buf(),
        strict: false,
    }
}

fn cv(src: &DataSource, archs: &[Architecture], out: &Path) -> CvOutcome {
    let (dataset, data) = protocol::load(src, || {}).unwrap();
    let job = CvJob {
        source: src.clone(),
        archs: archs.to_vec(),
        folds: 3,
        model: small_model(),
        options: quick_options(),
        group_split: data.tracks.iter().any(|t| t.group.is_some()),
        out: out.to_path_buf(),
        resume: false,
    };
    protocol::run_cv(&job, &dataset, &data, &mut QuietCv(Quiet)).unwrap()
}

fn accuracy(outcome: &CvOutcome, arch: Architecture) -> f64 {
    outcome
        .results
        .iter()
        .find(|r| r.architecture == arch.name())
        .unwrap()
        .mean_percent
}

/// GTZAN's layout (`genres/<genre>/*.au`, 16-bit Sun audio), three genres told apart by tempo.
fn gtzan_tempo(root: &Path, per_class: usize) {
    for (class, genre) in ["blues", "classical", "country"].iter().enumerate() {
        for i in 0..per_class {
            let seed = (class * 1000 + i) as u64;
            let audio = click_track(TEMPI[class], SECONDS, RATE, seed);
            write_au(
                &root.join(format!("genres/{genre}/{genre}.{i:05}.au")),
                &audio,
                RATE,
            );
        }
    }
}

#[test]
fn cv_learns_tempo_classes_in_gtzan_layout_with_r0_and_mcclstm() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("gtzan");
    gtzan_tempo(&root, 15);
    let src = source(DatasetKind::Gtzan, &root, &dir.path().join("cache"));
    let out = dir.path().join("cv");
    let outcome = cv(&src, &[Architecture::R0, Architecture::Mcclstm], &out);
    eprintln!("{}", outcome.table_markdown);
    assert_eq!(outcome.labels, ["blues", "classical", "country"]);
    assert_eq!(outcome.tracks, 45);
    // Chance is 33%. Tempo is the only cue; both the T channel alone and the full model must find
    // it on every fold's held-out tracks, so a model that learned nothing cannot pass.
    for arch in [Architecture::R0, Architecture::Mcclstm] {
        let acc = accuracy(&outcome, arch);
        assert!(acc >= 75.0, "{arch}: {acc:.1}% on tempo classes");
    }
    for name in [
        "table.md",
        "results.json",
        "confusion-MCCLSTM.png",
        "confusion-R0.txt",
    ] {
        assert!(out.join(name).is_file(), "{name} missing");
    }
    let table = std::fs::read_to_string(out.join("table.md")).unwrap();
    assert!(
        table.contains("| MCCLSTM |") && table.contains("| paper |"),
        "{table}"
    );
}

#[test]
fn cv_learns_timbre_without_an_lstm_in_generic_folders() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("timbre");
    for (class, name) in ["sine", "saw", "noise"].iter().enumerate() {
        for i in 0..12 {
            let audio = timbre_track(class, SECONDS, RATE, i as u64);
            write_wav(&root.join(format!("{name}/{i}.wav")), &audio, RATE);
        }
    }
    let src = source(DatasetKind::Generic, &root, &dir.path().join("cache"));
    let outcome = cv(&src, &[Architecture::R0], &dir.path().join("cv"));
    // Labels sorted by folder name; chance 33%. A stateless R0 must separate timbre.
    assert_eq!(outcome.labels, ["noise", "saw", "sine"]);
    let acc = accuracy(&outcome, Architecture::R0);
    assert!(acc >= 75.0, "R0: {acc:.1}% on timbre classes");
}

#[test]
fn ballroom_soundtrack_and_csv_layouts_are_read_and_learned() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");

    // Ballroom: BallroomData/<Style>/*.wav, here at 44.1 kHz (resampled by the engine).
    let ballroom = dir.path().join("ballroom");
    for (class, style) in ["Jive", "Waltz"].iter().enumerate() {
        for i in 0..10 {
            let audio = click_track(TEMPI[2 * class], SECONDS, 44_100, (class * 100 + i) as u64);
            write_wav(
                &ballroom.join(format!("BallroomData/{style}/Media-{i}.wav")),
                &audio,
                44_100,
            );
        }
    }
    // Soundtracks: a ratings CSV with TARGET, audio named by number; one dimensional target.
    let soundtracks = dir.path().join("soundtracks");
    let mut csv = String::from("Number,valence,energy,TARGET\n");
    for n in 1..=20u64 {
        let (target, class) = if n % 2 == 0 { ("HAPPY", 0) } else { ("SAD", 1) };
        csv.push_str(&format!("{n},5.0,4.0,{target}\n"));
        let audio = click_track(TEMPI[2 * class], SECONDS, RATE, n);
        write_wav(&soundtracks.join(format!("audio/{n:03}.wav")), &audio, RATE);
    }
    csv.push_str("21,3.0,3.0,VALENCE POSITIVE\n");
    std::fs::write(soundtracks.join("mean_ratings_set1.csv"), csv).unwrap();
    // Generic CSV with groups: path,label,group.
    let generic = dir.path().join("generic");
    let mut rows = String::from("path,label,group\n");
    for class in 0..2 {
        for i in 0..12 {
            let name = format!("clips/{class}-{i}.wav");
            let audio = timbre_track(class * 2, SECONDS, RATE, i as u64);
            write_wav(&generic.join(&name), &audio, RATE);
            rows.push_str(&format!(
                "{name},{},tune{}\n",
                ["pure", "rough"][class],
                i / 2 + 10 * class
            ));
        }
    }
    std::fs::write(generic.join("labels.csv"), rows).unwrap();

    let listing = dataset::open(DatasetKind::Soundtracks, &soundtracks).unwrap();
    assert_eq!(listing.labels, ["sadness", "happiness"]);
    assert_eq!(listing.tracks.len(), 20);
    assert_eq!(listing.skipped.len(), 1, "{:?}", listing.skipped);
    assert!(listing.skipped[0].reason.contains("VALENCE POSITIVE"));

    for (kind, root, labels) in [
        (DatasetKind::Ballroom, ballroom, vec!["Jive", "Waltz"]),
        (
            DatasetKind::Soundtracks,
            soundtracks,
            vec!["sadness", "happiness"],
        ),
        (
            DatasetKind::Generic,
            generic.join("labels.csv"),
            vec!["pure", "rough"],
        ),
    ] {
        let src = source(kind, &root, &cache);
        let outcome = cv(
            &src,
            &[Architecture::R0, Architecture::Mcclstm],
            &dir.path().join(format!("cv-{kind}")),
        );
        assert_eq!(outcome.labels, labels);
        assert_eq!(outcome.group_split, kind == DatasetKind::Generic);
        // Chance is 50%.
        for arch in [Architecture::R0, Architecture::Mcclstm] {
            let acc = accuracy(&outcome, arch);
            assert!(acc >= 80.0, "{kind} {arch}: {acc:.1}%");
        }
    }
}

#[test]
fn a_class_smaller_than_the_fold_count_is_refused_before_training() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("data");
    for i in 0..6 {
        write_wav(
            &root.join(format!("big/{i}.wav")),
            &click_track(60.0, 4.0, RATE, i),
            RATE,
        );
    }
    for i in 0..2 {
        write_wav(
            &root.join(format!("tiny/{i}.wav")),
            &click_track(170.0, 4.0, RATE, i),
            RATE,
        );
    }
    let src = source(DatasetKind::Generic, &root, &dir.path().join("cache"));
    let (dataset, data) = protocol::load(&src, || {}).unwrap();
    let out = dir.path().join("cv");
    let job = CvJob {
        source: src,
        archs: vec![Architecture::R0],
        folds: 3,
        model: small_model(),
        options: quick_options(),
        group_split: false,
        out: out.clone(),
        resume: false,
    };
    let err = protocol::run_cv(&job, &dataset, &data, &mut QuietCv(Quiet)).unwrap_err();
    assert!(err.to_string().contains("`tiny` has 2 track(s)"), "{err}");
    assert!(
        !out.join("runs").exists(),
        "nothing may start before the check"
    );
}

#[test]
fn unreadable_and_too_short_files_are_skipped_and_listed_and_strict_fails() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("data");
    for class in ["a", "b"] {
        for i in 0..3 {
            write_wav(
                &root.join(format!("{class}/{i}.wav")),
                &click_track(90.0, 4.0, RATE, i),
                RATE,
            );
        }
    }
    std::fs::write(
        root.join("a/broken.wav"),
        b"RIFF but not really a wave file",
    )
    .unwrap();
    write_wav(
        &root.join("b/short.wav"),
        &click_track(90.0, 1.0, RATE, 9),
        RATE,
    );
    let mut src = source(DatasetKind::Generic, &root, &dir.path().join("cache"));
    let (_, data) = protocol::load(&src, || {}).unwrap();
    assert_eq!(data.tracks.len(), 6);
    let mut skipped: Vec<(String, String)> = data
        .skipped
        .iter()
        .map(|s| {
            (
                s.path.file_name().unwrap().to_string_lossy().into_owned(),
                s.reason.clone(),
            )
        })
        .collect();
    skipped.sort();
    assert_eq!(skipped.len(), 2, "{skipped:?}");
    assert_eq!(skipped[0].0, "broken.wav");
    assert_eq!(skipped[1].0, "short.wav");
    assert!(skipped[1].1.contains("too short"), "{}", skipped[1].1);

    src.strict = true;
    let err = protocol::load(&src, || {}).unwrap_err();
    assert!(format!("{err:#}").contains("--strict"), "{err:#}");
}

/// Features with a class-dependent pattern, without audio: for training-loop tests.
fn synthetic_tracks(n: usize, chunks: usize) -> Vec<TrackChunks> {
    let mut rng = common::Noise::new(5);
    (0..n)
        .map(|i| {
            let label = i % 2;
            let len = chunks - (i % 3 == 0) as usize;
            let data = (0..len * 40 * 80)
                .map(|k| {
                    let band = (k / 80) % 40;
                    -40.0 + 10.0 * rng.next() + if label == 1 && band < 10 { 15.0 } else { 0.0 }
                })
                .collect();
            TrackChunks {
                path: PathBuf::from(format!("t{i}")),
                label,
                group: None,
                chunks: data,
                len,
                seconds: len as f64 * 3.7,
                targets: mcclstm_data::cache::one_hot(label, 2, len),
            }
        })
        .collect()
}

/// The paper's layers of `arch` at a size that trains in a fraction of a second.
fn tiny_config(arch: Architecture, dropout: f64) -> ModelConfig {
    let mut a = mcclstm_onnx::arch::ArchConfig::paper(arch);
    a.filters = 2;
    a.dense = 16;
    a.lstm = 8;
    ModelConfig {
        arch: a,
        dropout,
        init: Init::Default,
        n_mels: 40,
        frames: 80,
        classes: 2,
        multi_label: false,
    }
}

fn weights_of(net: &Net) -> Vec<f32> {
    let w = net.to_weights(&[0.0; 40], &[1.0; 40]).unwrap();
    let mut all = Vec::new();
    for c in &w.channels {
        all.extend(&c.weight.data);
    }
    for l in [w.dense.as_ref(), Some(&w.output)].into_iter().flatten() {
        all.extend(&l.weight.data);
    }
    if let Some(l) = &w.lstm {
        all.extend(&l.w.data);
        all.extend(&l.r.data);
    }
    all
}

#[test]
fn resume_after_a_kill_gives_the_same_weights_as_an_uninterrupted_run() {
    let tracks = synthetic_tracks(16, 3);
    let train: Vec<&TrackChunks> = tracks[..12].iter().collect();
    let val: Vec<&TrackChunks> = tracks[12..].iter().collect();
    let config = tiny_config(Architecture::Mcclstm, 0.2);
    let options = TrainOptions {
        max_epochs: 4,
        patience: 100,
        batch_size: 4,
        seed: 11,
        ..TrainOptions::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let whole = train::fit(
        &config,
        &options,
        &train,
        &val,
        &Checkpointing::default(),
        &mut Quiet,
    )
    .unwrap();
    let killed = Checkpointing {
        dir: Some(dir.path().join("ckpt")),
        resume: false,
        stop_after: Some(2),
    };
    let first = train::fit(&config, &options, &train, &val, &killed, &mut Quiet).unwrap();
    assert_eq!(first.epochs_run, 2);
    let resumed = Checkpointing {
        resume: true,
        stop_after: None,
        ..killed
    };
    let rest = train::fit(&config, &options, &train, &val, &resumed, &mut Quiet).unwrap();
    assert_eq!(rest.epochs_run, 2, "the resumed run continues at epoch 3");
    assert_eq!(rest.history.len(), 4);
    assert_eq!(rest.best_epoch, whole.best_epoch);
    // Same seed, same data, same order of operations on the same machine: bit-identical weights.
    let (a, b) = (weights_of(&whole.net), weights_of(&rest.net));
    assert_eq!(a.len(), b.len());
    let diff = a
        .iter()
        .zip(&b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0f32, f32::max);
    assert_eq!(diff, 0.0, "resumed weights differ by {diff:e}");
    // And the resume refuses a checkpoint from another run.
    let mut other = options.clone();
    other.learning_rate = 0.5;
    let err = train::fit(&config, &other, &train, &val, &resumed, &mut Quiet)
        .err()
        .unwrap();
    assert!(err.to_string().contains("different run"), "{err}");
}

#[test]
fn weight_averaging_keeps_the_mean_of_the_last_epochs_and_survives_a_kill() {
    let tracks = synthetic_tracks(16, 3);
    let train: Vec<&TrackChunks> = tracks[..12].iter().collect();
    let val: Vec<&TrackChunks> = tracks[12..].iter().collect();
    let config = tiny_config(Architecture::Mcclstm, 0.2);
    // Patience 1 would stop a run without averaging; with it every epoch runs.
    let averaged = |epochs: usize, from: usize| TrainOptions {
        max_epochs: epochs,
        patience: 1,
        batch_size: 4,
        learning_rate: 3e-3,
        seed: 5,
        average_from: Some(from),
        ..TrainOptions::default()
    };
    let run = |options: &TrainOptions| fit_quietly(&config, options, &train, &val).unwrap();
    // A run's first epochs draw what a longer run's do, so the mean of one epoch is that epoch's
    // weights: epoch 3 from a 3-epoch run, epoch 4 from a 4-epoch one.
    let third = run(&averaged(3, 3));
    let fourth = run(&averaged(4, 4));
    let both = run(&averaged(4, 3));
    assert_eq!(
        both.history.len(),
        4,
        "patience does not stop an averaged run"
    );
    assert_eq!((third.averaged, fourth.averaged, both.averaged), (1, 1, 2));
    assert_eq!(
        both.best_epoch, 4,
        "the averaged model ends at the last epoch"
    );
    let (a, b, mean) = (
        weights_of(&third.net),
        weights_of(&fourth.net),
        weights_of(&both.net),
    );
    assert_ne!(a, b, "the two epochs' weights differ");
    let worst = a
        .iter()
        .zip(&b)
        .zip(&mean)
        .map(|((x, y), m)| (m - (x + y) / 2.0).abs())
        .fold(0.0f32, f32::max);
    assert!(
        worst < 1e-6,
        "the averaged weights are off the mean by {worst:e}"
    );
    let accuracy = train::evaluate(&both.net, &both.standardisation, &val).accuracy;
    assert_eq!(
        both.validation_accuracy, accuracy,
        "the reported accuracy is the averaged model's"
    );

    // Killed after the first averaged epoch and resumed: the same mean.
    let dir = tempfile::tempdir().unwrap();
    let killed = Checkpointing {
        dir: Some(dir.path().join("ckpt")),
        resume: false,
        stop_after: Some(3),
    };
    let options = averaged(4, 3);
    train::fit(&config, &options, &train, &val, &killed, &mut Quiet).unwrap();
    let resumed = Checkpointing {
        resume: true,
        stop_after: None,
        ..killed
    };
    let rest = train::fit(&config, &options, &train, &val, &resumed, &mut Quiet).unwrap();
    assert_eq!((rest.epochs_run, rest.averaged), (1, 2));
    assert_eq!(weights_of(&rest.net), mean, "the resumed mean differs");

    for from in [0, 5] {
        let err = fit_quietly(&config, &averaged(4, from), &train, &val)
            .err()
            .unwrap();
        assert!(
            err.to_string().contains("between 1 and the last epoch"),
            "{err}"
        );
    }
}

#[test]
fn train_command_exports_a_model_that_passes_the_contract_with_a_card() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("gtzan");
    gtzan_tempo(&root, 6);
    let out = dir.path().join("models/genre-test.onnx");
    let run = Command::new(env!("CARGO_BIN_EXE_mcclstm-train"))
        .args(["train", "--dataset", "gtzan", "--root"])
        .arg(&root)
        .args([
            "--arch",
            "MCCLSTM",
            "--filters",
            "4",
            "--dense",
            "32",
            "--lstm",
            "16",
        ])
        .args(["--epochs", "3", "--validation", "0.2", "--cache"])
        .arg(dir.path().join("cache"))
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "{stdout}\n{stderr}");
    let model = Model::from_file(&out).unwrap();
    let d = model.description();
    assert_eq!(d.labels, ["blues", "classical", "country"]);
    assert_eq!(d.task, "genre");
    assert_eq!(d.architecture, "MCCLSTM");
    let card = std::fs::read_to_string(dir.path().join("models/genre-test.MODEL_CARD.md")).unwrap();
    assert!(
        card.contains("Validation accuracy") && card.contains("mcclstm train"),
        "{card}"
    );
    assert!(
        !protocol::checkpoint_dir(&out).exists(),
        "checkpoints are removed after export"
    );
    // The card is data beside the model: `mcclstm-train card` replaces a section by its name
    // and appends a new one, and the Markdown is rendered again from the data.
    assert!(card.contains("## Results") && !card.contains("## Cross-validation"));
    let sections = dir.path().join("sections.json");
    std::fs::write(
        &sections,
        r#"[{"heading": "Results", "body": "- replaced"},
            {"heading": "Cross-validation", "body": "| a | b |"}]"#,
    )
    .unwrap();
    let run = Command::new(env!("CARGO_BIN_EXE_mcclstm-train"))
        .args(["card", "--model"])
        .arg(&out)
        .arg("--sections")
        .arg(&sections)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let card = std::fs::read_to_string(dir.path().join("models/genre-test.MODEL_CARD.md")).unwrap();
    assert!(card.contains("## Results\n\n- replaced\n"), "{card}");
    assert!(!card.contains("Validation accuracy"), "{card}");
    assert!(card.contains("## Cross-validation\n\n| a | b |"), "{card}");
    assert!(card.find("## Data") < card.find("## Cross-validation"));

    // With weight averaging the card says which epochs the kept weights are the mean of.
    let averaged = dir.path().join("models/genre-averaged.onnx");
    let run = Command::new(env!("CARGO_BIN_EXE_mcclstm-train"))
        .args(["train", "--dataset", "gtzan", "--root"])
        .arg(&root)
        .args(["--filters", "4", "--dense", "32", "--lstm", "16"])
        .args(["--epochs", "3", "--patience", "1", "--average-from", "2"])
        .args(["--validation", "0.2", "--cache"])
        .arg(dir.path().join("cache"))
        .arg("--out")
        .arg(&averaged)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let card = std::fs::read_to_string(averaged.with_extension("MODEL_CARD.md")).unwrap();
    assert!(
        card.contains("of the mean of the weights at the end of epochs 2-3")
            && card.contains("every one of the 3 epochs ran"),
        "{card}"
    );
}

/// Writes `per_class` timbre tracks of each of `classes` (timbre index, label) into `root` with a
/// `labels.csv` naming each a group `{prefix}{i}`; seeds from `seed`.
fn timbre_csv(root: &Path, classes: &[(usize, &str)], per_class: usize, seed: u64, prefix: &str) {
    let mut rows = String::from("path,label,group\n");
    for &(kind, label) in classes {
        for i in 0..per_class {
            let name = format!("{label}/{i}.wav");
            let audio = timbre_track(kind, SECONDS, RATE, seed + i as u64);
            write_wav(&root.join(&name), &audio, RATE);
            rows.push_str(&format!("{name},{label},{prefix}{label}{i}\n"));
        }
    }
    std::fs::write(root.join("labels.csv"), rows).unwrap();
}

/// `--validation-set` chooses the epoch on another data set: every training track trains, the
/// card and the model's metadata name that set and its size, and a set with a label the training
/// set lacks, a file or (with `--group-split`) a group of the training set's is refused before
/// any training.
#[test]
fn a_validation_set_chooses_the_epoch_and_is_refused_where_it_overlaps_or_has_other_labels() {
    let dir = tempfile::tempdir().unwrap();
    let train = dir.path().join("train");
    timbre_csv(&train, &[(0, "sine"), (1, "saw"), (2, "noise")], 4, 0, "t");
    // Two of the three classes, other tracks and groups: labels in another order than training's.
    let valid = dir.path().join("valid");
    timbre_csv(&valid, &[(2, "noise"), (0, "sine")], 3, 500, "v");
    let cache = dir.path().join("cache");
    let run = |validation_set: &Path, out: &Path| {
        Command::new(env!("CARGO_BIN_EXE_mcclstm-train"))
            .args(["train", "--dataset", "generic", "--root"])
            .arg(train.join("labels.csv"))
            .arg("--validation-set")
            .arg(validation_set)
            .args(["--filters", "4", "--dense", "32", "--lstm", "16"])
            .args(["--epochs", "12", "--patience", "12", "--lr", "0.003"])
            .args(["--group-split", "--json", "--cache"])
            .arg(&cache)
            .arg("--out")
            .arg(out)
            .output()
            .unwrap()
    };
    let out = dir.path().join("models/timbre.onnx");
    let ran = run(&valid.join("labels.csv"), &out);
    let stdout = String::from_utf8_lossy(&ran.stdout);
    assert!(
        ran.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&ran.stderr)
    );
    let outcome: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(outcome["train_tracks"], 12, "every training track trains");
    assert_eq!(outcome["validation_tracks"], 6);
    // Scored on the other set in the training set's class order: timbre is easy, so the chosen
    // epoch tells its noise from its sine (a mapping that swapped them would score 0%).
    let accuracy = outcome["validation_accuracy"].as_f64().unwrap();
    assert!(accuracy >= 5.0 / 6.0, "validation accuracy {accuracy}");
    let model = Model::from_file(&out).unwrap();
    assert_eq!(model.description().labels, ["noise", "saw", "sine"]);
    let meta = String::from_utf8_lossy(&std::fs::read(&out).unwrap()).into_owned();
    assert!(
        meta.contains("validation_set"),
        "the metadata names the set"
    );
    let card = std::fs::read_to_string(out.with_extension("MODEL_CARD.md")).unwrap();
    assert!(
        card.contains("every one of the 12 usable tracks trains; the epoch is chosen on the 6")
            && card.contains("valid/labels.csv")
            && card.contains("--validation-set"),
        "{card}"
    );

    // A label the training set does not have.
    let other = dir.path().join("other");
    timbre_csv(&other, &[(0, "sine"), (1, "square")], 2, 900, "o");
    // A file of the training set's (by another path to it) and a group of the training set's.
    let csv = |name: &str, rows: [(PathBuf, &str, &str); 2]| {
        let path = dir.path().join(name);
        let mut text = String::from("path,label,group\n");
        for (file, label, group) in rows {
            text.push_str(&format!("{},{label},{group}\n", file.display()));
        }
        std::fs::write(&path, text).unwrap();
        path
    };
    let shared = csv(
        "shared.csv",
        [
            (train.join("sine/../sine/0.wav"), "sine", "x1"),
            (valid.join("noise/1.wav"), "noise", "x2"),
        ],
    );
    let group = csv(
        "group.csv",
        [
            (valid.join("noise/0.wav"), "noise", "tsaw1"),
            (valid.join("sine/0.wav"), "sine", "x3"),
        ],
    );
    for (set, expected) in [
        (
            other.join("labels.csv"),
            "its label `square` is not one of the training set's (noise, saw, sine)",
        ),
        (shared, "is in the training set too"),
        (group, "group `tsaw1`"),
    ] {
        let refused_out = dir.path().join("models/refused.onnx");
        let ran = run(&set, &refused_out);
        let stderr = String::from_utf8_lossy(&ran.stderr);
        assert!(!ran.status.success(), "{}", set.display());
        assert!(stderr.contains(expected), "{stderr}");
        assert!(
            !refused_out.exists() && !protocol::checkpoint_dir(&refused_out).exists(),
            "refused before training"
        );
    }
}

/// `--mels` trains on another number of mel bands: the model file carries that frontend (named
/// so), runs on audio with it, and a band count the frontend cannot build is refused up front.
#[test]
fn train_with_more_mel_bands_exports_a_model_that_runs_with_its_own_frontend() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("gtzan");
    gtzan_tempo(&root, 4);
    let train = |mels: &str, out: &Path| {
        Command::new(env!("CARGO_BIN_EXE_mcclstm-train"))
            .args(["train", "--dataset", "gtzan", "--root"])
            .arg(&root)
            .args([
                "--mels",
                mels,
                "--filters",
                "2",
                "--dense",
                "8",
                "--lstm",
                "4",
            ])
            .args(["--epochs", "1", "--validation", "0.25", "--cache"])
            .arg(dir.path().join("cache"))
            .arg("--out")
            .arg(out)
            .output()
            .unwrap()
    };
    let out = dir.path().join("models/genre-48.onnx");
    let run = train("48", &out);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let model = Model::from_file(&out).unwrap();
    let frontend = &model.description().frontend;
    assert_eq!(frontend.n_mels, 48);
    assert_eq!(frontend.preset, "paper-48mels");
    assert_eq!(frontend.sample_rate, Preset::Paper.config().sample_rate);
    let audio = click_track(TEMPI[0], 12.0, frontend.sample_rate, 1);
    let analysis = mcclstm_engine::analyze_signal(&model, &audio).unwrap();
    assert_eq!(analysis.chunks.len(), 3, "12 s is three whole chunks");
    assert!((analysis.summary.iter().sum::<f32>() - 1.0).abs() < 1e-4);
    let card = std::fs::read_to_string(out.with_file_name("genre-48.MODEL_CARD.md")).unwrap();
    assert!(card.contains("`paper-48mels` (22050 Hz, 48 mels"), "{card}");

    let bad = dir.path().join("models/genre-bad.onnx");
    let run = train("2000", &bad);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        !run.status.success() && stderr.contains("n_mels"),
        "{stderr}"
    );
    assert!(!bad.exists());
}

/// `mcclstm-train confusion` draws the matrix of an `mcclstm evaluate --json` report, and
/// refuses a report without a square one, naming the file.
#[test]
fn confusion_draws_an_evaluate_report_and_refuses_a_malformed_one() {
    let dir = tempfile::tempdir().unwrap();
    let labels: Vec<String> = ["classical", "metal", "rock"].map(String::from).to_vec();
    let mut confusion = mcclstm_data::metrics::Confusion::new(&labels);
    confusion.add(0, 0);
    confusion.add(2, 1);
    let report = dir.path().join("report.json");
    let png = dir.path().join("c.png");
    let draw = |report: &Path| {
        Command::new(env!("CARGO_BIN_EXE_mcclstm-train"))
            .args(["confusion", "--title", "held-out", "--report"])
            .arg(report)
            .arg("--out")
            .arg(&png)
            .output()
            .unwrap()
    };
    std::fs::write(
        &report,
        serde_json::json!({"tracks": 2, "accuracy": 0.5, "confusion": confusion}).to_string(),
    )
    .unwrap();
    let run = draw(&report);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert_eq!(&std::fs::read(&png).unwrap()[1..4], b"PNG");

    std::fs::remove_file(&png).unwrap();
    std::fs::write(
        &report,
        r#"{"confusion": {"labels": ["a", "b"], "counts": [[1, 2]]}}"#,
    )
    .unwrap();
    let run = draw(&report);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(!run.status.success());
    assert!(
        stderr.contains("report.json") && stderr.contains("2 rows of 2 counts"),
        "{stderr}"
    );
    assert!(!png.exists(), "nothing is written for a malformed report");
}

/// 15 epochs with the loss on every chunk, training sequences of at most `max_chunks` chunks (0:
/// whole tracks).
fn every_step_options(max_chunks: usize) -> TrainOptions {
    TrainOptions {
        max_epochs: 15,
        patience: 15,
        batch_size: 4,
        learning_rate: 3e-3,
        loss: train::LossMode::EveryStep,
        max_chunks,
        ..TrainOptions::default()
    }
}

/// `train::fit` without checkpoints or progress.
fn fit_quietly(
    config: &ModelConfig,
    options: &TrainOptions,
    train: &[&TrackChunks],
    val: &[&TrackChunks],
) -> anyhow::Result<train::Trained> {
    train::fit(
        config,
        options,
        train,
        val,
        &Checkpointing::default(),
        &mut Quiet,
    )
}

/// [`every_step_options`] on a tiny `arch`.
fn fit_every_step(
    arch: Architecture,
    train: &[&TrackChunks],
    val: &[&TrackChunks],
    max_chunks: usize,
) -> train::Trained {
    fit_quietly(
        &tiny_config(arch, 0.0),
        &every_step_options(max_chunks),
        train,
        val,
    )
    .unwrap()
}

#[test]
fn every_step_loss_trains_the_live_prediction_after_each_chunk() {
    let tracks = synthetic_tracks(24, 3);
    let train: Vec<&TrackChunks> = tracks[..16].iter().collect();
    let val: Vec<&TrackChunks> = tracks[16..].iter().collect();
    let trained = fit_every_step(Architecture::R4, &train, &val, 0);
    // With every step trained, the prediction after the first chunk alone is already right: the
    // classes differ in every chunk. (Chance is 50%.)
    let first_chunk_right = val
        .iter()
        .filter(|t| {
            let first = t.chunks[..40 * 80].to_vec();
            let probs =
                train::step_probs(&trained.net, &trained.standardisation, &[first]).unwrap();
            mcclstm_engine::runner::argmax(&probs[0]) == t.label
        })
        .count();
    assert!(
        first_chunk_right * 4 >= val.len() * 3,
        "{first_chunk_right}/{} right after one chunk",
        val.len()
    );
}

#[test]
fn soft_targets_with_untaught_chunks_cut_into_pieces_still_teach_the_classes() {
    let mut tracks = synthetic_tracks(24, 3);
    for t in &mut tracks[..16] {
        // A teacher that gives the right class 70%, and says nothing about the second chunk.
        t.targets = (0..t.len)
            .flat_map(|k| match (k, t.label) {
                (1, _) => [0.0, 0.0],
                (_, 0) => [0.7, 0.3],
                _ => [0.3, 0.7],
            })
            .collect();
    }
    let train: Vec<&TrackChunks> = tracks[..16].iter().collect();
    let val: Vec<&TrackChunks> = tracks[16..].iter().collect();
    // Three-chunk tracks become a two-chunk and a one-chunk sequence.
    let trained = fit_every_step(Architecture::Mcclstm, &train, &val, 2);
    // Chance is 50%.
    assert!(
        trained.validation_accuracy >= 0.75,
        "validation accuracy {}",
        trained.validation_accuracy
    );
}

#[test]
fn running_targets_teach_the_mean_of_the_targets_so_far_and_refuse_independent_tags() {
    // Chunks with nothing that tells tracks apart, and a teacher who says class 0 for the first
    // chunk and class 1 for the next two: the state can only learn where in the track it is.
    let mut tracks = synthetic_tracks(24, 4);
    for t in &mut tracks {
        t.len = 3;
        t.chunks.truncate(3 * 40 * 80);
        for (k, v) in t.chunks.iter_mut().enumerate() {
            *v = -40.0 + ((k * 7919) % 13) as f32;
        }
        t.targets = vec![1.0, 0.0, 0.0, 1.0, 0.0, 1.0];
        t.label = 1;
    }
    let train: Vec<&TrackChunks> = tracks[..16].iter().collect();
    let val: Vec<&TrackChunks> = tracks[16..].iter().collect();
    let config = tiny_config(Architecture::R4, 0.0);
    let class_1_after_each_chunk = |running_targets: bool| -> Vec<f32> {
        let options = TrainOptions {
            running_targets,
            max_epochs: 40,
            patience: 40,
            learning_rate: 1e-2,
            ..every_step_options(0)
        };
        let trained = fit_quietly(&config, &options, &train, &val).unwrap();
        let chunks: Vec<Vec<f32>> = val[0].chunks.chunks(40 * 80).map(<[f32]>::to_vec).collect();
        train::step_probs(&trained.net, &trained.standardisation, &chunks)
            .unwrap()
            .iter()
            .map(|p| p[1])
            .collect()
    };
    // Each chunk's own target: 0, 1, 1. The mean so far: 0, 1/2, 2/3.
    let own = class_1_after_each_chunk(false);
    let running = class_1_after_each_chunk(true);
    assert!(own[0] < 0.2 && own[1] > 0.8 && own[2] > 0.8, "{own:?}");
    assert!(running[0] < 0.2, "{running:?}");
    assert!((running[1] - 0.5).abs() < 0.15, "{running:?}");
    assert!((running[2] - 2.0 / 3.0).abs() < 0.15, "{running:?}");

    // Off by default and then left out of the serialised options (checkpoint fingerprints).
    let json = serde_json::to_string(&TrainOptions::default()).unwrap();
    assert!(!json.contains("running"), "{json}");
    // Independent tags have no distribution to average.
    let mut tags = config.clone();
    tags.multi_label = true;
    let options = TrainOptions {
        running_targets: true,
        ..every_step_options(0)
    };
    let refused = fit_quietly(&tags, &options, &train, &val).err().unwrap();
    assert!(refused.to_string().contains("running targets"), "{refused}");
}

#[test]
fn colour_keeps_a_model_from_being_sure_of_what_a_mix_could_change() {
    // The classes differ by their level alone, 2 dB: a cue that another master could give any
    // track. Without colour the model is sure of it; coloured (each training track moved by a
    // random level, tilt and bell of up to ±6 dB each epoch) it cannot be.
    let mut rng = common::Noise::new(11);
    let tracks: Vec<TrackChunks> = (0..32)
        .map(|i| {
            let label = i % 2;
            let chunks = (0..2 * 40 * 80)
                .map(|_| -40.0 + 10.0 * rng.next() + 2.0 * label as f32)
                .collect();
            TrackChunks {
                path: PathBuf::from(format!("t{i}")),
                label,
                group: None,
                chunks,
                len: 2,
                seconds: 7.4,
                targets: mcclstm_data::cache::one_hot(label, 2, 2),
            }
        })
        .collect();
    let train: Vec<&TrackChunks> = tracks[..16].iter().collect();
    let val: Vec<&TrackChunks> = tracks[16..].iter().collect();
    let config = tiny_config(Architecture::Mcclstm, 0.0);
    let sureness = |colour: bool| -> f32 {
        let options = TrainOptions {
            colour,
            max_epochs: 30,
            patience: 30,
            ..every_step_options(0)
        };
        let trained = fit_quietly(&config, &options, &train, &val).unwrap();
        let right: Vec<f32> = val
            .iter()
            .map(|t| {
                let chunks: Vec<Vec<f32>> = t.chunks.chunks(40 * 80).map(<[f32]>::to_vec).collect();
                let probs =
                    train::step_probs(&trained.net, &trained.standardisation, &chunks).unwrap();
                probs.last().unwrap()[t.label]
            })
            .collect();
        right.iter().sum::<f32>() / right.len() as f32
    };
    let (plain, coloured) = (sureness(false), sureness(true));
    assert!(plain > 0.9, "plain {plain}, coloured {coloured}");
    assert!(coloured < 0.8, "plain {plain}, coloured {coloured}");
    // Off by default and then left out of the serialised options (checkpoint fingerprints).
    let json = serde_json::to_string(&TrainOptions::default()).unwrap();
    assert!(!json.contains("colour"), "{json}");
}

#[test]
fn the_validation_loss_chooses_the_epoch_when_asked_and_old_options_keep_their_fingerprint() {
    let tracks = synthetic_tracks(24, 3);
    let train: Vec<&TrackChunks> = tracks[..16].iter().collect();
    let val: Vec<&TrackChunks> = tracks[16..].iter().collect();
    let config = tiny_config(Architecture::R4, 0.0);
    let run = |select| {
        let options = TrainOptions {
            select,
            ..every_step_options(0)
        };
        fit_quietly(&config, &options, &train, &val).unwrap()
    };
    let (by_accuracy, by_loss) = (run(Selection::Accuracy), run(Selection::Loss));
    // Patience covers every epoch, so the selection changes nothing but the epoch kept: both runs
    // train the same epochs (the trainer is deterministic).
    let figures = |t: &train::Trained| -> Vec<(f64, f64)> {
        t.history
            .iter()
            .map(|r| (r.validation_accuracy, r.validation_loss))
            .collect()
    };
    let history = figures(&by_accuracy);
    assert_eq!(history, figures(&by_loss));
    assert_eq!(history.len(), 15);
    let lowest_loss = 1
        + (0..history.len())
            .min_by(|&a, &b| history[a].1.total_cmp(&history[b].1))
            .unwrap();
    // The first epoch of the highest accuracy, later ones only on a lower loss.
    let mut best_accuracy = 1;
    for (i, &(accuracy, loss)) in history.iter().enumerate() {
        let (best, best_loss) = history[best_accuracy - 1];
        if accuracy > best || (accuracy == best && loss < best_loss) {
            best_accuracy = i + 1;
        }
    }
    assert_eq!(by_loss.best_epoch, lowest_loss, "{history:?}");
    assert_eq!(by_accuracy.best_epoch, best_accuracy, "{history:?}");
    // The default is left out of the serialised options, which the checkpoint fingerprint
    // hashes: a run checkpointed before the option existed still resumes.
    let json = serde_json::to_string(&TrainOptions::default()).unwrap();
    assert!(!json.contains("select"), "{json}");
    let json = serde_json::to_string(&TrainOptions {
        select: Selection::Loss,
        ..TrainOptions::default()
    })
    .unwrap();
    assert!(json.contains(r#""select":"loss""#), "{json}");
}

#[test]
fn a_multi_label_model_learns_independent_tags() {
    // Three tags: "bright" on the tracks whose low bands are louder, "dark" on the others, and
    // "steady" at 0.8 on every track; the tags overlap, so no softmax could fit them.
    let mut tracks = synthetic_tracks(24, 3);
    for t in &mut tracks {
        let row = if t.label == 1 {
            [0.9, 0.1, 0.8]
        } else {
            [0.1, 0.9, 0.8]
        };
        t.targets = (0..t.len).flat_map(|_| row).collect();
    }
    let train: Vec<&TrackChunks> = tracks[..16].iter().collect();
    let val: Vec<&TrackChunks> = tracks[16..].iter().collect();
    let mut config = tiny_config(Architecture::Mcclstm, 0.0);
    config.classes = 3;
    config.multi_label = true;
    let options = every_step_options(0);
    let trained = fit_quietly(&config, &options, &train, &val).unwrap();
    // Every (track, tag) pair on the right side of 0.5.
    assert!(
        trained.validation_accuracy >= 0.95,
        "validation agreement {}",
        trained.validation_accuracy
    );
    let mut bright = Vec::new();
    let mut truth = Vec::new();
    for t in &val {
        let chunks: Vec<Vec<f32>> = t.chunks.chunks(40 * 80).map(<[f32]>::to_vec).collect();
        let probs = train::step_probs(&trained.net, &trained.standardisation, &chunks).unwrap();
        let last = probs.last().unwrap();
        // Independent: about 0.9 + 0.1 + 0.8, not a distribution summing to 1.
        let sum: f32 = last.iter().sum();
        assert!(sum > 1.4, "outputs {last:?} sum to {sum}");
        assert!((last[2] - 0.8).abs() < 0.15, "steady tag {}", last[2]);
        bright.push(last[0]);
        truth.push(t.label == 1);
    }
    let auc = mcclstm_data::metrics::roc_auc(&bright, &truth).unwrap();
    assert!(auc >= 0.95, "ROC-AUC of `bright` {auc}");
}

#[test]
fn balanced_tags_weigh_a_rare_tag_and_still_output_the_targets() {
    // "bright" and "dark" as above, and "rare" at 0.1 on every chunk: balancing weighs its
    // present side (1 - 0.1) / 0.1 = 9 times, and shifts the logits inside the loss so the best
    // output is still 0.1 (a weight without the shift would pull it to 0.9 / 1.8 = 0.5).
    let mut tracks = synthetic_tracks(24, 3);
    for t in &mut tracks {
        let row = if t.label == 1 {
            [0.9, 0.1, 0.1]
        } else {
            [0.1, 0.9, 0.1]
        };
        t.targets = (0..t.len).flat_map(|_| row).collect();
    }
    let train: Vec<&TrackChunks> = tracks[..16].iter().collect();
    let val: Vec<&TrackChunks> = tracks[16..].iter().collect();
    let mut config = tiny_config(Architecture::Mcclstm, 0.0);
    config.classes = 3;
    config.multi_label = true;
    let options = every_step_options(0);
    let weights = train::tag_weights(&train, &config, options.loss);
    assert!(
        (weights[2] - 9.0).abs() < 1e-3 && (weights[0] - 1.0).abs() < 1e-3,
        "{weights:?}"
    );
    let balanced = TrainOptions {
        balance: true,
        ..options
    };
    let trained = fit_quietly(&config, &balanced, &train, &val).unwrap();
    assert!(
        trained.validation_accuracy >= 0.95,
        "validation agreement {}",
        trained.validation_accuracy
    );
    for t in &val {
        let chunks: Vec<Vec<f32>> = t.chunks.chunks(40 * 80).map(<[f32]>::to_vec).collect();
        let probs = train::step_probs(&trained.net, &trained.standardisation, &chunks).unwrap();
        let last = probs.last().unwrap();
        assert!(
            (last[2] - 0.1).abs() < 0.1,
            "rare tag {} (target 0.1)",
            last[2]
        );
    }
}

/// `mcclstm-train train --dataset tags` on four GTZAN-layout tracks of blues, classical and
/// country under `dir`, for `epochs`, into `out`; it must succeed. Every chunk's (`*`) tags:
/// "slow" (0.9 on blues, else 0.1), "fast" (0.9 on country, else 0.1), then `more(class, genre)`
/// for the columns after them in `tags`.
fn train_on_tags(
    dir: &Path,
    tags: &str,
    epochs: usize,
    out: &Path,
    more: impl Fn(usize, &str) -> String,
) {
    gtzan_tempo(&dir.join("gtzan"), 4);
    let mut csv = format!("path,group,chunk,{tags}\n");
    for (class, genre) in ["blues", "classical", "country"].iter().enumerate() {
        for i in 0..4 {
            let slow = if class == 0 { 0.9 } else { 0.1 };
            let fast = if class == 2 { 0.9 } else { 0.1 };
            let rest = more(class, genre);
            csv.push_str(&format!(
                "gtzan/genres/{genre}/{genre}.{i:05}.au,{genre}{i},*,{slow},{fast},{rest}\n"
            ));
        }
    }
    let table = dir.join("tags.csv");
    std::fs::write(&table, csv).unwrap();
    let run = Command::new(env!("CARGO_BIN_EXE_mcclstm-train"))
        .args(["train", "--dataset", "tags", "--root"])
        .arg(&table)
        .args(["--task", "style", "--arch", "MCCLSTM", "--filters", "4"])
        .args(["--dense", "32", "--lstm", "16", "--loss", "every-step"])
        .args([
            "--epochs",
            &epochs.to_string(),
            "--validation",
            "0.25",
            "--cache",
        ])
        .arg(dir.join("cache"))
        .arg("--out")
        .arg(out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
}

#[test]
fn train_command_on_a_tag_csv_exports_a_format_2_model_with_independent_outputs() {
    let dir = tempfile::tempdir().unwrap();
    // Tags of every chunk (`*`): "slow" on blues, "fast" on country, "clicks" on everything.
    let out = dir.path().join("models/style-test.onnx");
    train_on_tags(dir.path(), "slow,fast,clicks", 3, &out, |_, _| "0.8".into());
    let bytes = std::fs::read(&out).unwrap();
    let checked = mcclstm_engine::contract::check(&bytes).unwrap();
    let format = checked
        .proto
        .metadata_props
        .iter()
        .find(|kv| kv.key == "mcclstm.format")
        .unwrap();
    assert_eq!(format.value, "2");
    let graph = checked.proto.graph.as_ref().unwrap();
    let last = graph.node.iter().find(|n| n.output == ["probs"]).unwrap();
    assert_eq!(last.op_type, "Sigmoid");
    let model = Model::from_bytes(&bytes).unwrap();
    let d = model.description();
    assert_eq!(d.outputs, mcclstm_engine::Outputs::Independent);
    assert_eq!(d.task, "style");
    assert_eq!(d.labels, ["slow", "fast", "clicks"]);
    // Each output a probability of its own.
    let mut runner = model.runner();
    let chunk = vec![-30.0f32; model.chunk_len()];
    let step = runner.step(&chunk).unwrap();
    assert!(step.chunk.iter().all(|p| (0.0..=1.0).contains(p)));
}

#[test]
fn auxiliary_tags_are_learned_and_left_out_of_the_model_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("style-aux.onnx");
    // The export check compared burn's first two outputs with the file's, step by step.
    train_on_tags(
        dir.path(),
        "slow,fast,aux:blues,aux:clicks",
        2,
        &out,
        |class, _| format!("{},0.8", if class == 0 { 1.0 } else { 0.0 }),
    );
    let model = Model::from_bytes(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(model.description().labels, ["slow", "fast"]);
    let mut runner = model.runner();
    let step = runner.step(&vec![-30.0f32; model.chunk_len()]).unwrap();
    assert_eq!(step.chunk.len(), 2);
    let card = std::fs::read_to_string(dir.path().join("style-aux.MODEL_CARD.md")).unwrap();
    assert!(
        card.contains("with independent probabilities of 2 tags: slow, fast."),
        "{card}"
    );
    assert!(
        card.contains("2 auxiliary tags, learned with the others and not in the model file"),
        "{card}"
    );
    assert!(card.contains("aux:blues, aux:clicks"), "{card}");
    assert!(
        !card.contains("| aux:"),
        "the data table lists the exported tags only: {card}"
    );
}
