//! Loading an inventory folder: the four CSV files and the optional
//! scenarios.toml. Every id is declared first, in one namespace; then each
//! file's rows are built in file order (datacenters, racks, power, servers),
//! each reference checked against what was built before it.

mod builder;
mod datacenters_csv;
mod folder;
mod namespace;
mod power_csv;
mod racks_csv;
mod scenarios_toml;
mod servers_csv;
