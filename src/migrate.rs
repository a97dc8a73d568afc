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

use crate::inventory::{
    Component, Inventory, Placement, PowerId, Replica, ServerId, ServiceId, Services,
};
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
struct Bar<'a> {
    inventory: &'a Inventory,
    services: &'a Services,
    words: Vec<String>,
    floor: BTreeMap<(ServiceId, Option<usize>), u32>,
    ceiling: BTreeMap<Limit, f64>,
    /// Per server, every power component its draw can reach (its PSUs'
    /// components and all their ancestors).
    reach: Vec<Vec<PowerId>>,
    /// Sound bounds on the placement the ordering has reached.
    bounds: Bounds,
    /// Placements checked, for the summary.
    checks: usize,
}

/// Bounds on one placement that let most changes be judged without a whole
/// `check`: replicas up per (service, word) from below, each power
/// component's highest load (nothing failed and every listed scenario) from
/// above, cores and memory per server exactly.
#[derive(Clone)]
struct Bounds {
    up: BTreeMap<(ServiceId, Option<usize>), u32>,
    peak_w: Vec<f64>,
    cpu: Vec<f64>,
    mem: Vec<f64>,
    /// No `power:P%` family is searched rather than listed, so `peak_w`
    /// covers every scenario.
    loads_listed: bool,
}

impl Bounds {
    fn exact(
        inventory: &Inventory,
        services: &Services,
        counts: &Counts,
        report: &Report,
        safety: &Safety,
    ) -> Self {
        let servers = inventory.servers.len();
        let mut cpu = vec![0.0; servers];
        let mut mem = vec![0.0; servers];
        for (&(s, v), &n) in counts {
            cpu[v.index()] += services.service(s).cpu * f64::from(n);
            mem[v.index()] += services.service(s).mem_gb * f64::from(n);
        }
        Bounds {
            up: safety.up.clone(),
            peak_w: report.peak_load_w.clone(),
            cpu,
            mem,
            loads_listed: report.searched_families == 0,
        }
    }
}

const TOLERANCE: f64 = 1e-6;

impl<'a> Bar<'a> {
    fn new(inventory: &'a Inventory, services: &'a Services, a: &Counts, b: &Counts) -> Self {
        let mut reach = Vec::new();
        for v in inventory.server_ids() {
            let mut found: Vec<PowerId> = inventory.server(v).psu.clone();
            let mut i = 0;
            while i < found.len() {
                found.extend(inventory.power(found[i]).feeds_from.iter().copied());
                i += 1;
            }
            found.sort_unstable();
            found.dedup();
            reach.push(found);
        }
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
        let bounds = Bounds::exact(inventory, services, a, &report_a, &sa);
        Bar {
            inventory,
            services,
            words: report_a.words,
            floor,
            ceiling,
            reach,
            bounds,
            checks: 2,
        }
    }

    fn evaluate(&mut self, counts: &Counts) -> (Report, Safety) {
        self.checks += 1;
        let report = verify::check(
            self.inventory,
            self.services,
            &placement(counts),
            CheckOptions::default(),
        );
        let safety = Safety::of(&report, self.services);
        (report, safety)
    }

    /// What makes a placement with `safety` less safe than the bar, on the
    /// side asked for.
    fn compare(&self, safety: &Safety, replicas: bool, limits: bool) -> Vec<Violation> {
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

    /// [`Bar::judge`] from the placement the ordering has reached (`state`,
    /// described by `self.bounds`): a wave the bounds prove safe needs no
    /// `check`. Also returns the bounds of the placement after the wave when
    /// a `check` of exactly that placement was made.
    fn judge_next(&mut self, state: &Counts, wave: &[Step]) -> (Vec<Violation>, Option<Bounds>) {
        if self.proven_safe(state, wave) {
            return (Vec::new(), None);
        }
        self.judge_with_after(state, wave)
    }

    /// Whether the bounds alone prove `wave` safe from `state`: every remove
    /// leaves each count of replicas up at or above the floor even if each
    /// removed replica was up in every scenario (one replica less lowers a
    /// count by at most one); every add keeps cores, memory and replicas per
    /// server within what is allowed (exact), and each power component it can
    /// reach within its limit even if the whole extra draw reached it in the
    /// scenario of its highest load (a server's draw reaches a component with
    /// shares adding up to at most 1, and a load is a sum of such draws).
    fn proven_safe(&self, state: &Counts, wave: &[Step]) -> bool {
        let inventory = self.inventory;
        let mut removed: BTreeMap<ServiceId, u32> = BTreeMap::new();
        let mut added: BTreeMap<(ServiceId, ServerId), u32> = BTreeMap::new();
        for step in wave {
            match step.action {
                Action::Remove => *removed.entry(step.service).or_default() += 1,
                Action::Add => *added.entry((step.service, step.server)).or_default() += 1,
            }
        }
        for (&service, &r) in &removed {
            let keys = self
                .floor
                .range((service, None)..=(service, Some(usize::MAX)));
            for (key, &floor) in keys {
                let up = self.bounds.up.get(key).copied().unwrap_or(0);
                if up.saturating_sub(r) < floor {
                    return false;
                }
            }
        }
        if added.is_empty() {
            return true;
        }
        if !self.bounds.loads_listed {
            return false;
        }
        let mut cpu: BTreeMap<ServerId, f64> = BTreeMap::new();
        let mut mem: BTreeMap<ServerId, f64> = BTreeMap::new();
        for (&(s, v), &n) in &added {
            let service = self.services.service(s);
            let server = inventory.server(v);
            let count = state.get(&(s, v)).copied().unwrap_or(0) + n;
            let most = self
                .ceiling
                .get(&Limit::MaxPerServer {
                    service: service.name.clone(),
                    server: server.id.clone(),
                })
                .copied()
                .unwrap_or(f64::from(service.max_per_server));
            if f64::from(count) > most {
                return false;
            }
            *cpu.entry(v).or_default() += service.cpu * f64::from(n);
            *mem.entry(v).or_default() += service.mem_gb * f64::from(n);
        }
        let mut extra_w = vec![0.0; inventory.power.len()];
        for (&v, &more) in &cpu {
            let server = inventory.server(v);
            let allowed =
                |limit: Limit, capacity: f64| self.ceiling.get(&limit).copied().unwrap_or(capacity);
            let id = server.id.clone();
            let (cpu_now, mem_now) = (self.bounds.cpu[v.index()], self.bounds.mem[v.index()]);
            if cpu_now + more > allowed(Limit::Cpu { server: id.clone() }, server.cpu)
                || mem_now + mem[&v] > allowed(Limit::Mem { server: id }, server.mem_gb)
            {
                return false;
            }
            let delta = server.draw_w(cpu_now + more) - server.draw_w(cpu_now);
            for p in &self.reach[v.index()] {
                extra_w[p.index()] += delta.max(0.0);
            }
        }
        inventory.power_ids().all(|p| {
            if extra_w[p.index()] == 0.0 {
                return true;
            }
            let component = inventory.power(p);
            let allowed = |limit: Limit| {
                self.ceiling
                    .get(&limit)
                    .copied()
                    .unwrap_or(component.limit_w())
            };
            let most = allowed(Limit::PowerNormal {
                component: component.id.clone(),
            })
            .min(allowed(Limit::PowerFailover {
                component: component.id.clone(),
            }));
            self.bounds.peak_w[p.index()] + extra_w[p.index()] <= most
        })
    }

    /// The ordering moves on by `wave`: bounds from a `check` of the new
    /// placement when there was one, else updated soundly (an add keeps the
    /// replicas-up bounds and raises the loads it can reach by its extra
    /// draw; a remove lowers its service's replicas-up bounds by one and
    /// keeps the load bounds).
    fn advance(&mut self, wave: &[Step], after: Option<Bounds>) {
        if let Some(after) = after {
            self.bounds = after;
            return;
        }
        for step in wave {
            let service = self.services.service(step.service);
            let server = self.inventory.server(step.server);
            let v = step.server.index();
            match step.action {
                Action::Add => {
                    let before = self.bounds.cpu[v];
                    self.bounds.cpu[v] += service.cpu;
                    self.bounds.mem[v] += service.mem_gb;
                    let delta = server.draw_w(self.bounds.cpu[v]) - server.draw_w(before);
                    for p in &self.reach[v] {
                        self.bounds.peak_w[p.index()] += delta.max(0.0);
                    }
                }
                Action::Remove => {
                    self.bounds.cpu[v] -= service.cpu;
                    self.bounds.mem[v] -= service.mem_gb;
                    for (key, up) in self.bounds.up.iter_mut() {
                        if key.0 == step.service {
                            *up = up.saturating_sub(1);
                        }
                    }
                }
            }
        }
    }

    /// Why running `wave` from `state` is unsafe (empty when it is safe): its
    /// adds all done and no remove (limits), its removes all done and no add
    /// (replicas up). See the module comment for why these two suffice.
    fn judge(&mut self, state: &Counts, wave: &[Step]) -> Vec<Violation> {
        self.judge_with_after(state, wave).0
    }

    /// [`Bar::judge`], with the bounds of the placement after the wave when
    /// one of the two placements checked is exactly that one (a wave with
    /// changes on one side only).
    fn judge_with_after(
        &mut self,
        state: &Counts,
        wave: &[Step],
    ) -> (Vec<Violation>, Option<Bounds>) {
        let adds: Vec<&Step> = wave.iter().filter(|s| s.action == Action::Add).collect();
        let removes: Vec<&Step> = wave.iter().filter(|s| s.action == Action::Remove).collect();
        let mut found = Vec::new();
        let mut after = None;
        for (steps, replicas, only_side) in [
            (&adds, false, removes.is_empty()),
            (&removes, true, adds.is_empty()),
        ] {
            if steps.is_empty() {
                continue;
            }
            let mut counts = state.clone();
            for s in steps {
                apply(&mut counts, s);
            }
            let (report, safety) = self.evaluate(&counts);
            found.extend(self.compare(&safety, replicas, !replicas));
            if only_side {
                after = Some(Bounds::exact(
                    self.inventory,
                    self.services,
                    &counts,
                    &report,
                    &safety,
                ));
            }
        }
        (found, after)
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

/// The replicas to add and remove, one step each, by service, each
/// service's adds before its removes (make before break), then by server.
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
    steps.sort_by_key(|s| (s.service, s.action, s.server));
    steps
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
    let mut pending: VecDeque<(Step, Option<Blockers>)> = all.iter().map(|s| (*s, None)).collect();
    let mut clock = Clock::new(&bar);
    let mut waves: Vec<Vec<Step>> = Vec::new();
    let mut stones: BTreeSet<(ServiceId, ServerId)> = BTreeSet::new();
    while !pending.is_empty() {
        let (wave, after) = next_wave(&mut bar, &clock, &state, &mut pending, max_parallel);
        if !wave.is_empty() {
            for s in &wave {
                apply(&mut state, s);
            }
            bar.advance(&wave, after);
            clock.tick(&bar, &wave);
            waves.push(wave);
            continue;
        }
        // Greedy choices may have led here although another order exists:
        // only an exhaustive search from A may say none does.
        let mut proven = false;
        if !waves.iter().flatten().any(|s| s.temporary) && all.len() <= options.exhaustive_limit {
            match exhaustive(&mut bar, &a, &all) {
                Every::Order(order) => {
                    let waves = pack(&mut bar, &a, &order, max_parallel);
                    return Ok(Migration {
                        waves,
                        checks: bar.checks,
                    });
                }
                Every::None => proven = true,
                Every::GaveUp => {}
            }
        }
        if options.allow_temporary {
            let left: Vec<Step> = pending.iter().map(|(s, _)| *s).collect();
            if let Some(stone) = stepping_stone(&mut bar, &state, &left, &mut stones) {
                apply(&mut state, &stone);
                bar.advance(&[stone], None);
                clock.tick(&bar, &[stone]);
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
        return Err(blocked(&mut bar, &state, waves, &left, proven));
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
    fn of(bar: &Bar, violations: &[Violation], at: u64) -> Self {
        let mut blockers = Blockers {
            servers: Vec::new(),
            components: Vec::new(),
            services: Vec::new(),
            at,
        };
        for violation in violations {
            match violation {
                Violation::Fewer { service, .. } => {
                    blockers.services.extend(bar.services.lookup(service));
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
                    match bar.inventory.lookup(id) {
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
    fn new(bar: &Bar) -> Self {
        Clock {
            now: 0,
            removed_on: vec![0; bar.inventory.servers.len()],
            removed_under: vec![0; bar.inventory.power.len()],
            added_of: vec![0; bar.services.services.len()],
        }
    }

    fn tick(&mut self, bar: &Bar, wave: &[Step]) {
        self.now += 1;
        for step in wave {
            match step.action {
                Action::Add => self.added_of[step.service.index()] = self.now,
                Action::Remove => {
                    self.removed_on[step.server.index()] = self.now;
                    for p in &bar.reach[step.server.index()] {
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
    state: &Counts,
    pending: &mut VecDeque<(Step, Option<Blockers>)>,
    max_parallel: usize,
) -> (Vec<Step>, Option<Bounds>) {
    let mut wave: Vec<Step> = Vec::new();
    let mut after = None;
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
        let (found, bounds) = bar.judge_next(state, &wave);
        if found.is_empty() {
            after = bounds;
        } else {
            wave.pop();
            // Alone, it is blocked until a blocker changes; in a wave, the
            // other changes may be what made it unsafe.
            let waiting = if wave.is_empty() {
                Some(Blockers::of(bar, &found, clock.now))
            } else {
                waiting
            };
            pending.push_back((step, waiting));
        }
    }
    (wave, after)
}

/// A temporary replica that unblocks a pending removal: a replica of the
/// same service, on a server the target does not touch for it, whose
/// addition is safe and after which the removal is. Servers with the most
/// free cores first, then by id, at most [`STONE_TRIES`] per removal.
fn stepping_stone(
    bar: &mut Bar,
    state: &Counts,
    pending: &[Step],
    tried: &mut BTreeSet<(ServiceId, ServerId)>,
) -> Option<Step> {
    let inventory = bar.inventory;
    // The bounds hold the current placement's cores exactly.
    let used = bar.bounds.cpu.clone();
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
        let requires = &bar.services.service(service).requires;
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
            if !bar.judge(state, &[stone]).is_empty() {
                continue;
            }
            let mut with_stone = state.clone();
            apply(&mut with_stone, &stone);
            if bar.judge(&with_stone, &[removal]).is_empty() {
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

/// Work the exhaustive search may do, in placements judged × (servers +
/// replicas): every order of 16 changes on a tiny fleet, a handful of
/// placements on a large one. Counted, not timed, so the answer does not
/// depend on the machine.
const EXHAUSTIVE_BUDGET: usize = 4_000_000;

/// Every order of `steps` from `a`, one change at a time: depth first over the
/// sets of changes done, each set visited once (a set fixes the placement, so
/// a set found unsafe or a dead end is one whatever order reached it). Its
/// `None` is a proof that no order is safe.
fn exhaustive(bar: &mut Bar, a: &Counts, steps: &[Step]) -> Every {
    struct Search<'s> {
        steps: &'s [Step],
        dead: BTreeSet<u64>,
        order: Vec<Step>,
        judged_left: usize,
    }
    /// Some(found) when decided, None when the budget ran out.
    fn visit(bar: &mut Bar, search: &mut Search, state: &Counts, done: u64) -> Option<bool> {
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
            if !bar.judge(state, &[*step]).is_empty() {
                continue;
            }
            let mut after = state.clone();
            apply(&mut after, step);
            search.order.push(*step);
            if visit(bar, search, &after, next)? {
                return Some(true);
            }
            search.order.pop();
            search.dead.insert(next);
        }
        Some(false)
    }
    assert!(steps.len() < 64, "exhaustive_limit above 63");
    let size = bar.inventory.servers.len() + a.values().map(|&n| n as usize).sum::<usize>();
    let mut search = Search {
        steps,
        dead: BTreeSet::new(),
        order: Vec::new(),
        judged_left: EXHAUSTIVE_BUDGET / size.max(1),
    };
    match visit(bar, &mut search, a, 0) {
        Some(true) => Every::Order(search.order),
        Some(false) => Every::None,
        None => Every::GaveUp,
    }
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
