//! Files and folders dropped on the window: a folder becomes the songs to retrain on (the
//! retrain panel opens with it chosen); a MIDI file (or a take recorded from a keyboard)
//! becomes an idea, as the composer chooses: chords written under its melody, or its opening
//! bars continued into a verse and a chorus. While something is dragged over the window, a hint
//! says what a drop will do.

use std::path::PathBuf;

use super::SongsketchApp;
use crate::worker::{Material, MaterialUse, Request};

impl SongsketchApp {
    /// Takes what was dropped on the window this frame, and shows the hint while dragging.
    pub(super) fn handle_dropped_files(&mut self, ctx: &egui::Context) {
        let (dropped, hovering) = ctx.input(|i| {
            let dropped: Vec<PathBuf> = i
                .raw
                .dropped_files
                .iter()
                .map(|f| f.path().to_path_buf())
                .collect();
            (dropped, !i.raw.hovered_files.is_empty())
        });
        if hovering {
            drop_hint(ctx);
        }
        for path in dropped {
            if path.is_dir() {
                self.on_dropped_folder(path);
            } else if is_midi_file(&path) {
                self.material = Some(Material::File(path));
            } else {
                self.status.error = Some(format!(
                    "{} is neither a MIDI file nor a folder: drop a .mid file to write from it, \
                     or a folder of MIDI songs to learn from them.",
                    path.display()
                ));
            }
        }
    }

    /// Asks what a dropped MIDI file or a recorded take becomes.
    pub(super) fn material_window(&mut self, ctx: &egui::Context) {
        let Some(material) = &self.material else {
            return;
        };
        let name = material.describe();
        let mut choice = None;
        let mut open = true;
        egui::Window::new("Your music")
            .open(&mut open)
            .collapsible(false)
            .resizable(false)
            .pivot(egui::Align2::CENTER_CENTER)
            .default_pos(ctx.content_rect().center())
            .show(ctx, |ui| {
                ui.label(format!("What should become of {name}?"));
                let harmonize = ui
                    .button("Write chords for this melody")
                    .on_hover_text("The melody stays note for note; chords are written under it.");
                if harmonize.clicked() {
                    choice = Some(MaterialUse::Harmonize);
                }
                let continued = ui
                    .button("Continue this motif")
                    .on_hover_text("Its opening bars start the verse; the rest is written after.");
                if continued.clicked() {
                    choice = Some(MaterialUse::Continue);
                }
            });
        if !open {
            self.material = None;
            self.show_current_again();
        }
        if let Some(use_as) = choice
            && let Some(material) = self.material.take()
        {
            self.write_from(material, use_as);
        }
    }

    /// Asks the worker for an idea made from the composer's own music.
    pub fn write_from(&mut self, material: Material, use_as: MaterialUse) {
        self.await_new_idea();
        self.status.activity = format!("Writing {}…", use_as.describe());
        self.send(Request::FromMaterial { material, use_as });
    }

    /// The material being chosen for, if any (a dropped file, a recorded take).
    pub fn pending_material(&self) -> Option<&Material> {
        self.material.as_ref()
    }
}

fn is_midi_file(path: &std::path::Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("mid") || e.eq_ignore_ascii_case("midi"))
}

/// A veil over the window saying what a drop does.
fn drop_hint(ctx: &egui::Context) {
    let painter = ctx.layer_painter(egui::LayerId::new(
        egui::Order::Foreground,
        egui::Id::unique("drop hint"),
    ));
    let rect = ctx.content_rect();
    painter.rect_filled(rect, 0.0, egui::Color32::from_black_alpha(160));
    painter.text(
        rect.center(),
        egui::Align2::CENTER_CENTER,
        "Drop a MIDI file to write from it, or a folder of songs to learn from them",
        egui::FontId::proportional(22.0),
        egui::Color32::WHITE,
    );
}
