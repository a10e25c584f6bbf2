//! Keys (a tonic and major or minor), their scales and key signatures, and key estimation.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::MusicError;
use super::pitch::{PitchClass, Spelling};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Mode {
    Major,
    Minor,
}

/// A key such as C major or A minor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Key {
    pub tonic: PitchClass,
    pub mode: Mode,
}

const MAJOR_SCALE: [u8; 7] = [0, 2, 4, 5, 7, 9, 11];
/// Natural minor.
const MINOR_SCALE: [u8; 7] = [0, 2, 3, 5, 7, 8, 10];

/// Krumhansl–Kessler key profiles, C major and C minor.
const MAJOR_PROFILE: [f64; 12] = [
    6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88,
];
const MINOR_PROFILE: [f64; 12] = [
    6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17,
];

impl Key {
    pub fn new(tonic: PitchClass, mode: Mode) -> Self {
        Key { tonic, mode }
    }

    pub fn major(tonic: PitchClass) -> Self {
        Key::new(tonic, Mode::Major)
    }

    pub fn minor(tonic: PitchClass) -> Self {
        Key::new(tonic, Mode::Minor)
    }

    /// The seven pitch classes of the scale (natural minor for minor keys).
    pub fn scale(self) -> [PitchClass; 7] {
        let steps = match self.mode {
            Mode::Major => MAJOR_SCALE,
            Mode::Minor => MINOR_SCALE,
        };
        steps.map(|s| self.tonic.transpose(s as i32))
    }

    /// Whether a pitch class belongs to the scale; in minor the raised 6th and 7th count too.
    pub fn contains(self, pc: PitchClass) -> bool {
        let degree = self.tonic.interval_to(pc);
        match self.mode {
            Mode::Major => MAJOR_SCALE.contains(&degree),
            Mode::Minor => MINOR_SCALE.contains(&degree) || degree == 9 || degree == 11,
        }
    }

    /// The major key with the same signature (A minor → C major).
    pub fn relative_major_tonic(self) -> PitchClass {
        match self.mode {
            Mode::Major => self.tonic,
            Mode::Minor => self.tonic.transpose(3),
        }
    }

    /// Sharps (positive) or flats (negative) in the key signature, -6..=5 (Gb major rather than F#).
    pub fn signature(self) -> i8 {
        // Position on the circle of fifths of the relative major: C=0, G=1, …, F=-1.
        let fifths = (self.relative_major_tonic().index() as i32 * 7).rem_euclid(12);
        (if fifths >= 6 { fifths - 12 } else { fifths }) as i8
    }

    /// The key for a MIDI key signature (sharps/flats count and minor flag).
    pub fn from_signature(sharps: i8, minor: bool) -> Self {
        let major_tonic = PitchClass::new(sharps as i32 * 7);
        if minor {
            Key::minor(major_tonic.transpose(-3))
        } else {
            Key::major(major_tonic)
        }
    }

    /// How black keys are best written in this key.
    pub fn spelling(self) -> Spelling {
        if self.signature() < 0 {
            Spelling::Flats
        } else {
            Spelling::Sharps
        }
    }

    pub fn transpose(self, semitones: i32) -> Self {
        Key::new(self.tonic.transpose(semitones), self.mode)
    }

    /// Harte-style label as used in annotations, e.g. `Gb:maj`, `A:min`.
    pub fn harte(self) -> String {
        let suffix = match self.mode {
            Mode::Major => "maj",
            Mode::Minor => "min",
        };
        format!("{}:{}", self.tonic.name(self.spelling()), suffix)
    }

    /// The most likely key for a pitch-class weight profile (Krumhansl–Schmuckler correlation).
    /// Returns `None` when the profile is empty.
    pub fn estimate(weights: &[f64; 12]) -> Option<Key> {
        if weights.iter().sum::<f64>() <= 0.0 {
            return None;
        }
        let mut best: Option<(f64, Key)> = None;
        for tonic in 0..12 {
            for (mode, profile) in [(Mode::Major, &MAJOR_PROFILE), (Mode::Minor, &MINOR_PROFILE)] {
                let rotated: Vec<f64> = (0..12).map(|i| weights[(i + tonic) % 12]).collect();
                let r = correlation(&rotated, profile);
                if best.is_none_or(|(b, _)| r > b) {
                    best = Some((r, Key::new(PitchClass::new(tonic as i32), mode)));
                }
            }
        }
        best.map(|(_, key)| key)
    }
}

/// Pearson correlation of two profiles (0 when either is flat).
pub(crate) fn correlation(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let cov: f64 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = a.iter().map(|x| (x - ma).powi(2)).sum();
    let vb: f64 = b.iter().map(|y| (y - mb).powi(2)).sum();
    if va == 0.0 || vb == 0.0 {
        0.0
    } else {
        cov / (va * vb).sqrt()
    }
}

impl fmt::Display for Key {
    /// Musicians' short form: `C`, `Am`, `F#m`, `Bb`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let suffix = if self.mode == Mode::Minor { "m" } else { "" };
        write!(f, "{}{}", self.tonic.name(self.spelling()), suffix)
    }
}

impl FromStr for Key {
    type Err = MusicError;
    /// Accepts `C`, `Am`, `F#m`, `Bb`, `A minor`, `Eb major`, `Gb:maj`, `A:min`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let text = s.trim();
        let (tonic, used) = PitchClass::parse_prefix(text)?;
        let rest = text[used..]
            .trim()
            .trim_start_matches(':')
            .to_ascii_lowercase();
        let mode = match rest.as_str() {
            "" | "maj" | "major" => Mode::Major,
            "m" | "min" | "minor" => Mode::Minor,
            _ => {
                return Err(MusicError::Parse(format!(
                    "`{s}` is not a key (try `C`, `Am`, `F#m`)"
                )));
            }
        };
        Ok(Key::new(tonic, mode))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str) -> Key {
        s.parse().unwrap()
    }

    #[test]
    fn keys_parse_in_every_common_form() {
        assert_eq!(key("Am"), Key::minor(PitchClass::new(9)));
        assert_eq!(key("A minor"), key("A:min"));
        assert_eq!(key("Gb:maj"), Key::major(PitchClass::new(6)));
        assert_eq!(key("F#m").to_string(), "F#m");
        assert_eq!(key("Bb").to_string(), "Bb");
        assert_eq!(key("Dm").to_string(), "Dm");
        assert!("Xm".parse::<Key>().is_err());
        assert!("C dorian".parse::<Key>().is_err());
    }

    #[test]
    fn signatures_match_the_circle_of_fifths() {
        assert_eq!(key("C").signature(), 0);
        assert_eq!(key("Am").signature(), 0);
        assert_eq!(key("G").signature(), 1);
        assert_eq!(key("Em").signature(), 1);
        assert_eq!(key("F").signature(), -1);
        assert_eq!(key("Eb").signature(), -3);
        assert_eq!(key("Cm").signature(), -3);
        assert_eq!(key("E").signature(), 4);
        for sharps in -6..=5 {
            for minor in [false, true] {
                assert_eq!(Key::from_signature(sharps, minor).signature(), sharps);
            }
        }
    }

    #[test]
    fn scales_and_membership() {
        let names: Vec<String> = key("D").scale().iter().map(|p| p.to_string()).collect();
        assert_eq!(names, ["D", "E", "F#", "G", "A", "B", "C#"]);
        assert!(key("Am").contains(PitchClass::new(8))); // G# leading tone
        assert!(!key("C").contains(PitchClass::new(1)));
    }

    #[test]
    fn estimation_finds_the_key_of_a_scale_weighted_to_its_tonic_triad() {
        let mut w = [0.0; 12];
        for pc in key("Eb").scale() {
            w[pc.index() as usize] += 1.0;
        }
        for pc in [3, 7, 10] {
            w[pc] += 2.0;
        }
        assert_eq!(Key::estimate(&w), Some(key("Eb")));
        assert_eq!(Key::estimate(&[0.0; 12]), None);
    }
}
