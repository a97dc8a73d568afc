//! An independent model of FORMATS.md for tiny inventories: a checker of every
//! guarantee and the exhaustive least-cost placement (`plan --objective cost`).
//! Written from FORMATS.md alone; nothing here calls faultplan's topology,
//! scenarios or verify code (the tests compare against them).
//!
//! The rules it encodes:
//! - a component is powered when it has not failed, its datacenter has not
//!   failed, and it is a root or at least one of its feeds_from is powered;
//! - a server is up when its rack, room and datacenter are up, it has not failed
//!   itself, and at least one of its PSU components is powered;
//! - a replica counts as up on an active server that is up and has every label
//!   its service requires;
//! - draw = idle_w + (max_w − idle_w) × cpu_used / cpu (maintenance: idle_w,
//!   offline: 0, down: 0), split evenly over the powered PSU components; each
//!   component passes its whole load to its first powered parent;
//! - limit = capacity_w × max_utilization (default 0.8), in normal operation and
//!   in every scenario of the union of all services' words;
//! - `power:P%` = per datacenter, every non-empty set of its roots (or of its
//!   components of one kind) whose capacity adds up to at most P% of theirs.
//!
//! The optimum: every guarantee but the joint ones (cpu, memory, power) is a
//! service's own, and each is monotone: more replicas never make a survival
//! guarantee fail, and never lower a cpu, memory or power use (routing depends
//! on failures only, and draw grows with cpu). So an optimal placement can be
//! shrunk, service by service, to a minimal survival-feasible multiset of
//! servers without breaking anything or raising the cost. The search lists the
//! minimal multisets of each service, then branches over services (cheapest
//! first) with cpu, memory and power checked on partial placements, which only
//! grow.

use std::collections::BTreeSet;
use std::fmt;

use crate::support::Inv;

/// Loads are compared with this slack, in watts.
pub const WATT_SLACK: f64 = 1e-6;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Active,
    Maintenance,
    Offline,
}

#[derive(Debug, Clone)]
pub struct Rack {
    pub dc: usize,
    /// Empty: the datacenter's room of racks without a room.
    pub room: String,
}

#[derive(Debug, Clone)]
pub struct Power {
    pub dc: usize,
    pub kind: String,
    /// Global indices, each lower than this component's: index order is
    /// parents first.
    pub parents: Vec<usize>,
    pub capacity: u32,
    /// None: the default 0.8.
    pub utilization: Option<f64>,
}

impl Power {
    pub fn limit(&self) -> f64 {
        f64::from(self.capacity) * self.utilization.unwrap_or(0.8)
    }
}

#[derive(Debug, Clone)]
pub struct Server {
    pub rack: usize,
    pub cpu: u32,
    pub mem: u32,
    pub psu: Vec<usize>,
    pub idle: u32,
    pub max: u32,
    pub labels: Vec<String>,
    pub status: Status,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Word {
    Server,
    Rack,
    Room,
    Datacenter,
    PowerKind(String),
    /// Whole percent, and the kind (None: the roots).
    Percent(u32, Option<String>),
    Custom(String),
}

impl fmt::Display for Word {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Word::Server => f.write_str("server"),
            Word::Rack => f.write_str("rack"),
            Word::Room => f.write_str("room"),
            Word::Datacenter => f.write_str("datacenter"),
            Word::PowerKind(kind) => write!(f, "power:{kind}"),
            Word::Percent(p, None) => write!(f, "power:{p}%"),
            Word::Percent(p, Some(kind)) => write!(f, "power:{p}%:{kind}"),
            Word::Custom(name) => write!(f, "custom:{name}"),
        }
    }
}

/// Something a custom scenario fails.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fail {
    Dc(usize),
    Rack(usize),
    Server(usize),
    Power(usize),
}

#[derive(Debug, Clone)]
pub struct Service {
    pub min: u32,
    pub cpu: u32,
    pub mem: u32,
    pub requires: Vec<String>,
    pub max_per_server: u32,
    pub max_replicas: Option<u32>,
    /// None: the key is left out, so the default `["rack"]` applies.
    pub survive: Option<Vec<Word>>,
}

impl Service {
    pub fn words(&self) -> Vec<Word> {
        self.survive.clone().unwrap_or_else(|| vec![Word::Rack])
    }
}

/// A tiny inventory plus services. Ids: datacenters `d<i>`, racks `r<i>`,
/// power `p<i>`, servers `s<i>`, services `svc<i>`.
#[derive(Debug, Clone, Default)]
pub struct Model {
    pub dcs: usize,
    pub racks: Vec<Rack>,
    pub power: Vec<Power>,
    pub servers: Vec<Server>,
    pub services: Vec<Service>,
    pub custom: Vec<(String, Vec<Fail>)>,
}

/// Replicas per service, per server.
pub type Counts = Vec<Vec<u32>>;

/// Replicas of one service as (server, count), servers ascending.
pub type Multiset = Vec<(usize, u32)>;

/// What failed in one scenario.
#[derive(Debug, Clone)]
pub struct Failure {
    pub name: String,
    pub power: Vec<bool>,
    pub dc: Vec<bool>,
    pub rack: Vec<bool>,
    pub server: Vec<bool>,
}

/// Who is up in one scenario.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct State {
    pub powered: Vec<bool>,
    pub up: Vec<bool>,
}

fn join<T: fmt::Display>(items: impl IntoIterator<Item = T>) -> String {
    items
        .into_iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(";")
}

impl Model {
    // --- files ---------------------------------------------------------------------------

    /// The inventory folder of FORMATS.md, with an empty placement.csv.
    pub fn inv(&self) -> Inv {
        let mut dcs = String::from("id\n");
        for d in 0..self.dcs {
            dcs += &format!("d{d}\n");
        }
        let mut racks = String::from("id,datacenter,room\n");
        for (i, r) in self.racks.iter().enumerate() {
            racks += &format!("r{i},d{},{}\n", r.dc, r.room);
        }
        let mut power = String::from("id,datacenter,kind,feeds_from,capacity_w,max_utilization\n");
        for (i, p) in self.power.iter().enumerate() {
            power += &format!(
                "p{i},d{},{},{},{},{}\n",
                p.dc,
                p.kind,
                join(p.parents.iter().map(|q| format!("p{q}"))),
                p.capacity,
                p.utilization.map(|u| u.to_string()).unwrap_or_default()
            );
        }
        let mut servers = String::from("id,rack,cpu,mem_gb,psu,idle_w,max_w,labels,status\n");
        for (i, s) in self.servers.iter().enumerate() {
            let status = match s.status {
                Status::Active => "active",
                Status::Maintenance => "maintenance",
                Status::Offline => "offline",
            };
            servers += &format!(
                "s{i},r{},{},{},{},{},{},{},{status}\n",
                s.rack,
                s.cpu,
                s.mem,
                join(s.psu.iter().map(|q| format!("p{q}"))),
                s.idle,
                s.max,
                join(&s.labels)
            );
        }
        let mut services = String::new();
        for (i, s) in self.services.iter().enumerate() {
            services += &format!(
                "[[service]]\nname = \"svc{i}\"\nmin_replicas = {}\ncpu = {}\nmem_gb = {}\nmax_per_server = {}\n",
                s.min, s.cpu, s.mem, s.max_per_server
            );
            if !s.requires.is_empty() {
                let labels: Vec<String> = s.requires.iter().map(|l| format!("\"{l}\"")).collect();
                services += &format!("requires = [{}]\n", labels.join(", "));
            }
            if let Some(max) = s.max_replicas {
                services += &format!("max_replicas = {max}\n");
            }
            if let Some(words) = &s.survive {
                let words: Vec<String> = words.iter().map(|w| format!("\"{w}\"")).collect();
                services += &format!("survive = [{}]\n", words.join(", "));
            }
            services += "\n";
        }
        let mut inv = Inv::new()
            .raw("datacenters.csv", dcs.as_bytes())
            .raw("racks.csv", racks.as_bytes())
            .raw("power.csv", power.as_bytes())
            .raw("servers.csv", servers.as_bytes())
            .raw("services.toml", services.as_bytes())
            .raw("placement.csv", b"service,server\n");
        if !self.custom.is_empty() {
            let mut text = String::new();
            for (name, fails) in &self.custom {
                let ids: Vec<String> = fails
                    .iter()
                    .map(|f| match f {
                        Fail::Dc(i) => format!("\"d{i}\""),
                        Fail::Rack(i) => format!("\"r{i}\""),
                        Fail::Server(i) => format!("\"s{i}\""),
                        Fail::Power(i) => format!("\"p{i}\""),
                    })
                    .collect();
                text += &format!(
                    "[[scenario]]\nname = \"{name}\"\nfail = [{}]\n\n",
                    ids.join(", ")
                );
            }
            inv = inv.raw("scenarios.toml", text.as_bytes());
        }
        inv
    }

    /// The model's files, for failure messages.
    pub fn describe(&self) -> String {
        let inv = self.inv();
        let tmp = inv.write();
        let dir = tmp.path().join(crate::support::INV);
        let mut out = String::new();
        let mut names: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        for name in names {
            if name == "placement.csv" {
                continue;
            }
            out += &format!(
                "--- {name}\n{}",
                std::fs::read_to_string(dir.join(&name)).unwrap()
            );
        }
        out
    }

    // --- failures ------------------------------------------------------------------------

    pub fn nothing(&self, name: &str) -> Failure {
        Failure {
            name: name.to_string(),
            power: vec![false; self.power.len()],
            dc: vec![false; self.dcs],
            rack: vec![false; self.racks.len()],
            server: vec![false; self.servers.len()],
        }
    }

    pub fn state(&self, failure: &Failure) -> State {
        let mut powered = vec![false; self.power.len()];
        for (i, p) in self.power.iter().enumerate() {
            powered[i] = !failure.power[i]
                && !failure.dc[p.dc]
                && (p.parents.is_empty() || p.parents.iter().any(|q| powered[*q]));
        }
        let up = self
            .servers
            .iter()
            .enumerate()
            .map(|(j, s)| {
                !failure.server[j]
                    && !failure.rack[s.rack]
                    && !failure.dc[self.racks[s.rack].dc]
                    && s.psu.iter().any(|q| powered[*q])
            })
            .collect();
        State { powered, up }
    }

    /// The scenarios one word stands for.
    pub fn scenarios(&self, word: &Word) -> Vec<Failure> {
        let mut out = Vec::new();
        match word {
            Word::Server => {
                for j in 0..self.servers.len() {
                    let mut f = self.nothing(&format!("server s{j}"));
                    f.server[j] = true;
                    out.push(f);
                }
            }
            Word::Rack => {
                for r in 0..self.racks.len() {
                    let mut f = self.nothing(&format!("rack r{r}"));
                    f.rack[r] = true;
                    out.push(f);
                }
            }
            Word::Room => {
                let rooms: BTreeSet<(usize, &str)> =
                    self.racks.iter().map(|r| (r.dc, r.room.as_str())).collect();
                for (dc, room) in rooms {
                    let mut f = self.nothing(&format!("room d{dc}/{room}"));
                    for (r, rack) in self.racks.iter().enumerate() {
                        f.rack[r] = rack.dc == dc && rack.room == room;
                    }
                    out.push(f);
                }
            }
            Word::Datacenter => {
                for d in 0..self.dcs {
                    let mut f = self.nothing(&format!("datacenter d{d}"));
                    f.dc[d] = true;
                    out.push(f);
                }
            }
            Word::PowerKind(kind) => {
                for (i, p) in self.power.iter().enumerate() {
                    if &p.kind == kind {
                        let mut f = self.nothing(&format!("{word} p{i}"));
                        f.power[i] = true;
                        out.push(f);
                    }
                }
            }
            Word::Percent(percent, kind) => {
                for dc in 0..self.dcs {
                    let candidates: Vec<usize> = (0..self.power.len())
                        .filter(|i| {
                            let p = &self.power[*i];
                            p.dc == dc
                                && match kind {
                                    None => p.parents.is_empty(),
                                    Some(k) => &p.kind == k,
                                }
                        })
                        .collect();
                    let total: u64 = candidates
                        .iter()
                        .map(|i| u64::from(self.power[*i].capacity))
                        .sum();
                    for mask in 1u32..1 << candidates.len() {
                        let set: Vec<usize> = (0..candidates.len())
                            .filter(|b| mask & (1 << b) != 0)
                            .map(|b| candidates[b])
                            .collect();
                        let sum: u64 = set.iter().map(|i| u64::from(self.power[*i].capacity)).sum();
                        if 100 * sum <= u64::from(*percent) * total {
                            let mut f = self.nothing(&format!(
                                "{word} {}",
                                join(set.iter().map(|i| format!("p{i}")))
                            ));
                            for i in set {
                                f.power[i] = true;
                            }
                            out.push(f);
                        }
                    }
                }
            }
            Word::Custom(name) => {
                let (_, fails) = self
                    .custom
                    .iter()
                    .find(|(n, _)| n == name)
                    .expect("custom scenario exists");
                let mut f = self.nothing(&format!("custom:{name}"));
                for fail in fails {
                    match *fail {
                        Fail::Dc(i) => f.dc[i] = true,
                        Fail::Rack(i) => f.rack[i] = true,
                        Fail::Server(i) => f.server[i] = true,
                        Fail::Power(i) => f.power[i] = true,
                    }
                }
                out.push(f);
            }
        }
        out
    }

    /// The union of every service's words, each once.
    pub fn all_words(&self) -> Vec<Word> {
        let mut words: Vec<Word> = Vec::new();
        for s in &self.services {
            for w in s.words() {
                if !words.contains(&w) {
                    words.push(w);
                }
            }
        }
        words
    }

    /// Normal operation, then every scenario of the union of all words.
    pub fn power_failures(&self) -> Vec<Failure> {
        let mut out = vec![self.nothing("normal operation")];
        for w in self.all_words() {
            out.extend(self.scenarios(&w));
        }
        out
    }

    // --- power ---------------------------------------------------------------------------

    /// A server's draw with `used` cores busy, before knowing whether it is up.
    pub fn draw(&self, j: usize, used: u32) -> f64 {
        let s = &self.servers[j];
        match s.status {
            Status::Offline => 0.0,
            Status::Maintenance => f64::from(s.idle),
            Status::Active => {
                f64::from(s.idle) + f64::from(s.max - s.idle) * f64::from(used) / f64::from(s.cpu)
            }
        }
    }

    /// Every component's load given each server's draw.
    pub fn loads(&self, state: &State, draws: &[f64]) -> Vec<f64> {
        let mut load = vec![0.0; self.power.len()];
        for (j, s) in self.servers.iter().enumerate() {
            if !state.up[j] {
                continue;
            }
            let live: Vec<usize> = s
                .psu
                .iter()
                .copied()
                .filter(|q| state.powered[*q])
                .collect();
            for q in &live {
                load[*q] += draws[j] / live.len() as f64;
            }
        }
        for i in (0..self.power.len()).rev() {
            if !state.powered[i] {
                load[i] = 0.0;
            } else if let Some(parent) = self.power[i].parents.iter().find(|q| state.powered[**q]) {
                load[*parent] += load[i];
            }
        }
        load
    }

    /// plan's `--objective balance` for the cores used on each server: the
    /// highest utilisation of an active server (cpu), of a rack (the cpu used
    /// over the cores of its active servers) and of a power component with
    /// nothing failed (load over limit), as FORMATS.md's draw rules give it.
    pub fn balance(&self, used: &[u32]) -> f64 {
        let mut peak: f64 = 0.0;
        let mut racks = vec![(0.0, 0.0); self.racks.len()];
        for (j, s) in self.servers.iter().enumerate() {
            if s.status != Status::Active {
                continue;
            }
            if s.cpu > 0 {
                peak = peak.max(f64::from(used[j]) / f64::from(s.cpu));
            }
            racks[s.rack].0 += f64::from(used[j]);
            racks[s.rack].1 += f64::from(s.cpu);
        }
        for (used, cores) in racks {
            if cores > 0.0 {
                peak = peak.max(used / cores);
            }
        }
        let draws: Vec<f64> = (0..self.servers.len())
            .map(|j| self.draw(j, used[j]))
            .collect();
        let loads = self.loads(&self.state(&self.nothing("")), &draws);
        for (i, p) in self.power.iter().enumerate() {
            if p.limit() > 0.0 {
                peak = peak.max(loads[i] / p.limit());
            }
        }
        peak
    }

    pub fn cpu_used(&self, counts: &Counts) -> Vec<u32> {
        (0..self.servers.len())
            .map(|j| {
                self.services
                    .iter()
                    .enumerate()
                    .map(|(k, s)| counts[k][j] * s.cpu)
                    .sum()
            })
            .collect()
    }

    // --- the checker ---------------------------------------------------------------------

    /// Whether a replica of service `k` on server `j` counts as up in `state`.
    fn replica_up(&self, k: usize, j: usize, state: &State) -> bool {
        let s = &self.servers[j];
        state.up[j]
            && s.status == Status::Active
            && self.services[k]
                .requires
                .iter()
                .all(|l| s.labels.contains(l))
    }

    fn up_count(&self, k: usize, counts: &Counts, state: &State) -> u32 {
        (0..self.servers.len())
            .filter(|j| self.replica_up(k, *j, state))
            .map(|j| counts[k][j])
            .sum()
    }

    /// Every guarantee of FORMATS.md that `counts` breaks (empty: it passes).
    pub fn violations(&self, counts: &Counts) -> Vec<String> {
        let mut out = Vec::new();
        for (j, server) in self.servers.iter().enumerate() {
            let cpu: u32 = (0..self.services.len())
                .map(|k| counts[k][j] * self.services[k].cpu)
                .sum();
            let mem: u32 = (0..self.services.len())
                .map(|k| counts[k][j] * self.services[k].mem)
                .sum();
            if cpu > server.cpu {
                out.push(format!("s{j}: {cpu} cores used of {}", server.cpu));
            }
            if mem > server.mem {
                out.push(format!("s{j}: {mem} GB used of {}", server.mem));
            }
        }
        let normal = self.state(&self.nothing("normal operation"));
        for (k, service) in self.services.iter().enumerate() {
            let total: u32 = counts[k].iter().sum();
            if let Some(max) = service.max_replicas {
                if total > max {
                    out.push(format!("svc{k}: {total} replicas above max_replicas {max}"));
                }
            }
            for (j, server) in self.servers.iter().enumerate() {
                if counts[k][j] > service.max_per_server {
                    out.push(format!("svc{k}: {} replicas on s{j}", counts[k][j]));
                }
                if counts[k][j] > 0 && !service.requires.iter().all(|l| server.labels.contains(l)) {
                    out.push(format!("svc{k}: s{j} lacks a required label"));
                }
            }
            let up = self.up_count(k, counts, &normal);
            if up < service.min {
                out.push(format!(
                    "svc{k}: {up} up in normal operation, {} needed",
                    service.min
                ));
            }
            for word in service.words() {
                for failure in self.scenarios(&word) {
                    let up = self.up_count(k, counts, &self.state(&failure));
                    if up < service.min {
                        out.push(format!(
                            "svc{k}: {up} up when {} fails, {} needed",
                            failure.name, service.min
                        ));
                    }
                }
            }
        }
        let used = self.cpu_used(counts);
        let draws: Vec<f64> = (0..self.servers.len())
            .map(|j| self.draw(j, used[j]))
            .collect();
        for failure in self.power_failures() {
            let state = self.state(&failure);
            let loads = self.loads(&state, &draws);
            for (i, p) in self.power.iter().enumerate() {
                if state.powered[i] && loads[i] > p.limit() + WATT_SLACK {
                    out.push(format!(
                        "p{i}: {} W in {}, limit {}",
                        loads[i],
                        failure.name,
                        p.limit()
                    ));
                }
            }
        }
        out
    }

    /// The highest load / limit of any powered component in normal operation
    /// or any scenario.
    pub fn peak_power_share(&self, counts: &Counts) -> f64 {
        let used = self.cpu_used(counts);
        let draws: Vec<f64> = (0..self.servers.len())
            .map(|j| self.draw(j, used[j]))
            .collect();
        let mut peak: f64 = 0.0;
        for failure in self.power_failures() {
            let state = self.state(&failure);
            let loads = self.loads(&state, &draws);
            for (i, p) in self.power.iter().enumerate() {
                if state.powered[i] && p.limit() > 0.0 {
                    peak = peak.max(loads[i] / p.limit());
                }
            }
        }
        peak
    }

    // --- the optimum ---------------------------------------------------------------------

    /// A tenth of the fleet's cores per GB (0 without memory).
    pub fn mem_weight(&self) -> f64 {
        let cpu: f64 = self.servers.iter().map(|s| f64::from(s.cpu)).sum();
        let mem: f64 = self.servers.iter().map(|s| f64::from(s.mem)).sum();
        if mem > 0.0 {
            0.1 * cpu / mem
        } else {
            0.0
        }
    }

    pub fn replica_cost(&self, k: usize) -> f64 {
        let s = &self.services[k];
        f64::from(s.cpu) + self.mem_weight() * f64::from(s.mem)
    }

    pub fn cost(&self, counts: &Counts) -> f64 {
        counts
            .iter()
            .enumerate()
            .map(|(k, c)| f64::from(c.iter().sum::<u32>()) * self.replica_cost(k))
            .sum()
    }

    /// The minimal multisets of servers (as (server, count) lists) that meet
    /// service `k`'s own guarantees, fewest replicas first.
    pub fn minimal_sets(&self, k: usize, relax: Relax) -> Vec<Multiset> {
        let service = &self.services[k];
        if service.min == 0 {
            return vec![vec![]];
        }
        // A server holding more than min replicas can drop one and stay feasible.
        let eligible: Vec<(usize, u32)> = self
            .servers
            .iter()
            .enumerate()
            .filter(|(_, s)| {
                s.status == Status::Active && service.requires.iter().all(|l| s.labels.contains(l))
            })
            .map(|(j, s)| {
                let mut cap = service
                    .max_per_server
                    .min(service.min)
                    .min(s.cpu / service.cpu);
                if service.mem > 0 && !relax.mem {
                    cap = cap.min(s.mem / service.mem);
                }
                (j, cap)
            })
            .filter(|(_, cap)| *cap > 0)
            .collect();
        // Which eligible servers are up, per scenario (normal operation first).
        let mut ups: Vec<Vec<bool>> = vec![vec![true; eligible.len()]];
        for word in service.words() {
            for failure in self.scenarios(&word) {
                let state = self.state(&failure);
                let up: Vec<bool> = eligible.iter().map(|(j, _)| state.up[*j]).collect();
                if !ups.contains(&up) {
                    ups.push(up);
                }
            }
        }
        let max_total = service.max_replicas.unwrap_or(u32::MAX);
        // Per scenario: the most replicas that servers from i on could still add.
        let suffix: Vec<Vec<u32>> = ups
            .iter()
            .map(|up| {
                let mut s = vec![0; eligible.len() + 1];
                for i in (0..eligible.len()).rev() {
                    s[i] = s[i + 1] + if up[i] { eligible[i].1 } else { 0 };
                }
                s
            })
            .collect();
        let mut walk = Walk {
            eligible: &eligible,
            ups: &ups,
            suffix: &suffix,
            max_total,
            min: service.min,
            c: vec![0; eligible.len()],
            have: vec![0; ups.len()],
            found: Vec::new(),
        };
        walk.walk(0, 0);
        let found = walk.found;
        let mut sets: Vec<Multiset> = found
            .into_iter()
            .map(|c| {
                c.iter()
                    .enumerate()
                    .filter(|(_, n)| **n > 0)
                    .map(|(i, n)| (eligible[i].0, *n))
                    .collect()
            })
            .collect();
        sets.sort_by_key(|s| (s.iter().map(|(_, n)| n).sum::<u32>(), s.clone()));
        sets
    }

    /// The least-cost placement meeting every guarantee (but those `relax` drops).
    pub fn optimum(&self, relax: Relax, node_budget: u64) -> Outcome {
        self.optimum_of(Goal::Cost, relax, node_budget)
    }

    /// The best placement for `goal` meeting every guarantee (but those
    /// `relax` drops). Minimal sets suffice for `Servers` and `Balance` as
    /// for cost: a replica dropped from a feasible placement frees cpu, memory
    /// and power, so it stays feasible, on no more servers, no busier.
    pub fn optimum_of(&self, goal: Goal, relax: Relax, node_budget: u64) -> Outcome {
        let n = self.servers.len();
        let w = self.mem_weight();
        // Distinct power states, each with its base load and per-core load.
        let mut states: Vec<State> = Vec::new();
        if !relax.power {
            for failure in self.power_failures() {
                let state = self.state(&failure);
                if !states.contains(&state) {
                    states.push(state);
                }
            }
        }
        let idle: Vec<f64> = (0..n).map(|j| self.draw(j, 0)).collect();
        let mut base: Vec<Vec<f64>> = Vec::new();
        // per_core[s][j]: (component, watts on it per core used on server j),
        // the components server j loads in state s.
        let mut per_core: Vec<Vec<Vec<(usize, f64)>>> = Vec::new();
        for state in &states {
            let loads = self.loads(state, &idle);
            for (i, p) in self.power.iter().enumerate() {
                if state.powered[i] && loads[i] > p.limit() + WATT_SLACK {
                    return Outcome::Infeasible;
                }
            }
            base.push(loads);
            per_core.push(
                (0..n)
                    .map(|j| {
                        let mut draws = vec![0.0; n];
                        draws[j] = self.draw(j, 1) - self.draw(j, 0);
                        self.loads(state, &draws)
                            .into_iter()
                            .enumerate()
                            .filter(|(_, w)| *w != 0.0)
                            .collect()
                    })
                    .collect(),
            );
        }
        let mut candidates: Vec<(usize, Vec<Multiset>)> = Vec::new();
        for k in 0..self.services.len() {
            let sets = self.minimal_sets(k, relax);
            if sets.is_empty() {
                return Outcome::Infeasible;
            }
            candidates.push((k, sets));
        }
        candidates.sort_by_key(|(k, sets)| (sets.len(), *k));
        let costs: Vec<f64> = (0..self.services.len())
            .map(|k| f64::from(self.services[k].cpu) + w * f64::from(self.services[k].mem))
            .collect();
        let floor: Vec<f64> = {
            // floor[d] = cheapest possible cost of services d.. in branching order.
            let mut f = vec![0.0; candidates.len() + 1];
            for d in (0..candidates.len()).rev() {
                let (k, sets) = &candidates[d];
                let least = sets[0].iter().map(|(_, c)| c).sum::<u32>();
                f[d] = f[d + 1] + f64::from(least) * costs[*k];
            }
            f
        };
        let mut search = Search {
            model: self,
            goal,
            hosting: vec![0; n],
            relax,
            candidates: &candidates,
            costs: &costs,
            floor: &floor,
            states: &states,
            per_core: &per_core,
            loads: base,
            cpu_free: self.servers.iter().map(|s| s.cpu).collect(),
            mem_free: self.servers.iter().map(|s| s.mem).collect(),
            chosen: vec![0; candidates.len()],
            best: None,
            nodes: 0,
            budget: node_budget,
        };
        search.branch(0, 0.0);
        if search.nodes > search.budget {
            return Outcome::GaveUp;
        }
        match search.best {
            None => Outcome::Infeasible,
            Some((cost, chosen)) => {
                let mut counts = vec![vec![0; n]; self.services.len()];
                for (d, (k, sets)) in candidates.iter().enumerate() {
                    for (j, c) in &sets[chosen[d]] {
                        counts[*k][*j] = *c;
                    }
                }
                Outcome::Optimal(Solution { cost, counts })
            }
        }
    }
}

/// What an optimum minimises: plan's `--objective cost` or `servers`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Goal {
    /// Σ replicas × (cpu + w × mem).
    Cost,
    /// Servers hosting at least one replica.
    Servers,
    /// The peak utilisation ([`Model::balance`]).
    Balance,
}

/// Guarantees the optimum may ignore (to measure which ones bind).
#[derive(Debug, Clone, Copy, Default)]
pub struct Relax {
    pub power: bool,
    pub mem: bool,
}

#[derive(Debug, Clone)]
pub struct Solution {
    pub cost: f64,
    pub counts: Counts,
}

#[derive(Debug, Clone)]
pub enum Outcome {
    Optimal(Solution),
    Infeasible,
    /// The node budget ran out: the instance is too large for the oracle.
    GaveUp,
}

impl Outcome {
    pub fn solution(&self) -> Option<&Solution> {
        match self {
            Outcome::Optimal(s) => Some(s),
            _ => None,
        }
    }
}

/// Enumerates the minimal survival-feasible count vectors of one service.
struct Walk<'a> {
    /// (server, most replicas worth putting on it).
    eligible: &'a [(usize, u32)],
    /// Per scenario (normal operation first), which eligible servers are up.
    ups: &'a [Vec<bool>],
    suffix: &'a [Vec<u32>],
    max_total: u32,
    min: u32,
    c: Vec<u32>,
    /// Per scenario: replicas up so far.
    have: Vec<u32>,
    found: Vec<Vec<u32>>,
}

impl Walk<'_> {
    fn walk(&mut self, i: usize, total: u32) {
        // Prune: some scenario cannot reach min even with every later server full.
        if (0..self.ups.len()).any(|s| self.have[s] + self.suffix[s][i] < self.min) {
            return;
        }
        if i == self.eligible.len() {
            // Feasible (the prune above with nothing left); minimal when every
            // replica is needed by some scenario that has exactly min up.
            let minimal = (0..self.c.len()).all(|j| {
                self.c[j] == 0
                    || (0..self.ups.len()).any(|s| self.ups[s][j] && self.have[s] == self.min)
            });
            if minimal {
                self.found.push(self.c.clone());
            }
            return;
        }
        for n in 0..=self.eligible[i].1 {
            if total + n > self.max_total {
                break;
            }
            self.c[i] = n;
            for s in 0..self.ups.len() {
                if self.ups[s][i] {
                    self.have[s] += n;
                }
            }
            self.walk(i + 1, total + n);
            for s in 0..self.ups.len() {
                if self.ups[s][i] {
                    self.have[s] -= n;
                }
            }
        }
        self.c[i] = 0;
    }
}

type Sets = [(usize, Vec<Multiset>)];

struct Search<'a> {
    model: &'a Model,
    goal: Goal,
    /// Replicas on each server so far (for `Goal::Servers`).
    hosting: Vec<u32>,
    relax: Relax,
    candidates: &'a Sets,
    costs: &'a [f64],
    floor: &'a [f64],
    states: &'a [State],
    per_core: &'a [Vec<Vec<(usize, f64)>>],
    loads: Vec<Vec<f64>>,
    cpu_free: Vec<u32>,
    mem_free: Vec<u32>,
    chosen: Vec<usize>,
    best: Option<(f64, Vec<usize>)>,
    nodes: u64,
    budget: u64,
}

impl Search<'_> {
    fn branch(&mut self, depth: usize, cost: f64) {
        if depth == self.candidates.len() {
            if self.best.as_ref().is_none_or(|(b, _)| cost < b - 1e-9) {
                self.best = Some((cost, self.chosen.clone()));
            }
            return;
        }
        let (k, sets) = &self.candidates[depth];
        let service = &self.model.services[*k];
        for (index, set) in sets.iter().enumerate() {
            self.nodes += 1;
            if self.nodes > self.budget {
                return;
            }
            let here = match self.goal {
                Goal::Cost => {
                    let replicas: u32 = set.iter().map(|(_, c)| c).sum();
                    cost + f64::from(replicas) * self.costs[*k]
                }
                Goal::Servers => {
                    cost + set.iter().filter(|(j, _)| self.hosting[*j] == 0).count() as f64
                }
                Goal::Balance => {
                    let mut used: Vec<u32> = (0..self.cpu_free.len())
                        .map(|j| self.model.servers[j].cpu - self.cpu_free[j])
                        .collect();
                    for (j, c) in set {
                        used[*j] += c * service.cpu;
                    }
                    self.model.balance(&used)
                }
            };
            if let Some((best, _)) = &self.best {
                match self.goal {
                    // Sets are sorted by size: later ones cost at least as much.
                    Goal::Cost if here + self.floor[depth + 1] >= best - 1e-9 => return,
                    // Servers used and the peak only grow deeper down; later
                    // sets may add less.
                    Goal::Servers | Goal::Balance if here >= best - 1e-9 => continue,
                    _ => {}
                }
            }
            let fits = set.iter().all(|(j, c)| {
                self.cpu_free[*j] >= c * service.cpu
                    && (self.relax.mem || self.mem_free[*j] >= c * service.mem)
            });
            if !fits {
                continue;
            }
            for (j, c) in set {
                self.cpu_free[*j] -= c * service.cpu;
                self.hosting[*j] += c;
                if !self.relax.mem {
                    self.mem_free[*j] -= c * service.mem;
                }
            }
            // Only the components this set loads can go over their limit.
            let mut power_ok = true;
            for s in 0..self.states.len() {
                for (j, c) in set {
                    let cores = f64::from(c * service.cpu);
                    for (i, per) in &self.per_core[s][*j] {
                        self.loads[s][*i] += per * cores;
                        if self.loads[s][*i] > self.model.power[*i].limit() + WATT_SLACK {
                            power_ok = false;
                        }
                    }
                }
            }
            if power_ok {
                self.chosen[depth] = index;
                self.branch(depth + 1, here);
            }
            for s in 0..self.states.len() {
                for (j, c) in set {
                    let cores = f64::from(c * service.cpu);
                    for (i, per) in &self.per_core[s][*j] {
                        self.loads[s][*i] -= per * cores;
                    }
                }
            }
            for (j, c) in set {
                self.cpu_free[*j] += c * service.cpu;
                self.hosting[*j] -= c;
                if !self.relax.mem {
                    self.mem_free[*j] += c * service.mem;
                }
            }
            if self.nodes > self.budget {
                return;
            }
        }
    }
}
