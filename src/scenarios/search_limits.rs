//! Where the exact `power:P%` searches stop, and how that is told.

/// When a family's groups of interdependent candidates have more sets than this
/// within the budget in total, they are not listed: replica checks fall back to
/// [`BudgetFamily::worst`](super::budget_family::BudgetFamily::worst) and load
/// checks to a bound (`power-unproven`).
pub const MAX_GROUP_SETS: usize = 1 << 17;

/// The load search stops after this many nodes for one component; the
/// component is then `power-unproven` unless an overloading set was found.
pub const MAX_SEARCH_NODES: u64 = 2_000_000;

/// Why a `power:P%` worst case could not be proven exactly.
#[derive(Debug, Clone, PartialEq)]
pub enum SearchLimit {
    /// The groups of candidates that feed common servers have more than
    /// [`MAX_GROUP_SETS`] sets within the budget; `largest` candidates form the
    /// largest group.
    TooManySets { largest: usize },
    /// The load search for one component visited [`MAX_SEARCH_NODES`] nodes.
    Nodes,
}

impl std::fmt::Display for SearchLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SearchLimit::TooManySets { largest } => write!(
                f,
                "its groups of components that feed common servers (the largest has {largest}) have more than {MAX_GROUP_SETS} sets within the budget"
            ),
            SearchLimit::Nodes => write!(
                f,
                "the search stopped at its limit of {MAX_SEARCH_NODES} nodes"
            ),
        }
    }
}
