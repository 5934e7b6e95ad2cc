//! Running a model one chunk at a time, as tract's pipeline: load, check the contract, fix the
//! input facts, optimise into a typed plan (once), then step.
//!
//! A [`StreamingRunner`] carries what a track needs between chunks: the LSTM state `(h, c)` of a
//! stateful model, or the running mean of chunk probabilities of a stateless one. The plugin's
//! analysis thread and `mcclstm analyze` use the same runner through [`crate::stream`], so live and
//! offline results agree.

use std::path::Path;
use std::sync::{Arc, Weak};

use tract_onnx::prelude::*;

use crate::confidence::Confidence;
use crate::contract::{self, ModelDescription, ModelKind, names};
use crate::error::{ContractError, RunError};
use crate::fast;

/// A loaded, checked and optimised model. Cheap to clone; share one between runners.
#[derive(Clone)]
pub struct Model {
    inner: Arc<Inner>,
}

/// A [`Model`] held without keeping it loaded ([`Model::downgrade`]): a cache of loaded models
/// that frees each once its last user drops it.
#[derive(Clone)]
pub struct WeakModel(Weak<Inner>);

impl WeakModel {
    /// The model, while some [`Model`] still holds it.
    pub fn upgrade(&self) -> Option<Model> {
        self.0.upgrade().map(|inner| Model { inner })
    }
}

struct Inner {
    description: ModelDescription,
    backend: Arc<Backend>,
}

/// What runs the steps: planned once at load time.
enum Backend {
    /// Our own runner ([`crate::fast`]), for graphs made of the operators our exporter writes.
    Fast(fast::Plan),
    /// tract's optimised plan, for any other graph the contract accepts.
    Tract(TractPlan),
}

struct TractPlan {
    plan: Arc<TypedRunnableModel>,
    /// The contract name of each plan input, in plan order.
    input_order: Vec<&'static str>,
    /// Where `probs`, `h1` and `c1` are among the plan's outputs.
    probs_at: usize,
    h1_at: Option<usize>,
    c1_at: Option<usize>,
}

/// Which runner steps a model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunnerKind {
    /// [`crate::fast`]: planned at load, allocation-free per step.
    Fast,
    /// tract, the general ONNX runtime.
    Tract,
}

impl RunnerKind {
    pub fn name(self) -> &'static str {
        match self {
            RunnerKind::Fast => "fast",
            RunnerKind::Tract => "tract",
        }
    }
}

impl std::fmt::Display for RunnerKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Which runner to load a model for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RunnerChoice {
    /// The fast runner where it plans the graph, tract otherwise.
    #[default]
    Auto,
    /// tract always (the reference the fast runner is tested against).
    Tract,
    /// The fast runner with its portable kernels, never the AVX ones, where it plans the graph
    /// (tests check them on machines that would otherwise pick AVX); tract otherwise.
    FastPortable,
}

/// The largest model file [`Model::from_file`] reads: 256 MiB, far above any MCCLSTM (the shipped
/// ones are 4.5 MB; the paper's largest configuration a few tens of MB).
pub const MAX_MODEL_FILE_BYTES: u64 = 256 << 20;

impl Model {
    /// A handle that does not keep this model loaded.
    pub fn downgrade(&self) -> WeakModel {
        WeakModel(Arc::downgrade(&self.inner))
    }

    /// Whether `self` and `other` are one loaded model (clones of each other), sharing weights.
    pub fn is_same_loaded_model(&self, other: &Model) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// Reads a model file and checks it. Errors name the file and what is wrong. Only a regular
    /// file of at most [`MAX_MODEL_FILE_BYTES`] is read: a path from a plugin state or a typo may
    /// name a device, a pipe or a folder (`/dev/zero` would otherwise be read until memory ran
    /// out, a FIFO would block forever).
    pub fn from_file(path: &Path) -> Result<Self, ContractError> {
        let io = |source: std::io::Error| ContractError::Io {
            path: path.to_path_buf(),
            source,
        };
        let refuse = |why: String| io(std::io::Error::new(std::io::ErrorKind::InvalidInput, why));
        let meta = std::fs::metadata(path).map_err(io)?;
        if !meta.is_file() {
            return Err(refuse("not a regular file".into()));
        }
        if meta.len() > MAX_MODEL_FILE_BYTES {
            return Err(refuse(format!(
                "{} bytes; a model file is at most {MAX_MODEL_FILE_BYTES}",
                meta.len()
            )));
        }
        let mut bytes = Vec::with_capacity(meta.len() as usize);
        std::io::Read::read_to_end(
            &mut std::io::Read::take(
                std::fs::File::open(path).map_err(io)?,
                MAX_MODEL_FILE_BYTES + 1,
            ),
            &mut bytes,
        )
        .map_err(io)?;
        if bytes.len() as u64 > MAX_MODEL_FILE_BYTES {
            return Err(refuse(format!(
                "it grew past {MAX_MODEL_FILE_BYTES} bytes while being read"
            )));
        }
        Self::from_bytes(&bytes)
    }

    /// Checks the bytes against the contract, builds the optimised plan for one chunk at a time
    /// (batch 1), and checks the output shapes tract infers. The bytes are untrusted (a file a
    /// user picked, a plugin state): a panic in the ONNX parser or tract is caught and returned
    /// as [`ContractError::LoaderPanicked`], so it can never unwind into a host.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ContractError> {
        Self::from_bytes_with(bytes, RunnerChoice::Auto)
    }

    /// [`Model::from_bytes`] with the runner chosen.
    pub fn from_bytes_with(bytes: &[u8], choice: RunnerChoice) -> Result<Self, ContractError> {
        std::panic::catch_unwind(|| Self::build(bytes, choice)).unwrap_or_else(|payload| {
            Err(ContractError::LoaderPanicked(crate::error::panic_message(
                payload.as_ref(),
            )))
        })
    }

    fn build(bytes: &[u8], choice: RunnerChoice) -> Result<Self, ContractError> {
        let checked = contract::check(bytes)?;
        let description = checked.description.clone();
        let fe = &description.frontend;
        let hidden = match description.kind {
            ModelKind::Stateful { hidden } => Some(hidden),
            ModelKind::Stateless => None,
        };
        let n_classes = description.labels.len();
        let portable = choice == RunnerChoice::FastPortable;
        let planned = match choice {
            RunnerChoice::Tract => None,
            RunnerChoice::Auto | RunnerChoice::FastPortable => fast::Plan::new(
                &checked.proto,
                fe.n_mels,
                fe.chunk_frames,
                hidden,
                n_classes,
                portable,
            )
            .ok(),
        };
        let backend = match planned {
            Some(plan) => Backend::Fast(plan),
            None => Backend::Tract(Self::tract(checked, hidden)?),
        };
        Ok(Self {
            inner: Arc::new(Inner {
                description,
                backend: Arc::new(backend),
            }),
        })
    }

    /// tract's plan for one chunk at a time (batch 1), with the output shapes it infers checked.
    fn tract(
        checked: contract::CheckedModel,
        hidden: Option<usize>,
    ) -> Result<TractPlan, ContractError> {
        let description = &checked.description;
        let fe = &description.frontend;
        let mel_shape = [1usize, 1, fe.n_mels, fe.chunk_frames];
        let model_err = |e: TractError| ContractError::Model(format!("{e:#}"));

        let mut model = tract_onnx::onnx()
            .model_for_proto_model(&checked.proto)
            .map_err(model_err)?;
        for (i, name) in checked.input_order.iter().enumerate() {
            let fact = match *name {
                names::MEL => f32::fact(mel_shape),
                _ => f32::fact([1usize, 1, hidden.unwrap_or(0)]),
            };
            model.set_input_fact(i, fact.into()).map_err(model_err)?;
        }
        let typed = model.into_optimized().map_err(model_err)?;

        // The declared outputs may omit shapes; the ones tract infers are what will run.
        let output_at = |name: &str| checked.output_order.iter().position(|n| *n == name);
        let probs_at = output_at(names::PROBS).ok_or(ContractError::MissingOutput(names::PROBS))?;
        let n_classes = description.labels.len();
        let expect_shape = |at: usize, tensor: &str, expected: &[usize]| {
            let outlet = typed.output_outlets().map_err(model_err)?[at];
            let fact = typed.outlet_fact(outlet).map_err(model_err)?;
            let found = fact.shape.as_concrete().map(|s| s.to_vec());
            if fact.datum_type != f32::datum_type() || found.as_deref() != Some(expected) {
                return Err(ContractError::BadShape {
                    tensor: tensor.to_string(),
                    expected: format!("{expected:?} float32"),
                    found: format!("{:?} {:?}", fact.shape, fact.datum_type),
                });
            }
            Ok(())
        };
        expect_shape(probs_at, names::PROBS, &[1, n_classes])?;
        let (h1_at, c1_at) = match hidden {
            Some(h) => {
                let h1 = output_at(names::H1).ok_or(ContractError::MissingOutput(names::H1))?;
                let c1 = output_at(names::C1).ok_or(ContractError::MissingOutput(names::C1))?;
                expect_shape(h1, names::H1, &[1, 1, h])?;
                expect_shape(c1, names::C1, &[1, 1, h])?;
                (Some(h1), Some(c1))
            }
            None => (None, None),
        };
        let plan = typed.into_runnable().map_err(model_err)?;
        Ok(TractPlan {
            plan,
            input_order: checked.input_order,
            probs_at,
            h1_at,
            c1_at,
        })
    }

    pub fn description(&self) -> &ModelDescription {
        &self.inner.description
    }

    /// The same network with another calibration (e.g. none, to fit a new one on its raw
    /// outputs). Shares the optimised plan.
    pub fn with_confidence(&self, confidence: Confidence) -> Self {
        let inner = &self.inner;
        let mut description = inner.description.clone();
        description.confidence = confidence;
        Self {
            inner: Arc::new(Inner {
                description,
                backend: inner.backend.clone(),
            }),
        }
    }

    /// Which runner steps this model.
    pub fn runner_kind(&self) -> RunnerKind {
        match *self.inner.backend {
            Backend::Fast(_) => RunnerKind::Fast,
            Backend::Tract(_) => RunnerKind::Tract,
        }
    }

    /// The runner in words, for people: "fast (avx2+fma)" or "tract".
    pub fn runner_name(&self) -> String {
        match &*self.inner.backend {
            Backend::Fast(plan) => format!("fast ({})", plan.kernel_name()),
            Backend::Tract(_) => "tract".to_string(),
        }
    }

    /// A fresh runner at the start of a track.
    pub fn runner(&self) -> StreamingRunner {
        StreamingRunner::new(self.clone())
    }

    /// Values in one chunk: mels x frames.
    pub fn chunk_len(&self) -> usize {
        self.inner.description.frontend.chunk_len()
    }
}

/// What one step gives.
#[derive(Clone, Copy, Debug)]
pub struct StepOutput<'a> {
    /// Zero-based chunk index since the last reset.
    pub chunk_index: u64,
    /// The model's output for this chunk. For a stateful model this already reflects every chunk
    /// since the reset; for a stateless one it is this chunk alone.
    pub chunk: &'a [f32],
    /// The running estimate for the track so far: the stateful model's latest output, or the mean
    /// of the stateless model's chunk outputs.
    pub track: &'a [f32],
}

/// Runs a model chunk by chunk over one track, carrying its state.
pub struct StreamingRunner {
    model: Model,
    /// The fast runner's buffers (allocated here, once); `None` on tract.
    scratch: Option<fast::Scratch>,
    h: Vec<f32>,
    c: Vec<f32>,
    /// The last inference's outputs, before they are committed (`step`) or not (`peek`).
    out_probs: Vec<f32>,
    out_h: Vec<f32>,
    out_c: Vec<f32>,
    sum: Vec<f64>,
    chunks: u64,
    chunk_probs: Vec<f32>,
    track_probs: Vec<f32>,
    /// What [`StreamingRunner::peek`] gives.
    peek_probs: Vec<f32>,
}

impl StreamingRunner {
    pub fn new(model: Model) -> Self {
        let hidden = match model.description().kind {
            ModelKind::Stateful { hidden } => hidden,
            ModelKind::Stateless => 0,
        };
        let classes = model.description().labels.len();
        let scratch = match &*model.inner.backend {
            Backend::Fast(plan) => Some(plan.scratch()),
            Backend::Tract(_) => None,
        };
        Self {
            scratch,
            h: vec![0.0; hidden],
            c: vec![0.0; hidden],
            out_probs: vec![0.0; classes],
            out_h: vec![0.0; hidden],
            out_c: vec![0.0; hidden],
            sum: vec![0.0; classes],
            chunks: 0,
            chunk_probs: vec![0.0; classes],
            track_probs: vec![0.0; classes],
            peek_probs: vec![0.0; classes],
            model,
        }
    }

    pub fn model(&self) -> &Model {
        &self.model
    }

    /// Chunks run since the last reset.
    pub fn chunks(&self) -> u64 {
        self.chunks
    }

    /// The LSTM state `(h, c)` after the last step; empty for a stateless model.
    pub fn state(&self) -> (&[f32], &[f32]) {
        (&self.h, &self.c)
    }

    /// Back to the start of a track: zero LSTM state, empty mean.
    pub fn reset(&mut self) {
        self.h.fill(0.0);
        self.c.fill(0.0);
        self.sum.fill(0.0);
        self.chunks = 0;
        self.chunk_probs.fill(0.0);
        self.track_probs.fill(0.0);
    }

    /// Runs one chunk laid out `[n_mels, chunk_frames]` (see [`crate::ChunkAssembler`]).
    ///
    /// On an error the state is left as it was before the call, so a failed chunk is discarded,
    /// not half-applied.
    pub fn step(&mut self, chunk: &[f32]) -> Result<StepOutput<'_>, RunError> {
        self.infer(chunk)?;
        if self.out_h.iter().chain(&self.out_c).any(|v| !v.is_finite()) {
            return Err(RunError::BadOutput("a non-finite LSTM state".to_string()));
        }
        self.h.copy_from_slice(&self.out_h);
        self.c.copy_from_slice(&self.out_c);
        let inner = &self.model.inner;
        self.chunk_probs.copy_from_slice(&self.out_probs);
        // Every caller (analyze, evaluate, the plugin) sees calibrated probabilities.
        inner
            .description
            .confidence
            .calibrate(&mut self.chunk_probs);
        self.chunks += 1;
        match inner.description.kind {
            ModelKind::Stateful { .. } => self.track_probs.copy_from_slice(&self.chunk_probs),
            ModelKind::Stateless => {
                for (s, &p) in self.sum.iter_mut().zip(&self.chunk_probs) {
                    *s += f64::from(p);
                }
                let n = self.chunks as f64;
                for (t, s) in self.track_probs.iter_mut().zip(&self.sum) {
                    *t = (s / n) as f32;
                }
            }
        }
        Ok(StepOutput {
            chunk_index: self.chunks - 1,
            chunk: &self.chunk_probs,
            track: &self.track_probs,
        })
    }

    /// The running estimate the track would have if `chunk` were the next chunk, without
    /// committing anything: the LSTM state, the running mean, the chunk count and the last
    /// step's outputs stay as they were. The plugin's provisional results between chunk
    /// boundaries come from here (`crate::stream`).
    pub fn peek(&mut self, chunk: &[f32]) -> Result<&[f32], RunError> {
        self.infer(chunk)?;
        let inner = &self.model.inner;
        self.peek_probs.copy_from_slice(&self.out_probs);
        inner.description.confidence.calibrate(&mut self.peek_probs);
        if inner.description.kind == ModelKind::Stateless {
            let n = (self.chunks + 1) as f64;
            for (p, s) in self.peek_probs.iter_mut().zip(&self.sum) {
                *p = ((s + f64::from(*p)) / n) as f32;
            }
        }
        Ok(&self.peek_probs)
    }

    /// One run of the model on `chunk` from the carried state, into `out_probs` (checked finite),
    /// `out_h` and `out_c`. Allocates nothing on the fast runner.
    fn infer(&mut self, chunk: &[f32]) -> Result<(), RunError> {
        let expected = self.model.chunk_len();
        if chunk.len() != expected {
            return Err(RunError::ChunkSize {
                expected,
                found: chunk.len(),
            });
        }
        match (&*self.model.inner.backend, &mut self.scratch) {
            (Backend::Fast(plan), Some(scratch)) => {
                // The plan's buffers are sized at load and checked there, so a step cannot go out
                // of bounds; a panic would still be caught like tract's below.
                let inputs = fast::StepInputs {
                    mel: chunk,
                    h: &self.h,
                    c: &self.c,
                };
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    plan.run(scratch, inputs)
                }))
                .map_err(|payload| {
                    RunError::Inference(format!(
                        "the fast runner crashed (a bug, caught): {}",
                        crate::error::panic_message(payload.as_ref())
                    ))
                })?
                .map_err(|e| RunError::Inference(e.to_string()))?;
                let scratch = &*scratch;
                checked_probs(plan.value(scratch, plan.probs), &mut self.out_probs)?;
                if let (Some(h1), Some(c1)) = (plan.h1, plan.c1) {
                    self.out_h.copy_from_slice(plan.value(scratch, h1));
                    self.out_c.copy_from_slice(plan.value(scratch, c1));
                }
                Ok(())
            }
            (Backend::Tract(tract), _) => {
                let outputs = self.tract_run(tract, chunk)?;
                checked_probs(read(&outputs, tract.probs_at)?, &mut self.out_probs)?;
                if let (Some(h1), Some(c1)) = (tract.h1_at, tract.c1_at) {
                    self.out_h.copy_from_slice(read(&outputs, h1)?);
                    self.out_c.copy_from_slice(read(&outputs, c1)?);
                }
                Ok(())
            }
            (Backend::Fast(_), None) => Err(RunError::Inference(
                "the fast runner has no buffers (a bug)".to_string(),
            )),
        }
    }

    fn tract_run(&self, tract: &TractPlan, chunk: &[f32]) -> Result<TVec<TValue>, RunError> {
        let fe = &self.model.inner.description.frontend;
        let mut inputs: TVec<TValue> = TVec::new();
        for name in &tract.input_order {
            let tensor = match *name {
                names::MEL => Tensor::from_shape(&[1, 1, fe.n_mels, fe.chunk_frames], chunk),
                names::H0 => Tensor::from_shape(&[1, 1, self.h.len()], &self.h),
                _ => Tensor::from_shape(&[1, 1, self.c.len()], &self.c),
            }
            .map_err(run_err)?;
            inputs.push(tensor.into_tvalue());
        }
        // `run` spawns a fresh state each call: all carried state is in our h and c, never hidden
        // inside tract's op states.
        // A panic inside tract is caught and reported like any failed step: the analysis thread
        // (and the host around it) keeps running, and the state stays as it was.
        let plan = &tract.plan;
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| plan.run(inputs)))
            .map_err(|payload| {
                RunError::Inference(format!(
                    "the model crashed the runtime (a bug there, caught): {}",
                    crate::error::panic_message(payload.as_ref())
                ))
            })?
            .map_err(run_err)
    }
}

fn run_err(e: TractError) -> RunError {
    RunError::Inference(format!("{e:#}"))
}

fn read(outputs: &[TValue], at: usize) -> Result<&[f32], RunError> {
    outputs[at]
        .try_as_plain_ram()
        .and_then(|v| v.as_slice::<f32>())
        .map_err(run_err)
}

/// The `probs` output, checked (as many finite values as classes), copied into `out`.
fn checked_probs(probs: &[f32], out: &mut [f32]) -> Result<(), RunError> {
    if probs.len() != out.len() || probs.iter().any(|p| !p.is_finite()) {
        return Err(RunError::BadOutput(format!(
            "non-finite or mis-sized probabilities ({} values)",
            probs.len()
        )));
    }
    out.copy_from_slice(probs);
    Ok(())
}

/// Index of the largest value (the first one on ties); 0 for an empty slice.
pub fn argmax(values: &[f32]) -> usize {
    values
        .iter()
        .enumerate()
        .fold(
            (0, f32::MIN),
            |best, (i, &v)| if v > best.1 { (i, v) } else { best },
        )
        .0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_model_path_that_is_no_regular_file_is_refused_without_reading_it() {
        // A device that never ends, a folder, a missing file: each a clear error at once.
        for (path, why) in [
            ("/dev/zero", "not a regular file"),
            ("/", "not a regular file"),
            ("/nonexistent/model.onnx", "No such file"),
        ] {
            let Err(err) = Model::from_file(Path::new(path)) else {
                panic!("{path}: loaded");
            };
            let err = err.to_string();
            assert!(err.contains(path) && err.contains(why), "{path}: {err}");
        }
        // An empty regular file reaches the contract check.
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.onnx");
        std::fs::write(&empty, b"").unwrap();
        assert!(matches!(
            Model::from_file(&empty),
            Err(ContractError::Empty)
        ));
    }
}
