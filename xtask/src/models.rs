//! `cargo xtask models [genre] [mood] [dance] [style] [--folds N]`: rebuilds the default models from
//! nothing. Installs what the data needs (Debian's abcmidi and fluid-soundfont-gm, music21's tune
//! corpus from the Python package index), makes the training set and time-stretched held-out sets
//! with `mcclstm dataset make`, trains MCCLSTM with `mcclstm train` into `models/<kind>.onnx`,
//! runs `mcclstm cv` for all seven architectures, evaluates the shipped model on the held-out sets
//! with `mcclstm evaluate`, and writes `models/<kind>.MODEL_CARD.md`. Work files go to
//! `target/models/`; every step resumes or reuses what an interrupted run left there.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, bail};

use crate::{cargo, install_onnxruntime, run, target_dir, workspace_root};

/// music21's release whose corpus holds Ryan's Mammoth Collection (pinned: the tunes are data).
const MUSIC21_VERSION: &str = "10.5.1";

/// Debian packages the data needs, by the file that shows they are there.
const PACKAGES: [(&str, &str); 2] = [
    ("/usr/bin/abc2midi", "abcmidi"),
    ("/usr/share/sounds/sf2/FluidR3_GM.sf2", "fluid-soundfont-gm"),
];

/// MuseScore's General SoundFont (MIT licence; Debian's uncompressed build, as rustysynth reads
/// SF2 only): the other performance set-up the dance model is tested with and never trained on.
const OTHER_SOUNDFONT: (&str, &str) = (
    "/usr/share/sounds/sf2/MuseScore_General_Full.sf2",
    "musescore-general-soundfont-lossless",
);

/// The dance model's test on another collection: O'Neill's 1850 has these of its dances.
const OTHER_COLLECTION_DANCES: &str = "reel,jig,hornpipe";
/// Tunes per dance from O'Neill's (each collection holds at least 200 of each).
const OTHER_COLLECTION_TUNES: usize = 40;

/// Model size: the paper's dense/LSTM sizes of its smaller architectures (200/100), which keeps
/// MCCLSTM's file under the 8 MB the plugin embeds (400/200 gives 9.9 MB).
pub(crate) const MODEL_FLAGS: [&str; 6] = ["--filters", "32", "--dense", "200", "--lstm", "100"];

/// The time-stretch factors of the robustness figure.
const SPEEDS: [&str; 3] = ["0.94", "1.00", "1.06"];

/// Real-music corpus packages (`corpus/packages.json`) that no model trains on: the real-music
/// figures of the cards come from them. They hold most of the corpus's GENRE-tagged tracks of our
/// genres (Wesnoth's 32 "Romantic Classical", four death metal songs, two rock tracks, ...) and a
/// mixed soundtrack (Hedgewars) for agreement with the teacher.
pub(crate) const HELD_OUT_PACKAGES: [&str; 5] = [
    "wesnoth-1.16-music",
    "fretsonfire-songs-muldjord",
    "openclonk-data",
    "megaglest-data",
    "hedgewars-data",
];

/// Training sequences on real music: at most 32 chunks (about two minutes), so the state carried
/// across a long track is trained, and a batch of eight fits in memory.
pub(crate) const MAX_CHUNKS: &str = "32";

struct Kind {
    name: &'static str,
    /// Tracks (dance: tunes) per class in the training set, and in each held-out set.
    per_class: usize,
    held_out: usize,
    /// Where each set starts in the maker's seeded order (`--offset`): the two ranges are
    /// disjoint, so the held-out sets hold songs (tunes) the model never heard.
    train_offset: usize,
    held_out_offset: usize,
    /// Performances per tune in the training set (dance: the collection has 49 strathspeys).
    renders: usize,
    group_split: bool,
    /// Also taught on the real-music corpus by the teacher (`scripts/corpus_mapping.py`).
    real: bool,
    /// Weigh classes by the inverse of their share of the targets (`--balance`). Genre: the
    /// corpus is mostly classical and rock, and metal, its third class, was drowned by rock.
    /// Mood: not, as the class the corpus cannot teach (fear) would then weigh ten times more.
    /// Dance: the collection has 41 strathspeys to learn from against 120 of each other dance.
    balance: bool,
    /// The synthetic renders are taught by the teacher like the corpus's chunks
    /// (`corpus_mapping.py --renders`, from `corpus/synthetic/`) instead of carrying their own
    /// label on every chunk: mood, whose renders the teacher hears as the corpus's moods (it
    /// calls most of our "anger" renders happy or tender); fear, which it has no tag for, keeps
    /// the label. Not genre: the teacher never hears our metal renders as metal.
    teach_renders: bool,
    /// More `mcclstm dataset make` flags, for every set of this kind (training, held-out, cv and
    /// test sets alike: they are how the music is played, not a training trick).
    make_flags: &'static [&'static str],
    /// Training budget: most epochs, and patience (epochs without a better validation score).
    epochs: &'static str,
    patience: &'static str,
    /// The training run's seed (`mcclstm train --seed`), where the shipped run is not seed 0.
    seed: Option<&'static str>,
    /// How the model summarises a whole track (`mcclstm set-summary --rule`), where it is not
    /// the model file's default, the mean of the chunks' outputs.
    track_summary: Option<&'static str>,
    about: &'static str,
    /// Changes trained and measured against the shipped model and not kept: the card's
    /// [`TRIED_HEADING`] section.
    tried: Option<&'static str>,
}

const KINDS: [Kind; 3] = [
    Kind {
        name: "genre",
        per_class: 40,
        held_out: 10,
        train_offset: 0,
        held_out_offset: 40,
        renders: 1,
        group_split: false,
        real: true,
        balance: true,
        teach_renders: false,
        // `--produce` was trained and measured, and not kept: the card's "Tried" section.
        make_flags: &[],
        epochs: "30",
        patience: "6",
        seed: None,
        track_summary: None,
        about: "GTZAN's ten genres as songs of the project's procedural arranger \
                (`trainer/src/make/arranger.rs`): per genre, ranges of tempo and meter, swing, \
                drum patterns, bass lines, chord progressions, General MIDI instrument pools, \
                distortion and loudness taken from the genres' documented traits, randomised \
                within each genre with overlapping ranges, rendered with FluidR3 GM.",
        tried: Some(GENRE_TRIED),
    },
    Kind {
        name: "mood",
        per_class: 40,
        held_out: 10,
        train_offset: 0,
        held_out_offset: 40,
        renders: 1,
        group_split: false,
        real: true,
        balance: false,
        teach_renders: true,
        make_flags: &[],
        // With the renders taught, validation accuracy is flat and noisy from the second epoch
        // on (a whole-track figure over 60 tracks, most of them taught): every epoch runs and
        // the best of all 30 is kept. Patience 6 kept epoch 2, and choosing by the validation
        // loss kept epoch 8 (the card's "Tried" section).
        epochs: "30",
        patience: "30",
        // Seed 1 of this recipe, chosen over seed 0 on the selection packages by a rule written
        // before its run (the card's "Tried" section).
        seed: Some("1"),
        track_summary: None,
        about: "The soundtrack set's five emotions as pieces of the procedural arranger, from the \
                cues music psychology names for each (Juslin & Laukka 2003; Gabrielsson & \
                Lindström 2010): tempo, mode, register, loudness, articulation, dissonance and \
                timbre, randomised within each emotion with overlapping ranges, rendered with \
                FluidR3 GM.",
        tried: Some(MOOD_TRIED),
    },
    Kind {
        name: "dance",
        per_class: 120,
        held_out: 8,
        train_offset: 8,
        held_out_offset: 0,
        renders: 2,
        group_split: true,
        real: false,
        balance: true,
        teach_renders: false,
        // Hornpipes played dotted, as players do whatever the notation: with them the model
        // told O'Neill's jigs from its hornpipes (the card's "Tried" section has the figures).
        make_flags: &["--dotted-hornpipes"],
        // Dance learns slowly: its loss barely moves for the first ten epochs or so, and the
        // validation score still rose at epoch 73 of 80.
        epochs: "80",
        patience: "15",
        seed: None,
        // A tune is short and its last estimate has heard all of it: chosen on O'Neill's tunes
        // the test does not use (the card's "Whole-track summary" section).
        track_summary: Some("last"),
        about: "Tunes of Ryan's Mammoth Collection (1883; ABC transcriptions in music21's \
                corpus) labelled by their `R:` field (its clogs, clog hornpipes, as hornpipes), \
                through abc2midi, played at a tempo in the dance's usual range with hornpipes \
                dotted (each pair of running notes written even played long-short, at 1.4-2.2:1 \
                drawn per performance, as players do), in a random key, \
                by a random lead instrument from one pool shared by all dances, with or without a \
                vamp accompaniment and a frame drum, rendered with FluidR3 GM. Each tune is one \
                group: no tune is in two folds.",
        tried: Some(DANCE_TRIED),
    },
];

pub fn models(args: &[String]) -> anyhow::Result<()> {
    let root = workspace_root()?;
    std::env::set_current_dir(&root)?;
    let mut folds = "10".to_string();
    let mut cv_epochs: Option<String> = None;
    let mut run_cv = true;
    let mut chosen = Vec::new();
    let mut style = false;
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "--folds" => folds = iter.next().context("--folds needs a number")?.clone(),
            "--cv-epochs" => {
                cv_epochs = Some(iter.next().context("--cv-epochs needs a number")?.clone())
            }
            "--no-cv" => run_cv = false,
            "style" => style = true,
            name => match KINDS.iter().find(|k| k.name == name) {
                Some(kind) => chosen.push(kind),
                None => bail!(
                    "unknown argument {name:?}: expected genre, mood, dance, style, --folds N, \
                     --cv-epochs N or --no-cv"
                ),
            },
        }
    }
    if chosen.is_empty() && !style {
        chosen = KINDS.iter().collect();
        style = true;
    }
    install_packages()?;
    if style || chosen.iter().any(|k| k.real) {
        // Idempotent: seconds when the corpus is in place.
        crate::corpus::corpus(&[])?;
    }
    let ort = install_onnxruntime(&root)?;
    // Paths below the workspace are passed relative to it (the working folder here).
    let work = work_dir(&root);
    let (abc, other_collection) = music21_tunes(&work)?;
    let mcclstm = build_tools(&root)?;
    let setup = Setup {
        root: &root,
        work: &work,
        mcclstm: &mcclstm,
        ort: &ort,
        abc: &abc,
        other_collection: &other_collection,
        folds: &folds,
        cv_epochs: cv_epochs.as_deref(),
        run_cv,
    };
    for kind in chosen {
        let started = Instant::now();
        build_model(&setup, kind)?;
        eprintln!(
            "==> {} model rebuilt in {:.1} min",
            kind.name,
            started.elapsed().as_secs_f64() / 60.0
        );
    }
    if style {
        let started = Instant::now();
        crate::style::build_style(&root, &work, &mcclstm, &work.join("cache"))?;
        eprintln!(
            "==> style model rebuilt in {:.1} min",
            started.elapsed().as_secs_f64() / 60.0
        );
    }
    Ok(())
}

/// The `mcclstm dataset make` arguments of a set of `kind`: every set of a kind is made with the
/// kind's flags, so a folder made once is accepted by every later step (the maker refuses a
/// folder made with other options).
fn make_args(
    kind: &Kind,
    out: &Path,
    per_class: usize,
    offset: usize,
    renders: usize,
    speed: &str,
    abc: &Path,
) -> Vec<String> {
    let mut args = vec![
        "dataset".to_string(),
        "make".into(),
        "--kind".into(),
        kind.name.into(),
        "--out".into(),
        out.display().to_string(),
        "--per-class".into(),
        per_class.to_string(),
        "--offset".into(),
        offset.to_string(),
        "--speed".into(),
        speed.into(),
    ];
    if renders > 1 {
        args.extend(["--renders".into(), renders.to_string()]);
    }
    if kind.name == "dance" {
        args.extend(["--abc".into(), abc.display().to_string()]);
    }
    args.extend(kind.make_flags.iter().map(|f| f.to_string()));
    args
}

/// Where a kind's synthetic training set is made: `WORK/NAME/train`.
fn training_set(work: &Path, kind: &Kind) -> PathBuf {
    work.join(kind.name).join("train")
}

/// The synthetic sets the teacher also tags for the style model: genre's and mood's training
/// sets (`scripts/synthetic_tracks.py`, `corpus/synthetic/`).
pub(crate) const TAUGHT_SYNTHETIC: [&str; 2] = ["genre", "mood"];

/// The models' work folder (`target/models`), relative to the workspace: the cards and model
/// metadata written from the commands then name no machine's absolute path.
fn work_dir(root: &Path) -> PathBuf {
    let work = target_dir(root).join("models");
    work.strip_prefix(root)
        .map_or(work.clone(), Path::to_path_buf)
}

/// The models' work folder, relative to the workspace, with the packages the makers need
/// installed and the tools built: `(work, mcclstm)`.
pub(crate) fn work_and_tools(root: &Path) -> anyhow::Result<(PathBuf, PathBuf)> {
    install_packages()?;
    Ok((work_dir(root), build_tools(root)?))
}

/// Makes the training sets of [`TAUGHT_SYNTHETIC`] in `work` as `cargo xtask models` makes them
/// (kept when they are already there).
pub(crate) fn make_taught_synthetic(work: &Path, mcclstm: &Path) -> anyhow::Result<()> {
    for name in TAUGHT_SYNTHETIC {
        let kind = KINDS
            .iter()
            .find(|k| k.name == name)
            .with_context(|| format!("no kind {name}"))?;
        let out = training_set(work, kind);
        // Genre and mood are made by the arranger: no tunes are read.
        let args = make_args(
            kind,
            &out,
            kind.per_class,
            kind.train_offset,
            kind.renders,
            "1.00",
            Path::new(""),
        );
        run(
            &format!("{name}: make {}", out.display()),
            Command::new(mcclstm).args(&args),
        )?;
    }
    Ok(())
}

/// Runs `train` (the `mcclstm train` arguments `args`, which write `model`) unless a finished run
/// of the same arguments is recorded in `data/trained.stamp`: training takes longest, so it is not
/// repeated (delete the stamp or the model to retrain).
pub(crate) fn train_once(
    name: &str,
    model: &Path,
    data: &Path,
    args: &[&str],
    train: impl FnOnce() -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let stamp = data.join("trained.stamp");
    let command = args.join(" ");
    if model.is_file() && std::fs::read_to_string(&stamp).is_ok_and(|s| s == command) {
        eprintln!(
            "==> {name}: {} is trained with these options; kept",
            model.display()
        );
        return Ok(());
    }
    train()?;
    std::fs::write(&stamp, &command)?;
    Ok(())
}

/// Builds `mcclstm` and `mcclstm-train` (debug, as the tests do) and returns `mcclstm`'s path;
/// `mcclstm-train` lies beside it.
fn build_tools(root: &Path) -> anyhow::Result<PathBuf> {
    run(
        "build mcclstm and mcclstm-train",
        cargo().args([
            "build",
            "-p",
            "mcclstm-cli",
            "--bin",
            "mcclstm",
            "-p",
            "mcclstm-trainer",
            "--bin",
            "mcclstm-train",
        ]),
    )?;
    Ok(target_dir(root).join("debug/mcclstm"))
}

pub(crate) fn install_packages() -> anyhow::Result<()> {
    crate::install_debian(&PACKAGES, "the training data")
}

/// Ryan's Mammoth Collection (the dance model's training tunes) and O'Neill's Music of Ireland
/// (1850; the collection it is tested on and never trained on) from music21's wheel (downloaded,
/// not installed: only the tune files are needed). Returns the two folders.
fn music21_tunes(work: &Path) -> anyhow::Result<(PathBuf, PathBuf)> {
    let dir = work.join("music21");
    let corpus = dir.join("music21/corpus");
    let ryans = corpus.join("ryansMammoth");
    let oneills = corpus.join("oneills1850");
    if ryans.is_dir() && oneills.is_dir() {
        return Ok((ryans, oneills));
    }
    let wheels = work.join("wheels");
    run(
        &format!("pip download music21=={MUSIC21_VERSION}"),
        Command::new("python3")
            .args(["-m", "pip", "download", "--quiet", "--no-deps"])
            .args(["--disable-pip-version-check", "-d"])
            .arg(&wheels)
            .arg(format!("music21=={MUSIC21_VERSION}")),
    )?;
    let wheel = wheels.join(format!("music21-{MUSIC21_VERSION}-py3-none-any.whl"));
    run(
        "extract Ryan's Mammoth Collection and O'Neill's 1850",
        Command::new("python3")
            .args([
                "-c",
                "import sys, zipfile\n\
             z = zipfile.ZipFile(sys.argv[1])\n\
             names = [n for n in z.namelist() if n.startswith(('music21/corpus/ryansMammoth/', \
             'music21/corpus/oneills1850/'))]\n\
             z.extractall(sys.argv[2], names)\n",
            ])
            .arg(&wheel)
            .arg(&dir),
    )?;
    anyhow::ensure!(
        ryans.is_dir() && oneills.is_dir(),
        "{} has no ryansMammoth or oneills1850 corpus",
        wheel.display()
    );
    Ok((ryans, oneills))
}

/// What every model's rebuild shares.
struct Setup<'a> {
    root: &'a Path,
    work: &'a Path,
    mcclstm: &'a Path,
    ort: &'a Path,
    abc: &'a Path,
    /// O'Neill's 1850 tunes: the dance model's test collection.
    other_collection: &'a Path,
    folds: &'a str,
    cv_epochs: Option<&'a str>,
    /// `--no-cv`: keep the card's cross-validation table (it depends on the synthetic set only).
    run_cv: bool,
}

fn build_model(setup: &Setup<'_>, kind: &Kind) -> anyhow::Result<()> {
    let Setup {
        root,
        work,
        mcclstm,
        ort,
        abc,
        other_collection,
        folds,
        cv_epochs,
        run_cv,
    } = *setup;
    let name = kind.name;
    let data = work.join(name);
    let cache = work.join("cache");
    let tool = |step: &str, args: &[&str]| -> anyhow::Result<()> {
        run(
            &format!("{name}: {step}"),
            Command::new(mcclstm)
                .args(args)
                .env("ORT_DYLIB_PATH", ort)
                .env("MCCLSTM_CACHE", &cache),
        )
    };
    let make = |out: &Path,
                per_class: usize,
                offset: usize,
                renders: usize,
                speed: &str|
     -> anyhow::Result<()> {
        let args = make_args(kind, out, per_class, offset, renders, speed, abc);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        tool(&format!("make {}", out.display()), &args)
    };
    let train_set = training_set(work, kind);
    make(
        &train_set,
        kind.per_class,
        kind.train_offset,
        kind.renders,
        "1.00",
    )?;
    for speed in SPEEDS {
        make(
            &data.join(format!("held-out-{speed}")),
            kind.held_out,
            kind.held_out_offset,
            1,
            speed,
        )?;
    }
    let csv = train_set.join("tracks.csv").display().to_string();
    let model = Path::new("models").join(format!("{name}.onnx"));
    let model_str = model.display().to_string();
    // `--no-cv` keeps the card's cv table: read it before training writes a new card.
    let kept_cv = if run_cv {
        None
    } else {
        // The card says how its cv ran and how to rebuild it: the flags must be the ones the
        // kept table was made with.
        if let Some(made) = cv_budget_of(&model) {
            let asked = (folds.to_string(), cv_epochs.map(str::to_string));
            anyhow::ensure!(
                made == asked,
                "--no-cv keeps {}'s cv table, made with --folds {}{}: pass the same flags",
                model.display(),
                made.0,
                made.1
                    .map(|e| format!(" --cv-epochs {e}"))
                    .unwrap_or_default()
            );
        }
        // Older cards named the data by absolute path: name it relative to the repository.
        let prefix = format!("{}/", root.display());
        previous_section(&model, CV_HEADING).map(|body| body.replace(&prefix, ""))
    };
    // The model this rebuild replaces, kept once, for the side-by-side figures on real music.
    let previous = data.join("previous.onnx");
    if kind.real && !previous.is_file() && model.is_file() {
        std::fs::copy(&model, &previous).with_context(|| {
            format!("cannot keep {} as {}", model.display(), previous.display())
        })?;
        // What it learned from, as its card says, for the card that will replace that one.
        let card =
            std::fs::read_to_string(model.with_extension("MODEL_CARD.md")).unwrap_or_default();
        if let Some(line) = card.lines().find_map(|l| l.strip_prefix("- Data set: ")) {
            let about = line.split(", read as").next().unwrap_or(line);
            std::fs::write(previous.with_extension("data"), about)?;
        }
    }
    let real = data.join("real");
    let (train_csv, data_name) = if kind.teach_renders {
        // The renders' rows come from the teacher's tags of them: they must be the renders it
        // tagged. corpus_mapping.py writes them with the corpus's rows.
        check_renders(root, work, mcclstm)?;
        map_targets(root, name, &real, Some(work))?;
        (
            real.join("train.csv").display().to_string(),
            format!(
                "synthetic {name} set (mcclstm dataset make --kind {name}) + real-music corpus, \
                 both taught by musicnn (corpus/synthetic/, corpus/ without the held-out \
                 packages)"
            ),
        )
    } else if kind.real {
        map_targets(root, name, &real, None)?;
        let taught = data.join("taught.csv");
        write_taught(
            &train_set.join("tracks.csv"),
            &real.join("train.csv"),
            &taught,
        )?;
        (
            taught.display().to_string(),
            format!(
                "synthetic {name} set (mcclstm dataset make --kind {name}) + real-music corpus \
                 taught by musicnn (corpus/, without the held-out packages)"
            ),
        )
    } else {
        (
            csv.clone(),
            format!("synthetic {name} set (mcclstm dataset make --kind {name})"),
        )
    };
    let mut train = vec![
        "train",
        "--dataset",
        "generic",
        "--root",
        &train_csv,
        "--task",
        name,
        "--data-name",
        &data_name,
        "--loss",
        "every-step",
        "--out",
        &model_str,
    ];
    train.extend(MODEL_FLAGS);
    if kind.group_split || kind.real {
        // Real tracks: a track's pieces stay on one side of the validation split.
        train.push("--group-split");
    }
    if kind.real {
        train.extend(["--max-chunks", MAX_CHUNKS]);
    }
    train.extend(["--epochs", kind.epochs, "--patience", kind.patience]);
    if kind.balance {
        train.push("--balance");
    }
    if let Some(seed) = kind.seed {
        train.extend(["--seed", seed]);
    }
    train_once(name, &model, &data, &train, || {
        tool("train MCCLSTM", &train)
    })?;
    if let Some(rule) = kind.track_summary {
        let model = model.display().to_string();
        tool(
            "store the whole-track summary rule",
            &["set-summary", "--model", &model, "--rule", rule],
        )?;
    }

    // The cv trains 7 architectures per fold: on a set with several takes per tune it runs on one
    // take per tune (the same tunes, fewer tracks), which keeps the rebuild within the hour.
    let cv_csv = if kind.renders > 1 {
        let one_take = data.join("cv-set");
        make(&one_take, kind.per_class, kind.train_offset, 1, "1.00")?;
        one_take.join("tracks.csv").display().to_string()
    } else {
        csv.clone()
    };
    let cv_dir = data.join("cv").display().to_string();
    let mut cv = vec![
        "cv",
        "--dataset",
        "generic",
        "--root",
        &cv_csv,
        "--archs",
        "all",
        "--folds",
        folds,
        "--out",
        &cv_dir,
        "--resume",
    ];
    cv.extend(MODEL_FLAGS);
    if kind.group_split {
        cv.push("--group-split");
    }
    // A shorter budget per training, for a cv that fits a session: patience a quarter of it.
    let patience = cv_epochs
        .and_then(|e| e.parse::<usize>().ok())
        .map(|e| (e / 4).max(3).to_string());
    if let (Some(epochs), Some(patience)) = (cv_epochs, patience.as_deref()) {
        cv.extend(["--epochs", epochs, "--patience", patience]);
    }
    let cv_table = if run_cv {
        tool("cv, all seven architectures", &cv)?;
        std::fs::read_to_string(data.join("cv/table.md")).context("mcclstm cv wrote no table.md")?
    } else {
        kept_cv.with_context(|| {
            format!(
                "--no-cv: {} had no cross-validation section to keep; run without --no-cv",
                model.display()
            )
        })?
    };

    let mut robustness = String::from("| tempo | held-out tracks | accuracy |\n|---|---|---|\n");
    for speed in SPEEDS {
        let held_out = data.join(format!("held-out-{speed}/tracks.csv"));
        let e = evaluate(mcclstm, &model, &held_out)?;
        robustness.push_str(&format!(
            "| x{speed} | {} | {:.1}% |\n",
            e.tracks,
            100.0 * e.accuracy
        ));
    }
    let summary_choice = match kind.track_summary {
        Some(rule) if name == "dance" => Some(summary_section(
            &tool,
            mcclstm,
            &model,
            &data,
            abc,
            other_collection,
            rule,
        )?),
        _ => None,
    };
    let articulation = if name == "dance" {
        Some(articulation_section(
            &tool,
            mcclstm,
            &model,
            &data,
            abc,
            other_collection,
        )?)
    } else {
        None
    };
    let real_music = if kind.real {
        Some(real_music_section(mcclstm, &model, &previous, &real, name)?)
    } else if name == "dance" {
        Some(other_collection_section(
            &tool,
            mcclstm,
            &model,
            &data,
            abc,
            other_collection,
        )?)
    } else {
        None
    };
    let selection = if kind.real {
        let dir = data.join("selection");
        map_selection_targets(root, name, &dir)?;
        Some(selection_section(
            root, mcclstm, &model, &previous, &dir, name,
        )?)
    } else {
        None
    };
    // Last, so nothing after it rewrites the model file without its calibration.
    let confidence = if kind.real {
        Some(calibrate(mcclstm, &model, &real, name)?)
    } else {
        None
    };
    write_card(
        &setup.mcclstm.with_file_name("mcclstm-train"),
        &model,
        kind,
        folds,
        &Figures {
            cv_table,
            robustness,
            real_music,
            selection,
            summary_choice,
            articulation,
            confidence,
        },
        cv_epochs,
    )
}

/// What a rebuild measured, for the card.
struct Figures {
    cv_table: String,
    robustness: String,
    /// The real-music section (models taught on the corpus).
    real_music: Option<String>,
    /// The section on the selection packages (models taught on the corpus).
    selection: Option<String>,
    /// How the whole-track summary rule was chosen, where it is not the default (dance).
    summary_choice: Option<String>,
    /// The model on its other collection played detached and legato (dance).
    articulation: Option<String>,
    /// The calibration section (models taught on the corpus).
    confidence: Option<String>,
}

/// A model's figures on one data set, from `mcclstm evaluate --json`.
struct Evaluated {
    tracks: u64,
    accuracy: f64,
    /// Per true class: (label, tracks, correct).
    per_class: Vec<(String, u64, u64)>,
    /// What `mcclstm evaluate --json` printed (for `mcclstm-train confusion`).
    report: Vec<u8>,
}

impl Evaluated {
    /// "hornpipe 33/40, jig 29/40, ...": right of the tracks per true class.
    fn per_class_text(&self) -> String {
        self.per_class
            .iter()
            .map(|(label, n, right)| format!("{label} {right}/{n}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn evaluate(mcclstm: &Path, model: &Path, csv: &Path) -> anyhow::Result<Evaluated> {
    let output = Command::new(mcclstm)
        .args(["evaluate", "--dataset", "generic", "--json", "--model"])
        .arg(model)
        .arg("--root")
        .arg(csv)
        .output()
        .context("cannot run mcclstm evaluate")?;
    if !output.status.success() {
        bail!(
            "mcclstm evaluate --model {} --root {} failed: {}",
            model.display(),
            csv.display(),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let report: serde_json::Value =
        serde_json::from_slice(&output.stdout).context("mcclstm evaluate printed no JSON")?;
    let labels: Vec<String> = serde_json::from_value(report["confusion"]["labels"].clone())
        .context("evaluate: no confusion labels")?;
    let counts: Vec<Vec<u64>> = serde_json::from_value(report["confusion"]["counts"].clone())
        .context("evaluate: no confusion counts")?;
    let per_class = labels
        .into_iter()
        .zip(&counts)
        .enumerate()
        .map(|(i, (label, row))| (label, row.iter().sum(), row[i]))
        .filter(|(_, n, _)| *n > 0)
        .collect();
    Ok(Evaluated {
        tracks: report["tracks"]
            .as_u64()
            .context("evaluate: no track count")?,
        accuracy: report["accuracy"]
            .as_f64()
            .context("evaluate: no accuracy")?,
        per_class,
        report: output.stdout,
    })
}

/// The dance model's card section on tunes it never heard, from its own collection and from
/// another (O'Neill's 1850), each rendered with the training set-up (FluidR3) and another
/// (MuseScore's General SoundFont): the four cells tell a collection's effect from a set-up's.
fn other_collection_section(
    tool: &dyn Fn(&str, &[&str]) -> anyhow::Result<()>,
    mcclstm: &Path,
    model: &Path,
    data: &Path,
    ryans: &Path,
    oneills: &Path,
) -> anyhow::Result<String> {
    crate::install_debian(&[OTHER_SOUNDFONT], "the dance model's test set-up")?;
    let dance = dance_kind()?;
    let mut rows = String::new();
    let mut shared = 0;
    let sets = [
        (
            "Ryan's (held-out tunes)",
            ryans,
            "FluidR3 GM (as trained)",
            None,
        ),
        (
            "Ryan's (held-out tunes)",
            ryans,
            "MuseScore General",
            Some(OTHER_SOUNDFONT.0),
        ),
        ("O'Neill's 1850", oneills, "FluidR3 GM (as trained)", None),
        (
            "O'Neill's 1850",
            oneills,
            "MuseScore General",
            Some(OTHER_SOUNDFONT.0),
        ),
    ];
    for (collection, abc, setup, soundfont) in sets {
        let ours = abc == ryans;
        let out = data.join(format!(
            "test-{}-{}",
            if ours { "ryans" } else { "oneills" },
            if soundfont.is_some() {
                "musescore"
            } else {
                "fluidr3"
            }
        ));
        let args = if ours {
            dance_set_args(
                &out,
                abc,
                dance.held_out,
                dance.held_out_offset,
                soundfont,
                dance,
            )
        } else {
            oneills_set(&out, abc, ryans, 0, soundfont, dance)
        };
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        tool(&format!("make {}", out.display()), &args)?;
        let e = evaluate(mcclstm, model, &out.join("tracks.csv"))?;
        rows.push_str(&format!(
            "| {collection} | {setup} | {} | {:.1}% | {} |\n",
            e.tracks,
            100.0 * e.accuracy,
            e.per_class_text()
        ));
        if !ours {
            shared = left_out(&out)?;
        }
    }
    let flags = dance.make_flags.join(" ");
    Ok(format!(
        "The model trained on Ryan's Mammoth Collection only. Its test is a collection it never \
         saw, O'Neill's Music of Ireland (1850; music21's `oneills1850`, {OTHER_COLLECTION_TUNES} \
         tunes of each of its {OTHER_COLLECTION_DANCES} picked at random, seed 1, less the \
         {shared} of them that a tune of Ryan's collection shares a title with, such as O'Neill's \
         \"Liverpool Hornpipe, The\" and Ryan's \"Liverpool -- Hornpipe\": the same traditional \
         tune in both books, which the model may have trained on (the set's `manifest.json` \
         lists them under `left_out`); `mcclstm dataset make --kind dance --dances \
         {OTHER_COLLECTION_DANCES} --per-class {OTHER_COLLECTION_TUNES} --leave-out-titles-of \
         {ryans} {flags}`: played by the maker's rules, as the training set is), through another \
         SoundFont, MuseScore's General (MIT licence; Debian's `{}`, \
         installed when the test runs, not shipped). The other three rows tell the two changes \
         apart: the same held-out Ryan's tunes as the time-stretch figures, and each collection \
         through each SoundFont. Scored with `mcclstm evaluate` ({summary} of each 30 s \
         track).\n\n\
         | tunes | SoundFont | tracks | accuracy | right per dance |\n|---|---|---|---|---|\n\
         {rows}",
        OTHER_SOUNDFONT.1,
        ryans = ryans.display(),
        summary = summary_words(dance.track_summary),
    ))
}

/// `mcclstm dataset make` arguments for O'Neill's tunes of [`OTHER_COLLECTION_DANCES`] into
/// `out`: the [`OTHER_COLLECTION_TUNES`] of each dance from `offset` in the maker's order (0, the
/// test's, is made without `--offset`), less those a tune of the training collection `ours`
/// shares a title with, played as the dance model's sets are.
fn oneills_set(
    out: &Path,
    abc: &Path,
    ours: &Path,
    offset: usize,
    soundfont: Option<&str>,
    dance: &Kind,
) -> Vec<String> {
    let mut args = dance_set_args(out, abc, OTHER_COLLECTION_TUNES, offset, soundfont, dance);
    args.extend([
        "--dances".into(),
        OTHER_COLLECTION_DANCES.into(),
        "--leave-out-titles-of".into(),
        ours.display().to_string(),
    ]);
    args
}

/// The articulations the dance card measures O'Neill's tunes at, besides the sets as made
/// (`None`: each note sounds 0.92 of its length, the maker's default).
const ARTICULATIONS: [(Option<&str>, &str); 3] = [
    (Some("0.6"), "0.6, detached"),
    (None, "0.92, as the sets are made"),
    (Some("1.0"), "1.0, legato"),
];
const ARTICULATION_HEADING: &str = "Articulation";

/// The dance model on O'Neill's three sets ([`SUMMARY_SETS`]) played at each of
/// [`ARTICULATIONS`]: the same performances, only how long each note sounds changed
/// (`dataset make --articulation`), so it shows what the model hears the rhythm by.
fn articulation_section(
    tool: &dyn Fn(&str, &[&str]) -> anyhow::Result<()>,
    mcclstm: &Path,
    model: &Path,
    data: &Path,
    ours: &Path,
    oneills: &Path,
) -> anyhow::Result<String> {
    let mut rows = String::new();
    for (articulation, words) in ARTICULATIONS {
        let (mut tunes, mut right) = (0u64, 0u64);
        // Per dance, in the order the sets first name them: (label, tunes, right).
        let mut per_dance: Vec<(String, u64, u64)> = Vec::new();
        for (set, offset, _) in SUMMARY_SETS {
            let csv = musescore_set(tool, data, oneills, ours, set, offset, articulation)?;
            let e = evaluate(mcclstm, model, &csv)?;
            tunes += e.tracks;
            for (label, n, r) in e.per_class {
                right += r;
                match per_dance.iter_mut().find(|(l, _, _)| *l == label) {
                    Some((_, total, ok)) => {
                        *total += n;
                        *ok += r;
                    }
                    None => per_dance.push((label, n, r)),
                }
            }
        }
        let per_dance = per_dance
            .iter()
            .map(|(label, n, r)| format!("{label} {r}/{n}"))
            .collect::<Vec<_>>()
            .join(", ");
        rows.push_str(&format!(
            "| {words} | {tunes} | {right} | {:.1}% | {per_dance} |\n",
            100.0 * right as f64 / tunes.max(1) as f64
        ));
    }
    Ok(format!(
        "The maker plays each melody note for 0.92 of its written length, the rest a gap before \
         the next. O'Neill's three sets of the section above (the test, the choice and the \
         check, {tunes} tunes of each dance before the shared titles are left out, through \
         MuseScore's General) made again with `mcclstm dataset make --articulation A`: the same \
         performances (tempo, key, instruments, timing), only how long each note sounds \
         changed; scored with `mcclstm evaluate` (the model's own summary). Where a model does \
         better with shorter notes and worse with legato ones, it hears the running notes by \
         their onsets, which a wind's slow attack blurs when the notes join (\"Tried and \
         measured\" has what was tried about it).\n\n\
         | articulation (part of each note that sounds) | tunes | right | accuracy | right per dance |\n\
         |---|---|---|---|---|\n{rows}",
        tunes = 3 * OTHER_COLLECTION_TUNES,
    ))
}

/// `mcclstm dataset make` arguments for a dance set into `out`: `per_class` tunes of each dance
/// of the collection `abc` from `offset` in the maker's order, through `soundfont` (FluidR3 when
/// `None`), played as the dance model's sets are (its make flags).
fn dance_set_args(
    out: &Path,
    abc: &Path,
    per_class: usize,
    offset: usize,
    soundfont: Option<&str>,
    dance: &Kind,
) -> Vec<String> {
    let mut args = vec![
        "dataset".to_string(),
        "make".into(),
        "--kind".into(),
        "dance".into(),
        "--out".into(),
        out.display().to_string(),
        "--abc".into(),
        abc.display().to_string(),
        "--per-class".into(),
        per_class.to_string(),
    ];
    if offset > 0 {
        args.extend(["--offset".into(), offset.to_string()]);
    }
    if let Some(sf) = soundfont {
        args.extend(["--soundfont".into(), sf.into()]);
    }
    args.extend(dance.make_flags.iter().map(|f| f.to_string()));
    args
}

/// How many tunes a made set left out for sharing a title with the training collection
/// (`left_out` in its `manifest.json`).
fn left_out(set: &Path) -> anyhow::Result<usize> {
    let path = set.join("manifest.json");
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let manifest: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))?;
    Ok(manifest["left_out"].as_array().map_or(0, Vec::len))
}

/// How a track's class is formed under `rule` (`None`: the model file's default, the mean).
fn summary_words(rule: Option<&str>) -> &'static str {
    match rule {
        Some("last") => "the model's last running estimate",
        _ => "the mean of the outputs over the track's chunks",
    }
}

/// O'Neill's tunes through the test's SoundFont, by their place in the maker's order: the test's
/// (the first [`OTHER_COLLECTION_TUNES`] of each dance), the next, on which the dance model's
/// summary rule was chosen, and the next after them, measured once after the choice.
const SUMMARY_SETS: [(&str, usize, &str); 3] = [
    ("test", 0, "the test, not used to choose"),
    ("choice", OTHER_COLLECTION_TUNES, "the choice"),
    (
        "check",
        2 * OTHER_COLLECTION_TUNES,
        "a check, measured after the choice",
    ),
];

/// The dance recipe.
fn dance_kind() -> anyhow::Result<&'static Kind> {
    KINDS
        .iter()
        .find(|k| k.name == "dance")
        .context("no dance kind")
}

/// Makes O'Neill's `set` (its tunes from `offset` in the maker's order) through MuseScore's
/// General, played as the dance model's sets are and, where given, at `articulation`, into
/// `DATA/SET-oneills-musescore[-articulation-A]`; returns its `tracks.csv`.
fn musescore_set(
    tool: &dyn Fn(&str, &[&str]) -> anyhow::Result<()>,
    data: &Path,
    oneills: &Path,
    ours: &Path,
    set: &str,
    offset: usize,
    articulation: Option<&str>,
) -> anyhow::Result<PathBuf> {
    // On a fresh machine the first O'Neill's set to be made needs it.
    crate::install_debian(&[OTHER_SOUNDFONT], "the dance model's test set-up")?;
    let out = match articulation {
        Some(a) => data.join(format!("{set}-oneills-musescore-articulation-{a}")),
        None => data.join(format!("{set}-oneills-musescore")),
    };
    let mut args = oneills_set(
        &out,
        oneills,
        ours,
        offset,
        Some(OTHER_SOUNDFONT.0),
        dance_kind()?,
    );
    if let Some(a) = articulation {
        args.extend(["--articulation".into(), a.into()]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    tool(&format!("make {}", out.display()), &args)?;
    Ok(out.join("tracks.csv"))
}

/// The card section that says how the dance model's whole-track summary (`rule`) was chosen:
/// the model under each rule on O'Neill's tunes the test does not use ([`SUMMARY_SETS`]).
fn summary_section(
    tool: &dyn Fn(&str, &[&str]) -> anyhow::Result<()>,
    mcclstm: &Path,
    model: &Path,
    data: &Path,
    ours: &Path,
    oneills: &Path,
    rule: &str,
) -> anyhow::Result<String> {
    let mut rows = String::new();
    // Right under (mean, last), and tunes: on the choice set, and on the choice and check sets.
    let mut choice = [0u64; 2];
    let mut totals = [0u64; 2];
    let mut tunes = 0;
    // Right under (mean, last), and tunes, over all three sets.
    let mut all = [0u64; 2];
    let mut all_tunes = 0;
    for (set, offset, role) in SUMMARY_SETS {
        let csv = musescore_set(tool, data, oneills, ours, set, offset, None)?;
        for (k, candidate) in ["mean", "last"].into_iter().enumerate() {
            let copy = data.join(format!("summary-{candidate}.onnx"));
            let (model_s, copy_s) = (model.display().to_string(), copy.display().to_string());
            tool(
                &format!("{candidate}: a copy of the model"),
                &[
                    "set-summary",
                    "--model",
                    &model_s,
                    "--rule",
                    candidate,
                    "--out",
                    &copy_s,
                ],
            )?;
            let e = evaluate(mcclstm, &copy, &csv);
            let _ = std::fs::remove_file(&copy);
            let e = e?;
            let right = e.per_class.iter().map(|(_, _, right)| right).sum::<u64>();
            if offset > 0 {
                totals[k] += right;
                tunes += if k == 0 { e.tracks } else { 0 };
            }
            if set == "choice" {
                choice[k] = right;
            }
            all[k] += right;
            all_tunes += if k == 0 { e.tracks } else { 0 };
            rows.push_str(&format!(
                "| {offset}-{} ({role}) | {}{} | {} | {:.1}% | {} |\n",
                offset + OTHER_COLLECTION_TUNES - 1,
                summary_words(Some(candidate)),
                if candidate == rule {
                    " (this model's)"
                } else {
                    ""
                },
                e.tracks,
                100.0 * e.accuracy,
                e.per_class_text()
            ));
        }
    }
    Ok(format!(
        "A track's class is {words}, stored in the model file (`mcclstm.summary` = `{rule}`, \
         `mcclstm set-summary`), where the genre and mood models take the mean of the outputs \
         over the track's chunks. A tune is short (30 s, eight chunks), and the last estimate \
         has heard all of it, where the mean also counts the first chunks, before the model has \
         heard enough. Chosen on O'Neill's tunes that the test (tunes 0-{test_last} of each \
         dance in the maker's order) does not use, through MuseScore's General as the test, by \
         a rule written before they were measured (2026-12-07): the last estimate if it is \
         right on at least 2 more tunes than the mean. The rule was first applied with the \
         tunes that share a title with Ryan's still in the sets (the last estimate right on 90 \
         of 120, the mean on 88); without them, the choice set has the last estimate right on \
         {choice_last} and the mean on {choice_mean}{still}. The next tunes were measured once \
         after the choice, decided beforehand not to change it. Over both sets the mean is \
         right on {mean} tunes and the last estimate on {last} of {tunes}{verdict}. Over all \
         three sets ({all_tunes} tunes), {words} is right on {all_rule:.1}% of them (the other \
         summary on {all_other:.1}%): the figure to read beside the test's, since sets of this \
         size differ by several points. The tunes are of the test's collection, so the test is of a collection the model never trained \
         on, but not one no choice was made on.\n\n\
         | O'Neill's tunes | summary | tunes | accuracy | right per dance |\n\
         |---|---|---|---|---|\n{rows}",
        words = summary_words(Some(rule)),
        test_last = OTHER_COLLECTION_TUNES - 1,
        choice_mean = choice[0],
        choice_last = choice[1],
        still = if (rule == "last") == (choice[1] >= choice[0] + 2) {
            ", and the rule makes the same choice"
        } else {
            ", and the rule would now choose the other summary"
        },
        mean = totals[0],
        last = totals[1],
        all_rule = 100.0 * all[usize::from(rule == "last")] as f64 / all_tunes.max(1) as f64,
        all_other = 100.0 * all[usize::from(rule != "last")] as f64 / all_tunes.max(1) as f64,
        // Within the rule's margin of 2 tunes, the sets cannot tell the two apart.
        verdict = if totals[0].abs_diff(totals[1]) < 2 {
            ": the two summaries are not told apart on this model, and on the test (the first \
             rows, not used to choose) the difference between them is of the size chance decides"
        } else {
            ""
        },
    ))
}

/// The card section of the real-music figures: the new and the previous model, and the teacher,
/// on the held-out packages.
fn real_music_section(
    mcclstm: &Path,
    model: &Path,
    previous: &Path,
    real: &Path,
    name: &str,
) -> anyhow::Result<String> {
    // Kept beside it when it was kept; a model kept before that was the synthetic-only one.
    let previous_data = std::fs::read_to_string(previous.with_extension("data"))
        .unwrap_or_else(|_| format!("synthetic {name} set only"));
    let mut out = format!(
        "Measured on the real-music corpus's held-out packages, which no model trained on: {}. \
         Each track is analysed whole, as `mcclstm analyze` does it (the mean of the \
         model's outputs over its chunks). \"Previous\" is the model this one replaced (it learned from: \
         {}).\n\n\
         | truth | tracks | this model | previous model | teacher's mapped top class |\n\
         |---|---|---|---|---|\n",
        HELD_OUT_PACKAGES.map(|p| format!("`{p}`")).join(", "),
        previous_data.trim()
    );
    let previous = replaced_model(model, previous);
    let tables = truth_tables(mcclstm, model, previous, real)?;
    out.push_str(&tables.rows);
    let mut pictures = Vec::new();
    for (file, truth, new) in &tables.evaluated {
        pictures.push(draw_confusion(mcclstm, model, real, file, truth, new)?);
    }
    out.push_str(&tables.per_class);
    out.push_str(&confusion_paragraph(&pictures));
    out.push_str(&running_section(mcclstm, model, previous, real)?);
    out.push_str(&format!(
        "\nThe tables: `python3 scripts/corpus_mapping.py --targets {name} --hold-out ...` \
         (`target/models/{name}/real/`); the mapping from the teacher's tags to these labels, and \
         what it cannot say, is `docs/teacher-mapping.md`.\n"
    ));
    Ok(out)
}

/// `previous` when it is a file other than `model` (a rebuild that kept the model has none).
fn replaced_model<'a>(model: &Path, previous: &'a Path) -> Option<&'a Path> {
    let other = previous.is_file() && std::fs::read(previous).ok() != std::fs::read(model).ok();
    other.then_some(previous)
}

/// The rows of a real-music table (one per truth table in `dir` that exists: [`REAL_TRUTHS`]),
/// this model's right answers per class, and each of its evaluations.
struct TruthTables {
    rows: String,
    per_class: String,
    /// (table file, its truth, this model's evaluation on it).
    evaluated: Vec<(&'static str, &'static str, Evaluated)>,
}

/// `model`, `previous` and the teacher on the truth tables in `dir`.
fn truth_tables(
    mcclstm: &Path,
    model: &Path,
    previous: Option<&Path>,
    dir: &Path,
) -> anyhow::Result<TruthTables> {
    let mut rows = String::new();
    let mut per_class = String::new();
    let mut evaluated = Vec::new();
    for (file, truth) in REAL_TRUTHS {
        let csv = dir.join(file);
        if !csv.is_file() {
            continue;
        }
        let classes = table_classes(&csv)?;
        if classes.len() < 2 {
            let rows = truth_rows(&std::fs::read_to_string(&csv)?);
            per_class.push_str(&format!(
                "\nAgainst {truth}: {} track{} of one class ({}) only, not scored (a share of \
                 right answers needs two classes).\n",
                rows.len(),
                if rows.len() == 1 { "" } else { "s" },
                classes.join(", ")
            ));
            continue;
        }
        let new = evaluate(mcclstm, model, &csv)?;
        let old = match previous {
            Some(previous) => format!(
                "{:.1}%",
                100.0 * evaluate(mcclstm, previous, &csv)?.accuracy
            ),
            None => "—".to_string(),
        };
        let teacher = if file == "test-tags.csv" {
            teacher_agreement(&csv, &dir.join("test-teacher-top.json"))?
        } else {
            "(the truth)".to_string()
        };
        rows.push_str(&format!(
            "| {truth} | {} | {:.1}% | {old} | {teacher} |\n",
            new.tracks,
            100.0 * new.accuracy
        ));
        per_class.push_str(&format!("\nThis model per class, against {truth}: "));
        per_class.push_str(&new.per_class_text());
        per_class.push_str(".\n");
        evaluated.push((file, truth, new));
    }
    Ok(TruthTables {
        rows,
        per_class,
        evaluated,
    })
}

/// The running-estimate table of `model` and `previous` on the first truth table in `dir`.
fn running_section(
    mcclstm: &Path,
    model: &Path,
    previous: Option<&Path>,
    dir: &Path,
) -> anyhow::Result<String> {
    let scored = |p: &Path| p.is_file() && table_classes(p).is_ok_and(|c| c.len() >= 2);
    match REAL_TRUTHS
        .iter()
        .map(|(file, _)| dir.join(file))
        .find(|p| scored(p))
    {
        Some(csv) => running_estimate(mcclstm, model, previous, &csv),
        None => Ok(String::new()),
    }
}

/// The card section of the real-music figures on the selection packages (`corpus/selection/`,
/// their tables in `dir`): the held-out section's tables without the pictures.
fn selection_section(
    root: &Path,
    mcclstm: &Path,
    model: &Path,
    previous: &Path,
    dir: &Path,
    name: &str,
) -> anyhow::Result<String> {
    let packages = crate::corpus::manifest_packages(&root.join("corpus/selection/packages.json"))?;
    let previous = replaced_model(model, previous);
    let tables = truth_tables(mcclstm, model, previous, dir)?;
    Ok(format!(
        "The {count} packages of `corpus/selection/` ({packages}): recorded music that no model \
         trains on, apart from the corpus and from the held-out packages (no package and no \
         file's audio is in two of them). Scored as the held-out packages are, \"previous\" the \
         same model. This set is where runs of a recipe are chosen between (\"Tried and \
         measured\" says what it chose, if anything); the held-out packages are the blind \
         test.\n\n\
         | truth | tracks | this model | previous model | teacher's mapped top class |\n\
         |---|---|---|---|---|\n{rows}{per_class}{running}\n\
         The tables: `python3 scripts/corpus_mapping.py --corpus corpus/selection --lifts-from \
         corpus --targets {name} --hold-out all ...` (`target/models/{name}/selection/`{lifts}); \
         `cargo xtask selection {name}` rewrites this section without retraining.\n",
        lifts = if name == "mood" {
            "; its classes use the training corpus's lift divisors, `docs/teacher-mapping.md`"
        } else {
            ""
        },
        count = packages.len(),
        packages = packages.join(", "),
        rows = tables.rows,
        per_class = tables.per_class,
        running = running_section(mcclstm, model, previous, dir)?,
    ))
}

/// The teacher's targets for `name` on every track of the selection set (`corpus/selection/`,
/// built by `cargo xtask corpus` into `target/corpus/selection`): its test tables, in `out`.
/// Mood's classes are mapped with the training corpus's lift divisors, so that a class there
/// means what the model was taught (`docs/teacher-mapping.md`).
pub(crate) fn map_selection_targets(root: &Path, name: &str, out: &Path) -> anyhow::Result<()> {
    let python = crate::python().context("the corpus mapping needs python3")?;
    run(
        &format!("{name}: the teacher's targets on the selection set"),
        Command::new(python)
            .arg(root.join("scripts/corpus_mapping.py"))
            .arg("--corpus")
            .arg(root.join("corpus/selection"))
            .arg("--lifts-from")
            .arg(root.join("corpus"))
            .args(["--targets", name, "--audio"])
            .arg(target_dir(root).join("corpus/selection"))
            .args(["--hold-out", "all", "--out"])
            .arg(out),
    )
}

/// The held-out tables of a real-music section and the truth each holds.
const REAL_TRUTHS: [(&str, &str); 2] = [
    ("test-tags.csv", "the file's own GENRE tag"),
    ("test-teacher.csv", "the teacher's class of the whole track"),
];

/// Where the confusion picture of `model` against the held-out table `file` goes: beside the
/// model, `NAME.real-tags.png` or `NAME.real-teacher.png`.
fn confusion_png(model: &Path, file: &str) -> PathBuf {
    let which = file
        .trim_start_matches("test-")
        .trim_end_matches(".csv")
        .to_string();
    let stem = model
        .file_stem()
        .map_or_else(|| "model".to_string(), |s| s.to_string_lossy().into_owned());
    model.with_file_name(format!("{stem}.real-{which}.png"))
}

/// Draws the confusion matrix of `evaluated` (of `model` on the held-out table `file`) beside the
/// model with `mcclstm-train confusion`; returns the picture's file name and its truth.
fn draw_confusion(
    mcclstm: &Path,
    model: &Path,
    real: &Path,
    file: &str,
    truth: &str,
    evaluated: &Evaluated,
) -> anyhow::Result<(String, String)> {
    let report = real.join(file).with_extension("evaluate.json");
    std::fs::write(&report, &evaluated.report)
        .with_context(|| format!("cannot write {}", report.display()))?;
    let png = confusion_png(model, file);
    let name = model.file_name().map_or_else(
        || model.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    run(
        &format!("draw {}", png.display()),
        Command::new(mcclstm.with_file_name("mcclstm-train"))
            .arg("confusion")
            .arg("--report")
            .arg(&report)
            .arg("--out")
            .arg(&png)
            .arg("--title")
            .arg(format!(
                "{name}, held-out packages, {} tracks: truth = {truth}",
                evaluated.tracks
            )),
    )?;
    let file_name = png
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .context("a picture without a file name")?;
    Ok((file_name, truth.to_string()))
}

/// The card's paragraph that shows the confusion pictures (file names beside the card).
fn confusion_paragraph(pictures: &[(String, String)]) -> String {
    if pictures.is_empty() {
        return String::new();
    }
    let mut out = format!(
        "\n{CONFUSION_LEAD} (rows: the truth, only classes with tracks; columns: this model's \
         answer on the whole track; a row's shade is its share):\n"
    );
    for (file, truth) in pictures {
        out.push_str(&format!("\n![Against {truth}]({file})\n"));
    }
    out
}

/// The first words of the confusion paragraph, by which `cargo xtask confusion` replaces it.
const CONFUSION_LEAD: &str = "Confusion matrices of this model on the held-out tracks";

/// `cargo xtask confusion [genre] [mood]`: draws the confusion pictures of the shipped models
/// taught on the corpus on its held-out packages and puts them in their cards' real-music
/// section, without retraining. `cargo xtask models` draws them after each training.
pub fn confusion_shipped(args: &[String]) -> anyhow::Result<()> {
    for_each_shipped_real(args, |mcclstm, _name, model, real| {
        let mut pictures = Vec::new();
        for (file, truth) in REAL_TRUTHS {
            let csv = real.join(file);
            if csv.is_file() {
                let evaluated = evaluate(mcclstm, model, &csv)?;
                pictures.push(draw_confusion(
                    mcclstm, model, real, file, truth, &evaluated,
                )?);
            }
        }
        let body = card_section(model, REAL_HEADING)?;
        // The paragraph goes before the closing one that names the tables, replacing an older one.
        let body = match body.find(&format!("\n{CONFUSION_LEAD}")) {
            Some(start) => {
                let end = body[start..]
                    .find("\nThe running estimate")
                    .or_else(|| body[start..].find("\nThe tables:"))
                    .map_or(body.len(), |e| start + e);
                format!("{}{}", &body[..start], &body[end..])
            }
            None => body,
        };
        let at = body
            .find("\nThe running estimate")
            .or_else(|| body.find("\nThe tables:"))
            .unwrap_or(body.len());
        let body = format!(
            "{}{}{}",
            &body[..at],
            confusion_paragraph(&pictures),
            &body[at..]
        );
        let section = serde_json::json!({ "heading": REAL_HEADING, "body": body });
        set_card_sections(
            &mcclstm.with_file_name("mcclstm-train"),
            model,
            &[section],
            &FIRST_HEADINGS,
        )
    })
}

/// `cargo xtask selection [genre] [mood]`: the shipped models taught on the corpus on the
/// selection packages (`corpus/selection/`), written into their cards' selection section without
/// retraining. `cargo xtask models` writes it after each training.
pub fn selection_shipped(args: &[String]) -> anyhow::Result<()> {
    let root = workspace_root()?;
    for_each_shipped_real(args, |mcclstm, name, model, real| {
        let data = real
            .parent()
            .context("a held-out folder without a parent")?;
        let dir = data.join("selection");
        map_selection_targets(&root, name, &dir)?;
        let body = selection_section(
            &root,
            mcclstm,
            model,
            &data.join("previous.onnx"),
            &dir,
            name,
        )?;
        let section = serde_json::json!({ "heading": SELECTION_HEADING, "body": body });
        set_card_sections(
            &mcclstm.with_file_name("mcclstm-train"),
            model,
            &[section],
            &FIRST_HEADINGS,
        )
    })
}

/// Runs `each(mcclstm, name, model, real)` for the shipped models taught on the corpus that
/// `args` name (all when none), with the corpus built, the tools built and each model's held-out
/// tables (`real`) in place: the frame of `cargo xtask calibrate` and `cargo xtask confusion`.
fn for_each_shipped_real(
    args: &[String],
    mut each: impl FnMut(&Path, &str, &Path, &Path) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let root = workspace_root()?;
    std::env::set_current_dir(&root)?;
    let chosen = shipped_real_kinds(args)?;
    crate::corpus::corpus(&[])?;
    let work = work_dir(&root);
    let mcclstm = build_tools(&root)?;
    for kind in chosen {
        let name = kind.name;
        let model = Path::new("models").join(format!("{name}.onnx"));
        let real = work.join(name).join("real");
        if !real.join("test-teacher.csv").is_file() {
            map_targets(&root, name, &real, None)?;
        }
        each(&mcclstm, name, &model, &real)?;
    }
    Ok(())
}

/// The whole body of section `heading` of the model's card data (`NAME.card.json`).
fn card_section(model: &Path, heading: &str) -> anyhow::Result<String> {
    let file = model.with_extension("card.json");
    let card: serde_json::Value = serde_json::from_slice(
        &std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?,
    )
    .with_context(|| format!("{}: not JSON", file.display()))?;
    card["sections"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|s| s["heading"] == heading)
        .and_then(|s| s["body"].as_str())
        .map(str::to_string)
        .with_context(|| format!("{}: no section {heading:?}", file.display()))
}

/// Chunks after which the running estimate is scored.
const RUNNING_AFTER: [usize; 4] = [1, 8, 32, 64];

/// How often the running estimate is right after 1, 8, 32 and 64 chunks of the tracks of `csv`
/// (`path,label`), for this model and the previous one, from `mcclstm analyze --json` (the
/// plugin's view: the estimate as the track plays).
fn running_estimate(
    mcclstm: &Path,
    model: &Path,
    previous: Option<&Path>,
    csv: &Path,
) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(csv)?;
    let truth: std::collections::BTreeMap<String, String> = truth_rows(&text).into_iter().collect();
    let mut models = vec![model];
    models.extend(previous);
    let mut command = Command::new(mcclstm);
    command.args(["analyze", "--json"]);
    for m in &models {
        command.arg("--model").arg(m);
    }
    let output = command
        .args(truth.keys())
        .output()
        .context("cannot run mcclstm analyze")?;
    anyhow::ensure!(
        output.status.success(),
        "mcclstm analyze failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let files: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout)?;
    // right[model][k], tracks[k]
    let mut right = vec![[0usize; RUNNING_AFTER.len()]; models.len()];
    let mut tracks = [0usize; RUNNING_AFTER.len()];
    for file in &files {
        let Some(want) = file["file"].as_str().and_then(|f| truth.get(f)) else {
            continue;
        };
        for (m, result) in file["models"].as_array().into_iter().flatten().enumerate() {
            let labels: Vec<&str> = result["labels"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|l| l.as_str())
                .collect();
            let chunks = result["chunks"].as_array().cloned().unwrap_or_default();
            for (i, &k) in RUNNING_AFTER.iter().enumerate() {
                let Some(chunk) = chunks.get(k - 1) else {
                    continue;
                };
                if m == 0 {
                    tracks[i] += 1;
                }
                let estimate: Vec<f64> = chunk["track"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|p| p.as_f64())
                    .collect();
                let top = estimate
                    .iter()
                    .enumerate()
                    .fold(
                        (0, f64::NEG_INFINITY),
                        |b, (j, &p)| if p > b.1 { (j, p) } else { b },
                    )
                    .0;
                if labels.get(top) == Some(&want.as_str()) && m < right.len() {
                    right[m][i] += 1;
                }
            }
        }
    }
    let name = csv.file_name().map(|n| n.to_string_lossy().into_owned());
    let mut out = format!(
        "\nThe running estimate as the track plays (the plugin's view), against the truth of \
         `{}`: the share of tracks at least that long whose estimate after that many chunks \
         (3.7 s each) is right.\n\n| after | tracks | this model | previous model |\n\
         |---|---|---|---|\n",
        name.unwrap_or_default()
    );
    for (i, k) in RUNNING_AFTER.iter().enumerate() {
        let cell = |m: usize| {
            right.get(m).map_or("—".to_string(), |r| {
                format!("{:.1}%", 100.0 * r[i] as f64 / tracks[i].max(1) as f64)
            })
        };
        out.push_str(&format!(
            "| {k} chunk{} | {} | {} | {} |\n",
            if *k == 1 { "" } else { "s" },
            tracks[i],
            cell(0),
            cell(1)
        ));
    }
    Ok(out)
}

/// The rows of a `path,label` table (`scripts/corpus_mapping.py`'s test tables): a path that
/// holds a comma or a quote is quoted, with `""` for a quote inside; a label never is.
fn truth_rows(text: &str) -> Vec<(String, String)> {
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let (path, label) = line.rsplit_once(',')?;
            let path = match path.strip_prefix('"').and_then(|p| p.strip_suffix('"')) {
                Some(quoted) => quoted.replace("\"\"", "\""),
                None => path.to_string(),
            };
            Some((path, label.trim_end().to_string()))
        })
        .collect()
}

/// The distinct labels of a `path,label` table, in order.
fn table_classes(csv: &Path) -> anyhow::Result<Vec<String>> {
    let text =
        std::fs::read_to_string(csv).with_context(|| format!("cannot read {}", csv.display()))?;
    let mut classes: Vec<String> = truth_rows(&text).into_iter().map(|(_, l)| l).collect();
    classes.sort();
    classes.dedup();
    Ok(classes)
}

/// `field` as one CSV field: quoted, with `""` for a quote, when it holds a comma, a quote or a
/// line break.
fn csv_field(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}

/// The teacher's share of tracks whose mapped top class (of the whole track's tags) is the
/// file's GENRE tag, as a table cell.
fn teacher_agreement(tags_csv: &Path, teacher_json: &Path) -> anyhow::Result<String> {
    let answers: std::collections::BTreeMap<String, String> = serde_json::from_slice(
        &std::fs::read(teacher_json)
            .with_context(|| format!("cannot read {}", teacher_json.display()))?,
    )?;
    let text = std::fs::read_to_string(tags_csv)?;
    let (mut n, mut ok) = (0, 0);
    for (path, label) in truth_rows(&text) {
        n += 1;
        ok += usize::from(answers.get(&path).is_some_and(|a| *a == label));
    }
    Ok(format!(
        "{:.1}% ({ok}/{n})",
        100.0 * ok as f64 / n.max(1) as f64
    ))
}

/// Writes the training table of a model taught on real music: the soft-target CSV of the corpus
/// (`real`, from `corpus_mapping.py`) with the synthetic set's tracks added as one-hot targets on
/// every chunk (`*`), their paths made absolute.
fn write_taught(synthetic: &Path, real: &Path, out: &Path) -> anyhow::Result<()> {
    let real_text =
        std::fs::read_to_string(real).with_context(|| format!("cannot read {}", real.display()))?;
    let (header, rows) = real_text
        .split_once('\n')
        .with_context(|| format!("{}: empty", real.display()))?;
    let header = header.trim_end();
    let labels: Vec<&str> = header.split(',').skip(3).collect();
    let base = synthetic
        .parent()
        .context("the synthetic table has no folder")?;
    let base = std::path::absolute(base)?;
    let mut text = format!("{header}\n");
    let synthetic_text = std::fs::read_to_string(synthetic)
        .with_context(|| format!("cannot read {}", synthetic.display()))?;
    for line in synthetic_text.lines().skip(1) {
        let cells: Vec<&str> = line.split(',').collect();
        let [path, label, rest @ ..] = cells.as_slice() else {
            bail!("{}: a short row `{line}`", synthetic.display());
        };
        anyhow::ensure!(
            labels.contains(label),
            "{}: label {label} is not one of the corpus table's",
            synthetic.display()
        );
        let group = rest.first().copied().unwrap_or_default();
        text.push_str(&format!("{},{group},*", base.join(path).display()));
        for l in &labels {
            text.push_str(if l == label { ",1" } else { ",0" });
        }
        text.push('\n');
    }
    text.push_str(rows);
    std::fs::write(out, text).with_context(|| format!("cannot write {}", out.display()))
}

const CV_HEADING: &str = "Cross-validation: all seven architectures";
pub(crate) const TRIED_HEADING: &str = "Tried and measured";

/// The genre card's [`TRIED_HEADING`] section: renders through the production chain, trained
/// and measured on the held-out packages against the shipped model, and not kept.
const GENRE_TRIED: &str = "**Renders through a production chain** (`mcclstm dataset make \
     --produce`, not shipped). Every synthetic song of the training set went through the seeded \
     chain of `synth/src/produce.rs`, drawn per song: EQ (two shelves and a bell, up to 6-8 dB), \
     a compressor (on 70% of the songs, 1.5-8:1), tanh saturation (50%, up to 18 dB of drive), \
     a room reverb (70%), a pink noise floor (60%, 45-80 dB down) and an Ogg Vorbis round trip \
     at quality -2 to 4 (60%). The real corpus, its targets and every training option were the \
     shipped model's, and the trainer is deterministic, so the renders are the only difference. \
     Both models measured on the held-out packages as in the first section (`cargo xtask models \
     genre --no-cv` with `make_flags: [\"--produce\"]`; chunks: the running estimate after \
     every chunk of the 53 calibration tracks, 3301 chunks):\n\n\
     | renders | GENRE tag (41 tracks) | teacher's class (35) | chunks right | NLL | after 1 / 8 \
     / 32 / 64 chunks | validation (best epoch) |\n\
     |---|---|---|---|---|---|---|\n\
     | **dry** (shipped) | 90.2% | 77.1% | 78.4% | 0.677 | 46.3 / 73.2 / 80.0 / 91.7% | \
     78.3% (16) |\n\
     | produced | 87.8% | 80.0% | 75.0% | 0.790 | 48.8 / 70.7 / 77.1 / 75.0% | 71.0% (19) \
     |\n\n\
     The produced model got all four death-metal songs (the shipped one 2 of 4) and one more of \
     the teacher's rock tracks (2 of 7), but called 3 of the 34 orchestral scores rock (the \
     shipped one none), and over every chunk it is right less often and less well calibrated. \
     What the chain adds to the synthetic rock and metal (rooms, compression, a darker or \
     brighter tone) also brings them closer to this corpus's recorded orchestral music. Not \
     kept: it does not help on real music as a whole. (Its validation songs were produced too, \
     so the validation figures do not compare; on produced held-out songs at x0.94 / x1.00 / \
     x1.06 it got 71.0 / 72.0 / 75.0%.)";

/// The mood card's [`TRIED_HEADING`] section: the renders taught by the teacher, with three ways
/// of choosing the epoch, trained on 2026-12-05 (the first two by hand with the shipped command's
/// data and options, the third through `cargo xtask models mood`); and running targets, trained
/// on 2026-12-06 through `cargo xtask models mood` with `--running-targets` added.
const MOOD_TRIED: &str = "Until 2026-12-07 the shipped model was the seed-0 run of the recipe \
     below: in the paragraphs before the last, \"shipped\" means that run, and the last says how a \
     seed-1 run of the same recipe replaced it.\n\n\
     **The renders taught by the teacher** (shipped). The model before \
     this one learned the 200 synthetic renders with their labels on every chunk, but the \
     teacher hears them otherwise (it agrees with 71 of the 200 labels and hears none of the \
     \"anger\" renders as anger: `docs/teacher-mapping.md`), so the renders contradicted the \
     corpus's targets. Now their chunks are taught like the corpus's (fear, which the teacher has \
     no tag for, keeps its label). With the renders taught, the validation accuracy (whole \
     tracks, 60 of them, most with a teacher's target) is flat and noisy after the second epoch, \
     and the epoch kept decided more than the data did. Three ways of keeping one, all on the \
     same data and otherwise the same options, measured on the held-out packages as in the first \
     section (chunks: the running estimate after every chunk of the 73 tracks, 4250 chunks; NLL \
     of the raw outputs; synthetic x1.00: the 50 held-out renders against the arranger's \
     labels):\n\n\
     | renders | epoch kept | whole track (73) | chunks right | NLL | after 1 / 8 / 32 / 64 \
     chunks | synthetic x1.00 |\n\
     |---|---|---|---|---|---|---|\n\
     | labelled (the previous model) | best validation accuracy, patience 6: 24 of 30 (70.5%) | \
     52.1% | 59.3% | 0.973 | 46.6 / 53.4 / 62.3 / 58.3% | 88.0% |\n\
     | taught | best validation accuracy, patience 6: 2 of 8 (60.0%) | 54.8% | 59.5% | 1.011 | \
     47.9 / 58.9 / 62.3 / 37.5% | 36.0% |\n\
     | taught | best validation loss (`--select loss`), patience 6: 8 of 14 (loss 1.078) | \
     54.8% | 59.4% | 0.969 | 50.7 / 54.8 / 63.9 / 41.7% | 56.0% |\n\
     | **taught** (shipped) | best validation accuracy of all 30 epochs: 25 (60.0%, tied \
     with epoch 2 and a lower loss) | 53.4% | 65.0% | 0.829 | 46.6 / 61.6 / 68.9 / 45.8% | \
     48.0% |\n\n\
     Against the previous model the shipped run is right on more chunks (65.0% against 59.3%) \
     with a lower loss, equal after one chunk, better after 8 and 32, worse after 64 (24 tracks \
     of four minutes or more: 11 right against 14), and one track better on whole tracks. \
     Honesty about the choice: the held-out packages' figures were seen for all three taught \
     runs before one was kept, so they chose among three candidates as well as measured them; the rule kept (every epoch, the best validation accuracy) is the \
     trainer's default rule without early stopping. The synthetic held-out figure fell because \
     its truth is the arranger's labels, which the model no longer learns as such: on those \
     renders it agrees with the labels on 48% (the teacher agreed with 35.5% of the training \
     renders' labels; the held-out renders were not tagged).\n\n\
     **Running targets** (`mcclstm train --running-targets`, not kept). The cards score the \
     running estimate against the teacher's class of the whole track, but the model learns each \
     chunk's own target, and the teacher's mood moves from chunk to chunk, so the last estimate \
     says what the last chunk sounded like. Trained instead against the mean of the targets so \
     far (each training sequence of at most 32 chunks from its start; validation tracks whole), \
     with the shipped model's data, options and epoch rule otherwise (2026-12-06, `cargo xtask \
     models mood --folds 2 --cv-epochs 12 --no-cv` with the flag added; validation accuracy \
     76.7% at epoch 24 of 30, the shipped run 60.0%). Measured on the held-out packages as \
     above, shipped -> running targets: whole track 53.4% -> 64.4% (anger 3 -> 10 of 11, \
     happiness 5 -> 7 of 8, sadness 10 -> 19 of 32, tenderness 21 -> 11 of 22); chunks right \
     65.0% -> 63.0%; NLL of the raw outputs 0.829 -> 0.882; after 1 / 8 / 32 / 64 chunks \
     46.6 / 61.6 / 68.9 / 45.8% -> 50.7 / 60.3 / 59.0 / 37.5%; each calibrated by its own \
     cross-fitted temperature, ECE 0.044 -> 0.034 and unsure on 17.1% -> 18.0% of the chunks; \
     synthetic x1.00 48.0% -> 52.0%. Its last estimates lean less to tenderness, but it calls 10 \
     of the 32 sad tracks angry where the shipped model called 2, and the estimate a producer \
     watches (every chunk, after 32 and 64) is worse with a higher loss. The rule, set before \
     the figures were seen, was to keep it only if the whole-track and the every-chunk figures \
     both rose and the loss did not: not kept. (`target/models/mood/tried-running/` holds the \
     model and its card where this run was made.)\n\n\
     **Coloured training tracks** (`mcclstm train --colour`, not kept). Each epoch every \
     training sequence's mel bands moved by its own random level, tilt and bell, each within \
     ±6 dB, so that the model could not lean on one package's mix or master. The shipped model's \
     data, options and epoch rule otherwise (2026-12-06, `cargo xtask models mood --folds 2 \
     --cv-epochs 12 --no-cv` with the flag added, 37.9 min; validation accuracy 60.0% at epoch 8 \
     of 30). Measured on the held-out packages as above, shipped -> coloured: whole track 53.4% \
     -> 53.4% (anger 3 -> 4 of 11, happiness 5 -> 5 of 8, sadness 10 -> 9 of 32, tenderness 21 \
     -> 21 of 22); chunks right 65.0% -> 55.8%; NLL of the raw outputs 0.829 -> 1.024; after 1 / \
     8 / 32 / 64 chunks 46.6 / 61.6 / 68.9 / 45.8% -> 42.5 / 47.9 / 55.7 / 41.7%; raw ECE 0.059 \
     -> 0.060, and a temperature fitted on other packages did not help it (`cargo xtask \
     calibrate mood`); synthetic x1.00 48.0% -> 60.0%. The running targets' rule, set before \
     the figures were seen: not kept. A reading, not tested: the teacher's anger includes MTT \
     `loud` and its tenderness MTT `soft` (`docs/teacher-mapping.md`), so a track's level is part \
     of what it teaches, and a random level takes that cue away. \
     (`target/models/mood/tried-colour/` holds the model, its card and the logs.)\n\n\
     **Training sequences of 64 chunks** (`--max-chunks 64` instead of 32, about four minutes; \
     not kept). The running estimate was right after 32 chunks on 68.9% of the held-out tracks \
     that long but after 64 on 45.8% of 24: the state might drift past the longest sequence it \
     trained on. The shipped model's data and options otherwise (2026-12-06, the card's \
     `mcclstm train` command with the one flag changed, 67 min; validation accuracy 63.3% at \
     epoch 17 of 30). The first choice made on the selection packages (`corpus/selection/`, \
     the section above), by a rule written before the run: keep it if the whole-track figure \
     there rose by at least 2 of 99 tracks and the running estimate's accuracy over every \
     chunk fell by at most 1 point. Selection packages, shipped -> 64 chunks: whole track 59.6% \
     -> 60.6% (anger 3 -> 2 of 19, happiness 21 -> 25 of 35, sadness 15 -> 13 of 20, \
     tenderness 20 -> 20 of 25); chunks right 67.5% -> 67.8% (3555 chunks); NLL of the raw \
     outputs 0.850 -> 0.849; after 1 / 8 / 32 / 64 chunks 62.6 / 69.7 / 64.0 / 60.0% -> 57.6 / \
     69.7 / 68.0 / 70.0% (10 tracks reach 64): one track, not kept. The held-out packages, read \
     after the decision, agree: whole track 53.4% -> 50.7% (sadness 10 -> 7 of 32, tenderness \
     21 -> 22 of 22, the others unchanged); chunks right 65.0% -> 59.6%; NLL 0.829 -> 0.946; \
     after 1 / 8 / 32 / 64 chunks 46.6 / 61.6 / 68.9 / 45.8% -> 38.4 / 54.8 / 65.6 / 45.8%. \
     Right after 64 chunks on the same 11 of 24 long tracks: the long tracks' low figure is not \
     the training sequences' length. (`target/models/mood/tried-long/` holds the rule, the \
     model, its card and the log.)\n\n\
     **Another seed** (`--seed 1`, shipped since 2026-12-07). With the validation figure this noisy, which run \
     of the recipe ships may matter as much as the recipe, as it did for the style model. The \
     first run: the shipped model's command with `--seed 1` (2026-12-07, 36 min; validation accuracy 78.3% at \
     epoch 23 of 30, on the split this seed draws, so not comparable with the shipped run's). \
     The same rule as above, written before the run. Selection packages, shipped -> seed 1: \
     whole track 59.6% -> 60.6% (anger 3 -> 1 of 19, happiness 21 -> 25 of 35, sadness 15 -> 17 \
     of 20, tenderness 20 -> 17 of 25); chunks right 67.5% -> 70.6%; NLL 0.850 -> 0.835; after \
     1 / 8 / 32 / 64 chunks 62.6 / 69.7 / 64.0 / 60.0% -> 59.6 / 70.7 / 74.0 / 80.0%: better on \
     every chunk but one track on whole tracks, so not kept by the rule. The held-out packages, \
     read after the decision, are mixed: whole track 53.4% -> 57.5% (sadness 10 -> 16 of 32, \
     tenderness 21 -> 18 of 22, the others unchanged); chunks right 65.0% -> 63.9%; NLL 0.829 \
     -> 0.884; after 1 / 8 / 32 / 64 chunks 46.6 / 61.6 / 68.9 / 45.8% -> 41.1 / 63.0 / 67.2 / \
     45.8%. The two runs of one recipe differ by one whole track on the selection packages and \
     by three on the held-out ones, which is about what a candidate has to beat.\n\n\
     **Judged again, and shipped.** Two things the rule's figures rested on then changed: the \
     selection set's mood truth had used that set's own lift divisors, which made 19 of its 99 \
     tracks anger (with the training corpus's divisors, 4 of 103: `docs/teacher-mapping.md`), and \
     a track's class became the mean of its chunks. The same command ran again on another \
     machine (training is not bit for bit reproducible across machines: best epoch 24 of 30, \
     validation accuracy 75.0%), under the same rule, written down again before the run. \
     Selection packages, seed 0 -> seed 1: whole track 84.5% -> 90.3% of 103 (anger 1 -> 4 of 4, \
     happiness 39 -> 43 of 44, sadness 28 -> 25 of 33, tenderness 19 -> 21 of 22); chunks right \
     77.49% -> 77.49% of 3678; NLL of the raw outputs 0.629 -> 0.640: kept by the rule, and \
     shipped. The held-out packages, read after the decision, are mixed, as for the first run: \
     whole track 75.3% -> 76.7% of 73; chunks right 65.0% -> 63.1%; NLL 0.829 -> 0.856 (the \
     sections above have this model's figures, \"previous\" the seed-0 run). \
     (`target/models/mood/tried-seed1/` holds the second run's rule, model, card and log.)";

/// Opens the [`TRIED_HEADING`] sections of the class models' cards: their runs were scored when a
/// track's class was its last running estimate.
const SUMMARY_BEFORE: &str = "Whole-track figures below (\"whole track\", a track's accuracy \
     on the synthetic or other-collection sets) were measured when a track's class was the model's \
     last running estimate, as `mcclstm analyze` and `evaluate` gave it until 2026-12-07; the \
     sections above use the mean of the outputs over the track's chunks (`docs/DESIGN.md`, \
     section 3), so they are not comparable with these. Figures per chunk and after 1 / 8 / 32 \
     / 64 chunks do not depend on it.";

/// The dance card's [`TRIED_HEADING`] section: the fixes for jig against hornpipe, each trained
/// once by hand (2026-12-03 and -04) with the shipped model's sizes and flags, and scored on the
/// test sets made both ways.
const DANCE_TRIED: &str = "The model's main error was jig against hornpipe. Each model below \
     has the shipped model's sizes and flags (`--filters 32 --dense 200 --lstm 100 --loss \
     every-step --group-split --balance`) and is scored with `mcclstm evaluate` on the four test \
     sets, made twice: with hornpipes as written (the previous card's sets) and dotted (this \
     card's, `--dotted-hornpipes`). Ryan's held-out sets have 8 tunes per dance, so one tune is \
     3.1 points there; O'Neill's have 40.\n\n\
     | model | test hornpipes | Ryan's, FluidR3 | Ryan's, MuseScore | O'Neill's, FluidR3 | \
     O'Neill's, MuseScore | validation (best epoch) |\n\
     |---|---|---|---|---|---|---|\n\
     | **shipped**: hornpipes dotted, 80 epochs, patience 15 | dotted | 96.9% | 87.5% | 81.7% | \
     80.8% | 77.5% (73) |\n\
     | shipped | as written | 96.9% | 84.4% | 80.0% | 74.2% | |\n\
     | previous: hornpipes as written, 60 epochs, patience 10 | as written | 78.1% | 78.1% | \
     74.2% | 64.2% | 72.5% (55) |\n\
     | previous | dotted | 71.9% | 71.9% | 72.5% | 67.5% | |\n\
     | hornpipes as written, 80 epochs, patience 15 | both | the previous model's figures | | | \
     | 72.5% (55), stopped at 70 |\n\
     | one tempo range for jigs and hornpipes (`--shared-meter-tempo`, 60 epochs, patience \
     20) | as written | 78.1% | 71.9% | 59.2% | 57.5% | 68.8% (43) |\n\
     | a finer hop: the `paper-44k` preset (23 ms hop, 1.86 s chunks; 60 epochs, patience 12) \
     | as written | 43.8% | 50.0% | 48.3% | 42.5% | 60.0% (52) |\n\n\
     - **Hornpipes played dotted** (shipped). Players dot a hornpipe's pairs of running notes \
     whatever the notation, but most books write them even (about two thirds of Ryan's and \
     O'Neill's hornpipes) and abc2midi plays them as written, so the maker's hornpipes mostly \
     ran in even notes like a jig's, and tempo and the bar's grouping were left to tell them \
     apart: the previous model called 14 of O'Neill's 40 jigs hornpipes, mostly the slow ones. \
     The maker now plays each pair written even long-short, at a ratio drawn per performance \
     (1.4-2.2:1), with the pairs' phase estimated past a pickup; pairs written broken (`a>b`) \
     keep abc2midi's 2:1. Every set uses it: it is how the music is played, so the test sets \
     measure another collection and another SoundFont played by the same rules. The gain is \
     the dotting, not the longer budget: on renders as written the same 80-epoch budget ends \
     at epoch 70 with the previous model's best epoch (55) and figures (the trainer is \
     deterministic). On O'Neill's hornpipes as written, which it never heard played that way, \
     the shipped model still gets 80.0% through FluidR3 and 74.2% through MuseScore. Its \
     remaining errors on O'Neill's through FluidR3: 10 of 40 jigs called hornpipes, 4 reels \
     called jigs, 3 hornpipes called strathspeys.\n\
     - **One tempo range** (not shipped): with tempo no longer a cue, the model did not learn \
     the meter instead. It called 26 of O'Neill's 40 jigs hornpipes through FluidR3 (8 \
     right). About a third of the hornpipes are written in broken pairs (`a>b`: 101 of Ryan's \
     286, 88 of O'Neill's 213), which abc2midi plays at 2:1, its default (`%%MIDI ratio 2 1`, \
     abcMIDI's guide), exactly a jig's quarter-eighth; the others were played in even notes. \
     At one tempo a swung hornpipe and a jig share their long-short surface, and only the \
     grouping (four pairs to a bar against two groups of three), accents and harmony tell them \
     apart; the model did not learn those from 800 tracks. Training set: `mcclstm dataset make \
     --kind dance --per-class 120 --offset 8 --renders 2 --shared-meter-tempo` (802 tracks).\n\
     - **A finer hop** (not shipped) halves the frame time, but the 44.1 kHz preset also \
     spreads the 40 mel bands up to 22 kHz and halves the chunk. Within the model's budget it \
     learned more slowly (still improving at epoch 60) and is worse on every set. Training \
     set: the previous model's, `--preset paper-44k`.\n\
     - **More tunes** (not shipped, 2026-12-07): 220 of Ryan's tunes per dance instead of 120 \
     (`--per-class 220`: jigs, with 234 in the collection and 8 held out, allow no more; 1,402 \
     tracks), the shipped options otherwise. Judged by a rule written before the run, on \
     O'Neill's sets without the tunes Ryan's shares a title with (\"Another collection, another set-up\" \
     above): its summary chosen on the choice set as the shipped model's was (the last \
     estimate both times: 77 against 75 and 77 against 74 of 112), it had to be right on at \
     least 8 more of the test's and check's 215 tunes than the shipped model (174), no worse \
     on the test, and lose at most 2 of Ryan's 32 held-out tunes. With patience 15 it stopped \
     at epoch 53 (best 38, validation 69.3%): the test 82 of 105 (78.1%), the choice 77 of 112, \
     the check 73 of 110, through FluidR3 82; Ryan's held-out 18 of 32 (56.2%; the shipped \
     model 31). That run had stopped before it told jigs from hornpipes, so all 80 epochs were \
     run under the same rule (`--patience 80`, best epoch 72, validation 73.6%): the test 75 \
     (71.4%), the choice 77, the check 74, through FluidR3 84 (80.0%); Ryan's held-out 22 of \
     32, jigs 2 of 8. Worse on every set than the shipped model, but not than its recipe: \
     the next item. Ryan's jigs hold 22 tunes in 9/8 (slip jigs) and 13 in duple time among \
     the 220 (14 and 7 among the shipped model's 120), so the added tunes bring no new kind of \
     label noise. The runs' rule, logs and models are in \
     `target/models/dance/tried-more-tunes/` on the machine that ran them.\n\
     - **The shipped recipe retrained with `--seed 1`** (another validation split, other \
     initial weights; decided before the run to be a measurement, not a candidate): best epoch \
     77, validation 72.5%; by the last estimate the test 82 of 105 (78.1%), the choice 78 of \
     112, the check 72 of 110, through FluidR3 83 (79.0%); Ryan's held-out 27 of 32 (84.4%). \
     Over the three O'Neill's sets it is right on 232 of 327 tunes (70.9%), where the shipped \
     run is right on 260 (79.5%) and the two more-tunes runs on 232 and 226. So the more-tunes \
     runs are within what a retrain of the shipped recipe gives, and the shipped model is a \
     favourable draw of its recipe: its figures are the run's, and a retrain can lose 8.6 points \
     across O'Neill's and 7.6 on its test. `target/models/dance/retrain-seed1/` holds it on the \
     machine that ran it.\n\
     - **Weight averaging** (not shipped, 2026-12-07): the shipped recipe with `--average-from \
     61`, keeping the mean of the weights at the end of epochs 61-80 instead of the epoch the \
     80-track validation split likes best, whose accuracy swings by up to 15 points between \
     adjacent epochs. Run with seeds 0, 1 and 2 and judged by a rule written before the runs: \
     each run right on at least 246 of the 327 O'Neill's tunes and 256 on average, the runs \
     within 14 tunes of each other, and each right on at least 28 of Ryan's 32 held-out tunes. \
     Each run's summary was chosen on its choice set. Seed 0 (the mean): the test 85 of 105 \
     (81.0%), the choice 80, the check 79, 244 of 327 (74.6%), Ryan's 27. Seed 1 (the last \
     estimate): 84 (80.0%), 86, 81, 251 (76.8%), Ryan's 29. Seed 2 (the mean): 80 (76.2%), \
     71, 70, 221 (67.6%), Ryan's 26. The runs spread over 30 tunes, so averaging did not make \
     them agree. The trainer is deterministic on one machine, so each run followed the same \
     path as the same seed without averaging, and the two ways of keeping a model can be \
     compared on one path. Seed 1's path is the retrain above: averaging gained 19 tunes on \
     its best epoch's 232. Seed 0's path is the shipped run's (\"Every epoch run\" below): its \
     last epoch, 80, which `--average-from 80` keeps exactly, is right on 91 of 105 (86.7%), \
     the choice 90, the check 83, 264 of 327 (80.7%), Ryan's 29 of 32; averaging lost 16 tunes \
     on the shipped epoch's 260 there. Seed 2 without averaging would have stopped at epoch 37, \
     15 epochs after its best so far (epoch 22); run to the end, its best epoch (76) is right \
     on 252 (\"Every epoch run\"), so averaging lost 31 there. The mean of the three averaged \
     runs' outputs is right on 245 of the 327: no better than its best member. So the mean of \
     the last epochs is no better a choice than the best one, and the runs differ in what they \
     learned. (An earlier version of this card took the 264 for another path than the shipped \
     run's; it is epoch 80 of the same path.) The rule, logs and models are in `target/models/dance/swa/` on the machine \
     that ran them.\n\
     - **Jigs in 6/8 only** (not shipped, 2026-12-07): the shipped training set less the 21 jig \
     tunes (42 tracks) whose `M:` is not 6/8, 14 in 9/8 (slip jigs that Ryan's `R:` calls jig), \
     4 in 2/4 and 3 in C|, leaving 760 tracks; O'Neill's 1850 calls no tune outside 6/8 a jig \
     (its 174 jigs and 106 double jigs are all in 6/8; its slip jigs are labelled so). The \
     shipped options otherwise, seeds 0, 1 and 2, judged by a rule written before the runs: each \
     right on at least 246 of the 327 O'Neill's tunes, 256 on average, the runs within 14 tunes \
     of each other. Each run's summary was chosen on its choice set (the mean all three times). \
     Seed 0 (best epoch 68 of 80): the test 88 of 105 (83.8%), the choice 82, the check 79, 249 \
     of 327 (76.1%), through FluidR3 83, Ryan's held-out 28 of 32. Seed 1 (best 58, stopped at \
     73): 88 (83.8%), 84, 77, 249 (76.1%), FluidR3 93, Ryan's 28. Seed 2 stopped at epoch 42 \
     (best 27, validation 65.8%), still in the epochs where the loss barely moves: 63 (60.0%), \
     60, 51, 174 (53.2%), FluidR3 78, Ryan's 22. Not kept: seed 2 fails the rule. The two runs \
     that went on agree (249 each) and lie inside the shipped recipe's runs (232-264); the \
     training set differs from the shipped recipe's, so no run shares a path with one of \
     those.\n\
     - **The epoch chosen on O'Neill's choice tunes** (not shipped, 2026-12-07): `mcclstm train \
     --validation-set target/models/dance/choice-oneills-musescore/tracks.csv` (every one of the \
     802 training tracks trains; the best epoch is the one right on most of the 112 choice \
     tunes, by the last estimate), the shipped options otherwise, the summary fixed beforehand \
     to the last estimate. The choice set being the validation set, the test and the check (215 \
     tunes) judge, by a rule written before the runs: every run right on at least 165 of the 215 \
     and 172 on average, the runs within 10 tunes, and at least 28 of Ryan's 32 each (the \
     shipped model: 174 and 31; the recipe's seed-0 retrain 174 and 29, seed 1 154 and 27). \
     Seed 0 stopped at epoch 65 (best 50, 74 of the 112 choice tunes): the test 81 (77.1%), the \
     check 67, 148 of 215; FluidR3 75; Ryan's 15 of 32, none of its hornpipes. Seed 1 ran all 80 \
     (best 76, 89 of 112): the test 91 (86.7%), the check 81, 172 of 215; FluidR3 93; Ryan's 27. \
     Not kept: seed 0 fails the rule, so seed 2 was not run. The test's collection did not \
     choose better epochs than Ryan's 20 validation tunes (160 against 164 of the 215 on average \
     over two seeds); on seed 0 it stopped the run at epoch 65, before the epochs where the runs \
     that went on got good.\n\
     - **Every epoch run** (a measurement, decided before the run not to be a candidate): the \
     shipped recipe with `--patience 80`, so no run stops before epoch 80 and the best epoch on \
     the validation split is kept. Seed 2's path, which patience 15 stops at epoch 37 (best 22), \
     went on to its best epoch at 76 (validation 80.0%): by the last estimate (chosen on the \
     choice set, 83 against 80) the test 89 of 105 (84.8%), the choice 83, the check 80, 252 of \
     327 (77.1%), through FluidR3 89; Ryan's held-out 24 of 32. Seed 0's path runs to epoch 80 \
     under either patience (best epoch 73, validation 77.5%) and is the shipped run's: retrained \
     here from the training set made again today, its outputs equal the shipped model's to the \
     seventh decimal (`mcclstm analyze --json` over O'Neill's test jigs) and every figure on \
     this card is the same (260 of the 327), so `cargo xtask models dance` rebuilds the shipped \
     model from its pinned inputs. Seed 1's path never stopped early either (best epoch 77 of \
     80): it is the 232 run above. So part of the recipe's spread is patience 15 ending runs \
     during the long plateau: the two runs above that it cut (jigs in 6/8, seed 2, 174 of 327; \
     the choice tunes, seed 0, 148 of 215) are each the worst of their recipe, and the path it \
     cut at 37 reached 252. Run for every epoch, the recipe's three seeds are right on 260, 232 \
     and 252 of the 327: no early stop, and still a spread of 28 tunes. The runs' rules, logs \
     and models are in \
     `target/models/dance/jigs68/`, `valset/` and `patience80/` on the machine that ran them.\n\
     - **Which tunes it gets wrong: woodwinds and the SoundFont** (a diagnosis, 2026-12-07). By \
     each tune's lead instrument (the maker's summary in each set's `manifest.json`) and the \
     model's outcome per track (`mcclstm evaluate --list-wrong`, or `per_track` in its JSON), \
     over the 327 O'Neill's tunes the shipped model is right on 24 of the 42 jigs led by a \
     woodwind (General MIDI 72-75 and 78: clarinet, flute, recorder, pan flute, whistle), against \
     55 of the other 65 jigs, and on 20 of 32 such hornpipes against 62 of 77; reels are right \
     alike (29 of 32, 70 of 79). Among the woodwind jigs it is the clarinet (4 of 11 right), \
     the pan flute (6 of 13) and the flute (1 of 4), not the whistle (8 of 9) or the recorder \
     (5 of 5). The jig gap is shared by the other runs measured here (every \
     epoch run, seed 2; jigs in 6/8, seed 1; the choice tunes, seed 1: 19-27 woodwind jigs of 42 \
     right against 50-56 of 65), the hornpipe gap is not (20-23 of 32 against 49-55 of 77). \
     Part of the jig gap is the sound of the SoundFont's winds, not only the tune: on the test's 9 \
     woodwind jigs the shipped model is right on 4 through MuseScore's General, 5 through \
     FluidR3 (its training SoundFont) and 8 through a third General MIDI bank it never heard, \
     csound's `sf_GMbank.sf2` (Debian's `csound-soundfont`, LGPL-2.1+, installed when used); \
     through that bank it is right on 97 of the test's 105 tunes (92.4%; the set made as the \
     test with `--soundfont /usr/share/sounds/sf2/sf_GMbank.sf2`, the same performances). \
     O'Neill's files in music21's corpus overlap (`1556-1624.abc` and `1577-1624.abc`, two \
     transcriptions of 0732-0758, and others), so 10 titles are in the three sets more than \
     once (the test holds Cronin's Rambles twice, both called jig): without each title's later \
     copies the shipped model is right on 251 of 316 (79.4%, against 79.5% of 327).\n\
     - **A second SoundFont in training** (not shipped, 2026-12-07): the shipped training set \
     with each tune's second take (`take1`) played through csound's `sf_GMbank.sf2` instead of \
     FluidR3 (the same performances: a set made with the training set's flags and `--soundfont \
     /usr/share/sounds/sf2/sf_GMbank.sf2`, its `take1` files in place of FluidR3's), so every \
     tune is heard through two SoundFonts; MuseScore's General stays unheard. The shipped \
     options with every epoch run (`--patience 80`), seeds 0, 1 and 2, judged by a rule written \
     before the runs: each right on at least 246 of the 327, 256 on average, the runs within 14 \
     tunes, Ryan's held-out 27 of 32 on average. The last estimate was chosen on the choice set \
     each time (82 against 81, a tie at 85, 79 against 75). Seed 0 (best epoch 73, validation \
     83.8%): the test 85 of 105, the choice 82, the check 78, 245 of 327, through FluidR3 89, \
     Ryan's 27. Seed 1 (best 62): 90 (85.7%), 85, 78, 253, FluidR3 92, Ryan's 27. Seed 2 (best \
     79): 86, 79, 83, 248, FluidR3 89, Ryan's 27. Not kept: seed 0 is under 246 and the mean \
     (248.7) is the recipe's own (260, 232 and 252 with every epoch run: 248.0). Seed by seed \
     against the recipe's runs: 260 against 245, 232 against 253, 252 against 248. The runs lie closer together (8 tunes \
     against 28; three runs each), and the woodwind jigs did not catch up (30, 28 and 18 of 42). \
     The rule, logs and models are in `target/models/dance/fonts/` on the machine that ran \
     them.\n\
     - **Articulation** (a diagnosis, then a candidate not shipped, 2026-12-07). The maker plays \
     each melody note for 0.92 of its written length. The three O'Neill's sets made again with \
     `dataset make --articulation 0.6` (the same performances, shorter notes) and \
     `--articulation 1.0` (legato), as the \"Articulation\" section above: over the 327 the \
     shipped model is right on 270 and 254 (260 as made); jigs 93 and 74 (79), the woodwind jigs \
     34 and 23 of 42 (24), reels 105 and 97 (99), hornpipes 72 and 83 (82). So it hears a jig's \
     running notes by their onsets, which a legato wind blurs. Found on the way: the timing \
     jitter could run a note into the next note of its key, and MIDI's one voice per key then \
     cut that next note to nothing. Melody notes shorter than a twentieth of a quarter in the \
     test: 50 of 20,969 as made, 575 played legato, 10 at 0.6 (grace notes). An articulated set \
     now ends such a note where the next one starts (legato, the shipped model was right on 251 \
     before that fix), and sets made without `--articulation` keep their notes, so the card's \
     sets are the ones measured. The candidate, by the second SoundFont's rule written before \
     the runs: the shipped training set with each performance's articulation drawn from 0.6-1.0 \
     (`--articulation 0.6:1.0`, drawn on a stream of its own, so every other draw is the \
     shipped set's), every epoch run, seeds 0, 1 and 2, the summary chosen on the choice set \
     (last 86 against mean 80; mean 78 against last 77; last 74 against mean 70). Seed 0 (best \
     epoch 80): the test 83 of 105, the choice 86, the check 79, 248 of 327, through FluidR3 81, \
     Ryan's 30. Seed 1 (best 62): 91 (86.7%), 78, 79, 248, FluidR3 94, Ryan's 27. Seed 2 (best \
     79): 74, 74, 72, 220, FluidR3 86, Ryan's 27. Not kept: seed 2 is under 246 and the mean \
     (238.7) is under the recipe's (248.0). Nor did hearing every articulation make the runs \
     steadier across it: on the 327 played at 0.6 and at 1.0 they get 260 and 247, 270 and 249, \
     228 and 218 (the recipe's seed-0 and seed-2 runs: 270 and 254, 257 and 252), and the \
     woodwind jigs as made did not catch up (23, 22 and 14 of 42). The rule, logs and models \
     are in `target/models/dance/artic/` on the machine that ran them.";
const REAL_HEADING: &str = "Real music (held-out packages)";
/// The dance model's first section: no real dance recordings here, so another collection.
const OTHER_COLLECTION_HEADING: &str = "Another collection, another set-up (never trained on)";
const SUMMARY_HEADING: &str = "Whole-track summary";
const CONFIDENCE_HEADING: &str = "Confidence: calibration and \"unsure\"";
/// The second real-music section of the models taught on the corpus.
const SELECTION_HEADING: &str = "Real music (selection packages)";
/// The sections on top of a card of a model taught on the corpus, in this order.
const FIRST_HEADINGS: [&str; 3] = [REAL_HEADING, SELECTION_HEADING, CONFIDENCE_HEADING];

/// The `--folds` and `--epochs` of the cv that `model`'s card reports (from its command,
/// "`mcclstm cv --folds N --epochs E ...`"), or None when the card has no cv section.
fn cv_budget_of(model: &Path) -> Option<(String, Option<String>)> {
    let card = std::fs::read_to_string(model.with_extension("MODEL_CARD.md")).ok()?;
    let start = card.find(&format!("## {CV_HEADING}\n"))?;
    let command = card[start..].split('`').nth(1)?;
    let mut words = command.split_whitespace();
    let (mut folds, mut epochs) = (None, None);
    while let Some(word) = words.next() {
        match word {
            "--folds" => folds = words.next().map(str::to_string),
            "--epochs" => epochs = words.next().map(str::to_string),
            _ => {}
        }
    }
    Some((folds?, epochs))
}

/// The body of section `heading` in the model's current card (`NAME.MODEL_CARD.md`), without
/// the first paragraph (the sentence that says how it was run, which the card writes again).
fn previous_section(model: &Path, heading: &str) -> Option<String> {
    let card = std::fs::read_to_string(model.with_extension("MODEL_CARD.md")).ok()?;
    let start = card.find(&format!("## {heading}\n"))? + heading.len() + 4;
    let body = &card[start..];
    let end = body.find("\n## ").unwrap_or(body.len());
    let body = body[..end].trim();
    let table = body.split_once("\n\n").map_or(body, |(_, rest)| rest);
    Some(table.trim().to_string() + "\n")
}

/// Adds what `mcclstm train` cannot know to the card it wrote: how the data was made, the cv
/// table, the time-stretch figure, the limits and the one command that rebuilds it all.
fn write_card(
    train: &Path,
    model: &Path,
    kind: &Kind,
    folds: &str,
    figures: &Figures,
    cv_epochs: Option<&str>,
) -> anyhow::Result<()> {
    let Figures {
        cv_table,
        robustness,
        real_music,
        selection,
        summary_choice,
        articulation,
        confidence,
    } = figures;
    let name = kind.name;
    let split = if kind.group_split {
        " --group-split"
    } else {
        ""
    };
    let rebuild_flags = match cv_epochs {
        Some(e) => format!(" --folds {folds} --cv-epochs {e}"),
        None => format!(" --folds {folds}"),
    };
    let budget = cv_epochs
        .map(|e| {
            let p = e.parse::<usize>().map(|e| (e / 4).max(3)).unwrap_or(3);
            format!(" --epochs {e} --patience {p}")
        })
        .unwrap_or_default();
    let renders = if kind.renders > 1 {
        format!(" --renders {}", kind.renders)
    } else {
        String::new()
    };
    let one_take = if kind.renders > 1 {
        format!(
            " made with one take per tune (`--renders 1`: the same tunes, 1/{} of the tracks)",
            kind.renders
        )
    } else {
        String::new()
    };
    let tunes = if kind.group_split {
        " (other tunes)"
    } else {
        ""
    };
    let budget_note = if cv_epochs.is_some() {
        " A shorter budget than the paper's protocol (10 folds, the trainer's default 60 \
         epochs, patience 10), to fit the rebuild into the time this project had; \
         `cargo xtask models NAME` without `--folds`/`--cv-epochs` runs the full one."
    } else {
        ""
    };
    let real_data = if kind.real {
        format!(
            "\n\n**Real music.** The model also learned from the real-music corpus (`corpus/`: \
             recorded game soundtracks from Debian `main` packages, mostly orchestral, electronic \
             and ambient, some metal and rock; licences per file in `corpus/tracks.csv`, mostly \
             GPL-2+/GPL-3+ and CC-BY(-SA)-3.0: the audio is used as training data and is not in \
             this repository or the model), without the held-out packages ({held}). Its targets \
             come from a teacher, musicnn 0.1.0 (Pons & Serra, ISC licence), whose tags of each \
             chunk (`corpus/teacher/`) are mapped onto the {name} labels by \
             `scripts/corpus_mapping.py` (`docs/teacher-mapping.md` says why each mapping is \
             defensible and where the teacher has no signal). musicnn's MTT taggers learned from \
             MagnaTagATune, whose audio is licensed CC BY-NC-SA: this model is shaped by a \
             teacher trained on non-commercial audio. A chunk the teacher cannot place (for \
             genre: electronic, ambient, the unreliable jazz tag, or nothing above 0.10; for \
             mood: no mood lift above 1) carries no loss; {renders} Real tracks are cut into \
             training sequences of at most {MAX_CHUNKS} chunks (about two minutes), so the \
             carried state learns whole minutes, not 30 s clips.",
            held = HELD_OUT_PACKAGES.map(|p| format!("`{p}`")).join(", "),
            renders = if kind.teach_renders {
                "the synthetic renders are taught the same way, from the same teacher's tags of \
                 each render (`corpus/synthetic/`, mapped with the corpus's lifts), because the \
                 teacher hears many of them otherwise than their labels say (most of the \
                 \"anger\" renders as happy or tender, the \"fear\" ones as sad or tender); \
                 the fear renders, which it has no tag for, keep their label on every chunk."
            } else {
                "the synthetic tracks keep their labels on every chunk."
            }
        )
    } else {
        String::new()
    };
    let cannot_know = if kind.real {
        format!(
            "Its real-music teacher has no signal for some {name} labels (genre: disco and \
             reggae; jazz is masked because the teacher's jazz tag fires on orchestral music; \
             mood: fear), and the corpus holds almost no blues, country, hip-hop or pop: for \
             those it knows only the synthetic renders. The corpus is game music: nearly half of \
             it is electronic or ambient, which no GTZAN genre names, so on such music the genre \
             shown is the nearest of ten that do not fit. Mood targets are the teacher's \
             happy/sad/soft/loud tags relative to the corpus's average (lifts), not listeners' \
             ratings. Train on a real data set (`mcclstm train --dataset \
             gtzan|ballroom|soundtracks`) for a model you can rely on."
        )
    } else {
        format!(
            "It never heard a commercial recording, a singer, a real drum kit or a mastered \
             mix: every track it learned from is General MIDI rendered by one SoundFont. It \
             knows the {name} classes only as the data maker describes them. On real music \
             its output is a guess from tempo, rhythm, instrumentation and harmony; train on \
             a real data set (`mcclstm train --dataset gtzan|ballroom|soundtracks`) for a \
             model you can rely on."
        )
    };
    let corpus_step = if kind.real {
        " builds the real-music corpus (`cargo xtask corpus`; the teacher's tags are committed), \
         maps the teacher's tags to targets,"
    } else {
        ""
    };
    let mut sections = vec![
        serde_json::json!({
            "heading": "How the data was made",
            "body": format!(
                "{about}\n\nTraining set: `mcclstm dataset make --kind {name} --per-class {per} \
                 --offset {train_offset}{renders}{flags}` (30 s tracks at 22050 Hz, seed 1). \
                 Held-out sets: `--offset {held_offset} --per-class {held}{flags}`, so they hold \
                 other songs{tunes} than the training set.{real_data}",
                about = kind.about,
                flags = kind
                    .make_flags
                    .iter()
                    .map(|f| format!(" {f}"))
                    .collect::<String>(),
                per = kind.per_class,
                held = kind.held_out,
                train_offset = kind.train_offset,
                held_offset = kind.held_out_offset,
            ),
        }),
        serde_json::json!({
            "heading": CV_HEADING,
            "body": format!(
                "`mcclstm cv --folds {folds}{split}{budget}` on the {synthetic}training \
                 set{one_take}, with \
                 the same sizes as the shipped model (`{flags}`).{budget_note} The paper's \
                 figures (on GTZAN, Ballroom and the soundtrack set) are not comparable: this \
                 data is synthetic.\n\n{cv_table}",
                flags = MODEL_FLAGS.join(" "),
                synthetic = if kind.real { "synthetic " } else { "" },
            ),
        }),
        serde_json::json!({
            "heading": "Time-stretch robustness",
            "body": format!(
                "The shipped model on the held-out synthetic set rendered at three tempos (the \
                 MIDI is played faster or slower at the same pitch: `mcclstm dataset make \
                 --speed`), scored with `mcclstm evaluate` (the engine's path, {summary}):\n\n\
                 {robustness}{taught}",
                summary = summary_words(kind.track_summary),
                taught = if kind.teach_renders {
                    "\nThe truth here is the arranger's label of each render, which this model \
                     does not learn as such: its renders are taught by the teacher, who hears \
                     most of them otherwise (\"Tried and measured\" below). The figure shows \
                     how steady the model is across tempos, not how right."
                } else {
                    ""
                }
            ),
        }),
        serde_json::json!({
            "heading": "What this model cannot know",
            "body": cannot_know,
        }),
        serde_json::json!({
            "heading": "Rebuild",
            "body": format!(
                "```\ncargo xtask models {name}{rebuild_flags}\n```\n\ninstalls abcmidi, \
                 fluid-soundfont-gm and music21's corpus,{corpus_step} remakes the data, trains, \
                 runs the cv and rewrites this card (this card's run; without the flags, the cv \
                 runs the paper's full protocol; `--no-cv` keeps the card's cv table)."
            ),
        }),
    ];
    if let Some(body) = kind.tried {
        let before = match kind.track_summary {
            Some(rule @ "last") => format!(
                "Whole-track figures below were measured by the model's last running estimate: \
                 the summary this model uses (`mcclstm.summary` = `{rule}`, \"{SUMMARY_HEADING}\" \
                 above). They were measured on O'Neill's sets as they were made then: 40 tunes of \
                 each dance, with the tunes that share a title with Ryan's still in (the sections \
                 above leave them out), so they compare with each other and not with the \
                 sections above."
            ),
            _ => SUMMARY_BEFORE.to_string(),
        };
        let body = format!("{before}\n\n{body}");
        sections.push(serde_json::json!({ "heading": TRIED_HEADING, "body": body }));
    }
    let mut first = Vec::new();
    if let Some(body) = real_music.as_deref() {
        let heading = if kind.real {
            REAL_HEADING
        } else {
            OTHER_COLLECTION_HEADING
        };
        sections.push(serde_json::json!({ "heading": heading, "body": body }));
        first.push(heading);
    }
    if let Some(body) = selection.as_deref() {
        sections.push(serde_json::json!({ "heading": SELECTION_HEADING, "body": body }));
        first.push(SELECTION_HEADING);
    }
    if let Some(body) = summary_choice.as_deref() {
        sections.push(serde_json::json!({ "heading": SUMMARY_HEADING, "body": body }));
        first.push(SUMMARY_HEADING);
    }
    if let Some(body) = articulation.as_deref() {
        sections.push(serde_json::json!({ "heading": ARTICULATION_HEADING, "body": body }));
        first.push(ARTICULATION_HEADING);
    }
    if let Some(body) = confidence.as_deref() {
        sections.push(serde_json::json!({ "heading": CONFIDENCE_HEADING, "body": body }));
        first.push(CONFIDENCE_HEADING);
    }
    set_card_sections(train, model, &sections, &first)
}

/// Replaces sections of a model's card (`NAME.card.json`, written by `mcclstm train`) and renders
/// it again with `mcclstm-train card`; `first` are the headings to put on top, in order.
pub(crate) fn set_card_sections(
    train: &Path,
    model: &Path,
    sections: &[serde_json::Value],
    first: &[&str],
) -> anyhow::Result<()> {
    let file = model.with_extension("card-sections.json");
    std::fs::write(&file, serde_json::to_vec_pretty(sections)?)
        .with_context(|| format!("cannot write {}", file.display()))?;
    let result = run(
        "set sections of the model card",
        Command::new(train)
            .args(["card", "--model"])
            .arg(model)
            .arg("--sections")
            .arg(&file)
            .args(first.iter().flat_map(|h| ["--first", h])),
    );
    let _ = std::fs::remove_file(&file);
    result
}

/// The models taught on the corpus that `args` name (all of them when none): `genre`, `mood`.
fn shipped_real_kinds(args: &[String]) -> anyhow::Result<Vec<&'static Kind>> {
    let mut chosen = Vec::new();
    for name in args {
        match KINDS.iter().find(|k| k.name == name && k.real) {
            Some(kind) => chosen.push(kind),
            None => bail!("unknown argument {name:?}: expected genre or mood"),
        }
    }
    if chosen.is_empty() {
        chosen = KINDS.iter().filter(|k| k.real).collect();
    }
    Ok(chosen)
}

/// `cargo xtask calibrate [genre] [mood]`: calibrates the shipped models taught on the corpus on
/// its held-out packages and rewrites their cards' confidence section, without retraining.
/// `cargo xtask models` runs the same step after each training.
pub fn calibrate_shipped(args: &[String]) -> anyhow::Result<()> {
    for_each_shipped_real(args, |mcclstm, name, model, real| {
        let body = calibrate(mcclstm, model, real, name)?;
        let section = serde_json::json!({ "heading": CONFIDENCE_HEADING, "body": body });
        set_card_sections(
            &mcclstm.with_file_name("mcclstm-train"),
            model,
            &[section],
            &FIRST_HEADINGS,
        )
    })
}

/// The teacher's targets for `name` on the corpus without the held-out packages, and the held-out
/// test tables (`scripts/corpus_mapping.py`), in `real`.
pub(crate) fn map_targets(
    root: &Path,
    name: &str,
    real: &Path,
    renders: Option<&Path>,
) -> anyhow::Result<()> {
    let mut command = Command::new(crate::python().context("the corpus mapping needs python3")?);
    command
        .arg(root.join("scripts/corpus_mapping.py"))
        .args(["--corpus", "corpus", "--targets", name, "--audio"])
        .arg(target_dir(root).join("corpus"))
        .arg("--hold-out")
        .arg(HELD_OUT_PACKAGES.join(","))
        .arg("--out")
        .arg(real);
    if let Some(work) = renders {
        command.arg("--renders").arg(work);
    }
    run(
        &format!("{name}: the teacher's targets on the real-music corpus"),
        &mut command,
    )
}

/// Makes the synthetic sets the teacher tagged ([`TAUGHT_SYNTHETIC`]) where they are missing and
/// checks that every render on disk is the one it tagged (`scripts/synthetic_tracks.py --check`):
/// a render that changed would be taught another render's tags.
pub(crate) fn check_renders(root: &Path, work: &Path, mcclstm: &Path) -> anyhow::Result<()> {
    make_taught_synthetic(work, mcclstm)?;
    run(
        "the synthetic renders are the ones the teacher tagged",
        Command::new(crate::python().context("the render check needs python3")?)
            .arg(root.join("scripts/synthetic_tracks.py"))
            .arg("--check")
            .arg("--root")
            .arg(work)
            .arg("--table")
            .arg("corpus/synthetic/tracks.csv"),
    )
}

/// Fits `model`'s calibration on the held-out packages' tracks (`mcclstm calibrate`, folds by
/// package), stores it in the model file, and returns the card section that reports it.
fn calibrate(mcclstm: &Path, model: &Path, real: &Path, name: &str) -> anyhow::Result<String> {
    // Truth per track: the file's own GENRE tag where it has one (genre), else the teacher's
    // class of the whole track; the group is the package, so a package is never in two folds.
    let mut truth: Vec<(String, String)> = Vec::new();
    for file in ["test-tags.csv", "test-teacher.csv"] {
        let Ok(text) = std::fs::read_to_string(real.join(file)) else {
            continue;
        };
        for (path, label) in truth_rows(&text) {
            if !truth.iter().any(|(p, _)| *p == path) {
                truth.push((path, label));
            }
        }
    }
    anyhow::ensure!(
        !truth.is_empty(),
        "{}: no held-out table to calibrate on",
        real.display()
    );
    let mut csv = String::from("path,label,group\n");
    for (path, label) in &truth {
        let package = path
            .split_once("/audio/")
            .and_then(|(_, rest)| rest.split('/').next())
            .with_context(|| format!("{path}: not under the corpus's audio folder"))?;
        csv.push_str(&format!("{},{label},{package}\n", csv_field(path)));
    }
    let table = real.join("calibrate.csv");
    std::fs::write(&table, csv).with_context(|| format!("cannot write {}", table.display()))?;
    let output = Command::new(mcclstm)
        .args(["calibrate", "--json", "--dataset", "generic", "--model"])
        .arg(model)
        .arg("--root")
        .arg(&table)
        .output()
        .context("cannot run mcclstm calibrate")?;
    anyhow::ensure!(
        output.status.success(),
        "mcclstm calibrate failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let c: serde_json::Value = serde_json::from_slice(&output.stdout)?;
    let pct = |v: &serde_json::Value| format!("{:.1}%", 100.0 * v.as_f64().unwrap_or(f64::NAN));
    let num = |v: &serde_json::Value| format!("{:.3}", v.as_f64().unwrap_or(f64::NAN));
    let row = |what: &str, f: &serde_json::Value| {
        format!(
            "| {what} | {} | {} | {} | {} | {} | {} |\n",
            num(&f["nll"]),
            num(&f["ece"]),
            pct(&f["accuracy"]),
            pct(&f["unsure"]),
            pct(&f["accuracy_when_sure"]),
            pct(&f["accuracy_when_unsure"]),
        )
    };
    let temperatures: Vec<String> = c["fold_temperatures"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| format!("{:.2}", t.as_f64().unwrap_or(f64::NAN)))
        .collect();
    let truth_text = if name == "genre" {
        "the file's own GENRE tag where it names one of the labels, else the teacher's class of \
         the whole track"
    } else {
        "the teacher's class of the whole track"
    };
    let fitted = c["fitted_temperature"].as_f64().unwrap_or(f64::NAN);
    let verdict = if c["applied"].as_bool() == Some(true) {
        format!(
            "It lowered the likelihood loss on packages it was not fitted on, so the model file \
             stores **temperature {fitted:.3}** (`mcclstm.confidence`), applied to every output."
        )
    } else {
        format!(
            "Fitted on all of them it is {fitted:.3}, but on packages it was not fitted on it did \
             no better than the raw outputs (the cross-fitted NLL below), so the model file stores \
             **temperature 1** (`mcclstm.confidence`): the network's own probabilities are as well \
             calibrated as these packages can tell."
        )
    };
    Ok(format!(
        "Calibration is measured on the held-out packages ({tracks} tracks, {chunks} chunks; \
         truth: {truth_text}) and fitted there as one temperature, by the likelihood of the true \
         class over the running estimate after every chunk, each track weighing the same. \
         {verdict} A temperature never changes which class leads. Below a top-class probability \
         of **{u:.2}** the model says \"unsure\" and names its two leading classes (`mcclstm \
         analyze`, the plugin): the top class is then more likely wrong than right.\n\n\
         The raw row is the network's outputs as they are (nothing fitted). The calibrated row is \
         cross-fitted: the tracks are split into {folds} folds by package, and each fold is scored \
         with the temperature fitted on the others (fold temperatures {temps}). The expected \
         calibration error (ECE, 10 bins) is 0 for perfect calibration.\n\n\
         | outputs | NLL | ECE | accuracy | unsure | right when sure | right when unsure |\n\
         |---|---|---|---|---|---|---|\n{raw}{cross}\n\
         Accuracy here is over chunks (the running estimate as the track plays), so it differs \
         from the whole-track figures above. Rebuild: `cargo xtask calibrate {name}` (it runs \
         `mcclstm calibrate --dataset generic --root {table} --model {model}`).\n",
        tracks = c["raw"]["tracks"],
        chunks = c["raw"]["chunks"],
        u = c["unsure_below"].as_f64().unwrap_or(f64::NAN),
        folds = c["folds"],
        temps = temperatures.join(", "),
        raw = row("raw (temperature 1)", &c["raw"]),
        cross = row("calibrated (cross-fitted)", &c["cross_fitted"]),
        table = table.display(),
        model = model.display(),
    ))
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::path::Path;

    use super::{csv_field, map_selection_targets, truth_rows};

    /// Writes a corpus's teacher tables under `dir` (`tracks.csv`, `teacher/`): one music track
    /// per entry of `tracks`, a chunk each, with the named tags at the given u8 levels.
    fn fake_corpus(dir: &Path, tags: &[String], tracks: &[(&str, &[(&str, u8)])]) {
        std::fs::create_dir_all(dir.join("teacher")).unwrap();
        let names: Vec<serde_json::Value> = tags.iter().map(|t| t.as_str().into()).collect();
        let json = serde_json::json!({ "tags": names });
        std::fs::write(dir.join("teacher/tags.json"), json.to_string()).unwrap();
        let mut table =
            String::from("package,version,path,duration_s,licence,genre,kind,sha256,file\n");
        let plain = dir.join("teacher/chunk_tags.csv");
        let mut chunks = std::fs::File::create(&plain).unwrap();
        writeln!(chunks, "sha256,chunk,tags").unwrap();
        for (name, levels) in tracks {
            let sha = format!("{name:0>64}");
            table += &format!("pkg-{name},1,{name}.ogg,60,MIT,,music,{sha},audio/{name}.ogg\n");
            let hex: String = tags
                .iter()
                .map(|t| levels.iter().find(|(n, _)| n == t).map_or(0, |(_, v)| *v))
                .map(|v| format!("{v:02x}"))
                .collect();
            writeln!(chunks, "{sha},0,{hex}").unwrap();
        }
        drop(chunks);
        let gzip = std::process::Command::new("gzip")
            .arg(&plain)
            .status()
            .unwrap();
        assert!(gzip.success(), "gzip {}", plain.display());
        std::fs::write(dir.join("tracks.csv"), table).unwrap();
    }

    /// The teacher's tag names, in the committed tables' order (`corpus/teacher/tags.json`).
    fn teacher_tags(repo: &Path) -> Vec<String> {
        let text = std::fs::read_to_string(repo.join("corpus/teacher/tags.json")).unwrap();
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        json["tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap().to_string())
            .collect()
    }

    /// A selection track's mood is mapped with the training corpus's lift divisors. Here the
    /// selection set is quieter than the training corpus: by its own divisors its mildly loud,
    /// slightly sad track would be anger (lift 2.0 against sadness's 1.56); by the corpus's it is
    /// sadness (1.12; anger 0.8), as the model was taught.
    #[test]
    fn the_selection_sets_mood_uses_the_training_corpus_lifts() {
        let repo = crate::workspace_root().unwrap();
        let tags = teacher_tags(&repo);
        let root = tempfile::tempdir().unwrap();
        let root = root.path();
        std::fs::create_dir_all(root.join("scripts")).unwrap();
        std::fs::copy(
            repo.join("scripts/corpus_mapping.py"),
            root.join("scripts/corpus_mapping.py"),
        )
        .unwrap();
        fake_corpus(
            &root.join("corpus"),
            &tags,
            &[
                ("loud", &[("MTT:loud", 100)]),
                ("soft", &[("MTT:soft", 100)]),
                ("sad", &[("MSD:sad", 25)]),
                ("happy", &[("MSD:happy", 25)]),
            ],
        );
        fake_corpus(
            &root.join("corpus/selection"),
            &tags,
            &[
                ("mild", &[("MTT:loud", 20), ("MSD:sad", 7)]),
                ("tender", &[("MTT:soft", 100), ("MSD:sad", 2)]),
            ],
        );
        let out = root.join("out");
        map_selection_targets(root, "mood", &out).unwrap();
        let truth = std::fs::read_to_string(out.join("test-teacher.csv")).unwrap();
        let labels: Vec<(String, String)> = truth_rows(&truth)
            .into_iter()
            .map(|(path, label)| (path.rsplit('/').next().unwrap().to_string(), label))
            .collect();
        assert_eq!(
            labels,
            [
                ("mild.ogg".to_string(), "sadness".to_string()),
                ("tender.ogg".to_string(), "tenderness".to_string()),
            ]
        );
    }

    /// `--targets style --auxiliary MTT:`: the training table has the teacher's own MTT tags after
    /// the style tags, as it gives them; the held-out table has the style tags only.
    #[test]
    fn the_style_training_table_ends_with_the_teachers_own_tags_as_auxiliary_columns() {
        let repo = crate::workspace_root().unwrap();
        let tags = teacher_tags(&repo);
        let root = tempfile::tempdir().unwrap();
        let root = root.path();
        fake_corpus(
            &root.join("corpus"),
            &tags,
            &[
                ("a", &[("MTT:synth", 204), ("MTT:techno", 51)]),
                ("b", &[("MTT:piano", 102)]),
            ],
        );
        let map = |auxiliary: &str| {
            std::process::Command::new(crate::python().unwrap())
                .arg(repo.join("scripts/corpus_mapping.py"))
                .arg("--corpus")
                .arg(root.join("corpus"))
                .args(["--targets", "style", "--hold-out", "pkg-b", "--audio"])
                .arg(root)
                .arg("--out")
                .arg(root.join("out"))
                .args(["--auxiliary", auxiliary])
                .output()
                .unwrap()
        };
        let run = map("MTT:");
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
        let read = |name: &str| -> Vec<Vec<String>> {
            std::fs::read_to_string(root.join("out").join(name))
                .unwrap()
                .lines()
                .map(|l| l.split(',').map(str::to_string).collect())
                .collect()
        };
        let mtt: Vec<&String> = tags.iter().filter(|t| t.starts_with("MTT:")).collect();
        let train = read("train.csv");
        let header = &train[0];
        assert_eq!(header[3], "electronic");
        assert_eq!(header.len(), 3 + 13 + mtt.len(), "{header:?}");
        for (column, tag) in header[16..].iter().zip(&mtt) {
            assert_eq!(*column, format!("aux:{tag}"));
        }
        // Track a: synth (the style tag, max of its teacher tags) and the auxiliary columns.
        assert_eq!(train.len(), 2);
        let at = |name: &str| header.iter().position(|h| h == name).unwrap();
        assert!(train[1][0].ends_with("a.ogg"));
        assert_eq!(train[1][at("synth")], "0.8000");
        assert_eq!(train[1][at("aux:MTT:synth")], "0.8000");
        assert_eq!(train[1][at("aux:MTT:techno")], "0.2000");
        assert_eq!(train[1][at("aux:MTT:piano")], "0.0000");
        let test = read("test.csv");
        assert_eq!(test[0].len(), 3 + 13, "{:?}", test[0]);
        assert!(test[1][0].ends_with("b.ogg"));
        let run = map("NONE:");
        assert!(!run.status.success());
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(stderr.contains("no teacher tag starts with it"), "{stderr}");
    }

    #[test]
    fn a_truth_table_reads_quoted_paths_and_writes_them_back() {
        let text = "path,label\n\
                    /a/plain.ogg,happiness\n\
                    \"/a/Suite No. 1, Op. 46 - I. Morning.ogg\",classical\n\
                    \"/a/the \"\"best\"\" take.ogg\",rock\r\n";
        let rows = truth_rows(text);
        assert_eq!(
            rows,
            [
                ("/a/plain.ogg".to_string(), "happiness".to_string()),
                (
                    "/a/Suite No. 1, Op. 46 - I. Morning.ogg".to_string(),
                    "classical".to_string()
                ),
                ("/a/the \"best\" take.ogg".to_string(), "rock".to_string()),
            ]
        );
        let written: String = std::iter::once("path,label\n".to_string())
            .chain(rows.iter().map(|(p, l)| format!("{},{l}\n", csv_field(p))))
            .collect();
        assert_eq!(truth_rows(&written), rows);
        assert_eq!(csv_field("/a/plain.ogg"), "/a/plain.ogg");
    }
}
