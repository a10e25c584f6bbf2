//! Sections inferred for songs without markers, against the POP909 phrase labels.
//!
//! POP909's MIDI files have no section markers, so every one of the 818 is an unmarked song. The
//! phrase labels (`human_label1.txt`, `human_label2.txt`) count bars of the bar-aligned version
//! (`melody.txt`, `finalized_chord.txt`), whose bar lines are not always the MIDI's (see the
//! dataset README). So each song is aligned first: the offset (in 16ths) that best lays the notes
//! of `melody.txt` onto the imported melody (an onset within a 16th, same pitch) maps every
//! annotated bar line onto the sheet's time line.
//!
//! Figures, per annotator:
//! - boundary F1: inferred section starts against annotated phrase starts, a hit within one
//!   annotated bar (48 grid ticks), one to one; the song's start and end are left out;
//! - the share of songs that get both a Verse and a Chorus;
//! - chorus overlap: the share of songs where at least half of the inferred chorus lies in
//!   annotated `B` phrases (the class that behaves as the chorus), and the share where at least
//!   half of the `B` phrases are inferred chorus.
//!
//! Also: an unmarked song's sections reach training (its tokens carry Verse and Chorus).

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use songsketch::datasets::phrases::parse_structure;
use songsketch::midi::import::{Imported, SectionSource, import_bytes};
use songsketch::music::SectionKind;

const POP909: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/datasets/pop909");
const ANNOTATED_BAR: i64 = 48;

fn song_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(POP909)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

fn import(dir: &Path) -> Imported {
    let stem = dir.file_name().unwrap().to_string_lossy().into_owned();
    let bytes = std::fs::read(dir.join(format!("{stem}.mid"))).unwrap();
    import_bytes(&bytes, &stem).unwrap()
}

/// The offset in 16ths from `melody.txt`'s time line to the sheet's (sheet = aligned + offset).
fn alignment(dir: &Path, imported: &Imported) -> i64 {
    let sheet: HashSet<(i64, u8)> = imported
        .sheet
        .melody()
        .iter()
        .map(|p| {
            let tick = p.absolute(p.item.onset) as f64;
            ((tick / 3.0).round() as i64, p.item.pitch.0)
        })
        .collect();
    let text = std::fs::read_to_string(dir.join("melody.txt")).unwrap();
    let mut at = 0i64;
    let mut notes = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let mut fields = line.split_whitespace();
        let pitch: u8 = fields.next().unwrap().parse().unwrap();
        let length: i64 = fields.next().unwrap().parse().unwrap();
        if pitch != 0 {
            notes.push((at, pitch));
        }
        at += length;
    }
    let matches = |offset: i64| {
        notes
            .iter()
            .filter(|&&(t, p)| (-1..=1).any(|d| sheet.contains(&(t + offset + d, p))))
            .count()
    };
    (-256..=256).max_by_key(|&o| matches(o)).unwrap()
}

/// Figures of one annotator over all songs.
#[derive(Default)]
struct Figures {
    hits: usize,
    inferred: usize,
    annotated: usize,
    chorus_in_b: usize,
    b_is_chorus: usize,
}

#[test]
fn pop909_sections_are_inferred_from_the_music() {
    let dirs = song_dirs();
    assert!(dirs.len() >= 800);
    let mut figures = [Figures::default(), Figures::default()];
    let (mut verse_and_chorus, mut inferred) = (0usize, 0usize);
    for dir in &dirs {
        let imported = import(dir);
        let sheet = &imported.sheet;
        inferred += (imported.report.sections == SectionSource::Inferred) as usize;
        let kinds: Vec<SectionKind> = sheet.sections.iter().map(|s| s.kind).collect();
        verse_and_chorus +=
            (kinds.contains(&SectionKind::Verse) && kinds.contains(&SectionKind::Chorus)) as usize;
        let offset = alignment(dir, &imported);
        // Inferred section spans in sheet ticks.
        let mut spans = Vec::new();
        let mut start = 0i64;
        for section in &sheet.sections {
            let end = start + section.ticks() as i64;
            spans.push((section.kind, start, end));
            start = end;
        }
        for (annotator, tally) in figures.iter_mut().enumerate() {
            let label =
                std::fs::read_to_string(dir.join(format!("human_label{}.txt", annotator + 1)))
                    .unwrap();
            let phrases = parse_structure(&label).unwrap();
            let tick_of_bar = |bar: i64| (bar * 16 + offset) * 3;
            let mut annotated = Vec::new();
            let mut chorus = Vec::new();
            let mut bar = 0i64;
            for phrase in &phrases {
                let (from, to) = (tick_of_bar(bar), tick_of_bar(bar + phrase.bars as i64));
                annotated.push(from);
                if phrase.class == 'B' {
                    chorus.push((from, to));
                }
                bar += phrase.bars as i64;
            }
            let last = tick_of_bar(bar).min(sheet.total_ticks() as i64);
            let inside = |t: i64| t > ANNOTATED_BAR && t < last - ANNOTATED_BAR;
            let annotated: Vec<i64> = annotated.into_iter().filter(|&t| inside(t)).collect();
            let starts: Vec<i64> = spans.iter().map(|s| s.1).filter(|&t| inside(t)).collect();
            let mut used = vec![false; annotated.len()];
            for &t in &starts {
                let nearest = (0..annotated.len())
                    .filter(|&i| !used[i] && (annotated[i] - t).abs() <= ANNOTATED_BAR)
                    .min_by_key(|&i| (annotated[i] - t).abs());
                if let Some(i) = nearest {
                    used[i] = true;
                    tally.hits += 1;
                }
            }
            tally.inferred += starts.len();
            tally.annotated += annotated.len();
            let overlap = |a: &[(i64, i64)], b: &[(i64, i64)]| -> i64 {
                a.iter()
                    .flat_map(|x| b.iter().map(move |y| (x.1.min(y.1) - x.0.max(y.0)).max(0)))
                    .sum()
            };
            let ours: Vec<(i64, i64)> = spans
                .iter()
                .filter(|s| s.0 == SectionKind::Chorus)
                .map(|s| (s.1, s.2))
                .collect();
            let shared = overlap(&ours, &chorus);
            let ours_length: i64 = ours.iter().map(|s| s.1 - s.0).sum();
            let b_length: i64 = chorus.iter().map(|s| s.1 - s.0).sum();
            tally.chorus_in_b += (ours_length > 0 && shared * 2 >= ours_length) as usize;
            tally.b_is_chorus += (b_length > 0 && shared * 2 >= b_length) as usize;
        }
    }
    let songs = dirs.len() as f64;
    println!(
        "pop909 sections: {inferred} of {} songs inferred (no markers); Verse and Chorus in {:.4}",
        dirs.len(),
        verse_and_chorus as f64 / songs
    );
    for (annotator, f) in figures.iter().enumerate() {
        let precision = f.hits as f64 / f.inferred as f64;
        let recall = f.hits as f64 / f.annotated as f64;
        let f1 = 2.0 * precision * recall / (precision + recall);
        println!(
            "  human_label{}: boundaries within one bar P {precision:.4} R {recall:.4} F1 {f1:.4}; \
             chorus ≥ half in B {:.4}; B ≥ half chorus {:.4}",
            annotator + 1,
            f.chorus_in_b as f64 / songs,
            f.b_is_chorus as f64 / songs
        );
        assert!(f1 >= 0.50, "annotator {}: F1 {f1}", annotator + 1);
        assert!(
            f.chorus_in_b as f64 / songs >= 0.55,
            "annotator {}",
            annotator + 1
        );
    }
    assert_eq!(inferred, dirs.len());
    assert!(verse_and_chorus as f64 / songs >= 0.95);
}

#[test]
fn an_unmarked_song_trains_with_its_inferred_verse_and_chorus() {
    use songsketch::model::tokens::{Token, Vocab, encode};
    let imported = import(&Path::new(POP909).join("001"));
    assert_eq!(imported.report.sections, SectionSource::Inferred);
    let vocab = Vocab::standard();
    let ids = encode(&vocab, &imported.sheet).unwrap();
    let tokens: Vec<Token> = ids.iter().map(|&id| vocab.token(id)).collect();
    for kind in [SectionKind::Verse, SectionKind::Chorus] {
        assert!(
            tokens.contains(&Token::Section(kind)),
            "no {kind} section reaches the model"
        );
    }
    let verses_and_choruses = songsketch::datasets::pop909::verse_chorus_pairs(&imported.sheet);
    assert!(
        !verses_and_choruses.is_empty(),
        "no verse followed by its chorus"
    );
}
