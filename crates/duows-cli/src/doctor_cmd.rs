//! `duows doctor`: the running server's check of the whole chain (driver, engines,
//! deployments, gateway, GitLab's AI gateway, GitLab), each step with its fix; exits 1 when
//! a step fails. Without a running server it still checks the driver here and says how to
//! start the server.

use std::process::ExitCode;

use duows_api::calls;
use duows_core::doctor::{self, CheckStatus, DoctorLine, DoctorReport};

use crate::cli::{DoctorArgs, GpuSource};
use crate::server_client::ServerClient;

pub fn run(args: &DoctorArgs) -> anyhow::Result<ExitCode> {
    let server = &args.server.server;
    let mut report = match ServerClient::new(server)?.get::<DoctorReport>("/api/doctor") {
        Ok(report) => report,
        Err(error) => without_server(server, &error.to_string())?,
    };
    if let (Some(url), Some(address)) = (&args.gitlab_url, &args.address) {
        // GitLab's steps replace the server's placeholder: the token stays in this process.
        let plan = crate::gitlab_cmd::plan_for_doctor(url, address);
        report.lines.retain(|l| l.area != "gitlab");
        report
            .lines
            .extend(doctor::gitlab_lines(plan.as_ref().map_err(String::clone)));
    }
    if args.server.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", text(&report));
    }
    Ok(if report.failed() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// What can be checked without the server: the driver; then the server's absence.
fn without_server(server: &str, error: &str) -> anyhow::Result<DoctorReport> {
    let state = crate::models_cmd::state(&GpuSource { gpus: None })?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let hardware = runtime.block_on(calls::hardware(&state))?;
    Ok(DoctorReport {
        lines: vec![
            doctor::driver_line(&hardware),
            DoctorLine::new(
                "server",
                "Duo Workstation server",
                CheckStatus::Fail,
                format!("no server answers at {server}: {error}"),
                Some("Start it with `duows serve` (or open the desktop app), or name another with --server.".into()),
            ),
        ],
    })
}

/// The readable form: one line per step, its fix indented under it, then a summary.
pub fn text(report: &DoctorReport) -> String {
    let mut out = String::new();
    for line in &report.lines {
        let mark = match line.status {
            CheckStatus::Pass => "pass",
            CheckStatus::Warn => "WARN",
            CheckStatus::Fail => "FAIL",
            CheckStatus::Skip => "skip",
        };
        out.push_str(&format!("{mark}  {}: {}\n", line.title, line.detail));
        if let Some(fix) = &line.fix {
            out.push_str(&format!("      → {fix}\n"));
        }
    }
    out.push_str(&format!(
        "\n{} passed, {} warnings, {} failed, {} skipped\n",
        report.count(CheckStatus::Pass),
        report.count(CheckStatus::Warn),
        report.count(CheckStatus::Fail),
        report.count(CheckStatus::Skip),
    ));
    out
}
