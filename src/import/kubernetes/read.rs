//! Reading what `kubectl get nodes -o json` and `kubectl get pods -A -o json`
//! saved: a `List` whose items are typed with k8s-openapi, or a clear error
//! at the line and column where the file stops being one.

use std::path::Path;

use k8s_openapi::api::core::v1::{Node, Pod};
use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::inventory::{read_text, InputError, InputErrors, Location};

/// Bytes of one saved list: a cluster of 10,000 pods is some 100 MB of JSON;
/// low enough to fail fast on a wrong file.
const LIST_BYTES: u64 = 512 << 20;

/// A saved list: `kubectl get -o json` writes `"kind": "List"`, the API
/// itself `NodeList` or `PodList`; each item is checked against its own
/// `kind` by k8s-openapi's types.
#[derive(Deserialize)]
struct Saved<T> {
    #[serde(default)]
    kind: Option<String>,
    items: Vec<T>,
}

/// The nodes of a saved `kubectl get nodes -o json`.
pub fn read_nodes(path: &Path) -> Result<Vec<Node>, InputErrors> {
    read_list(path, "Node", "kubectl get nodes -o json")
}

/// The pods of a saved `kubectl get pods -A -o json`.
pub fn read_pods(path: &Path) -> Result<Vec<Pod>, InputErrors> {
    read_list(path, "Pod", "kubectl get pods -A -o json")
}

fn read_list<T: DeserializeOwned>(
    path: &Path,
    kind: &str,
    command: &str,
) -> Result<Vec<T>, InputErrors> {
    let text = read_text(path, LIST_BYTES)?;
    let expected = format!("expected the output of `{command}` (a List of {kind})");
    let saved: Saved<T> = serde_json::from_str(&text).map_err(|e| {
        // serde_json ends its message with the position, which the location says.
        let message = e.to_string();
        let message = message
            .rsplit_once(" at line ")
            .map_or(message.as_str(), |(m, _)| m);
        let at = if e.line() == 0 {
            Location::file(path)
        } else {
            Location::at(path, e.line(), Some(e.column()))
        };
        InputError::new(at, format!("{message}: {expected}"))
    })?;
    match saved.kind.as_deref() {
        None | Some("List") => {}
        Some(k) if k == format!("{kind}List") => {}
        Some(other) => {
            return Err(InputError::new(
                Location::file(path),
                format!("\"kind\" is \"{other}\": {expected}"),
            )
            .into())
        }
    }
    Ok(saved.items)
}
