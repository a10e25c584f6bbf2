//! MIDI output ports through midir: list them (call again to refresh: a synth plugged in later
//! appears), find one by name, connect, and notice when the connected port vanishes.
//! The default build talks to ALSA; the cargo feature `jack` switches midir to JACK.

use midir::{MidiOutput, MidiOutputConnection};

use super::error::PlaybackError;
use super::sink::{MidiSink, SinkError};

/// The name this program shows in the system's MIDI graph.
pub const CLIENT_NAME: &str = "songsketch";
/// The name of the output port the player opens.
pub const PORT_NAME: &str = "out";

/// One output port: its name as the system shows it, and midir's stable id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortInfo {
    pub name: String,
    pub id: String,
}

/// Which MIDI system this build talks to, for messages.
pub fn backend_name() -> &'static str {
    if cfg!(feature = "jack") {
        "JACK"
    } else {
        "ALSA"
    }
}

/// What to check when the MIDI system cannot be opened, for messages.
pub fn midi_system_hint() -> &'static str {
    if cfg!(feature = "jack") {
        "is a JACK server running?"
    } else {
        "is the ALSA sequencer there (/dev/snd/seq, kernel module snd-seq)?"
    }
}

fn new_client(suffix: &str) -> Result<MidiOutput, PlaybackError> {
    MidiOutput::new(&format!("{CLIENT_NAME}{suffix}")).map_err(|e| {
        PlaybackError::MidiUnavailable(format!(
            "{} MIDI: {e}; {}",
            backend_name(),
            midi_system_hint()
        ))
    })
}

/// The output ports there are right now.
pub fn list_output_ports() -> Result<Vec<PortInfo>, PlaybackError> {
    let client = new_client("-list")?;
    Ok(port_infos(&client))
}

fn port_infos(client: &MidiOutput) -> Vec<PortInfo> {
    client
        .ports()
        .iter()
        .filter_map(|port| {
            let name = client.port_name(port).ok()?;
            Some(PortInfo {
                name,
                id: port.id(),
            })
        })
        .collect()
}

/// The port named `wanted`: an exact (case-insensitive) name first, else the only one whose
/// name contains it. Several or none → an error that lists the ports.
pub fn find_port<'a>(ports: &'a [PortInfo], wanted: &str) -> Result<&'a PortInfo, PlaybackError> {
    let lower = wanted.to_lowercase();
    if let Some(exact) = ports.iter().find(|p| p.name.to_lowercase() == lower) {
        return Ok(exact);
    }
    let matches: Vec<&PortInfo> = ports
        .iter()
        .filter(|p| p.name.to_lowercase().contains(&lower))
        .collect();
    match matches.as_slice() {
        [only] => Ok(only),
        _ => {
            let candidates = if matches.is_empty() {
                ports.iter().collect()
            } else {
                matches
            };
            let available = if candidates.is_empty() {
                "none".to_string()
            } else {
                candidates
                    .iter()
                    .map(|p| format!("{:?}", p.name))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            Err(PlaybackError::PortNotFound {
                wanted: wanted.to_string(),
                available,
            })
        }
    }
}

/// An open connection to one MIDI output port.
pub struct PortSink {
    connection: MidiOutputConnection,
    port: PortInfo,
    /// A second client that only lists ports, to notice the connected one vanishing.
    watcher: Option<MidiOutput>,
}

impl PortSink {
    /// Connects to the port named `wanted` (see [`find_port`]).
    pub fn connect(wanted: &str) -> Result<Self, PlaybackError> {
        let client = new_client("")?;
        let ports = port_infos(&client);
        let port = find_port(&ports, wanted)?.clone();
        let midir_port =
            client
                .find_port_by_id(&port.id)
                .ok_or_else(|| PlaybackError::Connect {
                    port: port.name.clone(),
                    reason: "it vanished while connecting".into(),
                })?;
        let connection =
            client
                .connect(&midir_port, PORT_NAME)
                .map_err(|e| PlaybackError::Connect {
                    port: port.name.clone(),
                    reason: e.to_string(),
                })?;
        let watcher = MidiOutput::new(&format!("{CLIENT_NAME}-watch")).ok();
        Ok(PortSink {
            connection,
            port,
            watcher,
        })
    }

    pub fn port(&self) -> &PortInfo {
        &self.port
    }
}

impl MidiSink for PortSink {
    fn send(&mut self, message: &[u8]) -> Result<(), SinkError> {
        self.connection
            .send(message)
            .map_err(|e| SinkError::Lost(format!("{}: {e}", self.port.name)))
    }

    fn check_alive(&mut self) -> Result<(), SinkError> {
        let Some(watcher) = &self.watcher else {
            return Ok(());
        };
        if watcher.ports().iter().any(|p| p.id() == self.port.id) {
            Ok(())
        } else {
            Err(SinkError::Lost(format!(
                "MIDI port {:?} has gone away",
                self.port.name
            )))
        }
    }

    fn flush(&mut self) {
        // JACK hands messages over in the next process cycle; give it a few before closing.
        if cfg!(feature = "jack") {
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }

    fn describe(&self) -> String {
        format!("MIDI port {:?}", self.port.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ports() -> Vec<PortInfo> {
        [
            "Midi Through Port-0",
            "FLUID Synth (1234):Synth input port",
            "Qsynth1:midi",
        ]
        .iter()
        .enumerate()
        .map(|(i, name)| PortInfo {
            name: name.to_string(),
            id: format!("{i}:0"),
        })
        .collect()
    }

    #[test]
    fn finds_by_exact_name_or_unique_part() {
        let ports = ports();
        assert_eq!(
            find_port(&ports, "qsynth1:MIDI").map(|p| &p.id).ok(),
            Some(&"2:0".to_string())
        );
        assert_eq!(
            find_port(&ports, "fluid").map(|p| &p.id).ok(),
            Some(&"1:0".to_string())
        );
    }

    #[test]
    fn ambiguous_or_unknown_names_list_the_candidates() {
        let ports = ports();
        let ambiguous = find_port(&ports, "synth").unwrap_err().to_string();
        assert!(
            ambiguous.contains("Qsynth1:midi") && ambiguous.contains("FLUID"),
            "{ambiguous}"
        );
        let unknown = find_port(&ports, "yamaha").unwrap_err().to_string();
        assert!(unknown.contains("Midi Through Port-0"), "{unknown}");
    }
}
