//! The Retrain window: the retrain panel in a window, and starting, resuming and cancelling a
//! run through the worker.

use super::SongsketchApp;
use super::retrain::{RetrainAction, RunState};
use crate::worker::{Request, TrainRequest};

impl SongsketchApp {
    pub(super) fn retrain_window(&mut self, ctx: &egui::Context) {
        if !self.retrain.open {
            return;
        }
        let models = self.catalog.models();
        let mut open = self.retrain.open;
        let mut action = None;
        egui::Window::new("Retrain")
            .open(&mut open)
            .default_width(720.0)
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
            Some(RetrainAction::ExportCsv) => self.export_files_csv(),
            None => {}
        }
    }

    fn start_training(&mut self, resume: bool) {
        let Some(songs) = self.retrain.folder.clone() else {
            return;
        };
        let output = match (&self.retrain.state, resume) {
            (RunState::Cancelled { output }, true) => output.clone(),
            _ => self.catalog.new_model_dir(&songs),
        };
        self.retrain.start_run(resume);
        self.send(Request::Train(TrainRequest {
            songs,
            mode: self.retrain.mode,
            base: self.model.clone(),
            output,
            resume,
            strict: self.retrain.strict,
        }));
    }

    /// Asks where to save the table of files read, then writes it there.
    fn export_files_csv(&mut self) {
        let saved = match self.retrain.files_csv() {
            Ok(csv) => self
                .dialogs
                .save_text("Save the table of files read", "songs read.csv", csv)
                .map_err(|e| e.to_string()),
            Err(error) => Err(error.to_string()),
        };
        if let Err(error) = saved {
            self.status.error = Some(format!("Could not export the table: {error}"));
        }
    }

    /// Opens the retrain panel on `folder` and starts a run, as choosing the folder and pressing
    /// Start training would.
    pub fn retrain_on(&mut self, folder: std::path::PathBuf) {
        self.on_dropped_folder(folder);
        if self.retrain.folder.is_some() && !self.retrain.is_running() {
            self.start_training(false);
        }
    }

    /// Takes a folder dropped on the window as the songs to retrain on, and opens the panel.
    pub(super) fn on_dropped_folder(&mut self, folder: std::path::PathBuf) {
        if self.retrain.is_running() {
            self.status.error = Some(
                "A training run is going on; drop the folder again when it has finished.".into(),
            );
            return;
        }
        self.status.activity = format!("Retrain on {}?", folder.display());
        self.choose_training_folder(folder);
        self.retrain.open = true;
    }
}
