//! Rendering results as text: one small emitter per output format, each a pure
//! function from data to a string. Nothing here solves or checks anything.

mod context;
mod diff;
mod github;
mod graph;
mod graph_racks;
mod growth;
mod html;
mod human;
mod json;
mod junit;
mod maintenance;
mod margins;
mod migrate;
pub mod overview;
mod plan;
mod purchase;
mod sarif;
mod text;

pub use context::CheckContext;
pub use diff::{changes_human, diff_human, diff_json};
pub use github::check_github;
pub use graph::graph_dot;
pub use graph_racks::graph_dot_racks;
pub use growth::{growth_human, growth_json};
pub use html::report_html;
pub use human::{check_human, scenarios_human, simulate_human};
pub use json::{check_json, scenarios_json, simulate_json, JSON_FORMAT_VERSION};
pub use junit::check_junit;
pub use maintenance::{maintenance_human, maintenance_json};
pub use margins::{margins_human, margins_json};
pub use migrate::{
    blocked_human, blocked_json, migrate_ansible, migrate_human, migrate_json,
    migration_summary_human, migration_summary_json,
};
pub use plan::{
    infeasible_human, infeasible_json, not_found_human, not_found_json, plan_human, plan_json,
};
pub use purchase::{purchase_csv, purchase_human, purchase_json};
pub use sarif::check_sarif;
pub use text::{fit, Width, DEFAULT_COLUMNS};
