//! The MILP engine, chosen at build time by docs/benchmarks.md's measurements:
//! HiGHS by default (cargo feature `highs`, built from source); microlp, pure
//! Rust, with `--no-default-features` for machines that cannot build HiGHS.
//! Every exact question (plan's class model and its neighbourhoods, headroom
//! probes, purchases, explanations) goes through `model` below.
//!
//! CBC is not offered: its CLP aborts the whole process on some infeasible
//! models (an assertion in `ClpNonLinearCost::checkInfeasibilities`,
//! coin-or/Clp#173, Cbc#753, hit by this crate's property tests), and an
//! explanation solves infeasible models by design.

#[cfg(not(feature = "highs"))]
use good_lp::solvers::WithInitialSolution;
use good_lp::{
    solvers::WithTimeLimit, variable::UnsolvedProblem, ResolutionError, SolverModel, Variable,
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
    _initial: Vec<(Variable, f64)>,
) -> impl SolverModel<Error = ResolutionError> {
    // No MIP start: HiGHS 1.16 maps a start through presolve wrongly on some
    // models and then returns the start itself, unimproved, as "optimal" (the
    // plan oracle's seed 268: the start costs 12.61, HiGHS proves 10.27 in the
    // reduced space and hands back 12.61), a false claim of optimality. The
    // search keeps its own incumbent, so a start would only have saved time.
    // A fixed seed keeps the search, and so the output, the same run to run.
    let mut model = good_lp::highs(problem)
        .set_threads(settings.threads.max(1))
        .set_option("random_seed", 1)
        // "Optimal" means proven: HiGHS's default stops 0.01% short of a
        // proof, which good_lp reports as a gap limit and plan then claims
        // nothing at all.
        .set_option("mip_rel_gap", 0.0);
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
