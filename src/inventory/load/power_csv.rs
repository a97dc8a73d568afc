//! `power.csv`: the power components, the graph their `feeds_from` cells make,
//! and its order parents-first (a cycle is an error).

use std::collections::{BTreeMap, BTreeSet};

use petgraph::algo::{tarjan_scc, toposort};
use petgraph::graph::{DiGraph, NodeIndex};

use super::builder::{Builder, RowError};
use super::namespace::Kind;
use crate::inventory::csvfile::CsvFile;
use crate::inventory::error::InputError;
use crate::inventory::fleet::PowerComponent;
use crate::inventory::ids::{Component, PowerId};

const DEFAULT_MAX_UTILIZATION: f64 = 0.8;

impl Builder {
    pub(super) fn power(&mut self, file: &CsvFile) {
        // Ids first, so that `feeds_from` may name components defined further down.
        let mut defined = Vec::new();
        for row in file.rows() {
            if !self.namespace.is_declared(Kind::Power, &row) {
                continue;
            }
            let parsed = (|| -> Result<_, RowError> {
                let id = row.id("id")?;
                let datacenter = self.datacenter_ref(&row)?;
                let kind = row.required("kind", "a kind such as utility, ups or pdu")?;
                let capacity_w = row.required_number("capacity_w")?;
                let max_utilization = match row.number("max_utilization")? {
                    None => DEFAULT_MAX_UTILIZATION,
                    Some(u) if u > 0.0 && u <= 1.0 => u,
                    Some(u) => {
                        return Err(row
                            .error(
                                "max_utilization",
                                format!("expected a fraction in (0, 1], found {u}"),
                            )
                            .into())
                    }
                };
                Ok((id, datacenter, kind, capacity_w, max_utilization))
            })();
            let Some((id, datacenter, kind, capacity_w, max_utilization)) = self.record(parsed)
            else {
                continue;
            };
            let power = PowerId(self.power.len() as u32);
            self.namespace.built(id, Component::Power(power));
            self.datacenters[datacenter.index()].power.push(power);
            self.power.push(PowerComponent {
                id: id.to_string(),
                datacenter,
                kind: kind.to_string(),
                feeds_from: Vec::new(),
                capacity_w,
                max_utilization,
                line: row.line,
            });
            self.feeds_from_at.push(row.at("feeds_from"));
            defined.push((power, row));
        }
        for (power, row) in defined {
            let parents = (|| -> Result<_, RowError> {
                row.list("feeds_from")?
                    .into_iter()
                    .map(
                        |id| match self.reference(&row, "feeds_from", id, Kind::Power)? {
                            Component::Power(parent) => Ok(parent),
                            _ => unreachable!("a power id resolves to a power component"),
                        },
                    )
                    .collect::<Result<Vec<_>, _>>()
            })();
            if let Some(parents) = self.record(parents) {
                self.power[power.index()].feeds_from = parents;
            }
        }
    }

    /// Orders the power graph parents-first, or reports a cycle by name.
    pub(super) fn power_order(&mut self) -> Option<Vec<PowerId>> {
        let mut graph = DiGraph::<PowerId, ()>::with_capacity(self.power.len(), self.power.len());
        let nodes: Vec<NodeIndex> = (0..self.power.len() as u32)
            .map(|i| graph.add_node(PowerId(i)))
            .collect();
        for (child, component) in self.power.iter().enumerate() {
            for parent in &component.feeds_from {
                graph.add_edge(nodes[parent.index()], nodes[child], ());
            }
        }
        match toposort(&graph, None) {
            Ok(order) => Some(order.into_iter().map(|n| graph[n]).collect()),
            Err(_) => {
                for scc in tarjan_scc(&graph) {
                    let self_loop = scc.len() == 1 && graph.contains_edge(scc[0], scc[0]);
                    if scc.len() < 2 && !self_loop {
                        continue;
                    }
                    let cycle = cycle_in(&graph, &scc);
                    let at = self.feeds_from_at[graph[cycle[0]].index()].clone();
                    let names: Vec<&str> = cycle
                        .iter()
                        .chain(std::iter::once(&cycle[0]))
                        .map(|n| self.power[graph[*n].index()].id.as_str())
                        .collect();
                    self.errors.push(InputError::new(
                        at,
                        format!(
                            "column \"feeds_from\": the power graph has a cycle: {} (each arrow: feeds)",
                            names.join(" -> ")
                        ),
                    ));
                }
                None
            }
        }
    }
}

/// One cycle through the strongly connected component `scc`, in edge order.
fn cycle_in(graph: &DiGraph<PowerId, ()>, scc: &[NodeIndex]) -> Vec<NodeIndex> {
    let members: BTreeSet<NodeIndex> = scc.iter().copied().collect();
    let start = *members.iter().next().expect("an SCC is never empty");
    // Walk edges inside the SCC until a node repeats; from there it is a cycle.
    let mut path = vec![start];
    let mut seen = BTreeMap::from([(start, 0usize)]);
    let mut node = start;
    loop {
        let next = graph
            .neighbors(node)
            .filter(|n| members.contains(n))
            .min()
            .expect("every node of a cycle has a successor inside it");
        if let Some(&at) = seen.get(&next) {
            return path[at..].to_vec();
        }
        seen.insert(next, path.len());
        path.push(next);
        node = next;
    }
}
