//! ABC notation: the header fields of a tune file (title, rhythm, meter, unit length, key), the
//! dance a rhythm field names, and the tune as MIDI through abc2midi (Debian's `abcmidi`).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

/// The dances of Ryan's Mammoth Collection (1883, in music21's corpus), by how the `R:` field
/// spells them. Rarer rhythms (slip jig, fling, walkaround, slide) have too few tunes for a
/// 10-fold protocol and are left out by the maker's minimum count, not here.
pub const DANCES: [&str; 8] = [
    "reel",
    "jig",
    "hornpipe",
    "strathspey",
    "clog",
    "slip jig",
    "highland fling",
    "walkaround",
];

/// One tune file's header.
#[derive(Clone, Debug)]
pub struct AbcTune {
    pub path: PathBuf,
    pub title: String,
    /// Normalised dance name, one of [`DANCES`].
    pub dance: &'static str,
    /// Beats per bar and beat unit (`C` is 4/4, `C|` is 2/2).
    pub meter: (u32, u32),
    /// The unit note length in quarter notes (`L:`; ABC's default depends on the meter).
    pub unit: f64,
    /// Tonic pitch class (0 = C) and the mode's scale as semitones above it.
    pub tonic: u8,
    pub scale: [u8; 7],
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

    /// The tune's identity for group splits: the file name without extension.
    pub fn group(&self) -> String {
        self.path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
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
        "hornpipe" => Some("hornpipe"),
        "strathspey" => Some("strathspey"),
        "clog" => Some("clog"),
        "slipjig" => Some("slip jig"),
        "highlandfling" | "fling" => Some("highland fling"),
        "walkaround" => Some("walkaround"),
        _ => None,
    }
}

/// Reads the header of the first tune in an ABC file. `Ok(None)` for a tune without a dance
/// rhythm; `Err` for a file that is not ABC.
pub fn read_tune(path: &Path) -> anyhow::Result<Option<AbcTune>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut title = String::new();
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
            "T" if title.is_empty() => title = value.to_string(),
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
    let Some(key) = key else {
        bail!("{} has no K: field (not an ABC tune)", path.display());
    };
    let Some(dance) = rhythm.as_deref().and_then(dance_of) else {
        return Ok(None);
    };
    let meter = meter.unwrap_or((4, 4));
    // ABC 2.1, section 3.1.7: without L:, the unit is 1/16 for meters below 0.75, else 1/8.
    let unit = unit.unwrap_or(if f64::from(meter.0) / f64::from(meter.1) < 0.75 {
        0.25
    } else {
        0.5
    });
    let (tonic, scale) = parse_key(&key);
    Ok(Some(AbcTune {
        path: path.to_path_buf(),
        title,
        dance,
        meter,
        unit,
        tonic,
        scale,
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

/// The tune as MIDI bytes, through abc2midi (repeats expanded, chord symbols ignored).
pub fn to_midi(tune: &AbcTune, scratch: &Path) -> anyhow::Result<Vec<u8>> {
    let out = scratch.join(format!("{}.mid", tune.group()));
    let result = Command::new("abc2midi")
        .arg(&tune.path)
        .args(["-silent", "-NGUI", "-o"])
        .arg(&out)
        .output()
        .context("cannot run abc2midi (install Debian's abcmidi package)")?;
    let bytes = std::fs::read(&out).with_context(|| {
        format!(
            "abc2midi wrote no MIDI for {}: {}",
            tune.path.display(),
            String::from_utf8_lossy(&result.stderr).trim()
        )
    })?;
    // The scratch file is only a hand-over; the MIDI we keep is the arranged one.
    let _ = std::fs::remove_file(&out);
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
        assert_eq!(parse_meter("C|"), Some((2, 2)));
        assert_eq!(parse_meter("6/8"), Some((6, 8)));
    }

    #[test]
    fn header_gives_the_default_unit_for_the_meter() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.abc");
        std::fs::write(&path, "X:1\nT:Test -- Reel\nR:reel\nM:2/4\nK:D\nABcd|\n").unwrap();
        let tune = read_tune(&path).unwrap().unwrap();
        assert_eq!(tune.dance, "reel");
        assert_eq!(tune.unit, 0.25);
        assert_eq!(tune.tonic, 2);
        assert!(!tune.compound());
        std::fs::write(&path, "X:1\nT:No rhythm\nM:6/8\nK:G\nABc|\n").unwrap();
        assert!(read_tune(&path).unwrap().is_none());
        std::fs::write(&path, "not abc at all").unwrap();
        assert!(read_tune(&path).is_err());
    }
}
