//! Readers of other sources that produce an inventory folder's files. Nothing
//! downstream knows where an inventory came from: an import is only a way to
//! write the CSV files of FORMATS.md.

mod error;
mod files;
pub mod netbox;

pub use error::ImportError;
pub use files::InventoryFiles;
