//! Sites → datacenters.csv: one datacenter per site, named by its slug.

use super::cells::write_csv;
use super::index::Index;
use super::naming::{clean, Ids, Table};
use super::summary::Summary;

pub(super) fn want_ids(ids: &mut Ids, index: &Index) {
    for site in index.sites.values() {
        ids.want(Table::Site, site.id, clean(&site.slug));
    }
}

/// datacenters.csv, counted in `summary`.
pub(super) fn datacenters_csv(ids: &Ids, index: &Index, summary: &mut Summary) -> String {
    let rows: Vec<Vec<String>> = index
        .sites
        .values()
        .map(|site| {
            vec![
                ids.get(Table::Site, site.id).to_string(),
                site.name.clone(),
                site.region
                    .as_ref()
                    .and_then(|r| r.name.clone())
                    .unwrap_or_default(),
                site.id.to_string(),
            ]
        })
        .collect();
    summary.datacenters = rows.len();
    write_csv(&["id", "name", "region", "netbox_id"], rows)
}
