//! Where the bar lines fall in a stretch of a file that writes no meter (a one-beat `1/4`
//! signature, as converters write when they know none): the downbeat phase, from the music.
//!
//! Each beat (a unit of the meter) of the stretch collects evidence of being a downbeat:
//! - **harmony onsets** on it, each weighing its length (a long chord marks a bar line);
//! - **bass onsets** on it (harmony notes below G3; all harmony notes when none is that low);
//! - **harmonic change**: how far the pitch classes sounding in the window after the beat differ
//!   from those in the window before it (cosine distance of duration-weighted pitch-class
//!   sums), for windows of one beat, two beats and four bars: chords change on bar lines, and
//!   phrases (four bars) on downbeats, never on the third beat;
//! - **melody phrase starts**, at half weight: an onset after a rest of a beat or more, weighing
//!   the rest.
//!
//! For each phase (0 to units − 1 beats) a cue sums its evidence on the beats of that phase; a
//! cue's sums are taken relative to their mean over the phases, so that no cue outweighs the
//! others by its units. The phase with the largest total wins; ties go to the earliest, the
//! file's own bar lines.
//!
//! The cues and their weights were chosen with a prototype over POP909's 818 MIDI files, against
//! the downbeats of their bar-aligned version (each cue alone: 0.50–0.80 of the songs in phase;
//! together 0.87, and 0.85–0.86 when chosen on one half of the songs and tested on the other).
//! `tests/import_downbeats.rs` measures the importer's result; the figure is in the README.

use super::bars::MAX_BARS;
use crate::midi::grid::GridNote;

/// Harmony notes below this pitch (G3) are the bass.
const BASS_BELOW: u8 = 55;

/// The weight of melody phrase starts against each harmony cue.
const PHRASE_START_WEIGHT: f64 = 0.5;

/// Where a bar line falls, in beats (units) after `from`, for bars of `units` beats of `unit`
/// grid ticks. `melody` and `harmony` are on the file grid; only notes starting in
/// `from..until` count.
pub fn downbeat_phase(
    units: u32,
    unit: u32,
    melody: &[GridNote],
    harmony: &[GridNote],
    from: u64,
    until: u64,
) -> u32 {
    if units < 2 || unit == 0 {
        return 0;
    }
    let inside = |n: &&GridNote| (from..until).contains(&(n.start as u64));
    let melody: Vec<GridNote> = melody.iter().filter(inside).copied().collect();
    let harmony: Vec<GridNote> = harmony.iter().filter(inside).copied().collect();
    let beats = Beats {
        from,
        unit: u64::from(unit),
    };
    let Some(count) = beats.count(&melody, &harmony) else {
        return 0;
    };
    if count > MAX_BARS * units as usize {
        // Longer than any song the importer lays out: it refuses the file at the bars.
        return 0;
    }
    let bass: Vec<GridNote> = if harmony.iter().any(|n| n.pitch < BASS_BELOW) {
        harmony
            .iter()
            .filter(|n| n.pitch < BASS_BELOW)
            .copied()
            .collect()
    } else {
        harmony.clone()
    };
    let classes = beats.pitch_classes(&harmony, count);
    let cues: [(f64, Vec<f64>); 6] = [
        (1.0, beats.onsets(&harmony, count)),
        (1.0, beats.onsets(&bass, count)),
        (1.0, change(&classes, 1)),
        (1.0, change(&classes, 2)),
        (1.0, change(&classes, 4 * units as usize)),
        (PHRASE_START_WEIGHT, beats.phrase_starts(&melody, count)),
    ];
    let mut totals = vec![0.0; units as usize];
    for (weight, evidence) in &cues {
        for (total, score) in totals.iter_mut().zip(relative(&by_phase(evidence, units))) {
            *total += weight * score;
        }
    }
    (0..units)
        .fold((0, f64::NEG_INFINITY), |best, phase| {
            let total = totals[phase as usize];
            if total > best.1 + 1e-9 {
                (phase, total)
            } else {
                best
            }
        })
        .0
}

/// The beats of a stretch: beat `q` starts at grid tick `from + q × unit`.
struct Beats {
    from: u64,
    unit: u64,
}

impl Beats {
    /// How many beats the notes span (none when there are no notes).
    fn count(&self, melody: &[GridNote], harmony: &[GridNote]) -> Option<usize> {
        let end = melody.iter().chain(harmony).map(|n| n.end as u64).max()?;
        Some((end.saturating_sub(self.from) / self.unit + 1) as usize)
    }

    /// The beat nearest to a tick (none before the stretch).
    fn nearest_beat(&self, tick: u32) -> Option<usize> {
        let into = (tick as u64).checked_sub(self.from)?;
        Some(((into + self.unit / 2) / self.unit) as usize)
    }

    /// The beat a note starts on, when it starts within a quarter of a beat of one.
    fn beat_of(&self, tick: u32) -> Option<usize> {
        let nearest = self.nearest_beat(tick)?;
        let distance = (tick as u64 - self.from).abs_diff(nearest as u64 * self.unit);
        (distance * 4 <= self.unit).then_some(nearest)
    }

    /// Onsets on each beat, each weighing its length.
    fn onsets(&self, notes: &[GridNote], count: usize) -> Vec<f64> {
        let mut evidence = vec![0.0; count];
        for note in notes {
            if let Some(slot) = self.beat_of(note.start).and_then(|q| evidence.get_mut(q)) {
                *slot += f64::from(note.end - note.start);
            }
        }
        evidence
    }

    /// Melody onsets after a rest of at least a beat, on the nearest beat, each weighing the
    /// rest (up to eight beats).
    fn phrase_starts(&self, melody: &[GridNote], count: usize) -> Vec<f64> {
        let mut evidence = vec![0.0; count];
        let mut sounding_until = None::<u32>;
        for note in melody {
            if let Some(until) = sounding_until {
                let rest = u64::from(note.start.saturating_sub(until));
                if rest >= self.unit
                    && let Some(slot) = self
                        .nearest_beat(note.start)
                        .and_then(|q| evidence.get_mut(q))
                {
                    *slot += rest.min(8 * self.unit) as f64;
                }
            }
            sounding_until = Some(sounding_until.map_or(note.end, |u| u.max(note.end)));
        }
        evidence
    }

    /// The duration of each pitch class sounding in each beat.
    fn pitch_classes(&self, notes: &[GridNote], count: usize) -> Vec<[f64; 12]> {
        let mut classes = vec![[0.0; 12]; count];
        for note in notes {
            let (start, end) = (u64::from(note.start), u64::from(note.end));
            let first = (start - self.from) / self.unit;
            let last = (end - 1 - self.from) / self.unit;
            for beat in first..=last {
                let Some(slot) = classes.get_mut(beat as usize) else {
                    break;
                };
                let beat_start = self.from + beat * self.unit;
                let heard = end.min(beat_start + self.unit) - start.max(beat_start);
                slot[usize::from(note.pitch % 12)] += heard as f64;
            }
        }
        classes
    }
}

/// How much the harmony changes at each beat: the cosine distance between the pitch classes of
/// the `window` beats after it and the `window` beats before it (0 where either is silent or
/// the window leaves the stretch).
fn change(classes: &[[f64; 12]], window: usize) -> Vec<f64> {
    let mut prefix = vec![[0.0; 12]; classes.len() + 1];
    for (q, beat) in classes.iter().enumerate() {
        for pc in 0..12 {
            prefix[q + 1][pc] = prefix[q][pc] + beat[pc];
        }
    }
    let sum = |from: usize, to: usize| -> [f64; 12] {
        std::array::from_fn(|pc| prefix[to][pc] - prefix[from][pc])
    };
    (0..classes.len())
        .map(|q| {
            if q < window || q + window > classes.len() {
                return 0.0;
            }
            cosine_distance(&sum(q - window, q), &sum(q, q + window))
        })
        .collect()
}

fn cosine_distance(a: &[f64; 12], b: &[f64; 12]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let norm = |v: &[f64; 12]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
    let (na, nb) = (norm(a), norm(b));
    if na > 0.0 && nb > 0.0 {
        1.0 - dot / (na * nb)
    } else {
        0.0
    }
}

/// Evidence summed over the beats of each phase.
fn by_phase(evidence: &[f64], units: u32) -> Vec<f64> {
    let mut sums = vec![0.0; units as usize];
    for (q, value) in evidence.iter().enumerate() {
        sums[q % units as usize] += value;
    }
    sums
}

/// Sums relative to their mean (`sum / mean − 1`); all zero when there is no evidence.
fn relative(sums: &[f64]) -> Vec<f64> {
    let mean = sums.iter().sum::<f64>() / sums.len().max(1) as f64;
    sums.iter()
        .map(|s| if mean > 0.0 { s / mean - 1.0 } else { 0.0 })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const QUARTER: u32 = 12;

    fn note(start: u32, length: u32, pitch: u8) -> GridNote {
        GridNote {
            start,
            end: start + length,
            pitch,
            velocity: 80,
        }
    }

    /// Eight bars of 4/4 whose bar lines fall `phase` beats after tick 0: a bass note and a
    /// chord on each bar line, alternating C and G, with a chord repeated on beat 3, and a
    /// melody in quarters.
    fn song(phase: u32) -> (Vec<GridNote>, Vec<GridNote>) {
        let mut harmony = Vec::new();
        let mut melody = Vec::new();
        for bar in 0..8 {
            let start = (phase + 4 * bar) * QUARTER;
            let (bass, third, fifth) = if bar % 2 == 0 {
                (48, 64, 67)
            } else {
                (43, 62, 67)
            };
            harmony.push(note(start, 4 * QUARTER, bass));
            for beat in [0, 2] {
                harmony.push(note(start + beat * QUARTER, 2 * QUARTER, third));
                harmony.push(note(start + beat * QUARTER, 2 * QUARTER, fifth));
            }
            for beat in 0..4 {
                melody.push(note(start + beat * QUARTER, QUARTER, 72 + beat as u8));
            }
        }
        (melody, harmony)
    }

    #[test]
    fn the_phase_is_where_bass_and_chord_changes_fall() {
        for phase in 0..4 {
            let (melody, harmony) = song(phase);
            assert_eq!(
                downbeat_phase(4, QUARTER, &melody, &harmony, 0, u64::MAX),
                phase
            );
        }
    }

    #[test]
    fn a_waltz_finds_its_downbeat_among_three_beats() {
        // Oom-pah-pah: a long bass note on the downbeat, short chords on beats two and three.
        let harmony: Vec<GridNote> = (0..12)
            .flat_map(|bar| {
                let start = (2 + 3 * bar) * QUARTER;
                let bass = if bar % 2 == 0 { 48 } else { 43 };
                [
                    note(start, 3 * QUARTER, bass),
                    note(start + QUARTER, QUARTER / 2, 64),
                    note(start + 2 * QUARTER, QUARTER / 2, 64),
                ]
            })
            .collect();
        assert_eq!(downbeat_phase(3, QUARTER, &[], &harmony, 0, u64::MAX), 2);
    }

    #[test]
    fn only_notes_inside_the_stretch_count_and_beats_count_from_its_start() {
        let (melody, harmony) = song(1);
        // From beat 2 on, the bar lines are 3 beats in.
        assert_eq!(
            downbeat_phase(4, QUARTER, &melody, &harmony, 2 * QUARTER as u64, u64::MAX),
            3
        );
        assert_eq!(downbeat_phase(4, QUARTER, &[], &[], 0, u64::MAX), 0);
    }

    #[test]
    fn notes_absurdly_far_apart_are_left_to_the_bar_limit() {
        // A note four billion ticks in: no evidence is gathered for every beat up to it.
        let far = [note(0, QUARTER, 60), note(u32::MAX - QUARTER, QUARTER, 60)];
        assert_eq!(downbeat_phase(4, QUARTER, &far, &far, 0, u64::MAX), 0);
    }

    #[test]
    fn evenly_spread_notes_keep_the_files_bar_lines() {
        let even: Vec<GridNote> = (0..32).map(|q| note(q * QUARTER, QUARTER, 60)).collect();
        assert_eq!(downbeat_phase(4, QUARTER, &even, &even, 0, u64::MAX), 0);
    }

    #[test]
    fn a_melody_returning_after_rests_marks_the_downbeat() {
        // No harmony: four-bar phrases of melody, each starting on beat 2 after a long rest.
        let melody: Vec<GridNote> = (0..4)
            .flat_map(|phrase| {
                let start = (1 + 16 * phrase) * QUARTER;
                (0..8).map(move |q| note(start + q * QUARTER, QUARTER, 70))
            })
            .collect();
        assert_eq!(downbeat_phase(4, QUARTER, &melody, &[], 0, u64::MAX), 1);
    }
}
