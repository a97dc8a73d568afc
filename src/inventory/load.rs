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

/// Where each id of the shared namespace was first defined, to report duplicates.
#[derive(Default)]
struct Namespace {
    ids: BTreeMap<String, (Component, Location)>,
}

impl Namespace {
    fn define(&mut self, id: &str, component: Component, at: Location) -> Result<(), InputError> {
        if let Some((_, first)) = self.ids.get(id) {
            return Err(InputError::new(
                at,
                format!("duplicate id \"{id}\": already defined at {first} (datacenter, rack, server and power ids share one namespace)"),
            ));
        }
        self.ids.insert(id.to_string(), (component, at));
        Ok(())
    }
}

/// Reads every file of the folder, hashing them for the manifest digest.
struct Files {
    hasher: Sha256,
}

impl Files {
    fn read(&mut self, path: &Path) -> Result<String, InputError> {
        let text = read_text(path)?;
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
        let paths =
            ["datacenters.csv", "racks.csv", "power.csv", "servers.csv"].map(|f| dir.join(f));
        let mut texts = Vec::new();
        let mut errors = Errors::default();
        for path in &paths {
            match files.read(path) {
                Ok(text) => texts.push(text),
                Err(e) => errors.push(e),
            }
        }
        errors.finish(())?;

        let datacenters = CsvFile::parse(&paths[0], &texts[0], &["id"]);
        let racks = CsvFile::parse(&paths[1], &texts[1], &["id", "datacenter"]);
        let power = CsvFile::parse(
            &paths[2],
            &texts[2],
            &["id", "datacenter", "kind", "capacity_w"],
        );
        let servers = CsvFile::parse(
            &paths[3],
            &texts[3],
            &["id", "rack", "cpu", "mem_gb", "psu"],
        );
        let (datacenters, racks, power, servers) = match (datacenters, racks, power, servers) {
            (Ok(d), Ok(r), Ok(p), Ok(s)) => (d, r, p, s),
            (d, r, p, s) => {
                let all = [d.err(), r.err(), p.err(), s.err()];
                return Err(InputErrors(
                    all.into_iter().flatten().flat_map(|e| e.0).collect(),
                ));
            }
        };

        let mut builder = Builder::default();
        builder.datacenters(&datacenters);
        builder.racks(&racks);
        builder.power(&power);
        builder.servers(&servers);
        let power_order = builder.power_order();
        let scenarios_path = dir.join("scenarios.toml");
        let custom_scenarios = if scenarios_path.exists() {
            match files.read(&scenarios_path) {
                Ok(text) => builder.custom_scenarios(&scenarios_path, &text),
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
                .map(|(id, (c, _))| (id, c))
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
    fn record<T>(&mut self, result: Result<T, InputError>) -> Option<T> {
        result.map_err(|e| self.errors.push(e)).ok()
    }

    /// Registers an id of the shared namespace; false (with the error recorded) on a duplicate.
    fn define(&mut self, id: &str, component: Component, at: Location) -> bool {
        let defined = self.namespace.define(id, component, at);
        self.record(defined).is_some()
    }

    fn reference(
        &self,
        row: &Row,
        column: &str,
        id: &str,
        expected: &str,
    ) -> Result<Component, InputError> {
        match self.namespace.ids.get(id) {
            Some((component, _)) => Ok(*component),
            None => Err(row.error(column, format!("unknown {expected} \"{id}\""))),
        }
    }

    fn datacenter_ref(&self, row: &Row) -> Result<DcId, InputError> {
        let id = row.id("datacenter")?;
        match self.reference(row, "datacenter", id, "datacenter")? {
            Component::Datacenter(dc) => Ok(dc),
            _ => Err(row.error("datacenter", format!("\"{id}\" is not a datacenter"))),
        }
    }

    fn datacenters(&mut self, file: &CsvFile) {
        for row in file.rows() {
            let Some(id) = self.record(row.id("id")) else {
                continue;
            };
            let dc = DcId(self.datacenters.len() as u32);
            if !self.define(id, Component::Datacenter(dc), row.at("id")) {
                continue;
            }
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
            let parsed = (|| {
                let id = row.id("id")?;
                let datacenter = self.datacenter_ref(&row)?;
                let u_height = row.whole_number("u_height")?.unwrap_or(DEFAULT_RACK_UNITS);
                Ok((id, datacenter, u_height))
            })();
            let Some((id, datacenter, u_height)) = self.record(parsed) else {
                continue;
            };
            let rack = RackId(self.racks.len() as u32);
            if !self.define(id, Component::Rack(rack), row.at("id")) {
                continue;
            }
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
            let parsed = (|| {
                let id = row.id("id")?;
                let datacenter = self.datacenter_ref(&row)?;
                let kind = row.required("kind", "a kind such as utility, ups or pdu")?;
                let capacity_w = row.required_number("capacity_w")?;
                let max_utilization = match row.number("max_utilization")? {
                    None => DEFAULT_MAX_UTILIZATION,
                    Some(u) if u > 0.0 && u <= 1.0 => u,
                    Some(u) => {
                        return Err(row.error(
                            "max_utilization",
                            format!("expected a fraction in (0, 1], found {u}"),
                        ))
                    }
                };
                Ok((id, datacenter, kind, capacity_w, max_utilization))
            })();
            let Some((id, datacenter, kind, capacity_w, max_utilization)) = self.record(parsed)
            else {
                continue;
            };
            let power = PowerId(self.power.len() as u32);
            if !self.define(id, Component::Power(power), row.at("id")) {
                continue;
            }
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
            let parents = (|| {
                row.list("feeds_from")?
                    .into_iter()
                    .map(
                        |id| match self.reference(&row, "feeds_from", id, "power component")? {
                            Component::Power(parent) => Ok(parent),
                            _ => Err(row
                                .error("feeds_from", format!("\"{id}\" is not a power component"))),
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
            let parsed = (|| {
                let id = row.id("id")?;
                let rack_id = row.id("rack")?;
                let rack = match self.reference(&row, "rack", rack_id, "rack")? {
                    Component::Rack(rack) => rack,
                    _ => return Err(row.error("rack", format!("\"{rack_id}\" is not a rack"))),
                };
                let dc = self.racks[rack.index()].datacenter;
                let cpu = row.required_number("cpu")?;
                let mem_gb = row.required_number("mem_gb")?;
                let psu_ids = row.list("psu")?;
                if psu_ids.is_empty() {
                    return Err(row.error("psu", "expected at least one power component id"));
                }
                let mut psu = Vec::new();
                for psu_id in psu_ids {
                    let power = match self.reference(&row, "psu", psu_id, "power component")? {
                        Component::Power(power) => power,
                        _ => {
                            return Err(
                                row.error("psu", format!("\"{psu_id}\" is not a power component"))
                            )
                        }
                    };
                    let power_dc = self.power[power.index()].datacenter;
                    if power_dc != dc {
                        return Err(row.error(
                            "psu",
                            format!(
                                "\"{psu_id}\" is in datacenter {} but rack {rack_id} is in {}",
                                self.datacenters[power_dc.index()].id,
                                self.datacenters[dc.index()].id
                            ),
                        ));
                    }
                    psu.push(power);
                }
                let idle_w = row.number("idle_w")?.unwrap_or(0.0);
                let max_w = row.number("max_w")?.unwrap_or(idle_w);
                if max_w < idle_w {
                    return Err(row.error(
                        "max_w",
                        format!("max_w ({max_w}) must be >= idle_w ({idle_w})"),
                    ));
                }
                let status = match row.get("status") {
                    None | Some("active") => Status::Active,
                    Some("maintenance") => Status::Maintenance,
                    Some("offline") => Status::Offline,
                    Some(other) => {
                        return Err(row.error(
                            "status",
                            format!("expected active, maintenance or offline, found \"{other}\""),
                        ))
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
            if !self.define(&server.id, Component::Server(id), row.at("id")) {
                continue;
            }
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
                    Some((component, _)) => fail.push(*component),
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
        InputError::new(location, error.message().to_string())
    }
}
