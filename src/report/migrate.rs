//! Rendering a migration: its waves (human, JSON, an Ansible playbook order)
//! or what blocks it.

use std::fmt::Write;

use serde_json::{json, Value};

use super::json::{pretty, JSON_FORMAT_VERSION};
use super::text::{more, num, table, Width, FEW};
use crate::changes::{Action, Step};
use crate::inventory::{Inventory, Services};
use crate::migrate::{Blocked, Limit, Migration, Violation};

fn sign(step: &Step) -> &'static str {
    match (step.action, step.temporary) {
        (Action::Add, false) => "+ add",
        (Action::Add, true) => "+ add (temporary)",
        (Action::Remove, false) => "- remove",
        (Action::Remove, true) => "- remove (temporary)",
    }
}

fn step_json(step: &Step, inventory: &Inventory, services: &Services) -> Value {
    json!({
        "action": step.action,
        "service": services.service(step.service).name,
        "server": inventory.server(step.server).id,
        "temporary": step.temporary,
    })
}

/// Every change, wave by wave; at this width, the first few and a count.
fn waves_table(
    waves: &[Vec<Step>],
    inventory: &Inventory,
    services: &Services,
    width: Width,
) -> String {
    let mut table = table(&["wave", "change", "service", "server", "rack"], width);
    let steps: Vec<(usize, &Step)> = waves
        .iter()
        .enumerate()
        .flat_map(|(w, wave)| wave.iter().map(move |step| (w + 1, step)))
        .collect();
    let (shown, left_out) = width.few(&steps, 2 * FEW);
    for (wave, step) in shown {
        let server = inventory.server(step.server);
        table.add_row(vec![
            wave.to_string(),
            sign(step).to_string(),
            services.service(step.service).name.clone(),
            server.id.clone(),
            inventory.rack(server.rack).id.clone(),
        ]);
    }
    if left_out > 0 {
        format!(
            "{table}\nThe first {} of {} changes{}\n",
            shown.len(),
            steps.len(),
            more(left_out)
        )
    } else {
        format!("{table}\n")
    }
}

fn count(waves: &[Vec<Step>], action: Action) -> usize {
    waves
        .iter()
        .flatten()
        .filter(|s| s.action == action)
        .count()
}

pub fn migrate_human(
    migration: &Migration,
    inventory: &Inventory,
    services: &Services,
    width: Width,
) -> String {
    let waves = &migration.waves;
    let mut out = String::new();
    if waves.is_empty() {
        out.push_str("Nothing to change: the placements are the same.\n");
        return out;
    }
    out.push_str(&waves_table(waves, inventory, services, width));
    let _ = writeln!(
        out,
        "{} waves, {} changes ({} to add, {} to remove); no step is less safe than the current or the target placement ({} placements checked)",
        waves.len(),
        waves.iter().map(Vec::len).sum::<usize>(),
        count(waves, Action::Add),
        count(waves, Action::Remove),
        migration.checks
    );
    out
}

pub fn migrate_json(migration: &Migration, inventory: &Inventory, services: &Services) -> String {
    let waves = &migration.waves;
    pretty(json!({
        "format_version": JSON_FORMAT_VERSION,
        "command": "migrate",
        "status": "safe",
        "waves": waves_json(waves, inventory, services),
        "changes": waves.iter().map(Vec::len).sum::<usize>(),
        "adds": count(waves, Action::Add),
        "removes": count(waves, Action::Remove),
        "checks": migration.checks,
    }))
}

fn waves_json(waves: &[Vec<Step>], inventory: &Inventory, services: &Services) -> Value {
    waves
        .iter()
        .map(|w| {
            w.iter()
                .map(|s| step_json(s, inventory, services))
                .collect::<Vec<_>>()
        })
        .collect()
}

fn limit_text(limit: &Limit) -> String {
    match limit {
        Limit::Cpu { server } => format!("cpu of server {server}"),
        Limit::Mem { server } => format!("memory of server {server}"),
        Limit::MaxPerServer { service, server } => {
            format!("max_per_server of {service} on {server}")
        }
        Limit::PowerNormal { component } => format!("load of {component} in normal operation"),
        Limit::PowerFailover { component } => format!("load of {component} under failover"),
        Limit::PowerUnproven { component } => {
            format!("load of {component} under failover (unproven)")
        }
    }
}

/// What would unblock it, when a number says so: spare cores or memory.
fn unblock(violation: &Violation) -> Option<String> {
    match violation {
        Violation::Over {
            limit: Limit::Cpu { server },
            value,
            allowed,
        } => Some(format!("{} more cores on {server}", num(value - allowed))),
        Violation::Over {
            limit: Limit::Mem { server },
            value,
            allowed,
        } => Some(format!(
            "{} more GB of memory on {server}",
            num(value - allowed)
        )),
        Violation::Over {
            limit: Limit::PowerNormal { component } | Limit::PowerFailover { component },
            value,
            allowed,
        } => Some(format!(
            "{} W more headroom on {component}",
            num(value - allowed)
        )),
        Violation::Fewer { service, .. } => Some(format!(
            "another replica of {service} first (a spare server: --allow-temporary)"
        )),
        _ => None,
    }
}

fn violation_text(violation: &Violation) -> String {
    match violation {
        Violation::Fewer {
            service,
            word,
            up,
            floor,
        } => format!(
            "{service} would keep {up} replicas up {} (both placements keep {floor})",
            match word {
                Some(word) => format!("under {word}"),
                None => "with nothing failed".to_string(),
            }
        ),
        Violation::Over {
            limit,
            value,
            allowed,
        } => format!(
            "{} would reach {} (allowed {})",
            limit_text(limit),
            num(*value),
            num(*allowed)
        ),
    }
}

fn violation_json(violation: &Violation) -> Value {
    match violation {
        Violation::Fewer {
            service,
            word,
            up,
            floor,
        } => {
            json!({"kind": "fewer-replicas", "service": service, "word": word, "up": up, "floor": floor})
        }
        Violation::Over {
            limit,
            value,
            allowed,
        } => json!({
            "kind": "over-limit",
            "limit": limit_text(limit),
            "value": value,
            "allowed": allowed,
            "unblock": unblock(violation),
        }),
    }
}

pub fn blocked_human(
    blocked: &Blocked,
    inventory: &Inventory,
    services: &Services,
    width: Width,
) -> String {
    let mut out = String::new();
    if blocked.proven {
        out.push_str(
            "No safe order exists: every order of these changes was tried, and each passes through a placement less safe than both the current and the target one.\n",
        );
    } else {
        out.push_str(
            "No safe order found (the search gave up; this is not a proof that none exists).\n",
        );
    }
    if !blocked.waves.is_empty() {
        let _ = writeln!(out, "\nSafe waves before it gets stuck:");
        out.push_str(&waves_table(&blocked.waves, inventory, services, width));
    }
    let _ = writeln!(out, "\nBlocked changes:");
    let (shown, left_out) = width.few(&blocked.blocked, FEW);
    for b in shown {
        let _ = writeln!(
            out,
            "  {} {} on {}",
            sign(&b.step),
            services.service(b.step.service).name,
            inventory.server(b.step.server).id
        );
        for why in &b.why {
            let _ = writeln!(out, "      {}", violation_text(why));
            if let Some(fix) = unblock(why) {
                let _ = writeln!(out, "      needs: {fix}");
            }
        }
    }
    if left_out > 0 {
        let _ = writeln!(out, "  {}", more(left_out).trim_start());
    }
    out
}

pub fn blocked_json(blocked: &Blocked, inventory: &Inventory, services: &Services) -> String {
    pretty(json!({
        "format_version": JSON_FORMAT_VERSION,
        "command": "migrate",
        "status": "blocked",
        "proven": blocked.proven,
        "waves": waves_json(&blocked.waves, inventory, services),
        "blocked": blocked.blocked.iter().map(|b| {
            let mut step = step_json(&b.step, inventory, services);
            step["why"] = b.why.iter().map(violation_json).collect();
            step
        }).collect::<Vec<_>>(),
        "checks": blocked.checks,
    }))
}

/// The line `plan --current` prints about ordering its changes.
pub fn migration_summary_human(outcome: &Result<Migration, Blocked>) -> String {
    match outcome {
        Ok(m) if m.waves.is_empty() => String::new(),
        Ok(m) => format!(
            "Migration: {} waves of at most one change, none less safe than the current or the planned placement (`faultplan migrate` lists them)\n",
            m.waves.len()
        ),
        Err(b) if b.proven => "Migration: no order of these changes is safe one at a time; `faultplan migrate --allow-temporary` may find stepping stones\n".to_string(),
        Err(_) => "Migration: no safe order found within the search limit (not a proof); see `faultplan migrate`\n".to_string(),
    }
}

pub fn migration_summary_json(outcome: &Result<Migration, Blocked>) -> Value {
    match outcome {
        Ok(m) => json!({"status": "safe", "waves": m.waves.len()}),
        Err(b) => json!({"status": "blocked", "proven": b.proven}),
    }
}

/// One play per wave, in order, on the wave's servers; the changes are play
/// variables for the deploy roles to act on (`faultplan_changes`).
pub fn migrate_ansible(
    migration: &Migration,
    inventory: &Inventory,
    services: &Services,
) -> String {
    let mut out = String::from(
        "# faultplan migrate: run the plays in order; each waits for the one before.\n",
    );
    if migration.waves.is_empty() {
        out.push_str("[]\n");
        return out;
    }
    for (w, wave) in migration.waves.iter().enumerate() {
        let mut hosts: Vec<&str> = wave
            .iter()
            .map(|s| inventory.server(s.server).id.as_str())
            .collect();
        hosts.dedup();
        let _ = writeln!(
            out,
            "- name: {}",
            yaml_string(&format!("faultplan wave {}", w + 1))
        );
        let _ = writeln!(out, "  hosts: {}", yaml_string(&hosts.join(":")));
        out.push_str("  gather_facts: false\n  vars:\n");
        let _ = writeln!(out, "    faultplan_wave: {}", w + 1);
        out.push_str("    faultplan_changes:\n");
        for step in wave {
            let _ = writeln!(
                out,
                "      - {{action: {}, service: {}, server: {}, temporary: {}}}",
                match step.action {
                    Action::Add => "add",
                    Action::Remove => "remove",
                },
                yaml_string(&services.service(step.service).name),
                yaml_string(&inventory.server(step.server).id),
                step.temporary
            );
        }
        out.push_str("  tasks:\n");
        out.push_str("    - name: changes of this wave on this host\n");
        out.push_str("      ansible.builtin.debug:\n");
        out.push_str("        msg: \"{{ faultplan_changes | selectattr('server', 'equalto', inventory_hostname) | list }}\"\n");
    }
    out
}

/// A YAML double-quoted scalar (JSON strings are valid YAML).
fn yaml_string(text: &str) -> String {
    serde_json::to_string(text).expect("a string always serializes")
}
