//! The POP909 adapter: reads one song folder's bar-aligned text files (`melody.txt`,
//! `finalized_chord.txt`, `human_label1/2.txt`, `tempo.txt`, `analyzed_key.txt`) into a
//! [`LeadSheet`] whose sections follow the annotated phrases (see [`super::phrases`] for the rule).
//!
//! Conventions:
//! - one 16th of `melody.txt` is 3 grid ticks; a note belongs to the bar where it starts and may
//!   run past its bar line; notes that start after the last chord bar are dropped;
//! - every bar opens with the chord sounding at its start (repeated when it carries over), and
//!   identical consecutive chords are merged;
//! - chord labels outside the Harte vocabulary of [`ChordSymbol`] (`maj(9)`, `min9`, `sus4(b7,9)` …)
//!   are read as the closest known chord on the same root, judged by the file's own pitch classes;
//! - meter: 4/4 when the phrase labels cover the chord file's length in 4-beat bars (within 3 bars,
//!   the rest goes to the last phrase); 3/4 when they cover it in 3-beat bars; otherwise the song is
//!   refused. Of the two annotators, the one whose bar total fits the chords best is used
//!   (annotator 1 on a tie);
//! - key: the first key of `analyzed_key.txt` (songs that modulate list several); when the file is
//!   empty, the key estimated from the melody and chords;
//! - velocity: [`VELOCITY`] for every note.

use std::fs;
use std::path::{Path, PathBuf};

use super::DatasetError;
use crate::music::phrases::{self, Phrase, PitchTally, SectionRoles};
use crate::music::{
    Bar, ChordChange, ChordQuality, ChordSymbol, Idea, Key, LeadSheet, Meter, MusicError, Note,
    Pitch, PitchClass, Section, SectionKind, TICKS_PER_QUARTER, Tempo,
};

/// The most bars of other sections [`verse_chorus_pairs`] lets stand between a verse and its chorus.
pub const MAX_GAP_BARS: usize = 8;
/// Velocity given to every melody note (the text files carry none).
pub const VELOCITY: u8 = 90;
/// Grid ticks per 16th note.
const TICKS_PER_SIXTEENTH: u32 = TICKS_PER_QUARTER / 4;
/// How many bars the phrase labels may miss the chord file's length by and still be trusted.
const BAR_TOLERANCE: f64 = 3.0;

/// A loaded song with what the adapter decided on the way, for statistics and tests.
#[derive(Debug, Clone)]
pub struct Pop909Song {
    pub sheet: LeadSheet,
    /// The phrases as annotated (before fitting to the chord length).
    pub phrases: Vec<Phrase>,
    pub roles: SectionRoles,
    /// Beats in `finalized_chord.txt`.
    pub chord_beats: u32,
    /// Which annotator's labels were used, 1 or 2.
    pub annotator: u8,
}

/// Song folders that could not be read, each with the reason.
pub type Skipped = Vec<(PathBuf, String)>;

/// Reads a song folder into a lead sheet titled with the folder's name.
pub fn load_song(dir: &Path) -> Result<LeadSheet, DatasetError> {
    read_song(dir).map(|song| song.sheet)
}

/// Whether `folder` is a POP909 root: a sub-folder holds a `melody.txt`.
pub fn looks_like_root(folder: &Path) -> bool {
    std::fs::read_dir(folder).is_ok_and(|entries| {
        entries
            .filter_map(Result::ok)
            .any(|e| e.path().join("melody.txt").is_file())
    })
}

/// Reads every song folder under `root` (sorted by name). Returns the songs read and, for each
/// folder that could not be read, its path and the reason.
pub fn load_folder(root: &Path) -> (Vec<(PathBuf, LeadSheet)>, Skipped) {
    let (songs, skipped) = read_folder(root);
    (
        songs.into_iter().map(|(p, s)| (p, s.sheet)).collect(),
        skipped,
    )
}

/// Like [`load_folder`], keeping what the adapter decided for each song.
pub fn read_folder(root: &Path) -> (Vec<(PathBuf, Pop909Song)>, Skipped) {
    let dirs = match song_dirs(root) {
        Ok(dirs) => dirs,
        Err(e) => return (Vec::new(), vec![(root.to_path_buf(), e.to_string())]),
    };
    let mut songs = Vec::new();
    let mut skipped = Vec::new();
    for dir in dirs {
        match read_song(&dir) {
            Ok(song) => songs.push((dir, song)),
            Err(e) => skipped.push((dir, e.to_string())),
        }
    }
    (songs, skipped)
}

/// Sub-folders of `root` holding a `melody.txt` (one POP909 song each), sorted by name.
pub fn song_dirs(root: &Path) -> Result<Vec<PathBuf>, DatasetError> {
    let io = |source| DatasetError::Io {
        path: root.to_path_buf(),
        source,
    };
    let mut dirs = Vec::new();
    for entry in fs::read_dir(root).map_err(io)? {
        let path = entry.map_err(io)?.path();
        if path.join("melody.txt").is_file() {
            dirs.push(path);
        }
    }
    dirs.sort();
    Ok(dirs)
}

/// Reads a song folder, keeping the phrase decisions.
pub fn read_song(dir: &Path) -> Result<Pop909Song, DatasetError> {
    let title = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| dir.display().to_string());
    let melody = read_melody(&dir.join("melody.txt"))?;
    let chords = read_chords(&dir.join("finalized_chord.txt"))?;
    let chord_beats: u32 = chords.iter().map(|c| c.beats).sum();
    let (annotator, phrases) = read_best_labels(dir, chord_beats)?;
    let labels_path = dir.join(format!("human_label{annotator}.txt"));
    let meter = choose_meter(&phrases, chord_beats, &labels_path)?;
    let bar_count = chord_beats.div_ceil(meter.beats_per_bar()) as usize;
    let mut bars = vec![Bar::new(meter); bar_count];
    place_chords(&mut bars, &chords);
    place_melody(&mut bars, &melody);
    let fitted = fit_phrases(&phrases, bar_count);
    let tallies = tally_phrases(&fitted, &bars);
    let roles = phrases::assign_kinds(&fitted, &tallies);
    let key = read_key(&dir.join("analyzed_key.txt"))?.unwrap_or_else(|| estimate_key(&bars));
    let tempo = read_tempo(&dir.join("tempo.txt"))?;
    let sections = cut_sections(&fitted, &roles, bars);
    let sheet = LeadSheet {
        title,
        key,
        tempo,
        sections,
    };
    sheet.validate().map_err(|source| DatasetError::Music {
        path: dir.to_path_buf(),
        source,
    })?;
    Ok(Pop909Song {
        sheet,
        phrases,
        roles,
        chord_beats,
        annotator,
    })
}

fn read_text(path: &Path) -> Result<String, DatasetError> {
    fs::read_to_string(path).map_err(|source| DatasetError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Non-empty lines with their 1-based numbers.
fn numbered_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty())
}

fn parse_error(path: &Path, line: usize, reason: impl Into<String>) -> DatasetError {
    DatasetError::Parse {
        path: path.to_path_buf(),
        line,
        reason: reason.into(),
    }
}

/// One line of `melody.txt`: a MIDI pitch (0 = rest) and a length in 16ths.
#[derive(Debug, Clone, Copy)]
struct MelodyEvent {
    pitch: u8,
    sixteenths: u32,
}

fn read_melody(path: &Path) -> Result<Vec<MelodyEvent>, DatasetError> {
    let text = read_text(path)?;
    numbered_lines(&text)
        .map(|(line, l)| {
            let mut fields = l.split_whitespace();
            let (Some(p), Some(n), None) = (fields.next(), fields.next(), fields.next()) else {
                return Err(parse_error(
                    path,
                    line,
                    format!("expected `pitch length`, found `{l}`"),
                ));
            };
            let pitch: u8 = p
                .parse()
                .ok()
                .filter(|&p| p <= 127)
                .ok_or_else(|| parse_error(path, line, format!("`{p}` is not a MIDI pitch")))?;
            let sixteenths: u32 = n
                .parse()
                .map_err(|_| parse_error(path, line, format!("`{n}` is not a length in 16ths")))?;
            Ok(MelodyEvent { pitch, sixteenths })
        })
        .collect()
}

/// One line of `finalized_chord.txt`: a chord (or none) and its length in beats.
#[derive(Debug, Clone, Copy)]
struct ChordSpan {
    chord: Option<ChordSymbol>,
    beats: u32,
}

fn read_chords(path: &Path) -> Result<Vec<ChordSpan>, DatasetError> {
    let text = read_text(path)?;
    let spans: Vec<ChordSpan> = numbered_lines(&text)
        .map(|(line, l)| parse_chord_line(l).map_err(|reason| parse_error(path, line, reason)))
        .collect::<Result<_, _>>()?;
    if spans.iter().all(|s| s.beats == 0) {
        return Err(DatasetError::Invalid {
            path: path.to_path_buf(),
            reason: "no chords".into(),
        });
    }
    Ok(spans)
}

/// `label [pitch classes] root beats`; the label may contain spaces (`B:sus4(b7, 9)`).
fn parse_chord_line(line: &str) -> Result<ChordSpan, String> {
    let (label, rest) = line
        .split_once('[')
        .ok_or_else(|| format!("expected `label [pitch classes] root beats`, found `{line}`"))?;
    let (classes, tail) = rest
        .split_once(']')
        .ok_or_else(|| format!("unclosed pitch-class list in `{line}`"))?;
    let beats_text = tail
        .split_whitespace()
        .last()
        .ok_or_else(|| format!("no length in beats in `{line}`"))?;
    let beats: u32 = beats_text
        .parse()
        .map_err(|_| format!("`{beats_text}` is not a length in beats"))?;
    let pitch_classes: Vec<PitchClass> = classes
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<i32>().map(PitchClass::new))
        .collect::<Result<_, _>>()
        .map_err(|_| format!("bad pitch-class list `[{classes}]`"))?;
    let label = label.trim_matches(|c: char| c.is_whitespace() || c.is_control());
    let chord = read_chord_label(label, &pitch_classes)?;
    Ok(ChordSpan { chord, beats })
}

/// A Harte label, or the closest chord we know on its root (by the listed pitch classes).
fn read_chord_label(
    label: &str,
    pitch_classes: &[PitchClass],
) -> Result<Option<ChordSymbol>, String> {
    if let Ok(chord) = ChordSymbol::parse_harte(label) {
        return Ok(chord);
    }
    let bad = |e: MusicError| format!("chord `{label}`: {e}");
    let (root_text, rest) = label.split_once(':').unwrap_or((label, "maj"));
    let root: PitchClass = root_text.parse().map_err(bad)?;
    // The bass degree comes after the last `/` that is outside parentheses.
    let bass = match rest.rsplit_once('/') {
        Some((_, degree)) if !degree.contains(')') && !degree.contains(',') => {
            ChordSymbol::parse_harte(&format!("{root_text}:maj/{degree}"))
                .map_err(bad)?
                .and_then(|c| c.bass)
        }
        _ => None,
    };
    if rest.starts_with("sus4(b7") {
        return Ok(Some(
            ChordSymbol::new(root, ChordQuality::Dominant7Sus4).with_bass(bass),
        ));
    }
    let quality = closest_quality(root, pitch_classes)
        .ok_or_else(|| format!("chord `{label}` has no pitch classes to read it by"))?;
    Ok(Some(ChordSymbol::new(root, quality).with_bass(bass)))
}

/// The quality on `root` whose tones best match `pitch_classes` (most shared, then fewest missing).
fn closest_quality(root: PitchClass, pitch_classes: &[PitchClass]) -> Option<ChordQuality> {
    if pitch_classes.is_empty() {
        return None;
    }
    ChordQuality::ALL.into_iter().max_by_key(|&q| {
        let tones = ChordSymbol::new(root, q).pitch_classes();
        let shared = tones.iter().filter(|t| pitch_classes.contains(t)).count() as i32;
        let missing = tones.len() as i32 - shared;
        // Prefer more shared tones, then fewer invented ones; ALL's order breaks ties (triads first).
        (shared * 2 - missing, -(q as i32))
    })
}

/// Both annotators' labels; the one whose bar total is closest to the chords' length.
fn read_best_labels(dir: &Path, chord_beats: u32) -> Result<(u8, Vec<Phrase>), DatasetError> {
    let mut best: Option<(f64, u8, Vec<Phrase>)> = None;
    let mut first_error = None;
    for annotator in [1u8, 2] {
        let path = dir.join(format!("human_label{annotator}.txt"));
        let parsed = read_text(&path).and_then(|text| {
            phrases::parse_structure(&text).map_err(|reason| DatasetError::Invalid {
                path: path.clone(),
                reason,
            })
        });
        match parsed {
            Ok(phrases) => {
                let miss = label_miss(&phrases, chord_beats);
                if best.as_ref().is_none_or(|(m, _, _)| miss < *m) {
                    best = Some((miss, annotator, phrases));
                }
            }
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    match (best, first_error) {
        (Some((_, annotator, phrases)), _) => Ok((annotator, phrases)),
        (None, Some(e)) => Err(e),
        (None, None) => Err(DatasetError::Invalid {
            path: dir.to_path_buf(),
            reason: "no phrase labels".into(),
        }),
    }
}

fn label_bars(phrases: &[Phrase]) -> u32 {
    phrases.iter().map(|p| p.bars).sum()
}

/// How far the labels' bar total misses the chord length, in the better-fitting meter's bars.
fn label_miss(phrases: &[Phrase], chord_beats: u32) -> f64 {
    let bars = label_bars(phrases) as f64;
    [4.0, 3.0]
        .iter()
        .map(|beats| (bars - chord_beats as f64 / beats).abs())
        .fold(f64::INFINITY, f64::min)
}

fn choose_meter(
    phrases: &[Phrase],
    chord_beats: u32,
    labels: &Path,
) -> Result<Meter, DatasetError> {
    let bars = label_bars(phrases) as f64;
    let beats = chord_beats as f64;
    if (bars - beats / 4.0).abs() <= BAR_TOLERANCE {
        Ok(Meter::FOUR_FOUR)
    } else if (bars - beats / 3.0).abs() <= 1.5 {
        Meter::new(3, 4).map_err(|source| DatasetError::Music {
            path: labels.to_path_buf(),
            source,
        })
    } else {
        Err(DatasetError::Invalid {
            path: labels.to_path_buf(),
            reason: format!(
                "the phrases cover {bars} bars but the chords last {chord_beats} beats \
                 ({:.2} bars of 4/4, {:.2} of 3/4)",
                beats / 4.0,
                beats / 3.0
            ),
        })
    }
}

/// Puts each chord at its bar and position; every bar opens with the chord sounding there.
fn place_chords(bars: &mut [Bar], chords: &[ChordSpan]) {
    let bar_ticks = bars.first().map(|b| b.length).unwrap_or(1);
    let mut start = 0u32;
    for span in chords {
        let bar_index = (start / bar_ticks) as usize;
        if let Some(bar) = bars.get_mut(bar_index) {
            push_change(bar, start % bar_ticks, span.chord);
        }
        start += span.beats * TICKS_PER_QUARTER;
    }
    let mut sounding = None;
    for bar in bars.iter_mut() {
        if bar.chords.first().is_none_or(|c| c.position > 0) {
            bar.chords.insert(
                0,
                ChordChange {
                    position: 0,
                    chord: sounding,
                },
            );
        }
        sounding = bar.chords.last().and_then(|c| c.chord);
    }
}

/// Adds a change unless the same chord already sounds; a later change at the same spot wins.
fn push_change(bar: &mut Bar, position: u32, chord: Option<ChordSymbol>) {
    match bar.chords.last_mut() {
        Some(last) if last.position == position => last.chord = chord,
        Some(last) if last.chord == chord => {}
        _ => bar.chords.push(ChordChange { position, chord }),
    }
}

fn place_melody(bars: &mut [Bar], melody: &[MelodyEvent]) {
    let bar_ticks = bars.first().map(|b| b.length).unwrap_or(1);
    let mut start = 0u32;
    for event in melody {
        let duration = event.sixteenths * TICKS_PER_SIXTEENTH;
        if event.pitch > 0 && duration > 0 {
            let bar_index = (start / bar_ticks) as usize;
            if let Some(bar) = bars.get_mut(bar_index) {
                bar.melody.push(Note {
                    onset: start % bar_ticks,
                    duration,
                    pitch: Pitch(event.pitch),
                    velocity: VELOCITY,
                });
            }
        }
        start += duration;
    }
}

/// The phrases cut or stretched to cover exactly `bar_count` bars: phrases past the end are
/// dropped or shortened, and the last phrase takes any bars left over.
pub fn fit_phrases(phrases: &[Phrase], bar_count: usize) -> Vec<Phrase> {
    let mut fitted = Vec::new();
    let mut covered = 0u32;
    let total = bar_count as u32;
    for phrase in phrases {
        if covered >= total {
            break;
        }
        let bars = phrase.bars.min(total - covered);
        fitted.push(Phrase { bars, ..*phrase });
        covered += bars;
    }
    if let Some(last) = fitted.last_mut() {
        last.bars += total - covered;
    }
    fitted
}

fn tally_phrases(phrases: &[Phrase], bars: &[Bar]) -> Vec<PitchTally> {
    let mut start = 0usize;
    phrases
        .iter()
        .map(|p| {
            let end = (start + p.bars as usize).min(bars.len());
            let tally = bars[start.min(end)..end]
                .iter()
                .flat_map(|b| &b.melody)
                .fold(PitchTally::default(), |t, n| PitchTally {
                    sum: t.sum + n.pitch.0 as f64,
                    notes: t.notes + 1,
                });
            start = end;
            tally
        })
        .collect()
}

fn cut_sections(phrases: &[Phrase], roles: &SectionRoles, bars: Vec<Bar>) -> Vec<Section> {
    let mut rest = bars.into_iter();
    phrases
        .iter()
        .zip(&roles.kinds)
        .map(|(phrase, &kind)| Section {
            kind,
            label: phrase.class.to_string(),
            bars: rest.by_ref().take(phrase.bars as usize).collect(),
        })
        .collect()
}

/// The first key listed, or `None` when the file names none.
fn read_key(path: &Path) -> Result<Option<Key>, DatasetError> {
    let text = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(DatasetError::Io {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    match numbered_lines(&text).next() {
        None => Ok(None),
        Some((line, l)) => l
            .parse::<Key>()
            .map(Some)
            .map_err(|e| parse_error(path, line, e.to_string())),
    }
}

/// Krumhansl–Schmuckler over the melody (by duration) and the chord tones; C major when empty.
fn estimate_key(bars: &[Bar]) -> Key {
    let mut weights = [0.0; 12];
    for bar in bars {
        for note in &bar.melody {
            weights[note.pitch.class().index() as usize] += note.duration as f64;
        }
        for chord in bar.chords.iter().filter_map(|c| c.chord) {
            for pc in chord.pitch_classes() {
                weights[pc.index() as usize] += TICKS_PER_QUARTER as f64;
            }
        }
    }
    Key::estimate(&weights).unwrap_or(Key::major(PitchClass::new(0)))
}

fn read_tempo(path: &Path) -> Result<Tempo, DatasetError> {
    let text = read_text(path)?;
    let (line, l) = numbered_lines(&text)
        .next()
        .ok_or_else(|| parse_error(path, 1, "no tempo"))?;
    let bpm: f64 = l
        .parse()
        .map_err(|_| parse_error(path, line, format!("`{l}` is not a tempo in BPM")))?;
    Tempo::new(bpm).map_err(|e| parse_error(path, line, e.to_string()))
}

/// Verse+chorus ideas cut from a song: each run of verse sections with the run of chorus sections
/// that follows it, in song order, so the first is the first verse and its chorus. Between the two
/// runs may stand at most [`MAX_GAP_BARS`] bars of other sections (pre-chorus, bridge, links), but
/// no intro or outro; they are left out. Notes are cut at the end of their part so the two join.
pub fn verse_chorus_pairs(sheet: &LeadSheet) -> Vec<Idea> {
    let sections = &sheet.sections;
    let run_end = |from: usize, kind: SectionKind| {
        (from..sections.len())
            .find(|&i| sections[i].kind != kind)
            .unwrap_or(sections.len())
    };
    let gap_end = |from: usize| {
        let mut bars = 0;
        for (i, s) in sections.iter().enumerate().skip(from) {
            bars += s.bars.len();
            let linking = !matches!(
                s.kind,
                SectionKind::Verse | SectionKind::Chorus | SectionKind::Intro | SectionKind::Outro
            );
            if !linking || bars > MAX_GAP_BARS {
                return i;
            }
        }
        sections.len()
    };
    let mut ideas = Vec::new();
    let mut i = 0;
    while i < sections.len() {
        if sections[i].kind != SectionKind::Verse {
            i += 1;
            continue;
        }
        let verse_end = run_end(i, SectionKind::Verse);
        let chorus_start = gap_end(verse_end);
        let chorus_end = run_end(chorus_start, SectionKind::Chorus);
        if chorus_end > chorus_start {
            let verse = merge(&sections[i..verse_end], SectionKind::Verse);
            let chorus = merge(&sections[chorus_start..chorus_end], SectionKind::Chorus);
            let idea_sheet = LeadSheet {
                title: format!("{} bar {}", sheet.title, bar_offset(sheet, i) + 1),
                key: sheet.key,
                tempo: sheet.tempo,
                sections: vec![verse, chorus],
            };
            if let Ok(idea) = Idea::new(idea_sheet) {
                ideas.push(idea);
            }
        }
        i = verse_end;
    }
    ideas
}

fn bar_offset(sheet: &LeadSheet, section_index: usize) -> usize {
    sheet.sections[..section_index]
        .iter()
        .map(|s| s.bars.len())
        .sum()
}

/// One section of the given kind holding the bars of `parts`, notes cut at its end.
fn merge(parts: &[Section], kind: SectionKind) -> Section {
    let mut bars: Vec<Bar> = parts.iter().flat_map(|s| s.bars.iter().cloned()).collect();
    let mut remaining: u32 = bars.iter().map(|b| b.length).sum();
    for bar in bars.iter_mut() {
        for note in bar.melody.iter_mut() {
            note.duration = note.duration.min(remaining - note.onset);
        }
        remaining -= bar.length;
    }
    Section::new(kind, bars)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chord_of(line: &str) -> String {
        let span = parse_chord_line(line).unwrap();
        span.chord.map_or("N.C.".into(), |c| c.to_string())
    }

    #[test]
    fn chord_lines_outside_the_harte_vocabulary_read_as_the_closest_chord() {
        assert_eq!(chord_of("B:maj [3, 6, 11] 11 2 "), "B");
        assert_eq!(chord_of("C:maj(9) [0, 2, 4, 7] 0 4"), "C");
        assert_eq!(chord_of("A:min9 [0, 4, 7, 9, 11] 9 4"), "Am7");
        assert_eq!(chord_of("G:9 [2, 5, 7, 9, 11] 7 2"), "G7");
        assert_eq!(chord_of("B:sus4(b7, 9) [1, 4, 6, 9, 11] 11 1"), "B7sus4");
        // Song 038 writes a control character after this label.
        assert_eq!(chord_of("C:maj(2)/2\u{1} [0, 2, 4, 7] 2 2"), "C/D");
        assert_eq!(chord_of("N []  7 "), "N.C.");
        assert_eq!(parse_chord_line("N []  7 ").unwrap().beats, 7);
        assert!(parse_chord_line("C:maj 0 4").is_err());
        assert!(parse_chord_line("C:maj [0, 4, 7] 0 four").is_err());
        assert!(parse_chord_line("H:maj [0, 4, 7] 0 4").is_err());
    }

    #[test]
    fn phrases_are_fitted_to_the_chord_length() {
        let phrases = phrases::parse_structure("i4A8B8").unwrap();
        let bars = |p: &[Phrase]| p.iter().map(|p| p.bars).collect::<Vec<_>>();
        assert_eq!(bars(&fit_phrases(&phrases, 20)), [4, 8, 8]);
        assert_eq!(bars(&fit_phrases(&phrases, 22)), [4, 8, 10]);
        assert_eq!(bars(&fit_phrases(&phrases, 10)), [4, 6]);
    }
}
