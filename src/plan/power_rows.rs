//! Every power limit as a linear row over the classes' draw, under normal
//! operation and under each scenario that cuts power somewhere, routed by the
//! topology's one rule.

use super::classes::Class;
use crate::inventory::{Inventory, Status};
use crate::topology::{Impact, Topology};

/// One power limit under one scenario: constant + Σ coef·(class draw) ≤ limit.
#[derive(Debug, Clone)]
pub struct PowerRow {
    /// (class, share of the class's draw that reaches the component)
    pub coefs: Vec<(usize, f64)>,
    /// Draw of maintenance servers (idle) that reaches the component.
    pub constant_w: f64,
    pub limit_w: f64,
    /// The component, and the scenario (an index into `Model::power_scenarios`;
    /// None: normal operation).
    pub component: crate::inventory::PowerId,
    pub scenario: Option<usize>,
}

impl PowerRow {
    /// Whether the load could exceed the limit with every class at full draw.
    pub(super) fn could_exceed(&self, classes: &[Class]) -> bool {
        let worst: f64 = self.constant_w
            + self
                .coefs
                .iter()
                .map(|(k, c)| c * classes[*k].size() * classes[*k].max_w)
                .sum::<f64>();
        worst > self.limit_w
    }
}

/// The power rows of one scenario, one per powered component, with the
/// topology's one routing rule ([`Topology::route`]).
pub(super) fn power_rows(
    topology: &Topology,
    classes: &[Class],
    impact: &Impact,
    scenario: Option<usize>,
    constant_draw: &[f64],
) -> Vec<PowerRow> {
    let inventory = topology.inventory;
    let powered = impact.powered_mask(inventory);
    let constant = topology.loads(constant_draw, impact);
    let mut coefs: Vec<Vec<(usize, f64)>> = vec![Vec::new(); inventory.power.len()];
    for (k, class) in classes.iter().enumerate() {
        if impact.down.binary_search(&class.servers[0]).is_ok() {
            continue;
        }
        topology.route(&class.psu, &powered, |p, share| {
            match coefs[p.index()].last_mut() {
                Some((last, c)) if *last == k => *c += share,
                _ => coefs[p.index()].push((k, share)),
            }
        });
    }
    inventory
        .power_ids()
        .filter(|p| powered[p.index()])
        .map(|p| PowerRow {
            coefs: std::mem::take(&mut coefs[p.index()]),
            constant_w: constant[p.index()],
            limit_w: inventory.power(p).limit_w(),
            component: p,
            scenario,
        })
        .collect()
}

/// What each server draws whatever the placement: maintenance servers their
/// idle draw, offline ones nothing; active servers are the classes' part.
pub(super) fn constant_draw(inventory: &Inventory) -> Vec<f64> {
    inventory
        .servers
        .iter()
        .map(|s| {
            if s.status == Status::Active {
                0.0
            } else {
                s.draw_w(0.0)
            }
        })
        .collect()
}

/// The model's power rows: every powered component's row in normal
/// operation, the limits that could be exceeded (normal operation first,
/// then each scenario that cuts power), and per class the rows it enters.
pub(super) struct Rows {
    pub normal: Vec<PowerRow>,
    pub power: Vec<PowerRow>,
    pub class_rows: Vec<Vec<(usize, f64)>>,
}

pub(super) fn rows(
    inventory: &Inventory,
    topology: &Topology,
    classes: &[Class],
    impacts: &[Impact],
) -> Rows {
    let constant_draw = constant_draw(inventory);
    let normal = power_rows(topology, classes, &Impact::default(), None, &constant_draw);
    let mut power: Vec<PowerRow> = normal
        .iter()
        .filter(|row| row.could_exceed(classes))
        .cloned()
        .collect();
    for (i, impact) in impacts.iter().enumerate() {
        if !impact.unpowered.is_empty() {
            let rows = power_rows(topology, classes, impact, Some(i), &constant_draw);
            power.extend(rows.into_iter().filter(|row| row.could_exceed(classes)));
        }
    }
    let mut class_rows = vec![Vec::new(); classes.len()];
    for (r, row) in power.iter().enumerate() {
        for &(k, coef) in &row.coefs {
            class_rows[k].push((r, coef));
        }
    }
    Rows {
        normal,
        power,
        class_rows,
    }
}
