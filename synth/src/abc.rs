//! ABC notation: the header fields of a tune file (title, rhythm, meter, unit length, key), the
//! dance a rhythm field names, and the tune as MIDI through abc2midi (Debian's `abcmidi`).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

/// The dances of Ryan's Mammoth Collection (1883, in music21's corpus), by how the `R:` field
/// spells them. Rarer rhythms (slip jig, fling, walkaround, slide) have too few tunes for a
/// 10-fold protocol and are left out by the maker's minimum count, not here. A clog is a
/// hornpipe (the clog hornpipe: the same dotted 2/4 or 4/4 tune, danced in clogs), so Ryan's
/// "Clog" tunes are hornpipes here: the name told apart tunes no listener can, and other
/// collections (O'Neill's) call them all hornpipes.
pub const DANCES: [&str; 7] = [
    "reel",
    "jig",
    "hornpipe",
    "strathspey",
    "slip jig",
    "highland fling",
    "walkaround",
];

/// One tune file's header.
#[derive(Clone, Debug)]
pub struct AbcTune {
    pub path: PathBuf,
    pub title: String,
    /// Every `T:` line of the tune (the first is [`AbcTune::title`]; the others are other names
    /// of the same tune, such as an Irish title beside the English one).
    pub titles: Vec<String>,
    /// Normalised dance name, one of [`DANCES`].
    pub dance: &'static str,
    /// Beats per bar and beat unit (`C` is 4/4, `C|` is 2/2).
    pub meter: (u32, u32),
    /// The unit note length in quarter notes (`L:`; ABC's default depends on the meter).
    pub unit: f64,
    /// Tonic pitch class (0 = C) and the mode's scale as semitones above it.
    pub tonic: u8,
    pub scale: [u8; 7],
    /// The tune's `X:` number where its file is a tune book (several tunes, as O'Neill's 1850
    /// collection is written); `None` for a file of one tune.
    pub number: Option<u32>,
}

impl AbcTune {
    /// A compound meter (6/8, 9/8, 12/8) counts its beats in threes.
    pub fn compound(&self) -> bool {
        self.meter.1 == 8 && self.meter.0.is_multiple_of(3)
    }

    /// Bar length in quarter notes.
    pub fn bar_quarters(&self) -> f64 {
        4.0 * f64::from(self.meter.0) / f64::from(self.meter.1.max(1))
    }

    /// The tune's identity for group splits: the file name without extension, and the tune's
    /// `X:` number in a tune book.
    pub fn group(&self) -> String {
        let stem = self
            .path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        match self.number {
            Some(x) => format!("{stem}-x{x}"),
            None => stem,
        }
    }
}

/// Normalises an `R:` field ("REEL", "slipjig", "fling") to one of [`DANCES`].
pub fn dance_of(rhythm: &str) -> Option<&'static str> {
    let r: String = rhythm
        .to_ascii_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphabetic())
        .collect();
    match r.as_str() {
        "reel" => Some("reel"),
        "jig" | "doublejig" => Some("jig"),
        "hornpipe" | "clog" | "cloghornpipe" => Some("hornpipe"),
        "strathspey" => Some("strathspey"),
        "slipjig" => Some("slip jig"),
        "highlandfling" | "fling" => Some("highland fling"),
        "walkaround" => Some("walkaround"),
        _ => None,
    }
}

/// Reads the header of the first tune in an ABC file. `Ok(None)` for a tune without a dance
/// rhythm; `Err` for a file that is not ABC.
pub fn read_tune(path: &Path) -> anyhow::Result<Option<AbcTune>> {
    let text = read_text(path)?;
    let first = tune_texts(&text).next().unwrap_or(&text);
    let Some(tune) = parse_header(path, first, None) else {
        bail!("{} has no K: field (not an ABC tune)", path.display());
    };
    Ok(tune)
}

/// Reads every tune with a dance rhythm in an ABC file: one for a file of one tune, each `X:`
/// tune of a tune book (numbered, so abc2midi renders that one). Tunes without a `K:` field or a
/// dance rhythm are passed over; `Err` for a file with no tune at all.
pub fn read_tunes(path: &Path) -> anyhow::Result<Vec<AbcTune>> {
    let text = read_text(path)?;
    let texts: Vec<&str> = tune_texts(&text).collect();
    let book = texts.len() > 1;
    let mut any = false;
    let mut tunes = Vec::new();
    for tune_text in texts {
        let number = book.then(|| x_number(tune_text)).flatten();
        if book && number.is_none() {
            // A tune abc2midi could not be asked for by number.
            continue;
        }
        if let Some(tune) = parse_header(path, tune_text, number) {
            any = true;
            tunes.extend(tune);
        }
    }
    if !any {
        bail!("{} has no K: field (not an ABC tune)", path.display());
    }
    Ok(tunes)
}

/// ABC files from old collections are often Latin-1: undecodable bytes become U+FFFD, which only
/// titles can hold.
fn read_text(path: &Path) -> anyhow::Result<String> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// The file's text cut at each `X:` line that starts a tune (text before the first is a file
/// header and is dropped when tunes follow).
fn tune_texts(text: &str) -> impl Iterator<Item = &str> {
    let mut starts: Vec<usize> = Vec::new();
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        if line.trim_start().starts_with("X:") {
            starts.push(at);
        }
        at += line.len();
    }
    if starts.is_empty() {
        starts.push(0);
    }
    let ends: Vec<usize> = starts.iter().skip(1).copied().chain([text.len()]).collect();
    starts.into_iter().zip(ends).map(move |(a, b)| &text[a..b])
}

fn x_number(tune_text: &str) -> Option<u32> {
    let line = tune_text.lines().next()?;
    line.trim_start().strip_prefix("X:")?.trim().parse().ok()
}

/// One tune's header. `None` without a `K:` field; `Some(None)` for a tune without a dance
/// rhythm.
fn parse_header(path: &Path, text: &str, number: Option<u32>) -> Option<Option<AbcTune>> {
    let mut titles = Vec::new();
    let mut rhythm = None;
    let mut meter = None;
    let mut unit = None;
    let mut key = None;
    for line in text.lines() {
        let Some((field, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match field.trim() {
            "T" if !value.is_empty() => titles.push(value.to_string()),
            "R" if rhythm.is_none() => rhythm = Some(value.to_string()),
            "M" if meter.is_none() => meter = parse_meter(value),
            "L" if unit.is_none() => unit = parse_fraction(value).map(|(a, b)| 4.0 * a / b),
            "K" => {
                key = Some(value.to_string());
                // K: ends the header.
                break;
            }
            _ => {}
        }
    }
    let key = key?;
    let Some(dance) = rhythm.as_deref().and_then(dance_of) else {
        return Some(None);
    };
    let meter = meter.unwrap_or((4, 4));
    // ABC 2.1, section 3.1.7: without L:, the unit is 1/16 for meters below 0.75, else 1/8.
    let unit = unit.unwrap_or(if f64::from(meter.0) / f64::from(meter.1) < 0.75 {
        0.25
    } else {
        0.5
    });
    let (tonic, scale) = parse_key(&key);
    Some(Some(AbcTune {
        path: path.to_path_buf(),
        title: titles.first().cloned().unwrap_or_default(),
        titles,
        dance,
        meter,
        unit,
        tonic,
        scale,
        number,
    }))
}

fn parse_fraction(value: &str) -> Option<(f64, f64)> {
    let (a, b) = value.split_once('/')?;
    let a: f64 = a.trim().parse().ok()?;
    let b: f64 = b.split_whitespace().next()?.parse().ok()?;
    (a > 0.0 && b > 0.0).then_some((a, b))
}

fn parse_meter(value: &str) -> Option<(u32, u32)> {
    match value.split_whitespace().next()? {
        "C" => Some((4, 4)),
        "C|" => Some((2, 2)),
        other => {
            let (a, b) = other.split_once('/')?;
            Some((a.parse().ok()?, b.parse().ok()?))
        }
    }
}

/// Tonic and mode of a `K:` field ("Am", "Edor", "F#m", "Bb", "Amix"); unknown keys read as C
/// major, which only affects the accompaniment's chord choice.
fn parse_key(value: &str) -> (u8, [u8; 7]) {
    const MAJOR: [u8; 7] = [0, 2, 4, 5, 7, 9, 11];
    let mut chars = value.trim().chars().peekable();
    let letter = chars.next().unwrap_or('C').to_ascii_uppercase();
    let mut tonic: i32 = match letter {
        'C' => 0,
        'D' => 2,
        'E' => 4,
        'F' => 5,
        'G' => 7,
        'A' => 9,
        'B' => 11,
        _ => return (0, MAJOR),
    };
    match chars.peek() {
        Some('#') => {
            tonic += 1;
            chars.next();
        }
        Some('b') => {
            tonic -= 1;
            chars.next();
        }
        _ => {}
    }
    let mode: String = chars
        .take_while(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase();
    // Church modes as rotations of the major scale.
    let rotation = match mode.get(..3).unwrap_or(mode.as_str()) {
        "m" | "min" | "aeo" => 5,
        "dor" => 1,
        "phr" => 2,
        "lyd" => 3,
        "mix" => 4,
        "loc" => 6,
        _ if mode.starts_with('m') && !mode.starts_with("maj") => 5,
        _ => 0,
    };
    let mut scale = [0u8; 7];
    for (i, step) in scale.iter_mut().enumerate() {
        let degree = MAJOR[(i + rotation) % 7] as i32 - MAJOR[rotation] as i32;
        *step = degree.rem_euclid(12) as u8;
    }
    (tonic.rem_euclid(12) as u8, scale)
}

/// Words a title may carry that do not tell one tune from another: the article, the dance it is
/// played as ("Liverpool -- Hornpipe" in Ryan's is "The Liverpool Hornpipe" in O'Neill's), a
/// setting's kind or number ("No. 2") and "favourite".
const TITLE_NOISE: [&str; 10] = [
    "the",
    "reel",
    "jig",
    "hornpipe",
    "strathspey",
    "clog",
    "double",
    "single",
    "favorite",
    "favourite",
];

/// The key that two collections' titles of one tune share: lowercase letters only, the words of
/// [`TITLE_NOISE`], "No." and numbers dropped, and a possessive "'s" kept as "s". Empty for a
/// title of noise alone, which matches nothing.
pub fn title_key(title: &str) -> String {
    let lower = title.to_lowercase().replace("'s", "s");
    lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && w.chars().all(|c| c.is_alphabetic()))
        .filter(|w| *w != "no" && !TITLE_NOISE.contains(w))
        .collect()
}

/// The [`title_key`]s of every tune in the ABC files of `dir`, each of its `T:` lines, whatever
/// its rhythm: the names a tune of another collection is checked against.
pub fn collection_title_keys(dir: &Path) -> anyhow::Result<std::collections::BTreeSet<String>> {
    let entries = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read the ABC folder {}", dir.display()))?;
    let mut keys = std::collections::BTreeSet::new();
    let mut files = 0;
    for path in entries.filter_map(|e| e.ok().map(|e| e.path())) {
        if !path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("abc"))
        {
            continue;
        }
        files += 1;
        for line in read_text(&path)?.lines() {
            if let Some(title) = line.trim_start().strip_prefix("T:") {
                let key = title_key(title);
                if !key.is_empty() {
                    keys.insert(key);
                }
            }
        }
    }
    anyhow::ensure!(files > 0, "{} holds no ABC file (*.abc)", dir.display());
    Ok(keys)
}

/// The tune as MIDI bytes, through abc2midi (repeats expanded, chord symbols ignored). abc2midi
/// writes them to `out`, which is removed after reading: a file no other caller uses at the same
/// time (two takes of one tune made in parallel once shared one and lost a take).
pub fn to_midi(tune: &AbcTune, out: &Path) -> anyhow::Result<Vec<u8>> {
    let mut command = Command::new("abc2midi");
    command.arg(&tune.path);
    if let Some(x) = tune.number {
        // abc2midi renders only this tune of the book.
        command.arg(x.to_string());
    }
    let result = command
        .args(["-silent", "-NGUI", "-o"])
        .arg(out)
        .output()
        .context("cannot run abc2midi (install Debian's abcmidi package)")?;
    let bytes = std::fs::read(out).with_context(|| {
        format!(
            "abc2midi wrote no MIDI for {}: {}",
            tune.path.display(),
            String::from_utf8_lossy(&result.stderr).trim()
        )
    })?;
    // The scratch file is only a hand-over; the MIDI we keep is the arranged one.
    let _ = std::fs::remove_file(out);
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_rhythms_parse_as_written() {
        assert_eq!(parse_key("Am"), (9, [0, 2, 3, 5, 7, 8, 10]));
        assert_eq!(parse_key("Edor"), (4, [0, 2, 3, 5, 7, 9, 10]));
        assert_eq!(parse_key("Bb"), (10, [0, 2, 4, 5, 7, 9, 11]));
        assert_eq!(parse_key("F#m"), (6, [0, 2, 3, 5, 7, 8, 10]));
        assert_eq!(parse_key("Amix"), (9, [0, 2, 4, 5, 7, 9, 10]));
        assert_eq!(dance_of(" REEL"), Some("reel"));
        assert_eq!(dance_of("slipjig"), Some("slip jig"));
        assert_eq!(dance_of("waltz"), None);
        assert_eq!(dance_of("Clog"), Some("hornpipe"));
        assert_eq!(parse_meter("C|"), Some((2, 2)));
        assert_eq!(parse_meter("6/8"), Some((6, 8)));
    }

    #[test]
    fn title_keys_match_one_tune_across_collections_and_nothing_else() {
        let key = title_key;
        // Ryan's Mammoth and O'Neill's 1850 write these titles of one tune.
        assert_eq!(
            key("Liverpool -- Hornpipe"),
            key("Liverpool Hornpipe., The")
        );
        assert_eq!(key("DICK SAND'S -- HORNPIPE"), key("Dick Sands' Hornpipe"));
        assert_eq!(
            key("Wind That: Shakes the Barley -- Reel"),
            key("Wind that Shakes the Barley, The")
        );
        assert_eq!(
            key("Hare in the Corn -- Jig"),
            key("The Hare in the Corn. No. 2.")
        );
        assert_eq!(key("Liverpool -- Hornpipe"), "liverpool");
        // Other tunes stay apart, and a title of noise alone matches nothing.
        assert_ne!(key("Liverpool -- Hornpipe"), key("Liverpool Lasses"));
        assert_eq!(key("The Reel"), "");
        assert_eq!(key("Jig No. 2"), "");
    }

    #[test]
    fn header_gives_the_default_unit_for_the_meter() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.abc");
        std::fs::write(&path, "X:1\nT:Test -- Reel\nR:reel\nM:2/4\nK:D\nABcd|\n").unwrap();
        let tune = read_tune(&path).unwrap().unwrap();
        assert_eq!(tune.dance, "reel");
        assert_eq!(tune.titles, ["Test -- Reel"]);
        assert_eq!(tune.unit, 0.25);
        assert_eq!(tune.tonic, 2);
        assert!(!tune.compound());
        std::fs::write(&path, "X:1\nT:No rhythm\nM:6/8\nK:G\nABc|\n").unwrap();
        assert!(read_tune(&path).unwrap().is_none());
        std::fs::write(&path, "not abc at all").unwrap();
        assert!(read_tune(&path).is_err());
    }

    #[test]
    fn a_tune_book_gives_each_dance_tune_by_its_number() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("0001-0003.abc");
        let book = "% O'Neill's style book\n\nX: 1\nT: Air\nM: 3/4\nK:G\nGAB|\n\n\
                    X: 2\nT: The Kesh\nR:double jig\nM: 6/8\nL: 1/8\nK:G\nGAG GAB|\n\n\
                    X: 7\nT: Hornpipe\nM: 2/4\nL: 1/16\nR:Hornpipe\nK:D\nABcd|\n";
        std::fs::write(&path, book).unwrap();
        let tunes = read_tunes(&path).unwrap();
        let found: Vec<_> = tunes
            .iter()
            .map(|t| (t.number, t.dance, t.title.as_str(), t.group()))
            .collect();
        assert_eq!(
            found,
            [
                (Some(2), "jig", "The Kesh", "0001-0003-x2".to_string()),
                (Some(7), "hornpipe", "Hornpipe", "0001-0003-x7".to_string())
            ]
        );
        assert_eq!(tunes[1].unit, 0.25);
        // One tune: no number, the file's stem as its group, as before.
        let single = dir.path().join("kesh.abc");
        std::fs::write(&single, "X:1\nT:Kesh\nR:jig\nM:6/8\nK:G\nGAG|\n").unwrap();
        let tunes = read_tunes(&single).unwrap();
        assert_eq!(tunes.len(), 1);
        assert_eq!((tunes[0].number, tunes[0].group()), (None, "kesh".into()));
        std::fs::write(&single, "no tune here").unwrap();
        assert!(read_tunes(&single).is_err());
    }
}
