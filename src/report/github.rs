//! GitHub Actions workflow annotations (`::error file=…,line=…::message`).

use std::fmt::Write;

use crate::verify::{Report, Severity};

/// Escapes data for a workflow command (GitHub's documented escapes).
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

pub fn check_github(report: &Report) -> String {
    let mut out = String::new();
    for f in &report.findings {
        let level = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut properties = vec![format!(
            "title={}",
            escape_property(&format!("faultplan {}", f.kind.code()))
        )];
        if let Some(file) = &f.file {
            properties.insert(0, format!("file={}", escape_property(file)));
            if let Some(line) = f.line {
                properties.insert(1, format!("line={line}"));
            }
        }
        let _ = writeln!(
            out,
            "::{level} {}::{}",
            properties.join(","),
            escape_data(&f.message)
        );
    }
    out
}
