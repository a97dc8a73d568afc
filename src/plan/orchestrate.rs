//! The orchestrator: construct → repair → exact (prove) → improve, around
//! one incumbent (search.rs), and the statistics of what it found.

use super::construct::{self, Style};
use super::exact;
use super::explain::{self, Explanation};
use super::lazy_families::{add_violated_families, Lazy};
use super::lns;
use super::model::{self, Model};
use super::naive;
use super::options::{rounded_seconds, Method, Objective, PlanOptions};
use super::outcome::{Baseline, NotFound, Plan, PlanError, PlanStats};
use super::search::{self, Search};
use super::solver::NAME as SOLVER;
use super::state::State;
use crate::inventory::{Inventory, Placement, ServerId, Services};
use crate::scenarios::ScenarioSet;
use crate::verify::Finding;

/// Above this many (service, class) pairs `--method auto` does not run the
/// whole exact model (microlp finds no incumbent in minutes past it); the
/// neighbourhoods of the improve stage stay small enough at any size.
const MILP_MAX_PAIRS: usize = 4000;

/// Above this many pairs the LP relaxation is not solved for a bound either.
const LP_MAX_PAIRS: usize = 20000;

/// Computes a verified placement.
pub fn plan(
    inventory: &Inventory,
    services: &Services,
    current: Option<&Placement>,
    options: &PlanOptions,
    progress: &dyn Fn(&str),
) -> Result<Plan, PlanError> {
    let set = ScenarioSet::expand(inventory, &services.all_words(), options.enumeration_limit);
    let impacts = model::impacts(inventory, &set);
    let structural = explain::structural(inventory, services, &set, &impacts);
    if !structural.causes.is_empty() {
        return Err(PlanError::Infeasible(structural));
    }
    let style = match options.objective {
        Objective::Servers => Style::Pack,
        _ => Style::Spread,
    };
    let mut search = Search::new(inventory, services, current, options, progress);
    let mut lazy = Vec::new();
    let mut model = Model::new(inventory, services, &set, &impacts, current, &[]);
    // The simple spread is made before construction and offered after it,
    // whatever time is left: the plan is never worse than the greedy it is
    // compared with, and on a tie construction's placement stays.
    let naive = (!search.out_of_time())
        .then(|| naive::naive(&model, &construct::order(&model)))
        .flatten();
    construct_and_repair(&mut search, &mut model, &set, &mut lazy, style);
    search.raise_bound(search::floor_bound(&model, options.objective));
    let baseline = naive.map(|naive| baseline(&mut search, &model, naive));
    if options.method != Method::Greedy {
        if let Some(proof) = prove(&mut search, &mut model, &set, &impacts, &lazy, style) {
            return Err(PlanError::Infeasible(proof));
        }
        // The neighbourhoods minimise cost; the other objectives rely on the exact stage.
        if options.objective == Objective::Cost {
            lns::improve(&mut search, &model, style);
        }
    }
    finish(search, &model, baseline)
}

/// Construction, then repair of what it left short; again while a candidate
/// breaks a `power:P%` family set the model did not have yet.
fn construct_and_repair(
    search: &mut Search,
    model: &mut Model,
    set: &ScenarioSet,
    lazy: &mut Vec<Lazy>,
    style: Style,
) {
    loop {
        search.say(&format!("construct ({} classes)", model.classes.len()));
        let steps = std::cell::Cell::new(0u64);
        let deadline = || {
            steps.set(steps.get() + 1);
            search.out_of_time() || search.options.effort.is_some_and(|e| steps.get() > e)
        };
        let order = construct::order(model);
        let mut state = construct::construct(model, &order, style, search.current, &deadline);
        let complete = model.services.ids().all(|id| state.deficit(id) == 0);
        if !complete {
            construct::repair(&mut state, &order, style, &deadline);
        }
        let short =
            |state: &State| -> u32 { model.services.ids().map(|id| state.deficit(id)).sum() };
        // Services left short: try again placing the crowded ones together
        // first (construct.rs), with an effort of its own, and keep the
        // construction that leaves less short.
        steps.set(0);
        if short(&state) > 0 && search.current.is_none() && !deadline() {
            if let Some(mut together) =
                construct::construct_together(model, &order, style, &deadline)
            {
                construct::repair(&mut together, &order, style, &deadline);
                if short(&together) < short(&state) {
                    state = together;
                }
            }
        }
        let still_short = short(&state) > 0;
        let mut placement = state.placement();
        if still_short && search.options.method != Method::Greedy {
            lns::repair(search, model, &order, &mut placement, style);
        }
        let stage = if complete { "construct" } else { "repair" };
        if add_violated_families(model, set, &placement, lazy) {
            continue;
        }
        search.offer(model, placement, stage);
        return;
    }
}

/// The exact model (or, when it is too large, its LP relaxation): proves
/// infeasibility, raises the bound, offers its optimum.
fn prove(
    search: &mut Search,
    model: &mut Model,
    set: &ScenarioSet,
    impacts: &[crate::topology::Impact],
    lazy: &[Lazy],
    style: Style,
) -> Option<Explanation> {
    let whole = match search.options.method {
        Method::Milp => true,
        Method::Auto => pairs(model) <= MILP_MAX_PAIRS,
        Method::Greedy => false,
    };
    // A small exact model closes the last gap in seconds (the hard80 fleets
    // of docs/benchmarks.md stopped 0.7% above their optimum, inside the
    // default --gap, with the whole budget unused): it runs while any gap is
    // open and time is left, not only one wider than --gap.
    let gap_open = search.gap() > 1e-9;
    if search.done() && !(whole && gap_open) {
        return None;
    }
    let mut split: Vec<ServerId> = Vec::new();
    while whole && !search.out_of_time() {
        match exact::solve(search, model, style) {
            exact::Proof::Infeasible => return Some(explain::proven(search, model, set)),
            exact::Proof::Done => break,
            exact::Proof::Unpacked(servers) => {
                // A class whose counts cannot be packed is split into single
                // servers; a split class always packs, so this ends.
                let before = split.len();
                split.extend(servers);
                split.sort_unstable();
                split.dedup();
                if split.len() == before {
                    break;
                }
                search.say(&format!(
                    "splitting {} servers into classes of their own",
                    split.len()
                ));
                *model = with_split(model, set, impacts, lazy, search, &split);
            }
        }
    }
    if whole && search.options.objective != Objective::Cost {
        if let Some(proof) = per_server(search, model, set, impacts, lazy, style, split.len()) {
            return Some(proof);
        }
    }
    if !search.done() && !search.out_of_time() && pairs(model) <= LP_MAX_PAIRS {
        // Half the time left at most: the improve stage needs the rest.
        let seconds = search.remaining() / 2.0;
        if let Some(exact::Proof::Infeasible) = exact::relaxation(search, model, seconds) {
            return Some(explain::proven(search, model, set));
        }
    }
    None
}

/// (service, class) pairs: the size of the exact model.
fn pairs(model: &Model) -> usize {
    model.eligible.iter().map(Vec::len).sum()
}

/// `servers` and `balance` with the gap still open: the exact model again with
/// every server a class of its own, for the rest of the time. A class counts
/// the servers its load needs and rates the peak of its average server, so
/// for these two objectives its optimum is only a bound, often far below any
/// packing (two-sites: an optimum of 19 servers that packed onto 29); on single servers
/// both are exact, and so are the optimum and the bound HiGHS proves.
fn per_server(
    search: &mut Search,
    model: &mut Model,
    set: &ScenarioSet,
    impacts: &[crate::topology::Impact],
    lazy: &[Lazy],
    style: Style,
    already_split: usize,
) -> Option<Explanation> {
    let all: Vec<ServerId> = model.inventory.server_ids().collect();
    // While any gap is open, as for the whole model in `prove`.
    if search.gap() <= 1e-9 || search.out_of_time() || already_split == all.len() {
        return None;
    }
    // Its size, counted before it is built: each (service, class) pair
    // becomes one pair per server of the class.
    let per_server_pairs: usize = model
        .eligible
        .iter()
        .flatten()
        .map(|&k| model.classes[k].servers.len())
        .sum();
    if per_server_pairs > MILP_MAX_PAIRS {
        return None;
    }
    let singles = with_split(model, set, impacts, lazy, search, &all);
    search.say(&format!(
        "exact model per server ({} servers)",
        singles.classes.len()
    ));
    *model = singles;
    match exact::solve(search, model, style) {
        exact::Proof::Infeasible => Some(explain::proven(search, model, set)),
        exact::Proof::Done | exact::Proof::Unpacked(_) => None,
    }
}

/// The model again with `split` servers in classes of their own, and the
/// lazily added `power:P%` sets it had.
fn with_split<'a>(
    model: &Model<'a>,
    set: &ScenarioSet,
    impacts: &[crate::topology::Impact],
    lazy: &[Lazy],
    search: &Search,
    split: &[ServerId],
) -> Model<'a> {
    let mut model = Model::new(
        model.inventory,
        model.services,
        set,
        impacts,
        search.current,
        split,
    );
    for (service, failed, name) in lazy {
        match service {
            Some(service) => model.add_survival(*service, failed, name),
            None => model.add_power_scenario(failed, name),
        };
    }
    model
}

/// The simple greedy spread, measured against; also a candidate like any
/// other. The search's check of it says whether it keeps the guarantees.
fn baseline(search: &mut Search, model: &Model, naive: Placement) -> Baseline {
    let reserved_cpu = naive
        .replicas
        .iter()
        .map(|r| model.services.service(r.service).cpu)
        .sum();
    let replicas = naive.replicas.len();
    let verified = search.offer(model, naive, "baseline") != search::Offer::Rejected;
    Baseline {
        replicas,
        reserved_cpu,
        verified,
    }
}

/// The statistics of the incumbent, or what a search that found none has to say.
fn finish(search: Search, model: &Model, baseline: Option<Baseline>) -> Result<Plan, PlanError> {
    let seconds = search.elapsed();
    let limit = search.limit();
    let gap = search.gap();
    let Search {
        incumbent,
        bound,
        notes,
        solves,
        closest,
        options,
        current,
        services,
        ..
    } = search;
    let Some(incumbent) = incumbent else {
        return Err(PlanError::NotFound(not_found(
            seconds,
            limit,
            options.method,
            closest,
        )));
    };
    let bound = bound.min(incumbent.value);
    let placement = incumbent.placement;
    let mut reserved_cpu = 0.0;
    let mut reserved_mem_gb = 0.0;
    for r in &placement.replicas {
        reserved_cpu += services.service(r.service).cpu;
        reserved_mem_gb += services.service(r.service).mem_gb;
    }
    let stats = PlanStats {
        objective: options.objective,
        value: incumbent.value,
        bound,
        gap,
        optimal: gap <= 1e-9,
        stage: incumbent.stage,
        solver: SOLVER,
        classes: model.classes.len(),
        solves,
        seconds,
        replicas: placement.replicas.len(),
        reserved_cpu,
        reserved_mem_gb,
        moves: current.map(|_| incumbent.changes.len() as u32),
        mem_weight: model.mem_weight,
        notes,
        baseline,
    };
    Ok(Plan {
        placement,
        stats,
        changes: incumbent.changes,
        report: incumbent.report,
    })
}

/// Why nothing was found, what came closest, and what to try next.
fn not_found(
    seconds: f64,
    limit: f64,
    method: Method,
    closest: Option<(Vec<Finding>, Placement)>,
) -> NotFound {
    let reason = if seconds >= limit {
        format!(
            "no placement found within the time limit of {} s",
            rounded_seconds(limit)
        )
    } else {
        "no placement found: construction and repair got stuck and the exact model did not decide"
            .to_string()
    };
    let mut suggestions = vec![format!(
        "give it more time (--time-limit {})",
        (limit * 4.0).ceil()
    )];
    if method != Method::Milp {
        suggestions.push("run the whole exact model (--method milp)".into());
    }
    if SOLVER == "microlp" {
        suggestions.push(
            "build with the default engine, HiGHS (cargo build --release, after scripts/setup)"
                .into(),
        );
    }
    let (violations, closest) = match closest {
        Some((violations, placement)) => (violations, Some(Box::new(placement))),
        None => (Vec::new(), None),
    };
    NotFound {
        seconds,
        reason,
        violations,
        closest,
        suggestions,
    }
}
