//! Issue 24, item 3: human output that fits. Every command's human output on
//! the shipped inventories and on a generated 1,000-server fleet has no line
//! wider than 100 columns, and its snapshots (insta) are taken at that width;
//! `--wide` lifts the limit and $COLUMNS narrows it.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::support::{faultplan, root, run_in, Run};

// The generator of bench/run.sh, compiled into the tests so that they make
// the same fleet without a second cargo build.
#[path = "../../examples/genfleet.rs"]
#[allow(dead_code, clippy::all)]
pub(crate) mod genfleet;

const COLUMNS: usize = 100;

/// The 1k fleet of bench/run.sh (`genfleet --preset small --placement`), made
/// once per test run in cargo's scratch folder; runs name it `fleet1k`.
pub(crate) fn fleet_1k() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("width");
        let out = dir.join("fleet1k");
        let out = out.to_str().expect("a UTF-8 scratch path");
        assert!(genfleet::generate(&[
            "--preset",
            "small",
            "--placement",
            "--out",
            out
        ]));
        dir
    })
}

/// Lines wider than `columns` (in characters: the tables' box drawing is one
/// column each), with their line numbers.
fn too_wide(text: &str, columns: usize) -> Vec<(usize, usize)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.chars().count()))
        .filter(|&(_, width)| width > columns)
        .collect()
}

#[track_caller]
fn fits(run: &Run, args: &[&str]) {
    assert!(
        run.stderr.is_empty() || run.code != 0,
        "{args:?}: {}",
        run.stderr
    );
    assert!(!run.stdout.is_empty(), "{args:?} printed nothing");
    assert_eq!(
        too_wide(&run.stdout, COLUMNS),
        vec![],
        "{args:?}: lines wider than {COLUMNS} columns (line, width):\n{}",
        run.stdout
    );
}

const G: &str = "inventories/goodbarber";
const T: &str = "inventories/two-sites";

/// Commands on the shipped inventories whose human output is the same on
/// every run: each fits, and is snapshotted.
const SHIPPED: &[(&str, &[&str])] = &[
    (
        "check_goodbarber",
        &[
            "check",
            G,
            "--placement",
            "inventories/goodbarber/incident-placement.csv",
        ],
    ),
    (
        "check_two_sites",
        &[
            "check",
            T,
            "--placement",
            "inventories/two-sites/placement.csv",
        ],
    ),
    (
        "check_drift",
        &[
            "check",
            G,
            "--placement",
            "inventories/goodbarber/repaired-placement.csv",
            "--current",
            "inventories/goodbarber/incident-placement.csv",
        ],
    ),
    ("scenarios_goodbarber", &["scenarios", G]),
    ("scenarios_two_sites", &["scenarios", T]),
    (
        "scenarios_pdu_pairs",
        &["scenarios", "inventories/pdu-pairs"],
    ),
    (
        "simulate_goodbarber",
        &[
            "simulate",
            G,
            "--placement",
            "inventories/goodbarber/incident-placement.csv",
            "--fail",
            "par1-r03",
        ],
    ),
    (
        "simulate_two_sites",
        &[
            "simulate",
            T,
            "--placement",
            "inventories/two-sites/placement.csv",
            "--fail",
            "fra1-ups-a",
        ],
    ),
    (
        "maintenance_two_sites",
        &[
            "maintenance",
            T,
            "--placement",
            "inventories/two-sites/placement.csv",
            "--no-fix",
        ],
    ),
    (
        "maintenance_goodbarber",
        &[
            "maintenance",
            G,
            "--placement",
            "inventories/goodbarber/incident-placement.csv",
            "--no-fix",
        ],
    ),
    (
        "migrate_goodbarber",
        &[
            "migrate",
            G,
            "--current",
            "inventories/goodbarber/incident-placement.csv",
            "--target",
            "inventories/goodbarber/repaired-placement.csv",
        ],
    ),
    (
        "diff_goodbarber",
        &[
            "diff",
            G,
            "inventories/goodbarber/incident-placement.csv",
            "inventories/goodbarber/repaired-placement.csv",
        ],
    ),
];

#[test]
fn shipped_inventories_fit_100_columns() {
    for (name, args) in SHIPPED {
        let run = run_in(&root(), args);
        fits(&run, args);
        insta::assert_snapshot!(format!("shipped_{name}"), run.stdout);
    }
}

/// Commands on the 1k fleet, run from its scratch folder.
const FLEET: &[(&str, &[&str])] = &[
    (
        "check",
        &["check", "fleet1k", "--placement", "fleet1k/placement.csv"],
    ),
    ("scenarios", &["scenarios", "fleet1k"]),
    (
        "simulate",
        &[
            "simulate",
            "fleet1k",
            "--placement",
            "fleet1k/placement.csv",
            "--fail",
            "dc01-r0001",
        ],
    ),
    (
        "maintenance",
        &[
            "maintenance",
            "fleet1k",
            "--placement",
            "fleet1k/placement.csv",
            "--no-fix",
        ],
    ),
];

#[test]
fn a_1k_fleet_fits_100_columns_and_its_long_lists_are_cut() {
    let dir = fleet_1k();
    for (name, args) in FLEET {
        let run = run_in(dir, args);
        fits(&run, args);
        insta::assert_snapshot!(format!("fleet1k_{name}"), run.stdout);
        // 100 services, 60 scenarios, 160 components: each list is cut.
        assert!(
            run.stdout.lines().count() < 60,
            "{args:?}: {} lines",
            run.stdout.lines().count()
        );
    }
    let wide = run_in(
        dir,
        &[
            "maintenance",
            "fleet1k",
            "--placement",
            "fleet1k/placement.csv",
            "--no-fix",
            "--wide",
        ],
    );
    assert!(!wide.stdout.contains("more: --wide"), "{}", wide.stdout);
    assert!(wide.stdout.lines().count() > 160, "every component listed");
}

/// `capacity` searches under a time limit, so its numbers may differ from run
/// to run: its width is checked, not its text.
#[test]
fn capacity_fits_100_columns() {
    let runs: [(&Path, &[&str]); 3] = [
        (
            &root(),
            &[
                "capacity",
                G,
                "--placement",
                "inventories/goodbarber/repaired-placement.csv",
                "--time-limit",
                "5",
            ],
        ),
        (
            &root(),
            &["capacity", "inventories/pdu-pairs", "--time-limit", "5"],
        ),
        (
            fleet_1k(),
            &[
                "capacity",
                "fleet1k",
                "--placement",
                "fleet1k/placement.csv",
                "--time-limit",
                "5",
            ],
        ),
    ];
    for (dir, args) in runs {
        let run = run_in(dir, args);
        fits(&run, args);
    }
    let run = run_in(
        fleet_1k(),
        &[
            "capacity",
            "fleet1k",
            "--placement",
            "fleet1k/placement.csv",
            "--time-limit",
            "5",
        ],
    );
    assert!(
        run.stdout
            .contains("The 10 of 100 services with the least headroom (and 90 more"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("The 10 of 110 power components most loaded under failover (and 100 more"),
        "{}",
        run.stdout
    );
}

#[test]
fn wide_lifts_the_limit_and_columns_narrows_it() {
    let args = [
        "check",
        T,
        "--placement",
        "inventories/two-sites/placement.csv",
    ];
    let wide = run_in(&root(), &[&args[..], &["--wide"]].concat());
    assert!(
        !too_wide(&wide.stdout, COLUMNS).is_empty(),
        "{}",
        wide.stdout
    );
    let output = faultplan(&root())
        .args(args)
        .env("COLUMNS", "72")
        .output()
        .unwrap();
    let narrow = String::from_utf8(output.stdout).unwrap();
    assert_eq!(too_wide(&narrow, 72), vec![], "{narrow}");
    assert!(narrow.contains("PASSED"), "{narrow}");
}

/// Between two placements of 1,000 servers (the tight fleet's greedy spread
/// and its witness) thousands of replicas move: `diff` and `migrate` list the
/// first few changes and count the rest.
#[test]
fn changes_between_two_1k_placements_are_cut() {
    let dir = crate::pictures::tight_1k();
    let diff = ["diff", "tight1k", "greedy.csv", "tight1k/placement.csv"];
    let migrate = [
        "migrate",
        "tight1k",
        "--current",
        "greedy.csv",
        "--target",
        "tight1k/placement.csv",
    ];
    for args in [&diff[..], &migrate[..]] {
        let run = run_in(dir, args);
        fits(&run, args);
        assert!(
            run.stdout.lines().count() < 100,
            "{args:?}:\n{}",
            run.stdout
        );
        assert!(
            run.stdout
                .contains(" more: --wide or --format json lists them all)"),
            "{}",
            run.stdout
        );
    }
    let wide = run_in(dir, &[&diff[..], &["--wide"]].concat());
    assert!(wide.stdout.lines().count() > 5000, "every change listed");
}
