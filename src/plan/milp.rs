//! The MILP over classes: replicas per (service, class) under every guarantee
//! of FORMATS.md. Classes aggregate servers that are interchangeable under every
//! scenario, and per-class cpu, memory and max_per_server only relax the
//! per-server limits, so every placement `check` accepts is feasible here: an
//! "infeasible" from this model is a proof, and its optimum a bound.

use good_lp::{
    constraint, variable, Constraint, Expression, IntoAffineExpression, ProblemVariables,
    ResolutionError, Solution, SolutionStatus, SolverModel, Variable,
};

use super::solver;

use super::model::{Counts, Model};
use super::power_rows::PowerRow;
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

    /// Hard constraints of FORMATS.md and the goal, solved in one call: the
    /// variables, the guarantees, the capacity and power limits, the goals
    /// already optimised, then the objective. The order in which variables and
    /// constraints are added is part of the answer (a solver's path depends on
    /// it), so the steps below keep it.
    pub fn solve(
        &self,
        goal: Goal,
        fixed: &[Fixed],
        scope: Scope,
        settings: &SolveSettings,
    ) -> Result<Outcome, ResolutionError> {
        let mut build = Build::new(self, scope, settings);
        build.purchase_limits();
        build.replica_guarantees();
        build.class_loads();
        build.class_capacity();
        build.power_limits()?;
        build.fixed_goals(fixed);
        build.move_limit(fixed);
        let objective = build.objective(goal);
        build.solve(objective)
    }
}

/// One solve's problem while it is built: the variables, the constraints so
/// far, and the expressions several constraints share.
struct Build<'m, 'a, 'c> {
    model: &'m Model<'a>,
    scope: Scope<'c>,
    settings: &'m SolveSettings,
    vars: ProblemVariables,
    /// A starting point for the solver, from `SolveSettings::initial`.
    initial: Vec<(Variable, f64)>,
    /// x[service]: (class, variable) for the free services' eligible classes.
    x: Vec<Vec<(usize, Variable)>>,
    /// Servers to buy: per class for sale, how many of its servers are bought.
    bought: Vec<Option<Variable>>,
    constraints: Vec<Constraint>,
    /// With `SolveSettings::slack`: the shortfall variables, and their price.
    slacks: Vec<(ServiceId, Option<usize>, Variable)>,
    slack_cost: Expression,
    /// Per class: reserved cpu, memory and replicas (fixed services as constants).
    class_cpu: Vec<Expression>,
    class_mem: Vec<Expression>,
    class_replicas: Vec<Expression>,
    /// Per class: whether a replica or a purchase can change its load.
    touched: Vec<bool>,
}

impl<'m, 'a, 'c> Build<'m, 'a, 'c> {
    /// The variables: replicas per (free service, eligible class), then the
    /// servers bought per class for sale.
    fn new(model: &'m Model<'a>, scope: Scope<'c>, settings: &'m SolveSettings) -> Self {
        let mut vars = ProblemVariables::new();
        let mut initial: Vec<(Variable, f64)> = Vec::new();
        let x: Vec<Vec<(usize, Variable)>> = model
            .services
            .ids()
            .map(|id| {
                if !scope.frees(id) {
                    return Vec::new();
                }
                model.eligible[id.index()]
                    .iter()
                    .map(|&k| {
                        let definition = variable().min(0).max(model.upper(id, k, settings.relax));
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
        // A class of n servers for sale with b bought is b servers of the shape:
        // its cpu, memory, replicas per service and idle draw scale with b.
        let bought: Vec<Option<Variable>> = model
            .classes
            .iter()
            .enumerate()
            .map(|(k, class)| {
                model.buy.as_ref().and_then(|b| b.price[k])?;
                let definition = variable().min(0).max(class.size());
                Some(vars.add(if settings.relaxed {
                    definition
                } else {
                    definition.integer()
                }))
            })
            .collect();
        Build {
            model,
            scope,
            settings,
            vars,
            initial,
            x,
            bought,
            constraints: Vec::new(),
            slacks: Vec::new(),
            slack_cost: Expression::from(0.0),
            class_cpu: Vec::new(),
            class_mem: Vec::new(),
            class_replicas: Vec::new(),
            touched: Vec::new(),
        }
    }

    /// The servers class `k` has: its size, or the bought ones.
    fn servers_of(&self, k: usize) -> Expression {
        match self.bought[k] {
            Some(b) => Expression::from(b),
            None => Expression::from(self.model.classes[k].size()),
        }
    }

    /// Replicas of service `i` over its classes.
    fn total(&self, i: usize) -> Expression {
        self.x[i].iter().map(|(_, v)| *v).sum()
    }

    /// With `SolveSettings::slack`, a new shortfall variable for one
    /// guarantee of `id` (None: normal operation), priced by its replicas.
    fn short(&mut self, id: ServiceId, set: Option<usize>) -> Expression {
        if !self.settings.slack {
            return Expression::from(0.0);
        }
        let slack = self.vars.add(variable().min(0));
        self.slack_cost
            .add_mul(self.model.replica_cost(id).max(1e-3), slack);
        self.slacks.push((id, set, slack));
        Expression::from(slack)
    }

    /// What may be bought: each limit on purchases (rack units, a model's
    /// count), and no replicas on servers not bought.
    fn purchase_limits(&mut self) {
        let model = self.model;
        let scope = self.scope;
        let Some(buy) = &model.buy else {
            return;
        };
        for (coefs, at_most) in &buy.limits {
            let used: Expression = coefs
                .iter()
                .filter_map(|&(k, c)| self.bought[k].map(|b| c * b))
                .sum();
            self.constraints.push(constraint!(used <= *at_most));
        }
        for id in model.services.ids().filter(|id| scope.frees(*id)) {
            for &(k, v) in &self.x[id.index()] {
                if let Some(b) = self.bought[k] {
                    let fit = f64::from(model.fit(id, k));
                    self.constraints.push(constraint!(v <= fit * b));
                }
            }
        }
    }

    /// Per free service: min_replicas, max_replicas, the proven floor, and
    /// min_replicas up after each failure set it must survive.
    fn replica_guarantees(&mut self) {
        let model = self.model;
        let scope = self.scope;
        let settings = self.settings;
        for id in model.services.ids().filter(|id| scope.frees(*id)) {
            let i = id.index();
            let service = model.services.service(id);
            let slack = self.short(id, None);
            let total = self.total(i);
            self.constraints.push(constraint!(
                total + slack >= f64::from(service.min_replicas)
            ));
            if let Some(max) = service
                .max_replicas
                .filter(|_| !settings.relax.max_replicas)
            {
                let total = self.total(i);
                self.constraints.push(constraint!(total <= max));
            }
            // The floor holds for every integer placement; when the guarantees
            // may fall short it would only blur which scenario is short.
            let floor = model.replica_floor(id);
            if floor > service.min_replicas && !settings.slack && settings.relax == Relax::default()
            {
                let total = self.total(i);
                self.constraints
                    .push(constraint!(total >= f64::from(floor)));
            }
            let survival = model.survival(id);
            for (j, lost) in survival.sets.iter().enumerate() {
                let surviving: Expression = self.x[i]
                    .iter()
                    .filter(|(k, _)| lost.binary_search(k).is_err())
                    .map(|(_, v)| *v)
                    .sum();
                let slack = self.short(id, Some(j));
                self.constraints.push(constraint!(
                    surviving + slack >= f64::from(service.min_replicas)
                ));
            }
        }
    }

    /// Per class: reserved cpu, memory and replicas, the free services' as
    /// variables, the others' as constants.
    fn class_loads(&mut self) {
        let model = self.model;
        let n = model.classes.len();
        self.class_cpu = vec![Expression::from(0.0); n];
        self.class_mem = vec![Expression::from(0.0); n];
        self.class_replicas = vec![Expression::from(0.0); n];
        // Classes for sale always carry their limits: their idle draw depends on b.
        self.touched = self.bought.iter().map(Option::is_some).collect();
        for id in model.services.ids() {
            let service = model.services.service(id);
            if self.scope.frees(id) {
                for &(k, v) in &self.x[id.index()] {
                    self.class_cpu[k].add_mul(service.cpu, v);
                    self.class_mem[k].add_mul(service.mem_gb, v);
                    self.class_replicas[k] += v;
                    self.touched[k] = true;
                }
            } else {
                for &k in &model.eligible[id.index()] {
                    let n = self.scope.base(id, k);
                    if n > 0.0 {
                        self.class_cpu[k] += n * service.cpu;
                        self.class_mem[k] += n * service.mem_gb;
                        self.class_replicas[k] += n;
                    }
                }
            }
        }
    }

    /// Each class whose load may change: its reserved cpu and memory within
    /// its servers'.
    fn class_capacity(&mut self) {
        let model = self.model;
        let relax = self.settings.relax;
        for (k, class) in model.classes.iter().enumerate() {
            if !self.touched[k] {
                continue;
            }
            if !relax.cpu {
                let c = constraint!(self.class_cpu[k].clone() <= class.cpu * self.servers_of(k));
                self.constraints.push(c);
            }
            if !relax.mem {
                let c = constraint!(self.class_mem[k].clone() <= class.mem_gb * self.servers_of(k));
                self.constraints.push(c);
            }
        }
    }

    /// A class's draw in watts: idle per server plus the slope per reserved core.
    fn class_draw(&self, k: usize) -> Expression {
        let class = &self.model.classes[k];
        self.class_cpu[k].clone() * class.slope_w() + self.servers_of(k) * class.idle_w
    }

    fn power_load(&self, row: &PowerRow) -> Expression {
        let mut load = Expression::from(row.constant_w);
        for &(k, c) in &row.coefs {
            load += self.class_draw(k) * c;
        }
        load
    }

    /// Every power row not left out. A row no replica can change is only
    /// checked: over its limit, the whole problem has no placement.
    fn power_limits(&mut self) -> Result<(), ResolutionError> {
        let model = self.model;
        let relax = self.settings.relax;
        for row in &model.power {
            let relaxed = match row.scenario {
                None => relax.power_normal,
                Some(_) => relax.power_failover,
            };
            if relaxed {
                continue;
            }
            if row.coefs.iter().any(|(k, _)| self.touched[*k]) {
                let c = constraint!(self.power_load(row) <= row.limit_w);
                self.constraints.push(c);
            } else if matches!(self.scope, Scope::Whole) {
                // No replica can change this load (idle and maintenance draw
                // only): over its limit, no placement passes `check`. (A
                // neighbourhood leaves such rows as the incumbent has them.)
                let load = self.power_load(row).constant();
                if load > row.limit_w + 1e-6 {
                    return Err(ResolutionError::Infeasible);
                }
            }
        }
        Ok(())
    }

    /// The goals already optimised, each kept within its tolerance.
    fn fixed_goals(&mut self, fixed: &[Fixed]) {
        for f in fixed {
            let expr = self.goal(f.goal);
            self.constraints.push(constraint!(expr <= f.at_most));
        }
    }

    /// --max-moves, when the whole problem is solved from a current placement
    /// and the moves are not already a fixed goal.
    fn move_limit(&mut self, fixed: &[Fixed]) {
        let settings = self.settings;
        let limit_moves = settings.max_moves.filter(|_| {
            self.model.current.is_some()
                && !settings.relax.max_moves
                && matches!(self.scope, Scope::Whole)
                && !fixed.iter().any(|f| f.goal == Goal::Moves)
        });
        if let Some(max) = limit_moves {
            let expr = self.goal(Goal::Moves);
            self.constraints.push(constraint!(expr <= max));
        }
    }

    fn objective(&mut self, goal: Goal) -> Expression {
        if self.settings.slack {
            // Shortfall first, cost a distant second so the explanation uses
            // capacity the way a plan would.
            let slack_cost = std::mem::replace(&mut self.slack_cost, Expression::from(0.0));
            slack_cost * 1000.0 + self.goal(Goal::Cost)
        } else {
            self.goal(goal)
        }
    }

    /// A goal as an expression to minimise; some goals need variables and
    /// constraints of their own, added here.
    fn goal(&mut self, goal: Goal) -> Expression {
        match goal {
            Goal::Feasible => Expression::from(0.0),
            Goal::Price => self.price(),
            Goal::Cost => self.cost(),
            Goal::Moves => self.moves(),
            Goal::Servers => self.servers_used(),
            Goal::Peak { servers } => self.peak(servers),
        }
    }

    fn price(&self) -> Expression {
        let model = self.model;
        model
            .classes
            .iter()
            .enumerate()
            .filter_map(|(k, _)| {
                let price = model.buy.as_ref()?.price[k]?;
                Some(price * self.bought[k]?)
            })
            .sum()
    }

    fn cost(&self) -> Expression {
        let model = self.model;
        model
            .services
            .ids()
            .filter(|id| self.scope.frees(*id))
            .map(|id| self.total(id.index()) * model.replica_cost(id))
            .sum()
    }

    /// Replicas added, removed or moved relative to the current placement.
    fn moves(&mut self) -> Expression {
        let model = self.model;
        let scope = self.scope;
        let Some((current, leaving)) = model.current.as_ref() else {
            return Expression::from(0.0);
        };
        let mut moves = Expression::from(0.0);
        for id in model.services.ids().filter(|id| scope.frees(*id)) {
            let i = id.index();
            let mut added = Expression::from(0.0);
            let mut removed = Expression::from(f64::from(leaving[i]));
            for &(k, v) in &self.x[i] {
                let cur = f64::from(current[i][k]);
                let a = self.vars.add(variable().min(0));
                let r = self.vars.add(variable().min(0));
                self.constraints.push(constraint!(a >= v - cur));
                self.constraints.push(constraint!(r >= cur - v));
                added += a;
                removed += r;
            }
            // A move is one removal paired with one addition.
            let m = self.vars.add(variable().min(0));
            self.constraints.push(constraint!(m >= added));
            self.constraints.push(constraint!(m >= removed));
            moves += m;
        }
        moves
    }

    /// Servers hosting anything: per class, the servers its load needs.
    fn servers_used(&mut self) -> Expression {
        let model = self.model;
        let mut used = Expression::from(0.0);
        let per_server: f64 = model
            .services
            .services
            .iter()
            .map(|s| f64::from(s.max_per_server))
            .sum();
        for (k, class) in model.classes.iter().enumerate() {
            let y = self.vars.add(variable().integer().min(0).max(class.size()));
            self.constraints
                .push(constraint!(self.class_cpu[k].clone() <= class.cpu * y));
            self.constraints
                .push(constraint!(self.class_mem[k].clone() <= class.mem_gb * y));
            self.constraints.push(constraint!(
                self.class_replicas[k].clone() <= per_server * y
            ));
            used += y;
        }
        used
    }

    /// The peak utilisation u of racks and power components with nothing
    /// failed (and of servers when `servers`).
    fn peak(&mut self, servers: bool) -> Expression {
        let model = self.model;
        let u = self.vars.add(variable().min(0));
        let mut rack_cpu: Vec<(Expression, f64)> =
            vec![(Expression::from(0.0), 0.0); model.inventory.racks.len()];
        for (k, class) in model.classes.iter().enumerate() {
            let r = &mut rack_cpu[class.rack.index()];
            r.0 += self.class_cpu[k].clone();
            r.1 += class.cpu * class.size();
            if servers && class.cpu > 0.0 {
                self.constraints.push(constraint!(
                    self.class_cpu[k].clone() <= u * (class.cpu * class.size())
                ));
            }
        }
        for (expr, capacity) in rack_cpu {
            if capacity > 0.0 {
                self.constraints.push(constraint!(expr <= u * capacity));
            }
        }
        for row in &model.normal_power {
            if row.limit_w > 0.0 {
                let c = constraint!(self.power_load(row) <= u * row.limit_w);
                self.constraints.push(c);
            }
        }
        Expression::from(u)
    }

    /// Hands the problem to the backend and reads its answer back.
    fn solve(mut self, objective: Expression) -> Result<Outcome, ResolutionError> {
        let vars = std::mem::replace(&mut self.vars, ProblemVariables::new());
        let initial = std::mem::take(&mut self.initial);
        let mut problem = solver::model(vars.minimise(objective.clone()), self.settings, initial);
        for c in std::mem::take(&mut self.constraints) {
            problem.add_constraint(c);
        }
        let solution = problem.solve()?;
        Ok(self.read_back(&solution, &objective))
    }

    /// Counts per (service, class) (the fixed services' from the scope), the
    /// objective's value, the servers bought and the shortfalls.
    fn read_back(&self, solution: &impl Solution, objective: &Expression) -> Outcome {
        let model = self.model;
        let optimal = matches!(solution.status(), SolutionStatus::Optimal);
        let counts = model
            .services
            .ids()
            .map(|id| {
                let mut row = vec![0u32; model.classes.len()];
                if self.scope.frees(id) {
                    for &(k, v) in &self.x[id.index()] {
                        row[k] = solution.value(v).round().max(0.0) as u32;
                    }
                } else {
                    for &k in &model.eligible[id.index()] {
                        row[k] = self.scope.base(id, k) as u32;
                    }
                }
                row
            })
            .collect();
        let value = solution.eval(objective);
        let bought = self
            .bought
            .iter()
            .map(|b| b.map_or(0, |b| solution.value(b).round().max(0.0) as u32))
            .collect();
        let shortfalls = self
            .slacks
            .iter()
            .map(|&(id, set, slack)| (id, set, solution.value(slack)))
            .filter(|(_, _, amount)| *amount > 1e-6)
            .collect();
        Outcome {
            counts,
            value,
            optimal,
            shortfalls,
            bought,
        }
    }
}
