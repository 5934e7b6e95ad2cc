//! `mcclstm features`: the log-mel frames of a file as a float32 `.npy` (frames x mels), so a
//! researcher can compare them with their own tools.

use std::path::Path;

use anyhow::Context;
use mcclstm_engine::{MelFrames, MelFrontend, Preset, audio};
use ndarray::Array2;

/// Decodes, resamples to the preset's rate and computes the frames.
pub fn compute(path: &Path, preset: Preset) -> anyhow::Result<MelFrames> {
    let config = preset.config();
    let audio = audio::load_for_frontend(path, &config)?;
    let mut frontend = MelFrontend::new(config)?;
    Ok(frontend.process_signal(&audio.samples))
}

/// Writes frames as a `frames x mels` float32 `.npy`, through a temporary file and a rename.
pub fn write_npy(path: &Path, frames: &MelFrames) -> anyhow::Result<()> {
    let array = Array2::from_shape_vec((frames.len(), frames.n_mels), frames.data.clone())
        .context("frames do not fill a frames x mels array")?;
    let tmp = audio::temp_path(path);
    let file =
        std::fs::File::create(&tmp).with_context(|| format!("{}: cannot create", tmp.display()))?;
    let mut writer = std::io::BufWriter::new(file);
    ndarray_npy::WriteNpyExt::write_npy(&array, &mut writer)
        .with_context(|| format!("{}: cannot write .npy", tmp.display()))?;
    // Flush explicitly: a BufWriter dropped with a full disk would lose the error.
    writer
        .into_inner()
        .map_err(|e| e.into_error())
        .and_then(|f| f.sync_all())
        .with_context(|| format!("{}: cannot write .npy", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("{}: cannot write", path.display()))?;
    Ok(())
}
