//! The app's side of the threads' messages: the worker's events (models, ideas, training) and
//! the file dialogs' results, drained once per frame.

use super::dialogs::DialogResult;
use super::{CurrentIdea, SongsketchApp};
use crate::library::Library;
use crate::library::keep_rate::KeepEvent;
use crate::music::Idea;
use crate::worker::{Event, GenerateSettings, IdeaOrigin, WorkerHandle};

impl SongsketchApp {
    /// Everything the worker and the dialogs sent since the last frame.
    pub(super) fn process_events(&mut self) {
        self.process_worker_events();
        self.process_dialog_results();
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
                Event::ModelLoaded { model, meters } => {
                    self.model_meters = meters;
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
                Event::IdeaReady {
                    idea,
                    seed,
                    origin,
                    settings,
                } => self.on_idea(*idea, seed, origin, *settings),
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
                    self.roll.bars.busy = false;
                    self.status.error = Some(error);
                }
            }
        }
    }

    fn on_idea(&mut self, idea: Idea, seed: u64, origin: IdeaOrigin, settings: GenerateSettings) {
        self.waiting_for_idea = false;
        self.status.activity = match origin {
            IdeaOrigin::Next => format!("A new idea in {}.", idea.sheet().key),
            IdeaOrigin::Regenerated(part) => format!("Here is {}.", part.describe()),
            IdeaOrigin::FromMaterial(use_as) => {
                format!("Here is {} in {}.", use_as.describe(), idea.sheet().key)
            }
        };
        let idea = CurrentIdea {
            idea,
            seed: Some(seed),
            kept_id: None,
        };
        match origin {
            IdeaOrigin::Regenerated(part) => self.on_changed_idea(idea, part),
            IdeaOrigin::Next | IdeaOrigin::FromMaterial(_) => {
                self.count(KeepEvent::Shown);
                self.remember_new_idea(&idea, settings);
                self.show(idea);
                if self.player.unavailable_reason().is_none() {
                    self.play();
                }
            }
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
}
