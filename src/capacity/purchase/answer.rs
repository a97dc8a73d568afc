//! The answer of a purchase search: nothing to buy, what to buy (with its
//! price, its bound and the planner on the inventory with it), impossible,
//! or unknown.

use crate::inventory::Inventory;
use crate::plan::{Plan, PlanError};

/// One server to buy, as a servers.csv row.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct NewServer {
    pub id: String,
    pub rack: String,
    pub cpu: f64,
    pub mem_gb: f64,
    pub psu: Vec<String>,
    pub idle_w: f64,
    pub max_w: f64,
    pub labels: Vec<String>,
    pub model: String,
    pub position: Option<u32>,
    pub u_height: u32,
    pub price: f64,
}

pub enum Answer {
    /// The demand is plannable without buying anything.
    NothingToBuy(Box<Plan>),
    Buy(Box<Bought>),
    /// No purchase from the catalog within free rack units and max_count
    /// makes the demand plannable (proven by the model's infeasibility).
    Impossible {
        candidates: usize,
    },
    /// No purchase was found in time; nothing is claimed but `bound`: a
    /// proven lower bound on the price of any purchase that works (0 when
    /// none was proven).
    Unknown {
        why: String,
        bound: f64,
    },
}

pub struct Bought {
    pub servers: Vec<NewServer>,
    pub price: f64,
    /// A proven lower bound on the price of any purchase that works (the
    /// largest of the quick bounds, the model's LP relaxation and its
    /// optimum; 0 when none was proven in time).
    pub bound: f64,
    /// `bound == price` and the purchase is verified: it is the cheapest.
    pub cheapest: bool,
    /// Which search found it: `constructive` (servers added where the
    /// planner fell short, construct/) or `exact` (the purchase model).
    pub found_by: &'static str,
    /// The inventory with the new servers.
    pub inventory: Inventory,
    /// The planner on that inventory: a verified placement, or why not.
    pub outcome: Result<Plan, PlanError>,
}

impl Bought {
    /// (price − bound) / price: 0 when proven cheapest.
    pub fn gap(&self) -> f64 {
        crate::plan::relative_gap(self.price, self.bound)
    }
}
