//! Chord recognition against the POP909 annotations: every song, beat by beat.
//!
//! Each song's MIDI is turned into grid notes and bars ([`song_on_grid`], the one place that knows
//! how; it will become the lead-sheet importer), chords are recognised, and at every beat of
//! `beat_midi.txt` the recognised chord is compared with `chord_midi.txt` (see
//! `songsketch::midi::chords::eval` for the exact rules). Prints the figures; asserts majmin ≥ 80%.

use std::path::{Path, PathBuf};

use songsketch::midi::chords::eval::{
    ChordScore, ChordTimeline, parse_beat_times, parse_chord_spans, score_beats,
};
use songsketch::midi::chords::{Tuning, recognize_chords_with};
use songsketch::midi::grid::{BarSpan, GridNote};
use songsketch::midi::read::{RawMidi, read_midi};
use songsketch::music::{Meter, TICKS_PER_QUARTER};

const POP909: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/datasets/pop909");

/// A song as the chord recogniser sees it, and how to find a moment of the audio on its grid.
struct GridSong {
    harmony: Vec<GridNote>,
    melody: Vec<GridNote>,
    bars: Vec<BarSpan>,
    raw: RawMidi,
    /// File ticks added to every time so that the beats of the notes fall on grid beats.
    shift: u64,
}

impl GridSong {
    /// The grid tick sounding at `seconds` (file tick via the tempo map, scaled to the grid).
    fn grid_at(&self, seconds: f64) -> u32 {
        to_grid(
            self.raw.tick_at(seconds) + self.shift as f64,
            self.raw.ticks_per_quarter,
        )
    }
}

fn to_grid(file_tick: f64, ticks_per_quarter: u16) -> u32 {
    (file_tick * TICKS_PER_QUARTER as f64 / ticks_per_quarter as f64).round() as u32
}

/// RawMidi → grid notes (melody = the `MELODY` track, harmony = every other track) and 4/4 bars
/// from tick 0 covering the song up to `last_seconds`.
fn song_on_grid(raw: RawMidi, last_seconds: f64, align: bool) -> GridSong {
    let tpq = raw.ticks_per_quarter;
    let shift = if align { beat_shift(&raw) } else { 0 };
    let mut harmony = Vec::new();
    let mut melody = Vec::new();
    for track in &raw.tracks {
        let target = if track.name == "MELODY" {
            &mut melody
        } else {
            &mut harmony
        };
        target.extend(track.notes.iter().filter_map(|n| {
            let start = to_grid((n.start + shift) as f64, tpq);
            let end = to_grid((n.end + shift) as f64, tpq);
            (end > start).then_some(GridNote {
                start,
                end,
                pitch: n.pitch,
                velocity: n.velocity,
            })
        }));
    }
    let last_note = harmony
        .iter()
        .chain(&melody)
        .map(|n| n.end)
        .max()
        .unwrap_or(0);
    let last = last_note.max(to_grid(raw.tick_at(last_seconds) + shift as f64, tpq) + 1);
    let bar = Meter::FOUR_FOUR.bar_ticks();
    let bars = (0..last.div_ceil(bar))
        .map(|i| BarSpan {
            start: i * bar,
            length: bar,
            meter: Meter::FOUR_FOUR,
        })
        .collect();
    GridSong {
        harmony,
        melody,
        bars,
        raw,
        shift,
    }
}

/// How far to move the notes so that most onsets fall on a beat of the grid: the commonest onset
/// phase within a quarter (in 24ths), moved forward to the next beat.
fn beat_shift(raw: &RawMidi) -> u64 {
    let tpq = raw.ticks_per_quarter as u64;
    let mut bins = [0usize; 24];
    for note in raw.tracks.iter().flat_map(|t| &t.notes) {
        bins[((note.start % tpq) * 24 / tpq) as usize] += 1;
    }
    let best = (0..24).max_by_key(|&b| bins[b]).unwrap_or(0) as u64;
    let phase = (best * tpq + tpq / 2) / 24;
    (tpq - phase) % tpq
}

/// One POP909 song, loaded: the grid song, its annotated beats and reference chords.
struct Song {
    grid: GridSong,
    beats: Vec<f64>,
    reference: Vec<songsketch::midi::chords::eval::ChordSpan>,
}

fn read_text(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn load_song(dir: &Path, align: bool) -> Song {
    let name = dir.file_name().unwrap().to_string_lossy().to_string();
    let midi_path = dir.join(format!("{name}.mid"));
    let bytes =
        std::fs::read(&midi_path).unwrap_or_else(|e| panic!("{}: {e}", midi_path.display()));
    let raw = read_midi(&bytes).unwrap_or_else(|e| panic!("{}: {e}", midi_path.display()));
    let beats_path = dir.join("beat_midi.txt");
    let beats = parse_beat_times(&read_text(&beats_path))
        .unwrap_or_else(|e| panic!("{}: {e}", beats_path.display()));
    let chords_path = dir.join("chord_midi.txt");
    let reference = parse_chord_spans(&read_text(&chords_path))
        .unwrap_or_else(|e| panic!("{}: {e}", chords_path.display()));
    let last_seconds = beats.last().copied().unwrap_or(0.0);
    Song {
        grid: song_on_grid(raw, last_seconds, align),
        beats,
        reference,
    }
}

fn load_all(align: bool) -> Vec<Song> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(POP909)
        .unwrap_or_else(|e| panic!("{POP909}: {e}"))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.is_dir())
        .collect();
    dirs.sort();
    dirs.iter().map(|dir| load_song(dir, align)).collect()
}

fn score_song(song: &Song, tuning: &Tuning) -> ChordScore {
    let grid = &song.grid;
    let changes = recognize_chords_with(&grid.harmony, &grid.melody, &grid.bars, tuning);
    let timeline = ChordTimeline::new(&changes, &grid.bars);
    score_beats(&song.reference, &song.beats, |seconds| {
        timeline.at(grid.grid_at(seconds))
    })
}

fn score_all(songs: &[Song], tuning: &Tuning) -> ChordScore {
    let mut total = ChordScore::default();
    for song in songs {
        total.merge(&score_song(song, tuning));
    }
    total
}

fn report(label: &str, score: &ChordScore) {
    println!(
        "{label}: majmin {:.2}% ({} of {} beats), root+quality {:.2}%, with bass {:.2}% ({} beats)",
        100.0 * score.majmin(),
        score.majmin_correct,
        score.majmin_scored,
        100.0 * score.root_quality(),
        100.0 * score.with_bass(),
        score.beats
    );
}

#[test]
fn chord_recognition_scores_at_least_80_percent_majmin_on_pop909() {
    let started = std::time::Instant::now();
    let songs = load_all(false);
    assert!(songs.len() >= 800, "expected the POP909 songs in {POP909}");
    let score = score_all(&songs, &Tuning::default());
    report(&format!("POP909, {} songs", songs.len()), &score);
    println!("took {:.1} s", started.elapsed().as_secs_f64());
    assert!(score.majmin() >= 0.80, "majmin {:.4}", score.majmin());
}

/// Tuning sweep: `cargo test --test chords_pop909 -- --ignored --nocapture`.
#[test]
#[ignore]
fn tuning_sweep() {
    let variants: Vec<(&str, Tuning)> = vec![("default", Tuning::default())];
    for align in [false] {
        let songs = load_all(align);
        for (name, tuning) in &variants {
            report(&format!("align {align} {name}"), &score_all(&songs, tuning));
        }
        diagnose(&songs, &Tuning::default());
    }
}

/// Where the majmin errors come from, and how the score moves when sampling off the beat.
fn diagnose(songs: &[Song], tuning: &Tuning) {
    use songsketch::midi::chords::eval::reference_at;
    let mut kinds = std::collections::BTreeMap::<&str, usize>::new();
    let mut shifted = [ChordScore::default(); 5];
    let mut intervals = std::collections::BTreeMap::<(u8, &str, &str), usize>::new();
    for (index, song) in songs.iter().enumerate() {
        let grid = &song.grid;
        let changes = recognize_chords_with(&grid.harmony, &grid.melody, &grid.bars, tuning);
        let timeline = ChordTimeline::new(&changes, &grid.bars);
        if index == 3 {
            for beat in song.beats.iter().take(120) {
                let g = grid.grid_at(*beat);
                let mut pcs: Vec<String> = grid
                    .harmony
                    .iter()
                    .filter(|n| n.start <= g && n.end > g)
                    .map(|n| format!("{}", n.pitch))
                    .collect();
                pcs.sort();
                println!(
                    "{beat:7.2} g{g:5} ref {:8} est {:8} {}",
                    reference_at(&song.reference, *beat).map_or("N".into(), |c| c.to_string()),
                    timeline.at(g).map_or("N".into(), |c| c.to_string()),
                    pcs.join(" ")
                );
            }
        }
        for (k, beat) in song.beats.iter().enumerate() {
            let period = song.beats.get(k + 1).map_or(0.5, |b| b - beat);
            let reference = reference_at(&song.reference, *beat);
            for (j, fraction) in [-0.5, -0.25, 0.0, 0.25, 0.5].iter().enumerate() {
                let at = (beat + fraction * period).max(0.0);
                shifted[j].add(reference, timeline.at(grid.grid_at(at)));
            }
            let estimate = timeline.at(grid.grid_at(*beat));
            let kind = match (reference, estimate) {
                (None, None) => "N ok",
                (None, Some(_)) => "ref N, est chord",
                (Some(r), _) if r.quality.majmin().is_none() => "ref not majmin",
                (Some(_), None) => "ref chord, est N",
                (Some(r), Some(e)) if r.root != e.root => "root wrong",
                (Some(r), Some(e)) if r.quality.majmin() != e.quality.majmin() => "family wrong",
                _ => "ok",
            };
            *kinds.entry(kind).or_default() += 1;
            if let (Some(r), Some(e), "root wrong") = (reference, estimate, kind) {
                *intervals
                    .entry((
                        r.root.interval_to(e.root),
                        r.quality.harte(),
                        e.quality.harte(),
                    ))
                    .or_default() += 1;
            }
        }
    }
    println!("{kinds:?}");
    let mut top: Vec<_> = intervals.into_iter().collect();
    top.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
    println!(
        "root errors (interval ref→est, ref, est): {:?}",
        &top[..top.len().min(25)]
    );
    for (score, fraction) in shifted.iter().zip([-0.5, -0.25, 0.0, 0.25, 0.5]) {
        report(&format!("  sampled {fraction:+} beat"), score);
    }
}
