//! `songsketch inspect FILE.mid [--json]`: imports one MIDI file and prints its lead sheet —
//! meter, tempo, key, sections with bar numbers, chord symbols per bar and melody notes.
//!
//! # The `--json` schema (stable; scripts and tests read it)
//!
//! One object. Positions and lengths are grid ticks, 12 per quarter note.
//!
//! ```text
//! {
//!   "title": string,
//!   "key": string,              // musicians' form: "C", "Am", "F#m", "Bb"
//!   "tempo_bpm": number,
//!   "meter": string,            // of the first full bar: "4/4", "6/8"
//!   "ticks_per_quarter": 12,
//!   "bar_count": integer,
//!   "pickup_ticks": integer | null,   // length of a leading pickup bar, null without one
//!   "melody_track": {           // where the melody came from; null when the file has none
//!     "track": integer,         // the track's index in the file, 0 = the first
//!     "channel": integer,       // MIDI channel, 0-based
//!     "name": string,           // the track's name, "" without one
//!     "by_name": bool           // true: its name said melody/vocal/lead…; false: chosen by the music
//!   } | null,
//!   "key_evidence": {
//!     "signature": string | null,   // the file's first key signature, null without one
//!     "estimate": string,           // the key the notes give
//!     "agreement": "no_signature" | "agrees" | "near_tie" | "overruled"
//!                                   // near_tie: the signature kept; overruled: "key" is the estimate
//!   },
//!   "sections_source": "marked" | "inferred" | "none",   // from the file's markers, from the
//!                               // music, or none (no markers and too long to infer: one Other)
//!   "warnings": [string],       // damage the file was read despite ("track 2 ends early at byte 300; 13 bars read")
//!   "sections": [{
//!     "kind": "Intro" | "Verse" | "PreChorus" | "Chorus" | "Bridge" | "Outro" | "Other",
//!     "label": string,          // the marker text it was named with, or the kind's name
//!     "first_bar": integer,     // bar number of its first bar
//!     "key": string,            // the song's key, or the key this section has moved to
//!     "bars": [{
//!       "number": integer,      // a pickup is bar 0, the first full bar is bar 1
//!       "start": integer,       // from the song's start
//!       "meter": string,
//!       "length": integer,
//!       "chords": [{ "position": integer, "symbol": string }],   // from the bar start; "N.C." = no chord
//!       "melody": [{ "onset": integer, "duration": integer, "pitch": integer,
//!                    "name": string, "velocity": integer }]      // onset from the bar start;
//!                                                               // name spelled for the key: "F#4"
//!     }]
//!   }]
//! }
//! ```

use std::path::PathBuf;

use anyhow::Context;
use serde::Serialize;

use crate::midi::import::key::KeyAgreement;
use crate::midi::import::melody::MelodyTrack;
use crate::midi::import::{ImportReport, SectionSource, import_file};
use crate::music::{LeadSheet, TICKS_PER_QUARTER};

/// Print the lead sheet read from a MIDI file.
#[derive(Debug, clap::Args)]
pub struct InspectArgs {
    /// The MIDI file (.mid) to read.
    pub file: PathBuf,
    /// Print JSON (schema in the module docs of `src/cli/inspect.rs`) instead of text.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: InspectArgs) -> anyhow::Result<()> {
    let imported = import_file(&args.file)?;
    for warning in &imported.report.warnings {
        eprintln!("warning: {} is damaged: {warning}", args.file.display());
    }
    let view = SheetView::of(&imported.sheet).with_report(&imported.report);
    if args.json {
        let text = serde_json::to_string_pretty(&view).context("writing the lead sheet as JSON")?;
        println!("{text}");
    } else {
        print!("{}", view.text());
    }
    Ok(())
}

/// The lead sheet as `--json` shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SheetView {
    pub title: String,
    pub key: String,
    pub tempo_bpm: f64,
    pub meter: String,
    pub ticks_per_quarter: u32,
    pub bar_count: usize,
    pub pickup_ticks: Option<u32>,
    pub melody_track: Option<MelodyTrack>,
    pub key_evidence: KeyEvidenceView,
    pub sections_source: SectionSource,
    pub warnings: Vec<String>,
    pub sections: Vec<SectionView>,
}

/// What the key was decided from, as `--json` shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeyEvidenceView {
    pub signature: Option<String>,
    pub estimate: String,
    pub agreement: KeyAgreement,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SectionView {
    pub kind: crate::music::SectionKind,
    pub label: String,
    pub first_bar: usize,
    pub key: String,
    pub bars: Vec<BarView>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BarView {
    pub number: usize,
    pub start: u32,
    pub meter: String,
    pub length: u32,
    pub chords: Vec<ChordView>,
    pub melody: Vec<NoteView>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChordView {
    pub position: u32,
    pub symbol: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NoteView {
    pub onset: u32,
    pub duration: u32,
    pub pitch: u8,
    pub name: String,
    pub velocity: u8,
}

impl SheetView {
    pub fn of(sheet: &LeadSheet) -> Self {
        let spelling = sheet.key.spelling();
        let first_is_pickup = sheet.bars().next().is_some_and(|b| b.is_pickup());
        let mut number = if first_is_pickup { 0 } else { 1 };
        let mut start = 0;
        let sections = sheet
            .sections
            .iter()
            .map(|section| {
                let first_bar = number;
                let bars = section
                    .bars
                    .iter()
                    .map(|bar| {
                        let view = BarView {
                            number,
                            start,
                            meter: bar.meter.to_string(),
                            length: bar.length,
                            chords: bar
                                .chords
                                .iter()
                                .map(|c| ChordView {
                                    position: c.position,
                                    symbol: c
                                        .chord
                                        .map_or("N.C.".to_string(), |c| c.name(spelling)),
                                })
                                .collect(),
                            melody: bar
                                .melody
                                .iter()
                                .map(|n| NoteView {
                                    onset: n.onset,
                                    duration: n.duration,
                                    pitch: n.pitch.0,
                                    name: n.pitch.name(spelling),
                                    velocity: n.velocity,
                                })
                                .collect(),
                        };
                        number += 1;
                        start += bar.length;
                        view
                    })
                    .collect();
                SectionView {
                    kind: section.kind,
                    label: section.label.clone(),
                    first_bar,
                    key: sheet.key.to_string(),
                    bars,
                }
            })
            .collect();
        SheetView {
            title: sheet.title.clone(),
            key: sheet.key.to_string(),
            tempo_bpm: sheet.tempo.bpm(),
            meter: sheet.meter().to_string(),
            ticks_per_quarter: TICKS_PER_QUARTER,
            bar_count: sheet.bar_count(),
            pickup_ticks: sheet
                .bars()
                .next()
                .filter(|b| b.is_pickup())
                .map(|b| b.length),
            melody_track: None,
            key_evidence: KeyEvidenceView {
                signature: None,
                estimate: sheet.key.to_string(),
                agreement: KeyAgreement::NoSignature,
            },
            sections_source: SectionSource::Marked,
            warnings: Vec::new(),
            sections,
        }
    }

    /// The view with what the importer reported: the melody's track, the key's evidence, the
    /// sections' source and any damage.
    pub fn with_report(self, report: &ImportReport) -> Self {
        SheetView {
            melody_track: report.melody_track.clone(),
            key_evidence: KeyEvidenceView {
                signature: report.key.signature.map(|k| k.to_string()),
                estimate: report.key.estimate.to_string(),
                agreement: report.key.agreement,
            },
            sections_source: report.sections,
            warnings: report.warnings.clone(),
            sections: self
                .sections
                .into_iter()
                .enumerate()
                .map(|(index, section)| SectionView {
                    key: report
                        .section_keys
                        .get(index)
                        .map_or(section.key.clone(), |k| k.to_string()),
                    ..section
                })
                .collect(),
            ..self
        }
    }

    /// The human-readable form: a header, then one line per bar under its section.
    pub fn text(&self) -> String {
        let mut out = format!(
            "{}\nmeter {} · tempo {:.1} BPM · key {} · {} bars",
            self.title, self.meter, self.tempo_bpm, self.key, self.bar_count
        );
        let evidence = &self.key_evidence;
        let key_note = match (evidence.agreement, &evidence.signature) {
            (KeyAgreement::Overruled, Some(signature)) => {
                format!(" (the signature says {signature}; the notes overrule it)")
            }
            (KeyAgreement::NearTie, Some(_)) => {
                format!(
                    " (from the signature; the notes lean to {})",
                    evidence.estimate
                )
            }
            _ => String::new(),
        };
        out.push_str(&key_note);
        if let Some(pickup) = self.pickup_ticks {
            out.push_str(&format!(" (pickup of {pickup} ticks)"));
        }
        if let Some(track) = &self.melody_track {
            let name = if track.name.is_empty() {
                "no name".to_string()
            } else {
                format!("\"{}\"", track.name)
            };
            out.push_str(&format!(
                "\nmelody from track {} ({name}, channel {}); sections {}",
                track.track + 1,
                track.channel + 1,
                match self.sections_source {
                    SectionSource::Marked => "from markers",
                    SectionSource::Inferred => "inferred from the music",
                    SectionSource::None => "not found (no markers; too long to infer)",
                }
            ));
        }
        out.push_str(&format!(
            "\npositions in ticks, {} per quarter; chords as SYMBOL@position\n",
            self.ticks_per_quarter
        ));
        for section in &self.sections {
            let last = section.first_bar + section.bars.len().saturating_sub(1);
            out.push_str(&format!(
                "\n[{}] \"{}\" bars {}–{}{}\n",
                section.kind.name(),
                section.label,
                section.first_bar,
                last,
                if section.key == self.key {
                    String::new()
                } else {
                    format!(" (in {})", section.key)
                }
            ));
            for bar in &section.bars {
                let chords: Vec<String> = bar
                    .chords
                    .iter()
                    .map(|c| format!("{}@{}", c.symbol, c.position))
                    .collect();
                let notes: Vec<&str> = bar.melody.iter().map(|n| n.name.as_str()).collect();
                out.push_str(&format!(
                    "{:>4} {:<5} {:<24} | {}\n",
                    bar.number,
                    bar.meter,
                    chords.join(" "),
                    notes.join(" ")
                ));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::music::{Bar, ChordChange, Key, Meter, Note, Pitch, Section, SectionKind, Tempo};

    #[test]
    fn the_view_numbers_bars_from_the_pickup_and_spells_for_the_key() {
        let mut pickup = Bar::pickup(Meter::FOUR_FOUR, 12);
        pickup.melody.push(Note {
            onset: 0,
            duration: 12,
            pitch: Pitch(70),
            velocity: 80,
        });
        let mut full = Bar::new(Meter::FOUR_FOUR);
        full.chords.push(ChordChange {
            position: 0,
            chord: Some("Bb".parse().unwrap()),
        });
        full.chords.push(ChordChange {
            position: 24,
            chord: None,
        });
        let sheet = LeadSheet {
            title: "t".into(),
            key: "F".parse::<Key>().unwrap(),
            tempo: Tempo::default(),
            sections: vec![
                Section::new(SectionKind::Verse, vec![pickup]),
                Section::new(SectionKind::Chorus, vec![full]),
            ],
        };
        let view = SheetView::of(&sheet);
        assert_eq!(view.pickup_ticks, Some(12));
        assert_eq!(view.sections[0].bars[0].number, 0);
        assert_eq!(view.sections[0].bars[0].melody[0].name, "Bb4");
        assert_eq!(view.sections[1].first_bar, 1);
        assert_eq!(view.sections[1].bars[0].start, 12);
        let symbols: Vec<&str> = view.sections[1].bars[0]
            .chords
            .iter()
            .map(|c| c.symbol.as_str())
            .collect();
        assert_eq!(symbols, ["Bb", "N.C."]);
        let json = serde_json::to_value(&view).unwrap();
        assert_eq!(json["sections"][1]["kind"], "Chorus");
        assert!(view.text().contains("Bb@0 N.C.@24"));
    }
}
