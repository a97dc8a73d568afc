//! `plan`: hand-solved instances with known optimal answers, the shipped
//! examples, infeasibility explanations, and properties on random inventories.

use std::collections::BTreeMap;

use faultplan::inventory::Placement;
use faultplan::plan::{plan, Cause, Limit, PlanError, PlanOptions};
use faultplan::verify::{self, CheckOptions};
use proptest::prelude::*;

use crate::support::{run_root, Inv, Loaded, INV};

fn solve(inv: &Inv) -> (Loaded, Result<faultplan::plan::Plan, PlanError>) {
    let loaded = inv.load();
    let outcome = plan(
        &loaded.inventory,
        &loaded.services,
        None,
        &PlanOptions::default(),
        &|_| {},
    );
    (loaded, outcome)
}

/// Replicas per rack id of a plan's placement.
fn per_rack(loaded: &Loaded, placement: &Placement) -> BTreeMap<String, usize> {
    let mut racks = BTreeMap::new();
    for r in &placement.replicas {
        let rack = loaded.inventory.server(r.server).rack;
        *racks
            .entry(loaded.inventory.rack(rack).id.clone())
            .or_default() += 1;
    }
    racks
}

fn servers_of(loaded: &Loaded, placement: &Placement) -> Vec<String> {
    placement
        .replicas
        .iter()
        .map(|r| loaded.inventory.server(r.server).id.clone())
        .collect()
}

/// `racks` racks of two 16-core dual-PSU servers on two roots.
fn racks_inventory(racks: usize, min_replicas: u32, survive: &str) -> Inv {
    let mut rack_rows = String::from("id,datacenter\n");
    let mut power = String::from(
        "id,datacenter,kind,feeds_from,capacity_w\nua,dc,utility,,100000\nub,dc,utility,,100000\n",
    );
    let mut servers = String::from("id,rack,cpu,mem_gb,psu,idle_w,max_w\n");
    for r in 1..=racks {
        rack_rows.push_str(&format!("r{r},dc\n"));
        power.push_str(&format!(
            "r{r}-pa,dc,pdu,ua,20000\nr{r}-pb,dc,pdu,ub,20000\n"
        ));
        for s in 1..=2 {
            servers.push_str(&format!("r{r}-s{s},r{r},16,64,r{r}-pa;r{r}-pb,100,300\n"));
        }
    }
    Inv::new()
        .datacenters("id\ndc\n")
        .racks(&rack_rows)
        .power(&power)
        .servers(&servers)
        .services(&format!(
            "[[service]]\nname = \"web\"\nmin_replicas = {min_replicas}\ncpu = 4\nmem_gb = 8\nsurvive = [{survive}]\n"
        ))
        .placement("service,server\n")
}

#[test]
fn three_racks_min_two_surviving_a_rack_takes_one_replica_per_rack() {
    let (loaded, outcome) = solve(&racks_inventory(3, 2, "\"rack\""));
    let plan = outcome.expect("feasible");
    assert_eq!(plan.placement.replicas.len(), 3);
    assert_eq!(
        per_rack(&loaded, &plan.placement)
            .values()
            .copied()
            .collect::<Vec<_>>(),
        vec![1, 1, 1]
    );
    assert!(plan.stats.optimal);
    assert_eq!(plan.stats.value, plan.stats.bound);
    assert!(plan.report.passed());
}

#[test]
fn four_equal_racks_min_three_takes_four_replicas() {
    let (loaded, outcome) = solve(&racks_inventory(4, 3, "\"rack\""));
    let plan = outcome.expect("feasible");
    assert_eq!(plan.placement.replicas.len(), 4);
    assert_eq!(per_rack(&loaded, &plan.placement).len(), 4);
}

/// Eight servers on feeds A and B; `psu` says how each is wired.
fn two_sides(psu_a: &str, psu_b: &str) -> Inv {
    let mut servers = String::from("id,rack,cpu,mem_gb,psu,idle_w,max_w\n");
    for s in 1..=4 {
        servers.push_str(&format!("a{s},r1,16,64,{psu_a},100,300\n"));
        servers.push_str(&format!("b{s},r1,16,64,{psu_b},100,300\n"));
    }
    Inv::new()
        .datacenters("id\ndc\n")
        .racks("id,datacenter\nr1,dc\n")
        .power("id,datacenter,kind,feeds_from,capacity_w\nua,dc,utility,,100000\nub,dc,utility,,100000\npa,dc,pdu,ua,20000\npb,dc,pdu,ub,20000\n")
        .servers(&servers)
        .services("[[service]]\nname = \"db\"\nmin_replicas = 2\ncpu = 4\nsurvive = [\"power:50%\"]\n")
        .placement("service,server\n")
}

#[test]
fn half_the_power_needs_twice_the_replicas_on_single_psu_servers() {
    let (loaded, outcome) = solve(&two_sides("pa", "pb"));
    let plan = outcome.expect("feasible");
    assert_eq!(plan.placement.replicas.len(), 4, "2 × min_replicas");
    let servers = servers_of(&loaded, &plan.placement);
    assert_eq!(servers.iter().filter(|s| s.starts_with('a')).count(), 2);
    assert_eq!(servers.iter().filter(|s| s.starts_with('b')).count(), 2);
}

#[test]
fn half_the_power_needs_only_min_replicas_on_dual_psu_servers() {
    let (_, outcome) = solve(&two_sides("pa;pb", "pa;pb"));
    assert_eq!(outcome.expect("feasible").placement.replicas.len(), 2);
}

/// Rack r1 holds a maintenance server drawing 900 W and s1 (8 cores, 0-400 W);
/// r2 holds s2 (4 cores). Each PDU may carry 1000 W (1250 × 0.8). A 4-core
/// replica on s1 draws 400 × 4/8 = 200 W: split over both PDUs that is 550 W
/// each, but when either feed fails the other PDU carries 900 + 200 = 1100 W.
/// Only failover forbids s1.
fn hot_rack() -> Inv {
    Inv::new()
        .datacenters("id\ndc\n")
        .racks("id,datacenter\nr1,dc\nr2,dc\n")
        .power(
            "id,datacenter,kind,feeds_from,capacity_w
            ua,dc,utility,,10000
            ub,dc,utility,,10000
            r1-pa,dc,pdu,ua,1250
            r1-pb,dc,pdu,ub,1250
            r2-pa,dc,pdu,ua,1250
            r2-pb,dc,pdu,ub,1250",
        )
        .servers(
            "id,rack,cpu,mem_gb,psu,idle_w,max_w,status
            heater,r1,8,64,r1-pa;r1-pb,900,900,maintenance
            s1,r1,8,64,r1-pa;r1-pb,0,400,
            s2,r2,4,64,r2-pa;r2-pb,0,400,",
        )
        .services(
            "[[service]]\nname = \"api\"\nmin_replicas = 1\ncpu = 4\nsurvive = [\"power:50%\"]\n",
        )
}

#[test]
fn power_failover_forces_the_replica_off_the_hot_rack() {
    let on_s1 = hot_rack().placement("service,server\napi,s1\n").check();
    let overloads = crate::support::with_code(&on_s1, "power-overload");
    let messages: Vec<&str> = overloads.iter().map(|f| f.message.as_str()).collect();
    assert_eq!(
        messages,
        vec![
            "r1-pb: carries 1100 W when power:50% ua fails, above its limit of 1000 W (1250 W rated)",
            "r1-pa: carries 1100 W when power:50% ub fails, above its limit of 1000 W (1250 W rated)",
        ]
    );
    let (loaded, outcome) = solve(&hot_rack().placement("service,server\n"));
    assert_eq!(
        servers_of(&loaded, &outcome.expect("feasible").placement),
        vec!["s2"]
    );
}

/// Runs `plan inventories/goodbarber` with `extra` arguments, writing to
/// `placement.csv` in a fresh folder (kept alive by the returned TempDir).
fn plan_goodbarber(extra: &[&str]) -> (tempfile::TempDir, std::path::PathBuf, crate::support::Run) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("placement.csv");
    let mut args = vec!["plan", "inventories/goodbarber"];
    args.extend_from_slice(extra);
    args.extend(["--out", out.to_str().unwrap()]);
    let run = run_root(&args);
    (dir, out, run)
}

fn check_goodbarber(placement: &std::path::Path) -> crate::support::Run {
    run_root(&[
        "check",
        "inventories/goodbarber",
        "--placement",
        placement.to_str().unwrap(),
    ])
}

const INCIDENT: [&str; 2] = ["--current", "inventories/goodbarber/incident-placement.csv"];

#[test]
fn goodbarber_plan_passes_check() {
    let (dir, out, run) = plan_goodbarber(&[]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("optimal"), "{}", run.stdout);
    assert!(dir.path().join("placement.json").exists());
    let check = check_goodbarber(&out);
    assert_eq!(check.code, 0, "{}", check.stdout);
    let (_again_dir, again, _) = plan_goodbarber(&[]);
    assert_eq!(
        std::fs::read(&out).unwrap(),
        std::fs::read(&again).unwrap(),
        "same inputs, same bytes"
    );
}

#[test]
fn goodbarber_incident_is_repaired_with_the_fewest_moves() {
    let (_dir, out, run) = plan_goodbarber(&INCIDENT);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    // Three session replicas share rack par1-r03; surviving it needs two moved out.
    let moves: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.trim_start().starts_with('~'))
        .collect();
    assert_eq!(moves.len(), 2, "{}", run.stdout);
    assert!(
        moves.iter().all(|l| l.contains("session: par1-r03-")),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("Plan: 0 to add, 0 to remove, 2 to move."),
        "{}",
        run.stdout
    );
    let check = check_goodbarber(&out);
    assert_eq!(check.code, 0, "{}", check.stdout);
}

#[test]
fn max_moves_below_the_fewest_is_infeasible() {
    let (_dir, out, run) = plan_goodbarber(&[INCIDENT[0], INCIDENT[1], "--max-moves", "1"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("session"), "{}", run.stdout);
    assert!(run.stdout.contains("--max-moves 1"), "{}", run.stdout);
    assert!(!out.exists(), "nothing is written when no plan exists");
}

/// `session` requires ssd and every ssd server is in rack r1.
fn ssd_in_one_rack() -> Inv {
    racks_inventory(3, 2, "\"rack\"")
        .file("servers.csv", "id,rack,cpu,mem_gb,psu,idle_w,max_w,labels\nr1-s1,r1,16,64,r1-pa;r1-pb,100,300,ssd\nr1-s2,r1,16,64,r1-pa;r1-pb,100,300,ssd\nr2-s1,r2,16,64,r2-pa;r2-pb,100,300,\nr3-s1,r3,16,64,r3-pa;r3-pb,100,300,\n")
        .services("[[service]]\nname = \"session\"\nmin_replicas = 2\ncpu = 4\nrequires = [\"ssd\"]\nsurvive = [\"rack\"]\n")
}

#[test]
fn infeasible_structure_is_explained_without_the_solver() {
    let (_, outcome) = solve(&ssd_in_one_rack());
    let Err(PlanError::Infeasible(explanation)) = outcome else {
        panic!("expected infeasible")
    };
    assert_eq!(explanation.causes.len(), 1);
    assert_eq!(
        explanation.causes[0].message(),
        "session: all 2 active servers with ssd go down when rack r1 fails, so no placement survives it (2 replicas must stay up)"
    );
    let tmp = ssd_in_one_rack().write();
    let run = crate::support::run_in(
        tmp.path(),
        &["plan", INV, "--out", "out.csv", "--format", "json"],
    );
    assert_eq!(run.code, 1);
    insta::assert_snapshot!("plan_infeasible_structural_json", run.stdout);
    let human = crate::support::run_in(tmp.path(), &["plan", INV, "--out", "out.csv"]);
    assert_eq!(human.code, 1);
    insta::assert_snapshot!("plan_infeasible_structural_human", human.stdout);
    assert!(!tmp.path().join("out.csv").exists());
}

#[test]
fn infeasible_capacity_is_explained_as_a_shortfall() {
    // Three racks of one 4-core server: `a` alone needs all three (one per rack);
    // `b` then has nowhere to go.
    let inv = Inv::new()
        .datacenters("id\ndc\n")
        .racks("id,datacenter\nr1,dc\nr2,dc\nr3,dc\n")
        .power("id,datacenter,kind,capacity_w\nu,dc,utility,100000\n")
        .servers("id,rack,cpu,mem_gb,psu\ns1,r1,4,16,u\ns2,r2,4,16,u\ns3,r3,4,16,u\n")
        .services(
            "[[service]]\nname = \"a\"\nmin_replicas = 2\ncpu = 4\n\n[[service]]\nname = \"b\"\nmin_replicas = 1\ncpu = 4\n",
        )
        .placement("service,server\n");
    let (_, outcome) = solve(&inv);
    let Err(PlanError::Infeasible(explanation)) = outcome else {
        panic!("expected infeasible")
    };
    // Nothing failed, the three servers hold a, a and b; the shortfall is in
    // the scenarios: losing a rack with `a` leaves it one short, losing b's
    // rack leaves b none. Three replicas short is the least possible.
    // Leaving out the servers' cores, and only them, lets a placement exist.
    assert_eq!(
        explanation.causes[0],
        Cause::Binding {
            limits: vec![Limit::Cpu]
        }
    );
    let shortfalls: Vec<(Option<&str>, Vec<&str>, f64)> = explanation.causes[1..]
        .iter()
        .map(|c| match c {
            Cause::Shortfall {
                scenario,
                services,
                replicas,
            } => (
                scenario.as_deref(),
                services.iter().map(String::as_str).collect(),
                *replicas,
            ),
            other => panic!("expected only shortfalls, got {other:?}"),
        })
        .collect();
    assert_eq!(shortfalls.len(), 3, "{shortfalls:?}");
    assert!(shortfalls.iter().all(|(scenario, _, replicas)| scenario
        .is_some_and(|s| s.starts_with("rack r"))
        && *replicas == 1.0));
    assert_eq!(
        shortfalls
            .iter()
            .filter(|(_, services, _)| services == &vec!["a"])
            .count(),
        2
    );
    let text = faultplan::report::infeasible_human(&explanation);
    assert!(
        text.contains("these limits cannot all be met: the servers' cores"),
        "{text}"
    );
    assert!(text.contains("a short by 1 replica when rack r"), "{text}");
}

// On tiny random inventories: every plan passes `check`, and `plan` says
// infeasible exactly when no placement (searched exhaustively) passes.
proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]
    #[test]
    fn plans_pass_check_and_infeasible_agrees_with_brute_force(
        racks in proptest::collection::vec(0usize..3, 4),
        cpus in proptest::collection::vec(2u32..9, 4),
        dual in proptest::collection::vec(any::<bool>(), 4),
        min_a in 1u32..3,
        cpu_a in 1u32..5,
        cpu_b in 1u32..5,
        survive_power in any::<bool>(),
    ) {
        let inv = crate::support::tiny_fleet(&racks, &cpus, &dual, min_a, cpu_a, cpu_b, 100000, survive_power);
        let (loaded, outcome) = solve(&inv);
        // Brute force: each service on any subset of the 4 servers (max_per_server 1).
        let feasible = crate::support::exists_placement(&loaded.inventory, &loaded.services);
        match outcome {
            Ok(plan) => {
                prop_assert!(feasible, "plan found a placement the brute force did not");
                let report = verify::check(&loaded.inventory, &loaded.services, &plan.placement, CheckOptions::default());
                prop_assert!(report.passed(), "{:?}", report.findings);
            }
            Err(PlanError::Infeasible(why)) => prop_assert!(!feasible, "plan said infeasible ({:?}) but a placement exists", why.causes),
            Err(other) => prop_assert!(false, "unexpected {:?}", other),
        }
    }
}

#[test]
fn the_same_input_gives_the_same_bytes() {
    let tmp = tempfile::tempdir().expect("temporary folder");
    let mut outputs = Vec::new();
    for run in 0..3 {
        let csv = tmp.path().join(format!("p{run}.csv"));
        let result = run_root(&[
            "plan",
            "inventories/two-sites",
            "--out",
            csv.to_str().expect("UTF-8 path"),
        ]);
        assert_eq!(result.code, 0, "{}{}", result.stdout, result.stderr);
        let read = |path: std::path::PathBuf| std::fs::read(path).expect("written");
        outputs.push((read(csv.clone()), read(csv.with_extension("json"))));
    }
    assert!(outputs.windows(2).all(|w| w[0] == w[1]));
}

/// One rack: `big` (8 cores) and `a`, `b`, `d` (2 cores each); nothing to
/// survive. `ones` (3 × 1 core) and `halves` (3 × 0.5) each need 3 of the 4
/// servers, `pairs` 2 × 2 cores, `solo` 1 × 2. Placed one after another on
/// the roomiest servers, `ones` takes big, a and b, then `halves` big, d
/// and a: every 2-core server keeps less than 2 cores, `pairs` finds only
/// big, and repair, which moves a replica to another class of servers,
/// has only big to move to, which holds one of each already. Placed together, both crowded services share big, a and b (a
/// replica of each per server) and leave d whole for `pairs`.
#[test]
fn services_that_need_most_servers_are_placed_together() {
    let inv = Inv::new()
        .datacenters("id\ndc\n")
        .racks("id,datacenter\nr,dc\n")
        .power("id,datacenter,kind,feeds_from,capacity_w\nu,dc,utility,,100000\np,dc,pdu,u,50000\n")
        .servers(
            "id,rack,cpu,mem_gb,psu,idle_w,max_w\na,r,2,0,p,50,100\nb,r,2,0,p,50,100\nbig,r,8,0,p,50,100\nd,r,2,0,p,50,100\n",
        )
        .services(
            "[defaults]\nsurvive = []\n\
             [[service]]\nname = \"halves\"\nmin_replicas = 3\ncpu = 0.5\n\
             [[service]]\nname = \"solo\"\nmin_replicas = 1\ncpu = 2\n\
             [[service]]\nname = \"pairs\"\nmin_replicas = 2\ncpu = 2\n\
             [[service]]\nname = \"ones\"\nmin_replicas = 3\ncpu = 1\n",
        )
        .placement("service,server\n");
    let loaded = inv.load();
    let options = PlanOptions {
        method: faultplan::plan::Method::Greedy,
        ..PlanOptions::default()
    };
    let plan = plan(&loaded.inventory, &loaded.services, None, &options, &|_| {})
        .unwrap_or_else(|_| panic!("the crowded services placed together leave room"));
    let on = |service: &str| -> Vec<String> {
        let mut servers: Vec<String> = plan
            .placement
            .replicas
            .iter()
            .filter(|r| loaded.services.service(r.service).name == service)
            .map(|r| loaded.inventory.server(r.server).id.clone())
            .collect();
        servers.sort();
        servers
    };
    assert_eq!(on("ones"), ["a", "b", "big"]);
    assert_eq!(on("halves"), ["a", "b", "big"]);
    assert_eq!(on("pairs"), ["big", "d"]);
}
