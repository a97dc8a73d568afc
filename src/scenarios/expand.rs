//! The `survive` words of a list expanded into concrete scenarios, each distinct
//! failed set once, plus the `power:P%` families too large to list.

use std::collections::BTreeMap;

use super::budget_family::BudgetFamily;
use super::scenario::{Membership, Scenario};
use crate::inventory::{Component, DcId, Inventory, PowerId, SurviveWord};

/// Above this many sets in one datacenter, a `power:P%` family is searched, not listed.
pub const DEFAULT_ENUMERATION_LIMIT: usize = 4096;

/// Relative slack when adding up capacities, so that 50% of two equal feeds is one feed.
const BUDGET_EPSILON: f64 = 1e-9;

/// A datacenter where a `power:P%` word cannot fail anything: no set of its
/// candidates fits within P%, so its power has a single point of failure.
#[derive(Debug, Clone, PartialEq)]
pub struct VacuousPower {
    pub word: usize,
    pub datacenter: DcId,
    /// The smallest candidate's share of the datacenter's capacity, in
    /// percent, to two decimals.
    pub smallest_share: f64,
}

/// The scenarios of a list of words, each distinct failed set once.
#[derive(Debug, Clone, Default)]
pub struct ScenarioSet {
    pub words: Vec<SurviveWord>,
    pub scenarios: Vec<Scenario>,
    pub families: Vec<BudgetFamily>,
    pub vacuous: Vec<VacuousPower>,
}

impl ScenarioSet {
    /// Expands `words` (already checked to match the inventory when loaded).
    pub fn expand(
        inventory: &Inventory,
        words: &[SurviveWord],
        enumeration_limit: usize,
    ) -> ScenarioSet {
        let mut expansion = Expansion {
            inventory,
            enumeration_limit,
            set: ScenarioSet {
                words: words.to_vec(),
                ..ScenarioSet::default()
            },
            by_failed: BTreeMap::new(),
        };
        for (word_index, word) in words.iter().enumerate() {
            expansion.word(word_index, word);
        }
        expansion.set
    }
}

/// A [`ScenarioSet`] while its words are expanded one after the other.
struct Expansion<'i> {
    inventory: &'i Inventory,
    enumeration_limit: usize,
    set: ScenarioSet,
    /// Each distinct failed set's index in `set.scenarios`.
    by_failed: BTreeMap<Vec<Component>, usize>,
}

impl Expansion<'_> {
    /// Adds the scenarios of word `word_index`.
    fn word(&mut self, word_index: usize, word: &SurviveWord) {
        let inventory = self.inventory;
        match word {
            SurviveWord::Server => {
                for s in inventory.server_ids() {
                    self.add(
                        word_index,
                        format!("server {}", inventory.server(s).id),
                        vec![Component::Server(s)],
                        false,
                    );
                }
            }
            SurviveWord::Rack => {
                for r in inventory.rack_ids() {
                    self.add(
                        word_index,
                        format!("rack {}", inventory.rack(r).id),
                        vec![Component::Rack(r)],
                        false,
                    );
                }
            }
            SurviveWord::Room => {
                for (i, _) in inventory.rooms.iter().enumerate() {
                    let room = Component::Room(crate::inventory::RoomId(i as u32));
                    let name = format!("room {}", inventory.name(room));
                    self.add(word_index, name, vec![room], false);
                }
            }
            SurviveWord::Datacenter => {
                for (i, dc) in inventory.datacenters.iter().enumerate() {
                    self.add(
                        word_index,
                        format!("datacenter {}", dc.id),
                        vec![Component::Datacenter(DcId(i as u32))],
                        false,
                    );
                }
            }
            SurviveWord::PowerKind(kind) => {
                for p in inventory
                    .power_ids()
                    .filter(|p| &inventory.power(*p).kind == kind)
                {
                    self.add(
                        word_index,
                        format!("{word} {}", inventory.power(p).id),
                        vec![Component::Power(p)],
                        false,
                    );
                }
            }
            SurviveWord::Custom(name) => {
                if let Some(custom) = inventory.custom_scenarios.iter().find(|c| &c.name == name) {
                    self.add(word_index, word.to_string(), custom.fail.clone(), false);
                }
            }
            SurviveWord::PowerPercent { percent, kind } => {
                for datacenter in (0..inventory.datacenters.len()).map(|i| DcId(i as u32)) {
                    self.power_percent(word_index, word, datacenter, *percent, kind.as_ref());
                }
            }
        }
    }

    /// Adds `failed` as a scenario of word `word_index`, or the word to the
    /// scenario that already fails the same set.
    fn add(
        &mut self,
        word_index: usize,
        name: String,
        mut failed: Vec<Component>,
        dominated: bool,
    ) {
        failed.sort_unstable();
        failed.dedup();
        let membership = Membership {
            word: word_index,
            dominated,
        };
        let scenarios = &mut self.set.scenarios;
        match self.by_failed.get(&failed) {
            Some(&i) => scenarios[i].words.push(membership),
            None => {
                self.by_failed.insert(failed.clone(), scenarios.len());
                scenarios.push(Scenario {
                    name,
                    failed,
                    words: vec![membership],
                });
            }
        }
    }

    /// `power:P%` in one datacenter: vacuous, listed, or kept as a family to search.
    fn power_percent(
        &mut self,
        word_index: usize,
        word: &SurviveWord,
        datacenter: DcId,
        percent: f64,
        kind: Option<&String>,
    ) {
        let Some(family) = self.budget_family(word_index, datacenter, percent, kind) else {
            return;
        };
        if let Some(vacuous) = vacuous(&family) {
            self.set.vacuous.push(vacuous);
            return;
        }
        match family.sets(self.enumeration_limit) {
            Some(sets) => {
                for (members, maximal) in sets {
                    let names: Vec<&str> = members
                        .iter()
                        .map(|p| self.inventory.power(*p).id.as_str())
                        .collect();
                    let failed = members.into_iter().map(Component::Power).collect();
                    let name = format!("{word} {}", names.join("+"));
                    self.add(word_index, name, failed, !maximal);
                }
            }
            None => self.set.families.push(family),
        }
    }

    /// The datacenter's roots (or components of `kind`) and P% of their
    /// capacity; None when it has none.
    fn budget_family(
        &self,
        word_index: usize,
        datacenter: DcId,
        percent: f64,
        kind: Option<&String>,
    ) -> Option<BudgetFamily> {
        let inventory = self.inventory;
        let candidates: Vec<PowerId> = inventory
            .dc(datacenter)
            .power
            .iter()
            .copied()
            .filter(|p| {
                let component = inventory.power(*p);
                match kind {
                    None => component.is_root(),
                    Some(kind) => &component.kind == kind,
                }
            })
            .collect();
        if candidates.is_empty() {
            return None;
        }
        let capacity_w: Vec<f64> = candidates
            .iter()
            .map(|p| inventory.power(*p).capacity_w)
            .collect();
        let total: f64 = capacity_w.iter().sum();
        Some(BudgetFamily {
            word: word_index,
            datacenter,
            candidates,
            budget_w: total * percent / 100.0 + total * BUDGET_EPSILON,
            capacity_w,
        })
    }
}

/// The family's datacenter as vacuous when not even its smallest candidate
/// fits within the budget.
fn vacuous(family: &BudgetFamily) -> Option<VacuousPower> {
    let total: f64 = family.capacity_w.iter().sum();
    let smallest = family
        .capacity_w
        .iter()
        .copied()
        .fold(f64::INFINITY, f64::min);
    (smallest > family.budget_w).then(|| VacuousPower {
        word: family.word,
        datacenter: family.datacenter,
        smallest_share: if total > 0.0 {
            (10000.0 * smallest / total).round() / 100.0
        } else {
            100.0
        },
    })
}

impl ScenarioSet {
    /// Per word of the set, whether `service` must survive it.
    pub fn survives(&self, service: &crate::inventory::Service) -> Vec<bool> {
        self.words
            .iter()
            .map(|w| service.survive.contains(w))
            .collect()
    }

    /// One sentence per datacenter where a `power:P%` word cannot fail anything.
    pub fn vacuous_notes(&self, inventory: &Inventory) -> Vec<String> {
        self.vacuous
            .iter()
            .map(|v| {
                format!(
                    "{} in {} is vacuous: its smallest power source is {}% of its capacity, a single point of failure",
                    self.words[v.word],
                    inventory.dc(v.datacenter).id,
                    v.smallest_share
                )
            })
            .collect()
    }
}
