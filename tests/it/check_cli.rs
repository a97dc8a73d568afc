//! `faultplan check` on the shipped inventories, through the real binary: exit
//! codes, every output format, snapshots and determinism.

use std::collections::BTreeSet;

use crate::support::{baseline, check_args, run_root, Run};

const GOODBARBER: [&str; 4] = [
    "check",
    "inventories/goodbarber",
    "--placement",
    "inventories/goodbarber/incident-placement.csv",
];
const TWO_SITES: [&str; 4] = [
    "check",
    "inventories/two-sites",
    "--placement",
    "inventories/two-sites/placement.csv",
];

fn check(base: &[&str], format: &str) -> Run {
    let mut args = base.to_vec();
    args.extend(["--format", format]);
    let run = run_root(&args);
    assert_eq!(run.stderr, "", "{args:?}");
    run
}

// --- goodbarber: the incident placement fails on rack par1-r03 -------------------------

#[test]
fn goodbarber_incident_human() {
    // --wide: each finding on one line, as the assertions quote it.
    let run = check(&[&GOODBARBER[..], &["--wide"]].concat(), "human");
    assert_eq!(run.code, 1);
    assert!(run.stdout.contains(
        "error[replicas-lost] inventories/goodbarber/incident-placement.csv:90: session: only 0 of 2 required replicas stay up when rack par1-r03 fails (lost on par1-r03-s05, par1-r03-s06, par1-r03-s07)\n"
    ));
    assert_eq!(
        run.stdout.matches("error[").count(),
        1,
        "exactly one violated guarantee"
    );
    assert!(run.stdout.ends_with("\nFAILED: 1 error, 8 warnings\n"));
    insta::assert_snapshot!("goodbarber_human", run.stdout);
}

#[test]
fn goodbarber_default_format_is_human() {
    let run = run_root(&GOODBARBER);
    assert_eq!(run.code, 1);
    assert_eq!(run.stdout, check(&GOODBARBER, "human").stdout);
}

#[test]
fn goodbarber_incident_json() {
    let run = check(&GOODBARBER, "json");
    assert_eq!(run.code, 1);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).expect("valid JSON");
    assert_eq!(json["format_version"], "1.0");
    assert_eq!(json["command"], "check");
    assert_eq!(json["passed"], false);
    assert_eq!(
        json["summary"],
        serde_json::json!({"errors": 1, "warnings": 8, "services": 9, "scenarios": 6})
    );
    let errors: Vec<&serde_json::Value> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "error")
        .collect();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0]["code"], "replicas-lost");
    assert_eq!(errors[0]["service"], "session");
    assert_eq!(errors[0]["scenario"], "rack par1-r03");
    assert_eq!(errors[0]["needed"], 2);
    assert_eq!(errors[0]["up"], 0);
    let session = json["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["service"] == "session")
        .unwrap();
    assert_eq!(session["ok"], false);
    assert_eq!(session["worst_scenario"], "rack par1-r03");
    insta::assert_snapshot!("goodbarber_json", run.stdout);
}

#[test]
fn goodbarber_incident_junit() {
    let run = check(&GOODBARBER, "junit");
    assert_eq!(run.code, 1);
    let xml = &run.stdout;
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"));
    // 9 services × (normal + rack + power:50%) + power × (normal + 2 words) + capacity.
    assert!(
        xml.contains(
            "<testsuites name=\"faultplan check\" tests=\"31\" failures=\"1\" errors=\"0\">"
        ),
        "{xml}"
    );
    assert!(
        xml.contains("<testsuite name=\"services\" tests=\"27\""),
        "{xml}"
    );
    let names = testcase_names(xml);
    let services = [
        "web",
        "api",
        "session",
        "postgres",
        "redis",
        "rabbitmq",
        "build-worker",
        "media-storage",
        "push",
    ];
    let mut expected: Vec<String> = services
        .iter()
        .flat_map(|s| ["normal", "rack", "power:50%"].map(|g| format!("{s} survives {g}")))
        .collect();
    expected.extend(
        [
            "power within limits: normal",
            "power within limits: rack",
            "power within limits: power:50%",
        ]
        .map(String::from),
    );
    expected.push("servers within cpu and memory".into());
    assert_eq!(names, expected);
    // The one failure sits in "session survives rack".
    let failing = failing_testcases(xml);
    assert_eq!(failing, vec!["session survives rack".to_string()]);
    assert!(xml.contains("type=\"replicas-lost\""));
}

#[test]
fn goodbarber_incident_github() {
    let run = check(&GOODBARBER, "github");
    assert_eq!(run.code, 1);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(
        lines[0],
        "::error file=inventories/goodbarber/incident-placement.csv,line=90,title=faultplan replicas-lost::session: only 0 of 2 required replicas stay up when rack par1-r03 fails (lost on par1-r03-s05, par1-r03-s06, par1-r03-s07)"
    );
    assert_eq!(
        lines.iter().filter(|l| l.starts_with("::error ")).count(),
        1
    );
    assert_eq!(
        lines.iter().filter(|l| l.starts_with("::warning ")).count(),
        8
    );
    assert_eq!(
        lines[1],
        "::warning file=inventories/goodbarber/services.toml,line=7,title=faultplan zero-margin::web: exactly 18 replicas stay up when rack par1-r01 fails; one more failure breaches"
    );
    assert_github_lines(&run.stdout);
}

// --- two-sites: every guarantee holds ----------------------------------------------------

#[test]
fn two_sites_human() {
    let run = check(&TWO_SITES, "human");
    assert_eq!(run.code, 0);
    assert!(!run.stdout.contains("error["));
    assert!(run.stdout.ends_with("\nPASSED: 0 errors, 5 warnings\n"));
    insta::assert_snapshot!("two_sites_human", run.stdout);
}

#[test]
fn two_sites_json() {
    let run = check(&TWO_SITES, "json");
    assert_eq!(run.code, 0);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).expect("valid JSON");
    assert_eq!(json["format_version"], "1.0");
    assert_eq!(json["passed"], true);
    assert_eq!(
        json["summary"],
        serde_json::json!({"errors": 0, "warnings": 5, "services": 8, "scenarios": 21})
    );
    assert_eq!(
        json["words"],
        serde_json::json!([
            "rack",
            "datacenter",
            "power:50%:ups",
            "custom:fra1-room1-cooling",
            "custom:ams1-ups-b-work-r01-down",
            "power:50%"
        ])
    );
    let worst: Vec<(String, u64)> = json["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["service"].as_str().unwrap().to_string(),
                s["worst_up"].as_u64().unwrap(),
            )
        })
        .collect();
    // The README's table: worst case up per service.
    let expected = [
        ("frontend", 6),
        ("api", 8),
        ("postgres", 2),
        ("kafka", 3),
        ("search", 4),
        ("cache", 5),
        ("reporting", 2),
        ("batch", 12),
    ];
    assert_eq!(worst, expected.map(|(s, n)| (s.to_string(), n)).to_vec());
    insta::assert_snapshot!("two_sites_json", run.stdout);
}

#[test]
fn two_sites_junit() {
    let run = check(&TWO_SITES, "junit");
    assert_eq!(run.code, 0);
    // services: 6 with 3 words + cache and batch with 2, each plus "normal" = 30;
    // power: normal + 6 words = 7; capacity: 1.
    assert!(
        run.stdout.contains(
            "<testsuites name=\"faultplan check\" tests=\"38\" failures=\"0\" errors=\"0\">"
        ),
        "{}",
        run.stdout
    );
    let names = testcase_names(&run.stdout);
    assert_eq!(names.len(), 38);
    assert_eq!(
        names.iter().collect::<BTreeSet<_>>().len(),
        38,
        "testcase names are unique"
    );
    assert!(names.contains(&"reporting survives custom:ams1-ups-b-work-r01-down".to_string()));
    assert!(names.contains(&"batch survives power:50%".to_string()));
    assert!(failing_testcases(&run.stdout).is_empty());
}

#[test]
fn two_sites_github() {
    let run = check(&TWO_SITES, "github");
    assert_eq!(run.code, 0);
    assert_eq!(run.stdout.lines().count(), 5);
    assert!(run.stdout.lines().all(|l| l.starts_with("::warning ")));
    assert_github_lines(&run.stdout);
}

#[test]
fn output_is_deterministic() {
    for base in [&GOODBARBER, &TWO_SITES] {
        for format in ["human", "json", "junit", "github"] {
            let first = check(base, format);
            let second = check(base, format);
            assert_eq!(first.stdout_bytes, second.stdout_bytes, "{base:?} {format}");
            assert_eq!(first.code, second.code);
        }
    }
}

#[test]
fn fixing_the_incident_placement_passes() {
    // The README's fix: one session replica moved to par1-r01-s06, one to par1-r02-s07.
    let tmp = tempfile::tempdir().unwrap();
    let original = std::fs::read_to_string(
        crate::support::root().join("inventories/goodbarber/incident-placement.csv"),
    )
    .unwrap();
    let fixed = original
        .replace("session,par1-r03-s05\n", "session,par1-r01-s06\n")
        .replace("session,par1-r03-s06\n", "session,par1-r02-s07\n");
    assert_ne!(fixed, original);
    let path = tmp.path().join("fixed.csv");
    std::fs::write(&path, fixed).unwrap();
    let run = run_root(&[
        "check",
        "inventories/goodbarber",
        "--placement",
        path.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(
        run.stdout.ends_with("\nPASSED: 0 errors, 9 warnings\n"),
        "{}",
        run.stdout
    );
}

#[test]
fn services_flag_replaces_services_toml() {
    // With a stricter services file (web needs 3), the baseline fails.
    let inv = baseline().file(
        "strict.toml",
        "[[service]]\nname = \"web\"\nmin_replicas = 3\ncpu = 2\n",
    );
    let run = inv.run(&check_args(&[
        "--services",
        "inv/strict.toml",
        "--format",
        "json",
    ]));
    assert_eq!(run.code, 1);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json["context"]["services_file"], "inv/strict.toml");
    let codes: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        vec!["replicas-lost", "replicas-lost", "replicas-lost"]
    );
}

// --- helpers ------------------------------------------------------------------------------

fn testcase_names(xml: &str) -> Vec<String> {
    xml.split("<testcase name=\"")
        .skip(1)
        .map(|rest| rest[..rest.find('"').unwrap()].to_string())
        .collect()
}

fn failing_testcases(xml: &str) -> Vec<String> {
    xml.split("<testcase name=\"")
        .skip(1)
        .filter(|rest| {
            let case = &rest[..rest.find("</testcase>").unwrap()];
            case.contains("<failure")
        })
        .map(|rest| rest[..rest.find('"').unwrap()].to_string())
        .collect()
}

/// Every line is `::error|::warning file=<path>,line=<n>,title=...::<message>`.
fn assert_github_lines(out: &str) {
    assert!(!out.is_empty());
    for line in out.lines() {
        let rest = line
            .strip_prefix("::error ")
            .or_else(|| line.strip_prefix("::warning "))
            .unwrap_or_else(|| panic!("not an annotation: {line}"));
        let (properties, message) = rest.split_once("::").expect("properties::message");
        assert!(!message.is_empty(), "{line}");
        let props: Vec<&str> = properties.split(',').collect();
        assert!(props[0].starts_with("file=inventories/"), "{line}");
        let n = props[1]
            .strip_prefix("line=")
            .unwrap_or_else(|| panic!("no line= in {line}"));
        assert!(n.parse::<usize>().unwrap() >= 1, "{line}");
        assert!(props[2].starts_with("title=faultplan "), "{line}");
    }
}

#[test]
fn many_services_list_only_the_failing_ones() {
    // 41 services (above the 40 the table shows in full), no survive words; only
    // svc00 fails (2 needed, 1 placed).
    let mut services = String::from("[defaults]\nsurvive = []\ncpu = 0\n");
    let mut placement = String::from("service,server\n");
    for i in 0..41 {
        let min = if i == 0 { 2 } else { 1 };
        services += &format!("[[service]]\nname = \"svc{i:02}\"\nmin_replicas = {min}\n");
        placement += &format!("svc{i:02},s1\n");
    }
    let inv = baseline().services(&services).placement(&placement);
    // --wide: each finding on one line, as the assertions quote it.
    let run = inv.run(&check_args(&["--wide"]));
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stdout
            .contains("Failure scenarios: 0 evaluated for nothing (no survive words)\n"),
        "{}",
        run.stdout
    );
    let rows: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.starts_with("│ svc"))
        .collect();
    assert_eq!(rows.len(), 1, "{}", run.stdout);
    assert!(rows[0].starts_with("│ svc00 "), "{}", rows[0]);
    assert!(rows[0].contains("FAIL"));
    assert!(
        run.stdout
            .contains("\n41 services: 40 ok, 1 failing (the table lists the failing ones)\n"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains(
        "error[too-few-replicas] inv/services.toml:4: svc00: 1 of 2 required replicas up with nothing failed (1 placed)\n"
    ), "{}", run.stdout);
    assert!(
        run.stdout.ends_with("\nFAILED: 1 error, 0 warnings\n"),
        "{}",
        run.stdout
    );
}
