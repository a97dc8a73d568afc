//! Command-line definitions, file reading and atomic writing, and the one place
//! where outcomes become exit codes (FORMATS.md: 0 ok, 1 guarantees violated or
//! infeasible, 2 bad input or usage).

mod capacity;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

mod import;

use faultplan::export;
use faultplan::inventory::{
    Component, InputError, InputErrors, Inventory, Location, Placement, Services, SurviveWord,
};
use faultplan::plan::{Method, Objective, PlanError, PlanOptions};
use faultplan::report::{self, CheckContext};
use faultplan::scenarios::{ScenarioSet, DEFAULT_ENUMERATION_LIMIT};
use faultplan::topology::Topology;
use faultplan::verify::{self, CheckOptions};

#[derive(Parser)]
#[command(
    name = "faultplan",
    version,
    about = "Place service replicas so every service survives any rack, or half the power, failing — and prove it",
    after_help = crate::commands::EXIT_CODES
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Prove or refute every guarantee for an existing placement (the CI lint).
    #[command(after_help = crate::commands::CHECK_EXIT_CODES)]
    Check {
        /// Inventory folder (datacenters.csv, racks.csv, power.csv, servers.csv).
        inventory: PathBuf,
        /// The placement to check (placement.csv: service,server per replica).
        #[arg(long)]
        placement: PathBuf,
        /// What runs now: every replica it has and --placement has not (and
        /// the reverse) is a `drift` finding.
        #[arg(long, value_name = "RUNNING")]
        current: Option<PathBuf>,
        #[command(flatten)]
        common: Common,
        /// Output format.
        #[arg(long, value_enum, default_value_t = CheckFormat::Human)]
        format: CheckFormat,
        /// The least severe finding that fails the check (exit 1).
        #[arg(long, value_enum, default_value_t = FailOn::Error)]
        fail_on: FailOn,
    },
    /// List every failure scenario with its blast radius, largest first.
    #[command(after_help = crate::commands::DATA_EXIT_CODES)]
    Scenarios {
        /// Inventory folder (datacenters.csv, racks.csv, power.csv, servers.csv).
        inventory: PathBuf,
        #[command(flatten)]
        common: Common,
        /// Scenario words to expand instead of those in services.toml (repeatable).
        #[arg(long = "survive", value_name = "WORD")]
        survive: Vec<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = DataFormat::Human)]
        format: DataFormat,
    },
    /// Compute a placement in which every guarantee holds, verified before it is written.
    #[command(after_help = crate::commands::PLAN_EXIT_CODES)]
    Plan {
        /// Inventory folder (datacenters.csv, racks.csv, power.csv, servers.csv).
        inventory: PathBuf,
        #[command(flatten)]
        common: Common,
        /// The placement running now: the plan then makes the fewest moves first.
        #[arg(long)]
        current: Option<PathBuf>,
        /// Where to write placement.csv.
        #[arg(long)]
        out: PathBuf,
        /// Where to write the JSON manifest (default: --out with a .json extension).
        #[arg(long)]
        json: Option<PathBuf>,
        /// What to minimise once every guarantee holds.
        #[arg(long, value_enum, default_value_t = ObjectiveArg::Cost)]
        objective: ObjectiveArg,
        /// auto: construct, repair, the whole exact MILP when it is small
        /// enough, then improve; milp: always the whole exact MILP; greedy:
        /// construct and repair only, no solver.
        #[arg(long, value_enum, default_value_t = MethodArg::Auto)]
        method: MethodArg,
        /// Stop improving once the placement is proven within this relative gap
        /// of the bound (0.01 = 1%; 0 = until proven optimal or out of time).
        #[arg(long, default_value_t = faultplan::plan::DEFAULT_GAP, value_parser = fraction)]
        gap: f64,
        /// With --current: change at most this many replicas.
        #[arg(long, requires = "current")]
        max_moves: Option<u32>,
        /// Stop after this many seconds with the best verified placement found
        /// (its gap is reported) [default: 300 for cost, 30 for servers and balance].
        #[arg(long, value_name = "SECONDS", value_parser = positive_seconds)]
        time_limit: Option<f64>,
        /// Solver threads (HiGHS builds; microlp is single-threaded).
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
        threads: u32,
        /// Output format of the summary (the files written are always CSV and JSON).
        #[arg(long, value_enum, default_value_t = DataFormat::Human)]
        format: DataFormat,
    },
    /// Order the changes from the current placement to a target so that no
    /// step is less safe than either (exit 1 when no safe order is found).
    #[command(after_help = crate::commands::MIGRATE_EXIT_CODES)]
    Migrate {
        /// Inventory folder (datacenters.csv, racks.csv, power.csv, servers.csv).
        inventory: PathBuf,
        /// The placement running now.
        #[arg(long)]
        current: PathBuf,
        /// The placement to reach (e.g. from `plan --current`).
        #[arg(long)]
        target: PathBuf,
        #[command(flatten)]
        common: Common,
        /// At most this many changes per wave (a wave's changes may run in parallel).
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
        max_parallel: u32,
        /// When stuck, add temporary replicas on spare servers, removed again later.
        #[arg(long)]
        allow_temporary: bool,
        /// Output format.
        #[arg(long, value_enum, default_value_t = MigrateFormat::Human)]
        format: MigrateFormat,
    },
    /// Which racks and power components can be taken down now, every
    /// guarantee still holding (exit 1 when one of them cannot), and the
    /// changes that would make each unsafe window safe.
    #[command(after_help = crate::commands::MAINTENANCE_EXIT_CODES)]
    Maintenance {
        /// Inventory folder (datacenters.csv, racks.csv, power.csv, servers.csv).
        inventory: PathBuf,
        /// The placement (placement.csv: service,server per replica).
        #[arg(long)]
        placement: PathBuf,
        /// Only this rack or power component (repeatable; default: every one).
        #[arg(long = "component", value_name = "ID")]
        component: Vec<String>,
        /// guarantees: every guarantee holds during the window, each failure
        /// scenario of the survive words on top of it; alone: the window is
        /// the one failure (min_replicas up, power limits hold).
        #[arg(long, value_enum, default_value_t = RuleArg::Guarantees)]
        rule: RuleArg,
        /// Do not plan fixes for the windows that are unsafe.
        #[arg(long)]
        no_fix: bool,
        /// Seconds the planner may spend on each fix.
        #[arg(long, value_name = "SECONDS", default_value_t = 10.0, value_parser = positive_seconds)]
        time_limit: f64,
        #[command(flatten)]
        common: Common,
        /// Output format.
        #[arg(long, value_enum, default_value_t = DataFormat::Human)]
        format: DataFormat,
    },
    /// Show what an ad-hoc failure does to every service and power component.
    #[command(after_help = crate::commands::SIMULATE_EXIT_CODES)]
    Simulate {
        /// Inventory folder (datacenters.csv, racks.csv, power.csv, servers.csv).
        inventory: PathBuf,
        /// The placement to fail (placement.csv: service,server per replica).
        #[arg(long)]
        placement: PathBuf,
        /// A datacenter, rack, server or power component id to fail (repeatable).
        #[arg(long = "fail", value_name = "ID", required = true)]
        fail: Vec<String>,
        #[command(flatten)]
        common: Common,
        /// Output format.
        #[arg(long, value_enum, default_value_t = DataFormat::Human)]
        format: DataFormat,
    },
    /// Write one self-contained HTML page of a placement: racks, power tree,
    /// margins per scenario family, single points of failure (exit 0 once written).
    #[command(after_help = crate::commands::REPORT_EXIT_CODES)]
    Report {
        /// Inventory folder (datacenters.csv, racks.csv, power.csv, servers.csv).
        inventory: PathBuf,
        /// The placement (placement.csv: service,server per replica).
        #[arg(long)]
        placement: PathBuf,
        /// Where to write the HTML page.
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        common: Common,
    },
    /// Print the failure-domain and power graph as Graphviz DOT.
    #[command(after_help = crate::commands::DATA_EXIT_CODES)]
    Graph {
        /// Inventory folder (datacenters.csv, racks.csv, power.csv, servers.csv).
        inventory: PathBuf,
        /// A datacenter, rack, server or power component id: colour what its failure takes down.
        #[arg(long, value_name = "ID")]
        highlight: Option<String>,
    },
    // Commands of issue 6 (export, diff, completions, man): src/commands.rs.
    #[command(flatten)]
    More(crate::commands::More),
    /// Write an inventory folder from another source of truth (NetBox).
    #[command(subcommand, after_help = crate::commands::IMPORT_EXIT_CODES)]
    Import(import::Source),
    /// Capacity planning: the fleet's safety margins (guaranteed capacity,
    /// each service's headroom, power under failover, single points of
    /// failure); with --growth, does a grown demand still fit; with
    /// --catalog, what to buy.
    #[command(after_help = crate::commands::CAPACITY_EXIT_CODES)]
    Capacity(capacity::CapacityArgs),
}

#[derive(clap::Args)]
pub(crate) struct Common {
    /// Services file (default: services.toml in the inventory folder).
    #[arg(long)]
    services: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
enum CheckFormat {
    /// Tables for people.
    Human,
    /// The stable JSON schema of docs/formats.md.
    Json,
    /// JUnit XML: one testcase per service and guarantee.
    Junit,
    /// GitHub Actions workflow annotations.
    Github,
    /// SARIF 2.1.0 for code-scanning UIs: each finding on the file line that causes it.
    Sarif,
}

/// Which findings fail `check` (docs/usage.md, Severities).
#[derive(Clone, Copy, ValueEnum)]
enum FailOn {
    /// A broken guarantee or limit (the default).
    Error,
    /// Also a warning: zero margin, a replica on an inactive server, a single point of failure.
    Warning,
}

#[derive(Clone, Copy, ValueEnum)]
enum MigrateFormat {
    Human,
    Json,
    /// An Ansible playbook: one play per wave, in order.
    Ansible,
}

#[derive(Clone, Copy, ValueEnum)]
enum RuleArg {
    Guarantees,
    Alone,
}

#[derive(Clone, Copy, ValueEnum)]
enum MethodArg {
    Auto,
    Milp,
    Greedy,
}

#[derive(Clone, Copy, ValueEnum)]
enum ObjectiveArg {
    /// Least reserved cpu (memory second), then the most headroom.
    Cost,
    /// Fewest servers hosting anything.
    Servers,
    /// Lowest peak utilisation of any server, rack or power component.
    Balance,
}

fn fraction(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(g) if (0.0..1.0).contains(&g) => Ok(g),
        _ => Err(format!(
            "expected a fraction from 0 up to (not including) 1, found \"{text}\""
        )),
    }
}

fn positive_seconds(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(s) if s.is_finite() && s > 0.0 => Ok(s),
        _ => Err(format!(
            "expected a positive number of seconds, found \"{text}\""
        )),
    }
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum DataFormat {
    Human,
    Json,
}

/// Why a command did not succeed.
pub(crate) enum Failure {
    /// Bad input or usage: exit 2.
    Input(InputErrors),
    /// The command ran and its answer is "no" (violations, infeasible): exit 1.
    Violated,
}

impl From<InputErrors> for Failure {
    fn from(errors: InputErrors) -> Self {
        Failure::Input(errors)
    }
}

impl From<InputError> for Failure {
    fn from(error: InputError) -> Self {
        Failure::Input(error.into())
    }
}

pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Check {
            inventory,
            placement,
            current,
            common,
            format,
            fail_on,
        } => check(
            &inventory,
            &placement,
            current.as_deref(),
            &common,
            format,
            fail_on,
        ),
        Command::Scenarios {
            inventory,
            common,
            survive,
            format,
        } => scenarios(&inventory, &common, &survive, format),
        Command::Plan {
            inventory,
            common,
            current,
            out,
            json,
            objective,
            method,
            gap,
            max_moves,
            time_limit,
            threads,
            format,
        } => {
            let options = PlanOptions {
                objective: match objective {
                    ObjectiveArg::Cost => Objective::Cost,
                    ObjectiveArg::Servers => Objective::Servers,
                    ObjectiveArg::Balance => Objective::Balance,
                },
                method: match method {
                    MethodArg::Auto => Method::Auto,
                    MethodArg::Milp => Method::Milp,
                    MethodArg::Greedy => Method::Greedy,
                },
                time_limit,
                threads,
                max_moves,
                gap,
                ..PlanOptions::default()
            };
            plan(
                &inventory,
                &common,
                current.as_deref(),
                &out,
                json.as_deref(),
                &options,
                format,
            )
        }
        Command::Simulate {
            inventory,
            placement,
            fail,
            common,
            format,
        } => simulate(&inventory, &placement, &fail, &common, format),
        Command::Maintenance {
            inventory,
            placement,
            component,
            rule,
            no_fix,
            time_limit,
            common,
            format,
        } => maintenance(
            &inventory,
            &placement,
            &component,
            match rule {
                RuleArg::Guarantees => faultplan::maintenance::Rule::Guarantees,
                RuleArg::Alone => faultplan::maintenance::Rule::Alone,
            },
            (!no_fix).then_some(time_limit),
            &common,
            format,
        ),
        Command::Migrate {
            inventory,
            current,
            target,
            common,
            max_parallel,
            allow_temporary,
            format,
        } => {
            let options = faultplan::migrate::MigrateOptions {
                max_parallel: max_parallel as usize,
                allow_temporary,
                ..Default::default()
            };
            migrate(&inventory, &current, &target, &common, &options, format)
        }
        Command::Report {
            inventory,
            placement,
            out,
            common,
        } => html_report(&inventory, &placement, &out, &common),
        Command::Graph {
            inventory,
            highlight,
        } => graph(&inventory, highlight.as_deref()),
        Command::More(more) => crate::commands::run(more),
        Command::Import(source) => import::run(source),
        Command::Capacity(args) => capacity::capacity(args),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Violated) => ExitCode::from(1),
        Err(Failure::Input(errors)) => {
            let mut stderr = std::io::stderr().lock();
            for error in &errors.0 {
                let _ = writeln!(stderr, "error: {error}");
            }
            ExitCode::from(2)
        }
    }
}

pub(crate) fn print(text: &str) -> Result<(), Failure> {
    let mut stdout = std::io::stdout().lock();
    // A closed pipe (`| head`) is not the user's input error; stop quietly.
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
    Ok(())
}

pub(crate) fn load(inventory: &Path, common: &Common) -> Result<(Inventory, Services), Failure> {
    let inventory = Inventory::load(inventory)?;
    let services = load_services(&inventory, common)?;
    Ok((inventory, services))
}

fn load_services(inventory: &Inventory, common: &Common) -> Result<Services, Failure> {
    let path = common
        .services
        .clone()
        .unwrap_or_else(|| inventory.dir.join("services.toml"));
    Ok(Services::load(&path, inventory)?)
}

fn check(
    inventory: &Path,
    placement_path: &Path,
    running_path: Option<&Path>,
    common: &Common,
    format: CheckFormat,
    fail_on: FailOn,
) -> Result<(), Failure> {
    let (inventory, services) = load(inventory, common)?;
    let placement = Placement::load(placement_path, &inventory, &services)?;
    let running = running_path
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
        placement: placement_path.display().to_string(),
        services_file: services.file.display().to_string(),
        servers: inventory.servers.len(),
        racks: inventory.racks.len(),
        power_components: inventory.power.len(),
        replicas: placement.replicas.len(),
    };
    print(&match format {
        CheckFormat::Human => report::check_human(&report, &context),
        CheckFormat::Json => report::check_json(&report, &context),
        CheckFormat::Junit => report::check_junit(&report),
        CheckFormat::Github => report::check_github(&report),
        CheckFormat::Sarif => report::check_sarif(&report),
    })?;
    let failed = match fail_on {
        FailOn::Error => !report.passed(),
        FailOn::Warning => !report.passed() || report.warnings() > 0,
    };
    if !failed {
        Ok(())
    } else {
        Err(Failure::Violated)
    }
}

fn maintenance(
    inventory: &Path,
    placement: &Path,
    ids: &[String],
    rule: faultplan::maintenance::Rule,
    fix_seconds: Option<f64>,
    common: &Common,
    format: DataFormat,
) -> Result<(), Failure> {
    let (inventory, services) = load(inventory, common)?;
    let placement = Placement::load(placement, &inventory, &services)?;
    let components = if ids.is_empty() {
        faultplan::maintenance::components(&inventory)
    } else {
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
            return Err(Failure::Input(InputErrors(errors)));
        }
        components
    };
    let options = fix_seconds.map(|seconds| PlanOptions {
        time_limit: Some(seconds),
        ..PlanOptions::default()
    });
    let spinner = progress_spinner(matches!(format, DataFormat::Human));
    let total = components.len();
    let verdicts = faultplan::maintenance::maintenance(
        &inventory,
        &services,
        &placement,
        &components,
        rule,
        options.as_ref(),
        &mut |done| {
            if let Some(spinner) = &spinner {
                spinner.set_message(format!("{done} of {total} windows judged"));
            }
        },
    );
    if let Some(spinner) = spinner {
        spinner.finish_and_clear();
    }
    print(&match format {
        DataFormat::Human => report::maintenance_human(&verdicts, &inventory, rule),
        DataFormat::Json => report::maintenance_json(&verdicts, &inventory, &services, rule),
    })?;
    if verdicts.iter().all(|v| v.safe()) {
        Ok(())
    } else {
        Err(Failure::Violated)
    }
}

fn migrate(
    inventory: &Path,
    current: &Path,
    target: &Path,
    common: &Common,
    options: &faultplan::migrate::MigrateOptions,
    format: MigrateFormat,
) -> Result<(), Failure> {
    let (inventory, services) = load(inventory, common)?;
    let current = Placement::load(current, &inventory, &services)?;
    let target = Placement::load(target, &inventory, &services)?;
    match faultplan::migrate::migrate(&inventory, &services, &current, &target, options) {
        Ok(migration) => print(&match format {
            MigrateFormat::Human => report::migrate_human(&migration, &inventory, &services),
            MigrateFormat::Json => report::migrate_json(&migration, &inventory, &services),
            MigrateFormat::Ansible => report::migrate_ansible(&migration, &inventory, &services),
        }),
        Err(blocked) => {
            print(&match format {
                MigrateFormat::Json => report::blocked_json(&blocked, &inventory, &services),
                _ => report::blocked_human(&blocked, &inventory, &services),
            })?;
            Err(Failure::Violated)
        }
    }
}

fn scenarios(
    inventory_dir: &Path,
    common: &Common,
    survive: &[String],
    format: DataFormat,
) -> Result<(), Failure> {
    let inventory = Inventory::load(inventory_dir)?;
    let words = if survive.is_empty() {
        load_services(&inventory, common)?.all_words()
    } else {
        parse_words(survive, &inventory)?
    };
    let topology = Topology::new(&inventory);
    let set = ScenarioSet::expand(&inventory, &words, DEFAULT_ENUMERATION_LIMIT);
    let radii = set.blast_radii(&topology);
    let warnings = set.vacuous_notes(&inventory);
    print(&match format {
        DataFormat::Human => report::scenarios_human(&radii, &warnings),
        DataFormat::Json => report::scenarios_json(&radii, &warnings),
    })
}

fn parse_words(words: &[String], inventory: &Inventory) -> Result<Vec<SurviveWord>, Failure> {
    let at = Location::file(Path::new("--survive"));
    let mut parsed = Vec::new();
    let mut errors = Vec::new();
    for word in words {
        match SurviveWord::parse_in(word, inventory) {
            Ok(w) => parsed.push(w),
            Err(e) => errors.push(InputError::new(at.clone(), e.to_string())),
        }
    }
    if errors.is_empty() {
        Ok(parsed)
    } else {
        Err(Failure::Input(InputErrors(errors)))
    }
}

fn simulate(
    inventory: &Path,
    placement_path: &Path,
    fail: &[String],
    common: &Common,
    format: DataFormat,
) -> Result<(), Failure> {
    let (inventory, services) = load(inventory, common)?;
    let placement = Placement::load(placement_path, &inventory, &services)?;
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
        return Err(Failure::Input(InputErrors(errors)));
    }
    let simulation = verify::simulate(&inventory, &services, &placement, &failed);
    print(&match format {
        DataFormat::Human => report::simulate_human(&simulation),
        DataFormat::Json => report::simulate_json(&simulation),
    })?;
    if simulation.passed() {
        Ok(())
    } else {
        Err(Failure::Violated)
    }
}

fn html_report(
    inventory_dir: &Path,
    placement_path: &Path,
    out: &Path,
    common: &Common,
) -> Result<(), Failure> {
    check_outputs(
        &run_inputs(inventory_dir, common, Some(placement_path)),
        &[("--out", out)],
    )?;
    let (inventory, services) = load(inventory_dir, common)?;
    let placement = Placement::load(placement_path, &inventory, &services)?;
    let overview = report::overview::Overview::gather(
        &inventory,
        &services,
        &placement,
        &inventory_dir.display().to_string(),
        &placement_path.display().to_string(),
    );
    write_atomic(&[(out, report::report_html(&overview))])
}

fn graph(inventory_dir: &Path, highlight: Option<&str>) -> Result<(), Failure> {
    let inventory = Inventory::load(inventory_dir)?;
    let highlight = match highlight {
        None => None,
        Some(id) => Some(inventory.lookup(id).ok_or_else(|| {
            InputError::new(
                Location::file(Path::new("--highlight")),
                format!("unknown id \"{id}\": expected a datacenter, rack, server or power component id"),
            )
        })?),
    };
    print(&report::graph_dot(&inventory, highlight))
}

fn plan(
    inventory: &Path,
    common: &Common,
    current: Option<&Path>,
    out: &Path,
    json: Option<&Path>,
    options: &PlanOptions,
    format: DataFormat,
) -> Result<(), Failure> {
    let json_path = manifest_path(out, json);
    check_outputs(
        &run_inputs(inventory, common, current),
        &[("--out", out), ("--json", &json_path)],
    )?;
    let (inventory, services) = load(inventory, common)?;
    let current = current
        .map(|path| Placement::load(path, &inventory, &services))
        .transpose()?;
    let spinner = progress_spinner(matches!(format, DataFormat::Human));
    let outcome = faultplan::plan::plan(
        &inventory,
        &services,
        current.as_ref(),
        options,
        &|message| {
            if let Some(spinner) = &spinner {
                spinner.set_message(message.to_string());
            }
        },
    );
    if let Some(spinner) = spinner {
        spinner.finish_and_clear();
    }
    match outcome {
        Ok(plan) => {
            let info = export::PlanInfo {
                objective: plan.stats.objective.as_str().to_string(),
                objective_value: plan.stats.value,
                gap: plan.stats.gap,
                stage: plan.stats.stage.to_string(),
                solver: plan.stats.solver.to_string(),
            };
            write_atomic(&[
                (
                    out,
                    export::safe_placement_csv(&inventory, &services, &plan.placement)?,
                ),
                (
                    &json_path,
                    export::manifest_json(&inventory, &services, &plan.placement, Some(info)),
                ),
            ])?;
            let written = [out.display().to_string(), json_path.display().to_string()];
            let diff = current.as_ref().map(|current| {
                faultplan::changes::diff(
                    &inventory,
                    &services,
                    current,
                    &plan.placement,
                    Some(&plan.report),
                )
            });
            let migration = current.as_ref().map(|current| {
                faultplan::migrate::migrate(
                    &inventory,
                    &services,
                    current,
                    &plan.placement,
                    &Default::default(),
                )
            });
            print(&match format {
                DataFormat::Human => {
                    report::plan_human(&plan, &written, diff.as_ref())
                        + &migration
                            .as_ref()
                            .map(report::migration_summary_human)
                            .unwrap_or_default()
                }
                DataFormat::Json => report::plan_json(
                    &plan,
                    migration.as_ref().map(report::migration_summary_json),
                ),
            })
        }
        Err(PlanError::Infeasible(explanation)) => {
            print(&match format {
                DataFormat::Human => report::infeasible_human(&explanation),
                DataFormat::Json => report::infeasible_json(&explanation),
            })?;
            Err(Failure::Violated)
        }
        Err(PlanError::NotFound(not_found)) => {
            match format {
                DataFormat::Human => {
                    let _ = write!(
                        std::io::stderr(),
                        "error: {}",
                        report::not_found_human(&not_found)
                    );
                }
                DataFormat::Json => print(&report::not_found_json(&not_found))?,
            }
            Err(Failure::Violated)
        }
    }
}

/// A spinner on stderr with the elapsed time and the current phase, only when
/// stderr is a terminal and the output is for people.
fn progress_spinner(human: bool) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    if !human || !std::io::stderr().is_terminal() {
        return None;
    }
    let spinner = indicatif::ProgressBar::new_spinner();
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{spinner} [{elapsed_precise}] {msg}")
    {
        spinner.set_style(style);
    }
    spinner.enable_steady_tick(std::time::Duration::from_millis(120));
    Some(spinner)
}

/// Where `plan` writes the JSON manifest: `--json`, else `--out` with a .json extension.
fn manifest_path(out: &Path, json: Option<&Path>) -> PathBuf {
    json.map(Path::to_path_buf)
        .unwrap_or_else(|| out.with_extension("json"))
}

/// Every file a run that loads `inventory` (and `current`) reads.
pub(crate) fn run_inputs(
    inventory: &Path,
    common: &Common,
    current: Option<&Path>,
) -> Vec<PathBuf> {
    let mut inputs: Vec<PathBuf> = Inventory::FILES.iter().map(|f| inventory.join(f)).collect();
    inputs.push(
        common
            .services
            .clone()
            .unwrap_or_else(|| inventory.join("services.toml")),
    );
    inputs.extend(current.map(Path::to_path_buf));
    inputs
}

/// Refuses, before any solving, an output that would replace one of the run's
/// inputs or its other output (data lost without a word), or that cannot be
/// written (found only after a solve of up to 300 s otherwise).
pub(crate) fn check_outputs(inputs: &[PathBuf], outputs: &[(&str, &Path)]) -> Result<(), Failure> {
    let mut errors = Vec::new();
    for (i, &(flag, out)) in outputs.iter().enumerate() {
        let error = |message: String| InputError::new(Location::file(out), message);
        let folder = folder_of(out);
        if !folder.is_dir() {
            let what = if folder.exists() {
                "is not a folder"
            } else {
                "does not exist"
            };
            errors.push(error(format!(
                "{flag}: cannot write here: the folder \"{}\" {what}",
                folder.display()
            )));
            continue;
        }
        if out.is_dir() {
            errors.push(error(format!(
                "{flag}: this is a folder; expected the path of a file to write"
            )));
            continue;
        }
        if let Some(input) = inputs.iter().find(|input| same_file(out, input)) {
            errors.push(error(format!(
                "{flag}: refusing to overwrite \"{}\", an input of this run; choose another output path",
                input.display()
            )));
            continue;
        }
        if let Some(&(other, _)) = outputs[..i].iter().find(|(_, o)| same_file(out, o)) {
            errors.push(error(format!(
                "{flag}: the same file as {other}, so one of the two outputs would be lost (the manifest goes to --json, by default --out with a .json extension); give each a path of its own"
            )));
            continue;
        }
        // The only honest test of "writable" is writing: permissions, read-only
        // mounts and ACLs all show up here rather than after the solve.
        if let Err(e) = tempfile::Builder::new()
            .prefix(".faultplan-")
            .tempfile_in(&folder)
        {
            errors.push(error(format!(
                "{flag}: cannot write in the folder \"{}\": {e}",
                folder.display()
            )));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Failure::Input(InputErrors(errors)))
    }
}

fn folder_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Whether two paths name one file, through `..`, symbolic and hard links.
fn same_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    if let (Ok(ma), Ok(mb)) = (std::fs::metadata(a), std::fs::metadata(b)) {
        use std::os::unix::fs::MetadataExt;
        return (ma.dev(), ma.ino()) == (mb.dev(), mb.ino());
    }
    // A file that does not exist yet: compare where it would be created.
    let resolved = |p: &Path| -> Option<PathBuf> {
        if let Ok(path) = p.canonicalize() {
            return Some(path);
        }
        Some(folder_of(p).canonicalize().ok()?.join(p.file_name()?))
    };
    match (resolved(a), resolved(b)) {
        (Some(a), Some(b)) => a == b,
        _ => a == b,
    }
}

/// Writes every file through a temporary file in its folder, renamed into place
/// only once all of them are written; if a rename fails, the files already
/// renamed get their old content back (or are removed), so a run changes both
/// outputs or neither and a reader never sees half a file.
pub(crate) fn write_atomic(files: &[(&Path, String)]) -> Result<(), Failure> {
    let fail = |path: &Path, e: std::io::Error| {
        Failure::Input(
            InputError::new(Location::file(path), format!("cannot write the file: {e}")).into(),
        )
    };
    let mut staged = Vec::new();
    for (path, text) in files {
        let mut builder = tempfile::Builder::new();
        builder.prefix(".faultplan-");
        // Readable as an ordinary new file would be (the umask applies), not the
        // owner-only mode temporary files get by default.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(std::fs::Permissions::from_mode(0o666));
        }
        let mut file = builder
            .tempfile_in(folder_of(path))
            .map_err(|e| fail(path, e))?;
        file.write_all(text.as_bytes())
            .and_then(|()| file.as_file().sync_all())
            .map_err(|e| fail(path, e))?;
        staged.push((*path, file));
    }
    let mut replaced: Vec<(&Path, Option<tempfile::NamedTempFile>)> = Vec::new();
    for (path, file) in staged {
        let outcome = backup(path).and_then(|old| match file.persist(path) {
            Ok(_) => Ok(old),
            Err(e) => Err(e.error),
        });
        match outcome {
            Ok(old) => replaced.push((path, old)),
            Err(e) => {
                for (path, old) in replaced.into_iter().rev() {
                    let _ = match old {
                        Some(old) => old.persist(path).map(drop).map_err(|e| e.error),
                        None => std::fs::remove_file(path),
                    };
                }
                return Err(fail(path, e));
            }
        }
    }
    Ok(())
}

/// A copy of the file at `path`, if there is one, next to it (so that restoring
/// it is a rename); deleted when dropped.
fn backup(path: &Path) -> std::io::Result<Option<tempfile::NamedTempFile>> {
    if !path.is_file() {
        return Ok(None);
    }
    let copy = tempfile::Builder::new()
        .prefix(".faultplan-old-")
        .tempfile_in(folder_of(path))?;
    std::fs::copy(path, copy.path())?;
    Ok(Some(copy))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_second_rename_restores_the_first_file() {
        let dir = tempfile::tempdir().unwrap();
        let csv = dir.path().join("out.csv");
        std::fs::write(&csv, "old csv").unwrap();
        // Renaming a file onto a non-empty folder fails after the CSV is in place.
        let json = dir.path().join("out.json");
        std::fs::create_dir(&json).unwrap();
        std::fs::write(json.join("keep"), "x").unwrap();
        let result = write_atomic(&[(&csv, "new csv".into()), (&json, "{}".into())]);
        assert!(matches!(result, Err(Failure::Input(_))));
        assert_eq!(std::fs::read_to_string(&csv).unwrap(), "old csv");
        let mut left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        assert_eq!(left, ["out.csv", "out.json"], "no temporary file is left");
    }

    #[test]
    fn a_failed_second_rename_removes_a_first_file_that_was_new() {
        let dir = tempfile::tempdir().unwrap();
        let csv = dir.path().join("out.csv");
        let json = dir.path().join("out.json");
        std::fs::create_dir(&json).unwrap();
        std::fs::write(json.join("keep"), "x").unwrap();
        assert!(write_atomic(&[(&csv, "new".into()), (&json, "{}".into())]).is_err());
        assert!(!csv.exists());
    }

    #[test]
    fn both_files_are_replaced_when_both_renames_succeed() {
        let dir = tempfile::tempdir().unwrap();
        let csv = dir.path().join("out.csv");
        let json = dir.path().join("out.json");
        std::fs::write(&csv, "old").unwrap();
        assert!(write_atomic(&[(&csv, "a".into()), (&json, "b".into())]).is_ok());
        assert_eq!(std::fs::read_to_string(&csv).unwrap(), "a");
        assert_eq!(std::fs::read_to_string(&json).unwrap(), "b");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
    }
}
