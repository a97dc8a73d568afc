//! `services.toml`: what each service needs and which failures it must survive.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use super::csvfile::read_text;
use super::error::Location;
use super::error::{Errors, InputError, InputErrors};
use super::fleet::Inventory;
use super::ids::ServiceId;
use super::limits;
use super::spans::Spans;
use super::survive_word::SurviveWord;

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
        let mut reader = Reader {
            spans: &spans,
            inventory,
            errors: Errors::default(),
            names: BTreeSet::new(),
        };
        let defaults = file.defaults.map(Spanned::into_inner).unwrap_or_default();
        let default_survive = reader.defaults(&defaults);
        let services: Vec<Service> = file
            .service
            .into_iter()
            .filter_map(|raw| reader.service(raw, &defaults, &default_survive))
            .collect();
        reader.count_words(path, &default_survive, &services);
        let by_name = services
            .iter()
            .enumerate()
            .map(|(i, s)| (s.name.clone(), ServiceId(i as u32)))
            .collect();
        reader.errors.finish(Services {
            file: path.to_path_buf(),
            services,
            by_name,
        })
    }
}

/// Turns the tables of services.toml into services, one `[[service]]` at a
/// time, keeping every error found on the way.
struct Reader<'a> {
    spans: &'a Spans<'a>,
    inventory: &'a Inventory,
    errors: Errors,
    /// The service names seen so far, for duplicates.
    names: BTreeSet<String>,
}

impl Reader<'_> {
    fn at(&self, span: std::ops::Range<usize>) -> Location {
        self.spans.location(span)
    }

    fn refuse(&mut self, span: std::ops::Range<usize>, message: impl Into<String>) {
        self.errors.push(InputError::new(self.at(span), message));
    }

    /// Checks `[defaults]` and returns the default survive list.
    fn defaults(&mut self, defaults: &RawService) -> Vec<SurviveWord> {
        if let Some(name) = &defaults.name {
            self.refuse(name.span(), "[defaults] may hold any key but `name`");
        }
        // Checked even when no service uses them: a typo there is still a typo.
        let _ = self.count("min_replicas", defaults.min_replicas.as_ref());
        let _ = self.count("max_per_server", defaults.max_per_server.as_ref());
        let _ = self.count("max_replicas", defaults.max_replicas.as_ref());
        match defaults.survive.as_ref() {
            Some(words) => self.words(words),
            None => vec![SurviveWord::Rack],
        }
    }

    /// One `[[service]]` with `defaults` filled in, or None when it cannot be
    /// built (its errors are kept).
    fn service(
        &mut self,
        raw: Spanned<RawService>,
        defaults: &RawService,
        default_survive: &[SurviveWord],
    ) -> Option<Service> {
        let service_at = self.at(raw.span());
        let raw = raw.into_inner();
        let name = self.name(&raw, &service_at)?;
        let counts = (
            self.count(
                "min_replicas",
                given(&raw.min_replicas, &defaults.min_replicas),
            ),
            self.count(
                "max_per_server",
                given(&raw.max_per_server, &defaults.max_per_server),
            ),
            self.count(
                "max_replicas",
                given(&raw.max_replicas, &defaults.max_replicas),
            ),
        );
        let (Ok(min_replicas), Ok(max_per_server), Ok(max_replicas)) = counts else {
            return None;
        };
        let min_replicas = min_replicas.as_ref();
        let cpu = given(&raw.cpu, &defaults.cpu);
        let (Some(min_replicas), Some(cpu)) = (min_replicas, cpu) else {
            let key = if min_replicas.is_none() {
                "min_replicas"
            } else {
                "cpu"
            };
            self.errors.push(InputError::new(
                service_at,
                format!("service \"{name}\": missing required key `{key}`"),
            ));
            return None;
        };
        let mem_gb = given(&raw.mem_gb, &defaults.mem_gb);
        self.check_amounts([("cpu", Some(cpu)), ("mem_gb", mem_gb)]);
        let max_per_server = max_per_server.as_ref();
        if let Some(m) = max_per_server.filter(|m| *m.get_ref() == 0) {
            self.refuse(m.span(), "`max_per_server` must be at least 1");
        }
        let max_replicas = max_replicas.as_ref();
        self.check_counts(min_replicas, max_replicas, max_per_server);
        let survive = match raw.survive.as_ref() {
            Some(words) => self.words(words),
            None => default_survive.to_vec(),
        };
        let requires = raw.requires.as_ref().or(defaults.requires.as_ref());
        Some(Service {
            name,
            min_replicas: *min_replicas.get_ref(),
            cpu: *cpu.get_ref(),
            mem_gb: mem_gb.map_or(0.0, |m| *m.get_ref()),
            requires: requires.cloned().unwrap_or_default(),
            max_per_server: max_per_server.map_or(1, |m| *m.get_ref()),
            max_replicas: max_replicas.map(|m| *m.get_ref()),
            survive,
            line: service_at.line.unwrap_or(0),
        })
    }

    /// The service's name: given, well-formed and not taken by an earlier service.
    fn name(&mut self, raw: &RawService, service_at: &Location) -> Option<String> {
        let Some(name) = &raw.name else {
            self.errors.push(InputError::new(
                service_at.clone(),
                "missing required key `name`",
            ));
            return None;
        };
        if name.get_ref().trim().is_empty() || name.get_ref().contains(';') {
            self.refuse(
                name.span(),
                "a service name must be non-empty and without ';'",
            );
            return None;
        }
        if !self.names.insert(name.get_ref().clone()) {
            self.refuse(
                name.span(),
                format!("duplicate service name \"{}\"", name.get_ref()),
            );
            return None;
        }
        Some(name.get_ref().clone())
    }

    /// Cores and gigabytes: finite, not negative, within the limit.
    fn check_amounts(&mut self, amounts: [(&str, Option<&Spanned<f64>>); 2]) {
        for (key, value) in amounts {
            let Some(value) = value else {
                continue;
            };
            if value.get_ref().is_finite() && *value.get_ref() > limits::NUMBER {
                self.refuse(
                    value.span(),
                    format!(
                        "`{key}` = {} is above faultplan's limit of {} (see docs/formats.md, Limits)",
                        value.get_ref(),
                        limits::NUMBER
                    ),
                );
            } else if !(value.get_ref().is_finite() && *value.get_ref() >= 0.0) {
                self.refuse(
                    value.span(),
                    format!(
                        "`{key}` must be a finite number >= 0, found {}",
                        value.get_ref()
                    ),
                );
            }
        }
    }

    /// A count key as a whole number ≥ 0; Err once its error is kept.
    fn count(
        &mut self,
        key: &str,
        value: Option<&Spanned<Count>>,
    ) -> Result<Option<Spanned<u32>>, ()> {
        let Some(value) = value else {
            return Ok(None);
        };
        let whole = match value.get_ref() {
            Count::Whole(n) => Some(*n),
            Count::Fraction(_) => None,
        };
        match whole.map(u32::try_from) {
            Some(Ok(count)) => Ok(Some(Spanned::new(value.span(), count))),
            None | Some(Err(_)) if whole.is_none_or(|n| n < 0) => {
                // A server holds at least one replica (checked below for 0).
                let least = if key == "max_per_server" { 1 } else { 0 };
                let message = format!(
                    "{key} must be a whole number ≥ {least}, found {}",
                    value.get_ref()
                );
                self.refuse(value.span(), message);
                Err(())
            }
            _ => {
                self.refuse(
                    value.span(),
                    format!(
                        "`{key}` = {} is above faultplan's limit of {} (see docs/formats.md, Limits)",
                        value.get_ref(),
                        if key == "max_per_server" { limits::PER_SERVER } else { limits::REPLICAS }
                    ),
                );
                Err(())
            }
        }
    }

    /// Replica counts within the limits, and a cap no lower than the demand.
    fn check_counts(
        &mut self,
        min_replicas: &Spanned<u32>,
        max_replicas: Option<&Spanned<u32>>,
        max_per_server: Option<&Spanned<u32>>,
    ) {
        // Later stages multiply and sum these as u32: bounded here, they cannot wrap.
        for (key, value, limit) in [
            ("min_replicas", Some(min_replicas), limits::REPLICAS),
            ("max_replicas", max_replicas, limits::REPLICAS),
            ("max_per_server", max_per_server, limits::PER_SERVER),
        ] {
            if let Some(value) = value.filter(|v| *v.get_ref() > limit) {
                self.refuse(
                    value.span(),
                    format!(
                        "`{key}` = {} is above faultplan's limit of {limit} (see docs/formats.md, Limits)",
                        value.get_ref()
                    ),
                );
            }
        }
        if let Some(m) = max_replicas.filter(|m| m.get_ref() < min_replicas.get_ref()) {
            self.refuse(
                m.span(),
                format!(
                    "`max_replicas` ({}) is less than `min_replicas` ({}): no placement can satisfy it",
                    m.get_ref(),
                    min_replicas.get_ref()
                ),
            );
        }
    }

    /// Parses a `survive` list, each word checked against the inventory; repeats
    /// are dropped.
    fn words(&mut self, words: &[Spanned<String>]) -> Vec<SurviveWord> {
        let mut survive = Vec::new();
        // By normalized name, in a set: a list of many words must not take quadratic time.
        let mut seen = BTreeSet::new();
        for word in words {
            match SurviveWord::parse_in(word.get_ref(), self.inventory) {
                Err(e) => self.refuse(word.span(), e.to_string()),
                Ok(parsed) => {
                    if seen.insert(parsed.to_string()) {
                        survive.push(parsed);
                    }
                }
            }
        }
        survive
    }

    /// Every distinct survive word is expanded into scenarios: their number is bounded.
    fn count_words(&mut self, path: &Path, default_survive: &[SurviveWord], services: &[Service]) {
        let words: BTreeSet<String> = std::iter::once(default_survive)
            .chain(services.iter().map(|s| s.survive.as_slice()))
            .flatten()
            .map(ToString::to_string)
            .collect();
        if words.len() > limits::WORDS {
            self.errors.push(InputError::new(
                Location::file(path),
                format!(
                    "{} distinct survive words; faultplan's limit is {} (see docs/formats.md, Limits)",
                    words.len(),
                    limits::WORDS
                ),
            ));
        }
    }
}

/// A key of the service, else of `[defaults]`.
fn given<'a, T>(own: &'a Option<T>, default: &'a Option<T>) -> Option<&'a T> {
    own.as_ref().or(default.as_ref())
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
    // Counts are read as any number and narrowed by `Reader::count`, so
    // that a negative one is refused by its key's name rather than by serde's
    // "expected u32".
    min_replicas: Option<Spanned<Count>>,
    cpu: Option<Spanned<f64>>,
    mem_gb: Option<Spanned<f64>>,
    requires: Option<Vec<String>>,
    max_per_server: Option<Spanned<Count>>,
    max_replicas: Option<Spanned<Count>>,
    survive: Option<Vec<Spanned<String>>>,
}

/// A count as written: TOML tells integers from floats, and either is read so
/// that `2.5` is refused in the same words as `-3`.
enum Count {
    Whole(i64),
    Fraction(f64),
}

impl<'de> Deserialize<'de> for Count {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Count;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a whole number ≥ 0")
            }
            fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<Count, E> {
                Ok(Count::Whole(n))
            }
            fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<Count, E> {
                Ok(Count::Whole(i64::try_from(n).unwrap_or(i64::MAX)))
            }
            fn visit_f64<E: serde::de::Error>(self, x: f64) -> Result<Count, E> {
                Ok(Count::Fraction(x))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

impl std::fmt::Display for Count {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Count::Whole(n) => write!(f, "{n}"),
            Count::Fraction(x) => write!(f, "{x}"),
        }
    }
}
