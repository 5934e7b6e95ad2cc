#!/usr/bin/env python3
"""The teacher-to-label mapping of docs/teacher-mapping.md, measured on the corpus.

Reads corpus/tracks.csv and the teacher's tables (corpus/teacher/), maps every chunk's musicnn
tags onto our genre labels (GTZAN's ten) and mood labels (the soundtrack set's five), and prints
(markdown) how often the mapped top class agrees with the files' own GENRE tags, and the minutes
per mapped class, per package and in all. Only the standard library (no venv needed):

    python3 scripts/corpus_mapping.py [--corpus corpus] > /tmp/mapping.md

With --targets genre|mood it writes training and evaluation tables instead (what
`cargo xtask models` trains on; see targets() below):

    python3 scripts/corpus_mapping.py --targets genre --audio target/corpus \
        --hold-out wesnoth-1.16-music,... --out target/models/genre/real
"""

import argparse
import collections
import csv
import gzip
import json
import os

CHUNK_S = 80 * 1024 / 22050  # one chunk's hop: each chunk stands for 3.7152 s of the track

# Our label: the teacher tags whose largest probability is the label's score. No tags: the
# teacher has no signal for that label (it is never the mapped class).
GENRE = {
    "blues": ["MSD:blues"],
    "classical": ["MTT:classical", "MTT:classic", "MTT:strings", "MTT:violin", "MTT:cello",
                  "MTT:harpsichord", "MTT:choral", "MTT:opera"],
    "country": ["MSD:country", "MTT:country"],
    "disco": [],
    "hiphop": ["MSD:Hip-Hop"],
    "jazz": ["MSD:jazz"],
    "metal": ["MSD:metal", "MSD:heavy metal", "MTT:metal"],
    "pop": ["MSD:pop", "MTT:pop"],
    "reggae": [],
    "rock": ["MSD:rock", "MSD:hard rock", "MSD:classic rock", "MSD:punk", "MTT:rock"],
    # Not GTZAN genres: they compete with the ten, so electronic or ambient music is not forced
    # into one of them (the mapped class is then "(electronic)" or "(ambient)": no genre target).
    "(electronic)": ["MSD:electronic", "MSD:electronica", "MSD:electro", "MSD:House",
                     "MTT:techno", "MTT:electronic"],
    "(ambient)": ["MSD:ambient", "MSD:chillout", "MTT:ambient", "MTT:new age"],
}
MOOD = {
    "anger": ["MSD:heavy metal", "MSD:hard rock", "MSD:punk", "MTT:loud"],
    "fear": [],
    "happiness": ["MSD:happy", "MSD:party", "MSD:catchy"],
    "sadness": ["MSD:sad"],
    "tenderness": ["MSD:Mellow", "MSD:beautiful", "MTT:soft"],
}
# The mood tags' probabilities differ in scale (MSD tags "happy" and "sad" far more rarely than
# MTT tags "soft" or "loud"), so the mood mapping compares lifts: each label's score divided by its
# mean over the corpus's music chunks; the top lift wins, none when no lift reaches 1.
# Below this score the teacher abstains ("none"): none of the label's tags fires.
ABSTAIN = 0.10
# Metal beats rock when its score is at least this share of rock's (MSD tags almost every metal
# song "rock" too, with a higher probability than "metal").
METAL_OVER_ROCK = 0.5

# The files' own GENRE tags, by what they name in our genre labels (None: not a GTZAN genre;
# those are compared with the style tags instead).
TAG_TO_GENRE = {
    "romantic classical": "classical",
    "classical": "classical",
    "classique": "classical",
    "orchestral": "classical",
    "death metal": "metal",
    "female fronted metal": "metal",
    "trash metal": "metal",
    "thrash metal": "metal",
    "rock": "rock",
    "blues": "blues",
    "reggae": "reggae",
}
# GENRE tags that name a style outside GTZAN's ten, and the teacher tags of that style.
TAG_TO_STYLE = {
    "electronic": "(electronic)",
    "house": "(electronic)",
    "dnb": "(electronic)",
    "ambient": "(ambient)",
    "ambiance": "(ambient)",
}

# Candidate tags of a future multi-label `style` model, each the max of these teacher tags.
STYLE = {
    "orchestral": ["MTT:classical", "MTT:strings", "MTT:violin", "MTT:cello", "MTT:choir",
                   "MTT:choral"],
    "piano": ["MTT:piano"],
    "electronic": ["MSD:electronic", "MSD:electronica", "MSD:electro", "MTT:electronic",
                   "MTT:techno", "MTT:synth"],
    "dance": ["MSD:dance", "MSD:House", "MTT:dance"],
    "ambient": ["MSD:ambient", "MSD:chillout", "MTT:ambient", "MTT:new age"],
    "rock": ["MSD:rock", "MSD:hard rock", "MSD:classic rock", "MSD:punk", "MTT:rock"],
    "metal": ["MSD:metal", "MSD:heavy metal", "MTT:metal"],
    "folk/acoustic": ["MSD:folk", "MSD:acoustic", "MTT:flute", "MTT:harp"],
    "jazz": ["MSD:jazz"],
    "percussion": ["MTT:drums", "MTT:beat", "MTT:beats"],
    "choir": ["MTT:choir", "MTT:choral"],
    "guitar": ["MTT:guitar", "MSD:guitar"],
    "synth": ["MTT:synth"],
    "vocals": ["MTT:vocal", "MTT:vocals", "MTT:singing", "MTT:voice", "MSD:female vocalists",
               "MSD:male vocalists"],
    "experimental": ["MSD:experimental", "MTT:weird"],
}
STYLE_ON = 0.5

# The tags of the shipped multi-label `style` model (`--targets style`; docs/teacher-mapping.md):
# the style candidates the corpus covers in many packages, and four of the descriptors
# of pace and level. Each target is the max of these teacher tags' probabilities, unmapped.
STYLE_MODEL = {
    "electronic": STYLE["electronic"],
    "orchestral": STYLE["orchestral"],
    "percussive": STYLE["percussion"],
    "guitar": STYLE["guitar"],
    "ambient": STYLE["ambient"],
    "rock": STYLE["rock"],
    "metal": STYLE["metal"],
    "piano": STYLE["piano"],
    "synth": STYLE["synth"],
    "fast": ["MTT:fast"],
    "slow": ["MTT:slow"],
    "loud": ["MTT:loud"],
    "quiet": ["MTT:quiet", "MTT:soft"],
}


def load(corpus):
    with open(os.path.join(corpus, "tracks.csv")) as f:
        tracks = list(csv.DictReader(f))
    with open(os.path.join(corpus, "teacher", "tags.json")) as f:
        tags = json.load(f)["tags"]
    chunks = collections.defaultdict(list)
    with gzip.open(os.path.join(corpus, "teacher", "chunk_tags.csv.gz"), "rt") as f:
        next(f)
        for line in f:
            sha, k, hexes = line.rstrip("\n").split(",")
            chunks[sha].append([b / 255 for b in bytes.fromhex(hexes)])
    return tracks, tags, chunks


def scorer(tags, mapping):
    index = {t: i for i, t in enumerate(tags)}
    for label, names in mapping.items():
        for n in names:
            assert n in index, n
    return lambda p: {
        label: max((p[index[n]] for n in names), default=0.0) for label, names in mapping.items()
    }


def top(scores, genre=False):
    if genre and scores["metal"] >= max(ABSTAIN, METAL_OVER_ROCK * scores["rock"]):
        scores = dict(scores, rock=0.0)
    label, value = max(scores.items(), key=lambda kv: kv[1])
    return label if value >= ABSTAIN else "none"


def mood_lifts(args, tags, music, chunks):
    """Each mood label's mean score over the corpus's music chunks (the lift divisors), and a
    function giving a chunk's lifts (score / mean) for the labels with teacher tags. With
    `--lifts-from`, the divisors are that corpus's: the selection set takes the training corpus's,
    so that a mapped mood there means what the model was taught (its own music is louder and
    holds no metal, and would halve anger's divisor)."""
    mood_score = scorer(tags, MOOD)
    if args.lifts_from:
        l_tracks, l_tags, chunks = load(args.lifts_from)
        if l_tags != tags:
            raise SystemExit(f"{args.lifts_from}'s teacher tags differ from {args.corpus}'s")
        music = [t for t in l_tracks if t["kind"] == "music" and t["sha256"] in chunks]
    mood_sum = collections.Counter()
    n = 0
    for t in music:
        for p in chunks[t["sha256"]]:
            mood_sum.update(mood_score(p))
            n += 1
    mood_mean = {lab: mood_sum[lab] / max(n, 1) for lab in MOOD}

    def lifts(p):
        s = mood_score(p)
        return {lab: s[lab] / mood_mean[lab] for lab in MOOD if MOOD[lab] and mood_mean[lab] > 0}

    return mood_mean, lifts


# Soft targets sharpen the teacher's scores by this power before normalising them (the scores
# are independent sigmoid probabilities, not a distribution; squaring keeps their order and makes
# a clear winner clearer).
SHARPEN = 2.0
# The genres the corpus is real evidence for (docs/teacher-mapping.md, "What this means for
# training on the corpus"): orchestral scores, metal songs and, more thinly, rock. The corpus has
# no jazz (MSD "jazz" fires on orchestral and MIDI-rendered music), and its few pop, blues, country
# and hip-hop minutes are game themes the teacher scatters, not songs of those genres. A chunk
# whose mapped class is anything else gets no target, and the target spreads only over these.
GENRE_TAUGHT = ("classical", "metal", "rock")


def genre_target(scores):
    """A chunk's genre target over GTZAN's ten (non-zero only on GENRE_TAUGHT), or None where the
    teacher says nothing usable (its top class is electronic, ambient, none, or a genre the corpus
    cannot teach)."""
    mapped = top(scores, genre=True)
    if mapped not in GENRE_TAUGHT:
        return None
    g = {lab: 0.0 for lab in GENRE if not lab.startswith("(")}
    for lab in GENRE_TAUGHT:
        g[lab] = scores[lab]
    if mapped == "metal":
        g["rock"] = 0.0  # metal won over rock (METAL_OVER_ROCK): rock is not a second answer
    return normalised(g)


def mood_target(lifts):
    """A chunk's mood target over the five emotions from the lifts, or None when no lift reaches
    1 (nothing above its corpus average). Fear has no teacher tag and gets no share."""
    if max(lifts.values()) < 1.0:
        return None
    return normalised({lab: lifts.get(lab, 0.0) for lab in MOOD})


def normalised(scores):
    sharp = {lab: max(v, 0.0) ** SHARPEN for lab, v in scores.items()}
    total = sum(sharp.values())
    return {lab: v / total for lab, v in sharp.items()}


def targets(args, tracks, tags, chunks):
    """Writes OUT/train.csv (a soft-target CSV, mcclstm's `generic` reader: one row per taught
    chunk of every music track outside the held-out packages), OUT/test-tags.csv (held-out tracks
    whose own GENRE tag names one of our genres: `path,label`; genre only), OUT/test-teacher.csv
    (held-out tracks labelled with the teacher's mapped class of the track's mean tags, where it
    maps to one of our labels), and OUT/test-teacher-top.json (the teacher's own track-level
    answers on those tracks, to compare with)."""
    if args.renders and args.targets != "mood":
        raise SystemExit("--renders is for --targets mood")
    known = {t["package"] for t in tracks}
    # `all`: every package is held out (the selection set, corpus/selection/, trains nothing).
    hold_out = known if args.hold_out == "all" else {p for p in args.hold_out.split(",") if p}
    unknown = hold_out - known
    if unknown:
        raise SystemExit(f"--hold-out names packages not in the corpus: {sorted(unknown)}")
    genre_score = scorer(tags, GENRE)
    music = [t for t in tracks if t["kind"] == "music" and t["sha256"] in chunks]
    if args.targets == "style":
        style_targets(args, music, hold_out, scorer(tags, STYLE_MODEL), chunks, tags)
        return
    _, lifts = mood_lifts(args, tags, music, chunks)
    if args.targets == "genre":
        labels = sorted(lab for lab in GENRE if not lab.startswith("("))
        chunk_target = lambda p: genre_target(genre_score(p))
        track_class = lambda rows: genre_target(genre_score(mean(rows)))
    else:
        labels = sorted(MOOD)
        chunk_target = lambda p: mood_target(lifts(p))
        track_class = lambda rows: mood_target(lifts(mean(rows)))
    os.makedirs(args.out, exist_ok=True)
    audio = os.path.abspath(args.audio)
    taught = total = 0
    with open(os.path.join(args.out, "train.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["path", "group", "chunk"] + labels)
        if args.renders:
            w.writerows(mood_render_rows(args, tags, lifts, labels))
        for t in music:
            if t["package"] in hold_out:
                continue
            path = os.path.join(audio, t["file"])
            group = f"{t['package']}/{t['sha256'][:12]}"
            for k, p in enumerate(chunks[t["sha256"]]):
                total += 1
                target = chunk_target(p)
                if target is None:
                    continue
                taught += 1
                w.writerow([path, group, k] + [f"{target[lab]:.4f}" for lab in labels])
    tests = {"tags": [], "teacher": []}
    teacher_top = {}
    for t in music:
        if t["package"] not in hold_out:
            continue
        path = os.path.join(audio, t["file"])
        want = TAG_TO_GENRE.get(t["genre"].strip().lower())
        if args.targets == "genre" and want:
            tests["tags"].append([path, want])
            scores = genre_score(mean(chunks[t["sha256"]]))
            teacher_top[path] = top(scores, genre=True)
        target = track_class(chunks[t["sha256"]])
        if target is not None:
            tests["teacher"].append([path, max(target.items(), key=lambda kv: kv[1])[0]])
    for name, rows in tests.items():
        if not rows:
            continue
        with open(os.path.join(args.out, f"test-{name}.csv"), "w", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["path", "label"])
            w.writerows(rows)
    with open(os.path.join(args.out, "test-teacher-top.json"), "w") as f:
        json.dump(teacher_top, f, indent=1)
    print(f"{args.targets}: {taught} of {total} training chunks taught "
          f"({100 * taught / max(total, 1):.0f}%); held out {len(hold_out)} packages: "
          f"{len(tests['tags'])} tracks with a GENRE tag, {len(tests['teacher'])} with a teacher "
          f"class")


def load_renders(args, tags):
    """The synthetic renders' track table and chunk tags (corpus/synthetic/), which must be
    tagged with the corpus's teacher tags."""
    r_tracks, r_tags, r_chunks = load(os.path.join(args.corpus, "synthetic"))
    if r_tags != tags:
        raise SystemExit("the renders were tagged with other teacher tags than the corpus")
    return r_tracks, r_chunks


def mood_render_rows(args, tags, lifts, labels):
    """The synthetic mood set's renders as rows of the mood training table, taught like the
    corpus's chunks: the teacher's tags of each render's chunks (corpus/synthetic/, the same
    teacher) mapped by the same lifts (the corpus's divisors); a chunk the teacher cannot place
    carries no loss. Fear, for which the teacher has no tag, keeps the render's own label on every
    chunk. The renders come first, as the one-hot synthetic rows did before."""
    r_tracks, r_chunks = load_renders(args, tags)
    base = os.path.abspath(args.renders)
    rows = 0
    for t in r_tracks:
        if t["package"] != "synthetic-mood":
            continue
        label = t["path"].split("/")[0]
        if label not in MOOD:
            raise SystemExit(f"{t['path']}: {label} is not a mood label")
        path = os.path.join(base, t["file"])
        group = os.path.splitext(os.path.basename(t["path"]))[0]
        if not MOOD[label]:
            rows += 1
            yield [path, group, "*"] + ["1" if lab == label else "0" for lab in labels]
            continue
        for k, p in enumerate(r_chunks[t["sha256"]]):
            target = mood_target(lifts(p))
            if target is not None:
                rows += 1
                yield [path, group, k] + [f"{target[lab]:.4f}" for lab in labels]
    if not rows:
        raise SystemExit(f"{args.corpus}/synthetic holds no tagged mood renders")


def renders_report(args, tracks, tags, chunks):
    """Prints (markdown) how the teacher hears the synthetic mood renders through the corpus's
    lifts: each render's whole-track mapped class against its label (docs/teacher-mapping.md)."""
    music = [t for t in tracks if t["kind"] == "music" and t["sha256"] in chunks]
    _, lifts = mood_lifts(args, tags, music, chunks)
    r_tracks, r_chunks = load_renders(args, tags)
    counts = collections.Counter()
    unplaced = total = 0
    for t in r_tracks:
        if t["package"] != "synthetic-mood":
            continue
        rows = r_chunks[t["sha256"]]
        target = mood_target(lifts(mean(rows)))
        got = "none" if target is None else max(target.items(), key=lambda kv: kv[1])[0]
        label = t["path"].split("/")[0]
        counts[(label, got)] += 1
        if MOOD[label]:
            total += len(rows)
            unplaced += sum(mood_target(lifts(p)) is None for p in rows)
    heard = [lab for lab in MOOD if MOOD[lab]] + ["none"]
    rows = []
    for label in MOOD:
        n = sum(counts[(label, h)] for h in heard)
        rows.append([f"{label} ({n})"] + [counts[(label, h)] for h in heard])
    print(table(["render's label"] + heard, rows))
    agree = sum(counts[(lab, lab)] for lab in MOOD)
    n = sum(counts.values())
    print(f"\nThe teacher's class agrees with {agree} of {n} labels "
          f"({100 * agree / max(n, 1):.1f}%); it places no mood on {unplaced} of the {total} "
          f"chunks of the renders it has tags for.")


def style_targets(args, music, hold_out, style_score, chunks, tags):
    """Writes OUT/train.csv and OUT/test.csv, tag CSVs (mcclstm's `tags` reader: independent
    probabilities, not normalised) of every chunk of every music track outside, and inside, the
    held-out packages. With `--auxiliary PREFIX`, train.csv also has the teacher's own
    probability of each of its tags named PREFIX..., as columns `aux:TAG` after the style tags:
    `mcclstm train` learns them and does not export them (an auxiliary head). test.csv never has
    them: only the style tags are scored."""
    os.makedirs(args.out, exist_ok=True)
    audio = os.path.abspath(args.audio)
    labels = list(STYLE_MODEL)
    aux = [i for i, t in enumerate(tags) if args.auxiliary and t.startswith(args.auxiliary)]
    if args.auxiliary and not aux:
        raise SystemExit(f"--auxiliary {args.auxiliary}: no teacher tag starts with it")
    counts = {"train": 0, "test": 0}
    files = {name: open(os.path.join(args.out, f"{name}.csv"), "w", newline="")
             for name in counts}
    writers = {name: csv.writer(f, lineterminator="\n") for name, f in files.items()}
    writers["train"].writerow(["path", "group", "chunk"] + labels + [f"aux:{tags[i]}" for i in aux])
    writers["test"].writerow(["path", "group", "chunk"] + labels)
    for t in music:
        name = "test" if t["package"] in hold_out else "train"
        path = os.path.join(audio, t["file"])
        group = f"{t['package']}/{t['sha256'][:12]}"
        for k, p in enumerate(chunks[t["sha256"]]):
            scores = style_score(p)
            row = [path, group, k] + [f"{scores[lab]:.4f}" for lab in labels]
            if name == "train":
                row += [f"{p[i]:.4f}" for i in aux]
            writers[name].writerow(row)
            counts[name] += 1
    for f in files.values():
        f.close()
    print(f"style: {counts['train']} training chunks, {counts['test']} held-out chunks "
          f"({len(hold_out)} packages)")


def mean(rows):
    n = len(rows)
    return [sum(r[i] for r in rows) / n for i in range(len(rows[0]))]


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default="corpus")
    ap.add_argument("--targets", choices=["genre", "mood", "style"],
                    help="write training and evaluation tables for this model instead")
    ap.add_argument("--audio", default="target/corpus", help="where `cargo xtask corpus` put it")
    ap.add_argument("--hold-out", default="",
                    help="comma-separated packages kept for testing, or `all`")
    ap.add_argument("--out", help="folder for the --targets tables")
    ap.add_argument("--renders", help="mood: also teach the synthetic mood set's renders, "
                    "found in this folder (corpus/synthetic/tracks.csv's `file` column)")
    ap.add_argument("--lifts-from", help="the corpus whose music chunks give the mood lifts' "
                    "divisors (default: --corpus); the selection set uses the training corpus's")
    ap.add_argument("--auxiliary", metavar="PREFIX",
                    help="style: add the teacher's own tags named PREFIX... (e.g. MTT:) to "
                    "train.csv as auxiliary columns `aux:TAG`, learned and not exported")
    ap.add_argument("--renders-report", action="store_true",
                    help="print how the teacher hears the synthetic mood renders, and stop")
    args = ap.parse_args()
    tracks, tags, chunks = load(args.corpus)
    if args.renders_report:
        renders_report(args, tracks, tags, chunks)
        return
    if args.targets:
        if not args.out:
            raise SystemExit("--targets needs --out")
        targets(args, tracks, tags, chunks)
        return
    genre_score, mood_score, style_score = (scorer(tags, m) for m in (GENRE, MOOD, STYLE))
    done = [t for t in tracks if t["sha256"] in chunks]
    music = [t for t in done if t["kind"] == "music"]
    total_min = sum(len(chunks[t["sha256"]]) for t in music) * CHUNK_S / 60
    print(f"Tagged: {len(done)} of {len(tracks)} corpus files; {len(music)} music tracks, "
          f"{total_min:.0f} min of full chunks.\n")

    # Agreement with the files' own GENRE tags (track level: mapped top class of the mean tags;
    # chunk level: share of the track's chunks whose mapped top class agrees).
    print("### Agreement with the files' GENRE tags\n")
    rows, per_label = [], collections.defaultdict(lambda: [0, 0, 0.0])
    for t in done:
        g = t["genre"].strip().lower()
        want = TAG_TO_GENRE.get(g)
        style = TAG_TO_STYLE.get(g)
        if not want and not style:
            continue
        probs = chunks[t["sha256"]]
        want = want or style
        got = top(genre_score(mean(probs)), genre=True)
        chunk_ok = sum(top(genre_score(p), genre=True) == want for p in probs) / len(probs)
        per_label[(t["genre"], want)][0] += 1
        per_label[(t["genre"], want)][1] += got == want
        per_label[(t["genre"], want)][2] += chunk_ok
    for (tag, want), (n, ok, chunk_ok) in sorted(per_label.items(), key=lambda kv: kv[0][1]):
        rows.append([tag, want, n, f"{ok}/{n}", f"{100 * chunk_ok / n:.0f}%"])
    print(table(["GENRE tag", "expected", "tracks", "track top class agrees",
                 "chunks agreeing (mean)"], rows))
    genre_rows = [(k, v) for k, v in per_label.items() if k[0].strip().lower() in TAG_TO_GENRE]
    n = sum(v[0] for _, v in genre_rows)
    ok = sum(v[1] for _, v in genre_rows)
    no_signal = sum(v[0] for k, v in genre_rows if not GENRE[k[1]])
    print(f"\nGTZAN genres: {ok}/{n} tracks agree ({100 * ok / max(n, 1):.0f}%); "
          f"{no_signal} of the {n} carry a label the teacher has no tag for.")
    n = sum(v[0] for v in per_label.values())
    ok = sum(v[1] for v in per_label.values())
    print(f"With the electronic and ambient tags: {ok}/{n} ({100 * ok / max(n, 1):.0f}%).")
    gtzan_only = scorer(tags, {k: v for k, v in GENRE.items() if not k.startswith("(")})
    sure = [t for t in done if TAG_TO_GENRE.get(t["genre"].strip().lower())]
    ok = sum(
        top(gtzan_only(mean(chunks[t["sha256"]])), genre=True)
        == TAG_TO_GENRE[t["genre"].strip().lower()]
        for t in sure
    )
    print(f"Without the (electronic) and (ambient) competitors (GTZAN's ten only): {ok}/"
          f"{len(sure)} GTZAN-tagged tracks agree ({100 * ok / max(len(sure), 1):.0f}%).\n")
    confusion = collections.Counter()
    for t in done:
        want = TAG_TO_GENRE.get(t["genre"].strip().lower()) or TAG_TO_STYLE.get(
            t["genre"].strip().lower())
        if want:
            confusion[(want, top(genre_score(mean(chunks[t["sha256"]])), genre=True))] += 1
    print("Track-level confusions (expected -> mapped): " + ", ".join(
        f"{a} -> {b}: {c}" for (a, b), c in sorted(confusion.items()) if a != b) + ".\n")

    mood_mean, lifts = mood_lifts(args, tags, music, chunks)
    print("Mood scores' means over the music chunks (the lift divisors): " + ", ".join(
        f"{lab} {v:.3f}" for lab, v in mood_mean.items() if MOOD[lab]) + ".\n")

    def mood_top(p):
        label, value = max(lifts(p).items(), key=lambda kv: kv[1])
        return label if value >= 1.0 else "none"

    for name, classify, labels in (
        ("genre", lambda p: top(genre_score(p), genre=True), list(GENRE) + ["none"]),
        ("mood", mood_top, list(MOOD) + ["none"]),
        ("mood (absolute scores, for comparison)", lambda p: top(mood_score(p)),
         list(MOOD) + ["none"]),
    ):
        print(f"### Minutes per mapped {name} class (chunk level, music only)\n")
        by_pkg = collections.defaultdict(collections.Counter)
        for t in music:
            for p in chunks[t["sha256"]]:
                by_pkg[t["package"]][classify(p)] += CHUNK_S / 60
        used = [lab for lab in labels if any(c[lab] for c in by_pkg.values())]
        rows = []
        for pkg in sorted(by_pkg):
            rows.append([pkg] + [f"{by_pkg[pkg][lab]:.0f}" if by_pkg[pkg][lab] else ""
                                 for lab in used])
        totals = collections.Counter()
        for c in by_pkg.values():
            totals.update(c)
        rows.append(["**all**"] + [f"**{totals[lab]:.0f}**" for lab in used])
        print(table(["package"] + used, rows))
        silent = [lab for lab in labels if lab != "none" and not totals[lab]]
        share = sum(totals.values())
        print("\nShares: " + ", ".join(
            f"{lab} {100 * totals[lab] / share:.0f}%" for lab in used if share) + ".")
        print(f"\nNever the mapped class: {', '.join(silent) or 'none'}.\n")

    print(f"### Style candidates: minutes where the tag's score is {STYLE_ON} or more "
          "(multi-label; music only)\n")
    mins = collections.Counter()
    pk = collections.defaultdict(set)
    for t in music:
        for p in chunks[t["sha256"]]:
            for lab, v in style_score(p).items():
                if v >= STYLE_ON:
                    mins[lab] += CHUNK_S / 60
                    pk[lab].add(t["package"])
    rows = [[lab, f"{mins[lab]:.0f}", len(pk[lab])] for lab in STYLE]
    print(table(["style", "minutes", "packages"], rows))


if __name__ == "__main__":
    main()
