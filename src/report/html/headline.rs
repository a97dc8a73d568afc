//! The headline: the verdict, then one line each for services, power, the
//! worst scenario and the single points of failure.

use std::fmt::Write;

use super::format::{esc, signed};
use crate::report::overview::Overview;
use crate::report::text::num;
use crate::verify::SinglePoint;

/// Items a headline line names before it counts the rest.
const NAMED: usize = 5;

pub(super) fn headline(h: &mut String, o: &Overview) {
    verdict(h, o);
    services_item(h, o);
    power_item(h, o);
    worst_scenario_item(h, o);
    single_points_item(h, o);
    h.push_str("</ul>\n");
}

/// The heading, the pass/fail verdict, and the list the items follow in.
fn verdict(h: &mut String, o: &Overview) {
    let report = &o.report;
    let (class, verdict) = if report.passed() {
        ("pass", "Every guarantee holds".to_string())
    } else {
        (
            "fail",
            format!(
                "Guarantees broken: {} error{}",
                report.errors(),
                if report.errors() == 1 { "" } else { "s" }
            ),
        )
    };
    let _ = writeln!(
        h,
        "<h2>Headline</h2>\n<div class=\"verdict {class}\" id=\"verdict\">{verdict}</div>\n<ul class=\"head\">"
    );
}

fn services_item(h: &mut String, o: &Overview) {
    let broken: Vec<&str> = o
        .services
        .iter()
        .filter(|s| !s.status.ok)
        .map(|s| s.status.service.as_str())
        .collect();
    let _ = write!(
        h,
        "<li><b>Services:</b> {} of {} keep min_replicas up in every scenario they must survive",
        o.services.len() - broken.len(),
        o.services.len()
    );
    if !broken.is_empty() {
        let _ = write!(h, "; broken: {}", esc(&named(&broken)));
    }
    h.push_str(".</li>\n");
}

fn power_item(h: &mut String, o: &Overview) {
    let overloaded: std::collections::BTreeSet<&str> = o
        .report
        .findings
        .iter()
        .filter_map(|f| match &f.kind {
            crate::verify::FindingKind::PowerOverload { component, .. }
            | crate::verify::FindingKind::PowerUnproven { component, .. } => {
                Some(component.as_str())
            }
            _ => None,
        })
        .collect();
    let _ = write!(
        h,
        "<li><b>Power:</b> {}",
        if overloaded.is_empty() {
            "every component stays within its limit in every scenario".to_string()
        } else {
            format!(
                "{} component{} over (or not provably within) the limit: {}",
                overloaded.len(),
                if overloaded.len() == 1 { "" } else { "s" },
                esc(&named(&overloaded.iter().copied().collect::<Vec<_>>()))
            )
        }
    );
    if let Some(p) = o.hottest_power() {
        let _ = write!(
            h,
            " (highest: {} at {}% of its limit{})",
            esc(&p.id),
            num(100.0 * p.load.worst_w / p.limit_w),
            match &p.load.worst_scenario {
                Some(s) => format!(" when {} fails", esc(s)),
                None => " with nothing failed".to_string(),
            }
        );
    }
    h.push_str(".</li>\n");
}

fn worst_scenario_item(h: &mut String, o: &Overview) {
    if let Some(s) = o.worst() {
        let _ = writeln!(
            h,
            "<li><b>Worst scenario:</b> {}, which leaves {} {} of {} required replicas up (margin {}).</li>",
            esc(s.status.worst_scenario.as_deref().unwrap_or("")),
            esc(&s.status.service),
            s.status.worst_up,
            s.status.needed,
            signed(s.worst_margin())
        );
    } else {
        h.push_str("<li><b>Worst scenario:</b> none takes a replica down.</li>\n");
    }
}

/// The first [`NAMED`] names, and how many more.
fn named(names: &[&str]) -> String {
    let shown = names[..names.len().min(NAMED)].join(", ");
    match names.len().saturating_sub(NAMED) {
        0 => shown,
        more => format!("{shown} and {more} more"),
    }
}

fn single_points_item(h: &mut String, o: &Overview) {
    let _ = write!(
        h,
        "<li><b>Single points of failure</b> (a rack, server or power component whose failure alone takes a healthy service below min_replicas): "
    );
    if o.single_points.is_empty() {
        h.push_str("none.</li>\n");
        return;
    }
    let _ = write!(h, "{}", o.single_points.len());
    let worst = worst_first(&o.single_points);
    if worst.len() > NAMED {
        let _ = write!(h, "; the {NAMED} that break the most");
    }
    h.push_str(".<ul id=\"spof\">\n");
    for p in worst.iter().take(NAMED) {
        single_point(h, p);
    }
    h.push_str("</ul>");
    if worst.len() > NAMED {
        // The rest stays on the page, folded: the headline stays a headline.
        let _ = writeln!(
            h,
            "<details id=\"spof-rest\"><summary>{} more</summary><ul>",
            worst.len() - NAMED
        );
        for p in &worst[NAMED..] {
            single_point(h, p);
        }
        h.push_str("</ul></details>");
    }
    h.push_str("</li>\n");
}

/// The single points of failure, those that break the most services first,
/// then those that leave the fewest replicas up (ties in the order found).
fn worst_first(points: &[SinglePoint]) -> Vec<&SinglePoint> {
    let shortfall = |p: &SinglePoint| {
        p.breaks
            .iter()
            .map(|(_, up, needed)| needed - up)
            .max()
            .unwrap_or(0)
    };
    let mut worst: Vec<&SinglePoint> = points.iter().collect();
    worst.sort_by_key(|p| {
        (
            std::cmp::Reverse(p.breaks.len()),
            std::cmp::Reverse(shortfall(p)),
        )
    });
    worst
}

fn single_point(h: &mut String, p: &SinglePoint) {
    let breaks: Vec<String> = p
        .breaks
        .iter()
        .map(|(s, up, needed)| format!("{} ({up} of {needed})", esc(s)))
        .collect();
    let _ = writeln!(
        h,
        "<li>{} <b>{}</b> breaks {}</li>",
        p.kind,
        esc(&p.component),
        named(&breaks.iter().map(String::as_str).collect::<Vec<_>>())
    );
}
