//! The player thread. It owns the output and the clock: commands come in over a crossbeam channel
//! ([`PlayerCommand`]), reports go out over another ([`PlayerEvent`]); the UI never waits on it.
//!
//! Timing: every message has a deadline `anchor + (t − anchor_position) / tempo_scale` on the
//! monotonic clock ([`Instant`]), where the anchor is the instant playback (re)started. The thread sleeps (waiting for commands) until just before the next deadline,
//! then spins to it, so errors never add up over a piece.
//!
//! No stuck notes: every note sent is remembered until its note-off; stop, pause, a new piece,
//! a seek, shutting down and a lost output all send note-offs for what still sounds, then
//! sustain off (CC 64 = 0) and All Notes Off (CC 123) on every channel used.

use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use midly::MidiMessage;
use midly::live::LiveEvent;

use super::sink::{MidiSink, SinkError};
use super::timeline::{Timeline, chase_state};

/// How long before a deadline the thread stops sleeping and spins (covers wake-up latency).
const SPIN_MARGIN: Duration = Duration::from_micros(1500);
/// How often the playhead is reported while playing.
const POSITION_INTERVAL: Duration = Duration::from_millis(25);
/// How often the output is checked for having vanished.
const ALIVE_INTERVAL: Duration = Duration::from_millis(500);
/// The alive check is skipped when a message is due sooner than this.
const ALIVE_CHECK_ROOM: Duration = Duration::from_millis(20);

/// What the player is told to do.
pub enum PlayerCommand {
    /// Stop what is playing (cleanly) and play this from this many seconds into it (as
    /// written; 0 for its start).
    Play(Arc<Timeline>, f64),
    /// Stop and forget the position.
    Stop,
    /// Stop sounding but keep the position; `Resume` goes on from there.
    Pause,
    Resume,
    /// At the end, start again from the beginning.
    SetLoop(bool),
    /// 1.0 plays as written, 2.0 twice as fast. Values ≤ 0 are ignored.
    SetTempoScale(f64),
    /// Jump to this many seconds into the piece (as written, before tempo scaling).
    Seek(f64),
    /// Switch to another output (the old one is silenced and closed); `None` leaves no output.
    SetOutput(Option<Box<dyn MidiSink>>),
    /// Silence everything and end the thread.
    Shutdown,
}

/// What the player reports.
#[derive(Debug, Clone, PartialEq)]
pub enum PlayerEvent {
    /// At the instant `at` the playhead was at `position` seconds and moves on at `tempo_scale`
    /// seconds per second, so a playhead can be drawn smoothly between `Position` reports.
    Started {
        at: Instant,
        position: f64,
        duration: f64,
        tempo_scale: f64,
    },
    /// The playhead, in seconds into the piece as written.
    Position(f64),
    Paused(f64),
    Stopped,
    /// The end was reached (and looping is off).
    Finished,
    /// The output vanished; playback stopped and the player waits for a new output.
    PortLost(String),
    /// Something could not be done, in words for the person ("no output: …").
    Error(String),
}

/// The running player: send it commands, read its events. Dropping it silences and joins the thread.
pub struct Player {
    commands: Sender<PlayerCommand>,
    events: Receiver<PlayerEvent>,
    thread: Option<JoinHandle<()>>,
    realtime: bool,
}

impl Player {
    /// Starts the player thread with an output (or none: `Play` then answers with an error event).
    pub fn spawn(output: Option<Box<dyn MidiSink>>) -> std::io::Result<Player> {
        let (commands, command_rx) = crossbeam_channel::unbounded();
        let (event_tx, events) = crossbeam_channel::unbounded();
        let (realtime_tx, realtime_rx) = crossbeam_channel::bounded(1);
        let thread = std::thread::Builder::new()
            .name("songsketch-player".into())
            .spawn(move || {
                let _ = realtime_tx.send(raise_thread_priority());
                PlayerThread::new(output, command_rx, event_tx).run()
            })?;
        let realtime = realtime_rx.recv().unwrap_or(false);
        Ok(Player {
            commands,
            events,
            thread: Some(thread),
            realtime,
        })
    }

    /// Whether the thread got real-time scheduling (timing then holds even on a busy machine).
    pub fn is_realtime(&self) -> bool {
        self.realtime
    }

    /// The sender for commands (clone it freely).
    pub fn commands(&self) -> &Sender<PlayerCommand> {
        &self.commands
    }

    /// The receiver of events (poll it with `try_recv` once per frame).
    pub fn events(&self) -> &Receiver<PlayerEvent> {
        &self.events
    }

    /// Sends a command; false when the thread has ended.
    pub fn send(&self, command: PlayerCommand) -> bool {
        self.commands.send(command).is_ok()
    }

    pub fn play(&self, timeline: Timeline) -> bool {
        self.play_from(timeline, 0.0)
    }

    /// Plays `timeline` from `seconds` into it.
    pub fn play_from(&self, timeline: Timeline, seconds: f64) -> bool {
        self.send(PlayerCommand::Play(Arc::new(timeline), seconds))
    }

    pub fn stop(&self) -> bool {
        self.send(PlayerCommand::Stop)
    }
}

impl Drop for Player {
    fn drop(&mut self) {
        let _ = self.commands.send(PlayerCommand::Shutdown);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Asks for real-time scheduling (SCHED_FIFO) for the calling thread, as audio and MIDI programs
/// do, so other busy programs do not delay a note. Allowed for root, or where the user may
/// (Linux desktops: the `audio` group's rtprio limit); elsewhere it quietly stays a normal thread.
/// The thread sleeps between messages and spins at most [`SPIN_MARGIN`], so it cannot hog a core.
pub fn raise_thread_priority() -> bool {
    #[cfg(unix)]
    {
        let param = libc::sched_param { sched_priority: 40 };
        // SAFETY: pthread_self() is always a valid handle for the calling thread and `param`
        // outlives the call.
        unsafe { libc::pthread_setschedparam(libc::pthread_self(), libc::SCHED_FIFO, &param) == 0 }
    }
    #[cfg(not(unix))]
    {
        false
    }
}

enum Mode {
    Idle,
    Playing,
    Paused(f64),
}

/// Notes that sound now (per channel, per key) and channels that ever carried a message.
#[derive(Default)]
struct Sounding {
    notes: [u128; 16],
    channels_used: u16,
}

impl Sounding {
    fn record(&mut self, message: &[u8]) {
        let Ok(LiveEvent::Midi { channel, message }) = LiveEvent::parse(message) else {
            return;
        };
        let channel = usize::from(channel.as_int());
        self.channels_used |= 1 << channel;
        match message {
            MidiMessage::NoteOn { key, vel } if vel.as_int() > 0 => {
                self.notes[channel] |= 1 << key.as_int();
            }
            MidiMessage::NoteOn { key, .. } | MidiMessage::NoteOff { key, .. } => {
                self.notes[channel] &= !(1u128 << key.as_int());
            }
            _ => {}
        }
    }

    /// Note-offs for what sounds, then sustain off and All Notes Off on every channel used.
    fn silencing_messages(&self) -> Vec<[u8; 3]> {
        let mut messages = Vec::new();
        for channel in 0..16u8 {
            let notes = self.notes[usize::from(channel)];
            for key in (0..128u8).filter(|&k| notes & (1u128 << k) != 0) {
                messages.push([0x80 | channel, key, 0]);
            }
        }
        for channel in (0..16u8).filter(|&c| self.channels_used & (1 << c) != 0) {
            messages.push([0xB0 | channel, 64, 0]);
            messages.push([0xB0 | channel, 123, 0]);
        }
        messages
    }
}

struct PlayerThread {
    sink: Option<Box<dyn MidiSink>>,
    commands: Receiver<PlayerCommand>,
    events: Sender<PlayerEvent>,
    timeline: Option<Arc<Timeline>>,
    next_index: usize,
    anchor: Instant,
    anchor_position: f64,
    tempo_scale: f64,
    looping: bool,
    mode: Mode,
    sounding: Sounding,
    last_position_report: Instant,
    last_alive_check: Instant,
}

impl PlayerThread {
    fn new(
        sink: Option<Box<dyn MidiSink>>,
        commands: Receiver<PlayerCommand>,
        events: Sender<PlayerEvent>,
    ) -> Self {
        let now = Instant::now();
        PlayerThread {
            sink,
            commands,
            events,
            timeline: None,
            next_index: 0,
            anchor: now,
            anchor_position: 0.0,
            tempo_scale: 1.0,
            looping: false,
            mode: Mode::Idle,
            sounding: Sounding::default(),
            last_position_report: now,
            last_alive_check: now,
        }
    }

    fn run(mut self) {
        loop {
            let command = match self.next_wake() {
                Some(wake) => {
                    let sleep_until = wake.checked_sub(SPIN_MARGIN).unwrap_or(wake);
                    match self.commands.recv_deadline(sleep_until) {
                        Ok(command) => Some(command),
                        Err(RecvTimeoutError::Timeout) => None,
                        Err(RecvTimeoutError::Disconnected) => break,
                    }
                }
                None => match self.commands.recv() {
                    Ok(command) => Some(command),
                    Err(_) => break,
                },
            };
            if let Some(command) = command
                && !self.handle(command)
            {
                break;
            }
            self.send_due_messages();
            self.report_position();
            self.check_output();
        }
        self.silence();
        if let Some(sink) = self.sink.as_mut() {
            sink.flush();
        }
    }

    /// Handles one command; false ends the thread.
    fn handle(&mut self, command: PlayerCommand) -> bool {
        match command {
            PlayerCommand::Play(timeline, from) => self.start(timeline, from),
            PlayerCommand::Stop => {
                self.silence();
                if !matches!(self.mode, Mode::Idle) {
                    self.mode = Mode::Idle;
                    self.emit(PlayerEvent::Stopped);
                }
            }
            PlayerCommand::Pause => {
                if matches!(self.mode, Mode::Playing) {
                    let position = self.position();
                    self.silence();
                    self.mode = Mode::Paused(position);
                    self.emit(PlayerEvent::Paused(position));
                }
            }
            PlayerCommand::Resume => {
                if let Mode::Paused(position) = self.mode {
                    self.play_from(position);
                }
            }
            PlayerCommand::SetLoop(looping) => self.looping = looping,
            PlayerCommand::SetTempoScale(scale) => self.set_tempo_scale(scale),
            PlayerCommand::Seek(position) => self.seek(position),
            PlayerCommand::SetOutput(sink) => {
                self.silence();
                if let Some(old) = self.sink.as_mut() {
                    old.flush();
                }
                self.sink = sink;
                self.sounding = Sounding::default();
                if !matches!(self.mode, Mode::Idle) {
                    self.mode = Mode::Idle;
                    self.emit(PlayerEvent::Stopped);
                }
            }
            PlayerCommand::Shutdown => return false,
        }
        true
    }

    fn start(&mut self, timeline: Arc<Timeline>, from: f64) {
        self.silence();
        if self.sink.is_none() {
            self.mode = Mode::Idle;
            self.emit(PlayerEvent::Error(
                "no output: choose a MIDI port or a SoundFont for the built-in synth".into(),
            ));
            return;
        }
        self.timeline = Some(timeline);
        self.play_from(from);
    }

    /// Starts sounding at `position` seconds: restores programs and controllers, sets the clock.
    fn play_from(&mut self, position: f64) {
        let Some(timeline) = self.timeline.clone() else {
            return;
        };
        let position = position.clamp(0.0, timeline.duration());
        for message in chase_state(timeline.messages(), position) {
            if !self.send(message.bytes()) {
                return;
            }
        }
        self.next_index = timeline.index_at(position);
        self.anchor = Instant::now();
        self.anchor_position = position;
        self.mode = Mode::Playing;
        self.emit_started();
    }

    fn seek(&mut self, position: f64) {
        match self.mode {
            Mode::Playing => {
                self.silence();
                self.play_from(position);
            }
            Mode::Paused(_) => {
                let duration = self.timeline.as_ref().map_or(0.0, |t| t.duration());
                self.mode = Mode::Paused(position.clamp(0.0, duration));
            }
            Mode::Idle => {}
        }
    }

    fn set_tempo_scale(&mut self, scale: f64) {
        if !(scale.is_finite() && scale > 0.0) {
            self.emit(PlayerEvent::Error(format!(
                "tempo scale {scale} must be above 0"
            )));
            return;
        }
        let position = self.position();
        self.tempo_scale = scale;
        if matches!(self.mode, Mode::Playing) {
            self.anchor = Instant::now();
            self.anchor_position = position;
            self.emit_started();
        }
    }

    fn emit_started(&self) {
        if let Some(timeline) = &self.timeline {
            self.emit(PlayerEvent::Started {
                at: self.anchor,
                position: self.anchor_position,
                duration: timeline.duration(),
                tempo_scale: self.tempo_scale,
            });
        }
    }

    /// Seconds into the piece as written.
    fn position(&self) -> f64 {
        match self.mode {
            Mode::Playing => {
                let elapsed = Instant::now().saturating_duration_since(self.anchor);
                let duration = self.timeline.as_ref().map_or(0.0, |t| t.duration());
                (self.anchor_position + elapsed.as_secs_f64() * self.tempo_scale).min(duration)
            }
            Mode::Paused(position) => position,
            Mode::Idle => 0.0,
        }
    }

    fn deadline(&self, seconds: f64) -> Instant {
        let ahead = (seconds - self.anchor_position).max(0.0);
        self.anchor + Duration::from_secs_f64(ahead / self.tempo_scale)
    }

    /// The next message's deadline, or the end of the piece once all are sent.
    fn next_deadline(&self) -> Option<Instant> {
        if !matches!(self.mode, Mode::Playing) {
            return None;
        }
        let timeline = self.timeline.as_ref()?;
        let seconds = timeline
            .messages()
            .get(self.next_index)
            .map_or(timeline.duration(), |m| m.seconds);
        Some(self.deadline(seconds))
    }

    /// When the thread must wake next: a message, a position report, or an output check.
    fn next_wake(&self) -> Option<Instant> {
        let mut wake = self.next_deadline();
        if matches!(self.mode, Mode::Playing) {
            let report = self.last_position_report + POSITION_INTERVAL + SPIN_MARGIN;
            wake = Some(wake.map_or(report, |w| w.min(report)));
        }
        if self.sink.is_some() {
            let check = self.last_alive_check + ALIVE_INTERVAL + SPIN_MARGIN;
            // A check that would crowd a message waits for it (see `check_output`).
            let crowded = self
                .next_deadline()
                .is_some_and(|d| d < check.max(Instant::now()) + ALIVE_CHECK_ROOM);
            if !crowded {
                wake = Some(wake.map_or(check, |w| w.min(check)));
            }
        }
        wake
    }

    /// Sends every message due within the spin margin, spinning until each one's deadline.
    fn send_due_messages(&mut self) {
        while matches!(self.mode, Mode::Playing) {
            let Some(timeline) = self.timeline.clone() else {
                return;
            };
            let Some(deadline) = self.next_deadline() else {
                return;
            };
            if deadline > Instant::now() + SPIN_MARGIN {
                return;
            }
            while Instant::now() < deadline {
                std::hint::spin_loop();
            }
            match timeline.messages().get(self.next_index) {
                Some(message) => {
                    self.next_index += 1;
                    if !self.send(message.bytes()) {
                        return;
                    }
                }
                None => self.reach_end(&timeline),
            }
        }
    }

    fn reach_end(&mut self, timeline: &Timeline) {
        if self.looping && timeline.duration() > 0.0 {
            self.silence();
            self.anchor = self.deadline(timeline.duration());
            self.anchor_position = 0.0;
            self.next_index = 0;
            self.emit_started();
        } else {
            self.silence();
            self.mode = Mode::Idle;
            self.emit(PlayerEvent::Position(timeline.duration()));
            self.emit(PlayerEvent::Finished);
        }
    }

    fn report_position(&mut self) {
        if matches!(self.mode, Mode::Playing)
            && self.last_position_report.elapsed() >= POSITION_INTERVAL
        {
            self.last_position_report = Instant::now();
            self.emit(PlayerEvent::Position(self.position()));
        }
    }

    fn check_output(&mut self) {
        if self.last_alive_check.elapsed() < ALIVE_INTERVAL {
            return;
        }
        if let Some(deadline) = self.next_deadline()
            && deadline < Instant::now() + ALIVE_CHECK_ROOM
        {
            return;
        }
        self.last_alive_check = Instant::now();
        if let Some(Err(error)) = self.sink.as_mut().map(|sink| sink.check_alive()) {
            self.lose_output(error);
        }
    }

    /// Sends one message and keeps the bookkeeping; false when the output was lost.
    fn send(&mut self, message: &[u8]) -> bool {
        let Some(sink) = self.sink.as_mut() else {
            return false;
        };
        match sink.send(message) {
            Ok(()) => {
                self.sounding.record(message);
                true
            }
            Err(error @ SinkError::Lost(_)) => {
                self.lose_output(error);
                false
            }
            Err(SinkError::Failed(reason)) => {
                self.emit(PlayerEvent::Error(reason));
                true
            }
        }
    }

    /// Note-offs for every sounding note, then CC 64 = 0 and CC 123 on every channel used.
    /// Sustain goes off first: with the pedal down, note-offs and All Notes Off would ring on.
    fn silence(&mut self) {
        let messages = self.sounding.silencing_messages();
        if let Some(sink) = self.sink.as_mut() {
            for message in &messages {
                if sink.send(message).is_err() {
                    break;
                }
            }
        }
        self.sounding.notes = [0; 16];
    }

    fn lose_output(&mut self, error: SinkError) {
        // Try to silence what may still hear us (a port can come back), then let it go.
        self.silence();
        let reason = match error {
            SinkError::Lost(reason) | SinkError::Failed(reason) => reason,
        };
        self.sink = None;
        self.sounding = Sounding::default();
        self.mode = Mode::Idle;
        self.emit(PlayerEvent::PortLost(reason));
    }

    fn emit(&self, event: PlayerEvent) {
        let _ = self.events.send(event);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silencing_turns_off_sounding_notes_then_pedal_and_all_notes_off() {
        let mut sounding = Sounding::default();
        for message in [
            [0x90, 60, 100],
            [0x90, 64, 100],
            [0x91, 40, 90],
            [0x90, 64, 0],
            [0xB2, 7, 100],
        ] {
            sounding.record(&message);
        }
        let messages = sounding.silencing_messages();
        assert_eq!(
            messages,
            vec![
                [0x80, 60, 0],
                [0x81, 40, 0],
                [0xB0, 64, 0],
                [0xB0, 123, 0],
                [0xB1, 64, 0],
                [0xB1, 123, 0],
                [0xB2, 64, 0],
                [0xB2, 123, 0],
            ]
        );
    }
}
