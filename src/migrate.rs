//! Safe change: an order of replica additions and removals that takes a
//! current placement A to a target B so that no intermediate placement is less
//! safe than A or B (docs/usage.md, "Migrating safely").
//!
//! "No less safe" compares what `verify::check` reports on each state:
//! - for every service and every word it must survive (and for nothing
//!   failed), the fewest replicas up never drops below the smaller of that
//!   number in A and in B;
//! - every limit (a server's cpu, memory and `max_per_server`, a power
//!   component's load in normal operation and its worst load under failover)
//!   holds, or is exceeded by no more than A or B already exceed it.
//!
//! A wave's changes may finish in any order, so a wave is safe only when every
//! subset of its changes leaves a safe placement. Both sides are monotone:
//! adding a replica never lowers a count of replicas up and never lowers a
//! load (a server's draw grows with its cpu, and a load is a sum of draws
//! with nonnegative shares whatever has failed); removing one never raises
//! them. So the worst subset for the limits is "every add done, no remove",
//! and the worst for the replicas is "every remove done, no add": checking
//! those two placements proves every interleaving.

use std::collections::{BTreeMap, BTreeSet};

use crate::inventory::{Inventory, Placement, Replica, ServerId, ServiceId, Services};
use crate::verify::{self, CheckOptions, FindingKind, Report};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Add,
    Remove,
}

/// One replica added to or removed from one server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Step {
    pub action: Action,
    pub service: ServiceId,
    pub server: ServerId,
    /// A stepping stone of `--allow-temporary`: added and later removed again.
    pub temporary: bool,
}

/// Replicas per (service, server).
pub type Counts = BTreeMap<(ServiceId, ServerId), u32>;

pub fn counts(placement: &Placement) -> Counts {
    let mut counts = Counts::new();
    for r in &placement.replicas {
        *counts.entry((r.service, r.server)).or_default() += 1;
    }
    counts
}

pub fn placement(counts: &Counts) -> Placement {
    let replicas = counts
        .iter()
        .flat_map(|(&(service, server), &n)| {
            (0..n).map(move |_| Replica {
                service,
                server,
                line: 0,
            })
        })
        .collect();
    Placement {
        file: None,
        replicas,
    }
}

/// A limit that `check` can find exceeded.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Limit {
    Cpu { server: String },
    Mem { server: String },
    MaxPerServer { service: String, server: String },
    PowerNormal { component: String },
    PowerFailover { component: String },
    PowerUnproven { component: String },
}

/// Why a placement is less safe than both ends of the migration.
#[derive(Debug, Clone, PartialEq)]
pub enum Violation {
    /// Fewer replicas up than both A and B keep (`word` None: nothing failed).
    Fewer {
        service: String,
        word: Option<String>,
        up: u32,
        floor: u32,
    },
    /// A limit exceeded by more than A and B exceed it (`allowed` is the limit
    /// itself when neither does).
    Over {
        limit: Limit,
        value: f64,
        allowed: f64,
    },
}

/// What "less safe" compares, read off one `check` report.
struct Safety {
    /// (service, word index or None for nothing failed) → fewest replicas up.
    up: BTreeMap<(ServiceId, Option<usize>), u32>,
    /// Exceeded limits → (value, limit).
    over: BTreeMap<Limit, (f64, f64)>,
}

impl Safety {
    fn of(report: &Report, services: &Services) -> Self {
        let mut up = BTreeMap::new();
        for (id, status) in services.ids().zip(&report.services) {
            up.insert((id, None), status.up);
            for (word, worst) in status.worst_by_word.iter().enumerate() {
                if let Some(worst) = worst {
                    up.insert((id, Some(word)), *worst);
                }
            }
        }
        let mut over: BTreeMap<Limit, (f64, f64)> = BTreeMap::new();
        let mut record = |limit: Limit, value: f64, allowed: f64| {
            let entry = over.entry(limit).or_insert((value, allowed));
            entry.0 = entry.0.max(value);
        };
        for finding in &report.findings {
            match &finding.kind {
                FindingKind::CpuOverCapacity {
                    server,
                    used,
                    capacity,
                } => record(
                    Limit::Cpu {
                        server: server.clone(),
                    },
                    *used,
                    *capacity,
                ),
                FindingKind::MemOverCapacity {
                    server,
                    used_gb,
                    capacity_gb,
                } => record(
                    Limit::Mem {
                        server: server.clone(),
                    },
                    *used_gb,
                    *capacity_gb,
                ),
                FindingKind::MaxPerServer {
                    service,
                    server,
                    count,
                    max,
                } => record(
                    Limit::MaxPerServer {
                        service: service.clone(),
                        server: server.clone(),
                    },
                    f64::from(*count),
                    f64::from(*max),
                ),
                FindingKind::PowerOverload {
                    component,
                    scenario,
                    load_w,
                    limit_w,
                    ..
                } => record(
                    match scenario {
                        None => Limit::PowerNormal {
                            component: component.clone(),
                        },
                        Some(_) => Limit::PowerFailover {
                            component: component.clone(),
                        },
                    },
                    *load_w,
                    *limit_w,
                ),
                FindingKind::PowerUnproven {
                    component,
                    bound_w,
                    limit_w,
                    ..
                } => record(
                    Limit::PowerUnproven {
                        component: component.clone(),
                    },
                    *bound_w,
                    *limit_w,
                ),
                _ => {}
            }
        }
        Safety { up, over }
    }
}

/// The bar every intermediate placement must clear: the worse of A and B.
struct Bar<'a> {
    inventory: &'a Inventory,
    services: &'a Services,
    words: Vec<String>,
    floor: BTreeMap<(ServiceId, Option<usize>), u32>,
    ceiling: BTreeMap<Limit, f64>,
    /// Placements checked, for the summary.
    checks: usize,
}

const TOLERANCE: f64 = 1e-6;

impl<'a> Bar<'a> {
    fn new(inventory: &'a Inventory, services: &'a Services, a: &Counts, b: &Counts) -> Self {
        let report_a = verify::check(inventory, services, &placement(a), CheckOptions::default());
        let report_b = verify::check(inventory, services, &placement(b), CheckOptions::default());
        let (sa, sb) = (
            Safety::of(&report_a, services),
            Safety::of(&report_b, services),
        );
        let floor = sa
            .up
            .iter()
            .map(|(key, &up)| (*key, up.min(sb.up.get(key).copied().unwrap_or(up))))
            .collect();
        let mut ceiling = BTreeMap::new();
        for (limit, (value, _)) in sa.over.iter().chain(&sb.over) {
            let entry = ceiling.entry(limit.clone()).or_insert(*value);
            *entry = f64::max(*entry, *value);
        }
        Bar {
            inventory,
            services,
            words: report_a.words,
            floor,
            ceiling,
            checks: 2,
        }
    }

    /// What makes `counts` less safe than the bar, on the side asked for.
    fn violations(&mut self, counts: &Counts, replicas: bool, limits: bool) -> Vec<Violation> {
        self.checks += 1;
        let report = verify::check(
            self.inventory,
            self.services,
            &placement(counts),
            CheckOptions::default(),
        );
        let safety = Safety::of(&report, self.services);
        let mut found = Vec::new();
        if replicas {
            for (key, &up) in &safety.up {
                let floor = self.floor.get(key).copied().unwrap_or(0);
                if up < floor {
                    found.push(Violation::Fewer {
                        service: self.services.service(key.0).name.clone(),
                        word: key.1.map(|w| self.words[w].clone()),
                        up,
                        floor,
                    });
                }
            }
        }
        if limits {
            for (limit, &(value, limit_value)) in &safety.over {
                let allowed = self.ceiling.get(limit).copied().unwrap_or(limit_value);
                if value > allowed + TOLERANCE * allowed.abs().max(1.0) {
                    found.push(Violation::Over {
                        limit: limit.clone(),
                        value,
                        allowed,
                    });
                }
            }
        }
        found
    }

    /// Why running `wave` from `state` is unsafe (empty when it is safe): its
    /// adds all done and no remove (limits), its removes all done and no add
    /// (replicas up). See the module comment for why these two suffice.
    fn judge(&mut self, state: &Counts, wave: &[Step]) -> Vec<Violation> {
        let mut found = Vec::new();
        if wave.iter().any(|s| s.action == Action::Add) {
            let mut high = state.clone();
            for s in wave.iter().filter(|s| s.action == Action::Add) {
                apply(&mut high, s);
            }
            found.extend(self.violations(&high, false, true));
        }
        if wave.iter().any(|s| s.action == Action::Remove) {
            let mut low = state.clone();
            for s in wave.iter().filter(|s| s.action == Action::Remove) {
                apply(&mut low, s);
            }
            found.extend(self.violations(&low, true, false));
        }
        found
    }
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

/// The replicas to add and remove, one step each: adds first (make before
/// break), then by service and server.
pub fn steps(a: &Counts, b: &Counts) -> Vec<Step> {
    let keys: BTreeSet<(ServiceId, ServerId)> = a.keys().chain(b.keys()).copied().collect();
    let mut steps = Vec::new();
    for (service, server) in keys {
        let (from, to) = (
            a.get(&(service, server)).copied().unwrap_or(0),
            b.get(&(service, server)).copied().unwrap_or(0),
        );
        let action = if to > from {
            Action::Add
        } else {
            Action::Remove
        };
        for _ in 0..from.abs_diff(to) {
            steps.push(Step {
                action,
                service,
                server,
                temporary: false,
            });
        }
    }
    steps.sort();
    steps
}

#[derive(Debug, Clone, Copy)]
pub struct MigrateOptions {
    /// At most this many changes per wave.
    pub max_parallel: usize,
    /// May add replicas on servers B does not use, removed again later.
    pub allow_temporary: bool,
    /// When the ordering search is stuck, every order is tried when there are
    /// at most this many changes (2^n placements at most): the only way
    /// "no safe order exists" is proven.
    pub exhaustive_limit: usize,
}

impl Default for MigrateOptions {
    fn default() -> Self {
        MigrateOptions {
            max_parallel: 1,
            allow_temporary: false,
            exhaustive_limit: 16,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Migration {
    pub waves: Vec<Vec<Step>>,
    /// Placements `check` judged (both ends included).
    pub checks: usize,
}

#[derive(Debug, Clone)]
pub struct BlockedStep {
    pub step: Step,
    pub why: Vec<Violation>,
}

#[derive(Debug, Clone)]
pub struct Blocked {
    /// Waves that are safe to run before the order gets stuck.
    pub waves: Vec<Vec<Step>>,
    /// Every change left, with what makes it unsafe from there.
    pub blocked: Vec<BlockedStep>,
    /// Every order of the changes was tried: no safe order exists (without
    /// temporary replicas). False: the search gave up at its limit.
    pub proven: bool,
    pub checks: usize,
}

/// Orders the changes from `a` to `b`, or says what blocks them.
pub fn migrate(
    inventory: &Inventory,
    services: &Services,
    a: &Placement,
    b: &Placement,
    options: &MigrateOptions,
) -> Result<Migration, Blocked> {
    let (a, b) = (counts(a), counts(b));
    let mut bar = Bar::new(inventory, services, &a, &b);
    let all = steps(&a, &b);
    let max_parallel = options.max_parallel.max(1);
    let mut state = a.clone();
    let mut pending = all.clone();
    let mut waves: Vec<Vec<Step>> = Vec::new();
    let mut stones: BTreeSet<(ServiceId, ServerId)> = BTreeSet::new();
    while !pending.is_empty() {
        let wave = next_wave(&mut bar, &state, &mut pending, max_parallel);
        if !wave.is_empty() {
            for s in &wave {
                apply(&mut state, s);
            }
            waves.push(wave);
            continue;
        }
        // Greedy choices may have led here although another order exists:
        // only an exhaustive search from A may say none does.
        let exhaustive_run =
            !waves.iter().flatten().any(|s| s.temporary) && all.len() <= options.exhaustive_limit;
        if exhaustive_run {
            if let Some(order) = exhaustive(&mut bar, &a, &all) {
                let waves = pack(&mut bar, &a, &order, max_parallel);
                return Ok(Migration {
                    waves,
                    checks: bar.checks,
                });
            }
        }
        if options.allow_temporary {
            if let Some(stone) = stepping_stone(&mut bar, &state, &pending, &mut stones) {
                apply(&mut state, &stone);
                waves.push(vec![stone]);
                pending.push(Step {
                    action: Action::Remove,
                    ..stone
                });
                pending.sort();
                continue;
            }
        }
        return Err(blocked(&mut bar, &state, waves, &pending, exhaustive_run));
    }
    Ok(Migration {
        waves,
        checks: bar.checks,
    })
}

/// The next wave: pending changes taken in order while the wave stays safe.
fn next_wave(
    bar: &mut Bar,
    state: &Counts,
    pending: &mut Vec<Step>,
    max_parallel: usize,
) -> Vec<Step> {
    let mut wave: Vec<Step> = Vec::new();
    let mut i = 0;
    while i < pending.len() && wave.len() < max_parallel {
        wave.push(pending[i]);
        if bar.judge(state, &wave).is_empty() {
            pending.remove(i);
        } else {
            wave.pop();
            i += 1;
        }
    }
    wave
}

/// A temporary replica of a service whose removal is blocked, on a server B
/// does not give it, chosen to raise the replicas up: the server with the
/// most free cores first, then by id.
fn stepping_stone(
    bar: &mut Bar,
    state: &Counts,
    pending: &[Step],
    tried: &mut BTreeSet<(ServiceId, ServerId)>,
) -> Option<Step> {
    let inventory = bar.inventory;
    let mut used = vec![0.0; inventory.servers.len()];
    for (&(service, server), &n) in state {
        used[server.index()] += bar.services.service(service).cpu * f64::from(n);
    }
    let mut servers: Vec<ServerId> = inventory.server_ids().collect();
    servers.sort_by(|x, y| {
        let free = |s: &ServerId| inventory.server(*s).cpu - used[s.index()];
        free(y).total_cmp(&free(x)).then(x.cmp(y))
    });
    let blocked: BTreeSet<ServiceId> = pending
        .iter()
        .filter(|s| s.action == Action::Remove)
        .map(|s| s.service)
        .collect();
    for service in blocked {
        let requires = &bar.services.service(service).requires;
        for &server in &servers {
            let touched = pending
                .iter()
                .any(|s| s.service == service && s.server == server);
            if touched
                || !inventory.server(server).has_labels(requires)
                || !tried.insert((service, server))
            {
                continue;
            }
            let stone = Step {
                action: Action::Add,
                service,
                server,
                temporary: true,
            };
            if bar.judge(state, &[stone]).is_empty() {
                return Some(stone);
            }
        }
    }
    None
}

/// Every order of `steps` from `a`, one change at a time: depth first over the
/// sets of changes done, each set visited once (a set fixes the placement, so
/// a set found unsafe or a dead end is one whatever order reached it). Some
/// order when one is safe; None is a proof that none is.
fn exhaustive(bar: &mut Bar, a: &Counts, steps: &[Step]) -> Option<Vec<Step>> {
    fn visit(
        bar: &mut Bar,
        state: &Counts,
        steps: &[Step],
        done: u64,
        dead: &mut BTreeSet<u64>,
        order: &mut Vec<Step>,
    ) -> bool {
        if done.count_ones() as usize == steps.len() {
            return true;
        }
        for (i, step) in steps.iter().enumerate() {
            let next = done | (1 << i);
            // Identical changes are interchangeable: take the first not done.
            let twin_first = steps[..i]
                .iter()
                .enumerate()
                .any(|(j, s)| s == step && done & (1 << j) == 0);
            if done & (1 << i) != 0 || twin_first || dead.contains(&next) {
                continue;
            }
            if !bar.judge(state, &[*step]).is_empty() {
                continue;
            }
            let mut after = state.clone();
            apply(&mut after, step);
            order.push(*step);
            if visit(bar, &after, steps, next, dead, order) {
                return true;
            }
            order.pop();
            dead.insert(next);
        }
        false
    }
    assert!(steps.len() < 64, "exhaustive_limit above 63");
    let mut order = Vec::new();
    let mut dead = BTreeSet::new();
    visit(bar, a, steps, 0, &mut dead, &mut order).then_some(order)
}

/// Consecutive changes of a safe order merged into waves while each stays safe.
fn pack(bar: &mut Bar, a: &Counts, order: &[Step], max_parallel: usize) -> Vec<Vec<Step>> {
    let mut state = a.clone();
    let mut waves: Vec<Vec<Step>> = Vec::new();
    let mut wave: Vec<Step> = Vec::new();
    for step in order {
        wave.push(*step);
        if wave.len() > max_parallel || !bar.judge(&state, &wave).is_empty() {
            wave.pop();
            for s in &wave {
                apply(&mut state, s);
            }
            waves.push(std::mem::replace(&mut wave, vec![*step]));
        }
    }
    if !wave.is_empty() {
        waves.push(wave);
    }
    waves
}

fn blocked(
    bar: &mut Bar,
    state: &Counts,
    waves: Vec<Vec<Step>>,
    pending: &[Step],
    proven: bool,
) -> Blocked {
    let blocked = pending
        .iter()
        .map(|step| BlockedStep {
            step: *step,
            why: bar.judge(state, &[*step]),
        })
        .collect();
    Blocked {
        waves,
        blocked,
        proven,
        checks: bar.checks,
    }
}
