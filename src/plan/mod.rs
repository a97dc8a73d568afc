//! `plan`: computes a placement in which every guarantee holds, and proves it by
//! handing it to `verify` before anyone sees it.
//!
//! The model counts replicas per class of interchangeable servers (classes.rs),
//! is solved lexicographically (fewest moves, then the objective, then its
//! tie-breaker), packed onto concrete servers, and checked. A class that cannot
//! be packed is split into single servers and the model solved again; a
//! `power:P%` family too large to list is added lazily, one worst set at a time.

mod classes;
mod explain;
mod model;
mod solver;

use std::time::Instant;

use serde::Serialize;

pub use explain::{Cause, Explanation};
pub use solver::NAME as SOLVER;

use crate::inventory::{Component, Inventory, Placement, Replica, ServerId, ServiceId, Services};
use crate::scenarios::{ScenarioSet, DEFAULT_ENUMERATION_LIMIT};
use crate::topology::Topology;
use crate::verify::{self, CheckOptions, Finding, Report};
use classes::{classes, Class};
use model::{Counts, Fixed, Goal, Model, SolveSettings};

/// Seconds at most for the tie-breaking solve after the objective.
const TIE_BREAK_SECONDS: f64 = 10.0;

/// What `plan` minimises after the guarantees (and, with a current placement,
/// after the fewest moves).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Objective {
    /// Least reserved cpu (memory second), then the lowest peak utilisation of
    /// racks and power components.
    Cost,
    /// Fewest servers hosting anything, then least reserved resources.
    Servers,
    /// Lowest peak utilisation of any server, rack or power component, then
    /// least reserved resources.
    Balance,
}

impl Objective {
    pub fn as_str(self) -> &'static str {
        match self {
            Objective::Cost => "cost",
            Objective::Servers => "servers",
            Objective::Balance => "balance",
        }
    }
}

#[derive(Debug, Clone)]
pub struct PlanOptions {
    pub objective: Objective,
    /// Seconds for the whole solve; the best verified placement found is returned.
    pub time_limit: Option<f64>,
    pub threads: u32,
    pub max_moves: Option<u32>,
    pub enumeration_limit: usize,
}

impl Default for PlanOptions {
    fn default() -> Self {
        PlanOptions {
            objective: Objective::Cost,
            time_limit: None,
            threads: 1,
            max_moves: None,
            enumeration_limit: DEFAULT_ENUMERATION_LIMIT,
        }
    }
}

/// One difference from the current placement.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "change", rename_all = "lowercase")]
pub enum Change {
    Add {
        service: String,
        server: String,
    },
    Remove {
        service: String,
        server: String,
    },
    Move {
        service: String,
        from: String,
        to: String,
    },
}

#[derive(Debug, Clone, Serialize)]
pub struct PlanStats {
    pub objective: Objective,
    /// The objective's value (for `cost`: Σ replicas × (cpu + mem_weight × mem)).
    pub value: f64,
    /// A proven lower bound on `value`.
    pub bound: f64,
    /// (value − bound) / value; 0 when proven optimal.
    pub gap: f64,
    pub optimal: bool,
    pub solver: &'static str,
    pub classes: usize,
    pub solves: usize,
    pub seconds: f64,
    pub replicas: usize,
    pub reserved_cpu: f64,
    pub reserved_mem_gb: f64,
    /// With a current placement: replicas added, removed or moved.
    pub moves: Option<u32>,
    pub mem_weight: f64,
}

#[derive(Debug, Clone)]
pub struct Plan {
    pub placement: Placement,
    pub stats: PlanStats,
    pub changes: Vec<Change>,
    /// The independent check of this placement; it always passes.
    pub report: Report,
}

#[derive(Debug, Clone)]
pub enum PlanError {
    /// No placement satisfies the guarantees; here is why.
    Infeasible(Explanation),
    /// The time limit ran out before any placement was found.
    NoSolution(String),
    /// The solver answered with a placement that `verify` rejects: a bug,
    /// reported rather than written.
    Unverified(Vec<Finding>),
}

/// Computes a verified placement.
pub fn plan(
    inventory: &Inventory,
    services: &Services,
    current: Option<&Placement>,
    options: &PlanOptions,
    progress: &dyn Fn(&str),
) -> Result<Plan, PlanError> {
    let started = Instant::now();
    let words = services.all_words();
    let set = ScenarioSet::expand(inventory, &words, options.enumeration_limit);
    let structural = explain::structural(inventory, services, &set);
    if !structural.causes.is_empty() {
        return Err(PlanError::Infeasible(structural));
    }
    let mem_weight = mem_weight(inventory);
    let remaining = |started: Instant| {
        options
            .time_limit
            .map(|limit| (limit - started.elapsed().as_secs_f64()).max(0.1))
    };
    let mut split: Vec<ServerId> = Vec::new();
    let mut solves = 0;
    let mut lazy: Vec<(ServiceId, Vec<Component>, String)> = Vec::new();
    loop {
        let classes = classes(inventory, &split);
        let mut model = Model::new(inventory, services, &classes, &set, current);
        for (service, failed, name) in &lazy {
            model.add_survival(*service, failed, name);
        }
        let settings = |slack: bool, relaxed: bool| SolveSettings {
            time_limit: remaining(started),
            threads: options.threads,
            slack,
            relaxed,
            max_moves: options.max_moves,
            mem_weight,
        };
        let mut fixed: Vec<Fixed> = Vec::new();
        let mut goals = Vec::new();
        if current.is_some() {
            goals.push(Goal::Moves);
        }
        let (primary, secondary) = match options.objective {
            Objective::Cost => (Goal::Cost, Goal::Peak { servers: false }),
            Objective::Servers => (Goal::Servers, Goal::Cost),
            Objective::Balance => (Goal::Peak { servers: true }, Goal::Cost),
        };
        goals.extend([primary, secondary]);
        let mut best = None;
        let mut primary_value = (0.0, true);
        for goal in goals {
            progress(&format!(
                "solving: {} ({} classes, solve {})",
                goal_name(goal),
                classes.len(),
                solves + 1
            ));
            solves += 1;
            let mut phase = settings(false, false);
            if goal == secondary {
                // The tie-breaker only polishes a placement already found: cap it
                // so that an open-ended solve cannot hang on it.
                let cap = phase
                    .time_limit
                    .unwrap_or(TIE_BREAK_SECONDS)
                    .min(TIE_BREAK_SECONDS);
                phase.time_limit = Some(cap);
            }
            match model.solve(goal, &fixed, &phase) {
                Ok(outcome) => {
                    // Integral goals get half a unit of slack, the others a relative hair.
                    let at_most = match goal {
                        Goal::Moves | Goal::Servers => outcome.value.round() + 0.5,
                        _ => outcome.value * (1.0 + 1e-7) + 1e-7,
                    };
                    if goal == primary {
                        primary_value = (outcome.value, outcome.optimal);
                    }
                    fixed.push(Fixed { goal, at_most });
                    best = Some(outcome);
                }
                Err(good_lp::ResolutionError::Infeasible) if best.is_none() => {
                    progress("infeasible: computing the explanation");
                    let why = model.solve(Goal::Cost, &[], &settings(true, false));
                    return Err(PlanError::Infeasible(explain::from_shortfalls(
                        inventory,
                        services,
                        &set,
                        why.ok().map(|o| o.shortfalls),
                        &model,
                        options.max_moves.filter(|_| current.is_some()),
                    )));
                }
                // A tie-breaker that runs out of time keeps the placement already found.
                Err(_) if best.is_some() => break,
                Err(e) => return Err(PlanError::NoSolution(e.to_string())),
            }
        }
        let outcome = best.expect("the loop returns unless a goal was solved");

        // Large power:P% families: add each service's worst violated set and solve again.
        let mut added = false;
        let topology = Topology::new(inventory);
        for family in &set.families {
            for id in services.ids().filter(|id| {
                services
                    .service(*id)
                    .survive
                    .contains(&set.words[family.word])
            }) {
                let on = replicas_on_servers(&classes, &outcome.counts, id);
                let needed = services.service(id).min_replicas;
                let total: u32 = on.iter().map(|(_, n)| n).sum();
                let (lost, worst) = family.worst(|members| {
                    let failed: Vec<Component> =
                        members.iter().map(|p| Component::Power(*p)).collect();
                    let down = topology.impact(&failed).down;
                    on.iter()
                        .filter(|(s, _)| down.binary_search(s).is_ok())
                        .map(|(_, n)| u64::from(*n))
                        .sum()
                });
                if total.saturating_sub(lost as u32) < needed {
                    let failed: Vec<Component> =
                        worst.iter().map(|p| Component::Power(*p)).collect();
                    let names: Vec<&str> = worst
                        .iter()
                        .map(|p| inventory.power(*p).id.as_str())
                        .collect();
                    let name = format!("{} {}", set.words[family.word], names.join("+"));
                    lazy.push((id, failed, name));
                    added = true;
                }
            }
        }
        if added {
            continue;
        }

        let placement = match pack(inventory, services, &classes, &outcome.counts, current) {
            Ok(placement) => placement,
            Err(unpackable) => {
                progress(&format!(
                    "splitting {} classes that could not be packed",
                    unpackable.len()
                ));
                for k in unpackable {
                    split.extend(classes[k].servers.iter().copied());
                }
                split.sort_unstable();
                split.dedup();
                continue;
            }
        };
        progress("verifying");
        let report = verify::check(
            inventory,
            services,
            &placement,
            CheckOptions {
                enumeration_limit: options.enumeration_limit,
            },
        );
        if !report.passed() {
            let errors = report
                .findings
                .into_iter()
                .filter(|f| f.severity == verify::Severity::Error)
                .collect();
            return Err(PlanError::Unverified(errors));
        }
        let (value, optimal) = primary_value;
        let bound = if optimal {
            value
        } else {
            model
                .solve(
                    primary,
                    &fixed_before(&fixed, primary),
                    &settings(false, true),
                )
                .map_or(0.0, |relaxed| relaxed.value)
        };
        let changes = current
            .map(|c| changes(inventory, services, c, &placement))
            .unwrap_or_default();
        let moves = current.map(|_| changes.len() as u32);
        let mut reserved_cpu = 0.0;
        let mut reserved_mem_gb = 0.0;
        for r in &placement.replicas {
            reserved_cpu += services.service(r.service).cpu;
            reserved_mem_gb += services.service(r.service).mem_gb;
        }
        let stats = PlanStats {
            objective: options.objective,
            value,
            bound,
            gap: if value.abs() > 1e-9 {
                ((value - bound) / value).max(0.0)
            } else {
                0.0
            },
            optimal,
            solver: SOLVER,
            classes: classes.len(),
            solves,
            seconds: started.elapsed().as_secs_f64(),
            replicas: placement.replicas.len(),
            reserved_cpu,
            reserved_mem_gb,
            moves,
            mem_weight,
        };
        return Ok(Plan {
            placement,
            stats,
            changes,
            report,
        });
    }
}

fn goal_name(goal: Goal) -> &'static str {
    match goal {
        Goal::Moves => "fewest moves",
        Goal::Cost => "least reserved resources",
        Goal::Servers => "fewest servers",
        Goal::Peak { .. } => "lowest peak utilisation",
    }
}

/// The goals fixed before `goal` was optimised (for its LP bound).
fn fixed_before(fixed: &[Fixed], goal: Goal) -> Vec<Fixed> {
    fixed
        .iter()
        .take_while(|f| f.goal != goal)
        .copied()
        .collect()
}

/// How much one GB of memory costs next to one core: a tenth of the fleet's
/// cores-per-GB ratio, so cpu decides and memory breaks ties.
fn mem_weight(inventory: &Inventory) -> f64 {
    let cpu: f64 = inventory.servers.iter().map(|s| s.cpu).sum();
    let mem: f64 = inventory.servers.iter().map(|s| s.mem_gb).sum();
    if mem > 0.0 {
        0.1 * cpu / mem
    } else {
        0.0
    }
}

/// (representative server, replicas) of a service per class.
fn replicas_on_servers(
    classes: &[Class],
    counts: &Counts,
    service: ServiceId,
) -> Vec<(ServerId, u32)> {
    let mut on: Vec<(ServerId, u32)> = counts[service.index()]
        .iter()
        .enumerate()
        .filter(|(_, n)| **n > 0)
        .map(|(k, n)| (classes[k].servers[0], *n))
        .collect();
    on.sort_unstable();
    on
}

/// Puts each class's replica counts on its servers: replicas that already run
/// on a server of the class stay there, the rest go to the server with the most
/// free cpu that respects max_per_server and memory. Err names the classes that
/// could not be packed.
fn pack(
    inventory: &Inventory,
    services: &Services,
    classes: &[Class],
    counts: &Counts,
    current: Option<&Placement>,
) -> Result<Placement, Vec<usize>> {
    let mut replicas = Vec::new();
    let mut failed = Vec::new();
    for (k, class) in classes.iter().enumerate() {
        let mut bins = Bins::new(inventory, class);
        let mut want: Vec<(ServiceId, u32)> = services
            .ids()
            .map(|id| (id, counts[id.index()][k]))
            .filter(|(_, n)| *n > 0)
            .collect();
        if let Some(current) = current {
            for (id, n) in want.iter_mut() {
                let service = services.service(*id);
                for r in current.replicas.iter().filter(|r| r.service == *id) {
                    let Ok(j) = class.servers.binary_search(&r.server) else {
                        continue;
                    };
                    if *n > 0 && bins.fits(j, *id, service) {
                        replicas.push(bins.place(j, *id, service));
                        *n -= 1;
                    }
                }
            }
        }
        want.sort_by(|a, b| {
            let (sa, sb) = (services.service(a.0), services.service(b.0));
            sb.cpu
                .total_cmp(&sa.cpu)
                .then(sb.mem_gb.total_cmp(&sa.mem_gb))
                .then(a.0.cmp(&b.0))
        });
        'services: for (id, n) in want {
            let service = services.service(id);
            for _ in 0..n {
                let target = (0..class.servers.len())
                    .filter(|&j| bins.fits(j, id, service))
                    .max_by(|&a, &b| {
                        bins.free_cpu[a]
                            .total_cmp(&bins.free_cpu[b])
                            .then(b.cmp(&a))
                    });
                match target {
                    Some(j) => replicas.push(bins.place(j, id, service)),
                    None => {
                        failed.push(k);
                        break 'services;
                    }
                }
            }
        }
    }
    if !failed.is_empty() {
        return Err(failed);
    }
    Ok(Placement {
        file: None,
        replicas,
    }
    .sorted())
}

/// The servers of one class being filled.
struct Bins<'a> {
    class: &'a Class,
    free_cpu: Vec<f64>,
    free_mem: Vec<f64>,
    on: std::collections::BTreeMap<(ServiceId, usize), u32>,
}

impl<'a> Bins<'a> {
    fn new(inventory: &Inventory, class: &'a Class) -> Self {
        Bins {
            class,
            free_cpu: class
                .servers
                .iter()
                .map(|s| inventory.server(*s).cpu)
                .collect(),
            free_mem: class
                .servers
                .iter()
                .map(|s| inventory.server(*s).mem_gb)
                .collect(),
            on: Default::default(),
        }
    }

    fn fits(&self, j: usize, id: ServiceId, service: &crate::inventory::Service) -> bool {
        self.on.get(&(id, j)).copied().unwrap_or(0) < service.max_per_server
            && self.free_cpu[j] + 1e-9 >= service.cpu
            && self.free_mem[j] + 1e-9 >= service.mem_gb
    }

    fn place(&mut self, j: usize, id: ServiceId, service: &crate::inventory::Service) -> Replica {
        self.free_cpu[j] -= service.cpu;
        self.free_mem[j] -= service.mem_gb;
        *self.on.entry((id, j)).or_default() += 1;
        Replica {
            service: id,
            server: self.class.servers[j],
            line: 0,
        }
    }
}

/// The terraform-style difference between two placements: per service, servers
/// that lost a replica are paired with servers that gained one as moves.
pub fn changes(
    inventory: &Inventory,
    services: &Services,
    before: &Placement,
    after: &Placement,
) -> Vec<Change> {
    let mut out = Vec::new();
    for id in services.ids() {
        let count = |p: &Placement| {
            let mut c: std::collections::BTreeMap<ServerId, i64> = Default::default();
            for r in p.replicas.iter().filter(|r| r.service == id) {
                *c.entry(r.server).or_default() += 1;
            }
            c
        };
        let (old, new) = (count(before), count(after));
        let mut removed = Vec::new();
        let mut added = Vec::new();
        for s in old
            .keys()
            .chain(new.keys())
            .collect::<std::collections::BTreeSet<_>>()
        {
            let d = new.get(s).copied().unwrap_or(0) - old.get(s).copied().unwrap_or(0);
            for _ in 0..d.abs() {
                if d > 0 {
                    added.push(*s)
                } else {
                    removed.push(*s)
                }
            }
        }
        let name = services.service(id).name.clone();
        let server = |s: ServerId| inventory.server(s).id.clone();
        let pairs = removed.len().min(added.len());
        for (from, to) in removed.iter().zip(&added) {
            out.push(Change::Move {
                service: name.clone(),
                from: server(*from),
                to: server(*to),
            });
        }
        for s in &added[pairs..] {
            out.push(Change::Add {
                service: name.clone(),
                server: server(*s),
            });
        }
        for s in &removed[pairs..] {
            out.push(Change::Remove {
                service: name.clone(),
                server: server(*s),
            });
        }
    }
    out
}
