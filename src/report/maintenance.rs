//! Rendering maintenance verdicts.

use std::fmt::Write;

use serde_json::{json, Value};

use super::json::{pretty, JSON_FORMAT_VERSION};
use super::text::{keep_words, more, table, Width, FEW};
use crate::changes::Change;
use crate::inventory::{Inventory, Services};
use crate::maintenance::{Fix, Rule, Verdict};

fn change_text(change: &Change) -> String {
    match change {
        Change::Add { service, server } => format!("+ {service} on {server}"),
        Change::Remove { service, server } => format!("- {service} from {server}"),
        Change::Move { service, from, to } => format!("~ {service}: {from} -> {to}"),
    }
}

/// Changes of a fix listed before the rest are counted.
const FIX_CHANGES_SHOWN: usize = 5;

pub fn maintenance_human(
    verdicts: &[Verdict],
    inventory: &Inventory,
    rule: Rule,
    width: Width,
) -> String {
    let mut table = table(
        &["component", "kind", "can go down now", "why not / fix"],
        width,
    );
    // Many components: the ones that cannot go down, the first few.
    let cut = matches!(width, Width::Columns(_)) && verdicts.len() > 2 * FEW;
    let listed: Vec<&Verdict> = verdicts.iter().filter(|v| !cut || !v.safe()).collect();
    let (shown, left_out) = width.few(&listed, FEW);
    for v in shown {
        table.add_row(vec![
            inventory.name(v.component),
            v.kind.clone(),
            if v.safe() { "yes" } else { "no" }.to_string(),
            why_not(v, width),
        ]);
    }
    keep_words(&mut table, width);
    let unsafe_count = verdicts.iter().filter(|v| !v.safe()).count();
    let mut out = format!("{table}\n");
    if cut {
        let _ = writeln!(
            out,
            "The table lists {} of the {unsafe_count} that cannot go down{}",
            shown.len(),
            more(left_out)
        );
    }
    let _ = writeln!(
        out,
        "{} of {} can go down now ({}).",
        verdicts.len() - unsafe_count,
        verdicts.len(),
        rule_text(rule)
    );
    out
}

/// The first broken guarantee and the fix, one change a line (the first
/// few at this width).
fn why_not(v: &Verdict, width: Width) -> String {
    let Some(first) = v.errors.first() else {
        return String::new();
    };
    let mut text = crate::maintenance::brief(first);
    if v.errors.len() > 1 {
        let _ = write!(text, " (and {} more)", v.errors.len() - 1);
    }
    match &v.fix {
        Some(Fix::Found { changes, .. }) => {
            let _ = write!(
                text,
                "\nfix, {} change{}:",
                changes.len(),
                if changes.len() == 1 { "" } else { "s" },
            );
            let (shown, left_out) = width.few(changes, FIX_CHANGES_SHOWN);
            for change in shown {
                let _ = write!(text, "\n{}", change_text(change));
            }
            if left_out > 0 {
                let _ = write!(text, "\n… {left_out} more (--wide or --format json)");
            }
        }
        Some(Fix::NotFound { reason }) => {
            let _ = write!(text, "\nno fix: {reason}");
        }
        None => {}
    }
    text
}

fn rule_text(rule: Rule) -> &'static str {
    match rule {
        Rule::Guarantees => "rule guarantees: with it down, every guarantee still holds, each failure scenario of the survive words on top of it",
        Rule::Alone => "rule alone: with it down and nothing else failed, every service keeps min_replicas up and every power limit holds",
    }
}

pub fn maintenance_json(
    verdicts: &[Verdict],
    inventory: &Inventory,
    services: &Services,
    rule: Rule,
) -> String {
    let items: Vec<Value> = verdicts
        .iter()
        .map(|v| {
            let fix = match &v.fix {
                None => Value::Null,
                Some(Fix::Found { placement, changes }) => json!({
                    "found": true,
                    "changes": changes,
                    "placement": placement.replicas.iter().map(|r| json!({
                        "service": services.service(r.service).name,
                        "server": inventory.server(r.server).id,
                    })).collect::<Vec<_>>(),
                }),
                Some(Fix::NotFound { reason }) => json!({"found": false, "reason": reason}),
            };
            json!({
                "component": inventory.name(v.component),
                "kind": v.kind,
                "safe": v.safe(),
                "errors": v.errors,
                "fix": fix,
            })
        })
        .collect();
    pretty(json!({
        "format_version": JSON_FORMAT_VERSION,
        "command": "maintenance",
        "rule": rule,
        "rule_text": rule_text(rule),
        "components": items,
    }))
}
