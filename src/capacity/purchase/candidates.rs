//! The servers a purchase may add: where (each rack's free units and
//! wirings), as what (a catalog model), and with which ids and positions;
//! and a purchase built from them with the planner on it.
//!
//! Where a new server may go: in a rack with free units, plugged like a
//! server already in that rack (each distinct `psu` list of the rack's
//! servers is one wiring a new server may copy, so it only draws from power
//! components already feeding the rack). A rack with no server has no
//! wiring to copy and gets nothing.
//!
//! Free units: when every server of the rack has a `position`, the units of
//! 1..=u_height no server covers; otherwise u_height minus the units the
//! servers take. New servers get positions only in the first case (lowest
//! free run that fits, largest servers first).

use std::collections::{BTreeMap, BTreeSet};

use super::answer::NewServer;
use crate::capacity::error::CapacityError;
use crate::inventory::{Catalog, CatalogModel, Inventory, PowerId, RackId, Server, Status};
use crate::plan::{Plan, PlanError};

/// A purchase with its ids and positions, the inventory with it, and the
/// planner on that inventory.
pub(super) struct Built {
    pub servers: Vec<NewServer>,
    pub inventory: Inventory,
    pub plan: Result<Plan, PlanError>,
    pub price: f64,
    pub found_by: &'static str,
}

/// A rack's room for new servers.
pub(super) struct RackSpace {
    pub free: u32,
    /// Every server has a position: new ones get positions too.
    positioned: bool,
    occupied: BTreeSet<u32>,
    /// The distinct `psu` lists of its servers, sorted.
    pub wirings: Vec<Vec<PowerId>>,
}

pub(super) fn rack_space(inventory: &Inventory) -> Vec<RackSpace> {
    inventory
        .rack_ids()
        .map(|r| {
            let rack = inventory.rack(r);
            let servers: Vec<&Server> = rack.servers.iter().map(|s| inventory.server(*s)).collect();
            let positioned = !servers.is_empty() && servers.iter().all(|s| s.position.is_some());
            let mut occupied = BTreeSet::new();
            let free = if positioned {
                for s in &servers {
                    let p = s.position.unwrap_or(0);
                    occupied.extend(p..p.saturating_add(s.u_height));
                }
                (1..=rack.u_height)
                    .filter(|u| !occupied.contains(u))
                    .count() as u32
            } else {
                let used: u64 = servers.iter().map(|s| u64::from(s.u_height)).sum();
                u64::from(rack.u_height).saturating_sub(used) as u32
            };
            let wirings: BTreeSet<Vec<PowerId>> = servers.iter().map(|s| s.psu.clone()).collect();
            RackSpace {
                free,
                positioned,
                occupied,
                wirings: wirings.into_iter().collect(),
            }
        })
        .collect()
}

/// A server of a catalog model in a rack, plugged into `psu` (its id is
/// given later).
pub(super) fn catalog_server(model: &CatalogModel, rack: RackId, psu: Vec<PowerId>) -> Server {
    Server {
        id: String::new(),
        rack,
        cpu: model.cpu,
        mem_gb: model.mem_gb,
        psu,
        idle_w: model.idle_w,
        max_w: model.max_w,
        labels: model.labels.clone(),
        model: Some(model.model.clone()),
        position: None,
        u_height: model.u_height,
        status: Status::Active,
        line: 0,
    }
}

/// The bought servers (with their catalog model) as servers.csv rows with
/// ids (`RACK-newN`) and positions, and the inventory with them.
pub(super) fn new_servers(
    inventory: &Inventory,
    catalog: &Catalog,
    racks: &[RackSpace],
    mut bought: Vec<(usize, Server)>,
) -> Result<(Vec<NewServer>, Inventory), CapacityError> {
    let mut taken: BTreeMap<RackId, u32> = BTreeMap::new();
    let mut occupied: Vec<BTreeSet<u32>> = racks.iter().map(|r| r.occupied.clone()).collect();
    // Largest first, so a tall server finds a run before small ones split it.
    bought.sort_by_key(|(m, s)| (s.rack, std::cmp::Reverse(s.u_height), *m, s.psu.clone()));
    let mut rows = Vec::new();
    for (m, server) in &mut bought {
        let rack = inventory.rack(server.rack);
        let n = taken.entry(server.rack).or_insert(0);
        server.id = loop {
            *n += 1;
            let id = format!("{}-new{n}", rack.id);
            if inventory.lookup(&id).is_none() {
                break id;
            }
        };
        let space = &racks[server.rack.index()];
        if space.positioned {
            let Some(p) = first_fit(
                &occupied[server.rack.index()],
                rack.u_height,
                server.u_height,
            ) else {
                return Err(CapacityError::SplitRackUnits {
                    rack: rack.id.clone(),
                });
            };
            for u in p..p + server.u_height {
                occupied[server.rack.index()].insert(u);
            }
            server.position = Some(p);
        }
        let model = &catalog.models[*m];
        rows.push(NewServer {
            id: server.id.clone(),
            rack: rack.id.clone(),
            cpu: server.cpu,
            mem_gb: server.mem_gb,
            psu: server
                .psu
                .iter()
                .map(|p| inventory.power(*p).id.clone())
                .collect(),
            idle_w: server.idle_w,
            max_w: server.max_w,
            labels: model.labels.iter().cloned().collect(),
            model: model.model.clone(),
            position: server.position,
            u_height: server.u_height,
            price: model.price,
        });
    }
    let after = inventory
        .with_servers(bought.into_iter().map(|(_, s)| s).collect())
        .map_err(|_| CapacityError::NewServerIdTaken)?;
    Ok((rows, after))
}

/// The lowest position p in 1..=height with p..p+units all free.
fn first_fit(occupied: &BTreeSet<u32>, height: u32, units: u32) -> Option<u32> {
    (1..=height.saturating_sub(units) + 1)
        .find(|&p| (p..p + units).all(|u| u <= height && !occupied.contains(&u)))
}
