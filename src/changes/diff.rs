//! The difference between two placements of one inventory: replicas added,
//! removed and moved per service, and how each service's worst-case margin
//! changes under each of its survive words. Both placements are judged by
//! `verify`; nothing here solves.

use serde::Serialize;

use super::moves::{changes, Change};
use crate::inventory::{Inventory, Placement, Services};
use crate::verify::{self, CheckOptions, Report};

/// A service's margin under one survive word: replicas up in the word's worst
/// scenario minus min_replicas (negative: the guarantee is broken).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Margin {
    pub service: String,
    pub word: String,
    pub before: i64,
    pub after: i64,
    /// The worst scenario in each placement (none when no scenario of the word
    /// takes a replica down).
    pub before_scenario: Option<String>,
    pub after_scenario: Option<String>,
}

impl Margin {
    pub fn changed(&self) -> bool {
        self.before != self.after
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Diff {
    pub changes: Vec<Change>,
    /// Every (service, word) pair, in services.toml order.
    pub margins: Vec<Margin>,
    /// Whether each placement passes `check`.
    pub before_passed: bool,
    pub after_passed: bool,
}

impl Diff {
    pub fn identical(&self) -> bool {
        self.changes.is_empty()
    }

    /// (add, remove, move).
    pub fn totals(&self) -> (usize, usize, usize) {
        let count = |f: fn(&Change) -> bool| self.changes.iter().filter(|c| f(c)).count();
        (
            count(|c| matches!(c, Change::Add { .. })),
            count(|c| matches!(c, Change::Remove { .. })),
            count(|c| matches!(c, Change::Move { .. })),
        )
    }
}

/// Compares `before` with `after`; `after_report` reuses a check already made
/// of `after` (plan has one).
pub fn diff(
    inventory: &Inventory,
    services: &Services,
    before: &Placement,
    after: &Placement,
    after_report: Option<&Report>,
) -> Diff {
    let old = verify::check(inventory, services, before, CheckOptions::default());
    let new_owned;
    let new = match after_report {
        Some(report) => report,
        None => {
            new_owned = verify::check(inventory, services, after, CheckOptions::default());
            &new_owned
        }
    };
    let mut margins = Vec::new();
    for (id, (o, n)) in services.ids().zip(old.services.iter().zip(&new.services)) {
        let needed = i64::from(services.service(id).min_replicas);
        for (w, (ow, nw)) in o.worst_by_word.iter().zip(&n.worst_by_word).enumerate() {
            let (Some((old_up, old_scenario)), Some((new_up, new_scenario))) = (ow, nw) else {
                continue;
            };
            margins.push(Margin {
                service: o.service.clone(),
                word: old.words[w].clone(),
                before: i64::from(*old_up) - needed,
                after: i64::from(*new_up) - needed,
                before_scenario: old_scenario.clone(),
                after_scenario: new_scenario.clone(),
            });
        }
    }
    Diff {
        changes: changes(inventory, services, before, after),
        margins,
        before_passed: old.passed(),
        after_passed: new.passed(),
    }
}
