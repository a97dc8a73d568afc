//! Which server each node is: its `faultplan.dev/server` label (what the
//! export writes), else its name; and whether the failure-domain labels the
//! export wrote still say what the inventory says.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Node;

use crate::export::{DC_ROOM_LABEL, RACK_LABEL, SERVER_LABEL};
use crate::inventory::{Component, Inventory, ServerId};

/// What a node of the saved list is to the inventory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum NodeIs {
    Server(ServerId),
    /// No server has the id the node names (its label, else its name).
    NotAServer,
}

/// Every named node of `nodes`, by name; warnings for the nodes that are not
/// servers and for labels that disagree with the inventory.
pub(super) fn node_servers(
    inventory: &Inventory,
    nodes: &[Node],
    warnings: &mut Vec<String>,
) -> BTreeMap<String, NodeIs> {
    let mut found = BTreeMap::new();
    let mut strangers = Vec::new();
    for node in nodes {
        let Some(name) = node.metadata.name.clone() else {
            continue;
        };
        let labels = node.metadata.labels.clone().unwrap_or_default();
        let id = labels.get(SERVER_LABEL).unwrap_or(&name);
        let is = match inventory.lookup(id) {
            Some(Component::Server(server)) => {
                warnings.extend(stale_labels(inventory, &name, server, &labels));
                NodeIs::Server(server)
            }
            _ => {
                strangers.push(name.clone());
                NodeIs::NotAServer
            }
        };
        found.insert(name, is);
    }
    if !strangers.is_empty() {
        strangers.sort();
        warnings.push(format!(
            "{} not a server of {} (neither its {SERVER_LABEL} label nor its name is a server id): {}",
            if strangers.len() == 1 {
                "1 node is".to_string()
            } else {
                format!("{} nodes are", strangers.len())
            },
            inventory.dir.display(),
            some(&strangers)
        ));
    }
    found
}

/// A line for each failure-domain label faultplan exported that no longer
/// says where the server is: the scheduler spreads by the label, so a stale
/// one spreads over the wrong racks.
fn stale_labels(
    inventory: &Inventory,
    node: &str,
    server: ServerId,
    labels: &BTreeMap<String, String>,
) -> Vec<String> {
    let at = inventory.server(server);
    let rack = inventory.rack(at.rack);
    let dc = &inventory.dc(rack.datacenter).id;
    let room = &inventory.room(rack.room).name;
    let dc_room = if room.is_empty() {
        dc.clone()
    } else {
        format!("{dc}.{room}")
    };
    [(RACK_LABEL, &rack.id), (DC_ROOM_LABEL, &dc_room)]
        .into_iter()
        .filter_map(|(key, expected)| {
            let found = labels.get(key)?;
            (found != expected).then(|| {
                format!(
                    "node \"{node}\" is labelled {key}={found}, but server \"{}\" is in {expected} in the inventory: label the nodes again from `faultplan export --format kubernetes`",
                    at.id
                )
            })
        })
        .collect()
}

/// The first few of `names`, and how many more.
pub(super) fn some(names: &[String]) -> String {
    const SHOWN: usize = 3;
    let mut text = names
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > SHOWN {
        text.push_str(&format!(" and {} more", names.len() - SHOWN));
    }
    text
}
