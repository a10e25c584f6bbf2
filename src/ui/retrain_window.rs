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
        }));
    }
}
