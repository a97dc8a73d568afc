//! The cheapest servers to buy (capacity planning): the exact model of
//! plan/milp.rs over an inventory that also holds every server that could be
//! bought, each class of those with an integer "how many bought" that scales
//! its cpu, memory, replicas and idle draw, and the price as the goal.
//!
//! Why its answer is a bound: take any purchase P (within rack space and
//! max_count) and any placement on the inventory with P that `check`
//! accepts. Map P's servers onto the servers for sale of the same rack,
//! model and wiring (they are interchangeable: one class), set b to the
//! number bought per class; the placement's counts per class then meet
//! every row of the model, which are the class relaxation of `check`
//! (plan/milp.rs) with b servers in place of the class's size. So the model's
//! optimum is at most P's price: it is a lower bound on every purchase, and
//! "infeasible" means no purchase within the limits makes the demand
//! plannable. Whether its own purchase is plannable is then decided by the
//! planner on the inventory with exactly those servers, and `check`.

use std::collections::BTreeMap;
use std::time::Instant;

use good_lp::ResolutionError;

use crate::inventory::{Inventory, ServerId, Services};
use crate::plan::{
    impacts, Buy, Counts, Fixed, Goal, Model, PlanOptions, Relax, Scope, SolveSettings,
    DEFAULT_SECONDS,
};
use crate::scenarios::ScenarioSet;
use crate::topology::Impact;

/// One server that may be bought, already in the inventory given to
/// [`cheapest_purchase`]. Servers for sale with the same rack, wiring and
/// model must have the same price and limits (they form one class).
#[derive(Debug, Clone)]
pub struct ForSale {
    pub server: ServerId,
    pub price: f64,
    /// (index into the limits, units this server uses of it).
    pub uses: Vec<(usize, f64)>,
}

#[derive(Debug, Clone)]
pub struct Purchase {
    /// The servers for sale that are bought.
    pub servers: Vec<ServerId>,
    pub price: f64,
    /// A proven lower bound on the price of any purchase that makes the
    /// demand plannable.
    pub bound: f64,
}

#[derive(Debug, Clone)]
pub enum PurchaseOutcome {
    Bought(Purchase),
    /// No purchase within the limits makes the demand plannable (proven).
    Impossible,
    /// No purchase from the model (none cheaper than `upper`, when given),
    /// with the best lower bound it proved (0 when none): when the model
    /// with "price below `upper`" is infeasible, `bound` is `upper`.
    NoneFound {
        bound: f64,
        why: String,
    },
}

/// The cheapest purchase by the model: `for_sale` names the servers of
/// `inventory` that may be bought, `limits` the right-hand sides their
/// `uses` count against (free rack units, max_count). `upper` is the price
/// of a purchase already verified: the model then looks only for cheaper
/// ones, and its "infeasible" proves that none exists.
///
/// `proven` is a bound already proven on every purchase (the quick bounds,
/// quick_bounds.rs). The LP relaxation is solved first: its optimum
/// bounds every purchase too (the model is a relaxation of `check`, its LP
/// one of the model), and it takes microlp seconds where the integer model
/// may take minutes.
pub fn cheapest_purchase(
    inventory: &Inventory,
    services: &Services,
    for_sale: &[ForSale],
    limits: &[f64],
    upper: Option<f64>,
    proven: f64,
    options: &PlanOptions,
) -> PurchaseOutcome {
    let set = ScenarioSet::expand(inventory, &services.all_words(), options.enumeration_limit);
    let impacts = impacts(inventory, &set);
    let started = std::time::Instant::now();
    let limit = options.time_limit.unwrap_or(DEFAULT_SECONDS);
    // Only purchases cheaper than the verified one are of interest.
    let cheaper: Vec<Fixed> = upper
        .map(|u| Fixed {
            goal: Goal::Price,
            at_most: u - price_tolerance(u),
        })
        .into_iter()
        .collect();
    let search = ClassSearch {
        inventory,
        services,
        for_sale,
        limits,
        upper,
        options,
        set: &set,
        impacts: &impacts,
        started,
        limit,
        cheaper,
    };
    search.run(proven)
}

/// The class model's search for the cheapest purchase: what it reads, and
/// its clock.
struct ClassSearch<'a> {
    inventory: &'a Inventory,
    services: &'a Services,
    for_sale: &'a [ForSale],
    limits: &'a [f64],
    upper: Option<f64>,
    options: &'a PlanOptions,
    set: &'a ScenarioSet,
    impacts: &'a [Impact],
    started: Instant,
    /// The time limit, in seconds.
    limit: f64,
    /// "Price below `upper`", when there is an `upper`.
    cheaper: Vec<Fixed>,
}

impl ClassSearch<'_> {
    /// The solves, from the whole classes to classes split where their
    /// counts do not pack; `proven` is the bound to start from.
    fn run(&self, proven: f64) -> PurchaseOutcome {
        let mut lp_bound = proven;
        // Classes whose counts do not pack onto their servers are split
        // into single servers and the model solved again, as the planner
        // does: each model is a relaxation, a split one only a tighter one.
        let mut split: Vec<ServerId> = Vec::new();
        // The last model solved: a later, split one that runs out of time
        // falls back on it (its purchase is as much a bound and a
        // candidate).
        let mut last: Option<PurchaseOutcome> = None;
        loop {
            let mut model = Model::new(
                self.inventory,
                self.services,
                self.set,
                self.impacts,
                None,
                &split,
            );
            model.buy = Some(buy_of(&model, self.for_sale, self.limits));
            if split.is_empty() {
                lp_bound = match self.lp_relaxation(&model, lp_bound) {
                    Ok(bound) => bound,
                    Err(outcome) => return outcome,
                };
            }
            if self.out_of_time() {
                return last.unwrap_or(PurchaseOutcome::NoneFound {
                    bound: lp_bound,
                    why: self.not_found_in_time(),
                });
            }
            let solve = model.solve(
                Goal::Price,
                &self.cheaper,
                Scope::Whole,
                &self.settings(false),
            );
            let outcome = match solve {
                Ok(outcome) => outcome,
                Err(e) => return self.solve_failed(e, lp_bound, last),
            };
            let answer = match read_back(
                &model,
                outcome.value,
                outcome.optimal,
                &outcome.bought,
                lp_bound,
            ) {
                Ok(answer) => answer,
                Err(none) => return none,
            };
            let before = split.len();
            split.extend(unpacked(&model, &outcome.counts, &outcome.bought));
            split.sort_unstable();
            split.dedup();
            if split.len() == before || self.started.elapsed().as_secs_f64() >= self.limit {
                return answer;
            }
            last = Some(answer);
        }
    }

    /// What is left of the time limit, for each solve.
    fn settings(&self, relaxed: bool) -> SolveSettings {
        let left = (self.limit - self.started.elapsed().as_secs_f64()).max(1.0);
        purchase_settings(Some(left), self.options.threads, relaxed)
    }

    fn out_of_time(&self) -> bool {
        self.started.elapsed().as_secs_f64() + 1.0 >= self.limit
    }

    fn not_found_in_time(&self) -> String {
        format!(
            "not found within the time limit of {} s",
            crate::plan::rounded_seconds(self.limit)
        )
    }

    /// The LP relaxation's optimum when it beats `lp_bound` (it bounds
    /// every purchase too); or the answer when it settles the question.
    fn lp_relaxation(&self, model: &Model, lp_bound: f64) -> Result<f64, PurchaseOutcome> {
        let mut lp_bound = lp_bound;
        match model.solve(Goal::Price, &[], Scope::Whole, &self.settings(true)) {
            Ok(lp) if lp.optimal && lp.value > lp_bound => lp_bound = lp.value,
            Err(ResolutionError::Infeasible) => return Err(PurchaseOutcome::Impossible),
            _ => {}
        }
        if let Some(u) = self.upper.filter(|u| lp_bound >= u - price_tolerance(*u)) {
            return Err(PurchaseOutcome::NoneFound {
                bound: lp_bound.min(u),
                why: "the LP bound reaches the verified price".into(),
            });
        }
        Ok(lp_bound)
    }

    /// The answer when the integer model was not solved: infeasible proves
    /// that no purchase (cheaper than `upper`) works; otherwise the last
    /// model's answer, or none with `lp_bound`.
    fn solve_failed(
        &self,
        e: ResolutionError,
        lp_bound: f64,
        last: Option<PurchaseOutcome>,
    ) -> PurchaseOutcome {
        if let ResolutionError::Infeasible = e {
            return match self.upper {
                None => PurchaseOutcome::Impossible,
                // No purchase below the verified price works.
                Some(u) => PurchaseOutcome::NoneFound {
                    bound: u,
                    why: "no cheaper purchase exists".into(),
                },
            };
        }
        let why = if self.out_of_time() {
            self.not_found_in_time()
        } else {
            format!("the solver stopped: {e}")
        };
        last.unwrap_or(PurchaseOutcome::NoneFound {
            bound: lp_bound,
            why,
        })
    }
}

/// The model's purchase (price `value`, `bought` servers per class) with
/// its bound; none when it costs less than the proven bound.
fn read_back(
    model: &Model,
    value: f64,
    optimal: bool,
    bought: &[u32],
    lp_bound: f64,
) -> Result<PurchaseOutcome, PurchaseOutcome> {
    // The quick bound sees what the classes do not (crowded services that
    // cannot share one server, aggregate_bound.rs): a class model's
    // purchase below it cannot work, and planning it would only spend the
    // time left proving so.
    let bound = if optimal {
        value.max(lp_bound)
    } else {
        lp_bound
    };
    if value < bound - price_tolerance(bound) {
        return Err(PurchaseOutcome::NoneFound {
            bound,
            why: format!("the model's purchase ({value}) costs less than the proven bound"),
        });
    }
    let mut servers = Vec::new();
    for (k, &b) in bought.iter().enumerate() {
        servers.extend(model.classes[k].servers.iter().take(b as usize).copied());
    }
    servers.sort_unstable();
    Ok(PurchaseOutcome::Bought(Purchase {
        servers,
        price: value,
        bound,
    }))
}

/// How the purchase models are solved: every limit in force, no slack.
pub(super) fn purchase_settings(
    time_limit: Option<f64>,
    threads: u32,
    relaxed: bool,
) -> SolveSettings {
    SolveSettings {
        time_limit,
        threads,
        slack: false,
        relaxed,
        max_moves: None,
        relax: Relax::default(),
        initial: None,
    }
}

/// The model's view of the servers for sale: each class of them with its
/// price and the limits it counts against.
pub(super) fn buy_of(model: &Model, for_sale: &[ForSale], limits: &[f64]) -> Buy {
    let mut sale_of: Vec<Option<&ForSale>> = vec![None; model.inventory.servers.len()];
    for f in for_sale {
        sale_of[f.server.index()] = Some(f);
    }
    let mut price = vec![None; model.classes.len()];
    let mut coefs: Vec<Vec<(usize, f64)>> = vec![Vec::new(); limits.len()];
    for (k, class) in model.classes.iter().enumerate() {
        let Some(first) = sale_of[class.servers[0].index()] else {
            continue;
        };
        price[k] = Some(first.price);
        for &(limit, units) in &first.uses {
            coefs[limit].push((k, units));
        }
    }
    Buy {
        price,
        limits: coefs.into_iter().zip(limits.iter().copied()).collect(),
    }
}

/// Prices within this of each other are equal (float sums of catalog
/// prices): a bound this close to a verified price proves it cheapest.
pub fn price_tolerance(price: f64) -> f64 {
    1e-6 * price.abs().max(1.0)
}

/// The servers of the classes whose counts first-fit decreasing cannot put
/// on their servers (for a class for sale, on the `bought` ones): cpu,
/// memory and max_per_server per server. First fit may miss a packing that
/// exists; splitting then only costs time, never soundness.
fn unpacked(model: &Model, counts: &Counts, bought: &[u32]) -> Vec<ServerId> {
    let mut out = Vec::new();
    for (k, class) in model.classes.iter().enumerate() {
        if class.servers.len() == 1 {
            continue;
        }
        let n = if model.buy.as_ref().is_some_and(|b| b.price[k].is_some()) {
            bought[k] as usize
        } else {
            class.servers.len()
        };
        let mut items: Vec<(f64, f64, usize)> = Vec::new();
        for id in model.services.ids() {
            let s = model.services.service(id);
            for _ in 0..counts[id.index()][k] {
                items.push((s.cpu, s.mem_gb, id.index()));
            }
        }
        if items.is_empty() {
            continue;
        }
        items.sort_by(|a, b| b.0.total_cmp(&a.0).then(b.1.total_cmp(&a.1)));
        let mut free = vec![(class.cpu, class.mem_gb, BTreeMap::<usize, u32>::new()); n];
        let fits = items.iter().all(|&(cpu, mem, service)| {
            let limit = model.services.services[service].max_per_server;
            free.iter_mut().any(|(c, m, per)| {
                let on = per.entry(service).or_insert(0);
                if *c + 1e-9 >= cpu && *m + 1e-9 >= mem && *on < limit {
                    *c -= cpu;
                    *m -= mem;
                    *on += 1;
                    true
                } else {
                    false
                }
            })
        });
        if !fits {
            out.extend(&class.servers);
        }
    }
    out
}
