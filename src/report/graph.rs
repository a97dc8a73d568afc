//! `faultplan graph`: the failure domains (datacenter → room → rack → server)
//! and the power graph (parent → component → server PSU) as Graphviz DOT,
//! written by petgraph's `dot` module. With a highlighted component, what its
//! failure takes down ([`Topology::impact`]) is filled in red.

use std::fmt::Write;

use petgraph::dot::{Config, Dot};
use petgraph::graph::{DiGraph, NodeIndex};

use crate::inventory::{Component, Inventory};
use crate::topology::Topology;

struct Node {
    label: String,
    shape: &'static str,
    fill: &'static str,
    /// 0: up, 1: down or unpowered, 2: the component that fails.
    hit: u8,
}

impl std::fmt::Display for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.label)
    }
}

#[derive(Clone, Copy)]
enum Edge {
    Contains,
    /// A power parent; `primary` for the first of `feeds_from`.
    Feeds {
        primary: bool,
    },
    /// A server PSU plugged into a power component.
    Psu,
}

/// Edges carry no label (`Config::EdgeNoLabel`): their kind is drawn as style.
impl std::fmt::Display for Edge {
    fn fmt(&self, _: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        Ok(())
    }
}

/// The DOT text; `highlight` colours what that component's failure takes down.
pub fn graph_dot(inventory: &Inventory, highlight: Option<Component>) -> String {
    let topology = Topology::new(inventory);
    let impact = highlight.map(|c| topology.impact(&[c]));
    let mut graph: DiGraph<Node, Edge> = DiGraph::new();
    let node = |label: String, shape, fill, failed: bool| Node {
        label,
        shape,
        fill,
        hit: if failed { 2 } else { 0 },
    };
    let failed = |c: Component| highlight == Some(c);
    let dcs: Vec<NodeIndex> = (0..inventory.datacenters.len())
        .map(|i| {
            let c = Component::Datacenter(crate::inventory::DcId(i as u32));
            graph.add_node(node(inventory.name(c), "folder", "#dde7f3", failed(c)))
        })
        .collect();
    let rooms: Vec<NodeIndex> = (0..inventory.rooms.len())
        .map(|i| {
            let c = Component::Room(crate::inventory::RoomId(i as u32));
            graph.add_node(node(inventory.name(c), "tab", "#e9eef5", failed(c)))
        })
        .collect();
    let racks: Vec<NodeIndex> = inventory
        .rack_ids()
        .map(|r| {
            let c = Component::Rack(r);
            graph.add_node(node(inventory.name(c), "box3d", "#f2f2f2", failed(c)))
        })
        .collect();
    let servers: Vec<NodeIndex> = inventory
        .server_ids()
        .map(|s| {
            let c = Component::Server(s);
            graph.add_node(node(inventory.name(c), "box", "#ffffff", failed(c)))
        })
        .collect();
    let power: Vec<NodeIndex> = inventory
        .power_ids()
        .map(|p| {
            let c = Component::Power(p);
            graph.add_node(node(inventory.name(c), "ellipse", "#fff4cc", failed(c)))
        })
        .collect();
    for (i, room) in inventory.rooms.iter().enumerate() {
        graph.add_edge(dcs[room.datacenter.index()], rooms[i], Edge::Contains);
    }
    for r in inventory.rack_ids() {
        graph.add_edge(
            rooms[inventory.rack(r).room.index()],
            racks[r.index()],
            Edge::Contains,
        );
    }
    for s in inventory.server_ids() {
        graph.add_edge(
            racks[inventory.server(s).rack.index()],
            servers[s.index()],
            Edge::Contains,
        );
    }
    for p in inventory.power_ids() {
        for (k, parent) in inventory.power(p).feeds_from.iter().enumerate() {
            graph.add_edge(
                power[parent.index()],
                power[p.index()],
                Edge::Feeds { primary: k == 0 },
            );
        }
    }
    for s in inventory.server_ids() {
        for p in &inventory.server(s).psu {
            graph.add_edge(power[p.index()], servers[s.index()], Edge::Psu);
        }
    }
    let mut summary = String::new();
    if let (Some(component), Some(impact)) = (highlight, &impact) {
        let mut mark = |n: NodeIndex| {
            let hit = &mut graph[n].hit;
            *hit = (*hit).max(1);
        };
        for s in &impact.down {
            mark(servers[s.index()]);
        }
        for p in &impact.unpowered {
            mark(power[p.index()]);
        }
        // Containers inside a failed datacenter or room are down with it.
        match component {
            Component::Datacenter(dc) => {
                inventory
                    .dc(dc)
                    .rooms
                    .iter()
                    .for_each(|r| mark(rooms[r.index()]));
                inventory
                    .dc(dc)
                    .racks
                    .iter()
                    .for_each(|r| mark(racks[r.index()]));
            }
            Component::Room(room) => {
                inventory
                    .room(room)
                    .racks
                    .iter()
                    .for_each(|r| mark(racks[r.index()]));
            }
            _ => {}
        }
        summary = format!(
            "failure of {}: {} server{} down, {} power component{} without power",
            inventory.name(component),
            impact.down.len(),
            if impact.down.len() == 1 { "" } else { "s" },
            impact.unpowered.len(),
            if impact.unpowered.len() == 1 { "" } else { "s" },
        );
    }
    let edge_attributes =
        |_: &DiGraph<Node, Edge>, e: petgraph::graph::EdgeReference<Edge>| match e.weight() {
            Edge::Contains => "color=\"#9a9a9a\" arrowhead=none ".to_string(),
            Edge::Feeds { primary: true } => "color=\"#b8860b\" penwidth=1.6 ".to_string(),
            Edge::Feeds { primary: false } => {
                "color=\"#b8860b\" style=dashed xlabel=\"failover\" fontsize=8 ".to_string()
            }
            Edge::Psu => "color=\"#d2a03c\" arrowsize=0.6 ".to_string(),
        };
    let node_attributes = |_: &DiGraph<Node, Edge>, (_, n): (NodeIndex, &Node)| {
        let (fill, font) = match n.hit {
            2 => ("#d62728", "#ffffff"),
            1 => ("#f4b6b0", "#000000"),
            _ => (n.fill, "#000000"),
        };
        format!(
            "shape={} style=filled fillcolor=\"{fill}\" fontcolor=\"{font}\" ",
            n.shape
        )
    };
    let mut out = String::from(
        "digraph faultplan {\n    rankdir=\"LR\"\n    fontname=\"Helvetica\"\n    node [fontname=\"Helvetica\" fontsize=10]\n    edge [fontname=\"Helvetica\"]\n",
    );
    if !summary.is_empty() {
        // The summary is built from ids: escaped the way petgraph escapes labels.
        let escaped = summary.replace('\\', "\\\\").replace('"', "\\\"");
        let _ = writeln!(out, "    label=\"{escaped}\"\n    labelloc=\"t\"");
    }
    let _ = write!(
        out,
        "{}",
        Dot::with_attr_getters(
            &graph,
            &[Config::EdgeNoLabel, Config::GraphContentOnly],
            &edge_attributes,
            &node_attributes,
        )
    );
    out.push_str("}\n");
    out
}
