//! The CLAP bundle under test in the headless CLAP host: descriptor, bit-exact pass-through in
//! both modes, every rate and block size, state round trip, the offline render against the
//! engine's own analysis of the same audio, two instances at once, rate changes and `reset()`,
//! parameter events. What both formats must pass (allocations, real-time pace and drops, bad
//! samples, long silence, flat memory, WAV renders against `mcclstm analyze`) is in
//! `both_formats.rs`.

mod common;

use std::f32::consts::TAU;

use common::bits;
use mcclstm_engine::Model;
use mcclstm_engine::resample::resample;
use mcclstm_engine::stream::analyze_signal;
use mcclstm_tests::{
    Bundle, HistoryEntry, ParamChange, RenderOptions, Schedule, Session, bundle_path, render,
    saved_history,
};

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
fn every_rate_and_block_size_produces_chunk_results() {
    let bundle = bundle();
    for rate in [44_100.0, 48_000.0, 96_000.0] {
        // 4.5 s: one chunk needs 3.76 s of audio at the model's rate, plus the resampler's delay.
        let input = music(rate, 4.5);
        for schedule in [
            Schedule::Fixed(1),
            Schedule::Fixed(4096),
            Schedule::Random { max: 4096, seed: 1 },
            Schedule::HostLike {
                buffer: 441,
                seed: 2,
            },
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
    for (slot, file) in [(0usize, "genre.onnx"), (1, "mood.onnx")] {
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

/// The history a fresh instance saves after an offline render of `input` at `rate`.
fn fresh_history(bundle: &Bundle, input: &[Vec<f32>], rate: f64) -> Vec<Vec<HistoryEntry>> {
    let options = RenderOptions {
        sample_rate: rate,
        ..Default::default()
    };
    saved_history(&render(bundle, input, &options).unwrap().state).unwrap()
}

/// The entries of the last segment (since the last reset) of a slot's history.
fn last_segment(history: &[HistoryEntry]) -> Vec<HistoryEntry> {
    let last = history.last().map(|e| e.segment).unwrap_or_default();
    history
        .iter()
        .filter(|e| e.segment == last)
        .cloned()
        .collect()
}

fn max_prob_diff(a: &[HistoryEntry], b: &[HistoryEntry]) -> f32 {
    assert_eq!(a.len(), b.len(), "chunk counts differ");
    a.iter()
        .zip(b)
        .flat_map(|(x, y)| x.probs.iter().zip(&y.probs).map(|(p, q)| (p - q).abs()))
        .fold(0.0, f32::max)
}

#[test]
fn the_bundle_loads_twice_and_two_instances_run_at_once() {
    let path = bundle_path().unwrap();
    let input = music(44_100.0, 8.0);
    let results: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let (path, input) = (&path, &input);
                scope.spawn(move || {
                    let bundle = Bundle::load(path).unwrap();
                    render(&bundle, input, &RenderOptions::default()).unwrap()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for r in &results {
        assert_eq!(bits(&r.output[0]), bits(&input[0]));
        assert_eq!(bits(&r.output[1]), bits(&input[1]));
    }
    // Two instances share nothing: the same audio gives the same analysis in both.
    let (a, b) = (
        saved_history(&results[0].state).unwrap(),
        saved_history(&results[1].state).unwrap(),
    );
    assert_eq!(a[0].len(), 2);
    assert_eq!(a, b);
}

#[test]
fn reset_and_a_rate_change_clear_the_analysis_state() {
    let bundle = bundle();
    let (first, second) = (music(48_000.0, 8.0), music(48_000.0, 8.0));
    let second: Vec<Vec<f32>> = second
        .iter()
        .map(|c| c.iter().map(|s| s * 0.5).collect())
        .collect();

    // What a fresh instance makes of `second` at 48 kHz, and of the same tune at 96 kHz.
    let fresh_48 = fresh_history(&bundle, &second, 48_000.0);
    let at_96 = music(96_000.0, 8.0);
    let fresh_96 = fresh_history(&bundle, &at_96, 96_000.0);

    let mut session = Session::new(&bundle, None, true).unwrap();
    session.activate(48_000.0, 512).unwrap();
    session
        .process(&first, Schedule::Fixed(512), None, &[])
        .unwrap();
    session.reset().unwrap();
    session
        .process(&second, Schedule::Fixed(512), None, &[])
        .unwrap();
    session.deactivate().unwrap();
    let after_reset = saved_history(&session.save_state().unwrap()).unwrap();

    session.activate(96_000.0, 1024).unwrap();
    session
        .process(&at_96, Schedule::Fixed(1024), None, &[])
        .unwrap();
    session.deactivate().unwrap();
    let after_rate_change = saved_history(&session.save_state().unwrap()).unwrap();

    for slot in 0..2 {
        // After reset() the chunks of `second` are exactly what a fresh instance gives: the LSTM
        // state and the running mean were cleared, and a new segment began at chunk 0.
        let segment = last_segment(&after_reset[slot]);
        assert_eq!(segment[0].chunk, 0);
        assert!(segment[0].segment > after_reset[slot][0].segment);
        let diff = max_prob_diff(&segment, &fresh_48[slot]);
        assert!(diff < 1e-6, "slot {slot} after reset differs by {diff}");
        // The same after deactivating and activating at 96 kHz.
        let segment = last_segment(&after_rate_change[slot]);
        assert_eq!(segment[0].chunk, 0);
        let diff = max_prob_diff(&segment, &fresh_96[slot]);
        assert!(
            diff < 1e-6,
            "slot {slot} after the rate change differs by {diff}"
        );
    }
}

#[test]
fn parameter_events_change_the_silence_threshold() {
    let bundle = bundle();
    // Music, a 2 s pause, music: with the default 5 s threshold this is one track; with the
    // threshold set to 1 s by a parameter event, the pause ends the first track.
    let rate = 44_100.0;
    let tune = music(rate, 8.0);
    let input: Vec<Vec<f32>> = tune
        .iter()
        .map(|c| {
            let mut v = c.clone();
            v.extend(std::iter::repeat_n(0.0, 2 * 44_100));
            v.extend_from_slice(c);
            v
        })
        .collect();
    let segments = |changes: &[ParamChange]| {
        let mut session = Session::new(&bundle, None, true).unwrap();
        session.activate(rate, 512).unwrap();
        session
            .process(&input, Schedule::Fixed(512), None, changes)
            .unwrap();
        session.deactivate().unwrap();
        let history = saved_history(&session.save_state().unwrap()).unwrap();
        let mut seen: Vec<u64> = history[0].iter().map(|e| e.segment).collect();
        seen.dedup();
        (seen.len(), session)
    };
    let (default_segments, _) = segments(&[]);
    assert_eq!(default_segments, 1);
    let mut probe = Session::new(&bundle, None, true).unwrap();
    let id = probe.param_id("Silence reset").unwrap();
    // The host converts "1 s" to the plugin's value scale, as a DAW does for typed-in values.
    let one_second = probe.param_value_of_text(id, "1.0 s").unwrap();
    let (short_segments, mut session) = segments(&[ParamChange {
        id,
        value: one_second,
    }]);
    assert_eq!(short_segments, 2);
    assert!((session.param_value(id).unwrap() - one_second).abs() < 1e-9);
}

#[test]
fn reset_in_real_time_mode_lands_on_its_exact_sample() {
    // The analysis thread reads the ring in batches; a reset must still start the new track at
    // the exact sample where the host asked for it, not at the start of the batch it falls in.
    let bundle = bundle();
    let (first, second) = (music(48_000.0, 2.0), music(48_000.0, 8.0));
    let second: Vec<Vec<f32>> = second
        .iter()
        .map(|c| c.iter().map(|s| s * 0.5).collect())
        .collect();
    let fresh = fresh_history(&bundle, &second, 48_000.0);

    let mut session = Session::new(&bundle, None, false).unwrap();
    session.activate(48_000.0, 512).unwrap();
    session
        .process(&first, Schedule::Fixed(512), None, &[])
        .unwrap();
    // No pause here: the reset falls inside whatever batch the analysis thread reads next.
    session.reset().unwrap();
    let n = second[0].len();
    for start in (0..n).step_by(48_000) {
        let end = (start + 48_000).min(n);
        let piece: Vec<Vec<f32>> = second.iter().map(|c| c[start..end].to_vec()).collect();
        session
            .process(&piece, Schedule::Fixed(512), None, &[])
            .unwrap();
        // A second of audio, then time for the analysis to drain it, so the 4 s ring never
        // overflows: the thread sleeps up to 100 ms between batches, and the other tests of this
        // binary share the two cores (60 ms here once dropped samples under that load).
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
    session.deactivate().unwrap();
    let saved = mcclstm_tests::saved_history_field(&session.save_state().unwrap()).unwrap();
    assert_eq!(saved.dropped_samples, 0);
    for (slot, fresh) in fresh.iter().enumerate().take(2) {
        let segment = last_segment(&saved.slots[slot]);
        assert_eq!(segment[0].chunk, 0);
        let diff = max_prob_diff(&segment, fresh);
        assert!(diff < 1e-6, "slot {slot}: the reset moved ({diff})");
    }
}
