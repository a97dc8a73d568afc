//! `migrate`: every step of the order it prints is no less safe than the
//! current and the target placement, judged here by an independent oracle
//! (replicas up per rack failure and cores per server, counted by hand), and
//! "no safe order" agrees with trying every order.

use std::collections::BTreeMap;

use faultplan::changes::{self, Action, Step};
use faultplan::inventory::{Component, Placement, Replica, ServerId, ServiceId};
use faultplan::migrate::{self, MigrateOptions};
use faultplan::verify::{CheckOptions, Ledger};
use proptest::prelude::*;

use crate::support::{run_root, Inv, Loaded};

/// Three racks with power to spare, so only cores and replicas up matter.
/// `servers`: (rack index, cores); services: (name, min, cores).
fn fleet(servers: &[(usize, u32)], services: &[(&str, u32, u32)]) -> Inv {
    let mut servers_csv = String::from("id,rack,cpu,mem_gb,psu,idle_w,max_w\n");
    for (j, (rack, cpu)) in servers.iter().enumerate() {
        servers_csv.push_str(&format!("s{j},r{rack},{cpu},64,p,10,20\n"));
    }
    let mut services_toml = String::new();
    for (name, min, cpu) in services {
        services_toml.push_str(&format!(
            "[[service]]\nname = \"{name}\"\nmin_replicas = {min}\ncpu = {cpu}\nmax_per_server = 4\nsurvive = [\"rack\"]\n\n"
        ));
    }
    Inv::new()
        .datacenters("id\ndc\n")
        .racks("id,datacenter\nr0,dc\nr1,dc\nr2,dc\n")
        .power(
            "id,datacenter,kind,feeds_from,capacity_w\nu,dc,utility,,1000000\np,dc,pdu,u,1000000\n",
        )
        .servers(&servers_csv)
        .services(&services_toml)
        .placement("service,server\n")
}

fn placement(loaded: &Loaded, replicas: &[(&str, &str)]) -> Placement {
    Placement {
        file: None,
        replicas: replicas
            .iter()
            .map(|(service, server)| Replica {
                service: loaded
                    .services
                    .lookup(service)
                    .expect("a service of the fixture"),
                server: match loaded.inventory.lookup(server) {
                    Some(Component::Server(id)) => id,
                    _ => panic!("{server} is not a server of the fixture"),
                },
                line: 0,
            })
            .collect(),
    }
}

type Counts = BTreeMap<(ServiceId, ServerId), u32>;

/// The oracle: per service, replicas up with nothing failed and under the
/// worst rack; per server, cores used.
struct Judged {
    up: Vec<(u32, u32)>,
    cores: Vec<f64>,
}

fn judge(loaded: &Loaded, counts: &Counts) -> Judged {
    let inventory = &loaded.inventory;
    let services = &loaded.services;
    let mut cores = vec![0.0; inventory.servers.len()];
    let mut up = Vec::new();
    for id in services.ids() {
        let mut per_rack = vec![0u32; inventory.racks.len()];
        for (&(s, v), &n) in counts {
            if s == id {
                per_rack[inventory.server(v).rack.index()] += n;
            }
        }
        let total: u32 = per_rack.iter().sum();
        up.push((total, total - per_rack.iter().max().copied().unwrap_or(0)));
    }
    for (&(s, v), &n) in counts {
        cores[v.index()] += services.service(s).cpu * f64::from(n);
    }
    Judged { up, cores }
}

/// The rule of `migrate`, independently: no fewer replicas up (nothing failed,
/// worst rack) than the worse of A and B, no server over its cores unless A
/// or B is, by no more.
fn no_less_safe(loaded: &Loaded, state: &Counts, a: &Counts, b: &Counts) -> bool {
    let (s, a, b) = (judge(loaded, state), judge(loaded, a), judge(loaded, b));
    let replicas = (0..s.up.len())
        .all(|i| s.up[i].0 >= a.up[i].0.min(b.up[i].0) && s.up[i].1 >= a.up[i].1.min(b.up[i].1));
    let cores = loaded.inventory.server_ids().all(|v| {
        let cap = loaded.inventory.server(v).cpu;
        let allowed = cap.max(a.cores[v.index()]).max(b.cores[v.index()]);
        s.cores[v.index()] <= allowed + 1e-9
    });
    replicas && cores
}

fn apply(counts: &mut Counts, step: &Step) {
    let key = (step.service, step.server);
    match step.action {
        Action::Add => *counts.entry(key).or_default() += 1,
        Action::Remove => {
            let n = counts.get_mut(&key).expect("a remove of a placed replica");
            *n -= 1;
            if *n == 0 {
                counts.remove(&key);
            }
        }
    }
}

/// Every subset of every wave, from the state before it, is no less safe;
/// the waves end at B.
fn assert_safe(loaded: &Loaded, a: &Counts, b: &Counts, waves: &[Vec<Step>], k: usize) {
    let mut state = a.clone();
    for wave in waves {
        assert!(!wave.is_empty() && wave.len() <= k, "wave size: {wave:?}");
        for mask in 0u32..(1 << wave.len()) {
            let mut partial = state.clone();
            for (i, step) in wave.iter().enumerate() {
                if mask & (1 << i) != 0 {
                    apply(&mut partial, step);
                }
            }
            assert!(
                no_less_safe(loaded, &partial, a, b),
                "unsafe partial wave {mask:b} of {wave:?}"
            );
        }
        for step in wave {
            apply(&mut state, step);
        }
    }
    assert_eq!(&state, b, "the waves end at the target");
}

/// Whether some order of single changes keeps the rule (every permutation).
fn some_safe_order(loaded: &Loaded, a: &Counts, b: &Counts, steps: &[Step]) -> bool {
    fn go(loaded: &Loaded, state: &Counts, a: &Counts, b: &Counts, left: &[Step]) -> bool {
        if left.is_empty() {
            return true;
        }
        (0..left.len()).any(|i| {
            let mut next = state.clone();
            if left[i].action == Action::Remove
                && !next.contains_key(&(left[i].service, left[i].server))
            {
                return false;
            }
            apply(&mut next, &left[i]);
            if !no_less_safe(loaded, &next, a, b) {
                return false;
            }
            let mut rest = left.to_vec();
            rest.remove(i);
            go(loaded, &next, a, b, &rest)
        })
    }
    go(loaded, a, a, b, steps)
}

#[test]
fn the_incident_repair_adds_before_it_removes() {
    let run = run_root(&[
        "migrate",
        "inventories/goodbarber",
        "--current",
        "inventories/goodbarber/incident-placement.csv",
        "--target",
        "inventories/goodbarber/repaired-placement.csv",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let changes: Vec<(String, String)> = json["waves"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            assert_eq!(
                w.as_array().unwrap().len(),
                1,
                "one change per wave by default"
            );
            (
                w[0]["action"].as_str().unwrap().to_string(),
                w[0]["server"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        changes,
        [
            ("add", "par1-r01-s04"),
            ("add", "par1-r02-s04"),
            ("remove", "par1-r03-s06"),
            ("remove", "par1-r03-s07")
        ]
        .map(|(a, s)| (a.to_string(), s.to_string()))
    );
    let two = run_root(&[
        "migrate",
        "inventories/goodbarber",
        "--current",
        "inventories/goodbarber/incident-placement.csv",
        "--target",
        "inventories/goodbarber/repaired-placement.csv",
        "--max-parallel",
        "2",
    ]);
    assert_eq!(two.code, 0);
    insta::assert_snapshot!(two.stdout);
}

/// s1 holds a and s2 holds b, both full; the target moves a to s2 and b to
/// s3. Adding a to s2 first overloads s2 and removing a first leaves it with
/// no replica: the only safe order is b's move first.
#[test]
fn a_full_server_is_freed_before_it_is_filled() {
    let loaded = fleet(&[(0, 4), (1, 4), (2, 4)], &[("a", 1, 4), ("b", 1, 4)]).load();
    let a = placement(&loaded, &[("a", "s0"), ("b", "s1")]);
    let b = placement(&loaded, &[("a", "s1"), ("b", "s2")]);
    let migration = migrate::migrate(
        &loaded.inventory,
        &loaded.services,
        &a,
        &b,
        &MigrateOptions::default(),
    )
    .expect("a safe order exists");
    let names: Vec<String> = migration
        .waves
        .iter()
        .flatten()
        .map(|s| {
            format!(
                "{:?} {} {}",
                s.action,
                loaded.services.service(s.service).name,
                loaded.inventory.server(s.server).id
            )
        })
        .collect();
    assert_eq!(
        names,
        ["Add b s2", "Remove b s1", "Add a s1", "Remove a s0"]
    );
    let (ca, cb) = (changes::counts(&a), changes::counts(&b));
    assert_safe(&loaded, &ca, &cb, &migration.waves, 1);
}

/// A swap on two full servers with no third: no order is safe, which is
/// proven, and the cores that would unblock it are named. With a spare server
/// and --allow-temporary, a stepping stone makes it safe.
#[test]
fn a_swap_on_full_servers_has_no_safe_order_until_a_spare_server_helps() {
    let inv = fleet(&[(0, 4), (1, 4)], &[("a", 1, 4), ("b", 1, 4)])
        .file("current.csv", "service,server\na,s0\nb,s1\n")
        .file("target.csv", "service,server\na,s1\nb,s0\n");
    let run = inv.run(&[
        "migrate",
        "inv",
        "--current",
        "inv/current.csv",
        "--target",
        "inv/target.csv",
    ]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    insta::assert_snapshot!(run.stdout);
    let json = inv.run(&[
        "migrate",
        "inv",
        "--current",
        "inv/current.csv",
        "--target",
        "inv/target.csv",
        "--format",
        "json",
    ]);
    let value: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(value["status"], "blocked");
    assert_eq!(value["proven"], true);

    let spare = fleet(&[(0, 4), (1, 4), (2, 4)], &[("a", 1, 4), ("b", 1, 4)])
        .file("current.csv", "service,server\na,s0\nb,s1\n")
        .file("target.csv", "service,server\na,s1\nb,s0\n");
    let args = [
        "migrate",
        "inv",
        "--current",
        "inv/current.csv",
        "--target",
        "inv/target.csv",
    ];
    let without = spare.run(&args);
    assert_eq!(
        without.code, 1,
        "the spare server alone is not used: {}",
        without.stdout
    );
    let mut with = args.to_vec();
    with.push("--allow-temporary");
    let run = spare.run(&with);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("+ add (temporary)"), "{}", run.stdout);
    assert!(
        run.stdout.contains("- remove (temporary)"),
        "{}",
        run.stdout
    );

    let loaded = spare.load();
    let (a, b) = (
        placement(&loaded, &[("a", "s0"), ("b", "s1")]),
        placement(&loaded, &[("a", "s1"), ("b", "s0")]),
    );
    let options = MigrateOptions {
        allow_temporary: true,
        ..MigrateOptions::default()
    };
    let migration =
        migrate::migrate(&loaded.inventory, &loaded.services, &a, &b, &options).unwrap();
    assert_safe(
        &loaded,
        &changes::counts(&a),
        &changes::counts(&b),
        &migration.waves,
        1,
    );
}

#[test]
fn identical_placements_need_no_change_and_the_ansible_order_has_one_play_per_wave() {
    let inv = fleet(&[(0, 4), (1, 4), (2, 4)], &[("a", 1, 2)])
        .file("current.csv", "service,server\na,s0\na,s1\n")
        .file("target.csv", "service,server\na,s1\na,s2\n");
    let same = inv.run(&[
        "migrate",
        "inv",
        "--current",
        "inv/current.csv",
        "--target",
        "inv/current.csv",
    ]);
    assert_eq!(same.code, 0);
    assert_eq!(
        same.stdout,
        "Nothing to change: the placements are the same.\n"
    );
    let run = inv.run(&[
        "migrate",
        "inv",
        "--current",
        "inv/current.csv",
        "--target",
        "inv/target.csv",
        "--format",
        "ansible",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!(run.stdout);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]
    /// On random tiny fleets and random pairs (A, B): every wave `migrate`
    /// prints keeps the rule in every interleaving, and it reports "no safe
    /// order" (proven) exactly when no order of single changes keeps it.
    #[test]
    fn every_step_is_safe_and_no_safe_order_agrees_with_every_order(
        servers in proptest::collection::vec((0usize..3, 2u32..7), 3..5),
        cpu in proptest::collection::vec(1u32..4, 2),
        a_on in proptest::collection::vec(proptest::collection::vec(0usize..5, 1..3), 2),
        b_on in proptest::collection::vec(proptest::collection::vec(0usize..5, 1..3), 2),
        k in 1usize..3,
    ) {
        let loaded = fleet(&servers, &[("a", 1, cpu[0]), ("b", 1, cpu[1])]).load();
        let n = servers.len();
        let build = |on: &[Vec<usize>]| -> Placement {
            let mut replicas = Vec::new();
            for (s, servers) in on.iter().enumerate() {
                for &v in servers {
                    replicas.push(Replica { service: ServiceId(s as u32), server: ServerId((v % n) as u32), line: 0 });
                }
            }
            Placement { file: None, replicas }
        };
        let (a, b) = (build(&a_on), build(&b_on));
        let (ca, cb) = (changes::counts(&a), changes::counts(&b));
        let options = MigrateOptions { max_parallel: k, ..MigrateOptions::default() };
        let steps = changes::steps(&ca, &cb);
        let exists = some_safe_order(&loaded, &ca, &cb, &steps);
        match migrate::migrate(&loaded.inventory, &loaded.services, &a, &b, &options) {
            Ok(migration) => {
                prop_assert!(exists, "an order was printed where none is safe");
                assert_safe(&loaded, &ca, &cb, &migration.waves, k);
            }
            Err(blocked) => {
                prop_assert!(blocked.proven, "tiny diffs are searched exhaustively");
                prop_assert!(!exists, "blocked although a safe order exists");
            }
        }
        // Stepping stones: whatever order comes out is safe too.
        let with_stones = MigrateOptions { allow_temporary: true, ..options };
        if let Ok(migration) = migrate::migrate(&loaded.inventory, &loaded.services, &a, &b, &with_stones) {
            assert_safe(&loaded, &ca, &cb, &migration.waves, k);
        }
    }
}

/// `check --current RUNNING --placement PLANNED`: each replica running where
/// the plan has none, and each planned one not running, is a `drift` error at
/// the line that has it; the same placement twice has no drift.
#[test]
fn drift_between_what_runs_and_what_was_planned_is_reported_at_its_line() {
    let args = |current: &'static str| {
        [
            "check",
            "inventories/goodbarber",
            "--placement",
            "inventories/goodbarber/repaired-placement.csv",
            "--current",
            current,
            "--format",
            "json",
        ]
    };
    let same = run_root(&args("inventories/goodbarber/repaired-placement.csv"));
    assert_eq!(same.code, 0, "{}", same.stdout);
    assert!(!same.stdout.contains("\"drift\""));

    let run = run_root(&args("inventories/goodbarber/incident-placement.csv"));
    assert_eq!(run.code, 1);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let drift: Vec<String> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "drift")
        .map(|f| {
            format!(
                "{}:{} {} running {} planned {}",
                f["file"].as_str().unwrap(),
                f["line"],
                f["server"].as_str().unwrap(),
                f["running"],
                f["planned"]
            )
        })
        .collect();
    assert_eq!(
        drift,
        [
            "inventories/goodbarber/repaired-placement.csv:90 par1-r01-s04 running 0 planned 1",
            "inventories/goodbarber/repaired-placement.csv:91 par1-r02-s04 running 0 planned 1",
            "inventories/goodbarber/incident-placement.csv:91 par1-r03-s06 running 1 planned 0",
            "inventories/goodbarber/incident-placement.csv:92 par1-r03-s07 running 1 planned 0",
        ]
    );
    // The plan itself passes: drift alone fails the check.
    assert_eq!(
        json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["severity"] == "error" && f["code"] != "drift")
            .count(),
        0
    );
}

/// A `power:P%` family too large to list is searched, which the ledger cannot
/// follow: each placement then gets a whole `check`. Seven racks of two
/// dual-fed servers, 14 PDUs: `power:50%:pdu` has 9,908 sets (above the
/// listing limit of 4,096). Half the PDUs take both PDUs of three racks, so
/// one replica per rack keeps 4 up, exactly min_replicas: each replica moved
/// to its rack's other server must be added before its old one goes.
#[test]
fn a_searched_power_family_is_judged_by_whole_checks() {
    let mut loaded = crate::families::room(7, 20_000, "power:50%:pdu", 4).load();
    assert!(Ledger::new(&loaded.inventory, &loaded.services).is_none());
    let a = loaded.placement.clone();
    let moved: Vec<(String, String)> = (1..=7)
        .map(|r| ("svc".to_string(), format!("r{r}-s2")))
        .collect();
    let moved: Vec<(&str, &str)> = moved
        .iter()
        .map(|(s, v)| (s.as_str(), v.as_str()))
        .collect();
    let b = placement(&loaded, &moved);
    // Room for all 14 changes in one wave: only the judge splits them.
    let options = MigrateOptions {
        max_parallel: 14,
        ..MigrateOptions::default()
    };
    let migration = migrate::migrate(&loaded.inventory, &loaded.services, &a, &b, &options)
        .expect("adding first is safe");
    let (ca, cb) = (changes::counts(&a), changes::counts(&b));
    assert!(loaded.check(CheckOptions::default()).passed());
    let mut state = ca;
    for wave in &migration.waves {
        for mask in 0u32..(1 << wave.len()) {
            let mut partial = state.clone();
            for (i, step) in wave.iter().enumerate() {
                if mask & (1 << i) != 0 {
                    apply(&mut partial, step);
                }
            }
            loaded.placement = changes::placement(&partial);
            let report = loaded.check(CheckOptions::default());
            assert!(report.passed(), "{wave:?} {mask:b}: {:?}", report.findings);
        }
        for step in wave {
            apply(&mut state, step);
        }
    }
    assert_eq!(state, cb);
    // Every add, then every removal: a removal with the adds leaves 3 up
    // when the adds finish last.
    let actions: Vec<Vec<Action>> = migration
        .waves
        .iter()
        .map(|w| w.iter().map(|s| s.action).collect())
        .collect();
    assert_eq!(actions, vec![vec![Action::Add; 7], vec![Action::Remove; 7]]);
}
