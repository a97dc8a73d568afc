//! What the steps of [`check_during`](fn@super::check::check_during) share: the
//! placement being judged, its scenarios' words, the fewest replicas up seen
//! so far per service, and the findings in the order they are found.

use crate::inventory::{Inventory, Placement, ServerId, ServiceId, Services};
use crate::scenarios::ScenarioSet;
use crate::topology::{Impact, LoadModel, Topology};

use super::findings::{Finding, FindingKind, Worst};
use super::locations::Locations;
use super::options::LOAD_TOLERANCE_W;
use super::placement_index::PlacementIndex;

pub(super) struct Judge<'a> {
    pub inventory: &'a Inventory,
    pub services: &'a Services,
    pub placement: &'a Placement,
    /// The fleet with the maintenance window (if any) down.
    pub topology: &'a Topology<'a>,
    pub index: &'a PlacementIndex,
    pub load_model: &'a LoadModel<'a, 'a>,
    pub at: Locations<'a>,
    /// Every survive word checked, in first-use order.
    pub word_names: Vec<String>,
    /// service_words[service][word]: whether the service must survive that word.
    pub service_words: Vec<Vec<bool>>,
    /// Per power component, its load with nothing (else) failed.
    pub normal_load: Vec<f64>,
    /// Per service, the fewest replicas up over every scenario so far.
    pub worst: Vec<Worst>,
    /// Per service and word, as `worst`, None when it need not survive it.
    pub worst_by_word: Vec<Vec<Option<Worst>>>,
    /// Per power component, the most load that could ever reach it: computed
    /// once, when a family is first too large to search exactly.
    pub reachable_bound: Option<Vec<f64>>,
    pub findings: Vec<Finding>,
}

impl<'a> Judge<'a> {
    /// `base` is the impact of nothing (else) failing.
    pub(super) fn new(
        services: &'a Services,
        placement: &'a Placement,
        topology: &'a Topology<'a>,
        index: &'a PlacementIndex,
        load_model: &'a LoadModel<'a, 'a>,
        set: &ScenarioSet,
        base: &Impact,
    ) -> Self {
        let inventory = topology.inventory;
        let service_words: Vec<Vec<bool>> =
            services.services.iter().map(|s| set.survives(s)).collect();
        let worst = index.up.iter().map(|&up| (up, None)).collect();
        let worst_by_word = services
            .ids()
            .map(|s| {
                service_words[s.index()]
                    .iter()
                    .map(|&survives| survives.then_some((index.up[s.index()], None)))
                    .collect()
            })
            .collect();
        Judge {
            inventory,
            services,
            placement,
            topology,
            index,
            load_model,
            at: Locations::new(inventory, services, placement),
            word_names: set.words.iter().map(ToString::to_string).collect(),
            service_words,
            normal_load: load_model.loads(base),
            worst,
            worst_by_word,
            reachable_bound: None,
            findings: Vec::new(),
        }
    }

    /// Records `up` replicas of `service` left by `scenario` as its worst
    /// over every scenario if it is.
    pub(super) fn record_worst(&mut self, service: ServiceId, up: u32, scenario: &str) {
        record_worst(&mut self.worst[service.index()], up, scenario);
    }

    /// As [`Judge::record_worst`], over the scenarios of `word` (when the
    /// service must survive it).
    pub(super) fn record_worst_of_word(
        &mut self,
        service: ServiceId,
        word: usize,
        up: u32,
        scenario: &str,
    ) {
        if let Some(slot) = &mut self.worst_by_word[service.index()][word] {
            record_worst(slot, up, scenario);
        }
    }

    /// A power overload for each component above its limit with nothing
    /// (else) failed.
    pub(super) fn normal_power_overloads(&mut self) {
        // Taken out and put back: with no scenario, `power_overloads` never
        // compares with the normal load.
        let normal = std::mem::take(&mut self.normal_load);
        self.power_overloads(&normal, None);
        self.normal_load = normal;
    }

    /// A power overload for each component above its limit under `load`
    /// (`scenario` None: with nothing failed).
    pub(super) fn power_overloads(&mut self, load: &[f64], scenario: Option<(&str, Vec<String>)>) {
        let inventory = self.inventory;
        for p in inventory.power_ids() {
            let component = inventory.power(p);
            let over = |w: f64| w > component.limit_w() + LOAD_TOLERANCE_W;
            if !over(load[p.index()]) {
                continue;
            }
            // An overload already present with nothing failed is reported once, not
            // again for every scenario in which it merely persists.
            if scenario.is_some()
                && over(self.normal_load[p.index()])
                && load[p.index()] <= self.normal_load[p.index()] + LOAD_TOLERANCE_W
            {
                continue;
            }
            let (scenario, words) = match &scenario {
                Some((name, words)) => (Some(name.to_string()), words.clone()),
                None => (None, Vec::new()),
            };
            self.findings.push(Finding::new(
                FindingKind::PowerOverload {
                    component: component.id.clone(),
                    kind: component.kind.clone(),
                    scenario,
                    words,
                    load_w: load[p.index()],
                    limit_w: component.limit_w(),
                    capacity_w: component.capacity_w,
                },
                self.at.power(p),
            ));
        }
    }

    /// `service` keeps only `up` replicas (below `needed`) when `scenario`
    /// takes the `down` servers down: a finding at the first replica lost.
    pub(super) fn replicas_lost(
        &mut self,
        service: ServiceId,
        scenario: String,
        words: Vec<String>,
        needed: u32,
        up: u32,
        down: &[ServerId],
    ) {
        let lost = lost_servers(self.inventory, self.index, down, service);
        let first_line = first_replica_line(self.placement, service, down);
        self.findings.push(Finding::new(
            FindingKind::ReplicasLost {
                service: self.services.service(service).name.clone(),
                scenario,
                words,
                needed,
                up,
                lost,
            },
            self.at
                .placement(first_line)
                .or_else(|| self.at.service(service)),
        ));
    }
}

fn record_worst(worst: &mut Worst, up: u32, scenario: &str) {
    if up < worst.0 || (up == worst.0 && worst.1.is_none()) {
        *worst = (up, Some(scenario.to_string()));
    }
}

fn lost_servers(
    inventory: &Inventory,
    index: &PlacementIndex,
    down: &[ServerId],
    service: ServiceId,
) -> Vec<String> {
    down.iter()
        .filter(|s| {
            index.up_on_server[s.index()]
                .iter()
                .any(|(x, _)| *x == service)
        })
        .map(|s| inventory.server(*s).id.clone())
        .collect()
}

fn first_replica_line(placement: &Placement, service: ServiceId, down: &[ServerId]) -> usize {
    placement
        .replicas
        .iter()
        .filter(|r| r.service == service && down.binary_search(&r.server).is_ok())
        .map(|r| r.line)
        .min()
        .unwrap_or(0)
}
