//! Construction and repair on a concrete [`State`].
//!
//! A service is placed with a target number of replicas R, starting from its
//! proven floor: with budget b = R − min_replicas, a replica may only go to a
//! class whose failure sets each hold fewer than b of its replicas, so the
//! service survives by construction. When no class with room is left, repair
//! frees one: a replica of another service on a blocked server, or feeding a
//! power row at its limit, moves to where that service still survives. Only
//! when that fails too is R raised.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::model::Model;
use super::state::State;
use crate::inventory::{Placement, ServerId, ServiceId};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Least-utilised rack first: the most headroom.
    Spread,
    /// Fullest server that fits first: the fewest servers.
    Pack,
}

/// Services in the order they are placed (computed once per model, for every
/// stage that walks services): most constrained first (fewest
/// replica slots on eligible servers per replica needed, in powers of two so
/// that similar services keep their size order; services whose replicas must
/// all survive count only the servers no scenario of theirs takes down), then
/// the largest.
pub fn order(model: &Model) -> Vec<ServiceId> {
    let services = model.services;
    let room = |id: ServiceId| {
        let service = services.service(id);
        let survival = model.survival(id);
        let exact = service.max_replicas == Some(service.min_replicas);
        let slots: u64 = model.eligible[id.index()]
            .iter()
            .filter(|&&k| !exact || survival.sets_of_class[k].is_empty())
            .map(|&k| u64::from(model.class_fit(id, k)))
            .sum();
        let needed = model.replica_floor(id).max(1) as f64;
        (slots as f64 / needed).max(1.0).log2().floor() as i64
    };
    let size = |id: ServiceId| {
        let s = services.service(id);
        (s.cpu + s.mem_gb * 1e-3) * f64::from(model.replica_floor(id))
    };
    let mut order: Vec<ServiceId> = services.ids().collect();
    let rooms: Vec<i64> = order.iter().map(|&id| room(id)).collect();
    order.sort_by(|a, b| {
        rooms[a.index()]
            .cmp(&rooms[b.index()])
            .then(size(*b).total_cmp(&size(*a)))
            .then(a.cmp(b))
    });
    order
}

/// Places every service in [`order`]; services that cannot be placed keep
/// what they have and are left for the caller (their deficit shows).
pub fn construct<'m, 'a>(
    model: &'m Model<'a>,
    order: &[ServiceId],
    style: Style,
    current: Option<&Placement>,
    deadline: &dyn Fn() -> bool,
) -> State<'m, 'a> {
    let mut state = match current {
        // Replicas already running stay where they are when they fit.
        Some(current) => State::from_placement(model, current),
        None => State::new(model),
    };
    if !deadline() {
        first_replicas(&mut state, order, style);
    }
    place_short(&mut state, order, style, deadline);
    state
}

/// Every service short of its guarantee gets its first replicas (one try at
/// its floor, nobody moved) before any is perfected: on a large fleet the
/// time limit may end construction, and it must not find services still at
/// 0 replicas behind one that tried many replica counts. One try per
/// service bounds this pass, so once started it runs whole whatever the
/// deadline (and takes no step of an effort limit). A service whose first
/// try falls short keeps what it had and is left to [`place_short`].
fn first_replicas(state: &mut State, order: &[ServiceId], style: Style) {
    let never = || false;
    for &id in order {
        if state.deficit(id) == 0 {
            continue;
        }
        let kept: Vec<(ServerId, u32)> = state.replicas_on(id).collect();
        let mark = state.mark();
        let target = first_target(state.model, id);
        if fill(state, id, target, style, false, &kept, &never) {
            state.keep(mark);
        } else {
            state.rollback(mark);
        }
    }
}

/// Places, in `order`, every service still short of its guarantee.
fn place_short(state: &mut State, order: &[ServiceId], style: Style, deadline: &dyn Fn() -> bool) {
    for &id in order {
        if state.deficit(id) > 0 && !deadline() {
            place(state, id, style, false, deadline);
        }
    }
}

/// The replica count a service is first placed with: its proven floor.
fn first_target(model: &Model, id: ServiceId) -> u32 {
    model
        .replica_floor(id)
        .max(model.services.service(id).min_replicas)
}

/// Like [`construct`] from nothing, but first places together the services
/// that need a replica on most of their eligible servers, one per server
/// ([`crowded`]). Placed one after another, the first of them fill the
/// servers the last ones need; here each server, visited across racks in
/// turn (the most cores first within a rack), takes the ones whose need is
/// most urgent (replicas still to place per server still to visit) while
/// they fit. Each keeps to the failure budget of its floor, so a service
/// that reaches its floor survives by construction; one left short keeps
/// what it has and is completed the usual way. None when fewer than two
/// services are crowded: that construction would be [`construct`]'s.
pub fn construct_together<'m, 'a>(
    model: &'m Model<'a>,
    order: &[ServiceId],
    style: Style,
    deadline: &dyn Fn() -> bool,
) -> Option<State<'m, 'a>> {
    let together: Vec<ServiceId> = order
        .iter()
        .copied()
        .filter(|&id| crowded(model, id))
        .collect();
    if together.len() < 2 {
        return None;
    }
    let mut state = State::new(model);
    place_together(&mut state, &together);
    place_short(&mut state, order, style, deadline);
    Some(state)
}

/// At most one replica per server, and fewer than two eligible servers per
/// replica it needs at least (its floor).
fn crowded(model: &Model, id: ServiceId) -> bool {
    let eligible = &model.eligible[id.index()];
    let servers: u64 = eligible
        .iter()
        .map(|&k| model.classes[k].servers.len() as u64)
        .sum();
    let needed = u64::from(model.replica_floor(id).max(1));
    eligible.iter().all(|&k| model.fit(id, k) <= 1) && servers < 2 * needed
}

fn place_together(state: &mut State, together: &[ServiceId]) {
    let model = state.model;
    let target = |id: ServiceId| first_target(model, id);
    // Servers by rack, the most cores first, then taken one per rack in turn.
    let mut by_rack: std::collections::BTreeMap<_, Vec<ServerId>> = Default::default();
    for class in &model.classes {
        by_rack
            .entry(class.rack)
            .or_default()
            .extend(&class.servers);
    }
    let cores = |server: &ServerId| model.inventory.server(*server).cpu;
    for servers in by_rack.values_mut() {
        servers.sort_by(|a, b| cores(b).total_cmp(&cores(a)).then(a.cmp(b)));
    }
    let mut visits: Vec<ServerId> = Vec::new();
    for i in 0.. {
        let before = visits.len();
        visits.extend(by_rack.values().filter_map(|servers| servers.get(i)));
        if visits.len() == before {
            break;
        }
    }
    let eligible_on = |id: ServiceId, server: ServerId| {
        model.class_of[server.index()]
            .is_some_and(|k| model.eligible[id.index()].binary_search(&k).is_ok())
    };
    // Servers still to visit that each service may use.
    let mut ahead: Vec<u64> = together
        .iter()
        .map(|&id| visits.iter().filter(|&&v| eligible_on(id, v)).count() as u64)
        .collect();
    for &server in &visits {
        let k = model.class_of[server.index()].expect("visits hold classed servers");
        let mut urgent: Vec<(usize, f64)> = together
            .iter()
            .enumerate()
            .filter(|&(_, &id)| eligible_on(id, server))
            .map(|(i, &id)| {
                let left = target(id).saturating_sub(state.total(id));
                (i, f64::from(left) / ahead[i].max(1) as f64)
            })
            .collect();
        urgent.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        for (i, need) in urgent {
            ahead[i] -= 1;
            let id = together[i];
            if need <= 0.0 || !state.can_add(id, server) {
                continue;
            }
            let budget = target(id) - model.services.service(id).min_replicas;
            if state.within_budget(id, k, budget) {
                state.add(id, server);
            }
        }
    }
}

/// Repairs every service still short of its guarantee, freeing room by moving
/// other services' replicas; rounds until nothing improves.
pub fn repair(state: &mut State, order: &[ServiceId], style: Style, deadline: &dyn Fn() -> bool) {
    loop {
        let short: Vec<ServiceId> = order
            .iter()
            .copied()
            .filter(|id| state.deficit(*id) > 0)
            .collect();
        let mut progress = false;
        for id in short {
            if deadline() {
                return;
            }
            progress |= place(state, id, style, true, deadline);
        }
        if !progress {
            return;
        }
    }
}

/// Re-places one service with the fewest replicas that work, from its floor
/// up; `evict` lets it move other services' replicas out of its way. Keeps
/// what it had when nothing works. True when the service now survives.
fn place(
    state: &mut State,
    id: ServiceId,
    style: Style,
    evict: bool,
    deadline: &dyn Fn() -> bool,
) -> bool {
    let model = state.model;
    let service = model.services.service(id);
    let ceiling = model.eligible[id.index()]
        .iter()
        .map(|&k| u64::from(model.class_fit(id, k)))
        .sum::<u64>()
        .min(u64::from(service.max_replicas.unwrap_or(u32::MAX))) as u32;
    let start = first_target(model, id);
    let kept: Vec<(ServerId, u32)> = state.replicas_on(id).collect();
    for replicas in targets(start, ceiling) {
        if deadline() {
            return false;
        }
        let mark = evict.then(|| state.mark());
        if fill(state, id, replicas, style, evict, &kept, deadline) {
            if let Some(mark) = mark {
                state.keep(mark);
            }
            return true;
        }
        if let Some(mark) = mark {
            state.rollback(mark);
        } else {
            for (server, n) in state.replicas_on(id).collect::<Vec<_>>() {
                for _ in 0..n {
                    state.remove(id, server);
                }
            }
            for &(server, n) in &kept {
                for _ in 0..n {
                    if state.can_add(id, server) {
                        state.add(id, server);
                    }
                }
            }
        }
    }
    false
}

/// Replica counts to try, cheapest first: the floor and the next few one by
/// one (what a tight fleet usually allows), then growing by an eighth, so a
/// large service reaches its ceiling in a few dozen tries.
fn targets(start: u32, ceiling: u32) -> impl Iterator<Item = u32> {
    let mut next = Some(start);
    std::iter::from_fn(move || {
        let current = next.filter(|&n| n <= ceiling)?;
        let step = if current < start.saturating_add(8) {
            1
        } else {
            (current / 8).max(1)
        };
        next = match current.checked_add(step) {
            Some(n) if n > ceiling && current < ceiling => Some(ceiling),
            other => other,
        };
        Some(current)
    })
}

/// Places exactly `replicas` replicas of `id` (clearing what it had, keeping
/// those of `kept` that the budget allows) so that no failure set takes more
/// than replicas − min_replicas of them.
fn fill(
    state: &mut State,
    id: ServiceId,
    replicas: u32,
    style: Style,
    evict: bool,
    kept: &[(ServerId, u32)],
    deadline: &dyn Fn() -> bool,
) -> bool {
    let budget = replicas - state.model.services.service(id).min_replicas;
    clear(state, id);
    keep(state, id, replicas, budget, kept);
    let blocked = place_best_first(state, id, replicas, budget, style);
    if evict {
        make_room_on_blocked(state, id, replicas, budget, blocked, deadline);
    }
    state.total(id) == replicas
}

/// Removes every replica of `id`.
fn clear(state: &mut State, id: ServiceId) {
    for (server, n) in state.replicas_on(id).collect::<Vec<_>>() {
        for _ in 0..n {
            state.remove(id, server);
        }
    }
}

/// Puts back the replicas of `kept` that fit and keep within the budget.
fn keep(state: &mut State, id: ServiceId, replicas: u32, budget: u32, kept: &[(ServerId, u32)]) {
    let model = state.model;
    for &(server, n) in kept {
        let Some(k) = model.class_of[server.index()] else {
            continue;
        };
        for _ in 0..n {
            if state.total(id) < replicas
                && state.within_budget(id, k, budget)
                && state.can_add(id, server)
            {
                state.add(id, server);
            }
        }
    }
}

/// A class's place in the order replicas of `id` go to, smallest first.
type Score = (u64, u64, u64, usize);

/// `required`: how many distinct labels the service requires; the classes
/// scored are eligible, so they have each.
fn score(state: &State, id: ServiceId, k: usize, style: Style, required: usize) -> Score {
    let model = state.model;
    let service = model.services.service(id);
    // Labelled servers the service does not need come last: services that
    // require the label have nowhere else to go. (Counted, not compared
    // label by label: this runs for every eligible class of every service.)
    let labels = &model.inventory.server(model.classes[k].servers[0]).labels;
    let spare_labels = labels.len().saturating_sub(required) as u64;
    let utilisation = state.rack_utilisation(k, service.cpu).max(0.0);
    let roomiest = state.roomiest(k).max(0.0);
    // Non-negative floats order like their bits.
    match style {
        Style::Pack => (
            spare_labels,
            (1.0 - utilisation.min(1.0)).max(0.0).to_bits(),
            roomiest.to_bits(),
            k,
        ),
        Style::Spread => (
            spare_labels,
            utilisation.to_bits(),
            u64::MAX - roomiest.to_bits(),
            k,
        ),
    }
}

/// Adds replicas of `id` one at a time to the best-scored class within the
/// budget (scores refreshed lazily) until `replicas` or no class is left.
/// Returns the classes that had no server with room, or a power row at its
/// limit.
fn place_best_first(
    state: &mut State,
    id: ServiceId,
    replicas: u32,
    budget: u32,
    style: Style,
) -> Vec<usize> {
    let model = state.model;
    let service = model.services.service(id);
    let cpu = service.cpu;
    let mut required: Vec<&String> = service.requires.iter().collect();
    required.sort_unstable();
    required.dedup();
    let required = required.len();
    let score = |state: &State, k: usize| score(state, id, k, style, required);
    let mut heap: BinaryHeap<Reverse<Score>> = model.eligible[id.index()]
        .iter()
        .map(|&k| Reverse(score(state, k)))
        .collect();
    let mut blocked: Vec<usize> = Vec::new();
    while state.total(id) < replicas {
        let Some(Reverse(key)) = heap.pop() else {
            break;
        };
        let k = key.3;
        if !state.within_budget(id, k, budget) {
            continue;
        }
        let fresh = score(state, k);
        if fresh != key {
            heap.push(Reverse(fresh));
            continue;
        }
        match state.server_in(id, k, style == Style::Pack) {
            Some(server) if state.power_block(k, cpu).is_none() => {
                state.add(id, server);
                heap.push(Reverse(score(state, k)));
            }
            _ => blocked.push(k),
        }
    }
    blocked
}

/// Scarce classes taken by others: move their replicas out of the way.
fn make_room_on_blocked(
    state: &mut State,
    id: ServiceId,
    replicas: u32,
    budget: u32,
    mut blocked: Vec<usize>,
    deadline: &dyn Fn() -> bool,
) {
    let mut tries = 0;
    while state.total(id) < replicas && tries < 4 * blocked.len().max(1) && !deadline() {
        tries += 1;
        let Some(pos) = blocked
            .iter()
            .position(|&k| state.within_budget(id, k, budget))
        else {
            break;
        };
        let k = blocked[pos];
        match make_room(state, id, k, deadline) {
            Some(server) => state.add(id, server),
            None => {
                blocked.remove(pos);
            }
        }
    }
}

/// Frees room for one replica of `id` on class `k` by moving at most a few
/// replicas of other services elsewhere, each keeping its own guarantee.
/// Returns the server that now has room.
fn make_room(
    state: &mut State,
    id: ServiceId,
    k: usize,
    deadline: &dyn Fn() -> bool,
) -> Option<ServerId> {
    let model = state.model;
    let service = model.services.service(id);
    let servers: Vec<ServerId> = model.classes[k]
        .servers
        .iter()
        .copied()
        .filter(|s| {
            state
                .replicas_on(id)
                .find(|(x, _)| x == s)
                .map_or(0, |(_, n)| n)
                < service.max_per_server
        })
        .collect();
    for server in servers {
        if deadline() {
            return None;
        }
        let mark = state.mark();
        for _ in 0..3 {
            if state.fits(id, server) && state.power_block(k, service.cpu).is_none() {
                state.keep(mark);
                return Some(server);
            }
            let moved = if !state.fits(id, server) {
                // cpu or memory: move a replica off this server.
                state
                    .services_on(server)
                    .into_iter()
                    .filter(|&t| t != id)
                    .any(|t| !deadline() && relocate(state, t, server))
            } else {
                // A power row at its limit: move a replica off a class feeding it.
                let row = state.power_block(k, service.cpu).expect("checked above");
                let mut feeding: Vec<(f64, usize)> = model.power[row]
                    .coefs
                    .iter()
                    .map(|&(c, coef)| (coef * model.classes[c].slope_w(), c))
                    .filter(|(w, _)| *w > 0.0)
                    .collect();
                feeding.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
                feeding.iter().any(|&(_, c)| {
                    model.classes[c].servers.iter().any(|&s| {
                        state
                            .services_on(s)
                            .into_iter()
                            .filter(|&t| t != id)
                            .any(|t| !deadline() && relocate(state, t, s))
                    })
                })
            };
            if !moved {
                break;
            }
        }
        if state.fits(id, server) && state.power_block(k, service.cpu).is_none() {
            state.keep(mark);
            return Some(server);
        }
        state.rollback(mark);
    }
    None
}

/// Moves one replica of `t` off `from` to another server where it fits and
/// `t` loses nothing of its guarantee. True when moved.
fn relocate(state: &mut State, t: ServiceId, from: ServerId) -> bool {
    let model = state.model;
    let Some(a) = model.class_of[from.index()] else {
        return false;
    };
    let min = model.services.service(t).min_replicas;
    let needed = state.up(t).min(min);
    state.remove(t, from);
    // One more replica raises the replicas up by at most one: the first
    // class that reaches that is the one the whole scan would keep.
    let ideal = state.up(t) + 1;
    let mut best: Option<(u32, ServerId)> = None;
    for &b in &model.eligible[t.index()] {
        if best.is_some_and(|(u, _)| u >= ideal) {
            break;
        }
        if b == a || !state.class_may_fit(t, b) {
            continue;
        }
        let up = state.up_after(t, None, Some(b));
        if up < needed || best.is_some_and(|(u, _)| u >= up) {
            continue;
        }
        if let Some(server) = state.server_in(t, b, false) {
            if state.can_add(t, server) {
                best = Some((up, server));
            }
        }
    }
    match best {
        Some((_, server)) => {
            state.add(t, server);
            true
        }
        None => {
            state.add(t, from);
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::{Inventory, Services};
    use crate::plan::model::impacts;
    use crate::scenarios::{ScenarioSet, DEFAULT_ENUMERATION_LIMIT};

    #[test]
    fn a_deadline_finds_every_service_with_its_first_replicas() {
        let dir = std::path::Path::new("inventories/goodbarber");
        let inventory = Inventory::load(dir).expect("the example loads");
        let services = Services::load(&dir.join("services.toml"), &inventory).expect("loads");
        let set = ScenarioSet::expand(&inventory, &services.all_words(), DEFAULT_ENUMERATION_LIMIT);
        let impacts = impacts(&inventory, &set);
        let model = Model::new(&inventory, &services, &set, &impacts, None, &[]);
        // Time is up as soon as construction has started.
        let calls = std::cell::Cell::new(0);
        let deadline = || {
            calls.set(calls.get() + 1);
            calls.get() > 1
        };
        let state = construct(&model, &order(&model), Style::Spread, None, &deadline);
        for id in services.ids() {
            assert!(state.total(id) > 0, "{}", services.service(id).name);
        }
    }
}
