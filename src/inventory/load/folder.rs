//! Reading the folder: each file read once and hashed for the manifest
//! digest, the CSV files parsed, then built in the order of the flow.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::builder::Builder;
use super::namespace::Kind;
use crate::inventory::csvfile::{read_text, CsvFile};
use crate::inventory::error::{Errors, InputError, InputErrors, Location};
use crate::inventory::fleet::{CustomScenario, Inventory};
use crate::inventory::limits;

/// (required, optional) columns of each CSV file, in `Inventory::FILES` order.
const COLUMNS: [(&[&str], &[&str]); 4] = [
    (&["id"], &["name", "region"]),
    (&["id", "datacenter"], &["room", "u_height"]),
    (
        &["id", "datacenter", "kind", "capacity_w"],
        &["feeds_from", "max_utilization"],
    ),
    (
        &["id", "rack", "cpu", "mem_gb", "psu"],
        &[
            "idle_w", "max_w", "labels", "model", "position", "u_height", "status",
        ],
    ),
];

/// Reads every file of the folder, hashing them for the manifest digest.
struct Files {
    hasher: Sha256,
}

impl Files {
    fn read(&mut self, path: &Path) -> Result<String, InputError> {
        let limit = if path.extension().is_some_and(|e| e == "toml") {
            limits::TOML_BYTES
        } else {
            limits::CSV_BYTES
        };
        let text = read_text(path, limit)?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        self.hasher.update(name.as_bytes());
        self.hasher.update([0]);
        self.hasher.update((text.len() as u64).to_le_bytes());
        self.hasher.update(text.as_bytes());
        Ok(text)
    }
}

impl Inventory {
    /// Loads and validates the inventory folder `dir`.
    pub fn load(dir: &Path) -> Result<Inventory, InputErrors> {
        if !dir.is_dir() {
            return Err(InputError::new(
                Location::file(dir),
                "not a folder: expected an inventory folder with datacenters.csv, racks.csv, power.csv and servers.csv",
            )
            .into());
        }
        let mut files = Files {
            hasher: Sha256::new(),
        };
        let paths = Inventory::FILES.map(|f| dir.join(f));
        let mut errors = Errors::default();
        let [datacenters, racks, power, servers] = files.csv(&paths, &mut errors);
        let mut builder = Builder {
            errors,
            ..Builder::default()
        };
        builder.declare([
            (&datacenters, Kind::Datacenter),
            (&racks, Kind::Rack),
            (&power, Kind::Power),
            (&servers, Kind::Server),
        ]);
        if let Some(file) = &datacenters {
            builder.datacenters(file);
        }
        if let Some(file) = &racks {
            builder.racks(file);
        }
        if let Some(file) = &power {
            builder.power(file);
        }
        if let Some(file) = &servers {
            builder.servers(file);
        }
        let power_order = builder.power_order();
        let custom_scenarios = files.custom_scenarios(&paths[4], &mut builder);
        let digest = format!("sha256:{:x}", files.hasher.finalize());
        builder.finish(dir, power_order, custom_scenarios, digest)
    }
}

impl Files {
    /// The four CSV files, read (all of them first) then parsed; None for a
    /// file that could not be read or parsed, its errors kept in `errors`.
    fn csv<'p>(
        &mut self,
        paths: &'p [PathBuf; 5],
        errors: &mut Errors,
    ) -> [Option<CsvFile<'p>>; 4] {
        let mut texts: Vec<Option<String>> = Vec::new();
        for path in &paths[..4] {
            match self.read(path) {
                Ok(text) => texts.push(Some(text)),
                Err(e) => {
                    errors.push(e);
                    texts.push(None);
                }
            }
        }
        let mut parsed = Vec::new();
        for ((path, text), (required, optional)) in paths.iter().zip(&texts).zip(COLUMNS) {
            let file = text.as_deref().and_then(|text| {
                match CsvFile::parse(path, text, required, optional) {
                    Ok(file) => Some(file),
                    Err(e) => {
                        e.0.into_iter().for_each(|e| errors.push(e));
                        None
                    }
                }
            });
            parsed.push(file);
        }
        match parsed.try_into() {
            Ok(files) => files,
            Err(_) => unreachable!("one entry per inventory CSV file"),
        }
    }

    /// The custom scenarios of scenarios.toml, none when the folder has no such file.
    fn custom_scenarios(&mut self, path: &Path, builder: &mut Builder) -> Vec<CustomScenario> {
        if !path.exists() {
            return Vec::new();
        }
        match self.read(path) {
            Ok(text) => builder.custom_scenarios(path, &text),
            Err(e) => {
                builder.errors.push(e);
                Vec::new()
            }
        }
    }
}
