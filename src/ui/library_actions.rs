//! What the library panel asks for (show, play, rename, delete and undo, save as MIDI, drag
//! out, copy path), the drag-out's part of each frame, and the keep-rate counted beside it.

use super::drag_out::{DragFile, DragReport, DragSource};
use super::library_panel::LibraryAction;
use super::{CurrentIdea, SongsketchApp};
use crate::library::keep_rate::KeepEvent;
use crate::worker::GenerateSettings;

impl SongsketchApp {
    /// Counts what happened to an idea for the keep-rate, under the current model and setting.
    pub(super) fn count(&mut self, event: KeepEvent) {
        let model = self
            .model
            .as_ref()
            .map_or("unknown model".to_string(), |m| m.name.clone());
        let setting = setting_label(&self.settings.generate);
        if let Some(file) = self.keep_rate.as_mut()
            && let Err(error) = file.record(&model, &setting, event)
        {
            self.status.error = Some(format!("The keep-rate: {error}"));
        }
    }

    /// "kept 12 of 80 (15%)" for the current model, if anything was counted.
    pub fn keep_rate_summary(&self) -> Option<String> {
        let model = self.model.as_ref()?;
        let counts = self.keep_rate.as_ref()?.rate().for_model(&model.name);
        (counts.shown > 0).then(|| counts.summary())
    }

    pub(super) fn library_side_panel(&mut self, ui: &mut egui::Ui) {
        let deleted = self.deleted.as_ref().map(|(_, kept)| kept.name.clone());
        // The keep-rate goes at the bottom, so the list does not move when it appears.
        egui::Panel::bottom("keep rate").show(ui, |ui| {
            if let Some(summary) = self.keep_rate_summary() {
                ui.weak(format!("This model: {summary}")).on_hover_text(
                    "Counted on this computer only: ideas shown, kept and discarded.",
                );
            }
        });
        let action = self.library_panel.ui(
            ui,
            self.library.as_ref(),
            deleted.as_deref(),
            self.drag_out.hint(),
        );
        if let Some(action) = action {
            self.on_library_action(ui.ctx(), action);
        }
    }

    /// The file a drag handle stands for: a kept idea numbered by its id, the idea on the roll
    /// by its library id once kept, else by its seed.
    fn drag_file(&self, source: DragSource) -> Option<DragFile> {
        match source {
            DragSource::Kept(id) => {
                let kept = self.library.as_ref()?.get(id)?;
                Some(DragFile::new(kept.idea.clone(), kept.id))
            }
            DragSource::Current => {
                let current = self.current.as_ref()?;
                let number = current.kept_id.or(current.seed).unwrap_or(0);
                Some(DragFile::new(current.idea.clone(), number))
            }
        }
    }

    /// Drag-out's part of a frame: report drags that ended, start the one leaving the window.
    pub(super) fn drag_out_frame(&mut self, ctx: &egui::Context, frame: &eframe::Frame) {
        self.drag_out.check_window(frame);
        if let Some(report) = self.drag_out.finished() {
            self.report(report);
        }
        if let Some(source) = self.drag_out.left_window(ctx)
            && let Some(file) = self.drag_file(source)
        {
            let report = self.drag_out.start(ctx, frame, file);
            self.report(report);
        }
        self.drag_out.show_cursor(ctx);
    }

    fn report(&mut self, report: DragReport) {
        match report {
            DragReport::Activity(text) => self.status.activity = text,
            DragReport::Error(text) => self.status.error = Some(text),
        }
    }

    /// Writes a kept idea's file where drags put theirs and copies its path.
    fn copy_path(&mut self, ctx: &egui::Context, id: u64) {
        let Some(file) = self.drag_file(DragSource::Kept(id)) else {
            return;
        };
        match self.drag_out.write_file(&file) {
            Ok(path) => {
                ctx.copy_text(path.display().to_string());
                self.status.activity = format!("Copied the path of {}.", path.display());
            }
            Err(error) => self.status.error = Some(format!("Could not write the file: {error:#}")),
        }
    }

    fn on_library_action(&mut self, ctx: &egui::Context, action: LibraryAction) {
        let Some(library) = self.library.as_mut() else {
            return;
        };
        match action {
            LibraryAction::Show(id) | LibraryAction::Play(id) => {
                let Some(kept) = library.get(id) else { return };
                let current = CurrentIdea {
                    idea: kept.idea.clone(),
                    seed: kept.seed,
                    kept_id: Some(id),
                };
                self.stop();
                self.show(current);
                if action == LibraryAction::Play(id) {
                    self.play();
                }
            }
            LibraryAction::Rename(id, name) => library.rename(id, &name),
            LibraryAction::Delete(id) => {
                if let Some(removed) = library.remove(id) {
                    self.status.activity = format!("Deleted “{}”.", removed.1.name);
                    self.deleted = Some(removed);
                    if let Some(current) = self.current.as_mut().filter(|c| c.kept_id == Some(id)) {
                        current.kept_id = None;
                    }
                }
            }
            LibraryAction::UndoDelete => {
                if let Some((index, kept)) = self.deleted.take() {
                    let id = kept.id;
                    library.restore(index, kept);
                    if let Some(current) = self
                        .current
                        .as_mut()
                        .filter(|c| c.kept_id.is_none() && self.library_panel.selected == Some(id))
                    {
                        current.kept_id = Some(id);
                    }
                }
            }
            LibraryAction::SaveAsMidi(id) => {
                let Some(file) = self.drag_file(DragSource::Kept(id)) else {
                    return;
                };
                if let Err(error) = self.dialogs.save_as_midi(file.idea, file.file_name) {
                    self.status.error = Some(format!("Could not open the save dialog: {error}"));
                }
            }
            LibraryAction::DragOut(id) => self.drag_out.arm(DragSource::Kept(id)),
            LibraryAction::CopyPath(id) => self.copy_path(ctx, id),
        }
    }
}

/// The setting an idea was made with, as the keep-rate names it.
pub fn setting_label(settings: &GenerateSettings) -> String {
    let s = &settings.sampling;
    format!(
        "temperature {:.2}, top-p {:.2}, phrase return {:.2}, chorus lift {:.2}, {} bars",
        s.temperature, s.top_p, s.phrase_return, s.chorus_lift, settings.bars_per_section
    )
}
