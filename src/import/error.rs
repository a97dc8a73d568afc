//! What an import finds wrong in a source beyond what inventory's input errors
//! say: a value it cannot read. Its messages are shown as they are, as the
//! reason a device is left out.

/// A value of the source that an import cannot use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    /// A custom field that holds something other than a number >= 0; `found`
    /// is the value as written in messages (a string in quotes).
    #[error("custom field {field} is {found}, expected a number >= 0")]
    NotANumber { field: String, found: String },
}
