//! Kubernetes objects built from k8s-openapi's types: a label patch for every
//! node (one node per server), and for every service a Deployment patch that
//! pins its pods to the planned nodes and spreads them over racks.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec};
use k8s_openapi::api::core::v1::{
    Affinity, Node, NodeAffinity, NodeSelector, NodeSelectorRequirement, NodeSelectorTerm, PodSpec,
    PodTemplateSpec, TopologySpreadConstraint,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};

use super::sources::{collect, Sources};
use crate::inventory::{
    InputError, InputErrors, Inventory, Placement, PowerId, ServerId, Services,
};

/// The well-known zone label: a datacenter.
pub const ZONE_LABEL: &str = "topology.kubernetes.io/zone";
pub const RACK_LABEL: &str = "faultplan.dev/rack";
pub const ROOM_LABEL: &str = "faultplan.dev/room";
/// The root power sources a node draws from with nothing failed, `_`-joined.
pub const POWER_SIDE_LABEL: &str = "faultplan.dev/power-side";
/// The label by which a service's pods are found (the recommended app label).
pub const SERVICE_LABEL: &str = "app.kubernetes.io/name";
/// Pins pods to nodes by name.
const HOSTNAME_LABEL: &str = "kubernetes.io/hostname";

/// A DNS-1123 subdomain: what node and Deployment names must be.
fn valid_name(name: &str) -> bool {
    name.len() <= 253
        && name.split('.').all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !part.starts_with('-')
                && !part.ends_with('-')
        })
}

/// A label value: at most 63 characters, alphanumeric at both ends, `-_.` inside.
fn valid_label_value(value: &str) -> bool {
    value.len() <= 63
        && (value.is_empty()
            || (value.starts_with(|c: char| c.is_ascii_alphanumeric())
                && value.ends_with(|c: char| c.is_ascii_alphanumeric())
                && value
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))))
}

/// The root sources a server's power comes from with nothing failed: each PSU's
/// component followed up its first parent (its normal-operation feed).
fn power_side(inventory: &Inventory, server: ServerId) -> String {
    let mut roots: Vec<&str> = inventory
        .server(server)
        .psu
        .iter()
        .map(|&p| {
            let mut at: PowerId = p;
            while let Some(&parent) = inventory.power(at).feeds_from.first() {
                at = parent;
            }
            inventory.power(at).id.as_str()
        })
        .collect();
    roots.sort_unstable();
    roots.dedup();
    roots.join("_")
}

/// A `v1 List` of node label patches (`kubectl patch node`) and Deployment
/// strategic-merge patches (`kubectl patch deployment`), as JSON.
pub fn kubernetes_list(
    inventory: &Inventory,
    services: &Services,
    placement: &Placement,
) -> Result<String, InputErrors> {
    let sources = Sources {
        inventory,
        services,
    };
    let mut errors = Vec::new();
    let (nodes, pods) = nodes_and_pods(inventory, services, placement);
    let mut node_objects = Vec::new();
    let mut rack_of: BTreeMap<&str, &str> = BTreeMap::new();
    for (&name, &id) in &nodes {
        rack_of.insert(name, &inventory.rack(inventory.server(id).rack).id);
        node_objects.push(node_patch(&sources, name, id, &mut errors));
    }
    let mut deployments = Vec::new();
    for (&service, on) in &pods {
        deployments.push(deployment_patch(
            &sources,
            service,
            on,
            &rack_of,
            &mut errors,
        ));
    }
    collect(errors)?;
    Ok(list_json(&node_objects, &deployments))
}

/// Replicas of each service on each node: service → node → replicas.
type Pods<'a> = BTreeMap<&'a str, BTreeMap<&'a str, u32>>;

/// The nodes of the plan (one per server with a replica), and for each
/// service its replicas on each node.
fn nodes_and_pods<'a>(
    inventory: &'a Inventory,
    services: &'a Services,
    placement: &Placement,
) -> (BTreeMap<&'a str, ServerId>, Pods<'a>) {
    let mut nodes: BTreeMap<&str, ServerId> = BTreeMap::new();
    // service → node → replicas
    let mut pods: BTreeMap<&str, BTreeMap<&str, u32>> = BTreeMap::new();
    for r in &placement.replicas {
        let server = &inventory.server(r.server).id;
        nodes.insert(server, r.server);
        *pods
            .entry(&services.service(r.service).name)
            .or_default()
            .entry(server)
            .or_default() += 1;
    }
    (nodes, pods)
}

/// A node's label patch: its zone, rack, room and power side; a name or label
/// value Kubernetes would refuse is an error.
fn node_patch(sources: &Sources, name: &str, id: ServerId, errors: &mut Vec<InputError>) -> Node {
    let inventory = sources.inventory;
    if !valid_name(name) {
        errors.push(InputError::new(
            sources.id(name),
            format!("server \"{name}\" is not a valid Kubernetes node name (lowercase letters, digits, - and ., at most 253 characters)"),
        ));
    }
    let rack = inventory.rack(inventory.server(id).rack);
    let room = &inventory.room(rack.room).name;
    let mut labels = BTreeMap::new();
    let mut label = |key: &str, value: String, location| {
        if valid_label_value(&value) {
            labels.insert(key.to_string(), value);
        } else {
            errors.push(InputError::new(
                location,
                format!("\"{value}\" cannot be the value of the Kubernetes label {key} (at most 63 letters, digits, -, _ and ., alphanumeric at both ends)"),
            ));
        }
    };
    let dc = &inventory.dc(rack.datacenter).id;
    label(ZONE_LABEL, dc.clone(), sources.id(dc));
    label(RACK_LABEL, rack.id.clone(), sources.id(&rack.id));
    if !room.is_empty() {
        label(ROOM_LABEL, room.clone(), sources.id(&rack.id));
    }
    label(
        POWER_SIDE_LABEL,
        power_side(inventory, id),
        sources.id(name),
    );
    Node {
        metadata: ObjectMeta {
            name: Some(name.to_string()),
            labels: Some(labels),
            ..ObjectMeta::default()
        },
        ..Node::default()
    }
}

/// A service's Deployment patch: its pods pinned to its planned nodes (`on`:
/// node → replicas) and spread over racks; a name Kubernetes would refuse is
/// an error.
fn deployment_patch(
    sources: &Sources,
    service: &str,
    on: &BTreeMap<&str, u32>,
    rack_of: &BTreeMap<&str, &str>,
    errors: &mut Vec<InputError>,
) -> Deployment {
    if !valid_name(service) || !valid_label_value(service) {
        errors.push(InputError::new(
            sources.service(service),
            format!("service \"{service}\" is not a valid Kubernetes name and label value (lowercase letters, digits, - and ., at most 63 characters)"),
        ));
    }
    Deployment {
        metadata: ObjectMeta {
            name: Some(service.to_string()),
            ..ObjectMeta::default()
        },
        spec: Some(DeploymentSpec {
            // A Deployment's selector is immutable; an empty one in a
            // strategic-merge patch leaves it as it is.
            selector: LabelSelector::default(),
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(BTreeMap::from([(
                        SERVICE_LABEL.to_string(),
                        service.to_string(),
                    )])),
                    ..ObjectMeta::default()
                }),
                spec: Some(pod_spec(service, on, max_skew(on, rack_of))),
            },
            ..DeploymentSpec::default()
        }),
        ..Deployment::default()
    }
}

/// The spread allows exactly the plan's own imbalance between its racks,
/// so the planned placement itself always satisfies it.
fn max_skew(on: &BTreeMap<&str, u32>, rack_of: &BTreeMap<&str, &str>) -> i32 {
    let mut per_rack: BTreeMap<&str, u32> = BTreeMap::new();
    for (node, n) in on {
        *per_rack.entry(rack_of[node]).or_default() += n;
    }
    let most = per_rack.values().max().copied().unwrap_or(0);
    let least = per_rack.values().min().copied().unwrap_or(0);
    i32::try_from((most - least).max(1)).unwrap_or(i32::MAX)
}

/// The pods of `service`: required on the nodes of `on`, spread over racks.
fn pod_spec(service: &str, on: &BTreeMap<&str, u32>, max_skew: i32) -> PodSpec {
    let selector = LabelSelector {
        match_labels: Some(BTreeMap::from([(
            SERVICE_LABEL.to_string(),
            service.to_string(),
        )])),
        ..LabelSelector::default()
    };
    PodSpec {
        affinity: Some(Affinity {
            node_affinity: Some(NodeAffinity {
                required_during_scheduling_ignored_during_execution: Some(NodeSelector {
                    node_selector_terms: vec![NodeSelectorTerm {
                        match_expressions: Some(vec![NodeSelectorRequirement {
                            key: HOSTNAME_LABEL.to_string(),
                            operator: "In".to_string(),
                            values: Some(on.keys().map(ToString::to_string).collect()),
                        }]),
                        ..NodeSelectorTerm::default()
                    }],
                }),
                ..NodeAffinity::default()
            }),
            ..Affinity::default()
        }),
        topology_spread_constraints: Some(vec![TopologySpreadConstraint {
            label_selector: Some(selector),
            max_skew,
            topology_key: RACK_LABEL.to_string(),
            when_unsatisfiable: "DoNotSchedule".to_string(),
            ..TopologySpreadConstraint::default()
        }]),
        ..PodSpec::default()
    }
}

/// The `v1 List` of the node patches then the Deployment patches.
fn list_json(nodes: &[Node], deployments: &[Deployment]) -> String {
    let items: Vec<serde_json::Value> = nodes
        .iter()
        .map(serde_json::to_value)
        .chain(deployments.iter().map(serde_json::to_value))
        .collect::<Result<_, _>>()
        .expect("k8s-openapi objects serialize");
    let list = serde_json::json!({
        "apiVersion": "v1",
        "kind": "List",
        "metadata": {},
        "items": items,
    });
    let mut text = serde_json::to_string_pretty(&list).expect("JSON serializes");
    text.push('\n');
    text
}
