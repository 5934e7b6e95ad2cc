#!/usr/bin/env python3
"""How far averaging several tag models would go: each model's and their average's ROC-AUC per tag
on a held-out tag CSV, chunk by chunk, as `mcclstm evaluate --dataset tags` scores one model.

A diagnostic for the style model's card (issue 17), not part of the product: a model the plugin
runs is one file under 8 MB, so an ensemble is not something we ship. What it answers is whether
the tags that stay under the target are held back by how one training run happens to go (then an
average of runs gains on them) or by what the data teaches (then it does not).

    python3 scripts/tag_ensemble.py --test target/models/style/real/test.csv \
        --model models/style.onnx --model target/models/style/seed-1/style.onnx ... [--by-package]

Each model runs once over the CSV's tracks with `mcclstm analyze --json` (each chunk's own
output, the state carried across the track, as `evaluate` runs it). A tag is present in a chunk
when its target is at least --present (0.3, as `evaluate`). Before it averages, it checks that it
pairs the chunks `mcclstm evaluate --json` scores on the same CSV and, at evaluate's threshold, that
each model's figures are evaluate's; a difference stops it. Standard library only.
"""

import argparse
import csv
import json
import subprocess
import sys


def run_json(command):
    done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    if done.returncode != 0:
        sys.exit(f"{' '.join(command[:4])} ... failed: {done.stderr.decode(errors='replace')}")
    return json.loads(done.stdout)


def roc_auc(scores, present):
    """The probability that a present chunk scores above an absent one, ties counting half."""
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    ranks = [0.0] * len(scores)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and scores[order[j + 1]] == scores[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        i = j + 1
    pos = sum(present)
    neg = len(present) - pos
    if pos == 0 or neg == 0:
        return None
    rank_sum = sum(r for r, p in zip(ranks, present) if p)
    return (rank_sum - pos * (pos + 1) / 2) / (pos * neg)


def chunk_outputs(mcclstm, model, paths):
    """(path, chunk index) -> that chunk's own output, for the first segment of each file."""
    out = {}
    for report in run_json([mcclstm, "analyze", "--json", "--model", model] + paths):
        for chunk in report["models"][0]["chunks"]:
            if chunk["segment"] == 0:
                out[(report["file"], chunk["index"])] = chunk["probs"]
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--test", required=True, help="a tag CSV: path,group,chunk,TAG...")
    parser.add_argument("--model", action="append", required=True, help="a tag model (repeat)")
    parser.add_argument("--present", type=float, default=0.3)
    parser.add_argument("--mcclstm", default="target/release/mcclstm")
    parser.add_argument(
        "--by-package",
        action="store_true",
        help="also each tag's ROC-AUC within each package (the group's part before its '/')",
    )
    args = parser.parse_args()

    with open(args.test, newline="") as f:
        rows = list(csv.DictReader(f))
    tags = list(rows[0].keys())[3:]
    paths = sorted({r["path"] for r in rows})
    outputs = [chunk_outputs(args.mcclstm, m, paths) for m in args.model]
    # Chunks every model gave (a track's last partial chunk has no output).
    rows = [r for r in rows if all((r["path"], int(r["chunk"])) in o for o in outputs)]
    present = {t: [float(r[t]) >= args.present for r in rows] for t in tags}

    def figures(members, only=None):
        picked = [i for i, r in enumerate(rows) if only is None or only(r)]
        aucs = {}
        for t, tag in enumerate(tags):
            scores = [
                sum(outputs[m][(rows[i]["path"], int(rows[i]["chunk"]))][t] for m in members)
                / len(members)
                for i in picked
            ]
            aucs[tag] = roc_auc(scores, [present[tag][i] for i in picked])
        defined = [a for a in aucs.values() if a is not None]
        return aucs, sum(defined) / len(defined)

    lines = []
    for m, model in enumerate(args.model):
        aucs, mean = figures([m])
        evaluated = run_json(
            [args.mcclstm, "evaluate", "--dataset", "tags", "--json", "--model", model,
             "--root", args.test]
        )
        if evaluated["chunks"] != len(rows):
            sys.exit(f"{model}: {len(rows)} chunks paired, evaluate scored {evaluated['chunks']}")
        # evaluate calls a tag present from its own threshold: another one cannot be compared.
        for t in evaluated["tags"] if evaluated["on_at"] == args.present else []:
            theirs, ours = t["roc_auc"], aucs[t["tag"]]
            if (theirs is None) != (ours is None) or (ours is not None and abs(theirs - ours) > 1e-9):
                sys.exit(f"{model}: {t['tag']} {ours} here, {theirs} from mcclstm evaluate")
        lines.append((model, aucs, mean))
    lines.append((f"average of the {len(args.model)}", *figures(range(len(args.model)))))

    checked = "are mcclstm evaluate's (checked)" if evaluated["on_at"] == args.present else (
        f"are not compared with mcclstm evaluate's (it calls a tag present at {evaluated['on_at']})"
    )
    print(f"ROC-AUC per tag on {len(rows)} chunks of {args.test} (present: target >= {args.present});")
    print(f"each model's figures {checked}; the chunks are the ones it scores\n")
    print("| model | " + " | ".join(tags) + " | mean | tags at 0.85 or more |")
    print("|---" * (len(tags) + 3) + "|")
    for name, aucs, mean in lines:
        cells = " | ".join("-" if aucs[t] is None else f"{aucs[t]:.3f}" for t in tags)
        reached = sum(1 for a in aucs.values() if a is not None and a >= 0.85)
        print(f"| {name} | {cells} | {mean:.3f} | {reached} |")

    if args.by_package:
        package = lambda r: r["group"].split("/")[0]
        print(f"\nWithin each package, the average of the {len(args.model)} (chunks where the tag is")
        print("present in brackets; '-' where the package has none or nothing else)\n")
        print("| package | tracks | chunks | " + " | ".join(tags) + " |")
        print("|---" * (len(tags) + 3) + "|")
        for name in sorted({package(r) for r in rows}):
            mine = [i for i, r in enumerate(rows) if package(r) == name]
            aucs, _ = figures(range(len(args.model)), lambda r, name=name: package(r) == name)
            cells = " | ".join(
                ("-" if aucs[t] is None else f"{aucs[t]:.3f}")
                + f" ({sum(present[t][i] for i in mine)})"
                for t in tags
            )
            tracks = len({rows[i]["path"] for i in mine})
            print(f"| {name} | {tracks} | {len(mine)} | {cells} |")


if __name__ == "__main__":
    main()
