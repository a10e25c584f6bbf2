//! Chord recognition against the POP909 annotations: every song, beat by beat.
//!
//! Each song's MIDI is turned into grid notes and bars ([`song_on_grid`], the one place that knows
//! how; it will become the lead-sheet importer), chords are recognised, and at every beat of
//! `beat_midi.txt` the recognised chord is compared with `chord_midi.txt` (see
//! `songsketch::midi::chords::eval` for the exact rules). Prints the figures; asserts majmin ≥ 80%.

use std::path::{Path, PathBuf};

use songsketch::midi::chords::eval::{
    ChordScore, ChordSpan, ChordTimeline, parse_beat_times, parse_chord_spans, reference_at,
    score_beats,
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
    reference: Vec<ChordSpan>,
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

/// A song's score and how often its chord changes from one beat to the next.
#[derive(Debug, Clone, Copy, Default)]
struct Outcome {
    score: ChordScore,
    reference_changes: usize,
    recognised_changes: usize,
}

impl Outcome {
    fn merge(&mut self, other: &Outcome) {
        self.score.merge(&other.score);
        self.reference_changes += other.reference_changes;
        self.recognised_changes += other.recognised_changes;
    }

    /// Chord changes per 100 beats, in the annotation and in the recognised chords.
    fn change_rates(&self) -> (f64, f64) {
        let per_100 = |n: usize| 100.0 * n as f64 / self.score.beats.max(1) as f64;
        (
            per_100(self.reference_changes),
            per_100(self.recognised_changes),
        )
    }
}

fn score_song(song: &Song, tuning: &Tuning) -> Outcome {
    let grid = &song.grid;
    let changes = recognize_chords_with(&grid.harmony, &grid.melody, &grid.bars, tuning);
    let timeline = ChordTimeline::new(&changes, &grid.bars);
    let recognised_at = |seconds: f64| timeline.at(grid.grid_at(seconds));
    let mut outcome = Outcome {
        score: score_beats(&song.reference, &song.beats, recognised_at),
        ..Outcome::default()
    };
    for pair in song.beats.windows(2) {
        let differs = |at: &dyn Fn(f64) -> _| at(pair[0]) != at(pair[1]);
        outcome.reference_changes += differs(&|s| reference_at(&song.reference, s)) as usize;
        outcome.recognised_changes += differs(&recognised_at) as usize;
    }
    outcome
}

fn score_all(songs: &[Song], tuning: &Tuning) -> Outcome {
    let mut total = Outcome::default();
    for song in songs {
        total.merge(&score_song(song, tuning));
    }
    total
}

fn report(label: &str, outcome: &Outcome) {
    let score = &outcome.score;
    let (reference_rate, recognised_rate) = outcome.change_rates();
    println!(
        "{label}: majmin {:.2}% ({} of {} beats), root+quality {:.2}%, with bass {:.2}% \
         ({} beats); chord changes per 100 beats: annotation {reference_rate:.1}, \
         recognised {recognised_rate:.1}",
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
    let loaded = started.elapsed();
    let outcome = score_all(&songs, &Tuning::default());
    report(&format!("POP909, {} songs", songs.len()), &outcome);
    println!(
        "loading took {:.1} s, recognising and scoring {:.1} s",
        loaded.as_secs_f64(),
        (started.elapsed() - loaded).as_secs_f64()
    );
    assert!(
        outcome.score.majmin() >= 0.80,
        "majmin {:.4}",
        outcome.score.majmin()
    );
    // No flicker: the chords change about as often as the annotation's, not more.
    let (reference_rate, recognised_rate) = outcome.change_rates();
    assert!(
        recognised_rate <= 1.1 * reference_rate,
        "{recognised_rate:.1} changes per 100 beats against the annotation's {reference_rate:.1}"
    );
}

/// Variants tried while tuning, and the grid aligned to the notes' beats:
/// `cargo test --test chords_pop909 tuning_sweep -- --ignored --nocapture`.
#[test]
#[ignore]
fn tuning_sweep() {
    let base = Tuning::default();
    let changes_scaled = |factor: f64| Tuning {
        change_on_bar: base.change_on_bar * factor,
        change_on_half_bar: base.change_on_half_bar * factor,
        change_on_beat: base.change_on_beat * factor,
        change_off_beat: base.change_off_beat * factor,
        ..base
    };
    let variants: Vec<(&str, Tuning)> = vec![
        ("default", base),
        ("changes x0.5", changes_scaled(0.5)),
        ("changes x2", changes_scaled(2.0)),
        (
            "no metric preference",
            Tuning {
                change_on_bar: 0.5,
                change_on_half_bar: 0.5,
                change_on_beat: 0.5,
                change_off_beat: 0.5,
                ..base
            },
        ),
        (
            "melody 0",
            Tuning {
                melody_weight: 0.0,
                ..base
            },
        ),
        (
            "melody 0.6",
            Tuning {
                melody_weight: 0.6,
                ..base
            },
        ),
        (
            "bass 0.3",
            Tuning {
                bass_weight: 0.3,
                ..base
            },
        ),
        (
            "bass 1.5",
            Tuning {
                bass_weight: 1.5,
                ..base
            },
        ),
        (
            "sevenths 0",
            Tuning {
                seventh_prior: 0.0,
                ..base
            },
        ),
        (
            "suspended -0.4",
            Tuning {
                suspended_prior: -0.4,
                ..base
            },
        ),
        (
            "rare -0.4",
            Tuning {
                rare_prior: -0.4,
                ..base
            },
        ),
    ];
    for align in [false, true] {
        let songs = load_all(align);
        for (name, tuning) in &variants {
            report(
                &format!("aligned grid {align}, {name}"),
                &score_all(&songs, tuning),
            );
        }
    }
}
