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

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use crate::changes::{apply, counts, placement, steps, Action, Counts, Step};
use crate::inventory::{Component, Inventory, Placement, PowerId, ServerId, ServiceId, Services};
use crate::topology::reach;
use crate::verify::{self, CheckOptions, FindingKind, Ledger, Report};

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
                if let Some((worst, _)) = worst {
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
struct Rule<'a> {
    inventory: &'a Inventory,
    services: &'a Services,
    words: Vec<String>,
    floor: BTreeMap<(ServiceId, Option<usize>), u32>,
    ceiling: BTreeMap<Limit, f64>,
    /// Per server, every power component its draw can reach.
    reach: Vec<Vec<PowerId>>,
}

const TOLERANCE: f64 = 1e-6;

impl Rule<'_> {
    /// Whether `up` replicas up for `key` fall below the floor.
    fn short(&self, key: (ServiceId, Option<usize>), up: u32) -> Option<Violation> {
        let floor = self.floor.get(&key).copied().unwrap_or(0);
        (up < floor).then(|| Violation::Fewer {
            service: self.services.service(key.0).name.clone(),
            word: key.1.map(|w| self.words[w].clone()),
            up,
            floor,
        })
    }

    /// Whether `value`, which `check` reports as over `limit_value`, is
    /// over the ceiling too.
    fn exceeds(&self, limit: Limit, value: f64, limit_value: f64) -> Option<Violation> {
        let allowed = self.ceiling.get(&limit).copied().unwrap_or(limit_value);
        (value > allowed + TOLERANCE * allowed.abs().max(1.0)).then_some(Violation::Over {
            limit,
            value,
            allowed,
        })
    }

    /// What makes a placement with `safety` less safe than the bar, on the
    /// side asked for.
    fn compare(&self, safety: &Safety, replicas: bool) -> Vec<Violation> {
        if replicas {
            let found = safety.up.iter().map(|(key, &up)| self.short(*key, up));
            found.flatten().collect()
        } else {
            let found = safety.over.iter().map(|(limit, &(value, limit_value))| {
                self.exceeds(limit.clone(), value, limit_value)
            });
            found.flatten().collect()
        }
    }
}

/// The placement the ordering has reached, and how placements near it are
/// judged against the [`Rule`].
struct Bar<'a> {
    rule: Rule<'a>,
    here: Counts,
    judge: Judge<'a>,
    /// Placements judged, for the summary.
    checks: usize,
}

enum Judge<'a> {
    /// The exact numbers of `check`, kept up to date change by change, with
    /// what makes `here` less safe than the bar: a change can only alter the
    /// entries of its service, its server and the components its server's
    /// draw reaches, so only those are compared again.
    Ledger {
        ledger: Box<Ledger<'a>>,
        fewer: BTreeMap<(ServiceId, Option<usize>), Violation>,
        over: BTreeMap<Limit, Violation>,
    },
    /// A whole `check` per placement judged: the ledger cannot follow a
    /// searched `power:P%` family.
    Check,
}

/// Work the exhaustive search may do, in units of one entry of a placement
/// judged: a whole `check` costs the fleet's servers plus replicas, a
/// ledger's judgement [`LEDGER_JUDGEMENT`].
const EXHAUSTIVE_BUDGET: usize = 4_000_000;
/// Work of one ledger judgement, in [`EXHAUSTIVE_BUDGET`]'s units: a few
/// components' deviations over the failovers, like a check of a small fleet.
const LEDGER_JUDGEMENT: usize = 20;

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
        let rule = Rule {
            inventory,
            services,
            words: report_a.words,
            floor,
            ceiling,
            reach: inventory
                .server_ids()
                .map(|v| reach(inventory, &inventory.server(v).psu))
                .collect(),
        };
        let judge = match Ledger::new(inventory, services) {
            Some(mut ledger) => {
                for (&(s, v), &n) in a {
                    for _ in 0..n {
                        ledger.add(s, v);
                    }
                }
                let mut judge = Judge::Ledger {
                    ledger: Box::new(ledger),
                    fewer: BTreeMap::new(),
                    over: BTreeMap::new(),
                };
                judge.compare_all(&rule, a);
                judge
            }
            None => Judge::Check,
        };
        Bar {
            rule,
            here: a.clone(),
            judge,
            checks: 2,
        }
    }

    /// The ordering moves on by `step`.
    fn step(&mut self, step: &Step) {
        apply(&mut self.here, step);
        self.judge.step(&self.rule, step);
    }

    /// Takes `step` back.
    fn unstep(&mut self, step: &Step) {
        let back = Step {
            action: match step.action {
                Action::Add => Action::Remove,
                Action::Remove => Action::Add,
            },
            ..*step
        };
        self.step(&back);
    }

    /// Why running `wave` from here is unsafe (empty when it is safe): its
    /// adds all done and no remove (limits), its removes all done and no add
    /// (replicas up). See the module comment for why these two suffice.
    fn judge(&mut self, wave: &[Step]) -> Vec<Violation> {
        let adds: Vec<Step> = wave
            .iter()
            .filter(|s| s.action == Action::Add)
            .copied()
            .collect();
        let removes: Vec<Step> = wave
            .iter()
            .filter(|s| s.action == Action::Remove)
            .copied()
            .collect();
        let mut found = Vec::new();
        for (side, replicas) in [(adds, false), (removes, true)] {
            if side.is_empty() {
                continue;
            }
            self.checks += 1;
            for s in &side {
                self.step(s);
            }
            found.extend(self.violations(replicas));
            for s in side.iter().rev() {
                self.unstep(s);
            }
        }
        found
    }

    /// What makes the placement here less safe than the bar, on one side.
    fn violations(&self, replicas: bool) -> Vec<Violation> {
        match &self.judge {
            Judge::Ledger { fewer, over, .. } if replicas => fewer.values().cloned().collect(),
            Judge::Ledger { over, .. } => over.values().cloned().collect(),
            Judge::Check => {
                let rule = &self.rule;
                let report = verify::check(
                    rule.inventory,
                    rule.services,
                    &placement(&self.here),
                    CheckOptions::default(),
                );
                rule.compare(&Safety::of(&report, rule.services), replicas)
            }
        }
    }

    /// Cores used on each server here.
    fn cpu_used(&self) -> Vec<f64> {
        match &self.judge {
            Judge::Ledger { ledger, .. } => self
                .rule
                .inventory
                .server_ids()
                .map(|v| ledger.cpu_used(v))
                .collect(),
            Judge::Check => {
                let mut used = vec![0.0; self.rule.inventory.servers.len()];
                for (&(s, v), &n) in &self.here {
                    used[v.index()] += self.rule.services.service(s).cpu * f64::from(n);
                }
                used
            }
        }
    }

    /// Work of one judgement, in [`EXHAUSTIVE_BUDGET`]'s units.
    fn judgement_cost(&self) -> usize {
        match &self.judge {
            Judge::Ledger { .. } => LEDGER_JUDGEMENT,
            Judge::Check => {
                let replicas: u32 = self.here.values().sum();
                self.rule.inventory.servers.len() + replicas as usize
            }
        }
    }
}

impl Judge<'_> {
    fn step(&mut self, rule: &Rule, step: &Step) {
        let Judge::Ledger { ledger, .. } = self else {
            return;
        };
        match step.action {
            Action::Add => ledger.add(step.service, step.server),
            Action::Remove => ledger.remove(step.service, step.server),
        }
        self.compare_service(rule, step.service);
        self.compare_server(rule, step.server);
        self.compare_pair(rule, step.service, step.server);
        for p in &rule.reach[step.server.index()] {
            self.compare_power(rule, *p);
        }
    }

    /// Every entry compared, for the ledger's first placement.
    fn compare_all(&mut self, rule: &Rule, counts: &Counts) {
        for s in rule.services.ids() {
            self.compare_service(rule, s);
        }
        for v in rule.inventory.server_ids() {
            self.compare_server(rule, v);
        }
        for &(s, v) in counts.keys() {
            self.compare_pair(rule, s, v);
        }
        for p in rule.inventory.power_ids() {
            self.compare_power(rule, p);
        }
    }

    fn compare_service(&mut self, rule: &Rule, s: ServiceId) {
        let Judge::Ledger { ledger, fewer, .. } = self else {
            return;
        };
        let words =
            (0..rule.words.len()).filter_map(|w| ledger.worst_up(s, w).map(|up| (Some(w), up)));
        for (word, up) in std::iter::once((None, ledger.up(s))).chain(words) {
            record(fewer, (s, word), rule.short((s, word), up));
        }
    }

    fn compare_server(&mut self, rule: &Rule, v: ServerId) {
        let Judge::Ledger { ledger, over, .. } = self else {
            return;
        };
        let server = rule.inventory.server(v);
        let (cpu_over, mem_over) = ledger.over_capacity(v);
        let cpu = Limit::Cpu {
            server: server.id.clone(),
        };
        let found = cpu_over
            .then(|| rule.exceeds(cpu.clone(), ledger.cpu_used(v), server.cpu))
            .flatten();
        record(over, cpu, found);
        let mem = Limit::Mem {
            server: server.id.clone(),
        };
        let found = mem_over
            .then(|| rule.exceeds(mem.clone(), ledger.mem_used(v), server.mem_gb))
            .flatten();
        record(over, mem, found);
    }

    fn compare_pair(&mut self, rule: &Rule, s: ServiceId, v: ServerId) {
        let Judge::Ledger { ledger, over, .. } = self else {
            return;
        };
        let service = rule.services.service(s);
        let count = ledger.replicas(s, v);
        let limit = Limit::MaxPerServer {
            service: service.name.clone(),
            server: rule.inventory.server(v).id.clone(),
        };
        let found = (count > service.max_per_server)
            .then(|| {
                rule.exceeds(
                    limit.clone(),
                    f64::from(count),
                    f64::from(service.max_per_server),
                )
            })
            .flatten();
        record(over, limit, found);
    }

    fn compare_power(&mut self, rule: &Rule, p: PowerId) {
        let Judge::Ledger { ledger, over, .. } = self else {
            return;
        };
        let component = rule.inventory.power(p);
        let (normal, failover) = ledger.overloads(p);
        for (value, limit) in [
            (
                normal,
                Limit::PowerNormal {
                    component: component.id.clone(),
                },
            ),
            (
                failover,
                Limit::PowerFailover {
                    component: component.id.clone(),
                },
            ),
        ] {
            let found = value.and_then(|w| rule.exceeds(limit.clone(), w, component.limit_w()));
            record(over, limit, found);
        }
    }
}

fn record<K: Ord>(map: &mut BTreeMap<K, Violation>, key: K, found: Option<Violation>) {
    match found {
        Some(v) => {
            map.insert(key, v);
        }
        None => {
            map.remove(&key);
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct MigrateOptions {
    /// At most this many changes per wave.
    pub max_parallel: usize,
    /// May add replicas on servers B does not use, removed again later.
    pub allow_temporary: bool,
    /// When the ordering search is stuck, every order is tried when there are
    /// at most this many changes (2^n placements at most, and within
    /// [`EXHAUSTIVE_BUDGET`]): the only way "no safe order exists" is proven.
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
    /// Placements judged by `check`'s numbers (both ends included).
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
    let mut pending: VecDeque<(Step, Option<Blockers>)> = all.iter().map(|s| (*s, None)).collect();
    let mut clock = Clock::new(&bar.rule);
    let mut waves: Vec<Vec<Step>> = Vec::new();
    let mut stones: BTreeSet<(ServiceId, ServerId)> = BTreeSet::new();
    while !pending.is_empty() {
        let wave = next_wave(&mut bar, &clock, &mut pending, max_parallel);
        if !wave.is_empty() {
            for s in &wave {
                bar.step(s);
            }
            clock.tick(&bar.rule, &wave);
            waves.push(wave);
            continue;
        }
        // Greedy choices may have led here although another order exists:
        // only an exhaustive search from A may say none does.
        let mut proven = false;
        if !waves.iter().flatten().any(|s| s.temporary) && all.len() <= options.exhaustive_limit {
            for s in waves.iter().flatten().rev() {
                bar.unstep(s);
            }
            match exhaustive(&mut bar, &all) {
                Every::Order(order) => {
                    let waves = pack(&mut bar, &order, max_parallel);
                    return Ok(Migration {
                        waves,
                        checks: bar.checks,
                    });
                }
                Every::None => proven = true,
                Every::GaveUp => {}
            }
            for s in waves.iter().flatten() {
                bar.step(s);
            }
        }
        if options.allow_temporary {
            let left: Vec<Step> = pending.iter().map(|(s, _)| *s).collect();
            if let Some(stone) = stepping_stone(&mut bar, &left, &mut stones) {
                bar.step(&stone);
                clock.tick(&bar.rule, &[stone]);
                waves.push(vec![stone]);
                pending.push_back((
                    Step {
                        action: Action::Remove,
                        ..stone
                    },
                    None,
                ));
                continue;
            }
        }
        let left: Vec<Step> = pending.iter().map(|(s, _)| *s).collect();
        return Err(blocked(&mut bar, waves, &left, proven));
    }
    Ok(Migration {
        waves,
        checks: bar.checks,
    })
}

/// What must happen before a change found unsafe on its own can be safe:
/// one of its violated limits relieved (a removal on one of `servers`, or on
/// a server whose draw reaches one of `components`) or, for replicas up, an
/// addition of one of `services`. Adds only raise loads and removals only
/// lower replicas up, so nothing else can make it safe; until one of these
/// happens, judging it again would be wasted.
struct Blockers {
    servers: Vec<ServerId>,
    components: Vec<PowerId>,
    services: Vec<ServiceId>,
    /// The wave count when it was found unsafe.
    at: u64,
}

impl Blockers {
    fn of(rule: &Rule, violations: &[Violation], at: u64) -> Self {
        let mut blockers = Blockers {
            servers: Vec::new(),
            components: Vec::new(),
            services: Vec::new(),
            at,
        };
        for violation in violations {
            match violation {
                Violation::Fewer { service, .. } => {
                    blockers.services.extend(rule.services.lookup(service));
                }
                Violation::Over { limit, .. } => {
                    let id = match limit {
                        Limit::Cpu { server }
                        | Limit::Mem { server }
                        | Limit::MaxPerServer { server, .. } => server,
                        Limit::PowerNormal { component }
                        | Limit::PowerFailover { component }
                        | Limit::PowerUnproven { component } => component,
                    };
                    match rule.inventory.lookup(id) {
                        Some(Component::Server(s)) => blockers.servers.push(s),
                        Some(Component::Power(p)) => blockers.components.push(p),
                        _ => {}
                    }
                }
            }
        }
        blockers
    }
}

/// When changes happened, as wave counts, for [`Blockers`].
struct Clock {
    now: u64,
    removed_on: Vec<u64>,
    removed_under: Vec<u64>,
    added_of: Vec<u64>,
}

impl Clock {
    fn new(rule: &Rule) -> Self {
        Clock {
            now: 0,
            removed_on: vec![0; rule.inventory.servers.len()],
            removed_under: vec![0; rule.inventory.power.len()],
            added_of: vec![0; rule.services.services.len()],
        }
    }

    fn tick(&mut self, rule: &Rule, wave: &[Step]) {
        self.now += 1;
        for step in wave {
            match step.action {
                Action::Add => self.added_of[step.service.index()] = self.now,
                Action::Remove => {
                    self.removed_on[step.server.index()] = self.now;
                    for p in &rule.reach[step.server.index()] {
                        self.removed_under[p.index()] = self.now;
                    }
                }
            }
        }
    }

    fn may_unblock(&self, b: &Blockers) -> bool {
        b.servers.iter().any(|s| self.removed_on[s.index()] > b.at)
            || b.components
                .iter()
                .any(|p| self.removed_under[p.index()] > b.at)
            || b.services.iter().any(|s| self.added_of[s.index()] > b.at)
            || (b.servers.is_empty() && b.components.is_empty() && b.services.is_empty())
    }
}

/// The next wave: pending changes taken in turn while the wave stays safe.
/// A change that does not fit goes to the back, so each is tried once per
/// pass over the pending ones, and one found unsafe on its own is not judged
/// again until something that may unblock it has happened (see [`Blockers`]);
/// an empty wave means none fits.
fn next_wave(
    bar: &mut Bar,
    clock: &Clock,
    pending: &mut VecDeque<(Step, Option<Blockers>)>,
    max_parallel: usize,
) -> Vec<Step> {
    let mut wave: Vec<Step> = Vec::new();
    for _ in 0..pending.len() {
        if wave.len() == max_parallel {
            break;
        }
        let Some((step, waiting)) = pending.pop_front() else {
            break;
        };
        if waiting.as_ref().is_some_and(|b| !clock.may_unblock(b)) {
            pending.push_back((step, waiting));
            continue;
        }
        wave.push(step);
        let found = bar.judge(&wave);
        if !found.is_empty() {
            wave.pop();
            // Alone, it is blocked until a blocker changes; in a wave, the
            // other changes may be what made it unsafe.
            let waiting = if wave.is_empty() {
                Some(Blockers::of(&bar.rule, &found, clock.now))
            } else {
                waiting
            };
            pending.push_back((step, waiting));
        }
    }
    wave
}

/// A temporary replica that unblocks a pending removal: a replica of the
/// same service, on a server the target does not touch for it, whose
/// addition is safe and after which the removal is. Servers with the most
/// free cores first, then by id, at most [`STONE_TRIES`] per removal.
fn stepping_stone(
    bar: &mut Bar,
    pending: &[Step],
    tried: &mut BTreeSet<(ServiceId, ServerId)>,
) -> Option<Step> {
    let inventory = bar.rule.inventory;
    let used = bar.cpu_used();
    let mut servers: Vec<ServerId> = inventory.server_ids().collect();
    servers.sort_by(|x, y| {
        let free = |s: &ServerId| inventory.server(*s).cpu - used[s.index()];
        free(y).total_cmp(&free(x)).then(x.cmp(y))
    });
    let removals: Vec<Step> = pending
        .iter()
        .filter(|s| s.action == Action::Remove)
        .copied()
        .collect();
    for removal in removals {
        let service = removal.service;
        let requires = &bar.rule.services.service(service).requires;
        let mut tries = 0;
        for &server in &servers {
            if tries == STONE_TRIES {
                break;
            }
            let touched = pending
                .iter()
                .any(|s| s.service == service && s.server == server);
            if touched
                || !inventory.server(server).has_labels(requires)
                || !tried.insert((service, server))
            {
                continue;
            }
            tries += 1;
            let stone = Step {
                action: Action::Add,
                service,
                server,
                temporary: true,
            };
            if !bar.judge(&[stone]).is_empty() {
                continue;
            }
            bar.step(&stone);
            let unblocks = bar.judge(&[removal]).is_empty();
            bar.unstep(&stone);
            if unblocks {
                return Some(stone);
            }
        }
    }
    None
}

/// Servers tried as a stepping stone for one blocked removal.
const STONE_TRIES: usize = 32;

/// What the exhaustive search concluded.
enum Every {
    /// A safe order, one change at a time.
    Order(Vec<Step>),
    /// No order is safe: every set of changes done was visited.
    None,
    /// The search stopped at its budget: no conclusion.
    GaveUp,
}

/// Every order of `steps` from here, one change at a time: depth first over
/// the sets of changes done, each set visited once (a set fixes the
/// placement, so a set found unsafe or a dead end is one whatever order
/// reached it). Its `None` is a proof that no order is safe. The bar ends
/// where it started.
fn exhaustive(bar: &mut Bar, steps: &[Step]) -> Every {
    struct Search<'s> {
        steps: &'s [Step],
        dead: BTreeSet<u64>,
        order: Vec<Step>,
        judged_left: usize,
    }
    /// Some(found) when decided, None when the budget ran out.
    fn visit(bar: &mut Bar, search: &mut Search, done: u64) -> Option<bool> {
        let steps = search.steps;
        if done.count_ones() as usize == steps.len() {
            return Some(true);
        }
        for (i, step) in steps.iter().enumerate() {
            let next = done | (1 << i);
            // Identical changes are interchangeable: take the first not done.
            let twin_first = steps[..i]
                .iter()
                .enumerate()
                .any(|(j, s)| s == step && done & (1 << j) == 0);
            if done & (1 << i) != 0 || twin_first || search.dead.contains(&next) {
                continue;
            }
            if search.judged_left == 0 {
                return None;
            }
            search.judged_left -= 1;
            if !bar.judge(&[*step]).is_empty() {
                continue;
            }
            bar.step(step);
            search.order.push(*step);
            let found = visit(bar, search, next);
            bar.unstep(step);
            match found {
                Some(false) => {
                    search.order.pop();
                    search.dead.insert(next);
                }
                decided => return decided,
            }
        }
        Some(false)
    }
    assert!(steps.len() < 64, "exhaustive_limit above 63");
    let mut search = Search {
        steps,
        dead: BTreeSet::new(),
        order: Vec::new(),
        judged_left: EXHAUSTIVE_BUDGET / bar.judgement_cost().max(1),
    };
    match visit(bar, &mut search, 0) {
        Some(true) => Every::Order(search.order),
        Some(false) => Every::None,
        None => Every::GaveUp,
    }
}

/// Consecutive changes of a safe order from here merged into waves while
/// each stays safe.
fn pack(bar: &mut Bar, order: &[Step], max_parallel: usize) -> Vec<Vec<Step>> {
    let mut waves: Vec<Vec<Step>> = Vec::new();
    let mut wave: Vec<Step> = Vec::new();
    for step in order {
        wave.push(*step);
        if wave.len() > max_parallel || !bar.judge(&wave).is_empty() {
            wave.pop();
            for s in &wave {
                bar.step(s);
            }
            waves.push(std::mem::replace(&mut wave, vec![*step]));
        }
    }
    if !wave.is_empty() {
        waves.push(wave);
    }
    waves
}

fn blocked(bar: &mut Bar, waves: Vec<Vec<Step>>, pending: &[Step], proven: bool) -> Blocked {
    let blocked = pending
        .iter()
        .map(|step| BlockedStep {
            step: *step,
            why: bar.judge(&[*step]),
        })
        .collect();
    Blocked {
        waves,
        blocked,
        proven,
        checks: bar.checks,
    }
}
