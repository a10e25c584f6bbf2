//! Constrained decoding: which tokens may come next so that every generated idea is well formed.
//!
//! A [`Grammar`] follows a token sequence as it grows and, for a [`Plan`] (the sections to write,
//! their bar counts, chords to keep), lists the tokens allowed next. The sampler only ever draws
//! from that list, so an idea always has exactly the planned bars, a chord at every bar start,
//! notes that start inside their bar and end by the end of their section, one melody line, no
//! pitch repeated more than [`Plan::max_same_pitch`] times in a row, no melody-less bar (unless
//! allowed), and its sections in the planned order.

use crate::music::{ChordChange, Meter, Mode, SectionKind};

use super::ModelError;
use super::tokens::{MAX_SECTION_LEN, Token, Vocab};

/// One section to write.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanSection {
    pub kind: SectionKind,
    pub bars: usize,
    /// Chords to keep, bar by bar, in the normalized key (each bar's list starts at position 0).
    pub kept_chords: Option<Vec<Vec<ChordChange>>>,
}

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub mode: Option<Mode>,
    pub meter: Option<Meter>,
    /// When `meter` is not fixed: the meters the model may choose from (empty: any it knows).
    pub meter_choices: Vec<Meter>,
    pub sections: Vec<PlanSection>,
    pub max_same_pitch: usize,
    pub allow_empty_bars: bool,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Last {
    Nothing,
    Bos,
    Mode,
    Meter,
    Section,
    SectionLen,
    Bar,
    Pos(u32),
    Chord,
    Bass,
    Pitch(u32),
    Dur,
    Eos,
}

/// Token ids grouped by kind, looked up once per vocabulary.
#[derive(Debug, Clone)]
struct Groups {
    modes: Vec<(Mode, u16)>,
    meters: Vec<(Meter, u16)>,
    chords: Vec<u16>,
    basses: Vec<u16>,
    pitches: Vec<(u8, u16)>,
    durations: Vec<(u32, u16)>,
    positions: Vec<u16>,
}

impl Groups {
    fn new(vocab: &Vocab) -> Groups {
        let mut g = Groups {
            modes: Vec::new(),
            meters: Vec::new(),
            chords: Vec::new(),
            basses: Vec::new(),
            pitches: Vec::new(),
            durations: Vec::new(),
            positions: Vec::new(),
        };
        for (i, &t) in vocab.tokens().iter().enumerate() {
            let id = i as u16;
            match t {
                Token::Mode(m) => g.modes.push((m, id)),
                Token::Meter(m) => g.meters.push((m, id)),
                Token::Chord(..) => g.chords.push(id),
                Token::Bass(_) => g.basses.push(id),
                Token::Pitch(p) => g.pitches.push((p, id)),
                Token::Dur(d) => g.durations.push((d, id)),
                Token::Pos(p) => {
                    if g.positions.len() <= p as usize {
                        g.positions.resize(p as usize + 1, u16::MAX);
                    }
                    g.positions[p as usize] = id;
                }
                _ => {}
            }
        }
        g
    }
}

/// Follows a sequence and lists the allowed next tokens.
#[derive(Debug, Clone)]
pub struct Grammar<'v> {
    vocab: &'v Vocab,
    groups: Groups,
    plan: Plan,
    last: Last,
    meter: Meter,
    section: Option<usize>,
    bars_in_section: usize,
    bar_start: u32,
    next_bar_start: u32,
    section_end: u32,
    /// No note may sound past this tick (the end of a span of bars being filled in).
    notes_end_by: u32,
    last_pos: Option<u32>,
    melody_end: u32,
    bar_has_melody: bool,
    next_kept: usize,
    bass_pending: Option<u16>,
    last_pitch: Option<u8>,
    same_pitch_run: usize,
    /// The chord token sounding now (a chord change must change the chord).
    sounding_chord: Option<u16>,
}

impl<'v> Grammar<'v> {
    pub fn new(vocab: &'v Vocab, plan: Plan) -> Result<Grammar<'v>, ModelError> {
        if plan.sections.is_empty() || plan.sections.iter().any(|s| s.bars == 0) {
            return Err(ModelError::Request(
                "a plan needs at least one section, each with bars".into(),
            ));
        }
        for section in &plan.sections {
            if let Some(kept) = &section.kept_chords {
                if kept.len() != section.bars {
                    return Err(ModelError::Request(format!(
                        "{} bars of chords kept for a {}-bar {}",
                        kept.len(),
                        section.bars,
                        section.kind
                    )));
                }
                if kept.iter().any(|bar| {
                    bar.first()
                        .is_none_or(|c| c.position != 0 || c.chord.is_none())
                }) {
                    return Err(ModelError::Request(
                        "kept chords need a chord at the start of every bar".into(),
                    ));
                }
            }
        }
        Ok(Grammar {
            vocab,
            groups: Groups::new(vocab),
            plan,
            last: Last::Nothing,
            meter: Meter::FOUR_FOUR,
            section: None,
            bars_in_section: 0,
            bar_start: 0,
            next_bar_start: 0,
            section_end: 0,
            notes_end_by: u32::MAX,
            last_pos: None,
            melody_end: 0,
            bar_has_melody: false,
            next_kept: 0,
            bass_pending: None,
            last_pitch: None,
            same_pitch_run: 0,
            sounding_chord: None,
        })
    }

    pub fn is_done(&self) -> bool {
        self.last == Last::Eos
    }

    /// Bars started so far in the current section.
    pub fn bars_in_section(&self) -> usize {
        self.bars_in_section
    }

    pub fn section_index(&self) -> Option<usize> {
        self.section
    }

    pub fn meter(&self) -> Meter {
        self.meter
    }

    fn bar_len(&self) -> u32 {
        self.meter.bar_ticks()
    }

    fn current_plan(&self) -> Option<&PlanSection> {
        self.section.and_then(|i| self.plan.sections.get(i))
    }

    fn kept_bar(&self) -> Option<&[ChordChange]> {
        let plan = self.current_plan()?;
        let kept = plan.kept_chords.as_ref()?;
        kept.get(self.bars_in_section.checked_sub(1)?)
            .map(|v| v.as_slice())
    }

    fn next_kept_chord(&self) -> Option<&ChordChange> {
        self.kept_bar().and_then(|b| b.get(self.next_kept))
    }

    fn chord_ids(&self, change: &ChordChange) -> Result<(u16, Option<u16>), ModelError> {
        let chord = change
            .chord
            .ok_or_else(|| ModelError::Request("a kept chord is `no chord`".into()))?;
        let id = self
            .vocab
            .require(Token::Chord(chord.root, chord.quality))?;
        let bass = chord
            .bass
            .map(|b| self.vocab.require(Token::Bass(b)))
            .transpose()?;
        Ok((id, bass))
    }

    /// From now on every note ends within the next `bars` bars (in the current meter): the bars
    /// after them are kept music (a span being filled in), which a held note must not run into.
    pub fn end_notes_within_next_bars(&mut self, bars: usize) {
        self.notes_end_by = self.next_bar_start + bars as u32 * self.bar_len();
    }

    fn note_fits_at(&self, pos: u32) -> bool {
        self.bar_start + pos >= self.melody_end && self.bar_start + pos < self.section_end
    }

    /// Whether the current bar may be closed (by a bar line, a section or the end).
    fn bar_may_close(&self) -> bool {
        let kept_done = self.kept_bar().is_none_or(|b| self.next_kept >= b.len());
        kept_done && (self.plan.allow_empty_bars || self.bar_has_melody)
    }

    /// The token ids allowed next, written into `out` (cleared first).
    pub fn allowed(&self, out: &mut Vec<u16>) -> Result<(), ModelError> {
        out.clear();
        let v = self.vocab;
        match self.last {
            Last::Nothing => out.push(v.require(Token::Bos)?),
            Last::Bos => match self.plan.mode {
                Some(mode) => out.push(v.require(Token::Mode(mode))?),
                None => out.extend(self.groups.modes.iter().map(|&(_, id)| id)),
            },
            Last::Mode => match self.plan.meter {
                Some(meter) => out.push(v.require(Token::Meter(meter))?),
                None => out.extend(
                    self.groups
                        .meters
                        .iter()
                        .filter(|(m, _)| m.bar_ticks() <= super::tokens::MAX_BAR_TICKS)
                        .filter(|(m, _)| {
                            self.plan.meter_choices.is_empty()
                                || self.plan.meter_choices.contains(m)
                        })
                        .map(|&(_, id)| id),
                ),
            },
            Last::Meter => out.push(v.require(Token::Section(self.plan.sections[0].kind))?),
            Last::Section => {
                let bars = self.current_plan().map_or(1, |p| p.bars);
                out.push(v.require(Token::SectionLen(bars.min(MAX_SECTION_LEN as usize) as u8))?);
            }
            Last::SectionLen => out.push(v.require(Token::Bar)?),
            Last::Bar => out.push(self.groups.positions[0]),
            Last::Pos(p) => self.after_position(p, out)?,
            Last::Chord => match self.bass_pending {
                Some(bass) => out.push(bass),
                None => {
                    if self.kept_bar().is_none() {
                        out.extend(&self.groups.basses);
                    }
                    self.after_chord_or_bass(out)?;
                }
            },
            Last::Bass => self.after_chord_or_bass(out)?,
            Last::Pitch(onset) => {
                let end = self.section_end.min(self.notes_end_by);
                let room = end.saturating_sub(self.bar_start + onset);
                out.extend(
                    self.groups
                        .durations
                        .iter()
                        .filter(|&&(d, _)| d <= room)
                        .map(|&(_, id)| id),
                );
            }
            Last::Dur => self.events(out)?,
            Last::Eos => {}
        }
        if out.is_empty() {
            return Err(ModelError::Internal(format!(
                "no token fits after {:?} in bar {} of section {:?}",
                self.last, self.bars_in_section, self.section
            )));
        }
        Ok(())
    }

    fn after_position(&self, p: u32, out: &mut Vec<u16>) -> Result<(), ModelError> {
        if self.kept_bar().is_some() {
            match self.next_kept_chord() {
                Some(change) if change.position == p => out.push(self.chord_ids(change)?.0),
                _ => self.pitches(out),
            }
            return Ok(());
        }
        let first_event = p == 0;
        out.extend(
            self.groups
                .chords
                .iter()
                .filter(|&&c| first_event || Some(c) != self.sounding_chord),
        );
        if !first_event && self.note_fits_at(p) {
            self.pitches(out);
        }
        Ok(())
    }

    fn after_chord_or_bass(&self, out: &mut Vec<u16>) -> Result<(), ModelError> {
        if let Last::Pos(_) | Last::Chord | Last::Bass = self.last {
            let p = self.last_pos.unwrap_or(0);
            if self.note_fits_at(p) {
                self.pitches(out);
            }
        }
        // A bar without melody so far must still get a note after a chord at its last tick.
        if !self.bar_has_melody
            && !self.plan.allow_empty_bars
            && self.last_pos == Some(self.bar_len() - 1)
        {
            return Ok(());
        }
        self.events(out)
    }

    fn pitches(&self, out: &mut Vec<u16>) {
        for &(p, id) in &self.groups.pitches {
            if self.same_pitch_run >= self.plan.max_same_pitch && self.last_pitch == Some(p) {
                continue;
            }
            out.push(id);
        }
    }

    /// After a complete event: a later position in the bar, or closing the bar.
    fn events(&self, out: &mut Vec<u16>) -> Result<(), ModelError> {
        let from = self.last_pos.map_or(0, |p| p + 1);
        let bar_len = self.bar_len();
        let needs_melody = !self.plan.allow_empty_bars && !self.bar_has_melody;
        if let Some(kept) = self.kept_bar() {
            let limit = kept.get(self.next_kept).map_or(bar_len - 1, |c| c.position);
            for p in from..=limit.min(bar_len - 1) {
                let chord_here = kept.get(self.next_kept).is_some_and(|c| c.position == p);
                if chord_here || self.note_fits_at(p) {
                    out.push(self.groups.positions[p as usize]);
                }
            }
        } else {
            for p in from..bar_len {
                // A chord-only position is fine while a later tick can still take the bar's note.
                let chord_only_ok = !needs_melody || p + 1 < bar_len;
                if self.note_fits_at(p) || chord_only_ok {
                    out.push(self.groups.positions[p as usize]);
                }
            }
        }
        if self.bar_may_close() {
            let plan = self
                .current_plan()
                .ok_or_else(|| ModelError::Internal("no section".into()))?;
            let section = self.section.unwrap_or(0);
            if self.bars_in_section < plan.bars {
                out.push(self.vocab.require(Token::Bar)?);
            } else if let Some(next) = self.plan.sections.get(section + 1) {
                out.push(self.vocab.require(Token::Section(next.kind))?);
            } else {
                out.push(self.vocab.require(Token::Eos)?);
            }
        }
        Ok(())
    }

    /// Moves on past `id` (sampled or forced).
    pub fn advance(&mut self, id: u16) -> Result<(), ModelError> {
        if id as usize >= self.vocab.len() {
            return Err(ModelError::Internal(format!(
                "token id {id} outside the vocabulary"
            )));
        }
        let token = self.vocab.token(id);
        self.last = match token {
            Token::Pad => return Err(ModelError::Internal("padding in a sequence".into())),
            Token::Fill(_) => {
                return Err(ModelError::Internal(
                    "the grammar follows the bars in their musical order, without infilling markers"
                        .into(),
                ));
            }
            Token::Bos => Last::Bos,
            Token::Eos => Last::Eos,
            Token::Mode(_) => Last::Mode,
            Token::Meter(m) => {
                self.meter = m;
                if self.last == Last::Bar {
                    self.last
                } else {
                    Last::Meter
                }
            }
            Token::Section(_) => {
                let next = self.section.map_or(0, |i| i + 1);
                self.section = Some(next);
                self.bars_in_section = 0;
                let bars = self.current_plan().map_or(0, |p| p.bars) as u32;
                self.section_end = self.next_bar_start + bars * self.bar_len();
                Last::Section
            }
            Token::SectionLen(_) => Last::SectionLen,
            Token::Bar => {
                self.bar_start = self.next_bar_start;
                self.next_bar_start += self.bar_len();
                self.bars_in_section += 1;
                self.last_pos = None;
                self.next_kept = 0;
                self.bar_has_melody = self.melody_end > self.bar_start;
                Last::Bar
            }
            Token::Pickup => Last::Bar,
            Token::Pos(p) => {
                self.last_pos = Some(p as u32);
                Last::Pos(p as u32)
            }
            Token::Chord(..) | Token::NoChord => {
                self.bass_pending = None;
                self.sounding_chord = Some(id);
                if let Some(change) = self.next_kept_chord().copied() {
                    self.bass_pending = self.chord_ids(&change)?.1;
                    self.next_kept += 1;
                }
                Last::Chord
            }
            Token::Bass(_) => {
                self.bass_pending = None;
                Last::Bass
            }
            Token::Pitch(p) => {
                if self.last_pitch == Some(p) {
                    self.same_pitch_run += 1;
                } else {
                    self.last_pitch = Some(p);
                    self.same_pitch_run = 1;
                }
                self.bar_has_melody = true;
                Last::Pitch(self.last_pos.unwrap_or(0))
            }
            Token::Dur(d) => {
                if let Last::Pitch(onset) = self.last {
                    self.melody_end = self.bar_start + onset + d;
                }
                Last::Dur
            }
        };
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::rng::Rng;
    use crate::model::tokens::decode;
    use crate::music::{Idea, Key, PitchClass, Tempo};

    fn plan(bars: usize, meter: Option<Meter>) -> Plan {
        Plan {
            mode: None,
            meter,
            meter_choices: Vec::new(),
            sections: vec![
                PlanSection {
                    kind: SectionKind::Verse,
                    bars,
                    kept_chords: None,
                },
                PlanSection {
                    kind: SectionKind::Chorus,
                    bars,
                    kept_chords: None,
                },
            ],
            max_same_pitch: 2,
            allow_empty_bars: false,
        }
    }

    /// Walks the grammar choosing uniformly among allowed tokens (biased towards repeating the
    /// last pitch, to stress the repetition rule): every walk must end in a valid idea.
    #[test]
    fn random_walks_always_give_well_formed_ideas() {
        let vocab = Vocab::standard();
        let mut rng = Rng::new(42);
        for walk in 0..300 {
            let meter = if walk % 3 == 0 {
                None
            } else {
                Some(Meter::FOUR_FOUR)
            };
            let bars = 1 + walk % 6;
            let mut grammar = Grammar::new(&vocab, plan(bars, meter)).unwrap();
            let mut ids = Vec::new();
            let mut allowed = Vec::new();
            while !grammar.is_done() {
                grammar.allowed(&mut allowed).unwrap();
                let repeat = ids
                    .iter()
                    .rev()
                    .find(|&&t| matches!(vocab.token(t), Token::Pitch(_)));
                let next = match repeat {
                    Some(&p) if allowed.contains(&p) && rng.below(2) == 0 => p,
                    _ => allowed[rng.below(allowed.len())],
                };
                grammar.advance(next).unwrap();
                ids.push(next);
                assert!(ids.len() < 5000, "walk {walk} does not end");
            }
            let key = Key::major(PitchClass::new(0));
            let sheet = decode(&vocab, &ids, key, Tempo::default(), "walk").unwrap();
            let idea = Idea::new(sheet).unwrap();
            assert_eq!(idea.verse().bars.len(), bars);
            assert_eq!(idea.chorus().bars.len(), bars);
            let pitches: Vec<u8> = idea
                .sheet()
                .melody()
                .iter()
                .map(|n| n.item.pitch.0)
                .collect();
            assert!(
                pitches.windows(3).all(|w| !(w[0] == w[1] && w[1] == w[2])),
                "walk {walk}"
            );
            for bar in idea.sheet().bars() {
                assert_eq!(bar.chords[0].position, 0);
                assert!(bar.chords[0].chord.is_some());
                assert!(bar.chords.windows(2).all(|w| w[0].chord != w[1].chord));
            }
        }
    }

    #[test]
    fn kept_chords_must_cover_every_bar() {
        let vocab = Vocab::standard();
        let mut p = plan(2, Some(Meter::FOUR_FOUR));
        p.sections[0].kept_chords = Some(vec![vec![]]);
        assert!(Grammar::new(&vocab, p).is_err());
    }
}
