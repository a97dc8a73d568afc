//! A family's candidates in groups that share no server, and the sets of each
//! group within the budget.

use super::budget_family::BudgetFamily;
use crate::inventory::{Component, Inventory, ServerId};
use crate::topology::Topology;

/// A group and the ways it can fail: (capacity failed, value, index of the set
/// in the group).
pub(super) type Item<V> = (usize, Vec<(f64, V, usize)>);

pub(super) struct Group {
    /// Servers whose power depends on this group's candidates, sorted.
    pub(super) servers: Vec<ServerId>,
    /// Every set of the group within the budget; the first is the empty set.
    pub(super) sets: Vec<GroupSet>,
}

pub(super) struct GroupSet {
    /// Candidate indexes, ascending.
    pub(super) members: Vec<usize>,
    pub(super) cost_w: f64,
    /// Servers of the group it takes down, sorted.
    pub(super) down: Vec<ServerId>,
}

/// Candidates joined because they feed common servers, before their sets are listed.
pub(super) struct JoinedCandidates {
    /// Candidate indexes, ascending.
    pub(super) candidates: Vec<usize>,
    /// Servers whose power depends on them, sorted.
    pub(super) servers: Vec<ServerId>,
}

/// Whether a server is up depends only on the candidates at or above its power
/// supplies: candidates that share a server are joined, and the groups come in
/// order of their smallest candidate, so the output is stable.
pub(super) fn join_groups(family: &BudgetFamily, inventory: &Inventory) -> Vec<JoinedCandidates> {
    let above = candidates_above(family, inventory);
    let mut joined = UnionFind::new(family.candidates.len());
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
            joined.union(first, c);
        }
        dependent.push((s, first));
    }
    groups_in_order(&mut joined, dependent)
}

/// Candidates at or above each component: the ones its power depends on.
fn candidates_above(family: &BudgetFamily, inventory: &Inventory) -> Vec<Vec<usize>> {
    let mut candidate_of = vec![usize::MAX; inventory.power.len()];
    for (i, p) in family.candidates.iter().enumerate() {
        candidate_of[p.index()] = i;
    }
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
    above
}

/// The joined candidates and their servers (each server with one of its
/// candidates), in order of their smallest candidate.
fn groups_in_order(
    joined: &mut UnionFind,
    dependent: Vec<(ServerId, usize)>,
) -> Vec<JoinedCandidates> {
    let n = joined.parent.len();
    let mut group_of_root = vec![usize::MAX; n];
    let mut groups: Vec<JoinedCandidates> = Vec::new();
    for (s, c) in dependent {
        let root = joined.find(c);
        if group_of_root[root] == usize::MAX {
            group_of_root[root] = groups.len();
            groups.push(JoinedCandidates {
                candidates: Vec::new(),
                servers: Vec::new(),
            });
        }
        groups[group_of_root[root]].servers.push(s);
    }
    for c in 0..n {
        let g = group_of_root[joined.find(c)];
        if g != usize::MAX {
            groups[g].candidates.push(c);
        }
    }
    groups.sort_by_key(|g| g.candidates[0]);
    groups
}

/// Disjoint sets of candidates; each set is named by its smallest member.
struct UnionFind {
    parent: Vec<usize>,
}

impl UnionFind {
    fn new(n: usize) -> Self {
        UnionFind {
            parent: (0..n).collect(),
        }
    }

    fn find(&mut self, mut i: usize) -> usize {
        let parent = &mut self.parent;
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }

    fn union(&mut self, a: usize, b: usize) {
        let (a, b) = (self.find(a), self.find(b));
        if a != b {
            self.parent[a.max(b)] = a.min(b);
        }
    }
}

impl Group {
    /// The group of `servers` with each of its `sets` (members, capacity)
    /// evaluated once with [`Topology::impact`].
    pub(super) fn evaluate(
        servers: Vec<ServerId>,
        sets: Vec<(Vec<usize>, f64)>,
        family: &BudgetFamily,
        topology: &Topology,
    ) -> Group {
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
        Group { servers, sets }
    }
}

impl BudgetFamily {
    /// Every set of the group's `candidates` within the budget, the empty set
    /// first, as (members, capacity); None when there are more than `limit`.
    pub(super) fn sets_of_group(
        &self,
        candidates: &[usize],
        limit: usize,
    ) -> Option<Vec<(Vec<usize>, f64)>> {
        let mut sets = vec![(Vec::new(), 0.0)];
        let mut chosen = Vec::new();
        if !self.group_sets(candidates, 0, 0.0, &mut chosen, &mut sets, limit) {
            return None;
        }
        Some(sets)
    }

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
