//! What an import tells the user: what it mapped, what it left out and why.

use std::collections::BTreeMap;
use std::fmt;

/// What an import mapped, what it left out and why.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub datacenters: usize,
    pub rooms: usize,
    pub racks: usize,
    /// Power components by kind.
    pub power: BTreeMap<&'static str, usize>,
    /// Servers by status.
    pub servers: BTreeMap<&'static str, usize>,
    /// Devices left out, by reason, with their ids or NetBox names.
    pub skipped: BTreeMap<String, Vec<String>>,
    /// Devices taken as fed by every feed of their rack because none of their
    /// power ports is cabled.
    pub uncabled: Vec<String>,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let counts = |map: &BTreeMap<&str, usize>| {
            map.iter()
                .map(|(k, n)| format!("{k}: {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let power: usize = self.power.values().sum();
        let servers: usize = self.servers.values().sum();
        writeln!(
            f,
            "mapped {} datacenters, {} rooms, {} racks, {power} power components ({}), {servers} servers ({})",
            self.datacenters,
            self.rooms,
            self.racks,
            counts(&self.power),
            counts(&self.servers),
        )?;
        for (reason, devices) in &self.skipped {
            writeln!(
                f,
                "skipped {} {}: {reason}: {}",
                devices.len(),
                plural(devices.len(), "device", "devices"),
                some(devices)
            )?;
        }
        if !self.uncabled.is_empty() {
            writeln!(
                f,
                "warning: {} {} no cabled power port; each is taken as fed by every power feed of its rack (one PSU per feed): {}",
                self.uncabled.len(),
                plural(self.uncabled.len(), "device has", "devices have"),
                some(&self.uncabled)
            )?;
        }
        Ok(())
    }
}

/// Names listed in a summary line: the first few, then how many more.
fn some(names: &[String]) -> String {
    const SHOWN: usize = 10;
    let mut text = names[..names.len().min(SHOWN)].join(", ");
    if names.len() > SHOWN {
        text.push_str(&format!(" and {} more", names.len() - SHOWN));
    }
    text
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 {
        one
    } else {
        many
    }
}
