//! Where each token sits in the music, for the Transformer's position embeddings: the bar it
//! belongs to, counted from the start of its section, and its grid position inside that bar.
//!
//! Attention by itself has no sense of order beyond the causal mask. Giving every token its
//! bar-in-section and its beat position lets a head find "the same beat, four bars back" by
//! content, which is how choruses repeat and phrases answer each other, and it stays right
//! however many tokens a bar takes. No token-index embedding is used, so a sequence longer
//! than the training windows still gets positions the network has seen.

use super::tokens::{Token, Vocab};

/// Bar slots: 0 for a section's header, 1..=32 for its bars, 33 for any bar after those.
pub const BAR_SLOTS: usize = 34;
/// Beat slots: 0 at a bar line (before the first event), `p + 1` from `Pos(p)` on.
pub const BEAT_SLOTS: usize = 97;

/// The bar and beat slot of one token.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Position {
    pub bar: u8,
    pub beat: u8,
}

/// Follows a token sequence in its musical order and gives each token its [`Position`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PositionTracker {
    current: Position,
}

impl PositionTracker {
    /// The position of the last token observed.
    pub fn current(&self) -> Position {
        self.current
    }

    /// The position of `token`, which comes next in musical order. Infilling markers get the
    /// zero position and leave the tracker where it was.
    pub fn observe(&mut self, token: Token) -> Position {
        match token {
            Token::Fill(_) => return Position::default(),
            Token::Section(_) => self.current = Position::default(),
            Token::Bar => {
                self.current.bar = (self.current.bar + 1).min(BAR_SLOTS as u8 - 1);
                self.current.beat = 0;
            }
            Token::Pos(p) => self.current.beat = (p + 1).min(BEAT_SLOTS as u8 - 1),
            _ => {}
        }
        self.current
    }
}

/// The positions of a sequence written in musical order (no infilling markers moved).
pub fn positions(vocab: &Vocab, ids: &[u16]) -> Vec<Position> {
    let mut tracker = PositionTracker::default();
    ids.iter()
        .map(|&id| tracker.observe(vocab.token(id)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::music::SectionKind;

    #[test]
    fn bars_count_from_the_section_and_beats_from_the_bar() {
        let vocab = Vocab::standard();
        let tokens = [
            Token::Bos,
            Token::Section(SectionKind::Verse),
            Token::SectionLen(2),
            Token::Bar,
            Token::Pos(0),
            Token::Pitch(60),
            Token::Dur(12),
            Token::Pos(12),
            Token::Bar,
            Token::Pitch(62),
            Token::Section(SectionKind::Chorus),
            Token::Bar,
            Token::Pos(24),
        ];
        let ids: Vec<u16> = tokens.iter().map(|&t| vocab.require(t).unwrap()).collect();
        let slots: Vec<(u8, u8)> = positions(&vocab, &ids)
            .iter()
            .map(|p| (p.bar, p.beat))
            .collect();
        assert_eq!(
            slots,
            [
                (0, 0),
                (0, 0),
                (0, 0),
                (1, 0),
                (1, 1),
                (1, 1),
                (1, 1),
                (1, 13),
                (2, 0),
                (2, 0),
                (0, 0),
                (1, 0),
                (1, 25)
            ]
        );
    }

    #[test]
    fn fill_markers_sit_at_zero_and_leave_the_count_alone() {
        let mut tracker = PositionTracker::default();
        tracker.observe(Token::Bar);
        tracker.observe(Token::Pos(5));
        assert_eq!(
            tracker.observe(Token::Fill(crate::model::tokens::Fill::Here)),
            Position::default()
        );
        assert_eq!(
            tracker.observe(Token::Pitch(60)),
            Position { bar: 1, beat: 6 }
        );
    }
}
