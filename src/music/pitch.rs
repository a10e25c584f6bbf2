//! Pitches and pitch classes: MIDI note numbers, note names, spelling with sharps or flats.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::MusicError;

/// One of the twelve pitch classes, 0 = C … 11 = B.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PitchClass(u8);

/// Whether black keys are written as sharps (`F#`) or flats (`Gb`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Spelling {
    Sharps,
    Flats,
}

const SHARP_NAMES: [&str; 12] = [
    "C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B",
];
const FLAT_NAMES: [&str; 12] = [
    "C", "Db", "D", "Eb", "E", "F", "Gb", "G", "Ab", "A", "Bb", "B",
];

impl PitchClass {
    /// The pitch class of any integer number of semitones above C (wraps around the octave).
    pub fn new(semitones: i32) -> Self {
        PitchClass(semitones.rem_euclid(12) as u8)
    }

    /// Semitones above C, 0..12.
    pub fn index(self) -> u8 {
        self.0
    }

    /// This pitch class moved by `semitones` (up if positive).
    pub fn transpose(self, semitones: i32) -> Self {
        PitchClass::new(self.0 as i32 + semitones)
    }

    /// Semitones to go up from `self` to reach `other`, 0..12.
    pub fn interval_to(self, other: PitchClass) -> u8 {
        (other.0 as i32 - self.0 as i32).rem_euclid(12) as u8
    }

    /// The name with the given spelling, e.g. `F#` or `Gb`.
    pub fn name(self, spelling: Spelling) -> &'static str {
        match spelling {
            Spelling::Sharps => SHARP_NAMES[self.0 as usize],
            Spelling::Flats => FLAT_NAMES[self.0 as usize],
        }
    }

    /// Reads a note name at the start of `text` (`C`, `F#`, `Bb`, `Cb`, `E#`, also `Fx`/`Bbb`),
    /// returning the pitch class and the number of bytes read.
    pub fn parse_prefix(text: &str) -> Result<(PitchClass, usize), MusicError> {
        let bytes = text.as_bytes();
        let letter = bytes
            .first()
            .ok_or_else(|| MusicError::Parse("empty note name".into()))?;
        let base = match letter.to_ascii_uppercase() {
            b'C' => 0,
            b'D' => 2,
            b'E' => 4,
            b'F' => 5,
            b'G' => 7,
            b'A' => 9,
            b'B' => 11,
            _ => {
                return Err(MusicError::Parse(format!(
                    "`{text}` does not start with a note name"
                )));
            }
        };
        let mut offset = 0i32;
        let mut used = 1;
        for &b in &bytes[1..] {
            match b {
                b'#' => offset += 1,
                b'x' => offset += 2,
                b'b' => offset -= 1,
                _ => break,
            }
            used += 1;
        }
        Ok((PitchClass::new(base + offset), used))
    }
}

impl fmt::Display for PitchClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name(Spelling::Sharps))
    }
}

impl FromStr for PitchClass {
    type Err = MusicError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (pc, used) = PitchClass::parse_prefix(s.trim())?;
        if used != s.trim().len() {
            return Err(MusicError::Parse(format!("`{s}` is not a note name")));
        }
        Ok(pc)
    }
}

/// A MIDI note number, 0..=127 (60 = middle C = C4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Pitch(pub u8);

impl Pitch {
    pub fn class(self) -> PitchClass {
        PitchClass::new(self.0 as i32)
    }

    /// Scientific octave number: MIDI 60 is C4.
    pub fn octave(self) -> i32 {
        self.0 as i32 / 12 - 1
    }

    /// The note name with its octave, e.g. `C#4`.
    pub fn name(self, spelling: Spelling) -> String {
        format!("{}{}", self.class().name(spelling), self.octave())
    }

    /// Moves the pitch, or `None` when it would leave the MIDI range.
    pub fn transpose(self, semitones: i32) -> Option<Pitch> {
        let moved = self.0 as i32 + semitones;
        (0..=127).contains(&moved).then_some(Pitch(moved as u8))
    }
}

impl fmt::Display for Pitch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name(Spelling::Sharps))
    }
}

impl FromStr for Pitch {
    type Err = MusicError;
    /// Parses `C4`, `F#3`, `Bb-1`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let (pc, used) = PitchClass::parse_prefix(s)?;
        let octave: i32 = s[used..]
            .parse()
            .map_err(|_| MusicError::Parse(format!("`{s}` has no octave number")))?;
        // Letter plus accidentals may cross the octave (Cb4 = B3), so build from the letter's octave.
        let letter_pc = PitchClass::parse_prefix(&s[..1])?.0.index() as i32;
        let accidental = (pc.index() as i32 - letter_pc + 6).rem_euclid(12) - 6;
        let midi = (octave + 1) * 12 + letter_pc + accidental;
        if !(0..=127).contains(&midi) {
            return Err(MusicError::Parse(format!(
                "`{s}` is outside the MIDI range"
            )));
        }
        Ok(Pitch(midi as u8))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_with_both_spellings() {
        for i in 0..12 {
            let pc = PitchClass::new(i);
            for sp in [Spelling::Sharps, Spelling::Flats] {
                assert_eq!(pc.name(sp).parse::<PitchClass>().unwrap(), pc);
            }
        }
        assert_eq!("Cb".parse::<PitchClass>().unwrap(), PitchClass::new(11));
        assert_eq!("E#".parse::<PitchClass>().unwrap(), PitchClass::new(5));
        assert!("H".parse::<PitchClass>().is_err());
        assert!("C#m".parse::<PitchClass>().is_err());
    }

    #[test]
    fn pitches_parse_and_print_in_scientific_notation() {
        assert_eq!("C4".parse::<Pitch>().unwrap(), Pitch(60));
        assert_eq!("A4".parse::<Pitch>().unwrap(), Pitch(69));
        assert_eq!("Bb3".parse::<Pitch>().unwrap(), Pitch(58));
        assert_eq!("Cb4".parse::<Pitch>().unwrap(), Pitch(59));
        assert_eq!("C-1".parse::<Pitch>().unwrap(), Pitch(0));
        assert_eq!(Pitch(61).name(Spelling::Flats), "Db4");
        assert_eq!(Pitch(61).to_string(), "C#4");
        assert!("G9".parse::<Pitch>().is_ok());
        assert!("A9".parse::<Pitch>().is_err());
    }

    #[test]
    fn intervals_wrap_around_the_octave() {
        let c = PitchClass::new(0);
        let a = PitchClass::new(9);
        assert_eq!(a.interval_to(c), 3);
        assert_eq!(c.interval_to(a), 9);
        assert_eq!(a.transpose(5), PitchClass::new(2));
        assert_eq!(Pitch(127).transpose(1), None);
    }
}
