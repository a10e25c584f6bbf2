//! Musical time: the grid positions are counted on, meters (time signatures) and tempo.
//!
//! Every position and duration in a lead sheet is a whole number of grid ticks.
//! A quarter note is [`TICKS_PER_QUARTER`] = 12 ticks, so 16th notes (3 ticks) and
//! 8th-note triplets (4 ticks) both fall on the grid.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::MusicError;

/// Grid ticks per quarter note: divisible by 4 (16ths) and 3 (8th-note triplets).
pub const TICKS_PER_QUARTER: u32 = 12;

/// A time signature such as 4/4 or 6/8.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Meter {
    pub numerator: u8,
    /// A power of two: 2, 4, 8, 16 …
    pub denominator: u8,
}

impl Meter {
    pub const FOUR_FOUR: Meter = Meter {
        numerator: 4,
        denominator: 4,
    };

    /// A meter, checked: a numerator of 1..=32 and a denominator that is a power of two up to 32.
    pub fn new(numerator: u8, denominator: u8) -> Result<Self, MusicError> {
        if numerator == 0 || numerator > 32 || !denominator.is_power_of_two() || denominator > 32 {
            return Err(MusicError::Invalid(format!(
                "{numerator}/{denominator} is not a usable time signature"
            )));
        }
        Ok(Meter {
            numerator,
            denominator,
        })
    }

    /// Grid ticks in one bar (4/4 = 48, 6/8 = 36, 3/4 = 36).
    pub fn bar_ticks(self) -> u32 {
        self.numerator as u32 * self.unit_ticks()
    }

    /// Grid ticks of the denominator's note value (a quarter = 12, an eighth = 6).
    pub fn unit_ticks(self) -> u32 {
        TICKS_PER_QUARTER * 4 / self.denominator as u32
    }

    /// Compound meters (6/8, 9/8, 12/8) group their eighths in threes.
    pub fn is_compound(self) -> bool {
        self.denominator >= 8 && self.numerator.is_multiple_of(3) && self.numerator > 3
    }

    /// Grid ticks of one felt beat: a dotted quarter in 6/8, a quarter in 4/4, a half in 2/2.
    pub fn beat_ticks(self) -> u32 {
        if self.is_compound() {
            self.unit_ticks() * 3
        } else {
            self.unit_ticks()
        }
    }

    /// Felt beats in a bar (4/4 → 4, 6/8 → 2, 3/4 → 3).
    pub fn beats_per_bar(self) -> u32 {
        self.bar_ticks() / self.beat_ticks()
    }
}

impl Default for Meter {
    fn default() -> Self {
        Meter::FOUR_FOUR
    }
}

impl fmt::Display for Meter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.numerator, self.denominator)
    }
}

impl FromStr for Meter {
    type Err = MusicError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (n, d) = s
            .split_once('/')
            .ok_or_else(|| MusicError::Parse(format!("`{s}` is not a time signature like 4/4")))?;
        let parse = |x: &str| {
            x.trim()
                .parse::<u8>()
                .map_err(|_| MusicError::Parse(format!("`{s}` is not a time signature like 4/4")))
        };
        Meter::new(parse(n)?, parse(d)?)
    }
}

/// Tempo in quarter notes per minute.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Tempo(f64);

impl Tempo {
    pub const MIN_BPM: f64 = 10.0;
    pub const MAX_BPM: f64 = 400.0;

    /// A tempo, checked to lie in 10..=400 BPM.
    pub fn new(bpm: f64) -> Result<Self, MusicError> {
        if !(Self::MIN_BPM..=Self::MAX_BPM).contains(&bpm) {
            return Err(MusicError::Invalid(format!(
                "a tempo of {bpm} BPM is outside {}..{} BPM",
                Self::MIN_BPM,
                Self::MAX_BPM
            )));
        }
        Ok(Tempo(bpm))
    }

    pub fn bpm(self) -> f64 {
        self.0
    }

    /// Microseconds per quarter note, as a MIDI Set Tempo event stores it.
    pub fn micros_per_quarter(self) -> u32 {
        (60_000_000.0 / self.0).round() as u32
    }

    /// The tempo of a MIDI Set Tempo value.
    pub fn from_micros_per_quarter(micros: u32) -> Result<Self, MusicError> {
        if micros == 0 {
            return Err(MusicError::Invalid(
                "a tempo of 0 µs per quarter note".into(),
            ));
        }
        Tempo::new(60_000_000.0 / micros as f64)
    }

    /// Seconds taken by `ticks` grid ticks at this tempo.
    pub fn seconds(self, ticks: u32) -> f64 {
        ticks as f64 / TICKS_PER_QUARTER as f64 * 60.0 / self.0
    }
}

impl Default for Tempo {
    fn default() -> Self {
        Tempo(120.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bar_and_beat_lengths_follow_the_meter() {
        let m = |s: &str| s.parse::<Meter>().unwrap();
        assert_eq!(m("4/4").bar_ticks(), 48);
        assert_eq!(m("3/4").bar_ticks(), 36);
        assert_eq!(m("6/8").bar_ticks(), 36);
        assert_eq!(m("2/4").bar_ticks(), 24);
        assert_eq!(m("6/8").beats_per_bar(), 2);
        assert_eq!(m("9/8").beats_per_bar(), 3);
        assert_eq!(m("3/8").beats_per_bar(), 3);
        assert_eq!(m("2/2").beat_ticks(), 24);
        assert!("4/3".parse::<Meter>().is_err());
        assert!("0/4".parse::<Meter>().is_err());
    }

    #[test]
    fn tempo_converts_to_and_from_midi_microseconds() {
        let t = Tempo::new(96.0).unwrap();
        assert_eq!(t.micros_per_quarter(), 625_000);
        assert_eq!(
            Tempo::from_micros_per_quarter(500_000).unwrap().bpm(),
            120.0
        );
        assert!(Tempo::from_micros_per_quarter(1).is_err());
        assert!(Tempo::new(0.0).is_err());
        assert!((Tempo::new(120.0).unwrap().seconds(48) - 2.0).abs() < 1e-9);
    }
}
