//! `servers.csv`: one server per row, in a rack, plugged into power components
//! of the rack's datacenter.

use super::builder::{Builder, RowError};
use super::namespace::Kind;
use crate::inventory::csvfile::{CsvFile, Row};
use crate::inventory::error::{InputError, Location};
use crate::inventory::fleet::{Server, Status};
use crate::inventory::ids::{Component, DcId, PowerId, RackId, ServerId};

impl Builder {
    pub(super) fn servers(&mut self, file: &CsvFile) {
        // Said here, once: otherwise every service would report that no
        // active server has its labels, which points away from the cause.
        if file.rows().next().is_none() {
            self.errors.push(InputError::new(
                Location::at(file.path, 1, None),
                "no servers (the file has only its header)",
            ));
        }
        for row in file.rows() {
            if !self.namespace.is_declared(Kind::Server, &row) {
                continue;
            }
            let parsed = self.server(&row);
            let Some(server) = self.record(parsed) else {
                continue;
            };
            let id = ServerId(self.servers.len() as u32);
            self.namespace.built(&server.id, Component::Server(id));
            self.racks[server.rack.index()].servers.push(id);
            self.servers.push(server);
        }
    }

    /// One row as a server; the first mistake in column order is its error.
    fn server(&self, row: &Row) -> Result<Server, RowError> {
        let id = row.id("id")?;
        let rack_id = row.id("rack")?;
        let rack = match self.reference(row, "rack", rack_id, Kind::Rack)? {
            Component::Rack(rack) => rack,
            _ => unreachable!("a rack id resolves to a rack"),
        };
        let cpu = row.required_number("cpu")?;
        let mem_gb = row.required_number("mem_gb")?;
        let psu = self.psus(row, rack_id, rack)?;
        let (idle_w, max_w) = draw(row)?;
        let status = status(row)?;
        Ok(Server {
            id: id.to_string(),
            rack,
            cpu,
            mem_gb,
            psu,
            idle_w,
            max_w,
            labels: row
                .list("labels")?
                .into_iter()
                .map(str::to_string)
                .collect(),
            model: row.get("model").map(str::to_string),
            position: row.whole_number("position")?,
            u_height: row.whole_number("u_height")?.unwrap_or(1),
            status,
            line: row.line,
        })
    }

    /// The `psu` cell: at least one power component, each in the datacenter of
    /// the server's rack.
    fn psus(&self, row: &Row, rack_id: &str, rack: RackId) -> Result<Vec<PowerId>, RowError> {
        let dc = self.racks[rack.index()].datacenter;
        let psu_ids = row.list("psu")?;
        if psu_ids.is_empty() {
            return Err(row
                .error("psu", "expected at least one power component id")
                .into());
        }
        let mut psu = Vec::new();
        for psu_id in psu_ids {
            let power = match self.reference(row, "psu", psu_id, Kind::Power)? {
                Component::Power(power) => power,
                _ => unreachable!("a power id resolves to a power component"),
            };
            let power_dc = self.power[power.index()].datacenter;
            if power_dc != dc {
                return Err(self.other_datacenter(row, psu_id, power_dc, rack_id, dc));
            }
            psu.push(power);
        }
        Ok(psu)
    }

    fn other_datacenter(
        &self,
        row: &Row,
        psu_id: &str,
        power_dc: DcId,
        rack_id: &str,
        dc: DcId,
    ) -> RowError {
        row.error(
            "psu",
            format!(
                "\"{psu_id}\" is in datacenter {} but rack {rack_id} is in {}",
                self.datacenters[power_dc.index()].id,
                self.datacenters[dc.index()].id
            ),
        )
        .into()
    }
}

/// `idle_w` and `max_w`, with max_w at least idle_w.
fn draw(row: &Row) -> Result<(f64, f64), RowError> {
    let idle_w = row.number("idle_w")?.unwrap_or(0.0);
    let max_w = row.number("max_w")?.unwrap_or(idle_w);
    if max_w < idle_w {
        return Err(row
            .error(
                "max_w",
                format!("max_w ({max_w}) must be >= idle_w ({idle_w})"),
            )
            .into());
    }
    Ok((idle_w, max_w))
}

fn status(row: &Row) -> Result<Status, RowError> {
    match row.get("status") {
        None | Some("active") => Ok(Status::Active),
        Some("maintenance") => Ok(Status::Maintenance),
        Some("offline") => Ok(Status::Offline),
        Some(other) => Err(row
            .error(
                "status",
                format!("expected active, maintenance or offline, found \"{other}\""),
            )
            .into()),
    }
}
