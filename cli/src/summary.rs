//! `mcclstm set-summary`: stores how a model summarises a whole track from its chunks
//! (`mcclstm.summary`: the mean of their outputs, or the last running estimate) in the model file.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use mcclstm_engine::contract::{self, keys};
use mcclstm_engine::{Summary, atomic_file};

/// `mcclstm set-summary`.
#[derive(clap::Args, Clone, Debug)]
pub struct SetSummaryArgs {
    /// The model file (.onnx).
    #[arg(long)]
    pub model: PathBuf,
    /// `mean`: the mean of every chunk's output (the default of a file without the key);
    /// `last`: the last running estimate.
    #[arg(long)]
    pub rule: Summary,
    /// Where to write the model (default: over `--model`, atomically).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

pub fn run(args: &SetSummaryArgs) -> anyhow::Result<ExitCode> {
    let bytes = std::fs::read(&args.model).with_context(|| format!("{}", args.model.display()))?;
    let written = contract::with_metadata(&bytes, keys::SUMMARY, args.rule.name())
        .with_context(|| format!("{}", args.model.display()))?;
    let out = args.out.as_ref().unwrap_or(&args.model);
    atomic_file::write(out, &written)
        .with_context(|| format!("{}: cannot write", out.display()))?;
    println!(
        "{}: a whole track is summarised by {}",
        out.display(),
        match args.rule {
            Summary::Mean => "the mean of its chunks' outputs",
            Summary::Last => "the last running estimate",
        }
    );
    Ok(ExitCode::SUCCESS)
}
