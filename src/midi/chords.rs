//! Chord recognition: harmony notes (and the melody, lightly) → chord symbols per bar.
//!
//! The song is cut into frames of half a beat. Each frame gets a pitch-class profile (how long each
//! pitch class sounds in it: harmony at full weight, melody at [`Tuning::melody_weight`]) and its
//! bass (the lowest harmony note that really sounds in it). Every chord (12 roots × every
//! [`ChordQuality`]) and "no chord" score each frame by a small probabilistic model: chord tones
//! are likely, other pitch classes unlikely, the bass is most likely the root, less so another
//! chord tone. A Viterbi pass then finds the best chord sequence, where every change costs a
//! penalty that is smallest on a bar line, larger on the half bar, larger again on other beats
//! and largest between beats: a chord is only changed mid-bar when the notes clearly say so, and
//! a passing melody note never makes a chord flicker. Finally each chord segment gets a slash bass
//! when its most common bass note is a chord tone other than the root.
//!
//! [`eval`] scores recognised chords against annotations (POP909's `chord_midi.txt`).

pub mod eval;

use super::grid::{BarSpan, GridNote};
use crate::music::{ChordChange, ChordQuality, ChordSymbol, PitchClass};

/// The model's weights. Chosen by measuring on POP909 (see `tests/chords_pop909.rs` and the
/// README); each is a musically plain knob, not a per-dataset trick.
#[derive(Debug, Clone, Copy)]
pub struct Tuning {
    /// How much a melody note counts against a harmony note of the same length.
    pub melody_weight: f64,
    /// Share of a frame's profile a chord expects on its own tones (the rest is passing notes).
    pub chord_tone_share: f64,
    /// How strongly the bass votes, relative to the whole profile of the frame.
    pub bass_weight: f64,
    /// Probability that the bass is the root, when it is a chord tone; the other chord tones share
    /// [`Tuning::bass_other_tone`], non-chord tones the rest.
    pub bass_root: f64,
    pub bass_other_tone: f64,
    /// Cost of a chord change on a bar line, a half bar, another beat, and between beats.
    pub change_on_bar: f64,
    pub change_on_half_bar: f64,
    pub change_on_beat: f64,
    pub change_off_beat: f64,
    /// Log prior, per frame, of a quality relative to a major or minor triad: sevenths and
    /// sixths, suspended chords (sus2, sus4, 7sus4), and the rest (dim, aug, m7b5, dim7, mMaj7).
    pub seventh_prior: f64,
    pub suspended_prior: f64,
    pub rare_prior: f64,
    /// Cost of holding a chord through a silent frame (N.C. costs nothing there).
    pub silence_cost: f64,
}

impl Default for Tuning {
    /// Measured on all POP909 songs (beat-level majmin, see the README): lower change costs than
    /// these make chords flicker more than the annotations change, higher ones miss real changes;
    /// a heavier bass vote or melody made it worse; suspended, diminished and augmented chords
    /// need a clear lead before they beat a plain triad.
    fn default() -> Self {
        Tuning {
            melody_weight: 0.15,
            chord_tone_share: 0.85,
            bass_weight: 0.6,
            bass_root: 0.6,
            bass_other_tone: 0.3,
            change_on_bar: 0.15,
            change_on_half_bar: 0.4,
            change_on_beat: 0.8,
            change_off_beat: 1.5,
            seventh_prior: -0.3,
            suspended_prior: -0.8,
            rare_prior: -0.8,
            silence_cost: 0.5,
        }
    }
}

/// Recognises the chords of each bar. Positions in the returned changes are relative to the bar start.
pub fn recognize_chords(
    harmony: &[GridNote],
    melody: &[GridNote],
    bars: &[BarSpan],
) -> Vec<Vec<ChordChange>> {
    recognize_chords_with(harmony, melody, bars, &Tuning::default())
}

/// [`recognize_chords`] with explicit model weights (for tuning and experiments).
pub fn recognize_chords_with(
    harmony: &[GridNote],
    melody: &[GridNote],
    bars: &[BarSpan],
    tuning: &Tuning,
) -> Vec<Vec<ChordChange>> {
    let frames = frames(bars);
    let observations = observe(harmony, melody, &frames, tuning);
    let models = ChordModel::all(tuning);
    let path = viterbi(&frames, &observations, &models, tuning);
    let symbols = name_segments(&path, &observations, &models);
    changes_per_bar(bars, &frames, &symbols)
}

/// How strong a metrical position is: where a chord change is least surprising.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Strength {
    Bar,
    HalfBar,
    Beat,
    OffBeat,
}

/// A slice of the song the chords are decided on.
#[derive(Debug, Clone, Copy)]
struct Frame {
    start: u32,
    end: u32,
    bar: usize,
    strength: Strength,
}

/// Half-beat frames over every bar (a whole beat when it does not halve on the grid).
fn frames(bars: &[BarSpan]) -> Vec<Frame> {
    let mut out = Vec::new();
    for (index, bar) in bars.iter().enumerate() {
        let beat = bar.meter.beat_ticks().max(1);
        let step = if beat % 2 == 0 { beat / 2 } else { beat };
        let half_bar = bar.meter.bar_ticks() / 2;
        let half_bar_is_beat = bar.meter.beats_per_bar() % 2 == 0;
        let mut position = 0;
        while position < bar.length {
            let strength = if position == 0 {
                Strength::Bar
            } else if half_bar_is_beat && position == half_bar {
                Strength::HalfBar
            } else if position % beat == 0 {
                Strength::Beat
            } else {
                Strength::OffBeat
            };
            out.push(Frame {
                start: bar.start + position,
                end: bar.start + (position + step).min(bar.length),
                bar: index,
                strength,
            });
            position += step;
        }
    }
    out
}

/// What sounds in one frame.
#[derive(Debug, Clone, Copy, Default)]
struct Observation {
    /// Pitch-class weights, summing to 1 (all zero when the frame is silent).
    profile: [f64; 12],
    /// The lowest harmony pitch class that sounds through a good part of the frame.
    bass: Option<u8>,
}

impl Observation {
    fn is_silent(&self) -> bool {
        self.profile.iter().all(|&w| w == 0.0)
    }
}

/// The frames a note overlaps, as a range of frame indices (frames are sorted and disjoint).
fn overlapped(frames: &[Frame], note: &GridNote) -> std::ops::Range<usize> {
    let first = frames.partition_point(|f| f.end <= note.start);
    let last = frames.partition_point(|f| f.start < note.end);
    first..last.max(first)
}

fn overlap(frame: &Frame, note: &GridNote) -> u32 {
    note.end
        .min(frame.end)
        .saturating_sub(note.start.max(frame.start))
}

/// Profiles and basses of all frames, in one pass over the notes.
fn observe(
    harmony: &[GridNote],
    melody: &[GridNote],
    frames: &[Frame],
    tuning: &Tuning,
) -> Vec<Observation> {
    let mut profiles = vec![[0.0f64; 12]; frames.len()];
    let mut lowest: Vec<Option<u8>> = vec![None; frames.len()];
    for (notes, weight) in [(harmony, 1.0), (melody, tuning.melody_weight)] {
        for note in notes {
            for index in overlapped(frames, note) {
                let frame = &frames[index];
                let shared = overlap(frame, note);
                profiles[index][(note.pitch % 12) as usize] += shared as f64 * weight;
                // A bass note must sound through half the frame or start in it.
                let counts_as_bass = 2 * shared >= frame.end - frame.start
                    || (note.start >= frame.start && note.start < frame.end);
                if weight == 1.0 && counts_as_bass && lowest[index].is_none_or(|p| note.pitch < p) {
                    lowest[index] = Some(note.pitch);
                }
            }
        }
    }
    profiles
        .into_iter()
        .zip(lowest)
        .map(|(mut profile, low)| {
            let total: f64 = profile.iter().sum();
            if total > 0.0 {
                profile.iter_mut().for_each(|w| *w /= total);
            }
            Observation {
                profile,
                bass: low.map(|p| p % 12),
            }
        })
        .collect()
}

/// One chord hypothesis with its precomputed log-probabilities, by pitch class (the template's
/// intervals above the root turned to the pitch classes of this root, so scoring a frame needs
/// no index arithmetic).
#[derive(Debug, Clone)]
struct ChordModel {
    chord: ChordSymbol,
    tone_log: [f64; 12],
    bass_log: [f64; 12],
    prior: f64,
}

impl ChordModel {
    fn all(tuning: &Tuning) -> Vec<ChordModel> {
        let mut out = Vec::with_capacity(12 * ChordQuality::ALL.len());
        for quality in ChordQuality::ALL {
            let template = Self::template(quality, tuning);
            for root in 0..12 {
                out.push(template.on_root(root));
            }
        }
        out
    }

    /// The model of a quality on root C.
    fn template(quality: ChordQuality, tuning: &Tuning) -> ChordModel {
        let intervals = quality.intervals();
        let tones = intervals.len() as f64;
        let mut tone_log = [((1.0 - tuning.chord_tone_share) / (12.0 - tones)).ln(); 12];
        let mut bass_log =
            [((1.0 - tuning.bass_root - tuning.bass_other_tone) / (12.0 - tones)).ln(); 12];
        for (k, &i) in intervals.iter().enumerate() {
            tone_log[i as usize] = (tuning.chord_tone_share / tones).ln();
            bass_log[i as usize] = if k == 0 {
                tuning.bass_root.ln()
            } else {
                (tuning.bass_other_tone / (tones - 1.0)).ln()
            };
        }
        use ChordQuality::*;
        let prior = match quality {
            Major | Minor => 0.0,
            Dominant7 | Major7 | Minor7 | Major6 | Minor6 => tuning.seventh_prior,
            Sus2 | Sus4 | Dominant7Sus4 => tuning.suspended_prior,
            _ => tuning.rare_prior,
        };
        ChordModel {
            chord: ChordSymbol::new(PitchClass::new(0), quality),
            tone_log,
            bass_log,
            prior,
        }
    }

    /// The template (on C) moved to `root`: the weights of interval `i` go to pitch class `root + i`.
    fn on_root(&self, root: u8) -> ChordModel {
        let by_pitch_class = |by_interval: &[f64; 12]| {
            std::array::from_fn(|pc| by_interval[(pc + 12 - root as usize) % 12])
        };
        ChordModel {
            chord: ChordSymbol::new(PitchClass::new(root as i32), self.chord.quality),
            tone_log: by_pitch_class(&self.tone_log),
            bass_log: by_pitch_class(&self.bass_log),
            prior: self.prior,
        }
    }

    /// Log-likelihood of one frame (without the silence case).
    fn score(&self, observation: &Observation, tuning: &Tuning) -> f64 {
        let tones: f64 = (0..12)
            .map(|pc| observation.profile[pc] * self.tone_log[pc])
            .sum();
        let bass = observation
            .bass
            .map_or(0.0, |b| tuning.bass_weight * self.bass_log[b as usize]);
        tones + bass + self.prior
    }
}

/// The state index of "no chord" (after all chord models).
fn no_chord(models: &[ChordModel]) -> usize {
    models.len()
}

/// The best state sequence (an index into `models`, or [`no_chord`]) for all frames.
fn viterbi(
    frames: &[Frame],
    observations: &[Observation],
    models: &[ChordModel],
    tuning: &Tuning,
) -> Vec<usize> {
    let states = models.len() + 1;
    let none = no_chord(models);
    let mut score = vec![0.0f64; states];
    let mut back: Vec<Vec<u32>> = Vec::with_capacity(frames.len());
    let mut emission = vec![0.0f64; states];
    for (t, (frame, observation)) in frames.iter().zip(observations).enumerate() {
        if observation.is_silent() {
            emission.iter_mut().for_each(|e| *e = -tuning.silence_cost);
            emission[none] = 0.0;
        } else {
            for (e, model) in emission.iter_mut().zip(models) {
                *e = model.score(observation, tuning);
            }
            emission[none] = -1e3;
        }
        if t == 0 {
            score.copy_from_slice(&emission);
            back.push((0..states as u32).collect());
            continue;
        }
        let penalty = match frame.strength {
            Strength::Bar => tuning.change_on_bar,
            Strength::HalfBar => tuning.change_on_half_bar,
            Strength::Beat => tuning.change_on_beat,
            Strength::OffBeat => tuning.change_off_beat,
        };
        let (best, best_score) =
            score
                .iter()
                .copied()
                .enumerate()
                .fold(
                    (0, f64::NEG_INFINITY),
                    |a, (i, s)| if s > a.1 { (i, s) } else { a },
                );
        let mut from = Vec::with_capacity(states);
        for (s, e) in score.iter_mut().zip(&emission) {
            let switched = best_score - penalty;
            if *s >= switched {
                from.push(from.len() as u32);
                *s += e;
            } else {
                from.push(best as u32);
                *s = switched + e;
            }
        }
        back.push(from);
    }
    let mut state = score
        .iter()
        .copied()
        .enumerate()
        .fold(
            (0, f64::NEG_INFINITY),
            |a, (i, s)| if s > a.1 { (i, s) } else { a },
        )
        .0;
    let mut path = vec![0; frames.len()];
    for t in (0..frames.len()).rev() {
        path[t] = state;
        state = back[t][state] as usize;
    }
    path
}

/// Turns the state path into chord symbols per frame, adding a slash bass per segment: the
/// segment's most frequent bass, when it is a chord tone other than the root.
fn name_segments(
    path: &[usize],
    observations: &[Observation],
    models: &[ChordModel],
) -> Vec<Option<ChordSymbol>> {
    let mut out = Vec::with_capacity(path.len());
    let mut start = 0;
    while start < path.len() {
        let state = path[start];
        let end = start + path[start..].iter().take_while(|&&s| s == state).count();
        let chord = models.get(state).map(|model| {
            let mut votes = [0u32; 12];
            for observation in &observations[start..end] {
                if let Some(b) = observation.bass {
                    votes[b as usize] += 1;
                }
            }
            let bass =
                (0..12u8).max_by_key(|&pc| (votes[pc as usize], pc == model.chord.root.index()));
            let bass = bass
                .filter(|&pc| votes[pc as usize] > 0)
                .map(|pc| PitchClass::new(pc as i32))
                .filter(|&pc| model.chord.contains(pc));
            model.chord.with_bass(bass)
        });
        out.extend(std::iter::repeat_n(chord, end - start));
        start = end;
    }
    out
}

/// Per bar, the changes: one at the bar start (even when the chord carries over, so every bar
/// reads on its own), then one wherever the chord differs from the frame before.
fn changes_per_bar(
    bars: &[BarSpan],
    frames: &[Frame],
    symbols: &[Option<ChordSymbol>],
) -> Vec<Vec<ChordChange>> {
    let mut out: Vec<Vec<ChordChange>> = vec![Vec::new(); bars.len()];
    for (index, (frame, &chord)) in frames.iter().zip(symbols).enumerate() {
        let bar_start = bars[frame.bar].start;
        let is_new = index == 0 || frame.strength == Strength::Bar || symbols[index - 1] != chord;
        if is_new {
            out[frame.bar].push(ChordChange {
                position: frame.start - bar_start,
                chord,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::music::Meter;

    const BAR: u32 = 48;

    fn bars(count: u32) -> Vec<BarSpan> {
        (0..count)
            .map(|i| BarSpan {
                start: i * BAR,
                length: BAR,
                meter: Meter::FOUR_FOUR,
            })
            .collect()
    }

    fn note(pitch: u8, start: u32, end: u32) -> GridNote {
        GridNote {
            start,
            end,
            pitch,
            velocity: 80,
        }
    }

    /// A block chord of the given pitches held over `[start, end)`.
    fn block(pitches: &[u8], start: u32, end: u32) -> Vec<GridNote> {
        pitches.iter().map(|&p| note(p, start, end)).collect()
    }

    fn chord(text: &str) -> Option<ChordSymbol> {
        Some(text.parse().unwrap())
    }

    #[test]
    fn a_c_major_triad_is_c() {
        let harmony = block(&[48, 52, 55], 0, BAR);
        let changes = recognize_chords(&harmony, &[], &bars(1));
        assert_eq!(
            changes,
            vec![vec![ChordChange {
                position: 0,
                chord: chord("C")
            }]]
        );
    }

    #[test]
    fn the_bass_decides_between_am7_and_c6() {
        let over_a = block(&[45, 60, 64, 67], 0, BAR);
        let over_c = block(&[48, 57, 64, 67], 0, BAR);
        assert_eq!(
            recognize_chords(&over_a, &[], &bars(1))[0][0].chord,
            chord("Am7")
        );
        assert_eq!(
            recognize_chords(&over_c, &[], &bars(1))[0][0].chord,
            chord("C6")
        );
    }

    #[test]
    fn an_f_major_triad_over_a_is_f_slash_a() {
        let harmony = block(&[45, 53, 60, 65], 0, BAR);
        assert_eq!(
            recognize_chords(&harmony, &[], &bars(1))[0][0].chord,
            chord("F/A")
        );
    }

    #[test]
    fn silence_is_no_chord() {
        let changes = recognize_chords(&[], &[], &bars(2));
        assert_eq!(changes.len(), 2);
        for bar in changes {
            assert_eq!(
                bar,
                vec![ChordChange {
                    position: 0,
                    chord: None
                }]
            );
        }
    }

    #[test]
    fn a_held_chord_does_not_flicker_under_passing_melody_notes() {
        // G major held for two bars; the melody runs stepwise through non-chord tones.
        let harmony = block(&[43, 59, 62], 0, 2 * BAR);
        let melody: Vec<GridNote> = [
            67, 69, 71, 72, 74, 72, 71, 69, 67, 66, 64, 66, 67, 69, 71, 72,
        ]
        .iter()
        .enumerate()
        .map(|(i, &p)| note(p, i as u32 * 6, i as u32 * 6 + 6))
        .collect();
        let changes = recognize_chords(&harmony, &melody, &bars(2));
        for bar in &changes {
            assert_eq!(bar.len(), 1, "{changes:?}");
            assert_eq!(bar[0].chord, chord("G"));
        }
    }

    #[test]
    fn a_change_on_the_half_bar_is_found() {
        let mut harmony = block(&[48, 52, 55], 0, 24);
        harmony.extend(block(&[43, 50, 55, 59], 24, BAR));
        let changes = recognize_chords(&harmony, &[], &bars(1));
        assert_eq!(
            changes[0],
            vec![
                ChordChange {
                    position: 0,
                    chord: chord("C")
                },
                ChordChange {
                    position: 24,
                    chord: chord("G")
                }
            ]
        );
    }
}
