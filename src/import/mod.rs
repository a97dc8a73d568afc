//! Readers of other sources of truth: NetBox gives an inventory folder's
//! files, Kubernetes the placement that runs. Nothing downstream knows where
//! an inventory or a placement came from: an import is only a way to write the
//! CSV files of FORMATS.md.

mod error;
mod files;
pub mod kubernetes;
pub mod netbox;

pub use error::ImportError;
pub use files::InventoryFiles;
