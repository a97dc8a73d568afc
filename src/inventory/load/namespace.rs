//! The one namespace of datacenter, rack, power and server ids, declared
//! before any row is built.

use std::collections::{BTreeMap, BTreeSet};

use crate::inventory::csvfile::{CsvFile, Row};
use crate::inventory::error::{Errors, InputError, Location};
use crate::inventory::ids::Component;

/// The four kinds of ids that share one namespace, in file order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Kind {
    Datacenter,
    Rack,
    Power,
    Server,
}

impl Kind {
    pub(super) fn name(self) -> &'static str {
        match self {
            Kind::Datacenter => "datacenter",
            Kind::Rack => "rack",
            Kind::Power => "power component",
            Kind::Server => "server",
        }
    }
}

/// One id of the shared namespace: where it is defined, and what it became
/// (None while its row is not built yet, or when that row was rejected).
pub(super) struct Defined {
    pub(super) kind: Kind,
    pub(super) at: Location,
    pub(super) component: Option<Component>,
}

/// Every id of the four files, declared before any row is built, so that a
/// collision is reported even when both rows have other errors, and a reference
/// can tell "no such id" from "that id is something else" and "that row was
/// rejected".
#[derive(Default)]
pub(super) struct Namespace {
    pub(super) ids: BTreeMap<String, Defined>,
    /// Rows whose id was declared (rows not here are never built: their id is
    /// bad or taken, and that is already reported).
    pub(super) declared: BTreeSet<(Kind, usize)>,
    /// Files that could not be parsed: references into them are not checked,
    /// since every one would dangle.
    pub(super) broken: BTreeSet<Kind>,
}

impl Namespace {
    pub(super) fn declare(&mut self, file: &CsvFile, kind: Kind, errors: &mut Errors) {
        for row in file.rows() {
            let id = match row.id("id") {
                Ok(id) => id,
                Err(e) => {
                    errors.push(e);
                    continue;
                }
            };
            let at = row.at("id");
            if let Some(first) = self.ids.get(id) {
                errors.push(InputError::new(
                    at,
                    format!("duplicate id \"{id}\": already defined at {} (datacenter, rack, server and power ids share one namespace)", first.at),
                ));
                continue;
            }
            self.ids.insert(
                id.to_string(),
                Defined {
                    kind,
                    at,
                    component: None,
                },
            );
            self.declared.insert((kind, row.line));
        }
    }

    pub(super) fn is_declared(&self, kind: Kind, row: &Row) -> bool {
        self.declared.contains(&(kind, row.line))
    }

    pub(super) fn built(&mut self, id: &str, component: Component) {
        if let Some(defined) = self.ids.get_mut(id) {
            defined.component = Some(component);
        }
    }
}
