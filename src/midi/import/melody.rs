//! Melody versus harmony: which notes of a file are the one melody line, and which accompany it.
//!
//! The rules, in order:
//! 1. A part (one track's notes on one channel) whose track name says `melody`, `vocal`, `lead`,
//!    `voice` or `soprano` is the melody (the busiest such part when several do).
//! 2. Otherwise every part with at least a tenth of the notes of the busiest part is a candidate,
//!    scored by the mean pitch of its top line: the part itself when it is monophonic (at most
//!    10% of its notes start while another is sounding), its skyline when it is polyphonic.
//!    A monophonic part gets an octave's bonus, so a solo line beats the top of a chord track
//!    unless that top sits more than an octave higher. The best candidate is the melody; when it
//!    is polyphonic, only its skyline is melody and the rest of it joins the harmony.
//! 3. The melody is made one line: of notes starting together the highest stays (the others join
//!    the harmony), and each note is cut where the next one starts, or held to it when it was
//!    let go at most a 48th before (a player's early release, not a rest: POP909's performed
//!    melodies release most notes so, which made 54% of their notes shorter than an eighth
//!    against 37% in the bar-aligned transcription of the same 80 songs; 38.5% now).
//!
//! Every other part is harmony. Drums never reach this module (the reader leaves them out).

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::midi::grid::GridNote;

/// Track names that mark the melody (compared in lower case, anywhere in the name).
const MELODY_NAMES: [&str; 5] = ["melody", "vocal", "lead", "voice", "soprano"];

/// A note still sounding less than this many grid ticks (a 16th) after another note starts is
/// legato, not polyphony, and does not hide that note in a skyline.
const LEGATO_TICKS: u32 = 3;

/// A melody note let go at most this many grid ticks (a 48th) before the next starts is held to
/// it.
const EARLY_RELEASE_TICKS: u32 = 1;

/// At most this share of a part's notes may start while another sounds for it to be monophonic.
const MONOPHONIC_OVERLAP: f64 = 0.1;

/// How much higher (semitones) a monophonic part counts when melody candidates are compared.
const MONOPHONIC_BONUS: f64 = 12.0;

/// How much higher (semitones) a part counts for sounding through the whole song rather than
/// none of it (see [`coverage`]).
const COVERAGE_BONUS: f64 = 12.0;

/// How much higher a monophonic part counts for having as many notes as the busiest
/// monophonic part (a sung line is busier than a countermelody).
const BUSY_BONUS: f64 = 18.0;
/// How much higher a part counts that never sounds two notes at once (a voice cannot).
const STRICT_BONUS: f64 = 12.0;
/// The highest mean pitch of a sung line (E5); above it each semitone costs
/// [`ABOVE_VOICE_COST`].
const HIGHEST_SUNG_MEAN: f64 = 76.0;
const ABOVE_VOICE_COST: f64 = 2.0;

/// One track's notes on one channel, sorted by start then pitch.
#[derive(Debug, Clone, Default)]
pub struct Part {
    /// The track's index in the file (0 = the first track).
    pub track: usize,
    /// The MIDI channel, 0-based (9 = General MIDI drums, never seen here).
    pub channel: u8,
    pub track_name: String,
    pub notes: Vec<GridNote>,
}

/// Where the melody came from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MelodyTrack {
    /// The track's index in the file (0 = the first track).
    pub track: usize,
    /// The MIDI channel, 0-based.
    pub channel: u8,
    /// The track's name ("" without one).
    pub name: String,
    /// Whether the track's name marked it as the melody (rule 1), rather than the music (rule 2).
    pub by_name: bool,
}

/// The melody (one line, sorted) and the harmony (sorted by start, then pitch).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Split {
    pub melody: Vec<GridNote>,
    pub harmony: Vec<GridNote>,
    /// The part the melody was taken from.
    pub chosen: Option<MelodyTrack>,
}

/// Splits the parts of a file into one melody line and the harmony under it.
pub fn split_melody(parts: Vec<Part>) -> Split {
    let named = named_melody(&parts);
    let chosen = named.or_else(|| highest_line(&parts));
    let source = chosen.map(|(index, _)| MelodyTrack {
        track: parts[index].track,
        channel: parts[index].channel,
        name: parts[index].track_name.clone(),
        by_name: named.is_some(),
    });
    let mut melody = Vec::new();
    let mut harmony = Vec::new();
    for (index, part) in parts.into_iter().enumerate() {
        match chosen {
            Some((chosen_index, polyphonic)) if chosen_index == index => {
                if polyphonic {
                    let (top, rest) = skyline(&part.notes);
                    melody = top;
                    harmony.extend(rest);
                } else {
                    melody = part.notes;
                }
            }
            _ => harmony.extend(part.notes),
        }
    }
    let (line, doubled) = one_line(melody);
    harmony.extend(doubled);
    harmony.sort_unstable_by_key(|n| (n.start, n.pitch, n.end, n.velocity));
    Split {
        melody: line,
        harmony,
        chosen: source,
    }
}

/// The busiest part whose track is named as a melody, taken whole (not split by skyline).
fn named_melody(parts: &[Part]) -> Option<(usize, bool)> {
    parts
        .iter()
        .enumerate()
        .filter(|(_, part)| !part.notes.is_empty() && is_melody_name(&part.track_name))
        .max_by_key(|(index, part)| (part.notes.len(), Reverse(*index)))
        .map(|(index, _)| (index, false))
}

fn is_melody_name(name: &str) -> bool {
    let lower = name.to_lowercase();
    MELODY_NAMES.iter().any(|word| lower.contains(word))
}

/// The candidate part with the highest top line: `(index, is_polyphonic)`.
fn highest_line(parts: &[Part]) -> Option<(usize, bool)> {
    let busiest = parts.iter().map(|p| p.notes.len()).max()?;
    let song_end = parts
        .iter()
        .flat_map(|p| p.notes.iter().map(|n| n.end))
        .max()
        .unwrap_or(0);
    let busiest_line = parts
        .iter()
        .filter(|p| overlap_share(&p.notes) <= MONOPHONIC_OVERLAP)
        .map(|p| p.notes.len())
        .max()
        .unwrap_or(1)
        .max(1);
    let mut best: Option<(f64, usize, bool)> = None;
    for (index, part) in parts.iter().enumerate() {
        if part.notes.is_empty() || part.notes.len() * 10 < busiest {
            continue;
        }
        let overlap = overlap_share(&part.notes);
        let polyphonic = overlap > MONOPHONIC_OVERLAP;
        let coverage = COVERAGE_BONUS * coverage(&part.notes, song_end);
        let score = if polyphonic {
            mean_pitch(&skyline(&part.notes).0) + coverage
        } else {
            let pitch = mean_pitch(&part.notes);
            let strictly = if overlap == 0.0 { STRICT_BONUS } else { 0.0 };
            pitch
                + MONOPHONIC_BONUS
                + coverage
                + strictly
                + BUSY_BONUS * part.notes.len() as f64 / busiest_line as f64
                - ABOVE_VOICE_COST * (pitch - HIGHEST_SUNG_MEAN).max(0.0)
        };
        if best.is_none_or(|(b, _, _)| score > b) {
            best = Some((score, index, polyphonic));
        }
    }
    best.map(|(_, index, polyphonic)| (index, polyphonic))
}

/// The share of the song's whole-note spans (48 grid ticks, up to `song_end`) in which the
/// part starts a note: a sung line runs through the song, a secondary line comes and goes.
fn coverage(notes: &[GridNote], song_end: u32) -> f64 {
    const SPAN: u32 = 48;
    let spans = song_end.div_ceil(SPAN).max(1) as usize;
    let mut touched = vec![false; spans];
    for note in notes {
        if let Some(t) = touched.get_mut((note.start / SPAN) as usize) {
            *t = true;
        }
    }
    touched.iter().filter(|&&t| t).count() as f64 / spans as f64
}

fn mean_pitch(notes: &[GridNote]) -> f64 {
    if notes.is_empty() {
        return 0.0;
    }
    notes.iter().map(|n| n.pitch as f64).sum::<f64>() / notes.len() as f64
}

/// The share of notes that start together with another note, or while an earlier one still
/// sounds for longer than a legato overlap. `notes` are sorted by start.
fn overlap_share(notes: &[GridNote]) -> f64 {
    if notes.is_empty() {
        return 0.0;
    }
    let mut overlapping = 0usize;
    let mut earlier_end = 0u32; // the latest end among notes with an earlier start
    let mut group_start = 0;
    while group_start < notes.len() {
        let start = notes[group_start].start;
        let group_end = notes[group_start..]
            .iter()
            .position(|n| n.start != start)
            .map_or(notes.len(), |offset| group_start + offset);
        let group = &notes[group_start..group_end];
        if group.len() > 1 || earlier_end > start + LEGATO_TICKS {
            overlapping += group.len();
        }
        earlier_end = group.iter().map(|n| n.end).fold(earlier_end, u32::max);
        group_start = group_end;
    }
    overlapping as f64 / notes.len() as f64
}

/// The skyline of a polyphonic part: at each onset the highest starting note is melody unless
/// a higher note that started earlier still sounds (beyond a legato overlap). Returns
/// `(melody, the rest)`. `notes` are sorted by start then pitch.
pub fn skyline(notes: &[GridNote]) -> (Vec<GridNote>, Vec<GridNote>) {
    let mut top = Vec::new();
    let mut rest = Vec::new();
    // Notes started so far, highest pitch first; ended ones are dropped lazily from the top.
    let mut sounding: BinaryHeap<(u8, u32)> = BinaryHeap::new();
    let mut group_start = 0;
    while group_start < notes.len() {
        let start = notes[group_start].start;
        let group_end = notes[group_start..]
            .iter()
            .position(|n| n.start != start)
            .map_or(notes.len(), |offset| group_start + offset);
        while sounding
            .peek()
            .is_some_and(|&(_, end)| end <= start + LEGATO_TICKS)
        {
            sounding.pop();
        }
        let group = &notes[group_start..group_end];
        let highest = group
            .iter()
            .enumerate()
            .max_by_key(|(i, n)| (n.pitch, Reverse(*i)))
            .map(|(i, _)| i);
        let covered = |pitch: u8| sounding.peek().is_some_and(|&(above, _)| above > pitch);
        for (i, note) in group.iter().enumerate() {
            if Some(i) == highest && !covered(note.pitch) {
                top.push(*note);
            } else {
                rest.push(*note);
            }
        }
        sounding.extend(group.iter().map(|n| (n.pitch, n.end)));
        group_start = group_end;
    }
    (top, rest)
}

/// Makes notes one line: of notes starting together the highest stays, and every note ends
/// where the next begins when it sounds into it or stops at most [`EARLY_RELEASE_TICKS`] before
/// it. Returns `(line, the notes left out)`.
pub fn one_line(mut notes: Vec<GridNote>) -> (Vec<GridNote>, Vec<GridNote>) {
    notes.sort_unstable_by_key(|n| (n.start, Reverse(n.pitch), Reverse(n.end), n.velocity));
    let mut line: Vec<GridNote> = Vec::with_capacity(notes.len());
    let mut left_out = Vec::new();
    for note in notes {
        match line.last_mut() {
            Some(last) if last.start == note.start => left_out.push(note),
            Some(last) => {
                if note.start.saturating_sub(last.end) <= EARLY_RELEASE_TICKS {
                    last.end = note.start;
                }
                line.push(note);
            }
            None => line.push(note),
        }
    }
    (line, left_out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(start: u32, end: u32, pitch: u8) -> GridNote {
        GridNote {
            start,
            end,
            pitch,
            velocity: 80,
        }
    }

    fn part(name: &str, mut notes: Vec<GridNote>) -> Part {
        notes.sort_by_key(|n| (n.start, n.pitch));
        Part {
            track_name: name.into(),
            notes,
            ..Part::default()
        }
    }

    /// Block chords every bar (48 ticks) in the low register.
    fn chords(bars: u32) -> Vec<GridNote> {
        (0..bars)
            .flat_map(|b| [48, 52, 55].map(|p| note(b * 48, b * 48 + 48, p)))
            .collect()
    }

    /// A quarter-note tune over the same bars.
    fn tune(bars: u32) -> Vec<GridNote> {
        (0..bars * 4)
            .map(|q| note(q * 12, q * 12 + 12, 67 + (q % 5) as u8))
            .collect()
    }

    #[test]
    fn a_named_track_is_the_melody_even_when_low() {
        let split = split_melody(vec![
            part("Strings", tune(2)),
            part("Lead Vocal", chords(2)),
        ]);
        assert_eq!(split.melody.len(), 2, "one line of the chords");
        assert!(split.melody.iter().all(|n| n.pitch == 55));
        assert_eq!(split.harmony.len(), 8 + 4);
    }

    #[test]
    fn the_high_monophonic_part_is_the_melody() {
        let split = split_melody(vec![part("", chords(4)), part("", tune(4))]);
        assert_eq!(split.melody, tune(4));
        assert_eq!(split.harmony.len(), 12);
    }

    #[test]
    fn a_bass_line_loses_to_the_top_of_a_piano_part() {
        let bass: Vec<GridNote> = (0..8).map(|q| note(q * 24, q * 24 + 24, 36)).collect();
        let mut piano = chords(4);
        piano.extend(tune(4).into_iter().map(|n| GridNote {
            pitch: n.pitch + 12,
            ..n
        }));
        let split = split_melody(vec![part("", bass), part("", piano)]);
        assert_eq!(split.melody.len(), 16);
        assert!(split.melody.iter().all(|n| n.pitch >= 79));
    }

    #[test]
    fn skyline_keeps_the_top_line_and_hides_notes_under_a_held_one() {
        let mut notes = chords(2);
        notes.push(note(0, 60, 72)); // held over the second chord
        notes.push(note(60, 96, 71));
        notes.sort_by_key(|n| (n.start, n.pitch));
        let (top, rest) = skyline(&notes);
        assert_eq!(top, [note(0, 60, 72), note(60, 96, 71)]);
        assert_eq!(rest.len(), 6);
    }

    #[test]
    fn a_legato_overlap_does_not_hide_the_next_note() {
        let notes = vec![note(0, 13, 72), note(12, 24, 70), note(12, 24, 40)];
        let (top, _) = skyline(&notes);
        assert_eq!(top.len(), 2);
        assert_eq!(overlap_share(&[note(0, 13, 72), note(12, 24, 70)]), 0.0);
    }

    #[test]
    fn one_line_cuts_overlaps_and_keeps_the_highest_of_a_chord() {
        let (line, left_out) = one_line(vec![
            note(0, 24, 60),
            note(12, 24, 64),
            note(12, 18, 67),
            note(24, 30, 62),
        ]);
        assert_eq!(line, [note(0, 12, 60), note(12, 18, 67), note(24, 30, 62)]);
        assert_eq!(left_out, [note(12, 24, 64)]);
    }

    #[test]
    fn a_note_let_go_a_48th_early_is_held_and_a_sixteenth_rest_stays() {
        let (line, _) = one_line(vec![note(0, 5, 60), note(6, 10, 62), note(12, 18, 64)]);
        assert_eq!(line, [note(0, 6, 60), note(6, 10, 62), note(12, 18, 64)]);
        let (line, _) = one_line(vec![note(0, 9, 60), note(12, 18, 62)]);
        assert_eq!(line[0].end, 9, "a sixteenth's rest is a rest");
    }
}
