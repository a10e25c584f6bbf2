//! The retrain panel: choose a folder of songs (or drop one on the window), fine-tune or start
//! from scratch, see what was read from every file in a sortable table (exportable as CSV),
//! watch the progress bar, ETA and loss curve, cancel and resume, and switch between trained
//! models.

use std::path::PathBuf;

use egui_plot::{Line, Plot, PlotPoints};

use crate::midi::import::{FileColumn, FileRow};
use crate::model::train::StopReason;
use crate::model::{TrainEvent, TrainOutcome};
use crate::worker::{ModelRef, TrainMode, TrainReport};

/// What the composer asked for in the panel this frame.
#[derive(Debug, Clone, PartialEq)]
pub enum RetrainAction {
    PickFolder,
    Start {
        resume: bool,
    },
    Cancel,
    UseModel(ModelRef),
    /// Save the table of files read as CSV.
    ExportCsv,
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
    /// Skip damaged files instead of learning from what they hold.
    pub strict: bool,
    /// One row per file of the folder once it has been read, in the order the table shows.
    pub files: Option<Vec<FileRow>>,
    /// The table's order: by this column, ascending or not ([`RetrainPanel::sort_by`]).
    sort: (FileColumn, bool),
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
            strict: false,
            files: None,
            sort: (FileColumn::File, true),
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
            self.files = None;
            self.progress = None;
            self.losses.clear();
            self.last_checkpoint = None;
        }
        self.state = RunState::Running;
    }

    pub fn on_event(&mut self, report: TrainReport) {
        match report {
            TrainReport::SongsRead(files) => {
                self.files = Some(files);
                self.sort_files();
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

    /// How many songs of the folder can be learned from, once it has been read.
    pub fn songs_read(&self) -> Option<usize> {
        let files = self.files.as_ref()?;
        Some(files.iter().filter(|f| !f.is_skipped()).count())
    }

    /// The files that were skipped, with the reason in their status.
    pub fn skipped(&self) -> Vec<&FileRow> {
        self.files
            .iter()
            .flatten()
            .filter(|f| f.is_skipped())
            .collect()
    }

    /// The table's rows in the order shown.
    pub fn sorted_files(&self) -> &[FileRow] {
        self.files.as_deref().unwrap_or_default()
    }

    /// The table as CSV, in the order shown.
    pub fn files_csv(&self) -> Result<String, csv::Error> {
        crate::midi::import::files_csv(self.sorted_files())
    }

    /// Puts the rows in the table's order (when they arrive and when the order changes).
    fn sort_files(&mut self) {
        let (column, ascending) = self.sort;
        if let Some(files) = &mut self.files {
            files.sort_by(|a, b| {
                let order = a.compare(b, column);
                if ascending { order } else { order.reverse() }
            });
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
        ui.add_enabled_ui(!self.is_running(), |ui| {
            ui.checkbox(&mut self.strict, "Skip damaged files").on_hover_text(
                "A file cut short is normally learned from as far as it goes; tick this to leave it out.",
            );
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
        if self.songs_ui(ui) {
            action = Some(RetrainAction::ExportCsv);
        }
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

    /// The count of songs read and skipped, and the table of files; true when "Export CSV…"
    /// was clicked.
    fn songs_ui(&mut self, ui: &mut egui::Ui) -> bool {
        let Some(read) = self.songs_read() else {
            return false;
        };
        let mut export = false;
        ui.horizontal(|ui| {
            ui.label(format!(
                "{read} songs read, {} skipped.",
                self.skipped().len()
            ));
            export = ui
                .small_button("Export CSV…")
                .on_hover_text("Save this table as a CSV file.")
                .clicked();
        });
        egui::CollapsingHeader::new("Files read")
            .id_salt("files read")
            .default_open(true)
            .show(ui, |ui| self.files_table(ui));
        export
    }

    /// One row per file; a click on a heading sorts by it (a second click reverses).
    fn files_table(&mut self, ui: &mut egui::Ui) {
        use egui_extras::{Column, TableBuilder};
        let headings = FileColumn::ALL.map(|column| self.heading(column));
        let rows = self.sorted_files();
        let mut clicked = None;
        egui::ScrollArea::horizontal().show(ui, |ui| {
            // One line per row: long cells widen their column (the table scrolls sideways).
            ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Extend);
            let mut table = TableBuilder::new(ui)
                .id_salt("files table")
                .striped(true)
                .max_scroll_height(180.0);
            for _ in FileColumn::ALL {
                table = table.column(Column::auto().resizable(true));
            }
            table
                .header(20.0, |mut header| {
                    for (column, heading) in FileColumn::ALL.into_iter().zip(headings) {
                        header.col(|ui| {
                            if ui.button(heading).clicked() {
                                clicked = Some(column);
                            }
                        });
                    }
                })
                .body(|body| {
                    body.rows(18.0, rows.len(), |mut table_row| {
                        let file = &rows[table_row.index()];
                        for column in FileColumn::ALL {
                            table_row.col(|ui| {
                                let text = file.cell(column);
                                let label = if file.is_skipped() && column == FileColumn::Status {
                                    ui.colored_label(ui.visuals().warn_fg_color, text)
                                } else {
                                    ui.label(text)
                                };
                                if column == FileColumn::File {
                                    label.on_hover_text(file.path.display().to_string());
                                }
                            });
                        }
                    });
                });
        });
        if let Some(column) = clicked {
            self.sort_by(column);
        }
    }

    /// A heading's text; the column the table is sorted by says which way: `Bars (1–9)`,
    /// `Key (Z–A)`.
    fn heading(&self, column: FileColumn) -> String {
        let (sorted, ascending) = self.sort;
        if sorted != column {
            return column.title().to_string();
        }
        let way = match (column == FileColumn::Bars, ascending) {
            (true, true) => "1–9",
            (true, false) => "9–1",
            (false, true) => "A–Z",
            (false, false) => "Z–A",
        };
        format!("{} ({way})", column.title())
    }

    /// Sorts by `column`, ascending; again on the same column reverses the order.
    pub fn sort_by(&mut self, column: FileColumn) {
        self.sort = match self.sort {
            (sorted, ascending) if sorted == column => (column, !ascending),
            _ => (column, true),
        };
        self.sort_files();
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
