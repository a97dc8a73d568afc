//! All integration tests in one binary (`cargo test --test it`): one link step,
//! shared helpers in `support`.

mod bad_input;
mod capacity;
mod check_cli;
mod determinism;
mod docs;
mod exact;
mod exhaustive;
mod families;
mod fuzz;
mod hand_checked;
mod limits;
mod outputs;
mod plan;
mod plan_explain;
mod plan_oracle;
mod properties;
mod scenarios;
mod support;
