//! The inventory: datacenters, rooms, racks, servers and the power graph, loaded
//! from the CSV files of FORMATS.md and validated once. Later stages trust these
//! types and never re-parse or re-validate.

mod catalog;
mod csvfile;
mod error;
mod fleet;
mod growth;
mod ids;
pub mod limits;
mod load;
mod placement;
mod services;
mod spans;
mod survive_word;

pub(crate) use csvfile::read_text;

pub use catalog::{Catalog, CatalogModel};
pub use error::{GrowthError, IdTaken, InputError, InputErrors, Location, SurviveWordError};
pub use fleet::{
    CustomScenario, Datacenter, Inventory, PowerComponent, Rack, Room, Server, Status,
};
pub use growth::{grow, Grown, Growth};
pub use ids::{Component, DcId, PowerId, RackId, RoomId, ServerId, ServiceId};
pub use placement::{Placement, Replica};
pub use services::{Service, Services};
pub use survive_word::SurviveWord;
