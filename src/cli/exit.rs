//! The exit codes (FORMATS.md: 0 ok, 1 guarantees violated or infeasible, 2 bad
//! input or usage): the texts every command's help ends with, `Failure`, the
//! library errors it is made from, and the one place where an outcome becomes
//! an exit code.

use std::io::Write;
use std::process::ExitCode;

use faultplan::inventory::{InputError, InputErrors};

#[cfg(test)]
pub(super) const USAGE_ERROR: &str =
    "  2  bad input or usage: the message names the file, line and column";

macro_rules! exit_codes {
    ($($line:expr),* $(,)?) => {
        concat!("Exit codes:\n", $($line, "\n",)* "  2  bad input or usage: the message names the file, line and column")
    };
}

pub(super) const EXIT_CODES: &str = exit_codes!(
    "  0  success",
    "  1  check, simulate: a guarantee is violated; plan: no placement satisfies them; diff: the placements differ; migrate: no safe order; maintenance: a window is unsafe; capacity: does not fit or undecided",
);
pub(super) const CHECK_EXIT_CODES: &str = exit_codes!(
    "  0  every guarantee holds (and, with --fail-on warning, no warning)",
    "  1  a guarantee is violated (with --fail-on warning: or a warning)",
);
pub(super) const PLAN_EXIT_CODES: &str = exit_codes!(
    "  0  a verified placement was written",
    "  1  no placement satisfies the guarantees (explained), or none was found in time",
);
pub(super) const SIMULATE_EXIT_CODES: &str = exit_codes!(
    "  0  every service keeps min_replicas and no power component is overloaded",
    "  1  a service or a power component breaks",
);
pub(super) const DATA_EXIT_CODES: &str = exit_codes!("  0  success");
pub(super) const MIGRATE_EXIT_CODES: &str = exit_codes!(
    "  0  an order in which no step is less safe than the current or the target placement (or nothing to change)",
    "  1  no safe order was found, or none exists (the output says which)",
);
pub(super) const MAINTENANCE_EXIT_CODES: &str = exit_codes!(
    "  0  every component judged can go down now",
    "  1  at least one cannot",
);
pub(super) const IMPORT_EXIT_CODES: &str =
    exit_codes!("  0  the inventory folder was written (the summary says what was skipped)",);
pub(super) const KUBERNETES_IMPORT_EXIT_CODES: &str =
    exit_codes!("  0  the running placement was written (warnings say which pods were left out)",);
pub(super) const ANY_IMPORT_EXIT_CODES: &str = exit_codes!(
    "  0  netbox: the inventory folder was written; kubernetes: the running placement was written",
);
pub(super) const CAPACITY_EXIT_CODES: &str = exit_codes!(
    "  0  the demand fits (or the purchase makes it fit), verified; without growth: the margins were printed, today's demand has a verified placement and --placement (if given) passes check",
    "  1  it does not fit (proven), no purchase helps, or undecided within the time limit; without growth: today's demand has no verified placement, or --placement breaks a guarantee (the margins are still printed)",
);
pub(super) const REPORT_EXIT_CODES: &str =
    exit_codes!("  0  the page was written (even when guarantees break)");
pub(super) const EXPORT_EXIT_CODES: &str = exit_codes!("  0  the export was printed or written");
pub(super) const DIFF_EXIT_CODES: &str = exit_codes!(
    "  0  the placements are identical (as multisets of replicas)",
    "  1  they differ",
);

/// Why a command did not succeed.
pub(super) enum Failure {
    /// Bad input or usage: exit 2.
    Input(InputErrors),
    /// The command ran and its answer is "no" (violations, infeasible): exit 1.
    Violated,
}

// Every library error a command can meet becomes a `Failure` here, and only
// here, so that `?` carries it to `exit_code`: a stage's new error type gets
// its `From` next to these.

impl From<InputErrors> for Failure {
    fn from(errors: InputErrors) -> Self {
        Failure::Input(errors)
    }
}

impl From<InputError> for Failure {
    fn from(error: InputError) -> Self {
        Failure::Input(error.into())
    }
}

/// Several input errors found together (every unknown id, not just the first).
impl From<Vec<InputError>> for Failure {
    fn from(errors: Vec<InputError>) -> Self {
        Failure::Input(InputErrors(errors))
    }
}

/// The exit code of a command's outcome; input errors are printed to stderr.
pub(super) fn exit_code(outcome: Result<(), Failure>) -> ExitCode {
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Violated) => ExitCode::from(1),
        Err(Failure::Input(errors)) => {
            let mut stderr = std::io::stderr().lock();
            for error in &errors.0 {
                let _ = writeln!(stderr, "error: {error}");
            }
            ExitCode::from(2)
        }
    }
}
