//! `faultplan capacity`: the fleet's margins, the grown demand, and what to
//! buy. Arguments are checked and outputs refused before any solving, as
//! for `plan`.

use std::path::Path;

use faultplan::capacity::{Answer, Base, MarginOptions, NewServer, DEFAULT_MARGIN_SECONDS};
use faultplan::export;
use faultplan::inventory::{
    Catalog, Grown, Growth, InputError, Inventory, Location, Placement, Services,
};
use faultplan::plan::PlanOptions;
use faultplan::report;

use super::args::{CapacityArgs, DataFormat};
use super::exit::Failure;
use super::io::{check_outputs, load, print, print_human, run_inputs, width, write_atomic};
use super::progress::Progress;

pub(super) fn run(args: CapacityArgs) -> Result<(), Failure> {
    refuse_outputs(&args)?;
    let (inventory, services) = load(&args.inventory, &args.common)?;
    let catalog = args.catalog.as_deref().map(Catalog::load).transpose()?;
    let growth = match (&args.growth, &args.growth_file) {
        (Some(f), _) => Growth::uniform(*f, &services, &Location::file(Path::new("--growth")))?,
        (None, Some(path)) => Growth::load(path, &services)?,
        (None, None) if catalog.is_some() => {
            Growth::uniform(1.0, &services, &Location::file(Path::new("--growth")))?
        }
        (None, None) => return margins(&args, &inventory, &services),
    };
    let options = PlanOptions {
        time_limit: args.time_limit,
        ..PlanOptions::default()
    };
    match &catalog {
        Some(catalog) => purchase(&args, &inventory, &services, &growth, catalog, &options),
        None => fit(&args, &inventory, &services, &growth, &options),
    }
}

/// Refuses, before any solving, outputs that would replace an input or
/// cannot be written.
fn refuse_outputs(args: &CapacityArgs) -> Result<(), Failure> {
    let mut inputs = run_inputs(&args.inventory, &args.common, None);
    inputs.extend(args.growth_file.clone());
    inputs.extend(args.catalog.clone());
    inputs.extend(args.placement.clone());
    let mut outputs: Vec<(&str, &Path)> = Vec::new();
    if let Some(path) = &args.out {
        outputs.push(("--out", path));
    }
    if let Some(path) = &args.placement_out {
        outputs.push(("--placement-out", path));
    }
    check_outputs(&inputs, &outputs)
}

/// What to buy so that the grown demand fits.
fn purchase(
    args: &CapacityArgs,
    inventory: &Inventory,
    services: &Services,
    growth: &Growth,
    catalog: &Catalog,
    options: &PlanOptions,
) -> Result<(), Failure> {
    let progress = Progress::start("capacity", args.format, args.quiet);
    let (grown_services, grown) = growth.apply(services);
    let answer =
        faultplan::capacity::purchase(inventory, &grown_services, catalog, options, &|m: &str| {
            progress.say(m.to_string())
        });
    progress.clear();
    buy(args, inventory, &grown_services, &grown, &answer)
}

/// Whether the grown demand fits the fleet as it is; its placement is
/// written (--placement-out) only when it does.
fn fit(
    args: &CapacityArgs,
    inventory: &Inventory,
    services: &Services,
    growth: &Growth,
    options: &PlanOptions,
) -> Result<(), Failure> {
    let progress = Progress::start("capacity", args.format, args.quiet);
    let fit = faultplan::capacity::fit_growth(inventory, services, growth, options, &|m: &str| {
        progress.say(m.to_string())
    });
    progress.clear();
    let mut written = Vec::new();
    if let (Ok(plan), Some(path)) = (&fit.outcome, &args.placement_out) {
        write_atomic(&[(
            path,
            export::placement_csv(inventory, &fit.services, &plan.placement),
        )])?;
        written.push(path.display().to_string());
    }
    match args.format {
        DataFormat::Human => {
            print_human(&report::growth_human(&fit, &written), width(&args.layout))
        }
        DataFormat::Json => print(&report::growth_json(&fit)),
    }?;
    match fit.outcome {
        Ok(_) => Ok(()),
        Err(_) => Err(Failure::Violated),
    }
}

/// Writes and prints what to buy. Files are written only when the placement
/// that uses the purchase (or, with nothing to buy, the fleet as it is) is
/// verified; exit 1 otherwise.
fn buy(
    args: &CapacityArgs,
    inventory: &Inventory,
    services: &Services,
    grown: &[Grown],
    answer: &Answer,
) -> Result<(), Failure> {
    let verified: Option<(&Inventory, &Placement, &[NewServer])> = match answer {
        Answer::NothingToBuy(plan) => Some((inventory, &plan.placement, &[])),
        Answer::Buy(bought) => bought.outcome.as_ref().ok().map(|plan| {
            (
                &bought.inventory,
                &plan.placement,
                bought.servers.as_slice(),
            )
        }),
        Answer::Impossible { .. } | Answer::Unknown { .. } => None,
    };
    let mut written = Vec::new();
    if let Some((after, placement, servers)) = verified {
        let mut files: Vec<(&Path, String)> = Vec::new();
        if let Some(path) = &args.out {
            files.push((path, report::purchase_csv(servers)));
        }
        if let Some(path) = &args.placement_out {
            files.push((path, export::placement_csv(after, services, placement)));
        }
        write_atomic(&files)?;
        written = files.iter().map(|(p, _)| p.display().to_string()).collect();
    }
    match args.format {
        DataFormat::Human => print_human(
            &report::purchase_human(grown, answer, &written),
            width(&args.layout),
        ),
        DataFormat::Json => print(&report::purchase_json(grown, answer)),
    }?;
    if verified.is_some() {
        Ok(())
    } else {
        Err(Failure::Violated)
    }
}

/// The margins report (no growth asked): exit 0 when today's demand has a
/// verified placement (and a --placement given passes check), 1 otherwise.
fn margins(args: &CapacityArgs, inventory: &Inventory, services: &Services) -> Result<(), Failure> {
    if args.placement_out.is_some() {
        return Err(InputError::new(
            Location::file(Path::new("--placement-out")),
            "--placement-out needs --growth, --growth-file or --catalog",
        )
        .into());
    }
    let placement = args
        .placement
        .as_deref()
        .map(|path| Placement::load(path, inventory, services))
        .transpose()?;
    let options = MarginOptions {
        seconds: args.time_limit.unwrap_or(DEFAULT_MARGIN_SECONDS),
        ..MarginOptions::default()
    };
    let progress = Progress::start("capacity", args.format, args.quiet);
    let m = faultplan::capacity::margins(
        inventory,
        services,
        placement.as_ref(),
        &options,
        &|m: &str| progress.say(m.to_string()),
    );
    progress.clear();
    let name = args.placement.as_ref().map(|p| p.display().to_string());
    let width = width(&args.layout);
    match args.format {
        DataFormat::Human => print_human(&report::margins_human(&m, name.as_deref(), width), width),
        DataFormat::Json => print(&report::margins_json(&m)),
    }?;
    let fits = matches!(m.base, Base::Given | Base::Planned);
    let placement_ok = m.placement.as_ref().is_none_or(|p| p.passed);
    if fits && placement_ok {
        Ok(())
    } else {
        Err(Failure::Violated)
    }
}
