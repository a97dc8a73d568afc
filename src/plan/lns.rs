//! Large-neighbourhood search: free a few services, re-solve them exactly with
//! the MILP while every other replica stays where it is, and keep the result
//! only when it packs onto servers and `verify` accepts it as better.

use super::construct::Style;
use super::exact::{pack_into, settings};
use super::milp::{Goal, Scope};
use super::model::Model;
use super::search::{Offer, Search};
use super::state::State;
use crate::inventory::ServiceId;

/// Seconds at most for one neighbourhood's solve.
const NEIGHBOURHOOD_SECONDS: f64 = 5.0;

/// Services freed together, at first; doubled after a pass that improves nothing.
const FIRST_WIDTH: usize = 2;
const MAX_WIDTH: usize = 16;

pub fn improve(search: &mut Search, model: &Model, style: Style) {
    let services = model.services;
    let mut width = FIRST_WIDTH;
    while !search.done() && !search.out_of_time() && width <= MAX_WIDTH {
        let Some(incumbent) = &search.incumbent else {
            return;
        };
        let base = model.counts(&incumbent.placement);
        // Most excess first: reserved beyond the service's proven floor.
        let excess = |id: ServiceId| {
            let placed: u32 = base[id.index()].iter().sum();
            f64::from(placed.saturating_sub(model.replica_floor(id))) * model.replica_cost(id)
        };
        let mut order: Vec<ServiceId> = services.ids().filter(|id| excess(*id) > 0.0).collect();
        if order.is_empty() {
            return;
        }
        order.sort_by(|a, b| excess(*b).total_cmp(&excess(*a)).then(a.cmp(b)));
        let mut improved = false;
        for window in order.chunks(width) {
            if search.out_of_time() || search.done() {
                return;
            }
            improved |= neighbourhood(search, model, window, style);
        }
        if !improved {
            if width >= order.len() {
                return;
            }
            width *= 2;
        }
    }
}

/// Re-solves the services of `window` with the rest fixed; true when the
/// search kept the result.
fn neighbourhood(search: &mut Search, model: &Model, window: &[ServiceId], style: Style) -> bool {
    let Some(incumbent) = &search.incumbent else {
        return false;
    };
    let placement = incumbent.placement.clone();
    let base = model.counts(&placement);
    let mut free = vec![false; model.services.services.len()];
    for id in window {
        free[id.index()] = true;
    }
    let names: Vec<&str> = window
        .iter()
        .map(|id| model.services.service(*id).name.as_str())
        .collect();
    search.say(&format!("improving: re-solving {}", names.join(", ")));
    search.solves += 1;
    let mut settings = settings(search, search.remaining().min(NEIGHBOURHOOD_SECONDS));
    settings.initial = Some(base.clone());
    let Ok(outcome) = model.solve(
        Goal::Cost,
        &[],
        Scope::Services {
            free: &free,
            base: &base,
        },
        &settings,
    ) else {
        return false;
    };
    let before: f64 = window
        .iter()
        .map(|id| f64::from(base[id.index()].iter().sum::<u32>()) * model.replica_cost(*id))
        .sum();
    if outcome.value >= before - 1e-9 {
        return false;
    }
    // The rest stays; the freed services keep their servers where the new
    // counts allow and fill the difference.
    let mut state = State::new(model);
    for r in placement
        .replicas
        .iter()
        .filter(|r| !free[r.service.index()])
    {
        state.add(r.service, r.server);
    }
    if pack_into(&mut state, &outcome.counts, window, Some(&placement), style).is_err() {
        return false;
    }
    search.offer(model, state.placement(), "improve") == Offer::Kept
}
