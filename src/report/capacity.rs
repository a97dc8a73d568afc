//! Rendering `capacity`: the grown demand and whether it fits, what to buy,
//! and the fleet's margins.

use std::fmt::Write;

use serde_json::json;

use super::json::JSON_FORMAT_VERSION;
use super::plan::{infeasible_causes, verified_line};
use super::{num, table};
use crate::capacity::{Answer, Base, GrowthFit, Headroom, Limit, Margins, NewServer, SearchEnd};
use crate::inventory::Grown;
use crate::plan::PlanError;

fn growth_table(grown: &[Grown]) -> String {
    let mut t = table(&["service", "factor", "min_replicas", "max_replicas"]);
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
            map.insert("causes".into(), super::plan::causes_json(explanation));
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

/// The purchase as servers.csv rows (FORMATS.md), ready to append.
pub fn purchase_csv(servers: &[NewServer]) -> String {
    let mut writer = csv::WriterBuilder::new().from_writer(Vec::new());
    let header = [
        "id", "rack", "cpu", "mem_gb", "psu", "idle_w", "max_w", "labels", "model", "position",
        "u_height",
    ];
    writer
        .write_record(header)
        .expect("writing CSV to memory cannot fail");
    for s in servers {
        writer
            .write_record([
                s.id.clone(),
                s.rack.clone(),
                s.cpu.to_string(),
                s.mem_gb.to_string(),
                s.psu.join(";"),
                s.idle_w.to_string(),
                s.max_w.to_string(),
                s.labels.join(";"),
                s.model.clone(),
                s.position.map(|p| p.to_string()).unwrap_or_default(),
                s.u_height.to_string(),
            ])
            .expect("writing CSV to memory cannot fail");
    }
    String::from_utf8(writer.into_inner().expect("flushing to memory cannot fail"))
        .expect("CSV of UTF-8 ids is UTF-8")
}

fn purchase_table(servers: &[NewServer]) -> String {
    let mut t = table(&["new server", "rack", "model", "psu", "position", "price"]);
    for s in servers {
        t.add_row(vec![
            s.id.clone(),
            s.rack.clone(),
            s.model.clone(),
            s.psu.join(";"),
            s.position.map(|p| p.to_string()).unwrap_or_default(),
            num(s.price),
        ]);
    }
    t.to_string()
}

fn fits_lines(out: &mut String, plan: &crate::plan::Plan, what: &str) {
    let _ = writeln!(
        out,
        "FITS{what}: {} replicas ({} cores, {} GB) keep every guarantee",
        plan.stats.replicas,
        num(plan.stats.reserved_cpu),
        num(plan.stats.reserved_mem_gb)
    );
    out.push_str(&verified_line(&plan.report));
}

/// The human answer to `--catalog`: what to buy, and the verified placement
/// that uses it.
pub fn purchase_human(grown: &[Grown], answer: &Answer, written: &[String]) -> String {
    let mut out = String::new();
    if grown.iter().any(|g| g.factor != 1.0) {
        out.push_str("Grown demand (min_replicas × factor, rounded up):\n");
        let _ = writeln!(out, "{}\n", growth_table(grown));
    }
    match answer {
        Answer::NothingToBuy(plan) => {
            out.push_str("Nothing to buy: the demand fits the inventory as it is.\n");
            fits_lines(&mut out, plan, "");
        }
        Answer::Buy(bought) => {
            let claim = if bought.cheapest {
                "cheapest: no purchase that works costs less (a proven lower bound reaches its price)".to_string()
            } else if bought.outcome.is_err() {
                format!(
                    "the exact model's choice; every purchase that works costs at least {}",
                    num(bought.bound)
                )
            } else if bought.bound > 0.0 {
                format!(
                    "not proven cheapest: every purchase that works costs at least {} (gap {}%)",
                    num(bought.bound),
                    num(crate::verify::round(100.0 * bought.gap()))
                )
            } else {
                "not proven cheapest: no lower bound above 0 was proven in time".to_string()
            };
            let _ = writeln!(
                out,
                "Buy {} server{} for {} ({claim}):",
                bought.servers.len(),
                if bought.servers.len() == 1 { "" } else { "s" },
                num(bought.price)
            );
            let _ = writeln!(out, "{}", purchase_table(&bought.servers));
            let _ = writeln!(
                out,
                "Found by {}.\n",
                match bought.found_by {
                    "constructive" => "the constructive search (servers added where the planner fell short, then taken back while it still plans)",
                    _ => "the exact model with servers for sale",
                }
            );
            match &bought.outcome {
                Ok(plan) => fits_lines(&mut out, plan, " with the purchase"),
                Err(PlanError::Infeasible(explanation)) => {
                    out.push_str("but the planner proves that no placement on the fleet with these servers keeps every guarantee (the model is a relaxation):\n");
                    out.push_str(&infeasible_causes(explanation));
                }
                Err(PlanError::NotFound(not_found)) => {
                    let _ = writeln!(
                        out,
                        "but no placement on the fleet with these servers was found: {} ({:.2} s). Nothing is claimed.",
                        not_found.reason, not_found.seconds
                    );
                }
            }
        }
        Answer::Impossible { candidates } => {
            let _ = writeln!(
                out,
                "NO PURCHASE HELPS: no set of catalog servers within the racks' free units and max_count makes the demand plannable (proven by the exact model over {candidates} servers for sale)"
            );
        }
        Answer::Unknown { why, bound } => {
            let _ = writeln!(
                out,
                "UNDECIDED: no purchase found: {why}. This is not a proof that none exists."
            );
            if *bound > 0.0 {
                let _ = writeln!(
                    out,
                    "Any purchase that makes the demand plannable costs at least {} (proven bound).",
                    num(*bound)
                );
            }
        }
    }
    if !written.is_empty() {
        let _ = writeln!(out, "Wrote {}", written.join(" and "));
    }
    out
}

pub fn purchase_json(grown: &[Grown], answer: &Answer) -> String {
    let value = match answer {
        Answer::NothingToBuy(plan) => json!({
            "status": "nothing_to_buy",
            "stats": plan.stats,
            "verified": plan.report.passed(),
        }),
        Answer::Buy(bought) => {
            let status = match &bought.outcome {
                Ok(_) => "buy",
                Err(PlanError::Infeasible(_)) => "purchase_infeasible",
                Err(PlanError::NotFound(_)) => "not_found",
            };
            json!({
                "status": status,
                "servers": bought.servers,
                "price": bought.price,
                "bound": bought.bound,
                "cheapest": bought.cheapest,
                "gap": bought.gap(),
                "found_by": bought.found_by,
                "verified": bought.outcome.as_ref().is_ok_and(|p| p.report.passed()),
                "stats": bought.outcome.as_ref().ok().map(|p| &p.stats),
            })
        }
        Answer::Impossible { candidates } => json!({
            "status": "impossible",
            "servers_for_sale": candidates,
        }),
        Answer::Unknown { why, bound } => {
            json!({"status": "not_found", "reason": why, "bound": bound})
        }
    };
    let mut value = value;
    let map = value.as_object_mut().expect("an object");
    map.insert("format_version".into(), json!(JSON_FORMAT_VERSION));
    map.insert("command".into(), json!("capacity"));
    map.insert("growth".into(), json!(grown));
    let mut text = serde_json::to_string_pretty(&value).expect("JSON values always serialize");
    text.push('\n');
    text
}

/// The human answer to `capacity` without growth: guaranteed capacity per
/// family, each service's headroom with what limits it, and with a
/// placement its power loads and single points of failure.
pub fn margins_human(m: &Margins, placement: Option<&str>) -> String {
    let mut out = String::from(
        "Guaranteed capacity: what is left after the worst scenario of each family (cpu, mem_gb: active servers; power_w: root components' limits)\n",
    );
    let mut t = table(&[
        "family",
        "resource",
        "raw",
        "guaranteed",
        "stranded",
        "worst scenario",
    ]);
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
    let _ = writeln!(out, "{t}\n");
    let _ = writeln!(out, "{}", base_line(&m.base));
    let mut t = table(&[
        "service",
        "min_replicas",
        "headroom",
        "growth factor",
        "limited by (proof of the upper bound)",
        "search",
    ]);
    t.set_content_arrangement(comfy_table::ContentArrangement::Dynamic)
        .set_width(150);
    for h in &m.services {
        t.add_row(vec![
            h.service.clone(),
            h.min_replicas.to_string(),
            headroom_text(h),
            factor_text(h),
            limit_text(&h.limit),
            search_text(h.search).to_string(),
        ]);
    }
    let _ = writeln!(out, "{t}");
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
        let mut t = table(&[
            "component",
            "kind",
            "datacenter",
            "limit W",
            "normal W",
            "worst W",
            "worst / limit",
            "worst scenario",
        ]);
        for l in &p.power {
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
        let _ = writeln!(out, "{t}");
        if p.single_points.is_empty() {
            out.push_str("\nSingle points of failure: none (no rack, power component or server alone breaks a service)\n");
        } else {
            let _ = writeln!(
                out,
                "\nSingle points of failure ({}): each alone leaves a service below min_replicas",
                p.single_points.len()
            );
            for s in &p.single_points {
                let breaks: Vec<String> = s
                    .breaks
                    .iter()
                    .map(|(service, up, needed)| format!("{service} {up}/{needed} up"))
                    .collect();
                let _ = writeln!(out, "  - {} {}: {}", s.kind, s.component, breaks.join(", "));
            }
        }
    }
    out
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

fn limit_text(limit: &Limit) -> String {
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
        Limit::Planner { causes } => format!("the planner proves one more infeasible: {}", causes.join("; ")),
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
