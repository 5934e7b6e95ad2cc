//! The analysis stream, the one pipeline every caller runs: the same results however the input is
//! split into blocks (silence gate included), NaN and infinities cleaned before the resampler,
//! one time convention, and a dropped stretch that moves the clock but keeps the model's memory.

use mcclstm_engine::audio::{decode_file, write_wav_f32};
use mcclstm_engine::stream::{
    Analyzer, ChunkEvent, ResetReason, Stream, StreamConfig, StreamEvent, analyze_stream,
    needed_seconds, silence_resets_by_definition,
};
use mcclstm_engine::{Model, Preset};

fn defaults() -> Vec<Model> {
    mcclstm_models::defaults()
        .into_iter()
        .map(|(_, m)| m.unwrap())
        .collect()
}

/// A tune with a bass and a beat at `rate`; starts at a zero crossing, so its first sample is
/// silent and the second is not.
fn tune(rate: u32, seconds: f64, seed: f32) -> Vec<f32> {
    let r = f64::from(rate);
    (0..(seconds * r) as usize)
        .map(|i| {
            let t = (i as f64 / r) as f32;
            let note = [220.0, 277.2, 329.6, 440.0][(t * 2.0 + seed) as usize % 4];
            let beat = (-12.0 * (t * 2.0).fract()).exp();
            0.3 * (std::f32::consts::TAU * note * t).sin()
                + 0.2 * beat * (std::f32::consts::TAU * 55.0 * t).sin()
        })
        .collect()
}

/// Everything a stream reports, flattened so runs can be compared exactly.
#[derive(Clone, Debug, PartialEq)]
enum Seen {
    Chunk {
        lane: usize,
        segment: u64,
        index: u64,
        start_s: f64,
        end_s: f64,
        track: Vec<u32>,
    },
    Reset(ResetReason, u64),
}

impl Seen {
    fn of(c: &ChunkEvent<'_>) -> Self {
        Seen::Chunk {
            lane: c.lane,
            segment: c.segment,
            index: c.index,
            start_s: c.start_s,
            end_s: c.end_s,
            track: c.track.iter().map(|p| p.to_bits()).collect(),
        }
    }
}

fn run_in_blocks(
    models: &[Model],
    samples: &[f32],
    config: StreamConfig,
    blocks: &[usize],
) -> Vec<Seen> {
    let mut stream = Stream::new(config, models.iter().cloned().map(Some)).unwrap();
    let mut seen = Vec::new();
    let mut record = |e: StreamEvent<'_>| match e {
        StreamEvent::Chunk(c) => seen.push(Seen::of(&c)),
        StreamEvent::Reset { reason, at_s } => {
            seen.push(Seen::Reset(reason, (at_s * 1e6).round() as u64))
        }
        StreamEvent::StepFailed { error, .. } => panic!("step failed: {error}"),
        StreamEvent::Provisional(_) => {}
    };
    let mut rest = samples;
    for &n in blocks.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (now, later) = rest.split_at(n.min(rest.len()));
        stream.push(now, &mut record);
        rest = later;
    }
    seen
}

#[test]
fn results_do_not_depend_on_the_block_schedule_even_across_a_silence_reset() {
    let models = defaults();
    let rate = 44_100;
    let mut signal = tune(rate, 8.0, 0.0);
    signal.extend(std::iter::repeat_n(0.0, 7 * rate as usize));
    signal.extend(tune(rate, 8.0, 1.0));
    let config = StreamConfig::live(rate);
    let whole = run_in_blocks(&models, &signal, config, &[signal.len()]);
    // Block sizes of a host (odd, tiny, larger than the stream's own buffer) must not matter:
    // the gate decides per sample and every stage is block-independent.
    for blocks in [vec![1024], vec![1, 7, 333, 4096, 5000], vec![64, 8191]] {
        assert_eq!(
            run_in_blocks(&models, &signal, config, &blocks),
            whole,
            "{blocks:?}"
        );
    }
    // Three chunks per lane before the reset, a reset by silence 5 s into it, two chunks after.
    let resets: Vec<&Seen> = whole
        .iter()
        .filter(|s| matches!(s, Seen::Reset(..)))
        .collect();
    assert_eq!(resets.len(), 1);
    // 5 s after the last audible sample of the first tune (its last samples may be quieter
    // than the silence level, hence the millisecond).
    assert!(
        matches!(resets[0], Seen::Reset(ResetReason::Silence, at) if at.abs_diff(13_000_000) < 1_000),
        "{resets:?}"
    );
    let lane0: Vec<(u64, u64, f64)> = whole
        .iter()
        .filter_map(|s| match s {
            Seen::Chunk {
                lane: 0,
                segment,
                index,
                start_s,
                ..
            } => Some((*segment, *index, *start_s)),
            _ => None,
        })
        .collect();
    assert_eq!(
        lane0.iter().map(|c| (c.0, c.1)).collect::<Vec<_>>(),
        [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1)]
    );
    // The second track starts at its first audible sample, one sample after 15 s.
    assert_eq!(lane0[3].2, (15 * rate + 1) as f64 / f64::from(rate));
}

#[test]
fn chunk_times_span_exactly_the_samples_their_frames_read() {
    let models = defaults();
    let fe = Preset::Paper.config();
    for rate in [22_050u32, 44_100, 48_000] {
        let analysis = analyze_stream(
            &models[..1],
            &tune(rate, 12.0, 0.0),
            StreamConfig::live(rate),
        )
        .unwrap();
        let chunks = &analysis.models[0].chunks;
        assert_eq!(chunks.len(), 3, "{rate} Hz");
        for (k, c) in chunks.iter().enumerate() {
            let first = (k * fe.chunk_frames * fe.hop) as f64 / f64::from(fe.sample_rate);
            assert_eq!(c.start_s, first, "{rate} Hz chunk {k}");
            // From the first frame's first sample to the last frame's last: 3.762 s.
            let span = needed_seconds(&fe);
            assert!(
                (c.end_s - c.start_s - span).abs() < 1e-12,
                "{rate} Hz chunk {k}"
            );
        }
        assert!((chunks[0].end_s - 3.7616).abs() < 1e-4);
    }
}

#[test]
fn non_finite_samples_are_cleaned_before_resampling_and_counted() {
    let models = defaults();
    for rate in [44_100u32, 48_000] {
        let clean = tune(rate, 8.0, 0.0);
        let mut dirty = clean.clone();
        let mut zeroed = clean.clone();
        let bad = [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, f32::NAN];
        for (i, at) in [1_000usize, 50_000, 123_457, 300_001]
            .into_iter()
            .enumerate()
        {
            dirty[at] = bad[i];
            zeroed[at] = 0.0;
        }
        let config = StreamConfig::live(rate);
        let got = analyze_stream(&models, &dirty, config).unwrap();
        let want = analyze_stream(&models, &zeroed, config).unwrap();
        assert_eq!(got.invalid_samples, 4, "{rate} Hz");
        // Exactly the analysis of the same audio with those samples silent.
        for (g, w) in got.models.iter().zip(&want.models) {
            assert_eq!(g, w, "{rate} Hz");
            assert!(
                g.chunks
                    .iter()
                    .all(|c| c.track.iter().all(|p| p.is_finite()))
            );
        }
    }
}

/// `Analyzer::analyze_file` (what `analyze` and `evaluate` run) reads a file into the stream as it
/// decodes and gives what the whole decoded signal gives, file after file with one analyser:
/// across rates, a file too short for a chunk, and a file that is not audio.
#[test]
fn an_analyser_reads_files_as_it_decodes_and_gives_what_the_whole_signal_gives() {
    let models = defaults();
    let dir = tempfile::tempdir().unwrap();
    let mut analyzer = Analyzer::new(models.clone());
    let files = [
        ("a.wav", 44_100, 9.0, 0.0),
        ("b.wav", 48_000, 8.0, 3.0),
        ("short.wav", 44_100, 1.0, 0.0),
        ("c.wav", 44_100, 11.0, 1.5),
    ];
    let mut analysed = 0;
    for (name, rate, seconds, seed) in files {
        let stereo: Vec<f32> = tune(rate, seconds, seed)
            .iter()
            .flat_map(|&x| [x, 0.5 * x])
            .collect();
        let path = dir.path().join(name);
        write_wav_f32(&path, &stereo, 2, rate).unwrap();
        let decoded = decode_file(&path).unwrap();
        let want = analyze_stream(&models, &decoded.samples, StreamConfig::live(rate));
        let got = analyzer.analyze_file(&path, StreamConfig::live).unwrap();
        assert_eq!(
            (got.sample_rate, got.channels, got.samples),
            (rate, 2, decoded.samples.len() as u64),
            "{name}"
        );
        match (got.analysis, want) {
            (Ok(got), Ok(want)) => {
                assert_eq!(got.models, want.models, "{name}");
                assert!(got.models.iter().all(|m| !m.chunks.is_empty()), "{name}");
                analysed += 1;
            }
            (Err(got), Err(want)) => assert_eq!(got.to_string(), want.to_string(), "{name}"),
            (got, want) => panic!("{name}: {got:?} against {want:?}"),
        }
    }
    assert_eq!(analysed, 3, "the short file is the one error");
    let junk = dir.path().join("x.wav");
    std::fs::write(&junk, b"not audio at all").unwrap();
    assert_eq!(
        analyzer
            .analyze_file(&junk, StreamConfig::live)
            .unwrap_err()
            .to_string(),
        decode_file(&junk).unwrap_err().to_string()
    );
}

#[test]
fn an_analyser_reused_across_signals_gives_what_a_fresh_stream_gives_each() {
    let models = defaults();
    // A tune, 6 s of silence (longer than the live reset), another tune: two tracks.
    let mut gapped = tune(44_100, 9.0, 0.0);
    gapped.extend(std::iter::repeat_n(0.0, 6 * 44_100));
    gapped.extend(tune(44_100, 9.0, 2.0));
    let mut dirty = tune(44_100, 8.0, 1.0);
    dirty[7_000] = f32::NAN;
    dirty[90_000] = f32::INFINITY;
    let signals = [
        (gapped, 44_100),
        (dirty, 44_100),
        (tune(44_100, 1.0, 0.0), 44_100), // too short: an error, then the next is right
        (tune(48_000, 8.0, 3.0), 48_000), // another rate: a new stream
        (tune(44_100, 11.0, 1.5), 44_100),
        (tune(44_100, 11.0, 1.5), 44_100), // the same signal again gives the same
    ];
    let mut analyzer = Analyzer::new(models.clone());
    let mut analysed = 0;
    for (k, (signal, rate)) in signals.iter().enumerate() {
        let config = StreamConfig::live(*rate);
        let fresh = analyze_stream(&models, signal, config);
        match (analyzer.analyze(signal, config), fresh) {
            (Ok(got), Ok(want)) => {
                assert_eq!(got.models, want.models, "signal {k}");
                assert_eq!(got.invalid_samples, want.invalid_samples, "signal {k}");
                assert_eq!(got.silence_resets, want.silence_resets, "signal {k}");
                // The cases are what they claim: a reset inside the first, counted NaNs in the
                // second (the first's count is not carried over).
                assert_eq!(got.silence_resets, u64::from(k == 0), "signal {k}");
                assert_eq!(
                    got.invalid_samples,
                    if k == 1 { 2 } else { 0 },
                    "signal {k}"
                );
                analysed += 1;
            }
            (Err(got), Err(want)) => assert_eq!(got.to_string(), want.to_string(), "signal {k}"),
            (got, want) => panic!("signal {k}: {got:?} against a fresh stream's {want:?}"),
        }
    }
    assert_eq!(analysed, 5);
    // A signal pushed in blocks, as `analyze` pushes a file while it decodes it.
    let (signal, rate) = &signals[4];
    let config = StreamConfig::live(*rate);
    let mut blocks = analyzer.start(config).unwrap();
    for block in signal.chunks(1_000) {
        blocks.push(block);
    }
    let got = analyzer.finish(blocks).unwrap();
    let want = analyze_stream(&models, signal, config).unwrap();
    assert_eq!(got.models, want.models);
    // A signal dropped unfinished leaves the next one as a fresh stream would give it.
    let mut dropped = analyzer.start(config).unwrap();
    dropped.push(&signals[0].0[..100_000]);
    drop(dropped);
    assert_eq!(
        analyzer.analyze(signal, config).unwrap().models,
        want.models
    );
}

#[test]
fn a_dropped_stretch_moves_the_clock_and_keeps_the_model_state() {
    let models = defaults();
    let rate = 22_050;
    let music = tune(rate, 10.0, 0.0);
    let mut stream =
        Stream::new(StreamConfig::live(rate), models.iter().cloned().map(Some)).unwrap();
    let mut chunks = Vec::new();
    let mut record = |e: StreamEvent<'_>| {
        if let StreamEvent::Chunk(c) = e
            && c.lane == 0
        {
            chunks.push((c.index, c.start_s, c.segment));
        }
    };
    stream.push(&music[..rate as usize * 5], &mut record);
    // One chunk done, 1.3 s of the second collected; then 2 s go missing.
    stream.skip(2 * rate as u64);
    stream.push(&music[rate as usize * 5..], &mut record);
    assert_eq!(stream.position(), 12 * rate as u64);
    // The partial chunk is discarded, not completed across the gap: the next chunk starts where
    // the audio resumed (7 s), and continues the segment (index 1, the LSTM state kept).
    assert_eq!(chunks[0], (0, 0.0, 0));
    assert_eq!(chunks[1], (1, 7.0, 0));
}

/// Provisional results between chunk boundaries: every `PROVISIONAL_EVERY_S` of audio once a
/// window exists, each equal to the committed state stepped on the latest window of frames, and
/// the committed chunks exactly those of a stream without them.
#[test]
fn provisional_results_come_between_chunks_and_never_change_the_committed_ones() {
    use mcclstm_engine::frontend::chunks_of;
    use mcclstm_engine::stream::{PROVISIONAL_EVERY_S, signal_frames};

    let models = defaults();
    let rate = 44_100;
    let signal = tune(rate, 20.0, 0.3);
    let plain = StreamConfig::live(rate);
    let live = StreamConfig::live_with_provisional(rate);
    for blocks in [&[512usize][..], &[4096], &[37, 1000, 333]] {
        // Committed chunks, bit for bit, with and without provisional results.
        assert_eq!(
            run_in_blocks(&models, &signal, plain, blocks),
            run_in_blocks(&models, &signal, live, blocks),
            "blocks {blocks:?}"
        );
    }

    // The provisional events of the genre lane, in order, with the chunks around them.
    let genre = &models[0];
    let mut stream = Stream::new(live, [Some(genre.clone())]).unwrap();
    let mut provisional = Vec::new();
    let mut committed_ends = Vec::new();
    stream.push(&signal, |e| match e {
        StreamEvent::Provisional(p) => {
            provisional.push((p.committed, p.start_s, p.end_s, p.track.to_vec()))
        }
        StreamEvent::Chunk(c) => committed_ends.push(c.end_s),
        _ => {}
    });
    assert_eq!(committed_ends.len(), 5);
    // None before the first full window (the first chunk); then a result at least every
    // PROVISIONAL_EVERY_S of audio, a commit counting as one.
    assert!(provisional[0].2 > committed_ends[0], "{:?}", provisional[0]);
    let mut times: Vec<f64> = committed_ends.clone();
    times.extend(provisional.iter().map(|p| p.2));
    times.sort_by(f64::total_cmp);
    for pair in times.windows(2) {
        let gap = pair[1] - pair[0];
        assert!(
            gap <= f64::from(PROVISIONAL_EVERY_S) + 1e-6 && gap > 0.0,
            "gap {gap} between results at {pair:?}"
        );
    }
    // Each is the committed state stepped once on the latest full window of frames.
    let fe = &genre.description().frontend;
    let (frames, _) = signal_frames(&signal, rate, fe).unwrap();
    let hop_s = fe.hop as f64 / f64::from(fe.sample_rate);
    let chunks = chunks_of(&frames, fe.chunk_frames);
    for (committed, start_s, _, track) in provisional.iter().step_by(3) {
        let first = (start_s / hop_s).round() as usize;
        let window: Vec<Vec<f32>> = frames
            .iter()
            .skip(first)
            .take(fe.chunk_frames)
            .map(<[f32]>::to_vec)
            .collect();
        let mut window_chunk = vec![0.0; fe.n_mels * fe.chunk_frames];
        for (t, frame) in window.iter().enumerate() {
            for (m, &v) in frame.iter().enumerate() {
                window_chunk[m * fe.chunk_frames + t] = v;
            }
        }
        let mut runner = genre.runner();
        for chunk in &chunks[..*committed as usize] {
            runner.step(chunk).unwrap();
        }
        let expected = runner.step(&window_chunk).unwrap().track.to_vec();
        for (e, g) in expected.iter().zip(track) {
            assert!(
                (e - g).abs() < 1e-5,
                "after {committed} chunks: {expected:?} vs {track:?}"
            );
        }
    }
}

/// Lane `lane`'s chunks in `seen`, renumbered as lane 0 and shifted `offset_s` earlier (the
/// results of a stream that ran that lane's model alone, started `offset_s` later).
fn chunks_of(seen: &[Seen], lane: usize, offset_s: f64) -> Vec<Seen> {
    seen.iter()
        .filter_map(|s| match s {
            Seen::Chunk {
                lane: l,
                segment,
                index,
                start_s,
                end_s,
                track,
            } if *l == lane => Some(Seen::Chunk {
                lane: 0,
                segment: *segment,
                index: *index,
                start_s: ((start_s - offset_s) * 1e6).round() / 1e6,
                end_s: ((end_s - offset_s) * 1e6).round() / 1e6,
                track: track.clone(),
            }),
            _ => None,
        })
        .collect()
}

#[test]
fn lanes_with_one_frontend_share_its_frames_and_each_gives_what_its_model_gives_alone() {
    let models = defaults();
    assert!(models.len() >= 2);
    let rate = 44_100;
    let signal = tune(rate, 12.0, 0.0);
    let config = StreamConfig::live(rate);
    // The default models all read the `paper` frontend: one lane computes the frames.
    let stream = Stream::new(config, models.iter().cloned().map(Some)).unwrap();
    assert_eq!(stream.frame_streams(), 1);
    let together = run_in_blocks(&models, &signal, config, &[1000]);
    for (lane, model) in models.iter().enumerate() {
        let alone = run_in_blocks(std::slice::from_ref(model), &signal, config, &[1000]);
        assert_eq!(alone.len(), 3, "lane {lane}: three chunks in 12 s");
        assert_eq!(chunks_of(&together, lane, 0.0), chunks_of(&alone, 0, 0.0));
    }

    // The plugin fills empty lanes one by one before any audio: they share too, and an emptied
    // lane leaves the others sharing.
    let mut stream = Stream::with_empty_lanes(config, 3);
    stream.set_model(0, Some(models[0].clone())).unwrap();
    stream.set_model(2, Some(models[1].clone())).unwrap();
    assert_eq!(stream.frame_streams(), 1);
    stream.set_model(1, Some(models[1].clone())).unwrap();
    stream.set_model(1, None).unwrap();
    assert_eq!(stream.frame_streams(), 1);
}

#[test]
fn a_model_swapped_in_mid_stream_computes_its_own_frames_until_the_next_reset() {
    let models = defaults();
    let (a, b) = (&models[0], &models[1]);
    let rate = 44_100;
    let signal = tune(rate, 16.0, 0.0);
    let split = 5 * rate as usize;
    let config = StreamConfig::live(rate);
    let mut stream = Stream::new(config, [Some(a.clone()), Some(b.clone())]).unwrap();
    let record = |seen: &mut Vec<Seen>, e: StreamEvent<'_>| {
        if let StreamEvent::Chunk(c) = e {
            seen.push(Seen::of(&c));
        }
    };
    let (mut before, mut after) = (Vec::new(), Vec::new());
    stream.push(&signal[..split], |e| record(&mut before, e));
    // Lane 0 leads (lane 1 gets its frames). Replacing it hands its frame stream to lane 1, which
    // goes on as if nothing happened; the new model starts its own frames at 5 s.
    stream.set_model(0, Some(b.clone())).unwrap();
    assert_eq!(stream.frame_streams(), 2);
    stream.push(&signal[split..], |e| record(&mut after, e));

    let b_alone = run_in_blocks(std::slice::from_ref(b), &signal, config, &[4096]);
    let lane1 = [chunks_of(&before, 1, 0.0), chunks_of(&after, 1, 0.0)].concat();
    assert_eq!(lane1, chunks_of(&b_alone, 0, 0.0));
    let b_from_split = run_in_blocks(std::slice::from_ref(b), &signal[split..], config, &[4096]);
    assert_eq!(b_from_split.len(), 2);
    assert_eq!(chunks_of(&after, 0, 5.0), chunks_of(&b_from_split, 0, 0.0));

    // After a reset every lane starts its frames at the same sample: they share again.
    stream.reset(&mut |_| {});
    assert_eq!(stream.frame_streams(), 1);
}

/// The silence gate against its definition, one sample at a time: a track ends at the sample
/// where the count of quiet samples since the last loud one passes the threshold, and the next
/// loud sample starts a new one. Bursts, short and long silences, odd block sizes, and a
/// threshold lowered mid-stream (below the quiet run already counted).
#[test]
fn the_silence_gate_ends_tracks_exactly_where_counting_samples_says() {
    let rate = 1000;
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    let mut signal = Vec::new();
    while signal.len() < 60_000 {
        // A burst of sound with quiet samples in it (zero crossings), then a silence.
        for _ in 0..next(400) {
            signal.push(if next(8) == 0 {
                0.0
            } else {
                0.5 - next(1000) as f32 / 1000.0 + 0.5
            });
        }
        signal.extend(std::iter::repeat_n(0.0, next(160) as usize));
    }
    let level = StreamConfig::live(rate).silence_level;
    let (first_t, later_t, change_at) = (80u64, 30u64, 30_000usize);
    let (expected, gated) = silence_resets_by_definition(&signal, level, |i| {
        if i < change_at { first_t } else { later_t }
    });
    assert!(expected.len() > 20, "{} resets", expected.len());
    let config = StreamConfig {
        silence_reset_s: Some(first_t as f32 / rate as f32),
        ..StreamConfig::live(rate)
    };
    for blocks in [
        vec![signal.len()],
        vec![1, 7, 333, 4096, 5000],
        vec![64, 97],
    ] {
        let mut stream = Stream::with_empty_lanes(config, 0);
        let mut resets = Vec::new();
        let mut at = 0;
        for &n in blocks.iter().cycle() {
            if at == signal.len() {
                break;
            }
            // The threshold changes at a block boundary.
            let end = (at + n).min(signal.len());
            let end = if at < change_at && end > change_at {
                change_at
            } else {
                end
            };
            if at == change_at {
                stream.set_silence_reset(Some(later_t as f32 / rate as f32));
            }
            stream.push(&signal[at..end], |e| {
                if let StreamEvent::Reset { reason, at_s } = e {
                    assert_eq!(reason, ResetReason::Silence);
                    resets.push((at_s * f64::from(rate)).round() as u64);
                }
            });
            at = end;
        }
        assert_eq!(resets, expected, "{blocks:?}");
        assert_eq!(stream.in_silence(), gated, "{blocks:?}");
    }
}
