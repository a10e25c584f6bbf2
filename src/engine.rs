//! The real parts behind the window's traits: the libtorch model as the worker's
//! [`IdeaEngine`]/[`ModelBackend`], and the player thread as the window's [`Player`].

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use anyhow::Context;

use crate::midi::import::{FolderOptions, import_folder_with};
use crate::midi::write::{ExportOptions, lead_sheet_to_smf_bytes};
use crate::model::{self, GenerateRequest, Keep, Model, TrainConfig, TrainOutcome};
use crate::music::{Idea, Meter, Tempo};
use crate::playback::control::PlayerControl;
use crate::playback::{self, OutputChoice, PlayerCommand, PlayerEvent, Timeline};
use crate::worker::{IdeaEngine, ModelBackend, ModelRef, TrainMode, TrainReport, TrainRequest};

/// Generates with a loaded model.
pub struct ModelEngine {
    model: Model,
}

impl IdeaEngine for ModelEngine {
    fn generate(&mut self, request: &GenerateRequest) -> anyhow::Result<Idea> {
        let generated = match &request.keep {
            Keep::Melody(melody) => self.model.chords_for_melody(request, melody)?,
            _ => self.model.generate(request)?,
        };
        Ok(generated.idea)
    }

    fn meters(&self) -> Vec<Meter> {
        self.model.known_meters()
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

    /// Reads the folder, then trains on this thread; the model's events go out as they come.
    fn train(
        &mut self,
        request: &TrainRequest,
        report: &mut dyn FnMut(TrainReport),
        cancel: &AtomicBool,
    ) -> anyhow::Result<TrainOutcome> {
        let options = FolderOptions {
            strict: request.strict,
            ..FolderOptions::default()
        };
        let folder = import_folder_with(&request.songs, options)?;
        report(TrainReport::SongsRead(folder.files));
        let songs = folder
            .songs
            .into_iter()
            .map(|(path, sheet)| (path.display().to_string(), sheet))
            .collect();
        let mut config = match (&request.mode, &request.base) {
            (TrainMode::FineTune, Some(base)) => TrainConfig::fine_tune(&request.output, &base.dir),
            _ => TrainConfig::new(&request.output),
        };
        config.resume = request.resume;
        let mut forward = |event| report(TrainReport::Model(event));
        Ok(model::train(config, songs, &mut forward, cancel)?)
    }
}

pub use crate::playback::control::BUILT_IN_SYNTH;

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

impl PlayerControl for ThreadPlayer {
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

    fn play(&mut self, idea: &Idea, looping: bool, from_seconds: f64) -> anyhow::Result<()> {
        let bytes = lead_sheet_to_smf_bytes(idea.sheet(), &ExportOptions::default())?;
        let timeline = Timeline::from_smf_bytes(&bytes)?;
        self.player.send(PlayerCommand::SetLoop(looping));
        self.player.play_from(timeline, from_seconds);
        Ok(())
    }

    fn stop(&mut self) {
        self.player.stop();
        self.playhead = None;
    }

    fn play_clicks(&mut self, tempo: Tempo, meter: Meter, bars: u32) -> anyhow::Result<()> {
        if let Some(reason) = &self.unavailable {
            anyhow::bail!("{reason}");
        }
        let bytes = crate::recording::metronome::click_track(tempo, meter, bars)?;
        self.player.send(PlayerCommand::SetLoop(false));
        self.player
            .play_from(Timeline::from_smf_bytes(&bytes)?, 0.0);
        Ok(())
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
