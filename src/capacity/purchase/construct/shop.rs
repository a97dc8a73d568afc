//! A round of buying: servers for the replicas each service is short,
//! placed in racks and wired where the power components keep room for
//! them, after the room the closest placement leaves is counted.

use std::collections::BTreeMap;

use super::pick::{taken, Pick, Preference};
use crate::capacity::purchase::candidates::RackSpace;
use crate::inventory::{
    Catalog, Inventory, Placement, PowerId, RackId, ServerId, ServiceId, Services, Status,
};
use crate::plan::PlanOptions;
use crate::verify::{self, CheckOptions};

/// Per power component: watts left under its limit at the placement's
/// highest load (normal operation and every scenario, as
/// `verify::power_status` finds it).
pub(super) fn power_room(
    inventory: &Inventory,
    services: &Services,
    placement: Option<&Placement>,
    options: &PlanOptions,
) -> Vec<f64> {
    let empty = Placement {
        file: None,
        replicas: Vec::new(),
    };
    let status = verify::power_status(
        inventory,
        services,
        placement.unwrap_or(&empty),
        CheckOptions {
            enumeration_limit: options.enumeration_limit,
        },
    );
    status
        .iter()
        .map(|s| inventory.power(s.component).limit_w() - s.worst_w)
        .collect()
}

/// What a round of buying reads.
pub(super) struct Shop<'a> {
    pub(super) inventory: &'a Inventory,
    pub(super) services: &'a Services,
    pub(super) catalog: &'a Catalog,
    pub(super) racks: &'a [RackSpace],
}

/// The room the closest placement leaves on the servers there are, as far
/// as it is trusted: replicas short may go there instead of on new servers
/// (the planner, re-run, decides).
pub(super) struct Spare<'a> {
    inventory: &'a Inventory,
    services: &'a Services,
    cpu: Vec<f64>,
    mem_gb: Vec<f64>,
    on: BTreeMap<(ServiceId, ServerId), u32>,
    /// The share of the room counted, in [0, 1].
    trust: f64,
}

impl<'a> Spare<'a> {
    pub(super) fn new(
        inventory: &'a Inventory,
        services: &'a Services,
        placement: Option<&Placement>,
        trust: f64,
    ) -> Self {
        let mut cpu: Vec<f64> = inventory.servers.iter().map(|s| s.cpu).collect();
        let mut mem_gb: Vec<f64> = inventory.servers.iter().map(|s| s.mem_gb).collect();
        let mut on = BTreeMap::new();
        for r in placement.map(|p| p.replicas.as_slice()).unwrap_or_default() {
            let service = services.service(r.service);
            cpu[r.server.index()] -= service.cpu;
            mem_gb[r.server.index()] -= service.mem_gb;
            *on.entry((r.service, r.server)).or_insert(0) += 1;
        }
        Spare {
            inventory,
            services,
            cpu,
            mem_gb,
            on,
            trust,
        }
    }

    /// Takes room for at most `trust × missing` replicas of `id` on active
    /// servers with its labels; returns how many.
    fn take(&mut self, id: ServiceId, missing: u32) -> u32 {
        let service = self.services.service(id);
        let wanted = (f64::from(missing) * self.trust).floor() as u32;
        let mut taken = 0;
        for s in self.inventory.server_ids() {
            if taken >= wanted {
                break;
            }
            let server = self.inventory.server(s);
            if server.status != Status::Active || !server.has_labels(&service.requires) {
                continue;
            }
            let on = self.on.entry((id, s)).or_insert(0);
            while taken < wanted
                && *on < service.max_per_server
                && self.cpu[s.index()] + 1e-9 >= service.cpu
                && self.mem_gb[s.index()] + 1e-9 >= service.mem_gb
            {
                *on += 1;
                self.cpu[s.index()] -= service.cpu;
                self.mem_gb[s.index()] -= service.mem_gb;
                taken += 1;
            }
        }
        taken
    }
}

/// A server bought this round, with the room left on it.
struct Fresh {
    pick: Pick,
    cpu: f64,
    mem_gb: f64,
    on: BTreeMap<ServiceId, u32>,
}

/// Buys servers for the replicas each service is short (largest demand
/// first), filling this round's servers before buying more; `room` is the
/// power headroom, spent at each new server's full draw.
pub(super) fn buy(
    shop: &Shop,
    short: &BTreeMap<ServiceId, u32>,
    spare: &mut Spare,
    room: &mut [f64],
    preference: Preference,
    picks: &mut Vec<Pick>,
) {
    let (units, count) = taken(shop.catalog, shop.racks, picks);
    let free: Vec<u32> = shop
        .racks
        .iter()
        .zip(&units)
        .map(|(r, u)| r.free - u)
        .collect();
    let mut cart = Cart {
        free,
        count,
        fresh: Vec::new(),
        in_rack: BTreeMap::new(),
        room,
        picks,
    };
    for (id, missing) in largest_demand_first(shop.services, short) {
        let models = shop.models_by_price(id, preference);
        let missing = missing - spare.take(id, missing);
        for _ in 0..missing {
            let Some(target) = cart
                .on_fresh(shop, id)
                .or_else(|| cart.buy_server(shop, id, &models))
            else {
                break;
            };
            cart.add_replica(shop.services, id, target);
        }
    }
}

/// The services short, the most cores short first.
fn largest_demand_first(
    services: &Services,
    short: &BTreeMap<ServiceId, u32>,
) -> Vec<(ServiceId, u32)> {
    let mut order: Vec<(ServiceId, u32)> = short.iter().map(|(s, n)| (*s, *n)).collect();
    let demand = |&(s, n): &(ServiceId, u32)| f64::from(n) * services.service(s).cpu;
    order.sort_by(|a, b| demand(b).total_cmp(&demand(a)).then(a.0.cmp(&b.0)));
    order
}

/// Whether catalog model `m` has every label `id` requires.
fn has_labels(catalog: &Catalog, services: &Services, id: ServiceId, m: usize) -> bool {
    services
        .service(id)
        .requires
        .iter()
        .all(|l| catalog.models[m].labels.contains(l))
}

/// What a round of buying has bought so far, and what it has left.
struct Cart<'a> {
    /// Free rack units per rack.
    free: Vec<u32>,
    /// Servers bought per catalog model.
    count: Vec<u32>,
    fresh: Vec<Fresh>,
    /// This round's replicas per (service, rack), to spread them.
    in_rack: BTreeMap<(ServiceId, RackId), u32>,
    room: &'a mut [f64],
    picks: &'a mut Vec<Pick>,
}

impl Cart<'_> {
    /// This round's replicas of `id` in `rack`.
    fn spread(&self, id: ServiceId, rack: RackId) -> u32 {
        self.in_rack.get(&(id, rack)).copied().unwrap_or(0)
    }

    /// A server bought this round with room for a replica of `id`: in the
    /// rack with the fewest of them, the first bought on ties.
    fn on_fresh(&self, shop: &Shop, id: ServiceId) -> Option<usize> {
        let service = shop.services.service(id);
        self.fresh
            .iter()
            .enumerate()
            .filter(|(_, f)| {
                has_labels(shop.catalog, shop.services, id, f.pick.model)
                    && f.cpu + 1e-9 >= service.cpu
                    && f.mem_gb + 1e-9 >= service.mem_gb
                    && f.on.get(&id).copied().unwrap_or(0) < service.max_per_server
            })
            .min_by_key(|(i, f)| (self.spread(id, f.pick.rack), *i))
            .map(|(i, _)| i)
    }

    /// Buys a server for a replica of `id`: the first of `models` (by
    /// price) under its max_count that has a place; its index in `fresh`.
    fn buy_server(&mut self, shop: &Shop, id: ServiceId, models: &[(f64, usize)]) -> Option<usize> {
        let catalog = shop.catalog;
        let spread = |rack: RackId| self.spread(id, rack);
        let pick = models.iter().find_map(|&(_, m)| {
            let model = &catalog.models[m];
            if model.max_count.is_some_and(|max| self.count[m] >= max) {
                return None;
            }
            shop.place(m, &self.free, &*self.room, &spread)
        })?;
        let model = &catalog.models[pick.model];
        self.free[pick.rack.index()] -= model.u_height;
        self.count[pick.model] += 1;
        for p in shop.reach(pick) {
            self.room[p.index()] -= model.max_w;
        }
        self.picks.push(pick);
        self.fresh.push(Fresh {
            pick,
            cpu: model.cpu,
            mem_gb: model.mem_gb,
            on: BTreeMap::new(),
        });
        Some(self.fresh.len() - 1)
    }

    /// A replica of `id` on this round's server `target`.
    fn add_replica(&mut self, services: &Services, id: ServiceId, target: usize) {
        let service = services.service(id);
        let f = &mut self.fresh[target];
        f.cpu -= service.cpu;
        f.mem_gb -= service.mem_gb;
        *f.on.entry(id).or_insert(0) += 1;
        *self.in_rack.entry((id, f.pick.rack)).or_insert(0) += 1;
    }
}

impl Shop<'_> {
    /// The catalog models a replica of `id` fits on, with its labels, by
    /// price per replica of its shape, or per core.
    fn models_by_price(&self, id: ServiceId, preference: Preference) -> Vec<(f64, usize)> {
        let catalog = self.catalog;
        let service = self.services.service(id);
        let mut models: Vec<(f64, usize)> = (0..catalog.models.len())
            .filter(|&m| has_labels(catalog, self.services, id, m))
            .filter_map(|m| {
                let model = &catalog.models[m];
                let mut fit = f64::INFINITY;
                if service.cpu > 0.0 {
                    fit = fit.min((model.cpu / service.cpu + 1e-9).floor());
                }
                if service.mem_gb > 0.0 {
                    fit = fit.min((model.mem_gb / service.mem_gb + 1e-9).floor());
                }
                let fit = fit.min(f64::from(service.max_per_server));
                let per_unit = match preference {
                    Preference::PerReplica => model.price / fit,
                    Preference::PerCore if model.cpu > 0.0 => model.price / model.cpu,
                    Preference::PerCore => model.price / model.mem_gb.max(1e-9),
                };
                (fit >= 1.0).then_some((per_unit, m))
            })
            .collect();
        models.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        models
    }

    /// The components a server wired as `pick` loads.
    fn reach(&self, pick: Pick) -> Vec<PowerId> {
        crate::topology::reach(
            self.inventory,
            &self.racks[pick.rack.index()].wirings[pick.wiring],
        )
    }

    /// Where a server of model `m` goes: a rack with the free units, the
    /// fewest of this round's replicas of the service (`spread`), then the
    /// most power supplies, then the most free units; wired so that every
    /// component it loads keeps room for its full draw, the most room left
    /// first.
    fn place(
        &self,
        m: usize,
        free: &[u32],
        room: &[f64],
        spread: &dyn Fn(RackId) -> u32,
    ) -> Option<Pick> {
        let model = &self.catalog.models[m];
        type Key = (u32, std::cmp::Reverse<usize>, std::cmp::Reverse<u32>);
        let mut best: Option<(Key, f64, Pick)> = None;
        for (r, space) in self.racks.iter().enumerate() {
            if free[r] < model.u_height {
                continue;
            }
            let rack = RackId(r as u32);
            for wiring in 0..space.wirings.len() {
                let pick = Pick {
                    model: m,
                    rack,
                    wiring,
                };
                let least = self
                    .reach(pick)
                    .iter()
                    .map(|p| room[p.index()])
                    .fold(f64::INFINITY, f64::min);
                if least < model.max_w {
                    continue;
                }
                // More power supplies first: a server fed twice stays up
                // through more of the scenarios a service must survive.
                let feeds = std::cmp::Reverse(space.wirings[wiring].len());
                let key = (spread(rack), feeds, std::cmp::Reverse(free[r]));
                let better = best
                    .as_ref()
                    .is_none_or(|(k, l, _)| key < *k || (key == *k && least > *l));
                if better {
                    best = Some((key, least, pick));
                }
            }
        }
        best.map(|(_, _, pick)| pick)
    }
}
