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

    /// The editor's window size and zoom, saved with the project; the editor opens at it.
    #[persist = "editor-view"]
    pub editor_view: Arc<Mutex<EditorView>>,
}

/// The editor's size (logical pixels) and zoom, as saved. Held to sane bounds on load, so a
/// damaged state cannot open a window of a million pixels.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(from = "SavedView")]
pub struct EditorView {
    pub width: f32,
    pub height: f32,
    pub zoom: f32,
}

/// What a state holds, before it is bounded.
#[derive(serde::Deserialize)]
struct SavedView {
    width: f32,
    height: f32,
    #[serde(default = "one")]
    zoom: f32,
}

fn one() -> f32 {
    1.0
}

/// The smallest editor that shows everything, and the default.
pub const EDITOR_MIN: (f32, f32) = (480.0, 360.0);
pub const EDITOR_DEFAULT: (f32, f32) = (900.0, 620.0);

impl From<SavedView> for EditorView {
    fn from(v: SavedView) -> Self {
        let bound = |x: f32, lo: f32, hi: f32, default: f32| {
            if x.is_finite() {
                x.clamp(lo, hi)
            } else {
                default
            }
        };
        Self {
            width: bound(v.width, EDITOR_MIN.0, 4096.0, EDITOR_DEFAULT.0),
            height: bound(v.height, EDITOR_MIN.1, 4096.0, EDITOR_DEFAULT.1),
            zoom: bound(v.zoom, 0.5, 3.0, 1.0),
        }
    }
}

impl Default for EditorView {
    fn default() -> Self {
        Self {
            width: EDITOR_DEFAULT.0,
            height: EDITOR_DEFAULT.1,
            zoom: 1.0,
        }
    }
}

impl EditorView {
    /// A fresh editor state at this size and zoom.
    pub fn editor_state(&self) -> Arc<EguiEditorState> {
        EguiEditorState::from_size(
            nice_plug::editor::dpi::LogicalSize::new(self.width, self.height),
            self.zoom,
        )
    }
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
            editor_view: Arc::new(Mutex::new(EditorView::default())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_editor_view_is_held_to_bounds() {
        let v: EditorView =
            serde_json::from_str(r#"{"width":1e9,"height":-5,"zoom":"NaN"}"#).unwrap_or_default();
        assert_eq!(v, EditorView::default());
        let v: EditorView = serde_json::from_str(r#"{"width":1e9,"height":-5}"#).unwrap();
        assert_eq!((v.width, v.height, v.zoom), (4096.0, EDITOR_MIN.1, 1.0));
        let v: EditorView =
            serde_json::from_str(r#"{"width":1200,"height":700,"zoom":2}"#).unwrap();
        assert_eq!((v.width, v.height, v.zoom), (1200.0, 700.0, 2.0));
        let round: EditorView = serde_json::from_str(&serde_json::to_string(&v).unwrap()).unwrap();
        assert_eq!(round, v);
    }
}
