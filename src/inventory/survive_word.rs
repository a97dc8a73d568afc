//! A word of a `survive` list (FORMATS.md, "Failure scenarios"): what it
//! means, and whether it matches anything in an inventory.

use std::collections::BTreeSet;
use std::fmt;

use super::error::SurviveWordError;
use super::fleet::Inventory;

/// One word of a `survive` list (FORMATS.md, "Failure scenarios").
#[derive(Debug, Clone, PartialEq, PartialOrd)]
pub enum SurviveWord {
    Server,
    Rack,
    Room,
    Datacenter,
    /// Each single power component of this kind.
    PowerKind(String),
    /// The worst set of roots (or of components of `kind`) within `percent` of a
    /// datacenter's capacity.
    PowerPercent {
        percent: f64,
        kind: Option<String>,
    },
    Custom(String),
}

impl SurviveWord {
    /// Parses a word; the error says what was expected.
    pub fn parse(word: &str) -> Result<SurviveWord, SurviveWordError> {
        let owned = || word.to_string();
        match word {
            "server" => return Ok(SurviveWord::Server),
            "rack" => return Ok(SurviveWord::Rack),
            "room" => return Ok(SurviveWord::Room),
            "datacenter" => return Ok(SurviveWord::Datacenter),
            _ => {}
        }
        if let Some(name) = word.strip_prefix("custom:") {
            if name.is_empty() {
                return Err(SurviveWordError::NoCustomName { word: owned() });
            }
            return Ok(SurviveWord::Custom(name.to_string()));
        }
        let Some(rest) = word.strip_prefix("power:") else {
            return Err(SurviveWordError::Unknown { word: owned() });
        };
        let Some((number, tail)) = rest.split_once('%') else {
            if rest.is_empty() {
                return Err(SurviveWordError::NoPowerKind { word: owned() });
            }
            return Ok(SurviveWord::PowerKind(rest.to_string()));
        };
        let percent: f64 = number
            .parse()
            .map_err(|_| SurviveWordError::NotAPercentage {
                word: owned(),
                number: number.to_string(),
            })?;
        if !(percent > 0.0 && percent < 100.0) {
            return Err(SurviveWordError::PercentageOutOfRange { word: owned() });
        }
        let kind = match tail {
            "" => None,
            _ => match tail.strip_prefix(':') {
                Some(kind) if !kind.is_empty() => Some(kind.to_string()),
                _ => return Err(SurviveWordError::BadPercentageKind { word: owned() }),
            },
        };
        Ok(SurviveWord::PowerPercent { percent, kind })
    }

    /// Parses a word that must match something in `inventory`.
    pub fn parse_in(word: &str, inventory: &Inventory) -> Result<SurviveWord, SurviveWordError> {
        let parsed = SurviveWord::parse(word)?;
        match parsed.unmatched(inventory) {
            Some(why) => Err(SurviveWordError::Unmatched {
                word: word.to_string(),
                why,
            }),
            None => Ok(parsed),
        }
    }

    /// Why this word matches nothing in `inventory`, if it does not: a typo must
    /// not silently drop a guarantee.
    pub fn unmatched(&self, inventory: &Inventory) -> Option<String> {
        match self {
            SurviveWord::Server if inventory.servers.is_empty() => {
                Some("the inventory has no servers".into())
            }
            SurviveWord::Rack if inventory.racks.is_empty() => {
                Some("the inventory has no racks".into())
            }
            SurviveWord::Room if inventory.rooms.is_empty() => {
                Some("the inventory has no racks".into())
            }
            SurviveWord::Datacenter if inventory.datacenters.is_empty() => {
                Some("the inventory has no datacenters".into())
            }
            SurviveWord::PowerKind(kind)
            | SurviveWord::PowerPercent {
                kind: Some(kind), ..
            } if !inventory.has_power_kind(kind) => {
                let kinds: BTreeSet<&str> =
                    inventory.power.iter().map(|p| p.kind.as_str()).collect();
                Some(format!(
                    "no power component has kind \"{kind}\" (kinds in power.csv: {})",
                    kinds.into_iter().collect::<Vec<_>>().join(", ")
                ))
            }
            SurviveWord::PowerPercent { kind: None, .. } if inventory.power.is_empty() => {
                Some("the inventory has no power components".into())
            }
            SurviveWord::Custom(name)
                if !inventory.custom_scenarios.iter().any(|s| &s.name == name) =>
            {
                let names: Vec<&str> = inventory
                    .custom_scenarios
                    .iter()
                    .map(|s| s.name.as_str())
                    .collect();
                Some(if names.is_empty() {
                    format!("no custom scenario \"{name}\": the inventory has no scenarios.toml scenarios")
                } else {
                    format!(
                        "no custom scenario \"{name}\" in scenarios.toml (it has: {})",
                        names.join(", ")
                    )
                })
            }
            _ => None,
        }
    }
}

impl fmt::Display for SurviveWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SurviveWord::Server => f.write_str("server"),
            SurviveWord::Rack => f.write_str("rack"),
            SurviveWord::Room => f.write_str("room"),
            SurviveWord::Datacenter => f.write_str("datacenter"),
            SurviveWord::PowerKind(kind) => write!(f, "power:{kind}"),
            SurviveWord::PowerPercent {
                percent,
                kind: None,
            } => write!(f, "power:{percent}%"),
            SurviveWord::PowerPercent {
                percent,
                kind: Some(kind),
            } => write!(f, "power:{percent}%:{kind}"),
            SurviveWord::Custom(name) => write!(f, "custom:{name}"),
        }
    }
}
