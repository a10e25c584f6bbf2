//! The eframe app, the composer's desk: the idea bar on top, the piano roll in the middle, the
//! library on the right, the retrain window, and the status line. The window only draws state
//! and sends requests: the worker owns the model, the player owns time, dialogs run on their
//! own threads, and the library writes on its own thread.

pub mod dialogs;
pub mod drag_out;
pub mod library_panel;
pub mod piano_roll;
pub mod player;
pub mod retrain;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use serde::{Deserialize, Serialize};

use crate::library::{KeptIdea, Library};
use crate::music::{Idea, Key, Mode, PitchClass};
use crate::worker::{
    Event, GenerateSettings, IdeaOrigin, ModelBackend, ModelCatalog, ModelRef, Part, Request,
    TrainRequest, WorkerHandle,
};
use dialogs::{DialogResult, Dialogs};
use drag_out::{DragFile, DragOut, DragReport, DragSource, drag_handle};
use library_panel::{LibraryAction, LibraryPanel};
use piano_roll::{PianoRoll, seconds_to_ticks};
use player::{NoPlayback, Player};
use retrain::{RetrainAction, RetrainPanel};

/// What the composer chose, kept between runs (eframe storage).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub generate: GenerateSettings,
    /// The output last chosen (a MIDI port or the built-in synth).
    pub output: Option<String>,
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
            model: None,
            soundfont: None,
            looping: false,
            show_library: true,
        }
    }
}

/// The parts the app is built from; the real ones in [`run_app`], others in tests.
pub struct AppParts {
    pub backend: Box<dyn ModelBackend>,
    pub player: Box<dyn Player>,
    /// The folder for the library and trained models.
    pub data_dir: PathBuf,
    /// The shipped model.
    pub default_model_dir: PathBuf,
    /// What the default model is called in the window.
    pub default_model_name: String,
}

/// Options of the window from the command line.
#[derive(Debug, Clone, Default)]
pub struct AppOptions {
    /// Keep the library, trained models and window settings here instead of the OS data
    /// folder (for trying things out and for screenshots).
    pub data_dir: Option<PathBuf>,
}

/// The OS data folder for Songsketch (`~/.local/share/songsketch` on Linux).
pub fn default_data_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "Songsketch").map(|dirs| dirs.data_dir().to_path_buf())
}

/// The shipped model's folder: next to the binary, above it in a cargo `target/` tree, or in
/// the source tree this binary was built from.
pub fn find_default_model_dir() -> PathBuf {
    let relative = Path::new("models").join("default");
    let exe_dir = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(Path::to_path_buf));
    let candidates = exe_dir
        .iter()
        .flat_map(|dir| [dir.join(&relative), dir.join("../..").join(&relative)])
        .chain([Path::new(env!("CARGO_MANIFEST_DIR")).join(&relative)]);
    let mut first = None;
    for candidate in candidates {
        if candidate.is_dir() {
            return candidate;
        }
        first.get_or_insert(candidate);
    }
    first.unwrap_or(relative)
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

/// Opens the window with the parts this build has and runs until it is closed.
pub fn run_app(options: AppOptions) -> anyhow::Result<()> {
    let data_dir = match options.data_dir.clone() {
        Some(dir) => dir,
        None => default_data_dir().context("this system has no data folder for Songsketch")?,
    };
    let player: Box<dyn Player> = match crate::engine::ThreadPlayer::spawn() {
        Ok(player) => Box::new(player),
        Err(error) => {
            eprintln!("songsketch: no playback: {error:#}");
            Box::new(NoPlayback)
        }
    };
    let parts = AppParts {
        backend: Box::new(crate::engine::LibtorchBackend),
        player,
        data_dir,
        default_model_dir: find_default_model_dir(),
        default_model_name: "Default (pop songs)".into(),
    };
    run_with(parts, native_options(options.data_dir.as_deref()))
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
    player: Box<dyn Player>,
    library: Option<Library>,
    catalog: ModelCatalog,
    model: Option<ModelRef>,
    current: Option<CurrentIdea>,
    /// The last discarded idea, which Undo brings back once.
    discarded: Option<CurrentIdea>,
    /// The last deleted kept idea and its place, for Undo.
    deleted: Option<(usize, KeptIdea)>,
    waiting_for_idea: bool,
    playing: bool,
    outputs: Vec<String>,
    roll: PianoRoll,
    library_panel: LibraryPanel,
    retrain: RetrainPanel,
    dialogs: Dialogs,
    drag_out: DragOut,
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
            catalog,
            model: None,
            current: None,
            discarded: None,
            deleted: None,
            waiting_for_idea: false,
            playing: false,
            outputs: Vec::new(),
            roll: PianoRoll::default(),
            library_panel: LibraryPanel::default(),
            retrain: RetrainPanel::default(),
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
                self.settings.output = Some(crate::engine::BUILT_IN_SYNTH.to_string());
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
        self.stop();
        self.waiting_for_idea = true;
        self.send(Request::NextIdea);
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
    }

    /// Discards the current idea and asks for the next (the Discard button, key D).
    pub fn discard(&mut self) {
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
        let Some(current) = &self.current else {
            return;
        };
        if let Some(reason) = self.player.unavailable_reason() {
            self.status.error = Some(reason);
            return;
        }
        match self.player.play(&current.idea, self.settings.looping) {
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

    fn process_worker_events(&mut self) {
        let events = self
            .worker
            .as_ref()
            .map(WorkerHandle::poll)
            .unwrap_or_default();
        for event in events {
            match event {
                Event::Status(text) => self.status.activity = text,
                Event::ModelLoaded(model) => {
                    self.status.activity = format!("Model “{}” is ready.", model.name);
                    self.status.error = None;
                    self.settings.model = (!model.is_default).then(|| model.clone());
                    self.model = Some(model);
                }
                Event::ModelFailed { model, error } => {
                    let keeps = match &self.model {
                        Some(previous) => format!(" “{}” stays in use.", previous.name),
                        None => " No model is loaded, so there are no ideas yet.".into(),
                    };
                    self.status.activity = "The model did not load.".into();
                    self.status.error = Some(format!(
                        "Could not load the model “{}”: {error}.{keeps}",
                        model.name
                    ));
                }
                Event::IdeaReady { idea, seed, origin } => self.on_idea(*idea, seed, origin),
                Event::Train(event) => self.retrain.on_event(event),
                Event::TrainDone(outcome) => {
                    self.status.activity = "Training stopped.".into();
                    self.retrain.on_outcome(outcome);
                }
                Event::TrainFailed(error) => {
                    self.status.error = Some(format!("Training: {error}"));
                    self.retrain.on_failure(error);
                }
                Event::Error(error) => {
                    self.waiting_for_idea = false;
                    self.status.error = Some(error);
                }
            }
        }
    }

    fn on_idea(&mut self, idea: Idea, seed: u64, origin: IdeaOrigin) {
        self.waiting_for_idea = false;
        self.status.activity = match origin {
            IdeaOrigin::Next => format!("A new idea in {}.", idea.sheet().key),
            IdeaOrigin::Regenerated(part) => format!("Here is {}.", part.describe()),
        };
        self.show(CurrentIdea {
            idea,
            seed: Some(seed),
            kept_id: None,
        });
        if self.player.unavailable_reason().is_none() {
            self.play();
        }
    }

    fn process_dialog_results(&mut self) {
        for result in self.dialogs.poll() {
            match result {
                DialogResult::TrainingFolder(folder) => self.choose_training_folder(folder),
                DialogResult::SoundFont(path) => self.choose_soundfont(path),
                DialogResult::Saved(path) => {
                    self.status.activity = format!("Saved {}.", path.display());
                }
                DialogResult::SaveFailed { path, error } => {
                    self.status.error = Some(format!("Could not save {}: {error}", path.display()));
                }
            }
        }
        if let Some(error) = self.library.as_ref().and_then(Library::take_write_error) {
            self.status.error = Some(format!("The library was not saved: {error}"));
        }
    }

    /// N, Space, K, D — unless a text field is being typed into.
    fn handle_shortcuts(&mut self, ctx: &egui::Context) {
        if ctx.egui_wants_keyboard_input() {
            return;
        }
        let none = egui::Modifiers::NONE;
        let (next, play, keep, discard) = ctx.input_mut(|i| {
            (
                i.consume_key(none, egui::Key::N),
                i.consume_key(none, egui::Key::Space),
                i.consume_key(none, egui::Key::K),
                i.consume_key(none, egui::Key::D),
            )
        });
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
    }

    fn top_bar(&mut self, ui: &mut egui::Ui) {
        ui.add_space(4.0);
        ui.horizontal_wrapped(|ui| {
            let next =
                egui::Button::new(egui::RichText::new("Next idea").strong()).shortcut_text("N");
            if ui
                .add(next)
                .on_hover_text("A fresh verse and chorus")
                .clicked()
            {
                self.next_idea();
            }
            let has_idea = self.current.is_some();
            let play_label = if self.playing { "Stop" } else { "Play" };
            let play = ui
                .add_enabled(
                    has_idea,
                    egui::Button::new(play_label).shortcut_text("Space"),
                )
                .on_disabled_hover_text("Nothing to play yet");
            let play = match self.player.unavailable_reason() {
                Some(reason) => play.on_hover_text(reason),
                None => play,
            };
            if play.clicked() {
                self.toggle_play();
            }
            let keepable = self.current.as_ref().is_some_and(|c| c.kept_id.is_none());
            if ui
                .add_enabled(keepable, egui::Button::new("Keep").shortcut_text("K"))
                .on_hover_text("Put this idea in the library")
                .clicked()
            {
                self.keep();
            }
            if ui
                .add_enabled(has_idea, egui::Button::new("Discard").shortcut_text("D"))
                .on_hover_text("Throw it away and hear the next one")
                .clicked()
            {
                self.discard();
            }
            if ui
                .add_enabled(self.can_undo_discard(), egui::Button::new("Undo discard"))
                .clicked()
            {
                self.undo_discard();
            }
            if ui.checkbox(&mut self.settings.looping, "Loop").changed() {
                self.player.set_looping(self.settings.looping);
            }
            ui.separator();
            ui.toggle_value(&mut self.settings.show_library, "Library");
            ui.toggle_value(&mut self.retrain.open, "Retrain…");
            theme_ui(ui);
        });
        ui.horizontal_wrapped(|ui| {
            let before = self.settings.generate.clone();
            settings_ui(ui, &mut self.settings.generate);
            // The output on a row of its own, so its label never wraps away from its menu.
            ui.end_row();
            self.output_ui(ui);
            if self.settings.generate != before {
                self.send(Request::Settings(self.settings.generate.clone()));
            }
        });
        ui.add_space(2.0);
    }

    fn output_ui(&mut self, ui: &mut egui::Ui) {
        let output_label = ui.label("Output");
        let shown = self
            .settings
            .output
            .clone()
            .filter(|name| self.outputs.contains(name))
            .or_else(|| self.outputs.first().cloned())
            .unwrap_or_else(|| "none found".into());
        let mut chosen = None;
        let output_menu = egui::ComboBox::from_id_salt("output")
            .selected_text(shown)
            .width(180.0)
            .show_ui(ui, |ui| {
                for output in &self.outputs {
                    if ui
                        .selectable_label(self.settings.output.as_ref() == Some(output), output)
                        .clicked()
                    {
                        chosen = Some(output.clone());
                    }
                }
                if self.outputs.is_empty() {
                    ui.weak(
                        self.player
                            .unavailable_reason()
                            .unwrap_or_else(|| "No outputs found".into()),
                    );
                }
            });
        output_menu.response.labelled_by(output_label.id);
        if let Some(output) = chosen {
            match self.player.select_output(&output) {
                Ok(()) => self.settings.output = Some(output),
                Err(error) => {
                    self.status.error = Some(format!("Could not use {output}: {error:#}"))
                }
            }
        }
        if ui
            .button("Refresh")
            .on_hover_text("Look for MIDI ports again")
            .clicked()
        {
            self.refresh_outputs();
        }
        let soundfont = match &self.settings.soundfont {
            Some(path) => format!("The built-in synth plays with {}", path.display()),
            None => "The built-in synth plays with the first General MIDI SoundFont in \
                     /usr/share/sounds/sf2 and the other usual places; pick any .sf2 here"
                .to_string(),
        };
        if ui.button("SoundFont…").on_hover_text(soundfont).clicked()
            && let Err(error) = self.dialogs.pick_soundfont()
        {
            self.status.error = Some(format!("Could not open the file dialog: {error}"));
        }
    }

    fn regenerate_bar(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            let has_idea = self.current.is_some();
            for part in [Part::MelodyOverChords, Part::ChorusForVerse] {
                let label = match part {
                    Part::MelodyOverChords => "New melody over these chords",
                    Part::ChorusForVerse => "New chorus for this verse",
                };
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

    fn library_side_panel(&mut self, ui: &mut egui::Ui) {
        let deleted = self.deleted.as_ref().map(|(_, kept)| kept.name.clone());
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
    fn drag_out_frame(&mut self, ctx: &egui::Context, frame: &eframe::Frame) {
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

    fn retrain_window(&mut self, ctx: &egui::Context) {
        if !self.retrain.open {
            return;
        }
        let models = self.catalog.models();
        let mut open = self.retrain.open;
        let mut action = None;
        egui::Window::new("Retrain")
            .open(&mut open)
            .default_width(440.0)
            .pivot(egui::Align2::CENTER_CENTER)
            .default_pos(ctx.content_rect().center())
            .show(ctx, |ui| {
                action = self.retrain.ui(ui, &models, self.model.as_ref());
            });
        self.retrain.open = open;
        match action {
            Some(RetrainAction::PickFolder) => {
                if let Err(error) = self.dialogs.pick_training_folder() {
                    self.status.error = Some(format!("Could not open the folder dialog: {error}"));
                }
            }
            Some(RetrainAction::Start { resume }) => self.start_training(resume),
            Some(RetrainAction::Cancel) => {
                if let Some(worker) = &self.worker {
                    worker.cancel_training();
                }
                self.status.activity = "Cancelling training; the last checkpoint is kept…".into();
            }
            Some(RetrainAction::UseModel(model)) => self.send(Request::LoadModel(model)),
            None => {}
        }
    }

    fn start_training(&mut self, resume: bool) {
        let Some(songs) = self.retrain.folder.clone() else {
            return;
        };
        let output = match (&self.retrain.state, resume) {
            (retrain::RunState::Cancelled { output }, true) => output.clone(),
            _ => self.catalog.new_model_dir(&songs),
        };
        self.retrain.start_run(resume);
        self.send(Request::Train(TrainRequest {
            songs,
            mode: self.retrain.mode,
            base: self.model.clone(),
            output,
            resume,
        }));
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
        self.process_worker_events();
        self.process_dialog_results();
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
        let playhead = self.playhead_ticks(&ctx);
        egui::CentralPanel::default().show(ui, |ui| {
            self.regenerate_bar(ui);
            self.roll.ui(ui, playhead);
        });
        self.retrain_window(&ctx);
        self.drag_out_frame(&ctx, frame);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, eframe::APP_KEY, &self.settings);
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        self.player.stop();
    }
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

/// The generation settings: key, tempo, temperature, bars per section.
fn settings_ui(ui: &mut egui::Ui, settings: &mut GenerateSettings) {
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
    ui.add(egui::Slider::new(&mut settings.temperature, 0.5..=1.5).show_value(false))
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
    ui.add(egui::Slider::new(&mut settings.phrase_return, 0.0..=1.0).show_value(false))
        .labelled_by(phrases.id)
        .on_hover_text("How strongly a bar leans towards the bar 4 and 8 bars before it");
    let lift = ui.label("Chorus lift");
    ui.add(egui::Slider::new(&mut settings.chorus_lift, 0.0..=1.0).show_value(false))
        .labelled_by(lift.id)
        .on_hover_text("How strongly the chorus melody is kept from sitting below the verse");
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
