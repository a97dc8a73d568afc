//! Property tests on small random inventories, against an independent brute
//! force written from FORMATS.md's rules (not from faultplan's code):
//!
//! - a component is powered when it has not failed and it is a root or at least
//!   one of its feeds_from is powered; a server is up when one PSU's component is;
//! - `power:P%` = every non-empty set of a datacenter's roots whose capacity adds
//!   up to at most P% of that datacenter's root capacity;
//! - draw = idle_w + (max_w - idle_w) * cpu_used / cpu (maintenance: idle_w,
//!   offline: 0), split evenly over powered PSUs; each component passes its load
//!   to its first powered parent; limit = 0.8 × capacity_w.
//!
//! These exercise power:P% over roots and the topology; exact.rs compares every
//! error finding of `check`, over every survive word, against a brute force.

use std::collections::BTreeSet;

use faultplan::inventory::{Component, DcId, PowerId};
use faultplan::scenarios::BudgetFamily;
use faultplan::topology::Topology;
use faultplan::verify::{CheckOptions, FindingKind, PlacementIndex, Report};
use proptest::prelude::*;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::support::Inv;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Status {
    Active,
    Maintenance,
    Offline,
}

#[derive(Debug, Clone)]
struct PowerSpec {
    dc: usize,
    kind: &'static str,
    /// Global indices, all lower than this component's own: index order is a
    /// parents-first order.
    parents: Vec<usize>,
    capacity: u32,
}

#[derive(Debug, Clone)]
struct ServerSpec {
    rack: String,
    cpu: u32,
    psu: Vec<usize>,
    idle: u32,
    max: u32,
    status: Status,
}

#[derive(Debug, Clone)]
struct Spec {
    datacenters: usize,
    percent: u32,
    power: Vec<PowerSpec>,
    racks: Vec<(String, usize)>,
    servers: Vec<ServerSpec>,
    /// Per service: min_replicas.
    services: Vec<u32>,
    /// (service, server) per replica.
    replicas: Vec<(usize, usize)>,
}

fn pick_distinct(rng: &mut ChaCha8Rng, from: &[usize], max: usize) -> Vec<usize> {
    let n = rng.gen_range(1..=max.min(from.len()));
    let mut chosen: Vec<usize> = from.choose_multiple(rng, n).copied().collect();
    chosen.shuffle(rng);
    chosen
}

impl Spec {
    fn random(seed: u64) -> Spec {
        let rng = &mut ChaCha8Rng::seed_from_u64(seed);
        let datacenters = rng.gen_range(1..=2);
        let mut power = Vec::new();
        let mut racks = Vec::new();
        let mut servers = Vec::new();
        for dc in 0..datacenters {
            // Mostly several roots: one root makes every power:P% vacuous.
            let root_count = if rng.gen_bool(0.1) {
                1
            } else {
                rng.gen_range(2..=4)
            };
            let roots: Vec<usize> = (0..root_count)
                .map(|_| {
                    power.push(PowerSpec {
                        dc,
                        kind: if rng.gen_bool(0.25) {
                            "generator"
                        } else {
                            "utility"
                        },
                        parents: vec![],
                        capacity: rng.gen_range(1..=20) * 250,
                    });
                    power.len() - 1
                })
                .collect();
            let mut upstream = roots.clone();
            for _ in 0..rng.gen_range(0..=2) {
                let parents = pick_distinct(rng, &roots, 2);
                power.push(PowerSpec {
                    dc,
                    kind: "ups",
                    parents,
                    capacity: rng.gen_range(1..=40) * 250,
                });
                upstream.push(power.len() - 1);
            }
            let mut pdus = Vec::new();
            for _ in 0..rng.gen_range(1..=3) {
                let parents = pick_distinct(rng, &upstream, 2);
                power.push(PowerSpec {
                    dc,
                    kind: "pdu",
                    parents,
                    capacity: rng.gen_range(1..=16) * 250,
                });
                pdus.push(power.len() - 1);
            }
            // Servers plug mostly into PDUs, sometimes straight into a UPS or root.
            let mut plugs = pdus.clone();
            if rng.gen_bool(0.3) {
                plugs.extend(upstream.iter().copied());
            }
            for r in 0..rng.gen_range(1..=2) {
                let rack = format!("d{dc}r{r}");
                for _ in 0..rng.gen_range(1..=3) {
                    let idle = rng.gen_range(0..=200);
                    servers.push(ServerSpec {
                        rack: rack.clone(),
                        cpu: 8,
                        psu: pick_distinct(rng, &plugs, 2),
                        idle,
                        max: idle + rng.gen_range(0..=400),
                        status: match rng.gen_range(0..20) {
                            0 => Status::Offline,
                            1 | 2 => Status::Maintenance,
                            _ => Status::Active,
                        },
                    });
                }
                racks.push((rack, dc));
            }
        }
        let services: Vec<u32> = (0..rng.gen_range(1..=3))
            .map(|_| rng.gen_range(1..=3))
            .collect();
        let mut replicas = Vec::new();
        for service in 0..services.len() {
            for _ in 0..rng.gen_range(0..=5) {
                replicas.push((service, rng.gen_range(0..servers.len())));
            }
        }
        Spec {
            datacenters,
            percent: *[20, 25, 34, 40, 50, 60, 75].choose(rng).unwrap(),
            power,
            racks,
            servers,
            services,
            replicas,
        }
    }

    fn inv(&self) -> Inv {
        self.inv_surviving_also(&[])
    }

    /// [`Spec::inv`] with `words` added to every service's survive list.
    fn inv_surviving_also(&self, words: &[&str]) -> Inv {
        let mut datacenters = String::from("id\n");
        for d in 0..self.datacenters {
            datacenters += &format!("d{d}\n");
        }
        let mut racks = String::from("id,datacenter\n");
        for (id, dc) in &self.racks {
            racks += &format!("{id},d{dc}\n");
        }
        let mut power = String::from("id,datacenter,kind,feeds_from,capacity_w\n");
        for (i, p) in self.power.iter().enumerate() {
            let parents: Vec<String> = p.parents.iter().map(|q| format!("p{q}")).collect();
            power += &format!(
                "p{i},d{},{},{},{}\n",
                p.dc,
                p.kind,
                parents.join(";"),
                p.capacity
            );
        }
        let mut servers = String::from("id,rack,cpu,mem_gb,psu,idle_w,max_w,status\n");
        for (i, s) in self.servers.iter().enumerate() {
            let psu: Vec<String> = s.psu.iter().map(|q| format!("p{q}")).collect();
            let status = match s.status {
                Status::Active => "active",
                Status::Maintenance => "maintenance",
                Status::Offline => "offline",
            };
            servers += &format!(
                "s{i},{},{},64,{},{},{},{status}\n",
                s.rack,
                s.cpu,
                psu.join(";"),
                s.idle,
                s.max
            );
        }
        let mut services = String::new();
        for (i, min) in self.services.iter().enumerate() {
            services += &format!(
                "[[service]]\nname = \"svc{i}\"\nmin_replicas = {min}\ncpu = 1\nmax_per_server = 8\nsurvive = [\"power:{}%\"{}]\n\n",
                self.percent,
                words.iter().map(|w| format!(", \"{w}\"")).collect::<String>()
            );
        }
        let mut placement = String::from("service,server\n");
        for (service, server) in &self.replicas {
            placement += &format!("svc{service},s{server}\n");
        }
        Inv::new()
            .raw("datacenters.csv", datacenters.as_bytes())
            .raw("racks.csv", racks.as_bytes())
            .raw("power.csv", power.as_bytes())
            .raw("servers.csv", servers.as_bytes())
            .raw("services.toml", services.as_bytes())
            .raw("placement.csv", placement.as_bytes())
    }

    // --- the brute force ----------------------------------------------------------------

    fn powered(&self, failed_power: &[bool], failed_dc: &[bool]) -> Vec<bool> {
        let mut powered = vec![false; self.power.len()];
        for (i, p) in self.power.iter().enumerate() {
            powered[i] = !failed_power[i]
                && !failed_dc[p.dc]
                && (p.parents.is_empty() || p.parents.iter().any(|q| powered[*q]));
        }
        powered
    }

    fn down(
        &self,
        powered: &[bool],
        failed_racks: &BTreeSet<&str>,
        failed_dc: &[bool],
    ) -> Vec<bool> {
        self.servers
            .iter()
            .map(|s| {
                let dc = self.racks.iter().find(|(r, _)| *r == s.rack).unwrap().1;
                failed_dc[dc]
                    || failed_racks.contains(s.rack.as_str())
                    || !s.psu.iter().any(|q| powered[*q])
            })
            .collect()
    }

    fn up(&self, service: usize, down: &[bool]) -> u32 {
        self.replicas
            .iter()
            .filter(|(svc, server)| {
                *svc == service && self.servers[*server].status == Status::Active && !down[*server]
            })
            .count() as u32
    }

    fn draws(&self) -> Vec<f64> {
        self.servers
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let used = self
                    .replicas
                    .iter()
                    .filter(|(_, server)| *server == i)
                    .count() as f64;
                match s.status {
                    Status::Offline => 0.0,
                    Status::Maintenance => s.idle as f64,
                    Status::Active => s.idle as f64 + (s.max - s.idle) as f64 * used / s.cpu as f64,
                }
            })
            .collect()
    }

    fn loads(&self, powered: &[bool], down: &[bool]) -> Vec<f64> {
        let draws = self.draws();
        let mut load = vec![0.0; self.power.len()];
        for (i, s) in self.servers.iter().enumerate() {
            if down[i] {
                continue;
            }
            let live: Vec<usize> = s.psu.iter().copied().filter(|q| powered[*q]).collect();
            for q in &live {
                load[*q] += draws[i] / live.len() as f64;
            }
        }
        for i in (0..self.power.len()).rev() {
            if !powered[i] {
                load[i] = 0.0;
            } else if let Some(parent) = self.power[i].parents.iter().find(|q| powered[**q]) {
                load[*parent] += load[i];
            }
        }
        load
    }

    fn overloaded(&self, powered: &[bool], loads: &[f64]) -> bool {
        (0..self.power.len())
            .any(|i| powered[i] && loads[i] > self.power[i].capacity as f64 * 0.8 + 1e-6)
    }

    fn roots(&self, dc: usize) -> Vec<usize> {
        (0..self.power.len())
            .filter(|i| self.power[*i].dc == dc && self.power[*i].parents.is_empty())
            .collect()
    }

    /// Every non-empty set of a datacenter's roots within P% of its root capacity.
    fn budget_sets(&self, dc: usize) -> Vec<Vec<usize>> {
        let roots = self.roots(dc);
        let total: u32 = roots.iter().map(|r| self.power[*r].capacity).sum();
        (1u32..1 << roots.len())
            .map(|mask| {
                roots
                    .iter()
                    .enumerate()
                    .filter(|(bit, _)| mask & (1 << bit) != 0)
                    .map(|(_, r)| *r)
                    .collect::<Vec<_>>()
            })
            .filter(|set| {
                let sum: u32 = set.iter().map(|r| self.power[*r].capacity).sum();
                100 * sum <= self.percent * total
            })
            .collect()
    }

    fn fail(&self, set: &[usize]) -> (Vec<bool>, Vec<bool>) {
        let mut failed = vec![false; self.power.len()];
        for p in set {
            failed[*p] = true;
        }
        let powered = self.powered(&failed, &vec![false; self.datacenters]);
        let down = self.down(&powered, &BTreeSet::new(), &vec![false; self.datacenters]);
        (powered, down)
    }

    fn all_sets(&self) -> Vec<Vec<usize>> {
        (0..self.datacenters)
            .flat_map(|dc| self.budget_sets(dc))
            .collect()
    }
}

fn service_status(report: &Report, service: usize) -> &faultplan::verify::ServiceStatus {
    &report.services[service]
}

/// The power components a `power:P% a+b` scenario name lists.
fn scenario_set(name: &str) -> Vec<usize> {
    let (_, members) = name.split_once(' ').expect("word and set");
    members
        .split('+')
        .map(|id| id.strip_prefix('p').unwrap().parse().unwrap())
        .collect()
}

fn check_spec(spec: &Spec) -> Result<(), TestCaseError> {
    let loaded = spec.inv().load();
    let listed = loaded.check(CheckOptions::default());
    let searched = loaded.check(CheckOptions {
        enumeration_limit: 0,
    });
    let nothing = spec.fail(&[]);
    let sets = spec.all_sets();

    for (service, &min) in spec.services.iter().enumerate() {
        let up = spec.up(service, &nothing.1);
        let worst = sets
            .iter()
            .map(|set| spec.up(service, &spec.fail(set).1))
            .min()
            .unwrap_or(up)
            .min(up);
        for (path, report) in [("listed", &listed), ("searched", &searched)] {
            let status = service_status(report, service);
            prop_assert_eq!(status.up, up, "{} svc{} up", path, service);
            prop_assert_eq!(status.worst_up, worst, "{} svc{} worst case", path, service);
            prop_assert_eq!(status.ok, worst >= min, "{} svc{} verdict", path, service);
        }
    }

    // Each replicas-lost finding's numbers match its named set.
    for report in [&listed, &searched] {
        for finding in &report.findings {
            if let FindingKind::ReplicasLost {
                service,
                scenario,
                up,
                needed,
                ..
            } = &finding.kind
            {
                let set = scenario_set(scenario);
                prop_assert!(sets.contains(&set), "{} is within the budget", scenario);
                let index: usize = service.strip_prefix("svc").unwrap().parse().unwrap();
                prop_assert_eq!(*up, spec.up(index, &spec.fail(&set).1), "{}", scenario);
                prop_assert!(up < needed);
            }
        }
    }

    // Power: listing every set finds an overload exactly when one exists; the
    // searched path never passes what the listing fails.
    let loads_ok = |set: &[usize]| {
        let (powered, down) = spec.fail(set);
        !spec.overloaded(&powered, &spec.loads(&powered, &down))
    };
    let overload_somewhere = !loads_ok(&[]) || sets.iter().any(|set| !loads_ok(set));
    let has_overload = listed
        .findings
        .iter()
        .any(|f| f.kind.code() == "power-overload");
    prop_assert_eq!(has_overload, overload_somewhere);
    if overload_somewhere {
        prop_assert!(!searched.passed(), "searched path passed an overload");
    }
    if searched.passed() {
        prop_assert!(listed.passed());
    }

    // A datacenter with no set within P% is a single point of failure.
    for report in [&listed, &searched] {
        let flagged: BTreeSet<String> = report
            .findings
            .iter()
            .filter_map(|f| match &f.kind {
                FindingKind::SinglePointOfFailure { datacenter, .. } => Some(datacenter.clone()),
                _ => None,
            })
            .collect();
        let expected: BTreeSet<String> = (0..spec.datacenters)
            .filter(|dc| spec.budget_sets(*dc).is_empty())
            .map(|dc| format!("d{dc}"))
            .collect();
        prop_assert_eq!(flagged, expected);
    }
    Ok(())
}

/// Topology::impact and Topology::loads against the brute force, for a random
/// failure of power components, racks and datacenters.
fn check_topology(spec: &Spec, seed: u64) -> Result<(), TestCaseError> {
    let rng = &mut ChaCha8Rng::seed_from_u64(seed ^ 0x5eed);
    let loaded = spec.inv().load();
    let inv = &loaded.inventory;
    let topology = Topology::new(inv);
    let mut failed_power = vec![false; spec.power.len()];
    let mut failed_dc = vec![false; spec.datacenters];
    let mut failed_racks = BTreeSet::new();
    let mut failed = Vec::new();
    for (i, f) in failed_power.iter_mut().enumerate() {
        if rng.gen_bool(0.25) {
            *f = true;
            failed.push(inv.lookup(&format!("p{i}")).unwrap());
        }
    }
    for (rack, _) in &spec.racks {
        if rng.gen_bool(0.15) {
            failed_racks.insert(rack.as_str());
            failed.push(inv.lookup(rack).unwrap());
        }
    }
    for (dc, f) in failed_dc.iter_mut().enumerate() {
        if rng.gen_bool(0.1) {
            *f = true;
            failed.push(Component::Datacenter(DcId(dc as u32)));
        }
    }
    let powered = spec.powered(&failed_power, &failed_dc);
    let down = spec.down(&powered, &failed_racks, &failed_dc);
    let impact = topology.impact(&failed);
    let down_ids: Vec<String> = impact
        .down
        .iter()
        .map(|s| inv.server(*s).id.clone())
        .collect();
    let expected_down: Vec<String> = (0..spec.servers.len())
        .filter(|i| down[*i])
        .map(|i| format!("s{i}"))
        .collect();
    prop_assert_eq!(down_ids, expected_down, "failed {:?}", failed);
    let off: Vec<String> = impact
        .unpowered
        .iter()
        .map(|p| inv.power(*p).id.clone())
        .collect();
    let expected_off: Vec<String> = (0..spec.power.len())
        .filter(|i| !powered[*i])
        .map(|i| format!("p{i}"))
        .collect();
    prop_assert_eq!(off, expected_off);

    let index = PlacementIndex::new(inv, &loaded.services, &loaded.placement);
    let draws = spec.draws();
    for (i, d) in draws.iter().enumerate() {
        prop_assert!((index.draw_w[i] - d).abs() < 1e-9, "draw of s{}", i);
    }
    let loads = topology.loads(&index.draw_w, &impact);
    let expected = spec.loads(&powered, &down);
    for i in 0..spec.power.len() {
        prop_assert!(
            (loads[i] - expected[i]).abs() < 1e-6,
            "load of p{}: {} vs {}",
            i,
            loads[i],
            expected[i]
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 160, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn power_percent_worst_case_matches_brute_force(seed in any::<u64>()) {
        let spec = Spec::random(seed);
        check_spec(&spec)?;
    }

    #[test]
    fn impact_and_loads_match_brute_force(seed in any::<u64>()) {
        let spec = Spec::random(seed);
        check_topology(&spec, seed)?;
    }
}

// --- BudgetFamily directly ------------------------------------------------------------------

#[derive(Debug, Clone)]
struct Item {
    weight: u64,
    /// Lost when ALL of these candidates fail (like a server on several feeds)
    /// or, if `any`, when at least one does.
    on: Vec<usize>,
    any: bool,
}

fn family(capacities: &[u32], budget: f64) -> BudgetFamily {
    BudgetFamily {
        word: 0,
        datacenter: DcId(0),
        candidates: (0..capacities.len() as u32)
            .map(|i| PowerId(i * 3 + 1))
            .collect(),
        capacity_w: capacities.iter().map(|c| *c as f64).collect(),
        budget_w: budget,
    }
}

fn loss(items: &[Item], set: &[usize]) -> u64 {
    items
        .iter()
        .filter(|item| {
            if item.any {
                item.on.iter().any(|c| set.contains(c))
            } else {
                item.on.iter().all(|c| set.contains(c))
            }
        })
        .map(|item| item.weight)
        .sum()
}

fn family_case() -> impl Strategy<Value = (Vec<u32>, u32, Vec<Item>)> {
    (1usize..=10).prop_flat_map(|n| {
        (
            prop::collection::vec(1u32..=100, n),
            0u32..=100,
            prop::collection::vec(
                (
                    1u64..=5,
                    prop::collection::btree_set(0..n, 1..=n.min(3)),
                    any::<bool>(),
                ),
                1..=8,
            ),
        )
            .prop_map(|(caps, share, items)| {
                let items = items
                    .into_iter()
                    .map(|(weight, on, any)| Item {
                        weight,
                        on: on.into_iter().collect(),
                        any,
                    })
                    .collect();
                (caps, share, items)
            })
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn budget_family_worst_matches_brute_force((caps, share, items) in family_case()) {
        let total: u32 = caps.iter().sum();
        let budget = (total * share) as f64 / 100.0;
        let fam = family(&caps, budget);
        let n = caps.len();
        let mut within = Vec::new();
        for mask in 1u32..1 << n {
            let set: Vec<usize> = (0..n).filter(|i| mask & (1 << i) != 0).collect();
            if set.iter().map(|i| caps[*i] as f64).sum::<f64>() <= budget {
                within.push(set);
            }
        }
        let brute = within.iter().map(|set| loss(&items, set)).max().unwrap_or(0);
        let to_index = |p: &PowerId| fam.candidates.iter().position(|c| c == p).unwrap();
        let mut calls = 0;
        let (best, set) = fam.worst(|s| {
            calls += 1;
            loss(&items, &s.iter().map(to_index).collect::<Vec<_>>())
        });
        prop_assert_eq!(best, brute);
        if best > 0 {
            let set: Vec<usize> = set.iter().map(to_index).collect();
            prop_assert!(within.contains(&set), "the worst set {:?} is within the budget", set);
            prop_assert_eq!(loss(&items, &set), best);
        }
        prop_assert!(calls <= 2 * (1usize << n) + 1, "branch and bound evaluates at most every node");

        // sets(): exactly the sets within the budget, each with its maximality.
        let listed = fam.sets(usize::MAX).expect("no limit");
        let mut got: Vec<(Vec<usize>, bool)> = listed
            .into_iter()
            .map(|(s, maximal)| (s.iter().map(to_index).collect(), maximal))
            .collect();
        got.sort();
        let mut expected: Vec<(Vec<usize>, bool)> = within
            .iter()
            .map(|set| {
                let used: f64 = set.iter().map(|i| caps[*i] as f64).sum();
                let maximal = (0..n).all(|j| set.contains(&j) || used + caps[j] as f64 > budget);
                (set.clone(), maximal)
            })
            .collect();
        expected.sort();
        prop_assert_eq!(got, expected);
        prop_assert!(fam.sets(within.len()).is_some());
        if !within.is_empty() {
            prop_assert!(fam.sets(within.len() - 1).is_none());
        }
    }
}

// --- garbage in never panics -----------------------------------------------------------------

/// Cell values that have broken parsers before.
const NASTY: &[&str] = &[
    "",
    " ",
    "-1",
    "-0",
    "0",
    "NaN",
    "inf",
    "1e308",
    "1e-320",
    "0x10",
    "1_000",
    "4294967296",
    ";",
    ";;",
    "ua;ua",
    "pa;pb",
    "r1",
    "dc1",
    "s1",
    "ua",
    "p2",
    "\"",
    "\"\"",
    "é",
    "x y",
    "maintenance",
    "offline",
    "active",
];

fn garbage_case() -> impl Strategy<Value = Vec<(u8, u8, u8, u8, usize)>> {
    // (file, line, field, action, nasty value)
    prop::collection::vec((0u8..6, 0u8..6, 0u8..10, 0u8..4, 0..NASTY.len()), 1..=3)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, failure_persistence: None, ..ProptestConfig::default() })]

    /// Random edits of a valid inventory: loading either fails with located
    /// errors or succeeds, and every later stage then runs without panicking.
    #[test]
    fn edited_inventories_never_panic(edits in garbage_case()) {
        use faultplan::inventory::{Inventory, Placement, Services};
        use faultplan::scenarios::{ScenarioSet, DEFAULT_ENUMERATION_LIMIT};

        let base = crate::support::baseline();
        let names = ["datacenters.csv", "racks.csv", "power.csv", "servers.csv", "placement.csv", "scenarios.toml"];
        let tmp = base.write();
        let dir = tmp.path().join(crate::support::INV);
        std::fs::write(dir.join("scenarios.toml"), "[[scenario]]\nname = \"both\"\nfail = [\"r1\", \"pb\"]\n").unwrap();
        for (file, line, field, action, value) in edits {
            let path = dir.join(names[file as usize]);
            let text = std::fs::read_to_string(&path).unwrap();
            let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
            let l = line as usize % lines.len();
            match action {
                0 | 1 => {
                    let mut cells: Vec<String> = lines[l].split(',').map(str::to_string).collect();
                    let f = field as usize % cells.len();
                    cells[f] = NASTY[value].to_string();
                    lines[l] = cells.join(",");
                }
                2 => { lines.remove(l); }
                _ => { let copy = lines[l].clone(); lines.insert(l, copy); }
            }
            let mut text = lines.join("\n");
            text.push('\n');
            std::fs::write(&path, text).unwrap();
        }
        let inventory = match Inventory::load(&dir) {
            Ok(inventory) => inventory,
            Err(errors) => {
                prop_assert!(!errors.0.is_empty());
                for e in &errors.0 {
                    prop_assert!(e.location.file.starts_with(&dir), "{}", e);
                }
                return Ok(());
            }
        };
        let services = match Services::load(&dir.join("services.toml"), &inventory) {
            Ok(services) => services,
            Err(_) => return Ok(()),
        };
        let placement = match Placement::load(&dir.join("placement.csv"), &inventory, &services) {
            Ok(placement) => placement,
            Err(errors) => {
                for e in &errors.0 {
                    prop_assert!(e.location.line.is_some(), "{}", e);
                }
                return Ok(());
            }
        };
        let report = faultplan::verify::check(&inventory, &services, &placement, CheckOptions::default());
        let searched = faultplan::verify::check(&inventory, &services, &placement, CheckOptions { enumeration_limit: 0 });
        prop_assert_eq!(report.services.len(), searched.services.len());
        for id in ["dc1", "r1", "pa", "s3", "ua"] {
            if let Some(component) = inventory.lookup(id) {
                let _ = faultplan::verify::simulate(&inventory, &services, &placement, &[component]);
            }
        }
        let topology = Topology::new(&inventory);
        let set = ScenarioSet::expand(&inventory, &services.all_words(), DEFAULT_ENUMERATION_LIMIT);
        let _ = set.blast_radii(&topology);
        let _ = faultplan::report::check_human(&report, &faultplan::report::CheckContext {
            inventory: String::new(), placement: String::new(), services_file: String::new(),
            servers: 0, racks: 0, power_components: 0, replicas: 0,
        }, faultplan::report::Width::default());
        let _ = faultplan::report::check_junit(&report);
        let _ = faultplan::report::check_github(&report);
    }
}

// --- report: worst-case power loads (issue 6) -----------------------------------------------

/// `verify::power_status`, which `report` draws, against the brute force: each
/// component's load with nothing failed, and its highest load over every set
/// within P%, whether the sets are listed or searched.
fn check_power_status(spec: &Spec) -> Result<(), TestCaseError> {
    let loaded = spec.inv().load();
    let (powered, down) = spec.fail(&[]);
    let normal = spec.loads(&powered, &down);
    let mut worst = normal.clone();
    for set in spec.all_sets() {
        let (powered, down) = spec.fail(&set);
        for (w, load) in worst.iter_mut().zip(spec.loads(&powered, &down)) {
            *w = w.max(load);
        }
    }
    for enumeration_limit in [faultplan::scenarios::DEFAULT_ENUMERATION_LIMIT, 0] {
        let status = faultplan::verify::power_status(
            &loaded.inventory,
            &loaded.services,
            &loaded.placement,
            CheckOptions { enumeration_limit },
        );
        for (i, s) in status.iter().enumerate() {
            prop_assert!(
                s.exact,
                "p{} limit {}: small families are searched exactly",
                i,
                enumeration_limit
            );
            prop_assert!(
                (s.normal_w - normal[i]).abs() < 1e-6,
                "p{} normal {} != {}",
                i,
                s.normal_w,
                normal[i]
            );
            prop_assert!(
                (s.worst_w - worst[i]).abs() < 1e-6,
                "p{} limit {}: worst {} != {}",
                i,
                enumeration_limit,
                s.worst_w,
                worst[i]
            );
            // The scenario named loads it that much.
            if let Some(name) = &s.worst_scenario {
                let (powered, down) = spec.fail(&scenario_set(name));
                prop_assert!(
                    (spec.loads(&powered, &down)[i] - s.worst_w).abs() < 1e-6,
                    "p{} {}",
                    i,
                    name
                );
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 100, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn worst_power_loads_match_brute_force(seed in any::<u64>()) {
        check_power_status(&Spec::random(seed))?;
    }
}

// --- the ledger follows check change by change -------------------------------------------

/// Each number `migrate`'s ledger keeps, next to what a whole `check` of the
/// same placement reports, after every change of a random walk: replicas up
/// per service and per word, cores and memory over capacity, and each power
/// component's normal and worst failover overload.
fn check_ledger(spec: &Spec, seed: u64) -> Result<(), TestCaseError> {
    use faultplan::inventory::{Placement, Replica, ServerId, ServiceId};
    use faultplan::verify::{check, Ledger};

    let words: &[&str] = if seed % 2 == 1 { &["rack"] } else { &[] };
    let loaded = spec.inv_surviving_also(words).load();
    let (inventory, services) = (&loaded.inventory, &loaded.services);
    let Some(mut ledger) = Ledger::new(inventory, services) else {
        return Ok(());
    };
    let rng = &mut ChaCha8Rng::seed_from_u64(seed);
    let mut placed: Vec<(ServiceId, ServerId)> = Vec::new();
    let mut walk: Vec<(ServiceId, ServerId)> = loaded
        .placement
        .replicas
        .iter()
        .map(|r| (r.service, r.server))
        .collect();
    for _ in 0..8 {
        let s = ServiceId(rng.gen_range(0..spec.services.len()) as u32);
        let v = ServerId(rng.gen_range(0..spec.servers.len()) as u32);
        walk.push((s, v));
    }
    let mut step = 0;
    while step < walk.len() || !placed.is_empty() {
        // Adds along the walk, with a removal of a random replica now and then.
        if step < walk.len() && (placed.is_empty() || rng.gen_bool(0.7)) {
            ledger.add(walk[step].0, walk[step].1);
            placed.push(walk[step]);
            step += 1;
        } else {
            let (s, v) = placed.swap_remove(rng.gen_range(0..placed.len()));
            ledger.remove(s, v);
        }
        let placement = Placement {
            file: None,
            replicas: placed
                .iter()
                .map(|&(service, server)| Replica {
                    service,
                    server,
                    line: 0,
                })
                .collect(),
        };
        let report = check(inventory, services, &placement, CheckOptions::default());
        prop_assert_eq!(ledger.words(), &report.words[..]);
        for (id, status) in services.ids().zip(&report.services) {
            prop_assert_eq!(ledger.up(id), status.up, "{}", status.service);
            for (w, worst) in status.worst_by_word.iter().enumerate() {
                prop_assert_eq!(
                    ledger.worst_up(id, w),
                    worst.as_ref().map(|x| x.0),
                    "{} under {}",
                    status.service,
                    report.words[w]
                );
            }
        }
        for v in inventory.server_ids() {
            let id = &inventory.server(v).id;
            let over = |code: &str| {
                report.findings.iter().any(|f| match &f.kind {
                    FindingKind::CpuOverCapacity { server, .. } => code == "cpu" && server == id,
                    FindingKind::MemOverCapacity { server, .. } => code == "mem" && server == id,
                    _ => false,
                })
            };
            prop_assert_eq!(
                ledger.over_capacity(v),
                (over("cpu"), over("mem")),
                "{}",
                id
            );
        }
        for p in inventory.power_ids() {
            let id = &inventory.power(p).id;
            let (mut normal, mut failover): (Option<f64>, Option<f64>) = (None, None);
            for f in &report.findings {
                if let FindingKind::PowerOverload {
                    component,
                    scenario,
                    load_w,
                    ..
                } = &f.kind
                {
                    if component == id {
                        let slot = if scenario.is_some() {
                            &mut failover
                        } else {
                            &mut normal
                        };
                        *slot = Some(slot.map_or(*load_w, |w: f64| w.max(*load_w)));
                    }
                }
            }
            let (n, f) = ledger.overloads(p);
            for (mine, theirs, what) in [(n, normal, "normal"), (f, failover, "failover")] {
                prop_assert_eq!(mine.is_some(), theirs.is_some(), "{} {} overload", id, what);
                if let (Some(a), Some(b)) = (mine, theirs) {
                    prop_assert!((a - b).abs() < 1e-6, "{} {}: {} vs {}", id, what, a, b);
                }
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 120, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn the_ledger_agrees_with_check_after_every_change(seed in any::<u64>()) {
        let spec = Spec::random(seed);
        check_ledger(&spec, seed)?;
    }
}
