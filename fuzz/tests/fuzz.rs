//! The short fuzz run CI makes (a fixed number of inputs per target, seeded, so it is the same
//! run every time), and every kept regression input replayed through its target.

use std::time::Duration;

use mcclstm_fuzz::{RunOptions, Scratch, TARGETS, Target, fuzz, regressions, run_one};

/// How many inputs of `target`'s run its reader must at least take: one per seed (some state
/// seeds are refused on purpose; mutations of the others make up the count).
fn target_seeds(target: &Target) -> u64 {
    (target.seeds)().len() as u64
}

#[test]
fn every_audio_seed_is_a_whole_file_that_decodes() {
    // The audio seeds include whole FLAC, MP3 and Ogg Vorbis files: each must decode, or the
    // fuzzer would only ever reach the codecs' first checks.
    let scratch = Scratch::new().unwrap();
    let audio = TARGETS.iter().find(|t| t.name == "audio").unwrap();
    for (k, seed) in (audio.seeds)().iter().enumerate() {
        assert_eq!(run_one(audio, &scratch, seed), Ok(true), "audio seed {k}");
    }
    assert_eq!(
        (audio.seeds)().len(),
        6,
        "WAV float, WAV PCM, .au, FLAC, MP3, Ogg"
    );
}

#[test]
fn every_target_survives_its_seeds_and_a_short_seeded_run() {
    let findings = tempfile::tempdir().unwrap();
    for target in &TARGETS {
        let runs = match target.name {
            // Each input loads a model (about 10 ms for the small seeds, 100 ms for a shipped one).
            "model" => 120,
            _ => 600,
        };
        let report = fuzz(
            target,
            &RunOptions {
                runs: Some(runs),
                duration: None,
                seed: 2026,
                timeout: Duration::from_secs(60),
                findings: findings.path().to_path_buf(),
            },
        )
        .unwrap();
        assert_eq!(report.runs, runs);
        // Every seed is taken, so the run reaches past the readers' first checks.
        assert!(
            report.accepted >= target_seeds(target),
            "{}: {report:?}",
            target.name
        );
        assert!(
            report.findings.is_empty(),
            "{}: {:?}",
            target.name,
            report.findings
        );
    }
}

#[test]
fn every_kept_regression_input_runs_clean() {
    let scratch = Scratch::new().unwrap();
    for target in &TARGETS {
        for file in regressions(target).unwrap() {
            let input = std::fs::read(&file).unwrap();
            if let Err(why) = run_one(target, &scratch, &input) {
                panic!("{}: {why}", file.display());
            }
        }
    }
}

#[test]
fn a_panicking_reader_is_a_finding_with_its_input_kept() {
    // The runner itself: a target that panics on inputs starting with `!` must report it and
    // keep the input, and go on.
    fn seeds() -> Vec<Vec<u8>> {
        vec![b"ok".to_vec(), b"!boom".to_vec()]
    }
    fn run(_: &Scratch, input: &[u8]) -> bool {
        assert!(input.first() != Some(&b'!'), "found the bang");
        true
    }
    static TARGET: mcclstm_fuzz::Target = mcclstm_fuzz::Target {
        name: "bang",
        what: "a reader that panics on a leading `!`",
        seeds,
        run,
    };
    let findings = tempfile::tempdir().unwrap();
    let report = fuzz(
        &TARGET,
        &RunOptions {
            runs: Some(50),
            duration: None,
            seed: 1,
            timeout: Duration::from_secs(60),
            findings: findings.path().to_path_buf(),
        },
    )
    .unwrap();
    assert_eq!(report.runs, 50);
    assert_eq!(report.findings.len(), 1, "{:?}", report.findings);
    let (path, why) = &report.findings[0];
    assert!(why.contains("found the bang"), "{why}");
    assert_eq!(std::fs::read(path).unwrap(), b"!boom");
}
