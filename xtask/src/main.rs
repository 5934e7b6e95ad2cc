//! `cargo xtask`: project tasks.
//!
//! - `cargo xtask test [-- CARGO TEST ARGS]`: the project's whole check, as CI runs it: formatting,
//!   clippy with warnings as errors, and every test. Installs ONNX Runtime (the `onnxruntime` wheel,
//!   pinned) under `target/onnxruntime` when it is missing, for the export parity tests, and
//!   Debian's abcmidi and fluid-soundfont-gm for the data maker's tests and Debian's ardour for the
//!   DAW test. Lays the test build's plugin (with `assert_process_allocs`) out as bundles in
//!   `target/bundled-debug` and runs every host test through them; the release bundles are
//!   `cargo xtask bundle`'s (the README's first command), not built here.
//! - `cargo xtask bundle <package> [--release]`: CLAP and VST3 bundles (nice-plug-xtask).
//! - `cargo xtask screenshot`: runs the standalone plugin under Xvfb while it analyses the demo
//!   track and saves `docs/editor.png`. Installs xvfb, imagemagick and the ALSA headers (Debian
//!   packages) when missing.
//! - `cargo xtask models [genre] [mood] [dance] [--folds N]`: rebuilds the default models from
//!   nothing (see `models.rs`).
//! - `cargo xtask calibrate|confusion|selection [genre] [mood]`: one section of the shipped
//!   models' cards without retraining: the calibration, the confusion pictures, the figures on the
//!   selection packages (`corpus/selection/`).
//! - `cargo xtask bench`: mcclstm against its peers (librosa, onnxruntime, JAX) in one run,
//!   written to BENCHMARKS.md and BENCHMARKS.json (see `bench.rs`); `--report` writes
//!   BENCHMARKS.md again from BENCHMARKS.json without measuring.
//! - `cargo xtask onnxruntime`: installs ONNX Runtime and prints its library path.
//! - `cargo xtask corpus [--out DIR]`: the real-music corpus from pinned Debian packages (audio in
//!   `target/corpus`, the track table in `corpus/tracks.csv`; see `corpus.rs`).
//! - `cargo xtask teacher [--corpus DIR]`: musicnn's tags of every corpus chunk, written to
//!   `corpus/teacher/` (a pinned Python 3.11 venv in `target/teacher-venv`; see `teacher.rs`).

mod bench;
mod corpus;
mod models;
mod style;
mod teacher;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

/// Plugin features of the bundle the host tests load.
const TEST_FEATURES: &str = "assert_process_allocs";

/// Debian packages of the host tests (file that shows it is installed, package): Ardour, the DAW
/// `tests/tests/ardour.rs` drives headless through its Lua session tool (GPL; installed here,
/// never shipped).
const HOST_TEST_PACKAGES: [(&str, &str); 1] = [("/usr/bin/ardour7-lua", "ardour")];

/// Must match `mcclstm_onnx::reference::ONNXRUNTIME_VERSION`.
const ONNXRUNTIME_VERSION: &str = "1.31.1";

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("test") => test(&args[1..]),
        Some("screenshot") => screenshot(),
        Some("models") => models::models(&args[1..]),
        Some("calibrate") => models::calibrate_shipped(&args[1..]),
        Some("confusion") => models::confusion_shipped(&args[1..]),
        Some("selection") => models::selection_shipped(&args[1..]),
        Some("install") => install(&args[1..]),
        Some("bench") => bench::bench(&args[1..]),
        Some("corpus") => corpus::corpus(&args[1..]),
        Some("teacher") => teacher::teacher(&args[1..]),
        Some("onnxruntime") => {
            install_onnxruntime(&workspace_root()?).map(|p| println!("{}", p.display()))
        }
        _ => nice_plug_xtask::main_with_args("cargo xtask", args),
    }
}

fn workspace_root() -> anyhow::Result<PathBuf> {
    // xtask/ is one level below the workspace root.
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    Ok(manifest
        .parent()
        .context("xtask has no parent directory")?
        .to_path_buf())
}

/// Cargo's target directory (`CARGO_TARGET_DIR` or `target/`).
fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
}

fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// The first of python3, python that runs (`None`: neither).
fn python() -> Option<&'static str> {
    ["python3", "python"].into_iter().find(|p| {
        Command::new(p)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

/// `PYTHON -m pip install --quiet --disable-pip-version-check`, for the caller to add to.
fn pip_install(python: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut command = Command::new(python);
    command.args([
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
    ]);
    command
}

fn run(step: &str, command: &mut Command) -> anyhow::Result<()> {
    eprintln!("==> {step}");
    let started = std::time::Instant::now();
    let status = command
        .status()
        .with_context(|| format!("{step}: cannot start {command:?}"))?;
    if !status.success() {
        bail!("{step} failed ({status})");
    }
    eprintln!("==> {step}: ok in {:.0} s", started.elapsed().as_secs_f64());
    Ok(())
}

fn test(extra: &[String]) -> anyhow::Result<()> {
    let root = workspace_root()?;
    std::env::set_current_dir(&root)?;
    run(
        "cargo fmt --check",
        cargo().args(["fmt", "--all", "--check"]),
    )?;
    let ort = install_onnxruntime(&root)?;
    // The data maker's tests render with the real SoundFont and abc2midi; the DAW test runs the
    // VST3 bundle in Ardour.
    models::install_packages()?;
    install_debian(&HOST_TEST_PACKAGES, "the DAW test")?;
    run(
        "cargo clippy -D warnings",
        cargo().args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]),
    )?;
    // Build every test and the plugin in one go, so shared dependencies are compiled once with
    // the workspace's unified features (a separate `cargo xtask bundle` would resolve the
    // plugin's features alone and compile them all again: about 10 minutes on 2 cores).
    let features = format!("mcclstm-plugin/{TEST_FEATURES}");
    run(
        "cargo test --no-run (workspace, plugin with assert_process_allocs)",
        cargo().args(["test", "--workspace", "--no-run", "--features", &features]),
    )?;
    // The host tests load real bundles: this test build's plugin, laid out as nice-plug-xtask
    // lays out Linux bundles. Its process() aborts on any allocation, so every host test is also
    // an allocation test; its dependencies and the engine, onnx and plugin crates are optimised
    // as in release (Cargo.toml's dev profile), so the hour-long render at 100x real time keeps
    // pace.
    // A separate release bundle would compile every dependency a second time (945 s of a 3221 s
    // clean-clone run on 2 cores) to test the same code.
    let bundles = bundle_debug_plugin(&root)?;
    run(
        "cargo test",
        cargo()
            .args(["test", "--workspace", "--features", &features])
            .args(extra)
            .env("ORT_DYLIB_PATH", &ort)
            .env("MCCLSTM_CLAP_BUNDLE", bundles.join("MCCLSTM.clap"))
            .env("MCCLSTM_VST3_BUNDLE", bundles.join("MCCLSTM.vst3"))
            .env("MCCLSTM_DEBUG_CLAP_BUNDLE", bundles.join("MCCLSTM.clap"))
            .env("MCCLSTM_DEBUG_VST3_BUNDLE", bundles.join("MCCLSTM.vst3"))
            // The `mcclstm` command the WAV render tests compare against (the cli crate's tests
            // build it).
            .env("MCCLSTM_BIN", target_dir(&root).join("debug/mcclstm")),
    )?;
    eprintln!("==> all checks passed");
    Ok(())
}

/// Copies the debug plugin library into `target/bundled-debug/MCCLSTM.clap` and
/// `target/bundled-debug/MCCLSTM.vst3/Contents/x86_64-linux/MCCLSTM.so`, the layout
/// `cargo xtask bundle` writes on Linux (beside the release bundles in `target/bundled`, which it
/// leaves alone), and returns that directory. Fails loudly when the library was not built.
fn bundle_debug_plugin(root: &Path) -> anyhow::Result<PathBuf> {
    let target = target_dir(root);
    // `cargo test` leaves the cdylib in deps/ (only `cargo build` copies it up a level).
    let library = target.join("debug/deps/libmcclstm_plugin.so");
    if !library.is_file() {
        bail!(
            "{}: the plugin library was not built; the host tests need it",
            library.display()
        );
    }
    let bundled = target.join("bundled-debug");
    let vst3 = bundled.join("MCCLSTM.vst3/Contents/x86_64-linux");
    std::fs::create_dir_all(&vst3).with_context(|| format!("{}: cannot create", vst3.display()))?;
    for destination in [bundled.join("MCCLSTM.clap"), vst3.join("MCCLSTM.so")] {
        std::fs::copy(&library, &destination).with_context(|| {
            format!(
                "cannot copy {} to {}",
                library.display(),
                destination.display()
            )
        })?;
    }
    eprintln!("==> bundled the debug plugin into {}", bundled.display());
    Ok(bundled)
}

/// Installs the pinned `onnxruntime` wheel under `target/onnxruntime` (pip, from the Python
/// package index) unless it is there; returns the path of its shared library.
fn install_onnxruntime(root: &Path) -> anyhow::Result<PathBuf> {
    let dir = target_dir(root).join("onnxruntime");
    let library = || -> Option<PathBuf> {
        std::fs::read_dir(dir.join("onnxruntime/capi"))
            .ok()?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .find(|p| {
                p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                    n.starts_with(&format!("libonnxruntime.so.{ONNXRUNTIME_VERSION}"))
                })
            })
    };
    if let Some(path) = library() {
        return Ok(path);
    }
    let python = python()
        .context("ONNX Runtime comes from the `onnxruntime` wheel, which needs python3 with pip")?;
    run(
        &format!(
            "pip install onnxruntime=={ONNXRUNTIME_VERSION} into {}",
            dir.display()
        ),
        pip_install(python)
            .arg("--no-deps")
            .arg("--target")
            .arg(&dir)
            .arg(format!("onnxruntime=={ONNXRUNTIME_VERSION}")),
    )?;
    library().with_context(|| {
        format!(
            "the onnxruntime wheel installed, but {} holds no libonnxruntime.so",
            dir.join("onnxruntime/capi").display()
        )
    })
}

/// Debian packages the screenshot needs, by the command or file that shows they are there.
const SCREENSHOT_PACKAGES: [(&str, &str); 5] = [
    ("/usr/bin/Xvfb", "xvfb"),
    ("/usr/bin/xdotool", "xdotool"),
    ("/usr/bin/import", "imagemagick"),
    ("/usr/include/alsa/asoundlib.h", "libasound2-dev"),
    ("/usr/include/jack/jack.h", "libjack-jackd2-dev"),
];

/// Installs the Debian packages of `packages` (file that shows it is there, package) that are
/// missing, with apt-get (as root); `purpose` names what needs them in the error.
fn install_debian(packages: &[(&str, &str)], purpose: &str) -> anyhow::Result<()> {
    let missing: Vec<&str> = packages
        .iter()
        .filter(|(file, _)| !Path::new(file).exists())
        .map(|(_, package)| *package)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    run(
        "apt-get update",
        Command::new("apt-get").args(["update", "-qq"]),
    )
    .with_context(|| format!("{purpose} needs Debian packages; install them as root"))?;
    run(
        &format!("apt-get install {}", missing.join(" ")),
        Command::new("apt-get")
            .args(["install", "-y", "-qq", "--no-install-recommends"])
            .args(&missing)
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )
}

/// `cargo xtask install`: builds the release bundles (cargo rebuilds only what changed) and copies
/// them into the user's plugin folders (`~/.clap`, `~/.vst3`). A bundle already there is replaced
/// whole: copied beside it first, then renamed over it, so a host scanning at that moment never
/// sees half a bundle.
fn install(args: &[String]) -> anyhow::Result<()> {
    let root = workspace_root()?;
    std::env::set_current_dir(&root)?;
    if !args.is_empty() {
        bail!("usage: cargo xtask install (no arguments)");
    }
    let bundled = target_dir(&root).join("bundled");
    let bundles = [("MCCLSTM.clap", ".clap"), ("MCCLSTM.vst3", ".vst3")];
    run(
        "cargo xtask bundle mcclstm-plugin --release",
        cargo().args(["xtask", "bundle", "mcclstm-plugin", "--release"]),
    )?;
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .context("HOME is not set: cannot find ~/.clap and ~/.vst3")?;
    for (bundle, folder) in bundles {
        let from = bundled.join(bundle);
        anyhow::ensure!(from.exists(), "{}: was not built", from.display());
        let dir = home.join(folder);
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        let to = dir.join(bundle);
        let staged = dir.join(format!(".{bundle}.installing"));
        remove_any(&staged)?;
        copy_tree(&from, &staged)
            .with_context(|| format!("cannot copy {} to {}", from.display(), staged.display()))?;
        remove_any(&to)?;
        std::fs::rename(&staged, &to)
            .with_context(|| format!("cannot move {} to {}", staged.display(), to.display()))?;
        println!("installed {}", to.display());
    }
    println!("Rescan plugins in your DAW to see MCCLSTM (CLAP and VST3).");
    Ok(())
}

/// Removes a file or a folder, if there is one.
fn remove_any(path: &Path) -> anyhow::Result<()> {
    let result = match std::fs::symlink_metadata(path) {
        Err(_) => return Ok(()),
        Ok(m) if m.is_dir() => std::fs::remove_dir_all(path),
        Ok(_) => std::fs::remove_file(path),
    };
    result.with_context(|| format!("cannot remove {}", path.display()))
}

/// Copies a file, or a folder and everything in it.
fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    if from.is_dir() {
        std::fs::create_dir_all(to)?;
        for entry in std::fs::read_dir(from)? {
            let entry = entry?;
            copy_tree(&entry.path(), &to.join(entry.file_name()))?;
        }
        Ok(())
    } else {
        std::fs::copy(from, to).map(|_| ())
    }
}

fn screenshot() -> anyhow::Result<()> {
    let root = workspace_root()?;
    std::env::set_current_dir(&root)?;
    install_debian(&SCREENSHOT_PACKAGES, "the screenshot")?;
    run(
        "build the standalone",
        cargo().args([
            "build",
            "-p",
            "mcclstm-plugin",
            "--features",
            "standalone",
            "--bin",
            "mcclstm-standalone",
        ]),
    )?;
    let target = target_dir(&root);
    let demo_dir = target.join("demo");
    run(
        "write the demo track",
        cargo()
            .args([
                "run",
                "-q",
                "-p",
                "mcclstm-cli",
                "--bin",
                "mcclstm",
                "--",
                "demo",
                "--out",
            ])
            .arg(&demo_dir),
    )?;

    // A real free recording from the corpus's held-out packages: a death-metal song of Frets on
    // Fire's muldjord set (CC-BY-SA; `corpus/tracks.csv`), which no shipped model trained on.
    crate::corpus::corpus(&[])?;
    let real = target.join(
        "corpus/audio/fretsonfire-songs-muldjord/usr/share/games/fretsonfire/data/songs/muldjord/\
         armygeddon/mix.flac",
    );
    anyhow::ensure!(real.is_file(), "{}: not in the corpus", real.display());

    let display = ":77";
    let mut xvfb = Command::new("Xvfb")
        .args([display, "-screen", "0", "1600x1000x24", "-nolisten", "tcp"])
        .spawn()
        .context("cannot start Xvfb")?;
    std::thread::sleep(std::time::Duration::from_secs(2));
    std::fs::create_dir_all(root.join("docs"))?;
    let standalone = target.join("debug/mcclstm-standalone");
    let result = (|| -> anyhow::Result<()> {
        // The demo at the default size: 20 s of music at 4x, then the last provisional result.
        shoot(
            &standalone,
            display,
            &demo_dir.join("demo.wav"),
            4.0,
            None,
            8,
            &root.join("docs/editor.png"),
        )?;
        // The recording in a larger window, 110 s of it at 8x.
        shoot(
            &standalone,
            display,
            &real,
            8.0,
            Some((1400, 900)),
            14,
            &root.join("docs/editor-large.png"),
        )
    })();
    let _ = xvfb.kill();
    let _ = xvfb.wait();
    result?;
    eprintln!("==> wrote docs/editor.png and docs/editor-large.png");
    Ok(())
}

/// Runs the standalone on `wav` at `speed`x real time on `display`, resizes its window to `size`
/// (or keeps the default), waits `seconds`, and captures the window into `out`.
fn shoot(
    standalone: &Path,
    display: &str,
    wav: &Path,
    speed: f32,
    size: Option<(u32, u32)>,
    seconds: u64,
    out: &Path,
) -> anyhow::Result<()> {
    let mut child = Command::new(standalone)
        .args(["--backend", "dummy", "--sample-rate", "44100"])
        .env("DISPLAY", display)
        .env("MCCLSTM_DEMO_WAV", wav)
        .env("MCCLSTM_DEMO_SPEED", speed.to_string())
        .spawn()
        .context("cannot start the standalone")?;
    let result = (|| -> anyhow::Result<()> {
        std::thread::sleep(std::time::Duration::from_secs(3));
        let window = Command::new("xdotool")
            .args(["search", "--name", "MCCLSTM"])
            .env("DISPLAY", display)
            .output()
            .context("cannot run xdotool")?;
        let id = String::from_utf8_lossy(&window.stdout)
            .lines()
            .last()
            .map(str::to_string)
            .context("the editor window did not appear")?;
        if let Some((w, h)) = size {
            run(
                "resize the editor",
                Command::new("xdotool")
                    .args(["windowsize", &id, &w.to_string(), &h.to_string()])
                    .env("DISPLAY", display),
            )?;
        }
        std::thread::sleep(std::time::Duration::from_secs(seconds));
        let shot = Command::new("import")
            .args(["-display", display, "-window", &id])
            .arg(out)
            .status()
            .context("cannot run import")?;
        anyhow::ensure!(shot.success(), "import could not capture the window");
        Ok(())
    })();
    let _ = child.kill();
    let _ = child.wait();
    result
}
