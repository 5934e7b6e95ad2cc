#!/usr/bin/env python3
"""Tags every track of the real-music corpus with musicnn's MTT_musicnn and MSD_musicnn, chunk by
chunk on our model's chunk grid. Run by `cargo xtask teacher [--corpus DIR]` in the pinned venv
(scripts/requirements-teacher.txt, then musicnn==0.1.0 with --no-deps); see corpus/README.md.

Both graphs are built and restored once (musicnn's `extractor` rebuilds its graph on every call).
Both models take the same input (16 kHz mono, log10(10000 * mel + 1) of a 96-band mel
spectrogram, n_fft 512, hop 256, 187 frames = 3 s), so the spectrogram is computed once per track
and fed to both.

Chunk grid: our model's chunk k covers samples [k*80*1024, k*80*1024 + 79*1024 + 2048) at
22050 Hz (start k * 3.7152 s, length 3.7617 s); for each full chunk the teacher hears the 3 s
patch (187 frames) centred in that chunk.

Resumable: each track's probabilities go to DIR/teacher-cache/SHA256.npy (float32, chunks x 100)
as soon as it is done; a rerun skips those tracks and rewrites the committed tables from the
cache (every 20 tracks and at the end). A track the committed tables already hold is not tagged
again (`--retag` does) and keeps its lines, so a run on a machine without the cache, or a killed
one, never drops a track from the tables.
"""

import argparse
import csv
import gzip
import io
import json
import os
import sys
import time

import numpy as np

SR_MODEL = 22050
CHUNK_HOP = 80 * 1024
CHUNK_LEN = 79 * 1024 + 2048
SR = 16000
FFT_HOP = 256
FFT_SIZE = 512
N_MELS = 96
N_FRAMES = 187
MODELS = ["MTT_musicnn", "MSD_musicnn"]
BATCH = 64


def log(msg):
    print(f"teacher: {msg}", file=sys.stderr, flush=True)


def load_models():
    import tensorflow as tf

    tf.compat.v1.disable_eager_execution()
    from musicnn import configuration as config
    from musicnn import models

    here = os.path.dirname(models.__file__)
    loaded = []
    for name in MODELS:
        labels = config.MTT_LABELS if name.startswith("MTT") else config.MSD_LABELS
        graph = tf.Graph()
        with graph.as_default():
            # The same scopes as musicnn's extractor, so the checkpoint's variable names match.
            with tf.name_scope("model"):
                x = tf.compat.v1.placeholder(tf.float32, [None, N_FRAMES, N_MELS])
                is_training = tf.compat.v1.placeholder(tf.bool)
                y = models.define_model(x, is_training, name, len(labels))[0]
                prob = tf.nn.sigmoid(y)
            session = tf.compat.v1.Session(graph=graph)
            tf.compat.v1.train.Saver().restore(session, os.path.join(here, name) + "/")
        loaded.append((name, labels, session, x, is_training, prob))
    return loaded


def spectrogram(path):
    """musicnn's input representation of the whole track, and its length in seconds."""
    import librosa

    audio, _ = librosa.load(path, sr=SR)
    rep = librosa.feature.melspectrogram(
        y=audio, sr=SR, hop_length=FFT_HOP, n_fft=FFT_SIZE, n_mels=N_MELS
    ).T
    rep = rep.astype(np.float16)
    rep = np.log10(10000 * rep + 1)
    return rep, len(audio) / SR


def chunk_patches(rep, seconds):
    """The 187-frame patch centred in each full chunk of our model's grid."""
    n22 = int(round(seconds * SR_MODEL))
    if n22 < CHUNK_LEN:
        return np.zeros((0, N_FRAMES, N_MELS), np.float32)
    count = (n22 - CHUNK_LEN) // CHUNK_HOP + 1
    patches = []
    for k in range(count):
        centre = (k * CHUNK_HOP + CHUNK_LEN / 2) / SR_MODEL
        start = int(round(centre * SR / FFT_HOP - N_FRAMES / 2))
        start = max(0, min(start, rep.shape[0] - N_FRAMES))
        patches.append(rep[start : start + N_FRAMES])
    return np.stack(patches).astype(np.float32)


def run_models(loaded, patches):
    outs = []
    for _, _, session, x, is_training, prob in loaded:
        parts = [
            session.run(prob, feed_dict={x: patches[i : i + BATCH], is_training: False})
            for i in range(0, len(patches), BATCH)
        ]
        outs.append(np.concatenate(parts, axis=0))
    return np.concatenate(outs, axis=1).astype(np.float32)


def q8(p):
    return np.clip(np.round(np.asarray(p) * 255.0), 0, 255).astype(np.uint8)


def committed_rows(out, tag_names):
    """The lines of the committed tables in OUT, by sha256: {sha: (track line, [chunk lines])}.
    Empty when there are none, or when they were written for other tags."""
    track_path = os.path.join(out, "track_tags.csv")
    chunk_path = os.path.join(out, "chunk_tags.csv.gz")
    if not (os.path.exists(track_path) and os.path.exists(chunk_path)):
        return {}
    with open(track_path) as f:
        lines = f.read().splitlines()
    if not lines or lines[0] != ",".join(["sha256", "chunks"] + tag_names):
        return {}
    rows = {line.split(",", 1)[0]: (line, []) for line in lines[1:] if line}
    with gzip.open(chunk_path, "rt") as f:
        next(f, None)
        for line in f:
            sha = line.split(",", 1)[0]
            if sha in rows:
                rows[sha][1].append(line.rstrip("\n"))
    return rows


def write_tables(rows, cache, out, tag_names, committed):
    """The committed tables for the corpus's tracks that are done: from the cache, or, for a track
    the cache lacks, its lines in the tables as they were (`committed`), so a run that is killed,
    or starts without the cache, never drops a track the tables had."""
    os.makedirs(out, exist_ok=True)
    done = []
    seen = set()
    for row in rows:
        sha = row["sha256"]
        path = os.path.join(cache, sha + ".npy")
        if sha in seen:
            continue
        if os.path.exists(path):
            done.append((sha, np.load(path)))
        elif sha in committed:
            done.append((sha, committed[sha]))
        else:
            continue
        seen.add(sha)
    done.sort(key=lambda d: d[0])

    track_csv = io.StringIO()
    w = csv.writer(track_csv, lineterminator="\n")
    w.writerow(["sha256", "chunks"] + tag_names)
    for sha, probs in done:
        if isinstance(probs, tuple):
            track_csv.write(probs[0] + "\n")
        else:
            w.writerow([sha, len(probs)] + [int(v) for v in q8(probs.mean(axis=0))])
    tmp = os.path.join(out, "track_tags.csv.tmp")
    with open(tmp, "w") as f:
        f.write(track_csv.getvalue())
    os.replace(tmp, os.path.join(out, "track_tags.csv"))

    tmp = os.path.join(out, "chunk_tags.csv.gz.tmp")
    with open(tmp, "wb") as raw:
        # mtime 0: the same probabilities give the same bytes.
        with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as gz:
            gz.write(b"sha256,chunk,probs\n")
            for sha, probs in done:
                if isinstance(probs, tuple):
                    for line in probs[1]:
                        gz.write(f"{line}\n".encode())
                else:
                    for k, p in enumerate(q8(probs)):
                        gz.write(f"{sha},{k},{p.tobytes().hex()}\n".encode())
    os.replace(tmp, os.path.join(out, "chunk_tags.csv.gz"))
    return len(done)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default="target/corpus", help="the corpus folder (tracks.csv)")
    ap.add_argument(
        "--audio",
        help="where the tracks' `file` paths start, and the cache goes (default: --corpus)",
    )
    ap.add_argument("--out", default="corpus/teacher", help="where the committed tables go")
    ap.add_argument("--limit", type=int, default=0, help="stop after this many new tracks")
    ap.add_argument(
        "--retag",
        action="store_true",
        help="tag again the tracks the committed tables hold (the cache still counts)",
    )
    ap.add_argument(
        "--selfcheck",
        help="compare with musicnn's extractor on this audio file (first 3 s patches) and exit",
    )
    args = ap.parse_args()

    loaded = load_models()
    tag_names = [f"{name.split('_')[0]}:{t}" for name, labels, *_ in loaded for t in labels]

    if args.selfcheck:
        from musicnn.extractor import batch_data

        batch, _ = batch_data(args.selfcheck, N_FRAMES, N_FRAMES)
        mine = run_models(loaded, batch.astype(np.float32))
        from musicnn.extractor import extractor

        for i, name in enumerate(MODELS):
            theirs, _ = extractor(args.selfcheck, model=name, input_length=3, extract_features=False)
            diff = np.abs(theirs - mine[:, i * 50 : (i + 1) * 50]).max()
            print(f"{name}: max |extractor - teacher.py| = {diff:.2e} over {len(theirs)} patches")
        return

    with open(os.path.join(args.corpus, "tracks.csv")) as f:
        rows = list(csv.DictReader(f))
    audio = args.audio or args.corpus
    cache = os.path.join(audio, "teacher-cache")
    os.makedirs(cache, exist_ok=True)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "tags.json"), "w") as f:
        json.dump(
            {
                "teacher": "musicnn 0.1.0 (Pons & Serra; ISC licence), models " + ", ".join(MODELS),
                "tags": tag_names,
                "quantisation": "u8 = round(probability * 255)",
                "chunk": {
                    "sample_rate": SR_MODEL,
                    "hop_samples": CHUNK_HOP,
                    "length_samples": CHUNK_LEN,
                    "teacher_patch": "the 3 s (187 frames of 16 kHz, hop 256) centred in the chunk",
                },
            },
            f,
            indent=1,
        )
        f.write("\n")

    # Round robin over packages, so a partial run covers every package.
    by_package = {}
    for row in rows:
        by_package.setdefault(row["package"], []).append(row)
    order = []
    queues = [list(v) for v in by_package.values()]
    while any(queues):
        for q in queues:
            if q:
                order.append(q.pop(0))
    # The committed tables are the teacher's record: a track they hold is not tagged again
    # (unless --retag), so a machine without the cache does not redo hours of work.
    committed = {} if args.retag else committed_rows(args.out, tag_names)
    todo = [
        r
        for r in order
        if r["sha256"] not in committed
        and not os.path.exists(os.path.join(cache, r["sha256"] + ".npy"))
    ]
    log(f"{len(rows)} tracks, {len(rows) - len(todo)} already tagged, {len(todo)} to go")

    audio_s, busy_s, new = 0.0, 0.0, 0
    started = time.time()
    for i, row in enumerate(todo):
        if args.limit and new >= args.limit:
            break
        t0 = time.time()
        path = os.path.join(audio, row["file"])
        try:
            rep, seconds = spectrogram(path)
        except Exception as e:  # noqa: BLE001 (reported; the run goes on)
            log(f"{row['file']}: cannot read ({e}); skipped")
            continue
        t1 = time.time()
        probs = run_models(loaded, chunk_patches(rep, seconds))
        t2 = time.time()
        tmp = os.path.join(cache, row["sha256"] + ".tmp.npy")
        np.save(tmp, probs)
        os.replace(tmp, os.path.join(cache, row["sha256"] + ".npy"))
        new += 1
        audio_s += seconds
        busy_s += t2 - t0
        log(
            f"[{i + 1}/{len(todo)}] {row['package']} {os.path.basename(row['path'])}: "
            f"{seconds:.0f} s, {len(probs)} chunks, spectrogram {t1 - t0:.1f} s, models "
            f"{t2 - t1:.1f} s ({seconds / (t2 - t0):.0f}x real time; run so far "
            f"{audio_s / busy_s:.0f}x)"
        )
        if new % 20 == 0:
            write_tables(rows, cache, args.out, tag_names, committed)
    n = write_tables(rows, cache, args.out, tag_names, committed)
    elapsed = time.time() - started
    log(
        f"done: {n} of {len(rows)} tracks tagged in the tables; this run {new} tracks, "
        f"{audio_s / 60:.0f} min of audio in {elapsed / 60:.1f} min"
        + (f" ({audio_s / elapsed:.0f}x real time)" if elapsed > 0 else "")
    )


if __name__ == "__main__":
    main()
