//! The command line: every command, its arguments and the help texts they
//! print (clap definitions only; each command's work is in its own file).

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use super::exit::{
    ANY_IMPORT_EXIT_CODES, CAPACITY_EXIT_CODES, CHECK_EXIT_CODES, DATA_EXIT_CODES, DIFF_EXIT_CODES,
    EXIT_CODES, EXPORT_EXIT_CODES, IMPORT_EXIT_CODES, KUBERNETES_IMPORT_EXIT_CODES,
    MAINTENANCE_EXIT_CODES, MIGRATE_EXIT_CODES, PLAN_EXIT_CODES, REPORT_EXIT_CODES,
    SIMULATE_EXIT_CODES,
};

#[derive(Parser)]
#[command(
    name = "faultplan",
    version,
    about = "Place service replicas so every service survives any rack, or half the power, failing — and prove it",
    after_help = EXIT_CODES
)]
pub(super) struct Cli {
    #[command(subcommand)]
    pub(super) command: Command,
}

#[derive(Subcommand)]
pub(super) enum Command {
    /// Prove or refute every guarantee for an existing placement (the CI lint).
    #[command(after_help = CHECK_EXIT_CODES)]
    Check(CheckArgs),
    /// List every failure scenario with its blast radius, largest first.
    #[command(after_help = DATA_EXIT_CODES)]
    Scenarios(ScenariosArgs),
    /// Compute a placement in which every guarantee holds, verified before it is written.
    #[command(after_help = PLAN_EXIT_CODES)]
    Plan(PlanArgs),
    /// Order the changes from the current placement to a target so that no
    /// step is less safe than either (exit 1 when no safe order is found).
    #[command(after_help = MIGRATE_EXIT_CODES)]
    Migrate(MigrateArgs),
    /// Which racks and power components can be taken down now, every
    /// guarantee still holding (exit 1 when one of them cannot), and the
    /// changes that would make each unsafe window safe.
    #[command(after_help = MAINTENANCE_EXIT_CODES)]
    Maintenance(MaintenanceArgs),
    /// Show what an ad-hoc failure does to every service and power component.
    #[command(after_help = SIMULATE_EXIT_CODES)]
    Simulate(SimulateArgs),
    /// Write one self-contained HTML page of a placement: racks, power tree,
    /// margins per scenario family, single points of failure (exit 0 once written).
    #[command(after_help = REPORT_EXIT_CODES)]
    Report(ReportArgs),
    /// Print the failure-domain and power graph as Graphviz DOT.
    #[command(after_help = DATA_EXIT_CODES)]
    Graph(GraphArgs),
    /// Write a placement as a manifest for deploy tooling: JSON, Ansible, Kubernetes or CSV.
    #[command(after_help = EXPORT_EXIT_CODES)]
    Export(ExportArgs),
    /// Show what changes from one placement to another: replicas added, removed and moved, and margins.
    #[command(after_help = DIFF_EXIT_CODES)]
    Diff(DiffArgs),
    /// Print a shell completion script (e.g. `faultplan completions bash > /etc/bash_completion.d/faultplan`).
    #[command(after_help = DATA_EXIT_CODES)]
    Completions {
        /// The shell to complete in.
        shell: clap_complete::Shell,
    },
    /// Print a man page in roff (e.g. `faultplan man | man -l -`).
    #[command(after_help = DATA_EXIT_CODES)]
    Man {
        /// The command whose page to print (default: faultplan's own page).
        command: Option<String>,
    },
    /// Write an inventory folder from another source of truth (NetBox), or
    /// the placement that runs on a Kubernetes cluster.
    #[command(subcommand, after_help = ANY_IMPORT_EXIT_CODES)]
    Import(Source),
    /// Capacity planning: the fleet's safety margins (guaranteed capacity,
    /// each service's headroom, power under failover, single points of
    /// failure); with --growth, does a grown demand still fit; with
    /// --catalog, what to buy.
    #[command(after_help = CAPACITY_EXIT_CODES)]
    Capacity(CapacityArgs),
}

#[derive(clap::Args)]
pub(super) struct CheckArgs {
    /// Inventory folder (datacenters.csv, racks.csv, power.csv, servers.csv).
    pub(super) inventory: PathBuf,
    /// The placement to check (placement.csv: service,server per replica).
    #[arg(long)]
    pub(super) placement: PathBuf,
    /// What runs now: every replica it has and --placement has not (and
    /// the reverse) is a `drift` finding.
    #[arg(long, value_name = "RUNNING")]
    pub(super) current: Option<PathBuf>,
    #[command(flatten)]
    pub(super) common: Common,
    /// Output format.
    #[arg(long, value_enum, default_value_t = CheckFormat::Human)]
    pub(super) format: CheckFormat,
    /// The least severe finding that fails the check (exit 1).
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    pub(super) fail_on: FailOn,
    #[command(flatten)]
    pub(super) layout: Layout,
}

#[derive(clap::Args)]
pub(super) struct ScenariosArgs {
    /// Inventory folder (datacenters.csv, racks.csv, power.csv, servers.csv).
    pub(super) inventory: PathBuf,
    #[command(flatten)]
    pub(super) common: Common,
    /// Scenario words to expand instead of those in services.toml (repeatable).
    #[arg(long = "survive", value_name = "WORD")]
    pub(super) survive: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DataFormat::Human)]
    pub(super) format: DataFormat,
    #[command(flatten)]
    pub(super) layout: Layout,
}

#[derive(clap::Args)]
pub(super) struct PlanArgs {
    /// Inventory folder (datacenters.csv, racks.csv, power.csv, servers.csv).
    pub(super) inventory: PathBuf,
    #[command(flatten)]
    pub(super) common: Common,
    /// The placement running now: the plan then makes the fewest moves first.
    #[arg(long)]
    pub(super) current: Option<PathBuf>,
    /// Where to write placement.csv.
    #[arg(long)]
    pub(super) out: PathBuf,
    /// Where to write the JSON manifest (default: --out with a .json extension).
    #[arg(long)]
    pub(super) json: Option<PathBuf>,
    /// What to minimise once every guarantee holds.
    #[arg(long, value_enum, default_value_t = ObjectiveArg::Cost)]
    pub(super) objective: ObjectiveArg,
    /// auto: construct, repair, the whole exact MILP when it is small
    /// enough, then improve; milp: always the whole exact MILP; greedy:
    /// construct and repair only, no solver.
    #[arg(long, value_enum, default_value_t = MethodArg::Auto)]
    pub(super) method: MethodArg,
    /// Stop improving once the placement is proven within this relative gap
    /// of the bound (0.01 = 1%; 0 = until proven optimal or out of time).
    #[arg(long, default_value_t = faultplan::plan::DEFAULT_GAP, value_parser = fraction)]
    pub(super) gap: f64,
    /// With --current: change at most this many replicas.
    #[arg(long, requires = "current")]
    pub(super) max_moves: Option<u32>,
    /// Stop after this many seconds with the best verified placement found
    /// (its gap is reported) [default: 300 for cost, 30 for servers and balance].
    #[arg(long, value_name = "SECONDS", value_parser = positive_seconds)]
    pub(super) time_limit: Option<f64>,
    /// Solver threads for HiGHS (a `--no-default-features` build's microlp is single-threaded).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub(super) threads: u32,
    /// Output format of the summary (the files written are always CSV and JSON).
    #[arg(long, value_enum, default_value_t = DataFormat::Human)]
    pub(super) format: DataFormat,
    /// Print no progress on stderr (neither the spinner on a terminal nor
    /// the plain lines a CI log gets).
    #[arg(long, short)]
    pub(super) quiet: bool,
    #[command(flatten)]
    pub(super) layout: Layout,
}

#[derive(clap::Args)]
pub(super) struct MigrateArgs {
    /// Inventory folder (datacenters.csv, racks.csv, power.csv, servers.csv).
    pub(super) inventory: PathBuf,
    /// The placement running now.
    #[arg(long)]
    pub(super) current: PathBuf,
    /// The placement to reach (e.g. from `plan --current`).
    #[arg(long)]
    pub(super) target: PathBuf,
    #[command(flatten)]
    pub(super) common: Common,
    /// At most this many changes per wave (a wave's changes may run in parallel).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub(super) max_parallel: u32,
    /// When stuck, add temporary replicas on spare servers, removed again later.
    #[arg(long)]
    pub(super) allow_temporary: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = MigrateFormat::Human)]
    pub(super) format: MigrateFormat,
    #[command(flatten)]
    pub(super) layout: Layout,
}

#[derive(clap::Args)]
pub(super) struct MaintenanceArgs {
    /// Inventory folder (datacenters.csv, racks.csv, power.csv, servers.csv).
    pub(super) inventory: PathBuf,
    /// The placement (placement.csv: service,server per replica).
    #[arg(long)]
    pub(super) placement: PathBuf,
    /// Only this rack or power component (repeatable; default: every one).
    #[arg(long = "component", value_name = "ID")]
    pub(super) component: Vec<String>,
    /// guarantees: every guarantee holds during the window, each failure
    /// scenario of the survive words on top of it; alone: the window is
    /// the one failure (min_replicas up, power limits hold).
    #[arg(long, value_enum, default_value_t = RuleArg::Guarantees)]
    pub(super) rule: RuleArg,
    /// Do not plan fixes for the windows that are unsafe.
    #[arg(long)]
    pub(super) no_fix: bool,
    /// Seconds the planner may spend on each fix.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0, value_parser = positive_seconds)]
    pub(super) time_limit: f64,
    #[command(flatten)]
    pub(super) common: Common,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DataFormat::Human)]
    pub(super) format: DataFormat,
    /// Print no progress on stderr (neither the spinner on a terminal nor
    /// the plain lines a CI log gets).
    #[arg(long, short)]
    pub(super) quiet: bool,
    #[command(flatten)]
    pub(super) layout: Layout,
}

#[derive(clap::Args)]
pub(super) struct SimulateArgs {
    /// Inventory folder (datacenters.csv, racks.csv, power.csv, servers.csv).
    pub(super) inventory: PathBuf,
    /// The placement to fail (placement.csv: service,server per replica).
    #[arg(long)]
    pub(super) placement: PathBuf,
    /// A datacenter, rack, server or power component id to fail (repeatable).
    #[arg(long = "fail", value_name = "ID", required = true)]
    pub(super) fail: Vec<String>,
    #[command(flatten)]
    pub(super) common: Common,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DataFormat::Human)]
    pub(super) format: DataFormat,
    #[command(flatten)]
    pub(super) layout: Layout,
}

#[derive(clap::Args)]
pub(super) struct ReportArgs {
    /// Inventory folder (datacenters.csv, racks.csv, power.csv, servers.csv).
    pub(super) inventory: PathBuf,
    /// The placement (placement.csv: service,server per replica).
    #[arg(long)]
    pub(super) placement: PathBuf,
    /// Where to write the HTML page.
    #[arg(long)]
    pub(super) out: PathBuf,
    #[command(flatten)]
    pub(super) common: Common,
}

#[derive(clap::Args)]
pub(super) struct GraphArgs {
    /// Inventory folder (datacenters.csv, racks.csv, power.csv, servers.csv).
    pub(super) inventory: PathBuf,
    /// A datacenter, rack, server or power component id: colour what its failure takes down.
    #[arg(long, value_name = "ID")]
    pub(super) highlight: Option<String>,
    /// One node per server (by default each rack is a cluster whose servers
    /// are folded by the power components that feed them, with counts).
    #[arg(long)]
    pub(super) servers: bool,
}

#[derive(clap::Args)]
pub(super) struct ExportArgs {
    /// Inventory folder (datacenters.csv, racks.csv, power.csv, servers.csv).
    pub(super) inventory: PathBuf,
    /// The placement to export (placement.csv: service,server per replica).
    #[arg(long)]
    pub(super) placement: PathBuf,
    #[command(flatten)]
    pub(super) common: Common,
    /// What to write (docs/formats.md, Exports).
    #[arg(long, value_enum)]
    pub(super) format: ExportFormat,
    /// Write here (atomically) instead of to standard output.
    #[arg(long)]
    pub(super) out: Option<PathBuf>,
}

#[derive(clap::Args)]
pub(super) struct DiffArgs {
    /// Inventory folder (datacenters.csv, racks.csv, power.csv, servers.csv).
    pub(super) inventory: PathBuf,
    /// The placement before (placement.csv).
    pub(super) old: PathBuf,
    /// The placement after (placement.csv).
    pub(super) new: PathBuf,
    #[command(flatten)]
    pub(super) common: Common,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DataFormat::Human)]
    pub(super) format: DataFormat,
    #[command(flatten)]
    pub(super) layout: Layout,
}

#[derive(clap::Subcommand)]
pub(super) enum Source {
    /// Import racks, power and servers from NetBox (4.x REST API, or saved list responses).
    #[command(after_help = IMPORT_EXIT_CODES)]
    Netbox(NetboxArgs),
    /// Read what runs on a Kubernetes cluster (saved `kubectl get nodes` and
    /// `kubectl get pods -A` JSON) as a placement, for `check --current`.
    #[command(after_help = KUBERNETES_IMPORT_EXIT_CODES)]
    Kubernetes(KubernetesArgs),
}

#[derive(clap::Args)]
pub(super) struct KubernetesArgs {
    /// Inventory folder (datacenters.csv, racks.csv, power.csv, servers.csv).
    pub(super) inventory: PathBuf,
    /// Saved `kubectl get nodes -o json`.
    #[arg(long, value_name = "NODES.json")]
    pub(super) nodes: PathBuf,
    /// Saved `kubectl get pods -A -o json`.
    #[arg(long, value_name = "PODS.json")]
    pub(super) pods: PathBuf,
    /// The running placement to write (placement.csv: service,server per running pod).
    #[arg(long, value_name = "RUNNING.csv")]
    pub(super) out: PathBuf,
    /// The pod label whose value is the service's name.
    #[arg(long, default_value = "app.kubernetes.io/name", value_name = "KEY")]
    pub(super) service_label: String,
    #[command(flatten)]
    pub(super) common: Common,
}

#[derive(clap::Args)]
#[command(group(clap::ArgGroup::new("source").required(true).args(["url", "from"])))]
pub(super) struct NetboxArgs {
    /// The inventory folder to write (datacenters.csv, racks.csv, power.csv, servers.csv).
    #[arg(long)]
    pub(super) out: PathBuf,
    /// Replace the inventory files of an --out folder that is not empty (its
    /// other files, such as services.toml, are kept).
    #[arg(long)]
    pub(super) force: bool,
    /// NetBox's address, e.g. https://netbox.example.com.
    #[arg(long, value_name = "URL")]
    pub(super) url: Option<String>,
    /// API token [default: the NETBOX_TOKEN environment variable]; never printed.
    #[arg(long, requires = "url")]
    pub(super) token: Option<String>,
    /// Results asked for per request (NetBox caps it at its MAX_PAGE_SIZE).
    #[arg(long, default_value_t = 1000, requires = "url", value_parser = clap::value_parser!(u32).range(1..))]
    pub(super) page_size: u32,
    /// A folder of saved list responses: sites.json, racks.json, devices.json, ...
    #[arg(long, value_name = "DIR")]
    pub(super) from: Option<PathBuf>,
    /// Device role (slug or name) whose devices are servers (repeatable) [default: server].
    #[arg(long = "role", value_name = "ROLE")]
    pub(super) roles: Vec<String>,
    /// CSV of server numbers by device type: device_type,cpu,mem_gb,idle_w,max_w.
    #[arg(long, value_name = "FILE")]
    pub(super) models: Option<PathBuf>,
    /// Device custom field holding the server's cores.
    #[arg(long, default_value = "cpu", value_name = "NAME")]
    pub(super) cpu_field: String,
    /// Device custom field holding the server's memory in GB.
    #[arg(long, default_value = "mem_gb", value_name = "NAME")]
    pub(super) mem_field: String,
    /// Device custom field holding the idle draw in watts.
    #[arg(long, default_value = "idle_w", value_name = "NAME")]
    pub(super) idle_field: String,
    /// Device custom field holding the draw at full cpu in watts.
    #[arg(long, default_value = "max_w", value_name = "NAME")]
    pub(super) max_field: String,
}

#[derive(clap::Args)]
pub(super) struct CapacityArgs {
    /// Inventory folder (datacenters.csv, racks.csv, power.csv, servers.csv).
    pub(super) inventory: PathBuf,
    #[command(flatten)]
    pub(super) common: Common,
    /// Multiply every service's min_replicas by this factor (rounded up).
    #[arg(long, value_name = "FACTOR", conflicts_with = "growth_file", value_parser = factor)]
    pub(super) growth: Option<f64>,
    /// Per-service growth factors: a CSV with the columns service,factor.
    #[arg(long, value_name = "FILE")]
    pub(super) growth_file: Option<PathBuf>,
    /// Server models that may be bought (catalog.csv): answers what to buy so
    /// that the (grown) demand fits.
    #[arg(long, value_name = "FILE")]
    pub(super) catalog: Option<PathBuf>,
    /// With --catalog: where to write the purchase, as servers.csv rows.
    #[arg(long, value_name = "FILE", requires = "catalog")]
    pub(super) out: Option<PathBuf>,
    /// Where to write the verified placement (of the grown demand, on the
    /// fleet with the purchase).
    #[arg(long, value_name = "FILE")]
    pub(super) placement_out: Option<PathBuf>,
    /// Without --growth, --growth-file or --catalog: the placement running
    /// now (placement.csv). Adds its power loads (normal and worst-case
    /// failover) and single points of failure to the margins, and the
    /// headroom starts from it when it passes check.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["growth", "growth_file", "catalog"])]
    pub(super) placement: Option<PathBuf>,
    /// Stop after this many seconds [default: 300; the margins report: 60,
    /// shared by every service's headroom search].
    #[arg(long, value_name = "SECONDS", value_parser = positive_seconds)]
    pub(super) time_limit: Option<f64>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DataFormat::Human)]
    pub(super) format: DataFormat,
    /// Print no progress on stderr (neither the spinner on a terminal nor
    /// the plain lines a CI log gets).
    #[arg(long, short)]
    pub(super) quiet: bool,
    #[command(flatten)]
    pub(super) layout: Layout,
}

#[derive(clap::Args)]
pub(super) struct Common {
    /// Services file (default: services.toml in the inventory folder).
    #[arg(long)]
    pub(super) services: Option<PathBuf>,
}

/// How wide human output may be.
#[derive(clap::Args)]
pub(super) struct Layout {
    /// Human output as wide as it needs, every list whole (by default it fits
    /// 100 columns, or $COLUMNS / the terminal when narrower).
    #[arg(long)]
    pub(super) wide: bool,
}

#[derive(Clone, Copy, ValueEnum)]
pub(super) enum DataFormat {
    Human,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
pub(super) enum CheckFormat {
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
pub(super) enum FailOn {
    /// A broken guarantee or limit (the default).
    Error,
    /// Also a warning: zero margin, a replica on an inactive server, a single point of failure.
    Warning,
}

#[derive(Clone, Copy, ValueEnum)]
pub(super) enum MigrateFormat {
    Human,
    Json,
    /// An Ansible playbook: one play per wave, in order.
    Ansible,
}

#[derive(Clone, Copy, ValueEnum)]
pub(super) enum RuleArg {
    Guarantees,
    Alone,
}

#[derive(Clone, Copy, ValueEnum)]
pub(super) enum MethodArg {
    Auto,
    Milp,
    Greedy,
}

#[derive(Clone, Copy, ValueEnum)]
pub(super) enum ObjectiveArg {
    /// Least reserved cpu (memory second), then the most headroom.
    Cost,
    /// Fewest servers hosting anything.
    Servers,
    /// Lowest peak utilisation of any server, rack or power component.
    Balance,
}

#[derive(Clone, Copy, ValueEnum)]
pub(super) enum ExportFormat {
    /// The JSON manifest that plan writes (schema: docs/manifest.schema.json).
    Json,
    /// Ansible dynamic-inventory JSON (what an inventory script prints for --list).
    Ansible,
    /// Ansible INI inventory.
    AnsibleIni,
    /// A Kubernetes v1 List: node label patches and per-service Deployment patches.
    Kubernetes,
    /// placement.csv, sorted by service then server.
    Csv,
}

/// A value the command line refuses; clap prints it after "invalid value
/// '…' for '--flag <…>': ".
#[derive(Debug, thiserror::Error)]
#[error("expected {expected}, found \"{found}\"")]
pub(super) struct BadValue {
    expected: &'static str,
    found: String,
}

/// The value of `text` if `accept` takes it, else what was `expected`.
fn parse_f64(
    text: &str,
    accept: impl Fn(f64) -> bool,
    expected: &'static str,
) -> Result<f64, BadValue> {
    match text.parse::<f64>() {
        Ok(value) if accept(value) => Ok(value),
        _ => Err(BadValue {
            expected,
            found: text.to_string(),
        }),
    }
}

fn fraction(text: &str) -> Result<f64, BadValue> {
    parse_f64(
        text,
        |g| (0.0..1.0).contains(&g),
        "a fraction from 0 up to (not including) 1",
    )
}

fn positive_seconds(text: &str) -> Result<f64, BadValue> {
    parse_f64(
        text,
        |s| s.is_finite() && s > 0.0,
        "a positive number of seconds",
    )
}

fn factor(text: &str) -> Result<f64, BadValue> {
    parse_f64(
        text,
        |f| f.is_finite() && f > 0.0,
        "a growth factor > 0 (1.5 = 50% more)",
    )
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;
    use crate::cli::exit::USAGE_ERROR;

    /// Every command and every argument a user can pass is described, and
    /// every command's help ends with its exit codes.
    #[test]
    fn every_argument_is_described_and_every_help_ends_with_exit_codes() {
        let root = Cli::command();
        let mut commands = vec![root.clone()];
        commands.extend(root.get_subcommands().cloned());
        for mut command in commands {
            let name = command.get_name().to_string();
            assert!(command.get_about().is_some(), "{name} has no description");
            for arg in command.get_arguments() {
                let id = arg.get_id().as_str();
                if id == "help" || id == "version" {
                    continue;
                }
                assert!(
                    arg.get_help().is_some(),
                    "{name}: argument {id} has no description"
                );
            }
            let help = command.render_long_help().to_string();
            assert!(
                help.trim_end().ends_with(USAGE_ERROR.trim_start()),
                "{name}: help does not end with the exit codes:\n{help}"
            );
            assert!(help.contains("Exit codes:\n  0  "), "{name}:\n{help}");
        }
    }
}
