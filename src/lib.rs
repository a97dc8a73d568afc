//! faultplan: place service replicas so that every service stays up when any
//! rack, or half the power, is lost — and prove it.
//!
//! Stages, each depending only on the ones before it (docs/design.md):
//! inventory → topology → scenarios → verify → changes → plan →
//! capacity / migrate / maintenance → report / export. `import` (NetBox)
//! stands beside them: it only writes inventory files.

pub mod capacity;
pub mod changes;
pub mod export;
pub mod import;
pub mod inventory;
pub mod maintenance;
pub mod migrate;
pub mod plan;
pub mod report;
pub mod scenarios;
pub mod topology;
pub mod verify;
