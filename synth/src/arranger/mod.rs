//! Procedural General MIDI arranger for the ten GTZAN genres and the five soundtrack emotions.
//!
//! The songs train a classifier that only hears a log-mel spectrogram of ~30 s of rendered audio,
//! so every decision here is about what is *audible*: tempo, meter, groove and swing, bass line,
//! harmony and mode, register, timbre (GM program), loudness, articulation, dissonance and room.
//! Each class is one `Traits` table of those cues. Songs are drawn inside ranges that overlap
//! between classes on purpose (shared progressions, shared instruments with other weights, a random
//! key, a random form) so that no single cue gives the label away.
//!
//! Pipeline: class name -> `Traits` -> `Plan` (tempo, key, form, styles and programs, drawn
//! once) -> parts (drums from step grids, bass, comp, pad, melody, accent hits) -> `tidy` (clip to
//! the end, resolve overlapping notes) -> format-1 Standard MIDI File written by the crate's one
//! MIDI writer ([`crate::midi`], through `midly`).
//!
//! One idea per file, in pipeline order:
//!
//! | file | holds |
//! |------|-------|
//! | `mod.rs` | the public API (`genre_song`, `mood_song`, `Song`, `ArrangeError`) and `arrange`, the pipeline |
//! | `dice.rs` | the per-song seeded random stream and the draws made from it (determinism) |
//! | `theory.rs` | musical primitives: ticks and meters, notes, modes, chords, progressions, pitch arithmetic |
//! | `traits.rs` | the per-genre and per-mood cue tables, as data, and the style names they choose from |
//! | `plan.rs` | a song's plan: everything drawn once from the traits, bar by bar |
//! | `drums.rs` | the drum part: grids, generic and light grooves, toms, fills |
//! | `bass.rs` | the bass part |
//! | `harmony.rs` | the chord parts: comp, pad and accent hits |
//! | `melody.rs` | the melody part: motifs in phrases |
//! | `mix.rs` | parts as channels (roles, levels), tidying, and the file layout |
//!
//! Determinism: see `dice.rs`; the same (class, seed, seconds) always gives the same bytes.

mod bass;
mod dice;
mod drums;
mod harmony;
mod melody;
mod mix;
mod plan;
mod theory;
mod traits;

#[cfg(test)]
mod tests;

use rand::SeedableRng;
use rand::rngs::StdRng;

use crate::midi::ChannelSetup;
use dice::{class_seed, coin, range};
use mix::{BASS, COMP, DRUMS, HITS, MELODY, PAD, Part, Role, cc, tidy, write_smf};
use plan::Plan;
use theory::{Note, PPQ};
use traits::{CompStyle, DrumStyle, GENRE_TRAITS, MOOD_TRAITS, Traits};

/// The classes the arranger knows: GTZAN's genres and the soundtrack set's emotions, in the
/// data sets' order (the readers' constants, so the two can never disagree).
pub use mcclstm_data::dataset::{GTZAN_GENRES as GENRES, SOUNDTRACK_EMOTIONS as MOODS};

/// One generated piece.
pub struct Song {
    /// A Standard MIDI File (format 1, first track = tempo/meter map), ready to write to disk or render.
    pub smf: Vec<u8>,
    /// One line a person reads: tempo, meter, key and mode, swing, GM programs used.
    pub summary: String,
    /// Length of the music in seconds (the last note-off), close to the requested length.
    pub seconds: f32,
}

/// Why no song could be arranged.
#[derive(Debug, thiserror::Error)]
pub enum ArrangeError {
    #[error(
        "unknown genre {0:?}; known: blues, classical, country, disco, hiphop, jazz, metal, pop, reggae, rock"
    )]
    UnknownGenre(String),
    #[error("unknown mood {0:?}; known: anger, fear, sadness, happiness, tenderness")]
    UnknownMood(String),
}

/// A song in the style of one GTZAN genre. `seconds` is clamped to 1..=600 (NaN counts as 1); the
/// last note-off lands at most one beat (<= 1.5 s at the slowest tempo here) after it.
pub fn genre_song(genre: &str, seed: u64, seconds: f32) -> Result<Song, ArrangeError> {
    let (name, traits) = GENRES
        .iter()
        .zip(GENRE_TRAITS.iter())
        .find(|(name, _)| **name == genre)
        .ok_or_else(|| ArrangeError::UnknownGenre(genre.to_owned()))?;
    Ok(arrange(name, traits, seed, seconds))
}

/// A song that expresses one soundtrack emotion; same length contract as [`genre_song`].
pub fn mood_song(mood: &str, seed: u64, seconds: f32) -> Result<Song, ArrangeError> {
    let (name, traits) = MOODS
        .iter()
        .zip(MOOD_TRAITS.iter())
        .find(|(name, _)| **name == mood)
        .ok_or_else(|| ArrangeError::UnknownMood(mood.to_owned()))?;
    Ok(arrange(name, traits, seed, seconds))
}

/// The pipeline: plan, parts in a fixed order (the random stream's order), mix, file.
fn arrange(class: &str, traits: &'static Traits, seed: u64, seconds: f32) -> Song {
    let mut rng = StdRng::seed_from_u64(class_seed(class, seed));
    let plan = Plan::draw(traits, &mut rng, seconds);
    let t = traits;
    let side = coin(&mut rng, 0.5, -1.0, 1.0);
    let mut parts = Vec::new();
    let mut add = |rng: &mut StdRng, role: &Role, program: u8, pan: f32, notes: Vec<Note>| {
        parts.push(Part {
            name: role.name,
            setup: ChannelSetup {
                channel: role.channel,
                program,
                volume: cc(range(rng, t.volume) * role.gain),
                pan: cc(64.0 + pan),
                reverb: cc(range(rng, t.reverb) * role.wet),
                chorus: cc(range(rng, t.chorus) * role.wet),
            },
            notes,
        })
    };
    if plan.drums != DrumStyle::Tacet {
        let notes = drums::drums(&plan, &mut rng);
        add(&mut rng, &DRUMS, plan.kit, 0.0, notes);
    }
    let notes = bass::bass(&plan, &mut rng);
    add(&mut rng, &BASS, plan.programs.bass, 0.0, notes);
    let notes = harmony::comp(&plan, &mut rng, plan.comp, t.comp_center, 0.9);
    let pan = side * range(&mut rng, (12.0, 32.0));
    add(&mut rng, &COMP, plan.programs.comp, pan, notes);
    let notes = melody::melody(&plan, &mut rng);
    let pan = range(&mut rng, (-8.0, 8.0));
    add(&mut rng, &MELODY, plan.programs.melody, pan, notes);
    if let Some(program) = plan.programs.pad {
        let notes = harmony::comp(&plan, &mut rng, CompStyle::Pad, t.comp_center + 7, 0.75);
        let pan = -side * range(&mut rng, (12.0, 32.0));
        add(&mut rng, &PAD, program, pan, notes);
    }
    if let Some(program) = plan.programs.hits {
        let notes = harmony::hits(&plan, &mut rng);
        let pan = range(&mut rng, (-30.0, 30.0));
        add(&mut rng, &HITS, program, pan, notes);
    }
    for part in &mut parts {
        tidy(&mut part.notes, plan.end_tick);
    }
    let smf = write_smf(&plan, &parts);
    let seconds =
        f64::from(plan.end_tick) * f64::from(plan.us_per_quarter) / (f64::from(PPQ) * 1.0e6);
    Song {
        smf,
        summary: plan.summary(class),
        seconds: seconds as f32,
    }
}
