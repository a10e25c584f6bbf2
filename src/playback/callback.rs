//! The built-in synth's real-time half, as nih-plug keeps it: the audio callback takes messages
//! from a wait-free single-producer queue (rtrb), renders into buffers allocated before the stream
//! starts, and applies every message at its own frame inside the buffer, not at the buffer's
//! start.
//!
//! Timing: the sending side stamps each message with the [`Instant`] it was sent
//! ([`MessageSender::send`]). At the start of each callback a [`StreamClock`] notes the instant
//! and how many frames have been rendered so far; from that it maps a stamp to a frame of the
//! output stream, one callback's length (plus a small margin) later than the stamp, so a message
//! sent at any moment during one buffer still finds its frame in a buffer not yet rendered. The
//! callback renders up to each due message's frame, applies it, and renders on. A message that is
//! due later than this buffer stays in the queue. Nothing here allocates, locks or blocks.

use std::time::{Duration, Instant};

use cpal::FromSample;
use rtrb::{Consumer, Producer, RingBuffer};
use rustysynth::Synthesizer;

use super::sink::SinkError;
use super::synthesizer::apply_message;

/// Messages the queue holds: more than the player ever sends at once (silencing every key on
/// every channel is 2,080 messages).
pub const QUEUE_CAPACITY: usize = 8192;
/// Frames rendered at a time when the audio host does not say how many it will ask for; a longer
/// callback is rendered in pieces of this many frames.
pub const DEFAULT_CAPACITY_FRAMES: usize = 4096;
/// The most frames preallocated, whatever the host claims it might ask for.
pub const MAX_CAPACITY_FRAMES: usize = 16_384;
/// Extra delay beyond one callback, for a message stamped just before a callback starts.
const MARGIN_SECONDS: f64 = 0.000_25;
/// How quickly the clock follows the stream falling behind the wall clock (drift, a busy host).
const RISE_SECONDS: f64 = 2.0;
/// How long a send waits for room in a full queue before it gives up on the message.
const FULL_QUEUE_WAIT: Duration = Duration::from_millis(250);

/// One channel message and the instant it was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StampedMessage {
    pub at: Instant,
    bytes: [u8; 3],
    len: u8,
}

impl StampedMessage {
    /// The first three bytes of `message` (channel messages are never longer), sent at `at`.
    pub fn new(at: Instant, message: &[u8]) -> Self {
        let mut bytes = [0u8; 3];
        let len = message.len().min(3);
        bytes[..len].copy_from_slice(&message[..len]);
        StampedMessage {
            at,
            bytes,
            len: len as u8,
        }
    }

    pub fn bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }
}

/// A queue from the player's side to the audio callback, holding `capacity` messages.
pub fn message_queue(capacity: usize) -> (MessageSender, Consumer<StampedMessage>) {
    let (producer, consumer) = RingBuffer::new(capacity);
    (MessageSender { producer }, consumer)
}

/// The sending end of the queue into the audio callback.
pub struct MessageSender {
    producer: Producer<StampedMessage>,
}

impl MessageSender {
    /// Sends `message`, stamped now.
    pub fn send(&mut self, message: &[u8]) -> Result<(), SinkError> {
        self.send_at(Instant::now(), message)
    }

    /// Sends `message` stamped `at` (stamps must not go backwards). A full queue is waited on
    /// for a moment (the callback empties it every buffer); a queue nobody reads is a lost output.
    pub fn send_at(&mut self, at: Instant, message: &[u8]) -> Result<(), SinkError> {
        let stamped = StampedMessage::new(at, message);
        let give_up = Instant::now() + FULL_QUEUE_WAIT;
        loop {
            if self.producer.is_abandoned() {
                return Err(SinkError::Lost("the audio output has stopped".into()));
            }
            if self.producer.push(stamped).is_ok() {
                return Ok(());
            }
            if Instant::now() >= give_up {
                return Err(SinkError::Failed(
                    "the built-in synth is not taking messages (audio output stalled?)".into(),
                ));
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}

/// Maps message stamps to frames of the output stream. It tracks the smallest seen gap between
/// the wall clock and the frames rendered (the moment the stream is furthest ahead), jumping
/// down at once and rising slowly, so late callbacks do not shift the timing and slow drift
/// between the sound card's clock and the system's is followed.
#[derive(Debug, Clone)]
pub struct StreamClock {
    rate: f64,
    origin: Option<Instant>,
    /// Wall-clock frames since `origin` minus frames rendered, at the stream's most ahead.
    lag: f64,
    /// Frames from a stamp to its frame: the longest callback so far plus the margin.
    latency: f64,
}

impl StreamClock {
    pub fn new(sample_rate: u32) -> Self {
        StreamClock {
            rate: f64::from(sample_rate.max(1)),
            origin: None,
            lag: 0.0,
            latency: 0.0,
        }
    }

    /// Notes that a callback for `frames` frames starts at `now`, after `rendered` frames.
    pub fn observe(&mut self, now: Instant, rendered: u64, frames: usize) {
        let first = self.origin.is_none();
        let origin = *self.origin.get_or_insert(now);
        let lag = seconds_from(origin, now) * self.rate - rendered as f64;
        if first || lag < self.lag {
            self.lag = lag;
        } else {
            let rise = (frames as f64 / (self.rate * RISE_SECONDS)).min(1.0);
            self.lag += (lag - self.lag) * rise;
        }
        self.latency = self
            .latency
            .max(frames as f64 + (MARGIN_SECONDS * self.rate).ceil());
    }

    /// The stream frame a message stamped `at` is due at (negative: before the stream began).
    pub fn frame_of(&self, at: Instant) -> i64 {
        let Some(origin) = self.origin else {
            return 0;
        };
        (seconds_from(origin, at) * self.rate - self.lag + self.latency).round() as i64
    }

    /// Frames from a stamp to the frame it sounds at, as things stand.
    pub fn latency_frames(&self) -> f64 {
        self.latency
    }
}

/// Seconds from `origin` to `at`, negative when `at` is earlier.
fn seconds_from(origin: Instant, at: Instant) -> f64 {
    match at.checked_duration_since(origin) {
        Some(after) => after.as_secs_f64(),
        None => -origin.saturating_duration_since(at).as_secs_f64(),
    }
}

/// The audio callback's state: the synthesizer, the queue's receiving end, the render buffers
/// (allocated here, never resized) and the clock.
pub struct SynthCallback {
    synth: Synthesizer,
    messages: Consumer<StampedMessage>,
    left: Vec<f32>,
    right: Vec<f32>,
    clock: StreamClock,
    rendered: u64,
}

impl SynthCallback {
    /// A callback that renders up to `capacity_frames` frames at a time (at least 1).
    pub fn new(
        synth: Synthesizer,
        messages: Consumer<StampedMessage>,
        capacity_frames: usize,
    ) -> Self {
        let capacity = capacity_frames.max(1);
        let clock = StreamClock::new(synth.get_sample_rate().max(1) as u32);
        SynthCallback {
            synth,
            messages,
            left: vec![0.0; capacity],
            right: vec![0.0; capacity],
            clock,
            rendered: 0,
        }
    }

    /// Frames rendered at a time.
    pub fn capacity_frames(&self) -> usize {
        self.left.len()
    }

    pub fn clock(&self) -> &StreamClock {
        &self.clock
    }

    /// Fills one interleaved output buffer of `channels` channels (left on even channels, right
    /// on odd ones) whose callback started at `now`.
    pub fn fill<T: FromSample<f32>>(&mut self, output: &mut [T], channels: usize, now: Instant) {
        let channels = channels.max(1);
        let frames = output.len() / channels;
        self.clock.observe(now, self.rendered, frames);
        let (whole, partial) = output.split_at_mut(frames * channels);
        for piece in whole.chunks_mut(self.left.len() * channels) {
            self.render_piece(piece, channels);
        }
        for sample in partial {
            *sample = T::from_sample_(0.0);
        }
    }

    /// Renders one piece of at most `capacity_frames`, applying each message due in it at its
    /// frame (a message already late is applied at the piece's first frame).
    fn render_piece<T: FromSample<f32>>(&mut self, piece: &mut [T], channels: usize) {
        let frames = piece.len() / channels;
        let start = self.rendered as i64;
        let mut done = 0;
        while let Ok(&StampedMessage { at, .. }) = self.messages.peek() {
            let due = self.clock.frame_of(at) - start;
            if due >= frames as i64 {
                break;
            }
            let offset = due.max(0) as usize;
            self.render_frames(done, offset);
            done = done.max(offset);
            if let Ok(message) = self.messages.pop() {
                apply_message(&mut self.synth, message.bytes());
            }
        }
        self.render_frames(done, frames);
        for (frame, (left, right)) in piece
            .chunks_mut(channels)
            .zip(self.left.iter().zip(&self.right))
        {
            for (c, sample) in frame.iter_mut().enumerate() {
                *sample = T::from_sample_(if c % 2 == 0 { *left } else { *right });
            }
        }
        self.rendered += frames as u64;
    }

    /// Renders frames `from..to` of the current piece (nothing when `to <= from`).
    fn render_frames(&mut self, from: usize, to: usize) {
        if to > from {
            self.synth
                .render(&mut self.left[from..to], &mut self.right[from..to]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RATE: u32 = 48_000;

    fn at(base: Instant, frames: f64) -> Instant {
        base + Duration::from_secs_f64(frames / f64::from(RATE))
    }

    #[test]
    fn a_stamp_lands_one_callback_plus_the_margin_later() {
        let base = Instant::now();
        let mut clock = StreamClock::new(RATE);
        clock.observe(base, 0, 256);
        // 0.25 ms at 48 kHz is 12 frames.
        assert_eq!(clock.latency_frames(), 268.0);
        assert_eq!(clock.frame_of(at(base, 1000.0)), 1268);
        assert_eq!(clock.frame_of(base - Duration::from_millis(10)), 268 - 480);
    }

    #[test]
    fn late_callbacks_do_not_move_the_clock_but_an_earlier_one_does() {
        let base = Instant::now();
        let mut clock = StreamClock::new(RATE);
        clock.observe(base, 0, 256);
        // Two milliseconds late: the clock stays put, save for its slow rise (96 × 256/96000).
        clock.observe(at(base, 256.0 + 96.0), 256, 256);
        let rise: f64 = 96.0 * 256.0 / 96_000.0;
        assert_eq!(
            clock.frame_of(at(base, 1000.0)),
            (1268.0 - rise).round() as i64
        );
        // The stream turns out to be 40 frames further ahead than it first seemed: follow at once.
        clock.observe(at(base, 512.0 - 40.0), 512, 256);
        assert_eq!(clock.frame_of(at(base, 1000.0)), 1268 + 40);
    }

    #[test]
    fn a_steady_lag_is_followed_within_seconds() {
        let base = Instant::now();
        let mut clock = StreamClock::new(RATE);
        clock.observe(base, 0, 480);
        // The sound card runs 0.1 % slow: after 20 s the stream trails the wall clock by 960 frames.
        let mut rendered = 0u64;
        for _ in 0..2000 {
            rendered += 480;
            clock.observe(at(base, rendered as f64 * 1.001), rendered, 480);
        }
        let now = at(base, rendered as f64 * 1.001);
        let expected = rendered as f64 + 492.0;
        let error = clock.frame_of(now) as f64 - expected;
        // Following a 48-frames-per-second drift with a 2 s time constant trails by about 96.
        assert!((error.abs() - 96.0).abs() < 8.0, "error {error}");
    }

    #[test]
    fn stamped_messages_keep_at_most_three_bytes() {
        let now = Instant::now();
        assert_eq!(StampedMessage::new(now, &[0xC3, 5]).bytes(), &[0xC3, 5][..]);
        assert_eq!(
            StampedMessage::new(now, &[0xF0, 1, 2, 3, 0xF7]).bytes(),
            &[0xF0, 1, 2][..]
        );
    }

    #[test]
    fn a_queue_nobody_reads_is_a_lost_output() {
        let (mut sender, receiver) = message_queue(4);
        assert_eq!(sender.send(&[0x90, 60, 100]), Ok(()));
        drop(receiver);
        assert!(matches!(
            sender.send(&[0x80, 60, 0]),
            Err(SinkError::Lost(_))
        ));
    }
}
