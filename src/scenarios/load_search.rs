//! The exact worst load a `power:P%` family can put on each power component.

use std::collections::BTreeMap;

use super::family_search::FamilySearch;
use super::groups::Item;
use super::knapsack::{pareto, Knapsack};
use super::search_limits::{SearchLimit, MAX_SEARCH_NODES};
use crate::inventory::{Component, PowerId};
use crate::topology::{Impact, LoadModel, PartialLoads};

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
