//! mcclstm-plugin: MCCLSTM as a VST3 and CLAP plugin that shows the live genre and mood of the
//! audio passing through it.
//!
//! The live path (docs/DESIGN.md, "The live path"), one file per stage:
//!
//! - [`plugin`]: the audio-thread side. `process()` passes audio through untouched, downmixes it
//!   to mono and writes it into an SPSC ring ([`rtrb`]); nothing else.
//! - [`thread`]: the analysis thread drains the ring into the [`analyzer`], which runs the
//!   engine's one pipeline (`mcclstm_engine::stream`) with a lane per model slot.
//! - [`published`]: results go to the editor as one coherent snapshot per update (a triple
//!   buffer); [`history`] keeps past chunks and is saved with the project.
//! - [`editor`]: the egui editor reads the snapshot and sends commands (model loads) back down;
//!   [`timeline`] lays the history out on a time axis and exports it as JSON and CSV.
//!
//! When a CLAP host renders offline, the analysis runs inline in `process()` instead, so a bounce
//! is deterministic and equals `mcclstm analyze` on the same audio. Under VST3, whose reported mode
//! nice-plug 0.4.2 delays by one `setupProcessing`, every render goes through the ring and the
//! analysis thread, and `process()` never waits: a bounce keeps pace (a longer ring when the host
//! says offline), and what a host faster than the analysis cannot fit is dropped, counted, and
//! marked in the ring ([`analyzer::GAP_MARK`]) so the history shows the gap where it was.

pub mod analyzer;
pub mod editor;
pub mod history;
pub mod models;
pub mod params;
mod pin;
pub mod plugin;
pub mod published;
pub mod thread;
pub mod timeline;

pub use plugin::Mcclstm;

nice_plug::nice_export_clap!(Mcclstm);
nice_plug::nice_export_vst3!(Mcclstm);
