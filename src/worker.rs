//! The background thread that owns the model: requests come in, events go out, over crossbeam
//! channels, so the window never waits on the network, the disk or training.
//!
//! The worker talks to the model through two small traits defined here: [`ModelBackend`] loads
//! models and trains new ones, and the [`IdeaEngine`] it loads writes ideas. Both speak the
//! model's own types (`model::GenerateRequest`, `model::TrainEvent`, `model::TrainOutcome`), so
//! nothing is copied between layers; the real model plugs in through `engine.rs`, tests plug in
//! engines built on real songs.
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

use crate::midi::import::FileRow;
use crate::model::infill::{Redo, RedoPart};
use crate::model::rng::Rng;
use crate::model::{GenerateRequest, Keep, Sampling, TrainEvent, TrainOutcome};
use crate::music::{Idea, Key, LeadSheet, Meter, Tempo};

/// How many ideas the worker keeps ready ahead of the composer.
pub const PREFETCH_DEPTH: usize = 3;

/// What the composer asks ideas to be like.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "StoredSettings")]
pub struct GenerateSettings {
    /// `None` lets the model choose the key.
    pub key: Option<Key>,
    pub tempo_bpm: f64,
    /// Bars in the verse and again in the chorus: 4, 8 or 16.
    pub bars_per_section: u32,
    /// The meter of fresh ideas.
    pub meter: Meter,
    /// Temperature, top-p and the decoding priors.
    pub sampling: Sampling,
}

impl Default for GenerateSettings {
    fn default() -> Self {
        GenerateSettings {
            key: None,
            tempo_bpm: 96.0,
            bars_per_section: 8,
            meter: Meter::FOUR_FOUR,
            sampling: Sampling::default(),
        }
    }
}

/// [`GenerateSettings`] as settings files hold them: today's nested `sampling`, or the flat
/// sampling fields that files written before [`Sampling`] existed carry (RON cannot read a
/// `#[serde(flatten)]` struct back from struct syntax, so old files are read here instead).
#[derive(Deserialize)]
struct StoredSettings {
    #[serde(default)]
    key: Option<Key>,
    #[serde(default = "default_tempo_bpm")]
    tempo_bpm: f64,
    #[serde(default = "default_bars_per_section")]
    bars_per_section: u32,
    #[serde(default = "default_meter")]
    meter: Meter,
    #[serde(default)]
    sampling: Sampling,
    #[serde(default = "unset")]
    temperature: f32,
    #[serde(default = "unset")]
    top_p: f32,
    #[serde(default = "unset")]
    phrase_return: f32,
    #[serde(default = "unset")]
    chorus_lift: f32,
}

fn default_tempo_bpm() -> f64 {
    GenerateSettings::default().tempo_bpm
}

fn default_bars_per_section() -> u32 {
    GenerateSettings::default().bars_per_section
}

/// A flat field the file does not have.
fn unset() -> f32 {
    f32::NAN
}

fn default_meter() -> Meter {
    Meter::FOUR_FOUR
}

impl From<StoredSettings> for GenerateSettings {
    fn from(stored: StoredSettings) -> Self {
        let mut sampling = stored.sampling;
        let legacy = [
            (&mut sampling.temperature, stored.temperature),
            (&mut sampling.top_p, stored.top_p),
            (&mut sampling.phrase_return, stored.phrase_return),
            (&mut sampling.chorus_lift, stored.chorus_lift),
        ];
        for (field, old) in legacy {
            if !old.is_nan() {
                *field = old;
            }
        }
        GenerateSettings {
            key: stored.key,
            tempo_bpm: stored.tempo_bpm,
            bars_per_section: stored.bars_per_section,
            meter: stored.meter,
            sampling,
        }
    }
}

impl GenerateSettings {
    /// The model's request for one idea with these settings: a fresh idea is verse + chorus in
    /// 4/4; kept material keeps its own meter.
    pub fn request(&self, seed: u64, keep: Keep) -> anyhow::Result<GenerateRequest> {
        Ok(GenerateRequest {
            seed,
            key: self.key,
            tempo: Some(Tempo::new(self.tempo_bpm)?),
            meter: matches!(keep, Keep::Nothing).then_some(self.meter),
            bars: self.bars_per_section as usize,
            sampling: self.sampling,
            keep,
            ..GenerateRequest::default()
        })
    }
}

/// A part of an idea written again while the rest is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Part {
    /// A new melody over the same chords (verse and chorus).
    MelodyOverChords,
    /// A new chorus after the same verse.
    ChorusForVerse,
    /// Bars `first..=last` (0-based, across verse and chorus) written anew, the rest kept.
    Bars {
        first: usize,
        last: usize,
        part: BarPart,
    },
}

/// What of the chosen bars is new.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BarPart {
    Melody,
    Chords,
    Both,
}

impl Part {
    /// What of `idea` a request for this part keeps.
    pub fn keep(self, idea: &Idea) -> Keep {
        match self {
            Part::MelodyOverChords => Keep::Chords(idea.clone()),
            Part::ChorusForVerse => Keep::Verse(idea.clone()),
            Part::Bars { first, last, part } => Keep::Bars(Redo {
                idea: idea.clone(),
                bars: first..last + 1,
                part: match part {
                    BarPart::Melody => RedoPart::Melody,
                    BarPart::Chords => RedoPart::Chords,
                    BarPart::Both => RedoPart::Both,
                },
            }),
        }
    }

    pub fn describe(self) -> String {
        match self {
            Part::MelodyOverChords => "a new melody over these chords".into(),
            Part::ChorusForVerse => "a new chorus for this verse".into(),
            Part::Bars { first, last, part } => {
                let what = match part {
                    BarPart::Melody => "a new melody",
                    BarPart::Chords => "new chords",
                    BarPart::Both => "new chords and melody",
                };
                format!("{what} for {}", bar_span_name(first, last))
            }
        }
    }
}

/// "bar 5" or "bars 5–6" for 0-based bar indices.
pub fn bar_span_name(first: usize, last: usize) -> String {
    if first == last {
        format!("bar {}", first + 1)
    } else {
        format!("bars {}–{}", first + 1, last + 1)
    }
}

/// A model the composer can choose: the shipped default or one they trained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelRef {
    pub name: String,
    pub dir: PathBuf,
    pub is_default: bool,
}

impl ModelRef {
    /// A model trained here, named by its folder.
    pub fn trained(dir: PathBuf) -> ModelRef {
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "trained model".into());
        ModelRef {
            name,
            dir,
            is_default: false,
        }
    }
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
    /// Skip damaged files instead of learning from what they hold.
    pub strict: bool,
}

/// What a retrain reports while it runs: the folder it read, then the model's own events.
#[derive(Debug, Clone, PartialEq)]
pub enum TrainReport {
    /// The folder was read: one row per file, what was read from it or why it was skipped.
    SongsRead(Vec<FileRow>),
    /// Progress, the loss curve, checkpoints: as the model's training loop reports them.
    Model(TrainEvent),
}

/// Writes ideas. Owned by the worker thread; never touched by the window.
pub trait IdeaEngine: Send {
    /// An idea for the request: a fresh one, or one that keeps what `request.keep` names.
    fn generate(&mut self, request: &GenerateRequest) -> anyhow::Result<Idea>;
    /// The meters it has learned (and can write fresh ideas in).
    fn meters(&self) -> Vec<Meter>;
}

fn engine_meters(engine: Option<&dyn IdeaEngine>) -> Vec<Meter> {
    engine.map(|e| e.meters()).unwrap_or_default()
}

/// Loads models into engines and trains new models.
pub trait ModelBackend: Send + 'static {
    fn load(&mut self, model: &ModelRef) -> anyhow::Result<Box<dyn IdeaEngine>>;
    /// Trains until done or until `cancel` turns true, reporting as it goes.
    fn train(
        &mut self,
        request: &TrainRequest,
        report: &mut dyn FnMut(TrainReport),
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
    /// An idea made from the composer's own music (a MIDI file dropped on the window, or a
    /// take recorded from a keyboard).
    FromMaterial {
        material: Material,
        use_as: MaterialUse,
    },
    Train(TrainRequest),
    Shutdown,
}

/// The composer's own music, for an idea to be made from.
#[derive(Debug, Clone, PartialEq)]
pub enum Material {
    /// A MIDI file (any file the importer reads); the worker reads it.
    File(PathBuf),
    /// A take recorded from a keyboard, already read into a lead sheet.
    Recorded(Box<LeadSheet>),
}

impl Material {
    /// How the window names it.
    pub fn describe(&self) -> String {
        match self {
            Material::File(path) => path.file_name().map_or_else(
                || path.display().to_string(),
                |n| n.to_string_lossy().into(),
            ),
            Material::Recorded(_) => "what you played".into(),
        }
    }

    fn into_sheet(self) -> anyhow::Result<LeadSheet> {
        match self {
            Material::File(path) => Ok(crate::midi::import::import_file(&path)?.sheet),
            Material::Recorded(sheet) => Ok(*sheet),
        }
    }
}

/// What a composer's own material (a MIDI file dropped on the window, a recorded take) becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MaterialUse {
    /// Its melody kept note for note, chords written under it.
    Harmonize,
    /// Its opening bars start the verse; the rest of the idea is written after them.
    Continue,
}

impl MaterialUse {
    /// The most bars of the material used: a melody to harmonize fills at most a verse and a
    /// chorus; a motif to continue opens at most half the verse.
    pub fn bars_used(self, bars_per_section: usize) -> usize {
        match self {
            MaterialUse::Harmonize => 2 * bars_per_section,
            MaterialUse::Continue => (bars_per_section / 2).max(1),
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            MaterialUse::Harmonize => "chords for your melody",
            MaterialUse::Continue => "an idea that continues your motif",
        }
    }

    fn keep(self, sheet: LeadSheet) -> Keep {
        match self {
            MaterialUse::Harmonize => Keep::Melody(sheet),
            MaterialUse::Continue => Keep::Primer(sheet),
        }
    }
}

/// Why an idea arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdeaOrigin {
    Next,
    Regenerated(Part),
    /// Made from the composer's own music.
    FromMaterial(MaterialUse),
}

/// What the worker tells the window.
#[derive(Debug, Clone)]
pub enum Event {
    /// What the worker is doing now, in plain words.
    Status(String),
    /// A model is ready, with the meters it knows.
    ModelLoaded {
        model: ModelRef,
        meters: Vec<Meter>,
    },
    /// The model could not be loaded; the previous one (if any) stays in use.
    ModelFailed {
        model: ModelRef,
        error: String,
    },
    IdeaReady {
        idea: Box<Idea>,
        seed: u64,
        origin: IdeaOrigin,
        /// The settings it was written with.
        settings: Box<GenerateSettings>,
    },
    Train(TrainReport),
    /// Training ended: finished, or cancelled with its checkpoint kept (see `stopped`).
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
            seeds: seeds_from_clock(),
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

/// Seeds for generation: the project's seeded [`Rng`], started from the clock.
fn seeds_from_clock() -> Rng {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0x5eed);
    Rng::new(nanos)
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
    seeds: Rng,
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
            Request::FromMaterial { material, use_as } => {
                self.write_from_material(material, use_as)
            }
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
                let meters = engine_meters(self.engine.as_deref());
                self.emit(Event::ModelLoaded { model, meters });
            }
            Err(error) => self.emit(Event::ModelFailed {
                model,
                error: format!("{error:#}"),
            }),
        }
    }

    /// Makes one idea: for a waiting *Next idea* if there is one, else for the queue.
    fn generate_ahead(&mut self) {
        let seed = self.seeds.next_u64();
        let Some(engine) = self.engine.as_mut() else {
            return;
        };
        let idea = self
            .settings
            .request(seed, Keep::Nothing)
            .and_then(|request| engine.generate(&request));
        match idea {
            Ok(idea) => {
                if self.pending_next > 0 {
                    self.pending_next -= 1;
                    self.emit_idea(idea, seed, IdeaOrigin::Next);
                } else {
                    self.queue.push_back((idea, seed));
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
            settings: Box::new(self.settings.clone()),
        });
    }

    fn regenerate(&mut self, idea: &Idea, part: Part) {
        let seed = self.seeds.next_u64();
        let Some(engine) = self.engine.as_mut() else {
            self.emit(Event::Error(format!(
                "No model is loaded, so there is no way to write {}.",
                part.describe()
            )));
            return;
        };
        let new = self
            .settings
            .request(seed, part.keep(idea))
            .and_then(|request| engine.generate(&request));
        match new {
            Ok(new) => self.emit_idea(new, seed, IdeaOrigin::Regenerated(part)),
            Err(error) => self.emit(Event::Error(format!(
                "Could not write {}: {error:#}",
                part.describe()
            ))),
        }
    }

    /// Writes an idea from the composer's own music (see [`MaterialUse`]), in the material's
    /// own key.
    fn write_from_material(&mut self, material: Material, use_as: MaterialUse) {
        let seed = self.seeds.next_u64();
        let sheet = match material.into_sheet() {
            Ok(sheet) => sheet,
            Err(error) => {
                self.emit(Event::Error(format!("Could not read the file: {error:#}")));
                return;
            }
        };
        let Some(engine) = self.engine.as_mut() else {
            self.emit(Event::Error(format!(
                "No model is loaded, so there is no way to write {}.",
                use_as.describe()
            )));
            return;
        };
        let material = sheet.opening(use_as.bars_used(self.settings.bars_per_section as usize));
        let new = self
            .settings
            .request(seed, use_as.keep(material))
            .and_then(|mut request| {
                request.key = None;
                engine.generate(&request)
            });
        match new {
            Ok(new) => self.emit_idea(new, seed, IdeaOrigin::FromMaterial(use_as)),
            Err(error) => self.emit(Event::Error(format!(
                "Could not write {}: {error:#}",
                use_as.describe()
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
        let mut report = |event: TrainReport| {
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

    /// The default model first, then the other models shipped beside it (the Transformer in
    /// `models/transformer`), then every trained model folder, each group by name.
    pub fn models(&self) -> Vec<ModelRef> {
        let mut shipped = self.shipped_beside_default();
        shipped.sort_by(|a, b| a.name.cmp(&b.name));
        let mut trained: Vec<ModelRef> = subfolders(&self.trained_dir)
            .map(|(name, dir)| ModelRef {
                name,
                dir,
                is_default: false,
            })
            .collect();
        trained.sort_by(|a, b| a.name.cmp(&b.name));
        std::iter::once(self.default_model.clone())
            .chain(shipped)
            .chain(trained)
            .collect()
    }

    /// Model folders (with a `model.json`) next to the default model's.
    fn shipped_beside_default(&self) -> Vec<ModelRef> {
        let default_dir = &self.default_model.dir;
        let Some(parent) = default_dir.parent() else {
            return Vec::new();
        };
        subfolders(parent)
            .filter(|(_, dir)| dir != default_dir && dir != &self.trained_dir)
            .filter(|(_, dir)| dir.join(crate::model::checkpoint::CARD_FILE).is_file())
            .map(|(name, dir)| ModelRef {
                name: format!("{name} (shipped)"),
                dir,
                is_default: false,
            })
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

/// The folders in `dir`, with their names.
fn subfolders(dir: &Path) -> impl Iterator<Item = (String, PathBuf)> {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|entry| entry.path().is_dir())
        .map(|entry| {
            (
                entry.file_name().to_string_lossy().into_owned(),
                entry.path(),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalog_lists_models_shipped_beside_the_default_then_trained_ones() {
        let root = tempfile::tempdir().unwrap();
        let shipped = root.path().join("models");
        for name in ["default", "transformer", "notes"] {
            std::fs::create_dir_all(shipped.join(name)).unwrap();
        }
        for with_config in ["default", "transformer"] {
            std::fs::write(
                shipped
                    .join(with_config)
                    .join(crate::model::checkpoint::CARD_FILE),
                "{}",
            )
            .unwrap();
        }
        let trained = root.path().join("data").join("models");
        std::fs::create_dir_all(trained.join("my-songs-1")).unwrap();
        let catalog = ModelCatalog::new("Default".into(), shipped.join("default"), trained);
        let names: Vec<String> = catalog.models().into_iter().map(|m| m.name).collect();
        assert_eq!(names, ["Default", "transformer (shipped)", "my-songs-1"]);
    }

    #[test]
    fn settings_files_from_before_sampling_keep_their_values() {
        let old = "(key: None, tempo_bpm: 100.0, bars_per_section: 4, temperature: 1.2, \
                   top_p: 0.9, phrase_return: 0.3, chorus_lift: 0.1)";
        let settings: GenerateSettings = ron::from_str(old).unwrap();
        assert_eq!(settings.tempo_bpm, 100.0);
        assert_eq!(settings.bars_per_section, 4);
        let expected = Sampling {
            temperature: 1.2,
            top_p: 0.9,
            phrase_return: 0.3,
            chorus_lift: 0.1,
            ..Sampling::default()
        };
        assert_eq!(settings.sampling, expected);
        let oldest: GenerateSettings = ron::from_str(
            "(key: None, tempo_bpm: 80.0, bars_per_section: 8, temperature: 1.1, top_p: 0.95)",
        )
        .unwrap();
        assert_eq!(oldest.sampling.temperature, 1.1);
        assert_eq!(oldest.sampling.chorus_lift, Sampling::default().chorus_lift);
    }

    #[test]
    fn settings_round_trip_through_ron() {
        let settings = GenerateSettings {
            key: Some("F#m".parse().unwrap()),
            sampling: Sampling {
                temperature: 1.3,
                ..Sampling::default()
            },
            ..GenerateSettings::default()
        };
        let text = ron::to_string(&settings).unwrap();
        assert_eq!(ron::from_str::<GenerateSettings>(&text).unwrap(), settings);
    }
}
