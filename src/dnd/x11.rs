//! The X11 side of dragging a file out: an XDND source on its own x11rb connection.
//!
//! winit's connection is not reachable from eframe, and it does not need to be: the drag runs on
//! a separate connection with a small unmapped source window that owns `XdndSelection`. While
//! the button is held the pointer is usually grabbed by the window the press started in (X gives
//! that window an implicit grab), so this side never grabs the pointer for itself: it polls
//! `QueryPointer`, which reports the position and the button mask whoever holds the grab, and
//! walks down from the root to the `XdndAware` window under the pointer (following `XdndProxy`).
//! Escape is seen through a keyboard grab when one can be had, and by polling the key map.
//! Everything the drag took (selection, grabs, window, cursor) is given back on every way out.
//!
//! The rules of the protocol live in [`super::protocol`]; this file only translates.

use std::collections::VecDeque;
use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

use x11rb::connection::Connection;
use x11rb::errors::{ConnectionError, ReplyError};
use x11rb::protocol::Event;
use x11rb::protocol::xproto::{
    Atom, AtomEnum, ClientMessageEvent, ConnectionExt as _, CreateWindowAux, EventMask, GrabMode,
    GrabStatus, KeyButMask, PropMode, SELECTION_NOTIFY_EVENT, SelectionNotifyEvent,
    SelectionRequestEvent, Window, WindowClass,
};
use x11rb::rust_connection::RustConnection;
use x11rb::wrapper::ConnectionExt as _;

use super::protocol::{
    DragMachine, DragOutcome, DropTarget, Input, OFFERED_TYPES, Output, Payload, Rect,
    RequestedData, SelectionAnswer, Status, Timer, Timestamp, WindowId,
};
use super::{DndError, DragOptions};

/// How often the pointer is looked at while the button is held (about 120 times a second).
const POLL_INTERVAL: Duration = Duration::from_millis(8);
/// How often a target is checked for still existing while its XdndFinished is awaited.
const LIVENESS_INTERVAL: Duration = Duration::from_millis(250);
/// A held button with a pointer that has not moved for this long ends the drag: the X server
/// may not see the release at all (e.g. it happened over a native Wayland window).
const STALL_LIMIT: Duration = Duration::from_secs(30);
/// X's `CurrentTime`.
const CURRENT_TIME: Timestamp = 0;
/// The keysym of Escape.
const XK_ESCAPE: u32 = 0xff1b;
/// The "fleur" glyph of the standard cursor font: the drag cursor where the source can set one.
const XC_FLEUR: u16 = 52;

x11rb::atom_manager! {
    /// The atoms the drag uses.
    Atoms: AtomsCookie {
        XdndAware,
        XdndProxy,
        XdndSelection,
        XdndTypeList,
        XdndEnter,
        XdndPosition,
        XdndStatus,
        XdndLeave,
        XdndDrop,
        XdndFinished,
        XdndActionCopy,
        TARGETS,
        UTF8_STRING,
        TextUriList: b"text/uri-list",
        TextPlainUtf8: b"text/plain;charset=utf-8",
        TextPlain: b"text/plain",
        SongsketchTime: b"_SONGSKETCH_DND_TIME",
    }
}

impl Atoms {
    /// The atom for an offered type name (or `TARGETS`).
    fn for_type(&self, name: &str) -> Option<Atom> {
        match name {
            "TARGETS" => Some(self.TARGETS),
            "text/uri-list" => Some(self.TextUriList),
            "text/plain;charset=utf-8" => Some(self.TextPlainUtf8),
            "UTF8_STRING" => Some(self.UTF8_STRING),
            "text/plain" => Some(self.TextPlain),
            _ => None,
        }
    }

    /// The type name for an atom a requestor asked for.
    fn type_name(&self, atom: Atom) -> Option<&'static str> {
        OFFERED_TYPES
            .iter()
            .copied()
            .find(|name| self.for_type(name) == Some(atom))
    }
}

/// Runs one drag of `file` (an absolute path) until it ends.
pub(crate) fn run_drag(file: &Path, options: &DragOptions) -> Result<DragOutcome, DndError> {
    let display = options.display.as_deref();
    let (conn, screen_num) = x11rb::connect(display).map_err(|e| DndError::Display {
        display: display
            .map(str::to_string)
            .unwrap_or_else(|| std::env::var("DISPLAY").unwrap_or_default()),
        reason: e.to_string(),
    })?;
    let root = conn
        .setup()
        .roots
        .get(screen_num)
        .map(|screen| screen.root)
        .ok_or_else(|| DndError::X11(format!("the display has no screen {screen_num}")))?;
    let atoms = Atoms::new(&conn)?.reply()?;
    let mut source = XdndSource::open(&conn, root, atoms, options)?;
    source.drag(DragMachine::new(Payload::for_file(file)))
}

impl From<ConnectionError> for DndError {
    fn from(e: ConnectionError) -> Self {
        DndError::X11(format!("connection to the X server lost: {e}"))
    }
}

impl From<ReplyError> for DndError {
    fn from(e: ReplyError) -> Self {
        DndError::X11(e.to_string())
    }
}

impl From<x11rb::errors::ReplyOrIdError> for DndError {
    fn from(e: x11rb::errors::ReplyOrIdError) -> Self {
        DndError::X11(e.to_string())
    }
}

/// A reply, or None when the server refused the request (e.g. the window is gone).
fn reply_or_none<R>(result: Result<R, ReplyError>) -> Result<Option<R>, DndError> {
    match result {
        Ok(reply) => Ok(Some(reply)),
        Err(ReplyError::X11Error(_)) => Ok(None),
        Err(ReplyError::ConnectionError(e)) => Err(e.into()),
    }
}

/// The source window and everything the drag holds; dropping it gives it all back.
struct XdndSource<'c> {
    conn: &'c RustConnection,
    root: Window,
    atoms: Atoms,
    window: Window,
    cursor: u32,
    exclude_window: Option<WindowId>,
    escape_keycodes: Vec<u8>,
    keyboard_grabbed: bool,
    pointer_grabbed: bool,
    owns_selection: bool,
    /// Events read while waiting for something else.
    queued: VecDeque<Event>,
    /// A server time and the local instant it was read at, to estimate times between reads.
    clock: (Timestamp, Instant),
    selection_time: Timestamp,
    deadline: Option<Instant>,
    next_liveness_check: Instant,
    last_motion: Instant,
}

impl<'c> XdndSource<'c> {
    /// Creates the source window, its cursor and the type list.
    fn open(
        conn: &'c RustConnection,
        root: Window,
        atoms: Atoms,
        options: &DragOptions,
    ) -> Result<Self, DndError> {
        let window = conn.generate_id()?;
        let aux = CreateWindowAux::new()
            .override_redirect(1)
            .event_mask(EventMask::PROPERTY_CHANGE);
        conn.create_window(
            0,
            window,
            root,
            -10,
            -10,
            1,
            1,
            0,
            WindowClass::INPUT_ONLY,
            0,
            &aux,
        )?
        .check()?;
        let mut source = XdndSource {
            conn,
            root,
            atoms,
            window,
            cursor: 0,
            exclude_window: options.exclude_window,
            escape_keycodes: Vec::new(),
            keyboard_grabbed: false,
            pointer_grabbed: false,
            owns_selection: false,
            queued: VecDeque::new(),
            clock: (CURRENT_TIME, Instant::now()),
            selection_time: CURRENT_TIME,
            deadline: None,
            next_liveness_check: Instant::now(),
            last_motion: Instant::now(),
        };
        let type_atoms: Vec<Atom> = OFFERED_TYPES
            .iter()
            .filter_map(|name| atoms.for_type(name))
            .collect();
        conn.change_property32(
            PropMode::REPLACE,
            window,
            atoms.XdndTypeList,
            AtomEnum::ATOM,
            &type_atoms,
        )?;
        source.cursor = source.create_drag_cursor().unwrap_or(0);
        source.escape_keycodes = source.escape_keycodes()?;
        Ok(source)
    }

    fn create_drag_cursor(&self) -> Result<u32, DndError> {
        let font = self.conn.generate_id()?;
        self.conn.open_font(font, b"cursor")?.check()?;
        let cursor = self.conn.generate_id()?;
        let created = self
            .conn
            .create_glyph_cursor(
                cursor,
                font,
                font,
                XC_FLEUR,
                XC_FLEUR + 1,
                0,
                0,
                0,
                0xffff,
                0xffff,
                0xffff,
            )?
            .check();
        self.conn.close_font(font)?;
        created?;
        Ok(cursor)
    }

    fn escape_keycodes(&self) -> Result<Vec<u8>, DndError> {
        let setup = self.conn.setup();
        let (min, max) = (setup.min_keycode, setup.max_keycode);
        let mapping = self
            .conn
            .get_keyboard_mapping(min, max - min + 1)?
            .reply()?;
        let per_code = usize::from(mapping.keysyms_per_keycode.max(1));
        Ok(mapping
            .keysyms
            .chunks(per_code)
            .zip(min..=max)
            .filter(|(syms, _)| syms.contains(&XK_ESCAPE))
            .map(|(_, code)| code)
            .collect())
    }

    /// Runs the drag from now (the button is held) to its end.
    fn drag(&mut self, mut machine: DragMachine) -> Result<DragOutcome, DndError> {
        let start = self.conn.query_pointer(self.root)?.reply()?;
        let held = held_buttons(start.mask);
        if u16::from(held) == 0 {
            // The button went up before the drag could start.
            return Ok(DragOutcome::Cancelled);
        }
        self.take_selection()?;
        self.grab_input();
        let mut last_position = None;
        loop {
            while let Some(event) = self.next_event()? {
                let inputs = self.event_inputs(&mut machine, event)?;
                self.feed(&mut machine, inputs)?;
            }
            if machine.is_following_pointer() {
                let inputs = self.pointer_inputs(held, &mut last_position)?;
                self.feed(&mut machine, inputs)?;
            }
            let inputs = self.timer_inputs(&machine)?;
            self.feed(&mut machine, inputs)?;
            if let Some(outcome) = machine.outcome() {
                return Ok(outcome);
            }
            self.conn.flush()?;
            thread::sleep(POLL_INTERVAL);
        }
    }

    /// Feeds inputs (and whatever their outputs lead to) into the machine.
    fn feed(&mut self, machine: &mut DragMachine, inputs: Vec<Input>) -> Result<(), DndError> {
        let mut inputs: VecDeque<Input> = inputs.into();
        while let Some(input) = inputs.pop_front() {
            for output in machine.handle(input) {
                inputs.extend(self.perform(output)?);
            }
        }
        Ok(())
    }

    fn take_selection(&mut self) -> Result<(), DndError> {
        let time = self.server_time()?;
        self.conn
            .set_selection_owner(self.window, self.atoms.XdndSelection, time)?;
        let owner = self
            .conn
            .get_selection_owner(self.atoms.XdndSelection)?
            .reply()?;
        if owner.owner != self.window {
            return Err(DndError::X11(
                "another program holds the drag selection (XdndSelection)".into(),
            ));
        }
        self.owns_selection = true;
        self.selection_time = time;
        Ok(())
    }

    /// Grabs the keyboard (for Escape) and, when nobody holds it, the pointer (for the cursor).
    /// Both are best effort: polling works without them.
    fn grab_input(&mut self) {
        let keyboard = self
            .conn
            .grab_keyboard(
                false,
                self.root,
                CURRENT_TIME,
                GrabMode::ASYNC,
                GrabMode::ASYNC,
            )
            .ok()
            .and_then(|cookie| cookie.reply().ok());
        self.keyboard_grabbed = keyboard.is_some_and(|r| r.status == GrabStatus::SUCCESS);
        let pointer = self
            .conn
            .grab_pointer(
                false,
                self.root,
                EventMask::NO_EVENT,
                GrabMode::ASYNC,
                GrabMode::ASYNC,
                0u32,
                self.cursor,
                CURRENT_TIME,
            )
            .ok()
            .and_then(|cookie| cookie.reply().ok());
        self.pointer_grabbed = pointer.is_some_and(|r| r.status == GrabStatus::SUCCESS);
    }

    /// The next event, queued ones first, without blocking.
    fn next_event(&mut self) -> Result<Option<Event>, DndError> {
        match self.queued.pop_front() {
            Some(event) => Ok(Some(event)),
            None => Ok(self.conn.poll_for_event()?),
        }
    }

    /// The server's current time: touch a property of the source window and read the
    /// timestamp of the PropertyNotify it causes (ICCCM's way to get a real timestamp).
    fn server_time(&mut self) -> Result<Timestamp, DndError> {
        self.conn.change_property8(
            PropMode::APPEND,
            self.window,
            self.atoms.SongsketchTime,
            AtomEnum::INTEGER,
            &[],
        )?;
        self.conn.flush()?;
        loop {
            match self.conn.wait_for_event()? {
                Event::PropertyNotify(ev)
                    if ev.window == self.window && ev.atom == self.atoms.SongsketchTime =>
                {
                    self.clock = (ev.time, Instant::now());
                    return Ok(ev.time);
                }
                other => self.queued.push_back(other),
            }
        }
    }

    /// The server time estimated from the last read (for Position messages).
    fn estimated_time(&self) -> Timestamp {
        let elapsed = u32::try_from(self.clock.1.elapsed().as_millis()).unwrap_or(u32::MAX);
        self.clock.0.wrapping_add(elapsed)
    }

    /// What an X event means for the drag.
    fn event_inputs(
        &mut self,
        machine: &mut DragMachine,
        event: Event,
    ) -> Result<Vec<Input>, DndError> {
        let inputs = match event {
            Event::ClientMessage(ev) if ev.format == 32 => {
                let data = ev.data.as_data32();
                if ev.type_ == self.atoms.XdndStatus {
                    vec![Input::Status(status_from(data))]
                } else if ev.type_ == self.atoms.XdndFinished {
                    vec![Input::Finished {
                        target: data[0],
                        accepted: data[1] & 1 == 1,
                    }]
                } else {
                    Vec::new()
                }
            }
            Event::SelectionRequest(request) => {
                self.answer_selection_request(machine, &request)?;
                Vec::new()
            }
            Event::SelectionClear(ev) if ev.selection == self.atoms.XdndSelection => {
                // Another drag took the selection over: this one cannot go on.
                self.owns_selection = false;
                vec![Input::Escape]
            }
            Event::KeyPress(ev) if self.escape_keycodes.contains(&ev.detail) => {
                vec![Input::Escape]
            }
            _ => Vec::new(),
        };
        Ok(inputs)
    }

    /// Where the pointer is and whether the button is still held.
    fn pointer_inputs(
        &mut self,
        held: KeyButMask,
        last_position: &mut Option<(i16, i16)>,
    ) -> Result<Vec<Input>, DndError> {
        let pointer = self.conn.query_pointer(self.root)?.reply()?;
        if u16::from(pointer.mask & held) == 0 {
            let time = self.server_time()?;
            return Ok(vec![Input::ButtonReleased { time }]);
        }
        if self.escape_is_down()? {
            return Ok(vec![Input::Escape]);
        }
        let position = (pointer.root_x, pointer.root_y);
        if *last_position == Some(position) {
            if self.last_motion.elapsed() >= STALL_LIMIT {
                return Ok(vec![Input::Escape]);
            }
            return Ok(Vec::new());
        }
        *last_position = Some(position);
        self.last_motion = Instant::now();
        let target = self.target_under_pointer()?;
        Ok(vec![Input::PointerAt {
            x: position.0,
            y: position.1,
            target,
            time: self.estimated_time(),
        }])
    }

    /// Escape held right now (the key map works with or without the keyboard grab).
    fn escape_is_down(&self) -> Result<bool, DndError> {
        let keymap = self.conn.query_keymap()?.reply()?;
        Ok(self.escape_keycodes.iter().any(|&code| {
            let byte = keymap.keys[usize::from(code / 8)];
            byte & (1 << (code % 8)) != 0
        }))
    }

    /// Timer expiry, and whether the awaited target still exists.
    fn timer_inputs(&mut self, machine: &DragMachine) -> Result<Vec<Input>, DndError> {
        let now = Instant::now();
        if self.deadline.is_some_and(|deadline| now >= deadline) {
            self.deadline = None;
            return Ok(vec![Input::Timeout]);
        }
        if machine.is_following_pointer() || now < self.next_liveness_check {
            return Ok(Vec::new());
        }
        self.next_liveness_check = now + LIVENESS_INTERVAL;
        match machine.current_target() {
            Some(target) if !self.window_exists(target.window)? => {
                Ok(vec![Input::TargetGone(target.window)])
            }
            _ => Ok(Vec::new()),
        }
    }

    fn window_exists(&self, window: Window) -> Result<bool, DndError> {
        let attributes = self.conn.get_window_attributes(window)?.reply();
        Ok(reply_or_none(attributes)?.is_some())
    }

    /// Walks from the root down the windows under the pointer to the first XDND-aware one.
    fn target_under_pointer(&self) -> Result<Option<DropTarget>, DndError> {
        let mut window = self.root;
        loop {
            let Some(pointer) = reply_or_none(self.conn.query_pointer(window)?.reply())? else {
                return Ok(None);
            };
            if !pointer.same_screen || pointer.child == 0 {
                break;
            }
            window = pointer.child;
            if let Some(target) = self.xdnd_target(window)? {
                return Ok(Some(target).filter(|t| Some(t.window) != self.exclude_window));
            }
        }
        // Nothing aware under the pointer: a desktop may catch drops on the root by proxy.
        self.xdnd_target(self.root)
    }

    /// The window as a drop target, if it (or its proxy) announces XDND.
    fn xdnd_target(&self, window: Window) -> Result<Option<DropTarget>, DndError> {
        let proxy = self
            .window_property(window, self.atoms.XdndProxy, AtomEnum::WINDOW.into())?
            .filter(|&proxy| {
                // A proxy is valid only if it names itself.
                self.window_property(proxy, self.atoms.XdndProxy, AtomEnum::WINDOW.into())
                    .ok()
                    .flatten()
                    == Some(proxy)
            });
        let aware_on = proxy.unwrap_or(window);
        let version =
            match self.window_property(aware_on, self.atoms.XdndAware, AtomEnum::ATOM.into())? {
                Some(version) => Some(version),
                None if proxy.is_some() => {
                    self.window_property(window, self.atoms.XdndAware, AtomEnum::ATOM.into())?
                }
                None => None,
            };
        Ok(version.map(|version| DropTarget {
            window,
            deliver_to: aware_on,
            version: u8::try_from(version).unwrap_or(u8::MAX),
        }))
    }

    /// The first 32-bit value of a property, if the window has it with that type.
    fn window_property(
        &self,
        window: Window,
        property: Atom,
        type_: Atom,
    ) -> Result<Option<u32>, DndError> {
        let reply = self
            .conn
            .get_property(false, window, property, type_, 0, 1)?
            .reply();
        Ok(reply_or_none(reply)?.and_then(|r| r.value32().and_then(|mut values| values.next())))
    }

    /// Carries out one output of the machine; returns inputs it leads to (a target gone).
    fn perform(&mut self, output: Output) -> Result<Vec<Input>, DndError> {
        let sent = match output {
            Output::Enter {
                target,
                version,
                types,
                use_type_list,
            } => {
                let mut data = [0u32; 5];
                data[0] = self.window;
                data[1] = (u32::from(version) << 24) | u32::from(use_type_list);
                for (slot, name) in data[2..].iter_mut().zip(types) {
                    *slot = self.atoms.for_type(name).unwrap_or(0);
                }
                self.send(target, self.atoms.XdndEnter, data)?
            }
            Output::Position { target, x, y, time } => {
                let point = (u32::from(x as u16) << 16) | u32::from(y as u16);
                let data = [self.window, 0, point, time, self.atoms.XdndActionCopy];
                self.send(target, self.atoms.XdndPosition, data)?
            }
            Output::Leave { target } => {
                self.send(target, self.atoms.XdndLeave, [self.window, 0, 0, 0, 0])?
            }
            Output::Drop { target, time } => {
                self.send(target, self.atoms.XdndDrop, [self.window, 0, time, 0, 0])?
            }
            Output::ArmTimer(timer) => {
                self.deadline = Some(Instant::now() + timer.duration());
                if timer == Timer::Finish {
                    self.next_liveness_check = Instant::now() + LIVENESS_INTERVAL;
                }
                None
            }
            Output::AnswerSelection(_) | Output::Finish(_) => None,
        };
        Ok(sent.map(Input::TargetGone).into_iter().collect())
    }

    /// Sends an XDND client message; returns the target's window if it is gone.
    fn send(
        &self,
        target: DropTarget,
        message: Atom,
        data: [u32; 5],
    ) -> Result<Option<WindowId>, DndError> {
        let event = ClientMessageEvent::new(32, target.window, message, data);
        let sent = self
            .conn
            .send_event(false, target.deliver_to, EventMask::NO_EVENT, event)?
            .check();
        match sent {
            Ok(()) => Ok(None),
            Err(ReplyError::X11Error(_)) => Ok(Some(target.window)),
            Err(ReplyError::ConnectionError(e)) => Err(e.into()),
        }
    }

    /// Answers a request for the XdndSelection data.
    fn answer_selection_request(
        &mut self,
        machine: &mut DragMachine,
        request: &SelectionRequestEvent,
    ) -> Result<(), DndError> {
        let too_early = request.time != CURRENT_TIME && request.time < self.selection_time;
        let answer = if request.selection != self.atoms.XdndSelection || too_early {
            SelectionAnswer::Refuse
        } else {
            let requested = if request.target == self.atoms.TARGETS {
                RequestedData::Targets
            } else {
                let name = self.atoms.type_name(request.target).unwrap_or("");
                RequestedData::Type(name.to_string())
            };
            match machine.handle(Input::SelectionRequest(requested)).pop() {
                Some(Output::AnswerSelection(answer)) => answer,
                _ => SelectionAnswer::Refuse,
            }
        };
        // Obsolete requestors pass no property: the target names it then (ICCCM 2.2).
        let property = if request.property == 0 {
            request.target
        } else {
            request.property
        };
        let written = match answer {
            SelectionAnswer::Targets(names) => {
                let atoms: Vec<Atom> = names
                    .iter()
                    .filter_map(|n| self.atoms.for_type(n))
                    .collect();
                self.conn
                    .change_property32(
                        PropMode::REPLACE,
                        request.requestor,
                        property,
                        AtomEnum::ATOM,
                        &atoms,
                    )?
                    .check()
                    .is_ok()
            }
            SelectionAnswer::Data { bytes, .. } => self
                .conn
                .change_property8(
                    PropMode::REPLACE,
                    request.requestor,
                    property,
                    request.target,
                    &bytes,
                )?
                .check()
                .is_ok(),
            SelectionAnswer::Refuse => false,
        };
        let notify = SelectionNotifyEvent {
            response_type: SELECTION_NOTIFY_EVENT,
            sequence: 0,
            time: request.time,
            requestor: request.requestor,
            selection: request.selection,
            target: request.target,
            property: if written { property } else { 0 },
        };
        // A requestor that vanished meanwhile is not an error of the drag.
        let _ = self
            .conn
            .send_event(false, request.requestor, EventMask::NO_EVENT, notify)?;
        Ok(())
    }
}

impl Drop for XdndSource<'_> {
    /// Gives back everything the drag held, whatever way it ended. Errors are ignored: the
    /// connection closes right after, which releases all of it anyway.
    fn drop(&mut self) {
        let conn = self.conn;
        if self.owns_selection {
            let _ = conn.set_selection_owner(0u32, self.atoms.XdndSelection, CURRENT_TIME);
        }
        if self.keyboard_grabbed {
            let _ = conn.ungrab_keyboard(CURRENT_TIME);
        }
        if self.pointer_grabbed {
            let _ = conn.ungrab_pointer(CURRENT_TIME);
        }
        let _ = conn.destroy_window(self.window);
        if self.cursor != 0 {
            let _ = conn.free_cursor(self.cursor);
        }
        let _ = conn.sync();
    }
}

/// The mouse buttons held in a pointer state (the drag ends when they are all released).
fn held_buttons(mask: KeyButMask) -> KeyButMask {
    mask & (KeyButMask::BUTTON1 | KeyButMask::BUTTON2 | KeyButMask::BUTTON3)
}

/// XdndStatus data: l\[0\] target, l\[1\] flags, l\[2\] x<<16|y, l\[3\] w<<16|h.
fn status_from(data: [u32; 5]) -> Status {
    let rect = Rect {
        x: (data[2] >> 16) as i16,
        y: (data[2] & 0xffff) as i16,
        width: (data[3] >> 16) as u16,
        height: (data[3] & 0xffff) as u16,
    };
    Status {
        target: data[0],
        accept: data[1] & 1 == 1,
        wants_positions: data[1] & 2 == 2,
        quiet_rect: Some(rect).filter(|r| r.width > 0 && r.height > 0),
    }
}
