//! Playback owns time: a player thread turns a piece (the bytes of a standard MIDI file, exactly
//! what the exporter writes) into timed MIDI messages and sends them to the chosen output — a MIDI
//! port (midir) or the built-in SoundFont synth (rustysynth through cpal). It is commanded by
//! messages and reports the playhead; nothing is ever left sounding when it stops.
//!
//! Dependencies run one way: this module opens outputs ([`open_output`]); [`ports`] and [`synth`]
//! implement [`sink::MidiSink`]; the player and the benches only know that trait.
//!
//! - [`timeline`]: MIDI file → messages at seconds, following the tempo map.
//! - [`sink`]: where messages go ([`MidiSink`]) and why a send failed ([`SinkError`]).
//! - [`ports`]: MIDI output ports: list, find by name, connect, notice when one vanishes.
//! - [`soundfont`], [`synthesizer`]: finding a SoundFont; a rustysynth synthesizer and the MIDI
//!   messages (decoded with `midly::live`) applied to it.
//! - [`callback`]: the built-in synth's audio callback: a wait-free queue in, buffers allocated
//!   up front, every message applied at its own frame.
//! - [`synth`]: the built-in synth live, through the sound card (cpal).
//! - [`render`]: the built-in synth offline, into a WAV file.
//! - [`player`]: the player thread and its commands and events.
//! - [`control`]: the player as the window sees it ([`PlayerControl`]), and [`NoPlayback`].
//! - [`bench`]: how far actual send times stray from the intended ones.
//! - [`onset`]: how far the built-in synth's note onsets stray from the intended times.
//! - [`error`]: [`PlaybackError`], in words for the person.

pub mod bench;
pub mod callback;
pub mod control;
pub mod error;
pub mod onset;
pub mod player;
pub mod ports;
pub mod render;
pub mod sink;
pub mod soundfont;
pub mod synth;
pub mod synthesizer;
pub mod timeline;

use std::path::PathBuf;

pub use control::{NoPlayback, PlayerControl};
pub use error::PlaybackError;
pub use player::{Player, PlayerCommand, PlayerEvent};
pub use sink::{MidiSink, SinkError};
pub use timeline::{TimedMessage, Timeline};

/// What the person chose to hear the music through.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum OutputChoice {
    /// The MIDI output port whose name contains this text (case-insensitive).
    Port(String),
    /// The built-in synth with this SoundFont, or the first one found in the usual places.
    BuiltInSynth { soundfont: Option<PathBuf> },
    /// The built-in synth if it can play, else nothing (the default when no port is chosen).
    #[default]
    Automatic,
}

/// Opens the chosen output. `Automatic` tries the built-in synth and, when it cannot play,
/// reports `NoOutput` with both reasons and the ports there are to choose from.
pub fn open_output(choice: &OutputChoice) -> Result<Box<dyn MidiSink>, PlaybackError> {
    match choice {
        OutputChoice::Port(name) => Ok(Box::new(ports::PortSink::connect(name)?)),
        OutputChoice::BuiltInSynth { soundfont } => {
            Ok(Box::new(synth::SynthSink::start(soundfont.as_deref())?))
        }
        OutputChoice::Automatic => match synth::SynthSink::start(None) {
            Ok(sink) => Ok(Box::new(sink)),
            Err(synth_error) => Err(PlaybackError::NoOutput {
                synth: synth_error.to_string(),
                ports: describe_available_ports(),
            }),
        },
    }
}

/// "MIDI ports you can choose: …" or why there are none, for error messages.
pub fn describe_available_ports() -> String {
    match ports::list_output_ports() {
        Ok(list) if list.is_empty() => "there are no MIDI output ports either".to_string(),
        Ok(list) => format!(
            "MIDI ports you can choose: {}",
            list.iter()
                .map(|p| format!("{:?}", p.name))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Err(error) => format!("and there are no MIDI ports ({error})"),
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
