//! Why no placement exists, computed by faultplan (the solver only says
//! "infeasible"): structural causes found without the solver; otherwise the
//! limits that bind, found by leaving groups of limits out of the exact model
//! one at a time (a group is needed when the model without it has a
//! placement), and the replicas that fall short when the guarantees may.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::inventory::{Inventory, Service, ServiceId, Services};
use crate::scenarios::ScenarioSet;
use crate::topology::{Impact, Topology};

use super::model::Model;
use super::request::{Goal, Relax, Scope};
use super::search::Search;
use super::slots::{slots, Slots};

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "cause", rename_all = "kebab-case")]
pub enum Cause {
    /// No active server has every label the service requires.
    NoEligibleServer {
        service: String,
        requires: Vec<String>,
        needed: u32,
    },
    /// Even with nothing failed, the eligible servers hold fewer replicas than needed.
    TooFewEligibleServers {
        service: String,
        needed: u32,
        fit: u32,
        eligible_servers: usize,
    },
    /// A scenario the service must survive takes down so many eligible servers
    /// that the rest cannot hold min_replicas.
    ScenarioLeavesTooFew {
        service: String,
        scenario: String,
        needed: u32,
        fit_outside: u32,
        eligible_servers: usize,
        eligible_down: usize,
        requires: Vec<String>,
    },
    /// The limits that cannot all be met together: leaving any one of them
    /// out of the exact model lets a placement exist.
    Binding { limits: Vec<Limit> },
    /// With the guarantees allowed to fall short, these replicas are missing.
    Shortfall {
        scenario: Option<String>,
        services: Vec<String>,
        replicas: f64,
    },
}

impl Cause {
    pub fn message(&self) -> String {
        let labels = |requires: &[String]| {
            if requires.is_empty() {
                String::new()
            } else {
                format!(" with {}", requires.join(", "))
            }
        };
        match self {
            Cause::NoEligibleServer { service, requires, needed } => format!(
                "{service} requires {}; no active server has {}, so none of its {needed} replicas can be placed",
                requires.join(", "),
                if requires.len() > 1 { "them all" } else { "it" }
            ),
            Cause::TooFewEligibleServers { service, needed, fit, eligible_servers } => format!(
                "{service} needs {needed} replicas but its {eligible_servers} eligible servers hold only {fit} (max_per_server, cpu and memory)"
            ),
            Cause::ScenarioLeavesTooFew { service, scenario, needed, fit_outside, eligible_servers, eligible_down, requires } => {
                if *fit_outside == 0 {
                    format!(
                        "{service}: all {eligible_servers} active servers{} go down when {scenario} fails, so no placement survives it ({needed} replicas must stay up)",
                        labels(requires)
                    )
                } else {
                    format!(
                        "{service}: {scenario} takes down {eligible_down} of its {eligible_servers} eligible servers{}; the rest hold only {fit_outside} of the {needed} replicas that must stay up",
                        labels(requires)
                    )
                }
            }
            Cause::Binding { limits } => {
                let list: Vec<String> = limits.iter().map(Limit::message).collect();
                format!("these limits cannot all be met: {}", list.join("; "))
            }
            Cause::Shortfall { scenario, services, replicas } => {
                let replicas = crate::verify::round(*replicas);
                let when = match scenario {
                    Some(s) => format!("when {s} fails"),
                    None => "with nothing failed".to_string(),
                };
                format!(
                    "{} short by {replicas} replica{} {when}",
                    services.join(", "),
                    if replicas == 1.0 { "" } else { "s" },
                )
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explanation {
    pub causes: Vec<Cause>,
    /// Things that weaken guarantees without making them infeasible.
    pub notes: Vec<String>,
}

/// Causes visible without the solver: each service alone, ignoring the others.
pub fn structural(
    inventory: &Inventory,
    services: &Services,
    set: &ScenarioSet,
    impacts: &[Impact],
) -> Explanation {
    let topology = Topology::new(inventory);
    let mut causes = Vec::new();
    // Services of the same shape and words share their slots (min_replicas
    // does not enter them): one count per shape, not per service, since each
    // count reads every server.
    type Shape = (Vec<String>, [u64; 2], u32, Vec<String>);
    let mut shapes: BTreeMap<Shape, Vec<usize>> = BTreeMap::new();
    for (i, s) in services.services.iter().enumerate() {
        let key = (
            s.requires.clone(),
            [s.cpu.to_bits(), s.mem_gb.to_bits()],
            s.max_per_server,
            s.survive.iter().map(ToString::to_string).collect(),
        );
        shapes.entry(key).or_default().push(i);
    }
    for members in shapes.values() {
        let slots = slots(
            inventory,
            &topology,
            set,
            impacts,
            &services.services[members[0]],
        );
        for &i in members {
            if let Some(cause) = structural_cause(&services.services[i], &slots) {
                causes.push(cause);
            }
        }
    }
    causes.sort_by_key(|c| match c {
        Cause::NoEligibleServer { service, .. }
        | Cause::TooFewEligibleServers { service, .. }
        | Cause::ScenarioLeavesTooFew { service, .. } => services.lookup(service),
        _ => None,
    });
    Explanation {
        causes,
        notes: set.vacuous_notes(inventory),
    }
}

/// What keeps one service from its guarantee alone on the fleet, given the
/// slots of its shape.
fn structural_cause(service: &Service, slots: &Slots) -> Option<Cause> {
    let needed = service.min_replicas;
    if slots.eligible_servers == 0 {
        return (needed > 0).then(|| Cause::NoEligibleServer {
            service: service.name.clone(),
            requires: service.requires.clone(),
            needed,
        });
    }
    if slots.total < needed {
        return Some(Cause::TooFewEligibleServers {
            service: service.name.clone(),
            needed,
            fit: slots.total,
            eligible_servers: slots.eligible_servers,
        });
    }
    let (fit_outside, eligible_down, scenario) = slots.worst.as_ref().filter(|w| w.0 < needed)?;
    Some(Cause::ScenarioLeavesTooFew {
        service: service.name.clone(),
        scenario: scenario.clone(),
        needed,
        fit_outside: *fit_outside,
        eligible_servers: slots.eligible_servers,
        eligible_down: *eligible_down,
        requires: service.requires.clone(),
    })
}

/// A group of limits of FORMATS.md that binds.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "limit", rename_all = "kebab-case")]
pub enum Limit {
    /// Servers' cores.
    Cpu,
    /// Servers' memory.
    Memory,
    /// max_per_server of the services.
    MaxPerServer,
    /// max_replicas of the services.
    MaxReplicas,
    /// Power components' limits with nothing failed; the components a
    /// placement would overload if these limits were left out.
    PowerNormal { components: Vec<String> },
    /// Power components' limits once load fails over.
    PowerFailover { components: Vec<String> },
    /// --max-moves from the current placement.
    MaxMoves { max_moves: u32 },
    /// Nothing can be left out: the services' labels and failure sets alone.
    Placement,
}

impl Limit {
    pub fn message(&self) -> String {
        let over = |components: &[String]| {
            if components.is_empty() {
                String::new()
            } else {
                format!(
                    " (left out, these would be over: {})",
                    components.join(", ")
                )
            }
        };
        match self {
            Limit::Cpu => "the servers' cores".into(),
            Limit::Memory => "the servers' memory".into(),
            Limit::MaxPerServer => "max_per_server".into(),
            Limit::MaxReplicas => "max_replicas".into(),
            Limit::PowerNormal { components } => {
                format!("power limits with nothing failed{}", over(components))
            }
            Limit::PowerFailover { components } => {
                format!("power limits once load fails over{}", over(components))
            }
            Limit::MaxMoves { max_moves } => format!("--max-moves {max_moves}"),
            Limit::Placement => {
                "the eligible servers and the failure sets the services must survive".into()
            }
        }
    }
}

/// The components (with their scenario) that `counts` would overload, of the
/// rows with nothing failed (`normal`) or of those once load fails over; the
/// first five by name.
fn over_limit(model: &Model, counts: &super::model::Counts, normal: bool) -> Vec<String> {
    let mut names: Vec<String> = model
        .power
        .iter()
        .filter(|row| row.scenario.is_none() == normal)
        .filter(|row| model.row_load(row, counts) > row.limit_w + 1e-6)
        .map(|row| {
            let component = &model.inventory.power(row.component).id;
            match row.scenario {
                Some(i) => format!("{component} when {} fails", model.power_scenarios[i].0),
                None => component.clone(),
            }
        })
        .collect();
    names.sort();
    names.dedup();
    names.truncate(5);
    names
}

/// Seconds at most for each test of the deletion filter.
const TEST_SECONDS: f64 = 10.0;

/// Why the exact model, a relaxation of `verify`, has no placement: the
/// smallest group of limits it still has none without (a deletion filter:
/// drop each group in turn, keep it dropped when the rest stays infeasible),
/// then the replicas that fall short with every limit held.
pub fn proven(search: &mut Search, model: &Model, set: &ScenarioSet) -> Explanation {
    search.say("infeasible: finding the limits that bind");
    let moves = search
        .options
        .max_moves
        .filter(|_| search.current.is_some());
    let filter = deletion_filter(search, model, moves.is_some());
    let mut settings = super::exact::settings(search, search.remaining().clamp(1.0, TEST_SECONDS));
    settings.slack = true;
    settings.relax = filter.dropped;
    search.solves += 1;
    let slack = model.solve(Goal::Cost, &[], Scope::Whole, &settings).ok();
    let limits = filter.limits(moves);
    let mut causes = vec![Cause::Binding {
        limits: if limits.is_empty() {
            vec![Limit::Placement]
        } else {
            limits
        },
    }];
    causes.extend(shortfalls(
        model,
        slack.map(|o| o.shortfalls).unwrap_or_default(),
    ));
    Explanation {
        causes,
        notes: set.vacuous_notes(model.inventory),
    }
}

/// What the deletion filter found: the groups of limits left out, those
/// needed (by index into [`deletion_filter`]'s list), and per power group the
/// components its leaving out let a placement overload.
struct Filter {
    dropped: Relax,
    needed: Vec<usize>,
    overloaded: [Vec<String>; 2],
}

impl Filter {
    fn limits(self, moves: Option<u32>) -> Vec<Limit> {
        let [normal, failover] = self.overloaded;
        self.needed
            .iter()
            .map(|g| match g {
                0 => Limit::Cpu,
                1 => Limit::Memory,
                2 => Limit::MaxPerServer,
                3 => Limit::MaxReplicas,
                4 => Limit::PowerNormal {
                    components: normal.clone(),
                },
                5 => Limit::PowerFailover {
                    components: failover.clone(),
                },
                _ => Limit::MaxMoves {
                    max_moves: moves.unwrap_or(0),
                },
            })
            .collect()
    }
}

/// Drops each group of limits in turn (--max-moves only when `moves`), and
/// keeps it dropped when the model stays infeasible without it.
fn deletion_filter(search: &mut Search, model: &Model, moves: bool) -> Filter {
    let groups: Vec<fn(&mut Relax)> = vec![
        |r| r.cpu = true,
        |r| r.mem = true,
        |r| r.max_per_server = true,
        |r| r.max_replicas = true,
        |r| r.power_normal = true,
        |r| r.power_failover = true,
        |r| r.max_moves = true,
    ];
    let mut dropped = Relax::default();
    let mut needed = Vec::new();
    // Per power group: the components its leaving out let a placement overload.
    let mut overloaded: [Vec<String>; 2] = [Vec::new(), Vec::new()];
    for (g, drop) in groups.iter().enumerate() {
        if g == 6 && !moves {
            continue;
        }
        let mut trial = dropped;
        drop(&mut trial);
        let mut settings =
            super::exact::settings(search, search.remaining().clamp(1.0, TEST_SECONDS));
        settings.relax = trial;
        search.solves += 1;
        match model.solve(Goal::Feasible, &[], Scope::Whole, &settings) {
            // Still no placement without this group: it is not needed.
            Err(good_lp::ResolutionError::Infeasible) => dropped = trial,
            Ok(outcome) => {
                if g == 4 || g == 5 {
                    overloaded[g - 4] = over_limit(model, &outcome.counts, g == 4);
                }
                needed.push(g);
            }
            // Undecided: the group stays, as it may be needed.
            Err(_) => needed.push(g),
        }
    }
    Filter {
        dropped,
        needed,
        overloaded,
    }
}

/// The replicas short per scenario (None: with nothing failed), with the
/// services short in it, from the slack solve's shortfalls.
fn shortfalls(model: &Model, shortfalls: Vec<(ServiceId, Option<usize>, f64)>) -> Vec<Cause> {
    let mut by_scenario: BTreeMap<Option<String>, (Vec<String>, f64)> = BTreeMap::new();
    for (id, which, replicas) in shortfalls {
        let scenario = which.map(|j| model.survival(id).names[j].clone());
        let entry = by_scenario.entry(scenario).or_default();
        let name = &model.services.service(id).name;
        if !entry.0.contains(name) {
            entry.0.push(name.clone());
        }
        entry.1 += replicas;
    }
    by_scenario
        .into_iter()
        .map(|(scenario, (services, replicas))| Cause::Shortfall {
            scenario,
            services,
            replicas,
        })
        .collect()
}
