//! Constructive placement for fleets too large for the MILP, and the naive
//! baseline it is measured against.
//!
//! `Spread` and `Pack` place each service (largest first) with the fewest
//! replicas that can work — starting from the proven floor of
//! [`Model::replica_floor`] — replica by replica, never letting one failure
//! set take more than `replicas − min_replicas` of them, and add a replica only
//! when that fails. `Naive` is the simple spread people do by hand: one replica
//! at a time on the least-loaded rack until the service survives.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::classes::Class;
use super::model::Model;
use crate::inventory::{Placement, Replica, ServerId, ServiceId};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Least-utilised rack first: the most headroom.
    Spread,
    /// Fullest server that fits first: the fewest servers.
    Pack,
    /// Least-loaded rack, blind to failure sets, until the service survives.
    Naive,
}

/// Free resources of every server and rack as replicas are placed.
struct Fleet {
    free_cpu: Vec<f64>,
    free_mem: Vec<f64>,
    /// Per rack: reserved and total (cpu, memory).
    rack_used: Vec<(f64, f64)>,
    rack_capacity: Vec<(f64, f64)>,
    /// Current load of each power row of the model.
    row_load: Vec<f64>,
    /// Per class: (power row, share of the class's draw reaching it).
    class_rows: Vec<Vec<(usize, f64)>>,
}

impl Fleet {
    fn new(model: &Model) -> Self {
        let inventory = model.inventory;
        let mut rack_capacity = vec![(0.0, 0.0); inventory.racks.len()];
        for class in model.classes {
            let rack = &mut rack_capacity[class.rack.index()];
            rack.0 += class.cpu * class.size();
            rack.1 += class.mem_gb * class.size();
        }
        let mut class_rows = vec![Vec::new(); model.classes.len()];
        let mut row_load = Vec::with_capacity(model.power.len());
        for (r, row) in model.power.iter().enumerate() {
            let mut load = row.constant_w;
            for &(k, coef) in &row.coefs {
                class_rows[k].push((r, coef));
                load += coef * model.classes[k].size() * model.classes[k].idle_w;
            }
            row_load.push(load);
        }
        Fleet {
            free_cpu: inventory.servers.iter().map(|s| s.cpu).collect(),
            free_mem: inventory.servers.iter().map(|s| s.mem_gb).collect(),
            rack_used: vec![(0.0, 0.0); inventory.racks.len()],
            rack_capacity,
            row_load,
            class_rows,
        }
    }

    /// The rack's utilisation, the larger of cpu and memory, after adding a replica.
    fn utilisation(&self, class: &Class, cpu: f64, mem: f64) -> f64 {
        let r = class.rack.index();
        let (used, capacity) = (self.rack_used[r], self.rack_capacity[r]);
        let share = |used: f64, extra: f64, capacity: f64| {
            if capacity > 0.0 {
                (used + extra) / capacity
            } else if used + extra > 0.0 {
                f64::INFINITY
            } else {
                0.0
            }
        };
        share(used.0, cpu, capacity.0).max(share(used.1, mem, capacity.1))
    }

    fn power_allows(&self, model: &Model, k: usize, cpu: f64) -> bool {
        let watts = model.classes[k].slope_w() * cpu;
        self.class_rows[k]
            .iter()
            .all(|&(r, coef)| self.row_load[r] + coef * watts <= model.power[r].limit_w + 1e-6)
    }

    /// Adds (sign 1) or removes (sign −1) one replica of `cpu`/`mem` on a server of class `k`.
    fn apply(&mut self, model: &Model, k: usize, server: ServerId, cpu: f64, mem: f64, sign: f64) {
        self.free_cpu[server.index()] -= sign * cpu;
        self.free_mem[server.index()] -= sign * mem;
        let rack = &mut self.rack_used[model.classes[k].rack.index()];
        rack.0 += sign * cpu;
        rack.1 += sign * mem;
        let watts = model.classes[k].slope_w() * cpu;
        for &(r, coef) in &self.class_rows[k] {
            self.row_load[r] += sign * coef * watts;
        }
    }
}

/// The outcome: a placement, or the first service that could not be placed.
pub fn place(
    model: &Model,
    style: Style,
    current: Option<&Placement>,
) -> Result<Placement, ServiceId> {
    let services = model.services;
    let mut fleet = Fleet::new(model);
    let mut order: Vec<ServiceId> = services.ids().collect();
    let size = |id: ServiceId| {
        let s = services.service(id);
        (s.cpu + s.mem_gb * 1e-3) * f64::from(model.replica_floor(id))
    };
    // Most constrained first (fewest eligible servers per replica needed, in
    // powers of two so that similar services keep their size order), then the
    // largest: a service limited to a few labelled servers must not find them
    // taken by services that could have gone anywhere.
    let room = |id: ServiceId| {
        let servers: usize = model.eligible[id.index()]
            .iter()
            .map(|&k| model.classes[k].servers.len())
            .sum();
        let needed = model.replica_floor(id).max(1) as f64;
        (servers as f64 / needed).max(1.0).log2().floor() as i64
    };
    order.sort_by(|a, b| {
        room(*a)
            .cmp(&room(*b))
            .then(size(*b).total_cmp(&size(*a)))
            .then(a.cmp(b))
    });
    let mut replicas = Vec::new();
    for id in order {
        let placed = match style {
            Style::Naive => place_naive(model, &mut fleet, id),
            _ => place_service(model, &mut fleet, id, style, current),
        };
        match placed {
            Some(servers) => replicas.extend(servers.into_iter().map(|server| Replica {
                service: id,
                server,
                line: 0,
            })),
            None => return Err(id),
        }
    }
    Ok(Placement {
        file: None,
        replicas,
    }
    .sorted())
}

/// Per eligible class of a service: the failure sets (indexes) containing it.
fn sets_of_classes(model: &Model, id: ServiceId) -> (Vec<Vec<usize>>, usize) {
    let mut sets = vec![Vec::new(); model.classes.len()];
    let survival = &model.survival[id.index()];
    for (i, lost) in survival.keys().enumerate() {
        for &k in lost {
            sets[k].push(i);
        }
    }
    (sets, survival.len())
}

/// The server of class `k` a replica would go to, if any: the one with the
/// most free cpu (spread) or the least that still fits (pack).
fn server_in(
    model: &Model,
    fleet: &Fleet,
    k: usize,
    id: ServiceId,
    on: &[u32],
    style: Style,
) -> Option<usize> {
    let service = model.services.service(id);
    let class = &model.classes[k];
    let fits = |j: &usize| {
        let s = class.servers[*j];
        on[s.index()] < service.max_per_server
            && fleet.free_cpu[s.index()] + 1e-9 >= service.cpu
            && fleet.free_mem[s.index()] + 1e-9 >= service.mem_gb
    };
    let free = |j: usize| fleet.free_cpu[class.servers[j].index()];
    let candidates = (0..class.servers.len()).filter(fits);
    match style {
        Style::Pack => candidates.min_by(|&a, &b| free(a).total_cmp(&free(b)).then(a.cmp(&b))),
        _ => candidates.max_by(|&a, &b| free(a).total_cmp(&free(b)).then(b.cmp(&a))),
    }
}

/// Ordering key of a class for the next replica (smaller is better): the
/// rack's utilisation, then the room left on the class's roomiest server, so a
/// large replica lands where it fits best instead of filling a small server.
fn score(model: &Model, fleet: &Fleet, k: usize, id: ServiceId, style: Style) -> (u64, u64, usize) {
    let class = &model.classes[k];
    let service = model.services.service(id);
    let utilisation = fleet.utilisation(class, service.cpu, service.mem_gb);
    let roomiest = class
        .servers
        .iter()
        .map(|s| fleet.free_cpu[s.index()])
        .fold(0.0, f64::max)
        .max(0.0);
    // Non-negative floats order like their bits.
    match style {
        // Fill what is already in use: the fullest rack, the tightest fit.
        Style::Pack => (
            (1.0 - utilisation.min(1.0)).max(0.0).to_bits(),
            roomiest.to_bits(),
            k,
        ),
        _ => (
            utilisation.max(0.0).to_bits(),
            u64::MAX - roomiest.to_bits(),
            k,
        ),
    }
}

fn place_service(
    model: &Model,
    fleet: &mut Fleet,
    id: ServiceId,
    style: Style,
    current: Option<&Placement>,
) -> Option<Vec<ServerId>> {
    let service = model.services.service(id);
    let (class_sets, set_count) = sets_of_classes(model, id);
    let eligible = &model.eligible[id.index()];
    let mut class_of = vec![usize::MAX; model.inventory.servers.len()];
    for &k in eligible {
        for s in &model.classes[k].servers {
            class_of[s.index()] = k;
        }
    }
    let ceiling: u32 = eligible
        .iter()
        .map(|&k| model.classes[k].servers.len() as u32 * service.max_per_server)
        .sum::<u32>()
        .min(service.max_replicas.unwrap_or(u32::MAX));
    let mut on = vec![0u32; model.inventory.servers.len()];
    for replicas in model.replica_floor(id).max(service.min_replicas)..=ceiling {
        let budget = replicas - service.min_replicas;
        let mut loss = vec![0u32; set_count];
        let mut placed: Vec<(usize, ServerId)> = Vec::new();
        let allowed = |k: usize, loss: &[u32]| class_sets[k].iter().all(|&i| loss[i] < budget);
        let put = |k: usize,
                   server: ServerId,
                   fleet: &mut Fleet,
                   loss: &mut [u32],
                   on: &mut [u32],
                   placed: &mut Vec<(usize, ServerId)>| {
            fleet.apply(model, k, server, service.cpu, service.mem_gb, 1.0);
            on[server.index()] += 1;
            for &i in &class_sets[k] {
                loss[i] += 1;
            }
            placed.push((k, server));
        };
        // Replicas already running stay where they are when the budgets allow.
        if let Some(current) = current {
            for r in current.replicas.iter().filter(|r| r.service == id) {
                let k = class_of[r.server.index()];
                let s = r.server.index();
                if k == usize::MAX || placed.len() as u32 >= replicas || !allowed(k, &loss) {
                    continue;
                }
                if on[s] < service.max_per_server
                    && fleet.free_cpu[s] + 1e-9 >= service.cpu
                    && fleet.free_mem[s] + 1e-9 >= service.mem_gb
                    && fleet.power_allows(model, k, service.cpu)
                {
                    put(k, r.server, fleet, &mut loss, &mut on, &mut placed);
                }
            }
        }
        let mut heap: BinaryHeap<Reverse<(u64, u64, usize)>> = eligible
            .iter()
            .map(|&k| Reverse(score(model, fleet, k, id, style)))
            .collect();
        while (placed.len() as u32) < replicas {
            let Some(Reverse(key)) = heap.pop() else {
                break;
            };
            let k = key.2;
            if !allowed(k, &loss) || !fleet.power_allows(model, k, service.cpu) {
                continue;
            }
            let fresh = score(model, fleet, k, id, style);
            if fresh != key {
                heap.push(Reverse(fresh));
                continue;
            }
            let Some(j) = server_in(model, fleet, k, id, &on, style) else {
                continue;
            };
            put(
                k,
                model.classes[k].servers[j],
                fleet,
                &mut loss,
                &mut on,
                &mut placed,
            );
            heap.push(Reverse(score(model, fleet, k, id, style)));
        }
        if placed.len() as u32 == replicas {
            return Some(placed.into_iter().map(|(_, s)| s).collect());
        }
        for (k, server) in placed {
            fleet.apply(model, k, server, service.cpu, service.mem_gb, -1.0);
            on[server.index()] -= 1;
        }
    }
    None
}

/// One replica at a time on the least-loaded rack until no failure set takes
/// more than the replicas beyond min_replicas.
fn place_naive(model: &Model, fleet: &mut Fleet, id: ServiceId) -> Option<Vec<ServerId>> {
    let service = model.services.service(id);
    let (class_sets, set_count) = sets_of_classes(model, id);
    let mut on = vec![0u32; model.inventory.servers.len()];
    let mut loss = vec![0u32; set_count];
    let mut worst = 0;
    let mut placed = Vec::new();
    let mut heap: BinaryHeap<Reverse<(u64, u64, usize)>> = model.eligible[id.index()]
        .iter()
        .map(|&k| Reverse(score(model, fleet, k, id, Style::Spread)))
        .collect();
    loop {
        let count = placed.len() as u32;
        if count >= service.min_replicas && count - worst >= service.min_replicas {
            return Some(placed);
        }
        if service.max_replicas.is_some_and(|max| count >= max) {
            return None;
        }
        let Reverse(key) = heap.pop()?;
        let k = key.2;
        if !fleet.power_allows(model, k, service.cpu) {
            continue;
        }
        let fresh = score(model, fleet, k, id, Style::Spread);
        if fresh != key {
            heap.push(Reverse(fresh));
            continue;
        }
        let Some(j) = server_in(model, fleet, k, id, &on, Style::Spread) else {
            continue;
        };
        let server = model.classes[k].servers[j];
        fleet.apply(model, k, server, service.cpu, service.mem_gb, 1.0);
        on[server.index()] += 1;
        for &i in &class_sets[k] {
            loss[i] += 1;
            worst = worst.max(loss[i]);
        }
        placed.push(server);
        heap.push(Reverse(score(model, fleet, k, id, Style::Spread)));
    }
}
