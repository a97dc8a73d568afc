//! Every order of the changes, one at a time: the only proof that no safe
//! order exists.

use std::collections::BTreeSet;

use super::bar::{Bar, EXHAUSTIVE_BUDGET};
use crate::changes::Step;

/// What the exhaustive search concluded.
pub(super) enum Every {
    /// A safe order, one change at a time.
    Order(Vec<Step>),
    /// No order is safe: every set of changes done was visited.
    None,
    /// The search stopped at its budget: no conclusion.
    GaveUp,
}

/// Every order of `steps` from here, one change at a time: depth first over
/// the sets of changes done, each set visited once (a set fixes the
/// placement, so a set found unsafe or a dead end is one whatever order
/// reached it). Its `None` is a proof that no order is safe. The bar ends
/// where it started.
pub(super) fn exhaustive(bar: &mut Bar, steps: &[Step]) -> Every {
    struct Search<'s> {
        steps: &'s [Step],
        dead: BTreeSet<u64>,
        order: Vec<Step>,
        judged_left: usize,
    }
    /// Some(found) when decided, None when the budget ran out.
    pub(super) fn visit(bar: &mut Bar, search: &mut Search, done: u64) -> Option<bool> {
        let steps = search.steps;
        if done.count_ones() as usize == steps.len() {
            return Some(true);
        }
        for (i, step) in steps.iter().enumerate() {
            let next = done | (1 << i);
            // Identical changes are interchangeable: take the first not done.
            let twin_first = steps[..i]
                .iter()
                .enumerate()
                .any(|(j, s)| s == step && done & (1 << j) == 0);
            if done & (1 << i) != 0 || twin_first || search.dead.contains(&next) {
                continue;
            }
            if search.judged_left == 0 {
                return None;
            }
            search.judged_left -= 1;
            if !bar.judge(&[*step]).is_empty() {
                continue;
            }
            bar.step(step);
            search.order.push(*step);
            let found = visit(bar, search, next);
            bar.unstep(step);
            match found {
                Some(false) => {
                    search.order.pop();
                    search.dead.insert(next);
                }
                decided => return decided,
            }
        }
        Some(false)
    }
    assert!(steps.len() < 64, "exhaustive_limit above 63");
    let mut search = Search {
        steps,
        dead: BTreeSet::new(),
        order: Vec::new(),
        judged_left: EXHAUSTIVE_BUDGET / bar.judgement_cost().max(1),
    };
    match visit(bar, &mut search, 0) {
        Some(true) => Every::Order(search.order),
        Some(false) => Every::None,
        None => Every::GaveUp,
    }
}
