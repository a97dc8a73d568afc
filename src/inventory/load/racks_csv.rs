//! `racks.csv`: one rack per row; its (datacenter, room) makes the rooms.

use super::builder::{Builder, RowError};
use super::namespace::Kind;
use crate::inventory::csvfile::CsvFile;
use crate::inventory::fleet::{Rack, Room};
use crate::inventory::ids::{Component, RackId, RoomId};

const DEFAULT_RACK_UNITS: u32 = 42;

impl Builder {
    pub(super) fn racks(&mut self, file: &CsvFile) {
        for row in file.rows() {
            if !self.namespace.is_declared(Kind::Rack, &row) {
                continue;
            }
            let parsed = (|| -> Result<_, RowError> {
                let id = row.id("id")?;
                let datacenter = self.datacenter_ref(&row)?;
                let u_height = row.whole_number("u_height")?.unwrap_or(DEFAULT_RACK_UNITS);
                Ok((id, datacenter, u_height))
            })();
            let Some((id, datacenter, u_height)) = self.record(parsed) else {
                continue;
            };
            let rack = RackId(self.racks.len() as u32);
            self.namespace.built(id, Component::Rack(rack));
            let room_name = row.get("room").unwrap_or("").to_string();
            let next_room = RoomId(self.room_ids.len() as u32);
            let room = *self
                .room_ids
                .entry((datacenter, room_name.clone()))
                .or_insert(next_room);
            if room == next_room {
                self.rooms.push(Room {
                    datacenter,
                    name: room_name,
                    racks: Vec::new(),
                });
                self.datacenters[datacenter.index()].rooms.push(room);
            }
            self.rooms[room.index()].racks.push(rack);
            self.datacenters[datacenter.index()].racks.push(rack);
            self.racks.push(Rack {
                id: id.to_string(),
                datacenter,
                room,
                u_height,
                line: row.line,
                servers: Vec::new(),
            });
        }
    }
}
