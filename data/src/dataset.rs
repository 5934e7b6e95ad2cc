//! Data set readers: the layouts the paper's data sets ship in, and a generic one for a user's own.
//!
//! A reader only lists files and labels; nothing is decoded here. Decoding and the frontend run
//! once per file in [`crate::cache`], which is also where unreadable and too-short files are found.
//!
//! | kind | `--root` | labels from |
//! |---|---|---|
//! | `gtzan` | the folder holding `genres/` (`.au`) or `genres_original/` (`.wav`), or either one | the genre folder |
//! | `ballroom` | the folder holding `BallroomData/`, or it | the style folder |
//! | `soundtracks` | the Eerola-Vuoskoski folder: a ratings CSV with `TARGET` and the audio files | the discrete `TARGET` emotion |
//! | `generic` | a folder with one sub-folder per label, a CSV `path,label[,group]`, or a soft-target CSV `path,group,chunk,LABEL...` | the folder or the CSV |
//! | `tags` | a tag CSV `path,group,chunk,TAG...` (multi-label: independent probabilities) | the CSV |
//!
//! A **soft-target CSV** teaches from a distribution per chunk instead of one label per track (a
//! teacher's tags mapped onto the labels): its header is `path,group,chunk` and then the label
//! names, in the model's output order; each row gives one chunk's (`chunk` a 0-based index) or
//! every chunk's (`chunk` `*`) target probabilities, normalised to sum 1. A chunk with no row (and
//! no `*` row) carries no loss: the teacher has nothing to say there. A file's label (for
//! splits and accuracy) is the top class of its summed targets.
//!
//! A **tag CSV** (`tags`) has the same layout, but its values are independent probabilities of
//! each tag (each in 0..=1, not normalised): the targets of a multi-label model (independent
//! outputs, [`mcclstm_engine::Outputs::Independent`]). A row whose tags are all 0 carries no loss,
//! like a chunk without a row. A file's "label" (for splits only) is its strongest tag.
//!
//! A tag CSV may end with **auxiliary tags**: columns named `aux:TAG` ([`AUXILIARY_PREFIX`]),
//! after every other tag. `mcclstm train` learns them with the others (more of the teacher's
//! opinion for the shared layers to learn from) and leaves them out of the model file, whose
//! outputs are the other tags ([`exported_labels`]).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use mcclstm_engine::Outputs;
use serde::Serialize;

/// GTZAN's ten genres in the paper's order (Section 3.2).
pub const GTZAN_GENRES: [&str; 10] = [
    "blues",
    "classical",
    "country",
    "disco",
    "hiphop",
    "jazz",
    "metal",
    "pop",
    "reggae",
    "rock",
];

/// Ballroom's eight dances in the paper's order (Section 3.2).
pub const BALLROOM_STYLES: [&str; 8] = [
    "ChaChaCha",
    "Jive",
    "Quickstep",
    "Rumba",
    "Samba",
    "Tango",
    "VienneseWaltz",
    "Waltz",
];

/// The name prefix of a tag CSV's auxiliary columns: learned, not exported (module docs).
pub const AUXILIARY_PREFIX: &str = "aux:";

/// The labels a model trained on `labels` exports: all but the auxiliary tags, which come last.
pub fn exported_labels(labels: &[String]) -> &[String] {
    let n = labels
        .iter()
        .position(|l| l.starts_with(AUXILIARY_PREFIX))
        .unwrap_or(labels.len());
    &labels[..n]
}

/// The soundtrack set's five discrete emotions in the paper's order (Section 3.2).
pub const SOUNDTRACK_EMOTIONS: [&str; 5] = ["anger", "fear", "sadness", "happiness", "tenderness"];

/// File extensions the engine decodes.
pub const AUDIO_EXTENSIONS: [&str; 8] = ["wav", "au", "snd", "flac", "mp3", "ogg", "oga", "wave"];

/// The layout of a data set on disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum DatasetKind {
    Gtzan,
    Ballroom,
    Soundtracks,
    Generic,
    /// Multi-label: a tag CSV of independent per-tag probabilities.
    Tags,
}

impl DatasetKind {
    /// Whether the data set's labels are exclusive classes or independent tags.
    pub fn outputs(self) -> Outputs {
        match self {
            DatasetKind::Tags => Outputs::Independent,
            _ => Outputs::Exclusive,
        }
    }
}

impl fmt::Display for DatasetKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DatasetKind::Gtzan => "gtzan",
            DatasetKind::Ballroom => "ballroom",
            DatasetKind::Soundtracks => "soundtracks",
            DatasetKind::Generic => "generic",
            DatasetKind::Tags => "tags",
        })
    }
}

/// One labelled audio file.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Track {
    pub path: PathBuf,
    /// Index into [`Dataset::labels`].
    pub label: usize,
    /// Tracks of one group (an artist, a tune) never straddle a train/test boundary when the split
    /// keeps groups together.
    pub group: Option<String>,
    /// Per-chunk targets from a soft-target CSV; `None`: the label on every chunk.
    pub soft: Option<SoftTargets>,
}

/// A taught track's targets: a distribution over the labels for each listed chunk, and one for
/// every chunk not listed (`every`). A chunk with neither carries no loss.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct SoftTargets {
    pub every: Option<Vec<f32>>,
    pub chunks: BTreeMap<usize, Vec<f32>>,
}

impl SoftTargets {
    /// The target of chunk `k`, if the teacher gave one.
    pub fn row(&self, k: usize) -> Option<&[f32]> {
        self.chunks
            .get(&k)
            .or(self.every.as_ref())
            .map(Vec::as_slice)
    }

    /// The top class of the summed targets: the track's label.
    pub fn label(&self) -> usize {
        let classes = self
            .every
            .as_ref()
            .or_else(|| self.chunks.values().next())
            .map_or(0, Vec::len);
        let mut sum = vec![0.0f64; classes];
        for row in self.chunks.values().chain(&self.every) {
            for (s, &p) in sum.iter_mut().zip(row) {
                *s += f64::from(p);
            }
        }
        strongest(&sum)
    }
}

/// The index of the largest of `sums`, the first on ties (0 when empty): a track's label from its
/// summed targets.
pub fn strongest(sums: &[f64]) -> usize {
    sums.iter()
        .enumerate()
        .fold((0, f64::NEG_INFINITY), |best, (i, &s)| {
            if s > best.1 { (i, s) } else { best }
        })
        .0
}

/// A file the reader saw but cannot use, and why.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Skipped {
    pub path: PathBuf,
    pub reason: String,
}

/// A data set's files and labels, before any audio is read.
#[derive(Clone, Debug, Serialize)]
pub struct Dataset {
    pub kind: DatasetKind,
    pub root: PathBuf,
    pub labels: Vec<String>,
    pub tracks: Vec<Track>,
    /// Entries the reader could not use (e.g. a soundtrack excerpt whose target is dimensional).
    pub skipped: Vec<Skipped>,
}

impl Dataset {
    /// Tracks per label, in label order.
    pub fn counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.labels.len()];
        for t in &self.tracks {
            counts[t.label] += 1;
        }
        counts
    }

    /// A `generic` data set read from the CSV `csv`.
    fn from_csv(csv: &Path, labels: Vec<String>, tracks: Vec<Track>) -> Self {
        Self {
            kind: DatasetKind::Generic,
            root: csv.to_path_buf(),
            labels,
            tracks,
            skipped: Vec::new(),
        }
    }

    pub fn has_groups(&self) -> bool {
        self.tracks.iter().any(|t| t.group.is_some())
    }
}

/// Reads the layout of `kind` under `root`.
pub fn open(kind: DatasetKind, root: &Path) -> anyhow::Result<Dataset> {
    if !root.exists() {
        bail!("{}: no such file or folder", root.display());
    }
    let dataset = match kind {
        DatasetKind::Gtzan => gtzan(root),
        DatasetKind::Ballroom => ballroom(root),
        DatasetKind::Soundtracks => soundtracks(root),
        DatasetKind::Generic if root.is_file() => generic_csv(root),
        DatasetKind::Generic => generic_folders(root),
        DatasetKind::Tags => tag_csv(root),
    }
    .with_context(|| format!("{}: cannot read it as a {kind} data set", root.display()))?;
    if dataset.labels.len() < 2 {
        bail!(
            "{}: found {} class(es) ({}); a classifier needs at least 2",
            root.display(),
            dataset.labels.len(),
            dataset.labels.join(", ")
        );
    }
    Ok(dataset)
}

fn gtzan(root: &Path) -> anyhow::Result<Dataset> {
    let folder = ["genres", "genres_original", "Data/genres_original"]
        .iter()
        .map(|sub| root.join(sub))
        .find(|p| p.is_dir())
        .unwrap_or_else(|| root.to_path_buf());
    let mut ds = from_label_folders(DatasetKind::Gtzan, &folder, &GTZAN_GENRES)?;
    ds.root = root.to_path_buf();
    Ok(ds)
}

fn ballroom(root: &Path) -> anyhow::Result<Dataset> {
    let folder = root.join("BallroomData");
    let folder = if folder.is_dir() {
        folder
    } else {
        root.to_path_buf()
    };
    let mut ds = from_label_folders(DatasetKind::Ballroom, &folder, &BALLROOM_STYLES)?;
    ds.root = root.to_path_buf();
    Ok(ds)
}

fn generic_folders(root: &Path) -> anyhow::Result<Dataset> {
    from_label_folders(DatasetKind::Generic, root, &[])
}

/// One sub-folder per label. Labels come in `canonical` order first (those present), then any
/// other folders sorted by name. Files are sorted so every listing is reproducible.
fn from_label_folders(
    kind: DatasetKind,
    folder: &Path,
    canonical: &[&str],
) -> anyhow::Result<Dataset> {
    let mut found = BTreeMap::new();
    for entry in read_dir_sorted(folder)? {
        if entry.is_dir() {
            let files = audio_files(&entry)?;
            if !files.is_empty() {
                let name = file_name(&entry);
                found.insert(name, files);
            }
        }
    }
    if found.is_empty() {
        bail!(
            "no label folders with audio files ({}) in {}",
            AUDIO_EXTENSIONS.join(", "),
            folder.display()
        );
    }
    let mut labels: Vec<String> = canonical
        .iter()
        .filter(|c| found.contains_key(**c))
        .map(|c| c.to_string())
        .collect();
    labels.extend(
        found
            .keys()
            .filter(|k| !canonical.contains(&k.as_str()))
            .cloned(),
    );
    let mut tracks = Vec::new();
    for (label, name) in labels.iter().enumerate() {
        for path in &found[name] {
            tracks.push(Track {
                path: path.clone(),
                label,
                group: None,
                soft: None,
            });
        }
    }
    Ok(Dataset {
        kind,
        root: folder.to_path_buf(),
        labels,
        tracks,
        skipped: Vec::new(),
    })
}

/// A CSV of `path,label[,group]`, paths relative to the CSV's folder. A header row is recognised
/// by its first field being `path`.
fn generic_csv(csv: &Path) -> anyhow::Result<Dataset> {
    let base = csv.parent().unwrap_or(Path::new("."));
    let rows = read_csv(csv)?;
    if rows.first().is_some_and(|h| {
        h.len() >= 3
            && h[..3]
                .iter()
                .zip(["path", "group", "chunk"])
                .all(|(a, b)| a.trim().eq_ignore_ascii_case(b))
    }) {
        return soft_csv(csv, base, &rows, Outputs::Exclusive);
    }
    let mut labels = BTreeSet::new();
    let mut entries = Vec::new();
    for (line, row) in rows.iter().enumerate() {
        if line == 0 && row.first().is_some_and(|f| f.eq_ignore_ascii_case("path")) {
            continue;
        }
        if row.len() < 2 || row[0].is_empty() || row[1].is_empty() {
            bail!(
                "{}:{}: expected `path,label[,group]`, got `{}`",
                csv.display(),
                line + 1,
                row.join(",")
            );
        }
        labels.insert(row[1].clone());
        let group = row.get(2).filter(|g| !g.is_empty()).cloned();
        entries.push((base.join(&row[0]), row[1].clone(), group));
    }
    let labels: Vec<String> = labels.into_iter().collect();
    let tracks = entries
        .into_iter()
        .map(|(path, label, group)| Track {
            path,
            label: labels.iter().position(|l| *l == label).unwrap_or_default(),
            group,
            soft: None,
        })
        .collect();
    Ok(Dataset::from_csv(csv, labels, tracks))
}

/// A tag CSV (see the module's documentation).
fn tag_csv(csv: &Path) -> anyhow::Result<Dataset> {
    if !csv.is_file() {
        bail!("a `tags` data set is a CSV file `path,group,chunk,TAG...`, not a folder");
    }
    let base = csv.parent().unwrap_or(Path::new("."));
    let rows = read_csv(csv)?;
    let header = rows.first().is_some_and(|h| {
        h.len() >= 3
            && h[..3]
                .iter()
                .zip(["path", "group", "chunk"])
                .all(|(a, b)| a.trim().eq_ignore_ascii_case(b))
    });
    if !header {
        bail!(
            "{}:1: a tag CSV starts with `path,group,chunk,TAG...`",
            csv.display()
        );
    }
    let mut dataset = soft_csv(csv, base, &rows, Outputs::Independent)?;
    dataset.kind = DatasetKind::Tags;
    Ok(dataset)
}

/// A soft-target CSV (exclusive: each row normalised to sum 1) or a tag CSV (independent: each
/// value a probability of its own), see the module's documentation. Rows of one file merge, in
/// file order.
fn soft_csv(
    csv: &Path,
    base: &Path,
    rows: &[Vec<String>],
    outputs: Outputs,
) -> anyhow::Result<Dataset> {
    let labels: Vec<String> = rows[0][3..].iter().map(|l| l.trim().to_string()).collect();
    if labels.iter().any(String::is_empty) || labels.len() < 2 {
        bail!(
            "{}:1: a soft-target or tag CSV names at least two labels after `path,group,chunk`",
            csv.display()
        );
    }
    check_auxiliary(csv, &labels, outputs)?;
    let mut order: Vec<PathBuf> = Vec::new();
    let mut files: BTreeMap<PathBuf, (Option<String>, SoftTargets)> = BTreeMap::new();
    for (line, row) in rows.iter().enumerate().skip(1) {
        if row.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let at = || format!("{}:{}", csv.display(), line + 1);
        if row.len() != 3 + labels.len() || row[0].is_empty() {
            bail!(
                "{}: expected a path, a group, a chunk and {} probabilities, got `{}`",
                at(),
                labels.len(),
                row.join(",")
            );
        }
        let mut target = Vec::with_capacity(labels.len());
        for cell in &row[3..] {
            match cell.trim().parse::<f32>() {
                Ok(p)
                    if p.is_finite() && p >= 0.0 && (outputs == Outputs::Exclusive || p <= 1.0) =>
                {
                    target.push(p)
                }
                _ => bail!("{}: `{cell}` is not a probability", at()),
            }
        }
        if outputs == Outputs::Exclusive {
            let sum: f32 = target.iter().sum();
            if sum <= 0.0 {
                bail!("{}: the target probabilities sum to 0", at());
            }
            target.iter_mut().for_each(|p| *p /= sum);
        }
        let path = base.join(&row[0]);
        let group = Some(row[1].trim().to_string()).filter(|g| !g.is_empty());
        let entry = files.entry(path.clone()).or_insert_with(|| {
            order.push(path);
            (group.clone(), SoftTargets::default())
        });
        if entry.0 != group {
            bail!("{}: `{}` was given another group before", at(), row[0]);
        }
        let chunk = row[2].trim();
        let previous = if chunk == "*" {
            entry.1.every.replace(target)
        } else {
            let k = chunk.parse::<usize>().map_err(|_| {
                anyhow::anyhow!("{}: chunk `{chunk}` is neither `*` nor an index", at())
            })?;
            entry.1.chunks.insert(k, target)
        };
        if previous.is_some() {
            bail!("{}: chunk `{chunk}` of `{}` is given twice", at(), row[0]);
        }
    }
    let tracks = order
        .into_iter()
        .filter_map(|path| {
            let (group, soft) = files.remove(&path)?;
            Some(Track {
                path,
                label: soft.label(),
                group,
                soft: Some(soft),
            })
        })
        .collect();
    Ok(Dataset::from_csv(csv, labels, tracks))
}

/// Auxiliary columns (`aux:TAG`) are tags of a tag CSV, after every exported tag, of which there
/// is at least one.
fn check_auxiliary(csv: &Path, labels: &[String], outputs: Outputs) -> anyhow::Result<()> {
    let exported = exported_labels(labels).len();
    if exported == labels.len() {
        return Ok(());
    }
    let shown = || labels[exported..].join(", ");
    if outputs == Outputs::Exclusive {
        bail!(
            "{}:1: auxiliary columns ({}) are for a tag CSV (`--dataset tags`): a soft-target \
             CSV's classes share one distribution",
            csv.display(),
            shown()
        );
    }
    if exported == 0 {
        bail!(
            "{}:1: every tag is auxiliary ({}): a model needs a tag to export",
            csv.display(),
            shown()
        );
    }
    if let Some(after) = labels[exported..]
        .iter()
        .find(|l| !l.starts_with(AUXILIARY_PREFIX))
    {
        bail!(
            "{}:1: `{after}` follows an auxiliary column: the auxiliary columns \
             ({AUXILIARY_PREFIX}...) come after every other tag",
            csv.display()
        );
    }
    Ok(())
}

/// The Eerola-Vuoskoski soundtrack set (Eerola & Vuoskoski 2011): a ratings CSV (export the
/// set's spreadsheet as CSV) with an excerpt number column (`Number`, `Nro`, `ID` or the first
/// column) and the discrete `TARGET` emotion, beside the audio files named by their number
/// (`001.mp3`, `1.wav`, ...) anywhere under `root`. Excerpts whose target is not one of the five
/// discrete emotions (the set also has dimensional targets) are skipped and listed.
fn soundtracks(root: &Path) -> anyhow::Result<Dataset> {
    let (csv, rows) = find_ratings_csv(root)?;
    let header: Vec<String> = rows[0].iter().map(|h| h.trim().to_lowercase()).collect();
    let target = header
        .iter()
        .position(|h| h == "target")
        .context("the ratings CSV has no TARGET column")?;
    let id = header
        .iter()
        .position(|h| matches!(h.as_str(), "number" | "nro" | "id" | "excerpt"))
        .unwrap_or(0);
    let mut audio_by_number = BTreeMap::new();
    for path in audio_files_recursive(root)? {
        if let Some(n) = stem_number(&path) {
            audio_by_number.entry(n).or_insert(path);
        }
    }
    let mut tracks = Vec::new();
    let mut skipped = Vec::new();
    for (line, row) in rows.iter().enumerate().skip(1) {
        let Some(raw_id) = row.get(id).filter(|s| !s.trim().is_empty()) else {
            continue;
        };
        let where_ = PathBuf::from(format!("{}:{}", csv.display(), line + 1));
        let Some(number) = raw_id.trim().parse::<f64>().ok().map(|n| n as u64) else {
            skipped.push(Skipped {
                path: where_,
                reason: format!("excerpt id `{raw_id}` is not a number"),
            });
            continue;
        };
        let raw_target = row.get(target).map(|s| s.trim()).unwrap_or_default();
        let Some(label) = emotion_index(raw_target) else {
            skipped.push(Skipped {
                path: where_,
                reason: format!("target `{raw_target}` is not one of the five discrete emotions"),
            });
            continue;
        };
        match audio_by_number.get(&number) {
            Some(path) => tracks.push(Track {
                path: path.clone(),
                label,
                group: None,
                soft: None,
            }),
            None => skipped.push(Skipped {
                path: where_,
                reason: format!("no audio file numbered {number} under {}", root.display()),
            }),
        }
    }
    // Keep only the emotions present, in the paper's order.
    let present: BTreeSet<usize> = tracks.iter().map(|t| t.label).collect();
    let labels: Vec<String> = present
        .iter()
        .map(|&i| SOUNDTRACK_EMOTIONS[i].to_string())
        .collect();
    for t in &mut tracks {
        t.label = present
            .iter()
            .position(|&i| i == t.label)
            .unwrap_or_default();
    }
    Ok(Dataset {
        kind: DatasetKind::Soundtracks,
        root: root.to_path_buf(),
        labels,
        tracks,
        skipped,
    })
}

/// The soundtrack set's TARGET spellings (`ANGER`, `HAPPY`, `SAD`, `TENDER`, `FEAR`, ...) mapped to
/// the paper's five emotions.
fn emotion_index(target: &str) -> Option<usize> {
    let t = target.to_ascii_lowercase();
    let prefixes: [(&str, usize); 5] =
        [("ang", 0), ("fear", 1), ("sad", 2), ("hap", 3), ("tend", 4)];
    prefixes
        .iter()
        .find(|(p, _)| t.starts_with(p))
        .map(|&(_, i)| i)
}

fn find_ratings_csv(root: &Path) -> anyhow::Result<(PathBuf, Vec<Vec<String>>)> {
    let candidates: Vec<PathBuf> = if root.is_file() {
        vec![root.to_path_buf()]
    } else {
        files_recursive(root)?
            .into_iter()
            .filter(|p| has_extension(p, &["csv"]))
            .collect()
    };
    for csv in &candidates {
        let rows = read_csv(csv)?;
        if rows
            .first()
            .is_some_and(|h| h.iter().any(|f| f.trim().eq_ignore_ascii_case("target")))
        {
            return Ok((csv.clone(), rows));
        }
    }
    bail!(
        "no ratings CSV with a TARGET column under {} (export the set's mean-ratings sheet as CSV)",
        root.display()
    )
}

/// The number in a file stem such as `001`, `1` or `excerpt_001`.
fn stem_number(path: &Path) -> Option<u64> {
    let stem = path.file_stem()?.to_str()?;
    let digits: String = stem
        .chars()
        .rev()
        .take_while(char::is_ascii_digit)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    digits.parse().ok()
}

/// A small CSV reader: commas, optional double quotes with `""` escapes, no multi-line fields.
fn read_csv(path: &Path) -> anyhow::Result<Vec<Vec<String>>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read", path.display()))?;
    Ok(text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(split_csv_line)
        .collect())
}

fn split_csv_line(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.trim_end_matches('\r').chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(std::mem::take(&mut field)),
            _ => field.push(c),
        }
    }
    fields.push(field);
    fields.into_iter().map(|f| f.trim().to_string()).collect()
}

fn read_dir_sorted(folder: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(folder)
        .with_context(|| format!("{}: cannot list", folder.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| !file_name(p).starts_with('.'))
        .collect();
    entries.sort();
    Ok(entries)
}

fn audio_files(folder: &Path) -> anyhow::Result<Vec<PathBuf>> {
    Ok(read_dir_sorted(folder)?
        .into_iter()
        .filter(|p| p.is_file() && has_extension(p, &AUDIO_EXTENSIONS))
        .collect())
}

fn files_recursive(folder: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for entry in read_dir_sorted(folder)? {
        if entry.is_dir() {
            out.extend(files_recursive(&entry)?);
        } else {
            out.push(entry);
        }
    }
    Ok(out)
}

fn audio_files_recursive(folder: &Path) -> anyhow::Result<Vec<PathBuf>> {
    Ok(files_recursive(folder)?
        .into_iter()
        .filter(|p| has_extension(p, &AUDIO_EXTENSIONS))
        .collect())
}

/// Every audio file under `folder` (by extension, any case), in sorted path order, hidden
/// entries left out. Symbolic links to folders are not followed, so a link cycle cannot make the
/// walk endless; links to files are kept.
pub fn audio_files_under(folder: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for entry in read_dir_sorted(folder)? {
        let is_link = std::fs::symlink_metadata(&entry).is_ok_and(|m| m.file_type().is_symlink());
        if entry.is_dir() {
            if !is_link {
                out.extend(audio_files_under(&entry)?);
            }
        } else if has_extension(&entry, &AUDIO_EXTENSIONS) {
            out.push(entry);
        }
    }
    Ok(out)
}

fn has_extension(path: &Path, extensions: &[&str]) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| extensions.iter().any(|x| e.eq_ignore_ascii_case(x)))
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_handle_quotes_and_escapes() {
        assert_eq!(
            split_csv_line(r#"a,"b, c","say ""hi""",  d "#),
            vec!["a", "b, c", r#"say "hi""#, "d"]
        );
    }

    #[test]
    fn soundtrack_targets_map_to_the_five_emotions() {
        assert_eq!(emotion_index("ANGER"), Some(0));
        assert_eq!(emotion_index("HAPPY"), Some(3));
        assert_eq!(emotion_index("SAD"), Some(2));
        assert_eq!(emotion_index("TENDER"), Some(4));
        assert_eq!(emotion_index("FEAR"), Some(1));
        assert_eq!(emotion_index("VALENCE POS"), None);
    }

    fn soft(text: &str) -> anyhow::Result<Dataset> {
        let dir = tempfile::tempdir()?;
        let csv = dir.path().join("taught.csv");
        std::fs::write(&csv, text)?;
        open(DatasetKind::Generic, &csv)
    }

    #[test]
    fn a_tag_csv_keeps_each_tag_probability_as_it_is() {
        let dir = tempfile::tempdir().unwrap();
        let csv = dir.path().join("tags.csv");
        std::fs::write(
            &csv,
            "path,group,chunk,rock,piano,loud\n\
             x.ogg,pkg,0,0.9,0.2,0.7\n\
             x.ogg,pkg,1,0.1,0.1,0.0\n",
        )
        .unwrap();
        let ds = open(DatasetKind::Tags, &csv).unwrap();
        assert_eq!(ds.kind, DatasetKind::Tags);
        assert_eq!(ds.kind.outputs(), Outputs::Independent);
        let soft = ds.tracks[0].soft.as_ref().unwrap();
        // Not normalised: 0.9 + 0.2 + 0.7 is 1.8.
        assert_eq!(soft.row(0).unwrap(), [0.9, 0.2, 0.7]);
        assert_eq!(soft.row(1).unwrap(), [0.1, 0.1, 0.0]);
        assert_eq!(ds.tracks[0].label, 0);
        // A probability above 1 is refused, and so is a folder or a CSV without the header.
        std::fs::write(&csv, "path,group,chunk,rock,piano\nx.ogg,,0,1.5,0\n").unwrap();
        let err = format!("{:#}", open(DatasetKind::Tags, &csv).unwrap_err());
        assert!(err.contains("`1.5` is not a probability"), "{err}");
        std::fs::write(&csv, "x.ogg,rock\n").unwrap();
        let err = format!("{:#}", open(DatasetKind::Tags, &csv).unwrap_err());
        assert!(err.contains("starts with `path,group,chunk"), "{err}");
        assert!(open(DatasetKind::Tags, dir.path()).is_err());
        // The same rows as a soft-target CSV are normalised: exclusive classes.
        std::fs::write(&csv, "path,group,chunk,rock,piano\nx.ogg,,0,0.9,0.3\n").unwrap();
        let ds = open(DatasetKind::Generic, &csv).unwrap();
        let row = ds.tracks[0].soft.as_ref().unwrap().row(0).unwrap().to_vec();
        assert!((row[0] - 0.75).abs() < 1e-6 && (row[1] - 0.25).abs() < 1e-6);
    }

    #[test]
    fn auxiliary_tags_end_a_tag_csv_and_are_not_exported() {
        let dir = tempfile::tempdir().unwrap();
        let csv = dir.path().join("tags.csv");
        let read = |kind: DatasetKind, text: &str| {
            std::fs::write(&csv, text).unwrap();
            open(kind, &csv).map_err(|e| format!("{e:#}"))
        };
        let ds = read(
            DatasetKind::Tags,
            "path,group,chunk,rock,piano,aux:MTT:guitar,aux:MTT:drums\nx.ogg,pkg,0,0.2,0.1,0.9,0.3\n",
        )
        .unwrap();
        assert_eq!(ds.labels.len(), 4, "the reader keeps every column");
        assert_eq!(exported_labels(&ds.labels), ["rock", "piano"]);
        let row = ds.tracks[0].soft.as_ref().unwrap().row(0).unwrap().to_vec();
        assert_eq!(row, [0.2, 0.1, 0.9, 0.3]);
        let plain: Vec<String> = ["a", "b"].map(String::from).to_vec();
        assert_eq!(exported_labels(&plain), plain);
        // After every other tag, in a tag CSV, and with a tag left to export.
        let err = read(
            DatasetKind::Tags,
            "path,group,chunk,rock,aux:MTT:guitar,piano\nx.ogg,pkg,0,0.2,0.9,0.1\n",
        )
        .unwrap_err();
        assert!(err.contains("`piano` follows an auxiliary column"), "{err}");
        let err = read(
            DatasetKind::Tags,
            "path,group,chunk,aux:a,aux:b\nx.ogg,pkg,0,0.2,0.9\n",
        )
        .unwrap_err();
        assert!(
            err.contains("every tag is auxiliary (aux:a, aux:b)"),
            "{err}"
        );
        let err = read(
            DatasetKind::Generic,
            "path,group,chunk,rock,piano,aux:c\nx.ogg,pkg,0,0.2,0.1,0.7\n",
        )
        .unwrap_err();
        assert!(
            err.contains("auxiliary columns (aux:c) are for a tag CSV"),
            "{err}"
        );
    }

    #[test]
    fn a_soft_target_csv_gives_each_file_its_chunk_targets_normalised() {
        let ds = soft(
            "path,group,chunk,a,b,c\n\
             x.ogg,pkg/x,0,2,2,0\n\
             x.ogg,pkg/x,3,0,0,1\n\
             y.wav,,*,0,1,0\n\
             x.ogg,pkg/x,1,0,0,4\n",
        )
        .unwrap();
        assert_eq!(ds.labels, ["a", "b", "c"]);
        assert_eq!(ds.tracks.len(), 2);
        let (x, y) = (&ds.tracks[0], &ds.tracks[1]);
        assert!(x.path.ends_with("x.ogg") && y.path.ends_with("y.wav"));
        assert_eq!(x.group.as_deref(), Some("pkg/x"));
        assert_eq!(y.group, None);
        let sx = x.soft.as_ref().unwrap();
        assert_eq!(sx.row(0), Some(&[0.5, 0.5, 0.0][..]));
        assert_eq!(sx.row(1), Some(&[0.0, 0.0, 1.0][..]));
        assert_eq!(sx.row(2), None, "an unlisted chunk has no target");
        // Summed targets: a 0.5, b 0.5, c 2.0.
        assert_eq!(x.label, 2);
        let sy = y.soft.as_ref().unwrap();
        assert_eq!(
            sy.row(7),
            Some(&[0.0, 1.0, 0.0][..]),
            "`*` covers every chunk"
        );
        assert_eq!(y.label, 1);
    }

    #[test]
    fn a_soft_target_csv_refuses_what_it_cannot_use_and_says_where() {
        for (body, says) in [
            (
                "x.ogg,,0,1\n",
                "expected a path, a group, a chunk and 2 probabilities",
            ),
            ("x.ogg,,0,1,NaN\n", "`NaN` is not a probability"),
            ("x.ogg,,0,-1,2\n", "`-1` is not a probability"),
            ("x.ogg,,0,0,0\n", "sum to 0"),
            ("x.ogg,,first,1,0\n", "neither `*` nor an index"),
            ("x.ogg,,0,1,0\nx.ogg,,0,0,1\n", "given twice"),
            ("x.ogg,g1,0,1,0\nx.ogg,g2,1,0,1\n", "another group"),
        ] {
            let err = format!(
                "{:#}",
                soft(&format!("path,group,chunk,a,b\n{body}")).unwrap_err()
            );
            assert!(err.contains(says), "{body:?}: {err}");
            assert!(
                err.contains("taught.csv:"),
                "{body:?}: names no line: {err}"
            );
        }
        let err = format!(
            "{:#}",
            soft("path,group,chunk,a\nx.ogg,,0,1\n").unwrap_err()
        );
        assert!(err.contains("at least two labels"), "{err}");
    }

    #[test]
    fn stem_numbers_ignore_padding_and_prefixes() {
        assert_eq!(stem_number(Path::new("x/001.mp3")), Some(1));
        assert_eq!(stem_number(Path::new("excerpt_042.wav")), Some(42));
        assert_eq!(stem_number(Path::new("intro.wav")), None);
    }
}
