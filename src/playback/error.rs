//! Why something in playback could not be done: one error type for every playback module, with
//! the file, port or device it concerns, in words for the person at the keyboard.

use std::path::PathBuf;

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
