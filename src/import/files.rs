//! What every import produces: an inventory folder's files, not yet written.

/// The files of an inventory folder, by name, as they are to be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InventoryFiles(pub Vec<(&'static str, String)>);
