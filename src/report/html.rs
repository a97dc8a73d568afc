//! `faultplan report`: one self-contained HTML page (inline CSS, SVG and a
//! little JavaScript; nothing fetched) drawn from an [`Overview`]. The
//! drawing is static SVG, so the page reads without JavaScript; the script
//! only highlights the replicas of the service picked (also from the URL
//! fragment `#service=NAME`). Same overview, same bytes.

use std::fmt::Write;

use super::overview::{Overview, PowerView, RackView, ServerView, Slot};
use super::text::num;
use crate::inventory::Status;

/// Pixels per rack unit, and the rack drawing's width.
const UNIT_PX: u32 = 12;
const RACK_PX: u32 = 250;
/// Where replica chips start inside a server, and how much room they have.
const CHIPS_X: f64 = 128.0;
const CHIPS_W: f64 = 116.0;

/// Colourblind-friendly, well apart (no red: red means "broken" here).
const PALETTE: [&str; 12] = [
    "#4e79a7", "#f28e2b", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f",
    "#86bcb6", "#d4a6c8", "#8cd17d", "#bab0ac",
];

/// A service's colour: the palette, then hues a golden angle apart.
pub fn service_colour(index: usize) -> String {
    match PALETTE.get(index) {
        Some(colour) => colour.to_string(),
        None => format!("hsl({:.1},55%,55%)", (index as f64 * 137.508) % 360.0),
    }
}

/// Escapes text for HTML element content and quoted attribute values alike.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = r#"
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;padding:16px 24px;max-width:1400px;color:#222}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
.sub{color:#666;margin:0 0 12px}
.verdict{font-size:18px;font-weight:600;padding:8px 12px;border-radius:6px;display:inline-block}
.pass{background:#e3f4e1;color:#1d5e1a}.fail{background:#fbe3e1;color:#8a1c12}
ul.head{margin:8px 0;padding-left:20px}
.legend{display:flex;flex-wrap:wrap;gap:6px;margin:8px 0}
.legend button{font:inherit;border:1px solid #bbb;background:#fff;border-radius:14px;padding:2px 10px 2px 6px;cursor:pointer}
.legend button[aria-pressed=true]{border-color:#111;background:#eee;font-weight:600}
.sw{display:inline-block;width:11px;height:11px;border-radius:2px;margin-right:5px;vertical-align:-1px}
.racks{display:flex;flex-wrap:wrap;gap:18px;align-items:flex-end}
.room{border:1px dashed #ccc;border-radius:6px;padding:6px 10px}
.room h3{font-size:13px;margin:0 0 4px;color:#555}
.roomracks{display:flex;flex-wrap:wrap;gap:10px;align-items:flex-end}
svg.rack text{font-family:ui-monospace,monospace}
.chip{stroke:#fff;stroke-width:.5}
.chip.down{stroke-width:1.5}
.picking .chip{opacity:.12}.picking .chip.hl{opacity:1;stroke:#000;stroke-width:1.5}
table{border-collapse:collapse;font-size:13px}
th,td{border:1px solid #ddd;padding:3px 8px;text-align:left;white-space:nowrap}
th{background:#f5f5f5}
td.n{text-align:right;font-variant-numeric:tabular-nums}
.bar{display:inline-block;width:90px;height:9px;background:#eee;border-radius:2px;margin-right:6px;vertical-align:0}
.bar span{display:block;height:100%;border-radius:2px}
.ok{background:#59a14f}.hot{background:#edc948}.over{background:#d62728}
.m-pos{background:#d7eed3}.m-zero{background:#fbeec1}.m-neg{background:#f4b6b0;font-weight:600}.m-na{background:#f7f7f7;color:#aaa}
.picking tr.hl td{background-image:linear-gradient(rgba(0,0,0,.06),rgba(0,0,0,.06))}
.note{color:#666;font-size:12px}
"#;

const SCRIPT: &str = r#"
(function () {
  var root = document.documentElement, current = null;
  function pick(name) {
    var on = name !== null && name !== '';
    current = on ? name : null;
    root.classList.toggle('picking', on);
    document.querySelectorAll('[data-service]').forEach(function (el) {
      el.classList.toggle('hl', on && el.getAttribute('data-service') === name);
    });
    document.querySelectorAll('[data-pick]').forEach(function (el) {
      el.setAttribute('aria-pressed', String(on && el.getAttribute('data-pick') === name));
    });
  }
  function fromHash() {
    var m = /^#service=(.*)$/.exec(location.hash), name = null;
    if (m) { try { name = decodeURIComponent(m[1]); } catch (e) { name = null; } }
    pick(name);
  }
  document.addEventListener('click', function (e) {
    var el = e.target.closest && e.target.closest('[data-pick],.chip[data-service]');
    if (!el) return;
    var name = el.getAttribute('data-pick');
    if (name === null) name = el.getAttribute('data-service');
    location.hash = (name === current || name === '') ? '' : 'service=' + encodeURIComponent(name);
  });
  window.addEventListener('hashchange', fromHash);
  fromHash();
})();
"#;

/// The whole page.
pub fn report_html(o: &Overview) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\n\
         <title>faultplan report: {}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        esc(&o.inventory)
    );
    let _ = writeln!(
        h,
        "<h1>faultplan report</h1>\n<p class=\"sub\">inventory <b>{}</b>, placement <b>{}</b>: {} racks, {} servers, {} power components, {} services</p>",
        esc(&o.inventory),
        esc(&o.placement),
        o.datacenters.iter().map(|d| d.racks.len()).sum::<usize>(),
        o.datacenters
            .iter()
            .flat_map(|d| &d.racks)
            .map(|r| r.servers.len())
            .sum::<usize>(),
        o.power.len(),
        o.services.len()
    );
    headline(&mut h, o);
    legend(&mut h, o);
    racks(&mut h, o);
    heatmap(&mut h, o);
    power(&mut h, o);
    findings(&mut h, o);
    let _ = write!(h, "<script>{SCRIPT}</script>\n</body>\n</html>\n");
    h
}

fn headline(h: &mut String, o: &Overview) {
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
        let _ = write!(h, "; broken: {}", esc(&broken.join(", ")));
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
                esc(&overloaded.iter().copied().collect::<Vec<_>>().join(", "))
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

fn single_points_item(h: &mut String, o: &Overview) {
    let _ = write!(
        h,
        "<li><b>Single points of failure</b> (one rack, server or power component whose failure alone leaves a service that is whole below min_replicas): "
    );
    if o.single_points.is_empty() {
        h.push_str("none.</li>\n");
    } else {
        let _ = writeln!(h, "{}.<ul id=\"spof\">", o.single_points.len());
        for p in &o.single_points {
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
                breaks.join(", ")
            );
        }
        h.push_str("</ul></li>\n");
    }
}

fn signed(margin: i64) -> String {
    match margin {
        m if m > 0 => format!("+{m}"),
        0 => "0".to_string(),
        m => format!("\u{2212}{}", -m),
    }
}

fn legend(h: &mut String, o: &Overview) {
    h.push_str("<h2>Services</h2>\n<p class=\"note\">Pick a service to highlight its replicas (or open this page with <code>#service=NAME</code>).</p>\n<div class=\"legend\">\n<button type=\"button\" data-pick=\"\">all</button>\n");
    for (i, s) in o.services.iter().enumerate() {
        let _ = writeln!(
            h,
            "<button type=\"button\" data-pick=\"{n}\"><span class=\"sw\" style=\"background:{c}\"></span>{n} <span class=\"note\">{placed}/{needed}</span></button>",
            n = esc(&s.status.service),
            c = service_colour(i),
            placed = s.status.placed,
            needed = s.status.needed
        );
    }
    h.push_str("</div>\n");
}

fn racks(h: &mut String, o: &Overview) {
    h.push_str("<h2>Racks</h2>\n<p class=\"note\">Servers at their <code>position</code>; dashed outline: no usable position, drawn in the lowest free units; pink zone: no free units left. Chips are replicas coloured by service; a white chip is a replica that counts as down.</p>\n");
    for dc in &o.datacenters {
        let _ = writeln!(
            h,
            "<h3>{}{}</h3>\n<div class=\"racks\">",
            esc(&dc.id),
            dc.name
                .as_ref()
                .map(|n| format!(" <span class=\"note\">{}</span>", esc(n)))
                .unwrap_or_default()
        );
        let mut rooms: Vec<&str> = Vec::new();
        for rack in &dc.racks {
            if !rooms.contains(&rack.room.as_str()) {
                rooms.push(&rack.room);
            }
        }
        for room in rooms {
            let _ = writeln!(
                h,
                "<div class=\"room\"><h3>room {}</h3><div class=\"roomracks\">",
                if room.is_empty() {
                    "(none)".to_string()
                } else {
                    esc(room)
                }
            );
            for rack in dc.racks.iter().filter(|r| r.room == room) {
                rack_svg(h, rack, o);
            }
            h.push_str("</div></div>\n");
        }
        h.push_str("</div>\n");
    }
}

fn rack_svg(h: &mut String, rack: &RackView, o: &Overview) {
    let top = 18;
    let units = rack.drawn_units;
    let height = top + units * UNIT_PX + 4;
    let y_of = |unit: u32| top + (units - unit) * UNIT_PX;
    let _ = writeln!(
        h,
        "<svg class=\"rack\" data-rack=\"{id}\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{RACK_PX}\" height=\"{height}\" viewBox=\"0 0 {RACK_PX} {height}\">\n<text x=\"22\" y=\"12\" font-size=\"11\" font-weight=\"bold\">{id}</text>",
        id = esc(&rack.id)
    );
    if units > rack.u_height {
        let _ = writeln!(
            h,
            "<rect x=\"20\" y=\"{top}\" width=\"{}\" height=\"{}\" fill=\"#fde0ea\" stroke=\"#c66\" stroke-dasharray=\"4 2\"><title>above the rack's {} units: servers that did not fit</title></rect>",
            RACK_PX - 22,
            (units - rack.u_height) * UNIT_PX,
            rack.u_height
        );
    }
    let _ = writeln!(
        h,
        "<rect x=\"20\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"#f3f3f3\" stroke=\"#555\"/>",
        y_of(rack.u_height),
        RACK_PX - 22,
        rack.u_height * UNIT_PX
    );
    for unit in (1..=rack.u_height).filter(|u| *u == 1 || u % 5 == 0) {
        let _ = writeln!(
            h,
            "<text x=\"17\" y=\"{}\" font-size=\"7\" text-anchor=\"end\" fill=\"#888\">{unit}</text>",
            y_of(unit) + UNIT_PX - 3
        );
    }
    for server in &rack.servers {
        server_svg(h, server, o, y_of(server.position + server.u_height - 1));
    }
    h.push_str("</svg>\n");
}

fn server_svg(h: &mut String, s: &ServerView, o: &Overview, y: u32) {
    let px = s.u_height * UNIT_PX - 1;
    let fill = match s.status {
        Status::Offline => "#c8c8c8",
        Status::Maintenance => "#e4e4e4",
        Status::Active => "#ffffff",
    };
    let dash = match s.placed_by {
        Slot::Given => "",
        Slot::Free | Slot::Overflow => " stroke-dasharray=\"3 2\"",
    };
    let units = match s.u_height {
        1 => format!("unit {}", s.position),
        h => format!("units {}-{}", s.position, s.position + h - 1),
    };
    let mut title = format!(
        "{}{}: {units}, {} of {} cores reserved",
        s.id,
        s.model
            .as_ref()
            .map(|m| format!(" ({m})"))
            .unwrap_or_default(),
        num(s.cpu_used),
        num(s.cpu)
    );
    if s.status != Status::Active {
        let _ = write!(title, ", {}", s.status.as_str());
    }
    match s.placed_by {
        Slot::Given => {}
        Slot::Free => title.push_str(", no usable position: drawn in the lowest free units"),
        Slot::Overflow => title.push_str(", no free units left: drawn above the rack"),
    }
    let _ = writeln!(
        h,
        "<g class=\"server\" data-server=\"{id}\"><title>{title}</title><rect x=\"22\" y=\"{y}\" width=\"{w}\" height=\"{px}\" fill=\"{fill}\" stroke=\"#333\" stroke-width=\"0.8\"{dash}/><text x=\"25\" y=\"{ty}\" font-size=\"8.5\">{id}</text>",
        id = esc(&s.id),
        title = esc(&title),
        w = RACK_PX - 26,
        ty = y + px.min(UNIT_PX) - 3,
    );
    let chips = s.replicas.len().max(1) as f64;
    let width = (CHIPS_W / chips).min(15.0);
    let chip_h = (px as f64 - 3.0).min(9.5);
    for (k, r) in s.replicas.iter().enumerate() {
        let service = &o.services[r.service];
        let colour = service_colour(r.service);
        let (fill, stroke, class) = if r.up == r.placed {
            (colour.as_str(), "#fff", "chip")
        } else {
            ("#fff", colour.as_str(), "chip down")
        };
        let _ = writeln!(
            h,
            "<rect class=\"{class}\" data-service=\"{n}\" data-count=\"{count}\" x=\"{x}\" y=\"{cy}\" width=\"{cw}\" height=\"{ch}\" rx=\"1.5\" fill=\"{fill}\" style=\"stroke:{stroke}\"><title>{n}: {count} replica{plural}{down}</title></rect>",
            n = esc(&service.status.service),
            count = r.placed,
            x = num(CHIPS_X + width * k as f64),
            cy = num(y as f64 + 1.5),
            cw = num(width - 1.0),
            ch = num(chip_h),
            plural = if r.placed == 1 { "" } else { "s" },
            down = if r.up == r.placed {
                String::new()
            } else {
                format!(", {} counted as down", r.placed - r.up)
            },
        );
    }
    h.push_str("</g>\n");
}

fn heatmap(h: &mut String, o: &Overview) {
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

fn power(h: &mut String, o: &Overview) {
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

fn findings(h: &mut String, o: &Overview) {
    let report = &o.report;
    let _ = writeln!(
        h,
        "<h2>Findings</h2>\n<details{}><summary>{} error{}, {} warning{} over {} scenarios</summary>\n<ul>",
        if report.findings.is_empty() { "" } else { " open" },
        report.errors(),
        if report.errors() == 1 { "" } else { "s" },
        report.warnings(),
        if report.warnings() == 1 { "" } else { "s" },
        report.scenarios
    );
    for f in &report.findings {
        let _ = writeln!(
            h,
            "<li><b>{}</b> {}: {}</li>",
            match f.severity {
                crate::verify::Severity::Error => "error",
                crate::verify::Severity::Warning => "warning",
            },
            f.kind.code(),
            esc(&f.message)
        );
    }
    h.push_str("</ul></details>\n");
}
