//! Sections for songs without markers, inferred from the music: its phrases, which of them
//! repeat, and where the melody sits.
//!
//! The steps:
//! 1. **Bars compared**: each bar becomes its melody on a 16th-note grid (the pitch sounding at
//!    every 16th, or a rest) and its chord on every beat. Two bars are as similar as the share of
//!    16ths where their melodies sound the same pitch (of those where either sounds), weighted
//!    [`MELODY_SHARE`], plus the share of beats with the same chord; bars without melody are
//!    compared by their chords alone.
//! 2. **Phrases**: the bars are cut into phrases by dynamic programming. A phrase scores for
//!    repeating elsewhere in the song (its best mean bar similarity with another stretch of the
//!    same length, above [`REPEAT_BASELINE`], per bar), for ending where the melody rests, and by
//!    its length: 4 and 8 bars are preferred, 2 and 6 allowed at a cost, other lengths cost more
//!    ([`length_prior`]).
//! 3. **Classes**: a phrase with melody in fewer than a third of its bars is instrumental (`i`
//!    at the start of the song, `o` at its end, `x` between). Melodic phrases join the first class
//!    whose phrases they resemble (mean bar similarity at least [`SAME_CLASS`]) or start a new
//!    one, lettered `A`, `B`, … in order of appearance.
//! 4. **Kinds**: the classes are named by the rule the POP909 phrase labels are named by
//!    ([`crate::music::phrases::assign_kinds`]): the first melodic class is the verse; of the
//!    others that repeat, the one whose melody sits highest is the chorus; a class that always
//!    leads into the chorus is a pre-chorus, other melodic classes are bridges; instrumental
//!    phrases are intro, outro or other.
//!
//! One section per phrase, labelled with its kind and class (`Chorus B`).

use crate::music::phrases::{Phrase, PitchTally, assign_kinds};
use crate::music::{Bar, ChordChange, ChordSymbol, MajMin, Note, SectionKind};

/// How much the melody counts in a bar's similarity (the chords count the rest).
pub const MELODY_SHARE: f64 = 0.7;
/// Similarity a repeat must exceed to count for a phrase.
pub const REPEAT_BASELINE: f64 = 0.5;
/// Score for a phrase that ends where the melody rests.
pub const REST_BONUS: f64 = 0.5;
/// The mean bar similarity at which two phrases are one class.
pub const SAME_CLASS: f64 = 0.6;
/// How many semitones of register one more repeat of a class is worth when the chorus is chosen.
pub const REPEAT_SEMITONES: f64 = 2.0;
/// What comparing a phrase one unit early or late costs against its similarity.
pub const SHIFT_COST: f64 = 0.05;
/// The longest phrase considered, in bars.
pub const MAX_PHRASE_BARS: usize = 8;

/// An inferred phrase: where it starts (bar index), its length and its class letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InferredPhrase {
    pub start: usize,
    pub bars: usize,
    pub class: char,
    pub kind: SectionKind,
}

/// The score of a phrase length (see the module rules).
pub fn length_prior(bars: usize) -> f64 {
    match bars {
        4 => 0.0,
        8 => 0.2,
        2 => -1.0,
        6 => -0.8,
        1 => -3.0,
        _ => -1.5,
    }
}

/// What a bar holds, for comparing bars.
#[derive(Debug, Clone)]
struct BarPrint {
    /// The melody pitch sounding at every 16th (0 = rest).
    melody: Vec<u8>,
    /// The chord on every beat: (root, major or minor), `None` for N.C. or another quality.
    chords: Vec<Option<(u8, bool)>>,
    has_melody: bool,
    /// Whether the melody rests (or holds a note) through the bar's last beat.
    rests_at_end: bool,
}

/// A bar's print; `carried` is the chord sounding when the bar starts (from an earlier bar).
fn print_bar(bar: &Bar, carried: &mut Option<ChordSymbol>) -> BarPrint {
    const SIXTEENTH: u32 = 3;
    let slots = (bar.length / SIXTEENTH).max(1) as usize;
    let mut melody = vec![0u8; slots];
    for note in &bar.melody {
        let first = (note.onset / SIXTEENTH) as usize;
        let last = ((note.onset + note.duration).div_ceil(SIXTEENTH) as usize).min(slots);
        for slot in melody.iter_mut().take(last).skip(first) {
            *slot = note.pitch.0;
        }
    }
    let beat = bar.meter.beat_ticks().max(1);
    let before = *carried;
    let chords = (0..bar.length.div_ceil(beat))
        .map(|b| {
            let chord = bar.chord_at(b * beat).map_or(before, |c| c.chord);
            chord.and_then(|c| Some((c.root.index(), c.quality.majmin()? == MajMin::Major)))
        })
        .collect();
    if let Some(last) = bar.chords.last() {
        *carried = last.chord;
    }
    let last_beat = bar.length.saturating_sub(beat);
    BarPrint {
        melody,
        chords,
        has_melody: !bar.melody.is_empty(),
        rests_at_end: bar.melody.iter().all(|n| n.onset < last_beat),
    }
}

/// How alike two bars are, 0..=1 (see the module rules).
fn bar_similarity(a: &BarPrint, b: &BarPrint) -> f64 {
    let beats = a.chords.len().max(b.chords.len()).max(1);
    let same_chords = a
        .chords
        .iter()
        .zip(&b.chords)
        .filter(|(x, y)| x.is_some() && x == y)
        .count();
    let chords = same_chords as f64 / beats as f64;
    match (a.has_melody, b.has_melody) {
        (false, false) => chords,
        (true, true) => {
            let (mut sounding, mut same) = (0usize, 0usize);
            for (k, (x, y)) in a.melody.iter().zip(&b.melody).enumerate() {
                if *x != 0 || *y != 0 {
                    sounding += 1;
                    let near = |line: &[u8], pitch: u8| {
                        line[k.saturating_sub(1)..(k + 2).min(line.len())].contains(&pitch)
                    };
                    if x == y
                        || (*x != 0 && near(&b.melody, *x))
                        || (*y != 0 && near(&a.melody, *y))
                    {
                        same += 1;
                    }
                }
            }
            let melody = same as f64 / sounding.max(1) as f64;
            MELODY_SHARE * melody + (1.0 - MELODY_SHARE) * chords
        }
        _ => (1.0 - MELODY_SHARE) * chords * 0.5,
    }
}

/// The most phrase units inferred over (a ten-minute song at 120 BPM has 300 bars of 4/4):
/// comparing every unit with every other grows with the square of the length, so longer songs
/// get no inferred sections.
pub const MAX_UNITS: usize = 1000;

/// The fewest beats a phrase unit holds: shorter bars (2/4, 6/8) are paired.
pub const MIN_UNIT_BEATS: u32 = 3;

/// Infers the phrases of a song and names them (see the module rules). Empty for no bars, and
/// for songs of more than [`MAX_UNITS`] units.
///
/// Phrases are counted in units of at least [`MIN_UNIT_BEATS`] beats: in a song written in
/// short bars (POP909's MIDI files are in 2/4) two bars make one unit, paired from the first
/// bar or from the second, whichever phrases the song better.
pub fn infer_phrases(bars: &[Bar]) -> Vec<InferredPhrase> {
    if bars.len() > 2 * MAX_UNITS {
        return Vec::new();
    }
    let short = bars
        .iter()
        .filter(|b| b.meter.beats_per_bar() < MIN_UNIT_BEATS)
        .count();
    if short * 2 <= bars.len() {
        return infer_on_units(bars).1;
    }
    let mut best: Option<(f64, Vec<InferredPhrase>)> = None;
    for phase in 0..2usize.min(bars.len()) {
        // Units: the bars before `phase` alone, then pairs.
        let mut firsts: Vec<usize> = (0..phase).collect();
        firsts.extend((phase..bars.len()).step_by(2));
        let units: Vec<Bar> = firsts
            .iter()
            .enumerate()
            .map(|(u, &first)| {
                let end = firsts.get(u + 1).copied().unwrap_or(bars.len());
                join_bars(&bars[first..end])
            })
            .collect();
        let (score, phrases) = infer_on_units(&units);
        if best.as_ref().is_none_or(|(b, _)| score > *b) {
            let phrases = phrases
                .into_iter()
                .map(|p| {
                    let start = firsts[p.start];
                    let end = firsts.get(p.start + p.bars).copied().unwrap_or(bars.len());
                    InferredPhrase {
                        start,
                        bars: end - start,
                        ..p
                    }
                })
                .collect();
            best = Some((score, phrases));
        }
    }
    best.map(|(_, phrases)| phrases).unwrap_or_default()
}

/// Bars joined into one (melody and chords moved to their place in it).
fn join_bars(bars: &[Bar]) -> Bar {
    let mut joined = Bar::pickup(
        bars.first().map(|b| b.meter).unwrap_or_default(),
        bars.iter().map(|b| b.length).sum(),
    );
    let mut offset = 0;
    for bar in bars {
        joined.melody.extend(bar.melody.iter().map(|n| Note {
            onset: n.onset + offset,
            ..*n
        }));
        joined.chords.extend(bar.chords.iter().map(|c| ChordChange {
            position: c.position + offset,
            ..*c
        }));
        offset += bar.length;
    }
    joined
}

/// [`infer_phrases`] on bars taken as they are: the segmentation's score and the phrases.
fn infer_on_units(bars: &[Bar]) -> (f64, Vec<InferredPhrase>) {
    let n = bars.len();
    if n == 0 || n > MAX_UNITS {
        return (0.0, Vec::new());
    }
    let mut carried = None;
    let prints: Vec<BarPrint> = bars.iter().map(|b| print_bar(b, &mut carried)).collect();
    let mut similar = vec![vec![0.0f64; n]; n];
    for (i, a) in prints.iter().enumerate() {
        for (j, b) in prints.iter().enumerate().skip(i) {
            let s = bar_similarity(a, b);
            similar[i][j] = s;
            similar[j][i] = s;
        }
    }
    let (score, cuts) = segment(&similar, &prints);
    let melodic: Vec<bool> = cuts
        .windows(2)
        .map(|w| {
            let with_melody = prints[w[0]..w[1]].iter().filter(|p| p.has_melody).count();
            with_melody * 3 >= w[1] - w[0]
        })
        .collect();
    let classes = classify(&cuts, &melodic, &similar);
    let means: Vec<f64> = cuts
        .windows(2)
        .map(|w| {
            let notes: Vec<f64> = bars[w[0]..w[1]]
                .iter()
                .flat_map(|b| b.melody.iter().map(|n| n.pitch.0 as f64))
                .collect();
            notes.iter().sum::<f64>() / notes.len().max(1) as f64
        })
        .collect();
    let (cuts, classes) = join_paired_classes(cuts, classes, &means);
    let phrases: Vec<Phrase> = cuts
        .windows(2)
        .zip(&classes)
        .map(|(w, &class)| Phrase {
            class,
            bars: (w[1] - w[0]) as u32,
        })
        .collect();
    let tallies: Vec<PitchTally> = cuts
        .windows(2)
        .map(|w| {
            bars[w[0]..w[1]].iter().flat_map(|b| &b.melody).fold(
                PitchTally::default(),
                |t, note| PitchTally {
                    sum: t.sum + note.pitch.0 as f64,
                    notes: t.notes + 1,
                },
            )
        })
        .collect();
    // The chorus is chosen by register and repetition: each repeat of a class counts as
    // [`REPEAT_SEMITONES`] higher.
    let repeats = |class: char| phrases.iter().filter(|p| p.class == class).count() as f64;
    let weighed: Vec<PitchTally> = phrases
        .iter()
        .zip(&tallies)
        .map(|(p, t)| PitchTally {
            sum: t.sum + t.notes as f64 * REPEAT_SEMITONES * repeats(p.class),
            notes: t.notes,
        })
        .collect();
    let roles = assign_kinds(&phrases, &weighed);
    let phrases = cuts
        .windows(2)
        .zip(classes)
        .zip(roles.kinds)
        .map(|((w, class), kind)| InferredPhrase {
            start: w[0],
            bars: w[1] - w[0],
            class,
            kind,
        })
        .collect();
    (score, phrases)
}

/// The best cut of the bars into phrases: its score, and the bar indices where phrases start
/// with `n` last.
fn segment(similar: &[Vec<f64>], prints: &[BarPrint]) -> (f64, Vec<usize>) {
    let n = similar.len();
    let mut best = vec![f64::NEG_INFINITY; n + 1];
    let mut from = vec![0usize; n + 1];
    best[0] = 0.0;
    for end in 1..=n {
        for length in 1..=MAX_PHRASE_BARS.min(end) {
            let start = end - length;
            let score = best[start] + phrase_score(similar, prints, start, length);
            if score > best[end] {
                best[end] = score;
                from[end] = start;
            }
        }
    }
    let mut cuts = vec![n];
    let mut at = n;
    while at > 0 {
        at = from[at];
        cuts.push(at);
    }
    cuts.reverse();
    (best[n], cuts)
}

/// A phrase's score: its repetition, its end and its length (see the module rules).
fn phrase_score(similar: &[Vec<f64>], prints: &[BarPrint], start: usize, length: usize) -> f64 {
    let n = similar.len();
    let mut repeat: f64 = 0.0;
    for other in 0..=n.saturating_sub(length) {
        if other + length > start && start + length > other {
            continue; // overlapping stretches do not count as repeats
        }
        let mean = (0..length)
            .map(|t| similar[start + t][other + t])
            .sum::<f64>()
            / length as f64;
        repeat = repeat.max(mean);
    }
    let end = start + length;
    let rests = prints[end - 1].rests_at_end || end == n;
    length as f64 * (repeat - REPEAT_BASELINE)
        + if rests { REST_BONUS } else { 0.0 }
        + length_prior(length)
}

/// The longest phrase two joined phrases may make, in units.
pub const MAX_JOINED_BARS: usize = 16;

/// How close (semitones) the mean pitches of two classes must be for them to be halves of one
/// phrase: a verse and the chorus after it differ in register, the halves of a chorus do not.
pub const JOIN_REGISTER: f64 = 3.0;

/// Joins two melodic classes that always come as a pair (every `B` directly followed by a `C`,
/// every `C` directly after a `B`, at least twice) and sit in one register
/// ([`JOIN_REGISTER`]): the halves of one longer phrase, such as a chorus of two four-bar
/// halves. Repeats until no pair is left. `means` holds each phrase's mean melody pitch.
fn join_paired_classes(
    mut cuts: Vec<usize>,
    mut classes: Vec<char>,
    means: &[f64],
) -> (Vec<usize>, Vec<char>) {
    let mut means = means.to_vec();
    let class_mean = |classes: &[char], means: &[f64], class: char| -> f64 {
        let of: Vec<f64> = (0..classes.len())
            .filter(|&i| classes[i] == class)
            .map(|i| means[i])
            .collect();
        of.iter().sum::<f64>() / of.len().max(1) as f64
    };
    loop {
        let mut joined = false;
        let letters: Vec<char> = classes
            .iter()
            .copied()
            .filter(|c| c.is_ascii_uppercase())
            .collect();
        'pairs: for &first in &letters {
            let at: Vec<usize> = (0..classes.len())
                .filter(|&i| classes[i] == first)
                .collect();
            let Some(&second) = at.first().and_then(|&i| classes.get(i + 1)) else {
                continue;
            };
            if second == first || !second.is_ascii_uppercase() || at.len() < 2 {
                continue;
            }
            let always_followed = at.iter().all(|&i| classes.get(i + 1) == Some(&second));
            let always_preceded = (0..classes.len())
                .filter(|&i| classes[i] == second)
                .all(|i| i > 0 && classes[i - 1] == first);
            let short_enough = || at.iter().all(|&i| cuts[i + 2] - cuts[i] <= MAX_JOINED_BARS);
            let one_register = || {
                (class_mean(&classes, &means, first) - class_mean(&classes, &means, second)).abs()
                    <= JOIN_REGISTER
            };
            if always_followed && always_preceded && short_enough() && one_register() {
                for &i in at.iter().rev() {
                    let length = |k: usize| (cuts[k + 1] - cuts[k]) as f64;
                    means[i] = (means[i] * length(i) + means[i + 1] * length(i + 1))
                        / (length(i) + length(i + 1));
                    means.remove(i + 1);
                    cuts.remove(i + 1);
                    classes.remove(i + 1);
                }
                joined = true;
                break 'pairs;
            }
        }
        if !joined {
            return (cuts, classes);
        }
    }
}

/// Class letters per phrase (see the module rules, step 3).
fn classify(cuts: &[usize], melodic: &[bool], similar: &[Vec<f64>]) -> Vec<char> {
    let count = melodic.len();
    let n = similar.len();
    let mut classes = Vec::with_capacity(count);
    // Each class: its letter and its phrases' (start, length).
    let mut known: Vec<(char, Vec<(usize, usize)>)> = Vec::new();
    for (index, w) in cuts.windows(2).enumerate() {
        let (start, length) = (w[0], w[1] - w[0]);
        if !melodic[index] {
            let letter = if index == 0 {
                'i'
            } else if index + 1 == count {
                'o'
            } else {
                'x'
            };
            classes.push(letter);
            continue;
        }
        let resemblance = |members: &Vec<(usize, usize)>| -> f64 {
            members
                .iter()
                .flat_map(|&(other, other_length)| {
                    // Also one unit early or late: repeats are not always cut alike.
                    [0isize, -1, 1].into_iter().filter_map(move |shift| {
                        let other = other.checked_add_signed(shift)?;
                        let shared = length.min(other_length).min(n.checked_sub(other)?);
                        (shared > 0).then(|| {
                            let sum: f64 = (0..shared).map(|t| similar[start + t][other + t]).sum();
                            sum / shared as f64 - if shift == 0 { 0.0 } else { SHIFT_COST }
                        })
                    })
                })
                .fold(0.0, f64::max)
        };
        let found = known
            .iter_mut()
            .find(|(_, members)| resemblance(members) >= SAME_CLASS);
        match found {
            Some((letter, members)) => {
                members.push((start, length));
                classes.push(*letter);
            }
            None => {
                // `X` is the annotation's "unclassified" letter: skip it.
                let letter = (b'A'..=b'Z')
                    .map(char::from)
                    .filter(|&c| c != 'X')
                    .nth(known.len())
                    .unwrap_or('X');
                known.push((letter, vec![(start, length)]));
                classes.push(letter);
            }
        }
    }
    classes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::music::{Meter, Pitch};

    /// A 4/4 bar: one chord, and (unless `pitches` is empty) a melody of quarter notes.
    fn bar(chord: &str, pitches: &[u8]) -> Bar {
        let mut bar = Bar::new(Meter::FOUR_FOUR);
        bar.chords.push(ChordChange {
            position: 0,
            chord: Some(chord.parse().unwrap()),
        });
        for (beat, &pitch) in pitches.iter().enumerate() {
            bar.melody.push(Note {
                onset: beat as u32 * 12,
                duration: 12,
                pitch: Pitch(pitch),
                velocity: 80,
            });
        }
        bar
    }

    fn verse() -> Vec<Bar> {
        vec![
            bar("C", &[60, 62, 64, 62]),
            bar("Am", &[60, 57, 60]),
            bar("F", &[57, 60, 62, 64]),
            bar("G", &[62, 59]),
        ]
    }

    fn chorus() -> Vec<Bar> {
        vec![
            bar("F", &[72, 74, 76, 74]),
            bar("G", &[74, 71, 72]),
            bar("Em", &[76, 74, 72, 71]),
            bar("Am", &[72, 69]),
        ]
    }

    fn intro() -> Vec<Bar> {
        ["C", "G", "Am", "F"].iter().map(|c| bar(c, &[])).collect()
    }

    fn kinds(phrases: &[InferredPhrase]) -> Vec<(SectionKind, usize)> {
        phrases.iter().map(|p| (p.kind, p.bars)).collect()
    }

    #[test]
    fn the_repeated_high_phrase_is_the_chorus_and_the_one_before_it_the_verse() {
        let mut song = intro();
        for _ in 0..2 {
            song.extend(verse());
            song.extend(chorus());
        }
        song.extend(chorus());
        let phrases = infer_phrases(&song);
        use SectionKind::*;
        assert_eq!(
            kinds(&phrases),
            [
                (Intro, 4),
                (Verse, 4),
                (Chorus, 4),
                (Verse, 4),
                (Chorus, 4),
                (Chorus, 4)
            ]
        );
        assert_eq!(phrases[1].class, phrases[3].class);
        assert_eq!(phrases[2].class, phrases[5].class);
        assert_eq!(phrases[0].class, 'i');
    }

    #[test]
    fn short_bars_are_paired_into_phrase_units() {
        // The same song in 2/4: every 4/4 bar written as two 2/4 bars.
        let two_four: Meter = "2/4".parse().unwrap();
        let halves = |bars: Vec<Bar>| -> Vec<Bar> {
            bars.into_iter()
                .flat_map(|b| {
                    let mut first = Bar::new(two_four);
                    let mut second = Bar::new(two_four);
                    first.chords = b.chords.clone();
                    for n in b.melody {
                        if n.onset < 24 {
                            first.melody.push(n);
                        } else {
                            second.melody.push(Note {
                                onset: n.onset - 24,
                                ..n
                            });
                        }
                    }
                    [first, second]
                })
                .collect()
        };
        let mut song = Vec::new();
        for _ in 0..2 {
            song.extend(halves(verse()));
            song.extend(halves(chorus()));
        }
        let phrases = infer_phrases(&song);
        use SectionKind::*;
        assert_eq!(
            kinds(&phrases),
            [(Verse, 8), (Chorus, 8), (Verse, 8), (Chorus, 8)]
        );
    }

    #[test]
    fn halves_that_always_come_together_are_one_phrase() {
        // A verse (low) and a chorus of two halves (high).
        let means = [62.0, 70.0, 71.0, 62.0, 70.0, 71.0];
        let (cuts, classes) = join_paired_classes(
            vec![0, 4, 8, 12, 16, 20, 24],
            vec!['A', 'B', 'C', 'A', 'B', 'C'],
            &means,
        );
        assert_eq!(cuts, [0, 4, 12, 16, 24]);
        assert_eq!(classes, ['A', 'B', 'A', 'B']);
        // A pair that also comes apart stays two phrases.
        let (cuts, _) = join_paired_classes(
            vec![0, 4, 8, 12, 16],
            vec!['A', 'B', 'A', 'C'],
            &[62.0, 63.0, 62.0, 63.0],
        );
        assert_eq!(cuts, [0, 4, 8, 12, 16]);
    }

    #[test]
    fn no_bars_no_phrases_and_very_long_songs_are_not_inferred() {
        assert!(infer_phrases(&[]).is_empty());
        let long: Vec<Bar> = (0..MAX_UNITS + 1).map(|_| bar("C", &[60])).collect();
        assert!(infer_phrases(&long).is_empty());
    }
}
