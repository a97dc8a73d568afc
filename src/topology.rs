//! The failure model: which servers are down when components fail, and how much
//! load each power component carries once the rest has failed over.
//!
//! Containment: datacenter → room → rack → server. Power: a component is powered
//! when it has not failed and it is a root or at least one parent is powered; a
//! server is up when its containers are up and at least one PSU's component is
//! powered. Load flows up to each component's FIRST powered parent.

use crate::inventory::{Component, Inventory, PowerId, ServerId};

/// What a set of failed components takes down.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Impact {
    /// Servers down, sorted.
    pub down: Vec<ServerId>,
    /// Power components without power (failed or starved), sorted.
    pub unpowered: Vec<PowerId>,
}

impl Impact {
    /// A mask over all power components, true when powered.
    pub fn powered_mask(&self, inventory: &Inventory) -> Vec<bool> {
        let mut powered = vec![true; inventory.power.len()];
        for p in &self.unpowered {
            powered[p.index()] = false;
        }
        powered
    }
}

/// The inventory's failure model, with the indexes that make scenarios cheap.
pub struct Topology<'a> {
    pub inventory: &'a Inventory,
    servers_on_power: Vec<Vec<ServerId>>,
    /// Each component's position in `power_order` (parents first).
    rank: Vec<u32>,
    /// Components down for maintenance: failed in addition to every set
    /// asked about, "nothing failed" included.
    window: Vec<Component>,
}

impl<'a> Topology<'a> {
    pub fn new(inventory: &'a Inventory) -> Self {
        let mut servers_on_power = vec![Vec::new(); inventory.power.len()];
        for s in inventory.server_ids() {
            for p in &inventory.server(s).psu {
                servers_on_power[p.index()].push(s);
            }
        }
        let mut rank = vec![0; inventory.power.len()];
        for (position, p) in inventory.power_order.iter().enumerate() {
            rank[p.index()] = position as u32;
        }
        Topology {
            inventory,
            servers_on_power,
            rank,
            window: Vec::new(),
        }
    }

    /// The failure model while `window` is down for maintenance: every
    /// [`Topology::impact`] includes it.
    pub fn during(inventory: &'a Inventory, window: &[Component]) -> Self {
        Topology {
            window: window.to_vec(),
            ..Topology::new(inventory)
        }
    }

    /// Servers with a power supply plugged directly into `power`.
    pub fn servers_on(&self, power: PowerId) -> &[ServerId] {
        &self.servers_on_power[power.index()]
    }

    /// The one answer to "what is down if these components fail?", used by
    /// `verify` and `plan` alike.
    pub fn impact(&self, failed: &[Component]) -> Impact {
        let inv = self.inventory;
        let mut failed_dcs = vec![false; inv.datacenters.len()];
        let mut failed_power = vec![false; inv.power.len()];
        let mut contained = Vec::new();
        let mut any_power = false;
        for &component in failed.iter().chain(&self.window) {
            match component {
                Component::Datacenter(dc) => {
                    failed_dcs[dc.index()] = true;
                    any_power = true;
                    for rack in &inv.dc(dc).racks {
                        contained.extend_from_slice(&inv.rack(*rack).servers);
                    }
                }
                Component::Room(room) => {
                    for rack in &inv.room(room).racks {
                        contained.extend_from_slice(&inv.rack(*rack).servers);
                    }
                }
                Component::Rack(rack) => contained.extend_from_slice(&inv.rack(rack).servers),
                Component::Server(server) => contained.push(server),
                Component::Power(power) => {
                    failed_power[power.index()] = true;
                    any_power = true;
                }
            }
        }
        let mut down = contained;
        let mut unpowered = Vec::new();
        if any_power {
            let mut powered = vec![true; inv.power.len()];
            for &p in &inv.power_order {
                let component = inv.power(p);
                let fed =
                    component.is_root() || component.feeds_from.iter().any(|q| powered[q.index()]);
                if failed_power[p.index()] || failed_dcs[component.datacenter.index()] || !fed {
                    powered[p.index()] = false;
                    unpowered.push(p);
                }
            }
            for &p in &unpowered {
                for &s in self.servers_on(p) {
                    if inv.server(s).psu.iter().all(|q| !powered[q.index()]) {
                        down.push(s);
                    }
                }
            }
            unpowered.sort_unstable();
        }
        down.sort_unstable();
        down.dedup();
        Impact { down, unpowered }
    }

    /// Where `power` passes its load: its first powered parent (None for a root or
    /// when no parent is powered).
    pub fn upstream(&self, power: PowerId, powered: &[bool]) -> Option<PowerId> {
        self.inventory
            .power(power)
            .feeds_from
            .iter()
            .copied()
            .find(|q| powered[q.index()])
    }

    /// How one server's draw reaches the power graph when the components marked
    /// in `powered` have power: split evenly over its powered PSUs, then passed
    /// whole to each component's first powered parent. Calls `add(component,
    /// share)` for every component on the way; the shares of one component add up.
    pub fn route(&self, psu: &[PowerId], powered: &[bool], mut add: impl FnMut(PowerId, f64)) {
        let live = psu.iter().filter(|p| powered[p.index()]).count();
        if live == 0 {
            return;
        }
        let share = 1.0 / live as f64;
        for &first in psu.iter().filter(|p| powered[p.index()]) {
            let mut at = Some(first);
            while let Some(p) = at {
                add(p, share);
                at = self.upstream(p, powered);
            }
        }
    }

    /// Each power component's load in watts when servers draw `draw_w` (indexed by
    /// server) and `impact` has happened. For many scenarios over one placement,
    /// build a [`LoadModel`] once instead.
    pub fn loads(&self, draw_w: &[f64], impact: &Impact) -> Vec<f64> {
        LoadModel::new(self, draw_w).loads(impact)
    }
}

/// Every power component the draw of a server plugged into `psu` can reach
/// whatever has failed: those components and all their ancestors, sorted.
pub fn reach(inventory: &Inventory, psu: &[PowerId]) -> Vec<PowerId> {
    let mut found: Vec<PowerId> = psu.to_vec();
    let mut i = 0;
    while i < found.len() {
        found.extend(inventory.power(found[i]).feeds_from.iter().copied());
        i += 1;
    }
    found.sort_unstable();
    found.dedup();
    found
}

/// Power loads of one placement's draw under many scenarios: the load each
/// component receives straight from servers is computed once, and a scenario
/// only re-routes the servers it touches.
pub struct LoadModel<'t, 'a> {
    topology: &'t Topology<'a>,
    draw_w: &'t [f64],
    direct_w: Vec<f64>,
}

impl<'t, 'a> LoadModel<'t, 'a> {
    pub fn new(topology: &'t Topology<'a>, draw_w: &'t [f64]) -> Self {
        let inventory = topology.inventory;
        let mut direct_w = vec![0.0; inventory.power.len()];
        for s in inventory.server_ids() {
            let psu = &inventory.server(s).psu;
            for p in psu {
                direct_w[p.index()] += draw_w[s.index()] / psu.len() as f64;
            }
        }
        LoadModel {
            topology,
            draw_w,
            direct_w,
        }
    }

    /// Down servers draw nothing, the others split their draw evenly over their
    /// powered PSUs, and every powered component passes its load to its first
    /// powered parent.
    pub fn loads(&self, impact: &Impact) -> Vec<f64> {
        let inventory = self.topology.inventory;
        let powered = impact.powered_mask(inventory);
        let mut load = self.direct_w.clone();
        let mut touched: Vec<ServerId> = impact.down.clone();
        for p in &impact.unpowered {
            touched.extend_from_slice(self.topology.servers_on(*p));
        }
        touched.sort_unstable();
        touched.dedup();
        for s in touched {
            let draw = self.draw_w[s.index()];
            if draw == 0.0 {
                continue;
            }
            let psu = &inventory.server(s).psu;
            for p in psu {
                load[p.index()] -= draw / psu.len() as f64;
            }
            if impact.down.binary_search(&s).is_ok() {
                continue;
            }
            let live = psu.iter().filter(|p| powered[p.index()]).count();
            for p in psu.iter().filter(|p| powered[p.index()]) {
                load[p.index()] += draw / live as f64;
            }
        }
        for &p in inventory.power_order.iter().rev() {
            if !powered[p.index()] {
                load[p.index()] = 0.0;
                continue;
            }
            if let Some(parent) = self.topology.upstream(p, &powered) {
                load[parent.index()] += load[p.index()];
            }
        }
        load
    }
}

/// The load that the draw of a fixed set of servers alone puts on the
/// components above them, for many scenarios, by the same rules as
/// [`LoadModel::loads`]. Loads add up over disjoint sets of servers, which is
/// what lets a `power:P%` search add up the contributions of independent parts
/// of the power graph.
pub struct PartialLoads<'m, 't, 'a> {
    model: &'m LoadModel<'t, 'a>,
    /// Each server with the positions in `reach` of its PSUs' components.
    servers: Vec<(ServerId, Vec<usize>)>,
    /// Every component the servers' draw can reach, parents first.
    reach: Vec<PowerId>,
    /// Positions in `reach` of each component's `feeds_from`, in order.
    parents: Vec<Vec<usize>>,
}

impl<'m, 't, 'a> PartialLoads<'m, 't, 'a> {
    pub fn new(model: &'m LoadModel<'t, 'a>, servers: &[ServerId]) -> Self {
        let topology = model.topology;
        let inventory = topology.inventory;
        let mut seen = std::collections::BTreeSet::new();
        let mut stack: Vec<PowerId> = servers
            .iter()
            .flat_map(|s| inventory.server(*s).psu.iter().copied())
            .collect();
        while let Some(p) = stack.pop() {
            if seen.insert(p) {
                stack.extend_from_slice(&inventory.power(p).feeds_from);
            }
        }
        let mut reach: Vec<PowerId> = seen.into_iter().collect();
        reach.sort_unstable_by_key(|p| topology.rank[p.index()]);
        let position: std::collections::BTreeMap<PowerId, usize> =
            reach.iter().enumerate().map(|(i, p)| (*p, i)).collect();
        let at = |ids: &[PowerId]| ids.iter().map(|p| position[p]).collect();
        PartialLoads {
            model,
            servers: servers
                .iter()
                .map(|s| (*s, at(&inventory.server(*s).psu)))
                .collect(),
            parents: reach
                .iter()
                .map(|p| at(&inventory.power(*p).feeds_from))
                .collect(),
            reach,
        }
    }

    /// The components [`PartialLoads::route`] reports on, parents first.
    pub fn reach(&self) -> &[PowerId] {
        &self.reach
    }

    /// The load on each component of [`PartialLoads::reach`] after `impact`:
    /// down servers draw nothing, the others split their draw evenly over
    /// their powered PSUs, and every powered component passes its load to its
    /// first powered parent.
    pub fn route(&self, impact: &Impact) -> Vec<f64> {
        let powered: Vec<bool> = self
            .reach
            .iter()
            .map(|p| impact.unpowered.binary_search(p).is_err())
            .collect();
        let mut load = vec![0.0; self.reach.len()];
        for (s, psu) in &self.servers {
            let draw = self.model.draw_w[s.index()];
            if draw == 0.0 || impact.down.binary_search(s).is_ok() {
                continue;
            }
            let live = psu.iter().filter(|i| powered[**i]).count();
            for &i in psu.iter().filter(|i| powered[**i]) {
                load[i] += draw / live as f64;
            }
        }
        for i in (0..self.reach.len()).rev() {
            if !powered[i] {
                load[i] = 0.0;
                continue;
            }
            if let Some(&at) = self.parents[i].iter().find(|at| powered[**at]) {
                load[at] += load[i];
            }
        }
        load
    }
}
