#!/usr/bin/env python3
"""Builds the real-music corpus from the pinned Debian packages of `corpus/packages.json`.

Run by `cargo xtask corpus [--out DIR]` (which puts mutagen on PYTHONPATH and sox on PATH); see
corpus/README.md. For each pinned package: `apt-get download PKG=VERSION` (one `apt-get update`
first when apt does not know that version), check the .deb's sha256 and size against the
manifest, `dpkg-deb -x` it into a scratch folder, copy out every music file of 45 s or more
(also those inside .pk3/.zip archives) to DIR/audio/PKG/..., mix Frets on Fire song folders' stems
into one FLAC with `sox -m`, read each file's duration and GENRE tag (mutagen), its licence (the
package's DEP-5 copyright file) and sha256, and write a stamp DIR/audio/PKG/.done.json. A package
whose stamp matches the manifest is not touched again, so a second run is fast and a killed run
resumes. Finally it writes the track table (corpus/tracks.csv), one row per distinct audio file
(same sha256 only once).

    corpus_build.py --manifest corpus/packages.json --out target/corpus --tracks corpus/tracks.csv
    corpus_build.py --pin PKG... --manifest corpus/packages.json   # (re)pin packages from apt
"""

import argparse
import csv
import fnmatch
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile

MIN_SECONDS = 45.0
# What the engine decodes (WAV, FLAC, MP3, Ogg Vorbis), by extension; an .ogg holding Opus, FLAC
# or Speex is skipped after its header is read.
DECODABLE = {".wav", ".flac", ".mp3", ".ogg", ".oga"}
# Music or audio in formats the engine does not decode: counted and skipped.
UNDECODABLE = {
    ".opus", ".spx", ".mod", ".xm", ".it", ".s3m", ".mid", ".midi", ".m4a", ".aac", ".wma",
    ".669", ".mtm", ".umx", ".ape", ".wv", ".aiff", ".aif", ".au", ".voc", ".ogx",
}
ARCHIVES = {".pk3", ".zip", ".pk4"}
# Frets on Fire song folders: these stems, when a folder holds song.ogg and at least one other.
STEMS = {"song.ogg", "guitar.ogg", "rhythm.ogg", "drums.ogg", "vocals.ogg", "bass.ogg", "keys.ogg"}
TRACK_COLUMNS = [
    "package", "version", "path", "duration_s", "licence", "genre", "kind", "sha256", "file",
]
# A file of 45 s or more in a sound-effects folder, with no GENRE tag and no "music" in its path,
# is a long ambience or effect loop (wind, rain, machinery, animals): kind "sound", not "music".
SOUND_DIRS = {"sound", "sounds", "sfx", "soundfx", "ambient", "ambience", "ambiences", "environment"}
STAMP_FORMAT = 3


def log(msg):
    print(f"corpus: {msg}", file=sys.stderr, flush=True)


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# ---------------------------------------------------------------------------------------------
# apt


def apt_show(package):
    out = subprocess.run(
        ["apt-cache", "show", "--no-all-versions", package], capture_output=True, text=True
    )
    if out.returncode != 0 or not out.stdout.strip():
        raise SystemExit(f"apt-cache knows no package {package}")
    fields = {}
    for line in out.stdout.splitlines():
        m = re.match(r"^([A-Za-z0-9-]+): ?(.*)$", line)
        if m and m.group(1) not in fields:
            fields[m.group(1)] = m.group(2)
    return fields


def pin(packages, manifest_path):
    manifest = load_manifest(manifest_path) if os.path.exists(manifest_path) else []
    about = load_about(manifest_path) if os.path.exists(manifest_path) else ABOUT
    by_name = {p["package"]: p for p in manifest}
    for package in packages:
        f = apt_show(package)
        by_name[package] = {
            "package": package,
            "version": f["Version"],
            "architecture": f.get("Architecture", "all"),
            "sha256": f["SHA256"],
            "size": int(f["Size"]),
            "section": f.get("Section", ""),
        }
        log(f"pinned {package} {f['Version']} ({int(f['Size']) / 1e6:.1f} MB)")
    write_manifest(manifest_path, sorted(by_name.values(), key=lambda p: p["package"]), about)


# A new manifest's `about`; re-pinning keeps the one the manifest has.
ABOUT = (
    "Debian bookworm main packages with recorded music; pinned by version, sha256 and size of "
    "the .deb. `cargo xtask corpus` downloads exactly these."
)


def load_manifest(path):
    with open(path) as f:
        data = json.load(f)
    return data["packages"]


def load_about(path):
    with open(path) as f:
        return json.load(f).get("about", ABOUT)


def write_manifest(path, packages, about):
    with open(path, "w") as f:
        json.dump(
            {
                "about": about,
                "packages": packages,
            },
            f,
            indent=1,
        )
        f.write("\n")


APT_UPDATED = False


def deb_name(p):
    version = p["version"].replace(":", "%3a")
    return f"{p['package']}_{version}_{p['architecture']}.deb"


def download(p, debs):
    global APT_UPDATED
    target = os.path.join(debs, deb_name(p))
    if os.path.exists(target) and os.path.getsize(target) == p["size"]:
        if sha256_file(target) == p["sha256"]:
            return target
        os.remove(target)
    for attempt in range(2):
        started = time.time()
        r = subprocess.run(
            ["apt-get", "download", "-q", f"{p['package']}={p['version']}"],
            cwd=debs,
            capture_output=True,
            text=True,
        )
        if r.returncode == 0:
            break
        if attempt == 0 and not APT_UPDATED:
            log(f"{p['package']}={p['version']}: apt does not have it ({r.stderr.strip()}); apt-get update")
            subprocess.run(["apt-get", "update", "-qq"], stdout=sys.stderr, check=True)
            APT_UPDATED = True
            continue
        raise SystemExit(
            f"cannot download {p['package']}={p['version']}: {r.stderr.strip()}\n"
            "(a pinned version can leave the archive after a point release; re-pin with "
            "`python3 scripts/corpus_build.py --pin PKG --manifest corpus/packages.json`)"
        )
    if not os.path.exists(target):
        raise SystemExit(f"apt-get download left no {target}")
    digest = sha256_file(target)
    if digest != p["sha256"] or os.path.getsize(target) != p["size"]:
        os.remove(target)
        raise SystemExit(f"{target}: sha256 {digest} does not match the manifest's {p['sha256']}")
    log(f"downloaded {deb_name(p)} ({p['size'] / 1e6:.1f} MB in {time.time() - started:.1f} s)")
    return target


# ---------------------------------------------------------------------------------------------
# licences


def parse_paragraphs(text):
    paragraphs, current, key = [], {}, None
    for line in text.splitlines():
        if not line.strip():
            if current:
                paragraphs.append(current)
            current, key = {}, None
            continue
        if line[0] in " \t" and key:
            current[key] += "\n" + line.strip()
            continue
        m = re.match(r"^([A-Za-z0-9-]+):\s*(.*)$", line)
        if m:
            key = m.group(1).lower()
            current[key] = m.group(2).strip()
    if current:
        paragraphs.append(current)
    return paragraphs


LICENCE_WORDS = [
    ("CC0", r"\bCC0\b|creative commons zero"),
    ("CC-BY-SA", r"CC[- ]BY[- ]SA|attribution[- ]share ?alike"),
    ("CC-BY", r"CC[- ]BY(?![- ]SA)(?![- ]NC)|creative commons attribution(?![- ]share)"),
    ("GPL", r"\bGPL|general public license"),
    ("LGPL", r"\bLGPL|lesser general public"),
    ("Artistic", r"artistic license"),
    ("public-domain", r"public domain"),
    ("BSD", r"\bBSD\b"),
    ("MIT/Expat", r"\bexpat\b|\bMIT\b"),
    ("Free-Art", r"free art licen"),
    ("OFL", r"\bOFL\b|open font license"),
]


class Licences:
    """The licence of a path, from one package's copyright file."""

    def __init__(self, text):
        self.paragraphs = parse_paragraphs(text) if text else []
        header = self.paragraphs[0] if self.paragraphs else {}
        self.dep5 = "format" in header and (
            "dep5" in header["format"].lower() or "copyright-format" in header["format"].lower()
        )
        self.files = [
            (p["files"].split(), first_line(p.get("license", "")))
            for p in self.paragraphs
            if "files" in p
        ]
        words = [name for name, rx in LICENCE_WORDS if re.search(rx, text or "", re.I)]
        if self.dep5:
            words = sorted({lic for _, lic in self.files if lic})
        self.package_level = "; ".join(words) if words else "unknown"

    def of(self, path, member=None):
        """DEP-5: the License of the Files stanza that matches the path. Globs are source-tree
        paths and the installed path differs (usr/share/games/x/music/a.ogg for data/music/*), so
        a glob matches when it, or its tail from a `/` on that still holds a folder, matches any
        tail of the path; the longest matching glob tail wins, then the later stanza (DEP-5's
        rule), and `*` only when nothing else matches. Not DEP-5: the licence words of the
        whole file."""
        if not self.dep5:
            return "free-form: " + self.package_level
        candidates = suffixes(path)
        if member:
            candidates += suffixes(member)
        best_score, best, fallback = 0, None, None
        for globs, lic in self.files:
            for g in globs:
                if g == "*":
                    fallback = lic
                    continue
                parts = g.strip("/").split("/")
                for i in range(len(parts)):
                    tail = "/".join(parts[i:])
                    if i > 0 and "/" not in tail:
                        break
                    if any(fnmatch.fnmatchcase(c, tail) for c in candidates):
                        score = len(parts) - i
                        if score >= best_score:
                            best_score, best = score, lic
                        break
        return best or fallback or "unknown"


def first_line(s):
    return s.split("\n", 1)[0].strip()


def suffixes(path):
    parts = path.strip("/").split("/")
    return ["/".join(parts[i:]) for i in range(len(parts))]


# ---------------------------------------------------------------------------------------------
# audio


def probe(path):
    """(seconds, genre, kind) of an audio file; kind None when the engine cannot decode it."""
    import mutagen
    from mutagen.oggvorbis import OggVorbis

    ext = os.path.splitext(path)[1].lower()
    try:
        f = mutagen.File(path)
    except Exception as e:  # noqa: BLE001 (a broken file is skipped and counted)
        f, error = None, type(e).__name__
    else:
        error = "not recognised"
    if f is None or f.info is None:
        seconds = soxi_seconds(path) if ext in (".wav", ".flac", ".mp3") else None
        if seconds is not None:
            return seconds, "", "ok"
        return None, None, f"unreadable ({error})"
    if ext in (".ogg", ".oga") and not isinstance(f, OggVorbis):
        return f.info.length, None, f"ogg-{type(f).__name__}"
    genre = None
    tags = f.tags
    if tags is not None:
        try:
            if hasattr(tags, "getall"):  # ID3
                frames = tags.getall("TCON")
                genre = "; ".join(str(t) for fr in frames for t in fr.genres) if frames else None
            else:
                values = tags.get("genre") or tags.get("GENRE")
                if values:
                    genre = "; ".join(str(v) for v in values)
        except Exception:  # noqa: BLE001
            genre = None
    genre = genre.strip().replace("\n", " ") if genre else ""
    return float(f.info.length), genre, "ok"


def kind(row):
    parts = row["path"].replace("!", "/").lower().split("/")
    music = any(w in p for p in parts for w in ("music", "cdtracks", "songs"))
    in_sound_dir = any(p in SOUND_DIRS for p in parts[:-1])
    return "sound" if in_sound_dir and not music and not row["genre"] else "music"


def soxi_seconds(path):
    """Duration from sox (for files mutagen cannot parse, e.g. some WAV headers)."""
    r = subprocess.run(["soxi", "-D", path], capture_output=True, text=True)
    try:
        return float(r.stdout.strip()) if r.returncode == 0 else None
    except ValueError:
        return None


def ensure_parent(path):
    os.makedirs(os.path.dirname(path), exist_ok=True)


def mix_stems(stems, out):
    """sox -m of the stems (each scaled by 1/n, so the mix cannot clip) into a 16-bit FLAC, without
    dither (sox dithers with random noise by default; the mix must be the same bytes every run)."""
    tmp = out + ".part.flac"
    ensure_parent(out)
    subprocess.run(["sox", "-D", "-m", *stems, "-b", "16", tmp], check=True, capture_output=True)
    os.replace(tmp, out)


def process_package(p, deb, audio_root, scratch_root):
    pkg = p["package"]
    out_dir = os.path.join(audio_root, pkg)
    if os.path.isdir(out_dir):
        shutil.rmtree(out_dir)
    os.makedirs(out_dir)
    tree = tempfile.mkdtemp(prefix=pkg + ".", dir=scratch_root)
    started = time.time()
    try:
        subprocess.run(["dpkg-deb", "-x", deb, tree], check=True)
        copyright_path = os.path.join(tree, "usr/share/doc", pkg, "copyright")
        copyright_note = ""
        text = ""
        if os.path.isfile(copyright_path):
            with open(copyright_path, encoding="utf-8", errors="replace") as f:
                text = f.read()
        else:
            link = os.path.join(tree, "usr/share/doc", pkg)
            copyright_note = (
                f"no copyright file (doc dir links to {os.readlink(link)})"
                if os.path.islink(link)
                else "no copyright file"
            )
        licences = Licences(text)
        rows, skipped, short = [], {}, 0

        def skip(reason):
            skipped[reason] = skipped.get(reason, 0) + 1

        def add(src, rel_path, local_rel, member=None):
            nonlocal short
            seconds, genre, kind = probe(src)
            if kind != "ok":
                skip(kind)
                return
            if seconds < MIN_SECONDS:
                short += 1
                return
            dest = os.path.join(out_dir, local_rel)
            ensure_parent(dest)
            if os.path.abspath(src) != os.path.abspath(dest):
                shutil.copyfile(src, dest)
            rows.append(
                {
                    "package": pkg,
                    "version": p["version"],
                    "path": rel_path,
                    "duration_s": f"{seconds:.2f}",
                    "licence": copyright_note or licences.of(rel_path, member),
                    "genre": genre,
                    "sha256": sha256_file(dest),
                    "file": os.path.join("audio", pkg, local_rel),
                }
            )

        for dirpath, dirnames, filenames in os.walk(tree):
            dirnames.sort()
            rel_dir = os.path.relpath(dirpath, tree)
            names = set(filenames)
            lower = {n.lower(): n for n in filenames}
            stems = sorted(lower[n] for n in STEMS if n in lower)
            stem_set = set()
            if "song.ogg" in lower and len(stems) > 1:
                stem_set = set(stems)
                mix_rel = os.path.join(rel_dir, "mix.flac")
                mix_path = os.path.join(out_dir, mix_rel)
                mix_stems([os.path.join(dirpath, s) for s in stems], mix_path)
                add(mix_path, os.path.join(rel_dir, "mix(" + "+".join(stems) + ")"), mix_rel)
            for name in sorted(names):
                src = os.path.join(dirpath, name)
                if os.path.islink(src) or not os.path.isfile(src) or name in stem_set:
                    continue
                rel = os.path.normpath(os.path.join(rel_dir, name))
                ext = os.path.splitext(name)[1].lower()
                if ext in DECODABLE:
                    add(src, rel, rel)
                elif ext in UNDECODABLE:
                    skip(ext[1:])
                elif ext in ARCHIVES:
                    try:
                        z = zipfile.ZipFile(src)
                    except zipfile.BadZipFile:
                        continue
                    with z, tempfile.TemporaryDirectory(dir=scratch_root) as zdir:
                        for info in sorted(z.infolist(), key=lambda i: i.filename):
                            mext = os.path.splitext(info.filename)[1].lower()
                            if info.is_dir():
                                continue
                            if mext in UNDECODABLE:
                                skip(mext[1:])
                                continue
                            if mext not in DECODABLE:
                                continue
                            extracted = z.extract(info, zdir)
                            add(
                                extracted,
                                rel + "!" + info.filename,
                                os.path.join(rel, info.filename),
                                member=info.filename,
                            )
                            os.remove(extracted)
    finally:
        shutil.rmtree(tree, ignore_errors=True)
    stamp = {
        "format": STAMP_FORMAT,
        "package": pkg,
        "version": p["version"],
        "deb_sha256": p["sha256"],
        "tracks": rows,
        "short_files": short,
        "skipped": skipped,
        "seconds": round(time.time() - started, 1),
    }
    with open(os.path.join(out_dir, ".done.json"), "w") as f:
        json.dump(stamp, f, indent=1)
    return stamp


def stamp_ok(p, audio_root):
    path = os.path.join(audio_root, p["package"], ".done.json")
    try:
        with open(path) as f:
            stamp = json.load(f)
    except (OSError, ValueError):
        return None
    if (
        stamp.get("format") != STAMP_FORMAT
        or stamp.get("version") != p["version"]
        or stamp.get("deb_sha256") != p["sha256"]
    ):
        return None
    root = os.path.dirname(audio_root)
    for row in stamp["tracks"]:
        if not os.path.isfile(os.path.join(root, row["file"])):
            return None
    return stamp


def ensure_sox():
    """sox with Ogg Vorbis support (Debian's sox and libsox-fmt-all), for the stems' mixes."""
    ok = shutil.which("sox") and "vorbis" in subprocess.run(
        ["sox", "--help"], capture_output=True, text=True
    ).stdout
    if ok:
        return
    log("installing Debian's sox and libsox-fmt-all (for mixing stems)")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    r = subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "sox", "libsox-fmt-all"],
        env=env,
        stdout=sys.stderr,
    )
    if r.returncode != 0:
        subprocess.run(["apt-get", "update", "-qq"], stdout=sys.stderr, check=True)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "sox", "libsox-fmt-all"],
            env=env,
            stdout=sys.stderr,
            check=True,
        )


def build(args):
    manifest = load_manifest(args.manifest)
    if args.only:
        manifest = [p for p in manifest if p["package"] in args.only]
    out = os.path.abspath(args.out)
    debs, audio_root, scratch = (os.path.join(out, d) for d in ("debs", "audio", "scratch"))
    for d in (debs, audio_root, scratch):
        os.makedirs(d, exist_ok=True)
    stamps = []
    need_sox = True
    for p in manifest:
        stamp = stamp_ok(p, audio_root)
        if stamp is None:
            if need_sox:
                ensure_sox()
                need_sox = False
            deb = download(p, debs)
            stamp = process_package(p, deb, audio_root, scratch)
            minutes = sum(float(r["duration_s"]) for r in stamp["tracks"]) / 60
            log(
                f"{p['package']}: {len(stamp['tracks'])} tracks, {minutes:.0f} min, "
                f"{stamp['short_files']} short files, skipped {stamp['skipped']} "
                f"({stamp['seconds']:.0f} s)"
            )
        stamps.append(stamp)
    shutil.rmtree(scratch, ignore_errors=True)

    seen, rows, dupes = set(), [], 0
    for stamp in stamps:
        for row in stamp["tracks"]:
            if row["sha256"] in seen:
                dupes += 1
                continue
            seen.add(row["sha256"])
            rows.append(dict(row, kind=kind(row)))
    if args.tracks and not args.only:
        with open(args.tracks, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=TRACK_COLUMNS, lineterminator="\n")
            w.writeheader()
            w.writerows(rows)
    # The track table for the teacher, next to the audio (same rows).
    with open(os.path.join(out, "tracks.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=TRACK_COLUMNS, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)

    print(f"{'package':28} {'version':22} {'tracks':>6} {'min':>6} {'sound':>5} {'short':>6}  skipped")
    for stamp in stamps:
        mine = [dict(r, kind=kind(r)) for r in stamp["tracks"]]
        minutes = sum(float(r["duration_s"]) for r in mine if r["kind"] == "music") / 60
        sounds = sum(r["kind"] == "sound" for r in mine)
        print(
            f"{stamp['package']:28} {stamp['version']:22} {len(mine) - sounds:6} {minutes:6.1f} "
            f"{sounds:5} {stamp['short_files']:6}  "
            f"{', '.join(f'{k}: {v}' for k, v in sorted(stamp['skipped'].items())) or '-'}"
        )
    total = sum(float(r["duration_s"]) for r in rows) / 60
    music = [r for r in rows if r["kind"] == "music"]
    music_min = sum(float(r["duration_s"]) for r in music) / 60
    skipped = {}
    for stamp in stamps:
        for k, v in stamp["skipped"].items():
            skipped[k] = skipped.get(k, 0) + v
    print(
        f"total: {len(rows)} distinct files, {total:.0f} min ({total / 60:.1f} h); music "
        f"{len(music)} tracks, {music_min:.0f} min ({music_min / 60:.1f} h); "
        f"{dupes} duplicate files left out; skipped (format the engine does not decode, any "
        f"length): {skipped or 'none'}"
    )


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--manifest", default="corpus/packages.json")
    ap.add_argument("--out", default="target/corpus")
    ap.add_argument("--tracks", default="corpus/tracks.csv")
    ap.add_argument("--only", nargs="*", help="process only these packages (no tracks.csv)")
    ap.add_argument("--pin", nargs="*", help="pin these packages' current apt versions")
    args = ap.parse_args()
    if args.pin:
        pin(args.pin, args.manifest)
        return
    build(args)


if __name__ == "__main__":
    main()
