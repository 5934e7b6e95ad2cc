//! The feature cache: the engine's frontend runs once per file, and its frames are kept on disk
//! keyed by the file's content and the frontend parameters. Ten folds and seven architectures then
//! read the cache instead of decoding the data set seventy times.
//!
//! An entry is `<dir>/<frontend hash>/<content hash>.mcf`: a magic, a version, the number of
//! samples at the frontend's rate, mels, frames, then the frames as little-endian `f32`
//! (frame-major, as [`MelFrames`] holds them). Entries are written to a temporary file and renamed,
//! so a killed run never leaves a half-written entry; a damaged entry is recomputed.

use std::path::{Path, PathBuf};

use anyhow::Context;
use mcclstm_engine::stream::signal_frames;
use mcclstm_engine::{FrontendConfig, MelFrames, audio};
use rayon::prelude::*;
use serde::Serialize;

use crate::dataset::{Dataset, Skipped};

const MAGIC: &[u8; 4] = b"MCFC";
const VERSION: u32 = 1;
const HEADER_LEN: usize = 4 + 4 + 8 + 4 + 4;

/// The frames of one file and how long it was.
#[derive(Clone, Debug, PartialEq)]
pub struct FileFeatures {
    pub frames: MelFrames,
    /// Samples at the frontend's rate, i.e. the decoded duration.
    pub samples: u64,
}

/// A cache directory for one frontend configuration.
#[derive(Clone, Debug)]
pub struct FeatureCache {
    dir: PathBuf,
    frontend: FrontendConfig,
}

impl FeatureCache {
    /// The cache for `frontend` under `root` (see [`default_dir`] for the usual root).
    pub fn new(root: &Path, frontend: FrontendConfig) -> anyhow::Result<Self> {
        let key = serde_json::to_vec(&frontend).context("frontend parameters")?;
        let hash = blake3::hash(&key).to_hex();
        let dir = root.join(&hash.as_str()[..16]);
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("{}: cannot create the feature cache", dir.display()))?;
        Ok(Self { dir, frontend })
    }

    pub fn frontend(&self) -> &FrontendConfig {
        &self.frontend
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file's frames, from the cache or computed (and then stored).
    pub fn features(&self, path: &Path) -> anyhow::Result<FileFeatures> {
        let bytes =
            std::fs::read(path).with_context(|| format!("{}: cannot read", path.display()))?;
        let entry = self
            .dir
            .join(format!("{}.mcf", blake3::hash(&bytes).to_hex()));
        if let Some(cached) = read_entry(&entry, self.frontend.n_mels) {
            return Ok(cached);
        }
        // The analysis stream's frame stages (cleaning, resampling, frontend), as every caller of
        // the engine runs them; no silence gate, since a data set's file is one track.
        let decoded = audio::decode_file(path)?;
        let (frames, _invalid) =
            signal_frames(&decoded.samples, decoded.sample_rate, &self.frontend)?;
        let samples = (decoded.samples.len() as u64 * u64::from(self.frontend.sample_rate))
            .div_ceil(u64::from(decoded.sample_rate));
        let features = FileFeatures { frames, samples };
        // A cache that cannot be written only costs time; the features are still right.
        if let Err(e) = write_entry(&entry, &features) {
            eprintln!(
                "warning: {}: cannot write cache entry: {e}",
                entry.display()
            );
        }
        Ok(features)
    }
}

/// `$MCCLSTM_CACHE`, else `$XDG_CACHE_HOME/mcclstm/features`, else `~/.cache/mcclstm/features`,
/// else `.mcclstm-cache` in the working directory.
pub fn default_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("MCCLSTM_CACHE") {
        return PathBuf::from(dir);
    }
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME") {
        return PathBuf::from(dir).join("mcclstm").join("features");
    }
    if let Some(home) = std::env::var_os("HOME") {
        return PathBuf::from(home)
            .join(".cache")
            .join("mcclstm")
            .join("features");
    }
    PathBuf::from(".mcclstm-cache")
}

fn read_entry(path: &Path, n_mels: usize) -> Option<FileFeatures> {
    let bytes = std::fs::read(path).ok()?;
    if bytes.len() < HEADER_LEN || &bytes[..4] != MAGIC {
        return None;
    }
    let u32_at = |i: usize| u32::from_le_bytes(bytes[i..i + 4].try_into().unwrap_or_default());
    if u32_at(4) != VERSION {
        return None;
    }
    let samples = u64::from_le_bytes(bytes[8..16].try_into().ok()?);
    let mels = u32_at(16) as usize;
    let frames = u32_at(20) as usize;
    let body = &bytes[HEADER_LEN..];
    if mels != n_mels || body.len() != mels * frames * 4 {
        return None;
    }
    let data = body
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    Some(FileFeatures {
        frames: MelFrames { n_mels, data },
        samples,
    })
}

fn write_entry(path: &Path, features: &FileFeatures) -> std::io::Result<()> {
    let f = &features.frames;
    let mut out = Vec::with_capacity(HEADER_LEN + f.data.len() * 4);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&features.samples.to_le_bytes());
    out.extend_from_slice(&(f.n_mels as u32).to_le_bytes());
    out.extend_from_slice(&(f.len() as u32).to_le_bytes());
    for v in &f.data {
        out.extend_from_slice(&v.to_le_bytes());
    }
    mcclstm_engine::atomic_file::write(path, &out)
}

/// A track ready for training: its complete chunks, each `[n_mels, chunk_frames]`, back to back.
#[derive(Clone, Debug, PartialEq)]
pub struct TrackChunks {
    pub path: PathBuf,
    pub label: usize,
    pub group: Option<String>,
    /// `len * n_mels * chunk_frames` values.
    pub chunks: Vec<f32>,
    pub len: usize,
    pub seconds: f64,
    /// `len * classes` values: each chunk's target distribution (one-hot of `label` for a
    /// labelled track, the teacher's for a taught one); a row of zeros carries no loss.
    pub targets: Vec<f32>,
}

impl TrackChunks {
    /// Chunk `k`'s target row.
    pub fn target(&self, k: usize) -> &[f32] {
        let classes = self.targets.len() / self.len.max(1);
        &self.targets[k * classes..(k + 1) * classes]
    }

    /// Whether chunk `k` carries a target.
    pub fn taught(&self, k: usize) -> bool {
        self.target(k).iter().any(|&p| p > 0.0)
    }

    /// Each chunk's target replaced by the mean of the track's targets up to it (chunks without
    /// one add nothing; a chunk before the first target keeps none): what the running estimate
    /// after that chunk should say about the track so far. A whole track's last row is then the
    /// track's mean target, whose top class is the track's [`TrackChunks::label`]. For
    /// distributions (single-label targets): the summed rows are normalised, which for rows that
    /// each sum to 1 is their mean.
    pub fn make_running(&mut self) {
        let classes = self.targets.len() / self.len.max(1);
        if classes == 0 {
            return;
        }
        let mut sum = vec![0.0f64; classes];
        for row in self.targets.chunks_exact_mut(classes) {
            for (s, &p) in sum.iter_mut().zip(row.iter()) {
                *s += f64::from(p.max(0.0));
            }
            let total: f64 = sum.iter().sum();
            if total > 0.0 {
                for (p, &s) in row.iter_mut().zip(&sum) {
                    *p = (s / total) as f32;
                }
            }
        }
    }

    /// The track cut into consecutive sequences of at most `max` chunks (the last may be
    /// shorter), each labelled by its own summed targets; pieces without any target are dropped.
    /// A track of `max` chunks or fewer comes back whole.
    pub fn pieces(&self, max: usize) -> Vec<TrackChunks> {
        if max == 0 || self.len <= max {
            return vec![self.clone()];
        }
        let classes = self.targets.len() / self.len;
        let per_chunk = self.chunks.len() / self.len;
        let seconds_per_chunk = self.seconds / self.len as f64;
        (0..self.len)
            .step_by(max)
            .filter_map(|start| {
                let end = (start + max).min(self.len);
                let targets = self.targets[start * classes..end * classes].to_vec();
                let mut sum = vec![0.0f64; classes];
                for row in targets.chunks_exact(classes) {
                    for (s, &p) in sum.iter_mut().zip(row) {
                        *s += f64::from(p);
                    }
                }
                if sum.iter().all(|&s| s <= 0.0) {
                    return None;
                }
                let label = sum
                    .iter()
                    .enumerate()
                    .fold((0, f64::NEG_INFINITY), |best, (i, &s)| {
                        if s > best.1 { (i, s) } else { best }
                    })
                    .0;
                Some(TrackChunks {
                    path: self.path.clone(),
                    label,
                    group: self.group.clone(),
                    chunks: self.chunks[start * per_chunk..end * per_chunk].to_vec(),
                    len: end - start,
                    seconds: seconds_per_chunk * (end - start) as f64,
                    targets,
                })
            })
            .collect()
    }
}

/// `len` one-hot rows of `label` over `classes`: a labelled track's targets.
pub fn one_hot(label: usize, classes: usize, len: usize) -> Vec<f32> {
    let mut rows = vec![0.0f32; len * classes];
    for row in rows.chunks_exact_mut(classes) {
        row[label] = 1.0;
    }
    rows
}

/// Each chunk's target row for `track`, `len` chunks over `classes` labels.
fn target_rows(track: &crate::dataset::Track, len: usize, classes: usize) -> Vec<f32> {
    let mut rows = vec![0.0f32; len * classes];
    for (k, row) in rows.chunks_exact_mut(classes).enumerate() {
        match &track.soft {
            None => row[track.label] = 1.0,
            Some(soft) => {
                if let Some(target) = soft.row(k) {
                    row.iter_mut().zip(target).for_each(|(r, &p)| *r = p);
                }
            }
        }
    }
    rows
}

/// The usable tracks of a data set and what was skipped.
#[derive(Clone, Debug)]
pub struct LoadedDataset {
    pub labels: Vec<String>,
    pub tracks: Vec<TrackChunks>,
    pub skipped: Vec<Skipped>,
    pub frontend: FrontendConfig,
    /// Exclusive classes or independent tags (a `tags` data set).
    pub outputs: mcclstm_engine::Outputs,
}

/// Why a file is left out, as a sentence; `None` keeps it.
fn too_short(features: &FileFeatures, frontend: &FrontendConfig) -> Option<String> {
    let chunks = features.frames.len() / frontend.chunk_frames;
    (chunks == 0).then(|| {
        format!(
            "too short: {:.2} s, one chunk needs {:.2} s",
            features.samples as f64 / f64::from(frontend.sample_rate),
            frontend.chunk_seconds()
        )
    })
}

/// Computes (or reads from the cache) every track's chunks, in parallel. Unreadable, empty and
/// too-short files are skipped and listed; with `strict`, the first of them is an error.
/// `progress` is called once per file.
pub fn load(
    dataset: &Dataset,
    cache: &FeatureCache,
    strict: bool,
    progress: impl Fn() + Sync,
) -> anyhow::Result<LoadedDataset> {
    let frontend = cache.frontend().clone();
    let classes = dataset.labels.len();
    let results: Vec<Result<TrackChunks, Skipped>> = dataset
        .tracks
        .par_iter()
        .map(|track| {
            let skipped = |reason: String| Skipped {
                path: track.path.clone(),
                reason,
            };
            let result = cache
                .features(&track.path)
                .map_err(|e| {
                    // Errors name the file; the listing names it already.
                    let reason = format!("{e:#}");
                    let prefix = format!("{}: ", track.path.display());
                    skipped(reason.strip_prefix(&prefix).unwrap_or(&reason).to_string())
                })
                .and_then(|features| match too_short(&features, &frontend) {
                    Some(reason) => Err(skipped(reason)),
                    None => {
                        let chunks = mcclstm_engine::frontend::chunks_of(
                            &features.frames,
                            frontend.chunk_frames,
                        );
                        let targets = target_rows(track, chunks.len(), classes);
                        if targets.iter().all(|&p| p <= 0.0) {
                            return Err(skipped(format!(
                                "none of its {} chunk(s) has a target",
                                chunks.len()
                            )));
                        }
                        Ok(TrackChunks {
                            path: track.path.clone(),
                            label: track.label,
                            group: track.group.clone(),
                            targets,
                            len: chunks.len(),
                            chunks: chunks.concat(),
                            seconds: features.samples as f64 / f64::from(frontend.sample_rate),
                        })
                    }
                });
            progress();
            result
        })
        .collect();
    let mut tracks = Vec::new();
    let mut skipped = dataset.skipped.clone();
    for r in results {
        match r {
            Ok(t) => tracks.push(t),
            Err(s) => skipped.push(s),
        }
    }
    if strict && let Some(first) = skipped.first() {
        anyhow::bail!(
            "--strict: {} file(s) cannot be used, first {}: {}",
            skipped.len(),
            first.path.display(),
            first.reason
        );
    }
    Ok(LoadedDataset {
        labels: dataset.labels.clone(),
        tracks,
        skipped,
        frontend,
        outputs: dataset.kind.outputs(),
    })
}

/// What `mcclstm dataset inspect` prints.
#[derive(Clone, Debug, Serialize)]
pub struct Inspection {
    pub kind: String,
    pub root: PathBuf,
    pub classes: Vec<ClassSummary>,
    pub tracks: usize,
    pub seconds: f64,
    pub has_groups: bool,
    pub skipped: Vec<Skipped>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ClassSummary {
    pub label: String,
    pub tracks: usize,
    pub seconds_total: f64,
    pub seconds_min: f64,
    pub seconds_max: f64,
    pub chunks: usize,
}

pub fn inspect(dataset: &Dataset, loaded: &LoadedDataset) -> Inspection {
    let classes = loaded
        .labels
        .iter()
        .enumerate()
        .map(|(i, label)| {
            let of: Vec<&TrackChunks> = loaded.tracks.iter().filter(|t| t.label == i).collect();
            let secs = of.iter().map(|t| t.seconds);
            ClassSummary {
                label: label.clone(),
                tracks: of.len(),
                seconds_total: secs.clone().sum(),
                seconds_min: if of.is_empty() {
                    0.0
                } else {
                    secs.clone().fold(f64::INFINITY, f64::min)
                },
                seconds_max: secs.fold(0.0, f64::max),
                chunks: of.iter().map(|t| t.len).sum(),
            }
        })
        .collect();
    Inspection {
        kind: dataset.kind.to_string(),
        root: dataset.root.clone(),
        classes,
        tracks: loaded.tracks.len(),
        seconds: loaded.tracks.iter().map(|t| t.seconds).sum(),
        has_groups: dataset.has_groups(),
        skipped: loaded.skipped.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A track of `len` one-value chunks (value = chunk index) over two classes.
    fn track(len: usize, targets: Vec<f32>) -> TrackChunks {
        TrackChunks {
            path: PathBuf::from("t.ogg"),
            label: 0,
            group: Some("pkg/t".into()),
            chunks: (0..len).map(|k| k as f32).collect(),
            len,
            seconds: len as f64 * 2.0,
            targets,
        }
    }

    #[test]
    fn a_long_track_is_cut_into_labelled_pieces_and_untaught_pieces_are_dropped() {
        // Chunks 0-1 say class 1, 2-3 carry nothing, 4 says class 0.
        let t = track(5, vec![0., 1., 0.2, 0.8, 0., 0., 0., 0., 1., 0.]);
        let pieces = t.pieces(2);
        assert_eq!(
            pieces.len(),
            2,
            "the untaught piece of chunks 2-3 is dropped"
        );
        assert_eq!((pieces[0].len, pieces[0].label), (2, 1));
        assert_eq!(pieces[0].chunks, [0.0, 1.0]);
        assert_eq!(pieces[0].targets, [0., 1., 0.2, 0.8]);
        assert_eq!((pieces[1].len, pieces[1].label), (1, 0));
        assert_eq!(pieces[1].chunks, [4.0]);
        assert_eq!(pieces[1].seconds, 2.0);
        assert!(pieces.iter().all(|p| p.group == t.group));
        assert!(pieces[0].taught(1) && pieces[1].taught(0));
        // Short enough, or no limit: the track comes back whole.
        assert_eq!(t.pieces(5), std::slice::from_ref(&t));
        assert_eq!(t.pieces(0), std::slice::from_ref(&t));
    }

    #[test]
    fn running_targets_are_the_mean_of_the_targets_so_far() {
        // Nothing, class 0, nothing, class 1, a 0.2/0.8 teacher's chunk.
        let mut t = track(5, vec![0., 0., 1., 0., 0., 0., 0., 1., 0.2, 0.8]);
        let label = t.label;
        t.make_running();
        let rows: Vec<[f32; 2]> = (0..5).map(|k| t.target(k).try_into().unwrap()).collect();
        assert_eq!(rows[0], [0., 0.], "no target before the first one");
        assert_eq!(rows[1], [1., 0.]);
        assert_eq!(rows[2], [1., 0.], "an untaught chunk takes the mean so far");
        assert_eq!(rows[3], [0.5, 0.5]);
        assert!((rows[4][0] - 1.2 / 3.0).abs() < 1e-6 && (rows[4][1] - 1.8 / 3.0).abs() < 1e-6);
        assert!(!t.taught(0) && t.taught(2));
        assert_eq!(t.label, label);
        // One-hot rows of one label stay as they are.
        let mut labelled = track(3, one_hot(1, 2, 3));
        labelled.make_running();
        assert_eq!(labelled.targets, one_hot(1, 2, 3));
    }

    #[test]
    fn one_hot_targets_mark_the_label_on_every_chunk() {
        assert_eq!(one_hot(2, 3, 2), [0., 0., 1., 0., 0., 1.]);
        let t = track(2, one_hot(1, 2, 2));
        assert_eq!(t.target(1), [0., 1.]);
        assert!(t.taught(0));
    }
}
