//! Light edits to the idea on the roll: click a chord symbol to type a new one (`Am7`, `F/A`;
//! the voicing follows, the melody is untouched), move the idea to another key, or give it
//! another tempo. Each edit is one step of undo/redo, and what is saved and dragged out is the
//! edited idea, exactly as shown.

use super::{CurrentIdea, SongsketchApp};
use crate::music::{ChordSymbol, Idea, Key, LeadSheet, PitchClass, Tempo};

/// The chord being retyped: where it is and what has been typed so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChordEdit {
    /// The bar (0-based, across sections) and the position in it of the chord change.
    pub bar: usize,
    pub position: u32,
    pub text: String,
    /// Why the last text was not taken.
    pub error: Option<String>,
    /// Whether the text field has had the keyboard focus given to it (once, as it opens).
    focused: bool,
}

/// The slowest and fastest tempo the idea's tempo field offers.
const TEMPO_RANGE: std::ops::RangeInclusive<f64> = 40.0..=240.0;

/// The shift (−5 … +6 semitones) that moves `from`'s tonic to `to`'s.
fn nearest_shift(from: PitchClass, to: PitchClass) -> i32 {
    let up = (i32::from(to.index()) - i32::from(from.index())).rem_euclid(12);
    if up > 6 { up - 12 } else { up }
}

/// `sheet` with the chord change at (`bar`, `position`) replaced by `chord`.
fn with_chord(sheet: &LeadSheet, bar: usize, position: u32, chord: ChordSymbol) -> LeadSheet {
    let mut edited = sheet.clone();
    if let Some(change) = edited
        .sections
        .iter_mut()
        .flat_map(|s| s.bars.iter_mut())
        .nth(bar)
        .and_then(|b| b.chords.iter_mut().find(|c| c.position == position))
    {
        change.chord = Some(chord);
    }
    edited
}

impl SongsketchApp {
    pub fn chord_edit(&self) -> Option<&ChordEdit> {
        self.chord_edit.as_ref()
    }

    /// Opens the chord editor for the chord change at `tick` (from the song's start).
    pub(super) fn begin_chord_edit(&mut self, tick: u32) {
        let Some(current) = &self.current else {
            return;
        };
        let sheet = current.idea.sheet();
        let Some(placed) = sheet
            .chord_changes()
            .into_iter()
            .find(|p| p.absolute(p.item.position) == tick)
        else {
            return;
        };
        let text = placed
            .item
            .chord
            .map(|c| c.name(sheet.key.spelling()))
            .unwrap_or_default();
        self.chord_edit = Some(ChordEdit {
            bar: placed.bar_index,
            position: placed.item.position,
            text,
            error: None,
            focused: false,
        });
    }

    /// Takes the typed chord (Enter or Change): the idea gets it, or the editor says why not.
    pub fn apply_chord_edit(&mut self) {
        let (Some(edit), Some(current)) = (self.chord_edit.as_mut(), &self.current) else {
            return;
        };
        match edit.text.trim().parse::<ChordSymbol>() {
            Ok(chord) => {
                let sheet = with_chord(current.idea.sheet(), edit.bar, edit.position, chord);
                let what = format!("{} in bar {}", edit.text.trim(), edit.bar + 1);
                self.chord_edit = None;
                self.apply_edit(sheet, &what);
            }
            Err(error) => edit.error = Some(error.to_string()),
        }
    }

    /// Moves the idea to `key` (the nearest way, up to a fifth up or down).
    pub fn transpose_to(&mut self, key: Key) {
        let Some(current) = &self.current else {
            return;
        };
        let sheet = current.idea.sheet();
        if sheet.key == key {
            return;
        }
        let shift = nearest_shift(sheet.key.tonic, key.tonic);
        match sheet.transpose(shift) {
            Ok(mut moved) => {
                moved.key = key;
                self.apply_edit(moved, &format!("in {key}"));
            }
            Err(error) => self.status.error = Some(format!("Could not move it to {key}: {error}")),
        }
    }

    /// Gives the idea another tempo.
    pub fn set_idea_tempo(&mut self, bpm: f64) {
        let Some(current) = &self.current else {
            return;
        };
        let mut sheet = current.idea.sheet().clone();
        match Tempo::new(bpm) {
            Ok(tempo) if tempo != sheet.tempo => {
                sheet.tempo = tempo;
                self.apply_edit(sheet, &format!("at {bpm:.0} BPM"));
            }
            Ok(_) => {}
            Err(error) => self.status.error = Some(format!("Not a tempo: {error}")),
        }
    }

    /// Shows the edited sheet as the idea (one step of undo); a kept idea's edit is a new,
    /// unkept version.
    fn apply_edit(&mut self, sheet: LeadSheet, what: &str) {
        let idea = match Idea::new(sheet) {
            Ok(idea) => idea,
            Err(error) => {
                self.status.error = Some(format!(
                    "That edit does not make a verse and chorus: {error}"
                ));
                return;
            }
        };
        self.stop();
        let previous = self.current.take();
        let seed = previous.as_ref().and_then(|p| p.seed);
        if let Some(previous) = previous {
            self.history.changed_from(previous);
        }
        self.show(CurrentIdea {
            idea,
            seed,
            kept_id: None,
        });
        self.remember_change();
        self.status.activity = format!("The idea, now {what}.");
    }

    /// The idea's key and tempo, editable (beside the bar buttons).
    pub(super) fn idea_edit_row(&mut self, ui: &mut egui::Ui) {
        let Some(sheet) = self.current.as_ref().map(|c| c.idea.sheet().clone()) else {
            return;
        };
        ui.horizontal(|ui| {
            ui.label("This idea:");
            let mut chosen = None;
            egui::ComboBox::from_id_salt("idea key")
                .selected_text(format!("in {}", sheet.key))
                .show_ui(ui, |ui| {
                    for tonic in 0..12 {
                        let key = Key::new(PitchClass::new(tonic), sheet.key.mode);
                        if ui
                            .selectable_label(key == sheet.key, key.to_string())
                            .clicked()
                        {
                            chosen = Some(key);
                        }
                    }
                })
                .response
                .on_hover_text("Move the idea to another key: melody and chords together.");
            let mut bpm = sheet.tempo.bpm();
            let tempo = ui
                .add(
                    egui::DragValue::new(&mut bpm)
                        .range(TEMPO_RANGE)
                        .speed(0.5)
                        .fixed_decimals(0)
                        .suffix(" BPM"),
                )
                .on_hover_text("The idea's tempo (what is played and exported).");
            if let Some(key) = chosen {
                self.transpose_to(key);
            } else if tempo.changed() && !tempo.dragged() || tempo.drag_stopped() {
                self.set_idea_tempo(bpm.round());
            }
            ui.weak("Click a chord symbol on the roll to change it.");
        });
    }

    /// The chord editor, while one is open.
    pub(super) fn chord_edit_window(&mut self, ctx: &egui::Context) {
        let Some(edit) = self.chord_edit.as_mut() else {
            return;
        };
        let mut open = true;
        let mut apply = false;
        egui::Window::new(format!("Chord in bar {}", edit.bar + 1))
            .open(&mut open)
            .collapsible(false)
            .resizable(false)
            .show(ctx, |ui| {
                ui.label("New chord (C, Am7, F/A, Bbmaj7…):");
                let field = ui.text_edit_singleline(&mut edit.text);
                if !edit.focused {
                    field.request_focus();
                    edit.focused = true;
                }
                apply |= field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                if let Some(error) = &edit.error {
                    ui.colored_label(ui.visuals().error_fg_color, error);
                }
                apply |= ui.button("Change").clicked();
            });
        if !open {
            self.chord_edit = None;
        } else if apply {
            self.apply_chord_edit();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nearest_shift_is_at_most_a_tritone() {
        let pc = PitchClass::new;
        assert_eq!(nearest_shift(pc(0), pc(7)), -5, "C to G: down a fourth");
        assert_eq!(nearest_shift(pc(0), pc(2)), 2);
        assert_eq!(nearest_shift(pc(9), pc(0)), 3);
        assert_eq!(nearest_shift(pc(0), pc(6)), 6);
        assert_eq!(nearest_shift(pc(4), pc(4)), 0);
    }
}
