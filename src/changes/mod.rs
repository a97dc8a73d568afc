//! What changes between two placements of one inventory, in the two forms
//! the tools need: replicas added and removed one at a time ([`steps`], what
//! `migrate` orders into waves) and, per service, servers that lost a replica
//! paired with servers that gained one as moves ([`changes`], what `plan
//! --current`, `diff` and `maintenance` print). [`diff`] adds each service's
//! margins, judged by `verify`.

mod diff;
mod moves;
mod steps;

pub use diff::{diff, Diff, Margin};
pub use moves::{changes, Change};
pub use steps::{apply, counts, placement, steps, Action, Counts, Step};
