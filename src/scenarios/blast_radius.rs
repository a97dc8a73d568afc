//! What each scenario takes down, for `faultplan scenarios`.

use super::expand::ScenarioSet;
use crate::inventory::Component;

/// What one scenario takes down, for `faultplan scenarios`.
#[derive(Debug, Clone, PartialEq)]
pub struct BlastRadius {
    pub scenario: String,
    pub words: Vec<String>,
    pub servers_down: usize,
    /// Share of the fleet's cores on servers that are down, in [0, 1].
    pub cpu_share: f64,
    /// Share of the fleet's maximum server draw that is down, in [0, 1].
    pub power_share: f64,
    pub power_components_off: usize,
    /// The scenario is one power component whose loss takes servers down
    /// (servers with no other powered path): their sole power feed. Not a single point of failure
    /// by itself: that needs a placement whose service relies on those
    /// servers (`verify::single_points`, the one definition).
    pub sole_power_feed: bool,
}

impl serde::Serialize for BlastRadius {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("BlastRadius", 9)?;
        s.serialize_field("scenario", &self.scenario)?;
        s.serialize_field("words", &self.words)?;
        s.serialize_field("servers_down", &self.servers_down)?;
        s.serialize_field("cpu_share", &self.cpu_share)?;
        s.serialize_field("power_share", &self.power_share)?;
        s.serialize_field("power_components_off", &self.power_components_off)?;
        s.serialize_field("sole_power_feed", &self.sole_power_feed)?;
        // The key's first name, kept with the same value: the JSON contract
        // only adds (docs/formats.md says what it means).
        s.serialize_field("single_point_of_failure", &self.sole_power_feed)?;
        s.end()
    }
}

impl ScenarioSet {
    /// Every scenario's blast radius, largest first (ties by name). A searched
    /// family contributes its worst set by servers down.
    pub fn blast_radii(&self, topology: &crate::topology::Topology) -> Vec<BlastRadius> {
        let inventory = topology.inventory;
        let total_cpu: f64 = inventory.servers.iter().map(|s| s.cpu).sum();
        let total_w: f64 = inventory.servers.iter().map(|s| s.max_w).sum();
        let radius = |name: String, words: Vec<String>, failed: &[Component]| {
            let impact = topology.impact(failed);
            // Folded from +0.0: an empty f64 sum is -0.0, which JSON would show.
            let cpu = impact
                .down
                .iter()
                .fold(0.0, |sum, s| sum + inventory.server(*s).cpu);
            let watts = impact
                .down
                .iter()
                .fold(0.0, |sum, s| sum + inventory.server(*s).max_w);
            let single_power = matches!(failed, [Component::Power(_)]);
            BlastRadius {
                scenario: name,
                words,
                servers_down: impact.down.len(),
                cpu_share: if total_cpu > 0.0 {
                    cpu / total_cpu
                } else {
                    0.0
                },
                power_share: if total_w > 0.0 { watts / total_w } else { 0.0 },
                power_components_off: impact.unpowered.len(),
                sole_power_feed: single_power && !impact.down.is_empty(),
            }
        };
        let mut radii: Vec<BlastRadius> = self
            .scenarios
            .iter()
            .map(|s| {
                let words = s
                    .words
                    .iter()
                    .map(|m| self.words[m.word].to_string())
                    .collect();
                radius(s.name.clone(), words, &s.failed)
            })
            .collect();
        for family in &self.families {
            let (_, worst) = family.search(topology).worst_loss(|_| 1);
            let failed: Vec<Component> = worst.iter().map(|p| Component::Power(*p)).collect();
            let names: Vec<&str> = worst
                .iter()
                .map(|p| inventory.power(*p).id.as_str())
                .collect();
            let word = self.words[family.word].to_string();
            radii.push(radius(
                format!("{word} {} (worst set)", names.join("+")),
                vec![word],
                &failed,
            ));
        }
        radii.sort_by(|a, b| {
            b.servers_down
                .cmp(&a.servers_down)
                .then(b.power_share.total_cmp(&a.power_share))
                .then_with(|| a.scenario.cmp(&b.scenario))
        });
        radii
    }
}
