//! The streaming frontend never allocates after construction: a counting global allocator
//! watches `push` and `reset` over many block sizes, including non-finite input.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use mcclstm_engine::{ChunkAssembler, MelFrontend, Preset};

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|a| a.set(a.get() + 1));
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|a| a.set(a.get() + 1));
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations() -> u64 {
    ALLOCATIONS.with(Cell::get)
}

#[test]
fn push_and_reset_never_allocate() {
    // The instrument works: an allocation on this thread is counted.
    let probe = allocations();
    drop(std::hint::black_box(vec![0u8; 16]));
    assert!(allocations() > probe);

    for preset in Preset::ALL {
        let config = preset.config();
        let mut signal: Vec<f32> = (0..100_000).map(|i| (i as f32 * 0.01).sin()).collect();
        signal[500] = f32::NAN;
        signal[900] = f32::INFINITY;
        let mut frontend = MelFrontend::from_preset(preset);
        let mut assembler = ChunkAssembler::for_config(&config);
        let mut frames = 0u64;
        let mut chunks = 0u64;

        let before = allocations();
        for block in [1usize, 7, 64, 512, 4096, 8192] {
            for piece in signal.chunks(block) {
                frontend.push(piece, |frame| {
                    frames += 1;
                    if assembler.push_frame(frame).is_some() {
                        chunks += 1;
                    }
                });
            }
            frontend.reset();
            assembler.reset();
        }
        let after = allocations();

        assert!(
            frames > 500 && chunks > 5,
            "{frames} frames, {chunks} chunks"
        );
        assert_eq!(after - before, 0, "{preset}: allocations while streaming");
    }
}

#[test]
fn streaming_resampler_push_never_allocates() {
    use mcclstm_engine::resample::StreamResampler;
    let signal: Vec<f32> = (0..96_000).map(|i| (i as f32 * 0.02).sin()).collect();
    for rate in [8_000u32, 44_100, 48_000, 96_000, 384_000] {
        let mut resampler = StreamResampler::new(rate, 22_050).unwrap();
        let mut produced = 0usize;
        let before = allocations();
        for block in [1usize, 64, 480, 4096] {
            for piece in signal.chunks(block) {
                resampler.push(piece, |out| produced += out.len());
            }
            resampler.reset();
        }
        assert_eq!(
            allocations() - before,
            0,
            "{rate} Hz: allocations while resampling"
        );
        assert!(produced > 0);
    }
}
