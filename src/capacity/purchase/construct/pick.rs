//! One server bought (its model, rack and wiring), which model a short
//! replica is bought on first, and the limits a set of picks stays within.

use crate::capacity::purchase::candidates::RackSpace;
use crate::inventory::{Catalog, RackId};

/// One server bought: its catalog model, rack and wiring (an index into
/// the rack's wirings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Pick {
    pub(super) model: usize,
    pub(super) rack: RackId,
    pub(super) wiring: usize,
}

/// Which catalog model a short replica is bought on first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Preference {
    /// The lowest price per replica of the service's shape: the fewest
    /// dollars where replica slots (max_per_server, labels) are short.
    PerReplica,
    /// The lowest price per core (then per GB): where cores, rack units or
    /// power are short, a dense server carries more for its units and,
    /// at a lower draw per core, for its watts.
    PerCore,
}

/// The rack units `picks` take per rack, and how many of each model.
pub(super) fn taken(
    catalog: &Catalog,
    racks: &[RackSpace],
    picks: &[Pick],
) -> (Vec<u32>, Vec<u32>) {
    let mut units = vec![0u32; racks.len()];
    let mut count = vec![0u32; catalog.models.len()];
    for p in picks {
        units[p.rack.index()] += catalog.models[p.model].u_height;
        count[p.model] += 1;
    }
    (units, count)
}

/// Each rack's new servers fit its free units, and each model's count its
/// max_count.
pub(super) fn within_limits(catalog: &Catalog, racks: &[RackSpace], picks: &[Pick]) -> bool {
    let (units, count) = taken(catalog, racks, picks);
    units.iter().zip(racks).all(|(u, r)| *u <= r.free)
        && count
            .iter()
            .zip(&catalog.models)
            .all(|(n, m)| m.max_count.is_none_or(|max| *n <= max))
}
