//! The Kubernetes round trip with the real `kubectl` (no cluster: `kubectl
//! patch --local` merges as the API server would and prints the result).
//! Skipped when kubectl is missing, a failure with FAULTPLAN_REQUIRE_TOOLS=1
//! (.ci/run).
//!
//! - Every Deployment patch of `export --format kubernetes`, applied with a
//!   strategic merge onto a real Deployment (containers, selector,
//!   resources, 3 replicas), gives the planned replica count, the planned
//!   nodes and a spread over each failure domain of the service's
//!   guarantees, which the plan itself satisfies; the containers survive.
//! - Every node label patch keeps the kubelet's own labels.
//! - The importer's fixtures are decoded and re-serialised by kubectl, and
//!   read the same afterwards. Their fields come from the Kubernetes API
//!   reference (v1.33): Node — `metadata.{name, labels, uid,
//!   creationTimestamp}`, `spec.{podCIDR, podCIDRs, taints}`,
//!   `status.{addresses, allocatable, capacity, conditions,
//!   daemonEndpoints, nodeInfo}`; Pod — `metadata.{name, namespace,
//!   generateName, labels, ownerReferences, deletionTimestamp,
//!   deletionGracePeriodSeconds}`, `spec.{nodeName, containers, tolerations,
//!   restartPolicy, schedulerName, ...}`, `status.{phase, conditions,
//!   containerStatuses, hostIP, podIP, startTime, qosClass}`.
//! - plan → export → nodes labelled as exported, pods where the plan put
//!   them → import kubernetes → `check --current` finds no drift; one pod
//!   moved is drift, and `plan --current` starts from it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use faultplan::inventory::{Inventory, Services, SurviveWord};
use k8s_openapi::api::apps::v1::Deployment;
use serde_json::{json, Value};

use crate::kubernetes_import::fixtures;
use crate::support::{require_tool, root, run_in, run_root};

/// `kubectl patch --local -f FILE ARGS -o json`: the objects it prints.
fn kubectl_patch(kubectl: &Path, file: &Path, args: &[&str]) -> Vec<Value> {
    let output = std::process::Command::new(kubectl)
        .args(["patch", "--local", "-f"])
        .arg(file)
        .args(args)
        .args(["-o", "json"])
        .output()
        .expect("kubectl runs");
    assert!(
        output.status.success(),
        "kubectl patch {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::Deserializer::from_slice(&output.stdout)
        .into_iter::<Value>()
        .collect::<Result<_, _>>()
        .expect("kubectl prints JSON objects")
}

/// The `List` that `kubectl get -o json` prints.
fn list(items: Vec<Value>) -> Value {
    json!({"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": items})
}

/// `items` decoded and re-serialised by kubectl, as a `List`.
fn through_kubectl(kubectl: &Path, dir: &Path, name: &str, items: Vec<Value>) -> Value {
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_string_pretty(&list(items)).unwrap()).unwrap();
    list(kubectl_patch(
        kubectl,
        &path,
        &["-p", "{}", "--type", "merge"],
    ))
}

/// A Deployment as a team would have written it before faultplan: 3
/// replicas, its selector, a container with requests and a probe.
fn deployment(service: &str) -> Value {
    let app = json!({"app.kubernetes.io/name": service});
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": service, "namespace": "shop", "labels": app},
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": app},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
            "template": {
                "metadata": {"labels": {"app.kubernetes.io/name": service, "app.kubernetes.io/part-of": "shop"}},
                "spec": {
                    "containers": [{
                        "name": service,
                        "image": format!("registry.example.com/{service}:1.4.2"),
                        "ports": [{"containerPort": 8080, "protocol": "TCP"}],
                        "resources": {"requests": {"cpu": "2", "memory": "4Gi"}, "limits": {"memory": "4Gi"}},
                        "readinessProbe": {"httpGet": {"path": "/healthz", "port": 8080}}
                    }],
                    "terminationGracePeriodSeconds": 30
                }
            }
        }
    })
}

/// The export of `placement`: node name → labels, and the Deployment patches.
fn exported(inventory: &str, placement: &str) -> (BTreeMap<String, Value>, Vec<Value>) {
    let run = run_root(&[
        "export",
        inventory,
        "--placement",
        placement,
        "--format",
        "kubernetes",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let list: Value = serde_json::from_str(&run.stdout).unwrap();
    let mut nodes = BTreeMap::new();
    let mut deployments = Vec::new();
    for item in list["items"].as_array().unwrap() {
        match item["kind"].as_str() {
            Some("Node") => {
                let name = item["metadata"]["name"].as_str().unwrap().to_string();
                nodes.insert(name, item["metadata"]["labels"].clone());
            }
            _ => deployments.push(item.clone()),
        }
    }
    (nodes, deployments)
}

/// Service → server → replicas, from a placement file.
fn planned(placement: &Path) -> BTreeMap<String, BTreeMap<String, u32>> {
    let mut by = BTreeMap::<String, BTreeMap<String, u32>>::new();
    for line in std::fs::read_to_string(placement).unwrap().lines().skip(1) {
        let mut cells = line.split(',');
        let (service, server) = (cells.next().unwrap(), cells.next().unwrap());
        *by.entry(service.into())
            .or_default()
            .entry(server.into())
            .or_default() += 1;
    }
    by
}

/// The spread keys a service's survive words call for, stated again here:
/// the node and the rack always, and room, datacenter and power each by
/// their label; `custom:` scenarios have none.
fn expected_keys(words: &[SurviveWord]) -> BTreeSet<&'static str> {
    let mut keys = BTreeSet::from(["kubernetes.io/hostname", "faultplan.dev/rack"]);
    for word in words {
        keys.extend(match word {
            SurviveWord::Rack => Some("faultplan.dev/rack"),
            SurviveWord::Room => Some("faultplan.dev/dc-room"),
            SurviveWord::Datacenter => Some("topology.kubernetes.io/zone"),
            SurviveWord::PowerKind(_) | SurviveWord::PowerPercent { .. } => {
                Some("faultplan.dev/power-side")
            }
            SurviveWord::Server => Some("kubernetes.io/hostname"),
            SurviveWord::Custom(_) => None,
        });
    }
    keys
}

/// Applies `patch` onto `deployment(service)` with a strategic merge.
fn patched(kubectl: &Path, dir: &Path, service: &str, patch: &Value) -> Value {
    let base = dir.join(format!("{service}.json"));
    std::fs::write(&base, deployment(service).to_string()).unwrap();
    let patch_file = dir.join(format!("{service}-patch.json"));
    std::fs::write(&patch_file, patch.to_string()).unwrap();
    let patch_path = patch_file.to_str().unwrap();
    let mut objects = kubectl_patch(
        kubectl,
        &base,
        &["--type", "strategic", "--patch-file", patch_path],
    );
    assert_eq!(objects.len(), 1);
    objects.remove(0)
}

#[test]
fn every_deployment_patch_gives_the_plan_and_keeps_the_containers() {
    let Some(kubectl) = require_tool("kubectl") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    for (inventory, placement) in [
        (
            "inventories/goodbarber",
            "inventories/goodbarber/incident-placement.csv",
        ),
        (
            "inventories/two-sites",
            "inventories/two-sites/placement.csv",
        ),
    ] {
        let inv = Inventory::load(&root().join(inventory)).unwrap();
        let services = Services::load(&root().join(inventory).join("services.toml"), &inv).unwrap();
        let plan = planned(&root().join(placement));
        let (nodes, patches) = exported(inventory, placement);
        assert_eq!(patches.len(), plan.len(), "a patch per placed service");
        for patch in &patches {
            let service = patch["metadata"]["name"].as_str().unwrap();
            let on = &plan[service];
            let after = patched(&kubectl, tmp.path(), service, patch);
            let id = services.lookup(service).unwrap();
            let words = &services.service(id).survive;
            let what = format!("{inventory} {service}");
            assert_patched(&after, &deployment(service), on, &nodes, words, &what);
        }
    }
}

/// `after` (`before` patched) runs the replicas of `on` (node → replicas)
/// on those nodes only, spread over the domains of `words` with the plan's
/// own skew, and keeps `before`'s selector and containers.
fn assert_patched(
    after: &Value,
    before: &Value,
    on: &BTreeMap<String, u32>,
    nodes: &BTreeMap<String, Value>,
    words: &[SurviveWord],
    what: &str,
) {
    let typed: Deployment = serde_json::from_value(after.clone()).expect("a Deployment");
    let spec = typed.spec.unwrap();
    assert_eq!(
        spec.replicas,
        Some(on.values().sum::<u32>() as i32),
        "{what}"
    );
    assert_eq!(
        after["spec"]["selector"], before["spec"]["selector"],
        "{what}"
    );
    let template = &after["spec"]["template"];
    assert_eq!(
        template["spec"]["containers"], before["spec"]["template"]["spec"]["containers"],
        "{what}: the containers survive"
    );
    assert_eq!(
        template["metadata"]["labels"]["app.kubernetes.io/part-of"],
        "shop"
    );
    let pod = spec.template.spec.unwrap();
    let terms = pod
        .affinity
        .unwrap()
        .node_affinity
        .unwrap()
        .required_during_scheduling_ignored_during_execution
        .unwrap()
        .node_selector_terms;
    let pinned = terms[0].match_expressions.as_ref().unwrap()[0]
        .values
        .clone()
        .unwrap();
    assert_eq!(pinned, on.keys().cloned().collect::<Vec<_>>(), "{what}");
    let spreads = pod.topology_spread_constraints.unwrap();
    let keys: BTreeSet<&str> = spreads.iter().map(|s| s.topology_key.as_str()).collect();
    assert_eq!(keys, expected_keys(words), "{what}");
    for spread in &spreads {
        // The plan's own skew over the domain: it satisfies the spread, tightly.
        let mut per_domain = BTreeMap::<&str, u32>::new();
        for (node, n) in on {
            let domain = match spread.topology_key.as_str() {
                "kubernetes.io/hostname" => node.as_str(),
                key => nodes[node][key].as_str().unwrap(),
            };
            *per_domain.entry(domain).or_default() += n;
        }
        let skew = per_domain.values().max().unwrap() - per_domain.values().min().unwrap();
        assert_eq!(
            spread.max_skew,
            skew.max(1) as i32,
            "{what} {}",
            spread.topology_key
        );
        let hard = ["kubernetes.io/hostname", "faultplan.dev/rack"];
        let expected = if hard.contains(&spread.topology_key.as_str()) {
            "DoNotSchedule"
        } else {
            "ScheduleAnyway"
        };
        assert_eq!(spread.when_unsatisfiable, expected, "{what}");
    }
}

#[test]
fn node_label_patches_keep_the_kubelet_s_labels() {
    let Some(kubectl) = require_tool("kubectl") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let (nodes, _) = exported(
        "inventories/two-sites",
        "inventories/two-sites/placement.csv",
    );
    for (name, labels) in nodes.iter().take(3) {
        let node = base_node(name);
        let file = tmp.path().join("node.json");
        std::fs::write(&file, node.to_string()).unwrap();
        let patch = json!({"metadata": {"labels": labels}}).to_string();
        let after = kubectl_patch(&kubectl, &file, &["--type", "strategic", "-p", &patch]);
        let mut expected = node["metadata"]["labels"].as_object().unwrap().clone();
        expected.extend(labels.as_object().unwrap().clone());
        assert_eq!(
            after[0]["metadata"]["labels"],
            Value::Object(expected),
            "{name}"
        );
        assert_eq!(after[0]["status"], node["status"]);
    }
}

/// The fixtures' never-labelled node, renamed: what a kubelet registers.
fn base_node(name: &str) -> Value {
    let text = std::fs::read_to_string(fixtures().join("nodes.json")).unwrap();
    let list: Value = serde_json::from_str(&text).unwrap();
    let mut node = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["metadata"]["name"] == "s3")
        .unwrap()
        .clone();
    node["metadata"]["name"] = json!(name);
    node["metadata"]["labels"]["kubernetes.io/hostname"] = json!(name);
    node["status"]["addresses"][1]["address"] = json!(name);
    node
}

#[test]
fn the_fixtures_pass_through_kubectl_and_read_the_same() {
    let Some(kubectl) = require_tool("kubectl") else {
        return;
    };
    let tmp = crate::support::baseline().write();
    for file in ["nodes.json", "pods.json"] {
        let text = std::fs::read_to_string(fixtures().join(file)).unwrap();
        let original: Value = serde_json::from_str(&text).unwrap();
        let items = original["items"].as_array().unwrap().clone();
        let again = through_kubectl(&kubectl, tmp.path(), &format!("kubectl-{file}"), items);
        assert_eq!(
            again["items"], original["items"],
            "{file}: kubectl keeps every field"
        );
    }
    let from = |prefix: &str| {
        let run = crate::kubernetes_import::import(
            tmp.path(),
            &tmp.path().join(format!("{prefix}nodes.json")),
            &tmp.path().join(format!("{prefix}pods.json")),
            &[],
        );
        let csv = std::fs::read_to_string(tmp.path().join("running.csv")).unwrap();
        (run.code, run.stdout, run.stderr, csv)
    };
    for file in ["nodes.json", "pods.json"] {
        std::fs::copy(fixtures().join(file), tmp.path().join(file)).unwrap();
    }
    assert_eq!(from("kubectl-"), from(""));
}

/// Pods as the scheduler would have placed them: one per planned replica,
/// from the Deployment as patched, on its planned node; plus a system pod
/// and a Pending one, which are left out.
fn scheduled_pods(kubectl: &Path, dir: &Path, plan: &Path) -> Vec<Value> {
    let (_, patches) = exported("inventories/goodbarber", plan.to_str().unwrap());
    let mut pods = Vec::new();
    for patch in &patches {
        let service = patch["metadata"]["name"].as_str().unwrap();
        let template = patched(kubectl, dir, service, patch)["spec"]["template"].clone();
        let allowed = &template["spec"]["affinity"]["nodeAffinity"]
            ["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"][0]
            ["matchExpressions"][0]["values"];
        for (server, n) in &planned(plan)[service] {
            assert!(allowed.as_array().unwrap().contains(&json!(server)));
            for i in 0..*n {
                let mut pod = json!({"apiVersion": "v1", "kind": "Pod"});
                pod["metadata"] = template["metadata"].clone();
                pod["metadata"]["name"] = json!(format!("{service}-6c5d8f7b9-{server}-{i}"));
                pod["metadata"]["namespace"] = json!("shop");
                pod["metadata"]["labels"]["pod-template-hash"] = json!("6c5d8f7b9");
                pod["spec"] = template["spec"].clone();
                pod["spec"]["nodeName"] = json!(server);
                pod["status"] = json!({"phase": "Running"});
                pods.push(pod);
            }
        }
    }
    let fixture: Value =
        serde_json::from_str(&std::fs::read_to_string(fixtures().join("pods.json")).unwrap())
            .unwrap();
    for name in ["coredns-674b8bbfcf-5xv2m", "web-7d4b9c6f58-qj7hd"] {
        let items = fixture["items"].as_array().unwrap();
        pods.push(
            items
                .iter()
                .find(|p| p["metadata"]["name"] == name)
                .unwrap()
                .clone(),
        );
    }
    pods
}

/// `import kubernetes` of the goodbarber cluster saved in `dir` (nodes.json,
/// pods.json) to `out`, then `check --placement plan.csv --current out`.
fn import_then_check(dir: &Path, out: &str) -> crate::support::Run {
    let inventory = root().join("inventories/goodbarber");
    let inventory = inventory.to_str().unwrap();
    let run = run_in(
        dir,
        &[
            "import",
            "kubernetes",
            inventory,
            "--nodes",
            "nodes.json",
            "--pods",
            "pods.json",
            "--out",
            out,
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stderr.lines().count(),
        2,
        "the system pod and the Pending one are left out:\n{}",
        run.stderr
    );
    run_in(
        dir,
        &[
            "check",
            inventory,
            "--placement",
            "plan.csv",
            "--current",
            out,
            "--format",
            "json",
        ],
    )
}

#[test]
fn plan_export_schedule_import_and_check_agree() {
    let Some(kubectl) = require_tool("kubectl") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let plan = dir.join("plan.csv");
    let run = run_root(&[
        "plan",
        "inventories/goodbarber",
        "--out",
        plan.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // The nodes labelled as exported, the pods where the plan put them.
    let (labels, _) = exported("inventories/goodbarber", plan.to_str().unwrap());
    let nodes: Vec<Value> = labels
        .iter()
        .map(|(name, labels)| {
            let mut node = base_node(name);
            let own = node["metadata"]["labels"].as_object_mut().unwrap();
            own.extend(labels.as_object().unwrap().clone());
            node
        })
        .collect();
    let nodes = through_kubectl(&kubectl, dir, "nodes.json", nodes);
    std::fs::write(dir.join("nodes.json"), nodes.to_string()).unwrap();
    let pods = scheduled_pods(&kubectl, dir, &plan);
    let mut pods = through_kubectl(&kubectl, dir, "pods.json", pods);
    std::fs::write(dir.join("pods.json"), pods.to_string()).unwrap();
    let agreed = import_then_check(dir, "running.csv");
    assert_eq!(
        std::fs::read_to_string(dir.join("running.csv")).unwrap(),
        std::fs::read_to_string(&plan).unwrap(),
        "what runs is the plan, row for row"
    );
    assert_eq!(agreed.code, 0, "{}{}", agreed.stdout, agreed.stderr);
    assert!(!agreed.stdout.contains("\"drift\""), "{}", agreed.stdout);
    // One pod somewhere the plan did not put it: drift.
    let items = pods["items"].as_array_mut().unwrap();
    let moved = items
        .iter_mut()
        .find(|p| p["metadata"]["labels"]["app.kubernetes.io/name"] == "web")
        .unwrap();
    let from = moved["spec"]["nodeName"].as_str().unwrap().to_string();
    let to = labels.keys().find(|n| **n != from).unwrap().clone();
    moved["spec"]["nodeName"] = json!(to);
    std::fs::write(dir.join("pods.json"), pods.to_string()).unwrap();
    let drifted = import_then_check(dir, "moved.csv");
    assert_eq!(drifted.code, 1, "{}", drifted.stderr);
    assert!(drifted.stdout.contains("\"drift\""), "{}", drifted.stdout);
    // And `plan --current` starts from what runs.
    let inventory = root().join("inventories/goodbarber");
    let args = [
        "plan",
        inventory.to_str().unwrap(),
        "--current",
        "moved.csv",
        "--out",
        "again.csv",
    ];
    let replanned = run_in(dir, &args);
    assert_eq!(replanned.code, 0, "{}", replanned.stderr);
}
