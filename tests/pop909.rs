//! The POP909 adapter on the real dataset: every song folder loads and validates, bar counts follow
//! the chord files, and the verse/chorus rule's statistics are measured, printed and checked.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use songsketch::datasets::pop909::{self, Pop909Song};
use songsketch::music::{Pitch, SectionKind};

fn pop909_root() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/datasets/pop909"
    ))
}

fn all_songs() -> Vec<(PathBuf, Pop909Song)> {
    let (songs, skipped) = pop909::read_folder(&pop909_root());
    for (path, reason) in &skipped {
        println!("skipped {}: {reason}", path.display());
    }
    println!("loaded {} songs, skipped {}", songs.len(), skipped.len());
    assert!(
        skipped.len() <= 20,
        "too many songs refused: {}",
        skipped.len()
    );
    assert!(songs.len() >= 798, "only {} songs loaded", songs.len());
    songs
}

#[test]
fn song_001_reads_exactly_as_its_text_files_say() {
    let sheet = pop909::load_song(&pop909_root().join("001")).unwrap();
    assert_eq!(sheet.title, "001");
    assert_eq!(sheet.key.to_string(), "Gb");
    assert_eq!(sheet.tempo.bpm(), 90.0);
    // finalized_chord.txt holds 284 beats: 71 bars of 4/4.
    assert_eq!(sheet.bar_count(), 71);
    let labels: String = sheet.sections.iter().map(|s| s.label.as_str()).collect();
    assert_eq!(labels, "iABAAbBAAbbAAbAo");
    assert_eq!(sheet.sections[0].kind, SectionKind::Intro);
    assert_eq!(sheet.sections[1].kind, SectionKind::Verse);
    assert_eq!(sheet.sections[2].kind, SectionKind::Chorus);
    assert_eq!(sheet.sections[5].kind, SectionKind::Other);
    assert_eq!(sheet.sections[2].bars.len(), 8);
    // melody.txt: `0 60` then `61 1`: the first note is a 16th in bar 4, beat 4.
    let first = sheet.melody()[0];
    assert_eq!(first.bar_index, 3);
    assert_eq!(first.item.onset, 36);
    assert_eq!(first.item.duration, 3);
    assert_eq!(first.item.pitch, Pitch(61));
    // finalized_chord.txt: `B:maj … 2` then `C#:maj … 2`.
    let bar = sheet.bars().next().unwrap();
    let chords: Vec<(u32, String)> = bar
        .chords
        .iter()
        .map(|c| {
            (
                c.position,
                c.chord.map(|c| c.to_string()).unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(chords, [(0, "B".to_string()), (24, "C#".to_string())]);
}

#[test]
fn a_folder_without_song_files_is_reported_not_panicked_on() {
    let dir = tempfile::tempdir().unwrap();
    let song = dir.path().join("999");
    std::fs::create_dir(&song).unwrap();
    std::fs::write(song.join("melody.txt"), "60 4\nnonsense\n").unwrap();
    let err = pop909::load_song(&song).unwrap_err().to_string();
    assert!(
        err.contains("melody.txt") && err.contains("line 2"),
        "{err}"
    );
    let (songs, skipped) = pop909::load_folder(dir.path());
    assert!(songs.is_empty());
    assert_eq!(skipped.len(), 1);
    let (_, skipped) = pop909::load_folder(&dir.path().join("absent"));
    assert_eq!(skipped.len(), 1);
}

#[test]
fn every_song_loads_validates_and_spans_its_chord_file() {
    let songs = all_songs();
    let mut meters: BTreeMap<String, usize> = BTreeMap::new();
    let mut annotator2 = 0;
    for (path, song) in &songs {
        song.sheet.validate().unwrap();
        let meter = song.sheet.meter();
        *meters.entry(meter.to_string()).or_default() += 1;
        let beats_per_bar = meter.beats_per_bar();
        assert_eq!(
            song.sheet.bar_count() as u32,
            song.chord_beats.div_ceil(beats_per_bar),
            "{}",
            path.display()
        );
        assert!(song.sheet.bars().all(|b| b.length == meter.bar_ticks()));
        assert!(
            song.sheet
                .bars()
                .all(|b| b.chords.first().is_some_and(|c| c.position == 0))
        );
        let labelled: u32 = song.phrases.iter().map(|p| p.bars).sum();
        let miss = labelled.abs_diff(song.sheet.bar_count() as u32);
        assert!(miss <= 4, "{}: labels miss by {miss} bars", path.display());
        annotator2 += usize::from(song.annotator == 2);
    }
    println!("meters: {meters:?}; annotator 2's labels used for {annotator2} songs");
    assert!(meters.get("4/4").copied().unwrap_or(0) >= 780);
}

/// Mean melody pitch over every section of one kind.
fn mean_pitch(song: &Pop909Song, pick: impl Fn(&str, SectionKind) -> bool) -> Option<f64> {
    let pitches: Vec<f64> = song
        .sheet
        .sections
        .iter()
        .filter(|s| pick(&s.label, s.kind))
        .flat_map(|s| s.bars.iter().flat_map(|b| &b.melody))
        .map(|n| n.pitch.0 as f64)
        .collect();
    (!pitches.is_empty()).then(|| pitches.iter().sum::<f64>() / pitches.len() as f64)
}

fn is_melodic(label: &str) -> bool {
    label.chars().all(|c| c.is_ascii_uppercase() && c != 'X')
}

#[test]
fn the_section_rule_measured_over_the_dataset() {
    let songs = all_songs();
    let n = songs.len() as f64;
    let mut chorus_classes: BTreeMap<String, usize> = BTreeMap::new();
    let (mut with_pair, mut agrees_b, mut rule_higher, mut ab_both, mut b_higher) = (0, 0, 0, 0, 0);
    let (mut rule_ends, mut b_ends, mut diffs) = (0, 0, Vec::new());
    let mut pairs = 0;
    for (_, song) in &songs {
        let chorus = song.roles.chorus_class;
        *chorus_classes
            .entry(chorus.map(String::from).unwrap_or("none".into()))
            .or_default() += 1;
        agrees_b += usize::from(chorus == Some('B'));
        let verse = mean_pitch(song, |_, k| k == SectionKind::Verse);
        let chorus_pitch = mean_pitch(song, |_, k| k == SectionKind::Chorus);
        if let (Some(v), Some(c)) = (verse, chorus_pitch) {
            diffs.push(c - v);
            rule_higher += usize::from(c > v);
        }
        if let (Some(a), Some(b)) = (
            mean_pitch(song, |l, _| l == "A"),
            mean_pitch(song, |l, _| l == "B"),
        ) {
            ab_both += 1;
            b_higher += usize::from(b > a);
        }
        // An independent check: songs usually end on their chorus. Which class sings last?
        let last_melodic = song
            .sheet
            .sections
            .iter()
            .rev()
            .find(|s| is_melodic(&s.label));
        if let Some(last) = last_melodic {
            rule_ends += usize::from(last.kind == SectionKind::Chorus);
            b_ends += usize::from(last.label == "B");
        }
        let ideas = pop909::verse_chorus_pairs(&song.sheet);
        with_pair += usize::from(!ideas.is_empty());
        pairs += ideas.len();
    }
    let mean_diff = diffs.iter().sum::<f64>() / diffs.len() as f64;
    println!("chorus class chosen: {chorus_classes:?}");
    println!(
        "rule's chorus = B in {:.3} of songs; rule's chorus above its verse in {:.3} of {} songs with both (mean +{mean_diff:.2} semitones)",
        agrees_b as f64 / n,
        rule_higher as f64 / diffs.len() as f64,
        diffs.len()
    );
    println!(
        "plain A/B: B above A in {:.3} of {ab_both} songs",
        b_higher as f64 / ab_both as f64
    );
    println!(
        "last melodic phrase is the rule's chorus in {:.3} of songs, is B in {:.3}",
        rule_ends as f64 / n,
        b_ends as f64 / n
    );
    println!("songs with a verse+chorus pair: {with_pair}, pairs: {pairs}");
    assert!(agrees_b as f64 / n > 0.6);
    assert!(rule_higher as f64 / diffs.len() as f64 > b_higher as f64 / ab_both as f64);
    assert!(mean_diff > 2.0);
    assert!(rule_ends >= b_ends);
    assert!(with_pair as f64 / n > 0.8);
}

#[test]
fn verse_chorus_pairs_are_valid_ideas_cut_from_the_song() {
    let path: &Path = &pop909_root().join("001");
    let sheet = pop909::load_song(path).unwrap();
    let ideas = pop909::verse_chorus_pairs(&sheet);
    // i A B A A b B A A b b A A b A o: A→B, and AA→(b)→B; the later verses lead to no chorus.
    assert_eq!(ideas.len(), 2);
    assert_eq!(ideas[1].verse().bars.len(), 8);
    assert_eq!(ideas[1].chorus().bars.len(), 8);
    assert_eq!(ideas[1].chorus().bars[0], sheet.sections[6].bars[0]);
    assert_eq!(ideas[0].verse().bars.len(), 4);
    assert_eq!(ideas[0].chorus().bars.len(), 8);
    assert_eq!(ideas[0].verse().bars[0], sheet.sections[1].bars[0]);
    assert_eq!(
        ideas[0].chorus().bars[7].chords,
        sheet.sections[2].bars[7].chords
    );
}
