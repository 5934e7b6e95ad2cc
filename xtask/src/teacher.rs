//! `cargo xtask teacher [--corpus DIR]`: tags the real-music corpus (`cargo xtask corpus`) with
//! musicnn's MTT_musicnn and MSD_musicnn on our model's chunk grid (`scripts/teacher.py`), and
//! writes the committed tables under `corpus/teacher/` (format in `corpus/README.md`); then the
//! same for the selection set (`DIR/selection`, tables under `corpus/selection/teacher/`).
//!
//! `cargo xtask teacher --synthetic`: the same for the synthetic genre and mood training sets
//! (made as `cargo xtask models` makes them): their track table, keyed by each render's sha256,
//! goes to `corpus/synthetic/tracks.csv` (`scripts/synthetic_tracks.py`) and their tags to
//! `corpus/synthetic/teacher/`, for the style model.
//!
//! Creates the pinned Python 3.11 environment `target/teacher-venv` first when it is missing or
//! its pins changed: `scripts/requirements-teacher.txt`, then musicnn with `--no-deps` (its own
//! pins cannot install on Python 3.11). About 1.7 GB. The run is resumable per track (its cache is
//! `DIR/teacher-cache/`); run it under `nice -n 19` to leave the CPU to other work.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

/// Installed after the requirements, without its dependencies.
const MUSICNN: &str = "musicnn==0.1.0";

pub fn teacher(args: &[String]) -> anyhow::Result<()> {
    let root = crate::workspace_root()?;
    let mut corpus = crate::target_dir(&root).join("corpus");
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--corpus" => corpus = PathBuf::from(rest.next().context("--corpus needs a folder")?),
            "--synthetic" => return synthetic(&root),
            other => bail!(
                "cargo xtask teacher: unknown argument {other} (usage: [--corpus DIR] | \
                 --synthetic)"
            ),
        }
    }
    // A relative --corpus is relative to where the command was run, not to the workspace.
    let corpus = std::path::absolute(&corpus)?;
    std::env::set_current_dir(&root)?;
    if !corpus.join("tracks.csv").is_file() {
        bail!(
            "{}: no corpus there (no tracks.csv); build it with `cargo xtask corpus`",
            corpus.display()
        );
    }
    let python = install_venv(&root)?;
    let selection = corpus.join("selection");
    if !selection.join("tracks.csv").is_file() {
        bail!(
            "{}: no selection set there (no tracks.csv); build it with `cargo xtask corpus`",
            selection.display()
        );
    }
    for (audio, out) in [
        (&corpus, root.join("corpus/teacher")),
        (&selection, root.join("corpus/selection/teacher")),
    ] {
        crate::run(
            &format!("tag {} with musicnn", audio.display()),
            Command::new(&python)
                .arg(root.join("scripts/teacher.py"))
                .arg("--corpus")
                .arg(audio)
                .arg("--out")
                .arg(out)
                .env("TF_CPP_MIN_LOG_LEVEL", "2"),
        )?;
    }
    Ok(())
}

/// `cargo xtask teacher --synthetic` (see the module's documentation).
fn synthetic(root: &Path) -> anyhow::Result<()> {
    std::env::set_current_dir(root)?;
    let (work, mcclstm) = crate::models::work_and_tools(root)?;
    crate::models::make_taught_synthetic(&work, &mcclstm)?;
    let table = Path::new("corpus/synthetic/tracks.csv");
    crate::run(
        "the synthetic renders' track table",
        Command::new(crate::python().context("the track table needs python3")?)
            .arg(root.join("scripts/synthetic_tracks.py"))
            .arg("--write")
            .arg("--root")
            .arg(&work)
            .arg("--table")
            .arg(table)
            .arg("--sets")
            .arg(crate::models::TAUGHT_SYNTHETIC.join(",")),
    )?;
    let python = install_venv(root)?;
    crate::run(
        "tag the synthetic renders with musicnn",
        Command::new(python)
            .arg(root.join("scripts/teacher.py"))
            .arg("--corpus")
            .arg("corpus/synthetic")
            .arg("--audio")
            .arg(&work)
            .arg("--out")
            .arg("corpus/synthetic/teacher")
            .env("TF_CPP_MIN_LOG_LEVEL", "2"),
    )
}

/// A Python 3.11 interpreter: `python3.11`, or `python3` when it is 3.11.
fn python311() -> anyhow::Result<&'static str> {
    ["python3.11", "python3"]
        .into_iter()
        .find(|p| {
            Command::new(p)
                .args(["-c", "import sys; assert sys.version_info[:2] == (3, 11)"])
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .context("the teacher needs Python 3.11 (tensorflow-cpu 2.15 has no wheels for newer ones)")
}

/// Creates `target/teacher-venv` with the pinned packages unless it holds exactly those pins
/// (recorded in its `mcclstm-pins.txt`); returns its interpreter.
fn install_venv(root: &Path) -> anyhow::Result<PathBuf> {
    let venv = crate::target_dir(root).join("teacher-venv");
    let interpreter = venv.join("bin/python");
    let requirements = root.join("scripts/requirements-teacher.txt");
    let pins = format!(
        "{}{MUSICNN} --no-deps\n",
        std::fs::read_to_string(&requirements)
            .with_context(|| format!("{}: cannot read", requirements.display()))?
    );
    let stamp = venv.join("mcclstm-pins.txt");
    if interpreter.is_file() && std::fs::read_to_string(&stamp).is_ok_and(|s| s == pins) {
        return Ok(interpreter);
    }
    crate::run(
        &format!("create {}", venv.display()),
        Command::new(python311()?).args(["-m", "venv"]).arg(&venv),
    )?;
    let pip = || {
        let mut pip = Command::new(&interpreter);
        pip.args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
        ]);
        pip
    };
    crate::run(
        "pip install -r scripts/requirements-teacher.txt",
        pip().arg("-r").arg(&requirements),
    )?;
    crate::run(
        &format!("pip install --no-deps {MUSICNN}"),
        pip().args(["--no-deps", MUSICNN]),
    )?;
    std::fs::write(&stamp, pins).with_context(|| format!("{}: cannot write", stamp.display()))?;
    Ok(interpreter)
}
