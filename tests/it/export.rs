//! `faultplan export`: every format on the shipped inventories (snapshots),
//! the manifest's JSON Schema, the CSV round trip through `check`, the real
//! `ansible-inventory` reading both Ansible shapes, the Kubernetes objects
//! round-tripping through k8s-openapi's types, and the spreadsheet guard.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::support::{baseline, root, run_in, run_root, Run, INV};

const INVENTORIES: [(&str, &str, &str); 2] = [
    (
        "goodbarber",
        "inventories/goodbarber",
        "inventories/goodbarber/incident-placement.csv",
    ),
    (
        "two_sites",
        "inventories/two-sites",
        "inventories/two-sites/placement.csv",
    ),
];
const FORMATS: [&str; 5] = ["json", "ansible", "ansible-ini", "kubernetes", "csv"];

fn export(inventory: &str, placement: &str, format: &str) -> Run {
    let run = run_root(&[
        "export",
        inventory,
        "--placement",
        placement,
        "--format",
        format,
    ]);
    assert_eq!(
        (run.code, run.stderr.as_str()),
        (0, ""),
        "{format} of {inventory}"
    );
    run
}

#[test]
fn every_format_on_the_shipped_inventories() {
    for (name, inventory, placement) in INVENTORIES {
        for format in FORMATS {
            let run = export(inventory, placement, format);
            // Deterministic: a second run gives the same bytes.
            assert_eq!(run.stdout, export(inventory, placement, format).stdout);
            insta::assert_snapshot!(format!("{name}_{format}"), run.stdout);
        }
    }
}

// --- json: the manifest and its schema -------------------------------------------------

fn schema_path() -> PathBuf {
    root().join("docs/manifest.schema.json")
}

/// The shipped schema is the one generated from the Rust types. Set
/// FAULTPLAN_UPDATE_SCHEMA=1 to rewrite it after changing them.
#[test]
fn shipped_schema_is_generated_from_the_types() {
    let generated = faultplan::export::manifest_schema();
    if std::env::var_os("FAULTPLAN_UPDATE_SCHEMA").is_some() {
        std::fs::write(schema_path(), &generated).unwrap();
    }
    let shipped = std::fs::read_to_string(schema_path()).expect("docs/manifest.schema.json");
    assert_eq!(
        shipped, generated,
        "docs/manifest.schema.json is stale: rerun with FAULTPLAN_UPDATE_SCHEMA=1"
    );
}

fn validator() -> jsonschema::Validator {
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(schema_path()).unwrap()).unwrap();
    jsonschema::validator_for(&schema).expect("the schema is a valid JSON Schema")
}

#[track_caller]
fn assert_valid(validator: &jsonschema::Validator, text: &str, what: &str) {
    let value: serde_json::Value = serde_json::from_str(text).expect("JSON");
    let errors: Vec<String> = validator
        .iter_errors(&value)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{what}: {errors:?}");
    // And the types read back what they wrote.
    let manifest: faultplan::export::Manifest = serde_json::from_str(text).expect(what);
    assert_eq!(serde_json::to_value(&manifest).unwrap(), value, "{what}");
}

#[test]
fn the_schema_validates_every_example_manifest() {
    let validator = validator();
    for (name, inventory, placement) in INVENTORIES {
        assert_valid(
            &validator,
            &export(inventory, placement, "json").stdout,
            name,
        );
    }
    // The manifests shipped in docs/examples, one of them written by `plan`.
    let mut examples = 0;
    for entry in std::fs::read_dir(root().join("docs/examples")).unwrap() {
        let path = entry.unwrap().path();
        if path.to_string_lossy().ends_with(".manifest.json") {
            assert_valid(
                &validator,
                &std::fs::read_to_string(&path).unwrap(),
                &path.display().to_string(),
            );
            examples += 1;
        }
    }
    assert!(examples >= 1, "docs/examples has a plan-written manifest");
}

#[test]
fn the_schema_rejects_an_unknown_major_version_and_a_missing_field() {
    let validator = validator();
    let (_, inventory, placement) = INVENTORIES[1];
    let good: serde_json::Value =
        serde_json::from_str(&export(inventory, placement, "json").stdout).unwrap();
    assert!(validator.is_valid(&good));
    assert_eq!(good["format_version"], "1.0");
    let mut minor = good.clone();
    minor["format_version"] = "1.7".into();
    assert!(
        validator.is_valid(&minor),
        "a later minor version is accepted"
    );
    let mut major = good.clone();
    major["format_version"] = "2.0".into();
    assert!(!validator.is_valid(&major));
    let mut missing = good.clone();
    missing["placement"][0]
        .as_object_mut()
        .unwrap()
        .remove("server");
    assert!(!validator.is_valid(&missing));
}

#[test]
fn plan_writes_a_manifest_the_schema_accepts() {
    let tmp = baseline().write();
    let run = run_in(
        tmp.path(),
        &["plan", INV, "--out", "p.csv", "--method", "greedy"],
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let text = std::fs::read_to_string(tmp.path().join("p.json")).unwrap();
    assert_valid(&validator(), &text, "plan's manifest");
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(value["objective"], "cost");
    assert_eq!(value["stage"].as_str().map(str::is_empty), Some(false));
}

// --- csv: round trip through check -----------------------------------------------------

#[test]
fn exported_csv_checks_as_the_original_placement_does() {
    let tmp = tempfile::tempdir().unwrap();
    for (name, inventory, placement) in INVENTORIES {
        let out = tmp.path().join(format!("{name}.csv"));
        let out = out.to_str().unwrap();
        let run = run_root(&[
            "export",
            inventory,
            "--placement",
            placement,
            "--format",
            "csv",
            "--out",
            out,
        ]);
        assert_eq!(
            (run.code, run.stdout.as_str(), run.stderr.as_str()),
            (0, "", "")
        );
        let original = run_root(&[
            "check",
            inventory,
            "--placement",
            placement,
            "--format",
            "json",
        ]);
        let exported = run_root(&["check", inventory, "--placement", out, "--format", "json"]);
        assert_eq!(exported.code, original.code, "{name}");
        let strip = |run: &Run| {
            let mut v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
            v["context"]["placement"] = serde_json::Value::Null;
            for f in v["findings"].as_array_mut().unwrap() {
                f.as_object_mut().unwrap().remove("line");
                f.as_object_mut().unwrap().remove("file");
            }
            v
        };
        assert_eq!(strip(&exported), strip(&original), "{name}");
        // Exporting the export changes nothing.
        let again = run_root(&["export", inventory, "--placement", out, "--format", "csv"]);
        assert_eq!(again.stdout, std::fs::read_to_string(out).unwrap());
    }
    // two-sites' placement passes: so does its export.
    let out = tmp.path().join("two_sites.csv");
    let run = run_root(&[
        "check",
        "inventories/two-sites",
        "--placement",
        out.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stdout);
}

#[test]
fn csv_rows_are_sorted_by_service_then_server() {
    let (_, inventory, placement) = INVENTORIES[0];
    let text = export(inventory, placement, "csv").stdout;
    let rows: Vec<(String, String)> = text
        .lines()
        .skip(1)
        .map(|l| {
            let mut cells = l.split(',');
            (cells.next().unwrap().into(), cells.next().unwrap().into())
        })
        .collect();
    let mut sorted = rows.clone();
    sorted.sort();
    assert_eq!(rows, sorted);
    assert_eq!(text.lines().next(), Some("service,server,rack,datacenter"));
    let original = std::fs::read_to_string(root().join(placement)).unwrap();
    assert_eq!(
        rows.len(),
        original.lines().count() - 1,
        "one row per replica"
    );
}

#[test]
fn out_writes_the_file_and_refuses_to_replace_an_input() {
    let tmp = baseline().write();
    let run = run_in(
        tmp.path(),
        &[
            "export",
            INV,
            "--placement",
            "inv/placement.csv",
            "--format",
            "csv",
            "--out",
            "x.csv",
        ],
    );
    assert_eq!((run.code, run.stdout.as_str()), (0, ""));
    assert!(std::fs::read_to_string(tmp.path().join("x.csv"))
        .unwrap()
        .starts_with("service,server,rack,datacenter\nweb,s1,r1,dc1\n"));
    let before = std::fs::read(tmp.path().join("inv/placement.csv")).unwrap();
    let run = run_in(
        tmp.path(),
        &[
            "export",
            INV,
            "--placement",
            "inv/placement.csv",
            "--format",
            "csv",
            "--out",
            "inv/placement.csv",
        ],
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("refusing to overwrite"),
        "{}",
        run.stderr
    );
    assert_eq!(
        std::fs::read(tmp.path().join("inv/placement.csv")).unwrap(),
        before
    );
}

// --- no cell starts a formula -----------------------------------------------------------

/// The inventory loader accepts any id without `;` (FORMATS.md), so `=cmd` is
/// a valid server id: the writers refuse it.
#[test]
fn an_id_that_would_start_a_formula_is_refused_by_csv_and_ini() {
    let inv = baseline().edit("servers.csv", "s3,r3,", "=cmd,r3,").edit(
        "placement.csv",
        "web,s3",
        "web,=cmd",
    );
    let tmp = inv.write();
    let check = run_in(
        tmp.path(),
        &["check", INV, "--placement", "inv/placement.csv"],
    );
    assert_eq!(check.code, 0, "the loader accepts the id: {}", check.stderr);
    for format in ["csv", "ansible-ini"] {
        let run = run_in(
            tmp.path(),
            &[
                "export",
                INV,
                "--placement",
                "inv/placement.csv",
                "--format",
                format,
                "--out",
                "x",
            ],
        );
        assert_eq!(run.code, 2, "{format}");
        assert_eq!(
            run.stderr.lines().next(),
            Some("error: inv/servers.csv:4: server \"=cmd\" starts with '=', which a spreadsheet opening the export would run as a formula; rename it"),
            "{format}"
        );
        assert!(!tmp.path().join("x").exists(), "{format}: nothing written");
    }
    // JSON is not opened as a spreadsheet: the id passes as it is.
    let run = run_in(
        tmp.path(),
        &[
            "export",
            INV,
            "--placement",
            "inv/placement.csv",
            "--format",
            "json",
        ],
    );
    assert_eq!(run.code, 0);
    assert!(run.stdout.contains("\"server\": \"=cmd\""));
}

#[test]
fn every_formula_start_is_refused() {
    for start in ["=", "+", "-", "@", "\t"] {
        let id = format!("{start}x");
        let inv = baseline()
            .edit("servers.csv", "s3,r3,", &format!("\"{id}\",r3,"))
            .edit("placement.csv", "web,s3", &format!("web,\"{id}\""));
        let run = inv.run(&[
            "export",
            INV,
            "--placement",
            "inv/placement.csv",
            "--format",
            "csv",
        ]);
        if start == "\t" {
            // Cells are trimmed: a leading tab never reaches the id.
            assert_eq!(run.code, 0, "{}", run.stderr);
            continue;
        }
        assert_eq!(run.code, 2, "{id:?}: {}", run.stdout);
        assert!(
            run.stderr.contains("would run as a formula"),
            "{}",
            run.stderr
        );
    }
    // A service name too (its [[service]] table starts on line 1).
    let inv = baseline()
        .edit("services.toml", "name = \"web\"", "name = \"@web\"")
        .edit(
            "placement.csv",
            "web,s1\nweb,s2\nweb,s3",
            "@web,s1\n@web,s2\n@web,s3",
        );
    let run = inv.run(&[
        "export",
        INV,
        "--placement",
        "inv/placement.csv",
        "--format",
        "csv",
    ]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .starts_with("error: inv/services.toml:1: service \"@web\" starts with '@'"),
        "{}",
        run.stderr
    );
}

// --- ansible --------------------------------------------------------------------------

/// `ansible-inventory --list` of `source`: groups → hosts, and hostvars.
fn ansible_list(
    tool: &Path,
    source: &Path,
) -> (BTreeMap<String, BTreeSet<String>>, serde_json::Value) {
    let output = std::process::Command::new(tool)
        .args(["--list", "-i"])
        .arg(source)
        .env("ANSIBLE_INVENTORY_UNPARSED_FAILED", "true")
        .env("ANSIBLE_NOCOLOR", "1")
        .output()
        .expect("ansible-inventory runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(!stderr.contains("Invalid characters"), "{stderr}");
    let list: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let mut groups = BTreeMap::new();
    for (name, group) in list.as_object().unwrap() {
        if let Some(hosts) = group.get("hosts") {
            let hosts: BTreeSet<String> = hosts
                .as_array()
                .unwrap()
                .iter()
                .map(|h| h.as_str().unwrap().to_string())
                .collect();
            groups.insert(name.clone(), hosts);
        }
    }
    (groups, list["_meta"]["hostvars"].clone())
}

#[test]
fn ansible_inventory_reads_both_shapes_as_the_placement() {
    let Some(ansible) = crate::support::require_tool("ansible-inventory") else {
        return;
    };
    let (_, inventory, placement) = INVENTORIES[0];
    // What the placement says: service group → servers.
    let mut expected: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let text = std::fs::read_to_string(root().join(placement)).unwrap();
    for line in text.lines().skip(1) {
        let (service, server) = line.split_once(',').unwrap();
        expected
            .entry(faultplan::export::group_name(service))
            .or_default()
            .insert(server.to_string());
    }
    assert!(
        expected.contains_key("build_worker"),
        "a name Ansible would change"
    );
    let tmp = tempfile::tempdir().unwrap();
    let ini = tmp.path().join("hosts.ini");
    std::fs::write(&ini, export(inventory, placement, "ansible-ini").stdout).unwrap();
    // The JSON shape is what an inventory script prints: run it as one.
    let json = tmp.path().join("hosts.json");
    std::fs::write(&json, export(inventory, placement, "ansible").stdout).unwrap();
    let script = tmp.path().join("inventory.sh");
    std::fs::write(
        &script,
        format!("#!/bin/sh\nexec cat '{}'\n", json.display()),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let from_ini = ansible_list(&ansible, &ini);
    let from_script = ansible_list(&ansible, &script);
    for (what, (groups, hostvars)) in [("ini", &from_ini), ("script", &from_script)] {
        let services: BTreeMap<_, _> = groups
            .iter()
            .filter(|(g, _)| expected.contains_key(*g))
            .map(|(g, h)| (g.clone(), h.clone()))
            .collect();
        assert_eq!(services, expected, "{what}");
        assert_eq!(
            hostvars["par1-r03-s06"],
            serde_json::json!({
                "rack": "par1-r03",
                "room": "room1",
                "datacenter": "par1",
                "power_feeds": ["par1-r03-pdu-a", "par1-r03-pdu-b"],
            }),
            "{what}"
        );
    }
    assert_eq!(
        from_ini.1, from_script.1,
        "both shapes give the same hostvars"
    );
}

#[test]
fn ini_values_that_look_like_numbers_stay_strings() {
    let Some(ansible) = crate::support::require_tool("ansible-inventory") else {
        return;
    };
    let inv = baseline().edit("racks.csv", "r1,dc1,a", "r1,dc1,007");
    let run = inv.run(&[
        "export",
        INV,
        "--placement",
        "inv/placement.csv",
        "--format",
        "ansible-ini",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let tmp = tempfile::tempdir().unwrap();
    let ini = tmp.path().join("hosts.ini");
    std::fs::write(&ini, &run.stdout).unwrap();
    let (_, hostvars) = ansible_list(&ansible, &ini);
    assert_eq!(hostvars["s1"]["room"], "007");
    assert_eq!(hostvars["s3"].get("room"), None, "no room: no variable");
}

#[test]
fn group_names_are_what_ansible_accepts() {
    use faultplan::export::group_name;
    assert_eq!(group_name("build-worker"), "build_worker");
    assert_eq!(group_name("web.v2"), "web_v2");
    assert_eq!(group_name("9lives"), "_lives");
    assert_eq!(group_name("café"), "caf_");
    assert_eq!(group_name("ok_1"), "ok_1");
}

#[test]
fn two_services_with_one_group_name_are_refused() {
    let inv = baseline()
        .services(
            r#"
        [[service]]
        name = "web-a"
        min_replicas = 1
        cpu = 1

        [[service]]
        name = "web_a"
        min_replicas = 1
        cpu = 1
        "#,
        )
        .placement(
            "
        service,server
        web-a,s1
        web_a,s2
        ",
        );
    let run = inv.run(&[
        "export",
        INV,
        "--placement",
        "inv/placement.csv",
        "--format",
        "ansible",
    ]);
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "error: inv/services.toml:6: services \"web-a\" and \"web_a\" would both be the Ansible group \"web_a\" (group names keep only letters, digits and _); rename one\n"
    );
}

// --- kubernetes -----------------------------------------------------------------------

#[test]
fn kubernetes_objects_round_trip_through_k8s_openapi() {
    use k8s_openapi::api::apps::v1::Deployment;
    use k8s_openapi::api::core::v1::Node;
    let (_, inventory, placement) = INVENTORIES[0];
    let list: serde_json::Value =
        serde_json::from_str(&export(inventory, placement, "kubernetes").stdout).unwrap();
    assert_eq!(
        (list["apiVersion"].as_str(), list["kind"].as_str()),
        (Some("v1"), Some("List"))
    );
    let mut nodes = BTreeMap::new();
    let mut deployments = BTreeMap::new();
    for item in list["items"].as_array().unwrap() {
        match item["kind"].as_str() {
            Some("Node") => {
                let node: Node = serde_json::from_value(item.clone()).expect("a Node");
                assert_eq!(&serde_json::to_value(&node).unwrap(), item);
                nodes.insert(node.metadata.name.clone().unwrap(), node);
            }
            Some("Deployment") => {
                let d: Deployment = serde_json::from_value(item.clone()).expect("a Deployment");
                assert_eq!(&serde_json::to_value(&d).unwrap(), item);
                deployments.insert(d.metadata.name.clone().unwrap(), d);
            }
            other => panic!("unexpected kind {other:?}"),
        }
    }
    // Every placed server is a node, every service a Deployment patch.
    let text = std::fs::read_to_string(root().join(placement)).unwrap();
    let mut by_service: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for line in text.lines().skip(1) {
        let (service, server) = line.split_once(',').unwrap();
        by_service.entry(service).or_default().insert(server);
    }
    let servers: BTreeSet<&str> = by_service.values().flatten().copied().collect();
    assert_eq!(
        nodes.keys().map(String::as_str).collect::<BTreeSet<_>>(),
        servers
    );
    assert_eq!(
        deployments
            .keys()
            .map(String::as_str)
            .collect::<BTreeSet<_>>(),
        by_service.keys().copied().collect()
    );
    let labels = nodes["par1-r03-s06"].metadata.labels.clone().unwrap();
    assert_eq!(labels["topology.kubernetes.io/zone"], "par1");
    assert_eq!(labels["faultplan.dev/rack"], "par1-r03");
    assert_eq!(labels["faultplan.dev/room"], "room1");
    assert_eq!(
        labels["faultplan.dev/power-side"],
        "par1-utility-a_par1-utility-b"
    );
    // session: pinned to exactly its servers, spread over racks with the
    // incident placement's own skew (3 replicas on par1-r03, 1 elsewhere).
    let pod = deployments["session"]
        .spec
        .clone()
        .unwrap()
        .template
        .spec
        .unwrap();
    let terms = pod
        .affinity
        .unwrap()
        .node_affinity
        .unwrap()
        .required_during_scheduling_ignored_during_execution
        .unwrap()
        .node_selector_terms;
    let requirement = &terms[0].match_expressions.as_ref().unwrap()[0];
    assert_eq!(requirement.key, "kubernetes.io/hostname");
    assert_eq!(requirement.operator, "In");
    let pinned: BTreeSet<&str> = requirement
        .values
        .as_ref()
        .unwrap()
        .iter()
        .map(String::as_str)
        .collect();
    assert_eq!(pinned, by_service["session"]);
    let spread = &pod.topology_spread_constraints.unwrap()[0];
    assert_eq!(spread.topology_key, "faultplan.dev/rack");
    assert_eq!(spread.when_unsatisfiable, "DoNotSchedule");
    let per_rack = {
        let mut counts: BTreeMap<String, i32> = BTreeMap::new();
        for server in &by_service["session"] {
            *counts.entry(server[..8].to_string()).or_default() += 1;
        }
        counts
    };
    let skew = per_rack.values().max().unwrap() - per_rack.values().min().unwrap();
    assert_eq!(spread.max_skew, skew.max(1));
    assert_eq!(
        spread
            .label_selector
            .as_ref()
            .unwrap()
            .match_labels
            .as_ref()
            .unwrap()["app.kubernetes.io/name"],
        "session"
    );
}

#[test]
fn a_server_id_kubernetes_cannot_name_is_refused() {
    let inv = baseline().edit("servers.csv", "s3,r3,", "S_3,r3,").edit(
        "placement.csv",
        "web,s3",
        "web,S_3",
    );
    let run = inv.run(&[
        "export",
        INV,
        "--placement",
        "inv/placement.csv",
        "--format",
        "kubernetes",
    ]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.starts_with(
            "error: inv/servers.csv:4: server \"S_3\" is not a valid Kubernetes node name"
        ),
        "{}",
        run.stderr
    );
}

// --- shell integration ----------------------------------------------------------------

#[test]
fn completions_and_man_pages_come_from_the_binary() {
    let bash = run_root(&["completions", "bash"]);
    assert_eq!(bash.code, 0);
    assert!(bash.stdout.contains("_faultplan()"), "{}", bash.stdout);
    assert!(bash.stdout.contains("--fail-on"), "every flag is completed");
    for shell in ["zsh", "fish", "elvish", "powershell"] {
        let run = run_root(&["completions", shell]);
        assert_eq!(run.code, 0, "{shell}");
        assert!(run.stdout.contains("export"), "{shell}");
    }
    assert_eq!(run_root(&["completions", "tcsh"]).code, 2);
    let page = run_root(&["man"]);
    assert_eq!(page.code, 0);
    assert!(
        page.stdout.starts_with(".ie \\n(.g .ds Aq \\(aq"),
        "{}",
        &page.stdout[..80]
    );
    assert!(page.stdout.contains(".TH faultplan 1"), "roff title");
    assert!(page.stdout.contains("Exit codes:"));
    let check = run_root(&["man", "check"]);
    assert_eq!(check.code, 0);
    assert!(
        check.stdout.contains(".TH faultplan-check 1"),
        "{}",
        check.stdout
    );
    assert!(check.stdout.contains("fail\\-on"));
    let unknown = run_root(&["man", "nope"]);
    assert_eq!(unknown.code, 2);
    assert!(
        unknown.stderr.contains("unknown command \"nope\""),
        "{}",
        unknown.stderr
    );
}

#[test]
fn every_help_ends_with_the_exit_codes() {
    let top = run_root(&["--help"]);
    let commands = [
        "check",
        "scenarios",
        "plan",
        "simulate",
        "export",
        "diff",
        "completions",
        "man",
    ];
    for command in commands {
        assert!(
            top.stdout.contains(&format!("  {command} ")),
            "{command} listed"
        );
        let run = run_root(&[command, "--help"]);
        assert_eq!(run.code, 0, "{command}");
        assert!(
            run.stdout
                .trim_end()
                .ends_with("2  bad input or usage: the message names the file, line and column"),
            "{command}:\n{}",
            run.stdout
        );
        assert!(run.stdout.contains("Exit codes:\n  0  "), "{command}");
    }
}

#[test]
fn a_service_named_like_an_ansible_reserved_group_is_refused() {
    let inv = baseline()
        .edit("services.toml", "name = \"web\"", "name = \"all\"")
        .edit(
            "placement.csv",
            "web,s1\nweb,s2\nweb,s3",
            "all,s1\nall,s2\nall,s3",
        );
    for format in ["ansible", "ansible-ini"] {
        let run = inv.run(&[
            "export",
            INV,
            "--placement",
            "inv/placement.csv",
            "--format",
            format,
        ]);
        assert_eq!(run.code, 2, "{format}");
        assert_eq!(
            run.stderr,
            "error: inv/services.toml:1: service \"all\" would be the Ansible group \"all\", which Ansible reserves; rename the service\n"
        );
    }
    // Other formats have no such group.
    let run = inv.run(&[
        "export",
        INV,
        "--placement",
        "inv/placement.csv",
        "--format",
        "csv",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}
