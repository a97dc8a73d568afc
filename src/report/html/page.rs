//! The page around the sections: head, inline style and script, the
//! service legend and the findings.

use std::fmt::Write;

use super::format::{esc, service_look};
use super::headline::headline;
use super::rack_drawings::racks;
use super::tables::{heatmap, power};
use crate::report::overview::Overview;

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
.sw{display:inline-block;width:13px;height:13px;border-radius:2px;margin-right:5px;vertical-align:-2px}
.sw.mk1{background-image:repeating-linear-gradient(45deg,rgba(255,255,255,.6) 0 2px,transparent 2px 4px)}
.sw.mk2{background-image:radial-gradient(rgba(255,255,255,.8) 1.2px,transparent 1.5px);background-size:4px 4px}
.racks{display:flex;flex-wrap:wrap;gap:18px;align-items:flex-end}
.room{border:1px dashed #ccc;border-radius:6px;padding:6px 10px}
.room h3{font-size:13px;margin:0 0 4px;color:#555}
.roomracks{display:flex;flex-wrap:wrap;gap:10px;align-items:flex-end}
svg.rack text{font-family:ui-monospace,monospace}
.chip{stroke:#fff;stroke-width:.5}
.chip.down{stroke-width:1.5}
.picking .chip,.picking .mark{opacity:.12}.picking .chip.hl,.picking .chip.hl+.mark{opacity:1}.picking .chip.hl{stroke:#000;stroke-width:1.5}
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

fn legend(h: &mut String, o: &Overview) {
    h.push_str("<h2>Services</h2>\n<p class=\"note\">Pick a service to highlight its replicas (or open this page with <code>#service=NAME</code>).</p>\n<div class=\"legend\">\n<button type=\"button\" data-pick=\"\">all</button>\n");
    for (i, s) in o.services.iter().enumerate() {
        let look = service_look(i, o.services.len());
        let _ = writeln!(
            h,
            "<button type=\"button\" data-pick=\"{n}\"><span class=\"sw mk{mark}\" style=\"background-color:{c}\"></span>{n} <span class=\"note\">{placed}/{needed}</span></button>",
            n = esc(&s.status.service),
            c = look.colour,
            mark = look.mark,
            placed = s.status.placed,
            needed = s.status.needed
        );
    }
    h.push_str("</div>\n");
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
