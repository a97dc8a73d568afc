//! Expands the `survive` words of FORMATS.md into concrete failure scenarios.
//!
//! Every word but `power:P%` is a short explicit list. `power:P%` stands for every
//! set of a datacenter's roots (or components of one kind) whose capacity adds up
//! to at most P% of the datacenter's: when a datacenter has few such sets they are
//! listed, otherwise the family is kept as a [`BudgetFamily`] whose worst sets
//! are searched exactly by a [`FamilySearch`]: the most replicas lost for a
//! service, and (with a [`LoadSearch`]) the most load on each component.

use std::collections::BTreeMap;

use crate::inventory::{Component, DcId, Inventory, PowerId, ServerId, SurviveWord};
use crate::topology::{Impact, LoadModel, PartialLoads, Topology};

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
    ///
    /// It knows nothing of the loss but its calls, so its bound ignores the
    /// budget and it can take exponential time on a large family; for replicas
    /// or servers down, [`BudgetFamily::worst_replica_loss`] and
    /// [`FamilySearch::worst_loss`] use the power graph and are fast.
    pub fn worst<F: FnMut(&[PowerId]) -> u64>(&self, mut loss: F) -> (u64, Vec<PowerId>) {
        let mut best = (0, Vec::new());
        let mut chosen = Vec::new();
        self.branch(0, 0.0, &mut chosen, &mut loss, &mut best);
        best
    }

    fn branch<F: FnMut(&[PowerId]) -> u64>(
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
        self.branch(i + 1, used + self.capacity_w[i], chosen, loss, best);
        chosen.pop();
        self.branch(i + 1, used, chosen, loss, best);
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
            let (_, worst) = family.search(topology).worst_loss(|_| 1);
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

/// When a family's groups of interdependent candidates have more sets than this
/// within the budget in total, they are not listed: replica checks fall back to
/// [`BudgetFamily::worst`] and load checks to a bound (`power-unproven`).
pub const MAX_GROUP_SETS: usize = 1 << 17;

/// The load search stops after this many nodes for one component; the
/// component is then `power-unproven` unless an overloading set was found.
pub const MAX_SEARCH_NODES: u64 = 2_000_000;

/// Why a `power:P%` worst case could not be proven exactly.
#[derive(Debug, Clone, PartialEq)]
pub enum SearchLimit {
    /// The groups of candidates that feed common servers have more than
    /// [`MAX_GROUP_SETS`] sets within the budget; `largest` candidates form the
    /// largest group.
    TooManySets { largest: usize },
    /// The load search for one component visited [`MAX_SEARCH_NODES`] nodes.
    Nodes,
}

impl std::fmt::Display for SearchLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SearchLimit::TooManySets { largest } => write!(
                f,
                "its groups of components that feed common servers (the largest has {largest}) have more than {MAX_GROUP_SETS} sets within the budget"
            ),
            SearchLimit::Nodes => write!(
                f,
                "the search stopped at its limit of {MAX_SEARCH_NODES} nodes"
            ),
        }
    }
}

/// A [`BudgetFamily`] prepared for exact worst-case searches.
///
/// Whether a server is up, and where its draw goes, depends only on the
/// candidates at or above its power supplies. Candidates that share a server
/// are joined into one group; groups are independent, so replicas lost and
/// load added are sums over groups, and the worst set is a multiple-choice
/// knapsack: pick one set per group within the family's budget. Each group's
/// sets are evaluated once with [`Topology::impact`], shared by every service
/// (and every placement); a [`LoadSearch`] routes them once per placement,
/// shared by every power component.
pub struct FamilySearch<'s> {
    family: &'s BudgetFamily,
    topology: &'s Topology<'s>,
    groups: Vec<Group>,
    limit: Option<SearchLimit>,
}

struct Group {
    /// Servers whose power depends on this group's candidates, sorted.
    servers: Vec<ServerId>,
    /// Every set of the group within the budget; the first is the empty set.
    sets: Vec<GroupSet>,
}

struct GroupSet {
    /// Candidate indexes, ascending.
    members: Vec<usize>,
    cost_w: f64,
    /// Servers of the group it takes down, sorted.
    down: Vec<ServerId>,
}

/// The worst load a family can put on one component.
#[derive(Debug, Clone, PartialEq)]
pub enum WorstLoad {
    /// No set within the budget puts more than the threshold asked about.
    AtMost,
    /// The set with the most load (above the threshold), and that load as
    /// [`LoadModel::loads`] computes it. `exact` is false when the search hit
    /// its node limit after finding this set: the set is real, maybe not the worst.
    Found {
        load_w: f64,
        set: Vec<PowerId>,
        exact: bool,
    },
    /// The search hit a limit before deciding; `bound_w` is a proven upper bound.
    Unproven { bound_w: f64, limit: SearchLimit },
}

impl BudgetFamily {
    /// Prepares the exact searches; cheap to build compared to what it saves,
    /// and reusable for every placement on the same inventory.
    pub fn search<'s>(&'s self, topology: &'s Topology<'s>) -> FamilySearch<'s> {
        FamilySearch::new(self, topology)
    }

    /// The set within the budget that takes down the most of `replicas` (one
    /// entry per replica: a server listed twice holds two), exactly. Returns
    /// (replicas lost, the set); the empty set when nothing is lost.
    pub fn worst_replica_loss(
        &self,
        topology: &Topology,
        replicas: &[ServerId],
    ) -> (u64, Vec<PowerId>) {
        self.search(topology).worst_replica_loss(replicas)
    }
}

impl<'s> FamilySearch<'s> {
    pub fn new(family: &'s BudgetFamily, topology: &'s Topology<'s>) -> Self {
        let inventory = topology.inventory;
        let mut candidate_of = vec![usize::MAX; inventory.power.len()];
        for (i, p) in family.candidates.iter().enumerate() {
            candidate_of[p.index()] = i;
        }
        // Candidates at or above each component: the ones its power depends on.
        let mut above: Vec<Vec<usize>> = vec![Vec::new(); inventory.power.len()];
        for &p in &inventory.power_order {
            let mut here: Vec<usize> = inventory
                .power(p)
                .feeds_from
                .iter()
                .flat_map(|q| above[q.index()].iter().copied())
                .collect();
            if candidate_of[p.index()] != usize::MAX {
                here.push(candidate_of[p.index()]);
            }
            here.sort_unstable();
            here.dedup();
            above[p.index()] = here;
        }
        let n = family.candidates.len();
        let mut parent: Vec<usize> = (0..n).collect();
        fn find(parent: &mut [usize], mut i: usize) -> usize {
            while parent[i] != i {
                parent[i] = parent[parent[i]];
                i = parent[i];
            }
            i
        }
        let mut dependent: Vec<(ServerId, usize)> = Vec::new();
        for s in inventory.server_ids() {
            let mut support: Vec<usize> = inventory
                .server(s)
                .psu
                .iter()
                .flat_map(|q| above[q.index()].iter().copied())
                .collect();
            support.sort_unstable();
            support.dedup();
            let Some(&first) = support.first() else {
                continue;
            };
            for &c in &support[1..] {
                let (a, b) = (find(&mut parent, first), find(&mut parent, c));
                if a != b {
                    parent[a.max(b)] = a.min(b);
                }
            }
            dependent.push((s, first));
        }
        // Groups in order of their smallest candidate, so the output is stable.
        let mut group_of_root = vec![usize::MAX; n];
        let mut members: Vec<Vec<usize>> = Vec::new();
        let mut servers: Vec<Vec<ServerId>> = Vec::new();
        for (s, c) in dependent {
            let root = find(&mut parent, c);
            if group_of_root[root] == usize::MAX {
                group_of_root[root] = members.len();
                members.push(Vec::new());
                servers.push(Vec::new());
            }
            servers[group_of_root[root]].push(s);
        }
        for c in 0..n {
            let g = group_of_root[find(&mut parent, c)];
            if g != usize::MAX {
                members[g].push(c);
            }
        }
        let mut order: Vec<usize> = (0..members.len()).collect();
        order.sort_by_key(|&g| members[g][0]);
        let mut search = FamilySearch {
            family,
            topology,
            groups: Vec::new(),
            limit: None,
        };
        let mut listed = 0;
        for g in order {
            let mut sets = vec![(Vec::new(), 0.0)];
            let mut chosen = Vec::new();
            let room = MAX_GROUP_SETS.saturating_sub(listed);
            if !family.group_sets(&members[g], 0, 0.0, &mut chosen, &mut sets, room) {
                search.limit = Some(SearchLimit::TooManySets {
                    largest: members.iter().map(Vec::len).max().unwrap_or(0),
                });
                search.groups.clear();
                return search;
            }
            listed += sets.len();
            let sets = sets
                .into_iter()
                .map(|(members, cost_w)| {
                    let failed: Vec<Component> = members
                        .iter()
                        .map(|&c| Component::Power(family.candidates[c]))
                        .collect();
                    GroupSet {
                        down: topology.impact(&failed).down,
                        members,
                        cost_w,
                    }
                })
                .collect();
            search.groups.push(Group {
                servers: std::mem::take(&mut servers[g]),
                sets,
            });
        }
        search
    }

    /// The limit that keeps this family from being searched exactly, if any.
    pub fn limit(&self) -> Option<&SearchLimit> {
        self.limit.as_ref()
    }

    /// See [`BudgetFamily::worst_replica_loss`].
    pub fn worst_replica_loss(&self, replicas: &[ServerId]) -> (u64, Vec<PowerId>) {
        let mut count: BTreeMap<ServerId, u64> = BTreeMap::new();
        for s in replicas {
            *count.entry(*s).or_default() += 1;
        }
        self.worst_loss(|s| count.get(&s).copied().unwrap_or(0))
    }

    /// The set within the budget that maximises the summed `weight` of the
    /// servers it takes down (replicas of one service, or 1 per server), exactly.
    /// Returns (that sum, the set); the empty set when nothing is lost.
    pub fn worst_loss(&self, weight: impl Fn(ServerId) -> u64) -> (u64, Vec<PowerId>) {
        if self.limit.is_some() {
            return self.family.worst(|members| {
                let failed: Vec<Component> = members.iter().map(|p| Component::Power(*p)).collect();
                self.topology
                    .impact(&failed)
                    .down
                    .iter()
                    .map(|s| weight(*s))
                    .sum()
            });
        }
        // Replicas lost are small integers: a dynamic program over the loss
        // (the least capacity that loses exactly v) is exact without any limit.
        let mut items: Vec<Item<u64>> = Vec::new();
        for (g, group) in self.groups.iter().enumerate() {
            if group.servers.iter().all(|s| weight(*s) == 0) {
                continue;
            }
            let mut options: Vec<(f64, u64, usize)> = group
                .sets
                .iter()
                .enumerate()
                .map(|(i, set)| {
                    let lost = set.down.iter().map(|s| weight(*s)).sum();
                    (set.cost_w, lost, i)
                })
                .collect();
            options.sort_by(|a, b| a.0.total_cmp(&b.0).then(b.1.cmp(&a.1)));
            let mut kept: Vec<(f64, u64, usize)> = Vec::new();
            for option in options {
                if kept.last().is_none_or(|last| option.1 > last.1) {
                    kept.push(option);
                }
            }
            if kept.iter().any(|o| o.1 > 0) {
                items.push((g, kept));
            }
        }
        let budget = self.family.budget_w;
        let total: u64 = items.iter().map(|(_, o)| o.last().map_or(0, |o| o.1)).sum();
        let Ok(total) = usize::try_from(total) else {
            return (0, Vec::new());
        };
        let mut cost = vec![f64::INFINITY; total + 1];
        cost[0] = 0.0;
        let mut reach = 0usize;
        // One byte per entry in the usual case (few options per group): the
        // table is groups × replicas, large for a big datacenter.
        let mut choices: Vec<Choices> = Vec::with_capacity(items.len());
        for (_, options) in &items {
            let top = reach + options.last().map_or(0, |o| o.1 as usize);
            let mut next = vec![f64::INFINITY; top + 1];
            let mut choice = Choices::new(options.len(), top + 1);
            // Option by option, so that on a tie the cheapest option of this
            // group wins and the worst set uses the earliest groups.
            for (j, &(c, lost, _)) in options.iter().enumerate() {
                for (v, &base) in cost.iter().enumerate().take(reach + 1) {
                    let (to, w) = (v + lost as usize, base + c);
                    if w <= budget && w < next[to] {
                        next[to] = w;
                        choice.set(to, j);
                    }
                }
            }
            cost[..=top].copy_from_slice(&next);
            reach = top;
            choices.push(choice);
        }
        let Some(best) = (0..=reach).rev().find(|&v| cost[v] <= budget) else {
            return (0, Vec::new());
        };
        let mut members = Vec::new();
        let mut v = best;
        for ((g, options), choice) in items.iter().zip(&choices).rev() {
            let (_, lost, set) = options[choice.get(v)];
            members.extend_from_slice(&self.groups[*g].sets[set].members);
            v -= lost as usize;
        }
        (best as u64, self.power_ids(members))
    }

    fn power_ids(&self, mut members: Vec<usize>) -> Vec<PowerId> {
        members.sort_unstable();
        members
            .into_iter()
            .map(|c| self.family.candidates[c])
            .collect()
    }
}

impl BudgetFamily {
    /// Appends every non-empty subset of `members` (from `from` on) that fits
    /// beside `chosen`; false when `out` would hold more than `limit`.
    fn group_sets(
        &self,
        members: &[usize],
        from: usize,
        used: f64,
        chosen: &mut Vec<usize>,
        out: &mut Vec<(Vec<usize>, f64)>,
        limit: usize,
    ) -> bool {
        for i in from..members.len() {
            let used_now = used + self.capacity_w[members[i]];
            if used_now > self.budget_w {
                continue;
            }
            if out.len() >= limit {
                return false;
            }
            chosen.push(members[i]);
            out.push((chosen.clone(), used_now));
            if !self.group_sets(members, i + 1, used_now, chosen, out, limit) {
                return false;
            }
            chosen.pop();
        }
        true
    }
}

/// The option each group takes for each loss, in the dynamic program.
enum Choices {
    Small(Vec<u8>),
    Large(Vec<u32>),
}

impl Choices {
    fn new(options: usize, len: usize) -> Self {
        if options <= usize::from(u8::MAX) + 1 {
            Choices::Small(vec![0; len])
        } else {
            Choices::Large(vec![0; len])
        }
    }

    fn set(&mut self, at: usize, option: usize) {
        match self {
            Choices::Small(v) => v[at] = option as u8,
            Choices::Large(v) => v[at] = option as u32,
        }
    }

    fn get(&self, at: usize) -> usize {
        match self {
            Choices::Small(v) => usize::from(v[at]),
            Choices::Large(v) => v[at] as usize,
        }
    }
}

/// A group and the ways it can fail: (capacity failed, value, index of the set
/// in the group).
type Item<V> = (usize, Vec<(f64, V, usize)>);

/// Worst loads of one placement under a family: each group's sets are routed
/// once with [`PartialLoads`], then each component is its own knapsack over
/// the groups that can raise its load.
pub struct LoadSearch<'s> {
    search: &'s FamilySearch<'s>,
    model: &'s LoadModel<'s, 's>,
    normal_w: Vec<f64>,
    /// Per component: the groups whose sets can raise its load, each with the
    /// sets worth failing, as (capacity, load added, set).
    changes: BTreeMap<PowerId, Vec<Item<f64>>>,
}

impl<'s> LoadSearch<'s> {
    pub fn new(search: &'s FamilySearch<'s>, model: &'s LoadModel<'s, 's>) -> Self {
        let normal_w = model.loads(&Impact::default());
        let mut changes: BTreeMap<PowerId, Vec<Item<f64>>> = BTreeMap::new();
        for (g, group) in search.groups.iter().enumerate() {
            let partial = PartialLoads::new(model, &group.servers);
            let base = partial.route(&Impact::default());
            // Only the sets no cheaper set beats, per component: a group of
            // many sets keeps a few per component, not all of them.
            let mut options: Vec<Vec<(f64, f64, usize)>> = vec![Vec::new(); base.len()];
            let mut kept = vec![0; base.len()];
            for (i, set) in group.sets.iter().enumerate().skip(1) {
                let failed: Vec<Component> = set
                    .members
                    .iter()
                    .map(|&c| Component::Power(search.family.candidates[c]))
                    .collect();
                let loads = partial.route(&search.topology.impact(&failed));
                for (k, (w, w0)) in loads.iter().zip(&base).enumerate() {
                    if w > w0 {
                        options[k].push((set.cost_w, w - w0, i));
                        if options[k].len() > 2 * kept[k] + 16 {
                            pareto(&mut options[k]);
                            kept[k] = options[k].len();
                        }
                    }
                }
            }
            for (k, mut options) in options.into_iter().enumerate() {
                if !options.is_empty() {
                    pareto(&mut options);
                    changes
                        .entry(partial.reach()[k])
                        .or_default()
                        .push((g, options));
                }
            }
        }
        LoadSearch {
            search,
            model,
            normal_w,
            changes,
        }
    }

    /// Load of each component with nothing failed.
    pub fn normal_w(&self) -> &[f64] {
        &self.normal_w
    }

    /// Components some set of the family can put more load on than normal
    /// operation does; every other component's worst case is its normal load.
    pub fn targets(&self) -> impl Iterator<Item = PowerId> + '_ {
        self.changes.keys().copied()
    }

    /// The set within the budget that puts the most load on `target`, when that
    /// load is above `above_w` (pass `f64::NEG_INFINITY` for the worst set
    /// whatever its load; it may be the empty set).
    pub fn worst_load(&self, target: PowerId, above_w: f64) -> WorstLoad {
        let normal = self.normal_w[target.index()];
        let items: Vec<Item<f64>> = self.changes.get(&target).cloned().unwrap_or_default();
        let mut knapsack = Knapsack::new(items, self.search.family.budget_w);
        let bound_w = normal + knapsack.bound();
        if bound_w <= above_w {
            return WorstLoad::AtMost;
        }
        let found = knapsack.solve(above_w - normal);
        let exact = knapsack.nodes <= MAX_SEARCH_NODES;
        match found {
            Some(choice) => {
                let members: Vec<usize> = choice
                    .into_iter()
                    .flat_map(|(g, set)| self.search.groups[g].sets[set].members.iter().copied())
                    .collect();
                let set = self.search.power_ids(members);
                let failed: Vec<Component> = set.iter().map(|p| Component::Power(*p)).collect();
                let load_w =
                    self.model.loads(&self.search.topology.impact(&failed))[target.index()];
                match (load_w > above_w, exact) {
                    (true, _) => WorstLoad::Found { load_w, set, exact },
                    (false, true) => WorstLoad::AtMost,
                    (false, false) => WorstLoad::Unproven {
                        bound_w,
                        limit: SearchLimit::Nodes,
                    },
                }
            }
            None if exact => WorstLoad::AtMost,
            None => WorstLoad::Unproven {
                bound_w,
                limit: SearchLimit::Nodes,
            },
        }
    }
}

/// A multiple-choice knapsack: one option per item, the most value within the
/// budget. Items with the same options are interchangeable (two racks wired
/// alike), so they form a class and the search branches on how many of a class
/// take each option, never on which. The bound is the linear relaxation: the
/// upper concave hull of each class's options, taken greedily by slope.
struct Knapsack {
    classes: Vec<Class>,
    /// Items with nothing to gain beyond their free option: (item, its set).
    fixed: Vec<(usize, usize)>,
    budget: f64,
    /// Value every item gets for free (options that cost nothing).
    base: f64,
    /// Every hull segment of every class, times the class's items, steepest
    /// first: its slope, and prefix sums of cost and gain (one more entry).
    slopes: Vec<f64>,
    cum_cost: Vec<f64>,
    cum_gain: Vec<f64>,
    /// For class k, the first segment a class after k can own: segments are
    /// sorted by slope and classes by their steepest one.
    after: Vec<usize>,
    /// Bounds within this of the incumbent prune: prefix sums round.
    slack: f64,
    nodes: u64,
}

/// Values closer than this (watts) are equal to the search: it never prunes a
/// branch for being better by less, so float noise cannot hide the optimum.
const VALUE_SLACK: f64 = 1e-9;

struct Class {
    /// (item, set of its free option).
    items: Vec<(usize, usize)>,
    /// Options beyond the free one: (cost, value gained, set index), cost and
    /// value strictly increasing.
    options: Vec<(f64, f64, usize)>,
    /// For each prefix of `options` (1..=j), its hull segments as (slope,
    /// cost, gain); only the whole hull when there are many options (a
    /// looser bound for a prefix, in linear rather than quadratic memory).
    prefix_hulls: Vec<Vec<(f64, f64, f64)>>,
}

/// Classes with more options keep only their whole hull.
const MAX_PREFIX_HULLS: usize = 64;

impl Class {
    /// Hull segments of options 1..=j (or of all options, a superset).
    fn hull(&self, j: usize) -> &[(f64, f64, f64)] {
        let at = (j - 1).min(self.prefix_hulls.len() - 1);
        &self.prefix_hulls[at]
    }
}

impl Knapsack {
    fn new(items: Vec<Item<f64>>, budget: f64) -> Self {
        let mut base = 0.0;
        let mut by_options: BTreeMap<Vec<(u64, u64)>, usize> = BTreeMap::new();
        let mut classes: Vec<Class> = Vec::new();
        let mut fixed = Vec::new();
        for (item, mut options) in items {
            options.sort_by(|a, b| a.0.total_cmp(&b.0).then(b.1.total_cmp(&a.1)));
            // The free option with the most value is the item's starting point.
            let (free_value, free_set) = options
                .iter()
                .filter(|o| o.0 <= 0.0)
                .map(|o| (o.1, o.2))
                // Set 0 of every group is the empty set: free, adding nothing.
                .fold((0.0, 0), |a, b| if b.0 > a.0 { b } else { a });
            base += free_value;
            let mut kept: Vec<(f64, f64, usize)> = Vec::new();
            for &(cost, value, set) in options.iter().filter(|o| o.0 > 0.0 && o.0 <= budget) {
                let gain = value - free_value;
                if gain > kept.last().map_or(0.0, |k| k.1) {
                    kept.push((cost, gain, set));
                }
            }
            if kept.is_empty() {
                fixed.push((item, free_set));
                continue;
            }
            let key: Vec<(u64, u64)> = kept
                .iter()
                .map(|(c, v, _)| (c.to_bits(), v.to_bits()))
                .collect();
            let class = *by_options.entry(key).or_insert_with(|| {
                classes.push(Class {
                    items: Vec::new(),
                    prefix_hulls: if kept.len() <= MAX_PREFIX_HULLS {
                        (1..=kept.len()).map(|j| hull(&kept[..j])).collect()
                    } else {
                        vec![hull(&kept)]
                    },
                    options: kept.clone(),
                });
                classes.len() - 1
            });
            classes[class].items.push((item, free_set));
        }
        // Steepest classes first: the first dive is the greedy solution.
        classes.sort_by(|a, b| {
            let slope = |c: &Class| c.prefix_hulls.last().map_or(0.0, |h| h[0].0);

            slope(b).total_cmp(&slope(a))
        });
        let mut segments: Vec<(f64, f64, f64, usize)> = classes
            .iter()
            .enumerate()
            .flat_map(|(k, class)| {
                class
                    .prefix_hulls
                    .last()
                    .into_iter()
                    .flatten()
                    .map(move |&(slope, cost, gain)| (slope, cost, gain, k))
            })
            .collect();
        segments.sort_by(|a, b| b.0.total_cmp(&a.0));
        let slopes: Vec<f64> = segments.iter().map(|s| s.0).collect();
        let (mut cum_cost, mut cum_gain) = (vec![0.0], vec![0.0]);
        for &(_, cost, gain, class) in &segments {
            let count = classes[class].items.len() as f64;
            cum_cost.push(cum_cost[cum_cost.len() - 1] + cost * count);
            cum_gain.push(cum_gain[cum_gain.len() - 1] + gain * count);
        }
        let after = (0..classes.len())
            .map(|k| match classes.get(k + 1) {
                Some(next) => {
                    let steepest = next.prefix_hulls.last().map_or(0.0, |h| h[0].0);
                    slopes.partition_point(|s| *s > steepest)
                }
                None => slopes.len(),
            })
            .collect();
        let slack = VALUE_SLACK + 1e-12 * (cum_gain[cum_gain.len() - 1] + base.abs());
        Knapsack {
            classes,
            fixed,
            budget,
            base,
            slopes,
            cum_cost,
            cum_gain,
            after,
            slack,
            nodes: 0,
        }
    }

    /// An upper bound on the best value, from the linear relaxation.
    fn bound(&self) -> f64 {
        self.base + self.relaxation(0, None, self.budget)
    }

    /// The relaxation over classes from `first` on, where class `first` only
    /// has `partial = (items left, options 1..=j)` when given, within `room`.
    /// Later classes are taken as every segment no steeper than their
    /// steepest, which may include lower segments of classes already decided:
    /// a looser bound, still a bound, in O(log segments) per step.
    fn relaxation(&self, first: usize, partial: Option<(usize, usize)>, mut room: f64) -> f64 {
        let (own, left, mut at): (&[(f64, f64, f64)], usize, usize) = match partial {
            Some((left, j)) if left > 0 && j > 0 => {
                (self.classes[first].hull(j), left, self.after[first])
            }
            Some(_) => (&[], 0, self.after[first]),
            None => (&[], 0, 0),
        };
        let mut value = 0.0;
        for &(slope, cost, gain) in own {
            let until = at + self.slopes[at..].partition_point(|s| *s >= slope);
            if self.fill(&mut at, until, &mut room, &mut value) {
                return value;
            }
            let whole = ((room / cost).floor() as usize).min(left);
            value += whole as f64 * gain;
            room -= whole as f64 * cost;
            if whole < left {
                return value + slope * room.max(0.0);
            }
        }
        self.fill(&mut at, self.slopes.len(), &mut room, &mut value);
        value
    }

    /// Takes segments `at..until` greedily within `room`; true when room ran out.
    fn fill(&self, at: &mut usize, until: usize, room: &mut f64, value: &mut f64) -> bool {
        *room = room.max(0.0);
        let base = self.cum_cost[*at];
        if self.cum_cost[until] - base <= *room {
            *value += self.cum_gain[until] - self.cum_gain[*at];
            *room -= self.cum_cost[until] - base;
            *at = until;
            return false;
        }
        // The last segment starting within room: the one taken in part.
        let last = *at + self.cum_cost[*at..until].partition_point(|c| c - base <= *room) - 1;
        *value += self.cum_gain[last] - self.cum_gain[*at];
        *room -= self.cum_cost[last] - base;
        *value += self.slopes[last] * room.max(0.0);
        *room = 0.0;
        true
    }

    /// The best choice with value above `need`, as (item, set) per item; None
    /// when no choice beats `need` (or the node limit stopped the search first).
    fn solve(&mut self, need: f64) -> Option<Vec<(usize, usize)>> {
        let mut counts: Vec<Vec<usize>> = self
            .classes
            .iter()
            .map(|c| vec![0; c.options.len()])
            .collect();
        // Only the free options, taken by every item, is a choice too.
        let (mut best, mut best_counts) = if self.base > need {
            (0.0, Some(counts.clone()))
        } else {
            (need - self.base, None)
        };
        if let Some(first) = self.classes.first() {
            let (options, items) = (first.options.len(), first.items.len());
            self.dive(
                0,
                options,
                items,
                self.budget,
                0.0,
                &mut counts,
                &mut best,
                &mut best_counts,
            );
        }
        best_counts.map(|counts| self.choice(&counts))
    }

    fn choice(&self, counts: &[Vec<usize>]) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        for (class, counts) in self.classes.iter().zip(counts) {
            let mut items = class.items.iter();
            for (j, &n) in counts.iter().enumerate().rev() {
                for &(item, _) in items.by_ref().take(n) {
                    out.push((item, class.options[j].2));
                }
            }
            out.extend(items.copied());
        }
        out.extend_from_slice(&self.fixed);
        out
    }

    /// Decides how many items of class `k` take option `j` (1-based), given
    /// `left` items of the class still free; options above `j` are decided.
    #[allow(clippy::too_many_arguments)]
    fn dive(
        &mut self,
        k: usize,
        j: usize,
        left: usize,
        room: f64,
        value: f64,
        counts: &mut Vec<Vec<usize>>,
        best: &mut f64,
        best_counts: &mut Option<Vec<Vec<usize>>>,
    ) {
        if self.nodes > MAX_SEARCH_NODES {
            return;
        }
        self.nodes += 1;
        if j == 0 || left == 0 {
            if k + 1 == self.classes.len() {
                if value > *best {
                    *best = value;
                    *best_counts = Some(counts.clone());
                }
                return;
            }
            let next = &self.classes[k + 1];
            let (options, items) = (next.options.len(), next.items.len());
            return self.dive(
                k + 1,
                options,
                items,
                room,
                value,
                counts,
                best,
                best_counts,
            );
        }
        if value + self.relaxation(k, Some((left, j)), room) <= *best + self.slack {
            return;
        }
        let (cost, gain, _) = self.classes[k].options[j - 1];
        let mut most = ((room / cost).floor() as usize).min(left);
        while most > 0 && most as f64 * cost > room {
            most -= 1;
        }
        for n in (0..=most).rev() {
            counts[k][j - 1] = n;
            self.dive(
                k,
                j - 1,
                left - n,
                room - n as f64 * cost,
                value + n as f64 * gain,
                counts,
                best,
                best_counts,
            );
        }
        counts[k][j - 1] = 0;
    }
}

/// Keeps the options (cost, value, set) that no cheaper or equal-cost option
/// matches in value, sorted by cost; ties go to the earlier set.
fn pareto(options: &mut Vec<(f64, f64, usize)>) {
    options.sort_by(|a, b| {
        a.0.total_cmp(&b.0)
            .then(b.1.total_cmp(&a.1))
            .then(a.2.cmp(&b.2))
    });
    let mut best = f64::NEG_INFINITY;
    options.retain(|o| {
        let keep = o.1 > best;
        best = best.max(o.1);
        keep
    });
}

/// The upper concave hull of options (cost, gain, _) sorted by cost, from the
/// origin, as segments (slope, cost, gain) with slopes decreasing.
fn hull(options: &[(f64, f64, usize)]) -> Vec<(f64, f64, f64)> {
    let mut points: Vec<(f64, f64)> = vec![(0.0, 0.0)];
    for &(c, v, _) in options {
        while points.len() >= 2 {
            let (a, b) = (points[points.len() - 2], points[points.len() - 1]);
            // b lies on or below the line from a to the new point: drop it.
            if (b.1 - a.1) * (c - a.0) <= (v - a.1) * (b.0 - a.0) {
                points.pop();
            } else {
                break;
            }
        }
        points.push((c, v));
    }
    points
        .windows(2)
        .map(|w| {
            let (cost, gain) = (w[1].0 - w[0].0, w[1].1 - w[0].1);
            (gain / cost, cost, gain)
        })
        .collect()
}
