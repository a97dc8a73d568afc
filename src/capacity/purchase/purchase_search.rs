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
use super::candidates::{new_servers, rack_space, Built};
use super::class_model::{cheapest_purchase, price_tolerance, PurchaseOutcome};
use super::construct;
use super::for_sale::{for_sale, ForSaleInventory};
use super::quick_bounds::purchase_bound as model_bound;
use crate::inventory::{Catalog, Inventory, Services};
use crate::plan::{self, Method, PlanOptions};

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
    let started = Instant::now();
    let limit = options.time_limit.unwrap_or(plan::DEFAULT_SECONDS);
    let left = || (limit - started.elapsed().as_secs_f64()).max(0.0);
    let within = |seconds: f64| PlanOptions {
        time_limit: Some(seconds.max(0.1)),
        ..options.clone()
    };
    let now = plan::plan(
        inventory,
        services,
        None,
        &within(limit * TODAY_SHARE),
        progress,
    );
    if let Ok(plan) = now {
        return Answer::NothingToBuy(Box::new(plan));
    }
    let racks = rack_space(inventory);
    progress("what to buy: a constructive purchase");
    let seconds =
        (limit * (TODAY_SHARE + CONSTRUCT_SHARE) - started.elapsed().as_secs_f64()).min(left());
    let mut best = construct::construct(
        inventory,
        services,
        catalog,
        &racks,
        &within(seconds),
        progress,
    );
    let ForSaleInventory {
        inventory: extended,
        for_sale,
        limits,
        origin,
    } = match for_sale(inventory, catalog, &racks) {
        Ok(shelf) => shelf,
        Err(why) => {
            return Answer::Unknown {
                why: why.to_string(),
                bound: 0.0,
            }
        }
    };
    let candidates = for_sale.len();
    let upper = best.as_ref().map(|b| b.price);
    let outcome = if options.method == Method::Greedy {
        PurchaseOutcome::NoneFound {
            bound: 0.0,
            why: "the exact model is not run with --method greedy".into(),
        }
    } else {
        // The quick bounds first, with all the time left: they are what
        // proves a purchase cheapest or bounds the gap, and on 1,000
        // servers the model's own solves after them rarely finish. Given
        // only the model's share, the aggregate LP (10 s to 30 s there on
        // a slow machine) missed it and the bound fell back on cores and
        // memory.
        progress("what to buy: the aggregate bound");
        let quick = model_bound(
            &extended,
            services,
            &for_sale,
            &limits,
            &within(left() - BOUND_MARGIN * limit),
        );
        // A candidate of the model needs time to be planned and verified;
        // and microlp overruns its limit by seconds on a large model, with
        // the model's own set-up on top.
        let model_seconds = if best.is_some() {
            left() - MODEL_MARGIN * limit
        } else {
            left() * 0.5
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
                    plan::rounded_seconds(limit)
                ),
            },
            (Some(bound), _) => {
                progress("what to buy: the exact model with servers for sale");
                cheapest_purchase(
                    &extended,
                    services,
                    &for_sale,
                    &limits,
                    upper,
                    bound,
                    &within(model_seconds),
                )
            }
        }
    };
    let owned = inventory.servers.len();
    let (bound, unverified) = match outcome {
        PurchaseOutcome::Bought(purchase) => {
            let servers = purchase
                .servers
                .iter()
                .map(|s| {
                    let m = origin[s.index() - owned];
                    let mut server = extended.server(*s).clone();
                    server.labels = catalog.models[m].labels.clone();
                    (m, server)
                })
                .collect();
            let (rows, after) = match new_servers(inventory, catalog, &racks, servers) {
                Ok(new) => new,
                Err(why) if best.is_none() => {
                    return Answer::Unknown {
                        why: why.to_string(),
                        bound: purchase.bound,
                    }
                }
                // Its servers do not fit the racks' free units as they are
                // split: the verified purchase stands, with the model's bound.
                Err(_) => return finish(best, None, purchase.bound),
            };
            progress("planning on the inventory with the model's purchase");
            // Its sub-solves overrun their limits too: half the margin.
            let seconds = left() - MODEL_MARGIN * limit / 2.0;
            let outcome = plan::plan(&after, services, None, &within(seconds), progress);
            let candidate = Built {
                servers: rows,
                inventory: after,
                plan: outcome,
                price: purchase.price,
                found_by: "exact",
            };
            if candidate.plan.is_ok() && upper.is_none_or(|u| purchase.price < u) {
                best = Some(candidate);
                (purchase.bound, None)
            } else {
                (purchase.bound, Some(candidate))
            }
        }
        PurchaseOutcome::Impossible if best.is_none() => return Answer::Impossible { candidates },
        // A verified purchase and a model that says none exists cannot both
        // hold; the verified purchase stands, with no bound claimed.
        PurchaseOutcome::Impossible => (0.0, None),
        PurchaseOutcome::NoneFound { bound, why } => {
            if best.is_none() {
                // The model's own limit is a share of the user's: name both
                // searches and the limit the user gave.
                let why = format!(
                    "the constructive search got stuck and the purchase model found none ({why}; --time-limit {} s)",
                    plan::rounded_seconds(limit)
                );
                return Answer::Unknown { why, bound };
            }
            (bound, None)
        }
    };
    finish(best, unverified, bound)
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
