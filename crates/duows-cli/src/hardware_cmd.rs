//! `duows hardware`: the inventory as a table for people or JSON for scripts.
//!
//! It goes through the same API function as `GET /api/hardware`, so the JSON is the same.

use crate::text::gib;
use std::fmt::Write as _;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use duows_api::{calls, ApiState, StateOptions};
use duows_core::data_dir::DataDir;
use duows_core::hardware::{
    DescribedProbe, DriverStatus, GpuProbe, HardwareDescription, HardwareReport, HardwareSource,
    NvmlProbe,
};

use crate::cli::{GpuSource, HardwareArgs};

/// The probe the user asked for: a description, or the real driver.
pub fn probe(source: &GpuSource) -> anyhow::Result<Arc<dyn GpuProbe>> {
    Ok(match &source.gpus {
        Some(input) => Arc::new(DescribedProbe::new(
            HardwareDescription::from_spec_or_file(input).context("--gpus")?,
        )),
        None => Arc::new(NvmlProbe::new()),
    })
}

pub fn run(args: &HardwareArgs) -> anyhow::Result<ExitCode> {
    let state = ApiState::new(StateOptions {
        data_dir: DataDir::from_env()?,
        probe: probe(&args.source)?,
    });
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let report = runtime.block_on(calls::hardware(&state))?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", table(&report));
    }
    Ok(ExitCode::SUCCESS)
}

fn or_dash<T: ToString>(value: Option<T>) -> String {
    value.map_or_else(|| "-".to_owned(), |v| v.to_string())
}

/// The readable form.
pub fn table(report: &HardwareReport) -> String {
    let mut out = String::new();
    let source = match &report.source {
        HardwareSource::Nvml => "this machine".to_owned(),
        HardwareSource::Description { label, .. } => format!("described: {label}"),
    };
    let _ = writeln!(
        out,
        "Duo Workstation {} — hardware ({source})",
        duows_core::VERSION
    );
    let driver = &report.driver;
    let _ = writeln!(out, "{}", driver.message);
    match (&driver.driver_version, &driver.cuda_driver_version) {
        (Some(d), Some(c)) => {
            let _ = writeln!(out, "  Driver {d}, CUDA {c}");
        }
        (Some(d), None) => {
            let _ = writeln!(out, "  Driver {d}");
        }
        _ => {}
    }
    if let Some(remedy) = &driver.remedy {
        let _ = writeln!(out, "  What to do: {remedy}");
    }
    if !report.gpus.is_empty() {
        let rows: Vec<[String; 8]> = report
            .gpus
            .iter()
            .map(|g| {
                let mig = match &g.mig {
                    Some(m) if m.enabled => format!("on ({})", m.instances.len()),
                    Some(_) => "off".to_owned(),
                    None => "-".to_owned(),
                };
                let peers = if g.nvlink_peers.is_empty() {
                    "-".to_owned()
                } else {
                    g.nvlink_peers
                        .iter()
                        .map(u32::to_string)
                        .collect::<Vec<_>>()
                        .join(",")
                };
                [
                    g.index.to_string(),
                    g.name.clone(),
                    gib(g.memory_total_bytes),
                    or_dash(g.compute_capability.as_deref()),
                    or_dash(g.power_limit_watts.map(|w| format!("{w:.0} W"))),
                    mig,
                    peers,
                    or_dash(g.pci_bus_id.as_deref()),
                ]
            })
            .collect();
        out.push('\n');
        out.push_str(&crate::text::table(
            &[
                "GPU", "NAME", "MEMORY", "CC", "POWER", "MIG", "NVLINK", "BUS ID",
            ],
            &rows,
        ));
    }
    let s = &report.system;
    let _ = writeln!(out, "\nSystem");
    let cores = s
        .cpu_cores
        .map(|c| format!("{c} cores, "))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "  CPU     {} ({cores}{} threads)",
        s.cpu_model, s.cpu_threads
    );
    let _ = writeln!(
        out,
        "  Memory  {} total, {} available",
        gib(s.memory_total_bytes),
        gib(s.memory_available_bytes)
    );
    let os = [s.os_name.as_deref(), s.os_version.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let _ = writeln!(
        out,
        "  OS      {} (kernel {}), host {}",
        if os.is_empty() { "unknown" } else { &os },
        or_dash(s.kernel_version.as_deref()),
        or_dash(s.hostname.as_deref())
    );
    let disk = match (s.models_dir_free_bytes, s.models_dir_total_bytes) {
        (Some(free), Some(total)) => format!(" — {} free of {}", gib(free), gib(total)),
        _ => String::new(),
    };
    let _ = writeln!(out, "  Models  {}{disk}", s.models_dir.display());
    if !report.warnings.is_empty() {
        let _ = writeln!(out, "\nWarnings");
        for warning in &report.warnings {
            let _ = writeln!(out, "  ! {}", warning.message);
        }
    }
    if driver.status == DriverStatus::NotFound {
        let _ = writeln!(
            out,
            "\nPlanning still works: duows hardware --gpus 2xA100-80GB"
        );
    }
    out
}
