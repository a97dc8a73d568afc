//! What to buy: the cheapest set of new servers, each a catalog model in an
//! existing rack, that makes the demand plannable.
//!
//! Where new servers may go and with which ids (candidates.rs), the servers
//! for sale the models choose from (for_sale.rs), the incumbent
//! (construct/), the purchase models and their bounds (class_model.rs,
//! aggregate_bound.rs), the search that ties them together
//! (purchase_search.rs) and its answer (answer.rs).

mod aggregate_bound;
mod answer;
mod candidates;
mod class_model;
mod construct;
mod for_sale;
mod purchase_search;
mod quick_bounds;

pub use answer::{Answer, Bought, NewServer};
pub use purchase_search::{purchase, purchase_bound};
