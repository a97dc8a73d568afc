//! Safe change: an order of replica additions and removals that takes a
//! current placement A to a target B so that no intermediate placement is less
//! safe than A or B (docs/usage.md, "Migrating safely").
//!
//! "No less safe" compares what `verify::check` reports on each state:
//! - for every service and every word it must survive (and for nothing
//!   failed), the fewest replicas up never drops below the smaller of that
//!   number in A and in B;
//! - every limit (a server's cpu, memory and `max_per_server`, a power
//!   component's load in normal operation and its worst load under failover)
//!   holds, or is exceeded by no more than A or B already exceed it.
//!
//! A wave's changes may finish in any order, so a wave is safe only when every
//! subset of its changes leaves a safe placement. Both sides are monotone:
//! adding a replica never lowers a count of replicas up and never lowers a
//! load (a server's draw grows with its cpu, and a load is a sum of draws
//! with nonnegative shares whatever has failed); removing one never raises
//! them. So the worst subset for the limits is "every add done, no remove",
//! and the worst for the replicas is "every remove done, no add": checking
//! those two placements proves every interleaving.
//!
//! - safety.rs: what "less safe" compares, read off a `check` report, and
//!   the bar that the worse of A and B sets;
//! - bar.rs: the placement reached so far, judged against that bar change by
//!   change;
//! - waves.rs: the ordering itself, wave after wave, and what blocks it;
//! - exhaustive.rs: every order, the only proof that none is safe;
//! - stepping.rs: temporary replicas (`--allow-temporary`) that unblock a
//!   removal.

mod bar;
mod exhaustive;
mod safety;
mod stepping;
mod waves;

pub use safety::{Limit, Violation};
pub use waves::{migrate, Blocked, BlockedStep, MigrateOptions, Migration};
