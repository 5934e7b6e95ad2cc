#!/usr/bin/env python3
"""The Python peers of the Rust benchmarks, timed on exactly the inputs the Rust side wrote.

    python scripts/bench_peers.py WORKDIR [--strict]

WORKDIR holds what the Rust side wrote:

    config.json         {"models": {"genre": ..., "mood": ...}, "clips": [...],
                         "runs": {"frontend": 30, "chunk": 300}, "ours_analyze": ...}
    clip30.npy          float32, 30 s at 22050 Hz
    frames_ours.npy     float32 (frames, 40): our log-mel of clip30 (preset `paper`)
    chunk_mel.npy, h0.npy, c0.npy                  one genre-model step's inputs
    probs_ours.npy, h1_ours.npy, c1_ours.npy       our runner's (tract) outputs for that step
    analyze_ours.json   `mcclstm analyze --json` of the clips with both models

Each measurement first checks that the peer computes what we compute (shape and max abs
difference), then times it. Peers: librosa for the frontend, ONNX Runtime for the models, and
librosa + ONNX Runtime for the whole `mcclstm analyze` pipeline. Everything runs on one core
(BLAS and ONNX Runtime limited to one thread). The results go to WORKDIR/python.json; a short
summary goes to stdout. With --strict the exit status is 1 when an output does not match.

Install the pinned peers (scripts/requirements-peers.txt) in a virtual environment:

    python3.11 -m venv target/peers-venv
    target/peers-venv/bin/pip install --no-deps -r scripts/requirements-peers.txt
"""
import os

# One core, like the Rust side: limit the BLAS behind numpy (librosa's mel matrix product) before
# numpy is imported. An explicit setting in the environment wins.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import NoReturn  # noqa: E402

# The `paper` preset (DESIGN.md, "Frontend").
PAPER = {
    "sample_rate": 22050,
    "n_fft": 2048,
    "hop": 1024,
    "n_mels": 40,
    "fmin": 0.0,
    "fmax": 11025.0,
    "chunk_frames": 80,
    "window": "blackman-harris",
}
FRONTEND_TOLERANCE_DB = 1e-3  # DESIGN.md's parity target against librosa
CHUNK_TOLERANCE = 1e-4  # DESIGN.md's export check between runtimes
INPUT_FILES = (
    "config.json",
    "clip30.npy",
    "frames_ours.npy",
    "chunk_mel.npy",
    "h0.npy",
    "c0.npy",
    "probs_ours.npy",
    "h1_ours.npy",
    "c1_ours.npy",
)


class InputError(Exception):
    """An input the Rust side should have written is missing or malformed."""


def fail(message: str) -> NoReturn:
    print(f"bench_peers: error: {message}", file=sys.stderr)
    sys.exit(2)


# --------------------------------------------------------------------------------------------
# Inputs


def load_config(workdir: Path) -> dict:
    missing = [name for name in INPUT_FILES if not (workdir / name).is_file()]
    if missing:
        raise InputError(
            f"missing in {workdir}: {', '.join(missing)} (the Rust side of the benchmark writes "
            "them; run it first)")
    try:
        config = json.loads((workdir / "config.json").read_text())
    except json.JSONDecodeError as e:
        raise InputError(f"{workdir / 'config.json'} is not valid JSON: {e}") from e
    problems = []
    models = config.get("models")
    if not isinstance(models, dict) or "genre" not in models or "mood" not in models:
        problems.append('"models" must be an object with "genre" and "mood" paths')
        models = {}
    clips = config.get("clips")
    if not isinstance(clips, list) or not clips:
        problems.append('"clips" must be a non-empty list of paths')
        clips = []
    runs = config.get("runs", {})
    for key in ("frontend", "chunk"):
        if not isinstance(runs.get(key), int) or runs[key] < 1:
            problems.append(f'"runs.{key}" must be a positive integer')
    if not config.get("ours_analyze"):
        problems.append('"ours_analyze" must name our `mcclstm analyze --json` output')
    if problems:
        raise InputError(f"{workdir / 'config.json'}: " + "; ".join(problems))

    def resolve(p: str) -> Path:
        path = Path(p)
        return path if path.is_absolute() else workdir / path

    config["models"] = {task: resolve(p) for task, p in models.items()}
    config["clips"] = [resolve(p) for p in clips]
    config["ours_analyze"] = resolve(config["ours_analyze"])
    absent = [str(p) for p in [*config["models"].values(), *config["clips"],
                               config["ours_analyze"]] if not p.is_file()]
    if absent:
        raise InputError("named in config.json but missing: " + ", ".join(absent))
    return config


def load_npy(workdir: Path, name: str, ndim: int):
    import numpy as np

    try:
        array = np.load(workdir / name, allow_pickle=False)
    except Exception as e:  # noqa: BLE001 - any unreadable file is the same input error
        raise InputError(f"{workdir / name}: cannot read: {e}") from e
    if array.ndim != ndim:
        raise InputError(f"{workdir / name}: expected {ndim} dimensions, got shape {array.shape}")
    return np.ascontiguousarray(array, dtype=np.float32)


# --------------------------------------------------------------------------------------------
# The peers


def logmel(y, fe: dict):
    """librosa's log-mel with a preset's parameters, as (frames, mels) float32."""
    import librosa

    if fe.get("window", "blackman-harris") not in ("blackman-harris", "blackmanharris"):
        raise InputError(f"unsupported frontend window {fe['window']!r}")
    mel = librosa.feature.melspectrogram(
        y=y, sr=fe["sample_rate"], n_fft=fe["n_fft"], hop_length=fe["hop"],
        window="blackmanharris", center=False, power=2.0, n_mels=fe["n_mels"],
        fmin=fe["fmin"], fmax=fe["fmax"], htk=False, norm="slaney")
    return librosa.power_to_db(mel, ref=1.0, amin=1e-10, top_db=None).T


class OrtModel:
    """One ONNX model in an ONNX Runtime session on one thread, with the contract's facts."""

    def __init__(self, path: Path):
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.path = path
        self.session = ort.InferenceSession(
            str(path), sess_options=options, providers=["CPUExecutionProvider"])
        meta = self.session.get_modelmeta().custom_metadata_map
        inputs = {i.name: i for i in self.session.get_inputs()}
        outputs = [o.name for o in self.session.get_outputs()]
        if "mel" not in inputs or "probs" not in outputs:
            raise InputError(f"{path}: no `mel` input or `probs` output (inputs {list(inputs)}, "
                             f"outputs {outputs})")
        self.stateful = "h0" in inputs
        if self.stateful:
            if "c0" not in inputs:
                raise InputError(f"{path}: has `h0` but no `c0` input")
            for name in ("h1", "c1"):
                if name not in outputs:
                    raise InputError(f"{path}: stateful but no `{name}` output")
            hidden = inputs["h0"].shape[-1]
            if not isinstance(hidden, int):
                raise InputError(f"{path}: h0's last dimension is not fixed ({inputs['h0'].shape})")
            self.hidden = hidden
            self.output_names = ["probs", "h1", "c1"]
        else:
            self.hidden = 0
            self.output_names = ["probs"]
        try:
            self.labels = json.loads(meta["mcclstm.labels"])
        except (KeyError, json.JSONDecodeError) as e:
            raise InputError(f"{path}: metadata `mcclstm.labels` missing or not JSON") from e
        self.task = meta.get("mcclstm.task", "")
        self.architecture = meta.get("mcclstm.architecture", "")
        self.frontend = dict(PAPER)
        if "mcclstm.frontend" in meta:
            stored = json.loads(meta["mcclstm.frontend"])
            self.frontend.update({k: stored[k] for k in PAPER if k in stored})

    def analyze(self, frames):
        """Steps every complete chunk of `frames` (frames, mels); returns the track's summary."""
        import numpy as np

        n = self.frontend["chunk_frames"]
        count = frames.shape[0] // n
        if count == 0:
            return None
        if self.stateful:
            h = np.zeros((1, 1, self.hidden), dtype=np.float32)
            c = np.zeros((1, 1, self.hidden), dtype=np.float32)
        else:
            total = None
        probs = None
        for k in range(count):
            mel = np.ascontiguousarray(frames[k * n:(k + 1) * n].T)[None, None]
            if self.stateful:
                probs, h, c = self.session.run(self.output_names, {"mel": mel, "h0": h, "c0": c})
            else:
                (probs,) = self.session.run(self.output_names, {"mel": mel})
                total = probs.astype(np.float64) if total is None else total + probs
        summary = probs[0] if self.stateful else (total[0] / count).astype(np.float32)
        return summary


def timed(fn, runs: int) -> dict:
    fn()  # warm-up: imports, caches, first-call allocations
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return {
        "median_ms": statistics.median(times),
        "min_ms": min(times),
        "max_ms": max(times),
        "runs": runs,
    }


def max_abs_diff(a, b):
    import numpy as np

    if a.shape != b.shape:
        return None
    return float(np.max(np.abs(a.astype(np.float64) - b.astype(np.float64)))) if a.size else 0.0


# --------------------------------------------------------------------------------------------
# Measurements


def bench_frontend(workdir: Path, runs: int) -> dict:
    import numpy as np

    y = load_npy(workdir, "clip30.npy", 1)
    ours = load_npy(workdir, "frames_ours.npy", 2)
    theirs = logmel(y, PAPER)
    diff = max_abs_diff(theirs, ours)
    n_fft, hop = PAPER["n_fft"], PAPER["hop"]
    frames_expected = 1 + (len(y) - n_fft) // hop if len(y) >= n_fft else 0
    result = {
        "samples": int(len(y)),
        "sample_rate": PAPER["sample_rate"],
        "shape_ours": list(ours.shape),
        "shape_python": list(theirs.shape),
        "frames_expected": frames_expected,
        "max_abs_diff_db": diff,
        "tolerance_db": FRONTEND_TOLERANCE_DB,
        "match": diff is not None and diff <= FRONTEND_TOLERANCE_DB,
    }
    if diff is not None and diff > 0:
        at = np.unravel_index(np.argmax(np.abs(theirs - ours)), ours.shape)
        result["worst_at"] = {"frame": int(at[0]), "band": int(at[1]),
                              "ours_db": float(ours[at]), "python_db": float(theirs[at])}
    result.update(timed(lambda: logmel(y, PAPER), runs))
    return result


def bench_chunk(workdir: Path, model_path: Path, runs: int) -> dict:
    mel = load_npy(workdir, "chunk_mel.npy", 4)
    h0 = load_npy(workdir, "h0.npy", 3)
    c0 = load_npy(workdir, "c0.npy", 3)
    probs_ours = load_npy(workdir, "probs_ours.npy", 2)
    h1_ours = load_npy(workdir, "h1_ours.npy", 3)
    c1_ours = load_npy(workdir, "c1_ours.npy", 3)
    t0 = time.perf_counter()
    model = OrtModel(model_path)
    load_ms = (time.perf_counter() - t0) * 1e3
    if not model.stateful:
        raise InputError(f"{model_path}: the chunk benchmark needs a stateful model (h0/c0)")
    feeds = {"mel": mel, "h0": h0, "c0": c0}
    probs, h1, c1 = model.session.run(model.output_names, feeds)
    diffs = {
        "probs": max_abs_diff(probs, probs_ours),
        "h1": max_abs_diff(h1, h1_ours),
        "c1": max_abs_diff(c1, c1_ours),
    }
    worst = None if any(d is None for d in diffs.values()) else max(diffs.values())
    result = {
        "model": str(model_path),
        "hidden": model.hidden,
        "classes": int(probs.shape[-1]),
        "session_load_ms": load_ms,
        "max_abs_diff": worst,
        "max_abs_diff_each": diffs,
        "shapes_ours": {"probs": list(probs_ours.shape), "h1": list(h1_ours.shape),
                        "c1": list(c1_ours.shape)},
        "tolerance": CHUNK_TOLERANCE,
        "match": worst is not None and worst <= CHUNK_TOLERANCE,
        "threads": {"intra_op": 1, "inter_op": 1},
        "graph_optimization": "ORT_ENABLE_ALL",
    }
    result.update(timed(lambda: model.session.run(model.output_names, feeds), runs))
    return result


def analyze_file(path: Path, models: list) -> dict:
    """`mcclstm analyze` of one file with librosa + ONNX Runtime: {model index: summary}."""
    import librosa

    rates = sorted({m.frontend["sample_rate"] for m in models})
    if len(rates) == 1:
        signals = {rates[0]: librosa.load(str(path), sr=rates[0], mono=True)[0]}
    else:  # decode once, resample once per distinct model rate (as the Rust side does)
        y, native = librosa.load(str(path), sr=None, mono=True)
        signals = {r: librosa.resample(y, orig_sr=native, target_sr=r, res_type="soxr_hq")
                   for r in rates}
    frames = {}
    summaries = {}
    for i, m in enumerate(models):
        key = tuple(sorted(m.frontend.items()))
        if key not in frames:
            frames[key] = logmel(signals[m.frontend["sample_rate"]], m.frontend)
        summaries[i] = m.analyze(frames[key])
    seconds = len(signals[rates[0]]) / rates[0]
    return {"summaries": summaries, "seconds": seconds}


def load_ours(path: Path) -> dict:
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise InputError(f"{path} is not valid JSON: {e}") from e
    if not isinstance(data, list):
        raise InputError(f"{path}: expected a JSON array (one object per file)")
    by_file = {}
    for entry in data:
        if isinstance(entry, dict) and "file" in entry:
            by_file[os.path.realpath(entry["file"])] = entry
            by_file.setdefault(os.path.basename(entry["file"]), entry)
    return by_file


def bench_analyze(config: dict) -> dict:
    import numpy as np
    import soundfile

    t0 = time.perf_counter()
    tasks = list(config["models"])
    models = [OrtModel(config["models"][task]) for task in tasks]
    load_s = time.perf_counter() - t0
    clips = config["clips"]

    # Warm-up pass on the first clip (imports, lazy modules, first-call allocations); untimed.
    t0 = time.perf_counter()
    analyze_file(clips[0], models)
    warmup_s = time.perf_counter() - t0

    results = []
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for clip in clips:
        results.append(analyze_file(clip, models))
    wall_s = time.perf_counter() - wall0
    cpu_s = time.process_time() - cpu0
    peak_rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    audio_seconds = 0.0
    for clip, r in zip(clips, results, strict=True):
        try:
            audio_seconds += soundfile.info(str(clip)).duration
        except RuntimeError:
            audio_seconds += r["seconds"]

    ours = load_ours(config["ours_analyze"])
    per_task = {}
    files_out = []
    for clip, r in zip(clips, results, strict=True):
        entry = ours.get(os.path.realpath(clip)) or ours.get(os.path.basename(clip))
        file_out = {"file": str(clip), "models": {}}
        if entry is None:
            file_out["ours"] = "missing from analyze_ours.json"
        elif entry.get("error"):
            file_out["ours"] = f"error: {entry['error']}"
        for i, (task, m) in enumerate(zip(tasks, models, strict=True)):
            summary = r["summaries"][i]
            top = m.labels[int(np.argmax(summary))] if summary is not None else None
            stats = per_task.setdefault(task, {"agree": 0, "compared": 0, "summary_diff": 0.0})
            ours_model = None
            if entry is not None and not entry.get("error"):
                # Our result for this model: same file path, else same task; labels must agree.
                candidates = [om for om in entry.get("models", [])
                              if om.get("labels", m.labels) == m.labels]
                ours_model = next(
                    (om for om in candidates
                     if os.path.realpath(om.get("model", "")) == os.path.realpath(m.path)),
                    next((om for om in candidates if om.get("task") == (m.task or task)), None))
            model_out = {"top": top}
            if ours_model is not None and summary is not None:
                stats["compared"] += 1
                stats["agree"] += int(ours_model.get("top") == top)
                model_out["top_ours"] = ours_model.get("top")
                ours_summary = np.asarray(ours_model.get("summary", []), dtype=np.float64)
                if ours_summary.shape == summary.shape:
                    d = float(np.max(np.abs(ours_summary - summary)))
                    model_out["summary_max_abs_diff"] = d
                    stats["summary_diff"] = max(stats["summary_diff"], d)
            file_out["models"][task] = model_out
        files_out.append(file_out)

    return {
        "files": len(clips),
        "audio_seconds": audio_seconds,
        "wall_s": wall_s,
        "cpu_s": cpu_s,
        "times_real_time": audio_seconds / wall_s if wall_s > 0 else None,
        "top_agreement": {t: (s["agree"] / s["compared"] if s["compared"] else None)
                          for t, s in per_task.items()},
        "compared_files": {t: s["compared"] for t, s in per_task.items()},
        "summary_max_abs_diff": {t: s["summary_diff"] if s["compared"] else None
                                 for t, s in per_task.items()},
        "models": {t: {"path": str(m.path), "architecture": m.architecture,
                       "stateful": m.stateful, "sample_rate": m.frontend["sample_rate"]}
                   for t, m in zip(tasks, models, strict=True)},
        "session_load_s": load_s,
        "warmup_s": warmup_s,
        "peak_rss_kb": peak_rss_kb,
        "per_file": files_out,
    }


def versions() -> dict:
    import librosa
    import numpy
    import onnxruntime
    import scipy
    import soundfile
    import soxr

    out = {
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "librosa": librosa.__version__,
        "onnxruntime": onnxruntime.__version__,
        "soxr": soxr.__version__,
        "soundfile": soundfile.__version__,
    }
    try:
        import threadpoolctl

        out["blas"] = [{k: info.get(k) for k in ("internal_api", "version", "num_threads",
                                                  "architecture")}
                       for info in threadpoolctl.threadpool_info()
                       if info.get("user_api") == "blas"]
    except ImportError:
        pass
    return out


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


# --------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("workdir", type=Path, help="the folder the Rust side of the bench wrote")
    parser.add_argument("--strict", action="store_true",
                        help="exit 1 when an output does not match ours")
    args = parser.parse_args()
    workdir = args.workdir.resolve()
    if not workdir.is_dir():
        fail(f"{workdir} is not a folder")
    try:
        import librosa  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError as e:
        fail(f"{e}; install the peers: pip install --no-deps -r scripts/requirements-peers.txt")

    try:
        config = load_config(workdir)
        out = {"workdir": str(workdir), "cpu": cpu_model(), "versions": versions(),
               "env": {k: os.environ.get(k) for k in (
                   "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                   "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}}
        out["frontend"] = bench_frontend(workdir, config["runs"]["frontend"])
        out["chunk_onnxruntime_python"] = bench_chunk(
            workdir, config["models"]["genre"], config["runs"]["chunk"])
        out["analyze"] = bench_analyze(config)
    except InputError as e:
        fail(str(e))
    (workdir / "python.json").write_text(json.dumps(out, indent=2) + "\n")

    fe, ch, an = out["frontend"], out["chunk_onnxruntime_python"], out["analyze"]
    v = out["versions"]
    fmt = lambda x, f: "n/a" if x is None else format(x, f)  # noqa: E731
    print(f"python peers on {out['cpu']} (python {v['python']}, librosa {v['librosa']}, "
          f"onnxruntime {v['onnxruntime']}, numpy {v['numpy']})")
    print(f"  frontend  librosa log-mel of {fe['samples'] / fe['sample_rate']:.1f} s: median "
          f"{fe['median_ms']:.2f} ms (min {fe['min_ms']:.2f}, max {fe['max_ms']:.2f}, "
          f"{fe['runs']} runs); shape {fe['shape_python']} vs ours {fe['shape_ours']}, max diff "
          f"{fmt(fe['max_abs_diff_db'], '.2e')} dB {'ok' if fe['match'] else 'MISMATCH'}")
    print(f"  chunk     onnxruntime step (1 thread): median {ch['median_ms'] * 1e3:.1f} us "
          f"(min {ch['min_ms'] * 1e3:.1f}, max {ch['max_ms'] * 1e3:.1f}, {ch['runs']} runs); "
          f"max diff {fmt(ch['max_abs_diff'], '.2e')} {'ok' if ch['match'] else 'MISMATCH'}")
    agreement = ", ".join(f"{t} {fmt(a, '.0%')}" for t, a in an["top_agreement"].items())
    print(f"  analyze   {an['files']} files, {an['audio_seconds']:.1f} s of audio in "
          f"{an['wall_s']:.3f} s (cpu {an['cpu_s']:.3f} s): {fmt(an['times_real_time'], '.1f')}x "
          f"real time; top agreement {agreement}; peak RSS {an['peak_rss_kb'] / 1024:.0f} MiB")
    print(f"  wrote {workdir / 'python.json'}")
    mismatch = not fe["match"] or not ch["match"]
    if mismatch:
        print("bench_peers: WARNING: an output does not match ours (see python.json)",
              file=sys.stderr)
    return 1 if (mismatch and args.strict) else 0


if __name__ == "__main__":
    sys.exit(main())
