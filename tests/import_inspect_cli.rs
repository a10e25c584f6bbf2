//! `songsketch inspect`: the text and the `--json` form of a real song, and a clear failure on
//! a file that is not MIDI.

use std::process::Command;

const DATASETS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/datasets");

fn inspect(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_songsketch"))
        .arg("inspect")
        .args(args)
        .output()
        .expect("the songsketch binary runs")
}

#[test]
fn json_describes_a_jig_with_its_pickup_chords_and_melody() {
    let path = format!("{DATASETS}/nottingham/jigs1.mid");
    let output = inspect(&[&path, "--json"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["title"], "jigs1");
    assert_eq!(json["meter"], "6/8");
    assert_eq!(json["key"], "A");
    assert_eq!(json["tempo_bpm"], 120.0);
    assert_eq!(json["ticks_per_quarter"], 12);
    assert_eq!(json["pickup_ticks"], 6);
    // The tune has no markers: its sections are inferred, a verse first.
    assert_eq!(json["sections_source"], "inferred");
    let sections = json["sections"].as_array().unwrap();
    assert!(sections.len() > 1);
    assert_eq!(sections[0]["kind"], "Verse");
    let all_bars: usize = sections
        .iter()
        .map(|s| s["bars"].as_array().unwrap().len())
        .sum();
    assert_eq!(all_bars as u64, json["bar_count"].as_u64().unwrap());
    let bars = sections[0]["bars"].as_array().unwrap();
    // The melody is the first track's, chosen by the music; the key signature is kept.
    assert_eq!(json["melody_track"]["track"], 0);
    assert_eq!(json["melody_track"]["by_name"], false);
    assert_eq!(json["key_evidence"]["signature"], "A");
    assert!(json["warnings"].as_array().unwrap().is_empty());
    assert_eq!(bars[0]["number"], 0);
    assert_eq!(bars[0]["melody"][0]["name"], "F#5");
    assert_eq!(bars[1]["number"], 1);
    assert_eq!(bars[1]["start"], 6);
    assert!(!bars[1]["chords"].as_array().unwrap().is_empty());
    let symbol = bars[1]["chords"][0]["symbol"].as_str().unwrap();
    assert!(symbol.starts_with('A'), "the jig opens on A: {symbol}");
}

#[test]
fn text_lists_sections_and_bars() {
    let path = format!("{DATASETS}/pop909/001/001.mid");
    let output = inspect(&[&path]);
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.starts_with("001\nmeter 2/4"), "{text}");
    assert!(text.contains("[Intro] \"Intro i\" bars 1–"), "{text}");
    assert!(text.contains("[Chorus] \"Chorus B\""), "{text}");
    assert!(text.contains("melody from track 2 (\"MELODY\", channel 1); sections inferred"));
    assert!(text.lines().count() > 100);
}

#[test]
fn a_file_that_is_not_midi_fails_with_its_name_once() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml");
    let output = inspect(&[path]);
    assert!(!output.status.success());
    let message = String::from_utf8(output.stderr).unwrap();
    assert!(message.contains("Cargo.toml"), "{message}");
    assert_eq!(message.matches("not a midi file").count(), 1, "{message}");
}
