//! The built-in synth's timing, measured: a click track played through its real-time path (the
//! messages stamped and queued as the live sink does, the same audio callback) on a fake stream
//! that stands in for the sound card (CI has none), at buffers of 64 to 4096 frames at 48 kHz,
//! with FluidR3_GM (package fluid-soundfont-gm). Every click must sound within 1 ms of where it
//! belongs (p99), whatever the buffer size. The callback as it was before (messages applied at
//! buffer starts) is measured the same way and is off by up to a whole buffer: the measurement
//! can tell.

use std::path::PathBuf;
use std::sync::Arc;

use rustysynth::SoundFont;
use songsketch::playback::callback::{QUEUE_CAPACITY, SynthCallback, message_queue};
use songsketch::playback::onset::{
    CallbackKind, ClickTrack, FakeStream, measure_onsets, play_through,
};
use songsketch::playback::soundfont::{find_soundfont, load_soundfont};
use songsketch::playback::synthesizer::new_live_synthesizer;

const RATE: u32 = 48_000;
const BUFFERS: [usize; 4] = [64, 256, 1024, 4096];

fn soundfont() -> (PathBuf, Arc<SoundFont>) {
    let path = find_soundfont(None).expect("a SoundFont (fluid-soundfont-gm) is installed");
    let font = load_soundfont(&path).expect("SoundFont loads");
    (path, font)
}

#[test]
fn every_click_sounds_within_a_millisecond_at_any_buffer_size() {
    let (path, font) = soundfont();
    let track = ClickTrack::default();
    for frames in BUFFERS {
        let stream = FakeStream::new(RATE, frames);
        let before = measure_onsets(&font, &path, &stream, &track, CallbackKind::BufferStart)
            .expect("measured before");
        let after = measure_onsets(&font, &path, &stream, &track, CallbackKind::SampleAccurate)
            .expect("measured after");
        println!("{before}\n{after}");
        assert_eq!(after.clicks, track.clicks);
        assert!(after.ms(after.p99) < 1.0, "{after}");
        assert!(
            before.p99 >= frames / 2,
            "per-buffer timing shows as errors up to a buffer: {before}"
        );
        // The price of placing every message: one buffer (plus 0.25 ms) of added latency.
        assert!(
            after.latency <= before.latency + frames + 2 * 48,
            "{after} against {before}"
        );
    }
}

#[test]
fn a_call_longer_than_the_buffers_is_rendered_in_pieces_that_sound_the_same() {
    let (path, font) = soundfont();
    let stream = FakeStream::new(RATE, 1024);
    let messages = ClickTrack {
        clicks: 8,
        spacing: 0.1,
    }
    .messages();
    let render = |capacity: usize| {
        let synth = new_live_synthesizer(&font, RATE, &path).expect("synth");
        let (mut sender, receiver) = message_queue(QUEUE_CAPACITY);
        let mut callback = SynthCallback::new(synth, receiver, capacity);
        assert_eq!(callback.capacity_frames(), capacity);
        play_through(&stream, &messages, &mut sender, &mut callback).expect("played")
    };
    let whole = render(1024);
    let pieces = render(100);
    let peak = whole.iter().fold(0.0f32, |peak, s| peak.max(s.abs()));
    assert!(peak > 0.05, "the clicks sound (peak {peak})");
    assert!(
        whole == pieces,
        "the same audio whether rendered whole or in pieces"
    );
}
