//! What `check` reports: findings with the numbers that explain them, their
//! severity and message, and how each service fares over its scenarios.

use serde::Serialize;

use crate::inventory::Location;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// What a finding is about, with the numbers that explain it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "code", rename_all = "kebab-case")]
pub enum FindingKind {
    /// Fewer than min_replicas stay up in a scenario the service must survive.
    ReplicasLost {
        service: String,
        scenario: String,
        words: Vec<String>,
        needed: u32,
        up: u32,
        lost: Vec<String>,
    },
    /// Fewer than min_replicas up with nothing failed.
    TooFewReplicas {
        service: String,
        needed: u32,
        up: u32,
        placed: u32,
    },
    CpuOverCapacity {
        server: String,
        used: f64,
        capacity: f64,
    },
    MemOverCapacity {
        server: String,
        used_gb: f64,
        capacity_gb: f64,
    },
    MaxPerServer {
        service: String,
        server: String,
        count: u32,
        max: u32,
    },
    /// A replica on a server without a label its service requires (it counts as down).
    MissingLabel {
        service: String,
        server: String,
        missing: Vec<String>,
    },
    MaxReplicas {
        service: String,
        count: u32,
        max: u32,
    },
    /// A power component above capacity_w × max_utilization; `scenario` is None in
    /// normal operation.
    PowerOverload {
        component: String,
        kind: String,
        scenario: Option<String>,
        words: Vec<String>,
        load_w: f64,
        limit_w: f64,
        capacity_w: f64,
    },
    /// A `power:P%` family too large to list whose exact search hit a limit
    /// (`reason` says which) while the most load that could reach this
    /// component exceeds its limit: faultplan cannot prove it safe.
    PowerUnproven {
        component: String,
        kind: String,
        word: String,
        datacenter: String,
        bound_w: f64,
        limit_w: f64,
        reason: String,
    },
    /// Replicas on a maintenance or offline server count as down.
    InactiveServer {
        service: String,
        server: String,
        status: String,
        replicas: u32,
    },
    /// No set within P% exists in this datacenter: one component carries more.
    SinglePointOfFailure {
        datacenter: String,
        word: String,
        smallest_share_percent: f64,
    },
    /// `check --current`: replicas running on a server where the plan has a
    /// different number of them (more running: not planned; fewer: not running).
    Drift {
        service: String,
        server: String,
        running: u32,
        planned: u32,
    },
    /// The worst scenario leaves exactly min_replicas up: one more failure breaches.
    ZeroMargin {
        service: String,
        needed: u32,
        worst_up: u32,
        scenario: Option<String>,
    },
}

impl FindingKind {
    pub fn code(&self) -> &'static str {
        match self {
            FindingKind::ReplicasLost { .. } => "replicas-lost",
            FindingKind::TooFewReplicas { .. } => "too-few-replicas",
            FindingKind::CpuOverCapacity { .. } => "cpu-over-capacity",
            FindingKind::MemOverCapacity { .. } => "mem-over-capacity",
            FindingKind::MaxPerServer { .. } => "max-per-server",
            FindingKind::MissingLabel { .. } => "missing-label",
            FindingKind::MaxReplicas { .. } => "max-replicas",
            FindingKind::PowerOverload { .. } => "power-overload",
            FindingKind::PowerUnproven { .. } => "power-unproven",
            FindingKind::InactiveServer { .. } => "inactive-server",
            FindingKind::SinglePointOfFailure { .. } => "single-point-of-failure",
            FindingKind::ZeroMargin { .. } => "zero-margin",
            FindingKind::Drift { .. } => "drift",
        }
    }

    pub fn severity(&self) -> Severity {
        match self {
            FindingKind::InactiveServer { .. }
            | FindingKind::SinglePointOfFailure { .. }
            | FindingKind::ZeroMargin { .. } => Severity::Warning,
            _ => Severity::Error,
        }
    }

    /// The service this finding is about, if any.
    pub fn service(&self) -> Option<&str> {
        match self {
            FindingKind::ReplicasLost { service, .. }
            | FindingKind::TooFewReplicas { service, .. }
            | FindingKind::MaxPerServer { service, .. }
            | FindingKind::MissingLabel { service, .. }
            | FindingKind::MaxReplicas { service, .. }
            | FindingKind::InactiveServer { service, .. }
            | FindingKind::Drift { service, .. }
            | FindingKind::ZeroMargin { service, .. } => Some(service),
            _ => None,
        }
    }

    /// One sentence a person can act on.
    pub fn message(&self) -> String {
        match self {
            FindingKind::ReplicasLost { service, scenario, needed, up, lost, .. } => format!(
                "{service}: only {up} of {needed} required replicas stay up when {scenario} fails (lost on {})",
                lost.join(", ")
            ),
            FindingKind::TooFewReplicas { service, needed, up, placed } => format!(
                "{service}: {up} of {needed} required replicas up with nothing failed ({placed} placed)"
            ),
            FindingKind::CpuOverCapacity { server, used, capacity } => {
                format!("{server}: replicas reserve {used} cores, the server has {capacity}")
            }
            FindingKind::MemOverCapacity { server, used_gb, capacity_gb } => {
                format!("{server}: replicas reserve {used_gb} GB of memory, the server has {capacity_gb} GB")
            }
            FindingKind::MaxPerServer { service, server, count, max } => {
                format!("{service}: {count} replicas on {server}, at most {max} allowed per server")
            }
            FindingKind::MissingLabel { service, server, missing } => format!(
                "{service}: replica on {server}, which lacks required label{} {} (counted as down)",
                if missing.len() > 1 { "s" } else { "" },
                missing.join(", ")
            ),
            FindingKind::MaxReplicas { service, count, max } => {
                format!("{service}: {count} replicas placed, max_replicas is {max}")
            }
            FindingKind::PowerOverload { component, scenario, load_w, limit_w, capacity_w, .. } => {
                let when = match scenario {
                    Some(s) => format!("when {s} fails"),
                    None => "with nothing failed".to_string(),
                };
                format!(
                    "{component}: carries {} W {when}, above its limit of {} W ({} W rated)",
                    round(*load_w),
                    round(*limit_w),
                    round(*capacity_w)
                )
            }
            FindingKind::PowerUnproven { component, word, datacenter, bound_w, limit_w, reason, .. } => format!(
                "{component}: {word} in {datacenter} could not be searched exactly ({reason}), and up to {} W could reach it, above its limit of {} W; cannot prove it safe",
                round(*bound_w),
                round(*limit_w)
            ),
            FindingKind::InactiveServer { service, server, status, replicas } => format!(
                "{service}: {replicas} replica{} on {status} server {server}, counted as down",
                if *replicas > 1 { "s" } else { "" }
            ),
            FindingKind::SinglePointOfFailure { datacenter, word, smallest_share_percent } => format!(
                "{datacenter}: {word} cannot fail anything there: its smallest power source is {}% of its capacity, a single point of failure",
                round(*smallest_share_percent)
            ),
            FindingKind::Drift { service, server, running, planned } => format!(
                "{service}: {running} replica{} running on {server}, the plan has {planned}",
                if *running == 1 { "" } else { "s" }
            ),
            FindingKind::ZeroMargin { service, needed, scenario, .. } => match scenario {
                Some(s) => format!("{service}: exactly {needed} replicas stay up when {s} fails; one more failure breaches"),
                None => format!("{service}: exactly the {needed} required replicas are up; one more failure breaches"),
            },
        }
    }
}

/// Rounds watts and percentages for messages (two decimals at most).
pub fn round(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub severity: Severity,
    #[serde(flatten)]
    pub kind: FindingKind,
    pub message: String,
    /// The user's file and line this finding points at.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
}

impl Finding {
    pub(super) fn new(kind: FindingKind, location: Option<Location>) -> Self {
        Finding {
            severity: kind.severity(),
            message: kind.message(),
            file: location.as_ref().map(|l| l.file.display().to_string()),
            line: location.and_then(|l| l.line),
            kind,
        }
    }
}

/// The fewest replicas up over some scenarios, and the first scenario that
/// leaves that few (None: none takes a replica down).
pub type Worst = (u32, Option<String>);

/// How one service fares over all its scenarios.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServiceStatus {
    pub service: String,
    pub survive: Vec<String>,
    pub needed: u32,
    pub placed: u32,
    /// Replicas up with nothing failed.
    pub up: u32,
    /// The fewest replicas up over every scenario it must survive.
    pub worst_up: u32,
    pub worst_scenario: Option<String>,
    pub ok: bool,
    /// Per word of [`Report::words`]: the fewest replicas up over that word's
    /// scenarios and the scenario, or None when the service need not survive
    /// it. Not in the JSON schema: `report` draws it as a heatmap.
    #[serde(skip)]
    pub worst_by_word: Vec<Option<Worst>>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub services: Vec<ServiceStatus>,
    pub findings: Vec<Finding>,
    /// Concrete scenarios evaluated (listed sets; searched families count once).
    pub scenarios: usize,
    /// Every survive word checked, in first-use order.
    pub words: Vec<String>,
}

impl Report {
    pub fn errors(&self) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .count()
    }
    pub fn warnings(&self) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::Warning)
            .count()
    }
    pub fn passed(&self) -> bool {
        self.errors() == 0
    }
}
