//! Bars of an imported song: the meter map laid out as bars on the grid, leading empty bars
//! dropped, and a pickup (anacrusis) recognised.
//!
//! Rules:
//! - A time signature holds until the next one. A change that falls inside a bar ends that bar
//!   early, so every note keeps its place; the cut bar gets the meter its length spells (a 4/4
//!   bar cut after three quarters is a 3/4 bar; after one quarter, 2/8), so that an exporter
//!   writing a time signature at every meter change reproduces it. A cut first bar stays a
//!   short bar of the running meter: a pickup.
//! - A one-beat signature (`1/4`, as some converters write for "no meter") describes no bar: the
//!   meter is the one the downbeats imply ([`implied_meter`]: three or four of its units, by
//!   where the harmony's notes begin), four units when nothing tells; its bar lines fall where
//!   the music puts its downbeats (`super::downbeats`, applied by the importer).
//! - A meter longer than seven quarters (`8/4`, `4/2`, `12/4`, `24/8`) is laid out as the
//!   shorter bars it is made of ([`split_long_meter`]): two or three 4/4 bars, or 12/8 bars …,
//!   so that every bar is one the model's vocabulary knows.
//! - Bars run from the file's start to the end of the last note; bars before the first note
//!   (start of any note, melody or harmony) are dropped.
//! - **Pickup**: the first remaining bar is a pickup when no harmony note starts in it, melody
//!   notes do, and the first of them starts at or after the bar's first unit (the meter's
//!   denominator note: a quarter in 4/4, an eighth in 6/8). The pickup then begins on the unit
//!   boundary at or before the first melody onset: length `L = bar − unit × ⌊onset / unit⌋`.
//!   An exported pickup of length `L` (a bar whose first `bar − L` ticks are rest, its first
//!   note within its first unit, no chord notes) reads back as the same `L`.

use super::super::MidiError;
use crate::midi::grid::{BarSpan, GridNote};
use crate::music::Meter;

/// The longest song imported, in bars (over five hours of 4/4 even at 240 BPM; the longest
/// dataset song has a few hundred, and a million notes on 16ths fill 15,625): a guard against
/// files whose notes lie absurdly far apart. The fuzzer found a 115-byte file spanning 40,330
/// bars that took seconds to lay out under the old limit of 50,000.
pub const MAX_BARS: usize = 20_000;

/// A bar on the file's grid (grid ticks from the file's start).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileBar {
    pub start: u64,
    pub length: u32,
    pub meter: Meter,
}

/// The meter bars are laid out in: one-beat signatures become four units, long meters the
/// shorter bars they are made of.
pub fn bar_meter(meter: Meter) -> Meter {
    if meter.numerator == 1 {
        Meter::new(4, meter.denominator).unwrap_or_default()
    } else {
        split_long_meter(meter)
    }
}

/// The longest bar kept whole, in grid ticks (7/4).
pub const LONGEST_BAR: u32 = 84;

/// The meter of the bars a long meter is made of: compound meters in 12/8, 9/8 or 6/8 bars
/// (24/8 → two 12/8), others in 4/4 bars when they divide into them (8/4, 4/2, 12/4, 16/8),
/// else 3/4 bars (9/4), else the fewest equal bars of whole quarters (10/4 → two 5/4). A meter
/// that divides into none of these is kept.
pub fn split_long_meter(meter: Meter) -> Meter {
    let ticks = meter.bar_ticks();
    if ticks <= LONGEST_BAR {
        return meter;
    }
    if meter.is_compound()
        && let Some(n) = [12u8, 9, 6]
            .into_iter()
            .find(|&n| meter.numerator.is_multiple_of(n))
    {
        return Meter::new(n, meter.denominator).unwrap_or(meter);
    }
    let quarter = Meter::FOUR_FOUR.unit_ticks();
    for part in [Meter::FOUR_FOUR.bar_ticks(), 3 * quarter] {
        if ticks.is_multiple_of(part) {
            return Meter::new((part / quarter) as u8, 4).unwrap_or(meter);
        }
    }
    (2..=8)
        .map(|parts| ticks / parts)
        .find(|&length| {
            ticks.is_multiple_of(length) && length.is_multiple_of(quarter) && length <= LONGEST_BAR
        })
        .and_then(|length| Meter::new((length / quarter) as u8, 4).ok())
        .unwrap_or(meter)
}

/// The meter a one-beat signature (`1/4`) stands for, from where the notes begin: each onset
/// weighs its duration (a long chord marks a downbeat more than a passing note). For three and
/// for four units a bar, the bar lines at their best phase collect a share of that weight
/// (onsets within a quarter unit of a bar line count); the meter of three units is chosen when
/// its share, against what chance gives, leads by [`TRIPLE_LEAD`], else four. `onsets` are
/// `(grid tick, weight)`.
pub fn implied_meter(meter: Meter, onsets: &[(u64, f64)]) -> Meter {
    let unit = meter.unit_ticks() as u64;
    let near = (unit / 4).max(1);
    let total: f64 = onsets.iter().map(|&(_, w)| w).sum();
    let on_bar_lines = |units: u64| -> f64 {
        let bar = unit * units;
        (0..units)
            .map(|phase| {
                let on: f64 = onsets
                    .iter()
                    .filter(|&&(tick, _)| {
                        let into = (tick + bar - phase * unit) % bar;
                        into < near || bar - into < near
                    })
                    .map(|&(_, w)| w)
                    .sum();
                // Against what bar lines would collect by chance: one unit in `units`.
                on / total * units as f64
            })
            .fold(0.0, f64::max)
    };
    let four = Meter::new(4, meter.denominator).unwrap_or_default();
    if total <= 0.0 {
        return four;
    }
    if on_bar_lines(3) > on_bar_lines(4) * TRIPLE_LEAD {
        Meter::new(3, meter.denominator).unwrap_or(four)
    } else {
        four
    }
}

/// How much more weight the bar lines of three units must collect than those of four.
pub const TRIPLE_LEAD: f64 = 1.3;

/// Lays out bars from grid tick 0 to `end` following meter changes `(grid tick, meter)`,
/// sorted by tick (4/4 until the first one). Too many bars is an error.
pub fn lay_out_bars(meters: &[(u64, Meter)], end: u64) -> Result<Vec<FileBar>, MidiError> {
    let mut bars = Vec::new();
    let mut meter = Meter::FOUR_FOUR;
    let mut next_change = 0; // index into `meters`
    let mut start = 0u64;
    while start < end {
        while next_change < meters.len() && meters[next_change].0 <= start {
            meter = bar_meter(meters[next_change].1);
            next_change += 1;
        }
        let full = meter.bar_ticks() as u64;
        let until_change = meters
            .get(next_change)
            .map_or(full, |&(tick, _)| tick - start);
        let length = full.min(until_change) as u32;
        let cut = (length as u64) < full && start > 0;
        bars.push(FileBar {
            start,
            length,
            meter: if cut {
                meter_of_length(meter, length).unwrap_or(meter)
            } else {
                meter
            },
        });
        if bars.len() > MAX_BARS {
            return Err(MidiError::Unsupported(format!(
                "the song is longer than {MAX_BARS} bars (its notes reach grid tick {end}); \
                 is its timing right?"
            )));
        }
        start += length as u64;
    }
    Ok(bars)
}

/// The meter whose bar is `length` ticks: with the running meter's denominator when it divides
/// the length, else in eighths or sixteenths; numerators of 2..=32 only (one-unit meters are
/// read as four units, see [`bar_meter`]).
fn meter_of_length(running: Meter, length: u32) -> Option<Meter> {
    [running.denominator, 8, 16]
        .into_iter()
        .find_map(|denominator| {
            let unit = Meter::new(4, denominator).ok()?.unit_ticks();
            let numerator = length.is_multiple_of(unit).then_some(length / unit)?;
            if (2..=32).contains(&numerator) {
                Meter::new(numerator as u8, denominator).ok()
            } else {
                None
            }
        })
}

/// The bars of the lead sheet and where they lie in the file.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    /// Bars in sheet ticks: the first starts at 0.
    pub bars: Vec<BarSpan>,
    /// The file grid tick where the sheet starts.
    pub shift: u64,
    /// Whether the first bar is a pickup.
    pub pickup: bool,
}

/// Drops leading bars without notes and recognises a pickup. `melody` and `harmony` are on the
/// file grid, sorted by start; at least one of them has a note inside `bars`.
pub fn frame(bars: &[FileBar], melody: &[GridNote], harmony: &[GridNote]) -> Frame {
    let first_start = [melody.first(), harmony.first()]
        .into_iter()
        .flatten()
        .map(|n| n.start as u64)
        .min()
        .unwrap_or(0);
    let first = bars
        .iter()
        .position(|b| b.start + b.length as u64 > first_start)
        .unwrap_or(0);
    let Some(bar) = bars.get(first) else {
        return Frame {
            bars: Vec::new(),
            shift: 0,
            pickup: false,
        };
    };
    let pickup_start = pickup_start(bar, melody, harmony);
    let shift = pickup_start.unwrap_or(bar.start);
    let spans = bars[first..]
        .iter()
        .map(|b| {
            let start = b.start.max(shift);
            BarSpan {
                start: (start - shift) as u32,
                length: (b.start + b.length as u64 - start) as u32,
                meter: b.meter,
            }
        })
        .collect();
    Frame {
        bars: spans,
        shift,
        pickup: pickup_start.is_some(),
    }
}

/// Where the pickup in `bar` starts (file grid), if the bar is one (see the module rules).
fn pickup_start(bar: &FileBar, melody: &[GridNote], harmony: &[GridNote]) -> Option<u64> {
    let end = bar.start + bar.length as u64;
    if harmony.first().is_some_and(|n| (n.start as u64) < end) {
        return None;
    }
    let onset = melody
        .first()
        .map(|n| n.start as u64)
        .filter(|&s| s < end)?
        .checked_sub(bar.start)?;
    let unit = bar.meter.unit_ticks() as u64;
    (onset >= unit).then_some(bar.start + onset / unit * unit)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meter(text: &str) -> Meter {
        text.parse().unwrap()
    }

    fn note(start: u32, end: u32) -> GridNote {
        GridNote {
            start,
            end,
            pitch: 70,
            velocity: 80,
        }
    }

    #[test]
    fn bars_follow_meter_changes_and_a_change_inside_a_bar_shortens_it() {
        let bars = lay_out_bars(
            &[(0, meter("3/4")), (72, meter("6/8")), (120, meter("2/4"))],
            150,
        )
        .unwrap();
        let shape: Vec<(u64, u32)> = bars.iter().map(|b| (b.start, b.length)).collect();
        assert_eq!(
            shape,
            [(0, 36), (36, 36), (72, 36), (108, 12), (120, 24), (144, 24)]
        );
        assert_eq!(bars[2].meter, meter("6/8"));
        // The cut 6/8 bar (two eighths) is a 2/8 bar.
        assert_eq!(bars[3].meter, meter("2/8"));
        assert_eq!(bars[3].meter.bar_ticks(), bars[3].length);
        assert_eq!(meter_of_length(meter("4/4"), 36), Some(meter("3/4")));
        assert_eq!(meter_of_length(meter("4/4"), 9), Some(meter("3/16")));
        assert_eq!(meter_of_length(meter("4/4"), 4), None);
        // A cut first bar stays a short bar: a pickup.
        let pickup = lay_out_bars(&[(0, meter("4/4")), (12, meter("3/4"))], 48).unwrap();
        assert_eq!((pickup[0].meter, pickup[0].length), (meter("4/4"), 12));
    }

    #[test]
    fn one_beat_signatures_are_read_as_four() {
        let bars = lay_out_bars(&[(0, meter("1/4"))], 96).unwrap();
        assert_eq!(bars.len(), 2);
        assert_eq!(bars[0].meter, Meter::FOUR_FOUR);
    }

    #[test]
    fn long_meters_are_laid_out_as_the_bars_they_are_made_of() {
        for (long, short, per_bar) in [
            ("8/4", "4/4", 2),
            ("4/2", "4/4", 2),
            ("12/4", "4/4", 3),
            ("16/8", "4/4", 2),
            ("9/4", "3/4", 3),
            ("10/4", "5/4", 2),
            ("24/8", "12/8", 2),
        ] {
            assert_eq!(split_long_meter(meter(long)), meter(short), "{long}");
            let long_bar = meter(long).bar_ticks() as u64;
            let bars = lay_out_bars(&[(0, meter(long))], long_bar * 2).unwrap();
            assert_eq!(bars.len(), 2 * per_bar, "{long}");
            assert!(
                bars.iter()
                    .all(|b| b.meter == meter(short) && b.length == b.meter.bar_ticks())
            );
        }
        // Meters of seven quarters or less are kept.
        for kept in ["7/4", "6/4", "3/2", "12/8", "4/4"] {
            assert_eq!(split_long_meter(meter(kept)), meter(kept));
        }
    }

    #[test]
    fn a_one_beat_signature_takes_the_meter_its_downbeats_imply() {
        let quarter = 12u64;
        // A waltz: a long chord every three quarters, short notes between.
        let waltz: Vec<(u64, f64)> = (0..24)
            .map(|beat| (beat * quarter, if beat % 3 == 0 { 36.0 } else { 6.0 }))
            .collect();
        assert_eq!(implied_meter(meter("1/4"), &waltz), meter("3/4"));
        // Chords every four quarters.
        let common: Vec<(u64, f64)> = (0..24)
            .map(|beat| (beat * quarter, if beat % 4 == 0 { 48.0 } else { 6.0 }))
            .collect();
        assert_eq!(implied_meter(meter("1/4"), &common), meter("4/4"));
        // Even notes tell nothing: four units.
        let even: Vec<(u64, f64)> = (0..24).map(|beat| (beat * quarter, 12.0)).collect();
        assert_eq!(implied_meter(meter("1/4"), &even), meter("4/4"));
        assert_eq!(implied_meter(meter("1/8"), &[]), meter("4/8"));
    }

    #[test]
    fn absurdly_long_songs_are_refused() {
        assert!(lay_out_bars(&[], 48 * (MAX_BARS as u64 + 5)).is_err());
        assert!(lay_out_bars(&[], 48 * MAX_BARS as u64).is_ok());
    }

    #[test]
    fn a_jig_pickup_of_one_eighth() {
        // 6/8: the melody starts on the last eighth of the first bar, chords from bar two.
        let bars = lay_out_bars(&[(0, meter("6/8"))], 108).unwrap();
        let frame = frame(&bars, &[note(30, 36), note(36, 42)], &[note(36, 72)]);
        assert!(frame.pickup);
        assert_eq!(frame.shift, 30);
        assert_eq!(frame.bars[0].length, 6);
        assert_eq!(frame.bars[1].start, 6);
        assert_eq!(frame.bars[1].length, 36);
    }

    #[test]
    fn pickup_begins_on_the_unit_before_the_first_note() {
        let bars = lay_out_bars(&[], 96).unwrap();
        let frame = frame(&bars, &[note(39, 48)], &[note(48, 96)]);
        assert_eq!((frame.shift, frame.bars[0].length), (36, 12));
        // Re-import of that pickup written padded to a full bar gives the same length.
        let again = frame_of_padded(12, 3);
        assert_eq!(again.bars[0].length, 12);
    }

    fn frame_of_padded(pickup: u32, first_onset: u32) -> Frame {
        let bars = lay_out_bars(&[], 96).unwrap();
        frame(
            &bars,
            &[note(48 - pickup + first_onset, 48)],
            &[note(48, 96)],
        )
    }

    #[test]
    fn no_pickup_with_harmony_or_a_note_in_the_first_unit() {
        let bars = lay_out_bars(&[], 96).unwrap();
        let with_chord = frame(&bars, &[note(24, 48)], &[note(0, 48)]);
        assert!(!with_chord.pickup);
        assert_eq!(with_chord.bars[0].length, 48);
        let early = frame(&bars, &[note(6, 48)], &[note(48, 96)]);
        assert!(!early.pickup);
    }

    #[test]
    fn leading_empty_bars_are_dropped() {
        let bars = lay_out_bars(&[], 192).unwrap();
        let frame = frame(&bars, &[note(100, 110)], &[note(96, 192)]);
        assert_eq!(frame.shift, 96);
        assert_eq!(frame.bars.len(), 2);
        assert!(!frame.pickup);
    }
}
