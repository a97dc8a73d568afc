//! `faultplan simulate`: what an ad-hoc failure does to every service and
//! power component.

use std::path::Path;

use faultplan::inventory::{Component, InputError, Inventory, Location, Placement};
use faultplan::report;
use faultplan::verify;

use super::args::{DataFormat, SimulateArgs};
use super::exit::Failure;
use super::io::{load, print, print_human, width};

pub(super) fn run(args: SimulateArgs) -> Result<(), Failure> {
    let (inventory, services) = load(&args.inventory, &args.common)?;
    let placement = Placement::load(&args.placement, &inventory, &services)?;
    let failed = components(&inventory, &args.fail)?;
    let simulation = verify::simulate(&inventory, &services, &placement, &failed);
    let width = width(&args.layout);
    match args.format {
        DataFormat::Human => print_human(&report::simulate_human(&simulation, width), width),
        DataFormat::Json => print(&report::simulate_json(&simulation)),
    }?;
    if simulation.passed() {
        Ok(())
    } else {
        Err(Failure::Violated)
    }
}

/// The components named by --fail, every unknown id reported at once.
fn components(inventory: &Inventory, fail: &[String]) -> Result<Vec<Component>, Failure> {
    let mut failed: Vec<Component> = Vec::new();
    let mut errors = Vec::new();
    for id in fail {
        match inventory.lookup(id) {
            Some(component) => failed.push(component),
            None => errors.push(InputError::new(
                Location::file(Path::new("--fail")),
                format!("unknown id \"{id}\": expected a datacenter, rack, server or power component id"),
            )),
        }
    }
    if !errors.is_empty() {
        return Err(errors.into());
    }
    Ok(failed)
}
