//! Per service, servers that lost a replica paired with servers that gained
//! one as moves: the terraform-style changes `plan --current`, `diff` and
//! `maintenance` print.

use serde::Serialize;

use super::steps::{counts, steps, Action};
use crate::inventory::{Inventory, Placement, ServerId, ServiceId, Services};

/// One difference from the current placement.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "change", rename_all = "lowercase")]
pub enum Change {
    Add {
        service: String,
        server: String,
    },
    Remove {
        service: String,
        server: String,
    },
    Move {
        service: String,
        from: String,
        to: String,
    },
}

/// The terraform-style difference between two placements: per service, servers
/// that lost a replica are paired with servers that gained one as moves.
pub fn changes(
    inventory: &Inventory,
    services: &Services,
    before: &Placement,
    after: &Placement,
) -> Vec<Change> {
    let name = |s: ServiceId| services.service(s).name.clone();
    let server = |s: ServerId| inventory.server(s).id.clone();
    let steps = steps(&counts(before), &counts(after));
    let mut out = Vec::new();
    // `steps` is sorted by service, each service's adds before its removes,
    // each by server: one pass over it, a run per service.
    for run in steps.chunk_by(|a, b| a.service == b.service) {
        let service = run[0].service;
        let of = |action: Action| {
            run.iter()
                .filter(|s| s.action == action)
                .map(|s| s.server)
                .collect::<Vec<_>>()
        };
        let (added, removed) = (of(Action::Add), of(Action::Remove));
        let pairs = removed.len().min(added.len());
        for (from, to) in removed.iter().zip(&added) {
            out.push(Change::Move {
                service: name(service),
                from: server(*from),
                to: server(*to),
            });
        }
        for s in &added[pairs..] {
            out.push(Change::Add {
                service: name(service),
                server: server(*s),
            });
        }
        for s in &removed[pairs..] {
            out.push(Change::Remove {
                service: name(service),
                server: server(*s),
            });
        }
    }
    out
}
