//! What `faultplan report` draws, gathered from `verify`'s results: rack
//! elevations with each server's replicas, the power tree with normal and
//! worst-case loads, the service × scenario-family margins, and the headline.
//! Nothing here evaluates a scenario: the caller brings what `verify` found
//! ([`Checked`]) and the overview arranges it for drawing.

use std::collections::BTreeMap;

use crate::inventory::{Inventory, Placement, RackId, Services, Status};
pub use crate::verify::SinglePoint;
use crate::verify::{PlacementIndex, PowerStatus, Report, ServiceStatus};

/// What `verify` found about the placement, computed by the caller with the
/// same options for all three.
pub struct Checked {
    /// `verify::check`'s report.
    pub report: Report,
    /// `verify::power_status`: each power component's normal and worst load,
    /// in power.csv order.
    pub power: Vec<PowerStatus>,
    /// `verify::single_points`.
    pub single_points: Vec<SinglePoint>,
}

/// Everything the HTML report shows, in drawing order.
pub struct Overview {
    pub inventory: String,
    pub placement: String,
    pub services: Vec<ServiceView>,
    /// Survive words, the heatmap's columns (first-use order, as `check`).
    pub words: Vec<String>,
    pub datacenters: Vec<DatacenterView>,
    /// The power tree, depth-first from each root in power.csv order; a
    /// component with several parents appears once, under its first.
    pub power: Vec<PowerView>,
    pub single_points: Vec<SinglePoint>,
    /// The check behind every number (findings, services, words).
    pub report: Report,
}

pub struct ServiceView {
    /// What check found for the service.
    pub status: ServiceStatus,
    /// Per word of [`Overview::words`]: (worst margin, scenario), None when
    /// the service need not survive that word. Margin = replicas up in the
    /// family's worst scenario minus min_replicas.
    pub margins: Vec<Option<(i64, Option<String>)>>,
}

impl ServiceView {
    fn new(status: &ServiceStatus) -> ServiceView {
        let margins = status
            .worst_by_word
            .iter()
            .map(|w| {
                w.as_ref().map(|(up, scenario)| {
                    (i64::from(*up) - i64::from(status.needed), scenario.clone())
                })
            })
            .collect();
        ServiceView {
            status: status.clone(),
            margins,
        }
    }

    /// Replicas up in the worst scenario minus min_replicas.
    pub fn worst_margin(&self) -> i64 {
        i64::from(self.status.worst_up) - i64::from(self.status.needed)
    }
}

pub struct DatacenterView {
    pub id: String,
    pub name: Option<String>,
    pub racks: Vec<RackView>,
}

pub struct RackView {
    pub id: String,
    pub room: String,
    pub u_height: u32,
    /// Rack units drawn: `u_height`, or more when servers overflow it.
    pub drawn_units: u32,
    pub servers: Vec<ServerView>,
}

pub struct ServerView {
    pub id: String,
    pub model: Option<String>,
    pub status: Status,
    /// Lowest rack unit drawn (1-based) and units occupied.
    pub position: u32,
    pub u_height: u32,
    /// Where the drawing put it: its own `position`, a free slot, or above
    /// the rack (see [`layout_rack`]).
    pub placed_by: Slot,
    pub cpu: f64,
    pub cpu_used: f64,
    /// Replicas on it, by service order.
    pub replicas: Vec<ReplicaView>,
}

pub struct ReplicaView {
    /// Index into [`Overview::services`].
    pub service: usize,
    pub placed: u32,
    /// Of those, the replicas that count as up (FORMATS.md: active server
    /// with every label the service requires).
    pub up: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    /// At the `position` of servers.csv.
    Given,
    /// No usable position: the lowest free units of the rack.
    Free,
    /// No free units left: stacked above the rack's top.
    Overflow,
}

pub struct PowerView {
    pub id: String,
    pub kind: String,
    pub datacenter: String,
    pub depth: usize,
    /// Parents after the first, which the tree does not show as nesting.
    pub also_fed_from: Vec<String>,
    pub limit_w: f64,
    pub capacity_w: f64,
    pub load: PowerStatus,
}

impl Overview {
    pub fn gather(
        inventory: &Inventory,
        services: &Services,
        placement: &Placement,
        checked: Checked,
        inventory_name: &str,
        placement_name: &str,
    ) -> Overview {
        let Checked {
            report,
            power,
            single_points,
        } = checked;
        let index = PlacementIndex::new(inventory, services, placement);
        Overview {
            inventory: inventory_name.to_string(),
            placement: placement_name.to_string(),
            services: report.services.iter().map(ServiceView::new).collect(),
            words: report.words.clone(),
            datacenters: datacenters(inventory, placement, &index),
            power: power_tree(inventory, power),
            single_points,
            report,
        }
    }

    /// The service whose worst scenario leaves the least margin (first in
    /// services.toml order on ties), if any service has a scenario.
    pub fn worst(&self) -> Option<&ServiceView> {
        self.services
            .iter()
            .filter(|s| s.status.worst_scenario.is_some())
            .min_by_key(|s| s.worst_margin())
    }

    /// The power component closest to (or furthest over) its limit in its
    /// worst case.
    pub fn hottest_power(&self) -> Option<&PowerView> {
        self.power
            .iter()
            .filter(|p| p.limit_w > 0.0)
            .max_by(|a, b| {
                (a.load.worst_w / a.limit_w)
                    .total_cmp(&(b.load.worst_w / b.limit_w))
                    .then_with(|| b.id.cmp(&a.id))
            })
    }
}

fn datacenters(
    inventory: &Inventory,
    placement: &Placement,
    index: &PlacementIndex,
) -> Vec<DatacenterView> {
    let mut placed_on: Vec<BTreeMap<usize, u32>> = vec![BTreeMap::new(); inventory.servers.len()];
    for r in &placement.replicas {
        *placed_on[r.server.index()]
            .entry(r.service.index())
            .or_default() += 1;
    }
    inventory
        .datacenters
        .iter()
        .map(|dc| DatacenterView {
            id: dc.id.clone(),
            name: dc.name.clone(),
            racks: dc
                .racks
                .iter()
                .map(|&r| rack_view(inventory, r, &placed_on, index))
                .collect(),
        })
        .collect()
}

/// A rack with its servers where [`layout_rack`] draws them; `placed_on`:
/// per server, replicas placed per service.
fn rack_view(
    inventory: &Inventory,
    r: RackId,
    placed_on: &[BTreeMap<usize, u32>],
    index: &PlacementIndex,
) -> RackView {
    let rack = inventory.rack(r);
    let sizes: Vec<(Option<u32>, u32)> = rack
        .servers
        .iter()
        .map(|&s| (inventory.server(s).position, inventory.server(s).u_height))
        .collect();
    let slots = layout_rack(rack.u_height, &sizes);
    let servers: Vec<ServerView> = rack
        .servers
        .iter()
        .zip(slots)
        .map(|(&s, (position, placed_by))| {
            let server = inventory.server(s);
            let up = |service: usize| {
                index.up_on_server[s.index()]
                    .iter()
                    .find(|(x, _)| x.index() == service)
                    .map_or(0, |(_, n)| *n)
            };
            ServerView {
                id: server.id.clone(),
                model: server.model.clone(),
                status: server.status,
                position,
                u_height: server.u_height.max(1),
                placed_by,
                cpu: server.cpu,
                cpu_used: index.cpu_used[s.index()],
                replicas: placed_on[s.index()]
                    .iter()
                    .map(|(&service, &placed)| ReplicaView {
                        service,
                        placed,
                        up: up(service),
                    })
                    .collect(),
            }
        })
        .collect();
    RackView {
        id: rack.id.clone(),
        room: inventory.room(rack.room).name.clone(),
        u_height: rack.u_height,
        drawn_units: servers
            .iter()
            .map(|s| s.position + s.u_height - 1)
            .max()
            .unwrap_or(0)
            .max(rack.u_height),
        servers,
    }
}

/// Where each server of a rack is drawn, as (lowest unit, how it was chosen),
/// for servers given as (position, u_height) in servers.csv order:
/// 1. a server whose `position` is given, fits under the rack's top and does
///    not overlap a server placed before it is drawn there;
/// 2. every other server, in servers.csv order, takes the lowest run of free
///    units that fits it;
/// 3. when none is left, it is stacked above the rack's top (drawn as overflow).
pub fn layout_rack(u_height: u32, servers: &[(Option<u32>, u32)]) -> Vec<(u32, Slot)> {
    let mut used = vec![false; u_height as usize + 1];
    let height = |h: u32| h.max(1);
    let free = |used: &[bool], bottom: u32, h: u32| {
        bottom >= 1
            && bottom
                .checked_add(h - 1)
                .is_some_and(|top| top <= u_height && (bottom..=top).all(|u| !used[u as usize]))
    };
    let mut slots: Vec<Option<(u32, Slot)>> = vec![None; servers.len()];
    for (i, &(position, h)) in servers.iter().enumerate() {
        let h = height(h);
        if let Some(bottom) = position.filter(|&b| free(&used, b, h)) {
            for u in bottom..bottom + h {
                used[u as usize] = true;
            }
            slots[i] = Some((bottom, Slot::Given));
        }
    }
    let mut overflow_at = u_height + 1;
    for (i, &(_, h)) in servers.iter().enumerate() {
        if slots[i].is_some() {
            continue;
        }
        let h = height(h);
        let found = (1..=u_height).find(|&b| free(&used, b, h));
        slots[i] = Some(match found {
            Some(bottom) => {
                for u in bottom..bottom + h {
                    used[u as usize] = true;
                }
                (bottom, Slot::Free)
            }
            None => {
                let bottom = overflow_at;
                overflow_at = overflow_at.saturating_add(h);
                (bottom, Slot::Overflow)
            }
        });
    }
    slots.into_iter().flatten().collect()
}

fn power_tree(inventory: &Inventory, loads: Vec<PowerStatus>) -> Vec<PowerView> {
    let mut children = vec![Vec::new(); inventory.power.len()];
    for p in inventory.power_ids() {
        if let Some(first) = inventory.power(p).feeds_from.first() {
            children[first.index()].push(p);
        }
    }
    let mut out = Vec::new();
    let mut stack: Vec<(crate::inventory::PowerId, usize)> = inventory
        .power_ids()
        .filter(|p| inventory.power(*p).is_root())
        .map(|p| (p, 0))
        .collect();
    stack.reverse();
    while let Some((p, depth)) = stack.pop() {
        let component = inventory.power(p);
        out.push(PowerView {
            id: component.id.clone(),
            kind: component.kind.clone(),
            datacenter: inventory.dc(component.datacenter).id.clone(),
            depth,
            also_fed_from: component
                .feeds_from
                .iter()
                .skip(1)
                .map(|q| inventory.power(*q).id.clone())
                .collect(),
            limit_w: component.limit_w(),
            capacity_w: component.capacity_w,
            load: loads[p.index()].clone(),
        });
        stack.extend(children[p.index()].iter().rev().map(|&c| (c, depth + 1)));
    }
    out
}
