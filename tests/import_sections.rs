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
//!   annotated bar (48 grid ticks), one to one; the song's start and end are left out; and the
//!   same F1 counting only the hits within an eighth (where the bar lines themselves agree);
//! - the share of songs that get both a Verse and a Chorus;
//! - chorus overlap: the share of songs where at least half of the inferred chorus lies in
//!   annotated `B` phrases (the class that behaves as the chorus in most songs), and the share
//!   where at least half of the `B` phrases are inferred chorus;
//! - the same against the annotated chorus class as the POP909 adapter names it for training
//!   (the repeated melodic class after the first whose melody sits highest: `C` where `A B C`
//!   is verse, pre-chorus, chorus).
//!
//! Also: an unmarked song's sections reach training (its tokens carry Verse and Chorus).

mod pop909_alignment;

use std::path::{Path, PathBuf};

use pop909_alignment::{aligned_melody, alignment};
use songsketch::datasets::phrases::parse_structure;
use songsketch::midi::import::{Imported, SectionSource, import_bytes};
use songsketch::music::SectionKind;
use songsketch::music::phrases::{Phrase, PitchTally, assign_kinds};

const POP909: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/datasets/pop909");
const ANNOTATED_BAR: i64 = 48;
const EIGHTH: i64 = 6;

fn song_dirs() -> Vec<PathBuf> {
    songsketch::datasets::pop909::song_dirs(Path::new(POP909)).unwrap()
}

fn import(dir: &Path) -> Imported {
    let stem = dir.file_name().unwrap().to_string_lossy().into_owned();
    let bytes = std::fs::read(dir.join(format!("{stem}.mid"))).unwrap();
    import_bytes(&bytes, &stem).unwrap()
}

/// The annotated chorus class as the POP909 adapter names it for training
/// (`music::phrases::assign_kinds` on the annotator's phrases): of the melodic classes after the
/// first, the repeated one whose melody sits highest. `B` in most songs; `C` where a `B`
/// pre-chorus leads into it.
fn adapter_chorus_class(phrases: &[Phrase], melody: &[(i64, u8)]) -> Option<char> {
    let mut bar = 0i64;
    let tallies: Vec<PitchTally> = phrases
        .iter()
        .map(|phrase| {
            let (from, to) = (bar * 16, (bar + phrase.bars as i64) * 16);
            bar += phrase.bars as i64;
            let pitches: Vec<f64> = melody
                .iter()
                .filter(|&&(t, _)| t >= from && t < to)
                .map(|&(_, p)| f64::from(p))
                .collect();
            PitchTally {
                sum: pitches.iter().sum(),
                notes: pitches.len(),
            }
        })
        .collect();
    assign_kinds(phrases, &tallies).chorus_class
}

/// Figures of one annotator over all songs.
#[derive(Default)]
struct Figures {
    hits: usize,
    /// Of those, hits within an eighth (the bar lines themselves agree).
    exact_hits: usize,
    inferred: usize,
    annotated: usize,
    chorus_in_b: usize,
    b_is_chorus: usize,
    /// Songs whose inferred chorus lies at least half in the adapter's chorus class.
    chorus_in_adapter_chorus: usize,
    /// Songs whose adapter's chorus class is `B`.
    adapter_chorus_is_b: usize,
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
        let melody = aligned_melody(dir);
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
            let adapter_chorus = adapter_chorus_class(&phrases, &melody);
            tally.adapter_chorus_is_b += (adapter_chorus == Some('B')) as usize;
            let mut annotated = Vec::new();
            let mut chorus = Vec::new();
            let mut adapter_spans = Vec::new();
            let mut bar = 0i64;
            for phrase in &phrases {
                let (from, to) = (tick_of_bar(bar), tick_of_bar(bar + phrase.bars as i64));
                annotated.push(from);
                if phrase.class == 'B' {
                    chorus.push((from, to));
                }
                if Some(phrase.class) == adapter_chorus {
                    adapter_spans.push((from, to));
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
                    tally.exact_hits += ((annotated[i] - t).abs() <= EIGHTH) as usize;
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
            let in_adapter_chorus = overlap(&ours, &adapter_spans);
            tally.chorus_in_adapter_chorus +=
                (ours_length > 0 && in_adapter_chorus * 2 >= ours_length) as usize;
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
        let exact_f1 = 2.0 * f.exact_hits as f64 / (f.inferred + f.annotated) as f64;
        println!(
            "  human_label{}: boundaries within one bar P {precision:.4} R {recall:.4} F1 {f1:.4} \
             (within an eighth: F1 {exact_f1:.4}); \
             chorus ≥ half in B {:.4}; B ≥ half chorus {:.4}; chorus ≥ half in the \
             adapter's chorus class {:.4} (that class is B in {} songs)",
            annotator + 1,
            f.chorus_in_b as f64 / songs,
            f.b_is_chorus as f64 / songs,
            f.chorus_in_adapter_chorus as f64 / songs,
            f.adapter_chorus_is_b
        );
        assert!(
            f.chorus_in_adapter_chorus as f64 / songs >= 0.70,
            "annotator {}",
            annotator + 1
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
