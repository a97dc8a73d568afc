//! The placement with nothing failed: replicas per server, per service, and
//! each server's cores and memory.

use std::collections::BTreeMap;

use crate::inventory::{ServerId, ServiceId, Status};

use super::findings::{Finding, FindingKind};
use super::judge::Judge;
use super::options::CAPACITY_TOLERANCE;

/// Every finding of normal operation, in order: per (service, server), per
/// service, per server.
pub(super) fn normal_operation(judge: &mut Judge) {
    for (&(service, server), &(count, line)) in &replicas_per_server(judge) {
        replicas_on_server(judge, service, server, count, line);
    }
    let (services, inventory) = (judge.services, judge.inventory);
    for id in services.ids() {
        replica_counts(judge, id);
    }
    for s in inventory.server_ids() {
        server_capacity(judge, s);
    }
}

/// Per (service, server): the replicas placed and the first line placing one.
fn replicas_per_server(judge: &Judge) -> BTreeMap<(ServiceId, ServerId), (u32, usize)> {
    let mut per_server: BTreeMap<(ServiceId, ServerId), (u32, usize)> = Default::default();
    for replica in &judge.placement.replicas {
        let entry = per_server
            .entry((replica.service, replica.server))
            .or_insert((0, replica.line));
        entry.0 += 1;
        entry.1 = entry.1.min(replica.line);
    }
    per_server
}

/// `count` replicas of `service_id` on `server_id`: too many for one server,
/// on a server without a required label, on an inactive server.
fn replicas_on_server(
    judge: &mut Judge,
    service_id: ServiceId,
    server_id: ServerId,
    count: u32,
    line: usize,
) {
    let service = judge.services.service(service_id);
    let server = judge.inventory.server(server_id);
    if count > service.max_per_server {
        judge.findings.push(Finding::new(
            FindingKind::MaxPerServer {
                service: service.name.clone(),
                server: server.id.clone(),
                count,
                max: service.max_per_server,
            },
            judge.at.placement(line),
        ));
    }
    let missing: Vec<String> = service
        .requires
        .iter()
        .filter(|l| !server.labels.contains(*l))
        .cloned()
        .collect();
    if !missing.is_empty() {
        judge.findings.push(Finding::new(
            FindingKind::MissingLabel {
                service: service.name.clone(),
                server: server.id.clone(),
                missing,
            },
            judge.at.placement(line),
        ));
    }
    if server.status != Status::Active {
        judge.findings.push(Finding::new(
            FindingKind::InactiveServer {
                service: service.name.clone(),
                server: server.id.clone(),
                status: server.status.as_str().to_string(),
                replicas: count,
            },
            judge.at.placement(line),
        ));
    }
}

/// Too few replicas up, or too many placed, for service `id`.
fn replica_counts(judge: &mut Judge, id: ServiceId) {
    let service = judge.services.service(id);
    let (up, placed) = (judge.index.up[id.index()], judge.index.placed[id.index()]);
    if up < service.min_replicas {
        judge.findings.push(Finding::new(
            FindingKind::TooFewReplicas {
                service: service.name.clone(),
                needed: service.min_replicas,
                up,
                placed,
            },
            judge.at.service(id),
        ));
    }
    if let Some(max) = service.max_replicas.filter(|max| placed > *max) {
        judge.findings.push(Finding::new(
            FindingKind::MaxReplicas {
                service: service.name.clone(),
                count: placed,
                max,
            },
            judge.at.service(id),
        ));
    }
}

/// Cores or memory reserved on server `s` beyond what it has.
fn server_capacity(judge: &mut Judge, s: ServerId) {
    let server = judge.inventory.server(s);
    let index = judge.index;
    if index.cpu_used[s.index()] > server.cpu + CAPACITY_TOLERANCE {
        judge.findings.push(Finding::new(
            FindingKind::CpuOverCapacity {
                server: server.id.clone(),
                used: index.cpu_used[s.index()],
                capacity: server.cpu,
            },
            judge.at.server(s),
        ));
    }
    if index.mem_used[s.index()] > server.mem_gb + CAPACITY_TOLERANCE {
        judge.findings.push(Finding::new(
            FindingKind::MemOverCapacity {
                server: server.id.clone(),
                used_gb: index.mem_used[s.index()],
                capacity_gb: server.mem_gb,
            },
            judge.at.server(s),
        ));
    }
}
