//! Training one model: seeded mini-batches of whole tracks (chunk sequences, padded and masked),
//! Adam, early stopping on validation accuracy or loss ([`Selection`]), a checkpoint after every epoch and an exact resume.
//!
//! Sequences: a track is its sequence of chunks. Stateful models (R1, R4, MCCLSTM) are trained
//! many-to-one on the last chunk by default ([`LossMode::Last`], the paper), or on every chunk
//! ([`LossMode::EveryStep`]) so the live prediction after 1, 2, ... chunks is trained too.
//! Stateless models learn every chunk with its track's label, and a track's prediction is the mean
//! of its chunks' probabilities, exactly as the engine averages them. Tracks of different lengths
//! share a batch: shorter ones are zero-padded (zero is the band mean after standardisation) and
//! their padded steps get zero loss weight; nothing is truncated.
//!
//! Targets: every chunk has a target distribution ([`TrackChunks::targets`]): the one-hot label
//! of a labelled track, or a teacher's soft target; the loss is the cross-entropy against it, and
//! a chunk without a target (a row of zeros) carries no loss. A multi-label model
//! ([`ModelConfig::multi_label`]) has independent tags instead: a sigmoid per tag and the binary
//! cross-entropy against each tag's target probability, averaged over the tags; its "accuracy"
//! is the share of (chunk, tag) pairs on the same side of 0.5 as the target, and the validation
//! loss (chunk by chunk) chooses the best epoch. Long tracks can be cut into
//! sequences of at most [`TrainOptions::max_chunks`] chunks for training; validation always runs
//! the whole track, as the engine does.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use burn::module::{ModuleMapper, ModuleVisitor, Param};
use burn::optim::decay::WeightDecayConfig;
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::prelude::*;
use burn::tensor::activation::{log_sigmoid, log_softmax, sigmoid, softmax};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::model::{ModelConfig, Net};
use mcclstm_data::cache::TrackChunks;

/// Which steps of a sequence carry the loss.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum LossMode {
    /// The last chunk only (many-to-one, the paper's reading).
    #[default]
    Last,
    /// Every chunk, so the live prediction after each chunk is trained too.
    EveryStep,
}

/// What chooses the best epoch, and what patience waits to improve.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Selection {
    /// Validation accuracy (ties broken by the loss): the paper's reading, for hard labels.
    #[default]
    Accuracy,
    /// Validation loss over every chunk that carries one: for a teacher's soft targets, where a
    /// few tracks' top-class accuracy moves by whole tracks from epoch to epoch and the loss
    /// measures agreement with the whole target. A multi-label model always uses it.
    Loss,
}

impl Selection {
    fn is_accuracy(&self) -> bool {
        *self == Self::Accuracy
    }

    /// Whether the validation loss, not the accuracy, chooses the epoch of `config`.
    pub fn by_loss(self, config: &ModelConfig) -> bool {
        config.multi_label || self == Self::Loss
    }

    /// Whether an epoch's validation `(accuracy, loss)` beats the best so far.
    fn improves(by_loss: bool, epoch: (f64, f64), best: (f64, f64)) -> bool {
        let ((accuracy, loss), (best_accuracy, best_loss)) = (epoch, best);
        if by_loss {
            loss < best_loss
        } else {
            accuracy > best_accuracy || (accuracy == best_accuracy && loss < best_loss)
        }
    }
}

/// Optimisation choices (none of them are in the paper; these are our defaults).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainOptions {
    /// Upper bound on epochs.
    pub max_epochs: usize,
    /// Stop after this many epochs without a better validation score ([`Selection`]).
    pub patience: usize,
    /// Tracks per batch.
    pub batch_size: usize,
    pub learning_rate: f64,
    /// L2 weight decay added to the gradient (Adam).
    pub weight_decay: f64,
    pub loss: LossMode,
    pub seed: u64,
    /// Training sequences of at most this many chunks (longer tracks are cut into consecutive
    /// pieces, each starting from a fresh state); 0: whole tracks.
    #[serde(default)]
    pub max_chunks: usize,
    /// Weigh each class's share of the loss by the inverse of its share of the training targets
    /// ([`class_weights`]), so a class with few examples counts as much as a common one; for
    /// independent tags, weigh each tag's present side by its rarity with the outputs' optimum
    /// unchanged ([`tag_weights`], [`balanced_tag_log_likelihood`]).
    #[serde(default)]
    pub balance: bool,
    /// What chooses the best epoch. Left out of the serialised options at its default, so runs
    /// from before it existed keep their checkpoint fingerprint.
    #[serde(default, skip_serializing_if = "Selection::is_accuracy")]
    pub select: Selection,
    /// Each chunk's target is the mean of its sequence's targets up to it
    /// ([`TrackChunks::make_running`]), so the running estimate learns what the track so far is
    /// rather than what this chunk is. Single-label models; training pieces and validation
    /// tracks alike. Left out of the serialised options when off (checkpoint fingerprints).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub running_targets: bool,
    /// Each epoch gives each training sequence its own [`colour`]: a level, a tilt and a bell
    /// across the mel bands, as another mix, master or room would, so the model cannot lean on
    /// one package's sound. Validation is never coloured. Left out of the serialised options
    /// when off (checkpoint fingerprints).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub colour: bool,
    /// Stochastic weight averaging from this epoch (1-based) on: every epoch up to
    /// [`max_epochs`](Self::max_epochs) runs (patience does not stop the run), and the model kept
    /// is the mean of the weights at the end of each epoch from this one to the last
    /// ([`Trained::averaged`]), not the best epoch's. A small validation set's best epoch is
    /// partly chance; the mean of many epochs is not chosen by it. None: the best epoch's model.
    /// Left out of the serialised options when off (checkpoint fingerprints).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub average_from: Option<usize>,
}

impl Default for TrainOptions {
    fn default() -> Self {
        Self {
            max_epochs: 60,
            patience: 10,
            batch_size: 8,
            learning_rate: 1e-3,
            weight_decay: 1e-4,
            loss: LossMode::Last,
            seed: 0,
            max_chunks: 0,
            balance: false,
            select: Selection::Accuracy,
            running_targets: false,
            colour: false,
            average_from: None,
        }
    }
}

/// The most [`colour`] moves a band by each of its parts, in dB: the level, the tilt from the
/// middle band to either end, and the bell's peak are each drawn uniformly within ± this.
pub const COLOUR_DB: f32 = 6.0;

/// One sequence's colour for an epoch: a dB offset per mel band, the sum of a level, a straight
/// tilt across the bands and one bell (a peaking equaliser's shape on the mel scale) centred on
/// a random band, with a width of 1 to a quarter of the bands (its standard deviation).
pub fn colour(rng: &mut StdRng, n_mels: usize) -> Vec<f32> {
    let mut within = || rng.random_range(-COLOUR_DB..=COLOUR_DB);
    let (level, tilt, peak) = (within(), within(), within());
    let centre = rng.random_range(0.0..n_mels as f32);
    let width = rng.random_range(1.0..=(n_mels as f32 / 4.0).max(1.0));
    let last = n_mels.saturating_sub(1).max(1) as f32;
    (0..n_mels)
        .map(|m| {
            let (at, from_centre) = (m as f32 / last, (m as f32 - centre) / width);
            level + tilt * (2.0 * at - 1.0) + peak * (-0.5 * from_centre * from_centre).exp()
        })
        .collect()
}

/// Per-band mean and standard deviation of the training tracks' frames; the model graph applies
/// them, so the frontend stays parameter-free.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Standardisation {
    pub mean: Vec<f32>,
    pub std: Vec<f32>,
}

impl Standardisation {
    /// Floors the deviation at 1e-3 dB so a constant band (e.g. above a low-pass) cannot divide
    /// by zero.
    pub fn fit(tracks: &[&TrackChunks], n_mels: usize, frames: usize) -> Self {
        let mut sum = vec![0.0f64; n_mels];
        let mut sq = vec![0.0f64; n_mels];
        let mut count = 0u64;
        for t in tracks {
            for chunk in t.chunks.chunks_exact(n_mels * frames) {
                for (m, row) in chunk.chunks_exact(frames).enumerate() {
                    for &v in row {
                        sum[m] += f64::from(v);
                        sq[m] += f64::from(v) * f64::from(v);
                    }
                }
                count += frames as u64;
            }
        }
        let n = count.max(1) as f64;
        let mean: Vec<f64> = sum.iter().map(|s| s / n).collect();
        let std = sq
            .iter()
            .zip(&mean)
            .map(|(q, m)| ((q / n - m * m).max(0.0).sqrt().max(1e-3)) as f32)
            .collect();
        Self {
            mean: mean.into_iter().map(|m| m as f32).collect(),
            std,
        }
    }

    /// Standardises `chunk` into `out`, each band first moved by its `colour` offset in dB where
    /// there is one.
    fn apply(&self, chunk: &[f32], frames: usize, colour: Option<&[f32]>, out: &mut Vec<f32>) {
        for (m, row) in chunk.chunks_exact(frames).enumerate() {
            let mean = self.mean[m] - colour.map_or(0.0, |c| c[m]);
            let std = self.std[m];
            out.extend(row.iter().map(|v| (v - mean) / std));
        }
    }
}

/// One epoch's figures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EpochReport {
    /// 1-based.
    pub epoch: usize,
    pub train_loss: f64,
    pub train_accuracy: f64,
    pub validation_accuracy: f64,
    pub validation_loss: f64,
    pub seconds: f64,
    /// Whether this epoch's model is the best so far (the one kept).
    pub best: bool,
}

/// What the caller sees while training runs.
pub trait Progress {
    fn epoch_started(&mut self, _epoch: usize, _batches: usize) {}
    fn batch_done(&mut self, _loss: f64) {}
    fn epoch_done(&mut self, _report: &EpochReport) {}
}

/// A [`Progress`] that shows nothing.
pub struct Quiet;
impl Progress for Quiet {}

/// A finished training run.
pub struct Trained {
    /// The best epoch's model, in inference mode.
    pub net: Net,
    pub standardisation: Standardisation,
    pub history: Vec<EpochReport>,
    pub best_epoch: usize,
    pub validation_accuracy: f64,
    /// Epochs this call ran (fewer than the history after a resume).
    pub epochs_run: usize,
    /// Under [`TrainOptions::average_from`]: how many epochs' weights `net` is the mean of (the
    /// last ones, ending at `best_epoch`, the last epoch), with `validation_accuracy` its own;
    /// 0 when `net` is the best epoch's model.
    pub averaged: usize,
}

/// The checkpoint directory's index, written last (after the files it names), so a kill at any
/// point leaves either the previous epoch or this one, never a mix.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct CheckpointState {
    /// Epochs completed.
    epoch: usize,
    best_epoch: usize,
    best_accuracy: f64,
    /// Lowest validation loss at the best accuracy (ties on accuracy are broken by loss).
    best_loss: f64,
    history: Vec<EpochReport>,
    standardisation: Standardisation,
    /// Everything that must match for a resume to continue the same run.
    fingerprint: String,
    /// Epochs in the running mean of the weights (`average.bpk`; [`TrainOptions::average_from`]).
    #[serde(default)]
    averaged: usize,
}

/// Where and whether to checkpoint.
#[derive(Clone, Debug, Default)]
pub struct Checkpointing {
    pub dir: Option<PathBuf>,
    /// Continue from the checkpoint in `dir` if there is one.
    pub resume: bool,
    /// Stop after this many epochs of this call (simulates a kill in tests).
    pub stop_after: Option<usize>,
}

static FIT_LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Trains `config` on `train` tracks, early-stopping on `validation`.
pub fn fit(
    config: &ModelConfig,
    options: &TrainOptions,
    train: &[&TrackChunks],
    validation: &[&TrackChunks],
    checkpointing: &Checkpointing,
    progress: &mut dyn Progress,
) -> anyhow::Result<Trained> {
    anyhow::ensure!(!train.is_empty(), "no training tracks");
    anyhow::ensure!(!validation.is_empty(), "no validation tracks");
    anyhow::ensure!(options.batch_size > 0, "batch size must be at least 1");
    anyhow::ensure!(
        !(options.running_targets && config.multi_label),
        "running targets are means of class distributions: not for independent tags"
    );
    if let Some(from) = options.average_from {
        anyhow::ensure!(
            (1..=options.max_epochs).contains(&from),
            "weight averaging from epoch {from}: it must be between 1 and the last epoch, {}",
            options.max_epochs
        );
    }
    // burn's CPU backend keeps one random generator per process (initialisation and dropout draw
    // from it), so two fits at once would interleave their draws and neither would be
    // reproducible. Fits in one process therefore run one at a time; each already uses every core.
    let _one_at_a_time = FIT_LOCK
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let device = Device::flex().autodiff();
    let standardisation = Standardisation::fit(train, config.n_mels, config.frames);
    let fingerprint = fingerprint(config, options, train, validation);
    // Running targets restart with each sequence, as its state does.
    let retarget = |mut t: TrackChunks| {
        if options.running_targets {
            t.make_running();
        }
        t
    };
    let pieces: Vec<TrackChunks>;
    let train: Vec<&TrackChunks> = if options.running_targets
        || train
            .iter()
            .any(|t| options.max_chunks > 0 && t.len > options.max_chunks)
    {
        pieces = train
            .iter()
            .flat_map(|t| t.pieces(options.max_chunks))
            .map(retarget)
            .collect();
        pieces.iter().collect()
    } else {
        train.to_vec()
    };
    let train = train.as_slice();
    let running_validation: Vec<TrackChunks>;
    let validation: Vec<&TrackChunks> = if options.running_targets {
        running_validation = validation.iter().map(|&t| retarget(t.clone())).collect();
        running_validation.iter().collect()
    } else {
        validation.to_vec()
    };
    let validation = validation.as_slice();
    // `[1, 1, C]`, built once.
    let per_class = |w: Vec<f32>| {
        Tensor::<1>::from_data(TensorData::new(w, [config.classes]), &device).reshape([
            1,
            1,
            config.classes,
        ])
    };
    let balance = options.balance.then(|| {
        if config.multi_label {
            let w = tag_weights(train, config, options.loss);
            let shift = w.iter().map(|w| w.ln()).collect();
            Balance::Tags {
                weight: Box::new(per_class(w)),
                shift: Box::new(per_class(shift)),
            }
        } else {
            Balance::Classes(Box::new(per_class(class_weights(
                train,
                config,
                options.loss,
            ))))
        }
    });
    let adam = || {
        AdamConfig::new()
            .with_epsilon(1e-8)
            .with_weight_decay(
                (options.weight_decay > 0.0)
                    .then(|| WeightDecayConfig::new(options.weight_decay as f32)),
            )
            .init()
    };
    device.seed(options.seed);
    let fresh = Net::new(config, &device)?;
    fresh.visit(&mut ForceInit);

    let mut state = CheckpointState {
        epoch: 0,
        best_epoch: 0,
        best_accuracy: -1.0,
        best_loss: f64::INFINITY,
        history: Vec::new(),
        standardisation: standardisation.clone(),
        fingerprint: fingerprint.clone(),
        averaged: 0,
    };
    let mut net = fresh.clone();
    let mut optim: ModuleOptimizer = adam();
    let mut average = fresh.clone();
    let mut best = fresh;
    if let Some(dir) = &checkpointing.dir {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("{}: cannot create the checkpoint folder", dir.display()))?;
        if checkpointing.resume
            && let Some(saved) = read_state(dir)?
        {
            anyhow::ensure!(
                saved.fingerprint == fingerprint,
                "{}: the checkpoint belongs to a different run (data, split or options changed); \
                 remove it or run without --resume",
                dir.display()
            );
            if saved.epoch > 0 {
                net = net
                    .try_load_file(dir.join(model_file(saved.epoch)))
                    .with_context(|| format!("{}: cannot load the checkpoint", dir.display()))?;
                optim = adam()
                    .load(dir.join(optim_file(saved.epoch)))
                    .with_context(|| format!("{}: cannot load the optimiser", dir.display()))?;
                best = best
                    .try_load_file(dir.join("best.bpk"))
                    .with_context(|| format!("{}: cannot load the best model", dir.display()))?;
            }
            if saved.averaged > 0 {
                average = average
                    .try_load_file(dir.join(AVERAGE_FILE))
                    .with_context(|| format!("{}: cannot load the mean weights", dir.display()))?;
            }
            state = saved;
        }
    }

    let mut epochs_run = 0;
    let mut since_best = state.epoch - state.best_epoch.min(state.epoch);
    let averaging = options.average_from.is_some();
    while state.epoch < options.max_epochs && (averaging || since_best < options.patience.max(1)) {
        if checkpointing.stop_after.is_some_and(|n| epochs_run >= n) {
            break;
        }
        let epoch = state.epoch + 1;
        let started = Instant::now();
        // Everything random in an epoch derives from (seed, epoch), so a resumed run draws exactly
        // what the uninterrupted one would have.
        let epoch_seed = options.seed ^ (epoch as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        device.seed(epoch_seed);
        let mut order: Vec<usize> = (0..train.len()).collect();
        order.shuffle(&mut StdRng::seed_from_u64(epoch_seed));
        let batches: Vec<&[usize]> = order.chunks(options.batch_size).collect();
        // Drawn apart from the order and burn's generator, so colouring changes nothing else.
        let mut colours = StdRng::seed_from_u64(epoch_seed ^ 0xC01C_0105);
        progress.epoch_started(epoch, batches.len());
        let (mut loss_sum, mut correct) = (0.0, 0.0f64);
        for batch in batches {
            let tracks: Vec<&TrackChunks> = batch.iter().map(|&i| train[i]).collect();
            let coloured: Option<Vec<Vec<f32>>> = options.colour.then(|| {
                (0..tracks.len())
                    .map(|_| colour(&mut colours, config.n_mels))
                    .collect()
            });
            let b = Batch::new(
                &tracks,
                coloured.as_deref(),
                config,
                &standardisation,
                options.loss,
                &device,
            );
            let logits = net.forward(b.x);
            let probs = outputs_of(logits.clone().detach(), config);
            let picked = match &balance {
                None => step_log_likelihood(logits, b.targets, config),
                Some(Balance::Classes(w)) => {
                    step_log_likelihood(logits, b.targets * w.as_ref().clone(), config)
                }
                Some(Balance::Tags { weight, shift }) => {
                    balanced_tag_log_likelihood(logits, b.targets, weight, shift)
                }
            };
            let loss = (picked * b.weights).sum().neg();
            let loss_value = f64::from(loss.clone().into_scalar::<f32>());
            correct += count_correct(probs, &tracks, config);
            let grads = GradientsParams::from_grads(loss.backward(), &net);
            net = optim.step(options.learning_rate, net, grads);
            loss_sum += loss_value * tracks.len() as f64;
            progress.batch_done(loss_value);
        }
        if options.average_from.is_some_and(|from| epoch >= from) {
            state.averaged += 1;
            average = if state.averaged == 1 {
                net.clone()
            } else {
                move_toward(average, &net, 1.0 / state.averaged as f32)
            };
        }
        let eval = evaluate(&net.valid(), &standardisation, validation);
        // Independent tags: agreement at 0.5 saturates (most targets are far below it), so the
        // loss chooses the epoch; so it does where asked ([`Selection::Loss`]).
        let improved = Selection::improves(
            options.select.by_loss(config),
            (eval.accuracy, eval.loss),
            (state.best_accuracy, state.best_loss),
        );
        if improved {
            state.best_accuracy = eval.accuracy;
            state.best_loss = eval.loss;
            state.best_epoch = epoch;
            best = net.clone();
            since_best = 0;
        } else {
            since_best += 1;
        }
        let report = EpochReport {
            epoch,
            train_loss: loss_sum / train.len() as f64,
            train_accuracy: correct / train.len() as f64,
            validation_accuracy: eval.accuracy,
            validation_loss: eval.loss,
            seconds: started.elapsed().as_secs_f64(),
            best: improved,
        };
        progress.epoch_done(&report);
        state.history.push(report);
        state.epoch = epoch;
        epochs_run += 1;
        if let Some(dir) = &checkpointing.dir {
            let kept = Kept {
                best: improved.then_some(&best),
                average: (state.averaged > 0).then_some(&average),
            };
            save_checkpoint(dir, &state, &net, &optim, kept)?;
        }
    }
    if state.averaged > 0 {
        let net = average.valid();
        let accuracy = evaluate(&net, &standardisation, validation).accuracy;
        return Ok(Trained {
            net,
            standardisation,
            validation_accuracy: accuracy,
            best_epoch: state.epoch,
            history: state.history,
            epochs_run,
            averaged: state.averaged,
        });
    }
    Ok(Trained {
        net: best.valid(),
        standardisation,
        validation_accuracy: state.best_accuracy.max(0.0),
        best_epoch: state.best_epoch,
        history: state.history,
        epochs_run,
        averaged: 0,
    })
}

/// `net` moved toward `other` by `weight`: each float parameter `p` becomes
/// `p + (q - p) * weight`, `q` being `other`'s same parameter. With `weight` = 1/n it keeps a
/// running mean of n nets. Parameters pair up in the order a visitor meets them, which is the
/// nets' shared field order.
fn move_toward(net: Net, other: &Net, weight: f32) -> Net {
    struct Collect(Vec<Tensor<1>>);
    impl ModuleVisitor for Collect {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            let value = param.val().detach();
            let n = value.shape().num_elements();
            self.0.push(value.reshape([n]));
        }
    }
    struct Toward {
        others: std::vec::IntoIter<Tensor<1>>,
        weight: f32,
    }
    impl ModuleMapper for Toward {
        fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
            let other = self.others.next();
            param.map(|p| {
                let Some(q) = other else { return p };
                let q = q.reshape(p.shape());
                (p.clone() + (q - p) * self.weight).detach()
            })
        }
    }
    let mut others = Collect(Vec::new());
    other.visit(&mut others);
    net.map(&mut Toward {
        others: others.0.into_iter(),
        weight,
    })
}

/// The checkpoint file of the running mean of the weights.
const AVERAGE_FILE: &str = "average.bpk";

/// The nets a checkpoint keeps besides the current one: the best so far where it just changed,
/// and the running mean of the weights where there is one.
struct Kept<'a> {
    best: Option<&'a Net>,
    average: Option<&'a Net>,
}

/// Forces burn's lazily initialised parameters to draw their values now, in field order, so the
/// initial weights depend on the seed alone and not on when the first forward pass happens.
struct ForceInit;
impl ModuleVisitor for ForceInit {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let _ = param.val();
    }
}

fn model_file(epoch: usize) -> String {
    format!("model-{epoch:04}.bpk")
}

fn optim_file(epoch: usize) -> String {
    format!("optim-{epoch:04}.bpk")
}

fn save_checkpoint(
    dir: &Path,
    state: &CheckpointState,
    net: &Net,
    optim: &ModuleOptimizer,
    kept: Kept,
) -> anyhow::Result<()> {
    let ctx = || format!("{}: cannot write the checkpoint", dir.display());
    net.clone()
        .save_file(dir.join(model_file(state.epoch)))
        .with_context(ctx)?;
    optim
        .save(dir.join(optim_file(state.epoch)))
        .with_context(ctx)?;
    if let Some(best) = kept.best {
        best.clone()
            .save_file(dir.join("best.bpk"))
            .with_context(ctx)?;
    }
    if let Some(average) = kept.average {
        average
            .clone()
            .save_file(dir.join(AVERAGE_FILE))
            .with_context(ctx)?;
    }
    let json = serde_json::to_vec_pretty(state).context("checkpoint state")?;
    let path = dir.join("state.json");
    mcclstm_engine::atomic_file::write(&path, &json).with_context(ctx)?;
    // The previous epoch's files are no longer referenced once the index names this epoch.
    if state.epoch > 1 {
        let _ = std::fs::remove_file(dir.join(model_file(state.epoch - 1)));
        let _ = std::fs::remove_file(dir.join(optim_file(state.epoch - 1)));
    }
    Ok(())
}

fn read_state(dir: &Path) -> anyhow::Result<Option<CheckpointState>> {
    let path = dir.join("state.json");
    if !path.exists() {
        return Ok(None);
    }
    let bytes = std::fs::read(&path).with_context(|| format!("{}: cannot read", path.display()))?;
    serde_json::from_slice(&bytes)
        .map(Some)
        .with_context(|| format!("{}: damaged checkpoint index", path.display()))
}

/// A digest of what defines a run, so `--resume` refuses a checkpoint of another run.
fn fingerprint(
    config: &ModelConfig,
    options: &TrainOptions,
    train: &[&TrackChunks],
    validation: &[&TrackChunks],
) -> String {
    let mut h = blake3::Hasher::new();
    h.update(&serde_json::to_vec(config).unwrap_or_default());
    let mut opts = options.clone();
    // More epochs may be asked for on resume; that does not change the run.
    opts.max_epochs = 0;
    opts.patience = 0;
    h.update(&serde_json::to_vec(&opts).unwrap_or_default());
    for t in train.iter().chain(validation) {
        h.update(t.path.to_string_lossy().as_bytes());
        h.update(&(t.label as u64).to_le_bytes());
        h.update(&(t.len as u64).to_le_bytes());
        for p in &t.targets {
            h.update(&p.to_le_bytes());
        }
    }
    h.finalize().to_hex().to_string()
}

/// What [`TrainOptions::balance`] changes in the loss, `[1, 1, C]` each.
enum Balance {
    /// Exclusive classes: each class's targets times its weight ([`class_weights`]).
    Classes(Box<Tensor<3>>),
    /// Independent tags: each tag's present side weighs `weight`, with the logits shifted by
    /// `shift` = ln `weight` inside the loss ([`balanced_tag_log_likelihood`]).
    Tags {
        weight: Box<Tensor<3>>,
        shift: Box<Tensor<3>>,
    },
}

/// Each class's (or tag's) mass in the loss: its target summed over the steps that carry loss,
/// each track's steps weighing 1 in all, as in [`Batch`]; and how many tracks carry loss.
fn target_mass(tracks: &[&TrackChunks], config: &ModelConfig, loss: LossMode) -> (Vec<f64>, usize) {
    let every_step = loss == LossMode::EveryStep || config.arch.lstm == 0;
    let mut mass = vec![0.0f64; config.classes];
    let mut counted = 0;
    for t in tracks {
        let taught: Vec<usize> = (0..t.len).filter(|&k| t.taught(k)).collect();
        let steps: &[usize] = if every_step {
            &taught
        } else {
            taught.last().map(std::slice::from_ref).unwrap_or_default()
        };
        counted += usize::from(!steps.is_empty());
        for &k in steps {
            for (m, &p) in mass.iter_mut().zip(t.target(k)) {
                *m += f64::from(p) / steps.len() as f64;
            }
        }
    }
    (mass, counted)
}

/// Per-class loss weights for [`TrainOptions::balance`]: each class's mass in the loss
/// ([`target_mass`]) against the mean mass of the classes present, inverted and clamped to
/// [0.1, 10]. A class with no mass keeps weight 1 (it carries no loss anyway).
pub fn class_weights(tracks: &[&TrackChunks], config: &ModelConfig, loss: LossMode) -> Vec<f32> {
    let (mass, _) = target_mass(tracks, config, loss);
    let present: Vec<f64> = mass.iter().copied().filter(|&m| m > 0.0).collect();
    let mean = present.iter().sum::<f64>() / present.len().max(1) as f64;
    mass.iter()
        .map(|&m| {
            if m > 0.0 {
                (mean / m).clamp(0.1, 10.0) as f32
            } else {
                1.0
            }
        })
        .collect()
}

/// Per-tag weights of the present side for [`TrainOptions::balance`] on independent tags: a
/// tag's absent mass over its present mass (`(1 - p) / p`, `p` its mean target, as
/// [`target_mass`] counts it), clamped to [1, 10], so a rare tag's chunks with the tag count about
/// as much as those without. A tag never present keeps weight 1.
pub fn tag_weights(tracks: &[&TrackChunks], config: &ModelConfig, loss: LossMode) -> Vec<f32> {
    let (mass, counted) = target_mass(tracks, config, loss);
    mass.iter()
        .map(|&m| {
            let p = m / counted.max(1) as f64;
            if p > 0.0 {
                ((1.0 - p) / p).clamp(1.0, 10.0) as f32
            } else {
                1.0
            }
        })
        .collect()
}

/// A padded batch on the device.
struct Batch {
    /// `[B, L, 1, mels, frames]`, standardised.
    x: Tensor<5>,
    /// `[B, L, C]`: each step's target distribution (zeros on padded and untaught steps).
    targets: Tensor<3>,
    /// `[B, L]`: loss weight of each step; sums to 1 over the batch.
    weights: Tensor<2>,
}

impl Batch {
    /// `colours`: each track's [`colour`], where training colours them.
    fn new(
        tracks: &[&TrackChunks],
        colours: Option<&[Vec<f32>]>,
        config: &ModelConfig,
        standardisation: &Standardisation,
        loss: LossMode,
        device: &Device,
    ) -> Self {
        let (m, n) = (config.n_mels, config.frames);
        let b = tracks.len();
        let l = tracks.iter().map(|t| t.len).max().unwrap_or(1);
        let mut x = Vec::with_capacity(b * l * m * n);
        let c = config.classes;
        let mut targets = Vec::with_capacity(b * l * c);
        let mut weights = Vec::with_capacity(b * l);
        let every_step = loss == LossMode::EveryStep || config.arch.lstm == 0;
        for (i, t) in tracks.iter().enumerate() {
            let colour = colours.map(|c| c[i].as_slice());
            for chunk in t.chunks.chunks_exact(m * n) {
                standardisation.apply(chunk, n, colour, &mut x);
            }
            x.resize(x.len() + (l - t.len) * m * n, 0.0);
            let taught: Vec<bool> = (0..t.len).map(|k| t.taught(k)).collect();
            let count = taught.iter().filter(|&&on| on).count().max(1);
            // Many-to-one: the last step that has a target.
            let last = taught.iter().rposition(|&on| on);
            targets.extend_from_slice(&t.targets);
            targets.resize(targets.len() + (l - t.len) * c, 0.0);
            for (step, &on) in taught.iter().enumerate() {
                let w = if !on {
                    0.0
                } else if every_step {
                    1.0 / count as f32
                } else if Some(step) == last {
                    1.0
                } else {
                    0.0
                };
                // Each track weighs the same whatever its length; the batch sums to 1.
                weights.push(w / b as f32);
            }
            weights.resize(weights.len() + (l - t.len), 0.0);
        }
        Self {
            x: Tensor::from_data(TensorData::new(x, [b, l, 1, m, n]), device),
            targets: Tensor::from_data(TensorData::new(targets, [b, l, c]), device),
            weights: Tensor::from_data(TensorData::new(weights, [b, l]), device),
        }
    }
}

/// The model's outputs from its logits, `[B, L, C]`: a softmax over the classes, or a sigmoid
/// per tag, as the exported graph computes them.
fn outputs_of(logits: Tensor<3>, config: &ModelConfig) -> Tensor<3> {
    if config.multi_label {
        sigmoid(logits)
    } else {
        softmax(logits, 2)
    }
}

/// Each step's log-likelihood of its targets, `[B, L]`: `Σ t log p` over exclusive classes, or
/// the mean over tags of `t log σ(z) + (1 − t) log σ(−z)` for independent ones.
fn step_log_likelihood(logits: Tensor<3>, targets: Tensor<3>, config: &ModelConfig) -> Tensor<2> {
    if config.multi_label {
        let on = log_sigmoid(logits.clone()) * targets.clone();
        let off = log_sigmoid(logits.neg()) * targets.neg().add_scalar(1.0);
        (on + off).mean_dim(2).squeeze_dim::<2>(2)
    } else {
        (log_softmax(logits, 2) * targets)
            .sum_dim(2)
            .squeeze_dim::<2>(2)
    }
}

/// [`step_log_likelihood`] of independent tags with each tag's present side weighing `weight`
/// (`w`): the mean over tags of `w t log σ(z + ln w) + (1 − t) log σ(−z − ln w)`. Its minimum over
/// `z` is still at `σ(z) = t` (the shift by ln `w` undoes the weight's pull towards "present"), so
/// the trained outputs stay the teacher's probabilities, while the chunks where a rare tag is
/// present count for more of the gradient.
fn balanced_tag_log_likelihood(
    logits: Tensor<3>,
    targets: Tensor<3>,
    weight: &Tensor<3>,
    shift: &Tensor<3>,
) -> Tensor<2> {
    let z = logits + shift.clone();
    let on = log_sigmoid(z.clone()) * targets.clone() * weight.clone();
    let off = log_sigmoid(z.neg()) * targets.neg().add_scalar(1.0);
    (on + off).mean_dim(2).squeeze_dim::<2>(2)
}

/// How right a track's outputs are, from its per-step rows (`track.len` valid rows of `classes`):
/// 1 or 0 for the top class of the track's prediction against the label; for independent tags,
/// the share of (taught chunk, tag) pairs on the same side of 0.5 as the chunk's target.
fn track_score(rows: &[f32], track: &TrackChunks, config: &ModelConfig) -> f64 {
    if config.multi_label {
        return tag_scores(rows, track, config.classes).0;
    }
    let probs = track_probs(rows, track.len, config);
    f64::from(u8::from(
        mcclstm_engine::runner::argmax(&probs) == track.label,
    ))
}

/// A track's loss from its per-step rows: the cross-entropy of its label under the track's
/// prediction; for independent tags, the mean binary cross-entropy over its taught chunks.
fn track_loss(rows: &[f32], track: &TrackChunks, config: &ModelConfig) -> f64 {
    if config.multi_label {
        return tag_scores(rows, track, config.classes).1;
    }
    let probs = track_probs(rows, track.len, config);
    -f64::from(probs[track.label].clamp(1e-12, 1.0)).ln()
}

/// Independent tags, chunk by chunk (each chunk's output against its own target, as the model
/// runs live): the share of (taught chunk, tag) pairs on the same side of 0.5, and the mean
/// binary cross-entropy.
fn tag_scores(rows: &[f32], track: &TrackChunks, classes: usize) -> (f64, f64) {
    let ln = |p: f32| f64::from(p.clamp(1e-12, 1.0)).ln();
    let (mut agree, mut loss, mut n) = (0usize, 0.0f64, 0usize);
    for k in (0..track.len).filter(|&k| track.taught(k)) {
        let Some(row) = rows.get(k * classes..(k + 1) * classes) else {
            break;
        };
        for (&p, &t) in row.iter().zip(track.target(k)) {
            agree += usize::from((p >= 0.5) == (t >= 0.5));
            loss -= f64::from(t) * ln(p) + f64::from(1.0 - t) * ln(1.0 - p);
            n += 1;
        }
    }
    let n = n.max(1) as f64;
    (agree as f64 / n, loss / n)
}

/// Track-level predictions of a training batch's outputs, scored by [`track_score`] and summed.
fn count_correct(probs: Tensor<3>, tracks: &[&TrackChunks], config: &ModelConfig) -> f64 {
    let Ok(values) = probs.try_into_vec_as::<f32>() else {
        return 0.0;
    };
    let l = tracks.iter().map(|t| t.len).max().unwrap_or(1);
    tracks
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let rows = &values[i * l * config.classes..(i + 1) * l * config.classes];
            track_score(rows, t, config)
        })
        .sum()
}

/// A track's probabilities from its per-step probabilities (`len` valid rows): the last step for
/// a stateful model, the mean over steps for a stateless one, as the engine reports them.
fn track_probs(rows: &[f32], len: usize, config: &ModelConfig) -> Vec<f32> {
    let c = config.classes;
    if config.arch.lstm > 0 {
        rows[(len - 1) * c..len * c].to_vec()
    } else {
        let mut mean = vec![0.0f32; c];
        for row in rows[..len * c].chunks_exact(c) {
            for (m, v) in mean.iter_mut().zip(row) {
                *m += v / len as f32;
            }
        }
        mean
    }
}

/// Padded chunk steps one evaluation batch may hold: whole tracks of minutes go one or a few at
/// a time, 30 s clips sixteen at a time.
const EVAL_STEPS: usize = 256;

/// `tracks` in consecutive groups of at most 16 whose padded size stays within [`EVAL_STEPS`]
/// (a longer track goes alone).
fn eval_groups<'a, 'b>(tracks: &'b [&'a TrackChunks]) -> Vec<&'b [&'a TrackChunks]> {
    let mut groups = Vec::new();
    let (mut start, mut longest) = (0, 0);
    for (i, t) in tracks.iter().enumerate() {
        let longer = longest.max(t.len);
        if i > start && (i - start >= 16 || (i + 1 - start) * longer > EVAL_STEPS) {
            groups.push(&tracks[start..i]);
            start = i;
            longest = t.len;
        } else {
            longest = longer;
        }
    }
    if start < tracks.len() {
        groups.push(&tracks[start..]);
    }
    groups
}

/// Accuracy, mean cross-entropy and per-track probabilities on held-out tracks.
pub struct Evaluation {
    pub accuracy: f64,
    pub loss: f64,
    pub probs: Vec<Vec<f32>>,
}

/// Runs `net` (in inference mode) over `tracks`, a few at a time.
pub fn evaluate(
    net: &Net,
    standardisation: &Standardisation,
    tracks: &[&TrackChunks],
) -> Evaluation {
    let device = Device::flex();
    let config = net.config().clone();
    let mut probs = Vec::with_capacity(tracks.len());
    let (mut correct, mut loss) = (0.0f64, 0.0f64);
    for group in eval_groups(tracks) {
        let b = Batch::new(
            group,
            None,
            &config,
            standardisation,
            LossMode::Last,
            &device,
        );
        let p = outputs_of(net.forward(b.x), &config);
        let values = p.try_into_vec_as::<f32>().unwrap_or_default();
        let l = group.iter().map(|t| t.len).max().unwrap_or(1);
        for (i, t) in group.iter().enumerate() {
            let rows = values
                .get(i * l * config.classes..(i + 1) * l * config.classes)
                .unwrap_or_default();
            if rows.is_empty() {
                probs.push(vec![f32::NAN; config.classes]);
                loss += f64::INFINITY;
            } else {
                probs.push(track_probs(rows, t.len, &config));
                correct += track_score(rows, t, &config);
                loss += track_loss(rows, t, &config);
            }
        }
    }
    let n = tracks.len().max(1) as f64;
    Evaluation {
        accuracy: correct / n,
        loss: loss / n,
        probs,
    }
}

/// Per-step probabilities of one chunk sequence (raw log-mel chunks, standardised here), as the
/// engine would report them chunk by chunk: for the export's burn-vs-tract check.
pub fn step_probs(
    net: &Net,
    standardisation: &Standardisation,
    chunks: &[Vec<f32>],
) -> anyhow::Result<Vec<Vec<f32>>> {
    let config = net.config();
    let (m, n) = (config.n_mels, config.frames);
    let mut x = Vec::with_capacity(chunks.len() * m * n);
    for c in chunks {
        standardisation.apply(c, n, None, &mut x);
    }
    let input = Tensor::<5>::from_data(
        TensorData::new(x, [1, chunks.len(), 1, m, n]),
        &Device::flex(),
    );
    let probs = outputs_of(net.forward(input), config)
        .try_into_vec_as::<f32>()
        .map_err(|e| anyhow::anyhow!("cannot read burn's output: {e:?}"))?;
    Ok(probs
        .chunks_exact(config.classes)
        .map(<[f32]>::to_vec)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Init;
    use mcclstm_engine::Architecture;

    fn config(arch: Architecture) -> ModelConfig {
        ModelConfig {
            arch: mcclstm_onnx::arch::ArchConfig::paper(arch),
            dropout: 0.0,
            init: Init::Default,
            n_mels: 2,
            frames: 1,
            classes: 2,
            multi_label: false,
        }
    }

    fn track(targets: Vec<f32>) -> TrackChunks {
        let len = targets.len() / 2;
        TrackChunks {
            path: PathBuf::from("t"),
            label: 0,
            group: None,
            chunks: vec![0.0; len * 2],
            len,
            seconds: len as f64,
            targets,
        }
    }

    fn weights_and_targets(loss: LossMode, tracks: &[&TrackChunks]) -> (Vec<f32>, Vec<f32>) {
        let s = Standardisation {
            mean: vec![0.0; 2],
            std: vec![1.0; 2],
        };
        let b = Batch::new(
            tracks,
            None,
            &config(Architecture::Mcclstm),
            &s,
            loss,
            &Device::flex(),
        );
        (
            b.weights.try_into_vec_as::<f32>().unwrap(),
            b.targets.try_into_vec_as::<f32>().unwrap(),
        )
    }

    #[test]
    fn a_colour_stays_within_its_parts_and_repeats_with_its_seed() {
        let draw = |seed| colour(&mut StdRng::seed_from_u64(seed), 40);
        let a = draw(7);
        assert_eq!(a.len(), 40);
        assert_eq!(a, draw(7));
        assert_ne!(a, draw(8));
        // A level, a tilt and a bell, each within ±COLOUR_DB.
        assert!(a.iter().all(|v| v.abs() <= 3.0 * COLOUR_DB), "{a:?}");
        // Over many draws the bands move by several dB, both ways, and unlike each other.
        let many: Vec<Vec<f32>> = (0..200).map(draw).collect();
        let spread = |m: usize| {
            let v: Vec<f32> = many.iter().map(|c| c[m]).collect();
            let mean = v.iter().sum::<f32>() / v.len() as f32;
            (v.iter().map(|x| (x - mean).powi(2)).sum::<f32>() / v.len() as f32).sqrt()
        };
        assert!((0..40).all(|m| spread(m) > 2.0), "{}", spread(0));
        assert!(many.iter().any(|c| c[0] - c[39] > 6.0));
        assert!(many.iter().any(|c| c[39] - c[0] > 6.0));
        // A single band (and a single colour part) does not divide by zero.
        assert!(colour(&mut StdRng::seed_from_u64(1), 1)[0].is_finite());
    }

    #[test]
    fn a_coloured_batch_moves_each_band_of_its_track_by_that_bands_offset() {
        // Two tracks of two chunks of 2 bands x 1 frame, standardised by a std of 2 dB: a
        // track's colour moves every chunk's band m by colour[m] / std, and only that track's.
        let s = Standardisation {
            mean: vec![1.0, -1.0],
            std: vec![2.0, 2.0],
        };
        let mut a = track(vec![1.0, 0.0, 1.0, 0.0]);
        a.chunks = vec![3.0, 5.0, -1.0, 7.0];
        let b = a.clone();
        let run = |colours: Option<&[Vec<f32>]>| {
            Batch::new(
                &[&a, &b],
                colours,
                &config(Architecture::Mcclstm),
                &s,
                LossMode::EveryStep,
                &Device::flex(),
            )
            .x
            .try_into_vec_as::<f32>()
            .unwrap()
        };
        let plain = run(None);
        assert_eq!(plain[..4], [1.0, 3.0, -1.0, 4.0]);
        let coloured = run(Some(&[vec![4.0, -2.0], vec![0.0, 0.0]]));
        let moved: Vec<f32> = coloured.iter().zip(&plain).map(|(c, p)| c - p).collect();
        assert_eq!(moved, [2.0, -1.0, 2.0, -1.0, 0.0, 0.0, 0.0, 0.0]);
    }

    #[test]
    fn each_selection_keeps_the_epoch_its_own_score_prefers() {
        let best = (0.60, 1.00);
        // More tracks right but a worse loss: only accuracy takes it.
        assert!(Selection::improves(false, (0.65, 1.20), best));
        assert!(!Selection::improves(true, (0.65, 1.20), best));
        // Fewer right but a better loss: only the loss takes it.
        assert!(!Selection::improves(false, (0.55, 0.90), best));
        assert!(Selection::improves(true, (0.55, 0.90), best));
        // Accuracy ties are broken by the loss; an equal loss is not better.
        assert!(Selection::improves(false, (0.60, 0.99), best));
        assert!(!Selection::improves(false, (0.60, 1.00), best));
        assert!(!Selection::improves(true, (0.70, 1.00), best));
    }

    #[test]
    fn the_balanced_tag_loss_is_best_where_the_output_is_the_target() {
        // One tag, target 0.2, its present side weighing 4: the log-likelihood over a grid of
        // logits peaks at logit(0.2) = ln 0.25 with the shift, at ln 0.25 + ln 4 = 0 without.
        let device = Device::flex();
        let zs: Vec<f32> = (0..801).map(|i| -4.0 + i as f32 * 0.01).collect();
        let n = zs.len();
        let one = |v: Vec<f32>, len: usize| {
            Tensor::<1>::from_data(TensorData::new(v, [len]), &device).reshape([1, len, 1])
        };
        let peak = |shift: f32| {
            let ll = balanced_tag_log_likelihood(
                one(zs.clone(), n),
                one(vec![0.2; n], n),
                &one(vec![4.0], 1),
                &one(vec![shift], 1),
            )
            .try_into_vec_as::<f32>()
            .unwrap();
            let best = (0..n).max_by(|&a, &b| ll[a].total_cmp(&ll[b])).unwrap();
            zs[best]
        };
        assert!(
            (peak(4f32.ln()) - 0.25f32.ln()).abs() < 0.011,
            "{}",
            peak(4f32.ln())
        );
        assert!(peak(0.0).abs() < 0.011, "{}", peak(0.0));
    }

    #[test]
    fn tag_weights_weigh_a_tag_by_its_rarity_within_one_and_ten() {
        // Tag 0 present at 0.25 on average, tag 1 at 0.02 (clamped to 10), tag 2 at 0.6 (to 1).
        let mut config = config(Architecture::Mcclstm);
        config.classes = 3;
        let a = TrackChunks {
            targets: vec![0.5, 0.04, 0.6, 0.0, 0.0, 0.6],
            chunks: vec![0.0; 4],
            ..track(vec![0.0; 4])
        };
        let w = tag_weights(&[&a], &config, LossMode::EveryStep);
        assert!(
            (w[0] - 3.0).abs() < 1e-5 && w[1] == 10.0 && w[2] == 1.0,
            "{w:?}"
        );
    }

    #[test]
    fn balanced_class_weights_invert_each_class_share_of_the_loss() {
        // Class 0: three tracks' worth of loss; class 1: one (split over two soft steps).
        let a = track(vec![1.0, 0.0, 1.0, 0.0]);
        let b = track(vec![1.0, 0.0]);
        let c = track(vec![1.0, 0.0]);
        let d = track(vec![0.5, 0.5, 0.0, 1.0, 0.0, 0.0]);
        let config = config(Architecture::Mcclstm);
        let w = class_weights(&[&a, &b, &c, &d], &config, LossMode::EveryStep);
        // Masses: class 0 3.25, class 1 0.75; mean 2.0.
        assert!(
            (w[0] - 2.0 / 3.25).abs() < 1e-6 && (w[1] - 2.0 / 0.75).abs() < 1e-6,
            "{w:?}"
        );
        // Many-to-one: only each track's last taught step counts.
        let w = class_weights(&[&a, &d], &config, LossMode::Last);
        assert_eq!(w, [1.0, 1.0]);
    }

    #[test]
    fn untaught_and_padded_steps_carry_no_loss_and_each_track_weighs_the_same() {
        // Three chunks, the middle one untaught; and a one-chunk track.
        let a = track(vec![0.3, 0.7, 0.0, 0.0, 1.0, 0.0]);
        let b = track(vec![0.0, 1.0]);
        let (w, t) = weights_and_targets(LossMode::EveryStep, &[&a, &b]);
        assert_eq!(w, [0.25, 0.0, 0.25, 0.5, 0.0, 0.0]);
        assert_eq!(
            t,
            [0.3, 0.7, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0]
        );
        // Many-to-one: the last taught step of each track.
        let c = track(vec![0.0, 1.0, 1.0, 0.0, 0.0, 0.0]);
        let (w, _) = weights_and_targets(LossMode::Last, &[&c, &b]);
        assert_eq!(w, [0.0, 0.5, 0.0, 0.5, 0.0, 0.0]);
    }
}
