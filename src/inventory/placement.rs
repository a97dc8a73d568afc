//! `placement.csv`: one row per replica (service, server).

use std::path::{Path, PathBuf};

use super::csvfile::{read_text, CsvFile};
use super::error::{Errors, InputErrors};
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
        for row in file.rows() {
            let parsed = (|| {
                let name = row.required("service", "a service name")?;
                let service = services.lookup(name).ok_or_else(|| {
                    row.error(
                        "service",
                        format!(
                            "unknown service \"{name}\" (not in {})",
                            services.file.display()
                        ),
                    )
                })?;
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
                Ok(Replica {
                    service,
                    server,
                    line: row.line,
                })
            })();
            match parsed {
                Ok(replica) => replicas.push(replica),
                Err(e) => errors.push(e),
            }
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
