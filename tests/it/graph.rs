//! `faultplan graph`: the DOT text (snapshots on the baseline inventory), what
//! `--highlight` colours (Topology::impact), and the real Graphviz `dot`
//! reading it back: every id a node, every link an edge, labels intact.

use std::collections::BTreeSet;

use faultplan::inventory::Inventory;

use crate::support::{baseline, root, run_root, Inv};

fn graph(inv: &Inv, extra: &[&str]) -> crate::support::Run {
    let mut args = vec!["graph", "inv"];
    args.extend_from_slice(extra);
    inv.run(&args)
}

#[test]
fn baseline_graph_snapshot() {
    let run = graph(&baseline(), &["--servers"]);
    assert_eq!((run.code, run.stderr.as_str()), (0, ""));
    insta::assert_snapshot!("graph_baseline", run.stdout);
}

#[test]
fn highlight_snapshot_of_a_datacenter() {
    // dc2 down: its room and rack r3, server s3, and u2 and p2 without power.
    let run = graph(&baseline(), &["--highlight", "dc2", "--servers"]);
    assert_eq!((run.code, run.stderr.as_str()), (0, ""));
    insta::assert_snapshot!("graph_baseline_highlight_dc2", run.stdout);
}

#[test]
fn an_unknown_highlight_is_a_usage_error() {
    let run = graph(&baseline(), &["--highlight", "r9"]);
    assert_eq!(run.code, 2);
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr,
        "error: --highlight: unknown id \"r9\": expected a datacenter, rack, server or power component id\n"
    );
}

#[test]
fn the_same_inventory_gives_the_same_bytes() {
    let a = run_root(&[
        "graph",
        "inventories/goodbarber",
        "--highlight",
        "par1-ups-a",
    ]);
    let b = run_root(&[
        "graph",
        "inventories/goodbarber",
        "--highlight",
        "par1-ups-a",
    ]);
    assert_eq!(a.code, 0);
    assert_eq!(a.stdout_bytes, b.stdout_bytes);
}

/// `dot -Tjson` of `text`: (label, fillcolor) of every node, and the number of edges.
fn through_dot(text: &str) -> Option<(Vec<(String, String)>, usize)> {
    let output = crate::pictures::dot(text, "json")?;
    let json: serde_json::Value = serde_json::from_slice(&output).unwrap();
    let nodes = json["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["label"].as_str().unwrap().to_string(),
                n["fillcolor"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    Some((nodes, json["edges"].as_array().map_or(0, Vec::len)))
}

#[test]
fn dot_reads_the_goodbarber_graph_with_every_component() {
    let run = run_root(&[
        "graph",
        "inventories/goodbarber",
        "--highlight",
        "par1-r01",
        "--servers",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let Some((nodes, edges)) = through_dot(&run.stdout) else {
        return;
    };
    let inventory = Inventory::load(&root().join("inventories/goodbarber")).unwrap();
    let mut want: BTreeSet<String> = BTreeSet::new();
    want.extend(inventory.datacenters.iter().map(|d| d.id.clone()));
    want.extend(inventory.racks.iter().map(|r| r.id.clone()));
    want.extend(inventory.servers.iter().map(|s| s.id.clone()));
    want.extend(inventory.power.iter().map(|p| p.id.clone()));
    want.insert("par1/room1".to_string());
    let labels: BTreeSet<String> = nodes.iter().map(|(l, _)| l.clone()).collect();
    assert_eq!(labels, want);
    assert_eq!(nodes.len(), want.len(), "one node per component");
    // Containment (room, racks, servers), power parents, server PSUs.
    let feeds: usize = inventory.power.iter().map(|p| p.feeds_from.len()).sum();
    let psus: usize = inventory.servers.iter().map(|s| s.psu.len()).sum();
    let contained = inventory.rooms.len() + inventory.racks.len() + inventory.servers.len();
    assert_eq!(edges, contained + feeds + psus);
    // Rack par1-r01 fails (red) and takes exactly its servers down (pink).
    let failed: Vec<&str> = nodes
        .iter()
        .filter(|(_, fill)| fill == "#d62728")
        .map(|(l, _)| l.as_str())
        .collect();
    assert_eq!(failed, ["par1-r01"]);
    let down: BTreeSet<&str> = nodes
        .iter()
        .filter(|(_, fill)| fill == "#f4b6b0")
        .map(|(l, _)| l.as_str())
        .collect();
    let rack = inventory.lookup("par1-r01").unwrap();
    let faultplan::inventory::Component::Rack(rack) = rack else {
        panic!("par1-r01 is a rack");
    };
    let servers: BTreeSet<&str> = inventory
        .rack(rack)
        .servers
        .iter()
        .map(|s| inventory.server(*s).id.as_str())
        .collect();
    assert_eq!(down, servers);
}

#[test]
fn dot_reads_back_ids_with_quotes_and_backslashes() {
    let inv = baseline()
        .edit("racks.csv", "r1,dc1,a", "\"r\"\"1\\n\",dc1,a")
        .edit("servers.csv", "s1,r1,", "\"s\"\"1\\\",\"r\"\"1\\n\",");
    let run = graph(&inv, &["--highlight", "r\"1\\n", "--servers"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let Some((nodes, _)) = through_dot(&run.stdout) else {
        return;
    };
    // dot keeps a label as an escString, in which `\\` stands for one
    // backslash (and `\n` would be a line break): decoded, it is the id.
    let labels: BTreeSet<String> = nodes.iter().map(|(l, _)| l.replace("\\\\", "\\")).collect();
    assert!(labels.contains("r\"1\\n"), "{labels:?}");
    assert!(labels.contains("s\"1\\"), "{labels:?}");
    assert!(run
        .stdout
        .contains("label=\"failure of r\\\"1\\\\n: 1 server down"));
}
