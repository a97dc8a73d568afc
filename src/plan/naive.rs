//! The simple spread people do by hand, measured against and offered
//! first: whatever construction makes of the time, a plan is never worse
//! than it.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::model::Model;
use super::state::State;
use crate::inventory::{Placement, ServiceId};

/// The simple spread people do by hand: one replica at a time on the
/// least-loaded rack, blind to failure sets, until the service survives.
/// None when it cannot place every service.
pub fn naive(model: &Model, order: &[ServiceId]) -> Option<Placement> {
    let mut state = State::new(model);
    for &id in order {
        let service = model.services.service(id);
        let mut heap: BinaryHeap<Reverse<(u64, usize)>> = model.eligible[id.index()]
            .iter()
            .map(|&k| Reverse((state.rack_utilisation(k, service.cpu).to_bits(), k)))
            .collect();
        while state.deficit(id) > 0 || state.total(id) < service.min_replicas {
            let Reverse((key, k)) = heap.pop()?;
            let fresh = state.rack_utilisation(k, service.cpu).to_bits();
            if fresh != key {
                heap.push(Reverse((fresh, k)));
                continue;
            }
            let Some(server) = state.server_in(id, k, false) else {
                continue;
            };
            if !state.can_add(id, server) {
                continue;
            }
            state.add(id, server);
            heap.push(Reverse((
                state.rack_utilisation(k, service.cpu).to_bits(),
                k,
            )));
        }
    }
    Some(state.placement())
}
