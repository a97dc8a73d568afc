//! Manifests that deploy tooling consumes: placement.csv (FORMATS.md), its JSON
//! twin with metadata, an Ansible inventory and Kubernetes objects. Pure
//! functions from data to text.
//!
//! Every text format a spreadsheet may open (CSV, INI) refuses a cell that
//! would start a formula instead of altering it (spreadsheet.rs); each refusal
//! names where the id is defined (sources.rs).

mod ansible;
mod kubernetes;
mod kubernetes_nodes;
mod manifest;
mod placement_csv;
mod sources;
mod spreadsheet;

pub use ansible::{ansible_ini, ansible_json, group_name};
pub use kubernetes::kubernetes_list;
pub use kubernetes_nodes::{
    DC_ROOM_LABEL, HOSTNAME_LABEL, POWER_SIDE_LABEL, RACK_LABEL, ROOM_LABEL, SERVER_LABEL,
    SERVICE_LABEL, ZONE_LABEL,
};
pub use manifest::{
    manifest, manifest_json, manifest_schema, Guarantee, Manifest, PlanInfo, Row,
    MANIFEST_FORMAT_VERSION,
};
pub use placement_csv::{placement_csv, safe_placement_csv};
