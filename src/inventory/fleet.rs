//! The validated inventory: datacenters, rooms, racks, power components and
//! servers, each in a list its id indexes, and the lookups over them.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;

use super::error::IdTaken;
use super::ids::{Component, DcId, PowerId, RackId, RoomId, ServerId};

#[derive(Debug, Clone)]
pub struct Datacenter {
    pub id: String,
    pub name: Option<String>,
    pub region: Option<String>,
    pub line: usize,
    pub rooms: Vec<RoomId>,
    pub racks: Vec<RackId>,
    pub power: Vec<PowerId>,
}

#[derive(Debug, Clone)]
pub struct Room {
    pub datacenter: DcId,
    /// Empty for racks whose room cell is empty: together they form one room.
    pub name: String,
    pub racks: Vec<RackId>,
}

#[derive(Debug, Clone)]
pub struct Rack {
    pub id: String,
    pub datacenter: DcId,
    pub room: RoomId,
    pub u_height: u32,
    pub line: usize,
    pub servers: Vec<ServerId>,
}

#[derive(Debug, Clone)]
pub struct PowerComponent {
    pub id: String,
    pub datacenter: DcId,
    pub kind: String,
    /// Parents in failover order: load goes to the first powered one.
    pub feeds_from: Vec<PowerId>,
    pub capacity_w: f64,
    pub max_utilization: f64,
    pub line: usize,
}

impl PowerComponent {
    pub fn is_root(&self) -> bool {
        self.feeds_from.is_empty()
    }

    /// The continuous load this component may carry.
    pub fn limit_w(&self) -> f64 {
        self.capacity_w * self.max_utilization
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    Active,
    Maintenance,
    Offline,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Maintenance => "maintenance",
            Status::Offline => "offline",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Server {
    pub id: String,
    pub rack: RackId,
    pub cpu: f64,
    pub mem_gb: f64,
    pub psu: Vec<PowerId>,
    pub idle_w: f64,
    pub max_w: f64,
    pub labels: BTreeSet<String>,
    pub model: Option<String>,
    pub position: Option<u32>,
    pub u_height: u32,
    pub status: Status,
    pub line: usize,
}

impl Server {
    /// Power draw with `cpu_used` cores busy (FORMATS.md's linear model). Replicas
    /// on a maintenance server add nothing; an offline server draws nothing.
    pub fn draw_w(&self, cpu_used: f64) -> f64 {
        match self.status {
            Status::Offline => 0.0,
            Status::Maintenance => self.idle_w,
            Status::Active if self.cpu > 0.0 => {
                self.idle_w + (self.max_w - self.idle_w) * cpu_used / self.cpu
            }
            Status::Active => self.idle_w,
        }
    }

    pub fn has_labels<'a>(&self, labels: impl IntoIterator<Item = &'a String>) -> bool {
        labels.into_iter().all(|l| self.labels.contains(l))
    }
}

/// A named scenario from `scenarios.toml`.
#[derive(Debug, Clone)]
pub struct CustomScenario {
    pub name: String,
    pub fail: Vec<Component>,
    pub line: usize,
}

/// A validated inventory folder.
#[derive(Debug, Clone)]
pub struct Inventory {
    pub dir: PathBuf,
    pub datacenters: Vec<Datacenter>,
    pub rooms: Vec<Room>,
    pub racks: Vec<Rack>,
    pub servers: Vec<Server>,
    pub power: Vec<PowerComponent>,
    /// Power components with every parent before its children.
    pub power_order: Vec<PowerId>,
    pub custom_scenarios: Vec<CustomScenario>,
    /// SHA-256 of the inventory files, for manifests.
    pub digest: String,
    /// Only ever looked up, never iterated, so its order cannot leak into output.
    pub(super) ids: HashMap<String, Component>,
}

impl Inventory {
    /// The files of an inventory folder (scenarios.toml is optional).
    pub const FILES: [&'static str; 5] = [
        "datacenters.csv",
        "racks.csv",
        "power.csv",
        "servers.csv",
        "scenarios.toml",
    ];

    pub fn dc(&self, id: DcId) -> &Datacenter {
        &self.datacenters[id.index()]
    }
    pub fn room(&self, id: RoomId) -> &Room {
        &self.rooms[id.index()]
    }
    pub fn rack(&self, id: RackId) -> &Rack {
        &self.racks[id.index()]
    }
    pub fn server(&self, id: ServerId) -> &Server {
        &self.servers[id.index()]
    }
    pub fn power(&self, id: PowerId) -> &PowerComponent {
        &self.power[id.index()]
    }

    pub fn server_ids(&self) -> impl Iterator<Item = ServerId> {
        (0..self.servers.len() as u32).map(ServerId)
    }
    pub fn power_ids(&self) -> impl Iterator<Item = PowerId> {
        (0..self.power.len() as u32).map(PowerId)
    }
    pub fn rack_ids(&self) -> impl Iterator<Item = RackId> {
        (0..self.racks.len() as u32).map(RackId)
    }

    /// The datacenter a server is in.
    pub fn server_dc(&self, id: ServerId) -> DcId {
        self.rack(self.server(id).rack).datacenter
    }

    /// Looks up any datacenter, rack, server or power id.
    pub fn lookup(&self, id: &str) -> Option<Component> {
        self.ids.get(id).copied()
    }

    /// A component's name as users write it (`room` has no id: `dc/room`).
    pub fn name(&self, component: Component) -> String {
        match component {
            Component::Datacenter(id) => self.dc(id).id.clone(),
            Component::Room(id) => {
                let room = self.room(id);
                let dc = &self.dc(room.datacenter).id;
                if room.name.is_empty() {
                    format!("{dc}/(no room)")
                } else {
                    format!("{dc}/{}", room.name)
                }
            }
            Component::Rack(id) => self.rack(id).id.clone(),
            Component::Server(id) => self.server(id).id.clone(),
            Component::Power(id) => self.power(id).id.clone(),
        }
    }

    pub fn has_power_kind(&self, kind: &str) -> bool {
        self.power.iter().any(|p| p.kind == kind)
    }

    /// This inventory with more servers (servers to buy, for capacity
    /// planning), appended after the existing ones. Their racks and power ids
    /// must be this inventory's; an id already taken is refused.
    pub fn with_servers(&self, servers: Vec<Server>) -> Result<Inventory, IdTaken> {
        let mut out = self.clone();
        for server in servers {
            let id = ServerId(out.servers.len() as u32);
            if out.ids.contains_key(&server.id) {
                return Err(IdTaken { id: server.id });
            }
            out.ids.insert(server.id.clone(), Component::Server(id));
            out.racks[server.rack.index()].servers.push(id);
            out.servers.push(server);
        }
        Ok(out)
    }
}
