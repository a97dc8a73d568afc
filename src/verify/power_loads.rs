//! Power loads: each component's load with nothing failed and in the scenario
//! that loads it most, and the most load that could ever reach it.

use crate::inventory::{Inventory, Placement, PowerId, ServerId, Services};
use crate::scenarios::{LoadSearch, ScenarioSet, WorstLoad};
use crate::topology::{Impact, LoadModel, Topology};

use super::options::{CheckOptions, LOAD_TOLERANCE_W};
use super::placement_index::PlacementIndex;

/// One power component's load with nothing failed and in the scenario that
/// loads it most, over every scenario `check` evaluates for power.
#[derive(Debug, Clone, PartialEq)]
pub struct PowerStatus {
    pub component: PowerId,
    pub normal_w: f64,
    pub worst_w: f64,
    /// None when no scenario puts more on it than normal operation.
    pub worst_scenario: Option<String>,
    /// False when a `power:P%` search hit its limit: `worst_w` is then the
    /// best that was found or proven (a bound), not a proven worst case.
    pub exact: bool,
}

/// Every power component's normal and worst-case load for `placement`, by the
/// same scenarios, load model and family searches as [`check`](fn@super::check::check); the worst of
/// a searched family is searched for, not only whether it breaks the limit.
pub fn power_status(
    inventory: &Inventory,
    services: &Services,
    placement: &Placement,
    options: CheckOptions,
) -> Vec<PowerStatus> {
    let topology = Topology::new(inventory);
    let index = PlacementIndex::new(inventory, services, placement);
    let words = services.all_words();
    let set = ScenarioSet::expand(inventory, &words, options.enumeration_limit);
    let model = LoadModel::new(&topology, &index.draw_w);
    let normal = model.loads(&Impact::default());
    let mut status: Vec<PowerStatus> = inventory
        .power_ids()
        .map(|p| PowerStatus {
            component: p,
            normal_w: normal[p.index()],
            worst_w: normal[p.index()],
            worst_scenario: None,
            exact: true,
        })
        .collect();
    let raise = |s: &mut PowerStatus, load_w: f64, scenario: String, exact: bool| {
        if load_w > s.worst_w + LOAD_TOLERANCE_W {
            s.worst_w = load_w;
            s.worst_scenario = Some(scenario);
            s.exact = exact;
        }
    };
    for scenario in &set.scenarios {
        let impact = topology.impact(&scenario.failed);
        // As in `check`: with no power off, no load can exceed normal operation's.
        if impact.unpowered.is_empty() {
            continue;
        }
        let load = model.loads(&impact);
        for s in &mut status {
            raise(s, load[s.component.index()], scenario.name.clone(), true);
        }
    }
    let mut reachable: Option<Vec<f64>> = None;
    for family in &set.families {
        let word = &words[family.word];
        let search = family.search(&topology);
        if search.limit().is_some() {
            let bound =
                reachable.get_or_insert_with(|| reachable_load_bound(&topology, &index.draw_w));
            let name = format!("{word} in {} (bound)", inventory.dc(family.datacenter).id);
            for s in &mut status {
                raise(s, bound[s.component.index()], name.clone(), false);
            }
            continue;
        }
        let loads = LoadSearch::new(&search, &model);
        for p in loads.targets() {
            let s = &mut status[p.index()];
            match loads.worst_load(p, s.worst_w + LOAD_TOLERANCE_W) {
                WorstLoad::AtMost => {}
                WorstLoad::Found { load_w, set, exact } => {
                    let names: Vec<&str> = set
                        .iter()
                        .map(|p| inventory.power(*p).id.as_str())
                        .collect();
                    raise(s, load_w, format!("{word} {}", names.join("+")), exact);
                }
                WorstLoad::Unproven { bound_w, .. } => {
                    raise(s, bound_w, format!("{word} (bound)"), false);
                }
            }
        }
    }
    status
}

/// For each power component, the most load that could ever reach it: every
/// server with a path to it drawing its whole draw through it.
pub(super) fn reachable_load_bound(topology: &Topology, draw_w: &[f64]) -> Vec<f64> {
    let inventory = topology.inventory;
    let mut bound = vec![0.0; inventory.power.len()];
    // Servers reaching a component = those on it or on any descendant, each
    // counted once: children first, passing the set up to every parent.
    let mut reaches: Vec<std::collections::BTreeSet<ServerId>> =
        vec![Default::default(); inventory.power.len()];
    for &p in inventory.power_order.iter().rev() {
        let mut here = std::mem::take(&mut reaches[p.index()]);
        here.extend(topology.servers_on(p).iter().copied());
        for parent in &inventory.power(p).feeds_from {
            reaches[parent.index()].extend(here.iter().copied());
        }
        bound[p.index()] = here.iter().map(|s| draw_w[s.index()]).sum();
    }
    bound
}
