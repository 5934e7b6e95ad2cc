//! Renders a synthetic stereo signal through the CLAP bundle and prints a JSON summary. Tests run
//! it as a child process, so a bundle that aborts (an allocation in `process()` under
//! `assert_process_allocs`) fails the test instead of killing the test runner.
//!
//! `mcclstm-host [--rate HZ] [--block N | --random-blocks MAX] [--seconds S] [--realtime]
//! [--realtime-pace] [--non-finite]`

use std::f32::consts::TAU;

use anyhow::{Context, bail};
use mcclstm_tests::{Bundle, RenderOptions, Schedule, bundle_path, render, saved_history};

fn main() -> anyhow::Result<()> {
    let mut options = RenderOptions::default();
    let mut seconds = 6.0f64;
    let mut non_finite = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().with_context(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--rate" => options.sample_rate = value("--rate")?.parse()?,
            "--block" => options.schedule = Schedule::Fixed(value("--block")?.parse()?),
            "--random-blocks" => {
                options.schedule = Schedule::Random {
                    max: value("--random-blocks")?.parse()?,
                    seed: 7,
                }
            }
            "--seconds" => seconds = value("--seconds")?.parse()?,
            "--realtime" => options.offline = false,
            "--realtime-pace" => options.realtime_pace = true,
            "--non-finite" => non_finite = true,
            other => bail!("unknown argument `{other}`"),
        }
    }
    let n = (seconds * options.sample_rate) as usize;
    let rate = options.sample_rate as f32;
    let mut left: Vec<f32> = (0..n)
        .map(|i| {
            let t = i as f32 / rate;
            0.3 * (TAU * 220.0 * t).sin()
                + 0.2 * (TAU * 55.0 * t).sin() * (TAU * 2.0 * t).sin().max(0.0)
        })
        .collect();
    if non_finite {
        for i in (0..n).step_by(1009) {
            left[i] = [f32::NAN, f32::INFINITY, f32::NEG_INFINITY][i % 3];
        }
    }
    let right: Vec<f32> = left.iter().map(|s| s * 0.5).collect();
    let input = vec![left, right];

    let bundle = Bundle::load(&bundle_path()?)?;
    let rendered = render(&bundle, &input, &options)?;
    let bit_exact = rendered.output.iter().zip(&input).all(|(o, i)| {
        o.len() == i.len() && o.iter().zip(i).all(|(a, b)| a.to_bits() == b.to_bits())
    });
    let history = saved_history(&rendered.state)?;
    let summary = serde_json::json!({
        "samples": n,
        "bit_exact": bit_exact,
        "chunks": history.iter().map(Vec::len).collect::<Vec<_>>(),
        "all_finite": history.iter().flatten().all(|e| e.probs.iter().all(|p| p.is_finite())),
        "max_process_us": rendered.max_process_time.as_secs_f64() * 1e6,
        "process_ns_per_frame": rendered.total_process_time.as_secs_f64() * 1e9 / n.max(1) as f64,
    });
    println!("{summary}");
    Ok(())
}
