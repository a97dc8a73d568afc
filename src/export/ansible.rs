//! An Ansible inventory: one group per service holding the servers of its
//! replicas, and each server's failure domains as host variables. Two shapes:
//! the dynamic-inventory JSON an inventory script prints for `--list`, and the
//! INI file format.

use std::collections::BTreeMap;

use serde_json::json;

use super::sources::{collect, Sources};
use super::spreadsheet::spreadsheet_safe;
use crate::inventory::{InputError, InputErrors, Inventory, Placement, Services};

/// Ansible's name for a group: a valid Python identifier, every other
/// character (and a leading digit) replaced with `_`, as Ansible's own
/// `TRANSFORM_INVALID_GROUP_CHARS` would (it warns, and may merge two groups).
pub fn group_name(service: &str) -> String {
    service
        .chars()
        .enumerate()
        .map(|(i, c)| {
            if c.is_ascii_alphabetic() || c == '_' || (i > 0 && c.is_ascii_digit()) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// A host's variables: its failure domains.
struct Host {
    rack: String,
    room: Option<String>,
    datacenter: String,
    power_feeds: Vec<String>,
}

/// Group name → its hosts, sorted.
type Groups = BTreeMap<String, Vec<String>>;
/// Host name → its variables.
type Hosts = BTreeMap<String, Host>;

/// Groups (name → sorted hosts) and hosts, both sorted; two services whose
/// group names would be one (or a group Ansible reserves) are an error.
fn inventory_of(
    inventory: &Inventory,
    services: &Services,
    placement: &Placement,
) -> Result<(Groups, Hosts), InputErrors> {
    check_group_names(inventory, services)?;
    Ok(groups_and_hosts(inventory, services, placement))
}

/// Refuses services whose group names Ansible reserves or would merge.
fn check_group_names(inventory: &Inventory, services: &Services) -> Result<(), InputErrors> {
    let sources = Sources {
        inventory,
        services,
    };
    let mut owner: BTreeMap<String, String> = BTreeMap::new();
    let mut errors = Vec::new();
    for id in services.ids() {
        let name = &services.service(id).name;
        let group = group_name(name);
        if group == "all" || group == "ungrouped" {
            errors.push(InputError::new(
                sources.service(name),
                format!("service \"{name}\" would be the Ansible group \"{group}\", which Ansible reserves; rename the service"),
            ));
        } else if let Some(other) = owner.insert(group.clone(), name.clone()) {
            errors.push(InputError::new(
                sources.service(name),
                format!("services \"{other}\" and \"{name}\" would both be the Ansible group \"{group}\" (group names keep only letters, digits and _); rename one"),
            ));
        }
    }
    collect(errors)
}

/// Each service's group of the servers of its replicas, and each such server
/// with its failure domains.
fn groups_and_hosts(
    inventory: &Inventory,
    services: &Services,
    placement: &Placement,
) -> (Groups, Hosts) {
    let mut groups: Groups = BTreeMap::new();
    let mut hosts = BTreeMap::new();
    for r in &placement.replicas {
        let server = inventory.server(r.server);
        let rack = inventory.rack(server.rack);
        let members = groups
            .entry(group_name(&services.service(r.service).name))
            .or_default();
        members.push(server.id.clone());
        hosts.entry(server.id.clone()).or_insert_with(|| {
            let room = &inventory.room(rack.room).name;
            Host {
                rack: rack.id.clone(),
                room: (!room.is_empty()).then(|| room.clone()),
                datacenter: inventory.dc(rack.datacenter).id.clone(),
                power_feeds: server
                    .psu
                    .iter()
                    .map(|p| inventory.power(*p).id.clone())
                    .collect(),
            }
        });
    }
    for members in groups.values_mut() {
        members.sort();
        members.dedup();
    }
    (groups, hosts)
}

fn hostvars(host: &Host) -> serde_json::Value {
    let mut vars = json!({
        "rack": host.rack,
        "datacenter": host.datacenter,
        "power_feeds": host.power_feeds,
    });
    if let Some(room) = &host.room {
        vars["room"] = json!(room);
    }
    vars
}

/// What an inventory script prints for `--list`:
/// `{group: {hosts: [...]}, ..., _meta: {hostvars: {host: {...}}}}`.
pub fn ansible_json(
    inventory: &Inventory,
    services: &Services,
    placement: &Placement,
) -> Result<String, InputErrors> {
    let (groups, hosts) = inventory_of(inventory, services, placement)?;
    let mut out = serde_json::Map::new();
    for (group, members) in groups {
        out.insert(group, json!({ "hosts": members }));
    }
    let hostvars: serde_json::Map<String, serde_json::Value> = hosts
        .iter()
        .map(|(name, host)| (name.clone(), hostvars(host)))
        .collect();
    out.insert("_meta".into(), json!({ "hostvars": hostvars }));
    let mut text =
        serde_json::to_string_pretty(&serde_json::Value::Object(out)).expect("JSON serializes");
    text.push('\n');
    Ok(text)
}

/// A host variable's value on an INI host line: Ansible splits the line like a
/// POSIX shell, then reads each value as a Python literal. A JSON string or
/// list of strings is such a literal, so ids that look like numbers stay
/// strings; single quotes keep it one shell word.
fn ini_value(value: &serde_json::Value) -> String {
    let literal = value.to_string();
    format!("'{}'", literal.replace('\'', r"'\''"))
}

/// The INI inventory format: a `[group]` section per service listing its
/// hosts, each host line carrying its variables (repeated in every group of
/// the host, so each section reads on its own).
pub fn ansible_ini(
    inventory: &Inventory,
    services: &Services,
    placement: &Placement,
) -> Result<String, InputErrors> {
    let (groups, hosts) = inventory_of(inventory, services, placement)?;
    let sources = Sources {
        inventory,
        services,
    };
    let mut errors = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for (name, host) in &hosts {
        let mut cells = vec![
            (name, "server"),
            (&host.rack, "rack"),
            (&host.datacenter, "datacenter"),
        ];
        cells.extend(host.power_feeds.iter().map(|p| (p, "power component")));
        for (cell, what) in cells
            .into_iter()
            .filter(|(cell, _)| seen.insert(cell.as_str()))
        {
            errors.extend(spreadsheet_safe(cell, what, sources.id(cell)).err());
        }
        if let Some(room) = host.room.as_ref().filter(|room| seen.insert(room.as_str())) {
            errors.extend(spreadsheet_safe(room, "room", sources.id(&host.rack)).err());
        }
        // A host name is one shell word with no comment or variable syntax.
        if name.contains(|c: char| c.is_whitespace() || "#='\"\\[]".contains(c)) {
            errors.push(InputError::new(
                sources.id(name),
                format!("server \"{name}\" cannot be an Ansible host name in INI (spaces, #, =, quotes, \\ and brackets are not allowed); use --format ansible"),
            ));
        }
    }
    collect(errors)?;
    let mut out =
        String::from("# Ansible inventory written by faultplan export: one group per service.\n");
    for (group, members) in groups {
        out.push_str(&format!("\n[{group}]\n"));
        for name in members {
            let host = &hosts[&name];
            out.push_str(&name);
            let vars = hostvars(host);
            for key in ["rack", "room", "datacenter", "power_feeds"] {
                if let Some(value) = vars.get(key) {
                    out.push_str(&format!(" {key}={}", ini_value(value)));
                }
            }
            out.push('\n');
        }
    }
    Ok(out)
}
