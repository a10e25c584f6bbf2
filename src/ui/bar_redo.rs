//! Redoing chosen bars from the window, and stepping back and forth through the changes made
//! to the idea on the roll: the buttons and keys (M, C, B; Ctrl+Z, Ctrl+Shift+Z) and what they
//! send to the worker. The new bars play from one bar before the selection, so the seam is heard.

use super::bar_selection::BarSelection;
use super::{CurrentIdea, SongsketchApp, capitalized};
use crate::music::TICKS_PER_QUARTER;
use crate::worker::{BarPart, Part, Request};

/// Earlier and later versions of the idea on the roll (each redo of bars, melody or chorus is
/// one step); a new idea starts a new history.
#[derive(Debug, Default)]
pub struct IdeaHistory {
    undo: Vec<CurrentIdea>,
    redo: Vec<CurrentIdea>,
}

impl IdeaHistory {
    /// The idea before a change, remembered for undo.
    pub(super) fn changed_from(&mut self, previous: CurrentIdea) {
        self.undo.push(previous);
        self.redo.clear();
    }

    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }

    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }
}

/// The buttons for the selected bars: label, part, key.
const REDO_BUTTONS: [(&str, BarPart, &str); 3] = [
    ("Redo melody", BarPart::Melody, "M"),
    ("Redo chords", BarPart::Chords, "C"),
    ("Redo both", BarPart::Both, "B"),
];

impl SongsketchApp {
    /// The selected bars, if any.
    pub fn selected_bars(&self) -> Option<BarSelection> {
        self.roll.bars.selection
    }

    /// Selects bars (0-based, inclusive) as a drag across the roll's header would.
    pub fn select_bars(&mut self, first: usize, last: usize) {
        self.roll.bars.selection = Some(BarSelection::between(first, last));
        if let Some(current) = &self.current {
            self.roll.bars.fit_to(current.idea.sheet().bar_count());
        }
    }

    pub fn history(&self) -> &IdeaHistory {
        &self.history
    }

    /// Asks the worker for new `part` in the selected bars (keys M, C, B).
    pub fn redo_bars(&mut self, part: BarPart) {
        let (Some(selection), Some(current)) = (self.roll.bars.selection, &self.current) else {
            return;
        };
        if self.roll.bars.busy {
            return;
        }
        let idea = current.idea.clone();
        self.stop();
        self.waiting_for_idea = true;
        self.roll.bars.busy = true;
        self.send(Request::Regenerate {
            idea: Box::new(idea),
            part: Part::Bars {
                first: selection.first,
                last: selection.last,
                part,
            },
        });
    }

    /// A changed version of the idea arrived: remember the one it replaces, show it and play
    /// it from one bar before the change.
    pub(super) fn on_changed_idea(&mut self, idea: CurrentIdea, part: Part) {
        self.roll.bars.busy = false;
        if let Some(previous) = self.current.take() {
            self.history.changed_from(previous);
        }
        let from_bar = match part {
            Part::Bars { first, .. } => first.saturating_sub(1),
            Part::ChorusForVerse => idea.idea.verse().bars.len().saturating_sub(1),
            Part::MelodyOverChords => 0,
        };
        let sheet = idea.idea.sheet();
        let tick = sheet.bar_starts().get(from_bar).copied().unwrap_or(0);
        let seconds = f64::from(tick) / f64::from(TICKS_PER_QUARTER) * 60.0 / sheet.tempo.bpm();
        self.show(idea);
        self.remember_change();
        if self.player.unavailable_reason().is_none() {
            self.play_from(seconds);
        }
    }

    /// Steps back to the idea before the last change (Ctrl+Z).
    pub fn undo_change(&mut self) {
        if let Some(previous) = self.history.undo.pop() {
            self.stop();
            if let Some(current) = self.current.take() {
                self.history.redo.push(current);
            }
            self.show(previous);
            self.remember_change();
        }
    }

    /// Steps forward again (Ctrl+Shift+Z).
    pub fn redo_change(&mut self) {
        if let Some(next) = self.history.redo.pop() {
            self.stop();
            if let Some(current) = self.current.take() {
                self.history.undo.push(current);
            }
            self.show(next);
            self.remember_change();
        }
    }

    /// M, C, B for the selected bars; Ctrl+Z and Ctrl+Shift+Z through the changes.
    pub(super) fn handle_edit_shortcuts(&mut self, ctx: &egui::Context) {
        let none = egui::Modifiers::NONE;
        let undo_keys = egui::Modifiers::COMMAND;
        let redo_keys = egui::Modifiers::COMMAND | egui::Modifiers::SHIFT;
        let (parts, redo, undo) = ctx.input_mut(|i| {
            let parts: Vec<BarPart> = [
                (egui::Key::M, BarPart::Melody),
                (egui::Key::C, BarPart::Chords),
                (egui::Key::B, BarPart::Both),
            ]
            .into_iter()
            .filter(|(key, _)| i.consume_key(none, *key))
            .map(|(_, part)| part)
            .collect();
            let redo = i.consume_key(redo_keys, egui::Key::Z);
            let undo = i.consume_key(undo_keys, egui::Key::Z);
            (parts, redo, undo)
        });
        if let Some(&part) = parts.first() {
            self.redo_bars(part);
        }
        if redo {
            self.redo_change();
        } else if undo {
            self.undo_change();
        }
    }

    /// The row of buttons for the selected bars (or a hint how to select some), and undo/redo.
    pub(super) fn bar_redo_row(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            let has_idea = self.current.is_some();
            match self.roll.bars.selection.filter(|_| has_idea) {
                Some(selection) => {
                    ui.label(format!("{}:", capitalized(&selection.name())));
                    let busy = self.roll.bars.busy;
                    for (label, part, key) in REDO_BUTTONS {
                        let button = egui::Button::new(format!("{label} {key}"));
                        if ui.add_enabled(!busy, button).clicked() {
                            self.redo_bars(part);
                        }
                    }
                    if ui
                        .add_enabled(!busy, egui::Button::new("Clear selection"))
                        .clicked()
                    {
                        self.roll.bars.selection = None;
                    }
                }
                None if has_idea => {
                    ui.weak("Drag across the bar ruler (or shift-click bars) to redo some bars.");
                }
                None => {}
            }
            ui.separator();
            let undo = egui::Button::new("Undo change");
            if ui
                .add_enabled(self.history.can_undo(), undo)
                .on_hover_text("Ctrl+Z")
                .clicked()
            {
                self.undo_change();
            }
            let redo = egui::Button::new("Redo change");
            if ui
                .add_enabled(self.history.can_redo(), redo)
                .on_hover_text("Ctrl+Shift+Z")
                .clicked()
            {
                self.redo_change();
            }
        });
    }
}
