//! The incumbent: the best placement `verify` has accepted so far, with a
//! proven lower bound on the objective. Every stage offers placements here;
//! nothing reaches the user that this did not verify, and no bound is kept
//! that is not a proof.

use std::time::Instant;

use super::model::Model;
use super::options::{Objective, PlanOptions, DEFAULT_SECONDS, DEFAULT_SECONDS_WEAK};
use crate::changes::{changes, Change};
use crate::inventory::{Inventory, Placement, ServerId, Services};
use crate::topology::Topology;
use crate::verify::{self, CheckOptions, Finding, Report, Severity};

pub struct Incumbent {
    pub placement: Placement,
    pub report: Report,
    pub value: f64,
    pub changes: Vec<Change>,
    /// The stage that found it.
    pub stage: &'static str,
}

pub struct Search<'a> {
    pub inventory: &'a Inventory,
    pub services: &'a Services,
    pub current: Option<&'a Placement>,
    pub options: &'a PlanOptions,
    started: Instant,
    limit: f64,
    pub incumbent: Option<Incumbent>,
    /// A proven lower bound on the objective's value.
    pub bound: f64,
    pub notes: Vec<String>,
    pub solves: usize,
    /// The placement with the fewest errors that failed verification, for
    /// "not found": its errors say what still blocks.
    pub closest: Option<(Vec<Finding>, Placement)>,
    progress: &'a dyn Fn(&str),
}

impl<'a> Search<'a> {
    pub fn new(
        inventory: &'a Inventory,
        services: &'a Services,
        current: Option<&'a Placement>,
        options: &'a PlanOptions,
        progress: &'a dyn Fn(&str),
    ) -> Self {
        Search {
            inventory,
            services,
            current,
            options,
            started: Instant::now(),
            limit: options.time_limit.unwrap_or(match options.objective {
                Objective::Cost => DEFAULT_SECONDS,
                // Their relaxations are weak: the solver rarely proves them, so
                // it would use every second it is given.
                Objective::Servers | Objective::Balance => DEFAULT_SECONDS_WEAK,
            }),
            incumbent: None,
            bound: 0.0,
            notes: Vec::new(),
            solves: 0,
            closest: None,
            progress,
        }
    }

    pub fn elapsed(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }

    pub fn limit(&self) -> f64 {
        self.limit
    }

    /// Seconds left of the time limit.
    pub fn remaining(&self) -> f64 {
        (self.limit - self.elapsed()).max(0.0)
    }

    pub fn out_of_time(&self) -> bool {
        self.remaining() <= 0.0
    }

    /// Shows the stage with the incumbent, bound and gap on the spinner.
    pub fn say(&self, stage: &str) {
        let incumbent = match &self.incumbent {
            Some(i) => format!(
                "incumbent {} (bound {}, gap {}%)",
                verify::round(i.value),
                verify::round(self.bound),
                verify::round(100.0 * self.gap())
            ),
            None => "no incumbent yet".to_string(),
        };
        (self.progress)(&format!("{stage}; {incumbent}"));
    }

    /// (value − bound) / value of the incumbent; 1 without one.
    pub fn gap(&self) -> f64 {
        match &self.incumbent {
            Some(i) => relative_gap(i.value, self.bound.min(i.value)),
            None => 1.0,
        }
    }

    /// Whether the incumbent is within the requested gap: nothing left to do.
    pub fn done(&self) -> bool {
        self.incumbent.is_some() && self.gap() <= self.options.gap
    }

    pub fn raise_bound(&mut self, bound: f64) {
        if bound > self.bound {
            self.bound = bound;
        }
    }

    /// Verifies a placement and keeps it when it beats the incumbent by
    /// (changes from the current placement, objective value).
    pub fn offer(&mut self, model: &Model, placement: Placement, stage: &'static str) -> Offer {
        let report = verify::check(
            self.inventory,
            self.services,
            &placement,
            CheckOptions {
                enumeration_limit: self.options.enumeration_limit,
            },
        );
        if !report.passed() {
            let errors: Vec<Finding> = report
                .findings
                .into_iter()
                .filter(|f| f.severity == Severity::Error)
                .collect();
            if self
                .closest
                .as_ref()
                .is_none_or(|best| errors.len() < best.0.len())
            {
                self.closest = Some((errors, placement));
            }
            return Offer::Rejected;
        }
        let changed = self
            .current
            .map(|c| changes(self.inventory, self.services, c, &placement))
            .unwrap_or_default();
        if let Some(max) = self.options.max_moves.filter(|_| self.current.is_some()) {
            if changed.len() > max as usize {
                return Offer::Worse;
            }
        }
        let value = value(model, self.options.objective, &placement);
        let better = self.incumbent.as_ref().is_none_or(|best| {
            changed.len() < best.changes.len()
                || (changed.len() == best.changes.len() && value < best.value - 1e-9)
        });
        if better {
            self.incumbent = Some(Incumbent {
                placement,
                report,
                value,
                changes: changed,
                stage,
            });
            self.say(stage);
            Offer::Kept
        } else {
            Offer::Worse
        }
    }
}

/// What became of a placement offered to the search.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Offer {
    /// It is the new incumbent.
    Kept,
    /// It passed `check` but is no better than the incumbent.
    Worse,
    /// `check` rejected it.
    Rejected,
}

/// (value − bound) / value, 0 when proven optimal; below a relative 1e-9 the
/// difference is float noise, not a gap.
pub fn relative_gap(value: f64, bound: f64) -> f64 {
    if value.abs() > 1e-9 && (value - bound) / value > 1e-9 {
        (value - bound) / value
    } else {
        0.0
    }
}

/// The objective's value for a placement, measured the same way for every stage.
pub fn value(model: &Model, objective: Objective, placement: &Placement) -> f64 {
    let inventory = model.inventory;
    match objective {
        Objective::Cost => placement
            .replicas
            .iter()
            .map(|r| model.replica_cost(r.service))
            .sum(),
        Objective::Servers => {
            let mut used: Vec<ServerId> = placement.replicas.iter().map(|r| r.server).collect();
            used.sort_unstable();
            used.dedup();
            used.len() as f64
        }
        Objective::Balance => {
            let mut cpu = vec![0.0; inventory.servers.len()];
            let mut rack = vec![(0.0, 0.0); inventory.racks.len()];
            for r in &placement.replicas {
                cpu[r.server.index()] += model.services.service(r.service).cpu;
            }
            let mut peak: f64 = 0.0;
            for class in &model.classes {
                for s in &class.servers {
                    if class.cpu > 0.0 {
                        peak = peak.max(cpu[s.index()] / class.cpu);
                    }
                    let entry = &mut rack[class.rack.index()];
                    entry.0 += cpu[s.index()];
                    entry.1 += class.cpu;
                }
            }
            for (used, capacity) in rack {
                if capacity > 0.0 {
                    peak = peak.max(used / capacity);
                }
            }
            let draw: Vec<f64> = inventory
                .server_ids()
                .map(|s| inventory.server(s).draw_w(cpu[s.index()]))
                .collect();
            let load = Topology::new(inventory).loads(&draw, &crate::topology::Impact::default());
            for p in inventory.power_ids() {
                let limit = inventory.power(p).limit_w();
                if limit > 0.0 {
                    peak = peak.max(load[p.index()] / limit);
                }
            }
            peak
        }
    }
}

/// A bound every placement respects, from each service's replica floor alone.
pub fn floor_bound(model: &Model, objective: Objective) -> f64 {
    let services = model.services;
    let cpu: f64 = services
        .ids()
        .map(|id| f64::from(model.replica_floor(id)) * services.service(id).cpu)
        .sum();
    match objective {
        Objective::Cost => model.floor_cost(),
        // Each server holds at most the largest server's cores.
        Objective::Servers => {
            let largest = model.classes.iter().map(|c| c.cpu).fold(0.0, f64::max);
            if largest > 0.0 {
                (cpu / largest - 1e-9).ceil().max(0.0)
            } else {
                0.0
            }
        }
        // The busiest rack is at least as busy as the fleet on average.
        Objective::Balance => {
            let capacity: f64 = model.classes.iter().map(|c| c.cpu * c.size()).sum();
            if capacity > 0.0 {
                cpu / capacity
            } else {
                0.0
            }
        }
    }
}
