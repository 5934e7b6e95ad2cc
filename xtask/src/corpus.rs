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
//! The selection set (`corpus/selection/packages.json`: packages outside `corpus/packages.json`,
//! which no model trains on and no card's test figure comes from) is built the same way into
//! `DIR/selection`, its track table committed as `corpus/selection/tracks.csv`.
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
    let corpus = root.join("corpus");
    let selection = corpus.join("selection");
    check_apart(
        &corpus.join("packages.json"),
        &selection.join("packages.json"),
    )?;
    for (what, manifest, out, tracks) in [
        ("the corpus", &corpus, out.clone(), &corpus),
        (
            "the selection set",
            &selection,
            out.join("selection"),
            &selection,
        ),
    ] {
        crate::run(
            &format!("build {what} in {}", out.display()),
            Command::new(python()?)
                .arg(root.join("scripts/corpus_build.py"))
                .arg("--manifest")
                .arg(manifest.join("packages.json"))
                .arg("--out")
                .arg(&out)
                .arg("--tracks")
                .arg(tracks.join("tracks.csv"))
                .env("PYTHONPATH", &pylib),
        )?;
    }
    Ok(())
}

/// Refuses a selection manifest that names a package of the corpus's: the selection set must be
/// music no model trains on.
fn check_apart(corpus: &Path, selection: &Path) -> anyhow::Result<()> {
    let selected = manifest_packages(selection)?;
    let shared: Vec<String> = manifest_packages(corpus)?
        .into_iter()
        .filter(|p| selected.contains(p))
        .collect();
    if !shared.is_empty() {
        bail!(
            "{} names packages of {}: {}; the selection set must be music no model trains on",
            selection.display(),
            corpus.display(),
            shared.join(", ")
        );
    }
    Ok(())
}

/// The package names of a manifest (`corpus/packages.json`, `corpus/selection/packages.json`), in
/// its order.
pub(crate) fn manifest_packages(path: &Path) -> anyhow::Result<Vec<String>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read", path.display()))?;
    let json: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{}: not JSON", path.display()))?;
    json["packages"]
        .as_array()
        .with_context(|| format!("{}: no `packages` list", path.display()))?
        .iter()
        .map(|p| {
            p["package"]
                .as_str()
                .map(str::to_owned)
                .with_context(|| format!("{}: a package without a name", path.display()))
        })
        .collect()
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
