//! Stepping stones (`--allow-temporary`): a replica added where the target
//! has none, to be removed again, so that a blocked removal becomes safe.

use std::collections::BTreeSet;

use super::bar::Bar;
use crate::changes::{Action, Step};
use crate::inventory::{ServerId, ServiceId};

/// A temporary replica that unblocks a pending removal: a replica of the
/// same service, on a server the target does not touch for it, whose
/// addition is safe and after which the removal is. Servers with the most
/// free cores first, then by id, at most [`STONE_TRIES`] per removal.
pub(super) fn stepping_stone(
    bar: &mut Bar,
    pending: &[Step],
    tried: &mut BTreeSet<(ServiceId, ServerId)>,
) -> Option<Step> {
    let inventory = bar.rule.inventory;
    let used = bar.cpu_used();
    let mut servers: Vec<ServerId> = inventory.server_ids().collect();
    servers.sort_by(|x, y| {
        let free = |s: &ServerId| inventory.server(*s).cpu - used[s.index()];
        free(y).total_cmp(&free(x)).then(x.cmp(y))
    });
    let removals: Vec<Step> = pending
        .iter()
        .filter(|s| s.action == Action::Remove)
        .copied()
        .collect();
    for removal in removals {
        let service = removal.service;
        let requires = &bar.rule.services.service(service).requires;
        let mut tries = 0;
        for &server in &servers {
            if tries == STONE_TRIES {
                break;
            }
            let touched = pending
                .iter()
                .any(|s| s.service == service && s.server == server);
            if touched
                || !inventory.server(server).has_labels(requires)
                || !tried.insert((service, server))
            {
                continue;
            }
            tries += 1;
            let stone = Step {
                action: Action::Add,
                service,
                server,
                temporary: true,
            };
            if !bar.judge(&[stone]).is_empty() {
                continue;
            }
            bar.step(&stone);
            let unblocks = bar.judge(&[removal]).is_empty();
            bar.unstep(&stone);
            if unblocks {
                return Some(stone);
            }
        }
    }
    None
}

/// Servers tried as a stepping stone for one blocked removal.
pub(super) const STONE_TRIES: usize = 32;
