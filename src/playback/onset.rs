//! Onset timing of the built-in synth. A click track (one short wood-block hit per beat) goes
//! through the synth's real-time path: each message stamped and queued when it is due, as
//! [`super::synth::SynthSink`] does, and rendered by the same audio callback
//! ([`SynthCallback`]). A fake stream stands in for the sound card: a test-side clock that calls
//! the callback once per buffer, each call a little late by a varying amount, as an audio
//! thread wakes. Each click's onset is found in the rendered audio and compared with the moment
//! its note-on was sent. [`measure_onsets_live`] does the same in real time, with the real
//! player thread sending and a thread of its own calling the callback as each buffer falls due.
//!
//! The error of a click is how much later it sounds than the earliest-sounding click (so the
//! constant latency, reported apart, is not counted as error); p50, p99 and the maximum are given
//! in samples. [`BufferStartCallback`] is the callback as it was before sample-accurate timing
//! (every message applied at the start of the next buffer), measured the same way to compare.

use std::path::Path;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rtrb::Consumer;
use rustysynth::{SoundFont, Synthesizer};

use super::callback::{
    MessageSender, QUEUE_CAPACITY, StampedMessage, SynthCallback, message_queue,
};
use super::error::PlaybackError;
use super::player::{Player, PlayerEvent, raise_thread_priority};
use super::sink::{MidiSink, SinkError};
use super::soundfont::{find_soundfont, load_soundfont};
use super::synthesizer::{apply_message, new_live_synthesizer, new_synthesizer};
use super::timeline::{TimedMessage, Timeline};

/// GM percussion channel (10 as people count) and its "Hi Wood Block": a short, sharp hit.
const CLICK_CHANNEL: u8 = 9;
const CLICK_KEY: u8 = 76;
const CLICK_VELOCITY: u8 = 110;
const CLICK_LENGTH: f64 = 0.03;
/// Reverb and chorus sends (CC 91, 93), turned off so each click dies away before the next.
const REVERB_SEND: u8 = 91;
const CHORUS_SEND: u8 = 93;
/// The first click comes this long after the stream starts.
const FIRST_CLICK: f64 = 0.1;
/// An onset is the first sample at least this fraction of the loudest sample.
const ONSET_FRACTION: f32 = 0.05;
/// Audio rendered after the last message.
const TAIL_SECONDS: f64 = 0.3;

/// A click track: `clicks` hits `spacing` seconds apart.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClickTrack {
    pub clicks: usize,
    pub spacing: f64,
}

impl Default for ClickTrack {
    /// 100 clicks at about 246 beats a minute; the spacing is no whole number of any buffer
    /// size, so the clicks fall at every position inside the buffers.
    fn default() -> Self {
        ClickTrack {
            clicks: 100,
            spacing: 0.2437,
        }
    }
}

impl ClickTrack {
    /// When each click is sent, in seconds from the start of the stream.
    pub fn click_times(&self) -> Vec<f64> {
        (0..self.clicks)
            .map(|i| FIRST_CLICK + i as f64 * self.spacing)
            .collect()
    }

    /// The track's messages in time order: sends off, then a note-on and note-off per click.
    pub fn messages(&self) -> Vec<TimedMessage> {
        let mut messages = vec![
            TimedMessage::controller(0.0, CLICK_CHANNEL, REVERB_SEND, 0),
            TimedMessage::controller(0.0, CLICK_CHANNEL, CHORUS_SEND, 0),
        ];
        for t in self.click_times() {
            messages.push(TimedMessage::note_on(
                t,
                CLICK_CHANNEL,
                CLICK_KEY,
                CLICK_VELOCITY,
            ));
            messages.push(TimedMessage::note_off(
                t + CLICK_LENGTH,
                CLICK_CHANNEL,
                CLICK_KEY,
            ));
        }
        messages
    }
}

/// A stand-in for the sound card: calls the callback for `buffer_frames` frames at a time, each
/// call up to `wake_jitter` after its nominal time (spread evenly, from `seed`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FakeStream {
    pub sample_rate: u32,
    pub buffer_frames: usize,
    pub wake_jitter: Duration,
    pub seed: u64,
}

impl FakeStream {
    /// Calls that wake up to 1 ms late (or half a buffer, for buffers shorter than 2 ms).
    pub fn new(sample_rate: u32, buffer_frames: usize) -> Self {
        let period = buffer_frames as f64 / f64::from(sample_rate.max(1));
        FakeStream {
            sample_rate,
            buffer_frames: buffer_frames.max(1),
            wake_jitter: Duration::from_secs_f64((period / 2.0).min(0.001)),
            seed: 14,
        }
    }

    fn period_seconds(&self) -> f64 {
        self.buffer_frames as f64 / f64::from(self.sample_rate.max(1))
    }
}

/// An audio callback the fake stream can drive: fills interleaved `output` for a call at `now`.
pub trait StreamCallback {
    fn render_buffer(&mut self, output: &mut [f32], channels: usize, now: Instant);
}

impl StreamCallback for SynthCallback {
    fn render_buffer(&mut self, output: &mut [f32], channels: usize, now: Instant) {
        self.fill(output, channels, now);
    }
}

/// The synth callback as it was before sample-accurate timing: every queued message is applied
/// at the start of the buffer, and the buffers grow when a call asks for more frames.
pub struct BufferStartCallback {
    synth: Synthesizer,
    messages: Consumer<StampedMessage>,
    left: Vec<f32>,
    right: Vec<f32>,
}

impl BufferStartCallback {
    pub fn new(synth: Synthesizer, messages: Consumer<StampedMessage>) -> Self {
        BufferStartCallback {
            synth,
            messages,
            left: vec![0.0; 4096],
            right: vec![0.0; 4096],
        }
    }
}

impl StreamCallback for BufferStartCallback {
    fn render_buffer(&mut self, output: &mut [f32], channels: usize, _now: Instant) {
        while let Ok(message) = self.messages.pop() {
            apply_message(&mut self.synth, message.bytes());
        }
        let frames = output.len() / channels;
        if self.left.len() < frames {
            self.left.resize(frames, 0.0);
            self.right.resize(frames, 0.0);
        }
        self.synth
            .render(&mut self.left[..frames], &mut self.right[..frames]);
        for (i, frame) in output.chunks_mut(channels).enumerate() {
            for (c, sample) in frame.iter_mut().enumerate() {
                *sample = if c % 2 == 0 {
                    self.left[i]
                } else {
                    self.right[i]
                };
            }
        }
    }
}

/// Plays `messages` through `sender` and `callback` on the fake stream, each message sent (and
/// stamped) at its time; returns the audio as mono samples.
pub fn play_through(
    stream: &FakeStream,
    messages: &[TimedMessage],
    sender: &mut MessageSender,
    callback: &mut impl StreamCallback,
) -> Result<Vec<f32>, PlaybackError> {
    let frames = stream.buffer_frames;
    let rate = f64::from(stream.sample_rate.max(1));
    let end = messages.last().map_or(0.0, |m| m.seconds) + TAIL_SECONDS;
    let buffers = ((end * rate).ceil() as usize).div_ceil(frames);
    let mut output = vec![0.0f32; frames * 2];
    let mut mono = Vec::with_capacity(buffers * frames);
    let mut random = stream.seed;
    let base = Instant::now();
    let mut next = 0;
    for k in 0..buffers {
        let woke = k as f64 * stream.period_seconds()
            + stream.wake_jitter.as_secs_f64() * uniform(&mut random);
        while let Some(message) = messages.get(next).filter(|m| m.seconds <= woke) {
            let sent = base + Duration::from_secs_f64(message.seconds);
            sender
                .send_at(sent, message.bytes())
                .map_err(|e| PlaybackError::Audio(e.to_string()))?;
            next += 1;
        }
        callback.render_buffer(&mut output, 2, base + Duration::from_secs_f64(woke));
        mono.extend(output.chunks(2).map(|f| (f[0] + f[1]) / 2.0));
    }
    Ok(mono)
}

/// A number in 0..1 from a 64-bit linear congruential generator.
fn uniform(state: &mut u64) -> f64 {
    *state = state
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    (*state >> 11) as f64 / (1u64 << 53) as f64
}

/// For each click sent at `times` (seconds), the samples from its send to its onset: the first
/// sample at least [`ONSET_FRACTION`] of the loudest, searched up to `search` samples on. A click
/// whose window starts loud (the one before still ringing) or stays quiet is an error.
pub fn onset_offsets(
    audio: &[f32],
    sample_rate: u32,
    times: &[f64],
    search: usize,
) -> Result<Vec<usize>, String> {
    let peak = audio.iter().fold(0.0f32, |peak, s| peak.max(s.abs()));
    if peak == 0.0 {
        return Err("the audio is silent".into());
    }
    let threshold = peak * ONSET_FRACTION;
    times
        .iter()
        .map(|&t| {
            let sent = (t * f64::from(sample_rate)).round() as usize;
            let window = audio
                .get(sent..(sent + search).min(audio.len()))
                .unwrap_or(&[]);
            match window.iter().position(|s| s.abs() >= threshold) {
                Some(0) => Err(format!("at {t:.3} s the click before still sounds")),
                Some(offset) => Ok(offset),
                None => Err(format!("no onset within {search} samples of {t:.3} s")),
            }
        })
        .collect()
}

/// Which audio callback to measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallbackKind {
    /// [`SynthCallback`]: every message at its frame.
    SampleAccurate,
    /// [`BufferStartCallback`]: every message at the start of a buffer (before).
    BufferStart,
}

impl CallbackKind {
    pub fn describe(self) -> &'static str {
        match self {
            CallbackKind::SampleAccurate => "sample-accurate",
            CallbackKind::BufferStart => "at buffer start (before)",
        }
    }
}

/// Onset errors of one run, in samples (see the module doc).
#[derive(Debug, Clone, PartialEq)]
pub struct OnsetReport {
    pub kind: CallbackKind,
    pub sample_rate: u32,
    pub buffer_frames: usize,
    pub clicks: usize,
    pub p50: usize,
    pub p99: usize,
    pub max: usize,
    /// Samples from a click's send to its onset, for the earliest click.
    pub latency: usize,
    /// Whether the stream ran in real time with the real player ([`measure_onsets_live`]) rather
    /// than on a simulated clock.
    pub real_time: bool,
}

impl OnsetReport {
    /// The report for these send-to-onset offsets (at least one).
    pub fn from_offsets(kind: CallbackKind, stream: &FakeStream, offsets: &[usize]) -> Self {
        let latency = offsets.iter().copied().min().unwrap_or(0);
        let mut errors: Vec<usize> = offsets.iter().map(|o| o - latency).collect();
        errors.sort_unstable();
        OnsetReport {
            kind,
            sample_rate: stream.sample_rate,
            buffer_frames: stream.buffer_frames,
            clicks: offsets.len(),
            p50: nearest_rank(&errors, 0.50),
            p99: nearest_rank(&errors, 0.99),
            max: errors.last().copied().unwrap_or(0),
            latency,
            real_time: false,
        }
    }

    /// Samples as milliseconds at this report's rate.
    pub fn ms(&self, samples: usize) -> f64 {
        samples as f64 * 1000.0 / f64::from(self.sample_rate.max(1))
    }
}

impl std::fmt::Display for OnsetReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:>4}-frame buffers at {} Hz, {}{}: onset error p50 {} samples ({:.3} ms), \
             p99 {} ({:.3} ms), max {} ({:.3} ms); latency {} samples ({:.2} ms); {} clicks",
            self.buffer_frames,
            self.sample_rate,
            self.kind.describe(),
            if self.real_time { ", in real time" } else { "" },
            self.p50,
            self.ms(self.p50),
            self.p99,
            self.ms(self.p99),
            self.max,
            self.ms(self.max),
            self.latency,
            self.ms(self.latency),
            self.clicks
        )
    }
}

/// The `q` quantile of sorted values (nearest rank); 0 for none.
fn nearest_rank(sorted: &[usize], q: f64) -> usize {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// Plays `track` with `font` through the chosen callback on `stream` and measures its onsets.
pub fn measure_onsets(
    font: &Arc<SoundFont>,
    font_path: &Path,
    stream: &FakeStream,
    track: &ClickTrack,
    kind: CallbackKind,
) -> Result<OnsetReport, PlaybackError> {
    let (mut sender, receiver) = message_queue(QUEUE_CAPACITY);
    let messages = track.messages();
    let audio = match kind {
        CallbackKind::SampleAccurate => {
            let synth = new_live_synthesizer(font, stream.sample_rate, font_path)?;
            let mut callback = SynthCallback::new(synth, receiver, stream.buffer_frames);
            play_through(stream, &messages, &mut sender, &mut callback)?
        }
        CallbackKind::BufferStart => {
            let synth = new_synthesizer(font, stream.sample_rate, font_path)?;
            let mut callback = BufferStartCallback::new(synth, receiver);
            play_through(stream, &messages, &mut sender, &mut callback)?
        }
    };
    let search = (track.spacing * f64::from(stream.sample_rate)) as usize;
    let offsets = onset_offsets(&audio, stream.sample_rate, &track.click_times(), search)
        .map_err(|reason| PlaybackError::Audio(format!("measuring onsets: {reason}")))?;
    Ok(OnsetReport::from_offsets(kind, stream, &offsets))
}

/// A player output that queues messages for a [`SynthCallback`] run by something other than
/// cpal (the stream thread of [`measure_onsets_live`]), stamping them as the live sink does.
pub struct QueueSink {
    sender: MessageSender,
}

impl MidiSink for QueueSink {
    fn send(&mut self, message: &[u8]) -> Result<(), SinkError> {
        self.sender.send(message)
    }

    fn describe(&self) -> String {
        "built-in synth on a fake stream".into()
    }
}

/// How long the stream runs before the player starts, as a sound card would be running already.
const LIVE_LEAD_IN: Duration = Duration::from_millis(200);

/// [`measure_onsets`] in real time: the real player thread plays the click track into a
/// [`QueueSink`], and a thread of its own calls the callback once per buffer, sleeping until each
/// buffer is due as a sound card's audio thread waits for it. The figures then include the
/// player's send-time error and how late this machine wakes a sleeping thread.
pub fn measure_onsets_live(
    font: &Arc<SoundFont>,
    font_path: &Path,
    stream: &FakeStream,
    track: &ClickTrack,
) -> Result<OnsetReport, PlaybackError> {
    let synth = new_live_synthesizer(font, stream.sample_rate, font_path)?;
    let (sender, receiver) = message_queue(QUEUE_CAPACITY);
    let callback = SynthCallback::new(synth, receiver, stream.buffer_frames);
    let timeline = Timeline::from_messages(track.messages(), 0.0, Vec::new());
    let seconds = LIVE_LEAD_IN.as_secs_f64() * 2.0 + timeline.duration() + TAIL_SECONDS;
    let audio_thread = spawn_stream_thread(callback, *stream, seconds)?;
    let player = Player::spawn(Some(Box::new(QueueSink { sender })))
        .map_err(|e| PlaybackError::Audio(format!("could not start the player thread: {e}")))?;
    std::thread::sleep(LIVE_LEAD_IN);
    player.play(timeline.clone());
    let started = wait_for_start(&player, timeline.duration())?;
    let (base, audio) = audio_thread
        .join()
        .map_err(|_| PlaybackError::Audio("the stream thread panicked".into()))?;
    drop(player);
    let lead = started.saturating_duration_since(base).as_secs_f64();
    let times: Vec<f64> = track.click_times().iter().map(|t| lead + t).collect();
    let search = (track.spacing * f64::from(stream.sample_rate)) as usize;
    let offsets = onset_offsets(&audio, stream.sample_rate, &times, search)
        .map_err(|reason| PlaybackError::Audio(format!("measuring onsets: {reason}")))?;
    let mut report = OnsetReport::from_offsets(CallbackKind::SampleAccurate, stream, &offsets);
    report.real_time = true;
    Ok(report)
}

/// A thread that calls `callback` for `seconds` of audio, each buffer when it is due; returns
/// the instant the stream started and the audio (mono).
fn spawn_stream_thread(
    mut callback: SynthCallback,
    stream: FakeStream,
    seconds: f64,
) -> Result<JoinHandle<(Instant, Vec<f32>)>, PlaybackError> {
    let frames = stream.buffer_frames;
    let buffers = ((seconds * f64::from(stream.sample_rate)).ceil() as usize).div_ceil(frames);
    std::thread::Builder::new()
        .name("songsketch-fake-audio".into())
        .spawn(move || {
            raise_thread_priority();
            let mut output = vec![0.0f32; frames * 2];
            let mut mono = Vec::with_capacity(buffers * frames);
            let base = Instant::now();
            for k in 0..buffers {
                let due = base + Duration::from_secs_f64(k as f64 * stream.period_seconds());
                std::thread::sleep(due.saturating_duration_since(Instant::now()));
                callback.fill(&mut output, 2, Instant::now());
                mono.extend(output.chunks(2).map(|f| (f[0] + f[1]) / 2.0));
            }
            (base, mono)
        })
        .map_err(|e| PlaybackError::Audio(format!("could not start the stream thread: {e}")))
}

/// The instant the player started playing, from its `Started` event.
fn wait_for_start(player: &Player, duration: f64) -> Result<Instant, PlaybackError> {
    let limit = Instant::now() + Duration::from_secs_f64(duration + 10.0);
    loop {
        let left = limit.saturating_duration_since(Instant::now());
        match player.events().recv_timeout(left) {
            Ok(PlayerEvent::Started { at, .. }) => return Ok(at),
            Ok(PlayerEvent::PortLost(reason) | PlayerEvent::Error(reason)) => {
                return Err(PlaybackError::Audio(reason));
            }
            Ok(_) => {}
            Err(_) => return Err(PlaybackError::Audio("the player never started".into())),
        }
    }
}

/// `songsketch bench onsets`: the click track at each buffer size, before and after, and with
/// `real_time` also [`measure_onsets_live`], with the SoundFont `soundfont` (or the first found).
pub fn bench_onsets(
    soundfont: Option<&Path>,
    sample_rate: u32,
    buffers: &[usize],
    track: &ClickTrack,
    real_time: bool,
) -> Result<Vec<OnsetReport>, PlaybackError> {
    let path = find_soundfont(soundfont)?;
    let font = load_soundfont(&path)?;
    let mut reports = Vec::with_capacity(buffers.len() * 3);
    for &frames in buffers {
        let stream = FakeStream::new(sample_rate, frames);
        for kind in [CallbackKind::BufferStart, CallbackKind::SampleAccurate] {
            reports.push(measure_onsets(&font, &path, &stream, track, kind)?);
        }
        if real_time {
            reports.push(measure_onsets_live(&font, &path, &stream, track)?);
        }
    }
    Ok(reports)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_count_from_the_earliest_click() {
        let stream = FakeStream::new(48_000, 256);
        let offsets: Vec<usize> = (0..100).map(|i| 300 + i).collect();
        let report = OnsetReport::from_offsets(CallbackKind::SampleAccurate, &stream, &offsets);
        assert_eq!(
            (report.latency, report.p50, report.p99, report.max),
            (300, 49, 98, 99)
        );
        assert_eq!(report.ms(48), 1.0);
    }

    #[test]
    fn onsets_are_the_first_loud_sample_after_each_send() {
        let mut audio = vec![0.0f32; 1000];
        audio[130] = 0.02; // quieter than 5 % of the peak: not yet an onset
        audio[140] = 0.5;
        audio[620] = -1.0;
        let offsets = onset_offsets(&audio, 1000, &[0.1, 0.6], 300);
        assert_eq!(offsets, Ok(vec![40, 20]));
        let ringing = onset_offsets(&audio, 1000, &[0.14], 300);
        assert!(ringing.is_err(), "{ringing:?}");
        let silent = onset_offsets(&audio, 1000, &[0.7], 200);
        assert!(silent.is_err(), "{silent:?}");
    }

    #[test]
    fn the_click_track_is_in_time_order() {
        let messages = ClickTrack::default().messages();
        assert_eq!(messages.len(), 2 + 2 * 100);
        assert!(messages.windows(2).all(|w| w[0].seconds <= w[1].seconds));
        assert_eq!(messages.iter().filter(|m| m.is_note_on()).count(), 100);
    }
}
