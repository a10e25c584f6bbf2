//! A standard MIDI file turned into what the player sends: channel messages at times in seconds,
//! merged across tracks and following the file's tempo map. Playing the exported file's own bytes
//! keeps "what you hear" identical to "what you drag into the DAW".

use midly::{MetaMessage, MidiMessage, Smf, Timing, TrackEventKind};

use super::error::PlaybackError;

/// Status nibbles of the channel messages the player tracks.
const NOTE_OFF: u8 = 0x80;
const NOTE_ON: u8 = 0x90;
const CONTROLLER: u8 = 0xB0;
const PROGRAM_CHANGE: u8 = 0xC0;

/// One channel message (one to three bytes) and the time it is due, in seconds from the start.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimedMessage {
    pub seconds: f64,
    bytes: [u8; 3],
    len: u8,
}

impl TimedMessage {
    /// A note-on; velocity 0 is turned into a note-off so the player's bookkeeping is simple.
    pub fn note_on(seconds: f64, channel: u8, key: u8, velocity: u8) -> Self {
        if velocity == 0 {
            return Self::note_off(seconds, channel, key);
        }
        Self::three(seconds, NOTE_ON | (channel & 0x0F), key, velocity)
    }

    pub fn note_off(seconds: f64, channel: u8, key: u8) -> Self {
        Self::three(seconds, NOTE_OFF | (channel & 0x0F), key, 0)
    }

    pub fn controller(seconds: f64, channel: u8, controller: u8, value: u8) -> Self {
        Self::three(seconds, CONTROLLER | (channel & 0x0F), controller, value)
    }

    pub fn program_change(seconds: f64, channel: u8, program: u8) -> Self {
        TimedMessage {
            seconds,
            bytes: [PROGRAM_CHANGE | (channel & 0x0F), program & 0x7F, 0],
            len: 2,
        }
    }

    fn three(seconds: f64, status: u8, data1: u8, data2: u8) -> Self {
        TimedMessage {
            seconds,
            bytes: [status, data1 & 0x7F, data2 & 0x7F],
            len: 3,
        }
    }

    /// The same message due at another time.
    pub fn at(self, seconds: f64) -> Self {
        TimedMessage { seconds, ..self }
    }

    /// The message as it goes on the wire.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes[..self.len as usize]
    }

    /// MIDI channel, 0–15.
    pub fn channel(&self) -> u8 {
        self.bytes[0] & 0x0F
    }

    /// The status nibble (0x80 note-off, 0x90 note-on, 0xB0 controller, …).
    pub fn kind(&self) -> u8 {
        self.bytes[0] & 0xF0
    }

    pub fn is_note_on(&self) -> bool {
        self.kind() == NOTE_ON
    }

    pub fn is_note_off(&self) -> bool {
        self.kind() == NOTE_OFF
    }

    /// The key of a note message (meaningless for others).
    pub fn key(&self) -> u8 {
        self.bytes[1]
    }

    /// Order of messages due at the same instant: note-offs first (so a repeated note is not cut
    /// by the end of the previous one), then controllers and programs, then note-ons.
    fn same_time_rank(&self) -> u8 {
        match self.kind() {
            NOTE_OFF => 0,
            NOTE_ON => 2,
            _ => 1,
        }
    }
}

/// A note as the timeline plays it: channel, key, and when it sounds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NoteSpan {
    pub channel: u8,
    pub key: u8,
    pub start: f64,
    pub end: f64,
}

/// Everything the player needs to play one piece: messages sorted by time, the total length and
/// where the bars begin (for a playhead, seeking to a bar, or measuring the first N bars).
#[derive(Debug, Clone, PartialEq)]
pub struct Timeline {
    messages: Vec<TimedMessage>,
    duration: f64,
    bar_starts: Vec<f64>,
}

impl Timeline {
    /// Builds a timeline from messages in any order; every note left sounding is closed at `duration`.
    pub fn from_messages(
        mut messages: Vec<TimedMessage>,
        duration: f64,
        bar_starts: Vec<f64>,
    ) -> Self {
        sort_messages(&mut messages);
        let duration = messages
            .last()
            .map_or(duration, |m| m.seconds.max(duration))
            .max(0.0);
        close_open_notes(&mut messages, duration);
        Timeline {
            messages,
            duration,
            bar_starts,
        }
    }

    /// Parses a standard MIDI file (format 0 or 1; format 2 plays its tracks at once).
    pub fn from_smf_bytes(bytes: &[u8]) -> Result<Self, PlaybackError> {
        let smf = Smf::parse(bytes).map_err(|e| PlaybackError::BadMidi(e.to_string()))?;
        let clock = TickClock::from_smf(&smf)?;
        let mut messages = Vec::new();
        let mut end_tick = 0u64;
        for track in &smf.tracks {
            let mut tick = 0u64;
            for event in track {
                tick += u64::from(event.delta.as_int());
                if let TrackEventKind::Midi { channel, message } = event.kind {
                    messages.push(encode(clock.seconds_at(tick), channel.as_int(), message));
                }
            }
            end_tick = end_tick.max(tick);
        }
        let duration = clock.seconds_at(end_tick);
        let bar_starts = clock.bar_starts(end_tick).collect();
        Ok(Timeline::from_messages(messages, duration, bar_starts))
    }

    pub fn messages(&self) -> &[TimedMessage] {
        &self.messages
    }

    /// Length in seconds: the last message or the end of the longest track, whichever is later.
    pub fn duration(&self) -> f64 {
        self.duration
    }

    /// Start of each bar in seconds, from the file's time signatures (4/4 where it has none).
    pub fn bar_starts(&self) -> &[f64] {
        &self.bar_starts
    }

    /// Bit `c` is set when channel `c` carries any message.
    pub fn channels_used(&self) -> u16 {
        self.messages
            .iter()
            .fold(0, |mask, m| mask | (1 << m.channel()))
    }

    /// The channels that carry any message, in order.
    pub fn channels_used_list(&self) -> Vec<u8> {
        let mask = self.channels_used();
        (0..16u8).filter(|c| mask & (1 << c) != 0).collect()
    }

    pub fn note_on_count(&self) -> usize {
        self.messages.iter().filter(|m| m.is_note_on()).count()
    }

    /// Every note with its start and end, in order of start.
    pub fn note_spans(&self) -> Vec<NoteSpan> {
        let mut open: Vec<(u8, u8, f64)> = Vec::new();
        let mut spans = Vec::new();
        for m in &self.messages {
            if m.is_note_on() {
                open.push((m.channel(), m.key(), m.seconds));
            } else if m.is_note_off()
                && let Some(i) = open
                    .iter()
                    .position(|&(c, k, _)| c == m.channel() && k == m.key())
            {
                let (channel, key, start) = open.remove(i);
                spans.push(NoteSpan {
                    channel,
                    key,
                    start,
                    end: m.seconds,
                });
            }
        }
        spans.sort_by(|a, b| a.start.total_cmp(&b.start));
        spans
    }

    /// The first `bars` bars (all of it when shorter); notes still sounding at the cut end there.
    pub fn first_bars(&self, bars: usize) -> Timeline {
        match self.bar_starts.get(bars) {
            Some(&end) => self.slice(0.0, end),
            None => self.clone(),
        }
    }

    /// The part from `start` to `end` seconds, moved to begin at 0. Controllers and programs from
    /// before `start` are kept (at 0) so the excerpt sounds as it does in place.
    pub fn slice(&self, start: f64, end: f64) -> Timeline {
        let mut messages: Vec<TimedMessage> = chase_state(&self.messages, start)
            .into_iter()
            .map(|m| TimedMessage { seconds: 0.0, ..m })
            .collect();
        let mut open: Vec<(u8, u8)> = Vec::new();
        for m in self
            .messages
            .iter()
            .filter(|m| m.seconds >= start && m.seconds < end)
        {
            if m.is_note_on() {
                open.push((m.channel(), m.key()));
            } else if m.is_note_off() {
                match open
                    .iter()
                    .position(|&(c, k)| c == m.channel() && k == m.key())
                {
                    Some(i) => {
                        open.remove(i);
                    }
                    None => continue, // the note began before the excerpt
                }
            }
            messages.push(TimedMessage {
                seconds: m.seconds - start,
                ..*m
            });
        }
        let bar_starts = self
            .bar_starts
            .iter()
            .filter(|&&b| b >= start && b < end)
            .map(|b| b - start)
            .collect();
        Timeline::from_messages(messages, end - start, bar_starts)
    }

    /// This timeline, then `gap` seconds of silence, then `next` (both as they are).
    pub fn then(&self, gap: f64, next: &Timeline) -> Timeline {
        let offset = self.duration + gap.max(0.0);
        let mut messages = self.messages.clone();
        messages.extend(next.messages.iter().map(|m| m.at(m.seconds + offset)));
        let mut bar_starts = self.bar_starts.clone();
        bar_starts.extend(next.bar_starts.iter().map(|b| b + offset));
        Timeline::from_messages(messages, offset + next.duration, bar_starts)
    }

    /// Index of the first message due at or after `seconds`.
    pub fn index_at(&self, seconds: f64) -> usize {
        self.messages.partition_point(|m| m.seconds < seconds)
    }
}

/// The latest program and controller values (per channel and controller) before `seconds`, so a
/// seek or an excerpt starts with the right instruments, volumes and pedals.
pub fn chase_state(messages: &[TimedMessage], seconds: f64) -> Vec<TimedMessage> {
    let mut latest: Vec<TimedMessage> = Vec::new();
    for m in messages.iter().take_while(|m| m.seconds < seconds) {
        let same_slot = |other: &TimedMessage| {
            other.bytes[0] == m.bytes[0] && (m.kind() != CONTROLLER || other.bytes[1] == m.bytes[1])
        };
        if m.kind() == CONTROLLER || m.kind() == PROGRAM_CHANGE {
            latest.retain(|other| !same_slot(other));
            latest.push(*m);
        }
    }
    latest
}

fn sort_messages(messages: &mut [TimedMessage]) {
    messages.sort_by(|a, b| {
        a.seconds
            .total_cmp(&b.seconds)
            .then(a.same_time_rank().cmp(&b.same_time_rank()))
    });
}

/// Appends a note-off at `end` for every note-on that never got one.
fn close_open_notes(messages: &mut Vec<TimedMessage>, end: f64) {
    let mut open = vec![0u32; 16 * 128];
    for m in messages.iter() {
        let slot = usize::from(m.channel()) * 128 + usize::from(m.key());
        if m.is_note_on() {
            open[slot] += 1;
        } else if m.is_note_off() {
            open[slot] = open[slot].saturating_sub(1);
        }
    }
    for (slot, &count) in open.iter().enumerate() {
        for _ in 0..count {
            messages.push(TimedMessage::note_off(
                end,
                (slot / 128) as u8,
                (slot % 128) as u8,
            ));
        }
    }
}

/// A midly channel message as a timed message (all channel messages are kept).
fn encode(seconds: f64, channel: u8, message: MidiMessage) -> TimedMessage {
    let c = channel & 0x0F;
    match message {
        MidiMessage::NoteOn { key, vel } => {
            TimedMessage::note_on(seconds, c, key.as_int(), vel.as_int())
        }
        MidiMessage::NoteOff { key, .. } => TimedMessage::note_off(seconds, c, key.as_int()),
        MidiMessage::Controller { controller, value } => {
            TimedMessage::controller(seconds, c, controller.as_int(), value.as_int())
        }
        MidiMessage::ProgramChange { program } => {
            TimedMessage::program_change(seconds, c, program.as_int())
        }
        MidiMessage::Aftertouch { key, vel } => {
            TimedMessage::three(seconds, 0xA0 | c, key.as_int(), vel.as_int())
        }
        MidiMessage::ChannelAftertouch { vel } => TimedMessage {
            seconds,
            bytes: [0xD0 | c, vel.as_int(), 0],
            len: 2,
        },
        MidiMessage::PitchBend { bend } => {
            let value = bend.0.as_int();
            TimedMessage::three(seconds, 0xE0 | c, (value & 0x7F) as u8, (value >> 7) as u8)
        }
    }
}

/// Ticks → seconds for one file: the merged tempo map (metrical timing) or a fixed rate (timecode),
/// and the time signatures for bar lines.
struct TickClock {
    ticks_per_quarter: f64,
    /// (tick, seconds at that tick, microseconds per quarter from there on), sorted by tick.
    tempo_segments: Vec<(u64, f64, f64)>,
    /// Seconds per tick for timecode files; None for metrical ones.
    fixed_seconds_per_tick: Option<f64>,
    /// (tick, quarter notes per bar), sorted by tick.
    meters: Vec<(u64, f64)>,
}

impl TickClock {
    fn from_smf(smf: &Smf) -> Result<Self, PlaybackError> {
        let mut tempos: Vec<(u64, u32)> = Vec::new();
        let mut meters: Vec<(u64, f64)> = Vec::new();
        for track in &smf.tracks {
            let mut tick = 0u64;
            for event in track {
                tick += u64::from(event.delta.as_int());
                match event.kind {
                    TrackEventKind::Meta(MetaMessage::Tempo(micros)) if micros.as_int() > 0 => {
                        tempos.push((tick, micros.as_int()))
                    }
                    TrackEventKind::Meta(MetaMessage::TimeSignature(numerator, power, ..))
                        if numerator > 0 && power < 8 =>
                    {
                        let quarters = f64::from(numerator) * 4.0 / f64::from(1u32 << power);
                        meters.push((tick, quarters));
                    }
                    _ => {}
                }
            }
        }
        tempos.sort_by_key(|&(tick, _)| tick);
        meters.sort_by_key(|&(tick, _)| tick);
        let (ticks_per_quarter, fixed_seconds_per_tick) = match smf.header.timing {
            Timing::Metrical(tpq) if tpq.as_int() > 0 => (f64::from(tpq.as_int()), None),
            Timing::Metrical(_) => {
                return Err(PlaybackError::BadMidi(
                    "the header says 0 ticks per quarter note".into(),
                ));
            }
            Timing::Timecode(fps, subframes) => (
                // Bars are meaningless without a tempo; pretend 120 BPM for bar lines only.
                f64::from(fps.as_f32()) * f64::from(subframes.max(1)) / 2.0,
                Some(1.0 / (f64::from(fps.as_f32()) * f64::from(subframes.max(1)))),
            ),
        };
        let mut tempo_segments = vec![(0u64, 0.0, 500_000.0)];
        for (tick, micros) in tempos {
            let seconds = segment_seconds(&tempo_segments, ticks_per_quarter, tick);
            if let Some(last) = tempo_segments.last_mut()
                && last.0 == tick
            {
                *last = (tick, seconds, f64::from(micros));
                continue;
            }
            tempo_segments.push((tick, seconds, f64::from(micros)));
        }
        Ok(TickClock {
            ticks_per_quarter,
            tempo_segments,
            fixed_seconds_per_tick,
            meters,
        })
    }

    fn seconds_at(&self, tick: u64) -> f64 {
        match self.fixed_seconds_per_tick {
            Some(per_tick) => tick as f64 * per_tick,
            None => segment_seconds(&self.tempo_segments, self.ticks_per_quarter, tick),
        }
    }

    /// Bar lines in seconds up to `end_tick`; a time signature change starts a new bar.
    fn bar_starts(&self, end_tick: u64) -> impl Iterator<Item = f64> + '_ {
        let mut ticks = Vec::new();
        let mut tick = 0u64;
        let mut meter_index = 0;
        let mut quarters_per_bar = 4.0;
        while tick <= end_tick {
            while meter_index < self.meters.len() && self.meters[meter_index].0 <= tick {
                quarters_per_bar = self.meters[meter_index].1;
                meter_index += 1;
            }
            ticks.push(tick);
            let bar_ticks = ((quarters_per_bar * self.ticks_per_quarter).round() as u64).max(1);
            let next_change = self.meters.get(meter_index).map(|m| m.0);
            tick = match next_change {
                Some(change) if change < tick + bar_ticks => change,
                _ => tick + bar_ticks,
            };
        }
        ticks.into_iter().map(move |t| self.seconds_at(t))
    }
}

fn segment_seconds(segments: &[(u64, f64, f64)], ticks_per_quarter: f64, tick: u64) -> f64 {
    let index = segments.partition_point(|s| s.0 <= tick).saturating_sub(1);
    let (start_tick, start_seconds, micros) = segments[index];
    start_seconds + (tick - start_tick) as f64 / ticks_per_quarter * micros / 1e6
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_time_puts_note_off_before_note_on() {
        let timeline = Timeline::from_messages(
            vec![
                TimedMessage::note_on(1.0, 0, 60, 90),
                TimedMessage::note_off(1.0, 0, 60),
                TimedMessage::note_on(0.0, 0, 60, 90),
            ],
            2.0,
            vec![],
        );
        let kinds: Vec<u8> = timeline.messages().iter().map(|m| m.kind()).collect();
        assert_eq!(kinds, vec![NOTE_ON, NOTE_OFF, NOTE_ON, NOTE_OFF]);
        assert_eq!(timeline.messages()[3].seconds, 2.0);
    }

    #[test]
    fn slice_drops_notes_begun_before_and_closes_notes_cut_at_the_end() {
        let timeline = Timeline::from_messages(
            vec![
                TimedMessage::program_change(0.0, 1, 19),
                TimedMessage::note_on(0.0, 1, 48, 90),
                TimedMessage::note_off(2.0, 1, 48),
                TimedMessage::note_on(1.5, 1, 60, 90),
                TimedMessage::note_off(4.0, 1, 60),
            ],
            4.0,
            vec![0.0, 2.0],
        );
        let part = timeline.slice(1.0, 3.0);
        let spans = part.note_spans();
        assert_eq!(spans.len(), 1);
        assert_eq!((spans[0].key, spans[0].start, spans[0].end), (60, 0.5, 2.0));
        assert_eq!(part.messages()[0].bytes(), &[0xC1, 19]);
        assert_eq!(part.bar_starts(), &[1.0]);
    }
}
