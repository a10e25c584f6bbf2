//! The plain musical features of a verse+chorus that the realness test's classifier sees: note
//! density and lengths, onset positions, melodic intervals, contour and same-pitch runs, register,
//! chord-tone fit and key, harmonic rhythm, bar-to-bar repetition and how the chorus differs from
//! the verse.
//!
//! Every feature is a pure function of the lead sheet (never of the MIDI export: nothing counts
//! the notes of a chord voicing or a velocity), and none grows with the idea's length, so ideas
//! and real pairs of other lengths stand on one scale. A figure that does not exist for an idea
//! (the intervals of a one-note melody) is 0. Durations and positions are in beats of the bar's
//! meter; shares are of the melody's notes unless the name says otherwise.

use std::collections::HashSet;

use crate::eval::metrics::{
    self, SIXTEENTH_TICKS, bar_similarity, chord_tone_ratio_on_beats, harmonic_rhythm,
    in_key_ratio, longest_same_pitch_run, pitch_class_entropy, scale_consistency,
};
use crate::music::{Bar, ChordSymbol, Idea, LeadSheet, MajMin, Note, Section};

/// One idea's features: name and value, always the same names in the same order.
pub type Features = Vec<(&'static str, f64)>;

/// A melody note on the idea's time line.
#[derive(Debug, Clone, Copy)]
struct Placed {
    /// Ticks from the start of the idea.
    start: u32,
    onset_in_bar: u32,
    duration: u32,
    pitch: i32,
    /// Ticks per beat of its bar's meter.
    beat: u32,
}

/// Collects features in order.
#[derive(Default)]
struct Out(Features);

impl Out {
    fn push(&mut self, name: &'static str, value: f64) {
        self.0
            .push((name, if value.is_finite() { value } else { 0.0 }));
    }

    fn push_opt(&mut self, name: &'static str, value: Option<f64>) {
        self.push(name, value.unwrap_or(0.0));
    }
}

/// The features of one idea.
pub fn features(idea: &Idea) -> Features {
    let sheet = idea.sheet();
    let notes = placed(sheet);
    let bars: Vec<&Bar> = sheet.bars().collect();
    let mut out = Out::default();
    density_and_lengths(&notes, &bars, sheet, &mut out);
    onsets(&notes, &bars, &mut out);
    intervals(&notes, &mut out);
    contour_and_runs(idea, &notes, &mut out);
    register(&notes, &bars, &mut out);
    tonality(sheet, &notes, &mut out);
    harmony(idea, &mut out);
    repetition(&bars, &mut out);
    contrast(idea, &mut out);
    out.0
}

/// The names of [`features`], in order.
pub fn names() -> Vec<&'static str> {
    features(&probe()).into_iter().map(|(n, _)| n).collect()
}

/// A one-bar verse and chorus, only to read the feature names off.
fn probe() -> Idea {
    use crate::music::{Meter, SectionKind, Tempo};
    let bar = Bar::new(Meter::FOUR_FOUR);
    Idea::new(LeadSheet {
        title: String::new(),
        key: crate::music::Key::major(crate::music::PitchClass::new(0)),
        tempo: Tempo::new(100.0).expect("100 bpm is a valid tempo"),
        sections: vec![
            Section::new(SectionKind::Verse, vec![bar.clone()]),
            Section::new(SectionKind::Chorus, vec![bar]),
        ],
    })
    .expect("two empty 4/4 bars make a valid idea")
}

fn placed(sheet: &LeadSheet) -> Vec<Placed> {
    let mut out = Vec::new();
    for (bar, start) in sheet.bars().zip(sheet.bar_starts()) {
        for n in &bar.melody {
            out.push(Placed {
                start: start + n.onset,
                onset_in_bar: n.onset,
                duration: n.duration,
                pitch: i32::from(n.pitch.0),
                beat: bar.meter.beat_ticks().max(1),
            });
        }
    }
    out
}

fn share<T>(items: &[T], inside: impl Fn(&T) -> bool) -> Option<f64> {
    let hits = items.iter().filter(|x| inside(x)).count();
    (!items.is_empty()).then(|| hits as f64 / items.len() as f64)
}

fn mean(values: impl IntoIterator<Item = f64>) -> Option<f64> {
    let (sum, n) = values
        .into_iter()
        .fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    (n > 0).then(|| sum / n as f64)
}

fn std_dev(values: &[f64]) -> Option<f64> {
    let m = mean(values.iter().copied())?;
    mean(values.iter().map(|v| (v - m).powi(2))).map(f64::sqrt)
}

fn beats(ticks: u32, beat: u32) -> f64 {
    f64::from(ticks) / f64::from(beat)
}

fn density_and_lengths(notes: &[Placed], bars: &[&Bar], sheet: &LeadSheet, out: &mut Out) {
    let bar_count = bars.len().max(1) as f64;
    out.push("notes per bar", notes.len() as f64 / bar_count);
    let empty = bars.iter().filter(|b| b.melody.is_empty()).count();
    out.push("bars without a note", empty as f64 / bar_count);
    out.push_opt("sounding share", metrics::rhythm(sheet).sounding_share);
    let sixteenth = SIXTEENTH_TICKS;
    out.push_opt(
        "sixteenths or shorter",
        share(notes, |n| n.duration <= sixteenth),
    );
    out.push_opt(
        "eighths",
        share(notes, |n| {
            n.duration > sixteenth && n.duration <= n.beat / 2
        }),
    );
    out.push_opt(
        "quarters",
        share(notes, |n| n.duration > n.beat / 2 && n.duration <= n.beat),
    );
    out.push_opt("longer than a beat", share(notes, |n| n.duration > n.beat));
    out.push_opt(
        "two beats or longer",
        share(notes, |n| n.duration >= 2 * n.beat),
    );
    // Dotted eighths, quarters and halves: 3, 6 and 12 sixteenths.
    out.push_opt(
        "dotted lengths",
        share(notes, |n| {
            n.duration % sixteenth == 0 && [3, 6, 12].contains(&(n.duration / sixteenth))
        }),
    );
    out.push_opt(
        "mean length (beats)",
        mean(notes.iter().map(|n| beats(n.duration, n.beat))),
    );
    let logs: Vec<f64> = notes
        .iter()
        .map(|n| f64::from(n.duration.max(1)).log2())
        .collect();
    out.push_opt("spread of log2 lengths", std_dev(&logs));
    let pairs: Vec<(&Placed, &Placed)> = notes.iter().zip(notes.iter().skip(1)).collect();
    out.push_opt(
        "rest of a beat or more after a note",
        share(&pairs, |(a, b)| b.start >= a.start + a.duration + a.beat),
    );
    out.push_opt(
        "next onset a sixteenth later",
        share(&pairs, |(a, b)| b.start - a.start <= sixteenth),
    );
    out.push_opt(
        "next onset over a beat later",
        share(&pairs, |(a, b)| b.start - a.start > a.beat),
    );
}

fn onsets(notes: &[Placed], bars: &[&Bar], out: &mut Out) {
    let s = SIXTEENTH_TICKS;
    out.push_opt(
        "onsets on the downbeat",
        share(notes, |n| n.onset_in_bar == 0),
    );
    out.push_opt(
        "onsets on a beat",
        share(notes, |n| n.onset_in_bar % n.beat == 0),
    );
    out.push_opt(
        "onsets on an off-beat eighth",
        share(notes, |n| {
            n.onset_in_bar % n.beat != 0 && n.onset_in_bar % (n.beat / 2).max(1) == 0
        }),
    );
    out.push_opt(
        "onsets on an off-beat sixteenth",
        share(notes, |n| {
            n.onset_in_bar % s == 0 && n.onset_in_bar % (n.beat / 2).max(1) != 0
        }),
    );
    out.push_opt(
        "onsets off the sixteenth grid",
        share(notes, |n| n.onset_in_bar % s != 0),
    );
    out.push_opt(
        "syncopations (off the beat, held over the next)",
        share(notes, |n| {
            let next_beat = (n.onset_in_bar / n.beat + 1) * n.beat;
            n.onset_in_bar % n.beat != 0 && n.onset_in_bar + n.duration > next_beat
        }),
    );
    let filled: Vec<&&Bar> = bars.iter().filter(|b| !b.melody.is_empty()).collect();
    out.push_opt(
        "bars with a note on the downbeat",
        share(&filled, |b| b.melody[0].onset == 0),
    );
    out.push_opt(
        "first onset in a bar (beats)",
        mean(
            filled
                .iter()
                .map(|b| beats(b.melody[0].onset, b.meter.beat_ticks().max(1))),
        ),
    );
    out.push_opt(
        "bars whose last note reaches the bar line",
        share(&filled, |b| {
            b.melody
                .last()
                .is_some_and(|n| n.onset + n.duration >= b.length)
        }),
    );
    let mut counts = std::collections::HashMap::new();
    for n in notes {
        *counts.entry(n.onset_in_bar / s).or_insert(0usize) += 1;
    }
    let total = notes.len().max(1) as f64;
    let entropy: f64 = counts
        .values()
        .map(|&c| {
            let p = c as f64 / total;
            -p * p.log2()
        })
        .sum();
    out.push("onset-position entropy (bits)", entropy);
}

fn steps(notes: &[Placed]) -> Vec<i32> {
    notes.windows(2).map(|w| w[1].pitch - w[0].pitch).collect()
}

fn intervals(notes: &[Placed], out: &mut Out) {
    let steps = steps(notes);
    let size = |lo: i32, hi: i32| share(&steps, move |i| (lo..=hi).contains(&i.abs()));
    out.push_opt(
        "mean absolute interval (semitones)",
        mean(steps.iter().map(|i| f64::from(i.abs()))),
    );
    out.push_opt("repeated pitches", size(0, 0));
    out.push_opt("steps (1-2 semitones)", size(1, 2));
    out.push_opt("thirds (3-4)", size(3, 4));
    out.push_opt("fourths and fifths (5-7)", size(5, 7));
    out.push_opt("sixths and sevenths (8-11)", size(8, 11));
    out.push_opt("octave or wider leaps", size(12, i32::MAX));
    let moving: Vec<i32> = steps.iter().copied().filter(|&i| i != 0).collect();
    out.push_opt("rising intervals", share(&moving, |&i| i > 0));
    let signed: Vec<f64> = steps.iter().map(|&i| f64::from(i)).collect();
    out.push_opt("spread of intervals", std_dev(&signed));
    let leaps: Vec<(i32, i32)> = steps
        .windows(2)
        .filter(|w| w[0].abs() >= 5)
        .map(|w| (w[0], w[1]))
        .collect();
    out.push_opt(
        "leaps followed by a turn",
        share(&leaps, |&(a, b)| a.signum() * b.signum() < 0),
    );
}

fn contour_and_runs(idea: &Idea, notes: &[Placed], out: &mut Out) {
    let moving: Vec<i32> = steps(notes).into_iter().filter(|&i| i != 0).collect();
    let turns: Vec<(i32, i32)> = moving.windows(2).map(|w| (w[0], w[1])).collect();
    out.push_opt(
        "changes of direction",
        share(&turns, |&(a, b)| a.signum() != b.signum()),
    );
    let runs = same_pitch_runs(notes);
    out.push_opt("mean same-pitch run", mean(runs.iter().map(|&r| r as f64)));
    let melody: Vec<Note> = idea.sheet().melody().into_iter().map(|p| p.item).collect();
    out.push(
        "longest same-pitch run",
        longest_same_pitch_run(&melody) as f64,
    );
    let in_long: usize = runs.iter().filter(|&&r| r >= 3).sum();
    out.push(
        "notes in same-pitch runs of 3 or more",
        in_long as f64 / notes.len().max(1) as f64,
    );
}

/// Lengths of the runs of consecutive notes on one pitch.
fn same_pitch_runs(notes: &[Placed]) -> Vec<usize> {
    let mut runs: Vec<usize> = Vec::new();
    for (i, n) in notes.iter().enumerate() {
        let same = i > 0 && notes[i - 1].pitch == n.pitch;
        match runs.last_mut() {
            Some(run) if same => *run += 1,
            _ => runs.push(1),
        }
    }
    runs
}

fn register(notes: &[Placed], bars: &[&Bar], out: &mut Out) {
    let pitches: Vec<f64> = notes.iter().map(|n| f64::from(n.pitch)).collect();
    out.push_opt("mean pitch", mean(pitches.iter().copied()));
    out.push_opt("spread of pitch", std_dev(&pitches));
    let range = |ps: &mut dyn Iterator<Item = i32>| {
        let (lo, hi) = ps.fold((i32::MAX, i32::MIN), |(l, h), p| (l.min(p), h.max(p)));
        (lo <= hi).then(|| f64::from(hi - lo))
    };
    out.push_opt("pitch range", range(&mut notes.iter().map(|n| n.pitch)));
    out.push_opt(
        "mean pitch range in a bar",
        mean(
            bars.iter()
                .filter_map(|b| range(&mut b.melody.iter().map(|n| i32::from(n.pitch.0)))),
        ),
    );
}

fn tonality(sheet: &LeadSheet, notes: &[Placed], out: &mut Out) {
    let melody: Vec<Note> = sheet.melody().into_iter().map(|p| p.item).collect();
    out.push_opt("chord tones on beats", chord_tone_ratio_on_beats(sheet));
    out.push_opt("chord tones, by duration", chord_tone_time_share(sheet));
    out.push_opt("in the key", in_key_ratio(&melody, sheet.key));
    out.push_opt("in the best-fitting scale", scale_consistency(&melody));
    out.push_opt("pitch-class entropy (bits)", pitch_class_entropy(&melody));
    let tonic = i32::from(sheet.key.tonic.index());
    out.push_opt(
        "notes on the tonic",
        share(notes, |n| n.pitch.rem_euclid(12) == tonic),
    );
    out.push(
        "ends on the tonic",
        f64::from(u8::from(
            notes
                .last()
                .is_some_and(|n| n.pitch.rem_euclid(12) == tonic),
        )),
    );
}

/// Of the melody's sounding time over a chord, the share whose pitch is a tone of that chord.
fn chord_tone_time_share(sheet: &LeadSheet) -> Option<f64> {
    let (mut over, mut tones) = (0u64, 0u64);
    let mut sounding: Option<ChordSymbol> = None;
    for bar in sheet.bars() {
        let carried = sounding;
        for note in &bar.melody {
            let chord = bar.chord_at(note.onset).map_or(carried, |c| c.chord);
            if let Some(chord) = chord {
                over += u64::from(note.duration);
                if chord.contains(note.pitch.class()) {
                    tones += u64::from(note.duration);
                }
            }
        }
        if let Some(last) = bar.chords.last() {
            sounding = last.chord;
        }
    }
    (over > 0).then(|| tones as f64 / over as f64)
}

/// The chords that start, in order, repeats merged across bar lines (`None` = no chord).
fn chord_starts(idea: &Idea) -> Vec<(u32, Option<ChordSymbol>)> {
    let mut out: Vec<(u32, Option<ChordSymbol>)> = Vec::new();
    for bar in idea.sheet().bars() {
        for change in &bar.chords {
            if out.last().map(|c| c.1) != Some(change.chord) {
                out.push((change.position, change.chord));
            }
        }
    }
    out
}

fn harmony(idea: &Idea, out: &mut Out) {
    let h = harmonic_rhythm(idea);
    out.push_opt("chords per bar", h.chords_per_bar);
    out.push("most chords in one bar", h.busiest_bar as f64);
    let starts = chord_starts(idea);
    out.push_opt(
        "chord changes inside a bar",
        share(&starts, |&(position, _)| position != 0),
    );
    out.push_opt("no-chord stretches", share(&starts, |&(_, c)| c.is_none()));
    let chords: Vec<ChordSymbol> = starts.iter().filter_map(|&(_, c)| c).collect();
    out.push_opt(
        "minor chords",
        share(&chords, |c| c.quality.majmin() == Some(MajMin::Minor)),
    );
    let tonic = idea.sheet().key.tonic;
    out.push_opt("tonic chords", share(&chords, |c| c.root == tonic));
    let motions: Vec<u8> = chords
        .windows(2)
        .map(|w| w[0].root.interval_to(w[1].root))
        .collect();
    out.push_opt(
        "root moves by a fourth or fifth",
        share(&motions, |&i| i == 5 || i == 7),
    );
}

/// The chord sounding on each bar's downbeat (carried over from earlier bars).
fn downbeat_chords(bars: &[&Bar]) -> Vec<Option<ChordSymbol>> {
    let mut sounding = None;
    bars.iter()
        .map(|bar| {
            let downbeat = bar.chord_at(0).map_or(sounding, |c| c.chord);
            if let Some(last) = bar.chords.last() {
                sounding = last.chord;
            }
            downbeat
        })
        .collect()
}

fn repetition(bars: &[&Bar], out: &mut Out) {
    let similarity = |d: usize| {
        mean(
            bars.iter()
                .zip(bars.iter().skip(d))
                .filter_map(|(a, b)| bar_similarity(a, b)),
        )
    };
    out.push_opt("bar similarity at 1", similarity(1));
    out.push_opt("bar similarity at 2", similarity(2));
    out.push_opt("bar similarity at 4", similarity(4));
    out.push_opt("bar similarity at 8", similarity(8));
    let rhythm = |bar: &Bar| bar.melody.iter().map(|n| n.onset).collect::<HashSet<_>>();
    let rhythm_similarity = |d: usize| {
        mean(bars.iter().zip(bars.iter().skip(d)).filter_map(|(a, b)| {
            let (ra, rb) = (rhythm(a), rhythm(b));
            let union = ra.union(&rb).count();
            (union > 0).then(|| ra.intersection(&rb).count() as f64 / union as f64)
        }))
    };
    out.push_opt("rhythm similarity at 1", rhythm_similarity(1));
    out.push_opt("rhythm similarity at 4", rhythm_similarity(4));
    let shape = |bar: &Bar| -> Vec<(u32, u32, u8)> {
        bar.melody
            .iter()
            .map(|n| (n.onset, n.duration, n.pitch.0))
            .collect()
    };
    let filled: Vec<usize> = (0..bars.len())
        .filter(|&i| !bars[i].melody.is_empty())
        .collect();
    out.push_opt(
        "bars repeating an earlier bar exactly",
        share(&filled, |&i| {
            (0..i).any(|j| shape(bars[j]) == shape(bars[i]))
        }),
    );
    let downbeats = downbeat_chords(bars);
    let pairs: Vec<usize> = (4..downbeats.len()).collect();
    out.push_opt(
        "downbeat chord as 4 bars back",
        share(&pairs, |&i| downbeats[i] == downbeats[i - 4]),
    );
}

fn section_notes(section: &Section) -> Vec<Note> {
    section.bars.iter().flat_map(|b| b.melody.clone()).collect()
}

fn contrast(idea: &Idea, out: &mut Out) {
    let (verse, chorus) = (section_notes(idea.verse()), section_notes(idea.chorus()));
    let pitch = |notes: &[Note]| mean(notes.iter().map(|n| f64::from(n.pitch.0)));
    let top = |notes: &[Note]| notes.iter().map(|n| f64::from(n.pitch.0)).reduce(f64::max);
    let length = |notes: &[Note]| mean(notes.iter().map(|n| f64::from(n.duration)));
    let per_bar = |notes: &[Note], s: &Section| notes.len() as f64 / s.bars.len().max(1) as f64;
    let difference =
        |f: &dyn Fn(&[Note]) -> Option<f64>| f(&chorus).zip(f(&verse)).map(|(c, v)| c - v);
    out.push_opt("chorus minus verse: mean pitch", difference(&pitch));
    out.push_opt("chorus minus verse: highest pitch", difference(&top));
    out.push(
        "chorus minus verse: notes per bar",
        per_bar(&chorus, idea.chorus()) - per_bar(&verse, idea.verse()),
    );
    let beat = f64::from(idea.sheet().meter().beat_ticks().max(1));
    out.push_opt(
        "chorus minus verse: mean length (beats)",
        difference(&length).map(|d| d / beat),
    );
    out.push_opt(
        "verse and chorus bar by bar (similarity)",
        mean(
            idea.verse()
                .bars
                .iter()
                .zip(&idea.chorus().bars)
                .filter_map(|(a, b)| bar_similarity(a, b)),
        ),
    );
    let progression = |s: &Section| -> Vec<Option<ChordSymbol>> {
        let mut out: Vec<Option<ChordSymbol>> = Vec::new();
        for c in s.bars.iter().flat_map(|b| &b.chords) {
            if out.last() != Some(&c.chord) {
                out.push(c.chord);
            }
        }
        out
    };
    out.push(
        "chorus chords differ from the verse's",
        f64::from(u8::from(
            progression(idea.chorus()) != progression(idea.verse()),
        )),
    );
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::music::{ChordChange, Key, Meter, Pitch, PitchClass, SectionKind, Tempo};

    /// A 4/4 bar with one chord and these (onset, duration, pitch) notes.
    pub(crate) fn bar(chord: &str, notes: &[(u32, u32, u8)]) -> Bar {
        let mut bar = Bar::new(Meter::FOUR_FOUR);
        bar.chords = vec![ChordChange {
            position: 0,
            chord: Some(chord.parse().unwrap()),
        }];
        bar.melody = notes
            .iter()
            .map(|&(onset, duration, p)| Note {
                onset,
                duration,
                pitch: Pitch(p),
                velocity: 90,
            })
            .collect();
        bar
    }

    fn idea(verse: Vec<Bar>, chorus: Vec<Bar>) -> Idea {
        Idea::new(LeadSheet {
            title: "test".into(),
            key: Key::major(PitchClass::new(0)),
            tempo: Tempo::new(100.0).unwrap(),
            sections: vec![
                Section::new(SectionKind::Verse, verse),
                Section::new(SectionKind::Chorus, chorus),
            ],
        })
        .unwrap()
    }

    fn value(features: &Features, name: &str) -> f64 {
        features
            .iter()
            .find(|(n, _)| *n == name)
            .unwrap_or_else(|| panic!("no feature {name}"))
            .1
    }

    #[test]
    fn held_whole_notes_are_long_on_the_downbeat_and_never_chatter() {
        // C held a whole bar, then E held a whole bar.
        let f = features(&idea(
            vec![bar("C", &[(0, 48, 60)])],
            vec![bar("C", &[(0, 48, 64)])],
        ));
        assert_eq!(value(&f, "notes per bar"), 1.0);
        assert_eq!(value(&f, "longer than a beat"), 1.0);
        assert_eq!(value(&f, "two beats or longer"), 1.0);
        assert_eq!(value(&f, "sixteenths or shorter"), 0.0);
        assert_eq!(value(&f, "mean length (beats)"), 4.0);
        assert_eq!(value(&f, "onsets on the downbeat"), 1.0);
        assert_eq!(value(&f, "sounding share"), 1.0);
        assert_eq!(value(&f, "bars whose last note reaches the bar line"), 1.0);
        assert_eq!(value(&f, "chord tones on beats"), 1.0);
        assert_eq!(value(&f, "chorus minus verse: mean pitch"), 4.0);
        assert_eq!(value(&f, "thirds (3-4)"), 1.0);
        assert_eq!(value(&f, "onset-position entropy (bits)"), 0.0);
    }

    #[test]
    fn an_octave_leap_and_sixteenth_runs_are_seen_as_such() {
        // Four sixteenths on C4, then a leap to C5 held for the rest of the bar.
        let verse = vec![bar(
            "C",
            &[(0, 3, 60), (3, 3, 60), (6, 3, 60), (9, 3, 60), (12, 36, 72)],
        )];
        let chorus = vec![bar("G", &[(0, 48, 72)])];
        let f = features(&idea(verse, chorus));
        assert_eq!(value(&f, "octave or wider leaps"), 1.0 / 5.0);
        assert_eq!(value(&f, "repeated pitches"), 4.0 / 5.0);
        assert_eq!(value(&f, "mean absolute interval (semitones)"), 12.0 / 5.0);
        assert_eq!(value(&f, "sixteenths or shorter"), 4.0 / 6.0);
        assert_eq!(value(&f, "longest same-pitch run"), 4.0);
        assert_eq!(
            value(&f, "notes in same-pitch runs of 3 or more"),
            4.0 / 6.0
        );
        assert_eq!(value(&f, "rising intervals"), 1.0);
        assert_eq!(value(&f, "pitch range"), 12.0);
        assert_eq!(value(&f, "onsets on an off-beat sixteenth"), 2.0 / 6.0);
        assert_eq!(value(&f, "onsets on an off-beat eighth"), 1.0 / 6.0);
        assert_eq!(value(&f, "chorus chords differ from the verse's"), 1.0);
        assert_eq!(value(&f, "root moves by a fourth or fifth"), 1.0);
    }

    #[test]
    fn every_idea_has_the_same_finite_features() {
        let names = names();
        assert!(names.len() >= 55, "{} features", names.len());
        let unique: HashSet<&&str> = names.iter().collect();
        assert_eq!(unique.len(), names.len(), "feature names are unique");
        let f = features(&idea(vec![bar("C", &[])], vec![bar("Am", &[(6, 3, 67)])]));
        assert_eq!(f.iter().map(|(n, _)| *n).collect::<Vec<_>>(), names);
        assert!(f.iter().all(|(_, v)| v.is_finite()));
    }
}
