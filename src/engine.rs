//! The real parts behind the window's traits: the libtorch model as the worker's
//! [`IdeaEngine`]/[`ModelBackend`], and the player thread as the window's [`Player`].

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;

use crate::midi::import::import_folder;
use crate::midi::write::{ExportOptions, lead_sheet_to_smf_bytes};
use crate::model::{self, Keep, Model};
use crate::music::{Idea, Meter, Tempo};
use crate::playback::{self, OutputChoice, PlayerCommand, PlayerEvent, Timeline};
use crate::ui::player::Player;
use crate::worker::{
    GenerateRequest, IdeaEngine, ModelBackend, ModelRef, Part, SkippedSong, TrainEvent, TrainMode,
    TrainOutcome, TrainRequest,
};

/// Generates with a loaded model.
pub struct ModelEngine {
    model: Model,
}

impl ModelEngine {
    fn request(
        &self,
        request: &GenerateRequest,
        keep: Keep,
    ) -> anyhow::Result<model::GenerateRequest> {
        let settings = &request.settings;
        Ok(model::GenerateRequest {
            seed: request.seed,
            key: settings.key,
            tempo: Some(Tempo::new(settings.tempo_bpm)?),
            // Ideas are verse + chorus in 4/4 unless kept material says otherwise.
            meter: matches!(keep, Keep::Nothing).then_some(Meter::FOUR_FOUR),
            bars: settings.bars_per_section as usize,
            temperature: settings.temperature,
            top_p: settings.top_p,
            phrase_return: settings.phrase_return,
            chorus_lift: settings.chorus_lift,
            keep,
            ..model::GenerateRequest::default()
        })
    }

    fn run(&self, request: model::GenerateRequest) -> anyhow::Result<Idea> {
        Ok(self.model.generate(&request)?.idea)
    }
}

impl IdeaEngine for ModelEngine {
    fn generate(&mut self, request: &GenerateRequest) -> anyhow::Result<Idea> {
        self.run(self.request(request, Keep::Nothing)?)
    }

    fn regenerate(
        &mut self,
        idea: &Idea,
        part: Part,
        request: &GenerateRequest,
    ) -> anyhow::Result<Idea> {
        let keep = match part {
            Part::MelodyOverChords => Keep::Chords(idea.clone()),
            Part::ChorusForVerse => Keep::Verse(idea.clone()),
        };
        self.run(self.request(request, keep)?)
    }
}

/// Loads models from their folders and trains new ones with libtorch.
#[derive(Debug, Default)]
pub struct LibtorchBackend;

impl ModelBackend for LibtorchBackend {
    fn load(&mut self, model: &ModelRef) -> anyhow::Result<Box<dyn IdeaEngine>> {
        let model = Model::load(&model.dir)
            .with_context(|| format!("loading the model “{}”", model.name))?;
        Ok(Box::new(ModelEngine { model }))
    }

    fn train(
        &mut self,
        request: &TrainRequest,
        report: &mut dyn FnMut(TrainEvent),
        cancel: &AtomicBool,
    ) -> anyhow::Result<TrainOutcome> {
        let folder = import_folder(&request.songs)?;
        report(TrainEvent::SongsRead {
            read: folder.songs.len(),
            skipped: folder
                .skipped
                .iter()
                .map(|(path, reason)| SkippedSong {
                    path: path.clone(),
                    reason: reason.clone(),
                })
                .collect(),
        });
        let songs = folder
            .songs
            .into_iter()
            .map(|(path, sheet)| (path.display().to_string(), sheet))
            .collect();
        let mut config = match (&request.mode, &request.base) {
            (TrainMode::FineTune, Some(base)) => {
                model::TrainConfig::fine_tune(&request.output, &base.dir)
            }
            _ => model::TrainConfig::new(&request.output),
        };
        config.resume = request.resume;
        run_training(config, songs, report, cancel)
    }
}

/// Runs `model::train` on its own thread, turning its events into the window's and passing
/// the window's cancel flag on.
fn run_training(
    config: model::TrainConfig,
    songs: Vec<(String, crate::music::LeadSheet)>,
    report: &mut dyn FnMut(TrainEvent),
    cancel: &AtomicBool,
) -> anyhow::Result<TrainOutcome> {
    let max_epochs = config.max_epochs as u64;
    let (events_tx, events) = crossbeam_channel::unbounded();
    let stop = Arc::new(AtomicBool::new(false));
    let stop_for_training = Arc::clone(&stop);
    let started = Instant::now();
    let training =
        std::thread::spawn(move || model::train(config, songs, events_tx, stop_for_training));
    let mut steps_per_epoch = 1u64;
    let mut total_steps = 1u64;
    loop {
        if cancel.load(Ordering::Relaxed) {
            stop.store(true, Ordering::Relaxed);
        }
        match events.recv_timeout(Duration::from_millis(100)) {
            Ok(model::TrainEvent::Prepared {
                batches_per_epoch, ..
            }) => {
                steps_per_epoch = batches_per_epoch.max(1) as u64;
                total_steps = steps_per_epoch * max_epochs;
            }
            Ok(model::TrainEvent::Progress {
                epoch, batch, loss, ..
            }) => {
                let step = (epoch as u64 - 1) * steps_per_epoch + batch as u64;
                let elapsed_seconds = started.elapsed().as_secs_f64();
                report(TrainEvent::Progress {
                    step,
                    total_steps,
                    elapsed_seconds,
                });
                report(TrainEvent::Loss { step, loss });
            }
            Ok(model::TrainEvent::Epoch { log, .. }) => {
                report(TrainEvent::Checkpoint {
                    step: log.epoch as u64 * steps_per_epoch,
                });
            }
            Ok(_) => {}
            Err(crossbeam_channel::RecvTimeoutError::Timeout) => {}
            Err(crossbeam_channel::RecvTimeoutError::Disconnected) => break,
        }
    }
    let outcome = training
        .join()
        .map_err(|_| anyhow::anyhow!("the training thread stopped unexpectedly"))??;
    if outcome.stopped == model::train::StopReason::Cancelled {
        return Ok(TrainOutcome::Cancelled {
            output: outcome.model_dir,
        });
    }
    let name = outcome
        .model_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "trained model".into());
    Ok(TrainOutcome::Finished(ModelRef {
        name,
        dir: outcome.model_dir,
        is_default: false,
    }))
}

/// The name the window shows for the built-in SoundFont synth.
pub const BUILT_IN_SYNTH: &str = "Built-in synth";

/// The player thread behind the window: plays ideas as the exact bytes "Save as MIDI…" writes.
pub struct ThreadPlayer {
    player: playback::Player,
    unavailable: Option<String>,
    /// The SoundFont the built-in synth plays with; `None`: the first one in the usual places.
    soundfont: Option<PathBuf>,
    /// Where the playhead was at an instant, and how fast it moves.
    playhead: Option<(Instant, f64, f64)>,
}

impl ThreadPlayer {
    /// Starts the player with the built-in synth (or nothing, with the reason kept for the window).
    pub fn spawn() -> anyhow::Result<Self> {
        let (output, unavailable) = match playback::open_output(&OutputChoice::Automatic) {
            Ok(sink) => (Some(sink), None),
            Err(error) => (None, Some(error.to_string())),
        };
        let player = playback::Player::spawn(output).context("starting the player thread")?;
        Ok(ThreadPlayer {
            player,
            unavailable,
            soundfont: None,
            playhead: None,
        })
    }

    fn drain_events(&mut self) {
        while let Ok(event) = self.player.events().try_recv() {
            match event {
                PlayerEvent::Started {
                    at,
                    position,
                    tempo_scale,
                    ..
                } => {
                    self.playhead = Some((at, position, tempo_scale));
                }
                PlayerEvent::Stopped | PlayerEvent::Finished | PlayerEvent::Paused(_) => {
                    self.playhead = None
                }
                PlayerEvent::PortLost(reason) | PlayerEvent::Error(reason) => {
                    self.playhead = None;
                    self.unavailable = Some(reason);
                }
                PlayerEvent::Position(_) => {}
            }
        }
    }
}

impl Player for ThreadPlayer {
    fn unavailable_reason(&self) -> Option<String> {
        self.unavailable.clone()
    }

    fn refresh_outputs(&mut self) -> Vec<String> {
        let mut outputs = vec![BUILT_IN_SYNTH.to_string()];
        if let Ok(ports) = playback::ports::list_output_ports() {
            outputs.extend(ports.into_iter().map(|p| p.name));
        }
        outputs
    }

    fn select_output(&mut self, name: &str) -> anyhow::Result<()> {
        let choice = if name == BUILT_IN_SYNTH {
            OutputChoice::BuiltInSynth {
                soundfont: self.soundfont.clone(),
            }
        } else {
            OutputChoice::Port(name.to_string())
        };
        let sink = playback::open_output(&choice)?;
        self.player.send(PlayerCommand::SetOutput(Some(sink)));
        self.unavailable = None;
        Ok(())
    }

    fn play(&mut self, idea: &Idea, looping: bool) -> anyhow::Result<()> {
        let bytes = lead_sheet_to_smf_bytes(idea.sheet(), &ExportOptions::default())?;
        let timeline = Timeline::from_smf_bytes(&bytes)?;
        self.player.send(PlayerCommand::SetLoop(looping));
        self.player.play(timeline);
        Ok(())
    }

    fn stop(&mut self) {
        self.player.stop();
        self.playhead = None;
    }

    fn set_looping(&mut self, looping: bool) {
        self.player.send(PlayerCommand::SetLoop(looping));
    }

    fn use_soundfont(&mut self, path: &Path) -> anyhow::Result<()> {
        let choice = OutputChoice::BuiltInSynth {
            soundfont: Some(path.to_path_buf()),
        };
        let sink = playback::open_output(&choice)?;
        self.player.send(PlayerCommand::SetOutput(Some(sink)));
        self.soundfont = Some(path.to_path_buf());
        self.unavailable = None;
        Ok(())
    }

    fn playhead_seconds(&mut self) -> Option<f64> {
        self.drain_events();
        self.playhead
            .map(|(at, position, scale)| position + at.elapsed().as_secs_f64() * scale)
    }
}
