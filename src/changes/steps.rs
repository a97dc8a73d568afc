//! Replicas added and removed one at a time: the steps `migrate` orders.

use std::collections::{BTreeMap, BTreeSet};

use crate::inventory::{Placement, Replica, ServerId, ServiceId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Add,
    Remove,
}

/// One replica added to or removed from one server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Step {
    pub action: Action,
    pub service: ServiceId,
    pub server: ServerId,
    /// A stepping stone of `--allow-temporary`: added and later removed again.
    pub temporary: bool,
}

/// Replicas per (service, server).
pub type Counts = BTreeMap<(ServiceId, ServerId), u32>;

pub fn counts(placement: &Placement) -> Counts {
    let mut counts = Counts::new();
    for r in &placement.replicas {
        *counts.entry((r.service, r.server)).or_default() += 1;
    }
    counts
}

pub fn placement(counts: &Counts) -> Placement {
    let replicas = counts
        .iter()
        .flat_map(|(&(service, server), &n)| {
            (0..n).map(move |_| Replica {
                service,
                server,
                line: 0,
            })
        })
        .collect();
    Placement {
        file: None,
        replicas,
    }
}

pub fn apply(counts: &mut Counts, step: &Step) {
    let key = (step.service, step.server);
    match step.action {
        Action::Add => *counts.entry(key).or_default() += 1,
        Action::Remove => {
            let n = counts.get_mut(&key).expect("a remove of a placed replica");
            *n -= 1;
            if *n == 0 {
                counts.remove(&key);
            }
        }
    }
}

/// The replicas to add and remove, one step each, by service, each
/// service's adds before its removes (make before break), then by server.
pub fn steps(a: &Counts, b: &Counts) -> Vec<Step> {
    let keys: BTreeSet<(ServiceId, ServerId)> = a.keys().chain(b.keys()).copied().collect();
    let mut steps = Vec::new();
    for (service, server) in keys {
        let (from, to) = (
            a.get(&(service, server)).copied().unwrap_or(0),
            b.get(&(service, server)).copied().unwrap_or(0),
        );
        let action = if to > from {
            Action::Add
        } else {
            Action::Remove
        };
        for _ in 0..from.abs_diff(to) {
            steps.push(Step {
                action,
                service,
                server,
                temporary: false,
            });
        }
    }
    steps.sort_by_key(|s| (s.service, s.action, s.server));
    steps
}
