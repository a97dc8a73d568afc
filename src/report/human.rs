//! Human output: tables for people at a terminal.

use std::fmt::Write;

use comfy_table::CellAlignment;

use super::context::CheckContext;
use super::text::{keep_words, more, num, table, Width, FEW};
use crate::scenarios::BlastRadius;
use crate::verify::{FindingKind, Report, Severity, Simulation};

/// Zero-margin services named in the summary line before "and N more".
const ZERO_MARGIN_NAMED: usize = 20;

/// Above this many scenarios `scenarios` lists the largest few and counts
/// the rest.
const SCENARIOS_SHOWN: usize = 25;

/// "1 service", "3 services".
fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// Above this many services the table lists only those with problems.
const FULL_TABLE_SERVICES: usize = 40;

pub fn check_human(report: &Report, context: &CheckContext, width: Width) -> String {
    let mut out = String::new();
    what_was_checked(&mut out, report, context);
    services_table(&mut out, report, width);
    let lines = finding_lines(report, width);
    if !lines.is_empty() {
        out.push('\n');
        for line in lines {
            let _ = writeln!(out, "{line}");
        }
    }
    let (errors, warnings) = (report.errors(), report.warnings());
    let _ = writeln!(
        out,
        "\n{}: {errors} error{}, {warnings} warning{}",
        if report.passed() { "PASSED" } else { "FAILED" },
        if errors == 1 { "" } else { "s" },
        if warnings == 1 { "" } else { "s" }
    );
    out
}

/// The fleet, the placement and the scenarios evaluated.
fn what_was_checked(out: &mut String, report: &Report, context: &CheckContext) {
    let _ = writeln!(
        out,
        "Checked {} against {} ({} servers, {} racks, {} power components; {} services, {} replicas)",
        context.placement,
        context.inventory,
        context.servers,
        context.racks,
        context.power_components,
        report.services.len(),
        context.replicas
    );
    let _ = writeln!(
        out,
        "Failure scenarios: {} evaluated for {}",
        report.scenarios,
        if report.words.is_empty() {
            "nothing (no survive words)".to_string()
        } else {
            report.words.join(", ")
        }
    );
}

/// Every service, or above [`FULL_TABLE_SERVICES`] only the failing ones and
/// a count.
fn services_table(out: &mut String, report: &Report, width: Width) {
    let failing = report.services.iter().filter(|s| !s.ok).count();
    let shown: Vec<_> = if report.services.len() <= FULL_TABLE_SERVICES {
        report.services.iter().collect()
    } else {
        report.services.iter().filter(|s| !s.ok).collect()
    };
    if !shown.is_empty() {
        let mut services = table(
            &[
                "service",
                "survive",
                "placed",
                "up",
                "needed",
                "worst case",
                "worst scenario",
                "status",
            ],
            width,
        );
        for s in shown {
            services.add_row(vec![
                s.service.clone(),
                s.survive.join(", "),
                s.placed.to_string(),
                s.up.to_string(),
                s.needed.to_string(),
                s.worst_up.to_string(),
                s.worst_scenario.clone().unwrap_or_else(|| "-".into()),
                if s.ok { "ok".into() } else { "FAIL".into() },
            ]);
        }
        for column in 2..6 {
            if let Some(c) = services.column_mut(column) {
                c.set_cell_alignment(CellAlignment::Right);
            }
        }
        keep_words(&mut services, width);
        let _ = writeln!(out, "\n{services}");
    }
    if report.services.len() > FULL_TABLE_SERVICES {
        let _ = writeln!(
            out,
            "{} services: {} ok, {failing} failing{}",
            report.services.len(),
            report.services.len() - failing,
            if failing > 0 {
                " (the table lists the failing ones)"
            } else {
                ""
            }
        );
    }
}

/// One line per finding, the zero-margin warnings gathered into one last line.
fn finding_lines(report: &Report, width: Width) -> Vec<String> {
    let mut zero_margin = Vec::new();
    let mut lines = Vec::new();
    for f in &report.findings {
        if let FindingKind::ZeroMargin { service, .. } = &f.kind {
            zero_margin.push(service.as_str());
            continue;
        }
        let at = match (&f.file, f.line) {
            (Some(file), Some(line)) => format!(" {file}:{line}:"),
            (Some(file), None) => format!(" {file}:"),
            _ => String::new(),
        };
        let severity = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        lines.push(format!("{severity}[{}]{at} {}", f.kind.code(), f.message));
    }
    if !zero_margin.is_empty() {
        lines.push(zero_margin_line(&zero_margin, width));
    }
    lines
}

fn zero_margin_line(zero_margin: &[&str], width: Width) -> String {
    let (shown, left_out) = width.few(zero_margin, ZERO_MARGIN_NAMED);
    let named = format!("{}{}", shown.join(", "), more(left_out));
    format!(
        "warning[zero-margin] {} keep{} exactly min_replicas in {} worst scenario (one more failure breaches): {named}",
        plural(zero_margin.len(), "service"),
        if zero_margin.len() == 1 { "s" } else { "" },
        if zero_margin.len() == 1 { "its" } else { "their" },
    )
}

/// Every scenario's blast radius, largest first (above [`SCENARIOS_SHOWN`]
/// at this width, the largest and a count), and how many are sole power
/// feeds (one power component that takes servers down). Those are not
/// single points of failure: without a placement nothing says whether a
/// service relies on those servers.
pub fn scenarios_human(radii: &[BlastRadius], vacuous: &[String], width: Width) -> String {
    let mut out = String::new();
    let mut rows = table(
        &[
            "scenario",
            "servers down",
            "cpu lost",
            "power lost",
            "power off",
            "note",
        ],
        width,
    );
    let (shown, left_out) = width.few(radii, SCENARIOS_SHOWN);
    for r in shown {
        rows.add_row(vec![
            r.scenario.clone(),
            r.servers_down.to_string(),
            format!("{}%", num(100.0 * r.cpu_share)),
            format!("{}%", num(100.0 * r.power_share)),
            r.power_components_off.to_string(),
            if r.sole_power_feed {
                "sole feed".into()
            } else {
                String::new()
            },
        ]);
    }
    for column in 1..5 {
        if let Some(c) = rows.column_mut(column) {
            c.set_cell_alignment(CellAlignment::Right);
        }
    }
    keep_words(&mut rows, width);
    let _ = writeln!(out, "{rows}");
    if left_out > 0 {
        let _ = writeln!(
            out,
            "{} largest of {}{}",
            shown.len(),
            plural(radii.len(), "scenario"),
            more(left_out)
        );
    }
    for warning in vacuous {
        let _ = writeln!(out, "warning[single-point-of-failure] {warning}");
    }
    let alone = radii.iter().filter(|r| r.sole_power_feed).count();
    let _ = writeln!(
        out,
        "{}, {}",
        plural(radii.len(), "scenario"),
        plural(alone, "sole power feed")
    );
    out
}

/// Every service, or above [`FULL_TABLE_SERVICES`] at this width those that
/// lose replicas (the ones down first, the first few) and a count.
fn simulated_services(out: &mut String, simulation: &Simulation, width: Width) {
    let all = &simulation.services;
    let cut = matches!(width, Width::Columns(_)) && all.len() > FULL_TABLE_SERVICES;
    let mut rows: Vec<_> = if cut {
        all.iter().filter(|s| s.up_after < s.up_before).collect()
    } else {
        all.iter().collect()
    };
    rows.sort_by_key(|s| s.ok && cut);
    let (shown, left_out) = width.few(&rows, 2 * FEW);
    let mut services = table(
        &["service", "needed", "up before", "up after", "status"],
        width,
    );
    for s in shown {
        services.add_row(vec![
            s.service.clone(),
            s.needed.to_string(),
            s.up_before.to_string(),
            s.up_after.to_string(),
            if s.ok { "ok".into() } else { "DOWN".into() },
        ]);
    }
    let _ = writeln!(out, "\n{services}");
    if cut {
        let _ = writeln!(
            out,
            "{} of {} services lose replicas{}",
            rows.len(),
            all.len(),
            more(left_out)
        );
    }
}

pub fn simulate_human(simulation: &Simulation, width: Width) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Failing {}: {} servers down, {} power components off",
        simulation.failed.join(", "),
        simulation.servers_down.len(),
        simulation.power_off.len()
    );
    simulated_services(&mut out, simulation, width);
    if !simulation.power.is_empty() {
        let mut power = table(
            &[
                "power component",
                "kind",
                "load before (W)",
                "load after (W)",
                "limit (W)",
                "status",
            ],
            width,
        );
        for p in &simulation.power {
            power.add_row(vec![
                p.component.clone(),
                p.kind.clone(),
                num(p.before_w),
                num(p.after_w),
                num(p.limit_w),
                if !p.powered {
                    "off".into()
                } else if p.overloaded {
                    "OVERLOAD".into()
                } else {
                    "ok".into()
                },
            ]);
        }
        let _ = writeln!(out, "\n{power}");
    }
    let down = simulation.services.iter().filter(|s| !s.ok).count();
    let overloaded = simulation.power.iter().filter(|p| p.overloaded).count();
    let _ = writeln!(
        out,
        "\n{}: {down} service{} below min_replicas, {overloaded} power component{} overloaded",
        if simulation.passed() {
            "SURVIVES"
        } else {
            "FAILS"
        },
        if down == 1 { "" } else { "s" },
        if overloaded == 1 { "" } else { "s" }
    );
    out
}
