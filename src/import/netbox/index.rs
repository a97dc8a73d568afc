//! NetBox's records by NetBox id, as every mapper looks them up; racks only
//! where their site is known.

use std::collections::BTreeMap;

use super::naming::{clean, device_name};
use super::records::{Data, Device, DeviceType, NbLocation, PowerPanel, Rack, Site};

pub(super) struct Index<'a> {
    pub sites: BTreeMap<u64, &'a Site>,
    pub locations: BTreeMap<u64, &'a NbLocation>,
    pub device_types: BTreeMap<u64, &'a DeviceType>,
    pub panels: BTreeMap<u64, &'a PowerPanel>,
    pub racks: BTreeMap<u64, &'a Rack>,
}

impl<'a> Index<'a> {
    pub fn new(data: &'a Data) -> Self {
        let sites: BTreeMap<u64, &Site> = data.sites.iter().map(|s| (s.id, s)).collect();
        let racks = data
            .racks
            .iter()
            .filter(|r| sites.contains_key(&r.site.id))
            .map(|r| (r.id, r))
            .collect();
        Index {
            locations: data.locations.iter().map(|l| (l.id, l)).collect(),
            device_types: data.device_types.iter().map(|t| (t.id, t)).collect(),
            panels: data.power_panels.iter().map(|p| (p.id, p)).collect(),
            sites,
            racks,
        }
    }

    /// A site's slug made fit for the start of an id.
    pub fn site_slug(&self, site: u64) -> String {
        clean(&self.sites[&site].slug)
    }

    /// A device's id before it is made unique: its site, then its name (or
    /// NetBox's id when it has none).
    pub fn device_base(&self, device: &Device) -> String {
        let name = device_name(device).unwrap_or_else(|| format!("device-{}", device.id));
        format!("{}/{name}", self.site_slug(device.site.id))
    }
}
