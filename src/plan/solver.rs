//! The MILP backend, chosen at build time (docs/benchmarks.md has the numbers):
//! microlp, pure Rust, by default so a fresh machine with only Rust can plan;
//! HiGHS (`--features highs`) or CBC (`--features cbc`) for large, tight fleets.

use good_lp::{
    solvers::{WithInitialSolution, WithTimeLimit},
    variable::UnsolvedProblem,
    ResolutionError, SolverModel, Variable,
};

use super::milp::SolveSettings;

#[cfg(feature = "highs")]
pub const NAME: &str = "highs";
#[cfg(all(feature = "cbc", not(feature = "highs")))]
pub const NAME: &str = "cbc";
#[cfg(not(any(feature = "highs", feature = "cbc")))]
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

#[cfg(all(feature = "cbc", not(feature = "highs")))]
pub fn model(
    problem: UnsolvedProblem,
    settings: &SolveSettings,
    initial: Vec<(Variable, f64)>,
) -> impl SolverModel<Error = ResolutionError> {
    let mut model = good_lp::coin_cbc(problem).with_initial_solution(initial);
    model.set_parameter("log", "0");
    model.set_parameter("threads", &settings.threads.max(1).to_string());
    // A fixed seed keeps the search, and so the output, the same run to run.
    model.set_parameter("randomSeed", "1");
    if let Some(limit) = settings.time_limit {
        model = model.with_time_limit(limit);
    }
    model
}

#[cfg(not(any(feature = "highs", feature = "cbc")))]
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

/// Solves the model. CBC keeps global state, so a process (a test binary
/// running tests in threads, a library user) solves one CBC model at a time.
#[cfg(all(feature = "cbc", not(feature = "highs")))]
pub fn solve<M: SolverModel>(model: M) -> Result<M::Solution, M::Error> {
    static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _turn = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    model.solve()
}

/// Solves the model.
#[cfg(not(all(feature = "cbc", not(feature = "highs"))))]
pub fn solve<M: SolverModel>(model: M) -> Result<M::Solution, M::Error> {
    model.solve()
}
