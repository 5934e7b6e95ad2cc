//! The VST3 bundle under test in a real DAW: Ardour 7, headless ([`mcclstm_tests::ardour`]). Ardour
//! scans the bundle, puts it on a stereo track, records 9 s of its dummy backend's sine sweep
//! through it at real-time pace, saves the project, reopens it and bounces the take offline; and
//! 32 instances on 32 tracks of one session analyse their input at real-time pace.

mod common;

use std::path::{Path, PathBuf};

use common::bits;
use mcclstm_engine::audio::decode_file_channels;
use mcclstm_tests::ardour::{Ardour, FLOAT_PRESET_ID, plugin_state, plugin_states};
use mcclstm_tests::render::Format;
use mcclstm_tests::{HistoryEntry, SavedHistory, saved_history_field};

/// One Ardour at a time: the crowd's 32 analysis threads and Ardour's own threads starve a bounce
/// running beside them on a two-core machine, and the bounce then drops samples (as designed:
/// counted and marked as a gap), which the bounce test asserts it does not do on its own.
static ONE_ARDOUR: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn one_ardour() -> std::sync::MutexGuard<'static, ()> {
    ONE_ARDOUR
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// More than the samples Ardour fades in when the transport starts rolling (3584 measured).
const DECLICK: usize = 8192;

/// Records `seconds` of the dummy backend's sine sweep on a stereo track with the plugin on it,
/// with region fades off (so the take plays back as recorded), and saves the session `live`.
fn record_script(session: &Path, seconds: f64) -> String {
    format!(
        r#"
local backend = AudioEngine:set_backend("None (Dummy)", "", "")
assert(AudioEngine:current_backend_name() == "Dummy")
assert(backend:set_device_name("Sine Sweep") == 0)
assert(backend:set_buffer_size(512) == 0)
assert(create_session("{dir}", "live", 48000))
local tracks = Session:new_audio_track(2, 2, nil, 1, "Music",
    ARDOUR.PresentationInfo.max_order, ARDOUR.TrackMode.Normal, true)
local track = tracks:front()
local plugin = ARDOUR.LuaAPI.new_plugin(Session, "MCCLSTM", ARDOUR.PluginType.VST3, "")
assert(not plugin:isnil(), "Ardour has no VST3 named MCCLSTM")
assert(track:add_processor_by_index(plugin, 0, nil, true) == 0)
track:rec_enable_control():set_value(1, PBD.GroupControlDisposition.NoGroup)
Session:maybe_enable_record(false)
Session:request_roll(ARDOUR.TransportRequestSource.TRS_UI)
ARDOUR.LuaAPI.usleep({micros})
Session:request_stop(false, false, ARDOUR.TransportRequestSource.TRS_UI)
ARDOUR.LuaAPI.usleep(1000000)
track:rec_enable_control():set_value(0, PBD.GroupControlDisposition.NoGroup)
Session:disable_record(false, false)
local regions = 0
for region in track:playlist():region_list():iter() do
    local audio = region:to_audioregion()
    audio:set_fade_in_active(false)
    audio:set_fade_out_active(false)
    audio:set_fade_in_length(1)
    audio:set_fade_out_length(1)
    regions = regions + 1
end
assert(regions == 1, "expected one take")
Session:save_state("", false, false, false, false, false)
close_session()
"#,
        dir = session.display(),
        micros = (seconds * 1e6) as u64,
    )
}

/// Reopens `live` (the dummy backend now silent), bounces the session range offline to
/// `out/bounce.wav` and saves the snapshot `bounced`.
fn bounce_script(session: &Path, out: &Path) -> String {
    format!(
        r#"
local backend = AudioEngine:set_backend("None (Dummy)", "", "")
assert(backend:set_device_name("Silence") == 0)
assert(backend:set_buffer_size(512) == 0)
assert(load_session("{dir}", "live"))
local export = Session:simple_export()
export:set_name("bounce")
assert(export:set_preset("{FLOAT_PRESET_ID}"), "no float export preset")
export:set_folder("{out}")
assert(export:run_export(), "the export failed")
Session:save_state("bounced", false, false, false, false, false)
close_session()
"#,
        dir = session.display(),
        out = out.display(),
    )
}

fn history(session_file: &Path) -> SavedHistory {
    let state = plugin_state(session_file, "MCCLSTM").unwrap();
    saved_history_field(&state).unwrap()
}

/// The take's channel file (`%L` or `%R`) in the session's audio files.
fn take(session: &Path, side: &str) -> PathBuf {
    let dir = session.join("interchange/live/audiofiles");
    std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().ends_with(&format!("%{side}.wav")))
        .unwrap_or_else(|| panic!("no %{side} take in {}", dir.display()))
}

/// Entries equal as saved: the f64 end time may move by an ulp through JSON.
fn same_entries(a: &[HistoryEntry], b: &[HistoryEntry]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| {
            (x.task.as_str(), x.segment, x.chunk, &x.probs)
                == (y.task.as_str(), y.segment, y.chunk, &y.probs)
                && (x.end_s - y.end_s).abs() < 1e-9
        })
}

#[test]
fn ardour_records_saves_reopens_and_bounces_through_the_vst3() {
    let _alone = one_ardour();
    let work = tempfile::tempdir().unwrap();
    let ardour = Ardour::new(work.path(), &Format::Vst3.bundle_path().unwrap()).unwrap();
    let session = ardour.work().join("live");
    let out = ardour.work().join("out");
    std::fs::create_dir_all(&out).unwrap();

    // Live: Ardour's process thread drives the plugin in real-time mode for 9 s of recording.
    ardour
        .run_retrying_a_crash("record", &record_script(&session, 9.0), || {
            Ok(std::fs::remove_dir_all(&session)?)
        })
        .unwrap();
    let live = history(&session.join("live.ardour"));
    assert_eq!(live.dropped_samples, 0, "{live:?}");
    // Ardour ran the plugin from session creation to the end of the recording: at least 9 s.
    assert!(live.analysed_samples >= 9 * 48_000, "{live:?}");
    for (slot, task) in ["genre", "mood"].into_iter().enumerate() {
        let entries = &live.slots[slot];
        // Rolling the transport restarts the track, so at least the 9 s of the take give
        // complete 3.7 s chunks: two, less the one a late start can cost.
        assert!(!entries.is_empty(), "{task}: no chunk analysed live");
        assert!(entries.iter().all(|e| e.task == task));
        assert!(entries.iter().flat_map(|e| &e.probs).all(|p| p.is_finite()));
    }

    // Reopened and bounced offline: the restored history comes back once and unchanged, the
    // bounce is analysed in segments of its own, and the plugin passes the take through bit for
    // bit into the bounce.
    ardour
        .run_retrying_a_crash("bounce", &bounce_script(&session, &out), || {
            let _ = std::fs::remove_file(session.join("bounced.ardour"));
            std::fs::remove_dir_all(&out)?;
            Ok(std::fs::create_dir_all(&out)?)
        })
        .unwrap();
    let bounced = history(&session.join("bounced.ardour"));
    assert_eq!(bounced.dropped_samples, 0, "{bounced:?}");
    assert!(bounced.analysed_samples > live.analysed_samples);
    for slot in 0..2 {
        let (before, after) = (&live.slots[slot], &bounced.slots[slot]);
        assert!(
            same_entries(&after[..before.len()], before),
            "slot {slot}: the restored history changed: {after:?}"
        );
        let last_live = before.iter().map(|e| e.segment).max().unwrap();
        let new = &after[before.len()..];
        // The take is about 9 s: the bounce completes two chunks.
        assert!(
            new.len() >= 2,
            "slot {slot}: the bounce was not analysed: {after:?}"
        );
        assert!(
            new.iter().all(|e| e.segment > last_live),
            "slot {slot}: new chunks joined a restored segment: {after:?}"
        );
        assert!(new.iter().flat_map(|e| &e.probs).all(|p| p.is_finite()));
        // The export rolls the transport: each new chunk carries its song position, which
        // advances with the audio.
        assert!(
            new.iter().all(|e| e.transport_s.is_some()),
            "slot {slot}: a bounced chunk without the song position: {new:?}"
        );
        for pair in new.windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            let moved = b.transport_s.unwrap() - a.transport_s.unwrap();
            assert!(
                (moved - (b.start_s - a.start_s)).abs() < 1e-3,
                "slot {slot}: song position {moved} s against {} s of audio",
                b.start_s - a.start_s
            );
        }
    }
    let bounce = decode_file_channels(&out.join("bounce.wav")).unwrap();
    assert_eq!(bounce.sample_rate, 48_000);
    for (channel, side) in bounce.channels.iter().zip(["L", "R"]) {
        let recorded = decode_file_channels(&take(&session, side)).unwrap();
        let recorded = &recorded.channels[0];
        assert!(recorded.len() >= 8 * 48_000, "a short take");
        assert_eq!(channel.len(), recorded.len(), "{side}");
        // Ardour declicks the start of the roll (3584 samples here, at 512-sample buffers)
        // before the track's plugins; from there on the bounce is the take, bit for bit.
        assert_eq!(
            bits(&channel[DECLICK..]),
            bits(&recorded[DECLICK..]),
            "{side}"
        );
    }
}

/// Instances in [`ardour_runs_32_instances_at_real_time_pace`].
const CROWD: usize = 32;

/// Seconds each measured phase of the crowd lasts: 8, or `MCCLSTM_CROWD_SECONDS` (a longer run
/// by hand gives steadier CPU figures).
fn crowd_seconds() -> u64 {
    std::env::var("MCCLSTM_CROWD_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(8)
        .max(8)
}

/// A session of [`CROWD`] stereo tracks monitoring the dummy backend's sine sweep (so they process
/// input with the transport stopped): `seconds` without plugins, then an instance on every track
/// and `seconds` more, then it saves. It prints `CROWD tracks cpu_without cpu_with
/// rss_without rss_with`: the process's CPU seconds (every thread, `os.clock`) over each phase
/// and its resident memory (kB) before the plugins and at the end.
fn crowd_script(session: &Path, seconds: u64) -> String {
    format!(
        r#"
local backend = AudioEngine:set_backend("None (Dummy)", "", "")
assert(backend:set_device_name("Sine Sweep") == 0)
assert(backend:set_buffer_size(512) == 0)
assert(create_session("{dir}", "crowd", 48000))
local function rss_kb()
    local f = assert(io.open("/proc/self/status"))
    local kb = nil
    for line in f:lines() do
        local v = line:match("^VmRSS:%s+(%d+)")
        if v then kb = tonumber(v) end
    end
    f:close()
    return assert(kb, "no VmRSS")
end
local tracks = Session:new_audio_track(2, 2, nil, {CROWD}, "Music",
    ARDOUR.PresentationInfo.max_order, ARDOUR.TrackMode.Normal, true)
local count = 0
for track in tracks:iter() do
    track:monitoring_control():set_value(ARDOUR.MonitorChoice.MonitorInput,
        PBD.GroupControlDisposition.NoGroup)
    count = count + 1
end
assert(count == {CROWD}, "made " .. count .. " tracks")
ARDOUR.LuaAPI.usleep(1000000)
local rss0, cpu0 = rss_kb(), os.clock()
ARDOUR.LuaAPI.usleep({micros})
local cpu1 = os.clock()
for track in tracks:iter() do
    local plugin = ARDOUR.LuaAPI.new_plugin(Session, "MCCLSTM", ARDOUR.PluginType.VST3, "")
    assert(not plugin:isnil(), "Ardour has no VST3 named MCCLSTM")
    assert(track:add_processor_by_index(plugin, 0, nil, true) == 0)
end
ARDOUR.LuaAPI.usleep(1000000)
local cpu2 = os.clock()
ARDOUR.LuaAPI.usleep({micros})
local rss3, cpu3 = rss_kb(), os.clock()
print(string.format("CROWD %d %.6f %.6f %d %d", count, cpu1 - cpu0, cpu3 - cpu2, rss0, rss3))
Session:save_state("", false, false, false, false, false)
close_session()
"#,
        dir = session.display(),
        micros = seconds * 1_000_000,
    )
}

/// 32 instances in one Ardour session, each on its own track with its own analysis thread, at
/// the dummy backend's real-time pace: every instance analyses every sample it is handed (none
/// dropped) and delivers both slots' chunks. Prints the CPU share and memory per instance
/// (`--nocapture`); they are figures for the README, not assertions.
#[test]
fn ardour_runs_32_instances_at_real_time_pace() {
    let _alone = one_ardour();
    let work = tempfile::tempdir().unwrap();
    let ardour = Ardour::new(work.path(), &Format::Vst3.bundle_path().unwrap()).unwrap();
    let session = ardour.work().join("crowd");
    let seconds = crowd_seconds();
    let printed = ardour
        .run_retrying_a_crash("crowd", &crowd_script(&session, seconds), || {
            Ok(std::fs::remove_dir_all(&session)?)
        })
        .unwrap();
    let states = plugin_states(&session.join("crowd.ardour"), "MCCLSTM").unwrap();
    assert_eq!(states.len(), CROWD);
    for (i, state) in states.iter().enumerate() {
        let h = saved_history_field(state).unwrap();
        assert_eq!(h.dropped_samples, 0, "instance {i}: {h:?}");
        // Each ran the whole measured phase at 48 kHz (and most of the second before it: the
        // instances are added one after another).
        assert!(
            h.analysed_samples >= seconds * 48_000,
            "instance {i}: {h:?}"
        );
        for (slot, task) in ["genre", "mood"].into_iter().enumerate() {
            let entries = &h.slots[slot];
            // 8 s and more at 3.715 s per chunk: at least two chunks.
            assert!(entries.len() >= 2, "instance {i}, {task}: {entries:?}");
            assert!(entries.iter().all(|e| e.task == task));
            assert!(entries.iter().flat_map(|e| &e.probs).all(|p| p.is_finite()));
        }
    }
    let line = printed
        .lines()
        .find_map(|l| l.strip_prefix("CROWD "))
        .unwrap_or_else(|| panic!("the script printed no figures: {printed}"));
    let figures: Vec<f64> = line
        .split_whitespace()
        .map(|v| v.parse().unwrap())
        .collect();
    let [tracks, cpu_without, cpu_with, rss_without, rss_with] = figures[..] else {
        panic!("{line}");
    };
    assert_eq!(tracks as usize, CROWD);
    let seconds = seconds as f64;
    eprintln!(
        "Ardour, {CROWD} tracks for {seconds} s: {:.2}% of a core without the plugin, {:.2}% \
         with an instance on each; per instance {:.3}% of a core and {:.1} MB resident",
        100.0 * cpu_without / seconds,
        100.0 * cpu_with / seconds,
        100.0 * (cpu_with - cpu_without) / seconds / CROWD as f64,
        (rss_with - rss_without) / 1024.0 / CROWD as f64,
    );
}

/// Ardour 7.3's broken heap can deadlock instead of crashing (`docs/upstream.md`): a script still
/// running after the hang limit is killed, counts as a crash (undone and run once more), and two
/// hangs fail with both outputs, instead of the test waiting forever.
#[test]
fn a_hung_script_is_killed_and_run_once_more() {
    let _alone = one_ardour();
    let work = tempfile::tempdir().unwrap();
    let ardour = Ardour::new(work.path(), &Format::Vst3.bundle_path().unwrap())
        .unwrap()
        .with_hang_limit(std::time::Duration::from_secs(3));
    let resets = std::cell::Cell::new(0);
    let started = std::time::Instant::now();
    let err = ardour
        .run_retrying_a_crash("hang", "print(\"spinning\")\nwhile true do end\n", || {
            resets.set(resets.get() + 1);
            Ok(())
        })
        .unwrap_err();
    let message = format!("{err:#}");
    assert_eq!(resets.get(), 1, "{message}");
    assert_eq!(
        message.matches("hang.lua hung: killed after 3 s").count(),
        2,
        "{message}"
    );
    assert!(
        message.contains("The first run crashed as well"),
        "{message}"
    );
    assert!(started.elapsed().as_secs() < 60, "{:?}", started.elapsed());
    let quick = ardour.run("quick", "print(\"done\")\n").unwrap();
    assert!(quick.contains("done"), "{quick}");
}
