//! `cargo xtask corpus [--out DIR]`: the real-music corpus (issue 17), built from the pinned
//! Debian `main` packages of `corpus/packages.json` by `scripts/corpus_build.py`.
//!
//! The script downloads each package with `apt-get download PKG=VERSION` (one `apt-get update`
//! when apt does not know the version), checks the .deb's sha256 and size, unpacks it with
//! `dpkg-deb -x`, and keeps the music files of 45 s or more that the engine decodes (WAV, FLAC,
//! MP3, Ogg Vorbis; also inside .pk3/.zip archives; Frets on Fire stems are mixed with `sox -m`)
//! under `DIR/audio/PACKAGE/`. It writes the committed track table `corpus/tracks.csv` (and a copy
//! in `DIR`). Audio never leaves `DIR` (default `target/corpus`, ignored by git). A package whose
//! stamp (`DIR/audio/PACKAGE/.done.json`) matches the manifest is not touched again, so a second
//! run takes seconds and a killed run resumes. See `corpus/README.md`.
//!
//! Needs Debian's apt (as root: Debian's `sox` and `libsox-fmt-all` are installed when missing)
//! and python3 with pip (mutagen, pinned, reads durations and tags; installed under
//! `target/corpus-pylib`).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

/// Reads durations and GENRE tags of Ogg, FLAC, MP3 and WAV files.
const MUTAGEN: &str = "mutagen==1.47.0";

pub fn corpus(args: &[String]) -> anyhow::Result<()> {
    let root = crate::workspace_root()?;
    let mut out = crate::target_dir(&root).join("corpus");
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--out" => out = PathBuf::from(rest.next().context("--out needs a folder")?),
            other => bail!("cargo xtask corpus: unknown argument {other} (usage: [--out DIR])"),
        }
    }
    // A relative --out is relative to where the command was run, not to the workspace.
    let out = std::path::absolute(&out)?;
    std::env::set_current_dir(&root)?;
    let pylib = install_mutagen(&root)?;
    crate::run(
        &format!("build the corpus in {}", out.display()),
        Command::new(python()?)
            .arg(root.join("scripts/corpus_build.py"))
            .arg("--manifest")
            .arg(root.join("corpus/packages.json"))
            .arg("--out")
            .arg(&out)
            .arg("--tracks")
            .arg(root.join("corpus/tracks.csv"))
            .env("PYTHONPATH", &pylib),
    )
}

/// The Python that runs the corpus builder.
pub fn python() -> anyhow::Result<&'static str> {
    crate::python().context("the corpus builder needs python3 (with pip)")
}

/// Installs the pinned mutagen under `target/corpus-pylib` unless it is there; returns the folder.
fn install_mutagen(root: &Path) -> anyhow::Result<PathBuf> {
    let dir = crate::target_dir(root).join("corpus-pylib");
    let version = MUTAGEN.trim_start_matches("mutagen==");
    if dir.join(format!("mutagen-{version}.dist-info")).is_dir() {
        return Ok(dir);
    }
    crate::run(
        &format!("pip install {MUTAGEN} into {}", dir.display()),
        crate::pip_install(python()?)
            .args(["--no-deps", "--upgrade"])
            .arg("--target")
            .arg(&dir)
            .arg(MUTAGEN),
    )?;
    Ok(dir)
}
