//! `power:P%` families too large to list enter the model lazily, one worst
//! set at a time, for the services a candidate breaks and the components it
//! overloads.

use super::model::Model;
use crate::inventory::{Component, Placement, PowerId, ServerId, ServiceId};
use crate::scenarios::ScenarioSet;
use crate::topology::Topology;
use crate::verify;

/// A `power:P%` set added to the model lazily: a failure set for one service,
/// or (None) a scenario whose power limits bind.
pub(super) type Lazy = (Option<ServiceId>, Vec<Component>, String);

/// `power:P%` families too large to list enter the model lazily: for each
/// family, each service's worst set when it breaks the service in this
/// placement, and each component's worst set when it overloads it (both
/// found exactly by the family's search). True when the model gained a limit.
pub(super) fn add_violated_families(
    model: &mut Model,
    set: &ScenarioSet,
    placement: &Placement,
    lazy: &mut Vec<Lazy>,
) -> bool {
    if set.families.is_empty() {
        return false;
    }
    let inventory = model.inventory;
    let services = model.services;
    let topology = Topology::new(inventory);
    let draw_w = verify::PlacementIndex::new(inventory, services, placement).draw_w;
    let loads = crate::topology::LoadModel::new(&topology, &draw_w);
    let mut added = false;
    for family in &set.families {
        let search = family.search(&topology);
        let failed = |members: &[PowerId]| -> (Vec<Component>, String) {
            let names: Vec<&str> = members
                .iter()
                .map(|p| inventory.power(*p).id.as_str())
                .collect();
            (
                members.iter().map(|p| Component::Power(*p)).collect(),
                format!("{} {}", set.words[family.word], names.join("+")),
            )
        };
        let word = &set.words[family.word];
        for id in services
            .ids()
            .filter(|id| services.service(*id).survive.contains(word))
        {
            let on: Vec<ServerId> = placement
                .replicas
                .iter()
                .filter(|r| r.service == id)
                .map(|r| r.server)
                .collect();
            let (lost, worst) = search.worst_replica_loss(&on);
            let needed = services.service(id).min_replicas;
            if (on.len() as u64).saturating_sub(lost) < u64::from(needed) {
                let (components, name) = failed(&worst);
                if model.add_survival(id, &components, &name) {
                    lazy.push((Some(id), components, name));
                    added = true;
                }
            }
        }
        let load_search = crate::scenarios::LoadSearch::new(&search, &loads);
        let targets: Vec<PowerId> = load_search.targets().collect();
        for p in targets {
            let limit = inventory.power(p).limit_w();
            if let crate::scenarios::WorstLoad::Found { set: worst, .. } =
                load_search.worst_load(p, limit + 1e-6)
            {
                let (components, name) = failed(&worst);
                if model.add_power_scenario(&components, &name) {
                    lazy.push((None, components, name));
                    added = true;
                }
            }
        }
    }
    added
}
