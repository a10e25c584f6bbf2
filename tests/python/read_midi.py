#!/usr/bin/env python3
"""Reads MIDI files with two independent parsers, mido and pretty_midi, and prints one JSON
object per file (a JSON list in argument order) so Rust tests can check Songsketch's exports
against another program's reading.

Usage: read_midi.py FILE.mid [FILE.mid ...]

Exit status 3 with a message when mido or pretty_midi is missing (run `make test`, which
installs them in .deps/venv), 2 when a file cannot be read.
"""

import json
import sys

try:
    import mido
    import pretty_midi
except ImportError as missing:
    sys.stderr.write(
        f"{missing}: this interpreter ({sys.executable}) lacks mido or pretty_midi. "
        "Run `make test` (it installs them in .deps/venv and sets SONGSKETCH_PYTHON), "
        "or point SONGSKETCH_PYTHON at a Python that has both.\n"
    )
    sys.exit(3)


def read_with_mido(path):
    """Header, meta events with absolute ticks, and notes per track as mido sees them."""
    midi = mido.MidiFile(path)
    out = {
        "format": midi.type,
        "ticks_per_beat": midi.ticks_per_beat,
        "length_seconds": midi.length,
        "tracks": [],
    }
    for track in midi.tracks:
        tick = 0
        info = {
            "name": track.name,
            "tempos": [],
            "time_signatures": [],
            "key_signatures": [],
            "markers": [],
            "texts": [],
            "programs": [],
            "notes": [],
            "note_off_events": 0,
            "zero_velocity_note_ons": 0,
            "end_of_track": None,
            "events_after_end_of_track": 0,
        }
        sounding = {}
        for message in track:
            tick += message.time
            if info["end_of_track"] is not None:
                info["events_after_end_of_track"] += 1
            kind = message.type
            if kind == "set_tempo":
                info["tempos"].append({"tick": tick, "microseconds": message.tempo,
                                       "bpm": mido.tempo2bpm(message.tempo)})
            elif kind == "time_signature":
                info["time_signatures"].append({"tick": tick, "numerator": message.numerator,
                                                "denominator": message.denominator})
            elif kind == "key_signature":
                info["key_signatures"].append({"tick": tick, "key": message.key})
            elif kind == "marker":
                info["markers"].append({"tick": tick, "text": message.text})
            elif kind == "text":
                info["texts"].append({"tick": tick, "text": message.text})
            elif kind == "program_change":
                info["programs"].append({"tick": tick, "channel": message.channel,
                                         "program": message.program})
            elif kind == "note_on" and message.velocity > 0:
                sounding.setdefault((message.channel, message.note), []).append(
                    (tick, message.velocity))
            elif kind in ("note_on", "note_off"):
                if kind == "note_off":
                    info["note_off_events"] += 1
                else:
                    info["zero_velocity_note_ons"] += 1
                starts = sounding.get((message.channel, message.note))
                if starts:
                    start, velocity = starts.pop(0)
                    info["notes"].append({"channel": message.channel, "pitch": message.note,
                                          "velocity": velocity, "start": start, "end": tick})
            elif kind == "end_of_track":
                info["end_of_track"] = tick
        info["unfinished_notes"] = sum(len(s) for s in sounding.values())
        info["notes"].sort(key=lambda n: (n["start"], n["pitch"]))
        out["tracks"].append(info)
    return out


def read_with_pretty_midi(path):
    """Instruments with notes in seconds, tempo changes, meters, keys and text events."""
    midi = pretty_midi.PrettyMIDI(path)
    tempo_times, tempi = midi.get_tempo_changes()
    return {
        "resolution": midi.resolution,
        "end_time": midi.get_end_time(),
        "instruments": [
            {
                "name": instrument.name,
                "program": instrument.program,
                "is_drum": instrument.is_drum,
                "notes": sorted(
                    ({"pitch": n.pitch, "velocity": n.velocity, "start": n.start, "end": n.end}
                     for n in instrument.notes),
                    key=lambda n: (n["start"], n["pitch"]),
                ),
            }
            for instrument in midi.instruments
        ],
        "tempo_changes": [{"time": float(t), "bpm": float(b)} for t, b in zip(tempo_times, tempi)],
        "time_signatures": [
            {"time": ts.time, "numerator": ts.numerator, "denominator": ts.denominator}
            for ts in midi.time_signature_changes
        ],
        "key_signatures": [
            {"time": ks.time, "key_number": ks.key_number,
             "name": pretty_midi.key_number_to_key_name(ks.key_number)}
            for ks in midi.key_signature_changes
        ],
        "text_events": [{"time": t.time, "text": t.text} for t in midi.text_events],
        "downbeats": [float(t) for t in midi.get_downbeats()],
    }


def plain_number(value):
    """numpy numbers (pretty_midi uses them) as plain Python numbers for JSON."""
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def main(paths):
    results = []
    for path in paths:
        try:
            results.append({"path": path, "mido": read_with_mido(path),
                            "pretty_midi": read_with_pretty_midi(path)})
        except Exception as error:  # any parser failure is the answer for this file
            sys.stderr.write(f"{path}: {type(error).__name__}: {error}\n")
            sys.exit(2)
    json.dump(results, sys.stdout, default=plain_number)
    sys.stdout.write("\n")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.stderr.write(__doc__)
        sys.exit(1)
    main(sys.argv[1:])
