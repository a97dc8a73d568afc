//! One service's headroom: how many more replicas it can be given, between a
//! lower bound backed by a placement `check` accepted and an upper bound
//! counted from the inventory or proven by the planner.

use std::time::Instant;

use serde::Serialize;

use crate::inventory::{Inventory, Placement, ServiceId, Services, Status};
use crate::plan::{self, PlanError, PlanOptions, Slots};
use crate::verify::{self, CheckOptions};

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
pub(super) fn causes(why: &plan::Explanation) -> Vec<String> {
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

impl Phase {
    /// The raise to try with the bounds at (`low`, `high`], and the
    /// seconds of `left` it gets.
    fn raise(self, low: u32, high: i64, left: std::time::Duration) -> (u32, f64) {
        match self {
            Phase::Counted => (high as u32, left.as_secs_f64() / 2.0),
            Phase::Gallop(step) => ((low + step).min(high as u32), left.as_secs_f64()),
            Phase::Bisect => (low + (high as u32 - low).div_ceil(2), left.as_secs_f64()),
        }
    }

    /// The phase after a raise was placed or not.
    fn after(self, placed: bool) -> Phase {
        match (self, placed) {
            (Phase::Gallop(step), true) => Phase::Gallop(step.saturating_mul(2)),
            (phase, true) => phase,
            (Phase::Counted, false) => Phase::Gallop(1),
            (_, false) => Phase::Bisect,
        }
    }
}

/// A headroom's upper bound and what proves it.
struct Upper {
    upper: i64,
    limit: Limit,
}

/// One service's headroom search.
pub(super) struct Search<'a> {
    pub inventory: &'a Inventory,
    pub services: &'a Services,
    pub id: ServiceId,
    pub check_options: CheckOptions,
    pub deadline: Instant,
    pub plan_options: &'a dyn Fn(f64) -> PlanOptions,
}

impl Search<'_> {
    pub(super) fn run(
        &self,
        slots: &Slots,
        base: Option<(&Placement, &verify::Report)>,
    ) -> Headroom {
        let (upper, limit) = self.counted(slots);
        let mut proven = Upper { upper, limit };
        let (lower, end) = match base {
            Some((base, report)) => {
                let (low, end) = self.between(base, report, &mut proven);
                (Some(low), end)
            }
            None => (None, SearchEnd::NoBase),
        };
        let service = self.services.service(self.id);
        let m = service.min_replicas;
        let factor = |k: i64| (m > 0).then(|| (i64::from(m) + k) as f64 / f64::from(m));
        Headroom {
            service: service.name.clone(),
            min_replicas: m,
            lower,
            upper: proven.upper,
            factor_lower: lower.and_then(|l| factor(i64::from(l))),
            factor_upper: factor(proven.upper),
            limit: proven.limit,
            search: end,
        }
    }

    /// The search between the bounds, from today's verified placement:
    /// the lower bound proven and how the search ended; `proven` is
    /// lowered when the planner refutes a raise.
    fn between(
        &self,
        base: &Placement,
        report: &verify::Report,
        proven: &mut Upper,
    ) -> (u32, SearchEnd) {
        let mut low = self.spare(base, report, proven.upper);
        // Raises in (low, high] are still open; `upper` is what is proven.
        let mut high = proven.upper;
        let mut end = SearchEnd::Exact;
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
            let (k, seconds) = phase.raise(low, high, left);
            let placed = self.try_raise(k, seconds, proven, &mut end);
            if placed {
                low = k;
            } else {
                // Not placed: raises from k up are left alone (refuted,
                // or undecided and so not claimed either way).
                high = i64::from(k) - 1;
            }
            phase = phase.after(placed);
        }
        if i64::from(low) < proven.upper && end == SearchEnd::Exact {
            end = SearchEnd::Undecided;
        }
        (low, end)
    }

    /// Today's placement keeps (worst replicas up − min_replicas) to
    /// spare: it passes the demand raised by that much, as `check` says.
    /// That spare (at most `upper`) when `check` confirms it, else 0.
    fn spare(&self, base: &Placement, report: &verify::Report, upper: i64) -> u32 {
        let m = self.services.service(self.id).min_replicas;
        let status = &report.services[self.id.index()];
        let spare = status.worst_up.min(status.up).saturating_sub(m);
        let spare = u32::try_from(i64::from(spare).min(upper.max(0))).unwrap_or(0);
        if spare > 0 && self.passes(base, spare) {
            spare
        } else {
            0
        }
    }

    /// Plans the demand raised by `k` within `seconds`: whether a placement
    /// `check` accepts was found. A proof that none exists lowers
    /// `proven`; "not found" sets `end`.
    fn try_raise(&self, k: u32, seconds: f64, proven: &mut Upper, end: &mut SearchEnd) -> bool {
        let raised = raised(self.services, self.id, k);
        let options = (self.plan_options)(seconds);
        match plan::plan(self.inventory, &raised, None, &options, &|_| {}) {
            Ok(plan) => plan.report.passed(),
            Err(PlanError::Infeasible(why)) => {
                proven.upper = i64::from(k) - 1;
                proven.limit = Limit::Planner {
                    causes: causes(&why),
                };
                false
            }
            Err(PlanError::NotFound(_)) => {
                *end = if self.deadline <= Instant::now() {
                    SearchEnd::TimeLimit
                } else {
                    SearchEnd::Undecided
                };
                false
            }
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
