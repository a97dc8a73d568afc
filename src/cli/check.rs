//! `faultplan check`: prove or refute every guarantee for an existing
//! placement (the CI lint), and with --current, the drift from what runs.

use faultplan::inventory::Placement;
use faultplan::report::{self, CheckContext};
use faultplan::verify::{self, CheckOptions};

use super::args::{CheckArgs, CheckFormat, FailOn};
use super::exit::Failure;
use super::io::{load, print, print_human, width};

pub(super) fn run(args: CheckArgs) -> Result<(), Failure> {
    let (inventory, services) = load(&args.inventory, &args.common)?;
    let placement = Placement::load(&args.placement, &inventory, &services)?;
    let running = args
        .current
        .as_deref()
        .map(|path| Placement::load(path, &inventory, &services))
        .transpose()?;
    let mut report = verify::check(&inventory, &services, &placement, CheckOptions::default());
    if let Some(running) = &running {
        report
            .findings
            .extend(verify::drift(&services, &inventory, running, &placement));
    }
    let context = CheckContext {
        inventory: inventory.dir.display().to_string(),
        placement: args.placement.display().to_string(),
        services_file: services.file.display().to_string(),
        servers: inventory.servers.len(),
        racks: inventory.racks.len(),
        power_components: inventory.power.len(),
        replicas: placement.replicas.len(),
    };
    let width = width(&args.layout);
    match args.format {
        CheckFormat::Human => print_human(&report::check_human(&report, &context, width), width),
        CheckFormat::Json => print(&report::check_json(&report, &context)),
        CheckFormat::Junit => print(&report::check_junit(&report)),
        CheckFormat::Github => print(&report::check_github(&report)),
        CheckFormat::Sarif => print(&report::check_sarif(&report)),
    }?;
    let failed = match args.fail_on {
        FailOn::Error => !report.passed(),
        FailOn::Warning => !report.passed() || report.warnings() > 0,
    };
    if !failed {
        Ok(())
    } else {
        Err(Failure::Violated)
    }
}
