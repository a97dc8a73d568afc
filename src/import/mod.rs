//! Readers of other sources that produce an inventory folder's files. Nothing
//! downstream knows where an inventory came from: an import is only a way to
//! write the CSV files of FORMATS.md.

pub mod netbox;

/// The files of an inventory folder, by name, as they are to be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InventoryFiles(pub Vec<(&'static str, String)>);
