//! The MILP: replicas per (service, class) under every guarantee of FORMATS.md.

use std::collections::{BTreeMap, BTreeSet};

use good_lp::{
    constraint, variable, Constraint, Expression, ProblemVariables, ResolutionError, Solution,
    SolutionStatus, SolverModel, Variable,
};

use super::classes::Class;
use crate::inventory::{Component, Inventory, PowerId, ServiceId, Services, Status};
use crate::scenarios::ScenarioSet;
use crate::topology::{Impact, Topology};

/// Replicas of each service on each class: `counts[service][class]`.
pub type Counts = Vec<Vec<u32>>;

/// One power limit under one scenario: constant + Σ coef·(class draw) ≤ limit.
#[derive(Debug, Clone)]
pub struct PowerRow {
    /// (class, share of the class's draw that reaches the component)
    pub coefs: Vec<(usize, f64)>,
    /// Draw of maintenance servers that reaches the component.
    pub constant_w: f64,
    pub limit_w: f64,
}

impl PowerRow {
    /// Whether the load could exceed the limit with every class at full draw.
    fn could_exceed(&self, classes: &[Class]) -> bool {
        let worst: f64 = self.constant_w
            + self
                .coefs
                .iter()
                .map(|(k, c)| c * classes[*k].size() * classes[*k].max_w)
                .sum::<f64>();
        worst > self.limit_w
    }
}

/// Everything the solver needs, computed once per class layout.
pub struct Model<'a> {
    pub inventory: &'a Inventory,
    pub services: &'a Services,
    pub classes: &'a [Class],
    /// Per service: the classes it may use (active, has the required labels).
    pub eligible: Vec<Vec<usize>>,
    /// Per service: sets of eligible classes that go down together in some
    /// scenario it must survive, with the first such scenario's name.
    pub survival: Vec<BTreeMap<Vec<usize>, String>>,
    /// Limits that could be exceeded: normal operation first, then each
    /// scenario that cuts power somewhere.
    pub power: Vec<PowerRow>,
    /// Every powered component's row in normal operation.
    pub normal_power: Vec<PowerRow>,
    /// Current replicas per (service, class), and per service those that must go
    /// anyway (inactive or unlabelled servers).
    pub current: Option<(Counts, Vec<u32>)>,
    /// Per service: the proven fewest replicas ([`Model::replica_floor`]).
    floors: Vec<u32>,
}

impl<'a> Model<'a> {
    pub fn new(
        inventory: &'a Inventory,
        services: &'a Services,
        classes: &'a [Class],
        set: &ScenarioSet,
        current: Option<&crate::inventory::Placement>,
    ) -> Self {
        let topology = Topology::new(inventory);
        let mut class_of = vec![None; inventory.servers.len()];
        for (k, class) in classes.iter().enumerate() {
            for s in &class.servers {
                class_of[s.index()] = Some(k);
            }
        }
        let eligible: Vec<Vec<usize>> = services
            .services
            .iter()
            .map(|service| {
                (0..classes.len())
                    .filter(|&k| {
                        inventory
                            .server(classes[k].servers[0])
                            .has_labels(&service.requires)
                    })
                    .collect()
            })
            .collect();
        let service_words: Vec<Vec<bool>> = services
            .services
            .iter()
            .map(|s| set.words.iter().map(|w| s.survive.contains(w)).collect())
            .collect();
        let eligible_mask: Vec<Vec<bool>> = eligible
            .iter()
            .map(|list| {
                let mut mask = vec![false; classes.len()];
                for &k in list {
                    mask[k] = true;
                }
                mask
            })
            .collect();
        let mut survival = vec![BTreeMap::new(); services.services.len()];
        let mut power = Vec::new();
        let constant_draw: Vec<f64> = inventory
            .servers
            .iter()
            .map(|s| {
                if s.status == Status::Active {
                    0.0
                } else {
                    s.draw_w(0.0)
                }
            })
            .collect();
        // Every component in normal operation, for the peak-utilisation goals;
        // the limits need only those that could ever be exceeded.
        let normal_power = power_rows(&topology, classes, &Impact::default(), &constant_draw);
        power.extend(
            normal_power
                .iter()
                .filter(|row| row.could_exceed(classes))
                .cloned(),
        );
        for scenario in &set.scenarios {
            let impact = topology.impact(&scenario.failed);
            let mut down: Vec<usize> = impact
                .down
                .iter()
                .filter_map(|s| class_of[s.index()])
                .collect();
            down.sort_unstable();
            down.dedup();
            for (i, is_eligible) in eligible_mask.iter().enumerate() {
                let applies = scenario
                    .words
                    .iter()
                    .any(|m| !m.dominated && service_words[i][m.word]);
                if !applies {
                    continue;
                }
                let lost: Vec<usize> = down.iter().copied().filter(|&k| is_eligible[k]).collect();
                if !lost.is_empty() {
                    survival[i]
                        .entry(lost)
                        .or_insert_with(|| scenario.name.clone());
                }
            }
            if !impact.unpowered.is_empty() {
                let rows = power_rows(&topology, classes, &impact, &constant_draw);
                power.extend(rows.into_iter().filter(|row| row.could_exceed(classes)));
            }
        }
        let current = current.map(|placement| {
            let mut counts = vec![vec![0u32; classes.len()]; services.services.len()];
            let mut leaving = vec![0u32; services.services.len()];
            for r in &placement.replicas {
                match class_of[r.server.index()] {
                    Some(k) if eligible[r.service.index()].contains(&k) => {
                        counts[r.service.index()][k] += 1
                    }
                    _ => leaving[r.service.index()] += 1,
                }
            }
            (counts, leaving)
        });
        let mut model = Model {
            inventory,
            services,
            classes,
            eligible,
            survival,
            power,
            normal_power,
            current,
            floors: Vec::new(),
        };
        model.floors = services.ids().map(|id| model.compute_floor(id)).collect();
        model
    }

    /// Adds "survive losing these servers' classes" for a service (lazy scenarios).
    pub fn add_survival(&mut self, service: ServiceId, failed: &[Component], name: &str) -> bool {
        let topology = Topology::new(self.inventory);
        let down: BTreeSet<_> = topology.impact(failed).down.into_iter().collect();
        let lost: Vec<usize> = self.eligible[service.index()]
            .iter()
            .copied()
            .filter(|&k| down.contains(&self.classes[k].servers[0]))
            .collect();
        if lost.is_empty() || self.survival[service.index()].contains_key(&lost) {
            return false;
        }
        self.survival[service.index()].insert(lost, name.to_string());
        self.floors[service.index()] = self.compute_floor(service);
        true
    }
}

/// The power rows of one scenario, one per powered component.
fn power_rows(
    topology: &Topology,
    classes: &[Class],
    impact: &Impact,
    constant_draw: &[f64],
) -> Vec<PowerRow> {
    let inventory = topology.inventory;
    let powered = impact.powered_mask(inventory);
    let constant = topology.loads(constant_draw, impact);
    let mut coefs: Vec<Vec<(usize, f64)>> = vec![Vec::new(); inventory.power.len()];
    for (k, class) in classes.iter().enumerate() {
        if impact.down.binary_search(&class.servers[0]).is_ok() {
            continue;
        }
        let live: Vec<PowerId> = class
            .psu
            .iter()
            .copied()
            .filter(|p| powered[p.index()])
            .collect();
        let share = 1.0 / live.len() as f64;
        for psu in live {
            let mut at = Some(psu);
            while let Some(p) = at {
                match coefs[p.index()].last_mut() {
                    Some((last, c)) if *last == k => *c += share,
                    _ => coefs[p.index()].push((k, share)),
                }
                at = topology.upstream(p, &powered);
            }
        }
    }
    let mut rows = Vec::new();
    for p in inventory.power_ids() {
        if !powered[p.index()] {
            continue;
        }
        let limit_w = inventory.power(p).limit_w();
        let row_coefs = std::mem::take(&mut coefs[p.index()]);
        rows.push(PowerRow {
            coefs: row_coefs,
            constant_w: constant[p.index()],
            limit_w,
        });
    }
    rows
}

/// What to minimise, in priority order after the hard constraints.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Goal {
    /// Replicas added, removed or moved relative to the current placement.
    Moves,
    /// Σ replicas × (cpu + mem_weight × mem).
    Cost,
    /// Servers hosting anything.
    Servers,
    /// Peak utilisation of racks and power components (and servers when `servers`).
    Peak { servers: bool },
}

/// A goal already optimised, kept within tolerance while the next one is.
#[derive(Debug, Clone, Copy)]
pub struct Fixed {
    pub goal: Goal,
    pub at_most: f64,
}

pub struct Outcome {
    pub counts: Counts,
    pub value: f64,
    pub optimal: bool,
    /// With `SolveSettings::slack`: replicas missing per (service, scenario),
    /// None for normal operation.
    pub shortfalls: Vec<(ServiceId, Option<String>, f64)>,
}

pub struct SolveSettings {
    pub time_limit: Option<f64>,
    #[cfg_attr(not(any(feature = "highs", feature = "cbc")), allow(dead_code))]
    pub threads: u32,
    /// Let min_replicas and survival constraints fall short, at a price, and
    /// minimise the shortfall instead of the goal: how infeasibility is explained.
    pub slack: bool,
    /// Solve the LP relaxation (for a bound).
    pub relaxed: bool,
    pub max_moves: Option<u32>,
    pub mem_weight: f64,
}

struct Vars {
    x: Vec<Vec<(usize, Variable)>>,
}

impl Model<'_> {
    pub fn replica_cost(&self, service: ServiceId, mem_weight: f64) -> f64 {
        let s = self.services.service(service);
        s.cpu + mem_weight * s.mem_gb
    }

    /// The fewest replicas that can survive m disjoint failures, each one alone:
    /// summing "total − lost(Dᵢ) ≥ min" over them gives (m − 1)·total ≥ m·min.
    /// The solver's relaxation misses this integer rounding, and without it
    /// proves little (a 2-of-4-racks service looks like 2⅔ replicas).
    pub fn replica_floor(&self, service: ServiceId) -> u32 {
        self.floors[service.index()]
    }

    fn compute_floor(&self, service: ServiceId) -> u32 {
        let min = self.services.service(service).min_replicas;
        let mut used = BTreeSet::new();
        let mut disjoint = 0u32;
        for lost in self.survival[service.index()].keys() {
            if lost.iter().all(|k| !used.contains(k)) {
                used.extend(lost.iter().copied());
                disjoint += 1;
            }
        }
        if disjoint < 2 {
            return min;
        }
        (disjoint * min).div_ceil(disjoint - 1)
    }

    fn declare(&self, vars: &mut ProblemVariables, relaxed: bool) -> Vars {
        let x = self
            .services
            .ids()
            .map(|id| {
                let service = self.services.service(id);
                self.eligible[id.index()]
                    .iter()
                    .map(|&k| {
                        let class = &self.classes[k];
                        let mut max = f64::from(service.max_per_server) * class.size();
                        if service.cpu > 0.0 {
                            max = max.min(class.size() * (class.cpu / service.cpu).floor() * 1.0);
                        }
                        if service.mem_gb > 0.0 {
                            max = max.min(class.size() * (class.mem_gb / service.mem_gb).floor());
                        }
                        let definition = variable().min(0).max(max.max(0.0));
                        (
                            k,
                            vars.add(if relaxed {
                                definition
                            } else {
                                definition.integer()
                            }),
                        )
                    })
                    .collect()
            })
            .collect();
        Vars { x }
    }

    /// Hard constraints of FORMATS.md, the goal expressions, solved in one call.
    pub fn solve(
        &self,
        goal: Goal,
        fixed: &[Fixed],
        settings: &SolveSettings,
    ) -> Result<Outcome, ResolutionError> {
        let mut vars = ProblemVariables::new();
        let v = self.declare(&mut vars, settings.relaxed);
        let mut constraints: Vec<Constraint> = Vec::new();
        let total = |i: usize| -> Expression { v.x[i].iter().map(|(_, x)| *x).sum() };
        let mut slacks: Vec<(ServiceId, Option<String>, Variable)> = Vec::new();
        let mut slack_cost = Expression::from(0.0);
        let mut short =
            |vars: &mut ProblemVariables, id: ServiceId, scenario: Option<&String>| -> Expression {
                if !settings.slack {
                    return Expression::from(0.0);
                }
                let slack = vars.add(variable().min(0));
                slack_cost.add_mul(self.replica_cost(id, settings.mem_weight).max(1e-3), slack);
                slacks.push((id, scenario.cloned(), slack));
                Expression::from(slack)
            };

        for id in self.services.ids() {
            let i = id.index();
            let service = self.services.service(id);
            let slack = short(&mut vars, id, None);
            constraints.push(constraint!(
                total(i) + slack >= f64::from(service.min_replicas)
            ));
            if let Some(max) = service.max_replicas {
                constraints.push(constraint!(total(i) <= max));
            }
            // The floor is implied by the survival constraints for integers; when
            // they may fall short it would only blur which scenario is short.
            let floor = self.replica_floor(id);
            if floor > service.min_replicas && !settings.slack {
                constraints.push(constraint!(total(i) >= f64::from(floor)));
            }
            for (lost, scenario) in &self.survival[i] {
                let surviving: Expression = v.x[i]
                    .iter()
                    .filter(|(k, _)| lost.binary_search(k).is_err())
                    .map(|(_, x)| *x)
                    .sum();
                let slack = short(&mut vars, id, Some(scenario));
                constraints.push(constraint!(
                    surviving + slack >= f64::from(service.min_replicas)
                ));
            }
        }
        // Per class: reserved cpu and memory, as expressions reused by goals.
        let mut class_cpu: Vec<Expression> = vec![Expression::from(0.0); self.classes.len()];
        let mut class_mem: Vec<Expression> = vec![Expression::from(0.0); self.classes.len()];
        let mut class_replicas: Vec<Expression> = vec![Expression::from(0.0); self.classes.len()];
        for id in self.services.ids() {
            let service = self.services.service(id);
            for &(k, x) in &v.x[id.index()] {
                class_cpu[k].add_mul(service.cpu, x);
                class_mem[k].add_mul(service.mem_gb, x);
                class_replicas[k] += x;
            }
        }
        for (k, class) in self.classes.iter().enumerate() {
            constraints.push(constraint!(
                class_cpu[k].clone() <= class.cpu * class.size()
            ));
            constraints.push(constraint!(
                class_mem[k].clone() <= class.mem_gb * class.size()
            ));
        }
        let class_draw = |k: usize| -> Expression {
            let class = &self.classes[k];
            class_cpu[k].clone() * class.slope_w() + class.size() * class.idle_w
        };
        let power_load = |row: &PowerRow| -> Expression {
            let mut load = Expression::from(row.constant_w);
            for &(k, c) in &row.coefs {
                load += class_draw(k) * c;
            }
            load
        };
        for row in &self.power {
            constraints.push(constraint!(power_load(row) <= row.limit_w));
        }

        let goal_expr = |goal: Goal,
                         vars: &mut ProblemVariables,
                         constraints: &mut Vec<Constraint>|
         -> Expression {
            match goal {
                Goal::Cost => self
                    .services
                    .ids()
                    .map(|id| total(id.index()) * self.replica_cost(id, settings.mem_weight))
                    .sum(),
                Goal::Moves => {
                    let (current, leaving) = self
                        .current
                        .as_ref()
                        .expect("moves need a current placement");
                    let mut moves = Expression::from(0.0);
                    for id in self.services.ids() {
                        let i = id.index();
                        let mut added = Expression::from(0.0);
                        let mut removed = Expression::from(f64::from(leaving[i]));
                        for &(k, x) in &v.x[i] {
                            let cur = f64::from(current[i][k]);
                            let a = vars.add(variable().min(0));
                            let r = vars.add(variable().min(0));
                            constraints.push(constraint!(a >= x - cur));
                            constraints.push(constraint!(r >= cur - x));
                            added += a;
                            removed += r;
                        }
                        let m = vars.add(variable().min(0));
                        constraints.push(constraint!(m >= added));
                        constraints.push(constraint!(m >= removed));
                        moves += m;
                    }
                    moves
                }
                Goal::Servers => {
                    let mut used = Expression::from(0.0);
                    let per_server: f64 = self
                        .services
                        .services
                        .iter()
                        .map(|s| f64::from(s.max_per_server))
                        .sum();
                    for (k, class) in self.classes.iter().enumerate() {
                        let y = vars.add(variable().integer().min(0).max(class.size()));
                        constraints.push(constraint!(class_cpu[k].clone() <= class.cpu * y));
                        constraints.push(constraint!(class_mem[k].clone() <= class.mem_gb * y));
                        constraints.push(constraint!(class_replicas[k].clone() <= per_server * y));
                        used += y;
                    }
                    used
                }
                Goal::Peak { servers } => {
                    let u = vars.add(variable().min(0));
                    let mut rack_cpu: Vec<(Expression, f64)> =
                        vec![(Expression::from(0.0), 0.0); self.inventory.racks.len()];
                    for (k, class) in self.classes.iter().enumerate() {
                        let r = &mut rack_cpu[class.rack.index()];
                        r.0 += class_cpu[k].clone();
                        r.1 += class.cpu * class.size();
                        if servers && class.cpu > 0.0 {
                            constraints.push(constraint!(
                                class_cpu[k].clone() <= u * (class.cpu * class.size())
                            ));
                        }
                    }
                    for (expr, capacity) in rack_cpu {
                        if capacity > 0.0 {
                            constraints.push(constraint!(expr <= u * capacity));
                        }
                    }
                    for row in &self.normal_power {
                        constraints.push(constraint!(power_load(row) <= u * row.limit_w));
                    }
                    Expression::from(u)
                }
            }
        };
        for f in fixed {
            let expr = goal_expr(f.goal, &mut vars, &mut constraints);
            constraints.push(constraint!(expr <= f.at_most));
        }
        if let (Some(max), true) = (
            settings.max_moves,
            self.current.is_some() && goal != Goal::Moves,
        ) {
            if !fixed.iter().any(|f| f.goal == Goal::Moves) {
                let expr = goal_expr(Goal::Moves, &mut vars, &mut constraints);
                constraints.push(constraint!(expr <= max));
            }
        }
        let mut objective = if settings.slack {
            // Shortfall first, cost a distant second so the explanation uses
            // capacity the way a plan would.
            slack_cost * 1000.0 + goal_expr(Goal::Cost, &mut vars, &mut constraints)
        } else {
            goal_expr(goal, &mut vars, &mut constraints)
        };
        if let (Goal::Moves, Some(max), false) = (goal, settings.max_moves, settings.slack) {
            constraints.push(constraint!(objective.clone() <= max));
        }
        let objective = std::mem::take(&mut objective);
        let mut problem = super::solver::model(vars.minimise(objective.clone()), settings);
        for c in constraints {
            problem.add_constraint(c);
        }
        let solution = problem.solve()?;
        let optimal = matches!(solution.status(), SolutionStatus::Optimal);
        let counts = self
            .services
            .ids()
            .map(|id| {
                let mut row = vec![0u32; self.classes.len()];
                for &(k, x) in &v.x[id.index()] {
                    row[k] = solution.value(x).round().max(0.0) as u32;
                }
                row
            })
            .collect();
        let value = solution.eval(&objective);
        let shortfalls = slacks
            .into_iter()
            .map(|(id, scenario, slack)| (id, scenario, solution.value(slack)))
            .filter(|(_, _, amount)| *amount > 1e-6)
            .collect();
        Ok(Outcome {
            counts,
            value,
            optimal,
            shortfalls,
        })
    }
}
