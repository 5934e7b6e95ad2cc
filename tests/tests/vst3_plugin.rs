//! The real VST3 bundle in the project's headless VST3 host (`mcclstm_tests::vst3_host`): the
//! module entry, factory, component, audio processor, buses, setupProcessing, setActive, process,
//! getState/setState, terminate: class info, bus setup, offline results against the engine,
//! real-time mode at the host's pace against the engine, state, rate changes, two instances.
//! What both formats must pass is in `both_formats.rs`.
#![cfg(target_os = "linux")]

mod common;

use std::f32::consts::TAU;

use common::{analyze_chunks, bits, max_diff};

use mcclstm_engine::Model;
use mcclstm_engine::resample::resample;
use mcclstm_engine::stream::analyze_signal;
use mcclstm_tests::vst3_host::{Vst3Bundle, Vst3Session, vst3_bundle_path};
use mcclstm_tests::{BOUNCE_SPEED, HistoryEntry, Schedule, saved_history, saved_history_field};

/// Offline renders go at a fast bounce's pace, as a DAW's export does: under VST3 `process()`
/// never waits for the analysis, which keeps pace through the ring.
const BOUNCE: Option<f64> = Some(BOUNCE_SPEED);

fn bundle() -> Vst3Bundle {
    let path = vst3_bundle_path().expect("the VST3 bundle (built by `cargo xtask test`)");
    Vst3Bundle::load(&path).unwrap_or_else(|e| panic!("{}: {e:#}", path.display()))
}

/// A stereo test signal: a tone with a pulsing bass, left and right different.
fn music(rate: f64, seconds: f64) -> Vec<Vec<f32>> {
    let n = (rate * seconds) as usize;
    let left: Vec<f32> = (0..n)
        .map(|i| {
            let t = (i as f64 / rate) as f32;
            0.3 * (TAU * 220.0 * t).sin() + 0.2 * (TAU * 55.0 * t).sin() * (TAU * 2.0 * t).sin()
        })
        .collect();
    let right = left.iter().map(|s| s * 0.7).collect();
    vec![left, right]
}

/// An offline session at `rate`. nice-plug 0.4.2's VST3 wrapper hands `Plugin::initialize` the
/// previous process mode on the first `setupProcessing` (wrapper.rs builds the buffer config
/// before it stores the new mode), so the first activation of a fresh instance runs as real
/// time. Activating twice, as some DAWs do, gives the plugin the offline mode; see
/// docs/dev/vst3-host-notes.md.
fn offline_session(bundle: &Vst3Bundle, state: Option<&[u8]>, rate: f64) -> Vst3Session {
    let mut session = Vst3Session::new(bundle, state, true).unwrap();
    session.activate(rate, 4096).unwrap();
    session.deactivate().unwrap();
    session.activate(rate, 4096).unwrap();
    session
}

fn engine_chunks(input: &[Vec<f32>], rate: u32, file: &str) -> Vec<Vec<f32>> {
    let mono: Vec<f32> = input[0]
        .iter()
        .zip(&input[1])
        .map(|(l, r)| (l + r) * 0.5)
        .collect();
    let at_model_rate = resample(&mono, rate, 22_050).unwrap();
    let bytes = std::fs::read(format!("{}/../models/{file}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let model = Model::from_bytes(&bytes).unwrap();
    analyze_signal(&model, &at_model_rate)
        .unwrap()
        .chunks
        .into_iter()
        .map(|c| c.track)
        .collect()
}

#[test]
fn factory_lists_one_audio_effect_class() {
    let bundle = bundle();
    let classes = bundle.classes().unwrap();
    assert_eq!(classes.len(), 1, "{classes:?}");
    let class = &classes[0];
    assert_eq!(class.name, "MCCLSTM");
    assert_eq!(class.category, "Audio Module Class");
    assert!(class.subcategories.contains("Fx"), "{class:?}");
    assert!(
        !class.vendor.is_empty() && !class.version.is_empty(),
        "{class:?}"
    );
}

#[test]
fn offline_render_is_bit_exact_and_equals_the_engine_at_44_1_and_48_khz() {
    let bundle = bundle();
    for rate in [44_100u32, 48_000] {
        let input = music(f64::from(rate), 12.0);
        for schedule in [
            Schedule::Fixed(512),
            Schedule::Random { max: 4096, seed: 3 },
            Schedule::HostLike {
                buffer: 1024,
                seed: 5,
            },
        ] {
            let mut session = offline_session(&bundle, None, f64::from(rate));
            let out = session.process(&input, schedule, BOUNCE).unwrap();
            for (ch, (output, input)) in out.output.iter().zip(&input).enumerate() {
                assert_eq!(
                    bits(output),
                    bits(input),
                    "{rate} Hz {schedule:?} channel {ch}"
                );
            }
            session.deactivate().unwrap();
            let saved = saved_history_field(&session.save_state().unwrap()).unwrap();
            // Offline under VST3 the analysis runs on its thread, and process() never waits for
            // it: at a bounce's pace it keeps up through the ring, so nothing is dropped.
            assert_eq!(saved.dropped_samples, 0, "{rate} Hz {schedule:?}");
            assert_eq!(saved.analysed_samples, input[0].len() as u64);
            let history = saved.slots;
            for (slot, file) in [(0usize, "genre.onnx"), (1, "mood.onnx")] {
                let diff = max_diff(&history[slot], &engine_chunks(&input, rate, file));
                // Same engine code on the same samples; the downmix order moves samples by an ulp.
                assert!(diff < 1e-5, "{rate} Hz {schedule:?} {file}: {diff}");
            }
            // Dance is embedded but off by default.
            assert!(history.get(2).is_none_or(Vec::is_empty));
        }
    }
}

#[test]
fn state_saved_from_one_instance_restores_the_history_in_another() {
    let bundle = bundle();
    let mut first = offline_session(&bundle, None, 44_100.0);
    first
        .process(&music(44_100.0, 8.0), Schedule::Fixed(1024), BOUNCE)
        .unwrap();
    first.deactivate().unwrap();
    let state = first.save_state().unwrap();
    let history = saved_history(&state).unwrap();
    assert_eq!(history[0].len(), 2);

    let mut second = Vst3Session::new(&bundle, Some(&state), true).unwrap();
    assert_eq!(
        saved_history(&second.save_state().unwrap()).unwrap(),
        history
    );
}

#[test]
fn a_rate_change_clears_the_analysis_state() {
    let bundle = bundle();
    let input = music(48_000.0, 8.0);
    let mut session = offline_session(&bundle, None, 44_100.0);
    session
        .process(&music(44_100.0, 6.0), Schedule::Fixed(512), BOUNCE)
        .unwrap();
    session.deactivate().unwrap();
    session.activate(48_000.0, 4096).unwrap();
    session
        .process(&input, Schedule::Fixed(512), BOUNCE)
        .unwrap();
    session.deactivate().unwrap();
    let history = saved_history(&session.save_state().unwrap()).unwrap();
    // The chunks after the rate change are those of a fresh analysis of the new audio.
    let last = history[0].last().map(|e| e.segment).unwrap();
    let after: Vec<HistoryEntry> = history[0]
        .iter()
        .filter(|e| e.segment == last)
        .cloned()
        .collect();
    assert!(max_diff(&after, &engine_chunks(&input, 48_000, "genre.onnx")) < 1e-5);
}

#[test]
fn two_instances_run_at_once_and_the_bundle_loads_twice() {
    let first_bundle = bundle();
    let second_bundle = bundle();
    let input = music(44_100.0, 5.0);
    let mut a = offline_session(&first_bundle, None, 44_100.0);
    let mut b = offline_session(&second_bundle, None, 44_100.0);
    // Interleaved blocks, as a host with two tracks runs them.
    let half = input[0].len() / 2;
    let part = |from: usize, to: usize| -> Vec<Vec<f32>> {
        input.iter().map(|c| c[from..to].to_vec()).collect()
    };
    let a1 = a
        .process(&part(0, half), Schedule::Fixed(256), BOUNCE)
        .unwrap();
    let b1 = b
        .process(&part(0, half), Schedule::Fixed(333), BOUNCE)
        .unwrap();
    let a2 = a
        .process(&part(half, input[0].len()), Schedule::Fixed(256), BOUNCE)
        .unwrap();
    let b2 = b
        .process(&part(half, input[0].len()), Schedule::Fixed(333), BOUNCE)
        .unwrap();
    assert_eq!(bits(&a1.output[0]), bits(&b1.output[0]));
    assert_eq!(bits(&a2.output[1]), bits(&b2.output[1]));
    a.deactivate().unwrap();
    b.deactivate().unwrap();
    let ha = saved_history(&a.save_state().unwrap()).unwrap();
    let hb = saved_history(&b.save_state().unwrap()).unwrap();
    assert_eq!(ha[0].len(), 1);
    assert_eq!(ha, hb);
}

#[test]
fn real_time_mode_at_the_hosts_pace_analyses_every_sample() {
    // A fresh instance's first activation runs in real-time mode (the analysis thread beside the
    // audio thread, fed through the ring).
    let bundle = bundle();
    let input = music(48_000.0, 8.0);
    let mut session = Vst3Session::new(&bundle, None, false).unwrap();
    session.activate(48_000.0, 512).unwrap();
    let out = session
        .process(&input, Schedule::Fixed(512), Some(1.0))
        .unwrap();
    assert_eq!(bits(&out.output[0]), bits(&input[0]));
    // No process() call ever gave up the CPU: it never slept, waited or blocked.
    assert_eq!(out.waits, 0);
    session.deactivate().unwrap();
    let saved = saved_history_field(&session.save_state().unwrap()).unwrap();
    assert_eq!(saved.dropped_samples, 0);
    assert_eq!(saved.analysed_samples, input[0].len() as u64);
    // 8 s at 3.715 s per chunk; the analysis of the ring's batches equals the offline engine's.
    assert_eq!(saved.slots[0].len(), 2);
    let diff = max_diff(
        &saved.slots[0],
        &engine_chunks(&input, 48_000, "genre.onnx"),
    );
    assert!(diff < 1e-5, "{diff}");
}

#[test]
fn a_fresh_instance_set_up_offline_once_bounces_a_minute_at_20x_and_equals_mcclstm_analyze() {
    // The host's first `setupProcessing` says offline, which nice-plug 0.4.2 hands the plugin one
    // setup late: the plugin is activated believing it plays in real time. Whatever it believes,
    // process() never waits for the analysis; at a fast bounce's pace (20x real time) the
    // analysis keeps up through the ring, so nothing is dropped and the history is what
    // `mcclstm analyze` makes of the same audio.
    let rate = 48_000u32;
    let input = music(f64::from(rate), 60.0);
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("minute.wav");
    let interleaved: Vec<f32> = input[0]
        .iter()
        .zip(&input[1])
        .flat_map(|(&l, &r)| [l, r])
        .collect();
    mcclstm_engine::audio::write_wav_f32(&wav, &interleaved, 2, rate).unwrap();
    let reference = analyze_chunks(&wav);

    let bundle = bundle();
    let mut session = Vst3Session::new(&bundle, None, true).unwrap();
    session.activate(f64::from(rate), 1024).unwrap();
    let schedule = Schedule::HostLike {
        buffer: 1024,
        seed: 9,
    };
    let out = session.process(&input, schedule, BOUNCE).unwrap();
    for (output, input) in out.output.iter().zip(&input) {
        assert_eq!(bits(output), bits(input));
    }
    assert_eq!(out.waits, 0, "a process() call waited");
    session.deactivate().unwrap();
    let saved = saved_history_field(&session.save_state().unwrap()).unwrap();
    assert_eq!(saved.dropped_samples, 0);
    assert_eq!(saved.analysed_samples, input[0].len() as u64);
    for (slot, (task, chunks)) in reference.iter().enumerate() {
        // A minute at 3.715 s per chunk, less the resampler's delay: 16 chunks.
        assert_eq!(chunks.len(), 16, "{task}");
        assert_eq!(saved.slots[slot].len(), chunks.len(), "{task}");
        let diff = max_diff(&saved.slots[slot], chunks);
        assert!(diff < 1e-5, "{task}: {diff}");
    }
}
