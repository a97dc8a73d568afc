//! `faultplan simulate`: what one ad-hoc failure does to every service and
//! power component.

use serde::Serialize;

use crate::inventory::{Component, Inventory, Placement, Services};
use crate::topology::{Impact, Topology};

use super::options::LOAD_TOLERANCE_W;
use super::placement_index::PlacementIndex;

/// What an ad-hoc failure does, for `faultplan simulate`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Simulation {
    pub failed: Vec<String>,
    pub servers_down: Vec<String>,
    pub power_off: Vec<String>,
    pub services: Vec<SimulatedService>,
    /// Power components whose load changed, that lost power, or that are over their limit.
    pub power: Vec<SimulatedPower>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SimulatedService {
    pub service: String,
    pub needed: u32,
    pub up_before: u32,
    pub up_after: u32,
    pub ok: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SimulatedPower {
    pub component: String,
    pub kind: String,
    pub powered: bool,
    pub before_w: f64,
    pub after_w: f64,
    pub limit_w: f64,
    pub overloaded: bool,
}

impl Simulation {
    pub fn passed(&self) -> bool {
        self.services.iter().all(|s| s.ok) && self.power.iter().all(|p| !p.overloaded)
    }
}

/// Fails `failed` together and reports every service and power component.
pub fn simulate(
    inventory: &Inventory,
    services: &Services,
    placement: &Placement,
    failed: &[Component],
) -> Simulation {
    let topology = Topology::new(inventory);
    let index = PlacementIndex::new(inventory, services, placement);
    let impact = topology.impact(failed);
    let lost = index.lost(&impact.down);
    let before = topology.loads(&index.draw_w, &Impact::default());
    let after = topology.loads(&index.draw_w, &impact);
    let services = services
        .ids()
        .map(|id| {
            let service = services.service(id);
            let up_before = index.up[id.index()];
            let up_after = up_before - lost.iter().find(|(s, _)| *s == id).map_or(0, |(_, n)| *n);
            SimulatedService {
                service: service.name.clone(),
                needed: service.min_replicas,
                up_before,
                up_after,
                ok: up_after >= service.min_replicas,
            }
        })
        .collect();
    let power = inventory
        .power_ids()
        .filter_map(|p| {
            let component = inventory.power(p);
            let powered = impact.unpowered.binary_search(&p).is_err();
            let (before_w, after_w) = (before[p.index()], after[p.index()]);
            let overloaded = after_w > component.limit_w() + LOAD_TOLERANCE_W;
            let changed = (after_w - before_w).abs() > LOAD_TOLERANCE_W;
            (changed || !powered || overloaded).then(|| SimulatedPower {
                component: component.id.clone(),
                kind: component.kind.clone(),
                powered,
                before_w,
                after_w,
                limit_w: component.limit_w(),
                overloaded,
            })
        })
        .collect();
    Simulation {
        failed: failed.iter().map(|c| inventory.name(*c)).collect(),
        servers_down: impact
            .down
            .iter()
            .map(|s| inventory.server(*s).id.clone())
            .collect(),
        power_off: impact
            .unpowered
            .iter()
            .map(|p| inventory.power(*p).id.clone())
            .collect(),
        services,
        power,
    }
}
