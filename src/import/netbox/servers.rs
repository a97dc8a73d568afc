//! Devices → servers.csv: devices of a server role, there (not planned), in a
//! known rack, with their numbers (custom fields, else `--models` by device
//! type, else power port draws) and a way to power. Every other device is left
//! out with the reason, in the summary.

use std::collections::BTreeSet;

use super::cells::{num, write_csv};
use super::index::Index;
use super::naming::{clean, device_label, Ids, Table};
use super::options::Options;
use super::records::{Data, Device, DeviceType, PowerPort};
use super::summary::Summary;
use super::wiring::{Parent, Wiring};
use crate::import::error::ImportError;

/// A server as mapped, before ids are assigned.
pub(super) struct Mapped<'a> {
    device: &'a Device,
    rack: u64,
    status: &'static str,
    numbers: Numbers,
    parents: Vec<Parent>,
    device_type: Option<&'a DeviceType>,
}

/// A server's numbers, as servers.csv holds them.
struct Numbers {
    cpu: f64,
    mem_gb: f64,
    idle_w: Option<f64>,
    max_w: Option<f64>,
}

/// Why a device is left out: its line in the summary.
struct Skip(String);

impl From<&str> for Skip {
    fn from(reason: &str) -> Self {
        Skip(reason.to_string())
    }
}

/// NetBox device status → servers.csv status; None: not mapped (not there yet).
fn server_status(status: &str) -> Option<&'static str> {
    match status {
        "active" => Some("active"),
        "planned" | "staged" => None,
        "offline" | "failed" => Some("offline"),
        _ => Some("maintenance"),
    }
}

/// A number from a custom field: a JSON number, or a string holding one.
fn custom_number(device: &Device, field: &str) -> Result<Option<f64>, ImportError> {
    let not_a_number = |found: String| ImportError::NotANumber {
        field: field.to_string(),
        found,
    };
    match device.custom_fields.get(field) {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::Number(n)) => n
            .as_f64()
            .filter(|v| v.is_finite() && *v >= 0.0)
            .map(Some)
            .ok_or_else(|| not_a_number(n.to_string())),
        Some(serde_json::Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(serde_json::Value::String(s)) => s
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && *v >= 0.0)
            .map(Some)
            .ok_or_else(|| not_a_number(format!("\"{s}\""))),
        Some(other) => Err(not_a_number(other.to_string())),
    }
}

/// The servers among NetBox's devices, in NetBox's order, wiring each (which
/// decides the PDUs reached); the devices left out go to `summary`.
pub(super) fn pick<'a>(
    data: &'a Data,
    index: &Index<'a>,
    options: &Options,
    wiring: &mut Wiring<'a>,
    summary: &mut Summary,
) -> Vec<Mapped<'a>> {
    let pdu_devices = wiring.pdu_devices();
    let mut servers = Vec::new();
    for device in &data.devices {
        if pdu_devices.contains(&device.id) {
            continue;
        }
        match judge(device, index, options, wiring) {
            Ok(Some(server)) => servers.push(server),
            // No way to power it: the wiring recorded an error.
            Ok(None) => {}
            Err(Skip(reason)) => summary
                .skipped
                .entry(reason)
                .or_default()
                .push(device_label(device)),
        }
    }
    servers
}

/// One device that is not a PDU: a server, left out, or (None) unpowered.
fn judge<'a>(
    device: &'a Device,
    index: &Index<'a>,
    options: &Options,
    wiring: &mut Wiring<'a>,
) -> Result<Option<Mapped<'a>>, Skip> {
    let role_matches = options.roles.iter().any(|role| {
        device.role.slug.as_deref() == Some(role.as_str())
            || device.role.name.as_deref() == Some(role.as_str())
    });
    if !role_matches {
        return Err("not of a --role given".into());
    }
    let status_value = device
        .status
        .as_ref()
        .map_or("active", |s| s.value.as_str());
    let Some(status) = server_status(status_value) else {
        return Err("planned or staged in NetBox".into());
    };
    let Some(rack) = device
        .rack
        .as_ref()
        .filter(|r| index.racks.contains_key(&r.id))
    else {
        return Err("in no rack".into());
    };
    let device_type = index.device_types.get(&device.device_type.id).copied();
    let numbers = numbers(device, device_type, options, &wiring.ports_of(device.id))?;
    let parents = wiring.parents(device);
    if parents.is_empty() {
        return Ok(None);
    }
    Ok(Some(Mapped {
        device,
        rack: rack.id,
        status,
        numbers,
        parents,
        device_type,
    }))
}

/// A device's numbers: each custom field, else its device type's row of
/// `--models`; the power draws else the sum over its power ports.
fn numbers(
    device: &Device,
    device_type: Option<&DeviceType>,
    options: &Options,
    ports: &[&PowerPort],
) -> Result<Numbers, Skip> {
    let model_row = device_type.and_then(|t| options.models.0.get(&t.slug));
    let port_sum = |draw: fn(&PowerPort) -> Option<f64>| -> Option<f64> {
        let draws: Vec<f64> = ports.iter().filter_map(|p| draw(p)).collect();
        (!draws.is_empty()).then(|| draws.iter().sum())
    };
    let fields = &options.fields;
    let mut problems = Vec::new();
    let mut number = |field: &str, from_model: Option<f64>| -> Option<f64> {
        match custom_number(device, field) {
            Ok(Some(v)) => Some(v),
            Ok(None) => from_model,
            Err(problem) => {
                problems.push(problem.to_string());
                None
            }
        }
    };
    let cpu = number(&fields.cpu, model_row.and_then(|m| m.cpu));
    let mem_gb = number(&fields.mem_gb, model_row.and_then(|m| m.mem_gb));
    let idle_w = number(&fields.idle_w, model_row.and_then(|m| m.idle_w))
        .or_else(|| port_sum(|p| p.allocated_draw));
    let max_w = number(&fields.max_w, model_row.and_then(|m| m.max_w))
        .or_else(|| port_sum(|p| p.maximum_draw));
    if !problems.is_empty() {
        return Err(Skip(problems.join("; ")));
    }
    let (Some(cpu), Some(mem_gb)) = (cpu, mem_gb) else {
        let missing: Vec<&str> = [("cpu", cpu), ("mem_gb", mem_gb)]
            .into_iter()
            .filter(|(_, v)| v.is_none())
            .map(|(name, _)| name)
            .collect();
        return Err(Skip(format!(
            "no {} (custom fields {}, {} or --models by device type)",
            missing.join(" and no "),
            fields.cpu,
            fields.mem_gb
        )));
    };
    if let (Some(idle), Some(max)) = (idle_w, max_w) {
        if max < idle {
            return Err(Skip(format!("max_w below idle_w ({max} < {idle})")));
        }
    }
    Ok(Numbers {
        cpu,
        mem_gb,
        idle_w,
        max_w,
    })
}

/// Servers are named after their site, as PDUs are.
pub(super) fn want_ids(ids: &mut Ids, index: &Index, servers: &[Mapped]) {
    for server in servers {
        ids.want(
            Table::Device,
            server.device.id,
            index.device_base(server.device),
        );
    }
}

/// servers.csv, with servers counted by status in `summary`.
pub(super) fn servers_csv(ids: &Ids, servers: &[Mapped], summary: &mut Summary) -> String {
    let mut rows = Vec::new();
    for server in servers {
        rows.push(row(ids, server));
        *summary.servers.entry(server.status).or_default() += 1;
    }
    write_csv(
        &[
            "id",
            "rack",
            "cpu",
            "mem_gb",
            "psu",
            "idle_w",
            "max_w",
            "labels",
            "model",
            "position",
            "u_height",
            "status",
            "netbox_id",
            "netbox_name",
        ],
        rows,
    )
}

fn row(ids: &Ids, server: &Mapped) -> Vec<String> {
    let device = server.device;
    let labels: BTreeSet<String> = device
        .tags
        .iter()
        .filter_map(|t| t.slug.as_deref().map(clean))
        .filter(|t| !t.is_empty())
        .collect();
    let u_height = server
        .device_type
        .and_then(|t| t.u_height)
        .map(|u| num(u.ceil()))
        .unwrap_or_default();
    let numbers = &server.numbers;
    vec![
        ids.get(Table::Device, device.id).to_string(),
        ids.get(Table::Rack, server.rack).to_string(),
        num(numbers.cpu),
        num(numbers.mem_gb),
        server
            .parents
            .iter()
            .map(|p| p.id(ids))
            .collect::<Vec<_>>()
            .join(";"),
        numbers.idle_w.map(num).unwrap_or_default(),
        numbers.max_w.map(num).unwrap_or_default(),
        labels.into_iter().collect::<Vec<_>>().join(";"),
        server
            .device_type
            .map(|t| t.model.clone())
            .unwrap_or_default(),
        device.position.map(|p| num(p.floor())).unwrap_or_default(),
        u_height,
        server.status.to_string(),
        device.id.to_string(),
        device.name.clone().unwrap_or_default(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device(fields: serde_json::Value) -> Device {
        let mut data = serde_json::json!({
            "id": 1,
            "device_type": {"id": 1},
            "role": {"id": 1},
            "site": {"id": 1},
        });
        data["custom_fields"] = fields;
        serde_json::from_value(data).unwrap()
    }

    #[test]
    fn a_custom_field_that_is_no_number_says_what_it_holds() {
        let device = device(serde_json::json!({
            "a": -1, "b": " x ", "c": [1], "d": " 2.5 ", "e": "", "f": null,
        }));
        let message = |field| custom_number(&device, field).unwrap_err().to_string();
        assert_eq!(message("a"), "custom field a is -1, expected a number >= 0");
        assert_eq!(
            message("b"),
            "custom field b is \" x \", expected a number >= 0"
        );
        assert_eq!(
            message("c"),
            "custom field c is [1], expected a number >= 0"
        );
        assert_eq!(custom_number(&device, "d"), Ok(Some(2.5)));
        assert_eq!(custom_number(&device, "e"), Ok(None));
        assert_eq!(custom_number(&device, "f"), Ok(None));
        assert_eq!(custom_number(&device, "g"), Ok(None));
    }
}
