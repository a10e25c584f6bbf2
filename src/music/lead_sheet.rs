//! The lead sheet: sections made of bars, each bar holding chord changes and one melody line.
//! An [`Idea`] is a lead sheet of exactly a verse followed by a chorus.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::MusicError;
use super::chord::ChordSymbol;
use super::key::Key;
use super::pitch::Pitch;
use super::time::{Meter, Tempo};

/// The role of a section in a song's form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SectionKind {
    Intro,
    Verse,
    PreChorus,
    Chorus,
    Bridge,
    Outro,
    Other,
}

impl SectionKind {
    pub const ALL: [SectionKind; 7] = [
        SectionKind::Intro,
        SectionKind::Verse,
        SectionKind::PreChorus,
        SectionKind::Chorus,
        SectionKind::Bridge,
        SectionKind::Outro,
        SectionKind::Other,
    ];

    /// The name written in section markers: `Verse`, `Pre-Chorus` …
    pub fn name(self) -> &'static str {
        match self {
            SectionKind::Intro => "Intro",
            SectionKind::Verse => "Verse",
            SectionKind::PreChorus => "Pre-Chorus",
            SectionKind::Chorus => "Chorus",
            SectionKind::Bridge => "Bridge",
            SectionKind::Outro => "Outro",
            SectionKind::Other => "Other",
        }
    }

    /// Recognises a section name in free text such as a MIDI marker: `Verse 2`, `CHORUS`,
    /// `pre-chorus`, `Refrain`, `Intro`. Letters for song parts (`A`, `B`) are not read here.
    pub fn from_text(text: &str) -> Option<SectionKind> {
        let lower = text.trim().to_ascii_lowercase();
        let squashed: String = lower.chars().filter(|c| c.is_ascii_alphabetic()).collect();
        const NAMES: [(&str, SectionKind); 12] = [
            ("prechorus", SectionKind::PreChorus),
            ("chorus", SectionKind::Chorus),
            ("refrain", SectionKind::Chorus),
            ("hook", SectionKind::Chorus),
            ("verse", SectionKind::Verse),
            ("strophe", SectionKind::Verse),
            ("bridge", SectionKind::Bridge),
            ("middle", SectionKind::Bridge),
            ("intro", SectionKind::Intro),
            ("outro", SectionKind::Outro),
            ("coda", SectionKind::Outro),
            ("ending", SectionKind::Outro),
        ];
        NAMES
            .iter()
            .find(|(name, _)| squashed.starts_with(name))
            .map(|&(_, kind)| kind)
    }
}

impl fmt::Display for SectionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One melody note. `onset` counts grid ticks from the start of its bar; `duration` may run
/// past the bar line (a tied note belongs to the bar where it starts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Note {
    pub onset: u32,
    pub duration: u32,
    pub pitch: Pitch,
    pub velocity: u8,
}

/// A chord that starts at `position` (grid ticks from the bar start) and lasts until the next
/// change. `None` is "no chord" (N.C.).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ChordChange {
    pub position: u32,
    pub chord: Option<ChordSymbol>,
}

/// One bar: its meter, its length (shorter than the meter's bar only for a pickup), the chord
/// changes in it and the melody notes that start in it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bar {
    pub meter: Meter,
    pub length: u32,
    pub chords: Vec<ChordChange>,
    pub melody: Vec<Note>,
}

impl Bar {
    /// An empty full bar.
    pub fn new(meter: Meter) -> Self {
        Bar {
            meter,
            length: meter.bar_ticks(),
            chords: Vec::new(),
            melody: Vec::new(),
        }
    }

    /// An empty pickup (anacrusis) bar of `length` ticks.
    pub fn pickup(meter: Meter, length: u32) -> Self {
        Bar {
            length,
            ..Bar::new(meter)
        }
    }

    pub fn is_pickup(&self) -> bool {
        self.length < self.meter.bar_ticks()
    }

    /// The chord sounding at `position` within this bar, if a change at or before it is in this bar.
    pub fn chord_at(&self, position: u32) -> Option<&ChordChange> {
        self.chords.iter().rev().find(|c| c.position <= position)
    }
}

/// A named part of the song: a verse, a chorus …
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Section {
    pub kind: SectionKind,
    /// The text the section was named with (a marker such as `Verse 2`), or the kind's name.
    pub label: String,
    pub bars: Vec<Bar>,
}

impl Section {
    pub fn new(kind: SectionKind, bars: Vec<Bar>) -> Self {
        Section {
            kind,
            label: kind.name().to_string(),
            bars,
        }
    }

    pub fn ticks(&self) -> u32 {
        self.bars.iter().map(|b| b.length).sum()
    }
}

/// A song reduced to what a composer sketches: key, tempo, sections of bars with chords and one melody line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeadSheet {
    pub title: String,
    pub key: Key,
    pub tempo: Tempo,
    pub sections: Vec<Section>,
}

/// A melody note or chord change placed on the song's time line (grid ticks from the start).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Placed<T> {
    pub bar_index: usize,
    pub bar_start: u32,
    pub item: T,
}

impl<T> Placed<T> {
    /// Ticks from the start of the song.
    pub fn absolute(&self, offset_in_bar: u32) -> u32 {
        self.bar_start + offset_in_bar
    }
}

impl LeadSheet {
    /// All bars in order across sections.
    pub fn bars(&self) -> impl Iterator<Item = &Bar> {
        self.sections.iter().flat_map(|s| s.bars.iter())
    }

    pub fn bar_count(&self) -> usize {
        self.sections.iter().map(|s| s.bars.len()).sum()
    }

    /// The sheet cut to its first `bars` bars (sections that start later are left out; notes
    /// held past the cut are shortened to end there).
    pub fn opening(&self, bars: usize) -> LeadSheet {
        let mut left = bars;
        let mut sections = Vec::new();
        for section in &self.sections {
            if left == 0 {
                break;
            }
            let kept: Vec<Bar> = section.bars.iter().take(left).cloned().collect();
            left -= kept.len();
            sections.push(Section {
                bars: kept,
                ..section.clone()
            });
        }
        if let Some(last) = sections.last_mut().and_then(|s| s.bars.last_mut()) {
            let length = last.length;
            for note in &mut last.melody {
                note.duration = note.duration.min(length.saturating_sub(note.onset)).max(1);
            }
        }
        LeadSheet {
            sections,
            ..self.clone()
        }
    }

    /// The meter of the first full bar (4/4 for an empty sheet).
    pub fn meter(&self) -> Meter {
        self.bars()
            .find(|b| !b.is_pickup())
            .or(self.bars().next())
            .map(|b| b.meter)
            .unwrap_or_default()
    }

    /// Start tick of every bar, in order.
    pub fn bar_starts(&self) -> Vec<u32> {
        let mut start = 0;
        self.bars()
            .map(|b| {
                let s = start;
                start += b.length;
                s
            })
            .collect()
    }

    /// Length of the song in grid ticks.
    pub fn total_ticks(&self) -> u32 {
        self.bars().map(|b| b.length).sum()
    }

    /// Melody notes with the bar they start in and that bar's start tick.
    pub fn melody(&self) -> Vec<Placed<Note>> {
        self.placed(|bar| &bar.melody)
    }

    /// Chord changes with their bar and that bar's start tick.
    pub fn chord_changes(&self) -> Vec<Placed<ChordChange>> {
        self.placed(|bar| &bar.chords)
    }

    fn placed<T: Copy>(&self, items: impl Fn(&Bar) -> &Vec<T>) -> Vec<Placed<T>> {
        self.bars()
            .zip(self.bar_starts())
            .enumerate()
            .flat_map(|(bar_index, (bar, bar_start))| {
                items(bar).iter().map(move |&item| Placed {
                    bar_index,
                    bar_start,
                    item,
                })
            })
            .collect()
    }

    /// The same song in another key: every note and chord moved, notes kept in the MIDI range.
    pub fn transpose(&self, semitones: i32) -> Result<LeadSheet, MusicError> {
        let mut out = self.clone();
        out.key = self.key.transpose(semitones);
        for bar in out.sections.iter_mut().flat_map(|s| s.bars.iter_mut()) {
            for note in &mut bar.melody {
                note.pitch = note.pitch.transpose(semitones).ok_or_else(|| {
                    MusicError::Invalid(format!(
                        "{} moved by {semitones} leaves the MIDI range",
                        note.pitch
                    ))
                })?;
            }
            for change in &mut bar.chords {
                change.chord = change.chord.map(|c| c.transpose(semitones));
            }
        }
        Ok(out)
    }

    /// Checks the invariants every lead sheet keeps: bars of positive length, chord changes and
    /// note onsets inside their bar and in order, notes of positive duration and velocity,
    /// and one melody line (no note starts before the previous one ends).
    pub fn validate(&self) -> Result<(), MusicError> {
        let mut previous_end = 0u32;
        for (index, (bar, start)) in self.bars().zip(self.bar_starts()).enumerate() {
            let at = |what: String| MusicError::Invalid(format!("bar {}: {what}", index + 1));
            if bar.length == 0 || bar.length > bar.meter.bar_ticks() {
                return Err(at(format!(
                    "length {} does not fit {}",
                    bar.length, bar.meter
                )));
            }
            if !bar.chords.windows(2).all(|w| w[0].position < w[1].position) {
                return Err(at("chord changes out of order".into()));
            }
            if bar.chords.iter().any(|c| c.position >= bar.length) {
                return Err(at("a chord change lies outside the bar".into()));
            }
            for note in &bar.melody {
                if note.onset >= bar.length {
                    return Err(at(format!(
                        "a note starts at {}, outside the bar",
                        note.onset
                    )));
                }
                if note.duration == 0
                    || note.velocity == 0
                    || note.velocity > 127
                    || note.pitch.0 > 127
                {
                    return Err(at(format!(
                        "note {} has no duration, velocity or valid pitch",
                        note.pitch
                    )));
                }
                let onset = start + note.onset;
                if onset < previous_end {
                    return Err(at(format!(
                        "note {} overlaps the one before: the melody must be one line",
                        note.pitch
                    )));
                }
                previous_end = onset + note.duration;
            }
        }
        Ok(())
    }
}

/// One song idea: a verse then a chorus, in the same key, tempo and meter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "LeadSheet", into = "LeadSheet")]
pub struct Idea {
    sheet: LeadSheet,
}

impl Idea {
    /// Wraps a lead sheet that is exactly a verse followed by a chorus, each with bars, valid.
    pub fn new(sheet: LeadSheet) -> Result<Self, MusicError> {
        let kinds: Vec<SectionKind> = sheet.sections.iter().map(|s| s.kind).collect();
        if kinds != [SectionKind::Verse, SectionKind::Chorus] {
            return Err(MusicError::Invalid(format!(
                "an idea is a verse then a chorus, not {kinds:?}"
            )));
        }
        if sheet.sections.iter().any(|s| s.bars.is_empty()) {
            return Err(MusicError::Invalid(
                "an idea's verse and chorus both need bars".into(),
            ));
        }
        sheet.validate()?;
        Ok(Idea { sheet })
    }

    pub fn verse(&self) -> &Section {
        &self.sheet.sections[0]
    }

    pub fn chorus(&self) -> &Section {
        &self.sheet.sections[1]
    }

    pub fn sheet(&self) -> &LeadSheet {
        &self.sheet
    }

    pub fn into_sheet(self) -> LeadSheet {
        self.sheet
    }
}

impl TryFrom<LeadSheet> for Idea {
    type Error = MusicError;
    fn try_from(sheet: LeadSheet) -> Result<Self, Self::Error> {
        Idea::new(sheet)
    }
}

impl From<Idea> for LeadSheet {
    fn from(idea: Idea) -> Self {
        idea.sheet
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::music::PitchClass;

    fn note(onset: u32, duration: u32, pitch: u8) -> Note {
        Note {
            onset,
            duration,
            pitch: Pitch(pitch),
            velocity: 90,
        }
    }

    fn bar(chord: &str, notes: Vec<Note>) -> Bar {
        let mut bar = Bar::new(Meter::FOUR_FOUR);
        bar.chords.push(ChordChange {
            position: 0,
            chord: Some(chord.parse().unwrap()),
        });
        bar.melody = notes;
        bar
    }

    #[test]
    fn an_opening_keeps_the_first_bars_and_shortens_notes_held_past_the_cut() {
        let sheet = LeadSheet {
            title: "t".into(),
            key: Key::major(PitchClass::new(0)),
            tempo: Tempo::default(),
            sections: vec![
                Section::new(
                    SectionKind::Verse,
                    vec![
                        bar("C", vec![note(0, 48, 60)]),
                        bar("F", vec![note(24, 96, 65)]),
                    ],
                ),
                Section::new(SectionKind::Chorus, vec![bar("G", vec![note(0, 12, 67)])]),
            ],
        };
        let three = sheet.opening(3);
        assert_eq!(three, sheet, "a cut past the end keeps everything");
        let one = sheet.opening(2);
        assert_eq!(one.sections.len(), 1);
        assert_eq!(one.bar_count(), 2);
        assert_eq!(
            one.sections[0].bars[1].melody[0].duration, 24,
            "held to the cut only"
        );
        assert_eq!(sheet.opening(1).bar_count(), 1);
    }

    fn sheet(sections: Vec<Section>) -> LeadSheet {
        LeadSheet {
            title: "test".into(),
            key: Key::minor(PitchClass::new(9)),
            tempo: Tempo::new(96.0).unwrap(),
            sections,
        }
    }

    #[test]
    fn section_names_are_read_from_marker_text() {
        assert_eq!(SectionKind::from_text("Verse 2"), Some(SectionKind::Verse));
        assert_eq!(
            SectionKind::from_text("PRE-CHORUS"),
            Some(SectionKind::PreChorus)
        );
        assert_eq!(SectionKind::from_text("Refrain"), Some(SectionKind::Chorus));
        assert_eq!(SectionKind::from_text("guitar solo"), None);
        for kind in SectionKind::ALL {
            if kind != SectionKind::Other {
                assert_eq!(SectionKind::from_text(kind.name()), Some(kind));
            }
        }
    }

    #[test]
    fn an_idea_is_a_verse_then_a_chorus() {
        let verse = Section::new(SectionKind::Verse, vec![bar("Am", vec![note(0, 12, 69)])]);
        let chorus = Section::new(SectionKind::Chorus, vec![bar("F", vec![note(0, 48, 72)])]);
        let idea = Idea::new(sheet(vec![verse.clone(), chorus.clone()])).unwrap();
        assert_eq!(idea.chorus().bars[0].melody[0].pitch, Pitch(72));
        assert!(Idea::new(sheet(vec![chorus.clone(), verse.clone()])).is_err());
        assert!(Idea::new(sheet(vec![verse])).is_err());
        let json = serde_json::to_string(&idea).unwrap();
        assert_eq!(serde_json::from_str::<Idea>(&json).unwrap(), idea);
    }

    #[test]
    fn validation_rejects_two_melody_lines_and_notes_outside_bars() {
        let overlapping = bar("C", vec![note(0, 24, 60), note(12, 12, 64)]);
        assert!(
            sheet(vec![Section::new(SectionKind::Other, vec![overlapping])])
                .validate()
                .is_err()
        );
        let tied_over = bar("C", vec![note(36, 24, 60)]);
        let next = bar("G", vec![note(12, 12, 62)]);
        assert!(
            sheet(vec![Section::new(
                SectionKind::Other,
                vec![tied_over.clone(), next]
            )])
            .validate()
            .is_ok()
        );
        let clash = bar("G", vec![note(0, 12, 62)]);
        assert!(
            sheet(vec![Section::new(
                SectionKind::Other,
                vec![tied_over, clash]
            )])
            .validate()
            .is_err()
        );
        let outside = bar("C", vec![note(48, 12, 60)]);
        assert!(
            sheet(vec![Section::new(SectionKind::Other, vec![outside])])
                .validate()
                .is_err()
        );
    }

    #[test]
    fn placement_and_transposition() {
        let s = sheet(vec![Section::new(
            SectionKind::Verse,
            vec![
                Bar::pickup(Meter::FOUR_FOUR, 12),
                bar("Am", vec![note(6, 6, 69)]),
            ],
        )]);
        assert_eq!(s.bar_starts(), [0, 12]);
        let melody = s.melody();
        assert_eq!(melody[0].absolute(melody[0].item.onset), 18);
        let up = s.transpose(3).unwrap();
        assert_eq!(up.key.to_string(), "Cm");
        assert_eq!(
            up.sections[0].bars[1].chords[0].chord.unwrap().to_string(),
            "Cm"
        );
        assert!(s.transpose(100).is_err());
    }
}
