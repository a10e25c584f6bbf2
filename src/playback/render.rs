//! The built-in synth offline: a timeline rendered with rustysynth into samples, and written as
//! a 16-bit stereo WAV file (hound) through a temporary file renamed into place, so an idea can be
//! heard or checked on a machine without any sound card.

use std::path::{Path, PathBuf};

use super::error::PlaybackError;
use super::soundfont::{find_soundfont, load_soundfont};
use super::synthesizer::{apply_message, new_synthesizer};
use super::timeline::Timeline;

/// Sample rate of rendered files.
pub const DEFAULT_SAMPLE_RATE: u32 = 44_100;
/// Seconds rendered after the last message, so release tails are not cut off.
pub const DEFAULT_TAIL_SECONDS: f64 = 2.0;

/// Stereo audio as two channels of samples in -1..1.
#[derive(Debug, Clone, Default)]
pub struct StereoAudio {
    pub sample_rate: u32,
    pub left: Vec<f32>,
    pub right: Vec<f32>,
}

impl StereoAudio {
    pub fn seconds(&self) -> f64 {
        self.left.len() as f64 / f64::from(self.sample_rate.max(1))
    }
}

/// What a render produced, for the person: where, how long, with which SoundFont.
#[derive(Debug, Clone)]
pub struct RenderSummary {
    pub out: PathBuf,
    pub soundfont: PathBuf,
    pub seconds: f64,
    pub peak: f32,
}

/// Renders `timeline` with a synthesizer, each message applied at its sample position
/// (rustysynth works in blocks of 64 samples, so to within 1.5 ms at 44.1 kHz).
pub fn render_audio(
    timeline: &Timeline,
    synth: &mut rustysynth::Synthesizer,
    tail_seconds: f64,
) -> StereoAudio {
    let sample_rate = synth.get_sample_rate().max(1) as u32;
    let rate = f64::from(sample_rate);
    let total = ((timeline.duration() + tail_seconds.max(0.0)) * rate).ceil() as usize;
    let mut audio = StereoAudio {
        sample_rate,
        left: vec![0.0; total],
        right: vec![0.0; total],
    };
    let mut rendered = 0usize;
    for message in timeline.messages() {
        let due = ((message.seconds * rate).round() as usize).min(total);
        if due > rendered {
            synth.render(
                &mut audio.left[rendered..due],
                &mut audio.right[rendered..due],
            );
            rendered = due;
        }
        apply_message(synth, message.bytes());
    }
    synth.render(&mut audio.left[rendered..], &mut audio.right[rendered..]);
    audio
}

/// Renders `timeline` with the SoundFont `soundfont` (or the first one found) into the WAV file
/// `out`, written atomically.
pub fn render_to_wav(
    timeline: &Timeline,
    soundfont: Option<&Path>,
    out: &Path,
) -> Result<RenderSummary, PlaybackError> {
    let soundfont_path = find_soundfont(soundfont)?;
    let font = load_soundfont(&soundfont_path)?;
    let mut synth = new_synthesizer(&font, DEFAULT_SAMPLE_RATE, &soundfont_path)?;
    let audio = render_audio(timeline, &mut synth, DEFAULT_TAIL_SECONDS);
    write_wav(&audio, out)?;
    let peak = audio
        .left
        .iter()
        .chain(&audio.right)
        .fold(0.0f32, |peak, s| peak.max(s.abs()));
    Ok(RenderSummary {
        out: out.to_path_buf(),
        soundfont: soundfont_path,
        seconds: audio.seconds(),
        peak,
    })
}

/// Writes 16-bit stereo PCM to a temporary file beside `out`, then renames it into place.
pub fn write_wav(audio: &StereoAudio, out: &Path) -> Result<(), PlaybackError> {
    let io_error = |source: std::io::Error| PlaybackError::Io {
        path: out.to_path_buf(),
        source,
    };
    crate::atomic_file::write_atomically_at(out, |temp| write_wav_file(audio, temp))
        .map_err(io_error)
}

fn write_wav_file(audio: &StereoAudio, path: &Path) -> std::io::Result<()> {
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: audio.sample_rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let to_io = |e: hound::Error| match e {
        hound::Error::IoError(io) => io,
        other => std::io::Error::other(other.to_string()),
    };
    let mut writer = hound::WavWriter::create(path, spec).map_err(to_io)?;
    for (l, r) in audio.left.iter().zip(&audio.right) {
        writer.write_sample(to_i16(*l)).map_err(to_io)?;
        writer.write_sample(to_i16(*r)).map_err(to_io)?;
    }
    writer.finalize().map_err(to_io)
}

fn to_i16(sample: f32) -> i16 {
    (sample.clamp(-1.0, 1.0) * f32::from(i16::MAX)).round() as i16
}
