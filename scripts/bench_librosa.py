#!/usr/bin/env python3
"""Times librosa's log-mel of a 30 s clip with the `paper` preset's parameters: the peer of
`cargo bench -p mcclstm-engine --bench engine -- frontend/30s_clip/paper` (same signal recipe:
a sine plus LCG noise). Prints the median of repeated runs in milliseconds.

    target/fixture-venv/bin/python scripts/bench_librosa.py
"""
import statistics
import time

import librosa
import numpy as np

SR = 22050


def clip(seconds: float = 30.0) -> np.ndarray:
    n = int(SR * seconds)
    state = np.uint32(1)
    noise = np.empty(n, dtype=np.float32)
    for i in range(n):  # the same LCG as the Rust bench
        state = np.uint32((int(state) * 1664525 + 1013904223) & 0xFFFFFFFF)
        noise[i] = (int(state) >> 8) / float(1 << 24) - 0.5
    i = np.arange(n, dtype=np.float32)
    return (0.3 * np.sin(i * np.float32(0.0627)) + 0.05 * noise).astype(np.float32)


def logmel(y: np.ndarray) -> np.ndarray:
    mel = librosa.feature.melspectrogram(
        y=y, sr=SR, n_fft=2048, hop_length=1024, window="blackmanharris", center=False,
        power=2.0, n_mels=40, fmin=0.0, fmax=SR / 2, htk=False, norm="slaney")
    return librosa.power_to_db(mel, ref=1.0, amin=1e-10, top_db=None)


def main() -> None:
    y = clip()
    logmel(y)  # warm-up (filterbank cache, imports)
    times = []
    for _ in range(30):
        t0 = time.perf_counter()
        logmel(y)
        times.append(time.perf_counter() - t0)
    print(f"librosa {librosa.__version__} log-mel of 30 s at 22050 Hz: median "
          f"{statistics.median(times) * 1e3:.2f} ms (min {min(times) * 1e3:.2f}, "
          f"max {max(times) * 1e3:.2f}) over {len(times)} runs")


if __name__ == "__main__":
    main()
