//! Files and folders dropped on the window: a folder becomes the songs to retrain on (the
//! retrain panel opens with it chosen). While something is dragged over the window, a hint says
//! what a drop will do.

use std::path::PathBuf;

use super::SongsketchApp;

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
            } else {
                self.status.error = Some(format!(
                    "{} is not a folder: drop a folder of MIDI songs to learn from it.",
                    path.display()
                ));
            }
        }
    }
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
        "Drop a folder of MIDI songs to learn from them",
        egui::FontId::proportional(22.0),
        egui::Color32::WHITE,
    );
}
