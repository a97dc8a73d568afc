//! The numbers `check` judges a placement by, kept up to date one replica at
//! a time, so that a long sequence of nearby placements (`migrate`) is judged
//! in microseconds each instead of a whole `check` each.
//!
//! What it keeps, and why each stays exact after a change on server `v`:
//! - cores, memory and replicas per server: sums;
//! - replicas up per service, and per service and listed scenario the
//!   replicas up that the scenario takes down (`lost`): a replica counts in
//!   the scenarios `v` is down in, so only those move;
//! - each power component's load with nothing failed, and in every listed
//!   scenario that leaves some component unpowered (the only scenarios whose
//!   loads can exceed normal operation's, as in `check`) its load minus the
//!   normal one (`deviation`). Loads are sums of each server's draw times the
//!   share its route gives a component ([`Topology::route`], the rule of
//!   [`LoadModel::loads`]). A server whose route in a scenario is its normal
//!   route adds the same to both loads and nothing to the deviation, so a
//!   change of `v`'s draw moves the deviation only in the scenarios where
//!   `v` is down or a component its draw can reach is unpowered.
//!
//! It answers for listed scenarios only: when a `power:P%` family is too
//! large to list and is searched instead, [`Ledger::new`] returns None and
//! the caller uses [`check`](fn@super::check::check).

use std::collections::HashMap;

use crate::inventory::{Inventory, PowerId, ServerId, ServiceId, Services, Status};
use crate::scenarios::ScenarioSet;
use crate::topology::Topology;

use super::options::{CheckOptions, CAPACITY_TOLERANCE, LOAD_TOLERANCE_W};

pub struct Ledger<'a> {
    inventory: &'a Inventory,
    services: &'a Services,
    topology: Topology<'a>,
    words: Vec<String>,
    replicas: HashMap<(ServiceId, ServerId), u32>,
    cpu: Vec<f64>,
    mem: Vec<f64>,
    draw_w: Vec<f64>,
    up: Vec<u32>,
    /// `lost[service][scenario]`: replicas counted in `up` that the listed
    /// scenario takes down.
    lost: Vec<Vec<u32>>,
    /// Per server, the listed scenarios it is down in.
    down_in: Vec<Vec<u32>>,
    /// Per word, the listed scenarios through which it binds a service that
    /// must survive it (a non-dominated membership, [`Scenario::binds`]).
    ///
    /// [`Scenario::binds`]: crate::scenarios::Scenario::binds
    word_scenarios: Vec<Vec<u32>>,
    /// Per service, per word: whether it must survive that word.
    survives: Vec<Vec<bool>>,
    normal_w: Vec<f64>,
    every_powered: Vec<bool>,
    failovers: Vec<Failover>,
    /// `deviation[f * power + p]`: component `p`'s load in failover `f` minus
    /// its load with nothing failed.
    deviation: Vec<f64>,
    /// Per server, the failovers in which its draw takes another path than
    /// with nothing failed (it is down, or a component it reaches is not
    /// powered).
    rerouted: Vec<Vec<u32>>,
}

/// A listed scenario that leaves some power component unpowered.
struct Failover {
    powered: Vec<bool>,
    /// Sorted.
    down: Vec<ServerId>,
}

impl<'a> Ledger<'a> {
    /// The ledger of the empty placement, or None when some `power:P%`
    /// family is searched rather than listed.
    pub fn new(inventory: &'a Inventory, services: &'a Services) -> Option<Self> {
        let words = services.all_words();
        let set = ScenarioSet::expand(inventory, &words, CheckOptions::default().enumeration_limit);
        if !set.families.is_empty() {
            return None;
        }
        let topology = Topology::new(inventory);
        let servers = inventory.servers.len();
        let power = inventory.power.len();
        let mut down_in = vec![Vec::new(); servers];
        let mut word_scenarios = vec![Vec::new(); words.len()];
        let mut failovers = Vec::new();
        let mut impacts = Vec::new();
        for (k, scenario) in set.scenarios.iter().enumerate() {
            let impact = topology.impact(&scenario.failed);
            for s in &impact.down {
                down_in[s.index()].push(k as u32);
            }
            for m in scenario.words.iter().filter(|m| !m.dominated) {
                word_scenarios[m.word].push(k as u32);
            }
            impacts.push(impact);
        }
        for impact in impacts {
            if !impact.unpowered.is_empty() {
                failovers.push(Failover {
                    powered: impact.powered_mask(inventory),
                    down: impact.down,
                });
            }
        }
        let reach: Vec<Vec<PowerId>> = inventory
            .server_ids()
            .map(|v| crate::topology::reach(inventory, &inventory.server(v).psu))
            .collect();
        let mut rerouted = vec![Vec::new(); servers];
        for (f, failover) in failovers.iter().enumerate() {
            for v in inventory.server_ids() {
                let moved = reach[v.index()]
                    .iter()
                    .any(|p| !failover.powered[p.index()])
                    || failover.down.binary_search(&v).is_ok();
                if moved {
                    rerouted[v.index()].push(f as u32);
                }
            }
        }
        let mut ledger = Ledger {
            inventory,
            services,
            topology,
            words: words.iter().map(ToString::to_string).collect(),
            replicas: HashMap::new(),
            cpu: vec![0.0; servers],
            mem: vec![0.0; servers],
            draw_w: vec![0.0; servers],
            up: vec![0; services.services.len()],
            lost: vec![vec![0; set.scenarios.len()]; services.services.len()],
            down_in,
            word_scenarios,
            survives: services.services.iter().map(|s| set.survives(s)).collect(),
            normal_w: vec![0.0; power],
            every_powered: vec![true; power],
            deviation: vec![0.0; failovers.len() * power],
            failovers,
            rerouted,
        };
        for v in inventory.server_ids() {
            ledger.redraw(v);
        }
        Some(ledger)
    }

    /// The survive words, as `check` names them in [`super::findings::Report::words`].
    pub fn words(&self) -> &[String] {
        &self.words
    }

    pub fn add(&mut self, service: ServiceId, server: ServerId) {
        *self.replicas.entry((service, server)).or_default() += 1;
        self.moved(service, server, 1);
    }

    /// Panics when no replica of `service` is on `server`.
    pub fn remove(&mut self, service: ServiceId, server: ServerId) {
        let key = (service, server);
        let n = self
            .replicas
            .get_mut(&key)
            .expect("a remove of a placed replica");
        *n -= 1;
        if *n == 0 {
            self.replicas.remove(&key);
        }
        self.moved(service, server, -1);
    }

    fn moved(&mut self, id: ServiceId, v: ServerId, sign: i32) {
        let service = self.services.service(id);
        let server = self.inventory.server(v);
        self.cpu[v.index()] += f64::from(sign) * service.cpu;
        self.mem[v.index()] += f64::from(sign) * service.mem_gb;
        // As in `check`'s PlacementIndex: only a replica on an active server
        // with the service's labels counts as up.
        if server.status == Status::Active && server.has_labels(&service.requires) {
            let step = |n: &mut u32| *n = n.checked_add_signed(sign).expect("counts stay >= 0");
            step(&mut self.up[id.index()]);
            for &k in &self.down_in[v.index()] {
                step(&mut self.lost[id.index()][k as usize]);
            }
        }
        self.redraw(v);
    }

    /// Brings the loads up to `v`'s draw at its current cores.
    fn redraw(&mut self, v: ServerId) {
        let draw = self.inventory.server(v).draw_w(self.cpu[v.index()]);
        let delta = draw - self.draw_w[v.index()];
        self.draw_w[v.index()] = draw;
        if delta == 0.0 {
            return;
        }
        let psu = &self.inventory.server(v).psu;
        let power = self.inventory.power.len();
        let mut normal_route = Vec::new();
        self.topology.route(psu, &self.every_powered, |p, share| {
            normal_route.push((p, share))
        });
        for &(p, share) in &normal_route {
            self.normal_w[p.index()] += share * delta;
        }
        for &f in &self.rerouted[v.index()] {
            let f = f as usize;
            let deviation = &mut self.deviation[f * power..(f + 1) * power];
            for &(p, share) in &normal_route {
                deviation[p.index()] -= share * delta;
            }
            let failover = &self.failovers[f];
            if failover.down.binary_search(&v).is_err() {
                self.topology.route(psu, &failover.powered, |p, share| {
                    deviation[p.index()] += share * delta;
                });
            }
        }
    }

    pub fn replicas(&self, service: ServiceId, server: ServerId) -> u32 {
        self.replicas.get(&(service, server)).copied().unwrap_or(0)
    }

    pub fn cpu_used(&self, server: ServerId) -> f64 {
        self.cpu[server.index()]
    }

    pub fn mem_used(&self, server: ServerId) -> f64 {
        self.mem[server.index()]
    }

    /// Replicas up with nothing failed ([`super::findings::ServiceStatus::up`]).
    pub fn up(&self, service: ServiceId) -> u32 {
        self.up[service.index()]
    }

    /// The fewest replicas up over the scenarios of `word`, None when the
    /// service need not survive it
    /// ([`super::findings::ServiceStatus::worst_by_word`]).
    pub fn worst_up(&self, service: ServiceId, word: usize) -> Option<u32> {
        if !self.survives[service.index()][word] {
            return None;
        }
        let lost = &self.lost[service.index()];
        let most = self.word_scenarios[word]
            .iter()
            .map(|&k| lost[k as usize])
            .max()
            .unwrap_or(0);
        Some(self.up[service.index()] - most)
    }

    /// The overloads `check` reports on `p`: its load with nothing failed
    /// when that is over its limit, and its highest load over the failovers
    /// that overload it — except one no worse than the normal overload, which
    /// `check` does not report again.
    pub fn overloads(&self, p: PowerId) -> (Option<f64>, Option<f64>) {
        let limit = self.inventory.power(p).limit_w() + LOAD_TOLERANCE_W;
        let normal = self.normal_w[p.index()];
        let power = self.inventory.power.len();
        let most = (0..self.failovers.len())
            .map(|f| self.deviation[f * power + p.index()])
            .fold(f64::NEG_INFINITY, f64::max);
        let normal_over = normal > limit;
        let worst = normal + most;
        // Both conditions are thresholds on the load, so the highest load is
        // reported exactly when some failover's is.
        let failover_over = worst > limit && !(normal_over && most <= LOAD_TOLERANCE_W);
        (
            normal_over.then_some(normal),
            failover_over.then_some(worst),
        )
    }

    /// Whether `server`'s cores or memory are over capacity, as `check` says.
    pub fn over_capacity(&self, server: ServerId) -> (bool, bool) {
        let s = self.inventory.server(server);
        (
            self.cpu[server.index()] > s.cpu + CAPACITY_TOLERANCE,
            self.mem[server.index()] > s.mem_gb + CAPACITY_TOLERANCE,
        )
    }
}
