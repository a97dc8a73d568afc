//! Messages in the user's words (issue 24): the cases where a new user got a
//! message that pointed away from the cause, each asserted as the exact line
//! and exit 2; and every command's `--help` against the exit codes it returns.
//! Kept apart from `bad_input` (same helpers) so that neither file grows past
//! the size the layout rules allow.

use crate::bad_input::{expect_errors, expect_errors_with};
use crate::support::{baseline, CHECK};

#[test]
fn servers_csv_with_only_its_header() {
    // Not "web requires ; no active server has it": the cause is the empty file.
    let inv = baseline().servers("id,rack,cpu,mem_gb,psu\n");
    let want = ["inv/servers.csv:1: no servers (the file has only its header)"];
    expect_errors(&inv, &want);
    expect_errors_with(&inv, &["scenarios", "inv"], &want);
    expect_errors_with(&inv, &["plan", "inv", "--out", "p.csv"], &want);
}

#[test]
fn negative_counts_in_services_are_named_by_their_key() {
    let inv = baseline().services(
        r#"
        [defaults]
        max_replicas = -2

        [[service]]
        name = "web"
        min_replicas = -3
        max_per_server = -1
        cpu = 2
        "#,
    );
    expect_errors(
        &inv,
        &[
            "inv/services.toml:2:16: max_replicas must be a whole number ≥ 0, found -2",
            "inv/services.toml:6:16: min_replicas must be a whole number ≥ 0, found -3",
            "inv/services.toml:7:18: max_per_server must be a whole number ≥ 1, found -1",
        ],
    );
}

#[test]
fn a_count_that_is_not_a_whole_number_says_what_is_expected() {
    let inv = baseline().edit("services.toml", "min_replicas = 2", "min_replicas = 2.5");
    expect_errors(
        &inv,
        &["inv/services.toml:3:16: min_replicas must be a whole number ≥ 0, found 2.5"],
    );
    let inv = baseline().edit("services.toml", "min_replicas = 2", "min_replicas = \"2\"");
    expect_errors(
        &inv,
        &["inv/services.toml:3:16: invalid type: string \"2\", expected a whole number ≥ 0"],
    );
}

#[test]
fn count_beyond_u32_is_refused_by_the_limit() {
    let inv = baseline().edit(
        "services.toml",
        "min_replicas = 2",
        "min_replicas = 5000000000",
    );
    expect_errors(
        &inv,
        &["inv/services.toml:3:16: `min_replicas` = 5000000000 is above faultplan's limit of 1000000 (see docs/formats.md, Limits)"],
    );
}

#[test]
fn placement_read_with_an_empty_services_toml_says_so_once() {
    for services in ["", "[defaults]\nsurvive = [\"rack\"]\n"] {
        let inv = baseline().services(services);
        expect_errors(
            &inv,
            &["inv/placement.csv:2:1: column \"service\": unknown service \"web\": inv/services.toml defines no [[service]], and this file places 3 replicas of 1 service"],
        );
    }
}

#[test]
fn unknown_service_is_said_once_with_the_count_of_its_rows() {
    let inv = baseline().placement(
        "
        service,server
        wbe,s1
        web,s2
        wbe,s3
        db,s1
        db,s2
        db,s3
        ",
    );
    expect_errors(
        &inv,
        &[
            "inv/placement.csv:2:1: column \"service\": unknown service \"wbe\" (not in inv/services.toml); 1 more row names it",
            "inv/placement.csv:5:1: column \"service\": unknown service \"db\" (not in inv/services.toml); 2 more rows name it",
        ],
    );
}

#[test]
fn one_error_beyond_the_limit_is_counted_in_the_singular() {
    let mut placement = String::from("service,server\n");
    for i in 0..1001 {
        placement.push_str(&format!("web,x{i}\n"));
    }
    let run = baseline().file("placement.csv", &placement).run(&CHECK);
    assert_eq!(run.code, 2);
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 1001);
    assert_eq!(
        lines[1000],
        "error: inv/placement.csv: 1 more error not shown (only the first 1000 are); fix these and run again"
    );
}

/// Every exit code each command can return (read from its code paths: only
/// these return `Failure::Violated`, exit 1), and no other, in its `--help`.
#[test]
fn every_help_lists_every_exit_code_its_command_can_return() {
    let commands: [(&[&str], &[&str]); 16] = [
        (&[], &["0", "1", "2"]),
        (&["check"], &["0", "1", "2"]),
        (&["scenarios"], &["0", "2"]),
        (&["plan"], &["0", "1", "2"]),
        (&["migrate"], &["0", "1", "2"]),
        (&["maintenance"], &["0", "1", "2"]),
        (&["simulate"], &["0", "1", "2"]),
        (&["report"], &["0", "2"]),
        (&["graph"], &["0", "2"]),
        (&["export"], &["0", "2"]),
        (&["diff"], &["0", "1", "2"]),
        (&["completions"], &["0", "2"]),
        (&["man"], &["0", "2"]),
        (&["import"], &["0", "2"]),
        (&["import", "netbox"], &["0", "2"]),
        (&["capacity"], &["0", "1", "2"]),
    ];
    for (command, codes) in commands {
        let args: Vec<&str> = command.iter().copied().chain(["--help"]).collect();
        let run = crate::support::run_root(&args);
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
        let (_, listed) = run
            .stdout
            .split_once("Exit codes:\n")
            .unwrap_or_else(|| panic!("{args:?} --help has no exit codes:\n{}", run.stdout));
        let listed: Vec<&str> = listed
            .lines()
            .filter_map(|l| l.strip_prefix("  ")?.split("  ").next())
            .filter(|code| code.chars().all(|c| c.is_ascii_digit()) && !code.is_empty())
            .collect();
        assert_eq!(listed, codes, "{args:?} --help:\n{}", run.stdout);
    }
}

#[test]
fn unknown_service_in_growth_csv_is_said_once_with_the_count_of_its_rows() {
    // Issue 24: growth.csv said it once per row, each time listing every
    // service of services.toml.
    let inv = baseline().file(
        "growth.csv",
        "service,factor\nwbe,2\nweb,2\nwbe,3\ndb,2\ndb,2\ndb,2\n",
    );
    let run = inv.run(&["capacity", "inv", "--growth-file", "inv/growth.csv"]);
    assert_eq!((run.code, run.stdout.as_str()), (2, ""), "{}", run.stderr);
    assert_eq!(
        run.stderr,
        "error: inv/growth.csv:2:1: column \"service\": unknown service \"wbe\" (not in inv/services.toml); 1 more row names it\n\
         error: inv/growth.csv:5:1: column \"service\": unknown service \"db\" (not in inv/services.toml); 2 more rows name it\n"
    );
}
