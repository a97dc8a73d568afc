//! A family's candidates in groups that share no server, and the sets of each
//! group within the budget.

use super::budget_family::BudgetFamily;
use crate::inventory::ServerId;

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

impl BudgetFamily {
    /// Appends every non-empty subset of `members` (from `from` on) that fits
    /// beside `chosen`; false when `out` would hold more than `limit`.
    pub(super) fn group_sets(
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
