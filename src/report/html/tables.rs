//! The tables: service × scenario-family margins (the heatmap) and the power
//! tree with its loads.

use std::fmt::Write;

use super::format::{esc, signed};
use crate::report::overview::{Overview, PowerView};
use crate::report::text::num;

pub(super) fn heatmap(h: &mut String, o: &Overview) {
    h.push_str("<h2>Margins: service \u{d7} scenario family</h2>\n<p class=\"note\">Replicas up in the family's worst scenario minus min_replicas; red: the guarantee breaks, yellow: no margin left, grey: the service need not survive it. Hover a cell for the scenario.</p>\n<table id=\"heatmap\">\n<tr><th>service</th><th>needed</th><th>normal</th>");
    for w in &o.words {
        let _ = write!(h, "<th>{}</th>", esc(w));
    }
    h.push_str("</tr>\n");
    // A service that needs no replica has nothing to lose: 0 is no warning.
    let cell = |margin: i64, needed: u32, title: &str| {
        let class = match margin {
            m if m > 0 => "m-pos",
            0 if needed == 0 => "m-pos",
            0 => "m-zero",
            _ => "m-neg",
        };
        format!(
            "<td class=\"n {class}\" title=\"{}\">{}</td>",
            esc(title),
            signed(margin)
        )
    };
    for s in &o.services {
        let _ = write!(
            h,
            "<tr data-service=\"{n}\"><td>{n}</td><td class=\"n\">{}</td>{}",
            s.status.needed,
            cell(
                i64::from(s.status.up) - i64::from(s.status.needed),
                s.status.needed,
                &format!("{} up with nothing failed", s.status.up)
            ),
            n = esc(&s.status.service)
        );
        for m in &s.margins {
            match m {
                Some((margin, scenario)) => {
                    let title = match scenario {
                        Some(sc) => format!("worst: {sc}"),
                        None => "no scenario of this family takes a replica down".to_string(),
                    };
                    h.push_str(&cell(*margin, s.status.needed, &title));
                }
                None => h.push_str("<td class=\"m-na\">\u{2013}</td>"),
            }
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</table>\n");
}

pub(super) fn power(h: &mut String, o: &Overview) {
    h.push_str("<h2>Power tree</h2>\n<p class=\"note\">Load of each component as a share of its limit (capacity_w \u{d7} max_utilization), with nothing failed and in the scenario that loads it most; green up to 80%, yellow up to 100%, red above; ~: a <code>power:P%</code> search hit its limit, so this is the worst found or a proven bound. A component fed from several parents is nested under its first.</p>\n<table id=\"power\">\n<tr><th>component</th><th>kind</th><th>datacenter</th><th>limit W</th><th>normal load</th><th>worst-case load</th><th>worst scenario</th></tr>\n");
    for p in &o.power {
        let _ = writeln!(
            h,
            "<tr data-power=\"{id}\"><td style=\"padding-left:{pad}px\">{branch}{id}{also}</td><td>{kind}</td><td>{dc}</td><td class=\"n\">{limit}</td><td>{normal}</td><td>{worst}</td><td>{scenario}</td></tr>",
            id = esc(&p.id),
            pad = 8 + 18 * p.depth,
            branch = if p.depth > 0 { "\u{2514} " } else { "" },
            also = if p.also_fed_from.is_empty() {
                String::new()
            } else {
                format!(
                    " <span class=\"note\">(also from {})</span>",
                    esc(&p.also_fed_from.join(", "))
                )
            },
            kind = esc(&p.kind),
            dc = esc(&p.datacenter),
            limit = num(p.limit_w),
            normal = load_bar(p, p.load.normal_w, true),
            worst = load_bar(p, p.load.worst_w, p.load.exact),
            scenario = match &p.load.worst_scenario {
                Some(s) => esc(s),
                None => "<span class=\"note\">none raises it</span>".to_string(),
            },
        );
    }
    h.push_str("</table>\n");
}

fn load_bar(p: &PowerView, load_w: f64, exact: bool) -> String {
    let share = if p.limit_w > 0.0 {
        100.0 * load_w / p.limit_w
    } else if load_w > 0.0 {
        f64::INFINITY
    } else {
        0.0
    };
    let class = if share > 100.0 + 1e-9 {
        "over"
    } else if share > 80.0 {
        "hot"
    } else {
        "ok"
    };
    let shown = if share.is_finite() {
        format!("{}%", num(share))
    } else {
        "over".to_string()
    };
    format!(
        "<span class=\"bar\"><span class=\"{class}\" style=\"width:{}%\"></span></span>{}{} W ({shown})",
        num(share.min(100.0)),
        if exact { "" } else { "~" },
        num(load_w)
    )
}
