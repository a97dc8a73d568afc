//! What one solve of the class model (milp.rs) is asked: the goal, the goals
//! already optimised, which part of the problem may change, the limits left
//! out, and the solver's settings. Shared by the model and the backend
//! (solver.rs), so neither reaches into the other for them.

use super::model::Counts;
use crate::inventory::ServiceId;

/// What to minimise, in priority order after the hard constraints.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Goal {
    /// Replicas added, removed or moved relative to the current placement.
    Moves,
    /// Σ replicas × (cpu + mem_weight × mem).
    Cost,
    /// Servers hosting anything.
    Servers,
    /// Peak utilisation of racks and power components (and servers when `servers`).
    Peak { servers: bool },
    /// Nothing: any feasible point (feasibility tests).
    Feasible,
    /// The price of the servers bought (with `Model::buy`).
    Price,
}

/// A goal already optimised, kept within tolerance while the next one is.
#[derive(Debug, Clone, Copy)]
pub struct Fixed {
    pub goal: Goal,
    pub at_most: f64,
}

/// Which part of the problem may change.
#[derive(Clone, Copy)]
pub enum Scope<'c> {
    Whole,
    /// Only the services marked free change; the others keep their counts in `base`.
    Services {
        free: &'c [bool],
        base: &'c Counts,
    },
}

impl Scope<'_> {
    /// Whether the replicas of `id` may change.
    pub fn frees(&self, id: ServiceId) -> bool {
        match self {
            Scope::Whole => true,
            Scope::Services { free, .. } => free[id.index()],
        }
    }

    /// The replicas a service that may not change keeps on class `k`.
    pub fn base(&self, id: ServiceId, k: usize) -> f64 {
        match self {
            Scope::Whole => 0.0,
            Scope::Services { base, .. } => f64::from(base[id.index()][k]),
        }
    }
}

/// Groups of limits that an explanation may leave out, to find which bind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Relax {
    pub cpu: bool,
    pub mem: bool,
    pub max_per_server: bool,
    pub max_replicas: bool,
    pub power_normal: bool,
    pub power_failover: bool,
    pub max_moves: bool,
}

pub struct SolveSettings {
    pub time_limit: Option<f64>,
    #[cfg_attr(not(feature = "highs"), allow(dead_code))]
    pub threads: u32,
    /// Let min_replicas and survival constraints fall short, at a price, and
    /// minimise the shortfall instead of the goal: how infeasibility is explained.
    pub slack: bool,
    /// Solve the LP relaxation (for a bound).
    pub relaxed: bool,
    pub max_moves: Option<u32>,
    pub relax: Relax,
    /// A starting point for the solver (the incumbent's counts).
    pub initial: Option<Counts>,
}
