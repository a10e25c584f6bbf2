//! Without any output: no sound card and no MIDI port on this machine. The player and the CLI
//! must say so in plain words and keep working, never panic.

mod playback_support;

use std::process::Command;
use std::time::Duration;

use playback_support::{datasets, load};
use songsketch::playback::synth::{SynthSink, audio_device_present};
use songsketch::playback::{OutputChoice, Player, PlayerEvent, open_output};

#[test]
fn player_without_output_answers_play_with_no_output() {
    let player = Player::spawn(None).expect("player thread starts");
    player.play(load("pop909/001/001.mid"));
    let event = player
        .events()
        .recv_timeout(Duration::from_secs(2))
        .expect("an answer");
    assert!(
        matches!(&event, PlayerEvent::Error(e) if e.starts_with("no output")),
        "{event:?}"
    );
    // The thread is still there and still answers.
    player.play(load("nottingham/ashover1.mid"));
    let again = player
        .events()
        .recv_timeout(Duration::from_secs(2))
        .expect("a second answer");
    assert!(matches!(again, PlayerEvent::Error(_)), "{again:?}");
}

#[test]
fn automatic_output_explains_why_nothing_can_play() {
    match open_output(&OutputChoice::Automatic) {
        Ok(sink) => assert!(
            audio_device_present(),
            "opened {} without a sound card",
            sink.describe()
        ),
        Err(error) => {
            let text = error.to_string();
            assert!(text.starts_with("no output"), "{text}");
            if !audio_device_present() {
                assert!(text.contains("no audio output device"), "{text}");
            }
        }
    }
}

#[test]
fn a_missing_soundfont_or_port_is_named() {
    let missing = SynthSink::start(Some(std::path::Path::new("/no/such/font.sf2")))
        .err()
        .expect("no synth without its SoundFont")
        .to_string();
    assert!(
        missing.contains("/no/such/font.sf2") && missing.contains("no such file"),
        "{missing}"
    );
    let port = open_output(&OutputChoice::Port("Imaginary Synth 9000".into()))
        .err()
        .expect("no such port")
        .to_string();
    assert!(
        port.contains("Imaginary Synth 9000") || port.starts_with("MIDI output is not available"),
        "{port}"
    );
}

#[test]
fn play_command_fails_in_plain_words() {
    if audio_device_present() {
        return; // this check is for machines without a sound card (CI)
    }
    let output = Command::new(env!("CARGO_BIN_EXE_songsketch"))
        .arg("play")
        .arg(datasets().join("nottingham/ashover1.mid"))
        .output()
        .expect("songsketch runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains("no output") && stderr.contains("no audio output device"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn ports_command_lists_what_there_is() {
    let output = Command::new(env!("CARGO_BIN_EXE_songsketch"))
        .arg("ports")
        .output()
        .expect("songsketch runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("MIDI output ports"), "{stdout}");
    assert!(stdout.contains("Built-in synth"), "{stdout}");
}
