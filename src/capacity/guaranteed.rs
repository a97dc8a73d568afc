//! Guaranteed capacity: per survive word, what the fleet's cores, memory
//! and root power have left after the worst scenario of that family.

use serde::Serialize;

use crate::inventory::{Component, Inventory, PowerId, Status};
use crate::scenarios::ScenarioSet;
use crate::topology::{Impact, Topology};

/// Usable capacity of one resource after the worst scenario of one family.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FamilyCapacity {
    /// The survive word (e.g. `rack`, `power:50%`).
    pub family: String,
    /// `cpu` (cores), `mem_gb` or `power_w`.
    pub resource: &'static str,
    /// cpu, mem_gb: summed over active servers. power_w: the summed limits
    /// (capacity_w × max_utilization) of the root power components.
    pub raw: f64,
    /// `raw` minus the most that one scenario of the family takes away: the
    /// active servers it takes down (cpu, mem_gb), the roots it leaves
    /// without power (power_w).
    pub guaranteed: f64,
    /// raw − guaranteed.
    pub stranded: f64,
    /// The scenario that takes the most (first in scenario order on ties);
    /// None when no scenario of the family takes any.
    pub worst_scenario: Option<String>,
}

/// Per word of `set` (one per survive word used), cpu, mem_gb and power_w.
pub(super) fn guaranteed(
    inventory: &Inventory,
    topology: &Topology,
    set: &ScenarioSet,
    impacts: &[Impact],
) -> Vec<FamilyCapacity> {
    let raw = raw_capacity(inventory);
    let mut out = Vec::new();
    for (w, word) in set.words.iter().enumerate() {
        let worst = worst_losses(inventory, topology, set, impacts, w);
        for (r, resource) in ["cpu", "mem_gb", "power_w"].into_iter().enumerate() {
            out.push(FamilyCapacity {
                family: word.to_string(),
                resource,
                raw: raw[r],
                guaranteed: raw[r] - worst[r].0,
                stranded: worst[r].0,
                worst_scenario: worst[r].1.clone(),
            });
        }
    }
    out
}

/// The active servers' cores and memory, and the root power components'
/// limits.
fn raw_capacity(inventory: &Inventory) -> [f64; 3] {
    let active = || {
        inventory
            .servers
            .iter()
            .filter(|s| s.status == Status::Active)
    };
    [
        active().map(|s| s.cpu).sum(),
        active().map(|s| s.mem_gb).sum(),
        inventory
            .power
            .iter()
            .filter(|c| c.is_root())
            .map(|c| c.limit_w())
            .sum::<f64>(),
    ]
}

/// What `impact` takes away: the cores and memory of the active servers it
/// takes down, the limits of the roots it leaves without power.
fn lost(inventory: &Inventory, impact: &Impact) -> [f64; 3] {
    let is_active = |s: &crate::inventory::ServerId| inventory.server(*s).status == Status::Active;
    let down = impact.down.iter().filter(|s| is_active(s));
    [
        down.clone().map(|s| inventory.server(*s).cpu).sum(),
        down.map(|s| inventory.server(*s).mem_gb).sum(),
        impact
            .unpowered
            .iter()
            .map(|p| inventory.power(*p))
            .filter(|c| c.is_root())
            .map(|c| c.limit_w())
            .sum(),
    ]
}

/// Per resource, the most one scenario of word `w` takes away, and that
/// scenario (the first on ties).
fn worst_losses(
    inventory: &Inventory,
    topology: &Topology,
    set: &ScenarioSet,
    impacts: &[Impact],
    w: usize,
) -> [(f64, Option<String>); 3] {
    let word = &set.words[w];
    let mut worst: [(f64, Option<String>); 3] = Default::default();
    let mut raise = |loss: [f64; 3], name: &str| {
        for (r, l) in loss.into_iter().enumerate() {
            if l > worst[r].0 + 1e-9 {
                worst[r] = (l, Some(name.to_string()));
            }
        }
    };
    for (i, scenario) in set.scenarios.iter().enumerate() {
        // A dominated set loses no more servers or roots than its superset.
        if scenario.words.iter().any(|m| m.word == w && !m.dominated) {
            raise(lost(inventory, &impacts[i]), &scenario.name);
        }
    }
    for family in set.families.iter().filter(|f| f.word == w) {
        // The worst set per resource, searched in whole milli-units, and
        // its loss then counted exactly.
        for r in 0..3 {
            let (_, members) = family.worst(|members: &[PowerId]| {
                let failed: Vec<Component> = members.iter().map(|p| Component::Power(*p)).collect();
                (lost(inventory, &topology.impact(&failed))[r] * 1000.0).round() as u64
            });
            if members.is_empty() {
                continue;
            }
            let failed: Vec<Component> = members.iter().map(|p| Component::Power(*p)).collect();
            let names: Vec<&str> = members
                .iter()
                .map(|p| inventory.power(*p).id.as_str())
                .collect();
            let mut loss = [0.0; 3];
            loss[r] = lost(inventory, &topology.impact(&failed))[r];
            raise(loss, &format!("{word} {}", names.join("+")));
        }
    }
    worst
}
