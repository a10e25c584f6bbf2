//! Playback owns time: a player thread turns a piece (the bytes of a standard MIDI file, exactly
//! what the exporter writes) into timed MIDI messages and sends them to the chosen output — a MIDI
//! port (midir) or the built-in SoundFont synth (rustysynth through cpal). It is commanded by
//! messages and reports the playhead; nothing is ever left sounding when it stops.
//!
//! - [`timeline`]: MIDI file → messages at seconds, following the tempo map.
//! - [`output`]: where messages go ([`output::MidiSink`]), and choosing an output.
//! - [`ports`]: MIDI output ports: list, find by name, connect, notice when one vanishes.
//! - [`soundfont`], [`synth`]: the built-in synth, live through the sound card.
//! - [`render`]: the built-in synth offline, into a WAV file.
//! - [`player`]: the player thread and its commands and events.
//! - [`bench`]: measures how far actual send times stray from the intended ones.

pub mod bench;
pub mod control;
pub mod output;
pub mod player;
pub mod ports;
pub mod render;
pub mod soundfont;
pub mod synth;
pub mod timeline;

use std::path::PathBuf;

pub use control::{NoPlayback, PlayerControl};
pub use output::{MidiSink, OutputChoice, SinkError, open_output};
pub use player::{Player, PlayerCommand, PlayerEvent};
pub use timeline::{TimedMessage, Timeline};

/// Why something in playback could not be done, in words for the person at the keyboard.
#[derive(Debug, thiserror::Error)]
pub enum PlaybackError {
    #[error("not a playable MIDI file: {0}")]
    BadMidi(String),
    #[error("{path}: {source}")]
    File {
        path: PathBuf,
        #[source]
        source: Box<PlaybackError>,
    },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("MIDI output is not available: {0}")]
    MidiUnavailable(String),
    #[error("no MIDI output port matches {wanted:?}; available ports: {available}")]
    PortNotFound { wanted: String, available: String },
    #[error("could not connect to MIDI port {port:?}: {reason}")]
    Connect { port: String, reason: String },
    #[error(
        "no SoundFont found (looked in {searched}); install one (Debian/Ubuntu: `sudo apt install fluid-soundfont-gm`) or choose a .sf2 file"
    )]
    NoSoundFont { searched: String },
    #[error("{path}: not a usable SoundFont: {reason}")]
    BadSoundFont { path: PathBuf, reason: String },
    #[error(
        "no audio output device found (no sound card?); choose a MIDI port, or render to a WAV file with `songsketch render`"
    )]
    NoAudioDevice,
    #[error("the audio output could not be started: {0}")]
    Audio(String),
    #[error(
        "no output: no MIDI port is chosen and the built-in synth cannot play ({synth}); {ports}"
    )]
    NoOutput { synth: String, ports: String },
}

impl PlaybackError {
    /// Wraps an error with the file it concerns.
    pub fn in_file(self, path: impl Into<PathBuf>) -> Self {
        PlaybackError::File {
            path: path.into(),
            source: Box::new(self),
        }
    }
}

/// Reads a MIDI file into a timeline, naming the file in any error.
pub fn load_timeline(path: &std::path::Path) -> Result<Timeline, PlaybackError> {
    let bytes = std::fs::read(path).map_err(|source| PlaybackError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    Timeline::from_smf_bytes(&bytes).map_err(|e| e.in_file(path))
}
