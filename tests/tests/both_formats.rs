//! What both formats must do, run through real bundles in both headless hosts (the release
//! bundles, or the test build's under `cargo xtask test`; the debug bundles for the allocation
//! check): an offline render of a WAV file equals
//! `mcclstm analyze` on the same file; `process()` never allocates in real-time mode; at the
//! host's pace every sample is analysed, and far faster than real time the plugin drops and
//! counts instead of waiting; NaN, Inf, DC, full-scale noise, denormals and ten minutes of
//! silence; an hour of audio with flat memory.

mod common;

use std::f32::consts::TAU;

use common::{analyze_chunks, analyze_timeline, bits, host, max_diff};
use mcclstm_tests::render::{AnyBundle, Format, read_track, render_file};
use mcclstm_tests::{BOUNCE_SPEED, RenderOptions, Schedule, saved_history};

/// Renders go at a fast bounce's pace, as a DAW's export does (under VST3 `process()` never
/// waits for the analysis, which keeps pace through the ring).
const BOUNCE: Option<f64> = Some(BOUNCE_SPEED);

/// Silence costs the analysis next to nothing (the gate skips it before the resampler), so ten
/// minutes of it go ten times faster than a bounce of music.
const SILENCE_PACE: Option<f64> = Some(BOUNCE_SPEED * 10.0);

/// A stereo tune with a bass line and a beat, `seconds` long at `rate`; left and right differ.
fn music(rate: f64, seconds: f64) -> Vec<Vec<f32>> {
    let n = (rate * seconds) as usize;
    let left: Vec<f32> = (0..n)
        .map(|i| {
            let t = (i as f64 / rate) as f32;
            let note = [220.0, 277.2, 329.6, 440.0][(t * 2.0) as usize % 4];
            let beat = (-12.0 * (t * 2.0).fract()).exp();
            0.3 * (TAU * note * t).sin() + 0.2 * beat * (TAU * 55.0 * t).sin()
        })
        .collect();
    let right = left
        .iter()
        .enumerate()
        .map(|(i, s)| 0.6 * s + 0.1 * (TAU * 660.0 * i as f32 / rate as f32).sin())
        .collect();
    vec![left, right]
}

fn interleave(channels: &[Vec<f32>]) -> Vec<f32> {
    channels[0]
        .iter()
        .zip(&channels[1])
        .flat_map(|(&l, &r)| [l, r])
        .collect()
}

#[test]
fn a_wav_rendered_offline_equals_mcclstm_analyze_at_44_1_and_48_khz() {
    let dir = tempfile::tempdir().unwrap();
    for rate in [44_100u32, 48_000] {
        let wav = dir.path().join(format!("track-{rate}.wav"));
        mcclstm_engine::audio::write_wav_f32(&wav, &interleave(&music(rate.into(), 12.0)), 2, rate)
            .unwrap();
        let reference = analyze_chunks(&wav);
        assert_eq!(
            reference
                .iter()
                .map(|(t, _)| t.as_str())
                .collect::<Vec<_>>(),
            ["genre", "mood"]
        );
        for format in Format::ALL {
            let bundle = AnyBundle::release(format).unwrap();
            let options = RenderOptions {
                sample_rate: rate.into(),
                schedule: Schedule::HostLike {
                    buffer: 1024,
                    seed: 11,
                },
                ..Default::default()
            };
            let (rendered, input) = render_file(&bundle, &wav, &options).unwrap();
            for (output, input) in rendered.output.iter().zip(&input) {
                assert_eq!(bits(output), bits(input), "{format:?} {rate} Hz");
            }
            let history = saved_history(&rendered.state).unwrap();
            for (slot, (task, chunks)) in reference.iter().enumerate() {
                // 12 s at 3.715 s per chunk, less the resampler's delay: 3 chunks.
                assert_eq!(chunks.len(), 3, "{task}");
                assert!(history[slot].iter().all(|e| &e.task == task));
                // The same engine code on the same decoded samples: the plugin's downmix
                // ((l + r) * 0.5) is the decoder's, and only the block boundaries differ, which
                // the streaming frontend and resampler make invisible (bit-exact in the engine's
                // own tests); 1e-5 leaves room for an ulp of summation order.
                let diff = max_diff(&history[slot], chunks);
                eprintln!("{format:?} {rate} Hz {task}: largest difference {diff:.1e}");
                assert!(diff < 1e-5, "{format:?} {rate} Hz {task}: {diff}");
            }
            // Dance is embedded but off by default.
            assert!(history.get(2).is_none_or(Vec::is_empty), "{format:?}");
        }
    }
}

#[test]
fn a_bounce_and_mcclstm_analyze_agree_on_times_and_probabilities_across_a_long_silence() {
    // 8 s of music, 7 s of digital silence (longer than the 5 s "Silence reset" default of both
    // the plugin and `mcclstm analyze`), 8 s of music: two tracks in one file. The plugin's saved
    // history and `mcclstm analyze --json` must give the same chunks, in the same segments, at the
    // same times, with the same probabilities: both run the engine's one stream.
    let dir = tempfile::tempdir().unwrap();
    for rate in [44_100u32, 48_000] {
        let r = f64::from(rate);
        let mut channels = music(r, 8.0);
        for (channel, again) in channels.iter_mut().zip(music(r, 8.0)) {
            channel.extend(std::iter::repeat_n(0.0, (7.0 * r) as usize));
            channel.extend(again);
        }
        let wav = dir.path().join(format!("two-tracks-{rate}.wav"));
        mcclstm_engine::audio::write_wav_f32(&wav, &interleave(&channels), 2, rate).unwrap();
        let reference = analyze_timeline(&wav);
        for format in Format::ALL {
            let bundle = AnyBundle::release(format).unwrap();
            let options = RenderOptions {
                sample_rate: r,
                schedule: Schedule::HostLike {
                    buffer: 1024,
                    seed: 5,
                },
                ..Default::default()
            };
            let (rendered, _) = render_file(&bundle, &wav, &options).unwrap();
            let history = saved_history(&rendered.state).unwrap();
            for (slot, (task, chunks)) in reference.iter().enumerate() {
                let live = &history[slot];
                let what = format!("{format:?} {rate} Hz {task}");
                // Three chunks before the reset (the third, ending at 11.2 s, is completed by the
                // first seconds of silence, which is analysed until it lasts 5 s), two after it.
                assert_eq!(live.len(), chunks.len(), "{what}: chunk count");
                let segments: Vec<u64> = chunks.iter().map(|c| c.segment).collect();
                assert_eq!(segments, [0, 0, 0, 1, 1], "{what}");
                // The history numbers segments itself (it outlives an analysis), so compare where
                // segments change, not their numbers.
                let new_segment = |i: usize| i > 0 && live[i].segment != live[i - 1].segment;
                for (i, (l, c)) in live.iter().zip(chunks).enumerate() {
                    assert_eq!(l.chunk, c.index, "{what} chunk {i}");
                    assert_eq!(
                        new_segment(i),
                        i > 0 && c.segment != chunks[i - 1].segment,
                        "{what} chunk {i}: segment boundary"
                    );
                    // Times are computed from the same sample counts; 1e-9 s allows for the
                    // decimal round trip through JSON.
                    assert!(
                        (l.start_s - c.start_s).abs() < 1e-9,
                        "{what} chunk {i}: start"
                    );
                    assert!((l.end_s - c.end_s).abs() < 1e-9, "{what} chunk {i}: end");
                    // Same engine code on the same samples, only block boundaries differ (see
                    // the test above for why 1e-5).
                    let diff = l
                        .probs
                        .iter()
                        .zip(&c.track)
                        .map(|(a, b)| (a - b).abs())
                        .fold(0.0f32, f32::max);
                    assert!(diff < 1e-5, "{what} chunk {i}: {diff}");
                }
                // The second track starts where the sound returns, 15 s in.
                assert!(
                    (chunks[3].start_s - 15.0).abs() < 1e-3,
                    "{what}: {}",
                    chunks[3].start_s
                );
            }
        }
    }
}

#[test]
fn a_mono_wav_plays_on_both_channels_and_another_rate_is_resampled() {
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("mono.wav");
    let tune = music(22_050.0, 5.0).swap_remove(0);
    mcclstm_engine::audio::write_wav_f32(&wav, &tune, 1, 22_050).unwrap();
    let track = read_track(&wav, 48_000.0).unwrap();
    assert_eq!(bits(&track[0]), bits(&track[1]));
    // 5 s at 48 kHz, within the resampler's edge.
    assert!(
        (track[0].len() as i64 - 240_000).abs() < 64,
        "{}",
        track[0].len()
    );
}

#[test]
fn process_never_allocates_in_real_time_mode() {
    // The debug bundles are built with nice-plug's assert_process_allocs: an allocation inside
    // process() aborts the host process. Run it as a child so the abort is a failed assertion.
    // The renders cover one-sample and large blocks, random and host-like schedules, non-finite
    // samples, and unpaced rendering where the ring overflows and the audio thread drops.
    for format in ["clap", "vst3"] {
        for args in [
            &["--block", "1", "--seconds", "5"][..],
            &["--block", "64", "--seconds", "5"],
            &["--block", "4096", "--seconds", "5"],
            &["--random-blocks", "4096", "--seconds", "8", "--non-finite"],
            &["--host-like", "441", "--seconds", "8", "--rate", "44100"],
            &["--block", "8192", "--seconds", "40"],
        ] {
            let mut all = vec![
                "--format",
                format,
                "--debug-bundle",
                "--realtime",
                "--unpaced",
                "--rate",
                "48000",
            ];
            all.extend_from_slice(args);
            let summary = host(&all);
            assert_eq!(summary["bit_exact"], true, "{all:?}: {summary}");
            assert_eq!(summary["all_finite"], true, "{all:?}: {summary}");
            // The analysis thread ran: it joined after draining the ring, so a chunk is saved.
            assert!(
                summary["chunks"][0].as_u64().unwrap() >= 1,
                "{all:?}: {summary}"
            );
        }
    }
}

#[test]
fn at_real_time_pace_every_sample_is_analysed_and_every_chunk_delivered() {
    // The analysis thread runs beside the audio thread; at real-time pace it must keep up, so
    // nothing is dropped and every completed chunk is in the history when the host deactivates.
    for format in ["clap", "vst3"] {
        let summary = host(&[
            "--format",
            format,
            "--realtime",
            "--realtime-pace",
            "--rate",
            "48000",
            "--seconds",
            "12",
            "--block",
            "512",
        ]);
        // 12 s at the model's 3.715 s chunks: 3 complete chunks per slot.
        assert_eq!(summary["chunks"][0], 3, "{summary}");
        assert_eq!(summary["chunks"][1], 3, "{summary}");
        assert_eq!(summary["bit_exact"], true, "{summary}");
        assert_eq!(summary["dropped_samples"], 0, "{summary}");
        assert_eq!(summary["analysed_samples"], summary["samples"], "{summary}");
        // No process() call gave up the CPU (slept, waited, blocked).
        assert_eq!(summary["process_waits"], 0, "{summary}");
    }
}

#[test]
fn a_host_far_faster_than_real_time_makes_the_plugin_drop_and_count() {
    // Real-time mode with the host unpaced: two minutes of audio go through process() in a small
    // fraction of the time the analysis needs for them (about 1 ms per 3.7 s chunk and model,
    // plus the resampler and frontend), and the ring holds 4 s. A process() that waited for room
    // in the ring would drop nothing; it must instead drop what does not fit and count it, and
    // every sample the host processed is either analysed or counted as dropped.
    for format in ["clap", "vst3"] {
        let summary = host(&[
            "--format",
            format,
            "--realtime",
            "--unpaced",
            "--rate",
            "48000",
            "--seconds",
            "120",
            "--block",
            "4096",
        ]);
        let samples = summary["samples"].as_u64().unwrap();
        let analysed = summary["analysed_samples"].as_u64().unwrap();
        let dropped = summary["dropped_samples"].as_u64().unwrap();
        assert_eq!(analysed + dropped, samples, "{summary}");
        assert!(dropped > 0, "nothing was dropped: {summary}");
        // With the ring full, process() still never waited.
        assert_eq!(summary["process_waits"], 0, "{summary}");
        // The history never marks more missing audio than was dropped (drops after the last
        // chunk come before no chunk). Whether a mark appears at all depends on the scheduler: a
        // mark rides on the first chunk completed after a drop, and with the analysis nearly as
        // fast as this host the chunks that complete may all precede the first drop (seen: 2
        // chunks, 1.7 M samples dropped after them). The analyzer's unit tests check the mark
        // itself deterministically (`dropped_samples_discard_the_partial_chunk_and_are_saved`,
        // `a_gap_mark_skips_at_exactly_its_sample_within_a_batch` in plugin/src/analyzer.rs).
        let gap = summary["gap_seconds"].as_f64().unwrap();
        assert!(gap * 48_000.0 <= dropped as f64 + 1.0, "{summary}");
        assert_eq!(summary["bit_exact"], true, "{summary}");
        // What was analysed stays finite; the gaps cost chunks (120 s would give 32 per slot).
        assert_eq!(summary["all_finite"], true, "{summary}");
        assert!(summary["chunks"][0].as_u64().unwrap() < 32, "{summary}");
    }
}

#[test]
fn non_finite_input_passes_through_and_the_analysis_stays_finite() {
    for format in ["clap", "vst3"] {
        let summary = host(&[
            "--format",
            format,
            "--non-finite",
            "--rate",
            "44100",
            "--seconds",
            "8",
            "--random-blocks",
            "1024",
        ]);
        assert_eq!(summary["bit_exact"], true, "{summary}");
        assert_eq!(summary["all_finite"], true, "{summary}");
        assert_eq!(summary["chunks"][0], 2, "{summary}");
        assert_eq!(summary["chunks"][1], 2, "{summary}");
    }
}

#[test]
fn dc_full_scale_noise_and_denormals_pass_flushed_and_analyse_finite() {
    let n = 44_100 * 8;
    let mut state = 0x9E37_79B9u32;
    let mut noise = || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        (state as f32 / u32::MAX as f32) * 2.0 - 1.0
    };
    let full_scale: Vec<f32> = (0..n).map(|_| noise().signum()).collect();
    let cases = [
        ("dc", vec![vec![0.5; n], vec![0.5; n]], 2),
        ("full-scale noise", vec![full_scale.clone(), full_scale], 2),
        ("denormals", vec![vec![1e-40; n], vec![-1e-40; n]], 1),
        // Subnormals among ordinary samples: only they change.
        (
            "mixed",
            vec![
                (0..n).map(|i| [0.25, 1e-39, -0.5, 0.0][i % 4]).collect(),
                (0..n).map(|i| [-1e-45, 0.125][i % 2]).collect(),
            ],
            2,
        ),
    ];
    // The output guarantee: subnormal samples become a zero of their sign, all else bit for bit.
    let flushed = |x: &[f32]| -> Vec<u32> {
        x.iter()
            .map(|s| {
                if s.is_subnormal() {
                    0.0f32.copysign(*s)
                } else {
                    *s
                }
                .to_bits()
            })
            .collect()
    };
    for format in Format::ALL {
        let bundle = AnyBundle::release(format).unwrap();
        for (name, input, chunks) in &cases {
            let out = bundle.render(input, &RenderOptions::default()).unwrap();
            assert_eq!(
                bits(&out.output[0]),
                flushed(&input[0]),
                "{format:?} {name}"
            );
            assert_eq!(
                bits(&out.output[1]),
                flushed(&input[1]),
                "{format:?} {name}"
            );
            if *name == "denormals" {
                assert!(out.output.iter().flatten().all(|s| *s == 0.0));
            }
            let history = saved_history(&out.state).unwrap();
            assert!(
                history
                    .iter()
                    .flatten()
                    .all(|e| e.probs.iter().all(|p| p.is_finite())),
                "{format:?} {name}: non-finite analysis"
            );
            // Denormals count as silence: the one chunk before the silence threshold, then
            // nothing.
            assert_eq!(history[0].len(), *chunks, "{format:?} {name}");
        }
    }
}

#[test]
fn ten_minutes_of_silence_show_silence_and_stay_finite() {
    let minute = vec![vec![0.0f32; 48_000 * 60]; 2];
    for format in Format::ALL {
        let bundle = AnyBundle::release(format).unwrap();
        let mut session = bundle.start(None, true, 48_000.0, 4096).unwrap();
        for _ in 0..10 {
            let out = session
                .process(&minute, Schedule::Fixed(4096), SILENCE_PACE)
                .unwrap();
            assert!(out.output[0].iter().all(|s| *s == 0.0), "{format:?}");
        }
        session.deactivate().unwrap();
        let history = saved_history(&session.save_state().unwrap()).unwrap();
        // The first chunk (3.7 s) completes before the 5 s silence threshold; after it the plugin
        // shows silence and analyses nothing, instead of 160 confident chunks of nothing.
        for slot in history.iter().take(2) {
            assert!(
                slot.len() <= 1,
                "{format:?}: {} chunks of silence analysed",
                slot.len()
            );
            assert!(slot.iter().all(|e| e.probs.iter().all(|p| p.is_finite())));
        }
    }
}

#[test]
fn an_hour_of_audio_keeps_memory_flat() {
    // CLAP renders offline inline at any speed; a VST3 bounce keeps pace through the ring
    // (process() never waits), so it goes at 100x real time: 36 s for the hour.
    let runs: [(&str, &[&str]); 2] = [("clap", &["--unpaced"]), ("vst3", &["--pace", "100"])];
    for (format, pace) in runs {
        let mut args = vec!["--format", format];
        args.extend_from_slice(pace);
        args.extend_from_slice(&[
            "--stream-minutes",
            "60",
            "--rate",
            "44100",
            "--block",
            "4096",
        ]);
        let summary = host(&args);
        let warm = summary["rss_kb_after_5_min"].as_f64().unwrap();
        let end = summary["rss_kb_end"].as_f64().unwrap();
        // The history is bounded (1024 chunks per slot; an hour is 969) and holds about 100
        // bytes per chunk; everything else is allocated once. 16 MB allows for the allocator's
        // slack.
        assert!(
            end - warm < 16_384.0,
            "{format}: resident memory grew from {warm} kB to {end} kB over an hour"
        );
        // An hour at 3.715 s per chunk is 969 chunks, less the resampler's and window's edges.
        assert!(summary["chunks"][0].as_u64().unwrap() >= 960, "{summary}");
    }
}

#[test]
fn a_reopened_project_keeps_its_history_and_new_analysis_starts_a_new_segment() {
    for format in Format::ALL {
        let bundle = AnyBundle::release(format).unwrap();
        let options = RenderOptions::default();
        let first = bundle.render(&music(44_100.0, 8.0), &options).unwrap();
        let saved = saved_history(&first.state).unwrap();
        assert_eq!(saved[0].len(), 2, "{format:?}");
        // The project is reopened: a new instance loads the state, activates, hears more music.
        let reopened = RenderOptions {
            state: Some(first.state.clone()),
            ..options.clone()
        };
        let second = bundle.render(&music(44_100.0, 8.0), &reopened).unwrap();
        let history = saved_history(&second.state).unwrap();
        for (slot, (before, after)) in saved.iter().zip(&history).take(2).enumerate() {
            // The past is there once, unchanged, and the new chunks follow it in a later segment.
            assert_eq!(
                &after[..before.len()],
                &before[..],
                "{format:?} slot {slot}"
            );
            let new = &after[before.len()..];
            assert_eq!(new.len(), 2, "{format:?} slot {slot}: {after:?}");
            let last_old = before.last().unwrap().segment;
            assert!(
                new.iter().all(|e| e.segment > last_old),
                "{format:?} slot {slot}: {after:?}"
            );
            assert_eq!(
                (new[0].chunk, new[1].chunk),
                (0, 1),
                "{format:?} slot {slot}"
            );
        }
    }
}

#[test]
fn a_state_loaded_while_active_keeps_new_analysis_in_a_segment_of_its_own() {
    // Ardour activates a plugin before it restores the project's state; chunks analysed after
    // that must not join a restored segment.
    for format in Format::ALL {
        let bundle = AnyBundle::release(format).unwrap();
        let first = bundle
            .render(&music(44_100.0, 8.0), &RenderOptions::default())
            .unwrap();
        let saved = saved_history(&first.state).unwrap();
        let mut session = bundle.start(None, true, 44_100.0, 512).unwrap();
        // Some music before the state arrives, then the state, then more music.
        session
            .process(&music(44_100.0, 2.0), Schedule::Fixed(512), BOUNCE)
            .unwrap();
        session.load_state(&first.state).unwrap();
        session
            .process(&music(44_100.0, 8.0), Schedule::Fixed(512), BOUNCE)
            .unwrap();
        session.deactivate().unwrap();
        let history = saved_history(&session.save_state().unwrap()).unwrap();
        for slot in 0..2 {
            let before = &saved[slot];
            let after = &history[slot];
            assert_eq!(
                &after[..before.len()],
                &before[..],
                "{format:?} slot {slot}"
            );
            let last_old = before.iter().map(|e| e.segment).max().unwrap();
            let new = &after[before.len()..];
            assert!(
                !new.is_empty(),
                "{format:?} slot {slot}: nothing after the load"
            );
            assert!(
                new.iter().all(|e| e.segment > last_old),
                "{format:?} slot {slot}: {after:?}"
            );
        }
    }
}

/// States a host may hand back: damaged, from another plugin or version, huge, naming a broken
/// model file. Each is loaded into a fresh instance (the load may be refused), the instance then
/// analyses music and passes it through: the host keeps running, the plugin starts clean.
#[test]
fn hostile_states_are_refused_or_survived_and_the_plugin_starts_clean() {
    let dir = tempfile::tempdir().unwrap();
    let garbage_model = dir.path().join("garbage.onnx");
    let mut noise = 0x2545_F491u32;
    let mut random_bytes = |n: usize| -> Vec<u8> {
        (0..n)
            .map(|_| {
                noise ^= noise << 13;
                noise ^= noise >> 17;
                noise ^= noise << 5;
                noise as u8
            })
            .collect()
    };
    std::fs::write(&garbage_model, random_bytes(5000)).unwrap();
    let input = music(44_100.0, 8.0);
    for format in Format::ALL {
        let bundle = AnyBundle::release(format).unwrap();
        let valid = bundle
            .render(&input, &RenderOptions::default())
            .unwrap()
            .state;
        let json_at = valid.iter().position(|&b| b == b'{').unwrap();
        let state = |params: &str, fields: &[(&str, String)]| -> Vec<u8> {
            let fields: serde_json::Map<String, serde_json::Value> = fields
                .iter()
                .map(|(k, v)| (k.to_string(), serde_json::Value::String(v.clone())))
                .collect();
            serde_json::json!({"version": "0.1.0", "params": serde_json::from_str::<serde_json::Value>(params).unwrap(), "fields": fields})
                .to_string()
                .into_bytes()
        };
        let entry = r#"{"task":"genre","segment":0,"chunk":0,"start_s":0.0,"end_s":3.7,"probs":[0.1,0.9],"top":"blues"}"#;
        let huge_history = format!(
            r#"{{"slots":[[{}]],"analysed_samples":1,"dropped_samples":0}}"#,
            vec![entry; 100_000].join(",")
        );
        let cases: Vec<(&str, Vec<u8>)> = vec![
            ("empty", Vec::new()),
            ("random bytes", random_bytes(4096)),
            ("truncated", valid[..json_at + (valid.len() - json_at) / 2].to_vec()),
            ("another plugin's", state(r#"{"gain":0.5}"#, &[("preset", "x".into())])),
            (
                "damaged fields",
                state(
                    r#"{"silence":"loud"}"#,
                    &[
                        ("history", "[1, 2".into()),
                        ("model-paths", "[\"/nonexistent.onnx\", 5]".into()),
                    ],
                ),
            ),
            (
                "a future version",
                state(
                    r#"{"silence":1e30,"unknown":1}"#,
                    &[(
                        "history",
                        r#"{"slots":[[{"task":"genre","segment":-1,"chunk":"x"}]],"analysed_samples":-5,"format":99}"#.into(),
                    )],
                ),
            ),
            ("a huge history", state("{}", &[("history", huge_history)])),
            (
                "a broken model file",
                state(
                    "{}",
                    &[(
                        "model-paths",
                        serde_json::json!([garbage_model, garbage_model]).to_string(),
                    )],
                ),
            ),
        ];
        for (name, bytes) in &cases {
            let mut session = bundle.start(None, true, 44_100.0, 512).unwrap();
            // Refusing the state is allowed; taking the host down is not.
            let _ = session.load_state(bytes);
            let out = session
                .process(&input, Schedule::Fixed(512), BOUNCE)
                .unwrap_or_else(|e| panic!("{format:?} {name}: {e:#}"));
            assert_eq!(bits(&out.output[0]), bits(&input[0]), "{format:?} {name}");
            session.deactivate().unwrap();
            let saved = session.save_state().unwrap();
            let history = saved_history(&saved)
                .unwrap_or_else(|e| panic!("{format:?} {name}: the saved state: {e:#}"));
            for (slot, task) in ["genre", "mood"].into_iter().enumerate() {
                let entries = &history[slot];
                assert!(
                    entries.iter().any(|e| e.task == task),
                    "{format:?} {name}: slot {slot} analysed nothing"
                );
                assert!(
                    entries.len() <= 1024,
                    "{format:?} {name}: {}",
                    entries.len()
                );
                assert!(
                    entries.iter().flat_map(|e| &e.probs).all(|p| p.is_finite()),
                    "{format:?} {name}"
                );
            }
        }
    }
}

#[test]
fn thirty_two_instances_in_one_host_keep_up_at_real_time_pace_and_never_wait() {
    // A DAW session with 32 tracks, the plugin on each: one host thread processes every instance
    // in turn each block, and each instance has its own analysis thread. At real-time pace every
    // instance analyses every sample, and no process() call waits.
    for format in ["clap", "vst3"] {
        let summary = host(&[
            "--format",
            format,
            "--instances",
            "32",
            "--realtime",
            "--realtime-pace",
            "--rate",
            "48000",
            "--seconds",
            "5",
            "--block",
            "512",
        ]);
        let n = 32u64;
        let each = summary["samples_each"].as_u64().unwrap();
        assert_eq!(summary["dropped_samples"], 0, "{summary}");
        assert_eq!(
            summary["analysed_samples"].as_u64().unwrap(),
            n * each,
            "{summary}"
        );
        assert_eq!(summary["process_waits"], 0, "{summary}");
        assert_eq!(summary["bit_exact"], true, "{summary}");
        // 5 s at 3.715 s per chunk: one chunk per instance.
        let chunks = summary["chunks"].as_array().unwrap();
        assert_eq!(chunks.len(), 32, "{summary}");
        assert!(chunks.iter().all(|c| c == 1), "{summary}");
        eprintln!("{format}: {summary}");
    }
}
