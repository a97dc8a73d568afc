//! `faultplan maintenance`: which racks and power components can be taken
//! down now, and the changes that would make each unsafe window safe.

use std::path::Path;

use faultplan::inventory::{Component, InputError, Inventory, Location, Placement};
use faultplan::maintenance::Rule;
use faultplan::plan::PlanOptions;
use faultplan::report;

use super::args::{DataFormat, MaintenanceArgs, RuleArg};
use super::exit::Failure;
use super::io::{load, print, print_human, width};
use super::progress::Progress;

pub(super) fn run(args: MaintenanceArgs) -> Result<(), Failure> {
    let rule = match args.rule {
        RuleArg::Guarantees => Rule::Guarantees,
        RuleArg::Alone => Rule::Alone,
    };
    let fix_seconds = (!args.no_fix).then_some(args.time_limit);
    let (inventory, services) = load(&args.inventory, &args.common)?;
    let placement = Placement::load(&args.placement, &inventory, &services)?;
    let components = components(&inventory, &args.component)?;
    let options = fix_seconds.map(|seconds| PlanOptions {
        time_limit: Some(seconds),
        ..PlanOptions::default()
    });
    let progress = Progress::start("maintenance", args.format, args.quiet);
    let total = components.len();
    let verdicts = faultplan::maintenance::maintenance(
        &inventory,
        &services,
        &placement,
        &components,
        rule,
        options.as_ref(),
        &mut |done| progress.say(format!("{done} of {total} windows judged")),
    );
    progress.clear();
    let width = width(&args.layout);
    match args.format {
        DataFormat::Human => print_human(
            &report::maintenance_human(&verdicts, &inventory, rule, width),
            width,
        ),
        DataFormat::Json => print(&report::maintenance_json(
            &verdicts, &inventory, &services, rule,
        )),
    }?;
    if verdicts.iter().all(|v| v.safe()) {
        Ok(())
    } else {
        Err(Failure::Violated)
    }
}

/// The windows to judge: every rack and power component, or those named by
/// --component (every id that is neither reported at once).
fn components(inventory: &Inventory, ids: &[String]) -> Result<Vec<Component>, Failure> {
    if ids.is_empty() {
        return Ok(faultplan::maintenance::components(inventory));
    }
    let mut errors = Vec::new();
    let mut components = Vec::new();
    for id in ids {
        match inventory.lookup(id) {
            Some(c @ (Component::Rack(_) | Component::Power(_))) => components.push(c),
            _ => errors.push(InputError::new(
                Location::file(Path::new("--component")),
                format!("\"{id}\" is not the id of a rack or a power component"),
            )),
        }
    }
    if !errors.is_empty() {
        return Err(errors.into());
    }
    Ok(components)
}
