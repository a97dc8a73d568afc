//! `maintenance`: which racks and power components can go down now, under
//! both rules, with fixes checked by hand.

use crate::support::{run_root, Inv};

/// Four racks of two servers; `a` (min 2, survive rack) on r0, r1 and r2.
fn four_racks() -> Inv {
    let mut servers = String::from("id,rack,cpu,mem_gb,psu,idle_w,max_w\n");
    for r in 0..4 {
        for s in 0..2 {
            servers.push_str(&format!("r{r}s{s},r{r},8,64,p,10,20\n"));
        }
    }
    Inv::new()
        .datacenters("id\ndc\n")
        .racks("id,datacenter\nr0,dc\nr1,dc\nr2,dc\nr3,dc\n")
        .power(
            "id,datacenter,kind,feeds_from,capacity_w\nu,dc,utility,,1000000\np,dc,pdu,u,1000000\n",
        )
        .servers(&servers)
        .services("[[service]]\nname = \"a\"\nmin_replicas = 2\ncpu = 4\nsurvive = [\"rack\"]\n")
        .placement("service,server\na,r0s0\na,r1s0\na,r2s0\n")
}

/// Rack r0 down leaves 2 replicas, and another rack failing then leaves 1:
/// unsafe under `guarantees`, safe `alone`; r3 holds nothing, so it is safe
/// under both. The fix moves r0's replica to r3 (one change), after which r0
/// down still leaves 3 racks with one replica each.
#[test]
fn maintenance_of_a_rack_with_a_replica_needs_it_moved_first() {
    let inv = four_racks();
    let run = inv.run(&[
        "maintenance",
        "inv",
        "--placement",
        "inv/placement.csv",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let verdicts: Vec<(String, bool)> = json["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["component"].as_str().unwrap().to_string(),
                c["safe"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        verdicts,
        [
            ("r0", false),
            ("r1", false),
            ("r2", false),
            ("r3", true),
            ("u", false),
            ("p", false)
        ]
        .map(|(c, s)| (c.to_string(), s))
    );
    let r0 = &json["components"][0];
    assert_eq!(r0["fix"]["found"], true, "{r0}");
    assert_eq!(r0["fix"]["changes"].as_array().unwrap().len(), 1, "{r0}");
    assert_eq!(r0["fix"]["changes"][0]["change"], "move");
    assert_eq!(r0["fix"]["changes"][0]["from"], "r0s0");
    assert!(
        r0["fix"]["changes"][0]["to"]
            .as_str()
            .unwrap()
            .starts_with("r3"),
        "{r0}"
    );
    // The power feeding every server: no fix exists, and none is claimed.
    assert_eq!(json["components"][4]["fix"]["found"], false);

    let alone = inv.run(&[
        "maintenance",
        "inv",
        "--placement",
        "inv/placement.csv",
        "--rule",
        "alone",
        "--component",
        "r0",
        "--component",
        "r3",
    ]);
    assert_eq!(alone.code, 0, "{}", alone.stdout);
    insta::assert_snapshot!(alone.stdout);
    let unknown = inv.run(&[
        "maintenance",
        "inv",
        "--placement",
        "inv/placement.csv",
        "--component",
        "r0s0",
    ]);
    assert_eq!(unknown.code, 2);
    assert!(
        unknown
            .stderr
            .contains("\"r0s0\" is not the id of a rack or a power component"),
        "{}",
        unknown.stderr
    );
}

/// On two-sites, by hand: with fra1-ups-b down the fra1 servers still run on
/// their A side, and `power:50%:ups` failing fra1-ups-a on top takes all
/// three fra1 search replicas (fra1-r01-s03, -r03-s03, -r04-s03), leaving 2
/// of 3. fra1-utility-a may go down: fra1-ups-a then runs on the generator.
#[test]
fn two_sites_maintenance_verdicts_match_the_hand_analysis() {
    let run = run_root(&[
        "maintenance",
        "inventories/two-sites",
        "--placement",
        "inventories/two-sites/placement.csv",
        "--component",
        "fra1-ups-b",
        "--component",
        "fra1-utility-a",
        "--no-fix",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 1);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let ups = &json["components"][0];
    assert_eq!(ups["safe"], false);
    let search = ups["errors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["service"] == "search")
        .expect("search is short");
    assert_eq!(search["up"], 2);
    assert_eq!(search["needed"], 3);
    assert_eq!(search["scenario"], "power:50%:ups fra1-ups-a");
    assert_eq!(
        search["lost"],
        serde_json::json!(["fra1-r01-s03", "fra1-r03-s03", "fra1-r04-s03"])
    );
    assert_eq!(json["components"][1]["component"], "fra1-utility-a");
    assert_eq!(json["components"][1]["safe"], true);
}
