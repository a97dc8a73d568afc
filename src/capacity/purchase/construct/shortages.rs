//! What is short when a purchase does not plan: replicas per service, from
//! the closest placement's findings or the planner's structural causes.

use std::collections::BTreeMap;

use crate::inventory::{ServiceId, Services};
use crate::plan::Cause;
use crate::verify::{Finding, FindingKind};

/// Per service, the most replicas any finding says it is short.
pub(super) fn shortages(services: &Services, findings: &[Finding]) -> BTreeMap<ServiceId, u32> {
    let mut short = BTreeMap::new();
    for f in findings {
        let (service, needed, up) = match &f.kind {
            FindingKind::TooFewReplicas {
                service,
                needed,
                up,
                ..
            }
            | FindingKind::ReplicasLost {
                service,
                needed,
                up,
                ..
            } => (service, *needed, *up),
            _ => continue,
        };
        add_shortage(services, &mut short, service, needed.saturating_sub(up));
    }
    short
}

/// The same from the planner's structural causes.
pub(super) fn structural_shortages(
    services: &Services,
    causes: &[Cause],
) -> BTreeMap<ServiceId, u32> {
    let mut short = BTreeMap::new();
    for cause in causes {
        let (service, missing) = match cause {
            Cause::NoEligibleServer {
                service, needed, ..
            } => (service, *needed),
            Cause::TooFewEligibleServers {
                service,
                needed,
                fit,
                ..
            } => (service, needed.saturating_sub(*fit)),
            Cause::ScenarioLeavesTooFew {
                service,
                needed,
                fit_outside,
                ..
            } => (service, needed.saturating_sub(*fit_outside)),
            Cause::Binding { .. } | Cause::Shortfall { .. } => continue,
        };
        add_shortage(services, &mut short, service, missing);
    }
    short
}

fn add_shortage(
    services: &Services,
    short: &mut BTreeMap<ServiceId, u32>,
    service: &str,
    missing: u32,
) {
    if let Some(id) = services.lookup(service).filter(|_| missing > 0) {
        let entry = short.entry(id).or_insert(0);
        *entry = (*entry).max(missing);
    }
}
