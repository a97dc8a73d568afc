//! Where NetBox's list endpoints are read from: a live REST API (every page,
//! following `next`) or a folder of saved response bodies. Both yield the same
//! typed records (records.rs).

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::records::Data;
use crate::inventory::{read_text, InputError, InputErrors, Location};

/// The list endpoints the mapping reads, under `/api/dcim/`.
pub const ENDPOINTS: [&str; 9] = [
    "sites",
    "locations",
    "racks",
    "device-types",
    "devices",
    "power-panels",
    "power-feeds",
    "power-ports",
    "power-outlets",
];

/// Bytes of one saved body or one page: far above any page NetBox serves
/// (1,000 devices are a few MB), low enough to fail fast on a wrong file.
const BODY_BYTES: u64 = 256 << 20;

/// One body of a list endpoint, as NetBox returns it.
#[derive(Deserialize)]
struct Page<T> {
    #[serde(default)]
    count: Option<u64>,
    #[serde(default)]
    next: Option<String>,
    results: Vec<T>,
}

/// Reads every endpoint's records from `get`, which returns the parsed records
/// of one endpoint.
fn read_all(
    mut get: impl FnMut(&'static str) -> Result<Vec<serde_json::Value>, InputErrors>,
    name: impl Fn(&'static str) -> Location,
) -> Result<Data, InputErrors> {
    fn typed<T: DeserializeOwned>(
        values: Vec<serde_json::Value>,
        at: Location,
    ) -> Result<Vec<T>, InputErrors> {
        values
            .into_iter()
            .enumerate()
            .map(|(i, value)| {
                T::deserialize(value).map_err(|e| {
                    InputError::new(
                        at.clone(),
                        format!(
                            "result {}: {e} (expected a NetBox 4.x list response)",
                            i + 1
                        ),
                    )
                    .into()
                })
            })
            .collect()
    }
    Ok(Data {
        sites: typed(get("sites")?, name("sites"))?,
        locations: typed(get("locations")?, name("locations"))?,
        racks: typed(get("racks")?, name("racks"))?,
        device_types: typed(get("device-types")?, name("device-types"))?,
        devices: typed(get("devices")?, name("devices"))?,
        power_panels: typed(get("power-panels")?, name("power-panels"))?,
        power_feeds: typed(get("power-feeds")?, name("power-feeds"))?,
        power_ports: typed(get("power-ports")?, name("power-ports"))?,
        power_outlets: typed(get("power-outlets")?, name("power-outlets"))?,
    })
}

/// Parses one body, locating a syntax error by line and column in `at`.
fn parse_page(at: &Path, text: &str) -> Result<Page<serde_json::Value>, InputError> {
    serde_json::from_str(text).map_err(|e| {
        InputError::new(
            Location::at(at, e.line(), Some(e.column())),
            format!(
                "{e}: expected a NetBox list response {{\"count\", \"next\", \"previous\", \"results\": [...]}}"
            ),
        )
    })
}

/// Reads `<endpoint>.json` for every endpoint from a folder of saved bodies.
pub fn from_dir(dir: &Path) -> Result<Data, InputErrors> {
    if !dir.is_dir() {
        return Err(InputError::new(
            Location::file(dir),
            "--from: not a folder: expected saved NetBox list responses, one <endpoint>.json each",
        )
        .into());
    }
    let path = |endpoint: &str| dir.join(format!("{endpoint}.json"));
    read_all(
        |endpoint| {
            let path = path(endpoint);
            let text = read_text(&path, BODY_BYTES)?;
            let page = parse_page(&path, &text)?;
            if let Some(next) = page.next {
                return Err(InputError::new(
                    Location::file(&path),
                    format!(
                        "holds one page of {} results (\"next\" is {next}): save every result in one body, or import with --url",
                        page.count.map_or("more".to_string(), |c| c.to_string())
                    ),
                )
                .into());
            }
            Ok(page.results)
        },
        |endpoint| Location::file(&path(endpoint)),
    )
}

/// A live NetBox: its base URL (what a browser shows, without `/api`) and an API token.
pub struct Api {
    pub url: String,
    pub token: String,
    /// Results asked for per page (`?limit=`); NetBox caps it at its MAX_PAGE_SIZE.
    pub page_size: u32,
}

/// Pages of one endpoint at most: a `next` loop that never ends (a proxy
/// rewriting URLs) stops here with an error instead of running forever.
const MAX_PAGES: usize = 100_000;

impl Api {
    /// The origin (`scheme://host:port`) and the path prefix of the base URL.
    fn base(&self) -> Result<(String, String), InputErrors> {
        let bad = |why: &str| -> InputErrors {
            InputError::new(
                Location::file(Path::new("--url")),
                format!(
                    "\"{}\" {why}: expected NetBox's address, such as https://netbox.example.com",
                    self.url
                ),
            )
            .into()
        };
        let uri: ureq::http::Uri = self.url.parse().map_err(|_| bad("is not a URL"))?;
        let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) else {
            return Err(bad("has no scheme or host"));
        };
        if scheme != "http" && scheme != "https" {
            return Err(bad("is not an http or https URL"));
        }
        let prefix = uri.path().trim_end_matches('/');
        let prefix = prefix.strip_suffix("/api").unwrap_or(prefix);
        Ok((format!("{scheme}://{authority}"), prefix.to_string()))
    }

    /// Every page of every endpoint.
    pub fn fetch(&self) -> Result<Data, InputErrors> {
        let (origin, prefix) = self.base()?;
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(30)))
            .timeout_global(Some(Duration::from_secs(300)))
            .user_agent(concat!("faultplan/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        let scheme = if self.token.starts_with("nbt_") {
            // NetBox 4.5's v2 tokens.
            "Bearer"
        } else {
            "Token"
        };
        let authorization = format!("{scheme} {}", self.token);
        read_all(
            |endpoint| {
                let mut target = format!("{prefix}/api/dcim/{endpoint}/?limit={}", self.page_size);
                let mut results = Vec::new();
                for _ in 0..MAX_PAGES {
                    let url = format!("{origin}{target}");
                    let body = get(&agent, &url, &authorization)?;
                    let page = parse_page(Path::new(&url), &body)?;
                    results.extend(page.results);
                    let Some(next) = page.next else {
                        return Ok(results);
                    };
                    // NetBox writes `next` with the host and scheme it believes it
                    // has, which behind a TLS proxy is often http://internal-name:
                    // only its path and query are followed, on the --url origin.
                    target = next
                        .parse::<ureq::http::Uri>()
                        .ok()
                        .and_then(|uri| uri.path_and_query().map(|p| p.to_string()))
                        .ok_or_else(|| {
                            InputError::new(
                                Location::file(Path::new(&url)),
                                format!("\"next\" is not a URL: \"{next}\""),
                            )
                        })?;
                }
                Err(InputError::new(
                    Location::file(Path::new(&format!("{origin}{target}"))),
                    format!("more than {MAX_PAGES} pages: is a proxy rewriting \"next\"?"),
                )
                .into())
            },
            |endpoint| {
                Location::file(&PathBuf::from(format!(
                    "{origin}{prefix}/api/dcim/{endpoint}/"
                )))
            },
        )
    }
}

/// One GET; every failure is an input error naming the URL, never the token.
fn get(agent: &ureq::Agent, url: &str, authorization: &str) -> Result<String, InputError> {
    let at = || Location::file(Path::new(url));
    let mut response = agent
        .get(url)
        .header("Authorization", authorization)
        .header("Accept", "application/json")
        .call()
        .map_err(|e| InputError::new(at(), format!("cannot reach NetBox: {e}")))?;
    let status = response.status().as_u16();
    let body = response
        .body_mut()
        .with_config()
        .limit(BODY_BYTES)
        .read_to_string();
    if status == 200 {
        return body.map_err(|e| InputError::new(at(), format!("cannot read the response: {e}")));
    }
    // NetBox explains a refusal in {"detail": "..."}; it never contains the token.
    let detail = body
        .ok()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .and_then(|json| json.get("detail")?.as_str().map(str::to_string))
        .map(|d| format!(": {d}"))
        .unwrap_or_default();
    let hint = match status {
        401 | 403 => {
            " (check the token given with --token or NETBOX_TOKEN, and that it may read dcim)"
        }
        _ => "",
    };
    Err(InputError::new(
        at(),
        format!("NetBox answered HTTP {status}{detail}{hint}"),
    ))
}
