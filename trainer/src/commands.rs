//! The command-line front of `mcclstm-train` (`dataset inspect`, `dataset make`, `train`, `cv`):
//! arguments, progress bars, text and JSON output. The work itself is in [`crate::protocol`] and
//! `mcclstm_synth`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use mcclstm_engine::{Architecture, Preset};

use crate::model::Init;
use crate::protocol::{self, CvJob, CvProgress, DataSource, FoldResult, ModelOptions, TrainJob};
use crate::train::{EpochReport, LossMode, Progress, Selection, TrainOptions};
use mcclstm_data::cache;
use mcclstm_data::dataset::DatasetKind;
use mcclstm_onnx::arch::Activation;

/// Where the data is.
#[derive(clap::Args, Clone, Debug)]
pub struct DataArgs {
    /// Layout of the data set.
    #[arg(long)]
    pub dataset: DatasetKind,
    /// Its folder (or, for `generic`, a folder of label folders or a `path,label[,group]` CSV).
    #[arg(long)]
    pub root: PathBuf,
    /// Frontend preset: paper (22050 Hz, 3.715 s chunks) or paper-44k (44100 Hz, 1.858 s).
    #[arg(long, default_value = "paper")]
    pub preset: Preset,
    /// Mel bands of the frontend instead of the preset's 40, over the same range (the model file
    /// stores its frontend, so `analyze` and the plugin compute the same features). The paper's
    /// kernels were sized for 40: more bands make the convolutions and the dense layer larger.
    #[arg(long)]
    pub mels: Option<usize>,
    /// Feature cache folder (default: $MCCLSTM_CACHE or ~/.cache/mcclstm/features).
    #[arg(long)]
    pub cache: Option<PathBuf>,
    /// Fail on the first unreadable, empty or too-short file instead of skipping it.
    #[arg(long)]
    pub strict: bool,
    /// Print JSON instead of text and progress bars.
    #[arg(long)]
    pub json: bool,
}

impl DataArgs {
    fn source(&self) -> DataSource {
        DataSource {
            kind: self.dataset,
            root: self.root.clone(),
            preset: self.preset,
            mels: self.mels,
            cache_dir: self.cache.clone().unwrap_or_else(cache::default_dir),
            strict: self.strict,
        }
    }
}

/// Model and optimisation options shared by `train` and `cv`.
#[derive(clap::Args, Clone, Debug)]
pub struct FitArgs {
    /// Filters per convolution (not in the paper).
    #[arg(long, default_value_t = mcclstm_onnx::arch::DEFAULT_FILTERS)]
    pub filters: usize,
    #[arg(long, default_value = "relu")]
    pub activation: Activation,
    /// Dense units (default: the paper's 200 or 400).
    #[arg(long)]
    pub dense: Option<usize>,
    /// LSTM units (default: the paper's 100 or 200).
    #[arg(long)]
    pub lstm: Option<usize>,
    #[arg(long, default_value_t = 0.25)]
    pub dropout: f64,
    /// `default` (Kaiming-uniform) or `paper` (Gaussian, variance 1).
    #[arg(long, value_enum, default_value = "default")]
    pub init: Init,
    #[arg(long, default_value_t = 60)]
    pub epochs: usize,
    /// Epochs without a better validation accuracy before stopping.
    #[arg(long, default_value_t = 10)]
    pub patience: usize,
    /// Tracks per batch.
    #[arg(long, default_value_t = 8)]
    pub batch_size: usize,
    #[arg(long, default_value_t = 1e-3)]
    pub lr: f64,
    #[arg(long, default_value_t = 1e-4)]
    pub weight_decay: f64,
    /// `last` (many-to-one, the paper) or `every-step` (train the live prediction after each chunk).
    #[arg(long, value_enum, default_value = "last")]
    pub loss: LossMode,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Train on sequences of at most this many chunks, cutting longer tracks into consecutive
    /// pieces (0: whole tracks). Validation always runs whole tracks.
    #[arg(long, default_value_t = 0)]
    pub max_chunks: usize,
    /// Weigh each class by the inverse of its share of the training targets (for data sets
    /// whose classes are far from equal, e.g. a teacher's targets on real music); for
    /// independent tags, weigh the chunks where a rare tag is present by its rarity (up to 10x),
    /// with the outputs still estimating the targets.
    #[arg(long)]
    pub balance: bool,
    /// What chooses the best epoch: validation accuracy, or the validation loss (for a teacher's
    /// soft targets; a multi-label model always uses the loss)
    #[arg(long, value_enum, default_value_t = Selection::Accuracy)]
    pub select: Selection,
    /// Train each chunk against the mean of its sequence's targets so far, so the running
    /// estimate learns the track so far, not the chunk (for a teacher's per-chunk targets that
    /// change within a track, e.g. mood; single-label models)
    #[arg(long)]
    pub running_targets: bool,
    /// Augment: each epoch, move each training sequence's mel bands by its own random level,
    /// tilt and bell (each within ±6 dB), as another mix, master or room would. Validation is
    /// never coloured.
    #[arg(long)]
    pub colour: bool,
    /// Stochastic weight averaging: keep the mean of the weights at the end of every epoch from
    /// this one (1-based) to the last, not the best epoch's model. Every epoch then runs
    /// (--patience does not stop the run); validation still reports each epoch
    #[arg(long, value_name = "EPOCH")]
    pub average_from: Option<usize>,
    /// Keep each group (artist, tune; from a generic CSV's third column) inside one split part.
    #[arg(long)]
    pub group_split: bool,
    /// Continue from the last checkpoint of the same run after a kill or Ctrl-C.
    #[arg(long)]
    pub resume: bool,
}

impl FitArgs {
    fn model(&self) -> ModelOptions {
        ModelOptions {
            filters: self.filters,
            activation: self.activation,
            dense: self.dense,
            lstm: self.lstm,
            dropout: self.dropout,
            init: self.init,
        }
    }

    fn options(&self) -> TrainOptions {
        TrainOptions {
            max_epochs: self.epochs,
            patience: self.patience,
            batch_size: self.batch_size,
            learning_rate: self.lr,
            weight_decay: self.weight_decay,
            loss: self.loss,
            seed: self.seed,
            max_chunks: self.max_chunks,
            balance: self.balance,
            select: self.select,
            running_targets: self.running_targets,
            colour: self.colour,
            average_from: self.average_from,
        }
    }
}

fn bar_style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar())
}

/// Loads the data with a progress bar over files, and lists what was skipped.
fn load(
    args: &DataArgs,
) -> anyhow::Result<(
    mcclstm_data::dataset::Dataset,
    mcclstm_data::cache::LoadedDataset,
)> {
    let source = args.source();
    let listing = mcclstm_data::dataset::open(source.kind, &source.root)?;
    let bar = if args.json {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(listing.tracks.len() as u64)
    };
    bar.set_style(bar_style(
        "features {bar:30} {pos}/{len} files {elapsed} (eta {eta})",
    ));
    let loaded = protocol::load(&source, || bar.inc(1));
    bar.finish_and_clear();
    let (dataset, data) = loaded?;
    if !args.json {
        for s in &data.skipped {
            eprintln!("skipped {}: {}", s.path.display(), s.reason);
        }
    }
    Ok((dataset, data))
}

pub fn inspect(args: &DataArgs) -> anyhow::Result<ExitCode> {
    let (dataset, data) = load(args)?;
    let report = cache::inspect(&dataset, &data);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{} data set at {}: {} usable tracks, {:.1} minutes{}",
        report.kind,
        report.root.display(),
        report.tracks,
        report.seconds / 60.0,
        if report.has_groups {
            ", with groups"
        } else {
            ""
        }
    );
    let width = report
        .classes
        .iter()
        .map(|c| c.label.len())
        .max()
        .unwrap_or(5)
        .max(5);
    println!(
        "{:<width$}  {:>6}  {:>8}  {:>7}  {:>7}  {:>6}",
        "class", "tracks", "minutes", "min s", "max s", "chunks"
    );
    for c in &report.classes {
        println!(
            "{:<width$}  {:>6}  {:>8.1}  {:>7.1}  {:>7.1}  {:>6}",
            c.label,
            c.tracks,
            c.seconds_total / 60.0,
            c.seconds_min,
            c.seconds_max,
            c.chunks
        );
    }
    if report.skipped.is_empty() {
        println!("no unreadable or too-short files");
    } else {
        println!("{} file(s) skipped (listed above)", report.skipped.len());
    }
    Ok(ExitCode::SUCCESS)
}

/// Progress bars for training: one per epoch with loss, accuracy and ETA.
struct Bars {
    multi: MultiProgress,
    epoch: ProgressBar,
    label: String,
    json: bool,
    loss_sum: f64,
    batches: u64,
}

impl Bars {
    fn new(json: bool) -> Self {
        let multi = MultiProgress::new();
        if json {
            multi.set_draw_target(indicatif::ProgressDrawTarget::hidden());
        }
        Self {
            multi,
            epoch: ProgressBar::hidden(),
            label: String::new(),
            json,
            loss_sum: 0.0,
            batches: 0,
        }
    }

    fn println(&self, line: String) {
        if self.json {
            return;
        }
        // Without a terminal indicatif draws nothing; logs still want every epoch's line.
        if self.multi.is_hidden() {
            eprintln!("{line}");
        } else {
            let _ = self.multi.println(line);
        }
    }
}

impl Progress for Bars {
    fn epoch_started(&mut self, epoch: usize, batches: usize) {
        self.epoch = self.multi.add(ProgressBar::new(batches as u64));
        self.epoch.set_style(bar_style(
            "{prefix} {bar:30} {pos}/{len} batches, loss {msg} {elapsed} (eta {eta})",
        ));
        self.epoch
            .set_prefix(format!("{}epoch {epoch:>3}", self.label));
        self.loss_sum = 0.0;
        self.batches = 0;
    }

    fn batch_done(&mut self, loss: f64) {
        self.loss_sum += loss;
        self.batches += 1;
        self.epoch
            .set_message(format!("{:.4}", self.loss_sum / self.batches as f64));
        self.epoch.inc(1);
    }

    fn epoch_done(&mut self, r: &EpochReport) {
        self.epoch.finish_and_clear();
        self.multi.remove(&self.epoch);
        if self.json {
            if let Ok(line) = serde_json::to_string(r) {
                eprintln!("{line}");
            }
            return;
        }
        self.println(format!(
            "{}epoch {:>3}  loss {:.4}  train acc {:5.1}%  val acc {:5.1}%  val loss {:.4}  {:.1} s{}",
            self.label,
            r.epoch,
            r.train_loss,
            100.0 * r.train_accuracy,
            100.0 * r.validation_accuracy,
            r.validation_loss,
            r.seconds,
            if r.best { "  *best" } else { "" }
        ));
    }
}

#[derive(clap::Args, Clone, Debug)]
pub struct TrainArgs {
    #[command(flatten)]
    pub data: DataArgs,
    #[arg(long, default_value = "MCCLSTM")]
    pub arch: Architecture,
    #[command(flatten)]
    pub fit: FitArgs,
    /// What the labels describe (default: genre for gtzan, dance for ballroom, mood for
    /// soundtracks, custom otherwise).
    #[arg(long)]
    pub task: Option<String>,
    /// What to call the data in the model's metadata (`trained_on.dataset`) and card.
    #[arg(long)]
    pub data_name: Option<String>,
    /// Share of each class held out for early stopping.
    #[arg(long, default_value_t = 0.1)]
    pub validation: f64,
    /// Choose the epoch on this data set (the same layout as --dataset; its labels among the
    /// training set's, no file in both) instead of holding out --validation of the training set,
    /// whose every track then trains: a fixed development set, or music closer to what the
    /// model will hear than the training set is.
    #[arg(long, value_name = "ROOT", conflicts_with = "validation")]
    pub validation_set: Option<PathBuf>,
    /// The model file to write (a MODEL_CARD.md is written beside it).
    #[arg(long)]
    pub out: PathBuf,
}

pub fn train(args: &TrainArgs) -> anyhow::Result<ExitCode> {
    let (dataset, data) = load(&args.data)?;
    let validation_set = match &args.validation_set {
        Some(root) => {
            let mut source = args.data.clone();
            source.root = root.clone();
            let (_, validation) =
                load(&source).with_context(|| format!("--validation-set {}", root.display()))?;
            Some(protocol::align_validation_set(
                &data,
                &validation,
                root,
                args.fit.group_split,
            )?)
        }
        None => None,
    };
    let job = TrainJob {
        source: args.data.source(),
        arch: args.arch,
        model: args.fit.model(),
        options: args.fit.options(),
        task: args.task.clone(),
        data_name: args.data_name.clone(),
        validation_fraction: args.validation,
        validation_set: args.validation_set.clone(),
        group_split: args.fit.group_split,
        out: args.out.clone(),
        resume: args.fit.resume,
        command: command_line(),
    };
    let mut bars = Bars::new(args.data.json);
    bars.println(format!(
        "training {} on {} tracks of {} classes",
        args.arch,
        data.tracks.len(),
        data.labels.len()
    ));
    let outcome = protocol::run_train(&job, &dataset, &data, validation_set.as_deref(), &mut bars)?;
    if args.data.json {
        println!("{}", serde_json::to_string_pretty(&outcome)?);
    } else {
        println!(
            "{}: {} bytes, validation accuracy {:.2}% (epoch {} of {}); burn vs tract {:.1e}, \
             tract vs ONNX Runtime {:.1e}\nmodel card: {}",
            outcome.exported.path.display(),
            outcome.exported.bytes,
            100.0 * outcome.validation_accuracy,
            outcome.best_epoch,
            outcome.epochs,
            outcome.exported.burn_vs_tract,
            outcome.exported.parity.worst(),
            outcome.model_card.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(clap::Args, Clone, Debug)]
pub struct CvArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// Comma-separated architectures, or `all` (CNNs-3, R0, R1, R2, R3, R4, MCCLSTM).
    #[arg(long, default_value = "all", value_delimiter = ',')]
    pub archs: Vec<String>,
    #[arg(long, default_value_t = 10)]
    pub folds: usize,
    #[command(flatten)]
    pub fit: FitArgs,
    /// Folder for table.md, results.json, confusion matrices and the per-fold runs.
    #[arg(long)]
    pub out: PathBuf,
}

pub fn parse_archs(names: &[String]) -> anyhow::Result<Vec<Architecture>> {
    if names.iter().any(|n| n.eq_ignore_ascii_case("all")) {
        return Ok(Architecture::ALL.to_vec());
    }
    names
        .iter()
        .map(|n| n.parse::<Architecture>().map_err(anyhow::Error::msg))
        .collect()
}

struct CvBars {
    bars: Bars,
}

impl CvProgress for CvBars {
    fn fold_started(&mut self, arch: Architecture, fold: usize, folds: usize) {
        self.bars.label = format!("{arch} fold {fold}/{folds} ");
    }

    fn fold_done(&mut self, arch: Architecture, r: &FoldResult) {
        if self.bars.json
            && let Ok(line) = serde_json::to_string(r)
        {
            eprintln!("{line}");
        }
        self.bars.println(format!(
            "{arch} fold {}: test accuracy {:.2}% ({} test tracks, best epoch {}, {:.0} s)",
            r.fold,
            100.0 * r.test_accuracy,
            r.test_tracks,
            r.best_epoch,
            r.seconds
        ));
    }

    fn training(&mut self) -> &mut dyn Progress {
        &mut self.bars
    }
}

pub fn cv(args: &CvArgs) -> anyhow::Result<ExitCode> {
    let archs = parse_archs(&args.archs)?;
    let (dataset, data) = load(&args.data)?;
    let job = CvJob {
        source: args.data.source(),
        archs,
        folds: args.folds,
        model: args.fit.model(),
        options: args.fit.options(),
        group_split: args.fit.group_split,
        out: args.out.clone(),
        resume: args.fit.resume,
    };
    let mut progress = CvBars {
        bars: Bars::new(args.data.json),
    };
    let outcome = protocol::run_cv(&job, &dataset, &data, &mut progress)?;
    if args.data.json {
        println!("{}", serde_json::to_string_pretty(&outcome)?);
    } else {
        println!("{}", outcome.table_markdown);
        println!(
            "written: {}/table.md, results.json, confusion-*.png and confusion-*.txt",
            args.out.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// The command as a user types it: `mcclstm` (which runs this binary for training commands) and
/// the arguments, never the binary's path on this machine.
fn command_line() -> String {
    // Paths below the working folder are written relative to it: a card names no machine's
    // absolute path.
    let here = std::env::current_dir()
        .map(|d| format!("{}/", d.display()))
        .unwrap_or_default();
    std::iter::once("mcclstm".to_string())
        .chain(std::env::args().skip(1))
        .map(|a| match a.strip_prefix(&here) {
            Some(rest) if !here.is_empty() => rest.to_string(),
            _ => a,
        })
        .map(|a| {
            if a.contains(char::is_whitespace) {
                format!("'{a}'")
            } else {
                a
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// `mcclstm dataset make`.
#[derive(clap::Args, Clone, Debug)]
pub struct MakeArgs {
    /// `dance` (ABC tunes), `genre` or `mood` (the procedural arranger).
    #[arg(long)]
    pub kind: mcclstm_synth::MakeKind,
    /// Output folder: `<label>/<name>.wav` and `.mid`, `tracks.csv`, `manifest.json`.
    #[arg(long)]
    pub out: PathBuf,
    /// Folder of ABC tune files with `R:` fields (dance only), e.g. music21's
    /// `corpus/ryansMammoth`.
    #[arg(long)]
    pub abc: Option<PathBuf>,
    /// General MIDI SoundFont (.sf2).
    #[arg(long, default_value = mcclstm_synth::synth::DEFAULT_SOUNDFONT)]
    pub soundfont: PathBuf,
    /// Tracks per class (dance: tunes per dance, at most what the collection has).
    #[arg(long, default_value_t = 40)]
    pub per_class: usize,
    /// Dances with fewer tunes are left out.
    #[arg(long, default_value_t = 30)]
    pub min_tunes: usize,
    /// Seconds per track (GTZAN's clips are 30 s).
    #[arg(long, default_value_t = 30.0)]
    pub seconds: f64,
    #[arg(long, default_value_t = 22050)]
    pub sample_rate: u32,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Skip this many sources per class: with the same seed, `--offset N` gives tracks disjoint
    /// from `--per-class N` (a held-out set).
    #[arg(long, default_value_t = 0)]
    pub offset: usize,
    /// Performances per tune (dance only), each with its own tempo, key, instruments and room.
    #[arg(long, default_value_t = 1)]
    pub renders: usize,
    /// Tempo factor (1.06 = 6% faster, same pitch): time-stretched copies for robustness tests.
    #[arg(long, default_value_t = 1.0)]
    pub speed: f64,
    /// Dance only: make these dances alone, comma-separated (e.g. `reel,jig,hornpipe` to match a
    /// model's classes on another collection); all by default.
    #[arg(long, value_delimiter = ',')]
    pub dances: Vec<String>,
    /// Dance only: play jigs, slip jigs and hornpipes at tempos from one shared range, so a
    /// model trained on the set must tell them apart by their meter, not their tempo.
    #[arg(long)]
    pub shared_meter_tempo: bool,
    /// Dance only: play hornpipes dotted, as players do whatever the notation: each pair of
    /// running notes written even is played long-short, at a ratio drawn per performance
    /// (about 3:2 to 2:1). Pairs written broken (`a>b`) keep abc2midi's 2:1.
    #[arg(long)]
    pub dotted_hornpipes: bool,
    /// Dance only: the part of each melody note that sounds, the rest a gap before the next
    /// note: `LO:HI` draws it per performance, `X` plays every performance so (0.92 without
    /// the option). Between 0.1 and 1.
    #[arg(long, value_name = "LO:HI", value_parser = parse_articulation)]
    pub articulation: Option<(f64, f64)>,
    /// Put every render through a seeded production chain, drawn per track: EQ (two shelves
    /// and a bell), compression, tanh saturation, a room reverb, a pink noise floor and an Ogg
    /// Vorbis round trip, each step present or not by chance. Other draws are unchanged, so the
    /// same songs come out dry without the flag.
    #[arg(long)]
    pub produce: bool,
    /// Dance only: leave out the chosen tunes that a tune of this ABC folder shares a title with
    /// (case, punctuation, "the", the dance's name and "No. 2" aside), so a test of another
    /// collection holds no tune the training collection has too. The tunes kept are those the
    /// set has without it, rendered the same.
    #[arg(long, value_name = "DIR")]
    pub leave_out_titles_of: Option<PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `--articulation`: `X` or `LO:HI`, each between 0.1 and 1, `LO` at most `HI`.
fn parse_articulation(text: &str) -> Result<(f64, f64), String> {
    let number = |t: &str| -> Result<f64, String> {
        let v: f64 = t
            .trim()
            .parse()
            .map_err(|_| format!("{t:?} is not a number"))?;
        if (0.1..=1.0).contains(&v) {
            Ok(v)
        } else {
            Err(format!(
                "{v} is not between 0.1 and 1 (the part of a note that sounds)"
            ))
        }
    };
    let (lo, hi) = match text.split_once(':') {
        Some((lo, hi)) => (number(lo)?, number(hi)?),
        None => {
            let v = number(text)?;
            (v, v)
        }
    };
    if lo > hi {
        return Err(format!("{lo} is above {hi}: write the range LO:HI"));
    }
    Ok((lo, hi))
}

pub fn make(args: &MakeArgs) -> anyhow::Result<ExitCode> {
    let options = mcclstm_synth::MakeOptions {
        kind: args.kind,
        out: args.out.clone(),
        soundfont: args.soundfont.clone(),
        abc: args.abc.clone(),
        per_class: args.per_class,
        min_tunes: args.min_tunes,
        seconds: args.seconds,
        sample_rate: args.sample_rate,
        seed: args.seed,
        offset: args.offset,
        renders: args.renders,
        speed: args.speed,
        dances: args.dances.clone(),
        shared_meter_tempo: args.shared_meter_tempo,
        dotted_hornpipes: args.dotted_hornpipes,
        articulation: args.articulation,
        produce: args.produce,
        leave_out_titles_of: args.leave_out_titles_of.clone(),
    };
    let total = mcclstm_synth::planned(&options)?;
    let bar = if args.json {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(total as u64).with_style(
            ProgressStyle::with_template(
                "{msg} [{bar:30}] {pos}/{len} tracks, {elapsed} ETA {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        )
    };
    bar.set_message(format!("making {}", args.kind.name()));
    let report = mcclstm_synth::make(&options, &|| bar.inc(1))?;
    bar.finish_and_clear();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        for (source, reason) in &report.skipped {
            eprintln!("skipped {source}: {reason}");
        }
        if let Some(other) = &report.left_out_titles_of {
            println!(
                "left out {} tunes whose title a tune in {other} has{}",
                report.left_out.len(),
                if report.left_out.is_empty() { "" } else { ":" }
            );
            for (group, title) in &report.left_out {
                println!("  {group}: {title}");
            }
        }
        println!(
            "{} data set in {}: {} tracks of {:.0} s at {} Hz",
            args.kind.name(),
            args.out.display(),
            report.tracks.len(),
            report.seconds_per_track,
            report.sample_rate
        );
        for (label, count) in report.counts() {
            println!("  {label:<16} {count:>5}");
        }
        println!(
            "train on it with: mcclstm train --dataset generic --root {}",
            args.out.join("tracks.csv").display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::parse_articulation;

    #[test]
    fn articulation_is_one_part_or_a_range_of_parts_between_a_tenth_and_one() {
        assert_eq!(parse_articulation("0.8"), Ok((0.8, 0.8)));
        assert_eq!(parse_articulation("0.6:1"), Ok((0.6, 1.0)));
        for (bad, says) in [
            ("1.5", "not between 0.1 and 1"),
            ("0:0.9", "not between 0.1 and 1"),
            ("0.9:0.6", "is above"),
            ("short", "is not a number"),
            ("NaN", "not between 0.1 and 1"),
        ] {
            let err = parse_articulation(bad).unwrap_err();
            assert!(err.contains(says), "{bad}: {err}");
        }
    }
}
