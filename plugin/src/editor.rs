//! The editor: current genre and mood with confidence bars, their history over the session, chunk
//! progress, the models and what they were trained on, and the counters. Large type, so it reads
//! from across a room. It only reads what the analysis published, and sends model requests down.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use egui::{Color32, FontId, RichText, Stroke, StrokeKind};
use nice_plug::prelude::*;
use nice_plug_egui::resizable_window::ResizableWindow;
use nice_plug_egui::{
    EguiEditor, EguiNiceSettings, Frame, NiceEguiApp, RepaintNotifier, create_egui_editor,
};

use crate::analyzer::{Command, CommandSender};
use crate::models::{self, SLOTS};
use crate::params::McclstmParams;
use crate::published::{MAX_SLOTS, Published, Snapshot};

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
    create_egui_editor(
        params.editor_state.clone(),
        repaint,
        EguiNiceSettings {
            title: "MCCLSTM".to_string(),
            resize_hint: ResizeHint::resizable()
                .with_min_logical_size(nice_plug::editor::dpi::LogicalSize::new(480.0, 360.0)),
            ..Default::default()
        },
        McclstmEditor {
            params,
            published,
            commands,
            path_input,
        },
    )
}

impl NiceEguiApp for McclstmEditor {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut Frame) {
        ResizableWindow::new("mcclstm-editor")
            .min_size(egui::vec2(480.0, 360.0))
            .show(ui, |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| self.draw(ui));
            });
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
        // Active slots side by side when the window is wide enough, so genre and mood read at a
        // glance; stacked otherwise.
        let active: Vec<usize> = (0..MAX_SLOTS)
            .filter(|&s| snapshot.slots[s].active)
            .collect();
        if active.len() >= 2 && ui.available_width() >= 700.0 {
            ui.columns(active.len(), |columns| {
                for (column, &slot) in columns.iter_mut().zip(&active) {
                    self.draw_slot(column, slot, &snapshot);
                }
            });
        } else {
            for &slot in &active {
                self.draw_slot(ui, slot, &snapshot);
                ui.separator();
            }
        }
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

    fn draw_slot(&mut self, ui: &mut egui::Ui, slot: usize, snapshot: &Snapshot) {
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
                let v = info.verdict(probs);
                if v.unsure {
                    // Two classes nearly tied, or none likely: say so, with both leaders.
                    (
                        format!(
                            "unsure: {} {:.0}% / {} {:.0}%",
                            info.labels[v.top],
                            v.top_p * 100.0,
                            info.labels[v.second],
                            v.second_p * 100.0
                        ),
                        Color32::LIGHT_GRAY,
                        26.0,
                    )
                } else {
                    (
                        format!("{}  {:.0}%", info.labels[v.top], v.top_p * 100.0),
                        class_colour(v.top),
                        40.0,
                    )
                }
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

        // Confidence bars, one per class, in label order and colour.
        if !silence && chunks > 0 {
            for (i, (label, &prob)) in info.labels.iter().zip(probs).enumerate() {
                ui.horizontal(|ui| {
                    ui.add_sized([90.0, 16.0], egui::Label::new(label.as_str()));
                    let width = (ui.available_width() - 60.0).max(40.0);
                    let (rect, _) =
                        ui.allocate_exact_size(egui::vec2(width, 14.0), egui::Sense::hover());
                    let painter = ui.painter();
                    painter.rect_filled(rect, 2.0, Color32::from_gray(40));
                    let mut bar = rect;
                    bar.set_width(rect.width() * prob.clamp(0.0, 1.0));
                    painter.rect_filled(bar, 2.0, class_colour(i));
                    ui.label(format!("{:>3.0}%", prob * 100.0));
                });
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

        // History strip: one cell per chunk, coloured by its top class; a gap marks a reset.
        let entries: Vec<(u64, usize)> = self
            .params
            .history
            .lock()
            .map(|h| {
                h.slots
                    .get(slot)
                    .map(|q| {
                        q.iter()
                            .map(|e| {
                                let top = info.labels.iter().position(|l| *l == e.top).unwrap_or(0);
                                (e.segment, top)
                            })
                            .collect()
                    })
                    .unwrap_or_default()
            })
            .unwrap_or_default();
        let (rect, _) =
            ui.allocate_exact_size(egui::vec2(ui.available_width(), 22.0), egui::Sense::hover());
        let painter = ui.painter();
        painter.rect_stroke(
            rect,
            2.0,
            Stroke::new(1.0, Color32::from_gray(70)),
            StrokeKind::Inside,
        );
        if !entries.is_empty() {
            let cell = (rect.width() / entries.len().max(60) as f32).max(1.0);
            let shown = ((rect.width() / cell) as usize).min(entries.len());
            let start = entries.len() - shown;
            for (k, &(segment, top)) in entries[start..].iter().enumerate() {
                let x = rect.left() + k as f32 * cell;
                let mut r = egui::Rect::from_min_size(
                    egui::pos2(x, rect.top()),
                    egui::vec2(cell, rect.height()),
                );
                if k > 0 && entries[start + k - 1].0 != segment {
                    r.min.x += 1.0;
                }
                painter.rect_filled(r.shrink2(egui::vec2(0.0, 2.0)), 0.0, class_colour(top));
            }
        }
        ui.horizontal_wrapped(|ui| {
            for (i, label) in info.labels.iter().enumerate() {
                let (swatch, _) =
                    ui.allocate_exact_size(egui::vec2(10.0, 10.0), egui::Sense::hover());
                ui.painter().rect_filled(swatch, 2.0, class_colour(i));
                ui.label(label.as_str());
            }
        });

        // The model, what it learned from, and a way to load another.
        ui.label(RichText::new(format!("{} · {}", info.model, info.source)).weak());
        if info.model.contains("random weights") {
            ui.label(
                RichText::new("untrained development model: classes are not meaningful yet")
                    .color(Color32::YELLOW),
            );
        }
        self.draw_model_loader(ui, slot, info.error.as_deref());
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
