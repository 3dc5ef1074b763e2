//! The gateway benchmark's open-model load generator. Each run prints one JSON line.
//!
//! ```text
//! loadgen instant --url URL --model M --rate R [--seconds S] [--warmup S] [--watch PID]
//!                 [--timeout S] [--max-in-flight N] [--samples FILE]
//! loadgen paced   --url URL --model M --rate R [--seconds S] [--warmup S] [--watch PID]
//!                 [--chunks 64] [--timeout S]
//! loadgen rss PID        resident memory (KiB) of PID and its descendants
//! ```
//!
//! Requests are sent on a fixed schedule from a pacing thread whatever the answers do, over a
//! keep-alive connection pool driven by one runtime thread; latency counts from the planned
//! start (no coordinated omission). `--watch` reports the peak memory of that process tree
//! during the run; `--samples` writes every measured request (`planned_ms,latency_us,ok,
//! lag_us,id`) and sends each with `x-request-id: lg-<n>`, its id in the gateway's request log.

use std::time::Duration;

use duows_gateway_bench::args::Args;
use duows_gateway_bench::{instant, memory, paced};

fn main() {
    let mut args = Args::from_env();
    let command = args.command();
    match command.as_deref() {
        Some("instant") => {
            let plan = instant::Plan {
                url: args.required("--url"),
                model: args.required("--model"),
                rate: args.required("--rate"),
                warmup: seconds(args.value("--warmup").unwrap_or(1.0)),
                window: seconds(args.value("--seconds").unwrap_or(5.0)),
                timeout: seconds(args.value("--timeout").unwrap_or(5.0)),
                max_in_flight: args.value("--max-in-flight").unwrap_or(2000),
                watch: args.value("--watch"),
                samples: args.value("--samples"),
            };
            args.finish();
            println!("{}", instant::run(&plan));
        }
        Some("paced") => {
            let plan = paced::Plan {
                url: args.required("--url"),
                model: args.required("--model"),
                rate: args.required("--rate"),
                warmup: seconds(args.value("--warmup").unwrap_or(2.0)),
                window: seconds(args.value("--seconds").unwrap_or(4.0)),
                chunks: args.value("--chunks").unwrap_or(64),
                timeout: seconds(args.value("--timeout").unwrap_or(30.0)),
                watch: args.value("--watch"),
            };
            args.finish();
            println!("{}", paced::run(&plan));
        }
        Some("rss") => {
            let pid: u32 = args
                .command()
                .and_then(|p| p.parse().ok())
                .unwrap_or_else(|| usage());
            args.finish();
            println!("{}", memory::tree_rss_kib(pid));
        }
        _ => usage(),
    }
}

fn seconds(s: f64) -> Duration {
    Duration::from_secs_f64(s)
}

fn usage() -> ! {
    eprintln!(
        "usage: loadgen instant|paced --url URL --model M --rate R [options] | loadgen rss PID"
    );
    std::process::exit(2)
}
