//! Expands the `survive` words of FORMATS.md into concrete failure scenarios.
//!
//! Every word but `power:P%` is a short explicit list. `power:P%` stands for every
//! set of a datacenter's roots (or components of one kind) whose capacity adds up
//! to at most P% of the datacenter's: when a datacenter has few such sets they are
//! listed, otherwise the family is kept as a [`BudgetFamily`] whose worst set is
//! found exactly by branch and bound ([`BudgetFamily::worst`]).

use std::collections::BTreeMap;

use crate::inventory::{Component, DcId, Inventory, PowerId, SurviveWord};

/// Above this many sets in one datacenter, a `power:P%` family is searched, not listed.
pub const DEFAULT_ENUMERATION_LIMIT: usize = 4096;

/// Relative slack when adding up capacities, so that 50% of two equal feeds is one feed.
const BUDGET_EPSILON: f64 = 1e-9;

/// One concrete scenario: a set of components that fail together.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// How reports name it, e.g. `rack par1-r03` or `power:50% par1-utility-a`.
    pub name: String,
    /// Sorted and distinct.
    pub failed: Vec<Component>,
    /// The words (indexes into [`ScenarioSet::words`]) this scenario belongs to.
    pub words: Vec<Membership>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Membership {
    pub word: usize,
    /// A strictly larger set of the same `power:P%` word exists. Losing more
    /// components never brings a server back, so a dominated set can never lose
    /// more replicas than the set dominating it: replica checks skip it. Power
    /// loads are not monotone (a failure moves load), so load checks keep it.
    pub dominated: bool,
}

impl Scenario {
    /// Whether a service must keep its replicas up in this scenario, given which
    /// of the set's words it must survive (`survives[word]`). A dominated
    /// `power:P%` set is skipped: the set dominating it loses at least as much.
    /// The one answer used by `verify` and `plan` alike.
    pub fn binds(&self, survives: &[bool]) -> bool {
        self.words.iter().any(|m| !m.dominated && survives[m.word])
    }
}

/// `power:P%` inside one datacenter, when it has too many sets to list.
#[derive(Debug, Clone, PartialEq)]
pub struct BudgetFamily {
    pub word: usize,
    pub datacenter: DcId,
    /// The components that may fail, sorted.
    pub candidates: Vec<PowerId>,
    pub capacity_w: Vec<f64>,
    /// The most capacity a set may hold.
    pub budget_w: f64,
}

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
        let mut set = ScenarioSet {
            words: words.to_vec(),
            ..ScenarioSet::default()
        };
        let mut by_failed: BTreeMap<Vec<Component>, usize> = BTreeMap::new();
        for (word_index, word) in words.iter().enumerate() {
            let mut add = |name: String, mut failed: Vec<Component>, dominated: bool| {
                failed.sort_unstable();
                failed.dedup();
                let membership = Membership {
                    word: word_index,
                    dominated,
                };
                match by_failed.get(&failed) {
                    Some(&i) => set.scenarios[i].words.push(membership),
                    None => {
                        by_failed.insert(failed.clone(), set.scenarios.len());
                        set.scenarios.push(Scenario {
                            name,
                            failed,
                            words: vec![membership],
                        });
                    }
                }
            };
            match word {
                SurviveWord::Server => {
                    for s in inventory.server_ids() {
                        add(
                            format!("server {}", inventory.server(s).id),
                            vec![Component::Server(s)],
                            false,
                        );
                    }
                }
                SurviveWord::Rack => {
                    for r in inventory.rack_ids() {
                        add(
                            format!("rack {}", inventory.rack(r).id),
                            vec![Component::Rack(r)],
                            false,
                        );
                    }
                }
                SurviveWord::Room => {
                    for (i, _) in inventory.rooms.iter().enumerate() {
                        let room = Component::Room(crate::inventory::RoomId(i as u32));
                        add(format!("room {}", inventory.name(room)), vec![room], false);
                    }
                }
                SurviveWord::Datacenter => {
                    for (i, dc) in inventory.datacenters.iter().enumerate() {
                        add(
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
                        add(
                            format!("{word} {}", inventory.power(p).id),
                            vec![Component::Power(p)],
                            false,
                        );
                    }
                }
                SurviveWord::Custom(name) => {
                    if let Some(custom) =
                        inventory.custom_scenarios.iter().find(|c| &c.name == name)
                    {
                        add(word.to_string(), custom.fail.clone(), false);
                    }
                }
                SurviveWord::PowerPercent { percent, kind } => {
                    for (dc_index, dc) in inventory.datacenters.iter().enumerate() {
                        let datacenter = DcId(dc_index as u32);
                        let candidates: Vec<PowerId> = dc
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
                            continue;
                        }
                        let capacity_w: Vec<f64> = candidates
                            .iter()
                            .map(|p| inventory.power(*p).capacity_w)
                            .collect();
                        let total: f64 = capacity_w.iter().sum();
                        let family = BudgetFamily {
                            word: word_index,
                            datacenter,
                            candidates,
                            budget_w: total * percent / 100.0 + total * BUDGET_EPSILON,
                            capacity_w,
                        };
                        let smallest = family
                            .capacity_w
                            .iter()
                            .copied()
                            .fold(f64::INFINITY, f64::min);
                        if smallest > family.budget_w {
                            set.vacuous.push(VacuousPower {
                                word: word_index,
                                datacenter,
                                smallest_share: if total > 0.0 {
                                    (10000.0 * smallest / total).round() / 100.0
                                } else {
                                    100.0
                                },
                            });
                            continue;
                        }
                        match family.sets(enumeration_limit) {
                            Some(sets) => {
                                for (members, maximal) in sets {
                                    let names: Vec<&str> = members
                                        .iter()
                                        .map(|p| inventory.power(*p).id.as_str())
                                        .collect();
                                    let failed =
                                        members.into_iter().map(Component::Power).collect();
                                    add(format!("{word} {}", names.join("+")), failed, !maximal);
                                }
                            }
                            None => set.families.push(family),
                        }
                    }
                }
            }
        }
        set
    }
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

impl BudgetFamily {
    /// Every non-empty set within the budget, each with whether it is maximal
    /// (no other candidate fits beside it); None when there are more than `limit`.
    pub fn sets(&self, limit: usize) -> Option<Vec<(Vec<PowerId>, bool)>> {
        let mut out = Vec::new();
        let mut chosen = Vec::new();
        let mut in_set = vec![false; self.candidates.len()];
        if self.collect(0, 0.0, &mut chosen, &mut in_set, &mut out, limit) {
            Some(out)
        } else {
            None
        }
    }

    fn collect(
        &self,
        from: usize,
        used: f64,
        chosen: &mut Vec<PowerId>,
        in_set: &mut [bool],
        out: &mut Vec<(Vec<PowerId>, bool)>,
        limit: usize,
    ) -> bool {
        for i in from..self.candidates.len() {
            if used + self.capacity_w[i] > self.budget_w {
                continue;
            }
            chosen.push(self.candidates[i]);
            in_set[i] = true;
            let used_now = used + self.capacity_w[i];
            let maximal = (0..self.candidates.len())
                .all(|j| in_set[j] || used_now + self.capacity_w[j] > self.budget_w);
            if out.len() == limit {
                return false;
            }
            out.push((chosen.clone(), maximal));
            if !self.collect(i + 1, used_now, chosen, in_set, out, limit) {
                return false;
            }
            chosen.pop();
            in_set[i] = false;
        }
        true
    }

    /// The set within the budget that maximises `loss`, exactly, for a `loss` that
    /// never decreases when a set grows (replicas lost, servers down). Branch and
    /// bound: the loss of a set plus everything that could still join it bounds
    /// every set below that node. Returns (best loss, its set); the empty set when
    /// nothing loses anything.
    pub fn worst<F: FnMut(&[PowerId]) -> u64>(&self, mut loss: F) -> (u64, Vec<PowerId>) {
        let mut best = (0, Vec::new());
        let mut chosen = Vec::new();
        self.search(0, 0.0, &mut chosen, &mut loss, &mut best);
        best
    }

    fn search<F: FnMut(&[PowerId]) -> u64>(
        &self,
        from: usize,
        used: f64,
        chosen: &mut Vec<PowerId>,
        loss: &mut F,
        best: &mut (u64, Vec<PowerId>),
    ) {
        let fits: Vec<usize> = (from..self.candidates.len())
            .filter(|&i| used + self.capacity_w[i] <= self.budget_w)
            .collect();
        if fits.is_empty() {
            if !chosen.is_empty() {
                let value = loss(chosen);
                if value > best.0 {
                    *best = (value, chosen.clone());
                }
            }
            return;
        }
        let mut optimistic = chosen.clone();
        optimistic.extend(fits.iter().map(|&i| self.candidates[i]));
        if loss(&optimistic) <= best.0 {
            return;
        }
        let i = fits[0];
        chosen.push(self.candidates[i]);
        self.search(i + 1, used + self.capacity_w[i], chosen, loss, best);
        chosen.pop();
        self.search(i + 1, used, chosen, loss, best);
    }
}

/// What one scenario takes down, for `faultplan scenarios`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct BlastRadius {
    pub scenario: String,
    pub words: Vec<String>,
    pub servers_down: usize,
    /// Share of the fleet's cores on servers that are down, in [0, 1].
    pub cpu_share: f64,
    /// Share of the fleet's maximum server draw that is down, in [0, 1].
    pub power_share: f64,
    pub power_components_off: usize,
    /// The scenario is one component whose loss takes servers down that have no
    /// other path: a single point of failure.
    pub single_point_of_failure: bool,
}

impl ScenarioSet {
    /// Every scenario's blast radius, largest first (ties by name). A searched
    /// family contributes its worst set by servers down.
    pub fn blast_radii(&self, topology: &crate::topology::Topology) -> Vec<BlastRadius> {
        let inventory = topology.inventory;
        let total_cpu: f64 = inventory.servers.iter().map(|s| s.cpu).sum();
        let total_w: f64 = inventory.servers.iter().map(|s| s.max_w).sum();
        let radius = |name: String, words: Vec<String>, failed: &[Component]| {
            let impact = topology.impact(failed);
            // Folded from +0.0: an empty f64 sum is -0.0, which JSON would show.
            let cpu = impact
                .down
                .iter()
                .fold(0.0, |sum, s| sum + inventory.server(*s).cpu);
            let watts = impact
                .down
                .iter()
                .fold(0.0, |sum, s| sum + inventory.server(*s).max_w);
            let single_power = matches!(failed, [Component::Power(_)]);
            BlastRadius {
                scenario: name,
                words,
                servers_down: impact.down.len(),
                cpu_share: if total_cpu > 0.0 {
                    cpu / total_cpu
                } else {
                    0.0
                },
                power_share: if total_w > 0.0 { watts / total_w } else { 0.0 },
                power_components_off: impact.unpowered.len(),
                single_point_of_failure: single_power && !impact.down.is_empty(),
            }
        };
        let mut radii: Vec<BlastRadius> = self
            .scenarios
            .iter()
            .map(|s| {
                let words = s
                    .words
                    .iter()
                    .map(|m| self.words[m.word].to_string())
                    .collect();
                radius(s.name.clone(), words, &s.failed)
            })
            .collect();
        for family in &self.families {
            let (_, worst) = family.worst(|set| {
                let failed: Vec<Component> = set.iter().map(|p| Component::Power(*p)).collect();
                topology.impact(&failed).down.len() as u64
            });
            let failed: Vec<Component> = worst.iter().map(|p| Component::Power(*p)).collect();
            let names: Vec<&str> = worst
                .iter()
                .map(|p| inventory.power(*p).id.as_str())
                .collect();
            let word = self.words[family.word].to_string();
            radii.push(radius(
                format!("{word} {} (worst set)", names.join("+")),
                vec![word],
                &failed,
            ));
        }
        radii.sort_by(|a, b| {
            b.servers_down
                .cmp(&a.servers_down)
                .then(b.power_share.total_cmp(&a.power_share))
                .then_with(|| a.scenario.cmp(&b.scenario))
        });
        radii
    }
}
