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
//! The search: every server that could be bought goes into a copy of the
//! inventory as a server "for sale"; the planner's exact model picks how
//! many of each to buy at the least price (plan/buy.rs, whose optimum is a
//! lower bound on every purchase); then the planner plans the inventory with
//! exactly those servers, and `check` verifies it. "Cheapest" is printed only
//! when the bound equals the price of a verified purchase.

use std::collections::{BTreeMap, BTreeSet};

use crate::inventory::{Catalog, Inventory, PowerId, RackId, Server, Services, Status};
use crate::plan::{self, ForSale, Plan, PlanError, PlanOptions, PurchaseOutcome};

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
    /// The model found no answer in time; nothing is claimed.
    Unknown(String),
}

pub struct Bought {
    pub servers: Vec<NewServer>,
    pub price: f64,
    /// A proven lower bound on the price of any purchase that works.
    pub bound: f64,
    /// `bound == price` and the purchase is verified: it is the cheapest.
    pub cheapest: bool,
    /// The inventory with the new servers.
    pub inventory: Inventory,
    /// The planner on that inventory: a verified placement, or why not.
    pub outcome: Result<Plan, PlanError>,
}

/// Prefix of the ids of servers for sale in the inventory copy: never written.
const FOR_SALE: &str = "\u{1}for-sale";

pub fn purchase(
    inventory: &Inventory,
    services: &Services,
    catalog: &Catalog,
    options: &PlanOptions,
    progress: &dyn Fn(&str),
) -> Answer {
    let now = plan::plan(inventory, services, None, options, progress);
    if let Ok(plan) = now {
        return Answer::NothingToBuy(Box::new(plan));
    }
    progress("what to buy: the exact model with servers for sale");
    let racks = rack_space(inventory);
    // Limits: one per rack (free units), then one per model with max_count.
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
    let mut origin: Vec<(RackId, usize)> = Vec::new();
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
                        rack,
                        cpu: model.cpu,
                        mem_gb: model.mem_gb,
                        psu: psu.clone(),
                        idle_w: model.idle_w,
                        max_w: model.max_w,
                        labels,
                        model: Some(model.model.clone()),
                        position: None,
                        u_height: model.u_height,
                        status: Status::Active,
                        line: 0,
                    });
                    origin.push((rack, m));
                    let mut uses = vec![(rack.index(), f64::from(model.u_height))];
                    uses.extend(model_limit[m].map(|l| (l, 1.0)));
                    for_sale.push((model.price, uses));
                }
            }
        }
    }
    let candidates = for_sale_servers.len();
    let owned = inventory.servers.len();
    let Ok(extended) = inventory.with_servers(for_sale_servers) else {
        return Answer::Unknown("an id of a server for sale is taken".into());
    };
    let for_sale: Vec<ForSale> = for_sale
        .into_iter()
        .enumerate()
        .map(|(i, (price, uses))| ForSale {
            server: crate::inventory::ServerId((owned + i) as u32),
            price,
            uses,
        })
        .collect();
    let purchase = match plan::cheapest_purchase(&extended, services, &for_sale, &limits, options) {
        PurchaseOutcome::Bought(p) => p,
        PurchaseOutcome::Impossible => return Answer::Impossible { candidates },
        PurchaseOutcome::Unknown(why) => return Answer::Unknown(why),
    };
    // The bought servers, with their ids and positions for servers.csv.
    let mut taken: BTreeMap<RackId, u32> = BTreeMap::new();
    let mut occupied: Vec<BTreeSet<u32>> = racks.iter().map(|r| r.occupied.clone()).collect();
    let mut bought: Vec<(usize, Server)> = purchase
        .servers
        .iter()
        .map(|s| {
            let i = s.index() - owned;
            let mut server = extended.server(*s).clone();
            server.labels = catalog.models[origin[i].1].labels.clone();
            (origin[i].1, server)
        })
        .collect();
    // Largest first, so a tall server finds a run before small ones split it.
    bought.sort_by_key(|(m, s)| (s.rack, std::cmp::Reverse(s.u_height), *m));
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
            match first_fit(
                &occupied[server.rack.index()],
                rack.u_height,
                server.u_height,
            ) {
                Some(p) => {
                    for u in p..p + server.u_height {
                        occupied[server.rack.index()].insert(u);
                    }
                    server.position = Some(p);
                }
                None => {
                    return Answer::Unknown(format!(
                        "the purchase does not fit the free units of rack {} as they are split",
                        rack.id
                    ))
                }
            }
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
    let Ok(after) = inventory.with_servers(bought.into_iter().map(|(_, s)| s).collect()) else {
        return Answer::Unknown("an id of a new server is taken".into());
    };
    progress("planning on the inventory with the purchase");
    let outcome = plan::plan(&after, services, None, options, progress);
    let verified = outcome.is_ok();
    Answer::Buy(Box::new(Bought {
        servers: rows,
        price: purchase.price,
        bound: purchase.bound,
        cheapest: verified && purchase.bound >= purchase.price - 1e-6 * purchase.price.max(1.0),
        inventory: after,
        outcome,
    }))
}

/// A rack's room for new servers.
struct RackSpace {
    free: u32,
    /// Every server has a position: new ones get positions too.
    positioned: bool,
    occupied: BTreeSet<u32>,
    /// The distinct `psu` lists of its servers, sorted.
    wirings: Vec<Vec<PowerId>>,
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
