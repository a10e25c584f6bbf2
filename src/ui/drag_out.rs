//! Dragging an idea out of the window as a `.mid` file: the drag handles arm a drag, and once
//! the pointer leaves the window with the button still held, the idea is written to a lasting
//! folder (the same bytes "Save as MIDI…" writes) and handed to [`crate::dnd`], which runs the
//! platform's drag. How it ended comes back over a channel and shows in the status line.

use std::path::{Path, PathBuf};

use crossbeam_channel::{Receiver, Sender};
use raw_window_handle::HasWindowHandle;

use crate::dnd::{self, DndError, DragOutcome};
use crate::music::Idea;

/// The tooltip of a drag handle where dragging out works.
pub const DRAG_HINT: &str = "Drag onto a DAW track, a folder or the desktop to drop a .mid file";

/// Which idea a drag handle stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DragSource {
    /// A kept idea, by its library id.
    Kept(u64),
    /// The idea on the roll.
    Current,
}

/// An idea ready to be written: the idea and its file name (e.g. `Am-96bpm-12.mid`).
pub struct DragFile {
    pub idea: Idea,
    pub file_name: String,
}

impl DragFile {
    /// The file of an idea numbered `number` (its library id, or its seed when not kept).
    pub fn new(idea: Idea, number: u64) -> Self {
        let number = u32::try_from(number).unwrap_or(u32::MAX);
        let file_name = crate::midi::write::idea_file_name(&idea, number);
        DragFile { idea, file_name }
    }
}

/// What the status line should say about a drag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DragReport {
    /// Something happened; plain words for the activity part.
    Activity(String),
    /// Something failed; plain words for the error part.
    Error(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum DragState {
    Idle,
    /// A handle was pressed and moved; the drag starts when the pointer leaves the window.
    Armed(DragSource),
    /// The platform drag runs; its file name.
    Running(String),
}

/// The drag-out state of the window.
pub struct DragOut {
    state: DragState,
    /// Where dragged files are written; they stay, since the target may read them later.
    folder: PathBuf,
    /// Whether this window can drag out; the error is the tooltip. Known after the first frame.
    support: Option<Result<(), String>>,
    results_tx: Sender<(String, Result<DragOutcome, DndError>)>,
    results: Receiver<(String, Result<DragOutcome, DndError>)>,
}

impl DragOut {
    /// Drag-out writing its files into `folder`.
    pub fn new(folder: PathBuf) -> Self {
        let (results_tx, results) = crossbeam_channel::unbounded();
        DragOut {
            state: DragState::Idle,
            folder,
            support: None,
            results_tx,
            results,
        }
    }

    /// The tooltip for drag handles: how to use them, or why they cannot work here.
    pub fn hint(&self) -> &str {
        match &self.support {
            Some(Err(why)) => why,
            _ => DRAG_HINT,
        }
    }

    /// Shows the grabbing hand while a drag is armed or running. Outside the window it shows
    /// too: the window keeps the pointer while the button is held.
    pub fn show_cursor(&self, ctx: &egui::Context) {
        if self.state != DragState::Idle {
            ctx.set_cursor_icon(egui::CursorIcon::Grabbing);
        }
    }

    /// A handle for `source` started being dragged inside the window.
    pub fn arm(&mut self, source: DragSource) {
        if self.state == DragState::Idle {
            self.state = DragState::Armed(source);
        }
    }

    /// Learns once whether `window` can drag out (for the tooltips).
    pub fn check_window(&mut self, window: &impl HasWindowHandle) {
        if self.support.is_none() {
            self.support = Some(match dnd::check_support(window) {
                Ok(()) => Ok(()),
                Err(DndError::Unsupported(why)) => Err(why),
                Err(_) => Err(dnd::UNSUPPORTED_MESSAGE.to_string()),
            });
        }
    }

    /// The source of an armed drag once the pointer has left the window with the button still
    /// held: the moment to [`start`](Self::start) the platform drag. A release inside the
    /// window disarms it.
    pub fn left_window(&mut self, ctx: &egui::Context) -> Option<DragSource> {
        let DragState::Armed(source) = self.state else {
            return None;
        };
        let window = ctx.content_rect();
        let (button_down, pointer) =
            ctx.input(|input| (input.pointer.primary_down(), input.pointer.latest_pos()));
        let inside = pointer.is_some_and(|pos| window.contains(pos));
        if !button_down {
            self.state = DragState::Idle;
            return None;
        }
        if inside {
            return None;
        }
        self.state = DragState::Idle;
        Some(source)
    }

    /// Writes the file and hands it to the platform drag.
    pub fn start(
        &mut self,
        ctx: &egui::Context,
        window: &impl HasWindowHandle,
        file: DragFile,
    ) -> DragReport {
        let path = match write_idea_file(&self.folder, &file) {
            Ok(path) => path,
            Err(error) => return DragReport::Error(format!("Could not drag the idea: {error:#}")),
        };
        let results = self.results_tx.clone();
        let wake = ctx.clone();
        let name = file.file_name.clone();
        let on_done = move |outcome| {
            let _ = results.send((name, outcome));
            wake.request_repaint();
        };
        match dnd::start_drag_from_window(window, &path, on_done) {
            Ok(()) => {
                self.state = DragState::Running(file.file_name.clone());
                DragReport::Activity(format!("Dragging {}…", file.file_name))
            }
            Err(error) => DragReport::Error(format!("Could not drag the idea: {error}")),
        }
    }

    /// How the last drag ended, once it has.
    pub fn finished(&mut self) -> Option<DragReport> {
        let (name, outcome) = self.results.try_recv().ok()?;
        if self.state == DragState::Running(name.clone()) {
            self.state = DragState::Idle;
        }
        Some(match outcome {
            Ok(DragOutcome::Dropped { .. }) => DragReport::Activity(format!("Dropped {name}.")),
            Ok(DragOutcome::Refused) => {
                DragReport::Activity(format!("{name} was not accepted there."))
            }
            Ok(DragOutcome::Cancelled) => {
                DragReport::Activity(format!("Drag of {name} cancelled."))
            }
            Err(error) => DragReport::Error(format!("Dragging {name} failed: {error}")),
        })
    }

    /// Writes the file a drag would drop and gives its path (for "Copy path").
    pub fn write_file(&self, file: &DragFile) -> anyhow::Result<PathBuf> {
        write_idea_file(&self.folder, file)
    }
}

/// Writes `file` into `folder` exactly as "Save as MIDI…" would, and gives its path.
fn write_idea_file(folder: &Path, file: &DragFile) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(folder)
        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", folder.display()))?;
    let path = folder.join(&file.file_name);
    super::dialogs::save_idea_as_midi(&file.idea, &path)?;
    Ok(path)
}

/// The id of the drag handle of `source` (tests find the handle on screen by it).
pub fn drag_handle_id(source: DragSource) -> egui::Id {
    egui::Id::unique(("songsketch drag handle", source))
}

/// A grip of six dots that can be dragged; painted, so it needs no symbol font.
pub fn drag_handle(ui: &mut egui::Ui, source: DragSource, hint: &str) -> egui::Response {
    let (_, rect) = ui.allocate_space(egui::vec2(12.0, 18.0));
    let response = ui.interact(rect, drag_handle_id(source), egui::Sense::drag());
    let color = if response.hovered() || response.dragged() {
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
        .on_hover_cursor(egui::CursorIcon::Grab)
        .on_hover_text(hint)
}
