//! A bound on the price of every purchase from a model small enough for
//! microlp on a 1,000-server fleet: per class only the cores and memory
//! reserved on it (not per service), for classes for sale how many are
//! bought, and for a few crowded services how many servers hold which of
//! them.
//!
//! Why it is a bound: take any purchase P and any placement on the
//! inventory with P that `check` accepts. Set b to P's servers per class
//! for sale (as in class_model.rs), u and w to the cores and memory the placement
//! reserves per class. Then every row below holds:
//! - cores and memory per class are within what its servers have;
//! - for every service s, the classes s may use hold all replicas of every
//!   service t that may only use classes s may use too, so they reserve
//!   at least Σ floor(t) × cpu(t) cores (the replica floors are proven
//!   lower bounds for every placement, plan/model.rs; computed with every server
//!   for sale in the inventory, they are at most the floor with P alone);
//! - for every service s and each of its failure sets D, the replicas on
//!   the classes outside D are at least min_replicas, and a class holds at
//!   most fit(s, k) of them per server;
//! - summed over the services that share their failure sets (and so their
//!   classes), those replicas outside D reserve at least Σ min_replicas ×
//!   cpu cores there, and as much memory likewise;
//! - for the few services that take at most one replica per server and
//!   need most of the servers they may use ([`crowded`]), count per class
//!   the servers by which of those services they hold (a combination
//!   that fits one server's cores and memory): those counts add up to at
//!   most the class's servers, the replicas they give each service meet
//!   its floor and its min_replicas outside each of its failure sets, and
//!   the cores and memory they take are reserved on the class;
//! - every power row of the model: a class draws idle_w per server plus
//!   slope × the cores reserved on it, which is the draw FORMATS.md gives
//!   summed over the class's servers;
//! - the rack units and max_count limits.
//!
//! So the LP optimum is at most P's price, and an infeasible LP means no
//! purchase within the limits makes the demand plannable.

use std::collections::{BTreeMap, BTreeSet};

use good_lp::{
    constraint, variable, Constraint, Expression, ProblemVariables, ResolutionError, Solution,
    SolutionStatus, SolverModel, Variable,
};

use crate::inventory::ServiceId;
use crate::plan::{solver_model, Buy, Model, SolveSettings};

/// The aggregate LP's optimum (a lower bound on the price of every
/// purchase), or `Infeasible` when no purchase works. `model` must carry
/// its `buy` (servers for sale, their prices and limits).
pub(super) fn aggregate_bound(
    model: &Model,
    settings: &SolveSettings,
) -> Result<f64, ResolutionError> {
    let Some(buy) = &model.buy else {
        return Ok(0.0);
    };
    let mut vars = ProblemVariables::new();
    let (lp, mut rows) = Aggregate::new(model, buy, &mut vars);
    rows.extend(lp.demand_rows());
    rows.extend(lp.survival_rows());
    rows.extend(lp.slot_rows());
    rows.extend(shared_server_rows(&lp, &mut vars));
    rows.extend(lp.power_rows());
    rows.extend(lp.limit_rows());
    let price = lp.price();
    let mut problem = solver_model(vars.minimise(price.clone()), settings, Vec::new());
    for row in rows {
        problem.add_constraint(row);
    }
    let solution = problem.solve()?;
    // Only an LP solved to optimality bounds anything.
    if !matches!(solution.status(), SolutionStatus::Optimal) {
        return Err(ResolutionError::Other(
            "the aggregate LP was not solved in time",
        ));
    }
    Ok(solution.eval(&price))
}

/// The aggregate LP's variables, and what its rows read.
struct Aggregate<'a> {
    model: &'a Model<'a>,
    buy: &'a Buy,
    /// The classes some service may use.
    used: BTreeSet<usize>,
    /// Servers bought per class for sale (None: owned, or never worth
    /// buying).
    bought: Vec<Option<Variable>>,
    /// Cores and memory reserved per class a service may use.
    cpu: BTreeMap<usize, Variable>,
    mem: BTreeMap<usize, Variable>,
}

impl<'a> Aggregate<'a> {
    /// The variables (servers bought, then cores and memory reserved per
    /// class), with the rows that keep what is reserved within what is
    /// bought.
    fn new(
        model: &'a Model<'a>,
        buy: &'a Buy,
        vars: &mut ProblemVariables,
    ) -> (Self, Vec<Constraint>) {
        let classes = &model.classes;
        let used: BTreeSet<usize> = model.eligible.iter().flatten().copied().collect();
        let mut rows: Vec<Constraint> = Vec::new();
        // Servers bought per class for sale. Classes no service may use are
        // never worth buying: b stays 0 there (a purchase with such a server
        // costs no less than the same purchase without it, which also works:
        // prices are never negative, and an empty server only adds draw).
        let bought: Vec<Option<Variable>> = classes
            .iter()
            .enumerate()
            .map(|(k, class)| {
                buy.price[k]?;
                used.contains(&k)
                    .then(|| vars.add(variable().min(0).max(class.size())))
            })
            .collect();
        // Cores and memory reserved per class a service may use.
        let mut cpu: BTreeMap<usize, Variable> = BTreeMap::new();
        let mut mem: BTreeMap<usize, Variable> = BTreeMap::new();
        for &k in &used {
            let class = &classes[k];
            let (c, m) = match bought[k] {
                Some(_) => (vars.add(variable().min(0)), vars.add(variable().min(0))),
                None if buy.price[k].is_some() => continue,
                None => (
                    vars.add(variable().min(0).max(class.cpu * class.size())),
                    vars.add(variable().min(0).max(class.mem_gb * class.size())),
                ),
            };
            if let Some(b) = bought[k] {
                rows.push(constraint!(c <= class.cpu * b));
                rows.push(constraint!(m <= class.mem_gb * b));
            }
            cpu.insert(k, c);
            mem.insert(k, m);
        }
        let lp = Aggregate {
            model,
            buy,
            used,
            bought,
            cpu,
            mem,
        };
        (lp, rows)
    }

    /// The servers of class `k`: bought, none, or all of them when owned.
    fn servers_of(&self, k: usize) -> Expression {
        match self.bought[k] {
            Some(b) => Expression::from(b),
            None if self.buy.price[k].is_some() => Expression::from(0.0),
            None => Expression::from(self.model.classes[k].size()),
        }
    }

    /// Demand per set of classes some service may use.
    fn demand_rows(&self) -> Vec<Constraint> {
        let (model, services) = (self.model, self.model.services);
        let mut rows = Vec::new();
        let eligible: BTreeSet<&Vec<usize>> = model.eligible.iter().collect();
        for set in eligible {
            let (mut cores, mut gb) = (0.0, 0.0);
            for id in services.ids() {
                let theirs = &model.eligible[id.index()];
                if theirs.iter().all(|k| set.binary_search(k).is_ok()) {
                    let floor = f64::from(model.replica_floor(id));
                    cores += floor * services.service(id).cpu;
                    gb += floor * services.service(id).mem_gb;
                }
            }
            let sum = |on: &BTreeMap<usize, Variable>| -> Expression {
                set.iter().filter_map(|k| on.get(k)).copied().sum()
            };
            if cores > 0.0 {
                rows.push(constraint!(sum(&self.cpu) >= cores));
            }
            if gb > 0.0 {
                rows.push(constraint!(sum(&self.mem) >= gb));
            }
        }
        rows
    }

    /// Cores and memory outside each failure set of a group: each service
    /// of the group keeps min_replicas up when the set is lost, all on the
    /// group's classes outside it.
    fn survival_rows(&self) -> Vec<Constraint> {
        let (model, services) = (self.model, self.model.services);
        let mut rows = Vec::new();
        for (survival, members) in model.survival_groups() {
            let Some(first) = members.first() else {
                continue;
            };
            let (mut cores, mut gb) = (0.0, 0.0);
            for id in &members {
                let service = services.service(*id);
                cores += f64::from(service.min_replicas) * service.cpu;
                gb += f64::from(service.min_replicas) * service.mem_gb;
            }
            let theirs = &model.eligible[first.index()];
            for lost in &survival.sets {
                let outside = |on: &BTreeMap<usize, Variable>| -> Expression {
                    theirs
                        .iter()
                        .filter(|k| lost.binary_search(k).is_err())
                        .filter_map(|k| on.get(k))
                        .copied()
                        .sum()
                };
                if cores > 0.0 {
                    rows.push(constraint!(outside(&self.cpu) >= cores));
                }
                if gb > 0.0 {
                    rows.push(constraint!(outside(&self.mem) >= gb));
                }
            }
        }
        rows
    }

    /// Replica slots outside each failure set (and in all, for the floor).
    /// Rows the servers owned already meet cannot bind and are left out.
    fn slot_rows(&self) -> Vec<Constraint> {
        let (model, services) = (self.model, self.model.services);
        let mut slots: BTreeSet<(Vec<(usize, u32)>, u32)> = BTreeSet::new();
        for id in services.ids() {
            let service = services.service(id);
            let survival = model.survival(id);
            let fit = |ks: &mut dyn Iterator<Item = usize>| -> Vec<(usize, u32)> {
                ks.map(|k| (k, model.fit(id, k)))
                    .filter(|&(_, f)| f > 0)
                    .collect()
            };
            let all = &model.eligible[id.index()];
            slots.insert((fit(&mut all.iter().copied()), model.replica_floor(id)));
            for lost in &survival.sets {
                let outside = fit(&mut all
                    .iter()
                    .copied()
                    .filter(|k| lost.binary_search(k).is_err()));
                slots.insert((outside, service.min_replicas));
            }
        }
        let mut rows = Vec::new();
        for (fits, needed) in slots {
            let owned: f64 = fits
                .iter()
                .filter(|(k, _)| self.buy.price[*k].is_none())
                .map(|&(k, f)| f64::from(f) * model.classes[k].size())
                .sum();
            if owned >= f64::from(needed) {
                continue;
            }
            let have: Expression = fits
                .iter()
                .map(|&(k, f)| self.servers_of(k) * f64::from(f))
                .sum();
            rows.push(constraint!(have >= f64::from(needed)));
        }
        rows
    }

    /// Every power row of the model: a class draws idle_w per server plus
    /// slope × the cores reserved on it.
    fn power_rows(&self) -> Vec<Constraint> {
        let mut rows = Vec::new();
        for row in &self.model.power {
            let mut load = Expression::from(row.constant_w);
            for &(k, share) in &row.coefs {
                let class = &self.model.classes[k];
                load += self.servers_of(k) * (share * class.idle_w);
                if let Some(&c) = self.cpu.get(&k) {
                    load.add_mul(share * class.slope_w(), c);
                }
            }
            rows.push(constraint!(load <= row.limit_w));
        }
        rows
    }

    /// The rack units and max_count limits.
    fn limit_rows(&self) -> Vec<Constraint> {
        let mut rows = Vec::new();
        for (coefs, at_most) in &self.buy.limits {
            let units: Expression = coefs
                .iter()
                .filter_map(|&(k, c)| self.bought[k].map(|b| c * b))
                .sum();
            rows.push(constraint!(units <= *at_most));
        }
        rows
    }

    /// The price of the servers bought: the goal.
    fn price(&self) -> Expression {
        self.bought
            .iter()
            .enumerate()
            .filter_map(|(k, b)| Some(self.buy.price[k]? * (*b)?))
            .sum()
    }
}

/// At most this many services are counted together per server: their
/// combinations per class are 2^n variables.
const MOST_SHARING: usize = 5;

/// The services worth counting per server: at most one replica fits on
/// each server they may use, and their replica floor needs more than half
/// of the servers owned there (the rest are bought). The most crowded
/// first, at most [`MOST_SHARING`]. Any set of such services gives valid
/// rows; these are where servers, not cores, run short: a server that
/// holds one cannot hold another that does not fit beside it, which the
/// per-class cores above do not see.
fn crowded(model: &Model) -> Vec<ServiceId> {
    let Some(buy) = &model.buy else {
        return Vec::new();
    };
    let mut found: Vec<(f64, ServiceId)> = model
        .services
        .ids()
        .filter_map(|id| {
            let eligible = &model.eligible[id.index()];
            if eligible.iter().any(|&k| model.fit(id, k) > 1) {
                return None;
            }
            let owned: f64 = eligible
                .iter()
                .filter(|&&k| buy.price[k].is_none() && model.fit(id, k) == 1)
                .map(|&k| model.classes[k].size())
                .sum();
            let floor = f64::from(model.replica_floor(id));
            (2.0 * floor > owned).then(|| (floor / owned.max(1.0), id))
        })
        .collect();
    found.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    found.truncate(MOST_SHARING);
    found.into_iter().map(|(_, id)| id).collect()
}

/// The rows that count servers by the crowded services they hold (see the
/// module comment). Per class k where they may go: either every one of
/// them fits on one server together, and each service's replicas on k
/// are at most its servers; or y_P ≥ 0 servers hold the combination P
/// (those that fit), Σ_P y_P ≤ the servers of k, and a service's replicas
/// on k are Σ_{P ∋ s} y_P. Either way the cores and memory those replicas
/// take are at most what k reserves. Per crowded service, its replicas are
/// at least its floor, and those a failure set takes down leave at least
/// min_replicas.
fn shared_server_rows(lp: &Aggregate, vars: &mut ProblemVariables) -> Vec<Constraint> {
    let model = lp.model;
    let crowded = crowded(model);
    let mut rows = Vec::new();
    // Per crowded service, its replicas per class.
    let mut on: Vec<BTreeMap<usize, Expression>> = vec![BTreeMap::new(); crowded.len()];
    for &k in &lp.used {
        let (Some(&c), Some(&m)) = (lp.cpu.get(&k), lp.mem.get(&k)) else {
            continue;
        };
        let here: Vec<usize> = (0..crowded.len())
            .filter(|&i| {
                let id = crowded[i];
                model.fit(id, k) == 1 && model.eligible[id.index()].binary_search(&k).is_ok()
            })
            .collect();
        let counted = count_servers(lp, vars, &crowded, k, &here, &mut rows);
        let (mut cores, mut gb) = (Expression::from(0.0), Expression::from(0.0));
        for (n, held) in counted {
            for i in held {
                let service = model.services.service(crowded[i]);
                cores.add_mul(service.cpu, n);
                gb.add_mul(service.mem_gb, n);
                *on[i].entry(k).or_default() += n;
            }
        }
        if !here.is_empty() {
            rows.push(constraint!(cores <= c));
            rows.push(constraint!(gb <= m));
        }
    }
    rows.extend(crowded_replica_rows(model, vars, &crowded, &on));
    rows
}

/// The variables that count class `k`'s servers by which of the crowded
/// services `here` (indices into `crowded`) they hold, each with the
/// services it counts; their rows go to `rows`.
fn count_servers(
    lp: &Aggregate,
    vars: &mut ProblemVariables,
    crowded: &[ServiceId],
    k: usize,
    here: &[usize],
    rows: &mut Vec<Constraint>,
) -> Vec<(Variable, Vec<usize>)> {
    let model = lp.model;
    let service = |i: usize| model.services.service(crowded[i]);
    let class = &model.classes[k];
    let members = |combination: u32| -> Vec<usize> {
        (0..here.len())
            .filter(|b| combination & (1 << b) != 0)
            .map(|b| here[b])
            .collect()
    };
    let fits = |members: &[usize]| {
        let cores: f64 = members.iter().map(|&i| service(i).cpu).sum();
        let gb: f64 = members.iter().map(|&i| service(i).mem_gb).sum();
        // The tolerance `verify` allows on a server (as `Model::fit`).
        cores <= class.cpu + 1e-9 && gb <= class.mem_gb + 1e-9
    };
    // (servers, the crowded services each holds)
    let mut counted: Vec<(Variable, Vec<usize>)> = Vec::new();
    let all = (1u32 << here.len()) - 1;
    if fits(&members(all)) {
        for i in members(all) {
            let replicas = vars.add(variable().min(0));
            rows.push(constraint!(replicas <= lp.servers_of(k)));
            counted.push((replicas, vec![i]));
        }
    } else {
        for combination in 1..=all {
            let held = members(combination);
            if fits(&held) {
                counted.push((vars.add(variable().min(0)), held));
            }
        }
        let servers: Expression = counted.iter().map(|(y, _)| *y).sum();
        rows.push(constraint!(servers <= lp.servers_of(k)));
    }
    counted
}

/// Per crowded service, its replicas (`on`, per class) are at least its
/// floor, and those a failure set takes down leave at least min_replicas.
///
/// Each failure set's row takes the replicas it takes down from the
/// service's total. A set is a few classes while the classes outside it
/// are nearly all: the rows stay short, which microlp needs to solve them
/// in seconds on 1,000 servers.
fn crowded_replica_rows(
    model: &Model,
    vars: &mut ProblemVariables,
    crowded: &[ServiceId],
    on: &[BTreeMap<usize, Expression>],
) -> Vec<Constraint> {
    let mut rows = Vec::new();
    for (i, &id) in crowded.iter().enumerate() {
        let total = vars.add(variable().min(0));
        let placed: Expression = on[i].values().cloned().sum();
        rows.push(constraint!(total <= placed));
        rows.push(constraint!(total >= f64::from(model.replica_floor(id))));
        let min = f64::from(model.services.service(id).min_replicas);
        for lost in &model.survival(id).sets {
            let down: Expression = lost.iter().filter_map(|k| on[i].get(k)).cloned().sum();
            rows.push(constraint!(total - down >= min));
        }
    }
    rows
}
