//! Train/validation/test splits: the paper's protocol of seeded, stratified random 80/10/10 splits
//! (Section 3.3), and the same with groups (artist, tune) kept inside one part.

use std::collections::BTreeMap;

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use serde::Serialize;

/// The paper's split: 80% train, 10% validation, 10% test (Section 3.3).
pub const PAPER_FRACTIONS: Fractions = Fractions {
    validation: 0.1,
    test: 0.1,
};

/// Shares of each class that go to validation and test; the rest trains.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Fractions {
    pub validation: f64,
    pub test: f64,
}

/// Indices into the track list.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Split {
    pub train: Vec<usize>,
    pub validation: Vec<usize>,
    pub test: Vec<usize>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SplitError {
    #[error(
        "class `{label}` has {tracks} track(s) (or groups), fewer than the {needed} that {why} needs; add tracks or lower --folds"
    )]
    TooFew {
        label: String,
        tracks: usize,
        needed: usize,
        why: String,
    },
}

/// Checks, before any training, that every class can be split `folds` ways with a track (or group)
/// in every part: at least `folds` and at least one per part.
pub fn check_counts(
    labels: &[String],
    track_labels: &[usize],
    groups: Option<&[Option<String>]>,
    folds: usize,
    fractions: Fractions,
) -> Result<(), SplitError> {
    let parts = 1 + usize::from(fractions.validation > 0.0) + usize::from(fractions.test > 0.0);
    let needed = folds.max(parts);
    for (i, label) in labels.iter().enumerate() {
        let units = units_of_class(track_labels, groups, i).len();
        if units < needed {
            return Err(SplitError::TooFew {
                label: label.clone(),
                tracks: units,
                needed,
                why: if folds > 1 {
                    format!("{folds}-fold cross-validation")
                } else {
                    "a train/validation split".to_string()
                },
            });
        }
    }
    Ok(())
}

/// The units of class `class`: single tracks, or groups of tracks when groups are given (a track
/// without a group is its own unit). A group counts toward the class of its first track.
fn units_of_class(
    track_labels: &[usize],
    groups: Option<&[Option<String>]>,
    class: usize,
) -> Vec<Vec<usize>> {
    let mut by_group: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    let mut first_label: BTreeMap<String, usize> = BTreeMap::new();
    let mut singles = Vec::new();
    for (i, &label) in track_labels.iter().enumerate() {
        match groups.and_then(|g| g[i].as_ref()) {
            Some(g) => {
                first_label.entry(g.clone()).or_insert(label);
                by_group.entry(g.clone()).or_default().push(i);
            }
            None if label == class => singles.push(vec![i]),
            None => {}
        }
    }
    let mut units: Vec<Vec<usize>> = by_group
        .into_iter()
        .filter(|(g, _)| first_label[g] == class)
        .map(|(_, tracks)| tracks)
        .collect();
    units.extend(singles);
    units
}

/// One seeded, stratified random split. Per class, the units (tracks or groups) are shuffled and
/// cut: `round(fraction * n)` but at least one unit each to test and validation, the rest to train.
pub fn stratified(
    n_classes: usize,
    track_labels: &[usize],
    groups: Option<&[Option<String>]>,
    fractions: Fractions,
    seed: u64,
) -> Split {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut split = Split::default();
    for class in 0..n_classes {
        let mut units = units_of_class(track_labels, groups, class);
        units.shuffle(&mut rng);
        let n = units.len();
        let take = |fraction: f64| {
            if fraction <= 0.0 {
                0
            } else {
                ((fraction * n as f64).round() as usize).max(1)
            }
        };
        let n_test = take(fractions.test).min(n.saturating_sub(1));
        let n_val = take(fractions.validation).min(n.saturating_sub(1 + n_test));
        for (k, unit) in units.into_iter().enumerate() {
            let part = if k < n_test {
                &mut split.test
            } else if k < n_test + n_val {
                &mut split.validation
            } else {
                &mut split.train
            };
            part.extend(unit);
        }
    }
    for part in [&mut split.train, &mut split.validation, &mut split.test] {
        part.sort_unstable();
    }
    split
}

/// The paper's protocol: `folds` independent seeded splits (fold `k` uses `seed + k`).
pub fn folds(
    n_classes: usize,
    track_labels: &[usize],
    groups: Option<&[Option<String>]>,
    count: usize,
    seed: u64,
) -> Vec<Split> {
    (0..count as u64)
        .map(|k| stratified(n_classes, track_labels, groups, PAPER_FRACTIONS, seed + k))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(per_class: usize, classes: usize) -> Vec<usize> {
        (0..classes * per_class).map(|i| i % classes).collect()
    }

    #[test]
    fn split_is_stratified_disjoint_and_complete() {
        let y = labels(20, 3);
        let s = stratified(3, &y, None, PAPER_FRACTIONS, 7);
        let mut all: Vec<usize> = [&s.train[..], &s.validation[..], &s.test[..]].concat();
        all.sort_unstable();
        assert_eq!(all, (0..60).collect::<Vec<_>>());
        for class in 0..3 {
            let count = |part: &[usize]| part.iter().filter(|&&i| y[i] == class).count();
            assert_eq!(
                (count(&s.train), count(&s.validation), count(&s.test)),
                (16, 2, 2)
            );
        }
    }

    #[test]
    fn seeds_change_the_split_and_repeat_it() {
        let y = labels(20, 2);
        let a = stratified(2, &y, None, PAPER_FRACTIONS, 1);
        assert_eq!(a, stratified(2, &y, None, PAPER_FRACTIONS, 1));
        assert_ne!(a, stratified(2, &y, None, PAPER_FRACTIONS, 2));
    }

    #[test]
    fn groups_never_straddle_parts() {
        let y = labels(30, 2);
        let groups: Vec<Option<String>> = (0..60).map(|i| Some(format!("g{}", i / 3))).collect();
        for seed in 0..5 {
            let s = stratified(2, &y, Some(&groups), PAPER_FRACTIONS, seed);
            let part_of = |i: usize| {
                [&s.train, &s.validation, &s.test]
                    .iter()
                    .position(|p| p.contains(&i))
                    .unwrap()
            };
            for i in 0..60 {
                for j in 0..60 {
                    if groups[i] == groups[j] {
                        assert_eq!(part_of(i), part_of(j));
                    }
                }
            }
            assert!(!s.test.is_empty() && !s.validation.is_empty());
        }
    }

    #[test]
    fn a_class_smaller_than_the_fold_count_is_refused_by_name() {
        let names = vec!["big".to_string(), "tiny".to_string()];
        let mut y = vec![0; 20];
        y.extend([1; 4]);
        let err = check_counts(&names, &y, None, 10, PAPER_FRACTIONS).unwrap_err();
        assert!(err.to_string().contains("`tiny` has 4 track(s)"), "{err}");
        assert!(check_counts(&names, &y, None, 4, PAPER_FRACTIONS).is_ok());
    }
}
