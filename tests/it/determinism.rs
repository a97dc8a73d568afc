//! Same input, same output bytes: `check` gates deploys, and a rerun that says
//! something else (even only in order) would be a different verdict to diff.
//! (plan's determinism is tested with plan.)

use crate::support::run_root;

/// Runs `args` from the package root `times` times; asserts identical stdout
/// and exit codes, and returns the first stdout.
fn same_bytes(args: &[&str], times: usize) -> Vec<u8> {
    let first = run_root(args);
    for _ in 1..times {
        let again = run_root(args);
        assert_eq!(again.code, first.code, "{args:?}");
        assert!(
            again.stdout_bytes == first.stdout_bytes,
            "{args:?}: output differs between runs"
        );
    }
    first.stdout_bytes
}

#[test]
fn check_json_gives_the_same_bytes_every_run() {
    for (inventory, placement) in [
        (
            "inventories/goodbarber",
            "inventories/goodbarber/incident-placement.csv",
        ),
        (
            "inventories/two-sites",
            "inventories/two-sites/placement.csv",
        ),
    ] {
        let out = same_bytes(
            &[
                "check",
                inventory,
                "--placement",
                placement,
                "--format",
                "json",
            ],
            10,
        );
        assert!(out.starts_with(b"{"), "{inventory}: not JSON");
    }
}

#[test]
fn every_check_format_and_scenarios_are_deterministic() {
    let check = [
        "check",
        "inventories/two-sites",
        "--placement",
        "inventories/two-sites/placement.csv",
        "--format",
    ];
    for format in ["human", "junit", "github"] {
        let mut args = check.to_vec();
        args.push(format);
        same_bytes(&args, 3);
    }
    same_bytes(
        &["scenarios", "inventories/two-sites", "--format", "json"],
        3,
    );
}
