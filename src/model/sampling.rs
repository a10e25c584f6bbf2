//! [`Sampling`]: how ideas are drawn from the network, defined once for every layer.
//!
//! The window's settings, the worker's requests, the command line (`generate`, `eval`) and the
//! eval sweeps all hold this one struct: its [`Default`] holds the only defaults, and
//! [`Sampling::validate`] the only range check. It derives serde with `#[serde(default)]`, so a
//! settings file written before a field existed still loads, with that field at its default.
//!
//! Adding a setting: a field here (with its default and its range check), one widget in
//! `ui::settings_ui`, one clap field in `cli::SamplingArgs`.

use serde::{Deserialize, Serialize};

use super::ModelError;
use super::steering::MelodyRange;

/// The sampling temperature ideas are written at unless the caller chooses another. Measured
/// with `songsketch eval --temperature-sweep` (100 ideas, phrase return and chorus lift at their
/// defaults): the chord-tone ratio on beats at 0.7 / 0.8 / 0.9 / 1.0 / 1.3 was
/// 0.769 / 0.741 / 0.717 / 0.694 / 0.631 with the default model after 5 epochs (0.716 / 0.702 /
/// 0.677 / 0.672 / 0.601 after 3), every verse progression distinct at each; 0.9 keeps 0.65 with
/// a margin while variety still moves.
pub const DEFAULT_TEMPERATURE: f32 = 0.9;

/// The nucleus (top-p) mass kept for chords, pitches and form.
pub const DEFAULT_TOP_P: f32 = 0.95;

/// The phrase-return strength (see [`super::phrase`]) ideas are written at by default. Measured
/// with `songsketch eval --phrase-return-sweep` (100 ideas, temperature 0.9, timing unsharpened):
/// bar similarity at 4 / 8 bars was 0.392 / 0.345 at 0.5, 0.481 / 0.392 at 0.7 and 0.520 /
/// 0.417 at 0.8, against 0.31 with the bars shuffled and 0.399 / 0.422 in the real songs; 0.7
/// brings phrases back clearly without copying (1.0).
pub const DEFAULT_PHRASE_RETURN: f32 = 0.7;

/// The chorus-lift strength (see [`super::register`]) ideas are written at by default: the
/// chorus comes out 2 to 3 semitones above the verse (+2.41 measured after 5 epochs at
/// temperature 0.9, +0.15 without the lift; real songs +3.15).
pub const DEFAULT_CHORUS_LIFT: f32 = 0.5;

/// How the network's distribution is turned into choices.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Sampling {
    /// Low is safe, high is adventurous; in (0, 5]. Timing is never sharpened below 1 (see
    /// [`super::generate::timing_sampling`]).
    pub temperature: f32,
    /// Nucleus sampling: only the likeliest tokens whose probabilities add up to this; in (0, 1].
    pub top_p: f32,
    /// How strongly a bar's melody is drawn towards the bars 4 and 8 before it, 0 (off: plain
    /// sampling) to 1; see [`super::phrase`].
    pub phrase_return: f32,
    /// How strongly the chorus is kept from sinking below the verse's mean pitch, 0 (off: plain
    /// sampling) to 1; see [`super::register`].
    pub chorus_lift: f32,
    /// Melody notes per bar, 0 (sparse) to 1 (busy); 0.5 is as the model writes. See
    /// [`super::steering`].
    pub density: f32,
    /// Where the melody sits (auto: where the model puts it).
    pub melody_range: MelodyRange,
    /// Chords per bar, 0 (fewer changes) to 1 (more); 0.5 is as the model writes.
    pub harmonic_rhythm: f32,
}

impl Default for Sampling {
    fn default() -> Self {
        Sampling {
            temperature: DEFAULT_TEMPERATURE,
            top_p: DEFAULT_TOP_P,
            phrase_return: DEFAULT_PHRASE_RETURN,
            chorus_lift: DEFAULT_CHORUS_LIFT,
            density: 0.5,
            melody_range: MelodyRange::Auto,
            harmonic_rhythm: 0.5,
        }
    }
}

impl Sampling {
    /// Plain sampling from the network: the request's temperature and top-p, no decoding priors.
    pub fn without_priors(self) -> Sampling {
        Sampling {
            phrase_return: 0.0,
            chorus_lift: 0.0,
            ..self
        }
    }

    /// Every value in its range, or the first that is not, named as the composer knows it.
    pub fn validate(&self) -> Result<(), ModelError> {
        let out_of_range = |name: &str, value: f32, range: &str| {
            Err(ModelError::Request(format!(
                "{name} {value} is outside {range}"
            )))
        };
        if !(self.temperature > 0.0 && self.temperature <= 5.0) {
            return out_of_range("temperature", self.temperature, "(0, 5]");
        }
        if !(self.top_p > 0.0 && self.top_p <= 1.0) {
            return out_of_range("top-p", self.top_p, "(0, 1]");
        }
        if !(0.0..=1.0).contains(&self.phrase_return) {
            return out_of_range("phrase return", self.phrase_return, "[0, 1]");
        }
        if !(0.0..=1.0).contains(&self.chorus_lift) {
            return out_of_range("chorus lift", self.chorus_lift, "[0, 1]");
        }
        if !(0.0..=1.0).contains(&self.density) {
            return out_of_range("note density", self.density, "[0, 1]");
        }
        if !(0.0..=1.0).contains(&self.harmonic_rhythm) {
            return out_of_range("harmonic rhythm", self.harmonic_rhythm, "[0, 1]");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_in_range_and_each_bound_is_checked() {
        assert!(Sampling::default().validate().is_ok());
        let bad = [
            (
                Sampling {
                    temperature: 0.0,
                    ..Sampling::default()
                },
                "temperature",
            ),
            (
                Sampling {
                    top_p: 1.5,
                    ..Sampling::default()
                },
                "top-p",
            ),
            (
                Sampling {
                    phrase_return: f32::NAN,
                    ..Sampling::default()
                },
                "phrase return",
            ),
            (
                Sampling {
                    chorus_lift: -0.1,
                    ..Sampling::default()
                },
                "chorus lift",
            ),
        ];
        for (sampling, name) in bad {
            let err = sampling.validate().unwrap_err().to_string();
            assert!(err.starts_with(name), "{err}");
        }
    }

    #[test]
    fn missing_fields_load_as_their_defaults() {
        let old: Sampling = serde_json::from_str(r#"{"temperature": 1.2}"#).unwrap();
        assert_eq!(
            old,
            Sampling {
                temperature: 1.2,
                ..Sampling::default()
            }
        );
    }
}
