//! `faultplan report`: one self-contained HTML page of a placement, written
//! atomically.

use faultplan::inventory::Placement;
use faultplan::report;
use faultplan::verify::{self, CheckOptions};

use super::args::ReportArgs;
use super::exit::Failure;
use super::io::{check_outputs, load, run_inputs, write_atomic};

pub(super) fn run(args: ReportArgs) -> Result<(), Failure> {
    let ReportArgs {
        inventory: inventory_dir,
        placement: placement_path,
        out,
        common,
    } = &args;
    check_outputs(
        &run_inputs(inventory_dir, common, Some(placement_path)),
        &[("--out", out)],
    )?;
    let (inventory, services) = load(inventory_dir, common)?;
    let placement = Placement::load(placement_path, &inventory, &services)?;
    let options = CheckOptions::default();
    let index = verify::PlacementIndex::new(&inventory, &services, &placement);
    let checked = report::overview::Checked {
        report: verify::check(&inventory, &services, &placement, options),
        power: verify::power_status(&inventory, &services, &placement, options),
        single_points: verify::single_points(&inventory, &services, &index),
    };
    let overview = report::overview::Overview::gather(
        &inventory,
        &services,
        &placement,
        checked,
        &inventory_dir.display().to_string(),
        &placement_path.display().to_string(),
    );
    write_atomic(&[(out, report::report_html(&overview))])
}
