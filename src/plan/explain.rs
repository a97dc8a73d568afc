//! Why no placement exists, computed by faultplan (the solver only says
//! "infeasible"): structural causes found without the solver, then shortfalls
//! measured by letting the guarantees fall short at a price.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::inventory::{Component, Inventory, ServerId, Services, Status};
use crate::scenarios::ScenarioSet;
use crate::topology::Topology;

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
    /// With the guarantees allowed to fall short, this is what is missing.
    Shortfall {
        scenario: Option<String>,
        services: Vec<String>,
        replicas: f64,
        cpu: f64,
        mem_gb: f64,
    },
    /// A placement exists, but not within --max-moves of the current one.
    MoveLimit { max_moves: u32 },
    /// The solver found no placement and no shortfall explains it (power limits
    /// exceeded by idle draw, for instance).
    Unexplained { detail: String },
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
            Cause::Shortfall { scenario, services, replicas, cpu, mem_gb } => {
                let when = match scenario {
                    Some(s) => format!("under scenario {s}, the surviving servers lack"),
                    None => "with nothing failed, the fleet lacks".to_string(),
                };
                let replicas = crate::verify::round(*replicas);
                format!(
                    "{when} {} cores / {} GB ({replicas} replica{}) for {}",
                    crate::verify::round(*cpu),
                    crate::verify::round(*mem_gb),
                    if replicas == 1.0 { "" } else { "s" },
                    services.join(", ")
                )
            }
            Cause::MoveLimit { max_moves } => {
                format!("the placement is limited to --max-moves {max_moves} from the current one; a larger limit may allow a safe placement")
            }
            Cause::Unexplained { detail } => format!("no placement satisfies every limit: {detail}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explanation {
    pub causes: Vec<Cause>,
    /// Things that weaken guarantees without making them infeasible.
    pub notes: Vec<String>,
}

/// How many replicas of a shape fit on one server.
fn fit(inventory: &Inventory, server: ServerId, cpu: f64, mem_gb: f64, max_per_server: u32) -> u32 {
    let s = inventory.server(server);
    let mut n = f64::from(max_per_server);
    if cpu > 0.0 {
        n = n.min((s.cpu / cpu + 1e-9).floor());
    }
    if mem_gb > 0.0 {
        n = n.min((s.mem_gb / mem_gb + 1e-9).floor());
    }
    n.max(0.0) as u32
}

/// Causes visible without the solver: each service alone, ignoring the others.
pub fn structural(inventory: &Inventory, services: &Services, set: &ScenarioSet) -> Explanation {
    let topology = Topology::new(inventory);
    let mut causes = Vec::new();
    // Services of the same shape and words share every answer below.
    type Shape = (Vec<String>, [u64; 2], u32, u32, Vec<String>);
    let mut shapes: BTreeMap<Shape, Vec<usize>> = BTreeMap::new();
    for (i, s) in services.services.iter().enumerate() {
        let key = (
            s.requires.clone(),
            [s.cpu.to_bits(), s.mem_gb.to_bits()],
            s.max_per_server,
            s.min_replicas,
            s.survive.iter().map(ToString::to_string).collect(),
        );
        shapes.entry(key).or_default().push(i);
    }
    let downs: Vec<Vec<ServerId>> = set
        .scenarios
        .iter()
        .map(|s| topology.impact(&s.failed).down)
        .collect();
    for members in shapes.values() {
        let service = &services.services[members[0]];
        let eligible: Vec<ServerId> = inventory
            .server_ids()
            .filter(|s| {
                let server = inventory.server(*s);
                server.status == Status::Active && server.has_labels(&service.requires)
            })
            .collect();
        let fits: Vec<u32> = eligible
            .iter()
            .map(|s| {
                fit(
                    inventory,
                    *s,
                    service.cpu,
                    service.mem_gb,
                    service.max_per_server,
                )
            })
            .collect();
        let total: u32 = fits.iter().sum();
        if eligible.is_empty() && service.min_replicas > 0 {
            for &i in members {
                causes.push(Cause::NoEligibleServer {
                    service: services.services[i].name.clone(),
                    requires: service.requires.clone(),
                    needed: service.min_replicas,
                });
            }
        } else if total < service.min_replicas {
            for &i in members {
                causes.push(Cause::TooFewEligibleServers {
                    service: services.services[i].name.clone(),
                    needed: service.min_replicas,
                    fit: total,
                    eligible_servers: eligible.len(),
                });
            }
            continue;
        }
        if eligible.is_empty() {
            continue;
        }
        let mut fit_on = vec![0u32; inventory.servers.len()];
        let mut is_eligible = vec![false; inventory.servers.len()];
        for (s, f) in eligible.iter().zip(&fits) {
            fit_on[s.index()] = *f;
            is_eligible[s.index()] = true;
        }
        let lost_fit = |down: &[ServerId]| -> (u32, usize) {
            let lost = down.iter().map(|s| fit_on[s.index()]).sum();
            let count = down.iter().filter(|s| is_eligible[s.index()]).count();
            (lost, count)
        };
        let mut worst: Option<(u32, usize, String)> = None;
        for (index, scenario) in set.scenarios.iter().enumerate() {
            let applies = scenario
                .words
                .iter()
                .any(|m| !m.dominated && service.survive.contains(&set.words[m.word]));
            if !applies {
                continue;
            }
            let (lost, count) = lost_fit(&downs[index]);
            if total - lost < service.min_replicas
                && worst.as_ref().is_none_or(|w| total - lost < w.0)
            {
                worst = Some((total - lost, count, scenario.name.clone()));
            }
        }
        for family in set
            .families
            .iter()
            .filter(|f| service.survive.contains(&set.words[f.word]))
        {
            let (lost, members_set) = family.worst(|m| {
                let failed: Vec<Component> = m.iter().map(|p| Component::Power(*p)).collect();
                u64::from(lost_fit(&topology.impact(&failed).down).0)
            });
            let lost = lost as u32;
            if total - lost < service.min_replicas
                && worst.as_ref().is_none_or(|w| total - lost < w.0)
            {
                let failed: Vec<Component> =
                    members_set.iter().map(|p| Component::Power(*p)).collect();
                let count = lost_fit(&topology.impact(&failed).down).1;
                let names: Vec<&str> = members_set
                    .iter()
                    .map(|p| inventory.power(*p).id.as_str())
                    .collect();
                worst = Some((
                    total - lost,
                    count,
                    format!("{} {}", set.words[family.word], names.join("+")),
                ));
            }
        }
        if let Some((fit_outside, eligible_down, scenario)) = worst {
            for &i in members {
                causes.push(Cause::ScenarioLeavesTooFew {
                    service: services.services[i].name.clone(),
                    scenario: scenario.clone(),
                    needed: service.min_replicas,
                    fit_outside,
                    eligible_servers: eligible.len(),
                    eligible_down,
                    requires: service.requires.clone(),
                });
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

/// The explanation from the slack solve's shortfalls, grouped by scenario.
pub fn from_shortfalls(
    inventory: &Inventory,
    services: &Services,
    set: &ScenarioSet,
    shortfalls: Option<Vec<(crate::inventory::ServiceId, Option<String>, f64)>>,
    max_moves: Option<u32>,
) -> Explanation {
    let mut causes = Vec::new();
    match shortfalls {
        Some(shortfalls) if !shortfalls.is_empty() => {
            let mut by_scenario: BTreeMap<Option<String>, (Vec<String>, f64, f64, f64)> = BTreeMap::new();
            for (id, scenario, replicas) in shortfalls {
                let service = services.service(id);
                let entry = by_scenario.entry(scenario).or_default();
                if !entry.0.contains(&service.name) {
                    entry.0.push(service.name.clone());
                }
                entry.1 += replicas;
                entry.2 += replicas * service.cpu;
                entry.3 += replicas * service.mem_gb;
            }
            let mut list: Vec<Cause> = by_scenario
                .into_iter()
                .map(|(scenario, (services, replicas, cpu, mem_gb))| Cause::Shortfall { scenario, services, replicas, cpu, mem_gb })
                .collect();
            list.sort_by(|a, b| match (a, b) {
                (Cause::Shortfall { cpu: x, scenario: sa, .. }, Cause::Shortfall { cpu: y, scenario: sb, .. }) => {
                    y.total_cmp(x).then_with(|| sa.cmp(sb))
                }
                _ => std::cmp::Ordering::Equal,
            });
            causes.extend(list);
        }
        Some(_) if max_moves.is_some() => causes.push(Cause::MoveLimit { max_moves: max_moves.unwrap_or(0) }),
        Some(_) => causes.push(Cause::Unexplained {
            detail: "every service can get its replicas, but not within the power limits under failover".into(),
        }),
        None => causes.push(Cause::Unexplained {
            detail: "even with guarantees allowed to fall short, the power limits cannot be met (idle draw alone may exceed a limit)".into(),
        }),
    }
    if let Some(max_moves) = max_moves {
        if !causes.iter().any(|c| matches!(c, Cause::MoveLimit { .. })) {
            causes.push(Cause::MoveLimit { max_moves });
        }
    }
    Explanation {
        causes,
        notes: set.vacuous_notes(inventory),
    }
}
