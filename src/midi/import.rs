//! Importing any standard MIDI file (format 0 or 1, metrical timing) into a [`LeadSheet`].
//!
//! The steps: read the file ([`read_midi`]); put every note on the grid (12 ticks per quarter,
//! rounded to the nearest); split one melody line from the harmony ([`melody`]); lay out bars
//! from the meter map (a file without a meter gets its bar lines on the music's downbeats,
//! [`downbeats`]), drop empty leading bars and recognise a pickup ([`bars`]); take chords
//! from chord-symbol text events when the file has any, else recognise them from the harmony
//! ([`crate::midi::chords`]); sections from markers ([`sections`]); the key from the first key
//! signature, else estimated from the notes; the tempo from the first tempo event (120 BPM
//! without one). The [`Timeline`] maps the sheet's grid back to the file's seconds.
//!
//! The title is the first track's name, else the name given by the caller (the file stem).

mod bars;
mod downbeats;
mod folder;
pub mod form;
pub mod key;
pub mod melody;
pub mod sections;
mod timeline;

use std::path::Path;

pub(crate) use folder::midi_files_under;
pub use folder::{
    FileColumn, FileOutcome, FileRow, FolderImport, FolderOptions, SongSummary, files_csv,
    import_folder, import_folder_with,
};
pub use timeline::{TickScale, Timeline};

use self::key::{KeyEvidence, KeyMaterial};
use self::melody::{MelodyTrack, Part, Split, split_melody};
use self::sections::{SectionStart, TextMeaning};
use super::MidiError;
use super::chords::recognize_chords;
use super::grid::{BarSpan, GridNote};
use super::read::{RawMidi, damage, read_midi};
use crate::music::{
    Bar, ChordChange, ChordSymbol, Key, LeadSheet, Meter, Note, Pitch, Section, Tempo,
};

/// Files larger than this are refused before reading (no real song comes near it).
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// A lead sheet read from a file, with the map back to the file's time.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    pub sheet: LeadSheet,
    pub timeline: Timeline,
    /// What the importer decided on the way, and what it could not read.
    pub report: ImportReport,
}

/// How a song was read: the melody's source, the key's evidence, the sections' origin and any
/// damage found in the file.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportReport {
    /// The track (and channel) the melody was taken from.
    pub melody_track: Option<MelodyTrack>,
    pub key: KeyEvidence,
    /// Whether the sections come from the file's markers or were inferred from the music.
    pub sections: SectionSource,
    /// The key of each section of the sheet, in order: the song's key, or the key a section
    /// has moved to ([`key::section_keys`]).
    pub section_keys: Vec<Key>,
    /// Damage the file was read despite ("track 2 ends early at byte 300; 13 bars read").
    pub warnings: Vec<String>,
}

/// Imports a MIDI file given as bytes. `title` names the song when its first track has no name.
///
/// A damaged file that can still be read (a track cut short, say) imports with what it holds
/// and a warning in [`ImportReport::warnings`] saying what was lost.
pub fn import_bytes(bytes: &[u8], title: &str) -> Result<Imported, MidiError> {
    let raw = read_midi(bytes)?;
    let mut imported = import_raw(&raw, title)?;
    let found = damage(bytes);
    if !found.is_empty() {
        imported.report.warnings.push(format!(
            "{}; {} bars read",
            found.join("; "),
            imported.sheet.bar_count()
        ));
    }
    Ok(imported)
}

/// Imports a MIDI file; every error names the file.
pub fn import_file(path: &Path) -> Result<Imported, MidiError> {
    let bytes = read_bounded(path)?;
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    import_bytes(&bytes, &stem).map_err(|reason| MidiError::File {
        path: path.to_path_buf(),
        reason: Box::new(reason),
    })
}

/// Reads a file's bytes, refusing files over [`MAX_FILE_BYTES`].
fn read_bounded(path: &Path) -> Result<Vec<u8>, MidiError> {
    let io_error = |reason| MidiError::Io {
        path: path.to_path_buf(),
        reason,
    };
    let size = std::fs::metadata(path).map_err(io_error)?.len();
    if size > MAX_FILE_BYTES {
        return Err(MidiError::File {
            path: path.to_path_buf(),
            reason: Box::new(MidiError::Unsupported(format!(
                "the file is {} MiB; MIDI songs above {} MiB are not imported",
                size / (1024 * 1024),
                MAX_FILE_BYTES / (1024 * 1024)
            ))),
        });
    }
    std::fs::read(path).map_err(io_error)
}

/// Where a song's sections came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SectionSource {
    /// Marker (or section-name text) events in the file.
    Marked,
    /// The file has none: the sections were inferred from the music ([`form`]).
    Inferred,
    /// The file has none and is too long to infer them ([`form::MAX_UNITS`]): one `Other`.
    None,
}

/// Section starts inferred from the music, one per phrase (see [`form`]); one `Other` section
/// when none can be inferred.
fn inferred_plan(bars: &[Bar]) -> (Vec<SectionStart>, SectionSource) {
    let phrases = form::infer_phrases(bars);
    if phrases.is_empty() {
        return (sections::section_plan(Vec::new()), SectionSource::None);
    }
    let plan = phrases
        .into_iter()
        .map(|p| SectionStart {
            bar: p.start,
            kind: p.kind,
            label: format!("{} {}", p.kind.name(), p.class),
        })
        .collect();
    (plan, SectionSource::Inferred)
}

/// A file's music on the lead sheet's grid, before it becomes a lead sheet: the melody line and
/// the harmony (sheet ticks), the bars, the chords of every bar and which part the melody came
/// from. [`import_bytes`] builds the sheet from it; tests and measurements use it directly.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub melody: Vec<GridNote>,
    pub harmony: Vec<GridNote>,
    pub bars: Vec<BarSpan>,
    /// Whether the first bar is a pickup.
    pub pickup: bool,
    /// The file grid tick where the sheet starts.
    pub shift: u64,
    /// Grid ticks of rest put before the file's start so that its first downbeat falls on a bar
    /// line (files without a meter, see [`opening_lead`]); the file grid counts them.
    pub lead: u64,
    /// The chords of every bar (positions from the bar start).
    pub chords: Vec<Vec<ChordChange>>,
    pub melody_track: Option<MelodyTrack>,
    /// The file-to-grid scale the notes were put on (with the beat-grid offset, if any).
    pub scale: TickScale,
}

/// Puts a file's notes on the grid, splits melody from harmony, lays out the bars and finds the
/// chords (see the module steps).
pub fn prepare(raw: &RawMidi) -> Result<Prepared, MidiError> {
    let OnGrid {
        scale,
        bar_scale,
        lead,
        song_end,
        split: Split {
            melody,
            harmony,
            chosen,
        },
    } = music_on_grid(raw)?;
    let meters = implied_meters(raw, bar_scale, &melody, &harmony);
    let file_bars = bars::lay_out_bars(&meters, song_end)?;
    let frame = bars::frame(&file_bars, &melody, &harmony);
    let shift = frame.shift;
    let to_sheet = |notes: Vec<GridNote>| -> Vec<GridNote> {
        notes
            .into_iter()
            .filter(|n| n.start as u64 >= shift)
            .map(|n| GridNote {
                start: n.start - shift as u32,
                end: n.end - shift as u32,
                ..n
            })
            .collect()
    };
    let melody = to_sheet(melody);
    let harmony = to_sheet(harmony);
    let sheet_tick = |tick: u64| scale.grid(tick) as i64 - shift as i64;
    let chords = bar_chords(raw, &frame, &melody, &harmony, &sheet_tick);
    Ok(Prepared {
        melody,
        harmony,
        bars: frame.bars,
        pickup: frame.pickup,
        shift,
        lead,
        chords,
        melody_track: chosen,
        scale,
    })
}

/// A file's notes on the grid, melody split from harmony, before any bars.
struct OnGrid {
    /// File ticks → grid ticks, with the beat-grid offset and the lead.
    scale: TickScale,
    /// File ticks → grid ticks for meter changes: the lead only.
    bar_scale: TickScale,
    /// Grid ticks of rest before the file's start ([`opening_lead`]).
    lead: u64,
    /// The grid tick where the last note ends.
    song_end: u64,
    split: Split,
}

/// Puts the notes on the beat grid ([`beat_aligned_scale`]), splits the melody from the harmony
/// and, for a file that opens without a meter, moves everything by the lead that puts its first
/// downbeat on a bar line.
fn music_on_grid(raw: &RawMidi) -> Result<OnGrid, MidiError> {
    let beat_scale = beat_aligned_scale(raw);
    let on_grid = |scale: TickScale| -> Result<(u64, Split), MidiError> {
        let parts = grid_parts(raw, scale);
        let Some(end) = parts.iter().flat_map(|p| &p.notes).map(|n| n.end).max() else {
            return Err(MidiError::Empty(
                "the file has no notes (drum notes on channel 10 are left out)".into(),
            ));
        };
        Ok((u64::from(end), split_melody(parts)))
    };
    let (mut song_end, mut split) = on_grid(beat_scale)?;
    let lead = opening_lead(raw, &split.melody, &split.harmony);
    let lead_in_file = beat_scale.file_ticks(lead);
    let scale = beat_scale.with_offset(beat_scale.offset() + lead_in_file);
    if lead > 0 {
        (song_end, split) = on_grid(scale)?;
    }
    Ok(OnGrid {
        scale,
        bar_scale: TickScale::new(raw.ticks_per_quarter).with_offset(lead_in_file),
        lead,
        song_end,
        split,
    })
}

/// Songs with fewer notes keep their file's grid as it is.
const MIN_NOTES_TO_ALIGN: usize = 32;

/// How much better the best offset must place the onsets than the file's own grid.
const ALIGN_GAIN: f64 = 1.5;

/// The file's grid, moved when its notes sit a constant distance off it. Files written on a grid
/// (sequencers, Songsketch's own) keep it; a file whose music was laid onto a tempo map without
/// starting on a beat (POP909's MIDI files are such, their melody a 48th or a 24th off every
/// beat) gets the offset, under a beat, that puts the most onsets on beats (then eighths, then
/// sixteenths). Only a file whose onsets mostly miss even the sixteenth grid is moved, so a
/// syncopated song on its grid is never shifted by an eighth.
fn beat_aligned_scale(raw: &RawMidi) -> TickScale {
    let scale = TickScale::new(raw.ticks_per_quarter);
    let onsets: Vec<u64> = raw
        .tracks
        .iter()
        .flat_map(|t| &t.notes)
        .map(|n| n.start)
        .collect();
    if onsets.len() < MIN_NOTES_TO_ALIGN {
        return scale;
    }
    let placement = |scale: TickScale| -> (f64, usize) {
        let mut score = 0.0;
        let mut on_sixteenths = 0;
        for &tick in &onsets {
            let position = scale.grid(tick) % u64::from(crate::music::TICKS_PER_QUARTER);
            score += match position {
                0 => 1.0,
                6 => 0.5,
                3 | 9 => 0.25,
                _ => 0.0,
            };
            on_sixteenths += position.is_multiple_of(3) as usize;
        }
        (score, on_sixteenths)
    };
    let (own_score, own_sixteenths) = placement(scale);
    if own_sixteenths * 2 >= onsets.len() {
        return scale;
    }
    let per_quarter = scale.ticks_per_quarter();
    let grid_ticks = u64::from(crate::music::TICKS_PER_QUARTER);
    let best = (1..grid_ticks)
        .map(|k| scale.with_offset((k * per_quarter + grid_ticks / 2) / grid_ticks))
        .map(|candidate| (placement(candidate).0, candidate))
        .max_by(|a, b| a.0.total_cmp(&b.0));
    match best {
        Some((score, candidate)) if score > ALIGN_GAIN * own_score => candidate,
        _ => scale,
    }
}

/// Everything after parsing: the musical judgement.
fn import_raw(raw: &RawMidi, fallback_title: &str) -> Result<Imported, MidiError> {
    let tempo = first_tempo(raw)?;
    let prepared = prepare(raw)?;
    let scale = prepared.scale;
    let shift = prepared.shift;
    let sheet_tick = |tick: u64| scale.grid(tick) as i64 - shift as i64;
    let material = KeyMaterial {
        melody: &prepared.melody,
        harmony: &prepared.harmony,
        bars: &prepared.bars,
        chords: &prepared.chords,
    };
    let signature = raw
        .key_signatures
        .first()
        .map(|s| Key::from_signature(s.value.0, s.value.1));
    let key = key::find_key(&material, signature);
    let mut bars = fill_bars(&prepared.bars, prepared.chords.clone(), &prepared.melody);
    let marked = section_starts(raw, &prepared.bars, &sheet_tick);
    let (plan, section_source) = if marked.is_empty() {
        inferred_plan(&bars)
    } else {
        (sections::section_plan(marked), SectionSource::Marked)
    };
    let starts: Vec<usize> = plan
        .iter()
        .map(|s| s.bar)
        .filter(|&bar| bar < bars.len())
        .collect();
    let section_keys = key::section_keys(&material, &starts, key.key);
    let title = raw
        .tracks
        .first()
        .map(|t| t.name.as_str())
        .filter(|name| !name.is_empty())
        .unwrap_or(fallback_title)
        .to_string();
    let sheet = LeadSheet {
        title,
        key: key.key,
        tempo,
        sections: cut_sections(&mut bars, plan),
    };
    sheet.validate()?;
    let timeline = Timeline::new(scale, &tempo_map(raw), shift);
    let report = ImportReport {
        melody_track: prepared.melody_track,
        key,
        sections: section_source,
        section_keys,
        warnings: Vec::new(),
    };
    Ok(Imported {
        sheet,
        timeline,
        report,
    })
}

/// The grid ticks of rest put before a file that opens without a meter (a one-beat `1/4`
/// signature at its start), so that the music's first downbeat
/// ([`downbeats::downbeat_phase`]) falls on a bar line: bars are then laid out from the file's
/// start as usual, the first of them beginning with that rest (a pickup, when only melody sounds
/// before the downbeat). 0 for every other file. `melody` and `harmony` are on the beat grid.
fn opening_lead(raw: &RawMidi, melody: &[GridNote], harmony: &[GridNote]) -> u64 {
    let Some(opening) = raw.meters.iter().take_while(|m| m.tick == 0).last() else {
        return 0;
    };
    if opening.value.numerator != 1 {
        return 0;
    }
    let bar_scale = TickScale::new(raw.ticks_per_quarter);
    let until = raw
        .meters
        .iter()
        .find(|m| m.tick > 0)
        .map_or(u64::MAX, |m| bar_scale.grid(m.tick));
    let meter = bars::implied_meter(opening.value, &onsets_in(melody, harmony, 0, until));
    let units = u32::from(meter.numerator);
    let unit = meter.unit_ticks();
    let phase = downbeats::downbeat_phase(units, unit, melody, harmony, 0, until);
    if phase == 0 {
        0
    } else {
        u64::from((units - phase) * unit)
    }
}

/// Onsets starting in `from..until`, from `from`, each weighing its duration.
fn onsets_in(melody: &[GridNote], harmony: &[GridNote], from: u64, until: u64) -> Vec<(u64, f64)> {
    melody
        .iter()
        .chain(harmony)
        .filter(|n| (from..until).contains(&(n.start as u64)))
        .map(|n| (n.start as u64 - from, (n.end - n.start) as f64))
        .collect()
}

/// The meter map on the grid; meter changes stand on `bar_scale` (the file's own bar lines,
/// moved by any lead put before the file, but not by the beat-grid offset: that moves the notes
/// within their bars, never the bars). Each one-beat signature (`1/4`) stands for no meter: it
/// is replaced by the meter its span's note onsets imply ([`bars::implied_meter`]). One at the
/// file's start has its bar lines on the music's downbeats already ([`opening_lead`]); a later
/// one gets them there ([`downbeats::downbeat_phase`]) by a second entry at the first downbeat,
/// which ends the bar before it early.
fn implied_meters(
    raw: &RawMidi,
    bar_scale: TickScale,
    melody: &[GridNote],
    harmony: &[GridNote],
) -> Vec<(u64, Meter)> {
    // The file's opening meter starts the first bar, lead or not.
    let ticks: Vec<u64> = raw
        .meters
        .iter()
        .map(|m| {
            if m.tick == 0 {
                0
            } else {
                bar_scale.grid(m.tick)
            }
        })
        .collect();
    let mut meters = Vec::with_capacity(raw.meters.len());
    for (index, (meter, &from)) in raw.meters.iter().zip(&ticks).enumerate() {
        if meter.value.numerator != 1 {
            meters.push((from, meter.value));
            continue;
        }
        let until = ticks.get(index + 1).copied().unwrap_or(u64::MAX);
        let implied = bars::implied_meter(meter.value, &onsets_in(melody, harmony, from, until));
        meters.push((from, implied));
        if meter.tick == 0 {
            continue;
        }
        let unit = implied.unit_ticks();
        let units = u32::from(implied.numerator);
        let phase = downbeats::downbeat_phase(units, unit, melody, harmony, from, until);
        let downbeat = from + u64::from(phase * unit);
        if phase > 0 && downbeat < until {
            meters.push((downbeat, implied));
        }
    }
    meters
}

/// The first tempo event's tempo (120 BPM without one); an absurd one is an error.
fn first_tempo(raw: &RawMidi) -> Result<Tempo, MidiError> {
    match raw.tempos.first() {
        None => Ok(Tempo::default()),
        Some(first) => Tempo::from_micros_per_quarter(first.value)
            .map_err(|e| MidiError::Unsupported(format!("the first tempo is unusable: {e}"))),
    }
}

/// Every tempo change for the timeline; later tempos outside 10..400 BPM (a fermata written
/// as a huge pause, say) are held to that range rather than refused.
fn tempo_map(raw: &RawMidi) -> Vec<(u64, Tempo)> {
    raw.tempos
        .iter()
        .map(|t| {
            let bpm = 60_000_000.0 / t.value.max(1) as f64;
            let held = bpm.clamp(Tempo::MIN_BPM, Tempo::MAX_BPM);
            (t.tick, Tempo::new(held).unwrap_or_default())
        })
        .collect()
}

/// Each track's notes per channel, on the grid (at least one tick long).
fn grid_parts(raw: &RawMidi, scale: TickScale) -> Vec<Part> {
    let mut parts = Vec::new();
    for (track_index, track) in raw.tracks.iter().enumerate() {
        let mut channels: Vec<u8> = track.notes.iter().map(|n| n.channel).collect();
        channels.sort_unstable();
        channels.dedup();
        for channel in channels {
            let mut notes: Vec<GridNote> = track
                .notes
                .iter()
                .filter(|n| n.channel == channel)
                .map(|n| {
                    let start = clamp_u32(scale.grid(n.start));
                    let end = clamp_u32(scale.grid(n.end)).max(start.saturating_add(1));
                    GridNote {
                        start,
                        end,
                        pitch: n.pitch,
                        velocity: n.velocity,
                    }
                })
                .collect();
            notes.sort_unstable_by_key(|n| (n.start, n.pitch, n.end, n.velocity));
            parts.push(Part {
                track: track_index,
                channel,
                track_name: track.name.clone(),
                notes,
            });
        }
    }
    parts
}

/// Grid ticks beyond `u32` are held at its top; the bar layout then refuses such a song.
fn clamp_u32(value: u64) -> u32 {
    value.min(u32::MAX as u64 - 1) as u32
}

/// The chords of every bar: from chord texts when the file has any, else recognised. A pickup
/// carries no recognised chord (it has no harmony by definition).
fn bar_chords(
    raw: &RawMidi,
    frame: &bars::Frame,
    melody: &[GridNote],
    harmony: &[GridNote],
    sheet_tick: &impl Fn(u64) -> i64,
) -> Vec<Vec<ChordChange>> {
    let written: Vec<(i64, Option<ChordSymbol>)> = raw
        .texts
        .iter()
        .filter_map(|t| match sections::read_text(&t.value) {
            TextMeaning::Chord(chord) => Some((sheet_tick(t.tick), chord)),
            _ => None,
        })
        .collect();
    let starts: Vec<u32> = frame.bars.iter().map(|b| b.start).collect();
    if !written.is_empty() {
        let lengths: Vec<u32> = frame.bars.iter().map(|b| b.length).collect();
        return sections::place_chords(&starts, &lengths, &written);
    }
    let mut recognized = recognize_chords(harmony, melody, &frame.bars);
    recognized.resize(frame.bars.len(), Vec::new());
    if frame.pickup {
        recognized[0].clear();
    }
    for (changes, bar) in recognized.iter_mut().zip(&frame.bars) {
        tidy_changes(changes, bar.length);
    }
    recognized
}

/// Keeps chord changes inside the bar, in order, one per position.
fn tidy_changes(changes: &mut Vec<ChordChange>, length: u32) {
    changes.retain(|c| c.position < length);
    changes.sort_by_key(|c| c.position);
    changes.dedup_by_key(|c| c.position);
}

/// Bars with their chords and the melody notes that start in them.
fn fill_bars(spans: &[BarSpan], chords: Vec<Vec<ChordChange>>, melody: &[GridNote]) -> Vec<Bar> {
    let mut bars: Vec<Bar> = spans
        .iter()
        .zip(chords)
        .map(|(span, chords)| Bar {
            chords,
            ..Bar::pickup(span.meter, span.length)
        })
        .collect();
    let starts: Vec<u32> = spans.iter().map(|b| b.start).collect();
    for note in melody {
        let index = starts.partition_point(|&s| s <= note.start);
        let Some(bar) = index.checked_sub(1).and_then(|i| bars.get_mut(i)) else {
            continue;
        };
        bar.melody.push(Note {
            onset: note.start - starts[index - 1],
            duration: note.end - note.start,
            pitch: Pitch(note.pitch),
            velocity: note.velocity,
        });
    }
    bars
}

/// Section starts from Marker events and from Text events that name a section, in event order
/// (none when the file has no such events).
fn section_starts(
    raw: &RawMidi,
    spans: &[BarSpan],
    sheet_tick: &impl Fn(u64) -> i64,
) -> Vec<SectionStart> {
    let starts: Vec<u32> = spans.iter().map(|b| b.start).collect();
    if starts.is_empty() {
        return Vec::new();
    }
    let mut events: Vec<(u64, SectionStart)> = Vec::new();
    for marker in &raw.markers {
        let (kind, label) = sections::marker_section(&marker.value);
        let bar = sections::nearest_bar(&starts, sheet_tick(marker.tick));
        events.push((marker.tick, SectionStart { bar, kind, label }));
    }
    for text in &raw.texts {
        if let TextMeaning::Section(kind) = sections::read_text(&text.value) {
            let bar = sections::nearest_bar(&starts, sheet_tick(text.tick));
            let label = text.value.trim().to_string();
            events.push((text.tick, SectionStart { bar, kind, label }));
        }
    }
    events.sort_by_key(|(tick, _)| *tick);
    events.into_iter().map(|(_, s)| s).collect()
}

/// Splits bars into the planned sections (`plan` starts at bar 0, one start per bar, sorted).
fn cut_sections(bars: &mut Vec<Bar>, plan: Vec<SectionStart>) -> Vec<Section> {
    let mut sections = Vec::with_capacity(plan.len());
    let total = bars.len();
    let mut drain = bars.drain(..);
    for (index, start) in plan.iter().enumerate() {
        let end = plan
            .get(index + 1)
            .map_or(total, |next| next.bar.min(total));
        let count = end.saturating_sub(start.bar);
        let section_bars: Vec<Bar> = drain.by_ref().take(count).collect();
        if section_bars.is_empty() {
            continue;
        }
        sections.push(Section {
            kind: start.kind,
            label: start.label.clone(),
            bars: section_bars,
        });
    }
    sections
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::midi::read::{RawNote, RawTrack, Timed};

    /// A file of 64 quarter notes at 480 per quarter, `late` ticks after each beat, and
    /// `extra` more onsets.
    fn raw(starts: impl Iterator<Item = u64>) -> RawMidi {
        let notes = starts
            .map(|start| RawNote {
                channel: 0,
                pitch: 60,
                velocity: 90,
                start,
                end: start + 200,
            })
            .collect();
        RawMidi {
            ticks_per_quarter: 480,
            tracks: vec![RawTrack {
                notes,
                ..RawTrack::default()
            }],
            ..RawMidi::default()
        }
    }

    #[test]
    fn notes_a_constant_distance_off_the_beat_are_moved_onto_it() {
        let late = raw((0..64).map(|beat| beat * 480 + 40));
        let scale = beat_aligned_scale(&late);
        assert_eq!(scale.grid(40) % 12, 0, "a 48th late lands on the beat");
        assert_eq!(scale.grid(480 + 40), scale.grid(40) + 12);
        let early = raw((1..64).map(|beat| beat * 480 - 80));
        assert_eq!(beat_aligned_scale(&early).grid(400) % 12, 0);
    }

    #[test]
    fn a_file_on_its_grid_keeps_it_even_when_every_note_is_off_the_beat() {
        let syncopated = raw((0..64).map(|beat| beat * 480 + 240));
        assert_eq!(beat_aligned_scale(&syncopated), TickScale::new(480));
        let few = raw((0..8).map(|beat| beat * 480 + 40));
        assert_eq!(
            beat_aligned_scale(&few),
            TickScale::new(480),
            "too few notes to tell"
        );
    }
    /// Eight bars whose downbeats fall one beat after the file's start: the melody starts on
    /// the file's first beat, a bass note and a chord (C, then G) begin every four beats from
    /// the second. `meter` is the file's only time signature.
    fn song_a_beat_in(meter: Meter) -> RawMidi {
        let quarter = 480;
        let note = |channel, pitch, beat: u64, beats: u64| RawNote {
            channel,
            pitch,
            velocity: 90,
            start: beat * quarter,
            end: (beat + beats) * quarter - 10,
        };
        let melody = (0..33)
            .map(|beat| note(0, 72 + (beat % 5) as u8, beat, 1))
            .collect();
        let harmony = (0..8u64)
            .flat_map(|bar| {
                let (bass, third) = if bar % 2 == 0 { (48, 64) } else { (43, 62) };
                let beat = 1 + 4 * bar;
                [
                    note(1, bass, beat, 4),
                    note(1, third, beat, 2),
                    note(1, 67, beat, 2),
                ]
                .into_iter()
                .chain([note(1, third, beat + 2, 2), note(1, 67, beat + 2, 2)])
            })
            .collect();
        let track = |name: &str, notes| RawTrack {
            name: name.into(),
            notes,
            ..RawTrack::default()
        };
        RawMidi {
            ticks_per_quarter: quarter as u16,
            tracks: vec![track("melody", melody), track("piano", harmony)],
            meters: vec![Timed {
                tick: 0,
                value: meter,
            }],
            ..RawMidi::default()
        }
    }

    #[test]
    fn a_file_without_a_meter_gets_its_bar_lines_on_the_musics_downbeats() {
        let raw = song_a_beat_in("1/4".parse().unwrap());
        let prepared = prepare(&raw).unwrap();
        assert_eq!(prepared.lead, 36, "three beats of rest before the file");
        assert!(prepared.pickup, "the melody's first beat is a pickup");
        assert_eq!(prepared.bars[0].length, 12);
        assert!(
            prepared.bars[1..]
                .iter()
                .all(|b| b.meter == Meter::FOUR_FOUR)
        );
        // Every chord change falls on a bar line or on the third beat.
        for changes in &prepared.chords[1..] {
            assert!(changes.iter().all(|c| c.position % 24 == 0), "{changes:?}");
        }
        let imported = import_raw(&raw, "a beat in").unwrap();
        let first = &imported.sheet.sections[0].bars[0];
        assert!(first.is_pickup());
        assert_eq!(first.melody.len(), 1);
        // The timeline still puts the file's first note at its second 0.
        assert!(imported.timeline.seconds_at(0.0).abs() < 1e-9);
    }

    #[test]
    fn a_written_meter_keeps_the_files_bar_lines() {
        let raw = song_a_beat_in(Meter::FOUR_FOUR);
        let prepared = prepare(&raw).unwrap();
        assert_eq!(prepared.lead, 0);
        assert!(!prepared.pickup);
        assert_eq!(prepared.bars[0].length, 48);
        // The G chord of the music's second bar begins on the file's second beat.
        assert!(
            prepared.chords[1].iter().any(|c| c.position == 12),
            "{:?}",
            prepared.chords[1]
        );
    }
}
