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
