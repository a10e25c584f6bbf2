//! Chords for a composer's melody: the melody stays note for note, and the network chooses each
//! bar's harmony knowing that bar's notes.
//!
//! Tokens put a bar's chord before its notes, so a network that only continues would pick the
//! chord blind to the melody it must fit. Instead each bar is decided by Bayes' rule with the
//! network as the model of songs: the network proposes its likeliest chords at the bar line,
//! each proposal (one chord for the bar, or two, changing at the half bar) is scored by the
//! probability of the *whole bar*, chords and the kept notes, `p(chords) · p(notes | chords)`,
//! and one is drawn from those scores at the request's temperature. Then the next bar follows
//! from the chosen one. Any model works (LSTM or Transformer): it needs only its forward pass.

use crate::music::{Bar, ChordChange, ChordSymbol, Key, LeadSheet, Section, SectionKind};

use super::ModelError;
use super::generate::Model;
use super::infer::State;
use super::positions::PositionTracker;
use super::rng::Rng;
use super::tokens::{MAX_BAR_TICKS, Token, encode_bar, normalizing_shift};

/// What to harmonize and how.
#[derive(Debug, Clone, PartialEq)]
pub struct HarmonizeRequest {
    /// The melody, in bars (any chords it has are replaced). Its sections are kept when it has
    /// a verse and a chorus; otherwise a melody of 4 bars or more becomes a verse (its first
    /// half) and a chorus (the rest).
    pub melody: LeadSheet,
    /// The key to harmonize in (default: the melody's own).
    pub key: Option<Key>,
    pub seed: u64,
    /// Sharpness of the choice among the scored proposals (1: by the model's probabilities).
    pub temperature: f32,
    /// Chords the network proposes at each bar line (the two-chord proposals pair the first few).
    pub proposals: usize,
}

impl HarmonizeRequest {
    /// The default sharpness. Measured on 10 POP909 validation verse+chorus pairs with the
    /// LSTM (chord roots per beat matching the songs' own): 0.349 at 0.7 with 6 proposals,
    /// 0.385 at 0.3, 0.396 at 0.3 with 12 proposals, 0.392 at 0.1 with 20; the tonic chord
    /// everywhere matches 0.285.
    pub const DEFAULT_TEMPERATURE: f32 = 0.3;

    pub fn new(melody: LeadSheet) -> HarmonizeRequest {
        HarmonizeRequest {
            melody,
            key: None,
            seed: 0,
            temperature: Self::DEFAULT_TEMPERATURE,
            proposals: 12,
        }
    }
}

/// Network state and musical position of a sequence being written.
#[derive(Clone)]
struct Cursor {
    state: State,
    tracker: PositionTracker,
    /// The model's prediction for the next token, as log-probabilities over the vocabulary.
    next: Vec<f32>,
}

/// Log-softmax of logits, in place.
fn log_softmax(values: &mut [f32]) {
    let max = values.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
    let total: f32 = values.iter().map(|v| (v - max).exp()).sum();
    let log_total = total.ln() + max;
    values.iter_mut().for_each(|v| *v -= log_total);
}

impl Model {
    /// Chords written under `melody` with the request's seed and key, as an idea (what
    /// [`super::Keep::Melody`] asks for). A melody too short to be a verse and a chorus (under
    /// four bars: a motif) opens the verse with its chords, and the model writes on from it.
    pub fn chords_for_melody(
        &self,
        request: &super::GenerateRequest,
        melody: &LeadSheet,
    ) -> Result<super::generate::GeneratedIdea, ModelError> {
        let sheet = self.harmonize(&HarmonizeRequest {
            key: request.key,
            seed: request.seed,
            ..HarmonizeRequest::new(melody.clone())
        })?;
        if sheet.sections.len() == 1 {
            return self.generate(&super::GenerateRequest {
                keep: super::Keep::Primer(sheet),
                ..request.clone()
            });
        }
        self.finished(sheet, "harmonized idea")
    }

    /// A cursor after the given `Bos` (which is not predicted, so not scored).
    fn start_cursor(&self, all: &[u16]) -> Cursor {
        let v = self.vocab();
        let bos = v.id(Token::Bos).expect("every vocabulary has Bos");
        let mut cursor = Cursor {
            state: self.net().start(),
            tracker: PositionTracker::default(),
            next: vec![0.0; v.len()],
        };
        let at = cursor.tracker.observe(Token::Bos);
        self.net().step(&mut cursor.state, bos, at);
        self.net().logits_for(&cursor.state, all, &mut cursor.next);
        log_softmax(&mut cursor.next);
        cursor
    }

    /// Feeds `tokens` to the cursor; the sum of their log-probabilities.
    fn feed(&self, cursor: &mut Cursor, tokens: &[u16], all: &[u16]) -> f64 {
        let mut total = 0.0f64;
        for &t in tokens {
            total += cursor.next[t as usize] as f64;
            let at = cursor.tracker.observe(self.vocab().token(t));
            self.net().step(&mut cursor.state, t, at);
            self.net().logits_for(&cursor.state, all, &mut cursor.next);
            log_softmax(&mut cursor.next);
        }
        total
    }

    /// Writes chords under the request's melody; the melody comes back exactly as it was.
    pub fn harmonize(&self, request: &HarmonizeRequest) -> Result<LeadSheet, ModelError> {
        let mut sheet = sections_for(&request.melody)?;
        if let Some(key) = request.key {
            sheet.key = key;
        }
        let shift = normalizing_shift(sheet.key);
        let v = self.vocab();
        let all: Vec<u16> = (0..v.len() as u16).collect();
        let mut meter = sheet.meter();
        let header = [
            v.require(Token::Bos)?,
            v.require(Token::Mode(sheet.key.mode))?,
            v.id(Token::Meter(meter)).ok_or_else(|| {
                ModelError::Unsupported(format!("the meter {meter} is not one the model knows"))
            })?,
        ];
        let mut cursor = self.start_cursor(&all);
        self.feed(&mut cursor, &header[1..], &all);
        let mut rng = Rng::new(request.seed);
        for section in &mut sheet.sections {
            let len = section
                .bars
                .len()
                .min(super::tokens::MAX_SECTION_LEN as usize) as u8;
            let head = [
                v.require(Token::Section(section.kind))?,
                v.require(Token::SectionLen(len))?,
            ];
            self.feed(&mut cursor, &head, &all);
            for bar in &mut section.bars {
                let (chords, next) =
                    self.choose_chords(bar, shift, &mut meter, &cursor, request, &mut rng)?;
                bar.chords = chords;
                cursor = next;
            }
        }
        Ok(sheet)
    }

    /// New chords for `bars` (0-based, across sections) of `sheet`, chosen the same way and
    /// knowing every bar before them; the melody and every other bar stay as they are. Works
    /// with any model (it needs no infilling).
    pub(crate) fn rechord_bars(
        &self,
        sheet: &LeadSheet,
        bars: std::ops::Range<usize>,
        seed: u64,
        temperature: f32,
    ) -> Result<LeadSheet, ModelError> {
        let v = self.vocab();
        let all: Vec<u16> = (0..v.len() as u16).collect();
        let ids = super::tokens::encode(v, sheet)?;
        let cuts = super::infill::bar_cuts(v, &ids);
        super::infill::check_span(&bars, cuts.len())?;
        let mut cursor = self.start_cursor(&all);
        self.feed(&mut cursor, &ids[1..cuts[bars.start]], &all);
        let request = HarmonizeRequest {
            seed,
            temperature,
            ..HarmonizeRequest::new(sheet.clone())
        };
        let shift = normalizing_shift(sheet.key);
        let mut meter = sheet.meter();
        let mut rng = Rng::new(seed);
        let mut out = sheet.clone();
        let mut index = 0;
        for section in &mut out.sections {
            let len = section
                .bars
                .len()
                .min(super::tokens::MAX_SECTION_LEN as usize) as u8;
            for (b, bar) in section.bars.iter_mut().enumerate() {
                if bars.contains(&index) {
                    if b == 0 {
                        let head = [
                            v.require(Token::Section(section.kind))?,
                            v.require(Token::SectionLen(len))?,
                        ];
                        self.feed(&mut cursor, &head, &all);
                    }
                    let (chords, next) =
                        self.choose_chords(bar, shift, &mut meter, &cursor, &request, &mut rng)?;
                    bar.chords = chords;
                    cursor = next;
                }
                index += 1;
            }
        }
        Ok(super::infill::splice(
            sheet,
            &out,
            bars,
            super::infill::RedoPart::Chords,
        ))
    }

    /// Scores the proposals for one bar and draws one: its chords and the cursor after the bar.
    fn choose_chords(
        &self,
        bar: &Bar,
        shift: i32,
        meter: &mut crate::music::Meter,
        cursor: &Cursor,
        request: &HarmonizeRequest,
        rng: &mut Rng,
    ) -> Result<(Vec<ChordChange>, Cursor), ModelError> {
        let all: Vec<u16> = (0..self.vocab().len() as u16).collect();
        let proposals = self.proposed_chords(cursor, &all, request.proposals.max(1), shift)?;
        let mut candidates: Vec<Vec<ChordChange>> = proposals
            .iter()
            .map(|&c| {
                vec![ChordChange {
                    position: 0,
                    chord: Some(c),
                }]
            })
            .collect();
        let half = bar.length / 2;
        if !bar.is_pickup() && bar.length.is_multiple_of(2) {
            for &first in proposals.iter().take(3) {
                for &second in proposals.iter().take(3).filter(|&&c| c != first) {
                    candidates.push(vec![
                        ChordChange {
                            position: 0,
                            chord: Some(first),
                        },
                        ChordChange {
                            position: half,
                            chord: Some(second),
                        },
                    ]);
                }
            }
        }
        let mut scored = Vec::with_capacity(candidates.len());
        for chords in candidates {
            let mut trial = bar.clone();
            trial.chords = chords;
            let mut tokens = Vec::new();
            let mut bar_meter = *meter;
            encode_bar(self.vocab(), &trial, shift, &mut bar_meter, &mut tokens)?;
            let mut next = cursor.clone();
            let score = self.feed(&mut next, &tokens, &all);
            scored.push((score, trial.chords, next, bar_meter));
        }
        let pick = draw(
            &scored.iter().map(|s| s.0).collect::<Vec<_>>(),
            request.temperature,
            rng,
        );
        let (_, chords, next, bar_meter) = scored.swap_remove(pick);
        *meter = bar_meter;
        Ok((chords, next))
    }

    /// The network's likeliest chords at the coming bar line (after `Bar Pos:0`), in the
    /// melody's key.
    fn proposed_chords(
        &self,
        cursor: &Cursor,
        all: &[u16],
        count: usize,
        shift: i32,
    ) -> Result<Vec<ChordSymbol>, ModelError> {
        let v = self.vocab();
        let mut probe = cursor.clone();
        self.feed(
            &mut probe,
            &[v.require(Token::Bar)?, v.require(Token::Pos(0))?],
            all,
        );
        let mut chords: Vec<(f32, ChordSymbol)> = v
            .tokens()
            .iter()
            .enumerate()
            .filter_map(|(id, t)| match t {
                Token::Chord(root, quality) => Some((
                    probe.next[id],
                    ChordSymbol::new(*root, *quality).transpose(-shift),
                )),
                _ => None,
            })
            .collect();
        chords.sort_by(|a, b| b.0.total_cmp(&a.0));
        Ok(chords.into_iter().take(count).map(|c| c.1).collect())
    }
}

/// Draws an index with probability ∝ exp(score / temperature).
fn draw(scores: &[f64], temperature: f32, rng: &mut Rng) -> usize {
    let t = temperature.max(1e-3) as f64;
    let max = scores.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let weights: Vec<f64> = scores.iter().map(|s| ((s - max) / t).exp()).collect();
    let mut left = rng.next_f64() * weights.iter().sum::<f64>();
    for (i, w) in weights.iter().enumerate() {
        left -= w;
        if left <= 0.0 {
            return i;
        }
    }
    weights.len() - 1
}

/// The melody's bars, chords removed, as a verse and a chorus (see [`HarmonizeRequest::melody`]).
fn sections_for(melody: &LeadSheet) -> Result<LeadSheet, ModelError> {
    let mut bars: Vec<Bar> = melody.bars().cloned().collect();
    if bars.iter().all(|b| b.melody.is_empty()) {
        return Err(ModelError::Request("the melody has no notes".into()));
    }
    if let Some(long) = bars.iter().find(|b| b.length > MAX_BAR_TICKS) {
        return Err(ModelError::Unsupported(format!(
            "a bar of {} ticks is longer than the model's {MAX_BAR_TICKS}",
            long.length
        )));
    }
    bars.iter_mut().for_each(|b| b.chords.clear());
    let kinds: Vec<SectionKind> = melody.sections.iter().map(|s| s.kind).collect();
    let mut sheet = LeadSheet {
        sections: Vec::new(),
        ..melody.clone()
    };
    if kinds.contains(&SectionKind::Verse) && kinds.contains(&SectionKind::Chorus) {
        sheet.sections = melody.sections.clone();
        for section in &mut sheet.sections {
            section.bars.iter_mut().for_each(|b| b.chords.clear());
        }
    } else if bars.len() >= 4 {
        let chorus = bars.split_off(bars.len().div_ceil(2));
        sheet.sections = vec![
            Section::new(SectionKind::Verse, bars),
            Section::new(SectionKind::Chorus, chorus),
        ];
    } else {
        sheet.sections = vec![Section::new(SectionKind::Verse, bars)];
    }
    Ok(sheet)
}
