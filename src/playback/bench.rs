//! Timing benchmark: plays a timeline through the real player thread and compares the moment each
//! message was handed to the output with the moment it was due (the `Started` anchor plus `t`).
//! Reports percentiles of (actual − intended) in milliseconds; the target is p99 < 2 ms.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::error::PlaybackError;
use super::player::{Player, PlayerEvent};
use super::sink::{MidiSink, SinkError};
use super::timeline::Timeline;

/// Figures from one jitter run, in milliseconds (late is positive).
#[derive(Debug, Clone, PartialEq)]
pub struct JitterReport {
    pub output: String,
    pub messages: usize,
    pub seconds: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// The earliest send relative to its deadline (negative = early; should never be below 0).
    pub min_ms: f64,
    /// Whether the player thread ran with real-time scheduling.
    pub realtime: bool,
}

impl std::fmt::Display for JitterReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} messages over {:.1} s through {} ({} scheduling): send time − due time \
             p50 {:.3} ms, p90 {:.3} ms, p99 {:.3} ms, max {:.3} ms, min {:.3} ms",
            self.messages,
            self.seconds,
            self.output,
            if self.realtime { "real-time" } else { "normal" },
            self.p50_ms,
            self.p90_ms,
            self.p99_ms,
            self.max_ms,
            self.min_ms
        )
    }
}

/// An output that only takes the time: for measuring the scheduler where no port exists.
pub struct SchedulerOnlySink;

impl MidiSink for SchedulerOnlySink {
    fn send(&mut self, _message: &[u8]) -> Result<(), SinkError> {
        Ok(())
    }

    fn describe(&self) -> String {
        "no output (scheduler timing only)".into()
    }
}

type SendLog = Arc<Mutex<Vec<(Instant, [u8; 3])>>>;

/// Wraps an output and notes the instant each message is handed to it.
struct TimingSink {
    inner: Box<dyn MidiSink>,
    log: SendLog,
}

impl MidiSink for TimingSink {
    fn send(&mut self, message: &[u8]) -> Result<(), SinkError> {
        let now = Instant::now();
        let mut bytes = [0u8; 3];
        let len = message.len().min(3);
        bytes[..len].copy_from_slice(&message[..len]);
        if let Ok(mut log) = self.log.lock() {
            log.push((now, bytes));
        }
        self.inner.send(message)
    }

    fn check_alive(&mut self) -> Result<(), SinkError> {
        self.inner.check_alive()
    }

    fn flush(&mut self) {
        self.inner.flush()
    }

    fn describe(&self) -> String {
        self.inner.describe()
    }
}

/// Measures the player's timing over the first `bars` bars of `timeline`, sent to the MIDI port
/// named `port` or, without one, to the scheduler alone (`play --jitter`, `bench jitter`).
pub fn measure_bars_jitter(
    timeline: &Timeline,
    bars: usize,
    port: Option<&str>,
) -> Result<JitterReport, PlaybackError> {
    let excerpt = timeline.first_bars(bars);
    let output: Box<dyn MidiSink> = match port {
        Some(port) => super::open_output(&super::OutputChoice::Port(port.to_string()))?,
        None => Box::new(SchedulerOnlySink),
    };
    measure_jitter(output, &excerpt)
}

/// Plays `timeline` through `output` on a real player thread and measures every send.
pub fn measure_jitter(
    output: Box<dyn MidiSink>,
    timeline: &Timeline,
) -> Result<JitterReport, PlaybackError> {
    let output_name = output.describe();
    let log: SendLog = Arc::new(Mutex::new(Vec::with_capacity(
        timeline.messages().len() + 64,
    )));
    let sink = TimingSink {
        inner: output,
        log: Arc::clone(&log),
    };
    let player = Player::spawn(Some(Box::new(sink)))
        .map_err(|e| PlaybackError::Audio(format!("could not start the player thread: {e}")))?;
    let realtime = player.is_realtime();
    player.play(timeline.clone());
    let (at, position) = wait_until_finished(&player, timeline.duration())?;
    drop(player);
    let sends = log.lock().map(|l| l.clone()).unwrap_or_default();
    let mut offsets = offsets_ms(timeline, at, position, &sends);
    if offsets.is_empty() {
        return Err(PlaybackError::BadMidi(
            "the piece has no messages to time".into(),
        ));
    }
    offsets.sort_by(f64::total_cmp);
    Ok(JitterReport {
        output: output_name,
        messages: offsets.len(),
        seconds: timeline.duration(),
        p50_ms: percentile(&offsets, 0.50),
        p90_ms: percentile(&offsets, 0.90),
        p99_ms: percentile(&offsets, 0.99),
        max_ms: offsets[offsets.len() - 1],
        min_ms: offsets[0],
        realtime,
    })
}

/// Waits for `Finished` and returns the anchor (instant, position) from `Started`.
fn wait_until_finished(player: &Player, duration: f64) -> Result<(Instant, f64), PlaybackError> {
    let mut anchor = None;
    let limit = Duration::from_secs_f64(duration + 10.0);
    let started = Instant::now();
    loop {
        let left = limit.saturating_sub(started.elapsed());
        match player.events().recv_timeout(left) {
            Ok(PlayerEvent::Started { at, position, .. }) => anchor = Some((at, position)),
            Ok(PlayerEvent::Finished) => break,
            Ok(PlayerEvent::PortLost(reason)) | Ok(PlayerEvent::Error(reason)) => {
                return Err(PlaybackError::Audio(reason));
            }
            Ok(_) => {}
            Err(_) => {
                return Err(PlaybackError::Audio(
                    "the player did not finish in time".into(),
                ));
            }
        }
    }
    anchor.ok_or_else(|| PlaybackError::Audio("the player never started".into()))
}

/// For each timeline message, the first later send of the same bytes: (sent − due) in ms.
fn offsets_ms(
    timeline: &Timeline,
    at: Instant,
    position: f64,
    sends: &[(Instant, [u8; 3])],
) -> Vec<f64> {
    let mut offsets = Vec::with_capacity(timeline.messages().len());
    let mut cursor = 0;
    for message in timeline.messages() {
        let bytes = message.bytes();
        let Some(found) = sends[cursor..]
            .iter()
            .position(|(_, sent)| &sent[..bytes.len()] == bytes)
        else {
            continue;
        };
        let (sent_at, _) = sends[cursor + found];
        cursor += found + 1;
        let due = at + Duration::from_secs_f64((message.seconds - position).max(0.0));
        let offset = if sent_at >= due {
            (sent_at - due).as_secs_f64()
        } else {
            -(due - sent_at).as_secs_f64()
        };
        offsets.push(offset * 1000.0);
    }
    offsets
}

/// The `q` quantile of sorted values (nearest rank).
fn percentile(sorted: &[f64], q: f64) -> f64 {
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}
