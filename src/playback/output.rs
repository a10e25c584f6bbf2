//! Where the player's messages go. A [`MidiSink`] is a MIDI port or the built-in synth; the player
//! only knows this trait. [`open_output`] turns the person's choice into a sink, falling back to
//! the built-in synth when no port is chosen, and says in plain words when nothing can sound.

use std::path::PathBuf;

use super::{PlaybackError, ports, synth};

/// Why a message could not be sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SinkError {
    /// The port or device is gone (unplugged, the synth quit): stop playing, keep the app running.
    #[error("output lost: {0}")]
    Lost(String),
    /// This message failed; the output may still work.
    #[error("send failed: {0}")]
    Failed(String),
}

/// A destination for channel messages, owned by the player thread.
pub trait MidiSink: Send {
    /// Sends one complete channel message now.
    fn send(&mut self, message: &[u8]) -> Result<(), SinkError>;

    /// Cheap check, called now and then between notes, that the output still exists.
    fn check_alive(&mut self) -> Result<(), SinkError> {
        Ok(())
    }

    /// Waits until everything sent has really left (some backends queue for one audio period);
    /// called before the sink is dropped so the final note-offs are not lost.
    fn flush(&mut self) {}

    /// A short name for messages: the port name, or "built-in synth (FluidR3_GM.sf2)".
    fn describe(&self) -> String;
}

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
