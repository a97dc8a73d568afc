//! Maintenance windows: which racks and power components can be taken down
//! now, and the changes that make a window safe when it is not.
//!
//! Two rules (docs/usage.md, "Maintenance windows"), both judged by `check`
//! with the component down (`verify::check_during`):
//! - `guarantees` (the default): every guarantee still holds during the
//!   window, each scenario of every survive word failing on top of it. So a
//!   window never leaves a service one failure away from an outage that the
//!   guarantees were meant to absorb; the incident's second act, a rack
//!   losing power again during a move, was such a failure.
//! - `alone`: the window is the one failure: every service keeps
//!   min_replicas up and every power limit holds with the component down and
//!   nothing else failed.

use crate::changes::Change;
use crate::inventory::{Component, Inventory, Placement, Services, Status};
use crate::plan::{self, PlanError, PlanOptions};
use crate::verify::{self, CheckOptions, Finding, FindingKind, Severity};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Rule {
    Guarantees,
    Alone,
}

#[derive(Debug, Clone)]
pub struct Verdict {
    pub component: Component,
    /// `rack` or the power component's kind.
    pub kind: String,
    /// The errors `check` finds with the component down (none: safe).
    pub errors: Vec<Finding>,
    /// For an unsafe window, when asked: a placement that makes it safe.
    pub fix: Option<Fix>,
}

impl Verdict {
    pub fn safe(&self) -> bool {
        self.errors.is_empty()
    }
}

#[derive(Debug, Clone)]
pub enum Fix {
    /// A placement, from `plan --current`, that `check` passes both with the
    /// component down (every scenario on top) and with everything up.
    Found {
        placement: Placement,
        changes: Vec<Change>,
    },
    /// Why no fix is offered (the planner's answer, or what `check` found in
    /// its placement): not a proof that none exists.
    NotFound { reason: String },
}

/// Racks and power components, in inventory order.
pub fn components(inventory: &Inventory) -> Vec<Component> {
    inventory
        .rack_ids()
        .map(Component::Rack)
        .chain(inventory.power_ids().map(Component::Power))
        .collect()
}

/// The verdict for each of `components`; `fix`: plan changes for the unsafe
/// ones. `judged` hears how many components have their verdict, after each.
pub fn maintenance(
    inventory: &Inventory,
    services: &Services,
    placement: &Placement,
    components: &[Component],
    rule: Rule,
    fix: Option<&PlanOptions>,
    judged: &mut dyn FnMut(usize),
) -> Vec<Verdict> {
    // Without survive words, `check` has no scenario to add to the window.
    let mut alone = services.clone();
    for service in &mut alone.services {
        service.survive.clear();
    }
    let by_rule = match rule {
        Rule::Guarantees => services,
        Rule::Alone => &alone,
    };
    components
        .iter()
        .enumerate()
        .map(|(done, &component)| {
            let errors = window_errors(inventory, by_rule, placement, component);
            let fix = match fix {
                Some(options) if !errors.is_empty() => Some(plan_fix(
                    inventory, services, by_rule, placement, component, options,
                )),
                _ => None,
            };
            judged(done + 1);
            Verdict {
                component,
                kind: match component {
                    Component::Power(p) => inventory.power(p).kind.clone(),
                    Component::Rack(_) => "rack".to_string(),
                    Component::Datacenter(_) => "datacenter".to_string(),
                    Component::Room(_) => "room".to_string(),
                    Component::Server(_) => "server".to_string(),
                },
                errors,
                fix,
            }
        })
        .collect()
}

/// A finding in a few words, for tables.
pub fn brief(finding: &Finding) -> String {
    match &finding.kind {
        FindingKind::ReplicasLost {
            service,
            scenario,
            needed,
            up,
            ..
        } => format!("{service}: {up} of {needed} up when {scenario} fails"),
        FindingKind::TooFewReplicas {
            service,
            needed,
            up,
            ..
        } => format!("{service}: {up} of {needed} up"),
        _ => finding.message.clone(),
    }
}

fn window_errors(
    inventory: &Inventory,
    services: &Services,
    placement: &Placement,
    component: Component,
) -> Vec<Finding> {
    verify::check_during(
        inventory,
        services,
        placement,
        CheckOptions::default(),
        &[component],
    )
    .findings
    .into_iter()
    .filter(|f| f.severity == Severity::Error)
    .collect()
}

/// The planner, from the current placement, on the inventory with the
/// servers the window takes down out of service (status maintenance, so
/// nothing is planned there and what runs there counts as down), every
/// guarantee kept; its placement is then judged by `check` during the window
/// (under the rule, `judged`) and with everything up, which is what makes it
/// a fix. The planner does not see a power
/// component's loss re-route load, so a placement it finds may still fail the
/// window's power limits: then no fix is offered.
fn plan_fix(
    inventory: &Inventory,
    services: &Services,
    judged: &Services,
    placement: &Placement,
    component: Component,
    options: &PlanOptions,
) -> Fix {
    let down = crate::topology::Topology::new(inventory)
        .impact(&[component])
        .down;
    let mut out_of_service = inventory.clone();
    for s in &down {
        out_of_service.servers[s.index()].status = Status::Maintenance;
    }
    let plan = match plan::plan(&out_of_service, services, Some(placement), options, &|_| {}) {
        Ok(plan) => plan,
        Err(PlanError::Infeasible(_)) => {
            return Fix::NotFound {
                reason: format!(
                    "the planner proves no placement keeps every guarantee with {} server{} out of service",
                    down.len(),
                    if down.len() == 1 { "" } else { "s" }
                ),
            }
        }
        Err(PlanError::NotFound(_)) => {
            return Fix::NotFound {
                reason: "the planner found no placement within its time limit".to_string(),
            }
        }
    };
    let during = window_errors(inventory, judged, &plan.placement, component);
    let after = verify::check(
        inventory,
        services,
        &plan.placement,
        CheckOptions::default(),
    );
    match (during.first(), after.passed()) {
        (None, true) => Fix::Found {
            placement: plan.placement,
            changes: plan.changes,
        },
        (Some(error), _) => Fix::NotFound {
            reason: format!(
                "the planner's placement still fails during the window: {}",
                brief(error)
            ),
        },
        (None, false) => Fix::NotFound {
            reason: "the planner's placement fails check with everything up".to_string(),
        },
    }
}
