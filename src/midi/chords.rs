//! Chord recognition: harmony notes (and the melody, lightly) → chord symbols per bar.
//!
//! Each beat gets a duration-weighted pitch-class profile, scored against every chord template;
//! changes are then kept only at beats where the best chord really differs from the one sounding.

use super::grid::{BarSpan, GridNote};
use crate::music::{ChordChange, ChordQuality, ChordSymbol, PitchClass};

/// Recognises the chords of each bar. Positions in the returned changes are relative to the bar start.
pub fn recognize_chords(
    harmony: &[GridNote],
    melody: &[GridNote],
    bars: &[BarSpan],
) -> Vec<Vec<ChordChange>> {
    let mut previous: Option<ChordSymbol> = None;
    let mut out = Vec::with_capacity(bars.len());
    for bar in bars {
        let mut changes = Vec::new();
        let beat = bar.meter.beat_ticks().min(bar.length);
        let mut position = 0;
        while position < bar.length {
            let start = bar.start + position;
            let end = (start + beat).min(bar.end());
            let profile = profile(harmony, melody, start, end);
            let chord = best_chord(&profile);
            if chord != previous || (position == 0 && changes.is_empty() && chord.is_some()) {
                if position == 0 || chord != previous {
                    changes.push(ChordChange { position, chord });
                }
                previous = chord;
            }
            position += beat;
        }
        out.push(changes);
    }
    out
}

/// Duration-weighted pitch-class weights in `[start, end)`; melody counts a quarter as much.
fn profile(harmony: &[GridNote], melody: &[GridNote], start: u32, end: u32) -> [f64; 12] {
    let mut weights = [0.0; 12];
    let mut add = |notes: &[GridNote], scale: f64| {
        for n in notes.iter().filter(|n| n.start < end && n.end > start) {
            let overlap = (n.end.min(end) - n.start.max(start)) as f64;
            weights[(n.pitch % 12) as usize] += overlap * scale;
        }
    };
    add(harmony, 1.0);
    add(melody, 0.25);
    weights
}

/// The chord whose template best matches a profile, or `None` for silence.
fn best_chord(profile: &[f64; 12]) -> Option<ChordSymbol> {
    let total: f64 = profile.iter().sum();
    if total <= 0.0 {
        return None;
    }
    let mut best: Option<(f64, ChordSymbol)> = None;
    for root in 0..12 {
        for quality in ChordQuality::ALL {
            let intervals = quality.intervals();
            let inside: f64 = intervals
                .iter()
                .map(|&i| profile[(root + i as usize) % 12])
                .sum();
            // Reward explained weight, penalise template notes that are missing.
            let missing = intervals
                .iter()
                .filter(|&&i| profile[(root + i as usize) % 12] == 0.0)
                .count() as f64;
            let score = inside / total - 0.15 * missing - 0.02 * intervals.len() as f64;
            if best.is_none_or(|(s, _)| score > s) {
                best = Some((
                    score,
                    ChordSymbol::new(PitchClass::new(root as i32), quality),
                ));
            }
        }
    }
    best.map(|(_, chord)| chord)
}
