//! mcclstm-tests: headless hosts that load the built bundles the way a DAW does, render audio
//! through them and read the analysis back from the saved state: a CLAP host (clack-host, here),
//! a VST3 host ([`vst3_host`]) and, over both, [`render`] (one trait, one render helper, WAV files
//! in); and a real DAW, Ardour, driven headless ([`ardour`]).
//!
//! The bundles under test are named by `MCCLSTM_{CLAP,VST3}_BUNDLE` (by default the release
//! bundles `target/bundled/MCCLSTM.{clap,vst3}` that `cargo xtask bundle` writes, what users
//! load) and, for the allocation test, `MCCLSTM_DEBUG_{CLAP,VST3}_BUNDLE` (by default
//! `target/bundled-debug/`, built with nice-plug's `assert_process_allocs`: any allocation in
//! `process()` aborts the host). `cargo xtask test` points all four at the test build's plugin,
//! so every host test there is also an allocation test. A missing bundle is an error, never a
//! skipped test.

// Linux only, as the bundles' layout and the `/proc` readings of the host binary are.
pub mod ardour;
pub mod render;
pub mod vst3_host;

use std::ffi::CString;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use clack_extensions::params::{ParamInfoBuffer, PluginParams};
use clack_extensions::render::{PluginRender, RenderMode};
use clack_extensions::state::PluginState;
use clack_host::events::Pckn;
use clack_host::events::event_types::ParamValueEvent;
use clack_host::prelude::*;
use clack_host::process::StartedPluginAudioProcessor;
use clack_host::utils::ClapId;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Deserialize;

/// Where the CLAP bundle under test is: `MCCLSTM_CLAP_BUNDLE`, or the release bundle (what
/// ships) where `cargo xtask bundle mcclstm-plugin --release` writes it.
pub fn bundle_path() -> anyhow::Result<PathBuf> {
    existing_bundle(
        "MCCLSTM_CLAP_BUNDLE",
        "bundled/MCCLSTM.clap",
        "cargo xtask bundle mcclstm-plugin --release",
    )
}

/// Where the debug CLAP bundle built with `assert_process_allocs` is (its `process()` aborts on
/// any allocation): `MCCLSTM_DEBUG_CLAP_BUNDLE`, or where `cargo xtask test` lays it out.
pub fn debug_bundle_path() -> anyhow::Result<PathBuf> {
    existing_bundle(
        "MCCLSTM_DEBUG_CLAP_BUNDLE",
        "bundled-debug/MCCLSTM.clap",
        "cargo xtask test",
    )
}

/// The bundle `variable` names, or `default` under the target directory; an error that says how
/// to build it when it is missing (a test never skips for want of a bundle).
pub(crate) fn existing_bundle(
    variable: &str,
    default: &str,
    build: &str,
) -> anyhow::Result<PathBuf> {
    let path = match std::env::var_os(variable) {
        Some(p) => PathBuf::from(p),
        None => Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../target")
            .join(default),
    };
    if !path.exists() {
        bail!(
            "{} is missing ({variable}): build it with `{build}`",
            path.display()
        );
    }
    Ok(path)
}

/// What a plugin says about itself in the bundle's factory.
#[derive(Clone, Debug)]
pub struct Descriptor {
    pub id: String,
    pub name: String,
    pub vendor: String,
    pub version: String,
    pub features: Vec<String>,
}

/// A loaded `.clap` bundle.
pub struct Bundle {
    entry: PluginEntry,
}

impl Bundle {
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        // SAFETY: loading a shared library runs its initialisers; the bundle is the one we built.
        let entry = unsafe { PluginEntry::load(path) }
            .map_err(|e| anyhow!("{}: cannot load the CLAP bundle: {e:?}", path.display()))?;
        Ok(Self { entry })
    }

    pub fn descriptors(&self) -> anyhow::Result<Vec<Descriptor>> {
        let factory = self
            .entry
            .get_plugin_factory()
            .context("the bundle has no plugin factory")?;
        let text = |c: Option<&std::ffi::CStr>| {
            c.map(|c| c.to_string_lossy().into_owned())
                .unwrap_or_default()
        };
        Ok(factory
            .plugin_descriptors()
            .map(|d| Descriptor {
                id: text(d.id()),
                name: text(d.name()),
                vendor: text(d.vendor()),
                version: text(d.version()),
                features: d
                    .features()
                    .map(|f| f.to_string_lossy().into_owned())
                    .collect(),
            })
            .collect())
    }
}

/// How the host splits the audio into blocks.
#[derive(Clone, Copy, Debug)]
pub enum Schedule {
    Fixed(usize),
    /// Uniformly random sizes in `1..=max`, seeded.
    Random {
        max: usize,
        seed: u64,
    },
    /// How DAWs split their audio buffer (modelled, not captured from a particular host): a
    /// nominal `buffer`, split in two at a random offset when sample-accurate automation changes
    /// inside it (one buffer in four), cut short where a loop wraps (every 37 buffers), and a
    /// short last block. Seeded.
    HostLike {
        buffer: usize,
        seed: u64,
    },
}

impl Schedule {
    pub fn blocks(self, total: usize) -> Vec<usize> {
        let mut blocks = Vec::new();
        let mut left = total;
        let mut rng = StdRng::seed_from_u64(match self {
            Schedule::Random { seed, .. } | Schedule::HostLike { seed, .. } => seed,
            Schedule::Fixed(_) => 0,
        });
        let mut buffers = 0usize;
        while left > 0 {
            let size = match self {
                Schedule::Fixed(n) => n.max(1),
                Schedule::Random { max, .. } => rng.random_range(1..=max.max(1)),
                Schedule::HostLike { buffer, .. } => {
                    buffers += 1;
                    let mut size = buffer.max(2).min(left);
                    if buffers.is_multiple_of(37) {
                        // The loop end falls inside this buffer.
                        size = rng.random_range(1..=size);
                    }
                    if size > 1 && rng.random_bool(0.25) {
                        // Automation changes inside the buffer: the host splits it there.
                        let split = rng.random_range(1..size);
                        blocks.push(split);
                        left -= split;
                        size -= split;
                    }
                    size
                }
            }
            .min(left);
            blocks.push(size);
            left -= size;
        }
        blocks
    }

    pub fn max(self) -> usize {
        match self {
            Schedule::Fixed(n)
            | Schedule::Random { max: n, .. }
            | Schedule::HostLike { buffer: n, .. } => n.max(1),
        }
    }
}

/// A fast offline bounce's pace against real time: what a DAW's export of a light session runs
/// at. The renders of the tests run at it unless they say otherwise, so a VST3 render (whose
/// analysis runs on its own thread beside `process()`, which never waits for it) is a bounce
/// as a DAW makes one, not a host feeding blocks far faster than any export.
pub const BOUNCE_SPEED: f64 = 20.0;

/// Keeps a host's loop at `speed` times real time by the clock: the block that starts at sample
/// `pos` is not handed over before `pos / (rate * speed)` seconds have passed since the first.
pub struct Pacer {
    start: Instant,
    samples_per_second: Option<f64>,
}

impl Pacer {
    pub fn new(sample_rate: f64, pace: Option<f64>) -> Self {
        Self {
            start: Instant::now(),
            samples_per_second: pace
                .filter(|s| s.is_finite() && *s > 0.0)
                .map(|s| sample_rate * s),
        }
    }

    /// Waits until the block starting at sample `pos` is due.
    pub fn wait_for(&self, pos: usize) {
        if let Some(rate) = self.samples_per_second {
            let due = Duration::from_secs_f64(pos as f64 / rate);
            if let Some(wait) = due.checked_sub(self.start.elapsed()) {
                std::thread::sleep(wait);
            }
        }
    }
}

/// The calling thread's voluntary context switches and page faults so far
/// (`getrusage(RUSAGE_THREAD)`). A call that sleeps, waits on a lock or a condition, or blocks on
/// I/O gives up the CPU and adds at least one switch, while preemption by the scheduler is counted
/// elsewhere (involuntary): so the count across `process()` calls says whether they ever waited,
/// without timing anything. The faults (minor and major) are memory touched for the first time,
/// or read back from a file.
pub(crate) fn thread_usage() -> (u64, u64) {
    // SAFETY: `getrusage` writes the whole struct it is given; a zeroed `rusage` is a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: a valid pointer to a `rusage` the call may write.
    if unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut usage) } != 0 {
        return (0, 0);
    }
    (
        usage.ru_nvcsw as u64,
        (usage.ru_minflt + usage.ru_majflt) as u64,
    )
}

/// One render through a fresh plugin instance.
#[derive(Clone, Debug)]
pub struct RenderOptions {
    pub sample_rate: f64,
    pub schedule: Schedule,
    /// Tell the plugin it renders offline (CLAP render extension) before activating it.
    pub offline: bool,
    /// How fast the host hands blocks over: `None` as fast as it can, `Some(s)` at `s` times
    /// real time (1.0 is a real-time host's audio callback; [`BOUNCE_SPEED`] a fast bounce).
    pub pace: Option<f64>,
    /// A state to load into the instance before activating it.
    pub state: Option<Vec<u8>>,
}

impl Default for RenderOptions {
    fn default() -> Self {
        Self {
            sample_rate: 44_100.0,
            schedule: Schedule::Fixed(512),
            offline: true,
            pace: Some(BOUNCE_SPEED),
            state: None,
        }
    }
}

/// What a render gives back.
#[derive(Debug)]
pub struct Rendered {
    /// Output audio, one vector per channel.
    pub output: Vec<Vec<f32>>,
    /// The plugin state saved after deactivation.
    pub state: Vec<u8>,
    /// The longest single `process()` call.
    pub max_process_time: Duration,
    /// All `process()` calls together.
    pub total_process_time: Duration,
    /// Voluntary context switches inside `process()` calls ([`Processed::waits`]).
    pub waits: u64,
    /// Page faults inside `process()` calls ([`Processed::faults`]).
    pub faults: u64,
}

struct Shared;

impl<'a> SharedHandler<'a> for Shared {
    fn request_restart(&self) {}
    fn request_process(&self) {}
    fn request_callback(&self) {}
}

struct Host;

impl HostHandlers for Host {
    type Shared<'a> = Shared;
    type MainThread<'a> = ();
    type AudioProcessor<'a> = ();
}

/// A parameter change the host sends inside a block.
#[derive(Clone, Copy, Debug)]
pub struct ParamChange {
    /// The parameter's CLAP id (see [`Session::param_id`]).
    pub id: u32,
    /// Plain value.
    pub value: f64,
}

/// What one [`Session::process`] call gives back.
#[derive(Debug, Default)]
pub struct Processed {
    /// Output audio, one vector per channel.
    pub output: Vec<Vec<f32>>,
    /// The longest single `process()` call.
    pub max_process_time: Duration,
    /// All `process()` calls together.
    pub total_process_time: Duration,
    /// Voluntary context switches of the host's thread inside `process()` calls, all together
    /// ([`thread_usage`]): 0 when no call ever slept, waited or blocked.
    pub waits: u64,
    /// Page faults of the host's thread inside `process()` calls ([`thread_usage`]): memory the
    /// plugin touched there for the first time (a fault can sleep while the kernel finds a page).
    pub faults: u64,
}

/// One plugin instance driven the way a host drives it: instantiate (and load a state), set the
/// render mode, activate at a rate and maximum block size, process blocks, `reset()`, deactivate,
/// activate again at another rate, save the state, destroy (on drop).
pub struct Session {
    instance: PluginInstance<Host>,
    processor: Option<StartedPluginAudioProcessor<Host>>,
    sample_rate: f64,
    max_block: usize,
    steady_time: u64,
    in_bufs: Vec<Vec<f32>>,
    out_bufs: Vec<Vec<f32>>,
    in_events: EventBuffer,
    out_events: EventBuffer,
}

impl Session {
    /// A new instance of the bundle's first plugin, with `state` loaded and the render mode set
    /// before anything is activated (as hosts do when they open a project).
    pub fn new(bundle: &Bundle, state: Option<&[u8]>, offline: bool) -> anyhow::Result<Self> {
        let id = bundle
            .descriptors()?
            .first()
            .map(|d| d.id.clone())
            .context("the bundle holds no plugin")?;
        let host_info = HostInfo::new(
            "mcclstm-tests",
            "mcclstm",
            "https://example.invalid",
            "0.1.0",
        )?;
        let id = CString::new(id)?;
        let mut instance =
            PluginInstance::<Host>::new(|_| Shared, |_| (), &bundle.entry, &id, &host_info)
                .map_err(|e| anyhow!("cannot instantiate: {e:?}"))?;
        if offline {
            let ext = instance
                .plugin_handle()
                .get_extension::<PluginRender>()
                .context("the plugin has no render extension")?;
            ext.set(&instance.plugin_handle(), RenderMode::Offline)
                .map_err(|e| anyhow!("render mode: {e:?}"))?;
        }
        let mut session = Self {
            instance,
            processor: None,
            sample_rate: 0.0,
            max_block: 0,
            steady_time: 0,
            in_bufs: Vec::new(),
            out_bufs: Vec::new(),
            in_events: EventBuffer::new(),
            out_events: EventBuffer::new(),
        };
        if let Some(state) = state {
            session.load_state(state)?;
        }
        Ok(session)
    }

    /// Loads a saved state on the main thread, as a host does when it opens a project; allowed
    /// while the instance is active (some hosts activate first).
    pub fn load_state(&mut self, state: &[u8]) -> anyhow::Result<()> {
        let handle = self.instance.plugin_handle();
        let ext = handle
            .get_extension::<PluginState>()
            .context("the plugin has no state extension")?;
        ext.load(&handle, &mut &state[..])
            .map_err(|e| anyhow!("state load: {e:?}"))
    }

    /// Activates at `sample_rate` with blocks of at most `max_block` and starts processing.
    pub fn activate(&mut self, sample_rate: f64, max_block: usize) -> anyhow::Result<()> {
        if self.processor.is_some() {
            bail!("already active");
        }
        let config = PluginAudioConfiguration {
            sample_rate,
            min_frames_count: 1,
            max_frames_count: max_block as u32,
        };
        let stopped = self
            .instance
            .activate(|_, _| (), config)
            .map_err(|e| anyhow!("activate: {e:?}"))?;
        self.processor = Some(
            stopped
                .start_processing()
                .map_err(|e| anyhow!("start_processing: {e:?}"))?,
        );
        self.sample_rate = sample_rate;
        self.max_block = max_block;
        self.steady_time = 0;
        self.in_bufs = vec![vec![0.0; max_block]; 2];
        self.out_bufs = vec![vec![0.0; max_block]; 2];
        Ok(())
    }

    /// CLAP `reset()` on the audio thread: the plugin forgets the track.
    pub fn reset(&mut self) -> anyhow::Result<()> {
        self.processor.as_mut().context("not active")?.reset();
        Ok(())
    }

    /// Stops processing and deactivates.
    pub fn deactivate(&mut self) -> anyhow::Result<()> {
        let processor = self.processor.take().context("not active")?;
        self.instance.deactivate(processor.stop_processing());
        Ok(())
    }

    /// The CLAP id of the parameter whose display name is `name`.
    pub fn param_id(&mut self, name: &str) -> anyhow::Result<u32> {
        let handle = self.instance.plugin_handle();
        let params = handle
            .get_extension::<PluginParams>()
            .context("the plugin has no params extension")?;
        let mut buffer = ParamInfoBuffer::new();
        for index in 0..params.count(&handle) {
            if let Some(info) = params.get_info(&handle, index, &mut buffer)
                && info.name.split(|&b| b == 0).next() == Some(name.as_bytes())
            {
                return Ok(info.id.get());
            }
        }
        bail!("no parameter named `{name}`")
    }

    /// The CLAP value for a display text such as `"1.0 s"`, converted by the plugin (CLAP values
    /// are the plugin's own scale; nice-plug's are normalised to 0..1).
    pub fn param_value_of_text(&mut self, id: u32, text: &str) -> anyhow::Result<f64> {
        let handle = self.instance.plugin_handle();
        let params = handle
            .get_extension::<PluginParams>()
            .context("the plugin has no params extension")?;
        let text = CString::new(text)?;
        params
            .text_to_value(&handle, ClapId::new(id), &text)
            .with_context(|| format!("the plugin cannot parse {text:?}"))
    }

    /// The parameter's current value (CLAP scale), as the host reads it on the main thread.
    pub fn param_value(&mut self, id: u32) -> anyhow::Result<f64> {
        let handle = self.instance.plugin_handle();
        let params = handle
            .get_extension::<PluginParams>()
            .context("the plugin has no params extension")?;
        params
            .get_value(&handle, ClapId::new(id))
            .context("the plugin does not know the parameter")
    }

    /// Processes stereo `input` in blocks of `schedule`, sending `changes` at the start of the
    /// first block, at `pace` times real time (`None`: as fast as it can).
    pub fn process(
        &mut self,
        input: &[Vec<f32>],
        schedule: Schedule,
        pace: Option<f64>,
        changes: &[ParamChange],
    ) -> anyhow::Result<Processed> {
        if input.len() != 2 || input[0].len() != input[1].len() {
            bail!("process takes two channels of equal length");
        }
        if schedule.max() > self.max_block {
            bail!(
                "blocks of up to {} exceed the activated maximum {}",
                schedule.max(),
                self.max_block
            );
        }
        let processor = self.processor.as_mut().context("not active")?;
        let mut input_ports = AudioPorts::with_capacity(2, 1);
        let mut output_ports = AudioPorts::with_capacity(2, 1);
        let mut result = Processed {
            output: (0..2).map(|_| Vec::with_capacity(input[0].len())).collect(),
            ..Processed::default()
        };
        for change in changes {
            self.in_events.push(&ParamValueEvent::new(
                0,
                ClapId::new(change.id),
                Pckn::match_all(),
                change.value,
            ));
        }
        let mut pos = 0usize;
        let pacer = Pacer::new(self.sample_rate, pace);
        for n in schedule.blocks(input[0].len()) {
            pacer.wait_for(pos);
            for ((in_buf, out_buf), channel) in
                self.in_bufs.iter_mut().zip(&mut self.out_bufs).zip(input)
            {
                in_buf[..n].copy_from_slice(&channel[pos..pos + n]);
                out_buf[..n].fill(0.0);
            }
            let (switches, faults) = thread_usage();
            let started = Instant::now();
            {
                let input_audio = input_ports.with_input_buffers([AudioPortBuffer {
                    latency: 0,
                    channels: AudioPortBufferType::f32_input_only(
                        self.in_bufs
                            .iter_mut()
                            .map(|b| InputChannel::variable(&mut b[..n])),
                    ),
                }]);
                let mut output_audio = output_ports.with_output_buffers([AudioPortBuffer {
                    latency: 0,
                    channels: AudioPortBufferType::f32_output_only(
                        self.out_bufs.iter_mut().map(|b| &mut b[..n]),
                    ),
                }]);
                processor
                    .process(
                        &input_audio,
                        &mut output_audio,
                        &InputEvents::from_buffer(&self.in_events),
                        &mut OutputEvents::from_buffer(&mut self.out_events),
                        Some(self.steady_time),
                        None,
                    )
                    .map_err(|e| anyhow!("process: {e:?}"))?;
            }
            let elapsed = started.elapsed();
            let (switches_after, faults_after) = thread_usage();
            result.waits += switches_after - switches;
            result.faults += faults_after - faults;
            result.max_process_time = result.max_process_time.max(elapsed);
            result.total_process_time += elapsed;
            self.in_events.clear();
            self.out_events.clear();
            for (output, out_buf) in result.output.iter_mut().zip(&self.out_bufs) {
                output.extend_from_slice(&out_buf[..n]);
            }
            self.steady_time += n as u64;
            pos += n;
        }
        Ok(result)
    }

    /// The plugin's state, as a host saves it into a project.
    pub fn save_state(&mut self) -> anyhow::Result<Vec<u8>> {
        let handle = self.instance.plugin_handle();
        let ext = handle
            .get_extension::<PluginState>()
            .context("the plugin has no state extension")?;
        let mut state = Vec::new();
        ext.save(&handle, &mut state)
            .map_err(|e| anyhow!("state save: {e:?}"))?;
        Ok(state)
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        // Hosts deactivate before destroying; clack destroys the instance when it drops.
        if let Some(processor) = self.processor.take() {
            self.instance.deactivate(processor.stop_processing());
        }
    }
}

/// Renders stereo `input` (two equal-length channels) through a new instance of the bundle's
/// first plugin, then deactivates it and saves its state. ([`render::AnyBundle::render`] does the
/// same for either format.)
pub fn render(
    bundle: &Bundle,
    input: &[Vec<f32>],
    options: &RenderOptions,
) -> anyhow::Result<Rendered> {
    let mut session = Session::new(bundle, options.state.as_deref(), options.offline)?;
    session.activate(options.sample_rate, options.schedule.max())?;
    render::render_in(&mut session, input, options)
}

/// nice-plug's saved state: parameter values and persisted fields (each a JSON string).
#[derive(Debug, Deserialize)]
pub struct SavedState {
    pub version: String,
    pub params: serde_json::Value,
    pub fields: std::collections::BTreeMap<String, String>,
}

/// Parses a saved state: nice-plug's JSON, which its CLAP wrapper may prefix with a length and a
/// VST3 host may wrap in its own container (Ardour keeps a header before it and its chunk list
/// after it), so the first JSON object in the bytes that is a state is read and what follows it
/// is ignored. A `{` before it (a byte of the length prefix can be 0x7B) is skipped.
pub fn parse_state(bytes: &[u8]) -> anyhow::Result<SavedState> {
    let mut first_error = None;
    for start in (0..bytes.len()).filter(|&i| bytes[i] == b'{') {
        match serde_json::Deserializer::from_slice(&bytes[start..])
            .into_iter::<SavedState>()
            .next()
        {
            Some(Ok(state)) => return Ok(state),
            Some(Err(e)) => {
                first_error.get_or_insert(e);
            }
            None => {}
        }
    }
    match first_error {
        Some(e) => Err(e).context("the state is not nice-plug's JSON"),
        None => bail!("the state holds no JSON"),
    }
}

/// One chunk of the analysis history, as the plugin saves it.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct HistoryEntry {
    pub task: String,
    pub segment: u64,
    pub chunk: u64,
    #[serde(default)]
    pub start_s: f64,
    pub end_s: f64,
    pub probs: Vec<f32>,
    pub top: String,
    /// The host's song position at the chunk's start, when the host was playing.
    #[serde(default)]
    pub transport_s: Option<f64>,
    /// Seconds of audio the plugin dropped just before the chunk (its analysis fell behind).
    #[serde(default)]
    pub gap_before_s: Option<f64>,
}

/// The plugin's saved `history` field.
#[derive(Clone, Debug, Deserialize)]
pub struct SavedHistory {
    /// The chunks per slot (genre, mood, dance).
    pub slots: Vec<Vec<HistoryEntry>>,
    /// Host samples handed to the analysis.
    pub analysed_samples: u64,
    /// Host samples the audio thread dropped because the analysis fell behind.
    pub dropped_samples: u64,
}

/// The whole saved history field, with the account of analysed and dropped samples.
pub fn saved_history_field(bytes: &[u8]) -> anyhow::Result<SavedHistory> {
    let state = parse_state(bytes)?;
    let history = state
        .fields
        .get("history")
        .context("the state has no `history` field")?;
    Ok(serde_json::from_str(history)?)
}

/// The saved analysis history per slot (genre, mood, dance).
pub fn saved_history(bytes: &[u8]) -> anyhow::Result<Vec<Vec<HistoryEntry>>> {
    Ok(saved_history_field(bytes)?.slots)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_state_is_found_behind_a_length_prefix_holding_an_open_brace() {
        let json = br#"{"version":"0.1.0","params":{},"fields":{"history":"{}"}}"#;
        // The CLAP wrapper's little-endian length prefix; 0x7B is `{`.
        let mut bytes = vec![0x7B, 0x01, 0, 0, 0, 0, 0, 0];
        bytes.extend_from_slice(json);
        let state = parse_state(&bytes).unwrap();
        assert_eq!(state.version, "0.1.0");
        assert_eq!(state.fields["history"], "{}");
        let error = format!("{:#}", parse_state(b"\x7b\x01{\"version\": 3").unwrap_err());
        assert!(error.contains("not nice-plug's JSON"), "{error}");
        assert!(parse_state(b"no json").is_err());
    }

    #[test]
    fn every_schedule_covers_the_audio_exactly_within_its_maximum() {
        for schedule in [
            Schedule::Fixed(512),
            Schedule::Random { max: 300, seed: 1 },
            Schedule::HostLike {
                buffer: 441,
                seed: 2,
            },
        ] {
            let blocks = schedule.blocks(100_000);
            assert_eq!(blocks.iter().sum::<usize>(), 100_000, "{schedule:?}");
            assert!(
                blocks.iter().all(|&b| b >= 1 && b <= schedule.max()),
                "{schedule:?}"
            );
        }
        // The host-like schedule splits some buffers, so it has blocks of several sizes.
        let host = Schedule::HostLike {
            buffer: 441,
            seed: 2,
        }
        .blocks(100_000);
        assert!(host.iter().filter(|&&b| b == 441).count() > host.len() / 2);
        assert!(host.iter().any(|&b| b < 441));
    }
}
