//! The planning problem, built once: classes of interchangeable servers, which
//! classes each service may use, the failure sets each service must survive,
//! and every power limit as a linear row over the classes' draw. The MILP
//! (milp.rs), the concrete placement state (state.rs) and the bounds all read
//! this one description, so they cannot disagree about a guarantee.

use super::classes::{classes, Class};
use super::eligible::Eligible;
use super::power_rows::{self, constant_draw, power_rows, PowerRow};
use super::survival::{service_groups, Survival};
use crate::inventory::{Component, Inventory, Placement, ServerId, ServiceId, Services};
use crate::scenarios::ScenarioSet;
use crate::topology::{Impact, Topology};

pub use super::counts::Counts;

pub struct Model<'a> {
    pub inventory: &'a Inventory,
    pub services: &'a Services,
    pub classes: Vec<Class>,
    /// Per server: its class (None for servers that take no replicas).
    pub class_of: Vec<Option<usize>>,
    /// Per service: the classes it may use (active, has the required labels).
    pub eligible: Eligible,
    /// Per service: its failure sets, an index into `groups`.
    pub group_of: Vec<usize>,
    pub groups: Vec<Survival>,
    /// Limits that could be exceeded: normal operation first, then each
    /// scenario that cuts power somewhere.
    pub power: Vec<PowerRow>,
    /// Every powered component's row in normal operation.
    pub normal_power: Vec<PowerRow>,
    /// The scenarios the power rows are for, by name and failed components:
    /// the listed ones, then `power:P%` sets added lazily.
    pub power_scenarios: Vec<(String, Vec<Component>)>,
    /// Per class: (index into `power`, share of the class's draw).
    pub class_rows: Vec<Vec<(usize, f64)>>,
    /// Current replicas per (service, class), and per service those that must go
    /// anyway (inactive or unlabelled servers).
    pub current: Option<(Counts, Vec<u32>)>,
    /// How much one GB of memory costs next to one core.
    pub mem_weight: f64,
    /// Per service: the proven fewest replicas ([`Model::replica_floor`]).
    floors: Vec<u32>,
    /// Capacity planning: classes of servers that may be bought.
    pub buy: Option<Buy>,
}

/// Servers for sale (capacity planning): a class for sale may have any number
/// of its servers bought, from none to all.
#[derive(Debug, Clone)]
pub struct Buy {
    /// Per class: the price of one of its servers, None for servers owned.
    pub price: Vec<Option<f64>>,
    /// Σ coef × (servers bought of class k) ≤ limit: a rack's free units, a
    /// model's max_count.
    pub limits: Vec<(Vec<(usize, f64)>, f64)>,
}

impl<'a> Model<'a> {
    /// `impacts` are the set's scenarios' ([`impacts`]); `split` names servers
    /// that must be classes of their own.
    pub fn new(
        inventory: &'a Inventory,
        services: &'a Services,
        set: &ScenarioSet,
        impacts: &[Impact],
        current: Option<&Placement>,
        split: &[ServerId],
    ) -> Self {
        let topology = Topology::new(inventory);
        let classes = classes(inventory, &scenarios_down(inventory, impacts), split);
        let class_of = class_of(inventory, &classes);
        let (group_of, group_services) = service_groups(services, set);
        let eligible = Eligible::new(inventory, services, &classes);
        let groups: Vec<Survival> = group_services
            .iter()
            .map(|&first| {
                let survives = set.survives(services.service(first));
                Survival::of_group(
                    set,
                    impacts,
                    &survives,
                    &eligible[first.index()],
                    &class_of,
                    classes.len(),
                )
            })
            .collect();
        let rows = power_rows::rows(inventory, &topology, &classes, impacts);
        let current =
            current.map(|placement| current_counts(placement, &class_of, &eligible, services));
        let mut model = Model {
            inventory,
            services,
            classes,
            class_of,
            eligible,
            group_of,
            groups,
            power: rows.power,
            normal_power: rows.normal,
            class_rows: rows.class_rows,
            power_scenarios: set
                .scenarios
                .iter()
                .map(|s| (s.name.clone(), s.failed.clone()))
                .collect(),
            current,
            mem_weight: mem_weight(inventory),
            floors: Vec::new(),
            buy: None,
        };
        model.floors = services.ids().map(|id| model.compute_floor(id)).collect();
        model
    }

    pub fn survival(&self, service: ServiceId) -> &Survival {
        &self.groups[self.group_of[service.index()]]
    }

    /// Each set of failure sets with the services that share it (they need
    /// the same labels, so they may use the same classes).
    pub fn survival_groups(&self) -> impl Iterator<Item = (&Survival, Vec<ServiceId>)> + '_ {
        self.groups.iter().enumerate().map(|(g, survival)| {
            let members = self
                .services
                .ids()
                .filter(|id| self.group_of[id.index()] == g)
                .collect();
            (survival, members)
        })
    }

    /// Adds "survive losing these components" for one service (a `power:P%`
    /// family too large to list, added lazily). True when the set is new.
    pub fn add_survival(&mut self, service: ServiceId, failed: &[Component], name: &str) -> bool {
        let topology = Topology::new(self.inventory);
        let mut lost: Vec<usize> = topology
            .impact(failed)
            .down
            .iter()
            .filter_map(|s| self.class_of[s.index()])
            .filter(|k| self.eligible[service.index()].binary_search(k).is_ok())
            .collect();
        lost.sort_unstable();
        lost.dedup();
        let g = self.group_of[service.index()];
        if lost.is_empty() || self.groups[g].contains(&lost) {
            return false;
        }
        // The set is this service's alone: copy the group when others share it.
        if self.group_of.iter().filter(|&&x| x == g).count() > 1 {
            self.groups.push(self.groups[g].clone());
            self.group_of[service.index()] = self.groups.len() - 1;
        }
        let g = self.group_of[service.index()];
        self.groups[g].add(lost, name);
        self.floors[service.index()] = self.compute_floor(service);
        true
    }

    /// Adds the power limits of one more scenario (a `power:P%` set found to
    /// overload a component, added lazily). True when it adds a limit that
    /// could bind.
    pub fn add_power_scenario(&mut self, failed: &[Component], name: &str) -> bool {
        if self.power_scenarios.iter().any(|(_, f)| f == failed) {
            return false;
        }
        let topology = Topology::new(self.inventory);
        let impact = topology.impact(failed);
        let index = self.power_scenarios.len();
        self.power_scenarios
            .push((name.to_string(), failed.to_vec()));
        let rows = power_rows(
            &topology,
            &self.classes,
            &impact,
            Some(index),
            &constant_draw(self.inventory),
        );
        let mut added = false;
        for row in rows
            .into_iter()
            .filter(|row| row.could_exceed(&self.classes))
        {
            let r = self.power.len();
            for &(k, coef) in &row.coefs {
                self.class_rows[k].push((r, coef));
            }
            self.power.push(row);
            added = true;
        }
        added
    }

    pub fn replica_cost(&self, service: ServiceId) -> f64 {
        let s = self.services.service(service);
        s.cpu + self.mem_weight * s.mem_gb
    }

    /// The most replicas of `service` that one server of class `k` can hold.
    pub fn fit(&self, service: ServiceId, k: usize) -> u32 {
        let s = self.services.service(service);
        let class = &self.classes[k];
        let mut n = f64::from(s.max_per_server);
        // The same tolerance `verify` allows on a server's cpu and memory.
        if s.cpu > 0.0 {
            n = n.min(((class.cpu + 1e-9) / s.cpu).floor());
        }
        if s.mem_gb > 0.0 {
            n = n.min(((class.mem_gb + 1e-9) / s.mem_gb).floor());
        }
        n.max(0.0) as u32
    }

    /// The most replicas of `service` that class `k` can hold.
    pub fn class_fit(&self, service: ServiceId, k: usize) -> u32 {
        let per_server = u64::from(self.fit(service, k));
        (per_server * self.classes[k].servers.len() as u64).min(u64::from(u32::MAX)) as u32
    }

    /// A proven lower bound on the replicas of `service` in any placement that
    /// passes `check` ([`Model::compute_floor`]).
    pub fn replica_floor(&self, service: ServiceId) -> u32 {
        self.floors[service.index()]
    }

    /// Why it is a bound: take m disjoint failure sets D₁…Dₘ of the service
    /// and let R be the eligible classes in none of them. Every placement has
    /// total − lost(Dᵢ) ≥ min for each i; summed, m·total − Σ lost(Dᵢ) ≥ m·min.
    /// The Dᵢ are disjoint, so Σ lost(Dᵢ) = total − on(R), hence
    /// (m − 1)·total ≥ m·min − on(R) ≥ m·min − capacity(R), and total is an
    /// integer. Servers in no set (R) break the plain (m − 1)·total ≥ m·min:
    /// replicas there survive every scenario.
    fn compute_floor(&self, service: ServiceId) -> u32 {
        let survival = self.survival(service);
        // Any choice of disjoint sets gives a bound; two greedy choices, small
        // sets first (many racks) and large sets first (a few datacenters).
        let mut order: Vec<usize> = (0..survival.sets.len()).collect();
        order.sort_by_key(|&i| (survival.sets[i].len(), i));
        let small_first = self.floor_from(service, order.iter().copied());
        let large_first = self.floor_from(service, order.iter().rev().copied());
        small_first.max(large_first)
    }

    /// The floor from the disjoint sets picked greedily in `order`.
    fn floor_from(&self, service: ServiceId, order: impl Iterator<Item = usize>) -> u32 {
        let min = self.services.service(service).min_replicas;
        let survival = self.survival(service);
        let mut used = vec![false; self.classes.len()];
        let mut disjoint = 0u64;
        for i in order {
            let lost = &survival.sets[i];
            if lost.iter().all(|&k| !used[k]) {
                for &k in lost {
                    used[k] = true;
                }
                disjoint += 1;
            }
        }
        if disjoint < 2 {
            return min;
        }
        let rest: u64 = self.eligible[service.index()]
            .iter()
            .filter(|&&k| !used[k])
            .map(|&k| u64::from(self.class_fit(service, k)))
            .sum();
        let need = (disjoint * u64::from(min)).saturating_sub(rest);
        let floor = need.div_ceil(disjoint - 1);
        floor.clamp(u64::from(min), u64::from(u32::MAX)) as u32
    }

    /// A bound every placement respects, from each service's replica floor alone.
    pub fn floor_cost(&self) -> f64 {
        self.services
            .ids()
            .map(|id| f64::from(self.replica_floor(id)) * self.replica_cost(id))
            .sum()
    }

    /// A power row's load in watts when the classes hold `counts`.
    pub fn row_load(&self, row: &PowerRow, counts: &Counts) -> f64 {
        let mut cpu = vec![0.0; self.classes.len()];
        for (service, per_class) in self.services.services.iter().zip(counts) {
            for (k, n) in per_class.iter() {
                cpu[k] += f64::from(n) * service.cpu;
            }
        }
        row.constant_w
            + row
                .coefs
                .iter()
                .map(|&(k, c)| {
                    let class = &self.classes[k];
                    c * (class.size() * class.idle_w + class.slope_w() * cpu[k])
                })
                .sum::<f64>()
    }

    /// Counts per (service, class) of a concrete placement, skipping replicas
    /// on servers that take none.
    pub fn counts(&self, placement: &Placement) -> Counts {
        let mut counts = Counts::new(self.services.services.len());
        for r in &placement.replicas {
            if let Some(k) = self.class_of[r.server.index()] {
                counts.add(r.service.index(), k, 1);
            }
        }
        counts
    }
}

/// Per server: the scenarios (indices into `impacts`) that take it down.
fn scenarios_down(inventory: &Inventory, impacts: &[Impact]) -> Vec<Vec<u32>> {
    let mut down_in = vec![Vec::new(); inventory.servers.len()];
    for (i, impact) in impacts.iter().enumerate() {
        for s in &impact.down {
            down_in[s.index()].push(i as u32);
        }
    }
    down_in
}

/// Per server: its class (None for servers that take no replicas).
fn class_of(inventory: &Inventory, classes: &[Class]) -> Vec<Option<usize>> {
    let mut class_of = vec![None; inventory.servers.len()];
    for (k, class) in classes.iter().enumerate() {
        for s in &class.servers {
            class_of[s.index()] = Some(k);
        }
    }
    class_of
}

/// The current placement's replicas per (service, class), and per service
/// those that must go anyway (on servers that take none or lack a label).
fn current_counts(
    placement: &Placement,
    class_of: &[Option<usize>],
    eligible: &Eligible,
    services: &Services,
) -> (Counts, Vec<u32>) {
    let mut counts = Counts::new(services.services.len());
    let mut leaving = vec![0u32; services.services.len()];
    for r in &placement.replicas {
        match class_of[r.server.index()] {
            Some(k) if eligible[r.service.index()].binary_search(&k).is_ok() => {
                counts.add(r.service.index(), k, 1)
            }
            _ => leaving[r.service.index()] += 1,
        }
    }
    (counts, leaving)
}

/// What each scenario of the set takes down, computed once for every stage.
pub fn impacts(inventory: &Inventory, set: &ScenarioSet) -> Vec<Impact> {
    let topology = Topology::new(inventory);
    set.scenarios
        .iter()
        .map(|s| topology.impact(&s.failed))
        .collect()
}

/// How much one GB of memory costs next to one core: a tenth of the fleet's
/// cores-per-GB ratio, so cpu decides and memory breaks ties.
fn mem_weight(inventory: &Inventory) -> f64 {
    let cpu: f64 = inventory.servers.iter().map(|s| s.cpu).sum();
    let mem: f64 = inventory.servers.iter().map(|s| s.mem_gb).sum();
    if mem > 0.0 {
        0.1 * cpu / mem
    } else {
        0.0
    }
}

#[cfg(test)]
pub(super) mod tests {
    //! The model's power rows against `verify`'s loads: one power model, so a
    //! drift between the two fails here before it makes a plan wrong.

    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    use super::*;
    use crate::inventory::{Inventory, Replica, Services};
    use crate::topology::LoadModel;
    use crate::verify::PlacementIndex;

    /// A random inventory with A/B roots, UPSes and PDUs (some behind a
    /// transfer switch), single- and dual-fed servers in every status, and
    /// services that survive racks, single PDUs and half the power.
    pub(in crate::plan) fn random_inventory(seed: u64) -> (tempfile::TempDir, Inventory, Services) {
        let rng = &mut ChaCha8Rng::seed_from_u64(seed);
        let dir = tempfile::tempdir().expect("temporary folder");
        let write = |name: &str, text: &str| {
            std::fs::write(dir.path().join(name), text).expect("write fixture")
        };
        write("datacenters.csv", "id\ndc\n");
        let mut power = String::from(
            "id,datacenter,kind,feeds_from,capacity_w\nua,dc,utility,,8000\nub,dc,utility,,8000\ngen,dc,generator,,4000\n",
        );
        let feeds = ["ua", "ub", "ua;gen", "ub;gen", "ua;ub"];
        let pdus = rng.gen_range(2..=4);
        for p in 0..pdus {
            let from = feeds[rng.gen_range(0..feeds.len())];
            power.push_str(&format!(
                "p{p},dc,pdu,{from},{}\n",
                rng.gen_range(2..=12) * 250
            ));
        }
        write("power.csv", &power);
        let racks = rng.gen_range(1..=3);
        let mut rack_rows = String::from("id,datacenter\n");
        let mut servers = String::from("id,rack,cpu,mem_gb,psu,idle_w,max_w,status\n");
        let mut count = 0;
        for r in 0..racks {
            rack_rows.push_str(&format!("r{r},dc\n"));
            for _ in 0..rng.gen_range(1..=4) {
                let a = rng.gen_range(0..pdus);
                let b = rng.gen_range(0..pdus);
                let psu = if a == b || rng.gen_bool(0.3) {
                    format!("p{a}")
                } else {
                    format!("p{a};p{b}")
                };
                let status = match rng.gen_range(0..10) {
                    0 => "maintenance",
                    1 => "offline",
                    _ => "active",
                };
                let idle = rng.gen_range(0..200);
                let max = idle + rng.gen_range(0..500);
                servers.push_str(&format!(
                    "s{count},r{r},16,64,{psu},{idle},{max},{status}\n"
                ));
                count += 1;
            }
        }
        write("racks.csv", &rack_rows);
        write("servers.csv", &servers);
        write(
            "services.toml",
            "[[service]]\nname = \"a\"\nmin_replicas = 1\ncpu = 3\nsurvive = [\"rack\", \"power:50%\"]\n\n\
             [[service]]\nname = \"b\"\nmin_replicas = 1\ncpu = 5\nmax_per_server = 3\nsurvive = [\"power:pdu\"]\n",
        );
        let inventory = Inventory::load(dir.path()).expect("valid fixture");
        let services =
            Services::load(&dir.path().join("services.toml"), &inventory).expect("valid fixture");
        (dir, inventory, services)
    }

    #[test]
    fn power_rows_equal_verify_loads_on_random_placements() {
        for seed in 0..300 {
            let (_dir, inventory, services) = random_inventory(seed);
            let rng = &mut ChaCha8Rng::seed_from_u64(seed ^ 0x5eed);
            let mut replicas = Vec::new();
            for _ in 0..rng.gen_range(0..12) {
                replicas.push(Replica {
                    service: ServiceId(rng.gen_range(0..2)),
                    server: ServerId(rng.gen_range(0..inventory.servers.len() as u32)),
                    line: 0,
                });
            }
            let placement = Placement {
                file: None,
                replicas,
            };
            let set = ScenarioSet::expand(&inventory, &services.all_words(), 4096);
            let impacts = impacts(&inventory, &set);
            let model = Model::new(&inventory, &services, &set, &impacts, None, &[]);
            let counts = model.counts(&placement);
            let topology = Topology::new(&inventory);
            let index = PlacementIndex::new(&inventory, &services, &placement);
            let loads = LoadModel::new(&topology, &index.draw_w);
            for row in model.normal_power.iter().chain(&model.power) {
                let impact = match row.scenario {
                    Some(i) => topology.impact(&model.power_scenarios[i].1),
                    None => Impact::default(),
                };
                let expected = loads.loads(&impact)[row.component.index()];
                let got = model.row_load(row, &counts);
                assert!(
                    (expected - got).abs() < 1e-6,
                    "seed {seed}: {} under {:?}: verify {expected} W, model {got} W",
                    inventory.power(row.component).id,
                    row.scenario.map(|i| &model.power_scenarios[i].0),
                );
            }
        }
    }
}
