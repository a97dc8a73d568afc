//! What the loader has built so far: the rows accepted, the namespace of ids,
//! and every error found. Each input file adds its rows in a file of its own.

use std::collections::BTreeMap;
use std::path::Path;

use super::namespace::{Defined, Kind, Namespace};
use crate::inventory::csvfile::{CsvFile, Row};
use crate::inventory::error::{Errors, InputError, InputErrors, Location};
use crate::inventory::fleet::{
    CustomScenario, Datacenter, Inventory, PowerComponent, Rack, Room, Server,
};
use crate::inventory::ids::{Component, DcId, PowerId, RoomId};

/// Why a row was not built: an error to report, or a reference into a file that
/// could not be parsed (already reported there).
pub(super) enum RowError {
    Input(InputError),
    Silent,
}

impl From<InputError> for RowError {
    fn from(error: InputError) -> Self {
        RowError::Input(error)
    }
}

#[derive(Default)]
pub(super) struct Builder {
    pub(super) errors: Errors,
    pub(super) namespace: Namespace,
    pub(super) datacenters: Vec<Datacenter>,
    pub(super) rooms: Vec<Room>,
    pub(super) room_ids: BTreeMap<(DcId, String), RoomId>,
    pub(super) racks: Vec<Rack>,
    pub(super) servers: Vec<Server>,
    pub(super) power: Vec<PowerComponent>,
    /// Where each power component's `feeds_from` cell is, for cycle errors.
    pub(super) feeds_from_at: Vec<Location>,
}

impl Builder {
    pub(super) fn record<T>(&mut self, result: Result<T, RowError>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(RowError::Input(e)) => {
                self.errors.push(e);
                None
            }
            Err(RowError::Silent) => None,
        }
    }

    /// Resolves a reference to an id of kind `expected`, saying exactly what is
    /// wrong when it cannot: no such id, an id of another kind, or an id whose
    /// own row was rejected.
    pub(super) fn reference(
        &self,
        row: &Row,
        column: &str,
        id: &str,
        expected: Kind,
    ) -> Result<Component, RowError> {
        let what = expected.name();
        match self.namespace.ids.get(id) {
            None if self.namespace.broken.contains(&expected) => Err(RowError::Silent),
            None => Err(row.error(column, format!("unknown {what} \"{id}\"")).into()),
            Some(defined) if defined.kind != expected => Err(row
                .error(
                    column,
                    format!(
                        "\"{id}\" is a {} (defined at {}), not a {what}",
                        defined.kind.name(),
                        defined.at
                    ),
                )
                .into()),
            Some(Defined {
                component: Some(component),
                ..
            }) => Ok(*component),
            Some(defined) => Err(row
                .error(
                    column,
                    format!(
                        "{what} \"{id}\" cannot be used: its own row ({}) has an error",
                        defined.at
                    ),
                )
                .into()),
        }
    }

    pub(super) fn datacenter_ref(&self, row: &Row) -> Result<DcId, RowError> {
        let id = row.id("datacenter")?;
        match self.reference(row, "datacenter", id, Kind::Datacenter)? {
            Component::Datacenter(dc) => Ok(dc),
            _ => unreachable!("a datacenter id resolves to a datacenter"),
        }
    }

    /// Declares the ids of every file that could be parsed; references into
    /// the others are not checked, since every one would dangle.
    pub(super) fn declare(&mut self, files: [(&Option<CsvFile>, Kind); 4]) {
        for (file, kind) in files {
            match file {
                Some(file) => self.namespace.declare(file, kind, &mut self.errors),
                None => {
                    self.namespace.broken.insert(kind);
                }
            }
        }
    }

    /// The inventory built, or every error found.
    pub(super) fn finish(
        self,
        dir: &Path,
        power_order: Option<Vec<PowerId>>,
        custom_scenarios: Vec<CustomScenario>,
        digest: String,
    ) -> Result<Inventory, InputErrors> {
        let Builder {
            errors,
            namespace,
            datacenters,
            rooms,
            racks,
            servers,
            power,
            ..
        } = self;
        errors.finish(Inventory {
            dir: dir.to_path_buf(),
            datacenters,
            rooms,
            racks,
            servers,
            power,
            power_order: power_order.unwrap_or_default(),
            custom_scenarios,
            digest,
            ids: namespace
                .ids
                .into_iter()
                .filter_map(|(id, defined)| Some((id, defined.component?)))
                .collect(),
        })
    }
}
