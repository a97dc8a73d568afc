//! Rendering `capacity --growth`: the grown demand and whether it fits.

use std::fmt::Write;

use serde_json::json;

use super::json::JSON_FORMAT_VERSION;
use super::plan::{causes_json, infeasible_causes, verified_line};
use super::text::{num, table, Width};
use crate::capacity::GrowthFit;
use crate::inventory::Grown;
use crate::plan::PlanError;

/// The grown demand, one row per service (also heads the purchase answer).
pub(super) fn growth_table(grown: &[Grown]) -> String {
    let mut t = table(
        &["service", "factor", "min_replicas", "max_replicas"],
        Width::default(),
    );
    for g in grown {
        let max = match g.max_replicas {
            Some((before, after)) => format!("{before} → {after}"),
            None => String::new(),
        };
        t.add_row(vec![
            g.service.clone(),
            num(g.factor),
            format!("{} → {}", g.min_replicas.0, g.min_replicas.1),
            max,
        ]);
    }
    t.to_string()
}

/// The human answer to `--growth`: the grown demand, then "fits" with the
/// verified placement's summary, or what is short.
pub fn growth_human(fit: &GrowthFit, written: &[String]) -> String {
    let mut out = String::from("Grown demand (min_replicas × factor, rounded up):\n");
    let _ = writeln!(out, "{}\n", growth_table(&fit.grown));
    match &fit.outcome {
        Ok(plan) => {
            let _ = writeln!(
                out,
                "FITS: {} replicas ({} cores, {} GB) keep every guarantee of the grown demand",
                plan.stats.replicas,
                num(plan.stats.reserved_cpu),
                num(plan.stats.reserved_mem_gb)
            );
            out.push_str(&verified_line(&plan.report));
            if !written.is_empty() {
                let _ = writeln!(out, "Wrote {}", written.join(" and "));
            }
        }
        Err(PlanError::Infeasible(explanation)) => {
            out.push_str(
                "DOES NOT FIT: no placement keeps every guarantee of the grown demand (proven):\n",
            );
            out.push_str(&infeasible_causes(explanation));
        }
        Err(PlanError::NotFound(not_found)) => {
            let _ = writeln!(
                out,
                "UNDECIDED: {} ({:.2} s). This is not a proof that it does not fit.",
                not_found.reason, not_found.seconds
            );
            for f in not_found.violations.iter().take(10) {
                let _ = writeln!(out, "  - {}: {}", f.kind.code(), f.message);
            }
        }
    }
    out
}

pub fn growth_json(fit: &GrowthFit) -> String {
    let mut value = json!({
        "format_version": JSON_FORMAT_VERSION,
        "command": "capacity",
        "growth": fit.grown,
    });
    let map = value.as_object_mut().expect("an object");
    match &fit.outcome {
        Ok(plan) => {
            map.insert("status".into(), json!("fits"));
            map.insert("stats".into(), json!(plan.stats));
            map.insert("verified".into(), json!(plan.report.passed()));
            map.insert("scenarios".into(), json!(plan.report.scenarios));
        }
        Err(PlanError::Infeasible(explanation)) => {
            map.insert("status".into(), json!("does_not_fit"));
            map.insert("causes".into(), causes_json(explanation));
            map.insert("notes".into(), json!(explanation.notes));
        }
        Err(PlanError::NotFound(not_found)) => {
            map.insert("status".into(), json!("not_found"));
            map.insert("reason".into(), json!(not_found.reason));
            map.insert("violations".into(), json!(not_found.violations));
        }
    }
    let mut text = serde_json::to_string_pretty(&value).expect("JSON values always serialize");
    text.push('\n');
    text
}
