//! `faultplan graph` by default: each rack a cluster whose servers are folded
//! into one node per power wiring (the servers fed by the same components),
//! with counts, so that a fleet of 1,000 servers is a few hundred nodes.
//! `graph --servers` draws one node per server instead (graph.rs).
//!
//! Written by hand rather than through petgraph's `dot` module, which has no
//! clusters. Colours and shapes are graph.rs's.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::inventory::{Component, Inventory, PowerId, RackId, ServerId};
use crate::topology::{Impact, Topology};

/// The servers of one rack that hang off the same power components.
struct Group {
    psu: Vec<PowerId>,
    servers: Vec<ServerId>,
}

/// The DOT text with racks folded; `highlight` colours what that
/// component's failure takes down, as `graph_dot` does.
pub fn graph_dot_racks(inventory: &Inventory, highlight: Option<Component>) -> String {
    let topology = Topology::new(inventory);
    let impact = highlight.map(|c| topology.impact(&[c]));
    let mut out = String::from(
        "digraph faultplan {\n    rankdir=\"LR\"\n    fontname=\"Helvetica\"\n    node [fontname=\"Helvetica\" fontsize=11]\n    edge [fontname=\"Helvetica\"]\n",
    );
    if let (Some(component), Some(impact)) = (highlight, &impact) {
        let _ = writeln!(
            out,
            "    label=\"{}\"\n    labelloc=\"t\"",
            quote(&super::graph::failure_summary(inventory, component, impact))
        );
    }
    // A node belongs to the (sub)graph that names it first: power nodes and
    // racks are declared before any edge names them, and the edges into the
    // clusters come after them.
    let down = |c: Component| hit(inventory, highlight, impact.as_ref(), c);
    let home = homes(inventory);
    let mut feeds = String::new();
    power(&mut out, &mut feeds, inventory, &home, &down);
    for r in inventory.rack_ids() {
        let im = impact.as_ref();
        rack_cluster(&mut out, &mut feeds, inventory, r, highlight, im);
        // The rack's PDUs, inside its cluster, which is closed here.
        for p in inventory.power_ids().filter(|p| home[p.index()] == Some(r)) {
            power_node(&mut out, inventory, p, down(Component::Power(p)));
        }
        out.push_str("    }\n");
    }
    sites(&mut out, inventory, &down);
    out.push_str(&feeds);
    out.push_str("}\n");
    out
}

/// Datacenters and rooms, and what contains what down to the racks.
fn sites(out: &mut String, inventory: &Inventory, down: &dyn Fn(Component) -> u8) {
    for (i, dc) in inventory.datacenters.iter().enumerate() {
        let c = Component::Datacenter(crate::inventory::DcId(i as u32));
        node(out, &format!("dc{i}"), &dc.id, "folder", "#dde7f3", down(c));
    }
    for (i, room) in inventory.rooms.iter().enumerate() {
        let c = Component::Room(crate::inventory::RoomId(i as u32));
        node(
            out,
            &format!("room{i}"),
            &inventory.name(c),
            "tab",
            "#e9eef5",
            down(c),
        );
        contains(
            out,
            &format!("dc{}", room.datacenter.index()),
            &format!("room{i}"),
        );
    }
    for r in inventory.rack_ids() {
        let room = inventory.rack(r).room.index();
        contains(out, &format!("room{room}"), &format!("rack{}", r.index()));
    }
}

/// One rack: its node and its folded servers, inside a cluster left open
/// (its PDUs join it); the edges from the power components that feed them
/// go to `feeds`.
fn rack_cluster(
    out: &mut String,
    feeds: &mut String,
    inventory: &Inventory,
    r: RackId,
    highlight: Option<Component>,
    impact: Option<&Impact>,
) {
    let rack = inventory.rack(r);
    let i = r.index();
    let _ = writeln!(
        out,
        "    subgraph \"cluster_rack{i}\" {{\n        label=\"{}: {} server{}\"\n        style=\"rounded,dashed\"\n        color=\"#9a9a9a\"",
        quote(&rack.id),
        rack.servers.len(),
        if rack.servers.len() == 1 { "" } else { "s" }
    );
    let c = Component::Rack(r);
    node(
        out,
        &format!("rack{i}"),
        &rack.id,
        "box3d",
        "#f2f2f2",
        hit(inventory, highlight, impact, c),
    );
    for (k, group) in groups(inventory, r).iter().enumerate() {
        let down = impact.map_or(0, |im| {
            group
                .servers
                .iter()
                .filter(|s| im.down.binary_search(s).is_ok())
                .count()
        });
        let failing = group
            .servers
            .iter()
            .any(|s| highlight == Some(Component::Server(*s)));
        let names: Vec<&str> = group
            .psu
            .iter()
            .map(|p| inventory.power(*p).id.as_str())
            .collect();
        let mut label = format!(
            "{} server{}\\n{}",
            group.servers.len(),
            if group.servers.len() == 1 { "" } else { "s" },
            match names.len() {
                0 => "no power".to_string(),
                1 => format!("{} only", quote(names[0])),
                _ => quote(&names.join(" + ")),
            }
        );
        if down > 0 {
            let _ = write!(label, "\\n{down} down");
        }
        let state = if failing { 2 } else { u8::from(down > 0) };
        let id = format!("rack{i}_{k}");
        node_raw(out, &id, &label, "box", "#ffffff", state);
        contains(out, &format!("rack{i}"), &id);
        for p in &group.psu {
            let _ = writeln!(
                feeds,
                "    \"pw{}\" -> \"{id}\" [color=\"#d2a03c\" arrowsize=0.6]",
                p.index()
            );
        }
    }
}

/// The servers of rack `r` by the power components that feed them, in the
/// order their first server comes in servers.csv.
fn groups(inventory: &Inventory, r: RackId) -> Vec<Group> {
    let mut index: BTreeMap<Vec<PowerId>, usize> = BTreeMap::new();
    let mut groups: Vec<Group> = Vec::new();
    for &s in &inventory.rack(r).servers {
        let mut psu = inventory.server(s).psu.clone();
        psu.sort();
        psu.dedup();
        let k = *index.entry(psu.clone()).or_insert_with(|| {
            groups.push(Group {
                psu,
                servers: Vec::new(),
            });
            groups.len() - 1
        });
        groups[k].servers.push(s);
    }
    groups
}

/// Power components outside the racks, and the feeds between all of them
/// (to `feeds`), as in graph.rs.
fn power(
    out: &mut String,
    feeds: &mut String,
    inventory: &Inventory,
    home: &[Option<RackId>],
    down: &dyn Fn(Component) -> u8,
) {
    for p in inventory.power_ids() {
        if home[p.index()].is_none() {
            power_node(out, inventory, p, down(Component::Power(p)));
        }
        for (k, parent) in inventory.power(p).feeds_from.iter().enumerate() {
            let style = if k == 0 {
                "color=\"#b8860b\" penwidth=1.6"
            } else {
                "color=\"#b8860b\" style=dashed xlabel=\"failover\" fontsize=8"
            };
            let _ = writeln!(
                feeds,
                "    \"pw{}\" -> \"pw{}\" [{style}]",
                parent.index(),
                p.index()
            );
        }
    }
}

fn power_node(out: &mut String, inventory: &Inventory, p: PowerId, state: u8) {
    let id = format!("pw{}", p.index());
    node(
        out,
        &id,
        &inventory.power(p).id,
        "ellipse",
        "#fff4cc",
        state,
    );
}

/// The rack whose cluster draws each power component: the one rack it
/// feeds servers of, when it feeds no other power component (a rack's
/// PDUs); None for the rest, drawn outside the racks.
fn homes(inventory: &Inventory) -> Vec<Option<RackId>> {
    let mut racks: Vec<Vec<RackId>> = vec![Vec::new(); inventory.power.len()];
    for s in inventory.server_ids() {
        let server = inventory.server(s);
        for p in &server.psu {
            let seen = &mut racks[p.index()];
            if !seen.contains(&server.rack) {
                seen.push(server.rack);
            }
        }
    }
    let mut parent = vec![false; inventory.power.len()];
    for p in inventory.power_ids() {
        for f in &inventory.power(p).feeds_from {
            parent[f.index()] = true;
        }
    }
    racks
        .into_iter()
        .zip(parent)
        .map(|(racks, parent)| match racks.as_slice() {
            [only] if !parent => Some(*only),
            _ => None,
        })
        .collect()
}

/// 2 for the component that fails, 1 for what it takes down, else 0.
fn hit(
    inventory: &Inventory,
    highlight: Option<Component>,
    impact: Option<&Impact>,
    c: Component,
) -> u8 {
    let (Some(failed), Some(impact)) = (highlight, impact) else {
        return 0;
    };
    if failed == c {
        return 2;
    }
    let inside = |racks: &[RackId], r: RackId| racks.contains(&r);
    let down = match c {
        Component::Power(p) => impact.unpowered.binary_search(&p).is_ok(),
        Component::Room(room) => {
            matches!(failed, Component::Datacenter(dc) if inventory.room(room).datacenter == dc)
        }
        Component::Rack(r) => match failed {
            Component::Datacenter(dc) => inside(&inventory.dc(dc).racks, r),
            Component::Room(room) => inside(&inventory.room(room).racks, r),
            _ => false,
        },
        _ => false,
    };
    u8::from(down)
}

fn node(out: &mut String, id: &str, label: &str, shape: &str, fill: &str, state: u8) {
    node_raw(out, id, &quote(label), shape, fill, state);
}

/// A node whose label is already quoted for DOT.
fn node_raw(out: &mut String, id: &str, label: &str, shape: &str, fill: &str, state: u8) {
    let (fill, font) = match state {
        2 => ("#d62728", "#ffffff"),
        1 => ("#f4b6b0", "#000000"),
        _ => (fill, "#000000"),
    };
    let _ = writeln!(
        out,
        "    \"{id}\" [label=\"{label}\" shape={shape} style=filled fillcolor=\"{fill}\" fontcolor=\"{font}\"]"
    );
}

fn contains(out: &mut String, from: &str, to: &str) {
    let _ = writeln!(
        out,
        "    \"{from}\" -> \"{to}\" [color=\"#9a9a9a\" arrowhead=none]"
    );
}

/// Text inside a DOT double-quoted string.
fn quote(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}
