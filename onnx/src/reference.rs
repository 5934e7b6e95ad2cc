//! ONNX Runtime as the independent reference that checks every exported model.
//!
//! ONNX Runtime is loaded at run time (ort's `load-dynamic`) from the library inside the
//! `onnxruntime` wheel. Where it is: `$ORT_DYLIB_PATH`, else the copy `cargo xtask test` installs
//! under `target/onnxruntime/`. Nothing is downloaded here.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use ort::environment::Environment;
use ort::session::Session;
use ort::session::builder::GraphOptimizationLevel;
use ort::value::TensorRef;

/// The onnxruntime wheel version the test command installs (ort's `api-22` needs 1.22 or newer).
pub const ONNXRUNTIME_VERSION: &str = "1.31.1";

#[derive(Debug, thiserror::Error)]
pub enum ReferenceError {
    #[error(
        "ONNX Runtime, the independent check every exported model passes, is not installed: run \
         `cargo xtask onnxruntime` once (it installs the pinned `onnxruntime` wheel under \
         target/onnxruntime, where it is found automatically), or set ORT_DYLIB_PATH to a \
         libonnxruntime.so"
    )]
    NotFound,
    #[error("{path}: cannot load ONNX Runtime: {reason}")]
    Load { path: PathBuf, reason: String },
    #[error("ONNX Runtime: {0}")]
    Ort(String),
}

impl From<ort::Error> for ReferenceError {
    fn from(e: ort::Error) -> Self {
        ReferenceError::Ort(e.to_string())
    }
}

/// Finds the ONNX Runtime shared library.
pub fn find_library() -> Result<PathBuf, ReferenceError> {
    if let Some(path) = std::env::var_os("ORT_DYLIB_PATH") {
        return Ok(PathBuf::from(path));
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let capi = target.join("onnxruntime/onnxruntime/capi");
    std::fs::read_dir(&capi)
        .ok()
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("libonnxruntime.so"))
        })
        .ok_or(ReferenceError::NotFound)
}

/// The process-wide ONNX Runtime environment (ONNX Runtime allows only one per process).
fn environment() -> Result<&'static Environment, ReferenceError> {
    // A failure is cached as its message: ort's error is not `Clone`, and each call needs one.
    static ENV: OnceLock<Result<Environment, String>> = OnceLock::new();
    let path = find_library()?;
    ENV.get_or_init(|| {
        ort::init_from(&path)
            .map_err(|e| format!("{}: {e}", path.display()))?
            .with_name("mcclstm-reference")
            .build()
            .map_err(|e| e.to_string())
    })
    .as_ref()
    .map_err(|reason| ReferenceError::Load {
        path: path.clone(),
        reason: reason.clone(),
    })
}

/// A model loaded in ONNX Runtime.
pub struct OrtModel {
    session: Session,
}

/// An output: shape and values.
pub type Output = (Vec<usize>, Vec<f32>);

/// A named input: name, shape, values.
pub type Input<'a> = (&'a str, Vec<usize>, &'a [f32]);

impl OrtModel {
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ReferenceError> {
        let env = environment()?;
        let session = build_session(env, bytes)?;
        Ok(Self { session })
    }

    /// Runs the model; returns each requested output as `(shape, values)`.
    pub fn run(
        &mut self,
        inputs: &[Input<'_>],
        outputs: &[&str],
    ) -> Result<Vec<Output>, ReferenceError> {
        let mut values = Vec::with_capacity(inputs.len());
        for (name, shape, data) in inputs {
            let tensor = TensorRef::from_array_view((shape.clone(), *data))?;
            values.push((name.to_string(), tensor));
        }
        let results = self.session.run(values)?;
        outputs
            .iter()
            .map(|name| {
                let value = results
                    .get(name)
                    .ok_or_else(|| ReferenceError::Ort(format!("no output `{name}`")))?;
                let (shape, data) = value.try_extract_tensor::<f32>()?;
                Ok((shape.iter().map(|&d| d as usize).collect(), data.to_vec()))
            })
            .collect()
    }
}

fn build_session(env: &Environment, bytes: &[u8]) -> ort::Result<Session> {
    Session::builder(env)?
        .with_optimization_level(GraphOptimizationLevel::Level3)?
        .with_intra_threads(1)?
        .commit_from_memory(bytes)
}
