//! Phrase-structure labels (`i4A4B8A4b4B8o3`, Dai, Zhang and Dannenberg 2020) and the rule that
//! turns their phrase classes into section kinds.
//!
//! The rule, measured over POP909 in `tests/pop909.rs` and reported in the README:
//! - lower case phrases have no melody: `i` → Intro, `o` → Outro, anything else (`x`, `b`) → Other;
//! - `X` (a melodic phrase the annotators left unclassified) → Other;
//! - the *verse* is the first melodic class to appear (classes are lettered in order of
//!   appearance, so this is `A`);
//! - the *chorus* is, among the other melodic classes that occur at least twice, the one whose
//!   melody sits highest (mean MIDI pitch of its notes); when none repeats, the highest of those
//!   that occur once; a song with a single melodic class has no chorus;
//! - a remaining melodic class every run of which leads into a chorus phrase (directly or over
//!   short connecting phrases, see [`is_connector`]) is a PreChorus; any other remaining melodic
//!   class is a Bridge.

use super::SectionKind;

/// One phrase: its class letter and its length in bars.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Phrase {
    pub class: char,
    pub bars: u32,
}

impl Phrase {
    /// Upper-case classes carry the sung melody; `X` is melodic but unclassified.
    pub fn is_melodic_class(self) -> bool {
        self.class.is_ascii_uppercase() && self.class != 'X'
    }
}

/// Reads a structure label such as `i4A4B8A4b4B8o3` (letter, then bar count, repeated).
pub fn parse_structure(text: &str) -> Result<Vec<Phrase>, String> {
    let text = text.trim();
    let mut phrases = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((at, class)) = chars.next() {
        if !class.is_ascii_alphabetic() {
            return Err(format!(
                "`{text}`: expected a phrase letter at byte {at}, found `{class}`"
            ));
        }
        let mut digits = String::new();
        while let Some(&(_, d)) = chars.peek().filter(|(_, d)| d.is_ascii_digit()) {
            digits.push(d);
            chars.next();
        }
        let bars: u32 = digits
            .parse()
            .map_err(|_| format!("`{text}`: phrase `{class}` at byte {at} has no bar count"))?;
        if bars == 0 {
            return Err(format!(
                "`{text}`: phrase `{class}` at byte {at} has 0 bars"
            ));
        }
        phrases.push(Phrase { class, bars });
    }
    if phrases.is_empty() {
        return Err("the structure label is empty".into());
    }
    Ok(phrases)
}

/// Melody pitches seen in one phrase: the sum of MIDI pitches and the number of notes.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PitchTally {
    pub sum: f64,
    pub notes: usize,
}

/// What the rule decided for a song's phrase classes.
#[derive(Debug, Clone, PartialEq)]
pub struct SectionRoles {
    /// One kind per phrase, in order.
    pub kinds: Vec<SectionKind>,
    pub verse_class: Option<char>,
    pub chorus_class: Option<char>,
}

/// Applies the module's rule. `tallies[i]` holds the melody of `phrases[i]`.
pub fn assign_kinds(phrases: &[Phrase], tallies: &[PitchTally]) -> SectionRoles {
    let classes = melodic_classes(phrases, tallies);
    let verse_class = classes.first().map(|c| c.class);
    let others: Vec<&ClassSummary> = classes.iter().skip(1).collect();
    let repeated: Vec<&ClassSummary> = others
        .iter()
        .copied()
        .filter(|c| c.occurrences >= 2)
        .collect();
    let pool = if repeated.is_empty() {
        &others
    } else {
        &repeated
    };
    let chorus_class = pool
        .iter()
        .max_by(|a, b| a.mean_pitch.total_cmp(&b.mean_pitch))
        .map(|c| c.class);
    let kinds = phrases
        .iter()
        .map(|p| kind_of(*p, phrases, verse_class, chorus_class))
        .collect();
    SectionRoles {
        kinds,
        verse_class,
        chorus_class,
    }
}

struct ClassSummary {
    class: char,
    occurrences: usize,
    mean_pitch: f64,
}

/// Melodic classes that have notes, in order of first appearance.
fn melodic_classes(phrases: &[Phrase], tallies: &[PitchTally]) -> Vec<ClassSummary> {
    let mut order: Vec<char> = Vec::new();
    for p in phrases.iter().filter(|p| p.is_melodic_class()) {
        if !order.contains(&p.class) {
            order.push(p.class);
        }
    }
    order
        .into_iter()
        .filter_map(|class| {
            let (occurrences, tally) = phrases
                .iter()
                .zip(tallies)
                .filter(|(p, _)| p.class == class)
                .fold((0, PitchTally::default()), |(n, t), (_, x)| {
                    (
                        n + 1,
                        PitchTally {
                            sum: t.sum + x.sum,
                            notes: t.notes + x.notes,
                        },
                    )
                });
            (tally.notes > 0).then(|| ClassSummary {
                class,
                occurrences,
                mean_pitch: tally.sum / tally.notes as f64,
            })
        })
        .collect()
}

fn kind_of(
    phrase: Phrase,
    phrases: &[Phrase],
    verse: Option<char>,
    chorus: Option<char>,
) -> SectionKind {
    match phrase.class {
        'i' => SectionKind::Intro,
        'o' => SectionKind::Outro,
        c if Some(c) == verse => SectionKind::Verse,
        c if Some(c) == chorus => SectionKind::Chorus,
        'X' => SectionKind::Other,
        c if c.is_ascii_uppercase() => {
            if chorus.is_some() && always_leads_into(c, chorus, phrases) {
                SectionKind::PreChorus
            } else {
                SectionKind::Bridge
            }
        }
        _ => SectionKind::Other,
    }
}

/// Whether every run of `class` phrases is followed by a phrase of `next`, with at most
/// [`is_connector`] phrases in between.
fn always_leads_into(class: char, next: Option<char>, phrases: &[Phrase]) -> bool {
    let run_ends = (0..phrases.len()).filter(|&i| {
        phrases[i].class == class && phrases.get(i + 1).is_none_or(|p| p.class != class)
    });
    run_ends.into_iter().all(|i| {
        phrases[i + 1..]
            .iter()
            .find(|p| !is_connector(**p))
            .map(|p| p.class)
            == next
    })
}

/// A short link between phrases: an instrumental (`x`, `b` …) or unclassified (`X`) phrase of at
/// most [`CONNECTOR_BARS`] bars.
pub fn is_connector(phrase: Phrase) -> bool {
    let linking_class = phrase.class == 'X'
        || (phrase.class.is_ascii_lowercase() && !matches!(phrase.class, 'i' | 'o'));
    linking_class && phrase.bars <= CONNECTOR_BARS
}

/// The longest phrase [`is_connector`] still counts as a link.
pub const CONNECTOR_BARS: u32 = 4;

#[cfg(test)]
mod tests {
    use super::*;
    use SectionKind::*;

    fn tallies(means: &[(char, f64)], phrases: &[Phrase]) -> Vec<PitchTally> {
        phrases
            .iter()
            .map(|p| {
                means
                    .iter()
                    .find(|(c, _)| *c == p.class)
                    .map(|&(_, m)| PitchTally {
                        sum: m * 4.0,
                        notes: 4,
                    })
                    .unwrap_or_default()
            })
            .collect()
    }

    #[test]
    fn structure_labels_parse_and_bad_ones_are_refused() {
        let p = parse_structure("i4A4B8A4b4B8o3\n").unwrap();
        assert_eq!(p.len(), 7);
        assert_eq!(
            p[2],
            Phrase {
                class: 'B',
                bars: 8
            }
        );
        assert_eq!(p.iter().map(|p| p.bars).sum::<u32>(), 35);
        assert!(parse_structure("i4AB8").is_err());
        assert!(parse_structure("4A").is_err());
        assert!(parse_structure("").is_err());
        assert!(parse_structure("A0").is_err());
    }

    #[test]
    fn the_higher_repeated_class_is_the_chorus() {
        let phrases = parse_structure("i4A8B8x2A8B8C4B8o2").unwrap();
        let t = tallies(&[('A', 64.0), ('B', 68.0), ('C', 70.0)], &phrases);
        let roles = assign_kinds(&phrases, &t);
        assert_eq!(roles.verse_class, Some('A'));
        // C sits highest but occurs once, and leads into B: a pre-chorus.
        let phrases_with_link = parse_structure("A4B4B4x1C8A4B4X2C8").unwrap();
        let t2 = tallies(&[('A', 62.0), ('B', 64.0), ('C', 69.0)], &phrases_with_link);
        let linked = assign_kinds(&phrases_with_link, &t2);
        assert_eq!(linked.kinds[1..4], [PreChorus, PreChorus, Other]);
        assert_eq!(roles.chorus_class, Some('B'));
        assert_eq!(
            roles.kinds,
            [
                Intro, Verse, Chorus, Other, Verse, Chorus, PreChorus, Chorus, Outro
            ]
        );
    }

    #[test]
    fn a_repeated_c_above_b_is_the_chorus_and_b_becomes_a_pre_chorus_or_bridge() {
        let phrases = parse_structure("A4B4C8A4B4C8B4X4").unwrap();
        let t = tallies(&[('A', 62.0), ('B', 64.0), ('C', 69.0)], &phrases);
        let roles = assign_kinds(&phrases, &t);
        assert_eq!(roles.chorus_class, Some('C'));
        assert_eq!(
            roles.kinds,
            [Verse, Bridge, Chorus, Verse, Bridge, Chorus, Bridge, Other]
        );
        let phrases = parse_structure("A4B4C8A4B4C8").unwrap();
        let roles = assign_kinds(
            &phrases,
            &tallies(&[('A', 62.0), ('B', 64.0), ('C', 69.0)], &phrases),
        );
        assert_eq!(
            roles.kinds,
            [Verse, PreChorus, Chorus, Verse, PreChorus, Chorus]
        );
    }

    #[test]
    fn the_verse_is_the_first_class_even_when_it_sits_higher() {
        let phrases = parse_structure("A8B8A8B8").unwrap();
        let roles = assign_kinds(&phrases, &tallies(&[('A', 70.0), ('B', 66.0)], &phrases));
        assert_eq!(roles.kinds, [Verse, Chorus, Verse, Chorus]);
    }

    #[test]
    fn a_single_melodic_class_has_no_chorus_and_silent_classes_are_ignored() {
        let phrases = parse_structure("i4A8A8B4o2").unwrap();
        // B has no notes: it cannot be chosen.
        let roles = assign_kinds(&phrases, &tallies(&[('A', 60.0)], &phrases));
        assert_eq!(roles.chorus_class, None);
        assert_eq!(roles.kinds, [Intro, Verse, Verse, Bridge, Outro]);
        let phrases = parse_structure("i4X8").unwrap();
        let roles = assign_kinds(&phrases, &tallies(&[('X', 60.0)], &phrases));
        assert_eq!(roles.verse_class, None);
        assert_eq!(roles.kinds, [Intro, Other]);
    }
}
