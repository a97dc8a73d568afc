//! NetBox → inventory: sites, locations, racks, power panels and feeds, PDUs and
//! servers become the four CSV files of FORMATS.md. docs/formats.md ("Importing
//! from NetBox") is the user-facing statement of every rule here.
//!
//! The records are read (source.rs, as the types of records.rs), then mapped
//! (map.rs), one mapper per kind of NetBox object: sites.rs, racks.rs,
//! servers.rs (devices), power.rs (panels, feeds, PDUs), over how devices are
//! wired to power (wiring.rs), with ids made unique in naming.rs.

mod cells;
mod index;
mod map;
mod naming;
mod options;
mod power;
mod racks;
mod records;
mod servers;
mod sites;
mod source;
mod summary;
mod wiring;

pub use map::{map, Imported};
pub use options::{Fields, Models, Options};
pub use records::Data;
pub use source::{from_dir, Api, ENDPOINTS};
pub use summary::Summary;
