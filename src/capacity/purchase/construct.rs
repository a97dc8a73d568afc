//! The constructive purchase, the incumbent of `purchase` (purchase.rs).
//!
//! Plan the inventory with what is bought so far using the planner's
//! construction and repair alone (`--method greedy`: no solver, a fraction
//! of a second on 1,000 servers). Where it falls short, its findings say
//! what is missing: the closest placement's `too-few-replicas` and
//! `replicas-lost` (which service, how many replicas short), or the
//! structural causes (no or too few eligible servers, a scenario that
//! leaves too few). Buy servers for those replicas: the cheapest catalog
//! model per replica of the service's shape (labels, cores, memory), in the
//! rack with the fewest of this round's replicas of that service, wired
//! the way that leaves the power components above it the most room, and
//! only where every one of them keeps room for the new server at full
//! draw in the closest placement's worst scenario. Re-plan; repeat.
//!
//! What it returns is a purchase the planner placed and `check` accepted
//! on the inventory with it: a price every cheapest purchase is at most,
//! never a claim that it is the cheapest. Then servers are taken back, the
//! last bought first, while the inventory without them still plans, and
//! swapped for cheaper models while it still plans.

use std::collections::BTreeMap;
use std::time::Instant;

use super::{catalog_server, new_servers, Built, RackSpace};
use crate::inventory::{
    Catalog, Inventory, Placement, PowerId, RackId, Server, ServerId, ServiceId, Services, Status,
};
use crate::plan::{self, Cause, Method, PlanError, PlanOptions};
use crate::verify::{self, CheckOptions, Finding, FindingKind};

/// One server bought: its catalog model, rack and wiring (an index into
/// the rack's wirings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Pick {
    model: usize,
    rack: RackId,
    wiring: usize,
}

/// What planning with a purchase gave.
enum Attempt {
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

/// Which catalog model a short replica is bought on first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Preference {
    /// The lowest price per replica of the service's shape: the fewest
    /// dollars where replica slots (max_per_server, labels) are short.
    PerReplica,
    /// The lowest price per core (then per GB): where cores, rack units or
    /// power are short, a dense server carries more for its units and,
    /// at a lower draw per core, for its watts.
    PerCore,
}

/// The cheapest constructive purchase whose placement `check` accepts,
/// within the time limit of `options`: one search per [`Preference`], the
/// time split between them; None when each got stuck (nothing is claimed).
pub(super) fn construct(
    inventory: &Inventory,
    services: &Services,
    catalog: &Catalog,
    racks: &[RackSpace],
    options: &PlanOptions,
    progress: &dyn Fn(&str),
) -> Option<Built> {
    let started = Instant::now();
    let seconds = options.time_limit.unwrap_or(plan::DEFAULT_SECONDS);
    let probe = Probe {
        inventory,
        services,
        catalog,
        racks,
        options,
        started,
        seconds,
    };
    let preferences = [Preference::PerReplica, Preference::PerCore];
    let mut best: Option<Built> = None;
    for (i, &preference) in preferences.iter().enumerate() {
        let share = probe.left() / (preferences.len() - i) as f64;
        if share <= 0.0 {
            break;
        }
        let within = Probe {
            started: Instant::now(),
            seconds: share,
            ..probe
        };
        let found = construct_preferring(&within, preference, progress);
        if let Some(found) = found.filter(|f| best.as_ref().is_none_or(|b| f.price < b.price)) {
            best = Some(found);
        }
    }
    best
}

/// Planning with a purchase, the time left for it, and what it reads.
#[derive(Clone, Copy)]
struct Probe<'a> {
    inventory: &'a Inventory,
    services: &'a Services,
    catalog: &'a Catalog,
    racks: &'a [RackSpace],
    options: &'a PlanOptions,
    started: Instant,
    seconds: f64,
}

impl Probe<'_> {
    fn left(&self) -> f64 {
        self.seconds - self.started.elapsed().as_secs_f64()
    }

    /// The planner's construction and repair (no solver, a fixed effort)
    /// on the inventory with `picks`, and `check`.
    fn attempt(&self, picks: &[Pick]) -> Attempt {
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
    fn keep_if_it_plans(&self, changed: Vec<Pick>, picks: &mut Vec<Pick>, best: &mut Built) {
        if let Attempt::Works(built) = self.attempt(&changed) {
            *picks = changed;
            *best = *built;
        }
    }
}

/// One constructive search: buy for what is short, re-plan, repeat; then
/// take servers back, and swap them for cheaper models.
fn construct_preferring(
    probe: &Probe,
    preference: Preference,
    progress: &dyn Fn(&str),
) -> Option<Built> {
    let mut picks: Vec<Pick> = Vec::new();
    let mut trust = 1.0;
    let built = loop {
        if probe.left() <= 0.0 {
            return None;
        }
        progress(&format!(
            "what to buy: planning with {} new servers (constructive)",
            picks.len()
        ));
        match probe.attempt(&picks) {
            Attempt::Works(built) => break *built,
            Attempt::Failed => return None,
            Attempt::Short {
                inventory: after,
                closest,
                short,
            } => {
                let room = power_room(&after, probe.services, closest.as_ref(), probe.options);
                let shop = Shop {
                    inventory: probe.inventory,
                    services: probe.services,
                    catalog: probe.catalog,
                    racks: probe.racks,
                };
                let before = picks.len();
                // Structural shortfalls (no closest placement) already count
                // every server there is: all of them are bought. Otherwise
                // the closest placement's spare room is trusted less each
                // time it did not suffice, down to not at all.
                loop {
                    let counted = if closest.is_some() { trust } else { 0.0 };
                    let mut spare = Spare::new(&after, probe.services, closest.as_ref(), counted);
                    buy(
                        &shop,
                        &short,
                        &mut spare,
                        &mut room.clone(),
                        preference,
                        &mut picks,
                    );
                    if closest.is_some() {
                        trust = if trust < 0.1 { 0.0 } else { trust / 2.0 };
                    }
                    if picks.len() > before {
                        break;
                    }
                    if counted == 0.0 {
                        return None;
                    }
                }
            }
        }
    };
    // Take servers back, the last bought first: the fewest of them, in the
    // order bought, that still plan (a bisection: fewer servers plan less
    // often, though not always), then blocks halving down to one, each
    // staying out when the rest still plans and is verified.
    let mut best = built;
    let (mut fails, mut works) = (0, picks.len());
    while works - fails > 1 && probe.left() > 0.0 {
        let mid = (fails + works) / 2;
        progress(&format!(
            "what to buy: trying the first {mid} of {} new servers (constructive)",
            picks.len()
        ));
        match probe.attempt(&picks[..mid]) {
            Attempt::Works(built) => {
                works = mid;
                best = *built;
            }
            _ => fails = mid,
        }
    }
    picks.truncate(works);
    let mut block = picks.len().div_ceil(4);
    let mut tries = 0;
    while block >= 1 && probe.left() > 0.0 && tries < TAKE_BACK_TRIES {
        let mut end = picks.len();
        while end > 0 && probe.left() > 0.0 && tries < TAKE_BACK_TRIES {
            tries += 1;
            let start = end.saturating_sub(block);
            let mut fewer = picks.clone();
            fewer.drain(start..end);
            progress(&format!(
                "what to buy: trying {} new servers instead of {} (constructive)",
                fewer.len(),
                picks.len()
            ));
            probe.keep_if_it_plans(fewer, &mut picks, &mut best);
            end = start;
        }
        block /= 2;
    }
    swap_for_cheaper_models(probe, &mut picks, &mut best, progress);
    Some(best)
}

/// Each search buys for the services short, and a service short of
/// labelled servers gets the labelled model even when what is short is
/// the room others take on the labelled servers there are: goodbarber
/// grown by docs/examples/growth.csv bought 7 × `DL380-24c-hdd` (12,000
/// each) for media-storage, where 8 × `DL360-32c` (9,000) plan. So, for
/// each cheaper model, cheapest first, the servers of dearer models are
/// swapped for it in blocks, all of them first, halving down to one, each
/// swap kept when the purchase still plans; rack units, max_count and the
/// wiring stay as they are.
fn swap_for_cheaper_models(
    probe: &Probe,
    picks: &mut Vec<Pick>,
    best: &mut Built,
    progress: &dyn Fn(&str),
) {
    let catalog = probe.catalog;
    let mut cheapest_first: Vec<usize> = (0..catalog.models.len()).collect();
    cheapest_first.sort_by(|a, b| {
        catalog.models[*a]
            .price
            .total_cmp(&catalog.models[*b].price)
            .then(a.cmp(b))
    });
    let mut tries = 0;
    for m in cheapest_first {
        let price = catalog.models[m].price;
        let dearer: Vec<usize> = (0..picks.len())
            .filter(|&i| catalog.models[picks[i].model].price > price)
            .collect();
        let mut block = dearer.len();
        while block >= 1 && probe.left() > 0.0 && tries < SWAP_TRIES {
            let mut end = dearer.len();
            while end > 0 && probe.left() > 0.0 && tries < SWAP_TRIES {
                let start = end.saturating_sub(block);
                let mut swapped = picks.clone();
                for &i in &dearer[start..end] {
                    swapped[i].model = m;
                }
                if swapped != *picks && within_limits(catalog, probe.racks, &swapped) {
                    tries += 1;
                    progress(&format!(
                        "what to buy: trying {} of {} new servers as {} (constructive)",
                        end - start,
                        picks.len(),
                        catalog.models[m].model
                    ));
                    probe.keep_if_it_plans(swapped, picks, best);
                }
                end = start;
            }
            block /= 2;
        }
    }
}

/// The rack units `picks` take per rack, and how many of each model.
fn taken(catalog: &Catalog, racks: &[RackSpace], picks: &[Pick]) -> (Vec<u32>, Vec<u32>) {
    let mut units = vec![0u32; racks.len()];
    let mut count = vec![0u32; catalog.models.len()];
    for p in picks {
        units[p.rack.index()] += catalog.models[p.model].u_height;
        count[p.model] += 1;
    }
    (units, count)
}

/// Each rack's new servers fit its free units, and each model's count its
/// max_count.
fn within_limits(catalog: &Catalog, racks: &[RackSpace], picks: &[Pick]) -> bool {
    let (units, count) = taken(catalog, racks, picks);
    units.iter().zip(racks).all(|(u, r)| *u <= r.free)
        && count
            .iter()
            .zip(&catalog.models)
            .all(|(n, m)| m.max_count.is_none_or(|max| *n <= max))
}

/// Swaps tried in all, across models: each is a plan, as for
/// [`TAKE_BACK_TRIES`].
const SWAP_TRIES: usize = 64;

/// Blocks tried after the bisection. Each try is a plan. On the 1,000-server
/// fleet grown ×2 the bisection keeps 294 of 382 servers in 10 tries, and
/// these tries (block sizes 74 down to 5, about 11 s) take back none; block
/// sizes down to one, with no limit but the clock, once took back 5 more
/// in about 30 s. A limit in tries, not seconds, keeps the answer the same
/// on any machine that gets there in time.
const TAKE_BACK_TRIES: usize = 128;

/// Steps of construction and repair per service each plan of a purchase
/// gets (`PlanOptions::effort`). On the 1,000-server fleet grown ×2 a
/// purchase that plans took 2 to 23 steps per service, one that does not
/// 166 to 36,000 before the repair gave up: past this, the purchase counts
/// as not planning, so a short one costs a fraction of a second, not
/// minutes, and the answer is the same on any machine.
const EFFORT_PER_SERVICE: u64 = 100;

/// Per service, the most replicas any finding says it is short.
fn shortages(services: &Services, findings: &[Finding]) -> BTreeMap<ServiceId, u32> {
    let mut short = BTreeMap::new();
    for f in findings {
        let (service, needed, up) = match &f.kind {
            FindingKind::TooFewReplicas {
                service,
                needed,
                up,
                ..
            }
            | FindingKind::ReplicasLost {
                service,
                needed,
                up,
                ..
            } => (service, *needed, *up),
            _ => continue,
        };
        add_shortage(services, &mut short, service, needed.saturating_sub(up));
    }
    short
}

/// The same from the planner's structural causes.
fn structural_shortages(services: &Services, causes: &[Cause]) -> BTreeMap<ServiceId, u32> {
    let mut short = BTreeMap::new();
    for cause in causes {
        let (service, missing) = match cause {
            Cause::NoEligibleServer {
                service, needed, ..
            } => (service, *needed),
            Cause::TooFewEligibleServers {
                service,
                needed,
                fit,
                ..
            } => (service, needed.saturating_sub(*fit)),
            Cause::ScenarioLeavesTooFew {
                service,
                needed,
                fit_outside,
                ..
            } => (service, needed.saturating_sub(*fit_outside)),
            Cause::Binding { .. } | Cause::Shortfall { .. } => continue,
        };
        add_shortage(services, &mut short, service, missing);
    }
    short
}

fn add_shortage(
    services: &Services,
    short: &mut BTreeMap<ServiceId, u32>,
    service: &str,
    missing: u32,
) {
    if let Some(id) = services.lookup(service).filter(|_| missing > 0) {
        let entry = short.entry(id).or_insert(0);
        *entry = (*entry).max(missing);
    }
}

/// Per power component: watts left under its limit at the placement's
/// highest load (normal operation and every scenario, as
/// `verify::power_status` finds it).
fn power_room(
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
struct Shop<'a> {
    inventory: &'a Inventory,
    services: &'a Services,
    catalog: &'a Catalog,
    racks: &'a [RackSpace],
}

/// The room the closest placement leaves on the servers there are, as far
/// as it is trusted: replicas short may go there instead of on new servers
/// (the planner, re-run, decides).
struct Spare<'a> {
    inventory: &'a Inventory,
    services: &'a Services,
    cpu: Vec<f64>,
    mem_gb: Vec<f64>,
    on: BTreeMap<(ServiceId, ServerId), u32>,
    /// The share of the room counted, in [0, 1].
    trust: f64,
}

impl<'a> Spare<'a> {
    fn new(
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
fn buy(
    shop: &Shop,
    short: &BTreeMap<ServiceId, u32>,
    spare: &mut Spare,
    room: &mut [f64],
    preference: Preference,
    picks: &mut Vec<Pick>,
) {
    let catalog = shop.catalog;
    let (units, mut count) = taken(catalog, shop.racks, picks);
    let mut free: Vec<u32> = shop
        .racks
        .iter()
        .zip(&units)
        .map(|(r, u)| r.free - u)
        .collect();
    let mut fresh: Vec<Fresh> = Vec::new();
    // This round's replicas per (service, rack), to spread them.
    let mut in_rack: BTreeMap<(ServiceId, RackId), u32> = BTreeMap::new();
    let mut order: Vec<(ServiceId, u32)> = short.iter().map(|(s, n)| (*s, *n)).collect();
    let demand = |&(s, n): &(ServiceId, u32)| f64::from(n) * shop.services.service(s).cpu;
    order.sort_by(|a, b| demand(b).total_cmp(&demand(a)).then(a.0.cmp(&b.0)));
    for (id, missing) in order {
        let service = shop.services.service(id);
        let has_labels = |m: usize| {
            service
                .requires
                .iter()
                .all(|l| catalog.models[m].labels.contains(l))
        };
        // Models by price per replica of this shape, or per core.
        let mut models: Vec<(f64, usize)> = (0..catalog.models.len())
            .filter(|&m| has_labels(m))
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
        let missing = missing - spare.take(id, missing);
        for _ in 0..missing {
            let spread = |rack: RackId| in_rack.get(&(id, rack)).copied().unwrap_or(0);
            let on_fresh = fresh
                .iter()
                .enumerate()
                .filter(|(_, f)| {
                    has_labels(f.pick.model)
                        && f.cpu + 1e-9 >= service.cpu
                        && f.mem_gb + 1e-9 >= service.mem_gb
                        && f.on.get(&id).copied().unwrap_or(0) < service.max_per_server
                })
                .min_by_key(|(i, f)| (spread(f.pick.rack), *i))
                .map(|(i, _)| i);
            let target = match on_fresh {
                Some(i) => i,
                None => {
                    let Some(pick) = models.iter().find_map(|&(_, m)| {
                        let model = &catalog.models[m];
                        if model.max_count.is_some_and(|max| count[m] >= max) {
                            return None;
                        }
                        shop.place(m, &free, room, &spread)
                    }) else {
                        break;
                    };
                    let model = &catalog.models[pick.model];
                    free[pick.rack.index()] -= model.u_height;
                    count[pick.model] += 1;
                    for p in shop.reach(pick) {
                        room[p.index()] -= model.max_w;
                    }
                    picks.push(pick);
                    fresh.push(Fresh {
                        pick,
                        cpu: model.cpu,
                        mem_gb: model.mem_gb,
                        on: BTreeMap::new(),
                    });
                    fresh.len() - 1
                }
            };
            let f = &mut fresh[target];
            f.cpu -= service.cpu;
            f.mem_gb -= service.mem_gb;
            *f.on.entry(id).or_insert(0) += 1;
            *in_rack.entry((id, f.pick.rack)).or_insert(0) += 1;
        }
    }
}

impl Shop<'_> {
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
