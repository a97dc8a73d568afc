//! Does a grown demand still fit: the growth applied to the services, and
//! the planner on the fleet as it is.

use crate::inventory::{Grown, Growth, Inventory, Services};
use crate::plan::{self, Plan, PlanError, PlanOptions};

/// The grown demand and whether the planner can place it.
pub struct GrowthFit {
    /// The services with their grown min_replicas (and max_replicas).
    pub services: Services,
    pub grown: Vec<Grown>,
    /// A verified placement of the grown demand; or the planner's proof that
    /// none exists; or "not found" (no proof either way).
    pub outcome: Result<Plan, PlanError>,
}

/// Plans the grown demand with the planner, unchanged: "fits" is a placement
/// `check` accepted, "does not fit" the planner's proof.
pub fn fit_growth(
    inventory: &Inventory,
    services: &Services,
    growth: &Growth,
    options: &PlanOptions,
    progress: &dyn Fn(&str),
) -> GrowthFit {
    let (grown_services, grown) = growth.apply(services);
    let outcome = plan::plan(inventory, &grown_services, None, options, progress);
    GrowthFit {
        services: grown_services,
        grown,
        outcome,
    }
}
