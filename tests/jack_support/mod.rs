//! Shared by the tests that need a JACK server: the dummy-driver server under a name of its own
//! (stopped cleanly at the end), child processes reaped when dropped, waiting for ports, and
//! jack_midi_dump collecting what reaches a port. Needs the Debian package jackd2.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Frames per JACK period: midir hands every message to JACK at the start of a period, so a
/// message's time on the wire is rounded to this.
pub const PERIOD_FRAMES: f64 = 256.0;
/// The JACK server's sample rate: jack_midi_dump's timestamps count frames at this rate.
pub const RATE: f64 = 44_100.0;

/// A child process killed (and reaped) when dropped.
pub struct Guard(pub Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The JACK server: asked to stop with SIGTERM so it removes its entry from JACK's shared
/// registry (which holds only a few servers; a killed server's entry stays behind).
pub struct JackServer(pub Child);

impl Drop for JackServer {
    fn drop(&mut self) {
        if let Ok(pid) = i32::try_from(self.0.id()) {
            // SAFETY: sending a signal to our own child process.
            unsafe { libc::kill(pid, libc::SIGTERM) };
        }
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(5) {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn wait_for(what: &str, limit: Duration, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub fn jack_ports() -> Vec<String> {
    let output = Command::new("jack_lsp")
        .output()
        .expect("jack_lsp (package jackd2) runs");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

pub fn start_jack(server: &str) -> JackServer {
    let child = Command::new("jackd")
        .args(["-n", server, "-d", "dummy", "-r", "44100", "-p"])
        .arg(PERIOD_FRAMES.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("jackd (package jackd2) starts");
    let mut guard = JackServer(child);
    wait_for("the JACK server", Duration::from_secs(10), || {
        if let Ok(Some(status)) = guard.0.try_wait() {
            panic!("jackd stopped ({status}); `jackd -v -n test -d dummy` shows why");
        }
        jack_ports().iter().any(|p| p == "system:playback_1")
    });
    guard
}

/// A MIDI message as jack_midi_dump saw it: the JACK frame it arrived in, and its bytes.
pub type DumpedMessage = (u64, Vec<u8>);

/// jack_midi_dump connected to our output port; collects every message it sees with the JACK
/// frame it arrived in (counted from the dump's start).
pub struct MidiDump {
    _child: Guard,
    messages: Arc<Mutex<Vec<DumpedMessage>>>,
}

impl MidiDump {
    pub fn start(client: &str) -> MidiDump {
        let mut child = Command::new("jack_midi_dump")
            .args(["-a", client])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("jack_midi_dump (jackd2 / jack-example-tools) starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let messages = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&messages);
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(message) = parse_dump_line(&line) {
                    sink.lock().expect("dump lock").push(message);
                }
            }
        });
        let input = format!("{client}:input");
        wait_for("jack_midi_dump's port", Duration::from_secs(10), || {
            jack_ports().contains(&input)
        });
        MidiDump {
            _child: Guard(child),
            messages,
        }
    }

    /// The messages seen so far, with their frames.
    pub fn take_timed(&self) -> Vec<DumpedMessage> {
        std::mem::take(&mut *self.messages.lock().expect("dump lock"))
    }

    /// The messages seen so far.
    pub fn take(&self) -> Vec<Vec<u8>> {
        self.take_timed()
            .into_iter()
            .map(|(_, bytes)| bytes)
            .collect()
    }
}

/// "   1234: 90 3c 64 note on ..." (with `-a`: the frame, then the bytes) → (1234, [0x90, 0x3c, 0x64]).
pub fn parse_dump_line(line: &str) -> Option<DumpedMessage> {
    let (frame, rest) = line.split_once(':')?;
    let frame = frame.trim().parse().ok()?;
    let bytes: Vec<u8> = rest
        .split_whitespace()
        .map_while(|token| {
            (token.len() == 2)
                .then(|| u8::from_str_radix(token, 16).ok())
                .flatten()
        })
        .collect();
    (!bytes.is_empty() && bytes[0] & 0x80 != 0).then_some((frame, bytes))
}

/// Our output port, as JACK names it (client "songsketch", maybe with a suffix).
pub fn our_port() -> String {
    jack_ports()
        .into_iter()
        .find(|p| p.starts_with("songsketch") && p.ends_with(":out") && !p.contains("watch"))
        .expect("the player's JACK port exists")
}

pub fn connect(from: &str, to: &str) {
    let status = Command::new("jack_connect")
        .args([from, to])
        .status()
        .expect("jack_connect runs");
    assert!(status.success(), "jack_connect {from} {to}");
}
