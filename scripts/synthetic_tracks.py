#!/usr/bin/env python3
"""The synthetic renders the teacher tags for the style model: a track table, in the corpus's
format (corpus/README.md), of the genre and mood training sets that `cargo xtask models` makes
(`mcclstm dataset make`, seeded, so the same renders on every machine), keyed by each render's
sha256, so its teacher tags (corpus/synthetic/teacher/) are found by content.

  --write   writes TABLE from the sets' own tracks.csv (run by `cargo xtask teacher --synthetic`)
  --check   fails, naming the file, when a render is missing or its sha256 is not the table's
            (run by `cargo xtask models style` before it uses the tags)
"""

import argparse
import csv
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from corpus_build import sha256_file as sha256  # noqa: E402 (the corpus's own hashing)

FIELDS = ["package", "version", "path", "duration_s", "licence", "genre", "kind", "sha256", "file"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default="target/models", help="the folder holding SET/train/")
    ap.add_argument("--table", default="corpus/synthetic/tracks.csv")
    ap.add_argument("--sets", default="genre,mood")
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true")
    mode.add_argument("--check", action="store_true")
    args = ap.parse_args()

    if args.check:
        with open(args.table) as f:
            rows = list(csv.DictReader(f))
        for row in rows:
            path = os.path.join(args.root, row["file"])
            if not os.path.isfile(path):
                sys.exit(f"{path}: missing (make the set with `cargo xtask models`)")
            if sha256(path) != row["sha256"]:
                sys.exit(
                    f"{path}: not the render the teacher tagged (sha256 differs from "
                    f"{args.table}); tag the sets again with `cargo xtask teacher --synthetic`"
                )
        print(f"{args.table}: {len(rows)} renders as tagged")
        return

    rows = []
    for name in args.sets.split(","):
        folder = os.path.join(args.root, name, "train")
        with open(os.path.join(folder, "tracks.csv")) as f:
            for track in csv.DictReader(f):
                file = f"{name}/train/{track['path']}"
                rows.append({
                    "package": f"synthetic-{name}",
                    "version": "mcclstm dataset make",
                    "path": track["path"],
                    "duration_s": "30.0",
                    "licence": "MIT OR Apache-2.0 (rendered with FluidR3 GM, MIT)",
                    "genre": "",
                    "kind": "music",
                    "sha256": sha256(os.path.join(args.root, file)),
                    "file": file,
                })
    os.makedirs(os.path.dirname(args.table) or ".", exist_ok=True)
    tmp = args.table + ".tmp"
    with open(tmp, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=FIELDS, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    os.replace(tmp, args.table)
    print(f"{args.table}: {len(rows)} renders")


if __name__ == "__main__":
    main()
