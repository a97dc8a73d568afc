//! Issue 24, item 4: pictures that read at 1,000 servers. `graph` folds each
//! rack's servers by the power components that feed them (read back by the
//! real `dot`), and the report, loaded in headless chromium, gives every
//! service its own colour and keeps its headline short. The PNGs both draw at
//! 80 servers (goodbarber) and 1,000 (genfleet) are kept in cargo's scratch
//! folder, `target/tmp/pictures/`, to be looked at.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use crate::support::{require_tool, run_in, run_root};
use crate::width::{fleet_1k, genfleet};

/// Where the pictures are kept.
fn shots() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("pictures");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `dot -T<format>` of `text` (None when dot is missing and not required).
pub(crate) fn dot(text: &str, format: &str) -> Option<Vec<u8>> {
    let dot = require_tool("dot")?;
    let mut child = Command::new(dot)
        .arg(format!("-T{format}"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("dot runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stderr.is_empty(),
        "dot: {stderr}"
    );
    Some(output.stdout)
}

/// A PNG's width and height, from its header.
fn png_size(png: &[u8]) -> (u32, u32) {
    let be = |at: usize| u32::from_be_bytes(png[at..at + 4].try_into().unwrap());
    (be(16), be(20))
}

#[test]
fn graph_folds_each_racks_servers_by_their_power_feeds() {
    let run = run_root(&[
        "graph",
        "inventories/goodbarber",
        "--highlight",
        "par1-ups-a",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let Some(json) = dot(&run.stdout, "json") else {
        return;
    };
    let json: serde_json::Value = serde_json::from_slice(&json).unwrap();
    let nodes: Vec<(String, String)> = json["objects"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n.get("nodes").is_none())
        .map(|n| {
            (
                n["label"].as_str().unwrap().to_string(),
                n["fillcolor"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let clusters: Vec<&str> = json["objects"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n.get("nodes").is_some())
        .map(|n| n["label"].as_str().unwrap())
        .collect();
    // 4 racks of 20: 19 dual-fed servers and one on its rack's pdu-a only.
    assert_eq!(
        clusters,
        [
            "par1-r01: 20 servers",
            "par1-r02: 20 servers",
            "par1-r03: 20 servers",
            "par1-r04: 20 servers"
        ]
    );
    let groups: Vec<&(String, String)> = nodes
        .iter()
        .filter(|(l, _)| l.contains(" server"))
        .collect();
    let count = |l: &str| -> usize { l.split(' ').next().unwrap().parse().unwrap() };
    assert_eq!(groups.iter().map(|(l, _)| count(l)).sum::<usize>(), 80);
    assert!(!nodes.iter().any(|(l, _)| l.starts_with("par1-r01-s")));
    // par1-ups-a fails (red): the four single-fed servers go down with the
    // pdu-a it feeds (pink), the dual-fed ones stay up.
    assert!(nodes.contains(&("par1-ups-a".into(), "#d62728".into())));
    let down: BTreeSet<&str> = groups
        .iter()
        .filter(|(_, fill)| fill == "#f4b6b0")
        .map(|(l, _)| l.as_str())
        .collect();
    assert_eq!(
        down,
        (1..=4)
            .map(|r| format!("1 server\\npar1-r0{r}-pdu-a only\\n1 down"))
            .collect::<BTreeSet<_>>()
            .iter()
            .map(String::as_str)
            .collect()
    );
}

#[test]
fn graph_pngs_at_80_and_1000_servers() {
    let folded = run_root(&["graph", "inventories/goodbarber"]);
    let servers = run_root(&["graph", "inventories/goodbarber", "--servers"]);
    let Some(png) = dot(&folded.stdout, "png") else {
        return;
    };
    std::fs::write(shots().join("graph-goodbarber.png"), &png).unwrap();
    let per_server = dot(&servers.stdout, "png").unwrap();
    std::fs::write(shots().join("graph-goodbarber-servers.png"), &per_server).unwrap();
    let ((_, folded_h), (_, servers_h)) = (png_size(&png), png_size(&per_server));
    assert!(
        folded_h * 4 < servers_h,
        "folded {folded_h} px high, per server {servers_h}"
    );
    let big = run_in(fleet_1k(), &["graph", "fleet1k"]);
    assert_eq!(big.code, 0, "{}", big.stderr);
    let nodes = big
        .stdout
        .lines()
        .filter(|l| l.contains(" [label="))
        .count();
    assert!(nodes < 400, "{nodes} nodes for 1,000 servers");
    let png = dot(&big.stdout, "png").unwrap();
    std::fs::write(shots().join("graph-1k.png"), &png).unwrap();
}

/// The tight 1k fleet of bench/run.sh with its greedy-spread placement,
/// which breaks guarantees and has hundreds of single points of failure.
pub(crate) fn tight_1k() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("pictures-fleet");
        let out = dir.join("tight1k");
        let greedy = dir.join("greedy.csv");
        assert!(genfleet::generate(&[
            "--servers",
            "1000",
            "--services",
            "100",
            "--tightness",
            "0.6",
            "--seed",
            "1",
            "--placement",
            "--baseline-placement",
            greedy.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ]));
        dir
    })
}

/// What the page shows, measured in the browser.
#[derive(serde::Deserialize, Debug)]
struct Seen {
    /// The computed colour of each legend swatch, in service order.
    swatches: Vec<String>,
    /// The headline's visible text.
    headline: String,
    /// Single points of failure listed before the fold.
    spof_shown: usize,
}

const MEASURE: &str = r#"<script>
(function () {
  var sw = Array.prototype.map.call(document.querySelectorAll('.legend .sw'), function (s) {
    return getComputedStyle(s).backgroundColor;
  });
  var head = document.querySelector('ul.head');
  var shown = document.querySelectorAll('#spof > li').length;
  var out = document.createElement('pre');
  out.id = 'fp-seen';
  out.textContent = JSON.stringify({swatches: sw, headline: head.innerText, spof_shown: shown});
  document.body.appendChild(out);
})();
</script>"#;

/// Loads `page` in headless chromium: a screenshot to `png`, and what
/// MEASURE sees. None (after a note) without chromium.
fn in_chromium(page: &Path, png: &Path) -> Option<Seen> {
    let chromium = require_tool("chromium")?;
    let profile = tempfile::tempdir().unwrap();
    let run = |extra: &[String], url: String| {
        let output = Command::new(&chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--window-size=1400,1800",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .args(extra)
            .arg(url)
            .output()
            .expect("chromium runs");
        assert!(
            output.status.success(),
            "chromium: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        output.stdout
    };
    run(
        &[format!("--screenshot={}", png.display())],
        format!("file://{}", page.display()),
    );
    let measured = page.with_extension("measured.html");
    let html = std::fs::read_to_string(page).unwrap();
    std::fs::write(
        &measured,
        html.replacen("</body>", &format!("{MEASURE}</body>"), 1),
    )
    .unwrap();
    let dom = String::from_utf8(run(
        &["--dump-dom".to_string()],
        format!("file://{}", measured.display()),
    ))
    .unwrap();
    let start = dom.find("<pre id=\"fp-seen\">").expect("measured") + 18;
    let end = start + dom[start..].find("</pre>").unwrap();
    let json = dom[start..end]
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    Some(serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}")))
}

#[track_caller]
fn reads_well(seen: &Seen, services: usize) {
    assert_eq!(seen.swatches.len(), services);
    let colours: BTreeSet<&str> = seen.swatches.iter().map(String::as_str).collect();
    assert_eq!(colours.len(), services, "two services share a colour");
    assert!(
        seen.headline.chars().count() < 1500,
        "a headline of {} characters:\n{}",
        seen.headline.chars().count(),
        seen.headline
    );
    assert!(seen.spof_shown <= 5, "{} listed", seen.spof_shown);
}

#[test]
fn the_report_reads_at_80_and_1000_servers() {
    let dir = shots();
    let page = dir.join("report-goodbarber.html");
    let run = run_root(&[
        "report",
        "inventories/goodbarber",
        "--placement",
        "inventories/goodbarber/incident-placement.csv",
        "--out",
        page.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let Some(seen) = in_chromium(&page, &dir.join("report-goodbarber.png")) else {
        return;
    };
    reads_well(&seen, 9);
    // 1,000 servers, 100 services, a placement with hundreds of single
    // points of failure: the headline names five and counts the rest.
    let fleet = tight_1k();
    let page = dir.join("report-1k.html");
    let run = run_in(
        fleet,
        &[
            "report",
            "tight1k",
            "--placement",
            "greedy.csv",
            "--out",
            page.to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let seen = in_chromium(&page, &dir.join("report-1k.png")).unwrap();
    reads_well(&seen, 100);
    assert_eq!(seen.spof_shown, 5);
    assert!(seen.headline.contains(" more"), "{}", seen.headline);
}

#[test]
fn folded_graph_reads_back_ids_with_quotes_and_backslashes() {
    let inv = crate::support::baseline()
        .edit("racks.csv", "r1,dc1,a", "\"r\"\"1\\n\",dc1,a")
        .edit("servers.csv", "s1,r1,", "\"s\"\"1\\\",\"r\"\"1\\n\",");
    let run = inv.run(&["graph", "inv", "--highlight", "s\"1\\"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let Some(json) = dot(&run.stdout, "json") else {
        return;
    };
    let json: serde_json::Value = serde_json::from_slice(&json).unwrap();
    // dot keeps labels as escStrings: `\\` is one backslash.
    let labels: Vec<String> = json["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["label"].as_str().unwrap().replace("\\\\", "\\"))
        .collect();
    assert!(labels.contains(&"r\"1\\n".to_string()), "{labels:?}");
    assert!(
        labels.contains(&"r\"1\\n: 1 server".to_string()),
        "{labels:?}"
    );
    // The failing server's group is red, and says it is down.
    assert!(
        labels.contains(&"1 server\\npa + pb\\n1 down".to_string()),
        "{labels:?}"
    );
}
