//! Large-neighbourhood search: free a few services, re-solve them exactly with
//! the MILP while every other replica stays where it is, and keep the result
//! only when it packs onto servers and `verify` accepts it as better.

use super::construct::Style;
use super::exact::{pack_into, settings};
use super::model::Model;
use super::request::{Goal, Scope};
use super::search::{Offer, Search};
use super::state::State;
use crate::inventory::{Placement, ServiceId};

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
            let placed = base[id.index()].total();
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

/// Re-solves the services of `window` with the rest of the incumbent fixed;
/// true when the search kept the result.
fn neighbourhood(search: &mut Search, model: &Model, window: &[ServiceId], style: Style) -> bool {
    let Some(incumbent) = &search.incumbent else {
        return false;
    };
    let placement = incumbent.placement.clone();
    let seconds = search.remaining().min(NEIGHBOURHOOD_SECONDS);
    match resolve(
        search,
        model,
        &placement,
        window,
        style,
        seconds,
        Aim::Cheaper,
    ) {
        Some(better) => search.offer(model, better, "improve") == Offer::Kept,
        None => false,
    }
}

/// Services still short after construction and repair, a few at a time with
/// the services that take most of their eligible servers: re-solved exactly
/// with the rest fixed, until none is short or nothing changes.
pub fn repair(
    search: &mut Search,
    model: &Model,
    order: &[ServiceId],
    placement: &mut Placement,
    style: Style,
) {
    let mut failed: Vec<ServiceId> = Vec::new();
    loop {
        if search.out_of_time() {
            return;
        }
        let state = State::from_placement(model, placement);
        let Some(&short) = order
            .iter()
            .find(|id| state.deficit(**id) > 0 && !failed.contains(id))
        else {
            return;
        };
        // Who holds the cores of the short service's eligible servers.
        let mut eligible = vec![false; model.classes.len()];
        for &k in &model.eligible[short.index()] {
            eligible[k] = true;
        }
        let mut held = vec![0.0_f64; model.services.services.len()];
        for r in &placement.replicas {
            if model.class_of[r.server.index()].is_some_and(|k| eligible[k]) && r.service != short {
                held[r.service.index()] += model.services.service(r.service).cpu;
            }
        }
        let mut neighbours: Vec<ServiceId> = model
            .services
            .ids()
            .filter(|id| held[id.index()] > 0.0)
            .collect();
        neighbours.sort_by(|a, b| held[b.index()].total_cmp(&held[a.index()]).then(a.cmp(b)));
        let mut window = vec![short];
        window.extend(neighbours.into_iter().take(REPAIR_WIDTH - 1));
        window.sort_unstable();
        search.say(&format!(
            "repair: re-solving {} with {} neighbours",
            model.services.service(short).name,
            window.len() - 1
        ));
        let seconds = search.remaining().min(NEIGHBOURHOOD_SECONDS);
        match resolve(
            search,
            model,
            placement,
            &window,
            style,
            seconds,
            Aim::Repair,
        ) {
            Some(repaired) => *placement = repaired,
            None => failed.push(short),
        }
    }
}

/// Services freed together when repairing one that is short.
const REPAIR_WIDTH: usize = 6;

/// What a re-solve is for: any answer that keeps the guarantees (a service
/// in the window is short), or only a cheaper one.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Aim {
    Repair,
    Cheaper,
}

/// Re-solves the services of `window` exactly (least cost) with every other
/// replica of `placement` where it is, and packs the answer; None when the
/// solver finds nothing in `seconds`, the counts do not pack, or (`Cheaper`)
/// the answer costs no less.
fn resolve(
    search: &mut Search,
    model: &Model,
    placement: &Placement,
    window: &[ServiceId],
    style: Style,
    seconds: f64,
    aim: Aim,
) -> Option<Placement> {
    let base = model.counts(placement);
    let mut free = vec![false; model.services.services.len()];
    for id in window {
        free[id.index()] = true;
    }
    let names: Vec<&str> = window
        .iter()
        .map(|id| model.services.service(*id).name.as_str())
        .collect();
    search.say(&format!("re-solving {}", names.join(", ")));
    search.solves += 1;
    let mut settings = settings(search, seconds);
    settings.initial = Some(base.clone());
    let outcome = model
        .solve(
            Goal::Cost,
            &[],
            Scope::Services {
                free: &free,
                base: &base,
            },
            &settings,
        )
        .ok()?;
    let before: f64 = window
        .iter()
        .map(|id| f64::from(base[id.index()].total()) * model.replica_cost(*id))
        .sum();
    if aim == Aim::Cheaper && outcome.value >= before - 1e-9 {
        return None;
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
    pack_into(&mut state, &outcome.counts, window, Some(placement), style).ok()?;
    Some(state.placement())
}
