//! The node side of the Kubernetes export: which labels a server's node
//! carries (the failure domains it belongs to), the names Kubernetes accepts,
//! and the failure domains a service's survive words name.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::Node;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::sources::Sources;
use crate::inventory::{InputError, Inventory, PowerId, ServerId, Service, SurviveWord};

/// The well-known zone label: a datacenter.
pub const ZONE_LABEL: &str = "topology.kubernetes.io/zone";
pub const RACK_LABEL: &str = "faultplan.dev/rack";
pub const ROOM_LABEL: &str = "faultplan.dev/room";
/// The room as faultplan's `room` scenarios know it: `<datacenter>.<room>`,
/// or `<datacenter>` for the racks with no room (together one room). The
/// plain room label cannot be a spread key: two datacenters both have a
/// `room1`, and a node without the key is one the spread refuses.
pub const DC_ROOM_LABEL: &str = "faultplan.dev/dc-room";
/// The root power sources a node draws from with nothing failed, `_`-joined.
pub const POWER_SIDE_LABEL: &str = "faultplan.dev/power-side";
/// The server a node is, so that a node named otherwise (an FQDN) still maps
/// back to it when `import kubernetes` reads what runs.
pub const SERVER_LABEL: &str = "faultplan.dev/server";
/// The label by which a service's pods are found (the recommended app label).
pub const SERVICE_LABEL: &str = "app.kubernetes.io/name";
/// The node's own name, set by the kubelet: the "server" failure domain.
pub const HOSTNAME_LABEL: &str = "kubernetes.io/hostname";

/// A failure domain a spread constraint can name, in the order the
/// constraints are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Domain {
    Rack,
    Room,
    Datacenter,
    PowerSide,
    Node,
}

impl Domain {
    /// The node label whose values are this domain's members.
    pub fn key(self) -> &'static str {
        match self {
            Domain::Rack => RACK_LABEL,
            Domain::Room => DC_ROOM_LABEL,
            Domain::Datacenter => ZONE_LABEL,
            Domain::PowerSide => POWER_SIDE_LABEL,
            Domain::Node => HOSTNAME_LABEL,
        }
    }

    /// The failure domains `service` must survive that a node label can say,
    /// and always the node itself (spread over nodes with the plan's own skew
    /// is what pins the plan's count on each node, docs/usage.md) and the
    /// rack (the one spread every patch had before the others were added).
    /// `custom:` scenarios are arbitrary sets of components, which no one
    /// label holds; only the plan itself (and `check`) keeps them.
    pub fn named_by(service: &Service) -> BTreeSet<Domain> {
        let mut domains = BTreeSet::from([Domain::Rack, Domain::Node]);
        for word in &service.survive {
            domains.extend(match word {
                SurviveWord::Server => Some(Domain::Node),
                SurviveWord::Rack => Some(Domain::Rack),
                SurviveWord::Room => Some(Domain::Room),
                SurviveWord::Datacenter => Some(Domain::Datacenter),
                SurviveWord::PowerKind(_) | SurviveWord::PowerPercent { .. } => {
                    Some(Domain::PowerSide)
                }
                SurviveWord::Custom(_) => None,
            });
        }
        domains
    }

    /// Whether the spread is a hard constraint (`DoNotSchedule`) rather than
    /// a preference (`ScheduleAnyway`). The scheduler checks a spread pod by
    /// pod, against the pods already placed: the node spread alone, or with
    /// one partition of the nodes into racks, always admits a pod while the
    /// plan is even per node (one of the nodes with the fewest pods always
    /// qualifies, docs/usage.md), but two hard partitions can block each
    /// other. In two-sites, `api` (8 pods on 3 racks of ams1, 8 on 4 racks
    /// of fra1) could never be scheduled: the racks fill level by level and
    /// the zones would part by 6 to 8 before ams1's racks may take a third.
    /// So room, zone and power side only steer the scheduler; for an even
    /// plan the node spread pins the plan, which keeps them all.
    pub fn hard(self) -> bool {
        matches!(self, Domain::Rack | Domain::Node)
    }

    /// The member of this domain that `node` (with its exported `labels`) is in.
    pub fn of<'a>(self, node: &'a str, labels: &'a BTreeMap<String, String>) -> &'a str {
        match self {
            Domain::Node => node,
            _ => labels.get(self.key()).map_or("", String::as_str),
        }
    }
}

/// A DNS-1123 subdomain: what node and Deployment names must be.
pub(super) fn valid_name(name: &str) -> bool {
    name.len() <= 253
        && name.split('.').all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !part.starts_with('-')
                && !part.ends_with('-')
        })
}

/// A label value: at most 63 characters, alphanumeric at both ends, `-_.` inside.
pub(super) fn valid_label_value(value: &str) -> bool {
    value.len() <= 63
        && (value.is_empty()
            || (value.starts_with(|c: char| c.is_ascii_alphanumeric())
                && value.ends_with(|c: char| c.is_ascii_alphanumeric())
                && value
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))))
}

/// The root sources a server's power comes from with nothing failed: each PSU's
/// component followed up its first parent (its normal-operation feed).
fn power_side(inventory: &Inventory, server: ServerId) -> String {
    let mut roots: Vec<&str> = inventory
        .server(server)
        .psu
        .iter()
        .map(|&p| {
            let mut at: PowerId = p;
            while let Some(&parent) = inventory.power(at).feeds_from.first() {
                at = parent;
            }
            inventory.power(at).id.as_str()
        })
        .collect();
    roots.sort_unstable();
    roots.dedup();
    roots.join("_")
}

/// A node's labels: the server it is, its zone, rack, room and power side; a
/// name or label value Kubernetes would refuse is an error.
pub(super) fn node_labels(
    sources: &Sources,
    name: &str,
    id: ServerId,
    errors: &mut Vec<InputError>,
) -> BTreeMap<String, String> {
    let inventory = sources.inventory;
    if !valid_name(name) {
        errors.push(InputError::new(
            sources.id(name),
            format!("server \"{name}\" is not a valid Kubernetes node name (lowercase letters, digits, - and ., at most 253 characters)"),
        ));
    }
    let rack = inventory.rack(inventory.server(id).rack);
    let room = &inventory.room(rack.room).name;
    let mut labels = BTreeMap::new();
    let mut label = |key: &str, value: String, location| {
        if valid_label_value(&value) {
            labels.insert(key.to_string(), value);
        } else {
            errors.push(InputError::new(
                location,
                format!("\"{value}\" cannot be the value of the Kubernetes label {key} (at most 63 letters, digits, -, _ and ., alphanumeric at both ends)"),
            ));
        }
    };
    let dc = &inventory.dc(rack.datacenter).id;
    label(ZONE_LABEL, dc.clone(), sources.id(dc));
    label(RACK_LABEL, rack.id.clone(), sources.id(&rack.id));
    if !room.is_empty() {
        label(ROOM_LABEL, room.clone(), sources.id(&rack.id));
    }
    let dc_room = if room.is_empty() {
        dc.clone()
    } else {
        format!("{dc}.{room}")
    };
    label(DC_ROOM_LABEL, dc_room, sources.id(&rack.id));
    label(
        POWER_SIDE_LABEL,
        power_side(inventory, id),
        sources.id(name),
    );
    // An invalid node name is said above; once is enough.
    if valid_name(name) {
        label(SERVER_LABEL, name.to_string(), sources.id(name));
    }
    labels
}

/// A node's label patch.
pub(super) fn node_patch(name: &str, labels: &BTreeMap<String, String>) -> Node {
    Node {
        metadata: ObjectMeta {
            name: Some(name.to_string()),
            labels: Some(labels.clone()),
            ..ObjectMeta::default()
        },
        ..Node::default()
    }
}
