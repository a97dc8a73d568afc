//! JUnit XML: one testcase per service × guarantee, so CI dashboards show which
//! guarantee of which service broke.

use quick_junit::{NonSuccessKind, Report as JunitReport, TestCase, TestCaseStatus, TestSuite};

use crate::verify::{Finding, FindingKind, Report, Severity};

/// The guarantee of a service a finding breaks: "normal" or a survive word.
fn breaks(finding: &Finding, service: &str, guarantee: &str) -> bool {
    if finding.severity != Severity::Error || finding.kind.service() != Some(service) {
        return false;
    }
    match &finding.kind {
        FindingKind::ReplicasLost { words, .. } => words.iter().any(|w| w == guarantee),
        _ => guarantee == "normal",
    }
}

fn case(name: String, classname: &str, failures: &[&Finding]) -> TestCase {
    let status = if failures.is_empty() {
        TestCaseStatus::success()
    } else {
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
        status
            .set_message(failures[0].message.clone())
            .set_type(failures[0].kind.code())
            .set_description(
                failures
                    .iter()
                    .map(|f| f.message.as_str())
                    .collect::<Vec<_>>()
                    .join("\n"),
            );
        status
    };
    let mut case = TestCase::new(name, status);
    case.set_classname(classname);
    case
}

pub fn check_junit(report: &Report) -> String {
    let mut services = TestSuite::new("services");
    for s in &report.services {
        for guarantee in std::iter::once("normal".to_string()).chain(s.survive.iter().cloned()) {
            let failures: Vec<&Finding> = report
                .findings
                .iter()
                .filter(|f| breaks(f, &s.service, &guarantee))
                .collect();
            services.add_test_case(case(
                format!("{} survives {guarantee}", s.service),
                &s.service,
                &failures,
            ));
        }
    }
    let mut power = TestSuite::new("power");
    for guarantee in std::iter::once("normal".to_string()).chain(report.words.iter().cloned()) {
        let failures: Vec<&Finding> = report
            .findings
            .iter()
            .filter(|f| match &f.kind {
                FindingKind::PowerOverload { scenario: None, .. } => guarantee == "normal",
                FindingKind::PowerOverload { words, .. } => words.contains(&guarantee),
                FindingKind::PowerUnproven { word, .. } => *word == guarantee,
                _ => false,
            })
            .collect();
        power.add_test_case(case(
            format!("power within limits: {guarantee}"),
            "power",
            &failures,
        ));
    }
    let mut capacity = TestSuite::new("capacity");
    let failures: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| {
            matches!(
                f.kind,
                FindingKind::CpuOverCapacity { .. } | FindingKind::MemOverCapacity { .. }
            )
        })
        .collect();
    capacity.add_test_case(case(
        "servers within cpu and memory".into(),
        "capacity",
        &failures,
    ));
    let mut junit = JunitReport::new("faultplan check");
    junit.add_test_suites([services, power, capacity]);
    junit
        .to_string()
        .expect("JUnit serialization of in-memory strings cannot fail")
}
