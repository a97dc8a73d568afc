//! `faultplan plan`: a placement in which every guarantee holds, verified
//! before it is written (placement.csv and the JSON manifest, together); with
//! --current, the fewest moves first and the migration that gets there.

use std::io::Write;
use std::path::{Path, PathBuf};

use faultplan::export;
use faultplan::inventory::{Inventory, Placement, Services};
use faultplan::plan::{Explanation, Method, NotFound, Objective, Plan, PlanError, PlanOptions};
use faultplan::report::{self, Width};

use super::args::{DataFormat, MethodArg, ObjectiveArg, PlanArgs};
use super::exit::Failure;
use super::io::{check_outputs, load, print, print_human, run_inputs, width, write_atomic};
use super::progress::Progress;

pub(super) fn run(args: PlanArgs) -> Result<(), Failure> {
    let options = options(&args);
    let out = args.out.as_path();
    let json_path = manifest_path(out, args.json.as_deref());
    let current = args.current.as_deref();
    check_outputs(
        &run_inputs(&args.inventory, &args.common, current),
        &[("--out", out), ("--json", &json_path)],
    )?;
    let (inventory, services) = load(&args.inventory, &args.common)?;
    let current = current
        .map(|path| Placement::load(path, &inventory, &services))
        .transpose()?;
    let outcome = solve(
        &inventory,
        &services,
        current.as_ref(),
        &options,
        Progress::start("plan", args.format, args.quiet),
    );
    match outcome {
        Ok(plan) => {
            let written = Written {
                csv: out,
                json: &json_path,
            };
            written.write(&inventory, &services, &plan)?;
            print_plan(
                &inventory,
                &services,
                current.as_ref(),
                &plan,
                &written,
                args.format,
                width(&args.layout),
            )
        }
        Err(PlanError::Infeasible(explanation)) => {
            print_infeasible(&explanation, args.format, width(&args.layout))
        }
        Err(PlanError::NotFound(not_found)) => print_not_found(&not_found, args.format),
    }
}

/// The planner's options from the command line.
fn options(args: &PlanArgs) -> PlanOptions {
    PlanOptions {
        objective: match args.objective {
            ObjectiveArg::Cost => Objective::Cost,
            ObjectiveArg::Servers => Objective::Servers,
            ObjectiveArg::Balance => Objective::Balance,
        },
        method: match args.method {
            MethodArg::Auto => Method::Auto,
            MethodArg::Milp => Method::Milp,
            MethodArg::Greedy => Method::Greedy,
        },
        time_limit: args.time_limit,
        threads: args.threads,
        max_moves: args.max_moves,
        gap: args.gap,
        ..PlanOptions::default()
    }
}

/// Runs the planner, its phases shown on `progress`.
fn solve(
    inventory: &Inventory,
    services: &Services,
    current: Option<&Placement>,
    options: &PlanOptions,
    progress: Progress,
) -> Result<Plan, PlanError> {
    let outcome = faultplan::plan::plan(inventory, services, current, options, &|message| {
        progress.say(message.to_string())
    });
    progress.clear();
    outcome
}

/// Where the plan goes: placement.csv and the JSON manifest.
struct Written<'a> {
    csv: &'a Path,
    json: &'a Path,
}

impl Written<'_> {
    /// Writes both files, or neither.
    fn write(
        &self,
        inventory: &Inventory,
        services: &Services,
        plan: &Plan,
    ) -> Result<(), Failure> {
        let info = export::PlanInfo {
            objective: plan.stats.objective.as_str().to_string(),
            objective_value: plan.stats.value,
            gap: plan.stats.gap,
            stage: plan.stats.stage.to_string(),
            solver: plan.stats.solver.to_string(),
        };
        write_atomic(&[
            (
                self.csv,
                export::safe_placement_csv(inventory, services, &plan.placement)?,
            ),
            (
                self.json,
                export::manifest_json(inventory, services, &plan.placement, Some(info)),
            ),
        ])
    }

    fn names(&self) -> [String; 2] {
        [
            self.csv.display().to_string(),
            self.json.display().to_string(),
        ]
    }
}

/// The summary of a plan written; with --current, what changes and the
/// migration's summary.
fn print_plan(
    inventory: &Inventory,
    services: &Services,
    current: Option<&Placement>,
    plan: &Plan,
    written: &Written,
    format: DataFormat,
    width: Width,
) -> Result<(), Failure> {
    let written = written.names();
    let diff = current.map(|current| {
        faultplan::changes::diff(
            inventory,
            services,
            current,
            &plan.placement,
            Some(&plan.report),
        )
    });
    let migration = current.map(|current| {
        faultplan::migrate::migrate(
            inventory,
            services,
            current,
            &plan.placement,
            &Default::default(),
        )
    });
    match format {
        DataFormat::Human => print_human(
            &(report::plan_human(plan, &written, diff.as_ref(), width)
                + &migration
                    .as_ref()
                    .map(report::migration_summary_human)
                    .unwrap_or_default()),
            width,
        ),
        DataFormat::Json => print(&report::plan_json(
            plan,
            migration.as_ref().map(report::migration_summary_json),
        )),
    }
}

/// No placement satisfies the guarantees, proven: why (exit 1).
fn print_infeasible(
    explanation: &Explanation,
    format: DataFormat,
    width: Width,
) -> Result<(), Failure> {
    match format {
        DataFormat::Human => print_human(&report::infeasible_human(explanation), width),
        DataFormat::Json => print(&report::infeasible_json(explanation)),
    }?;
    Err(Failure::Violated)
}

/// None found in time, and no proof that none exists (exit 1).
fn print_not_found(not_found: &NotFound, format: DataFormat) -> Result<(), Failure> {
    match format {
        DataFormat::Human => {
            let _ = write!(
                std::io::stderr(),
                "error: {}",
                report::not_found_human(not_found)
            );
        }
        DataFormat::Json => print(&report::not_found_json(not_found))?,
    }
    Err(Failure::Violated)
}

/// Where `plan` writes the JSON manifest: `--json`, else `--out` with a .json extension.
fn manifest_path(out: &Path, json: Option<&Path>) -> PathBuf {
    json.map(Path::to_path_buf)
        .unwrap_or_else(|| out.with_extension("json"))
}
