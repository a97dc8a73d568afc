//! `plan`'s two ways of not writing a placement, on hand-made inventories:
//! "no placement exists" (proven, with the limits that bind, one inventory per
//! cause) and "no placement found" (not a proof).

use crate::support::{run_in, run_root, Inv, INV};

/// One datacenter with A and B utilities, racks r1 to r3, the given PDUs and servers.
fn fleet(pdus: &str, servers: &str, services: &str) -> Inv {
    Inv::new()
        .datacenters("id\ndc\n")
        .racks("id,datacenter\nr1,dc\nr2,dc\nr3,dc\n")
        .power(&format!(
            "id,datacenter,kind,feeds_from,capacity_w,max_utilization\nua,dc,utility,,100000,1\nub,dc,utility,,100000,1\n{pdus}"
        ))
        .servers(&format!("id,rack,cpu,mem_gb,psu,idle_w,max_w\n{servers}"))
        .services(services)
        .placement("service,server\n")
}

/// Runs `plan` on the inventory; returns (exit code, stdout, whether a file was written).
fn plan(inv: &Inv, extra: &[&str]) -> (i32, String, bool) {
    let tmp = inv.write();
    let mut args = vec!["plan", INV, "--out", "out.csv"];
    args.extend_from_slice(extra);
    let run = run_in(tmp.path(), &args);
    (
        run.code,
        run.stdout + &run.stderr,
        tmp.path().join("out.csv").exists(),
    )
}

/// An output path in a fresh folder; the folder goes when the guard does.
fn scratch() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = dir
        .path()
        .join("x.csv")
        .to_str()
        .expect("UTF-8 path")
        .to_string();
    (dir, path)
}

/// The header and the binding limits: the same with every MILP backend.
fn binding(out: &str) -> String {
    out.lines().take(2).collect::<Vec<_>>().join("\n") + "\n"
}

/// Which of two services falls short in which rack is the solver's choice
/// (services competing for the same servers); that three replicas fall
/// short, one per rack scenario, is not.
fn assert_three_racks_short(out: &str) {
    let short: Vec<&str> = out.lines().skip(2).collect();
    assert_eq!(short.len(), 3, "{out}");
    for rack in ["r1", "r2", "r3"] {
        assert!(
            short
                .iter()
                .any(|l| l.ends_with(&format!("short by 1 replica when rack {rack} fails"))),
            "{out}"
        );
    }
}

#[test]
fn cores_that_bind_are_named() {
    // a needs a replica on each of the three one-replica servers; b has no room.
    let inv = fleet(
        "pa,dc,pdu,ua,100000,1\n",
        "s1,r1,4,16,pa,0,0\ns2,r2,4,16,pa,0,0\ns3,r3,4,16,pa,0,0\n",
        "[[service]]\nname = \"a\"\nmin_replicas = 2\ncpu = 4\n\n[[service]]\nname = \"b\"\nmin_replicas = 1\ncpu = 4\n",
    );
    let (code, out, written) = plan(&inv, &[]);
    assert_eq!((code, written), (1, false), "{out}");
    insta::assert_snapshot!("explain_cpu", binding(&out));
    assert_three_racks_short(&out);
}

#[test]
fn memory_that_binds_is_named_and_cores_are_not() {
    // Plenty of cores; 16 GB per server holds one replica of either service.
    let inv = fleet(
        "pa,dc,pdu,ua,100000,1\n",
        "s1,r1,64,16,pa,0,0\ns2,r2,64,16,pa,0,0\ns3,r3,64,16,pa,0,0\n",
        "[[service]]\nname = \"a\"\nmin_replicas = 2\ncpu = 1\nmem_gb = 10\n\n[[service]]\nname = \"b\"\nmin_replicas = 1\ncpu = 1\nmem_gb = 10\n",
    );
    let (code, out, _) = plan(&inv, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(!out.contains("cores"), "cores are not short: {out}");
    insta::assert_snapshot!("explain_memory", binding(&out));
    assert_three_racks_short(&out);
}

#[test]
fn max_per_server_that_binds_with_cores_is_named() {
    // a needs its 4 replicas on both servers (2 per server), which leaves 14
    // cores on each; b needs 15. Without max_per_server a fits on one server.
    let inv = fleet(
        "pa,dc,pdu,ua,100000,1\n",
        "s1,r1,16,64,pa,0,0\ns2,r1,16,64,pa,0,0\n",
        "[[service]]\nname = \"a\"\nmin_replicas = 4\ncpu = 1\nmax_per_server = 2\nsurvive = []\n\n[[service]]\nname = \"b\"\nmin_replicas = 1\ncpu = 15\nsurvive = []\n",
    );
    let (code, out, _) = plan(&inv, &[]);
    assert_eq!(code, 1, "{out}");
    insta::assert_snapshot!("explain_max_per_server", binding(&out));
}

#[test]
fn power_in_normal_operation_is_named_with_its_components() {
    // The shipped example: the fleet has the 40 cores, the PDUs cannot carry them.
    let (_dir, out) = scratch();
    let run = run_root(&["plan", "inventories/pdu-pairs", "--out", &out]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(!run.stdout.contains("cores"), "{}", run.stdout);
    insta::assert_snapshot!("explain_power_normal", run.stdout);
}

#[test]
fn power_under_failover_is_named_with_the_scenario() {
    // Two dual-fed servers on a 500 W A/B pair: each PDU carries 300 W, but
    // when a side fails the other carries both servers, 600 W.
    let inv = fleet(
        "r1-a,dc,pdu,ua,500,1\nr1-b,dc,pdu,ub,500,1\n",
        "r1-s1,r1,8,16,r1-a;r1-b,100,500\nr1-s2,r1,8,16,r1-a;r1-b,100,500\n",
        "[[service]]\nname = \"svc\"\nmin_replicas = 2\ncpu = 4\nsurvive = [\"power:50%\"]\n",
    );
    let (code, out, _) = plan(&inv, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("power limits once load fails over"), "{out}");
    assert!(
        !out.contains("nothing failed ("),
        "normal operation is within limits: {out}"
    );
    insta::assert_snapshot!("explain_power_failover", out);
}

#[test]
fn a_single_fed_server_on_each_side_makes_the_same_fleet_feasible() {
    // Issue 10's four servers: one r1 server plus the A-only and B-only
    // servers; when side A fails, r1's B PDU carries 300 + 100 = 400 W.
    let inv = fleet(
        "r1-a,dc,pdu,ua,500,1\nr1-b,dc,pdu,ub,500,1\nr2-a,dc,pdu,ua,500,1\nr3-b,dc,pdu,ub,500,1\n",
        "r1-s1,r1,8,16,r1-a;r1-b,100,500\nr1-s2,r1,8,16,r1-a;r1-b,100,500\nr2-s1,r2,8,16,r2-a,100,500\nr3-s1,r3,8,16,r3-b,100,500\n",
        "[[service]]\nname = \"svc\"\nmin_replicas = 2\ncpu = 4\nsurvive = [\"power:50%\"]\n",
    );
    let (code, out, written) = plan(&inv, &[]);
    assert_eq!((code, written), (0, true), "{out}");
    assert!(out.contains("Placed 3 replicas"), "{out}");
    assert!(out.contains("optimal"), "{out}");
}

#[test]
fn a_move_limit_that_binds_is_named() {
    let (_dir, out) = scratch();
    let run = run_root(&[
        "plan",
        "inventories/goodbarber",
        "--current",
        "inventories/goodbarber/incident-placement.csv",
        "--max-moves",
        "1",
        "--out",
        &out,
    ]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    insta::assert_snapshot!("explain_max_moves", run.stdout);
}

#[test]
fn running_out_of_time_is_not_found_not_infeasible() {
    let (dir, out) = scratch();
    let args = [
        "plan",
        "inventories/goodbarber",
        "--time-limit",
        "0.000001",
        "--out",
        &out,
    ];
    let human = run_root(&args);
    assert_eq!(human.code, 1, "{}{}", human.stdout, human.stderr);
    assert!(human.stdout.is_empty(), "{}", human.stdout);
    assert!(
        human
            .stderr
            .starts_with("error: no placement found within the time limit of 0.000001 s"),
        "{}",
        human.stderr
    );
    assert!(
        human.stderr.contains("not a proof that none exists"),
        "{}",
        human.stderr
    );
    let mut json_args = args.to_vec();
    json_args.extend(["--format", "json"]);
    let json = run_root(&json_args);
    assert_eq!(json.code, 1);
    let value: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    assert_eq!(value["status"], "not_found");
    assert_eq!(value["feasible"], serde_json::Value::Null);
    assert!(value["suggestions"]
        .as_array()
        .is_some_and(|s| !s.is_empty()));
    assert!(!dir.path().join("x.csv").exists(), "nothing is written");
}

#[test]
fn every_status_is_in_the_json() {
    let out = tempfile::tempdir().expect("temporary folder");
    let csv = out.path().join("x.csv");
    let planned = run_root(&[
        "plan",
        "inventories/goodbarber",
        "--out",
        csv.to_str().expect("UTF-8 path"),
        "--format",
        "json",
    ]);
    assert_eq!(planned.code, 0, "{}{}", planned.stdout, planned.stderr);
    let value: serde_json::Value = serde_json::from_str(&planned.stdout).expect("JSON");
    assert_eq!(value["status"], "planned");
    let infeasible = run_root(&[
        "plan",
        "inventories/pdu-pairs",
        "--out",
        &csv.to_str().expect("UTF-8 path").replace("x.csv", "y.csv"),
        "--format",
        "json",
    ]);
    let value: serde_json::Value = serde_json::from_str(&infeasible.stdout).expect("JSON");
    assert_eq!(value["status"], "infeasible");
    assert_eq!(value["causes"][0]["cause"], "binding");
    assert_eq!(value["causes"][0]["limits"][0]["limit"], "power-normal");
    assert_eq!(
        value["causes"][0]["limits"][0]["components"],
        serde_json::json!(["r1-a", "r1-b"])
    );
}

#[test]
fn a_plan_with_no_replica_writes_the_header() {
    let inv = fleet(
        "pa,dc,pdu,ua,100000,1\n",
        "s1,r1,4,16,pa,0,0\n",
        "[[service]]\nname = \"idle\"\nmin_replicas = 0\ncpu = 4\n",
    );
    let tmp = inv.write();
    let run = run_in(tmp.path(), &["plan", INV, "--out", "out.csv"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let csv = std::fs::read_to_string(tmp.path().join("out.csv")).expect("written");
    assert_eq!(csv, "service,server,rack,datacenter\n");
    let check = run_in(tmp.path(), &["check", INV, "--placement", "out.csv"]);
    assert_eq!(check.code, 0, "{}{}", check.stdout, check.stderr);
}
