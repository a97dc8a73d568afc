//! Where in the user's files a finding points: the placement's line, the
//! service's entry, the server's, power component's or datacenter's row.

use crate::inventory::{
    DcId, Inventory, Location, Placement, PowerId, ServerId, ServiceId, Services,
};

pub(super) struct Locations<'a> {
    inventory: &'a Inventory,
    services: &'a Services,
    placement: &'a Placement,
}

impl<'a> Locations<'a> {
    pub(super) fn new(
        inventory: &'a Inventory,
        services: &'a Services,
        placement: &'a Placement,
    ) -> Self {
        Locations {
            inventory,
            services,
            placement,
        }
    }

    /// A line of the placement file (none when the line is unknown, 0).
    pub(super) fn placement(&self, line: usize) -> Option<Location> {
        self.placement
            .file
            .as_ref()
            .filter(|_| line > 0)
            .map(|f| Location::at(f, line, None))
    }

    pub(super) fn service(&self, id: ServiceId) -> Option<Location> {
        Some(Location::at(
            &self.services.file,
            self.services.service(id).line,
            None,
        ))
    }

    pub(super) fn server(&self, id: ServerId) -> Option<Location> {
        Some(Location::at(
            &self.inventory.dir.join("servers.csv"),
            self.inventory.server(id).line,
            None,
        ))
    }

    pub(super) fn power(&self, id: PowerId) -> Option<Location> {
        Some(Location::at(
            &self.inventory.dir.join("power.csv"),
            self.inventory.power(id).line,
            None,
        ))
    }

    pub(super) fn datacenter(&self, id: DcId) -> Option<Location> {
        Some(Location::at(
            &self.inventory.dir.join("datacenters.csv"),
            self.inventory.dc(id).line,
            None,
        ))
    }
}
