//! The single points of failure of a placement, whatever the survive words
//! say: each rack, power component or server whose failure alone breaks a
//! service.

use serde::Serialize;

use crate::inventory::{Component, Inventory, Services};
use crate::topology::Topology;

use super::placement_index::PlacementIndex;

/// A rack, server or power component whose failure alone leaves some service
/// that is whole in normal operation with fewer than min_replicas up.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SinglePoint {
    pub component: String,
    pub kind: &'static str,
    /// (service, replicas left up, min_replicas).
    pub breaks: Vec<(String, u32, u32)>,
}

/// Every rack, power component and server (in that order, each in file
/// order) whose failure alone breaks a service that is whole in normal
/// operation: the single points of failure of the placement, whatever the
/// survive words say.
pub fn single_points(
    inventory: &Inventory,
    services: &Services,
    index: &PlacementIndex,
) -> Vec<SinglePoint> {
    let topology = Topology::new(inventory);
    let candidates = inventory
        .rack_ids()
        .map(|r| (Component::Rack(r), "rack"))
        .chain(
            inventory
                .power_ids()
                .map(|p| (Component::Power(p), "power")),
        )
        .chain(
            inventory
                .server_ids()
                .map(|s| (Component::Server(s), "server")),
        );
    let mut out = Vec::new();
    for (component, kind) in candidates {
        let down = topology.impact(&[component]).down;
        let breaks: Vec<(String, u32, u32)> = index
            .lost(&down)
            .into_iter()
            .filter_map(|(service, lost)| {
                let up = index.up[service.index()];
                let needed = services.service(service).min_replicas;
                (up >= needed && up - lost < needed)
                    .then(|| (services.service(service).name.clone(), up - lost, needed))
            })
            .collect();
        if !breaks.is_empty() {
            out.push(SinglePoint {
                component: inventory.name(component),
                kind,
                breaks,
            });
        }
    }
    out
}
