//! Ids in the one namespace of FORMATS.md, made from NetBox names, and how a
//! device is named in ids and messages.

use std::collections::{BTreeMap, BTreeSet};

use super::records::Device;

/// Which NetBox table an object comes from: part of an id only when two
/// objects would otherwise get the same one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Table {
    Site,
    Rack,
    PowerPanel,
    PowerFeed,
    Device,
}

impl Table {
    fn name(self) -> &'static str {
        match self {
            Table::Site => "site",
            Table::Rack => "rack",
            Table::PowerPanel => "powerpanel",
            Table::PowerFeed => "powerfeed",
            Table::Device => "device",
        }
    }
}

/// Ids in the one namespace of FORMATS.md, derived from NetBox names (see
/// docs/formats.md): readable where names are unique, and made unique with
/// the NetBox table and id where they are not. Every id depends only on the
/// objects mapped, never on the order NetBox lists them in.
#[derive(Default)]
pub(super) struct Ids {
    wanted: BTreeMap<String, BTreeSet<(Table, u64)>>,
    assigned: BTreeMap<(Table, u64), String>,
}

impl Ids {
    pub(super) fn want(&mut self, table: Table, id: u64, base: String) {
        self.wanted.entry(base).or_default().insert((table, id));
    }

    pub(super) fn assign(&mut self) {
        for (base, owners) in &self.wanted {
            for &(table, id) in owners {
                let unique = if owners.len() == 1 {
                    base.clone()
                } else {
                    format!("{base}#{}-{id}", table.name())
                };
                self.assigned.insert((table, id), unique);
            }
        }
    }

    pub(super) fn get(&self, table: Table, id: u64) -> &str {
        &self.assigned[&(table, id)]
    }
}

/// A name made fit for an id: `;` separates list items in a cell, and cells are trimmed.
pub(super) fn clean(name: &str) -> String {
    name.trim().replace(';', "_")
}

pub(super) fn device_name(device: &Device) -> Option<String> {
    device.name.as_deref().map(clean).filter(|n| !n.is_empty())
}

/// How a device appears in messages: its name, or NetBox's id when it has none.
pub(super) fn device_label(device: &Device) -> String {
    device_name(device).unwrap_or_else(|| format!("unnamed device {}", device.id))
}
