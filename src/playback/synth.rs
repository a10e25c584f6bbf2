//! The built-in synth, live: rustysynth plays a SoundFont into the sound card through cpal.
//! The player's messages reach the audio callback ([`SynthCallback`]) over a wait-free queue,
//! stamped with the instant they were sent, and each is applied at its own frame of the audio.
//! The cpal stream lives on its own small thread (streams are not `Send` on every platform),
//! which keeps it open until the sink is dropped.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Instant;

use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use cpal::{BufferSize, FromSample, SampleFormat, SizedSample, SupportedBufferSize};
use crossbeam_channel::Sender;
use rtrb::Consumer;
use rustysynth::SoundFont;

use super::callback::{
    DEFAULT_CAPACITY_FRAMES, MAX_CAPACITY_FRAMES, MessageSender, QUEUE_CAPACITY, StampedMessage,
    SynthCallback, message_queue,
};
use super::error::PlaybackError;
use super::sink::{MidiSink, SinkError};
use super::soundfont::{find_soundfont, load_soundfont};
use super::synthesizer::new_live_synthesizer;

/// Whether the system has a usable default audio output device (false without a sound card).
pub fn audio_device_present() -> bool {
    cpal::default_host()
        .default_output_device()
        .is_some_and(|device| device.default_output_config().is_ok())
}

/// A cpal error in words; a missing device becomes [`PlaybackError::NoAudioDevice`].
fn audio_error(error: cpal::Error) -> PlaybackError {
    match error.kind() {
        cpal::ErrorKind::DeviceNotAvailable | cpal::ErrorKind::HostUnavailable => {
            PlaybackError::NoAudioDevice
        }
        _ => PlaybackError::Audio(error.to_string()),
    }
}

/// The built-in synth as a player output.
pub struct SynthSink {
    messages: MessageSender,
    /// Dropping this sender tells the stream thread to close the stream.
    stop: Option<Sender<()>>,
    stream_thread: Option<JoinHandle<()>>,
    stream_error: Arc<Mutex<Option<String>>>,
    soundfont: PathBuf,
}

impl SynthSink {
    /// Finds the SoundFont (`soundfont` or the usual places), opens the default audio output and
    /// starts the synth. No sound card → [`PlaybackError::NoAudioDevice`].
    pub fn start(soundfont: Option<&Path>) -> Result<Self, PlaybackError> {
        let soundfont_path = find_soundfont(soundfont)?;
        let device = cpal::default_host()
            .default_output_device()
            .ok_or(PlaybackError::NoAudioDevice)?;
        let font = load_soundfont(&soundfont_path)?;
        let (messages, message_rx) = message_queue(QUEUE_CAPACITY);
        let (stop, stop_rx) = crossbeam_channel::bounded::<()>(0);
        let (ready_tx, ready_rx) = crossbeam_channel::bounded(1);
        let stream_error = Arc::new(Mutex::new(None));
        let error_slot = Arc::clone(&stream_error);
        let path_for_thread = soundfont_path.clone();
        let stream_thread = std::thread::Builder::new()
            .name("songsketch-audio".into())
            .spawn(move || {
                let stream = open_stream(&device, &font, &path_for_thread, message_rx, error_slot);
                match stream {
                    Ok(stream) => {
                        let _ = ready_tx.send(Ok(()));
                        // Blocks until the sink drops its sender; the stream plays meanwhile.
                        let _ = stop_rx.recv();
                        drop(stream);
                    }
                    Err(error) => {
                        let _ = ready_tx.send(Err(error));
                    }
                }
            })
            .map_err(|e| PlaybackError::Audio(format!("could not start the audio thread: {e}")))?;
        match ready_rx.recv() {
            Ok(Ok(())) => Ok(SynthSink {
                messages,
                stop: Some(stop),
                stream_thread: Some(stream_thread),
                stream_error,
                soundfont: soundfont_path,
            }),
            Ok(Err(error)) => {
                let _ = stream_thread.join();
                Err(error)
            }
            Err(_) => {
                let _ = stream_thread.join();
                Err(PlaybackError::Audio(
                    "the audio thread ended unexpectedly".into(),
                ))
            }
        }
    }
}

impl MidiSink for SynthSink {
    fn send(&mut self, message: &[u8]) -> Result<(), SinkError> {
        self.messages.send(message)
    }

    fn check_alive(&mut self) -> Result<(), SinkError> {
        match self.stream_error.lock().ok().and_then(|slot| slot.clone()) {
            Some(reason) => Err(SinkError::Lost(format!("audio output: {reason}"))),
            None => Ok(()),
        }
    }

    fn flush(&mut self) {
        // Let the audio callback pick up the last messages and render their release.
        std::thread::sleep(std::time::Duration::from_millis(150));
    }

    fn describe(&self) -> String {
        let name = self.soundfont.file_name().map_or_else(
            || self.soundfont.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        format!("built-in synth ({name})")
    }
}

impl Drop for SynthSink {
    fn drop(&mut self) {
        self.stop.take();
        if let Some(thread) = self.stream_thread.take() {
            let _ = thread.join();
        }
    }
}

fn open_stream(
    device: &cpal::Device,
    font: &Arc<SoundFont>,
    soundfont_path: &Path,
    messages: Consumer<StampedMessage>,
    error_slot: Arc<Mutex<Option<String>>>,
) -> Result<cpal::Stream, PlaybackError> {
    let supported = device.default_output_config().map_err(audio_error)?;
    let config = supported.config();
    let synth = new_live_synthesizer(font, config.sample_rate, soundfont_path)?;
    let capacity = capacity_frames(&config.buffer_size, supported.buffer_size());
    let callback = SynthCallback::new(synth, messages, capacity);
    let stream = match supported.sample_format() {
        SampleFormat::F32 => build::<f32>(device, config, callback, error_slot),
        SampleFormat::I16 => build::<i16>(device, config, callback, error_slot),
        SampleFormat::U16 => build::<u16>(device, config, callback, error_slot),
        SampleFormat::I32 => build::<i32>(device, config, callback, error_slot),
        other => {
            return Err(PlaybackError::Audio(format!(
                "the sound card wants {other} samples, which the built-in synth does not write"
            )));
        }
    }?;
    stream.play().map_err(audio_error)?;
    Ok(stream)
}

/// Frames to allocate render buffers for: the fixed buffer size, else the most the device says it
/// may ask for (within reason), else a common default. Longer callbacks are rendered in pieces.
pub fn capacity_frames(requested: &BufferSize, supported: &SupportedBufferSize) -> usize {
    let frames = match (requested, supported) {
        (BufferSize::Fixed(frames), _) => *frames as usize,
        (BufferSize::Default, SupportedBufferSize::Range { max, .. }) => *max as usize,
        (BufferSize::Default, SupportedBufferSize::Unknown) => DEFAULT_CAPACITY_FRAMES,
    };
    frames.clamp(1, MAX_CAPACITY_FRAMES)
}

fn build<T>(
    device: &cpal::Device,
    config: cpal::StreamConfig,
    mut callback: SynthCallback,
    error_slot: Arc<Mutex<Option<String>>>,
) -> Result<cpal::Stream, PlaybackError>
where
    T: SizedSample + FromSample<f32>,
{
    let channels = usize::from(config.channels.max(1));
    let render = move |output: &mut [T], _: &cpal::OutputCallbackInfo| {
        callback.fill(output, channels, Instant::now());
    };
    let on_error = move |error: cpal::Error| {
        if let Ok(mut slot) = error_slot.lock() {
            *slot = Some(error.to_string());
        }
    };
    device
        .build_output_stream::<T, _, _>(config, render, on_error, None)
        .map_err(audio_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_are_sized_for_the_largest_callback_the_host_allows() {
        let range = SupportedBufferSize::Range { min: 32, max: 2048 };
        assert_eq!(capacity_frames(&BufferSize::Fixed(512), &range), 512);
        assert_eq!(capacity_frames(&BufferSize::Default, &range), 2048);
        assert_eq!(
            capacity_frames(&BufferSize::Default, &SupportedBufferSize::Unknown),
            DEFAULT_CAPACITY_FRAMES
        );
        let huge = SupportedBufferSize::Range {
            min: 1,
            max: 4_194_304,
        };
        assert_eq!(
            capacity_frames(&BufferSize::Default, &huge),
            MAX_CAPACITY_FRAMES
        );
    }
}
