//! All integration tests in one binary (`cargo test --test it`): one link step,
//! shared helpers in `support`.

mod bad_input;
mod capacity;
mod check_cli;
mod determinism;
mod diff;
mod docs;
mod exact;
mod exhaustive;
mod export;
mod families;
mod fuzz;
mod hand_checked;
mod hard_fleets;
mod kubectl;
mod kubernetes_import;
mod kubernetes_spread;
mod limits;
mod maintenance;
mod messages;
mod migrate;
mod netbox;
mod outputs;
mod plan;
mod plan_explain;
mod plan_oracle;
mod plan_oracle_objectives;
mod progress;
mod properties;
// `report` and `graph` (issue 6, parts 4 and 5).
mod graph;
mod report_html;
mod sarif;
mod scenarios;
mod support;
// Issue 24: output that fits 100 columns.
mod width;
// Issue 24: pictures that read at 1,000 servers.
mod pictures;
