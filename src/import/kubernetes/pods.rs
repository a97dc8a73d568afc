//! Which pod is a replica of which service on which server, and why the
//! others are left out: a pod counts when it carries a service's label, has
//! not finished, is not being deleted, is scheduled, and its node is a server.

use std::collections::BTreeMap;
use std::path::Path;

use k8s_openapi::api::core::v1::Pod;

use super::nodes::{some, NodeIs};
use crate::inventory::{Inventory, Replica, Services};

/// Why a pod is not a replica, in the order the warnings are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Skip {
    /// Not one of faultplan's services: no service label (system pods).
    NoLabel,
    /// The label names no service (the detail: the name).
    UnknownService,
    /// `Succeeded` or `Failed` (the detail): no longer runs.
    Finished,
    /// Being deleted (a rollout's old pods): about to stop running.
    Terminating,
    /// No `spec.nodeName` yet: Pending, nowhere.
    NotScheduled,
    /// Its node (the detail) is not in the saved nodes.
    NodeNotListed,
    /// Its node (the detail) is no server.
    NotAServer,
}

/// Why a pod is left out, and the name, phase or node that says more.
pub(super) type Why = (Skip, Option<String>);

/// The replica `pod` is, or why it is none.
pub(super) fn replica_of(
    pod: &Pod,
    services: &Services,
    nodes: &BTreeMap<String, NodeIs>,
    label: &str,
) -> Result<Replica, Why> {
    let meta = &pod.metadata;
    let name = meta
        .labels
        .as_ref()
        .and_then(|labels| labels.get(label))
        .ok_or((Skip::NoLabel, None))?;
    let service = services
        .lookup(name)
        .ok_or_else(|| (Skip::UnknownService, Some(name.clone())))?;
    let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref());
    if let Some(phase @ ("Succeeded" | "Failed")) = phase {
        return Err((Skip::Finished, Some(phase.to_string())));
    }
    if meta.deletion_timestamp.is_some() {
        return Err((Skip::Terminating, None));
    }
    let node = pod
        .spec
        .as_ref()
        .and_then(|spec| spec.node_name.as_ref())
        .filter(|node| !node.is_empty())
        .ok_or((Skip::NotScheduled, None))?;
    match nodes.get(node) {
        Some(NodeIs::Server(server)) => Ok(Replica {
            service,
            server: *server,
            line: 0,
        }),
        Some(NodeIs::NotAServer) => Err((Skip::NotAServer, Some(node.clone()))),
        None => Err((Skip::NodeNotListed, Some(node.clone()))),
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

/// The pods left out for one reason: their names, and per detail (a
/// name, a phase, a node) how many.
#[derive(Debug, Default)]
pub(super) struct LeftOut {
    pub pods: Vec<String>,
    pub details: BTreeMap<String, usize>,
}

/// One warning per reason (however many names or nodes it involves), with
/// the count, the details and the first few pods.
pub(super) fn skip_lines(
    skipped: &BTreeMap<Skip, LeftOut>,
    label: &str,
    services: &Path,
    inventory: &Inventory,
) -> Vec<String> {
    skipped
        .iter()
        .map(|(skip, left)| {
            let count = match left.pods.len() {
                1 => "1 pod".to_string(),
                n => format!("{n} pods"),
            };
            let why = match skip {
                Skip::NoLabel => format!("without the label {label} (no service's pods)"),
                Skip::UnknownService => format!(
                    "labelled {label} with a name that is not a service in {}",
                    services.display()
                ),
                Skip::Finished => "finished (no longer running)".to_string(),
                Skip::Terminating => "terminating (deletionTimestamp set)".to_string(),
                Skip::NotScheduled => "not scheduled yet (Pending, no spec.nodeName)".to_string(),
                Skip::NodeNotListed => "on nodes that are not in the saved nodes".to_string(),
                Skip::NotAServer => format!(
                    "on nodes that are not servers of {}",
                    inventory.dir.display()
                ),
            };
            let details: Vec<String> = left
                .details
                .iter()
                .map(|(detail, n)| format!("{detail}: {n}"))
                .collect();
            let details = if details.is_empty() {
                String::new()
            } else {
                format!(" [{}]", some(&details))
            };
            format!("{count} {why}{details}, left out: {}", some(&left.pods))
        })
        .collect()
}
