//! Recording a motif from a MIDI keyboard, in the window: Record (key R) counts in one bar on
//! the metronome through the current output, then captures what is played at the idea bar's
//! tempo, meter and key; the roll shows the take quantized as it grows. Stop (R again, or the
//! take's last bar) leaves it on the roll and asks what it becomes, as a dropped file does.
//! A keyboard plugged in or out is a message; unplugged while recording, the take ends with
//! what was played.

use std::time::{Duration, Instant};

use super::SongsketchApp;
use super::piano_roll::seconds_to_ticks;
use crate::music::Tempo;
use crate::recording::{InputEvent, KeyboardInput, KeyboardList, Take};
use crate::worker::Material;

/// How often a held note's growing length is redrawn on the roll.
const HELD_NOTE_REDRAW: Duration = Duration::from_millis(150);
/// Frames while recording, for the count-in and the playhead.
const RECORDING_FRAME: Duration = Duration::from_millis(30);

/// A take being recorded.
pub struct Recording {
    input: KeyboardInput,
    take: Take,
    /// The take ends by itself after this many bars.
    max_bars: u32,
    /// How many messages the roll shows, and when it was drawn.
    shown_messages: usize,
    shown_at: Instant,
}

/// Where a recording is, for the idea bar and tests.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RecordingPhase {
    /// Beats left before bar 1.
    CountIn(u32),
    /// Recording bar `bar` (from 1) of at most `of`.
    Recording { bar: u32, of: u32 },
}

impl Recording {
    /// Seconds from bar 1 now (negative during the count-in).
    fn now(&self) -> f64 {
        self.take.seconds_at(Instant::now())
    }

    fn end_seconds(&self) -> f64 {
        f64::from(self.max_bars) * self.take.bar_seconds()
    }

    fn phase(&self) -> RecordingPhase {
        let now = self.now();
        if now < 0.0 {
            let beat = self.take.bar_seconds() / f64::from(self.take.meter.beats_per_bar());
            return RecordingPhase::CountIn((-now / beat).ceil() as u32);
        }
        let bar = (now / self.take.bar_seconds()).floor() as u32 + 1;
        RecordingPhase::Recording {
            bar: bar.min(self.max_bars),
            of: self.max_bars,
        }
    }
}

impl SongsketchApp {
    /// Record / Stop recording (key R).
    pub fn toggle_recording(&mut self) {
        if self.recording.is_some() {
            self.finish_recording(None);
        } else {
            self.start_recording();
        }
    }

    /// Where the recording is; `None` when not recording.
    pub fn recording_phase(&self) -> Option<RecordingPhase> {
        self.recording.as_ref().map(Recording::phase)
    }

    /// When bar 1 of the take being recorded begins (the end of the count-in).
    pub fn recording_bar_one(&self) -> Option<Instant> {
        self.recording.as_ref().map(|r| r.take.bar_one)
    }

    /// The keyboards there are, as the watcher last saw them.
    pub fn keyboards(&self) -> &KeyboardList {
        &self.keyboard_list
    }

    /// Records from the keyboard called `name` from now on (the Keyboard menu).
    pub fn choose_keyboard(&mut self, name: String) {
        self.settings.keyboard = Some(name);
    }

    /// The keyboard to record from: the one chosen, while it is plugged in, else the only one.
    fn keyboard_to_record(&self) -> Option<String> {
        let names = &self.keyboard_list.names;
        match &self.settings.keyboard {
            Some(chosen) if names.contains(chosen) => Some(chosen.clone()),
            _ if names.len() == 1 => names.first().cloned(),
            _ => None,
        }
    }

    fn start_recording(&mut self) {
        if self.waiting_for_idea {
            // The idea on its way would replace the take on the roll.
            self.status.error = Some("Record once the idea being written has arrived.".into());
            return;
        }
        let Some(keyboard) = self.keyboard_to_record() else {
            self.status.error = Some(no_keyboard_reason(&self.keyboard_list));
            return;
        };
        let generate = &self.settings.generate;
        let tempo = match Tempo::new(generate.tempo_bpm) {
            Ok(tempo) => tempo,
            Err(error) => {
                self.status.error = Some(format!("Cannot record at this tempo: {error}"));
                return;
            }
        };
        let (meter, key) = (generate.meter, generate.key);
        let max_bars = 2 * generate.bars_per_section;
        self.stop();
        let armed = Instant::now();
        let count_in = Duration::from_secs_f64(tempo.seconds(meter.bar_ticks()));
        let take = Take::new(tempo, meter, key, armed + count_in);
        let input = self.keyboards.open(&keyboard);
        self.status.error = None;
        self.status.activity = match self.player.play_clicks(tempo, meter, max_bars + 1) {
            Ok(()) => format!("Count-in on {keyboard}…"),
            Err(error) => format!("Count-in on {keyboard} (no click: {error:#})…"),
        };
        self.material = None;
        self.roll.clear();
        self.recording = Some(Recording {
            input,
            take,
            max_bars,
            shown_messages: 0,
            shown_at: armed,
        });
    }

    /// Each frame while recording: takes what the keyboard sent (never waiting for it), ends
    /// the take after its last bar, and shows it on the roll as it grows.
    pub(super) fn recording_frame(&mut self, ctx: &egui::Context) {
        let Some(recording) = self.recording.as_mut() else {
            return;
        };
        ctx.request_repaint_after(RECORDING_FRAME);
        let mut failed = None;
        for event in recording.input.take_events() {
            match event {
                InputEvent::Message(message) => recording.take.push(message),
                InputEvent::Connected(_) => {}
                InputEvent::Failed(reason) => failed = Some(reason),
            }
        }
        if let Some(reason) = failed {
            let keyboard = recording.input.name.clone();
            self.recording = None;
            self.player.stop();
            self.status.error = Some(format!("Could not record from {keyboard}: {reason}"));
            self.show_current_again();
            return;
        }
        let now = recording.now();
        if now >= recording.end_seconds() {
            self.finish_recording(None);
            return;
        }
        self.status.activity = match recording.phase() {
            RecordingPhase::CountIn(beats) => format!("Count-in: {beats}…"),
            RecordingPhase::Recording { bar, of } => {
                format!("Recording bar {bar} of {of}: press R to stop.")
            }
        };
        self.show_take_so_far(now);
    }

    /// Redraws the take when something new was played, and while a key is held.
    fn show_take_so_far(&mut self, now: f64) {
        let Some(recording) = self.recording.as_mut() else {
            return;
        };
        let messages = recording.take.message_count();
        let held = recording.take.notes().iter().any(|n| n.end.is_none());
        let redraw = messages != recording.shown_messages
            || (held && recording.shown_at.elapsed() >= HELD_NOTE_REDRAW);
        if !redraw || now < 0.0 {
            return;
        }
        recording.shown_messages = messages;
        recording.shown_at = Instant::now();
        if let Ok(sheet) = recording.take.to_sheet(now) {
            self.roll.show_sheet(&sheet);
        }
    }

    /// The playhead over the take, in grid ticks from bar 1.
    pub(super) fn recording_playhead(&self) -> Option<f32> {
        let recording = self.recording.as_ref()?;
        let now = recording.now();
        (now >= 0.0).then(|| seconds_to_ticks(now, recording.take.tempo.bpm()))
    }

    /// Ends the take: the metronome stops, the take is quantized onto the roll, and the window
    /// asks what it becomes. `why` says why it ended, when it was not the composer's Stop.
    fn finish_recording(&mut self, why: Option<String>) {
        let Some(mut recording) = self.recording.take() else {
            return;
        };
        self.player.stop();
        for event in recording.input.take_events() {
            if let InputEvent::Message(message) = event {
                recording.take.push(message);
            }
        }
        let until = recording.now().clamp(0.0, recording.end_seconds());
        let why = why.map_or_else(String::new, |why| format!("{why}. "));
        if recording.take.is_empty() {
            self.status.activity = format!("{why}Nothing was played after the count-in.");
            self.show_current_again();
            return;
        }
        match recording.take.to_sheet(until) {
            Ok(sheet) => {
                let (notes, bars) = (sheet.melody().len(), sheet.bar_count());
                self.status.activity = format!(
                    "{why}Recorded {notes} note{} in {bars} bar{}: choose what {} become{}.",
                    plural(notes),
                    plural(bars),
                    if notes == 1 { "it" } else { "they" },
                    if notes == 1 { "s" } else { "" },
                );
                self.roll.show_sheet(&sheet);
                self.material = Some(Material::Recorded(Box::new(sheet)));
            }
            Err(error) => {
                self.status.error = Some(format!("{why}The take could not be read: {error}"));
                self.show_current_again();
            }
        }
    }

    /// Drops the take being recorded, if any (another idea is asked for or shown instead).
    pub(super) fn cancel_recording(&mut self) {
        if self.recording.take().is_some() {
            self.player.stop();
            self.status.activity = "Recording cancelled.".into();
        }
    }

    /// Takes a new list of keyboards: says which were plugged in or out, and ends a take whose
    /// keyboard went away.
    pub(super) fn keyboards_frame(&mut self) {
        let Some(list) = self.keyboards.changed() else {
            return;
        };
        let before = std::mem::replace(&mut self.keyboard_list, list);
        let now = &self.keyboard_list.names;
        let plugged: Vec<&String> = now.iter().filter(|n| !before.names.contains(n)).collect();
        let unplugged: Vec<&String> = before.names.iter().filter(|n| !now.contains(n)).collect();
        let first_look = !std::mem::replace(&mut self.keyboards_known, true);
        let mut news = Vec::new();
        if !plugged.is_empty() && !first_look {
            news.push(format!("Keyboard plugged in: {}", quoted(&plugged)));
        }
        if !unplugged.is_empty() {
            news.push(format!("Keyboard unplugged: {}", quoted(&unplugged)));
        }
        let lost = self
            .recording
            .as_ref()
            .map(|r| r.input.name.clone())
            .filter(|name| !now.contains(name));
        if !news.is_empty() {
            self.status.activity = format!("{}.", news.join("; "));
        }
        if let Some(name) = lost {
            self.finish_recording(Some(format!("{name} was unplugged, so the take ended")));
        }
    }

    /// Puts the current idea back on the roll (after a take was dropped or failed).
    pub(super) fn show_current_again(&mut self) {
        match self.current.as_ref().map(|c| c.idea.clone()) {
            Some(idea) => self.roll.show_idea(&idea),
            None => self.roll.clear(),
        }
    }
}

/// Why Record has no keyboard to listen to, and what to do.
fn no_keyboard_reason(list: &KeyboardList) -> String {
    match (list.names.len(), &list.unavailable) {
        (0, Some(reason)) => format!("No keyboard to record from: {reason}"),
        (0, None) => "No MIDI keyboard is plugged in: plug one in, then press Record.".into(),
        _ => "Choose the keyboard to record from under Keyboard.".into(),
    }
}

fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}

fn quoted(names: &[&String]) -> String {
    names
        .iter()
        .map(|n| format!("{n:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}
