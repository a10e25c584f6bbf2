//! Dragging a real song's `.mid` out with the X11 XDND source, on a private Xvfb server.
//!
//! Each test starts its own `Xvfb` (optionally with `openbox`), a source window that takes the
//! mouse press (so it holds the implicit pointer grab, as winit's window does), and a drop
//! target written here on x11rb: XdndAware version 5, accepting `text/uri-list`, recording what
//! it got. `xdotool` drives the real pointer; the drag runs through `songsketch::dnd`.
//! Needs `Xvfb`, `openbox` and `xdotool` on the PATH; a test whose tool is missing fails.
#![cfg(all(
    unix,
    not(any(target_os = "macos", target_os = "ios", target_os = "android"))
))]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use songsketch::dnd::{DragOptions, DragOutcome, start_drag_with};
use x11rb::connection::Connection;
use x11rb::protocol::Event;
use x11rb::protocol::xproto::{
    Atom, AtomEnum, ClientMessageEvent, ConnectionExt as _, CreateWindowAux, EventMask, MapState,
    PropMode, Window, WindowClass,
};
use x11rb::rust_connection::RustConnection;
use x11rb::wrapper::ConnectionExt as _;

const SONG: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/datasets/pop909/001/001.mid"
);

/// A private X server (and window manager) that is killed when dropped.
struct XServer {
    display: String,
    xvfb: Child,
    wm: Option<Child>,
}

impl XServer {
    fn start(with_wm: bool) -> XServer {
        let (display, xvfb) = spawn_xvfb();
        let mut server = XServer {
            display,
            xvfb,
            wm: None,
        };
        if with_wm {
            let wm = Command::new("openbox")
                .env("DISPLAY", &server.display)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("openbox must be installed for this test");
            server.wm = Some(wm);
            server.wait_for_wm();
        }
        server
    }

    fn connect(&self) -> RustConnection {
        x11rb::connect(Some(&self.display))
            .expect("connect to the test X server")
            .0
    }

    /// openbox announces itself through `_NET_SUPPORTING_WM_CHECK` on the root window.
    fn wait_for_wm(&self) {
        let conn = self.connect();
        let root = conn.setup().roots[0].root;
        let check = intern(&conn, "_NET_SUPPORTING_WM_CHECK");
        wait_until("openbox to start", || {
            conn.get_property(false, root, check, AtomEnum::WINDOW, 0, 1)
                .ok()
                .and_then(|c| c.reply().ok())
                .is_some_and(|r| r.value_len > 0)
        });
    }

    fn xdotool(&self, args: &[&str]) {
        let status = Command::new("xdotool")
            .args(args)
            .env("DISPLAY", &self.display)
            .status()
            .expect("xdotool must be installed for this test");
        assert!(status.success(), "xdotool {args:?} failed");
    }

    /// Moves the pointer in small steps, as a hand would (the drag polls the pointer).
    fn glide(&self, from: (i32, i32), to: (i32, i32)) {
        let steps = 12;
        for i in 1..=steps {
            let x = from.0 + (to.0 - from.0) * i / steps;
            let y = from.1 + (to.1 - from.1) * i / steps;
            self.xdotool(&["mousemove", &x.to_string(), &y.to_string()]);
            thread::sleep(Duration::from_millis(15));
        }
    }

    fn options(&self) -> DragOptions {
        DragOptions {
            display: Some(self.display.clone()),
            ..DragOptions::default()
        }
    }
}

impl Drop for XServer {
    fn drop(&mut self) {
        if let Some(wm) = self.wm.as_mut() {
            terminate(wm);
        }
        terminate(&mut self.xvfb);
    }
}

/// Ends a child with SIGTERM (so Xvfb removes its lock file), SIGKILL if it lingers.
fn terminate(child: &mut Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(3) {
        if child.try_wait().ok().flatten().is_some() {
            return;
        }
        thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// The next display number to try; tests in this process run in parallel and take turns.
static NEXT_DISPLAY: AtomicU32 = AtomicU32::new(140);

/// Starts Xvfb on a free display number from 140 on (a lock file marks a used one). `-noreset`:
/// the server must not reset when its last client goes (between steps of a test).
fn spawn_xvfb() -> (String, Child) {
    for _ in 0..100 {
        let number = NEXT_DISPLAY.fetch_add(1, Ordering::SeqCst);
        if Path::new(&format!("/tmp/.X{number}-lock")).exists()
            || Path::new(&format!("/tmp/.X11-unix/X{number}")).exists()
        {
            continue;
        }
        let display = format!(":{number}");
        let mut child = Command::new("Xvfb")
            .args([
                &display,
                "-screen",
                "0",
                "1024x768x24",
                "-nolisten",
                "tcp",
                "-noreset",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb must be installed for this test");
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(10) {
            let exited = child.try_wait().ok().flatten().is_some();
            if !exited && x11rb::connect(Some(&display)).is_ok() {
                return (display, child);
            }
            if exited {
                break; // lost a race for this number with another test: try the next
            }
            thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
    panic!("no free X display number for Xvfb");
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "timed out waiting for {what}"
        );
        thread::sleep(Duration::from_millis(20));
    }
}

fn intern(conn: &RustConnection, name: &str) -> Atom {
    conn.intern_atom(false, name.as_bytes())
        .expect("intern_atom request")
        .reply()
        .expect("intern_atom reply")
        .atom
}

/// Creates and maps a window; returns it with its top-left corner in root coordinates.
fn map_window(conn: &RustConnection, x: i16, y: i16, mask: EventMask) -> (Window, (i32, i32)) {
    let screen = &conn.setup().roots[0];
    let window = conn.generate_id().expect("window id");
    let aux = CreateWindowAux::new()
        .background_pixel(screen.white_pixel)
        .event_mask(mask);
    conn.create_window(
        screen.root_depth,
        window,
        screen.root,
        x,
        y,
        300,
        300,
        0,
        WindowClass::INPUT_OUTPUT,
        screen.root_visual,
        &aux,
    )
    .expect("create_window");
    conn.map_window(window).expect("map_window");
    conn.flush().expect("flush");
    // A window manager that is still starting may drop the first MapRequest: ask again.
    let mut next_map = Instant::now() + Duration::from_millis(500);
    wait_until("the window to be mapped", || {
        if Instant::now() >= next_map {
            conn.map_window(window).expect("map_window");
            conn.flush().expect("flush");
            next_map = Instant::now() + Duration::from_millis(500);
        }
        conn.get_window_attributes(window)
            .ok()
            .and_then(|c| c.reply().ok())
            .is_some_and(|a| a.map_state == MapState::VIEWABLE)
    });
    // The window manager may have placed (and framed) it elsewhere: ask where it is.
    thread::sleep(Duration::from_millis(150));
    let at = conn
        .translate_coordinates(window, screen.root, 0, 0)
        .expect("translate_coordinates")
        .reply()
        .expect("translate_coordinates reply");
    (window, (i32::from(at.dst_x), i32::from(at.dst_y)))
}

/// What the drop target saw.
#[derive(Debug, Default, Clone)]
struct Received {
    /// The window named in XdndEnter's event (the target, also when sent to a proxy).
    entered_window: Option<Window>,
    entered_version: Option<u32>,
    offered: Vec<String>,
    positions: usize,
    left: bool,
    dropped_at: Option<u32>,
    uri_list: Option<String>,
}

/// An XDND-aware window on its own connection and thread, recording what it receives.
struct DropTarget {
    window: Window,
    origin: (i32, i32),
    stop: Arc<AtomicBool>,
    thread: Option<thread::JoinHandle<Received>>,
}

impl DropTarget {
    fn start(server: &XServer, x: i16, y: i16, accept: bool) -> DropTarget {
        let conn = server.connect();
        let (window, origin) = map_window(&conn, x, y, EventMask::PROPERTY_CHANGE);
        let aware = intern(&conn, "XdndAware");
        conn.change_property32(PropMode::REPLACE, window, aware, AtomEnum::ATOM, &[5])
            .expect("set XdndAware");
        conn.flush().expect("flush");
        let stop = Arc::new(AtomicBool::new(false));
        let stop_flag = Arc::clone(&stop);
        let thread = thread::spawn(move || serve_drops(conn, window, window, accept, &stop_flag));
        DropTarget {
            window,
            origin,
            stop,
            thread: Some(thread),
        }
    }

    /// A target whose drops are caught by a proxy window (as desktops do for the root): the
    /// visible window, created on another connection, only points at the proxy with
    /// `XdndProxy`; messages reach the serving connection only if sent to the proxy.
    fn start_behind_proxy(server: &XServer, x: i16, y: i16) -> (DropTarget, RustConnection) {
        let owner = server.connect();
        let (window, origin) = map_window(&owner, x, y, EventMask::NO_EVENT);
        let conn = server.connect();
        let root = conn.setup().roots[0].root;
        let proxy = conn.generate_id().expect("proxy id");
        conn.create_window(
            0,
            proxy,
            root,
            -20,
            -20,
            1,
            1,
            0,
            WindowClass::INPUT_ONLY,
            0,
            &CreateWindowAux::new(),
        )
        .expect("create the proxy");
        let (aware, proxy_atom) = (intern(&conn, "XdndAware"), intern(&conn, "XdndProxy"));
        for (on, property, value) in [
            (window, proxy_atom, proxy),
            (proxy, proxy_atom, proxy),
            (proxy, aware, 5),
        ] {
            let type_ = if property == aware {
                AtomEnum::ATOM
            } else {
                AtomEnum::WINDOW
            };
            conn.change_property32(PropMode::REPLACE, on, property, type_, &[value])
                .expect("set proxy properties");
        }
        conn.flush().expect("flush");
        let stop = Arc::new(AtomicBool::new(false));
        let stop_flag = Arc::clone(&stop);
        let thread = thread::spawn(move || serve_drops(conn, window, proxy, true, &stop_flag));
        let target = DropTarget {
            window,
            origin,
            stop,
            thread: Some(thread),
        };
        (target, owner)
    }

    fn centre(&self) -> (i32, i32) {
        (self.origin.0 + 150, self.origin.1 + 150)
    }

    /// Stops the target and returns what it saw.
    fn finish(mut self) -> Received {
        self.stop.store(true, Ordering::SeqCst);
        self.thread
            .take()
            .expect("target thread")
            .join()
            .expect("target thread panicked")
    }
}

fn atom_name(conn: &RustConnection, atom: Atom) -> String {
    conn.get_atom_name(atom)
        .ok()
        .and_then(|c| c.reply().ok())
        .map(|r| String::from_utf8_lossy(&r.name).into_owned())
        .unwrap_or_default()
}

/// The target's event loop: Enter → types, Position → Status, Drop → fetch the data, Finished.
/// `window` is the target named in messages; `requestor` a window of this connection that
/// receives the selection data (the target itself, or its proxy).
fn serve_drops(
    conn: RustConnection,
    window: Window,
    requestor: Window,
    accept: bool,
    stop: &AtomicBool,
) -> Received {
    let names = [
        "XdndEnter",
        "XdndPosition",
        "XdndLeave",
        "XdndDrop",
        "XdndStatus",
        "XdndFinished",
        "XdndSelection",
        "XdndTypeList",
        "XdndActionCopy",
        "text/uri-list",
        "SONGSKETCH_TEST_DROP",
    ];
    let a: Vec<Atom> = names.iter().map(|n| intern(&conn, n)).collect();
    let [
        enter,
        position,
        leave,
        drop,
        status,
        finished,
        selection,
        type_list,
        copy,
        uri_list,
        prop,
    ] = a[..]
    else {
        unreachable!()
    };
    let mut received = Received::default();
    let mut source: Window = 0;
    while !stop.load(Ordering::SeqCst) {
        let Some(event) = conn.poll_for_event().expect("target connection") else {
            thread::sleep(Duration::from_millis(5));
            continue;
        };
        match event {
            Event::ClientMessage(ev) if ev.type_ == enter => {
                let data = ev.data.as_data32();
                source = data[0];
                received.entered_window = Some(ev.window);
                received.entered_version = Some(data[1] >> 24);
                let types: Vec<Atom> = if data[1] & 1 == 1 {
                    conn.get_property(false, source, type_list, AtomEnum::ATOM, 0, 64)
                        .expect("get XdndTypeList")
                        .reply()
                        .expect("XdndTypeList reply")
                        .value32()
                        .map(|v| v.collect())
                        .unwrap_or_default()
                } else {
                    data[2..].iter().copied().filter(|&t| t != 0).collect()
                };
                received.offered = types.iter().map(|&t| atom_name(&conn, t)).collect();
            }
            Event::ClientMessage(ev) if ev.type_ == position => {
                received.positions += 1;
                let takes_uris = received.offered.iter().any(|t| t == "text/uri-list");
                let flags = u32::from(accept && takes_uris);
                let reply = [window, flags, 0, 0, if flags == 1 { copy } else { 0 }];
                let msg = ClientMessageEvent::new(32, source, status, reply);
                conn.send_event(false, source, EventMask::NO_EVENT, msg)
                    .expect("send XdndStatus");
                conn.flush().expect("flush");
            }
            Event::ClientMessage(ev) if ev.type_ == leave => received.left = true,
            Event::ClientMessage(ev) if ev.type_ == drop => {
                let time = ev.data.as_data32()[2];
                received.dropped_at = Some(time);
                conn.convert_selection(requestor, selection, uri_list, prop, time)
                    .expect("convert_selection");
                conn.flush().expect("flush");
            }
            Event::SelectionNotify(ev) if ev.property == prop => {
                let data = conn
                    .get_property(true, requestor, prop, AtomEnum::ANY, 0, 4096)
                    .expect("get dropped data")
                    .reply()
                    .expect("dropped data reply");
                received.uri_list = Some(String::from_utf8_lossy(&data.value).into_owned());
                let reply = [window, 1, copy, 0, 0];
                let msg = ClientMessageEvent::new(32, source, finished, reply);
                conn.send_event(false, source, EventMask::NO_EVENT, msg)
                    .expect("send XdndFinished");
                conn.flush().expect("flush");
            }
            _ => {}
        }
    }
    received
}

/// The window the press starts in: it selects button events, so the press gives it the
/// implicit pointer grab, like the app's own window.
fn source_window(server: &XServer) -> (RustConnection, Window, (i32, i32)) {
    let conn = server.connect();
    let mask = EventMask::BUTTON_PRESS | EventMask::BUTTON_RELEASE | EventMask::POINTER_MOTION;
    let (window, origin) = map_window(&conn, 20, 100, mask);
    (conn, window, origin)
}

/// A copy of a real song under an idea-like name with a space and a `#` (so the URI must be
/// percent-encoded).
fn idea_file(dir: &Path) -> PathBuf {
    let path = dir.join("Am 96bpm #12.mid");
    std::fs::copy(SONG, &path).expect("copy the song into the temp dir");
    path
}

/// Presses in the source, moves out, starts the drag (as the GUI does), glides to `to`, then
/// runs `finish` (release or Escape) and returns the drag's outcome.
fn drag_to(
    server: &XServer,
    file: &Path,
    source_origin: (i32, i32),
    to: (i32, i32),
    finish: impl FnOnce(),
) -> DragOutcome {
    let press_at = (source_origin.0 + 150, source_origin.1 + 150);
    let outside = (source_origin.0 + 340, source_origin.1 + 150);
    server.xdotool(&[
        "mousemove",
        &press_at.0.to_string(),
        &press_at.1.to_string(),
    ]);
    server.xdotool(&["mousedown", "1"]);
    server.glide(press_at, outside);
    let (sender, outcome) = mpsc::channel();
    let options = server.options();
    let file = file.to_path_buf();
    thread::spawn(move || sender.send(start_drag_with(&file, &options)));
    thread::sleep(Duration::from_millis(100));
    server.glide(outside, to);
    thread::sleep(Duration::from_millis(100));
    finish();
    outcome
        .recv_timeout(Duration::from_secs(15))
        .expect("the drag must end")
        .expect("the drag must run without errors")
}

fn selection_owner(conn: &RustConnection) -> Window {
    let selection = intern(conn, "XdndSelection");
    conn.get_selection_owner(selection)
        .expect("get_selection_owner")
        .reply()
        .expect("selection owner reply")
        .owner
}

fn root_children(conn: &RustConnection) -> usize {
    let root = conn.setup().roots[0].root;
    conn.query_tree(root)
        .expect("query_tree")
        .reply()
        .expect("query_tree reply")
        .children
        .len()
}

/// The dropped URI names the file, and the file is the song.
fn check_dropped_song(received: &Received, file: &Path) {
    let uri_list = received.uri_list.as_deref().expect("the target got data");
    assert!(uri_list.ends_with("\r\n"), "uri-list lines end in CRLF");
    let uri = uri_list.trim_end();
    let canonical = std::fs::canonicalize(file).expect("canonical path");
    let expected = format!(
        "file://{}",
        canonical
            .to_string_lossy()
            .replace(' ', "%20")
            .replace('#', "%23")
    );
    assert_eq!(uri, expected);
    let path = percent_decode(uri.strip_prefix("file://").expect("a file URI"));
    let bytes = std::fs::read(&path).expect("the dropped file exists");
    let midi = songsketch::midi::read::read_midi(&bytes).expect("the dropped file is MIDI");
    let original = std::fs::read(SONG).expect("the song");
    let original = songsketch::midi::read::read_midi(&original).expect("the song parses");
    assert!(midi.note_count() > 100);
    assert_eq!(midi.note_count(), original.note_count());
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).expect("ascii hex");
            out.push(u8::from_str_radix(hex, 16).expect("hex digits"));
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).expect("utf-8 path")
}

fn drop_on_an_aware_target(with_wm: bool) {
    let server = XServer::start(with_wm);
    let dir = tempfile::tempdir().expect("temp dir");
    let file = idea_file(dir.path());
    let (source_conn, _source, source_origin) = source_window(&server);
    let target = DropTarget::start(&server, 600, 100, true);
    let children_before = root_children(&source_conn);

    let target_window = target.window;
    let outcome = drag_to(&server, &file, source_origin, target.centre(), || {
        server.xdotool(&["mouseup", "1"]);
    });
    thread::sleep(Duration::from_millis(100));
    let children_after = root_children(&source_conn);
    let received = target.finish();

    assert_eq!(
        outcome,
        DragOutcome::Dropped {
            target: target_window
        }
    );
    assert_eq!(received.entered_version, Some(5));
    assert_eq!(received.offered[0], "text/uri-list");
    assert!(
        received.offered.len() > 3,
        "more than 3 types: XdndTypeList"
    );
    assert!(received.positions >= 1);
    assert!(!received.left, "no Leave before a Drop");
    assert!(
        received.dropped_at.is_some_and(|t| t != 0),
        "a real timestamp"
    );
    check_dropped_song(&received, &file);
    assert_eq!(selection_owner(&source_conn), 0, "selection released");
    assert_eq!(children_after, children_before, "source window gone");
}

#[test]
fn drop_on_an_aware_target_without_a_window_manager() {
    drop_on_an_aware_target(false);
}

#[test]
fn drop_on_an_aware_target_under_openbox() {
    drop_on_an_aware_target(true);
}

#[test]
fn release_over_a_window_that_is_not_aware_cancels_and_leaks_nothing() {
    let server = XServer::start(true);
    let dir = tempfile::tempdir().expect("temp dir");
    let file = idea_file(dir.path());
    let (source_conn, _source, source_origin) = source_window(&server);
    let (_plain, plain_origin) = map_window(&source_conn, 600, 420, EventMask::NO_EVENT);
    let target = DropTarget::start(&server, 600, 60, true);
    let children_before = root_children(&source_conn);

    let plain_centre = (plain_origin.0 + 150, plain_origin.1 + 150);
    let outcome = drag_to(&server, &file, source_origin, plain_centre, || {
        server.xdotool(&["mouseup", "1"]);
    });
    assert_eq!(outcome, DragOutcome::Cancelled);
    assert_eq!(selection_owner(&source_conn), 0, "selection released");
    assert_eq!(
        root_children(&source_conn),
        children_before,
        "source window gone"
    );

    // Still responsive: the next drag, onto the aware target, works.
    let target_window = target.window;
    let outcome = drag_to(&server, &file, source_origin, target.centre(), || {
        server.xdotool(&["mouseup", "1"]);
    });
    thread::sleep(Duration::from_millis(100));
    let received = target.finish();
    assert_eq!(
        outcome,
        DragOutcome::Dropped {
            target: target_window
        }
    );
    check_dropped_song(&received, &file);
}

#[test]
fn escape_during_the_drag_cancels_with_a_leave() {
    let server = XServer::start(false);
    let dir = tempfile::tempdir().expect("temp dir");
    let file = idea_file(dir.path());
    let (source_conn, _source, source_origin) = source_window(&server);
    let target = DropTarget::start(&server, 600, 100, true);

    let outcome = drag_to(&server, &file, source_origin, target.centre(), || {
        server.xdotool(&["keydown", "Escape"]);
        thread::sleep(Duration::from_millis(60));
        server.xdotool(&["keyup", "Escape"]);
    });
    server.xdotool(&["mouseup", "1"]);
    thread::sleep(Duration::from_millis(100));
    let received = target.finish();
    assert_eq!(outcome, DragOutcome::Cancelled);
    assert!(received.positions >= 1, "the target was entered");
    assert!(received.left, "and left on Escape");
    assert_eq!(received.dropped_at, None);
    assert_eq!(received.uri_list, None);
    assert_eq!(selection_owner(&source_conn), 0, "selection released");
}

#[test]
fn release_over_a_refusing_target_is_refused_without_a_drop() {
    let server = XServer::start(false);
    let dir = tempfile::tempdir().expect("temp dir");
    let file = idea_file(dir.path());
    let (_source_conn, _source, source_origin) = source_window(&server);
    let target = DropTarget::start(&server, 600, 100, false);

    let outcome = drag_to(&server, &file, source_origin, target.centre(), || {
        server.xdotool(&["mouseup", "1"]);
    });
    thread::sleep(Duration::from_millis(100));
    let received = target.finish();
    assert_eq!(outcome, DragOutcome::Refused);
    assert!(received.left);
    assert_eq!(received.dropped_at, None);
}

#[test]
fn drop_through_an_xdnd_proxy_names_the_visible_window() {
    let server = XServer::start(false);
    let dir = tempfile::tempdir().expect("temp dir");
    let file = idea_file(dir.path());
    let (_source_conn, _source, source_origin) = source_window(&server);
    let (target, _owner) = DropTarget::start_behind_proxy(&server, 600, 100);

    let target_window = target.window;
    let outcome = drag_to(&server, &file, source_origin, target.centre(), || {
        server.xdotool(&["mouseup", "1"]);
    });
    thread::sleep(Duration::from_millis(100));
    let received = target.finish();
    assert_eq!(
        outcome,
        DragOutcome::Dropped {
            target: target_window
        }
    );
    assert_eq!(received.entered_window, Some(target_window));
    check_dropped_song(&received, &file);
}
