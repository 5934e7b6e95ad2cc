//! The streaming call and the whole-signal call are one implementation: pinned here.

use mcclstm_engine::frontend::{ChunkAssembler, MelFrontend, Preset, chunks_of};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

fn test_signal(len: usize, seed: u64) -> Vec<f32> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..len)
        .map(|i| 0.3 * (i as f32 * 0.031).sin() + 0.1 * rng.random_range(-1.0f32..1.0))
        .collect()
}

#[test]
fn streaming_frames_equal_whole_signal_frames_for_random_block_sizes() {
    for preset in Preset::ALL {
        let signal = test_signal(200_000, 7);
        let whole = MelFrontend::from_preset(preset).process_signal(&signal);
        for seed in 0..4u64 {
            let mut rng = StdRng::seed_from_u64(seed);
            let mut fe = MelFrontend::from_preset(preset);
            let mut streamed = Vec::new();
            let mut pos = 0;
            while pos < signal.len() {
                let block = rng.random_range(1..=8192).min(signal.len() - pos);
                fe.push(&signal[pos..pos + block], |f| streamed.extend_from_slice(f));
                pos += block;
            }
            // Bit-for-bit: the same code runs on the same samples, whatever the block size.
            assert_eq!(streamed, whole.data, "{preset}, schedule seed {seed}");
        }
    }
}

#[test]
fn one_sample_at_a_time_equals_whole_signal() {
    let signal = test_signal(20_000, 3);
    let mut fe = MelFrontend::from_preset(Preset::Paper);
    let whole = fe.process_signal(&signal);
    fe.reset();
    let mut streamed = Vec::new();
    for s in &signal {
        fe.push(std::slice::from_ref(s), |f| streamed.extend_from_slice(f));
    }
    assert_eq!(streamed, whole.data);
    assert_eq!(fe.frames_emitted() as usize, whole.len());
}

#[test]
fn streamed_chunks_equal_offline_chunks() {
    let preset = Preset::Paper;
    let config = preset.config();
    let signal = test_signal(config.hop * 250, 11);
    let offline = chunks_of(
        &MelFrontend::from_preset(preset).process_signal(&signal),
        config.chunk_frames,
    );
    assert_eq!(offline.len(), 3);

    let mut fe = MelFrontend::from_preset(preset);
    let mut assembler = ChunkAssembler::for_config(&config);
    let mut live = Vec::new();
    for block in signal.chunks(333) {
        fe.push(block, |frame| {
            if let Some(chunk) = assembler.push_frame(frame) {
                live.push(chunk.to_vec());
            }
        });
    }
    assert_eq!(live, offline);
}
