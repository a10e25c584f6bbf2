//! Files and folders dropped on the window: a folder becomes the songs to retrain on (the
//! retrain panel opens with it chosen); a MIDI file becomes an idea, as the composer chooses:
//! chords written under its melody, or its opening bars continued into a verse and a chorus.
//! While something is dragged over the window, a hint says what a drop will do.

use std::path::PathBuf;

use super::SongsketchApp;
use crate::worker::{MaterialUse, Request};

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
                self.dropped_midi = Some(path);
            } else {
                self.status.error = Some(format!(
                    "{} is neither a MIDI file nor a folder: drop a .mid file to write from it, \
                     or a folder of MIDI songs to learn from them.",
                    path.display()
                ));
            }
        }
    }

    /// Asks what a dropped MIDI file becomes.
    pub(super) fn dropped_midi_window(&mut self, ctx: &egui::Context) {
        let Some(path) = self.dropped_midi.clone() else {
            return;
        };
        let name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into(),
        );
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
            self.dropped_midi = None;
        }
        if let Some(use_as) = choice {
            self.dropped_midi = None;
            self.write_from_file(path, use_as);
        }
    }

    /// Asks the worker for an idea made from a MIDI file's music.
    pub fn write_from_file(&mut self, path: PathBuf, use_as: MaterialUse) {
        self.await_new_idea();
        self.status.activity = format!("Writing {}…", use_as.describe());
        self.send(Request::FromFile { path, use_as });
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
