//! The mapping: NetBox's records → the four inventory files, one mapper per
//! kind of NetBox object, in the order that each needs the one before.

use std::path::Path;

use super::index::Index;
use super::naming::{device_label, Ids};
use super::options::Options;
use super::power::Power;
use super::records::Data;
use super::servers::{self, Mapped};
use super::summary::Summary;
use super::wiring::Wiring;
use super::{racks, sites};
use crate::import::files::InventoryFiles;
use crate::inventory::{InputErrors, Location};

/// The outcome of a mapping: the inventory files and the summary.
#[derive(Debug, Clone)]
pub struct Imported {
    pub files: InventoryFiles,
    pub summary: Summary,
}

/// Maps NetBox's records to an inventory. Errors (a device with no way to
/// power) name the device; nothing is written by this function.
pub fn map(data: &Data, options: &Options, origin: &str) -> Result<Imported, InputErrors> {
    let mut summary = Summary::default();
    let index = Index::new(data);
    let mut wiring = Wiring::new(data, &index, Location::file(Path::new(origin)));
    // Servers first: they decide which PDUs are reached.
    let servers = servers::pick(data, &index, options, &mut wiring, &mut summary);
    wiring.check()?;
    let power = Power::new(&wiring);
    let ids = assign_ids(&index, &power, &servers);
    let files = InventoryFiles(vec![
        (
            "datacenters.csv",
            sites::datacenters_csv(&ids, &index, &mut summary),
        ),
        ("racks.csv", racks::racks_csv(&ids, &index, &mut summary)),
        ("power.csv", power.csv(&ids, &index, &mut summary)),
        (
            "servers.csv",
            servers::servers_csv(&ids, &servers, &mut summary),
        ),
    ]);
    finish(&mut summary, &wiring);
    Ok(Imported { files, summary })
}

/// Ids: every mapped object's readable base, then made unique.
fn assign_ids(index: &Index, power: &Power, servers: &[Mapped]) -> Ids {
    let mut ids = Ids::default();
    sites::want_ids(&mut ids, index);
    racks::want_ids(&mut ids, index);
    power.want_feed_and_panel_ids(&mut ids, index);
    power.want_pdu_ids(&mut ids, index);
    servers::want_ids(&mut ids, index, servers);
    ids.assign();
    ids
}

/// The summary's lists, sorted so that they do not depend on NetBox's order.
fn finish(summary: &mut Summary, wiring: &Wiring) {
    summary.uncabled = wiring
        .uncabled
        .iter()
        .map(|id| device_label(wiring.devices[id]))
        .collect();
    for devices in summary.skipped.values_mut() {
        devices.sort();
    }
    summary.uncabled.sort();
}

#[cfg(test)]
mod tests {
    use super::super::records::{Rack, Ref, Site};
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    fn reference(id: u64, name: &str) -> Ref {
        Ref {
            id,
            name: Some(name.to_string()),
            slug: Some(name.to_string()),
        }
    }

    /// Sites `s0`, `s1` and racks named from a small alphabet, so that names
    /// repeat within and across sites (and `s0/x` style names collide with
    /// what another rack's id would be).
    fn fleet(racks: &[(u64, String)]) -> Data {
        Data {
            sites: (0..2)
                .map(|i| Site {
                    id: i,
                    name: format!("Site {i}"),
                    slug: format!("s{i}"),
                    region: None,
                })
                .collect(),
            racks: racks
                .iter()
                .enumerate()
                .map(|(i, (site, name))| Rack {
                    id: 100 + i as u64,
                    name: name.clone(),
                    site: reference(*site, &format!("s{site}")),
                    location: None,
                    u_height: None,
                })
                .collect(),
            ..Data::default()
        }
    }

    fn rack_ids(data: &Data) -> (Vec<String>, String) {
        let imported = map(data, &Options::default(), "test").unwrap();
        let racks = imported.files.0[1].1.clone();
        let ids = racks
            .lines()
            .skip(1)
            .map(|l| l.split(',').next().unwrap().to_string())
            .collect();
        (ids, racks)
    }

    proptest! {
        #[test]
        fn rack_ids_are_unique_and_do_not_depend_on_netbox_order(
            racks in proptest::collection::vec((0u64..2, "[ab;/ ]{1,3}"), 1..12),
            seed in any::<u64>(),
        ) {
            let data = fleet(&racks);
            let (ids, bytes) = rack_ids(&data);
            let distinct: BTreeSet<&String> = ids.iter().collect();
            prop_assert_eq!(distinct.len(), racks.len(), "{:?}", ids);
            prop_assert!(ids.iter().all(|id| !id.contains(';') && id.trim() == id));
            // The same records listed in another order: the same bytes.
            let mut shuffled = data.clone();
            let n = shuffled.racks.len();
            for i in (1..n).rev() {
                shuffled.racks.swap(i, (seed.wrapping_mul(i as u64 + 7) % (i as u64 + 1)) as usize);
            }
            prop_assert_eq!(rack_ids(&shuffled).1, bytes);
        }
    }
}
