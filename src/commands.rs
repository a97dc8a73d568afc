//! The commands of issue 6 — export, diff, completions and man — kept out of
//! cli.rs so each reads on its own; they reuse cli.rs's loading, printing and
//! atomic writing.

use std::path::{Path, PathBuf};

use clap::{CommandFactory, Subcommand, ValueEnum};

use crate::cli::{
    check_outputs, load, print, run_inputs, write_atomic, Cli, Common, DataFormat, Failure,
};
use faultplan::inventory::Placement;
use faultplan::{export, report};

#[cfg(test)]
const USAGE_ERROR: &str = "  2  bad input or usage: the message names the file, line and column";

macro_rules! exit_codes {
    ($($line:expr),* $(,)?) => {
        concat!("Exit codes:\n", $($line, "\n",)* "  2  bad input or usage: the message names the file, line and column")
    };
}

pub const EXIT_CODES: &str = exit_codes!(
    "  0  success",
    "  1  check, simulate: a guarantee is violated; plan: no placement satisfies them; diff: the placements differ; migrate: no safe order; maintenance: a window is unsafe; capacity: does not fit or undecided",
);
pub const CHECK_EXIT_CODES: &str = exit_codes!(
    "  0  every guarantee holds (and, with --fail-on warning, no warning)",
    "  1  a guarantee is violated (with --fail-on warning: or a warning)",
);
pub const PLAN_EXIT_CODES: &str = exit_codes!(
    "  0  a verified placement was written",
    "  1  no placement satisfies the guarantees (explained), or none was found in time",
);
pub const SIMULATE_EXIT_CODES: &str = exit_codes!(
    "  0  every service keeps min_replicas and no power component is overloaded",
    "  1  a service or a power component breaks",
);
pub const DATA_EXIT_CODES: &str = exit_codes!("  0  success");
pub const MIGRATE_EXIT_CODES: &str = exit_codes!(
    "  0  an order in which no step is less safe than the current or the target placement (or nothing to change)",
    "  1  no safe order was found, or none exists (the output says which)",
);
pub const MAINTENANCE_EXIT_CODES: &str = exit_codes!(
    "  0  every component judged can go down now",
    "  1  at least one cannot",
);
pub const IMPORT_EXIT_CODES: &str =
    exit_codes!("  0  the inventory folder was written (the summary says what was skipped)",);
pub const CAPACITY_EXIT_CODES: &str = exit_codes!(
    "  0  the demand fits (or the purchase makes it fit), verified; without growth: the margins were printed, today's demand has a verified placement and --placement (if given) passes check",
    "  1  it does not fit (proven), no purchase helps, or undecided within the time limit; without growth: today's demand has no verified placement, or --placement breaks a guarantee (the margins are still printed)",
);
pub const REPORT_EXIT_CODES: &str =
    exit_codes!("  0  the page was written (even when guarantees break)");
const EXPORT_EXIT_CODES: &str = exit_codes!("  0  the export was printed or written");
const DIFF_EXIT_CODES: &str = exit_codes!(
    "  0  the placements are identical (as multisets of replicas)",
    "  1  they differ",
);

#[derive(Subcommand)]
pub enum More {
    /// Write a placement as a manifest for deploy tooling: JSON, Ansible, Kubernetes or CSV.
    #[command(after_help = EXPORT_EXIT_CODES)]
    Export {
        /// Inventory folder (datacenters.csv, racks.csv, power.csv, servers.csv).
        inventory: PathBuf,
        /// The placement to export (placement.csv: service,server per replica).
        #[arg(long)]
        placement: PathBuf,
        #[command(flatten)]
        common: Common,
        /// What to write (docs/formats.md, Exports).
        #[arg(long, value_enum)]
        format: ExportFormat,
        /// Write here (atomically) instead of to standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Show what changes from one placement to another: replicas added, removed and moved, and margins.
    #[command(after_help = DIFF_EXIT_CODES)]
    Diff {
        /// Inventory folder (datacenters.csv, racks.csv, power.csv, servers.csv).
        inventory: PathBuf,
        /// The placement before (placement.csv).
        old: PathBuf,
        /// The placement after (placement.csv).
        new: PathBuf,
        #[command(flatten)]
        common: Common,
        /// Output format.
        #[arg(long, value_enum, default_value_t = DataFormat::Human)]
        format: DataFormat,
    },
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
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ExportFormat {
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

pub fn run(command: More) -> Result<(), Failure> {
    match command {
        More::Export {
            inventory,
            placement,
            common,
            format,
            out,
        } => export_cmd(&inventory, &placement, &common, format, out.as_deref()),
        More::Diff {
            inventory,
            old,
            new,
            common,
            format,
        } => diff(&inventory, &old, &new, &common, format),
        More::Completions { shell } => {
            let mut text = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "faultplan", &mut text);
            print(&String::from_utf8_lossy(&text))
        }
        More::Man { command } => man(command.as_deref()),
    }
}

fn export_cmd(
    inventory: &Path,
    placement_path: &Path,
    common: &Common,
    format: ExportFormat,
    out: Option<&Path>,
) -> Result<(), Failure> {
    if let Some(out) = out {
        let mut inputs = run_inputs(inventory, common, None);
        inputs.push(placement_path.to_path_buf());
        check_outputs(&inputs, &[("--out", out)])?;
    }
    let (inventory, services) = load(inventory, common)?;
    let placement = Placement::load(placement_path, &inventory, &services)?;
    let text = match format {
        ExportFormat::Json => export::manifest_json(&inventory, &services, &placement, None),
        ExportFormat::Ansible => export::ansible_json(&inventory, &services, &placement)?,
        ExportFormat::AnsibleIni => export::ansible_ini(&inventory, &services, &placement)?,
        ExportFormat::Kubernetes => export::kubernetes_list(&inventory, &services, &placement)?,
        ExportFormat::Csv => export::safe_placement_csv(&inventory, &services, &placement)?,
    };
    match out {
        Some(out) => write_atomic(&[(out, text)]),
        None => print(&text),
    }
}

fn diff(
    inventory: &Path,
    old: &Path,
    new: &Path,
    common: &Common,
    format: DataFormat,
) -> Result<(), Failure> {
    let (inventory, services) = load(inventory, common)?;
    let old = Placement::load(old, &inventory, &services);
    let new = Placement::load(new, &inventory, &services);
    let (old, new) = match (old, new) {
        (Ok(old), Ok(new)) => (old, new),
        (old, new) => {
            let mut errors = Vec::new();
            errors.extend(old.err().into_iter().flat_map(|e| e.0));
            errors.extend(new.err().into_iter().flat_map(|e| e.0));
            return Err(Failure::Input(faultplan::inventory::InputErrors(errors)));
        }
    };
    let diff = faultplan::changes::diff(&inventory, &services, &old, &new, None);
    print(&match format {
        DataFormat::Human => report::diff_human(&diff),
        DataFormat::Json => report::diff_json(&diff),
    })?;
    if diff.identical() {
        Ok(())
    } else {
        Err(Failure::Violated)
    }
}

fn man(command: Option<&str>) -> Result<(), Failure> {
    let root = Cli::command();
    let page = match command {
        None => root,
        Some(name) => match root.find_subcommand(name) {
            Some(sub) => sub.clone().display_name(format!("faultplan-{name}")),
            None => {
                let names: Vec<&str> = root.get_subcommands().map(|c| c.get_name()).collect();
                return Err(Failure::Input(
                    faultplan::inventory::InputError::new(
                        faultplan::inventory::Location::file(Path::new("man")),
                        format!(
                            "unknown command \"{name}\": expected one of {}",
                            names.join(", ")
                        ),
                    )
                    .into(),
                ));
            }
        },
    };
    let mut text = Vec::new();
    clap_mangen::Man::new(page)
        .render(&mut text)
        .expect("rendering to memory cannot fail");
    print(&String::from_utf8_lossy(&text))
}

#[cfg(test)]
mod tests {
    use super::*;

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
