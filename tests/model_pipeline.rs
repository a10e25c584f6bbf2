//! The model end to end on real POP909 songs: a tiny network trains and its validation loss
//! falls; the checkpoint loads in a fresh process with no data around and writes the same bytes
//! for the same seed; generated ideas keep every constraint over many seeds; partial
//! regeneration keeps what it is asked to keep; cancel + resume continue the run; broken
//! checkpoints give clear errors.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

use songsketch::datasets::pop909;
use songsketch::model::train::StopReason;
use songsketch::model::{GenerateRequest, Keep, Model, TrainConfig, TrainEvent, train};
use songsketch::music::{Idea, LeadSheet, Meter, SectionKind};

const POP909: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/datasets/pop909");

fn songs(count: usize) -> Vec<(String, LeadSheet)> {
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
        .take(count)
        .collect()
}

fn tiny_config(out: &Path) -> TrainConfig {
    TrainConfig {
        embed: 32,
        hidden: 96,
        layers: 2,
        seq_len: 128,
        batch_size: 16,
        learning_rate: 3e-3,
        max_epochs: 4,
        patience: 4,
        validation_percent: 20,
        allow_cuda: false,
        ..TrainConfig::new(out)
    }
}

struct Trained {
    _dir: tempfile::TempDir,
    model_dir: PathBuf,
    events: Vec<TrainEvent>,
}

/// One tiny model shared by the tests of this file (trained once, about a minute on 2 cores).
fn trained() -> &'static Trained {
    static MODEL: OnceLock<Trained> = OnceLock::new();
    MODEL.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let model_dir = dir.path().join("tiny");
        let mut events = Vec::new();
        let outcome = train(
            tiny_config(&model_dir),
            songs(24),
            &mut |event| events.push(event),
            &AtomicBool::new(false),
        )
        .unwrap();
        assert_eq!(outcome.epochs_run, 4);
        Trained {
            _dir: dir,
            model_dir,
            events,
        }
    })
}

#[test]
fn validation_loss_falls_and_progress_is_reported() {
    let t = trained();
    let card = songsketch::model::ModelCard::load(&t.model_dir).unwrap();
    let log = &card.loss_log;
    assert_eq!(log.len(), 4);
    let uniform = (card.vocab.len() as f64).ln();
    assert!(log[0].validation_loss < uniform, "{log:?}");
    assert!(
        log[3].validation_loss < log[0].validation_loss - 0.2,
        "validation loss did not fall: {log:?}"
    );
    assert!(card.data.validation_songs.len() >= 2 && card.data.train_songs >= 15);
    assert!(matches!(
        t.events.first(),
        Some(TrainEvent::Prepared { .. })
    ));
    assert!(
        t.events
            .iter()
            .any(|e| matches!(e, TrainEvent::Progress { .. }))
    );
    assert_eq!(
        t.events
            .iter()
            .filter(|e| matches!(e, TrainEvent::Epoch { .. }))
            .count(),
        4
    );
    assert!(matches!(t.events.last(), Some(TrainEvent::Finished(_))));
}

fn longest_same_pitch_run(idea: &Idea) -> usize {
    let pitches: Vec<u8> = idea
        .sheet()
        .melody()
        .iter()
        .map(|n| n.item.pitch.0)
        .collect();
    let mut best = 0;
    let mut run = 0;
    for (i, p) in pitches.iter().enumerate() {
        run = if i > 0 && pitches[i - 1] == *p {
            run + 1
        } else {
            1
        };
        best = best.max(run);
    }
    best
}

fn check_constraints(model: &Model, idea: &Idea, bars: usize) {
    let sheet = idea.sheet();
    assert_eq!(sheet.sections.len(), 2);
    assert_eq!(idea.verse().kind, SectionKind::Verse);
    assert_eq!(idea.chorus().kind, SectionKind::Chorus);
    let mut section_end = 0;
    let starts = sheet.bar_starts();
    let mut bar_index = 0;
    for section in &sheet.sections {
        assert_eq!(section.bars.len(), bars);
        section_end += section.ticks();
        for bar in &section.bars {
            assert!(!bar.is_pickup());
            let first = bar.chords.first().expect("a chord in every bar");
            assert!(
                first.position == 0 && first.chord.is_some(),
                "no chord at the bar start"
            );
            let start = starts[bar_index];
            for note in &bar.melody {
                assert!(
                    start + note.onset + note.duration <= section_end,
                    "a note leaves its section"
                );
            }
            bar_index += 1;
        }
    }
    // No bar without melody sounding in it.
    let melody = sheet.melody();
    for (b, &start) in starts.iter().enumerate() {
        let end = start + sheet.bars().nth(b).unwrap().length;
        assert!(
            melody.iter().any(|n| {
                let on = n.absolute(n.item.onset);
                on < end && on + n.item.duration > start
            }),
            "bar {b} has no melody"
        );
    }
    assert!(longest_same_pitch_run(idea) <= 8);
    assert_eq!(model.originality_index().first_copied_window(sheet), None);
}

#[test]
fn ideas_keep_every_constraint_over_many_seeds() {
    let model = Model::load(&trained().model_dir).unwrap();
    for seed in 0..40 {
        for bars in [4, 8] {
            let request = GenerateRequest {
                seed,
                bars,
                meter: Some(Meter::FOUR_FOUR),
                ..GenerateRequest::default()
            };
            let generated = model.generate(&request).unwrap();
            check_constraints(&model, &generated.idea, bars);
        }
    }
}

#[test]
fn same_seed_same_idea_other_seed_other_idea() {
    let model = Model::load(&trained().model_dir).unwrap();
    let request = GenerateRequest {
        seed: 11,
        key: Some("Am".parse().unwrap()),
        ..GenerateRequest::default()
    };
    let a = model.generate(&request).unwrap();
    let b = model.generate(&request).unwrap();
    assert_eq!(a, b);
    assert_eq!(a.idea.sheet().key.to_string(), "Am");
    let c = model
        .generate(&GenerateRequest {
            seed: 12,
            ..request.clone()
        })
        .unwrap();
    assert_ne!(a.idea, c.idea);
}

#[test]
fn partial_regeneration_keeps_what_it_is_asked_to_keep() {
    let model = Model::load(&trained().model_dir).unwrap();
    let base = model
        .generate(&GenerateRequest {
            seed: 5,
            key: Some("Eb".parse().unwrap()),
            ..GenerateRequest::default()
        })
        .unwrap()
        .idea;
    let chords_of =
        |idea: &Idea| -> Vec<_> { idea.sheet().bars().map(|b| b.chords.clone()).collect() };
    let new_melody = model
        .generate(&GenerateRequest {
            seed: 99,
            keep: Keep::Chords(base.clone()),
            ..GenerateRequest::default()
        })
        .unwrap()
        .idea;
    assert_eq!(chords_of(&new_melody), chords_of(&base));
    assert_ne!(new_melody.sheet().melody(), base.sheet().melody());
    assert_eq!(new_melody.sheet().key, base.sheet().key);

    let new_chorus = model
        .generate(&GenerateRequest {
            seed: 98,
            keep: Keep::Verse(base.clone()),
            ..GenerateRequest::default()
        })
        .unwrap()
        .idea;
    assert_eq!(new_chorus.verse(), base.verse());
    assert_ne!(new_chorus.chorus(), base.chorus());

    let mut primer = base.sheet().clone();
    primer.sections.truncate(1);
    primer.sections[0].bars.truncate(2);
    // The primer's last note may be held into bar 3; generation writes from there on.
    let continued = model
        .generate(&GenerateRequest {
            seed: 97,
            keep: Keep::Primer(primer.clone()),
            ..GenerateRequest::default()
        })
        .unwrap()
        .idea;
    assert_eq!(continued.verse().bars[0], primer.sections[0].bars[0]);
    assert_eq!(continued.verse().bars.len(), 8);
}

#[test]
fn a_checkpoint_loads_in_a_fresh_process_without_data_and_writes_the_same_bytes() {
    let copy = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(&trained().model_dir).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, copy.path().join(path.file_name().unwrap())).unwrap();
    }
    let out = tempfile::tempdir().unwrap();
    let run = |name: &str, seed: &str| -> Vec<u8> {
        let file = out.path().join(name);
        let status = Command::new(env!("CARGO_BIN_EXE_songsketch"))
            .args(["generate", "--model"])
            .arg(copy.path())
            .arg("--out")
            .arg(&file)
            .args([
                "--seed", seed, "--key", "Am", "--tempo", "96", "--bars", "8",
            ])
            .current_dir(out.path())
            .output()
            .unwrap();
        assert!(
            status.status.success(),
            "{}",
            String::from_utf8_lossy(&status.stderr)
        );
        std::fs::read(&file).unwrap()
    };
    let a = run("a.mid", "7");
    let b = run("b.mid", "7");
    let c = run("c.mid", "8");
    assert_eq!(a, b);
    assert_ne!(a, c);
    assert_eq!(&a[..4], b"MThd");
}

#[test]
fn broken_checkpoints_give_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let copy = |name: &str| -> PathBuf {
        let target = dir.path().join(name);
        std::fs::create_dir_all(&target).unwrap();
        for entry in std::fs::read_dir(&trained().model_dir).unwrap() {
            let path = entry.unwrap().path();
            std::fs::copy(&path, target.join(path.file_name().unwrap())).unwrap();
        }
        target
    };
    let truncated = copy("truncated");
    let weights = truncated.join("model.safetensors");
    let bytes = std::fs::read(&weights).unwrap();
    std::fs::write(&weights, &bytes[..bytes.len() / 2]).unwrap();
    let error = Model::load(&truncated).unwrap_err().to_string();
    assert!(
        error.contains("model.safetensors") && error.contains("safetensors"),
        "{error}"
    );

    let mismatched = copy("mismatched");
    let card_path = mismatched.join("model.json");
    let mut card: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&card_path).unwrap()).unwrap();
    card["network"]["hidden"] = serde_json::json!(128);
    std::fs::write(&card_path, serde_json::to_vec(&card).unwrap()).unwrap();
    let error = Model::load(&mismatched).unwrap_err().to_string();
    assert!(error.contains("needs Float"), "{error}");

    let garbage = copy("garbage");
    std::fs::write(garbage.join("model.json"), b"{ not json").unwrap();
    let error = Model::load(&garbage).unwrap_err().to_string();
    assert!(
        error.contains("model.json") && error.contains("not a model card"),
        "{error}"
    );

    let missing = dir.path().join("nothing-here");
    assert!(
        Model::load(&missing)
            .unwrap_err()
            .to_string()
            .contains("no such model folder")
    );
    // The good model is untouched by all this.
    assert!(Model::load(&trained().model_dir).is_ok());
}

#[test]
fn cancel_saves_and_resume_continues_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let data = songs(10);
    let cancel = AtomicBool::new(false);
    let config = TrainConfig {
        max_epochs: 3,
        ..tiny_config(&out)
    };
    let mut stop_after_an_epoch = |event: TrainEvent| {
        if matches!(event, TrainEvent::Epoch { .. }) {
            cancel.store(true, Ordering::SeqCst);
        }
    };
    let first = train(
        config.clone(),
        data.clone(),
        &mut stop_after_an_epoch,
        &cancel,
    )
    .unwrap();
    assert_eq!(first.stopped, StopReason::Cancelled);
    assert_eq!(first.epochs_run, 1);
    assert!(
        Model::load(&out).is_ok(),
        "a cancelled run leaves a usable model"
    );

    let mut events: Vec<TrainEvent> = Vec::new();
    let resumed = train(
        TrainConfig {
            resume: true,
            ..config
        },
        data,
        &mut |event| events.push(event),
        &AtomicBool::new(false),
    )
    .unwrap();
    assert!(
        matches!(events[0], TrainEvent::Prepared { first_epoch: 2, .. }),
        "{:?}",
        events[0]
    );
    assert_eq!(resumed.epochs_run, 3);
    let card = songsketch::model::ModelCard::load(&out).unwrap();
    assert_eq!(card.loss_log.len(), 3);
}

#[test]
fn fine_tuning_on_nottingham_jigs_makes_ideas_in_six_eight() {
    let jigs: PathBuf =
        concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/datasets/nottingham").into();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&jigs)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("jigs"))
        })
        .collect();
    files.sort();
    let songs: Vec<(String, LeadSheet)> = files
        .iter()
        .filter_map(|p| {
            let sheet = songsketch::midi::import::import_file(p).ok()?.sheet;
            (sheet.meter().to_string() == "6/8")
                .then(|| (p.file_name().unwrap().to_string_lossy().into_owned(), sheet))
        })
        .take(30)
        .collect();
    assert!(songs.len() >= 20, "{} jigs in 6/8", songs.len());
    let base = Model::load(&trained().model_dir).unwrap();
    let before = (0..20)
        .filter(|&seed| {
            let idea = base.generate(&GenerateRequest {
                seed,
                bars: 4,
                ..GenerateRequest::default()
            });
            idea.is_ok_and(|i| i.idea.sheet().meter().to_string() == "6/8")
        })
        .count();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("jigs");

    let config = TrainConfig {
        max_epochs: 3,
        allow_cuda: false,
        ..TrainConfig::fine_tune(&out, &trained().model_dir)
    };
    train(config, songs, &mut |_| {}, &AtomicBool::new(false)).unwrap();
    let tuned = Model::load(&out).unwrap();
    assert_eq!(
        tuned.card().data.fine_tuned_from.as_deref(),
        Some(trained().model_dir.to_string_lossy().as_ref())
    );
    assert!(tuned.originality_index().len() > base.originality_index().len());
    let log = &tuned.card().loss_log;
    assert!(
        log.last().unwrap().validation_loss < log[0].validation_loss,
        "{log:?}"
    );
    let after = (0..20)
        .filter(|&seed| {
            let idea = tuned
                .generate(&GenerateRequest {
                    seed,
                    bars: 4,
                    ..GenerateRequest::default()
                })
                .unwrap();
            idea.idea.sheet().meter().to_string() == "6/8"
        })
        .count();
    assert!(
        after >= 16 && after > before,
        "6/8 ideas: {before} before, {after} after fine-tuning"
    );
}
