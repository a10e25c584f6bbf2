//! The eframe app, the composer's desk: the idea bar on top, the piano roll in the middle, the
//! library on the right, the retrain window, and the status line. The window only draws state
//! and sends requests: the worker owns the model, the player owns time, dialogs run on their
//! own threads, and the library writes on its own thread.

pub mod bar_selection;
pub mod dialogs;
pub mod drag_out;
pub mod library_panel;
pub mod piano_roll;
pub mod retrain;
pub mod top_bar;

mod bar_redo;
mod events;
mod file_drop;
mod idea_edits;
mod library_actions;
mod recording;
mod retrain_window;
mod session_history;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::library::keep_rate::{KeepEvent, KeepRateFile};
use crate::library::{KeptIdea, Library};
use crate::music::Idea;
use crate::playback::control::PlayerControl;
use crate::recording::{KeyboardList, Keyboards};
use crate::worker::{
    GenerateSettings, ModelBackend, ModelCatalog, ModelRef, Part, Request, WorkerHandle,
};
use dialogs::Dialogs;
use drag_out::{DragOut, DragSource, drag_handle};
use library_panel::LibraryPanel;
use piano_roll::{PianoRoll, seconds_to_ticks};
pub use recording::RecordingPhase;
use retrain::RetrainPanel;
use top_bar::{TopBar, TopBarAction, TopBarView};

/// What the composer chose, kept between runs (eframe storage).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub generate: GenerateSettings,
    /// The output last chosen (a MIDI port or the built-in synth).
    pub output: Option<String>,
    /// The MIDI keyboard last chosen to record from.
    pub keyboard: Option<String>,
    /// The model last chosen; `None` is the default model.
    pub model: Option<ModelRef>,
    /// The SoundFont picked for the built-in synth; `None`: the first in the usual places.
    pub soundfont: Option<PathBuf>,
    pub looping: bool,
    pub show_library: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            generate: GenerateSettings::default(),
            output: None,
            keyboard: None,
            model: None,
            soundfont: None,
            looping: false,
            show_library: true,
        }
    }
}

/// The parts the app is built from: the real ones in the binary (`src/app.rs`), others in tests.
pub struct AppParts {
    pub backend: Box<dyn ModelBackend>,
    pub player: Box<dyn PlayerControl>,
    /// The MIDI keyboards to record from.
    pub keyboards: Box<dyn Keyboards>,
    /// The folder for the library and trained models.
    pub data_dir: PathBuf,
    /// The shipped model.
    pub default_model_dir: PathBuf,
    /// What the default model is called in the window.
    pub default_model_name: String,
}

/// The window's options: a 1280×720 window, the glow renderer, settings in `data_dir` when given.
pub fn native_options(data_dir: Option<&Path>) -> eframe::NativeOptions {
    eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("Songsketch")
            .with_app_id("songsketch")
            .with_inner_size([1280.0, 720.0])
            .with_min_inner_size([800.0, 480.0]),
        renderer: eframe::Renderer::Glow,
        persistence_path: data_dir.map(|dir| dir.join("window.ron")),
        ..Default::default()
    }
}

/// Opens the window with the given parts.
pub fn run_with(parts: AppParts, native: eframe::NativeOptions) -> anyhow::Result<()> {
    eframe::run_native(
        "Songsketch",
        native,
        Box::new(move |cc| Ok(Box::new(SongsketchApp::new(cc, parts)))),
    )
    .map_err(|error| anyhow::anyhow!("could not open the window: {error}"))
}

/// The idea on the roll.
#[derive(Debug, Clone, PartialEq)]
pub struct CurrentIdea {
    pub idea: Idea,
    pub seed: Option<u64>,
    /// Its id in the library once kept (or when it was opened from there).
    pub kept_id: Option<u64>,
}

/// The status line: what is going on, and the last thing that went wrong.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StatusLine {
    pub activity: String,
    pub error: Option<String>,
}

/// The app: all view state, and the handles to the threads that do the work.
pub struct SongsketchApp {
    settings: Settings,
    /// `None` only when its thread could not start (reported in the status line).
    worker: Option<WorkerHandle>,
    player: Box<dyn PlayerControl>,
    library: Option<Library>,
    /// Ideas shown, kept and discarded, per model and setting (`None`: its file is unreadable).
    keep_rate: Option<KeepRateFile>,
    catalog: ModelCatalog,
    model: Option<ModelRef>,
    /// The meters the loaded model knows (the others are greyed out in the idea bar).
    model_meters: Vec<crate::music::Meter>,
    current: Option<CurrentIdea>,
    /// The last discarded idea, which Undo brings back once.
    discarded: Option<CurrentIdea>,
    /// The last deleted kept idea and its place, for Undo.
    deleted: Option<(usize, KeptIdea)>,
    waiting_for_idea: bool,
    /// Earlier and later versions of the current idea, for undo and redo.
    history: bar_redo::IdeaHistory,
    /// Every idea of the session, for Back and Forward.
    session: session_history::SessionHistory,
    playing: bool,
    outputs: Vec<String>,
    roll: PianoRoll,
    library_panel: LibraryPanel,
    retrain: RetrainPanel,
    top_bar: TopBar,
    dialogs: Dialogs,
    drag_out: DragOut,
    /// A MIDI file dropped on the window or a recorded take, waiting for the composer to say
    /// what it becomes.
    material: Option<crate::worker::Material>,
    /// The keyboards to record from, and the take being recorded.
    keyboards: Box<dyn Keyboards>,
    keyboard_list: KeyboardList,
    /// Whether a list of keyboards arrived yet (the first one announces nothing).
    keyboards_known: bool,
    recording: Option<recording::Recording>,
    /// The chord symbol being retyped, while its editor is open.
    chord_edit: Option<idea_edits::ChordEdit>,
    status: StatusLine,
}

impl SongsketchApp {
    /// Builds the app for eframe, with the settings eframe stored last time.
    pub fn new(cc: &eframe::CreationContext<'_>, parts: AppParts) -> Self {
        Self::with_storage(&cc.egui_ctx, cc.storage, parts)
    }

    /// Builds the app with settings from `storage` (eframe's, or one a test keeps).
    pub fn with_storage(
        ctx: &egui::Context,
        storage: Option<&dyn eframe::Storage>,
        parts: AppParts,
    ) -> Self {
        let settings: Settings = storage
            .and_then(|storage| eframe::get_value(storage, eframe::APP_KEY))
            .unwrap_or_default();
        let mut status = StatusLine::default();
        let wake_ctx = ctx.clone();
        let worker =
            WorkerHandle::spawn(parts.backend, Box::new(move || wake_ctx.request_repaint()))
                .map_err(|error| {
                    // Without the thread there are no ideas; say so and keep the window.
                    status.error = Some(format!("Could not start the idea worker: {error}"));
                })
                .ok();
        let library = open_library(&parts.data_dir, &mut status);
        let keep_rate = KeepRateFile::open(&parts.data_dir)
            .map_err(|error| status.error = Some(format!("The keep-rate is not counted: {error}.")))
            .ok();
        let catalog = ModelCatalog::new(
            parts.default_model_name,
            parts.default_model_dir,
            parts.data_dir.join("models"),
        );
        let dialog_ctx = ctx.clone();
        let mut app = SongsketchApp {
            worker,
            player: parts.player,
            library,
            keep_rate,
            catalog,
            model: None,
            model_meters: Vec::new(),
            current: None,
            discarded: None,
            deleted: None,
            waiting_for_idea: false,
            material: None,
            keyboards: parts.keyboards,
            keyboard_list: KeyboardList::default(),
            keyboards_known: false,
            recording: None,
            chord_edit: None,
            history: bar_redo::IdeaHistory::default(),
            session: session_history::SessionHistory::default(),
            playing: false,
            outputs: Vec::new(),
            roll: PianoRoll::default(),
            library_panel: LibraryPanel::default(),
            retrain: RetrainPanel::default(),
            top_bar: TopBar::default(),
            dialogs: Dialogs::new(Arc::new(move || dialog_ctx.request_repaint())),
            drag_out: DragOut::new(parts.data_dir.join("dragged")),
            status,
            settings,
        };
        let model = app
            .settings
            .model
            .clone()
            .filter(|model| model.dir.is_dir())
            .unwrap_or_else(|| app.catalog.default_model.clone());
        app.send(Request::Settings(app.settings.generate.clone()));
        app.send(Request::LoadModel(model));
        app.restore_soundfont();
        app.refresh_outputs();
        let keyboard_ctx = ctx.clone();
        app.keyboards
            .watch(Box::new(move || keyboard_ctx.request_repaint()));
        app
    }

    /// Gives the built-in synth the SoundFont picked last time, if it is still there.
    fn restore_soundfont(&mut self) {
        let Some(path) = self.settings.soundfont.clone().filter(|p| p.is_file()) else {
            return;
        };
        if let Err(error) = self.player.use_soundfont(&path) {
            self.status.error = Some(format!(
                "Could not use the SoundFont {}: {error:#}",
                path.display()
            ));
        }
    }

    /// Plays through the built-in synth with the SoundFont at `path` (the SoundFont… button).
    pub fn choose_soundfont(&mut self, path: PathBuf) {
        match self.player.use_soundfont(&path) {
            Ok(()) => {
                self.status.activity = format!(
                    "The built-in synth plays with {}.",
                    path.file_name().unwrap_or_default().to_string_lossy()
                );
                self.settings.output = Some(crate::playback::control::BUILT_IN_SYNTH.to_string());
                self.settings.soundfont = Some(path);
            }
            Err(error) => {
                self.status.error = Some(format!(
                    "Could not use the SoundFont {}: {error:#}",
                    path.display()
                ))
            }
        }
    }

    fn send(&self, request: Request) {
        if let Some(worker) = &self.worker {
            worker.send(request);
        }
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Changes how ideas are written from now on, as the idea bar's controls do.
    pub fn set_generate_settings(&mut self, settings: crate::worker::GenerateSettings) {
        self.settings.generate = settings;
        self.send(Request::Settings(self.settings.generate.clone()));
    }

    pub fn current(&self) -> Option<&CurrentIdea> {
        self.current.as_ref()
    }

    pub fn roll(&self) -> &PianoRoll {
        &self.roll
    }

    pub fn library(&self) -> Option<&Library> {
        self.library.as_ref()
    }

    pub fn status(&self) -> &StatusLine {
        &self.status
    }

    pub fn model(&self) -> Option<&ModelRef> {
        self.model.as_ref()
    }

    pub fn retrain_panel(&self) -> &RetrainPanel {
        &self.retrain
    }

    /// The models to choose from: the default one and every trained one.
    pub fn models(&self) -> Vec<ModelRef> {
        self.catalog.models()
    }

    /// Takes `folder` as the songs to retrain on, as the folder dialog does.
    pub fn choose_training_folder(&mut self, folder: PathBuf) {
        self.retrain.folder = Some(folder);
    }

    pub fn is_waiting_for_idea(&self) -> bool {
        self.waiting_for_idea
    }

    /// Asks for the next idea (the Next idea button, key N).
    pub fn next_idea(&mut self) {
        self.await_new_idea();
        self.send(Request::NextIdea);
    }

    /// Stops playing and forgets the bar selection and the change history, as a new idea (not
    /// a changed one) is asked for.
    fn await_new_idea(&mut self) {
        self.cancel_recording();
        self.stop();
        self.roll.bars = bar_selection::SelectionState::default();
        self.history = bar_redo::IdeaHistory::default();
        self.waiting_for_idea = true;
    }

    /// Keeps the current idea in the library (the Keep button, key K).
    pub fn keep(&mut self) {
        let Some(current) = self.current.as_mut().filter(|c| c.kept_id.is_none()) else {
            return;
        };
        let Some(library) = self.library.as_mut() else {
            self.status.error = Some("The library is not open, so nothing can be kept.".into());
            return;
        };
        let model = self
            .model
            .as_ref()
            .map_or("unknown model", |m| m.name.as_str());
        let kept = library.keep(current.idea.clone(), current.seed, model);
        current.kept_id = Some(kept.id);
        self.library_panel.selected = Some(kept.id);
        self.status.activity = format!("Kept as “{}”.", kept.name);
        self.count(KeepEvent::Kept);
        self.remember_change();
    }

    /// Discards the current idea and asks for the next (the Discard button, key D).
    pub fn discard(&mut self) {
        if self.current.is_some() {
            self.count(KeepEvent::Discarded);
        }
        if let Some(current) = self.current.take() {
            self.discarded = Some(current);
            self.roll.clear();
            self.library_panel.selected = None;
            self.next_idea();
        }
    }

    /// Brings the last discarded idea back, once.
    pub fn undo_discard(&mut self) {
        if let Some(idea) = self.discarded.take() {
            self.stop();
            self.waiting_for_idea = false;
            self.show(idea);
        }
    }

    pub fn can_undo_discard(&self) -> bool {
        self.discarded.is_some()
    }

    /// Plays the current idea, or stops it (the Play/Stop button, Space).
    pub fn toggle_play(&mut self) {
        if self.playing {
            self.stop();
        } else {
            self.play();
        }
    }

    fn play(&mut self) {
        self.play_from(0.0);
    }

    /// Plays the current idea from `seconds` into it.
    fn play_from(&mut self, seconds: f64) {
        let Some(current) = self.current.as_ref().filter(|_| self.recording.is_none()) else {
            return;
        };
        if let Some(reason) = self.player.unavailable_reason() {
            self.status.error = Some(reason);
            return;
        }
        match self
            .player
            .play(&current.idea, self.settings.looping, seconds)
        {
            Ok(()) => self.playing = true,
            Err(error) => self.status.error = Some(format!("Could not play: {error:#}")),
        }
    }

    fn stop(&mut self) {
        if self.playing {
            self.player.stop();
            self.playing = false;
        }
    }

    fn show(&mut self, idea: CurrentIdea) {
        self.cancel_recording();
        self.roll.show_idea(&idea.idea);
        self.library_panel.selected = idea.kept_id;
        self.current = Some(idea);
    }

    fn refresh_outputs(&mut self) {
        self.outputs = self.player.refresh_outputs();
        if let Some(chosen) = self.settings.output.clone()
            && self.outputs.contains(&chosen)
            && let Err(error) = self.player.select_output(&chosen)
        {
            self.status.error = Some(format!("Could not use the output {chosen}: {error:#}"));
        }
    }

    /// N, Space, K, D, R — unless a text field is being typed into.
    fn handle_shortcuts(&mut self, ctx: &egui::Context) {
        if ctx.egui_wants_keyboard_input() {
            return;
        }
        let none = egui::Modifiers::NONE;
        let (next, play, keep, discard, record) = ctx.input_mut(|i| {
            (
                i.consume_key(none, egui::Key::N),
                i.consume_key(none, egui::Key::Space),
                i.consume_key(none, egui::Key::K),
                i.consume_key(none, egui::Key::D),
                i.consume_key(none, egui::Key::R),
            )
        });
        if record {
            self.toggle_recording();
        }
        if next {
            self.next_idea();
        }
        if play {
            self.toggle_play();
        }
        if keep {
            self.keep();
        }
        if discard {
            self.discard();
        }
        self.handle_edit_shortcuts(ctx);
        self.handle_history_shortcuts(ctx);
    }

    fn top_bar(&mut self, ui: &mut egui::Ui) {
        let view = TopBarView {
            has_idea: self.current.is_some(),
            keepable: self.current.as_ref().is_some_and(|c| c.kept_id.is_none()),
            playing: self.playing,
            can_undo_discard: self.can_undo_discard(),
            unavailable: self.player.unavailable_reason(),
            outputs: self.outputs.clone(),
            meters: self.model_meters.clone(),
            keyboards: self.keyboard_list.clone(),
            recording: self.recording.is_some(),
            can_record: !self.waiting_for_idea,
        };
        let actions = self
            .top_bar
            .ui(ui, &view, &mut self.settings, &mut self.retrain.open);
        for action in actions {
            self.on_top_bar_action(action);
        }
    }

    fn on_top_bar_action(&mut self, action: TopBarAction) {
        match action {
            TopBarAction::NextIdea => self.next_idea(),
            TopBarAction::TogglePlay => self.toggle_play(),
            TopBarAction::Keep => self.keep(),
            TopBarAction::Discard => self.discard(),
            TopBarAction::UndoDiscard => self.undo_discard(),
            TopBarAction::Looping(looping) => self.player.set_looping(looping),
            TopBarAction::GenerateSettingsChanged => {
                self.send(Request::Settings(self.settings.generate.clone()));
            }
            TopBarAction::SelectOutput(output) => match self.player.select_output(&output) {
                Ok(()) => self.settings.output = Some(output),
                Err(error) => {
                    self.status.error = Some(format!("Could not use {output}: {error:#}"))
                }
            },
            TopBarAction::RefreshOutputs => self.refresh_outputs(),
            TopBarAction::SelectKeyboard(name) => self.choose_keyboard(name),
            TopBarAction::ToggleRecording => self.toggle_recording(),
            TopBarAction::PickSoundFont => {
                if let Err(error) = self.dialogs.pick_soundfont() {
                    self.status.error = Some(format!("Could not open the file dialog: {error}"));
                }
            }
        }
    }

    fn regenerate_bar(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            self.history_buttons(ui);
            ui.separator();
            let has_idea = self.current.is_some();
            for (part, label) in [
                (Part::MelodyOverChords, "New melody over these chords"),
                (Part::ChorusForVerse, "New chorus for this verse"),
            ] {
                if ui.add_enabled(has_idea, egui::Button::new(label)).clicked()
                    && let Some(idea) = self.current.as_ref().map(|c| c.idea.clone())
                {
                    self.stop();
                    self.waiting_for_idea = true;
                    self.send(Request::Regenerate {
                        idea: Box::new(idea),
                        part,
                    });
                }
            }
            if ui
                .add_enabled(has_idea, egui::Button::new("Fit"))
                .on_hover_text("Show the whole idea")
                .clicked()
            {
                self.roll.fit();
            }
            if has_idea {
                let hint = self.drag_out.hint().to_owned();
                if drag_handle(ui, DragSource::Current, &hint).drag_started() {
                    self.drag_out.arm(DragSource::Current);
                }
            }
            if let Some(current) = &self.current {
                let sheet = current.idea.sheet();
                ui.weak(format!(
                    "{} · {:.0} bpm · {} · {} + {} bars",
                    sheet.key,
                    sheet.tempo.bpm(),
                    sheet.meter(),
                    current.idea.verse().bars.len(),
                    current.idea.chorus().bars.len()
                ));
            }
        });
    }

    fn status_line(&self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            if self.waiting_for_idea {
                ui.spinner();
            }
            ui.label(&self.status.activity);
            if let Some(error) = &self.status.error {
                ui.separator();
                ui.colored_label(ui.visuals().error_fg_color, error);
            }
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                match &self.model {
                    Some(model) => ui.weak(format!("Model: {}", model.name)),
                    None => ui.weak("No model loaded"),
                };
            });
        });
    }

    fn playhead_ticks(&mut self, ctx: &egui::Context) -> Option<f32> {
        if !self.playing {
            return None;
        }
        match self.player.playhead_seconds() {
            Some(seconds) => {
                ctx.request_repaint_after(Duration::from_millis(16));
                let bpm = self
                    .current
                    .as_ref()
                    .map_or(120.0, |c| c.idea.sheet().tempo.bpm());
                Some(seconds_to_ticks(seconds, bpm))
            }
            None => {
                self.playing = false;
                None
            }
        }
    }
}

impl eframe::App for SongsketchApp {
    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        self.process_events();
        self.keyboards_frame();
        self.recording_frame(&ctx);
        self.handle_dropped_files(&ctx);
        self.handle_shortcuts(&ctx);
        egui::Panel::top("idea bar").show(ui, |ui| self.top_bar(ui));
        egui::Panel::bottom("status line").show(ui, |ui| self.status_line(ui));
        if self.settings.show_library {
            egui::Panel::right("library")
                .resizable(true)
                .default_size(300.0)
                .min_size(220.0)
                .show(ui, |ui| self.library_side_panel(ui));
        }
        let playhead = self
            .recording_playhead()
            .or_else(|| self.playhead_ticks(&ctx));
        egui::CentralPanel::default().show(ui, |ui| {
            self.regenerate_bar(ui);
            self.bar_redo_row(ui);
            self.idea_edit_row(ui);
            self.roll.ui(ui, playhead);
        });
        if let Some(tick) = self.roll.take_clicked_chord() {
            self.begin_chord_edit(tick);
        }
        self.chord_edit_window(&ctx);
        self.retrain_window(&ctx);
        self.material_window(&ctx);
        self.drag_out_frame(&ctx, frame);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, eframe::APP_KEY, &self.settings);
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        self.player.stop();
    }
}

/// `text` with its first letter in upper case ("bars 5–6" → "Bars 5–6").
fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn open_library(data_dir: &Path, status: &mut StatusLine) -> Option<Library> {
    let path = data_dir.join(crate::library::LIBRARY_FILE);
    match Library::open(&path) {
        Ok((library, None)) => Some(library),
        Ok((library, Some(set_aside))) => {
            status.error = Some(format!(
                "The library {} could not be read: {}. It was moved to {} and a new, empty library started.",
                set_aside.original.display(),
                set_aside.reason,
                set_aside.moved_to.display()
            ));
            Some(library)
        }
        Err(error) => {
            status.error = Some(format!("The library is not available: {error}"));
            None
        }
    }
}
