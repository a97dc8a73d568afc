//! `faultplan migrate`: an order of the changes from the current placement
//! to a target in which no step is less safe than either.

use faultplan::inventory::Placement;
use faultplan::migrate::MigrateOptions;
use faultplan::report;

use super::args::{MigrateArgs, MigrateFormat};
use super::exit::Failure;
use super::io::{load, print, print_human, width};

pub(super) fn run(args: MigrateArgs) -> Result<(), Failure> {
    let options = MigrateOptions {
        max_parallel: args.max_parallel as usize,
        allow_temporary: args.allow_temporary,
        ..Default::default()
    };
    let (inventory, services) = load(&args.inventory, &args.common)?;
    let current = Placement::load(&args.current, &inventory, &services)?;
    let target = Placement::load(&args.target, &inventory, &services)?;
    match faultplan::migrate::migrate(&inventory, &services, &current, &target, &options) {
        Ok(migration) => match args.format {
            MigrateFormat::Human => print_human(
                &report::migrate_human(&migration, &inventory, &services, width(&args.layout)),
                width(&args.layout),
            ),
            MigrateFormat::Json => print(&report::migrate_json(&migration, &inventory, &services)),
            MigrateFormat::Ansible => {
                print(&report::migrate_ansible(&migration, &inventory, &services))
            }
        },
        Err(blocked) => {
            match args.format {
                MigrateFormat::Json => {
                    print(&report::blocked_json(&blocked, &inventory, &services))
                }
                _ => print_human(
                    &report::blocked_human(&blocked, &inventory, &services, width(&args.layout)),
                    width(&args.layout),
                ),
            }?;
            Err(Failure::Violated)
        }
    }
}
