//! `mcclstm-train`: the training commands (train, cv, dataset inspect, dataset make,
//! export-random). `mcclstm COMMAND` runs this binary for them when it is installed beside it.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use mcclstm_engine::{Architecture, Preset};
use mcclstm_onnx::arch::{Activation, ArchConfig};
use mcclstm_onnx::{export, parity, random};
use mcclstm_trainer::commands::{self, CvArgs, DataArgs, TrainArgs};

/// Training allocates and frees many large tensors; mimalloc keeps that off the critical path
/// (measured in the epoch benchmark, see the trainer's benches).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "mcclstm-train",
    version,
    about = "Train the MCCLSTM model and the paper's other architectures (Chen & Wang, ISMIR 2017)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write a model file with random weights (a development model, for the plugin and tests),
    /// checked against ONNX Runtime before it is written.
    ExportRandom {
        #[arg(long, default_value = "MCCLSTM")]
        arch: Architecture,
        /// What the labels describe (genre, mood, dance, or your own name).
        #[arg(long)]
        task: String,
        /// Comma-separated class labels.
        #[arg(long, value_delimiter = ',', required = true)]
        labels: Vec<String>,
        #[arg(long, default_value = "paper")]
        preset: Preset,
        #[arg(long, default_value_t = mcclstm_onnx::arch::DEFAULT_FILTERS)]
        filters: usize,
        #[arg(long, default_value = "relu")]
        activation: Activation,
        /// Dense units (default: the paper's size for the architecture).
        #[arg(long)]
        dense: Option<usize>,
        /// LSTM units (default: the paper's size for the architecture).
        #[arg(long)]
        lstm: Option<usize>,
        #[arg(long, default_value_t = 0)]
        seed: u64,
        #[arg(long)]
        out: PathBuf,
    },
    /// Data sets: `mcclstm dataset inspect` lists classes, counts, durations and unusable files.
    Dataset {
        #[command(subcommand)]
        command: DatasetCommand,
    },
    /// Train one architecture on a data set and export it as a checked model file with a model
    /// card.
    Train(Box<TrainArgs>),
    /// The paper's protocol: seeded stratified 80/10/10 splits, every chosen architecture on the
    /// same splits, the accuracy table and confusion matrices.
    Cv(Box<CvArgs>),
    /// Set sections of a model card (data beside the model) and render its Markdown again.
    Card(CardArgs),
    /// Draw the confusion matrix of an `mcclstm evaluate --json` report as a PNG heat map.
    Confusion(ConfusionArgs),
}

/// `mcclstm-train confusion`: the PNG of an evaluation's confusion matrix (`cargo xtask models`
/// draws the real-music ones of the cards this way).
#[derive(clap::Args)]
struct ConfusionArgs {
    /// The JSON that `mcclstm evaluate --json` printed.
    #[arg(long)]
    report: PathBuf,
    /// The PNG to write.
    #[arg(long)]
    out: PathBuf,
    /// The picture's title.
    #[arg(long)]
    title: String,
}

/// `mcclstm-train card`: sets sections of a model's card (its `NAME.card.json`) and renders
/// `NAME.MODEL_CARD.md` again. `cargo xtask models` adds what training cannot know this way.
#[derive(clap::Args)]
struct CardArgs {
    /// The model whose card to change (`NAME.onnx`; the card is `NAME.card.json`).
    #[arg(long)]
    model: PathBuf,
    /// A JSON array of `{"heading": ..., "body": ...}`: each replaces the section of that
    /// heading, or is appended.
    #[arg(long)]
    sections: PathBuf,
    /// Put the section with this heading at the top (repeat for several, in order).
    #[arg(long)]
    first: Vec<String>,
}

#[derive(Subcommand)]
enum DatasetCommand {
    /// Classes, track counts, durations and the files that cannot be used (features are computed
    /// and cached on the way, so a later `train` or `cv` starts at once).
    Inspect(DataArgs),
    /// Make a training set from MIDI the project writes (genre, mood) or from ABC dance tunes
    /// (dance), rendered with a General MIDI SoundFont.
    Make(commands::MakeArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::ExportRandom {
            arch,
            task,
            labels,
            preset,
            filters,
            activation,
            dense,
            lstm,
            seed,
            out,
        } => {
            let mut config = ArchConfig::paper(arch);
            config.filters = filters;
            config.activation = activation;
            config.dense = dense.unwrap_or(config.dense);
            config.lstm = lstm.unwrap_or(config.lstm);
            run_export_random(&config, task, labels, preset, seed, &out)
        }
        Command::Dataset {
            command: DatasetCommand::Inspect(args),
        } => commands::inspect(&args),
        Command::Dataset {
            command: DatasetCommand::Make(args),
        } => commands::make(&args),
        Command::Train(args) => commands::train(&args),
        Command::Cv(args) => commands::cv(&args),
        Command::Card(args) => run_card(&args),
        Command::Confusion(args) => run_confusion(&args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run_export_random(
    config: &ArchConfig,
    task: String,
    labels: Vec<String>,
    preset: Preset,
    seed: u64,
    out: &Path,
) -> anyhow::Result<ExitCode> {
    let (weights, meta) = random::random_model(config, task, labels, preset, seed)?;
    let probe = parity::random_chunks(parity::ROLLOUT_CHUNKS, meta.frontend.chunk_len(), seed);
    let report = parity::check_export(config, &weights, &meta, &probe)?;
    let bytes = export::model_bytes(config, &weights, &meta)?;
    export::write_model(out, &bytes)?;
    println!(
        "{}: {} ({} bytes), tract vs ONNX Runtime max difference {:.1e}",
        out.display(),
        config.architecture,
        bytes.len(),
        report.worst()
    );
    Ok(ExitCode::SUCCESS)
}

fn run_card(args: &CardArgs) -> anyhow::Result<ExitCode> {
    use anyhow::Context;
    use mcclstm_trainer::card::{CardSection, ModelCard};
    let mut card = ModelCard::read(&args.model)?;
    let text = std::fs::read(&args.sections)
        .with_context(|| format!("{}: cannot read", args.sections.display()))?;
    let sections: Vec<CardSection> = serde_json::from_slice(&text)
        .with_context(|| format!("{}: not a JSON array of sections", args.sections.display()))?;
    for s in &sections {
        card.set_section(&s.heading, &s.body);
    }
    card.put_first(&args.first);
    card.write(&args.model)?;
    println!(
        "{}: {} section(s) set",
        ModelCard::markdown_path(&args.model).display(),
        sections.len()
    );
    Ok(ExitCode::SUCCESS)
}

fn run_confusion(args: &ConfusionArgs) -> anyhow::Result<ExitCode> {
    use anyhow::Context;
    #[derive(serde::Deserialize)]
    struct Report {
        confusion: mcclstm_data::metrics::Confusion,
    }
    let text = std::fs::read(&args.report)
        .with_context(|| format!("{}: cannot read", args.report.display()))?;
    let report: Report = serde_json::from_slice(&text).with_context(|| {
        format!(
            "{}: not the JSON of `mcclstm evaluate --json` on a classifier",
            args.report.display()
        )
    })?;
    mcclstm_trainer::plot::write_confusion_png(&report.confusion, &args.out, &args.title)?;
    println!("{}: written", args.out.display());
    Ok(ExitCode::SUCCESS)
}
