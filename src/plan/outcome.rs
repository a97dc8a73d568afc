//! What `plan` answers: a verified placement with its statistics, or why
//! there is none (proven infeasible, or not found in the time given).

use serde::Serialize;

use super::explain::{Cause, Explanation};
use super::options::Objective;
use crate::changes::Change;
use crate::inventory::Placement;
use crate::verify::{Finding, Report};

#[derive(Debug, Clone, Serialize)]
pub struct PlanStats {
    pub objective: Objective,
    /// The objective's value (for `cost`: Σ replicas × (cpu + mem_weight × mem)).
    pub value: f64,
    /// A proven lower bound on `value`.
    pub bound: f64,
    /// (value − bound) / value; 0 when proven optimal.
    pub gap: f64,
    pub optimal: bool,
    /// The stage that found the placement: construct, repair, exact or improve.
    pub stage: &'static str,
    /// The MILP backend the exact stages used.
    pub solver: &'static str,
    pub classes: usize,
    pub solves: usize,
    pub seconds: f64,
    pub replicas: usize,
    pub reserved_cpu: f64,
    pub reserved_mem_gb: f64,
    /// With a current placement: replicas added, removed or moved.
    pub moves: Option<u32>,
    pub mem_weight: f64,
    /// What happened on the way that a user should know (a solver answer
    /// discarded, for instance).
    pub notes: Vec<String>,
    /// The simple greedy spread (largest service first, least-loaded rack)
    /// on the same inventory, for comparison; None when it cannot place all.
    pub baseline: Option<Baseline>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Baseline {
    pub replicas: usize,
    pub reserved_cpu: f64,
    /// Whether `check` accepts the baseline's placement.
    pub verified: bool,
}

#[derive(Debug, Clone)]
pub struct Plan {
    pub placement: Placement,
    pub stats: PlanStats,
    pub changes: Vec<Change>,
    /// The independent check of this placement; it always passes.
    pub report: Report,
}

/// Why `plan` returns no placement.
#[derive(Debug, Clone, thiserror::Error)]
pub enum PlanError {
    /// No placement satisfies the guarantees, proven; here is why.
    #[error("no placement satisfies the guarantees: {}", causes(.0))]
    Infeasible(Explanation),
    /// The search ended without a verified placement, and without a proof
    /// that none exists.
    #[error("{}", .0.reason)]
    NotFound(NotFound),
}

/// The causes of an explanation, in one line.
fn causes(explanation: &Explanation) -> String {
    let messages: Vec<String> = explanation.causes.iter().map(Cause::message).collect();
    messages.join("; ")
}

/// What a search that found nothing has to say.
#[derive(Debug, Clone, Serialize)]
pub struct NotFound {
    pub seconds: f64,
    /// Why it stopped: the time limit, or every stage having run.
    pub reason: String,
    /// What still blocks in the placement that came closest.
    pub violations: Vec<Finding>,
    /// That placement (not verified: it breaks `violations`), for callers
    /// that build on it (what to buy).
    #[serde(skip)]
    pub closest: Option<Box<Placement>>,
    pub suggestions: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::explain::Limit;

    #[test]
    fn plan_errors_read_as_sentences() {
        let infeasible = PlanError::Infeasible(Explanation {
            causes: vec![Cause::Binding {
                limits: vec![Limit::Cpu],
            }],
            notes: Vec::new(),
        });
        assert_eq!(
            infeasible.to_string(),
            "no placement satisfies the guarantees: these limits cannot all be met: the servers' cores"
        );
        let not_found = PlanError::NotFound(NotFound {
            seconds: 1.0,
            reason: "no placement found within the time limit of 1 s".into(),
            violations: Vec::new(),
            closest: None,
            suggestions: Vec::new(),
        });
        assert_eq!(
            not_found.to_string(),
            "no placement found within the time limit of 1 s"
        );
    }
}
