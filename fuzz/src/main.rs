//! `mcclstm-fuzz [TARGET|all] [--seconds S | --runs N] [--seed N] [--timeout S] [--findings DIR]`
//!
//! Fuzzes one target (or each in turn) on the stable toolchain and prints what it found. Exit
//! status 1 when an input panicked, 3 when one hung (its input is written first). Targets:
//! model, state, audio, abc, dataset (`mcclstm_fuzz::TARGETS`).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use mcclstm_fuzz::{RunOptions, TARGETS, fuzz, target};

fn main() -> anyhow::Result<()> {
    let mut which = "all".to_string();
    let mut options = RunOptions {
        runs: None,
        duration: Some(Duration::from_secs(60)),
        seed: 1,
        timeout: Duration::from_secs(20),
        findings: PathBuf::from("target/fuzz-findings"),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().with_context(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--seconds" => {
                options.duration = Some(Duration::from_secs_f64(value("--seconds")?.parse()?));
                options.runs = None;
            }
            "--runs" => {
                options.runs = Some(value("--runs")?.parse()?);
                options.duration = None;
            }
            "--seed" => options.seed = value("--seed")?.parse()?,
            "--timeout" => options.timeout = Duration::from_secs_f64(value("--timeout")?.parse()?),
            "--findings" => options.findings = value("--findings")?.into(),
            "--help" | "-h" => {
                println!(
                    "mcclstm-fuzz [TARGET|all] [--seconds S | --runs N] [--seed N] [--timeout S] [--findings DIR]"
                );
                for t in &TARGETS {
                    println!("  {:8} {}", t.name, t.what);
                }
                return Ok(());
            }
            name if !name.starts_with('-') => which = name.to_string(),
            other => bail!("unknown argument `{other}`"),
        }
    }
    let targets: Vec<_> = if which == "all" {
        TARGETS.iter().collect()
    } else {
        vec![target(&which).with_context(|| {
            format!(
                "no target `{which}`; there are: {}",
                TARGETS.map(|t| t.name).join(", ")
            )
        })?]
    };
    let mut found = 0;
    for t in targets {
        let report = fuzz(t, &options)?;
        println!(
            "{}: {} inputs ({} taken by the reader) in {:.1} s ({:.0}/s), {} finding(s)",
            t.name,
            report.runs,
            report.accepted,
            report.elapsed.as_secs_f64(),
            report.runs as f64 / report.elapsed.as_secs_f64().max(1e-9),
            report.findings.len()
        );
        for (path, why) in &report.findings {
            println!("  {}: {why}", path.display());
        }
        found += report.findings.len();
    }
    if found > 0 {
        std::process::exit(1);
    }
    Ok(())
}
