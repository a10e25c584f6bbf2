//! The evaluation metrics on real songs: each POP909 song's first verse+chorus, measured and
//! printed, must land where real pop sits (the reference column of `songsketch eval`).

use std::path::PathBuf;

use songsketch::datasets::pop909;
use songsketch::eval::{self, SetMetrics};
use songsketch::music::{Idea, LeadSheet};

fn pop909_songs() -> Vec<LeadSheet> {
    let root = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/datasets/pop909"
    ));
    let (songs, skipped) = pop909::load_folder(&root);
    assert!(
        songs.len() >= 798,
        "{} songs, {} skipped",
        songs.len(),
        skipped.len()
    );
    songs.into_iter().map(|(_, s)| s).collect()
}

fn first_ideas(songs: &[LeadSheet]) -> Vec<Idea> {
    songs
        .iter()
        .filter_map(|s| pop909::verse_chorus_pairs(s).into_iter().next())
        .collect()
}

fn similarity(set: &SetMetrics, shuffled: bool, distance: usize) -> f64 {
    let list = if shuffled {
        &set.shuffled_bar_similarity
    } else {
        &set.bar_similarity
    };
    list.iter()
        .find(|d| d.distance == distance)
        .and_then(|d| d.mean)
        .unwrap_or(f64::NAN)
}

#[test]
fn real_verse_chorus_pairs_measure_like_real_pop() {
    let songs = pop909_songs();
    let ideas = first_ideas(&songs);
    // Odd and even songs as two halves: the figures must agree between halves of real data.
    let (odd, even): (Vec<_>, Vec<_>) = ideas
        .iter()
        .cloned()
        .enumerate()
        .partition(|(i, _)| i % 2 == 1);
    let odd: Vec<Idea> = odd.into_iter().map(|(_, x)| x).collect();
    let even: Vec<Idea> = even.into_iter().map(|(_, x)| x).collect();
    let mut all = eval::measure(&ideas);
    all.most_copied_bars = Some(eval::copied_bars(&odd, &songs));
    let halves = (eval::measure(&odd), eval::measure(&even));
    println!(
        "{}",
        eval::table(&[("all songs", &all), ("odd", &halves.0), ("even", &halves.1)])
    );
    let ratio = all.chord_tone_ratio_on_beats.unwrap();
    assert!((0.62..0.82).contains(&ratio), "{ratio}");
    assert!(all.scale_consistency.unwrap() > 0.93);
    assert!(all.in_key_ratio.unwrap() > 0.9);
    for d in [2, 4, 8] {
        assert!(
            similarity(&all, false, d) > similarity(&all, false, 1),
            "distance {d}"
        );
        assert!(
            similarity(&all, false, d) > similarity(&all, true, d),
            "shuffled {d}"
        );
    }
    assert!(all.chorus_minus_verse_pitch.unwrap() > 1.5);
    assert!(all.long_same_pitch_run_share.unwrap() < 0.1);
    assert!(all.chorus_chords_differ.unwrap() > 0.5);
    // Copying from the songs themselves finds whole phrases: the measure sees copies.
    assert!(all.most_copied_bars.unwrap() >= 4);
    let gap = (halves.0.chord_tone_ratio_on_beats.unwrap()
        - halves.1.chord_tone_ratio_on_beats.unwrap())
    .abs();
    assert!(gap < 0.05, "halves differ by {gap}");
}
