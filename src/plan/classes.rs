//! Interchangeable servers: same rack, same power wiring, same shape and labels,
//! and down in exactly the same scenarios (a `server` word or a custom scenario
//! that fails one of two otherwise identical servers splits them). They go down
//! together in every scenario and draw the same power for the same cpu, so the
//! model can count replicas per class instead of per server; only packing the
//! count onto the class's servers is left, done after the solve.

use std::collections::BTreeMap;

use crate::inventory::{Inventory, PowerId, RackId, ServerId, Status};

#[derive(Debug, Clone)]
pub struct Class {
    pub servers: Vec<ServerId>,
    pub rack: RackId,
    pub psu: Vec<PowerId>,
    pub cpu: f64,
    pub mem_gb: f64,
    pub idle_w: f64,
    pub max_w: f64,
}

impl Class {
    pub fn size(&self) -> f64 {
        self.servers.len() as f64
    }

    /// Watts per reserved core on one server of the class.
    pub fn slope_w(&self) -> f64 {
        if self.cpu > 0.0 {
            (self.max_w - self.idle_w) / self.cpu
        } else {
            0.0
        }
    }
}

/// Groups the active servers into classes. `down_in[server]` lists the
/// scenarios that take the server down; `split` names servers that must be
/// classes of their own (after a class could not be packed).
pub fn classes(inventory: &Inventory, down_in: &[Vec<u32>], split: &[ServerId]) -> Vec<Class> {
    type Key<'a> = (
        RackId,
        &'a [PowerId],
        [u64; 4],
        Vec<&'a str>,
        &'a [u32],
        Option<ServerId>,
    );
    let mut groups: BTreeMap<Key, Vec<ServerId>> = BTreeMap::new();
    for s in inventory.server_ids() {
        let server = inventory.server(s);
        if server.status != Status::Active {
            continue;
        }
        let shape = [server.cpu, server.mem_gb, server.idle_w, server.max_w].map(f64::to_bits);
        let alone = split.binary_search(&s).is_ok().then_some(s);
        let key = (
            server.rack,
            server.psu.as_slice(),
            shape,
            server.labels.iter().map(String::as_str).collect(),
            down_in[s.index()].as_slice(),
            alone,
        );
        groups.entry(key).or_default().push(s);
    }
    groups
        .into_values()
        .map(|servers| {
            let first = inventory.server(servers[0]);
            Class {
                rack: first.rack,
                psu: first.psu.clone(),
                cpu: first.cpu,
                mem_gb: first.mem_gb,
                idle_w: first.idle_w,
                max_w: first.max_w,
                servers,
            }
        })
        .collect()
}
