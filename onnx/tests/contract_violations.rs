//! Each way a model file can break the contract gets its own error, naming what is wrong.

use mcclstm_engine::contract::{keys, names};
use mcclstm_engine::{Architecture, ContractError, Model, Outputs, Preset};
use mcclstm_onnx::arch::ArchConfig;
use mcclstm_onnx::export::{self, ExportMeta, Weights};
use prost::Message;
use rand::SeedableRng;
use rand::rngs::StdRng;
use tract_onnx::pb;
use tract_onnx::pb::tensor_shape_proto::dimension::Value as DimValue;

fn valid_proto(arch: Architecture) -> pb::ModelProto {
    let mut config = ArchConfig::paper(arch);
    config.filters = 4;
    let meta = ExportMeta {
        task: "mood".to_string(),
        labels: ["anger", "fear", "sadness", "happiness", "tenderness"]
            .map(String::from)
            .to_vec(),
        frontend: Preset::Paper.config(),
        trained_on: serde_json::json!({"dataset": "test"}),
        metrics: serde_json::json!({}),
        outputs: mcclstm_engine::Outputs::Exclusive,
    };
    let mut rng = StdRng::seed_from_u64(9);
    let weights = Weights::random(&config, 40, 80, 5, &mut rng).unwrap();
    let bytes = export::model_bytes(&config, &weights, &meta).unwrap();
    pb::ModelProto::decode(bytes.as_slice()).unwrap()
}

fn load(proto: &pb::ModelProto) -> Result<Model, ContractError> {
    Model::from_bytes(&proto.encode_to_vec())
}

/// Sets metadata `key`, adding it when the file has none.
fn set_meta(proto: &mut pb::ModelProto, key: &str, value: &str) {
    proto.metadata_props.retain(|kv| kv.key != key);
    proto.metadata_props.push(pb::StringStringEntryProto {
        key: key.to_string(),
        value: value.to_string(),
    });
}

fn set_dim(proto: &mut pb::ModelProto, input: &str, axis: usize, value: i64) {
    let graph = proto.graph.as_mut().unwrap();
    let info = graph.input.iter_mut().find(|v| v.name == input).unwrap();
    let Some(pb::type_proto::Value::TensorType(t)) = &mut info.r#type.as_mut().unwrap().value
    else {
        panic!("tensor type")
    };
    t.shape.as_mut().unwrap().dim[axis].value = Some(DimValue::DimValue(value));
}

#[test]
fn a_valid_file_loads() {
    for arch in [Architecture::Mcclstm, Architecture::R3] {
        let model = load(&valid_proto(arch)).unwrap();
        assert_eq!(model.description().task, "mood");
    }
}

#[test]
fn empty_file() {
    assert!(matches!(Model::from_bytes(&[]), Err(ContractError::Empty)));
}

#[test]
fn garbage_bytes() {
    let garbage: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let err = Model::from_bytes(&garbage)
        .err()
        .expect("garbage must be refused");
    assert!(matches!(err, ContractError::NotOnnx(_)), "{err}");
}

#[test]
fn each_missing_metadata_key_is_named() {
    for key in keys::ALL {
        let mut proto = valid_proto(Architecture::R2);
        proto.metadata_props.retain(|kv| kv.key != key);
        match load(&proto) {
            Err(ContractError::MissingMetadata(k)) => assert_eq!(k, key),
            other => panic!("{key}: {:?}", other.err()),
        }
    }
}

#[test]
fn foreign_onnx_without_metadata_names_the_first_key() {
    let mut proto = valid_proto(Architecture::R2);
    proto.metadata_props.clear();
    let err = load(&proto).err().unwrap();
    assert_eq!(err.to_string(), "missing metadata `mcclstm.format`");
}

#[test]
fn unsupported_format_version() {
    let mut proto = valid_proto(Architecture::R2);
    set_meta(&mut proto, keys::FORMAT, "3");
    assert!(matches!(load(&proto), Err(ContractError::UnsupportedFormat(v)) if v == "3"));
}

#[test]
fn outputs_are_exclusive_in_format_1_and_must_be_said_in_format_2() {
    // Format 1 without the key: exclusive, as every file written before format 2.
    let proto = valid_proto(Architecture::R2);
    let model = load(&proto).unwrap();
    assert_eq!(model.description().outputs, Outputs::Exclusive);
    // Format 1 cannot carry independent outputs: an old reader would take them for classes.
    let mut old = valid_proto(Architecture::R2);
    set_meta(&mut old, keys::OUTPUTS, "independent");
    let err = load(&old).err().unwrap().to_string();
    assert!(err.contains("need format 2"), "{err}");
    // Format 2 must say which.
    let mut new = valid_proto(Architecture::R2);
    set_meta(&mut new, keys::FORMAT, "2");
    // Exclusive outputs say so in format 2 too, and load.
    assert_eq!(
        load(&new).unwrap().description().outputs,
        Outputs::Exclusive
    );
    new.metadata_props.retain(|kv| kv.key != keys::OUTPUTS);
    assert!(matches!(
        load(&new),
        Err(ContractError::MissingMetadata(k)) if k == keys::OUTPUTS
    ));
    set_meta(&mut new, keys::OUTPUTS, "several");
    let err = load(&new).err().unwrap().to_string();
    assert!(err.contains("neither"), "{err}");
    set_meta(&mut new, keys::OUTPUTS, "independent");
    assert_eq!(
        load(&new).unwrap().description().outputs,
        Outputs::Independent
    );
    // A temperature is a softmax's; independent tags refuse one.
    set_meta(
        &mut new,
        keys::CONFIDENCE,
        r#"{"temperature":1.5,"unsure_below":0.5,"fitted_on":null}"#,
    );
    let err = load(&new).err().unwrap().to_string();
    assert!(err.contains("temperature 1"), "{err}");
}

#[test]
fn the_summary_rule_is_mean_by_default_last_when_stored_and_anything_else_is_refused() {
    use mcclstm_engine::Summary;
    let proto = valid_proto(Architecture::Mcclstm);
    assert_eq!(
        load(&proto).unwrap().description().track_summary,
        Summary::Mean
    );
    let mut last = proto.clone();
    set_meta(&mut last, keys::SUMMARY, "last");
    assert_eq!(
        load(&last).unwrap().description().track_summary,
        Summary::Last
    );
    for bad in ["", "median", "LAST", "{\"rule\":\"last\"}"] {
        let mut broken = proto.clone();
        set_meta(&mut broken, keys::SUMMARY, bad);
        match load(&broken) {
            Err(ContractError::BadMetadata { key, reason }) => {
                assert_eq!(key, keys::SUMMARY);
                assert!(reason.contains("neither `mean` nor `last`"), "{reason}");
            }
            Err(e) => panic!("{bad:?}: {e}"),
            Ok(_) => panic!("{bad:?}: loaded"),
        }
        assert!(
            mcclstm_engine::contract::with_metadata(&proto.encode_to_vec(), keys::SUMMARY, bad)
                .is_err(),
            "{bad:?}"
        );
    }
}

#[test]
fn bad_labels() {
    for (labels, why) in [
        ("anger, fear", "not a JSON array"),
        (r#"["anger"]"#, "at least 2"),
        (r#"["anger","anger","fear","x","y"]"#, "twice"),
        (r#"["anger","","fear","x","y"]"#, "empty"),
    ] {
        let mut proto = valid_proto(Architecture::R2);
        set_meta(&mut proto, keys::LABELS, labels);
        let err = load(&proto).err().unwrap();
        assert!(
            matches!(&err, ContractError::BadMetadata { key, reason } if *key == keys::LABELS && reason.contains(why)),
            "{labels}: {err}"
        );
    }
}

#[test]
fn label_count_that_differs_from_the_output_width() {
    let mut proto = valid_proto(Architecture::Mcclstm);
    set_meta(&mut proto, keys::LABELS, r#"["a","b","c"]"#);
    let err = load(&proto).err().unwrap();
    assert!(
        matches!(&err, ContractError::BadShape { tensor, .. } if tensor == names::PROBS),
        "{err}"
    );
}

#[test]
fn bad_frontend() {
    let mut proto = valid_proto(Architecture::R2);
    set_meta(&mut proto, keys::FRONTEND, r#"{"sample_rate": 22050}"#);
    let err = load(&proto).err().unwrap();
    assert!(
        matches!(&err, ContractError::BadMetadata { key, .. } if *key == keys::FRONTEND),
        "{err}"
    );

    let mut proto = valid_proto(Architecture::R2);
    let mut fe = Preset::Paper.config();
    fe.fmax = 30_000.0; // above Nyquist
    set_meta(
        &mut proto,
        keys::FRONTEND,
        &serde_json::to_string(&fe).unwrap(),
    );
    let err = load(&proto).err().unwrap();
    assert!(err.to_string().contains("fmax"), "{err}");
}

#[test]
fn mel_input_of_the_wrong_shape() {
    let mut proto = valid_proto(Architecture::R2);
    set_dim(&mut proto, names::MEL, 2, 64);
    let err = load(&proto).err().unwrap();
    assert!(
        matches!(&err, ContractError::BadShape { tensor, .. } if tensor == names::MEL),
        "{err}"
    );
    assert!(err.to_string().contains("[B,1,40,80]"), "{err}");
}

#[test]
fn state_input_of_the_wrong_width() {
    let mut proto = valid_proto(Architecture::Mcclstm);
    set_dim(&mut proto, names::C0, 2, 7);
    let err = load(&proto).err().unwrap();
    assert!(
        matches!(&err, ContractError::BadShape { tensor, .. } if tensor == names::C0),
        "{err}"
    );
}

#[test]
fn missing_state_input() {
    let mut proto = valid_proto(Architecture::Mcclstm);
    proto
        .graph
        .as_mut()
        .unwrap()
        .input
        .retain(|v| v.name != names::C0);
    assert!(matches!(
        load(&proto),
        Err(ContractError::MissingInput("c0"))
    ));
}

#[test]
fn missing_output() {
    let mut proto = valid_proto(Architecture::Mcclstm);
    proto
        .graph
        .as_mut()
        .unwrap()
        .output
        .retain(|v| v.name != names::H1);
    assert!(matches!(
        load(&proto),
        Err(ContractError::MissingOutput("h1"))
    ));
}

#[test]
fn unexpected_input() {
    let mut proto = valid_proto(Architecture::R2);
    let graph = proto.graph.as_mut().unwrap();
    let mut extra = graph.input[0].clone();
    extra.name = "tempo_hint".to_string();
    graph.input.push(extra);
    let err = load(&proto).err().unwrap();
    assert!(
        matches!(&err, ContractError::UnexpectedInput(n) if n == "tempo_hint"),
        "{err}"
    );
}

#[test]
fn architecture_that_contradicts_the_graph() {
    let mut proto = valid_proto(Architecture::R3);
    set_meta(&mut proto, keys::ARCHITECTURE, "MCCLSTM");
    let err = load(&proto).err().unwrap();
    assert!(
        matches!(&err, ContractError::BadMetadata { key, .. } if *key == keys::ARCHITECTURE),
        "{err}"
    );
}

#[test]
fn a_missing_file_is_named() {
    let err = Model::from_file(std::path::Path::new("/no/such/genre.onnx"))
        .err()
        .unwrap();
    assert!(matches!(err, ContractError::Io { .. }));
    assert!(err.to_string().contains("/no/such/genre.onnx"), "{err}");
}

/// A bounded, seeded mutation run over a valid file (bit flips, byte overwrites, truncations,
/// insertions): every mutant loads or is refused with an error, and every mutant that loads
/// steps a chunk to finite probabilities or an error. Nothing panics, hangs or aborts: the bytes
/// a user picks, or a host hands back in a state, cannot take the process down.
#[test]
fn mutated_model_files_load_or_are_refused_and_never_take_the_process_down() {
    use rand::Rng;
    let bytes = valid_proto(Architecture::Mcclstm).encode_to_vec();
    let mut rng = StdRng::seed_from_u64(15);
    let (mut loaded, mut refused) = (0, 0);
    for _ in 0..400 {
        let mut mutant = bytes.clone();
        for _ in 0..rng.random_range(1..4) {
            let at = rng.random_range(0..mutant.len());
            match rng.random_range(0..4) {
                0 => mutant[at] ^= 1 << rng.random_range(0..8),
                1 => mutant[at] = rng.random(),
                2 => mutant.truncate(at),
                _ => mutant.insert(at, rng.random()),
            }
            if mutant.is_empty() {
                break;
            }
        }
        match Model::from_bytes(&mutant) {
            Ok(model) => {
                loaded += 1;
                let mut runner = model.runner();
                if let Ok(step) = runner.step(&vec![-40.0; model.chunk_len()]) {
                    assert!(step.chunk.iter().all(|p| p.is_finite()));
                }
            }
            Err(e) => {
                refused += 1;
                assert!(!e.to_string().is_empty());
            }
        }
    }
    // Most single-byte damage lands in the weights, which still load; the rest is refused.
    assert!(
        loaded > 0 && refused > 0,
        "loaded {loaded}, refused {refused}"
    );
}

#[test]
fn a_stored_calibration_is_applied_to_every_output_and_a_bad_one_is_refused() {
    use mcclstm_engine::confidence::{Confidence, DEFAULT_UNSURE_BELOW, calibrate_with};
    use rand::Rng;
    let proto = valid_proto(Architecture::Mcclstm);
    let plain = load(&proto).unwrap();
    // No key: temperature 1 and the documented default threshold, not "calibrated".
    assert_eq!(plain.description().confidence, Confidence::default());
    assert_eq!(
        plain.description().confidence.unsure_below,
        DEFAULT_UNSURE_BELOW
    );
    assert!(!plain.description().confidence.is_calibrated());

    let value = r#"{"temperature":2.5,"unsure_below":0.6,"fitted_on":{"dataset":"test"}}"#;
    let bytes =
        mcclstm_engine::contract::with_metadata(&proto.encode_to_vec(), keys::CONFIDENCE, value)
            .unwrap();
    let calibrated = Model::from_bytes(&bytes).unwrap();
    let confidence = &calibrated.description().confidence;
    assert_eq!(confidence.temperature, 2.5);
    assert_eq!(confidence.unsure_below, 0.6);
    assert!(confidence.is_calibrated());

    // Every step of the calibrated model is the raw step at temperature 2.5, over a roll-out
    // (the LSTM state is the network's own: calibration touches only what is shown).
    let (mut raw, mut cal) = (plain.runner(), calibrated.runner());
    let mut rng = StdRng::seed_from_u64(3);
    for _ in 0..6 {
        let chunk: Vec<f32> = (0..plain.chunk_len())
            .map(|_| rng.random_range(-80.0..0.0))
            .collect();
        let mut expected = raw.step(&chunk).unwrap().track.to_vec();
        calibrate_with(2.5, &mut expected);
        let got = cal.step(&chunk).unwrap().track.to_vec();
        for (e, g) in expected.iter().zip(&got) {
            assert!((e - g).abs() < 1e-6, "{expected:?} vs {got:?}");
        }
        assert_eq!(raw.state(), cal.state());
    }
    // `with_confidence` swaps the calibration on the same network.
    let uncalibrated = calibrated.with_confidence(Confidence::default());
    assert_eq!(uncalibrated.description().confidence.temperature, 1.0);

    for bad in [
        "not json",
        r#"{"temperature":0,"unsure_below":0.5}"#,
        r#"{"temperature":1e9,"unsure_below":0.5}"#,
        r#"{"temperature":1,"unsure_below":2}"#,
        r#"{"temperature":"hot","unsure_below":0.5}"#,
        r#"{"unsure_below":0.5}"#,
    ] {
        let mut broken = proto.clone();
        broken.metadata_props.push(pb::StringStringEntryProto {
            key: keys::CONFIDENCE.to_string(),
            value: bad.to_string(),
        });
        match load(&broken) {
            Err(ContractError::BadMetadata { key, .. }) => assert_eq!(key, keys::CONFIDENCE),
            Err(e) => panic!("{bad}: {e}"),
            Ok(_) => panic!("{bad}: loaded"),
        }
        // And the writer refuses to store it.
        assert!(
            mcclstm_engine::contract::with_metadata(&proto.encode_to_vec(), keys::CONFIDENCE, bad)
                .is_err(),
            "{bad}"
        );
    }
}
