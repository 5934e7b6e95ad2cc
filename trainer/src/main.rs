//! The `mcclstm` command.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use mcclstm_engine::{Architecture, Model, Preset};
use mcclstm_trainer::analyze::{self, NamedModel};
use mcclstm_trainer::arch::{Activation, ArchConfig};
use mcclstm_trainer::bin_jobs::{self, CvArgs, DataArgs, TrainArgs};
use mcclstm_trainer::export;
use mcclstm_trainer::{demo, features, parity};

/// Training allocates and frees many large tensors; mimalloc keeps that off the critical path
/// (measured in the epoch benchmark, see the trainer's benches).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "mcclstm",
    version,
    about = "Genre and mood of music with the MCCLSTM model (Chen & Wang, ISMIR 2017)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Per-chunk timeline and track summary of audio files (WAV, FLAC, MP3, Ogg Vorbis, Sun .au).
    Analyze {
        /// Audio files to analyse.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Model files (.onnx); repeat for several models. Default: the embedded genre and mood
        /// models.
        #[arg(long = "model", short = 'm')]
        models: Vec<PathBuf>,
        /// Print JSON (one array of file results) instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Write a file's log-mel frames as a float32 .npy of shape (frames, mels).
    Features {
        file: PathBuf,
        /// Frontend preset: paper (22050 Hz, 3.715 s chunks) or paper-44k (44100 Hz, 1.858 s).
        #[arg(long, default_value = "paper")]
        preset: Preset,
        #[arg(long)]
        out: PathBuf,
    },
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
        #[arg(long, default_value_t = mcclstm_trainer::arch::DEFAULT_FILTERS)]
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
    /// Track accuracy and confusion matrix of a model file on a data set (the engine's path, as
    /// `analyze`).
    Evaluate(bin_jobs::EvaluateArgs),
    /// Synthesise a demo track and analyse it with the embedded genre and mood models.
    Demo {
        /// Where to write demo.wav.
        #[arg(long, default_value = "target/demo")]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum DatasetCommand {
    /// Classes, track counts, durations and the files that cannot be used (features are computed
    /// and cached on the way, so a later `train` or `cv` starts at once).
    Inspect(DataArgs),
    /// Make a training set from MIDI the project writes (genre, mood) or from ABC dance tunes
    /// (dance), rendered with a General MIDI SoundFont.
    Make(bin_jobs::MakeArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Analyze {
            files,
            models,
            json,
        } => run_analyze(&files, &models, json),
        Command::Features { file, preset, out } => run_features(&file, preset, &out),
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
        Command::Demo { out } => run_demo(&out),
        Command::Dataset {
            command: DatasetCommand::Inspect(args),
        } => bin_jobs::inspect(&args),
        Command::Dataset {
            command: DatasetCommand::Make(args),
        } => bin_jobs::make(&args),
        Command::Train(args) => bin_jobs::train(&args),
        Command::Cv(args) => bin_jobs::cv(&args),
        Command::Evaluate(args) => bin_jobs::evaluate(&args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn load_models(paths: &[PathBuf]) -> anyhow::Result<Vec<NamedModel>> {
    if paths.is_empty() {
        return mcclstm_trainer::defaults::load();
    }
    paths
        .iter()
        .map(|path| {
            let model = Model::from_file(path).with_context(|| format!("{}", path.display()))?;
            Ok(NamedModel {
                path: path.clone(),
                model,
            })
        })
        .collect()
}

fn run_analyze(files: &[PathBuf], models: &[PathBuf], json: bool) -> anyhow::Result<ExitCode> {
    let models = load_models(models)?;
    let progress = if files.len() > 1 {
        let bar = ProgressBar::new(files.len() as u64);
        bar.set_style(
            ProgressStyle::with_template("{bar:30} {pos}/{len} files, {elapsed} (eta {eta}) {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let mut results = Vec::with_capacity(files.len());
    let mut failed = 0;
    for file in files {
        progress.set_message(file.display().to_string());
        let result = analyze::analyze_file(file, &models);
        if let Some(error) = &result.error {
            failed += 1;
            progress.suspend(|| eprintln!("error: {error}"));
        } else if !json {
            progress.suspend(|| print!("{}", analyze::render_text(&result)));
        }
        results.push(result);
        progress.inc(1);
    }
    progress.finish_and_clear();
    if json {
        let mut stdout = std::io::stdout().lock();
        serde_json::to_writer_pretty(&mut stdout, &results)?;
        writeln!(stdout)?;
    }
    if failed > 0 {
        eprintln!("{failed} of {} file(s) could not be analysed", files.len());
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

fn run_features(file: &Path, preset: Preset, out: &Path) -> anyhow::Result<ExitCode> {
    let frames = features::compute(file, preset)?;
    features::write_npy(out, &frames)?;
    println!(
        "{}: {} frames x {} mels ({preset}) -> {}",
        file.display(),
        frames.len(),
        frames.n_mels,
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn run_export_random(
    config: &ArchConfig,
    task: String,
    labels: Vec<String>,
    preset: Preset,
    seed: u64,
    out: &Path,
) -> anyhow::Result<ExitCode> {
    let (weights, meta) = demo::random_model(config, task, labels, preset, seed)?;
    let report = parity::check_export(config, &weights, &meta, seed)?;
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

fn run_demo(out: &Path) -> anyhow::Result<ExitCode> {
    std::fs::create_dir_all(out).with_context(|| format!("{}: cannot create", out.display()))?;
    let wav = out.join("demo.wav");
    demo::write_demo_track(&wav, 20.0)?;
    println!(
        "Wrote {} (a synthesised four-chord groove at 120 BPM) and analysed it with the embedded \
         genre and mood models.\nThey were trained on music the project makes (General MIDI \
         rendered with a SoundFont; see models/*.MODEL_CARD.md), so treat their view of real \
         recordings as an estimate.\n",
        wav.display()
    );
    run_analyze(&[wav], &[], false)
}
