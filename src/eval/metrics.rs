//! The metrics themselves, per idea ([`IdeaMetrics`]) and over a set ([`SetMetrics`]).
//!
//! Definitions (each one a pure function of the lead sheet):
//! - **chord-tone ratio on beats**: of the melody notes whose onset falls on a beat of the meter
//!   (every quarter in 4/4, every dotted quarter in 6/8) and that sound over a chord, the share
//!   whose pitch class is a tone of that chord (the chord carries over bar lines until it changes);
//! - **in-key ratio**: share of melody notes in the sheet's own key ([`Key::contains`]: in minor
//!   the raised 6th and 7th count);
//! - **scale consistency**: share of melody notes in the best-fitting of the 12 major (= natural
//!   minor) scales, whatever key the sheet claims, as in Mogren (2016);
//! - **pitch-class entropy**: Shannon entropy in bits of the melody's pitch-class counts (0..log2 12);
//! - **bar similarity at distance d**: mean over bar pairs (i, i+d) of
//!   ½·J(onsets) + ½·J((onset, pitch)), J the Jaccard overlap of the two bars' sets; a pair of two
//!   empty bars is left out. The *shuffled* control measures the same after a fixed pseudo-random
//!   permutation of the idea's bars;
//! - **chorus chords differ**: the chorus's chord sequence (consecutive repeats merged, timing
//!   ignored) is not the verse's;
//! - **chorus − verse pitch**: mean MIDI pitch of the chorus notes minus that of the verse notes;
//! - **longest same-pitch run**: most consecutive melody notes on one pitch;
//! - **rhythm**: melody notes per bar; the share of melody notes shorter than an eighth
//!   ([`SHORT_NOTE_TICKS`]); the sounding share, the melody's summed durations over the sheet's
//!   length (1 = legato throughout, low = staccato or sparse); the share of onsets off the
//!   16th-note grid (triplets and other odd placements);
//! - **harmonic rhythm**: chords per bar (the chord sequences as above, over the bar count) and
//!   the most chords any one bar starts;
//! - **distinct verse progressions**: distinct verse chord sequences (as above) over the set;
//! - **distinct verse openings**: distinct sequences of the chord roots on the downbeats of the
//!   verse's first [`OPENING_BARS`] bars, as degrees above the key's tonic (0–11): a coarse
//!   measure (key, quality and chords inside bars left out) for variety where whole progressions
//!   are all distinct;
//! - **verse progression distance**: mean over pairs of ideas of the edit distance between their
//!   verse progressions written relative to the tonic (root degree and quality per chord),
//!   divided by the longer one's length (0 = same, 1 = nothing in common);
//! - **copied bars** ([`copied_bars`]): the longest run of consecutive non-empty bars whose melody,
//!   relative to the key's tonic, is note for note a run of bars of a training song.
//!
//! Set figures are means over the ideas that have the figure (equal weight per idea).

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use crate::music::{
    Bar, ChordSymbol, Idea, Key, LeadSheet, Note, PitchClass, Section, TICKS_PER_QUARTER,
};

/// The bar distances bar similarity is measured at.
pub const BAR_DISTANCES: [usize; 4] = [1, 2, 4, 8];

/// Bars of the verse whose chord roots make its opening.
pub const OPENING_BARS: usize = 4;

/// A same-pitch run longer than this many notes counts as long (the model's target is none).
pub const LONG_RUN: usize = 8;

/// A melody note shorter than this (an eighth) counts as short.
pub const SHORT_NOTE_TICKS: u32 = TICKS_PER_QUARTER / 2;

/// The 16th-note grid onsets are measured against.
pub const SIXTEENTH_TICKS: u32 = TICKS_PER_QUARTER / 4;

/// The metrics of one idea.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IdeaMetrics {
    pub bars: usize,
    pub notes: usize,
    pub chord_tone_ratio_on_beats: Option<f64>,
    pub in_key_ratio: Option<f64>,
    pub scale_consistency: Option<f64>,
    pub pitch_class_entropy: Option<f64>,
    /// One entry per [`BAR_DISTANCES`] entry.
    pub bar_similarity: Vec<Option<f64>>,
    /// The same with the bars shuffled.
    pub shuffled_bar_similarity: Vec<Option<f64>>,
    pub chorus_chords_differ: bool,
    pub chorus_minus_verse_pitch: Option<f64>,
    pub longest_same_pitch_run: usize,
    pub rhythm: Rhythm,
    pub harmonic_rhythm: HarmonicRhythm,
    /// The verse's chord sequence, consecutive repeats merged (`N.C.` for no chord).
    pub verse_progression: Vec<String>,
    /// The same relative to the key's tonic: (root degree 0–11, quality), `None` for no chord.
    #[serde(skip)]
    pub verse_degrees: Vec<Option<(u8, &'static str)>>,
    /// Root degrees of the chords on the downbeats of the verse's first [`OPENING_BARS`] bars.
    pub verse_opening: Vec<Option<u8>>,
}

/// Bar similarity at one distance, averaged over a set.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DistanceSimilarity {
    pub distance: usize,
    pub mean: Option<f64>,
}

/// The metrics of a set of ideas.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SetMetrics {
    pub ideas: usize,
    pub chord_tone_ratio_on_beats: Option<f64>,
    pub in_key_ratio: Option<f64>,
    pub scale_consistency: Option<f64>,
    pub pitch_class_entropy: Option<f64>,
    pub bar_similarity: Vec<DistanceSimilarity>,
    pub shuffled_bar_similarity: Vec<DistanceSimilarity>,
    /// Share of ideas whose chorus chords differ from the verse's.
    pub chorus_chords_differ: Option<f64>,
    pub chorus_minus_verse_pitch: Option<f64>,
    pub longest_same_pitch_run_max: usize,
    pub longest_same_pitch_run_mean: Option<f64>,
    /// Share of ideas with a same-pitch run longer than [`LONG_RUN`] notes.
    pub long_same_pitch_run_share: Option<f64>,
    pub notes_per_bar: Option<f64>,
    pub short_note_share: Option<f64>,
    pub sounding_share: Option<f64>,
    pub off_grid_share: Option<f64>,
    pub chords_per_bar: Option<f64>,
    /// Mean over ideas of the most chords one bar starts.
    pub busiest_bar_chords: Option<f64>,
    pub distinct_verse_progressions: usize,
    pub distinct_verse_openings: usize,
    /// Mean normalized edit distance between two ideas' verse progressions (`None` for < 2 ideas).
    pub verse_progression_distance: Option<f64>,
    /// Filled in by the caller with [`copied_bars`] when a training set is at hand.
    pub most_copied_bars: Option<usize>,
}

/// Measures a set of ideas.
pub fn measure(ideas: &[Idea]) -> SetMetrics {
    let each: Vec<IdeaMetrics> = ideas.iter().map(measure_idea).collect();
    summarize(&each)
}

/// Sums up per-idea metrics.
pub fn summarize(each: &[IdeaMetrics]) -> SetMetrics {
    let mean_of = |f: &dyn Fn(&IdeaMetrics) -> Option<f64>| mean(each.iter().filter_map(f));
    let by_distance = |shuffled: bool| {
        BAR_DISTANCES
            .iter()
            .enumerate()
            .map(|(i, &distance)| DistanceSimilarity {
                distance,
                mean: mean(each.iter().filter_map(|m| {
                    if shuffled {
                        m.shuffled_bar_similarity[i]
                    } else {
                        m.bar_similarity[i]
                    }
                })),
            })
            .collect()
    };
    let progressions: HashSet<&Vec<String>> = each.iter().map(|m| &m.verse_progression).collect();
    let openings: HashSet<&Vec<Option<u8>>> = each.iter().map(|m| &m.verse_opening).collect();
    SetMetrics {
        ideas: each.len(),
        chord_tone_ratio_on_beats: mean_of(&|m| m.chord_tone_ratio_on_beats),
        in_key_ratio: mean_of(&|m| m.in_key_ratio),
        scale_consistency: mean_of(&|m| m.scale_consistency),
        pitch_class_entropy: mean_of(&|m| m.pitch_class_entropy),
        bar_similarity: by_distance(false),
        shuffled_bar_similarity: by_distance(true),
        chorus_chords_differ: mean_of(&|m| Some(if m.chorus_chords_differ { 1.0 } else { 0.0 })),
        chorus_minus_verse_pitch: mean_of(&|m| m.chorus_minus_verse_pitch),
        longest_same_pitch_run_max: each
            .iter()
            .map(|m| m.longest_same_pitch_run)
            .max()
            .unwrap_or(0),
        longest_same_pitch_run_mean: mean_of(&|m| Some(m.longest_same_pitch_run as f64)),
        long_same_pitch_run_share: mean_of(&|m| {
            Some(f64::from(u8::from(m.longest_same_pitch_run > LONG_RUN)))
        }),
        notes_per_bar: mean_of(&|m| m.rhythm.notes_per_bar),
        short_note_share: mean_of(&|m| m.rhythm.short_note_share),
        sounding_share: mean_of(&|m| m.rhythm.sounding_share),
        off_grid_share: mean_of(&|m| m.rhythm.off_grid_share),
        chords_per_bar: mean_of(&|m| m.harmonic_rhythm.chords_per_bar),
        busiest_bar_chords: mean_of(&|m| Some(m.harmonic_rhythm.busiest_bar as f64)),
        distinct_verse_progressions: progressions.len(),
        distinct_verse_openings: openings.len(),
        verse_progression_distance: mean_pairwise_distance(each),
        most_copied_bars: None,
    }
}

fn mean(values: impl Iterator<Item = f64>) -> Option<f64> {
    let (sum, n) = values.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    (n > 0).then(|| sum / n as f64)
}

/// Measures one idea.
pub fn measure_idea(idea: &Idea) -> IdeaMetrics {
    let sheet = idea.sheet();
    let notes: Vec<Note> = sheet.melody().into_iter().map(|p| p.item).collect();
    let bars: Vec<&Bar> = sheet.bars().collect();
    let shuffled = shuffled(&bars, content_seed(&notes));
    let verse_progression = progression(idea.verse());
    let degree = |c: &Option<ChordSymbol>| {
        c.map(|c| {
            let d = (c.root.index() as i32 - sheet.key.tonic.index() as i32).rem_euclid(12);
            (d as u8, c.quality.harte())
        })
    };
    let verse_degrees = verse_progression.iter().map(degree).collect();
    let mut sounding = None;
    let verse_opening: Vec<Option<u8>> = idea
        .verse()
        .bars
        .iter()
        .take(OPENING_BARS)
        .map(|bar| {
            let downbeat = bar.chord_at(0).map_or(sounding, |c| c.chord);
            if let Some(last) = bar.chords.last() {
                sounding = last.chord;
            }
            degree(&downbeat).map(|d| d.0)
        })
        .collect();
    IdeaMetrics {
        bars: bars.len(),
        notes: notes.len(),
        chord_tone_ratio_on_beats: chord_tone_ratio_on_beats(sheet),
        in_key_ratio: in_key_ratio(&notes, sheet.key),
        scale_consistency: scale_consistency(&notes),
        pitch_class_entropy: pitch_class_entropy(&notes),
        bar_similarity: BAR_DISTANCES
            .iter()
            .map(|&d| similarity_at(&bars, d))
            .collect(),
        shuffled_bar_similarity: BAR_DISTANCES
            .iter()
            .map(|&d| similarity_at(&shuffled, d))
            .collect(),
        chorus_chords_differ: progression(idea.chorus()) != verse_progression,
        chorus_minus_verse_pitch: mean_pitch(idea.chorus())
            .zip(mean_pitch(idea.verse()))
            .map(|(c, v)| c - v),
        longest_same_pitch_run: longest_same_pitch_run(&notes),
        rhythm: rhythm(sheet),
        harmonic_rhythm: harmonic_rhythm(idea),
        verse_progression: verse_progression
            .iter()
            .map(|c| c.map_or("N.C.".to_string(), |c| c.to_string()))
            .collect(),
        verse_degrees,
        verse_opening,
    }
}

/// Mean over pairs of ideas of the normalized edit distance of their verse progressions.
fn mean_pairwise_distance(each: &[IdeaMetrics]) -> Option<f64> {
    let mut distances = Vec::new();
    for (i, a) in each.iter().enumerate() {
        for b in &each[i + 1..] {
            let longer = a.verse_degrees.len().max(b.verse_degrees.len());
            if longer > 0 {
                let d = edit_distance(&a.verse_degrees, &b.verse_degrees);
                distances.push(d as f64 / longer as f64);
            }
        }
    }
    mean(distances.into_iter())
}

/// Levenshtein distance between two sequences (insert, delete, substitute, each 1).
pub fn edit_distance<T: PartialEq>(a: &[T], b: &[T]) -> usize {
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, x) in a.iter().enumerate() {
        current[0] = i + 1;
        for (j, y) in b.iter().enumerate() {
            let substitute = previous[j] + usize::from(x != y);
            current[j + 1] = substitute.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

/// Share of on-beat melody notes that are tones of the chord sounding under them.
pub fn chord_tone_ratio_on_beats(sheet: &LeadSheet) -> Option<f64> {
    let mut sounding: Option<ChordSymbol> = None;
    let (mut on_chord, mut tones) = (0usize, 0usize);
    for bar in sheet.bars() {
        let carried = sounding;
        let beat = bar.meter.beat_ticks();
        for note in bar.melody.iter().filter(|n| n.onset.is_multiple_of(beat)) {
            let chord = bar.chord_at(note.onset).map_or(carried, |c| c.chord);
            if let Some(chord) = chord {
                on_chord += 1;
                tones += usize::from(chord.contains(note.pitch.class()));
            }
        }
        if let Some(last) = bar.chords.last() {
            sounding = last.chord;
        }
    }
    (on_chord > 0).then(|| tones as f64 / on_chord as f64)
}

/// Share of notes in `key` (minor counts its raised 6th and 7th).
pub fn in_key_ratio(notes: &[Note], key: Key) -> Option<f64> {
    share(notes, |pc| key.contains(pc))
}

/// Share of notes in the best-fitting major (= natural minor) scale.
pub fn scale_consistency(notes: &[Note]) -> Option<f64> {
    (0..12)
        .filter_map(|tonic| {
            let scale = Key::major(PitchClass::new(tonic)).scale();
            share(notes, |pc| scale.contains(&pc))
        })
        .max_by(f64::total_cmp)
}

fn share(notes: &[Note], inside: impl Fn(PitchClass) -> bool) -> Option<f64> {
    let hits = notes.iter().filter(|n| inside(n.pitch.class())).count();
    (!notes.is_empty()).then(|| hits as f64 / notes.len() as f64)
}

/// Shannon entropy (bits) of the notes' pitch-class counts.
pub fn pitch_class_entropy(notes: &[Note]) -> Option<f64> {
    if notes.is_empty() {
        return None;
    }
    let mut counts = [0usize; 12];
    for n in notes {
        counts[n.pitch.class().index() as usize] += 1;
    }
    let total = notes.len() as f64;
    Some(
        counts
            .iter()
            .filter(|&&c| c > 0)
            .map(|&c| {
                let p = c as f64 / total;
                -p * p.log2()
            })
            .sum(),
    )
}

/// Similarity of two bars' melodies in [0, 1]; `None` when both are empty.
pub fn bar_similarity(a: &Bar, b: &Bar) -> Option<f64> {
    if a.melody.is_empty() && b.melody.is_empty() {
        return None;
    }
    let onsets = |bar: &Bar| bar.melody.iter().map(|n| n.onset).collect::<HashSet<_>>();
    let notes = |bar: &Bar| {
        bar.melody
            .iter()
            .map(|n| (n.onset, n.pitch))
            .collect::<HashSet<_>>()
    };
    Some(0.5 * jaccard(&onsets(a), &onsets(b)) + 0.5 * jaccard(&notes(a), &notes(b)))
}

fn jaccard<T: Eq + std::hash::Hash>(a: &HashSet<T>, b: &HashSet<T>) -> f64 {
    let union = a.union(b).count();
    if union == 0 {
        return 1.0;
    }
    a.intersection(b).count() as f64 / union as f64
}

/// Mean similarity of bars `distance` apart; `None` when no pair has notes.
fn similarity_at(bars: &[&Bar], distance: usize) -> Option<f64> {
    mean(
        bars.iter()
            .zip(bars.iter().skip(distance))
            .filter_map(|(a, b)| bar_similarity(a, b)),
    )
}

/// A hash of the melody, so the shuffle is fixed per idea and the same on every run.
fn content_seed(notes: &[Note]) -> u64 {
    notes.iter().fold(0xcbf2_9ce4_8422_2325, |h, n| {
        let word = (n.onset as u64) << 16 | (n.pitch.0 as u64) << 8 | n.duration as u64 & 0xff;
        (h ^ word).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The bars in a pseudo-random order (Fisher–Yates driven by SplitMix64).
fn shuffled<'a>(bars: &[&'a Bar], seed: u64) -> Vec<&'a Bar> {
    let mut out = bars.to_vec();
    let mut state = seed;
    for i in (1..out.len()).rev() {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        out.swap(i, (z % (i as u64 + 1)) as usize);
    }
    out
}

/// The section's chords in order, consecutive repeats merged, timing ignored.
fn progression(section: &Section) -> Vec<Option<ChordSymbol>> {
    let mut out: Vec<Option<ChordSymbol>> = Vec::new();
    for change in section.bars.iter().flat_map(|b| &b.chords) {
        if out.last() != Some(&change.chord) {
            out.push(change.chord);
        }
    }
    out
}

fn mean_pitch(section: &Section) -> Option<f64> {
    mean(
        section
            .bars
            .iter()
            .flat_map(|b| &b.melody)
            .map(|n| n.pitch.0 as f64),
    )
}

/// How often the chords change.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct HarmonicRhythm {
    pub chords_per_bar: Option<f64>,
    /// The most chords one bar starts (a chord carried over the bar line is not started again).
    pub busiest_bar: usize,
}

/// The idea's [`HarmonicRhythm`], verse and chorus each merged as in [`progression`].
pub fn harmonic_rhythm(idea: &Idea) -> HarmonicRhythm {
    let sections = [idea.verse(), idea.chorus()];
    let bars: usize = sections.iter().map(|s| s.bars.len()).sum();
    let chords: usize = sections.iter().map(|s| progression(s).len()).sum();
    let mut sounding = None;
    let mut busiest = 0;
    for bar in sections.iter().flat_map(|s| &s.bars) {
        let mut started = 0;
        for change in &bar.chords {
            if Some(change.chord) != sounding {
                started += 1;
                sounding = Some(change.chord);
            }
        }
        busiest = busiest.max(started);
    }
    HarmonicRhythm {
        chords_per_bar: (bars > 0).then(|| chords as f64 / bars as f64),
        busiest_bar: busiest,
    }
}

/// How the melody moves in time: density, short notes, legato.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Rhythm {
    pub notes_per_bar: Option<f64>,
    pub short_note_share: Option<f64>,
    pub sounding_share: Option<f64>,
    pub off_grid_share: Option<f64>,
}

/// The melody's [`Rhythm`] over the whole sheet.
pub fn rhythm(sheet: &LeadSheet) -> Rhythm {
    let bars = sheet.bars().count();
    let notes: Vec<&Note> = sheet.bars().flat_map(|b| &b.melody).collect();
    let length: u64 = sheet.bars().map(|b| u64::from(b.length)).sum();
    let sounding: u64 = notes.iter().map(|n| u64::from(n.duration)).sum();
    let share = |count: usize| (!notes.is_empty()).then(|| count as f64 / notes.len() as f64);
    let short = notes
        .iter()
        .filter(|n| n.duration < SHORT_NOTE_TICKS)
        .count();
    let off_grid = notes
        .iter()
        .filter(|n| n.onset % SIXTEENTH_TICKS != 0)
        .count();
    Rhythm {
        notes_per_bar: (bars > 0).then(|| notes.len() as f64 / bars as f64),
        short_note_share: share(short),
        sounding_share: (length > 0).then(|| (sounding as f64 / length as f64).min(1.0)),
        off_grid_share: share(off_grid),
    }
}

/// Most consecutive notes on the same pitch.
pub fn longest_same_pitch_run(notes: &[Note]) -> usize {
    let mut longest = 0;
    let mut run = 0;
    for (i, note) in notes.iter().enumerate() {
        run = if i > 0 && notes[i - 1].pitch == note.pitch {
            run + 1
        } else {
            1
        };
        longest = longest.max(run);
    }
    longest
}

/// A bar's melody relative to the key's tonic: (onset, duration, semitones above the tonic's C).
type BarShape = Vec<(u32, u32, i32)>;

fn bar_shapes(sheet: &LeadSheet) -> Vec<BarShape> {
    let tonic = sheet.key.tonic.index() as i32;
    sheet
        .bars()
        .map(|b| {
            b.melody
                .iter()
                .map(|n| (n.onset, n.duration, n.pitch.0 as i32 - tonic))
                .collect()
        })
        .collect()
}

/// The longest run of consecutive non-empty bars any idea shares note for note (relative to its
/// key's tonic) with consecutive bars of a song in `corpus`.
pub fn copied_bars(ideas: &[Idea], corpus: &[LeadSheet]) -> usize {
    let songs: Vec<Vec<BarShape>> = corpus.iter().map(bar_shapes).collect();
    let mut index: HashMap<&BarShape, Vec<(usize, usize)>> = HashMap::new();
    for (s, bars) in songs.iter().enumerate() {
        for (b, shape) in bars.iter().enumerate().filter(|(_, s)| !s.is_empty()) {
            index.entry(shape).or_default().push((s, b));
        }
    }
    let mut longest = 0;
    for idea in ideas {
        let shapes = bar_shapes(idea.sheet());
        for start in 0..shapes.len() {
            for &(s, b) in index.get(&shapes[start]).into_iter().flatten() {
                let run = (0..)
                    .take_while(|&k| {
                        let (Some(mine), Some(theirs)) =
                            (shapes.get(start + k), songs[s].get(b + k))
                        else {
                            return false;
                        };
                        !mine.is_empty() && mine == theirs
                    })
                    .count();
                longest = longest.max(run);
            }
        }
    }
    longest
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::music::{ChordChange, Meter, Pitch, SectionKind, Tempo};

    fn note(onset: u32, duration: u32, pitch: u8) -> Note {
        Note {
            onset,
            duration,
            pitch: Pitch(pitch),
            velocity: 90,
        }
    }

    fn bar(chords: &[(u32, &str)], notes: &[(u32, u32, u8)]) -> Bar {
        let mut bar = Bar::new(Meter::FOUR_FOUR);
        bar.chords = chords
            .iter()
            .map(|&(position, c)| ChordChange {
                position,
                chord: Some(c.parse().unwrap()),
            })
            .collect();
        bar.melody = notes.iter().map(|&(o, d, p)| note(o, d, p)).collect();
        bar
    }

    fn idea(key: &str, verse: Vec<Bar>, chorus: Vec<Bar>) -> Idea {
        Idea::new(LeadSheet {
            title: "test".into(),
            key: key.parse().unwrap(),
            tempo: Tempo::new(100.0).unwrap(),
            sections: vec![
                Section::new(SectionKind::Verse, verse),
                Section::new(SectionKind::Chorus, chorus),
            ],
        })
        .unwrap()
    }

    /// C major arpeggio on the beats: every on-beat note a chord tone, all in C major.
    fn arpeggio_bar(chord: &str, pitches: [u8; 4]) -> Bar {
        let notes: Vec<(u32, u32, u8)> = pitches
            .iter()
            .enumerate()
            .map(|(i, &p)| (i as u32 * 12, 12, p))
            .collect();
        bar(&[(0, chord)], &notes)
    }

    #[test]
    fn chord_tones_on_beats_count_and_off_beat_notes_do_not() {
        let verse = vec![arpeggio_bar("C", [60, 64, 67, 72])];
        let chorus = vec![arpeggio_bar("G", [67, 71, 74, 79])];
        let m = measure_idea(&idea("C", verse, chorus));
        assert_eq!(m.chord_tone_ratio_on_beats, Some(1.0));
        // Half the beat notes are D over C; an off-beat F# is not counted at all.
        let verse = vec![bar(
            &[(0, "C")],
            &[
                (0, 6, 60),
                (6, 6, 66),
                (12, 12, 62),
                (24, 12, 64),
                (36, 12, 62),
            ],
        )];
        let chorus = vec![bar(&[], &[(0, 48, 60)])]; // no change: C carries over from the verse
        let m = measure_idea(&idea("C", verse, chorus));
        assert_eq!(m.chord_tone_ratio_on_beats, Some(3.0 / 5.0));
    }

    #[test]
    fn scale_measures_use_the_key_or_the_best_scale() {
        // A melody in D major, labelled C major: in-key 5/7, best scale 1.0.
        let d_major = [62, 64, 66, 67, 69, 71, 73];
        let notes: Vec<(u32, u32, u8)> = d_major
            .iter()
            .enumerate()
            .map(|(i, &p)| (i as u32 * 6, 6, p))
            .collect();
        let verse = vec![bar(&[(0, "D")], &notes)];
        let chorus = vec![bar(&[(0, "A")], &notes)];
        let m = measure_idea(&idea("C", verse, chorus));
        assert!((m.in_key_ratio.unwrap() - 5.0 / 7.0).abs() < 1e-12);
        assert_eq!(m.scale_consistency, Some(1.0));
        // Seven distinct pitch classes used equally: log2(7) bits.
        assert!((m.pitch_class_entropy.unwrap() - 7f64.log2()).abs() < 1e-12);
    }

    #[test]
    fn bar_similarity_sees_repeats_and_shuffling_breaks_them() {
        let a = arpeggio_bar("C", [60, 64, 67, 72]);
        let b = bar(&[(0, "F")], &[(0, 24, 65), (24, 24, 69)]);
        assert_eq!(bar_similarity(&a, &a), Some(1.0));
        // Onsets {0,24} ⊂ {0,12,24,36}: 2/4; no (onset, pitch) in common: 0.
        assert_eq!(bar_similarity(&a, &b), Some(0.25));
        assert_eq!(
            bar_similarity(&Bar::new(Meter::FOUR_FOUR), &Bar::new(Meter::FOUR_FOUR)),
            None
        );
        // A A B B A A B B | … : distance 4 and 8 repeat exactly, distance 1 half the time.
        let pattern: Vec<Bar> = [&a, &a, &b, &b]
            .iter()
            .cycle()
            .take(8)
            .map(|&x| x.clone())
            .collect();
        let m = measure_idea(&idea("C", pattern.clone(), pattern.clone()));
        assert_eq!(m.bar_similarity[2], Some(1.0));
        assert_eq!(m.bar_similarity[3], Some(1.0));
        let d1 = m.bar_similarity[0].unwrap();
        assert!((d1 - (8.0 * 1.0 + 7.0 * 0.25) / 15.0).abs() < 1e-12, "{d1}");
        assert!(m.shuffled_bar_similarity[3].unwrap() < 1.0);
        let again = measure_idea(&idea("C", pattern.clone(), pattern));
        assert_eq!(m.shuffled_bar_similarity, again.shuffled_bar_similarity);
    }

    #[test]
    fn verse_and_chorus_comparisons() {
        let verse = vec![
            arpeggio_bar("C", [60, 60, 60, 62]),
            arpeggio_bar("C", [62, 62, 62, 62]),
        ];
        let chorus = vec![
            arpeggio_bar("C", [64, 64, 64, 64]),
            arpeggio_bar("C", [64, 64, 65, 65]),
        ];
        let m = measure_idea(&idea("C", verse.clone(), chorus));
        assert!(
            !m.chorus_chords_differ,
            "C then C is the verse's progression"
        );
        assert!((m.chorus_minus_verse_pitch.unwrap() - (64.25 - 61.25)).abs() < 1e-12);
        assert_eq!(m.longest_same_pitch_run, 6); // 64 ×6 across the chorus bar line
        let other = vec![arpeggio_bar("Am", [69, 69, 69, 69])];
        let m2 = measure_idea(&idea("C", verse, other));
        assert!(m2.chorus_chords_differ);
        assert_eq!(m2.verse_progression, ["C"]);
        let set = summarize(&[m, m2]);
        assert_eq!(set.ideas, 2);
        assert_eq!(set.chorus_chords_differ, Some(0.5));
        assert_eq!(set.distinct_verse_progressions, 1);
        assert_eq!(set.distinct_verse_openings, 1);
        assert_eq!(set.verse_progression_distance, Some(0.0));
        assert_eq!(set.longest_same_pitch_run_max, 6);
        assert_eq!(set.long_same_pitch_run_share, Some(0.0));
    }

    #[test]
    fn rhythm_counts_density_short_notes_and_legato() {
        // Verse: four 16ths then a dotted half (5 notes, 4 short, the whole bar sounding).
        let verse = vec![bar(
            &[(0, "C")],
            &[(0, 3, 60), (3, 3, 62), (6, 3, 64), (9, 3, 65), (12, 36, 67)],
        )];
        // Chorus: one half note, then silence.
        let chorus = vec![bar(&[(0, "F")], &[(0, 24, 65)])];
        let r = measure_idea(&idea("C", verse, chorus)).rhythm;
        assert_eq!(r.notes_per_bar, Some(3.0));
        assert_eq!(r.short_note_share, Some(4.0 / 6.0));
        assert_eq!(r.sounding_share, Some((48.0 + 24.0) / 96.0));
        assert_eq!(r.off_grid_share, Some(0.0));
        let triplets = bar(
            &[(0, "C")],
            &[(0, 4, 60), (4, 4, 62), (8, 4, 64), (12, 12, 65)],
        );
        let r = measure_idea(&idea("C", vec![triplets.clone()], vec![triplets])).rhythm;
        assert_eq!(r.off_grid_share, Some(0.5));
        let empty = idea(
            "C",
            vec![bar(&[(0, "C")], &[])],
            vec![bar(&[(0, "F")], &[])],
        );
        let r = measure_idea(&empty).rhythm;
        assert_eq!((r.notes_per_bar, r.short_note_share), (Some(0.0), None));
    }

    #[test]
    fn harmonic_rhythm_counts_chords_started() {
        // C | C F G | G (carried, not started again) || Am.
        let verse = vec![
            bar(&[(0, "C")], &[]),
            bar(&[(0, "C"), (12, "F"), (36, "G")], &[]),
            bar(&[(0, "G")], &[]),
        ];
        let chorus = vec![bar(&[(0, "Am")], &[])];
        let h = measure_idea(&idea("C", verse, chorus)).harmonic_rhythm;
        assert_eq!(h.chords_per_bar, Some(4.0 / 4.0));
        assert_eq!(h.busiest_bar, 2);
    }

    #[test]
    fn variety_measures_see_degrees_not_keys() {
        let bars = |chords: [&str; 4]| -> Vec<Bar> {
            chords
                .iter()
                .map(|&c| arpeggio_bar(c, [60, 64, 67, 72]))
                .collect()
        };
        let chorus = || vec![arpeggio_bar("C", [60, 64, 67, 72])];
        // I–vi–IV–V in C and in D: the same opening and no distance, yet two progressions.
        let in_c = idea("C", bars(["C", "Am", "F", "G"]), chorus());
        let in_d = idea("D", bars(["D", "Bm", "G", "A"]), chorus());
        // I–V–vi–IV in C: two of four chords changed.
        let other = idea("C", bars(["C", "G", "Am", "F"]), chorus());
        let set = measure(&[in_c.clone(), in_d]);
        assert_eq!(set.distinct_verse_progressions, 2);
        assert_eq!(set.distinct_verse_openings, 1);
        assert_eq!(set.verse_progression_distance, Some(0.0));
        let m = measure_idea(&in_c);
        assert_eq!(m.verse_opening, [Some(0), Some(9), Some(5), Some(7)]);
        let set = measure(&[in_c, other]);
        assert_eq!(set.distinct_verse_openings, 2);
        // C Am F G → C G Am F: insert G after C, drop the last G: 2 edits of 4.
        let d = set.verse_progression_distance.unwrap();
        assert!((d - 0.5).abs() < 1e-12, "{d}");
        assert_eq!(edit_distance(&[1, 2, 3], &[1, 3]), 1);
        assert_eq!(edit_distance::<u8>(&[], &[4, 5]), 2);
    }

    #[test]
    fn copied_bars_finds_transposed_runs_of_a_training_song() {
        let a = arpeggio_bar("C", [60, 64, 67, 72]);
        let b = bar(&[(0, "F")], &[(0, 24, 65), (24, 24, 69)]);
        let c = arpeggio_bar("G", [67, 71, 74, 79]);
        let song = idea("C", vec![a.clone(), b.clone(), c.clone()], vec![a.clone()]).into_sheet();
        // The same three bars a tone up, in D: a 3-bar copy.
        let copy = idea("C", vec![a.clone(), b.clone(), c.clone()], vec![b.clone()])
            .into_sheet()
            .transpose(2)
            .unwrap();
        let copy = Idea::new(copy).unwrap();
        assert_eq!(
            copied_bars(std::slice::from_ref(&copy), std::slice::from_ref(&song)),
            3
        );
        let fresh = idea("C", vec![c.clone(), c.clone()], vec![c]);
        assert_eq!(copied_bars(&[fresh], &[song]), 1);
        assert_eq!(copied_bars(&[copy], &[]), 0);
    }
}
