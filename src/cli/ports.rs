//! `songsketch ports`: lists the MIDI output ports there are now, the keyboards (MIDI input
//! ports) the window can record from, and whether the built-in synth can play here (SoundFont
//! found, sound card present), in plain words.

use crate::playback::ports::{backend_name, list_output_ports};
use crate::playback::soundfont::find_soundfont;
use crate::recording::input::list_keyboards;

#[derive(Debug, clap::Args)]
pub struct PortsArgs {}

pub fn run(_args: PortsArgs) -> anyhow::Result<()> {
    match list_output_ports() {
        Ok(ports) if ports.is_empty() => {
            println!(
                "No MIDI output ports ({}). Start a synth (FluidSynth, Qsynth) or plug one in.",
                backend_name()
            )
        }
        Ok(ports) => {
            println!("MIDI output ports ({}):", backend_name());
            for port in ports {
                println!("  {}", port.name);
            }
            println!(
                "Play through one with `songsketch play FILE.mid --port NAME` (a unique part of the name will do)."
            );
        }
        Err(error) => println!("No MIDI output ports: {error}"),
    }
    match list_keyboards() {
        Ok(names) if names.is_empty() => {
            println!("No MIDI keyboards (input ports) to record from.")
        }
        Ok(names) => {
            println!("MIDI keyboards to record from (Keyboard, then Record in the window):");
            for name in names {
                println!("  {name}");
            }
        }
        Err(error) => println!("No MIDI keyboards: {error}"),
    }
    match find_soundfont(None) {
        Ok(path) => println!("Built-in synth: SoundFont {}", path.display()),
        Err(error) => println!("Built-in synth unavailable: {error}"),
    }
    if !crate::playback::synth::audio_device_present() {
        println!(
            "Built-in synth cannot play live: no audio output device (no sound card?). `songsketch render FILE.mid --out FILE.wav` still works."
        );
    }
    Ok(())
}
