//! `mcclstm evaluate`: the command-line front of `mcclstm_data::evaluate`.

use std::path::PathBuf;
use std::process::ExitCode;

use indicatif::{ProgressBar, ProgressStyle};
use mcclstm_data::dataset::DatasetKind;

/// `mcclstm evaluate`.
#[derive(clap::Args, Clone, Debug)]
pub struct EvaluateArgs {
    /// The model file (.onnx).
    #[arg(long)]
    pub model: PathBuf,
    /// Layout of the data set.
    #[arg(long)]
    pub dataset: DatasetKind,
    /// Its folder or CSV.
    #[arg(long)]
    pub root: PathBuf,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: &EvaluateArgs) -> anyhow::Result<ExitCode> {
    use anyhow::Context;
    let model = mcclstm_engine::Model::from_file(&args.model)
        .with_context(|| format!("{}", args.model.display()))?;
    let dataset = mcclstm_data::dataset::open(args.dataset, &args.root)?;
    let bar = if args.json {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(dataset.tracks.len() as u64).with_style(
            ProgressStyle::with_template("evaluating [{bar:30}] {pos}/{len} tracks, ETA {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        )
    };
    if model.description().outputs == mcclstm_engine::Outputs::Independent {
        let evaluation = mcclstm_data::evaluate::evaluate_tags(&model, &dataset, &|| bar.inc(1))?;
        bar.finish_and_clear();
        return report(args, &evaluation, &evaluation.skipped, || {
            println!(
                "{}: {} tracks, {} chunks; ROC-AUC per tag (present: target at least {})",
                args.model.display(),
                evaluation.tracks,
                evaluation.chunks,
                evaluation.on_at
            );
            for t in &evaluation.tags {
                let auc = t.roc_auc.map_or("-".to_string(), |a| format!("{a:.3}"));
                println!(
                    "  {:<14} {auc:>6}  ({} present, {} absent)",
                    t.tag, t.positives, t.negatives
                );
            }
        });
    }
    let evaluation = mcclstm_data::evaluate::evaluate(&model, &dataset, &|| bar.inc(1))?;
    bar.finish_and_clear();
    report(args, &evaluation, &evaluation.skipped, || {
        println!(
            "{}: {:.1}% of {} tracks correct",
            args.model.display(),
            100.0 * evaluation.accuracy,
            evaluation.tracks
        );
        print!("{}", evaluation.confusion.to_text());
    })
}

/// Prints an evaluation: JSON with `--json`, else the skipped files on stderr and `text`.
fn report(
    args: &EvaluateArgs,
    evaluation: &impl serde::Serialize,
    skipped: &[(PathBuf, String)],
    text: impl FnOnce(),
) -> anyhow::Result<ExitCode> {
    if args.json {
        println!("{}", serde_json::to_string_pretty(evaluation)?);
        return Ok(ExitCode::SUCCESS);
    }
    for (path, reason) in skipped {
        eprintln!("skipped {}: {reason}", path.display());
    }
    text();
    Ok(ExitCode::SUCCESS)
}
