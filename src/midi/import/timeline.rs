//! The time line of an imported song: file ticks → lead-sheet grid ticks, and grid ticks ↔
//! seconds of the original file (its tempo map, and the shift applied when leading empty bars
//! were dropped or a pickup was cut short).

use crate::music::{TICKS_PER_QUARTER, Tempo};

/// File ticks → whole grid ticks (12 per quarter), rounded to the nearest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TickScale {
    ticks_per_quarter: u64,
    /// File ticks added to every tick before scaling (see [`TickScale::with_offset`]).
    offset: u64,
}

impl TickScale {
    pub fn new(ticks_per_quarter: u16) -> Self {
        TickScale {
            ticks_per_quarter: ticks_per_quarter.max(1) as u64,
            offset: 0,
        }
    }

    /// The scale with the grid starting `offset` file ticks before the file's tick 0: notes
    /// played a constant distance off the beat (a file whose music does not start on its own
    /// grid) then land on the beat.
    pub fn with_offset(self, offset: u64) -> Self {
        TickScale { offset, ..self }
    }

    /// File ticks added to every tick before scaling.
    pub fn offset(self) -> u64 {
        self.offset
    }

    /// The file ticks nearest to a number of grid ticks (a length, not a position).
    pub fn file_ticks(self, grid_ticks: u64) -> u64 {
        let quarter = u64::from(TICKS_PER_QUARTER);
        (grid_ticks * self.ticks_per_quarter + quarter / 2) / quarter
    }

    pub fn ticks_per_quarter(self) -> u64 {
        self.ticks_per_quarter
    }

    /// The grid tick nearest to a file tick.
    pub fn grid(self, tick: u64) -> u64 {
        let tick = tick.saturating_add(self.offset);
        let scaled = tick as u128 * TICKS_PER_QUARTER as u128 + self.ticks_per_quarter as u128 / 2;
        (scaled / self.ticks_per_quarter as u128).min(u64::MAX as u128) as u64
    }

    /// A file tick as a fractional grid position (no rounding).
    pub fn grid_exact(self, tick: u64) -> f64 {
        tick.saturating_add(self.offset) as f64 * TICKS_PER_QUARTER as f64
            / self.ticks_per_quarter as f64
    }
}

/// One stretch of constant tempo, starting at `grid` (sheet ticks) and `seconds`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Segment {
    grid: f64,
    seconds: f64,
    seconds_per_tick: f64,
}

/// Maps grid ticks of the lead sheet to seconds of the original file and back.
///
/// Grid tick 0 is the start of the sheet's first bar (the pickup's start when it has one);
/// positions before it (negative) are the dropped lead-in of the file.
#[derive(Debug, Clone, PartialEq)]
pub struct Timeline {
    /// Sorted by `grid` (and so by `seconds`); never empty.
    segments: Vec<Segment>,
}

impl Timeline {
    /// Builds the map from the file's tempo changes (`(file tick, tempo)`, sorted by tick) and the
    /// sheet's shift: grid tick 0 of the sheet lies at file grid tick `shift`.
    pub fn new(scale: TickScale, tempos: &[(u64, Tempo)], shift: u64) -> Self {
        let shift = shift as f64;
        let seconds_per_tick = |tempo: Tempo| tempo.seconds(1);
        let mut segments = vec![Segment {
            grid: scale.grid_exact(0) - shift,
            seconds: 0.0,
            seconds_per_tick: seconds_per_tick(Tempo::default()),
        }];
        for &(tick, tempo) in tempos {
            let grid = scale.grid_exact(tick) - shift;
            let last = segments[segments.len() - 1];
            let seconds = last.seconds + (grid - last.grid) * last.seconds_per_tick;
            let segment = Segment {
                grid,
                seconds,
                seconds_per_tick: seconds_per_tick(tempo),
            };
            if grid <= last.grid {
                // A change at the same tick (or the file's start) replaces the tempo there.
                let end = segments.len() - 1;
                segments[end].seconds_per_tick = segment.seconds_per_tick;
            } else {
                segments.push(segment);
            }
        }
        Timeline { segments }
    }

    /// Seconds from the start of the original file to a grid position of the sheet.
    pub fn seconds_at(&self, grid_tick: f64) -> f64 {
        let index = self
            .segments
            .partition_point(|s| s.grid <= grid_tick)
            .saturating_sub(1);
        let s = self.segments[index];
        s.seconds + (grid_tick - s.grid) * s.seconds_per_tick
    }

    /// The grid position of the sheet at a time of the original file, in seconds.
    pub fn grid_at(&self, seconds: f64) -> f64 {
        let index = self
            .segments
            .partition_point(|s| s.seconds <= seconds)
            .saturating_sub(1);
        let s = self.segments[index];
        s.grid + (seconds - s.seconds) / s.seconds_per_tick
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bpm(value: f64) -> Tempo {
        Tempo::new(value).unwrap()
    }

    #[test]
    fn file_ticks_round_to_the_nearest_grid_tick() {
        let scale = TickScale::new(480);
        assert_eq!(scale.grid(0), 0);
        assert_eq!(scale.grid(480), 12);
        assert_eq!(scale.grid(19), 0);
        assert_eq!(scale.grid(20), 1);
        assert_eq!(scale.grid(u64::MAX), u64::MAX / 40);
    }

    #[test]
    fn seconds_follow_the_tempo_map_and_the_shift() {
        // 120 BPM for 4 quarters, then 60 BPM; the sheet starts one quarter into the file.
        let scale = TickScale::new(96);
        let timeline = Timeline::new(scale, &[(0, bpm(120.0)), (384, bpm(60.0))], 12);
        assert!((timeline.seconds_at(0.0) - 0.5).abs() < 1e-9);
        assert!((timeline.seconds_at(36.0) - 2.0).abs() < 1e-9);
        assert!((timeline.seconds_at(48.0) - 3.0).abs() < 1e-9);
        assert!((timeline.seconds_at(-12.0)).abs() < 1e-9);
        for grid in [-12.0, 0.0, 7.5, 36.0, 40.0, 100.0] {
            assert!((timeline.grid_at(timeline.seconds_at(grid)) - grid).abs() < 1e-9);
        }
    }

    #[test]
    fn without_tempo_events_the_file_runs_at_120_bpm() {
        let timeline = Timeline::new(TickScale::new(1024), &[], 0);
        assert!((timeline.seconds_at(48.0) - 2.0).abs() < 1e-9);
        assert!((timeline.grid_at(1.0) - 24.0).abs() < 1e-9);
    }
}
