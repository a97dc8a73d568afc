//! What `plan` writes, and what it refuses to write: no output may replace one of
//! the run's inputs or another output of the same run; unwritable outputs are
//! refused before any solving; both files change or neither does, even when the
//! process is killed.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::support::{baseline, faultplan, run_in, Inv, INV};

/// A service that needs a label no server has: `plan` on it exits 1 after
/// solving, so an exit 2 proves a path was refused before any solving.
fn infeasible() -> Inv {
    baseline().services(
        r#"
        [[service]]
        name = "web"
        min_replicas = 2
        cpu = 2
        requires = ["gpu"]
        "#,
    )
}

fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let bytes = if e.path().is_file() {
                std::fs::read(e.path()).unwrap()
            } else {
                Vec::new()
            };
            (e.file_name().into_string().unwrap(), bytes)
        })
        .collect();
    files.sort();
    files
}

#[track_caller]
fn refused(inv: &Inv, args: &[&str], messages: &[&str]) {
    let tmp = inv.write();
    let before = snapshot(&tmp.path().join(INV));
    let run = run_in(tmp.path(), args);
    let want: String = messages.iter().map(|m| format!("error: {m}\n")).collect();
    assert_eq!(
        (run.code, run.stderr.as_str(), run.stdout.as_str()),
        (2, want.as_str(), ""),
        "args {args:?}"
    );
    assert_eq!(snapshot(&tmp.path().join(INV)), before, "nothing changed");
}

#[test]
fn out_naming_an_inventory_file_is_refused() {
    refused(
        &infeasible(),
        &["plan", INV, "--out", "inv/servers.csv", "--json", "p.json"],
        &["inv/servers.csv: --out: refusing to overwrite \"inv/servers.csv\", an input of this run; choose another output path"],
    );
}

#[test]
fn out_inside_the_inventory_folder_when_run_from_it() {
    // Issue 12: `plan . --out servers.csv` from inside the inventory folder.
    let tmp = infeasible().write();
    let dir = tmp.path().join(INV);
    let before = snapshot(&dir);
    let run = run_in(&dir, &["plan", ".", "--out", "servers.csv"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        "error: servers.csv: --out: refusing to overwrite \"./servers.csv\", an input of this run; choose another output path\n"
    );
    assert_eq!(snapshot(&dir), before);
}

#[test]
fn json_naming_the_services_file_or_the_current_placement_is_refused() {
    refused(
        &infeasible(),
        &["plan", INV, "--out", "p.csv", "--json", "inv/services.toml"],
        &["inv/services.toml: --json: refusing to overwrite \"inv/services.toml\", an input of this run; choose another output path"],
    );
    refused(
        &infeasible(),
        &[
            "plan",
            INV,
            "--current",
            "inv/placement.csv",
            "--out",
            "inv/../inv/placement.csv",
        ],
        &["inv/../inv/placement.csv: --out: refusing to overwrite \"inv/placement.csv\", an input of this run; choose another output path"],
    );
}

#[cfg(unix)]
#[test]
fn a_link_to_an_input_is_that_input() {
    let tmp = infeasible().write();
    std::os::unix::fs::symlink("inv/power.csv", tmp.path().join("soft.csv")).unwrap();
    std::fs::hard_link(
        tmp.path().join("inv/racks.csv"),
        tmp.path().join("hard.json"),
    )
    .unwrap();
    let run = run_in(
        tmp.path(),
        &["plan", INV, "--out", "soft.csv", "--json", "hard.json"],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        "error: soft.csv: --out: refusing to overwrite \"inv/power.csv\", an input of this run; choose another output path\n\
         error: hard.json: --json: refusing to overwrite \"inv/racks.csv\", an input of this run; choose another output path\n"
    );
}

#[test]
fn out_whose_default_json_path_is_itself_is_refused() {
    // Issue 12: `--out out.json` wrote the manifest over the CSV, exit 0.
    refused(
        &infeasible(),
        &["plan", INV, "--out", "out.json"],
        &["out.json: --json: the same file as --out, so one of the two outputs would be lost (the manifest goes to --json, by default --out with a .json extension); give each a path of its own"],
    );
}

#[test]
fn missing_output_folder_is_named_before_solving() {
    refused(
        &infeasible(),
        &[
            "plan",
            INV,
            "--out",
            "nowhere/p.csv",
            "--json",
            "inv/x/p.json",
        ],
        &[
            "nowhere/p.csv: --out: cannot write here: the folder \"nowhere\" does not exist",
            "inv/x/p.json: --json: cannot write here: the folder \"inv/x\" does not exist",
        ],
    );
    let tmp = infeasible().write();
    let run = run_in(
        tmp.path(),
        &["plan", INV, "--out", "p.csv", "--json", "inv/x/p.json"],
    );
    assert_eq!(
        (run.code, run.stderr.as_str()),
        (
            2,
            "error: inv/x/p.json: --json: cannot write here: the folder \"inv/x\" does not exist\n"
        )
    );
    assert!(!tmp.path().join("p.csv").exists(), "both or neither");
}

#[test]
fn output_that_is_a_folder_or_under_a_file_is_refused() {
    refused(
        &infeasible(),
        &["plan", INV, "--out", "p.csv", "--json", "inv"],
        &["inv: --json: this is a folder; expected the path of a file to write"],
    );
    refused(
        &infeasible(),
        &["plan", INV, "--out", "inv/servers.csv/p.csv"],
        &[
            "inv/servers.csv/p.csv: --out: cannot write here: the folder \"inv/servers.csv\" is not a folder",
            "inv/servers.csv/p.json: --json: cannot write here: the folder \"inv/servers.csv\" is not a folder",
        ],
    );
}

#[cfg(unix)]
#[test]
fn read_only_output_folder_is_refused_before_solving() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = infeasible().write();
    let ro = tmp.path().join("ro");
    std::fs::create_dir(&ro).unwrap();
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).unwrap();
    // root ignores permissions: then there is nothing to test here.
    if tempfile::tempfile_in(&ro).is_ok() {
        return;
    }
    let run = run_in(tmp.path(), &["plan", INV, "--out", "ro/p.csv"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .starts_with("error: ro/p.csv: --out: cannot write in the folder \"ro\": "),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains(".faultplan-"), "{}", run.stderr);
}

#[test]
fn a_plan_replaces_both_files_and_leaves_no_temporary_file() {
    let tmp = baseline().write();
    std::fs::write(tmp.path().join("p.csv"), "old").unwrap();
    std::fs::write(tmp.path().join("p.json"), "old").unwrap();
    let run = run_in(tmp.path(), &["plan", INV, "--out", "p.csv"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let csv = std::fs::read_to_string(tmp.path().join("p.csv")).unwrap();
    let json = std::fs::read_to_string(tmp.path().join("p.json")).unwrap();
    assert!(csv.starts_with("service,server"), "{csv}");
    assert!(json.starts_with('{'), "{json}");
    let names: Vec<String> = snapshot(tmp.path()).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["inv", "p.csv", "p.json"]);
}

/// One datacenter of `racks` racks of 20 identical servers and `services`
/// services: big enough that the exact MILP is still searching after seconds.
fn big_fleet(racks: usize, services: usize) -> Inv {
    let mut power = String::from(
        "id,datacenter,kind,feeds_from,capacity_w\nua,dc1,utility,,100000000\nub,dc1,utility,,100000000\n",
    );
    let mut rack_rows = String::from("id,datacenter\n");
    let mut servers = String::from("id,rack,cpu,mem_gb,psu,idle_w,max_w\n");
    for r in 0..racks {
        rack_rows += &format!("r{r},dc1\n");
        power += &format!("pa{r},dc1,pdu,ua,1000000\npb{r},dc1,pdu,ub,1000000\n");
        for s in 0..20 {
            servers += &format!("r{r}s{s},r{r},32,128,pa{r};pb{r},100,300\n");
        }
    }
    let mut toml = String::new();
    for k in 0..services {
        toml += &format!(
            "[[service]]\nname = \"svc{k}\"\nmin_replicas = {}\ncpu = {}\nmem_gb = {}\nsurvive = [\"rack\", \"power:50%\"]\n",
            2 + k % 4,
            1 + k % 5,
            2 + k % 7
        );
    }
    Inv::new()
        .raw("datacenters.csv", b"id\ndc1\n")
        .raw("racks.csv", rack_rows.as_bytes())
        .raw("power.csv", power.as_bytes())
        .raw("servers.csv", servers.as_bytes())
        .raw("services.toml", toml.as_bytes())
}

#[test]
fn sigkill_while_planning_leaves_the_old_files_intact() {
    let tmp = big_fleet(20, 100).write();
    std::fs::write(tmp.path().join("p.csv"), "service,server\nold,file\n").unwrap();
    std::fs::write(tmp.path().join("p.json"), "{\"old\": true}\n").unwrap();
    let before = snapshot(tmp.path());
    let mut child = std::process::Command::new(faultplan(tmp.path()).get_program())
        .current_dir(tmp.path())
        .args([
            "plan",
            INV,
            "--out",
            "p.csv",
            "--method",
            "milp",
            "--objective",
            "servers",
            "--time-limit",
            "120",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    std::thread::sleep(Duration::from_secs(3));
    assert!(
        child.try_wait().unwrap().is_none(),
        "plan ended within {:?}: the fleet is too small to kill it mid-solve",
        start.elapsed()
    );
    // Child::kill is SIGKILL on Unix: no destructor or handler runs.
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(snapshot(tmp.path()), before);
}
