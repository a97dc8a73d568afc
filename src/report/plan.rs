//! Rendering a plan's summary, its changes (terraform-style) and the
//! explanation of an infeasible one.

use std::fmt::Write;

use serde_json::json;

use super::json::JSON_FORMAT_VERSION;
use super::text::{num, Width};
use crate::changes::{Change, Diff};
use crate::plan::{Explanation, NotFound, Plan};

/// "3 to add, 1 to remove, 2 to move".
fn totals(changes: &[Change]) -> (usize, usize, usize) {
    let count = |f: fn(&Change) -> bool| changes.iter().filter(|c| f(c)).count();
    (
        count(|c| matches!(c, Change::Add { .. })),
        count(|c| matches!(c, Change::Remove { .. })),
        count(|c| matches!(c, Change::Move { .. })),
    )
}

pub fn plan_human(plan: &Plan, written: &[String], current: Option<&Diff>, width: Width) -> String {
    let s = &plan.stats;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Placed {} replicas: {} cores, {} GB reserved",
        s.replicas,
        num(s.reserved_cpu),
        num(s.reserved_mem_gb)
    );
    let _ = writeln!(
        out,
        "Objective {}: {} (bound {}, gap {}%{})",
        s.objective.as_str(),
        num(s.value),
        num(s.bound),
        num(100.0 * s.gap),
        if s.optimal { ", optimal" } else { "" },
    );
    // A line of its own: the time varies, and it must not move where the
    // line above wraps.
    let _ = writeln!(
        out,
        "Found by {} ({}): {} classes, {} solves, {:.2} s",
        s.stage, s.solver, s.classes, s.solves, s.seconds
    );
    for note in &s.notes {
        let _ = writeln!(out, "note: {note}");
    }
    if let Some(b) = &s.baseline {
        let saved = b.reserved_cpu - s.reserved_cpu;
        let _ = writeln!(
            out,
            "Against a simple greedy spread ({} replicas, {} cores{}): {} {} cores ({}%)",
            b.replicas,
            num(b.reserved_cpu),
            if b.verified {
                ""
            } else {
                ", which fails check"
            },
            if saved >= 0.0 { "saves" } else { "costs" },
            num(saved.abs()),
            num(if b.reserved_cpu > 0.0 {
                100.0 * saved.abs() / b.reserved_cpu
            } else {
                0.0
            })
        );
    }
    if let Some(diff) = current {
        let _ = writeln!(out);
        out.push_str(&super::diff::changes_human(diff, "Plan", width));
    }
    out.push_str(&verified_line(&plan.report));
    if !written.is_empty() {
        let _ = writeln!(out, "Wrote {}", written.join(" and "));
    }
    out
}

/// `migration`: with `--current`, how the changes can be ordered
/// ([`super::migrate::migration_summary_json`]).
pub fn plan_json(plan: &Plan, migration: Option<serde_json::Value>) -> String {
    let (add, remove, moved) = totals(&plan.changes);
    let mut value = json!({
        "format_version": JSON_FORMAT_VERSION,
        "command": "plan",
        "status": "planned",
        "feasible": true,
        "stats": plan.stats,
        "changes": plan.changes,
        "totals": {"add": add, "remove": remove, "move": moved},
        "verified": plan.report.passed(),
        "scenarios": plan.report.scenarios,
    });
    if let Some(migration) = migration {
        value["migration"] = migration;
    }
    let mut text = serde_json::to_string_pretty(&value).expect("JSON values always serialize");
    text.push('\n');
    text
}

/// "Verified: every guarantee holds (6 scenarios for rack, power:50%)".
pub(crate) fn verified_line(report: &crate::verify::Report) -> String {
    format!(
        "Verified: every guarantee holds ({} scenarios for {})\n",
        report.scenarios,
        if report.words.is_empty() {
            "no survive words".to_string()
        } else {
            report.words.join(", ")
        }
    )
}

pub fn infeasible_human(explanation: &Explanation) -> String {
    let mut out = String::from("No placement satisfies the guarantees:\n");
    out.push_str(&infeasible_causes(explanation));
    out
}

/// The causes and notes of an explanation, one per line.
pub(crate) fn infeasible_causes(explanation: &Explanation) -> String {
    let mut out = String::new();
    for cause in &explanation.causes {
        let _ = writeln!(out, "  - {}", cause.message());
    }
    for note in &explanation.notes {
        let _ = writeln!(out, "note: {note}");
    }
    out
}

/// Each cause as JSON, with its message.
pub(crate) fn causes_json(explanation: &Explanation) -> serde_json::Value {
    let causes: Vec<serde_json::Value> = explanation
        .causes
        .iter()
        .map(|c| {
            let mut value = serde_json::to_value(c).expect("causes always serialize");
            if let Some(map) = value.as_object_mut() {
                map.insert("message".into(), json!(c.message()));
            }
            value
        })
        .collect();
    json!(causes)
}

pub fn infeasible_json(explanation: &Explanation) -> String {
    let mut text = serde_json::to_string_pretty(&json!({
        "format_version": JSON_FORMAT_VERSION,
        "command": "plan",
        "status": "infeasible",
        "feasible": false,
        "causes": causes_json(explanation),
        "notes": explanation.notes,
    }))
    .expect("JSON values always serialize");
    text.push('\n');
    text
}

pub fn not_found_human(not_found: &NotFound) -> String {
    let mut out = format!(
        "{} ({:.2} s); nothing was written. This is not a proof that none exists.\n",
        not_found.reason, not_found.seconds
    );
    if !not_found.violations.is_empty() {
        let _ = writeln!(out, "The closest placement found still breaks:");
        for f in not_found.violations.iter().take(10) {
            let _ = writeln!(out, "  - {}: {}", f.kind.code(), f.message);
        }
        if not_found.violations.len() > 10 {
            let _ = writeln!(out, "  … and {} more", not_found.violations.len() - 10);
        }
    }
    for suggestion in &not_found.suggestions {
        let _ = writeln!(out, "hint: {suggestion}");
    }
    out
}

pub fn not_found_json(not_found: &NotFound) -> String {
    let mut text = serde_json::to_string_pretty(&json!({
        "format_version": JSON_FORMAT_VERSION,
        "command": "plan",
        "status": "not_found",
        "feasible": null,
        "reason": not_found.reason,
        "seconds": not_found.seconds,
        "violations": not_found.violations,
        "suggestions": not_found.suggestions,
    }))
    .expect("JSON values always serialize");
    text.push('\n');
    text
}
