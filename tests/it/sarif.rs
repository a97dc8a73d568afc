//! `check --format sarif` and `--fail-on`: SARIF 2.1.0 valid against the
//! OASIS schema (tests/it/fixtures, the copy serde-sarif ships), each finding
//! on the line of the user's file that causes it.

use crate::support::{baseline, check_args, root, run_root};

const GOODBARBER: [&str; 6] = [
    "check",
    "inventories/goodbarber",
    "--placement",
    "inventories/goodbarber/incident-placement.csv",
    "--format",
    "sarif",
];

fn sarif_validator() -> jsonschema::Validator {
    let text =
        std::fs::read_to_string(root().join("tests/it/fixtures/sarif-schema-2.1.0.json")).unwrap();
    let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    // The copy differs from serde-sarif's in one place: the `language`
    // pattern `^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$` (a stray `]` that a
    // strict regex engine rejects) reads `^[a-zA-Z]{2}(-[a-zA-Z]{2})?$`.
    jsonschema::validator_for(&schema).expect("the SARIF schema compiles")
}

#[test]
fn goodbarber_sarif_is_valid_and_locates_each_finding() {
    let run = run_root(&GOODBARBER);
    assert_eq!((run.code, run.stderr.as_str()), (1, ""));
    let log: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let errors: Vec<String> = sarif_validator()
        .iter_errors(&log)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(log["version"], "2.1.0");
    let results = log["runs"][0]["results"].as_array().unwrap();
    // One result per finding of check's JSON, same severities and messages.
    let mut json_args = GOODBARBER.to_vec();
    json_args[5] = "json";
    let json: serde_json::Value = serde_json::from_str(&run_root(&json_args).stdout).unwrap();
    let findings = json["findings"].as_array().unwrap();
    assert_eq!(results.len(), findings.len());
    for (result, finding) in results.iter().zip(findings) {
        assert_eq!(result["ruleId"], finding["code"]);
        assert_eq!(result["level"], finding["severity"]);
        assert_eq!(result["message"]["text"], finding["message"]);
        let rule = &log["runs"][0]["tool"]["driver"]["rules"]
            [result["ruleIndex"].as_u64().unwrap() as usize];
        assert_eq!(rule["id"], finding["code"]);
        let location = &result["locations"][0]["physicalLocation"];
        assert_eq!(location["artifactLocation"]["uri"], finding["file"]);
        assert_eq!(location["region"]["startLine"], finding["line"]);
    }
    // The broken guarantee points at the placement row of a lost replica.
    let lost = results
        .iter()
        .find(|r| r["ruleId"] == "replicas-lost")
        .unwrap();
    assert_eq!(lost["level"], "error");
    assert_eq!(
        lost["locations"][0]["physicalLocation"],
        serde_json::json!({
            "artifactLocation": {"uri": "inventories/goodbarber/incident-placement.csv"},
            "region": {"startLine": 90},
        })
    );
    insta::assert_snapshot!(
        "goodbarber_sarif",
        run.stdout.replace(env!("CARGO_PKG_VERSION"), "[VERSION]")
    );
}

#[test]
fn fail_on_sets_which_severity_exits_1() {
    // two-sites passes with 5 warnings.
    let base = [
        "check",
        "inventories/two-sites",
        "--placement",
        "inventories/two-sites/placement.csv",
    ];
    let with = |extra: &[&str]| {
        let mut args = base.to_vec();
        args.extend_from_slice(extra);
        run_root(&args).code
    };
    assert_eq!(with(&[]), 0);
    assert_eq!(with(&["--fail-on", "error"]), 0);
    assert_eq!(with(&["--fail-on", "warning"]), 1);
    assert_eq!(with(&["--fail-on", "warning", "--format", "sarif"]), 1);
    // An error fails either way.
    assert_eq!(run_root(&GOODBARBER[..4]).code, 1);
    // No finding at all: 0 either way (web keeps a margin of 1).
    let clean = baseline().edit("services.toml", "min_replicas = 2", "min_replicas = 1");
    let run = clean.run(&check_args(&["--fail-on", "warning", "--format", "json"]));
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(run.stdout.contains("\"warnings\": 0"));
    // Not a severity.
    assert_eq!(clean.run(&check_args(&["--fail-on", "note"])).code, 2);
}
