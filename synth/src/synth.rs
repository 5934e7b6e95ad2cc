//! MIDI to audio with a General MIDI SoundFont (rustysynth, pure Rust), then the level and tone a
//! recording would have: a random gain and a gentle random low-pass, so loudness and brightness are
//! not the same for every track of a class.

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use rustysynth::{MidiFile, MidiFileSequencer, SoundFont, Synthesizer, SynthesizerSettings};

/// Where Debian's `fluid-soundfont-gm` package puts FluidR3 GM (MIT licence). It is installed when
/// it is used (`cargo xtask models`), never committed.
pub const DEFAULT_SOUNDFONT: &str = "/usr/share/sounds/sf2/FluidR3_GM.sf2";

/// A loaded SoundFont, shared by all rendering threads.
#[derive(Clone)]
pub struct Renderer {
    soundfont: Arc<SoundFont>,
    pub path: PathBuf,
}

/// How one rendering should sound besides the notes.
#[derive(Clone, Copy, Debug)]
pub struct Finish {
    /// Peak level after rendering, in dB full scale.
    pub peak_db: f32,
    /// Cut-off of a one-pole low-pass in Hz (the tone of the "recording"); `None` leaves it.
    pub lowpass_hz: Option<f32>,
}

impl Renderer {
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let mut file = std::fs::File::open(path).with_context(|| {
            format!(
                "cannot open the SoundFont {} (install Debian's fluid-soundfont-gm, or pass \
                 --soundfont FILE.sf2)",
                path.display()
            )
        })?;
        let soundfont = SoundFont::new(&mut file)
            .map_err(|e| anyhow::anyhow!("{} is not a usable SoundFont: {e}", path.display()))?;
        Ok(Self {
            soundfont: Arc::new(soundfont),
            path: path.to_path_buf(),
        })
    }

    /// Renders a Standard MIDI File to mono audio of exactly `seconds` at `sample_rate`, then
    /// applies `finish`. `speed` scales the tempo (a time-stretch without a pitch change). Silence (a file with no sounding notes) is an error, not a track.
    pub fn render(
        &self,
        smf: &[u8],
        seconds: f64,
        sample_rate: u32,
        speed: f64,
        finish: Finish,
    ) -> anyhow::Result<Vec<f32>> {
        let midi = MidiFile::new(&mut Cursor::new(smf))
            .map_err(|e| anyhow::anyhow!("rustysynth cannot read the MIDI: {e}"))?;
        let settings = SynthesizerSettings::new(sample_rate as i32);
        let synth = Synthesizer::new(&self.soundfont, &settings)
            .map_err(|e| anyhow::anyhow!("cannot start the synthesiser: {e}"))?;
        let mut sequencer = MidiFileSequencer::new(synth);
        sequencer.play(&Arc::new(midi), false);
        sequencer.set_speed(speed);
        let frames = (seconds * f64::from(sample_rate)).round() as usize;
        let mut left = vec![0.0f32; frames];
        let mut right = vec![0.0f32; frames];
        sequencer.render(&mut left, &mut right);
        let mut mono: Vec<f32> = left
            .iter()
            .zip(&right)
            .map(|(l, r)| 0.5 * (l + r))
            .collect();
        if let Some(cutoff) = finish.lowpass_hz {
            one_pole_lowpass(&mut mono, cutoff, sample_rate as f32);
        }
        let peak = mono.iter().fold(0.0f32, |m, s| m.max(s.abs()));
        anyhow::ensure!(
            peak > 1e-4 && peak.is_finite(),
            "the rendering is silent (peak {peak:e})"
        );
        let gain = 10f32.powf(finish.peak_db / 20.0) / peak;
        mono.iter_mut().for_each(|s| *s *= gain);
        Ok(mono)
    }
}

fn one_pole_lowpass(samples: &mut [f32], cutoff_hz: f32, sample_rate: f32) {
    let a = (-2.0 * std::f32::consts::PI * cutoff_hz / sample_rate).exp();
    let mut state = 0.0f32;
    for s in samples {
        state = (1.0 - a) * *s + a * state;
        *s = state;
    }
}
