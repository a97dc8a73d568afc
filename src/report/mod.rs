//! Rendering results as text: one small emitter per output format, each a pure
//! function from data to a string. Nothing here solves or checks anything.

mod capacity;
mod diff;
mod github;
mod graph;
mod html;
mod human;
mod json;
mod junit;
mod maintenance;
mod migrate;
pub mod overview;
mod plan;
mod sarif;

pub use capacity::{
    growth_human, growth_json, margins_human, margins_json, purchase_csv, purchase_human,
    purchase_json,
};
pub use diff::{changes_human, diff_human, diff_json};
pub use github::check_github;
pub use graph::graph_dot;
pub use html::report_html;
pub use human::{check_human, scenarios_human, simulate_human};
pub use json::{check_json, scenarios_json, simulate_json, JSON_FORMAT_VERSION};
pub use junit::check_junit;
pub use maintenance::{maintenance_human, maintenance_json};
pub use migrate::{
    blocked_human, blocked_json, migrate_ansible, migrate_human, migrate_json,
    migration_summary_human, migration_summary_json,
};
pub use plan::{
    infeasible_human, infeasible_json, not_found_human, not_found_json, plan_human, plan_json,
};
pub use sarif::check_sarif;

use comfy_table::{presets, Table};

/// A table in the one style every human output uses.
pub(crate) fn table(header: &[&str]) -> Table {
    let mut table = Table::new();
    table
        .load_preset(presets::UTF8_FULL_CONDENSED)
        .set_header(header.to_vec());
    table
}

/// What a check was run on, for headers and metadata.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CheckContext {
    pub inventory: String,
    pub placement: String,
    pub services_file: String,
    pub servers: usize,
    pub racks: usize,
    pub power_components: usize,
    pub replicas: usize,
}

/// Formats a number without a trailing `.0`, for watts, cores and percentages.
pub(crate) fn num(value: f64) -> String {
    // Beyond 2^52 an f64 has no fraction to round, and `* 100.0` could overflow.
    let rounded = if value.abs() < 4.5e15 {
        (value * 100.0).round() / 100.0
    } else {
        value
    };
    // Display prints a whole f64 without `.0` and without a saturating cast;
    // `+ 0.0` turns -0 into 0.
    format!("{}", rounded + 0.0)
}

#[cfg(test)]
mod tests {
    use super::num;

    #[test]
    fn numbers_print_as_they_are() {
        assert_eq!(num(3.0), "3");
        assert_eq!(num(2.345), "2.35");
        assert_eq!(num(-0.001), "0");
        assert_eq!(num(1e20), "100000000000000000000");
        assert_eq!(num(1e15 + 0.5), "1000000000000000.5");
    }
}
