//! Where POP909's bar-aligned version (`melody.txt`, and the phrase labels that count its bars)
//! lies on a song imported from its MIDI file, whose downbeats are not always on its bar lines
//! (see the dataset README).

use std::collections::HashSet;
use std::path::Path;

use songsketch::midi::import::Imported;

/// The notes of `melody.txt` (the bar-aligned version): (onset in 16ths, MIDI pitch).
pub fn aligned_melody(dir: &Path) -> Vec<(i64, u8)> {
    let text = std::fs::read_to_string(dir.join("melody.txt")).unwrap();
    let mut at = 0i64;
    let mut notes = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let mut fields = line.split_whitespace();
        let pitch: u8 = fields.next().unwrap().parse().unwrap();
        let length: i64 = fields.next().unwrap().parse().unwrap();
        if pitch != 0 {
            notes.push((at, pitch));
        }
        at += length;
    }
    notes
}

/// The offset in 16ths from `melody.txt`'s time line to the sheet's (sheet = aligned + offset):
/// the one that lays the most of its notes onto the imported melody (same pitch, an onset
/// within a 16th), and of those the one with the most onsets exactly in place.
pub fn alignment(dir: &Path, imported: &Imported) -> i64 {
    let sheet: HashSet<(i64, u8)> = imported
        .sheet
        .melody()
        .iter()
        .map(|p| {
            let tick = p.absolute(p.item.onset) as f64;
            ((tick / 3.0).round() as i64, p.item.pitch.0)
        })
        .collect();
    let notes = aligned_melody(dir);
    let matches = |offset: i64, slack: i64| {
        notes
            .iter()
            .filter(|&&(t, p)| (-slack..=slack).any(|d| sheet.contains(&(t + offset + d, p))))
            .count()
    };
    (-256..=256)
        .max_by_key(|&o| (matches(o, 1), matches(o, 0)))
        .unwrap()
}
