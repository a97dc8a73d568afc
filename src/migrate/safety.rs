//! What "less safe" compares, read off one `check` report, and the bar every
//! intermediate placement must clear: the worse of A and B.

use std::collections::BTreeMap;

use crate::inventory::{Inventory, PowerId, ServiceId, Services};
use crate::verify::{FindingKind, Report};

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
pub(super) struct Safety {
    /// (service, word index or None for nothing failed) → fewest replicas up.
    pub(super) up: BTreeMap<(ServiceId, Option<usize>), u32>,
    /// Exceeded limits → (value, limit).
    pub(super) over: BTreeMap<Limit, (f64, f64)>,
}

impl Safety {
    pub(super) fn of(report: &Report, services: &Services) -> Self {
        Safety {
            up: fewest_up(report, services),
            over: exceeded_limits(report),
        }
    }
}

/// (service, word index or None for nothing failed) → fewest replicas up.
fn fewest_up(report: &Report, services: &Services) -> BTreeMap<(ServiceId, Option<usize>), u32> {
    let mut up = BTreeMap::new();
    for (id, status) in services.ids().zip(&report.services) {
        up.insert((id, None), status.up);
        for (word, worst) in status.worst_by_word.iter().enumerate() {
            if let Some((worst, _)) = worst {
                up.insert((id, Some(word)), *worst);
            }
        }
    }
    up
}

/// Every limit the report finds exceeded → (the largest value reported, the
/// limit).
fn exceeded_limits(report: &Report) -> BTreeMap<Limit, (f64, f64)> {
    let mut over: BTreeMap<Limit, (f64, f64)> = BTreeMap::new();
    for (limit, value, allowed) in report.findings.iter().filter_map(|f| exceeded(&f.kind)) {
        let entry = over.entry(limit).or_insert((value, allowed));
        entry.0 = entry.0.max(value);
    }
    over
}

/// The limit a finding says is exceeded, with the value and the limit's value.
fn exceeded(kind: &FindingKind) -> Option<(Limit, f64, f64)> {
    let found = match kind {
        FindingKind::CpuOverCapacity {
            server,
            used,
            capacity,
        } => (
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
        } => (
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
        } => (
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
        } => (
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
        } => (
            Limit::PowerUnproven {
                component: component.clone(),
            },
            *bound_w,
            *limit_w,
        ),
        _ => return None,
    };
    Some(found)
}

/// The bar every intermediate placement must clear: the worse of A and B.
pub(super) struct Rule<'a> {
    pub(super) inventory: &'a Inventory,
    pub(super) services: &'a Services,
    pub(super) words: Vec<String>,
    pub(super) floor: BTreeMap<(ServiceId, Option<usize>), u32>,
    pub(super) ceiling: BTreeMap<Limit, f64>,
    /// Per server, every power component its draw can reach.
    pub(super) reach: Vec<Vec<PowerId>>,
}

pub(super) const TOLERANCE: f64 = 1e-6;

impl Rule<'_> {
    /// Whether `up` replicas up for `key` fall below the floor.
    pub(super) fn short(&self, key: (ServiceId, Option<usize>), up: u32) -> Option<Violation> {
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
    pub(super) fn exceeds(&self, limit: Limit, value: f64, limit_value: f64) -> Option<Violation> {
        let allowed = self.ceiling.get(&limit).copied().unwrap_or(limit_value);
        (value > allowed + TOLERANCE * allowed.abs().max(1.0)).then_some(Violation::Over {
            limit,
            value,
            allowed,
        })
    }

    /// What makes a placement with `safety` less safe than the bar, on the
    /// side asked for.
    pub(super) fn compare(&self, safety: &Safety, replicas: bool) -> Vec<Violation> {
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

pub(super) fn record<K: Ord>(map: &mut BTreeMap<K, Violation>, key: K, found: Option<Violation>) {
    match found {
        Some(v) => {
            map.insert(key, v);
        }
        None => {
            map.remove(&key);
        }
    }
}
