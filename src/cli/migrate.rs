//! `faultplan migrate`: an order of the changes from the current placement
//! to a target in which no step is less safe than either.

use faultplan::inventory::Placement;
use faultplan::migrate::MigrateOptions;
use faultplan::report;

use super::args::{MigrateArgs, MigrateFormat};
use super::exit::Failure;
use super::io::{load, print};

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
        Ok(migration) => print(&match args.format {
            MigrateFormat::Human => report::migrate_human(&migration, &inventory, &services),
            MigrateFormat::Json => report::migrate_json(&migration, &inventory, &services),
            MigrateFormat::Ansible => report::migrate_ansible(&migration, &inventory, &services),
        }),
        Err(blocked) => {
            print(&match args.format {
                MigrateFormat::Json => report::blocked_json(&blocked, &inventory, &services),
                _ => report::blocked_human(&blocked, &inventory, &services),
            })?;
            Err(Failure::Violated)
        }
    }
}
