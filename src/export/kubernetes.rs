//! Kubernetes objects built from k8s-openapi's types: a label patch for every
//! node (one node per server, labelled with its failure domains), and for
//! every service a Deployment patch that sets its planned replica count, pins
//! its pods to the planned nodes and spreads them over every failure domain
//! its guarantees name.
//!
//! Why this and not more: a Deployment has one pod template, so it cannot say
//! "two pods on node A, one on node B". What it can say is where pods may go
//! (required node affinity: the planned nodes) and how unevenly they may sit
//! over a domain (a topology spread per domain, `maxSkew` = the plan's own
//! imbalance there, so the plan itself always qualifies; hard over nodes and
//! racks, a preference over the others, which could otherwise block each
//! other pod by pod: see `Domain::hard`). When the plan puts
//! the same number of replicas on each of its nodes, the spread over nodes
//! with `maxSkew` 1 admits the plan and nothing else; otherwise the scheduler
//! may choose another placement within the same bounds, which faultplan has
//! not checked. docs/usage.md ("Kubernetes") has the whole argument; `import
//! kubernetes` then `check --current` is how to know what was chosen.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec};
use k8s_openapi::api::core::v1::{
    Affinity, Node, NodeAffinity, NodeSelector, NodeSelectorRequirement, NodeSelectorTerm, PodSpec,
    PodTemplateSpec, TopologySpreadConstraint,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};

use super::kubernetes_nodes::{
    node_labels, node_patch, valid_label_value, valid_name, Domain, HOSTNAME_LABEL, SERVICE_LABEL,
};
use super::sources::{collect, Sources};
use crate::inventory::{InputError, InputErrors, Inventory, Placement, ServerId, Services};

/// Every node's exported labels, by node name.
type Labels<'a> = BTreeMap<&'a str, BTreeMap<String, String>>;

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
    let labels: Labels = nodes
        .iter()
        .map(|(&name, &id)| (name, node_labels(&sources, name, id, &mut errors)))
        .collect();
    let node_objects: Vec<Node> = labels
        .iter()
        .map(|(name, labels)| node_patch(name, labels))
        .collect();
    let mut deployments = Vec::new();
    for (&service, on) in &pods {
        deployments.push(deployment_patch(
            &sources,
            service,
            on,
            &labels,
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
    let mut pods: Pods = BTreeMap::new();
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

/// A service's Deployment patch: its planned replica count, its pods pinned
/// to its planned nodes (`on`: node → replicas) and spread over each failure
/// domain of its guarantees; a name Kubernetes would refuse is an error.
fn deployment_patch(
    sources: &Sources,
    service: &str,
    on: &BTreeMap<&str, u32>,
    labels: &Labels,
    errors: &mut Vec<InputError>,
) -> Deployment {
    if !valid_name(service) || !valid_label_value(service) {
        errors.push(InputError::new(
            sources.service(service),
            format!("service \"{service}\" is not a valid Kubernetes name and label value (lowercase letters, digits, - and ., at most 63 characters)"),
        ));
    }
    let domains = match sources.services.lookup(service) {
        Some(id) => Domain::named_by(sources.services.service(id)),
        None => [Domain::Rack, Domain::Node].into(),
    };
    let spreads = domains
        .into_iter()
        .map(|domain| spread(service, domain, max_skew(domain, on, labels)))
        .collect();
    let replicas: u32 = on.values().sum();
    Deployment {
        metadata: ObjectMeta {
            name: Some(service.to_string()),
            ..ObjectMeta::default()
        },
        spec: Some(DeploymentSpec {
            replicas: Some(i32::try_from(replicas).unwrap_or(i32::MAX)),
            // A Deployment's selector is immutable; an empty one in a
            // strategic-merge patch leaves it as it is.
            selector: LabelSelector::default(),
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(service_labels(service)),
                    ..ObjectMeta::default()
                }),
                spec: Some(pod_spec(on, spreads)),
            },
            ..DeploymentSpec::default()
        }),
        ..Deployment::default()
    }
}

fn service_labels(service: &str) -> BTreeMap<String, String> {
    BTreeMap::from([(SERVICE_LABEL.to_string(), service.to_string())])
}

/// The spread allows exactly the plan's own imbalance between the members of
/// `domain` it uses (at least 1, the least Kubernetes accepts), so the planned
/// placement itself always satisfies it. Only members with a planned node
/// count: the scheduler measures skew over the nodes the pod's node affinity
/// admits (`nodeAffinityPolicy: Honor`), which are the planned ones.
fn max_skew(domain: Domain, on: &BTreeMap<&str, u32>, labels: &Labels) -> i32 {
    let mut per_member: BTreeMap<&str, u32> = BTreeMap::new();
    for (node, n) in on {
        *per_member
            .entry(domain.of(node, &labels[node]))
            .or_default() += n;
    }
    let most = per_member.values().max().copied().unwrap_or(0);
    let least = per_member.values().min().copied().unwrap_or(0);
    i32::try_from((most - least).max(1)).unwrap_or(i32::MAX)
}

/// One topology spread of `service`'s pods over `domain`.
fn spread(service: &str, domain: Domain, max_skew: i32) -> TopologySpreadConstraint {
    TopologySpreadConstraint {
        label_selector: Some(LabelSelector {
            match_labels: Some(service_labels(service)),
            ..LabelSelector::default()
        }),
        max_skew,
        topology_key: domain.key().to_string(),
        when_unsatisfiable: if domain.hard() {
            "DoNotSchedule"
        } else {
            "ScheduleAnyway"
        }
        .to_string(),
        // The default, said outright: the skew is measured over the planned
        // nodes only, as max_skew computed it.
        node_affinity_policy: Some("Honor".to_string()),
        ..TopologySpreadConstraint::default()
    }
}

/// The pods: required on the nodes of `on`, spread as `spreads` say.
fn pod_spec(on: &BTreeMap<&str, u32>, spreads: Vec<TopologySpreadConstraint>) -> PodSpec {
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
        topology_spread_constraints: Some(spreads),
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
