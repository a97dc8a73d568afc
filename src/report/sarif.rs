//! SARIF 2.1.0 for code-scanning UIs (GitHub, GitLab): one result per finding,
//! located on the line of the user's file that causes it, built from
//! serde-sarif's types.

use serde_sarif::sarif;

use crate::verify::{Report, Severity};

pub fn check_sarif(report: &Report) -> String {
    let mut codes: Vec<&str> = report.findings.iter().map(|f| f.kind.code()).collect();
    codes.sort_unstable();
    codes.dedup();
    let rules: Vec<sarif::ReportingDescriptor> = codes
        .iter()
        .map(|code| {
            sarif::ReportingDescriptor::builder()
                .id(*code)
                .name(*code)
                .short_description(
                    sarif::MultiformatMessageString::builder()
                        .text(*code)
                        .build(),
                )
                .build()
        })
        .collect();
    let results: Vec<sarif::Result> = report
        .findings
        .iter()
        .map(|finding| {
            let code = finding.kind.code();
            let index = codes.binary_search(&code).expect("every code has a rule");
            let level = match finding.severity {
                Severity::Error => sarif::ResultLevel::Error,
                Severity::Warning => sarif::ResultLevel::Warning,
            };
            let locations: Vec<sarif::Location> = finding
                .file
                .iter()
                .map(|file| {
                    let artifact = sarif::ArtifactLocation::builder()
                        .uri(file.replace('\\', "/"))
                        .build();
                    let physical = match finding.line {
                        Some(line) => sarif::PhysicalLocation::builder()
                            .artifact_location(artifact)
                            .region(sarif::Region::builder().start_line(line as i64).build())
                            .build(),
                        None => sarif::PhysicalLocation::builder()
                            .artifact_location(artifact)
                            .build(),
                    };
                    sarif::Location::builder()
                        .physical_location(physical)
                        .build()
                })
                .collect();
            sarif::Result::builder()
                .rule_id(code)
                .rule_index(index as i64)
                .level(level)
                .message(&finding.message)
                .locations(locations)
                .build()
        })
        .collect();
    let driver = sarif::ToolComponent::builder()
        .name("faultplan")
        .version(env!("CARGO_PKG_VERSION"))
        .rules(rules)
        .build();
    let run = sarif::Run::builder()
        .tool(sarif::Tool::builder().driver(driver).build())
        .results(results)
        .build();
    let log = sarif::Sarif::builder()
        .schema(sarif::SCHEMA_URL)
        .version(serde_json::json!("2.1.0"))
        .runs(vec![run])
        .build();
    let mut text = serde_json::to_string_pretty(&log).expect("SARIF serializes");
    text.push('\n');
    text
}
