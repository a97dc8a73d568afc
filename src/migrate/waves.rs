//! The ordering: waves of changes taken while each stays safe, falling back on
//! the exhaustive search and stepping stones when stuck, and what blocks the
//! changes left when no safe order is found.

use std::collections::{BTreeSet, VecDeque};

use super::bar::Bar;
use super::exhaustive::{exhaustive, Every};
use super::safety::{Limit, Rule, Violation};
use super::stepping::stepping_stone;
use crate::changes::{counts, steps, Action, Step};
use crate::inventory::{Component, Inventory, Placement, PowerId, ServerId, ServiceId, Services};

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
pub(super) struct Blockers {
    servers: Vec<ServerId>,
    components: Vec<PowerId>,
    services: Vec<ServiceId>,
    /// The wave count when it was found unsafe.
    at: u64,
}

impl Blockers {
    pub(super) fn of(rule: &Rule, violations: &[Violation], at: u64) -> Self {
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
pub(super) struct Clock {
    now: u64,
    removed_on: Vec<u64>,
    removed_under: Vec<u64>,
    added_of: Vec<u64>,
}

impl Clock {
    pub(super) fn new(rule: &Rule) -> Self {
        Clock {
            now: 0,
            removed_on: vec![0; rule.inventory.servers.len()],
            removed_under: vec![0; rule.inventory.power.len()],
            added_of: vec![0; rule.services.services.len()],
        }
    }

    pub(super) fn tick(&mut self, rule: &Rule, wave: &[Step]) {
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

    pub(super) fn may_unblock(&self, b: &Blockers) -> bool {
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
pub(super) fn next_wave(
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

/// Consecutive changes of a safe order from here merged into waves while
/// each stays safe.
pub(super) fn pack(bar: &mut Bar, order: &[Step], max_parallel: usize) -> Vec<Vec<Step>> {
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

pub(super) fn blocked(
    bar: &mut Bar,
    waves: Vec<Vec<Step>>,
    pending: &[Step],
    proven: bool,
) -> Blocked {
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
