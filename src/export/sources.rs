//! Where the ids an export refuses are defined, so that each error names the
//! file and line to change.

use std::path::Path;

use crate::inventory::{InputError, InputErrors, Inventory, Location, Services};

/// Where each kind of id is defined, for error messages.
pub(super) struct Sources<'a> {
    pub inventory: &'a Inventory,
    pub services: &'a Services,
}

impl Sources<'_> {
    pub fn service(&self, name: &str) -> Location {
        let line = self
            .services
            .lookup(name)
            .map(|id| self.services.service(id).line);
        located(&self.services.file, line)
    }

    /// Servers, racks, datacenters and power components share one namespace.
    pub fn id(&self, id: &str) -> Location {
        use crate::inventory::Component;
        let inv = self.inventory;
        let (file, line) = match inv.lookup(id) {
            Some(Component::Server(s)) => ("servers.csv", Some(inv.server(s).line)),
            Some(Component::Rack(r)) => ("racks.csv", Some(inv.rack(r).line)),
            Some(Component::Datacenter(d)) => ("datacenters.csv", Some(inv.dc(d).line)),
            Some(Component::Power(p)) => ("power.csv", Some(inv.power(p).line)),
            _ => ("racks.csv", None),
        };
        located(&inv.dir.join(file), line)
    }
}

fn located(file: &Path, line: Option<usize>) -> Location {
    match line {
        Some(line) if line > 0 => Location::at(file, line, None),
        _ => Location::file(file),
    }
}

/// All the errors found, or none.
pub(super) fn collect(errors: Vec<InputError>) -> Result<(), InputErrors> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(InputErrors(errors))
    }
}
