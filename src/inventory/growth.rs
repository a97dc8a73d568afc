//! The growth factors of capacity planning (FORMATS.md): one for every
//! service, or a `service,factor` CSV. Validated here, once, like every other
//! input.

use std::collections::BTreeMap;
use std::path::Path;

use super::csvfile::{read_text, CsvFile};
use super::error::{Errors, GrowthError, InputError, InputErrors, Location};
use super::ids::ServiceId;
use super::limits;
use super::placement::{unknown_service, unknown_service_errors};
use super::services::Services;

/// How much each service's demand grows: a factor on min_replicas.
#[derive(Debug, Clone, PartialEq)]
pub struct Growth {
    /// Per service (by index), its factor; 1 for a service a growth file omits.
    pub factors: Vec<f64>,
}

/// One grown service: its min_replicas (and max_replicas) before and after.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Grown {
    pub service: String,
    pub factor: f64,
    pub min_replicas: (u32, u32),
    pub max_replicas: Option<(u32, u32)>,
}

impl Growth {
    /// The same factor for every service (`--growth FACTOR`); `at` names where
    /// the factor was given, for the error.
    pub fn uniform(factor: f64, services: &Services, at: &Location) -> Result<Growth, InputErrors> {
        let growth = Growth {
            factors: vec![factor; services.services.len()],
        };
        let check = |message: String| InputError::new(at.clone(), message);
        if let Some(message) = factor_error(factor) {
            return Err(check(message).into());
        }
        for id in services.ids() {
            if let Err(e) = growth.grow_one(services, id) {
                return Err(check(e.to_string()).into());
            }
        }
        Ok(growth)
    }

    /// Reads a growth file: CSV with the columns `service` and `factor`.
    pub fn load(path: &Path, services: &Services) -> Result<Growth, InputErrors> {
        let text = read_text(path, limits::CSV_BYTES)?;
        let file = CsvFile::parse(path, &text, &["service", "factor"], &[])?;
        let mut errors = Errors::default();
        let mut growth = Growth {
            factors: vec![1.0; services.services.len()],
        };
        let mut seen: BTreeMap<ServiceId, usize> = BTreeMap::new();
        // As in placement.csv: a name that is not a service is said once, at
        // its first row, with the count of the others.
        let mut unknown: BTreeMap<String, (InputError, usize)> = BTreeMap::new();
        for row in file.rows() {
            let parsed = (|| -> Result<(), InputError> {
                let name = row.required("service", "a service name")?;
                let Some(id) = services.lookup(name) else {
                    unknown
                        .entry(name.to_string())
                        .or_insert_with(|| {
                            (row.error("service", unknown_service(name, services)), 0)
                        })
                        .1 += 1;
                    return Ok(());
                };
                if let Some(line) = seen.insert(id, row.line) {
                    return Err(row.error(
                        "service",
                        format!("service \"{name}\" is listed twice (first on line {line})"),
                    ));
                }
                let factor = row.required_number("factor")?;
                if let Some(message) = factor_error(factor) {
                    return Err(row.error("factor", message));
                }
                growth.factors[id.index()] = factor;
                growth
                    .grow_one(services, id)
                    .map_err(|e| row.error("factor", e.to_string()))?;
                Ok(())
            })();
            if let Err(e) = parsed {
                errors.push(e);
            }
        }
        let tail = |rows: usize, names: usize| {
            format!(
                "this file grows {names} service{} on {rows} row{}",
                if names == 1 { "" } else { "s" },
                if rows == 1 { "" } else { "s" },
            )
        };
        for error in unknown_service_errors(unknown, services, tail) {
            errors.push(error);
        }
        errors.finish(growth)
    }

    /// The grown demand: every service's min_replicas times its factor,
    /// rounded up, and max_replicas (when set) raised the same way and to at
    /// least the new min_replicas, so a cap that allowed the old demand
    /// allows the grown one in the same proportion.
    pub fn apply(&self, services: &Services) -> (Services, Vec<Grown>) {
        let mut grown = services.clone();
        let mut changes = Vec::new();
        for id in services.ids() {
            let Ok((min, max)) = self.grow_one(services, id) else {
                // Validated when the growth was built.
                continue;
            };
            let s = &mut grown.services[id.index()];
            changes.push(Grown {
                service: s.name.clone(),
                factor: self.factors[id.index()],
                min_replicas: (s.min_replicas, min),
                max_replicas: s.max_replicas.zip(max),
            });
            s.min_replicas = min;
            s.max_replicas = max;
        }
        (grown, changes)
    }

    fn grow_one(
        &self,
        services: &Services,
        id: ServiceId,
    ) -> Result<(u32, Option<u32>), GrowthError> {
        let service = services.service(id);
        let factor = self.factors[id.index()];
        let min = grow(service.min_replicas, factor)?;
        let max = service
            .max_replicas
            .map(|max| grow(max, factor).map(|m| m.max(min)))
            .transpose()?;
        Ok((min, max))
    }
}

fn factor_error(factor: f64) -> Option<String> {
    (!(factor.is_finite() && factor > 0.0))
        .then(|| format!("expected a growth factor > 0 (1.5 = 50% more), found {factor}"))
}

/// `n × factor` rounded up. A product within a billionth of a whole number is
/// that number: 10 × 1.1 is 11.000000000000002 in binary floating point, and
/// a user who wrote 1.1 means 11.
pub fn grow(n: u32, factor: f64) -> Result<u32, GrowthError> {
    let product = f64::from(n) * factor;
    let nearest = product.round();
    let grown = if (product - nearest).abs() <= 1e-9 * nearest.max(1.0) {
        nearest
    } else {
        product.ceil()
    };
    if grown > f64::from(limits::REPLICAS) {
        return Err(GrowthError {
            replicas: n,
            factor,
            grown,
        });
    }
    Ok(grown as u32)
}

#[cfg(test)]
mod tests {
    use super::grow;

    #[test]
    fn growth_rounds_up_but_not_float_noise() {
        assert_eq!(grow(10, 1.1), Ok(11));
        assert_eq!(grow(2, 1.5), Ok(3));
        assert_eq!(grow(3, 1.5), Ok(5));
        assert_eq!(grow(18, 1.5), Ok(27));
        assert_eq!(grow(7, 1.0), Ok(7));
        assert_eq!(grow(10, 1.11), Ok(12));
        assert_eq!(grow(4, 0.5), Ok(2));
        assert_eq!(grow(3, 0.5), Ok(2));
        assert!(grow(1_000_000, 2.0).is_err());
    }

    #[test]
    fn growth_past_the_limit_says_so_in_the_words_of_before() {
        assert_eq!(
            grow(1_000_000, 2.0).unwrap_err().to_string(),
            "1000000 × 2 = 2000000 replicas is above faultplan's limit of 1000000 (see docs/formats.md, Limits)"
        );
    }
}
