//! Phrase memory: a decoding-time bias that lets a melody come back 4 and 8 bars later.
//!
//! Pop melodies return: a phrase of four bars is answered by a similar one four (or eight) bars
//! on. A network that samples one token at a time seldom does this on its own, because nothing
//! in sampling looks back at the bar four bars ago. [`PhraseMemory`] follows the sequence as it
//! grows, remembers every bar's melody notes (onset, pitch, duration) and chord changes
//! (position, chord) and, while a bar is being written, adds a log-probability bonus to the
//! tokens that would repeat a *reference* bar at the same point:
//! - a **position** token: the reference's next event (note onset or chord change) after the
//!   current position, or the token that closes the bar when the reference has no further one;
//! - a **chord** token at a position where the reference changes chord: that chord, so a
//!   returning melody comes back over its harmony;
//! - a **pitch** token at a position where the reference has a note: that note's pitch
//!   (or, for a rhythm-only reference, every pitch: "a note starts here");
//! - a **duration** token after a pitch at an onset where the reference has a note: its duration.
//!
//! The references of a bar are the bars [`RETURN_DISTANCES`] (4 and 8) before it. A reference in
//! the same section lends rhythm, pitches and chords; one in an earlier section (the verse, seen
//! from the chorus) lends the melody's rhythm only, at [`CROSS_SECTION_WEIGHT`] of the bonus, so
//! a chorus may echo the verse's rhythm but keeps its own notes, chords and register. Bonuses of
//! several references add up.
//!
//! The bonus is added after temperature scaling and before the top-p cut, only to tokens the
//! grammar allows, and it is a bonus, not a rule: the network's own preference still decides.
//! At strength 1 a matching token gets [`MAX_BONUS`] nats (about ×20 in odds); at strength 0 the
//! memory is off and sampling is exactly what it was without it. Everything depends only on the
//! tokens so far, so generation stays deterministic per seed.

use super::tokens::{Token, Vocab};

/// The bar distances a melody returns at.
pub const RETURN_DISTANCES: [usize; 2] = [4, 8];

/// The log-probability bonus (nats) at strength 1 for one matching reference.
pub const MAX_BONUS: f32 = 3.0;

/// The share of the bonus a reference in an earlier section gives (rhythm only).
pub const CROSS_SECTION_WEIGHT: f32 = 1.0;

/// One melody note of a bar: onset in the bar, pitch token id, duration token id.
#[derive(Debug, Clone, Copy, PartialEq)]
struct RememberedNote {
    onset: u32,
    pitch: u16,
    duration: u16,
}

/// A bar already written, as the memory keeps it.
#[derive(Debug, Clone, Default, PartialEq)]
struct RememberedBar {
    section: usize,
    notes: Vec<RememberedNote>,
    /// Chord changes: position in the bar and chord token id.
    chords: Vec<(u32, u16)>,
}

/// A bar the current one may echo, and how.
#[derive(Debug, Clone, Copy)]
struct Reference<'a> {
    bar: &'a RememberedBar,
    weight: f32,
    /// Whether pitches and chords are echoed too (same section), not only the rhythm.
    whole: bool,
}

/// Follows a token sequence and biases the next token towards the bars 4 and 8 bars back.
#[derive(Debug, Clone)]
pub struct PhraseMemory {
    bonus: f32,
    bars: Vec<RememberedBar>,
    section: usize,
    /// Position of the last `Pos` token in the current bar.
    position: Option<u32>,
    /// A pitch waiting for its duration: (onset, pitch id).
    pending: Option<(u32, u16)>,
    /// Whether the last token was a `Pickup` (its `Dur` is no note).
    after_pickup: bool,
    is_pitch: Vec<bool>,
    is_chord: Vec<bool>,
    is_bar_close: Vec<bool>,
    position_of: Vec<Option<u32>>,
}

impl PhraseMemory {
    /// A memory with `strength` in [0, 1] (values outside are clamped); `None` at strength 0,
    /// where sampling goes on without any bias.
    pub fn new(vocab: &Vocab, strength: f32) -> Option<PhraseMemory> {
        let strength = strength.clamp(0.0, 1.0);
        if strength <= 0.0 {
            return None;
        }
        let tokens = vocab.tokens();
        Some(PhraseMemory {
            bonus: strength * MAX_BONUS,
            bars: Vec::new(),
            section: 0,
            position: None,
            pending: None,
            after_pickup: false,
            is_pitch: tokens
                .iter()
                .map(|t| matches!(t, Token::Pitch(_)))
                .collect(),
            is_chord: tokens
                .iter()
                .map(|t| matches!(t, Token::Chord(..) | Token::NoChord))
                .collect(),
            is_bar_close: tokens
                .iter()
                .map(|t| matches!(t, Token::Bar | Token::Section(_) | Token::Eos))
                .collect(),
            position_of: tokens
                .iter()
                .map(|t| match t {
                    Token::Pos(p) => Some(u32::from(*p)),
                    _ => None,
                })
                .collect(),
        })
    }

    /// Moves on past `token` (`id` is its id).
    pub fn observe(&mut self, id: u16, token: Token) {
        match token {
            Token::Section(_) => {
                if !self.bars.is_empty() {
                    self.section += 1;
                }
                self.position = None;
            }
            Token::Bar => {
                self.bars.push(RememberedBar {
                    section: self.section,
                    ..RememberedBar::default()
                });
                self.position = None;
                self.pending = None;
            }
            Token::Pickup => self.after_pickup = true,
            Token::Pos(p) => self.position = Some(u32::from(p)),
            Token::Chord(..) | Token::NoChord => {
                if let Some(bar) = self.bars.last_mut() {
                    bar.chords.push((self.position.unwrap_or(0), id));
                }
            }
            Token::Pitch(_) => self.pending = Some((self.position.unwrap_or(0), id)),
            Token::Dur(_) => {
                if let (Some((onset, pitch)), Some(bar)) =
                    (self.pending.take(), self.bars.last_mut())
                    && !self.after_pickup
                {
                    bar.notes.push(RememberedNote {
                        onset,
                        pitch,
                        duration: id,
                    });
                }
                self.after_pickup = false;
            }
            _ => {}
        }
    }

    /// The bars the current bar may echo (at most one per return distance).
    fn references(&self) -> [Option<Reference<'_>>; RETURN_DISTANCES.len()] {
        let current = self.bars.len().checked_sub(1);
        RETURN_DISTANCES.map(|d| {
            let bar = &self.bars[current?.checked_sub(d)?];
            let same = bar.section == self.section;
            (!bar.notes.is_empty()).then_some(Reference {
                bar,
                weight: if same { 1.0 } else { CROSS_SECTION_WEIGHT },
                whole: same,
            })
        })
    }

    /// Adds log-probability bonuses (nats) for the `allowed` token ids to `out` (one entry per
    /// id, in the same order). Returns whether any is non-zero.
    pub fn bias(&self, allowed: &[u16], out: &mut [f32]) -> bool {
        let refs = self.references();
        let Some(current) = self.bars.last() else {
            return false;
        };
        let mut any = false;
        for r in refs.iter().flatten() {
            let bonus = self.bonus * r.weight;
            let target = |id: u16| self.matches(id, r, current);
            for (o, &id) in out.iter_mut().zip(allowed) {
                if target(id) {
                    *o += bonus;
                    any = true;
                }
            }
        }
        any
    }

    /// Whether choosing `id` now would follow the reference bar.
    fn matches(&self, id: u16, r: &Reference<'_>, current: &RememberedBar) -> bool {
        let i = id as usize;
        if let Some((onset, _)) = self.pending {
            // A duration for the note just started.
            return r
                .bar
                .notes
                .iter()
                .find(|n| n.onset == onset)
                .is_some_and(|n| n.duration == id);
        }
        let Some(here) = self.position else {
            return false;
        };
        if self.is_chord[i] {
            let chord_placed = current.chords.iter().any(|c| c.0 == here);
            return r.whole
                && !chord_placed
                && r.bar.chords.iter().any(|&(p, c)| p == here && c == id);
        }
        let note_placed = current.notes.iter().any(|n| n.onset == here);
        if let Some(note) = r.bar.notes.iter().find(|n| n.onset == here)
            && !note_placed
        {
            // The reference has a note here and this bar does not yet.
            return self.is_pitch[i] && (!r.whole || note.pitch == id);
        }
        match next_event(r, here) {
            Some(next) => self.position_of[i] == Some(next),
            None => self.is_bar_close[i],
        }
    }
}

/// The reference's first event after `here`: a note onset, or (when it lends chords) a change.
fn next_event(r: &Reference<'_>, here: u32) -> Option<u32> {
    let onsets = r.bar.notes.iter().map(|n| n.onset);
    let changes = r.bar.chords.iter().map(|c| c.0).filter(|_| r.whole);
    onsets.chain(changes).filter(|&p| p > here).min()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(vocab: &Vocab, t: Token) -> u16 {
        vocab.require(t).unwrap()
    }

    /// The memory's bonuses for `ids` alone, into `out`; whether any is non-zero.
    fn bias_of(memory: &PhraseMemory, ids: &[u16], out: &mut Vec<f32>) -> bool {
        out.clear();
        out.resize(ids.len(), 0.0);
        memory.bias(ids, out)
    }

    fn chord(vocab: &Vocab, label: &str) -> u16 {
        let c = crate::music::ChordSymbol::parse_harte(label)
            .unwrap()
            .unwrap();
        id(vocab, Token::Chord(c.root, c.quality))
    }

    /// Feeds a bar of notes `(onset, pitch, duration)` with a C chord at 0.
    fn feed_bar(memory: &mut PhraseMemory, vocab: &Vocab, notes: &[(u8, u8, u32)]) {
        let c = vocab.token(chord(vocab, "C:maj"));
        let mut tokens = vec![Token::Bar, Token::Pos(0), c];
        for (k, &(onset, pitch, dur)) in notes.iter().enumerate() {
            if !(k == 0 && onset == 0) {
                tokens.push(Token::Pos(onset));
            }
            tokens.extend([Token::Pitch(pitch), Token::Dur(dur)]);
        }
        for t in tokens {
            memory.observe(id(vocab, t), t);
        }
    }

    #[test]
    fn strength_zero_is_no_memory() {
        assert!(PhraseMemory::new(&Vocab::standard(), 0.0).is_none());
        assert!(PhraseMemory::new(&Vocab::standard(), 0.5).is_some());
    }

    #[test]
    fn the_bar_four_back_is_echoed_in_onsets_pitches_and_durations() {
        let vocab = Vocab::standard();
        let mut memory = PhraseMemory::new(&vocab, 1.0).unwrap();
        let section = Token::Section(crate::music::SectionKind::Verse);
        memory.observe(id(&vocab, section), section);
        feed_bar(
            &mut memory,
            &vocab,
            &[(0, 64, 12), (12, 67, 6), (24, 65, 24)],
        );
        for _ in 0..3 {
            feed_bar(&mut memory, &vocab, &[(0, 60, 48)]);
        }
        // Bar 5 starts: the reference's chord at 0 (C, not G), then E4 (64) at 0.
        for t in [Token::Bar, Token::Pos(0)] {
            memory.observe(id(&vocab, t), t);
        }
        let (c, g) = (chord(&vocab, "C:maj"), chord(&vocab, "G:maj"));
        let mut out = Vec::new();
        assert!(bias_of(&memory, &[c, g], &mut out));
        assert_eq!(out, vec![MAX_BONUS, 0.0]);
        memory.observe(c, vocab.token(c));
        let pitches = [id(&vocab, Token::Pitch(64)), id(&vocab, Token::Pitch(60))];
        assert!(bias_of(&memory, &pitches, &mut out));
        assert_eq!(out, vec![MAX_BONUS, 0.0]);
        memory.observe(pitches[0], Token::Pitch(64));
        let durations = [id(&vocab, Token::Dur(12)), id(&vocab, Token::Dur(6))];
        bias_of(&memory, &durations, &mut out);
        assert_eq!(out, vec![MAX_BONUS, 0.0]);
        memory.observe(durations[0], Token::Dur(12));
        // The next onset of the reference is 12; a pitch at 0 again is not its move.
        let next = [
            id(&vocab, Token::Pos(6)),
            id(&vocab, Token::Pos(12)),
            id(&vocab, Token::Bar),
        ];
        bias_of(&memory, &next, &mut out);
        assert_eq!(out, vec![0.0, MAX_BONUS, 0.0]);
    }

    #[test]
    fn an_earlier_section_lends_rhythm_only_at_a_lower_weight() {
        let vocab = Vocab::standard();
        let mut memory = PhraseMemory::new(&vocab, 1.0).unwrap();
        let verse = Token::Section(crate::music::SectionKind::Verse);
        let chorus = Token::Section(crate::music::SectionKind::Chorus);
        memory.observe(id(&vocab, verse), verse);
        feed_bar(&mut memory, &vocab, &[(0, 64, 12)]);
        for _ in 0..3 {
            feed_bar(&mut memory, &vocab, &[(0, 60, 48)]);
        }
        memory.observe(id(&vocab, chorus), chorus);
        feed_bar(&mut memory, &vocab, &[]);
        let pitches = [id(&vocab, Token::Pitch(64)), id(&vocab, Token::Pitch(72))];
        let mut out = Vec::new();
        bias_of(&memory, &pitches, &mut out);
        let rhythm = MAX_BONUS * CROSS_SECTION_WEIGHT;
        assert_eq!(out, vec![rhythm, rhythm]);
        // The verse's chords are not lent to the chorus.
        let mut fresh = memory.clone();
        for t in [Token::Bar, Token::Pos(0)] {
            fresh.observe(id(&vocab, t), t);
        }
        assert!(!bias_of(&fresh, &[chord(&vocab, "C:maj")], &mut out));
    }
}
