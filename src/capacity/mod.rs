//! `capacity`: questions about the fleet's margins answered with the planner
//! and judged by `verify` (DESIGN.md): does a grown demand still fit
//! (growth.rs), what is the cheapest set of servers to buy so that it does
//! (purchase/), and how much margin the fleet has today (margins.rs, with
//! each service's headroom in headroom.rs and the guaranteed capacity per
//! failure family in guaranteed.rs). What can fail on the way, as one
//! error type: error.rs.

mod error;
mod growth;
mod guaranteed;
mod headroom;
mod margins;
mod purchase;

pub use error::CapacityError;
pub use growth::{fit_growth, GrowthFit};
pub use guaranteed::FamilyCapacity;
pub use headroom::{raised, Headroom, Limit, SearchEnd};
pub use margins::{
    margins, Base, MarginOptions, Margins, PlacementMargins, PowerLoad, DEFAULT_MARGIN_SECONDS,
};
pub use purchase::{purchase, purchase_bound, Answer, Bought, NewServer};
