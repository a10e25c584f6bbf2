//! The library side panel: kept ideas with their names, dates, keys and tempos; click to view
//! and play, rename, delete (with undo), Save as MIDI…, and the drag handle for drag-out.

use super::drag_out::{DragSource, drag_handle};
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
    /// The drag handle was pressed and dragged: drag-out arms.
    DragOut(u64),
    /// Write the idea's .mid file and copy its path (where dragging out is impossible).
    CopyPath(u64),
}

/// The panel's own view state.
#[derive(Debug, Default)]
pub struct LibraryPanel {
    /// The idea whose name is being edited, with the text so far.
    pub renaming: Option<(u64, String)>,
    /// The idea shown in the roll, if it came from the library.
    pub selected: Option<u64>,
}

impl LibraryPanel {
    /// Draws the list. `deleted` names the idea that can be brought back, if any; `drag_hint`
    /// is the drag handles' tooltip.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        library: Option<&Library>,
        deleted: Option<&str>,
        drag_hint: &str,
    ) -> Option<LibraryAction> {
        let mut action = None;
        ui.heading("Kept ideas");
        let Some(library) = library else {
            ui.weak("The library could not be opened; see the status line.");
            return None;
        };
        if let Some(name) = deleted {
            ui.horizontal_wrapped(|ui| {
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
                    if let Some(asked) = self.row(ui, kept, drag_hint) {
                        action = Some(asked);
                    }
                    ui.separator();
                }
            });
        action
    }

    fn row(
        &mut self,
        ui: &mut egui::Ui,
        kept: &KeptIdea,
        drag_hint: &str,
    ) -> Option<LibraryAction> {
        let mut action = None;
        let selected = self.selected == Some(kept.id);
        ui.horizontal(|ui| {
            let handle = drag_handle(ui, DragSource::Kept(kept.id), drag_hint);
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
        // Wrapped, so the panel keeps its width whatever the buttons need.
        ui.horizontal_wrapped(|ui| {
            if ui.small_button("Play").clicked() {
                action = Some(LibraryAction::Play(kept.id));
            }
            if ui.small_button("Rename").clicked() {
                self.renaming = Some((kept.id, kept.name.clone()));
            }
            if ui.small_button("Save as MIDI…").clicked() {
                action = Some(LibraryAction::SaveAsMidi(kept.id));
            }
            if ui
                .small_button("Copy path")
                .on_hover_text("Write the .mid file and copy where it is")
                .clicked()
            {
                action = Some(LibraryAction::CopyPath(kept.id));
            }
            if ui.small_button("Delete").clicked() {
                action = Some(LibraryAction::Delete(kept.id));
            }
        });
        action
    }
}
