//! The MIDI writer: a lead sheet (an [`Idea`] is one) → a standard MIDI file that DAWs open.
//!
//! The file layout, which the importer reads back:
//! - format 1, [`FILE_TICKS_PER_QUARTER`] = 480 ticks per quarter note (one grid tick = 40 file ticks);
//! - track 0, the conductor: the sheet's title as track name, Set Tempo, Key Signature
//!   ([`Key::signature`](crate::music::Key::signature) and the minor flag), a Time Signature at 0
//!   and wherever the written meter changes, and a Marker with the section's `label` where each
//!   section's first note time lies (for a pickup: where the pickup starts, not at 0);
//! - track 1 `Chords` on [`ExportOptions::chord_channel`]: a program change, then at every chord change
//!   a Text event with the chord symbol as musicians write it in the key's spelling (`Am7`,
//!   `Bb/D`, or `N.C.` and silence for no chord) and a block chord voiced by
//!   [`voice_chord`] that sounds until the next change or the end of the section;
//! - track 2 `Melody` on [`ExportOptions::melody_channel`]: a program change and the notes with
//!   their own velocities, never moved;
//! - notes end with real Note Off events (velocity 64); at the same tick a note ends before the
//!   next one starts; every track ends with End of Track at the same tick, the end of the song.
//!
//! Bars that are shorter than their meter:
//! - a pickup as the first bar is padded to a full bar: the file starts with a rest of
//!   `bar − pickup` and everything after moves by that much;
//! - a short bar later in the song gets its own time signature (a 2/4 bar between 4/4 bars,
//!   a 3/8 bar in 6/8), and the meter is written again after it; a length no time signature
//!   can hold (an 8th-note triplet) is written as a full bar with a rest at its end.

use std::path::Path;

use midly::num::{u4, u7, u15, u24, u28};
use midly::{Format, Header, MetaMessage, MidiMessage, Timing, TrackEvent, TrackEventKind};

use super::MidiError;
use super::voicing::voice_chord;
use crate::music::{ChordSymbol, Idea, LeadSheet, Meter, Mode, TICKS_PER_QUARTER};

/// Ticks per quarter note in exported files.
pub const FILE_TICKS_PER_QUARTER: u16 = 480;
/// File ticks per lead-sheet grid tick.
pub const FILE_TICKS_PER_GRID_TICK: u64 = FILE_TICKS_PER_QUARTER as u64 / TICKS_PER_QUARTER as u64;
/// The name of the track holding the block chords.
pub const CHORDS_TRACK_NAME: &str = "Chords";
/// The name of the track holding the melody.
pub const MELODY_TRACK_NAME: &str = "Melody";
/// The Text event written where a section has no chord.
pub const NO_CHORD_TEXT: &str = "N.C.";
/// Velocity of every Note Off.
const NOTE_OFF_VELOCITY: u8 = 64;

/// How a lead sheet is written: MIDI channels (0-based, 0 = channel 1), the General MIDI
/// program of both parts, and the loudness of the chords.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportOptions {
    pub melody_channel: u8,
    pub chord_channel: u8,
    pub program: u8,
    pub chord_velocity: u8,
}

impl Default for ExportOptions {
    /// Melody on channel 1, chords on channel 2, both Acoustic Grand Piano, chords at velocity 70.
    fn default() -> Self {
        ExportOptions {
            melody_channel: 0,
            chord_channel: 1,
            program: 0,
            chord_velocity: 70,
        }
    }
}

impl ExportOptions {
    /// Checks the values fit MIDI and the two parts have channels of their own (drums' channel 10 is refused).
    fn validate(&self) -> Result<(), MidiError> {
        let invalid = |why: String| Err(MidiError::Unsupported(format!("export options: {why}")));
        for (part, channel) in [
            ("melody", self.melody_channel),
            ("chord", self.chord_channel),
        ] {
            if channel > 15 {
                return invalid(format!("{part} channel index {channel} is not in 0..=15"));
            }
            if channel == super::read::DRUM_CHANNEL {
                return invalid(format!(
                    "{part} channel index {channel} is General MIDI's drum channel"
                ));
            }
        }
        if self.melody_channel == self.chord_channel {
            return invalid("melody and chords need different channels".into());
        }
        if self.program > 127 {
            return invalid(format!("program {} is not in 0..=127", self.program));
        }
        if self.chord_velocity == 0 || self.chord_velocity > 127 {
            return invalid(format!(
                "chord velocity {} is not in 1..=127",
                self.chord_velocity
            ));
        }
        Ok(())
    }
}

/// The bytes of a standard MIDI file holding `sheet` (see the module docs for the layout).
/// An invalid lead sheet, a sheet without bars or unusable options give an error.
pub fn lead_sheet_to_smf_bytes(
    sheet: &LeadSheet,
    options: &ExportOptions,
) -> Result<Vec<u8>, MidiError> {
    options.validate()?;
    sheet.validate()?;
    if sheet.bar_count() == 0 {
        return Err(MidiError::Empty(format!(
            "the lead sheet `{}` has no bars to write",
            sheet.title
        )));
    }
    let layout = Layout::of(sheet);
    let mut tracks = [
        conductor_track(sheet, &layout),
        chords_track(sheet, &layout, options),
        melody_track(sheet, &layout, options),
    ];
    let song_end = tracks
        .iter()
        .flat_map(|t| t.iter().map(|e| e.tick))
        .chain([layout.written_end()])
        .max()
        .unwrap_or(0);
    for track in &mut tracks {
        track.push(Timed::new(song_end, Event::EndOfTrack));
    }
    encode(&tracks)
}

/// Writes `sheet` as a MIDI file at `path`, atomically: the bytes go to a temporary file in the
/// same folder, which is renamed over `path` only once complete.
pub fn write_lead_sheet(
    sheet: &LeadSheet,
    path: &Path,
    options: &ExportOptions,
) -> Result<(), MidiError> {
    let bytes = lead_sheet_to_smf_bytes(sheet, options).map_err(|e| MidiError::File {
        path: path.to_path_buf(),
        reason: Box::new(e),
    })?;
    crate::atomic_file::write_atomically(path, &bytes).map_err(|reason| MidiError::Io {
        path: path.to_path_buf(),
        reason,
    })
}

/// A file name for an idea that says what it is and is safe everywhere (letters, digits, `-`, `.`):
/// key, tempo and number, e.g. `Am-96bpm-12.mid`, `Fsharpm-120bpm-3.mid`, `Bb-84bpm-1.mid`.
pub fn idea_file_name(idea: &Idea, number: u32) -> String {
    let sheet = idea.sheet();
    let key: String = sheet
        .key
        .to_string()
        .replace('#', "sharp")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    let bpm = sheet.tempo.bpm().round() as u32;
    format!("{key}-{bpm}bpm-{number}.mid")
}

/// Where one bar of the sheet lands in the file.
#[derive(Debug, Clone, Copy)]
struct PlacedBar {
    /// The bar's start on the lead-sheet grid.
    grid_start: u32,
    /// Where the written bar (with any padding) starts, in file ticks.
    written_start: u64,
    /// Where the bar's content starts: after the padding of a pickup.
    content_start: u64,
    written_length: u64,
    written_meter: Meter,
}

/// Every bar's place in the file.
struct Layout {
    bars: Vec<PlacedBar>,
}

/// Whether a grid tick is where something starts or where it ends: an end on a bar line belongs
/// to the bar before it.
#[derive(Clone, Copy, PartialEq)]
enum Edge {
    Start,
    End,
}

impl Layout {
    fn of(sheet: &LeadSheet) -> Layout {
        let mut written = 0u64;
        let bars = sheet
            .bars()
            .zip(sheet.bar_starts())
            .enumerate()
            .map(|(index, (bar, grid_start))| {
                let full = bar.meter.bar_ticks() as u64 * FILE_TICKS_PER_GRID_TICK;
                let length = bar.length as u64 * FILE_TICKS_PER_GRID_TICK;
                let (written_meter, padding, written_length) = if !bar.is_pickup() {
                    (bar.meter, 0, length)
                } else if index == 0 {
                    (bar.meter, full - length, full)
                } else if let Some(meter) = meter_of_length(bar.length, bar.meter) {
                    (meter, 0, length)
                } else {
                    (bar.meter, 0, full)
                };
                let placed = PlacedBar {
                    grid_start,
                    written_start: written,
                    content_start: written + padding,
                    written_length,
                    written_meter,
                };
                written += written_length;
                placed
            })
            .collect();
        Layout { bars }
    }

    /// The file tick of a grid tick (from the start of the song).
    fn file_tick(&self, grid: u32, edge: Edge) -> u64 {
        let in_bar = |bar: &PlacedBar| match edge {
            Edge::Start => bar.grid_start <= grid,
            Edge::End => bar.grid_start < grid,
        };
        let index = self.bars.partition_point(in_bar).saturating_sub(1);
        let bar = &self.bars[index];
        bar.content_start + grid.saturating_sub(bar.grid_start) as u64 * FILE_TICKS_PER_GRID_TICK
    }

    fn written_end(&self) -> u64 {
        self.bars
            .last()
            .map_or(0, |bar| bar.written_start + bar.written_length)
    }
}

/// A time signature for a short bar of `length` grid ticks: the bar's own denominator if it
/// divides, else a smaller note value (2/4 in 4/4, 3/8 in 6/8, 5/16 …); `None` if none fits.
fn meter_of_length(length: u32, meter: Meter) -> Option<Meter> {
    [meter.denominator, 4, 8, 16]
        .into_iter()
        .filter(|&denominator| denominator <= 16)
        .find_map(|denominator| {
            let unit = TICKS_PER_QUARTER * 4 / denominator as u32;
            let numerator = length / unit;
            length
                .is_multiple_of(unit)
                .then(|| Meter::new(u8::try_from(numerator).ok()?, denominator).ok())
                .flatten()
        })
}

/// One event to write, owning its text, before it is turned into midly's borrowed form.
#[derive(Debug, Clone)]
enum Event {
    TrackName(String),
    Tempo(u32),
    TimeSignature(Meter),
    KeySignature(i8, bool),
    Marker(String),
    Text(String),
    Program { channel: u8, program: u8 },
    NoteOn { channel: u8, key: u8, velocity: u8 },
    NoteOff { channel: u8, key: u8 },
    EndOfTrack,
}

impl Event {
    /// The order of events at the same tick: names and settings first, a note ends before the
    /// chord name and the next note on the same tick, End of Track last.
    fn rank(&self) -> u8 {
        match self {
            Event::TrackName(_) => 0,
            Event::Tempo(_) | Event::TimeSignature(_) | Event::KeySignature(..) => 1,
            Event::Program { .. } => 2,
            Event::NoteOff { .. } => 3,
            Event::Marker(_) | Event::Text(_) => 4,
            Event::NoteOn { .. } => 5,
            Event::EndOfTrack => 6,
        }
    }

    fn to_midly(&self) -> TrackEventKind<'_> {
        let midi = |channel: u8, message| TrackEventKind::Midi {
            channel: u4::from_int_lossy(channel),
            message,
        };
        match self {
            Event::TrackName(name) => TrackEventKind::Meta(MetaMessage::TrackName(name.as_bytes())),
            Event::Tempo(micros) => {
                TrackEventKind::Meta(MetaMessage::Tempo(u24::from_int_lossy(*micros)))
            }
            Event::TimeSignature(meter) => TrackEventKind::Meta(time_signature(*meter)),
            Event::KeySignature(sharps, minor) => {
                TrackEventKind::Meta(MetaMessage::KeySignature(*sharps, *minor))
            }
            Event::Marker(text) => TrackEventKind::Meta(MetaMessage::Marker(text.as_bytes())),
            Event::Text(text) => TrackEventKind::Meta(MetaMessage::Text(text.as_bytes())),
            Event::Program { channel, program } => midi(
                *channel,
                MidiMessage::ProgramChange {
                    program: u7::from_int_lossy(*program),
                },
            ),
            Event::NoteOn {
                channel,
                key,
                velocity,
            } => midi(
                *channel,
                MidiMessage::NoteOn {
                    key: u7::from_int_lossy(*key),
                    vel: u7::from_int_lossy(*velocity),
                },
            ),
            Event::NoteOff { channel, key } => midi(
                *channel,
                MidiMessage::NoteOff {
                    key: u7::from_int_lossy(*key),
                    vel: u7::new(NOTE_OFF_VELOCITY),
                },
            ),
            Event::EndOfTrack => TrackEventKind::Meta(MetaMessage::EndOfTrack),
        }
    }
}

/// The Time Signature event of `meter`: its denominator as a power of two, a metronome click
/// per felt beat, eight 32nds per quarter.
pub fn time_signature(meter: Meter) -> MetaMessage<'static> {
    MetaMessage::TimeSignature(
        meter.numerator,
        meter.denominator.trailing_zeros() as u8,
        metronome_clocks(meter),
        8,
    )
}

/// MIDI clocks (24 per quarter) per metronome click: one felt beat (a dotted quarter in 6/8).
fn metronome_clocks(meter: Meter) -> u8 {
    u8::try_from(meter.beat_ticks() * 24 / TICKS_PER_QUARTER).unwrap_or(u8::MAX)
}

#[derive(Debug, Clone)]
struct Timed {
    tick: u64,
    event: Event,
}

impl Timed {
    fn new(tick: u64, event: Event) -> Self {
        Timed { tick, event }
    }
}

fn conductor_track(sheet: &LeadSheet, layout: &Layout) -> Vec<Timed> {
    let mut events = vec![
        Timed::new(0, Event::TrackName(sheet.title.clone())),
        Timed::new(0, Event::Tempo(sheet.tempo.micros_per_quarter())),
        Timed::new(
            0,
            Event::KeySignature(sheet.key.signature(), sheet.key.mode == Mode::Minor),
        ),
    ];
    let mut meter: Option<Meter> = None;
    for bar in &layout.bars {
        if meter != Some(bar.written_meter) {
            events.push(Timed::new(
                bar.written_start,
                Event::TimeSignature(bar.written_meter),
            ));
            meter = Some(bar.written_meter);
        }
    }
    let mut first_bar = 0;
    for section in &sheet.sections {
        let tick = layout
            .bars
            .get(first_bar)
            .map_or(layout.written_end(), |bar| bar.content_start);
        events.push(Timed::new(tick, Event::Marker(section.label.clone())));
        first_bar += section.bars.len();
    }
    events
}

/// A chord change on the song's grid and where it stops sounding.
struct ChordSpan {
    start: u32,
    end: u32,
    chord: Option<ChordSymbol>,
}

/// Every chord change with its end: the next change in the same section, or the section's end.
fn chord_spans(sheet: &LeadSheet) -> Vec<ChordSpan> {
    let mut spans = Vec::new();
    let mut section_start = 0u32;
    for section in &sheet.sections {
        let section_end = section_start + section.ticks();
        let mut bar_start = section_start;
        let mut changes = Vec::new();
        for bar in &section.bars {
            changes.extend(bar.chords.iter().map(|c| (bar_start + c.position, c.chord)));
            bar_start += bar.length;
        }
        for (index, &(start, chord)) in changes.iter().enumerate() {
            let end = changes.get(index + 1).map_or(section_end, |next| next.0);
            spans.push(ChordSpan { start, end, chord });
        }
        section_start = section_end;
    }
    spans
}

fn chords_track(sheet: &LeadSheet, layout: &Layout, options: &ExportOptions) -> Vec<Timed> {
    let channel = options.chord_channel;
    let mut events = vec![
        Timed::new(0, Event::TrackName(CHORDS_TRACK_NAME.into())),
        Timed::new(
            0,
            Event::Program {
                channel,
                program: options.program,
            },
        ),
    ];
    let spelling = sheet.key.spelling();
    let mut previous: Option<Vec<u8>> = None;
    for span in chord_spans(sheet) {
        let start = layout.file_tick(span.start, Edge::Start);
        let end = layout.file_tick(span.end, Edge::End);
        let Some(chord) = span.chord else {
            events.push(Timed::new(start, Event::Text(NO_CHORD_TEXT.into())));
            continue;
        };
        events.push(Timed::new(start, Event::Text(chord.name(spelling))));
        let voicing = voice_chord(chord, previous.as_deref());
        for &key in &voicing {
            events.push(Timed::new(
                start,
                Event::NoteOn {
                    channel,
                    key,
                    velocity: options.chord_velocity,
                },
            ));
            events.push(Timed::new(end, Event::NoteOff { channel, key }));
        }
        previous = Some(voicing);
    }
    events
}

fn melody_track(sheet: &LeadSheet, layout: &Layout, options: &ExportOptions) -> Vec<Timed> {
    let channel = options.melody_channel;
    let mut events = vec![
        Timed::new(0, Event::TrackName(MELODY_TRACK_NAME.into())),
        Timed::new(
            0,
            Event::Program {
                channel,
                program: options.program,
            },
        ),
    ];
    for placed in sheet.melody() {
        let note = placed.item;
        let onset = placed.absolute(note.onset);
        let key = note.pitch.0;
        events.push(Timed::new(
            layout.file_tick(onset, Edge::Start),
            Event::NoteOn {
                channel,
                key,
                velocity: note.velocity,
            },
        ));
        events.push(Timed::new(
            layout.file_tick(onset + note.duration, Edge::End),
            Event::NoteOff { channel, key },
        ));
    }
    events
}

/// Sorts each track's events in time (stable, by rank within a tick) and encodes the file.
fn encode(tracks: &[Vec<Timed>]) -> Result<Vec<u8>, MidiError> {
    let mut encoded: Vec<Vec<TrackEvent>> = Vec::with_capacity(tracks.len());
    let mut sorted: Vec<Vec<&Timed>> = tracks.iter().map(|track| track.iter().collect()).collect();
    for track in &mut sorted {
        track.sort_by_key(|timed| (timed.tick, timed.event.rank()));
    }
    for track in &sorted {
        let mut last = 0u64;
        let mut events = Vec::with_capacity(track.len());
        for timed in track {
            let delta = u32::try_from(timed.tick - last)
                .ok()
                .and_then(u28::try_from)
                .ok_or_else(|| {
                    MidiError::Unsupported(format!(
                        "a gap of {} ticks is too long for a MIDI file",
                        timed.tick - last
                    ))
                })?;
            events.push(TrackEvent {
                delta,
                kind: timed.event.to_midly(),
            });
            last = timed.tick;
        }
        encoded.push(events);
    }
    let header = Header::new(
        Format::Parallel,
        Timing::Metrical(u15::new(FILE_TICKS_PER_QUARTER)),
    );
    let mut bytes = Vec::new();
    midly::write_std(&header, encoded.iter(), &mut bytes)
        .map_err(|e| MidiError::Malformed(format!("could not encode the MIDI file: {e}")))?;
    Ok(bytes)
}
