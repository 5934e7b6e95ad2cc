//! Fuzzing on the stable toolchain: every reader of untrusted bytes (model files, the plugin's
//! saved state, audio files through the engine, ABC tunes, data set CSVs) as a [`Target`], and a
//! bounded runner ([`fuzz`]) that mutates valid seeds and runs each input under `catch_unwind`.
//!
//! The runner is a blind mutation fuzzer: no coverage feedback (that needs a nightly compiler's
//! sanitizer coverage, which CI must not depend on), so it starts every input from a valid seed
//! and stacks a few structure-aware mutations (bit flips, interesting integers, cut, repeated
//! and spliced ranges, text tokens such as `NaN`, `1e999` or a stray quote). Some targets read
//! their input through [`arbitrary::Unstructured`] to choose what to build from it.
//!
//! What counts as a finding: a panic (including one a loader caught and reported as
//! `LoaderPanicked`, which is a safety net, not an answer) or an input that runs longer than the
//! timeout (a hang). An error returned for bad bytes is the right answer. Findings are written
//! to a folder; fixed ones are kept in `fuzz/regressions/TARGET/` and replayed by the tests.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use arbitrary::{Arbitrary, Unstructured};
use mcclstm_engine::{Architecture, ContractError, Model, Preset};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// One reader of untrusted bytes.
pub struct Target {
    pub name: &'static str,
    /// What it reads, for the runner's report.
    pub what: &'static str,
    /// Valid inputs that mutations start from.
    pub seeds: fn() -> Vec<Vec<u8>>,
    /// Runs one input and says whether the reader took it (`false`: it refused the bytes with
    /// an error, which is a right answer too). A panic is a finding.
    pub run: fn(&Scratch, &[u8]) -> bool,
}

/// Every target.
pub const TARGETS: [Target; 5] = [
    Target {
        name: "model",
        what: "model files: the contract check, tract's loader and a 3-step roll-out on every architecture",
        seeds: model_seeds,
        run: run_model,
    },
    Target {
        name: "state",
        what: "the plugin's saved fields (history, model paths, editor view) and the editor's timeline and exports of them",
        seeds: state_seeds,
        run: run_state,
    },
    Target {
        name: "audio",
        what: "audio files (WAV, FLAC, MP3, Ogg, Sun .au) decoded, resampled and turned into mel frames",
        seeds: audio_seeds,
        run: run_audio,
    },
    Target {
        name: "abc",
        what: "ABC tunes (the dance maker's reader)",
        seeds: abc_seeds,
        run: run_abc,
    },
    Target {
        name: "dataset",
        what: "data set CSVs (generic, tags, soundtrack ratings)",
        seeds: dataset_seeds,
        run: run_dataset,
    },
];

/// The target called `name`.
pub fn target(name: &str) -> Option<&'static Target> {
    TARGETS.iter().find(|t| t.name == name)
}

/// A scratch folder for targets whose reader takes a path.
pub struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    pub fn new() -> std::io::Result<Self> {
        Ok(Self {
            dir: tempfile::tempdir()?,
        })
    }

    /// Writes `bytes` to a file called `name` in the scratch folder and returns its path.
    fn file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, bytes).expect("cannot write the scratch file");
        path
    }
}

// ---------------------------------------------------------------------------------------------
// Targets

fn model_seeds() -> Vec<Vec<u8>> {
    // Small random models of every architecture (fast to load), and a shipped model.
    let mut seeds: Vec<Vec<u8>> = Architecture::ALL
        .iter()
        .enumerate()
        .map(|(i, &architecture)| {
            let mut config = mcclstm_onnx::arch::ArchConfig::paper(architecture);
            config.filters = 2;
            config.dense = config.dense.min(8);
            config.lstm = config.lstm.min(4);
            let labels = vec!["a".to_string(), "b".to_string(), "c".to_string()];
            let (weights, meta) = mcclstm_onnx::random::random_model(
                &config,
                "genre".into(),
                labels,
                Preset::Paper,
                i as u64,
            )
            .expect("a random model");
            mcclstm_onnx::export::model_bytes(&config, &weights, &meta).expect("model bytes")
        })
        .collect();
    if let Some(bytes) = mcclstm_models::SLOTS[1].embedded {
        seeds.push(bytes.to_vec());
    }
    seeds
}

fn run_model(_: &Scratch, bytes: &[u8]) -> bool {
    let model = match Model::from_bytes(bytes) {
        Ok(model) => model,
        Err(ContractError::LoaderPanicked(why)) => panic!("the loader panicked: {why}"),
        Err(_) => return false,
    };
    let mut runner = model.runner();
    let chunk: Vec<f32> = (0..model.chunk_len())
        .map(|i| ((i * 7919) % 97) as f32 / 24.0 - 2.0)
        .collect();
    for _ in 0..3 {
        if let Err(e) = runner.step(&chunk) {
            let why = e.to_string();
            assert!(
                !why.contains("crashed the runtime"),
                "a step panicked: {why}"
            );
        }
    }
    true
}

fn state_seeds() -> Vec<Vec<u8>> {
    let entry = |segment: u64, chunk: u64, probs: &[f32], top: &str| {
        serde_json::json!({
            "task": "genre", "segment": segment, "chunk": chunk,
            "start_s": chunk as f64 * 3.715, "end_s": chunk as f64 * 3.715 + 3.762,
            "probs": probs, "top": top, "transport_s": 12.5, "gap_before_s": 0.25,
        })
    };
    let history = serde_json::json!({
        "slots": [
            [entry(0, 0, &[0.1, 0.8, 0.1], "rock"), entry(0, 1, &[0.3, 0.35, 0.35], "rock"),
             entry(1, 0, &[0.05, 0.05, 0.9], "jazz")],
            [entry(0, 0, &[0.5, 0.5], "happy")],
        ],
        "analysed_samples": 441000, "dropped_samples": 12,
    });
    let fields = |history: &serde_json::Value| {
        let map: BTreeMap<&str, String> = [
            ("history", history.to_string()),
            (
                "model-paths",
                serde_json::json!([null, "embedded", "/nonexistent/m.onnx", null]).to_string(),
            ),
            (
                "editor-view",
                serde_json::json!({"width": 900.0, "height": 620.0, "zoom": 1.0}).to_string(),
            ),
        ]
        .into_iter()
        .collect();
        serde_json::to_vec(&map).unwrap()
    };
    vec![fields(&history), fields(&serde_json::json!({"slots": []}))]
}

/// Known field names, for inputs built through [`Unstructured`].
const STATE_FIELDS: [&str; 4] = ["history", "model-paths", "editor-view", "other"];

fn run_state(_: &Scratch, bytes: &[u8]) -> bool {
    use nice_plug::prelude::Params;

    // The fields as nice-plug hands them over: a map of field name to that field's JSON. Bytes
    // that are no such map are read through `Unstructured` as one.
    let fields: BTreeMap<String, String> = serde_json::from_slice(bytes).unwrap_or_else(|_| {
        let mut u = Unstructured::new(bytes);
        let mut map = BTreeMap::new();
        // `Unstructured` gives defaults once its bytes run out: stop there.
        while !u.is_empty() && map.len() < 16 {
            let (Ok(k), Ok(value)) = (
                u.int_in_range(0..=STATE_FIELDS.len() - 1),
                String::arbitrary(&mut u),
            ) else {
                break;
            };
            map.insert(STATE_FIELDS[k].to_string(), value);
        }
        map
    });
    let params = mcclstm_plugin::params::McclstmParams::default();
    params.deserialize_fields(&fields);
    if let Ok(view) = params.editor_view.lock() {
        let _ = view.editor_state();
    }
    if let Ok(paths) = params.model_paths.lock() {
        // The plugin opens each saved path as a model file (missing ones are an error for the
        // editor); a path to a device or a folder is refused without reading it.
        for path in paths.iter().flatten() {
            if path.starts_with('/') && !path.starts_with("/dev") && !path.starts_with("/proc") {
                let _ = Model::from_file(Path::new(path));
            }
        }
    }
    // What the editor and the exports do with a loaded history.
    let history = params.history.lock().map(|h| h.clone()).unwrap_or_default();
    let mut infos = vec![mcclstm_plugin::published::SlotInfo::default(); 4];
    infos[0].labels = ["blues", "rock", "jazz"].map(String::from).to_vec();
    let timeline = mcclstm_plugin::timeline::Timeline::of(&history, &infos);
    for slot in 0..history.slots.len() {
        for t in [
            timeline.start,
            (timeline.start + timeline.end) / 2.0,
            timeline.end,
        ] {
            let _ = timeline.entry_at(&history, slot, t);
        }
    }
    let _ = mcclstm_plugin::timeline::to_json(&history, &infos);
    let _ = mcclstm_plugin::timeline::to_csv(&history, &infos);
    let _ = serde_json::to_string(&history);
    !history.is_empty()
}

/// Kinds of audio file the target writes its bytes as (the extension is the probe's hint).
const AUDIO_KINDS: [&str; 6] = ["wav", "flac", "mp3", "ogg", "au", "bin"];

fn audio_seeds() -> Vec<Vec<u8>> {
    let rate = 22_050u32;
    let tone: Vec<f32> = (0..4_000).map(|i| (i as f32 * 0.05).sin() * 0.5).collect();
    let mut seeds = Vec::new();
    // The first byte picks the kind (see `run_audio`).
    let dir = tempfile::tempdir().unwrap();
    let float = dir.path().join("f.wav");
    mcclstm_engine::audio::write_wav_f32(&float, &tone, 1, rate).unwrap();
    seeds.push([&[0u8][..], &std::fs::read(&float).unwrap()].concat());
    // 16-bit stereo PCM WAV, written by hand.
    let pcm: Vec<u8> = tone
        .iter()
        .flat_map(|&s| {
            let v = ((s * 32767.0) as i16).to_le_bytes();
            [v[0], v[1], v[0], v[1]]
        })
        .collect();
    seeds.push([&[0u8][..], &wav_pcm16(&pcm, 2, 44_100)].concat());
    // Sun .au: 16-bit big-endian linear PCM, mono.
    let mut au = Vec::new();
    au.extend_from_slice(b".snd");
    for v in [24u32, (tone.len() * 2) as u32, 3, 8_000, 1] {
        au.extend_from_slice(&v.to_be_bytes());
    }
    au.extend(
        tone.iter()
            .flat_map(|&s| ((s * 32767.0) as i16).to_be_bytes()),
    );
    seeds.push([&[4u8][..], &au].concat());
    // Whole encoded files (`seeds/audio/`: the same kind of decaying tone, encoded once with
    // libsndfile 1.2.2), so mutations reach the codecs' frames, not only their headers.
    for (kind, file) in ENCODED_SEEDS {
        seeds.push([&[kind][..], file].concat());
    }
    seeds
}

/// The encoded audio seeds with their kind byte (see `run_audio`): FLAC 16-bit mono 22.05 kHz,
/// MP3 joint stereo 44.1 kHz, Ogg Vorbis mono 48 kHz.
const ENCODED_SEEDS: [(u8, &[u8]); 3] = [
    (1, include_bytes!("../seeds/audio/tone-22050-mono.flac")),
    (2, include_bytes!("../seeds/audio/tone-44100-stereo.mp3")),
    (3, include_bytes!("../seeds/audio/tone-48000-mono.ogg")),
];

fn wav_pcm16(data: &[u8], channels: u16, rate: u32) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data.len() as u32).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&channels.to_le_bytes());
    out.extend_from_slice(&rate.to_le_bytes());
    out.extend_from_slice(&(rate * u32::from(channels) * 2).to_le_bytes());
    out.extend_from_slice(&(channels * 2).to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out.extend_from_slice(data);
    out
}

fn run_audio(scratch: &Scratch, bytes: &[u8]) -> bool {
    let Some((&kind, file)) = bytes.split_first() else {
        return false;
    };
    let ext = AUDIO_KINDS[usize::from(kind) % AUDIO_KINDS.len()];
    let path = scratch.file(&format!("input.{ext}"), file);
    let config = Preset::Paper.config();
    let decoded = mcclstm_engine::audio::decode_file(&path);
    if let Ok(decoded) = &decoded {
        // What `mcclstm analyze` does next: the engine's frames at the model's rate, from the
        // file's own rate (any rate a header claims).
        let _ =
            mcclstm_engine::stream::signal_frames(&decoded.samples, decoded.sample_rate, &config);
        check_silence_gate(&decoded.samples, decoded.sample_rate, file.len());
    }
    let _ = mcclstm_engine::audio::decode_file_channels(&path);
    check_blocks(&path, &decoded);
    decoded.is_ok()
}

/// `analyze`'s decoder, a packet at a time, against the whole file's: the same samples, rate
/// and channels, or the same error. A mismatch is a finding.
fn check_blocks(
    path: &std::path::Path,
    whole: &Result<mcclstm_engine::audio::DecodedAudio, mcclstm_engine::AudioError>,
) {
    let mut joined = Vec::new();
    let blocks = mcclstm_engine::audio::decode_mono_blocks(path, |_, block| {
        joined.extend_from_slice(block);
    });
    match (whole, blocks) {
        (Ok(whole), Ok((rate, channels, samples))) => {
            assert_eq!((rate, channels), (whole.sample_rate, whole.channels));
            assert_eq!(samples, whole.samples.len() as u64);
            assert!(
                joined
                    .iter()
                    .zip(&whole.samples)
                    .all(|(a, b)| a.to_bits() == b.to_bits())
                    && joined.len() == whole.samples.len(),
                "decoding in blocks gave other samples"
            );
        }
        (Err(whole), Err(blocks)) => assert_eq!(blocks.to_string(), whole.to_string()),
        (whole, blocks) => panic!("whole: {whole:?}; in blocks: {blocks:?}"),
    }
}

/// The stream's silence gate over decoded samples, pushed in blocks of a size the input picks,
/// with a threshold of a few milliseconds (so short files reach it), against its definition one
/// sample at a time: a mismatch is a finding.
fn check_silence_gate(samples: &[f32], rate: u32, salt: usize) {
    use mcclstm_engine::stream::{Stream, StreamConfig, StreamEvent, silence_resets_by_definition};
    let config = StreamConfig {
        silence_reset_s: Some(0.002 + (salt % 7) as f32 * 0.001),
        ..StreamConfig::live(rate.max(1))
    };
    let t =
        (f64::from(config.silence_reset_s.unwrap_or(0.0)) * f64::from(rate.max(1))).round() as u64;
    let (expected, gated) = silence_resets_by_definition(samples, config.silence_level, |_| t);
    let mut stream = Stream::with_empty_lanes(config, 0);
    let mut resets = Vec::new();
    for block in samples.chunks(1 + salt % 5000) {
        stream.push(block, |e| {
            if let StreamEvent::Reset { at_s, .. } = e {
                resets.push((at_s * f64::from(rate.max(1))).round() as u64);
            }
        });
    }
    assert_eq!(resets, expected, "silence gate: threshold {t} samples");
    assert_eq!(stream.in_silence(), gated, "silence gate: final state");
}

fn abc_seeds() -> Vec<Vec<u8>> {
    vec![
        b"X:1\nT:The Kesh\nR:jig\nM:6/8\nL:1/8\nK:G\n|:GAG GAB|ABA ABd|edd gdd|edB dBA:|\n"
            .to_vec(),
        b"X:2\nT:Reel\nR:reel\nM:C|\nL:1/8\nQ:1/2=100\nK:Dmaj\nABcd efga|\n".to_vec(),
        b"X:3\nT:Strathspey\nR:strathspey\nM:4/4\nL:1/16\nK:Amix\nA3B c2e2|\n".to_vec(),
        b"% book\nX: 1\nT: Air\nM: 3/4\nK:G\nGAB|\n\nX: 2\nT: Hornpipe\nR:Hornpipe\nM:C|\nK:D\nAB|\n"
            .to_vec(),
    ]
}

fn run_abc(scratch: &Scratch, bytes: &[u8]) -> bool {
    let path = scratch.file("tune.abc", bytes);
    // The tune-book reader: every tune of the file, as the dance maker reads a folder.
    match mcclstm_synth::abc::read_tunes(&path) {
        Ok(tunes) => {
            for tune in &tunes {
                let _ = (tune.compound(), tune.bar_quarters(), tune.group());
            }
            !tunes.is_empty()
        }
        Err(_) => false,
    }
}

fn dataset_seeds() -> Vec<Vec<u8>> {
    // The first byte picks the reader (see `run_dataset`); paths name files that do not exist,
    // which the readers report per row.
    vec![
        [
            &[0u8][..],
            b"path,label,group\na.wav,rock,p1\nb.wav,jazz,p1\n\"c, d.wav\",rock,p2\n",
        ]
        .concat(),
        [
            &[1u8][..],
            b"path,group,chunk,metal,quiet\na.wav,p1,0,0.9,0.1\na.wav,p1,1,0.8,0.0\nb.wav,p2,all,0.1,0.7\n",
        ]
        .concat(),
        [
            &[2u8][..],
            b"Number,TARGET,happy,sad\n1,HAPPY,6.5,1.2\n2,SAD,1.0,7.3\n",
        ]
        .concat(),
    ]
}

fn run_dataset(scratch: &Scratch, bytes: &[u8]) -> bool {
    use mcclstm_data::dataset::{DatasetKind, open};
    let Some((&kind, csv)) = bytes.split_first() else {
        return false;
    };
    let kind = [
        DatasetKind::Generic,
        DatasetKind::Tags,
        DatasetKind::Soundtracks,
    ][usize::from(kind) % 3];
    let path = scratch.file("set.csv", csv);
    match open(kind, &path) {
        Ok(dataset) => {
            let _ = (dataset.counts(), dataset.has_groups());
            true
        }
        Err(_) => false,
    }
}

// ---------------------------------------------------------------------------------------------
// The runner

/// How long and how a run goes.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Stop after this many inputs (`None`: no limit).
    pub runs: Option<u64>,
    /// Stop after this long (`None`: no limit).
    pub duration: Option<Duration>,
    pub seed: u64,
    /// An input running longer than this is a hang.
    pub timeout: Duration,
    /// Where findings are written (`TARGET-N.bin`).
    pub findings: PathBuf,
}

/// What a run found.
#[derive(Debug, Default)]
pub struct Report {
    pub runs: u64,
    /// Inputs the reader took (the rest it refused with an error).
    pub accepted: u64,
    pub elapsed: Duration,
    /// Each finding: the file its input was written to, and what happened.
    pub findings: Vec<(PathBuf, String)>,
}

/// Text tokens that mutations drop into text inputs.
const TOKENS: [&[u8]; 16] = [
    b"NaN",
    b"inf",
    b"-inf",
    b"1e999",
    b"-1",
    b"0",
    b"18446744073709551616",
    b"\"",
    b",",
    b"\n",
    b"\r\n",
    b":",
    b"{",
    b"]",
    b"null",
    b"\xEF\xBB\xBF",
];

/// Integers that often sit on a boundary.
const INTERESTING: [u32; 10] = [
    0,
    1,
    0x7F,
    0x80,
    0xFF,
    0xFFFF,
    0x7FFF_FFFF,
    0x8000_0000,
    0xFFFF_FFFF,
    0x1_0000 - 2,
];

/// One mutated input: a seed (or a splice of two) with one to eight mutations stacked.
pub fn mutate(rng: &mut StdRng, seeds: &[Vec<u8>]) -> Vec<u8> {
    let mut data = seeds[rng.random_range(0..seeds.len())].clone();
    for _ in 0..rng.random_range(1..=8) {
        let len = data.len();
        // Keep the first byte (the targets' kind selector) most of the time.
        let pos = |rng: &mut StdRng| {
            if len <= 1 {
                0
            } else {
                rng.random_range(1..len)
            }
        };
        match rng.random_range(0..10) {
            0 if len > 0 => {
                let p = rng.random_range(0..len);
                data[p] ^= 1 << rng.random_range(0..8);
            }
            1 if len > 0 => {
                let p = pos(rng);
                data[p] = INTERESTING[rng.random_range(0..INTERESTING.len())] as u8;
            }
            2 if len >= 4 => {
                let p = rng.random_range(0..=len - 4);
                let v = INTERESTING[rng.random_range(0..INTERESTING.len())];
                let b = if rng.random() {
                    v.to_le_bytes()
                } else {
                    v.to_be_bytes()
                };
                data[p..p + 4].copy_from_slice(&b);
            }
            3 if len > 1 => data.truncate(pos(rng)),
            4 if len > 1 => {
                let a = pos(rng);
                let b = (a + rng.random_range(1..=64)).min(len);
                data.drain(a..b);
            }
            5 if len > 1 => {
                let a = pos(rng);
                let b = (a + rng.random_range(1..=64)).min(len);
                let copy = data[a..b].to_vec();
                let at = pos(rng);
                for _ in 0..rng.random_range(1..=4) {
                    data.splice(at..at, copy.iter().copied());
                }
            }
            6 => {
                let at = pos(rng).min(data.len());
                let n = rng.random_range(1..=16);
                let random: Vec<u8> = (0..n).map(|_| rng.random()).collect();
                data.splice(at..at, random);
            }
            7 => {
                let at = pos(rng).min(data.len());
                let token = TOKENS[rng.random_range(0..TOKENS.len())];
                data.splice(at..at, token.iter().copied());
            }
            8 if len > 1 => {
                // Overwrite a range with a token (a number becomes NaN, a field a quote).
                let at = pos(rng);
                let token = TOKENS[rng.random_range(0..TOKENS.len())];
                let end = (at + token.len()).min(len);
                data[at..end].copy_from_slice(&token[..end - at]);
            }
            9 => {
                // Splice: this input's start with another seed's end.
                let other = &seeds[rng.random_range(0..seeds.len())];
                if !other.is_empty() {
                    let from = rng.random_range(0..other.len());
                    data.truncate(pos(rng));
                    data.extend_from_slice(&other[from..]);
                }
            }
            _ => {}
        }
    }
    data
}

/// Runs `input` through `target`: whether the reader took it, or `Err` with what happened if it
/// panicked.
pub fn run_one(target: &Target, scratch: &Scratch, input: &[u8]) -> Result<bool, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        (target.run)(scratch, input)
    }))
    .map_err(|payload| mcclstm_engine::error::panic_message(payload.as_ref()))
}

/// Fuzzes `target` until `options` says stop. Panics are findings (the run goes on); a hang
/// writes its input and ends the process (a thread stuck in a reader cannot be stopped).
pub fn fuzz(target: &'static Target, options: &RunOptions) -> anyhow::Result<Report> {
    std::fs::create_dir_all(&options.findings)?;
    let seeds = (target.seeds)();
    let scratch = Scratch::new()?;
    let mut rng = StdRng::seed_from_u64(options.seed);
    let mut report = Report::default();
    let started = Instant::now();

    // The watchdog: the input being run, and when it started (ms since `started`; 0: idle).
    let current = Arc::new(Mutex::new(Vec::new()));
    let since = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let watchdog = {
        let (current, since, done) = (current.clone(), since.clone(), done.clone());
        let (timeout, findings, name) = (options.timeout, options.findings.clone(), target.name);
        std::thread::spawn(move || {
            while !done.load(Ordering::Acquire) {
                std::thread::sleep(Duration::from_millis(100));
                let at = since.load(Ordering::Acquire);
                let now = started.elapsed().as_millis() as u64;
                if at > 0 && now.saturating_sub(at) > timeout.as_millis() as u64 {
                    let path = findings.join(format!("{name}-hang.bin"));
                    let input = current.lock().map(|c| c.clone()).unwrap_or_default();
                    let _ = std::fs::write(&path, input);
                    eprintln!(
                        "{name}: an input ran over {timeout:?} (a hang); written to {}",
                        path.display()
                    );
                    std::process::exit(3);
                }
            }
        })
    };

    // Panics are reported here, not by the default hook on every finding.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let mut seen = std::collections::HashSet::new();
    loop {
        if options.runs.is_some_and(|n| report.runs >= n)
            || options.duration.is_some_and(|d| started.elapsed() >= d)
        {
            break;
        }
        // Every seed as it is first, then mutations.
        let input = match seeds.get(report.runs as usize) {
            Some(seed) => seed.clone(),
            None => mutate(&mut rng, &seeds),
        };
        if let Ok(mut c) = current.lock() {
            c.clone_from(&input);
        }
        since.store(started.elapsed().as_millis() as u64 + 1, Ordering::Release);
        let result = run_one(target, &scratch, &input);
        since.store(0, Ordering::Release);
        report.runs += 1;
        report.accepted += u64::from(result == Ok(true));
        if let Err(why) = result {
            // One file per distinct message.
            if seen.insert(why.clone()) {
                let path =
                    options
                        .findings
                        .join(format!("{}-{}.bin", target.name, report.findings.len()));
                std::fs::write(&path, &input)?;
                report.findings.push((path, why));
            }
        }
    }
    std::panic::set_hook(hook);
    done.store(true, Ordering::Release);
    let _ = watchdog.join();
    report.elapsed = started.elapsed();
    Ok(report)
}

/// The regression inputs kept for `target` (`fuzz/regressions/TARGET/*`), sorted.
pub fn regressions(target: &Target) -> std::io::Result<Vec<PathBuf>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("regressions")
        .join(target.name);
    let mut files = match std::fs::read_dir(&dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(e),
    };
    files.sort();
    Ok(files)
}
