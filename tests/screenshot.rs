//! Opens the real window (eframe, glow) with ideas cut from real POP909 songs, keeps two, asks
//! for a third, and saves a picture of the screen with ImageMagick's `import`. Runs only with a
//! display: `xvfb-run -s "-screen 0 1280x720x24" cargo test --test screenshot`.
//! `SONGSKETCH_THEME=light` takes the light theme; `SONGSKETCH_SCREENSHOT` names the PNG;
//! `SONGSKETCH_SCREENSHOT_FOLDER` opens the retrain panel on that folder (its table of files).
//! A test without a harness, so the window's event loop runs on the main thread.

mod support;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use songsketch::playback::control::NoPlayback;
use songsketch::ui::SongsketchApp;

/// Where the scripted session is.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Stage {
    WaitForModel,
    /// Waiting for the n-th idea (1-based); ideas before the last are kept.
    WaitForIdea(u32),
    Settle(u32),
    Done,
}

const IDEAS: u32 = 3;

struct Scripted {
    app: SongsketchApp,
    stage: Stage,
    theme: egui::Theme,
    shot: PathBuf,
    deadline: Instant,
    result: std::sync::Arc<std::sync::Mutex<Option<Result<(), String>>>>,
}

impl Scripted {
    fn advance(&mut self, ctx: &egui::Context) {
        let seen = self.app.current().map(|c| c.idea.clone());
        self.stage = match self.stage {
            Stage::WaitForModel if self.app.model().is_some() => {
                self.app.next_idea();
                Stage::WaitForIdea(1)
            }
            Stage::WaitForIdea(n) if seen.is_some() && !self.app.is_waiting_for_idea() => {
                if n < IDEAS {
                    self.app.keep();
                    self.app.next_idea();
                    Stage::WaitForIdea(n + 1)
                } else {
                    if let Some(folder) = std::env::var_os("SONGSKETCH_SCREENSHOT_FOLDER") {
                        self.app.retrain_on(PathBuf::from(folder));
                    }
                    Stage::Settle(20)
                }
            }
            Stage::Settle(0) => {
                let outcome = take_screenshot(&self.shot);
                *self.result.lock().unwrap() = Some(outcome);
                ctx.send_viewport_cmd(egui::ViewportCommand::Close);
                Stage::Done
            }
            Stage::Settle(n) => Stage::Settle(n - 1),
            stage => stage,
        };
        if Instant::now() > self.deadline && self.stage != Stage::Done {
            *self.result.lock().unwrap() = Some(Err(format!(
                "timed out at {:?}; status {:?}",
                self.stage,
                self.app.status()
            )));
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
            self.stage = Stage::Done;
        }
    }
}

impl eframe::App for Scripted {
    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut eframe::Frame) {
        ui.ctx().set_theme(self.theme);
        self.app.ui(ui, frame);
        self.advance(&ui.ctx().clone());
        ui.ctx().request_repaint_after(Duration::from_millis(30));
    }
}

fn take_screenshot(path: &std::path::Path) -> Result<(), String> {
    if let Some(folder) = path.parent() {
        std::fs::create_dir_all(folder).map_err(|e| e.to_string())?;
    }
    let status = std::process::Command::new("import")
        .args(["-window", "root"])
        .arg(path)
        .status()
        .map_err(|e| format!("could not run ImageMagick's import: {e}"))?;
    status
        .success()
        .then_some(())
        .ok_or_else(|| format!("import failed: {status}"))
}

fn main() {
    if std::env::var_os("DISPLAY").is_none() {
        eprintln!("screenshot: skipped, no DISPLAY (run it under xvfb-run)");
        return;
    }
    let theme = match std::env::var("SONGSKETCH_THEME").as_deref() {
        Ok("light") => egui::Theme::Light,
        _ => egui::Theme::Dark,
    };
    let shot = std::env::var_os("SONGSKETCH_SCREENSHOT")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let name = if theme == egui::Theme::Light {
                "main-light.png"
            } else {
                "main-dark.png"
            };
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("docs/screenshots")
                .join(name)
        });
    let data = tempfile::tempdir().expect("a temporary data folder");
    let parts = support::pop909_parts(data.path(), 12, Box::new(NoPlayback));
    let result = std::sync::Arc::new(std::sync::Mutex::new(None));
    let result_in_app = std::sync::Arc::clone(&result);
    let mut native = songsketch::ui::native_options(Some(data.path()));
    native.viewport = native
        .viewport
        .with_position([0.0, 0.0])
        .with_decorations(false);
    eframe::run_native(
        "Songsketch",
        native,
        Box::new(move |cc| {
            Ok(Box::new(Scripted {
                app: SongsketchApp::new(cc, parts),
                stage: Stage::WaitForModel,
                theme,
                shot: shot.clone(),
                deadline: Instant::now() + Duration::from_secs(60),
                result: result_in_app,
            }))
        }),
    )
    .expect("the window opens");
    match result.lock().unwrap().take() {
        Some(Ok(())) => println!("screenshot: saved"),
        Some(Err(error)) => panic!("screenshot: {error}"),
        None => panic!("screenshot: the window closed before the picture was taken"),
    }
}
