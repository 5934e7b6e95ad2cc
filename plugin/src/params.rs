//! The plugin's parameters and the data it saves with the host's project.

use std::sync::{Arc, Mutex};

use nice_plug::prelude::*;
use nice_plug_egui::EguiEditorState;

use crate::published::{History, MAX_SLOTS};

/// Default seconds of silence after which the analysis forgets the track: the engine's, so a
/// bounce and `mcclstm analyze` agree out of the box.
pub const DEFAULT_SILENCE_SECONDS: f32 = mcclstm_engine::stream::DEFAULT_SILENCE_RESET_S;

#[derive(Params)]
pub struct McclstmParams {
    /// Silence longer than this ends the track: the LSTM state resets and the editor shows
    /// "silence".
    #[id = "silence"]
    pub silence_seconds: FloatParam,

    /// The analysis history, saved with the project so reopening it shows the past, and so a host
    /// or a test can read the results from the saved state.
    #[persist = "history"]
    pub history: Arc<Mutex<History>>,

    /// A user model file per slot (`None`: the embedded model).
    #[persist = "model-paths"]
    pub model_paths: Arc<Mutex<Vec<Option<String>>>>,

    /// Window size and open state of the editor (not saved: nice-plug-egui 0.6 cannot restore it).
    pub editor_state: Arc<EguiEditorState>,
}

impl Default for McclstmParams {
    fn default() -> Self {
        Self {
            silence_seconds: FloatParam::new(
                "Silence reset",
                DEFAULT_SILENCE_SECONDS,
                FloatRange::Linear {
                    min: 0.5,
                    max: 60.0,
                },
            )
            .with_unit(" s")
            .with_step_size(0.5)
            .with_value_to_string(formatters::v2s_f32_rounded(1)),
            history: Arc::new(Mutex::new(History::default())),
            model_paths: Arc::new(Mutex::new(vec![None; MAX_SLOTS])),
            editor_state: EguiEditorState::from_size(
                nice_plug::editor::dpi::LogicalSize::new(900.0f32, 560.0),
                1.0,
            ),
        }
    }
}
