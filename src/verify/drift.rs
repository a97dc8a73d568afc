//! `check --current`: where what runs differs from what was planned.

use crate::inventory::{Inventory, Location, Placement, ServerId, ServiceId, Services};

use super::findings::{Finding, FindingKind};

/// Where what runs (`running`) differs from what was planned, per service and
/// server: one finding each, at the running file's line when a replica runs
/// that the plan does not have, at the plan's line for the reverse.
pub fn drift(
    services: &Services,
    inventory: &Inventory,
    running: &Placement,
    planned: &Placement,
) -> Vec<Finding> {
    let mut per: std::collections::BTreeMap<(ServiceId, ServerId), [(u32, usize); 2]> =
        Default::default();
    for (side, placement) in [running, planned].into_iter().enumerate() {
        for r in &placement.replicas {
            let entry = per
                .entry((r.service, r.server))
                .or_insert([(0, usize::MAX); 2]);
            entry[side].0 += 1;
            entry[side].1 = entry[side].1.min(r.line);
        }
    }
    per.into_iter()
        .filter(|(_, [r, p])| r.0 != p.0)
        .map(|((service, server), [r, p])| {
            let (file, line) = if r.0 > p.0 {
                (running, r.1)
            } else {
                (planned, p.1)
            };
            let location = file
                .file
                .as_ref()
                .filter(|_| line > 0 && line != usize::MAX)
                .map(|f| Location::at(f, line, None));
            Finding::new(
                FindingKind::Drift {
                    service: services.service(service).name.clone(),
                    server: inventory.server(server).id.clone(),
                    running: r.0,
                    planned: p.0,
                },
                location,
            )
        })
        .collect()
}
