//! `faultplan diff`: what changes from one placement to another (exit 1 when
//! they differ).

use faultplan::inventory::Placement;
use faultplan::report;

use super::args::{DataFormat, DiffArgs};
use super::exit::Failure;
use super::io::{load, print, print_human, width};

pub(super) fn run(args: DiffArgs) -> Result<(), Failure> {
    let (inventory, services) = load(&args.inventory, &args.common)?;
    let old = Placement::load(&args.old, &inventory, &services);
    let new = Placement::load(&args.new, &inventory, &services);
    let (old, new) = match (old, new) {
        (Ok(old), Ok(new)) => (old, new),
        // The errors of both files at once.
        (old, new) => {
            let mut errors = Vec::new();
            errors.extend(old.err().into_iter().flat_map(|e| e.0));
            errors.extend(new.err().into_iter().flat_map(|e| e.0));
            return Err(errors.into());
        }
    };
    let diff = faultplan::changes::diff(&inventory, &services, &old, &new, None);
    match args.format {
        DataFormat::Human => {
            let width = width(&args.layout);
            print_human(&report::diff_human(&diff, width), width)
        }
        DataFormat::Json => print(&report::diff_json(&diff)),
    }?;
    if diff.identical() {
        Ok(())
    } else {
        Err(Failure::Violated)
    }
}
