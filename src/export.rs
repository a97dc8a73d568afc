//! Manifests that deploy tooling consumes: placement.csv (FORMATS.md) and its
//! JSON twin with metadata. Pure functions from data to text.

use serde::Serialize;

use crate::inventory::{Inventory, Placement, Services};

/// Consumers reject an unknown major version.
pub const MANIFEST_FORMAT_VERSION: &str = "1.0";

#[derive(Serialize)]
struct Row<'a> {
    service: &'a str,
    server: &'a str,
    rack: &'a str,
    datacenter: &'a str,
}

fn rows<'a>(
    inventory: &'a Inventory,
    services: &'a Services,
    placement: &'a Placement,
) -> Vec<Row<'a>> {
    let mut rows: Vec<Row> = placement
        .replicas
        .iter()
        .map(|r| {
            let server = inventory.server(r.server);
            let rack = inventory.rack(server.rack);
            Row {
                service: &services.service(r.service).name,
                server: &server.id,
                rack: &rack.id,
                datacenter: &inventory.dc(rack.datacenter).id,
            }
        })
        .collect();
    rows.sort_by(|a, b| (a.service, a.server).cmp(&(b.service, b.server)));
    rows
}

/// placement.csv: service, server, then the informational rack and datacenter,
/// sorted by service then server so the same plan gives the same bytes.
pub fn placement_csv(inventory: &Inventory, services: &Services, placement: &Placement) -> String {
    // The header is written by hand: serde writes it with the first row, and a
    // plan with no replica (every min_replicas 0) must still be a valid file.
    let mut writer = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    writer
        .write_record(["service", "server", "rack", "datacenter"])
        .expect("writing CSV to memory cannot fail");
    for row in rows(inventory, services, placement) {
        writer
            .serialize(row)
            .expect("writing CSV to memory cannot fail");
    }
    String::from_utf8(writer.into_inner().expect("flushing to memory cannot fail"))
        .expect("CSV of UTF-8 ids is UTF-8")
}

/// The JSON manifest: the same rows plus format version, inventory digest and
/// the guarantees that were checked.
pub fn manifest_json(
    inventory: &Inventory,
    services: &Services,
    placement: &Placement,
    extra: serde_json::Value,
) -> String {
    let guarantees: Vec<serde_json::Value> = services
        .services
        .iter()
        .map(|s| {
            serde_json::json!({
                "service": s.name,
                "min_replicas": s.min_replicas,
                "survive": s.survive.iter().map(ToString::to_string).collect::<Vec<_>>(),
                "replicas": placement.replicas.iter().filter(|r| services.service(r.service).name == s.name).count(),
            })
        })
        .collect();
    let mut value = serde_json::json!({
        "format_version": MANIFEST_FORMAT_VERSION,
        "inventory_digest": inventory.digest,
        "guarantees": guarantees,
        "placement": rows(inventory, services, placement),
    });
    if let (Some(map), serde_json::Value::Object(extra)) = (value.as_object_mut(), extra) {
        map.extend(extra);
    }
    let mut text = serde_json::to_string_pretty(&value).expect("JSON values always serialize");
    text.push('\n');
    text
}
