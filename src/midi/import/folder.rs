//! Importing a folder of songs: every MIDI file under it, on every core, with one row per file
//! saying what was read (melody track, key and its evidence, meter, bars, sections) or why the
//! file was skipped. The retrain panel shows these rows as a table and exports them as CSV.

use std::cmp::Ordering;
use std::path::{Path, PathBuf};

use super::key::{KeyAgreement, KeyEvidence};
use super::melody::MelodyTrack;
use super::{Imported, SectionSource, import_file};
use crate::midi::MidiError;
use crate::music::{LeadSheet, Meter, Section, SectionKind};

/// The songs of a folder, and the files that could not be imported with the reason.
#[derive(Debug, Clone, Default)]
pub struct FolderImport {
    pub songs: Vec<(PathBuf, LeadSheet)>,
    pub skipped: Vec<(PathBuf, String)>,
    /// Damaged files imported anyway, with what was lost (see [`ImportReport::warnings`]).
    pub warnings: Vec<(PathBuf, String)>,
    /// One row per file (and per unreadable folder), in path order: what was read, or why not.
    pub files: Vec<FileRow>,
}

/// How a folder is imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FolderOptions {
    /// Skip damaged files (those with warnings) instead of importing what they hold.
    pub strict: bool,
    /// Infer the sections of songs without markers (on by default). Off, such a song is one
    /// `Other` section, as before inference existed: for measuring what inference brings.
    pub infer_sections: bool,
}

impl Default for FolderOptions {
    fn default() -> Self {
        FolderOptions {
            strict: false,
            infer_sections: true,
        }
    }
}

/// Imports every `*.mid` / `*.midi` file (any case) under `dir`, recursively, in sorted path
/// order. A file that fails is skipped with its reason and the rest goes on; folders that cannot
/// be read are skipped the same way. Symbolic links to folders are not followed (no loops).
/// A missing or unreadable `dir` is an error. Files are imported on every core. Damaged files
/// are imported with a warning.
pub fn import_folder(dir: &Path) -> Result<FolderImport, MidiError> {
    import_folder_with(dir, FolderOptions::default())
}

/// [`import_folder`] with options: with `strict`, a damaged file is skipped, its reason the
/// damage.
pub fn import_folder_with(dir: &Path, options: FolderOptions) -> Result<FolderImport, MidiError> {
    let mut result = FolderImport::default();
    let files = midi_files_under(dir, &mut result.skipped)?;
    result
        .files
        .extend(result.skipped.iter().map(|(path, why)| FileRow {
            path: path.clone(),
            outcome: FileOutcome::Skipped(why.clone()),
        }));
    let outcomes = import_in_parallel(&files);
    for (path, outcome) in files.into_iter().zip(outcomes) {
        let row = match outcome {
            Ok(mut imported) => {
                if !options.infer_sections {
                    forget_inferred_sections(&mut imported);
                }
                let summary = SongSummary::of(&imported);
                if imported.report.warnings.is_empty() {
                    result.songs.push((path.clone(), imported.sheet));
                    FileOutcome::Read(summary)
                } else if options.strict {
                    let what = imported.report.warnings.join("; ");
                    let why = format!("damaged ({what}); skipped as --strict asks");
                    result.skipped.push((path.clone(), why.clone()));
                    FileOutcome::Skipped(why)
                } else {
                    let what = imported.report.warnings.join("; ");
                    result.warnings.push((path.clone(), what));
                    result.songs.push((path.clone(), imported.sheet));
                    FileOutcome::Read(summary)
                }
            }
            Err(error) => {
                let why = reason(error);
                result.skipped.push((path.clone(), why.clone()));
                FileOutcome::Skipped(why)
            }
        };
        result.files.push(FileRow { path, outcome: row });
    }
    result.skipped.sort_by(|a, b| a.0.cmp(&b.0));
    result.files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(result)
}

/// Makes a song whose sections were inferred one `Other` section (marked songs keep theirs).
fn forget_inferred_sections(imported: &mut Imported) {
    if imported.report.sections != SectionSource::Inferred {
        return;
    }
    let bars: Vec<_> = imported
        .sheet
        .sections
        .drain(..)
        .flat_map(|s| s.bars)
        .collect();
    imported.sheet.sections = vec![Section::new(SectionKind::Other, bars)];
    imported.report.section_keys.truncate(1);
    imported.report.sections = SectionSource::None;
}

/// Every `*.mid` / `*.midi` file under `dir`, recursively, sorted; folders that cannot be read
/// are added to `skipped` with the reason. A missing or unreadable `dir` is an error.
pub(crate) fn midi_files_under(
    dir: &Path,
    skipped: &mut Vec<(PathBuf, String)>,
) -> Result<Vec<PathBuf>, MidiError> {
    let top = std::fs::read_dir(dir).map_err(|reason| MidiError::Io {
        path: dir.to_path_buf(),
        reason,
    })?;
    let mut files = Vec::new();
    collect_midi_files(top, &mut files, skipped);
    files.sort();
    Ok(files)
}

/// Imports files on every core (the order of the results is the order of `files`).
fn import_in_parallel(files: &[PathBuf]) -> Vec<Result<Imported, MidiError>> {
    use rayon::prelude::*;
    files.par_iter().map(|path| import_file(path)).collect()
}

/// An error's message without the file name (the caller shows the path beside it).
fn reason(error: MidiError) -> String {
    match error {
        MidiError::File { reason, .. } => reason.to_string(),
        MidiError::Io { reason, .. } => reason.to_string(),
        other => other.to_string(),
    }
}

fn is_midi_name(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("mid") || e.eq_ignore_ascii_case("midi"))
}

fn collect_midi_files(
    entries: std::fs::ReadDir,
    files: &mut Vec<PathBuf>,
    skipped: &mut Vec<(PathBuf, String)>,
) {
    for entry in entries {
        let entry = match entry {
            Ok(entry) => entry,
            Err(error) => {
                skipped.push((PathBuf::new(), format!("a folder entry: {error}")));
                continue;
            }
        };
        let path = entry.path();
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        if is_dir {
            match std::fs::read_dir(&path) {
                Ok(inner) => collect_midi_files(inner, files, skipped),
                Err(error) => skipped.push((path, format!("folder not readable: {error}"))),
            }
        } else if is_midi_name(&path) {
            files.push(path);
        }
    }
}

/// One file of a folder import, as the retrain panel's table shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct FileRow {
    pub path: PathBuf,
    pub outcome: FileOutcome,
}

/// A file that was read (perhaps despite damage), or skipped with the reason.
#[derive(Debug, Clone, PartialEq)]
pub enum FileOutcome {
    Read(SongSummary),
    Skipped(String),
}

/// What the importer decided for one song.
#[derive(Debug, Clone, PartialEq)]
pub struct SongSummary {
    pub melody_track: Option<MelodyTrack>,
    pub key: KeyEvidence,
    /// The meter of the first full bar.
    pub meter: Meter,
    pub bars: usize,
    /// The kind of every section, in order.
    pub sections: Vec<SectionKind>,
    pub sections_source: SectionSource,
    /// Damage the file was read despite.
    pub warnings: Vec<String>,
}

impl SongSummary {
    pub fn of(imported: &Imported) -> Self {
        let sheet = &imported.sheet;
        SongSummary {
            melody_track: imported.report.melody_track.clone(),
            key: imported.report.key,
            meter: sheet.meter(),
            bars: sheet.bar_count(),
            sections: sheet.sections.iter().map(|s| s.kind).collect(),
            sections_source: imported.report.sections,
            warnings: imported.report.warnings.clone(),
        }
    }
}

/// A column of the folder table (and of its CSV).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileColumn {
    File,
    MelodyTrack,
    Key,
    Signature,
    Meter,
    Bars,
    Sections,
    SectionsFrom,
    Status,
}

impl FileColumn {
    pub const ALL: [FileColumn; 9] = [
        FileColumn::File,
        FileColumn::MelodyTrack,
        FileColumn::Key,
        FileColumn::Signature,
        FileColumn::Meter,
        FileColumn::Bars,
        FileColumn::Sections,
        FileColumn::SectionsFrom,
        FileColumn::Status,
    ];

    /// The column's heading.
    pub fn title(self) -> &'static str {
        match self {
            FileColumn::File => "File",
            FileColumn::MelodyTrack => "Melody track",
            FileColumn::Key => "Key",
            FileColumn::Signature => "Key signature",
            FileColumn::Meter => "Meter",
            FileColumn::Bars => "Bars",
            FileColumn::Sections => "Sections",
            FileColumn::SectionsFrom => "Sections from",
            FileColumn::Status => "Status",
        }
    }
}

impl FileRow {
    /// The file's name (the whole path when it has none).
    pub fn name(&self) -> String {
        self.path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| self.path.display().to_string())
    }

    pub fn summary(&self) -> Option<&SongSummary> {
        match &self.outcome {
            FileOutcome::Read(summary) => Some(summary),
            FileOutcome::Skipped(_) => None,
        }
    }

    pub fn is_skipped(&self) -> bool {
        matches!(self.outcome, FileOutcome::Skipped(_))
    }

    /// The row's text in `column` ("" where a skipped file has nothing to say).
    pub fn cell(&self, column: FileColumn) -> String {
        let summary = match (&self.outcome, column) {
            (_, FileColumn::File) => return self.name(),
            (FileOutcome::Skipped(why), FileColumn::Status) => return format!("skipped: {why}"),
            (FileOutcome::Skipped(_), _) => return String::new(),
            (FileOutcome::Read(summary), _) => summary,
        };
        match column {
            FileColumn::File => self.name(),
            FileColumn::MelodyTrack => melody_track_text(summary.melody_track.as_ref()),
            FileColumn::Key => summary.key.key.to_string(),
            FileColumn::Signature => signature_text(&summary.key),
            FileColumn::Meter => summary.meter.to_string(),
            FileColumn::Bars => summary.bars.to_string(),
            FileColumn::Sections => sections_text(&summary.sections),
            FileColumn::SectionsFrom => sections_source_text(summary.sections_source).into(),
            FileColumn::Status if summary.warnings.is_empty() => "read".into(),
            FileColumn::Status => format!("read, damaged: {}", summary.warnings.join("; ")),
        }
    }

    /// Orders two rows by `column`: bars by number (skipped files first), the rest by their text.
    pub fn compare(&self, other: &FileRow, column: FileColumn) -> Ordering {
        let by_column = match column {
            FileColumn::Bars => {
                let bars = |row: &FileRow| row.summary().map(|s| s.bars);
                bars(self).cmp(&bars(other))
            }
            _ => self.cell(column).cmp(&other.cell(column)),
        };
        by_column.then_with(|| self.path.cmp(&other.path))
    }
}

/// `MELODY (track 1, by name)`, `Piano (track 3, by the music)`, `none`.
fn melody_track_text(track: Option<&MelodyTrack>) -> String {
    let Some(track) = track else {
        return "none".into();
    };
    let name = if track.name.trim().is_empty() {
        "unnamed"
    } else {
        track.name.trim()
    };
    let how = if track.by_name {
        "by name"
    } else {
        "by the music"
    };
    format!("{name} (track {}, {how})", track.track)
}

/// `none`, `C (agrees)`, `C (kept: near tie)`, `C (overruled)`.
fn signature_text(key: &KeyEvidence) -> String {
    let Some(signature) = key.signature else {
        return "none".into();
    };
    let verdict = match key.agreement {
        KeyAgreement::NoSignature | KeyAgreement::Agrees => "agrees",
        KeyAgreement::NearTie => "kept: near tie",
        KeyAgreement::Overruled => "overruled",
    };
    format!("{signature} ({verdict})")
}

/// The kinds in order of first appearance, with their counts: `Verse ×2, Chorus ×3, Outro`.
fn sections_text(kinds: &[SectionKind]) -> String {
    let mut counts: Vec<(SectionKind, usize)> = Vec::new();
    for kind in kinds {
        match counts.iter_mut().find(|(k, _)| k == kind) {
            Some((_, n)) => *n += 1,
            None => counts.push((*kind, 1)),
        }
    }
    counts
        .iter()
        .map(|(kind, n)| match n {
            1 => kind.name().to_string(),
            n => format!("{} ×{n}", kind.name()),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn sections_source_text(source: SectionSource) -> &'static str {
    match source {
        SectionSource::Marked => "markers",
        SectionSource::Inferred => "inferred",
        SectionSource::None => "none found",
    }
}

/// The rows as CSV, a heading line first (the columns of [`FileColumn::ALL`]) and the full path
/// as the last column.
pub fn files_csv(rows: &[FileRow]) -> Result<String, csv::Error> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let mut heading: Vec<&str> = FileColumn::ALL.iter().map(|c| c.title()).collect();
    heading.push("Path");
    writer.write_record(&heading)?;
    for row in rows {
        let mut record: Vec<String> = FileColumn::ALL.iter().map(|c| row.cell(*c)).collect();
        record.push(row.path.display().to_string());
        writer.write_record(&record)?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| csv::Error::from(e.into_error()))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::music::Key;

    fn read(bars: usize, sections: Vec<SectionKind>, agreement: KeyAgreement) -> FileRow {
        let key: Key = "D".parse().unwrap();
        FileRow {
            path: PathBuf::from(format!("/songs/{bars}.mid")),
            outcome: FileOutcome::Read(SongSummary {
                melody_track: None,
                key: KeyEvidence {
                    key,
                    signature: Some("C".parse().unwrap()),
                    estimate: key,
                    agreement,
                },
                meter: Meter::new(4, 4).unwrap(),
                bars,
                sections,
                sections_source: SectionSource::Inferred,
                warnings: Vec::new(),
            }),
        }
    }

    #[test]
    fn cells_say_what_was_read_and_why_a_file_was_skipped() {
        use SectionKind::*;
        let row = read(
            32,
            vec![Verse, Chorus, Verse, Chorus, Chorus],
            KeyAgreement::Overruled,
        );
        assert_eq!(row.cell(FileColumn::Sections), "Verse ×2, Chorus ×3");
        assert_eq!(row.cell(FileColumn::Signature), "C (overruled)");
        assert_eq!(row.cell(FileColumn::Key), "D");
        assert_eq!(row.cell(FileColumn::MelodyTrack), "none");
        assert_eq!(row.cell(FileColumn::Status), "read");
        let skipped = FileRow {
            path: PathBuf::from("/songs/bad.mid"),
            outcome: FileOutcome::Skipped("not a MIDI file".into()),
        };
        assert_eq!(skipped.cell(FileColumn::Status), "skipped: not a MIDI file");
        assert_eq!(skipped.cell(FileColumn::Bars), "");
        assert_eq!(skipped.cell(FileColumn::File), "bad.mid");
    }

    #[test]
    fn bars_sort_by_number_and_skipped_files_first() {
        let rows = [
            read(100, vec![], KeyAgreement::Agrees),
            read(9, vec![], KeyAgreement::Agrees),
            FileRow {
                path: PathBuf::from("/songs/bad.mid"),
                outcome: FileOutcome::Skipped("empty".into()),
            },
        ];
        let mut sorted: Vec<&FileRow> = rows.iter().collect();
        sorted.sort_by(|a, b| a.compare(b, FileColumn::Bars));
        let names: Vec<String> = sorted.iter().map(|r| r.name()).collect();
        assert_eq!(
            names,
            ["bad.mid", "9.mid", "100.mid"],
            "9 before 100, not as text"
        );
    }

    #[test]
    fn csv_quotes_commas_and_keeps_the_full_path() {
        let row = read(
            8,
            vec![SectionKind::Verse, SectionKind::Chorus],
            KeyAgreement::Agrees,
        );
        let csv = files_csv(&[row]).unwrap();
        let mut lines = csv.lines();
        assert_eq!(
            lines.next().unwrap(),
            "File,Melody track,Key,Key signature,Meter,Bars,Sections,Sections from,Status,Path"
        );
        assert_eq!(
            lines.next().unwrap(),
            "8.mid,none,D,C (agrees),4/4,8,\"Verse, Chorus\",inferred,read,/songs/8.mid"
        );
    }
}
