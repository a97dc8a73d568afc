//! `plan`: a search around one incumbent, the best placement `verify` has
//! accepted so far, with a proven lower bound on its objective:
//!
//! construct → repair → exact (prove) → improve, until proven optimal, within
//! `--gap`, or out of time.
//!
//! - construct (construct.rs): each service, most constrained first, with the
//!   fewest replicas that survive by construction;
//! - repair: services still short move other services' replicas out of their
//!   way (a scarce dual-fed or labelled server, a power row at its limit);
//! - exact (exact.rs): the MILP over classes of interchangeable servers, a
//!   relaxation of `verify`: its "infeasible" is the only "no placement
//!   exists" besides structural causes, and its optimum or LP value a bound;
//! - improve (lns.rs): free a few services, re-solve them exactly with the
//!   rest fixed, keep the result when it verifies and is cheaper.
//!
//! A `power:P%` family too large to list is added lazily, one worst set at a
//! time, for the services a candidate breaks.

mod classes;
mod construct;
mod exact;
mod explain;
mod lns;
mod milp;
mod model;
mod request;
mod search;
mod solver;
mod state;

use serde::Serialize;

// The class model and its solver, for the purchase model of `capacity`.
pub use explain::{slots, Cause, Explanation, Limit, Slots};
pub use model::impacts;
pub(crate) use model::{Buy, Counts, Model};
pub(crate) use request::{Fixed, Goal, Relax, Scope, SolveSettings};
pub use search::relative_gap;
pub(crate) use solver::model as solver_model;
pub use solver::NAME as SOLVER;

/// Seconds for messages: to a tenth, or three significant digits below one
/// second (a time limit split between stages is no round number).
pub(crate) fn rounded_seconds(seconds: f64) -> f64 {
    if seconds >= 1.0 || seconds <= 0.0 || !seconds.is_finite() {
        return (seconds * 10.0).round() / 10.0;
    }
    let scale = 10f64.powi(2 - seconds.log10().floor() as i32);
    (seconds * scale).round() / scale
}

use crate::changes::Change;
use crate::inventory::{Component, Inventory, Placement, PowerId, ServerId, ServiceId, Services};
use crate::scenarios::{ScenarioSet, DEFAULT_ENUMERATION_LIMIT};
use crate::topology::Topology;
use crate::verify::{self, Finding, Report};
use construct::Style;
use search::Search;
use state::State;

/// Seconds for the whole solve when no time limit is given.
pub(crate) const DEFAULT_SECONDS: f64 = 300.0;
const DEFAULT_SECONDS_WEAK: f64 = 30.0;

/// Relative gap at which the search stops when none is given.
pub const DEFAULT_GAP: f64 = 0.01;

/// Above this many (service, class) pairs `--method auto` does not run the
/// whole exact model (microlp finds no incumbent in minutes past it); the
/// neighbourhoods of the improve stage stay small enough at any size.
const MILP_MAX_PAIRS: usize = 4000;

/// Above this many pairs the LP relaxation is not solved for a bound either.
const LP_MAX_PAIRS: usize = 20000;

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
    /// Every stage; the whole exact model only when it is small enough.
    Auto,
    /// Every stage, with the whole exact model whatever its size.
    Milp,
    /// Construction and repair only: no solver, the bound from replica floors.
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
    /// Stop improving once (value − bound) / value is at most this.
    pub gap: f64,
    /// Construction and repair give up after this many steps (each place
    /// where they would look at the clock counts one): a limit that, unlike
    /// the time limit, gives the same answer on any machine. None: the time
    /// limit only.
    pub effort: Option<u64>,
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
            gap: DEFAULT_GAP,
            effort: None,
        }
    }
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
    /// The stage that found the placement: construct, repair, exact or improve.
    pub stage: &'static str,
    /// The MILP backend the exact stages used.
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
    /// No placement satisfies the guarantees, proven; here is why.
    Infeasible(Explanation),
    /// The search ended without a verified placement, and without a proof
    /// that none exists.
    NotFound(NotFound),
}

/// What a search that found nothing has to say.
#[derive(Debug, Clone, Serialize)]
pub struct NotFound {
    pub seconds: f64,
    /// Why it stopped: the time limit, or every stage having run.
    pub reason: String,
    /// What still blocks in the placement that came closest.
    pub violations: Vec<Finding>,
    /// That placement (not verified: it breaks `violations`), for callers
    /// that build on it (what to buy).
    #[serde(skip)]
    pub closest: Option<Box<Placement>>,
    pub suggestions: Vec<String>,
}

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
    construct_and_repair(&mut search, &mut model, &set, &mut lazy, style);
    search.raise_bound(search::floor_bound(&model, options.objective));
    let baseline = baseline(&mut search, &model);
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
    if search.done() {
        return None;
    }
    let pairs = |model: &Model| model.eligible.iter().map(Vec::len).sum::<usize>();
    let whole = match search.options.method {
        Method::Milp => true,
        Method::Auto => pairs(model) <= MILP_MAX_PAIRS,
        Method::Greedy => false,
    };
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
                *model = Model::new(
                    model.inventory,
                    model.services,
                    set,
                    impacts,
                    search.current,
                    &split,
                );
                for (service, failed, name) in lazy {
                    match service {
                        Some(service) => model.add_survival(*service, failed, name),
                        None => model.add_power_scenario(failed, name),
                    };
                }
            }
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

/// The simple greedy spread, measured against; also a candidate like any other
/// (when there is time left for it). The search's check of it says whether it
/// keeps the guarantees.
fn baseline(search: &mut Search, model: &Model) -> Option<Baseline> {
    if search.out_of_time() {
        return None;
    }
    let naive = construct::naive(model, &construct::order(model))?;
    let reserved_cpu = naive
        .replicas
        .iter()
        .map(|r| model.services.service(r.service).cpu)
        .sum();
    let replicas = naive.replicas.len();
    let verified = search.offer(model, naive, "baseline") != search::Offer::Rejected;
    Some(Baseline {
        replicas,
        reserved_cpu,
        verified,
    })
}

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
        let reason = if seconds >= limit {
            format!(
                "no placement found within the time limit of {} s",
                rounded_seconds(limit)
            )
        } else {
            "no placement found: construction and repair got stuck and the exact model did not decide".to_string()
        };
        let mut suggestions = vec![format!(
            "give it more time (--time-limit {})",
            (limit * 4.0).ceil()
        )];
        if options.method != Method::Milp {
            suggestions.push("run the whole exact model (--method milp)".into());
        }
        if SOLVER == "microlp" {
            suggestions.push(
                "build with a stronger MILP backend (cargo build --release --features highs)"
                    .into(),
            );
        }
        let (violations, closest) = match closest {
            Some((violations, placement)) => (violations, Some(Box::new(placement))),
            None => (Vec::new(), None),
        };
        return Err(PlanError::NotFound(NotFound {
            seconds,
            reason,
            violations,
            closest,
            suggestions,
        }));
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

/// A `power:P%` set added to the model lazily: a failure set for one service,
/// or (None) a scenario whose power limits bind.
type Lazy = (Option<ServiceId>, Vec<Component>, String);

/// `power:P%` families too large to list enter the model lazily: for each
/// family, each service's worst set when it breaks the service in this
/// placement, and each component's worst set when it overloads it (both
/// found exactly by the family's search). True when the model gained a limit.
fn add_violated_families(
    model: &mut Model,
    set: &ScenarioSet,
    placement: &Placement,
    lazy: &mut Vec<Lazy>,
) -> bool {
    if set.families.is_empty() {
        return false;
    }
    let inventory = model.inventory;
    let services = model.services;
    let topology = Topology::new(inventory);
    let draw_w = verify::PlacementIndex::new(inventory, services, placement).draw_w;
    let loads = crate::topology::LoadModel::new(&topology, &draw_w);
    let mut added = false;
    for family in &set.families {
        let search = family.search(&topology);
        let failed = |members: &[PowerId]| -> (Vec<Component>, String) {
            let names: Vec<&str> = members
                .iter()
                .map(|p| inventory.power(*p).id.as_str())
                .collect();
            (
                members.iter().map(|p| Component::Power(*p)).collect(),
                format!("{} {}", set.words[family.word], names.join("+")),
            )
        };
        let word = &set.words[family.word];
        for id in services
            .ids()
            .filter(|id| services.service(*id).survive.contains(word))
        {
            let on: Vec<ServerId> = placement
                .replicas
                .iter()
                .filter(|r| r.service == id)
                .map(|r| r.server)
                .collect();
            let (lost, worst) = search.worst_replica_loss(&on);
            let needed = services.service(id).min_replicas;
            if (on.len() as u64).saturating_sub(lost) < u64::from(needed) {
                let (components, name) = failed(&worst);
                if model.add_survival(id, &components, &name) {
                    lazy.push((Some(id), components, name));
                    added = true;
                }
            }
        }
        let load_search = crate::scenarios::LoadSearch::new(&search, &loads);
        let targets: Vec<PowerId> = load_search.targets().collect();
        for p in targets {
            let limit = inventory.power(p).limit_w();
            if let crate::scenarios::WorstLoad::Found { set: worst, .. } =
                load_search.worst_load(p, limit + 1e-6)
            {
                let (components, name) = failed(&worst);
                if model.add_power_scenario(&components, &name) {
                    lazy.push((None, components, name));
                    added = true;
                }
            }
        }
    }
    added
}

#[cfg(test)]
mod seconds_tests {
    use super::rounded_seconds;

    #[test]
    fn seconds_in_messages_are_rounded() {
        assert_eq!(rounded_seconds(10.4820450385), 10.5);
        assert_eq!(rounded_seconds(60.0), 60.0);
        assert_eq!(rounded_seconds(0.48204), 0.482);
        assert_eq!(rounded_seconds(0.000001), 0.000001);
    }
}
