//! What to buy: the cheapest set of new servers, each a catalog model in an
//! existing rack, that makes the demand plannable.
//!
//! Where a new server may go: in a rack with free units, plugged like a
//! server already in that rack (each distinct `psu` list of the rack's
//! servers is one wiring a new server may copy, so it only draws from power
//! components already feeding the rack). A rack with no server has no
//! wiring to copy and gets nothing.
//!
//! Free units: when every server of the rack has a `position`, the units of
//! 1..=u_height no server covers; otherwise u_height minus the units the
//! servers take. New servers get positions only in the first case (lowest
//! free run that fits, largest servers first).
//!
//! The search, around one incumbent as `plan` does:
//! 1. today: the planner on the fleet as it is (a share of the time limit);
//! 2. the incumbent: a constructive purchase (construct.rs), servers added
//!    where the planner's construction falls short, re-planned until `check`
//!    accepts, then taken back and swapped for cheaper models while it
//!    still plans: a verified price;
//! 3. the bound: every server that could be bought goes into a copy of the
//!    inventory as a server "for sale"; the quick bounds (cores and memory,
//!    the aggregate LP) get all the time left; then, when they do not reach
//!    the verified price, the planner's exact model (plan/buy.rs, a
//!    relaxation of `check` for every purchase) gives bounds — its LP
//!    relaxation, its optimum — and looks for a purchase cheaper than the
//!    incumbent, which the planner then plans on the inventory with exactly
//!    those servers, and `check` verifies.
//!
//! "Cheapest" is printed only when a proven bound reaches the price of a
//! verified purchase; otherwise the price, the bound and the gap.
//!
//! Why every wiring of a rack stays for sale (and not one per rack, which
//! would make the model smaller): wirings differ in which power components
//! carry the new server's draw (a single-fed server loads one side, a
//! dual-fed one both, and only the latter survives losing a side), so no
//! wiring dominates another and dropping one could lose the cheapest
//! purchase, and with it the bound's meaning.

use std::collections::{BTreeMap, BTreeSet};

use std::time::Instant;

mod aggregate;
mod construct;
mod model;

use crate::inventory::{
    Catalog, CatalogModel, Inventory, PowerId, RackId, Server, ServerId, Services, Status,
};
use crate::plan::{self, Method, Plan, PlanError, PlanOptions};
use model::{
    cheapest_purchase, price_tolerance, purchase_bound as model_bound, ForSale, PurchaseOutcome,
};

/// One server to buy, as a servers.csv row.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct NewServer {
    pub id: String,
    pub rack: String,
    pub cpu: f64,
    pub mem_gb: f64,
    pub psu: Vec<String>,
    pub idle_w: f64,
    pub max_w: f64,
    pub labels: Vec<String>,
    pub model: String,
    pub position: Option<u32>,
    pub u_height: u32,
    pub price: f64,
}

pub enum Answer {
    /// The demand is plannable without buying anything.
    NothingToBuy(Box<Plan>),
    Buy(Box<Bought>),
    /// No purchase from the catalog within free rack units and max_count
    /// makes the demand plannable (proven by the model's infeasibility).
    Impossible {
        candidates: usize,
    },
    /// No purchase was found in time; nothing is claimed but `bound`: a
    /// proven lower bound on the price of any purchase that works (0 when
    /// none was proven).
    Unknown {
        why: String,
        bound: f64,
    },
}

pub struct Bought {
    pub servers: Vec<NewServer>,
    pub price: f64,
    /// A proven lower bound on the price of any purchase that works (the
    /// largest of the quick bounds, the model's LP relaxation and its
    /// optimum; 0 when none was proven in time).
    pub bound: f64,
    /// `bound == price` and the purchase is verified: it is the cheapest.
    pub cheapest: bool,
    /// Which search found it: `constructive` (servers added where the
    /// planner fell short, construct.rs) or `exact` (the purchase model).
    pub found_by: &'static str,
    /// The inventory with the new servers.
    pub inventory: Inventory,
    /// The planner on that inventory: a verified placement, or why not.
    pub outcome: Result<Plan, PlanError>,
}

impl Bought {
    /// (price − bound) / price: 0 when proven cheapest.
    pub fn gap(&self) -> f64 {
        crate::plan::relative_gap(self.price, self.bound)
    }
}

/// Prefix of the ids of servers for sale in the inventory copy: never written.
const FOR_SALE: &str = "\u{1}for-sale";

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
    let (extended, for_sale, limits, origin) = for_sale(inventory, catalog, &racks);
    let candidates = for_sale.len();
    let Ok(extended) = extended else {
        return Answer::Unknown {
            why: "an id of a server for sale is taken".into(),
            bound: 0.0,
        };
    };
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
                        why,
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
/// LP: plan/buy/aggregate.rs). None: no purchase does.
pub fn purchase_bound(
    inventory: &Inventory,
    services: &Services,
    catalog: &Catalog,
    options: &PlanOptions,
) -> Option<f64> {
    let racks = rack_space(inventory);
    let (extended, for_sale, limits, _) = for_sale(inventory, catalog, &racks);
    // An id for sale already taken: nothing is proven but 0.
    let Ok(extended) = extended else {
        return Some(0.0);
    };
    model_bound(&extended, services, &for_sale, &limits, options)
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

/// A purchase with its ids and positions, the inventory with it, and the
/// planner on that inventory.
pub(super) struct Built {
    pub servers: Vec<NewServer>,
    pub inventory: Inventory,
    pub plan: Result<Plan, PlanError>,
    pub price: f64,
    pub found_by: &'static str,
}

/// Every server that could be bought, in a copy of the inventory, with the
/// model's view of them (price, the limits they use) and the limits: one
/// per rack (free units), then one per model with max_count. `origin` is
/// each one's catalog model.
fn for_sale(
    inventory: &Inventory,
    catalog: &Catalog,
    racks: &[RackSpace],
) -> (
    Result<Inventory, String>,
    Vec<ForSale>,
    Vec<f64>,
    Vec<usize>,
) {
    let mut limits: Vec<f64> = racks.iter().map(|r| f64::from(r.free)).collect();
    let model_limit: Vec<Option<usize>> = catalog
        .models
        .iter()
        .map(|m| {
            m.max_count.map(|n| {
                limits.push(f64::from(n));
                limits.len() - 1
            })
        })
        .collect();
    let mut for_sale_servers = Vec::new();
    let mut for_sale = Vec::new();
    let mut origin = Vec::new();
    let owned = inventory.servers.len();
    for rack in inventory.rack_ids() {
        let space = &racks[rack.index()];
        for (m, model) in catalog.models.iter().enumerate() {
            let mut count = space.free / model.u_height;
            if let Some(max) = model.max_count {
                count = count.min(max);
            }
            for (w, psu) in space.wirings.iter().enumerate() {
                for i in 0..count {
                    let mut labels = model.labels.clone();
                    // Keeps each (model, wiring) a class of its own, apart
                    // from identical servers already owned.
                    labels.insert(format!("{FOR_SALE}:{}", model.model));
                    for_sale_servers.push(Server {
                        id: format!(
                            "{FOR_SALE}:{}:{}:{w}:{i}",
                            inventory.rack(rack).id,
                            model.model
                        ),
                        labels,
                        ..catalog_server(model, rack, psu.clone())
                    });
                    origin.push(m);
                    let mut uses = vec![(rack.index(), f64::from(model.u_height))];
                    uses.extend(model_limit[m].map(|l| (l, 1.0)));
                    for_sale.push(ForSale {
                        server: ServerId((owned + for_sale.len()) as u32),
                        price: model.price,
                        uses,
                    });
                }
            }
        }
    }
    (
        inventory
            .with_servers(for_sale_servers)
            .map_err(|e| e.to_string()),
        for_sale,
        limits,
        origin,
    )
}

/// A server of a catalog model in a rack, plugged into `psu` (its id is
/// given later).
pub(super) fn catalog_server(model: &CatalogModel, rack: RackId, psu: Vec<PowerId>) -> Server {
    Server {
        id: String::new(),
        rack,
        cpu: model.cpu,
        mem_gb: model.mem_gb,
        psu,
        idle_w: model.idle_w,
        max_w: model.max_w,
        labels: model.labels.clone(),
        model: Some(model.model.clone()),
        position: None,
        u_height: model.u_height,
        status: Status::Active,
        line: 0,
    }
}

/// The bought servers (with their catalog model) as servers.csv rows with
/// ids (`RACK-newN`) and positions, and the inventory with them.
pub(super) fn new_servers(
    inventory: &Inventory,
    catalog: &Catalog,
    racks: &[RackSpace],
    mut bought: Vec<(usize, Server)>,
) -> Result<(Vec<NewServer>, Inventory), String> {
    let mut taken: BTreeMap<RackId, u32> = BTreeMap::new();
    let mut occupied: Vec<BTreeSet<u32>> = racks.iter().map(|r| r.occupied.clone()).collect();
    // Largest first, so a tall server finds a run before small ones split it.
    bought.sort_by_key(|(m, s)| (s.rack, std::cmp::Reverse(s.u_height), *m, s.psu.clone()));
    let mut rows = Vec::new();
    for (m, server) in &mut bought {
        let rack = inventory.rack(server.rack);
        let n = taken.entry(server.rack).or_insert(0);
        server.id = loop {
            *n += 1;
            let id = format!("{}-new{n}", rack.id);
            if inventory.lookup(&id).is_none() {
                break id;
            }
        };
        let space = &racks[server.rack.index()];
        if space.positioned {
            let Some(p) = first_fit(
                &occupied[server.rack.index()],
                rack.u_height,
                server.u_height,
            ) else {
                return Err(format!(
                    "the purchase does not fit the free units of rack {} as they are split",
                    rack.id
                ));
            };
            for u in p..p + server.u_height {
                occupied[server.rack.index()].insert(u);
            }
            server.position = Some(p);
        }
        let model = &catalog.models[*m];
        rows.push(NewServer {
            id: server.id.clone(),
            rack: rack.id.clone(),
            cpu: server.cpu,
            mem_gb: server.mem_gb,
            psu: server
                .psu
                .iter()
                .map(|p| inventory.power(*p).id.clone())
                .collect(),
            idle_w: server.idle_w,
            max_w: server.max_w,
            labels: model.labels.iter().cloned().collect(),
            model: model.model.clone(),
            position: server.position,
            u_height: server.u_height,
            price: model.price,
        });
    }
    let after = inventory
        .with_servers(bought.into_iter().map(|(_, s)| s).collect())
        .map_err(|_| "an id of a new server is taken".to_string())?;
    Ok((rows, after))
}

/// A rack's room for new servers.
pub(super) struct RackSpace {
    pub free: u32,
    /// Every server has a position: new ones get positions too.
    positioned: bool,
    occupied: BTreeSet<u32>,
    /// The distinct `psu` lists of its servers, sorted.
    pub wirings: Vec<Vec<PowerId>>,
}

fn rack_space(inventory: &Inventory) -> Vec<RackSpace> {
    inventory
        .rack_ids()
        .map(|r| {
            let rack = inventory.rack(r);
            let servers: Vec<&Server> = rack.servers.iter().map(|s| inventory.server(*s)).collect();
            let positioned = !servers.is_empty() && servers.iter().all(|s| s.position.is_some());
            let mut occupied = BTreeSet::new();
            let free = if positioned {
                for s in &servers {
                    let p = s.position.unwrap_or(0);
                    occupied.extend(p..p.saturating_add(s.u_height));
                }
                (1..=rack.u_height)
                    .filter(|u| !occupied.contains(u))
                    .count() as u32
            } else {
                let used: u64 = servers.iter().map(|s| u64::from(s.u_height)).sum();
                u64::from(rack.u_height).saturating_sub(used) as u32
            };
            let wirings: BTreeSet<Vec<PowerId>> = servers.iter().map(|s| s.psu.clone()).collect();
            RackSpace {
                free,
                positioned,
                occupied,
                wirings: wirings.into_iter().collect(),
            }
        })
        .collect()
}

/// The lowest position p in 1..=height with p..p+units all free.
fn first_fit(occupied: &BTreeSet<u32>, height: u32, units: u32) -> Option<u32> {
    (1..=height.saturating_sub(units) + 1)
        .find(|&p| (p..p + units).all(|u| u <= height && !occupied.contains(&u)))
}
