//! The fast runner allocates nothing per step, proved by a counting global allocator: every
//! buffer is made when the model loads or the runner is created. tract, run the same way, does
//! allocate, which shows the counter counts.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use mcclstm_engine::{Architecture, Model, Outputs, Preset, RunnerChoice, RunnerKind};
use mcclstm_onnx::arch::ArchConfig;
use mcclstm_onnx::export::{self, ExportMeta, Weights};
use mcclstm_onnx::parity::random_chunks;
use rand::SeedableRng;
use rand::rngs::StdRng;

struct Counting;

thread_local! {
    /// Only the measuring thread counts, into its own counter: the test harness runs the other
    /// test, which measures too, at the same time.
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

fn count() {
    if COUNTING.with(Cell::get) {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
    }
}

// SAFETY: every call is forwarded to the system allocator unchanged; counting has no effect on
// the memory handed out.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count();
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations made on this thread by `f`.
fn allocations_in(f: impl FnOnce()) -> usize {
    let before = ALLOCATIONS.with(Cell::get);
    COUNTING.with(|c| c.set(true));
    f();
    COUNTING.with(|c| c.set(false));
    ALLOCATIONS.with(Cell::get) - before
}

fn model(arch: Architecture, choice: RunnerChoice) -> Model {
    let mut config = ArchConfig::paper(arch);
    config.filters = 8;
    let meta = ExportMeta {
        task: "genre".to_string(),
        labels: (0..4).map(|i| format!("c{i}")).collect(),
        frontend: Preset::Paper.config(),
        trained_on: serde_json::json!({"dataset": "test"}),
        metrics: serde_json::json!({}),
        outputs: Outputs::Exclusive,
    };
    let weights = Weights::random(&config, 40, 80, 4, &mut StdRng::seed_from_u64(2)).unwrap();
    Model::from_bytes_with(
        &export::model_bytes(&config, &weights, &meta).unwrap(),
        choice,
    )
    .unwrap()
}

#[test]
fn a_fast_step_allocates_nothing_on_any_architecture() {
    let chunks = random_chunks(4, 40 * 80, 3);
    for arch in Architecture::ALL {
        let model = model(arch, RunnerChoice::Auto);
        assert_eq!(model.runner_kind(), RunnerKind::Fast, "{arch}");
        let mut runner = model.runner();
        let n = allocations_in(|| {
            for chunk in &chunks {
                runner.step(chunk).unwrap();
                runner.peek(chunk).unwrap();
            }
            runner.reset();
            runner.step(&chunks[0]).unwrap();
        });
        assert_eq!(n, 0, "{arch}: {n} allocations in 10 steps and 4 peeks");
    }
}

#[test]
fn the_counter_counts_tracts_allocations() {
    let model = model(Architecture::Mcclstm, RunnerChoice::Tract);
    let chunks = random_chunks(1, model.chunk_len(), 3);
    let mut runner = model.runner();
    runner.step(&chunks[0]).unwrap();
    let n = allocations_in(|| {
        runner.step(&chunks[0]).unwrap();
    });
    assert!(
        n > 0,
        "tract's step counted no allocation: the counter is broken"
    );
}
