//! `mcclstm dataset make`: the data the default models are trained on. These tests render with
//! the real SoundFont and abc2midi (Debian's fluid-soundfont-gm and abcmidi, which `cargo xtask
//! test` installs when missing), because what they pin is the audio the trainer reads.

use std::path::{Path, PathBuf};

use mcclstm_data::dataset::{self, DatasetKind};
use mcclstm_synth::{self as make, MakeKind, MakeOptions, synth};

fn options(kind: MakeKind, out: &Path) -> MakeOptions {
    MakeOptions {
        kind,
        out: out.to_path_buf(),
        soundfont: PathBuf::from(synth::DEFAULT_SOUNDFONT),
        abc: None,
        per_class: 1,
        min_tunes: 2,
        // Short tracks keep the test fast; two chunks of the paper's 3.715 s fit.
        seconds: 8.0,
        sample_rate: 22050,
        seed: 1,
        offset: 0,
        renders: 1,
        speed: 1.0,
        dances: Vec::new(),
        shared_meter_tempo: false,
        dotted_hornpipes: false,
        articulation: None,
        produce: false,
        leave_out_titles_of: None,
    }
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn genre_set_has_every_genre_is_reproducible_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let report = make::make(&options(MakeKind::Genre, dir.path()), &|| {}).unwrap();
    assert!(report.skipped.is_empty(), "{:?}", report.skipped);
    assert_eq!(
        report.labels,
        make::arranger::GENRES.map(String::from).to_vec()
    );
    assert!(report.counts().iter().all(|(_, n)| *n == 1));

    // The generic reader sees the same set.
    let ds = dataset::open(DatasetKind::Generic, &dir.path().join("tracks.csv")).unwrap();
    assert_eq!(ds.tracks.len(), 10);
    assert_eq!(ds.labels.len(), 10);

    // A second maker in another folder writes the same bytes (seeded by seed and track name).
    let again = tempfile::tempdir().unwrap();
    make::make(&options(MakeKind::Genre, again.path()), &|| {}).unwrap();
    let first = &report.tracks[3].path;
    assert_eq!(
        read(&dir.path().join(first)),
        read(&again.path().join(first))
    );

    // An interrupted run (the summary, written last, is missing) remakes that track identically;
    // complete tracks are kept as they are.
    let wav = dir.path().join(first);
    let before = read(&wav);
    std::fs::remove_file(wav.with_extension("txt")).unwrap();
    std::fs::write(&wav, b"half-written").unwrap();
    make::make(&options(MakeKind::Genre, dir.path()), &|| {}).unwrap();
    assert_eq!(read(&wav), before);
}

#[test]
fn speed_stretches_the_same_song() {
    let normal = tempfile::tempdir().unwrap();
    let faster = tempfile::tempdir().unwrap();
    let mut opts = options(MakeKind::Mood, normal.path());
    make::make(&opts, &|| {}).unwrap();
    opts.out = faster.path().to_path_buf();
    opts.speed = 1.06;
    let report = make::make(&opts, &|| {}).unwrap();
    let track = &report.tracks[0].path;
    let mid = Path::new(track).with_extension("mid");
    // Same notes (the MIDI), played faster: the audio differs.
    assert_eq!(
        read(&normal.path().join(&mid)),
        read(&faster.path().join(&mid))
    );
    assert_ne!(
        read(&normal.path().join(track)),
        read(&faster.path().join(track))
    );

    // The offset gives other songs.
    let other = tempfile::tempdir().unwrap();
    opts.out = other.path().to_path_buf();
    opts.speed = 1.0;
    opts.offset = 1;
    let shifted = make::make(&opts, &|| {}).unwrap();
    assert_ne!(shifted.tracks[0].path, report.tracks[0].path);
}

#[test]
fn produce_puts_the_same_songs_through_a_drawn_chain() {
    let dry = tempfile::tempdir().unwrap();
    let produced = tempfile::tempdir().unwrap();
    let mut opts = options(MakeKind::Genre, dry.path());
    let plain = make::make(&opts, &|| {}).unwrap();
    opts.out = produced.path().to_path_buf();
    opts.produce = true;
    let report = make::make(&opts, &|| {}).unwrap();
    assert!(report.produce);
    assert_eq!(report.tracks.len(), plain.tracks.len());
    let mut chains = std::collections::BTreeSet::new();
    for (p, d) in report.tracks.iter().zip(&plain.tracks) {
        // The same notes and the same summary up to the chain; other audio.
        let mid = Path::new(&p.path).with_extension("mid");
        assert_eq!(
            read(&dry.path().join(&mid)),
            read(&produced.path().join(&mid))
        );
        let (song, chain) = p.summary.split_once("; produced: ").expect(&p.summary);
        assert_eq!(song, d.summary);
        chains.insert(chain.to_string());
        assert_ne!(
            read(&dry.path().join(&p.path)),
            read(&produced.path().join(&p.path))
        );
    }
    // Drawn per track.
    assert_eq!(chains.len(), report.tracks.len());

    // Made again into the dry set's folder, the produced set is refused (the dry tracks would
    // be kept), and the dry set is left as it was.
    let before = read(&dry.path().join(&plain.tracks[0].path));
    let err = make::make(&opts_into(&opts, dry.path()), &|| {}).unwrap_err();
    assert!(err.to_string().contains("--produce"), "{err}");
    assert_eq!(read(&dry.path().join(&plain.tracks[0].path)), before);
    // The same options into the same folder resume as before.
    opts.produce = false;
    make::make(&opts_into(&opts, dry.path()), &|| {}).unwrap();
}

fn opts_into(options: &MakeOptions, out: &Path) -> MakeOptions {
    MakeOptions {
        out: out.to_path_buf(),
        ..options.clone()
    }
}

/// A small ABC collection: `n` tunes of each of two dances, plus a tune without a rhythm and a
/// file that is not ABC.
fn write_tunes(dir: &Path, n: usize) {
    for i in 0..n {
        std::fs::write(
            dir.join(format!("Reel{i}.abc")),
            format!(
                "X:1\nT:Reel {i}\nR:reel\nM:C|\nL:1/8\nK:D\n\
                 |:DFAF dFAF|GBdB gBdB|AcEc ecAc|dfed cdBc:|\n"
            ),
        )
        .unwrap();
        std::fs::write(
            dir.join(format!("Jig{i}.abc")),
            format!(
                "X:1\nT:Jig {i}\nR:jig\nM:6/8\nL:1/8\nK:G\n\
                 |:GAB cBA|BGE EDE|GAB dBG|AFD DEF:|\n"
            ),
        )
        .unwrap();
    }
    std::fs::write(dir.join("Air.abc"), "X:1\nT:Air\nM:3/4\nK:C\nCDE|\n").unwrap();
    std::fs::write(dir.join("Broken.abc"), "this is not a tune").unwrap();
}

#[test]
fn dance_set_groups_takes_of_a_tune_and_held_out_tunes_are_new() {
    let abc = tempfile::tempdir().unwrap();
    write_tunes(abc.path(), 4);
    let train = tempfile::tempdir().unwrap();
    let mut opts = options(MakeKind::Dance, train.path());
    opts.abc = Some(abc.path().to_path_buf());
    opts.per_class = 3;
    opts.offset = 1;
    opts.renders = 2;
    let report = make::make(&opts, &|| {}).unwrap();
    assert_eq!(report.labels, vec!["reel", "jig"]);
    assert_eq!(report.counts(), vec![("reel".into(), 6), ("jig".into(), 6)]);
    // The broken file is reported, the tune without a rhythm is simply not a dance.
    assert_eq!(report.skipped.len(), 1, "{:?}", report.skipped);
    assert!(report.skipped[0].0.ends_with("Broken.abc"));
    let ds = dataset::open(DatasetKind::Generic, &train.path().join("tracks.csv")).unwrap();
    assert!(ds.has_groups());
    let groups: std::collections::BTreeSet<String> =
        report.tracks.iter().map(|t| t.group.clone()).collect();
    assert_eq!(groups.len(), 6, "two takes per tune share the tune's group");

    let held = tempfile::tempdir().unwrap();
    opts.out = held.path().to_path_buf();
    opts.per_class = 1;
    opts.offset = 0;
    opts.renders = 1;
    let held_out = make::make(&opts, &|| {}).unwrap();
    assert_eq!(held_out.tracks.len(), 2);
    for t in &held_out.tracks {
        assert!(!groups.contains(&t.group), "{} is in both sets", t.group);
    }
}

#[test]
fn a_missing_soundfont_names_the_package() {
    let dir = tempfile::tempdir().unwrap();
    let mut opts = options(MakeKind::Mood, dir.path());
    opts.soundfont = dir.path().join("none.sf2");
    let err = format!("{:#}", make::make(&opts, &|| {}).unwrap_err());
    assert!(err.contains("fluid-soundfont-gm"), "{err}");
    // A dance set without tunes says where to find them.
    let mut opts = options(MakeKind::Dance, dir.path());
    opts.abc = None;
    let err = format!("{:#}", make::make(&opts, &|| {}).unwrap_err());
    assert!(err.contains("ryansMammoth"), "{err}");
}

#[test]
fn a_tune_book_gives_a_track_per_tune_and_dances_picks_the_classes() {
    let abc = tempfile::tempdir().unwrap();
    // O'Neill's 1850 collection is written this way: many numbered tunes in one file.
    let mut book = String::from("% a tune book\n\n");
    for x in 1..=3 {
        book.push_str(&format!(
            "X: {x}\nT: Reel {x}\nR:Reel\nM:C|\nL:1/8\nK:D\n|:DFAF dFAF|GBdB gBdB:|\n\n\
             X: {}\nT: Jig {x}\nR:double jig\nM:6/8\nL:1/8\nK:G\n|:GAB cBA|BGE EDE:|\n\n",
            x + 10
        ));
    }
    book.push_str("X: 30\nT: Hornpipe\nR:hornpipe\nM:2/4\nL:1/16\nK:A\nABcd efga|\n");
    std::fs::write(abc.path().join("book.abc"), book).unwrap();
    let out = tempfile::tempdir().unwrap();
    let mut opts = options(MakeKind::Dance, out.path());
    opts.abc = Some(abc.path().to_path_buf());
    opts.per_class = 2;
    opts.min_tunes = 1;
    opts.dances = vec!["reel".into(), "jig".into()];
    let report = make::make(&opts, &|| {}).unwrap();
    assert_eq!(
        report.labels,
        vec!["reel", "jig"],
        "the hornpipe is not asked for"
    );
    assert_eq!(report.counts(), vec![("reel".into(), 2), ("jig".into(), 2)]);
    assert!(report.skipped.is_empty(), "{:?}", report.skipped);
    let mut wavs = std::collections::BTreeSet::new();
    for t in &report.tracks {
        assert!(t.group.starts_with("book-x"), "{}", t.group);
        // Each tune of the book is its own render: abc2midi was asked for that tune.
        let title = t.summary.split(':').next().unwrap_or_default();
        let number: u32 = t.group["book-x".len()..].parse().unwrap();
        let expected = if t.label == "reel" {
            format!("Reel {number}")
        } else {
            format!("Jig {}", number - 10)
        };
        assert_eq!(title, expected);
        assert!(wavs.insert(read(&out.path().join(&t.path))));
    }
    opts.dances = vec!["polka".into()];
    let err = format!("{:#}", make::make(&opts, &|| {}).unwrap_err());
    assert!(err.contains("unknown dance \"polka\""), "{err}");
}

#[test]
fn tunes_another_collection_shares_a_title_with_are_left_out_and_the_rest_are_unchanged() {
    // The training collection: one file per tune, titled the way Ryan's Mammoth writes them.
    let ours = tempfile::tempdir().unwrap();
    std::fs::write(
        ours.path().join("LiverpoolHornpipe.abc"),
        "X:1\nT:Liverpool -- Hornpipe\nR:hornpipe\nM:C\nL:1/8\nK:D\n|:DFAF dFAF:|\n",
    )
    .unwrap();
    // A tune of any rhythm counts, and so does a second title.
    std::fs::write(
        ours.path().join("Air.abc"),
        "X:1\nT:An Air\nT:Morgan Rattler\nM:3/4\nK:C\nCDE|\n",
    )
    .unwrap();
    // The other collection, a tune book: two of its tunes are the training collection's.
    let book = "X: 1\nT: Liverpool Hornpipe, The\nR:hornpipe\nM:C\nL:1/8\nK:D\n|:DFAF dFAF:|\n\n\
                X: 2\nT: Kesh\nR:reel\nM:C|\nL:1/8\nK:G\n|:GABc dBGB:|\n\n\
                X: 3\nT: Short Grass No. 2\nT: Morgan Rattler\nR:reel\nM:C|\nL:1/8\nK:G\n\
                |:GABc dBGB:|\n\n\
                X: 4\nT: Fisher's Hornpipe\nR:hornpipe\nM:C\nL:1/8\nK:F\n|:FAcA fAcA:|\n";
    let other = tempfile::tempdir().unwrap();
    std::fs::write(other.path().join("book.abc"), book).unwrap();

    let whole = tempfile::tempdir().unwrap();
    let mut opts = options(MakeKind::Dance, whole.path());
    opts.abc = Some(other.path().to_path_buf());
    opts.per_class = 2;
    opts.min_tunes = 1;
    let all = make::make(&opts, &|| {}).unwrap();
    assert_eq!(all.tracks.len(), 4);
    assert!(all.left_out.is_empty());

    let kept_dir = tempfile::tempdir().unwrap();
    let mut leave = opts_into(&opts, kept_dir.path());
    leave.leave_out_titles_of = Some(ours.path().to_path_buf());
    let kept = make::make(&leave, &|| {}).unwrap();
    let mut left: Vec<&str> = kept.left_out.iter().map(|(g, _)| g.as_str()).collect();
    left.sort();
    assert_eq!(left, ["book-x1", "book-x3"], "{:?}", kept.left_out);
    assert_eq!(
        kept.left_out_titles_of.as_deref(),
        Some(ours.path().display().to_string().as_str())
    );
    let groups: Vec<&str> = kept.tracks.iter().map(|t| t.group.as_str()).collect();
    assert_eq!(groups.len(), 2, "{groups:?}");
    // The tunes kept are rendered exactly as in the set made without leaving any out.
    for t in &kept.tracks {
        let same = all.tracks.iter().find(|a| a.group == t.group).unwrap();
        assert_eq!(
            read(&kept_dir.path().join(&t.path)),
            read(&whole.path().join(&same.path))
        );
    }
    let csv = std::fs::read_to_string(kept_dir.path().join("tracks.csv")).unwrap();
    assert!(
        !csv.contains("book-x1") && !csv.contains("book-x3"),
        "{csv}"
    );

    // A folder that does not exist is an error, not an empty collection.
    leave.leave_out_titles_of = Some(ours.path().join("missing"));
    let err = format!("{:#}", make::make(&leave, &|| {}).unwrap_err());
    assert!(err.contains("cannot read the ABC folder"), "{err}");
    leave.leave_out_titles_of = Some(whole.path().to_path_buf());
    let err = format!("{:#}", make::make(&leave, &|| {}).unwrap_err());
    assert!(err.contains("holds no ABC file"), "{err}");
}

/// The plain set's summary with the articulation a track's notes were played at.
fn articulation_of(summary: &str, plain: &str) -> f64 {
    let rest = summary
        .strip_prefix(plain)
        .and_then(|r| r.strip_prefix(", notes sound "))
        .and_then(|r| r.strip_suffix(" of their length"))
        .unwrap_or_else(|| panic!("{summary:?} is not {plain:?} with an articulation"));
    rest.parse().unwrap()
}

#[test]
fn articulation_changes_only_how_long_the_melody_notes_sound() {
    let abc = tempfile::tempdir().unwrap();
    write_tunes(abc.path(), 2);
    let plain_dir = tempfile::tempdir().unwrap();
    let mut opts = options(MakeKind::Dance, plain_dir.path());
    opts.abc = Some(abc.path().to_path_buf());
    opts.per_class = 2;
    opts.renders = 2;
    let plain = make::make(&opts, &|| {}).unwrap();
    assert_eq!(plain.articulation, None);

    // The lead plays the melody on channel 0.
    let melody = |dir: &Path, track: &str| {
        let mid = Path::new(track).with_extension("mid");
        let mut channels = make::midi::channel_notes(&read(&dir.join(mid))).unwrap();
        std::mem::take(&mut channels[0])
    };
    // One articulation for every performance, then one drawn per performance.
    for (range, name) in [((0.46, 0.46), "fixed"), ((0.5, 1.0), "drawn")] {
        let dir = tempfile::tempdir().unwrap();
        let mut played = opts_into(&opts, dir.path());
        played.articulation = Some(range);
        let report = make::make(&played, &|| {}).unwrap();
        assert_eq!(report.articulation, Some(range));
        assert_eq!(report.tracks.len(), plain.tracks.len());
        let mut drawn = Vec::new();
        for (t, p) in report.tracks.iter().zip(&plain.tracks) {
            assert_eq!(t.path, p.path);
            // The same performance (every other draw is the plain set's), its notes shorter
            // or longer by the articulation against the usual 0.92.
            let a = articulation_of(&t.summary, &p.summary);
            assert!((range.0..=range.1).contains(&a), "{name}: {a}");
            drawn.push(a);
            let (ours, usual) = (
                melody(dir.path(), &t.path),
                melody(plain_dir.path(), &p.path),
            );
            assert!(ours.len() > 16, "{}", t.path);
            assert_eq!(ours.len(), usual.len());
            let mut compared = 0;
            for (i, (o, u)) in ours.iter().zip(&usual).enumerate() {
                assert_eq!((o.key, o.start), (u.key, u.start), "{name}: {}", t.path);
                // Articulated, a note ends before the next one of its key starts, so none is cut
                // to nothing (the tunes' notes are eighths, half a quarter).
                assert!(o.length > 0.1, "{name}: {} note {i}: {o:?}", t.path);
                // Where the timing jitter runs a note into the next one of its key in the plain
                // set, MIDI's one voice per key cuts one of them short there.
                let previous = usual[..i].iter().rev().find(|n| n.key == u.key);
                let next = usual[i + 1..].iter().find(|n| n.key == u.key);
                if previous.is_some_and(|n| n.start + n.length >= u.start - 1e-9)
                    || next.is_some_and(|n| n.start <= u.start + u.length + 1e-9)
                {
                    continue;
                }
                compared += 1;
                let ratio = o.length / u.length;
                assert!(
                    (ratio - a / 0.92).abs() < 0.02,
                    "{name}: {} sounds {ratio} of the usual length, not {a} / 0.92",
                    t.path
                );
            }
            assert!(
                compared * 10 > ours.len() * 9,
                "{name}: {compared} of {}",
                ours.len()
            );
            assert_ne!(
                read(&dir.path().join(&t.path)),
                read(&plain_dir.path().join(&p.path))
            );
        }
        drawn.sort_by(f64::total_cmp);
        drawn.dedup();
        // Drawn per performance: the takes of a tune are played differently too.
        let one = name == "fixed";
        assert_eq!(drawn.len() == 1, one, "{name}: {drawn:?}");
    }

    // Made again into the plain set's folder, an articulated set is refused and the plain
    // tracks are left as they were.
    let before = read(&plain_dir.path().join(&plain.tracks[0].path));
    let mut again = opts.clone();
    again.articulation = Some((0.5, 1.0));
    let err = make::make(&again, &|| {}).unwrap_err();
    assert!(err.to_string().contains("--articulation"), "{err}");
    assert_eq!(read(&plain_dir.path().join(&plain.tracks[0].path)), before);
}

#[test]
fn dance_options_on_an_arranged_set_are_refused_before_anything_is_made() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("set");
    let plain = options(MakeKind::Mood, &out);
    type Ask = fn(&mut MakeOptions);
    let cases: [(&str, Ask); 7] = [
        ("--abc", |o| o.abc = Some(PathBuf::from("tunes"))),
        ("--renders", |o| o.renders = 2),
        ("--dances", |o| o.dances = vec!["reel".into()]),
        ("--shared-meter-tempo", |o| o.shared_meter_tempo = true),
        ("--dotted-hornpipes", |o| o.dotted_hornpipes = true),
        ("--articulation", |o| o.articulation = Some((0.6, 1.0))),
        ("--leave-out-titles-of", |o| {
            o.leave_out_titles_of = Some(PathBuf::from("tunes"))
        }),
    ];
    for (flag, set) in cases {
        let mut asked = plain.clone();
        set(&mut asked);
        let err = make::planned(&asked).unwrap_err().to_string();
        assert!(
            err.starts_with(&format!("{flag} is for dance sets")) && err.contains("mood maker"),
            "{err}"
        );
        assert!(make::make(&asked, &|| {}).is_err());
        assert!(!out.exists(), "{flag}: something was made");
    }
    // Two at once are named together.
    let mut asked = plain.clone();
    asked.dotted_hornpipes = true;
    asked.articulation = Some((0.9, 0.9));
    let err = make::planned(&asked).unwrap_err().to_string();
    assert!(
        err.starts_with("--dotted-hornpipes, --articulation are for dance sets"),
        "{err}"
    );
}
