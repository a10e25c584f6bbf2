//! Sections and explicit chords from a file's text events.
//!
//! Rules:
//! - Every **Marker** (or Cue Point) starts a section. Its kind comes from
//!   [`SectionKind::from_text`] (`Verse 2`, `CHORUS`, `Intro` …), else from the part-letter
//!   rule below, else it is `Other`; the label is the marker's text as written.
//! - A **Text** event is a chord when it parses as a chord symbol (`Am7`, `F/A`) or says `N.C.`;
//!   otherwise it starts a section only when it names one (by kind or part letter); any other
//!   text (copyright, lyrics, comments) is ignored.
//! - **Part letters**: a text that is one letter `A`, `B` or `C` (either case), optionally
//!   followed by digits, primes or spaces (`A2`, `B'`, `a 1`), names the song's parts the way
//!   form analysis does: `A` → Verse, `B` → Chorus, `C` → Bridge. (So a Text event `A` is the
//!   chord A major, while a Marker `A` is the verse.)
//! - A section starts at the bar line nearest to its event (a later one on a tie). Bars before
//!   the first section form an `Other` section; of two sections starting at the same bar the
//!   later event wins. A song without any is one `Other` section.

use crate::music::{ChordChange, ChordSymbol, SectionKind};

/// How "no chord" is written in a text event.
pub const NO_CHORD_TEXT: &str = "N.C.";

/// What a text event means to the importer.
#[derive(Debug, Clone, PartialEq)]
pub enum TextMeaning {
    /// A chord change (`None` = N.C.).
    Chord(Option<ChordSymbol>),
    /// A section start of this kind.
    Section(SectionKind),
    /// Nothing the lead sheet keeps.
    Ignored,
}

/// Reads a Text event (see the module rules).
pub fn read_text(text: &str) -> TextMeaning {
    let trimmed = text.trim();
    if is_no_chord(trimmed) {
        return TextMeaning::Chord(None);
    }
    if let Ok(chord) = trimmed.parse::<ChordSymbol>() {
        return TextMeaning::Chord(Some(chord));
    }
    match section_kind(trimmed) {
        Some(kind) => TextMeaning::Section(kind),
        None => TextMeaning::Ignored,
    }
}

fn is_no_chord(text: &str) -> bool {
    let squashed: String = text
        .chars()
        .filter(|c| c.is_ascii_alphabetic())
        .collect::<String>()
        .to_ascii_uppercase();
    squashed == "NC" && text.len() <= 6
}

/// The section kind a marker's text names: by name, then by part letter.
pub fn section_kind(text: &str) -> Option<SectionKind> {
    SectionKind::from_text(text).or_else(|| part_letter(text))
}

/// The part-letter rule: `A` → Verse, `B` → Chorus, `C` → Bridge.
fn part_letter(text: &str) -> Option<SectionKind> {
    let mut chars = text.trim().chars();
    let letter = chars.next()?.to_ascii_uppercase();
    let decoration_only = chars.all(|c| c.is_ascii_digit() || c == '\'' || c == ' ' || c == '’');
    if !decoration_only {
        return None;
    }
    match letter {
        'A' => Some(SectionKind::Verse),
        'B' => Some(SectionKind::Chorus),
        'C' => Some(SectionKind::Bridge),
        _ => None,
    }
}

/// A section starting at a bar.
#[derive(Debug, Clone, PartialEq)]
pub struct SectionStart {
    pub bar: usize,
    pub kind: SectionKind,
    pub label: String,
}

/// The section start of a Marker event's text.
pub fn marker_section(text: &str) -> (SectionKind, String) {
    (
        section_kind(text).unwrap_or(SectionKind::Other),
        text.trim().to_string(),
    )
}

/// The bar whose start is nearest to `tick` (a later bar on a tie). `bar_starts` is sorted and
/// not empty.
pub fn nearest_bar(bar_starts: &[u32], tick: i64) -> usize {
    let after = bar_starts.partition_point(|&s| (s as i64) < tick);
    if after == 0 {
        return 0;
    }
    if after == bar_starts.len() {
        return after - 1;
    }
    let before_distance = tick - bar_starts[after - 1] as i64;
    let after_distance = bar_starts[after] as i64 - tick;
    if after_distance <= before_distance {
        after
    } else {
        after - 1
    }
}

/// Orders section starts (given in event order) into one start per bar, covering bar 0.
pub fn section_plan(mut starts: Vec<SectionStart>) -> Vec<SectionStart> {
    // A stable sort keeps event order among starts at the same bar: the later one wins below.
    starts.sort_by_key(|s| s.bar);
    let mut plan: Vec<SectionStart> = Vec::with_capacity(starts.len() + 1);
    for start in starts {
        match plan.last_mut() {
            Some(last) if last.bar == start.bar => *last = start,
            _ => plan.push(start),
        }
    }
    if plan.first().is_none_or(|s| s.bar > 0) {
        plan.insert(
            0,
            SectionStart {
                bar: 0,
                kind: SectionKind::Other,
                label: SectionKind::Other.name().to_string(),
            },
        );
    }
    plan
}

/// Places explicit chord changes `(sheet tick, chord)` (in event order) into bars. Changes
/// before the first bar go to its start; of two at the same place the later wins.
pub fn place_chords(
    bar_starts: &[u32],
    bar_lengths: &[u32],
    changes: &[(i64, Option<ChordSymbol>)],
) -> Vec<Vec<ChordChange>> {
    let mut bars: Vec<Vec<ChordChange>> = vec![Vec::new(); bar_starts.len()];
    let Some(&last_start) = bar_starts.last() else {
        return bars;
    };
    let song_end = last_start as i64 + bar_lengths.last().copied().unwrap_or(0) as i64;
    let mut ordered: Vec<&(i64, Option<ChordSymbol>)> = changes.iter().collect();
    ordered.sort_by_key(|(tick, _)| *tick);
    for &(tick, chord) in ordered {
        if tick >= song_end {
            continue;
        }
        let tick = tick.max(0);
        let bar = bar_starts.partition_point(|&s| s as i64 <= tick) - 1;
        let position = (tick - bar_starts[bar] as i64) as u32;
        let changes = &mut bars[bar];
        match changes.last_mut() {
            Some(last) if last.position == position => last.chord = chord,
            _ => changes.push(ChordChange { position, chord }),
        }
    }
    bars
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_are_chords_or_section_names_or_nothing() {
        let chord = |s: &str| TextMeaning::Chord(Some(s.parse().unwrap()));
        assert_eq!(read_text("Am7"), chord("Am7"));
        assert_eq!(read_text(" F/A "), chord("F/A"));
        assert_eq!(read_text("A"), chord("A"));
        assert_eq!(read_text("N.C."), TextMeaning::Chord(None));
        assert_eq!(
            read_text("Chorus"),
            TextMeaning::Section(SectionKind::Chorus)
        );
        assert_eq!(read_text("B2"), TextMeaning::Section(SectionKind::Chorus));
        assert_eq!(read_text("Copyright 1999"), TextMeaning::Ignored);
        assert_eq!(read_text("Nancy"), TextMeaning::Ignored);
    }

    #[test]
    fn part_letters_name_verse_chorus_and_bridge() {
        assert_eq!(section_kind("A"), Some(SectionKind::Verse));
        assert_eq!(section_kind("a 2"), Some(SectionKind::Verse));
        assert_eq!(section_kind("B'"), Some(SectionKind::Chorus));
        assert_eq!(section_kind("C"), Some(SectionKind::Bridge));
        assert_eq!(section_kind("D"), None);
        assert_eq!(section_kind("Ab"), None);
        assert_eq!(
            marker_section("Guitar solo"),
            (SectionKind::Other, "Guitar solo".to_string())
        );
        assert_eq!(
            marker_section("Verse 2"),
            (SectionKind::Verse, "Verse 2".to_string())
        );
    }

    #[test]
    fn sections_start_at_the_nearest_bar_and_cover_the_song() {
        let starts = [0, 48, 96, 144];
        assert_eq!(nearest_bar(&starts, -5), 0);
        assert_eq!(nearest_bar(&starts, 40), 1);
        assert_eq!(nearest_bar(&starts, 72), 2);
        assert_eq!(nearest_bar(&starts, 500), 3);
        let start = |bar, kind: SectionKind| SectionStart {
            bar,
            kind,
            label: kind.name().into(),
        };
        let plan = section_plan(vec![
            start(2, SectionKind::Chorus),
            start(1, SectionKind::Verse),
            start(2, SectionKind::Bridge),
        ]);
        assert_eq!(
            plan,
            [
                start(0, SectionKind::Other),
                start(1, SectionKind::Verse),
                start(2, SectionKind::Bridge)
            ]
        );
    }

    #[test]
    fn explicit_chords_land_in_their_bars() {
        let am = "Am".parse().ok();
        let g = "G".parse().ok();
        let bars = place_chords(
            &[0, 12, 60],
            &[12, 48, 48],
            &[(-6, am), (12, g), (36, None), (36, am), (200, g)],
        );
        assert_eq!(
            bars[0],
            [ChordChange {
                position: 0,
                chord: am
            }]
        );
        assert_eq!(
            bars[1],
            [
                ChordChange {
                    position: 0,
                    chord: g
                },
                ChordChange {
                    position: 24,
                    chord: am
                }
            ]
        );
        assert!(bars[2].is_empty());
    }
}
