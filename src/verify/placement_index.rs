//! A placement indexed for scenario evaluation: replicas up per server and
//! per service, cores, memory and power drawn per server.

use crate::inventory::{Inventory, Placement, ServerId, ServiceId, Services, Status};

/// A placement indexed for scenario evaluation.
pub struct PlacementIndex {
    /// Per server: (service, replicas that count as up with nothing failed).
    pub up_on_server: Vec<Vec<(ServiceId, u32)>>,
    /// Per service: replicas up with nothing failed.
    pub up: Vec<u32>,
    pub placed: Vec<u32>,
    pub cpu_used: Vec<f64>,
    pub mem_used: Vec<f64>,
    /// Per server, watts drawn with this placement.
    pub draw_w: Vec<f64>,
}

impl PlacementIndex {
    pub fn new(inventory: &Inventory, services: &Services, placement: &Placement) -> Self {
        let mut up_on_server: Vec<Vec<(ServiceId, u32)>> =
            vec![Vec::new(); inventory.servers.len()];
        let mut up = vec![0; services.services.len()];
        let mut placed = vec![0; services.services.len()];
        let mut cpu_used = vec![0.0; inventory.servers.len()];
        let mut mem_used = vec![0.0; inventory.servers.len()];
        for replica in &placement.replicas {
            let service = services.service(replica.service);
            let server = inventory.server(replica.server);
            placed[replica.service.index()] += 1;
            cpu_used[replica.server.index()] += service.cpu;
            mem_used[replica.server.index()] += service.mem_gb;
            if server.status == Status::Active && server.has_labels(&service.requires) {
                up[replica.service.index()] += 1;
                let slot = &mut up_on_server[replica.server.index()];
                match slot.iter_mut().find(|(s, _)| *s == replica.service) {
                    Some((_, n)) => *n += 1,
                    None => slot.push((replica.service, 1)),
                }
            }
        }
        let draw_w = inventory
            .server_ids()
            .map(|s| inventory.server(s).draw_w(cpu_used[s.index()]))
            .collect();
        PlacementIndex {
            up_on_server,
            up,
            placed,
            cpu_used,
            mem_used,
            draw_w,
        }
    }

    /// Replicas of each service lost when `down` servers are down, as
    /// (service, replicas lost) sorted by service.
    pub fn lost(&self, down: &[ServerId]) -> Vec<(ServiceId, u32)> {
        let mut lost: Vec<(ServiceId, u32)> = down
            .iter()
            .flat_map(|s| self.up_on_server[s.index()].iter().copied())
            .collect();
        lost.sort_unstable();
        lost.dedup_by(|b, a| {
            let same = a.0 == b.0;
            if same {
                a.1 += b.1;
            }
            same
        });
        lost
    }

    /// Takes the replicas on `down` servers out of the index: down with
    /// nothing else failed, they count as lost in no scenario.
    pub(super) fn take_down(&mut self, down: &[ServerId]) {
        for s in down {
            for (service, n) in std::mem::take(&mut self.up_on_server[s.index()]) {
                self.up[service.index()] -= n;
            }
        }
    }
}
