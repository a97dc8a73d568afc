//! How devices are wired to power: which feeds are mapped, which feeds or
//! PDUs each device draws from (its cabled power ports, else every feed of its
//! rack), traced up through PDUs to the feeds. A device with no way to power is
//! an error naming it.

use std::collections::{BTreeMap, BTreeSet};

use super::index::Index;
use super::naming::{device_label, Ids, Table};
use super::records::{Data, Device, PowerFeed, PowerPort};
use crate::inventory::{InputError, InputErrors, Location};

/// Where a PSU draws from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Parent {
    Feed(u64),
    Pdu(u64),
}

impl Parent {
    /// The id of the feed or PDU in the inventory.
    pub fn id(self, ids: &Ids) -> &str {
        match self {
            Parent::Feed(id) => ids.get(Table::PowerFeed, id),
            Parent::Pdu(id) => ids.get(Table::Device, id),
        }
    }
}

pub(super) struct Wiring<'a> {
    /// Feeds mapped (not planned), by NetBox id.
    pub feeds: BTreeMap<u64, &'a PowerFeed>,
    /// Mapped feeds of each rack.
    rack_feeds: BTreeMap<u64, Vec<u64>>,
    pub devices: BTreeMap<u64, &'a Device>,
    /// Devices with power outlets: PDUs.
    outlet_device: BTreeMap<u64, u64>,
    pub ports: BTreeMap<u64, Vec<&'a PowerPort>>,
    /// PDUs reached from a server, with their parents (None while being traced).
    pdus: BTreeMap<u64, Option<Vec<Parent>>>,
    pub uncabled: BTreeSet<u64>,
    errors: Vec<InputError>,
    at: Location,
}

impl<'a> Wiring<'a> {
    /// Every device and power port of `data`, and the feeds that are mapped:
    /// not planned, and on a panel of a known site.
    pub fn new(data: &'a Data, index: &Index, at: Location) -> Self {
        let mut wiring = Wiring {
            feeds: BTreeMap::new(),
            rack_feeds: BTreeMap::new(),
            devices: data.devices.iter().map(|d| (d.id, d)).collect(),
            outlet_device: data
                .power_outlets
                .iter()
                .map(|o| (o.id, o.device.id))
                .collect(),
            ports: BTreeMap::new(),
            pdus: BTreeMap::new(),
            uncabled: BTreeSet::new(),
            errors: Vec::new(),
            at,
        };
        for port in &data.power_ports {
            wiring.ports.entry(port.device.id).or_default().push(port);
        }
        for feed in &data.power_feeds {
            let status = feed.status.as_ref().map_or("active", |s| s.value.as_str());
            let panel_known = index
                .panels
                .get(&feed.power_panel.id)
                .is_some_and(|p| index.sites.contains_key(&p.site.id));
            if status == "planned" || !panel_known {
                continue;
            }
            wiring.feeds.insert(feed.id, feed);
            if let Some(rack) = &feed.rack {
                wiring.rack_feeds.entry(rack.id).or_default().push(feed.id);
            }
        }
        wiring
    }

    /// Devices with power outlets: PDUs, never servers.
    pub fn pdu_devices(&self) -> BTreeSet<u64> {
        self.outlet_device.values().copied().collect()
    }

    /// The power ports of a device, in NetBox's order.
    pub fn ports_of(&self, device: u64) -> Vec<&'a PowerPort> {
        self.ports.get(&device).cloned().unwrap_or_default()
    }

    /// The PDUs reached from a server and powered, with their parents.
    pub fn powered_pdus(&self) -> BTreeMap<u64, Vec<Parent>> {
        self.pdus
            .iter()
            .filter_map(|(&id, parents)| Some((id, parents.clone()?)))
            .collect()
    }

    /// The errors recorded while tracing, sorted, each once.
    pub fn check(&mut self) -> Result<(), InputErrors> {
        if self.errors.is_empty() {
            return Ok(());
        }
        let mut errors = std::mem::take(&mut self.errors);
        errors.sort_by(|a, b| a.message.cmp(&b.message));
        errors.dedup();
        Err(InputErrors(errors))
    }

    /// Where `device` draws from: the far ends of its cabled power ports, else
    /// every feed of its rack. Empty: no way to power it (an error is recorded).
    pub fn parents(&mut self, device: &'a Device) -> Vec<Parent> {
        let mut parents = BTreeSet::new();
        let mut cabled = false;
        let ports = self.ports_of(device.id);
        for port in ports {
            let Some(kind) = port.link_peers_type.as_deref() else {
                continue;
            };
            for peer in &port.link_peers {
                cabled = true;
                match kind {
                    "dcim.powerfeed" if self.feeds.contains_key(&peer.id) => {
                        parents.insert(Parent::Feed(peer.id));
                    }
                    "dcim.poweroutlet" => {
                        if let Some(&pdu) = self.outlet_device.get(&peer.id) {
                            if self.pdu(pdu) {
                                parents.insert(Parent::Pdu(pdu));
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        if !cabled {
            if let Some(rack) = &device.rack {
                if let Some(feeds) = self.rack_feeds.get(&rack.id) {
                    self.uncabled.insert(device.id);
                    parents.extend(feeds.iter().map(|&f| Parent::Feed(f)));
                }
            }
        }
        if parents.is_empty() {
            let why = if cabled {
                "its power ports are cabled, but not to a PDU outlet or power feed that is mapped (a planned feed, a PDU without power)"
            } else if device.rack.is_none() {
                "none of its power ports is cabled and it is in no rack"
            } else {
                "none of its power ports is cabled and no power feed names its rack"
            };
            self.errors.push(InputError::new(
                self.at.clone(),
                format!(
                    "device \"{}\" (NetBox id {}) has no way to power: {why}; cable a power port in NetBox, or set the rack of a power feed",
                    device_label(device),
                    device.id
                ),
            ));
        }
        parents.into_iter().collect()
    }

    /// Traces PDU `id` up to its feeds; whether it is powered.
    fn pdu(&mut self, id: u64) -> bool {
        match self.pdus.get(&id) {
            Some(Some(parents)) => return !parents.is_empty(),
            Some(None) => {
                self.errors.push(InputError::new(
                    self.at.clone(),
                    format!("PDU device {id} is fed, through its outlets, by itself: a cable loop"),
                ));
                return false;
            }
            None => {}
        }
        let Some(&device) = self.devices.get(&id) else {
            return false;
        };
        self.pdus.insert(id, None);
        let parents = self.parents(device);
        let powered = !parents.is_empty();
        self.pdus.insert(id, Some(parents));
        powered
    }
}
