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

/// A catalog: `small` cannot hold a web replica (8 cores), `cheap` holds one,
/// `big` holds one too (max_per_server 1) at a higher price.
const CATALOG: &str = "model,cpu,mem_gb,idle_w,max_w,price,u_height,labels,max_count\n\
                       small,8,32,50,150,500,1,,\n\
                       cheap,16,64,100,300,1000,1,,\n\
                       big,32,128,150,450,1500,2,,\n";

/// Appends the purchase rows to servers.csv (as a user would, header
/// dropped) and runs `plan`: it must succeed.
fn assert_appended_purchase_plans(tmp: &std::path::Path, purchase: &str, services: &str) {
    let servers = tmp.join(INV).join("servers.csv");
    let mut text = std::fs::read_to_string(&servers).unwrap();
    // The purchase has the columns of FORMATS.md; servers.csv here has them
    // in another order, so re-read by header like any CSV user would.
    let mut reader = csv::Reader::from_reader(purchase.as_bytes());
    let header = reader.headers().unwrap().clone();
    let ours: Vec<String> = text
        .lines()
        .next()
        .unwrap()
        .split(',')
        .map(String::from)
        .collect();
    for row in reader.records() {
        let row = row.unwrap();
        let cell = |name: &str| {
            header
                .iter()
                .position(|h| h == name)
                .map(|i| row[i].to_string())
                .unwrap_or_default()
        };
        let line: Vec<String> = ours.iter().map(|c| cell(c)).collect();
        text.push_str(&line.join(","));
        text.push('\n');
    }
    std::fs::write(&servers, text).unwrap();
    std::fs::write(tmp.join(INV).join("services.toml"), services).unwrap();
    let plan = run_in(tmp, &["plan", INV, "--out", "after.csv"]);
    assert_eq!(
        plan.code, 0,
        "plan after the purchase:\n{}{}",
        plan.stdout, plan.stderr
    );
}

#[test]
fn growth_by_half_needs_exactly_one_cheap_server_per_rack() {
    // Today: 2 servers per rack, web needs 2 (2 per rack: fits). ×1.5: 3 up
    // after losing a rack, so 3 replicas per rack on distinct servers with 16
    // cores: one more such server in each rack. `small` (8 cores) cannot
    // hold one, `big` costs more: two `cheap`, 2000, and nothing cheaper
    // works (each rack needs a new 16-core server, 1000 at least).
    let inv = two_racks(2, 2, "").file("catalog.csv", CATALOG);
    let tmp = inv.write();
    let now = run_in(tmp.path(), &["capacity", INV, "--growth", "1"]);
    assert_eq!(now.code, 0, "{}", now.stdout);
    let run = run_in(
        tmp.path(),
        &[
            "capacity",
            INV,
            "--growth",
            "1.5",
            "--catalog",
            "inv/catalog.csv",
            "--out",
            "buy.csv",
            "--placement-out",
            "placement.csv",
        ],
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("Buy 2 servers for 2000 (cheapest"),
        "{}",
        run.stdout
    );
    let purchase = std::fs::read_to_string(tmp.path().join("buy.csv")).unwrap();
    assert_eq!(
        purchase,
        "id,rack,cpu,mem_gb,psu,idle_w,max_w,labels,model,position,u_height\n\
         r1-new1,r1,16,64,pa;pb,100,300,,cheap,,1\n\
         r2-new1,r2,16,64,pa;pb,100,300,,cheap,,1\n"
    );
    let grown = "[[service]]\nname = \"web\"\nmin_replicas = 3\ncpu = 16\nsurvive = [\"rack\"]\n";
    assert_appended_purchase_plans(tmp.path(), &purchase, grown);
    // The written placement uses the new servers and passes `check` on the
    // inventory with them.
    let check = run_in(tmp.path(), &["check", INV, "--placement", "placement.csv"]);
    assert_eq!(check.code, 0, "{}", check.stdout);
}

#[test]
fn a_purchase_too_small_for_max_count_is_proven_impossible() {
    let catalog = "model,cpu,mem_gb,price,max_count\ncheap,16,64,1000,1\n";
    let inv = two_racks(2, 2, "").file("catalog.csv", catalog);
    let tmp = inv.write();
    let run = run_in(
        tmp.path(),
        &[
            "capacity",
            INV,
            "--growth",
            "1.5",
            "--catalog",
            "inv/catalog.csv",
            "--out",
            "buy.csv",
        ],
    );
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("NO PURCHASE HELPS"), "{}", run.stdout);
    assert!(!tmp.path().join("buy.csv").exists());
}

#[test]
fn nothing_to_buy_when_the_demand_fits() {
    let inv = two_racks(2, 2, "").file("catalog.csv", CATALOG);
    let tmp = inv.write();
    let run = run_in(
        tmp.path(),
        &[
            "capacity",
            INV,
            "--catalog",
            "inv/catalog.csv",
            "--out",
            "buy.csv",
        ],
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.starts_with("Nothing to buy"), "{}", run.stdout);
    let purchase = std::fs::read_to_string(tmp.path().join("buy.csv")).unwrap();
    assert_eq!(purchase.lines().count(), 1, "only the header: {purchase}");
}

/// Three racks of two 16-core servers, each rack on its own PDU under one
/// utility; r1's PDU carries 700 W: its two busy servers draw 600 W.
fn three_racks_r1_power_tight() -> Inv {
    let mut servers = String::from("id,rack,cpu,mem_gb,psu,idle_w,max_w\n");
    for r in 1..=3 {
        for s in 1..=2 {
            servers.push_str(&format!("r{r}-s{s},r{r},16,64,p{r},100,300\n"));
        }
    }
    Inv::new()
        .datacenters("id\ndc\n")
        .racks("id,datacenter,u_height\nr1,dc,42\nr2,dc,42\nr3,dc,42\n")
        .power(
            "id,datacenter,kind,feeds_from,capacity_w,max_utilization\n\
             u,dc,utility,,100000,1\np1,dc,pdu,u,700,1\np2,dc,pdu,u,10000,1\np3,dc,pdu,u,10000,1\n",
        )
        .servers(&servers)
        .services("[[service]]\nname = \"web\"\nmin_replicas = 4\ncpu = 16\nsurvive = [\"rack\"]\n")
        .placement("service,server\n")
        .file(
            "catalog.csv",
            "model,cpu,mem_gb,idle_w,max_w,price\ncheap,16,64,100,300,1000\n",
        )
}

#[test]
fn power_not_space_or_cpu_sends_the_purchase_to_other_racks() {
    // web 4 → 5 (×1.25): with (a, b, c) replicas per rack, one per server,
    // losing the fullest rack leaves a + b + c − max ≥ 5: two more servers,
    // in two different racks (3 + 2 + 2 − 3 = 4 < 5; 3 + 3 + 2 − 3 = 5).
    // Every rack has 40 free units and the servers' cores are all alike,
    // but a third busy server in r1 would draw 900 W on p1 (limit 700):
    // the two new servers go to r2 and r3.
    let inv = three_racks_r1_power_tight();
    let tmp = inv.write();
    let run = run_in(
        tmp.path(),
        &[
            "capacity",
            INV,
            "--growth",
            "1.25",
            "--catalog",
            "inv/catalog.csv",
            "--out",
            "buy.csv",
        ],
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let purchase = std::fs::read_to_string(tmp.path().join("buy.csv")).unwrap();
    assert_eq!(
        purchase,
        "id,rack,cpu,mem_gb,psu,idle_w,max_w,labels,model,position,u_height\n\
         r2-new1,r2,16,64,p2,100,300,,cheap,,1\n\
         r3-new1,r3,16,64,p3,100,300,,cheap,,1\n"
    );
    assert!(
        run.stdout.contains("Buy 2 servers for 2000 (cheapest"),
        "{}",
        run.stdout
    );
    let grown = "[[service]]\nname = \"web\"\nmin_replicas = 5\ncpu = 16\nsurvive = [\"rack\"]\n";
    assert_appended_purchase_plans(tmp.path(), &purchase, grown);
    // The same two servers with one in r1 instead: `plan` proves that no
    // placement exists, and names p1.
    let other = inv
        .clone()
        .edit(
            "servers.csv",
            "r3-s2,r3,16,64,p3,100,300\n",
            "r3-s2,r3,16,64,p3,100,300\nr1-new1,r1,16,64,p1,100,300\nr2-new1,r2,16,64,p2,100,300\n",
        )
        .services(grown)
        .run(&["plan", INV, "--out", "x.csv"]);
    assert_eq!(other.code, 1, "{}{}", other.stdout, other.stderr);
    assert!(other.stdout.contains("p1"), "{}", other.stdout);
}
