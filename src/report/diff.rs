//! The terraform-style rendering of a placement change, shared by `diff` and
//! `plan --current`.

use std::fmt::Write;

use serde_json::json;

use super::json::JSON_FORMAT_VERSION;
use super::text::{more, Width, FEW};
use crate::changes::{Change, Diff};

/// The change lines, the margins that change (at this width, the first
/// few of each and a count), and the total line
/// `{total}: 3 to add, 1 to remove, 2 to move.`
pub fn changes_human(diff: &Diff, total: &str, width: Width) -> String {
    let mut out = String::new();
    let (changes, more_changes) = width.few(&diff.changes, 2 * FEW);
    for change in changes {
        let _ = match change {
            Change::Add { service, server } => writeln!(out, "  + {service} on {server}"),
            Change::Remove { service, server } => writeln!(out, "  - {service} from {server}"),
            Change::Move { service, from, to } => writeln!(out, "  ~ {service}: {from} -> {to}"),
        };
    }
    if more_changes > 0 {
        let _ = writeln!(out, "  {}", more(more_changes).trim_start());
    }
    let changed: Vec<_> = diff.margins.iter().filter(|m| m.changed()).collect();
    let (changed, more_margins) = width.few(&changed, 2 * FEW);
    if !changed.is_empty() {
        if !diff.changes.is_empty() {
            out.push('\n');
        }
        for m in changed {
            let _ = writeln!(
                out,
                "  {}: margin {} → {} under {}",
                m.service, m.before, m.after, m.word
            );
        }
        if more_margins > 0 {
            let _ = writeln!(out, "  {}", more(more_margins).trim_start());
        }
    }
    let (add, remove, moved) = diff.totals();
    if !out.is_empty() {
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "{total}: {add} to add, {remove} to remove, {moved} to move."
    );
    out
}

/// `faultplan diff`: the changes, then the total line.
pub fn diff_human(diff: &Diff, width: Width) -> String {
    changes_human(diff, "Diff", width)
}

pub fn diff_json(diff: &Diff) -> String {
    let (add, remove, moved) = diff.totals();
    let mut text = serde_json::to_string_pretty(&json!({
        "format_version": JSON_FORMAT_VERSION,
        "command": "diff",
        "identical": diff.identical(),
        "changes": diff.changes,
        "totals": {"add": add, "remove": remove, "move": moved},
        "margins": diff.margins,
        "old_passes": diff.before_passed,
        "new_passes": diff.after_passed,
    }))
    .expect("JSON values always serialize");
    text.push('\n');
    text
}
