//! Chord symbols: a root, a quality and an optional bass note, written as musicians write them
//! (`C`, `Am7`, `F/A`, `Bdim`, `Gsus4`) or as Harte labels used by annotations (`B:maj`, `E:min7`, `C:maj/3`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::MusicError;
use super::pitch::{PitchClass, Spelling};

/// The kind of chord, independent of its root.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ChordQuality {
    Major,
    Minor,
    Diminished,
    Augmented,
    Sus2,
    Sus4,
    Dominant7,
    Major7,
    Minor7,
    HalfDiminished7,
    Diminished7,
    Major6,
    Minor6,
    Dominant7Sus4,
    MinorMajor7,
}

/// Whether a chord counts as major or minor when comparing at "majmin" level (MIREX).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MajMin {
    Major,
    Minor,
}

impl ChordQuality {
    pub const ALL: [ChordQuality; 15] = [
        ChordQuality::Major,
        ChordQuality::Minor,
        ChordQuality::Diminished,
        ChordQuality::Augmented,
        ChordQuality::Sus2,
        ChordQuality::Sus4,
        ChordQuality::Dominant7,
        ChordQuality::Major7,
        ChordQuality::Minor7,
        ChordQuality::HalfDiminished7,
        ChordQuality::Diminished7,
        ChordQuality::Major6,
        ChordQuality::Minor6,
        ChordQuality::Dominant7Sus4,
        ChordQuality::MinorMajor7,
    ];

    /// Semitones above the root, root first.
    pub fn intervals(self) -> &'static [u8] {
        use ChordQuality::*;
        match self {
            Major => &[0, 4, 7],
            Minor => &[0, 3, 7],
            Diminished => &[0, 3, 6],
            Augmented => &[0, 4, 8],
            Sus2 => &[0, 2, 7],
            Sus4 => &[0, 5, 7],
            Dominant7 => &[0, 4, 7, 10],
            Major7 => &[0, 4, 7, 11],
            Minor7 => &[0, 3, 7, 10],
            HalfDiminished7 => &[0, 3, 6, 10],
            Diminished7 => &[0, 3, 6, 9],
            Major6 => &[0, 4, 7, 9],
            Minor6 => &[0, 3, 7, 9],
            Dominant7Sus4 => &[0, 5, 7, 10],
            MinorMajor7 => &[0, 3, 7, 11],
        }
    }

    /// The suffix musicians write after the root (`""`, `m`, `m7b5` …).
    pub fn suffix(self) -> &'static str {
        use ChordQuality::*;
        match self {
            Major => "",
            Minor => "m",
            Diminished => "dim",
            Augmented => "aug",
            Sus2 => "sus2",
            Sus4 => "sus4",
            Dominant7 => "7",
            Major7 => "maj7",
            Minor7 => "m7",
            HalfDiminished7 => "m7b5",
            Diminished7 => "dim7",
            Major6 => "6",
            Minor6 => "m6",
            Dominant7Sus4 => "7sus4",
            MinorMajor7 => "mMaj7",
        }
    }

    /// The Harte shorthand (`maj`, `min7`, `hdim7`, `sus4(b7)` …).
    pub fn harte(self) -> &'static str {
        use ChordQuality::*;
        match self {
            Major => "maj",
            Minor => "min",
            Diminished => "dim",
            Augmented => "aug",
            Sus2 => "sus2",
            Sus4 => "sus4",
            Dominant7 => "7",
            Major7 => "maj7",
            Minor7 => "min7",
            HalfDiminished7 => "hdim7",
            Diminished7 => "dim7",
            Major6 => "maj6",
            Minor6 => "min6",
            Dominant7Sus4 => "sus4(b7)",
            MinorMajor7 => "minmaj7",
        }
    }

    /// The major/minor family for MIREX "majmin" comparison; `None` for chords outside it
    /// (diminished, augmented, suspended), which that comparison leaves out.
    pub fn majmin(self) -> Option<MajMin> {
        use ChordQuality::*;
        match self {
            Major | Dominant7 | Major7 | Major6 => Some(MajMin::Major),
            Minor | Minor7 | Minor6 | MinorMajor7 => Some(MajMin::Minor),
            _ => None,
        }
    }

    fn from_suffix(suffix: &str) -> Option<ChordQuality> {
        use ChordQuality::*;
        let quality = match suffix {
            "" | "maj" | "M" => Major,
            "m" | "min" | "mi" | "-" => Minor,
            "dim" | "°" | "o" => Diminished,
            "aug" | "+" => Augmented,
            "sus2" => Sus2,
            "sus4" | "sus" => Sus4,
            "7" | "dom7" => Dominant7,
            "maj7" | "M7" | "Δ7" | "Δ" | "ma7" => Major7,
            "m7" | "min7" | "-7" | "mi7" => Minor7,
            "m7b5" | "ø" | "ø7" | "min7b5" | "-7b5" => HalfDiminished7,
            "dim7" | "°7" | "o7" => Diminished7,
            "6" | "maj6" => Major6,
            "m6" | "min6" | "-6" => Minor6,
            "7sus4" | "7sus" => Dominant7Sus4,
            "mMaj7" | "mmaj7" | "m(maj7)" | "minmaj7" => MinorMajor7,
            _ => return None,
        };
        Some(quality)
    }

    fn from_harte(shorthand: &str) -> Option<ChordQuality> {
        ChordQuality::ALL
            .into_iter()
            .find(|q| q.harte() == shorthand)
            .or(match shorthand {
                "" => Some(ChordQuality::Major),
                "7sus4" => Some(ChordQuality::Dominant7Sus4),
                _ => None,
            })
    }
}

/// A chord symbol such as `Am7` or `F/A`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ChordSymbol {
    pub root: PitchClass,
    pub quality: ChordQuality,
    /// The bass note of a slash chord, when it differs from the root.
    pub bass: Option<PitchClass>,
}

impl ChordSymbol {
    pub fn new(root: PitchClass, quality: ChordQuality) -> Self {
        ChordSymbol {
            root,
            quality,
            bass: None,
        }
    }

    /// The same chord over another bass note (`None` or the root itself means root position).
    pub fn with_bass(self, bass: Option<PitchClass>) -> Self {
        ChordSymbol {
            bass: bass.filter(|&b| b != self.root),
            ..self
        }
    }

    /// The chord's pitch classes, root first (the bass is added first when it is not a chord tone).
    pub fn pitch_classes(self) -> Vec<PitchClass> {
        let mut tones: Vec<PitchClass> = self
            .quality
            .intervals()
            .iter()
            .map(|&i| self.root.transpose(i as i32))
            .collect();
        if let Some(bass) = self.bass.filter(|b| !tones.contains(b)) {
            tones.insert(0, bass);
        }
        tones
    }

    /// Whether a pitch class is one of the chord's notes.
    pub fn contains(self, pc: PitchClass) -> bool {
        self.pitch_classes().contains(&pc)
    }

    /// The lowest note: the slash bass, or the root.
    pub fn bass_note(self) -> PitchClass {
        self.bass.unwrap_or(self.root)
    }

    pub fn transpose(self, semitones: i32) -> Self {
        ChordSymbol {
            root: self.root.transpose(semitones),
            quality: self.quality,
            bass: self.bass.map(|b| b.transpose(semitones)),
        }
    }

    /// Writes the symbol the way musicians do, with the given spelling.
    pub fn name(self, spelling: Spelling) -> String {
        let mut out = format!("{}{}", self.root.name(spelling), self.quality.suffix());
        if let Some(bass) = self.bass {
            out.push('/');
            out.push_str(bass.name(spelling));
        }
        out
    }

    /// The Harte label, e.g. `E:min7`, `C:maj/3`.
    pub fn harte(self) -> String {
        let mut out = format!(
            "{}:{}",
            self.root.name(Spelling::Sharps),
            self.quality.harte()
        );
        if let Some(bass) = self.bass {
            out.push('/');
            out.push_str(HARTE_DEGREES[self.root.interval_to(bass) as usize]);
        }
        out
    }

    /// Parses a Harte label. `N` (no chord) gives `Ok(None)`.
    pub fn parse_harte(label: &str) -> Result<Option<ChordSymbol>, MusicError> {
        let label = label.trim();
        if label == "N" || label == "X" {
            return Ok(None);
        }
        let bad = || MusicError::Parse(format!("`{label}` is not a Harte chord label"));
        let (root_text, rest) = label.split_once(':').unwrap_or((label, "maj"));
        let root: PitchClass = root_text.parse().map_err(|_| bad())?;
        let (shorthand, bass_degree) = match rest.split_once('/') {
            Some((q, b)) => (q, Some(b)),
            None => (rest, None),
        };
        let quality = ChordQuality::from_harte(shorthand).ok_or_else(bad)?;
        let bass = match bass_degree {
            Some(degree) => Some(root.transpose(parse_degree(degree).ok_or_else(bad)? as i32)),
            None => None,
        };
        Ok(Some(ChordSymbol::new(root, quality).with_bass(bass)))
    }
}

const HARTE_DEGREES: [&str; 12] = [
    "1", "b2", "2", "b3", "3", "4", "b5", "5", "b6", "6", "b7", "7",
];

/// Semitones of a Harte scale degree such as `3`, `b7`, `#5`, `9`.
fn parse_degree(text: &str) -> Option<u8> {
    let digits = text.trim_start_matches(['b', '#']);
    let accidental = text.len() - digits.len();
    let shift: i32 = if text.starts_with('b') {
        -(accidental as i32)
    } else {
        accidental as i32
    };
    let degree: usize = digits.parse().ok()?;
    if degree == 0 || degree > 15 {
        return None;
    }
    const MAJOR: [i32; 7] = [0, 2, 4, 5, 7, 9, 11];
    Some((MAJOR[(degree - 1) % 7] + shift).rem_euclid(12) as u8)
}

impl fmt::Display for ChordSymbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name(Spelling::Sharps))
    }
}

impl FromStr for ChordSymbol {
    type Err = MusicError;
    /// Parses what musicians write: `C`, `Am7`, `F/A`, `Bdim`, `Gsus4`, `Bbmaj7`, `F#m7b5`.
    /// A text containing `:` is read as a Harte label.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let text = s.trim();
        if text.contains(':') {
            return ChordSymbol::parse_harte(text)?
                .ok_or_else(|| MusicError::Parse("`N` means no chord".into()));
        }
        let (root, used) = PitchClass::parse_prefix(text)?;
        let rest = &text[used..];
        let (suffix, bass) = match rest.rsplit_once('/') {
            Some((q, b)) => (q, Some(b.parse::<PitchClass>()?)),
            None => (rest, None),
        };
        let quality = ChordQuality::from_suffix(suffix)
            .ok_or_else(|| MusicError::Parse(format!("`{s}` is not a chord symbol I know")))?;
        Ok(ChordSymbol::new(root, quality).with_bass(bass))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chord(s: &str) -> ChordSymbol {
        s.parse().unwrap()
    }

    #[test]
    fn musician_symbols_round_trip() {
        for text in [
            "C", "Am7", "F/A", "Bdim", "Gsus4", "Csus2", "Caug", "G7", "Fmaj7", "Bm7b5", "C#dim7",
            "C6", "Am6", "D7sus4", "AmMaj7", "C/G", "G#m",
        ] {
            assert_eq!(chord(text).to_string(), text, "{text}");
        }
        assert_eq!(chord("Bbmaj7").name(Spelling::Flats), "Bbmaj7");
        assert_eq!(chord("Cmin7"), chord("Cm7"));
        assert_eq!(chord("C/C"), chord("C"));
        assert!("Cfoo".parse::<ChordSymbol>().is_err());
        assert!("H7".parse::<ChordSymbol>().is_err());
    }

    #[test]
    fn harte_labels_round_trip_and_read_bass_degrees() {
        for label in [
            "B:maj",
            "E:min7",
            "C:maj/3",
            "A:min/b3",
            "G:sus4(b7)",
            "D:hdim7",
            "F:maj7/7",
            "C:7/b7",
        ] {
            let parsed = ChordSymbol::parse_harte(label).unwrap().unwrap();
            assert_eq!(parsed.harte(), label);
        }
        assert_eq!(
            ChordSymbol::parse_harte("C:maj/3").unwrap().unwrap(),
            chord("C/E")
        );
        assert_eq!(
            ChordSymbol::parse_harte("A:min/b3").unwrap().unwrap(),
            chord("Am/C")
        );
        assert_eq!(
            ChordSymbol::parse_harte("Db:min7/b7").unwrap().unwrap(),
            chord("C#m7/B")
        );
        assert_eq!(ChordSymbol::parse_harte("N").unwrap(), None);
        assert!(ChordSymbol::parse_harte("C:weird").is_err());
    }

    #[test]
    fn pitch_classes_and_families() {
        let tones: Vec<String> = chord("F/A")
            .pitch_classes()
            .iter()
            .map(|p| p.to_string())
            .collect();
        assert_eq!(tones, ["F", "A", "C"]);
        let tones: Vec<String> = chord("C/D")
            .pitch_classes()
            .iter()
            .map(|p| p.to_string())
            .collect();
        assert_eq!(tones, ["D", "C", "E", "G"]);
        assert_eq!(chord("G7").quality.majmin(), Some(MajMin::Major));
        assert_eq!(chord("Em7").quality.majmin(), Some(MajMin::Minor));
        assert_eq!(chord("Gsus4").quality.majmin(), None);
        assert_eq!(chord("Am").transpose(3), chord("Cm"));
    }
}
