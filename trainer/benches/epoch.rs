//! One training epoch of MCCLSTM at the paper's sizes (32 filters per channel, dense 400, LSTM 200)
//! on a synthetic GTZAN-sized set: 1000 tracks of 8 chunks, batches of 8 tracks, 90% train and
//! 10% validation as `mcclstm train` splits it. Prints the epoch time and the time per training
//! step (median of the epoch's steps), with mimalloc as the allocator as in the `mcclstm` binary.
//!
//! Run: `cargo bench -p mcclstm-trainer --bench epoch`
//! (`EPOCH_TRACKS=200` for a shorter run; `EPOCH_ARCH=R0` for another architecture.)

use std::path::PathBuf;
use std::time::Instant;

use mcclstm_data::cache::TrackChunks;
use mcclstm_engine::Architecture;
use mcclstm_trainer::model::{Init, ModelConfig};
use mcclstm_trainer::train::{self, Checkpointing, EpochReport, Progress, TrainOptions};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

struct StepTimes {
    last: Instant,
    steps: Vec<f64>,
}

impl Progress for StepTimes {
    fn epoch_started(&mut self, _epoch: usize, _batches: usize) {
        self.last = Instant::now();
    }
    fn batch_done(&mut self, _loss: f64) {
        self.steps.push(self.last.elapsed().as_secs_f64());
        self.last = Instant::now();
    }
    fn epoch_done(&mut self, r: &EpochReport) {
        eprintln!(
            "epoch {} done in {:.2} s (validation included)",
            r.epoch, r.seconds
        );
    }
}

fn main() {
    let tracks: usize = std::env::var("EPOCH_TRACKS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let arch: Architecture = std::env::var("EPOCH_ARCH")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(Architecture::Mcclstm);
    let chunks = 8;
    let (mels, frames) = (40, 80);
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let data: Vec<TrackChunks> = (0..tracks)
        .map(|i| TrackChunks {
            path: PathBuf::from(format!("synthetic/{i}")),
            label: i % 10,
            group: None,
            chunks: (0..chunks * mels * frames)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    -60.0 + 40.0 * ((state >> 40) as f32 / (1u64 << 24) as f32)
                })
                .collect(),
            len: chunks,
            seconds: 30.0,
            targets: mcclstm_data::cache::one_hot(i % 10, 10, chunks),
        })
        .collect();
    let n_val = tracks / 10;
    let train: Vec<&TrackChunks> = data[n_val..].iter().collect();
    let val: Vec<&TrackChunks> = data[..n_val].iter().collect();
    let config = ModelConfig {
        arch: mcclstm_onnx::arch::ArchConfig::paper(arch),
        dropout: 0.25,
        init: Init::Default,
        n_mels: mels,
        frames,
        classes: 10,
        multi_label: false,
    };
    let options = TrainOptions {
        max_epochs: 1,
        ..TrainOptions::default()
    };
    let mut times = StepTimes {
        last: Instant::now(),
        steps: Vec::new(),
    };
    let started = Instant::now();
    train::fit(
        &config,
        &options,
        &train,
        &val,
        &Checkpointing::default(),
        &mut times,
    )
    .expect("training runs");
    let total = started.elapsed().as_secs_f64();
    times.steps.sort_by(f64::total_cmp);
    let median = times.steps[times.steps.len() / 2];
    println!(
        "epoch/{}: {} train + {} validation tracks x {chunks} chunks, batch {}: epoch {:.2} s, \
         step median {:.1} ms (min {:.1}, max {:.1}), {} threads",
        arch.name(),
        train.len(),
        val.len(),
        options.batch_size,
        total,
        1000.0 * median,
        1000.0 * times.steps[0],
        1000.0 * times.steps[times.steps.len() - 1],
        rayon::current_num_threads()
    );
    // For `cargo xtask bench`.
    println!(
        "epoch-json {}",
        serde_json::json!({
            "arch": arch.name(),
            "train_tracks": train.len(),
            "validation_tracks": val.len(),
            "epoch_s": total,
            "step_median_ms": 1000.0 * median,
            "step_min_ms": 1000.0 * times.steps[0],
            "step_max_ms": 1000.0 * times.steps[times.steps.len() - 1],
            "threads": rayon::current_num_threads(),
        })
    );
}
