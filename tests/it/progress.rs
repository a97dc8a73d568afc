//! Progress on stderr when it is not a terminal (as here and in CI): plain
//! lines on a clock, none for a short run, none with --quiet.

use crate::support::{faultplan, root};

/// Runs `capacity` on goodbarber (margins: a few seconds of headroom
/// searches) with the progress interval shortened to 0.2 s.
fn capacity(extra: &[&str]) -> (i32, String) {
    let output = faultplan(&root())
        .env("FAULTPLAN_PROGRESS_SECS", "0.2")
        .args(["capacity", "inventories/goodbarber", "--time-limit", "1"])
        .args(extra)
        .output()
        .expect("faultplan runs");
    let stderr = String::from_utf8(output.stderr).expect("stderr is UTF-8");
    (output.status.code().expect("an exit code"), stderr)
}

#[test]
fn a_long_run_prints_plain_lines_with_the_stage_and_elapsed_time() {
    let (_, stderr) = capacity(&[]);
    let lines: Vec<&str> = stderr.lines().collect();
    assert!(!lines.is_empty(), "no progress on stderr");
    for line in &lines {
        let rest = line
            .strip_prefix("faultplan capacity [")
            .unwrap_or_else(|| panic!("not a progress line: {line:?}"));
        let (seconds, stage) = rest.split_once(" s] ").expect("the time, then the stage");
        seconds.parse::<u64>().expect("whole seconds");
        assert!(!stage.is_empty(), "{line:?}");
    }
    // No spinner control codes in a log.
    assert!(
        !stderr.contains('\u{1b}') && !stderr.contains('\r'),
        "{stderr:?}"
    );
}

#[test]
fn quiet_prints_no_progress() {
    let (code, stderr) = capacity(&["--quiet"]);
    assert_eq!(stderr, "", "exit {code}");
}

#[test]
fn json_output_gets_progress_on_stderr_and_clean_json_on_stdout() {
    let output = faultplan(&root())
        .env("FAULTPLAN_PROGRESS_SECS", "0.2")
        .args(["capacity", "inventories/goodbarber", "--time-limit", "1"])
        .args(["--format", "json"])
        .output()
        .expect("faultplan runs");
    let stderr = String::from_utf8(output.stderr).expect("UTF-8");
    assert!(stderr.contains("faultplan capacity ["), "{stderr:?}");
    serde_json::from_slice::<serde_json::Value>(&output.stdout).expect("stdout is JSON");
}

#[test]
fn a_run_shorter_than_the_first_interval_prints_nothing() {
    let tmp = tempfile::tempdir().expect("a temp dir");
    let out = tmp.path().join("placement.csv");
    let output = faultplan(&root())
        .env_remove("FAULTPLAN_PROGRESS_SECS")
        .args(["plan", "inventories/goodbarber", "--out"])
        .arg(&out)
        .output()
        .expect("faultplan runs");
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&output.stderr), "");
}

/// With a 1 ms interval, plan and maintenance on goodbarber print progress
/// lines in most runs; --quiet must print none in every run.
#[test]
fn quiet_silences_plan_and_maintenance_too() {
    let tmp = tempfile::tempdir().expect("a temp dir");
    let out = tmp.path().join("placement.csv");
    let out = out.to_str().expect("a UTF-8 path");
    let placement = "inventories/goodbarber/incident-placement.csv";
    let runs: [&[&str]; 2] = [
        &["plan", "inventories/goodbarber", "--out", out, "-q"],
        &[
            "maintenance",
            "inventories/goodbarber",
            "--placement",
            placement,
            "--quiet",
        ],
    ];
    for args in runs {
        let output = faultplan(&root())
            .env("FAULTPLAN_PROGRESS_SECS", "0.001")
            .args(args)
            .output()
            .expect("faultplan runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(stderr, "", "{args:?}");
    }
}
