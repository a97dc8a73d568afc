//! The independent judge of a placement: evaluates every scenario and returns
//! typed findings with the numbers that explain them. It never imports `plan`:
//! every plan is checked by this code, and CI runs it as the lint.
//!
//! `check` ([`check.rs`](check)) reads as its steps: the placement with
//! nothing failed (`normal`), each listed scenario (`listed`), each searched
//! `power:P%` family (`families`), then each service's verdict (`statuses`),
//! all sharing one [`judge::Judge`]. Beside it: power loads per component
//! (`power`), ad-hoc failures (`simulate`), single points of failure, drift
//! from what runs, and the incremental [`Ledger`] that `migrate` uses.

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
mod power;
mod simulate;
mod single_points;
mod statuses;

pub use check::{check, check_during};
pub use drift::drift;
pub use findings::{round, Finding, FindingKind, Report, ServiceStatus, Severity, Worst};
pub use ledger::Ledger;
pub use options::CheckOptions;
pub use placement_index::PlacementIndex;
pub use power::{power_status, PowerStatus};
pub use simulate::{simulate, SimulatedPower, SimulatedService, Simulation};
pub use single_points::{single_points, SinglePoint};
