//! MIDI file → timeline on real songs: every note arrives at the time the project's own reader
//! (src/midi/read.rs, a separate implementation of the tempo map) gives it, and bars line up.

mod playback_support;

use playback_support::{datasets, load};
use songsketch::midi::read::read_midi;

/// (start ms, channel, pitch) and (end ms, channel, pitch) of every pitched note, sorted.
type NoteTimes = (Vec<(i64, u8, u8)>, Vec<(i64, u8, u8)>);

fn from_reader(relative: &str) -> NoteTimes {
    let bytes = std::fs::read(datasets().join(relative)).expect("song file");
    let raw = read_midi(&bytes).expect("readable");
    let ms = |tick| (raw.seconds_at(tick) * 1000.0).round() as i64;
    let notes = raw.tracks.iter().flat_map(|t| &t.notes);
    let mut starts: Vec<_> = notes
        .clone()
        .map(|n| (ms(n.start), n.channel, n.pitch))
        .collect();
    let mut ends: Vec<_> = notes.map(|n| (ms(n.end), n.channel, n.pitch)).collect();
    starts.sort();
    ends.sort();
    (starts, ends)
}

fn from_timeline(relative: &str) -> NoteTimes {
    let ms = |s: f64| (s * 1000.0).round() as i64;
    let spans = load(relative).note_spans();
    let pitched = spans.iter().filter(|n| n.channel != 9);
    let mut starts: Vec<_> = pitched
        .clone()
        .map(|n| (ms(n.start), n.channel, n.key))
        .collect();
    let mut ends: Vec<_> = pitched.map(|n| (ms(n.end), n.channel, n.key)).collect();
    starts.sort();
    ends.sort();
    (starts, ends)
}

fn songs() -> Vec<String> {
    let mut songs: Vec<String> = (1..=40)
        .map(|n| format!("pop909/{n:03}/{n:03}.mid"))
        .filter(|p| datasets().join(p).is_file())
        .collect();
    let mut folk: Vec<String> = std::fs::read_dir(datasets().join("nottingham"))
        .expect("nottingham folder")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|name| name.ends_with(".mid"))
        .map(|name| format!("nottingham/{name}"))
        .collect();
    folk.sort();
    songs.extend(folk.into_iter().step_by(25));
    assert!(songs.len() > 60, "found {} songs", songs.len());
    songs
}

#[test]
fn notes_play_when_the_tempo_map_says() {
    for song in songs() {
        let (starts, ends) = from_reader(&song);
        let (t_starts, t_ends) = from_timeline(&song);
        assert_eq!(t_starts, starts, "{song}: note starts");
        assert_eq!(t_ends, ends, "{song}: note ends");
    }
}

#[test]
fn timeline_is_ordered_and_ends_after_its_last_message() {
    for song in songs() {
        let timeline = load(&song);
        let messages = timeline.messages();
        assert!(
            messages.windows(2).all(|w| w[0].seconds <= w[1].seconds),
            "{song}: order"
        );
        let last = messages.last().expect("messages").seconds;
        assert!(timeline.duration() >= last, "{song}: duration");
        let ons = messages.iter().filter(|m| m.is_note_on()).count();
        let offs = messages.iter().filter(|m| m.is_note_off()).count();
        assert_eq!(ons, offs, "{song}: every note-on has its note-off");
    }
}

#[test]
fn bars_follow_the_meter_and_tempo() {
    // This song changes tempo and meter (2/4, a bar of 1/4, 2/4 again): each bar is as long as
    // its meter says, and the project's reader says when its first tick sounds.
    let bytes = std::fs::read(datasets().join("pop909/010/010.mid")).expect("song");
    let raw = read_midi(&bytes).expect("readable");
    assert!(raw.meters.len() > 1 && raw.tempos.len() > 1);
    let quarter = u64::from(raw.ticks_per_quarter);
    let mut expected = Vec::new();
    let mut tick = 0u64;
    while tick <= raw.end_tick {
        expected.push(raw.seconds_at(tick));
        let meter = raw
            .meters
            .iter()
            .rev()
            .find(|m| m.tick <= tick)
            .expect("a meter")
            .value;
        tick += quarter * 4 * u64::from(meter.numerator) / u64::from(meter.denominator);
    }
    let timeline = load("pop909/010/010.mid");
    let bars = timeline.bar_starts();
    assert_eq!(bars.len(), expected.len());
    for (n, (start, wanted)) in bars.iter().zip(&expected).enumerate() {
        assert!(
            (start - wanted).abs() < 1e-6,
            "bar {n} at {start} s, expected {wanted} s"
        );
    }
    let excerpt = timeline.first_bars(32);
    assert!((excerpt.duration() - bars[32]).abs() < 1e-9);
    assert!(excerpt.messages().iter().all(|m| m.seconds <= bars[32]));
    let ons = excerpt.messages().iter().filter(|m| m.is_note_on()).count();
    let offs = excerpt
        .messages()
        .iter()
        .filter(|m| m.is_note_off())
        .count();
    assert_eq!(ons, offs, "notes cut at bar 32 are closed there");
}

#[test]
fn a_broken_file_is_refused_with_its_name() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("notes.mid");
    std::fs::write(&path, b"C major, G major, A minor, F major").expect("write");
    let error = songsketch::playback::load_timeline(&path)
        .expect_err("not a MIDI file")
        .to_string();
    assert!(
        error.contains("notes.mid") && error.contains("not a playable MIDI file"),
        "{error}"
    );
}
