//! Lead sheets as token sequences (REMI-style: events on a metrical grid) and back.
//!
//! A song is written as
//! `Bos Mode Meter (Section SectionLen (Bar [Meter] [Pickup Dur] (Pos [Chord|NoChord [Bass]] [Pitch Dur])*)*)* Eos`.
//! Inside a bar the events are ordered by position; at one position the chord change comes
//! before the melody note. Every bar starts with a chord: a chord that carries over the bar line
//! is written again at position 0 (this is the *canonical form* of a lead sheet, see
//! [`canonical`]), so the network always sees the harmony of the bar it is in.
//!
//! **Key handling: normalized, with the mode as a token.** Every song is transposed so that its
//! key becomes C major or A minor (the shift is the smallest one, −5..=+6 semitones), and the
//! sequence starts with a `Mode` token. The alternative, training in all twelve keys, multiplies
//! the epoch by twelve for the same information; on two CPU cores that is the difference between
//! a model that trains in a session and one that does not. The network's whole capacity goes to
//! melody, harmony and form instead of learning twelve copies of each. Generation writes in the
//! normalized key and transposes to the requested key at the end, so any key comes out equally
//! well. (The cost: songs whose key estimate is wrong are learned off-key; pop909's keys are
//! analysed by hand-checked tools, so this is rare.) Measured on POP909 with a 1 × 128 LSTM and
//! the same compute (`songsketch train --all-keys`, an experiment flag, against the plain run):
//! after about 6.5 minutes of training each, the normalized model reached 1.724 bits/token on the
//! validation songs and the all-keys model 1.781 (on the same songs in their own keys); after
//! 3.3 minutes 1.797 against 1.883.
//!
//! Velocity and tempo are not modelled: decoding writes notes at [`NOTE_VELOCITY`] and takes the
//! tempo from the caller. The vocabulary is fixed by this module (it does not depend on the
//! data), so a model fine-tuned on a folder of 6/8 jigs shares its vocabulary with the pop model
//! it started from. Each checkpoint stores the vocabulary as a list of token names, and loading
//! maps those names back, so a checkpoint never depends on the training data being present.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use crate::music::{
    Bar, ChordChange, ChordQuality, ChordSymbol, Key, LeadSheet, Meter, Mode, Note, Pitch,
    PitchClass, Section, SectionKind, Tempo,
};

use super::ModelError;

/// The longest bar the vocabulary can place events in, in grid ticks (two 4/4 bars).
pub const MAX_BAR_TICKS: u32 = 96;
/// Section lengths above this are written as this (the bars themselves are still all written).
pub const MAX_SECTION_LEN: u8 = 32;
/// Melody pitches the vocabulary holds after key normalization; notes outside move by octaves.
pub const PITCH_LOW: u8 = 24;
pub const PITCH_HIGH: u8 = 108;
/// The velocity decoded notes get (velocity is not modelled).
pub const NOTE_VELOCITY: u8 = 90;

/// The meters the vocabulary knows. A song in another meter is skipped with a clear reason.
pub const METERS: [(u8, u8); 14] = [
    (4, 4),
    (3, 4),
    (2, 4),
    (6, 8),
    (2, 2),
    (12, 8),
    (9, 8),
    (3, 8),
    (5, 4),
    (6, 4),
    (7, 4),
    (3, 2),
    (5, 8),
    (7, 8),
];

/// Durations in grid ticks: every tick up to a half note, then coarser steps up to four bars.
pub fn durations() -> Vec<u32> {
    let mut out: Vec<u32> = (1..=24).collect();
    out.extend([
        27, 30, 33, 36, 39, 42, 45, 48, 54, 60, 66, 72, 84, 96, 120, 144, 192,
    ]);
    out
}

/// One event of the sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Token {
    /// Padding for batches; never generated.
    Pad,
    Bos,
    Eos,
    Mode(Mode),
    Meter(Meter),
    Section(SectionKind),
    /// The number of bars of the section that follows (clipped to [`MAX_SECTION_LEN`]).
    SectionLen(u8),
    Bar,
    /// The bar is a pickup; its length follows as a `Dur` token.
    Pickup,
    /// Position in the bar, in grid ticks.
    Pos(u8),
    Chord(PitchClass, ChordQuality),
    NoChord,
    /// The bass note of a slash chord; follows its `Chord`.
    Bass(PitchClass),
    Pitch(u8),
    /// A duration in grid ticks (one of [`durations`]).
    Dur(u32),
    /// A marker of the bar-infilling layout (see [`Fill`]).
    Fill(Fill),
}

/// The markers of the infilling layout the Transformer is trained with: a song's bars `a..b`
/// are moved to the end, `prefix Fill:after suffix Fill:here middle Fill:end`, so the network
/// writes bars knowing what comes before *and* after them. The LSTM's vocabulary has no such
/// tokens; it only continues.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fill {
    /// What follows is the music after the bars to write.
    After,
    /// What follows are the bars to write.
    Here,
    /// The bars to write are complete.
    End,
}

impl Fill {
    pub const ALL: [Fill; 3] = [Fill::After, Fill::Here, Fill::End];

    fn name(self) -> &'static str {
        match self {
            Fill::After => "after",
            Fill::Here => "here",
            Fill::End => "end",
        }
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Token::Pad => write!(f, "Pad"),
            Token::Bos => write!(f, "Bos"),
            Token::Eos => write!(f, "Eos"),
            Token::Mode(Mode::Major) => write!(f, "Mode:major"),
            Token::Mode(Mode::Minor) => write!(f, "Mode:minor"),
            Token::Meter(m) => write!(f, "Meter:{m}"),
            Token::Section(kind) => write!(f, "Section:{}", kind.name()),
            Token::SectionLen(n) => write!(f, "SectionLen:{n}"),
            Token::Bar => write!(f, "Bar"),
            Token::Pickup => write!(f, "Pickup"),
            Token::Pos(p) => write!(f, "Pos:{p}"),
            Token::Chord(root, quality) => {
                write!(f, "Chord:{}", ChordSymbol::new(*root, *quality).harte())
            }
            Token::NoChord => write!(f, "NoChord"),
            Token::Bass(pc) => write!(f, "Bass:{pc}"),
            Token::Pitch(p) => write!(f, "Pitch:{p}"),
            Token::Dur(d) => write!(f, "Dur:{d}"),
            Token::Fill(mark) => write!(f, "Fill:{}", mark.name()),
        }
    }
}

impl FromStr for Token {
    type Err = ModelError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || ModelError::Vocabulary(format!("unknown token `{s}`"));
        let (head, arg) = s.split_once(':').unwrap_or((s, ""));
        let number = |text: &str| text.parse::<u32>().map_err(|_| bad());
        let token = match head {
            "Pad" => Token::Pad,
            "Bos" => Token::Bos,
            "Eos" => Token::Eos,
            "Bar" => Token::Bar,
            "Pickup" => Token::Pickup,
            "NoChord" => Token::NoChord,
            "Mode" => match arg {
                "major" => Token::Mode(Mode::Major),
                "minor" => Token::Mode(Mode::Minor),
                _ => return Err(bad()),
            },
            "Meter" => Token::Meter(arg.parse().map_err(|_| bad())?),
            "Section" => Token::Section(
                SectionKind::ALL
                    .into_iter()
                    .find(|k| k.name() == arg)
                    .ok_or_else(bad)?,
            ),
            "SectionLen" => Token::SectionLen(u8::try_from(number(arg)?).map_err(|_| bad())?),
            "Pos" => Token::Pos(u8::try_from(number(arg)?).map_err(|_| bad())?),
            "Chord" => {
                let chord = ChordSymbol::parse_harte(arg)
                    .map_err(|_| bad())?
                    .ok_or_else(bad)?;
                Token::Chord(chord.root, chord.quality)
            }
            "Bass" => Token::Bass(arg.parse().map_err(|_| bad())?),
            "Pitch" => Token::Pitch(u8::try_from(number(arg)?).map_err(|_| bad())?),
            "Dur" => Token::Dur(number(arg)?),
            "Fill" => Token::Fill(
                Fill::ALL
                    .into_iter()
                    .find(|m| m.name() == arg)
                    .ok_or_else(bad)?,
            ),
            _ => return Err(bad()),
        };
        Ok(token)
    }
}

/// The fixed list of tokens and their indices.
#[derive(Debug, Clone, PartialEq)]
pub struct Vocab {
    tokens: Vec<Token>,
    index: HashMap<Token, u16>,
    durations: Vec<u32>,
}

impl Vocab {
    /// The vocabulary this version of the code writes.
    pub fn standard() -> Vocab {
        let mut tokens = vec![Token::Pad, Token::Bos, Token::Eos];
        tokens.extend([Token::Mode(Mode::Major), Token::Mode(Mode::Minor)]);
        tokens.extend(METERS.iter().map(|&(n, d)| {
            Token::Meter(Meter {
                numerator: n,
                denominator: d,
            })
        }));
        tokens.extend(SectionKind::ALL.into_iter().map(Token::Section));
        tokens.extend((1..=MAX_SECTION_LEN).map(Token::SectionLen));
        tokens.extend([Token::Bar, Token::Pickup]);
        tokens.extend((0..MAX_BAR_TICKS as u8).map(Token::Pos));
        for root in 0..12 {
            for quality in ChordQuality::ALL {
                tokens.push(Token::Chord(PitchClass::new(root), quality));
            }
        }
        tokens.push(Token::NoChord);
        tokens.extend((0..12).map(|pc| Token::Bass(PitchClass::new(pc))));
        tokens.extend((PITCH_LOW..=PITCH_HIGH).map(Token::Pitch));
        tokens.extend(durations().into_iter().map(Token::Dur));
        tokens.extend(Fill::ALL.map(Token::Fill));
        Vocab::from_tokens(tokens).expect("the standard vocabulary has no duplicates")
    }

    /// A vocabulary from a checkpoint's list of token names.
    pub fn from_names(names: &[String]) -> Result<Vocab, ModelError> {
        let tokens = names
            .iter()
            .map(|n| n.parse())
            .collect::<Result<Vec<Token>, _>>()?;
        Vocab::from_tokens(tokens)
    }

    fn from_tokens(tokens: Vec<Token>) -> Result<Vocab, ModelError> {
        if tokens.len() > u16::MAX as usize || tokens.first() != Some(&Token::Pad) {
            return Err(ModelError::Vocabulary(
                "a vocabulary starts with Pad and has fewer than 65536 tokens".into(),
            ));
        }
        let mut index = HashMap::new();
        for (i, t) in tokens.iter().enumerate() {
            if index.insert(*t, i as u16).is_some() {
                return Err(ModelError::Vocabulary(format!("token `{t}` appears twice")));
            }
        }
        let mut durations: Vec<u32> = tokens
            .iter()
            .filter_map(|t| match t {
                Token::Dur(d) => Some(*d),
                _ => None,
            })
            .collect();
        durations.sort_unstable();
        Ok(Vocab {
            tokens,
            index,
            durations,
        })
    }

    pub fn names(&self) -> Vec<String> {
        self.tokens.iter().map(|t| t.to_string()).collect()
    }

    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    pub fn token(&self, id: u16) -> Token {
        self.tokens[id as usize]
    }

    pub fn tokens(&self) -> &[Token] {
        &self.tokens
    }

    pub fn id(&self, token: Token) -> Option<u16> {
        self.index.get(&token).copied()
    }

    /// The index of a token, or an error naming it.
    pub fn require(&self, token: Token) -> Result<u16, ModelError> {
        self.id(token)
            .ok_or_else(|| ModelError::Vocabulary(format!("the vocabulary has no `{token}`")))
    }

    /// The nearest duration the vocabulary can write (ties go to the shorter one).
    pub fn quantize_duration(&self, ticks: u32) -> u32 {
        let mut best = self.durations[0];
        for &d in &self.durations {
            if d.abs_diff(ticks) < best.abs_diff(ticks) {
                best = d;
            }
        }
        best
    }

    /// The duration tokens' values, shortest first.
    pub fn durations(&self) -> &[u32] {
        &self.durations
    }
}

/// Semitones that move a key to the normalized one (C major, A minor): −5..=+6.
pub fn normalizing_shift(key: Key) -> i32 {
    -denormalizing_shift(key)
}

/// Semitones that move the normalized key (C major, A minor) to `key`: −6..=+5.
pub fn denormalizing_shift(key: Key) -> i32 {
    let r = key.relative_major_tonic().index() as i32;
    if r <= 5 { r } else { r - 12 }
}

/// The normalized key with the same mode: C major or A minor.
pub fn normalized_key(mode: Mode) -> Key {
    match mode {
        Mode::Major => Key::major(PitchClass::new(0)),
        Mode::Minor => Key::minor(PitchClass::new(9)),
    }
}

/// The same sheet with a chord written at the start of every bar that has a chord sounding
/// (carried over from the bar before), which is the form tokens describe.
pub fn canonical(sheet: &LeadSheet) -> LeadSheet {
    let mut out = sheet.clone();
    let mut sounding: Option<Option<ChordSymbol>> = None;
    for bar in out.sections.iter_mut().flat_map(|s| s.bars.iter_mut()) {
        if bar.chords.first().is_none_or(|c| c.position > 0)
            && let Some(chord) = sounding
        {
            bar.chords.insert(0, ChordChange { position: 0, chord });
        }
        if let Some(last) = bar.chords.last() {
            sounding = Some(last.chord);
        }
    }
    out
}

fn meter_token(vocab: &Vocab, meter: Meter) -> Result<u16, ModelError> {
    vocab.id(Token::Meter(meter)).ok_or_else(|| {
        ModelError::Unsupported(format!("the meter {meter} is not one the model knows"))
    })
}

/// Moves a pitch by octaves into the vocabulary's range.
fn fold_pitch(pitch: i32) -> u8 {
    let mut p = pitch;
    while p < PITCH_LOW as i32 {
        p += 12;
    }
    while p > PITCH_HIGH as i32 {
        p -= 12;
    }
    p as u8
}

/// The tokens of a lead sheet, in its normalized key.
pub fn encode(vocab: &Vocab, sheet: &LeadSheet) -> Result<Vec<u16>, ModelError> {
    encode_shifted(vocab, sheet, normalizing_shift(sheet.key))
}

/// The tokens of a lead sheet moved by `shift` semitones (for the key-handling experiment:
/// training in all twelve keys instead of the normalized one).
pub fn encode_shifted(
    vocab: &Vocab,
    sheet: &LeadSheet,
    shift: i32,
) -> Result<Vec<u16>, ModelError> {
    let sheet = canonical(sheet);
    let id = |t: Token| vocab.require(t);
    let mut meter = sheet.meter();
    let mut out = vec![
        id(Token::Bos)?,
        id(Token::Mode(sheet.key.mode))?,
        meter_token(vocab, meter)?,
    ];
    for section in &sheet.sections {
        encode_section(vocab, section, shift, &mut meter, &mut out)?;
    }
    out.push(id(Token::Eos)?);
    Ok(out)
}

/// The tokens of one section (its header and bars), appended to `out`. `meter` is the meter in
/// force before the section and is updated by meter changes inside it.
pub fn encode_section(
    vocab: &Vocab,
    section: &Section,
    shift: i32,
    meter: &mut Meter,
    out: &mut Vec<u16>,
) -> Result<(), ModelError> {
    if section.bars.is_empty() {
        return Ok(());
    }
    let len = section.bars.len().min(MAX_SECTION_LEN as usize) as u8;
    out.push(vocab.require(Token::Section(section.kind))?);
    out.push(vocab.require(Token::SectionLen(len))?);
    for bar in &section.bars {
        encode_bar(vocab, bar, shift, meter, out)?;
    }
    Ok(())
}

/// The tokens of one bar, appended to `out`.
pub fn encode_bar(
    vocab: &Vocab,
    bar: &Bar,
    shift: i32,
    meter: &mut Meter,
    out: &mut Vec<u16>,
) -> Result<(), ModelError> {
    let id = |t: Token| vocab.require(t);
    if bar.length > MAX_BAR_TICKS {
        return Err(ModelError::Unsupported(format!(
            "a bar of {} ticks is longer than the model's {MAX_BAR_TICKS}",
            bar.length
        )));
    }
    out.push(id(Token::Bar)?);
    if bar.meter != *meter {
        out.push(meter_token(vocab, bar.meter)?);
        *meter = bar.meter;
    }
    if bar.is_pickup() {
        out.push(id(Token::Pickup)?);
        out.push(id(Token::Dur(vocab.quantize_duration(bar.length)))?);
    }
    let mut positions: Vec<u32> = bar
        .chords
        .iter()
        .map(|c| c.position)
        .chain(bar.melody.iter().map(|n| n.onset))
        .collect();
    positions.sort_unstable();
    positions.dedup();
    for pos in positions {
        out.push(id(Token::Pos(pos as u8))?);
        if let Some(change) = bar.chords.iter().find(|c| c.position == pos) {
            match change.chord {
                Some(chord) => {
                    let chord = chord.transpose(shift);
                    out.push(id(Token::Chord(chord.root, chord.quality))?);
                    if let Some(bass) = chord.bass {
                        out.push(id(Token::Bass(bass))?);
                    }
                }
                None => out.push(id(Token::NoChord)?),
            }
        }
        if let Some(note) = bar.melody.iter().find(|n| n.onset == pos) {
            out.push(id(Token::Pitch(fold_pitch(note.pitch.0 as i32 + shift)))?);
            out.push(id(Token::Dur(vocab.quantize_duration(note.duration)))?);
        }
    }
    Ok(())
}

/// Builds a lead sheet from tokens, written in `key` (the tokens are in the normalized key of
/// their `Mode`; `key` should have that mode). Tokens must follow the grammar.
pub fn decode(
    vocab: &Vocab,
    ids: &[u16],
    key: Key,
    tempo: Tempo,
    title: &str,
) -> Result<LeadSheet, ModelError> {
    let shift = denormalizing_shift(key);
    let bad = |i: usize, what: &str| {
        ModelError::Malformed(format!("token {i} ({}): {what}", vocab.token(ids[i])))
    };
    let mut sheet = LeadSheet {
        title: title.to_string(),
        key,
        tempo,
        sections: Vec::new(),
    };
    let mut meter = Meter::FOUR_FOUR;
    let mut pos: Option<u32> = None;
    let mut i = 0;
    while i < ids.len() {
        if ids[i] as usize >= vocab.len() {
            return Err(ModelError::Malformed(format!(
                "token id {} is outside the vocabulary",
                ids[i]
            )));
        }
        let token = vocab.token(ids[i]);
        let bar = sheet
            .sections
            .last_mut()
            .and_then(|s: &mut Section| s.bars.last_mut());
        match token {
            Token::Pad | Token::Bos | Token::Mode(_) | Token::SectionLen(_) => {}
            Token::Eos => break,
            Token::Meter(m) => {
                meter = m;
                if let Some(bar) = bar {
                    bar.meter = m;
                    bar.length = m.bar_ticks();
                }
            }
            Token::Section(kind) => sheet.sections.push(Section::new(kind, Vec::new())),
            Token::Bar => {
                let section = sheet
                    .sections
                    .last_mut()
                    .ok_or_else(|| bad(i, "a bar before any section"))?;
                section.bars.push(Bar::new(meter));
                pos = None;
            }
            Token::Pickup => {
                let bar = bar.ok_or_else(|| bad(i, "a pickup outside a bar"))?;
                match ids.get(i + 1).map(|&t| vocab.token(t)) {
                    Some(Token::Dur(d)) if d < bar.length => bar.length = d,
                    _ => return Err(bad(i, "a pickup needs a length shorter than the bar")),
                }
                i += 1;
            }
            Token::Pos(p) => {
                let bar = bar.ok_or_else(|| bad(i, "a position outside a bar"))?;
                if p as u32 >= bar.length || pos.is_some_and(|q| q >= p as u32) {
                    return Err(bad(i, "a position outside the bar or out of order"));
                }
                pos = Some(p as u32);
            }
            Token::Chord(..) | Token::NoChord => {
                let (bar, position) = bar
                    .zip(pos)
                    .ok_or_else(|| bad(i, "a chord without a position"))?;
                let chord = match token {
                    Token::Chord(root, quality) => {
                        Some(ChordSymbol::new(root, quality).transpose(shift))
                    }
                    _ => None,
                };
                bar.chords.push(ChordChange { position, chord });
            }
            Token::Bass(pc) => {
                let change = bar
                    .and_then(|b| b.chords.last_mut())
                    .filter(|c| c.chord.is_some())
                    .ok_or_else(|| bad(i, "a bass without a chord"))?;
                change.chord = change.chord.map(|c| c.with_bass(Some(pc.transpose(shift))));
            }
            Token::Pitch(p) => {
                let (bar, onset) = bar
                    .zip(pos)
                    .ok_or_else(|| bad(i, "a note without a position"))?;
                let duration = match ids.get(i + 1).map(|&t| vocab.token(t)) {
                    Some(Token::Dur(d)) => d,
                    _ => return Err(bad(i, "a pitch without a duration")),
                };
                let pitch = Pitch::new_checked(p as i32 + shift)
                    .ok_or_else(|| bad(i, "pitch out of range"))?;
                bar.melody.push(Note {
                    onset,
                    duration,
                    pitch,
                    velocity: NOTE_VELOCITY,
                });
                i += 1;
            }
            Token::Dur(_) => return Err(bad(i, "a duration without a note")),
            Token::Fill(_) => {
                return Err(bad(
                    i,
                    "an infilling marker (decode the bars in their musical order)",
                ));
            }
        }
        i += 1;
    }
    sheet
        .validate()
        .map_err(|e| ModelError::Malformed(e.to_string()))?;
    Ok(sheet)
}

/// `Pitch::transpose` from an integer, for decoding.
trait NewChecked {
    fn new_checked(midi: i32) -> Option<Pitch>;
}

impl NewChecked for Pitch {
    fn new_checked(midi: i32) -> Option<Pitch> {
        (0..=127).contains(&midi).then_some(Pitch(midi as u8))
    }
}

/// The key a token sequence's `Mode` token names, normalized (C major or A minor).
pub fn sequence_mode(vocab: &Vocab, ids: &[u16]) -> Option<Mode> {
    ids.iter().find_map(|&t| match vocab.token(t) {
        Token::Mode(m) => Some(m),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(onset: u32, duration: u32, pitch: u8) -> Note {
        Note {
            onset,
            duration,
            pitch: Pitch(pitch),
            velocity: NOTE_VELOCITY,
        }
    }

    fn bar(meter: Meter, chords: &[(u32, &str)], notes: Vec<Note>) -> Bar {
        let mut bar = Bar::new(meter);
        bar.chords = chords
            .iter()
            .map(|&(position, name)| ChordChange {
                position,
                chord: (name != "N").then(|| name.parse().unwrap()),
            })
            .collect();
        bar.melody = notes;
        bar
    }

    fn song(key: &str) -> LeadSheet {
        let four = Meter::FOUR_FOUR;
        let six: Meter = "6/8".parse().unwrap();
        let mut pickup = Bar::pickup(four, 12);
        pickup.melody = vec![note(6, 6, 64)];
        LeadSheet {
            title: "round trip".into(),
            key: key.parse().unwrap(),
            tempo: Tempo::new(96.0).unwrap(),
            sections: vec![
                Section::new(SectionKind::Intro, vec![pickup]),
                Section::new(
                    SectionKind::Verse,
                    vec![
                        bar(
                            four,
                            &[(0, "Am"), (24, "F/A")],
                            vec![note(0, 9, 69), note(9, 3, 71), note(12, 60, 72)],
                        ),
                        bar(
                            four,
                            &[(0, "F/A"), (36, "G7sus4")],
                            vec![note(36, 4, 74), note(40, 4, 76), note(44, 4, 77)],
                        ),
                        bar(four, &[(0, "N")], vec![]),
                    ],
                ),
                Section::new(
                    SectionKind::Chorus,
                    vec![
                        bar(
                            six,
                            &[(0, "C"), (18, "Bm7b5")],
                            vec![note(0, 18, 84), note(18, 18, 83)],
                        ),
                        bar(six, &[(0, "E7")], vec![note(3, 33, 80)]),
                    ],
                ),
            ],
        }
    }

    #[test]
    fn canonical_sheets_round_trip_in_every_key() {
        let vocab = Vocab::standard();
        for key in ["Am", "C", "F#m", "Bb", "Gb", "E", "D#m"] {
            let sheet = song(key).transpose(0).unwrap();
            let mut sheet = sheet;
            sheet.key = key.parse().unwrap();
            sheet.validate().unwrap();
            let ids = encode(&vocab, &sheet).unwrap();
            let back = decode(&vocab, &ids, sheet.key, sheet.tempo, &sheet.title).unwrap();
            assert_eq!(back, canonical(&sheet), "{key}");
            assert_eq!(sequence_mode(&vocab, &ids), Some(sheet.key.mode));
        }
    }

    #[test]
    fn a_song_in_any_key_gives_the_same_tokens() {
        let vocab = Vocab::standard();
        let base = song("Am");
        let ids = encode(&vocab, &base).unwrap();
        for shift in -6..=5 {
            let moved = base.transpose(shift).unwrap();
            assert_eq!(encode(&vocab, &moved).unwrap(), ids, "shift {shift}");
        }
    }

    #[test]
    fn carried_chords_are_written_at_bar_starts() {
        let vocab = Vocab::standard();
        let four = Meter::FOUR_FOUR;
        let mut sheet = song("C");
        sheet.sections[1].bars[1].chords.remove(0);
        let canon = canonical(&sheet);
        assert_eq!(
            canon.sections[1].bars[1].chords[0].chord,
            Some("F/A".parse().unwrap())
        );
        let ids = encode(&vocab, &sheet).unwrap();
        let names: Vec<String> = ids.iter().map(|&t| vocab.token(t).to_string()).collect();
        assert_eq!(&names[..3], ["Bos", "Mode:major", "Meter:4/4"]);
        assert!(names.contains(&"Chord:F:maj".to_string()));
        assert!(names.contains(&"Bass:A".to_string()));
        assert!(names.contains(&"Meter:6/8".to_string()));
        assert_eq!(bar(four, &[], vec![]).length, 48);
    }

    #[test]
    fn token_names_parse_back_and_the_vocabulary_reloads() {
        let vocab = Vocab::standard();
        for &t in vocab.tokens() {
            assert_eq!(t.to_string().parse::<Token>().unwrap(), t);
        }
        assert_eq!(Vocab::from_names(&vocab.names()).unwrap(), vocab);
        assert!(Vocab::from_names(&["Pad".into(), "Chord:Q:maj".into()]).is_err());
        assert!(Vocab::from_names(&["Pad".into(), "Bar".into(), "Bar".into()]).is_err());
        assert!(vocab.len() < 600, "{}", vocab.len());
    }

    #[test]
    fn unsupported_meters_and_long_notes_are_handled() {
        let vocab = Vocab::standard();
        let mut sheet = song("C");
        sheet.sections[1].bars[0].meter = "11/8".parse().unwrap();
        sheet.sections[1].bars[0].length = 66;
        assert!(matches!(
            encode(&vocab, &sheet),
            Err(ModelError::Unsupported(_))
        ));
        assert_eq!(vocab.quantize_duration(200), 192);
        assert_eq!(vocab.quantize_duration(50), 48);
    }
}
