//! `plan`: a search around one incumbent, the best placement `verify` has
//! accepted so far, with a proven lower bound on its objective:
//!
//! construct → repair → exact (prove) → improve, until proven optimal, within
//! `--gap`, or out of time.
//!
//! - construct (construct.rs): each service, most constrained first, with the
//!   fewest replicas that survive by construction;
//! - repair: services still short move other services' replicas out of their
//!   way (a scarce dual-fed or labelled server, a power row at its limit);
//! - exact (exact.rs): the MILP over classes of interchangeable servers, a
//!   relaxation of `verify`: its "infeasible" is the only "no placement
//!   exists" besides structural causes, and its optimum or LP value a bound;
//! - improve (lns.rs): free a few services, re-solve them exactly with the
//!   rest fixed, keep the result when it verifies and is cheaper.
//!
//! A `power:P%` family too large to list is added lazily, one worst set at a
//! time, for the services a candidate breaks.
//!
//! Where each part lives: what a caller asks (options.rs) and gets back
//! (outcome.rs); the stages in order (orchestrate.rs) around the incumbent
//! (search.rs); the class model (model.rs, with classes.rs, survival.rs and
//! power_rows.rs), the MILP over it (milp.rs), asked through request.rs and
//! solved by the backend in solver.rs; the concrete placement that
//! construction and repair edit (state.rs); why no placement exists
//! (explain.rs, slots.rs); the lazily added families (lazy_families.rs).

mod classes;
mod construct;
mod counts;
mod eligible;
mod exact;
mod explain;
mod lazy_families;
mod lns;
mod milp;
mod model;
mod naive;
mod options;
mod orchestrate;
mod outcome;
mod power_rows;
mod request;
mod search;
mod slots;
mod solver;
mod state;
mod survival;

pub use explain::{Cause, Explanation, Limit};
pub use model::impacts;
pub use options::{Method, Objective, PlanOptions, DEFAULT_GAP};
pub use orchestrate::plan;
pub use outcome::{Baseline, NotFound, Plan, PlanError, PlanStats};
pub use search::relative_gap;
pub use slots::{slots, Slots};
pub use solver::NAME as SOLVER;

// The class model and its solver, for the purchase model of `capacity`.
pub(crate) use model::{Buy, Counts, Model};
pub(crate) use options::{rounded_seconds, DEFAULT_SECONDS};
pub(crate) use request::{Fixed, Goal, Relax, Scope, SolveSettings};
pub(crate) use solver::model as solver_model;
