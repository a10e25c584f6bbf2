//! X11 test parts for drag-out: a private Xvfb server (optionally with openbox) driven by
//! `xdotool`, plain windows, and a drop target written on x11rb (XdndAware version 5, accepting
//! `text/uri-list`) that records what it received. Used by `dnd_x11` (the XDND source alone)
//! and `dnd_app` (the real window dragging a kept idea out).

#![allow(dead_code)]

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use songsketch::dnd::DragOptions;
use x11rb::connection::Connection;
use x11rb::protocol::Event;
use x11rb::protocol::xproto::{
    Atom, AtomEnum, ClientMessageEvent, ConnectionExt as _, CreateWindowAux, EventMask, MapState,
    PropMode, Window, WindowClass,
};
use x11rb::rust_connection::RustConnection;
use x11rb::wrapper::ConnectionExt as _;

/// A private X server (and window manager) that is killed when dropped.
pub struct XServer {
    pub display: String,
    xvfb: Child,
    wm: Option<Child>,
}

impl XServer {
    /// A 1024×768 server.
    pub fn start(with_wm: bool) -> XServer {
        XServer::start_with_screen(with_wm, "1024x768x24")
    }

    /// A server with the screen `WIDTHxHEIGHTxDEPTH`.
    pub fn start_with_screen(with_wm: bool, screen: &str) -> XServer {
        let (display, xvfb) = spawn_xvfb(screen);
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

    pub fn connect(&self) -> RustConnection {
        x11rb::connect(Some(&self.display))
            .expect("connect to the test X server")
            .0
    }

    /// openbox announces itself through `_NET_SUPPORTING_WM_CHECK` on the root window.
    pub fn wait_for_wm(&self) {
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

    pub fn xdotool(&self, args: &[&str]) {
        let status = Command::new("xdotool")
            .args(args)
            .env("DISPLAY", &self.display)
            .status()
            .expect("xdotool must be installed for this test");
        assert!(status.success(), "xdotool {args:?} failed");
    }

    /// Moves the pointer in small steps, as a hand would (the drag polls the pointer).
    pub fn glide(&self, from: (i32, i32), to: (i32, i32)) {
        let steps = 12;
        for i in 1..=steps {
            let x = from.0 + (to.0 - from.0) * i / steps;
            let y = from.1 + (to.1 - from.1) * i / steps;
            self.xdotool(&["mousemove", &x.to_string(), &y.to_string()]);
            thread::sleep(Duration::from_millis(15));
        }
    }

    pub fn options(&self) -> DragOptions {
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
pub fn terminate(child: &mut Child) {
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
pub fn spawn_xvfb(screen: &str) -> (String, Child) {
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
                screen,
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

pub fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "timed out waiting for {what}"
        );
        thread::sleep(Duration::from_millis(20));
    }
}

pub fn intern(conn: &RustConnection, name: &str) -> Atom {
    conn.intern_atom(false, name.as_bytes())
        .expect("intern_atom request")
        .reply()
        .expect("intern_atom reply")
        .atom
}

/// Creates and maps a window; returns it with its top-left corner in root coordinates.
pub fn map_window(conn: &RustConnection, x: i16, y: i16, mask: EventMask) -> (Window, (i32, i32)) {
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
pub struct Received {
    /// The window named in XdndEnter's event (the target, also when sent to a proxy).
    pub entered_window: Option<Window>,
    pub entered_version: Option<u32>,
    pub offered: Vec<String>,
    pub positions: usize,
    pub left: bool,
    pub dropped_at: Option<u32>,
    pub uri_list: Option<String>,
}

/// An XDND-aware window on its own connection and thread, recording what it receives.
pub struct DropTarget {
    pub window: Window,
    pub origin: (i32, i32),
    stop: Arc<AtomicBool>,
    thread: Option<thread::JoinHandle<Received>>,
}

impl DropTarget {
    pub fn start(server: &XServer, x: i16, y: i16, accept: bool) -> DropTarget {
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
    pub fn start_behind_proxy(server: &XServer, x: i16, y: i16) -> (DropTarget, RustConnection) {
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

    pub fn centre(&self) -> (i32, i32) {
        (self.origin.0 + 150, self.origin.1 + 150)
    }

    /// Stops the target and returns what it saw.
    pub fn finish(mut self) -> Received {
        self.stop.store(true, Ordering::SeqCst);
        self.thread
            .take()
            .expect("target thread")
            .join()
            .expect("target thread panicked")
    }
}

pub fn atom_name(conn: &RustConnection, atom: Atom) -> String {
    conn.get_atom_name(atom)
        .ok()
        .and_then(|c| c.reply().ok())
        .map(|r| String::from_utf8_lossy(&r.name).into_owned())
        .unwrap_or_default()
}

/// The target's event loop: Enter → types, Position → Status, Drop → fetch the data, Finished.
/// `window` is the target named in messages; `requestor` a window of this connection that
/// receives the selection data (the target itself, or its proxy).
pub fn serve_drops(
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

pub fn selection_owner(conn: &RustConnection) -> Window {
    let selection = intern(conn, "XdndSelection");
    conn.get_selection_owner(selection)
        .expect("get_selection_owner")
        .reply()
        .expect("selection owner reply")
        .owner
}

pub fn root_children(conn: &RustConnection) -> usize {
    let root = conn.setup().roots[0].root;
    conn.query_tree(root)
        .expect("query_tree")
        .reply()
        .expect("query_tree reply")
        .children
        .len()
}

pub fn percent_decode(text: &str) -> String {
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
