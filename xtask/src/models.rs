//! `cargo xtask models [genre] [mood] [dance] [--folds N]`: rebuilds the default models from
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

/// Model size: the paper's dense/LSTM sizes of its smaller architectures (200/100), which keeps
/// MCCLSTM's file under the 8 MB the plugin embeds (400/200 gives 9.9 MB).
const MODEL_FLAGS: [&str; 6] = ["--filters", "32", "--dense", "200", "--lstm", "100"];

/// The time-stretch factors of the robustness figure.
const SPEEDS: [&str; 3] = ["0.94", "1.00", "1.06"];

struct Kind {
    name: &'static str,
    /// Tracks (dance: tunes) per class in the training set, and in each held-out set.
    per_class: usize,
    held_out: usize,
    /// Where each set starts in the maker's seeded order (`--offset`): the two ranges are
    /// disjoint, so the held-out sets hold songs (tunes) the model never heard.
    train_offset: usize,
    held_out_offset: usize,
    /// Performances per tune in the training set (dance: the collection has 37 clogs).
    renders: usize,
    group_split: bool,
    about: &'static str,
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
        about: "GTZAN's ten genres as songs of the project's procedural arranger \
                (`trainer/src/make/arranger.rs`): per genre, ranges of tempo and meter, swing, \
                drum patterns, bass lines, chord progressions, General MIDI instrument pools, \
                distortion and loudness taken from the genres' documented traits, randomised \
                within each genre with overlapping ranges, rendered with FluidR3 GM.",
    },
    Kind {
        name: "mood",
        per_class: 40,
        held_out: 10,
        train_offset: 0,
        held_out_offset: 40,
        renders: 1,
        group_split: false,
        about: "The soundtrack set's five emotions as pieces of the procedural arranger, from the \
                cues music psychology names for each (Juslin & Laukka 2003; Gabrielsson & \
                Lindström 2010): tempo, mode, register, loudness, articulation, dissonance and \
                timbre, randomised within each emotion with overlapping ranges, rendered with \
                FluidR3 GM.",
    },
    Kind {
        name: "dance",
        per_class: 40,
        held_out: 8,
        train_offset: 8,
        held_out_offset: 0,
        renders: 3,
        group_split: true,
        about: "Tunes of Ryan's Mammoth Collection (1883; ABC transcriptions in music21's \
                corpus) labelled by their `R:` field, through abc2midi, played at a tempo in the \
                dance's usual range, in a random key, by a random lead instrument from one pool \
                shared by all dances, with or without a vamp accompaniment and a frame drum, \
                rendered with FluidR3 GM. Each tune is one group: no tune is in two folds.",
    },
];

pub fn models(args: &[String]) -> anyhow::Result<()> {
    let root = workspace_root()?;
    std::env::set_current_dir(&root)?;
    let mut folds = "10".to_string();
    let mut cv_epochs: Option<String> = None;
    let mut chosen = Vec::new();
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "--folds" => folds = iter.next().context("--folds needs a number")?.clone(),
            "--cv-epochs" => {
                cv_epochs = Some(iter.next().context("--cv-epochs needs a number")?.clone())
            }
            name => match KINDS.iter().find(|k| k.name == name) {
                Some(kind) => chosen.push(kind),
                None => bail!(
                    "unknown argument {name:?}: expected genre, mood, dance, --folds N or \
                     --cv-epochs N"
                ),
            },
        }
    }
    if chosen.is_empty() {
        chosen = KINDS.iter().collect();
    }
    install_packages()?;
    let ort = install_onnxruntime(&root)?;
    let work = target_dir(&root).join("models");
    let abc = music21_tunes(&work)?;
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
    let mcclstm = target_dir(&root).join("debug/mcclstm");
    let setup = Setup {
        root: &root,
        work: &work,
        mcclstm: &mcclstm,
        ort: &ort,
        abc: &abc,
        folds: &folds,
        cv_epochs: cv_epochs.as_deref(),
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
    Ok(())
}

pub(crate) fn install_packages() -> anyhow::Result<()> {
    crate::install_debian(&PACKAGES, "the training data")
}

/// Ryan's Mammoth Collection from music21's wheel (downloaded, not installed: only the tune
/// files are needed).
fn music21_tunes(work: &Path) -> anyhow::Result<PathBuf> {
    let dir = work.join("music21");
    let tunes = dir.join("music21/corpus/ryansMammoth");
    if tunes.is_dir() {
        return Ok(tunes);
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
        "extract Ryan's Mammoth Collection",
        Command::new("python3")
            .args([
                "-c",
                "import sys, zipfile\n\
             z = zipfile.ZipFile(sys.argv[1])\n\
             names = [n for n in z.namelist() if n.startswith('music21/corpus/ryansMammoth/')]\n\
             z.extractall(sys.argv[2], names)\n",
            ])
            .arg(&wheel)
            .arg(&dir),
    )?;
    anyhow::ensure!(
        tunes.is_dir(),
        "{} has no ryansMammoth corpus",
        wheel.display()
    );
    Ok(tunes)
}

/// What every model's rebuild shares.
struct Setup<'a> {
    root: &'a Path,
    work: &'a Path,
    mcclstm: &'a Path,
    ort: &'a Path,
    abc: &'a Path,
    folds: &'a str,
    cv_epochs: Option<&'a str>,
}

fn build_model(setup: &Setup<'_>, kind: &Kind) -> anyhow::Result<()> {
    let Setup {
        root,
        work,
        mcclstm,
        ort,
        abc,
        folds,
        cv_epochs,
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
        let mut args = vec![
            "dataset".to_string(),
            "make".into(),
            "--kind".into(),
            name.into(),
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
        if name == "dance" {
            args.extend(["--abc".into(), abc.display().to_string()]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        tool(&format!("make {}", out.display()), &args)
    };
    let train_set = data.join("train");
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
    let model = root.join("models").join(format!("{name}.onnx"));
    let model_str = model.display().to_string();
    let data_name = format!("synthetic {name} set (mcclstm dataset make --kind {name})");
    let mut train = vec![
        "train",
        "--dataset",
        "generic",
        "--root",
        &csv,
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
    if kind.group_split {
        train.push("--group-split");
    }
    // Training takes longest: a finished run of the same command is not repeated (delete the
    // stamp or the model to retrain).
    let stamp = data.join("trained.stamp");
    let command = train.join(" ");
    if model.is_file() && std::fs::read_to_string(&stamp).is_ok_and(|s| s == command) {
        eprintln!(
            "==> {name}: {} is trained with these options; kept",
            model.display()
        );
    } else {
        tool("train MCCLSTM", &train)?;
        std::fs::write(&stamp, &command)?;
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
    tool("cv, all seven architectures", &cv)?;

    let mut robustness = String::from("| tempo | held-out tracks | accuracy |\n|---|---|---|\n");
    for speed in SPEEDS {
        let held_out = data.join(format!("held-out-{speed}/tracks.csv"));
        let output = Command::new(mcclstm)
            .args([
                "evaluate",
                "--model",
                &model_str,
                "--dataset",
                "generic",
                "--json",
            ])
            .arg("--root")
            .arg(&held_out)
            .output()
            .context("cannot run mcclstm evaluate")?;
        if !output.status.success() {
            bail!(
                "mcclstm evaluate failed: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        let text = String::from_utf8_lossy(&output.stdout);
        let accuracy = json_number(&text, "accuracy").context("evaluate printed no accuracy")?;
        let tracks = json_number(&text, "tracks").context("evaluate printed no track count")?;
        robustness.push_str(&format!(
            "| x{speed} | {tracks:.0} | {:.1}% |\n",
            100.0 * accuracy
        ));
    }
    write_card(
        &setup.mcclstm.with_file_name("mcclstm-train"),
        &model,
        kind,
        folds,
        &std::fs::read_to_string(data.join("cv/table.md"))
            .context("mcclstm cv wrote no table.md")?,
        &robustness,
        cv_epochs,
    )
}

/// The first number after `"key":` in JSON text (the evaluate report is flat where we read it).
fn json_number(text: &str, key: &str) -> Option<f64> {
    let at = text.find(&format!("\"{key}\":"))? + key.len() + 3;
    let rest = text[at..].trim_start();
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == 'e' || c == 'E'))
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}

/// Adds what `mcclstm train` cannot know to the card it wrote: how the data was made, the cv
/// table, the time-stretch figure, the limits and the one command that rebuilds it all.
fn write_card(
    train: &Path,
    model: &Path,
    kind: &Kind,
    folds: &str,
    cv_table: &str,
    robustness: &str,
    cv_epochs: Option<&str>,
) -> anyhow::Result<()> {
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
        " made with one take per tune (`--renders 1`: the same tunes, a third of the tracks)"
    } else {
        ""
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
    let sections = serde_json::json!([
        {
            "heading": "How the data was made",
            "body": format!(
                "{about}\n\nTraining set: `mcclstm dataset make --kind {name} --per-class {per} \
                 --offset {train_offset}{renders}` (30 s tracks at 22050 Hz, seed 1). Held-out \
                 sets: `--offset {held_offset} --per-class {held}`, so they hold other \
                 songs{tunes} than the training set.",
                about = kind.about,
                per = kind.per_class,
                held = kind.held_out,
                train_offset = kind.train_offset,
                held_offset = kind.held_out_offset,
            ),
        },
        {
            "heading": "Cross-validation: all seven architectures",
            "body": format!(
                "`mcclstm cv --folds {folds}{split}{budget}` on the training set{one_take}, with \
                 the same sizes as the shipped model (`{flags}`).{budget_note} The paper's \
                 figures (on GTZAN, Ballroom and the soundtrack set) are not comparable: this \
                 data is synthetic.\n\n{cv_table}",
                flags = MODEL_FLAGS.join(" "),
            ),
        },
        {
            "heading": "Time-stretch robustness",
            "body": format!(
                "The shipped model on the held-out set rendered at three tempos (the MIDI is \
                 played faster or slower at the same pitch: `mcclstm dataset make --speed`), \
                 scored with `mcclstm evaluate` (the engine's path, last running \
                 estimate):\n\n{robustness}"
            ),
        },
        {
            "heading": "What this model cannot know",
            "body": format!(
                "It never heard a commercial recording, a singer, a real drum kit or a mastered \
                 mix: every track it learned from is General MIDI rendered by one SoundFont. It \
                 knows the {name} classes only as the data maker describes them. On real music \
                 its output is a guess from tempo, rhythm, instrumentation and harmony; train on \
                 a real data set (`mcclstm train --dataset gtzan|ballroom|soundtracks`) for a \
                 model you can rely on."
            ),
        },
        {
            "heading": "Rebuild",
            "body": format!(
                "```\ncargo xtask models {name}{rebuild_flags}\n```\n\ninstalls abcmidi, \
                 fluid-soundfont-gm and music21's corpus, remakes the data, trains, runs the cv \
                 and rewrites this card (this card's run; without the flags, the cv runs the \
                 paper's full protocol)."
            ),
        },
    ]);
    // The card is data beside the model (`NAME.card.json`, written by `mcclstm train`); these
    // sections replace those of the same heading, and `mcclstm-train card` renders it again.
    let file = model.with_extension("card-sections.json");
    std::fs::write(&file, serde_json::to_vec_pretty(&sections)?)
        .with_context(|| format!("cannot write {}", file.display()))?;
    run(
        "add the data, cv and time-stretch sections to the model card",
        Command::new(train)
            .args(["card", "--model"])
            .arg(model)
            .arg("--sections")
            .arg(&file),
    )?;
    let _ = std::fs::remove_file(&file);
    Ok(())
}
