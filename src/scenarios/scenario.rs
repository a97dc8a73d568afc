//! One concrete scenario: the components that fail together, and the words it
//! belongs to.

use crate::inventory::Component;

/// One concrete scenario: a set of components that fail together.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// How reports name it, e.g. `rack par1-r03` or `power:50% par1-utility-a`.
    pub name: String,
    /// Sorted and distinct.
    pub failed: Vec<Component>,
    /// The words (indexes into `ScenarioSet::words`) this scenario belongs to.
    pub words: Vec<Membership>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Membership {
    pub word: usize,
    /// A strictly larger set of the same `power:P%` word exists. Losing more
    /// components never brings a server back, so a dominated set can never lose
    /// more replicas than the set dominating it: replica checks skip it. Power
    /// loads are not monotone (a failure moves load), so load checks keep it.
    pub dominated: bool,
}

impl Scenario {
    /// Whether a service must keep its replicas up in this scenario, given which
    /// of the set's words it must survive (`survives[word]`). A dominated
    /// `power:P%` set is skipped: the set dominating it loses at least as much.
    /// The one answer used by `verify` and `plan` alike.
    pub fn binds(&self, survives: &[bool]) -> bool {
        self.words.iter().any(|m| !m.dominated && survives[m.word])
    }
}
