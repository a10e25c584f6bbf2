//! The composer's controls beyond temperature, each measured to do what its label says: over 50
//! seeds of the shipped model, melody notes per bar rise from sparse to busy, the mean melody
//! pitch rises from low to high, and chords per bar rise with the chord-changes control.

use songsketch::model::steering::MelodyRange;
use songsketch::model::{GenerateRequest, Model, Sampling};
use songsketch::music::{Idea, Meter};

const SEEDS: u64 = 50;

fn ideas(model: &Model, sampling: Sampling) -> Vec<Idea> {
    (0..SEEDS)
        .map(|seed| {
            model
                .generate(&GenerateRequest {
                    seed,
                    meter: Some(Meter::FOUR_FOUR),
                    sampling,
                    ..GenerateRequest::default()
                })
                .unwrap()
                .idea
        })
        .collect()
}

fn mean(values: impl Iterator<Item = f64>) -> f64 {
    let v: Vec<f64> = values.collect();
    v.iter().sum::<f64>() / v.len() as f64
}

fn notes_per_bar(ideas: &[Idea]) -> f64 {
    mean(
        ideas
            .iter()
            .map(|i| i.sheet().melody().len() as f64 / i.sheet().bar_count() as f64),
    )
}

fn mean_pitch(ideas: &[Idea]) -> f64 {
    mean(ideas.iter().map(|i| {
        let m = i.sheet().melody();
        m.iter().map(|n| f64::from(n.item.pitch.0)).sum::<f64>() / m.len() as f64
    }))
}

fn chords_per_bar(ideas: &[Idea]) -> f64 {
    mean(ideas.iter().map(|i| {
        let changes: usize = i.sheet().bars().map(|b| b.chords.len()).sum();
        changes as f64 / i.sheet().bar_count() as f64
    }))
}

#[test]
fn note_density_moves_melody_notes_per_bar() {
    let model = Model::load_default().unwrap();
    let at = |density| {
        notes_per_bar(&ideas(
            &model,
            Sampling {
                density,
                ..Sampling::default()
            },
        ))
    };
    let (sparse, plain, busy) = (at(0.2), at(0.5), at(0.8));
    println!(
        "melody notes per bar over {SEEDS} seeds: sparse (0.2) {sparse:.2}, as written (0.5) {plain:.2}, busy (0.8) {busy:.2}"
    );
    assert!(
        sparse < plain - 0.5 && plain < busy - 0.5,
        "{sparse} {plain} {busy}"
    );
}

#[test]
fn melody_range_moves_the_mean_melody_pitch() {
    let model = Model::load_default().unwrap();
    let at = |melody_range| {
        mean_pitch(&ideas(
            &model,
            Sampling {
                melody_range,
                ..Sampling::default()
            },
        ))
    };
    let (low, mid, high) = (
        at(MelodyRange::Low),
        at(MelodyRange::Mid),
        at(MelodyRange::High),
    );
    println!(
        "mean melody pitch (MIDI) over {SEEDS} seeds: low {low:.1}, mid {mid:.1}, high {high:.1}"
    );
    assert!(low < mid - 2.0 && mid < high - 2.0, "{low} {mid} {high}");
}

#[test]
fn harmonic_rhythm_moves_chords_per_bar() {
    let model = Model::load_default().unwrap();
    let at = |harmonic_rhythm| {
        chords_per_bar(&ideas(
            &model,
            Sampling {
                harmonic_rhythm,
                ..Sampling::default()
            },
        ))
    };
    let (few, plain, many) = (at(0.2), at(0.5), at(0.8));
    println!(
        "chords per bar over {SEEDS} seeds: fewer (0.2) {few:.2}, as written (0.5) {plain:.2}, more (0.8) {many:.2}"
    );
    assert!(
        few < plain - 0.1 && plain < many - 0.1,
        "{few} {plain} {many}"
    );
}
