//! Planning with a purchase: the planner's construction and repair alone,
//! a fixed effort per service, and what falls short when it does not plan.

use std::collections::BTreeMap;
use std::time::Instant;

use super::pick::Pick;
use super::shortages::{shortages, structural_shortages};
use crate::capacity::purchase::candidates::{catalog_server, new_servers, Built, RackSpace};
use crate::inventory::{Catalog, Inventory, Placement, Server, ServiceId, Services};
use crate::plan::{self, Method, PlanError, PlanOptions};

/// What planning with a purchase gave.
pub(super) enum Attempt {
    Works(Box<Built>),
    /// Replicas short per service, with the inventory and the closest
    /// placement they were found on.
    Short {
        inventory: Box<Inventory>,
        closest: Option<Placement>,
        short: BTreeMap<ServiceId, u32>,
    },
    Failed,
}

/// Planning with a purchase, the time left for it, and what it reads.
#[derive(Clone, Copy)]
pub(super) struct Probe<'a> {
    pub(super) inventory: &'a Inventory,
    pub(super) services: &'a Services,
    pub(super) catalog: &'a Catalog,
    pub(super) racks: &'a [RackSpace],
    pub(super) options: &'a PlanOptions,
    pub(super) started: Instant,
    pub(super) seconds: f64,
}

impl Probe<'_> {
    pub(super) fn left(&self) -> f64 {
        self.seconds - self.started.elapsed().as_secs_f64()
    }

    /// The planner's construction and repair (no solver, a fixed effort)
    /// on the inventory with `picks`, and `check`.
    pub(super) fn attempt(&self, picks: &[Pick]) -> Attempt {
        let servers: Vec<(usize, Server)> = picks
            .iter()
            .map(|p| {
                let psu = self.racks[p.rack.index()].wirings[p.wiring].clone();
                (
                    p.model,
                    catalog_server(&self.catalog.models[p.model], p.rack, psu),
                )
            })
            .collect();
        let Ok((rows, after)) = new_servers(self.inventory, self.catalog, self.racks, servers)
        else {
            return Attempt::Failed;
        };
        let greedy = PlanOptions {
            method: Method::Greedy,
            time_limit: Some(self.left().max(0.1)),
            effort: Some(EFFORT_PER_SERVICE * self.services.services.len() as u64),
            ..self.options.clone()
        };
        let (short, closest) = match plan::plan(&after, self.services, None, &greedy, &|_| {}) {
            Ok(plan) => {
                return Attempt::Works(Box::new(Built {
                    price: rows.iter().map(|r| r.price).sum(),
                    servers: rows,
                    inventory: after,
                    plan: Ok(plan),
                    found_by: "constructive",
                }))
            }
            Err(PlanError::Infeasible(explanation)) => (
                structural_shortages(self.services, &explanation.causes),
                None,
            ),
            Err(PlanError::NotFound(not_found)) => (
                shortages(self.services, &not_found.violations),
                not_found.closest.map(|p| *p),
            ),
        };
        Attempt::Short {
            inventory: Box::new(after),
            closest,
            short,
        }
    }

    /// When `changed` plans, it replaces `picks` and `best`.
    pub(super) fn keep_if_it_plans(
        &self,
        changed: Vec<Pick>,
        picks: &mut Vec<Pick>,
        best: &mut Built,
    ) {
        if let Attempt::Works(built) = self.attempt(&changed) {
            *picks = changed;
            *best = *built;
        }
    }
}

/// Steps of construction and repair per service each plan of a purchase
/// gets (`PlanOptions::effort`). On the 1,000-server fleet grown ×2 a
/// purchase that plans took 2 to 23 steps per service, one that does not
/// 166 to 36,000 before the repair gave up: past this, the purchase counts
/// as not planning, so a short one costs a fraction of a second, not
/// minutes, and the answer is the same on any machine.
const EFFORT_PER_SERVICE: u64 = 100;
