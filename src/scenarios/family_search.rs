//! The exact worst replica loss of a `power:P%` family, over its independent
//! groups of candidates.

use std::collections::BTreeMap;

use super::budget_family::BudgetFamily;
use super::groups::{Group, GroupSet, Item};
use super::limits::{SearchLimit, MAX_GROUP_SETS};
use super::loss_table::Choices;
use crate::inventory::{Component, PowerId, ServerId};
use crate::topology::Topology;

/// A [`BudgetFamily`] prepared for exact worst-case searches.
///
/// Whether a server is up, and where its draw goes, depends only on the
/// candidates at or above its power supplies. Candidates that share a server
/// are joined into one group; groups are independent, so replicas lost and
/// load added are sums over groups, and the worst set is a multiple-choice
/// knapsack: pick one set per group within the family's budget. Each group's
/// sets are evaluated once with [`Topology::impact`], shared by every service
/// (and every placement); a `LoadSearch` routes them once per placement,
/// shared by every power component.
pub struct FamilySearch<'s> {
    pub(super) family: &'s BudgetFamily,
    pub(super) topology: &'s Topology<'s>,
    pub(super) groups: Vec<Group>,
    limit: Option<SearchLimit>,
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

    pub(super) fn power_ids(&self, mut members: Vec<usize>) -> Vec<PowerId> {
        members.sort_unstable();
        members
            .into_iter()
            .map(|c| self.family.candidates[c])
            .collect()
    }
}
