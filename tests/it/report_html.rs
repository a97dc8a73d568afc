//! `faultplan report`: the numbers it gathers (hand-checked on tiny
//! inventories and held against `check` on the shipped ones), its bytes
//! (snapshot, determinism, escaping) and the page in a real browser: headless
//! chromium loads it, a test script counts what is drawn and drives the
//! service picker, and the counts must match the inventory and placement.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use faultplan::inventory::{Inventory, Placement, Services};
use faultplan::report::overview::{layout_rack, Checked, Overview, Slot};
use faultplan::verify;

use crate::support::{baseline, require_tool, root, run_in, run_root, Inv, INV};

fn overview(inv: &Inv) -> Overview {
    let loaded = inv.load();
    Overview::gather(
        &loaded.inventory,
        &loaded.services,
        &loaded.placement,
        checked(&loaded.inventory, &loaded.services, &loaded.placement),
        "inv",
        "inv/placement.csv",
    )
}

/// What `faultplan report` has verify find before it gathers the overview.
fn checked(inventory: &Inventory, services: &Services, placement: &Placement) -> Checked {
    let options = verify::CheckOptions::default();
    let index = verify::PlacementIndex::new(inventory, services, placement);
    Checked {
        report: verify::check(inventory, services, placement, options),
        power: verify::power_status(inventory, services, placement, options),
        single_points: verify::single_points(inventory, services, &index),
    }
}

/// baseline() (s1, s2 dual-PSU on pa;pb in dc1; s3 on p2 in dc2), web on all
/// three, surviving a rack and half of dc1's roots, with PDUs that carry 200 W.
fn powered() -> Inv {
    baseline()
        .services(
            r#"
            [[service]]
            name = "web"
            min_replicas = 2
            cpu = 2
            survive = ["rack", "power:50%"]
            "#,
        )
        .edit("power.csv", "pa,dc1,pdu,ua,5000,", "pa,dc1,pdu,ua,200,1")
        .edit("power.csv", "pb,dc1,pdu,ub,5000,", "pb,dc1,pdu,ub,200,1")
}

#[test]
fn power_loads_are_the_hand_computed_ones() {
    // Each server draws 100 + (200 - 100) * 2/8 = 125 W. Normally s1 and s2
    // split theirs over pa and pb (125 W each); when ua fails, pa has no power
    // and pb carries both whole: 250 W, over its 200 W limit.
    let o = overview(&powered());
    let load = |id: &str| {
        let p = o.power.iter().find(|p| p.id == id).unwrap();
        (
            p.load.normal_w,
            p.load.worst_w,
            p.load.worst_scenario.clone(),
            p.load.exact,
        )
    };
    let ua = Some("power:50% ua".to_string());
    let ub = Some("power:50% ub".to_string());
    assert_eq!(load("pa"), (125.0, 250.0, ub.clone(), true));
    assert_eq!(load("pb"), (125.0, 250.0, ua.clone(), true));
    assert_eq!(load("ub"), (125.0, 250.0, ua, true));
    assert_eq!(load("u2"), (125.0, 125.0, None, true));
    // The tree: roots in power.csv order, each PDU under its utility.
    let tree: Vec<(&str, usize)> = o.power.iter().map(|p| (p.id.as_str(), p.depth)).collect();
    assert_eq!(
        tree,
        [
            ("ua", 0),
            ("pa", 1),
            ("ub", 0),
            ("pb", 1),
            ("u2", 0),
            ("p2", 1)
        ]
    );
    // check's overloads are the components over their limit in the worst case.
    let over: BTreeSet<&str> = o
        .power
        .iter()
        .filter(|p| p.load.worst_w > p.limit_w)
        .map(|p| p.id.as_str())
        .collect();
    let found: BTreeSet<String> = o
        .report
        .findings
        .iter()
        .filter_map(|f| match &f.kind {
            verify::FindingKind::PowerOverload { component, .. } => Some(component.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(over, found.iter().map(String::as_str).collect());
    assert_eq!(over, BTreeSet::from(["pa", "pb"]));
}

#[test]
fn margins_per_family_are_the_hand_computed_ones() {
    // web: 3 up, 2 needed. A rack takes one replica (margin 0); losing ua
    // takes none (s1, s2 keep pb): margin +1.
    let o = overview(&powered());
    assert_eq!(o.words, ["rack", "power:50%"]);
    let web = &o.services[0];
    assert_eq!(
        web.margins,
        [Some((0, Some("rack r1".to_string()))), Some((1, None)),]
    );
    // Only rack: the power column is not the service's to survive.
    let o = overview(&baseline());
    assert_eq!(
        o.services[0].margins,
        [Some((0, Some("rack r1".to_string())))]
    );
}

#[test]
fn single_points_of_failure_are_the_single_components_that_break_a_service() {
    // web on s1 (r1, dual PSU) and s3 (r3, single PSU p2 under u2), needs 2:
    // each of r1, r3, s1, s3, p2 and u2 alone leaves 1; pa or ua alone does not
    // (s1 keeps pb).
    let inv = baseline().placement(
        "
        service,server
        web,s1
        web,s3
        ",
    );
    let o = overview(&inv);
    type Breaks = Vec<(String, u32, u32)>;
    let spof: Vec<(&str, &str, Breaks)> = o
        .single_points
        .iter()
        .map(|p| (p.kind, p.component.as_str(), p.breaks.clone()))
        .collect();
    let web = || vec![("web".to_string(), 1, 2)];
    assert_eq!(
        spof,
        [
            ("rack", "r1", web()),
            ("rack", "r3", web()),
            ("power", "u2", web()),
            ("power", "p2", web()),
            ("server", "s1", web()),
            ("server", "s3", web()),
        ]
    );
    // A service already short with nothing failed is not broken by a failure.
    let inv = inv.edit("services.toml", "min_replicas = 2", "min_replicas = 3");
    assert!(overview(&inv).single_points.is_empty());
}

#[test]
fn servers_without_a_usable_position_take_the_lowest_free_units() {
    // 6 units: a 2U at 1, a 1U at 5; a 2U with no position takes 3-4; a 1U
    // whose position overlaps the first takes 6; one more does not fit and
    // goes above the rack; a position beyond the top is not usable either.
    let slots = layout_rack(
        6,
        &[
            (Some(1), 2),
            (None, 2),
            (Some(5), 1),
            (Some(2), 1),
            (None, 1),
            (Some(9), 1),
        ],
    );
    assert_eq!(
        slots,
        [
            (1, Slot::Given),
            (3, Slot::Free),
            (5, Slot::Given),
            (6, Slot::Free),
            (7, Slot::Overflow),
            (8, Slot::Overflow),
        ]
    );
}

/// Shipped inventories with a placement.
const SHIPPED: [(&str, &str); 2] = [
    (
        "inventories/goodbarber",
        "inventories/goodbarber/incident-placement.csv",
    ),
    (
        "inventories/two-sites",
        "inventories/two-sites/placement.csv",
    ),
];

#[test]
fn the_heatmap_agrees_with_check_on_the_shipped_inventories() {
    for (dir, placement) in SHIPPED {
        let inventory = Inventory::load(&root().join(dir)).unwrap();
        let services = Services::load(&root().join(dir).join("services.toml"), &inventory).unwrap();
        let placement = Placement::load(&root().join(placement), &inventory, &services).unwrap();
        let checked = checked(&inventory, &services, &placement);
        let o = Overview::gather(&inventory, &services, &placement, checked, dir, "p");
        for s in &o.services {
            // The worst over the families is the service's worst scenario.
            let worst = s.margins.iter().flatten().map(|(m, _)| *m).min();
            assert_eq!(worst, Some(s.worst_margin()), "{dir}: {}", s.status.service);
            // A broken guarantee is a red cell, and a red cell a broken guarantee.
            let red = s.margins.iter().flatten().any(|(m, _)| *m < 0);
            assert_eq!(red, s.worst_margin() < 0, "{dir}: {}", s.status.service);
        }
        // Every overload check reports is within the worst load drawn.
        for f in &o.report.findings {
            if let verify::FindingKind::PowerOverload {
                component, load_w, ..
            } = &f.kind
            {
                let p = o.power.iter().find(|p| &p.id == component).unwrap();
                assert!(p.load.worst_w >= load_w - 1e-6, "{dir}: {component}");
            }
        }
        assert_eq!(
            o.power.len(),
            inventory.power.len(),
            "{dir}: every component once"
        );
    }
}

fn report_args(out: &str) -> Vec<&str> {
    vec![
        "report",
        INV,
        "--placement",
        "inv/placement.csv",
        "--out",
        out,
    ]
}

#[test]
fn tiny_inventory_html_snapshot() {
    let tmp = powered().write();
    let run = run_in(tmp.path(), &report_args("report.html"));
    assert_eq!(
        (run.code, run.stdout.as_str(), run.stderr.as_str()),
        (0, "", "")
    );
    let html = std::fs::read_to_string(tmp.path().join("report.html")).unwrap();
    insta::assert_snapshot!("tiny_report_html", html);
}

#[test]
fn the_same_input_gives_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let mut pages = Vec::new();
    for name in ["a.html", "b.html"] {
        let out = dir.path().join(name);
        let out = out.to_str().unwrap();
        let run = run_root(&[
            "report",
            SHIPPED[0].0,
            "--placement",
            SHIPPED[0].1,
            "--out",
            out,
        ]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        pages.push(std::fs::read(out).unwrap());
    }
    assert_eq!(pages[0], pages[1]);
}

#[test]
fn an_output_over_an_input_or_bad_input_writes_nothing() {
    let tmp = baseline().write();
    let run = run_in(tmp.path(), &report_args("inv/placement.csv"));
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("refusing to overwrite"),
        "{}",
        run.stderr
    );
    let placement = std::fs::read_to_string(tmp.path().join("inv/placement.csv")).unwrap();
    assert!(placement.starts_with("service,server\n"));
    // A placement naming an unknown server: exit 2 with file and line, no page.
    let tmp = baseline()
        .placement(
            "
            service,server
            web,s9
            ",
        )
        .write();
    let run = run_in(tmp.path(), &report_args("report.html"));
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("inv/placement.csv:2"), "{}", run.stderr);
    assert!(!tmp.path().join("report.html").exists());
}

/// Ids and names full of markup: the loader allows anything but `;` (and a
/// service name anything but `;`), so every one of them must be escaped.
fn hostile() -> Inv {
    Inv::new()
        .datacenters(
            "
            id,name
            dc1,<b>bold</b> & co
            ",
        )
        .racks(
            r#"
            id,datacenter,room,u_height
            <script>alert(1)</script>,dc1,"<hr>""room""",8
            r'2,dc1,,8
            "#,
        )
        .power(
            "
            id,datacenter,kind,feeds_from,capacity_w
            pa</td><img src=x>,dc1,<u>ups</u>,,10000
            ",
        )
        .servers(
            "
            id,rack,cpu,mem_gb,psu,idle_w,max_w,position
            s'1&<i>,<script>alert(1)</script>,8,32,pa</td><img src=x>,100,200,1
            s2,r'2,8,32,pa</td><img src=x>,100,200,
            ",
        )
        .services(
            r#"
            [[service]]
            name = "<img src=x onerror=alert(1)>"
            min_replicas = 1
            cpu = 2
            survive = ["rack"]
            "#,
        )
        .placement(
            "
            service,server
            <img src=x onerror=alert(1)>,s'1&<i>
            <img src=x onerror=alert(1)>,s2
            ",
        )
}

#[test]
fn markup_in_ids_is_escaped() {
    let tmp = hostile().write();
    let run = run_in(tmp.path(), &report_args("report.html"));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let html = std::fs::read_to_string(tmp.path().join("report.html")).unwrap();
    for raw in [
        "<script>alert",
        "<img",
        "<b>bold",
        "<hr>",
        "<i>",
        "<u>",
        "</td><img",
    ] {
        assert!(!html.contains(raw), "unescaped {raw:?}");
    }
    assert!(html.contains("data-rack=\"&lt;script&gt;alert(1)&lt;/script&gt;\""));
    assert!(html.contains("data-server=\"s&#39;1&amp;&lt;i&gt;\""));
    assert_eq!(
        html.matches("<script>").count(),
        1,
        "only the page's own script"
    );
}

// ---- in a real browser ----

/// Collects script errors from the very start of the page.
const ERRORS: &str = "<script>window.fpErrors=[];window.addEventListener('error',function(e){window.fpErrors.push(String(e.message))});</script>";

/// Counts what is drawn and what is highlighted, then clicks the legend
/// buttons named in `window.fpClicks` one by one, recording the highlight each
/// time the fragment has changed; writes it all as JSON into #fp-summary.
const SUMMARY: &str = r#"<pre id="fp-summary"></pre><script>
(function () {
  function attr(sel, name) {
    return Array.prototype.map.call(document.querySelectorAll(sel), function (e) { return e.getAttribute(name); });
  }
  function lit() {
    return Array.prototype.map.call(document.querySelectorAll('.chip.hl'), function (c) {
      return [c.closest('[data-server]').getAttribute('data-server'), c.getAttribute('data-service')];
    });
  }
  var s = {
    errors: window.fpErrors,
    racks: attr('svg.rack', 'data-rack'),
    servers: attr('g.server', 'data-server'),
    chips: Array.prototype.map.call(document.querySelectorAll('.chip'), function (c) {
      return [c.closest('[data-server]').getAttribute('data-server'), c.getAttribute('data-service'), Number(c.getAttribute('data-count'))];
    }),
    picked: lit(),
    picking: document.documentElement.classList.contains('picking'),
    images: document.querySelectorAll('img').length,
    scripts: document.scripts.length,
    clicked: []
  };
  var out = document.getElementById('fp-summary');
  function write() { s.errors = window.fpErrors; out.textContent = JSON.stringify(s); }
  write();
  var clicks = window.fpClicks.slice();
  function next() {
    if (clicks.length === 0) return;
    var name = clicks.shift(), buttons = document.querySelectorAll('[data-pick]');
    for (var i = 0; i < buttons.length; i++) {
      if (buttons[i].getAttribute('data-pick') === name) { buttons[i].click(); }
    }
  }
  window.addEventListener('hashchange', function () { s.clicked.push(lit()); write(); next(); });
  next();
})();
</script>"#;

#[derive(serde::Deserialize, Debug)]
struct Summary {
    errors: Vec<String>,
    racks: Vec<String>,
    servers: Vec<String>,
    chips: Vec<(String, String, u32)>,
    picked: Vec<(String, String)>,
    picking: bool,
    images: usize,
    scripts: usize,
    /// The highlight after each click.
    clicked: Vec<Vec<(String, String)>>,
}

/// Every character but ASCII letters and digits percent-encoded, as
/// `encodeURIComponent` would accept back.
fn fragment(name: &str) -> String {
    name.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Loads `page` in headless chromium opened at `#service=<pick>`, clicks the
/// legend buttons of `clicks` in turn, and returns what the summary script saw; None
/// (after a note) when chromium is not installed.
fn in_browser(page: &Path, pick: &str, clicks: &[&str]) -> Option<Summary> {
    let chromium = require_tool("chromium")?;
    let html = std::fs::read_to_string(page).unwrap();
    let clicks = serde_json::to_string(clicks)
        .unwrap()
        .replace('<', "\\u003c");
    let instrumented = html
        .replacen("<head>", &format!("<head>\n{ERRORS}"), 1)
        .replacen(
            "</body>",
            &format!("<script>window.fpClicks={clicks};</script>{SUMMARY}</body>"),
            1,
        );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("page.html");
    std::fs::write(&file, instrumented).unwrap();
    let url = format!("file://{}#service={}", file.display(), fragment(pick));
    let output = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            // Containers often have a small /dev/shm.
            "--disable-dev-shm-usage",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=3000",
        ])
        .arg(format!(
            "--user-data-dir={}",
            dir.path().join("profile").display()
        ))
        .arg("--dump-dom")
        .arg(&url)
        .output()
        .expect("chromium runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "chromium failed:\n{stderr}");
    let uncaught: Vec<&str> = stderr.lines().filter(|l| l.contains("Uncaught")).collect();
    assert!(
        uncaught.is_empty(),
        "script errors:\n{}",
        uncaught.join("\n")
    );
    let dom = String::from_utf8(output.stdout).unwrap();
    let start = dom
        .find("<pre id=\"fp-summary\">")
        .expect("the summary was written")
        + 21;
    let end = start + dom[start..].find("</pre>").unwrap();
    let json = dom[start..end]
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&");
    let summary: Summary = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"));
    assert!(
        summary.errors.is_empty(),
        "script errors: {:?}",
        summary.errors
    );
    Some(summary)
}

/// (server, service) → replicas placed, from the placement as loaded.
fn placed(
    inventory: &Inventory,
    services: &Services,
    placement: &Placement,
) -> BTreeMap<(String, String), u32> {
    let mut out = BTreeMap::new();
    for r in &placement.replicas {
        let key = (
            inventory.server(r.server).id.clone(),
            services.service(r.service).name.clone(),
        );
        *out.entry(key).or_default() += 1;
    }
    out
}

fn of(placed: &BTreeMap<(String, String), u32>, service: &str) -> BTreeSet<(String, String)> {
    placed
        .keys()
        .filter(|(_, s)| s == service)
        .cloned()
        .collect()
}

#[test]
fn browser_draws_the_goodbarber_racks_servers_and_replicas() {
    let (dir, placement_file) = SHIPPED[0];
    let tmp = tempfile::tempdir().unwrap();
    let page = tmp.path().join("report.html");
    let run = run_root(&[
        "report",
        dir,
        "--placement",
        placement_file,
        "--out",
        page.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let Some(summary) = in_browser(&page, "session", &["api", "api"]) else {
        return;
    };
    let inventory = Inventory::load(&root().join(dir)).unwrap();
    let services = Services::load(&root().join(dir).join("services.toml"), &inventory).unwrap();
    let placement = Placement::load(&root().join(placement_file), &inventory, &services).unwrap();
    let racks: Vec<String> = inventory.racks.iter().map(|r| r.id.clone()).collect();
    assert_eq!(summary.racks, racks);
    let mut servers = summary.servers.clone();
    servers.sort();
    let mut want: Vec<String> = inventory.servers.iter().map(|s| s.id.clone()).collect();
    want.sort();
    assert_eq!(servers, want, "every server drawn once");
    let placed = placed(&inventory, &services, &placement);
    let drawn: BTreeMap<(String, String), u32> = summary
        .chips
        .iter()
        .map(|(server, service, n)| ((server.clone(), service.clone()), *n))
        .collect();
    assert_eq!(
        drawn.len(),
        summary.chips.len(),
        "one chip per service and server"
    );
    assert_eq!(drawn, placed, "every replica drawn on its server");
    assert!(summary.picking);
    let picked: BTreeSet<(String, String)> = summary.picked.iter().cloned().collect();
    assert_eq!(
        picked,
        of(&placed, "session"),
        "#service=session highlights its replicas"
    );
    // Clicking api highlights its replicas; clicking it again clears them.
    assert_eq!(summary.clicked.len(), 2, "each click changed the fragment");
    let clicked: BTreeSet<(String, String)> = summary.clicked[0].iter().cloned().collect();
    assert_eq!(
        clicked,
        of(&placed, "api"),
        "clicking api highlights its replicas"
    );
    assert!(
        summary.clicked[1].is_empty(),
        "clicking api again clears it"
    );
}

#[test]
fn browser_runs_no_markup_from_ids() {
    let tmp = hostile().write();
    let run = run_in(tmp.path(), &report_args("report.html"));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let service = "<img src=x onerror=alert(1)>";
    let Some(summary) = in_browser(&tmp.path().join("report.html"), service, &[""]) else {
        return;
    };
    assert_eq!(summary.images, 0, "no element made from an id");
    assert_eq!(summary.scripts, 4, "the page's script and the test's three");
    assert_eq!(summary.racks, ["<script>alert(1)</script>", "r'2"]);
    let all: BTreeSet<(String, String)> = [("s'1&<i>", service), ("s2", service)]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(summary.picked.iter().cloned().collect::<BTreeSet<_>>(), all);
    // The "all" button clears the highlight.
    assert_eq!(summary.clicked.len(), 1);
    assert!(summary.clicked[0].is_empty());
}

#[test]
fn goodbarber_headline_names_the_incident() {
    // The incident: all three session replicas in rack par1-r03.
    let tmp = tempfile::tempdir().unwrap();
    let page = tmp.path().join("report.html");
    let (dir, placement) = SHIPPED[0];
    let run = run_root(&[
        "report",
        dir,
        "--placement",
        placement,
        "--out",
        page.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let html = std::fs::read_to_string(&page).unwrap();
    for expected in [
        "<div class=\"verdict fail\" id=\"verdict\">Guarantees broken: 1 error</div>",
        "8 of 9 keep min_replicas up in every scenario they must survive; broken: session.",
        "<b>Worst scenario:</b> rack par1-r03, which leaves session 0 of 2 required replicas up (margin \u{2212}2).",
        "1.<ul id=\"spof\">\n<li>rack <b>par1-r03</b> breaks session (0 of 2)</li>\n</ul>",
        "<td class=\"n m-neg\" title=\"worst: rack par1-r03\">\u{2212}2</td>",
    ] {
        assert!(html.contains(expected), "missing {expected:?}");
    }
    // two-sites keeps every guarantee.
    let (dir, placement) = SHIPPED[1];
    let run = run_root(&[
        "report",
        dir,
        "--placement",
        placement,
        "--out",
        page.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("<div class=\"verdict pass\" id=\"verdict\">Every guarantee holds</div>"));
    assert!(!html.contains("class=\"n m-neg\""), "no red cell");
}

#[test]
fn racks_drawing_snapshot() {
    // r1 has 3 units: s1 at 2-3, so s4 (2U, no position) fits nowhere and is
    // drawn above it. s2 is in maintenance, and db's replica on it counts as
    // down (a white chip); s3 sits at its position 40.
    let inv = baseline()
        .racks(
            "
            id,datacenter,room,u_height
            r1,dc1,a,3
            r2,dc1,b,4
            r3,dc2,,42
            ",
        )
        .servers(
            "
            id,rack,cpu,mem_gb,psu,idle_w,max_w,labels,status,position,u_height,model
            s1,r1,8,32,pa;pb,100,200,ssd,,2,2,Big Box
            s2,r2,8,32,pa;pb,100,200,ssd,maintenance,,,
            s3,r3,8,32,p2,100,200,,,40,1,
            s4,r1,8,32,pa,100,200,,,,2,
            ",
        )
        .services(
            r#"
            [[service]]
            name = "web"
            min_replicas = 2
            cpu = 2
            survive = ["rack"]

            [[service]]
            name = "db"
            min_replicas = 1
            cpu = 4
            requires = ["ssd"]
            survive = ["rack"]
            "#,
        )
        .placement(
            "
            service,server
            web,s1
            web,s3
            web,s4
            db,s1
            db,s2
            ",
        );
    let tmp = inv.write();
    let run = run_in(tmp.path(), &report_args("report.html"));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let html = std::fs::read_to_string(tmp.path().join("report.html")).unwrap();
    let start = html.find("<h2>Racks</h2>").unwrap();
    let end = html.find("<h2>Margins").unwrap();
    let racks = &html[start..end];
    assert!(racks.contains(
        "s4: units 4-5, 2 of 8 cores reserved, no free units left: drawn above the rack"
    ));
    assert!(racks.contains("<rect class=\"chip down\" data-service=\"db\" data-count=\"1\""));
    insta::assert_snapshot!("racks_drawing", racks);
}
