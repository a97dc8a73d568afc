//! NetBox → inventory: sites, locations, racks, power panels and feeds, PDUs and
//! servers become the four CSV files of FORMATS.md. docs/formats.md ("Importing
//! from NetBox") is the user-facing statement of every rule here.

mod source;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;

use serde::Deserialize;

pub use source::{from_dir, Api, Data, ENDPOINTS};
use source::{Device, PowerFeed};

use super::InventoryFiles;
use crate::inventory::{read_text, InputError, InputErrors, Location};

/// Names of the device custom fields that carry server numbers.
#[derive(Debug, Clone)]
pub struct Fields {
    pub cpu: String,
    pub mem_gb: String,
    pub idle_w: String,
    pub max_w: String,
}

impl Default for Fields {
    fn default() -> Self {
        Fields {
            cpu: "cpu".into(),
            mem_gb: "mem_gb".into(),
            idle_w: "idle_w".into(),
            max_w: "max_w".into(),
        }
    }
}

/// Server numbers by device-type slug, from the `--models` CSV file.
#[derive(Debug, Clone, Default)]
pub struct Models(BTreeMap<String, ModelRow>);

#[derive(Debug, Clone, Deserialize)]
struct ModelRow {
    device_type: String,
    #[serde(default)]
    cpu: Option<f64>,
    #[serde(default)]
    mem_gb: Option<f64>,
    #[serde(default)]
    idle_w: Option<f64>,
    #[serde(default)]
    max_w: Option<f64>,
}

impl Models {
    /// Reads `device_type,cpu,mem_gb,idle_w,max_w` (any order, empty cells allowed).
    pub fn load(path: &Path) -> Result<Models, InputErrors> {
        let text = read_text(path, crate::inventory::limits::CSV_BYTES)?;
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let mut models = BTreeMap::new();
        let mut errors = Vec::new();
        let headers = reader
            .headers()
            .map_err(|e| InputError::new(Location::file(path), format!("{e}")))?
            .clone();
        if !headers.iter().any(|h| h == "device_type") {
            return Err(InputError::new(
                Location::at(path, 1, None),
                "missing column \"device_type\": expected device_type,cpu,mem_gb,idle_w,max_w",
            )
            .into());
        }
        for record in reader.records() {
            let parsed = record.and_then(|record| {
                let row: ModelRow = record.deserialize(Some(&headers))?;
                Ok((record.position().map_or(0, |p| p.line() as usize), row))
            });
            match parsed {
                Ok((line, row)) => {
                    let bad = [row.cpu, row.mem_gb, row.idle_w, row.max_w]
                        .into_iter()
                        .flatten()
                        .find(|v| !v.is_finite() || *v < 0.0);
                    if let Some(v) = bad {
                        errors.push(InputError::new(
                            Location::at(path, line, None),
                            format!("expected a finite number >= 0, found {v}"),
                        ));
                    } else if models.contains_key(&row.device_type) {
                        errors.push(InputError::new(
                            Location::at(path, line, None),
                            format!("device type \"{}\" is listed twice", row.device_type),
                        ));
                    } else {
                        models.insert(row.device_type.clone(), row);
                    }
                }
                Err(e) => {
                    let (line, column) = match e.position() {
                        Some(p) => (p.line() as usize, field_of(&e)),
                        None => (0, None),
                    };
                    errors.push(InputError::new(
                        Location::at(path, line, column),
                        format!("{e}: expected device_type,cpu,mem_gb,idle_w,max_w with numbers"),
                    ));
                }
            }
        }
        if errors.is_empty() {
            Ok(Models(models))
        } else {
            Err(InputErrors(errors))
        }
    }
}

/// The 1-based field a CSV deserialization error points at, if it names one.
fn field_of(error: &csv::Error) -> Option<usize> {
    match error.kind() {
        csv::ErrorKind::Deserialize { err, .. } => err.field().map(|f| f as usize + 1),
        _ => None,
    }
}

#[derive(Debug, Clone)]
pub struct Options {
    /// Device role slugs (or names) whose devices are servers.
    pub roles: Vec<String>,
    pub fields: Fields,
    pub models: Models,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            roles: vec!["server".into()],
            fields: Fields::default(),
            models: Models::default(),
        }
    }
}

/// What an import mapped, what it left out and why.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub datacenters: usize,
    pub rooms: usize,
    pub racks: usize,
    /// Power components by kind.
    pub power: BTreeMap<&'static str, usize>,
    /// Servers by status.
    pub servers: BTreeMap<&'static str, usize>,
    /// Devices left out, by reason, with their ids or NetBox names.
    pub skipped: BTreeMap<String, Vec<String>>,
    /// Devices taken as fed by every feed of their rack because none of their
    /// power ports is cabled.
    pub uncabled: Vec<String>,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let counts = |map: &BTreeMap<&str, usize>| {
            map.iter()
                .map(|(k, n)| format!("{k}: {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let power: usize = self.power.values().sum();
        let servers: usize = self.servers.values().sum();
        writeln!(
            f,
            "mapped {} datacenters, {} rooms, {} racks, {power} power components ({}), {servers} servers ({})",
            self.datacenters,
            self.rooms,
            self.racks,
            counts(&self.power),
            counts(&self.servers),
        )?;
        for (reason, devices) in &self.skipped {
            writeln!(
                f,
                "skipped {} {}: {reason}: {}",
                devices.len(),
                plural(devices.len(), "device", "devices"),
                some(devices)
            )?;
        }
        if !self.uncabled.is_empty() {
            writeln!(
                f,
                "warning: {} {} no cabled power port; each is taken as fed by every power feed of its rack (one PSU per feed): {}",
                self.uncabled.len(),
                plural(self.uncabled.len(), "device has", "devices have"),
                some(&self.uncabled)
            )?;
        }
        Ok(())
    }
}

/// Names listed in a summary line: the first few, then how many more.
fn some(names: &[String]) -> String {
    const SHOWN: usize = 10;
    let mut text = names[..names.len().min(SHOWN)].join(", ");
    if names.len() > SHOWN {
        text.push_str(&format!(" and {} more", names.len() - SHOWN));
    }
    text
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 {
        one
    } else {
        many
    }
}

/// The outcome of a mapping: the inventory files and the summary.
#[derive(Debug, Clone)]
pub struct Imported {
    pub files: InventoryFiles,
    pub summary: Summary,
}

/// Which NetBox table an object comes from: part of an id only when two
/// objects would otherwise get the same one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Table {
    Site,
    Rack,
    PowerPanel,
    PowerFeed,
    Device,
}

impl Table {
    fn name(self) -> &'static str {
        match self {
            Table::Site => "site",
            Table::Rack => "rack",
            Table::PowerPanel => "powerpanel",
            Table::PowerFeed => "powerfeed",
            Table::Device => "device",
        }
    }
}

/// Ids in the one namespace of FORMATS.md, derived from NetBox names (see
/// docs/formats.md): readable where names are unique, and made unique with
/// the NetBox table and id where they are not. Every id depends only on the
/// objects mapped, never on the order NetBox lists them in.
#[derive(Default)]
struct Ids {
    wanted: BTreeMap<String, BTreeSet<(Table, u64)>>,
    assigned: BTreeMap<(Table, u64), String>,
}

impl Ids {
    fn want(&mut self, table: Table, id: u64, base: String) {
        self.wanted.entry(base).or_default().insert((table, id));
    }

    fn assign(&mut self) {
        for (base, owners) in &self.wanted {
            for &(table, id) in owners {
                let unique = if owners.len() == 1 {
                    base.clone()
                } else {
                    format!("{base}#{}-{id}", table.name())
                };
                self.assigned.insert((table, id), unique);
            }
        }
    }

    fn get(&self, table: Table, id: u64) -> &str {
        &self.assigned[&(table, id)]
    }
}

/// A name made fit for an id: `;` separates list items in a cell, and cells are trimmed.
fn clean(name: &str) -> String {
    name.trim().replace(';', "_")
}

fn device_name(device: &Device) -> Option<String> {
    device.name.as_deref().map(clean).filter(|n| !n.is_empty())
}

/// How a device appears in messages: its name, or NetBox's id when it has none.
fn device_label(device: &Device) -> String {
    device_name(device).unwrap_or_else(|| format!("unnamed device {}", device.id))
}

/// A feed's rated power: V × A, × √3 for three-phase (line-to-line voltage);
/// DC feeds may carry a negative voltage in NetBox.
fn feed_capacity(feed: &PowerFeed) -> f64 {
    let va = feed.voltage.abs() * feed.amperage;
    match feed.phase.as_ref().map(|p| p.value.as_str()) {
        Some("three-phase") => va * 3f64.sqrt(),
        _ => va,
    }
}

/// NetBox device status → servers.csv status; None: not mapped (not there yet).
fn server_status(status: &str) -> Option<&'static str> {
    match status {
        "active" => Some("active"),
        "planned" | "staged" => None,
        "offline" | "failed" => Some("offline"),
        _ => Some("maintenance"),
    }
}

/// A number from a custom field: a JSON number, or a string holding one.
fn custom_number(device: &Device, field: &str) -> Result<Option<f64>, String> {
    match device.custom_fields.get(field) {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::Number(n)) => n
            .as_f64()
            .filter(|v| v.is_finite() && *v >= 0.0)
            .map(Some)
            .ok_or_else(|| format!("custom field {field} is {n}, expected a number >= 0")),
        Some(serde_json::Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(serde_json::Value::String(s)) => s
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && *v >= 0.0)
            .map(Some)
            .ok_or_else(|| format!("custom field {field} is \"{s}\", expected a number >= 0")),
        Some(other) => Err(format!(
            "custom field {field} is {other}, expected a number >= 0"
        )),
    }
}

/// Where a PSU draws from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Parent {
    Feed(u64),
    Pdu(u64),
}

/// Formats a number for a CSV cell: shortest exact form, no trailing `.0`.
fn num(v: f64) -> String {
    format!("{v}")
}

struct Mapper<'a> {
    /// Feeds mapped (not planned), by NetBox id.
    feeds: BTreeMap<u64, &'a PowerFeed>,
    /// Mapped feeds of each rack.
    rack_feeds: BTreeMap<u64, Vec<u64>>,
    devices: BTreeMap<u64, &'a Device>,
    /// Devices with power outlets: PDUs.
    outlet_device: BTreeMap<u64, u64>,
    ports: BTreeMap<u64, Vec<&'a source::PowerPort>>,
    /// PDUs reached from a server, with their parents (None while being traced).
    pdus: BTreeMap<u64, Option<Vec<Parent>>>,
    uncabled: BTreeSet<u64>,
    errors: Vec<InputError>,
    at: Location,
}

impl<'a> Mapper<'a> {
    /// Where `device` draws from: the far ends of its cabled power ports, else
    /// every feed of its rack. Empty: no way to power it (an error is recorded).
    fn parents(&mut self, device: &'a Device) -> Vec<Parent> {
        let mut parents = BTreeSet::new();
        let mut cabled = false;
        let ports = self.ports.get(&device.id).cloned().unwrap_or_default();
        for port in ports {
            let Some(kind) = port.link_peers_type.as_deref() else {
                continue;
            };
            for peer in &port.link_peers {
                cabled = true;
                match kind {
                    "dcim.powerfeed" if self.feeds.contains_key(&peer.id) => {
                        parents.insert(Parent::Feed(peer.id));
                    }
                    "dcim.poweroutlet" => {
                        if let Some(&pdu) = self.outlet_device.get(&peer.id) {
                            if self.pdu(pdu) {
                                parents.insert(Parent::Pdu(pdu));
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        if !cabled {
            if let Some(rack) = &device.rack {
                if let Some(feeds) = self.rack_feeds.get(&rack.id) {
                    self.uncabled.insert(device.id);
                    parents.extend(feeds.iter().map(|&f| Parent::Feed(f)));
                }
            }
        }
        if parents.is_empty() {
            let why = if cabled {
                "its power ports are cabled, but not to a PDU outlet or power feed that is mapped (a planned feed, a PDU without power)"
            } else if device.rack.is_none() {
                "none of its power ports is cabled and it is in no rack"
            } else {
                "none of its power ports is cabled and no power feed names its rack"
            };
            self.errors.push(InputError::new(
                self.at.clone(),
                format!(
                    "device \"{}\" (NetBox id {}) has no way to power: {why}; cable a power port in NetBox, or set the rack of a power feed",
                    device_label(device),
                    device.id
                ),
            ));
        }
        parents.into_iter().collect()
    }

    /// Traces PDU `id` up to its feeds; whether it is powered.
    fn pdu(&mut self, id: u64) -> bool {
        match self.pdus.get(&id) {
            Some(Some(parents)) => return !parents.is_empty(),
            Some(None) => {
                self.errors.push(InputError::new(
                    self.at.clone(),
                    format!("PDU device {id} is fed, through its outlets, by itself: a cable loop"),
                ));
                return false;
            }
            None => {}
        }
        let Some(&device) = self.devices.get(&id) else {
            return false;
        };
        self.pdus.insert(id, None);
        let parents = self.parents(device);
        let powered = !parents.is_empty();
        self.pdus.insert(id, Some(parents));
        powered
    }
}

/// Maps NetBox's records to an inventory. Errors (a device with no way to
/// power) name the device; nothing is written by this function.
pub fn map(data: &Data, options: &Options, origin: &str) -> Result<Imported, InputErrors> {
    let mut summary = Summary::default();
    let at = Location::file(Path::new(origin));
    let sites: BTreeMap<u64, &source::Site> = data.sites.iter().map(|s| (s.id, s)).collect();
    let locations: BTreeMap<u64, &source::NbLocation> =
        data.locations.iter().map(|l| (l.id, l)).collect();
    let device_types: BTreeMap<u64, &source::DeviceType> =
        data.device_types.iter().map(|t| (t.id, t)).collect();
    let panels: BTreeMap<u64, &source::PowerPanel> =
        data.power_panels.iter().map(|p| (p.id, p)).collect();
    let racks: BTreeMap<u64, &source::Rack> = data
        .racks
        .iter()
        .filter(|r| sites.contains_key(&r.site.id))
        .map(|r| (r.id, r))
        .collect();

    let mut mapper = Mapper {
        feeds: BTreeMap::new(),
        rack_feeds: BTreeMap::new(),
        devices: data.devices.iter().map(|d| (d.id, d)).collect(),
        outlet_device: data
            .power_outlets
            .iter()
            .map(|o| (o.id, o.device.id))
            .collect(),
        ports: BTreeMap::new(),
        pdus: BTreeMap::new(),
        uncabled: BTreeSet::new(),
        errors: Vec::new(),
        at: at.clone(),
    };
    for port in &data.power_ports {
        mapper.ports.entry(port.device.id).or_default().push(port);
    }
    for feed in &data.power_feeds {
        let status = feed.status.as_ref().map_or("active", |s| s.value.as_str());
        let panel_known = panels
            .get(&feed.power_panel.id)
            .is_some_and(|p| sites.contains_key(&p.site.id));
        if status == "planned" || !panel_known {
            continue;
        }
        mapper.feeds.insert(feed.id, feed);
        if let Some(rack) = &feed.rack {
            mapper.rack_feeds.entry(rack.id).or_default().push(feed.id);
        }
    }

    // Servers first: they decide which PDUs are reached.
    let pdu_devices: BTreeSet<u64> = mapper.outlet_device.values().copied().collect();
    let mut servers = Vec::new();
    let mut skip = |reason: &str, who: String| {
        summary
            .skipped
            .entry(reason.to_string())
            .or_default()
            .push(who);
    };
    for device in &data.devices {
        if pdu_devices.contains(&device.id) {
            continue;
        }
        let role_matches = options.roles.iter().any(|role| {
            device.role.slug.as_deref() == Some(role.as_str())
                || device.role.name.as_deref() == Some(role.as_str())
        });
        if !role_matches {
            skip("not of a --role given", device_label(device));
            continue;
        }
        let status_value = device
            .status
            .as_ref()
            .map_or("active", |s| s.value.as_str());
        let Some(status) = server_status(status_value) else {
            skip("planned or staged in NetBox", device_label(device));
            continue;
        };
        let Some(rack) = device.rack.as_ref().filter(|r| racks.contains_key(&r.id)) else {
            skip("in no rack", device_label(device));
            continue;
        };
        let device_type = device_types.get(&device.device_type.id);
        let model_row = device_type.and_then(|t| options.models.0.get(&t.slug));
        let ports = mapper.ports.get(&device.id).cloned().unwrap_or_default();
        let port_sum = |draw: fn(&source::PowerPort) -> Option<f64>| -> Option<f64> {
            let draws: Vec<f64> = ports.iter().filter_map(|p| draw(p)).collect();
            (!draws.is_empty()).then(|| draws.iter().sum())
        };
        let fields = &options.fields;
        let mut problems = Vec::new();
        let mut number = |field: &str, from_model: Option<f64>| -> Option<f64> {
            match custom_number(device, field) {
                Ok(Some(v)) => Some(v),
                Ok(None) => from_model,
                Err(problem) => {
                    problems.push(problem);
                    None
                }
            }
        };
        let cpu = number(&fields.cpu, model_row.and_then(|m| m.cpu));
        let mem_gb = number(&fields.mem_gb, model_row.and_then(|m| m.mem_gb));
        let idle_w = number(&fields.idle_w, model_row.and_then(|m| m.idle_w))
            .or_else(|| port_sum(|p| p.allocated_draw));
        let max_w = number(&fields.max_w, model_row.and_then(|m| m.max_w))
            .or_else(|| port_sum(|p| p.maximum_draw));
        if !problems.is_empty() {
            skip(&problems.join("; "), device_label(device));
            continue;
        }
        let (Some(cpu), Some(mem_gb)) = (cpu, mem_gb) else {
            let missing: Vec<&str> = [("cpu", cpu), ("mem_gb", mem_gb)]
                .into_iter()
                .filter(|(_, v)| v.is_none())
                .map(|(name, _)| name)
                .collect();
            skip(
                &format!(
                    "no {} (custom fields {}, {} or --models by device type)",
                    missing.join(" and no "),
                    fields.cpu,
                    fields.mem_gb
                ),
                device_label(device),
            );
            continue;
        };
        if let (Some(idle), Some(max)) = (idle_w, max_w) {
            if max < idle {
                skip(
                    &format!("max_w below idle_w ({max} < {idle})"),
                    device_label(device),
                );
                continue;
            }
        }
        let parents = mapper.parents(device);
        if parents.is_empty() {
            continue;
        }
        servers.push(Mapped {
            device,
            rack: rack.id,
            status,
            cpu,
            mem_gb,
            idle_w,
            max_w,
            parents,
            device_type: device_type.copied(),
        });
    }
    if !mapper.errors.is_empty() {
        let mut errors = std::mem::take(&mut mapper.errors);
        errors.sort_by(|a, b| a.message.cmp(&b.message));
        errors.dedup();
        return Err(InputErrors(errors));
    }

    // Ids: every mapped object's readable base, then made unique.
    let mut ids = Ids::default();
    let site_slug = |site: u64| clean(&sites[&site].slug);
    for site in sites.values() {
        ids.want(Table::Site, site.id, clean(&site.slug));
    }
    for rack in racks.values() {
        ids.want(
            Table::Rack,
            rack.id,
            format!("{}/{}", site_slug(rack.site.id), clean(&rack.name)),
        );
    }
    let mut used_panels: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
    for feed in mapper.feeds.values() {
        used_panels
            .entry(feed.power_panel.id)
            .or_default()
            .push(feed.id);
        let panel = panels[&feed.power_panel.id];
        ids.want(
            Table::PowerFeed,
            feed.id,
            format!(
                "{}/{}/{}",
                site_slug(panel.site.id),
                clean(&panel.name),
                clean(&feed.name)
            ),
        );
    }
    for &panel in used_panels.keys() {
        let panel = panels[&panel];
        ids.want(
            Table::PowerPanel,
            panel.id,
            format!("{}/{}", site_slug(panel.site.id), clean(&panel.name)),
        );
    }
    let device_base = |device: &Device| {
        let name = device_name(device).unwrap_or_else(|| format!("device-{}", device.id));
        format!("{}/{name}", site_slug(device.site.id))
    };
    let pdus: BTreeMap<u64, Vec<Parent>> = mapper
        .pdus
        .iter()
        .filter_map(|(&id, parents)| Some((id, parents.clone()?)))
        .collect();
    for &pdu in pdus.keys() {
        ids.want(Table::Device, pdu, device_base(mapper.devices[&pdu]));
    }
    for server in &servers {
        ids.want(Table::Device, server.device.id, device_base(server.device));
    }
    ids.assign();
    let parent_id = |parent: &Parent| match *parent {
        Parent::Feed(id) => ids.get(Table::PowerFeed, id),
        Parent::Pdu(id) => ids.get(Table::Device, id),
    };

    // datacenters.csv
    let mut rows: Vec<Vec<String>> = sites
        .values()
        .map(|site| {
            vec![
                ids.get(Table::Site, site.id).to_string(),
                site.name.clone(),
                site.region
                    .as_ref()
                    .and_then(|r| r.name.clone())
                    .unwrap_or_default(),
                site.id.to_string(),
            ]
        })
        .collect();
    summary.datacenters = rows.len();
    let datacenters_csv = write_csv(&["id", "name", "region", "netbox_id"], rows);

    // racks.csv
    let mut rooms = BTreeSet::new();
    rows = racks
        .values()
        .map(|rack| {
            let room = rack
                .location
                .as_ref()
                .and_then(|l| {
                    locations
                        .get(&l.id)
                        .map(|l| l.name.clone())
                        .or(l.name.clone())
                })
                .unwrap_or_else(|| sites[&rack.site.id].name.clone());
            let room = clean(&room);
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
    let racks_csv = write_csv(
        &[
            "id",
            "datacenter",
            "room",
            "u_height",
            "netbox_id",
            "netbox_name",
        ],
        rows,
    );

    // power.csv
    rows = Vec::new();
    let mut count = |kind: &'static str| *summary.power.entry(kind).or_default() += 1;
    for (&panel, feeds) in &used_panels {
        let panel = panels[&panel];
        let capacity: f64 = feeds.iter().map(|f| feed_capacity(mapper.feeds[f])).sum();
        rows.push(vec![
            ids.get(Table::PowerPanel, panel.id).to_string(),
            ids.get(Table::Site, panel.site.id).to_string(),
            "panel".into(),
            String::new(),
            num(capacity),
            "1".into(),
            panel.id.to_string(),
            panel.name.clone(),
        ]);
        count("panel");
    }
    for feed in mapper.feeds.values() {
        let panel = panels[&feed.power_panel.id];
        rows.push(vec![
            ids.get(Table::PowerFeed, feed.id).to_string(),
            ids.get(Table::Site, panel.site.id).to_string(),
            "feed".into(),
            ids.get(Table::PowerPanel, panel.id).to_string(),
            num(feed_capacity(feed)),
            num(feed.max_utilization / 100.0),
            feed.id.to_string(),
            feed.name.clone(),
        ]);
        count("feed");
    }
    for (&pdu, parents) in &pdus {
        let device = mapper.devices[&pdu];
        let capacity = pdu_capacity(pdu, &pdus, &mapper);
        rows.push(vec![
            ids.get(Table::Device, pdu).to_string(),
            ids.get(Table::Site, device.site.id).to_string(),
            "pdu".into(),
            parents.iter().map(parent_id).collect::<Vec<_>>().join(";"),
            num(capacity),
            "1".into(),
            pdu.to_string(),
            device.name.clone().unwrap_or_default(),
        ]);
        count("pdu");
    }
    let power_csv = write_csv(
        &[
            "id",
            "datacenter",
            "kind",
            "feeds_from",
            "capacity_w",
            "max_utilization",
            "netbox_id",
            "netbox_name",
        ],
        rows,
    );

    // servers.csv
    rows = Vec::new();
    for server in &servers {
        let device = server.device;
        let labels: BTreeSet<String> = device
            .tags
            .iter()
            .filter_map(|t| t.slug.as_deref().map(clean))
            .filter(|t| !t.is_empty())
            .collect();
        let u_height = server
            .device_type
            .and_then(|t| t.u_height)
            .map(|u| num(u.ceil()))
            .unwrap_or_default();
        rows.push(vec![
            ids.get(Table::Device, device.id).to_string(),
            ids.get(Table::Rack, server.rack).to_string(),
            num(server.cpu),
            num(server.mem_gb),
            server
                .parents
                .iter()
                .map(parent_id)
                .collect::<Vec<_>>()
                .join(";"),
            server.idle_w.map(num).unwrap_or_default(),
            server.max_w.map(num).unwrap_or_default(),
            labels.into_iter().collect::<Vec<_>>().join(";"),
            server
                .device_type
                .map(|t| t.model.clone())
                .unwrap_or_default(),
            device.position.map(|p| num(p.floor())).unwrap_or_default(),
            u_height,
            server.status.to_string(),
            device.id.to_string(),
            device.name.clone().unwrap_or_default(),
        ]);
        *summary.servers.entry(server.status).or_default() += 1;
    }
    let servers_csv = write_csv(
        &[
            "id",
            "rack",
            "cpu",
            "mem_gb",
            "psu",
            "idle_w",
            "max_w",
            "labels",
            "model",
            "position",
            "u_height",
            "status",
            "netbox_id",
            "netbox_name",
        ],
        rows,
    );
    summary.uncabled = mapper
        .uncabled
        .iter()
        .map(|id| device_label(mapper.devices[id]))
        .collect();
    for devices in summary.skipped.values_mut() {
        devices.sort();
    }
    summary.uncabled.sort();
    Ok(Imported {
        files: InventoryFiles(vec![
            ("datacenters.csv", datacenters_csv),
            ("racks.csv", racks_csv),
            ("power.csv", power_csv),
            ("servers.csv", servers_csv),
        ]),
        summary,
    })
}

/// A PDU's rating: its input ports' maximum draw when NetBox has it for every
/// input; else it limits nothing beyond what feeds it (the largest continuous
/// limit of its parents).
fn pdu_capacity(pdu: u64, pdus: &BTreeMap<u64, Vec<Parent>>, mapper: &Mapper) -> f64 {
    let ports = mapper.ports.get(&pdu).cloned().unwrap_or_default();
    let rated = ports
        .iter()
        .map(|p| p.maximum_draw)
        .collect::<Option<Vec<f64>>>()
        .filter(|d| !d.is_empty());
    if let Some(draws) = rated {
        return draws.iter().sum();
    }
    // Parents are traced before children and loops were rejected, so this ends.
    pdus[&pdu]
        .iter()
        .map(|p| match *p {
            Parent::Feed(f) => {
                let feed = mapper.feeds[&f];
                feed_capacity(feed) * feed.max_utilization / 100.0
            }
            Parent::Pdu(parent) => pdu_capacity(parent, pdus, mapper),
        })
        .fold(0.0, f64::max)
}

/// A server as mapped, before ids are assigned.
struct Mapped<'a> {
    device: &'a Device,
    rack: u64,
    status: &'static str,
    cpu: f64,
    mem_gb: f64,
    idle_w: Option<f64>,
    max_w: Option<f64>,
    parents: Vec<Parent>,
    device_type: Option<&'a source::DeviceType>,
}

/// One CSV file, rows sorted by their first cell (the id) so that the bytes
/// depend only on what was mapped.
fn write_csv(header: &[&str], mut rows: Vec<Vec<String>>) -> String {
    rows.sort();
    let mut writer = csv::Writer::from_writer(Vec::new());
    // Writing to memory cannot fail.
    let _ = writer.write_record(header);
    for row in rows {
        let _ = writer.write_record(&row);
    }
    let bytes = writer.into_inner().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::source::{Rack, Ref, Site};
    use super::*;
    use proptest::prelude::*;

    fn reference(id: u64, name: &str) -> Ref {
        Ref {
            id,
            name: Some(name.to_string()),
            slug: Some(name.to_string()),
        }
    }

    /// Sites `s0`, `s1` and racks named from a small alphabet, so that names
    /// repeat within and across sites (and `s0/x` style names collide with
    /// what another rack's id would be).
    fn fleet(racks: &[(u64, String)]) -> Data {
        Data {
            sites: (0..2)
                .map(|i| Site {
                    id: i,
                    name: format!("Site {i}"),
                    slug: format!("s{i}"),
                    region: None,
                })
                .collect(),
            racks: racks
                .iter()
                .enumerate()
                .map(|(i, (site, name))| Rack {
                    id: 100 + i as u64,
                    name: name.clone(),
                    site: reference(*site, &format!("s{site}")),
                    location: None,
                    u_height: None,
                })
                .collect(),
            ..Data::default()
        }
    }

    fn rack_ids(data: &Data) -> (Vec<String>, String) {
        let imported = map(data, &Options::default(), "test").unwrap();
        let racks = imported.files.0[1].1.clone();
        let ids = racks
            .lines()
            .skip(1)
            .map(|l| l.split(',').next().unwrap().to_string())
            .collect();
        (ids, racks)
    }

    proptest! {
        #[test]
        fn rack_ids_are_unique_and_do_not_depend_on_netbox_order(
            racks in proptest::collection::vec((0u64..2, "[ab;/ ]{1,3}"), 1..12),
            seed in any::<u64>(),
        ) {
            let data = fleet(&racks);
            let (ids, bytes) = rack_ids(&data);
            let distinct: BTreeSet<&String> = ids.iter().collect();
            prop_assert_eq!(distinct.len(), racks.len(), "{:?}", ids);
            prop_assert!(ids.iter().all(|id| !id.contains(';') && id.trim() == id));
            // The same records listed in another order: the same bytes.
            let mut shuffled = data.clone();
            let n = shuffled.racks.len();
            for i in (1..n).rev() {
                shuffled.racks.swap(i, (seed.wrapping_mul(i as u64 + 7) % (i as u64 + 1)) as usize);
            }
            prop_assert_eq!(rack_ids(&shuffled).1, bytes);
        }
    }
}
