//! The `faultplan` command: parses the command line, runs the library, prints,
//! and maps outcomes to exit codes. Nothing else here.

mod cli;

fn main() -> std::process::ExitCode {
    cli::run()
}
