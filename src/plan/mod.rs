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
mod greedy;
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

/// Seconds for the whole solve when no time limit is given.
const DEFAULT_SECONDS: f64 = 300.0;
const DEFAULT_SECONDS_WEAK: f64 = 30.0;

/// Seconds at most for the tie-breaking solve after the objective.
const TIE_BREAK_SECONDS: f64 = 3.0;

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

/// How `plan` searches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// The exact MILP when the model is small enough, else the constructive placement.
    Auto,
    /// Always the MILP (with the constructive placement as fallback).
    Milp,
    /// Only the constructive placement.
    Greedy,
}

#[derive(Debug, Clone)]
pub struct PlanOptions {
    pub objective: Objective,
    pub method: Method,
    /// Seconds for the whole solve; the best verified placement found is
    /// returned. None: 300 s for `cost`, 30 s for `servers` and `balance`.
    pub time_limit: Option<f64>,
    pub threads: u32,
    pub max_moves: Option<u32>,
    pub enumeration_limit: usize,
}

impl Default for PlanOptions {
    fn default() -> Self {
        PlanOptions {
            objective: Objective::Cost,
            method: Method::Auto,
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
    /// How the placement was found: the MILP backend's name, or "greedy".
    pub method: &'static str,
    pub classes: usize,
    pub solves: usize,
    pub seconds: f64,
    pub replicas: usize,
    pub reserved_cpu: f64,
    pub reserved_mem_gb: f64,
    /// With a current placement: replicas added, removed or moved.
    pub moves: Option<u32>,
    pub mem_weight: f64,
    /// What happened on the way that a user should know (a solver answer
    /// discarded, for instance).
    pub notes: Vec<String>,
    /// The simple greedy spread (largest service first, least-loaded rack)
    /// on the same inventory, for comparison; None when it cannot place all.
    pub baseline: Option<Baseline>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Baseline {
    pub replicas: usize,
    pub reserved_cpu: f64,
    /// Whether `check` accepts the baseline's placement.
    pub verified: bool,
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

/// Above this many (service, class) pairs the MILP is not attempted: the
/// constructive placement is used, with its proven bound and gap.
const MILP_MAX_PAIRS: usize = 4000;

/// A placement found by one of the methods, before verification.
struct Candidate {
    placement: Placement,
    /// A proven lower bound on the objective's value.
    bound: f64,
    method: &'static str,
}

/// A candidate `verify` accepted, with what ranks it: (changes, objective value).
struct Accepted {
    key: (usize, f64),
    candidate: Candidate,
    report: Report,
    changes: Vec<Change>,
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
    let mut split: Vec<ServerId> = Vec::new();
    let mut solves = 0;
    let mut lazy: Vec<(ServiceId, Vec<Component>, String)> = Vec::new();
    loop {
        let classes = classes(inventory, &split);
        let mut model = Model::new(inventory, services, &classes, &set, current);
        for (service, failed, name) in &lazy {
            model.add_survival(*service, failed, name);
        }
        let pairs: usize = model.eligible.iter().map(Vec::len).sum();
        progress(&format!(
            "constructive placement ({} classes)",
            classes.len()
        ));
        let style = match options.objective {
            Objective::Servers => greedy::Style::Pack,
            _ => greedy::Style::Spread,
        };
        let constructive = greedy::place(&model, style, current);
        let floor = floor_bound(&model, options.objective, mem_weight);
        // The spinner shows the incumbent while the solver works: the
        // constructive placement's value against the proven bound.
        let incumbent = match &constructive {
            Ok(placement) => {
                let value = objective_value(&model, options.objective, placement, mem_weight);
                format!(
                    "incumbent {} (bound {}, gap {}%)",
                    crate::verify::round(value),
                    crate::verify::round(floor),
                    crate::verify::round(100.0 * relative_gap(value, floor))
                )
            }
            Err(_) => "no incumbent yet".to_string(),
        };
        let solver_progress = |message: &str| progress(&format!("{message}; {incumbent}"));
        // In order of preference; the best that `verify` accepts is the plan,
        // so a solver's wrong answer costs quality, never correctness.
        let mut candidates: Vec<Candidate> = Vec::new();
        let exact = match options.method {
            Method::Auto => pairs <= MILP_MAX_PAIRS,
            Method::Milp => true,
            Method::Greedy => false,
        };
        if exact {
            match solve_milp(
                &model,
                options,
                current,
                mem_weight,
                started,
                &mut solves,
                &solver_progress,
            ) {
                Ok(solution) => {
                    match pack(
                        inventory,
                        services,
                        &classes,
                        &solution.counts,
                        current,
                        style,
                    ) {
                        Ok(placement) => {
                            // Spread (or pack) the tie-breaker's way when it is proven and packs.
                            let bound = solution.bound.max(floor);
                            let tie_broken = tie_break(
                                &model,
                                &solution,
                                options,
                                mem_weight,
                                started,
                                &mut solves,
                                &solver_progress,
                            )
                            .and_then(|counts| {
                                pack(inventory, services, &classes, &counts, current, style).ok()
                            });
                            if let Some(placement) = tie_broken {
                                candidates.push(Candidate {
                                    placement,
                                    bound,
                                    method: SOLVER,
                                });
                            }
                            candidates.push(Candidate {
                                placement,
                                bound,
                                method: SOLVER,
                            });
                        }
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
                    }
                }
                Err(MilpFailure::Infeasible) => {
                    progress("infeasible: computing the explanation");
                    let settings = settings_for(options, mem_weight, started, true);
                    let why = model.solve(Goal::Cost, &[], &settings);
                    return Err(PlanError::Infeasible(explain::from_shortfalls(
                        inventory,
                        services,
                        &set,
                        why.ok().map(|o| o.shortfalls),
                        options.max_moves.filter(|_| current.is_some()),
                    )));
                }
                // Out of time without an answer: the constructive placement stands.
                Err(MilpFailure::NoSolution(why)) if constructive.is_err() => {
                    return Err(PlanError::NoSolution(why))
                }
                Err(MilpFailure::NoSolution(_)) => {}
            }
        }
        if let Ok(placement) = &constructive {
            candidates.push(Candidate {
                placement: placement.clone(),
                bound: floor,
                method: "greedy",
            });
        }
        let Some(preferred) = candidates.first() else {
            let service = constructive
                .err()
                .map(|id| services.service(id).name.clone())
                .unwrap_or_default();
            let exact = if exact {
                "the exact model found none"
            } else {
                "the exact model was not run (see --method)"
            };
            return Err(PlanError::NoSolution(format!(
                "the constructive placement could not place {service} and {exact}"
            )));
        };

        // Large power:P% families: add each service's worst violated set and solve again.
        if add_violated_families(inventory, services, &set, &preferred.placement, &mut lazy) {
            continue;
        }

        progress("verifying");
        let check_options = CheckOptions {
            enumeration_limit: options.enumeration_limit,
        };
        let mut rejected: Option<Vec<Finding>> = None;
        let mut notes = Vec::new();
        // Of the placements `verify` accepts, the best by (changes, objective);
        // ties keep the preferred order.
        let mut accepted: Option<Accepted> = None;
        for candidate in candidates {
            let report = verify::check(inventory, services, &candidate.placement, check_options);
            if !report.passed() {
                notes.push(format!(
                    "the {} placement failed verification and was discarded",
                    candidate.method
                ));
                rejected.get_or_insert_with(|| {
                    report
                        .findings
                        .into_iter()
                        .filter(|f| f.severity == verify::Severity::Error)
                        .collect()
                });
                continue;
            }
            let changed = current
                .map(|c| changes(inventory, services, c, &candidate.placement))
                .unwrap_or_default();
            let key = (
                changed.len(),
                objective_value(&model, options.objective, &candidate.placement, mem_weight),
            );
            let better = accepted.as_ref().is_none_or(|Accepted { key: best, .. }| {
                key.0 < best.0 || (key.0 == best.0 && key.1 < best.1 - 1e-9)
            });
            if better {
                accepted = Some(Accepted {
                    key,
                    candidate,
                    report,
                    changes: changed,
                });
            }
        }
        let Some(Accepted {
            key: (_, value),
            candidate,
            report,
            changes,
        }) = accepted
        else {
            return Err(PlanError::Unverified(rejected.unwrap_or_default()));
        };
        let placement = candidate.placement;
        let bound = candidate.bound.min(value);
        let gap = relative_gap(value, bound);
        // The model counts moves per class; packing onto servers could in
        // principle move more, and the limit is the user's, not ours to bend.
        if let Some(max) = options
            .max_moves
            .filter(|max| current.is_some() && changes.len() > *max as usize)
        {
            return Err(PlanError::NoSolution(format!(
                "the placement found needs {} changes on concrete servers, above --max-moves {max}",
                changes.len()
            )));
        }
        let mut reserved_cpu = 0.0;
        let mut reserved_mem_gb = 0.0;
        for r in &placement.replicas {
            reserved_cpu += services.service(r.service).cpu;
            reserved_mem_gb += services.service(r.service).mem_gb;
        }
        let baseline = greedy::place(&model, greedy::Style::Naive, None)
            .ok()
            .map(|naive| {
                let cpu: f64 = naive
                    .replicas
                    .iter()
                    .map(|r| services.service(r.service).cpu)
                    .sum();
                let verified = verify::check(
                    inventory,
                    services,
                    &naive,
                    CheckOptions {
                        enumeration_limit: options.enumeration_limit,
                    },
                )
                .passed();
                Baseline {
                    replicas: naive.replicas.len(),
                    reserved_cpu: cpu,
                    verified,
                }
            });
        let stats = PlanStats {
            objective: options.objective,
            value,
            bound,
            gap,
            optimal: gap <= 1e-9,
            method: candidate.method,
            classes: classes.len(),
            solves,
            seconds: started.elapsed().as_secs_f64(),
            replicas: placement.replicas.len(),
            reserved_cpu,
            reserved_mem_gb,
            moves: current.map(|_| changes.len() as u32),
            mem_weight,
            notes,
            baseline,
        };
        return Ok(Plan {
            placement,
            stats,
            changes,
            report,
        });
    }
}

enum MilpFailure {
    Infeasible,
    NoSolution(String),
}

fn settings_for(
    options: &PlanOptions,
    mem_weight: f64,
    started: Instant,
    slack: bool,
) -> SolveSettings {
    let limit = options.time_limit.unwrap_or(match options.objective {
        Objective::Cost => DEFAULT_SECONDS,
        // Their relaxations are weak: the solver rarely proves them, so it
        // would use every second it is given.
        Objective::Servers | Objective::Balance => DEFAULT_SECONDS_WEAK,
    });
    SolveSettings {
        time_limit: Some((limit - started.elapsed().as_secs_f64()).max(0.1)),
        threads: options.threads,
        slack,
        relaxed: false,
        max_moves: options.max_moves,
        mem_weight,
    }
}

/// The lexicographic MILP: fewest moves, then the objective.
fn solve_milp(
    model: &Model,
    options: &PlanOptions,
    current: Option<&Placement>,
    mem_weight: f64,
    started: Instant,
    solves: &mut usize,
    progress: &dyn Fn(&str),
) -> Result<MilpSolution, MilpFailure> {
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
    goals.push(primary);
    let mut best = None;
    let mut bound = 0.0;
    for goal in goals {
        progress(&format!(
            "solving: {} ({} classes, solve {})",
            goal_name(goal),
            model.classes.len(),
            *solves + 1
        ));
        *solves += 1;
        let phase = settings_for(options, mem_weight, started, false);
        match model.solve(goal, &fixed, &phase) {
            Ok(outcome) => {
                // Integral goals get half a unit of slack, the others a relative hair.
                let at_most = match goal {
                    Goal::Moves | Goal::Servers => outcome.value.round() + 0.5,
                    _ => outcome.value * (1.0 + 1e-7) + 1e-7,
                };
                if goal == primary {
                    bound = if outcome.optimal {
                        outcome.value
                    } else {
                        let relaxed = SolveSettings {
                            relaxed: true,
                            ..settings_for(options, mem_weight, started, false)
                        };
                        model
                            .solve(primary, &fixed, &relaxed)
                            .map_or(0.0, |r| r.value)
                    };
                }
                fixed.push(Fixed { goal, at_most });
                best = Some(outcome.counts);
            }
            Err(good_lp::ResolutionError::Infeasible) if best.is_none() => {
                return Err(MilpFailure::Infeasible)
            }
            Err(_) if best.is_some() => break,
            Err(e) => {
                return Err(MilpFailure::NoSolution(format!(
                    "the solver stopped without a placement ({e})"
                )))
            }
        }
    }
    Ok(MilpSolution {
        counts: best.expect("the loop returns unless a goal was solved"),
        bound,
        fixed,
        secondary,
    })
}

/// The objective's tie-breaker, with every earlier goal held: the counts when
/// it is proven within its cap, else None (a solve cut by a time cap would make
/// the output depend on the machine's speed).
fn tie_break(
    model: &Model,
    solution: &MilpSolution,
    options: &PlanOptions,
    mem_weight: f64,
    started: Instant,
    solves: &mut usize,
    progress: &dyn Fn(&str),
) -> Option<Counts> {
    progress(&format!(
        "solving: {} (tie-breaker)",
        goal_name(solution.secondary)
    ));
    *solves += 1;
    let mut phase = settings_for(options, mem_weight, started, false);
    phase.time_limit = Some(
        phase
            .time_limit
            .unwrap_or(TIE_BREAK_SECONDS)
            .min(TIE_BREAK_SECONDS),
    );
    model
        .solve(solution.secondary, &solution.fixed, &phase)
        .ok()
        .filter(|outcome| outcome.optimal)
        .map(|outcome| outcome.counts)
}

struct MilpSolution {
    counts: Counts,
    /// A proven lower bound on the primary goal.
    bound: f64,
    /// The goals solved, each held within tolerance of its optimum.
    fixed: Vec<Fixed>,
    secondary: Goal,
}

/// Adds, for each service and each `power:P%` family too large to list, the
/// worst set that breaks the placement. True when anything was added.
fn add_violated_families(
    inventory: &Inventory,
    services: &Services,
    set: &ScenarioSet,
    placement: &Placement,
    lazy: &mut Vec<(ServiceId, Vec<Component>, String)>,
) -> bool {
    let topology = Topology::new(inventory);
    let mut added = false;
    for family in &set.families {
        for id in services.ids().filter(|id| {
            services
                .service(*id)
                .survive
                .contains(&set.words[family.word])
        }) {
            let on: Vec<ServerId> = placement
                .replicas
                .iter()
                .filter(|r| r.service == id)
                .map(|r| r.server)
                .collect();
            let needed = services.service(id).min_replicas;
            let (lost, worst) = family.worst(|members| {
                let failed: Vec<Component> = members.iter().map(|p| Component::Power(*p)).collect();
                let down = topology.impact(&failed).down;
                on.iter().filter(|s| down.binary_search(s).is_ok()).count() as u64
            });
            if (on.len() as u64).saturating_sub(lost) < u64::from(needed) {
                let failed: Vec<Component> = worst.iter().map(|p| Component::Power(*p)).collect();
                let names: Vec<&str> = worst
                    .iter()
                    .map(|p| inventory.power(*p).id.as_str())
                    .collect();
                lazy.push((
                    id,
                    failed,
                    format!("{} {}", set.words[family.word], names.join("+")),
                ));
                added = true;
            }
        }
    }
    added
}

/// (value − bound) / value, 0 when proven optimal; below a relative 1e-9 the
/// difference is float noise, not a gap.
fn relative_gap(value: f64, bound: f64) -> f64 {
    if value.abs() > 1e-9 && (value - bound) / value > 1e-9 {
        (value - bound) / value
    } else {
        0.0
    }
}

/// The objective's value for a placement, measured the same way for every method.
fn objective_value(
    model: &Model,
    objective: Objective,
    placement: &Placement,
    mem_weight: f64,
) -> f64 {
    let inventory = model.inventory;
    match objective {
        Objective::Cost => placement
            .replicas
            .iter()
            .map(|r| model.replica_cost(r.service, mem_weight))
            .sum(),
        Objective::Servers => {
            let mut used: Vec<ServerId> = placement.replicas.iter().map(|r| r.server).collect();
            used.sort_unstable();
            used.dedup();
            used.len() as f64
        }
        Objective::Balance => {
            let mut cpu = vec![0.0; inventory.servers.len()];
            let mut rack = vec![(0.0, 0.0); inventory.racks.len()];
            for r in &placement.replicas {
                cpu[r.server.index()] += model.services.service(r.service).cpu;
            }
            let mut peak: f64 = 0.0;
            for class in model.classes {
                for s in &class.servers {
                    if class.cpu > 0.0 {
                        peak = peak.max(cpu[s.index()] / class.cpu);
                    }
                    let entry = &mut rack[class.rack.index()];
                    entry.0 += cpu[s.index()];
                    entry.1 += class.cpu;
                }
            }
            for (used, capacity) in rack {
                if capacity > 0.0 {
                    peak = peak.max(used / capacity);
                }
            }
            let draw: Vec<f64> = inventory
                .server_ids()
                .map(|s| inventory.server(s).draw_w(cpu[s.index()]))
                .collect();
            let load = Topology::new(inventory).loads(&draw, &crate::topology::Impact::default());
            for p in inventory.power_ids() {
                let limit = inventory.power(p).limit_w();
                if limit > 0.0 {
                    peak = peak.max(load[p.index()] / limit);
                }
            }
            peak
        }
    }
}

/// A bound every placement respects, from each service's replica floor alone.
fn floor_bound(model: &Model, objective: Objective, mem_weight: f64) -> f64 {
    let services = model.services;
    let floors = services
        .ids()
        .map(|id| (id, f64::from(model.replica_floor(id))));
    match objective {
        Objective::Cost => floors
            .map(|(id, n)| n * model.replica_cost(id, mem_weight))
            .sum(),
        Objective::Servers => {
            let cpu: f64 = floors.map(|(id, n)| n * services.service(id).cpu).sum();
            let largest = model.classes.iter().map(|c| c.cpu).fold(0.0, f64::max);
            if largest > 0.0 {
                (cpu / largest - 1e-9).ceil().max(0.0)
            } else {
                0.0
            }
        }
        Objective::Balance => {
            let cpu: f64 = floors.map(|(id, n)| n * services.service(id).cpu).sum();
            let capacity: f64 = model.classes.iter().map(|c| c.cpu * c.size()).sum();
            if capacity > 0.0 {
                cpu / capacity
            } else {
                0.0
            }
        }
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
    style: greedy::Style,
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
                let fits = (0..class.servers.len()).filter(|&j| bins.fits(j, id, service));
                let free = |j: usize| bins.free_cpu[j];
                let target = match style {
                    // Fewest servers: the fullest server that still fits.
                    greedy::Style::Pack => {
                        fits.min_by(|&a, &b| free(a).total_cmp(&free(b)).then(a.cmp(&b)))
                    }
                    _ => fits.max_by(|&a, &b| free(a).total_cmp(&free(b)).then(b.cmp(&a))),
                };
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
