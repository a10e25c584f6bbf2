//! Choosing bars on the piano roll to redo them: drag across the header (the section bands and
//! chord symbols) to select a span, click there to select one bar, shift-click anywhere on the
//! roll to stretch the selection to a bar. While the worker writes the bars, the selection says
//! so.

use egui::{Align2, Color32, CornerRadius, FontId, Rect, Response, pos2};

/// Bars chosen on the roll, 0-based and inclusive, across verse and chorus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BarSelection {
    pub first: usize,
    pub last: usize,
}

impl BarSelection {
    /// The span between two bars, in either order.
    pub fn between(a: usize, b: usize) -> BarSelection {
        BarSelection {
            first: a.min(b),
            last: a.max(b),
        }
    }

    /// "bar 5" or "bars 5–6".
    pub fn name(self) -> String {
        crate::worker::bar_span_name(self.first, self.last)
    }
}

/// The selection and the gesture making it.
#[derive(Debug, Default)]
pub struct SelectionState {
    pub selection: Option<BarSelection>,
    /// The bar a header drag started on, while it lasts.
    anchor: Option<usize>,
    /// The worker is writing the selected bars.
    pub busy: bool,
}

/// The bar under `tick`, given the bars' start ticks.
pub fn bar_at(bar_starts: &[u32], tick: f32) -> Option<usize> {
    if bar_starts.is_empty() || tick < 0.0 {
        return None;
    }
    Some(
        bar_starts
            .iter()
            .rposition(|&s| s as f32 <= tick)
            .unwrap_or(0),
    )
}

impl SelectionState {
    /// Follows the pointer on the roll; whether a selection drag is under way (the roll then
    /// does not scroll). `header_bottom` is where the note grid starts; `tick_at` maps an x to
    /// a tick.
    pub fn follow(
        &mut self,
        ui: &egui::Ui,
        response: &Response,
        header_bottom: f32,
        bar_starts: &[u32],
        tick_at: impl Fn(f32) -> f32,
    ) -> bool {
        let (origin, shift) = ui.input(|i| (i.pointer.press_origin(), i.modifiers.shift));
        let bar_under = |pos: egui::Pos2| bar_at(bar_starts, tick_at(pos.x));
        if response.drag_started()
            && let Some(origin) = origin.filter(|p| p.y < header_bottom)
        {
            self.anchor = bar_under(origin);
        }
        if let (Some(anchor), Some(pos)) = (self.anchor, response.interact_pointer_pos())
            && response.dragged()
            && let Some(bar) = bar_under(pos)
        {
            self.selection = Some(BarSelection::between(anchor, bar));
        }
        let selecting = self.anchor.is_some();
        if response.drag_stopped() {
            self.anchor = None;
        }
        if response.clicked()
            && let Some(pos) = response.interact_pointer_pos()
            && let Some(bar) = bar_under(pos)
        {
            match (shift, self.selection) {
                (true, Some(current)) => {
                    let from = if bar < current.first {
                        current.last
                    } else {
                        current.first
                    };
                    self.selection = Some(BarSelection::between(from, bar));
                }
                _ if pos.y < header_bottom || shift => {
                    self.selection = Some(BarSelection::between(bar, bar));
                }
                _ => {}
            }
        }
        selecting
    }

    /// Keeps the selection inside an idea of `bars` bars (dropping it if it no longer fits).
    pub fn fit_to(&mut self, bars: usize) {
        if self.selection.is_some_and(|s| s.last >= bars) {
            self.selection = None;
        }
    }

    /// Shades the selected bars over the whole roll; returns their rectangle.
    pub fn draw(
        &self,
        painter: &egui::Painter,
        area: Rect,
        bar_starts: &[u32],
        total_ticks: u32,
        tick_to_x: impl Fn(f32) -> f32,
        dark: bool,
    ) -> Option<Rect> {
        let selection = self.selection?;
        let start = *bar_starts.get(selection.first)?;
        let end = bar_starts
            .get(selection.last + 1)
            .copied()
            .unwrap_or(total_ticks);
        let rect = Rect::from_min_max(
            pos2(tick_to_x(start as f32), area.top()),
            pos2(tick_to_x(end as f32), area.bottom()),
        );
        let fill = if dark {
            Color32::from_rgba_unmultiplied(120, 170, 255, 40)
        } else {
            Color32::from_rgba_unmultiplied(40, 100, 220, 36)
        };
        let clipped = painter.with_clip_rect(area);
        clipped.rect_filled(rect, CornerRadius::ZERO, fill);
        clipped.rect_stroke(
            rect,
            CornerRadius::ZERO,
            egui::Stroke::new(1.5, fill.to_opaque()),
            egui::StrokeKind::Inside,
        );
        if self.busy {
            clipped.text(
                rect.center(),
                Align2::CENTER_CENTER,
                "writing…",
                FontId::proportional(15.0),
                fill.to_opaque(),
            );
        }
        Some(rect)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tick_falls_in_the_bar_that_starts_before_it() {
        let starts = [0, 48, 96, 144];
        assert_eq!(bar_at(&starts, 0.0), Some(0));
        assert_eq!(bar_at(&starts, 47.9), Some(0));
        assert_eq!(bar_at(&starts, 48.0), Some(1));
        assert_eq!(bar_at(&starts, 500.0), Some(3));
        assert_eq!(bar_at(&starts, -1.0), None);
        assert_eq!(bar_at(&[], 3.0), None);
    }

    #[test]
    fn spans_run_either_way_and_are_named_from_one() {
        assert_eq!(
            BarSelection::between(5, 4),
            BarSelection { first: 4, last: 5 }
        );
        assert_eq!(BarSelection::between(4, 5).name(), "bars 5–6");
        assert_eq!(BarSelection::between(2, 2).name(), "bar 3");
        let mut state = SelectionState {
            selection: Some(BarSelection::between(6, 7)),
            ..SelectionState::default()
        };
        state.fit_to(8);
        assert!(state.selection.is_some());
        state.fit_to(7);
        assert!(state.selection.is_none());
    }
}
