//! The failure sets each service must survive, as sets of its eligible
//! classes: one list per group of services with the same labels and survive
//! words, grown lazily by `power:P%` families.

use std::collections::BTreeMap;

use crate::inventory::{ServiceId, Services};
use crate::scenarios::ScenarioSet;
use crate::topology::Impact;

/// The failure sets shared by every service with the same eligible classes and
/// survive words: each set is the eligible classes one scenario takes down.
#[derive(Debug, Clone, Default)]
pub struct Survival {
    pub sets: Vec<Vec<usize>>,
    /// The first scenario that takes each set down, for explanations.
    pub names: Vec<String>,
    index: BTreeMap<Vec<usize>, usize>,
    /// Per class: the sets containing it.
    pub sets_of_class: Vec<Vec<u32>>,
}

impl Survival {
    pub(super) fn new(classes: usize) -> Self {
        Survival {
            sets_of_class: vec![Vec::new(); classes],
            ..Survival::default()
        }
    }

    /// Adds a set unless it is empty or already there; true when added.
    pub(super) fn add(&mut self, lost: Vec<usize>, name: &str) -> bool {
        if lost.is_empty() || self.index.contains_key(&lost) {
            return false;
        }
        let i = self.sets.len();
        for &k in &lost {
            self.sets_of_class[k].push(i as u32);
        }
        self.index.insert(lost.clone(), i);
        self.sets.push(lost);
        self.names.push(name.to_string());
        true
    }

    /// Whether the set is already there.
    pub(super) fn contains(&self, lost: &[usize]) -> bool {
        self.index.contains_key(lost)
    }

    /// The sets of a group whose first service survives `survives` on the
    /// classes `eligible`: for each scenario that binds, the eligible classes
    /// it takes down.
    pub(super) fn of_group(
        set: &ScenarioSet,
        impacts: &[Impact],
        survives: &[bool],
        eligible: &[usize],
        class_of: &[Option<usize>],
        classes: usize,
    ) -> Survival {
        let mut is_eligible = vec![false; classes];
        for &k in eligible {
            is_eligible[k] = true;
        }
        let mut survival = Survival::new(classes);
        for (scenario, impact) in set.scenarios.iter().zip(impacts) {
            if !scenario.binds(survives) {
                continue;
            }
            let mut lost: Vec<usize> = impact
                .down
                .iter()
                .filter_map(|s| class_of[s.index()])
                .filter(|&k| is_eligible[k])
                .collect();
            lost.sort_unstable();
            lost.dedup();
            survival.add(lost, &scenario.name);
        }
        survival
    }
}

/// Services that need the same labels and survive the same words share their
/// failure sets: per service its group, and per group its first service.
pub(super) fn service_groups(
    services: &Services,
    set: &ScenarioSet,
) -> (Vec<usize>, Vec<ServiceId>) {
    let mut group_keys: BTreeMap<(Vec<String>, Vec<bool>), usize> = BTreeMap::new();
    let mut group_of = Vec::new();
    let mut group_services: Vec<ServiceId> = Vec::new();
    for id in services.ids() {
        let service = services.service(id);
        let key = (service.requires.clone(), set.survives(service));
        let next = group_keys.len();
        let g = *group_keys.entry(key).or_insert(next);
        if g == group_services.len() {
            group_services.push(id);
        }
        group_of.push(g);
    }
    (group_of, group_services)
}
