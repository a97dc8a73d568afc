//! `check`: every guarantee of FORMATS.md for a placement, with nothing
//! failed and in every scenario of every survive word, optionally while a
//! maintenance window is down. Each step is a file of its own.

use crate::inventory::{Component, Inventory, Placement, Services};
use crate::scenarios::ScenarioSet;
use crate::topology::{LoadModel, Topology};

use super::families;
use super::findings::Report;
use super::judge::Judge;
use super::listed;
use super::normal::normal_operation;
use super::options::CheckOptions;
use super::placement_index::PlacementIndex;
use super::statuses;

/// Checks every guarantee of FORMATS.md for `placement`.
pub fn check(
    inventory: &Inventory,
    services: &Services,
    placement: &Placement,
    options: CheckOptions,
) -> Report {
    check_during(inventory, services, placement, options, &[])
}

/// [`check`] while `window` is down for maintenance: with nothing else
/// failed, and with every scenario of every survive word failing on top of
/// it (the rule of `faultplan maintenance`).
pub fn check_during(
    inventory: &Inventory,
    services: &Services,
    placement: &Placement,
    options: CheckOptions,
    window: &[Component],
) -> Report {
    let topology = Topology::during(inventory, window);
    let mut index = PlacementIndex::new(inventory, services, placement);
    // Replicas on servers the window takes down are down with nothing else
    // failed: taken out of the index, they count as lost in no scenario.
    let base = topology.impact(&[]);
    index.take_down(&base.down);
    let words = services.all_words();
    let set = ScenarioSet::expand(inventory, &words, options.enumeration_limit);
    let load_model = LoadModel::new(&topology, &index.draw_w);
    let mut judge = Judge::new(
        services,
        placement,
        &topology,
        &index,
        &load_model,
        &set,
        &base,
    );

    normal_operation(&mut judge);
    judge.normal_power_overloads();
    for scenario in &set.scenarios {
        listed::judge_scenario(&mut judge, scenario);
    }
    for family in &set.families {
        families::judge_family(&mut judge, family);
    }
    families::vacuous_words(&mut judge, &set);
    statuses::report(judge, &set)
}
