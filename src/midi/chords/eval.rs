//! Scoring recognised chords against annotations, beat by beat, the way MIREX does.
//!
//! Reference annotations are Harte-labelled time spans (`start_s end_s label`, as in POP909's
//! `chord_midi.txt`); the estimate is sampled at the same instants (usually the annotated beats).
//! Three figures per beat:
//! - **majmin** (MIREX / mir_eval `majmin`): root and major/minor family agree. Reference beats
//!   whose chord is neither major nor minor (dim, aug, sus, m7b5, dim7, 7sus4) are left out; `N`
//!   reference beats are kept and count as correct only when the estimate is also N.C., exactly as
//!   mir_eval does. An estimated dim/aug/sus chord never matches a major or minor reference.
//! - **root+quality**: root and full quality agree (N vs N correct), over every beat.
//! - **with bass**: root+quality and the bass note (slash chord) agree, over every beat.

use crate::midi::grid::BarSpan;
use crate::music::{ChordChange, ChordSymbol, MusicError};

/// A reference chord over a stretch of time, in seconds. `None` is "no chord" (`N`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChordSpan {
    pub start: f64,
    pub end: f64,
    pub chord: Option<ChordSymbol>,
}

/// Reads `start_s end_s label` lines (blank lines skipped). Errors name the line.
pub fn parse_chord_spans(text: &str) -> Result<Vec<ChordSpan>, MusicError> {
    let mut spans = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.is_empty() {
            continue;
        }
        let at_line = |why: String| MusicError::Parse(format!("line {}: {why}", number + 1));
        let [start, end, label] = fields[..] else {
            return Err(at_line(format!(
                "expected `start end label`, found `{line}`"
            )));
        };
        spans.push(ChordSpan {
            start: parse_seconds(start).map_err(&at_line)?,
            end: parse_seconds(end).map_err(&at_line)?,
            chord: ChordSymbol::parse_harte(label).map_err(|e| at_line(e.to_string()))?,
        });
    }
    Ok(spans)
}

/// Reads the first number of every non-blank line: beat times in seconds (`beat_midi.txt`).
pub fn parse_beat_times(text: &str) -> Result<Vec<f64>, MusicError> {
    text.lines()
        .enumerate()
        .filter_map(|(number, line)| line.split_whitespace().next().map(|f| (number, f)))
        .map(|(number, field)| {
            parse_seconds(field)
                .map_err(|why| MusicError::Parse(format!("line {}: {why}", number + 1)))
        })
        .collect()
}

fn parse_seconds(field: &str) -> Result<f64, String> {
    field
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite())
        .ok_or_else(|| format!("`{field}` is not a time in seconds"))
}

/// How far apart two annotated times may be and still be the same instant: the annotation files
/// write beat times and chord boundaries with rounding noise (`15.083801999999999` vs `15.083802`).
pub const TIME_TOLERANCE: f64 = 1e-6;

/// The reference chord sounding at `seconds` (`None` outside every span or in an `N` span). A span
/// starting within [`TIME_TOLERANCE`] after `seconds` counts as started.
pub fn reference_at(spans: &[ChordSpan], seconds: f64) -> Option<ChordSymbol> {
    let seconds = seconds + TIME_TOLERANCE;
    let after = spans.partition_point(|s| s.start <= seconds);
    spans[..after]
        .iter()
        .rev()
        .find(|s| s.end > seconds)
        .and_then(|s| s.chord)
}

/// Recognised chord changes laid out on the absolute grid, for looking up what sounds when.
#[derive(Debug, Clone, Default)]
pub struct ChordTimeline {
    changes: Vec<(u32, Option<ChordSymbol>)>,
    end: u32,
}

impl ChordTimeline {
    /// From per-bar changes (positions relative to each bar, as `recognize_chords` returns them).
    pub fn new(changes: &[Vec<ChordChange>], bars: &[BarSpan]) -> Self {
        let mut flat: Vec<(u32, Option<ChordSymbol>)> = bars
            .iter()
            .zip(changes)
            .flat_map(|(bar, changes)| changes.iter().map(|c| (bar.start + c.position, c.chord)))
            .collect();
        flat.sort_by_key(|&(tick, _)| tick);
        ChordTimeline {
            changes: flat,
            end: bars.iter().map(BarSpan::end).max().unwrap_or(0),
        }
    }

    /// The chord sounding at grid tick `tick`; `None` before the first change and after the last bar.
    pub fn at(&self, tick: u32) -> Option<ChordSymbol> {
        if tick >= self.end {
            return None;
        }
        let after = self.changes.partition_point(|&(t, _)| t <= tick);
        after.checked_sub(1).and_then(|i| self.changes[i].1)
    }
}

/// Beat counts for the three comparisons; add songs together with [`ChordScore::merge`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ChordScore {
    /// Beats scored at majmin level (reference major, minor or N) and how many were right.
    pub majmin_scored: usize,
    pub majmin_correct: usize,
    /// Every beat.
    pub beats: usize,
    pub root_quality_correct: usize,
    pub with_bass_correct: usize,
}

impl ChordScore {
    /// Scores one beat.
    pub fn add(&mut self, reference: Option<ChordSymbol>, estimate: Option<ChordSymbol>) {
        self.beats += 1;
        let same_root = |r: ChordSymbol, e: ChordSymbol| r.root == e.root;
        let full = match (reference, estimate) {
            (None, None) => true,
            (Some(r), Some(e)) => same_root(r, e) && r.quality == e.quality,
            _ => false,
        };
        self.root_quality_correct += full as usize;
        let bass_too = full
            && match (reference, estimate) {
                (Some(r), Some(e)) => r.bass_note() == e.bass_note(),
                _ => true,
            };
        self.with_bass_correct += bass_too as usize;
        match reference {
            None => {
                self.majmin_scored += 1;
                self.majmin_correct += estimate.is_none() as usize;
            }
            Some(r) => {
                if let Some(family) = r.quality.majmin() {
                    self.majmin_scored += 1;
                    let right = estimate
                        .is_some_and(|e| same_root(r, e) && e.quality.majmin() == Some(family));
                    self.majmin_correct += right as usize;
                }
            }
        }
    }

    pub fn merge(&mut self, other: &ChordScore) {
        self.majmin_scored += other.majmin_scored;
        self.majmin_correct += other.majmin_correct;
        self.beats += other.beats;
        self.root_quality_correct += other.root_quality_correct;
        self.with_bass_correct += other.with_bass_correct;
    }

    pub fn majmin(&self) -> f64 {
        ratio(self.majmin_correct, self.majmin_scored)
    }

    pub fn root_quality(&self) -> f64 {
        ratio(self.root_quality_correct, self.beats)
    }

    pub fn with_bass(&self) -> f64 {
        ratio(self.with_bass_correct, self.beats)
    }
}

fn ratio(correct: usize, total: usize) -> f64 {
    if total == 0 {
        0.0
    } else {
        correct as f64 / total as f64
    }
}

/// Scores a song: at every beat time, the reference chord against `estimate_at(seconds)`.
pub fn score_beats(
    reference: &[ChordSpan],
    beats: &[f64],
    estimate_at: impl Fn(f64) -> Option<ChordSymbol>,
) -> ChordScore {
    let mut score = ChordScore::default();
    for &beat in beats {
        score.add(reference_at(reference, beat), estimate_at(beat));
    }
    score
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::music::Meter;

    fn chord(text: &str) -> Option<ChordSymbol> {
        Some(text.parse().unwrap())
    }

    #[test]
    fn annotations_parse_and_bad_lines_are_named() {
        let spans = parse_chord_spans("0.0 1.5 N\n1.5 3.0 C:maj/3\n\n3.0 4.0 A:min7\n").unwrap();
        assert_eq!(spans.len(), 3);
        assert_eq!(spans[1].chord, chord("C/E"));
        assert_eq!(reference_at(&spans, 0.5), None);
        assert_eq!(reference_at(&spans, 2.0), chord("C/E"));
        assert_eq!(reference_at(&spans, 3.5), chord("Am7"));
        assert_eq!(reference_at(&spans, 9.0), None);
        let error = parse_chord_spans("0 1 C:maj\n1 x C:maj\n").unwrap_err();
        assert!(error.to_string().starts_with("line 2:"), "{error}");
        assert!(parse_chord_spans("0 1 C:wat\n").is_err());
        assert_eq!(
            parse_beat_times("0.5 1 1\n1.0 0 0\n").unwrap(),
            vec![0.5, 1.0]
        );
        assert!(parse_beat_times("abc\n").is_err());
    }

    #[test]
    fn scoring_follows_mir_eval_majmin() {
        let mut score = ChordScore::default();
        score.add(chord("C"), chord("Cmaj7")); // majmin right, full wrong
        score.add(chord("Am7"), chord("Am7/G")); // right, full right, bass wrong
        score.add(chord("Am"), chord("Adim")); // wrong everywhere
        score.add(chord("Gsus4"), chord("G")); // not scored at majmin, full wrong
        score.add(None, None); // N vs N: right everywhere
        score.add(None, chord("C")); // wrong
        assert_eq!(score.majmin_scored, 5);
        assert_eq!(score.majmin_correct, 3);
        assert_eq!(score.beats, 6);
        assert_eq!(score.root_quality_correct, 2);
        assert_eq!(score.with_bass_correct, 1);
    }

    #[test]
    fn the_timeline_carries_chords_across_bars() {
        let bars: Vec<BarSpan> = (0..3)
            .map(|i| BarSpan {
                start: i * 48,
                length: 48,
                meter: Meter::FOUR_FOUR,
            })
            .collect();
        let changes = vec![
            vec![ChordChange {
                position: 12,
                chord: chord("F"),
            }],
            vec![],
            vec![ChordChange {
                position: 24,
                chord: chord("G"),
            }],
        ];
        let timeline = ChordTimeline::new(&changes, &bars);
        assert_eq!(timeline.at(0), None);
        assert_eq!(timeline.at(12), chord("F"));
        assert_eq!(timeline.at(100), chord("F"));
        assert_eq!(timeline.at(120), chord("G"));
        assert_eq!(timeline.at(144), None);
    }
}
