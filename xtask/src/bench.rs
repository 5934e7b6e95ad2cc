//! `cargo xtask bench`: mcclstm against the tools a user would use instead, on the same inputs, in
//! one run, written to `BENCHMARKS.md` and `BENCHMARKS.json`.
//!
//! 1. log-mel of a 30 s clip: our frontend vs librosa (outputs checked equal first);
//! 2. one MCCLSTM chunk: our fast runner and tract vs ONNX Runtime from Rust vs onnxruntime in
//!    Python;
//! 3. `mcclstm analyze` of 100 clips of 30 s (decode, resample, frontend, both default models) vs
//!    the same pipeline in librosa + onnxruntime;
//! 4. the plugin's `process()` per stereo frame and the analysis thread's CPU share, host at real
//!    time (release bundle in the project's CLAP host);
//! 5. one training epoch vs the same model in JAX on the CPU;
//! 6. peak memory of `mcclstm analyze` and of a loaded plugin instance.
//!
//! Installs the peers in `target/bench-venv` (pinned: `scripts/requirements-peers.txt`,
//! `scripts/requirements-bench.txt`) and the SoundFont the clips are rendered with.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use serde_json::{Value, json};

use crate::{cargo, install_onnxruntime, models, run, target_dir, workspace_root};

/// A child's wall time, CPU time and peak resident memory, with its stdout saved to a file. The
/// CPU time and memory are that one child's, from `wait4`: `getrusage(RUSAGE_CHILDREN)` would also
/// count whatever the interpreter's own process reaped before it ran, and survives `exec`, so a
/// `python3` that is a launcher script (pyenv's shim runs a dozen commands, then `exec`s Python)
/// added about 60 ms of its own to every figure (a one-clip `analyze` read 0.077 s instead of
/// 0.026 s).
const MEASURE: &str = "import json, os, subprocess, sys, time\n\
t = time.perf_counter()\n\
p = subprocess.Popen(sys.argv[2:], stdout=open(sys.argv[1], 'wb'))\n\
_, status, u = os.wait4(p.pid, 0)\n\
w = time.perf_counter() - t\n\
p.returncode = os.waitstatus_to_exitcode(status)\n\
print(json.dumps({'rc': p.returncode, 'wall_s': w, 'cpu_s': u.ru_utime + u.ru_stime, \
'peak_rss_kb': u.ru_maxrss}))\n";

/// How many times the one-clip `analyze` runs; the report takes the run with the median CPU time.
const ONE_CLIP_RUNS: usize = 9;

pub fn bench(args: &[String]) -> anyhow::Result<()> {
    let root = workspace_root()?;
    std::env::set_current_dir(&root)?;
    match args.first().map(String::as_str) {
        None => {}
        // The report again from the last run's figures: for a change to the report's wording.
        Some("--report") => {
            let results = read_json(&root.join("BENCHMARKS.json"))?;
            std::fs::write(root.join("BENCHMARKS.md"), report(&results))?;
            eprintln!("==> wrote BENCHMARKS.md from BENCHMARKS.json");
            return Ok(());
        }
        Some(other) => bail!("cargo xtask bench takes no argument or --report, not {other:?}"),
    }
    let target = target_dir(&root);
    let work = target.join("bench");
    std::fs::create_dir_all(&work)?;
    models::install_packages()?;
    let ort = install_onnxruntime(&root)?;
    let python = venv(&target)?;

    run(
        "build mcclstm and mcclstm-bench (release)",
        cargo().args([
            "build",
            "--release",
            "-p",
            "mcclstm-cli",
            "-p",
            "mcclstm-trainer",
            "--bins",
        ]),
    )?;
    run(
        "build the release bundles",
        cargo().args(["xtask", "bundle", "mcclstm-plugin", "--release"]),
    )?;
    run(
        "build the CLAP host (release)",
        cargo().args([
            "build",
            "--release",
            "-p",
            "mcclstm-tests",
            "--bin",
            "mcclstm-host",
        ]),
    )?;
    let bin = target.join("release");
    let genre = root.join("models/genre.onnx");
    let mood = root.join("models/mood.onnx");

    // 1, 2 and model load: the Rust side.
    run(
        "frontend, chunk and load (Rust)",
        Command::new(bin.join("mcclstm-bench"))
            .arg(&work)
            .arg("--genre")
            .arg(&genre)
            .arg("--mood")
            .arg(&mood)
            .env("ORT_DYLIB_PATH", &ort)
            .stdout(std::process::Stdio::null()),
    )?;
    let rust = read_json(&work.join("rust.json"))?;

    // 3. 100 clips of 30 s at 44.1 kHz: music the arranger writes, so the models see music.
    let clips_dir = work.join("clips");
    run(
        "make 100 clips",
        Command::new(bin.join("mcclstm"))
            .args(["dataset", "make", "--kind", "genre", "--per-class", "10"])
            .args(["--sample-rate", "44100", "--seed", "7", "--out"])
            .arg(&clips_dir)
            .stdout(std::process::Stdio::null()),
    )?;
    let clips = list_clips(&clips_dir)?;
    let analyze_out = work.join("analyze_ours.json");
    // `mcclstm analyze --json` of `files` with both default models, its stdout saved to `out`;
    // `jobs` None leaves `--jobs` at its default (every core).
    let measure_analyze = |step: &str, out: &Path, jobs: Option<&str>, files: &[PathBuf]| {
        let mut command = Command::new("python3");
        command
            .args(["-c", MEASURE])
            .arg(out)
            .arg(bin.join("mcclstm"))
            .args(["analyze", "--json"]);
        if let Some(jobs) = jobs {
            command.args(["--jobs", jobs]);
        }
        command
            .arg("--model")
            .arg(&genre)
            .arg("--model")
            .arg(&mood)
            .args(files);
        measure(step, &mut command)
    };
    let ours_analyze = measure_analyze(
        "mcclstm analyze of 100 clips",
        &analyze_out,
        Some("1"),
        &clips,
    )?;
    // A 30 ms process is at the mercy of the VM's scheduler: the median of several runs.
    let mut one_runs = (0..ONE_CLIP_RUNS)
        .map(|_| {
            measure_analyze(
                "mcclstm analyze of one clip",
                &work.join("analyze_one.json"),
                Some("1"),
                &clips[..1],
            )
        })
        .collect::<anyhow::Result<Vec<Value>>>()?;
    one_runs.sort_by(|a, b| f(&a["cpu_s"]).total_cmp(&f(&b["cpu_s"])));
    let mut ours_one = one_runs[one_runs.len() / 2].clone();
    ours_one["runs"] = json!(one_runs.len());
    ours_one["cpu_s_min"] = one_runs[0]["cpu_s"].clone();
    ours_one["cpu_s_max"] = one_runs[one_runs.len() - 1]["cpu_s"].clone();
    let ours_all_cores = measure_analyze(
        "mcclstm analyze of 100 clips, all cores",
        &work.join("analyze_ours_all_cores.json"),
        None,
        &clips,
    )?;
    std::fs::write(
        work.join("config.json"),
        serde_json::to_string_pretty(&json!({
            "models": {"genre": genre, "mood": mood},
            "clips": clips,
            "runs": {"frontend": 30, "chunk": 300},
            "ours_analyze": analyze_out,
        }))?,
    )?;
    run(
        "the Python peers (librosa, onnxruntime)",
        Command::new(&python)
            .arg(root.join("scripts/bench_peers.py"))
            .arg(&work),
    )?;
    let peers = read_json(&work.join("python.json"))?;

    // 4. The plugin in the host, at real-time pace and as fast as it goes; and an hour.
    let bundle = target.join("bundled/MCCLSTM.clap");
    let vst3_bundle = target.join("bundled/MCCLSTM.vst3");
    let host_with = |args: &[&str], live: &str| -> anyhow::Result<Value> {
        let output = Command::new(bin.join("mcclstm-host"))
            .args(args)
            .env("MCCLSTM_CLAP_BUNDLE", &bundle)
            .env("MCCLSTM_VST3_BUNDLE", &vst3_bundle)
            .env("MCCLSTM_LIVE_ESTIMATES", live)
            .output()
            .context("cannot run mcclstm-host")?;
        if !output.status.success() {
            bail!(
                "mcclstm-host {args:?} failed: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Ok(serde_json::from_slice(&output.stdout)?)
    };
    // The host opens no editor: live estimates only when forced on.
    const PACED: [&str; 8] = [
        "--realtime",
        "--realtime-pace",
        "--rate",
        "48000",
        "--seconds",
        "60",
        "--block",
        "512",
    ];
    let host = |args: &[&str]| host_with(args, "editor");
    eprintln!("==> plugin at real-time pace with live estimates, as with the editor open (60 s)");
    let paced_live = host_with(&PACED, "always")?;
    eprintln!("==> plugin at real-time pace (60 s)");
    let paced = host(&PACED)?;
    // A minute of audio through the host as fast as it goes, in `mode`, in blocks of `block`.
    let unpaced_minute = |mode: &[&str], block: &str| {
        let mut args = mode.to_vec();
        args.extend([
            "--unpaced",
            "--rate",
            "48000",
            "--seconds",
            "60",
            "--block",
            block,
        ]);
        host(&args)
    };
    eprintln!("==> plugin in real-time mode, host as fast as it goes (60 s)");
    let unpaced = unpaced_minute(&["--realtime"], "512")?;
    let mut blocks = Vec::new();
    for block in ["64", "512", "4096"] {
        eprintln!("==> plugin offline, blocks of {block}");
        blocks.push((block, unpaced_minute(&[], block)?));
    }
    eprintln!("==> VST3 plugin offline, blocks of 512");
    let vst3_offline = unpaced_minute(&["--format", "vst3"], "512")?;
    eprintln!("==> plugin, an hour offline (memory)");
    let hour = host(&[
        "--unpaced",
        "--stream-minutes",
        "60",
        "--rate",
        "48000",
        "--block",
        "512",
    ])?;

    // 5. Training: our epoch and JAX's, back to back.
    let epoch_out = Command::new(cargo_path())
        .args(["test", "-p", "mcclstm-trainer", "--bench", "epoch"])
        .output()
        .context("cannot run the epoch bench")?;
    if !epoch_out.status.success() {
        bail!(
            "the epoch bench failed: {}",
            String::from_utf8_lossy(&epoch_out.stderr)
        );
    }
    let epoch = json_line(&String::from_utf8_lossy(&epoch_out.stdout), "epoch-json ")
        .context("the epoch bench printed no epoch-json line")?;
    eprintln!("==> JAX epoch");
    let jax_out = Command::new(&python)
        .arg(root.join("scripts/epoch_reference_jax.py"))
        .output()
        .context("cannot run the JAX reference")?;
    let jax = if jax_out.status.success() {
        json_line(&String::from_utf8_lossy(&jax_out.stdout), "").unwrap_or(Value::Null)
    } else {
        eprintln!(
            "the JAX reference failed: {}",
            String::from_utf8_lossy(&jax_out.stderr)
        );
        Value::Null
    };

    let results = json!({
        "machine": machine(),
        "rust": rust,
        "peers": peers,
        "analyze_ours": ours_analyze,
        "analyze_ours_one_clip": ours_one,
        "analyze_ours_all_cores": ours_all_cores,
        "clips": clips.len(),
        "plugin_paced": paced,
        "plugin_paced_live_estimates": paced_live,
        "plugin_realtime_unpaced": unpaced,
        "plugin_offline": blocks.iter().map(|(b, v)| json!({"block": b, "result": v})).collect::<Vec<_>>(),
        "plugin_offline_vst3": vst3_offline,
        "plugin_hour": hour,
        "epoch_ours": epoch,
        "epoch_jax": jax,
    });
    std::fs::write(
        root.join("BENCHMARKS.json"),
        serde_json::to_string_pretty(&results)? + "\n",
    )?;
    std::fs::write(root.join("BENCHMARKS.md"), report(&results))?;
    eprintln!("==> wrote BENCHMARKS.md and BENCHMARKS.json");
    Ok(())
}

fn cargo_path() -> std::ffi::OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

/// The peers' virtual environment, created and filled from the pinned requirement files.
fn venv(target: &Path) -> anyhow::Result<PathBuf> {
    let dir = target.join("bench-venv");
    let python = dir.join("bin/python");
    let stamp = dir.join(".installed");
    let requirements = [
        "scripts/requirements-peers.txt",
        "scripts/requirements-bench.txt",
    ];
    let wanted: String = requirements
        .iter()
        .map(|r| std::fs::read_to_string(r).unwrap_or_default())
        .collect();
    if std::fs::read_to_string(&stamp).is_ok_and(|s| s == wanted) {
        return Ok(python);
    }
    if !python.exists() {
        run(
            "python3 -m venv target/bench-venv",
            Command::new("python3").args(["-m", "venv"]).arg(&dir),
        )?;
    }
    for r in requirements {
        run(
            &format!("pip install -r {r}"),
            crate::pip_install(&python).arg("-r").arg(r),
        )?;
    }
    std::fs::write(&stamp, wanted)?;
    Ok(python)
}

fn read_json(path: &Path) -> anyhow::Result<Value> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))
}

/// The first line starting with `prefix` whose rest is a JSON object.
fn json_line(text: &str, prefix: &str) -> Option<Value> {
    text.lines()
        .filter_map(|l| l.strip_prefix(prefix))
        .find_map(|l| {
            serde_json::from_str::<Value>(l.trim())
                .ok()
                .filter(Value::is_object)
        })
}

fn measure(step: &str, command: &mut Command) -> anyhow::Result<Value> {
    eprintln!("==> {step}");
    let output = command
        .output()
        .with_context(|| format!("{step}: cannot start"))?;
    let value: Value = serde_json::from_slice(&output.stdout).with_context(|| {
        format!(
            "{step}: no measurement ({})",
            String::from_utf8_lossy(&output.stderr)
        )
    })?;
    if value["rc"].as_i64() != Some(0) {
        bail!("{step} failed: {}", String::from_utf8_lossy(&output.stderr));
    }
    Ok(value)
}

fn list_clips(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let csv = std::fs::read_to_string(dir.join("tracks.csv"))?;
    let clips: Vec<PathBuf> = csv
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').next())
        .map(|p| dir.join(p))
        .collect();
    anyhow::ensure!(
        clips.len() == 100,
        "expected 100 clips, found {}",
        clips.len()
    );
    Ok(clips)
}

fn machine() -> Value {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|l| l.trim_start_matches([' ', '\t', ':']).to_string())
        .unwrap_or_default();
    let rustc = Command::new("rustc")
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    let date = Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M UTC"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    json!({
        "cpu": model,
        "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        "rustc": rustc,
        "date": date,
    })
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or(f64::NAN)
}

/// How a repeated process measurement was taken: "CPU time the median of 9 runs (0.026-0.031 s)".
/// A figure from before the runs were repeated says it is one run.
fn runs_note(v: &Value) -> String {
    match v["runs"].as_u64() {
        Some(runs) => format!(
            "CPU time the median of {runs} runs ({:.3}-{:.3} s)",
            f(&v["cpu_s_min"]),
            f(&v["cpu_s_max"])
        ),
        None => "one run".to_string(),
    }
}

fn timing(v: &Value) -> String {
    format!(
        "{:.3} ms ({:.3}-{:.3}, {} runs)",
        f(&v["median_ms"]),
        f(&v["min_ms"]),
        f(&v["max_ms"]),
        v["runs"]
    )
}

/// "2.1x faster" or "1.4x slower": how our time compares with a peer's.
fn ratio(ours: f64, peer: f64) -> String {
    if ours <= peer {
        format!("ours {:.1}x faster", peer / ours)
    } else {
        format!("ours {:.1}x slower", ours / peer)
    }
}

fn met(ok: bool) -> &'static str {
    if ok { "met" } else { "**not met**" }
}

fn report(r: &Value) -> String {
    let m = &r["machine"];
    let rust = &r["rust"];
    let peers = &r["peers"];
    let versions = &peers["versions"];
    let mut s = String::new();
    s.push_str("# Benchmarks\n\n");
    s.push_str(&format!(
        "Written by `cargo xtask bench` on {} ({} cores), {}, {}. Every comparison ran on the same \
         inputs in the same run; times are medians of repeated runs with min-max beside them, \
         one thread each unless said. The raw figures are in `BENCHMARKS.json`.\n\n\
         Peers: Python {}, numpy {}, librosa {}, onnxruntime {}, soxr {}; ours: the fast \
         runner (the plugin's), tract (its reference and fallback), ONNX Runtime {} through \
         `ort`, burn (training).\n\n",
        m["cpu"].as_str().unwrap_or("?"),
        m["cores"],
        m["rustc"].as_str().unwrap_or("?"),
        m["date"].as_str().unwrap_or("?"),
        versions["python"].as_str().unwrap_or("?"),
        versions["numpy"].as_str().unwrap_or("?"),
        versions["librosa"].as_str().unwrap_or("?"),
        versions["onnxruntime"].as_str().unwrap_or("?"),
        versions["soxr"].as_str().unwrap_or("?"),
        versions["onnxruntime"].as_str().unwrap_or("?"),
    ));

    // 1.
    let fe = f(&rust["frontend"]["median_ms"]);
    let fe_peer = f(&peers["frontend"]["median_ms"]);
    s.push_str("## 1. Log-mel of a 30 s clip (`paper` preset)\n\n| | time | |\n|---|---|---|\n");
    s.push_str(&format!(
        "| mcclstm frontend | {} | |\n",
        timing(&rust["frontend"])
    ));
    s.push_str(&format!(
        "| librosa `melspectrogram` + `power_to_db` | {} | {} |\n\n",
        timing(&peers["frontend"]),
        ratio(fe, fe_peer)
    ));
    s.push_str(&format!(
        "Checked equal first: max difference {:.2e} dB over {} frames x 40 mels.\n\n",
        f(&peers["frontend"]["max_abs_diff_db"]),
        rust["frontend_frames"]
    ));

    // 2.
    let fast = f(&rust["chunk_fast"]["median_ms"]);
    let tract = f(&rust["chunk_tract"]["median_ms"]);
    let ort_rust = f(&rust["chunk_ort_rust"]["median_ms"]);
    let ort_py = f(&peers["chunk_onnxruntime_python"]["median_ms"]);
    s.push_str(&format!(
        "## 2. One chunk through MCCLSTM (`models/genre.onnx`, {} bytes)\n\n\
         | runtime | time | fast runner vs it |\n|---|---|---|\n",
        rust["genre_bytes"]
    ));
    s.push_str(&format!(
        "| our fast runner, {} kernels (the plugin's and `analyze`'s) | {} | |\n",
        rust["runner"].as_str().map_or("?", |r| r
            .trim_start_matches("fast (")
            .trim_end_matches(')')),
        timing(&rust["chunk_fast"])
    ));
    s.push_str(&format!(
        "| tract (the reference and fallback) | {} | {} |\n",
        timing(&rust["chunk_tract"]),
        ratio(fast, tract)
    ));
    s.push_str(&format!(
        "| ONNX Runtime from Rust (`ort`) | {} | {} |\n",
        timing(&rust["chunk_ort_rust"]),
        ratio(fast, ort_rust)
    ));
    s.push_str(&format!(
        "| onnxruntime in Python | {} | {} |\n\n",
        timing(&peers["chunk_onnxruntime_python"]),
        ratio(fast, ort_py)
    ));
    s.push_str(&format!(
        "Outputs checked equal first: ONNX Runtime vs the fast runner {:.1e} (Rust), {:.1e} \
         (Python); tract vs the fast runner {:.1e}. The fast runner allocates nothing per step \
         (`onnx/tests/fast_runner_allocs.rs`). Model load (read, contract check, plan): fast \
         runner genre {}, mood {}; from the bytes already in memory, as the embedded default \
         models load, genre {}, mood {}; tract (check, optimise, plan) genre {}, mood {}.\n\n",
        f(&rust["ort_vs_ours_max_abs_diff"]),
        f(&peers["chunk_onnxruntime_python"]["max_abs_diff"]),
        f(&rust["tract_vs_ours_max_abs_diff"]),
        timing(&rust["load_genre"]),
        timing(&rust["load_mood"]),
        timing(&rust["load_genre_bytes"]),
        timing(&rust["load_mood_bytes"]),
        timing(&rust["load_genre_tract"]),
        timing(&rust["load_mood_tract"])
    ));
    let peak = f(&rust["fma_peak_gflops"]);
    if peak.is_finite() {
        // The default models' three convolutions, 32 filters each over 40 mels x 80 frames:
        // 2 x 32 x (13*9 x 28*72 + 1*60 x 40*21 + 32*1 x 9*80) floating-point operations.
        let conv_mflop = 2.0 * 32.0 * (117.0 * 2016.0 + 60.0 * 840.0 + 32.0 * 720.0) / 1e6;
        s.push_str(&format!(
            "The bound: the core's peak rate of vector multiply-adds, measured in the same run \
             (`mcclstm-bench`, twelve independent FMA chains), is {peak:.1} GFLOP/s. A chunk of \
             the default models holds {conv_mflop:.1} MFLOP of convolution (32 filters of 13x9, \
             1x60 and 32x1 over 40 mels x 80 frames), which takes at least {bound:.3} ms at that \
             peak, {share:.0}% of ONNX Runtime's whole step{verdict}; the dense layer then reads \
             4 MB of weights. Our product runs near the peak (DESIGN.md, section 7, says where \
             the rest of a step goes).\n\n",
            bound = conv_mflop / peak,
            share = 100.0 * conv_mflop / peak / ort_rust,
            verdict = if conv_mflop / peak > 0.8 * ort_rust {
                ": 0.8x ONNX Runtime's time is below what the convolutions alone need on this core"
            } else {
                ""
            },
        ));
    }

    // 3.
    let audio_s = f(&peers["analyze"]["audio_seconds"]);
    let ours = &r["analyze_ours"];
    let ours_wall = f(&ours["wall_s"]);
    let ours_cpu = f(&ours["cpu_s"]);
    let py_wall = f(&peers["analyze"]["wall_s"]);
    let py_cpu = f(&peers["analyze"]["cpu_s"]);
    s.push_str(&format!(
        "## 3. `mcclstm analyze` of {} clips of 30 s (44.1 kHz WAV: decode, resample, frontend, \
         genre and mood models)\n\n| | wall | CPU | times real time | |\n|---|---|---|---|---|\n",
        r["clips"]
    ));
    s.push_str(&format!(
        "| `mcclstm analyze` (one process, one thread) | {:.2} s | {:.2} s | {:.0}x | |\n",
        ours_wall,
        ours_cpu,
        audio_s / ours_wall
    ));
    s.push_str(&format!(
        "| librosa.load + log-mel + onnxruntime (Python) | {:.2} s | {:.2} s | {:.0}x | {} (wall), \
         {} (CPU) |\n\n",
        py_wall,
        py_cpu,
        audio_s / py_wall,
        ratio(ours_wall, py_wall),
        ratio(ours_cpu, py_cpu)
    ));
    s.push_str(
        "The budget below takes the wall times. Ours runs one thread, so where its wall time \
         is well above its CPU time the VM gave the core to something else during the run; the \
         CPU times compare the work alone (ours: the whole process, started, with both models \
         loaded; the Python pipeline: its work after the imports).\n\n",
    );
    s.push_str(&format!(
        "The two pipelines agree on the top class for {:.0}% (genre) and {:.0}% (mood) of the \
         clips (resamplers differ: rubato here, soxr in librosa).\n\n",
        100.0 * f(&peers["analyze"]["top_agreement"]["genre"]),
        100.0 * f(&peers["analyze"]["top_agreement"]["mood"])
    ));

    let all = &r["analyze_ours_all_cores"];
    if all.is_object() {
        let all_wall = f(&all["wall_s"]);
        s.push_str(&format!(
            "On all {} cores (`--jobs` left at its default) the same {} clips took {:.2} s wall \
             ({:.2} s CPU, {:.0}x real time): {} than the Python pipeline on one core.\n\n",
            m["cores"],
            r["clips"],
            all_wall,
            f(&all["cpu_s"]),
            audio_s / all_wall,
            ratio(all_wall, py_wall).trim_start_matches("ours ")
        ));
    }
    if ours_wall > py_wall / 3.0 {
        let (ours_steps, peer_steps) = (16.0 * fast, 16.0 * ort_py);
        let steps = if ours_steps <= peer_steps {
            "so the gap is in the rest"
        } else {
            "and the rest adds to the gap"
        };
        s.push_str(&format!(
            "Where we lose, per clip on one core: the model steps cost {ours_steps:.1} ms on our \
             fast runner against {peer_steps:.1} ms in ONNX Runtime (section 2: 2 models x 8 \
             chunks), {steps}: reading the file, rubato's FFT resampler from 44.1 to \
             22.05 kHz against soxr, and the frontend (section 1; its FFT runs in f64, because \
             an f32 spectrum breaks the 1e-3 dB parity on bands far below a frame's loudest: \
             `scripts/f32_frontend_parity.py`). The two models already share one resampler and \
             frontend (one frame stream per file, not one per model), each worker builds that \
             stream once and rewinds it between files at the same rate, a file goes into it \
             as it is decoded (no whole-file buffer), and the silence gate searches each block \
             instead of testing every sample. What would close more: offline, a file's chunks could go \
             through the convolutions and the dense layer as one batch (the carried state only \
             enters at the LSTM), reading the dense layer's 4 MB of weights once per file \
             instead of once per chunk. A half-band decimator is not the answer for 44.1 kHz: \
             rubato's filter passes up to 0.97 of 11.025 kHz, and a half-band filter short \
             enough to be cheaper is 6 dB down at 11.025 kHz with a wide transition around it, \
             which would change the top mel band the models were trained on.\n\n"
        ));
    }

    // 4.
    let paced = &r["plugin_paced"];
    let paced_ns = f(&paced["process_ns_per_frame"]);
    let wall = f(&paced["wall_s"]);
    let total_cpu = f(&paced["cpu_s"]);
    let audio_cpu = f(&paced["process_cpu_s"]);
    let analysis_cpu = f(&paced["analysis_cpu_s"]);
    let analysis_share = 100.0 * analysis_cpu / wall;
    let live = &r["plugin_paced_live_estimates"];
    let live_share = 100.0 * f(&live["analysis_cpu_s"]) / f(&live["wall_s"]);
    s.push_str(
        "## 4. The plugin in a host (release CLAP bundle in the project's host, 48 kHz stereo)\n\n\
         | | `process()` per stereo frame | longest block |\n|---|---|---|\n",
    );
    for b in r["plugin_offline"].as_array().into_iter().flatten() {
        s.push_str(&format!(
            "| offline (analysis inline, as in a bounce), blocks of {} | {:.1} ns | {:.0} us |\n",
            b["block"].as_str().unwrap_or("?"),
            f(&b["result"]["process_ns_per_frame"]),
            f(&b["result"]["max_process_us"])
        ));
    }
    let vst3 = &r["plugin_offline_vst3"];
    if !vst3.is_null() {
        s.push_str(&format!(
            "| VST3 bundle, offline, blocks of 512 | {:.1} ns | {:.0} us |\n",
            f(&vst3["process_ns_per_frame"]),
            f(&vst3["max_process_us"])
        ));
    }
    let unpaced = &r["plugin_realtime_unpaced"];
    let unpaced_ns = f(&unpaced["process_ns_per_frame"]);
    s.push_str(&format!(
        "| real-time mode, host as fast as it goes, blocks of 512 | {unpaced_ns:.1} ns | {:.0} us |\n",
        f(&unpaced["max_process_us"])
    ));
    s.push_str(&format!(
        "| real-time pace, blocks of 512 | {paced_ns:.1} ns | {:.0} us |\n\n",
        f(&paced["max_process_us"])
    ));
    s.push_str(&format!(
        "In real-time mode the audio thread only downmixes into the ring. With the host far \
         faster than real time the ring (4 s) fills and the plugin drops and counts samples \
         instead of waiting: {} of the minute's 16 genre chunks were analysed, and the output \
         stayed bit-exact ({}).\n\n",
        unpaced["chunks"][0], unpaced["bit_exact"]
    ));
    s.push_str(&format!(
        "At real-time pace for {wall:.0} s the whole process used {total_cpu:.2} s of CPU: the \
         audio thread {audio_cpu:.3} s, the analysis thread {analysis_cpu:.2} s \
         ({analysis_share:.2}% of one core: one resampler and frontend shared by both models, \
         two model steps per chunk, and reading the ring in batches of 0.5 s, as it does while \
         no editor is open), the host's own loop the rest. Rendered \
         offline, the same analysis of the same minute takes {offline_cpu:.2} s of CPU for the \
         whole process, bundle and model loading included{vst3_cpu}: the difference is the \
         cost of running in small pieces between sleeps (cold caches, wake-ups).\n\n",
        vst3_cpu = if vst3.is_null() {
            String::new()
        } else {
            format!(" (the VST3 bundle: {:.2} s)", f(&vst3["cpu_s"]))
        },
        offline_cpu = r["plugin_offline"]
            .as_array()
            .and_then(|a| a.iter().find(|b| b["block"] == "512"))
            .map(|b| f(&b["result"]["cpu_s"]))
            .unwrap_or(f64::NAN),
    ));
    s.push_str(&format!(
        "With the editor open the analysis also makes a live estimate about every 0.45 s \
         between chunks (one more model step each; `MCCLSTM_LIVE_ESTIMATES=always` forces \
         them for this run, as no editor opens here): the analysis thread then used {:.2} s \
         of CPU in {:.0} s, {live_share:.2}% of one core ({:.1}x the share without them). \
         The committed chunks are the same ({} genre chunks).\n\n",
        f(&live["analysis_cpu_s"]),
        f(&live["wall_s"]),
        live_share / analysis_share,
        live["chunks"][0],
    ));

    // 5.
    let epoch = &r["epoch_ours"];
    let jax = &r["epoch_jax"];
    s.push_str(
        "## 5. One MCCLSTM training epoch (paper sizes, synthetic GTZAN-sized set, batches of 8, \
         CPU)\n\n| framework | epoch | step median |\n|---|---|---|\n",
    );
    s.push_str(&format!(
        "| burn (flex backend), ours | {:.1} s | {:.0} ms |\n",
        f(&epoch["epoch_s"]),
        f(&epoch["step_median_ms"])
    ));
    if jax.is_object() {
        s.push_str(&format!(
            "| {} | {:.1} s | {:.0} ms |\n\n{}\n\n",
            jax["framework"].as_str().unwrap_or("JAX"),
            f(&jax["epoch_s"]),
            f(&jax["step_median_ms"]),
            ratio(f(&epoch["epoch_s"]), f(&jax["epoch_s"]))
        ));
    } else {
        s.push_str("| JAX | did not run here (see the log) | |\n\n");
    }
    s.push_str(&format!(
        "{} train + {} validation tracks x 8 chunks, {} threads.\n\n",
        epoch["train_tracks"], epoch["validation_tracks"], epoch["threads"]
    ));

    // 6.
    let hour = &r["plugin_hour"];
    s.push_str("## 6. Peak memory\n\n| | peak resident memory |\n|---|---|\n");
    s.push_str(&format!(
        "| `mcclstm analyze`, one clip, both models | {:.1} MB |\n",
        f(&r["analyze_ours_one_clip"]["peak_rss_kb"]) / 1024.0
    ));
    s.push_str(&format!(
        "| `mcclstm analyze`, 100 clips | {:.1} MB |\n",
        f(&ours["peak_rss_kb"]) / 1024.0
    ));
    s.push_str(&format!(
        "| the Python pipeline, 100 clips | {:.1} MB |\n",
        f(&peers["analyze"]["peak_rss_kb"]) / 1024.0
    ));
    s.push_str(&format!(
        "| host with one plugin instance, 60 s at real-time pace | {:.1} MB ({:.1} MB before the \
         bundle was loaded) |\n",
        f(&paced["peak_rss_kb"]) / 1024.0,
        f(&paced["rss_kb_before_load"]) / 1024.0
    ));
    s.push_str(&format!(
        "| the same, after 5 minutes / after 60 minutes of audio | {:.1} / {:.1} MB |\n\n",
        f(&hour["rss_kb_after_5_min"]) / 1024.0,
        f(&hour["rss_kb_end"]) / 1024.0
    ));

    // Budgets.
    let per_chunk = fe * f(&rust["frames_per_chunk"]) / f(&rust["frontend_frames"]) + fast;
    let one_core_speedup = py_wall / ours_wall;
    let one_core_rt = 30.0 / f(&r["analyze_ours_one_clip"]["cpu_s"]);
    let load = f(&rust["load_genre"]["median_ms"]);
    let load_embedded = f(&rust["load_genre_bytes"]["median_ms"]);
    let growth = f(&hour["rss_kb_end"]) - f(&hour["rss_kb_after_5_min"]);
    s.push_str("## DESIGN.md budgets\n\n| budget | measured | |\n|---|---|---|\n");
    s.push_str(&format!(
        "| audio thread under 20 ns per stereo frame | {unpaced_ns:.1} ns (real-time mode), \
         {paced_ns:.1} ns at real-time pace, blocks of 512 | {} / {} |\n",
        met(unpaced_ns < 20.0),
        met(paced_ns < 20.0)
    ));
    s.push_str(&format!(
        "| frontend on a 30 s clip in at most 1/3 of librosa's time | {fe:.2} ms vs \
         {fe_peer:.2} ms ({:.2}x) | {} |\n",
        fe / fe_peer,
        met(fe * 3.0 <= fe_peer)
    ));
    s.push_str(&format!(
        "| one model step at most 0.8x ONNX Runtime's time (Rust, same model) | {fast:.3} ms vs \
         {ort_rust:.3} ms ({:.2}x) | {} |\n",
        fast / ort_rust,
        met(fast <= 0.8 * ort_rust)
    ));
    s.push_str(&format!(
        "| one chunk (frames + model step) under 0.4 ms on one core | {per_chunk:.2} ms | {} |\n",
        met(per_chunk < 0.4)
    ));
    s.push_str(&format!(
        "| live CPU share under 0.1% of a core | {analysis_share:.2}% (editor closed); \
         {live_share:.2}% with live estimates (editor open) | {} |\n",
        met(analysis_share < 0.1 && live_share < 0.1)
    ));
    s.push_str(&format!(
        "| `mcclstm analyze` at least 3x faster than librosa + onnxruntime, one core each | \
         {one_core_speedup:.2}x | {} |\n",
        met(one_core_speedup >= 3.0)
    ));
    s.push_str(&format!(
        "| `mcclstm analyze` of a 30 s WAV at least 1000x real time on one core, decoding \
         included | {one_core_rt:.0}x (whole process: start, model loads, both models; {}) | {} |\n",
        runs_note(&r["analyze_ours_one_clip"]),
        met(one_core_rt >= 1000.0)
    ));
    s.push_str(&format!(
        "| model load under 1 ms (fast runner) | the embedded genre model {load_embedded:.2} ms; \
         the same from its file {load:.2} ms (read included) | {} / {} |\n",
        met(load_embedded < 1.0),
        met(load < 1.0)
    ));
    s.push_str(&format!(
        "| plugin memory flat over an hour of audio | {:+.1} MB between minute 5 and minute 60 | {} |\n",
        growth / 1024.0,
        met(growth.abs() < 1024.0)
    ));
    s.push_str(
        "| training epoch reported beside a reference | section 5 | met |\n\n\
         Run it again with `cargo xtask bench`: about 3.5 minutes on 2 cores once the release \
         binaries and the Python environment exist; the first run builds and installs them \
         first. `cargo xtask bench --report` writes this page again from `BENCHMARKS.json` \
         without measuring.\n",
    );
    s
}
