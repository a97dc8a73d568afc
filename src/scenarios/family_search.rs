//! The exact worst replica loss of a `power:P%` family, over its independent
//! groups of candidates.

use std::collections::BTreeMap;

use super::budget_family::BudgetFamily;
use super::groups::{join_groups, Group, Item};
use super::loss_table;
use super::search_limits::{SearchLimit, MAX_GROUP_SETS};
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
    /// Joins the candidates into groups, then lists and evaluates each group's
    /// sets; past [`MAX_GROUP_SETS`] sets in all, no group is kept and the
    /// family is searched without them (see [`FamilySearch::limit`]).
    pub fn new(family: &'s BudgetFamily, topology: &'s Topology<'s>) -> Self {
        let mut search = FamilySearch {
            family,
            topology,
            groups: Vec::new(),
            limit: None,
        };
        let joined = join_groups(family, topology.inventory);
        let largest = joined.iter().map(|g| g.candidates.len()).max().unwrap_or(0);
        let mut listed = 0;
        for group in joined {
            let room = MAX_GROUP_SETS.saturating_sub(listed);
            let Some(sets) = family.sets_of_group(&group.candidates, room) else {
                search.limit = Some(SearchLimit::TooManySets { largest });
                search.groups.clear();
                return search;
            };
            listed += sets.len();
            let group = Group::evaluate(group.servers, sets, family, topology);
            search.groups.push(group);
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
            return self.worst_loss_by_branching(&weight);
        }
        // Replicas lost are small integers: a dynamic program over the loss
        // (the least capacity that loses exactly v) is exact without any limit.
        let items = self.loss_options(&weight);
        let Some((best, chosen)) = loss_table::most_loss(&items, self.family.budget_w) else {
            return (0, Vec::new());
        };
        let mut members = Vec::new();
        for (g, set) in chosen {
            members.extend_from_slice(&self.groups[g].sets[set].members);
        }
        (best as u64, self.power_ids(members))
    }

    /// [`FamilySearch::worst_loss`] when the groups could not be listed.
    fn worst_loss_by_branching(&self, weight: impl Fn(ServerId) -> u64) -> (u64, Vec<PowerId>) {
        self.family.worst(|members| {
            let failed: Vec<Component> = members.iter().map(|p| Component::Power(*p)).collect();
            self.topology
                .impact(&failed)
                .down
                .iter()
                .map(|s| weight(*s))
                .sum()
        })
    }

    /// Per group that holds any weight, the sets no cheaper set beats in loss,
    /// as (capacity, loss, set); groups that can lose nothing are left out.
    fn loss_options(&self, weight: impl Fn(ServerId) -> u64) -> Vec<Item<u64>> {
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
        items
    }

    pub(super) fn power_ids(&self, mut members: Vec<usize>) -> Vec<PowerId> {
        members.sort_unstable();
        members
            .into_iter()
            .map(|c| self.family.candidates[c])
            .collect()
    }
}
