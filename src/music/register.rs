//! Registers: where the chords and the melody of an idea sound. The chord voicing (in `midi`)
//! keeps the chords inside these ranges and generation (in `model`) places a fresh melody above
//! them, so both read the ranges from here.

/// The lowest bass note of a chord (E2); the bass lies in the octave from here up.
pub const BASS_LOWEST: u8 = 40;
/// The lowest upper voice of a chord (C3).
pub const UPPER_LOWEST: u8 = 48;
/// The highest upper voice of a chord (E4): pop melodies mostly sing from about D4 up, and the
/// chords stay mostly under them.
pub const UPPER_HIGHEST: u8 = 64;
/// The lowest mean pitch of a melody (F#4): one centred lower spends much of its time among the
/// chords.
pub const MELODY_LOWEST_MEAN: f64 = UPPER_HIGHEST as f64 + 2.0;
/// The highest mean pitch of a melody (C6) a voice sings comfortably.
pub const MELODY_HIGHEST_MEAN: f64 = 84.0;
