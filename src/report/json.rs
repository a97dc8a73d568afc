//! JSON output: a versioned, stable schema for machines (docs/formats.md).

use serde_json::json;

use super::context::CheckContext;
use crate::scenarios::BlastRadius;
use crate::verify::{Report, Simulation};

/// Consumers must reject an unknown major version.
pub const JSON_FORMAT_VERSION: &str = "1.0";

pub(crate) fn pretty(value: serde_json::Value) -> String {
    let mut text = serde_json::to_string_pretty(&value).expect("JSON values always serialize");
    text.push('\n');
    text
}

pub fn check_json(report: &Report, context: &CheckContext) -> String {
    pretty(json!({
        "format_version": JSON_FORMAT_VERSION,
        "command": "check",
        "passed": report.passed(),
        "summary": {
            "errors": report.errors(),
            "warnings": report.warnings(),
            "services": report.services.len(),
            "scenarios": report.scenarios,
        },
        "context": context,
        "words": report.words,
        "services": report.services,
        "findings": report.findings,
    }))
}

pub fn scenarios_json(radii: &[BlastRadius], spof_warnings: &[String]) -> String {
    pretty(json!({
        "format_version": JSON_FORMAT_VERSION,
        "command": "scenarios",
        "scenarios": radii,
        "warnings": spof_warnings,
    }))
}

pub fn simulate_json(simulation: &Simulation) -> String {
    pretty(json!({
        "format_version": JSON_FORMAT_VERSION,
        "command": "simulate",
        "passed": simulation.passed(),
        "simulation": simulation,
    }))
}
