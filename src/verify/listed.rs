//! One listed scenario (a failed set of a survive word, small enough to list):
//! the replicas it takes from each service that must survive it, and the
//! power loads when it switches some component off.

use crate::inventory::ServiceId;
use crate::scenarios::Scenario;
use crate::topology::Impact;

use super::judge::Judge;

pub(super) fn judge_scenario(judge: &mut Judge, scenario: &Scenario) {
    let impact = judge.topology.impact(&scenario.failed);
    for (service, lost) in judge.index.lost(&impact.down) {
        if scenario.binds(&judge.service_words[service.index()]) {
            replicas_lost(judge, scenario, &impact, service, lost);
        }
    }
    // With no power component off, every server draws what it drew or nothing
    // along unchanged routes: no load can exceed normal operation's.
    if !impact.unpowered.is_empty() {
        power_overloads(judge, scenario, &impact);
    }
}

/// `service` loses `lost` replicas in `scenario`, which it must survive.
fn replicas_lost(
    judge: &mut Judge,
    scenario: &Scenario,
    impact: &Impact,
    service: ServiceId,
    lost: u32,
) {
    let up = judge.index.up[service.index()] - lost;
    judge.record_worst(service, up, &scenario.name);
    for m in scenario.words.iter().filter(|m| !m.dominated) {
        judge.record_worst_of_word(service, m.word, up, &scenario.name);
    }
    let needed = judge.services.service(service).min_replicas;
    if up < needed {
        let words = scenario
            .words
            .iter()
            .filter(|m| judge.service_words[service.index()][m.word])
            .map(|m| judge.word_names[m.word].clone())
            .collect();
        judge.replicas_lost(
            service,
            scenario.name.clone(),
            words,
            needed,
            up,
            &impact.down,
        );
    }
}

fn power_overloads(judge: &mut Judge, scenario: &Scenario, impact: &Impact) {
    let load = judge.load_model.loads(impact);
    let words = scenario
        .words
        .iter()
        .map(|m| judge.word_names[m.word].clone())
        .collect();
    judge.power_overloads(&load, Some((&scenario.name, words)));
}
