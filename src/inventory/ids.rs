//! The ids of the inventory: each an index into its list, and `Component`,
//! anything a failure scenario can take down.

macro_rules! index_type {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub u32);

        impl $name {
            pub fn index(self) -> usize {
                self.0 as usize
            }
        }
    )*};
}

index_type!(
    /// A datacenter, by its position in `Inventory::datacenters`.
    DcId,
    /// A (datacenter, room) failure domain, by position in `Inventory::rooms`.
    RoomId,
    /// A rack, by its position in `Inventory::racks`.
    RackId,
    /// A server, by its position in `Inventory::servers`.
    ServerId,
    /// A power component, by its position in `Inventory::power`.
    PowerId,
    /// A service, by its position in `Services::services`.
    ServiceId,
);

/// Anything a failure scenario can take down. Datacenters, racks, servers and power
/// components share one id namespace; rooms have no id of their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Component {
    Datacenter(DcId),
    Room(RoomId),
    Rack(RackId),
    Server(ServerId),
    Power(PowerId),
}
