//! Manifests that deploy tooling consumes: placement.csv (FORMATS.md), its JSON
//! twin with metadata, an Ansible inventory and Kubernetes objects. Pure
//! functions from data to text.
//!
//! Every text format a spreadsheet may open (CSV, INI) refuses a cell that
//! would start a formula instead of altering it: an altered id would no longer
//! name the server, and `check` must read back what `export csv` wrote.

mod ansible;
mod kubernetes;

use std::path::Path;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::inventory::{InputError, InputErrors, Inventory, Location, Placement, Services};

pub use ansible::{ansible_ini, ansible_json, group_name};
pub use kubernetes::{kubernetes_list, RACK_LABEL, ROOM_LABEL, SERVICE_LABEL, ZONE_LABEL};

/// Consumers reject an unknown major version (the part before the dot).
pub const MANIFEST_FORMAT_VERSION: &str = "1.0";

/// The JSON manifest `plan` writes and `export --format json` prints. Its JSON
/// Schema (docs/manifest.schema.json) is generated from this type.
// No deny_unknown_fields here: serde does not support it with `flatten`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "faultplan placement manifest")]
pub struct Manifest {
    /// `MAJOR.MINOR`; a consumer rejects a major version it does not know.
    #[schemars(regex(pattern = r"^1\.[0-9]+$"))]
    pub format_version: String,
    /// SHA-256 of the inventory files the placement was made for.
    pub inventory_digest: String,
    /// Each service's guarantee and how many replicas it has.
    pub guarantees: Vec<Guarantee>,
    /// One row per replica, sorted by service then server (as placement.csv).
    pub placement: Vec<Row>,
    /// How `plan` found the placement; absent from `export`, which plans nothing.
    #[serde(flatten)]
    pub plan: Option<PlanInfo>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Guarantee {
    pub service: String,
    /// Replicas that must stay up in every scenario of `survive`.
    pub min_replicas: u32,
    /// The survive words of services.toml.
    pub survive: Vec<String>,
    /// Replicas placed.
    pub replicas: u32,
}

/// One replica: the columns of placement.csv.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Row {
    pub service: String,
    pub server: String,
    pub rack: String,
    pub datacenter: String,
}

/// The planner's statistics, written by `plan` only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PlanInfo {
    /// `cost`, `servers` or `balance`.
    pub objective: String,
    pub objective_value: f64,
    /// Relative gap to the proven bound (0 = optimal).
    pub gap: f64,
    /// The search stage that found the placement.
    pub stage: String,
    pub solver: String,
}

/// The JSON Schema of [`Manifest`], as shipped in docs/manifest.schema.json.
pub fn manifest_schema() -> String {
    let mut text = serde_json::to_string_pretty(&schemars::schema_for!(Manifest))
        .expect("schemas always serialize");
    text.push('\n');
    text
}

pub(crate) fn rows(inventory: &Inventory, services: &Services, placement: &Placement) -> Vec<Row> {
    let mut rows: Vec<Row> = placement
        .replicas
        .iter()
        .map(|r| {
            let server = inventory.server(r.server);
            let rack = inventory.rack(server.rack);
            Row {
                service: services.service(r.service).name.clone(),
                server: server.id.clone(),
                rack: rack.id.clone(),
                datacenter: inventory.dc(rack.datacenter).id.clone(),
            }
        })
        .collect();
    rows.sort();
    rows
}

/// Refuses a cell that a spreadsheet would run as a formula (OWASP's list:
/// `=`, `+`, `-`, `@`, tab, carriage return), naming where the text comes from.
pub(crate) fn spreadsheet_safe(cell: &str, what: &str, at: Location) -> Result<(), InputError> {
    match cell.chars().next() {
        Some(c @ ('=' | '+' | '-' | '@' | '\t' | '\r')) => Err(InputError::new(
            at,
            format!(
                "{what} \"{}\" starts with {c:?}, which a spreadsheet opening the export would run as a formula; rename it",
                cell.escape_debug()
            ),
        )),
        _ => Ok(()),
    }
}

/// Where each kind of id is defined, for error messages.
pub(crate) struct Sources<'a> {
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

fn collect(errors: Vec<InputError>) -> Result<(), InputErrors> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(InputErrors(errors))
    }
}

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

/// The manifest of a placement: its rows plus format version, inventory digest
/// and the guarantees that were checked.
pub fn manifest(
    inventory: &Inventory,
    services: &Services,
    placement: &Placement,
    plan: Option<PlanInfo>,
) -> Manifest {
    let mut counts = vec![0u32; services.services.len()];
    for r in &placement.replicas {
        counts[r.service.index()] += 1;
    }
    Manifest {
        format_version: MANIFEST_FORMAT_VERSION.to_string(),
        inventory_digest: inventory.digest.clone(),
        guarantees: services
            .ids()
            .map(|id| {
                let s = services.service(id);
                Guarantee {
                    service: s.name.clone(),
                    min_replicas: s.min_replicas,
                    survive: s.survive.iter().map(ToString::to_string).collect(),
                    replicas: counts[id.index()],
                }
            })
            .collect(),
        placement: rows(inventory, services, placement),
        plan,
    }
}

/// The JSON manifest as text.
pub fn manifest_json(
    inventory: &Inventory,
    services: &Services,
    placement: &Placement,
    plan: Option<PlanInfo>,
) -> String {
    // Through a Value, whose keys are sorted, as every JSON faultplan writes.
    let value = serde_json::to_value(manifest(inventory, services, placement, plan))
        .expect("manifests always serialize");
    let mut text = serde_json::to_string_pretty(&value).expect("JSON values always serialize");
    text.push('\n');
    text
}
