//! `plan --objective servers` held to account by exhaustive search (issue 23,
//! item 7): on the same random tiny inventories as plan_oracle.rs, the fewest
//! servers the oracle finds against plan's value, bound and "optimal".

use faultplan::plan::{plan, Objective, PlanError, PlanOptions};

use crate::exhaustive::{Counts, Goal, Outcome, Relax};
use crate::plan_oracle::{counts_of, generate, plan_violations, NODE_BUDGET};

/// Fewer seeds than the cost oracle: without a cost floor to prune by, the
/// oracle's search for the fewest servers is slower.
const SEEDS: std::ops::Range<u64> = 0..400;

fn servers_used(counts: &Counts) -> f64 {
    let servers = counts.first().map_or(0, Vec::len);
    (0..servers)
        .filter(|&j| counts.iter().any(|row| row[j] > 0))
        .count() as f64
}

#[test]
fn plan_servers_matches_the_exhaustive_optimum_on_random_tiny_inventories() {
    let options = PlanOptions {
        objective: Objective::Servers,
        time_limit: Some(10.0),
        ..PlanOptions::default()
    };
    let mut failures: Vec<String> = Vec::new();
    let (mut compared, mut claimed_optimal, mut skipped) = (0, 0, 0);
    for seed in SEEDS {
        let model = generate(seed);
        let optimum = model.optimum_of(Goal::Servers, Relax::default(), NODE_BUDGET);
        if matches!(optimum, Outcome::GaveUp) {
            skipped += 1;
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
                if (value - servers_used(&counts)).abs() > 1e-9 {
                    fail(format!("value {value} is not the servers used"));
                }
                if value < opt - 1e-9 || bound > opt + 1e-9 {
                    fail(format!("value {value}, bound {bound}, optimum {opt}"));
                }
                if placed.stats.optimal {
                    claimed_optimal += 1;
                    if (value - opt).abs() > 1e-9 {
                        fail(format!("claims optimal with {value}, optimum {opt}"));
                    }
                }
            }
            (Outcome::Optimal(best), Err(e)) => fail(format!(
                "a placement of {} servers exists; plan: {e:?}",
                best.cost
            )),
            (_, Ok(_)) => fail("placed, the oracle finds no placement".into()),
            (_, Err(PlanError::Infeasible(_))) => {}
            (_, Err(PlanError::NotFound(why))) => fail(format!("not found, none exists: {why:?}")),
        }
    }
    println!("{compared} compared, {skipped} skipped, {claimed_optimal} claimed optimal");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Not vacuous: most feasible instances end with a proven optimum.
    assert!(
        compared >= 300 && claimed_optimal >= 100,
        "{compared} {claimed_optimal}"
    );
}
