//! Expands the `survive` words of FORMATS.md into concrete failure scenarios.
//!
//! Every word but `power:P%` is a short explicit list. `power:P%` stands for every
//! set of a datacenter's roots (or components of one kind) whose capacity adds up
//! to at most P% of the datacenter's: when a datacenter has few such sets they are
//! listed, otherwise the family is kept as a [`BudgetFamily`] whose worst sets
//! are searched exactly by a [`FamilySearch`]: the most replicas lost for a
//! service, and (with a [`LoadSearch`]) the most load on each component.
//!
//! - `scenario`: one concrete scenario and the words it belongs to;
//! - `expand`: the words of a list expanded into a [`ScenarioSet`];
//! - `blast_radius`: what each scenario takes down, for `faultplan scenarios`;
//! - `budget_family`: a `power:P%` family too large to list, its sets listed or
//!   searched by plain branch and bound;
//! - `groups`: the family's candidates split into independent groups, and each
//!   group's sets within the budget;
//! - `family_search`: the exact worst replica loss over those groups, with
//!   `loss_table`, its dynamic program;
//! - `load_search` and `knapsack`: the exact worst load on each component, a
//!   multiple-choice knapsack over the groups;
//! - `search_limits`: where the exact searches stop, and why.

mod blast_radius;
mod budget_family;
mod expand;
mod family_search;
mod groups;
mod knapsack;
mod load_search;
mod loss_table;
mod scenario;
mod search_limits;

pub use blast_radius::BlastRadius;
pub use budget_family::BudgetFamily;
pub use expand::{ScenarioSet, VacuousPower, DEFAULT_ENUMERATION_LIMIT};
pub use family_search::FamilySearch;
pub use load_search::{LoadSearch, WorstLoad};
pub use scenario::{Membership, Scenario};
pub use search_limits::{SearchLimit, MAX_GROUP_SETS, MAX_SEARCH_NODES};
