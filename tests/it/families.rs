//! The exact `power:P%` search against full enumeration, and hand-checked
//! cases of what it changes in `check`.
//!
//! Every family generated here is small enough to list, so the search (forced
//! with `enumeration_limit: 0`, or called directly) must give the same worst
//! case as evaluating every set within the budget with `Topology::impact` and
//! `LoadModel::loads`: the most replicas lost for each service, and the most
//! load on each power component.

use std::fmt::Write as _;

use faultplan::inventory::{Component, PowerId, ServerId, SurviveWord};
use faultplan::scenarios::{BudgetFamily, LoadSearch, ScenarioSet, WorstLoad};
use faultplan::topology::{Impact, LoadModel, PartialLoads, Topology};
use faultplan::verify::{CheckOptions, FindingKind, PlacementIndex, Report};
use proptest::prelude::*;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::support::{codes, status, Inv};

/// A random one-datacenter inventory: 2-4 roots (utilities and generators), an
/// optional `ups` layer, 2-6 `pdu`s (some fed by another PDU, some through a
/// transfer switch: two parents in failover order), single- and dual-fed
/// servers, unequal capacities, and two services; with its `survive` word.
fn random_inventory(seed: u64) -> (Inv, String) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let capacities = [100, 150, 200, 300, 500, 800];
    let mut power: Vec<(String, &str, Vec<usize>, u32)> = Vec::new();
    for i in 0..rng.gen_range(2..=4) {
        let kind = if rng.gen_bool(0.25) {
            "generator"
        } else {
            "utility"
        };
        power.push((
            format!("root{i}"),
            kind,
            Vec::new(),
            *capacities.choose(&mut rng).unwrap(),
        ));
    }
    let roots = power.len();
    let parents = |rng: &mut ChaCha8Rng, below: usize| -> Vec<usize> {
        let mut from: Vec<usize> = (0..below).collect();
        from.shuffle(rng);
        from.truncate(if rng.gen_bool(0.4) { 2 } else { 1 });
        from
    };
    for i in 0..rng.gen_range(0..=2) {
        let from = parents(&mut rng, roots);
        power.push((
            format!("ups{i}"),
            "ups",
            from,
            *capacities.choose(&mut rng).unwrap(),
        ));
    }
    let pdus_from = power.len();
    for i in 0..rng.gen_range(2..=6) {
        // Mostly fed from above the PDU layer, sometimes from an earlier PDU.
        let below = if rng.gen_bool(0.2) {
            power.len()
        } else {
            pdus_from
        };
        let from = parents(&mut rng, below);
        power.push((
            format!("pdu{i}"),
            "pdu",
            from,
            *capacities.choose(&mut rng).unwrap(),
        ));
    }
    let mut power_csv = String::from("id,datacenter,kind,feeds_from,capacity_w\n");
    for (id, kind, from, capacity) in &power {
        let from: Vec<&str> = from.iter().map(|p| power[*p].0.as_str()).collect();
        writeln!(power_csv, "{id},dc1,{kind},{},{capacity}", from.join(";")).unwrap();
    }
    // Servers plug into PDUs, or now and then straight into a UPS or root.
    let plugs: Vec<usize> = (0..power.len())
        .filter(|p| *p >= pdus_from || rng.gen_bool(0.15))
        .collect();
    let servers = rng.gen_range(2..=8);
    let mut servers_csv = String::from("id,rack,cpu,mem_gb,psu,idle_w,max_w\n");
    for s in 0..servers {
        let mut psu = plugs.clone();
        psu.shuffle(&mut rng);
        psu.truncate(if rng.gen_bool(0.6) { 2 } else { 1 });
        let psu: Vec<&str> = psu.iter().map(|p| power[*p].0.as_str()).collect();
        let idle = rng.gen_range(0..=100);
        let max = idle + rng.gen_range(0..=200);
        writeln!(
            servers_csv,
            "s{s},r{},8,32,{},{idle},{max}",
            s % 3,
            psu.join(";")
        )
        .unwrap();
    }
    let mut placement = String::from("service,server\n");
    for service in ["one", "two"] {
        for s in 0..servers {
            if rng.gen_bool(0.5) {
                writeln!(placement, "{service},s{s}").unwrap();
            }
        }
    }
    let kinds: Vec<&str> = power.iter().map(|p| p.1).collect();
    let kind = match rng.gen_range(0..3) {
        1 if kinds.contains(&"ups") => ":ups",
        1 | 2 => ":pdu",
        _ => "",
    };
    let percent = [25, 34, 50, 67, 80][rng.gen_range(0..5)];
    let word = format!("power:{percent}%{kind}");
    let inv = Inv::new()
        .datacenters("id\ndc1\n")
        .racks("id,datacenter\nr0,dc1\nr1,dc1\nr2,dc1\n")
        .power(&power_csv)
        .servers(&servers_csv)
        .services(&format!(
            "[[service]]\nname = \"one\"\nmin_replicas = 1\ncpu = 2\nsurvive = [\"{word}\"]\n\
             [[service]]\nname = \"two\"\nmin_replicas = 1\ncpu = 3\nsurvive = [\"{word}\"]\n"
        ))
        .placement(&placement);
    (inv, word)
}

fn failed(set: &[PowerId]) -> Vec<Component> {
    set.iter().map(|p| Component::Power(*p)).collect()
}

fn within_budget(family: &BudgetFamily, set: &[PowerId]) -> bool {
    let used: f64 = set
        .iter()
        .map(|p| {
            let i = family.candidates.iter().position(|c| c == p);
            i.map_or(f64::INFINITY, |i| family.capacity_w[i])
        })
        .sum();
    used <= family.budget_w
}

fn search_matches_enumeration(seed: u64) -> Result<(), TestCaseError> {
    let (inv, word) = random_inventory(seed);
    let loaded = inv.load();
    let inventory = &loaded.inventory;
    let topology = Topology::new(inventory);
    let words = vec![SurviveWord::parse(&word).unwrap()];
    let listed = ScenarioSet::expand(inventory, &words, usize::MAX);
    let searched = ScenarioSet::expand(inventory, &words, 0);
    prop_assert!(listed.families.is_empty());
    if searched.families.is_empty() {
        // Vacuous: no set fits within the budget.
        prop_assert!(listed.scenarios.is_empty());
        return Ok(());
    }
    let family = &searched.families[0];
    let search = family.search(&topology);
    prop_assert!(search.limit().is_none());

    // Worst replica loss, for a random multiset of replicas (a server may hold several).
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5eed);
    for _ in 0..3 {
        let replicas: Vec<ServerId> = inventory
            .server_ids()
            .flat_map(|s| std::iter::repeat_n(s, rng.gen_range(0..=2)))
            .collect();
        let lost = |down: &[ServerId]| -> u64 {
            replicas
                .iter()
                .filter(|s| down.binary_search(s).is_ok())
                .count() as u64
        };
        let brute = listed
            .scenarios
            .iter()
            .map(|s| lost(&topology.impact(&s.failed).down))
            .max()
            .unwrap_or(0);
        let (worst, set) = search.worst_replica_loss(&replicas);
        prop_assert_eq!(worst, brute, "{} worst replica loss", word);
        prop_assert_eq!(lost(&topology.impact(&failed(&set)).down), worst);
        prop_assert!(within_budget(family, &set), "{:?} within the budget", set);
        prop_assert_eq!(
            family.worst_replica_loss(&topology, &replicas).0,
            worst,
            "the one-call API agrees"
        );
    }

    // Worst load on every component, from the placement's draw.
    let index = PlacementIndex::new(inventory, &loaded.services, &loaded.placement);
    let model = LoadModel::new(&topology, &index.draw_w);
    let normal = model.loads(&Impact::default());
    let loads = LoadSearch::new(&search, &model);
    let targets: Vec<PowerId> = loads.targets().collect();
    let all: Vec<Vec<f64>> = listed
        .scenarios
        .iter()
        .map(|s| model.loads(&topology.impact(&s.failed)))
        .collect();
    for p in inventory.power_ids() {
        let brute = all
            .iter()
            .map(|l| l[p.index()])
            .fold(normal[p.index()], f64::max);
        if !targets.contains(&p) {
            prop_assert!(
                brute <= normal[p.index()] + 1e-6,
                "{} {:?}: no set raises it",
                word,
                p
            );
            continue;
        }
        match loads.worst_load(p, f64::NEG_INFINITY) {
            WorstLoad::Found { load_w, set, exact } => {
                prop_assert!(exact);
                prop_assert!(
                    (load_w - brute).abs() < 1e-6,
                    "{} {:?}: searched {} listed {}",
                    word,
                    p,
                    load_w,
                    brute
                );
                let actual = model.loads(&topology.impact(&failed(&set)))[p.index()];
                prop_assert!((actual - load_w).abs() < 1e-9);
                prop_assert!(within_budget(family, &set), "{:?} within the budget", set);
            }
            other => prop_assert!(false, "{:?}", other),
        }
        // Asked whether anything exceeds a threshold: just above, just below.
        prop_assert_eq!(loads.worst_load(p, brute + 1e-3), WorstLoad::AtMost);
        let found = matches!(loads.worst_load(p, brute - 1e-3), WorstLoad::Found { .. });
        prop_assert!(found, "{} {:?}: a set above {}", word, p, brute - 1e-3);
    }
    Ok(())
}

/// The components with a `power-overload` finding, each with its highest load.
fn overloads(report: &Report) -> Vec<(String, f64)> {
    let mut out: Vec<(String, f64)> = Vec::new();
    for finding in &report.findings {
        if let FindingKind::PowerOverload {
            component, load_w, ..
        } = &finding.kind
        {
            match out.iter_mut().find(|(c, _)| c == component) {
                Some((_, w)) => *w = w.max(*load_w),
                None => out.push((component.clone(), *load_w)),
            }
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn check_matches_listing(seed: u64) -> Result<(), TestCaseError> {
    let (inv, word) = random_inventory(seed);
    let loaded = inv.load();
    let listed = loaded.check(CheckOptions {
        enumeration_limit: usize::MAX,
    });
    let searched = loaded.check(CheckOptions {
        enumeration_limit: 0,
    });
    prop_assert!(!codes(&searched).contains(&"power-unproven"), "{}", word);
    prop_assert_eq!(listed.passed(), searched.passed(), "{} verdict", word);
    let (listed, searched) = (overloads(&listed), overloads(&searched));
    prop_assert_eq!(
        listed.len(),
        searched.len(),
        "{}: {:?} vs {:?}",
        word,
        listed,
        searched
    );
    for ((a, wa), (b, wb)) in listed.iter().zip(&searched) {
        prop_assert_eq!(a, b);
        prop_assert!(
            (wa - wb).abs() < 1e-6,
            "{} {}: worst {} vs {}",
            word,
            a,
            wa,
            wb
        );
    }
    Ok(())
}

/// `PartialLoads` over a split of the servers adds up to `LoadModel::loads`,
/// under a random failure of candidates and non-candidates alike.
fn partial_loads_add_up(seed: u64) -> Result<(), TestCaseError> {
    let (inv, _) = random_inventory(seed);
    let loaded = inv.load();
    let inventory = &loaded.inventory;
    let topology = Topology::new(inventory);
    let index = PlacementIndex::new(inventory, &loaded.services, &loaded.placement);
    let model = LoadModel::new(&topology, &index.draw_w);
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x10ad);
    let failed: Vec<Component> = inventory
        .power_ids()
        .filter(|_| rng.gen_bool(0.3))
        .map(Component::Power)
        .collect();
    let impact = topology.impact(&failed);
    let (left, right): (Vec<ServerId>, Vec<ServerId>) =
        inventory.server_ids().partition(|_| rng.gen_bool(0.5));
    let mut sum = vec![0.0; inventory.power.len()];
    for part in [&left, &right] {
        let partial = PartialLoads::new(&model, part);
        for (p, w) in partial.reach().iter().zip(partial.route(&impact)) {
            sum[p.index()] += w;
        }
    }
    let whole = model.loads(&impact);
    for p in inventory.power_ids() {
        prop_assert!(
            (sum[p.index()] - whole[p.index()]).abs() < 1e-9,
            "{:?}: {} vs {}",
            p,
            sum[p.index()],
            whole[p.index()]
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn partial_loads_add_up_to_the_load_model(seed in any::<u64>()) {
        partial_loads_add_up(seed)?;
    }

    #[test]
    fn family_search_matches_enumeration(seed in any::<u64>()) {
        search_matches_enumeration(seed)?;
    }

    #[test]
    fn searched_check_matches_listed_check(seed in any::<u64>()) {
        check_matches_listing(seed)?;
    }
}

// --- hand-checked ---------------------------------------------------------------------------

/// `racks` racks, each with PDUs `rN-a` (from utility-a) and `rN-b` (from
/// utility-b) rated 1000 W, and two dual-fed 250 W servers; `svc` has one
/// replica per rack. Each utility carries 250 W per rack normally, 500 W for a
/// rack whose other PDU has failed.
pub(crate) fn room(racks: usize, utility_w: u32, word: &str, min_replicas: usize) -> Inv {
    let mut racks_csv = String::from("id,datacenter\n");
    let mut power = format!(
        "id,datacenter,kind,feeds_from,capacity_w\n\
         utility-a,dc1,utility,,{utility_w}\nutility-b,dc1,utility,,{utility_w}\n"
    );
    let mut servers = String::from("id,rack,cpu,mem_gb,psu,idle_w,max_w\n");
    let mut placement = String::from("service,server\n");
    for r in 1..=racks {
        writeln!(racks_csv, "r{r},dc1").unwrap();
        writeln!(
            power,
            "r{r}-a,dc1,pdu,utility-a,1000\nr{r}-b,dc1,pdu,utility-b,1000"
        )
        .unwrap();
        for s in 1..=2 {
            writeln!(servers, "r{r}-s{s},r{r},8,32,r{r}-a;r{r}-b,250,250").unwrap();
        }
        writeln!(placement, "svc,r{r}-s1").unwrap();
    }
    Inv::new()
        .datacenters("id\ndc1\n")
        .racks(&racks_csv)
        .power(&power)
        .servers(&servers)
        .services(&format!(
            "[[service]]\nname = \"svc\"\nmin_replicas = {min_replicas}\ncpu = 1\nsurvive = [\"{word}\"]\n"
        ))
        .placement(&placement)
}

const SEARCHED: CheckOptions = CheckOptions {
    enumeration_limit: 0,
};

#[test]
fn a_failover_the_old_bound_could_not_prove_now_passes() {
    // 4 racks, power:25%:pdu fails any 2 of the 8 equal PDUs. Utility-a carries
    // 1000 W normally and at worst 1500 W (both B PDUs of two racks failed: 2 ×
    // 250 W more), within its 1600 W limit. The old bound, every server that
    // can reach it drawing through it, was 2000 W: power-unproven.
    let loaded = room(4, 2000, "power:25%:pdu", 2).load();
    let report = loaded.check(SEARCHED);
    assert_eq!(codes(&report), Vec::<&str>::new());
    assert!(report.passed());
    // Losing both PDUs of one rack loses its replica: 3 of 4 up.
    let svc = status(&report, "svc");
    assert_eq!(
        (svc.worst_up, svc.worst_scenario.as_deref()),
        (3, Some("power:25%:pdu r1-a+r1-b"))
    );
    // Listing the 36 sets agrees.
    let listed = loaded.check(CheckOptions::default());
    assert_eq!(listed.findings, report.findings);
    assert_eq!(listed.services, report.services);
}

#[test]
fn a_real_failover_overload_names_the_worst_set() {
    // The same room with 1750 W utilities: limit 1400 W < 1500 W.
    let loaded = room(4, 1750, "power:25%:pdu", 2).load();
    let report = loaded.check(SEARCHED);
    let overload = |component: &str, scenario: &str| FindingKind::PowerOverload {
        component: component.into(),
        kind: "utility".into(),
        scenario: Some(scenario.into()),
        words: vec!["power:25%:pdu".into()],
        load_w: 1500.0,
        limit_w: 1400.0,
        capacity_w: 1750.0,
    };
    let kinds: Vec<FindingKind> = report.findings.iter().map(|f| f.kind.clone()).collect();
    assert_eq!(
        kinds,
        vec![
            overload("utility-a", "power:25%:pdu r1-b+r2-b"),
            overload("utility-b", "power:25%:pdu r1-a+r2-a"),
        ]
    );
    assert_eq!(
        report.findings[0].message,
        "utility-a: carries 1500 W when power:25%:pdu r1-b+r2-b fails, above its limit of 1400 W (1750 W rated)"
    );
    assert!(!report.passed());
    // Listing finds the same worst load (on several sets of two B PDUs).
    assert_eq!(
        overloads(&loaded.check(CheckOptions::default())),
        vec![("utility-a".into(), 1500.0), ("utility-b".into(), 1500.0)]
    );
}

#[test]
fn issue_11_room_of_24_racks_is_exact_and_quick() {
    // The issue's shape: 48 PDUs, power:50%:pdu has millions of sets. Half the
    // PDUs take down both PDUs of 12 racks: 12 of 24 replicas stay up.
    let started = std::time::Instant::now();
    let report = room(24, 20_000, "power:50%:pdu", 12).check();
    assert!(report.passed(), "{:?}", report.findings);
    let svc = status(&report, "svc");
    assert_eq!(svc.worst_up, 12);
    assert_eq!(
        svc.worst_scenario.as_deref(),
        Some(
            "power:50%:pdu r1-a+r1-b+r2-a+r2-b+r3-a+r3-b+r4-a+r4-b+r5-a+r5-b+r6-a+r6-b+\
             r7-a+r7-b+r8-a+r8-b+r9-a+r9-b+r10-a+r10-b+r11-a+r11-b+r12-a+r12-b"
        )
    );
    assert_eq!(codes(&report), vec!["zero-margin"]);
    // Took over 300 s before the exact search; generous for debug builds.
    assert!(started.elapsed().as_secs() < 30);
}

#[test]
fn a_chain_too_large_to_list_is_unproven_and_says_why() {
    // 18 PDUs in a chain: server si is fed by pdu i and pdu i+1, so all 18 form
    // one group, with more than 131,072 sets of at most 9. Each PDU carries
    // 500 W; the bound (both its 500 W servers through it) is 1000 W > 800 W.
    let mut power = String::from(
        "id,datacenter,kind,feeds_from,capacity_w\nua,dc1,utility,,100000\nub,dc1,utility,,100000\n",
    );
    let mut servers = String::from("id,rack,cpu,mem_gb,psu,idle_w,max_w\n");
    for i in 0..18 {
        let side = if i % 2 == 0 { "ua" } else { "ub" };
        writeln!(power, "p{i},dc1,pdu,{side},1000").unwrap();
    }
    for i in 0..17 {
        writeln!(servers, "s{i},r1,8,32,p{i};p{},500,500", i + 1).unwrap();
    }
    let report = Inv::new()
        .datacenters("id\ndc1\n")
        .racks("id,datacenter\nr1,dc1\n")
        .power(&power)
        .servers(&servers)
        .services(
            "[[service]]\nname = \"svc\"\nmin_replicas = 1\ncpu = 1\nsurvive = [\"power:50%:pdu\"]\n",
        )
        .placement("service,server\nsvc,s0\nsvc,s16\n")
        .check();
    let unproven: Vec<&FindingKind> = report
        .findings
        .iter()
        .map(|f| &f.kind)
        .filter(|k| matches!(k, FindingKind::PowerUnproven { .. }))
        .collect();
    // p0 and p17 have one server each: 500 W at most, proven.
    assert_eq!(unproven.len(), 16, "{:?}", report.findings);
    let FindingKind::PowerUnproven {
        component,
        bound_w,
        limit_w,
        reason,
        ..
    } = unproven[0]
    else {
        unreachable!()
    };
    assert_eq!(
        (component.as_str(), *bound_w, *limit_w),
        ("p1", 1000.0, 800.0)
    );
    assert_eq!(
        reason,
        "its groups of components that feed common servers (the largest has 18) have more than 131072 sets within the budget"
    );
    // Replicas still get an exact answer: both can be lost (p0 with p1, and p16 with p17).
    assert_eq!(status(&report, "svc").worst_up, 0);
}
