//! The `mcclstm` command: analyze, features, evaluate and demo, on the engine and the embedded
//! models only. The training commands (`train`, `cv`, `dataset`, `export-random`) are in
//! `mcclstm-train` (crate `mcclstm-trainer`), which this command runs for them when it is
//! installed beside it, so `mcclstm train ...` works as before without linking burn here.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use std::ffi::OsString;

use anyhow::Context;
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use mcclstm_cli::analyze::{self, NamedModel, SilenceReset};
use mcclstm_cli::{calibrate, demo, evaluate, features, summary, training};
use mcclstm_engine::{Model, Preset};

/// mimalloc keeps the memory a freed buffer had and hands it to the next one: a model load
/// decodes 4.5 MB of weights, packs them and frees the decoded file, and with the system
/// allocator every such buffer came from fresh pages (about 1 ms of page faults per MB here).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "mcclstm",
    version,
    about = "Genre and mood of music with the MCCLSTM model (Chen & Wang, ISMIR 2017)",
    after_help = "Training commands (train, cv, dataset inspect, dataset make, export-random) \
                  are in mcclstm-train; `mcclstm COMMAND` runs it when it is installed beside \
                  mcclstm (cargo build --release -p mcclstm-trainer)."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Per-chunk timeline and track summary of audio files (WAV, FLAC, MP3, Ogg Vorbis, Sun .au).
    Analyze {
        /// Audio files to analyse, or folders (every audio file under them, in path order).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Model files (.onnx), or `embedded:NAME` for an embedded model (genre, mood, dance,
        /// style); repeat for several models. Default: the embedded genre and mood models.
        #[arg(long = "model", short = 'm')]
        models: Vec<PathBuf>,
        /// Print JSON (one array of file results) instead of text.
        #[arg(long)]
        json: bool,
        /// Seconds of silence after which the analysis takes the track to have ended and starts
        /// over, as the plugin's "Silence reset" parameter does; `off` analyses a file as one
        /// track.
        #[arg(long, default_value = "5")]
        silence_reset: SilenceReset,
        /// Files analysed at once (default: every core). The output keeps the input order.
        #[arg(long, short = 'j')]
        jobs: Option<usize>,
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
    /// Track accuracy and confusion matrix of a model file on a data set (the engine's path, as
    /// `analyze`).
    Evaluate(evaluate::EvaluateArgs),
    /// Fit a model's calibration on held-out audio and store it, with the "unsure" threshold, in
    /// the model file; reports the calibration error before and after (cross-fitted).
    Calibrate(calibrate::CalibrateArgs),
    /// Store how a model summarises a whole track in the model file: the mean of its chunks'
    /// outputs (the default) or the last running estimate.
    SetSummary(summary::SetSummaryArgs),
    /// Synthesise a demo track and analyse it with the embedded genre and mood models.
    Demo {
        /// Where to write demo.wav.
        #[arg(long, default_value = "target/demo")]
        out: PathBuf,
    },
    /// A training command: run by `mcclstm-train`.
    #[command(external_subcommand)]
    Training(Vec<OsString>),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Analyze {
            files,
            models,
            json,
            silence_reset,
            jobs,
        } => run_analyze(&files, &models, json, silence_reset, jobs),
        Command::Features { file, preset, out } => run_features(&file, preset, &out),
        Command::Demo { out } => run_demo(&out),
        Command::Evaluate(args) => evaluate::run(&args),
        Command::Calibrate(args) => calibrate::run(&args),
        Command::SetSummary(args) => summary::run(&args),
        Command::Training(args) => training::run(&args),
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
        return analyze::default_models();
    }
    paths
        .iter()
        .map(|path| {
            let model = match path.to_str().and_then(|p| p.strip_prefix("embedded:")) {
                Some(name) => analyze::embedded_model(name)?,
                None => Model::from_file(path).with_context(|| format!("{}", path.display()))?,
            };
            Ok(NamedModel {
                path: path.clone(),
                model,
            })
        })
        .collect()
}

fn run_analyze(
    inputs: &[PathBuf],
    models: &[PathBuf],
    json: bool,
    silence_reset: SilenceReset,
    jobs: Option<usize>,
) -> anyhow::Result<ExitCode> {
    let models = load_models(models)?;
    // Folders become the audio files under them; a folder without any is an error of its own.
    let mut files = Vec::new();
    let mut empty_folders = 0;
    for input in inputs {
        if input.is_dir() {
            let found = mcclstm_data::dataset::audio_files_under(input)?;
            if found.is_empty() {
                eprintln!("error: {}: no audio files in this folder", input.display());
                empty_folders += 1;
            }
            files.extend(found);
        } else {
            files.push(input.clone());
        }
    }
    let jobs = jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .clamp(1, files.len().max(1));
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
    // `jobs` workers take the next file; results are reported in input order as soon as every
    // file before them is done.
    let next = std::sync::atomic::AtomicUsize::new(0);
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            let sender = sender.clone();
            let (next, files, models) = (&next, &files, &models);
            scope.spawn(move || {
                let mut analyzer = analyze::FileAnalyzer::new(models);
                loop {
                    let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(file) = files.get(k) else { break };
                    let result = analyzer.analyze(file, silence_reset);
                    if sender.send((k, result)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(sender);
        let mut waiting = std::collections::BTreeMap::new();
        for (k, result) in receiver {
            waiting.insert(k, result);
            while let Some(result) = waiting.remove(&results.len()) {
                if let Some(error) = &result.error {
                    failed += 1;
                    progress.suspend(|| eprintln!("error: {error}"));
                } else if !json {
                    progress.suspend(|| print!("{}", analyze::render_text(&result)));
                }
                progress.set_message(result.file.display().to_string());
                results.push(result);
                progress.inc(1);
            }
        }
    });
    progress.finish_and_clear();
    if json {
        let mut stdout = std::io::stdout().lock();
        serde_json::to_writer_pretty(&mut stdout, &results)?;
        writeln!(stdout)?;
    }
    if failed > 0 {
        eprintln!("{failed} of {} file(s) could not be analysed", files.len());
    }
    if failed > 0 || empty_folders > 0 {
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

fn run_demo(out: &Path) -> anyhow::Result<ExitCode> {
    std::fs::create_dir_all(out).with_context(|| format!("{}: cannot create", out.display()))?;
    let wav = out.join("demo.wav");
    demo::write_demo_track(&wav, 20.0)?;
    println!(
        "Wrote {} (a synthesised four-chord groove at 120 BPM) and analysed it with the embedded \
         genre and mood models.\nThey learned from music the project makes (General MIDI \
         rendered with a SoundFont) and from recorded game soundtracks taught by a real-music \
         tagger, which cover only some genres and moods (see models/*.MODEL_CARD.md): treat \
         their view of your recordings as an estimate.\n",
        wav.display()
    );
    run_analyze(&[wav], &[], false, SilenceReset::default(), Some(1))
}
