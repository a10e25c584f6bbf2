//! The low-level reader: a standard MIDI file's bytes → notes with absolute tick times per track,
//! plus the tempo map, meter changes, key signatures, markers and texts. No musical judgement here.

use std::collections::{HashMap, VecDeque};

use midly::{Format, MetaMessage, MidiMessage, Smf, Timing, TrackEventKind};

use super::MidiError;
use crate::music::Meter;

/// MIDI channel 10 (index 9) carries drums in General MIDI: never melody or harmony.
pub const DRUM_CHANNEL: u8 = 9;

/// A note with start and end in the file's own ticks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawNote {
    pub channel: u8,
    pub pitch: u8,
    pub velocity: u8,
    pub start: u64,
    pub end: u64,
}

/// One track's name, first program change and pitched notes (drums left out), sorted by start.
#[derive(Debug, Clone, Default)]
pub struct RawTrack {
    pub name: String,
    pub program: Option<u8>,
    pub notes: Vec<RawNote>,
}

/// A timed meta event: a value and the tick it happens at.
#[derive(Debug, Clone, PartialEq)]
pub struct Timed<T> {
    pub tick: u64,
    pub value: T,
}

/// Everything the importer needs from a MIDI file.
#[derive(Debug, Clone, Default)]
pub struct RawMidi {
    pub ticks_per_quarter: u16,
    pub tracks: Vec<RawTrack>,
    /// Microseconds per quarter note, sorted by tick.
    pub tempos: Vec<Timed<u32>>,
    /// Key signatures as (sharps, is_minor).
    pub key_signatures: Vec<Timed<(i8, bool)>>,
    /// The meter map, taken from the first track that has time signatures (in format 1 the
    /// conductor track): other tracks sometimes repeat it at slightly different ticks.
    pub meters: Vec<Timed<Meter>>,
    /// Marker and Cue Point events, in order: section starts.
    pub markers: Vec<Timed<String>>,
    /// Text events, in order: chord symbols (as the exporter writes them) or section names.
    pub texts: Vec<Timed<String>>,
    /// The last tick of any event.
    pub end_tick: u64,
}

impl RawMidi {
    /// All pitched notes of all tracks.
    pub fn note_count(&self) -> usize {
        self.tracks.iter().map(|t| t.notes.len()).sum()
    }

    /// Seconds from the start of the file to `tick`, following the tempo map (120 BPM before any tempo).
    pub fn seconds_at(&self, tick: u64) -> f64 {
        let tpq = self.ticks_per_quarter as f64;
        let mut seconds = 0.0;
        let mut last_tick = 0u64;
        let mut micros = 500_000.0;
        for change in self.tempos.iter().take_while(|c| c.tick <= tick) {
            seconds += (change.tick - last_tick) as f64 / tpq * micros / 1e6;
            last_tick = change.tick;
            micros = change.value as f64;
        }
        seconds + (tick - last_tick) as f64 / tpq * micros / 1e6
    }

    /// The (fractional) file tick at `seconds`, the inverse of [`RawMidi::seconds_at`]; times before
    /// 0 map to tick 0.
    pub fn tick_at(&self, seconds: f64) -> f64 {
        let tpq = self.ticks_per_quarter as f64;
        let mut elapsed = 0.0;
        let mut last_tick = 0u64;
        let mut micros = 500_000.0;
        for change in &self.tempos {
            let until_change = (change.tick - last_tick) as f64 / tpq * micros / 1e6;
            if elapsed + until_change > seconds {
                break;
            }
            elapsed += until_change;
            last_tick = change.tick;
            micros = change.value as f64;
        }
        (last_tick as f64 + (seconds - elapsed) * 1e6 / micros * tpq).max(0.0)
    }
}

/// Refuses a header whose SMPTE division byte is -128: midly 0.5 negates it and overflows (a
/// panic where overflow checks are on; found by `cargo fuzz`). Such a file is SMPTE-timed, which
/// is refused anyway. The header is the first `MThd` chunk (also inside a RIFF wrapper); its
/// division is the 2 bytes at offset 12.
fn refuse_frame_rate_midly_cannot_read(bytes: &[u8]) -> Result<(), MidiError> {
    let Some(header) = bytes.windows(4).position(|w| w == b"MThd") else {
        return Ok(());
    };
    if bytes.get(header + 12) == Some(&0x80) {
        return Err(MidiError::Unsupported(
            "SMPTE timing with a frame rate of -128 (no real rate); save the song with \
             metrical timing (ticks per quarter note)"
                .into(),
        ));
    }
    Ok(())
}

/// Damage in a file that can still be read: tracks cut short, missing tracks, tracks without
/// their end marker. One sentence per finding, positions as byte offsets into `bytes`
/// ("track 2 ends early at byte 300"). Empty for a sound file. The reader itself is lenient
/// (it keeps what a damaged track holds up to the damage); this says what was lost.
pub fn damage(bytes: &[u8]) -> Vec<String> {
    let mut found = Vec::new();
    let Some(header) = bytes.windows(4).position(|w| w == b"MThd") else {
        return found;
    };
    let chunk_length = |at: usize| -> Option<usize> {
        let b = bytes.get(at + 4..at + 8)?;
        Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize)
    };
    let Some(header_length) = chunk_length(header) else {
        found.push(format!("the header ends early at byte {}", bytes.len()));
        return found;
    };
    let declared_tracks = bytes
        .get(header + 10..header + 12)
        .map(|b| u16::from_be_bytes([b[0], b[1]]) as usize);
    let mut at = header + 8 + header_length;
    let mut tracks = 0usize;
    while at < bytes.len() && declared_tracks.is_none_or(|n| tracks < n) {
        let Some(length) = chunk_length(at) else {
            found.push(format!(
                "track {} ends early at byte {}: only part of its chunk header is there",
                tracks + 1,
                bytes.len()
            ));
            tracks += 1;
            break;
        };
        let is_track = &bytes[at..at + 4] == b"MTrk";
        let end = at + 8 + length;
        if is_track {
            tracks += 1;
            if end > bytes.len() {
                found.push(format!(
                    "track {tracks} ends early at byte {} ({} of its {length} bytes are there)",
                    bytes.len(),
                    bytes.len() - (at + 8)
                ));
                break;
            }
            if length < 3 || bytes[end - 3..end] != [0xff, 0x2f, 0x00] {
                found.push(format!(
                    "track {tracks} has no end-of-track event at byte {end}: it may be cut short"
                ));
            }
        }
        at = end;
    }
    if let Some(declared) = declared_tracks
        && tracks < declared
    {
        found.push(format!(
            "the header names {declared} tracks but only {tracks} are there"
        ));
    }
    found
}

/// Parses a standard MIDI file. Format 2 and SMPTE (timecode) timing are refused with a clear error.
pub fn read_midi(bytes: &[u8]) -> Result<RawMidi, MidiError> {
    refuse_frame_rate_midly_cannot_read(bytes)?;
    let smf = Smf::parse(bytes).map_err(|e| MidiError::Malformed(e.to_string()))?;
    if smf.header.format == Format::Sequential {
        return Err(MidiError::Unsupported(
            "format 2 (independent sequences) is not supported; save the song as format 0 or 1"
                .into(),
        ));
    }
    let ticks_per_quarter = match smf.header.timing {
        Timing::Metrical(tpq) if tpq.as_int() > 0 => tpq.as_int(),
        Timing::Metrical(_) => return Err(MidiError::Malformed("0 ticks per quarter note".into())),
        Timing::Timecode(fps, sub) => {
            return Err(MidiError::Unsupported(format!(
                "SMPTE timing ({} fps, {sub} ticks per frame) has no beats to put bars on; \
                 save the song with metrical timing (ticks per quarter note)",
                fps.as_f32()
            )));
        }
    };
    if smf.tracks.is_empty() {
        return Err(MidiError::Empty("the file has no tracks".into()));
    }
    let mut raw = RawMidi {
        ticks_per_quarter,
        tracks: Vec::with_capacity(smf.tracks.len()),
        tempos: Vec::new(),
        meters: Vec::new(),
        key_signatures: Vec::new(),
        markers: Vec::new(),
        texts: Vec::new(),
        end_tick: 0,
    };
    for events in &smf.tracks {
        let meters_known = !raw.meters.is_empty();
        let track = read_track(events, meters_known, &mut raw);
        raw.tracks.push(track);
    }
    raw.tempos.sort_by_key(|t| t.tick);
    raw.meters.sort_by_key(|t| t.tick);
    raw.key_signatures.sort_by_key(|t| t.tick);
    raw.markers.sort_by_key(|t| t.tick);
    raw.texts.sort_by_key(|t| t.tick);
    Ok(raw)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).trim().to_string()
}

/// Reads one track's notes (pairing note-ons with note-offs first in, first out) and
/// adds its meta events to the file-wide maps (its time signatures only when `meters_known` is false).
fn read_track(events: &[midly::TrackEvent], meters_known: bool, raw: &mut RawMidi) -> RawTrack {
    let mut track = RawTrack::default();
    // Sounding notes per (channel, pitch): start ticks and velocities, oldest first.
    let mut sounding: HashMap<(u8, u8), VecDeque<(u64, u8)>> = HashMap::new();
    let mut tick = 0u64;
    for event in events {
        tick += event.delta.as_int() as u64;
        match event.kind {
            TrackEventKind::Midi { channel, message } => {
                let channel = channel.as_int();
                match message {
                    // Drums are neither melody nor harmony.
                    MidiMessage::NoteOn { .. } | MidiMessage::NoteOff { .. }
                        if channel == DRUM_CHANNEL => {}
                    MidiMessage::NoteOn { key, vel } if vel.as_int() > 0 => {
                        sounding
                            .entry((channel, key.as_int()))
                            .or_default()
                            .push_back((tick, vel.as_int()));
                    }
                    MidiMessage::NoteOn { key, .. } | MidiMessage::NoteOff { key, .. } => {
                        let oldest = sounding
                            .get_mut(&(channel, key.as_int()))
                            .and_then(|starts| starts.pop_front());
                        if let Some((start, velocity)) = oldest {
                            track.notes.push(RawNote {
                                channel,
                                pitch: key.as_int(),
                                velocity,
                                start,
                                end: tick,
                            });
                        }
                    }
                    MidiMessage::ProgramChange { program } if track.program.is_none() => {
                        track.program = Some(program.as_int());
                    }
                    _ => {}
                }
            }
            TrackEventKind::Meta(MetaMessage::TimeSignature(..)) if meters_known => {}
            TrackEventKind::Meta(meta) => read_meta(meta, tick, &mut track, raw),
            _ => {}
        }
    }
    // Notes never switched off end with the track.
    for ((channel, pitch), starts) in sounding {
        for (start, velocity) in starts {
            track.notes.push(RawNote {
                channel,
                pitch,
                velocity,
                start,
                end: tick.max(start),
            });
        }
    }
    track
        .notes
        .sort_unstable_by_key(|n| (n.start, n.pitch, n.end, n.channel, n.velocity));
    raw.end_tick = raw.end_tick.max(tick);
    track
}

fn read_meta(meta: MetaMessage, tick: u64, track: &mut RawTrack, raw: &mut RawMidi) {
    match meta {
        MetaMessage::TrackName(name) if track.name.is_empty() => track.name = text(name),
        MetaMessage::Tempo(micros) => raw.tempos.push(Timed {
            tick,
            value: micros.as_int(),
        }),
        MetaMessage::TimeSignature(numerator, denominator_power, _, _) => {
            // An unusable signature (e.g. 0/4 or a 2^9 denominator) is ignored, not fatal.
            if let Some(meter) = 1u8
                .checked_shl(denominator_power as u32)
                .and_then(|denominator| Meter::new(numerator, denominator).ok())
            {
                raw.meters.push(Timed { tick, value: meter });
            }
        }
        MetaMessage::KeySignature(sharps, minor) if (-7..=7).contains(&sharps) => {
            raw.key_signatures.push(Timed {
                tick,
                value: (sharps, minor),
            });
        }
        MetaMessage::Marker(t) | MetaMessage::CuePoint(t) => {
            let value = text(t);
            if !value.is_empty() {
                raw.markers.push(Timed { tick, value });
            }
        }
        MetaMessage::Text(t) => {
            let value = text(t);
            if !value.is_empty() {
                raw.texts.push(Timed { tick, value });
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A format-1 file of two tracks, each ending with an end-of-track event.
    fn two_track_file() -> Vec<u8> {
        let mut bytes = b"MThd".to_vec();
        bytes.extend([0, 0, 0, 6, 0, 1, 0, 2, 1, 0xe0]);
        let tracks: [&[u8]; 2] = [
            &[
                0x00, 0xff, 0x51, 0x03, 0x07, 0xa1, 0x20, 0x00, 0xff, 0x2f, 0x00,
            ],
            &[
                0x00, 0x90, 60, 90, 0x60, 0x80, 60, 0, 0x00, 0xff, 0x2f, 0x00,
            ],
        ];
        for track in tracks {
            bytes.extend(b"MTrk");
            bytes.extend((track.len() as u32).to_be_bytes());
            bytes.extend(track);
        }
        bytes
    }

    #[test]
    fn damage_names_the_track_that_ends_early_and_the_byte() {
        let whole = two_track_file();
        assert!(damage(&whole).is_empty(), "{:?}", damage(&whole));
        let cut = &whole[..whole.len() - 4];
        assert_eq!(
            damage(cut),
            [format!(
                "track 2 ends early at byte {} (8 of its 12 bytes are there)",
                cut.len()
            )]
        );
        // The lenient reader still reads what is there.
        assert!(read_midi(cut).is_ok());
        // A missing second track.
        let first_only = &whole[..14 + 8 + 11];
        assert_eq!(
            damage(first_only),
            ["the header names 2 tracks but only 1 are there"]
        );
        // A track whose last event is not the end of the track.
        let mut unterminated = whole.clone();
        let last = unterminated.len() - 2;
        unterminated[last] = 0x01;
        assert_eq!(damage(&unterminated).len(), 1);
        assert!(damage(&unterminated)[0].starts_with("track 2 has no end-of-track event"));
    }

    #[test]
    fn tick_at_inverts_seconds_at_across_tempo_changes() {
        let raw = RawMidi {
            ticks_per_quarter: 480,
            tracks: Vec::new(),
            // 120 BPM until tick 960, then 60 BPM, then 240 BPM from tick 1920.
            tempos: vec![
                Timed {
                    tick: 960,
                    value: 1_000_000,
                },
                Timed {
                    tick: 1920,
                    value: 250_000,
                },
            ],
            meters: Vec::new(),
            key_signatures: Vec::new(),
            markers: Vec::new(),
            texts: Vec::new(),
            end_tick: 4000,
        };
        assert_eq!(raw.seconds_at(960), 1.0);
        assert_eq!(raw.seconds_at(1920), 3.0);
        for tick in [0u64, 100, 960, 1000, 1920, 2500, 4000] {
            let back = raw.tick_at(raw.seconds_at(tick));
            assert!((back - tick as f64).abs() < 1e-6, "{tick} → {back}");
        }
        assert_eq!(raw.tick_at(-1.0), 0.0);
    }

    /// Found by `cargo fuzz`: a header whose SMPTE frame-rate byte is 0x80 (-128) made midly
    /// overflow negating it, a panic in builds with overflow checks.
    #[test]
    fn a_frame_rate_of_minus_128_is_refused_not_a_panic() {
        let mut bytes = b"MThd".to_vec();
        bytes.extend([0, 0, 0, 6, 0, 1, 0, 1, 0x80, 0x4c]);
        let track = [
            0x00, 0x90, 60, 90, 0x60, 0x80, 60, 0, 0x00, 0xff, 0x2f, 0x00,
        ];
        bytes.extend(b"MTrk");
        bytes.extend((track.len() as u32).to_be_bytes());
        bytes.extend(track);
        let error = read_midi(&bytes).unwrap_err();
        assert!(error.to_string().contains("SMPTE"), "{error}");
        // The same inside a RIFF (RMID) wrapper.
        let mut riff = b"RIFF".to_vec();
        riff.extend(((bytes.len() + 12) as u32).to_le_bytes());
        riff.extend(b"RMIDdata");
        riff.extend((bytes.len() as u32).to_le_bytes());
        riff.extend(&bytes);
        let error = read_midi(&riff).unwrap_err();
        assert!(error.to_string().contains("SMPTE"), "{error}");
    }
}
