//! Small inventories whose answers were worked out by hand (the arithmetic is in
//! the comments), checked through the library and, where it matters, the CLI.
//!
//! Power rules used (FORMATS.md): server draw = idle_w + (max_w - idle_w) *
//! cpu_used / cpu, split evenly over the server's powered PSUs; every component
//! passes its load to its FIRST powered parent; limit = capacity_w *
//! max_utilization (default 0.8).

use faultplan::inventory::{Component, PowerId, ServerId};
use faultplan::topology::{Impact, Topology};
use faultplan::verify::{CheckOptions, FindingKind, PlacementIndex, Report, Severity};

use crate::support::{check_args, codes, status, with_code, Inv, CHECK};

fn kinds(report: &Report) -> Vec<FindingKind> {
    report.findings.iter().map(|f| f.kind.clone()).collect()
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn lost(
    service: &str,
    scenario: &str,
    word: &str,
    needed: u32,
    up: u32,
    on: &[&str],
) -> FindingKind {
    FindingKind::ReplicasLost {
        service: service.into(),
        scenario: scenario.into(),
        words: strings(&[word]),
        needed,
        up,
        lost: strings(on),
    }
}

fn zero_margin(service: &str, needed: u32, scenario: Option<&str>) -> FindingKind {
    FindingKind::ZeroMargin {
        service: service.into(),
        needed,
        worst_up: needed,
        scenario: scenario.map(str::to_string),
    }
}

// --- 1. three racks, survive rack ------------------------------------------------------

fn three_racks(placement: &str) -> Inv {
    Inv::new()
        .datacenters("id\ndc1\n")
        .racks(
            "
            id,datacenter
            r1,dc1
            r2,dc1
            r3,dc1
            ",
        )
        .power(
            "
            id,datacenter,kind,capacity_w
            u1,dc1,utility,10000
            ",
        )
        .servers(
            "
            id,rack,cpu,mem_gb,psu
            s1,r1,8,16,u1
            s2,r2,8,16,u1
            s3,r3,8,16,u1
            ",
        )
        .services(
            r#"
            [[service]]
            name = "svc"
            min_replicas = 2
            cpu = 1
            survive = ["rack"]
            "#,
        )
        .placement(placement)
}

#[test]
fn two_replicas_in_two_racks_do_not_survive_a_rack() {
    let loaded = three_racks("service,server\nsvc,s1\nsvc,s2\n").load();
    let report = loaded.check(CheckOptions::default());
    // Losing r1 leaves s2 only: 1 up, 2 needed; the same for r2; r3 holds nothing.
    assert_eq!(
        kinds(&report),
        vec![
            lost("svc", "rack r1", "rack", 2, 1, &["s1"]),
            lost("svc", "rack r2", "rack", 2, 1, &["s2"]),
        ]
    );
    let placement_csv = loaded
        .inventory
        .dir
        .join("placement.csv")
        .display()
        .to_string();
    let at: Vec<_> = report
        .findings
        .iter()
        .map(|f| (f.file.clone(), f.line))
        .collect();
    assert_eq!(
        at,
        vec![
            (Some(placement_csv.clone()), Some(2)),
            (Some(placement_csv), Some(3))
        ]
    );
    assert_eq!(
        report.findings[0].message,
        "svc: only 1 of 2 required replicas stay up when rack r1 fails (lost on s1)"
    );
    let svc = status(&report, "svc");
    assert_eq!(
        (
            svc.placed,
            svc.up,
            svc.worst_up,
            svc.worst_scenario.as_deref(),
            svc.ok
        ),
        (2, 2, 1, Some("rack r1"), false)
    );
    assert_eq!(
        (report.errors(), report.warnings(), report.scenarios),
        (2, 0, 3)
    );
    assert!(!report.passed());
}

#[test]
fn three_replicas_in_three_racks_survive_a_rack() {
    let report = three_racks("service,server\nsvc,s1\nsvc,s2\nsvc,s3\n").check();
    assert!(report.passed());
    // Any rack leaves exactly 2 = min_replicas: a zero-margin warning, not an error.
    assert_eq!(kinds(&report), vec![zero_margin("svc", 2, Some("rack r1"))]);
    assert_eq!(report.findings[0].severity, Severity::Warning);
    let svc = status(&report, "svc");
    assert_eq!((svc.worst_up, svc.ok), (2, true));
}

#[test]
fn three_racks_through_the_cli() {
    // --wide: each finding on one line, as the assertions quote it.
    let run = three_racks("service,server\nsvc,s1\nsvc,s2\n").run(&check_args(&["--wide"]));
    assert_eq!(run.code, 1);
    assert!(run.stdout.contains(
        "error[replicas-lost] inv/placement.csv:2: svc: only 1 of 2 required replicas stay up when rack r1 fails (lost on s1)\n"
    ));
    assert!(run.stdout.contains(
        "error[replicas-lost] inv/placement.csv:3: svc: only 1 of 2 required replicas stay up when rack r2 fails (lost on s2)\n"
    ));
    assert!(
        run.stdout.ends_with("\nFAILED: 2 errors, 0 warnings\n"),
        "{}",
        run.stdout
    );

    let run = three_racks("service,server\nsvc,s1\nsvc,s2\nsvc,s3\n").run(&CHECK);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(
        run.stdout.ends_with("\nPASSED: 0 errors, 1 warning\n"),
        "{}",
        run.stdout
    );
}

// --- 2. A/B feeds, single- and dual-PSU servers -----------------------------------------

fn ab_feeds() -> Inv {
    Inv::new()
        .datacenters("id\ndc1\n")
        .racks("id,datacenter\nr1,dc1\nr2,dc1\n")
        .power(
            "
            id,datacenter,kind,feeds_from,capacity_w
            utility-a,dc1,utility,,10000
            utility-b,dc1,utility,,10000
            r1-pdu-a,dc1,pdu,utility-a,5000
            r1-pdu-b,dc1,pdu,utility-b,5000
            r2-pdu-a,dc1,pdu,utility-a,5000
            r2-pdu-b,dc1,pdu,utility-b,5000
            ",
        )
        .servers(
            "
            id,rack,cpu,mem_gb,psu
            r1-dual,r1,8,16,r1-pdu-a;r1-pdu-b
            r1-single,r1,8,16,r1-pdu-a
            r2-dual,r2,8,16,r2-pdu-a;r2-pdu-b
            r2-single,r2,8,16,r2-pdu-a
            ",
        )
        .services(
            r#"
            [defaults]
            survive = ["power:50%"]

            [[service]]
            name = "dual"
            min_replicas = 1
            cpu = 1

            [[service]]
            name = "single"
            min_replicas = 1
            cpu = 1
            "#,
        )
        .placement(
            "
            service,server
            dual,r1-dual
            dual,r2-dual
            single,r1-single
            single,r2-single
            ",
        )
}

#[test]
fn single_psu_servers_are_lost_only_when_their_feed_fails() {
    let loaded = ab_feeds().load();
    // power:50% of 2 × 10 kW roots: each utility fails alone (exactly 50%), never both.
    let expected = vec![lost(
        "single",
        "power:50% utility-a",
        "power:50%",
        1,
        0,
        &["r1-single", "r2-single"],
    )];
    let report = loaded.check(CheckOptions::default());
    assert_eq!(kinds(&report), expected);
    assert_eq!(report.scenarios, 2, "{{utility-a}} and {{utility-b}}");
    let dual = status(&report, "dual");
    assert_eq!(
        (dual.worst_up, dual.worst_scenario.as_deref(), dual.ok),
        (2, None, true)
    );
    let single = status(&report, "single");
    assert_eq!(
        (single.worst_up, single.worst_scenario.as_deref(), single.ok),
        (0, Some("power:50% utility-a"), false)
    );

    // The branch-and-bound path names the same worst set.
    let searched = loaded.check(CheckOptions {
        enumeration_limit: 0,
    });
    assert_eq!(kinds(&searched), expected);
    assert_eq!(searched.scenarios, 1, "one searched family");
    assert_eq!(searched.services, report.services);
}

#[test]
fn losing_feed_b_takes_down_nothing_and_unpowers_side_b() {
    let loaded = ab_feeds().load();
    let inv = &loaded.inventory;
    let topology = Topology::new(inv);
    let id = |name: &str| inv.lookup(name).unwrap();
    let impact = topology.impact(&[id("utility-b")]);
    assert_eq!(impact.down, Vec::<ServerId>::new());
    let unpowered: Vec<String> = impact
        .unpowered
        .iter()
        .map(|p| inv.power(*p).id.clone())
        .collect();
    assert_eq!(unpowered, strings(&["utility-b", "r1-pdu-b", "r2-pdu-b"]));

    let impact = topology.impact(&[id("utility-a")]);
    let down: Vec<&str> = impact
        .down
        .iter()
        .map(|s| inv.server(*s).id.as_str())
        .collect();
    assert_eq!(down, vec!["r1-single", "r2-single"]);
}

// --- 3. an overload that only appears when a feed fails over ---------------------------

/// Three servers in one rack, each on PDU A and PDU B (1000 W, limit 800 W).
/// Each runs one 5-core replica on 10 cores: 200 + (400 - 200) * 5/10 = 300 W.
/// Normal: each PDU carries 3 × 150 = 450 W. One utility lost: the other PDU
/// carries 3 × 300 = 900 W > 800 W. The utilities (limit 8000 W) are fine.
fn failover(pdu: &str) -> Inv {
    Inv::new()
        .datacenters("id\ndc1\n")
        .racks("id,datacenter\nr1,dc1\n")
        .power(&format!(
            "
            id,datacenter,kind,feeds_from,capacity_w,max_utilization
            utility-a,dc1,utility,,10000,
            utility-b,dc1,utility,,10000,
            pdu-a,dc1,pdu,utility-a,{pdu}
            pdu-b,dc1,pdu,utility-b,{pdu}
            "
        ))
        .servers(
            "
            id,rack,cpu,mem_gb,psu,idle_w,max_w
            s1,r1,10,16,pdu-a;pdu-b,200,400
            s2,r1,10,16,pdu-a;pdu-b,200,400
            s3,r1,10,16,pdu-a;pdu-b,200,400
            ",
        )
        .services(
            r#"
            [[service]]
            name = "svc"
            min_replicas = 2
            cpu = 5
            survive = ["power:50%"]
            "#,
        )
        .placement("service,server\nsvc,s1\nsvc,s2\nsvc,s3\n")
}

fn overload(
    component: &str,
    scenario: Option<&str>,
    word: Option<&str>,
    load: f64,
    limit: f64,
    capacity: f64,
    kind: &str,
) -> FindingKind {
    FindingKind::PowerOverload {
        component: component.into(),
        kind: kind.into(),
        scenario: scenario.map(str::to_string),
        words: word.map(|w| vec![w.to_string()]).unwrap_or_default(),
        load_w: load,
        limit_w: limit,
        capacity_w: capacity,
    }
}

#[test]
fn overload_appears_only_when_one_feed_fails_over() {
    let loaded = failover("1000,").load();
    let report = loaded.check(CheckOptions::default());
    assert_eq!(
        kinds(&report),
        vec![
            overload(
                "pdu-b",
                Some("power:50% utility-a"),
                Some("power:50%"),
                900.0,
                800.0,
                1000.0,
                "pdu"
            ),
            overload(
                "pdu-a",
                Some("power:50% utility-b"),
                Some("power:50%"),
                900.0,
                800.0,
                1000.0,
                "pdu"
            ),
        ]
    );
    assert_eq!(
        report.findings[0].message,
        "pdu-b: carries 900 W when power:50% utility-a fails, above its limit of 800 W (1000 W rated)"
    );
    let power_csv = loaded.inventory.dir.join("power.csv").display().to_string();
    assert_eq!(
        (report.findings[0].file.as_deref(), report.findings[0].line),
        (Some(power_csv.as_str()), Some(5))
    );
    // No replica is lost: every server is dual-PSU. Power findings belong to no service.
    let svc = status(&report, "svc");
    assert_eq!((svc.worst_up, svc.ok), (3, true));
    assert!(!report.passed());

    // The loads behind it, from the topology directly.
    let inv = &loaded.inventory;
    let index = PlacementIndex::new(inv, &loaded.services, &loaded.placement);
    assert_eq!(index.draw_w, vec![300.0, 300.0, 300.0]);
    let topology = Topology::new(inv);
    let by_name = |loads: &[f64]| -> Vec<(String, f64)> {
        inv.power_ids()
            .map(|p| (inv.power(p).id.clone(), loads[p.index()]))
            .collect()
    };
    assert_eq!(
        by_name(&topology.loads(&index.draw_w, &Impact::default())),
        vec![
            ("utility-a".into(), 450.0),
            ("utility-b".into(), 450.0),
            ("pdu-a".into(), 450.0),
            ("pdu-b".into(), 450.0),
        ]
    );
    let impact = topology.impact(&[inv.lookup("utility-a").unwrap()]);
    assert_eq!(
        by_name(&topology.loads(&index.draw_w, &impact)),
        vec![
            ("utility-a".into(), 0.0),
            ("utility-b".into(), 900.0),
            ("pdu-a".into(), 0.0),
            ("pdu-b".into(), 900.0),
        ]
    );
}

#[test]
fn a_load_exactly_at_the_limit_is_within_it() {
    // 1800 W × 0.5 = 900 W: the failed-over 900 W is allowed.
    let report = failover("1800,0.5").check();
    assert_eq!(codes(&report), Vec::<&str>::new());
    assert!(report.passed());
}

#[test]
fn searched_family_finds_the_failover_overload() {
    // With every power:P% family searched instead of listed, the exact search
    // names the same sets as listing: losing one utility puts the rack's 900 W
    // on the other side's PDU, above its 800 W limit.
    let report = failover("1000,").load().check(CheckOptions {
        enumeration_limit: 0,
    });
    assert_eq!(
        kinds(&report),
        vec![
            overload(
                "pdu-a",
                Some("power:50% utility-b"),
                Some("power:50%"),
                900.0,
                800.0,
                1000.0,
                "pdu"
            ),
            overload(
                "pdu-b",
                Some("power:50% utility-a"),
                Some("power:50%"),
                900.0,
                800.0,
                1000.0,
                "pdu"
            ),
        ]
    );
    assert!(!report.passed());
    // And with a limit that holds the whole rack it is proven safe.
    let report = failover("1800,0.5").load().check(CheckOptions {
        enumeration_limit: 0,
    });
    assert!(report.passed(), "{:?}", report.findings);
}

#[test]
fn failover_overload_through_the_cli_json() {
    let run = failover("1000,").run(&[
        "check",
        "inv",
        "--placement",
        "inv/placement.csv",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 1);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let finding = &json["findings"][0];
    assert_eq!(finding["code"], "power-overload");
    assert_eq!(finding["severity"], "error");
    assert_eq!(finding["component"], "pdu-b");
    assert_eq!(finding["scenario"], "power:50% utility-a");
    assert_eq!(finding["load_w"], 900.0);
    assert_eq!(finding["limit_w"], 800.0);
    assert_eq!(finding["capacity_w"], 1000.0);
    assert_eq!(finding["file"], "inv/power.csv");
    assert_eq!(finding["line"], 5);
    assert_eq!(json["summary"]["errors"], 2);
}

// --- 4. a generator listed second carries nothing until the utility fails ---------------

/// Two 100 W servers (idle_w = max_w) on one UPS fed from `feeds` (in that
/// order). The generator is rated 100 W (limit 80 W).
fn generator(feeds: &str) -> Inv {
    Inv::new()
        .datacenters("id\ndc1\n")
        .racks("id,datacenter\nr1,dc1\nr2,dc1\n")
        .power(&format!(
            "
            id,datacenter,kind,feeds_from,capacity_w
            utility,dc1,utility,,10000
            gen,dc1,generator,,100
            ups,dc1,ups,{feeds},10000
            "
        ))
        .servers(
            "
            id,rack,cpu,mem_gb,psu,idle_w,max_w
            s1,r1,4,16,ups,100,100
            s2,r2,4,16,ups,100,100
            ",
        )
        .services(
            r#"
            [[service]]
            name = "svc"
            min_replicas = 1
            cpu = 1
            survive = ["rack", "power:utility"]
            "#,
        )
        .placement("service,server\nsvc,s1\nsvc,s2\n")
}

#[test]
fn generator_listed_second_carries_nothing_until_the_utility_fails() {
    let loaded = generator("utility;gen").load();
    let inv = &loaded.inventory;
    let topology = Topology::new(inv);
    let draw = [100.0, 100.0];
    assert_eq!(
        topology.loads(&draw, &Impact::default()),
        vec![200.0, 0.0, 200.0]
    );
    let impact = topology.impact(&[inv.lookup("utility").unwrap()]);
    assert_eq!(
        impact.down,
        Vec::<ServerId>::new(),
        "the UPS fails over to the generator"
    );
    assert_eq!(impact.unpowered, vec![PowerId(0)]);
    assert_eq!(topology.loads(&draw, &impact), vec![0.0, 200.0, 200.0]);

    // check: no overload with nothing failed (the generator carries 0 W of its
    // 80 W); 200 W on it when the utility fails.
    let report = loaded.check(CheckOptions::default());
    assert_eq!(
        kinds(&report),
        vec![
            overload(
                "gen",
                Some("power:utility utility"),
                Some("power:utility"),
                200.0,
                80.0,
                100.0,
                "generator"
            ),
            zero_margin("svc", 1, Some("rack r1")),
        ]
    );
}

#[test]
fn generator_listed_first_carries_the_load_in_normal_operation() {
    let report = generator("gen;utility").check();
    // Now the generator is the UPS's first parent: 200 W with nothing failed,
    // and still 200 W when the utility fails — reported once, for normal
    // operation, since the scenario adds nothing to it.
    assert_eq!(
        kinds(&report),
        vec![
            overload("gen", None, None, 200.0, 80.0, 100.0, "generator"),
            zero_margin("svc", 1, Some("rack r1")),
        ]
    );
    assert_eq!(
        report.findings[0].message,
        "gen: carries 200 W with nothing failed, above its limit of 80 W (100 W rated)"
    );
}

#[test]
fn simulate_the_utility_failing_over_to_the_generator() {
    let run = generator("utility;gen").run(&[
        "simulate",
        "inv",
        "--placement",
        "inv/placement.csv",
        "--fail",
        "utility",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 1, "the generator is overloaded");
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let power = json["simulation"]["power"].as_array().unwrap();
    let rows: Vec<(String, bool, f64, f64, bool)> = power
        .iter()
        .map(|p| {
            (
                p["component"].as_str().unwrap().to_string(),
                p["powered"].as_bool().unwrap(),
                p["before_w"].as_f64().unwrap(),
                p["after_w"].as_f64().unwrap(),
                p["overloaded"].as_bool().unwrap(),
            )
        })
        .collect();
    // The UPS's load does not change, so it is not listed.
    assert_eq!(
        rows,
        vec![
            ("utility".to_string(), false, 200.0, 0.0, false),
            ("gen".to_string(), true, 0.0, 200.0, true),
        ]
    );
    assert_eq!(json["simulation"]["servers_down"], serde_json::json!([]));
    assert_eq!(json["passed"], false);
}

// --- 5. normal-operation breaches -------------------------------------------------------

/// Two racks; s1 (ssd) and s2 on a big PDU; s3 (maintenance) on a PDU whose limit
/// is exactly its idle 50 W; s4 (offline) on a PDU with limit 0; s5 on a 100 W PDU.
/// s3-s5: idle 50 W, max 150 W, 4 cores.
fn ops(services: &str, placement: &str) -> Inv {
    Inv::new()
        .datacenters("id\ndc1\n")
        .racks("id,datacenter\nr1,dc1\nr2,dc1\n")
        .power(
            "
            id,datacenter,kind,feeds_from,capacity_w,max_utilization
            u1,dc1,utility,,100000,
            p-main,dc1,pdu,u1,100000,
            p-maint,dc1,pdu,u1,50,1
            p-off,dc1,pdu,u1,0,1
            p-hot,dc1,pdu,u1,100,1
            ",
        )
        .servers(
            "
            id,rack,cpu,mem_gb,psu,idle_w,max_w,labels,status
            s1,r1,4,8,p-main,,,ssd,
            s2,r2,4,8,p-main,,,,
            s3,r1,4,8,p-maint,50,150,,maintenance
            s4,r2,4,8,p-off,50,150,,offline
            s5,r2,4,8,p-hot,50,150,,
            ",
        )
        .services(services)
        .placement(placement)
}

#[test]
fn cpu_over_capacity() {
    let loaded = ops(
        r#"
        [defaults]
        survive = []
        [[service]]
        name = "a"
        min_replicas = 1
        cpu = 3
        [[service]]
        name = "b"
        min_replicas = 1
        cpu = 2
        "#,
        "service,server\na,s1\nb,s1\n",
    )
    .load();
    let report = loaded.check(CheckOptions::default());
    assert_eq!(
        kinds(&report),
        vec![FindingKind::CpuOverCapacity {
            server: "s1".into(),
            used: 5.0,
            capacity: 4.0
        }]
    );
    assert_eq!(
        report.findings[0].message,
        "s1: replicas reserve 5 cores, the server has 4"
    );
    let servers_csv = loaded
        .inventory
        .dir
        .join("servers.csv")
        .display()
        .to_string();
    assert_eq!(
        (report.findings[0].file.as_deref(), report.findings[0].line),
        (Some(servers_csv.as_str()), Some(2))
    );
    // The services themselves are fine: capacity findings belong to the server.
    assert!(report.services.iter().all(|s| s.ok));
    assert!(!report.passed());
}

#[test]
fn cpu_exactly_at_capacity_is_fine() {
    let report = ops(
        "[defaults]\nsurvive = []\n[[service]]\nname = \"a\"\nmin_replicas = 1\ncpu = 2\nmax_per_server = 2\n",
        "service,server\na,s1\na,s1\n",
    )
    .check();
    assert_eq!(codes(&report), Vec::<&str>::new());
}

#[test]
fn mem_over_capacity() {
    let report = ops(
        r#"
        [defaults]
        survive = []
        [[service]]
        name = "a"
        min_replicas = 1
        cpu = 1
        mem_gb = 6
        [[service]]
        name = "b"
        min_replicas = 1
        cpu = 1
        mem_gb = 4
        "#,
        "service,server\na,s2\nb,s2\n",
    )
    .check();
    assert_eq!(
        kinds(&report),
        vec![FindingKind::MemOverCapacity {
            server: "s2".into(),
            used_gb: 10.0,
            capacity_gb: 8.0
        }]
    );
    assert_eq!(
        report.findings[0].message,
        "s2: replicas reserve 10 GB of memory, the server has 8 GB"
    );
}

#[test]
fn max_per_server() {
    let loaded = ops(
        r#"
        [defaults]
        survive = []
        [[service]]
        name = "two"
        min_replicas = 1
        cpu = 1
        max_per_server = 2
        [[service]]
        name = "one"
        min_replicas = 1
        cpu = 1
        "#,
        "service,server\none,s1\ntwo,s2\ntwo,s2\none,s2\ntwo,s2\none,s1\n",
    )
    .load();
    let report = loaded.check(CheckOptions::default());
    assert_eq!(
        kinds(&report),
        vec![
            FindingKind::MaxPerServer {
                service: "two".into(),
                server: "s2".into(),
                count: 3,
                max: 2
            },
            FindingKind::MaxPerServer {
                service: "one".into(),
                server: "s1".into(),
                count: 2,
                max: 1
            },
        ]
    );
    // Each points at the first placement row of that pair.
    assert_eq!(
        report.findings.iter().map(|f| f.line).collect::<Vec<_>>(),
        vec![Some(3), Some(2)]
    );
    assert_eq!(
        report.findings[1].message,
        "one: 2 replicas on s1, at most 1 allowed per server"
    );
    assert!(!status(&report, "one").ok && !status(&report, "two").ok);
}

#[test]
fn requires_missing_label_counts_the_replica_as_down() {
    let loaded = ops(
        r#"
        [[service]]
        name = "db"
        min_replicas = 2
        cpu = 1
        requires = ["ssd"]
        survive = []
        "#,
        "service,server\ndb,s1\ndb,s2\n",
    )
    .load();
    let report = loaded.check(CheckOptions::default());
    assert_eq!(
        kinds(&report),
        vec![
            FindingKind::MissingLabel {
                service: "db".into(),
                server: "s2".into(),
                missing: strings(&["ssd"])
            },
            FindingKind::TooFewReplicas {
                service: "db".into(),
                needed: 2,
                up: 1,
                placed: 2
            },
        ]
    );
    assert_eq!(
        report.findings[0].message,
        "db: replica on s2, which lacks required label ssd (counted as down)"
    );
    assert_eq!(report.findings[0].line, Some(3));
    let services_toml = loaded.services.file.display().to_string();
    assert_eq!(
        (report.findings[1].file.as_deref(), report.findings[1].line),
        (Some(services_toml.as_str()), Some(1))
    );
    assert_eq!(
        report.findings[1].message,
        "db: 1 of 2 required replicas up with nothing failed (2 placed)"
    );
}

#[test]
fn requires_a_label_no_server_has_is_reported_not_rejected() {
    let report = ops(
        r#"
        [[service]]
        name = "ml"
        min_replicas = 1
        cpu = 1
        requires = ["ssd", "gpu"]
        survive = ["rack"]
        "#,
        "service,server\nml,s1\n",
    )
    .check();
    assert_eq!(
        kinds(&report),
        vec![
            FindingKind::MissingLabel {
                service: "ml".into(),
                server: "s1".into(),
                missing: strings(&["gpu"])
            },
            FindingKind::TooFewReplicas {
                service: "ml".into(),
                needed: 1,
                up: 0,
                placed: 1
            },
        ]
    );
    // A replica that counts as down is not "lost" again by a rack failure.
    assert_eq!(with_code(&report, "replicas-lost").len(), 0);
}

#[test]
fn max_replicas_and_too_few_replicas() {
    let report = ops(
        r#"
        [defaults]
        survive = []
        [[service]]
        name = "capped"
        min_replicas = 1
        max_replicas = 2
        cpu = 1
        [[service]]
        name = "short"
        min_replicas = 3
        cpu = 1
        "#,
        "service,server\ncapped,s1\ncapped,s2\ncapped,s5\nshort,s1\nshort,s2\n",
    )
    .check();
    assert_eq!(
        kinds(&report),
        vec![
            FindingKind::MaxReplicas {
                service: "capped".into(),
                count: 3,
                max: 2
            },
            FindingKind::TooFewReplicas {
                service: "short".into(),
                needed: 3,
                up: 2,
                placed: 2
            },
        ]
    );
    assert_eq!(
        report.findings[0].message,
        "capped: 3 replicas placed, max_replicas is 2"
    );
}

#[test]
fn inactive_servers_warn_count_as_down_and_draw_idle_or_nothing() {
    // svc (4 cores per replica = a full server) on s1, s3 (maintenance), s4
    // (offline) and s5. Up: s1 and s5 = 2.
    // Draw: s3 maintenance = idle 50 W (its replica adds nothing) -> p-maint at
    // exactly its 50 W limit; s4 offline = 0 W -> p-off at its 0 W limit; s5
    // active = 50 + 100 * 4/4 = 150 W > p-hot's 100 W.
    let loaded = ops(
        r#"
        [[service]]
        name = "svc"
        min_replicas = 2
        cpu = 4
        survive = ["rack"]
        "#,
        "service,server\nsvc,s1\nsvc,s3\nsvc,s4\nsvc,s5\n",
    )
    .load();
    let report = loaded.check(CheckOptions::default());
    let inactive = |server: &str, status: &str| FindingKind::InactiveServer {
        service: "svc".into(),
        server: server.into(),
        status: status.into(),
        replicas: 1,
    };
    assert_eq!(
        kinds(&report),
        vec![
            inactive("s3", "maintenance"),
            inactive("s4", "offline"),
            overload("p-hot", None, None, 150.0, 100.0, 100.0, "pdu"),
            // Rack r1 holds s1 and (maintenance) s3: only s1's replica is lost.
            lost("svc", "rack r1", "rack", 2, 1, &["s1"]),
            lost("svc", "rack r2", "rack", 2, 1, &["s5"]),
        ]
    );
    assert_eq!(report.findings[0].severity, Severity::Warning);
    assert_eq!(
        report.findings[0].message,
        "svc: 1 replica on maintenance server s3, counted as down"
    );
    assert_eq!(report.findings[1].line, Some(4));
    let svc = status(&report, "svc");
    assert_eq!((svc.placed, svc.up), (4, 2));

    let inv = &loaded.inventory;
    let index = PlacementIndex::new(inv, &loaded.services, &loaded.placement);
    assert_eq!(index.draw_w, vec![0.0, 0.0, 50.0, 0.0, 150.0]);
    let loads = Topology::new(inv).loads(&index.draw_w, &Impact::default());
    assert_eq!(loads, vec![200.0, 0.0, 50.0, 0.0, 150.0]);
}

#[test]
fn inactive_replicas_make_too_few_replicas() {
    let report = ops(
        "[[service]]\nname = \"svc\"\nmin_replicas = 2\ncpu = 1\nsurvive = []\n",
        "service,server\nsvc,s1\nsvc,s3\n",
    )
    .check();
    assert_eq!(codes(&report), vec!["inactive-server", "too-few-replicas"]);
    assert_eq!(
        report.findings[1].kind,
        FindingKind::TooFewReplicas {
            service: "svc".into(),
            needed: 2,
            up: 1,
            placed: 2
        }
    );
}

// --- 6. single point of failure and zero margin -----------------------------------------

fn roots(power: &str, survive: &str) -> Inv {
    Inv::new()
        .datacenters("id\ndc1\n")
        .racks("id,datacenter\nr1,dc1\nr2,dc1\n")
        .power(power)
        .servers(
            "
            id,rack,cpu,mem_gb,psu
            s1,r1,4,8,u1
            s2,r2,4,8,u1
            ",
        )
        .services(&format!(
            "[[service]]\nname = \"svc\"\nmin_replicas = 2\ncpu = 1\nsurvive = [\"{survive}\"]\n"
        ))
        .placement("service,server\nsvc,s1\nsvc,s2\n")
}

#[test]
fn power_percent_with_a_single_root_is_a_single_point_of_failure() {
    let loaded = roots(
        "id,datacenter,kind,capacity_w\nu1,dc1,utility,5000\n",
        "power:50%",
    )
    .load();
    let report = loaded.check(CheckOptions::default());
    assert_eq!(
        kinds(&report),
        vec![
            FindingKind::SinglePointOfFailure {
                datacenter: "dc1".into(),
                word: "power:50%".into(),
                smallest_share_percent: 100.0,
            },
            // Nothing can fail, so the worst case is normal operation: 2 of 2.
            zero_margin("svc", 2, None),
        ]
    );
    assert_eq!(
        report.findings[0].message,
        "dc1: power:50% cannot fail anything there: its smallest power source is 100% of its capacity, a single point of failure"
    );
    let datacenters_csv = loaded
        .inventory
        .dir
        .join("datacenters.csv")
        .display()
        .to_string();
    assert_eq!(
        (report.findings[0].file.as_deref(), report.findings[0].line),
        (Some(datacenters_csv.as_str()), Some(2))
    );
    assert_eq!(
        report.findings[1].message,
        "svc: exactly the 2 required replicas are up; one more failure breaches"
    );
    assert!(report.passed(), "warnings only");
    assert_eq!(report.scenarios, 0);
}

#[test]
fn power_percent_below_the_smallest_root_share() {
    // Roots 6 kW and 4 kW: 30% of 10 kW = 3 kW fits neither -> vacuous (40%).
    let power = "id,datacenter,kind,capacity_w\nu1,dc1,utility,6000\nu2,dc1,utility,4000\n";
    let report = roots(power, "power:30%").check();
    assert_eq!(
        report.findings[0].kind,
        FindingKind::SinglePointOfFailure {
            datacenter: "dc1".into(),
            word: "power:30%".into(),
            smallest_share_percent: 40.0,
        }
    );
    // 40% fits u2 exactly: not vacuous, and u2 feeds nothing, so nothing is lost.
    let report = roots(power, "power:40%").check();
    assert_eq!(kinds(&report), vec![zero_margin("svc", 2, None)]);
    assert_eq!(report.scenarios, 1);
    // 60% fits u1 alone (not both): every server is on u1.
    let report = roots(power, "power:60%").check();
    assert_eq!(
        kinds(&report),
        vec![lost(
            "svc",
            "power:60% u1",
            "power:60%",
            2,
            0,
            &["s1", "s2"]
        )]
    );
}

#[test]
fn single_point_of_failure_and_zero_margin_in_human_output() {
    let run = roots(
        "id,datacenter,kind,capacity_w\nu1,dc1,utility,5000\n",
        "power:50%",
    )
    .run(&check_args(&["--wide"]));
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(run.stdout.contains(
        "warning[single-point-of-failure] inv/datacenters.csv:2: dc1: power:50% cannot fail anything there: its smallest power source is 100% of its capacity, a single point of failure\n"
    ), "{}", run.stdout);
    assert!(run.stdout.contains(
        "warning[zero-margin] 1 service keeps exactly min_replicas in its worst scenario (one more failure breaches): svc\n"
    ), "{}", run.stdout);
    assert!(
        run.stdout.ends_with("\nPASSED: 0 errors, 2 warnings\n"),
        "{}",
        run.stdout
    );
}

// --- 7. room, datacenter, server and custom scenarios ----------------------------------

/// dc1: racks r1 and r2 in room A, r3 in room B, r4 without a room; dc2: r5
/// without a room (a different room from r4's). One server per rack, two in r1.
fn domains() -> Inv {
    Inv::new()
        .datacenters("id\ndc1\ndc2\n")
        .racks(
            "
            id,datacenter,room
            r1,dc1,A
            r2,dc1,A
            r3,dc1,B
            r4,dc1,
            r5,dc2,
            ",
        )
        .power("id,datacenter,kind,capacity_w\nu1,dc1,utility,10000\nu2,dc2,utility,10000\n")
        .servers(
            "
            id,rack,cpu,mem_gb,psu
            s1,r1,8,16,u1
            s1b,r1,8,16,u1
            s2,r2,8,16,u1
            s3,r3,8,16,u1
            s4,r4,8,16,u1
            s5,r5,8,16,u2
            ",
        )
        .scenarios(
            r#"
            [[scenario]]
            name = "pair"
            fail = ["r3", "s5"]
            "#,
        )
        .services(
            r#"
            [[service]]
            name = "room-svc"
            min_replicas = 2
            cpu = 1
            survive = ["room"]

            [[service]]
            name = "noroom-svc"
            min_replicas = 1
            cpu = 1
            survive = ["room"]

            [[service]]
            name = "dc-svc"
            min_replicas = 1
            cpu = 1
            survive = ["datacenter"]

            [[service]]
            name = "srv-svc"
            min_replicas = 1
            max_per_server = 2
            cpu = 1
            survive = ["server"]

            [[service]]
            name = "custom-svc"
            min_replicas = 1
            cpu = 1
            survive = ["custom:pair"]
            "#,
        )
        .placement(
            "
            service,server
            room-svc,s1
            room-svc,s2
            room-svc,s3
            noroom-svc,s4
            noroom-svc,s5
            dc-svc,s1
            dc-svc,s5
            srv-svc,s1
            srv-svc,s1
            custom-svc,s3
            custom-svc,s5
            ",
        )
}

#[test]
fn room_datacenter_server_and_custom_scenarios() {
    let report = domains().check();
    assert_eq!(
        kinds(&report),
        vec![
            // Room A = r1 + r2: s1 and s2 lost, s3 (room B) stays.
            lost("room-svc", "room dc1/A", "room", 2, 1, &["s1", "s2"]),
            // Both srv-svc replicas are on s1.
            lost("srv-svc", "server s1", "server", 1, 0, &["s1"]),
            lost(
                "custom-svc",
                "custom:pair",
                "custom:pair",
                1,
                0,
                &["s3", "s5"]
            ),
            // r4 (dc1, no room) and r5 (dc2, no room) are two different rooms.
            zero_margin("noroom-svc", 1, Some("room dc1/(no room)")),
            zero_margin("dc-svc", 1, Some("datacenter dc1")),
        ]
    );
    // 4 rooms + 2 datacenters + 6 servers + 1 custom.
    assert_eq!(report.scenarios, 13);
    assert_eq!(
        report.words,
        strings(&["room", "datacenter", "server", "custom:pair"])
    );
    let room_svc = status(&report, "room-svc");
    assert_eq!(
        (room_svc.worst_up, room_svc.worst_scenario.as_deref()),
        (1, Some("room dc1/A"))
    );
}

#[test]
fn a_datacenter_failure_takes_its_power_and_what_it_feeds_elsewhere() {
    // dc2's PDU draws from dc1's utility: losing dc1 darkens s5 in dc2 too.
    let inv = domains()
        .power(
            "
            id,datacenter,kind,feeds_from,capacity_w
            u1,dc1,utility,,10000
            u2,dc2,utility,,10000
            p2,dc2,pdu,u1,10000
            ",
        )
        .edit("servers.csv", "s5,r5,8,16,u2", "s5,r5,8,16,p2")
        .load();
    let i = &inv.inventory;
    let topology = Topology::new(i);
    let impact = topology.impact(&[i.lookup("dc1").unwrap()]);
    let down: Vec<&str> = impact
        .down
        .iter()
        .map(|s| i.server(*s).id.as_str())
        .collect();
    assert_eq!(down, vec!["s1", "s1b", "s2", "s3", "s4", "s5"]);
    let off: Vec<&str> = impact
        .unpowered
        .iter()
        .map(|p| i.power(*p).id.as_str())
        .collect();
    assert_eq!(off, vec!["u1", "p2"]);
    let report = inv.check(CheckOptions::default());
    assert!(report.findings.iter().any(|f| f.kind
        == lost(
            "dc-svc",
            "datacenter dc1",
            "datacenter",
            1,
            0,
            &["s1", "s5"]
        )));
    // Losing dc2 takes r5's server and every dc2 power component, even p2 whose
    // parent (u1) is up.
    let impact = topology.impact(&[i.lookup("dc2").unwrap()]);
    let Some(Component::Server(s5)) = i.lookup("s5") else {
        panic!("s5 is a server")
    };
    assert_eq!(impact.down, vec![s5]);
    let off: Vec<&str> = impact
        .unpowered
        .iter()
        .map(|p| i.power(*p).id.as_str())
        .collect();
    assert_eq!(off, vec!["u2", "p2"]);
}

#[test]
fn the_same_failure_named_by_two_words_is_evaluated_once_for_both() {
    // power:utility and power:50% both fail u1 alone here.
    let report = roots(
        "id,datacenter,kind,capacity_w\nu1,dc1,utility,5000\nu2,dc1,utility,5000\n",
        "power:utility\", \"power:50%",
    )
    .check();
    assert_eq!(
        kinds(&report),
        vec![FindingKind::ReplicasLost {
            service: "svc".into(),
            scenario: "power:utility u1".into(),
            words: strings(&["power:utility", "power:50%"]),
            needed: 2,
            up: 0,
            lost: strings(&["s1", "s2"]),
        }]
    );
    assert_eq!(report.scenarios, 2, "{{u1}} and {{u2}}, each once");
}

// --- 8. listing and searching power:P% give the same verdict -----------------------------

/// dc2's PDU draws from dc1's utility a1 first and from dc2's own small root b
/// second (feeds may cross datacenters: FORMATS.md does not forbid it). The dc2
/// server draws 100 W. When a1 fails (power:50% in dc1), the PDU moves to b:
/// 100 W > b's 80 W limit.
fn cross_datacenter_feed() -> Inv {
    Inv::new()
        .datacenters("id\ndc1\ndc2\n")
        .racks("id,datacenter\nr1,dc1\nr2,dc2\n")
        .power(
            "
            id,datacenter,kind,feeds_from,capacity_w
            a1,dc1,utility,,10000
            a2,dc1,utility,,10000
            b,dc2,utility,,100
            p,dc2,pdu,a1;b,10000
            ",
        )
        .servers(
            "
            id,rack,cpu,mem_gb,psu,idle_w,max_w
            s1,r1,4,8,a2,0,0
            s2,r2,4,8,p,100,100
            ",
        )
        .services(
            r#"
            [[service]]
            name = "svc"
            min_replicas = 1
            cpu = 1
            survive = ["power:50%"]
            "#,
        )
        .placement("service,server\nsvc,s1\nsvc,s2\n")
}

#[test]
fn overload_through_a_feed_from_another_datacenter_is_found_when_listed() {
    let report = cross_datacenter_feed().check();
    assert!(report.findings.iter().any(|f| f.kind
        == overload(
            "b",
            Some("power:50% a1"),
            Some("power:50%"),
            100.0,
            80.0,
            100.0,
            "utility"
        )));
    assert!(!report.passed());
}

#[test]
fn searching_power_percent_never_passes_what_listing_fails() {
    // CheckOptions "tune how, never what, is checked".
    let loaded = cross_datacenter_feed().load();
    let listed = loaded.check(CheckOptions::default());
    let searched = loaded.check(CheckOptions {
        enumeration_limit: 0,
    });
    assert!(!listed.passed());
    assert!(
        !searched.passed(),
        "searched path passed: {:?}",
        searched.findings
    );
}
