//! Every text format a spreadsheet may open (CSV, INI) refuses a cell that
//! would start a formula instead of altering it: an altered id would no longer
//! name the server, and `check` must read back what `export csv` wrote.

use crate::inventory::{InputError, Location};

/// Refuses a cell that a spreadsheet would run as a formula (OWASP's list:
/// `=`, `+`, `-`, `@`, tab, carriage return), naming where the text comes from.
pub(super) fn spreadsheet_safe(cell: &str, what: &str, at: Location) -> Result<(), InputError> {
    match cell.chars().next() {
        Some(c @ ('=' | '+' | '-' | '@' | '\t' | '\r')) => Err(InputError::new(
            at,
            format!(
                "{what} \"{}\" starts with {c:?}, which a spreadsheet opening the export would run as a formula; rename it",
                cell.escape_debug()
            ),
        )),
        _ => Ok(()),
    }
}
