//! What the user tells an import: which devices are servers (their roles),
//! which custom fields carry their numbers, and the `--models` file that
//! gives numbers by device type.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::inventory::{read_text, InputError, InputErrors, Location};

/// Names of the device custom fields that carry server numbers.
#[derive(Debug, Clone)]
pub struct Fields {
    pub cpu: String,
    pub mem_gb: String,
    pub idle_w: String,
    pub max_w: String,
}

impl Default for Fields {
    fn default() -> Self {
        Fields {
            cpu: "cpu".into(),
            mem_gb: "mem_gb".into(),
            idle_w: "idle_w".into(),
            max_w: "max_w".into(),
        }
    }
}

/// Server numbers by device-type slug, from the `--models` CSV file.
#[derive(Debug, Clone, Default)]
pub struct Models(pub(super) BTreeMap<String, ModelRow>);

/// One row of the `--models` file.
#[derive(Debug, Clone, Deserialize)]
pub(super) struct ModelRow {
    device_type: String,
    #[serde(default)]
    pub(super) cpu: Option<f64>,
    #[serde(default)]
    pub(super) mem_gb: Option<f64>,
    #[serde(default)]
    pub(super) idle_w: Option<f64>,
    #[serde(default)]
    pub(super) max_w: Option<f64>,
}

impl Models {
    /// Reads `device_type,cpu,mem_gb,idle_w,max_w` (any order, empty cells allowed).
    pub fn load(path: &Path) -> Result<Models, InputErrors> {
        let text = read_text(path, crate::inventory::limits::CSV_BYTES)?;
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let mut models = BTreeMap::new();
        let mut errors = Vec::new();
        let headers = reader
            .headers()
            .map_err(|e| InputError::new(Location::file(path), format!("{e}")))?
            .clone();
        if !headers.iter().any(|h| h == "device_type") {
            return Err(InputError::new(
                Location::at(path, 1, None),
                "missing column \"device_type\": expected device_type,cpu,mem_gb,idle_w,max_w",
            )
            .into());
        }
        for record in reader.records() {
            let parsed = record.and_then(|record| {
                let row: ModelRow = record.deserialize(Some(&headers))?;
                Ok((record.position().map_or(0, |p| p.line() as usize), row))
            });
            match parsed {
                Ok((line, row)) => {
                    let bad = [row.cpu, row.mem_gb, row.idle_w, row.max_w]
                        .into_iter()
                        .flatten()
                        .find(|v| !v.is_finite() || *v < 0.0);
                    if let Some(v) = bad {
                        errors.push(InputError::new(
                            Location::at(path, line, None),
                            format!("expected a finite number >= 0, found {v}"),
                        ));
                    } else if models.contains_key(&row.device_type) {
                        errors.push(InputError::new(
                            Location::at(path, line, None),
                            format!("device type \"{}\" is listed twice", row.device_type),
                        ));
                    } else {
                        models.insert(row.device_type.clone(), row);
                    }
                }
                Err(e) => {
                    let (line, column) = match e.position() {
                        Some(p) => (p.line() as usize, field_of(&e)),
                        None => (0, None),
                    };
                    errors.push(InputError::new(
                        Location::at(path, line, column),
                        format!("{e}: expected device_type,cpu,mem_gb,idle_w,max_w with numbers"),
                    ));
                }
            }
        }
        if errors.is_empty() {
            Ok(Models(models))
        } else {
            Err(InputErrors(errors))
        }
    }
}

/// The 1-based field a CSV deserialization error points at, if it names one.
fn field_of(error: &csv::Error) -> Option<usize> {
    match error.kind() {
        csv::ErrorKind::Deserialize { err, .. } => err.field().map(|f| f as usize + 1),
        _ => None,
    }
}

#[derive(Debug, Clone)]
pub struct Options {
    /// Device role slugs (or names) whose devices are servers.
    pub roles: Vec<String>,
    pub fields: Fields,
    pub models: Models,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            roles: vec!["server".into()],
            fields: Fields::default(),
            models: Models::default(),
        }
    }
}
