//! The constructive purchase: one search per preference of catalog model,
//! each buying for what is short and re-planning until the purchase plans.

use std::time::Instant;

use super::super::candidates::{Built, RackSpace};
use super::pick::{Pick, Preference};
use super::probe::{Attempt, Probe};
use super::shop::{buy, power_room, Shop, Spare};
use super::take_back::{swap_for_cheaper_models, TAKE_BACK_TRIES};
use crate::inventory::{Catalog, Inventory, Services};
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
    let mut trust = 1.0;
    let built = loop {
        if probe.left() <= 0.0 {
            return None;
        }
        progress(&format!(
            "what to buy: planning with {} new servers (constructive)",
            picks.len()
        ));
        match probe.attempt(&picks) {
            Attempt::Works(built) => break *built,
            Attempt::Failed => return None,
            Attempt::Short {
                inventory: after,
                closest,
                short,
            } => {
                let room = power_room(&after, probe.services, closest.as_ref(), probe.options);
                let shop = Shop {
                    inventory: probe.inventory,
                    services: probe.services,
                    catalog: probe.catalog,
                    racks: probe.racks,
                };
                let before = picks.len();
                // Structural shortfalls (no closest placement) already count
                // every server there is: all of them are bought. Otherwise
                // the closest placement's spare room is trusted less each
                // time it did not suffice, down to not at all.
                loop {
                    let counted = if closest.is_some() { trust } else { 0.0 };
                    let mut spare = Spare::new(&after, probe.services, closest.as_ref(), counted);
                    buy(
                        &shop,
                        &short,
                        &mut spare,
                        &mut room.clone(),
                        preference,
                        &mut picks,
                    );
                    if closest.is_some() {
                        trust = if trust < 0.1 { 0.0 } else { trust / 2.0 };
                    }
                    if picks.len() > before {
                        break;
                    }
                    if counted == 0.0 {
                        return None;
                    }
                }
            }
        }
    };
    // Take servers back, the last bought first: the fewest of them, in the
    // order bought, that still plan (a bisection: fewer servers plan less
    // often, though not always), then blocks halving down to one, each
    // staying out when the rest still plans and is verified.
    let mut best = built;
    let (mut fails, mut works) = (0, picks.len());
    while works - fails > 1 && probe.left() > 0.0 {
        let mid = (fails + works) / 2;
        progress(&format!(
            "what to buy: trying the first {mid} of {} new servers (constructive)",
            picks.len()
        ));
        match probe.attempt(&picks[..mid]) {
            Attempt::Works(built) => {
                works = mid;
                best = *built;
            }
            _ => fails = mid,
        }
    }
    picks.truncate(works);
    let mut block = picks.len().div_ceil(4);
    let mut tries = 0;
    while block >= 1 && probe.left() > 0.0 && tries < TAKE_BACK_TRIES {
        let mut end = picks.len();
        while end > 0 && probe.left() > 0.0 && tries < TAKE_BACK_TRIES {
            tries += 1;
            let start = end.saturating_sub(block);
            let mut fewer = picks.clone();
            fewer.drain(start..end);
            progress(&format!(
                "what to buy: trying {} new servers instead of {} (constructive)",
                fewer.len(),
                picks.len()
            ));
            probe.keep_if_it_plans(fewer, &mut picks, &mut best);
            end = start;
        }
        block /= 2;
    }
    swap_for_cheaper_models(probe, &mut picks, &mut best, progress);
    Some(best)
}
