//! Notes and bars on the lead-sheet grid (absolute grid ticks from the start of the song), the
//! common ground between the reader, the melody/harmony split and chord recognition.

use crate::music::Meter;

/// A note on the grid: absolute start and end in grid ticks (`end > start`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GridNote {
    pub start: u32,
    pub end: u32,
    pub pitch: u8,
    pub velocity: u8,
}

/// Where a bar lies on the grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BarSpan {
    pub start: u32,
    pub length: u32,
    pub meter: Meter,
}

impl BarSpan {
    pub fn end(&self) -> u32 {
        self.start + self.length
    }
}
