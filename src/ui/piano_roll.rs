//! The piano roll, drawn with the egui painter: a keyboard with note names down the left,
//! chord notes and the melody in two colours, chord symbols over each change, the verse and
//! chorus as labelled bands, bar and beat lines, the playhead; zoom (Ctrl + wheel), scroll
//! (wheel or drag) and the note name under the pointer. What it drew is kept in a
//! [`RollLayout`] that tests (and the drag-out code) can query.

use egui::{Align2, Color32, CornerRadius, FontId, Pos2, Rect, Sense, Stroke, Vec2, pos2, vec2};

use super::bar_selection::SelectionState;
use crate::midi::voicing::voice_chord;
use crate::music::{Idea, LeadSheet, Pitch, SectionKind, Spelling, TICKS_PER_QUARTER};

/// Which line a note belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Voice {
    Chord,
    Melody,
}

/// One note on the roll, on the song's time line in grid ticks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RollNote {
    pub start: u32,
    pub end: u32,
    pub pitch: u8,
    pub voice: Voice,
}

/// A chord symbol written above the roll where the chord changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChordLabel {
    pub tick: u32,
    pub text: String,
}

/// A labelled band over a section of the song.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionBand {
    pub start: u32,
    pub end: u32,
    pub kind: SectionKind,
    pub label: String,
}

/// Everything the roll draws for one idea, on the song's time line.
#[derive(Debug, Clone, PartialEq)]
pub struct RollContent {
    pub notes: Vec<RollNote>,
    pub chord_labels: Vec<ChordLabel>,
    pub sections: Vec<SectionBand>,
    pub bar_starts: Vec<u32>,
    pub beat_ticks: u32,
    pub total_ticks: u32,
    pub spelling: Spelling,
}

impl RollContent {
    /// Lays an idea out: melody notes as written, each chord voiced low until the next change,
    /// with the same voicing the exported MIDI file plays.
    pub fn from_idea(idea: &Idea) -> RollContent {
        Self::from_sheet(idea.sheet())
    }

    /// Any lead sheet: an idea's, or a take's while it is recorded.
    pub fn from_sheet(sheet: &LeadSheet) -> RollContent {
        let total_ticks = sheet.total_ticks();
        let mut notes: Vec<RollNote> = sheet
            .melody()
            .iter()
            .map(|placed| {
                let start = placed.absolute(placed.item.onset);
                RollNote {
                    start,
                    end: (start + placed.item.duration).min(total_ticks.max(start + 1)),
                    pitch: placed.item.pitch.0,
                    voice: Voice::Melody,
                }
            })
            .collect();
        let changes = sheet.chord_changes();
        let mut chord_labels = Vec::new();
        let mut previous: Option<Vec<u8>> = None;
        for (index, placed) in changes.iter().enumerate() {
            let start = placed.absolute(placed.item.position);
            let end = changes
                .get(index + 1)
                .map(|next| next.absolute(next.item.position))
                .unwrap_or(total_ticks);
            let Some(chord) = placed.item.chord else {
                chord_labels.push(ChordLabel {
                    tick: start,
                    text: "N.C.".into(),
                });
                continue;
            };
            chord_labels.push(ChordLabel {
                tick: start,
                text: chord.name(sheet.key.spelling()),
            });
            let voicing = voice_chord(chord, previous.as_deref());
            notes.extend(voicing.iter().map(|&pitch| RollNote {
                start,
                end: end.max(start + 1),
                pitch,
                voice: Voice::Chord,
            }));
            previous = Some(voicing);
        }
        let mut sections = Vec::new();
        let mut start = 0;
        for section in &sheet.sections {
            let end = start + section.ticks();
            sections.push(SectionBand {
                start,
                end,
                kind: section.kind,
                label: section.label.clone(),
            });
            start = end;
        }
        RollContent {
            notes,
            chord_labels,
            sections,
            bar_starts: sheet.bar_starts(),
            beat_ticks: sheet.meter().beat_ticks().max(1),
            total_ticks: total_ticks.max(1),
            spelling: sheet.key.spelling(),
        }
    }

    /// The lowest and highest pitch on the roll, with a little room around them.
    pub fn pitch_range(&self) -> (u8, u8) {
        let low = self.notes.iter().map(|n| n.pitch).min().unwrap_or(48);
        let high = self.notes.iter().map(|n| n.pitch).max().unwrap_or(72);
        (low.saturating_sub(2), high.saturating_add(2).min(127))
    }

    pub fn count(&self, voice: Voice) -> usize {
        self.notes.iter().filter(|n| n.voice == voice).count()
    }
}

/// Where things were drawn in the last frame: for hit tests, hover and tests.
#[derive(Debug, Clone, PartialEq)]
pub struct RollLayout {
    /// The whole roll.
    pub rect: Rect,
    /// The note area, right of the keyboard and under the header.
    pub grid: Rect,
    pub keyboard: Rect,
    pub points_per_tick: f32,
    /// The tick at the left edge of the grid.
    pub first_tick: f32,
    pub lowest: u8,
    pub highest: u8,
    /// Notes drawn (at least partly visible), with their rectangles.
    pub visible_notes: Vec<(RollNote, Rect)>,
    /// Chord symbols drawn, with where.
    pub visible_chord_labels: Vec<(String, Pos2)>,
    /// The tick of each chord symbol drawn and the rectangle a click on it hits.
    pub chord_label_hits: Vec<(u32, Rect)>,
    /// Section bands drawn, with their rectangles.
    pub visible_sections: Vec<(String, Rect)>,
    /// Where the playhead line was drawn, if it was.
    pub playhead_x: Option<f32>,
    /// The shaded rectangle of the selected bars, if any are selected.
    pub selection_rect: Option<Rect>,
}

impl RollLayout {
    pub fn row_height(&self) -> f32 {
        self.grid.height() / f32::from(self.highest - self.lowest + 1)
    }

    pub fn tick_to_x(&self, tick: f32) -> f32 {
        self.grid.left() + (tick - self.first_tick) * self.points_per_tick
    }

    pub fn pitch_top(&self, pitch: u8) -> f32 {
        self.grid.top() + f32::from(self.highest.saturating_sub(pitch)) * self.row_height()
    }

    /// The pitch of the row at a height, if it is on the roll.
    pub fn pitch_at(&self, y: f32) -> Option<u8> {
        if y < self.grid.top() || y > self.grid.bottom() {
            return None;
        }
        let row = ((y - self.grid.top()) / self.row_height()).floor() as i32;
        u8::try_from(i32::from(self.highest) - row)
            .ok()
            .filter(|p| *p >= self.lowest)
    }
}

/// Colours of the roll, for the dark and the light theme.
struct Palette {
    background: Color32,
    black_key_row: Color32,
    white_key: Color32,
    black_key: Color32,
    key_text: Color32,
    bar_line: Color32,
    beat_line: Color32,
    chord_note: Color32,
    melody_note: Color32,
    note_outline: Color32,
    verse_band: Color32,
    chorus_band: Color32,
    other_band: Color32,
    text: Color32,
    playhead: Color32,
}

impl Palette {
    fn for_visuals(visuals: &egui::Visuals) -> Palette {
        if visuals.dark_mode {
            Palette {
                background: Color32::from_gray(30),
                black_key_row: Color32::from_gray(24),
                white_key: Color32::from_gray(210),
                black_key: Color32::from_gray(40),
                key_text: Color32::from_gray(60),
                bar_line: Color32::from_gray(110),
                beat_line: Color32::from_gray(52),
                chord_note: Color32::from_rgb(86, 148, 214),
                melody_note: Color32::from_rgb(240, 160, 60),
                note_outline: Color32::from_black_alpha(160),
                verse_band: Color32::from_rgb(52, 84, 70),
                chorus_band: Color32::from_rgb(96, 60, 88),
                other_band: Color32::from_gray(60),
                text: Color32::from_gray(230),
                playhead: Color32::from_rgb(255, 80, 80),
            }
        } else {
            Palette {
                background: Color32::from_gray(250),
                black_key_row: Color32::from_gray(236),
                white_key: Color32::WHITE,
                black_key: Color32::from_gray(50),
                key_text: Color32::from_gray(90),
                bar_line: Color32::from_gray(150),
                beat_line: Color32::from_gray(222),
                chord_note: Color32::from_rgb(60, 120, 200),
                melody_note: Color32::from_rgb(230, 130, 30),
                note_outline: Color32::from_black_alpha(120),
                verse_band: Color32::from_rgb(196, 226, 210),
                chorus_band: Color32::from_rgb(232, 202, 224),
                other_band: Color32::from_gray(220),
                text: Color32::from_gray(20),
                playhead: Color32::from_rgb(220, 30, 30),
            }
        }
    }
}

const KEYBOARD_WIDTH: f32 = 46.0;
const BAND_HEIGHT: f32 = 20.0;
const CHORD_ROW_HEIGHT: f32 = 20.0;
const MIN_POINTS_PER_TICK: f32 = 0.05;
const MAX_POINTS_PER_TICK: f32 = 20.0;

/// The roll's view state: what it shows, zoom and scroll, and what it drew last.
#[derive(Debug, Default)]
pub struct PianoRoll {
    content: Option<RollContent>,
    points_per_tick: f32,
    first_tick: f32,
    fit_on_next_frame: bool,
    layout: Option<RollLayout>,
    /// Bars chosen for redoing.
    pub bars: SelectionState,
    /// The tick of the chord symbol clicked last frame, for the window to edit.
    clicked_chord: Option<u32>,
}

impl PianoRoll {
    /// Shows an idea; it fills the view on the next frame. A selection of bars stays when
    /// the idea has those bars.
    pub fn show_idea(&mut self, idea: &Idea) {
        self.content = Some(RollContent::from_idea(idea));
        self.bars.fit_to(idea.sheet().bar_count());
        self.fit_on_next_frame = true;
    }

    /// Shows a lead sheet that is not an idea (a take from the keyboard), filling the view.
    pub fn show_sheet(&mut self, sheet: &LeadSheet) {
        self.content = Some(RollContent::from_sheet(sheet));
        self.bars.fit_to(sheet.bar_count());
        self.fit_on_next_frame = true;
    }

    /// The chord symbol (its tick) a click hit, by where the symbols were drawn last frame.
    fn chord_symbol_clicked(&self, response: &egui::Response) -> Option<u32> {
        let pos = response
            .interact_pointer_pos()
            .filter(|_| response.clicked())?;
        let layout = self.layout.as_ref()?;
        layout
            .chord_label_hits
            .iter()
            .find(|(_, rect)| rect.contains(pos))
            .map(|(tick, _)| *tick)
    }

    /// The tick of a chord symbol clicked since the last call (the window opens its editor).
    pub fn take_clicked_chord(&mut self) -> Option<u32> {
        self.clicked_chord.take()
    }

    pub fn clear(&mut self) {
        self.content = None;
        self.layout = None;
        self.bars = SelectionState::default();
    }

    /// Zooms to show the whole idea.
    pub fn fit(&mut self) {
        self.fit_on_next_frame = true;
    }

    pub fn content(&self) -> Option<&RollContent> {
        self.content.as_ref()
    }

    /// What was drawn in the last frame.
    pub fn layout(&self) -> Option<&RollLayout> {
        self.layout.as_ref()
    }

    /// Draws the roll into all the space left in `ui`. `playhead` is in grid ticks.
    pub fn ui(&mut self, ui: &mut egui::Ui, playhead: Option<f32>) -> egui::Response {
        let (rect, response) = ui.allocate_exact_size(ui.available_size(), Sense::click_and_drag());
        let palette = Palette::for_visuals(ui.visuals());
        let painter = ui.painter_at(rect);
        painter.rect_filled(rect, CornerRadius::ZERO, palette.background);
        let Some(total) = self.content.as_ref().map(|c| c.total_ticks as f32) else {
            self.layout = None;
            painter.text(
                rect.center(),
                Align2::CENTER_CENTER,
                "Press Next idea (N) for a verse and a chorus.",
                FontId::proportional(16.0),
                ui.visuals().weak_text_color(),
            );
            return response;
        };
        let grid = Rect::from_min_max(
            pos2(
                rect.left() + KEYBOARD_WIDTH,
                rect.top() + BAND_HEIGHT + CHORD_ROW_HEIGHT,
            ),
            rect.max,
        );
        if self.fit_on_next_frame || self.points_per_tick <= 0.0 {
            self.points_per_tick =
                (grid.width() / total).clamp(MIN_POINTS_PER_TICK, MAX_POINTS_PER_TICK);
            self.first_tick = 0.0;
            self.fit_on_next_frame = false;
        }
        let (first_tick, points_per_tick) = (self.first_tick, self.points_per_tick);
        let tick_at = |x: f32| first_tick + (x - grid.left()) / points_per_tick;
        let chord_hit = self.chord_symbol_clicked(&response);
        if chord_hit.is_some() {
            self.clicked_chord = chord_hit;
        }
        let selecting = match (&self.content, chord_hit) {
            (Some(content), None) => {
                self.bars
                    .follow(ui, &response, grid.top(), &content.bar_starts, tick_at)
            }
            _ => false,
        };
        if !selecting {
            self.handle_zoom_and_scroll(ui, &response, grid, total);
        }
        let Some(content) = &self.content else {
            return response;
        };
        let (lowest, highest) = content.pitch_range();
        let mut layout = RollLayout {
            rect,
            grid,
            keyboard: Rect::from_min_max(
                pos2(rect.left(), grid.top()),
                pos2(grid.left(), rect.bottom()),
            ),
            points_per_tick: self.points_per_tick,
            first_tick: self.first_tick,
            lowest,
            highest,
            visible_notes: Vec::new(),
            visible_chord_labels: Vec::new(),
            chord_label_hits: Vec::new(),
            visible_sections: Vec::new(),
            playhead_x: None,
            selection_rect: None,
        };
        let grid_painter = painter.with_clip_rect(grid);
        draw_rows(&grid_painter, &layout, &palette);
        draw_time_lines(&grid_painter, &layout, content, &palette);
        draw_notes(&grid_painter, &mut layout, content, &palette);
        draw_header(&painter, &mut layout, content, &palette);
        let roll_area = Rect::from_min_max(pos2(grid.left(), rect.top()), grid.max);
        layout.selection_rect = self.bars.draw(
            &painter,
            roll_area,
            &content.bar_starts,
            content.total_ticks,
            |t| layout.tick_to_x(t),
            ui.visuals().dark_mode,
        );
        draw_keyboard(&painter, &layout, content.spelling, &palette);
        if let Some(tick) = playhead {
            let x = layout.tick_to_x(tick);
            if (grid.left()..=grid.right()).contains(&x) {
                painter.line_segment(
                    [pos2(x, rect.top()), pos2(x, rect.bottom())],
                    Stroke::new(2.0, palette.playhead),
                );
                layout.playhead_x = Some(x);
            }
        }
        let response = show_hover(response, &layout, content.spelling);
        self.layout = Some(layout);
        response
    }

    fn handle_zoom_and_scroll(
        &mut self,
        ui: &egui::Ui,
        response: &egui::Response,
        grid: Rect,
        total: f32,
    ) {
        if response.hovered() {
            let (zoom, scroll, pointer) =
                ui.input(|i| (i.zoom_delta(), i.smooth_scroll_delta, i.pointer.hover_pos()));
            if zoom != 1.0 {
                let anchor_x = pointer.map_or(grid.center().x, |p| p.x);
                let anchor_tick = self.first_tick + (anchor_x - grid.left()) / self.points_per_tick;
                self.points_per_tick =
                    (self.points_per_tick * zoom).clamp(MIN_POINTS_PER_TICK, MAX_POINTS_PER_TICK);
                self.first_tick = anchor_tick - (anchor_x - grid.left()) / self.points_per_tick;
            }
            let sideways = if scroll.x != 0.0 { scroll.x } else { scroll.y };
            self.first_tick -= sideways / self.points_per_tick;
        }
        if response.dragged() {
            self.first_tick -= response.drag_delta().x / self.points_per_tick;
        }
        let visible_ticks = grid.width() / self.points_per_tick;
        let max_first = (total - visible_ticks).max(0.0);
        self.first_tick = self.first_tick.clamp(0.0, max_first);
    }
}

fn is_black_key(pitch: u8) -> bool {
    matches!(pitch % 12, 1 | 3 | 6 | 8 | 10)
}

fn draw_rows(painter: &egui::Painter, layout: &RollLayout, palette: &Palette) {
    let row = layout.row_height();
    for pitch in layout.lowest..=layout.highest {
        if is_black_key(pitch) {
            let top = layout.pitch_top(pitch);
            painter.rect_filled(
                Rect::from_min_max(
                    pos2(layout.grid.left(), top),
                    pos2(layout.grid.right(), top + row),
                ),
                CornerRadius::ZERO,
                palette.black_key_row,
            );
        }
    }
}

fn draw_time_lines(
    painter: &egui::Painter,
    layout: &RollLayout,
    content: &RollContent,
    palette: &Palette,
) {
    let grid = layout.grid;
    let beat_spacing = content.beat_ticks as f32 * layout.points_per_tick;
    for (index, &bar_start) in content.bar_starts.iter().enumerate() {
        let bar_end = content
            .bar_starts
            .get(index + 1)
            .copied()
            .unwrap_or(content.total_ticks);
        if beat_spacing >= 6.0 {
            let mut beat = bar_start + content.beat_ticks;
            while beat < bar_end {
                let x = layout.tick_to_x(beat as f32);
                painter.vline(x, grid.y_range(), Stroke::new(1.0, palette.beat_line));
                beat += content.beat_ticks;
            }
        }
        let x = layout.tick_to_x(bar_start as f32);
        painter.vline(x, grid.y_range(), Stroke::new(1.0, palette.bar_line));
    }
    let end = layout.tick_to_x(content.total_ticks as f32);
    painter.vline(end, grid.y_range(), Stroke::new(2.0, palette.bar_line));
}

fn draw_notes(
    painter: &egui::Painter,
    layout: &mut RollLayout,
    content: &RollContent,
    palette: &Palette,
) {
    let row = layout.row_height();
    let inset = (row * 0.08).min(1.5);
    for voice in [Voice::Chord, Voice::Melody] {
        let fill = match voice {
            Voice::Chord => palette.chord_note,
            Voice::Melody => palette.melody_note,
        };
        for note in content.notes.iter().filter(|n| n.voice == voice) {
            let top = layout.pitch_top(note.pitch);
            let note_rect = Rect::from_min_max(
                pos2(layout.tick_to_x(note.start as f32) + 0.5, top + inset),
                pos2(layout.tick_to_x(note.end as f32) - 0.5, top + row - inset),
            );
            if !note_rect.intersects(layout.grid) {
                continue;
            }
            painter.rect(
                note_rect,
                CornerRadius::same(2),
                fill,
                Stroke::new(1.0, palette.note_outline),
                egui::StrokeKind::Inside,
            );
            layout.visible_notes.push((*note, note_rect));
        }
    }
}

fn draw_header(
    painter: &egui::Painter,
    layout: &mut RollLayout,
    content: &RollContent,
    palette: &Palette,
) {
    let top = layout.rect.top();
    let clip = Rect::from_min_max(
        pos2(layout.grid.left(), top),
        pos2(layout.grid.right(), layout.grid.top()),
    );
    let header = painter.with_clip_rect(clip);
    for band in &content.sections {
        let band_rect = Rect::from_min_max(
            pos2(layout.tick_to_x(band.start as f32), top),
            pos2(layout.tick_to_x(band.end as f32), top + BAND_HEIGHT),
        );
        if !band_rect.intersects(clip) {
            continue;
        }
        let fill = match band.kind {
            SectionKind::Verse => palette.verse_band,
            SectionKind::Chorus => palette.chorus_band,
            _ => palette.other_band,
        };
        header.rect_filled(
            band_rect.shrink2(vec2(1.0, 1.0)),
            CornerRadius::same(3),
            fill,
        );
        let text_x = band_rect.left().max(clip.left()) + 6.0;
        header.text(
            pos2(text_x, band_rect.center().y),
            Align2::LEFT_CENTER,
            &band.label,
            FontId::proportional(13.0),
            palette.text,
        );
        layout
            .visible_sections
            .push((band.label.clone(), band_rect));
    }
    let chord_y = top + BAND_HEIGHT + CHORD_ROW_HEIGHT / 2.0;
    let font = FontId::proportional(13.0);
    let mut last_right = f32::NEG_INFINITY;
    for label in &content.chord_labels {
        let x = layout.tick_to_x(label.tick as f32) + 3.0;
        if x < clip.left() - 40.0 || x > clip.right() {
            continue;
        }
        // Leave out a symbol that would overprint the one before (when zoomed far out).
        if x < last_right + 4.0 {
            continue;
        }
        let drawn = header.text(
            pos2(x, chord_y),
            Align2::LEFT_CENTER,
            &label.text,
            font.clone(),
            palette.text,
        );
        last_right = drawn.right();
        layout
            .visible_chord_labels
            .push((label.text.clone(), pos2(x, chord_y)));
        layout
            .chord_label_hits
            .push((label.tick, drawn.expand2(vec2(3.0, 3.0))));
    }
}

fn draw_keyboard(
    painter: &egui::Painter,
    layout: &RollLayout,
    spelling: Spelling,
    palette: &Palette,
) {
    let keys = layout.keyboard;
    let key_painter = painter.with_clip_rect(keys);
    let row = layout.row_height();
    let font = FontId::proportional((row * 0.75).clamp(7.0, 12.0));
    for pitch in layout.lowest..=layout.highest {
        let top = layout.pitch_top(pitch);
        let key = Rect::from_min_max(pos2(keys.left(), top), pos2(keys.right(), top + row));
        let black = is_black_key(pitch);
        key_painter.rect(
            key,
            CornerRadius::ZERO,
            if black {
                palette.black_key
            } else {
                palette.white_key
            },
            Stroke::new(0.5, palette.beat_line),
            egui::StrokeKind::Inside,
        );
        let is_c = pitch % 12 == 0;
        if row >= 11.0 || is_c {
            let color = if black {
                palette.white_key
            } else {
                palette.key_text
            };
            key_painter.text(
                pos2(key.right() - 3.0, key.center().y),
                Align2::RIGHT_CENTER,
                Pitch(pitch).name(spelling),
                font.clone(),
                color,
            );
        }
    }
}

/// Shows the name of the note (or the key row) under the pointer.
fn show_hover(response: egui::Response, layout: &RollLayout, spelling: Spelling) -> egui::Response {
    let Some(pointer) = response.hover_pos() else {
        return response;
    };
    let on_note = layout
        .visible_notes
        .iter()
        .rev()
        .find(|(_, rect)| rect.contains(pointer))
        .map(|(note, _)| *note);
    let text = match on_note {
        Some(note) => {
            let part = match note.voice {
                Voice::Chord => "chord",
                Voice::Melody => "melody",
            };
            format!("{} · {part}", Pitch(note.pitch).name(spelling))
        }
        None => match layout.pitch_at(pointer.y) {
            Some(pitch) => Pitch(pitch).name(spelling),
            None => return response,
        },
    };
    response.on_hover_text_at_pointer(text)
}

/// Converts seconds of playback into grid ticks at a tempo.
pub fn seconds_to_ticks(seconds: f64, bpm: f64) -> f32 {
    (seconds * bpm / 60.0 * f64::from(TICKS_PER_QUARTER)) as f32
}

/// A drawn size that keeps a 16-bar idea readable: used by tests and the window's minimum size.
pub const MIN_ROLL_SIZE: Vec2 = vec2(480.0, 240.0);
