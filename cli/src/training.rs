//! The training commands (`train`, `cv`, `dataset inspect`, `dataset make`, `export-random`) are
//! in `mcclstm-train`, so that `mcclstm` links neither burn nor ONNX Runtime. `mcclstm COMMAND`
//! runs `mcclstm-train COMMAND` with the same arguments, as git runs `git-COMMAND`: from the
//! folder of this executable first (where cargo builds both), else from the `PATH`.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};

/// The training binary's name.
pub const TRAINING_BINARY: &str = "mcclstm-train";

/// Where `mcclstm-train` is: beside this executable, else on the `PATH`.
pub fn find() -> Option<PathBuf> {
    let name = format!("{TRAINING_BINARY}{}", std::env::consts::EXE_SUFFIX);
    let beside = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join(&name)));
    if let Some(path) = beside.filter(|p| p.is_file()) {
        return Some(path);
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(&name))
            .find(|p| p.is_file())
    })
}

/// Runs `mcclstm-train` with `args` (the subcommand first) and passes on its exit code.
pub fn run(args: &[OsString]) -> anyhow::Result<ExitCode> {
    let command = args
        .first()
        .map(|a| a.to_string_lossy().into_owned())
        .unwrap_or_default();
    if !["train", "cv", "dataset", "export-random"].contains(&command.as_str()) {
        bail!("unknown command `{command}` (see `mcclstm --help`)");
    }
    let Some(binary) = find() else {
        bail!(
            "`mcclstm {command}` is a training command, run by `{TRAINING_BINARY}`, which is not \
             installed beside mcclstm or on the PATH: build it with \
             `cargo build --release -p mcclstm-trainer`"
        );
    };
    let status = std::process::Command::new(&binary)
        .args(args)
        .status()
        .with_context(|| format!("cannot run {}", binary.display()))?;
    Ok(match status.code() {
        Some(0) => ExitCode::SUCCESS,
        Some(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        None => ExitCode::FAILURE,
    })
}
