//! The dynamic program behind the worst replica loss: the least capacity that
//! loses exactly v, group by group.

use super::groups::Item;

/// The most loss within `budget` when each item (a group) takes one of its
/// options, and the option taken as (group, set), last group first; None when
/// the loss is too large to tabulate or nothing fits.
pub(super) fn most_loss(items: &[Item<u64>], budget: f64) -> Option<(usize, Vec<(usize, usize)>)> {
    let total: u64 = items.iter().map(|(_, o)| o.last().map_or(0, |o| o.1)).sum();
    let total = usize::try_from(total).ok()?;
    let mut table = LossTable::new(total, items.len());
    for (_, options) in items {
        table.add(options, budget);
    }
    let best = table.best(budget)?;
    Some((best, table.read_back(items, best)))
}

struct LossTable {
    /// The least capacity that loses exactly v, over the groups added so far.
    cost: Vec<f64>,
    /// The largest loss the groups added so far can reach.
    reach: usize,
    /// Per group added, the option it takes for each loss.
    choices: Vec<Choices>,
}

impl LossTable {
    fn new(total: usize, groups: usize) -> Self {
        let mut cost = vec![f64::INFINITY; total + 1];
        cost[0] = 0.0;
        LossTable {
            cost,
            reach: 0,
            // One byte per entry in the usual case (few options per group): the
            // table is groups × replicas, large for a big datacenter.
            choices: Vec::with_capacity(groups),
        }
    }

    /// Adds one group, whose options are (capacity, loss, set).
    fn add(&mut self, options: &[(f64, u64, usize)], budget: f64) {
        let (cost, reach) = (&mut self.cost, self.reach);
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
        self.reach = top;
        self.choices.push(choice);
    }

    /// The largest loss reachable within the budget.
    fn best(&self, budget: f64) -> Option<usize> {
        (0..=self.reach).rev().find(|&v| self.cost[v] <= budget)
    }

    /// The (group, set) each item takes to lose exactly `loss`, last item first.
    fn read_back(&self, items: &[Item<u64>], loss: usize) -> Vec<(usize, usize)> {
        let mut chosen = Vec::with_capacity(items.len());
        let mut v = loss;
        for ((g, options), choice) in items.iter().zip(&self.choices).rev() {
            let (_, lost, set) = options[choice.get(v)];
            chosen.push((*g, set));
            v -= lost as usize;
        }
        chosen
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
