//! The independent judge of a placement: evaluates every scenario and returns
//! typed findings with the numbers that explain them. It never imports `plan`:
//! every plan is checked by this code, and CI runs it as the lint.
//!
//! `check` (check.rs) reads as its steps: the placement with nothing failed
//! (normal.rs), each listed scenario (listed.rs), each searched `power:P%`
//! family (families.rs), then each service's verdict (statuses.rs), all
//! sharing one `Judge` (judge.rs). Beside it: power loads per component
//! (power_loads.rs), ad-hoc failures (simulate.rs), single points of failure
//! (single_points.rs), drift from what runs (drift.rs), and the incremental
//! [`Ledger`] (ledger.rs) that `migrate` uses.

mod check;
mod drift;
mod families;
mod findings;
mod judge;
mod ledger;
mod listed;
mod locations;
mod normal;
mod options;
mod placement_index;
mod power_loads;
mod simulate;
mod single_points;
mod statuses;

pub use check::{check, check_during};
pub use drift::drift;
pub use findings::{round, Finding, FindingKind, Report, ServiceStatus, Severity, Worst};
pub use ledger::Ledger;
pub use options::CheckOptions;
pub use placement_index::PlacementIndex;
pub use power_loads::{power_status, PowerStatus};
pub use simulate::{simulate, SimulatedPower, SimulatedService, Simulation};
pub use single_points::{single_points, SinglePoint};
