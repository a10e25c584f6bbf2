//! The composer's controls beyond temperature, as log-probability bonuses on the tokens the
//! grammar allows (after the network's probabilities, like the decoding priors):
//! - **note density**, sparse to busy: a bonus on long durations (sparse) or short ones (busy),
//!   proportional to the log of the duration, so fewer or more notes fit in a bar;
//! - **melody range**, low / mid / high: a bonus falling off with the distance of each pitch from
//!   the range's centre, and the finished melody placed in the octave nearest that centre;
//! - **harmonic rhythm**, chords per bar: a bonus (or malus) on a chord change offered inside a
//!   bar (the chord at the bar line is always written).
//!
//! At their neutral settings (density 0.5, range Auto, harmonic rhythm 0.5) nothing is added,
//! so the ideas are exactly those of plain sampling.

use serde::{Deserialize, Serialize};

use super::positions::Position;
use super::tokens::{Token, Vocab};

/// Where the melody sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum MelodyRange {
    /// Where the model puts it.
    #[default]
    Auto,
    Low,
    Mid,
    High,
}

impl MelodyRange {
    pub const ALL: [MelodyRange; 4] = [
        MelodyRange::Auto,
        MelodyRange::Low,
        MelodyRange::Mid,
        MelodyRange::High,
    ];

    /// The mean melody pitch (MIDI) the range aims at in the finished idea, inside the
    /// melody register of [`crate::music::register`].
    pub fn centre(self) -> Option<f64> {
        match self {
            MelodyRange::Auto => None,
            MelodyRange::Low => Some(68.0),
            MelodyRange::Mid => Some(74.0),
            MelodyRange::High => Some(80.0),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            MelodyRange::Auto => "auto",
            MelodyRange::Low => "low",
            MelodyRange::Mid => "mid",
            MelodyRange::High => "high",
        }
    }
}

impl std::str::FromStr for MelodyRange {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        MelodyRange::ALL
            .into_iter()
            .find(|r| r.name() == s.to_ascii_lowercase())
            .ok_or_else(|| format!("`{s}` is not a range: auto, low, mid or high"))
    }
}

/// Log-probability per unit of ln(duration / quarter) at the extremes of density.
const DENSITY_STRENGTH: f32 = 2.0;
/// Log-probability lost by a pitch a fifth (7 semitones) from the range's centre.
const RANGE_STRENGTH: f32 = 1.5;
/// Log-probability added to (or taken from) a chord change inside a bar at the extremes.
const HARMONIC_STRENGTH: f32 = 3.0;

/// The bonuses for one request's settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Steering {
    /// Bonus per unit of ln(duration / 12 ticks): positive favours long notes.
    duration_slope: f32,
    /// The range's centre in the tokens' normalized key (the finished idea's centre moved back
    /// by its key's shift).
    centre: Option<f32>,
    /// Bonus on a chord change inside a bar.
    chord_change: f32,
}

impl Steering {
    /// The steering for these settings, for tokens that move `key_shift` semitones into the
    /// idea's key; `None` when every control is neutral.
    pub fn new(
        density: f32,
        range: MelodyRange,
        harmonic_rhythm: f32,
        key_shift: i32,
    ) -> Option<Steering> {
        let steering = Steering {
            duration_slope: 2.0 * (0.5 - density) * DENSITY_STRENGTH,
            centre: range.centre().map(|c| (c - f64::from(key_shift)) as f32),
            chord_change: 2.0 * (harmonic_rhythm - 0.5) * HARMONIC_STRENGTH,
        };
        let neutral = steering.duration_slope == 0.0
            && steering.centre.is_none()
            && steering.chord_change == 0.0;
        (!neutral).then_some(steering)
    }

    /// Adds the bonuses for `allowed` to `out` at the musical position `at` (of the last token);
    /// whether any was added.
    pub fn bias(&self, vocab: &Vocab, allowed: &[u16], at: Position, out: &mut [f32]) -> bool {
        let mut any = false;
        for (o, &id) in out.iter_mut().zip(allowed) {
            let bonus = match vocab.token(id) {
                Token::Dur(d) => self.duration_slope * (d as f32 / 12.0).ln(),
                Token::Pitch(p) => self.centre.map_or(0.0, |c| {
                    let distance = (f32::from(p) - c) / 7.0;
                    -RANGE_STRENGTH * distance * distance
                }),
                Token::Chord(..) | Token::NoChord if at.beat > 1 => self.chord_change,
                _ => 0.0,
            };
            if bonus != 0.0 {
                *o += bonus;
                any = true;
            }
        }
        any
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::music::{ChordQuality, PitchClass};

    #[test]
    fn neutral_settings_steer_nothing() {
        assert_eq!(Steering::new(0.5, MelodyRange::Auto, 0.5, 0), None);
        assert!(Steering::new(0.2, MelodyRange::Auto, 0.5, 0).is_some());
        assert!(Steering::new(0.5, MelodyRange::Low, 0.5, 0).is_some());
        assert!(Steering::new(0.5, MelodyRange::Auto, 0.9, 0).is_some());
    }

    #[test]
    fn each_control_favours_what_it_says() {
        let vocab = Vocab::standard();
        let ids = |tokens: &[Token]| -> Vec<u16> {
            tokens.iter().map(|&t| vocab.require(t).unwrap()).collect()
        };
        let bonus = |s: Steering, tokens: &[Token], at: Position| {
            let allowed = ids(tokens);
            let mut out = vec![0.0; allowed.len()];
            s.bias(&vocab, &allowed, at, &mut out);
            out
        };
        let start = Position { bar: 1, beat: 1 };
        let sparse = Steering::new(0.0, MelodyRange::Auto, 0.5, 0).unwrap();
        let b = bonus(sparse, &[Token::Dur(3), Token::Dur(24)], start);
        assert!(b[1] > b[0]);
        let busy = Steering::new(1.0, MelodyRange::Auto, 0.5, 0).unwrap();
        let b = bonus(busy, &[Token::Dur(3), Token::Dur(24)], start);
        assert!(b[0] > b[1]);
        let high = Steering::new(0.5, MelodyRange::High, 0.5, 0).unwrap();
        let b = bonus(high, &[Token::Pitch(60), Token::Pitch(80)], start);
        assert!(b[1] > b[0]);
        let chord = Token::Chord(PitchClass::new(0), ChordQuality::ALL[0]);
        let many = Steering::new(0.5, MelodyRange::Auto, 1.0, 0).unwrap();
        let inside = Position { bar: 1, beat: 25 };
        assert!(bonus(many, &[chord, Token::Pitch(60)], inside)[0] > 0.0);
        assert_eq!(
            bonus(many, &[chord], start)[0],
            0.0,
            "the bar's first chord is free"
        );
        let few = Steering::new(0.5, MelodyRange::Auto, 0.0, 0).unwrap();
        assert!(bonus(few, &[chord], inside)[0] < 0.0);
    }

    #[test]
    fn ranges_parse_by_name() {
        assert_eq!("High".parse::<MelodyRange>(), Ok(MelodyRange::High));
        assert!("middle".parse::<MelodyRange>().is_err());
    }
}
