//! One `power:P%` family too large to list, searched instead: the worst set
//! for each service that must survive it, and the most load a set can put on
//! each power component (or, when the search hits a limit, a bound on it);
//! and the datacenters where such a word cannot fail anything at all.

use crate::inventory::{Component, PowerId, ServiceId};
use crate::scenarios::{BudgetFamily, LoadSearch, ScenarioSet, WorstLoad};

use super::findings::{Finding, FindingKind};
use super::judge::Judge;
use super::options::LOAD_TOLERANCE_W;
use super::power_loads::reachable_load_bound;

pub(super) fn judge_family(judge: &mut Judge, family: &BudgetFamily) {
    let (services, topology, index) = (judge.services, judge.topology, judge.index);
    let search = family.search(topology);
    for service in services.ids() {
        if !judge.service_words[service.index()][family.word] {
            continue;
        }
        let (lost, failed) = search.worst_loss(|s| {
            index.up_on_server[s.index()]
                .iter()
                .find(|(x, _)| *x == service)
                .map_or(0, |(_, n)| u64::from(*n))
        });
        if lost == 0 {
            continue;
        }
        worst_loss(judge, family, service, lost, &failed);
    }
    if let Some(limit) = search.limit() {
        unproven_everywhere(judge, family, limit.to_string());
        return;
    }
    let loads = LoadSearch::new(&search, judge.load_model);
    searched_overloads(judge, family, &loads);
}

/// `failed`, the set of the family that takes the most replicas of
/// `service` down, takes `lost` of them.
fn worst_loss(
    judge: &mut Judge,
    family: &BudgetFamily,
    service: ServiceId,
    lost: u64,
    failed: &[PowerId],
) {
    let (inventory, index) = (judge.inventory, judge.index);
    let names: Vec<&str> = failed
        .iter()
        .map(|p| inventory.power(*p).id.as_str())
        .collect();
    let name = format!("{} {}", judge.word_names[family.word], names.join("+"));
    let up = index.up[service.index()] - lost as u32;
    judge.record_worst(service, up, &name);
    judge.record_worst_of_word(service, family.word, up, &name);
    let needed = judge.services.service(service).min_replicas;
    if up < needed {
        let failed: Vec<Component> = failed.iter().map(|p| Component::Power(*p)).collect();
        let down = judge.topology.impact(&failed).down;
        let words = vec![judge.word_names[family.word].clone()];
        judge.replicas_lost(service, name, words, needed, up, &down);
    }
}

/// The search hit a limit: every component the most reachable load could
/// take above its limit is unproven.
fn unproven_everywhere(judge: &mut Judge, family: &BudgetFamily, reason: String) {
    let (inventory, topology, index) = (judge.inventory, judge.topology, judge.index);
    // A family's failures can move load anywhere the power graph
    // reaches, across datacenters too: every component must be proven.
    let bound = judge
        .reachable_bound
        .get_or_insert_with(|| reachable_load_bound(topology, &index.draw_w));
    let over: Vec<(PowerId, f64)> = inventory
        .power_ids()
        .filter(|p| bound[p.index()] > inventory.power(*p).limit_w() + LOAD_TOLERANCE_W)
        .map(|p| (p, bound[p.index()]))
        .collect();
    for (p, bound_w) in over {
        let finding = unproven(judge, family, p, bound_w, reason.clone());
        judge.findings.push(finding);
    }
}

/// The most load a set of the family can put on each component it can raise.
fn searched_overloads(judge: &mut Judge, family: &BudgetFamily, loads: &LoadSearch) {
    let inventory = judge.inventory;
    // Only components whose load some set can raise; as for listed
    // scenarios, an overload already there with nothing failed counts only
    // when a set makes it worse.
    for p in loads.targets() {
        let component = inventory.power(p);
        let normal = judge.normal_load[p.index()];
        let limit = component.limit_w() + LOAD_TOLERANCE_W;
        let above_w = if normal > limit {
            normal + LOAD_TOLERANCE_W
        } else {
            limit
        };
        match loads.worst_load(p, above_w) {
            WorstLoad::AtMost => {}
            WorstLoad::Found { load_w, set, .. } => {
                let names: Vec<&str> = set
                    .iter()
                    .map(|p| inventory.power(*p).id.as_str())
                    .collect();
                let word = &judge.word_names[family.word];
                let finding = Finding::new(
                    FindingKind::PowerOverload {
                        component: component.id.clone(),
                        kind: component.kind.clone(),
                        scenario: Some(format!("{} {}", word, names.join("+"))),
                        words: vec![word.clone()],
                        load_w,
                        limit_w: component.limit_w(),
                        capacity_w: component.capacity_w,
                    },
                    judge.at.power(p),
                );
                judge.findings.push(finding);
            }
            WorstLoad::Unproven { bound_w, limit } => {
                let finding = unproven(judge, family, p, bound_w, limit.to_string());
                judge.findings.push(finding);
            }
        }
    }
}

/// Component `p` may carry up to `bound_w` under the family, and faultplan
/// cannot prove it stays within its limit (`reason`: the limit the search hit).
fn unproven(
    judge: &Judge,
    family: &BudgetFamily,
    p: PowerId,
    bound_w: f64,
    reason: String,
) -> Finding {
    let component = judge.inventory.power(p);
    Finding::new(
        FindingKind::PowerUnproven {
            component: component.id.clone(),
            kind: component.kind.clone(),
            word: judge.word_names[family.word].clone(),
            datacenter: judge.inventory.dc(family.datacenter).id.clone(),
            bound_w,
            limit_w: component.limit_w(),
            reason,
        },
        judge.at.power(p),
    )
}

/// A single point of failure for each datacenter where a `power:P%` word
/// cannot fail anything.
pub(super) fn vacuous_words(judge: &mut Judge, set: &ScenarioSet) {
    for vacuous in &set.vacuous {
        judge.findings.push(Finding::new(
            FindingKind::SinglePointOfFailure {
                datacenter: judge.inventory.dc(vacuous.datacenter).id.clone(),
                word: judge.word_names[vacuous.word].clone(),
                smallest_share_percent: vacuous.smallest_share,
            },
            judge.at.datacenter(vacuous.datacenter),
        ));
    }
}
