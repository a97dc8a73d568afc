//! exact: the plain per-server MILP of a placement, solved with HiGHS: the
//! yardstick `plan` is measured against in docs/benchmarks.md.
//!
//! ```text
//! cargo run --release --features highs --example exact -- FLEET --out exact.csv --time-limit 60
//! ```
//!
//! It shares nothing with `plan` but the library's loaders and failure model
//! (`Topology::impact`, `Topology::upstream`, `ScenarioSet`), so a bug in one
//! does not hide in the other; `faultplan check` judges what it writes.
//!
//! The model, over the active servers that have every label a service needs
//! (a replica anywhere else counts as down, so an optimum never puts one there):
//! - x[j][s] integer in [0, max_per_server]: replicas of service j on server s;
//!   y[j] = Σ_s x[j][s], min_replicas ≤ y[j] ≤ max_replicas;
//! - survival: for every scenario of j's words (dominated `power:P%` sets
//!   skipped: they take down no more), y[j] − Σ_{s down} x[j][s] ≥ min_replicas;
//! - u[s] = Σ_j cpu_j x[j][s] ≤ cpu_s, and Σ_j mem_j x[j][s] ≤ mem_s;
//! - power: in normal operation and in every scenario of any service's words
//!   that fails a power component (only those move load: a rack, room or
//!   datacenter down only removes draw), each powered component's load ≤
//!   capacity_w × max_utilization, with FORMATS.md's rules: a server that is up
//!   draws idle_w + (max_w − idle_w) × u[s] / cpu_s (maintenance: idle_w,
//!   offline: nothing), split evenly over its powered PSUs, and each component
//!   passes its load to its first powered parent. Rows that cannot bind (the
//!   load with every server at max_w fits) are left out.
//!
//! Objective: Σ_j y[j] × (cpu_j + w × mem_j) with plan's memory weight
//! w = 0.1 × fleet cpu / fleet memory, so the two objectives compare.
//!
//! Prints one line: `exact: status … objective … bound … gap … reserved_cpu …`.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use good_lp::{variable, Expression, ProblemVariables, SolverModel, Variable};

use faultplan::inventory::{
    Component, Inventory, Placement, PowerId, Replica, ServerId, ServiceId, Services, Status,
};
use faultplan::scenarios::{Membership, ScenarioSet, DEFAULT_ENUMERATION_LIMIT};
use faultplan::topology::Topology;

/// Solve the plain per-server placement MILP with HiGHS.
#[derive(Parser, Debug)]
#[command(name = "exact")]
struct Args {
    /// Inventory folder
    inventory: PathBuf,
    /// Services file [default: services.toml in the inventory folder]
    #[arg(long)]
    services: Option<PathBuf>,
    /// Where to write the placement (service,server,rack,datacenter)
    #[arg(long)]
    out: PathBuf,
    /// Seconds HiGHS may take
    #[arg(long, default_value_t = 60.0)]
    time_limit: f64,
    /// HiGHS threads
    #[arg(long, default_value_t = 1)]
    threads: i32,
    /// Relative gap at which HiGHS stops (its default is 1e-4)
    #[arg(long, default_value_t = 1e-4)]
    gap: f64,
    /// Most sets a `power:P%` family may have before the model gives up
    #[arg(long, default_value_t = 100_000)]
    max_sets: usize,
    /// HiGHS's mip_heuristic_effort (its default is 0.05)
    #[arg(long, default_value_t = 0.05)]
    heuristic_effort: f64,
    /// A placement to start from (HiGHS ignores it if the model rejects it:
    /// with the generator's witness, a test of the model)
    #[arg(long, value_name = "PLACEMENT")]
    start: Option<PathBuf>,
}

/// A failure scenario: what failed and the words it belongs to.
struct Scenario {
    failed: Vec<Component>,
    words: Vec<Membership>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(found) => {
            if found {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => {
            eprintln!("exact: {e}");
            ExitCode::from(2)
        }
    }
}

fn run(args: &Args) -> Result<bool, String> {
    let started = Instant::now();
    let inventory = Inventory::load(&args.inventory).map_err(|e| e.to_string())?;
    let services_path = args
        .services
        .clone()
        .unwrap_or_else(|| inventory.dir.join("services.toml"));
    let services = Services::load(&services_path, &inventory).map_err(|e| e.to_string())?;
    let topology = Topology::new(&inventory);
    let words = services.all_words();
    let set = ScenarioSet::expand(&inventory, &words, DEFAULT_ENUMERATION_LIMIT);
    let mut scenarios: Vec<Scenario> = set
        .scenarios
        .iter()
        .map(|s| Scenario {
            failed: s.failed.clone(),
            words: s.words.clone(),
        })
        .collect();
    // The model needs every set of a family the scenario expansion keeps
    // implicit: list them (a few thousand rows at most on real fleets).
    for family in &set.families {
        let sets = family.sets(args.max_sets).ok_or_else(|| {
            format!(
                "{} in {} has more than {} sets (see --max-sets)",
                set.words[family.word],
                inventory.dc(family.datacenter).id,
                args.max_sets
            )
        })?;
        for (members, maximal) in sets {
            scenarios.push(Scenario {
                failed: members.into_iter().map(Component::Power).collect(),
                words: vec![Membership {
                    word: family.word,
                    dominated: !maximal,
                }],
            });
        }
    }
    let impacts: Vec<_> = scenarios
        .iter()
        .map(|s| topology.impact(&s.failed))
        .collect();

    let mut vars = ProblemVariables::new();
    // Column index of each variable: HiGHS numbers columns in creation order.
    let mut columns = 0usize;
    let mut add = |vars: &mut ProblemVariables, def: good_lp::VariableDefinition| {
        columns += 1;
        (vars.add(def), columns - 1)
    };
    let mut constraints = Vec::new();

    // x and y
    let mut x: Vec<Vec<(ServerId, Variable, usize)>> = Vec::with_capacity(services.services.len());
    let mut y: Vec<(Variable, usize)> = Vec::with_capacity(services.services.len());
    let mut on_server: Vec<Vec<(ServiceId, Variable)>> = vec![Vec::new(); inventory.servers.len()];
    for id in services.ids() {
        let service = services.service(id);
        let mut row = Vec::new();
        for s in inventory.server_ids() {
            let server = inventory.server(s);
            if server.status != Status::Active || !server.has_labels(&service.requires) {
                continue;
            }
            let (v, col) = add(
                &mut vars,
                variable()
                    .integer()
                    .min(0)
                    .max(f64::from(service.max_per_server)),
            );
            row.push((s, v, col));
            on_server[s.index()].push((id, v));
        }
        let max = service
            .max_replicas
            .map_or(f64::INFINITY, f64::from)
            .min(row.len() as f64 * f64::from(service.max_per_server));
        let (yj, y_col) = add(
            &mut vars,
            variable().min(f64::from(service.min_replicas)).max(max),
        );
        let mut total = Expression::with_capacity(row.len() + 1);
        for (_, v, _) in &row {
            total.add_mul(1.0, *v);
        }
        total.add_mul(-1.0, yj);
        constraints.push(total.eq(0.0));
        x.push(row);
        y.push((yj, y_col));
    }

    // Survival: one row per distinct set of a service's eligible servers that
    // one of its scenarios takes down.
    let mut survival_rows = 0;
    // Per server: its position in the current service's row of x, if any.
    let mut position = vec![usize::MAX; inventory.servers.len()];
    for id in services.ids() {
        let service = services.service(id);
        if service.min_replicas == 0 {
            continue;
        }
        let service_words: Vec<usize> = service
            .survive
            .iter()
            .filter_map(|w| set.words.iter().position(|x| x == w))
            .collect();
        let mut seen: HashSet<Vec<usize>> = HashSet::new();
        let row = &x[id.index()];
        for (i, (s, _, _)) in row.iter().enumerate() {
            position[s.index()] = i;
        }
        for (scenario, impact) in scenarios.iter().zip(&impacts) {
            let applies = scenario
                .words
                .iter()
                .any(|m| !m.dominated && service_words.contains(&m.word));
            if !applies || impact.down.is_empty() {
                continue;
            }
            let lost: Vec<usize> = impact
                .down
                .iter()
                .map(|s| position[s.index()])
                .filter(|&i| i != usize::MAX)
                .collect();
            if lost.is_empty() || !seen.insert(lost.clone()) {
                continue;
            }
            let mut expr = Expression::with_capacity(lost.len() + 1);
            expr.add_mul(1.0, y[id.index()].0);
            for i in lost {
                expr.add_mul(-1.0, row[i].1);
            }
            constraints.push(expr.geq(f64::from(service.min_replicas)));
            survival_rows += 1;
        }
        for (s, _, _) in row {
            position[s.index()] = usize::MAX;
        }
    }

    // Servers: cpu used (a variable the power rows share) and memory.
    let mut u: Vec<Option<Variable>> = vec![None; inventory.servers.len()];
    let mut u_col = vec![usize::MAX; inventory.servers.len()];
    for s in inventory.server_ids() {
        let hosted = &on_server[s.index()];
        if hosted.is_empty() {
            continue;
        }
        let server = inventory.server(s);
        let (us, col) = add(&mut vars, variable().min(0).max(server.cpu));
        u_col[s.index()] = col;
        let mut cpu = Expression::with_capacity(hosted.len() + 1);
        let mut mem = Expression::with_capacity(hosted.len());
        for &(id, v) in hosted {
            let service = services.service(id);
            cpu.add_mul(service.cpu, v);
            mem.add_mul(service.mem_gb, v);
        }
        cpu.add_mul(-1.0, us);
        constraints.push(cpu.eq(0.0));
        if hosted
            .iter()
            .any(|&(id, _)| services.service(id).mem_gb > 0.0)
        {
            constraints.push(mem.leq(server.mem_gb));
        }
        u[s.index()] = Some(us);
    }

    // Power rows: normal operation, then each scenario that fails power.
    let normal = topology.impact(&[]);
    let power_impacts = std::iter::once(&normal).chain(
        scenarios
            .iter()
            .zip(&impacts)
            .filter(|(s, _)| {
                s.failed
                    .iter()
                    .any(|c| matches!(c, Component::Power(_) | Component::Datacenter(_)))
            })
            .map(|(_, i)| i),
    );
    let mut seen_rows: HashSet<(u32, Vec<(u32, u64)>)> = HashSet::new();
    let mut power_rows = 0;
    for impact in power_impacts {
        let powered = impact.powered_mask(&inventory);
        // Per component: constant watts, and watts per core used on each server.
        let mut constant = vec![0f64; inventory.power.len()];
        let mut coef: Vec<BTreeMap<u32, f64>> = vec![BTreeMap::new(); inventory.power.len()];
        for s in inventory.server_ids() {
            let server = inventory.server(s);
            if server.status == Status::Offline || impact.down.binary_search(&s).is_ok() {
                continue;
            }
            let live: Vec<PowerId> = server
                .psu
                .iter()
                .copied()
                .filter(|p| powered[p.index()])
                .collect();
            let share = 1.0 / live.len() as f64;
            let per_core = if server.status == Status::Active && server.cpu > 0.0 {
                (server.max_w - server.idle_w) / server.cpu
            } else {
                0.0
            };
            for p in live {
                let mut at = Some(p);
                while let Some(c) = at {
                    constant[c.index()] += share * server.idle_w;
                    if per_core > 0.0 && u[s.index()].is_some() {
                        *coef[c.index()].entry(s.0).or_default() += share * per_core;
                    }
                    at = topology.upstream(c, &powered);
                }
            }
        }
        for p in inventory.power_ids() {
            if !powered[p.index()] {
                continue;
            }
            let limit = inventory.power(p).limit_w();
            let row = &coef[p.index()];
            let most: f64 = constant[p.index()]
                + row
                    .iter()
                    .map(|(&s, &c)| c * inventory.server(ServerId(s)).cpu)
                    .sum::<f64>();
            if most <= limit {
                continue;
            }
            let key = (
                p.0,
                std::iter::once((u32::MAX, constant[p.index()].to_bits()))
                    .chain(row.iter().map(|(&s, &c)| (s, c.to_bits())))
                    .collect(),
            );
            if !seen_rows.insert(key) {
                continue;
            }
            let mut expr = Expression::with_capacity(row.len());
            for (&s, &c) in row {
                if let Some(us) = u[s as usize] {
                    expr.add_mul(c, us);
                }
            }
            constraints.push(expr.leq(limit - constant[p.index()]));
            power_rows += 1;
        }
    }

    let fleet_cpu: f64 = inventory.servers.iter().map(|s| s.cpu).sum();
    let fleet_mem: f64 = inventory.servers.iter().map(|s| s.mem_gb).sum();
    let mem_weight = if fleet_mem > 0.0 {
        0.1 * fleet_cpu / fleet_mem
    } else {
        0.0
    };
    let mut objective = Expression::with_capacity(y.len());
    for id in services.ids() {
        let service = services.service(id);
        objective.add_mul(service.cpu + mem_weight * service.mem_gb, y[id.index()].0);
    }
    let n_vars = vars.len();
    let n_rows = constraints.len();
    let mut problem = vars.minimise(objective.clone()).using(good_lp::highs);
    for c in constraints {
        problem.add_constraint(c);
    }
    let built = started.elapsed().as_secs_f64();
    let mut model = problem.try_into_inner().map_err(|e| e.to_string())?;
    model.make_quiet();
    model.set_option("time_limit", args.time_limit);
    model.set_option("threads", args.threads);
    model.set_option("random_seed", 1);
    model.set_option("mip_rel_gap", args.gap);
    model.set_option("mip_heuristic_effort", args.heuristic_effort);
    if let Some(path) = &args.start {
        let start = Placement::load(path, &inventory, &services).map_err(|e| e.to_string())?;
        let mut cols = vec![0.0; n_vars];
        let mut col_of: BTreeMap<(ServiceId, ServerId), usize> = BTreeMap::new();
        for id in services.ids() {
            for &(s, _, col) in &x[id.index()] {
                col_of.insert((id, s), col);
            }
        }
        for r in &start.replicas {
            // Replicas where the model has no variable count as down anyway.
            if let Some(&col) = col_of.get(&(r.service, r.server)) {
                cols[col] += 1.0;
                cols[y[r.service.index()].1] += 1.0;
                cols[u_col[r.server.index()]] += services.service(r.service).cpu;
            }
        }
        model
            .try_set_solution(Some(&cols), None, None, None)
            .map_err(|e| format!("HiGHS rejected the start: {e:?}"))?;
    }
    let solved = model
        .try_solve()
        .map_err(|e| format!("HiGHS failed: {e:?}"))?;
    let seconds = started.elapsed().as_secs_f64();
    let status = format!("{:?}", solved.status());
    let bound = solved.double_info_value(c"mip_dual_bound").ok();
    let found = format!("{:?}", solved.primal_solution_status()) == "Feasible";

    let mut line = format!(
        "exact: status {status}; {n_vars} variables, {n_rows} rows ({survival_rows} survival, {power_rows} power); \
         built in {built:.2} s, {seconds:.2} s in all"
    );
    if let Some(b) = bound.filter(|b| b.is_finite()) {
        let _ = write!(line, "; bound {}", round(b));
    }
    if !found {
        let _ = write!(line, "; no placement found");
        println!("{line}");
        return Ok(false);
    }
    let solution = solved.get_solution();
    let values = solution.columns();
    let mut replicas = Vec::new();
    for id in services.ids() {
        for &(s, _, col) in &x[id.index()] {
            let n = values[col].round().max(0.0) as usize;
            replicas.extend(std::iter::repeat_n(
                Replica {
                    service: id,
                    server: s,
                    line: 0,
                },
                n,
            ));
        }
    }
    let placement = Placement {
        file: None,
        replicas,
    }
    .sorted();
    let reserved_cpu: f64 = placement
        .replicas
        .iter()
        .map(|r| services.service(r.service).cpu)
        .sum();
    let value: f64 = placement
        .replicas
        .iter()
        .map(|r| {
            let s = services.service(r.service);
            s.cpu + mem_weight * s.mem_gb
        })
        .sum();
    let text = faultplan::export::placement_csv(&inventory, &services, &placement);
    std::fs::write(&args.out, text).map_err(|e| format!("{}: {e}", args.out.display()))?;
    let _ = write!(
        line,
        "; objective {}; gap {}; reserved_cpu {}; replicas {}; wrote {}",
        round(value),
        bound
            .filter(|b| b.is_finite() && value > 0.0)
            .map_or("-".to_string(), |b| {
                format!("{}%", round(100.0 * (value - b).max(0.0) / value))
            }),
        round(reserved_cpu),
        placement.replicas.len(),
        args.out.display()
    );
    println!("{line}");
    Ok(true)
}

fn round(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}
