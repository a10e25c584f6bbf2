//! Redoing chosen bars of an idea with a network trained in the infilling layout
//! ([`super::tokens::Fill`]): the bars before the span and the bars after it are both in the
//! prompt, so the new bars lead into what follows instead of only continuing what came before.
//!
//! The network reads `prefix Fill:after suffix Fill:here` and writes the span, ending it with
//! `Fill:end`; the grammar follows the same bars in their musical order (prefix, then the span),
//! so every rule of a well-formed idea still holds. The result is spliced into the original
//! idea bar by bar: outside the span nothing changes.

use std::ops::Range;

use crate::music::{ChordChange, Idea, LeadSheet};

use super::ModelError;
use super::positions::{Position, positions};
use super::tokens::{Fill, Token, Vocab, canonical};

/// Which part of the chosen bars is written anew.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedoPart {
    /// New melody over the bars' own chords.
    Melody,
    /// New chords under the bars' own melody (chosen knowing the bars before; see
    /// [`super::harmonize`]). Any model can do this one.
    Chords,
    /// New chords and melody.
    Both,
}

/// Bars of an idea to write anew.
#[derive(Debug, Clone, PartialEq)]
pub struct Redo {
    pub idea: Idea,
    /// 0-based bar indices across verse and chorus.
    pub bars: Range<usize>,
    pub part: RedoPart,
}

/// Token indices where each bar starts in a sequence written in musical order: at its `Bar`
/// token, or at its section's header when the bar opens a section. The song header
/// (`Bos Mode Meter`, the first three tokens) is never a cut.
pub fn bar_cuts(vocab: &Vocab, ids: &[u16]) -> Vec<usize> {
    let mut cuts = Vec::new();
    for (i, &id) in ids.iter().enumerate() {
        if vocab.token(id) != Token::Bar {
            continue;
        }
        let opens_section = i >= 2 && matches!(vocab.token(ids[i - 2]), Token::Section(_));
        let cut = if opens_section { i - 2 } else { i };
        if cut >= 3 {
            cuts.push(cut);
        }
    }
    cuts
}

/// Refuses an empty span, or one that runs past the idea's `bar_count` bars.
pub fn check_span(bars: &Range<usize>, bar_count: usize) -> Result<(), ModelError> {
    if bars.is_empty() || bars.end > bar_count {
        return Err(ModelError::Request(format!(
            "bars {}-{} are not inside this idea's {bar_count} bars",
            bars.start + 1,
            bars.end
        )));
    }
    Ok(())
}

/// What the sampler needs to fill bars of an encoded idea.
#[derive(Debug, Clone, PartialEq)]
pub struct FillPrompt {
    /// The tokens before the span, in musical order: what the grammar follows first.
    pub prefix: Vec<u16>,
    /// What the network reads before writing the span, each token at its musical position.
    pub network_prompt: Vec<(u16, Position)>,
    /// The tokens after the span, appended to the written bars to decode the whole idea.
    pub suffix: Vec<u16>,
    /// Bars to write.
    pub bars: usize,
    /// The `Fill:end` token.
    pub end: u16,
}

/// The prompt that fills `bars` (0-based, across the whole sequence) of `ids`.
pub fn fill_prompt(
    vocab: &Vocab,
    ids: &[u16],
    bars: Range<usize>,
) -> Result<FillPrompt, ModelError> {
    let missing = || {
        ModelError::Unsupported(
            "this model was not trained to fill in bars (an LSTM only continues); retrain it with `--arch transformer`"
                .into(),
        )
    };
    let after = vocab.id(Token::Fill(Fill::After)).ok_or_else(missing)?;
    let here = vocab.id(Token::Fill(Fill::Here)).ok_or_else(missing)?;
    let end = vocab.id(Token::Fill(Fill::End)).ok_or_else(missing)?;
    let cuts = bar_cuts(vocab, ids);
    check_span(&bars, cuts.len())?;
    let start = cuts[bars.start];
    let stop = cuts.get(bars.end).copied().unwrap_or(ids.len());
    let at = positions(vocab, ids);
    let mut network_prompt: Vec<(u16, Position)> = ids[..start]
        .iter()
        .copied()
        .zip(at[..start].iter().copied())
        .collect();
    network_prompt.push((after, Position::default()));
    network_prompt.extend(ids[stop..].iter().copied().zip(at[stop..].iter().copied()));
    network_prompt.push((here, Position::default()));
    Ok(FillPrompt {
        prefix: ids[..start].to_vec(),
        network_prompt,
        suffix: ids[stop..].to_vec(),
        bars: bars.len(),
        end,
    })
}

/// `original` with `bars` (0-based, across sections) taken from `redone`, which has the same
/// sections and bar counts. With [`RedoPart::Melody`] only the melody of those bars changes,
/// with [`RedoPart::Chords`] only their chords.
/// A kept note that sounds into the span is left whole (new notes starting under it are left
/// out); notes of the new bars that would sound into the bar after the span are cut at its
/// start, and that bar is given the chord it had, so everything outside the span sounds as it
/// did.
pub fn splice(
    original: &LeadSheet,
    redone: &LeadSheet,
    bars: Range<usize>,
    part: RedoPart,
) -> LeadSheet {
    let mut out = original.clone();
    let sounding_before_end = canonical(original)
        .bars()
        .nth(bars.end)
        .and_then(|b| b.chords.first().copied());
    let lengths: Vec<u32> = original.bars().map(|b| b.length).collect();
    let starts: Vec<u32> = lengths
        .iter()
        .scan(0, |at, &len| {
            let start = *at;
            *at += len;
            Some(start)
        })
        .collect();
    // A kept note that sounds into the span: new notes wait for it to end.
    let held_until = original
        .melody()
        .iter()
        .filter(|n| n.bar_index < bars.start)
        .map(|n| n.absolute(n.item.onset) + n.item.duration)
        .max()
        .unwrap_or(0);
    let mut index = 0;
    let mut last_new_chord: Option<ChordChange> = None;
    for (section, new_section) in out.sections.iter_mut().zip(&redone.sections) {
        for (bar, new_bar) in section.bars.iter_mut().zip(&new_section.bars) {
            if bars.contains(&index) {
                if part != RedoPart::Chords {
                    let room: u32 = lengths[index..bars.end].iter().sum();
                    bar.melody = new_bar.melody.clone();
                    bar.melody.retain(|n| starts[index] + n.onset >= held_until);
                    for note in &mut bar.melody {
                        note.duration = note.duration.min(room.saturating_sub(note.onset)).max(1);
                    }
                }
                if part != RedoPart::Melody {
                    bar.chords = new_bar.chords.clone();
                }
                if let Some(last) = bar.chords.last() {
                    last_new_chord = Some(*last);
                }
            } else if index == bars.end
                && bar.chords.first().is_none_or(|c| c.position > 0)
                && let Some(was) = sounding_before_end
                && last_new_chord.map(|c| c.chord) != Some(was.chord)
            {
                bar.chords.insert(
                    0,
                    ChordChange {
                        position: 0,
                        chord: was.chord,
                    },
                );
            }
            index += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::tokens::encode;
    use crate::music::{Bar, Key, Meter, Note, Pitch, PitchClass, Section, SectionKind, Tempo};

    fn bar(chord: Option<&str>, pitches: &[u8]) -> Bar {
        let mut b = Bar::new(Meter::FOUR_FOUR);
        if let Some(c) = chord {
            b.chords.push(ChordChange {
                position: 0,
                chord: Some(c.parse().unwrap()),
            });
        }
        b.melody = pitches
            .iter()
            .enumerate()
            .map(|(i, &p)| Note {
                onset: i as u32 * 12,
                duration: 12,
                pitch: Pitch(p),
                velocity: 90,
            })
            .collect();
        b
    }

    fn sheet(bars: Vec<Bar>) -> LeadSheet {
        let (verse, chorus) = bars.split_at(2);
        LeadSheet {
            title: "t".into(),
            key: Key::major(PitchClass::new(0)),
            tempo: Tempo::new(100.0).unwrap(),
            sections: vec![
                Section::new(SectionKind::Verse, verse.to_vec()),
                Section::new(SectionKind::Chorus, chorus.to_vec()),
            ],
        }
    }

    #[test]
    fn the_prompt_puts_the_bars_after_the_span_before_it() {
        let vocab = Vocab::standard();
        let song = sheet(vec![
            bar(Some("C"), &[60, 62]),
            bar(Some("F"), &[65]),
            bar(Some("G"), &[67]),
            bar(Some("C"), &[72]),
        ]);
        let ids = encode(&vocab, &song).unwrap();
        let cuts = bar_cuts(&vocab, &ids);
        assert_eq!(cuts.len(), 4);
        let prompt = fill_prompt(&vocab, &ids, 1..3).unwrap();
        assert_eq!(prompt.prefix, ids[..cuts[1]]);
        assert_eq!(prompt.suffix, ids[cuts[3]..]);
        let tokens: Vec<u16> = prompt.network_prompt.iter().map(|p| p.0).collect();
        let after = vocab.id(Token::Fill(Fill::After)).unwrap();
        let here = vocab.id(Token::Fill(Fill::Here)).unwrap();
        let mut expected = ids[..cuts[1]].to_vec();
        expected.push(after);
        expected.extend_from_slice(&ids[cuts[3]..]);
        expected.push(here);
        assert_eq!(tokens, expected);
        // The suffix keeps its musical position: the chorus's second bar.
        let suffix_bar = prompt.network_prompt[cuts[1] + 1 + 3].1;
        assert_eq!(suffix_bar.bar, 2);
        assert!(fill_prompt(&vocab, &ids, 3..5).is_err());
        assert!(fill_prompt(&vocab, &ids, 2..2).is_err());
    }

    #[test]
    fn an_lstm_vocabulary_is_told_to_retrain() {
        let names: Vec<String> = Vocab::standard()
            .names()
            .into_iter()
            .filter(|n| !n.starts_with("Fill"))
            .collect();
        let vocab = Vocab::from_names(&names).unwrap();
        let song = sheet(vec![bar(Some("C"), &[60]); 4]);
        let ids = encode(&vocab, &song).unwrap();
        let error = fill_prompt(&vocab, &ids, 0..1).unwrap_err().to_string();
        assert!(error.contains("--arch transformer"), "{error}");
    }

    #[test]
    fn splicing_changes_only_the_span_and_keeps_the_next_bars_chord() {
        let original = sheet(vec![
            bar(Some("C"), &[60, 62]),
            bar(Some("F"), &[65]),
            bar(None, &[67]),
            bar(Some("C"), &[72]),
        ]);
        let mut redone = original.clone();
        redone.sections[0].bars[1] = bar(Some("Dm"), &[74]);
        redone.sections[0].bars[1].melody[0].duration = 96;
        let out = splice(&original, &redone, 1..2, RedoPart::Both);
        assert_eq!(out.sections[0].bars[0], original.sections[0].bars[0]);
        assert_eq!(out.sections[1].bars[1], original.sections[1].bars[1]);
        assert_eq!(out.sections[0].bars[1].melody[0].pitch, Pitch(74));
        assert_eq!(
            out.sections[0].bars[1].melody[0].duration, 48,
            "cut at the span's end"
        );
        // Bar 3 had F carried over from bar 2; after the new Dm it states F again.
        let third = &out.sections[1].bars[0];
        assert_eq!(third.chords[0].chord, Some("F".parse().unwrap()));
        assert_eq!(third.melody, original.sections[1].bars[0].melody);
        let melody_only = splice(&original, &redone, 1..2, RedoPart::Melody);
        assert_eq!(
            melody_only.sections[0].bars[1].chords,
            original.sections[0].bars[1].chords
        );
        assert_eq!(
            melody_only.sections[1].bars[0],
            original.sections[1].bars[0]
        );
    }

    #[test]
    fn a_kept_note_held_into_the_span_stays_whole_and_new_notes_wait_for_it() {
        let mut original = sheet(vec![
            bar(Some("C"), &[60]),
            bar(Some("F"), &[65]),
            bar(Some("G"), &[67]),
            bar(Some("C"), &[72]),
        ]);
        // Bar 1's note is held a bar and a half: into bar 2 and half way through it.
        original.sections[0].bars[0].melody = vec![Note {
            onset: 0,
            duration: 72,
            pitch: Pitch(60),
            velocity: 90,
        }];
        original.sections[0].bars[1].melody.clear();
        let mut redone = original.clone();
        redone.sections[0].bars[1].melody = [(0, 62), (24, 64), (36, 65)]
            .iter()
            .map(|&(onset, p)| Note {
                onset,
                duration: 12,
                pitch: Pitch(p),
                velocity: 90,
            })
            .collect();
        let out = splice(&original, &redone, 1..2, RedoPart::Both);
        assert_eq!(out.sections[0].bars[0], original.sections[0].bars[0]);
        let onsets: Vec<u32> = out.sections[0].bars[1]
            .melody
            .iter()
            .map(|n| n.onset)
            .collect();
        assert_eq!(onsets, [24, 36]);
        out.validate().unwrap();
    }
}
