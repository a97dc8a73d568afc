//! The quick bounds on the price of every purchase: cores and memory, and
//! the aggregate LP (aggregate_bound.rs), which take microlp seconds at
//! 1,000 servers where the class model may take minutes.

use good_lp::ResolutionError;

use super::aggregate_bound::aggregate_bound;
use super::class_model::{buy_of, purchase_settings, ForSale};
use crate::inventory::{Inventory, Services};
use crate::plan::{impacts, Model, PlanOptions, SolveSettings};
use crate::scenarios::ScenarioSet;

/// A lower bound on the price of every purchase of `for_sale` (servers of
/// `inventory`, as for `cheapest_purchase`) that makes the demand
/// plannable, from the bounds that take microlp seconds at 1,000 servers:
/// cores and memory, and the aggregate LP (aggregate_bound.rs). None: no
/// purchase makes it plannable (the aggregate LP is infeasible).
pub fn purchase_bound(
    inventory: &Inventory,
    services: &Services,
    for_sale: &[ForSale],
    limits: &[f64],
    options: &PlanOptions,
) -> Option<f64> {
    let set = ScenarioSet::expand(inventory, &services.all_words(), options.enumeration_limit);
    let impacts = impacts(inventory, &set);
    let mut model = Model::new(inventory, services, &set, &impacts, None, &[]);
    model.buy = Some(buy_of(&model, for_sale, limits));
    quick_bound(
        &model,
        &purchase_settings(options.time_limit, options.threads, true),
    )
}

/// The larger of the cores-and-memory bound and the aggregate LP's; None
/// when the aggregate LP proves that no purchase works.
fn quick_bound(model: &Model, settings: &SolveSettings) -> Option<f64> {
    let cores = capacity_bound(model);
    match aggregate_bound(model, settings) {
        Ok(bound) => Some(cores.max(bound)),
        Err(ResolutionError::Infeasible) => None,
        Err(_) => Some(cores),
    }
}

/// A bound from cores and memory alone, for when the LP relaxation takes
/// too long: every placement reserves at least Σ floor × cpu cores (each
/// service's replica floor, as in the model), the servers owned and active
/// have what they have, and the rest must be bought at no less than the
/// lowest price per core of any server for sale; the same for memory.
fn capacity_bound(model: &Model) -> f64 {
    let Some(buy) = &model.buy else {
        return 0.0;
    };
    let services = model.services;
    let (mut cpu, mut mem) = (0.0, 0.0);
    for id in services.ids() {
        let floor = f64::from(model.replica_floor(id));
        cpu += floor * services.service(id).cpu;
        mem += floor * services.service(id).mem_gb;
    }
    let (mut per_core, mut per_gb) = (f64::INFINITY, f64::INFINITY);
    for (k, class) in model.classes.iter().enumerate() {
        match buy.price[k] {
            None => {
                cpu -= class.cpu * class.size();
                mem -= class.mem_gb * class.size();
            }
            Some(price) => {
                if class.cpu > 0.0 {
                    per_core = per_core.min(price / class.cpu);
                }
                if class.mem_gb > 0.0 {
                    per_gb = per_gb.min(price / class.mem_gb);
                }
            }
        }
    }
    let bound = |missing: f64, per_unit: f64| {
        if missing > 1e-9 && per_unit.is_finite() {
            missing * per_unit
        } else {
            0.0
        }
    };
    bound(cpu, per_core).max(bound(mem, per_gb))
}
