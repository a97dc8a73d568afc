//! The JSON manifest `plan` writes and `export --format json` prints: the
//! placement's rows with format version, inventory digest and guarantees. Its
//! JSON Schema (docs/manifest.schema.json) is generated from these types.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::inventory::{Inventory, Placement, Services};

/// Consumers reject an unknown major version (the part before the dot).
pub const MANIFEST_FORMAT_VERSION: &str = "1.0";

/// The JSON manifest `plan` writes and `export --format json` prints. Its JSON
/// Schema (docs/manifest.schema.json) is generated from this type.
// No deny_unknown_fields here: serde does not support it with `flatten`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "faultplan placement manifest")]
pub struct Manifest {
    /// `MAJOR.MINOR`; a consumer rejects a major version it does not know.
    #[schemars(regex(pattern = r"^1\.[0-9]+$"))]
    pub format_version: String,
    /// SHA-256 of the inventory files the placement was made for.
    pub inventory_digest: String,
    /// Each service's guarantee and how many replicas it has.
    pub guarantees: Vec<Guarantee>,
    /// One row per replica, sorted by service then server (as placement.csv).
    pub placement: Vec<Row>,
    /// How `plan` found the placement; absent from `export`, which plans nothing.
    #[serde(flatten)]
    pub plan: Option<PlanInfo>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Guarantee {
    pub service: String,
    /// Replicas that must stay up in every scenario of `survive`.
    pub min_replicas: u32,
    /// The survive words of services.toml.
    pub survive: Vec<String>,
    /// Replicas placed.
    pub replicas: u32,
}

/// One replica: the columns of placement.csv.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Row {
    pub service: String,
    pub server: String,
    pub rack: String,
    pub datacenter: String,
}

/// The planner's statistics, written by `plan` only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PlanInfo {
    /// `cost`, `servers` or `balance`.
    pub objective: String,
    pub objective_value: f64,
    /// Relative gap to the proven bound (0 = optimal).
    pub gap: f64,
    /// The search stage that found the placement.
    pub stage: String,
    pub solver: String,
}

/// The JSON Schema of [`Manifest`], as shipped in docs/manifest.schema.json.
pub fn manifest_schema() -> String {
    let mut text = serde_json::to_string_pretty(&schemars::schema_for!(Manifest))
        .expect("schemas always serialize");
    text.push('\n');
    text
}

/// The rows of a placement, sorted by service then server (as placement.csv).
pub(super) fn rows(inventory: &Inventory, services: &Services, placement: &Placement) -> Vec<Row> {
    let mut rows: Vec<Row> = placement
        .replicas
        .iter()
        .map(|r| {
            let server = inventory.server(r.server);
            let rack = inventory.rack(server.rack);
            Row {
                service: services.service(r.service).name.clone(),
                server: server.id.clone(),
                rack: rack.id.clone(),
                datacenter: inventory.dc(rack.datacenter).id.clone(),
            }
        })
        .collect();
    rows.sort();
    rows
}

/// The manifest of a placement: its rows plus format version, inventory digest
/// and the guarantees that were checked.
pub fn manifest(
    inventory: &Inventory,
    services: &Services,
    placement: &Placement,
    plan: Option<PlanInfo>,
) -> Manifest {
    let mut counts = vec![0u32; services.services.len()];
    for r in &placement.replicas {
        counts[r.service.index()] += 1;
    }
    Manifest {
        format_version: MANIFEST_FORMAT_VERSION.to_string(),
        inventory_digest: inventory.digest.clone(),
        guarantees: services
            .ids()
            .map(|id| {
                let s = services.service(id);
                Guarantee {
                    service: s.name.clone(),
                    min_replicas: s.min_replicas,
                    survive: s.survive.iter().map(ToString::to_string).collect(),
                    replicas: counts[id.index()],
                }
            })
            .collect(),
        placement: rows(inventory, services, placement),
        plan,
    }
}

/// The JSON manifest as text, keys sorted as in every JSON faultplan writes.
pub fn manifest_json(
    inventory: &Inventory,
    services: &Services,
    placement: &Placement,
    plan: Option<PlanInfo>,
) -> String {
    let manifest = manifest(inventory, services, placement, plan);
    let mut text =
        serde_json::to_string_pretty(&Sorted::from(&manifest)).expect("manifests always serialize");
    text.push('\n');
    text
}

/// [`Manifest`] with its keys, and its rows' and guarantees', in sorted order
/// (the order a `serde_json::Value` prints them in), serialized from borrows:
/// going through a Value cost about 620 bytes a replica, 84% of `plan`'s
/// peak memory on a 200,000-server fleet (docs/benchmarks.md, Region scale).
/// Field order is the output: keep it alphabetical.
#[derive(Serialize)]
struct Sorted<'a> {
    format_version: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    gap: Option<f64>,
    guarantees: Vec<SortedGuarantee<'a>>,
    inventory_digest: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    objective: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    objective_value: Option<f64>,
    placement: Vec<SortedRow<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    solver: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stage: Option<&'a str>,
}

#[derive(Serialize)]
struct SortedGuarantee<'a> {
    min_replicas: u32,
    replicas: u32,
    service: &'a str,
    survive: &'a [String],
}

#[derive(Serialize)]
struct SortedRow<'a> {
    datacenter: &'a str,
    rack: &'a str,
    server: &'a str,
    service: &'a str,
}

impl<'a> From<&'a Manifest> for Sorted<'a> {
    fn from(m: &'a Manifest) -> Self {
        let plan = m.plan.as_ref();
        Sorted {
            format_version: &m.format_version,
            gap: plan.map(|p| p.gap),
            guarantees: m
                .guarantees
                .iter()
                .map(|g| SortedGuarantee {
                    min_replicas: g.min_replicas,
                    replicas: g.replicas,
                    service: &g.service,
                    survive: &g.survive,
                })
                .collect(),
            inventory_digest: &m.inventory_digest,
            objective: plan.map(|p| p.objective.as_str()),
            objective_value: plan.map(|p| p.objective_value),
            placement: m
                .placement
                .iter()
                .map(|r| SortedRow {
                    datacenter: &r.datacenter,
                    rack: &r.rack,
                    server: &r.server,
                    service: &r.service,
                })
                .collect(),
            solver: plan.map(|p| p.solver.as_str()),
            stage: plan.map(|p| p.stage.as_str()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(plan: Option<PlanInfo>) -> Manifest {
        let row = |service: &str, server: &str| Row {
            service: service.into(),
            server: server.into(),
            rack: "r1".into(),
            datacenter: "dc1".into(),
        };
        Manifest {
            format_version: MANIFEST_FORMAT_VERSION.into(),
            inventory_digest: "ab12".into(),
            guarantees: vec![Guarantee {
                service: "web".into(),
                min_replicas: 2,
                survive: vec!["rack".into(), "power:50%".into()],
                replicas: 3,
            }],
            placement: vec![row("web", "s1"), row("web", "s2")],
            plan,
        }
    }

    /// The borrowed, sorted form prints exactly what the derived form printed
    /// through a Value (whose keys are sorted), with and without plan's part.
    #[test]
    fn sorted_prints_what_a_value_prints() {
        let info = PlanInfo {
            objective: "cost".into(),
            objective_value: 1383.8,
            gap: 0.0123,
            stage: "construct".into(),
            solver: "highs".into(),
        };
        for manifest in [sample(None), sample(Some(info))] {
            let value = serde_json::to_value(&manifest).unwrap();
            assert_eq!(
                serde_json::to_string_pretty(&Sorted::from(&manifest)).unwrap(),
                serde_json::to_string_pretty(&value).unwrap()
            );
        }
    }
}
