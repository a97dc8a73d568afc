//! `faultplan graph`: the failure-domain and power graph as Graphviz DOT.

use std::path::Path;

use faultplan::inventory::{InputError, Inventory, Location};
use faultplan::report;

use super::args::GraphArgs;
use super::exit::Failure;
use super::io::print;

pub(super) fn run(args: GraphArgs) -> Result<(), Failure> {
    let inventory = Inventory::load(&args.inventory)?;
    let highlight = match args.highlight.as_deref() {
        None => None,
        Some(id) => Some(inventory.lookup(id).ok_or_else(|| {
            InputError::new(
                Location::file(Path::new("--highlight")),
                format!("unknown id \"{id}\": expected a datacenter, rack, server or power component id"),
            )
        })?),
    };
    print(&if args.servers {
        report::graph_dot(&inventory, highlight)
    } else {
        report::graph_dot_racks(&inventory, highlight)
    })
}
