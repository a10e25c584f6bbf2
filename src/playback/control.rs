//! What the window needs from the player thread, as a small trait: play an idea, stop, loop,
//! choose an output, and tell where the playhead is. The window holds a `Box<dyn
//! PlayerControl>`; the binary gives it the real player thread (`engine::ThreadPlayer`), tests
//! give it their own, and [`NoPlayback`] says plainly that there is no sound.

use crate::music::{Idea, Meter, Tempo};

/// The name the window shows for the built-in SoundFont synth among the outputs.
pub const BUILT_IN_SYNTH: &str = "Built-in synth";

/// The player as the window sees it. Every method returns at once: the player owns time on
/// its own thread.
pub trait PlayerControl {
    /// Why nothing can be played right now, in plain words; `None` when playing works.
    fn unavailable_reason(&self) -> Option<String>;
    /// The outputs to choose from (MIDI ports and the built-in synth), looked up again.
    fn refresh_outputs(&mut self) -> Vec<String>;
    /// Sends from now on to the named output.
    fn select_output(&mut self, name: &str) -> anyhow::Result<()>;
    /// Plays an idea from `from_seconds` into it (0: its start), over and over (from its
    /// start) when `looping`.
    fn play(&mut self, idea: &Idea, looping: bool, from_seconds: f64) -> anyhow::Result<()>;
    /// Stops, silencing every sounding note.
    fn stop(&mut self);
    fn set_looping(&mut self, looping: bool);
    /// Seconds into the idea while it plays; `None` when stopped.
    fn playhead_seconds(&mut self) -> Option<f64>;
    /// Plays the metronome: a click on every beat of `bars` bars (the count-in, then the take).
    /// `stop` ends it.
    fn play_clicks(&mut self, tempo: Tempo, meter: Meter, bars: u32) -> anyhow::Result<()> {
        let _ = (tempo, meter, bars);
        anyhow::bail!("this player has no metronome")
    }
    /// Plays through the built-in synth with the SoundFont at `path` from now on.
    fn use_soundfont(&mut self, path: &std::path::Path) -> anyhow::Result<()> {
        anyhow::bail!(
            "cannot use {}: this player has no built-in synth",
            path.display()
        )
    }
}

/// The player of a build without playback: plays nothing and says why.
#[derive(Debug, Default)]
pub struct NoPlayback;

const NO_PLAYBACK: &str = "No sound: this build of Songsketch has no player yet.";

impl PlayerControl for NoPlayback {
    fn unavailable_reason(&self) -> Option<String> {
        Some(NO_PLAYBACK.into())
    }

    fn refresh_outputs(&mut self) -> Vec<String> {
        Vec::new()
    }

    fn select_output(&mut self, name: &str) -> anyhow::Result<()> {
        anyhow::bail!("cannot send to {name}: {NO_PLAYBACK}")
    }

    fn play(&mut self, _idea: &Idea, _looping: bool, _from_seconds: f64) -> anyhow::Result<()> {
        anyhow::bail!(NO_PLAYBACK)
    }

    fn stop(&mut self) {}

    fn set_looping(&mut self, _looping: bool) {}

    fn playhead_seconds(&mut self) -> Option<f64> {
        None
    }
}
