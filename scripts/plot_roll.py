#!/usr/bin/env python3
"""Draws a MIDI file as a piano roll PNG with another program's parser (pretty_midi + mido):
one colour per instrument track, the section markers as labelled bands, chord symbols on top.

    scripts/plot_roll.py IDEA.mid [OUT.png]      (default: IDEA.png beside the file)
"""

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import mido  # noqa: E402
import pretty_midi  # noqa: E402

COLOURS = {"Chords": "#5694d6", "Melody": "#f0a03c"}
NAMES = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]


def markers_and_chords(path: Path, midi: pretty_midi.PrettyMIDI):
    """Marker and text events with their times in seconds."""
    markers, chords = [], []
    file = mido.MidiFile(path)
    for track in file.tracks:
        tick = 0
        for message in track:
            tick += message.time
            if message.type == "marker":
                markers.append((midi.tick_to_time(tick), message.text))
            elif message.type == "text" and track.name == "Chords":
                chords.append((midi.tick_to_time(tick), message.text))
    return markers, chords


def main() -> int:
    if len(sys.argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 2
    path = Path(sys.argv[1])
    out = Path(sys.argv[2]) if len(sys.argv) == 3 else path.with_suffix(".png")
    midi = pretty_midi.PrettyMIDI(str(path))
    end = midi.get_end_time()
    figure, axes = plt.subplots(figsize=(14, 5), dpi=100)
    pitches = []
    for instrument in midi.instruments:
        colour = COLOURS.get(instrument.name, "#888888")
        for note in instrument.notes:
            axes.add_patch(
                plt.Rectangle(
                    (note.start, note.pitch - 0.4), note.end - note.start, 0.8, color=colour
                )
            )
            pitches.append(note.pitch)
        axes.plot([], [], color=colour, linewidth=6, label=instrument.name or "notes")
    low, high = min(pitches) - 2, max(pitches) + 3
    markers, chords = markers_and_chords(path, midi)
    for index, (start, name) in enumerate(markers):
        stop = markers[index + 1][0] if index + 1 < len(markers) else end
        axes.axvspan(start, stop, ymin=0.96, color="C2" if index % 2 == 0 else "C4", alpha=0.4)
        axes.text(start, high - 0.5, f" {name}", va="top", fontsize=9)
    for time, text in chords:
        axes.text(time, high - 2.2, text, fontsize=7, rotation=0)
    for bar in midi.get_downbeats():
        axes.axvline(bar, color="#cccccc", linewidth=0.6, zorder=0)
    ticks = [p for p in range(low, high + 1) if p % 12 in (0, 7)]
    axes.set_yticks(ticks, [f"{NAMES[p % 12]}{p // 12 - 1}" for p in ticks])
    axes.set_xlim(0, end)
    axes.set_ylim(low, high)
    axes.set_xlabel("seconds")
    axes.set_title(path.name)
    axes.legend(loc="lower right")
    figure.tight_layout()
    figure.savefig(out)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
