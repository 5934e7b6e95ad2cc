//! `mcclstm features`: the log-mel frames of a file as a float32 `.npy` (frames x mels), so a
//! researcher can compare them with their own tools.

use std::path::Path;

use anyhow::Context;
use mcclstm_engine::stream::signal_frames;
use mcclstm_engine::{MelFrames, Preset, atomic_file, audio};
use ndarray::Array2;

/// Decodes the file and computes its frames through the analysis stream's frame stages
/// (cleaning, resampling to the preset's rate, the frontend).
pub fn compute(path: &Path, preset: Preset) -> anyhow::Result<MelFrames> {
    let decoded = audio::decode_file(path)?;
    let (frames, _invalid) =
        signal_frames(&decoded.samples, decoded.sample_rate, &preset.config())?;
    Ok(frames)
}

/// Writes frames as a `frames x mels` float32 `.npy`, through a temporary file and a rename.
pub fn write_npy(path: &Path, frames: &MelFrames) -> anyhow::Result<()> {
    let array = Array2::from_shape_vec((frames.len(), frames.n_mels), frames.data.clone())
        .context("frames do not fill a frames x mels array")?;
    atomic_file::write_with(path, |writer| {
        ndarray_npy::WriteNpyExt::write_npy(&array, writer).map_err(std::io::Error::other)
    })
    .with_context(|| format!("{}: cannot write .npy", path.display()))
}
