//! `duows`: Duo Workstation without a window.
//!
//! `duows serve` serves the web UI and the control API (for GPU servers without a
//! display); `duows hardware` prints the inventory for people and scripts.

mod cli;
mod hardware_cmd;
mod serve;
mod ui_assets;

use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Hardware(args) => hardware_cmd::run(&args),
        Command::Serve(args) => serve::run(args),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("duows: {error:#}");
            ExitCode::from(2)
        }
    }
}
