//! The XDND source side (protocol version 5) as a pure state machine, with no X connection.
//!
//! [`DragMachine`] takes what happened ([`Input`]: the pointer is over a window, a target sent
//! XdndStatus, the button was released, Escape, a timeout, XdndFinished, a selection request) and
//! answers with what to do ([`Output`]: send Enter, Position, Leave or Drop, answer the selection
//! request, arm a timer, finish). The X11 layer (`x11.rs`) turns X events into inputs and outputs
//! into requests, so every rule of the protocol is testable here without a display.
//!
//! Rules it keeps (from the XDND specification, freedesktop.org):
//! - targets announcing version 3 to 5 are spoken to in `min(theirs, 5)`; older ones are treated
//!   as not aware;
//! - one XdndPosition is outstanding at a time: further moves are coalesced and the newest is
//!   sent when XdndStatus arrives; inside the target's "quiet" rectangle no positions are sent
//!   unless it asked for them;
//! - releasing over nothing, or over a target that did not accept, ends quietly with a Leave;
//!   a release while a Position is unanswered waits (bounded) for the Status before deciding;
//! - after XdndDrop the source keeps serving the selection until XdndFinished or a timeout.

use std::path::Path;
use std::time::Duration;

/// The protocol version this source speaks.
pub const XDND_VERSION: u8 = 5;
/// The oldest target version this source talks to.
pub const MIN_TARGET_VERSION: u8 = 3;
/// How long a release waits for the Status of an unanswered Position.
pub const STATUS_WAIT: Duration = Duration::from_millis(800);
/// How long the source serves the data after XdndDrop when no XdndFinished comes.
pub const FINISH_WAIT: Duration = Duration::from_secs(8);

/// The data types offered, most specific first. More than three, so targets read them from the
/// `XdndTypeList` property of the source window.
pub const OFFERED_TYPES: [&str; 4] = [
    URI_LIST,
    "text/plain;charset=utf-8",
    "UTF8_STRING",
    "text/plain",
];
/// The type file managers and DAWs take files by.
pub const URI_LIST: &str = "text/uri-list";

/// An X window id (the protocol does not need to know more about it).
pub type WindowId = u32;
/// A server timestamp in milliseconds.
pub type Timestamp = u32;

/// A window that takes part in XDND, as found under the pointer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DropTarget {
    /// The window carrying `XdndAware`: it is named in every message.
    pub window: WindowId,
    /// Where messages are sent: the window itself, or the window its `XdndProxy` names.
    pub deliver_to: WindowId,
    /// The version announced in `XdndAware`.
    pub version: u8,
}

impl DropTarget {
    /// A target without a proxy.
    pub fn direct(window: WindowId, version: u8) -> Self {
        DropTarget {
            window,
            deliver_to: window,
            version,
        }
    }

    /// Whether this source can talk to it at all.
    pub fn is_supported(&self) -> bool {
        self.version >= MIN_TARGET_VERSION
    }

    /// The version both sides speak.
    pub fn spoken_version(&self) -> u8 {
        self.version.min(XDND_VERSION)
    }
}

/// A rectangle in root coordinates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rect {
    pub x: i16,
    pub y: i16,
    pub width: u16,
    pub height: u16,
}

impl Rect {
    /// Whether the point lies inside.
    pub fn contains(&self, x: i16, y: i16) -> bool {
        let (x, y) = (i32::from(x), i32::from(y));
        let (left, top) = (i32::from(self.x), i32::from(self.y));
        x >= left
            && y >= top
            && x < left + i32::from(self.width)
            && y < top + i32::from(self.height)
    }
}

/// What a target said in XdndStatus.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Status {
    /// The window that answered (data.l\[0\]).
    pub target: WindowId,
    /// Bit 0: it will accept a drop.
    pub accept: bool,
    /// Bit 1: it wants positions even inside `quiet_rect`.
    pub wants_positions: bool,
    /// Where no further positions are needed (absent when empty).
    pub quiet_rect: Option<Rect>,
}

/// The data a selection request asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RequestedData {
    /// The list of offered types (`TARGETS`).
    Targets,
    /// One type by name (e.g. `text/uri-list`).
    Type(String),
}

/// How to answer a selection request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SelectionAnswer {
    /// Reply with these type names (`TARGETS` also lists itself).
    Targets(Vec<&'static str>),
    /// Reply with these bytes, typed as `mime`.
    Data { mime: String, bytes: Vec<u8> },
    /// Reply that the conversion failed (property None).
    Refuse,
}

/// Something that happened during the drag.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// The pointer is at root position (x, y) over `target` (None: no XDND-aware window there).
    PointerAt {
        x: i16,
        y: i16,
        target: Option<DropTarget>,
        time: Timestamp,
    },
    /// A target sent XdndStatus.
    Status(Status),
    /// The mouse button that started the drag was released.
    ButtonReleased { time: Timestamp },
    /// The person pressed Escape.
    Escape,
    /// The window is gone (destroyed, or messages to it fail).
    TargetGone(WindowId),
    /// The timer the machine armed last ran out.
    Timeout,
    /// A target sent XdndFinished.
    Finished { target: WindowId, accepted: bool },
    /// Someone asked for the XdndSelection data.
    SelectionRequest(RequestedData),
}

/// How the drag ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DragOutcome {
    /// The file was dropped on this window (it accepted and finished, or took the data).
    Dropped { target: WindowId },
    /// Released over nothing that takes part in XDND, or Escape was pressed.
    Cancelled,
    /// Released over a target that did not accept, or that reported the drop failed.
    Refused,
}

/// Which timer to arm.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timer {
    /// Waiting for the Status that decides a release.
    Status,
    /// Waiting for XdndFinished after the drop.
    Finish,
}

impl Timer {
    /// How long it runs.
    pub fn duration(self) -> Duration {
        match self {
            Timer::Status => STATUS_WAIT,
            Timer::Finish => FINISH_WAIT,
        }
    }
}

/// What the X layer must do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output {
    /// XdndEnter in `version`; with `use_type_list` the types are read from `XdndTypeList`.
    Enter {
        target: DropTarget,
        version: u8,
        types: &'static [&'static str],
        use_type_list: bool,
    },
    /// XdndPosition at root (x, y), action copy.
    Position {
        target: DropTarget,
        x: i16,
        y: i16,
        time: Timestamp,
    },
    /// XdndLeave.
    Leave { target: DropTarget },
    /// XdndDrop with the release timestamp.
    Drop { target: DropTarget, time: Timestamp },
    /// Answer the pending selection request.
    AnswerSelection(SelectionAnswer),
    /// Arm (or re-arm) the one timer.
    ArmTimer(Timer),
    /// The drag is over: release the selection, ungrab, destroy the source window.
    Finish(DragOutcome),
}

/// The dragged file in the forms the offered types need.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Payload {
    /// `file:///path\r\n`, percent-encoded.
    uri_list: Vec<u8>,
    /// The path as text.
    plain_path: Vec<u8>,
}

impl Payload {
    /// The payload for an absolute path.
    pub fn for_file(path: &Path) -> Self {
        let bytes = path_bytes(path);
        let mut uri_list = b"file://".to_vec();
        uri_list.extend(percent_encode_path(&bytes).into_bytes());
        uri_list.extend_from_slice(b"\r\n");
        Payload {
            uri_list,
            plain_path: bytes,
        }
    }

    /// The bytes for one offered type, or None for a type not offered.
    fn bytes_for(&self, mime: &str) -> Option<&[u8]> {
        match mime {
            URI_LIST => Some(&self.uri_list),
            m if OFFERED_TYPES.contains(&m) => Some(&self.plain_path),
            _ => None,
        }
    }
}

#[cfg(unix)]
fn path_bytes(path: &Path) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    path.as_os_str().as_bytes().to_vec()
}

#[cfg(not(unix))]
fn path_bytes(path: &Path) -> Vec<u8> {
    path.to_string_lossy().into_owned().into_bytes()
}

/// Percent-encodes a path for a `file://` URI: unreserved characters and `/` stay as they are.
pub fn percent_encode_path(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The target the pointer is over, with what it said so far.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Engaged {
    target: DropTarget,
    accepted: bool,
    wants_positions: bool,
    quiet_rect: Option<Rect>,
    /// A Position was sent and its Status has not come.
    awaiting_status: bool,
    /// The newest position not yet sent (coalesced while a Status is awaited).
    pending: Option<(i16, i16, Timestamp)>,
    last_sent: Option<(i16, i16)>,
}

impl Engaged {
    fn new(target: DropTarget) -> Self {
        Engaged {
            target,
            accepted: false,
            wants_positions: false,
            quiet_rect: None,
            awaiting_status: false,
            pending: None,
            last_sent: None,
        }
    }

    /// Whether a move to (x, y) needs a Position message.
    fn needs_position(&self, x: i16, y: i16) -> bool {
        if self.last_sent == Some((x, y)) {
            return false;
        }
        let quiet = self.quiet_rect.is_some_and(|r| r.contains(x, y));
        !quiet || self.wants_positions
    }

    fn position(&mut self, x: i16, y: i16, time: Timestamp) -> Output {
        self.awaiting_status = true;
        self.pending = None;
        self.last_sent = Some((x, y));
        Output::Position {
            target: self.target,
            x,
            y,
            time,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum State {
    /// The button is held; the pointer is over `over` (or no aware window).
    Dragging { over: Option<Engaged> },
    /// Released while a Position was unanswered: the Status decides.
    ReleasedAwaitingStatus { engaged: Engaged, time: Timestamp },
    /// XdndDrop was sent; serving the data until XdndFinished.
    AwaitingFinished {
        target: DropTarget,
        data_taken: bool,
    },
    /// Over.
    Done(DragOutcome),
}

/// The source side of one drag.
#[derive(Clone, Debug)]
pub struct DragMachine {
    state: State,
    payload: Payload,
}

impl DragMachine {
    /// A drag of `payload` that has just started (button held, over no target yet).
    pub fn new(payload: Payload) -> Self {
        DragMachine {
            state: State::Dragging { over: None },
            payload,
        }
    }

    /// The outcome, once the drag is over.
    pub fn outcome(&self) -> Option<DragOutcome> {
        match self.state {
            State::Done(outcome) => Some(outcome),
            _ => None,
        }
    }

    /// Whether the pointer is still being followed (the button is held).
    pub fn is_following_pointer(&self) -> bool {
        matches!(self.state, State::Dragging { .. })
    }

    /// The target currently engaged (entered and not left), if any.
    pub fn current_target(&self) -> Option<DropTarget> {
        match &self.state {
            State::Dragging { over } => over.map(|e| e.target),
            State::ReleasedAwaitingStatus { engaged, .. } => Some(engaged.target),
            State::AwaitingFinished { target, .. } => Some(*target),
            State::Done(_) => None,
        }
    }

    /// Feeds one input; returns what to do, in order.
    pub fn handle(&mut self, input: Input) -> Vec<Output> {
        if let Input::SelectionRequest(requested) = input {
            return vec![Output::AnswerSelection(self.answer_selection(&requested))];
        }
        let state = std::mem::replace(&mut self.state, State::Done(DragOutcome::Cancelled));
        let (next, outputs) = match state {
            State::Dragging { over } => dragging(over, input),
            State::ReleasedAwaitingStatus { engaged, time } => {
                released_awaiting_status(engaged, time, input)
            }
            State::AwaitingFinished { target, data_taken } => {
                awaiting_finished(target, data_taken, input)
            }
            State::Done(outcome) => (State::Done(outcome), Vec::new()),
        };
        self.state = next;
        outputs
    }

    fn answer_selection(&mut self, requested: &RequestedData) -> SelectionAnswer {
        if matches!(self.state, State::Done(_)) {
            return SelectionAnswer::Refuse;
        }
        let answer = match requested {
            RequestedData::Targets => {
                let mut types = vec!["TARGETS"];
                types.extend(OFFERED_TYPES);
                SelectionAnswer::Targets(types)
            }
            RequestedData::Type(mime) => match self.payload.bytes_for(mime) {
                Some(bytes) => SelectionAnswer::Data {
                    mime: mime.clone(),
                    bytes: bytes.to_vec(),
                },
                None => SelectionAnswer::Refuse,
            },
        };
        if let (State::AwaitingFinished { data_taken, .. }, SelectionAnswer::Data { .. }) =
            (&mut self.state, &answer)
        {
            *data_taken = true;
        }
        answer
    }
}

type Step = (State, Vec<Output>);

fn done(outcome: DragOutcome, mut outputs: Vec<Output>) -> Step {
    outputs.push(Output::Finish(outcome));
    (State::Done(outcome), outputs)
}

fn enter(target: DropTarget) -> Output {
    Output::Enter {
        target,
        version: target.spoken_version(),
        types: &OFFERED_TYPES,
        use_type_list: OFFERED_TYPES.len() > 3,
    }
}

fn dragging(over: Option<Engaged>, input: Input) -> Step {
    match input {
        Input::PointerAt { x, y, target, time } => pointer_at(over, x, y, target, time),
        Input::Status(status) => match over {
            Some(mut engaged) if engaged.target.window == status.target => {
                engaged.accepted = status.accept;
                engaged.wants_positions = status.wants_positions;
                engaged.quiet_rect = status.quiet_rect;
                engaged.awaiting_status = false;
                let mut outputs = Vec::new();
                if let Some((x, y, time)) = engaged.pending
                    && engaged.needs_position(x, y)
                {
                    outputs.push(engaged.position(x, y, time));
                }
                engaged.pending = None;
                (
                    State::Dragging {
                        over: Some(engaged),
                    },
                    outputs,
                )
            }
            other => (State::Dragging { over: other }, Vec::new()),
        },
        Input::ButtonReleased { time } => release(over, time),
        Input::Escape => {
            let leave = over.map(|e| Output::Leave { target: e.target });
            done(DragOutcome::Cancelled, leave.into_iter().collect())
        }
        Input::TargetGone(window) => match over {
            Some(engaged) if engaged.target.window == window => {
                (State::Dragging { over: None }, Vec::new())
            }
            other => (State::Dragging { over: other }, Vec::new()),
        },
        Input::Timeout | Input::Finished { .. } | Input::SelectionRequest(_) => {
            (State::Dragging { over }, Vec::new())
        }
    }
}

fn pointer_at(
    over: Option<Engaged>,
    x: i16,
    y: i16,
    target: Option<DropTarget>,
    time: Timestamp,
) -> Step {
    let target = target.filter(DropTarget::is_supported);
    let mut outputs = Vec::new();
    let same_window = |e: &Engaged| Some(e.target.window) == target.map(|t| t.window);
    let mut engaged = match over {
        Some(e) if same_window(&e) => Some(e),
        Some(e) => {
            outputs.push(Output::Leave { target: e.target });
            None
        }
        None => None,
    };
    if engaged.is_none()
        && let Some(target) = target
    {
        outputs.push(enter(target));
        engaged = Some(Engaged::new(target));
    }
    if let Some(e) = engaged.as_mut() {
        if e.awaiting_status {
            e.pending = Some((x, y, time));
        } else if e.needs_position(x, y) {
            outputs.push(e.position(x, y, time));
        }
    }
    (State::Dragging { over: engaged }, outputs)
}

fn release(over: Option<Engaged>, time: Timestamp) -> Step {
    match over {
        None => done(DragOutcome::Cancelled, Vec::new()),
        Some(engaged) if engaged.awaiting_status => (
            State::ReleasedAwaitingStatus { engaged, time },
            vec![Output::ArmTimer(Timer::Status)],
        ),
        Some(engaged) => decide_drop(engaged, time),
    }
}

/// Drop if the target accepted, otherwise leave it quietly.
fn decide_drop(engaged: Engaged, time: Timestamp) -> Step {
    let target = engaged.target;
    if engaged.accepted {
        (
            State::AwaitingFinished {
                target,
                data_taken: false,
            },
            vec![
                Output::Drop { target, time },
                Output::ArmTimer(Timer::Finish),
            ],
        )
    } else {
        done(DragOutcome::Refused, vec![Output::Leave { target }])
    }
}

fn released_awaiting_status(mut engaged: Engaged, time: Timestamp, input: Input) -> Step {
    let target = engaged.target;
    match input {
        Input::Status(status) if status.target == target.window => {
            engaged.accepted = status.accept;
            decide_drop(engaged, time)
        }
        Input::Timeout => done(DragOutcome::Refused, vec![Output::Leave { target }]),
        Input::Escape => done(DragOutcome::Cancelled, vec![Output::Leave { target }]),
        Input::TargetGone(window) if window == target.window => {
            done(DragOutcome::Cancelled, Vec::new())
        }
        _ => (State::ReleasedAwaitingStatus { engaged, time }, Vec::new()),
    }
}

fn awaiting_finished(target: DropTarget, data_taken: bool, input: Input) -> Step {
    let ended = |data_taken: bool| {
        if data_taken {
            DragOutcome::Dropped {
                target: target.window,
            }
        } else {
            DragOutcome::Refused
        }
    };
    match input {
        Input::Finished {
            target: from,
            accepted,
        } if from == target.window => {
            // Before version 5 XdndFinished carries no result: finishing means success.
            let succeeded = accepted || target.spoken_version() < 5;
            let outcome = if succeeded {
                DragOutcome::Dropped {
                    target: target.window,
                }
            } else {
                DragOutcome::Refused
            };
            done(outcome, Vec::new())
        }
        Input::Timeout => done(ended(data_taken), Vec::new()),
        Input::TargetGone(window) if window == target.window => done(ended(data_taken), Vec::new()),
        _ => (State::AwaitingFinished { target, data_taken }, Vec::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: DropTarget = DropTarget {
        window: 0x40_0001,
        deliver_to: 0x40_0001,
        version: 5,
    };
    const OTHER: DropTarget = DropTarget {
        window: 0x50_0001,
        deliver_to: 0x50_0001,
        version: 4,
    };

    fn machine() -> DragMachine {
        DragMachine::new(Payload::for_file(Path::new("/tmp/Am 96bpm/idea-12.mid")))
    }

    fn at(x: i16, y: i16, target: Option<DropTarget>) -> Input {
        Input::PointerAt {
            x,
            y,
            target,
            time: 1000 + x as u32,
        }
    }

    fn status(target: DropTarget, accept: bool) -> Input {
        Input::Status(Status {
            target: target.window,
            accept,
            wants_positions: false,
            quiet_rect: None,
        })
    }

    fn finished(target: DropTarget, accepted: bool) -> Input {
        Input::Finished {
            target: target.window,
            accepted,
        }
    }

    #[test]
    fn payload_is_a_percent_encoded_file_uri_with_crlf() {
        let payload = Payload::for_file(Path::new("/tmp/Am 96bpm/idea#12ü.mid"));
        assert_eq!(
            payload.uri_list,
            b"file:///tmp/Am%2096bpm/idea%2312%C3%BC.mid\r\n".to_vec()
        );
        assert_eq!(payload.plain_path, "/tmp/Am 96bpm/idea#12ü.mid".as_bytes());
    }

    #[test]
    fn entering_a_target_sends_enter_with_type_list_then_position() {
        let mut m = machine();
        let out = m.handle(at(10, 20, Some(T)));
        assert_eq!(
            out,
            vec![
                Output::Enter {
                    target: T,
                    version: 5,
                    types: &OFFERED_TYPES,
                    use_type_list: true,
                },
                Output::Position {
                    target: T,
                    x: 10,
                    y: 20,
                    time: 1010
                },
            ]
        );
        assert_eq!(OFFERED_TYPES[0], "text/uri-list");
    }

    #[test]
    fn version_is_the_lower_of_both_and_old_targets_are_ignored() {
        let mut m = machine();
        let out = m.handle(at(1, 1, Some(OTHER)));
        assert!(matches!(out[0], Output::Enter { version: 4, .. }));
        let mut m = machine();
        let newer = DropTarget::direct(7, 9);
        assert!(matches!(
            m.handle(at(1, 1, Some(newer)))[0],
            Output::Enter { version: 5, .. }
        ));
        let mut m = machine();
        let old = DropTarget::direct(7, 2);
        assert!(m.handle(at(1, 1, Some(old))).is_empty());
        assert_eq!(
            m.handle(Input::ButtonReleased { time: 5 }),
            vec![Output::Finish(DragOutcome::Cancelled)]
        );
    }

    #[test]
    fn positions_are_throttled_to_one_outstanding_and_the_newest_follows_the_status() {
        let mut m = machine();
        m.handle(at(10, 10, Some(T)));
        assert!(m.handle(at(11, 10, Some(T))).is_empty());
        assert!(m.handle(at(12, 10, Some(T))).is_empty());
        let out = m.handle(status(T, true));
        assert_eq!(
            out,
            vec![Output::Position {
                target: T,
                x: 12,
                y: 10,
                time: 1012
            }]
        );
        // The Status for that one came: a new move is sent at once.
        m.handle(status(T, true));
        assert_eq!(m.handle(at(13, 10, Some(T))).len(), 1);
    }

    #[test]
    fn no_positions_inside_the_quiet_rectangle_unless_asked() {
        let mut m = machine();
        m.handle(at(10, 10, Some(T)));
        let rect = Rect {
            x: 0,
            y: 0,
            width: 50,
            height: 50,
        };
        m.handle(Input::Status(Status {
            target: T.window,
            accept: true,
            wants_positions: false,
            quiet_rect: Some(rect),
        }));
        assert!(m.handle(at(20, 20, Some(T))).is_empty());
        assert_eq!(m.handle(at(60, 20, Some(T))).len(), 1);
    }

    #[test]
    fn moving_to_another_target_leaves_the_first() {
        let mut m = machine();
        m.handle(at(10, 10, Some(T)));
        let out = m.handle(at(300, 10, Some(OTHER)));
        assert_eq!(out[0], Output::Leave { target: T });
        assert!(matches!(out[1], Output::Enter { target: OTHER, .. }));
        assert!(matches!(out[2], Output::Position { target: OTHER, .. }));
        // A late Status from the first target changes nothing.
        assert!(m.handle(status(T, true)).is_empty());
        assert_eq!(m.current_target(), Some(OTHER));
        let out = m.handle(at(500, 500, None));
        assert_eq!(out, vec![Output::Leave { target: OTHER }]);
    }

    #[test]
    fn release_over_an_accepting_target_drops_and_finishes_dropped() {
        let mut m = machine();
        m.handle(at(10, 10, Some(T)));
        m.handle(status(T, true));
        let out = m.handle(Input::ButtonReleased { time: 4242 });
        assert_eq!(
            out,
            vec![
                Output::Drop {
                    target: T,
                    time: 4242
                },
                Output::ArmTimer(Timer::Finish)
            ]
        );
        assert!(!m.is_following_pointer());
        let answer = m.handle(Input::SelectionRequest(RequestedData::Type(
            URI_LIST.to_string(),
        )));
        assert_eq!(
            answer,
            vec![Output::AnswerSelection(SelectionAnswer::Data {
                mime: URI_LIST.to_string(),
                bytes: b"file:///tmp/Am%2096bpm/idea-12.mid\r\n".to_vec(),
            })]
        );
        assert!(m.handle(finished(OTHER, true)).is_empty());
        let out = m.handle(finished(T, true));
        let dropped = DragOutcome::Dropped { target: T.window };
        assert_eq!(out, vec![Output::Finish(dropped)]);
        assert_eq!(m.outcome(), Some(dropped));
    }

    #[test]
    fn finished_without_success_in_version_5_is_refused_but_counts_in_version_4() {
        let mut m = machine();
        m.handle(at(10, 10, Some(T)));
        m.handle(status(T, true));
        m.handle(Input::ButtonReleased { time: 1 });
        m.handle(finished(T, false));
        assert_eq!(m.outcome(), Some(DragOutcome::Refused));

        let mut m = machine();
        m.handle(at(10, 10, Some(OTHER)));
        m.handle(status(OTHER, true));
        m.handle(Input::ButtonReleased { time: 1 });
        m.handle(finished(OTHER, false));
        assert_eq!(
            m.outcome(),
            Some(DragOutcome::Dropped {
                target: OTHER.window
            })
        );
    }

    #[test]
    fn release_over_a_refusing_target_leaves_quietly() {
        let mut m = machine();
        m.handle(at(10, 10, Some(T)));
        m.handle(status(T, false));
        let out = m.handle(Input::ButtonReleased { time: 9 });
        assert_eq!(
            out,
            vec![
                Output::Leave { target: T },
                Output::Finish(DragOutcome::Refused)
            ]
        );
    }

    #[test]
    fn release_over_nothing_cancels_without_messages() {
        let mut m = machine();
        m.handle(at(10, 10, None));
        assert_eq!(
            m.handle(Input::ButtonReleased { time: 9 }),
            vec![Output::Finish(DragOutcome::Cancelled)]
        );
        // After the end, nothing more happens and the data is no longer served.
        assert!(m.handle(at(10, 10, Some(T))).is_empty());
        assert_eq!(
            m.handle(Input::SelectionRequest(RequestedData::Targets)),
            vec![Output::AnswerSelection(SelectionAnswer::Refuse)]
        );
    }

    #[test]
    fn release_with_an_unanswered_position_waits_for_the_status() {
        let mut m = machine();
        m.handle(at(10, 10, Some(T)));
        let out = m.handle(Input::ButtonReleased { time: 77 });
        assert_eq!(out, vec![Output::ArmTimer(Timer::Status)]);
        let out = m.handle(status(T, true));
        assert_eq!(
            out[0],
            Output::Drop {
                target: T,
                time: 77
            }
        );

        let mut m = machine();
        m.handle(at(10, 10, Some(T)));
        m.handle(Input::ButtonReleased { time: 77 });
        let out = m.handle(Input::Timeout);
        assert_eq!(
            out,
            vec![
                Output::Leave { target: T },
                Output::Finish(DragOutcome::Refused)
            ]
        );
    }

    #[test]
    fn escape_cancels_with_a_leave() {
        let mut m = machine();
        m.handle(at(10, 10, Some(T)));
        assert_eq!(
            m.handle(Input::Escape),
            vec![
                Output::Leave { target: T },
                Output::Finish(DragOutcome::Cancelled)
            ]
        );
    }

    #[test]
    fn a_destroyed_target_is_forgotten_without_a_leave() {
        let mut m = machine();
        m.handle(at(10, 10, Some(T)));
        assert!(m.handle(Input::TargetGone(T.window)).is_empty());
        assert_eq!(m.current_target(), None);
        assert_eq!(
            m.handle(Input::ButtonReleased { time: 3 }),
            vec![Output::Finish(DragOutcome::Cancelled)]
        );
    }

    #[test]
    fn finish_timeout_counts_as_dropped_only_if_the_data_was_taken() {
        let drop_on_t = || {
            let mut m = machine();
            m.handle(at(10, 10, Some(T)));
            m.handle(status(T, true));
            m.handle(Input::ButtonReleased { time: 1 });
            m
        };
        let mut m = drop_on_t();
        m.handle(Input::Timeout);
        assert_eq!(m.outcome(), Some(DragOutcome::Refused));

        let mut m = drop_on_t();
        m.handle(Input::SelectionRequest(RequestedData::Targets));
        m.handle(Input::SelectionRequest(RequestedData::Type(
            "text/plain".into(),
        )));
        m.handle(Input::TargetGone(T.window));
        assert_eq!(m.outcome(), Some(DragOutcome::Dropped { target: T.window }));
    }

    #[test]
    fn selection_answers_targets_each_offered_type_and_refuses_others() {
        let mut m = machine();
        let targets = m.handle(Input::SelectionRequest(RequestedData::Targets));
        assert_eq!(
            targets,
            vec![Output::AnswerSelection(SelectionAnswer::Targets(vec![
                "TARGETS",
                "text/uri-list",
                "text/plain;charset=utf-8",
                "UTF8_STRING",
                "text/plain"
            ]))]
        );
        let plain = m.handle(Input::SelectionRequest(RequestedData::Type(
            "UTF8_STRING".into(),
        )));
        assert_eq!(
            plain,
            vec![Output::AnswerSelection(SelectionAnswer::Data {
                mime: "UTF8_STRING".into(),
                bytes: b"/tmp/Am 96bpm/idea-12.mid".to_vec()
            })]
        );
        assert_eq!(
            m.handle(Input::SelectionRequest(RequestedData::Type(
                "image/png".into()
            ))),
            vec![Output::AnswerSelection(SelectionAnswer::Refuse)]
        );
    }

    #[test]
    fn rect_contains_its_inside_only() {
        let r = Rect {
            x: -5,
            y: 10,
            width: 10,
            height: 2,
        };
        assert!(r.contains(-5, 10));
        assert!(r.contains(4, 11));
        assert!(!r.contains(5, 11));
        assert!(!r.contains(0, 12));
    }
}
