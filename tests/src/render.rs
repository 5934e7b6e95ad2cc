//! Either format, one render: the CLAP host ([`crate::Session`]) and the VST3 host
//! ([`Vst3Session`]) behind one [`PluginSession`] trait, so a render helper, the `mcclstm-host`
//! child and the tests that both formats must pass are written once.
//!
//! [`render_file`] plays a WAV (or any file the engine decodes) through a bundle as a DAW plays
//! a clip on a stereo track: the file's channels, at the session's rate, in the chosen block
//! schedule; it returns the output audio and the state the plugin saved after deactivation.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use mcclstm_engine::audio::{decode_file_channels, resample};

use crate::vst3_host::{Vst3Bundle, Vst3Session, vst3_bundle_path};
use crate::{Bundle, Processed, RenderOptions, Rendered, Schedule, Session};

/// The plugin formats the headless hosts load.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Clap,
    Vst3,
}

impl Format {
    pub const ALL: [Format; 2] = [Format::Clap, Format::Vst3];

    pub fn parse(name: &str) -> anyhow::Result<Self> {
        match name {
            "clap" => Ok(Format::Clap),
            "vst3" => Ok(Format::Vst3),
            other => bail!("unknown plugin format `{other}` (clap or vst3)"),
        }
    }

    /// The bundle of this format under test (by default the release bundle, what users load).
    pub fn bundle_path(self) -> anyhow::Result<PathBuf> {
        match self {
            Format::Clap => crate::bundle_path(),
            Format::Vst3 => vst3_bundle_path(),
        }
    }

    /// The debug bundle of this format built with `assert_process_allocs`.
    pub fn debug_bundle_path(self) -> anyhow::Result<PathBuf> {
        match self {
            Format::Clap => crate::debug_bundle_path(),
            Format::Vst3 => crate::existing_bundle(
                "MCCLSTM_DEBUG_VST3_BUNDLE",
                "bundled-debug/MCCLSTM.vst3",
                "cargo xtask test",
            ),
        }
    }
}

/// One plugin instance as a host drives it, whatever its format.
pub trait PluginSession {
    /// Sets up processing at `sample_rate` with blocks of at most `max_block` and activates.
    fn activate(&mut self, sample_rate: f64, max_block: usize) -> anyhow::Result<()>;
    /// Processes stereo `input` in blocks of `schedule` at `pace` times real time (`None`: as fast
    /// as the host can; 1.0 as a real-time host's audio callback does).
    fn process(
        &mut self,
        input: &[Vec<f32>],
        schedule: Schedule,
        pace: Option<f64>,
    ) -> anyhow::Result<Processed>;
    fn deactivate(&mut self) -> anyhow::Result<()>;
    /// The plugin's state, as a host saves it into a project.
    fn save_state(&mut self) -> anyhow::Result<Vec<u8>>;
    /// Loads a saved state, active or not, as a host does when it opens a project.
    fn load_state(&mut self, state: &[u8]) -> anyhow::Result<()>;
}

impl PluginSession for Session {
    fn activate(&mut self, sample_rate: f64, max_block: usize) -> anyhow::Result<()> {
        Session::activate(self, sample_rate, max_block)
    }
    fn process(
        &mut self,
        input: &[Vec<f32>],
        schedule: Schedule,
        pace: Option<f64>,
    ) -> anyhow::Result<Processed> {
        Session::process(self, input, schedule, pace, &[])
    }
    fn deactivate(&mut self) -> anyhow::Result<()> {
        Session::deactivate(self)
    }
    fn save_state(&mut self) -> anyhow::Result<Vec<u8>> {
        Session::save_state(self)
    }
    fn load_state(&mut self, state: &[u8]) -> anyhow::Result<()> {
        Session::load_state(self, state)
    }
}

impl PluginSession for Vst3Session {
    fn activate(&mut self, sample_rate: f64, max_block: usize) -> anyhow::Result<()> {
        Vst3Session::activate(self, sample_rate, max_block)
    }
    fn process(
        &mut self,
        input: &[Vec<f32>],
        schedule: Schedule,
        pace: Option<f64>,
    ) -> anyhow::Result<Processed> {
        Vst3Session::process(self, input, schedule, pace)
    }
    fn deactivate(&mut self) -> anyhow::Result<()> {
        Vst3Session::deactivate(self)
    }
    fn save_state(&mut self) -> anyhow::Result<Vec<u8>> {
        Vst3Session::save_state(self)
    }
    fn load_state(&mut self, state: &[u8]) -> anyhow::Result<()> {
        Vst3Session::load_state(self, state)
    }
}

/// A loaded bundle of either format.
pub enum AnyBundle {
    Clap(Bundle),
    Vst3(Vst3Bundle),
}

impl AnyBundle {
    pub fn load(format: Format, path: &Path) -> anyhow::Result<Self> {
        let loaded = match format {
            Format::Clap => Bundle::load(path).map(AnyBundle::Clap),
            Format::Vst3 => Vst3Bundle::load(path).map(AnyBundle::Vst3),
        };
        loaded.with_context(|| format!("{}: cannot load the {format:?} bundle", path.display()))
    }

    /// The bundle of `format` under test ([`Format::bundle_path`]).
    pub fn release(format: Format) -> anyhow::Result<Self> {
        Self::load(format, &format.bundle_path()?)
    }

    pub fn format(&self) -> Format {
        match self {
            AnyBundle::Clap(_) => Format::Clap,
            AnyBundle::Vst3(_) => Format::Vst3,
        }
    }

    /// A new instance with `state` loaded and the render mode set, activated at `sample_rate`
    /// for blocks of up to `max_block`.
    ///
    /// nice-plug 0.4.2's VST3 wrapper hands the plugin the *previous* process mode on each
    /// `setupProcessing` (docs/dev/vst3-host-notes.md), so an offline VST3 instance is set up and
    /// activated twice, as some DAWs do, before it renders; CLAP takes the mode at once.
    pub fn start(
        &self,
        state: Option<&[u8]>,
        offline: bool,
        sample_rate: f64,
        max_block: usize,
    ) -> anyhow::Result<Box<dyn PluginSession + '_>> {
        let mut session: Box<dyn PluginSession> = match self {
            AnyBundle::Clap(bundle) => Box::new(Session::new(bundle, state, offline)?),
            AnyBundle::Vst3(bundle) => {
                let mut session = Vst3Session::new(bundle, state, offline)?;
                if offline {
                    session.activate(sample_rate, max_block)?;
                    session.deactivate()?;
                }
                Box::new(session)
            }
        };
        session.activate(sample_rate, max_block)?;
        Ok(session)
    }

    /// Renders stereo `input` (two equal-length channels) through a new instance, then
    /// deactivates it and saves its state.
    pub fn render(&self, input: &[Vec<f32>], options: &RenderOptions) -> anyhow::Result<Rendered> {
        let mut session = self.start(
            options.state.as_deref(),
            options.offline,
            options.sample_rate,
            options.schedule.max(),
        )?;
        render_in(session.as_mut(), input, options)
    }
}

/// Renders `input` through an activated `session`, deactivates it and saves its state.
pub(crate) fn render_in(
    session: &mut dyn PluginSession,
    input: &[Vec<f32>],
    options: &RenderOptions,
) -> anyhow::Result<Rendered> {
    let processed = session.process(input, options.schedule, options.pace)?;
    session.deactivate()?;
    Ok(Rendered {
        output: processed.output,
        state: session.save_state()?,
        max_process_time: processed.max_process_time,
        total_process_time: processed.total_process_time,
        waits: processed.waits,
        faults: processed.faults,
    })
}

/// A file as a stereo track plays it into a plugin at `sample_rate`: its channels (a mono file
/// on both sides), resampled with the engine's resampler when the file has another rate, as a
/// DAW converts a clip to the project rate. More than two channels is an error.
pub fn read_track(path: &Path, sample_rate: f64) -> anyhow::Result<Vec<Vec<f32>>> {
    let decoded = decode_file_channels(path)?;
    let mut channels = match decoded.channels.len() {
        1 => vec![decoded.channels[0].clone(), decoded.channels[0].clone()],
        2 => decoded.channels,
        n => bail!(
            "{}: {n} channels; the hosts play stereo tracks",
            path.display()
        ),
    };
    let rate = sample_rate.round() as u32;
    if decoded.sample_rate != rate {
        for channel in &mut channels {
            *channel = resample(channel, decoded.sample_rate, rate)?;
        }
    }
    Ok(channels)
}

/// Renders the file at `path` through `bundle` ([`read_track`] at `options.sample_rate`, then
/// [`AnyBundle::render`]). Returns what the render gave and the input it played.
pub fn render_file(
    bundle: &AnyBundle,
    path: &Path,
    options: &RenderOptions,
) -> anyhow::Result<(Rendered, Vec<Vec<f32>>)> {
    let input = read_track(path, options.sample_rate)?;
    let rendered = bundle
        .render(&input, options)
        .with_context(|| format!("rendering {}", path.display()))?;
    Ok((rendered, input))
}
