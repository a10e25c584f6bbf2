//! The retrain panel: choose a folder of songs, fine-tune or start from scratch, watch the
//! progress bar, ETA and loss curve, cancel and resume, and switch between trained models.

use std::path::PathBuf;

use egui_plot::{Line, Plot, PlotPoints};

use crate::model::train::StopReason;
use crate::model::{TrainEvent, TrainOutcome};
use crate::worker::{ModelRef, SkippedSong, TrainMode, TrainReport};

/// What the composer asked for in the panel this frame.
#[derive(Debug, Clone, PartialEq)]
pub enum RetrainAction {
    PickFolder,
    Start { resume: bool },
    Cancel,
    UseModel(ModelRef),
}

/// How the current or last run stands.
#[derive(Debug, Clone, PartialEq)]
pub enum RunState {
    Idle,
    Running,
    Cancelled { output: PathBuf },
    Finished(ModelRef),
    Failed(String),
}

/// The panel's state, filled by training events.
#[derive(Debug)]
pub struct RetrainPanel {
    pub open: bool,
    pub folder: Option<PathBuf>,
    pub mode: TrainMode,
    pub state: RunState,
    pub songs_read: Option<usize>,
    pub skipped: Vec<SkippedSong>,
    /// Steps done, steps planned, seconds spent.
    pub progress: Option<(u64, u64, f64)>,
    pub losses: Vec<[f64; 2]>,
    pub last_checkpoint: Option<u64>,
    /// Batches per epoch and the most epochs of the run, from its start.
    plan: Option<(u64, u64)>,
    /// Seconds left, as the training loop estimates them.
    eta: Option<f64>,
    /// When this run (or its resumed part) started, for the seconds spent.
    started: Option<std::time::Instant>,
}

impl Default for RetrainPanel {
    fn default() -> Self {
        RetrainPanel {
            open: false,
            folder: None,
            mode: TrainMode::FineTune,
            state: RunState::Idle,
            songs_read: None,
            skipped: Vec::new(),
            progress: None,
            losses: Vec::new(),
            last_checkpoint: None,
            plan: None,
            eta: None,
            started: None,
        }
    }
}

impl RetrainPanel {
    /// Clears what the last run showed, as a new (not resumed) run starts.
    pub fn start_run(&mut self, resume: bool) {
        if !resume {
            self.songs_read = None;
            self.skipped.clear();
            self.progress = None;
            self.losses.clear();
            self.last_checkpoint = None;
        }
        self.state = RunState::Running;
    }

    pub fn on_event(&mut self, report: TrainReport) {
        match report {
            TrainReport::SongsRead { read, skipped } => {
                self.songs_read = Some(read);
                self.skipped = skipped;
            }
            TrainReport::Model(event) => self.on_training(event),
        }
    }

    /// Steps count batches from the run's first epoch: `(epoch − 1) × batches + batch`.
    fn on_training(&mut self, event: TrainEvent) {
        match event {
            TrainEvent::Prepared {
                batches_per_epoch,
                max_epochs,
                ..
            } => {
                self.plan = Some((batches_per_epoch.max(1) as u64, max_epochs as u64));
                self.started = Some(std::time::Instant::now());
            }
            TrainEvent::Progress {
                epoch,
                batch,
                loss,
                run_eta_seconds,
                ..
            } => {
                let (per_epoch, epochs) = self.plan.unwrap_or((1, 1));
                let step = (epoch as u64 - 1) * per_epoch + batch as u64;
                let elapsed = self.started.map_or(0.0, |at| at.elapsed().as_secs_f64());
                self.progress = Some((step, per_epoch * epochs, elapsed));
                self.eta = Some(run_eta_seconds);
                self.losses.push([step as f64, loss]);
            }
            TrainEvent::Epoch { log, .. } => {
                let (per_epoch, _) = self.plan.unwrap_or((1, 1));
                self.last_checkpoint = Some(log.epoch as u64 * per_epoch);
            }
            TrainEvent::Saved { .. } | TrainEvent::Finished(_) => {}
        }
    }

    pub fn on_outcome(&mut self, outcome: TrainOutcome) {
        self.state = if outcome.stopped == StopReason::Cancelled {
            RunState::Cancelled {
                output: outcome.model_dir,
            }
        } else {
            RunState::Finished(ModelRef::trained(outcome.model_dir))
        };
    }

    pub fn on_failure(&mut self, error: String) {
        if self.state == RunState::Running {
            self.state = RunState::Failed(error);
        }
    }

    pub fn is_running(&self) -> bool {
        self.state == RunState::Running
    }

    /// Seconds left at the pace so far (the training loop's estimate, within its time budget).
    pub fn eta_seconds(&self) -> Option<f64> {
        self.eta.filter(|_| self.is_running())
    }

    /// Draws the panel's contents; returns what the composer asked for.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        models: &[ModelRef],
        current: Option<&ModelRef>,
    ) -> Option<RetrainAction> {
        let mut action = None;
        ui.heading("Learn from your songs");
        ui.horizontal(|ui| {
            if ui
                .add_enabled(!self.is_running(), egui::Button::new("Choose folder…"))
                .clicked()
            {
                action = Some(RetrainAction::PickFolder);
            }
            match &self.folder {
                Some(folder) => ui.label(folder.display().to_string()),
                None => ui.weak("No folder chosen"),
            };
        });
        ui.horizontal(|ui| {
            ui.add_enabled_ui(!self.is_running(), |ui| {
                ui.radio_value(
                    &mut self.mode,
                    TrainMode::FineTune,
                    "Fine-tune the current model",
                )
                .on_hover_text("Quick: the model keeps what it knows and leans toward your songs.");
                ui.radio_value(&mut self.mode, TrainMode::FromScratch, "Train from scratch")
                    .on_hover_text("Slow: a new model that knows only your songs.");
            });
        });
        ui.horizontal(|ui| {
            let can_start = self.folder.is_some() && !self.is_running();
            if ui
                .add_enabled(can_start, egui::Button::new("Start training"))
                .clicked()
            {
                action = Some(RetrainAction::Start { resume: false });
            }
            if self.is_running() && ui.button("Cancel").clicked() {
                action = Some(RetrainAction::Cancel);
            }
            if matches!(self.state, RunState::Cancelled { .. })
                && ui
                    .button("Resume")
                    .on_hover_text("Continue from the last checkpoint.")
                    .clicked()
            {
                action = Some(RetrainAction::Start { resume: true });
            }
        });
        self.progress_ui(ui);
        if let Some(switch) = self.outcome_ui(ui, current) {
            action = Some(switch);
        }
        self.songs_ui(ui);
        self.loss_ui(ui);
        ui.separator();
        if let Some(choice) = models_ui(ui, models, current) {
            action = Some(choice);
        }
        action
    }

    fn progress_ui(&self, ui: &mut egui::Ui) {
        let Some((step, total, _)) = self.progress else {
            return;
        };
        let fraction = if total == 0 {
            0.0
        } else {
            step as f32 / total as f32
        };
        let eta = match self.eta_seconds() {
            Some(seconds) if self.is_running() => {
                format!(" · about {} left", format_duration(seconds))
            }
            _ => String::new(),
        };
        ui.add(
            egui::ProgressBar::new(fraction)
                .text(format!("step {step} of {total}{eta}"))
                .show_percentage(),
        );
    }

    fn outcome_ui(&self, ui: &mut egui::Ui, current: Option<&ModelRef>) -> Option<RetrainAction> {
        match &self.state {
            RunState::Idle | RunState::Running => None,
            RunState::Cancelled { output } => {
                let checkpoint = match self.last_checkpoint {
                    Some(step) => format!("the checkpoint at step {step} is kept"),
                    None => "no checkpoint was written yet".into(),
                };
                ui.label(format!("Cancelled; {checkpoint} in {}.", output.display()));
                None
            }
            RunState::Failed(error) => {
                ui.colored_label(
                    ui.visuals().error_fg_color,
                    format!("Training failed: {error}"),
                );
                None
            }
            RunState::Finished(model) => {
                let mut action = None;
                ui.horizontal(|ui| {
                    ui.label(format!("Trained “{}”.", model.name));
                    if current != Some(model) && ui.button("Use the new model").clicked() {
                        action = Some(RetrainAction::UseModel(model.clone()));
                    }
                });
                action
            }
        }
    }

    fn songs_ui(&self, ui: &mut egui::Ui) {
        let Some(read) = self.songs_read else {
            return;
        };
        ui.label(format!(
            "{read} songs read, {} skipped.",
            self.skipped.len()
        ));
        if !self.skipped.is_empty() {
            egui::CollapsingHeader::new(format!("Skipped songs ({})", self.skipped.len()))
                .id_salt("skipped songs")
                .show(ui, |ui| {
                    egui::ScrollArea::vertical()
                        .max_height(120.0)
                        .show(ui, |ui| {
                            for song in &self.skipped {
                                let name = song
                                    .path
                                    .file_name()
                                    .map(|n| n.to_string_lossy().into_owned())
                                    .unwrap_or_else(|| song.path.display().to_string());
                                ui.label(format!("{name}: {}", song.reason))
                                    .on_hover_text(song.path.display().to_string());
                            }
                        });
                });
        }
    }

    fn loss_ui(&self, ui: &mut egui::Ui) {
        if self.losses.is_empty() {
            return;
        }
        ui.label("Loss (lower means the model fits your songs better)");
        Plot::new("training loss")
            .height(160.0)
            .allow_scroll(false)
            .allow_zoom(false)
            .allow_drag(false)
            .include_y(0.0)
            .x_axis_label("step")
            .show(ui, |plot| {
                plot.line(Line::new("loss", PlotPoints::from(self.losses.clone())));
            });
    }
}

/// The list of models: the default first; the one in use is marked.
fn models_ui(
    ui: &mut egui::Ui,
    models: &[ModelRef],
    current: Option<&ModelRef>,
) -> Option<RetrainAction> {
    let mut action = None;
    ui.label("Models");
    for model in models {
        ui.horizontal(|ui| {
            let in_use = current == Some(model);
            let name = if model.is_default {
                format!("{} (default)", model.name)
            } else {
                model.name.clone()
            };
            ui.label(name)
                .on_hover_text(model.dir.display().to_string());
            if in_use {
                ui.weak("in use");
            } else if ui.small_button("Use").clicked() {
                action = Some(RetrainAction::UseModel(model.clone()));
            }
        });
    }
    action
}

/// `1 h 05 min`, `4 min 10 s`, `12 s`.
pub fn format_duration(seconds: f64) -> String {
    let total = seconds.max(0.0).round() as u64;
    let (hours, minutes, secs) = (total / 3600, total / 60 % 60, total % 60);
    if hours > 0 {
        format!("{hours} h {minutes:02} min")
    } else if minutes > 0 {
        format!("{minutes} min {secs:02} s")
    } else {
        format!("{secs} s")
    }
}
