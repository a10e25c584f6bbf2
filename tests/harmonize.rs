//! `harmonize` on real POP909 verse+chorus pairs the default model never trained on: the melody
//! comes back note for note, every bar has a chord, and the chords agree with the songs' own
//! chords (by root, beat by beat) far more often than the tonic chord everywhere would.

use std::path::PathBuf;

use songsketch::datasets::pop909;
use songsketch::model::Model;
use songsketch::model::harmonize::HarmonizeRequest;
use songsketch::model::train::is_validation;
use songsketch::music::{Idea, LeadSheet};

const POP909: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/datasets/pop909");

fn validation_ideas(count: usize) -> Vec<Idea> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(POP909)
        .expect("the pop909 dataset is at ../shared/datasets/pop909")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs.into_iter()
        .filter(|d| is_validation(&d.file_name().unwrap().to_string_lossy(), 10))
        .filter_map(|d| pop909::load_song(&d).ok())
        .filter_map(|s| pop909::verse_chorus_pairs(&s).into_iter().next())
        .take(count)
        .collect()
}

/// The chord root sounding at each beat of a sheet (None where no chord sounds).
fn roots_per_beat(sheet: &LeadSheet) -> Vec<Option<u8>> {
    let canon = songsketch::model::tokens::canonical(sheet);
    let mut out = Vec::new();
    for bar in canon.bars() {
        for beat in (0..bar.length).step_by(12) {
            out.push(
                bar.chord_at(beat)
                    .and_then(|c| c.chord)
                    .map(|c| c.root.index()),
            );
        }
    }
    out
}

fn agreement(a: &[Option<u8>], b: &[Option<u8>]) -> f64 {
    let same = a
        .iter()
        .zip(b)
        .filter(|(x, y)| x.is_some() && x == y)
        .count();
    same as f64 / a.len().max(1) as f64
}

#[test]
fn harmonize_keeps_the_melody_and_finds_chords_like_the_songs_own() {
    let model = Model::load_default().unwrap();
    let ideas = validation_ideas(10);
    assert!(ideas.len() >= 8, "{} validation ideas", ideas.len());
    let (mut model_agree, mut tonic_agree) = (0.0, 0.0);
    for (i, idea) in ideas.iter().enumerate() {
        let real = idea.sheet();
        let request = HarmonizeRequest {
            seed: i as u64,
            ..HarmonizeRequest::new(real.clone())
        };
        let written = model.harmonize(&request).unwrap();
        assert_eq!(written.bar_count(), real.bar_count());
        let melody = |s: &LeadSheet| {
            s.melody()
                .iter()
                .map(|n| (n.bar_index, n.item))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            melody(&written),
            melody(real),
            "idea {i}: the melody changed"
        );
        for bar in written.bars() {
            let first = bar.chords.first().expect("a chord in every bar");
            assert!(first.position == 0 && first.chord.is_some());
        }
        let truth = roots_per_beat(real);
        model_agree += agreement(&roots_per_beat(&written), &truth);
        let tonic = real.key.tonic.index();
        tonic_agree += agreement(&vec![Some(tonic); truth.len()], &truth);
    }
    let n = ideas.len() as f64;
    let (model_agree, tonic_agree) = (model_agree / n, tonic_agree / n);
    println!(
        "chord roots matching the songs' own, per beat, over {} validation ideas: harmonize {:.3}, the tonic everywhere {:.3}",
        ideas.len(),
        model_agree,
        tonic_agree
    );
    assert!(
        model_agree > tonic_agree + 0.08,
        "harmonize {model_agree:.3} vs tonic {tonic_agree:.3}"
    );
    // The same seed writes the same chords.
    let request = HarmonizeRequest::new(ideas[0].sheet().clone());
    assert_eq!(
        model.harmonize(&request).unwrap(),
        model.harmonize(&request).unwrap()
    );
}
