//! Shared helpers: a tiny inventory builder that writes the files of FORMATS.md
//! into a temporary folder, library shortcuts, and a runner for the real binary.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use faultplan::inventory::{Inventory, Placement, Services};
use faultplan::verify::{self, CheckOptions, Finding, Report};
use tempfile::TempDir;

/// The folder the inventory is written to, inside the temporary directory. CLI
/// runs use the temporary directory as their working directory, so messages name
/// files as `inv/servers.csv`.
pub const INV: &str = "inv";

/// Strips the indentation of an inline file: the first line break is dropped,
/// then leading spaces of every line. Lines are kept one for one, so that line
/// numbers in messages match the text as written in the test.
pub fn dedent(text: &str) -> String {
    let text = text.strip_prefix('\n').unwrap_or(text);
    let mut out = String::new();
    for line in text.lines() {
        out.push_str(line.trim_start());
        out.push('\n');
    }
    // `lines()` drops a trailing indentation-only line; keep exactly one final newline.
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

/// An inventory folder described as file texts.
#[derive(Clone, Debug, Default)]
pub struct Inv {
    files: BTreeMap<String, Vec<u8>>,
}

impl Inv {
    pub fn new() -> Self {
        Inv::default()
    }

    /// Sets `name` to the dedented `text`.
    pub fn file(mut self, name: &str, text: &str) -> Self {
        self.files
            .insert(name.to_string(), dedent(text).into_bytes());
        self
    }

    /// Sets `name` to exactly these bytes (no dedent).
    pub fn raw(mut self, name: &str, bytes: &[u8]) -> Self {
        self.files.insert(name.to_string(), bytes.to_vec());
        self
    }

    pub fn without(mut self, name: &str) -> Self {
        self.files.remove(name);
        self
    }

    /// Replaces the one occurrence of `old` in file `name` (panics if it is not
    /// there exactly once, so a fixture edit cannot silently do nothing).
    pub fn edit(mut self, name: &str, old: &str, new: &str) -> Self {
        let text = String::from_utf8(self.files[name].clone()).expect("fixture text is UTF-8");
        assert_eq!(
            text.matches(old).count(),
            1,
            "edit of {name}: {old:?} must occur exactly once in:\n{text}"
        );
        self.files
            .insert(name.to_string(), text.replacen(old, new, 1).into_bytes());
        self
    }

    pub fn datacenters(self, text: &str) -> Self {
        self.file("datacenters.csv", text)
    }
    pub fn racks(self, text: &str) -> Self {
        self.file("racks.csv", text)
    }
    pub fn power(self, text: &str) -> Self {
        self.file("power.csv", text)
    }
    pub fn servers(self, text: &str) -> Self {
        self.file("servers.csv", text)
    }
    pub fn services(self, text: &str) -> Self {
        self.file("services.toml", text)
    }
    pub fn placement(self, text: &str) -> Self {
        self.file("placement.csv", text)
    }
    pub fn scenarios(self, text: &str) -> Self {
        self.file("scenarios.toml", text)
    }

    /// Writes the files to `<tempdir>/inv/`.
    pub fn write(&self) -> TempDir {
        let tmp = tempfile::tempdir().expect("temporary directory");
        let dir = tmp.path().join(INV);
        std::fs::create_dir(&dir).expect("inventory folder");
        for (name, bytes) in &self.files {
            std::fs::write(dir.join(name), bytes).expect("fixture file");
        }
        tmp
    }

    /// Writes and loads through the library, panicking on input errors.
    pub fn load(&self) -> Loaded {
        let tmp = self.write();
        let dir = tmp.path().join(INV);
        let inventory = Inventory::load(&dir).unwrap_or_else(|e| panic!("inventory: {e}"));
        let services = Services::load(&dir.join("services.toml"), &inventory)
            .unwrap_or_else(|e| panic!("services: {e}"));
        let placement = Placement::load(&dir.join("placement.csv"), &inventory, &services)
            .unwrap_or_else(|e| panic!("placement: {e}"));
        Loaded {
            _tmp: tmp,
            inventory,
            services,
            placement,
        }
    }

    /// `load` then `verify::check` with default options.
    pub fn check(&self) -> Report {
        self.load().check(CheckOptions::default())
    }

    /// Runs the real binary in the temporary directory with `args`, where the
    /// word `inv` names the inventory folder (e.g. `["check", "inv", "--placement",
    /// "inv/placement.csv"]`).
    pub fn run(&self, args: &[&str]) -> Run {
        let tmp = self.write();
        run_in(tmp.path(), args)
    }
}

/// A loaded inventory; keeps its temporary folder alive.
pub struct Loaded {
    _tmp: TempDir,
    pub inventory: Inventory,
    pub services: Services,
    pub placement: Placement,
}

impl Loaded {
    pub fn check(&self, options: CheckOptions) -> Report {
        verify::check(&self.inventory, &self.services, &self.placement, options)
    }
}

/// The outcome of one run of the binary.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub stdout_bytes: Vec<u8>,
}

pub fn faultplan(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("faultplan").expect("the faultplan binary is built");
    cmd.current_dir(dir);
    // Tests compare stderr as a quick run leaves it; a loaded machine must
    // not add a progress line. tests/it/progress.rs sets its own interval.
    cmd.env("FAULTPLAN_PROGRESS_SECS", "3600");
    // Human output fits $COLUMNS when narrower than 100: a test's output must
    // not depend on the shell it was started from.
    cmd.env_remove("COLUMNS");
    cmd
}

pub fn run_in(dir: &Path, args: &[&str]) -> Run {
    let output = faultplan(dir).args(args).output().expect("faultplan runs");
    let run = Run {
        code: output
            .status
            .code()
            .expect("faultplan exits with a code, not a signal"),
        stdout: String::from_utf8(output.stdout.clone()).expect("stdout is UTF-8"),
        stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
        stdout_bytes: output.stdout,
    };
    assert!(
        !run.stderr.contains("panicked"),
        "faultplan panicked on {args:?}:\n{}",
        run.stderr
    );
    run
}

/// The package root: runs there name the shipped inventories as `inventories/...`.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs the binary from the package root.
pub fn run_root(args: &[&str]) -> Run {
    run_in(&root(), args)
}

/// The findings with this code.
pub fn with_code<'a>(report: &'a Report, code: &str) -> Vec<&'a Finding> {
    report
        .findings
        .iter()
        .filter(|f| f.kind.code() == code)
        .collect()
}

/// Every finding's code, in report order.
pub fn codes(report: &Report) -> Vec<&'static str> {
    report.findings.iter().map(|f| f.kind.code()).collect()
}

/// The status row of a service.
pub fn status<'a>(report: &'a Report, service: &str) -> &'a verify::ServiceStatus {
    report
        .services
        .iter()
        .find(|s| s.service == service)
        .unwrap_or_else(|| panic!("no service {service} in the report"))
}

/// A valid two-datacenter inventory that every bad-input test breaks in one place.
///
/// dc1 has two utility roots and one PDU per side; s1 and s2 are dual-PSU, in
/// racks r1 (room a) and r2 (room b). dc2 has one utility, one PDU, rack r3 and
/// the single-PSU s3. `web` needs 2 replicas after any rack loss and has 3.
pub fn baseline() -> Inv {
    Inv::new()
        .datacenters(
            "
            id,name
            dc1,One
            dc2,Two
            ",
        )
        .racks(
            "
            id,datacenter,room
            r1,dc1,a
            r2,dc1,b
            r3,dc2,
            ",
        )
        .power(
            "
            id,datacenter,kind,feeds_from,capacity_w,max_utilization
            ua,dc1,utility,,10000,
            ub,dc1,utility,,10000,
            pa,dc1,pdu,ua,5000,
            pb,dc1,pdu,ub,5000,
            u2,dc2,utility,,10000,
            p2,dc2,pdu,u2,5000,
            ",
        )
        .servers(
            "
            id,rack,cpu,mem_gb,psu,idle_w,max_w,labels,status
            s1,r1,8,32,pa;pb,100,200,ssd,
            s2,r2,8,32,pa;pb,100,200,,
            s3,r3,8,32,p2,100,200,,
            ",
        )
        .services(
            r#"
            [[service]]
            name = "web"
            min_replicas = 2
            cpu = 2
            survive = ["rack"]
            "#,
        )
        .placement(
            "
            service,server
            web,s1
            web,s2
            web,s3
            ",
        )
}

/// `check inv --placement inv/placement.csv` plus `extra` arguments.
pub const CHECK: [&str; 4] = ["check", INV, "--placement", "inv/placement.csv"];

pub fn check_args<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut args: Vec<&str> = CHECK.to_vec();
    args.extend_from_slice(extra);
    args
}

/// A system tool a test runs (chromium, dot): its path, or None after a note on
/// stderr so the test can skip; with FAULTPLAN_REQUIRE_TOOLS=1 (set by .ci/run)
/// a missing tool fails the test instead.
pub fn require_tool(name: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|path| path.is_file())
    });
    if found.is_none() {
        assert_ne!(
            std::env::var("FAULTPLAN_REQUIRE_TOOLS").as_deref(),
            Ok("1"),
            "{name} is not installed and FAULTPLAN_REQUIRE_TOOLS=1 (.ci/run installs it)"
        );
        eprintln!(
            "note: {name} is not installed: test skipped (FAULTPLAN_REQUIRE_TOOLS=1 fails instead)"
        );
    }
    found
}

/// Whether some placement of `services` passes `check`, searched
/// exhaustively: every service on every subset of the servers. Only for tiny
/// fleets whose services all have max_per_server 1 (so a subset is a
/// placement), e.g. 4 servers and 2 services: 256 checks.
pub fn exists_placement(inventory: &Inventory, services: &Services) -> bool {
    use faultplan::inventory::{Replica, ServerId, ServiceId};
    assert!(services.services.iter().all(|s| s.max_per_server == 1));
    let n = inventory.servers.len() as u32;
    let subsets = 1u64 << n;
    let total = subsets.pow(services.services.len() as u32);
    (0..total).any(|mut code| {
        let mut placement = Placement::default();
        for service in 0..services.services.len() as u32 {
            let mask = code % subsets;
            code /= subsets;
            for j in 0..n {
                if mask & (1 << j) != 0 {
                    placement.replicas.push(Replica {
                        service: ServiceId(service),
                        server: ServerId(j),
                        line: 0,
                    });
                }
            }
        }
        verify::check(inventory, services, &placement, CheckOptions::default()).passed()
    })
}

/// A tiny random fleet for exhaustive tests: 4 servers (`racks[j]` in 0..3,
/// `cpus[j]` cores, dual-fed from A and B when `dual[j]`, else from A), pdus
/// of `pdu_w` on two 100 kW utilities, and services `a` (min `min_a`, cpu
/// `cpu_a`) and `b` (min 1, cpu `cpu_b`), both surviving `rack` (and
/// `power:50%` when `survive_power`), max_per_server 1.
#[allow(clippy::too_many_arguments)]
pub fn tiny_fleet(
    racks: &[usize],
    cpus: &[u32],
    dual: &[bool],
    min_a: u32,
    cpu_a: u32,
    cpu_b: u32,
    pdu_w: u32,
    survive_power: bool,
) -> Inv {
    let mut servers = String::from("id,rack,cpu,mem_gb,psu,idle_w,max_w\n");
    for j in 0..4 {
        let psu = if dual[j] {
            format!("r{}-pa;r{}-pb", racks[j], racks[j])
        } else {
            format!("r{}-pa", racks[j])
        };
        servers.push_str(&format!("s{j},r{},{},64,{psu},50,150\n", racks[j], cpus[j]));
    }
    let mut power = String::from(
        "id,datacenter,kind,feeds_from,capacity_w\nua,dc,utility,,100000\nub,dc,utility,,100000\n",
    );
    for r in 0..3 {
        power.push_str(&format!(
            "r{r}-pa,dc,pdu,ua,{pdu_w}\nr{r}-pb,dc,pdu,ub,{pdu_w}\n"
        ));
    }
    let survive = if survive_power {
        "[\"rack\", \"power:50%\"]"
    } else {
        "[\"rack\"]"
    };
    Inv::new()
        .datacenters("id\ndc\n")
        .racks("id,datacenter\nr0,dc\nr1,dc\nr2,dc\n")
        .power(&power)
        .servers(&servers)
        .services(&format!(
            "[[service]]\nname = \"a\"\nmin_replicas = {min_a}\ncpu = {cpu_a}\nsurvive = {survive}\n\n[[service]]\nname = \"b\"\nmin_replicas = 1\ncpu = {cpu_b}\nsurvive = {survive}\n"
        ))
        .placement("service,server\n")
}
