//! The cheapest servers to buy (capacity planning): the exact model of
//! milp.rs over an inventory that also holds every server that could be
//! bought, each class of those with an integer "how many bought" that scales
//! its cpu, memory, replicas and idle draw, and the price as the goal.
//!
//! Why its answer is a bound: take any purchase P (within rack space and
//! max_count) and any placement on the inventory with P that `check`
//! accepts. Map P's servers onto the servers for sale of the same rack,
//! model and wiring (they are interchangeable: one class), set b to the
//! number bought per class; the placement's counts per class then meet
//! every row of the model, which are the class relaxation of `check`
//! (milp.rs) with b servers in place of the class's size. So the model's
//! optimum is at most P's price: it is a lower bound on every purchase, and
//! "infeasible" means no purchase within the limits makes the demand
//! plannable. Whether its own purchase is plannable is then decided by the
//! planner on the inventory with exactly those servers, and `check`.

use good_lp::ResolutionError;

use super::milp::{Goal, Relax, Scope, SolveSettings};
use super::model::{impacts, Buy, Model};
use super::PlanOptions;
use crate::inventory::{Inventory, ServerId, Services};
use crate::scenarios::ScenarioSet;

/// One server that may be bought, already in the inventory given to
/// [`cheapest_purchase`]. Servers for sale with the same rack, wiring and
/// model must have the same price and limits (they form one class).
#[derive(Debug, Clone)]
pub struct ForSale {
    pub server: ServerId,
    pub price: f64,
    /// (index into the limits, units this server uses of it).
    pub uses: Vec<(usize, f64)>,
}

#[derive(Debug, Clone)]
pub struct Purchase {
    /// The servers for sale that are bought.
    pub servers: Vec<ServerId>,
    pub price: f64,
    /// Proven cheapest by the model (every purchase costs at least `bound`).
    pub optimal: bool,
    /// A proven lower bound on the price of any purchase that makes the
    /// demand plannable.
    pub bound: f64,
}

#[derive(Debug, Clone)]
pub enum PurchaseOutcome {
    Bought(Purchase),
    /// No purchase within the limits makes the demand plannable (proven).
    Impossible,
    /// The solver stopped without an answer.
    Unknown(String),
}

/// The cheapest purchase by the model: `for_sale` names the servers of
/// `inventory` that may be bought, `limits` the right-hand sides their
/// `uses` count against (free rack units, max_count).
pub fn cheapest_purchase(
    inventory: &Inventory,
    services: &Services,
    for_sale: &[ForSale],
    limits: &[f64],
    options: &PlanOptions,
) -> PurchaseOutcome {
    let set = ScenarioSet::expand(inventory, &services.all_words(), options.enumeration_limit);
    let impacts = impacts(inventory, &set);
    let mut model = Model::new(inventory, services, &set, &impacts, None, &[]);
    let mut sale_of: Vec<Option<&ForSale>> = vec![None; inventory.servers.len()];
    for f in for_sale {
        sale_of[f.server.index()] = Some(f);
    }
    let mut price = vec![None; model.classes.len()];
    let mut coefs: Vec<Vec<(usize, f64)>> = vec![Vec::new(); limits.len()];
    for (k, class) in model.classes.iter().enumerate() {
        let Some(first) = sale_of[class.servers[0].index()] else {
            continue;
        };
        price[k] = Some(first.price);
        for &(limit, units) in &first.uses {
            coefs[limit].push((k, units));
        }
    }
    model.buy = Some(Buy {
        price,
        limits: coefs.into_iter().zip(limits.iter().copied()).collect(),
    });
    let settings = |relaxed: bool| SolveSettings {
        time_limit: options.time_limit,
        threads: options.threads,
        slack: false,
        relaxed,
        max_moves: None,
        relax: Relax::default(),
        initial: None,
    };
    match model.solve(Goal::Price, &[], Scope::Whole, &settings(false)) {
        Ok(outcome) => {
            let mut servers = Vec::new();
            for (k, &b) in outcome.bought.iter().enumerate() {
                servers.extend(model.classes[k].servers.iter().take(b as usize).copied());
            }
            servers.sort_unstable();
            let bound = if outcome.optimal {
                outcome.value
            } else {
                // The LP relaxation's optimum bounds every integer purchase.
                match model.solve(Goal::Price, &[], Scope::Whole, &settings(true)) {
                    Ok(lp) if lp.optimal => lp.value.min(outcome.value),
                    _ => 0.0,
                }
            };
            PurchaseOutcome::Bought(Purchase {
                servers,
                price: outcome.value,
                optimal: outcome.optimal,
                bound,
            })
        }
        Err(ResolutionError::Infeasible) => PurchaseOutcome::Impossible,
        Err(e) => PurchaseOutcome::Unknown(e.to_string()),
    }
}
