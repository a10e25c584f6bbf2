//! Where the player's messages go: the [`MidiSink`] trait, which a MIDI port
//! ([`super::ports::PortSink`]) and the built-in synth ([`super::synth::SynthSink`]) implement.
//! The player only knows this trait; choosing an output is [`super::open_output`]'s job.

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
