//! `services.toml`: what each service needs and which failures it must survive.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use super::error::{Errors, InputError, InputErrors, SurviveWordError};
use super::load::Spans;
use super::{limits, read_text, Inventory, Location, ServiceId};

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

#[derive(Debug, Clone)]
pub struct Service {
    pub name: String,
    pub min_replicas: u32,
    pub cpu: f64,
    pub mem_gb: f64,
    pub requires: Vec<String>,
    pub max_per_server: u32,
    pub max_replicas: Option<u32>,
    pub survive: Vec<SurviveWord>,
    pub line: usize,
}

#[derive(Debug, Clone)]
pub struct Services {
    pub file: PathBuf,
    pub services: Vec<Service>,
    by_name: BTreeMap<String, ServiceId>,
}

impl Services {
    pub fn service(&self, id: ServiceId) -> &Service {
        &self.services[id.index()]
    }

    pub fn ids(&self) -> impl Iterator<Item = ServiceId> {
        (0..self.services.len() as u32).map(ServiceId)
    }

    pub fn lookup(&self, name: &str) -> Option<ServiceId> {
        self.by_name.get(name).copied()
    }

    /// Every distinct survive word of every service, in first-use order.
    pub fn all_words(&self) -> Vec<SurviveWord> {
        let mut words: Vec<SurviveWord> = Vec::new();
        for word in self.services.iter().flat_map(|s| &s.survive) {
            if !words.contains(word) {
                words.push(word.clone());
            }
        }
        words
    }

    /// Loads and validates `path` against `inventory`.
    pub fn load(path: &Path, inventory: &Inventory) -> Result<Services, InputErrors> {
        let text = read_text(path, limits::TOML_BYTES)?;
        Self::parse(path, &text, inventory)
    }

    pub fn parse(path: &Path, text: &str, inventory: &Inventory) -> Result<Services, InputErrors> {
        let spans = Spans::new(path, text);
        let file: RawFile = toml::from_str(text).map_err(|e| spans.toml_error(&e))?;
        if file.service.len() > limits::SERVICES {
            return Err(InputError::new(
                Location::file(path),
                format!(
                    "{} services; faultplan's limit is {} (see docs/formats.md, Limits)",
                    file.service.len(),
                    limits::SERVICES
                ),
            )
            .into());
        }
        let mut errors = Errors::default();
        let at = |span: std::ops::Range<usize>| spans.location(span);
        let defaults = file.defaults.map(Spanned::into_inner).unwrap_or_default();
        if let Some(name) = &defaults.name {
            errors.push(InputError::new(
                at(name.span()),
                "[defaults] may hold any key but `name`",
            ));
        }
        // Checked even when no service uses them: a typo there is still a typo.
        let default_survive = match defaults.survive.as_ref() {
            Some(words) => parse_words(words, inventory, &at, &mut errors),
            None => vec![SurviveWord::Rack],
        };
        let mut services = Vec::new();
        let mut names = BTreeSet::new();
        for raw in file.service {
            let service_at = at(raw.span());
            let raw = raw.into_inner();
            let Some(name) = &raw.name else {
                errors.push(InputError::new(service_at, "missing required key `name`"));
                continue;
            };
            let missing = |key: &str| {
                InputError::new(
                    service_at.clone(),
                    format!(
                        "service \"{}\": missing required key `{key}`",
                        name.get_ref()
                    ),
                )
            };
            if name.get_ref().trim().is_empty() || name.get_ref().contains(';') {
                errors.push(InputError::new(
                    at(name.span()),
                    "a service name must be non-empty and without ';'",
                ));
                continue;
            }
            if !names.insert(name.get_ref().clone()) {
                errors.push(InputError::new(
                    at(name.span()),
                    format!("duplicate service name \"{}\"", name.get_ref()),
                ));
                continue;
            }
            let min_replicas = raw.min_replicas.as_ref().or(defaults.min_replicas.as_ref());
            let cpu = raw.cpu.as_ref().or(defaults.cpu.as_ref());
            let (Some(min_replicas), Some(cpu)) = (min_replicas, cpu) else {
                errors.push(missing(if min_replicas.is_none() {
                    "min_replicas"
                } else {
                    "cpu"
                }));
                continue;
            };
            let mem_gb = raw.mem_gb.as_ref().or(defaults.mem_gb.as_ref());
            for (key, value) in [("cpu", Some(cpu)), ("mem_gb", mem_gb)] {
                if let Some(value) = value {
                    if value.get_ref().is_finite() && *value.get_ref() > limits::NUMBER {
                        errors.push(InputError::new(
                            at(value.span()),
                            format!(
                                "`{key}` = {} is above faultplan's limit of {} (see docs/formats.md, Limits)",
                                value.get_ref(),
                                limits::NUMBER
                            ),
                        ));
                    } else if !(value.get_ref().is_finite() && *value.get_ref() >= 0.0) {
                        errors.push(InputError::new(
                            at(value.span()),
                            format!(
                                "`{key}` must be a finite number >= 0, found {}",
                                value.get_ref()
                            ),
                        ));
                    }
                }
            }
            let max_per_server = raw
                .max_per_server
                .as_ref()
                .or(defaults.max_per_server.as_ref());
            if let Some(m) = max_per_server.filter(|m| *m.get_ref() == 0) {
                errors.push(InputError::new(
                    at(m.span()),
                    "`max_per_server` must be at least 1",
                ));
            }
            let max_replicas = raw.max_replicas.as_ref().or(defaults.max_replicas.as_ref());
            // Later stages multiply and sum these as u32: bounded here, they cannot wrap.
            for (key, value, limit) in [
                ("min_replicas", Some(min_replicas), limits::REPLICAS),
                ("max_replicas", max_replicas, limits::REPLICAS),
                ("max_per_server", max_per_server, limits::PER_SERVER),
            ] {
                if let Some(value) = value.filter(|v| *v.get_ref() > limit) {
                    errors.push(InputError::new(
                        at(value.span()),
                        format!(
                            "`{key}` = {} is above faultplan's limit of {limit} (see docs/formats.md, Limits)",
                            value.get_ref()
                        ),
                    ));
                }
            }
            if let Some(m) = max_replicas.filter(|m| m.get_ref() < min_replicas.get_ref()) {
                errors.push(InputError::new(
                    at(m.span()),
                    format!(
                        "`max_replicas` ({}) is less than `min_replicas` ({}): no placement can satisfy it",
                        m.get_ref(),
                        min_replicas.get_ref()
                    ),
                ));
            }
            let survive = match raw.survive.as_ref() {
                Some(words) => parse_words(words, inventory, &at, &mut errors),
                None => default_survive.clone(),
            };
            let requires = raw.requires.as_ref().or(defaults.requires.as_ref());
            services.push(Service {
                name: name.get_ref().clone(),
                min_replicas: *min_replicas.get_ref(),
                cpu: *cpu.get_ref(),
                mem_gb: mem_gb.map_or(0.0, |m| *m.get_ref()),
                requires: requires.cloned().unwrap_or_default(),
                max_per_server: max_per_server.map_or(1, |m| *m.get_ref()),
                max_replicas: max_replicas.map(|m| *m.get_ref()),
                survive,
                line: service_at.line.unwrap_or(0),
            });
        }
        let words: BTreeSet<String> = std::iter::once(&default_survive)
            .chain(services.iter().map(|s| &s.survive))
            .flatten()
            .map(ToString::to_string)
            .collect();
        if words.len() > limits::WORDS {
            errors.push(InputError::new(
                Location::file(path),
                format!(
                    "{} distinct survive words; faultplan's limit is {} (see docs/formats.md, Limits)",
                    words.len(),
                    limits::WORDS
                ),
            ));
        }
        let by_name = services
            .iter()
            .enumerate()
            .map(|(i, s)| (s.name.clone(), ServiceId(i as u32)))
            .collect();
        errors.finish(Services {
            file: path.to_path_buf(),
            services,
            by_name,
        })
    }
}

/// Parses a `survive` list, each word checked against the inventory; repeats
/// are dropped.
fn parse_words(
    words: &[Spanned<String>],
    inventory: &Inventory,
    at: &dyn Fn(std::ops::Range<usize>) -> super::Location,
    errors: &mut Errors,
) -> Vec<SurviveWord> {
    let mut survive = Vec::new();
    // By normalized name, in a set: a list of many words must not take quadratic time.
    let mut seen = BTreeSet::new();
    for word in words {
        match SurviveWord::parse_in(word.get_ref(), inventory) {
            Err(e) => errors.push(InputError::new(at(word.span()), e.to_string())),
            Ok(parsed) => {
                if seen.insert(parsed.to_string()) {
                    survive.push(parsed);
                }
            }
        }
    }
    survive
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    defaults: Option<Spanned<RawService>>,
    #[serde(default)]
    service: Vec<Spanned<RawService>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawService {
    name: Option<Spanned<String>>,
    min_replicas: Option<Spanned<u32>>,
    cpu: Option<Spanned<f64>>,
    mem_gb: Option<Spanned<f64>>,
    requires: Option<Vec<String>>,
    max_per_server: Option<Spanned<u32>>,
    max_replicas: Option<Spanned<u32>>,
    survive: Option<Vec<Spanned<String>>>,
}
