//! The plugin bundle in a real (headless) CLAP host: descriptor, bit-exact pass-through, no
//! allocation in `process()`, bad samples, every rate and block size, state round trip, and the
//! offline render against the engine's own analysis of the same audio.

use std::f32::consts::TAU;
use std::process::Command;

use mcclstm_engine::Model;
use mcclstm_engine::resample::resample;
use mcclstm_engine::runner::analyze_signal;
use mcclstm_tests::{Bundle, RenderOptions, Schedule, bundle_path, render, saved_history};

fn bundle() -> Bundle {
    Bundle::load(&bundle_path().unwrap()).unwrap()
}

/// A stereo signal with a tune in it, `seconds` long at `rate`.
fn music(rate: f64, seconds: f64) -> Vec<Vec<f32>> {
    let n = (rate * seconds) as usize;
    let left: Vec<f32> = (0..n)
        .map(|i| {
            let t = i as f32 / rate as f32;
            let note = [220.0, 277.2, 329.6, 440.0][(t * 2.0) as usize % 4];
            0.3 * (TAU * note * t).sin() + 0.15 * (TAU * 55.0 * t).sin()
        })
        .collect();
    let right = left.iter().map(|s| -0.7 * s).collect();
    vec![left, right]
}

fn bits(x: &[f32]) -> Vec<u32> {
    x.iter().map(|s| s.to_bits()).collect()
}

#[test]
fn descriptor_names_the_plugin() {
    let d = bundle().descriptors().unwrap();
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].id, "org.mcclstm.analyzer");
    assert_eq!(d[0].name, "MCCLSTM");
    assert_eq!(d[0].vendor, "mcclstm");
    assert_eq!(d[0].version, env!("CARGO_PKG_VERSION"));
    for feature in ["audio-effect", "analyzer", "stereo"] {
        assert!(
            d[0].features.iter().any(|f| f == feature),
            "{:?}",
            d[0].features
        );
    }
}

#[test]
fn output_equals_input_bit_for_bit_in_both_modes() {
    let bundle = bundle();
    let input = music(48_000.0, 5.0);
    for offline in [true, false] {
        let options = RenderOptions {
            sample_rate: 48_000.0,
            schedule: Schedule::Random { max: 4096, seed: 3 },
            offline,
            ..Default::default()
        };
        let out = render(&bundle, &input, &options).unwrap();
        for (ch, (output, input)) in out.output.iter().zip(&input).enumerate() {
            assert_eq!(bits(output), bits(input), "offline={offline}, channel {ch}");
        }
    }
}

#[test]
fn process_never_allocates_in_real_time_mode() {
    // The bundle is a debug build with nice-plug's assert_process_allocs: an allocation inside
    // process() aborts the host process. Run it as a child so the abort is a failed assertion.
    for block in ["1", "64", "4096"] {
        let out = Command::new(env!("CARGO_BIN_EXE_mcclstm-host"))
            .args([
                "--realtime",
                "--rate",
                "48000",
                "--seconds",
                "5",
                "--block",
                block,
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "block {block}: the host died ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(summary["bit_exact"], true, "{summary}");
        // The analysis thread ran: it joined after draining the ring, so the chunk is in the state.
        assert!(summary["chunks"][0].as_u64().unwrap() >= 1, "{summary}");
    }
}

#[test]
fn non_finite_input_passes_through_and_the_analysis_stays_finite() {
    let out = Command::new(env!("CARGO_BIN_EXE_mcclstm-host"))
        .args([
            "--non-finite",
            "--rate",
            "44100",
            "--seconds",
            "8",
            "--random-blocks",
            "1024",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["bit_exact"], true, "{summary}");
    assert_eq!(summary["all_finite"], true, "{summary}");
    assert_eq!(summary["chunks"][0], 2, "{summary}");
    assert_eq!(summary["chunks"][1], 2, "{summary}");
}

#[test]
fn every_rate_and_block_size_produces_chunk_results() {
    let bundle = bundle();
    for rate in [44_100.0, 48_000.0, 96_000.0] {
        // 4.5 s: one chunk needs 3.76 s of audio at the model's rate, plus the resampler's delay.
        let input = music(rate, 4.5);
        for schedule in [
            Schedule::Fixed(1),
            Schedule::Fixed(4096),
            Schedule::Random { max: 4096, seed: 1 },
        ] {
            let options = RenderOptions {
                sample_rate: rate,
                schedule,
                ..Default::default()
            };
            let out = render(&bundle, &input, &options).unwrap();
            let history = saved_history(&out.state).unwrap();
            assert_eq!(history[0].len(), 1, "{rate} Hz, {schedule:?}: genre chunks");
            assert_eq!(history[1].len(), 1, "{rate} Hz, {schedule:?}: mood chunks");
            assert_eq!(history[0][0].task, "genre");
            assert_eq!(history[1][0].task, "mood");
        }
    }
}

#[test]
fn state_save_and_load_round_trips_the_history() {
    let bundle = bundle();
    let first = render(&bundle, &music(44_100.0, 12.0), &RenderOptions::default()).unwrap();
    let history = saved_history(&first.state).unwrap();
    assert_eq!(history[0].len(), 3);
    // A new instance loads the state, renders nothing, and saves the same history again.
    let options = RenderOptions {
        state: Some(first.state.clone()),
        ..Default::default()
    };
    let second = render(&bundle, &[vec![], vec![]], &options).unwrap();
    assert_eq!(saved_history(&second.state).unwrap(), history);
}

#[test]
fn offline_render_equals_the_engine_on_the_same_audio() {
    let bundle = bundle();
    let input = music(44_100.0, 12.0);
    let out = render(
        &bundle,
        &input,
        &RenderOptions {
            schedule: Schedule::Random { max: 2048, seed: 9 },
            ..Default::default()
        },
    )
    .unwrap();
    let history = saved_history(&out.state).unwrap();

    let mono: Vec<f32> = input[0]
        .iter()
        .zip(&input[1])
        .map(|(l, r)| (l + r) * 0.5)
        .collect();
    let at_model_rate = resample(&mono, 44_100, 22_050).unwrap();
    for (slot, file) in [(0usize, "dev-genre.onnx"), (1, "dev-mood.onnx")] {
        let bytes =
            std::fs::read(format!("{}/../models/{file}", env!("CARGO_MANIFEST_DIR"))).unwrap();
        let model = Model::from_bytes(&bytes).unwrap();
        let analysis = analyze_signal(&model, &at_model_rate).unwrap();
        assert_eq!(history[slot].len(), analysis.chunks.len(), "{file}");
        for (live, offline) in history[slot].iter().zip(&analysis.chunks) {
            let diff = live
                .probs
                .iter()
                .zip(&offline.track)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0f32, f32::max);
            // Same engine code on the same samples; only the mono downmix is computed in a
            // different order (plugin: (l + r) * 0.5 vs here), which moves samples by an ulp.
            assert!(
                diff < 1e-5,
                "{file} chunk {}: differs by {diff}",
                live.chunk
            );
        }
    }
}
