//! A multiple-choice knapsack with interchangeable items, for the worst load
//! on one component.

use std::collections::BTreeMap;

use super::groups::Item;
use super::search_limits::MAX_SEARCH_NODES;

/// A multiple-choice knapsack: one option per item, the most value within the
/// budget. Items with the same options are interchangeable (two racks wired
/// alike), so they form a class and the search branches on how many of a class
/// take each option, never on which. The bound is the linear relaxation: the
/// upper concave hull of each class's options, taken greedily by slope.
pub(super) struct Knapsack {
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
    pub(super) nodes: u64,
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

/// The items in classes of the same options beyond their free one, the items
/// with nothing to gain (fixed), and the value of every free option (base).
fn classify(items: Vec<Item<f64>>, budget: f64) -> (Vec<Class>, Vec<(usize, usize)>, f64) {
    let mut base = 0.0;
    let mut by_options: BTreeMap<Vec<(u64, u64)>, usize> = BTreeMap::new();
    let mut classes: Vec<Class> = Vec::new();
    let mut fixed = Vec::new();
    for (item, mut options) in items {
        options.sort_by(|a, b| a.0.total_cmp(&b.0).then(b.1.total_cmp(&a.1)));
        let (free_value, free_set) = free_option(&options);
        base += free_value;
        let kept = gains_beyond(&options, free_value, budget);
        if kept.is_empty() {
            fixed.push((item, free_set));
            continue;
        }
        let key: Vec<(u64, u64)> = kept
            .iter()
            .map(|(c, v, _)| (c.to_bits(), v.to_bits()))
            .collect();
        let class = *by_options.entry(key).or_insert_with(|| {
            classes.push(Class::new(kept));
            classes.len() - 1
        });
        classes[class].items.push((item, free_set));
    }
    (classes, fixed, base)
}

/// The free option with the most value is the item's starting point: (value, set).
fn free_option(options: &[(f64, f64, usize)]) -> (f64, usize) {
    options
        .iter()
        .filter(|o| o.0 <= 0.0)
        .map(|o| (o.1, o.2))
        // Set 0 of every group is the empty set: free, adding nothing.
        .fold((0.0, 0), |a, b| if b.0 > a.0 { b } else { a })
}

/// The options (sorted by cost) that cost something within the budget and
/// gain more over the free one than every cheaper option: (cost, gain, set).
fn gains_beyond(
    options: &[(f64, f64, usize)],
    free_value: f64,
    budget: f64,
) -> Vec<(f64, f64, usize)> {
    let mut kept: Vec<(f64, f64, usize)> = Vec::new();
    for &(cost, value, set) in options.iter().filter(|o| o.0 > 0.0 && o.0 <= budget) {
        let gain = value - free_value;
        if gain > kept.last().map_or(0.0, |k| k.1) {
            kept.push((cost, gain, set));
        }
    }
    kept
}

/// Every hull segment of every class, steepest first: the slopes, and the
/// prefix sums of cost and gain times each class's items (one more entry).
fn segments(classes: &[Class]) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
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
    (slopes, cum_cost, cum_gain)
}

impl Class {
    /// A class, still without items, of the options beyond the free one.
    fn new(options: Vec<(f64, f64, usize)>) -> Self {
        Class {
            items: Vec::new(),
            prefix_hulls: if options.len() <= MAX_PREFIX_HULLS {
                (1..=options.len()).map(|j| hull(&options[..j])).collect()
            } else {
                vec![hull(&options)]
            },
            options,
        }
    }

    /// The slope of its steepest hull segment.
    fn steepest(&self) -> f64 {
        self.prefix_hulls.last().map_or(0.0, |h| h[0].0)
    }

    /// Hull segments of options 1..=j (or of all options, a superset).
    fn hull(&self, j: usize) -> &[(f64, f64, f64)] {
        let at = (j - 1).min(self.prefix_hulls.len() - 1);
        &self.prefix_hulls[at]
    }
}

impl Knapsack {
    pub(super) fn new(items: Vec<Item<f64>>, budget: f64) -> Self {
        let (mut classes, fixed, base) = classify(items, budget);
        // Steepest classes first: the first dive is the greedy solution.
        classes.sort_by(|a, b| b.steepest().total_cmp(&a.steepest()));
        let (slopes, cum_cost, cum_gain) = segments(&classes);
        let after = (0..classes.len())
            .map(|k| match classes.get(k + 1) {
                Some(next) => {
                    let steepest = next.steepest();
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
    pub(super) fn bound(&self) -> f64 {
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
    pub(super) fn solve(&mut self, need: f64) -> Option<Vec<(usize, usize)>> {
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
pub(super) fn pareto(options: &mut Vec<(f64, f64, usize)>) {
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
