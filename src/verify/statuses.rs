//! The verdict per service once every scenario is judged: its status, and a
//! zero-margin warning when its worst scenario leaves exactly min_replicas.

use crate::inventory::ServiceId;
use crate::scenarios::ScenarioSet;

use super::findings::{Finding, FindingKind, Report, ServiceStatus, Severity};
use super::judge::Judge;

/// The report of `judge`'s findings, with every service's status.
pub(super) fn report(mut judge: Judge, set: &ScenarioSet) -> Report {
    let services = judge.services;
    let statuses = services
        .ids()
        .map(|id| service_status(&mut judge, id))
        .collect();
    Report {
        services: statuses,
        findings: judge.findings,
        scenarios: set.scenarios.len() + set.families.len(),
        words: judge.word_names,
    }
}

fn service_status(judge: &mut Judge, id: ServiceId) -> ServiceStatus {
    let service = judge.services.service(id);
    let (worst_up, worst_scenario) = judge.worst[id.index()].clone();
    let ok = !judge
        .findings
        .iter()
        .any(|f| f.severity == Severity::Error && f.kind.service() == Some(&service.name));
    if ok
        && service.min_replicas > 0
        && worst_up == service.min_replicas
        && !service.survive.is_empty()
    {
        judge.findings.push(Finding::new(
            FindingKind::ZeroMargin {
                service: service.name.clone(),
                needed: service.min_replicas,
                worst_up,
                scenario: worst_scenario.clone(),
            },
            judge.at.service(id),
        ));
    }
    ServiceStatus {
        service: service.name.clone(),
        survive: service.survive.iter().map(ToString::to_string).collect(),
        needed: service.min_replicas,
        placed: judge.index.placed[id.index()],
        up: judge.index.up[id.index()],
        worst_up,
        worst_scenario,
        ok,
        worst_by_word: std::mem::take(&mut judge.worst_by_word[id.index()]),
    }
}
