//! The constructive purchase: one search per preference of catalog model,
//! each buying for what is short and re-planning until the purchase plans.

use std::collections::BTreeMap;
use std::time::Instant;

use super::pick::{Pick, Preference};
use super::probe::{Attempt, Probe};
use super::shop::{buy, power_room, Shop, Spare};
use super::take_back::{swap_for_cheaper_models, take_back};
use crate::capacity::purchase::candidates::{Built, RackSpace};
use crate::inventory::{Catalog, Inventory, Placement, ServiceId, Services};
use crate::plan::{self, PlanOptions};

/// The cheapest constructive purchase whose placement `check` accepts,
/// within the time limit of `options`: one search per [`Preference`], the
/// time split between them; None when each got stuck (nothing is claimed).
pub(crate) fn construct(
    inventory: &Inventory,
    services: &Services,
    catalog: &Catalog,
    racks: &[RackSpace],
    options: &PlanOptions,
    progress: &dyn Fn(&str),
) -> Option<Built> {
    let started = Instant::now();
    let seconds = options.time_limit.unwrap_or(plan::DEFAULT_SECONDS);
    let probe = Probe {
        inventory,
        services,
        catalog,
        racks,
        options,
        started,
        seconds,
    };
    let preferences = [Preference::PerReplica, Preference::PerCore];
    let mut best: Option<Built> = None;
    for (i, &preference) in preferences.iter().enumerate() {
        let share = probe.left() / (preferences.len() - i) as f64;
        if share <= 0.0 {
            break;
        }
        let within = Probe {
            started: Instant::now(),
            seconds: share,
            ..probe
        };
        let found = construct_preferring(&within, preference, progress);
        if let Some(found) = found.filter(|f| best.as_ref().is_none_or(|b| f.price < b.price)) {
            best = Some(found);
        }
    }
    best
}

/// One constructive search: buy for what is short, re-plan, repeat; then
/// take servers back, and swap them for cheaper models.
fn construct_preferring(
    probe: &Probe,
    preference: Preference,
    progress: &dyn Fn(&str),
) -> Option<Built> {
    let mut picks: Vec<Pick> = Vec::new();
    let built = buy_until_it_plans(probe, preference, &mut picks, progress)?;
    let mut best = take_back(probe, &mut picks, built, progress);
    swap_for_cheaper_models(probe, &mut picks, &mut best, progress);
    Some(best)
}

/// Buys for what is short and re-plans until the purchase plans; None when
/// the time is up, the purchase cannot be built, or a round buys nothing.
fn buy_until_it_plans(
    probe: &Probe,
    preference: Preference,
    picks: &mut Vec<Pick>,
    progress: &dyn Fn(&str),
) -> Option<Built> {
    let mut trust = 1.0;
    loop {
        if probe.left() <= 0.0 {
            return None;
        }
        progress(&format!(
            "what to buy: planning with {} new servers (constructive)",
            picks.len()
        ));
        match probe.attempt(picks) {
            Attempt::Works(built) => return Some(*built),
            Attempt::Failed => return None,
            Attempt::Short {
                inventory: after,
                closest,
                short,
            } => {
                let round = Round {
                    after: &after,
                    closest: closest.as_ref(),
                    short: &short,
                };
                if !buy_for_shortages(probe, preference, &round, &mut trust, picks) {
                    return None;
                }
            }
        }
    }
}

/// What a purchase that did not plan left to buy for: the inventory with
/// it, the closest placement on that inventory, and the replicas short.
struct Round<'a> {
    after: &'a Inventory,
    closest: Option<&'a Placement>,
    short: &'a BTreeMap<ServiceId, u32>,
}

/// One round of buying for `round`; false when it buys nothing even with
/// the closest placement's spare room not trusted at all.
fn buy_for_shortages(
    probe: &Probe,
    preference: Preference,
    round: &Round,
    trust: &mut f64,
    picks: &mut Vec<Pick>,
) -> bool {
    let room = power_room(round.after, probe.services, round.closest, probe.options);
    let shop = Shop {
        inventory: probe.inventory,
        services: probe.services,
        catalog: probe.catalog,
        racks: probe.racks,
    };
    let before = picks.len();
    // Structural shortfalls (no closest placement) already count every
    // server there is: all of them are bought. Otherwise the closest
    // placement's spare room is trusted less each time it did not suffice,
    // down to not at all.
    loop {
        let counted = if round.closest.is_some() { *trust } else { 0.0 };
        let mut spare = Spare::new(round.after, probe.services, round.closest, counted);
        buy(
            &shop,
            round.short,
            &mut spare,
            &mut room.clone(),
            preference,
            picks,
        );
        if round.closest.is_some() {
            *trust = if *trust < 0.1 { 0.0 } else { *trust / 2.0 };
        }
        if picks.len() > before {
            return true;
        }
        if counted == 0.0 {
            return false;
        }
    }
}
