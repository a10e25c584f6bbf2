//! A plain-text table of set metrics, one column per set (e.g. the model beside real songs).
//! [`rows`] and [`render`] are public so a caller can add rows of its own (validation loss …).

use super::metrics::SetMetrics;

/// One row: its name and one cell per column.
pub type Row = (String, Vec<String>);

/// The metric table for the given named sets.
pub fn table(columns: &[(&str, &SetMetrics)]) -> String {
    let headers: Vec<&str> = columns.iter().map(|(name, _)| *name).collect();
    let sets: Vec<&SetMetrics> = columns.iter().map(|(_, set)| *set).collect();
    render(&headers, &rows(&sets))
}

/// The metric rows for `sets`, in the order of the columns.
pub fn rows(sets: &[&SetMetrics]) -> Vec<Row> {
    let row = |name: &str, cell: &dyn Fn(&SetMetrics) -> String| -> Row {
        (name.to_string(), sets.iter().map(|s| cell(s)).collect())
    };
    let mut out = vec![
        row("ideas", &|s| s.ideas.to_string()),
        row("chord-tone ratio on beats", &|s| {
            fixed(s.chord_tone_ratio_on_beats, 3)
        }),
        row("in-key ratio (sheet's key)", &|s| fixed(s.in_key_ratio, 3)),
        row("scale consistency (best scale)", &|s| {
            fixed(s.scale_consistency, 3)
        }),
        row("pitch-class entropy (bits)", &|s| {
            fixed(s.pitch_class_entropy, 3)
        }),
    ];
    let distances = sets.first().map(|s| s.bar_similarity.len()).unwrap_or(0);
    for i in 0..distances {
        let d = sets[0].bar_similarity[i].distance;
        out.push(row(&format!("bar similarity at {d}"), &|s| {
            fixed(s.bar_similarity.get(i).and_then(|x| x.mean), 3)
        }));
    }
    for i in 0..distances {
        let d = sets[0].bar_similarity[i].distance;
        out.push(row(&format!("  same, bars shuffled, at {d}"), &|s| {
            fixed(s.shuffled_bar_similarity.get(i).and_then(|x| x.mean), 3)
        }));
    }
    out.extend([
        row("chorus chords differ from verse", &|s| {
            fixed(s.chorus_chords_differ, 3)
        }),
        row("chorus minus verse pitch (semitones)", &|s| {
            signed(s.chorus_minus_verse_pitch)
        }),
        row("longest same-pitch run (max)", &|s| {
            s.longest_same_pitch_run_max.to_string()
        }),
        row("longest same-pitch run (mean)", &|s| {
            fixed(s.longest_same_pitch_run_mean, 2)
        }),
        row("ideas with a same-pitch run over 8", &|s| {
            fixed(s.long_same_pitch_run_share, 3)
        }),
        row("melody notes per bar", &|s| fixed(s.notes_per_bar, 2)),
        row("melody notes shorter than an eighth", &|s| {
            fixed(s.short_note_share, 3)
        }),
        row("melody sounding share (legato)", &|s| {
            fixed(s.sounding_share, 3)
        }),
        row("melody onsets off the 16th grid", &|s| {
            fixed(s.off_grid_share, 3)
        }),
        row("chords per bar", &|s| fixed(s.chords_per_bar, 2)),
        row("most chords in one bar (mean over ideas)", &|s| {
            fixed(s.busiest_bar_chords, 2)
        }),
        row("distinct verse progressions", &|s| {
            s.distinct_verse_progressions.to_string()
        }),
        row("distinct verse openings (downbeat roots, 4 bars)", &|s| {
            s.distinct_verse_openings.to_string()
        }),
        row("verse progression distance (mean of pairs)", &|s| {
            fixed(s.verse_progression_distance, 3)
        }),
        row("most bars copied from a training song", &|s| {
            s.most_copied_bars.map_or("-".into(), |n| n.to_string())
        }),
    ]);
    out
}

fn fixed(value: Option<f64>, places: usize) -> String {
    value.map_or("-".into(), |v| format!("{v:.places$}"))
}

fn signed(value: Option<f64>) -> String {
    value.map_or("-".into(), |v| format!("{v:+.2}"))
}

/// Lays rows out under headers: names left-aligned, cells right-aligned.
pub fn render(headers: &[&str], rows: &[Row]) -> String {
    let name_width = rows
        .iter()
        .map(|(n, _)| n.chars().count())
        .max()
        .unwrap_or(0);
    let widths: Vec<usize> = headers
        .iter()
        .enumerate()
        .map(|(i, h)| {
            rows.iter()
                .filter_map(|(_, cells)| cells.get(i))
                .map(|c| c.chars().count())
                .chain([h.chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = format!("{:name_width$}", "");
    for (h, w) in headers.iter().zip(&widths) {
        out.push_str(&format!("  {h:>w$}"));
    }
    out.push('\n');
    for (name, cells) in rows {
        out.push_str(&format!("{name:name_width$}"));
        for (i, w) in widths.iter().enumerate() {
            let cell = cells.get(i).map_or("", String::as_str);
            out.push_str(&format!("  {cell:>w$}"));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::{DistanceSimilarity, SetMetrics};

    fn set(ratio: f64) -> SetMetrics {
        SetMetrics {
            ideas: 100,
            chord_tone_ratio_on_beats: Some(ratio),
            in_key_ratio: None,
            scale_consistency: Some(0.97),
            pitch_class_entropy: Some(2.5),
            bar_similarity: vec![DistanceSimilarity {
                distance: 4,
                mean: Some(0.5),
            }],
            shuffled_bar_similarity: vec![DistanceSimilarity {
                distance: 4,
                mean: Some(0.2),
            }],
            chorus_chords_differ: Some(0.9),
            chorus_minus_verse_pitch: Some(3.0),
            longest_same_pitch_run_max: 7,
            longest_same_pitch_run_mean: Some(3.5),
            long_same_pitch_run_share: Some(0.0),
            notes_per_bar: Some(4.0),
            short_note_share: Some(0.2),
            sounding_share: Some(0.7),
            off_grid_share: Some(0.0),
            chords_per_bar: Some(1.5),
            busiest_bar_chords: Some(2.0),
            distinct_verse_progressions: 95,
            distinct_verse_openings: 40,
            verse_progression_distance: Some(0.6),
            most_copied_bars: Some(2),
        }
    }

    #[test]
    fn the_table_lines_up_columns_and_shows_missing_values() {
        let text = table(&[("model", &set(0.7)), ("real songs", &set(0.72))]);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].ends_with("model  real songs"));
        let ratio = lines.iter().find(|l| l.starts_with("chord-tone")).unwrap();
        assert!(ratio.ends_with("0.700       0.720"), "{ratio}");
        let key = lines.iter().find(|l| l.starts_with("in-key")).unwrap();
        assert!(key.ends_with("-           -"), "{key}");
        assert!(text.contains("+3.00"));
        assert!(text.contains("bar similarity at 4"));
        let widths: HashSet<usize> = lines.iter().map(|l| l.chars().count()).collect();
        assert_eq!(widths.len(), 1, "every line as wide:\n{text}");
    }

    use std::collections::HashSet;
}
