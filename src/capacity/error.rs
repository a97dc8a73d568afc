//! What can go wrong in a capacity question that is not an answer of its
//! own (an answer says "unknown" with one of these as the reason).

/// The capacity stage's error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CapacityError {
    /// A server for sale would take the id of a server already there.
    #[error("an id of a server for sale is taken")]
    ForSaleIdTaken,
    /// A bought server would take the id of a server already there.
    #[error("an id of a new server is taken")]
    NewServerIdTaken,
    /// The rack's free units are there in all, but no run of them is tall
    /// enough for a bought server.
    #[error("the purchase does not fit the free units of rack {rack} as they are split")]
    SplitRackUnits { rack: String },
}
