//! MIDI keyboards through midir's input ports: a watcher thread that notices keyboards plugged
//! in and out, and a connection that lives on a thread of its own, handing each message over a
//! bounded channel (no allocation, no lock in midir's callback). Nothing here blocks the window.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, TryRecvError};
use midir::{Ignore, MidiInput};

use super::take::KeyMessage;
use crate::playback::ports::{CLIENT_NAME, PortInfo, backend_name, find_port, midi_system_hint};

/// How often the watcher looks at the ports.
const WATCH_EVERY: Duration = Duration::from_millis(500);
/// How often it tries again while there is no MIDI system (ALSA logs each failed try).
const RETRY_EVERY: Duration = Duration::from_secs(10);
/// Messages that may wait for the window (a few seconds of hard playing).
const QUEUE: usize = 4096;

/// The keyboards there are, or why there are none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyboardList {
    pub names: Vec<String>,
    /// Why no keyboard can be listed (no MIDI system), when that is so.
    pub unavailable: Option<String>,
}

/// What a keyboard connection reports.
#[derive(Debug, Clone, PartialEq)]
pub enum InputEvent {
    /// Listening: the port is connected.
    Connected(String),
    /// The connection could not be made; nothing more comes.
    Failed(String),
    Message(KeyMessage),
}

/// A keyboard being listened to. Dropping it closes the connection (on its own thread).
#[derive(Debug)]
pub struct KeyboardInput {
    pub name: String,
    events: Receiver<InputEvent>,
    _stop: Sender<()>,
}

impl KeyboardInput {
    /// A connection whose events come through `events`; it closes when `stop`'s receiver sees
    /// this value dropped. For other inputs than midir's (tests give their own).
    pub fn new(name: String, events: Receiver<InputEvent>, stop: Sender<()>) -> Self {
        KeyboardInput {
            name,
            events,
            _stop: stop,
        }
    }

    /// What arrived since the last call; never waits.
    pub fn take_events(&self) -> Vec<InputEvent> {
        let mut events = Vec::new();
        loop {
            match self.events.try_recv() {
                Ok(event) => events.push(event),
                Err(TryRecvError::Empty) => return events,
                Err(TryRecvError::Disconnected) => {
                    if events.is_empty() {
                        events.push(InputEvent::Failed(format!(
                            "the connection to {:?} closed",
                            self.name
                        )));
                    }
                    return events;
                }
            }
        }
    }
}

/// The keyboards as the window sees them. Every method returns at once.
pub trait Keyboards {
    /// Starts noticing keyboards plugged in and out; `wake` asks the window for a frame.
    fn watch(&mut self, wake: Box<dyn Fn() + Send>);
    /// The keyboards there are, when that changed since the last call.
    fn changed(&mut self) -> Option<KeyboardList>;
    /// Starts listening to the keyboard called `name`; the connection reports how that went.
    fn open(&mut self, name: &str) -> KeyboardInput;
}

/// No keyboards at all (a build or a test without MIDI input).
#[derive(Debug, Default)]
pub struct NoKeyboards {
    told: bool,
}

impl Keyboards for NoKeyboards {
    fn watch(&mut self, _wake: Box<dyn Fn() + Send>) {}

    fn changed(&mut self) -> Option<KeyboardList> {
        (!std::mem::replace(&mut self.told, true)).then(|| KeyboardList {
            names: Vec::new(),
            unavailable: Some("This build of Songsketch reads no MIDI keyboards.".into()),
        })
    }

    fn open(&mut self, name: &str) -> KeyboardInput {
        let (events, receiver) = crossbeam_channel::bounded(1);
        let (stop, _) = crossbeam_channel::bounded(1);
        let _ = events.send(InputEvent::Failed(format!(
            "cannot listen to {name}: this build reads no MIDI keyboards"
        )));
        KeyboardInput::new(name.to_string(), receiver, stop)
    }
}

/// The real keyboards: midir's MIDI input ports (ALSA, or JACK with the `jack` feature).
#[derive(Debug, Default)]
pub struct MidirKeyboards {
    lists: Option<Receiver<KeyboardList>>,
    stop_watching: Arc<AtomicBool>,
}

impl Drop for MidirKeyboards {
    fn drop(&mut self) {
        self.stop_watching.store(true, Ordering::Relaxed);
    }
}

impl Keyboards for MidirKeyboards {
    fn watch(&mut self, wake: Box<dyn Fn() + Send>) {
        let (sender, receiver) = crossbeam_channel::unbounded();
        let stop = Arc::clone(&self.stop_watching);
        let spawned = std::thread::Builder::new()
            .name("keyboard watcher".into())
            .spawn(move || watch_ports(&sender, &*wake, &stop));
        if let Err(error) = spawned {
            let (sender, failed) = crossbeam_channel::bounded(1);
            let _ = sender.send(KeyboardList {
                names: Vec::new(),
                unavailable: Some(format!("could not watch for MIDI keyboards: {error}")),
            });
            self.lists = Some(failed);
            return;
        }
        self.lists = Some(receiver);
    }

    fn changed(&mut self) -> Option<KeyboardList> {
        self.lists.as_ref()?.try_iter().last()
    }

    fn open(&mut self, name: &str) -> KeyboardInput {
        let (events, receiver) = crossbeam_channel::bounded(QUEUE);
        let (stop, stopped) = crossbeam_channel::bounded::<()>(1);
        let wanted = name.to_string();
        let failed = events.clone();
        let spawned = std::thread::Builder::new()
            .name("keyboard input".into())
            .spawn(move || listen(&wanted, events, &stopped));
        if let Err(error) = spawned {
            let _ = failed.send(InputEvent::Failed(format!(
                "no thread to listen on: {error}"
            )));
        }
        KeyboardInput::new(name.to_string(), receiver, stop)
    }
}

/// The keyboards (MIDI input ports) there are right now, or why none can be listed.
pub fn list_keyboards() -> Result<Vec<String>, String> {
    let input = new_input("-list")?;
    Ok(input_ports(&input).into_iter().map(|p| p.name).collect())
}

fn new_input(suffix: &str) -> Result<MidiInput, String> {
    let mut input = MidiInput::new(&format!("{CLIENT_NAME}{suffix}")).map_err(|e| {
        format!(
            "{} MIDI input is not available: {e}; {}",
            backend_name(),
            midi_system_hint()
        )
    })?;
    input.ignore(Ignore::All);
    Ok(input)
}

fn input_ports(input: &MidiInput) -> Vec<PortInfo> {
    input
        .ports()
        .iter()
        .filter_map(|port| {
            Some(PortInfo {
                name: input.port_name(port).ok()?,
                id: port.id(),
            })
        })
        // Our own output is not a keyboard.
        .filter(|port| !port.name.starts_with(CLIENT_NAME))
        .collect()
}

/// Lists the ports every [`WATCH_EVERY`] (every [`RETRY_EVERY`] while there is no MIDI system),
/// sending the list whenever it changes.
fn watch_ports(lists: &Sender<KeyboardList>, wake: &dyn Fn(), stop: &AtomicBool) {
    let mut client = None;
    let mut last = None;
    while !stop.load(Ordering::Relaxed) {
        let mut pause = WATCH_EVERY;
        if client.is_none() {
            client = Some(new_input("-keyboards"));
        }
        let list = match client.as_ref() {
            Some(Ok(input)) => KeyboardList {
                names: input_ports(input).into_iter().map(|p| p.name).collect(),
                unavailable: None,
            },
            Some(Err(reason)) => {
                let list = KeyboardList {
                    names: Vec::new(),
                    unavailable: Some(reason.clone()),
                };
                // Try again later: the MIDI system may start after the window.
                client = None;
                pause = RETRY_EVERY;
                list
            }
            None => KeyboardList::default(),
        };
        if last.as_ref() != Some(&list) {
            if lists.send(list.clone()).is_err() {
                return;
            }
            wake();
            last = Some(list);
        }
        sleep_unless_stopped(pause, stop);
    }
}

/// Sleeps for `pause`, waking early when `stop` is set.
fn sleep_unless_stopped(pause: Duration, stop: &AtomicBool) {
    let until = Instant::now() + pause;
    while !stop.load(Ordering::Relaxed) && Instant::now() < until {
        std::thread::sleep(WATCH_EVERY.min(until.saturating_duration_since(Instant::now())));
    }
}

/// Connects to the port `wanted`, forwards its messages, and closes when `stop` is dropped.
fn listen(wanted: &str, events: Sender<InputEvent>, stop: &Receiver<()>) {
    let connection = match connect(wanted, events.clone()) {
        Ok(connection) => connection,
        Err(reason) => {
            let _ = events.send(InputEvent::Failed(reason));
            return;
        }
    };
    let _ = events.send(InputEvent::Connected(wanted.to_string()));
    // Returns when the KeyboardInput is dropped.
    let _ = stop.recv();
    drop(connection);
}

fn connect(
    wanted: &str,
    events: Sender<InputEvent>,
) -> Result<midir::MidiInputConnection<()>, String> {
    let input = new_input("-in")?;
    let ports = input_ports(&input);
    let port = find_port(&ports, wanted)
        .map_err(|e| e.to_string())?
        .clone();
    let midir_port = input
        .find_port_by_id(&port.id)
        .ok_or_else(|| format!("{:?} went away while connecting", port.name))?;
    input
        .connect(
            &midir_port,
            "keyboard",
            move |stamp, message, ()| {
                let message = KeyMessage::new(stamp, Instant::now(), message);
                // A full queue drops the message rather than stall the MIDI thread.
                let _ = events.try_send(InputEvent::Message(message));
            },
            (),
        )
        .map_err(|e| format!("could not listen to {:?}: {e}", port.name))
}
