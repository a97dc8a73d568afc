//! Which pod is a replica of which service on which server, and why the
//! others are left out: a pod counts when it carries a service's label, has
//! not finished, is not being deleted, is scheduled, and its node is a server.

use std::collections::BTreeMap;
use std::path::Path;

use k8s_openapi::api::core::v1::Pod;

use super::nodes::{some, NodeIs};
use crate::inventory::{Inventory, Replica, Services};

/// Why a pod is not a replica, in the order the warnings are printed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Skip {
    /// Not one of faultplan's services: no service label (system pods).
    NoLabel,
    UnknownService(String),
    /// `Succeeded` or `Failed`: no longer runs.
    Finished(String),
    /// Being deleted (a rollout's old pods): about to stop running.
    Terminating,
    /// No `spec.nodeName` yet: Pending, nowhere.
    NotScheduled,
    /// Its node is not in the saved nodes.
    NodeNotListed(String),
    NotAServer(String),
}

/// The replica `pod` is, or why it is none.
pub(super) fn replica_of(
    pod: &Pod,
    services: &Services,
    nodes: &BTreeMap<String, NodeIs>,
    label: &str,
) -> Result<Replica, Skip> {
    let meta = &pod.metadata;
    let name = meta
        .labels
        .as_ref()
        .and_then(|labels| labels.get(label))
        .ok_or(Skip::NoLabel)?;
    let service = services
        .lookup(name)
        .ok_or_else(|| Skip::UnknownService(name.clone()))?;
    let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref());
    if let Some(phase @ ("Succeeded" | "Failed")) = phase {
        return Err(Skip::Finished(phase.to_string()));
    }
    if meta.deletion_timestamp.is_some() {
        return Err(Skip::Terminating);
    }
    let node = pod
        .spec
        .as_ref()
        .and_then(|spec| spec.node_name.as_ref())
        .filter(|node| !node.is_empty())
        .ok_or(Skip::NotScheduled)?;
    match nodes.get(node) {
        Some(NodeIs::Server(server)) => Ok(Replica {
            service,
            server: *server,
            line: 0,
        }),
        Some(NodeIs::NotAServer) => Err(Skip::NotAServer(node.clone())),
        None => Err(Skip::NodeNotListed(node.clone())),
    }
}

/// `namespace/name`, as `kubectl get pods -A` shows a pod.
pub(super) fn pod_name(pod: &Pod) -> String {
    let meta = &pod.metadata;
    format!(
        "{}/{}",
        meta.namespace.as_deref().unwrap_or("default"),
        meta.name.as_deref().unwrap_or("(no name)")
    )
}

/// One warning per reason, with the count and the first few pods.
pub(super) fn skip_lines(
    skipped: &BTreeMap<Skip, Vec<String>>,
    label: &str,
    services: &Path,
    inventory: &Inventory,
) -> Vec<String> {
    skipped
        .iter()
        .map(|(skip, pods)| {
            let count = match pods.len() {
                1 => "1 pod".to_string(),
                n => format!("{n} pods"),
            };
            let why = match skip {
                Skip::NoLabel => format!("without the label {label} (no service's pods)"),
                Skip::UnknownService(name) => format!(
                    "labelled {label}={name}, which is not a service in {}",
                    services.display()
                ),
                Skip::Finished(phase) => format!("in phase {phase} (no longer running)"),
                Skip::Terminating => "terminating (deletionTimestamp set)".to_string(),
                Skip::NotScheduled => "not scheduled yet (Pending, no spec.nodeName)".to_string(),
                Skip::NodeNotListed(node) => {
                    format!("on node \"{node}\", which is not in the saved nodes")
                }
                Skip::NotAServer(node) => format!(
                    "on node \"{node}\", which is not a server of {}",
                    inventory.dir.display()
                ),
            };
            format!("{count} {why}, left out: {}", some(pods))
        })
        .collect()
}
