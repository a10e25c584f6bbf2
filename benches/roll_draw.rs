//! How long the piano roll takes to draw a 16+16-bar idea of the default model with the playhead
//! moving: egui's layout pass plus tessellation into triangles, per frame, on the CPU (what a
//! frame costs before the GPU draws it). Run with `cargo bench --bench roll_draw`.

use std::time::{Duration, Instant};

use songsketch::model::generate::{GenerateRequest, Model};
use songsketch::ui::piano_roll::PianoRoll;

/// Frames drawn; the report gives their median and 99th percentile.
const FRAMES: usize = 600;
const SCREEN: egui::Vec2 = egui::vec2(1280.0, 720.0);

fn main() {
    let model = match Model::load_default() {
        Ok(model) => model,
        Err(error) => {
            eprintln!("roll_draw: no default model: {error}");
            return;
        }
    };
    let request = GenerateRequest {
        seed: 16,
        bars: 16,
        ..GenerateRequest::default()
    };
    let idea = match model.generate(&request) {
        Ok(generated) => generated.idea,
        Err(error) => {
            eprintln!("roll_draw: generation failed: {error}");
            return;
        }
    };
    let ticks = idea.sheet().total_ticks() as f32;
    let mut roll = PianoRoll::default();
    roll.show_idea(&idea);
    let ctx = egui::Context::default();
    let mut frame_times = Vec::with_capacity(FRAMES);
    for frame in 0..FRAMES {
        let playhead = ticks * frame as f32 / FRAMES as f32;
        let started = Instant::now();
        let mut output = ctx.run_ui(raw_input(frame), |ui| {
            roll.ui(ui, Some(playhead));
        });
        let primitives = ctx.tessellate(output.shapes, output.pixels_per_point);
        // No renderer here takes the font texture's updates.
        output.textures_delta.clear();
        std::hint::black_box(primitives);
        frame_times.push(started.elapsed());
    }
    // The first frames lay out fonts and fit the view: leave them out.
    let mut steady: Vec<Duration> = frame_times[10..].to_vec();
    steady.sort();
    let at = |q: f64| steady[((steady.len() - 1) as f64 * q).round() as usize];
    println!(
        "piano roll, {} notes over {} bars, playhead moving, {}x{}: median {:.3} ms, p99 {:.3} ms per frame ({} frames)",
        idea.sheet().melody().len(),
        idea.verse().bars.len() + idea.chorus().bars.len(),
        SCREEN.x,
        SCREEN.y,
        at(0.5).as_secs_f64() * 1e3,
        at(0.99).as_secs_f64() * 1e3,
        steady.len()
    );
}

fn raw_input(frame: usize) -> egui::RawInput {
    egui::RawInput {
        screen_rect: Some(egui::Rect::from_min_size(egui::Pos2::ZERO, SCREEN)),
        time: Some(frame as f64 / 60.0),
        ..Default::default()
    }
}
