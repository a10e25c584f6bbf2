//! The built-in synth, live: rustysynth plays a SoundFont into the sound card through cpal.
//! The player's messages reach the audio callback over a lock-free channel and are applied at
//! the start of the next audio buffer. The cpal stream lives on its own small thread (streams are
//! not `Send` on every platform), which keeps it open until the sink is dropped.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use cpal::{FromSample, SampleFormat, SizedSample};
use crossbeam_channel::{Receiver, Sender};
use rustysynth::{SoundFont, Synthesizer, SynthesizerSettings};

use super::PlaybackError;
use super::output::{MidiSink, SinkError};
use super::soundfont::{find_soundfont, load_soundfont};

/// Applies one channel message to a rustysynth synthesizer.
pub fn apply_message(synth: &mut Synthesizer, message: &[u8]) {
    let Some(&status) = message.first() else {
        return;
    };
    let data1 = message.get(1).copied().unwrap_or(0);
    let data2 = message.get(2).copied().unwrap_or(0);
    synth.process_midi_message(
        i32::from(status & 0x0F),
        i32::from(status & 0xF0),
        i32::from(data1),
        i32::from(data2),
    );
}

/// A new synthesizer for `soundfont` at `sample_rate`.
pub fn new_synthesizer(
    soundfont: &Arc<SoundFont>,
    sample_rate: u32,
    soundfont_path: &Path,
) -> Result<Synthesizer, PlaybackError> {
    let settings = SynthesizerSettings::new(sample_rate as i32);
    Synthesizer::new(soundfont, &settings).map_err(|e| PlaybackError::BadSoundFont {
        path: soundfont_path.to_path_buf(),
        reason: e.to_string(),
    })
}

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
    messages: Sender<[u8; 3]>,
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
        let (messages, message_rx) = crossbeam_channel::unbounded::<[u8; 3]>();
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
        let mut bytes = [0u8; 3];
        let len = message.len().min(3);
        bytes[..len].copy_from_slice(&message[..len]);
        self.messages
            .send(bytes)
            .map_err(|_| SinkError::Lost("the audio output has stopped".into()))
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
    messages: Receiver<[u8; 3]>,
    error_slot: Arc<Mutex<Option<String>>>,
) -> Result<cpal::Stream, PlaybackError> {
    let supported = device.default_output_config().map_err(audio_error)?;
    let config = supported.config();
    let synth = new_synthesizer(font, config.sample_rate, soundfont_path)?;
    let stream = match supported.sample_format() {
        SampleFormat::F32 => build::<f32>(device, config, synth, messages, error_slot),
        SampleFormat::I16 => build::<i16>(device, config, synth, messages, error_slot),
        SampleFormat::U16 => build::<u16>(device, config, synth, messages, error_slot),
        SampleFormat::I32 => build::<i32>(device, config, synth, messages, error_slot),
        other => {
            return Err(PlaybackError::Audio(format!(
                "the sound card wants {other} samples, which the built-in synth does not write"
            )));
        }
    }?;
    stream.play().map_err(audio_error)?;
    Ok(stream)
}

fn build<T>(
    device: &cpal::Device,
    config: cpal::StreamConfig,
    mut synth: Synthesizer,
    messages: Receiver<[u8; 3]>,
    error_slot: Arc<Mutex<Option<String>>>,
) -> Result<cpal::Stream, PlaybackError>
where
    T: SizedSample + FromSample<f32>,
{
    let channels = usize::from(config.channels.max(1));
    let mut left = vec![0.0f32; 4096];
    let mut right = vec![0.0f32; 4096];
    let render = move |output: &mut [T], _: &cpal::OutputCallbackInfo| {
        while let Ok(message) = messages.try_recv() {
            apply_message(&mut synth, &message);
        }
        let frames = output.len() / channels;
        if left.len() < frames {
            left.resize(frames, 0.0);
            right.resize(frames, 0.0);
        }
        synth.render(&mut left[..frames], &mut right[..frames]);
        for (i, frame) in output.chunks_mut(channels).enumerate() {
            for (c, sample) in frame.iter_mut().enumerate() {
                let value = if c % 2 == 0 { left[i] } else { right[i] };
                *sample = T::from_sample(value);
            }
        }
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
