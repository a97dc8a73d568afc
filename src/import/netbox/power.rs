//! Power panels, power feeds and PDUs → power.csv: a panel for every panel
//! that feeds a mapped feed, every mapped feed, and every PDU a server reaches.

use std::collections::BTreeMap;

use super::cells::{num, write_csv};
use super::index::Index;
use super::naming::{clean, Ids, Table};
use super::records::PowerFeed;
use super::summary::Summary;
use super::wiring::{Parent, Wiring};

/// A feed's rated power: V × A, × √3 for three-phase (line-to-line voltage);
/// DC feeds may carry a negative voltage in NetBox.
fn feed_capacity(feed: &PowerFeed) -> f64 {
    let va = feed.voltage.abs() * feed.amperage;
    match feed.phase.as_ref().map(|p| p.value.as_str()) {
        Some("three-phase") => va * 3f64.sqrt(),
        _ => va,
    }
}

/// What power.csv holds, once every server is wired.
pub(super) struct Power<'w, 'a> {
    wiring: &'w Wiring<'a>,
    /// Panels that feed a mapped feed, with those feeds.
    panels: BTreeMap<u64, Vec<u64>>,
    /// PDUs reached from a server and powered, with their parents.
    pdus: BTreeMap<u64, Vec<Parent>>,
}

impl<'w, 'a> Power<'w, 'a> {
    pub fn new(wiring: &'w Wiring<'a>) -> Self {
        let mut panels: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
        for feed in wiring.feeds.values() {
            panels.entry(feed.power_panel.id).or_default().push(feed.id);
        }
        Power {
            wiring,
            panels,
            pdus: wiring.powered_pdus(),
        }
    }

    /// Feeds are named after their site and panel, panels after their site.
    pub fn want_feed_and_panel_ids(&self, ids: &mut Ids, index: &Index) {
        for feed in self.wiring.feeds.values() {
            let panel = index.panels[&feed.power_panel.id];
            ids.want(
                Table::PowerFeed,
                feed.id,
                format!(
                    "{}/{}/{}",
                    index.site_slug(panel.site.id),
                    clean(&panel.name),
                    clean(&feed.name)
                ),
            );
        }
        for &panel in self.panels.keys() {
            let panel = index.panels[&panel];
            ids.want(
                Table::PowerPanel,
                panel.id,
                format!("{}/{}", index.site_slug(panel.site.id), clean(&panel.name)),
            );
        }
    }

    /// PDUs are devices: named as servers are.
    pub fn want_pdu_ids(&self, ids: &mut Ids, index: &Index) {
        for &pdu in self.pdus.keys() {
            ids.want(
                Table::Device,
                pdu,
                index.device_base(self.wiring.devices[&pdu]),
            );
        }
    }

    /// power.csv: panels, then feeds, then PDUs, counted by kind in `summary`.
    pub fn csv(&self, ids: &Ids, index: &Index, summary: &mut Summary) -> String {
        let mut rows = Vec::new();
        let mut count = |kind: &'static str| *summary.power.entry(kind).or_default() += 1;
        self.panel_rows(ids, index, &mut rows, &mut count);
        self.feed_rows(ids, index, &mut rows, &mut count);
        self.pdu_rows(ids, &mut rows, &mut count);
        write_csv(
            &[
                "id",
                "datacenter",
                "kind",
                "feeds_from",
                "capacity_w",
                "max_utilization",
                "netbox_id",
                "netbox_name",
            ],
            rows,
        )
    }

    /// A panel is rated at the sum of its mapped feeds.
    fn panel_rows(
        &self,
        ids: &Ids,
        index: &Index,
        rows: &mut Vec<Vec<String>>,
        count: &mut impl FnMut(&'static str),
    ) {
        for (&panel, feeds) in &self.panels {
            let panel = index.panels[&panel];
            let capacity: f64 = feeds
                .iter()
                .map(|f| feed_capacity(self.wiring.feeds[f]))
                .sum();
            rows.push(vec![
                ids.get(Table::PowerPanel, panel.id).to_string(),
                ids.get(Table::Site, panel.site.id).to_string(),
                "panel".into(),
                String::new(),
                num(capacity),
                "1".into(),
                panel.id.to_string(),
                panel.name.clone(),
            ]);
            count("panel");
        }
    }

    fn feed_rows(
        &self,
        ids: &Ids,
        index: &Index,
        rows: &mut Vec<Vec<String>>,
        count: &mut impl FnMut(&'static str),
    ) {
        for feed in self.wiring.feeds.values() {
            let panel = index.panels[&feed.power_panel.id];
            rows.push(vec![
                ids.get(Table::PowerFeed, feed.id).to_string(),
                ids.get(Table::Site, panel.site.id).to_string(),
                "feed".into(),
                ids.get(Table::PowerPanel, panel.id).to_string(),
                num(feed_capacity(feed)),
                num(feed.max_utilization / 100.0),
                feed.id.to_string(),
                feed.name.clone(),
            ]);
            count("feed");
        }
    }

    fn pdu_rows(
        &self,
        ids: &Ids,
        rows: &mut Vec<Vec<String>>,
        count: &mut impl FnMut(&'static str),
    ) {
        for (&pdu, parents) in &self.pdus {
            let device = self.wiring.devices[&pdu];
            let capacity = self.pdu_capacity(pdu);
            rows.push(vec![
                ids.get(Table::Device, pdu).to_string(),
                ids.get(Table::Site, device.site.id).to_string(),
                "pdu".into(),
                parents
                    .iter()
                    .map(|p| p.id(ids))
                    .collect::<Vec<_>>()
                    .join(";"),
                num(capacity),
                "1".into(),
                pdu.to_string(),
                device.name.clone().unwrap_or_default(),
            ]);
            count("pdu");
        }
    }

    /// A PDU's rating: its input ports' maximum draw when NetBox has it for every
    /// input; else it limits nothing beyond what feeds it (the largest continuous
    /// limit of its parents).
    fn pdu_capacity(&self, pdu: u64) -> f64 {
        let ports = self.wiring.ports_of(pdu);
        let rated = ports
            .iter()
            .map(|p| p.maximum_draw)
            .collect::<Option<Vec<f64>>>()
            .filter(|d| !d.is_empty());
        if let Some(draws) = rated {
            return draws.iter().sum();
        }
        // Parents are traced before children and loops were rejected, so this ends.
        self.pdus[&pdu]
            .iter()
            .map(|p| match *p {
                Parent::Feed(f) => {
                    let feed = self.wiring.feeds[&f];
                    feed_capacity(feed) * feed.max_utilization / 100.0
                }
                Parent::Pdu(parent) => self.pdu_capacity(parent),
            })
            .fold(0.0, f64::max)
    }
}
