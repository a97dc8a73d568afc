//! The search for the cheapest purchase, around one incumbent as `plan`
//! does:
//! 1. today: the planner on the fleet as it is (a share of the time limit);
//! 2. the incumbent: a constructive purchase (construct/), servers added
//!    where the planner's construction falls short, re-planned until `check`
//!    accepts, then taken back and swapped for cheaper models while it
//!    still plans: a verified price;
//! 3. the bound: every server that could be bought goes into a copy of the
//!    inventory as a server "for sale"; the quick bounds (cores and memory,
//!    the aggregate LP) get all the time left; then, when they do not reach
//!    the verified price, the planner's exact model (class_model.rs, a
//!    relaxation of `check` for every purchase) gives bounds — its LP
//!    relaxation, its optimum — and looks for a purchase cheaper than the
//!    incumbent, which the planner then plans on the inventory with exactly
//!    those servers, and `check` verifies.
//!
//! "Cheapest" is printed only when a proven bound reaches the price of a
//! verified purchase; otherwise the price, the bound and the gap.

use std::time::Instant;

use super::answer::{Answer, Bought};
use super::candidates::{new_servers, rack_space, Built, RackSpace};
use super::class_model::{cheapest_purchase, price_tolerance, Purchase, PurchaseOutcome};
use super::construct;
use super::for_sale::{for_sale, ForSaleInventory};
use super::quick_bounds::purchase_bound as model_bound;
use crate::capacity::error::CapacityError;
use crate::inventory::{Catalog, Inventory, Services};
use crate::plan::{self, Method, Plan, PlanError, PlanOptions};

/// Share of the time limit the planner gets to say whether the demand fits
/// as it is, and the share the constructive purchase gets.
const TODAY_SHARE: f64 = 0.15;
const CONSTRUCT_SHARE: f64 = 0.4;
/// Share of the time limit left unused by the model's solves when a
/// verified purchase is already there, for the solver's overrun.
const MODEL_MARGIN: f64 = 0.2;
/// Share of the time limit the quick bounds leave unused, for microlp's
/// overrun of its limit.
const BOUND_MARGIN: f64 = 0.05;
/// Seconds below which the purchase model is not started: its first solve
/// alone would overrun them.
const MODEL_LEAST: f64 = 1.0;

/// The search (see the module comment): today's fleet; a constructive
/// purchase, verified, as the incumbent; the exact model for a cheaper one
/// and for the bound. Every purchase returned as verified passed `check`
/// on the inventory with it; the bound only ever comes from the model.
pub fn purchase(
    inventory: &Inventory,
    services: &Services,
    catalog: &Catalog,
    options: &PlanOptions,
    progress: &dyn Fn(&str),
) -> Answer {
    let search = Search {
        inventory,
        services,
        catalog,
        options,
        progress,
        started: Instant::now(),
        limit: options.time_limit.unwrap_or(plan::DEFAULT_SECONDS),
    };
    if let Ok(plan) = search.plan_today() {
        return Answer::NothingToBuy(Box::new(plan));
    }
    let racks = rack_space(inventory);
    let mut best = search.constructive_purchase(&racks);
    let shelf = match for_sale(inventory, catalog, &racks) {
        Ok(shelf) => shelf,
        Err(why) => {
            return Answer::Unknown {
                why: why.to_string(),
                bound: 0.0,
            }
        }
    };
    let upper = best.as_ref().map(|b| b.price);
    let outcome = search.model_outcome(&shelf, upper, best.is_some());
    match search.settle(outcome, &shelf, &racks, &mut best, upper) {
        Ok((bound, unverified)) => finish(best, unverified, bound),
        Err(answer) => answer,
    }
}

/// One purchase search: what it reads, and its clock.
struct Search<'a> {
    inventory: &'a Inventory,
    services: &'a Services,
    catalog: &'a Catalog,
    options: &'a PlanOptions,
    progress: &'a dyn Fn(&str),
    started: Instant,
    /// The user's time limit, in seconds.
    limit: f64,
}

impl Search<'_> {
    /// Seconds left of the time limit.
    fn left(&self) -> f64 {
        (self.limit - self.started.elapsed().as_secs_f64()).max(0.0)
    }

    /// The user's options with `seconds` as the time limit.
    fn within(&self, seconds: f64) -> PlanOptions {
        PlanOptions {
            time_limit: Some(seconds.max(0.1)),
            ..self.options.clone()
        }
    }

    /// 1. The planner on the fleet as it is.
    fn plan_today(&self) -> Result<Plan, PlanError> {
        plan::plan(
            self.inventory,
            self.services,
            None,
            &self.within(self.limit * TODAY_SHARE),
            self.progress,
        )
    }

    /// 2. The incumbent: a constructive purchase, verified.
    fn constructive_purchase(&self, racks: &[RackSpace]) -> Option<Built> {
        (self.progress)("what to buy: a constructive purchase");
        let seconds = (self.limit * (TODAY_SHARE + CONSTRUCT_SHARE)
            - self.started.elapsed().as_secs_f64())
        .min(self.left());
        construct::construct(
            self.inventory,
            self.services,
            self.catalog,
            racks,
            &self.within(seconds),
            self.progress,
        )
    }

    /// 3. The bound, and a purchase cheaper than `upper` (the incumbent's
    ///    price) when there is time for the model; `verified`: an
    ///    incumbent is there.
    fn model_outcome(
        &self,
        shelf: &ForSaleInventory,
        upper: Option<f64>,
        verified: bool,
    ) -> PurchaseOutcome {
        if self.options.method == Method::Greedy {
            return PurchaseOutcome::NoneFound {
                bound: 0.0,
                why: "the exact model is not run with --method greedy".into(),
            };
        }
        // The quick bounds first, with all the time left: they are what
        // proves a purchase cheapest or bounds the gap, and on 1,000
        // servers the model's own solves after them rarely finish. Given
        // only the model's share, the aggregate LP (10 s to 30 s there on
        // a slow machine) missed it and the bound fell back on cores and
        // memory.
        (self.progress)("what to buy: the aggregate bound");
        let quick = model_bound(
            &shelf.inventory,
            self.services,
            &shelf.for_sale,
            &shelf.limits,
            &self.within(self.left() - BOUND_MARGIN * self.limit),
        );
        // A candidate of the model needs time to be planned and verified;
        // and microlp overruns its limit by seconds on a large model, with
        // the model's own set-up on top.
        let model_seconds = if verified {
            self.left() - MODEL_MARGIN * self.limit
        } else {
            self.left() * 0.5
        };
        match (quick, upper) {
            (None, _) => PurchaseOutcome::Impossible,
            (Some(bound), Some(u)) if bound >= u - price_tolerance(u) => {
                PurchaseOutcome::NoneFound {
                    bound,
                    why: "the aggregate bound reaches the verified price".into(),
                }
            }
            (Some(bound), _) if model_seconds < MODEL_LEAST => PurchaseOutcome::NoneFound {
                bound,
                why: format!(
                    "no time left for the purchase model (--time-limit {} s)",
                    plan::rounded_seconds(self.limit)
                ),
            },
            (Some(bound), _) => {
                (self.progress)("what to buy: the exact model with servers for sale");
                cheapest_purchase(
                    &shelf.inventory,
                    self.services,
                    &shelf.for_sale,
                    &shelf.limits,
                    upper,
                    bound,
                    &self.within(model_seconds),
                )
            }
        }
    }

    /// What the model's outcome leaves: the bound and the model's purchase
    /// when it is not verified (a verified one cheaper than `upper`
    /// becomes `best`); or the answer itself.
    fn settle(
        &self,
        outcome: PurchaseOutcome,
        shelf: &ForSaleInventory,
        racks: &[RackSpace],
        best: &mut Option<Built>,
        upper: Option<f64>,
    ) -> Result<(f64, Option<Built>), Answer> {
        match outcome {
            PurchaseOutcome::Bought(purchase) => {
                let candidate = match self.plan_model_purchase(&purchase, shelf, racks) {
                    Ok(candidate) => candidate,
                    Err(why) if best.is_none() => {
                        return Err(Answer::Unknown {
                            why: why.to_string(),
                            bound: purchase.bound,
                        })
                    }
                    // Its servers do not fit the racks' free units as they
                    // are split: the verified purchase stands, with the
                    // model's bound.
                    Err(_) => return Ok((purchase.bound, None)),
                };
                if candidate.plan.is_ok() && upper.is_none_or(|u| purchase.price < u) {
                    *best = Some(candidate);
                    Ok((purchase.bound, None))
                } else {
                    Ok((purchase.bound, Some(candidate)))
                }
            }
            PurchaseOutcome::Impossible if best.is_none() => Err(Answer::Impossible {
                candidates: shelf.for_sale.len(),
            }),
            // A verified purchase and a model that says none exists cannot
            // both hold; the verified purchase stands, with no bound claimed.
            PurchaseOutcome::Impossible => Ok((0.0, None)),
            PurchaseOutcome::NoneFound { bound, why } => {
                if best.is_none() {
                    // The model's own limit is a share of the user's: name
                    // both searches and the limit the user gave.
                    let why = format!(
                        "the constructive search got stuck and the purchase model found none ({why}; --time-limit {} s)",
                        plan::rounded_seconds(self.limit)
                    );
                    return Err(Answer::Unknown { why, bound });
                }
                Ok((bound, None))
            }
        }
    }

    /// The model's purchase as new servers in the racks, and the planner on
    /// the inventory with them.
    fn plan_model_purchase(
        &self,
        purchase: &Purchase,
        shelf: &ForSaleInventory,
        racks: &[RackSpace],
    ) -> Result<Built, CapacityError> {
        let owned = self.inventory.servers.len();
        let servers = purchase
            .servers
            .iter()
            .map(|s| {
                let m = shelf.origin[s.index() - owned];
                let mut server = shelf.inventory.server(*s).clone();
                server.labels = self.catalog.models[m].labels.clone();
                (m, server)
            })
            .collect();
        let (rows, after) = new_servers(self.inventory, self.catalog, racks, servers)?;
        (self.progress)("planning on the inventory with the model's purchase");
        // Its sub-solves overrun their limits too: half the margin.
        let seconds = self.left() - MODEL_MARGIN * self.limit / 2.0;
        let outcome = plan::plan(
            &after,
            self.services,
            None,
            &self.within(seconds),
            self.progress,
        );
        Ok(Built {
            servers: rows,
            inventory: after,
            plan: outcome,
            price: purchase.price,
            found_by: "exact",
        })
    }
}

/// A proven lower bound on the price of every purchase from `catalog`
/// (within the racks' free units and max_count) that makes the demand
/// plannable, from the quick bounds alone (cores and memory, the aggregate
/// LP: aggregate_bound.rs). None: no purchase does.
pub fn purchase_bound(
    inventory: &Inventory,
    services: &Services,
    catalog: &Catalog,
    options: &PlanOptions,
) -> Option<f64> {
    let racks = rack_space(inventory);
    // An id for sale already taken: nothing is proven but 0.
    let Ok(shelf) = for_sale(inventory, catalog, &racks) else {
        return Some(0.0);
    };
    model_bound(
        &shelf.inventory,
        services,
        &shelf.for_sale,
        &shelf.limits,
        options,
    )
}

/// The answer: the verified purchase, or else the model's unverified one
/// (shown with why it was not verified: the classes are a relaxation);
/// "cheapest" only when it is verified and `bound` reaches its price.
fn finish(best: Option<Built>, unverified: Option<Built>, bound: f64) -> Answer {
    let Some(best) = best.or(unverified) else {
        return Answer::Unknown {
            why: "no purchase found".into(),
            bound,
        };
    };
    let verified = best.plan.is_ok();
    let bound = bound.min(best.price);
    Answer::Buy(Box::new(Bought {
        cheapest: verified && bound >= best.price - price_tolerance(best.price),
        servers: best.servers,
        price: best.price,
        bound,
        found_by: best.found_by,
        inventory: best.inventory,
        outcome: best.plan,
    }))
}
