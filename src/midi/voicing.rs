//! Chord voicing: which MIDI notes a chord symbol is played with, in the low register.
//!
//! A voicing is a bass note plus close-position upper voices:
//! - the bass is the chord's bass note (the slash bass, or the root) in E2..D#3 ([`BASS_LOWEST`]..=51);
//! - the upper voices are the chord's other tones, each once (a triad's root is doubled, a
//!   four-note chord's bass tone is not), all above the bass, within C3..E4
//!   ([`UPPER_LOWEST`]..=[`UPPER_HIGHEST`]) and within one octave of each other;
//! - among those, the one closest to the previous chord's upper voices (smallest total
//!   movement), so chords move smoothly; the first chord sits around G3 ([`FIRST_CHORD_CENTRE`]);
//!   ties go to the lower voicing, so the melody keeps the room above.
//!
//! The result is sorted from low to high: the bass first. The exporter, the player and the piano
//! roll all use [`voice_chord`], so what is drawn, heard and saved is the same.

pub use crate::music::register::{BASS_LOWEST, UPPER_HIGHEST, UPPER_LOWEST};
use crate::music::{ChordSymbol, PitchClass};
/// Where the first chord's upper voices are centred (G3), when there is no previous chord.
pub const FIRST_CHORD_CENTRE: f64 = 55.0;

/// The notes (MIDI numbers, low to high, bass first) that play `chord`, moving as little as
/// possible from `previous` (the last chord's notes as this function returned them).
pub fn voice_chord(chord: ChordSymbol, previous: Option<&[u8]>) -> Vec<u8> {
    let bass = bass_pitch(chord.bass_note());
    let upper_classes = upper_classes(chord);
    let previous_upper = previous.map(upper_voices).filter(|notes| !notes.is_empty());
    let upper = best_upper_voicing(&upper_classes, bass, previous_upper)
        .unwrap_or_else(|| stacked_above(&upper_classes, bass));
    let mut notes = Vec::with_capacity(upper.len() + 1);
    notes.push(bass);
    notes.extend(upper);
    notes
}

/// The bass note's pitch in E2..D#3.
fn bass_pitch(class: PitchClass) -> u8 {
    BASS_LOWEST + (class.index() + 12 - BASS_LOWEST % 12) % 12
}

/// The pitch classes played above the bass: all chord tones, except that a chord of four or more
/// tones leaves out the one already in the bass.
fn upper_classes(chord: ChordSymbol) -> Vec<PitchClass> {
    let tones: Vec<PitchClass> = chord
        .quality
        .intervals()
        .iter()
        .map(|&interval| chord.root.transpose(interval as i32))
        .collect();
    if tones.len() >= 4 {
        let bass = chord.bass_note();
        tones.into_iter().filter(|&tone| tone != bass).collect()
    } else {
        tones
    }
}

/// A previous voicing without its bass (its lowest note), unless it is a single note.
fn upper_voices(notes: &[u8]) -> Vec<u8> {
    let mut sorted = notes.to_vec();
    sorted.sort_unstable();
    if sorted.len() > 1 {
        sorted.remove(0);
    }
    sorted
}

/// The close-position voicing of `classes` above `bass` with the lowest cost, or `None` when the
/// register leaves no room for one.
fn best_upper_voicing(
    classes: &[PitchClass],
    bass: u8,
    previous: Option<Vec<u8>>,
) -> Option<Vec<u8>> {
    let lowest = UPPER_LOWEST.max(bass + 1);
    let candidates: Vec<Vec<u8>> = classes
        .iter()
        .map(|&class| pitches_of_class(class, lowest, UPPER_HIGHEST))
        .collect();
    let mut best: Option<(f64, Vec<u8>)> = None;
    for mut voicing in combinations(&candidates) {
        voicing.sort_unstable();
        let (low, high) = (voicing[0], voicing[voicing.len() - 1]);
        if high - low >= 12 {
            continue;
        }
        let cost = match &previous {
            Some(previous) => movement(&voicing, previous),
            None => (mean(&voicing) - FIRST_CHORD_CENTRE).abs(),
        };
        // Lower voicings win ties: the melody keeps the room above.
        let better = best.as_ref().is_none_or(|(best_cost, best_voicing)| {
            cost < *best_cost - 1e-9
                || ((cost - *best_cost).abs() <= 1e-9 && mean(&voicing) < mean(best_voicing))
        });
        if better {
            best = Some((cost, voicing));
        }
    }
    best.map(|(_, voicing)| voicing)
}

/// Every pitch of `class` in `low..=high`.
fn pitches_of_class(class: PitchClass, low: u8, high: u8) -> Vec<u8> {
    (low..=high)
        .filter(|&pitch| pitch % 12 == class.index())
        .collect()
}

/// One pitch from each candidate list, in every combination.
fn combinations(candidates: &[Vec<u8>]) -> Vec<Vec<u8>> {
    candidates
        .iter()
        .fold(vec![Vec::new()], |partial, options| {
            partial
                .iter()
                .flat_map(|chosen| {
                    options.iter().map(move |&pitch| {
                        let mut next = chosen.clone();
                        next.push(pitch);
                        next
                    })
                })
                .collect()
        })
}

/// How far the voices move: each new note's distance to the nearest previous note, plus each
/// previous note's distance to the nearest new one (so neither side can be left hanging).
fn movement(new: &[u8], previous: &[u8]) -> f64 {
    let nearest = |pitch: u8, others: &[u8]| {
        others
            .iter()
            .map(|&other| (pitch as i32 - other as i32).unsigned_abs())
            .min()
            .unwrap_or(0) as f64
    };
    new.iter().map(|&p| nearest(p, previous)).sum::<f64>()
        + previous.iter().map(|&p| nearest(p, new)).sum::<f64>()
}

fn mean(notes: &[u8]) -> f64 {
    notes.iter().map(|&n| n as f64).sum::<f64>() / notes.len().max(1) as f64
}

/// The fallback: each class at its lowest pitch above the bass.
fn stacked_above(classes: &[PitchClass], bass: u8) -> Vec<u8> {
    let mut notes: Vec<u8> = classes
        .iter()
        .map(|class| bass + 1 + (class.index() + 12 - (bass + 1) % 12) % 12)
        .collect();
    notes.sort_unstable();
    notes.dedup();
    notes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::music::ChordQuality;

    fn chord(text: &str) -> ChordSymbol {
        text.parse().unwrap()
    }

    #[test]
    fn the_bass_is_the_lowest_note_and_every_tone_is_played() {
        for text in [
            "C",
            "Am",
            "F/A",
            "C/G",
            "G7",
            "Bm7b5",
            "C/D",
            "AmMaj7/G#",
            "Ebmaj7",
        ] {
            let c = chord(text);
            let notes = voice_chord(c, None);
            assert_eq!(notes[0] % 12, c.bass_note().index(), "{text}: {notes:?}");
            assert!(
                (BASS_LOWEST..BASS_LOWEST + 12).contains(&notes[0]),
                "{text}"
            );
            assert!(
                notes[1..].iter().all(|&n| n > notes[0]),
                "{text}: {notes:?}"
            );
            for class in c.pitch_classes() {
                assert!(notes.iter().any(|n| n % 12 == class.index()), "{text}");
            }
        }
    }

    #[test]
    fn upper_voices_stay_in_the_low_register_in_close_position() {
        for root in 0..12 {
            for quality in ChordQuality::ALL {
                for bass in [None, Some(PitchClass::new(root + 4))] {
                    let c = ChordSymbol::new(PitchClass::new(root), quality).with_bass(bass);
                    let notes = voice_chord(c, None);
                    let upper = &notes[1..];
                    assert!(
                        upper
                            .iter()
                            .all(|&n| (UPPER_LOWEST..=UPPER_HIGHEST).contains(&n))
                    );
                    assert!(upper[upper.len() - 1] - upper[0] < 12, "{c}: {notes:?}");
                }
            }
        }
    }

    #[test]
    fn a_progression_moves_smoothly() {
        let am = voice_chord(chord("Am"), None);
        assert_eq!(am, [45, 52, 57, 60]); // A2 | E3 A3 C4
        let f = voice_chord(chord("F"), Some(&am));
        assert_eq!(f, [41, 53, 57, 60]); // F2 | F3 A3 C4
        let c = voice_chord(chord("C"), Some(&f));
        assert_eq!(c, [48, 52, 55, 60]); // C3 | E3 G3 C4
        let g = voice_chord(chord("G"), Some(&c));
        assert_eq!(g, [43, 50, 55, 59]); // G2 | D3 G3 B3
    }

    #[test]
    fn following_the_previous_chord_never_moves_more_than_starting_afresh() {
        let chords: Vec<ChordSymbol> = (0..12)
            .flat_map(|root| {
                [ChordQuality::Major, ChordQuality::Minor7]
                    .map(|q| ChordSymbol::new(PitchClass::new(root), q))
            })
            .collect();
        for &from in &chords {
            let previous = voice_chord(from, None);
            let previous_upper = upper_voices(&previous);
            for &to in &chords {
                let smooth = voice_chord(to, Some(&previous));
                let fresh = voice_chord(to, None);
                assert!(
                    movement(&smooth[1..], &previous_upper)
                        <= movement(&fresh[1..], &previous_upper),
                    "{from} -> {to}"
                );
            }
        }
    }
}
