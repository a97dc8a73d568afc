//! The fleet's safety margins (`faultplan capacity` with no growth): what the
//! guarantees leave usable (guaranteed.rs), how far each service can grow
//! (headroom.rs), and, for a running placement, its power loads and single
//! points of failure.
//!
//! A claim is a proof or it is not made. Every number here is either counted
//! from the inventory (guaranteed capacity, the counting bound of a
//! service's headroom), or backed by a placement `verify::check` accepted (a
//! headroom's lower bound), or by the planner's proof of infeasibility (its
//! exact model is a relaxation of `verify`). A search that runs out of time
//! leaves the bounds it had, never a guess.

use std::time::Instant;

use serde::Serialize;

use super::guaranteed::{guaranteed, FamilyCapacity};
use super::headroom::{causes, Headroom, Search};
use crate::inventory::{Inventory, Placement, Services};
use crate::plan::{self, PlanError, PlanOptions};
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
        placement_margins(inventory, services, p, report, check_options)
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
        _ => plan_today(
            inventory,
            services,
            &plan_options(options.seconds),
            progress,
        ),
    };
    let base_pair = base_placement.as_ref().zip(base_report.as_ref());
    let searches = Searches {
        inventory,
        services,
        set: &set,
        impacts: &impacts,
        topology: &topology,
        check_options,
        plan_options: &plan_options,
        // Each service gets an even share of what is left, so time a quick
        // search does not use goes to the services after it.
        deadline: started + std::time::Duration::from_secs_f64(options.seconds),
    };
    let headroom = searches.run(base_pair, progress);
    Margins {
        families,
        base,
        services: headroom,
        placement: placement_margins,
    }
}

/// The power loads and single points of failure of a placement `check`
/// gave `report` on.
fn placement_margins(
    inventory: &Inventory,
    services: &Services,
    placement: &Placement,
    report: &verify::Report,
    check_options: CheckOptions,
) -> PlacementMargins {
    let power = verify::power_status(inventory, services, placement, check_options)
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
    let index = PlacementIndex::new(inventory, services, placement);
    PlacementMargins {
        passed: report.passed(),
        errors: report.errors(),
        power,
        single_points: verify::single_points(inventory, services, &index),
    }
}

/// The verified placement of today's demand, with the `check` that
/// accepted it, planned when none was given or the given one breaks a
/// guarantee.
fn plan_today(
    inventory: &Inventory,
    services: &Services,
    options: &PlanOptions,
    progress: &dyn Fn(&str),
) -> (Base, Option<Placement>, Option<verify::Report>) {
    progress("planning today's demand");
    match plan::plan(inventory, services, None, options, progress) {
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

/// Every service's headroom search, and what they share.
struct Searches<'a> {
    inventory: &'a Inventory,
    services: &'a Services,
    set: &'a ScenarioSet,
    impacts: &'a [Impact],
    topology: &'a Topology<'a>,
    check_options: CheckOptions,
    plan_options: &'a dyn Fn(f64) -> PlanOptions,
    /// When the margins' time is up.
    deadline: Instant,
}

impl Searches<'_> {
    /// Per service, in services.toml order, its headroom from `base`.
    fn run(
        &self,
        base: Option<(&Placement, &verify::Report)>,
        progress: &dyn Fn(&str),
    ) -> Vec<Headroom> {
        let services = self.services;
        let count = services.services.len();
        services
            .ids()
            .map(|id| {
                progress(&format!("headroom of {}", services.service(id).name));
                let left = self.deadline.saturating_duration_since(Instant::now());
                let slots = plan::slots(
                    self.inventory,
                    self.topology,
                    self.set,
                    self.impacts,
                    services.service(id),
                );
                let search = Search {
                    inventory: self.inventory,
                    services,
                    id,
                    check_options: self.check_options,
                    deadline: Instant::now() + left / (count - id.index()) as u32,
                    plan_options: self.plan_options,
                };
                search.run(&slots, base)
            })
            .collect()
    }
}
