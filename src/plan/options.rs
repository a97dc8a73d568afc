//! What a caller asks of `plan`: the objective, the method, the limits of
//! time and effort, and their defaults.

use serde::Serialize;

use crate::scenarios::DEFAULT_ENUMERATION_LIMIT;

/// Seconds for the whole solve when no time limit is given.
pub(crate) const DEFAULT_SECONDS: f64 = 300.0;
pub(super) const DEFAULT_SECONDS_WEAK: f64 = 30.0;

/// Relative gap at which the search stops when none is given.
pub const DEFAULT_GAP: f64 = 0.01;

/// What `plan` minimises after the guarantees (and, with a current placement,
/// after the fewest moves).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Objective {
    /// Least reserved cpu (memory second), then the lowest peak utilisation of
    /// racks and power components.
    Cost,
    /// Fewest servers hosting anything, then least reserved resources.
    Servers,
    /// Lowest peak utilisation of any server, rack or power component, then
    /// least reserved resources.
    Balance,
}

impl Objective {
    pub fn as_str(self) -> &'static str {
        match self {
            Objective::Cost => "cost",
            Objective::Servers => "servers",
            Objective::Balance => "balance",
        }
    }
}

/// How `plan` searches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// Every stage; the whole exact model only when it is small enough.
    Auto,
    /// Every stage, with the whole exact model whatever its size.
    Milp,
    /// Construction and repair only: no solver, the bound from replica floors.
    Greedy,
}

#[derive(Debug, Clone)]
pub struct PlanOptions {
    pub objective: Objective,
    pub method: Method,
    /// Seconds for the whole solve; the best verified placement found is
    /// returned. None: 300 s for `cost`, 30 s for `servers` and `balance`.
    pub time_limit: Option<f64>,
    pub threads: u32,
    pub max_moves: Option<u32>,
    pub enumeration_limit: usize,
    /// Stop improving once (value − bound) / value is at most this.
    pub gap: f64,
    /// Construction and repair give up after this many steps (each place
    /// where they would look at the clock counts one): a limit that, unlike
    /// the time limit, gives the same answer on any machine. None: the time
    /// limit only.
    pub effort: Option<u64>,
}

impl Default for PlanOptions {
    fn default() -> Self {
        PlanOptions {
            objective: Objective::Cost,
            method: Method::Auto,
            time_limit: None,
            threads: 1,
            max_moves: None,
            enumeration_limit: DEFAULT_ENUMERATION_LIMIT,
            gap: DEFAULT_GAP,
            effort: None,
        }
    }
}

/// Seconds for messages: to a tenth, or three significant digits below one
/// second (a time limit split between stages is no round number).
pub(crate) fn rounded_seconds(seconds: f64) -> f64 {
    if seconds >= 1.0 || seconds <= 0.0 || !seconds.is_finite() {
        return (seconds * 10.0).round() / 10.0;
    }
    let scale = 10f64.powi(2 - seconds.log10().floor() as i32);
    (seconds * scale).round() / scale
}

#[cfg(test)]
mod seconds_tests {
    use super::rounded_seconds;

    #[test]
    fn seconds_in_messages_are_rounded() {
        assert_eq!(rounded_seconds(10.4820450385), 10.5);
        assert_eq!(rounded_seconds(60.0), 60.0);
        assert_eq!(rounded_seconds(0.48204), 0.482);
        assert_eq!(rounded_seconds(0.000001), 0.000001);
    }
}
