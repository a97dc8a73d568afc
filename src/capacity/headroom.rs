//! The fleet's safety margins (`faultplan capacity` with no growth): what the
//! guarantees leave usable, how far each service can grow, and, for a running
//! placement, its power loads and single points of failure.
//!
//! A claim is a proof or it is not made. Every number here is either counted
//! from the inventory (guaranteed capacity, the counting bound of a
//! service's headroom), or backed by a placement `verify::check` accepted (a
//! headroom's lower bound), or by the planner's proof of infeasibility (its
//! exact model is a relaxation of `verify`). A search that runs out of time
//! leaves the bounds it had, never a guess.

use std::time::Instant;

use serde::Serialize;

use crate::inventory::{Component, Inventory, Placement, PowerId, ServiceId, Services, Status};
use crate::plan::{self, PlanError, PlanOptions, Slots};
use crate::scenarios::ScenarioSet;
use crate::topology::{Impact, Topology};
use crate::verify::{self, CheckOptions, PlacementIndex, SinglePoint};

/// How long the margins may search.
#[derive(Debug, Clone)]
pub struct MarginOptions {
    /// Seconds for everything: planning today's demand when no placement is
    /// given or the given one breaks a guarantee, then the headroom searches,
    /// each service (in services.toml order) getting an even share of the
    /// time left.
    pub seconds: f64,
    pub enumeration_limit: usize,
}

/// The default of [`MarginOptions::seconds`].
pub const DEFAULT_MARGIN_SECONDS: f64 = 60.0;

impl Default for MarginOptions {
    fn default() -> Self {
        MarginOptions {
            seconds: DEFAULT_MARGIN_SECONDS,
            enumeration_limit: crate::scenarios::DEFAULT_ENUMERATION_LIMIT,
        }
    }
}

/// Everything `capacity` reports without growth.
pub struct Margins {
    /// Per survive word used by some service (first-use order), per resource.
    pub families: Vec<FamilyCapacity>,
    /// The verified placement of today's demand the lower bounds start from.
    pub base: Base,
    /// Per service, in services.toml order.
    pub services: Vec<Headroom>,
    /// With a placement given: how it fares.
    pub placement: Option<PlacementMargins>,
}

/// Where the verified placement of today's demand comes from.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Base {
    /// The placement given passes `check`.
    Given,
    /// No placement given, or the given one breaks a guarantee: the planner's,
    /// which `check` accepted.
    Planned,
    /// Today's demand does not fit: the planner's proof, its causes.
    Infeasible { causes: Vec<String> },
    /// The planner found no placement in its time, and proved nothing.
    NotFound { reason: String },
}

/// Usable capacity of one resource after the worst scenario of one family.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FamilyCapacity {
    /// The survive word (e.g. `rack`, `power:50%`).
    pub family: String,
    /// `cpu` (cores), `mem_gb` or `power_w`.
    pub resource: &'static str,
    /// cpu, mem_gb: summed over active servers. power_w: the summed limits
    /// (capacity_w × max_utilization) of the root power components.
    pub raw: f64,
    /// `raw` minus the most that one scenario of the family takes away: the
    /// active servers it takes down (cpu, mem_gb), the roots it leaves
    /// without power (power_w).
    pub guaranteed: f64,
    /// raw − guaranteed.
    pub stranded: f64,
    /// The scenario that takes the most (first in scenario order on ties);
    /// None when no scenario of the family takes any.
    pub worst_scenario: Option<String>,
}

/// How many more replicas one service can be given: the headroom `h` is the
/// largest k such that the demand with this service's min_replicas (and
/// max_replicas, when set) raised by k, every other service unchanged, has
/// a placement that passes `check`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Headroom {
    pub service: String,
    pub min_replicas: u32,
    /// h ≥ lower, proven by a placement `check` accepted (today's, or the
    /// planner's for the raised demand). None: no verified placement of
    /// today's demand, nothing is claimed.
    pub lower: Option<u32>,
    /// h ≤ upper, proven by `limit`. −1: not even today's min_replicas can be
    /// kept.
    pub upper: i64,
    /// (min_replicas + lower) / min_replicas and (min_replicas + upper) /
    /// min_replicas: the growth factors proven to fit and proven not to
    /// exceed; None when min_replicas is 0 (or lower is None).
    pub factor_lower: Option<f64>,
    pub factor_upper: Option<f64>,
    /// What proves `upper`.
    pub limit: Limit,
    /// How the search between the bounds ended.
    pub search: SearchEnd,
}

/// What proves a headroom's upper bound: raising min_replicas by upper + 1
/// cannot be placed because...
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum Limit {
    /// ...its eligible servers (active, with every label it requires) hold
    /// only `fit` replicas (by max_per_server, cpu and memory; `per_server`
    /// caps most of them), with nothing failed.
    Servers {
        fit: u32,
        eligible_servers: usize,
        requires: Vec<String>,
        per_server: &'static str,
    },
    /// ...`scenario` (of its survive words, the one that leaves the fewest)
    /// takes down `eligible_down` of its eligible servers and the others hold
    /// only `fit_outside` replicas.
    Scenario {
        scenario: String,
        fit_outside: u32,
        eligible_servers: usize,
        eligible_down: usize,
        requires: Vec<String>,
        per_server: &'static str,
    },
    /// ...the fleet's active servers have `total` cores (GB), the other
    /// services' min_replicas reserve `others`, and each replica takes
    /// `per_replica`.
    Fleet {
        resource: &'static str,
        total: f64,
        others: f64,
        per_replica: f64,
    },
    /// ...the planner proves it (its exact model is a relaxation of `check`),
    /// for these causes.
    Planner { causes: Vec<String> },
}

/// Why the search between the bounds stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SearchEnd {
    /// lower = upper.
    Exact,
    /// The service's share of the time ran out.
    TimeLimit,
    /// The planner neither placed nor refuted a raise in between.
    Undecided,
    /// No verified placement of today's demand to start from.
    NoBase,
}

/// A placement's power loads and single points of failure.
pub struct PlacementMargins {
    /// Whether it passes `check`, and its error count.
    pub passed: bool,
    pub errors: usize,
    /// Every power component, in power.csv order.
    pub power: Vec<PowerLoad>,
    pub single_points: Vec<SinglePoint>,
}

/// One power component under a placement (`verify::power_status`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PowerLoad {
    pub component: String,
    pub kind: String,
    pub datacenter: String,
    /// capacity_w × max_utilization.
    pub limit_w: f64,
    /// Load with nothing failed.
    pub normal_w: f64,
    /// The most load over every scenario of every service's survive words.
    pub worst_w: f64,
    /// The scenario that drives `worst_w`; None when none adds load.
    pub worst_scenario: Option<String>,
    /// False when a `power:P%` search hit its limit: `worst_w` is then a
    /// proven upper bound, not the worst case itself.
    pub exact: bool,
}

/// Computes the margins: guaranteed capacity per family; each service's
/// headroom; with `placement`, its power loads and single points of failure.
pub fn margins(
    inventory: &Inventory,
    services: &Services,
    placement: Option<&Placement>,
    options: &MarginOptions,
    progress: &dyn Fn(&str),
) -> Margins {
    let started = Instant::now();
    let check_options = CheckOptions {
        enumeration_limit: options.enumeration_limit,
    };
    let set = ScenarioSet::expand(inventory, &services.all_words(), options.enumeration_limit);
    let impacts = plan::impacts(inventory, &set);
    let topology = Topology::new(inventory);
    progress("guaranteed capacity");
    let families = guaranteed(inventory, &topology, &set, &impacts);
    let given = placement.map(|p| (p, verify::check(inventory, services, p, check_options)));
    let placement_margins = given.as_ref().map(|(p, report)| {
        progress("power loads and single points of failure");
        let power = verify::power_status(inventory, services, p, check_options)
            .into_iter()
            .map(|s| {
                let c = inventory.power(s.component);
                PowerLoad {
                    component: c.id.clone(),
                    kind: c.kind.clone(),
                    datacenter: inventory.dc(c.datacenter).id.clone(),
                    limit_w: c.limit_w(),
                    normal_w: s.normal_w,
                    worst_w: s.worst_w,
                    worst_scenario: s.worst_scenario,
                    exact: s.exact,
                }
            })
            .collect();
        let index = PlacementIndex::new(inventory, services, p);
        PlacementMargins {
            passed: report.passed(),
            errors: report.errors(),
            power,
            single_points: verify::single_points(inventory, services, &index),
        }
    });
    let plan_options = |seconds: f64| PlanOptions {
        time_limit: Some(seconds.max(0.01)),
        enumeration_limit: options.enumeration_limit,
        // Any verified placement answers "does it fit": no improving.
        gap: 1.0,
        ..PlanOptions::default()
    };
    // The verified placement of today's demand, with the `check` that
    // accepted it (the given placement's, or the one the planner ran).
    let (base, base_placement, base_report) = match given {
        Some((p, report)) if report.passed() => (Base::Given, Some(p.clone()), Some(report)),
        _ => {
            progress("planning today's demand");
            match plan::plan(
                inventory,
                services,
                None,
                &plan_options(options.seconds),
                progress,
            ) {
                Ok(plan) => (Base::Planned, Some(plan.placement), Some(plan.report)),
                Err(PlanError::Infeasible(why)) => (
                    Base::Infeasible {
                        causes: causes(&why),
                    },
                    None,
                    None,
                ),
                Err(PlanError::NotFound(n)) => (Base::NotFound { reason: n.reason }, None, None),
            }
        }
    };
    let base_pair = base_placement.as_ref().zip(base_report.as_ref());
    // Each service gets an even share of what is left, so time a quick
    // search does not use goes to the services after it.
    let deadline = started + std::time::Duration::from_secs_f64(options.seconds);
    let count = services.services.len();
    let headroom = services
        .ids()
        .map(|id| {
            progress(&format!("headroom of {}", services.service(id).name));
            let left = deadline.saturating_duration_since(Instant::now());
            let slots = plan::slots(inventory, &topology, &set, &impacts, services.service(id));
            let search = Search {
                inventory,
                services,
                id,
                check_options,
                deadline: Instant::now() + left / (count - id.index()) as u32,
                plan_options: &plan_options,
            };
            search.run(&slots, base_pair)
        })
        .collect();
    Margins {
        families,
        base,
        services: headroom,
        placement: placement_margins,
    }
}

/// The demand with `id`'s min_replicas, and max_replicas when set, raised by `k`.
pub fn raised(services: &Services, id: ServiceId, k: u32) -> Services {
    let mut out = services.clone();
    let s = &mut out.services[id.index()];
    s.min_replicas += k;
    s.max_replicas = s.max_replicas.map(|m| m + k);
    out
}

/// The messages of the planner's causes, leaving out a group of binding
/// limits it had no time to name (an empty group says nothing).
fn causes(why: &plan::Explanation) -> Vec<String> {
    why.causes
        .iter()
        .filter(|c| !matches!(c, plan::Cause::Binding { limits } if limits.is_empty()))
        .map(|c| c.message())
        .collect()
}

/// Which raise a headroom search tries next.
#[derive(Clone, Copy)]
enum Phase {
    /// The counting bound.
    Counted,
    /// The lower bound plus this step, doubled after each success.
    Gallop(u32),
    /// Halfway between the bounds.
    Bisect,
}

/// One service's headroom search.
struct Search<'a> {
    inventory: &'a Inventory,
    services: &'a Services,
    id: ServiceId,
    check_options: CheckOptions,
    deadline: Instant,
    plan_options: &'a dyn Fn(f64) -> PlanOptions,
}

impl Search<'_> {
    fn run(&self, slots: &Slots, base: Option<(&Placement, &verify::Report)>) -> Headroom {
        let service = self.services.service(self.id);
        let m = service.min_replicas;
        let (mut upper, mut limit) = self.counted(slots);
        let mut end = SearchEnd::NoBase;
        let mut lower = None;
        if let Some((base, report)) = base {
            // Today's placement keeps (worst replicas up − min_replicas) to
            // spare: it passes the demand raised by that much, as `check` says.
            let status = &report.services[self.id.index()];
            let spare = status.worst_up.min(status.up).saturating_sub(m);
            let spare = u32::try_from(i64::from(spare).min(upper.max(0))).unwrap_or(0);
            let mut low = if spare > 0 && self.passes(base, spare) {
                spare
            } else {
                0
            };
            // Raises in (low, high] are still open; `upper` is what is proven.
            let mut high = upper;
            end = SearchEnd::Exact;
            // The counting bound first: it is often exact, and then one plan
            // settles the question. Otherwise gallop up from the lower bound
            // (+1, +2, +4, ...: small raises place quickly), then bisect.
            let mut phase = Phase::Counted;
            while i64::from(low) < high {
                let left = self.deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    end = SearchEnd::TimeLimit;
                    break;
                }
                let (k, seconds) = match phase {
                    Phase::Counted => (high as u32, left.as_secs_f64() / 2.0),
                    Phase::Gallop(step) => ((low + step).min(high as u32), left.as_secs_f64()),
                    Phase::Bisect => (low + (high as u32 - low).div_ceil(2), left.as_secs_f64()),
                };
                let raised = raised(self.services, self.id, k);
                let options = (self.plan_options)(seconds);
                let placed = match plan::plan(self.inventory, &raised, None, &options, &|_| {}) {
                    Ok(plan) => plan.report.passed(),
                    Err(PlanError::Infeasible(why)) => {
                        upper = i64::from(k) - 1;
                        limit = Limit::Planner {
                            causes: causes(&why),
                        };
                        false
                    }
                    Err(PlanError::NotFound(_)) => {
                        end = if self.deadline <= Instant::now() {
                            SearchEnd::TimeLimit
                        } else {
                            SearchEnd::Undecided
                        };
                        false
                    }
                };
                if placed {
                    low = k;
                    if let Phase::Gallop(step) = phase {
                        phase = Phase::Gallop(step.saturating_mul(2));
                    }
                } else {
                    // Not placed: raises from k up are left alone (refuted,
                    // or undecided and so not claimed either way).
                    high = i64::from(k) - 1;
                    phase = match phase {
                        Phase::Counted => Phase::Gallop(1),
                        _ => Phase::Bisect,
                    };
                }
            }
            if i64::from(low) < upper && end == SearchEnd::Exact {
                end = SearchEnd::Undecided;
            }
            lower = Some(low);
        }
        let factor = |k: i64| (m > 0).then(|| (i64::from(m) + k) as f64 / f64::from(m));
        Headroom {
            service: service.name.clone(),
            min_replicas: m,
            lower,
            upper,
            factor_lower: lower.and_then(|l| factor(i64::from(l))),
            factor_upper: factor(upper),
            limit,
            search: end,
        }
    }

    /// Whether `placement` passes `check` with the demand raised by `k`.
    fn passes(&self, placement: &Placement, k: u32) -> bool {
        let raised = raised(self.services, self.id, k);
        verify::check(self.inventory, &raised, placement, self.check_options).passed()
    }

    /// The counting bounds: the service alone on its eligible servers, and the
    /// whole fleet's cores and memory; the smallest, first in that order.
    fn counted(&self, slots: &Slots) -> (i64, Limit) {
        let service = self.services.service(self.id);
        let m = i64::from(service.min_replicas);
        let mut best = match &slots.worst {
            Some((fit_outside, eligible_down, scenario)) if *fit_outside < slots.total => (
                i64::from(*fit_outside) - m,
                Limit::Scenario {
                    scenario: scenario.clone(),
                    fit_outside: *fit_outside,
                    eligible_servers: slots.eligible_servers,
                    eligible_down: *eligible_down,
                    requires: service.requires.clone(),
                    per_server: slots.per_server,
                },
            ),
            _ => (
                i64::from(slots.total) - m,
                Limit::Servers {
                    fit: slots.total,
                    eligible_servers: slots.eligible_servers,
                    requires: service.requires.clone(),
                    per_server: slots.per_server,
                },
            ),
        };
        let active = || {
            self.inventory
                .servers
                .iter()
                .filter(|s| s.status == Status::Active)
        };
        let others = |size: fn(&crate::inventory::Service) -> f64| -> f64 {
            self.services
                .ids()
                .filter(|&t| t != self.id)
                .map(|t| {
                    let s = self.services.service(t);
                    f64::from(s.min_replicas) * size(s)
                })
                .sum()
        };
        let fleet: [(&'static str, f64, f64, f64); 2] = [
            (
                "cpu",
                active().map(|s| s.cpu).sum(),
                others(|s| s.cpu),
                service.cpu,
            ),
            (
                "mem_gb",
                active().map(|s| s.mem_gb).sum(),
                others(|s| s.mem_gb),
                service.mem_gb,
            ),
        ];
        for (resource, total, others, per_replica) in fleet {
            if per_replica <= 0.0 {
                continue;
            }
            let most = ((total - others) / per_replica + 1e-9).floor() as i64;
            if most - m < best.0 {
                best = (
                    (most - m).max(-1),
                    Limit::Fleet {
                        resource,
                        total,
                        others,
                        per_replica,
                    },
                );
            }
        }
        (best.0.max(-1), best.1)
    }
}

/// Per word of `set` (one per survive word used), cpu, mem_gb and power_w.
fn guaranteed(
    inventory: &Inventory,
    topology: &Topology,
    set: &ScenarioSet,
    impacts: &[Impact],
) -> Vec<FamilyCapacity> {
    let is_active = |s: &crate::inventory::ServerId| inventory.server(*s).status == Status::Active;
    let lost = |impact: &Impact| -> [f64; 3] {
        let down = impact.down.iter().filter(|s| is_active(s));
        [
            down.clone().map(|s| inventory.server(*s).cpu).sum(),
            down.map(|s| inventory.server(*s).mem_gb).sum(),
            impact
                .unpowered
                .iter()
                .map(|p| inventory.power(*p))
                .filter(|c| c.is_root())
                .map(|c| c.limit_w())
                .sum(),
        ]
    };
    let active = || {
        inventory
            .servers
            .iter()
            .filter(|s| s.status == Status::Active)
    };
    let raw = [
        active().map(|s| s.cpu).sum(),
        active().map(|s| s.mem_gb).sum(),
        inventory
            .power
            .iter()
            .filter(|c| c.is_root())
            .map(|c| c.limit_w())
            .sum::<f64>(),
    ];
    let mut out = Vec::new();
    for (w, word) in set.words.iter().enumerate() {
        let mut worst: [(f64, Option<String>); 3] = Default::default();
        let mut raise = |loss: [f64; 3], name: &str| {
            for (r, l) in loss.into_iter().enumerate() {
                if l > worst[r].0 + 1e-9 {
                    worst[r] = (l, Some(name.to_string()));
                }
            }
        };
        for (i, scenario) in set.scenarios.iter().enumerate() {
            // A dominated set loses no more servers or roots than its superset.
            if scenario.words.iter().any(|m| m.word == w && !m.dominated) {
                raise(lost(&impacts[i]), &scenario.name);
            }
        }
        for family in set.families.iter().filter(|f| f.word == w) {
            // The worst set per resource, searched in whole milli-units, and
            // its loss then counted exactly.
            for r in 0..3 {
                let (_, members) = family.worst(|members: &[PowerId]| {
                    let failed: Vec<Component> =
                        members.iter().map(|p| Component::Power(*p)).collect();
                    (lost(&topology.impact(&failed))[r] * 1000.0).round() as u64
                });
                if members.is_empty() {
                    continue;
                }
                let failed: Vec<Component> = members.iter().map(|p| Component::Power(*p)).collect();
                let names: Vec<&str> = members
                    .iter()
                    .map(|p| inventory.power(*p).id.as_str())
                    .collect();
                let mut loss = [0.0; 3];
                loss[r] = lost(&topology.impact(&failed))[r];
                raise(loss, &format!("{word} {}", names.join("+")));
            }
        }
        for (r, resource) in ["cpu", "mem_gb", "power_w"].into_iter().enumerate() {
            out.push(FamilyCapacity {
                family: word.to_string(),
                resource,
                raw: raw[r],
                guaranteed: raw[r] - worst[r].0,
                stranded: worst[r].0,
                worst_scenario: worst[r].1.clone(),
            });
        }
    }
    out
}
