//! The originality guard: an index of every run of [`WINDOW_BARS`] consecutive bars of melody in
//! the training songs, so that an idea repeating more than two bars of a training song can be
//! rejected.
//!
//! A window is described by its notes' onsets (ticks from the window start), durations (clipped
//! to the window) and pitches relative to the window's first note, so the same tune in any key
//! gives the same hash. Windows with fewer than [`MIN_NOTES`] notes are left out: a few long
//! notes or rests are not a recognisable melody. Hashes are FNV-1a, stable across processes, and
//! stored sorted in a small binary file next to the weights.

use std::path::Path;

use crate::music::LeadSheet;

use super::ModelError;
use super::checkpoint::write_atomic;
use super::rng::fnv1a;

/// Bars per window: an idea may share at most `WINDOW_BARS - 1` consecutive bars with a song.
pub const WINDOW_BARS: usize = 3;
/// Fewest notes a window needs to count as a melody.
pub const MIN_NOTES: usize = 4;

const MAGIC: &[u8; 8] = b"SSORIG01";

/// The sorted hashes of all training windows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OriginalityIndex {
    hashes: Vec<u64>,
}

/// Hashes of every melody window of a sheet, with the index of the window's first bar.
pub fn window_hashes(sheet: &LeadSheet) -> Vec<(usize, u64)> {
    let bars: Vec<_> = sheet.bars().collect();
    let starts = sheet.bar_starts();
    let starts = &starts;
    let mut out = Vec::new();
    for first in 0..bars.len().saturating_sub(WINDOW_BARS - 1) {
        let begin = starts[first];
        let end = starts[first + WINDOW_BARS - 1] + bars[first + WINDOW_BARS - 1].length;
        let notes: Vec<(u32, u32, u8)> = (first..first + WINDOW_BARS)
            .flat_map(|b| {
                bars[b].melody.iter().map(move |n| {
                    let onset = starts[b] + n.onset - begin;
                    (onset, n.duration.min(end - begin - onset), n.pitch.0)
                })
            })
            .collect();
        if notes.len() < MIN_NOTES {
            continue;
        }
        let base = notes[0].2 as i32;
        let mut bytes = Vec::with_capacity(notes.len() * 9);
        for (onset, duration, pitch) in notes {
            bytes.extend_from_slice(&onset.to_le_bytes());
            bytes.extend_from_slice(&duration.to_le_bytes());
            bytes.push((pitch as i32 - base).rem_euclid(256) as u8);
        }
        out.push((first, fnv1a(&bytes)));
    }
    out
}

impl OriginalityIndex {
    /// The index of a collection of songs.
    pub fn build<'a>(songs: impl IntoIterator<Item = &'a LeadSheet>) -> OriginalityIndex {
        let mut hashes: Vec<u64> = songs
            .into_iter()
            .flat_map(|s| window_hashes(s).into_iter().map(|(_, h)| h))
            .collect();
        hashes.sort_unstable();
        hashes.dedup();
        OriginalityIndex { hashes }
    }

    /// Adds another index (fine-tuning keeps the base model's songs in the guard).
    pub fn merge(&mut self, other: &OriginalityIndex) {
        self.hashes.extend_from_slice(&other.hashes);
        self.hashes.sort_unstable();
        self.hashes.dedup();
    }

    pub fn len(&self) -> usize {
        self.hashes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }

    pub fn contains(&self, hash: u64) -> bool {
        self.hashes.binary_search(&hash).is_ok()
    }

    /// The first bar (0-based) of a window of `sheet` found in the index, if any.
    pub fn first_copied_window(&self, sheet: &LeadSheet) -> Option<usize> {
        window_hashes(sheet)
            .into_iter()
            .find(|(_, h)| self.hashes.binary_search(h).is_ok())
            .map(|(bar, _)| bar)
    }

    pub fn save(&self, path: &Path) -> Result<(), ModelError> {
        let mut bytes = Vec::with_capacity(16 + self.hashes.len() * 8);
        bytes.extend_from_slice(MAGIC);
        bytes.extend_from_slice(&(self.hashes.len() as u64).to_le_bytes());
        for h in &self.hashes {
            bytes.extend_from_slice(&h.to_le_bytes());
        }
        write_atomic(path, &bytes)
    }

    pub fn load(path: &Path) -> Result<OriginalityIndex, ModelError> {
        let bytes = std::fs::read(path).map_err(|e| ModelError::io(path, e))?;
        let bad =
            |why: &str| ModelError::checkpoint(path, format!("not an originality index: {why}"));
        if bytes.len() < 16 || &bytes[..8] != MAGIC {
            return Err(bad("wrong header"));
        }
        let count = u64::from_le_bytes(bytes[8..16].try_into().map_err(|_| bad("short"))?) as usize;
        if bytes.len() != 16 + count * 8 {
            return Err(bad("its length does not match its count"));
        }
        let hashes: Vec<u64> = bytes[16..]
            .chunks_exact(8)
            .map(|c| u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
            .collect();
        if !hashes.windows(2).all(|w| w[0] < w[1]) {
            return Err(bad("hashes out of order"));
        }
        Ok(OriginalityIndex { hashes })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::music::{Bar, Key, Meter, Note, Pitch, PitchClass, Section, SectionKind, Tempo};

    fn sheet(offset: u8, bars: usize) -> LeadSheet {
        let bars = (0..bars)
            .map(|b| {
                let mut bar = Bar::new(Meter::FOUR_FOUR);
                bar.melody = (0..4)
                    .map(|i| Note {
                        onset: i * 12,
                        duration: 12,
                        pitch: Pitch(60 + offset + ((b as u8 * 3 + i as u8 * 2) % 7)),
                        velocity: 90,
                    })
                    .collect();
                bar
            })
            .collect();
        LeadSheet {
            title: "t".into(),
            key: Key::major(PitchClass::new(0)),
            tempo: Tempo::new(100.0).unwrap(),
            sections: vec![Section::new(SectionKind::Verse, bars)],
        }
    }

    #[test]
    fn copies_are_found_in_any_transposition_and_saved_exactly() {
        let index = OriginalityIndex::build([&sheet(0, 6)]);
        assert_eq!(index.len(), 4);
        assert_eq!(index.first_copied_window(&sheet(5, 3)), Some(0));
        let mut changed = sheet(0, 3);
        changed.sections[0].bars[1].melody[2].duration = 6;
        assert_eq!(index.first_copied_window(&changed), None);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("o.bin");
        index.save(&path).unwrap();
        assert_eq!(OriginalityIndex::load(&path).unwrap(), index);
        std::fs::write(&path, b"garbage").unwrap();
        assert!(OriginalityIndex::load(&path).is_err());
    }
}
