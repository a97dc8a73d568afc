//! A `power:P%` family too large to list: its sets within the budget, listed
//! up to a limit, and its worst set by plain branch and bound for any loss.

use crate::inventory::{DcId, PowerId};

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
    /// `FamilySearch::worst_loss` use the power graph and are fast.
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
