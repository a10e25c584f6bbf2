//! Drags a kept idea out of the real window (eframe on X11, under a private Xvfb, with and
//! without openbox) with `xdotool` driving the pointer, onto an XDND drop target written on
//! x11rb. Checks: the target gets a `file://` URI whose file is byte for byte what "Save as
//! MIDI…" writes for that idea, under the idea's file name; releasing over a window that is not
//! XdndAware drops nothing and the window keeps drawing; Escape during a drag cancels it.
//!
//! A test without a harness: winit's event loop must run on the main thread and only once per
//! process, so `main` runs each case (bare X, openbox) in a child process of its own.
//! Needs `Xvfb`, `openbox` and `xdotool` (installed by `make test`).

mod support;
#[cfg(target_os = "linux")]
mod xdnd_support;

fn main() {
    #[cfg(target_os = "linux")]
    linux::main();
    #[cfg(not(target_os = "linux"))]
    eprintln!("dnd_app: X11 drag-out is tested on Linux only");
}

#[cfg(target_os = "linux")]
mod linux {
    use std::path::{Path, PathBuf};
    use std::process::Command;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};
    use std::thread;
    use std::time::{Duration, Instant};

    use songsketch::midi::write::{ExportOptions, lead_sheet_to_smf_bytes};
    use songsketch::playback::control::NoPlayback;
    use songsketch::ui::SongsketchApp;
    use songsketch::ui::drag_out::{DragSource, drag_handle_id};
    use x11rb::protocol::xproto::EventMask;

    use crate::xdnd_support::{DropTarget, XServer, map_window, percent_decode};

    /// Names the case a child process runs: `bare` or `openbox`.
    const CASE_VAR: &str = "SONGSKETCH_DND_APP_CASE";
    /// The longest a whole case may take (the first idea comes from real songs).
    const CASE_LIMIT: Duration = Duration::from_secs(120);

    pub fn main() {
        match std::env::var(CASE_VAR) {
            Ok(case) => run_case(case == "openbox"),
            Err(_) => {
                for case in ["bare", "openbox"] {
                    let exe = std::env::current_exe().expect("the test's own path");
                    let status = Command::new(exe)
                        .env(CASE_VAR, case)
                        .status()
                        .expect("run a case in a child process");
                    assert!(status.success(), "the {case} case failed: {status}");
                    println!("dnd_app {case}: ok");
                }
            }
        }
    }

    /// What the window and the driver share.
    #[derive(Debug, Default)]
    struct Shared {
        /// The kept idea's drag handle on the screen, in pixels, once it is drawn.
        handle: Option<(i32, i32)>,
        /// Where the window is on the screen: left, top, right, bottom.
        window: Option<(i32, i32, i32, i32)>,
        /// The file "Save as MIDI…" would write for the kept idea: its name and bytes.
        expected: Option<(String, Vec<u8>)>,
        /// The status line, activity and error.
        status: String,
        frames: u64,
    }

    type SharedState = Arc<Mutex<Shared>>;

    fn run_case(with_wm: bool) {
        let server = Arc::new(XServer::start_with_screen(with_wm, "1920x1080x24"));
        // SAFETY: set before this process starts any thread; winit reads it to find the server.
        unsafe {
            std::env::set_var("DISPLAY", &server.display);
            std::env::remove_var("WAYLAND_DISPLAY");
        }
        let data = tempfile::tempdir().expect("a temporary data folder");
        let shared: SharedState = Arc::default();
        let done = Arc::new(AtomicBool::new(false));
        let driver = {
            let (server, shared) = (Arc::clone(&server), Arc::clone(&shared));
            let done = DoneOnDrop(Arc::clone(&done));
            let dragged = data.path().join("dragged");
            thread::spawn(move || {
                let _done = done;
                drive(&server, &shared, &dragged);
            })
        };
        run_window(data.path(), Arc::clone(&shared), done);
        match driver.join() {
            Ok(()) => {}
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }

    /// The real app in a real window, kept going by a script: an idea, kept; then it publishes
    /// where its drag handle is and mirrors the status line until the driver is done.
    struct Scripted {
        app: SongsketchApp,
        asked: bool,
        kept: Option<u64>,
        shared: SharedState,
        driver_done: Arc<AtomicBool>,
        deadline: Instant,
    }

    impl Scripted {
        fn advance(&mut self, ctx: &egui::Context) {
            if !self.asked && self.app.model().is_some() {
                self.app.next_idea();
                self.asked = true;
            }
            if self.kept.is_none()
                && self.asked
                && !self.app.is_waiting_for_idea()
                && self.app.current().is_some()
            {
                self.app.keep();
                self.kept = self.app.current().and_then(|c| c.kept_id);
            }
            self.publish(ctx);
            if self.driver_done.load(Ordering::SeqCst) || Instant::now() > self.deadline {
                ctx.send_viewport_cmd(egui::ViewportCommand::Close);
            }
        }

        fn publish(&mut self, ctx: &egui::Context) {
            let mut shared = self.shared.lock().expect("shared state");
            shared.frames += 1;
            let status = self.app.status();
            shared.status = format!(
                "{} {}",
                status.activity,
                status.error.as_deref().unwrap_or_default()
            );
            let Some(id) = self.kept else { return };
            let scale = ctx.pixels_per_point();
            let Some(inner) = ctx.input(|i| i.viewport().inner_rect) else {
                return;
            };
            let to_screen = |p: egui::Pos2| ((p.x * scale) as i32, (p.y * scale) as i32);
            let (left, top) = to_screen(inner.min);
            let (right, bottom) = to_screen(inner.max);
            shared.window = Some((left, top, right, bottom));
            if let Some(handle) = ctx.read_response(drag_handle_id(DragSource::Kept(id))) {
                shared.handle = Some(to_screen(inner.min + handle.rect.center().to_vec2()));
            }
            if shared.expected.is_none()
                && let Some(kept) = self.app.library().and_then(|l| l.get(id))
            {
                let name = songsketch::midi::write::idea_file_name(&kept.idea, id as u32);
                let bytes = lead_sheet_to_smf_bytes(kept.idea.sheet(), &ExportOptions::default())
                    .expect("the kept idea exports");
                shared.expected = Some((name, bytes));
            }
        }
    }

    impl eframe::App for Scripted {
        fn ui(&mut self, ui: &mut egui::Ui, frame: &mut eframe::Frame) {
            self.app.ui(ui, frame);
            self.advance(&ui.ctx().clone());
            ui.ctx().request_repaint_after(Duration::from_millis(30));
        }
    }

    fn run_window(data: &Path, shared: SharedState, driver_done: Arc<AtomicBool>) {
        let parts = crate::support::pop909_parts(data, 4, Box::new(NoPlayback));
        let mut native = songsketch::ui::native_options(Some(data));
        native.viewport = native.viewport.with_position([0.0, 0.0]);
        eframe::run_native(
            "Songsketch",
            native,
            Box::new(move |cc| {
                Ok(Box::new(Scripted {
                    app: SongsketchApp::new(cc, parts),
                    asked: false,
                    kept: None,
                    shared,
                    driver_done,
                    deadline: Instant::now() + CASE_LIMIT,
                }))
            }),
        )
        .expect("the window runs");
    }

    /// Marks the driver finished when dropped, also when it panics, so the window closes.
    struct DoneOnDrop(Arc<AtomicBool>);

    impl Drop for DoneOnDrop {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }

    /// The person at the mouse: three drags from the kept idea's handle.
    fn drive(server: &XServer, shared: &SharedState, dragged: &Path) {
        wait_for("the kept idea's drag handle", CASE_LIMIT, || {
            let shared = shared.lock().expect("shared state");
            shared.handle.is_some() && shared.expected.is_some()
        });
        let conn = server.connect();
        let target = DropTarget::start(server, 1450, 40, true);
        let escape_target = DropTarget::start(server, 1450, 380, true);
        let (_plain, plain_origin) = map_window(&conn, 1450, 720, EventMask::NO_EVENT);
        let plain_centre = (plain_origin.0 + 150, plain_origin.1 + 150);

        drop_on_an_aware_target(server, shared, target, dragged);
        release_over_a_plain_window(server, shared, plain_centre);
        escape_cancels(server, shared, escape_target);
    }

    fn drop_on_an_aware_target(
        server: &XServer,
        shared: &SharedState,
        target: DropTarget,
        dragged: &Path,
    ) {
        drag_out_to(server, shared, target.centre());
        server.xdotool(&["mouseup", "1"]);
        wait_for_status(shared, "Dropped");
        let received = target.finish();
        let uri_list = received.uri_list.expect("the target got the file's URI");
        let path = PathBuf::from(percent_decode(
            uri_list
                .trim_end()
                .strip_prefix("file://")
                .expect("a file:// URI"),
        ));
        let (name, bytes) = shared
            .lock()
            .expect("shared state")
            .expected
            .clone()
            .expect("the expected file");
        assert_eq!(
            path.file_name().and_then(|n| n.to_str()),
            Some(name.as_str())
        );
        assert_eq!(
            path.parent(),
            Some(
                std::fs::canonicalize(dragged)
                    .expect("dragged folder")
                    .as_path()
            )
        );
        let dropped = std::fs::read(&path).expect("the dropped file exists");
        assert!(
            dropped == bytes,
            "the dropped file is what Save as MIDI writes"
        );
        let midi = songsketch::midi::read::read_midi(&dropped).expect("the dropped file parses");
        assert!(midi.note_count() > 10, "the idea has notes");
    }

    fn release_over_a_plain_window(server: &XServer, shared: &SharedState, plain: (i32, i32)) {
        drag_out_to(server, shared, plain);
        server.xdotool(&["mouseup", "1"]);
        wait_for_status(shared, "cancelled");
        let frames = shared.lock().expect("shared state").frames;
        wait_for("the window to keep drawing", Duration::from_secs(5), || {
            shared.lock().expect("shared state").frames > frames + 5
        });
    }

    fn escape_cancels(server: &XServer, shared: &SharedState, target: DropTarget) {
        drag_out_to(server, shared, target.centre());
        server.xdotool(&["keydown", "Escape"]);
        thread::sleep(Duration::from_millis(60));
        server.xdotool(&["keyup", "Escape"]);
        wait_for_status(shared, "cancelled");
        server.xdotool(&["mouseup", "1"]);
        thread::sleep(Duration::from_millis(100));
        let received = target.finish();
        assert!(received.positions >= 1, "the target was entered");
        assert!(received.left, "and left on Escape");
        assert_eq!(received.uri_list, None, "nothing dropped");
    }

    /// Presses on the handle, moves out of the window, waits until the app started the drag,
    /// and glides on to `to` with the button still held.
    fn drag_out_to(server: &XServer, shared: &SharedState, to: (i32, i32)) {
        let (handle, window) = {
            let shared = shared.lock().expect("shared state");
            (
                shared.handle.expect("handle"),
                shared.window.expect("window"),
            )
        };
        let outside = (window.2 + 40, handle.1);
        shared.lock().expect("shared state").status.clear();
        server.xdotool(&["mousemove", &handle.0.to_string(), &handle.1.to_string()]);
        thread::sleep(Duration::from_millis(100));
        server.xdotool(&["mousedown", "1"]);
        // A frame must see the press before the pointer moves: egui hit-tests a press where the
        // pointer is at the end of the frame it arrives in.
        thread::sleep(Duration::from_millis(150));
        server.glide(handle, outside);
        wait_for_status(shared, "Dragging");
        server.glide(outside, to);
        thread::sleep(Duration::from_millis(150));
    }

    fn wait_for_status(shared: &SharedState, words: &str) {
        let started = Instant::now();
        loop {
            let shared = shared.lock().expect("shared state");
            if shared.status.contains(words) {
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "timed out waiting for the status to say {words:?}; it says {:?} (handle {:?}, window {:?})",
                shared.status,
                shared.handle,
                shared.window
            );
            drop(shared);
            thread::sleep(Duration::from_millis(20));
        }
    }

    fn wait_for(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
        let started = Instant::now();
        while !done() {
            assert!(started.elapsed() < limit, "timed out waiting for {what}");
            thread::sleep(Duration::from_millis(20));
        }
    }
}
