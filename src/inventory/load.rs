//! Loading an inventory folder: the four CSV files and the optional scenarios.toml.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use petgraph::algo::{tarjan_scc, toposort};
use petgraph::graph::{DiGraph, NodeIndex};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::csvfile::{read_text, CsvFile, Row};
use super::error::{Errors, InputError, InputErrors, Location};
use super::*;

const DEFAULT_RACK_UNITS: u32 = 42;
const DEFAULT_MAX_UTILIZATION: f64 = 0.8;

/// The four kinds of ids that share one namespace, in file order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Datacenter,
    Rack,
    Power,
    Server,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Datacenter => "datacenter",
            Kind::Rack => "rack",
            Kind::Power => "power component",
            Kind::Server => "server",
        }
    }
}

/// One id of the shared namespace: where it is defined, and what it became
/// (None while its row is not built yet, or when that row was rejected).
struct Defined {
    kind: Kind,
    at: Location,
    component: Option<Component>,
}

/// Every id of the four files, declared before any row is built, so that a
/// collision is reported even when both rows have other errors, and a reference
/// can tell "no such id" from "that id is something else" and "that row was
/// rejected".
#[derive(Default)]
struct Namespace {
    ids: BTreeMap<String, Defined>,
    /// Rows whose id was declared (rows not here are never built: their id is
    /// bad or taken, and that is already reported).
    declared: BTreeSet<(Kind, usize)>,
    /// Files that could not be parsed: references into them are not checked,
    /// since every one would dangle.
    broken: BTreeSet<Kind>,
}

impl Namespace {
    fn declare(&mut self, file: &CsvFile, kind: Kind, errors: &mut Errors) {
        for row in file.rows() {
            let id = match row.id("id") {
                Ok(id) => id,
                Err(e) => {
                    errors.push(e);
                    continue;
                }
            };
            let at = row.at("id");
            if let Some(first) = self.ids.get(id) {
                errors.push(InputError::new(
                    at,
                    format!("duplicate id \"{id}\": already defined at {} (datacenter, rack, server and power ids share one namespace)", first.at),
                ));
                continue;
            }
            self.ids.insert(
                id.to_string(),
                Defined {
                    kind,
                    at,
                    component: None,
                },
            );
            self.declared.insert((kind, row.line));
        }
    }

    fn is_declared(&self, kind: Kind, row: &Row) -> bool {
        self.declared.contains(&(kind, row.line))
    }

    fn built(&mut self, id: &str, component: Component) {
        if let Some(defined) = self.ids.get_mut(id) {
            defined.component = Some(component);
        }
    }
}

/// Why a row was not built: an error to report, or a reference into a file that
/// could not be parsed (already reported there).
enum RowError {
    Input(InputError),
    Silent,
}

impl From<InputError> for RowError {
    fn from(error: InputError) -> Self {
        RowError::Input(error)
    }
}

/// Reads every file of the folder, hashing them for the manifest digest.
struct Files {
    hasher: Sha256,
}

impl Files {
    fn read(&mut self, path: &Path) -> Result<String, InputError> {
        let limit = if path.extension().is_some_and(|e| e == "toml") {
            limits::TOML_BYTES
        } else {
            limits::CSV_BYTES
        };
        let text = read_text(path, limit)?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        self.hasher.update(name.as_bytes());
        self.hasher.update([0]);
        self.hasher.update((text.len() as u64).to_le_bytes());
        self.hasher.update(text.as_bytes());
        Ok(text)
    }
}

impl Inventory {
    /// Loads and validates the inventory folder `dir`.
    pub fn load(dir: &Path) -> Result<Inventory, InputErrors> {
        if !dir.is_dir() {
            return Err(InputError::new(
                Location::file(dir),
                "not a folder: expected an inventory folder with datacenters.csv, racks.csv, power.csv and servers.csv",
            )
            .into());
        }
        let mut files = Files {
            hasher: Sha256::new(),
        };
        let paths = Inventory::FILES.map(|f| dir.join(f));
        let mut errors = Errors::default();
        let mut texts: Vec<Option<String>> = Vec::new();
        for path in &paths[..4] {
            match files.read(path) {
                Ok(text) => texts.push(Some(text)),
                Err(e) => {
                    errors.push(e);
                    texts.push(None);
                }
            }
        }
        // (required, optional) columns of each file.
        let columns: [(&[&str], &[&str]); 4] = [
            (&["id"], &["name", "region"]),
            (&["id", "datacenter"], &["room", "u_height"]),
            (
                &["id", "datacenter", "kind", "capacity_w"],
                &["feeds_from", "max_utilization"],
            ),
            (
                &["id", "rack", "cpu", "mem_gb", "psu"],
                &[
                    "idle_w", "max_w", "labels", "model", "position", "u_height", "status",
                ],
            ),
        ];
        let mut parsed = Vec::new();
        for ((path, text), (required, optional)) in paths.iter().zip(&texts).zip(columns) {
            let file = text.as_deref().and_then(|text| {
                match CsvFile::parse(path, text, required, optional) {
                    Ok(file) => Some(file),
                    Err(e) => {
                        e.0.into_iter().for_each(|e| errors.push(e));
                        None
                    }
                }
            });
            parsed.push(file);
        }
        let [datacenters, racks, power, servers]: [Option<CsvFile>; 4] = match parsed.try_into() {
            Ok(files) => files,
            Err(_) => unreachable!("one entry per inventory CSV file"),
        };

        let mut builder = Builder {
            errors,
            ..Builder::default()
        };
        let kinds = [
            (&datacenters, Kind::Datacenter),
            (&racks, Kind::Rack),
            (&power, Kind::Power),
            (&servers, Kind::Server),
        ];
        for (file, kind) in kinds {
            match file {
                Some(file) => builder.namespace.declare(file, kind, &mut builder.errors),
                None => {
                    builder.namespace.broken.insert(kind);
                }
            }
        }
        if let Some(file) = &datacenters {
            builder.datacenters(file);
        }
        if let Some(file) = &racks {
            builder.racks(file);
        }
        if let Some(file) = &power {
            builder.power(file);
        }
        if let Some(file) = &servers {
            builder.servers(file);
        }
        let power_order = builder.power_order();
        let scenarios_path = &paths[4];
        let custom_scenarios = if scenarios_path.exists() {
            match files.read(scenarios_path) {
                Ok(text) => builder.custom_scenarios(scenarios_path, &text),
                Err(e) => {
                    builder.errors.push(e);
                    Vec::new()
                }
            }
        } else {
            Vec::new()
        };
        let digest = format!("sha256:{:x}", files.hasher.finalize());
        let Builder {
            errors,
            namespace,
            datacenters,
            rooms,
            racks,
            servers,
            power,
            ..
        } = builder;
        errors.finish(Inventory {
            dir: dir.to_path_buf(),
            datacenters,
            rooms,
            racks,
            servers,
            power,
            power_order: power_order.unwrap_or_default(),
            custom_scenarios,
            digest,
            ids: namespace
                .ids
                .into_iter()
                .filter_map(|(id, defined)| Some((id, defined.component?)))
                .collect(),
        })
    }
}

#[derive(Default)]
struct Builder {
    errors: Errors,
    namespace: Namespace,
    datacenters: Vec<Datacenter>,
    rooms: Vec<Room>,
    room_ids: BTreeMap<(DcId, String), RoomId>,
    racks: Vec<Rack>,
    servers: Vec<Server>,
    power: Vec<PowerComponent>,
    /// Where each power component's `feeds_from` cell is, for cycle errors.
    feeds_from_at: Vec<Location>,
}

impl Builder {
    fn record<T>(&mut self, result: Result<T, RowError>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(RowError::Input(e)) => {
                self.errors.push(e);
                None
            }
            Err(RowError::Silent) => None,
        }
    }

    /// Resolves a reference to an id of kind `expected`, saying exactly what is
    /// wrong when it cannot: no such id, an id of another kind, or an id whose
    /// own row was rejected.
    fn reference(
        &self,
        row: &Row,
        column: &str,
        id: &str,
        expected: Kind,
    ) -> Result<Component, RowError> {
        let what = expected.name();
        match self.namespace.ids.get(id) {
            None if self.namespace.broken.contains(&expected) => Err(RowError::Silent),
            None => Err(row.error(column, format!("unknown {what} \"{id}\"")).into()),
            Some(defined) if defined.kind != expected => Err(row
                .error(
                    column,
                    format!(
                        "\"{id}\" is a {} (defined at {}), not a {what}",
                        defined.kind.name(),
                        defined.at
                    ),
                )
                .into()),
            Some(Defined {
                component: Some(component),
                ..
            }) => Ok(*component),
            Some(defined) => Err(row
                .error(
                    column,
                    format!(
                        "{what} \"{id}\" cannot be used: its own row ({}) has an error",
                        defined.at
                    ),
                )
                .into()),
        }
    }

    fn datacenter_ref(&self, row: &Row) -> Result<DcId, RowError> {
        let id = row.id("datacenter")?;
        match self.reference(row, "datacenter", id, Kind::Datacenter)? {
            Component::Datacenter(dc) => Ok(dc),
            _ => unreachable!("a datacenter id resolves to a datacenter"),
        }
    }

    fn datacenters(&mut self, file: &CsvFile) {
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

    fn racks(&mut self, file: &CsvFile) {
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

    fn power(&mut self, file: &CsvFile) {
        // Ids first, so that `feeds_from` may name components defined further down.
        let mut defined = Vec::new();
        for row in file.rows() {
            if !self.namespace.is_declared(Kind::Power, &row) {
                continue;
            }
            let parsed = (|| -> Result<_, RowError> {
                let id = row.id("id")?;
                let datacenter = self.datacenter_ref(&row)?;
                let kind = row.required("kind", "a kind such as utility, ups or pdu")?;
                let capacity_w = row.required_number("capacity_w")?;
                let max_utilization = match row.number("max_utilization")? {
                    None => DEFAULT_MAX_UTILIZATION,
                    Some(u) if u > 0.0 && u <= 1.0 => u,
                    Some(u) => {
                        return Err(row
                            .error(
                                "max_utilization",
                                format!("expected a fraction in (0, 1], found {u}"),
                            )
                            .into())
                    }
                };
                Ok((id, datacenter, kind, capacity_w, max_utilization))
            })();
            let Some((id, datacenter, kind, capacity_w, max_utilization)) = self.record(parsed)
            else {
                continue;
            };
            let power = PowerId(self.power.len() as u32);
            self.namespace.built(id, Component::Power(power));
            self.datacenters[datacenter.index()].power.push(power);
            self.power.push(PowerComponent {
                id: id.to_string(),
                datacenter,
                kind: kind.to_string(),
                feeds_from: Vec::new(),
                capacity_w,
                max_utilization,
                line: row.line,
            });
            self.feeds_from_at.push(row.at("feeds_from"));
            defined.push((power, row));
        }
        for (power, row) in defined {
            let parents = (|| -> Result<_, RowError> {
                row.list("feeds_from")?
                    .into_iter()
                    .map(
                        |id| match self.reference(&row, "feeds_from", id, Kind::Power)? {
                            Component::Power(parent) => Ok(parent),
                            _ => unreachable!("a power id resolves to a power component"),
                        },
                    )
                    .collect::<Result<Vec<_>, _>>()
            })();
            if let Some(parents) = self.record(parents) {
                self.power[power.index()].feeds_from = parents;
            }
        }
    }

    fn servers(&mut self, file: &CsvFile) {
        for row in file.rows() {
            if !self.namespace.is_declared(Kind::Server, &row) {
                continue;
            }
            let parsed = (|| -> Result<_, RowError> {
                let id = row.id("id")?;
                let rack_id = row.id("rack")?;
                let rack = match self.reference(&row, "rack", rack_id, Kind::Rack)? {
                    Component::Rack(rack) => rack,
                    _ => unreachable!("a rack id resolves to a rack"),
                };
                let dc = self.racks[rack.index()].datacenter;
                let cpu = row.required_number("cpu")?;
                let mem_gb = row.required_number("mem_gb")?;
                let psu_ids = row.list("psu")?;
                if psu_ids.is_empty() {
                    return Err(row
                        .error("psu", "expected at least one power component id")
                        .into());
                }
                let mut psu = Vec::new();
                for psu_id in psu_ids {
                    let power = match self.reference(&row, "psu", psu_id, Kind::Power)? {
                        Component::Power(power) => power,
                        _ => unreachable!("a power id resolves to a power component"),
                    };
                    let power_dc = self.power[power.index()].datacenter;
                    if power_dc != dc {
                        return Err(row
                            .error(
                                "psu",
                                format!(
                                    "\"{psu_id}\" is in datacenter {} but rack {rack_id} is in {}",
                                    self.datacenters[power_dc.index()].id,
                                    self.datacenters[dc.index()].id
                                ),
                            )
                            .into());
                    }
                    psu.push(power);
                }
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
                let status = match row.get("status") {
                    None | Some("active") => Status::Active,
                    Some("maintenance") => Status::Maintenance,
                    Some("offline") => Status::Offline,
                    Some(other) => {
                        return Err(row
                            .error(
                                "status",
                                format!(
                                    "expected active, maintenance or offline, found \"{other}\""
                                ),
                            )
                            .into())
                    }
                };
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
            })();
            let Some(server) = self.record(parsed) else {
                continue;
            };
            let id = ServerId(self.servers.len() as u32);
            self.namespace.built(&server.id, Component::Server(id));
            self.racks[server.rack.index()].servers.push(id);
            self.servers.push(server);
        }
    }

    /// Orders the power graph parents-first, or reports a cycle by name.
    fn power_order(&mut self) -> Option<Vec<PowerId>> {
        let mut graph = DiGraph::<PowerId, ()>::with_capacity(self.power.len(), self.power.len());
        let nodes: Vec<NodeIndex> = (0..self.power.len() as u32)
            .map(|i| graph.add_node(PowerId(i)))
            .collect();
        for (child, component) in self.power.iter().enumerate() {
            for parent in &component.feeds_from {
                graph.add_edge(nodes[parent.index()], nodes[child], ());
            }
        }
        match toposort(&graph, None) {
            Ok(order) => Some(order.into_iter().map(|n| graph[n]).collect()),
            Err(_) => {
                for scc in tarjan_scc(&graph) {
                    let self_loop = scc.len() == 1 && graph.contains_edge(scc[0], scc[0]);
                    if scc.len() < 2 && !self_loop {
                        continue;
                    }
                    let cycle = cycle_in(&graph, &scc);
                    let at = self.feeds_from_at[graph[cycle[0]].index()].clone();
                    let names: Vec<&str> = cycle
                        .iter()
                        .chain(std::iter::once(&cycle[0]))
                        .map(|n| self.power[graph[*n].index()].id.as_str())
                        .collect();
                    self.errors.push(InputError::new(
                        at,
                        format!(
                            "column \"feeds_from\": the power graph has a cycle: {} (each arrow: feeds)",
                            names.join(" -> ")
                        ),
                    ));
                }
                None
            }
        }
    }

    fn custom_scenarios(&mut self, path: &Path, text: &str) -> Vec<CustomScenario> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct File {
            #[serde(default)]
            scenario: Vec<toml::Spanned<Raw>>,
        }
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Raw {
            name: toml::Spanned<String>,
            fail: Vec<toml::Spanned<String>>,
        }
        let spans = Spans::new(path, text);
        let file: File = match toml::from_str(text) {
            Ok(file) => file,
            Err(e) => {
                self.errors.push(spans.toml_error(&e));
                return Vec::new();
            }
        };
        let mut names = BTreeSet::new();
        let mut scenarios = Vec::new();
        for raw in file.scenario {
            let line = spans.line_col(raw.span().start).0;
            let raw = raw.into_inner();
            let name_at = spans.location(raw.name.span());
            if raw.name.get_ref().is_empty() {
                self.errors
                    .push(InputError::new(name_at, "a scenario name cannot be empty"));
                continue;
            }
            if !names.insert(raw.name.get_ref().clone()) {
                self.errors.push(InputError::new(
                    name_at,
                    format!("duplicate scenario name \"{}\"", raw.name.get_ref()),
                ));
                continue;
            }
            if raw.fail.is_empty() {
                self.errors
                    .push(InputError::new(name_at, "`fail` must name at least one id"));
                continue;
            }
            let mut fail = Vec::new();
            for id in &raw.fail {
                match self.namespace.ids.get(id.get_ref()) {
                    Some(Defined {
                        component: Some(component),
                        ..
                    }) => fail.push(*component),
                    // Its own row's error is reported; naming it here too is noise.
                    Some(_) => {}
                    None => self.errors.push(InputError::new(
                        spans.location(id.span()),
                        format!("unknown id \"{}\": expected a datacenter, rack, server or power component id", id.get_ref()),
                    )),
                }
            }
            fail.sort();
            fail.dedup();
            scenarios.push(CustomScenario {
                name: raw.name.into_inner(),
                fail,
                line,
            });
        }
        scenarios
    }
}

/// One cycle through the strongly connected component `scc`, in edge order.
fn cycle_in(graph: &DiGraph<PowerId, ()>, scc: &[NodeIndex]) -> Vec<NodeIndex> {
    let members: BTreeSet<NodeIndex> = scc.iter().copied().collect();
    let start = *members.iter().next().expect("an SCC is never empty");
    // Walk edges inside the SCC until a node repeats; from there it is a cycle.
    let mut path = vec![start];
    let mut seen = BTreeMap::from([(start, 0usize)]);
    let mut node = start;
    loop {
        let next = graph
            .neighbors(node)
            .filter(|n| members.contains(n))
            .min()
            .expect("every node of a cycle has a successor inside it");
        if let Some(&at) = seen.get(&next) {
            return path[at..].to_vec();
        }
        seen.insert(next, path.len());
        path.push(next);
        node = next;
    }
}

/// Locates byte offsets of one file as 1-based line and column, in O(log lines).
pub(crate) struct Spans<'a> {
    path: &'a Path,
    text: &'a str,
    line_starts: Vec<usize>,
}

impl<'a> Spans<'a> {
    pub fn new(path: &'a Path, text: &'a str) -> Self {
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Spans {
            path,
            text,
            line_starts,
        }
    }

    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&start| start <= offset);
        let start = self.line_starts[line - 1];
        let column = self
            .text
            .get(start..offset)
            .map_or(0, |l| l.chars().count())
            + 1;
        (line, column)
    }

    pub fn location(&self, span: std::ops::Range<usize>) -> Location {
        let (line, column) = self.line_col(span.start);
        Location::at(self.path, line, Some(column))
    }

    pub fn toml_error(&self, error: &toml::de::Error) -> InputError {
        let location = match error.span() {
            Some(span) => self.location(span),
            None => Location::file(self.path),
        };
        let message = match error.message().trim() {
            // The toml parser leaves the message empty for some errors (a
            // control character in a comment): say what is at the spot.
            "" => {
                let found = error
                    .span()
                    .and_then(|span| self.text.get(span.start..)?.chars().next());
                match found {
                    Some(c) if c.is_control() => format!(
                        "TOML does not allow the control character U+{:04X} here",
                        u32::from(c)
                    ),
                    Some(c) => format!("TOML does not allow {c:?} here"),
                    None => "unexpected end of the file".to_string(),
                }
            }
            message => message.to_string(),
        };
        InputError::new(location, message)
    }
}
