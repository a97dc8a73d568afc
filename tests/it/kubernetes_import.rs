//! `faultplan import kubernetes` on saved kubectl output (no cluster, no
//! kubectl: tests/it/kubectl.rs runs the real one): what is counted, what is
//! left out and said, and bad input refused with file:line:column.
//!
//! The fixtures (tests/it/fixtures/kubernetes/) are a cluster running the
//! baseline inventory's `web`: three pods on s1, s2 and s3, where s2's node
//! is named by DNS (found by its `faultplan.dev/server` label, its rack label
//! stale) and s3's was never labelled (found by its name); beside them a
//! control-plane node, and the pods a real cluster has that are not
//! replicas (Pending, terminating, a finished Job, another app, system pods,
//! a pod on a node not in the list or not a server).

use std::path::{Path, PathBuf};

use crate::support::{baseline, root, run_in, Run, CHECK, INV};

pub fn fixtures() -> PathBuf {
    root().join("tests/it/fixtures/kubernetes")
}

/// `import kubernetes inv --nodes NODES --pods PODS --out running.csv` in
/// `dir` (which holds the baseline inventory), plus `extra`.
pub fn import(dir: &Path, nodes: &Path, pods: &Path, extra: &[&str]) -> Run {
    let mut args = vec![
        "import",
        "kubernetes",
        INV,
        "--nodes",
        nodes.to_str().unwrap(),
        "--pods",
        pods.to_str().unwrap(),
        "--out",
        "running.csv",
    ];
    args.extend_from_slice(extra);
    run_in(dir, &args)
}

#[test]
fn running_pods_become_the_placement_and_the_rest_is_said_once_per_reason() {
    let tmp = baseline().write();
    let run = import(
        tmp.path(),
        &fixtures().join("nodes.json"),
        &fixtures().join("pods.json"),
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "wrote running.csv: 3 replicas of 1 service on 3 servers, from 11 pods (8 left out)\n"
    );
    assert_eq!(
        run.stderr,
        "\
warning: node \"s2.dc1.example.net\" is labelled faultplan.dev/rack=r9, but server \"s2\" is in r2 in the inventory: label the nodes again from `faultplan export --format kubernetes`
warning: 1 node is not a server of inv (neither its faultplan.dev/server label nor its name is a server id): control-plane-1
warning: 2 pods without the label app.kubernetes.io/name (no service's pods), left out: kube-system/coredns-674b8bbfcf-5xv2m, kube-system/kube-proxy-7tq9d
warning: 1 pod labelled app.kubernetes.io/name with a name that is not a service in inv/services.toml [db: 1], left out: default/db-0
warning: 1 pod finished (no longer running) [Succeeded: 1], left out: batch/web-migrate-29304480-7hvkx
warning: 1 pod terminating (deletionTimestamp set), left out: default/web-5c9f8b7a6d-l4tgx
warning: 1 pod not scheduled yet (Pending, no spec.nodeName), left out: default/web-7d4b9c6f58-qj7hd
warning: 1 pod on nodes that are not in the saved nodes [s9: 1], left out: default/web-7d4b9c6f58-w9np2
warning: 1 pod on nodes that are not servers of inv [control-plane-1: 1], left out: default/web-7d4b9c6f58-zr6bf
"
    );
    let running = std::fs::read_to_string(tmp.path().join("running.csv")).unwrap();
    assert_eq!(
        running,
        "service,server,rack,datacenter\nweb,s1,r1,dc1\nweb,s2,r2,dc1\nweb,s3,r3,dc2\n"
    );
    // What `check --current` reads: the baseline placement is what runs.
    let mut args = CHECK.to_vec();
    args.extend(["--current", "running.csv"]);
    let check = run_in(tmp.path(), &args);
    assert_eq!(check.code, 0, "{}{}", check.stdout, check.stderr);
    assert!(!check.stdout.contains("drift"), "{}", check.stdout);
}

#[test]
fn another_service_label_finds_other_pods() {
    let tmp = baseline().write();
    let run = import(
        tmp.path(),
        &fixtures().join("nodes.json"),
        &fixtures().join("pods.json"),
        &["--service-label", "k8s-app"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("warning: 9 pods without the label k8s-app (no service's pods), left out: batch/web-migrate-29304480-7hvkx, default/db-0, default/web-5c9f8b7a6d-l4tgx and 6 more\n"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains(
        "warning: 2 pods labelled k8s-app with a name that is not a service in inv/services.toml [kube-dns: 1, kube-proxy: 1], left out: kube-system/coredns-674b8bbfcf-5xv2m, kube-system/kube-proxy-7tq9d\n"
    ));
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("running.csv")).unwrap(),
        "service,server,rack,datacenter\n"
    );
}

/// Writes `text` as `name` in `dir`.
fn saved(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn malformed_json_is_refused_at_its_line_and_column() {
    let tmp = baseline().write();
    let pods = saved(
        tmp.path(),
        "pods.json",
        "{\n  \"kind\": \"List\",\n  \"items\": [\n    {\"kind\": \"Pod\",}\n  ]\n}\n",
    );
    let run = import(tmp.path(), &fixtures().join("nodes.json"), &pods, &[]);
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        format!(
            "error: {}:4:20: trailing comma: expected the output of `kubectl get pods -A -o json` (a List of Pod)\n",
            pods.display()
        )
    );
    assert!(!tmp.path().join("running.csv").exists());
}

#[test]
fn the_wrong_list_is_refused_naming_what_was_expected() {
    let tmp = baseline().write();
    // The pods given as nodes: the first item says it is a Pod.
    let run = import(
        tmp.path(),
        &fixtures().join("pods.json"),
        &fixtures().join("pods.json"),
        &[],
    );
    assert_eq!(run.code, 2);
    let nodes = fixtures().join("pods.json");
    assert!(
        run.stderr
            .starts_with(&format!("error: {}:", nodes.display())),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.ends_with(
            ": invalid value: string \"Pod\", expected Node: expected the output of `kubectl get nodes -o json` (a List of Node)\n"
        ),
        "{}",
        run.stderr
    );
    // One object, not a list; and a list of another kind.
    let one = saved(
        tmp.path(),
        "node.json",
        "{\"apiVersion\": \"v1\", \"kind\": \"Node\", \"metadata\": {\"name\": \"s1\"}}\n",
    );
    let run = import(tmp.path(), &one, &fixtures().join("pods.json"), &[]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("missing field `items`: expected the output of `kubectl get nodes -o json`"),
        "{}",
        run.stderr
    );
    let other = saved(
        tmp.path(),
        "services.json",
        "{\"kind\": \"ServiceList\", \"items\": []}\n",
    );
    let run = import(tmp.path(), &other, &fixtures().join("pods.json"), &[]);
    assert_eq!(
        run.stderr,
        format!("error: {}: \"kind\" is \"ServiceList\": expected the output of `kubectl get nodes -o json` (a List of Node)\n", other.display())
    );
}

#[test]
fn the_api_s_own_list_kinds_are_read_too() {
    let tmp = baseline().write();
    let to_kind = |file: &str, kind: &str| {
        let text = std::fs::read_to_string(fixtures().join(file)).unwrap();
        let text = text.replacen("\"kind\": \"List\"", &format!("\"kind\": \"{kind}\""), 1);
        saved(tmp.path(), file, &text)
    };
    let nodes = to_kind("nodes.json", "NodeList");
    let pods = to_kind("pods.json", "PodList");
    let run = import(tmp.path(), &nodes, &pods, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.starts_with("wrote running.csv: 3 replicas"));
}

#[test]
fn out_may_not_replace_an_input() {
    let tmp = baseline().write();
    let pods = saved(
        tmp.path(),
        "pods.json",
        &std::fs::read_to_string(fixtures().join("pods.json")).unwrap(),
    );
    let run = run_in(
        tmp.path(),
        &[
            "import",
            "kubernetes",
            INV,
            "--nodes",
            fixtures().join("nodes.json").to_str().unwrap(),
            "--pods",
            "pods.json",
            "--out",
            "pods.json",
        ],
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.starts_with(
            "error: pods.json: --out: refusing to overwrite \"pods.json\", an input of this run"
        ),
        "{}",
        run.stderr
    );
    assert_eq!(
        std::fs::read_to_string(pods).unwrap(),
        std::fs::read_to_string(fixtures().join("pods.json")).unwrap()
    );
}

/// `value` without its null fields: the API writes `"lastProbeTime": null`,
/// k8s-openapi reads it as absent.
fn without_nulls(value: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), without_nulls(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_nulls).collect()),
        other => other.clone(),
    }
}

/// Every field of the fixtures is one k8s-openapi's Node and Pod know (a
/// misspelt field would be dropped, so the re-serialised object would
/// differ): the fixtures are what the API serves, not what faultplan reads.
#[test]
fn every_fixture_field_is_known_to_k8s_openapi() {
    use k8s_openapi::api::core::v1::{Node, Pod};
    for (file, kind) in [("nodes.json", "Node"), ("pods.json", "Pod")] {
        let text = std::fs::read_to_string(fixtures().join(file)).unwrap();
        let list: serde_json::Value = serde_json::from_str(&text).unwrap();
        for item in list["items"].as_array().unwrap() {
            let again = match kind {
                "Node" => {
                    serde_json::to_value(serde_json::from_value::<Node>(item.clone()).unwrap())
                }
                _ => serde_json::to_value(serde_json::from_value::<Pod>(item.clone()).unwrap()),
            }
            .unwrap();
            assert_eq!(
                again,
                without_nulls(item),
                "{file}: {}",
                item["metadata"]["name"]
            );
        }
    }
}

/// A random value of another JSON type than most fields have.
fn stranger(rng: &mut impl rand::Rng) -> serde_json::Value {
    use serde_json::json;
    match rng.gen_range(0..6) {
        0 => serde_json::Value::Null,
        1 => json!(-7),
        2 => json!("Pod"),
        3 => json!([]),
        4 => json!({}),
        _ => json!(true),
    }
}

/// Replaces one value somewhere in `value` (a random walk down from the top).
fn replace_somewhere(rng: &mut impl rand::Rng, value: &mut serde_json::Value) {
    use serde_json::Value;
    let child = match value {
        Value::Object(map) if !map.is_empty() && rng.gen_bool(0.8) => {
            let i = rng.gen_range(0..map.len());
            map.values_mut().nth(i)
        }
        Value::Array(items) if !items.is_empty() && rng.gen_bool(0.8) => {
            let i = rng.gen_range(0..items.len());
            items.get_mut(i)
        }
        _ => None,
    };
    match child {
        Some(child) => replace_somewhere(rng, child),
        None => *value = stranger(rng),
    }
}

/// Broken saved lists (cut anywhere, a value of the wrong type anywhere)
/// give exit 0 or a located exit 2, never a panic (`run_in` fails on one).
#[test]
fn broken_lists_are_refused_or_read_never_a_crash() {
    use rand::{Rng, SeedableRng};
    let tmp = baseline().write();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(24);
    for case in 0..120 {
        let (file, other) = if case % 2 == 0 {
            ("nodes.json", "pods.json")
        } else {
            ("pods.json", "nodes.json")
        };
        let text = std::fs::read_to_string(fixtures().join(file)).unwrap();
        let broken = if rng.gen_bool(0.3) {
            let mut end = rng.gen_range(0..text.len());
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            text[..end].to_string()
        } else {
            let mut value: serde_json::Value = serde_json::from_str(&text).unwrap();
            replace_somewhere(&mut rng, &mut value);
            serde_json::to_string_pretty(&value).unwrap()
        };
        let path = saved(tmp.path(), file, &broken);
        let (nodes, pods) = if file == "nodes.json" {
            (path, fixtures().join(other))
        } else {
            (fixtures().join(other), path)
        };
        let run = import(tmp.path(), &nodes, &pods, &[]);
        match run.code {
            0 => assert!(
                run.stdout.starts_with("wrote running.csv: "),
                "{}",
                run.stdout
            ),
            2 => assert!(
                run.stderr
                    .starts_with(&format!("error: {}", tmp.path().join(file).display())),
                "case {case}: {}",
                run.stderr
            ),
            code => panic!("case {case}: exit {code}: {}", run.stderr),
        }
    }
}

#[test]
fn help_ends_with_the_exit_codes() {
    let run = crate::support::run_root(&["import", "kubernetes", "--help"]);
    assert_eq!(run.code, 0);
    assert!(run.stdout.ends_with(
        "Exit codes:\n  0  the running placement was written (warnings say which pods were left out)\n  2  bad input or usage: the message names the file, line and column\n"
    ), "{}", run.stdout);
}
