//! Rendering `capacity` without growth: the fleet's margins (guaranteed
//! capacity per family, each service's headroom and what limits it, and with
//! a placement its power loads and single points of failure).

use std::fmt::Write;

use serde_json::json;

use super::json::JSON_FORMAT_VERSION;
use super::text::{keep_words, more, num, table, Width, FEW};
use comfy_table::Table;

use crate::capacity::{Base, Headroom, Limit, Margins, PlacementMargins, PowerLoad, SearchEnd};

/// The human answer to `capacity` without growth: guaranteed capacity per
/// family, each service's headroom with what limits it, and with a
/// placement its power loads and single points of failure.
pub fn margins_human(m: &Margins, placement: Option<&str>, width: Width) -> String {
    let mut out = String::from(
        "Guaranteed capacity: what is left after the worst scenario of each family (cpu, mem_gb: active servers; power_w: root components' limits)\n",
    );
    let mut t = guaranteed_table(m, width);
    keep_words(&mut t, width);
    let _ = writeln!(out, "{t}\n");
    let _ = writeln!(out, "{}", base_line(&m.base));
    headroom_section(&mut out, m, width);
    out.push_str(
        "headroom: how many more replicas (min_replicas + k, max_replicas + k, others unchanged) keep every guarantee; \
         \"≥\" is proven by a placement check accepts, \"≤\" by the limit shown.\n",
    );
    if let (Some(p), Some(name)) = (&m.placement, placement) {
        let _ = writeln!(
            out,
            "\nPower components under {name} ({}):",
            if p.passed {
                "it passes check".to_string()
            } else {
                format!("it BREAKS {} guarantee(s): see check", p.errors)
            }
        );
        power_section(&mut out, p, width);
        single_points_lines(&mut out, p, width);
    }
    out
}

fn guaranteed_table(m: &Margins, width: Width) -> Table {
    let mut t = table(
        &[
            "family",
            "resource",
            "raw",
            "guaranteed",
            "stranded",
            "worst scenario",
        ],
        width,
    );
    for f in &m.families {
        t.add_row(vec![
            f.family.clone(),
            f.resource.to_string(),
            num(f.raw),
            num(f.guaranteed),
            num(f.stranded),
            f.worst_scenario.clone().unwrap_or_else(|| "-".into()),
        ]);
    }
    t
}

/// Every service's headroom, or at this width, when there are many, the
/// few with the least (the ones that limit growth first) and a count.
fn headroom_section(out: &mut String, m: &Margins, width: Width) {
    let mut shown: Vec<&Headroom> = m.services.iter().collect();
    let left_out = match width {
        Width::Columns(_) if shown.len() > 2 * FEW => {
            shown.sort_by_key(|h| h.upper);
            shown.truncate(FEW);
            // Back in services.toml order, as the full table lists them.
            shown.sort_by_key(|h| m.services.iter().position(|s| std::ptr::eq(s, *h)));
            m.services.len() - FEW
        }
        _ => 0,
    };
    let mut t = table(
        &[
            "service",
            "min_replicas",
            "headroom",
            "growth factor",
            "limited by (proof of the upper bound)",
            "search",
        ],
        width,
    );
    for h in &shown {
        t.add_row(vec![
            h.service.clone(),
            h.min_replicas.to_string(),
            headroom_text(h),
            factor_text(h),
            limit_text(&h.limit, width),
            search_text(h.search).to_string(),
        ]);
    }
    keep_words(&mut t, width);
    let _ = writeln!(out, "{t}");
    if left_out > 0 {
        let _ = writeln!(
            out,
            "The {} of {} services with the least headroom{}",
            shown.len(),
            m.services.len(),
            more(left_out)
        );
    }
}

/// Every power component, or at this width, when there are many, the few
/// most loaded under failover and a count.
fn power_section(out: &mut String, p: &PlacementMargins, width: Width) {
    let ratio = |l: &PowerLoad| {
        if l.limit_w > 0.0 {
            l.worst_w / l.limit_w
        } else {
            0.0
        }
    };
    let mut shown: Vec<usize> = (0..p.power.len()).collect();
    let left_out = match width {
        Width::Columns(_) if shown.len() > 2 * FEW => {
            shown.sort_by(|&a, &b| ratio(&p.power[b]).total_cmp(&ratio(&p.power[a])));
            shown.truncate(FEW);
            shown.sort_unstable();
            p.power.len() - FEW
        }
        _ => 0,
    };
    let mut t = power_table(shown.iter().map(|&i| &p.power[i]), width);
    keep_words(&mut t, width);
    let _ = writeln!(out, "{t}");
    if left_out > 0 {
        let _ = writeln!(
            out,
            "The {} of {} power components most loaded under failover{}",
            shown.len(),
            p.power.len(),
            more(left_out)
        );
    }
}

/// The placement's power components: normal and worst load against the limit.
fn power_table<'a>(loads: impl Iterator<Item = &'a PowerLoad>, width: Width) -> Table {
    let mut t = table(
        &[
            "component",
            "kind",
            "datacenter",
            "limit W",
            "normal W",
            "worst W",
            "worst / limit",
            "worst scenario",
        ],
        width,
    );
    for l in loads {
        t.add_row(vec![
            l.component.clone(),
            l.kind.clone(),
            l.datacenter.clone(),
            num(l.limit_w),
            num(l.normal_w),
            format!("{}{}", if l.exact { "" } else { "≤ " }, num(l.worst_w)),
            if l.limit_w > 0.0 {
                format!("{}%", num(100.0 * l.worst_w / l.limit_w))
            } else {
                "-".into()
            },
            l.worst_scenario.clone().unwrap_or_else(|| "-".into()),
        ]);
    }
    t
}

fn single_points_lines(out: &mut String, p: &PlacementMargins, width: Width) {
    if p.single_points.is_empty() {
        out.push_str("\nSingle points of failure: none (no rack, power component or server alone breaks a service)\n");
        return;
    }
    let _ = writeln!(
        out,
        "\nSingle points of failure ({}): each alone leaves a service below min_replicas",
        p.single_points.len()
    );
    let (shown, left_out) = width.few(&p.single_points, FEW);
    for s in shown {
        let (breaks, more_services) = width.few(&s.breaks, 3);
        let breaks: Vec<String> = breaks
            .iter()
            .map(|(service, up, needed)| format!("{service} {up}/{needed} up"))
            .collect();
        let _ = writeln!(
            out,
            "  - {} {}: {}{}",
            s.kind,
            s.component,
            breaks.join(", "),
            if more_services > 0 {
                format!(" and {more_services} more")
            } else {
                String::new()
            }
        );
    }
    if left_out > 0 {
        let _ = writeln!(out, "  {}", more(left_out).trim_start());
    }
}

fn base_line(base: &Base) -> String {
    match base {
        Base::Given => "Headroom per service (lower bounds from the given placement, which passes check, and the planner's placements):".into(),
        Base::Planned => "Headroom per service (lower bounds from placements the planner found and check accepted):".into(),
        Base::Infeasible { causes } => format!(
            "TODAY'S DEMAND DOES NOT FIT (proven): {}\nHeadroom per service (upper bounds only):",
            causes.join("; ")
        ),
        Base::NotFound { reason } => format!(
            "No placement of today's demand was found ({reason}); nothing is proven to fit, so no lower bounds.\nHeadroom per service (upper bounds only):"
        ),
    }
}

fn headroom_text(h: &Headroom) -> String {
    match (h.lower, h.upper) {
        (_, -1) => "none: min_replicas cannot be kept today".into(),
        (Some(l), u) if i64::from(l) == u => l.to_string(),
        (Some(l), u) => format!("≥ {l}, ≤ {u}"),
        (None, u) => format!("≤ {u}"),
    }
}

fn factor_text(h: &Headroom) -> String {
    let x = |f: f64| format!("×{:.2}", f);
    match (h.factor_lower, h.factor_upper) {
        (_, None) => "-".into(),
        (Some(l), Some(_)) if h.lower.map(i64::from) == Some(h.upper) => x(l),
        (Some(l), Some(u)) => format!("{} – {}", x(l), x(u)),
        (None, Some(u)) => format!("≤ {}", x(u)),
    }
}

fn search_text(end: SearchEnd) -> &'static str {
    match end {
        SearchEnd::Exact => "exact",
        SearchEnd::TimeLimit => "time limit",
        SearchEnd::Undecided => "undecided",
        SearchEnd::NoBase => "no placement today",
    }
}

fn limit_text(limit: &Limit, width: Width) -> String {
    let labelled = |n: usize, requires: &[String]| {
        let servers = if n == 1 { "server" } else { "servers" };
        if requires.is_empty() {
            format!("{n} eligible {servers}")
        } else {
            format!("{n} eligible {servers} (with {})", requires.join(", "))
        }
    };
    match limit {
        Limit::Servers {
            fit,
            eligible_servers,
            requires,
            per_server,
        } => format!(
            "its {} hold {fit} replicas (each capped by {per_server})",
            labelled(*eligible_servers, requires)
        ),
        Limit::Scenario {
            scenario,
            fit_outside,
            eligible_servers,
            eligible_down,
            requires,
            per_server,
        } => format!(
            "{scenario} takes down {eligible_down} of its {}; the rest hold {fit_outside} replicas (each capped by {per_server})",
            labelled(*eligible_servers, requires)
        ),
        Limit::Fleet {
            resource,
            total,
            others,
            per_replica,
        } => format!(
            "the fleet's {} {resource}: the other services' min_replicas take {}, {} per replica",
            num(*total),
            num(*others),
            num(*per_replica)
        ),
        Limit::Planner { causes } => {
            let (shown, left_out) = width.few(causes, 2);
            format!(
                "the planner proves one more infeasible: {}{}",
                shown.join("; "),
                more(left_out)
            )
        }
    }
}

/// `capacity --format json` without growth: the same numbers, fields in
/// docs/formats.md, in inventory and services.toml order.
pub fn margins_json(m: &Margins) -> String {
    let placement = m.placement.as_ref().map(|p| {
        json!({
            "passed": p.passed,
            "errors": p.errors,
            "power": p.power,
            "single_points": p.single_points.iter().map(|s| json!({
                "component": s.component,
                "kind": s.kind,
                "breaks": s.breaks.iter().map(|(service, up, needed)| json!({
                    "service": service,
                    "up": up,
                    "min_replicas": needed,
                })).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        })
    });
    let value = json!({
        "format_version": JSON_FORMAT_VERSION,
        "command": "capacity",
        "report": "margins",
        "guaranteed": m.families,
        "base": m.base,
        "headroom": m.services,
        "placement": placement,
    });
    let mut text = serde_json::to_string_pretty(&value).expect("JSON values always serialize");
    text.push('\n');
    text
}
