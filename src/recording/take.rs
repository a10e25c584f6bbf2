//! One take from a MIDI keyboard: the messages as they arrived, turned into notes in seconds
//! from bar 1 (the bar after the count-in), and then into a lead sheet through the importer, so
//! a played motif is quantized by exactly the rules a MIDI file gets.
//!
//! Times come from the input's own timestamps where they are usable. Each message also carries
//! the instant it reached us; the smallest `arrival − timestamp` over the take is taken as the
//! clock offset, so a message held up on its way is placed where it was played.

use std::time::Instant;

use midly::MetaMessage;

use super::smf;
use crate::midi::MidiError;
use crate::music::{Key, LeadSheet, Meter, Mode, Tempo};

/// A MIDI message from the keyboard: the input's timestamp (microseconds on its own clock),
/// when it reached us, and its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyMessage {
    pub stamp_us: u64,
    pub received: Instant,
    pub bytes: [u8; 3],
    pub len: u8,
}

impl KeyMessage {
    /// The message's bytes (a message longer than three bytes keeps its first three).
    pub fn new(stamp_us: u64, received: Instant, message: &[u8]) -> Self {
        let mut bytes = [0; 3];
        let len = message.len().min(3);
        bytes[..len].copy_from_slice(&message[..len]);
        KeyMessage {
            stamp_us,
            received,
            bytes,
            len: len as u8,
        }
    }

    /// `Some((pitch, velocity))` for a note on, with velocity 0 meaning a note off.
    fn note(&self) -> Option<(u8, u8)> {
        if self.len < 3 {
            return None;
        }
        match self.bytes[0] & 0xF0 {
            0x90 => Some((self.bytes[1], self.bytes[2])),
            0x80 => Some((self.bytes[1], 0)),
            _ => None,
        }
    }
}

/// A note as played: seconds from bar 1 (negative during the count-in).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlayedNote {
    pub pitch: u8,
    pub velocity: u8,
    pub start: f64,
    /// `None` while the key is still down.
    pub end: Option<f64>,
}

/// How much before bar 1 a note may start and still count as played on it (a sixteenth, in
/// quarter notes): an early downbeat, not a pickup.
const EARLY_DOWNBEAT_QUARTERS: f64 = 0.25;
/// Timestamps whose distance from the arrival clock varies more than this over a take are
/// not trusted (seconds): messages reach us within a few milliseconds of their stamps.
const STAMP_TRUST_SECONDS: f64 = 0.1;

/// A take: the tempo, meter and key it was played at, bar 1's instant, and what was played.
#[derive(Debug, Clone)]
pub struct Take {
    pub tempo: Tempo,
    pub meter: Meter,
    /// The key the composer set, written into the take as its key signature (evidence the
    /// importer weighs against the notes); `None`: the notes alone decide.
    pub key: Option<Key>,
    pub bar_one: Instant,
    messages: Vec<KeyMessage>,
}

impl Take {
    pub fn new(tempo: Tempo, meter: Meter, key: Option<Key>, bar_one: Instant) -> Self {
        Take {
            tempo,
            meter,
            key,
            bar_one,
            messages: Vec::new(),
        }
    }

    pub fn push(&mut self, message: KeyMessage) {
        self.messages.push(message);
    }

    /// Messages received so far (notes, pedals and all).
    pub fn message_count(&self) -> usize {
        self.messages.len()
    }

    /// Seconds of one bar at the take's tempo.
    pub fn bar_seconds(&self) -> f64 {
        self.tempo.seconds(self.meter.bar_ticks())
    }

    /// Seconds from bar 1 to `instant` (negative before it).
    pub fn seconds_at(&self, instant: Instant) -> f64 {
        signed_seconds(self.bar_one, instant)
    }

    /// The notes played, in order of their starts; a key still down has no end.
    pub fn notes(&self) -> Vec<PlayedNote> {
        let times = self.message_times();
        let mut notes: Vec<PlayedNote> = Vec::new();
        let mut sounding: Vec<usize> = Vec::new();
        for (message, time) in self.messages.iter().zip(times) {
            let Some((pitch, velocity)) = message.note() else {
                continue;
            };
            // A repeated key ends the note it still holds.
            if let Some(at) = sounding.iter().position(|&i| notes[i].pitch == pitch) {
                notes[sounding.remove(at)].end = Some(time);
            }
            if velocity > 0 {
                sounding.push(notes.len());
                notes.push(PlayedNote {
                    pitch,
                    velocity,
                    start: time,
                    end: None,
                });
            }
        }
        notes
    }

    /// Seconds from bar 1 of every message.
    fn message_times(&self) -> Vec<f64> {
        let Some(first) = self.messages.first() else {
            return Vec::new();
        };
        let arrival = |m: &KeyMessage| signed_seconds(first.received, m.received);
        let stamped = |m: &KeyMessage| (m.stamp_us as f64 - first.stamp_us as f64) / 1e6;
        let delays: Vec<f64> = self
            .messages
            .iter()
            .map(|m| arrival(m) - stamped(m))
            .collect();
        // The least-delayed message fixes the offset between the two clocks.
        let least_delay = delays.iter().copied().fold(0.0, f64::min);
        let most_delay = delays.iter().copied().fold(0.0, f64::max);
        let stamps_usable = self
            .messages
            .windows(2)
            .all(|w| w[1].stamp_us >= w[0].stamp_us)
            && most_delay - least_delay < STAMP_TRUST_SECONDS;
        let first_at = self.seconds_at(first.received);
        if !stamps_usable {
            return self
                .messages
                .iter()
                .map(|m| first_at + arrival(m))
                .collect();
        }
        self.messages
            .iter()
            .map(|m| first_at + stamped(m) + least_delay)
            .collect()
    }

    /// The notes from bar 1 on, keys still down ended at `until` (seconds from bar 1): a note
    /// played a little early on bar 1 starts on it, the count-in's other notes are left out.
    pub fn notes_from_bar_one(&self, until: f64) -> Vec<PlayedNote> {
        let early = 60.0 / self.tempo.bpm() * EARLY_DOWNBEAT_QUARTERS;
        self.notes()
            .into_iter()
            .filter(|note| note.start >= -early)
            .map(|note| {
                let start = note.start.max(0.0);
                let end = note.end.unwrap_or(until).max(start);
                PlayedNote {
                    start,
                    end: Some(end),
                    ..note
                }
            })
            .collect()
    }

    /// The take as a standard MIDI file: tempo, meter, the chosen key's signature, and the
    /// notes from bar 1 on (keys still down ended at `until`), each start and end on the
    /// nearest sixteenth (a note at least a sixteenth long).
    pub fn to_smf(&self, until: f64) -> Result<Vec<u8>, MidiError> {
        // A played note lands a few milliseconds off its sixteenth, which the importer's finer
        // grid (triplets too) would keep: snap starts and ends to the nearest sixteenth first.
        let sixteenth_seconds = 60.0 / self.tempo.bpm() / 4.0;
        let file_sixteenth = u64::from(smf::TICKS_PER_QUARTER) / 4;
        let tick = |seconds: f64| (seconds / sixteenth_seconds).round() as u64 * file_sixteenth;
        let mut events = smf::tempo_and_meter(self.tempo, self.meter);
        if let Some(key) = self.key {
            let signature = MetaMessage::KeySignature(key.signature(), key.mode == Mode::Minor);
            events.push(smf::Timed::meta(0, signature));
        }
        for note in self.notes_from_bar_one(until) {
            let start = tick(note.start);
            let end = tick(note.end.unwrap_or(until)).max(start + file_sixteenth);
            events.extend(smf::Timed::note(0, note.pitch, note.velocity, start, end));
        }
        smf::single_track(events)
    }

    /// The take as a lead sheet, read by the importer (its grid, meter, key and melody rules),
    /// keys still down ended at `until` (seconds from bar 1).
    pub fn to_sheet(&self, until: f64) -> Result<LeadSheet, MidiError> {
        let bytes = self.to_smf(until)?;
        let imported = crate::midi::import::import_bytes(&bytes, "Recorded")?;
        Ok(imported.sheet)
    }

    /// Whether anything was played from bar 1 on.
    pub fn is_empty(&self) -> bool {
        self.notes_from_bar_one(f64::INFINITY).is_empty()
    }
}

/// `to − from` in seconds, negative when `to` is earlier.
fn signed_seconds(from: Instant, to: Instant) -> f64 {
    match to.checked_duration_since(from) {
        Some(after) => after.as_secs_f64(),
        None => -from.duration_since(to).as_secs_f64(),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::music::PitchClass;

    const BPM: f64 = 120.0;

    /// A take at 120 bpm in 4/4 whose bar 1 is one bar (2 s) after `start`.
    fn take(start: Instant) -> Take {
        Take::new(
            Tempo::new(BPM).unwrap(),
            Meter::FOUR_FOUR,
            None,
            start + Duration::from_secs(2),
        )
    }

    /// The message played `seconds` after `start`, stamped on a clock 1000 s ahead, arriving
    /// `delay_ms` later.
    fn at(start: Instant, seconds: f64, delay_ms: u64, bytes: [u8; 3]) -> KeyMessage {
        let played = start + Duration::from_secs_f64(seconds);
        KeyMessage::new(
            1_000_000_000 + (seconds * 1e6) as u64,
            played + Duration::from_millis(delay_ms),
            &bytes,
        )
    }

    /// C D E G as quarters on bar 1, each a little off its beat and arriving late.
    fn motif(start: Instant) -> Take {
        let mut take = take(start);
        let played = [
            (60, 2.01, 2.49),
            (62, 2.49, 2.95),
            (64, 3.02, 3.45),
            (67, 3.51, 4.0),
        ];
        for (i, (pitch, on, off)) in played.into_iter().enumerate() {
            let delay = (i as u64 * 7) % 12;
            take.push(at(start, on, delay, [0x90, pitch, 100]));
            take.push(at(start, off, delay + 3, [0x80, pitch, 0]));
        }
        take
    }

    #[test]
    fn timestamps_place_notes_where_they_were_played_despite_late_arrival() {
        let start = Instant::now();
        let notes = motif(start).notes();
        let starts: Vec<f64> = notes.iter().map(|n| n.start).collect();
        for (got, want) in starts.iter().zip([0.01, 0.49, 1.02, 1.51]) {
            assert!((got - want).abs() < 1e-3, "{starts:?}");
        }
    }

    #[test]
    fn the_importer_quantizes_the_take_to_the_grid() {
        let start = Instant::now();
        let sheet = motif(start).to_sheet(4.0).unwrap();
        let melody = sheet.melody();
        let pitches: Vec<u8> = melody.iter().map(|n| n.item.pitch.0).collect();
        assert_eq!(pitches, [60, 62, 64, 67]);
        let onsets: Vec<u32> = melody.iter().map(|n| n.absolute(n.item.onset)).collect();
        assert_eq!(onsets, [0, 12, 24, 36], "quarters on the beats of bar 1");
        assert_eq!(sheet.tempo.bpm().round(), BPM);
        assert_eq!(sheet.meter(), Meter::FOUR_FOUR);
    }

    #[test]
    fn a_note_played_late_of_its_sixteenth_lands_on_it() {
        let start = Instant::now();
        let mut take = take(start);
        // A downbeat, then the second eighth of beat 3 (1.25 s after bar 1), played 40 ms late
        // and let go early.
        take.push(at(start, 2.0, 0, [0x90, 72, 90]));
        take.push(at(start, 2.4, 0, [0x80, 72, 0]));
        take.push(at(start, 2.0 + 1.25 + 0.04, 0, [0x90, 74, 90]));
        take.push(at(start, 2.0 + 1.42, 0, [0x80, 74, 0]));
        let sheet = take.to_sheet(2.0).unwrap();
        let note = sheet.melody()[1];
        assert_eq!(
            note.absolute(note.item.onset),
            30,
            "on the sixteenth, not a 48th after it"
        );
        assert_eq!(note.item.duration, 3);
    }

    #[test]
    fn count_in_notes_are_left_out_but_an_early_downbeat_counts() {
        let start = Instant::now();
        let mut take = take(start);
        take.push(at(start, 1.0, 0, [0x90, 50, 90]));
        take.push(at(start, 1.2, 0, [0x80, 50, 0]));
        take.push(at(start, 1.97, 0, [0x90, 72, 90]));
        take.push(at(start, 2.4, 0, [0x90, 72, 0]));
        let notes = take.notes_from_bar_one(4.0);
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert_eq!((notes[0].pitch, notes[0].start), (72, 0.0));
    }

    #[test]
    fn a_key_still_down_ends_where_the_take_ends() {
        let start = Instant::now();
        let mut take = take(start);
        take.push(at(start, 2.0, 0, [0x90, 65, 90]));
        let notes = take.notes_from_bar_one(1.5);
        assert_eq!(notes[0].end, Some(1.5));
        assert!(take.notes()[0].end.is_none());
    }

    #[test]
    fn unusable_timestamps_fall_back_to_arrival() {
        let start = Instant::now();
        let mut take = take(start);
        for (seconds, bytes) in [(2.0, [0x90, 60, 90]), (2.5, [0x80, 60, 0])] {
            let message = KeyMessage::new(0, start + Duration::from_secs_f64(seconds), &bytes);
            take.push(message);
        }
        let notes = take.notes();
        assert!((notes[0].end.unwrap() - 0.5).abs() < 1e-6, "{notes:?}");
    }

    #[test]
    fn the_chosen_key_is_written_as_the_signature() {
        let start = Instant::now();
        let mut take = motif(start);
        take.key = Some(Key::new(PitchClass::new(7), Mode::Major));
        let bytes = take.to_smf(4.0).unwrap();
        let smf = midly::Smf::parse(&bytes).unwrap();
        let signature = smf.tracks[0].iter().find_map(|e| match e.kind {
            midly::TrackEventKind::Meta(MetaMessage::KeySignature(sharps, minor)) => {
                Some((sharps, minor))
            }
            _ => None,
        });
        assert_eq!(signature, Some((1, false)));
    }

    #[test]
    fn nothing_played_is_an_empty_take() {
        let start = Instant::now();
        let mut take = take(start);
        assert!(take.is_empty());
        take.push(at(start, 2.5, 0, [0xB0, 64, 127]));
        assert!(take.is_empty(), "a pedal is not a note");
    }
}
