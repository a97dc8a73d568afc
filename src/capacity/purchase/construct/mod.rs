//! The constructive purchase, the incumbent of `purchase` (purchase_search.rs).
//!
//! Plan the inventory with what is bought so far using the planner's
//! construction and repair alone (`--method greedy`: no solver, a fraction
//! of a second on 1,000 servers). Where it falls short, its findings say
//! what is missing: the closest placement's `too-few-replicas` and
//! `replicas-lost` (which service, how many replicas short), or the
//! structural causes (no or too few eligible servers, a scenario that
//! leaves too few). Buy servers for those replicas: the cheapest catalog
//! model per replica of the service's shape (labels, cores, memory), in the
//! rack with the fewest of this round's replicas of that service, wired
//! the way that leaves the power components above it the most room, and
//! only where every one of them keeps room for the new server at full
//! draw in the closest placement's worst scenario. Re-plan; repeat.
//!
//! What it returns is a purchase the planner placed and `check` accepted
//! on the inventory with it: a price every cheapest purchase is at most,
//! never a claim that it is the cheapest. Then servers are taken back, the
//! last bought first, while the inventory without them still plans, and
//! swapped for cheaper models while it still plans.
//!
//! One search per preference of catalog model (incumbent.rs): buy for what
//! is short (shop.rs, from the shortages in shortages.rs), plan with the
//! purchase (probe.rs), repeat; then take servers back and swap them for
//! cheaper models (take_back.rs), within the limits of pick.rs.

mod incumbent;
mod pick;
mod probe;
mod shop;
mod shortages;
mod take_back;

pub(crate) use incumbent::construct;
