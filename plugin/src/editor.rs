//! The editor: current genre and mood with confidence bars, their history over the session, chunk
//! progress, the models and what they were trained on, and the counters. Large type, so it reads
//! from across a room. It only reads what the analysis published, and sends model requests down.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use egui::{Color32, FontId, RichText, Stroke};
use mcclstm_engine::Summary;
use nice_plug::prelude::*;
use nice_plug_egui::resizable_window::ResizableWindow;
use nice_plug_egui::{
    EguiEditor, EguiNiceSettings, Frame, NiceEguiApp, RepaintNotifier, create_egui_editor,
};

use crate::analyzer::{Command, CommandSender};
use crate::models::{self, SLOTS};
use crate::params::{EDITOR_MIN, McclstmParams};
use crate::published::{MAX_SLOTS, Published, SlotInfo, Snapshot};
use crate::timeline::{self, Overall, Span, Timeline};

/// One colour per class, in label order (cycled past twelve).
const PALETTE: [Color32; 12] = [
    Color32::from_rgb(0x4e, 0x79, 0xa7),
    Color32::from_rgb(0xf2, 0x8e, 0x2b),
    Color32::from_rgb(0xe1, 0x57, 0x59),
    Color32::from_rgb(0x76, 0xb7, 0xb2),
    Color32::from_rgb(0x59, 0xa1, 0x4f),
    Color32::from_rgb(0xed, 0xc9, 0x48),
    Color32::from_rgb(0xb0, 0x7a, 0xa1),
    Color32::from_rgb(0xff, 0x9d, 0xa7),
    Color32::from_rgb(0x9c, 0x75, 0x5f),
    Color32::from_rgb(0xba, 0xb0, 0xac),
    Color32::from_rgb(0x17, 0xbe, 0xcf),
    Color32::from_rgb(0xbc, 0xbd, 0x22),
];

fn class_colour(index: usize) -> Color32 {
    PALETTE[index % PALETTE.len()]
}

pub struct McclstmEditor {
    params: Arc<McclstmParams>,
    published: Arc<Published>,
    commands: CommandSender,
    /// The model path being typed, per slot.
    path_input: [String; MAX_SLOTS],
    /// Where the history is exported (without the extension).
    export_path: String,
    /// What the last export or clear did.
    export_status: Option<(String, bool)>,
}

pub fn create(
    params: Arc<McclstmParams>,
    published: Arc<Published>,
    commands: CommandSender,
    repaint: RepaintNotifier,
) -> Option<EguiEditor<McclstmEditor>> {
    let paths = params
        .model_paths
        .lock()
        .map(|p| p.clone())
        .unwrap_or_default();
    let path_input = std::array::from_fn(|i| paths.get(i).cloned().flatten().unwrap_or_default());
    // The editor opens at the size and zoom saved with the project.
    let view = params.editor_view.lock().map(|v| *v).unwrap_or_default();
    create_egui_editor(
        view.editor_state(),
        repaint,
        EguiNiceSettings {
            title: "MCCLSTM".to_string(),
            resize_hint: ResizeHint::resizable().with_min_logical_size(
                nice_plug::editor::dpi::LogicalSize::new(EDITOR_MIN.0, EDITOR_MIN.1),
            ),
            ..Default::default()
        },
        McclstmEditor {
            params,
            published,
            commands,
            path_input,
            export_path: default_export_path(),
            export_status: None,
        },
    )
}

/// Where the history is exported by default: `~/mcclstm-history` (`.json` or `.csv` added).
fn default_export_path() -> String {
    std::env::var_os("HOME")
        .map(|h| {
            std::path::PathBuf::from(h)
                .join("mcclstm-history")
                .display()
                .to_string()
        })
        .unwrap_or_else(|| "mcclstm-history".to_string())
}

impl NiceEguiApp for McclstmEditor {
    /// The window opened: the analysis starts making live estimates for it.
    fn build(
        &mut self,
        _egui_ctx: egui::Context,
        _nice_gui_ctx: nice_plug::context::gui::GuiContext,
        _frame: &mut Frame,
    ) -> Result<(), nice_plug_egui::baseview::HandlerError> {
        self.published.editor_open.store(true, Ordering::Release);
        Ok(())
    }

    /// The window closed: nobody watches, so no live estimates (committed chunks go on).
    fn editor_closed(&mut self) {
        self.published.editor_open.store(false, Ordering::Release);
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut Frame) {
        ResizableWindow::new("mcclstm-editor")
            .min_size(egui::vec2(EDITOR_MIN.0, EDITOR_MIN.1))
            .show(ui, |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| self.draw(ui));
            });
    }

    /// Remembers the size, so the project reopens the editor as the user left it.
    fn resized(&mut self, new_size: nice_plug_egui::baseview::WindowSize) {
        if let Ok(mut view) = self.params.editor_view.lock() {
            let (w, h) = (
                new_size.logical.width as f32,
                new_size.logical.height as f32,
            );
            if w.is_finite() && h.is_finite() && w >= EDITOR_MIN.0 && h >= EDITOR_MIN.1 {
                view.width = w;
                view.height = h;
            }
        }
    }

    fn zoom_factor_changed(&mut self, zoom_factor: f32) {
        if let Ok(mut view) = self.params.editor_view.lock()
            && zoom_factor.is_finite()
        {
            view.zoom = zoom_factor.clamp(0.5, 3.0);
        }
    }
}

impl McclstmEditor {
    fn draw(&mut self, ui: &mut egui::Ui) {
        let p = self.published.clone();
        // One coherent view of the live results for this whole repaint.
        let snapshot = p.snapshot();
        ui.horizontal(|ui| {
            ui.label(
                RichText::new("MCCLSTM")
                    .font(FontId::proportional(22.0))
                    .strong(),
            );
            let status = if p.offline.load(Ordering::Relaxed) {
                ("offline render", Color32::LIGHT_BLUE)
            } else if snapshot.silence {
                ("silence", Color32::GRAY)
            } else {
                ("listening", Color32::LIGHT_GREEN)
            };
            ui.label(
                RichText::new(status.0)
                    .color(status.1)
                    .font(FontId::proportional(16.0)),
            );
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                ui.label(format!(
                    "dropped {} · invalid {}",
                    p.dropped.load(Ordering::Relaxed),
                    snapshot.invalid
                ));
            });
        });
        ui.separator();
        // Each slot's verdict over its whole history and since the last reset, read under the
        // lock once per repaint.
        let overall: Vec<[Option<Overall>; 2]> = match self.params.history.lock() {
            Ok(h) => (0..MAX_SLOTS)
                .map(|slot| {
                    let info = p.info(slot);
                    let of = |span| {
                        h.slots
                            .get(slot)
                            .and_then(|e| timeline::overall(e, &info, span))
                    };
                    [of(Span::History), of(Span::Segment)]
                })
                .collect(),
            Err(_) => vec![[None, None]; MAX_SLOTS],
        };
        // Active slots side by side when the window is wide enough, so genre and mood read at a
        // glance; stacked otherwise.
        let active: Vec<usize> = (0..MAX_SLOTS)
            .filter(|&s| snapshot.slots[s].active)
            .collect();
        if active.len() >= 2 && ui.available_width() >= 700.0 {
            ui.columns(active.len(), |columns| {
                for (column, &slot) in columns.iter_mut().zip(&active) {
                    self.draw_slot(column, slot, &snapshot, &overall[slot]);
                }
            });
        } else {
            for &slot in &active {
                self.draw_slot(ui, slot, &snapshot, &overall[slot]);
                ui.separator();
            }
        }
        ui.separator();
        self.draw_timeline(ui);
        ui.separator();
        for (slot, results) in snapshot.slots.iter().enumerate() {
            if results.active {
                continue;
            } else {
                // A slot without a model (dance, off by default): only a way to load one.
                ui.label(
                    RichText::new(format!("{} · off", SLOTS[slot].name.to_uppercase()))
                        .font(FontId::proportional(16.0))
                        .weak(),
                );
                let error = p.info(slot).error;
                self.draw_model_loader(ui, slot, error.as_deref());
            }
        }
    }

    /// One summary verdict line: its name, the verdict and how it was formed.
    fn draw_overall(&self, ui: &mut egui::Ui, info: &SlotInfo, name: &str, o: &Overall) {
        let (text, colour, _) = verdict_text(info, &o.probs);
        let chunks = match o.chunks {
            1 => "1 chunk".to_string(),
            n => format!("{n} chunks"),
        };
        let how = match o.rule {
            Summary::Mean => format!("the mean of {chunks}"),
            Summary::Last => format!("its last estimate, of {chunks}"),
        };
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new(name).weak());
            ui.label(RichText::new(text).color(colour).strong());
            ui.label(RichText::new(how).weak());
        });
    }

    fn draw_slot(
        &mut self,
        ui: &mut egui::Ui,
        slot: usize,
        snapshot: &Snapshot,
        [overall, segment]: &[Option<Overall>; 2],
    ) {
        let results = &snapshot.slots[slot];
        let info = self.published.info(slot);
        let probs = results.probs(info.labels.len());
        let chunks = results.chunks_since_reset;
        let silence = snapshot.silence;
        let task = if info.task.is_empty() {
            SLOTS[slot].name
        } else {
            &info.task
        };

        ui.horizontal(|ui| {
            ui.label(
                RichText::new(task.to_uppercase())
                    .font(FontId::proportional(16.0))
                    .weak(),
            );
            let (text, colour, size) = if silence {
                ("silence".to_string(), Color32::GRAY, 40.0)
            } else if chunks == 0 || probs.is_empty() {
                ("listening…".to_string(), Color32::GRAY, 40.0)
            } else {
                let (text, colour, sure) = verdict_text(&info, probs);
                // A class the model is sure of reads largest; tags and "unsure" take more room.
                let size = if info.present_tags(probs).is_some() {
                    24.0
                } else if sure {
                    40.0
                } else {
                    26.0
                };
                (text, colour, size)
            };
            ui.label(
                RichText::new(text)
                    .font(FontId::proportional(size))
                    .color(colour)
                    .strong(),
            );
        });

        // Whether what is shown is committed (equal to `mcclstm analyze`) or a live estimate.
        if !silence && chunks > 0 {
            let (text, colour) = if results.provisional {
                (
                    format!(
                        "live estimate (provisional) · heard to {:.1} s",
                        results.heard_to_s
                    ),
                    Color32::from_rgb(0xed, 0xc9, 0x48),
                )
            } else {
                (
                    format!(
                        "chunk {chunks} committed · heard to {:.1} s",
                        results.heard_to_s
                    ),
                    Color32::GRAY,
                )
            };
            ui.label(RichText::new(text).color(colour).italics());
        }

        // The verdict over the whole history, by the model's summary rule: what `mcclstm analyze`
        // would say of the audio heard so far, and what the JSON export writes. Under the mean
        // rule, after a reset (a silence between songs, a transport jump) the whole history mixes
        // what came before, so the latest segment's own verdict follows; under the last rule the
        // last estimate is already the latest segment's.
        let shown = |o: &&Overall| o.probs.len() == info.labels.len() && o.chunks > 0;
        if let Some(o) = overall.as_ref().filter(shown) {
            self.draw_overall(ui, &info, "overall", o);
            if let Some(s) = segment.as_ref().filter(shown)
                && s.rule == Summary::Mean
                && s.chunks < o.chunks
            {
                self.draw_overall(ui, &info, "since the last reset", s);
            }
        }

        // Compact confidence bars, one per class, in label order and colour; the leader's is
        // outlined.
        if !silence && chunks > 0 {
            const ROW: f32 = 13.0;
            const NAME_W: f32 = 78.0;
            const PCT_W: f32 = 38.0;
            let width = ui.available_width().max(200.0);
            let (rect, _) = ui.allocate_exact_size(
                egui::vec2(width, ROW * probs.len() as f32),
                egui::Sense::hover(),
            );
            let painter = ui.painter_at(rect);
            let text_colour = ui.visuals().text_color();
            let top_class = mcclstm_engine::runner::argmax(probs);
            for (i, (label, &prob)) in info.labels.iter().zip(probs).enumerate() {
                let y = rect.top() + i as f32 * ROW;
                painter.text(
                    egui::pos2(rect.left() + NAME_W - 6.0, y + ROW / 2.0),
                    egui::Align2::RIGHT_CENTER,
                    label,
                    FontId::proportional(11.5),
                    text_colour,
                );
                let lane = egui::Rect::from_min_max(
                    egui::pos2(rect.left() + NAME_W, y + 2.0),
                    egui::pos2(rect.right() - PCT_W, y + ROW - 2.0),
                );
                painter.rect_filled(lane, 2.0, Color32::from_gray(40));
                let mut bar = lane;
                bar.set_width(lane.width() * prob.clamp(0.0, 1.0));
                painter.rect_filled(bar, 2.0, class_colour(i));
                if i == top_class {
                    painter.rect_stroke(
                        lane,
                        2.0,
                        Stroke::new(1.0, Color32::from_gray(150)),
                        egui::StrokeKind::Outside,
                    );
                }
                painter.text(
                    egui::pos2(rect.right(), y + ROW / 2.0),
                    egui::Align2::RIGHT_CENTER,
                    format!("{:.0}%", prob * 100.0),
                    FontId::monospace(11.0),
                    text_colour,
                );
            }
        }

        // Progress of the chunk being collected.
        let progress = results.progress;
        ui.add(egui::ProgressBar::new(progress).text(format!(
            "chunk {} · {:.0}% · model step {:.2} ms",
            chunks + 1,
            progress * 100.0,
            results.step_ms
        )));

        // The model, what it learned from, and a way to load another.
        ui.label(
            RichText::new(format!(
                "{} · {} · {} runner",
                info.model, info.source, info.runner
            ))
            .weak(),
        );
        if info.model.contains("random weights") {
            ui.label(
                RichText::new("untrained development model: classes are not meaningful yet")
                    .color(Color32::YELLOW),
            );
        }
        self.draw_model_loader(ui, slot, info.error.as_deref());
    }

    /// The session's history on a time axis: a row per slot, its chunks merged into bars where
    /// the verdict holds (grey where the model was unsure), the probabilities at the moment under
    /// the pointer, and Clear / Export.
    fn draw_timeline(&mut self, ui: &mut egui::Ui) {
        let infos: Vec<SlotInfo> = (0..MAX_SLOTS).map(|s| self.published.info(s)).collect();
        // Laid out under the lock (cheap); painted after it is released.
        let (timeline, empty) = match self.params.history.lock() {
            Ok(h) => (Timeline::of(&h, &infos), h.is_empty()),
            Err(_) => (Timeline::default(), true),
        };
        ui.horizontal(|ui| {
            ui.label(
                RichText::new("TIMELINE")
                    .font(FontId::proportional(16.0))
                    .weak(),
            );
            let axis = match timeline.axis {
                timeline::Axis::Transport => "song position",
                timeline::Axis::Session => "session time",
            };
            ui.label(
                RichText::new(format!(
                    "{axis} · merged while the verdict holds · grey: unsure"
                ))
                .weak(),
            );
        });
        let rows: Vec<usize> = (0..timeline.rows.len())
            .filter(|&r| !timeline.rows[r].is_empty())
            .collect();
        if empty || rows.is_empty() {
            ui.label(
                RichText::new("Nothing analysed yet: play audio through the plugin.").italics(),
            );
        } else {
            self.paint_timeline(ui, &timeline, &rows, &infos);
        }
        ui.horizontal_wrapped(|ui| {
            if ui
                .button("Clear")
                .on_hover_text("Forget the history (it is saved with the project)")
                .clicked()
                && let Ok(mut h) = self.params.history.lock()
            {
                h.clear_chunks();
                self.export_status = Some(("history cleared".to_string(), true));
            }
            ui.label("export to");
            ui.add(egui::TextEdit::singleline(&mut self.export_path).desired_width(220.0));
            for (button, extension) in [("JSON", "json"), ("CSV", "csv")] {
                if ui
                    .button(format!("Export {button}"))
                    .on_hover_text(format!(
                        "Write the history as {button} (JSON: the schema of `mcclstm analyze \
                         --json`)"
                    ))
                    .clicked()
                {
                    self.export_status = Some(self.export(extension, &infos));
                }
            }
        });
        if let Some((text, ok)) = &self.export_status {
            let colour = if *ok {
                Color32::GRAY
            } else {
                Color32::LIGHT_RED
            };
            ui.label(RichText::new(text).color(colour));
        }
    }

    fn paint_timeline(
        &self,
        ui: &mut egui::Ui,
        timeline: &Timeline,
        rows: &[usize],
        infos: &[SlotInfo],
    ) {
        const NAME_W: f32 = 64.0;
        const ROW_H: f32 = 22.0;
        const AXIS_H: f32 = 16.0;
        let width = ui.available_width().max(200.0);
        let (rect, response) = ui.allocate_exact_size(
            egui::vec2(width, rows.len() as f32 * ROW_H + AXIS_H),
            egui::Sense::hover(),
        );
        let painter = ui.painter_at(rect);
        let (t0, t1) = (timeline.start, timeline.end.max(timeline.start + 10.0));
        let left = rect.left() + NAME_W;
        let bar_w = (rect.right() - left - 4.0).max(10.0);
        let x_of = |t: f64| left + ((t - t0) / (t1 - t0)) as f32 * bar_w;
        let text_colour = ui.visuals().text_color();
        for (r, &slot) in rows.iter().enumerate() {
            let top = rect.top() + r as f32 * ROW_H;
            let name = infos
                .get(slot)
                .map(|i| i.task.clone())
                .filter(|t| !t.is_empty())
                .unwrap_or_else(|| SLOTS[slot].name.to_string());
            painter.text(
                egui::pos2(rect.left(), top + ROW_H / 2.0),
                egui::Align2::LEFT_CENTER,
                name,
                FontId::proportional(13.0),
                text_colour,
            );
            let lane = egui::Rect::from_min_max(
                egui::pos2(left, top + 2.0),
                egui::pos2(left + bar_w, top + ROW_H - 2.0),
            );
            painter.rect_filled(lane, 2.0, Color32::from_gray(35));
            for bar in &timeline.rows[slot] {
                let r = egui::Rect::from_min_max(
                    egui::pos2(x_of(bar.start), lane.top()),
                    egui::pos2(x_of(bar.end).max(x_of(bar.start) + 1.0), lane.bottom()),
                );
                let (fill, label) = match bar.class {
                    Some(c) => (
                        class_colour(c),
                        infos[slot].labels.get(c).cloned().unwrap_or_default(),
                    ),
                    None => (Color32::from_gray(95), "unsure".to_string()),
                };
                painter.rect_filled(r, 1.0, fill);
                if r.width() > 8.0 * label.len() as f32 {
                    painter.text(
                        r.left_center() + egui::vec2(4.0, 0.0),
                        egui::Align2::LEFT_CENTER,
                        label,
                        FontId::proportional(12.0),
                        Color32::BLACK,
                    );
                }
            }
        }
        // The axis: a tick every "nice" step, at most about eight, as m:ss.
        let axis_top = rect.top() + rows.len() as f32 * ROW_H;
        let span = t1 - t0;
        let step = [
            1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0,
        ]
        .into_iter()
        .find(|s| span / s <= 8.0)
        .unwrap_or(7200.0);
        let mut t = (t0 / step).ceil() * step;
        while t <= t1 {
            let x = x_of(t);
            painter.line_segment(
                [egui::pos2(x, axis_top), egui::pos2(x, axis_top + 4.0)],
                Stroke::new(1.0, Color32::GRAY),
            );
            painter.text(
                egui::pos2(x, axis_top + 4.0),
                egui::Align2::CENTER_TOP,
                clock(t),
                FontId::proportional(11.0),
                Color32::GRAY,
            );
            t += step;
        }
        // Hover: the chunk under the pointer in its row, with every class's probability.
        let Some(pos) = response.hover_pos() else {
            return;
        };
        let row = ((pos.y - rect.top()) / ROW_H).floor();
        if pos.x < left || row < 0.0 || row as usize >= rows.len() {
            return;
        }
        let slot = rows[row as usize];
        let t = t0 + f64::from((pos.x - left) / bar_w) * (t1 - t0);
        let entry = self.params.history.lock().ok().and_then(|h| {
            timeline
                .entry_at(&h, slot, t)
                .and_then(|k| h.slots.get(slot)?.get(k).cloned())
        });
        painter.line_segment(
            [egui::pos2(pos.x, rect.top()), egui::pos2(pos.x, axis_top)],
            Stroke::new(1.0, Color32::WHITE),
        );
        let Some(entry) = entry else { return };
        let info = &infos[slot];
        response.on_hover_ui_at_pointer(|ui| {
            let verdict = info.verdict(&entry.probs);
            ui.label(
                RichText::new(format!(
                    "{} · {} – {} · chunk {} of segment {}",
                    info.task,
                    clock(entry.start_s),
                    clock(entry.end_s),
                    entry.chunk + 1,
                    entry.segment
                ))
                .strong(),
            );
            ui.label(verdict.describe(&info.labels));
            let mut ranked: Vec<usize> = (0..entry.probs.len()).collect();
            ranked.sort_by(|&a, &b| entry.probs[b].total_cmp(&entry.probs[a]));
            for &i in &ranked {
                let name = info.labels.get(i).map_or("?", String::as_str);
                ui.label(format!("{name:<12} {:>5.1}%", entry.probs[i] * 100.0));
            }
        });
    }

    /// Writes the history as `export_path.EXTENSION` (atomically); the status to show.
    fn export(&self, extension: &str, infos: &[SlotInfo]) -> (String, bool) {
        let Ok(history) = self.params.history.lock().map(|h| h.clone()) else {
            return ("the history is not readable".to_string(), false);
        };
        let text = match extension {
            "json" => serde_json::to_string_pretty(&timeline::to_json(&history, infos))
                .unwrap_or_default(),
            _ => timeline::to_csv(&history, infos),
        };
        let base = self.export_path.trim();
        let base = if base.is_empty() {
            default_export_path()
        } else {
            base.to_string()
        };
        let path = std::path::PathBuf::from(format!("{base}.{extension}"));
        match mcclstm_engine::atomic_file::write(&path, text.as_bytes()) {
            Ok(()) => (
                format!("wrote {} ({} chunks)", path.display(), history.len()),
                true,
            ),
            Err(e) => (format!("cannot write {}: {e}", path.display()), false),
        }
    }

    /// A model file field with Load and Embedded buttons; a refused file shows its error and the
    /// slot keeps its model.
    fn draw_model_loader(&mut self, ui: &mut egui::Ui, slot: usize, error: Option<&str>) {
        ui.horizontal(|ui| {
            ui.label("model file");
            ui.add(egui::TextEdit::singleline(&mut self.path_input[slot]).desired_width(180.0));
            if ui.button("Load").clicked() && !self.path_input[slot].trim().is_empty() {
                let path = self.path_input[slot].trim().to_string();
                if let Ok(mut paths) = self.params.model_paths.lock() {
                    if paths.len() < MAX_SLOTS {
                        paths.resize(MAX_SLOTS, None);
                    }
                    paths[slot] = Some(path.clone());
                }
                let _ = self.commands.try_send(Command::LoadModel { slot, path });
            }
            if ui.button("Embedded").clicked() {
                if let Ok(mut paths) = self.params.model_paths.lock() {
                    if paths.len() < MAX_SLOTS {
                        paths.resize(MAX_SLOTS, None);
                    }
                    // A slot that is off by default remembers that the user turned it on.
                    paths[slot] = (!SLOTS[slot].enabled).then(|| models::EMBEDDED_PATH.to_string());
                }
                let _ = self.commands.try_send(Command::UseEmbedded { slot });
            }
        });
        if let Some(error) = error {
            ui.label(RichText::new(format!("refused: {error}")).color(Color32::LIGHT_RED));
        }
    }
}

/// How `probs` read for the slot of `info`: the text, its colour, and whether it names one class
/// the model is sure of. Independent tags: every tag present, strongest first, or that none is.
/// Exclusive classes: the leader, or "unsure" with the two leaders when they nearly tie or none
/// is likely.
fn verdict_text(info: &SlotInfo, probs: &[f32]) -> (String, Color32, bool) {
    if let Some(tags) = info.present_tags(probs) {
        return (tags, Color32::WHITE, false);
    }
    let v = info.verdict(probs);
    if v.unsure && info.outputs == mcclstm_engine::Outputs::Independent {
        (
            format!(
                "no tag at {:.0}% or more",
                mcclstm_engine::confidence::TAG_PRESENT * 100.0
            ),
            Color32::LIGHT_GRAY,
            false,
        )
    } else if v.unsure {
        (
            format!(
                "unsure: {} {:.0}% / {} {:.0}%",
                info.labels[v.top],
                v.top_p * 100.0,
                info.labels[v.second],
                v.second_p * 100.0
            ),
            Color32::LIGHT_GRAY,
            false,
        )
    } else {
        (
            format!("{}  {:.0}%", info.labels[v.top], v.top_p * 100.0),
            class_colour(v.top),
            true,
        )
    }
}

/// Seconds as m:ss (h:mm:ss past an hour).
fn clock(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::HistoryEntry;
    use crate::published::{SlotInfo, SlotSnapshot};

    /// Every text the editor lays out in one frame at `size` (logical points) and `zoom`.
    fn frame_texts(editor: &mut McclstmEditor, size: egui::Vec2, zoom: f32) -> Vec<String> {
        let ctx = egui::Context::default();
        ctx.set_zoom_factor(zoom);
        let input = || egui::RawInput {
            screen_rect: Some(egui::Rect::from_min_size(egui::Pos2::ZERO, size)),
            ..Default::default()
        };
        let mut texts = Vec::new();
        // The first pass measures; the second lays out with what it measured.
        for _ in 0..2 {
            let mut output = ctx.run_ui(input(), |ui| editor.draw(ui));
            // No renderer here: the font atlas upload is dropped on purpose.
            output.textures_delta.clear();
            texts = output
                .shapes
                .iter()
                .filter_map(|s| match &s.shape {
                    egui::Shape::Text(t) => Some(t.galley.text().to_string()),
                    _ => None,
                })
                .collect();
        }
        texts
    }

    #[test]
    fn the_editor_shows_each_slot_its_verdict_provisional_state_and_timeline() {
        let published = Arc::new(Published::default());
        let params = Arc::new(McclstmParams::default());
        let labels = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let genre = labels(&["blues", "metal", "rock"]);
        let mood = labels(&["anger", "sadness"]);
        for (slot, (task, labels)) in [("genre", &genre), ("mood", &mood)].into_iter().enumerate() {
            *published.info[slot].lock().unwrap() = SlotInfo {
                task: task.into(),
                labels: labels.clone(),
                model: format!("{task} · MCCLSTM"),
                source: "embedded".into(),
                ..SlotInfo::default()
            };
        }
        let mut snapshot = Snapshot::default();
        let slot = |probs: &[f32], provisional: bool| {
            let mut s = SlotSnapshot {
                active: true,
                sequence: 2,
                chunks_since_reset: 2,
                provisional,
                updates: 5,
                heard_to_s: 8.2,
                ..SlotSnapshot::default()
            };
            s.probs[..probs.len()].copy_from_slice(probs);
            s
        };
        // Genre nearly tied: unsure, with both leaders. Mood sure, and provisional.
        snapshot.slots[0] = slot(&[0.1, 0.46, 0.44], false);
        snapshot.slots[1] = slot(&[0.9, 0.1], true);
        published.publish(&snapshot);
        {
            // Genre's history: two metal chunks, a reset (a silence between songs), one rock.
            let mut h = params.history.lock().unwrap();
            for (segment, k, probs, top) in [
                (0, 0u64, [0.1, 0.8, 0.1], "metal"),
                (0, 1, [0.1, 0.8, 0.1], "metal"),
                (1, 0, [0.1, 0.2, 0.7], "rock"),
            ] {
                let start_s = (2 * segment + k) as f64 * 3.715;
                h.push(
                    0,
                    HistoryEntry {
                        task: "genre".into(),
                        segment,
                        chunk: k,
                        start_s,
                        end_s: start_s + 3.762,
                        probs: probs.to_vec(),
                        top: top.into(),
                        transport_s: None,
                        gap_before_s: None,
                    },
                );
            }
        }
        let (tx, _rx) = crossbeam_channel::unbounded();
        let mut editor = McclstmEditor {
            params,
            published,
            commands: tx,
            path_input: Default::default(),
            export_path: String::new(),
            export_status: None,
        };
        // At the narrowest width (slots stacked) and at 200%, everything a producer reads is laid
        // out (tall canvases: the window scrolls, and shapes outside the screen are dropped).
        for (size, zoom) in [
            (egui::vec2(480.0, 1400.0), 1.0),
            (egui::vec2(900.0, 1400.0), 2.0),
        ] {
            let texts = frame_texts(&mut editor, size, zoom);
            let all = texts.join("\n");
            for needed in [
                "GENRE",
                "MOOD",
                "unsure: metal 46% / rock 44%",
                "anger  90%",
                "live estimate (provisional) · heard to 8.2 s",
                "chunk 2 committed · heard to 8.2 s",
                // Genre's verdict over its history (two metal chunks and a rock one), beside the
                // unsure live one, and since the reset (the rock chunk alone).
                "overall",
                "metal  60%",
                "the mean of 3 chunks",
                "since the last reset",
                "rock  70%",
                "the mean of 1 chunk",
                "TIMELINE",
                "Export JSON",
                "Export CSV",
                "Clear",
            ] {
                assert!(
                    texts.iter().any(|t| t.contains(needed)),
                    "{needed:?} missing at {size:?} x{zoom}: {all}"
                );
            }
            // The timeline's bar names the merged verdict of both history chunks once.
            assert_eq!(texts.iter().filter(|t| *t == "metal").count(), 2, "{all}");
            // Mood has no history yet: one overall verdict, genre's.
            assert_eq!(texts.iter().filter(|t| *t == "overall").count(), 1, "{all}");
            assert_eq!(
                texts
                    .iter()
                    .filter(|t| *t == "since the last reset")
                    .count(),
                1,
                "{all}"
            );
        }
    }

    /// The editor open and repainting as fast as it can while the host plays (10x real time), the
    /// user swaps the genre model (a good file, a damaged one, the embedded one) and the host loads
    /// saved state: every frame lays out, no thread panics or deadlocks, the damaged file's error
    /// reaches the slot while the previous model keeps running, and the untouched mood slot's
    /// chunks are bit for bit those of the same audio analysed with nobody watching.
    #[test]
    fn the_editor_repaints_while_the_host_plays_models_swap_and_state_loads() {
        use crate::analyzer::Analyzer;
        use crate::thread::AnalysisThread;
        use nice_plug_egui::RepaintNotifier;
        use std::sync::atomic::{AtomicBool, AtomicUsize};
        use std::time::{Duration, Instant};

        let rate = 44_100u32;
        let speed = 10.0;
        // 30 s of audio here; longer by hand (`MCCLSTM_STRESS_AUDIO_S=1800`: three minutes).
        let audio_s = std::env::var("MCCLSTM_STRESS_AUDIO_S")
            .ok()
            .and_then(|s| s.parse::<usize>().ok())
            .unwrap_or(30);
        let signal: Vec<f32> = (0..rate as usize * audio_s)
            .map(|i| {
                let t = i as f32 / rate as f32;
                let tau = std::f32::consts::TAU;
                0.3 * (tau * 220.0 * t).sin()
                    + 0.2 * (tau * 55.0 * t).sin() * (1.0 + (tau * 2.0 * t).sin())
            })
            .collect();
        let analyzer = |published: &Arc<Published>, params: &Arc<McclstmParams>| {
            let slots = std::array::from_fn(|slot| models::default_model(slot).map(|m| m.unwrap()));
            Analyzer::new(
                rate,
                slots,
                published.clone(),
                params.clone(),
                RepaintNotifier::new(),
            )
        };
        // The reference: the same audio, nobody watching or touching anything.
        let quiet = Arc::new(McclstmParams::default());
        let mut reference = analyzer(&Arc::new(Published::default()), &quiet);
        for block in signal.chunks(512) {
            reference.push(block);
        }
        let expected = quiet.history.lock().unwrap().slots[1].clone();
        assert!(expected.len() >= 7, "{} mood chunks", expected.len());

        let published = Arc::new(Published::default());
        let params = Arc::new(McclstmParams::default());
        published.editor_open.store(true, Ordering::Release);
        let (mut producer, consumer) = rtrb::RingBuffer::new(rate as usize / 2);
        let (tx, rx) = crossbeam_channel::unbounded();
        let thread = AnalysisThread::spawn(analyzer(&published, &params), consumer, rx).unwrap();

        let dir = std::env::temp_dir().join(format!("mcclstm-stress-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let genre = SLOTS[0].embedded.unwrap();
        let good = dir.join("genre.onnx");
        let damaged = dir.join("damaged.onnx");
        std::fs::write(&good, genre).unwrap();
        std::fs::write(&damaged, &genre[..genre.len() / 2]).unwrap();

        // The host: 512-sample blocks at 10x real time; every sample reaches the ring.
        let fed = Arc::new(AtomicUsize::new(0));
        let done = Arc::new(AtomicBool::new(false));
        let feeder = {
            let (signal, fed, done) = (signal.clone(), fed.clone(), done.clone());
            std::thread::spawn(move || {
                let start = Instant::now();
                for block in signal.chunks(512) {
                    let due = fed.load(Ordering::Relaxed) as f64 / f64::from(rate) / speed;
                    if let Some(wait) = Duration::from_secs_f64(due).checked_sub(start.elapsed()) {
                        std::thread::sleep(wait);
                    }
                    for &x in block {
                        while producer.push(x).is_err() {
                            std::thread::yield_now();
                        }
                    }
                    fed.fetch_add(block.len(), Ordering::Relaxed);
                }
                done.store(true, Ordering::Release);
            })
        };
        // The user and the host's state loads, through the first 60% of the audio; the last
        // command loads the damaged file.
        let user = {
            let (params, tx, fed) = (params.clone(), tx.clone(), fed.clone());
            let (good, damaged) = (good.display().to_string(), damaged.display().to_string());
            std::thread::spawn(move || {
                let (mut swaps, mut loads) = (0, 0);
                let pause = Duration::from_millis(30);
                while fed.load(Ordering::Relaxed) < signal.len() * 6 / 10 {
                    for command in [
                        Command::LoadModel {
                            slot: 0,
                            path: good.clone(),
                        },
                        Command::LoadModel {
                            slot: 0,
                            path: damaged.clone(),
                        },
                        Command::UseEmbedded { slot: 0 },
                    ] {
                        tx.send(command).unwrap();
                        swaps += 1;
                        std::thread::sleep(pause);
                    }
                    // A state load replaces the whole history, as a host does with a project
                    // (through the saved form, so the next chunk starts a new segment).
                    let saved = serde_json::to_string(&*params.history.lock().unwrap()).unwrap();
                    std::thread::sleep(pause);
                    *params.history.lock().unwrap() = serde_json::from_str(&saved).unwrap();
                    loads += 1;
                }
                tx.send(Command::LoadModel {
                    slot: 0,
                    path: damaged,
                })
                .unwrap();
                (swaps, loads)
            })
        };
        let mut editor = McclstmEditor {
            params: params.clone(),
            published: published.clone(),
            commands: tx,
            path_input: Default::default(),
            export_path: String::new(),
            export_status: None,
        };
        let mut frames = 0;
        while !done.load(Ordering::Acquire) {
            let texts = frame_texts(&mut editor, egui::vec2(900.0, 1400.0), 1.0);
            assert!(texts.iter().any(|t| t.contains("MOOD")), "{texts:?}");
            frames += 1;
        }
        feeder.join().unwrap();
        let (swaps, loads) = user.join().unwrap();
        thread.join();
        let _ = std::fs::remove_dir_all(&dir);

        eprintln!(
            "{audio_s} s of audio: {frames} editor frames, {swaps} model swaps, {loads} state loads"
        );
        assert!(frames >= 20, "{frames} frames");
        assert!(
            swaps >= 6 && loads >= 2,
            "{swaps} swaps, {loads} state loads"
        );
        let info = published.info[0].lock().unwrap().clone();
        assert!(
            info.error
                .as_deref()
                .is_some_and(|e| e.contains("not an ONNX model")),
            "{info:?}"
        );
        assert_eq!(info.source, "embedded", "the previous model keeps running");
        let snapshot = published.snapshot();
        assert!(snapshot.slots[0].active && snapshot.slots[0].sequence > 0);
        // The state loads restored older histories, so the mood slot's last chunks (after the
        // last load) are compared: each one equals the reference's chunk of the same number.
        let history = params.history.lock().unwrap();
        let mood = &history.slots[1];
        let last = mood.back().expect("no mood chunk after the state loads");
        assert_eq!(
            last.chunk + 1,
            expected.len() as u64,
            "every sample analysed"
        );
        let after = mood.iter().filter(|e| e.segment == last.segment).count();
        assert!(after >= 2, "{after} mood chunks in the last segment");
        for entry in mood.iter().filter(|e| e.segment == last.segment) {
            let want = &expected[entry.chunk as usize];
            assert_eq!(
                (entry.start_s, entry.end_s, &entry.probs),
                (want.start_s, want.end_s, &want.probs),
                "mood chunk {}",
                entry.chunk
            );
        }
    }
}
