//! `datacenters.csv`: one datacenter per row.

use super::builder::{Builder, RowError};
use super::namespace::Kind;
use crate::inventory::csvfile::CsvFile;
use crate::inventory::fleet::Datacenter;
use crate::inventory::ids::{Component, DcId};

impl Builder {
    pub(super) fn datacenters(&mut self, file: &CsvFile) {
        for row in file.rows() {
            if !self.namespace.is_declared(Kind::Datacenter, &row) {
                continue;
            }
            let Some(id) = self.record(row.id("id").map_err(RowError::from)) else {
                continue;
            };
            let dc = DcId(self.datacenters.len() as u32);
            self.namespace.built(id, Component::Datacenter(dc));
            self.datacenters.push(Datacenter {
                id: id.to_string(),
                name: row.get("name").map(str::to_string),
                region: row.get("region").map(str::to_string),
                line: row.line,
                rooms: Vec::new(),
                racks: Vec::new(),
                power: Vec::new(),
            });
        }
    }
}
