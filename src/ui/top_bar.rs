//! The top bar: the idea's buttons (Next idea, Play/Stop, Keep, Discard, Undo discard, Loop),
//! the panel toggles and theme, the generation settings (key, tempo, "Safe ↔ Adventurous", bars
//! per section, phrase return, chorus lift) and the output row (MIDI port or built-in synth,
//! Refresh, SoundFont…, the keyboard to record from and Record). Like the other panels it
//! changes only the settings it is given and returns what the composer asked for; the app acts
//! on it.

use super::{Settings, capitalized};
use crate::model::steering::MelodyRange;
use crate::music::{Key, Meter, Mode, PitchClass};
use crate::recording::KeyboardList;
use crate::worker::GenerateSettings;

/// What the composer asked for in the top bar this frame.
#[derive(Debug, Clone, PartialEq)]
pub enum TopBarAction {
    NextIdea,
    TogglePlay,
    Keep,
    Discard,
    UndoDiscard,
    /// The Loop box changed (the settings already hold the new value).
    Looping(bool),
    /// The generation settings changed (the settings already hold the new ones).
    GenerateSettingsChanged,
    SelectOutput(String),
    RefreshOutputs,
    SelectKeyboard(String),
    /// Record, or stop recording.
    ToggleRecording,
    PickSoundFont,
}

/// What the top bar shows of the app's state.
#[derive(Debug, Clone, Default)]
pub struct TopBarView {
    pub has_idea: bool,
    /// There is an idea and it is not in the library yet.
    pub keepable: bool,
    pub playing: bool,
    pub can_undo_discard: bool,
    /// Why nothing can be played, when that is so.
    pub unavailable: Option<String>,
    /// The outputs to choose from.
    pub outputs: Vec<String>,
    /// The meters the model knows (empty while none is loaded).
    pub meters: Vec<Meter>,
    /// The MIDI keyboards to record from.
    pub keyboards: KeyboardList,
    pub recording: bool,
    /// Whether Record can start now (not while an idea is being written).
    pub can_record: bool,
}

/// The top bar panel.
#[derive(Debug, Default)]
pub struct TopBar {
    actions: Vec<TopBarAction>,
}

impl TopBar {
    /// Draws the bar; `retrain_open` is the Retrain… toggle.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        view: &TopBarView,
        settings: &mut Settings,
        retrain_open: &mut bool,
    ) -> Vec<TopBarAction> {
        ui.add_space(4.0);
        ui.horizontal_wrapped(|ui| {
            self.idea_buttons(ui, view, settings);
            ui.separator();
            ui.toggle_value(&mut settings.show_library, "Library");
            ui.toggle_value(retrain_open, "Retrain…");
            theme_ui(ui);
        });
        ui.horizontal_wrapped(|ui| {
            let meter_changed = meter_ui(ui, &mut settings.generate.meter, &view.meters);
            if settings_ui(ui, &mut settings.generate) || meter_changed {
                self.actions.push(TopBarAction::GenerateSettingsChanged);
            }
            // The output on a row of its own, so its label never wraps away from its menu.
            ui.end_row();
            self.output_ui(ui, view, settings);
            ui.separator();
            self.keyboard_ui(ui, view, settings);
        });
        ui.add_space(2.0);
        std::mem::take(&mut self.actions)
    }

    fn button(&mut self, button: egui::Response, action: TopBarAction) {
        if button.clicked() {
            self.actions.push(action);
        }
    }

    fn idea_buttons(&mut self, ui: &mut egui::Ui, view: &TopBarView, settings: &mut Settings) {
        let next = egui::Button::new(egui::RichText::new("Next idea").strong()).shortcut_text("N");
        let next = ui.add(next).on_hover_text("A fresh verse and chorus");
        self.button(next, TopBarAction::NextIdea);
        let play_label = if view.playing { "Stop" } else { "Play" };
        let play = ui
            .add_enabled(
                view.has_idea,
                egui::Button::new(play_label).shortcut_text("Space"),
            )
            .on_disabled_hover_text("Nothing to play yet");
        let play = match &view.unavailable {
            Some(reason) => play.on_hover_text(reason),
            None => play,
        };
        self.button(play, TopBarAction::TogglePlay);
        let keep = ui
            .add_enabled(view.keepable, egui::Button::new("Keep").shortcut_text("K"))
            .on_hover_text("Put this idea in the library");
        self.button(keep, TopBarAction::Keep);
        let discard = ui
            .add_enabled(
                view.has_idea,
                egui::Button::new("Discard").shortcut_text("D"),
            )
            .on_hover_text("Throw it away and hear the next one");
        self.button(discard, TopBarAction::Discard);
        let undo = ui.add_enabled(view.can_undo_discard, egui::Button::new("Undo discard"));
        self.button(undo, TopBarAction::UndoDiscard);
        if ui.checkbox(&mut settings.looping, "Loop").changed() {
            self.actions.push(TopBarAction::Looping(settings.looping));
        }
    }

    fn output_ui(&mut self, ui: &mut egui::Ui, view: &TopBarView, settings: &Settings) {
        let output_label = ui.label("Output");
        let shown = settings
            .output
            .clone()
            .filter(|name| view.outputs.contains(name))
            .or_else(|| view.outputs.first().cloned())
            .unwrap_or_else(|| "none found".into());
        let output_menu = egui::ComboBox::from_id_salt("output")
            .selected_text(shown)
            .width(180.0)
            .show_ui(ui, |ui| {
                for output in &view.outputs {
                    let selected = settings.output.as_ref() == Some(output);
                    if ui.selectable_label(selected, output).clicked() {
                        self.actions
                            .push(TopBarAction::SelectOutput(output.clone()));
                    }
                }
                if view.outputs.is_empty() {
                    ui.weak(
                        view.unavailable
                            .clone()
                            .unwrap_or_else(|| "No outputs found".into()),
                    );
                }
            });
        output_menu.response.labelled_by(output_label.id);
        let refresh = ui
            .button("Refresh")
            .on_hover_text("Look for MIDI ports again");
        self.button(refresh, TopBarAction::RefreshOutputs);
        let soundfont = match &settings.soundfont {
            Some(path) => format!("The built-in synth plays with {}", path.display()),
            None => "The built-in synth plays with the first General MIDI SoundFont in \
                     /usr/share/sounds/sf2 and the other usual places; pick any .sf2 here"
                .to_string(),
        };
        let pick = ui.button("SoundFont…").on_hover_text(soundfont);
        self.button(pick, TopBarAction::PickSoundFont);
    }
}

impl TopBar {
    /// The keyboard to record from, and Record / Stop recording.
    fn keyboard_ui(&mut self, ui: &mut egui::Ui, view: &TopBarView, settings: &Settings) {
        let names = &view.keyboards.names;
        let label = ui.label("Keyboard");
        let shown = settings
            .keyboard
            .clone()
            .filter(|name| names.contains(name))
            .or_else(|| (names.len() == 1).then(|| names[0].clone()))
            .unwrap_or_else(|| "none plugged in".into());
        egui::ComboBox::from_id_salt("keyboard")
            .selected_text(shown)
            .width(160.0)
            .show_ui(ui, |ui| {
                for name in names {
                    let selected = settings.keyboard.as_ref() == Some(name);
                    if ui.selectable_label(selected, name).clicked() {
                        self.actions
                            .push(TopBarAction::SelectKeyboard(name.clone()));
                    }
                }
                if names.is_empty() {
                    ui.weak(view.keyboards.unavailable.clone().unwrap_or_else(|| {
                        "No MIDI keyboard found: plug one in and it appears here".into()
                    }));
                }
            })
            .response
            .labelled_by(label.id);
        let text = if view.recording {
            "Stop recording"
        } else {
            "Record"
        };
        let record = ui
            .add_enabled(
                view.recording || view.can_record,
                egui::Button::new(text)
                    .selected(view.recording)
                    .shortcut_text("R"),
            )
            .on_disabled_hover_text("An idea is being written: Record once it has arrived")
            .on_hover_text(
                "One bar of count-in on the metronome, then play: the take is quantized onto \
                 the roll at the tempo, meter and key set here",
            );
        self.button(record, TopBarAction::ToggleRecording);
    }
}

/// Every key a composer can ask for, majors then minors, tonics around the circle.
pub fn selectable_keys() -> Vec<Key> {
    let tonics = [0, 7, 2, 9, 4, 11, 6, 1, 8, 3, 10, 5];
    [Mode::Major, Mode::Minor]
        .into_iter()
        .flat_map(|mode| {
            tonics.into_iter().map(move |tonic| {
                let key = Key::new(PitchClass::new(tonic), mode);
                // Minors around the circle start from A minor, like their relative majors.
                if mode == Mode::Minor {
                    key.transpose(9)
                } else {
                    key
                }
            })
        })
        .collect()
}

/// The generation settings: key, tempo, temperature, bars per section, the decoding priors.
/// Whether any changed.
pub fn settings_ui(ui: &mut egui::Ui, settings: &mut GenerateSettings) -> bool {
    let before = settings.clone();
    let key_label = ui.label("Key");
    let shown = settings
        .key
        .map_or_else(|| "Auto".to_string(), |key| key.to_string());
    let key_menu = egui::ComboBox::from_id_salt("key")
        .selected_text(shown)
        .width(64.0)
        .height(400.0)
        .show_ui(ui, |ui| {
            ui.selectable_value(&mut settings.key, None, "Auto");
            for key in selectable_keys() {
                ui.selectable_value(&mut settings.key, Some(key), key.to_string());
            }
        });
    key_menu.response.labelled_by(key_label.id);
    let tempo_label = ui.label("Tempo");
    ui.add(
        egui::DragValue::new(&mut settings.tempo_bpm)
            .range(40.0..=220.0)
            .speed(0.5)
            .fixed_decimals(0)
            .suffix(" bpm"),
    )
    .labelled_by(tempo_label.id);
    ui.separator();
    let safe = ui.label("Safe");
    ui.add(egui::Slider::new(&mut settings.sampling.temperature, 0.5..=1.5).show_value(false))
        .labelled_by(safe.id)
        .on_hover_text("Left: ideas close to what the model knows. Right: more surprising ideas.");
    ui.label("Adventurous");
    ui.separator();
    ui.label("Bars per section");
    for bars in [4, 8, 16] {
        ui.selectable_value(&mut settings.bars_per_section, bars, bars.to_string());
    }
    ui.separator();
    let phrases = ui.label("Phrases return");
    ui.add(egui::Slider::new(&mut settings.sampling.phrase_return, 0.0..=1.0).show_value(false))
        .labelled_by(phrases.id)
        .on_hover_text("How strongly a bar leans towards the bar 4 and 8 bars before it");
    let lift = ui.label("Chorus lift");
    ui.add(egui::Slider::new(&mut settings.sampling.chorus_lift, 0.0..=1.0).show_value(false))
        .labelled_by(lift.id)
        .on_hover_text("How strongly the chorus melody is kept from sitting below the verse");
    steering_ui(ui, &mut settings.sampling);
    *settings != before
}

/// Note density, melody range and harmonic rhythm (see `model::steering`).
fn steering_ui(ui: &mut egui::Ui, sampling: &mut crate::model::Sampling) {
    ui.separator();
    let sparse = ui.label("Sparse");
    ui.add(egui::Slider::new(&mut sampling.density, 0.0..=1.0).show_value(false))
        .labelled_by(sparse.id)
        .on_hover_text(
            "Melody notes per bar: fewer, longer notes to the left, busier to the right",
        );
    ui.label("Busy");
    let range_label = ui.label("Range");
    egui::ComboBox::from_id_salt("melody range")
        .selected_text(range_label_text(sampling.melody_range))
        .width(60.0)
        .show_ui(ui, |ui| {
            for range in MelodyRange::ALL {
                ui.selectable_value(&mut sampling.melody_range, range, range_label_text(range));
            }
        })
        .response
        .labelled_by(range_label.id)
        .on_hover_text("Where the melody sits: low, mid or high (Any: where the model puts it)");
    let chords = ui.label("Chord changes");
    ui.add(egui::Slider::new(&mut sampling.harmonic_rhythm, 0.0..=1.0).show_value(false))
        .labelled_by(chords.id)
        .on_hover_text("Chords per bar: fewer changes to the left, more to the right");
}

/// The meters a fresh idea can have.
pub const METER_CHOICES: [Meter; 3] = [
    Meter::FOUR_FOUR,
    Meter {
        numerator: 3,
        denominator: 4,
    },
    Meter {
        numerator: 6,
        denominator: 8,
    },
];

/// 4/4, 3/4 or 6/8 for fresh ideas; a meter the model has never seen is greyed out, saying why.
/// Whether the choice changed.
fn meter_ui(ui: &mut egui::Ui, meter: &mut Meter, known: &[Meter]) -> bool {
    let before = *meter;
    ui.label("Meter");
    for choice in METER_CHOICES {
        let seen = known.is_empty() || known.contains(&choice);
        let button = ui
            .add_enabled(
                seen,
                egui::Button::selectable(*meter == choice, choice.to_string()),
            )
            .on_disabled_hover_text(format!(
                "This model has never seen {choice}: retrain it on songs in {choice}"
            ));
        if button.clicked() {
            *meter = choice;
        }
    }
    // A meter the (new) model does not know falls back to one it does.
    if !known.is_empty() && !known.contains(meter) {
        *meter = METER_CHOICES
            .into_iter()
            .find(|m| known.contains(m))
            .unwrap_or(known[0]);
    }
    ui.separator();
    *meter != before
}

/// A range as the menu shows it ("Any" rather than the key menu's "Auto").
fn range_label_text(range: MelodyRange) -> String {
    match range {
        MelodyRange::Auto => "Any".into(),
        other => capitalized(other.name()),
    }
}

/// Follow the system, dark or light; in words, since the default fonts have no theme icons.
fn theme_ui(ui: &mut egui::Ui) {
    let mut preference = ui.ctx().options(|o| o.theme_preference);
    let label = ui.label("Theme");
    let name = |p: egui::ThemePreference| match p {
        egui::ThemePreference::System => "System",
        egui::ThemePreference::Dark => "Dark",
        egui::ThemePreference::Light => "Light",
    };
    egui::ComboBox::from_id_salt("theme")
        .selected_text(name(preference))
        .show_ui(ui, |ui| {
            for choice in [
                egui::ThemePreference::System,
                egui::ThemePreference::Dark,
                egui::ThemePreference::Light,
            ] {
                ui.selectable_value(&mut preference, choice, name(choice));
            }
        })
        .response
        .labelled_by(label.id);
    if preference != ui.ctx().options(|o| o.theme_preference) {
        ui.ctx().set_theme(preference);
    }
}
