//! The library side panel: kept ideas with their names, dates, keys and tempos; click to view
//! and play, rename, delete (with undo), Save as MIDI…, and the drag handle for drag-out.

use crate::library::{KeptIdea, Library};

/// What the composer asked for in the library this frame.
#[derive(Debug, Clone, PartialEq)]
pub enum LibraryAction {
    Show(u64),
    Play(u64),
    Rename(u64, String),
    Delete(u64),
    UndoDelete,
    SaveAsMidi(u64),
    /// The drag handle was pressed and dragged (issue 7 wires the real drag-out here).
    DragOut(u64),
}

/// The tooltip of the drag handle until drag-out exists.
pub const DRAG_HANDLE_HINT: &str = "Drag-out comes with issue 7; use Save as MIDI…";

/// The panel's own view state.
#[derive(Debug, Default)]
pub struct LibraryPanel {
    /// The idea whose name is being edited, with the text so far.
    pub renaming: Option<(u64, String)>,
    /// The idea shown in the roll, if it came from the library.
    pub selected: Option<u64>,
}

impl LibraryPanel {
    /// Draws the list. `deleted` names the idea that can be brought back, if any.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        library: Option<&Library>,
        deleted: Option<&str>,
    ) -> Option<LibraryAction> {
        let mut action = None;
        ui.heading("Kept ideas");
        let Some(library) = library else {
            ui.weak("The library could not be opened; see the status line.");
            return None;
        };
        if let Some(name) = deleted {
            ui.horizontal(|ui| {
                ui.label(format!("Deleted “{name}”."));
                if ui.button("Undo delete").clicked() {
                    action = Some(LibraryAction::UndoDelete);
                }
            });
        }
        if library.ideas().is_empty() {
            ui.weak("Nothing kept yet. Press Keep (K) on an idea you like.");
            return action;
        }
        egui::ScrollArea::vertical()
            .auto_shrink([false, false])
            .show(ui, |ui| {
                for kept in library.ideas().iter().rev() {
                    if let Some(asked) = self.row(ui, kept) {
                        action = Some(asked);
                    }
                    ui.separator();
                }
            });
        action
    }

    fn row(&mut self, ui: &mut egui::Ui, kept: &KeptIdea) -> Option<LibraryAction> {
        let mut action = None;
        let selected = self.selected == Some(kept.id);
        ui.horizontal(|ui| {
            let handle = drag_handle(ui)
                .on_hover_cursor(egui::CursorIcon::Grab)
                .on_hover_text(DRAG_HANDLE_HINT);
            if handle.drag_started() {
                action = Some(LibraryAction::DragOut(kept.id));
            }
            match &mut self.renaming {
                Some((id, text)) if *id == kept.id => {
                    let edit = ui.add(egui::TextEdit::singleline(text).desired_width(160.0));
                    if !edit.has_focus() && !edit.lost_focus() {
                        edit.request_focus();
                    }
                    let enter = ui.input(|i| i.key_pressed(egui::Key::Enter));
                    let escape = ui.input(|i| i.key_pressed(egui::Key::Escape));
                    if escape {
                        self.renaming = None;
                    } else if edit.lost_focus() || enter {
                        action = Some(LibraryAction::Rename(kept.id, text.clone()));
                        self.renaming = None;
                    }
                }
                _ => {
                    let name = ui
                        .selectable_label(selected, &kept.name)
                        .on_hover_text("Click to view, double-click to rename");
                    if name.double_clicked() {
                        self.renaming = Some((kept.id, kept.name.clone()));
                    } else if name.clicked() {
                        action = Some(LibraryAction::Show(kept.id));
                    }
                }
            }
        });
        ui.horizontal(|ui| {
            ui.weak(format!(
                "{} · {} · {}",
                kept.key_text(),
                kept.tempo_text(),
                kept.date_text()
            ));
        });
        ui.horizontal(|ui| {
            if ui.small_button("Play").clicked() {
                action = Some(LibraryAction::Play(kept.id));
            }
            if ui.small_button("Rename").clicked() {
                self.renaming = Some((kept.id, kept.name.clone()));
            }
            if ui.small_button("Save as MIDI…").clicked() {
                action = Some(LibraryAction::SaveAsMidi(kept.id));
            }
            if ui.small_button("Delete").clicked() {
                action = Some(LibraryAction::Delete(kept.id));
            }
        });
        action
    }
}

/// A grip of six dots that can be dragged; painted, so it needs no symbol font.
fn drag_handle(ui: &mut egui::Ui) -> egui::Response {
    let (rect, response) = ui.allocate_exact_size(egui::vec2(12.0, 18.0), egui::Sense::drag());
    let color = if response.hovered() {
        ui.visuals().strong_text_color()
    } else {
        ui.visuals().weak_text_color()
    };
    for column in [-2.5, 2.5] {
        for row in [-5.0, 0.0, 5.0] {
            let centre = rect.center() + egui::vec2(column, row);
            ui.painter().circle_filled(centre, 1.4, color);
        }
    }
    response.widget_info(|| {
        egui::WidgetInfo::labeled(egui::accesskit::Role::Button, true, "Drag handle")
    });
    response
}
