//! The placement the ordering has reached, and how placements near it are
//! judged against the [`Rule`]: with `check`'s numbers kept up to date change
//! by change, or a whole `check` per placement.

use std::collections::BTreeMap;

use super::safety::{record, Limit, Rule, Safety, Violation};
use crate::changes::{apply, placement, Action, Counts, Step};
use crate::inventory::{Inventory, PowerId, ServerId, ServiceId, Services};
use crate::topology::reach;
use crate::verify::{self, CheckOptions, Ledger};

/// The placement the ordering has reached, and how placements near it are
/// judged against the [`Rule`].
pub(super) struct Bar<'a> {
    pub(super) rule: Rule<'a>,
    here: Counts,
    judge: Judge<'a>,
    /// Placements judged, for the summary.
    pub(super) checks: usize,
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
pub(super) const EXHAUSTIVE_BUDGET: usize = 4_000_000;
/// Work of one ledger judgement, in [`EXHAUSTIVE_BUDGET`]'s units: a few
/// components' deviations over the failovers, like a check of a small fleet.
pub(super) const LEDGER_JUDGEMENT: usize = 20;

impl<'a> Bar<'a> {
    pub(super) fn new(
        inventory: &'a Inventory,
        services: &'a Services,
        a: &Counts,
        b: &Counts,
    ) -> Self {
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
    pub(super) fn step(&mut self, step: &Step) {
        apply(&mut self.here, step);
        self.judge.step(&self.rule, step);
    }

    /// Takes `step` back.
    pub(super) fn unstep(&mut self, step: &Step) {
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
    pub(super) fn judge(&mut self, wave: &[Step]) -> Vec<Violation> {
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
    pub(super) fn violations(&self, replicas: bool) -> Vec<Violation> {
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
    pub(super) fn cpu_used(&self) -> Vec<f64> {
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
    pub(super) fn judgement_cost(&self) -> usize {
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
