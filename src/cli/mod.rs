//! The binary: parses the command line, runs one command of the library,
//! prints its answer or writes its files, and turns the outcome into an exit
//! code (0 ok, 1 guarantees violated or infeasible, 2 bad input or usage). The
//! only code that touches stdout, stderr or the exit status.
//!
//! `args` holds the clap definitions, `io` the reading and writing every
//! command shares, `exit` the exit codes; every other file is one command.

mod args;
mod exit;
mod io;
mod progress;

mod capacity;
mod check;
mod diff;
mod export;
mod graph;
mod import;
mod import_kubernetes;
mod maintenance;
mod migrate;
mod plan;
mod report;
mod scenarios;
mod shell;
mod simulate;

use std::process::ExitCode;

use clap::Parser;

use args::{Cli, Command};
use exit::Failure;

pub fn run() -> ExitCode {
    exit::exit_code(dispatch(Cli::parse().command))
}

/// Which file runs which command.
fn dispatch(command: Command) -> Result<(), Failure> {
    match command {
        Command::Check(args) => check::run(args),
        Command::Scenarios(args) => scenarios::run(args),
        Command::Plan(args) => plan::run(args),
        Command::Migrate(args) => migrate::run(args),
        Command::Maintenance(args) => maintenance::run(args),
        Command::Simulate(args) => simulate::run(args),
        Command::Report(args) => report::run(args),
        Command::Graph(args) => graph::run(args),
        Command::Export(args) => export::run(args),
        Command::Diff(args) => diff::run(args),
        Command::Completions { shell } => shell::completions(shell),
        Command::Man { command } => shell::man(command.as_deref()),
        Command::Import(source) => import::run(source),
        Command::Capacity(args) => capacity::run(args),
    }
}
