#!/usr/bin/env python3
"""Would an f32 frontend keep librosa parity (1e-3 dB on every band)? A measurement, not a test.

    target/bench-venv/bin/python scripts/f32_frontend_parity.py

(`cargo xtask bench` makes that environment from scripts/requirements-peers.txt.)

Computes the `paper` preset's log-mel (2048-sample periodic Blackman-Harris frames, hop 1024,
power spectrum, 40 Slaney mels, 10 * log10(max(x, 1e-10))) of four 30 s signals twice: the power
spectrum in float64, as our frontend does, and in float32 (numpy's pocketfft computes a float32
FFT in float32, as rustfft would). It prints the largest difference in dB per signal and the
quietest band, because an f32 FFT's rounding error is relative to the loudest bin of the frame:
bands far below it are where the precision goes. DESIGN.md, section 7, records the result.
"""
import numpy as np
import librosa
import scipy.signal as ss

SR, N_FFT, HOP, N_MELS = 22050, 2048, 1024, 40
TOLERANCE_DB = 1e-3


def pink(rng, n):
    x = np.fft.rfft(rng.standard_normal(n))
    f = np.arange(len(x), dtype=np.float64)
    f[0] = 1.0
    y = np.fft.irfft(x / np.sqrt(f), n)
    return y / np.std(y)


def signals():
    rng = np.random.default_rng(1)
    t = np.arange(SR * 30) / SR
    return {
        "two tones + pink noise": 0.3 * np.sin(2 * np.pi * 220 * t)
        + 0.2 * np.sin(2 * np.pi * 331 * t)
        + 0.05 * pink(rng, len(t)),
        "bass sine + noise at -90 dB": 0.5 * np.sin(2 * np.pi * 55 * t)
        + 3e-5 * rng.standard_normal(len(t)),
        "noise low-passed at 4 kHz": ss.sosfilt(
            ss.butter(10, 4000, fs=SR, output="sos"), 0.1 * rng.standard_normal(len(t))
        ),
        "quiet decaying tone, 16-bit": np.round(
            0.01 * np.sin(2 * np.pi * 261.6 * t) * np.exp(-(t % 2)) * 32767
        )
        / 32767,
    }


def main() -> int:
    window = ss.get_window("blackmanharris", N_FFT, fftbins=True)
    mel = librosa.filters.mel(
        sr=SR, n_fft=N_FFT, n_mels=N_MELS, fmin=0.0, fmax=SR / 2, htk=False, norm="slaney"
    )
    worst = 0.0
    for name, y in signals().items():
        y = y.astype(np.float32)
        frames = librosa.util.frame(y, frame_length=N_FFT, hop_length=HOP).T
        p64 = np.abs(np.fft.rfft(frames.astype(np.float64) * window, axis=1)) ** 2
        x32 = np.fft.rfft((frames * window.astype(np.float32)).astype(np.float32), axis=1)
        assert x32.dtype == np.complex64, "numpy computed the float32 FFT in float64"
        p32 = (np.abs(x32) ** 2).astype(np.float32)
        db64 = 10 * np.log10(np.maximum(p64 @ mel.T, 1e-10))
        db32 = 10 * np.log10(np.maximum(p32.astype(np.float64) @ mel.T, 1e-10))
        diff = float(np.abs(db32 - db64).max())
        worst = max(worst, diff)
        quietest = float((db64 - db64.max(axis=1, keepdims=True)).min())
        print(f"{name:30s} quietest band {quietest:7.1f} dB below the frame's loudest; "
              f"f32 vs f64: {diff:.2e} dB")
    verdict = "keeps" if worst <= TOLERANCE_DB else "breaks"
    print(f"worst {worst:.2e} dB: an f32 spectrum {verdict} the {TOLERANCE_DB:g} dB parity")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
