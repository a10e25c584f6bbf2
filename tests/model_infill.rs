//! The Transformer end to end on real POP909 songs: a tiny one trains with the infilling layout,
//! then redoes chosen bars of real verse+chorus pairs. Every bar outside the span stays as it
//! was, the span is new, the same seed gives the same idea, the rules of a well-formed idea hold
//! over many seeds, and a checkpoint that does not fit its card is refused by name.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::AtomicBool;

use songsketch::datasets::pop909;
use songsketch::model::infill::{Redo, RedoPart};
use songsketch::model::{GenerateRequest, Keep, Model, TrainConfig, train};
use songsketch::music::{Idea, LeadSheet, Meter};

const POP909: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/datasets/pop909");

fn songs(skip: usize, count: usize) -> Vec<(String, LeadSheet)> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(POP909)
        .expect("the pop909 dataset is at ../shared/datasets/pop909")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs.into_iter()
        .filter_map(|d| {
            let name = d.file_name()?.to_string_lossy().into_owned();
            pop909::load_song(&d).ok().map(|s| (name, s))
        })
        .skip(skip)
        .take(count)
        .collect()
}

/// Real verse+chorus pairs in 4/4 from songs the tiny model was not trained on.
fn real_ideas() -> Vec<Idea> {
    songs(60, 12)
        .iter()
        .flat_map(|(_, s)| pop909::verse_chorus_pairs(s).into_iter().take(1))
        .filter(|i| {
            i.sheet()
                .bars()
                .all(|b| b.meter == Meter::FOUR_FOUR && !b.is_pickup())
        })
        .take(6)
        .collect()
}

struct Trained {
    _dir: tempfile::TempDir,
    model_dir: PathBuf,
}

/// One tiny Transformer shared by the tests of this file.
fn trained() -> &'static Trained {
    static MODEL: OnceLock<Trained> = OnceLock::new();
    MODEL.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let model_dir = dir.path().join("tiny-transformer");
        let config = TrainConfig {
            embed: 32,
            hidden: 64,
            layers: 2,
            heads: 2,
            seq_len: 192,
            batch_size: 16,
            learning_rate: 3e-3,
            max_epochs: 3,
            patience: 3,
            validation_percent: 20,
            allow_cuda: false,
            ..TrainConfig::transformer(&model_dir)
        };
        let outcome = train(config, songs(0, 24), &mut |_| {}, &AtomicBool::new(false)).unwrap();
        assert_eq!(outcome.epochs_run, 3);
        Trained {
            _dir: dir,
            model_dir,
        }
    })
}

fn redo(idea: &Idea, bars: std::ops::Range<usize>, part: RedoPart, seed: u64) -> GenerateRequest {
    GenerateRequest {
        seed,
        keep: Keep::Bars(Redo {
            idea: idea.clone(),
            bars,
            part,
        }),
        ..GenerateRequest::default()
    }
}

/// The bars of a sheet across sections.
fn bars(sheet: &LeadSheet) -> Vec<songsketch::music::Bar> {
    sheet.bars().cloned().collect()
}

#[test]
fn redoing_bars_keeps_every_note_outside_them_and_writes_new_ones_inside() {
    let model = Model::load(&trained().model_dir).unwrap();
    let ideas = real_ideas();
    assert!(ideas.len() >= 4, "{} real ideas", ideas.len());
    let mut changed = 0;
    let mut spans = 0;
    for (i, idea) in ideas.iter().enumerate() {
        let total = idea.sheet().bar_count();
        for (k, span) in [(4, 6), (0, 1), (total - 2, total)].into_iter().enumerate() {
            let (a, b) = span;
            let before = bars(idea.sheet());
            let generated = model
                .generate(&redo(idea, a..b, RedoPart::Both, (i * 3 + k) as u64))
                .unwrap();
            let after = bars(generated.idea.sheet());
            assert_eq!(after.len(), before.len());
            for (index, (old, new)) in before.iter().zip(&after).enumerate() {
                if (a..b).contains(&index) {
                    continue;
                }
                assert_eq!(
                    old.melody, new.melody,
                    "idea {i}: bar {index} melody changed"
                );
                if index == b {
                    // The bar after the span may state the chord it already had.
                    let sounding = |bar: &songsketch::music::Bar| bar.chord_at(0).map(|c| c.chord);
                    assert!(new.chords.ends_with(&old.chords), "idea {i}: bar {index}");
                    assert!(new.chords.len() <= old.chords.len() + 1);
                    if new.chords.len() > old.chords.len() {
                        assert_eq!(new.chords[0].position, 0);
                        assert!(sounding(old).is_none());
                    }
                } else {
                    assert_eq!(
                        old.chords, new.chords,
                        "idea {i}: bar {index} chords changed"
                    );
                }
            }
            // No new note sounds into the bar after the span.
            let starts = generated.idea.sheet().bar_starts();
            let span_end = starts.get(b).copied().unwrap_or(u32::MAX);
            for (index, bar) in after.iter().enumerate().take(b).skip(a) {
                for note in &bar.melody {
                    assert!(starts[index] + note.onset + note.duration <= span_end);
                }
            }
            spans += 1;
            if before[a..b] != after[a..b] {
                changed += 1;
            }
        }
    }
    assert!(
        changed * 10 >= spans * 9,
        "{changed} of {spans} spans changed"
    );
}

#[test]
fn redoing_the_melody_keeps_the_chords_of_the_span() {
    let model = Model::load(&trained().model_dir).unwrap();
    for (i, idea) in real_ideas().iter().enumerate().take(3) {
        let generated = model
            .generate(&redo(idea, 2..5, RedoPart::Melody, i as u64))
            .unwrap();
        let (before, after) = (bars(idea.sheet()), bars(generated.idea.sheet()));
        for index in 2..5 {
            assert_eq!(
                before[index].chords, after[index].chords,
                "idea {i} bar {index}"
            );
        }
        assert_ne!(
            before[2..5].iter().map(|b| &b.melody).collect::<Vec<_>>(),
            after[2..5].iter().map(|b| &b.melody).collect::<Vec<_>>()
        );
    }
}

#[test]
fn the_same_seed_gives_the_same_bytes_fresh_and_redone() {
    let model = Model::load(&trained().model_dir).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let write = |request: &GenerateRequest, name: &str| -> Vec<u8> {
        let idea = model.generate(request).unwrap().idea;
        let path = dir.path().join(name);
        songsketch::midi::write::write_lead_sheet(
            idea.sheet(),
            &path,
            &songsketch::midi::write::ExportOptions::default(),
        )
        .unwrap();
        std::fs::read(path).unwrap()
    };
    let fresh = GenerateRequest {
        seed: 7,
        ..GenerateRequest::default()
    };
    assert_eq!(write(&fresh, "a.mid"), write(&fresh, "b.mid"));
    let other = GenerateRequest {
        seed: 8,
        ..fresh.clone()
    };
    assert_ne!(write(&fresh, "a.mid"), write(&other, "c.mid"));
    let idea = &real_ideas()[0];
    let again = redo(idea, 3..5, RedoPart::Both, 2);
    assert_eq!(write(&again, "d.mid"), write(&again, "e.mid"));
}

#[test]
fn fresh_ideas_and_redos_keep_the_rules_over_many_seeds() {
    let model = Model::load(&trained().model_dir).unwrap();
    let idea = &real_ideas()[1];
    for seed in 0..30 {
        let fresh = model
            .generate(&GenerateRequest {
                seed,
                meter: Some(Meter::FOUR_FOUR),
                ..GenerateRequest::default()
            })
            .unwrap();
        check_melody_is_one_line(fresh.idea.sheet());
        let start = (seed as usize) % 10;
        let redone = model
            .generate(&redo(idea, start..start + 2, RedoPart::Both, seed))
            .unwrap();
        check_melody_is_one_line(redone.idea.sheet());
        for bar in redone.idea.sheet().bars() {
            let first = bar.chords.first().expect("a chord in every bar");
            assert_eq!(first.position, 0);
        }
    }
}

fn check_melody_is_one_line(sheet: &LeadSheet) {
    let melody = sheet.melody();
    for pair in melody.windows(2) {
        let end = pair[0].absolute(pair[0].item.onset) + pair[0].item.duration;
        assert!(
            end <= pair[1].absolute(pair[1].item.onset),
            "overlapping notes"
        );
    }
}

#[test]
fn an_lstm_checkpoint_under_a_transformer_card_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken");
    copy_dir(&trained().model_dir, &broken);
    let default_weights =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("models/default/model.safetensors");
    std::fs::copy(default_weights, broken.join("model.safetensors")).unwrap();
    let error = Model::load(&broken).unwrap_err().to_string();
    assert!(error.contains("model.safetensors"), "{error}");
    assert!(error.contains("tensor"), "{error}");
    // The shipped model still loads and generates.
    let default = Model::load_default().unwrap();
    default.generate(&GenerateRequest::default()).unwrap();
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

#[test]
fn redoing_the_chords_keeps_every_note_and_the_chords_outside() {
    // Any model can do it: the shipped LSTM and the tiny Transformer.
    let models = [
        Model::load_default().unwrap(),
        Model::load(&trained().model_dir).unwrap(),
    ];
    for model in &models {
        for (i, idea) in real_ideas().iter().enumerate().take(3) {
            let generated = model
                .generate(&redo(idea, 4..7, RedoPart::Chords, i as u64))
                .unwrap();
            let (before, after) = (bars(idea.sheet()), bars(generated.idea.sheet()));
            for (index, (old, new)) in before.iter().zip(&after).enumerate() {
                assert_eq!(old.melody, new.melody, "idea {i}: bar {index} melody");
                if !(4..=7).contains(&index) {
                    assert_eq!(old.chords, new.chords, "idea {i}: bar {index} chords");
                } else if index == 7 {
                    assert!(new.chords.ends_with(&old.chords), "idea {i}: bar 7");
                }
            }
        }
    }
}
