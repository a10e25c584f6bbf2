//! The key of an imported song, found from its notes; a key signature is evidence, not truth.
//!
//! Most sequencers write a C-major signature whether or not the song is in C, so the importer
//! decides the key from the music and lets a signature win only where the music leaves it open.
//!
//! The steps:
//! 1. **Scale**: every harmony and melody note adds its duration to its pitch class. Each of the
//!    12 scales (a major key and its relative minor share one) scores the better correlation of
//!    that profile with Temperley's major and minor key profiles (Kostka–Payne corpus) for its two
//!    keys. The best scale wins: this gets the key or its relative in 96% of POP909 songs.
//! 2. **Tonic and mode**: which of the scale's two tonics (C major or A minor) is decided by a
//!    weighted vote of evidence, each item the major tonic's share minus the minor tonic's:
//!    the profile correlations; the melody's and the harmony's time on each tonic; the bass (the
//!    lowest harmony note of each half-beat frame) on each; the chord time on the tonic chords
//!    (I against vi); the first and the last chord; the notes that end phrases (followed by at
//!    least a half note without a new onset, or held that long); dominant-to-tonic cadences
//!    (V→I against V→vi or III→vi); and, against the major tonic, the time on the minor key's
//!    major dominant (E major in A minor). The weights ([`MODE_WEIGHTS`]) are a logistic
//!    regression fitted on the 800 POP909 songs whose scale is right, with the L2 penalty (0.7)
//!    the weakest that keeps every weight of its musically expected sign: 10-fold
//!    cross-validated accuracy 92.0% (91.2% with the penalty of 3 the weights had before).
//! 3. **Signature**: the first key signature is kept when it is the key the notes give; when it
//!    names the same scale with the other tonic and the mode vote is close
//!    ([`MODE_MARGIN`]); or when its scale's correlation is within [`SCALE_MARGIN`] of the best
//!    scale's. Otherwise the notes overrule it. A C-major signature is what sequencers write
//!    when nobody set a key (all 125 signatures in POP909's MIDI files are C major, 8 of them
//!    right), so it is weighed this way; any other signature was set on purpose and stands
//!    (a [`KeyAgreement::NearTie`] when the notes lean elsewhere, so that the evidence is
//!    seen; and a song exported by Songsketch, whose signature is its key, reads back in it).
//!    [`KeyEvidence`] records which.
//!
//! [`find_key`] does this over a stretch of bars. A song that modulates is cut into windows of
//! [`WINDOW_BARS`] bars; the key the song gets is the dominant one (the longest stretch in the
//! scale of the most windows, [`dominant_stretch`]), and [`section_keys`] gives each section the
//! key of its own bars when it is long enough to tell and its scale differs from the song's.

use serde::Serialize;

use crate::midi::grid::{BarSpan, GridNote};
use crate::music::key::correlation;
use crate::music::{ChordChange, ChordQuality, ChordSymbol, Key, MajMin, PitchClass};

/// Temperley's key profiles (Kostka–Payne corpus), C major and C minor.
const MAJOR_PROFILE: [f64; 12] = [
    0.748, 0.060, 0.488, 0.082, 0.670, 0.460, 0.096, 0.715, 0.104, 0.366, 0.057, 0.400,
];
const MINOR_PROFILE: [f64; 12] = [
    0.712, 0.084, 0.474, 0.618, 0.049, 0.460, 0.105, 0.747, 0.404, 0.067, 0.133, 0.330,
];

/// The weights of the mode vote, in the order of [`ModeEvidence::items`], then the bias. A
/// positive vote is the major tonic.
pub const MODE_WEIGHTS: [f64; 11] = [
    5.39, 2.05, 2.21, 1.57, 0.74, -1.85, 0.34, 0.50, 1.39, 0.19, -0.88,
];

/// How close to zero the mode vote must be for a signature naming the other tonic of the same
/// scale to be kept.
pub const MODE_MARGIN: f64 = 2.0;

/// How far below the best scale's correlation a signature's scale may be and still be kept.
pub const SCALE_MARGIN: f64 = 0.05;

/// How the signature and the notes agreed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyAgreement {
    /// The file has no key signature: the key is the estimate.
    NoSignature,
    /// The signature is the key the notes give.
    Agrees,
    /// The notes prefer another key, but only just (or the signature is not the C-major
    /// placeholder): the signature is kept.
    NearTie,
    /// The notes clearly say another key: the signature is overruled.
    Overruled,
}

/// What the key of a song was decided from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyEvidence {
    /// The key the song gets.
    pub key: Key,
    /// The file's first key signature, if any.
    pub signature: Option<Key>,
    /// The key the notes give.
    pub estimate: Key,
    pub agreement: KeyAgreement,
}

/// The notes and chords a key is found from, on one grid (sheet ticks).
#[derive(Debug, Clone, Copy)]
pub struct KeyMaterial<'a> {
    /// The melody line, sorted by start.
    pub melody: &'a [GridNote],
    /// The harmony, sorted by start.
    pub harmony: &'a [GridNote],
    pub bars: &'a [BarSpan],
    /// The chords of each bar (positions from the bar's start), one entry per bar.
    pub chords: &'a [Vec<ChordChange>],
}

/// Bars per window when a song is followed for key changes.
pub const WINDOW_BARS: usize = 8;

/// Songs of fewer windows are taken whole.
pub const MIN_WINDOWS: usize = 6;

/// What a scale change between windows costs, against the windows' correlations.
pub const CHANGE_COST: f64 = 0.3;

/// The longest stretch of bars in the song's dominant scale: the scale of the most windows when
/// the windows' scales are smoothed (a change costs [`CHANGE_COST`]). The whole song when it
/// does not change scale.
pub fn dominant_stretch(material: &KeyMaterial) -> std::ops::Range<usize> {
    let bars = material.bars.len();
    let windows: Vec<std::ops::Range<usize>> = (0..bars.div_ceil(WINDOW_BARS))
        .map(|w| w * WINDOW_BARS..((w + 1) * WINDOW_BARS).min(bars))
        .collect();
    if windows.len() < MIN_WINDOWS {
        return 0..bars;
    }
    let scores: Vec<[f64; 12]> = windows
        .iter()
        .map(|w| scale_scores(material, w.clone()))
        .collect();
    // Viterbi over the windows: the best path of scales.
    let mut total = scores[0];
    let mut back: Vec<[usize; 12]> = Vec::with_capacity(windows.len());
    for score in &scores[1..] {
        let best_before = (0..12)
            .max_by(|&a, &b| total[a].total_cmp(&total[b]))
            .unwrap_or(0);
        let mut from = [0usize; 12];
        let mut next = [0.0; 12];
        for (scale, (next, from)) in next.iter_mut().zip(from.iter_mut()).enumerate() {
            let stay = total[scale];
            let change = total[best_before] - CHANGE_COST;
            (*next, *from) = if stay >= change {
                (stay + score[scale], scale)
            } else {
                (change + score[scale], best_before)
            };
        }
        back.push(from);
        total = next;
    }
    let mut scale = (0..12)
        .max_by(|&a, &b| total[a].total_cmp(&total[b]))
        .unwrap_or(0);
    let mut path = vec![scale; windows.len()];
    for (index, from) in back.iter().enumerate().rev() {
        scale = from[scale];
        path[index] = scale;
    }
    let mut count = [0usize; 12];
    for &scale in &path {
        count[scale] += 1;
    }
    let dominant = (0..12).max_by_key(|&s| count[s]).unwrap_or(0);
    if count[dominant] == windows.len() {
        return 0..bars;
    }
    // The longest run of windows in the dominant scale.
    let mut best = 0..0;
    let mut run_start = None;
    for (index, &scale) in path.iter().chain(std::iter::once(&usize::MAX)).enumerate() {
        match (scale == dominant, run_start) {
            (true, None) => run_start = Some(index),
            (false, Some(start)) => {
                if index - start > best.len() {
                    best = start..index;
                }
                run_start = None;
            }
            _ => {}
        }
    }
    windows[best.start].start..windows[best.end - 1].end
}

/// Finds the key of the whole song and weighs the signature (see the module rules). Without any
/// note, C major.
pub fn find_key(material: &KeyMaterial, signature: Option<Key>) -> KeyEvidence {
    let range = dominant_stretch(material);
    let scales = scale_scores(material, range.clone());
    let estimate = estimate_in(material, range.clone(), &scales);
    let (key, agreement) = match signature {
        None => (estimate, KeyAgreement::NoSignature),
        Some(signature) if signature == estimate => (signature, KeyAgreement::Agrees),
        Some(signature) => {
            // C major is what sequencers write when nobody set a key: weak evidence. Any other
            // signature was set on purpose and stands (reported as a near-tie).
            let placeholder = signature == Key::major(PitchClass::new(0));
            let same_scale = signature.relative_major_tonic() == estimate.relative_major_tonic();
            let close = if !placeholder {
                true
            } else if same_scale {
                let vote =
                    ModeEvidence::of(material, range, estimate.relative_major_tonic()).vote();
                vote.abs() < MODE_MARGIN
            } else {
                let best = scales[estimate.relative_major_tonic().index() as usize];
                scales[signature.relative_major_tonic().index() as usize] >= best - SCALE_MARGIN
            };
            if close {
                (signature, KeyAgreement::NearTie)
            } else {
                (estimate, KeyAgreement::Overruled)
            }
        }
    };
    KeyEvidence {
        key,
        signature,
        estimate,
        agreement,
    }
}

/// The key of each section (`starts`: the first bar of each, in order): the song's key, unless
/// the section has at least [`WINDOW_BARS`] bars whose own key lies in another scale (the
/// song has moved to another key there).
pub fn section_keys(material: &KeyMaterial, starts: &[usize], song_key: Key) -> Vec<Key> {
    let bars = material.bars.len();
    starts
        .iter()
        .enumerate()
        .map(|(index, &start)| {
            let end = starts.get(index + 1).copied().unwrap_or(bars).min(bars);
            if end.saturating_sub(start) < WINDOW_BARS {
                return song_key;
            }
            let own = estimate_key(material, start..end);
            if own.relative_major_tonic() == song_key.relative_major_tonic() {
                song_key
            } else {
                own
            }
        })
        .collect()
}

/// The key the notes of the bars in `range` give (C major without notes).
pub fn estimate_key(material: &KeyMaterial, range: std::ops::Range<usize>) -> Key {
    let scales = scale_scores(material, range.clone());
    estimate_in(material, range, &scales)
}

fn estimate_in(material: &KeyMaterial, range: std::ops::Range<usize>, scales: &[f64; 12]) -> Key {
    if profile(material, range.clone()).iter().sum::<f64>() <= 0.0 {
        return Key::major(PitchClass::new(0));
    }
    let best = (1..12).fold(0, |best, index| {
        if scales[index] > scales[best] {
            index
        } else {
            best
        }
    });
    let major_tonic = PitchClass::new(best as i32);
    if ModeEvidence::of(material, range, major_tonic).vote() >= 0.0 {
        Key::major(major_tonic)
    } else {
        Key::minor(major_tonic.transpose(9))
    }
}

/// Per scale (index: the major tonic), the better of its two keys' profile correlations.
fn scale_scores(material: &KeyMaterial, range: std::ops::Range<usize>) -> [f64; 12] {
    let correlations = key_correlations(&profile(material, range));
    std::array::from_fn(|tonic| correlations[tonic].max(correlations[12 + (tonic + 9) % 12]))
}

/// The correlation of a profile with every key's profile (index: tonic, + 12 for minor).
fn key_correlations(profile: &[f64; 12]) -> [f64; 24] {
    std::array::from_fn(|index| {
        let template = if index < 12 {
            &MAJOR_PROFILE
        } else {
            &MINOR_PROFILE
        };
        let rotated: [f64; 12] = std::array::from_fn(|i| profile[(i + index % 12) % 12]);
        correlation(&rotated, template)
    })
}

/// The time span of the bars in `range`, in sheet ticks (empty when there are none).
fn span(material: &KeyMaterial, range: std::ops::Range<usize>) -> (u32, u32) {
    let bars = material.bars.get(range).unwrap_or(&[]);
    match (bars.first(), bars.last()) {
        (Some(first), Some(last)) => (first.start, last.end()),
        _ => (0, 0),
    }
}

/// Duration-weighted pitch classes of the melody and harmony sounding in the bars of `range`.
fn profile(material: &KeyMaterial, range: std::ops::Range<usize>) -> [f64; 12] {
    let (from, to) = span(material, range);
    let mut profile = [0.0; 12];
    let harmony = around(material.harmony, from, to);
    for note in harmony.iter().chain(around(material.melody, from, to)) {
        profile[(note.pitch % 12) as usize] += overlap(note, from, to) as f64;
    }
    profile
}

/// How far back (grid ticks, 16 whole notes) a note may have started and still be counted as
/// sounding into a stretch: it keeps each stretch's work to its own notes in long songs.
const LOOKBACK: u32 = 16 * 48;

/// The notes (sorted by start) that may sound within `from..to`.
fn around(notes: &[GridNote], from: u32, to: u32) -> &[GridNote] {
    let first = notes.partition_point(|n| n.start < from.saturating_sub(LOOKBACK));
    let last = notes.partition_point(|n| n.start < to);
    &notes[first..last.max(first)]
}

fn overlap(note: &GridNote, from: u32, to: u32) -> u32 {
    note.end.min(to).saturating_sub(note.start.max(from))
}

/// The evidence for the major tonic of a scale against its relative minor's tonic: each item is
/// the major tonic's share minus the minor tonic's (see the module rules, step 2).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ModeEvidence {
    pub correlation: f64,
    pub melody: f64,
    pub harmony: f64,
    pub bass: f64,
    pub tonic_chords: f64,
    /// The minor key's major dominant's share of the chord time (counts for minor).
    pub minor_dominant: f64,
    pub first_chord: f64,
    pub last_chord: f64,
    pub phrase_ends: f64,
    pub cadences: f64,
}

impl ModeEvidence {
    /// Weighs the evidence in the bars of `range` for `major_tonic` against its relative minor.
    pub fn of(
        material: &KeyMaterial,
        range: std::ops::Range<usize>,
        major_tonic: PitchClass,
    ) -> Self {
        let minor_tonic = major_tonic.transpose(9);
        let (from, to) = span(material, range.clone());
        let correlations = key_correlations(&profile(material, range.clone()));
        let share = |notes: &[GridNote]| -> f64 {
            let mut on = [0.0; 2];
            let mut total = 0.0;
            for note in around(notes, from, to) {
                let ticks = overlap(note, from, to) as f64;
                total += ticks;
                let pc = note.pitch % 12;
                if pc == major_tonic.index() {
                    on[0] += ticks;
                } else if pc == minor_tonic.index() {
                    on[1] += ticks;
                }
            }
            (on[0] - on[1]) / total.max(1.0)
        };
        let bass = bass_counts(material.harmony, from, to);
        let bass_total: f64 = bass.iter().sum::<f64>().max(1.0);
        let chords = chord_spans(material, range);
        let chord_time: f64 = chords.iter().map(|c| c.ticks as f64).sum::<f64>().max(1.0);
        let major_tonic_chord = |c: &ChordSpan| c.is(major_tonic, MajMin::Major);
        let minor_tonic_chord = |c: &ChordSpan| c.is(minor_tonic, MajMin::Minor);
        let time_on = |pick: &dyn Fn(&ChordSpan) -> bool| -> f64 {
            chords
                .iter()
                .filter(|c| pick(c))
                .map(|c| c.ticks as f64)
                .sum::<f64>()
                / chord_time
        };
        let both = |chord: Option<&ChordSpan>| -> f64 {
            chord.map_or(0.0, |c| {
                major_tonic_chord(c) as u8 as f64 - minor_tonic_chord(c) as u8 as f64
            })
        };
        let to_major = chords
            .windows(2)
            .filter(|w| {
                w[0].is(major_tonic.transpose(7), MajMin::Major) && major_tonic_chord(&w[1])
            })
            .count();
        let to_minor = chords
            .windows(2)
            .filter(|w| {
                (w[0].is(minor_tonic.transpose(7), MajMin::Major)
                    || w[0].is(minor_tonic.transpose(7), MajMin::Minor)
                    || w[0].is(major_tonic.transpose(7), MajMin::Major))
                    && minor_tonic_chord(&w[1])
            })
            .count();
        ModeEvidence {
            correlation: correlations[major_tonic.index() as usize]
                - correlations[12 + minor_tonic.index() as usize],
            melody: share(material.melody),
            harmony: share(material.harmony),
            bass: (bass[major_tonic.index() as usize] - bass[minor_tonic.index() as usize])
                / bass_total,
            tonic_chords: time_on(&major_tonic_chord) - time_on(&minor_tonic_chord),
            minor_dominant: time_on(&|c: &ChordSpan| c.is(minor_tonic.transpose(7), MajMin::Major)),
            first_chord: both(chords.first()),
            last_chord: both(chords.last()),
            phrase_ends: phrase_end_share(material.melody, from, to, major_tonic, minor_tonic),
            cadences: (to_major as f64 - to_minor as f64) / chords.len().max(1) as f64,
        }
    }

    /// The items in the order of [`MODE_WEIGHTS`].
    pub fn items(&self) -> [f64; 10] {
        [
            self.correlation,
            self.melody,
            self.harmony,
            self.bass,
            self.tonic_chords,
            self.minor_dominant,
            self.first_chord,
            self.last_chord,
            self.phrase_ends,
            self.cadences,
        ]
    }

    /// The weighted vote: positive for the major tonic, negative for the minor one.
    pub fn vote(&self) -> f64 {
        let items = self.items();
        items
            .iter()
            .zip(&MODE_WEIGHTS)
            .map(|(item, weight)| item * weight)
            .sum::<f64>()
            + MODE_WEIGHTS[items.len()]
    }
}

/// Of the melody notes starting in `from..to` that end a phrase (no new onset for a half note
/// after them, or held that long), the share on the major tonic minus the share on the minor one.
fn phrase_end_share(
    melody: &[GridNote],
    from: u32,
    to: u32,
    major_tonic: PitchClass,
    minor_tonic: PitchClass,
) -> f64 {
    const HALF_NOTE: u32 = 24;
    let (mut ends, mut major, mut minor) = (0.0, 0.0, 0.0);
    let first = melody.partition_point(|n| n.start < from);
    for (index, note) in melody.iter().enumerate().skip(first) {
        if note.start >= to {
            break;
        }
        let gap = melody
            .get(index + 1)
            .map_or(u32::MAX, |next| next.start - note.start);
        if gap >= HALF_NOTE || note.end - note.start >= HALF_NOTE {
            ends += 1.0;
            if note.pitch % 12 == major_tonic.index() {
                major += 1.0;
            } else if note.pitch % 12 == minor_tonic.index() {
                minor += 1.0;
            }
        }
    }
    if ends == 0.0 {
        0.0
    } else {
        (major - minor) / ends
    }
}

/// Per pitch class, the half-beat frames (6 grid ticks) of `from..to` whose lowest sounding
/// harmony note has that class. `harmony` is sorted by start.
fn bass_counts(harmony: &[GridNote], from: u32, to: u32) -> [f64; 12] {
    const FRAME: u32 = 6;
    let harmony = around(harmony, from, to);
    let mut counts = [0.0; 12];
    let mut next = 0;
    let mut sounding: Vec<GridNote> = Vec::new();
    let mut start = from;
    while start < to {
        let end = (start + FRAME).min(to);
        while next < harmony.len() && harmony[next].start < end {
            sounding.push(harmony[next]);
            next += 1;
        }
        sounding.retain(|n| n.end > start);
        if let Some(low) = sounding.iter().min_by_key(|n| n.pitch) {
            counts[(low.pitch % 12) as usize] += 1.0;
        }
        start = end;
    }
    counts
}

/// A recognised chord and how long it lasts, in order.
#[derive(Debug, Clone, Copy)]
struct ChordSpan {
    root: PitchClass,
    quality: ChordQuality,
    ticks: u32,
}

impl ChordSpan {
    fn is(&self, root: PitchClass, kind: MajMin) -> bool {
        self.root == root && self.quality.majmin() == Some(kind)
    }
}

/// The chords of the bars in `range` as spans (N.C. left out, repeats merged).
fn chord_spans(material: &KeyMaterial, range: std::ops::Range<usize>) -> Vec<ChordSpan> {
    let mut changes: Vec<(u32, Option<ChordSymbol>)> = Vec::new();
    let mut end = 0;
    for index in range {
        let (Some(bar), Some(bar_changes)) = (material.bars.get(index), material.chords.get(index))
        else {
            continue;
        };
        changes.extend(
            bar_changes
                .iter()
                .map(|c| (bar.start + c.position, c.chord)),
        );
        end = bar.end();
    }
    let mut spans: Vec<ChordSpan> = Vec::new();
    for (index, &(start, chord)) in changes.iter().enumerate() {
        let until = changes.get(index + 1).map_or(end, |next| next.0);
        let Some(chord) = chord else { continue };
        let ticks = until.saturating_sub(start);
        match spans.last_mut() {
            Some(last) if last.root == chord.root && last.quality == chord.quality => {
                last.ticks += ticks;
            }
            _ => spans.push(ChordSpan {
                root: chord.root,
                quality: chord.quality,
                ticks,
            }),
        }
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::music::{ChordSymbol, Meter};

    fn note(start: u32, end: u32, pitch: u8) -> GridNote {
        GridNote {
            start,
            end,
            pitch,
            velocity: 80,
        }
    }

    /// A song of 4/4 bars, one chord a bar (its triad in the harmony, root in the bass) and a
    /// melody of quarter notes on the chord's tones, ending on the last chord's root.
    struct Song {
        melody: Vec<GridNote>,
        harmony: Vec<GridNote>,
        bars: Vec<BarSpan>,
        chords: Vec<Vec<ChordChange>>,
    }

    fn song(progression: &[&str]) -> Song {
        let mut s = Song {
            melody: Vec::new(),
            harmony: Vec::new(),
            bars: Vec::new(),
            chords: Vec::new(),
        };
        for (index, name) in progression.iter().enumerate() {
            let chord: ChordSymbol = name.parse().unwrap();
            let start = index as u32 * 48;
            s.bars.push(BarSpan {
                start,
                length: 48,
                meter: Meter::FOUR_FOUR,
            });
            s.chords.push(vec![ChordChange {
                position: 0,
                chord: Some(chord),
            }]);
            let tones = chord.pitch_classes();
            s.harmony
                .push(note(start, start + 48, 36 + tones[0].index()));
            for tone in &tones {
                s.harmony.push(note(start, start + 48, 48 + tone.index()));
            }
            for beat in 0..4u32 {
                let tone = tones[[1, 2, 1, 0][beat as usize] % tones.len()];
                s.melody.push(note(
                    start + beat * 12,
                    start + beat * 12 + 12,
                    72 + tone.index(),
                ));
            }
        }
        s.harmony.sort_by_key(|n| (n.start, n.pitch));
        s
    }

    fn material(s: &Song) -> KeyMaterial<'_> {
        KeyMaterial {
            melody: &s.melody,
            harmony: &s.harmony,
            bars: &s.bars,
            chords: &s.chords,
        }
    }

    fn key(text: &str) -> Key {
        text.parse().unwrap()
    }

    #[test]
    fn one_scale_two_tonics_told_apart_by_tonic_chords_and_cadences() {
        let major = song(&["C", "F", "G", "C", "Am", "F", "G", "C"]);
        let minor = song(&["Am", "Dm", "E", "Am", "F", "Dm", "E", "Am"]);
        assert_eq!(find_key(&material(&major), None).key, key("C"));
        assert_eq!(find_key(&material(&minor), None).key, key("Am"));
        let d_major = song(&["D", "G", "A", "D", "Bm", "G", "A7", "D"]);
        let evidence = find_key(&material(&d_major), None);
        assert_eq!(evidence.key, key("D"));
        assert_eq!(evidence.agreement, KeyAgreement::NoSignature);
    }

    #[test]
    fn a_c_major_placeholder_is_overruled_and_a_set_signature_stands() {
        let d_major = song(&["D", "G", "A", "D", "Bm", "G", "A7", "D"]);
        let placeholder = find_key(&material(&d_major), Some(key("C")));
        assert_eq!(placeholder.key, key("D"));
        assert_eq!(placeholder.agreement, KeyAgreement::Overruled);
        assert_eq!(placeholder.signature, Some(key("C")));
        let agreeing = find_key(&material(&d_major), Some(key("D")));
        assert_eq!(agreeing.agreement, KeyAgreement::Agrees);
        // A signature somebody set (here the relative minor) stands, seen as a near-tie.
        let set = find_key(&material(&d_major), Some(key("Bm")));
        assert_eq!(set.key, key("Bm"));
        assert_eq!(set.estimate, key("D"));
        assert_eq!(set.agreement, KeyAgreement::NearTie);
        // A C-major signature on a song in C agrees.
        let c_major = song(&["C", "F", "G", "C"]);
        let c = find_key(&material(&c_major), Some(key("C")));
        assert_eq!((c.key, c.agreement), (key("C"), KeyAgreement::Agrees));
    }

    #[test]
    fn a_song_that_changes_key_gets_its_dominant_key() {
        // 40 bars in G, then 16 bars a tone higher, in A.
        let mut progression = Vec::new();
        for _ in 0..10 {
            progression.extend(["G", "C", "D", "G"]);
        }
        for _ in 0..4 {
            progression.extend(["A", "D", "E", "A"]);
        }
        let s = song(&progression);
        let stretch = dominant_stretch(&material(&s));
        assert!(stretch.end <= 40 && stretch.len() >= 32, "{stretch:?}");
        assert_eq!(find_key(&material(&s), None).key, key("G"));
        assert_eq!(estimate_key(&material(&s), 40..56), key("A"));
        let keys = section_keys(&material(&s), &[0, 8, 36, 40, 52], key("G"));
        assert_eq!(keys, [key("G"), key("G"), key("G"), key("A"), key("G")]);
    }

    #[test]
    fn no_notes_is_c_major() {
        let empty = Song {
            melody: Vec::new(),
            harmony: Vec::new(),
            bars: Vec::new(),
            chords: Vec::new(),
        };
        assert_eq!(find_key(&material(&empty), None).key, key("C"));
    }
}
