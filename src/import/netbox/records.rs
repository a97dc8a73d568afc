//! The NetBox objects as read: only the fields the mapping uses are parsed,
//! the rest of NetBox's serializer output is ignored.

use std::collections::BTreeMap;

use serde::Deserialize;

/// A nested object as NetBox serializes a foreign key (`{"id", "url", "display",
/// "name", "slug", ...}`).
#[derive(Debug, Clone, Deserialize)]
pub struct Ref {
    pub id: u64,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub slug: Option<String>,
}

/// A choice field: `{"value": "active", "label": "Active"}`.
#[derive(Debug, Clone, Deserialize)]
pub struct Choice {
    pub value: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Site {
    pub id: u64,
    pub name: String,
    pub slug: String,
    #[serde(default)]
    pub region: Option<Ref>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct NbLocation {
    pub id: u64,
    pub name: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Rack {
    pub id: u64,
    pub name: String,
    pub site: Ref,
    #[serde(default)]
    pub location: Option<Ref>,
    #[serde(default)]
    pub u_height: Option<u32>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DeviceType {
    pub id: u64,
    pub slug: String,
    pub model: String,
    #[serde(default)]
    pub u_height: Option<f64>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Device {
    pub id: u64,
    #[serde(default)]
    pub name: Option<String>,
    pub device_type: Ref,
    pub role: Ref,
    pub site: Ref,
    #[serde(default)]
    pub rack: Option<Ref>,
    #[serde(default)]
    pub position: Option<f64>,
    #[serde(default)]
    pub status: Option<Choice>,
    #[serde(default)]
    pub custom_fields: BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    pub tags: Vec<Ref>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PowerPanel {
    pub id: u64,
    pub name: String,
    pub site: Ref,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PowerFeed {
    pub id: u64,
    pub name: String,
    pub power_panel: Ref,
    #[serde(default)]
    pub rack: Option<Ref>,
    #[serde(default)]
    pub status: Option<Choice>,
    #[serde(default)]
    pub phase: Option<Choice>,
    pub voltage: f64,
    pub amperage: f64,
    pub max_utilization: f64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PowerPort {
    pub id: u64,
    pub device: Ref,
    #[serde(default)]
    pub maximum_draw: Option<f64>,
    #[serde(default)]
    pub allocated_draw: Option<f64>,
    #[serde(default)]
    pub link_peers_type: Option<String>,
    #[serde(default)]
    pub link_peers: Vec<Ref>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PowerOutlet {
    pub id: u64,
    pub device: Ref,
}

/// Every record the mapping reads, in the order NetBox listed them.
#[derive(Debug, Clone, Default)]
pub struct Data {
    pub sites: Vec<Site>,
    pub locations: Vec<NbLocation>,
    pub racks: Vec<Rack>,
    pub device_types: Vec<DeviceType>,
    pub devices: Vec<Device>,
    pub power_panels: Vec<PowerPanel>,
    pub power_feeds: Vec<PowerFeed>,
    pub power_ports: Vec<PowerPort>,
    pub power_outlets: Vec<PowerOutlet>,
}
