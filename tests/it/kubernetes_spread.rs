//! What the scheduler does with the export's Deployment patches, modelled:
//! the PodTopologySpread filter as the Kubernetes docs define it (a pod may
//! join a node when, for every `DoNotSchedule` constraint, the pods already
//! in the node's domain + 1 − the fewest in any domain of the admitted nodes
//! ≤ maxSkew), with the required node affinity, pods placed one at a time in
//! random order. The claim of docs/usage.md checked here: when the plan is
//! even per node (every service of the shipped inventories' plans is), every
//! order ends on exactly the plan, and none gets stuck. And why only nodes
//! and racks are hard: with every spread hard, two-sites' `api` gets stuck.

use std::collections::BTreeMap;

use rand::seq::SliceRandom;
use rand::SeedableRng;
use serde_json::Value;

use crate::support::run_root;

/// The export of the plan `plan` of `inventory`: node → labels, patches.
fn export(inventory: &str, plan: &str) -> (BTreeMap<String, Value>, Vec<Value>) {
    let run = run_root(&[
        "export",
        inventory,
        "--placement",
        plan,
        "--format",
        "kubernetes",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let list: Value = serde_json::from_str(&run.stdout).unwrap();
    let (mut nodes, mut patches) = (BTreeMap::new(), Vec::new());
    for item in list["items"].as_array().unwrap() {
        if item["kind"] == "Node" {
            let name = item["metadata"]["name"].as_str().unwrap().to_string();
            nodes.insert(name, item["metadata"]["labels"].clone());
        } else {
            patches.push(item.clone());
        }
    }
    (nodes, patches)
}

/// Places `replicas` pods one at a time, each on a random node the filter
/// admits; the pods per node, or None when a pod finds no node.
fn schedule(
    rng: &mut rand_chacha::ChaCha8Rng,
    replicas: usize,
    allowed: &[String],
    spreads: &[(String, i64)],
    nodes: &BTreeMap<String, Value>,
) -> Option<BTreeMap<String, u32>> {
    let domain = |node: &str, key: &str| -> String {
        match key {
            "kubernetes.io/hostname" => node.to_string(),
            _ => nodes[node][key].as_str().unwrap().to_string(),
        }
    };
    let mut on: BTreeMap<String, u32> = BTreeMap::new();
    for _ in 0..replicas {
        let admitted: Vec<&String> = allowed
            .iter()
            .filter(|node| {
                spreads.iter().all(|(key, max_skew)| {
                    let mut per: BTreeMap<String, i64> =
                        allowed.iter().map(|n| (domain(n, key), 0)).collect();
                    for (n, count) in &on {
                        *per.get_mut(&domain(n, key)).unwrap() += i64::from(*count);
                    }
                    let least = per.values().min().copied().unwrap();
                    per[&domain(node, key)] + 1 - least <= *max_skew
                })
            })
            .collect();
        let node = admitted.choose(rng)?;
        *on.entry((*node).clone()).or_default() += 1;
    }
    Some(on)
}

#[test]
fn an_even_plan_is_the_only_placement_the_spreads_admit() {
    let tmp = tempfile::tempdir().unwrap();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(24);
    for inventory in ["inventories/goodbarber", "inventories/two-sites"] {
        let plan = tmp.path().join("plan.csv");
        let run = run_root(&["plan", inventory, "--out", plan.to_str().unwrap()]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let mut planned: BTreeMap<String, BTreeMap<String, u32>> = BTreeMap::new();
        for line in std::fs::read_to_string(&plan).unwrap().lines().skip(1) {
            let cells: Vec<&str> = line.split(',').collect();
            *planned
                .entry(cells[0].into())
                .or_default()
                .entry(cells[1].into())
                .or_default() += 1;
        }
        let (nodes, patches) = export(inventory, plan.to_str().unwrap());
        for patch in &patches {
            let service = patch["metadata"]["name"].as_str().unwrap();
            let spec = &patch["spec"]["template"]["spec"];
            let allowed: Vec<String> = serde_json::from_value(
                spec["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
                    ["nodeSelectorTerms"][0]["matchExpressions"][0]["values"]
                    .clone(),
            )
            .unwrap();
            let constraints = spec["topologySpreadConstraints"].as_array().unwrap();
            let all: Vec<(String, i64)> = constraints
                .iter()
                .map(|s| {
                    (
                        s["topologyKey"].as_str().unwrap().to_string(),
                        s["maxSkew"].as_i64().unwrap(),
                    )
                })
                .collect();
            if inventory.ends_with("two-sites") && service == "api" {
                assert_eq!(
                    schedule(&mut rng, 16, &allowed, &all, &nodes),
                    None,
                    "every spread hard: racks and zones block each other"
                );
            }
            let spreads: Vec<(String, i64)> = constraints
                .iter()
                .filter(|s| s["whenUnsatisfiable"] == "DoNotSchedule")
                .map(|s| {
                    (
                        s["topologyKey"].as_str().unwrap().to_string(),
                        s["maxSkew"].as_i64().unwrap(),
                    )
                })
                .collect();
            let plan = &planned[service];
            let even = plan
                .values()
                .collect::<std::collections::BTreeSet<_>>()
                .len()
                == 1;
            assert!(
                even,
                "{inventory} {service}: the shipped plans are even per node"
            );
            let replicas = patch["spec"]["replicas"].as_u64().unwrap() as usize;
            for order in 0..20 {
                let got = schedule(&mut rng, replicas, &allowed, &spreads, &nodes);
                assert_eq!(
                    got.as_ref(),
                    Some(plan),
                    "{inventory} {service}, order {order}"
                );
            }
        }
    }
}
