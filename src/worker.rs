//! The background thread that owns the model: requests come in, events go out, over crossbeam
//! channels, so the window never waits on the network, the disk or training.
//!
//! The worker talks to the model through two small traits defined here: [`ModelBackend`] loads
//! models and trains new ones, and the [`IdeaEngine`] it loads writes ideas. The real model
//! (`src/model/`) plugs in through a thin adapter; tests plug in engines built on real songs.
//!
//! The worker keeps a small queue of ideas generated ahead with the current settings, so
//! *Next idea* answers at once; new settings empty the queue and it refills.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

use crossbeam_channel::{Receiver, Sender, TryRecvError};
use serde::{Deserialize, Serialize};

use crate::music::{Idea, Key};

/// How many ideas the worker keeps ready ahead of the composer.
pub const PREFETCH_DEPTH: usize = 3;

/// What the composer asks ideas to be like.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GenerateSettings {
    /// `None` lets the model choose the key.
    pub key: Option<Key>,
    pub tempo_bpm: f64,
    /// Bars in the verse and again in the chorus: 4, 8 or 16.
    pub bars_per_section: u32,
    /// Sampling temperature: low is safe, high is adventurous.
    pub temperature: f32,
    /// Nucleus sampling: only the most likely tokens whose probabilities add up to this.
    pub top_p: f32,
    /// How strongly a melody returns to the bars 4 and 8 before it (0 = off, 1 = strongest).
    #[serde(default = "default_phrase_return")]
    pub phrase_return: f32,
    /// How strongly a chorus is kept from sinking below its verse (0 = off, 1 = strongest).
    #[serde(default = "default_chorus_lift")]
    pub chorus_lift: f32,
}

fn default_phrase_return() -> f32 {
    crate::model::DEFAULT_PHRASE_RETURN
}

fn default_chorus_lift() -> f32 {
    crate::model::DEFAULT_CHORUS_LIFT
}

impl Default for GenerateSettings {
    fn default() -> Self {
        GenerateSettings {
            key: None,
            tempo_bpm: 96.0,
            bars_per_section: 8,
            temperature: crate::model::DEFAULT_TEMPERATURE,
            top_p: 0.95,
            phrase_return: crate::model::DEFAULT_PHRASE_RETURN,
            chorus_lift: crate::model::DEFAULT_CHORUS_LIFT,
        }
    }
}

/// One generation: the settings and the random seed that makes it reproducible.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerateRequest {
    pub settings: GenerateSettings,
    pub seed: u64,
}

/// A part of an idea written again while the rest is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Part {
    /// A new melody over the same chords (verse and chorus).
    MelodyOverChords,
    /// A new chorus after the same verse.
    ChorusForVerse,
}

impl Part {
    pub fn describe(self) -> &'static str {
        match self {
            Part::MelodyOverChords => "a new melody over these chords",
            Part::ChorusForVerse => "a new chorus for this verse",
        }
    }
}

/// A model the composer can choose: the shipped default or one they trained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelRef {
    pub name: String,
    pub dir: PathBuf,
    pub is_default: bool,
}

/// How a retrain starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TrainMode {
    /// Continue from the current model: quick, keeps what it knows.
    FineTune,
    /// A fresh model that learns only the chosen folder.
    FromScratch,
}

/// A retrain: which songs, how, and where the new model goes.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainRequest {
    pub songs: PathBuf,
    pub mode: TrainMode,
    /// The model fine-tuning starts from (ignored from scratch).
    pub base: Option<ModelRef>,
    /// The folder the new model (and its checkpoints) is written to.
    pub output: PathBuf,
    /// Continue a cancelled run from the checkpoint in `output`.
    pub resume: bool,
}

/// A song of the training folder that could not be used, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedSong {
    pub path: PathBuf,
    pub reason: String,
}

/// What training reports while it runs.
#[derive(Debug, Clone, PartialEq)]
pub enum TrainEvent {
    /// The folder was read: how many songs are usable, which were skipped and why.
    SongsRead {
        read: usize,
        skipped: Vec<SkippedSong>,
    },
    /// Steps done out of the planned total, with the seconds spent so far.
    Progress {
        step: u64,
        total_steps: u64,
        elapsed_seconds: f64,
    },
    /// One point of the loss curve.
    Loss { step: u64, loss: f64 },
    /// A checkpoint was written; a cancelled run resumes from here.
    Checkpoint { step: u64 },
}

/// How a training run ended.
#[derive(Debug, Clone, PartialEq)]
pub enum TrainOutcome {
    Finished(ModelRef),
    /// Cancelled; the last checkpoint stays in the output folder and can be resumed.
    Cancelled {
        output: PathBuf,
    },
}

/// Writes ideas. Owned by the worker thread; never touched by the window.
pub trait IdeaEngine: Send {
    /// A fresh idea with these settings.
    fn generate(&mut self, request: &GenerateRequest) -> anyhow::Result<Idea>;
    /// The idea with one part written again and the rest kept.
    fn regenerate(
        &mut self,
        idea: &Idea,
        part: Part,
        request: &GenerateRequest,
    ) -> anyhow::Result<Idea>;
}

/// Loads models into engines and trains new models.
pub trait ModelBackend: Send + 'static {
    fn load(&mut self, model: &ModelRef) -> anyhow::Result<Box<dyn IdeaEngine>>;
    /// Trains until done or until `cancel` turns true, reporting as it goes.
    fn train(
        &mut self,
        request: &TrainRequest,
        report: &mut dyn FnMut(TrainEvent),
        cancel: &AtomicBool,
    ) -> anyhow::Result<TrainOutcome>;
}

/// What the window asks of the worker.
#[derive(Debug, Clone)]
pub enum Request {
    /// Load a model; generation uses it from then on.
    LoadModel(ModelRef),
    /// New settings: the queue of ideas made ahead is emptied and refilled.
    Settings(GenerateSettings),
    /// The next idea: from the queue at once, or generated now.
    NextIdea,
    /// One part of this idea written again.
    Regenerate {
        idea: Box<Idea>,
        part: Part,
    },
    Train(TrainRequest),
    Shutdown,
}

/// Why an idea arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdeaOrigin {
    Next,
    Regenerated(Part),
}

/// What the worker tells the window.
#[derive(Debug, Clone)]
pub enum Event {
    /// What the worker is doing now, in plain words.
    Status(String),
    ModelLoaded(ModelRef),
    /// The model could not be loaded; the previous one (if any) stays in use.
    ModelFailed {
        model: ModelRef,
        error: String,
    },
    IdeaReady {
        idea: Box<Idea>,
        seed: u64,
        origin: IdeaOrigin,
    },
    Train(TrainEvent),
    TrainDone(TrainOutcome),
    /// Training stopped with an error; the current model stays in use.
    TrainFailed(String),
    /// Something failed; the text is meant for the composer.
    Error(String),
}

/// The window's end of the worker: send requests, drain events, cancel training.
pub struct WorkerHandle {
    requests: Sender<Request>,
    events: Receiver<Event>,
    cancel_training: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl WorkerHandle {
    /// Starts the worker thread. `wake` is called after every event (the window repaints).
    pub fn spawn(
        backend: Box<dyn ModelBackend>,
        wake: Box<dyn Fn() + Send>,
    ) -> std::io::Result<WorkerHandle> {
        let (request_tx, request_rx) = crossbeam_channel::unbounded();
        let (event_tx, event_rx) = crossbeam_channel::unbounded();
        let cancel_training = Arc::new(AtomicBool::new(false));
        let worker = Worker {
            backend,
            engine: None,
            settings: GenerateSettings::default(),
            queue: VecDeque::new(),
            requests: request_rx,
            events: event_tx,
            wake,
            cancel_training: Arc::clone(&cancel_training),
            seeds: SeedSource::from_clock(),
            pending_next: 0,
            stalled: false,
        };
        let thread = std::thread::Builder::new()
            .name("songsketch-worker".into())
            .spawn(move || worker.run())?;
        Ok(WorkerHandle {
            requests: request_tx,
            events: event_rx,
            cancel_training,
            thread: Some(thread),
        })
    }

    /// Sends a request; never blocks. A worker that has stopped is reported as an error event
    /// by [`WorkerHandle::poll`] rather than here.
    pub fn send(&self, request: Request) {
        if matches!(request, Request::Train(_)) {
            self.cancel_training.store(false, Ordering::SeqCst);
        }
        let _ = self.requests.send(request);
    }

    /// Asks a running training to stop at its next step; the last checkpoint is kept.
    pub fn cancel_training(&self) {
        self.cancel_training.store(true, Ordering::SeqCst);
    }

    /// All events that arrived since the last call.
    pub fn poll(&self) -> Vec<Event> {
        let mut events: Vec<Event> = self.events.try_iter().collect();
        if events.is_empty() && self.thread.as_ref().is_some_and(|t| t.is_finished()) {
            events.push(Event::Error(
                "The idea worker stopped; restart Songsketch to get new ideas.".into(),
            ));
        }
        events
    }
}

impl Drop for WorkerHandle {
    fn drop(&mut self) {
        self.cancel_training.store(true, Ordering::SeqCst);
        let _ = self.requests.send(Request::Shutdown);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Seeds for generation: a splitmix64 sequence started from the clock.
struct SeedSource(u64);

impl SeedSource {
    fn from_clock() -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0x5eed);
        SeedSource(nanos)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// The worker thread's state.
struct Worker {
    backend: Box<dyn ModelBackend>,
    engine: Option<Box<dyn IdeaEngine>>,
    settings: GenerateSettings,
    /// Ideas made ahead with `settings`, with their seeds.
    queue: VecDeque<(Idea, u64)>,
    requests: Receiver<Request>,
    events: Sender<Event>,
    wake: Box<dyn Fn() + Send>,
    cancel_training: Arc<AtomicBool>,
    seeds: SeedSource,
    /// *Next idea* requests not answered yet because the queue was empty.
    pending_next: usize,
    /// The last generation failed: make nothing ahead until the next request.
    stalled: bool,
}

impl Worker {
    fn run(mut self) {
        loop {
            let request = if self.wants_to_generate() {
                match self.requests.try_recv() {
                    Ok(request) => Some(request),
                    Err(TryRecvError::Empty) => None,
                    Err(TryRecvError::Disconnected) => return,
                }
            } else {
                match self.requests.recv() {
                    Ok(request) => Some(request),
                    Err(_) => return,
                }
            };
            match request {
                Some(Request::Shutdown) => return,
                Some(request) => self.handle(request),
                None => self.generate_ahead(),
            }
        }
    }

    fn wants_to_generate(&self) -> bool {
        self.engine.is_some()
            && !self.stalled
            && (self.pending_next > 0 || self.queue.len() < PREFETCH_DEPTH)
    }

    fn emit(&self, event: Event) {
        let _ = self.events.send(event);
        (self.wake)();
    }

    fn handle(&mut self, request: Request) {
        self.stalled = false;
        match request {
            Request::LoadModel(model) => self.load(model),
            Request::Settings(settings) => {
                if settings != self.settings {
                    self.settings = settings;
                    self.queue.clear();
                }
            }
            Request::NextIdea => {
                if let Some((idea, seed)) = self.queue.pop_front() {
                    self.emit_idea(idea, seed, IdeaOrigin::Next);
                } else if self.engine.is_none() {
                    self.emit(Event::Error(
                        "No model is loaded, so there are no ideas to give. Choose a model in Retrain.".into(),
                    ));
                } else {
                    self.pending_next += 1;
                    self.emit(Event::Status("Writing an idea…".into()));
                }
            }
            Request::Regenerate { idea, part } => self.regenerate(&idea, part),
            Request::Train(request) => self.train(request),
            Request::Shutdown => {}
        }
    }

    fn load(&mut self, model: ModelRef) {
        self.emit(Event::Status(format!("Loading model “{}”…", model.name)));
        match self.backend.load(&model) {
            Ok(engine) => {
                self.engine = Some(engine);
                self.queue.clear();
                self.emit(Event::ModelLoaded(model));
            }
            Err(error) => self.emit(Event::ModelFailed {
                model,
                error: format!("{error:#}"),
            }),
        }
    }

    fn request(&mut self) -> GenerateRequest {
        GenerateRequest {
            settings: self.settings.clone(),
            seed: self.seeds.next(),
        }
    }

    /// Makes one idea: for a waiting *Next idea* if there is one, else for the queue.
    fn generate_ahead(&mut self) {
        let request = self.request();
        let Some(engine) = self.engine.as_mut() else {
            return;
        };
        match engine.generate(&request) {
            Ok(idea) => {
                if self.pending_next > 0 {
                    self.pending_next -= 1;
                    self.emit_idea(idea, request.seed, IdeaOrigin::Next);
                } else {
                    self.queue.push_back((idea, request.seed));
                }
            }
            Err(error) => {
                // A model that fails now would fail again at once: wait for the next request.
                self.pending_next = 0;
                self.stalled = true;
                self.emit(Event::Error(format!(
                    "The model could not write an idea: {error:#}"
                )));
            }
        }
    }

    fn emit_idea(&self, idea: Idea, seed: u64, origin: IdeaOrigin) {
        self.emit(Event::IdeaReady {
            idea: Box::new(idea),
            seed,
            origin,
        });
    }

    fn regenerate(&mut self, idea: &Idea, part: Part) {
        let request = self.request();
        let Some(engine) = self.engine.as_mut() else {
            self.emit(Event::Error(format!(
                "No model is loaded, so there is no way to write {}.",
                part.describe()
            )));
            return;
        };
        match engine.regenerate(idea, part, &request) {
            Ok(new) => self.emit_idea(new, request.seed, IdeaOrigin::Regenerated(part)),
            Err(error) => self.emit(Event::Error(format!(
                "Could not write {}: {error:#}",
                part.describe()
            ))),
        }
    }

    fn train(&mut self, request: TrainRequest) {
        self.emit(Event::Status(format!(
            "Training on {}…",
            request.songs.display()
        )));
        let events = self.events.clone();
        let wake = &self.wake;
        let mut report = |event: TrainEvent| {
            let _ = events.send(Event::Train(event));
            wake();
        };
        let outcome = self
            .backend
            .train(&request, &mut report, &self.cancel_training);
        match outcome {
            Ok(outcome) => self.emit(Event::TrainDone(outcome)),
            Err(error) => self.emit(Event::TrainFailed(format!(
                "training on {} failed: {error:#}. The current model stays in use.",
                request.songs.display()
            ))),
        }
    }
}

/// The models on this machine: the shipped default and the ones trained here.
#[derive(Debug, Clone)]
pub struct ModelCatalog {
    pub default_model: ModelRef,
    /// Where retrained models are written, one folder each.
    pub trained_dir: PathBuf,
}

impl ModelCatalog {
    pub fn new(default_name: String, default_dir: PathBuf, trained_dir: PathBuf) -> Self {
        ModelCatalog {
            default_model: ModelRef {
                name: default_name,
                dir: default_dir,
                is_default: true,
            },
            trained_dir,
        }
    }

    /// The default model first, then every trained model folder, by name.
    pub fn models(&self) -> Vec<ModelRef> {
        let mut trained: Vec<ModelRef> = std::fs::read_dir(&self.trained_dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter(|entry| entry.path().is_dir())
            .map(|entry| ModelRef {
                name: entry.file_name().to_string_lossy().into_owned(),
                dir: entry.path(),
                is_default: false,
            })
            .collect();
        trained.sort_by(|a, b| a.name.cmp(&b.name));
        std::iter::once(self.default_model.clone())
            .chain(trained)
            .collect()
    }

    /// A fresh folder name for a model trained on `songs`: the folder's name and a number.
    pub fn new_model_dir(&self, songs: &Path) -> PathBuf {
        let stem: String = songs
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "songs".into())
            .chars()
            .map(|c| if c.is_alphanumeric() { c } else { '-' })
            .collect();
        (1..)
            .map(|n| self.trained_dir.join(format!("{stem}-{n}")))
            .find(|dir| !dir.exists())
            .unwrap_or_else(|| self.trained_dir.join(stem))
    }
}

/// The backend of a build without model code: it says so instead of inventing ideas.
#[derive(Debug, Default)]
pub struct MissingModel;

const MISSING_MODEL: &str =
    "this build of Songsketch has no model code yet, so it cannot write ideas";

impl ModelBackend for MissingModel {
    fn load(&mut self, model: &ModelRef) -> anyhow::Result<Box<dyn IdeaEngine>> {
        anyhow::bail!("cannot load {}: {MISSING_MODEL}", model.dir.display())
    }

    fn train(
        &mut self,
        _request: &TrainRequest,
        _report: &mut dyn FnMut(TrainEvent),
        _cancel: &AtomicBool,
    ) -> anyhow::Result<TrainOutcome> {
        anyhow::bail!("cannot train: {MISSING_MODEL}")
    }
}
