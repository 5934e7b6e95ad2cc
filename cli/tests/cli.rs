//! The `mcclstm` command as a person runs it: analyse, features, bad files.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use mcclstm_cli::demo;
use mcclstm_data::dataset::GTZAN_GENRES;
use mcclstm_engine::audio::write_wav_f32;
use mcclstm_onnx::random::write_development_model;

fn mcclstm(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mcclstm"))
        .args(args)
        .output()
        .expect("the mcclstm binary runs")
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

struct Fixture {
    _dir: tempfile::TempDir,
    model: PathBuf,
    song: PathBuf,
    short: PathBuf,
    not_audio: PathBuf,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("dev.onnx");
    write_development_model(&model, &GTZAN_GENRES).unwrap();
    let song = dir.path().join("song.wav");
    demo::write_demo_track(&song, 12.0).unwrap();
    let short = dir.path().join("short.wav");
    write_wav_f32(&short, &demo::demo_track(0.5), 2, 44_100).unwrap();
    let not_audio = dir.path().join("readme.mp3");
    std::fs::write(
        &not_audio,
        "This is not an MP3 file, just text.\n".repeat(50),
    )
    .unwrap();
    Fixture {
        model,
        song,
        short,
        not_audio,
        _dir: dir,
    }
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn analyze_prints_a_timeline_and_a_summary() {
    let f = fixture();
    let out = mcclstm(&["analyze", s(&f.song), "--model", s(&f.model)]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    // 12 s at 22050 Hz: 257 frames, 3 chunks of 80.
    assert_eq!(stdout.matches(" – ").count(), 3, "{stdout}");
    assert!(stdout.contains("track:"), "{stdout}");
    assert!(stdout.contains("genre · MCCLSTM"), "{stdout}");
}

#[test]
fn analyze_json_holds_every_chunk_and_probabilities_that_sum_to_one() {
    let f = fixture();
    let out = mcclstm(&["analyze", s(&f.song), "--model", s(&f.model), "--json"]);
    assert!(out.status.success(), "{}", text(&out).1);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let model = &v[0]["models"][0];
    let chunks = model["chunks"].as_array().unwrap();
    assert_eq!(chunks.len(), 3);
    for chunk in chunks {
        let sum: f64 = chunk["probs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_f64().unwrap())
            .sum();
        assert!((sum - 1.0).abs() < 1e-4, "softmax sums to {sum}");
    }
    assert_eq!(model["labels"].as_array().unwrap().len(), 10);
    assert_eq!(v[0]["sample_rate"], 44_100);
}

/// `mcclstm set-summary` stores the summary rule in a new file; `analyze` then summarises by the
/// last running estimate and says so, and a rule it does not know is refused, writing nothing.
#[test]
fn set_summary_stores_the_rule_and_analyze_summarises_by_it() {
    let f = fixture();
    let last = f.model.with_file_name("last.onnx");
    let out = mcclstm(&[
        "set-summary",
        "--model",
        s(&f.model),
        "--rule",
        "last",
        "--out",
        s(&last),
    ]);
    assert!(out.status.success(), "{}", text(&out).1);
    let analyse = |model: &Path| -> serde_json::Value {
        let out = mcclstm(&["analyze", s(&f.song), "--model", s(model), "--json"]);
        assert!(out.status.success(), "{}", text(&out).1);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v[0]["models"][0].clone()
    };
    let (mean, by_last) = (analyse(&f.model), analyse(&last));
    assert_eq!(mean["track_summary"], "mean");
    assert_eq!(by_last["track_summary"], "last");
    // The same network: the same chunks, summarised otherwise.
    assert_eq!(mean["chunks"], by_last["chunks"]);
    let chunks = by_last["chunks"].as_array().unwrap();
    assert_eq!(by_last["summary"], chunks.last().unwrap()["track"]);
    assert_ne!(mean["summary"], by_last["summary"]);
    let out = mcclstm(&["analyze", s(&f.song), "--model", s(&last)]);
    assert!(
        text(&out).0.contains("track (last estimate):"),
        "{}",
        text(&out).0
    );

    let refused = f.model.with_file_name("median.onnx");
    let out = mcclstm(&[
        "set-summary",
        "--model",
        s(&f.model),
        "--rule",
        "median",
        "--out",
        s(&refused),
    ]);
    assert!(!out.status.success());
    assert!(
        text(&out).1.contains("neither `mean` nor `last`"),
        "{}",
        text(&out).1
    );
    assert!(!refused.exists());
}

#[test]
fn bad_files_are_reported_and_skipped_and_the_exit_code_says_so() {
    let f = fixture();
    let missing = f.song.with_file_name("missing.flac");
    let out = mcclstm(&[
        "analyze",
        s(&missing),
        s(&f.not_audio),
        s(&f.short),
        s(&f.song),
        "--model",
        s(&f.model),
    ]);
    let (stdout, stderr) = text(&out);
    assert!(!out.status.success());
    assert!(stderr.contains("missing.flac: cannot open"), "{stderr}");
    assert!(
        stderr.contains("readme.mp3: not a supported audio file"),
        "{stderr}"
    );
    assert!(
        stderr.contains("short.wav: the audio is 0.50 s long; one chunk needs 3.762 s"),
        "{stderr}"
    );
    assert!(
        stderr.contains("3 of 4 file(s) could not be analysed"),
        "{stderr}"
    );
    // The good file after the bad ones is still analysed.
    assert!(stdout.contains("song.wav"), "{stdout}");
    assert!(stdout.contains("track:"), "{stdout}");
}

#[test]
fn analyze_without_a_model_uses_the_embedded_genre_and_mood_models() {
    let f = fixture();
    let out = mcclstm(&["analyze", "--json", s(&f.song)]);
    assert!(out.status.success(), "{}", text(&out).1);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let models = json[0]["models"].as_array().unwrap();
    let tasks: Vec<&str> = models.iter().map(|m| m["task"].as_str().unwrap()).collect();
    assert_eq!(tasks, ["genre", "mood"]);
    assert_eq!(models[0]["model"], "embedded:genre");
    assert_eq!(models[0]["labels"].as_array().unwrap().len(), 10);
    assert_eq!(models[1]["labels"].as_array().unwrap().len(), 5);
}

#[test]
fn analyze_with_the_embedded_style_model_lists_independent_tags() {
    let f = fixture();
    let out = mcclstm(&[
        "analyze",
        "--json",
        "--model",
        "embedded:style",
        "--model",
        "embedded:genre",
        s(&f.song),
    ]);
    assert!(out.status.success(), "{}", text(&out).1);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let style = &json[0]["models"][0];
    assert_eq!(style["task"], "style");
    assert_eq!(style["outputs"], "independent");
    assert_eq!(style["unsure"], false);
    let strings = |v: &serde_json::Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|l| l.as_str().unwrap().to_string())
            .collect()
    };
    let labels = strings(&style["labels"]);
    // The listed tags are the labels whose mean over the chunks is 0.3 or more, strongest first.
    let chunks = style["chunks"].as_array().unwrap();
    let mean: Vec<f64> = (0..labels.len())
        .map(|i| {
            chunks
                .iter()
                .map(|c| c["probs"][i].as_f64().unwrap())
                .sum::<f64>()
                / chunks.len() as f64
        })
        .collect();
    let mut want: Vec<usize> = (0..labels.len()).filter(|&i| mean[i] >= 0.3).collect();
    want.sort_by(|&a, &b| mean[b].total_cmp(&mean[a]));
    let want: Vec<&String> = want.iter().map(|&i| &labels[i]).collect();
    let tags = strings(&style["tags"]);
    assert_eq!(tags.iter().collect::<Vec<_>>(), want);
    // Each output a probability of its own, in 0..1.
    for c in chunks {
        for p in c["probs"].as_array().unwrap() {
            assert!((0.0..=1.0).contains(&p.as_f64().unwrap()));
        }
    }
    let genre = &json[0]["models"][1];
    assert_eq!(genre["outputs"], "exclusive");
    assert_eq!(genre["tags"].as_array().unwrap().len(), 0);
    // The text report names the tags per chunk and for the track.
    let out = mcclstm(&["analyze", "--model", "embedded:style", s(&f.song)]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stdout.contains("independent tags, shown at 0.30 or more"),
        "{stdout}"
    );
    assert!(stdout.contains("    track: "), "{stdout}");
    // An embedded name no slot has.
    let out = mcclstm(&["analyze", "--model", "embedded:jazz", s(&f.song)]);
    assert!(!out.status.success());
    assert!(
        text(&out)
            .1
            .contains("no such embedded model (there are genre, mood, dance, style)"),
        "{}",
        text(&out).1
    );
}

#[test]
fn analyze_with_a_broken_model_names_it() {
    let f = fixture();
    let out = mcclstm(&["analyze", s(&f.song), "--model", s(&f.not_audio)]);
    assert!(!out.status.success());
    let stderr = text(&out).1;
    assert!(
        stderr.contains("readme.mp3") && stderr.contains("not an ONNX model"),
        "{stderr}"
    );
}

#[test]
fn features_writes_frames_by_mels_npy() {
    let f = fixture();
    let npy = f.song.with_extension("npy");
    let out = mcclstm(&[
        "features",
        s(&f.song),
        "--preset",
        "paper-44k",
        "--out",
        s(&npy),
    ]);
    assert!(out.status.success(), "{}", text(&out).1);
    let bytes = std::fs::read(&npy).unwrap();
    assert_eq!(&bytes[..6], b"\x93NUMPY");
    let header = String::from_utf8_lossy(&bytes[10..128]);
    // 12 s at 44100 Hz: 1 + (529200 - 2048) / 1024 = 515 frames.
    assert!(header.contains("'shape': (515, 40)"), "{header}");
    assert!(header.contains("'descr': '<f4'"), "{header}");
}

#[test]
fn a_float_wav_with_nan_and_inf_analyses_at_44_1_and_48_khz() {
    let dir = tempfile::tempdir().unwrap();
    for rate in [44_100u32, 48_000] {
        // The demo groove, resampled by position, with non-finite samples in both channels.
        let groove = demo::demo_track(8.0);
        let frames = groove.len() / 2 * rate as usize / 44_100;
        let mut samples: Vec<f32> = (0..frames * 2)
            .map(|i| groove[(i / 2 * 44_100 / rate as usize) * 2 + i % 2])
            .collect();
        for (at, bad) in [
            (101, f32::NAN),
            (40_000, f32::INFINITY),
            (200_001, f32::NEG_INFINITY),
        ] {
            samples[at] = bad;
        }
        let wav = dir.path().join(format!("nan-{rate}.wav"));
        write_wav_f32(&wav, &samples, 2, rate).unwrap();
        let out = mcclstm(&["analyze", s(&wav), "--json"]);
        let (stdout, stderr) = text(&out);
        assert!(out.status.success(), "{rate} Hz: {stderr}");
        let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        // Each bad sample spoils one frame of the stereo downmix.
        assert_eq!(json[0]["invalid_samples"], 3, "{rate} Hz");
        for model in json[0]["models"].as_array().unwrap() {
            let chunks = model["chunks"].as_array().unwrap();
            assert_eq!(chunks.len(), 2, "{rate} Hz");
            for chunk in chunks {
                for p in chunk["track"].as_array().unwrap() {
                    assert!(p.as_f64().unwrap().is_finite(), "{rate} Hz");
                }
            }
        }
        // Text output says so too.
        let (text_out, _) = text(&mcclstm(&["analyze", s(&wav)]));
        assert!(text_out.contains("3 NaN or infinite samples"), "{text_out}");
    }
}

/// `mcclstm calibrate` fits on a held-out set, writes the calibration into a new model file (the
/// original is untouched), and `analyze` then reports it and its "unsure" verdicts.
#[test]
fn calibrate_stores_a_checked_calibration_and_analyze_reports_unsure() {
    let f = fixture();
    let dir = f.song.parent().unwrap();
    // Six held-out tracks in three groups, each a different piece of the demo groove.
    let groove = demo::demo_track(30.0);
    let mut csv = String::from("path,label,group\n");
    for k in 0..6 {
        let path = dir.join(format!("held-{k}.wav"));
        let start = k * 4 * 44_100 * 2;
        write_wav_f32(&path, &groove[start..start + 8 * 44_100 * 2], 2, 44_100).unwrap();
        let label = ["blues", "rock", "jazz"][k % 3];
        csv.push_str(&format!("{},{label},g{}\n", path.display(), k / 2));
    }
    let table = dir.join("held-out.csv");
    std::fs::write(&table, csv).unwrap();
    let calibrated = dir.join("calibrated.onnx");
    let out = mcclstm(&[
        "calibrate",
        "--model",
        s(&f.model),
        "--dataset",
        "generic",
        "--root",
        s(&table),
        "--unsure-below",
        "0.9",
        "--out",
        s(&calibrated),
        "--json",
    ]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["raw"]["tracks"], 6, "{report}");
    assert_eq!(report["folds"], 3, "{report}");
    assert_eq!(report["folds_by"], "group", "{report}");
    let t = report["temperature"].as_f64().unwrap();
    assert!((0.05..=20.0).contains(&t), "{report}");

    let model = mcclstm_engine::Model::from_file(&calibrated).unwrap();
    let confidence = &model.description().confidence;
    assert!(confidence.is_calibrated());
    assert_eq!(confidence.unsure_below, 0.9);
    assert_eq!(f64::from(confidence.temperature), t);
    let original = mcclstm_engine::Model::from_file(&f.model).unwrap();
    assert!(!original.description().confidence.is_calibrated());

    // A random development model is never 90% sure: every verdict is "unsure", with both leaders.
    let out = mcclstm(&["analyze", s(&f.song), "--model", s(&calibrated), "--json"]);
    assert!(out.status.success(), "{}", text(&out).1);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let m = &v[0]["models"][0];
    assert_eq!(m["confidence"]["calibrated"], true, "{m}");
    assert_eq!(m["unsure"], true, "{m}");
    assert_ne!(m["top"], m["second"], "{m}");
    let out = mcclstm(&["analyze", s(&f.song), "--model", s(&calibrated)]);
    let (stdout, _) = text(&out);
    assert!(
        stdout.contains(&format!(
            "calibrated: temperature {t:.2}, unsure below 0.90"
        )),
        "{stdout}"
    );
    assert!(stdout.contains("track: unsure: "), "{stdout}");
    assert_eq!(stdout.matches("  unsure\n").count(), 3, "{stdout}");

    // A held-out label the model does not have is refused, naming it.
    std::fs::write(&table, format!("path,label\n{},polka\n", s(&f.song))).unwrap();
    let out = mcclstm(&[
        "calibrate",
        "--model",
        s(&f.model),
        "--dataset",
        "generic",
        "--root",
        s(&table),
        "--dry-run",
    ]);
    assert!(!out.status.success());
    assert!(text(&out).1.contains("polka"), "{}", text(&out).1);
}

/// A folder is walked for audio files (sorted, nested, other files left out), and several files
/// analysed at once come out in input order, the same as one at a time.
#[test]
fn analyze_walks_folders_and_keeps_input_order_with_several_jobs() {
    let f = fixture();
    let dir = f.song.parent().unwrap().join("library");
    std::fs::create_dir_all(dir.join("b/deeper")).unwrap();
    let groove = demo::demo_track(20.0);
    let tracks = ["a.wav", "b/deeper/c.WAV", "b/d.wav", "e.wav"];
    for (k, name) in tracks.iter().enumerate() {
        let start = k * 3 * 44_100 * 2;
        write_wav_f32(
            &dir.join(name),
            &groove[start..start + 5 * 44_100 * 2],
            2,
            44_100,
        )
        .unwrap();
    }
    std::fs::write(dir.join("b/notes.txt"), "not audio").unwrap();
    std::fs::create_dir_all(dir.join("empty")).unwrap();
    let run = |jobs: &str, input: &Path| {
        let out = mcclstm(&[
            "analyze",
            "--json",
            "--jobs",
            jobs,
            "-m",
            s(&f.model),
            s(input),
        ]);
        assert!(out.status.success(), "{}", text(&out).1);
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    let one = run("1", &dir);
    let files: Vec<String> = one
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["file"].as_str().unwrap().to_string())
        .collect();
    let expected: Vec<String> = ["a.wav", "b/d.wav", "b/deeper/c.WAV", "e.wav"]
        .iter()
        .map(|n| dir.join(n).display().to_string())
        .collect();
    assert_eq!(files, expected);
    assert_eq!(run("3", &dir), one);
    // A worker analyses its files with one stream, rewound between them: the last file of a
    // one-job run is what it gives alone.
    assert_eq!(run("1", &dir.join("e.wav"))[0], one[3]);
    // A folder without audio is an error, and the exit code says so.
    let out = mcclstm(&["analyze", "-m", s(&f.model), s(&dir.join("empty"))]);
    assert!(!out.status.success());
    assert!(
        text(&out).1.contains("no audio files in this folder"),
        "{}",
        text(&out).1
    );
}

/// `mcclstm evaluate` on a tag data set: per-tag ROC-AUC with the tracks it rests on and a 95%
/// interval from a bootstrap over tracks; `--against` pairs two models on the same chunks (a
/// model against itself differs by exactly nothing); an accuracy gets Wilson's interval, every
/// track's outcome (`per_track`, `--list-wrong`, refused for a tag model); and `--against`
/// refuses a model of exclusive classes.
#[test]
fn evaluate_gives_intervals_and_compares_two_tag_models_on_the_same_chunks() {
    let f = fixture();
    let dir = f.song.parent().unwrap();
    let style = concat!(env!("CARGO_MANIFEST_DIR"), "/../models/style.onnx");
    let groove = demo::demo_track(48.0);
    let mut tags = String::from("path,group,chunk,electronic,piano,rock\n");
    let mut classes = String::from("path,label\n");
    for k in 0..6 {
        let path = dir.join(format!("tagged-{k}.wav"));
        let start = k * 6 * 44_100 * 2;
        write_wav_f32(&path, &groove[start..start + 12 * 44_100 * 2], 2, 44_100).unwrap();
        for c in 0..3 {
            let electronic = if (k + c) % 2 == 0 { 0.9 } else { 0.05 };
            let piano = if c == 1 { 0.8 } else { 0.0 };
            let rock = if k % 2 == 0 { 0.7 } else { 0.1 };
            tags.push_str(&format!(
                "{},t{k},{c},{electronic},{piano},{rock}\n",
                path.display()
            ));
        }
        let label = ["blues", "rock"][k % 2];
        classes.push_str(&format!("{},{label}\n", path.display()));
    }
    let tag_csv = dir.join("tags.csv");
    std::fs::write(&tag_csv, tags).unwrap();
    let class_csv = dir.join("classes.csv");
    std::fs::write(&class_csv, classes).unwrap();

    let args = ["evaluate", "--dataset", "tags", "--model", style, "--root"];
    let out = mcclstm(&[&args[..], &[s(&tag_csv), "--against", style, "--json"]].concat());
    assert!(out.status.success(), "{}", text(&out).1);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (json["tracks"].as_u64(), json["chunks"].as_u64()),
        (Some(6), Some(18))
    );
    assert_eq!(json["resamples"], 1000);
    let mut sum = 0.0;
    for (tag, tracks) in [("electronic", 6), ("piano", 6), ("rock", 3)] {
        let t = json["tags"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["tag"] == tag)
            .unwrap();
        assert_eq!(t["positive_tracks"], tracks, "{t}");
        let auc = t["roc_auc"].as_f64().unwrap();
        let (low, high) = (
            t["interval"]["low"].as_f64(),
            t["interval"]["high"].as_f64(),
        );
        assert!(low.unwrap() <= auc && auc <= high.unwrap(), "{t}");
        sum += auc;
    }
    let mean = json["mean_roc_auc"].as_f64().unwrap();
    assert!((mean - sum / 3.0).abs() < 1e-9);
    assert!(json["mean_interval"]["low"].as_f64().unwrap() <= mean);
    let against = &json["against"];
    assert_eq!(against["evaluation"]["tags"], json["tags"]);
    assert_eq!(against["difference"]["chunks"], 18);
    for d in against["difference"]["tags"].as_array().unwrap() {
        assert_eq!(d["difference"], 0.0, "{d}");
        assert_eq!(
            (&d["interval"]["low"], &d["interval"]["high"]),
            (&0.0.into(), &0.0.into())
        );
    }

    let out = mcclstm(&[&args[..], &[s(&tag_csv), "--against", style]].concat());
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stdout.contains("95% intervals from 1000 resamples of the tracks"),
        "{stdout}"
    );
    assert!(stdout.contains("present in 3 tracks"), "{stdout}");
    assert!(
        stdout.contains("vs other +0.000 [+0.000, +0.000]"),
        "{stdout}"
    );

    let exclusive = [
        "evaluate",
        "--dataset",
        "generic",
        "--model",
        s(&f.model),
        "--root",
    ];
    let out = mcclstm(&[&exclusive[..], &[s(&class_csv)]].concat());
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stdout.contains("of 6 tracks correct (95% interval "),
        "{stdout}"
    );
    // Every track's outcome, and the wrong ones listed: the same tracks the confusion counts.
    let out = mcclstm(&[&exclusive[..], &[s(&class_csv), "--json"]].concat());
    assert!(out.status.success(), "{}", text(&out).1);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let per_track = json["per_track"].as_array().unwrap();
    assert_eq!(per_track.len(), 6);
    let labels = json["labels"].as_array().unwrap();
    let counts = json["confusion"]["counts"].as_array().unwrap();
    let mut wrong = Vec::new();
    for (k, t) in per_track.iter().enumerate() {
        assert!(
            t["path"]
                .as_str()
                .unwrap()
                .ends_with(&format!("tagged-{k}.wav")),
            "{t}"
        );
        assert_eq!(t["label"], ["blues", "rock"][k % 2]);
        let summary: Vec<f64> = t["summary"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_f64().unwrap())
            .collect();
        assert_eq!(summary.len(), labels.len());
        let top = (0..summary.len()).fold(
            0,
            |best, i| if summary[i] > summary[best] { i } else { best },
        );
        assert_eq!(t["predicted"], labels[top], "{t}");
        let truth = labels.iter().position(|l| *l == t["label"]).unwrap();
        assert!(counts[truth][top].as_u64().unwrap() > 0);
        if t["predicted"] != t["label"] {
            wrong.push(format!(
                "tagged-{k}.wav: {} called {}",
                t["label"].as_str().unwrap(),
                labels[top].as_str().unwrap()
            ));
        }
    }
    let correct: u64 = (0..labels.len())
        .map(|i| counts[i][i].as_u64().unwrap())
        .sum();
    assert_eq!(wrong.len() as u64, 6 - correct);
    let out = mcclstm(&[&exclusive[..], &[s(&class_csv), "--list-wrong"]].concat());
    let stdout = text(&out).0;
    assert!(
        stdout.contains(&format!("{} of 6 tracks wrong:", wrong.len())),
        "{stdout}"
    );
    for line in &wrong {
        assert!(stdout.contains(line.as_str()), "{line} not in {stdout}");
    }
    assert_eq!(stdout.matches(" called ").count(), wrong.len(), "{stdout}");
    // Relabelled so that the first three are right and the last three wrong, whatever this
    // random model hears: exactly the last three are listed.
    let mut relabelled = String::from("path,label\n");
    for (k, t) in per_track.iter().enumerate() {
        let predicted = labels.iter().position(|l| *l == t["predicted"]).unwrap();
        let label = if k < 3 {
            predicted
        } else {
            (predicted + 1) % labels.len()
        };
        relabelled.push_str(&format!(
            "{},{}\n",
            t["path"].as_str().unwrap(),
            labels[label].as_str().unwrap()
        ));
    }
    let relabelled_csv = dir.join("relabelled.csv");
    std::fs::write(&relabelled_csv, relabelled).unwrap();
    let out = mcclstm(&[&exclusive[..], &[s(&relabelled_csv), "--list-wrong"]].concat());
    let stdout = text(&out).0;
    assert!(stdout.contains("3 of 6 tracks wrong:"), "{stdout}");
    for k in 0..6 {
        assert_eq!(
            stdout.contains(&format!("tagged-{k}.wav: ")),
            k >= 3,
            "{stdout}"
        );
    }
    let out = mcclstm(&[&args[..], &[s(&tag_csv), "--list-wrong"]].concat());
    let stderr = text(&out).1;
    assert!(
        !out.status.success() && stderr.contains("--list-wrong lists tracks of exclusive classes"),
        "{stderr}"
    );

    let out = mcclstm(&[&exclusive[..], &[s(&class_csv), "--against", style]].concat());
    let stderr = text(&out).1;
    assert!(
        !out.status.success() && stderr.contains("--against compares two multi-label"),
        "{stderr}"
    );
}
