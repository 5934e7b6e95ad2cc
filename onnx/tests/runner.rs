//! The streaming runner: state carried across chunks, reset, running mean, refused input.

use mcclstm_engine::contract::{keys, with_metadata};
use mcclstm_engine::stream::{StreamConfig, analyze_signal, analyze_stream, needed_seconds};
use mcclstm_engine::{Architecture, Model, Preset, RunError, Summary};
use mcclstm_onnx::arch::ArchConfig;
use mcclstm_onnx::export::{self, ExportMeta, Weights};
use mcclstm_onnx::parity::random_chunks;
use rand::SeedableRng;
use rand::rngs::StdRng;

fn model(arch: Architecture) -> Model {
    Model::from_bytes(&model_bytes(arch)).unwrap()
}

fn model_bytes(arch: Architecture) -> Vec<u8> {
    let mut config = ArchConfig::paper(arch);
    config.filters = 8;
    let meta = ExportMeta {
        task: "genre".to_string(),
        labels: (0..4).map(|i| format!("c{i}")).collect(),
        frontend: Preset::Paper.config(),
        trained_on: serde_json::json!({"dataset": "test"}),
        metrics: serde_json::json!({}),
        outputs: mcclstm_engine::Outputs::Exclusive,
    };
    let weights = Weights::random(&config, 40, 80, 4, &mut StdRng::seed_from_u64(11)).unwrap();
    export::model_bytes(&config, &weights, &meta).unwrap()
}

#[test]
fn stateful_output_depends_on_the_past_and_reset_forgets_it() {
    let model = model(Architecture::Mcclstm);
    let chunks = random_chunks(3, model.chunk_len(), 1);
    let mut runner = model.runner();
    let fresh = runner.step(&chunks[2]).unwrap().chunk.to_vec();
    runner.reset();
    runner.step(&chunks[0]).unwrap();
    runner.step(&chunks[1]).unwrap();
    let after_history = runner.step(&chunks[2]).unwrap().chunk.to_vec();
    let diff: f32 = fresh
        .iter()
        .zip(&after_history)
        .map(|(a, b)| (a - b).abs())
        .sum();
    assert!(
        diff > 1e-4,
        "the LSTM state must change the output (diff {diff})"
    );
    runner.reset();
    assert_eq!(runner.step(&chunks[2]).unwrap().chunk, fresh.as_slice());
    assert_eq!(runner.chunks(), 1);
}

#[test]
fn stateless_track_estimate_is_the_mean_of_chunk_outputs() {
    let model = model(Architecture::R3);
    let chunks = random_chunks(4, model.chunk_len(), 2);
    let mut runner = model.runner();
    let mut sum = vec![0.0f32; 4];
    let mut track = Vec::new();
    for chunk in &chunks {
        let out = runner.step(chunk).unwrap();
        for (s, p) in sum.iter_mut().zip(out.chunk) {
            *s += p;
        }
        track = out.track.to_vec();
    }
    for (t, s) in track.iter().zip(&sum) {
        // float32 sums of four values; the runner accumulates in f64.
        assert!((t - s / 4.0).abs() < 1e-6);
    }
}

#[test]
fn a_chunk_of_the_wrong_size_is_refused_and_the_state_is_kept() {
    let model = model(Architecture::R4);
    let chunks = random_chunks(2, model.chunk_len(), 3);
    let mut runner = model.runner();
    runner.step(&chunks[0]).unwrap();
    let state = runner.state().0.to_vec();
    let err = runner.step(&chunks[1][..100]).unwrap_err();
    assert!(matches!(
        err,
        RunError::ChunkSize {
            expected: 3200,
            found: 100
        }
    ));
    assert_eq!(runner.state().0, state.as_slice());
    assert_eq!(runner.chunks(), 1);
}

#[test]
fn non_finite_audio_still_gives_finite_probabilities() {
    let model = model(Architecture::Mcclstm);
    let rate = 22_050.0;
    let mut samples: Vec<f32> = (0..(8.0 * rate) as usize)
        .map(|i| (i as f32 * 0.05).sin() * 0.3)
        .collect();
    for i in (0..samples.len()).step_by(97) {
        samples[i] = if i % 2 == 0 {
            f32::NAN
        } else {
            f32::NEG_INFINITY
        };
    }
    let analysis = analyze_signal(&model, &samples).unwrap();
    assert_eq!(analysis.chunks.len(), 2);
    assert!(analysis.summary.iter().all(|p| p.is_finite()));
}

/// A track's summary is the mean of its chunks' outputs over every segment, not the last running
/// estimate (which a silence reset restarts, and which says most about the last seconds).
#[test]
fn the_summary_is_the_mean_of_every_chunk_across_segments_or_the_last_estimate_by_the_models_rule()
{
    let model = model(Architecture::Mcclstm);
    let rate = 22_050.0;
    let tone = |seconds: f32, step: f32| -> Vec<f32> {
        (0..(seconds * rate) as usize)
            .map(|i| (i as f32 * step).sin() * 0.3 + ((i * 7919) % 101) as f32 * 1e-3)
            .collect()
    };
    // Two 8 s sounds apart by 6 s of silence: the live gate (5 s) makes them two segments.
    let mut samples = tone(8.0, 0.05);
    samples.extend(vec![0.0; (6.0 * rate) as usize]);
    samples.extend(tone(8.0, 0.31));
    let analysis = analyze_stream(
        std::slice::from_ref(&model),
        &samples,
        StreamConfig::live(rate as u32),
    )
    .unwrap();
    assert_eq!(analysis.silence_resets, 1);
    let track = &analysis.models[0];
    // The first segment runs on into the silence until the gate's 5 s have passed.
    let segments: Vec<u64> = track.chunks.iter().map(|c| c.segment).collect();
    assert_eq!(segments, [0, 0, 0, 1, 1]);
    let n = track.chunks.len() as f32;
    for (i, got) in track.summary.iter().enumerate() {
        let mean: f32 = track.chunks.iter().map(|c| c.probs[i]).sum::<f32>() / n;
        assert!((got - mean).abs() < 1e-6, "{i}: {got} against {mean}");
    }
    let last = &track.chunks.last().unwrap().track;
    let apart = track
        .summary
        .iter()
        .zip(last)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    assert!(apart > 1e-4, "the summary is the last estimate: {last:?}");

    // The same network stored with `mcclstm.summary` = `last`: the same chunks, and the summary
    // is the last segment's last running estimate.
    let bytes = with_metadata(&model_bytes(Architecture::Mcclstm), keys::SUMMARY, "last").unwrap();
    let by_last = Model::from_bytes(&bytes).unwrap();
    assert_eq!(by_last.description().track_summary, Summary::Last);
    let analysis = analyze_stream(&[by_last], &samples, StreamConfig::live(rate as u32)).unwrap();
    assert_eq!(analysis.models[0].chunks, track.chunks);
    assert_eq!(&analysis.models[0].summary, last);
}

#[test]
fn one_sample_short_of_a_chunk_is_too_short_and_one_chunk_is_enough() {
    let model = model(Architecture::R0);
    let config = Preset::Paper.config();
    let needed = (needed_seconds(&config) * 22_050.0).round() as usize;
    assert_eq!(needed, 79 * 1024 + 2048);
    assert!(analyze_signal(&model, &vec![0.1; needed - 1]).is_err());
    assert_eq!(
        analyze_signal(&model, &vec![0.1; needed])
            .unwrap()
            .chunks
            .len(),
        1
    );
}
