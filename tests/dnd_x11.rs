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

mod xdnd_support;

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use songsketch::dnd::{DragOutcome, start_drag_with};
use x11rb::protocol::xproto::{EventMask, Window};
use x11rb::rust_connection::RustConnection;
use xdnd_support::{
    DropTarget, Received, XServer, map_window, percent_decode, root_children, selection_owner,
};

const SONG: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/datasets/pop909/001/001.mid"
);

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
