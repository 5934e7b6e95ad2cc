"""A tiny labelled data set for trying the trainer: 8-second click tracks at 70 BPM ("slow") and
150 BPM ("fast"), with a random click pitch per track, in the `generic` layout (a folder per
label), plus one file that is not audio (to show how unusable files are listed).

Run: python3 scripts/make_click_dataset.py DIR   (needs numpy)
"""

import os
import sys
import wave

import numpy as np

RATE = 22050


def main(root):
    rng = np.random.default_rng(0)
    for label, bpm in [("slow", 70), ("fast", 150)]:
        os.makedirs(os.path.join(root, label), exist_ok=True)
        for i in range(12):
            n = 8 * RATE
            period = 60 / bpm * RATE
            since = (np.arange(n) + rng.uniform(0, period)) % period
            pitch = rng.uniform(400, 3000)
            x = 0.4 * np.exp(-since / (RATE * 0.03)) * np.sin(2 * np.pi * pitch * since / RATE)
            x += 0.01 * rng.uniform(-0.5, 0.5, n)
            with wave.open(os.path.join(root, label, f"{i}.wav"), "wb") as w:
                w.setnchannels(1)
                w.setsampwidth(2)
                w.setframerate(RATE)
                w.writeframes((x * 32767).astype(np.int16).tobytes())
    with open(os.path.join(root, "fast", "broken.wav"), "w") as f:
        f.write("not audio")


if __name__ == "__main__":
    main(sys.argv[1])
