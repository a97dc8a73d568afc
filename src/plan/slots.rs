//! The counting argument of one service shape alone on the fleet: how many of
//! its replicas its eligible servers hold, with nothing failed and after the
//! worst scenario of its survive words. Proven bounds without the solver, for
//! structural explanations and for headroom.

use crate::inventory::{Component, Inventory, ServerId, Status};
use crate::scenarios::ScenarioSet;
use crate::topology::{Impact, Topology};

/// How many replicas of a shape fit on one server.
fn fit(inventory: &Inventory, server: ServerId, cpu: f64, mem_gb: f64, max_per_server: u32) -> u32 {
    let s = inventory.server(server);
    let mut n = f64::from(max_per_server);
    if cpu > 0.0 {
        n = n.min((s.cpu / cpu + 1e-9).floor());
    }
    if mem_gb > 0.0 {
        n = n.min((s.mem_gb / mem_gb + 1e-9).floor());
    }
    n.max(0.0) as u32
}

/// The counting argument of one service shape, alone on the fleet: how many
/// of its replicas its eligible servers (active, with every label it
/// requires) hold, by max_per_server, cpu and memory, with nothing failed and
/// after the scenario of its survive words that takes the most of them down.
///
/// No placement keeps more replicas up than `total` with nothing failed, nor
/// more than `fit_outside` in `scenario`; both are proven bounds, whatever
/// the other services and the power limits do.
#[derive(Debug, Clone, PartialEq)]
pub struct Slots {
    pub eligible_servers: usize,
    /// Replicas the eligible servers hold with nothing failed.
    pub total: u32,
    /// The binding scenario that leaves the fewest (first in scenario order,
    /// listed sets before searched families, on ties): (replicas its surviving
    /// eligible servers hold, eligible servers it takes down, its name). None
    /// when no scenario of the survive words takes an eligible server down.
    pub worst: Option<(u32, usize, String)>,
    /// What caps the replicas per eligible server on most of them:
    /// "max_per_server", "cpu" or "memory" (the first, on ties).
    pub per_server: &'static str,
}

impl Slots {
    /// The most replicas up in every scenario of the service's words.
    pub fn fit_outside(&self) -> u32 {
        self.worst.as_ref().map_or(self.total, |w| w.0)
    }
}

/// [`Slots`] of `service` (any min_replicas: they do not enter the count).
pub fn slots(
    inventory: &Inventory,
    topology: &Topology,
    set: &ScenarioSet,
    impacts: &[Impact],
    service: &crate::inventory::Service,
) -> Slots {
    let survives = set.survives(service);
    let eligible: Vec<ServerId> = inventory
        .server_ids()
        .filter(|s| {
            let server = inventory.server(*s);
            server.status == Status::Active && server.has_labels(&service.requires)
        })
        .collect();
    let (fits, per_server) = fits_per_server(inventory, &eligible, service);
    let total: u32 = fits.iter().sum();
    let fit_on = FitOn::new(inventory, &eligible, &fits);
    let mut worst = worst_listed(set, impacts, &survives, total, &fit_on);
    worst_in_families(
        &mut worst, inventory, topology, set, service, total, &fit_on,
    );
    Slots {
        eligible_servers: eligible.len(),
        total,
        worst,
        per_server,
    }
}

/// How many replicas of the service fit on each eligible server, and what
/// caps them on most servers: "max_per_server", "cpu" or "memory" (the first,
/// on ties).
fn fits_per_server(
    inventory: &Inventory,
    eligible: &[ServerId],
    service: &crate::inventory::Service,
) -> (Vec<u32>, &'static str) {
    let mut binding = [0usize; 3];
    let fits: Vec<u32> = eligible
        .iter()
        .map(|s| {
            let f = fit(
                inventory,
                *s,
                service.cpu,
                service.mem_gb,
                service.max_per_server,
            );
            let server = inventory.server(*s);
            let by = [
                f == service.max_per_server,
                service.cpu > 0.0 && f64::from(f + 1) * service.cpu > server.cpu + 1e-9,
                service.mem_gb > 0.0 && f64::from(f + 1) * service.mem_gb > server.mem_gb + 1e-9,
            ];
            if let Some(i) = by.iter().position(|b| *b) {
                binding[i] += 1;
            }
            f
        })
        .collect();
    let most = (0..3).max_by_key(|&i| (binding[i], 3 - i)).unwrap_or(0);
    (fits, ["max_per_server", "cpu", "memory"][most])
}

/// Per server: the replicas of one service shape it holds, and whether it is
/// eligible; what a scenario takes down is counted with these.
struct FitOn {
    fit_on: Vec<u32>,
    is_eligible: Vec<bool>,
}

impl FitOn {
    fn new(inventory: &Inventory, eligible: &[ServerId], fits: &[u32]) -> Self {
        let mut fit_on = vec![0u32; inventory.servers.len()];
        let mut is_eligible = vec![false; inventory.servers.len()];
        for (s, f) in eligible.iter().zip(fits) {
            fit_on[s.index()] = *f;
            is_eligible[s.index()] = true;
        }
        FitOn {
            fit_on,
            is_eligible,
        }
    }

    /// The replicas the servers `down` held, and how many of them are eligible.
    fn lost(&self, down: &[ServerId]) -> (u32, usize) {
        let lost = down.iter().map(|s| self.fit_on[s.index()]).sum();
        let count = down.iter().filter(|s| self.is_eligible[s.index()]).count();
        (lost, count)
    }
}

/// The listed scenario of the survive words that leaves the fewest replicas
/// (the first, on ties), among those that take an eligible server down.
fn worst_listed(
    set: &ScenarioSet,
    impacts: &[Impact],
    survives: &[bool],
    total: u32,
    fit_on: &FitOn,
) -> Option<(u32, usize, String)> {
    let mut worst: Option<(u32, usize, String)> = None;
    for (index, scenario) in set.scenarios.iter().enumerate() {
        if !scenario.binds(survives) {
            continue;
        }
        let (lost, count) = fit_on.lost(&impacts[index].down);
        if count > 0 && worst.as_ref().is_none_or(|w| total - lost < w.0) {
            worst = Some((total - lost, count, scenario.name.clone()));
        }
    }
    worst
}

/// Replaces `worst` by the worst set of each `power:P%` family of the
/// service's words that leaves fewer, found by the family's search.
fn worst_in_families(
    worst: &mut Option<(u32, usize, String)>,
    inventory: &Inventory,
    topology: &Topology,
    set: &ScenarioSet,
    service: &crate::inventory::Service,
    total: u32,
    fit_on: &FitOn,
) {
    for family in set
        .families
        .iter()
        .filter(|f| service.survive.contains(&set.words[f.word]))
    {
        let (lost, members_set) = family
            .search(topology)
            .worst_loss(|s| u64::from(fit_on.fit_on[s.index()]));
        let lost = lost as u32;
        if members_set.is_empty() {
            continue;
        }
        let failed: Vec<Component> = members_set.iter().map(|p| Component::Power(*p)).collect();
        let count = fit_on.lost(&topology.impact(&failed).down).1;
        if count > 0 && worst.as_ref().is_none_or(|w| total - lost < w.0) {
            let names: Vec<&str> = members_set
                .iter()
                .map(|p| inventory.power(*p).id.as_str())
                .collect();
            *worst = Some((
                total - lost,
                count,
                format!("{} {}", set.words[family.word], names.join("+")),
            ));
        }
    }
}
