//! `mcclstm calibrate`: fits a model's temperature on held-out audio, stores it with the "unsure"
//! threshold in the model file (`mcclstm.confidence`), and reports the calibration before and
//! after, cross-fitted (`mcclstm_data::calibration`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use mcclstm_data::calibration::{self, Calibration, Figures};
use mcclstm_data::dataset::DatasetKind;
use mcclstm_engine::confidence::DEFAULT_UNSURE_BELOW;
use mcclstm_engine::contract::{self, keys};
use mcclstm_engine::{Model, atomic_file};

/// `mcclstm calibrate`.
#[derive(clap::Args, Clone, Debug)]
pub struct CalibrateArgs {
    /// The model file (.onnx). Its present calibration, if any, is ignored and replaced.
    #[arg(long)]
    pub model: PathBuf,
    /// Layout of the held-out data set (audio the model never trained on).
    #[arg(long)]
    pub dataset: DatasetKind,
    /// Its folder or CSV (`path,label[,group]`: groups keep a package or artist in one fold).
    #[arg(long)]
    pub root: PathBuf,
    /// Calibrated top-class probability below which the model's verdict is "unsure".
    #[arg(long, default_value_t = DEFAULT_UNSURE_BELOW)]
    pub unsure_below: f32,
    /// Where to write the calibrated model (default: over `--model`, atomically).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Measure and report only; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: &CalibrateArgs) -> anyhow::Result<ExitCode> {
    let bytes = std::fs::read(&args.model).with_context(|| format!("{}", args.model.display()))?;
    let model = Model::from_bytes(&bytes).with_context(|| format!("{}", args.model.display()))?;
    let dataset = mcclstm_data::dataset::open(args.dataset, &args.root)?;
    let bar = if args.json {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(dataset.tracks.len() as u64).with_style(
            ProgressStyle::with_template("analysing [{bar:30}] {pos}/{len} tracks, ETA {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        )
    };
    let (tracks, skipped) = calibration::collect(&model, &dataset, &|| bar.inc(1))?;
    bar.finish_and_clear();
    let mut fitted = calibration::calibrate(&tracks, args.unsure_below)?;
    fitted.skipped = skipped;
    let fitted_on = serde_json::json!({
        "dataset": args.dataset.to_string(),
        "root": shown(&args.root),
    });
    let confidence = fitted.confidence(fitted_on);
    let written = if args.dry_run {
        None
    } else {
        let out = args.out.clone().unwrap_or_else(|| args.model.clone());
        let value = serde_json::to_string(&confidence)?;
        let calibrated = contract::with_metadata(&bytes, keys::CONFIDENCE, &value)
            .context("the calibrated model does not pass the contract")?;
        atomic_file::write(&out, &calibrated)
            .with_context(|| format!("{}: cannot write", out.display()))?;
        Some(out)
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&fitted)?);
    } else {
        for (path, reason) in &fitted.skipped {
            eprintln!("skipped {}: {reason}", path.display());
        }
        print!("{}", report(&fitted));
        match written {
            Some(out) => println!("wrote {}", out.display()),
            None => println!("(dry run: nothing written)"),
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The calibration as text: the temperature and a before/after table.
pub fn report(c: &Calibration) -> String {
    let spread = if c.fold_temperatures.is_empty() {
        String::new()
    } else {
        let lo = c.fold_temperatures.iter().copied().fold(f32::MAX, f32::min);
        let hi = c.fold_temperatures.iter().copied().fold(f32::MIN, f32::max);
        format!(" (folds: {lo:.2}–{hi:.2})")
    };
    let kept = if c.applied {
        "applied".to_string()
    } else {
        "not applied: no better than the raw outputs on unseen folds, temperature 1 stored"
            .to_string()
    };
    let mut out = format!(
        "fitted temperature {:.3}{spread} ({kept}), unsure below {:.2}; {} tracks, {} chunks, \
         {} folds by {}\n",
        c.fitted_temperature, c.unsure_below, c.raw.tracks, c.raw.chunks, c.folds, c.folds_by
    );
    out.push_str(
        "                     NLL    ECE  accuracy  unsure  right when sure  right when unsure\n",
    );
    let row = |name: &str, f: &Figures| {
        format!(
            "{name:<17} {:>6.3} {:>6.3} {:>8.1}% {:>6.1}% {:>15.1}% {:>17.1}%\n",
            f.nll,
            f.ece,
            100.0 * f.accuracy,
            100.0 * f.unsure,
            100.0 * f.accuracy_when_sure,
            100.0 * f.accuracy_when_unsure
        )
    };
    out.push_str(&row("raw", &c.raw));
    if c.folds >= 2 {
        out.push_str(&row("calibrated (cv)", &c.cross_fitted));
    } else {
        out.push_str("calibrated (cv)   — one group only: nothing to cross-fit\n");
    }
    out
}

/// A path as the model file names it: relative to the working folder where it lies inside it.
fn shown(path: &Path) -> String {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| path.to_path_buf())
        .display()
        .to_string()
}
