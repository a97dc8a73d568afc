//! `capacity`: growth of the demand (does it still fit?), on hand-worked
//! fleets whose answers are counted by hand in the comments.

use crate::support::{run_in, Inv, INV};

/// Two racks of `per_rack` 16-core dual-fed servers on A/B utilities; `web`
/// takes a whole server per replica (cpu 16) and survives losing a rack.
///
/// Surviving a rack with m replicas up needs m replicas in each rack (the
/// other rack may be the one lost), and a rack holds `per_rack` replicas:
/// min_replicas m fits exactly when m <= per_rack.
fn two_racks(per_rack: usize, min_replicas: u32, extra_service: &str) -> Inv {
    let mut servers = String::from("id,rack,cpu,mem_gb,psu,idle_w,max_w,model\n");
    for r in 1..=2 {
        for s in 1..=per_rack {
            servers.push_str(&format!("r{r}-s{s},r{r},16,64,pa;pb,100,300,old\n"));
        }
    }
    Inv::new()
        .datacenters("id\ndc\n")
        .racks("id,datacenter,u_height\nr1,dc,10\nr2,dc,10\n")
        .power(
            "id,datacenter,kind,feeds_from,capacity_w\nua,dc,utility,,100000\nub,dc,utility,,100000\npa,dc,pdu,ua,50000\npb,dc,pdu,ub,50000\n",
        )
        .servers(&servers)
        .services(&format!(
            "[[service]]\nname = \"web\"\nmin_replicas = {min_replicas}\ncpu = 16\nsurvive = [\"rack\"]\n{extra_service}"
        ))
        .placement("service,server\n")
}

#[test]
fn growth_that_fits_writes_a_placement_that_check_accepts() {
    // 3 servers per rack, web needs 2 → ×1.5 = 3: 3 per rack, exactly full.
    let inv = two_racks(3, 2, "");
    let tmp = inv.write();
    let run = run_in(
        tmp.path(),
        &[
            "capacity",
            INV,
            "--growth",
            "1.5",
            "--placement-out",
            "grown.csv",
        ],
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("│ web     ┆ 1.5    ┆ 2 → 3"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("FITS: 6 replicas"), "{}", run.stdout);
    // The written placement passes `check` against the grown demand.
    std::fs::write(
        tmp.path().join("grown.toml"),
        "[[service]]\nname = \"web\"\nmin_replicas = 3\ncpu = 16\nsurvive = [\"rack\"]\n",
    )
    .unwrap();
    let check = run_in(
        tmp.path(),
        &[
            "check",
            INV,
            "--placement",
            "grown.csv",
            "--services",
            "grown.toml",
        ],
    );
    assert_eq!(check.code, 0, "{}", check.stdout);
}

#[test]
fn growth_that_does_not_fit_says_what_is_short() {
    // ×2: web needs 4 up after losing a rack, so 4 per rack; a rack holds 3.
    let inv = two_racks(3, 2, "");
    let tmp = inv.write();
    let run = run_in(
        tmp.path(),
        &[
            "capacity",
            INV,
            "--growth",
            "2",
            "--placement-out",
            "grown.csv",
        ],
    );
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("DOES NOT FIT"), "{}", run.stdout);
    assert!(run.stdout.contains("web"), "{}", run.stdout);
    assert!(!tmp.path().join("grown.csv").exists());
    // The same fleet fits today: growth, not the fleet, breaks it.
    let now = run_in(tmp.path(), &["capacity", INV, "--growth", "1"]);
    assert_eq!(now.code, 0, "{}", now.stdout);
}

#[test]
fn growth_file_grows_named_services_only_and_raises_max_replicas() {
    // web ×1.5: 2 → 3 (fits, see above); api is not listed: unchanged.
    // cache: min 1 max 3, ×2.5 → min ⌈2.5⌉ = 3, max ⌈7.5⌉ = 8; surviving a
    // rack with 3 up takes 3 per rack, 6 replicas: within 8 (not within the
    // old cap of 3, so the cap must grow with the demand).
    let inv = two_racks(
        3,
        2,
        "[[service]]\nname = \"api\"\nmin_replicas = 1\ncpu = 0\nmax_per_server = 4\n\
         [[service]]\nname = \"cache\"\nmin_replicas = 1\ncpu = 0\nmax_replicas = 3\nmax_per_server = 4\n",
    )
    .file("growth.csv", "service,factor\nweb,1.5\ncache,2.5\n");
    let run = inv.run(&[
        "capacity",
        INV,
        "--growth-file",
        "inv/growth.csv",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json["status"], "fits");
    let growth = &json["growth"];
    assert_eq!(growth[0]["min_replicas"], serde_json::json!([2, 3]));
    assert_eq!(growth[1]["min_replicas"], serde_json::json!([1, 1]));
    assert_eq!(growth[1]["factor"], 1.0);
    assert_eq!(growth[2]["min_replicas"], serde_json::json!([1, 3]));
    assert_eq!(growth[2]["max_replicas"], serde_json::json!([3, 8]));
}

#[test]
fn bad_growth_input_names_file_line_and_column() {
    let inv = two_racks(3, 2, "");
    let cases = [
        ("service,factor\nweb,1.5\nwbe,2\n", "inv/growth.csv:3:1: column \"service\": unknown service \"wbe\""),
        ("service,factor\nweb,-1\n", "inv/growth.csv:2:2: column \"factor\": expected a finite number >= 0"),
        ("service,factor\nweb,0\n", "inv/growth.csv:2:2: column \"factor\": expected a growth factor > 0"),
        ("service,factor\nweb,1\nweb,2\n", "inv/growth.csv:3:1: column \"service\": service \"web\" is listed twice (first on line 2)"),
        ("service\nweb\n", "inv/growth.csv:1: missing required column factor"),
        ("factor,service\n2000000,web\n", "inv/growth.csv:2:1: column \"factor\": 2 × 2000000 = 4000000 replicas is above"),
    ];
    for (text, message) in cases {
        let run = inv.clone().file("growth.csv", text).run(&[
            "capacity",
            INV,
            "--growth-file",
            "inv/growth.csv",
        ]);
        assert_eq!(run.code, 2, "{text}: {}", run.stderr);
        assert!(run.stderr.contains(message), "{text}: {}", run.stderr);
        assert!(run.stdout.is_empty());
    }
    let run = inv.run(&["capacity", INV, "--growth", "-1"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let run = inv.run(&["capacity", INV, "--growth", "2", "--growth-file", "x.csv"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
}
