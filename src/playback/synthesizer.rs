//! The rustysynth side of the built-in synth, shared by the live callback and the offline render:
//! making a synthesizer for a SoundFont, and applying one MIDI message to it. Messages are decoded
//! with `midly::live`, so only well-formed channel messages reach the synthesizer.

use std::path::Path;
use std::sync::Arc;

use midly::MidiMessage;
use midly::live::LiveEvent;
use rustysynth::{SoundFont, Synthesizer, SynthesizerSettings};

use super::error::PlaybackError;

/// rustysynth's command numbers for the messages it takes through `process_midi_message`.
const CONTROLLER: i32 = 0xB0;
const PROGRAM_CHANGE: i32 = 0xC0;
const PITCH_BEND: i32 = 0xE0;

/// Frames rustysynth renders at a time when live. A note starts at the next such block, so this
/// bounds how late a live note can sound (16 frames: a third of a millisecond at 48 kHz); the
/// offline render keeps rustysynth's default of 64.
pub const LIVE_BLOCK_SIZE: usize = 16;

/// A new synthesizer for `soundfont` at `sample_rate`, with rustysynth's default block size.
pub fn new_synthesizer(
    soundfont: &Arc<SoundFont>,
    sample_rate: u32,
    soundfont_path: &Path,
) -> Result<Synthesizer, PlaybackError> {
    let settings = SynthesizerSettings::new(sample_rate as i32);
    synthesizer_with(soundfont, &settings, soundfont_path)
}

/// A new synthesizer that renders [`LIVE_BLOCK_SIZE`] frames at a time, for the audio callback.
pub fn new_live_synthesizer(
    soundfont: &Arc<SoundFont>,
    sample_rate: u32,
    soundfont_path: &Path,
) -> Result<Synthesizer, PlaybackError> {
    let mut settings = SynthesizerSettings::new(sample_rate as i32);
    settings.block_size = LIVE_BLOCK_SIZE;
    synthesizer_with(soundfont, &settings, soundfont_path)
}

fn synthesizer_with(
    soundfont: &Arc<SoundFont>,
    settings: &SynthesizerSettings,
    soundfont_path: &Path,
) -> Result<Synthesizer, PlaybackError> {
    Synthesizer::new(soundfont, settings).map_err(|e| PlaybackError::BadSoundFont {
        path: soundfont_path.to_path_buf(),
        reason: e.to_string(),
    })
}

/// Applies one channel message to a synthesizer; anything else (system messages, a truncated
/// message) is ignored, as is aftertouch, which rustysynth does not play.
pub fn apply_message(synth: &mut Synthesizer, message: &[u8]) {
    let Ok(LiveEvent::Midi { channel, message }) = LiveEvent::parse(message) else {
        return;
    };
    let channel = i32::from(channel.as_int());
    match message {
        MidiMessage::NoteOff { key, .. } => synth.note_off(channel, i32::from(key.as_int())),
        MidiMessage::NoteOn { key, vel } => {
            synth.note_on(channel, i32::from(key.as_int()), i32::from(vel.as_int()))
        }
        MidiMessage::Controller { controller, value } => synth.process_midi_message(
            channel,
            CONTROLLER,
            i32::from(controller.as_int()),
            i32::from(value.as_int()),
        ),
        MidiMessage::ProgramChange { program } => {
            synth.process_midi_message(channel, PROGRAM_CHANGE, i32::from(program.as_int()), 0)
        }
        MidiMessage::PitchBend { bend } => {
            let value = i32::from(bend.0.as_int());
            synth.process_midi_message(channel, PITCH_BEND, value & 0x7F, value >> 7)
        }
        MidiMessage::Aftertouch { .. } | MidiMessage::ChannelAftertouch { .. } => {}
    }
}
