//! `faultplan diff`: exit codes like diff(1), a hand-checked rendering with
//! margins, JSON, and `plan --current` printing the same rendering.

use crate::support::{baseline, run_in, run_root, Inv, INV};

/// The baseline (web: min 2 after any rack loss, on s1, s2, s3 in racks r1,
/// r2, r3) plus a second placement `new.csv`.
fn with_new(new: &str) -> Inv {
    baseline().file("new.csv", new)
}

fn diff(inv: &Inv, extra: &[&str]) -> crate::support::Run {
    let mut args = vec!["diff", INV, "inv/placement.csv", "inv/new.csv"];
    args.extend_from_slice(extra);
    inv.run(&args)
}

#[test]
fn identical_placements_exit_0_whatever_their_row_order() {
    let run = diff(
        &with_new(
            "
            service,server
            web,s3
            web,s1
            web,s2
            ",
        ),
        &[],
    );
    assert_eq!(
        (run.code, run.stdout.as_str(), run.stderr.as_str()),
        (0, "Diff: 0 to add, 0 to remove, 0 to move.\n", "")
    );
}

/// Removing web's replica on s3 leaves 2: losing r1 or r2 then leaves 1 of the
/// 2 needed, so its margin under `rack` goes from 3-1-2 = 0 to 2-1-2 = -1.
#[test]
fn a_removed_replica_and_its_margin_hand_checked() {
    let run = diff(
        &with_new(
            "
            service,server
            web,s1
            web,s2
            ",
        ),
        &[],
    );
    assert_eq!(run.stderr, "");
    assert_eq!(
        run.stdout,
        "  - web from s3\n\n  web: margin 0 → -1 under rack\n\nDiff: 0 to add, 1 to remove, 0 to move.\n"
    );
    assert_eq!(run.code, 1);
}

#[test]
fn a_move_and_an_addition_hand_checked() {
    let inv = baseline()
        .placement(
            "
            service,server
            web,s1
            web,s2
            ",
        )
        .services(
            r#"
            [[service]]
            name = "web"
            min_replicas = 2
            cpu = 2
            survive = ["rack"]

            [[service]]
            name = "cache"
            min_replicas = 1
            cpu = 1
            survive = ["rack"]
            "#,
        )
        .file(
            "new.csv",
            "
            service,server
            web,s1
            web,s3
            cache,s1
            cache,s2
            ",
        );
    let run = diff(&inv, &[]);
    // web: s2 -> s3 keeps two racks, so its margin stays -1 and is not shown;
    // cache goes from none (margin 0 - 1) to two racks (margin 1 - 1 = 0).
    assert_eq!(
        run.stdout,
        "  ~ web: s2 -> s3\n  + cache on s1\n  + cache on s2\n\n  cache: margin -1 → 0 under rack\n\nDiff: 2 to add, 0 to remove, 1 to move.\n"
    );
    assert_eq!(run.code, 1);
    let json = diff(&inv, &["--format", "json"]);
    assert_eq!(json.code, 1);
    let value: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(value["command"], "diff");
    assert_eq!(value["identical"], false);
    assert_eq!(
        value["totals"],
        serde_json::json!({"add": 2, "remove": 0, "move": 1})
    );
    assert_eq!(
        value["changes"][0],
        serde_json::json!({"change": "move", "service": "web", "from": "s2", "to": "s3"})
    );
    assert_eq!(
        value["margins"],
        serde_json::json!([
            {"service": "web", "word": "rack", "before": -1, "after": -1,
             "before_scenario": "rack r1", "after_scenario": "rack r1"},
            {"service": "cache", "word": "rack", "before": -1, "after": 0,
             "before_scenario": null, "after_scenario": "rack r1"},
        ])
    );
    // web is short of a rack's worth in both placements: neither passes.
    assert_eq!(value["old_passes"], false);
    assert_eq!(value["new_passes"], false);
}

#[test]
fn a_bad_placement_exits_2_naming_file_and_line() {
    let run = diff(
        &with_new(
            "
            service,server
            web,s1
            web,nope
            ",
        ),
        &[],
    );
    assert_eq!(run.code, 2);
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr,
        "error: inv/new.csv:3:2: column \"server\": unknown server \"nope\"\n"
    );
    let missing = baseline().run(&["diff", INV, "inv/placement.csv", "inv/missing.csv"]);
    assert_eq!(missing.code, 2);
    assert!(
        missing.stderr.starts_with("error: inv/missing.csv"),
        "{}",
        missing.stderr
    );
}

/// `plan --current` prints the diff of the current placement and the plan it
/// wrote, through the same renderer (its total line says `Plan:`).
#[test]
fn plan_current_prints_the_diff_rendering() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("fixed.csv");
    let out = out.to_str().unwrap();
    let current = "inventories/goodbarber/incident-placement.csv";
    let plan = run_root(&[
        "plan",
        "inventories/goodbarber",
        "--current",
        current,
        "--out",
        out,
        "--method",
        "greedy",
    ]);
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);
    let diff = run_root(&["diff", "inventories/goodbarber", current, out]);
    assert_eq!(diff.code, 1);
    let body = diff
        .stdout
        .strip_suffix("Diff: 0 to add, 0 to remove, 2 to move.\n")
        .unwrap_or_else(|| panic!("{}", diff.stdout));
    assert!(
        plan.stdout.contains(&format!(
            "\n\n{body}Plan: 0 to add, 0 to remove, 2 to move.\n"
        )),
        "plan:\n{}\ndiff:\n{}",
        plan.stdout,
        diff.stdout
    );
    // Both session replicas moved off par1-r03: one rack now takes one of its 3.
    assert!(
        body.contains("  session: margin -2 → 0 under rack\n"),
        "{body}"
    );
}

#[test]
fn help_describes_the_exit_codes() {
    let tmp = tempfile::tempdir().unwrap();
    let run = run_in(tmp.path(), &["diff", "--help"]);
    assert_eq!(run.code, 0);
    assert!(run.stdout.contains("  0  the placements are identical"));
    assert!(run
        .stdout
        .trim_end()
        .ends_with("names the file, line and column"));
}
