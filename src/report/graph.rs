//! `faultplan graph --servers`: the failure domains (datacenter → room → rack → server)
//! and the power graph (parent → component → server PSU) as Graphviz DOT,
//! written by petgraph's `dot` module. With a highlighted component, what its
//! failure takes down ([`Topology::impact`]) is filled in red.

use std::fmt::Write;

use petgraph::dot::{Config, Dot};
use petgraph::graph::{DiGraph, NodeIndex};

use crate::inventory::{Component, Inventory};
use crate::topology::{Impact, Topology};

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

/// The graph's nodes by kind, each indexed like the inventory's own list.
struct Nodes {
    dcs: Vec<NodeIndex>,
    rooms: Vec<NodeIndex>,
    racks: Vec<NodeIndex>,
    servers: Vec<NodeIndex>,
    power: Vec<NodeIndex>,
}

/// The DOT text; `highlight` colours what that component's failure takes down.
pub fn graph_dot(inventory: &Inventory, highlight: Option<Component>) -> String {
    let topology = Topology::new(inventory);
    let impact = highlight.map(|c| topology.impact(&[c]));
    let mut graph: DiGraph<Node, Edge> = DiGraph::new();
    let nodes = add_nodes(&mut graph, inventory, highlight);
    add_containment(&mut graph, inventory, &nodes);
    add_power(&mut graph, inventory, &nodes);
    let mut summary = String::new();
    if let (Some(component), Some(impact)) = (highlight, &impact) {
        mark_down(&mut graph, inventory, &nodes, component, impact);
        summary = failure_summary(inventory, component, impact);
    }
    write_dot(&graph, &summary)
}

/// "failure of X: 20 servers down, 0 power components without power".
pub(super) fn failure_summary(
    inventory: &Inventory,
    component: Component,
    impact: &Impact,
) -> String {
    format!(
        "failure of {}: {} server{} down, {} power component{} without power",
        inventory.name(component),
        impact.down.len(),
        if impact.down.len() == 1 { "" } else { "s" },
        impact.unpowered.len(),
        if impact.unpowered.len() == 1 { "" } else { "s" },
    )
}

/// One node per datacenter, room, rack, server and power component, in that
/// order; the highlighted component is marked as the one that fails.
fn add_nodes(
    graph: &mut DiGraph<Node, Edge>,
    inventory: &Inventory,
    highlight: Option<Component>,
) -> Nodes {
    let mut add = |c: Component, shape, fill| {
        graph.add_node(Node {
            label: inventory.name(c),
            shape,
            fill,
            hit: if highlight == Some(c) { 2 } else { 0 },
        })
    };
    let dcs: Vec<NodeIndex> = (0..inventory.datacenters.len())
        .map(|i| {
            let c = Component::Datacenter(crate::inventory::DcId(i as u32));
            add(c, "folder", "#dde7f3")
        })
        .collect();
    let rooms: Vec<NodeIndex> = (0..inventory.rooms.len())
        .map(|i| {
            let c = Component::Room(crate::inventory::RoomId(i as u32));
            add(c, "tab", "#e9eef5")
        })
        .collect();
    let racks: Vec<NodeIndex> = inventory
        .rack_ids()
        .map(|r| add(Component::Rack(r), "box3d", "#f2f2f2"))
        .collect();
    let servers: Vec<NodeIndex> = inventory
        .server_ids()
        .map(|s| add(Component::Server(s), "box", "#ffffff"))
        .collect();
    let power: Vec<NodeIndex> = inventory
        .power_ids()
        .map(|p| add(Component::Power(p), "ellipse", "#fff4cc"))
        .collect();
    Nodes {
        dcs,
        rooms,
        racks,
        servers,
        power,
    }
}

/// Datacenter → room → rack → server.
fn add_containment(graph: &mut DiGraph<Node, Edge>, inventory: &Inventory, nodes: &Nodes) {
    for (i, room) in inventory.rooms.iter().enumerate() {
        graph.add_edge(
            nodes.dcs[room.datacenter.index()],
            nodes.rooms[i],
            Edge::Contains,
        );
    }
    for r in inventory.rack_ids() {
        graph.add_edge(
            nodes.rooms[inventory.rack(r).room.index()],
            nodes.racks[r.index()],
            Edge::Contains,
        );
    }
    for s in inventory.server_ids() {
        graph.add_edge(
            nodes.racks[inventory.server(s).rack.index()],
            nodes.servers[s.index()],
            Edge::Contains,
        );
    }
}

/// Power parent → component, then component → server PSU.
fn add_power(graph: &mut DiGraph<Node, Edge>, inventory: &Inventory, nodes: &Nodes) {
    for p in inventory.power_ids() {
        for (k, parent) in inventory.power(p).feeds_from.iter().enumerate() {
            graph.add_edge(
                nodes.power[parent.index()],
                nodes.power[p.index()],
                Edge::Feeds { primary: k == 0 },
            );
        }
    }
    for s in inventory.server_ids() {
        for p in &inventory.server(s).psu {
            graph.add_edge(nodes.power[p.index()], nodes.servers[s.index()], Edge::Psu);
        }
    }
}

/// Marks down what the failure of `component` takes down.
fn mark_down(
    graph: &mut DiGraph<Node, Edge>,
    inventory: &Inventory,
    nodes: &Nodes,
    component: Component,
    impact: &Impact,
) {
    let mut mark = |n: NodeIndex| {
        let hit = &mut graph[n].hit;
        *hit = (*hit).max(1);
    };
    for s in &impact.down {
        mark(nodes.servers[s.index()]);
    }
    for p in &impact.unpowered {
        mark(nodes.power[p.index()]);
    }
    // Containers inside a failed datacenter or room are down with it.
    match component {
        Component::Datacenter(dc) => {
            inventory
                .dc(dc)
                .rooms
                .iter()
                .for_each(|r| mark(nodes.rooms[r.index()]));
            inventory
                .dc(dc)
                .racks
                .iter()
                .for_each(|r| mark(nodes.racks[r.index()]));
        }
        Component::Room(room) => {
            inventory
                .room(room)
                .racks
                .iter()
                .for_each(|r| mark(nodes.racks[r.index()]));
        }
        _ => {}
    }
}

fn edge_attributes(_: &DiGraph<Node, Edge>, e: petgraph::graph::EdgeReference<Edge>) -> String {
    match e.weight() {
        Edge::Contains => "color=\"#9a9a9a\" arrowhead=none ".to_string(),
        Edge::Feeds { primary: true } => "color=\"#b8860b\" penwidth=1.6 ".to_string(),
        Edge::Feeds { primary: false } => {
            "color=\"#b8860b\" style=dashed xlabel=\"failover\" fontsize=8 ".to_string()
        }
        Edge::Psu => "color=\"#d2a03c\" arrowsize=0.6 ".to_string(),
    }
}

fn node_attributes(_: &DiGraph<Node, Edge>, (_, n): (NodeIndex, &Node)) -> String {
    let (fill, font) = match n.hit {
        2 => ("#d62728", "#ffffff"),
        1 => ("#f4b6b0", "#000000"),
        _ => (n.fill, "#000000"),
    };
    format!(
        "shape={} style=filled fillcolor=\"{fill}\" fontcolor=\"{font}\" ",
        n.shape
    )
}

/// The graph as DOT, with the failure's summary as its label.
fn write_dot(graph: &DiGraph<Node, Edge>, summary: &str) -> String {
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
            graph,
            &[Config::EdgeNoLabel, Config::GraphContentOnly],
            &edge_attributes,
            &node_attributes,
        )
    );
    out.push_str("}\n");
    out
}
