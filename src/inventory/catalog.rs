//! `catalog.csv` of capacity planning (FORMATS.md): the server models that may
//! be bought. Validated here, once, like every other input.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::csvfile::{read_text, CsvFile};
use super::error::{Errors, InputError, InputErrors, Location};
use super::limits;

/// One server model that may be bought.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CatalogModel {
    pub model: String,
    pub cpu: f64,
    pub mem_gb: f64,
    pub idle_w: f64,
    pub max_w: f64,
    pub labels: BTreeSet<String>,
    pub u_height: u32,
    pub price: f64,
    pub max_count: Option<u32>,
    pub line: usize,
}

/// `catalog.csv`: the models that may be bought, in file order.
#[derive(Debug, Clone, PartialEq)]
pub struct Catalog {
    pub models: Vec<CatalogModel>,
}

impl Catalog {
    pub fn load(path: &Path) -> Result<Catalog, InputErrors> {
        let text = read_text(path, limits::CSV_BYTES)?;
        let file = CsvFile::parse(
            path,
            &text,
            &["model", "cpu", "mem_gb", "price"],
            &["idle_w", "max_w", "labels", "u_height", "max_count"],
        )?;
        let mut errors = Errors::default();
        let mut models: Vec<CatalogModel> = Vec::new();
        let mut names: BTreeMap<String, usize> = BTreeMap::new();
        for row in file.rows() {
            let parsed = (|| -> Result<CatalogModel, InputError> {
                let model = row.id("model")?.to_string();
                if let Some(line) = names.get(&model) {
                    return Err(row.error(
                        "model",
                        format!("model \"{model}\" is listed twice (first on line {line})"),
                    ));
                }
                let cpu = row.required_number("cpu")?;
                let mem_gb = row.required_number("mem_gb")?;
                let price = row.required_number("price")?;
                let idle_w = row.number("idle_w")?.unwrap_or(0.0);
                let max_w = row.number("max_w")?.unwrap_or(idle_w);
                if max_w < idle_w {
                    return Err(row.error(
                        "max_w",
                        format!("max_w ({max_w}) must be >= idle_w ({idle_w})"),
                    ));
                }
                let u_height = row.whole_number("u_height")?.unwrap_or(1);
                if u_height == 0 {
                    return Err(row.error("u_height", "expected at least 1 rack unit, found 0"));
                }
                let labels = row
                    .list("labels")?
                    .into_iter()
                    .map(str::to_string)
                    .collect();
                Ok(CatalogModel {
                    model,
                    cpu,
                    mem_gb,
                    idle_w,
                    max_w,
                    labels,
                    u_height,
                    price,
                    max_count: row.whole_number("max_count")?,
                    line: row.line,
                })
            })();
            match parsed {
                Ok(model) => {
                    names.insert(model.model.clone(), model.line);
                    models.push(model);
                }
                Err(e) => errors.push(e),
            }
        }
        if models.is_empty() && file.rows().next().is_none() {
            errors.push(InputError::new(
                Location::file(path),
                "the catalog lists no model; expected at least one row after the header",
            ));
        }
        errors.finish(Catalog { models })
    }
}
