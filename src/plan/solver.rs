//! The MILP backend, chosen at build time (docs/benchmarks.md has the numbers):
//! microlp, pure Rust, by default so a fresh machine with only Rust can plan;
//! HiGHS (`--features highs`) for large, tight fleets. CBC is not offered: its
//! CLP aborts the whole process on some infeasible models (an assertion in
//! `ClpNonLinearCost::checkInfeasibilities`, coin-or/Clp#173, Cbc#753, hit by
//! this crate's property tests), and an explanation solves infeasible models
//! by design.

use good_lp::{
    solvers::{WithInitialSolution, WithTimeLimit},
    variable::UnsolvedProblem,
    ResolutionError, SolverModel, Variable,
};

use super::request::SolveSettings;

#[cfg(feature = "highs")]
pub const NAME: &str = "highs";
#[cfg(not(feature = "highs"))]
pub const NAME: &str = "microlp";

#[cfg(feature = "highs")]
pub fn model(
    problem: UnsolvedProblem,
    settings: &SolveSettings,
    initial: Vec<(Variable, f64)>,
) -> impl SolverModel<Error = ResolutionError> {
    // A fixed seed keeps the search, and so the output, the same run to run.
    let mut model = good_lp::highs(problem)
        .with_initial_solution(initial)
        .set_threads(settings.threads.max(1))
        .set_option("random_seed", 1);
    model.set_verbose(false);
    match settings.time_limit {
        Some(limit) => model.with_time_limit(limit),
        None => model,
    }
}

#[cfg(not(feature = "highs"))]
pub fn model(
    problem: UnsolvedProblem,
    settings: &SolveSettings,
    initial: Vec<(Variable, f64)>,
) -> impl SolverModel<Error = ResolutionError> {
    // microlp is single-threaded and deterministic; `threads` does not apply.
    let model = good_lp::microlp(problem);
    // An empty start would make microlp look for the all-zero point.
    let model = if initial.is_empty() {
        model
    } else {
        model.with_initial_solution(initial)
    };
    match settings.time_limit {
        Some(limit) => model.with_time_limit(limit),
        None => model,
    }
}
