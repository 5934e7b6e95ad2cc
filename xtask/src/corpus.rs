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

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// A manifest in `dir` naming `packages`.
    fn manifest(dir: &Path, name: &str, packages: &[&str]) -> PathBuf {
        let path = dir.join(name);
        let packages: Vec<_> = packages
            .iter()
            .map(|p| serde_json::json!({ "package": p, "version": "1" }))
            .collect();
        std::fs::write(
            &path,
            serde_json::json!({ "packages": packages }).to_string(),
        )
        .unwrap();
        path
    }

    /// The sha256 column of a committed track table (the one field of 64 hex digits).
    fn shas(path: &Path) -> BTreeSet<String> {
        std::fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            .lines()
            .skip(1)
            .filter_map(|line| {
                line.split(',')
                    .find(|f| f.len() == 64 && f.bytes().all(|b| b.is_ascii_hexdigit()))
                    .map(str::to_owned)
            })
            .collect()
    }

    #[test]
    fn a_selection_manifest_sharing_a_package_with_the_corpus_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let corpus = manifest(dir.path(), "corpus.json", &["alpha", "beta"]);
        let apart = manifest(dir.path(), "apart.json", &["gamma"]);
        let shared = manifest(dir.path(), "shared.json", &["gamma", "beta"]);
        check_apart(&corpus, &apart).unwrap();
        let error = check_apart(&corpus, &shared).unwrap_err().to_string();
        assert!(
            error.contains(": beta;"),
            "the error names the shared package: {error}"
        );
        let nameless = dir.path().join("nameless.json");
        std::fs::write(&nameless, r#"{"packages": [{"version": "1"}]}"#).unwrap();
        assert!(check_apart(&corpus, &nameless).is_err());
    }

    #[test]
    fn the_committed_selection_set_shares_no_package_and_no_audio_with_what_models_learn_from() {
        let root = crate::workspace_root().unwrap();
        let corpus = root.join("corpus");
        check_apart(
            &corpus.join("packages.json"),
            &corpus.join("selection/packages.json"),
        )
        .unwrap();
        let selection = shas(&corpus.join("selection/tracks.csv"));
        assert_eq!(selection.len(), 122, "the selection set's distinct files");
        for table in ["tracks.csv", "synthetic/tracks.csv"] {
            let taught = shas(&corpus.join(table));
            assert!(!taught.is_empty(), "corpus/{table} lists no audio");
            assert!(
                selection.is_disjoint(&taught),
                "audio in both the selection set and corpus/{table}"
            );
        }
        // Every selection track has the teacher's tags, and the tags are of those tracks only.
        let tagged = shas(&corpus.join("selection/teacher/track_tags.csv"));
        assert_eq!(tagged, selection);
    }
}
