//! `cargo xtask models style`: the multi-label `style` model (issue 17, step 5), learned from the
//! teacher's tags on the real-music corpus and on the synthetic genre and mood training sets
//! (`cargo xtask teacher --synthetic`), and measured per tag against the teacher on the held-out
//! packages.
//!
//! The tags and the teacher tags behind each are `STYLE_MODEL` in `scripts/corpus_mapping.py`
//! (`--targets style` writes the tag CSVs); `docs/teacher-mapping.md` says why these tags.

use std::path::Path;
use std::process::Command;

use anyhow::Context;

use crate::models::{
    HELD_OUT_PACKAGES, MAX_CHUNKS, MODEL_FLAGS, TRIED_HEADING, check_renders, map_targets,
    set_card_sections, train_once,
};
use crate::run;

/// What the style model learned from, as its card and metadata name it.
const DATA_NAME: &str = "real-music corpus tagged by musicnn (corpus/, without the held-out \
                         packages) + the synthetic genre and mood training sets tagged by musicnn \
                         (corpus/synthetic/)";

/// The teacher's style targets of the synthetic renders (`corpus/synthetic/`): makes the sets
/// when they are missing, checks that each render is the one the teacher tagged, and maps the
/// tags (`scripts/corpus_mapping.py --targets style`) into `out/train.csv`, which it returns.
fn synthetic_targets(
    root: &Path,
    work: &Path,
    mcclstm: &Path,
    out: &Path,
) -> anyhow::Result<std::path::PathBuf> {
    check_renders(root, work, mcclstm)?;
    let python = crate::python().context("the style targets need python3")?;
    run(
        "style: the teacher's targets on the synthetic renders",
        Command::new(python)
            .arg(root.join("scripts/corpus_mapping.py"))
            .args([
                "--corpus",
                "corpus/synthetic",
                "--targets",
                "style",
                "--audio",
            ])
            .arg(work)
            .args(["--hold-out", "", "--out"])
            .arg(out),
    )?;
    Ok(out.join("train.csv"))
}

/// Epochs and patience of the style model's training: the corpus alone is about 1,300 minutes.
/// At 24 the seed-1 run's best epoch was its last; at 36 patience ends it at 34 (best: 30).
const EPOCHS: &str = "36";
const PATIENCE: &str = "4";

/// The seed of the shipped style run: of the three runs of this recipe (seeds 0, 1 and 2), the one
/// with the best mean ROC-AUC on the selection packages (`corpus/selection/`), which no model
/// trains on and no card's test figure comes from.
const SEED: &str = "1";

/// Trains `models/style.onnx` on `work/style/real/train.csv` and writes its card's real-music
/// section from `mcclstm evaluate` on the held-out packages' chunks.
pub fn build_style(root: &Path, work: &Path, mcclstm: &Path, cache: &Path) -> anyhow::Result<()> {
    let data = work.join("style");
    let real = data.join("real");
    map_targets(root, "style", &real, None)?;
    let selection = data.join("selection");
    crate::models::map_selection_targets(root, "style", &selection)?;
    let synthetic = synthetic_targets(root, work, mcclstm, &data.join("synthetic"))?;
    // The real corpus's chunks, then the synthetic renders'.
    let train = data.join("train.csv");
    let mut rows = std::fs::read_to_string(real.join("train.csv"))
        .with_context(|| format!("cannot read {}", real.join("train.csv").display()))?;
    let more = std::fs::read_to_string(&synthetic)
        .with_context(|| format!("cannot read {}", synthetic.display()))?;
    rows.push_str(more.split_once('\n').map_or("", |(_, body)| body));
    std::fs::write(&train, rows).with_context(|| format!("cannot write {}", train.display()))?;
    let model = Path::new("models/style.onnx");
    let train_csv = train.display().to_string();
    let model_str = model.display().to_string();
    let mut train = vec![
        "train",
        "--dataset",
        "tags",
        "--root",
        &train_csv,
        "--task",
        "style",
        "--data-name",
        DATA_NAME,
        "--loss",
        "every-step",
        "--out",
        &model_str,
        "--group-split",
        "--max-chunks",
        MAX_CHUNKS,
        "--epochs",
        EPOCHS,
        "--patience",
        PATIENCE,
    ];
    train.extend(MODEL_FLAGS);
    train.extend(["--seed", SEED]);
    // The model this rebuild replaces, kept once, for the side-by-side figures.
    let previous = data.join("previous.onnx");
    if !previous.is_file() && model.is_file() {
        std::fs::copy(model, &previous).with_context(|| {
            format!("cannot keep {} as {}", model.display(), previous.display())
        })?;
    }
    train_once("style", model, &data, &train, || {
        run(
            "style: train MCCLSTM on the teacher's tags",
            Command::new(mcclstm)
                .args(&train)
                .env("MCCLSTM_CACHE", cache),
        )
    })?;
    // A rerun that trained nothing would compare the model with itself.
    let replaced = previous.is_file() && std::fs::read(&previous).ok() != std::fs::read(model).ok();
    let section = real_music_section(
        mcclstm,
        model,
        replaced.then_some(previous.as_path()),
        &real.join("test.csv"),
    )?;
    let chose = selection_section(
        mcclstm,
        model,
        replaced.then_some(previous.as_path()),
        &selection.join("test.csv"),
        &crate::corpus::manifest_packages(&root.join("corpus/selection/packages.json"))?,
    )?;
    let train_tool = mcclstm.with_file_name("mcclstm-train");
    set_card_sections(
        &train_tool,
        model,
        &[
            serde_json::json!({"heading": REAL_HEADING, "body": section}),
            serde_json::json!({"heading": SELECTION_HEADING, "body": chose}),
            serde_json::json!({"heading": "Teacher and licences", "body": PROVENANCE}),
            serde_json::json!({"heading": CANNOT_KNOW_HEADING, "body": CANNOT_KNOW}),
            serde_json::json!({"heading": TRIED_HEADING, "body": STYLE_TRIED}),
        ],
        &[REAL_HEADING, SELECTION_HEADING, "Teacher and licences"],
    )
}

const REAL_HEADING: &str = "Real music: agreement with the teacher per tag (held-out packages)";

const SELECTION_HEADING: &str =
    "Real music: agreement with the teacher per tag (selection packages, which chose the run)";

const CANNOT_KNOW_HEADING: &str = "What this model cannot know";

/// What was tried on the style model and not kept, with its measurements.
const STYLE_TRIED: &str = "Until 2026-12-06 the shipped model was the seed-0 run of this \
recipe with at most 24 epochs; \"shipped\" in the paragraphs below, up to the last two, means \
that model, and the last two say how the seed-1 run, then the same run trained past its cap, \
replaced it.\n\n**Rare tags weighed up** (`mcclstm train --balance` on independent \
tags: the chunks where a tag is present weigh (1 - p) / p, p its mean target, within 1 and 10, \
with the logits shifted inside the loss so the outputs still estimate the teacher's \
probabilities), not kept. The shipped model's data, split and options otherwise, so the weighting \
is the only difference (deterministic trainer); the ROC-AUC on the held-out packages' 4602 chunks \
as in the first section (`mcclstm evaluate --dataset tags --root \
target/models/style/real/test.csv`), shipped -> weighed: electronic 0.771 -> 0.785, orchestral \
0.901 -> 0.905, percussive 0.891 -> 0.892, guitar 0.826 -> 0.824, ambient 0.850 -> 0.851, rock \
0.941 -> 0.956, metal 0.982 -> 0.989, piano 0.743 -> 0.700, synth 0.714 -> 0.731, fast 0.970 -> \
0.971, slow 0.880 -> 0.882, loud 0.979 -> 0.981, quiet 0.979 -> 0.978; mean 0.879 -> 0.880, 9 of \
13 tags at 0.85 or more either way (validation loss 0.2853 at epoch 15 of 19). Most tags moved \
by less than 0.02, and piano, one of the four tags under 0.85, lost 0.043: no better on the \
whole, and worse where it was weak. The four tags under 0.85 are not the rarest ones (electronic \
is the most common target), so weight is not what holds them back.\n\n\
**Produced renders of more songs** (600 more renders: `mcclstm dataset make --kind genre|mood \
--per-class 40 --offset 50 --produce`, the arranger's next songs, after the held-out sets', \
through the seeded production chain of EQ, compression, saturation, a room, a noise floor and an \
Ogg Vorbis round trip, and tagged by the teacher like the others), not kept. The shipped model's \
corpus rows and options otherwise (deterministic trainer); the training table grew from 1004 to \
1604 tracks. The ROC-AUC on the held-out packages' 4602 chunks as in the first section, shipped \
-> with the produced renders: electronic 0.771 -> 0.759, orchestral 0.901 -> 0.891, percussive \
0.891 -> 0.891, guitar 0.826 -> 0.768, ambient 0.850 -> 0.829, rock 0.941 -> 0.914, metal 0.982 \
-> 0.983, piano 0.743 -> 0.681, synth 0.714 -> 0.688, fast 0.970 -> 0.966, slow 0.880 -> 0.891, \
loud 0.979 -> 0.988, quiet 0.979 -> 0.983; mean 0.879 -> 0.864, 8 of 13 tags at 0.85 or more \
(shipped: 9); validation loss 0.2971 at epoch 9 of 13 (the shipped run: epoch 15 of 19). Guitar \
(-0.058) and piano (-0.062), tags the renders were meant to teach, lost most. The renders that \
first joined the corpus lifted piano from 0.606 to 0.743; a third of the data being General MIDI \
sounds, even produced ones, seems to pull these tags towards how FluidR3's instruments sound \
rather than recorded ones (a reading, not tested: the extra songs were not trained dry, so the \
chain and the amount are not separated, nor is the earlier stop). Run on 2026-12-06 with the two \
produced sets added to the synthetic sets the teacher tags and the style model learns from \
(`TAUGHT_SYNTHETIC` in xtask/src/models.rs), then `cargo xtask teacher --synthetic` and `cargo \
xtask models style`; that change was not kept. The teacher's rerun over all 1200 renders gave \
the 4800 earlier chunks exactly the tags they have in corpus/synthetic/teacher/.\n\n\
**Coloured training tracks** (`mcclstm train --colour`: each epoch every training sequence's mel \
bands moved by its own random level, tilt and bell, each within ±6 dB, so the model cannot lean \
on one package's mix or master), not kept. The shipped model's data, split and options \
otherwise (deterministic trainer); the ROC-AUC on the held-out packages' 4602 chunks as in the \
first section, shipped -> coloured: electronic 0.771 -> 0.796, orchestral 0.901 -> 0.899, \
percussive 0.891 -> 0.876, guitar 0.826 -> 0.772, ambient 0.850 -> 0.840, rock 0.941 -> 0.922, \
metal 0.982 -> 0.982, piano 0.743 -> 0.710, synth 0.714 -> 0.731, fast 0.970 -> 0.955, slow \
0.880 -> 0.872, loud 0.979 -> 0.978, quiet 0.979 -> 0.975; mean 0.879 -> 0.870, 8 of 13 tags at \
0.85 or more (ambient fell under). The rule, set before the figures were seen: keep it only if \
the mean rose by 0.005 or more and no fewer tags reached 0.85. Electronic and synth gained, \
guitar (-0.054) and piano (-0.033) lost most; a reading, not tested: the teacher's instrument \
tags rest on a spectral shape that a bell of ±6 dB can mimic or hide. Validation loss 0.2868 at epoch 23 of 24, still falling at the epoch \
cap (a longer run was not tried). Run on 2026-12-06 with `--colour` added to the style model's \
training command, then `cargo xtask models style` (38 min); that change was not kept, and the \
run's model and card are in `target/models/style/tried-colour/` on the machine that ran \
it.\n\n**Half the renders through MuseScore's General SoundFont** (another General MIDI set: \
MIT licence, Debian's `musescore-general-soundfont-lossless`, installed when used), not kept. \
The same 600 songs: the odd-numbered renders of each class came through MuseScore General and \
the even-numbered ones through FluidR3 as shipped, so the songs, the number of synthetic rows \
and the real rows were the shipped model's and only half the renders' instruments changed their \
sound. The teacher hears the same 300 songs through MuseScore as more violin (mean track \
probability 0.291 -> 0.364), strings (0.380 -> 0.445) and drums (0.158 -> 0.220) and less \
electronic (0.323 -> 0.275), piano (0.220 -> 0.182) and synth (0.231 -> 0.195). The ROC-AUC on \
the held-out packages' 4602 chunks as in the first section, shipped -> two SoundFonts: \
electronic 0.771 -> 0.779, orchestral 0.901 -> 0.894, percussive 0.891 -> 0.886, guitar 0.826 \
-> 0.777, ambient 0.850 -> 0.839, rock 0.941 -> 0.938, metal 0.982 -> 0.986, piano 0.743 -> \
0.731, synth 0.714 -> 0.698, fast 0.970 -> 0.958, slow 0.880 -> 0.881, loud 0.979 -> 0.976, \
quiet 0.979 -> 0.979; mean 0.879 -> 0.871, 8 of 13 tags at 0.85 or more (ambient fell under); \
validation loss 0.2884 at epoch 19 of 23. The rule, set before the figures were seen, was the \
colour run's. Guitar lost most (-0.049), as it did with the produced renders and the colour, \
and by more than a retrain moves it (below); the renders' new keys also drew another validation \
split, which the retrains below measure. Run on 2026-12-06: `mcclstm dataset make --kind \
genre|mood --per-class 40 --soundfont /usr/share/sounds/sf2/MuseScore_General_Full.sf2` (the \
training sets' seed and offset: the manifests' summaries match the shipped renders' song for \
song), `scripts/teacher.py` in `cargo xtask teacher`'s environment over the 300 odd-numbered \
renders (2.3 min), `scripts/corpus_mapping.py --targets style` on their table, then `mcclstm \
train` with the shipped style options on the real rows, the even-numbered renders' rows of \
`target/models/style/synthetic/train.csv` and the MuseScore renders' rows (36 min); the run's \
tables, model and card are in `target/models/style/tried-musescore/` on the machine that ran \
it.\n\n**64 mel bands instead of 40** (`mcclstm train --mels 64`: the same 0 to 11025 Hz in 64 \
bands, where the teacher hears 96; the shipped data, split, seed and options otherwise), not \
kept: its first run was the best candidate so far, a retrain of it with another seed one of \
the worst. The rule, written before any of its features was \
computed: keep it only if the mean rises by 0.015 or more (three times the retrains' spread of \
the mean, below), no fewer tags reach 0.85, and the file stays under 8 MB. The ROC-AUC on the \
held-out packages' 4602 chunks as in the first section, shipped -> 64 mels, with the paired 95% \
interval of the difference (`mcclstm evaluate ... --against models/style.onnx`): electronic \
0.771 -> 0.801 (+0.030, -0.002 to +0.069), orchestral 0.901 -> 0.902, percussive 0.891 -> \
0.886, guitar 0.826 -> 0.840 (+0.015, -0.001 to +0.032), ambient 0.850 -> 0.867, rock 0.941 -> \
0.932 (-0.009, -0.021 to -0.002), metal 0.982 -> 0.986, piano 0.743 -> 0.787 (+0.044, +0.006 \
to +0.081), synth 0.714 -> 0.741 (+0.028, -0.030 to +0.099), fast 0.970 -> 0.968, slow 0.880 \
-> 0.896, loud 0.979 -> 0.978, quiet 0.979 -> 0.982; mean 0.879 -> 0.890 (+0.011, +0.002 to \
+0.020), 9 of 13 tags at 0.85 or more either way; 7,892,309 bytes. The mean rose by less than \
the rule asked, so it was not kept. It is the first change that lifted all four weak tags at \
once, and its mean was above every retrain's (0.877 to 0.882), so the recipe was retrained \
with `--seed 1` under a second rule, for the recipe rather than one run, written before that \
run started: ship the 64-mel seed-0 model only if the two 64-mel runs' mean averages at least \
0.008 above the three 40-mel runs' (0.8795; the seed-1 run needed 0.8853) and the seed-1 run \
lifts at least three of the four weak tags above their 40-mel average. It did neither: \
electronic 0.774, orchestral 0.899, percussive 0.897, guitar 0.813, ambient 0.835, rock 0.912, \
metal 0.987, piano 0.722, synth 0.659, fast 0.962, slow 0.882, loud 0.980, quiet 0.971; mean \
0.869 (against the shipped model -0.010, paired 95% -0.017 to -0.003; against the seed-0 64-mel \
run -0.021, -0.031 to -0.012), 8 of 13 tags at 0.85 or more (ambient fell under), the weak tags \
at or below their 40-mel averages (0.776, 0.814, 0.753, 0.719). The two 64-mel runs average \
0.879, the three 40-mel runs 0.880: 64 bands changed the spread between runs (0.021 against \
0.005), not the level, and the seed-0 run's gain was its draw. The price, had it held: an epoch \
took about 255 s instead of 95 s (the B channel's convolution and the dense layer grow with the \
bands), the file is 7.9 MB against 4.5 MB, near the 8 MB budget, and `mcclstm analyze` of the \
bench's 100 clips with the style model alone took 1.3 to 1.4 times the CPU (one job, the median \
of three alternating runs, in two sets: 1.76 s against 1.25 s, then 1.49 s against 1.16 s; \
`/usr/bin/time -f \"%U+%S\" target/release/mcclstm analyze --json --jobs 1 --model M \
target/bench/clips/*/*.wav`; the model reads its own frontend, so in the plugin it would add a \
second frame stream). Validation loss 0.2880 at epoch 15 of 19 (seed 0), 0.2973 at \
epoch 8 of 12 (seed 1). Run on 2026-12-06 (107 min, part of it sharing the cores with builds \
and a CI run; the seed-1 run 56 min): the shipped training command with `--mels 64` (and \
`--seed 1`); the runs' models, cards, logs, evaluations and rules are in \
`target/models/style/tried-mels64/` and `tried-mels64-seed-1/` on the machine that ran them.\n\n**How far a retrain moves these figures** (a measurement, not a candidate: the shipped \
data and options with `--seed 1` and `--seed 2`, each drawing another validation split, other \
initial weights and another order; decided before their figures were seen that neither would be \
shipped, since choosing a seed on the held-out packages would make them a selection set; the \
selection packages later chose one, the last paragraph). The \
ROC-AUC on the held-out packages' 4602 chunks as in the first section, seed 0 (shipped) / 1 / \
2: electronic 0.771 / 0.794 / 0.764, orchestral 0.901 / 0.905 / 0.891, percussive 0.891 / 0.885 \
/ 0.879, guitar 0.826 / 0.801 / 0.815, ambient 0.850 / 0.855 / 0.856, rock 0.941 / 0.924 / \
0.936, metal 0.982 / 0.982 / 0.983, piano 0.743 / 0.768 / 0.748, synth 0.714 / 0.732 / 0.710, \
fast 0.970 / 0.974 / 0.973, slow 0.880 / 0.898 / 0.878, loud 0.979 / 0.978 / 0.989, quiet 0.979 \
/ 0.976 / 0.980; mean 0.879 / 0.882 / 0.877, 9 / 9 / 9 of 13 tags at 0.85 or more. A retrain \
alone moved single tags by up to 0.029 and the mean by up to 0.005, so a change of 0.02 in one \
tag does not tell a candidate from a retrain; the rule's 0.005 on the mean is about one \
retrain's spread. The four tags under 0.85 stayed under it in every retrain (at best electronic \
0.794, guitar 0.826, piano 0.768, synth 0.732), and the guitar of the produced, coloured and \
two-SoundFont runs (0.768 to 0.777) is under every retrain's. Run on 2026-12-06 (44 min, 24 \
epochs with the best at the cap, and 30 min, 18 epochs); the models and cards are in `target/models/style/seed-1/` and `seed-2/` on the machine \
that ran them.\n\n**What the intervals tell, and what they do not** (`mcclstm evaluate --dataset \
tags --root target/models/style/real/test.csv --model models/style.onnx --against OTHER`: each \
tag's difference on the same 4602 chunks, with a 95% interval from a paired bootstrap over the \
80 held-out tracks). The shipped model minus a retrain, on the mean: seed 1 -0.004 (-0.010 to \
+0.003), seed 2 +0.002 (-0.005 to +0.009). Yet on single tags two retrains of one recipe differ \
by more than their paired interval allows for (seed 1: electronic -0.023, -0.043 to -0.005; slow \
-0.019, -0.032 to -0.006; rock +0.017, +0.001 to +0.042; seed 2: loud -0.010, -0.017 to \
-0.002): the interval counts which recordings were held out, not how the training went, so a \
tag's interval that leaves out 0 does not by itself make a candidate better. Against the \
shipped model, guitar lost -0.048 (-0.079 to -0.020) with half the renders through MuseScore and \
-0.053 (-0.088 to -0.022) with the colour: more than any retrain moved it and clear of the \
tracks' draw, so those losses are real. Piano's and synth's paired intervals are about ±0.05 \
wide (they rest on 32 and 42 tracks, a few chunks each): a change of 0.03 in either is no \
evidence either way.\n\n**Averaging the runs** (a measurement, not a candidate: the plugin runs \
one file under 8 MB, and averaging is not shipped). If the weak tags were held back by how one \
run happens to go, the average of several runs' outputs would lift them. `python3 \
scripts/tag_ensemble.py --test target/models/style/real/test.csv --model models/style.onnx \
--model target/models/style/seed-1/style.onnx --model target/models/style/seed-2/style.onnx` \
(each chunk's output averaged over the models, scored as `mcclstm evaluate` scores one model; \
the script checks that each model's own figures are evaluate's): the three 40-mel runs' average \
gives electronic 0.786, orchestral 0.907, percussive 0.889, guitar 0.825, ambient 0.866, rock \
0.936, metal 0.984, piano 0.771, synth 0.728, fast 0.975, slow 0.895, loud 0.981, quiet 0.980; \
mean 0.886 (the runs 0.877 to 0.882). With the two 64-mel runs added (five models): electronic \
0.795, guitar 0.835, piano 0.775, synth 0.726, mean 0.889. Averaging gains about 0.007 on the \
mean, and each weak tag stays at or under its best single run, far under 0.85: what holds \
them back is what the training data teaches about these sounds, not the draw of a run. Nor is \
it one odd package: within each held-out package (the same script with only the shipped model \
and `--by-package`) the weak tags rank chunks mostly worse than over all five, electronic 0.654 \
to 0.890 in the four packages where more than 7 chunks have it, synth 0.534 to 0.686 in the \
four where it occurs, piano \
0.598 to 0.810 in the three where more than 3 chunks have it: part of each overall figure is \
telling packages apart.\n\n**The seed, chosen on the selection packages** (the second \
section's 20 packages, 4195 chunks of 119 tracks: none trained on, none among the held-out \
packages). Six candidates in a row had been read on the held-out packages, so a third set was \
built to choose on, and this was the first choice made there. The rule, written before the \
choice (target/models/style/select-seed/RULE.md, 2026-12-06 20:28 UTC) but after every run's \
figures on both sets had been seen: of this recipe's three runs, ship the one with the best mean \
ROC-AUC on the selection packages as `mcclstm evaluate` prints it, and do not revive recipes that \
failed their own rules. Seed 0 / 1 / 2 there: electronic 0.882 / 0.908 / 0.902, orchestral \
0.920 / 0.925 / 0.916, percussive 0.872 / 0.869 / 0.855, guitar 0.762 / 0.819 / 0.813, ambient \
0.863 / 0.882 / 0.873, rock 0.931 / 0.865 / 0.824, piano 0.905 / 0.889 / 0.891, synth 0.749 / \
0.788 / 0.743, fast 0.972 / 0.973 / 0.964, slow 0.922 / 0.928 / 0.903, loud 0.996 / 0.992 / \
0.996, quiet 0.986 / 0.984 / 0.986 (no metal there); mean 0.897 / 0.902 / 0.889: seed 1. \
Seed 1 minus seed 0 with the paired 95% interval over the selection tracks (`mcclstm evaluate \
--dataset tags --root target/models/style/selection/test.csv --model SEED1 --against SEED0`): \
electronic +0.026 (+0.011 to +0.043), guitar +0.057 (+0.016 to +0.098), synth +0.039 (+0.009 \
to +0.076), piano -0.016 (-0.046 to +0.010), rock -0.066 (-0.116 to -0.023, on 52 chunks of 10 \
tracks). On the held-out packages (the first section) the same pair differs by +0.004 on the \
mean (-0.003 to +0.010): electronic +0.023 (+0.005 to +0.043), guitar -0.025 (-0.060 to \
+0.001), piano +0.025, synth +0.018, slow +0.019 (+0.006 to +0.032), rock -0.017 (-0.042 to \
-0.001). Rock is the one tag seed 1 loses on both sets. The recipe now says `--seed 1` \
(`SEED` in xtask/src/style.rs) and `cargo xtask models style` retrained it: the deterministic \
trainer gave the seed-1 run's 24 epochs again, loss for loss, and the same weights (the two \
files differ only in the time stamp of their metadata). The other candidates whose models are \
still here, on the selection packages for the record: coloured 0.889, half the renders through \
MuseScore 0.894, 64 mels 0.896 and 0.881, the model before the renders (corpus only) 0.854; \
none beats the seed-1 run there either. What the second \
set says about the weak tags: there, electronic (0.908) and piano (0.889) are over 0.85 and \
guitar (0.819) and synth (0.788) are not, so part of the held-out packages' low electronic and \
piano figures belongs to those packages.\n\n**Past the epoch cap: at most 36 epochs instead of \
24**, kept. The seed-1 run's best validation loss was at its last epoch (24 of 24), so the cap, \
not patience, had stopped it. The rule, written before the run (target/models/style/longer/\
RULE.md, 2026-12-06 20:45 UTC), judged on the selection packages alone: keep it only if the mean \
there rises by 0.005 or more and none of electronic, guitar, piano and synth falls by more than \
0.02. The learning rate is constant and everything random in an epoch derives from the seed and \
the epoch, so the run continues the seed-1 run (resumed from its epoch-23 checkpoint, `mcclstm \
train ... --epochs 36 --resume`, it gave epoch 24 again to the last digit) and early stopping \
ended it at epoch 34 with the best validation loss at epoch 30 (0.2929 against 0.2939). On the \
selection packages, against the 24-epoch run: electronic 0.908 -> 0.894 (-0.013, -0.035 to \
+0.007), orchestral 0.925 -> 0.917, percussive 0.869 -> 0.893, guitar 0.819 -> 0.824, ambient \
0.882 -> 0.887, rock 0.865 -> 0.953 (+0.088, +0.028 to +0.139), piano 0.889 -> 0.915 (+0.027, \
+0.001 to +0.066), synth 0.788 -> 0.798, fast 0.973 -> 0.980, slow 0.928 -> 0.937, loud 0.992 \
-> 0.997, quiet 0.984 -> 0.984; mean 0.902 -> 0.915 (+0.013): kept. Then, for the first time \
after a decision rather than before it, the held-out packages (the first section; paired against \
the 24-epoch run): mean 0.882 -> 0.894 (+0.011, +0.004 to +0.019), guitar 0.801 -> 0.844 \
(+0.043, +0.006 to +0.085), rock 0.924 -> 0.964 (+0.039, +0.003 to +0.097), piano 0.768 -> \
0.804 (+0.036, -0.001 to +0.067), synth 0.732 -> 0.746, electronic 0.794 -> 0.790, quiet 0.976 \
-> 0.965; the blind test agrees with the choice. The recipe's `EPOCHS` is now 36 and `cargo \
xtask models style` trained it from nothing (56 min): the same 34 epochs and the same weights as \
the resumed run.\n\n\
**The teacher's own tags as auxiliary targets** (an auxiliary head: the 50 tags of musicnn's MTT \
tagger, each chunk's probability as the teacher gives it, learned beside the 13 tags and left \
out of the model file), not kept. If the weak tags were held back by how little the 13 maxed \
tags say about a sound, the teacher's finer tags (techno, beat, harpsichord, strings, flute, \
vocal...) would give the shared layers more to learn from. The rule, written before the run \
(target/models/style/tried-aux/RULE.md, 2026-12-07 22:33 UTC), judged on the selection packages: \
keep it only if the mean there rises by 0.010 or more and none of electronic, guitar, piano and \
synth falls by more than 0.02. The shipped recipe (seed 1, at most 36 epochs, patience 4) on the \
shipped training rows, each with the 50 auxiliary columns (`python3 scripts/corpus_mapping.py \
--corpus corpus --targets style --auxiliary MTT: ...` for the corpus and `--corpus \
corpus/synthetic` for the renders, as `cargo xtask models style` runs it, then `mcclstm train` \
with the shipped options; the loss and the validation loss are the mean over all 63 outputs). \
Early stopping ended it at epoch 24 with the best validation loss at epoch 20 (the shipped run: \
34 and 30). On the selection packages, shipped -> auxiliary, with the paired 95% interval: \
electronic 0.894 -> 0.892, orchestral 0.917 -> 0.926, percussive 0.893 -> 0.859 (-0.034, -0.058 \
to -0.015), guitar 0.824 -> 0.809, ambient 0.887 -> 0.854 (-0.033, -0.064 to -0.010), rock 0.953 \
-> 0.728 (-0.225, on 52 chunks of 10 tracks), piano 0.915 -> 0.860 (-0.055, -0.136 to +0.001), \
synth 0.798 -> 0.755 (-0.043, -0.084 to +0.003), fast 0.980 -> 0.967, slow 0.937 -> 0.909, loud \
0.997 -> 0.952, quiet 0.984 -> 0.975; mean 0.915 -> 0.874 (-0.041): not kept. Read after the \
decision, the held-out packages (the first section) agree: mean 0.894 -> 0.861 (-0.033, -0.046 \
to -0.021), piano 0.804 -> 0.671 (-0.134, -0.204 to -0.069), synth 0.746 -> 0.662 (-0.084, \
-0.126 to -0.036), guitar 0.844 -> 0.771 (-0.072, -0.117 to -0.034), electronic 0.790 -> 0.769, \
8 of 13 tags at 0.85 or more (shipped: 9). The 13 tags are a fifth of the loss here, and the \
validation loss that stops the run is mostly the auxiliary tags', so a second run weighed them \
up (a measurement, not a candidate, with its own note written before it, \
target/models/style/tried-aux-dup/RULE.md: the same run with four copies of the 13 tags' columns \
as more auxiliary columns, so 65 of the 115 outputs learn the 13 tags' targets). It was worse: \
early stopping ended it at epoch 12 (best 8), selection mean 0.825 (-0.090), held-out mean 0.838 \
(-0.056, -0.071 to -0.044; piano 0.645, synth 0.615, guitar 0.739, electronic 0.728). So the \
weighting is not what holds the auxiliary head back; a reading, not tested: with more outputs \
the validation loss stops falling sooner (epochs 20 and 8 against 30), before the shared layers \
have learned what the shipped run's did. The auxiliary head is not pursued further. The trainer \
keeps the option (`aux:` columns of a tag CSV are learned and not exported): the same run \
through it, resumed from the run's last checkpoint, gave a 13-output file whose figures on the \
selection packages equal the run's to the last digit (`mcclstm evaluate ... --against`: +0.000 \
on every tag). Run on 2026-12-07 (45 min); the run's table, models, cards, log and evaluations \
are in `target/models/style/tried-aux/` on the machine that ran it.";

const CANNOT_KNOW: &str = "- It learned one teacher's opinion of game soundtracks, not listeners' \
tags: where musicnn is wrong on this music (it hears much orchestral music as ambient), so is \
this model, and its figures measure agreement with the teacher, not truth.\n\
- Vocals, and styles the corpus barely holds (jazz, folk, hip-hop, country, pop), have no tag: \
the corpus is nearly all instrumental game music.\n\
- Rock and metal rest on a few packages; fast, slow, loud and quiet on the teacher's weakest tags.\n\
- The tags are independent: several can be present at once, or none. A tag's probability is the \
teacher's level for it, which rarely reaches 0.5; read them as a ranking, shown from 0.30.";

const PROVENANCE: &str = "Every target of this model is a teacher's: musicnn 0.1.0 (Pons & Serra, \
ISC licence), run over the real-music corpus (`corpus/`: recorded game soundtracks from Debian \
`main` packages; licences per file in `corpus/tracks.csv`, mostly GPL-2+/GPL-3+ and \
CC-BY(-SA)-3.0; the audio is training data and is not in this repository or the model) and over \
the project's synthetic genre and mood training sets (600 General MIDI renders with FluidR3 GM, \
`corpus/synthetic/`, keyed by each render's sha256), which add piano, synth, guitar and \
orchestral sounds in settings the game music lacks. Each tag \
is the max of some of the teacher's tags (`STYLE_MODEL` in `scripts/corpus_mapping.py`; \
`docs/teacher-mapping.md`). musicnn's MTT taggers learned from MagnaTagATune, whose audio is \
licensed CC BY-NC-SA, and its MSD taggers from the Million Song Dataset's Last.fm tags: this model \
is shaped by a teacher trained on non-commercial audio. The model learns the teacher's \
probabilities, which rarely reach 0.5 on this music, so `mcclstm analyze` and the plugin show a \
tag from 0.30 (`TAG_PRESENT`). The corpus is nearly all instrumental game music: no vocals tag, \
and rock and metal rest on few packages.";

/// `mcclstm evaluate --dataset tags --json` of `model` on the tag CSV `test`: the report.
fn evaluate_tags(mcclstm: &Path, model: &Path, test: &Path) -> anyhow::Result<serde_json::Value> {
    let output = Command::new(mcclstm)
        .args(["evaluate", "--dataset", "tags", "--json", "--model"])
        .arg(model)
        .arg("--root")
        .arg(test)
        .output()
        .context("cannot run mcclstm evaluate")?;
    anyhow::ensure!(
        output.status.success(),
        "mcclstm evaluate of {} failed: {}",
        model.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).context("mcclstm evaluate printed no JSON")
}

/// Each tag's ROC-AUC in an [`evaluate_tags`] report, by tag name.
fn tag_aucs(report: &serde_json::Value) -> Vec<(String, Option<f64>)> {
    report["tags"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| {
            (
                t["tag"].as_str().unwrap_or("?").to_string(),
                t["roc_auc"].as_f64(),
            )
        })
        .collect()
}

/// A tag table of `model` on the tag CSV `test` beside the model it replaced (`previous`, when
/// there is one and it is another model), with what a section says about it.
struct TagTable {
    report: serde_json::Value,
    /// The Markdown table, one row per tag, and the sentences under it: the mean ROC-AUC with
    /// its interval, the tags at 0.85 or more, those under it over their whole interval, those
    /// whose interval holds it, and what the previous model scored.
    summary: String,
}

impl TagTable {
    fn new(
        mcclstm: &Path,
        model: &Path,
        previous: Option<&Path>,
        test: &Path,
    ) -> anyhow::Result<TagTable> {
        let report = evaluate_tags(mcclstm, model, test)?;
        let tags = report["tags"].as_array().context("evaluate: no tags")?;
        let before = match previous {
            Some(previous) => tag_aucs(&evaluate_tags(mcclstm, previous, test)?),
            None => Vec::new(),
        };
        let before_of = |tag: &str| {
            before
                .iter()
                .find(|(t, _)| t == tag)
                .and_then(|(_, auc)| *auc)
        };
        let mut rows = String::from(
            "| tag | ROC-AUC | 95% interval | previous model | chunks with the tag (tracks) | \
             without |\n|---|---|---|---|---|---|\n",
        );
        let mut aucs = Vec::new();
        let mut old = Vec::new();
        let (mut under, mut undecided) = (Vec::new(), Vec::new());
        let show = |a: Option<f64>| a.map_or("-".to_string(), |a| format!("{a:.3}"));
        for t in tags {
            let tag = t["tag"].as_str().unwrap_or("?");
            let auc = t["roc_auc"].as_f64();
            let was = before_of(tag);
            aucs.extend(auc);
            old.extend(was);
            match (
                t["interval"]["low"].as_f64(),
                t["interval"]["high"].as_f64(),
            ) {
                (_, Some(high)) if high < 0.85 => under.push(tag),
                (Some(low), _) if low < 0.85 => undecided.push(tag),
                _ => {}
            }
            rows.push_str(&format!(
                "| {tag} | {} | {} | {} | {} ({}) | {} |\n",
                show(auc),
                range(&t["interval"]),
                show(was),
                t["positives"],
                t["positive_tracks"],
                t["negatives"]
            ));
        }
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
        let over = |v: &[f64]| v.iter().filter(|&&a| a >= 0.85).count();
        let previous = if old.is_empty() {
            "\"Previous model\": none kept on this machine (`target/models/style/previous.onnx`)."
                .to_string()
        } else {
            format!(
                "The previous model (the one this rebuild replaced, kept as \
                 `target/models/style/previous.onnx`): mean {:.3}, {} of {} tags at 0.85 or more.",
                mean(&old),
                over(&old),
                old.len()
            )
        };
        let list = |tags: &[&str]| {
            if tags.is_empty() {
                "none".to_string()
            } else {
                tags.join(", ")
            }
        };
        // The bootstrap gives the mean no interval when a tag is present in a single track.
        let mean_range = match range(&report["mean_interval"]).as_str() {
            "-" => " (no interval: a tag present in one track has none)".to_string(),
            r => format!(" (95% interval {r})"),
        };
        let summary = format!(
            "{rows}\nMean ROC-AUC {m:.3}{mean_range} over the {n} tags the set has; {o} at 0.85 \
             or more (the issue's target). Under 0.85 over their whole interval: {under}; 0.85 \
             inside the interval: {undecided}. {previous}",
            m = mean(&aucs),
            n = aucs.len(),
            o = over(&aucs),
            under = list(&under),
            undecided = list(&undecided),
        );
        Ok(TagTable { report, summary })
    }
}

/// A 95% interval of an evaluate report as `low-high`.
fn range(interval: &serde_json::Value) -> String {
    match (interval["low"].as_f64(), interval["high"].as_f64()) {
        (Some(low), Some(high)) => format!("{low:.3}-{high:.3}"),
        _ => "-".to_string(),
    }
}

/// The style model's figures on the held-out packages' tag CSV, as a Markdown section.
fn real_music_section(
    mcclstm: &Path,
    model: &Path,
    previous: Option<&Path>,
    test: &Path,
) -> anyhow::Result<String> {
    let t = TagTable::new(mcclstm, model, previous, test)?;
    let report = &t.report;
    Ok(format!(
        "Each chunk of the {tracks} tracks of the held-out packages ({packages}; no track of \
         them was trained on), {chunks} chunks in all, as the model runs live (the state of every \
         chunk before it), against the teacher's tags of the same chunk; a tag counts as present \
         where the teacher's probability is {on} or more. ROC-AUC: how well the model's \
         probability ranks the chunks with the tag above those without (0.5 is chance). The 95% \
         interval comes from {resamples} resamples of the {tracks} tracks (a seeded bootstrap \
         over whole tracks): it says how much a figure rests on which recordings were held out, \
         not how much a retrain moves it (\"Tried and measured\" says that).\n\n\
         {summary}\n\nCommand: `cargo xtask models style` (it \
         runs `mcclstm evaluate --dataset tags --root target/models/style/real/test.csv --model \
         models/style.onnx`).",
        tracks = report["tracks"],
        packages = HELD_OUT_PACKAGES.join(", "),
        chunks = report["chunks"],
        on = report["on_at"],
        resamples = report["resamples"],
        summary = t.summary,
    ))
}

/// The style model's figures on the selection set's tag CSV, as a Markdown section: the same
/// table, said to be what chose the run rather than a blind test.
fn selection_section(
    mcclstm: &Path,
    model: &Path,
    previous: Option<&Path>,
    test: &Path,
    packages: &[String],
) -> anyhow::Result<String> {
    let t = TagTable::new(mcclstm, model, previous, test)?;
    let report = &t.report;
    Ok(format!(
        "A second set of recordings no model trains on: the {tracks} music tracks of the {count} \
         packages of `corpus/selection/` ({packages}), {chunks} chunks, scored as in the first \
         section. None of these packages is in the corpus the models learn from or among the \
         held-out packages above, and no file's audio is in both (sha256). This set chose the \
         shipped run among runs of one recipe (\"Tried and measured\" says how), so its figures \
         lean in the shipped model's favour: the first section is the blind test. It holds \
         little rock, no metal and next to no loud music, and more electronic, synth and piano \
         chunks than the held-out packages.\n\n{summary}\n\nCommand: `cargo xtask models style` (it runs `mcclstm evaluate --dataset tags --root \
         target/models/style/selection/test.csv --model models/style.onnx`).",
        tracks = report["tracks"],
        count = packages.len(),
        packages = packages.join(", "),
        chunks = report["chunks"],
        summary = t.summary,
    ))
}
