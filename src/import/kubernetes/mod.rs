//! What runs on a Kubernetes cluster, read back as a placement: saved
//! `kubectl get nodes -o json` and `kubectl get pods -A -o json`, nodes mapped
//! to servers (by the `faultplan.dev/server` label the export writes, else by
//! name) and pods to services (by a label, `app.kubernetes.io/name` unless
//! told otherwise). What cannot be counted is left out with a warning: the
//! result is what `check --current` and `plan --current` read.

mod nodes;
mod pods;
mod read;

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Node, Pod};

use crate::inventory::{Inventory, Placement, Services};

pub use read::{read_nodes, read_pods};

/// How pods are recognised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// The pod label whose value is the service name.
    pub service_label: String,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            service_label: crate::export::SERVICE_LABEL.to_string(),
        }
    }
}

/// What runs, as a placement, and what was left out.
#[derive(Debug, Clone)]
pub struct Running {
    /// One replica per counted pod (line 0: it comes from no file).
    pub placement: Placement,
    /// One line per kind of thing left out, in a fixed order.
    pub warnings: Vec<String>,
    /// Pods read, counted or not.
    pub pods: usize,
}

/// The running placement of `pods` on `nodes`.
pub fn running(
    inventory: &Inventory,
    services: &Services,
    nodes: &[Node],
    pods: &[Pod],
    options: &Options,
) -> Running {
    let mut warnings = Vec::new();
    let servers = nodes::node_servers(inventory, nodes, &mut warnings);
    let mut replicas = Vec::new();
    let mut skipped: BTreeMap<pods::Skip, pods::LeftOut> = BTreeMap::new();
    for pod in pods {
        match pods::replica_of(pod, services, &servers, &options.service_label) {
            Ok(replica) => replicas.push(replica),
            Err((skip, detail)) => {
                let left = skipped.entry(skip).or_default();
                left.pods.push(pods::pod_name(pod));
                if let Some(detail) = detail {
                    *left.details.entry(detail).or_default() += 1;
                }
            }
        }
    }
    for left in skipped.values_mut() {
        left.pods.sort();
    }
    warnings.extend(pods::skip_lines(
        &skipped,
        &options.service_label,
        &services.file,
        inventory,
    ));
    Running {
        placement: Placement {
            file: None,
            replicas,
        }
        .sorted(),
        warnings,
        pods: pods.len(),
    }
}
