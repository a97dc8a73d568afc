//! `placement.csv`: one row per replica (service, server).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::csvfile::{read_text, CsvFile};
use super::error::{Errors, InputError, InputErrors};
use super::fleet::Inventory;
use super::ids::{Component, ServerId, ServiceId};
use super::services::Services;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Replica {
    pub service: ServiceId,
    pub server: ServerId,
    /// Line in the placement file, 0 for a placement faultplan computed.
    pub line: usize,
}

#[derive(Debug, Clone, Default)]
pub struct Placement {
    /// The file it was read from, if any.
    pub file: Option<PathBuf>,
    pub replicas: Vec<Replica>,
}

impl Placement {
    /// Loads `path`; unknown services and servers are input errors.
    pub fn load(
        path: &Path,
        inventory: &Inventory,
        services: &Services,
    ) -> Result<Placement, InputErrors> {
        let text = read_text(path, super::limits::CSV_BYTES)?;
        let file = CsvFile::parse(path, &text, &["service", "server"], &[])?;
        let mut errors = Errors::default();
        let mut replicas = Vec::new();
        // A name that is not a service is said once, at its first row, with
        // the count of the others: a placement written for other services (or
        // read with an empty services.toml) would otherwise give a line per row.
        let mut unknown: BTreeMap<String, (InputError, usize)> = BTreeMap::new();
        for row in file.rows() {
            let parsed = (|| {
                let name = row.required("service", "a service name")?;
                let Some(service) = services.lookup(name) else {
                    return Ok(Err(name));
                };
                let server_id = row.id("server")?;
                let server = match inventory.lookup(server_id) {
                    Some(Component::Server(server)) => server,
                    Some(_) => {
                        return Err(row.error("server", format!("\"{server_id}\" is not a server")))
                    }
                    None => {
                        return Err(row.error("server", format!("unknown server \"{server_id}\"")))
                    }
                };
                Ok(Ok(Replica {
                    service,
                    server,
                    line: row.line,
                }))
            })();
            match parsed {
                Ok(Ok(replica)) => replicas.push(replica),
                Ok(Err(name)) => {
                    unknown
                        .entry(name.to_string())
                        .or_insert_with(|| {
                            (row.error("service", unknown_service(name, services)), 0)
                        })
                        .1 += 1;
                }
                Err(e) => errors.push(e),
            }
        }
        let tail = |rows: usize, names: usize| {
            format!(
                "this file places {rows} replica{} of {names} service{}",
                if rows == 1 { "" } else { "s" },
                if names == 1 { "" } else { "s" },
            )
        };
        for error in unknown_service_errors(unknown, services, tail) {
            errors.push(error);
        }
        errors.finish(Placement {
            file: Some(path.to_path_buf()),
            replicas,
        })
    }

    /// Replicas sorted by service, then server: the order written files use.
    pub fn sorted(mut self) -> Placement {
        self.replicas.sort_by_key(|r| (r.service, r.server));
        self
    }
}

/// The unknown services of a file (a placement, a growth file), each said
/// once at its first row with the count of the others; with no service
/// defined at all, one line, ending in `tail(rows, names)`.
pub(super) fn unknown_service_errors(
    mut unknown: BTreeMap<String, (InputError, usize)>,
    services: &Services,
    tail: impl Fn(usize, usize) -> String,
) -> Vec<InputError> {
    let mut errors = Vec::new();
    if services.services.is_empty() {
        // The cause is services.toml, not any row: one line, at the first row.
        let rows: usize = unknown.values().map(|(_, rows)| rows).sum();
        let names = unknown.len();
        if let Some((mut first, _)) = std::mem::take(&mut unknown)
            .into_values()
            .min_by(|a, b| a.0.location.cmp(&b.0.location))
        {
            first.message = format!(
                "{}: {} defines no [[service]], and {}",
                first.message,
                services.file.display(),
                tail(rows, names),
            );
            errors.push(first);
        }
    }
    for (_, (mut error, rows)) in unknown {
        if rows > 1 {
            let others = rows - 1;
            let rows = if others == 1 {
                "row names"
            } else {
                "rows name"
            };
            error.message = format!("{}; {others} more {rows} it", error.message);
        }
        errors.push(error);
    }
    errors
}

/// Why `name` is not a service (an empty services.toml is said later, once).
pub(super) fn unknown_service(name: &str, services: &Services) -> String {
    if services.services.is_empty() {
        format!("unknown service \"{name}\"")
    } else {
        format!(
            "unknown service \"{name}\" (not in {})",
            services.file.display()
        )
    }
}
