//! Racks (and the locations they stand in, which become rooms) → racks.csv.

use std::collections::BTreeSet;

use super::cells::write_csv;
use super::index::Index;
use super::naming::{clean, Ids, Table};
use super::records::Rack;
use super::summary::Summary;

/// Racks are named after their site.
pub(super) fn want_ids(ids: &mut Ids, index: &Index) {
    for rack in index.racks.values() {
        ids.want(
            Table::Rack,
            rack.id,
            format!("{}/{}", index.site_slug(rack.site.id), clean(&rack.name)),
        );
    }
}

/// A rack's room: the name of its location, else of its site.
fn room(rack: &Rack, index: &Index) -> String {
    let room = rack
        .location
        .as_ref()
        .and_then(|l| {
            index
                .locations
                .get(&l.id)
                .map(|l| l.name.clone())
                .or(l.name.clone())
        })
        .unwrap_or_else(|| index.sites[&rack.site.id].name.clone());
    clean(&room)
}

/// racks.csv, with racks and rooms counted in `summary`.
pub(super) fn racks_csv(ids: &Ids, index: &Index, summary: &mut Summary) -> String {
    let mut rooms = BTreeSet::new();
    let rows: Vec<Vec<String>> = index
        .racks
        .values()
        .map(|rack| {
            let room = room(rack, index);
            rooms.insert((rack.site.id, room.clone()));
            vec![
                ids.get(Table::Rack, rack.id).to_string(),
                ids.get(Table::Site, rack.site.id).to_string(),
                room,
                rack.u_height.map(|u| u.to_string()).unwrap_or_default(),
                rack.id.to_string(),
                rack.name.clone(),
            ]
        })
        .collect();
    summary.racks = rows.len();
    summary.rooms = rooms.len();
    write_csv(
        &[
            "id",
            "datacenter",
            "room",
            "u_height",
            "netbox_id",
            "netbox_name",
        ],
        rows,
    )
}
