//! `mcclstm evaluate`: the command-line front of `mcclstm_data::evaluate`.

use std::path::PathBuf;
use std::process::ExitCode;

use indicatif::{ProgressBar, ProgressStyle};
use mcclstm_data::dataset::DatasetKind;
use mcclstm_data::evaluate::{TagComparison, TagEvaluation, TrackOutcome};
use mcclstm_data::metrics::Interval;

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
    /// Another multi-label model to compare with on the same chunks: the difference of each
    /// tag's ROC-AUC (this model minus the other) with a 95% interval from a paired bootstrap
    /// over tracks.
    #[arg(long, value_name = "MODEL")]
    pub against: Option<PathBuf>,
    /// Print JSON (with every track's outcome under `per_track`).
    #[arg(long)]
    pub json: bool,
    /// Also list each track the model gets wrong: its path, its label, what the model called it
    /// and with what probability (exclusive classes).
    #[arg(long)]
    pub list_wrong: bool,
}

/// `--against`'s report: the other model's own figures and the paired difference.
#[derive(serde::Serialize)]
struct Against<'a> {
    model: &'a std::path::Path,
    evaluation: &'a TagEvaluation,
    difference: &'a TagComparison,
}

/// `mcclstm evaluate --json` on a multi-label model.
#[derive(serde::Serialize)]
struct TagReport<'a> {
    #[serde(flatten)]
    evaluation: &'a TagEvaluation,
    #[serde(skip_serializing_if = "Option::is_none")]
    against: Option<Against<'a>>,
}

fn interval(i: Option<Interval>, signed: bool) -> String {
    match i {
        Some(i) if signed => format!("[{:+.3}, {:+.3}]", i.low, i.high),
        Some(i) => format!("[{:.3}, {:.3}]", i.low, i.high),
        None => "[-]".to_string(),
    }
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
        anyhow::ensure!(
            !args.list_wrong,
            "--list-wrong lists tracks of exclusive classes; {} is a multi-label (tag) model, \
             whose figures are per tag",
            args.model.display()
        );
        let other = match &args.against {
            Some(path) => {
                let other = mcclstm_engine::Model::from_file(path)
                    .with_context(|| format!("{}", path.display()))?;
                anyhow::ensure!(
                    other.description().outputs == mcclstm_engine::Outputs::Independent,
                    "{}: --against compares two multi-label (tag) models",
                    path.display()
                );
                bar.set_length(2 * dataset.tracks.len() as u64);
                Some(other)
            }
            None => None,
        };
        let evaluation = mcclstm_data::evaluate::evaluate_tags(&model, &dataset, &|| bar.inc(1))?;
        let compared = match &other {
            Some(other) => {
                let theirs =
                    mcclstm_data::evaluate::evaluate_tags(other, &dataset, &|| bar.inc(1))?;
                let difference = mcclstm_data::evaluate::compare_tags(&evaluation, &theirs)?;
                Some((theirs, difference))
            }
            None => None,
        };
        bar.finish_and_clear();
        let tag_report = TagReport {
            evaluation: &evaluation,
            against: args.against.as_deref().zip(compared.as_ref()).map(
                |(model, (evaluation, difference))| Against {
                    model,
                    evaluation,
                    difference,
                },
            ),
        };
        return report(args, &tag_report, &evaluation.skipped, || {
            println!(
                "{}: {} tracks, {} chunks; ROC-AUC per tag (present: target at least {}), 95% \
                 intervals from {} resamples of the tracks",
                args.model.display(),
                evaluation.tracks,
                evaluation.chunks,
                evaluation.on_at,
                evaluation.resamples
            );
            let differences = compared.as_ref().map(|(_, d)| &d.tags);
            for (i, t) in evaluation.tags.iter().enumerate() {
                let auc = t.roc_auc.map_or("-".to_string(), |a| format!("{a:.3}"));
                let versus = differences.map_or(String::new(), |d| {
                    let d = &d[i];
                    let diff = d.difference.map_or("-".to_string(), |x| format!("{x:+.3}"));
                    format!("  vs other {diff} {}", interval(d.interval, true))
                });
                println!(
                    "  {:<14} {auc:>6} {:<16} ({} present in {} tracks, {} absent){versus}",
                    t.tag,
                    interval(t.interval, false),
                    t.positives,
                    t.positive_tracks,
                    t.negatives
                );
            }
            let mean = evaluation
                .mean_roc_auc
                .map_or("-".to_string(), |m| format!("{m:.3}"));
            println!(
                "  {:<14} {mean:>6} {}",
                "mean",
                interval(evaluation.mean_interval, false)
            );
            if let (Some(path), Some((_, d))) = (&args.against, &compared) {
                let diff = d
                    .mean_difference
                    .map_or("-".to_string(), |x| format!("{x:+.3}"));
                println!(
                    "mean ROC-AUC minus {}'s on the same {} chunks: {diff} {}",
                    path.display(),
                    d.chunks,
                    interval(d.mean_interval, true)
                );
            }
        });
    }
    anyhow::ensure!(
        args.against.is_none(),
        "--against compares two multi-label (tag) models; {} has exclusive classes",
        args.model.display()
    );
    let evaluation = mcclstm_data::evaluate::evaluate(&model, &dataset, &|| bar.inc(1))?;
    bar.finish_and_clear();
    report(args, &evaluation, &evaluation.skipped, || {
        let range = evaluation.accuracy_interval.map_or(String::new(), |i| {
            format!(
                " (95% interval {:.1}-{:.1}%)",
                100.0 * i.low,
                100.0 * i.high
            )
        });
        println!(
            "{}: {:.1}% of {} tracks correct{range}",
            args.model.display(),
            100.0 * evaluation.accuracy,
            evaluation.tracks
        );
        print!("{}", evaluation.confusion.to_text());
        if args.list_wrong {
            list_wrong(&evaluation.per_track);
        }
    })
}

/// The tracks a model got wrong, one line each, in the data set's order.
fn list_wrong(outcomes: &[TrackOutcome]) {
    let wrong: Vec<&TrackOutcome> = outcomes.iter().filter(|t| !t.correct()).collect();
    println!("{} of {} tracks wrong:", wrong.len(), outcomes.len());
    for t in wrong {
        let p = t.summary.iter().copied().fold(0.0f32, f32::max);
        println!(
            "  {}: {} called {} ({:.0}%)",
            t.path.display(),
            t.label,
            t.predicted,
            100.0 * p
        );
    }
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
