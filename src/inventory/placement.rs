//! `placement.csv`: one row per replica (service, server).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::csvfile::{read_text, CsvFile};
use super::error::{Errors, InputError, InputErrors, Location};
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
        if services.services.is_empty() && !unknown.is_empty() {
            // The cause is services.toml, not any row: one line that says so.
            let rows: usize = unknown.values().map(|(_, rows)| rows).sum();
            errors.push(InputError::new(
                Location::file(&services.file),
                format!(
                    "no services (the file defines no [[service]]), but {} places {rows} replica{} of {} service{}",
                    path.display(),
                    if rows == 1 { "" } else { "s" },
                    unknown.len(),
                    if unknown.len() == 1 { "" } else { "s" },
                ),
            ));
            unknown.clear();
        }
        for (_, (mut error, rows)) in unknown {
            if rows > 1 {
                let others = rows - 1;
                let s = if others == 1 { "" } else { "s" };
                error.message = format!("{}; {others} more row{s} name it", error.message);
            }
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

/// Why `name` is not a service.
fn unknown_service(name: &str, services: &Services) -> String {
    format!(
        "unknown service \"{name}\" (not in {})",
        services.file.display()
    )
}
