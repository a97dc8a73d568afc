//! placement.csv (FORMATS.md) as `plan` and `export --format csv` write it.

use super::manifest::rows;
use super::sources::{collect, Sources};
use super::spreadsheet::spreadsheet_safe;
use crate::inventory::{InputErrors, Inventory, Placement, Services};

/// placement.csv: service, server, then the informational rack and datacenter,
/// sorted by service then server so the same plan gives the same bytes. What
/// `plan` and `export` write goes through [`safe_placement_csv`].
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

/// [`placement_csv`], refused when a cell would start a spreadsheet formula.
pub fn safe_placement_csv(
    inventory: &Inventory,
    services: &Services,
    placement: &Placement,
) -> Result<String, InputErrors> {
    let sources = Sources {
        inventory,
        services,
    };
    let mut errors = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for row in &rows(inventory, services, placement) {
        for (cell, what) in [
            (&row.service, "service"),
            (&row.server, "server"),
            (&row.rack, "rack"),
            (&row.datacenter, "datacenter"),
        ] {
            if !seen.insert(cell.clone()) {
                continue;
            }
            let at = if what == "service" {
                sources.service(cell)
            } else {
                sources.id(cell)
            };
            errors.extend(spreadsheet_safe(cell, what, at).err());
        }
    }
    collect(errors)?;
    Ok(placement_csv(inventory, services, placement))
}
