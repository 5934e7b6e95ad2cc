//! The researcher's two jobs: `train` (one model, exported and checked, with a model card) and
//! `cv` (the paper's protocol: ten seeded stratified 80/10/10 splits, every chosen architecture on
//! the same splits, a table in the paper's layout, confusion matrices).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context;
use mcclstm_engine::{Architecture, FrontendConfig, Model, Outputs, Preset};
use serde::Serialize;

use crate::card::{CardSection, ModelCard};
use crate::model::{Init, ModelConfig};
use crate::train::{self, Checkpointing, Progress, TrainOptions, Trained};
use mcclstm_data::cache::{self, FeatureCache, LoadedDataset, TrackChunks};
use mcclstm_data::dataset::{self, Dataset, DatasetKind};
use mcclstm_data::metrics::{Confusion, mean_std_percent};
use mcclstm_data::split::{self, Fractions, Split};
use mcclstm_onnx::arch::{Activation, ArchConfig};
use mcclstm_onnx::export::{self, ExportMeta};
use mcclstm_onnx::parity::{self, ParityReport};

/// Where the data comes from and how it becomes features.
#[derive(Clone, Debug)]
pub struct DataSource {
    pub kind: DatasetKind,
    pub root: PathBuf,
    pub preset: Preset,
    /// Mel bands instead of the preset's (`None`: the preset's 40).
    pub mels: Option<usize>,
    pub cache_dir: PathBuf,
    /// Fail on the first unusable file instead of skipping it.
    pub strict: bool,
}

impl DataSource {
    /// The frontend the features are computed with: the preset, with `mels` bands where given.
    pub fn frontend(&self) -> anyhow::Result<FrontendConfig> {
        let config = self.preset.config();
        let config = match self.mels {
            Some(n) => config.with_mels(n),
            None => config,
        };
        config.validate().context("--mels")?;
        Ok(config)
    }
}

/// Lists the data set and computes (or reads cached) features for every file.
pub fn load(
    source: &DataSource,
    progress: impl Fn() + Sync,
) -> anyhow::Result<(Dataset, LoadedDataset)> {
    let dataset = dataset::open(source.kind, &source.root)?;
    let cache = FeatureCache::new(&source.cache_dir, source.frontend()?)?;
    let loaded = cache::load(&dataset, &cache, source.strict, progress)?;
    anyhow::ensure!(
        !loaded.tracks.is_empty(),
        "{}: none of the {} file(s) could be used",
        source.root.display(),
        dataset.tracks.len()
    );
    Ok((dataset, loaded))
}

/// The model options a user picks; the architecture's paper sizes fill in the rest.
#[derive(Clone, Debug, Serialize)]
pub struct ModelOptions {
    pub filters: usize,
    pub activation: Activation,
    /// Dense units; `None` takes the paper's size for the architecture.
    pub dense: Option<usize>,
    /// LSTM units; `None` takes the paper's size.
    pub lstm: Option<usize>,
    pub dropout: f64,
    pub init: Init,
}

impl Default for ModelOptions {
    fn default() -> Self {
        Self {
            filters: mcclstm_onnx::arch::DEFAULT_FILTERS,
            activation: Activation::Relu,
            dense: None,
            lstm: None,
            dropout: 0.25,
            init: Init::Default,
        }
    }
}

impl ModelOptions {
    pub fn config(&self, arch: Architecture, data: &LoadedDataset) -> ModelConfig {
        let mut a = ArchConfig::paper(arch);
        a.filters = self.filters;
        a.activation = self.activation;
        if a.dense > 0 {
            a.dense = self.dense.unwrap_or(a.dense);
        }
        if a.lstm > 0 {
            a.lstm = self.lstm.unwrap_or(a.lstm);
        }
        ModelConfig {
            arch: a,
            dropout: self.dropout,
            init: self.init,
            n_mels: data.frontend.n_mels,
            frames: data.frontend.chunk_frames,
            classes: data.labels.len(),
            multi_label: data.outputs == Outputs::Independent,
        }
    }
}

/// The task name a data set's labels describe.
pub fn default_task(kind: DatasetKind) -> &'static str {
    match kind {
        DatasetKind::Gtzan => "genre",
        DatasetKind::Ballroom => "dance",
        DatasetKind::Soundtracks => "mood",
        DatasetKind::Generic => "custom",
        DatasetKind::Tags => "tags",
    }
}

fn pick<'a>(tracks: &'a [TrackChunks], indices: &[usize]) -> Vec<&'a TrackChunks> {
    indices.iter().map(|&i| &tracks[i]).collect()
}

fn groups_of(data: &LoadedDataset, group_split: bool) -> Option<Vec<Option<String>>> {
    group_split.then(|| data.tracks.iter().map(|t| t.group.clone()).collect())
}

/// The result of writing a model file.
#[derive(Clone, Debug, Serialize)]
pub struct Exported {
    pub path: PathBuf,
    pub bytes: usize,
    /// tract vs ONNX Runtime (step, batch, roll-out).
    pub parity: ParityReport,
    /// burn's forward pass vs tract on the same chunks, step by step.
    pub burn_vs_tract: f32,
}

/// The chunks the export check probes with: the first [`parity::ROLLOUT_CHUNKS`] of the first
/// track long enough (validation tracks: the input the model is made for, and a sequence, so the
/// roll-out carries state as in use), or random chunks at log-mel levels when no track is.
pub fn probe_chunks(tracks: &[&TrackChunks], chunk_len: usize, seed: u64) -> Vec<Vec<f32>> {
    let n = parity::ROLLOUT_CHUNKS;
    tracks
        .iter()
        .find(|t| t.len >= n && t.chunks.len() >= n * chunk_len)
        .map(|t| {
            t.chunks[..n * chunk_len]
                .chunks_exact(chunk_len)
                .map(<[f32]>::to_vec)
                .collect()
        })
        .unwrap_or_else(|| parity::random_chunks(n, chunk_len, seed))
}

/// Exports a trained model: the three-way check of DESIGN.md (burn, tract, ONNX Runtime agree
/// within [`parity::TOLERANCE`] step by step on the `probe` chunks and on their roll-out), then
/// the file is written through a temporary file and a rename.
pub fn export_trained(
    trained: &Trained,
    meta: &ExportMeta,
    out: &Path,
    probe: &[Vec<f32>],
) -> anyhow::Result<Exported> {
    let config = trained.net.config();
    let s = &trained.standardisation;
    let mut weights = trained.net.to_weights(&s.mean, &s.std)?;
    keep_outputs(&mut weights.output, meta.labels.len())?;
    let report = parity::check_export(&config.arch, &weights, meta, probe)
        .context("export check (tract vs ONNX Runtime)")?;
    let bytes = export::model_bytes(&config.arch, &weights, meta)?;
    let model = Model::from_bytes(&bytes).context("the exported model does not load")?;
    let burn = train::step_probs(&trained.net, s, probe)?;
    let mut runner = model.runner();
    let mut burn_vs_tract = 0.0f32;
    for (k, (chunk, expected)) in probe.iter().zip(&burn).enumerate() {
        let step = runner.step(chunk)?;
        let diff = step
            .chunk
            .iter()
            .zip(expected)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max);
        burn_vs_tract = burn_vs_tract.max(diff);
        anyhow::ensure!(
            diff <= parity::TOLERANCE,
            "export check: burn and tract disagree at step {k} by {diff:e} (> {:e})",
            parity::TOLERANCE
        );
    }
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("{}: cannot create", dir.display()))?;
    }
    export::write_model(out, &bytes)?;
    Ok(Exported {
        path: out.to_path_buf(),
        bytes: bytes.len(),
        parity: report,
        burn_vs_tract,
    })
}

/// Cuts a trained output layer (`[out, in]` weight, `[out]` bias) to its first `n` outputs: the
/// exported tags, without the auxiliary ones ([`dataset::exported_labels`]) after them. The outputs
/// are independent, so the kept ones are what the whole layer gives them.
fn keep_outputs(layer: &mut export::Linear, n: usize) -> anyhow::Result<()> {
    let (out, inputs) = match layer.weight.shape[..] {
        [out, inputs] => (out, inputs),
        _ => anyhow::bail!("the output layer's weight is not a matrix"),
    };
    anyhow::ensure!(
        n <= out && layer.bias.data.len() == out,
        "the model has {out} outputs; {n} cannot be exported"
    );
    layer.weight.data.truncate(n * inputs);
    layer.weight.shape = vec![n, inputs];
    layer.bias.data.truncate(n);
    layer.bias.shape = vec![n];
    Ok(())
}

/// Everything `mcclstm train` needs.
#[derive(Clone, Debug)]
pub struct TrainJob {
    pub source: DataSource,
    pub arch: Architecture,
    pub model: ModelOptions,
    pub options: TrainOptions,
    pub task: Option<String>,
    /// What to call the data in the model's metadata and card (default: the layout's name).
    pub data_name: Option<String>,
    pub validation_fraction: f64,
    /// `--validation-set`: the data set the epoch is chosen on instead of a held-out share of the
    /// training set (whose every track then trains).
    pub validation_set: Option<PathBuf>,
    pub group_split: bool,
    pub out: PathBuf,
    pub resume: bool,
    /// The command line, for the model card.
    pub command: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct TrainOutcome {
    pub exported: Exported,
    pub model_card: PathBuf,
    pub validation_accuracy: f64,
    pub best_epoch: usize,
    pub epochs: usize,
    pub train_tracks: usize,
    pub validation_tracks: usize,
    pub skipped: Vec<dataset::Skipped>,
}

/// Checkpoint folder of a training run that writes `out`.
pub fn checkpoint_dir(out: &Path) -> PathBuf {
    let mut name = out.as_os_str().to_owned();
    name.push(".checkpoint");
    PathBuf::from(name)
}

/// The tracks of a `--validation-set` with their labels and targets in the training set's class
/// order. Refused, before any training, when the two sets' outputs differ, when a label is not one
/// of the training set's (a tag set must have the same tags), when a file is in both sets, or,
/// with `group_split`, when a group is: a model cannot be chosen on what it trains on.
pub fn align_validation_set(
    train: &LoadedDataset,
    validation: &LoadedDataset,
    root: &Path,
    group_split: bool,
) -> anyhow::Result<Vec<TrackChunks>> {
    let shown = root.display();
    anyhow::ensure!(
        train.outputs == validation.outputs,
        "--validation-set {shown}: its labels are {}, the training set's are {}",
        outputs_name(validation.outputs),
        outputs_name(train.outputs)
    );
    let map = mcclstm_data::evaluate::indices_by_name(&validation.labels, &train.labels).or_else(
        |l| {
            anyhow::bail!(
                "--validation-set {shown}: its label `{l}` is not one of the training set's ({})",
                train.labels.join(", ")
            )
        },
    )?;
    if train.outputs == Outputs::Independent {
        // A tag missing from the validation set would read as absent from every chunk.
        let missing: Vec<&str> = (0..train.labels.len())
            .filter(|i| !map.contains(i))
            .map(|i| train.labels[i].as_str())
            .collect();
        anyhow::ensure!(
            missing.is_empty(),
            "--validation-set {shown}: a tag set must have the training set's tags; it has no {}",
            missing.join(", ")
        );
    }
    let canonical = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let trained: std::collections::HashSet<PathBuf> =
        train.tracks.iter().map(|t| canonical(&t.path)).collect();
    let groups: std::collections::HashSet<&str> = train
        .tracks
        .iter()
        .filter_map(|t| t.group.as_deref())
        .collect();
    let classes = train.labels.len();
    validation
        .tracks
        .iter()
        .map(|t| {
            anyhow::ensure!(
                !trained.contains(&canonical(&t.path)),
                "--validation-set {shown}: {} is in the training set too; a model cannot be \
                 chosen on a track it trains on",
                t.path.display()
            );
            if let Some(group) = t.group.as_deref().filter(|_| group_split) {
                anyhow::ensure!(
                    !groups.contains(group),
                    "--validation-set {shown}: group `{group}` ({}) is in the training set too, \
                     and --group-split keeps a group on one side",
                    t.path.display()
                );
            }
            let mut targets = vec![0.0f32; t.len * classes];
            for k in 0..t.len {
                for (j, &p) in t.target(k).iter().enumerate() {
                    targets[k * classes + map[j]] = p;
                }
            }
            Ok(TrackChunks {
                label: map[t.label],
                targets,
                ..t.clone()
            })
        })
        .collect()
}

fn outputs_name(outputs: Outputs) -> &'static str {
    match outputs {
        Outputs::Exclusive => "classes (one per track)",
        Outputs::Independent => "independent tags",
    }
}

/// Trains one model on a stratified train/validation split (or on every track, choosing the
/// epoch on `validation_set`, the aligned tracks of `job.validation_set`), exports it with the
/// three-way check and writes its model card beside it.
pub fn run_train(
    job: &TrainJob,
    dataset: &Dataset,
    data: &LoadedDataset,
    validation_set: Option<&[TrackChunks]>,
    progress: &mut dyn Progress,
) -> anyhow::Result<TrainOutcome> {
    // Independent tags have no class to stratify by (a tag may be no track's strongest): one
    // stratum.
    let (strata, labels): (Vec<String>, Vec<usize>) = match data.outputs {
        Outputs::Exclusive => (
            data.labels.clone(),
            data.tracks.iter().map(|t| t.label).collect(),
        ),
        Outputs::Independent => (
            vec!["(every track)".to_string()],
            vec![0; data.tracks.len()],
        ),
    };
    let split = match validation_set {
        // Every track trains; the validation tracks are the other set's.
        Some(_) => Split {
            train: (0..data.tracks.len()).collect(),
            validation: Vec::new(),
            test: Vec::new(),
        },
        None => {
            let groups = groups_of(data, job.group_split);
            let fractions = Fractions {
                validation: job.validation_fraction,
                test: 0.0,
            };
            split::check_counts(&strata, &labels, groups.as_deref(), 1, fractions)?;
            split::stratified(
                strata.len(),
                &labels,
                groups.as_deref(),
                fractions,
                job.options.seed,
            )
        }
    };
    let validation: Vec<&TrackChunks> = match validation_set {
        Some(tracks) => tracks.iter().collect(),
        None => pick(&data.tracks, &split.validation),
    };
    let config = job.model.config(job.arch, data);
    let checkpoints = checkpoint_dir(&job.out);
    let trained = train::fit(
        &config,
        &job.options,
        &pick(&data.tracks, &split.train),
        &validation,
        &Checkpointing {
            dir: Some(checkpoints.clone()),
            resume: job.resume,
            stop_after: None,
        },
        progress,
    )?;
    let task = job
        .task
        .clone()
        .unwrap_or_else(|| default_task(dataset.kind).to_string());
    let counts = data_counts(data);
    let meta = ExportMeta {
        task: task.clone(),
        labels: dataset::exported_labels(&data.labels).to_vec(),
        frontend: data.frontend.clone(),
        trained_on: serde_json::json!({
            "dataset": job.data_name.clone().unwrap_or_else(|| dataset.kind.to_string()),
            "root": shown_path(&dataset.root),
            "tracks": data.tracks.len(),
            "train_tracks": split.train.len(),
            "validation_tracks": validation.len(),
            "validation_set": job.validation_set.as_deref().map(shown_path),
            "classes": counts,
        }),
        metrics: serde_json::json!({
            "validation_accuracy": trained.validation_accuracy,
            "best_epoch": trained.best_epoch,
            "epochs": trained.history.len(),
            "averaged_epochs": trained.averaged,
            "model": &config,
            "training": &job.options,
        }),
        outputs: if config.multi_label {
            Outputs::Independent
        } else {
            Outputs::Exclusive
        },
    };
    let probe = probe_chunks(&validation, data.frontend.chunk_len(), job.options.seed);
    let exported = export_trained(&trained, &meta, &job.out, &probe)?;
    let card = model_card_path(&job.out);
    model_card(
        job,
        dataset,
        data,
        &split,
        validation.len(),
        &config,
        &trained,
        &exported,
        &task,
    )
    .write(&job.out)?;
    // The run is complete and its outputs are written; the checkpoints are no longer needed.
    let _ = std::fs::remove_dir_all(&checkpoints);
    Ok(TrainOutcome {
        exported,
        model_card: card,
        validation_accuracy: trained.validation_accuracy,
        best_epoch: trained.best_epoch,
        epochs: trained.history.len(),
        train_tracks: split.train.len(),
        validation_tracks: validation.len(),
        skipped: data.skipped.clone(),
    })
}

/// A data path as cards and model metadata name it: relative to the working folder when it lies
/// below it (a repository's `target/...`), so no machine's absolute path is written into a model.
pub fn shown_path(path: &Path) -> String {
    std::env::current_dir()
        .ok()
        .and_then(|here| path.strip_prefix(here).ok())
        .unwrap_or(path)
        .display()
        .to_string()
}

/// `genre.onnx` -> `genre.MODEL_CARD.md`, so several models can share a folder.
pub fn model_card_path(model: &Path) -> PathBuf {
    ModelCard::markdown_path(model)
}

/// The tracks of each exported label: whose label it is ([`exported_track_labels`]).
fn data_counts(data: &LoadedDataset) -> serde_json::Value {
    let mut map = serde_json::Map::new();
    let labels = exported_track_labels(data);
    for (i, l) in dataset::exported_labels(&data.labels).iter().enumerate() {
        map.insert(
            l.clone(),
            serde_json::json!(labels.iter().filter(|&&label| label == i).count()),
        );
    }
    serde_json::Value::Object(map)
}

/// Each track's label among the exported labels: its own label, or where the data set has
/// auxiliary tags, the strongest exported tag over its taught chunks (an auxiliary tag has no say
/// in what a track is).
fn exported_track_labels(data: &LoadedDataset) -> Vec<usize> {
    let n = dataset::exported_labels(&data.labels).len();
    if n == data.labels.len() {
        return data.tracks.iter().map(|t| t.label).collect();
    }
    let strongest = |t: &TrackChunks| {
        let mut sum = vec![0.0f64; n];
        for k in (0..t.len).filter(|&k| t.taught(k)) {
            for (s, &p) in sum.iter_mut().zip(t.target(k)) {
                *s += f64::from(p);
            }
        }
        dataset::strongest(&sum)
    };
    data.tracks.iter().map(strongest).collect()
}

#[allow(clippy::too_many_arguments)]
fn model_card(
    job: &TrainJob,
    dataset: &Dataset,
    data: &LoadedDataset,
    split: &Split,
    validation_tracks: usize,
    config: &ModelConfig,
    trained: &Trained,
    exported: &Exported,
    task: &str,
) -> ModelCard {
    let mut s = String::new();
    let file = exported
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let title = format!("Model card: `{file}`");
    let exported_labels = dataset::exported_labels(&data.labels);
    let auxiliary = &data.labels[exported_labels.len()..];
    let summary = format!(
        "{} ({}) {} **{task}** {} {}: {}.",
        config.arch.architecture.name(),
        config.arch.architecture.description(),
        if config.multi_label {
            "tagging"
        } else {
            "classifying"
        },
        if config.multi_label {
            "with independent probabilities of"
        } else {
            "into"
        },
        if config.multi_label {
            format!("{} tags", exported_labels.len())
        } else {
            format!("{} classes", exported_labels.len())
        },
        exported_labels.join(", ")
    );
    let mut sections = Vec::new();
    let mut section = |heading: &str, body: &mut String| {
        sections.push(CardSection {
            heading: heading.to_string(),
            body: std::mem::take(body).trim().to_string(),
        });
    };
    let _ = writeln!(
        s,
        "- Data set: {}`{}` at `{}`",
        job.data_name
            .as_ref()
            .map(|n| format!("{n}, read as "))
            .unwrap_or_default(),
        dataset.kind,
        shown_path(&dataset.root)
    );
    let _ = writeln!(
        s,
        "- Usable tracks: {} ({:.1} minutes); skipped: {}",
        data.tracks.len(),
        data.tracks.iter().map(|t| t.seconds).sum::<f64>() / 60.0,
        data.skipped.len()
    );
    match &job.validation_set {
        Some(root) => {
            let _ = writeln!(
                s,
                "- Split: every one of the {} usable tracks trains; the epoch is chosen on the {} \
                 tracks of another data set, `{}` (`--validation-set`; no file{} in both)",
                split.train.len(),
                validation_tracks,
                shown_path(root),
                if job.group_split { " or group" } else { "" }
            );
        }
        None => {
            let _ = writeln!(
                s,
                "- Split (seed {}): {} train, {} validation, {}{}",
                job.options.seed,
                split.train.len(),
                split.validation.len(),
                if config.multi_label {
                    "at random (independent tags have no class to stratify by)"
                } else {
                    "stratified"
                },
                if job.group_split {
                    ", groups kept together"
                } else {
                    ""
                }
            );
        }
    }
    if config.multi_label {
        // Each tag's mean target over the taught chunks, and the tracks where it is strongest.
        let _ = writeln!(
            s,
            "\n| tag | mean target over the chunks | tracks where it is the strongest |\n|---|---|---|"
        );
        let track_labels = exported_track_labels(data);
        for (i, l) in exported_labels.iter().enumerate() {
            let (mut sum, mut n) = (0.0f64, 0usize);
            for t in &data.tracks {
                for k in (0..t.len).filter(|&k| t.taught(k)) {
                    sum += f64::from(t.target(k)[i]);
                    n += 1;
                }
            }
            let _ = writeln!(
                s,
                "| {l} | {:.3} | {} |",
                sum / n.max(1) as f64,
                track_labels.iter().filter(|&&label| label == i).count()
            );
        }
        if !auxiliary.is_empty() {
            let _ = writeln!(
                s,
                "\n{} auxiliary tags, learned with the others and not in the model file (the \
                 tag CSV's `aux:` columns): {}",
                auxiliary.len(),
                auxiliary.join(", ")
            );
        }
    } else {
        let _ = writeln!(s, "\n| class | tracks |\n|---|---|");
        for (i, l) in data.labels.iter().enumerate() {
            let _ = writeln!(
                s,
                "| {l} | {} |",
                data.tracks.iter().filter(|t| t.label == i).count()
            );
        }
    }
    section("Data", &mut s);
    let fe = &data.frontend;
    let _ = writeln!(
        s,
        "- Frontend: `{}` ({} Hz, {} mels, hop {}, chunks of {} frames = {:.3} s)",
        fe.preset,
        fe.sample_rate,
        fe.n_mels,
        fe.hop,
        fe.chunk_frames,
        fe.chunk_seconds()
    );
    let a = &config.arch;
    let _ = writeln!(
        s,
        "- {} filters per convolution, {} activation, dense {}, LSTM {}, dropout {}, init `{}`",
        a.filters,
        format!("{:?}", a.activation).to_lowercase(),
        a.dense,
        a.lstm,
        config.dropout,
        format!("{:?}", config.init).to_lowercase()
    );
    let o = &job.options;
    let _ = writeln!(
        s,
        "- Adam (lr {}, L2 {}), batch {} tracks, loss on {}, at most {} epochs, patience {}{}",
        o.learning_rate,
        o.weight_decay,
        o.batch_size,
        match (o.loss, o.running_targets) {
            (crate::train::LossMode::Last, _) => "the last chunk",
            (crate::train::LossMode::EveryStep, false) => "every chunk",
            (crate::train::LossMode::EveryStep, true) => {
                "every chunk against the mean of the targets so far"
            }
        },
        o.max_epochs,
        o.patience,
        if o.colour {
            format!(
                "; each epoch every training sequence coloured at random (a level, a tilt and a \
                 bell across the mel bands, each within ±{} dB)",
                crate::train::COLOUR_DB
            )
        } else {
            String::new()
        }
    );
    section("Model and training", &mut s);
    let measure = if config.multi_label {
        "agreement (share of chunk-tag pairs on the same side of 0.5 as the target)"
    } else {
        "accuracy"
    };
    if trained.averaged > 0 {
        let epochs = trained.history.len();
        let single = trained
            .history
            .iter()
            .rfind(|r| r.best)
            .map_or(String::new(), |r| {
                format!(
                    "; the best single epoch, {}, had {:.2}%",
                    r.epoch,
                    100.0 * r.validation_accuracy
                )
            });
        let _ = writeln!(
            s,
            "- Validation {measure} {:.2}% of the mean of the weights at the end of epochs {}-{} \
             (stochastic weight averaging; every one of the {} epochs ran{single})",
            100.0 * trained.validation_accuracy,
            epochs + 1 - trained.averaged,
            epochs,
            epochs,
        );
    } else {
        let _ = writeln!(
            s,
            "- Validation {measure} {:.2}% at epoch {} of {} (early stopping on {})",
            100.0 * trained.validation_accuracy,
            trained.best_epoch,
            trained.history.len(),
            if o.select.by_loss(config) {
                let loss = trained
                    .history
                    .get(trained.best_epoch.wrapping_sub(1))
                    .map_or(f64::NAN, |r| r.validation_loss);
                format!("the validation loss, {loss:.4} at that epoch")
            } else {
                "validation accuracy".to_string()
            }
        );
    }
    let _ = writeln!(
        s,
        "- Export check: burn vs tract {:.1e}, tract vs ONNX Runtime {:.1e} (bound {:.0e})",
        exported.burn_vs_tract,
        exported.parity.worst(),
        parity::TOLERANCE
    );
    let _ = writeln!(
        s,
        "\nA validation accuracy from one split is optimistic model selection, not a test score; \
         `mcclstm cv` gives the paper's 10-fold figure.\n"
    );
    section("Results", &mut s);
    let _ = writeln!(s, "```\n{}\n```", job.command);
    section("Reproduce", &mut s);
    ModelCard {
        title,
        summary,
        sections,
        footer: format!(
            "Written {} by mcclstm {}.",
            humantime::format_rfc3339_seconds(std::time::SystemTime::now()),
            env!("CARGO_PKG_VERSION")
        ),
    }
}

/// Writes text through a temporary file and a rename.
pub fn write_text(path: &Path, text: &str) -> anyhow::Result<()> {
    mcclstm_engine::atomic_file::write(path, text.as_bytes())
        .with_context(|| format!("{}: cannot write", path.display()))
}

/// Everything `mcclstm cv` needs.
#[derive(Clone, Debug)]
pub struct CvJob {
    pub source: DataSource,
    pub archs: Vec<Architecture>,
    pub folds: usize,
    pub model: ModelOptions,
    pub options: TrainOptions,
    pub group_split: bool,
    pub out: PathBuf,
    pub resume: bool,
}

/// One architecture on one fold.
#[derive(Clone, Debug, Serialize, serde::Deserialize)]
pub struct FoldResult {
    pub fold: usize,
    pub test_accuracy: f64,
    pub validation_accuracy: f64,
    pub best_epoch: usize,
    pub epochs: usize,
    pub train_tracks: usize,
    pub test_tracks: usize,
    pub seconds: f64,
    /// `confusion[truth][predicted]` on the test split.
    pub confusion: Vec<Vec<u64>>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ArchResult {
    pub architecture: String,
    pub mean_percent: f64,
    pub std_percent: f64,
    pub folds: Vec<FoldResult>,
}

#[derive(Clone, Debug, Serialize)]
pub struct CvOutcome {
    pub dataset: String,
    pub root: PathBuf,
    pub labels: Vec<String>,
    pub tracks: usize,
    pub folds: usize,
    pub group_split: bool,
    pub seed: u64,
    pub results: Vec<ArchResult>,
    pub skipped: Vec<dataset::Skipped>,
    pub table_markdown: String,
}

/// What the cv job reports while it runs.
pub trait CvProgress {
    fn fold_started(&mut self, _arch: Architecture, _fold: usize, _folds: usize) {}
    fn fold_done(&mut self, _arch: Architecture, _result: &FoldResult) {}
    /// The training progress of the fold that is running.
    fn training(&mut self) -> &mut dyn Progress;
}

/// The paper's protocol. Each (architecture, fold) result is stored in `out/runs/` as it finishes
/// and the running fold checkpoints every epoch, so `resume` after a kill loses at most an epoch.
pub fn run_cv(
    job: &CvJob,
    dataset: &Dataset,
    data: &LoadedDataset,
    progress: &mut dyn CvProgress,
) -> anyhow::Result<CvOutcome> {
    anyhow::ensure!(job.folds >= 1, "--folds must be at least 1");
    anyhow::ensure!(!job.archs.is_empty(), "no architecture chosen");
    anyhow::ensure!(
        data.outputs == Outputs::Exclusive,
        "cross-validation reports class accuracy; a `tags` data set has independent tags (train \
         it with `train`, measure it with `mcclstm evaluate --dataset tags`)"
    );
    let labels: Vec<usize> = data.tracks.iter().map(|t| t.label).collect();
    let groups = groups_of(data, job.group_split);
    split::check_counts(
        &data.labels,
        &labels,
        groups.as_deref(),
        job.folds,
        split::PAPER_FRACTIONS,
    )?;
    let splits = split::folds(
        data.labels.len(),
        &labels,
        groups.as_deref(),
        job.folds,
        job.options.seed,
    );
    let runs = job.out.join("runs");
    std::fs::create_dir_all(&runs).with_context(|| format!("{}: cannot create", runs.display()))?;
    let mut results = Vec::new();
    for &arch in &job.archs {
        let config = job.model.config(arch, data);
        let mut folds = Vec::new();
        for (k, split) in splits.iter().enumerate() {
            let stem = runs.join(format!("{}-fold{:02}", arch.name(), k + 1));
            let done = stem.with_extension("json");
            if job.resume
                && let Ok(bytes) = std::fs::read(&done)
                && let Ok(result) = serde_json::from_slice::<FoldResult>(&bytes)
            {
                progress.fold_done(arch, &result);
                folds.push(result);
                continue;
            }
            progress.fold_started(arch, k + 1, splits.len());
            let started = std::time::Instant::now();
            let mut options = job.options.clone();
            options.seed = job.options.seed + k as u64;
            let test = pick(&data.tracks, &split.test);
            let trained = train::fit(
                &config,
                &options,
                &pick(&data.tracks, &split.train),
                &pick(&data.tracks, &split.validation),
                &Checkpointing {
                    dir: Some(stem.clone()),
                    resume: job.resume,
                    stop_after: None,
                },
                progress.training(),
            )?;
            let eval = train::evaluate(&trained.net, &trained.standardisation, &test);
            let mut confusion = Confusion::new(&data.labels);
            for (t, p) in test.iter().zip(&eval.probs) {
                confusion.add(t.label, mcclstm_engine::runner::argmax(p));
            }
            let result = FoldResult {
                fold: k + 1,
                test_accuracy: eval.accuracy,
                validation_accuracy: trained.validation_accuracy,
                best_epoch: trained.best_epoch,
                epochs: trained.history.len(),
                train_tracks: split.train.len(),
                test_tracks: split.test.len(),
                seconds: started.elapsed().as_secs_f64(),
                confusion: confusion.counts,
            };
            write_text(&done, &serde_json::to_string_pretty(&result)?)?;
            let _ = std::fs::remove_dir_all(&stem);
            progress.fold_done(arch, &result);
            folds.push(result);
        }
        let accuracies: Vec<f64> = folds.iter().map(|f| f.test_accuracy).collect();
        let (mean, std) = mean_std_percent(&accuracies);
        let mut total = Confusion::new(&data.labels);
        for f in &folds {
            total.merge(&Confusion {
                labels: data.labels.clone(),
                counts: f.confusion.clone(),
            });
        }
        let name = arch.name();
        write_text(
            &job.out.join(format!("confusion-{name}.txt")),
            &total.to_text(),
        )?;
        crate::plot::write_confusion_png(
            &total,
            &job.out.join(format!("confusion-{name}.png")),
            &format!(
                "{name} on {} ({} folds, test splits summed)",
                dataset.kind, job.folds
            ),
        )?;
        results.push(ArchResult {
            architecture: name.to_string(),
            mean_percent: mean,
            std_percent: std,
            folds,
        });
    }
    let table = table_markdown(dataset, data, job, &results);
    let outcome = CvOutcome {
        dataset: dataset.kind.to_string(),
        root: dataset.root.clone(),
        labels: data.labels.clone(),
        tracks: data.tracks.len(),
        folds: job.folds,
        group_split: job.group_split,
        seed: job.options.seed,
        results,
        skipped: data.skipped.clone(),
        table_markdown: table.clone(),
    };
    write_text(&job.out.join("table.md"), &table)?;
    write_text(
        &job.out.join("results.json"),
        &serde_json::to_string_pretty(&outcome)?,
    )?;
    Ok(outcome)
}

/// The paper's reported accuracy (Tables 3-5) for the data sets it used.
fn paper_figure(kind: DatasetKind, arch: Architecture) -> Option<&'static str> {
    let row = match arch {
        Architecture::Cnns3 => ["79.80 ± 1.70", "87.00 ± 1.32", "60.87 ± 3.76"],
        Architecture::R0 => ["51.70 ± 2.60", "81.79 ± 4.72", "52.00 ± 2.20"],
        Architecture::R1 => ["59.30 ± 2.20", "64.00 ± 1.50", "64.50 ± 2.00"],
        Architecture::R2 => ["78.40 ± 1.90", "87.68 ± 4.44", "57.28 ± 2.85"],
        Architecture::R3 => ["82.90 ± 2.11", "89.45 ± 2.18", "63.04 ± 2.16"],
        Architecture::R4 => ["83.70 ± 1.10", "90.32 ± 1.12", "73.70 ± 2.47"],
        Architecture::Mcclstm => ["84.69 ± 1.76", "91.90 ± 2.33", "74.35 ± 1.63"],
    };
    match kind {
        DatasetKind::Gtzan => Some(row[0]),
        DatasetKind::Ballroom => Some(row[1]),
        DatasetKind::Soundtracks => Some(row[2]),
        DatasetKind::Generic | DatasetKind::Tags => None,
    }
}

fn table_markdown(
    dataset: &Dataset,
    data: &LoadedDataset,
    job: &CvJob,
    results: &[ArchResult],
) -> String {
    let mut s = String::new();
    let with_paper = !matches!(dataset.kind, DatasetKind::Generic | DatasetKind::Tags);
    let _ = writeln!(
        s,
        "Accuracy (%), mean ± std over {} seeded stratified 80/10/10 splits{}; {} tracks, {} classes, \
         data set `{}` at `{}`.\n",
        job.folds,
        if job.group_split {
            " keeping groups together"
        } else {
            ""
        },
        data.tracks.len(),
        data.labels.len(),
        dataset.kind,
        shown_path(&dataset.root)
    );
    if with_paper {
        let _ = writeln!(s, "| scheme | {} | paper |\n|---|---|---|", dataset.kind);
    } else {
        let _ = writeln!(s, "| scheme | {} |\n|---|---|", dataset.kind);
    }
    for r in results {
        let arch: Architecture = r.architecture.parse().unwrap_or(Architecture::Mcclstm);
        let label = match arch {
            Architecture::Cnns3 | Architecture::Mcclstm => r.architecture.clone(),
            _ => format!("{} ({})", r.architecture, arch.description()),
        };
        let ours = format!("{:.2} ± {:.2}", r.mean_percent, r.std_percent);
        match paper_figure(dataset.kind, arch).filter(|_| with_paper) {
            Some(p) => {
                let _ = writeln!(s, "| {label} | {ours} | {p} |");
            }
            None => {
                let _ = writeln!(s, "| {label} | {ours} |");
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn track(len: usize, chunk_len: usize, first: f32) -> TrackChunks {
        TrackChunks {
            path: PathBuf::from(format!("t{len}.wav")),
            label: 0,
            group: None,
            chunks: (0..len * chunk_len).map(|i| first + i as f32).collect(),
            len,
            seconds: len as f64 * 3.7,
            targets: vec![1.0; len],
        }
    }

    #[test]
    fn an_output_layer_keeps_its_first_outputs() {
        // Three outputs of two inputs: rows are outputs.
        let mut layer = export::Linear {
            weight: export::Tensor::new(vec![3, 2], vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]),
            bias: export::Tensor::new(vec![3], vec![0.1, 0.2, 0.3]),
        };
        keep_outputs(&mut layer, 2).unwrap();
        assert_eq!(layer.weight.shape, [2, 2]);
        assert_eq!(layer.weight.data, [1.0, 2.0, 3.0, 4.0]);
        assert_eq!(layer.bias.shape, [2]);
        assert_eq!(layer.bias.data, [0.1, 0.2]);
        let err = keep_outputs(&mut layer, 3).unwrap_err().to_string();
        assert!(err.contains("has 2 outputs; 3 cannot be exported"), "{err}");
    }

    #[test]
    fn the_export_probe_is_the_first_long_enough_tracks_opening_chunks() {
        let n = parity::ROLLOUT_CHUNKS;
        let (short, long, later) = (
            track(n - 1, 4, 0.0),
            track(n + 2, 4, 100.0),
            track(n, 4, 9.0),
        );
        let probe = probe_chunks(&[&short, &long, &later], 4, 1);
        assert_eq!(probe.len(), n);
        for (k, chunk) in probe.iter().enumerate() {
            assert_eq!(chunk.as_slice(), &long.chunks[k * 4..(k + 1) * 4]);
        }
        // No track long enough: random chunks at log-mel levels, of the right shape.
        let random = probe_chunks(&[&short], 4, 1);
        assert_eq!(random.len(), n);
        assert!(random.iter().all(|c| c.len() == 4));
        assert!(random.iter().flatten().all(|v| (-90.0..10.0).contains(v)));
        assert_ne!(random[0].as_slice(), &short.chunks[..4]);
    }
}
