//! `scenarios.toml`: named sets of components that fail together.

use std::collections::BTreeSet;
use std::path::Path;

use serde::Deserialize;

use super::builder::Builder;
use super::namespace::Defined;
use crate::inventory::error::InputError;
use crate::inventory::fleet::CustomScenario;
use crate::inventory::spans::Spans;

impl Builder {
    pub(super) fn custom_scenarios(&mut self, path: &Path, text: &str) -> Vec<CustomScenario> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct File {
            #[serde(default)]
            scenario: Vec<toml::Spanned<Raw>>,
        }
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Raw {
            name: toml::Spanned<String>,
            fail: Vec<toml::Spanned<String>>,
        }
        let spans = Spans::new(path, text);
        let file: File = match toml::from_str(text) {
            Ok(file) => file,
            Err(e) => {
                self.errors.push(spans.toml_error(&e));
                return Vec::new();
            }
        };
        let mut names = BTreeSet::new();
        let mut scenarios = Vec::new();
        for raw in file.scenario {
            let line = spans.line_col(raw.span().start).0;
            let raw = raw.into_inner();
            let name_at = spans.location(raw.name.span());
            if raw.name.get_ref().is_empty() {
                self.errors
                    .push(InputError::new(name_at, "a scenario name cannot be empty"));
                continue;
            }
            if !names.insert(raw.name.get_ref().clone()) {
                self.errors.push(InputError::new(
                    name_at,
                    format!("duplicate scenario name \"{}\"", raw.name.get_ref()),
                ));
                continue;
            }
            if raw.fail.is_empty() {
                self.errors
                    .push(InputError::new(name_at, "`fail` must name at least one id"));
                continue;
            }
            let mut fail = Vec::new();
            for id in &raw.fail {
                match self.namespace.ids.get(id.get_ref()) {
                    Some(Defined {
                        component: Some(component),
                        ..
                    }) => fail.push(*component),
                    // Its own row's error is reported; naming it here too is noise.
                    Some(_) => {}
                    None => self.errors.push(InputError::new(
                        spans.location(id.span()),
                        format!("unknown id \"{}\": expected a datacenter, rack, server or power component id", id.get_ref()),
                    )),
                }
            }
            fail.sort();
            fail.dedup();
            scenarios.push(CustomScenario {
                name: raw.name.into_inner(),
                fail,
                line,
            });
        }
        scenarios
    }
}
