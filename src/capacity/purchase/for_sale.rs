//! Every server that could be bought, as servers "for sale" in a copy of
//! the inventory, for the purchase models (class_model.rs).
//!
//! Why every wiring of a rack stays for sale (and not one per rack, which
//! would make the model smaller): wirings differ in which power components
//! carry the new server's draw (a single-fed server loads one side, a
//! dual-fed one both, and only the latter survives losing a side), so no
//! wiring dominates another and dropping one could lose the cheapest
//! purchase, and with it the bound's meaning.

use super::candidates::{catalog_server, RackSpace};
use super::class_model::ForSale;
use crate::capacity::error::CapacityError;
use crate::inventory::{Catalog, Inventory, Server, ServerId};

/// Prefix of the ids of servers for sale in the inventory copy: never written.
const FOR_SALE: &str = "\u{1}for-sale";

/// Every server that could be bought, in a copy of the inventory, with the
/// model's view of them.
pub(super) struct ForSaleInventory {
    /// The inventory with every server for sale after the servers owned.
    pub inventory: Inventory,
    /// The model's view of each server for sale: price, the limits it uses.
    pub for_sale: Vec<ForSale>,
    /// The limits: one per rack (free units), then one per model with
    /// max_count.
    pub limits: Vec<f64>,
    /// Each server for sale's catalog model.
    pub origin: Vec<usize>,
}

/// Every server that could be bought, in a copy of the inventory (see
/// [`ForSaleInventory`]); an error when one's id is taken.
pub(super) fn for_sale(
    inventory: &Inventory,
    catalog: &Catalog,
    racks: &[RackSpace],
) -> Result<ForSaleInventory, CapacityError> {
    let mut limits: Vec<f64> = racks.iter().map(|r| f64::from(r.free)).collect();
    let model_limit: Vec<Option<usize>> = catalog
        .models
        .iter()
        .map(|m| {
            m.max_count.map(|n| {
                limits.push(f64::from(n));
                limits.len() - 1
            })
        })
        .collect();
    let mut for_sale_servers = Vec::new();
    let mut for_sale = Vec::new();
    let mut origin = Vec::new();
    let owned = inventory.servers.len();
    for rack in inventory.rack_ids() {
        let space = &racks[rack.index()];
        for (m, model) in catalog.models.iter().enumerate() {
            let mut count = space.free / model.u_height;
            if let Some(max) = model.max_count {
                count = count.min(max);
            }
            for (w, psu) in space.wirings.iter().enumerate() {
                for i in 0..count {
                    let mut labels = model.labels.clone();
                    // Keeps each (model, wiring) a class of its own, apart
                    // from identical servers already owned.
                    labels.insert(format!("{FOR_SALE}:{}", model.model));
                    for_sale_servers.push(Server {
                        id: format!(
                            "{FOR_SALE}:{}:{}:{w}:{i}",
                            inventory.rack(rack).id,
                            model.model
                        ),
                        labels,
                        ..catalog_server(model, rack, psu.clone())
                    });
                    origin.push(m);
                    let mut uses = vec![(rack.index(), f64::from(model.u_height))];
                    uses.extend(model_limit[m].map(|l| (l, 1.0)));
                    for_sale.push(ForSale {
                        server: ServerId((owned + for_sale.len()) as u32),
                        price: model.price,
                        uses,
                    });
                }
            }
        }
    }
    let inventory = inventory
        .with_servers(for_sale_servers)
        .map_err(|_| CapacityError::ForSaleIdTaken)?;
    Ok(ForSaleInventory {
        inventory,
        for_sale,
        limits,
        origin,
    })
}
