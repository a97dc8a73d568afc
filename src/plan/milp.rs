//! The MILP over classes: replicas per (service, class) under every guarantee
//! of FORMATS.md. Classes aggregate servers that are interchangeable under every
//! scenario, and per-class cpu, memory and max_per_server only relax the
//! per-server limits, so every placement `check` accepts is feasible here: an
//! "infeasible" from this model is a proof, and its optimum a bound.

use good_lp::{
    constraint, variable, Constraint, Expression, IntoAffineExpression, ProblemVariables,
    ResolutionError, Solution, SolutionStatus, SolverModel, Variable,
};

use super::model::{Counts, Model, PowerRow};
use super::request::{Fixed, Goal, Relax, Scope, SolveSettings};
use crate::inventory::ServiceId;

pub struct Outcome {
    pub counts: Counts,
    pub value: f64,
    pub optimal: bool,
    /// With `SolveSettings::slack`: replicas missing per (service, survival
    /// set index), None for normal operation.
    pub shortfalls: Vec<(ServiceId, Option<usize>, f64)>,
    /// With `Model::buy`: servers bought per class (0 for classes not for sale).
    pub bought: Vec<u32>,
}

impl Model<'_> {
    /// The most replicas of `service` the variable of class `k` may take.
    fn upper(&self, service: ServiceId, k: usize, relax: Relax) -> f64 {
        let s = self.services.service(service);
        let class = &self.classes[k];
        let mut per_server = f64::INFINITY;
        if !relax.max_per_server {
            per_server = f64::from(s.max_per_server);
        }
        if !relax.cpu && s.cpu > 0.0 {
            per_server = per_server.min(((class.cpu + 1e-9) / s.cpu).floor());
        }
        if !relax.mem && s.mem_gb > 0.0 {
            per_server = per_server.min(((class.mem_gb + 1e-9) / s.mem_gb).floor());
        }
        let mut upper = per_server * class.size();
        if let Some(max) = s.max_replicas.filter(|_| !relax.max_replicas) {
            upper = upper.min(f64::from(max));
        }
        upper.max(0.0)
    }

    /// Hard constraints of FORMATS.md and the goal, solved in one call.
    pub fn solve(
        &self,
        goal: Goal,
        fixed: &[Fixed],
        scope: Scope,
        settings: &SolveSettings,
    ) -> Result<Outcome, ResolutionError> {
        let free = |id: ServiceId| match scope {
            Scope::Whole => true,
            Scope::Services { free, .. } => free[id.index()],
        };
        let base = |id: ServiceId, k: usize| match scope {
            Scope::Whole => 0.0,
            Scope::Services { base, .. } => f64::from(base[id.index()][k]),
        };
        let mut vars = ProblemVariables::new();
        let mut initial: Vec<(Variable, f64)> = Vec::new();
        // x[service]: (class, variable) for the free services' eligible classes.
        let x: Vec<Vec<(usize, Variable)>> = self
            .services
            .ids()
            .map(|id| {
                if !free(id) {
                    return Vec::new();
                }
                self.eligible[id.index()]
                    .iter()
                    .map(|&k| {
                        let definition = variable().min(0).max(self.upper(id, k, settings.relax));
                        let v = vars.add(if settings.relaxed {
                            definition
                        } else {
                            definition.integer()
                        });
                        if let Some(start) = &settings.initial {
                            initial.push((v, f64::from(start[id.index()][k])));
                        }
                        (k, v)
                    })
                    .collect()
            })
            .collect();
        let mut constraints: Vec<Constraint> = Vec::new();
        // Servers to buy: per class for sale, how many of its servers are bought.
        // A class of n servers for sale with b bought is b servers of the shape:
        // its cpu, memory, replicas per service and idle draw scale with b.
        let bought: Vec<Option<Variable>> = self
            .classes
            .iter()
            .enumerate()
            .map(|(k, class)| {
                self.buy.as_ref().and_then(|b| b.price[k])?;
                let definition = variable().min(0).max(class.size());
                Some(vars.add(if settings.relaxed {
                    definition
                } else {
                    definition.integer()
                }))
            })
            .collect();
        // The servers a class has: its size, or the bought ones.
        let servers_of = |k: usize| -> Expression {
            match bought[k] {
                Some(b) => Expression::from(b),
                None => Expression::from(self.classes[k].size()),
            }
        };
        if let Some(buy) = &self.buy {
            for (coefs, at_most) in &buy.limits {
                let used: Expression = coefs
                    .iter()
                    .filter_map(|&(k, c)| bought[k].map(|b| c * b))
                    .sum();
                constraints.push(constraint!(used <= *at_most));
            }
            for id in self.services.ids().filter(|id| free(*id)) {
                for &(k, v) in &x[id.index()] {
                    if let Some(b) = bought[k] {
                        let fit = f64::from(self.fit(id, k));
                        constraints.push(constraint!(v <= fit * b));
                    }
                }
            }
        }
        let total = |i: usize| -> Expression { x[i].iter().map(|(_, v)| *v).sum() };
        let mut slacks: Vec<(ServiceId, Option<usize>, Variable)> = Vec::new();
        let mut slack_cost = Expression::from(0.0);
        let mut short =
            |vars: &mut ProblemVariables, id: ServiceId, set: Option<usize>| -> Expression {
                if !settings.slack {
                    return Expression::from(0.0);
                }
                let slack = vars.add(variable().min(0));
                slack_cost.add_mul(self.replica_cost(id).max(1e-3), slack);
                slacks.push((id, set, slack));
                Expression::from(slack)
            };

        for id in self.services.ids().filter(|id| free(*id)) {
            let i = id.index();
            let service = self.services.service(id);
            let slack = short(&mut vars, id, None);
            constraints.push(constraint!(
                total(i) + slack >= f64::from(service.min_replicas)
            ));
            if let Some(max) = service
                .max_replicas
                .filter(|_| !settings.relax.max_replicas)
            {
                constraints.push(constraint!(total(i) <= max));
            }
            // The floor holds for every integer placement; when the guarantees
            // may fall short it would only blur which scenario is short.
            let floor = self.replica_floor(id);
            if floor > service.min_replicas && !settings.slack && settings.relax == Relax::default()
            {
                constraints.push(constraint!(total(i) >= f64::from(floor)));
            }
            let survival = self.survival(id);
            for (j, lost) in survival.sets.iter().enumerate() {
                let surviving: Expression = x[i]
                    .iter()
                    .filter(|(k, _)| lost.binary_search(k).is_err())
                    .map(|(_, v)| *v)
                    .sum();
                let slack = short(&mut vars, id, Some(j));
                constraints.push(constraint!(
                    surviving + slack >= f64::from(service.min_replicas)
                ));
            }
        }
        // Per class: reserved cpu and memory (fixed services as constants).
        let mut class_cpu: Vec<Expression> = vec![Expression::from(0.0); self.classes.len()];
        let mut class_mem: Vec<Expression> = vec![Expression::from(0.0); self.classes.len()];
        let mut class_replicas: Vec<Expression> = vec![Expression::from(0.0); self.classes.len()];
        // Classes for sale always carry their limits: their idle draw depends on b.
        let mut touched: Vec<bool> = bought.iter().map(Option::is_some).collect();
        for id in self.services.ids() {
            let service = self.services.service(id);
            if free(id) {
                for &(k, v) in &x[id.index()] {
                    class_cpu[k].add_mul(service.cpu, v);
                    class_mem[k].add_mul(service.mem_gb, v);
                    class_replicas[k] += v;
                    touched[k] = true;
                }
            } else {
                for &k in &self.eligible[id.index()] {
                    let n = base(id, k);
                    if n > 0.0 {
                        class_cpu[k] += n * service.cpu;
                        class_mem[k] += n * service.mem_gb;
                        class_replicas[k] += n;
                    }
                }
            }
        }
        for (k, class) in self.classes.iter().enumerate().filter(|(k, _)| touched[*k]) {
            if !settings.relax.cpu {
                constraints.push(constraint!(
                    class_cpu[k].clone() <= class.cpu * servers_of(k)
                ));
            }
            if !settings.relax.mem {
                constraints.push(constraint!(
                    class_mem[k].clone() <= class.mem_gb * servers_of(k)
                ));
            }
        }
        let class_draw = |k: usize| -> Expression {
            let class = &self.classes[k];
            class_cpu[k].clone() * class.slope_w() + servers_of(k) * class.idle_w
        };
        let power_load = |row: &PowerRow| -> Expression {
            let mut load = Expression::from(row.constant_w);
            for &(k, c) in &row.coefs {
                load += class_draw(k) * c;
            }
            load
        };
        for row in &self.power {
            let relaxed = match row.scenario {
                None => settings.relax.power_normal,
                Some(_) => settings.relax.power_failover,
            };
            if relaxed {
                continue;
            }
            if row.coefs.iter().any(|(k, _)| touched[*k]) {
                constraints.push(constraint!(power_load(row) <= row.limit_w));
            } else if matches!(scope, Scope::Whole) {
                // No replica can change this load (idle and maintenance draw
                // only): over its limit, no placement passes `check`. (A
                // neighbourhood leaves such rows as the incumbent has them.)
                let load = power_load(row).constant();
                if load > row.limit_w + 1e-6 {
                    return Err(ResolutionError::Infeasible);
                }
            }
        }

        let goal_expr = |goal: Goal,
                         vars: &mut ProblemVariables,
                         constraints: &mut Vec<Constraint>|
         -> Expression {
            match goal {
                Goal::Feasible => Expression::from(0.0),
                Goal::Price => self
                    .classes
                    .iter()
                    .enumerate()
                    .filter_map(|(k, _)| {
                        let price = self.buy.as_ref()?.price[k]?;
                        Some(price * bought[k]?)
                    })
                    .sum(),
                Goal::Cost => self
                    .services
                    .ids()
                    .filter(|id| free(*id))
                    .map(|id| total(id.index()) * self.replica_cost(id))
                    .sum(),
                Goal::Moves => {
                    let Some((current, leaving)) = self.current.as_ref() else {
                        return Expression::from(0.0);
                    };
                    let mut moves = Expression::from(0.0);
                    for id in self.services.ids().filter(|id| free(*id)) {
                        let i = id.index();
                        let mut added = Expression::from(0.0);
                        let mut removed = Expression::from(f64::from(leaving[i]));
                        for &(k, v) in &x[i] {
                            let cur = f64::from(current[i][k]);
                            let a = vars.add(variable().min(0));
                            let r = vars.add(variable().min(0));
                            constraints.push(constraint!(a >= v - cur));
                            constraints.push(constraint!(r >= cur - v));
                            added += a;
                            removed += r;
                        }
                        // A move is one removal paired with one addition.
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
                        if row.limit_w > 0.0 {
                            constraints.push(constraint!(power_load(row) <= u * row.limit_w));
                        }
                    }
                    Expression::from(u)
                }
            }
        };
        for f in fixed {
            let expr = goal_expr(f.goal, &mut vars, &mut constraints);
            constraints.push(constraint!(expr <= f.at_most));
        }
        let limit_moves = settings.max_moves.filter(|_| {
            self.current.is_some()
                && !settings.relax.max_moves
                && matches!(scope, Scope::Whole)
                && !fixed.iter().any(|f| f.goal == Goal::Moves)
        });
        if let Some(max) = limit_moves {
            let expr = goal_expr(Goal::Moves, &mut vars, &mut constraints);
            constraints.push(constraint!(expr <= max));
        }
        let objective = if settings.slack {
            // Shortfall first, cost a distant second so the explanation uses
            // capacity the way a plan would.
            slack_cost * 1000.0 + goal_expr(Goal::Cost, &mut vars, &mut constraints)
        } else {
            goal_expr(goal, &mut vars, &mut constraints)
        };
        let mut problem = super::solver::model(vars.minimise(objective.clone()), settings, initial);
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
                if free(id) {
                    for &(k, v) in &x[id.index()] {
                        row[k] = solution.value(v).round().max(0.0) as u32;
                    }
                } else {
                    for &k in &self.eligible[id.index()] {
                        row[k] = base(id, k) as u32;
                    }
                }
                row
            })
            .collect();
        let value = solution.eval(&objective);
        let bought = bought
            .iter()
            .map(|b| b.map_or(0, |b| solution.value(b).round().max(0.0) as u32))
            .collect();
        let shortfalls = slacks
            .into_iter()
            .map(|(id, set, slack)| (id, set, solution.value(slack)))
            .filter(|(_, _, amount)| *amount > 1e-6)
            .collect();
        Ok(Outcome {
            counts,
            value,
            optimal,
            shortfalls,
            bought,
        })
    }
}
