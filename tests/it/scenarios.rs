//! The `scenarios` and `simulate` commands.

use serde_json::Value;

use crate::support::{baseline, run_root};

/// The data rows of the first table in `out`: cells of each `│ ... │` line.
fn table_rows(out: &str) -> Vec<Vec<String>> {
    out.lines()
        .skip_while(|l| !l.starts_with('╞'))
        .skip(1)
        .take_while(|l| l.starts_with('│'))
        .map(|l| {
            l.trim_start_matches('│')
                .trim_end_matches('│')
                .split('┆')
                .map(|c| c.trim().to_string())
                .collect()
        })
        .collect()
}

// --- scenarios ------------------------------------------------------------------------------

#[test]
fn two_sites_blast_radius_largest_first() {
    let run = run_root(&["scenarios", "inventories/two-sites"]);
    assert_eq!((run.code, run.stderr.as_str()), (0, ""));
    let rows = table_rows(&run.stdout);
    assert_eq!(rows.len(), 21);
    let down: Vec<usize> = rows.iter().map(|r| r[1].parse().unwrap()).collect();
    assert!(
        down.windows(2).all(|w| w[0] >= w[1]),
        "sorted largest first: {down:?}"
    );
    // fra1 has 40 servers, ams1 28; a custom scenario of two fra1 racks is 20.
    assert_eq!(
        rows[..3]
            .iter()
            .map(|r| (r[0].as_str(), r[1].as_str()))
            .collect::<Vec<_>>(),
        vec![
            ("datacenter fra1", "40"),
            ("datacenter ams1", "28"),
            ("custom:fra1-room1-cooling", "20")
        ]
    );
    // The only scenarios flagged: a UPS whose loss darkens the single-PSU servers.
    let spof: Vec<(&str, &str)> = rows
        .iter()
        .filter(|r| r[5] == "sole feed")
        .map(|r| (r[0].as_str(), r[1].as_str()))
        .collect();
    assert_eq!(
        spof,
        vec![
            ("power:50%:ups fra1-ups-a", "4"),
            ("power:50%:ups ams1-ups-a", "3")
        ]
    );
    assert!(run.stdout.ends_with("21 scenarios, 2 sole power feeds\n"));
    insta::assert_snapshot!("two_sites_scenarios_human", run.stdout);
}

#[test]
fn two_sites_scenarios_json() {
    let run = run_root(&["scenarios", "inventories/two-sites", "--format", "json"]);
    assert_eq!(run.code, 0);
    let json: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json["format_version"], "1.0");
    assert_eq!(json["command"], "scenarios");
    assert_eq!(json["warnings"], serde_json::json!([]));
    let scenarios = json["scenarios"].as_array().unwrap();
    assert_eq!(scenarios.len(), 21);
    let down: Vec<u64> = scenarios
        .iter()
        .map(|s| s["servers_down"].as_u64().unwrap())
        .collect();
    assert!(down.windows(2).all(|w| w[0] >= w[1]), "{down:?}");
    let fra1 = &scenarios[0];
    assert_eq!(fra1["scenario"], "datacenter fra1");
    assert_eq!(fra1["words"], serde_json::json!(["datacenter"]));
    assert_eq!(fra1["servers_down"], 40);
    // fra1: 13 power components (3 roots, 2 UPS, 8 PDUs).
    assert_eq!(fra1["power_components_off"], 13);
    // 1216 of 2064 cores.
    assert!((fra1["cpu_share"].as_f64().unwrap() - 1216.0 / 2064.0).abs() < 1e-12);
    assert_eq!(fra1["single_point_of_failure"], false);
    let flagged: Vec<&str> = scenarios
        .iter()
        .filter(|s| s["single_point_of_failure"] == true)
        .map(|s| s["scenario"].as_str().unwrap())
        .collect();
    assert_eq!(
        flagged,
        vec!["power:50%:ups fra1-ups-a", "power:50%:ups ams1-ups-a"]
    );
    // Deterministic bytes.
    let again = run_root(&["scenarios", "inventories/two-sites", "--format", "json"]);
    assert_eq!(run.stdout_bytes, again.stdout_bytes);
}

#[test]
fn scenarios_survive_flag_overrides_services() {
    // Baseline: pa and pb feed the dual-PSU s1 and s2; p2 alone feeds s3 (8 of 24
    // cores, 200 of 600 W at max draw).
    let run = baseline().run(&["scenarios", "inv", "--survive", "power:pdu"]);
    assert_eq!((run.code, run.stderr.as_str()), (0, ""));
    assert_eq!(
        table_rows(&run.stdout),
        vec![
            vec!["power:pdu p2", "1", "33.33%", "33.33%", "1", "sole feed"],
            vec!["power:pdu pa", "0", "0%", "0%", "1", ""],
            vec!["power:pdu pb", "0", "0%", "0%", "1", ""],
        ]
    );
    assert!(run.stdout.ends_with("3 scenarios, 1 sole power feed\n"));
}

#[test]
fn scenarios_warns_about_a_datacenter_with_one_root() {
    // --wide: the warning on one line, as the assertion quotes it.
    let run = baseline().run(&["scenarios", "inv", "--survive", "power:50%", "--wide"]);
    assert_eq!(run.code, 0);
    let rows = table_rows(&run.stdout);
    assert_eq!(
        rows.iter()
            .map(|r| (r[0].as_str(), r[1].as_str(), r[4].as_str()))
            .collect::<Vec<_>>(),
        vec![("power:50% ua", "0", "2"), ("power:50% ub", "0", "2")]
    );
    assert!(run.stdout.contains(
        "warning[single-point-of-failure] power:50% in dc2 is vacuous: its smallest power source is 100% of its capacity, a single point of failure\n"
    ), "{}", run.stdout);
    let json = baseline().run(&[
        "scenarios",
        "inv",
        "--survive",
        "power:50%",
        "--format",
        "json",
    ]);
    let json: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(
        json["warnings"],
        serde_json::json!(["power:50% in dc2 is vacuous: its smallest power source is 100% of its capacity, a single point of failure"])
    );
}

// --- simulate -----------------------------------------------------------------------------

#[test]
fn simulate_two_sites_ups_a_fails_over_to_ups_b() {
    let args = [
        "simulate",
        "inventories/two-sites",
        "--placement",
        "inventories/two-sites/placement.csv",
        "--fail",
        "fra1-ups-a",
    ];
    let run = run_root(&args);
    assert_eq!((run.code, run.stderr.as_str()), (0, ""));
    assert!(run
        .stdout
        .starts_with("Failing fra1-ups-a: 4 servers down, 5 power components off\n"));
    assert!(run
        .stdout
        .ends_with("SURVIVES: 0 services below min_replicas, 0 power components overloaded\n"));
    insta::assert_snapshot!("two_sites_simulate_fra1_ups_a", run.stdout);

    let mut json_args = args.to_vec();
    json_args.extend(["--format", "json"]);
    let run = run_root(&json_args);
    assert_eq!(run.code, 0);
    let json: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json["format_version"], "1.0");
    assert_eq!(json["command"], "simulate");
    assert_eq!(json["passed"], true);
    let sim = &json["simulation"];
    // The four single-PSU R6515s of fra1 are only on side A.
    assert_eq!(
        sim["servers_down"],
        serde_json::json!([
            "fra1-r01-s01",
            "fra1-r02-s01",
            "fra1-r03-s01",
            "fra1-r04-s01"
        ])
    );
    let power = |id: &str| -> Value {
        sim["power"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["component"] == id)
            .cloned()
            .unwrap()
    };
    // UPS B takes side A's load, minus the 763.75 W of the four dark servers
    // (fra1-r01-s01: 90 + 190 * 10/16 = 208.75 W; three others 90 + 190 * 8/16 = 185 W):
    // 5410 + 4646.25 - 763.75 = 9292.5 W.
    let ups_b = power("fra1-ups-b");
    assert_eq!(ups_b["before_w"], 4646.25);
    assert_eq!(ups_b["after_w"], 9292.5);
    assert_eq!(ups_b["limit_w"], 32000.0);
    assert_eq!(
        (ups_b["powered"].clone(), ups_b["overloaded"].clone()),
        (Value::Bool(true), Value::Bool(false))
    );
    let ups_a = power("fra1-ups-a");
    assert_eq!(
        (
            ups_a["before_w"].clone(),
            ups_a["after_w"].clone(),
            ups_a["powered"].clone()
        ),
        (5410.0.into(), 0.0.into(), false.into())
    );
    let services: Vec<(String, u64, u64, bool)> = sim["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["service"].as_str().unwrap().into(),
                s["up_before"].as_u64().unwrap(),
                s["up_after"].as_u64().unwrap(),
                s["ok"].as_bool().unwrap(),
            )
        })
        .collect();
    let cache = services.iter().find(|s| s.0 == "cache").unwrap();
    assert_eq!(cache, &("cache".to_string(), 6, 5, true));
    let batch = services.iter().find(|s| s.0 == "batch").unwrap();
    assert_eq!(batch, &("batch".to_string(), 14, 10, true));
    assert!(services.iter().all(|s| s.3));
}

#[test]
fn simulate_goodbarber_rack_failure_takes_session_down() {
    let args = [
        "simulate",
        "inventories/goodbarber",
        "--placement",
        "inventories/goodbarber/incident-placement.csv",
        "--fail",
        "par1-r03",
    ];
    let run = run_root(&args);
    assert_eq!((run.code, run.stderr.as_str()), (1, ""));
    assert!(run
        .stdout
        .starts_with("Failing par1-r03: 20 servers down, 0 power components off\n"));
    let rows = table_rows(&run.stdout);
    let session = rows.iter().find(|r| r[0] == "session").unwrap();
    assert_eq!(session, &vec!["session", "2", "3", "0", "DOWN"]);
    assert_eq!(rows.iter().filter(|r| r[4] == "DOWN").count(), 1);
    assert!(run
        .stdout
        .ends_with("FAILS: 1 service below min_replicas, 0 power components overloaded\n"));

    let mut json_args = args.to_vec();
    json_args.extend(["--format", "json"]);
    let run = run_root(&json_args);
    assert_eq!(run.code, 1);
    let json: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json["passed"], false);
    let session = json["simulation"]["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["service"] == "session")
        .unwrap()
        .clone();
    assert_eq!(
        session,
        serde_json::json!({"service": "session", "needed": 2, "up_before": 3, "up_after": 0, "ok": false})
    );
}

#[test]
fn simulate_unknown_fail_id_exits_2() {
    let run = run_root(&[
        "simulate",
        "inventories/two-sites",
        "--placement",
        "inventories/two-sites/placement.csv",
        "--fail",
        "fra1-ups-c",
    ]);
    assert_eq!(run.code, 2);
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr,
        "error: --fail: unknown id \"fra1-ups-c\": expected a datacenter, rack, server or power component id\n"
    );
}

#[test]
fn simulate_several_failures_together() {
    // Both utilities of goodbarber: every server goes dark.
    let run = run_root(&[
        "simulate",
        "inventories/goodbarber",
        "--placement",
        "inventories/goodbarber/incident-placement.csv",
        "--fail",
        "par1-utility-a",
        "--fail",
        "par1-utility-b",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 1);
    let json: Value = serde_json::from_str(&run.stdout).unwrap();
    let sim = &json["simulation"];
    assert_eq!(
        sim["failed"],
        serde_json::json!(["par1-utility-a", "par1-utility-b"])
    );
    assert_eq!(sim["servers_down"].as_array().unwrap().len(), 80);
    assert_eq!(sim["power_off"].as_array().unwrap().len(), 12);
    assert!(sim["services"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["up_after"] == 0 && s["ok"] == false));
}
