//! mcclstm-data: data sets and how a model is measured on them.
//!
//! - [`dataset`]: readers for the paper's data sets (GTZAN, Ballroom, the soundtrack set) and a
//!   generic folder or CSV layout; the label sets.
//! - [`split`]: the paper's seeded, stratified 80/10/10 splits, optionally keeping groups together.
//! - [`cache`]: log-mel frames per file, computed once through the engine's stream and kept on disk.
//! - [`metrics`]: confusion matrices, accuracy, mean and spread over folds.
//! - [`evaluate`]: a model file's track accuracy on a data set through the analysis pipeline.
//! - [`calibration`]: a model's temperature and "unsure" threshold, fitted on held-out audio.

pub mod cache;
pub mod calibration;
pub mod dataset;
pub mod evaluate;
pub mod metrics;
pub mod split;
