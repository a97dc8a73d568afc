//! How, never what, is checked: the options a caller may tune and the float
//! tolerances every judgement of loads and capacities shares.

use crate::scenarios::DEFAULT_ENUMERATION_LIMIT;

/// Loads within this many watts of a limit count as within it (float noise).
pub(super) const LOAD_TOLERANCE_W: f64 = 1e-6;
/// Cores or memory within this much of a server's capacity count as within
/// it (float noise).
pub(super) const CAPACITY_TOLERANCE: f64 = 1e-9;

/// Options that tune how, never what, is checked.
#[derive(Debug, Clone, Copy)]
pub struct CheckOptions {
    /// See [`DEFAULT_ENUMERATION_LIMIT`].
    pub enumeration_limit: usize,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            enumeration_limit: DEFAULT_ENUMERATION_LIMIT,
        }
    }
}
