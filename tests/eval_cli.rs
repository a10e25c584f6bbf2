//! `songsketch eval` end to end: a tiny model trains on a few real POP909 songs, then the binary
//! measures it on a folder of those songs and its JSON holds every figure in a sane range.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::AtomicBool;

use serde_json::Value;
use songsketch::datasets::pop909;
use songsketch::model::{TrainConfig, train};

const POP909: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/datasets/pop909");
const SONGS: usize = 16;

/// The first `SONGS` POP909 song folders, linked into `folder` under their own names.
fn link_songs(folder: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(POP909)
        .expect("the pop909 dataset is at ../shared/datasets/pop909")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("melody.txt").is_file())
        .collect();
    dirs.sort();
    dirs.truncate(SONGS);
    for dir in &dirs {
        std::os::unix::fs::symlink(dir, folder.join(dir.file_name().unwrap())).unwrap();
    }
    dirs
}

fn train_tiny(songs: &[PathBuf], out: &Path, validation_percent: u32) {
    let named = songs
        .iter()
        .map(|d| {
            let name = d.file_name().unwrap().to_string_lossy().into_owned();
            (name, pop909::load_song(d).unwrap())
        })
        .collect();
    let config = TrainConfig {
        embed: 32,
        hidden: 96,
        layers: 2,
        seq_len: 128,
        batch_size: 16,
        learning_rate: 3e-3,
        max_epochs: 3,
        patience: 3,
        validation_percent,
        allow_cuda: false,
        ..TrainConfig::new(out)
    };
    train(config, named, &mut |_| {}, &AtomicBool::new(false)).unwrap();
}

fn number(json: &Value, path: &str) -> f64 {
    json.pointer(path)
        .and_then(Value::as_f64)
        .unwrap_or_else(|| panic!("{path} is not a number in the eval JSON"))
}

fn ratio(json: &Value, path: &str) {
    let v = number(json, path);
    assert!((0.0..=1.0).contains(&v), "{path} = {v}");
}

fn check_metrics(json: &Value, set: &str, ideas_at_least: f64) {
    let m = format!("{set}/metrics");
    assert!(
        number(json, &format!("{m}/ideas")) >= ideas_at_least,
        "{set}"
    );
    for field in [
        "chord_tone_ratio_on_beats",
        "in_key_ratio",
        "scale_consistency",
        "chorus_chords_differ",
        "long_same_pitch_run_share",
    ] {
        ratio(json, &format!("{m}/{field}"));
    }
    let entropy = number(json, &format!("{m}/pitch_class_entropy"));
    assert!(entropy > 0.5 && entropy <= 12f64.log2(), "{set}: {entropy}");
    for list in ["bar_similarity", "shuffled_bar_similarity"] {
        let distances: Vec<f64> = json
            .pointer(&format!("{m}/{list}"))
            .and_then(Value::as_array)
            .unwrap()
            .iter()
            .map(|d| d["distance"].as_f64().unwrap())
            .collect();
        assert_eq!(distances, [1.0, 2.0, 4.0, 8.0], "{set} {list}");
        for i in 0..4 {
            ratio(json, &format!("{m}/{list}/{i}/mean"));
        }
    }
    let pitch = number(json, &format!("{m}/chorus_minus_verse_pitch"));
    assert!(pitch.abs() < 24.0, "{set}: {pitch}");
    let run = number(json, &format!("{m}/longest_same_pitch_run_max"));
    assert!(run >= 1.0 && run >= number(json, &format!("{m}/longest_same_pitch_run_mean")));
    let distinct = number(json, &format!("{m}/distinct_verse_progressions"));
    assert!(distinct >= 1.0 && distinct <= number(json, &format!("{m}/ideas")));
    let openings = number(json, &format!("{m}/distinct_verse_openings"));
    assert!(openings >= 1.0 && openings <= number(json, &format!("{m}/ideas")));
    if number(json, &format!("{m}/ideas")) >= 2.0 {
        ratio(json, &format!("{m}/verse_progression_distance"));
    }
    assert!(number(json, &format!("{m}/most_copied_bars")) >= 0.0);
}

/// A tiny model trained on the first songs (`validation_percent` of them held out), then
/// `songsketch eval` on their folder with `args`: the folder, the model and the JSON printed.
fn eval_tiny(validation_percent: u32, args: &[&str]) -> (tempfile::TempDir, PathBuf, Value) {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("songs");
    std::fs::create_dir(&folder).unwrap();
    let songs = link_songs(&folder);
    let model = dir.path().join("tiny");
    train_tiny(&songs, &model, validation_percent);
    let output = Command::new(env!("CARGO_BIN_EXE_songsketch"))
        .arg("eval")
        .arg("--model")
        .arg(&model)
        .arg("--songs")
        .arg(&folder)
        .args(args)
        .output()
        .expect("the songsketch binary runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json = serde_json::from_slice(&output.stdout).unwrap();
    (dir, model, json)
}

#[test]
fn eval_json_reports_likelihoods_baseline_and_metrics_of_ideas_and_songs() {
    let (_dir, model, json) = eval_tiny(
        20,
        &[
            "--ideas",
            "5",
            "--json",
            "--temperature-sweep",
            "--phrase-return-sweep",
            "--sweep-phrase-returns",
            "0,1",
        ],
    );

    assert_eq!(json["split"], "validation");
    assert_eq!(json["songs"]["reader"], "pop909");
    assert_eq!(json["songs"]["split_source"], "model card");
    let validation = number(&json, "/songs/validation");
    assert_eq!(number(&json, "/songs/read"), SONGS as f64);
    assert_eq!(validation + number(&json, "/songs/training"), SONGS as f64);
    assert!(validation >= 1.0);
    assert_eq!(number(&json, "/songs/evaluated"), validation);

    // Likelihoods: positive, under uniform guessing, per bar = per token × tokens per bar.
    let card: Value =
        serde_json::from_slice(&std::fs::read(model.join("model.json")).unwrap()).unwrap();
    let uniform_bits = (card["vocab"].as_array().unwrap().len() as f64).log2();
    for who in ["network_validation", "ngram/validation"] {
        let p = format!("/likelihood/{who}");
        let bits = number(&json, &format!("{p}/bits_per_token"));
        assert!(bits > 0.1 && bits < uniform_bits, "{who}: {bits}");
        let tokens = number(&json, &format!("{p}/tokens"));
        let bars = number(&json, &format!("{p}/bars"));
        let per_bar = number(&json, &format!("{p}/bits_per_bar"));
        assert!((per_bar - bits * tokens / bars).abs() < 1e-6 * per_bar.max(1.0));
    }
    assert_eq!(
        number(&json, "/likelihood/network_validation/tokens"),
        number(&json, "/likelihood/ngram/validation/tokens"),
        "the network and the baseline score the same tokens"
    );
    assert_eq!(number(&json, "/likelihood/ngram/order"), 4.0);
    assert!(number(&json, "/likelihood/ngram/trained_songs") >= (SONGS - 5) as f64);
    assert!(json["likelihood"]["network_beats_ngram"].is_boolean());

    // Generated ideas: 5 asked for, every one (that the guard let through) well formed.
    let produced = number(&json, "/generated/metrics/ideas");
    let failed = json["generated"]["failed_seeds"].as_array().unwrap().len() as f64;
    assert_eq!(produced + failed, 5.0);
    assert_eq!(number(&json, "/generated/well_formed"), produced);
    assert_eq!(json["generated"]["settings"]["meter"], "4/4");
    assert!(number(&json, "/generated/median_ms_per_idea") > 0.0);
    assert!(number(&json, "/generated/rejected_unoriginal") >= 0.0);
    check_metrics(&json, "/generated", 1.0);
    check_metrics(
        &json,
        "/real",
        validation - number(&json, "/real/songs_without_pair"),
    );

    let sweep = json["temperature_sweep"].as_array().unwrap();
    let temperatures: Vec<f64> = sweep
        .iter()
        .map(|r| r["temperature"].as_f64().unwrap())
        .collect();
    assert_eq!(temperatures.len(), 3);
    assert!((temperatures[0] - 0.7).abs() < 1e-6 && (temperatures[2] - 1.3).abs() < 1e-6);
    for row in sweep {
        let distinct = row["distinct_verse_progressions"].as_f64().unwrap();
        assert!((1.0..=5.0).contains(&distinct), "{row}");
        assert!(row["pitch_class_entropy"].as_f64().unwrap() > 0.0);
    }

    // The phrase-return sweep: the asked strengths, each with bar similarity and its control.
    let sweep = json["phrase_return_sweep"].as_array().unwrap();
    let strengths: Vec<f64> = sweep
        .iter()
        .map(|r| r["phrase_return"].as_f64().unwrap())
        .collect();
    assert_eq!(strengths, [0.0, 1.0]);
    for row in sweep {
        assert_eq!(row["bar_similarity"].as_array().unwrap().len(), 4, "{row}");
        assert_eq!(row["shuffled_bar_similarity"].as_array().unwrap().len(), 4);
    }
}

#[test]
fn eval_realness_reports_both_accuracies_and_the_features_that_separate() {
    // Half the songs held out, so both real sets have a few verse+chorus pairs.
    let (_dir, _model, json) = eval_tiny(
        50,
        &[
            "--ideas",
            "6",
            "--json",
            "--skip-likelihood",
            "--realness",
            "--realness-folds",
            "2",
        ],
    );
    let produced = number(&json, "/generated/metrics/ideas");
    check_realness(&json, produced, number(&json, "/songs/validation"));
}

/// The realness test: both accuracies in 0..1 with a spread, on balanced classes of the sets'
/// sizes, and separating features with both means.
fn check_realness(json: &Value, produced: f64, validation: f64) {
    assert_eq!(number(json, "/realness/config/folds"), 2.0);
    assert!(number(json, "/realness/features") >= 55.0);
    let pairs = validation - number(json, "/real/songs_without_pair");
    for (test, first) in [("model_vs_real", produced), ("real_vs_real", pairs)] {
        let p = format!("/realness/{test}");
        ratio(json, &format!("{p}/accuracy"));
        let std = number(json, &format!("{p}/std"));
        assert!((0.0..=0.5).contains(&std), "{test}: {std}");
        assert_eq!(number(json, &format!("{p}/first_set")), first, "{test}");
        let per_class = number(json, &format!("{p}/per_class"));
        assert!(
            per_class >= 2.0 && per_class <= first,
            "{test}: {per_class}"
        );
    }
    // Training songs with a verse+chorus pair: at most every one, at least the balanced class.
    let training_pairs = number(json, "/realness/real_vs_real/second_set");
    assert!(training_pairs <= number(json, "/songs/training"));
    assert!(training_pairs >= number(json, "/realness/real_vs_real/per_class"));
    let separating = json["realness"]["separating"].as_array().unwrap();
    assert_eq!(separating.len(), 10);
    for s in separating {
        assert!(s["feature"].is_string(), "{s}");
        for field in ["model_mean", "real_mean", "standardized_difference"] {
            assert!(s[field].as_f64().is_some_and(f64::is_finite), "{s}");
        }
    }
}

#[test]
fn eval_names_a_missing_folder() {
    let output = Command::new(env!("CARGO_BIN_EXE_songsketch"))
        .args(["eval", "--songs", "/nonexistent/songs", "--ideas", "1"])
        .output()
        .expect("the songsketch binary runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("/nonexistent/songs"), "{stderr}");
}
