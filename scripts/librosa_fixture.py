#!/usr/bin/env python3
"""Writes the librosa parity fixture used by engine/tests/librosa_parity.rs.

For each frontend preset of DESIGN.md it synthesises a deterministic two-second signal (a chirp,
a harmonic tone, seeded noise and a quiet passage, so the bands span a wide dynamic range), computes
librosa's log-mel spectrogram of it with the preset's parameters, and writes

    engine/tests/fixtures/librosa/<preset>.json          parameters, shapes, versions
    engine/tests/fixtures/librosa/<preset>-signal.f32    the float32 signal, little-endian
    engine/tests/fixtures/librosa/<preset>-logmel.f32    librosa's log-mel, frames x mels, float32 LE

Run it with the pinned versions (see scripts/requirements-fixture.txt):
    python3 -m venv target/fixture-venv
    target/fixture-venv/bin/pip install -r scripts/requirements-fixture.txt
    target/fixture-venv/bin/python scripts/librosa_fixture.py
"""
import json
import pathlib

import librosa
import numpy as np

PRESETS = {
    "paper": dict(sr=22050, fmax=11025.0),
    "paper-44k": dict(sr=44100, fmax=22050.0),
}
N_FFT, HOP, N_MELS, FMIN = 2048, 1024, 40, 0.0
SECONDS = 2.0
OUT = pathlib.Path(__file__).resolve().parent.parent / "engine" / "tests" / "fixtures" / "librosa"


def signal(sr: int) -> np.ndarray:
    t = np.arange(int(SECONDS * sr)) / sr
    rng = np.random.default_rng(20170101)
    chirp = 0.4 * np.sin(2 * np.pi * (60 * t + 0.5 * (4000 - 60) / SECONDS * t**2))
    tone = sum(0.15 / k * np.sin(2 * np.pi * 220 * k * t + k) for k in range(1, 9))
    noise = 0.02 * rng.standard_normal(t.shape)
    y = chirp + tone + noise
    # A quiet passage (-80 dB) so the parity also covers bands far below full scale.
    quiet = (t > 1.2) & (t < 1.5)
    y[quiet] = 1e-4 * rng.standard_normal(quiet.sum())
    return y.astype(np.float32)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, p in PRESETS.items():
        y = signal(p["sr"])
        mel = librosa.feature.melspectrogram(
            y=y, sr=p["sr"], n_fft=N_FFT, hop_length=HOP, window="blackmanharris",
            center=False, power=2.0, n_mels=N_MELS, fmin=FMIN, fmax=p["fmax"],
            htk=False, norm="slaney",
        )
        logmel = librosa.power_to_db(mel, ref=1.0, amin=1e-10, top_db=None)
        frames = np.ascontiguousarray(logmel.T.astype(np.float32))  # frames x mels
        y.astype("<f4").tofile(OUT / f"{name}-signal.f32")
        frames.astype("<f4").tofile(OUT / f"{name}-logmel.f32")
        meta = dict(
            preset=name, sample_rate=p["sr"], n_fft=N_FFT, hop=HOP, n_mels=N_MELS, fmin=FMIN,
            fmax=p["fmax"], samples=int(y.size), frames=int(frames.shape[0]),
            librosa=librosa.__version__, numpy=np.__version__,
        )
        (OUT / f"{name}.json").write_text(json.dumps(meta, indent=2) + "\n")
        print(f"{name}: {y.size} samples -> {frames.shape[0]} frames, "
              f"range {frames.min():.1f}..{frames.max():.1f} dB")


if __name__ == "__main__":
    main()
