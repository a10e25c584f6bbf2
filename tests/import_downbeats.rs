//! Bar lines for files that write no meter, against POP909's annotated downbeats.
//!
//! 624 of POP909's 818 MIDI files open with a one-beat `1/4` signature (553 carry no other): no
//! meter, no bar lines. Their bar-aligned version (`melody.txt`, whose bars the phrase labels
//! count) says where the downbeats are; it is laid onto each imported song
//! ([`pop909_alignment`]), so every annotated bar line falls at a known sheet tick. A song's bar
//! lines are **in phase** when at least half of its annotated bar lines lie within an eighth of
//! one of them.
//!
//! Printed, for the files that open in `1/4` and for the others (whose written meter the
//! importer keeps): the share of songs in phase with the importer's bar lines, and with the
//! file's own grid (bar lines every four quarters from the file's start), measured in the same
//! run.

mod pop909_alignment;

use std::path::Path;

use pop909_alignment::alignment;
use songsketch::midi::import::{import_bytes, prepare};
use songsketch::midi::read::read_midi;

const POP909: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/datasets/pop909");
const BAR: i64 = 48;
const EIGHTH: i64 = 6;

/// Songs counted, and those in phase with the importer's and with the file's own bar lines.
#[derive(Default)]
struct Tally {
    songs: usize,
    importer: usize,
    own_grid: usize,
}

impl Tally {
    fn share(&self, count: usize) -> f64 {
        count as f64 / self.songs.max(1) as f64
    }
}

/// Whether at least half of the annotated bar lines lie within an eighth of `bar_line`s.
fn in_phase(annotated: &[i64], on_a_bar_line: impl Fn(i64) -> bool) -> bool {
    let hits = annotated.iter().filter(|&&t| on_a_bar_line(t)).count();
    hits * 2 >= annotated.len()
}

#[test]
fn files_without_a_meter_get_bar_lines_on_their_downbeats() {
    let dirs = songsketch::datasets::pop909::song_dirs(Path::new(POP909)).unwrap();
    let (mut no_meter, mut written) = (Tally::default(), Tally::default());
    for dir in &dirs {
        let stem = dir.file_name().unwrap().to_string_lossy().into_owned();
        let bytes = std::fs::read(dir.join(format!("{stem}.mid"))).unwrap();
        let raw = read_midi(&bytes).unwrap();
        let imported = import_bytes(&bytes, &stem).unwrap();
        let sheet = &imported.sheet;
        let prepared = prepare(&raw).unwrap();
        // File grid = sheet + shift; the file's own grid counts no lead.
        let shift = prepared.shift as i64 - prepared.lead as i64;
        let offset = alignment(dir, &imported);
        let total = sheet.total_ticks() as i64;
        let annotated: Vec<i64> = (0..)
            .map(|bar| (bar * 16 + offset) * 3)
            .take_while(|&t| t < total)
            .filter(|&t| t >= 0)
            .collect();
        let starts: Vec<i64> = sheet.bar_starts().iter().map(|&s| s as i64).collect();
        let importer = in_phase(&annotated, |t| {
            starts.iter().any(|&s| (s - t).abs() <= EIGHTH)
        });
        // The file's own grid: bar lines at file grid ticks 0, 48, 96 … (sheet = file − shift).
        let own_grid = in_phase(&annotated, |t| {
            let into = (t + shift).rem_euclid(BAR);
            into.min(BAR - into) <= EIGHTH
        });
        // The meter in force from the file's start (the last one written at its first tick).
        let opening = raw
            .meters
            .iter()
            .take_while(|m| m.tick == raw.meters[0].tick)
            .last();
        let tally = if opening.is_some_and(|m| m.value.numerator == 1) {
            &mut no_meter
        } else {
            &mut written
        };
        tally.songs += 1;
        tally.importer += importer as usize;
        tally.own_grid += own_grid as usize;
    }
    for (name, tally) in [("1/4 (no meter)", &no_meter), ("written meter", &written)] {
        println!(
            "pop909 downbeats, {name}: {} songs; in phase with the importer's bar lines {:.4}, \
             with the file's own grid {:.4}",
            tally.songs,
            tally.share(tally.importer),
            tally.share(tally.own_grid)
        );
    }
    assert!(no_meter.songs >= 500, "{}", no_meter.songs);
    assert!(
        no_meter.share(no_meter.importer) >= 0.8,
        "{}",
        no_meter.share(no_meter.importer)
    );
}
