//! The exact stage: the MILP over classes, solved lexicographically (fewest
//! moves, then the objective), whose answers are proofs because the model is a
//! relaxation of `verify` (milp.rs): "infeasible" means no placement exists,
//! and an optimum or an LP relaxation's value is a lower bound.

use good_lp::ResolutionError;

use super::construct::Style;
use super::model::{Counts, Model};
use super::options::Objective;
use super::request::{Fixed, Goal, Relax, Scope, SolveSettings};
use super::search::{Offer, Search};
use super::state::State;
use crate::inventory::{Placement, ServerId, ServiceId};

/// What the exact stage learnt.
pub enum Proof {
    /// The model has no integer point: no placement passes `check`.
    Infeasible,
    /// Counts that could not all be packed onto servers: these classes'
    /// servers should become classes of their own.
    Unpacked(Vec<ServerId>),
    /// Whatever it found is in the search (incumbent, bound).
    Done,
}

pub fn settings(search: &Search, time_limit: f64) -> SolveSettings {
    SolveSettings {
        time_limit: Some(time_limit.max(0.05)),
        threads: search.options.threads,
        slack: false,
        relaxed: false,
        max_moves: search.options.max_moves,
        relax: Relax::default(),
        initial: None,
    }
}

fn goals(objective: Objective) -> (Goal, Goal) {
    match objective {
        Objective::Cost => (Goal::Cost, Goal::Peak { servers: false }),
        Objective::Servers => (Goal::Servers, Goal::Cost),
        Objective::Balance => (Goal::Peak { servers: true }, Goal::Cost),
    }
}

/// The whole MILP with the time left: fewest moves (with a current
/// placement), then the objective. Offers the packed optimum to the search.
pub fn solve(search: &mut Search, model: &Model, style: Style) -> Proof {
    let (primary, _) = goals(search.options.objective);
    let mut goals = Vec::new();
    if search.current.is_some() {
        goals.push(Goal::Moves);
    }
    goals.push(primary);
    let mut fixed: Vec<Fixed> = Vec::new();
    let mut best: Option<Counts> = None;
    let mut proven = true;
    for goal in goals {
        search.say(&format!(
            "exact model: {} ({} classes, solve {})",
            goal_name(goal),
            model.classes.len(),
            search.solves + 1
        ));
        search.solves += 1;
        let mut settings = settings(search, search.remaining());
        settings.initial = search
            .incumbent
            .as_ref()
            .map(|i| model.counts(&i.placement));
        match model.solve(goal, &fixed, Scope::Whole, &settings) {
            Ok(outcome) => {
                proven &= outcome.optimal;
                if goal == primary && proven && search.current.is_none() {
                    search.raise_bound(outcome.value);
                }
                // Integral goals get half a unit of slack, the others a relative hair.
                let at_most = match goal {
                    Goal::Moves | Goal::Servers => outcome.value.round() + 0.5,
                    _ => outcome.value * (1.0 + 1e-7) + 1e-7,
                };
                fixed.push(Fixed { goal, at_most });
                best = Some(outcome.counts);
            }
            // Only the first goal's infeasibility is about the guarantees; a
            // later one fails only through the tolerance of the one before.
            Err(ResolutionError::Infeasible) if best.is_none() => return Proof::Infeasible,
            Err(_) => break,
        }
    }
    let Some(counts) = best else {
        return Proof::Done;
    };
    match pack(model, &counts, search.current, style) {
        Ok(placement) => {
            if search.offer(model, placement, "exact") == Offer::Rejected {
                search.notes.push(
                    "the exact model's placement failed verification and was discarded".into(),
                );
            }
            Proof::Done
        }
        Err(unpacked) => Proof::Unpacked(unpacked),
    }
}

/// The LP relaxation's optimum: a lower bound on every placement's cost, and
/// a proof of infeasibility when it has no point at all.
pub fn relaxation(search: &mut Search, model: &Model, time_limit: f64) -> Option<Proof> {
    if search.options.objective != Objective::Cost {
        return None;
    }
    search.say("bound: LP relaxation");
    search.solves += 1;
    let mut settings = settings(search, time_limit);
    settings.relaxed = true;
    // Moves are not held: the bound is on the objective over all placements.
    settings.max_moves = None;
    match model.solve(Goal::Cost, &[], Scope::Whole, &settings) {
        Ok(outcome) if outcome.optimal => {
            search.raise_bound(outcome.value);
            None
        }
        Err(ResolutionError::Infeasible) if search.options.max_moves.is_none() => {
            Some(Proof::Infeasible)
        }
        _ => None,
    }
}

/// Puts counts per (service, class) on concrete servers: replicas of `prefer`
/// stay where they are, the rest go where [`State::server_in`] says. Err
/// names the servers of the classes that could not be packed.
pub fn pack(
    model: &Model,
    counts: &Counts,
    prefer: Option<&Placement>,
    style: Style,
) -> Result<Placement, Vec<ServerId>> {
    let mut state = State::new(model);
    let all: Vec<ServiceId> = model.services.ids().collect();
    pack_into(&mut state, counts, &all, prefer, style)?;
    Ok(state.placement())
}

/// Adds the replicas of `which` that `counts` asks for to `state` (which
/// holds none of theirs yet), as [`pack`] does.
pub fn pack_into(
    state: &mut State,
    counts: &Counts,
    which: &[ServiceId],
    prefer: Option<&Placement>,
    style: Style,
) -> Result<(), Vec<ServerId>> {
    let model = state.model;
    let in_class = |state: &State, id: ServiceId, k: usize| -> u32 {
        state
            .replicas_on(id)
            .filter(|(s, _)| model.class_of[s.index()] == Some(k))
            .map(|(_, n)| n)
            .sum()
    };
    let mut chosen = vec![false; model.services.services.len()];
    for id in which {
        chosen[id.index()] = true;
    }
    if let Some(prefer) = prefer {
        for r in prefer.replicas.iter().filter(|r| chosen[r.service.index()]) {
            if let Some(k) = model.class_of[r.server.index()] {
                if in_class(state, r.service, k) < counts[r.service.index()][k]
                    && state.can_add(r.service, r.server)
                {
                    state.add(r.service, r.server);
                }
            }
        }
    }
    // Large replicas first, so small ones fill the gaps.
    let mut order = which.to_vec();
    order.sort_by(|a, b| {
        let (sa, sb) = (model.services.service(*a), model.services.service(*b));
        sb.cpu
            .total_cmp(&sa.cpu)
            .then(sb.mem_gb.total_cmp(&sa.mem_gb))
            .then(a.cmp(b))
    });
    let mut unpacked = Vec::new();
    for (k, class) in model.classes.iter().enumerate() {
        for &id in &order {
            let mut have = in_class(state, id, k);
            while have < counts[id.index()][k] {
                match state.server_in(id, k, style == Style::Pack) {
                    Some(server) if state.can_add(id, server) => {
                        state.add(id, server);
                        have += 1;
                    }
                    _ => {
                        unpacked.extend(class.servers.iter().copied());
                        break;
                    }
                }
            }
        }
    }
    if unpacked.is_empty() {
        Ok(())
    } else {
        unpacked.sort_unstable();
        unpacked.dedup();
        Err(unpacked)
    }
}

pub fn goal_name(goal: Goal) -> &'static str {
    match goal {
        Goal::Moves => "fewest moves",
        Goal::Cost => "least reserved resources",
        Goal::Servers => "fewest servers",
        Goal::Peak { .. } => "lowest peak utilisation",
        Goal::Feasible => "any placement",
        Goal::Price => "cheapest purchase",
    }
}
