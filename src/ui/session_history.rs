//! Back and Forward (← / →) through every idea of the session. Each entry keeps the settings it
//! was made with, and shows them when it comes back; a change to an idea (redone bars, a new
//! melody or chorus) updates its entry.

use super::{CurrentIdea, SongsketchApp};
use crate::worker::GenerateSettings;

/// One idea of the session and the settings it was made with.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionEntry {
    pub idea: CurrentIdea,
    pub settings: GenerateSettings,
}

/// The ideas of the session in the order they came, and which one is on the roll.
#[derive(Debug, Default)]
pub struct SessionHistory {
    entries: Vec<SessionEntry>,
    at: usize,
}

impl SessionHistory {
    /// A new idea: it goes to the end, and is where the history stands.
    fn push(&mut self, entry: SessionEntry) {
        self.entries.push(entry);
        self.at = self.entries.len() - 1;
    }

    /// The idea on the roll changed: its entry follows.
    fn update_current(&mut self, idea: &CurrentIdea) {
        if let Some(entry) = self.entries.get_mut(self.at) {
            entry.idea = idea.clone();
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Where the history stands (0-based).
    pub fn position(&self) -> usize {
        self.at
    }

    pub fn can_go_back(&self) -> bool {
        self.at > 0
    }

    pub fn can_go_forward(&self) -> bool {
        self.at + 1 < self.entries.len()
    }

    pub fn entries(&self) -> &[SessionEntry] {
        &self.entries
    }
}

impl SongsketchApp {
    pub fn session(&self) -> &SessionHistory {
        &self.session
    }

    /// Records a new idea of the session with the settings the worker wrote it with.
    pub(super) fn remember_new_idea(&mut self, idea: &CurrentIdea, settings: GenerateSettings) {
        self.session.push(SessionEntry {
            idea: idea.clone(),
            settings,
        });
    }

    /// Keeps the session's entry in step with the idea on the roll (after a change or a keep).
    pub(super) fn remember_change(&mut self) {
        if let Some(current) = &self.current {
            self.session.update_current(current);
        }
    }

    /// The idea before this one (←).
    pub fn go_back(&mut self) {
        if self.session.can_go_back() {
            self.go_to(self.session.at - 1);
        }
    }

    /// The idea after this one (→).
    pub fn go_forward(&mut self) {
        if self.session.can_go_forward() {
            self.go_to(self.session.at + 1);
        }
    }

    fn go_to(&mut self, index: usize) {
        self.remember_change();
        let Some(entry) = self.session.entries.get(index).cloned() else {
            return;
        };
        self.stop();
        self.session.at = index;
        self.roll.bars = super::bar_selection::SelectionState::default();
        self.history = super::bar_redo::IdeaHistory::default();
        let s = &entry.settings.sampling;
        self.status.activity = format!(
            "Idea {} of {}, made at temperature {:.2}, phrase return {:.2}, chorus lift {:.2}.",
            index + 1,
            self.session.len(),
            s.temperature,
            s.phrase_return,
            s.chorus_lift
        );
        self.show(entry.idea);
    }

    /// ← and →.
    pub(super) fn handle_history_shortcuts(&mut self, ctx: &egui::Context) {
        let none = egui::Modifiers::NONE;
        let (back, forward) = ctx.input_mut(|i| {
            (
                i.consume_key(none, egui::Key::ArrowLeft),
                i.consume_key(none, egui::Key::ArrowRight),
            )
        });
        if back {
            self.go_back();
        }
        if forward {
            self.go_forward();
        }
    }

    /// The Back / Forward buttons with where the session stands.
    pub(super) fn history_buttons(&mut self, ui: &mut egui::Ui) {
        if ui
            .add_enabled(self.session.can_go_back(), egui::Button::new("Back"))
            .on_hover_text("The idea before this one (←)")
            .clicked()
        {
            self.go_back();
        }
        if ui
            .add_enabled(self.session.can_go_forward(), egui::Button::new("Forward"))
            .on_hover_text("The idea after this one (→)")
            .clicked()
        {
            self.go_forward();
        }
        if !self.session.is_empty() {
            ui.weak(format!("{} of {}", self.session.at + 1, self.session.len()));
        }
    }
}
