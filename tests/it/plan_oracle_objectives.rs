//! `plan --objective servers` and `--objective balance` held to account by
//! exhaustive search (issue 23, item 7): on the same random tiny inventories
//! as plan_oracle.rs, the oracle's optimum against plan's value, bound and
//! "optimal".

use faultplan::plan::{plan, Objective, PlanError, PlanOptions};

use crate::exhaustive::{Counts, Goal, Model, Outcome, Relax};
use crate::plan_oracle::{counts_of, generate, plan_violations, NODE_BUDGET};

/// Fewer seeds than the cost oracle: without a cost floor to prune by, the
/// oracle's search for these optima is slower.
const SEEDS: std::ops::Range<u64> = 0..400;

fn servers_used(_: &Model, counts: &Counts) -> f64 {
    let servers = counts.first().map_or(0, Vec::len);
    (0..servers)
        .filter(|&j| counts.iter().any(|row| row[j] > 0))
        .count() as f64
}

fn balance(model: &Model, counts: &Counts) -> f64 {
    model.balance(&model.cpu_used(counts))
}

/// Compares plan with the oracle on every seed; returns (compared, claimed
/// optimal) after asserting that nothing plan said was false.
fn compare(objective: Objective, goal: Goal, value_of: fn(&Model, &Counts) -> f64) -> (u32, u32) {
    let options = PlanOptions {
        objective,
        time_limit: Some(10.0),
        ..PlanOptions::default()
    };
    // Balance values are ratios: equal up to rounding.
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * (1.0 + b.abs());
    let mut failures: Vec<String> = Vec::new();
    let (mut compared, mut claimed_optimal) = (0, 0);
    for seed in SEEDS {
        let model = generate(seed);
        let optimum = model.optimum_of(goal, Relax::default(), NODE_BUDGET);
        if matches!(optimum, Outcome::GaveUp) {
            continue;
        }
        compared += 1;
        let loaded = model.inv().load();
        let answer = plan(&loaded.inventory, &loaded.services, None, &options, &|_| {});
        let mut fail = |what: String| failures.push(format!("seed {seed}: {what}"));
        match (&optimum, answer) {
            (Outcome::Optimal(best), Ok(placed)) => {
                let counts = counts_of(&loaded, &placed.placement);
                let (value, bound) = (placed.stats.value, placed.stats.bound);
                let opt = best.cost;
                if !plan_violations(&model, &counts).is_empty() {
                    fail(format!("placement fails the oracle checker: {counts:?}"));
                }
                if !close(value, value_of(&model, &counts)) {
                    fail(format!("value {value} is not its placement's"));
                }
                if (value < opt && !close(value, opt)) || (bound > opt && !close(bound, opt)) {
                    fail(format!("value {value}, bound {bound}, optimum {opt}"));
                }
                if placed.stats.optimal {
                    claimed_optimal += 1;
                    if !close(value, opt) {
                        fail(format!("claims optimal with {value}, optimum {opt}"));
                    }
                }
            }
            (Outcome::Optimal(best), Err(e)) => fail(format!(
                "a placement of value {} exists; plan: {e:?}",
                best.cost
            )),
            (_, Ok(_)) => fail("placed, the oracle finds no placement".into()),
            (_, Err(PlanError::Infeasible(_))) => {}
            (_, Err(PlanError::NotFound(why))) => fail(format!("not found, none exists: {why:?}")),
        }
    }
    println!("{objective:?}: {compared} compared, {claimed_optimal} claimed optimal");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    (compared, claimed_optimal)
}

#[test]
fn plan_servers_matches_the_exhaustive_optimum_on_random_tiny_inventories() {
    let (compared, claimed) = compare(Objective::Servers, Goal::Servers, servers_used);
    // Not vacuous: most feasible instances end with a proven optimum.
    assert!(compared >= 300 && claimed >= 100, "{compared} {claimed}");
}

#[test]
fn plan_balance_matches_the_exhaustive_optimum_on_random_tiny_inventories() {
    let (compared, claimed) = compare(Objective::Balance, Goal::Balance, balance);
    assert!(compared >= 300 && claimed >= 100, "{compared} {claimed}");
}
