//! Rendering `capacity --catalog`: what to buy, as a table, as servers.csv
//! rows and as JSON, and the verified placement that uses it.

use std::fmt::Write;

use serde_json::json;

use super::growth::growth_table;
use super::json::JSON_FORMAT_VERSION;
use super::plan::{infeasible_causes, verified_line};
use super::text::{num, table, Width};
use crate::capacity::{Answer, Bought, NewServer};
use crate::inventory::Grown;
use crate::plan::PlanError;

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
    let mut t = table(
        &["new server", "rack", "model", "psu", "position", "price"],
        Width::default(),
    );
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
        Answer::Buy(bought) => bought_lines(&mut out, bought),
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

/// What to buy, how sure the price is, how it was found, and the placement
/// on the fleet with the purchase.
fn bought_lines(out: &mut String, bought: &Bought) {
    let _ = writeln!(
        out,
        "Buy {} server{} for {} ({}):",
        bought.servers.len(),
        if bought.servers.len() == 1 { "" } else { "s" },
        num(bought.price),
        price_claim(bought)
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
        Ok(plan) => fits_lines(out, plan, " with the purchase"),
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

/// How far the price is proven: cheapest, or the lower bound and gap.
fn price_claim(bought: &Bought) -> String {
    if bought.cheapest {
        "cheapest: no purchase that works costs less (a proven lower bound reaches its price)"
            .to_string()
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
    }
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
