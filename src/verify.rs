//! The independent judge of a placement: evaluates every scenario and returns
//! typed findings with the numbers that explain them. It never imports `plan`:
//! every plan is checked by this code, and CI runs it as the lint.

use serde::Serialize;

use crate::inventory::{
    Component, Inventory, Location, Placement, PowerId, ServerId, ServiceId, Services, Status,
};
use crate::scenarios::{LoadSearch, ScenarioSet, WorstLoad, DEFAULT_ENUMERATION_LIMIT};
use crate::topology::{Impact, LoadModel, Topology};

/// Loads within this many watts of a limit count as within it (float noise).
const LOAD_TOLERANCE_W: f64 = 1e-6;
/// Cores or memory within this much of a server's capacity count as within
/// it (float noise).
const CAPACITY_TOLERANCE: f64 = 1e-9;

mod ledger;
pub use ledger::Ledger;

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
    fn new(kind: FindingKind, location: Option<Location>) -> Self {
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

/// Options that tune how, never what, is checked.
#[derive(Debug, Clone, Copy)]
pub struct CheckOptions {
    /// See [`DEFAULT_ENUMERATION_LIMIT`].
    pub enumeration_limit: usize,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            enumeration_limit: DEFAULT_ENUMERATION_LIMIT,
        }
    }
}

/// A placement indexed for scenario evaluation.
pub struct PlacementIndex {
    /// Per server: (service, replicas that count as up with nothing failed).
    pub up_on_server: Vec<Vec<(ServiceId, u32)>>,
    /// Per service: replicas up with nothing failed.
    pub up: Vec<u32>,
    pub placed: Vec<u32>,
    pub cpu_used: Vec<f64>,
    pub mem_used: Vec<f64>,
    /// Per server, watts drawn with this placement.
    pub draw_w: Vec<f64>,
}

impl PlacementIndex {
    pub fn new(inventory: &Inventory, services: &Services, placement: &Placement) -> Self {
        let mut up_on_server: Vec<Vec<(ServiceId, u32)>> =
            vec![Vec::new(); inventory.servers.len()];
        let mut up = vec![0; services.services.len()];
        let mut placed = vec![0; services.services.len()];
        let mut cpu_used = vec![0.0; inventory.servers.len()];
        let mut mem_used = vec![0.0; inventory.servers.len()];
        for replica in &placement.replicas {
            let service = services.service(replica.service);
            let server = inventory.server(replica.server);
            placed[replica.service.index()] += 1;
            cpu_used[replica.server.index()] += service.cpu;
            mem_used[replica.server.index()] += service.mem_gb;
            if server.status == Status::Active && server.has_labels(&service.requires) {
                up[replica.service.index()] += 1;
                let slot = &mut up_on_server[replica.server.index()];
                match slot.iter_mut().find(|(s, _)| *s == replica.service) {
                    Some((_, n)) => *n += 1,
                    None => slot.push((replica.service, 1)),
                }
            }
        }
        let draw_w = inventory
            .server_ids()
            .map(|s| inventory.server(s).draw_w(cpu_used[s.index()]))
            .collect();
        PlacementIndex {
            up_on_server,
            up,
            placed,
            cpu_used,
            mem_used,
            draw_w,
        }
    }

    /// Replicas of each service lost when `down` servers are down, as
    /// (service, replicas lost) sorted by service.
    pub fn lost(&self, down: &[ServerId]) -> Vec<(ServiceId, u32)> {
        let mut lost: Vec<(ServiceId, u32)> = down
            .iter()
            .flat_map(|s| self.up_on_server[s.index()].iter().copied())
            .collect();
        lost.sort_unstable();
        lost.dedup_by(|b, a| {
            let same = a.0 == b.0;
            if same {
                a.1 += b.1;
            }
            same
        });
        lost
    }
}

/// Checks every guarantee of FORMATS.md for `placement`.
pub fn check(
    inventory: &Inventory,
    services: &Services,
    placement: &Placement,
    options: CheckOptions,
) -> Report {
    check_during(inventory, services, placement, options, &[])
}

/// [`check`] while `window` is down for maintenance: with nothing else
/// failed, and with every scenario of every survive word failing on top of
/// it (the rule of `faultplan maintenance`).
pub fn check_during(
    inventory: &Inventory,
    services: &Services,
    placement: &Placement,
    options: CheckOptions,
    window: &[Component],
) -> Report {
    let topology = Topology::during(inventory, window);
    let mut index = PlacementIndex::new(inventory, services, placement);
    // Replicas on servers the window takes down are down with nothing else
    // failed: taken out of the index, they count as lost in no scenario.
    let base = topology.impact(&[]);
    for s in &base.down {
        for (service, n) in std::mem::take(&mut index.up_on_server[s.index()]) {
            index.up[service.index()] -= n;
        }
    }
    let mut findings = Vec::new();
    let placement_at = |line: usize| {
        placement
            .file
            .as_ref()
            .filter(|_| line > 0)
            .map(|f| Location::at(f, line, None))
    };
    let service_at = |id: ServiceId| {
        Some(Location::at(
            &services.file,
            services.service(id).line,
            None,
        ))
    };
    let server_at = |id: ServerId| {
        Some(Location::at(
            &inventory.dir.join("servers.csv"),
            inventory.server(id).line,
            None,
        ))
    };
    let power_at = |id: PowerId| {
        Some(Location::at(
            &inventory.dir.join("power.csv"),
            inventory.power(id).line,
            None,
        ))
    };

    normal_operation(
        inventory,
        services,
        placement,
        &index,
        &mut findings,
        placement_at,
        service_at,
        server_at,
    );

    let words = services.all_words();
    let set = ScenarioSet::expand(inventory, &words, options.enumeration_limit);
    let word_names: Vec<String> = words.iter().map(ToString::to_string).collect();
    // service_words[service][word]: whether the service must survive that word.
    let service_words: Vec<Vec<bool>> = services.services.iter().map(|s| set.survives(s)).collect();
    let mut worst: Vec<(u32, Option<String>)> = index.up.iter().map(|&up| (up, None)).collect();
    let mut worst_by_word: Vec<Vec<Option<Worst>>> = services
        .ids()
        .map(|s| {
            service_words[s.index()]
                .iter()
                .map(|&survives| survives.then_some((index.up[s.index()], None)))
                .collect()
        })
        .collect();
    let load_model = LoadModel::new(&topology, &index.draw_w);
    let normal_load = load_model.loads(&base);
    // An overload already present with nothing failed is reported once, not
    // again for every scenario in which it merely persists.
    let overload =
        |load: &[f64], scenario: Option<(&str, Vec<String>)>, findings: &mut Vec<Finding>| {
            for p in inventory.power_ids() {
                let component = inventory.power(p);
                let over = |w: f64| w > component.limit_w() + LOAD_TOLERANCE_W;
                if !over(load[p.index()]) {
                    continue;
                }
                if scenario.is_some()
                    && over(normal_load[p.index()])
                    && load[p.index()] <= normal_load[p.index()] + LOAD_TOLERANCE_W
                {
                    continue;
                }
                let (scenario, words) = match &scenario {
                    Some((name, words)) => (Some(name.to_string()), words.clone()),
                    None => (None, Vec::new()),
                };
                findings.push(Finding::new(
                    FindingKind::PowerOverload {
                        component: component.id.clone(),
                        kind: component.kind.clone(),
                        scenario,
                        words,
                        load_w: load[p.index()],
                        limit_w: component.limit_w(),
                        capacity_w: component.capacity_w,
                    },
                    power_at(p),
                ));
            }
        };
    overload(&normal_load, None, &mut findings);

    for scenario in &set.scenarios {
        let impact = topology.impact(&scenario.failed);
        for (service, lost) in index.lost(&impact.down) {
            if !scenario.binds(&service_words[service.index()]) {
                continue;
            }
            let up = index.up[service.index()] - lost;
            record_worst(&mut worst[service.index()], up, &scenario.name);
            for m in scenario.words.iter().filter(|m| !m.dominated) {
                if let Some(slot) = &mut worst_by_word[service.index()][m.word] {
                    record_worst(slot, up, &scenario.name);
                }
            }
            let needed = services.service(service).min_replicas;
            if up < needed {
                let lost_on = lost_servers(inventory, &index, &impact.down, service);
                let first_line = first_replica_line(placement, service, &impact.down);
                findings.push(Finding::new(
                    FindingKind::ReplicasLost {
                        service: services.service(service).name.clone(),
                        scenario: scenario.name.clone(),
                        words: scenario
                            .words
                            .iter()
                            .filter(|m| service_words[service.index()][m.word])
                            .map(|m| word_names[m.word].clone())
                            .collect(),
                        needed,
                        up,
                        lost: lost_on,
                    },
                    placement_at(first_line).or_else(|| service_at(service)),
                ));
            }
        }
        // With no power component off, every server draws what it drew or nothing
        // along unchanged routes: no load can exceed normal operation's.
        if !impact.unpowered.is_empty() {
            let load = load_model.loads(&impact);
            let words = scenario
                .words
                .iter()
                .map(|m| word_names[m.word].clone())
                .collect();
            overload(&load, Some((&scenario.name, words)), &mut findings);
        }
    }

    let mut reachable_bound: Option<Vec<f64>> = None;
    for family in &set.families {
        let dc = inventory.dc(family.datacenter);
        let search = family.search(&topology);
        for service in services
            .ids()
            .filter(|s| service_words[s.index()][family.word])
        {
            let (lost, failed) = search.worst_loss(|s| {
                index.up_on_server[s.index()]
                    .iter()
                    .find(|(x, _)| *x == service)
                    .map_or(0, |(_, n)| u64::from(*n))
            });
            if lost == 0 {
                continue;
            }
            let names: Vec<&str> = failed
                .iter()
                .map(|p| inventory.power(*p).id.as_str())
                .collect();
            let name = format!("{} {}", word_names[family.word], names.join("+"));
            let up = index.up[service.index()] - lost as u32;
            record_worst(&mut worst[service.index()], up, &name);
            if let Some(slot) = &mut worst_by_word[service.index()][family.word] {
                record_worst(slot, up, &name);
            }
            let needed = services.service(service).min_replicas;
            if up < needed {
                let failed: Vec<Component> = failed.iter().map(|p| Component::Power(*p)).collect();
                let down = topology.impact(&failed).down;
                findings.push(Finding::new(
                    FindingKind::ReplicasLost {
                        service: services.service(service).name.clone(),
                        scenario: name,
                        words: vec![word_names[family.word].clone()],
                        needed,
                        up,
                        lost: lost_servers(inventory, &index, &down, service),
                    },
                    placement_at(first_replica_line(placement, service, &down))
                        .or_else(|| service_at(service)),
                ));
            }
        }
        let unproven = |p: PowerId, bound_w: f64, reason: String| {
            let component = inventory.power(p);
            Finding::new(
                FindingKind::PowerUnproven {
                    component: component.id.clone(),
                    kind: component.kind.clone(),
                    word: word_names[family.word].clone(),
                    datacenter: dc.id.clone(),
                    bound_w,
                    limit_w: component.limit_w(),
                    reason,
                },
                power_at(p),
            )
        };
        if let Some(limit) = search.limit() {
            // A family's failures can move load anywhere the power graph
            // reaches, across datacenters too: every component must be proven.
            let bound = reachable_bound
                .get_or_insert_with(|| reachable_load_bound(&topology, &index.draw_w));
            for p in inventory.power_ids() {
                if bound[p.index()] > inventory.power(p).limit_w() + LOAD_TOLERANCE_W {
                    findings.push(unproven(p, bound[p.index()], limit.to_string()));
                }
            }
            continue;
        }
        let loads = LoadSearch::new(&search, &load_model);
        // Only components whose load some set can raise; as for listed
        // scenarios, an overload already there with nothing failed counts only
        // when a set makes it worse.
        for p in loads.targets() {
            let component = inventory.power(p);
            let normal = normal_load[p.index()];
            let limit = component.limit_w() + LOAD_TOLERANCE_W;
            let above_w = if normal > limit {
                normal + LOAD_TOLERANCE_W
            } else {
                limit
            };
            match loads.worst_load(p, above_w) {
                WorstLoad::AtMost => {}
                WorstLoad::Found { load_w, set, .. } => {
                    let names: Vec<&str> = set
                        .iter()
                        .map(|p| inventory.power(*p).id.as_str())
                        .collect();
                    findings.push(Finding::new(
                        FindingKind::PowerOverload {
                            component: component.id.clone(),
                            kind: component.kind.clone(),
                            scenario: Some(format!(
                                "{} {}",
                                word_names[family.word],
                                names.join("+")
                            )),
                            words: vec![word_names[family.word].clone()],
                            load_w,
                            limit_w: component.limit_w(),
                            capacity_w: component.capacity_w,
                        },
                        power_at(p),
                    ));
                }
                WorstLoad::Unproven { bound_w, limit } => {
                    findings.push(unproven(p, bound_w, limit.to_string()));
                }
            }
        }
    }

    for vacuous in &set.vacuous {
        findings.push(Finding::new(
            FindingKind::SinglePointOfFailure {
                datacenter: inventory.dc(vacuous.datacenter).id.clone(),
                word: word_names[vacuous.word].clone(),
                smallest_share_percent: vacuous.smallest_share,
            },
            Some(Location::at(
                &inventory.dir.join("datacenters.csv"),
                inventory.dc(vacuous.datacenter).line,
                None,
            )),
        ));
    }

    let mut statuses = Vec::new();
    for id in services.ids() {
        let service = services.service(id);
        let (worst_up, worst_scenario) = worst[id.index()].clone();
        let ok = !findings
            .iter()
            .any(|f| f.severity == Severity::Error && f.kind.service() == Some(&service.name));
        if ok
            && service.min_replicas > 0
            && worst_up == service.min_replicas
            && !service.survive.is_empty()
        {
            findings.push(Finding::new(
                FindingKind::ZeroMargin {
                    service: service.name.clone(),
                    needed: service.min_replicas,
                    worst_up,
                    scenario: worst_scenario.clone(),
                },
                service_at(id),
            ));
        }
        statuses.push(ServiceStatus {
            service: service.name.clone(),
            survive: service.survive.iter().map(ToString::to_string).collect(),
            needed: service.min_replicas,
            placed: index.placed[id.index()],
            up: index.up[id.index()],
            worst_up,
            worst_scenario,
            ok,
            worst_by_word: std::mem::take(&mut worst_by_word[id.index()]),
        });
    }
    Report {
        services: statuses,
        findings,
        scenarios: set.scenarios.len() + set.families.len(),
        words: word_names,
    }
}

fn record_worst(worst: &mut (u32, Option<String>), up: u32, scenario: &str) {
    if up < worst.0 || (up == worst.0 && worst.1.is_none()) {
        *worst = (up, Some(scenario.to_string()));
    }
}

fn lost_servers(
    inventory: &Inventory,
    index: &PlacementIndex,
    down: &[ServerId],
    service: ServiceId,
) -> Vec<String> {
    down.iter()
        .filter(|s| {
            index.up_on_server[s.index()]
                .iter()
                .any(|(x, _)| *x == service)
        })
        .map(|s| inventory.server(*s).id.clone())
        .collect()
}

fn first_replica_line(placement: &Placement, service: ServiceId, down: &[ServerId]) -> usize {
    placement
        .replicas
        .iter()
        .filter(|r| r.service == service && down.binary_search(&r.server).is_ok())
        .map(|r| r.line)
        .min()
        .unwrap_or(0)
}

/// For each power component, the most load that could ever reach it: every
/// server with a path to it drawing its whole draw through it.
fn reachable_load_bound(topology: &Topology, draw_w: &[f64]) -> Vec<f64> {
    let inventory = topology.inventory;
    let mut bound = vec![0.0; inventory.power.len()];
    // Servers reaching a component = those on it or on any descendant, each
    // counted once: children first, passing the set up to every parent.
    let mut reaches: Vec<std::collections::BTreeSet<ServerId>> =
        vec![Default::default(); inventory.power.len()];
    for &p in inventory.power_order.iter().rev() {
        let mut here = std::mem::take(&mut reaches[p.index()]);
        here.extend(topology.servers_on(p).iter().copied());
        for parent in &inventory.power(p).feeds_from {
            reaches[parent.index()].extend(here.iter().copied());
        }
        bound[p.index()] = here.iter().map(|s| draw_w[s.index()]).sum();
    }
    bound
}

#[allow(clippy::too_many_arguments)]
fn normal_operation(
    inventory: &Inventory,
    services: &Services,
    placement: &Placement,
    index: &PlacementIndex,
    findings: &mut Vec<Finding>,
    placement_at: impl Fn(usize) -> Option<Location>,
    service_at: impl Fn(ServiceId) -> Option<Location>,
    server_at: impl Fn(ServerId) -> Option<Location>,
) {
    let mut per_server: std::collections::BTreeMap<(ServiceId, ServerId), (u32, usize)> =
        Default::default();
    for replica in &placement.replicas {
        let entry = per_server
            .entry((replica.service, replica.server))
            .or_insert((0, replica.line));
        entry.0 += 1;
        entry.1 = entry.1.min(replica.line);
    }
    for (&(service_id, server_id), &(count, line)) in &per_server {
        let service = services.service(service_id);
        let server = inventory.server(server_id);
        if count > service.max_per_server {
            findings.push(Finding::new(
                FindingKind::MaxPerServer {
                    service: service.name.clone(),
                    server: server.id.clone(),
                    count,
                    max: service.max_per_server,
                },
                placement_at(line),
            ));
        }
        let missing: Vec<String> = service
            .requires
            .iter()
            .filter(|l| !server.labels.contains(*l))
            .cloned()
            .collect();
        if !missing.is_empty() {
            findings.push(Finding::new(
                FindingKind::MissingLabel {
                    service: service.name.clone(),
                    server: server.id.clone(),
                    missing,
                },
                placement_at(line),
            ));
        }
        if server.status != Status::Active {
            findings.push(Finding::new(
                FindingKind::InactiveServer {
                    service: service.name.clone(),
                    server: server.id.clone(),
                    status: server.status.as_str().to_string(),
                    replicas: count,
                },
                placement_at(line),
            ));
        }
    }
    for id in services.ids() {
        let service = services.service(id);
        let (up, placed) = (index.up[id.index()], index.placed[id.index()]);
        if up < service.min_replicas {
            findings.push(Finding::new(
                FindingKind::TooFewReplicas {
                    service: service.name.clone(),
                    needed: service.min_replicas,
                    up,
                    placed,
                },
                service_at(id),
            ));
        }
        if let Some(max) = service.max_replicas.filter(|max| placed > *max) {
            findings.push(Finding::new(
                FindingKind::MaxReplicas {
                    service: service.name.clone(),
                    count: placed,
                    max,
                },
                service_at(id),
            ));
        }
    }
    for s in inventory.server_ids() {
        let server = inventory.server(s);
        if index.cpu_used[s.index()] > server.cpu + CAPACITY_TOLERANCE {
            findings.push(Finding::new(
                FindingKind::CpuOverCapacity {
                    server: server.id.clone(),
                    used: index.cpu_used[s.index()],
                    capacity: server.cpu,
                },
                server_at(s),
            ));
        }
        if index.mem_used[s.index()] > server.mem_gb + CAPACITY_TOLERANCE {
            findings.push(Finding::new(
                FindingKind::MemOverCapacity {
                    server: server.id.clone(),
                    used_gb: index.mem_used[s.index()],
                    capacity_gb: server.mem_gb,
                },
                server_at(s),
            ));
        }
    }
}

/// Where what runs (`running`) differs from what was planned, per service and
/// server: one finding each, at the running file's line when a replica runs
/// that the plan does not have, at the plan's line for the reverse.
pub fn drift(
    services: &Services,
    inventory: &Inventory,
    running: &Placement,
    planned: &Placement,
) -> Vec<Finding> {
    let mut per: std::collections::BTreeMap<(ServiceId, ServerId), [(u32, usize); 2]> =
        Default::default();
    for (side, placement) in [running, planned].into_iter().enumerate() {
        for r in &placement.replicas {
            let entry = per
                .entry((r.service, r.server))
                .or_insert([(0, usize::MAX); 2]);
            entry[side].0 += 1;
            entry[side].1 = entry[side].1.min(r.line);
        }
    }
    per.into_iter()
        .filter(|(_, [r, p])| r.0 != p.0)
        .map(|((service, server), [r, p])| {
            let (file, line) = if r.0 > p.0 {
                (running, r.1)
            } else {
                (planned, p.1)
            };
            let location = file
                .file
                .as_ref()
                .filter(|_| line > 0 && line != usize::MAX)
                .map(|f| Location::at(f, line, None));
            Finding::new(
                FindingKind::Drift {
                    service: services.service(service).name.clone(),
                    server: inventory.server(server).id.clone(),
                    running: r.0,
                    planned: p.0,
                },
                location,
            )
        })
        .collect()
}

/// What an ad-hoc failure does, for `faultplan simulate`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Simulation {
    pub failed: Vec<String>,
    pub servers_down: Vec<String>,
    pub power_off: Vec<String>,
    pub services: Vec<SimulatedService>,
    /// Power components whose load changed, that lost power, or that are over their limit.
    pub power: Vec<SimulatedPower>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SimulatedService {
    pub service: String,
    pub needed: u32,
    pub up_before: u32,
    pub up_after: u32,
    pub ok: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SimulatedPower {
    pub component: String,
    pub kind: String,
    pub powered: bool,
    pub before_w: f64,
    pub after_w: f64,
    pub limit_w: f64,
    pub overloaded: bool,
}

impl Simulation {
    pub fn passed(&self) -> bool {
        self.services.iter().all(|s| s.ok) && self.power.iter().all(|p| !p.overloaded)
    }
}

/// Fails `failed` together and reports every service and power component.
pub fn simulate(
    inventory: &Inventory,
    services: &Services,
    placement: &Placement,
    failed: &[Component],
) -> Simulation {
    let topology = Topology::new(inventory);
    let index = PlacementIndex::new(inventory, services, placement);
    let impact = topology.impact(failed);
    let lost = index.lost(&impact.down);
    let before = topology.loads(&index.draw_w, &Impact::default());
    let after = topology.loads(&index.draw_w, &impact);
    let services = services
        .ids()
        .map(|id| {
            let service = services.service(id);
            let up_before = index.up[id.index()];
            let up_after = up_before - lost.iter().find(|(s, _)| *s == id).map_or(0, |(_, n)| *n);
            SimulatedService {
                service: service.name.clone(),
                needed: service.min_replicas,
                up_before,
                up_after,
                ok: up_after >= service.min_replicas,
            }
        })
        .collect();
    let power = inventory
        .power_ids()
        .filter_map(|p| {
            let component = inventory.power(p);
            let powered = impact.unpowered.binary_search(&p).is_err();
            let (before_w, after_w) = (before[p.index()], after[p.index()]);
            let overloaded = after_w > component.limit_w() + LOAD_TOLERANCE_W;
            let changed = (after_w - before_w).abs() > LOAD_TOLERANCE_W;
            (changed || !powered || overloaded).then(|| SimulatedPower {
                component: component.id.clone(),
                kind: component.kind.clone(),
                powered,
                before_w,
                after_w,
                limit_w: component.limit_w(),
                overloaded,
            })
        })
        .collect();
    Simulation {
        failed: failed.iter().map(|c| inventory.name(*c)).collect(),
        servers_down: impact
            .down
            .iter()
            .map(|s| inventory.server(*s).id.clone())
            .collect(),
        power_off: impact
            .unpowered
            .iter()
            .map(|p| inventory.power(*p).id.clone())
            .collect(),
        services,
        power,
    }
}

/// One power component's load with nothing failed and in the scenario that
/// loads it most, over every scenario `check` evaluates for power.
#[derive(Debug, Clone, PartialEq)]
pub struct PowerStatus {
    pub component: PowerId,
    pub normal_w: f64,
    pub worst_w: f64,
    /// None when no scenario puts more on it than normal operation.
    pub worst_scenario: Option<String>,
    /// False when a `power:P%` search hit its limit: `worst_w` is then the
    /// best that was found or proven (a bound), not a proven worst case.
    pub exact: bool,
}

/// Every power component's normal and worst-case load for `placement`, by the
/// same scenarios, load model and family searches as [`check`]; the worst of
/// a searched family is searched for, not only whether it breaks the limit.
pub fn power_status(
    inventory: &Inventory,
    services: &Services,
    placement: &Placement,
    options: CheckOptions,
) -> Vec<PowerStatus> {
    let topology = Topology::new(inventory);
    let index = PlacementIndex::new(inventory, services, placement);
    let words = services.all_words();
    let set = ScenarioSet::expand(inventory, &words, options.enumeration_limit);
    let model = LoadModel::new(&topology, &index.draw_w);
    let normal = model.loads(&Impact::default());
    let mut status: Vec<PowerStatus> = inventory
        .power_ids()
        .map(|p| PowerStatus {
            component: p,
            normal_w: normal[p.index()],
            worst_w: normal[p.index()],
            worst_scenario: None,
            exact: true,
        })
        .collect();
    let raise = |s: &mut PowerStatus, load_w: f64, scenario: String, exact: bool| {
        if load_w > s.worst_w + LOAD_TOLERANCE_W {
            s.worst_w = load_w;
            s.worst_scenario = Some(scenario);
            s.exact = exact;
        }
    };
    for scenario in &set.scenarios {
        let impact = topology.impact(&scenario.failed);
        // As in `check`: with no power off, no load can exceed normal operation's.
        if impact.unpowered.is_empty() {
            continue;
        }
        let load = model.loads(&impact);
        for s in &mut status {
            raise(s, load[s.component.index()], scenario.name.clone(), true);
        }
    }
    let mut reachable: Option<Vec<f64>> = None;
    for family in &set.families {
        let word = &words[family.word];
        let search = family.search(&topology);
        if search.limit().is_some() {
            let bound =
                reachable.get_or_insert_with(|| reachable_load_bound(&topology, &index.draw_w));
            let name = format!("{word} in {} (bound)", inventory.dc(family.datacenter).id);
            for s in &mut status {
                raise(s, bound[s.component.index()], name.clone(), false);
            }
            continue;
        }
        let loads = LoadSearch::new(&search, &model);
        for p in loads.targets() {
            let s = &mut status[p.index()];
            match loads.worst_load(p, s.worst_w + LOAD_TOLERANCE_W) {
                WorstLoad::AtMost => {}
                WorstLoad::Found { load_w, set, exact } => {
                    let names: Vec<&str> = set
                        .iter()
                        .map(|p| inventory.power(*p).id.as_str())
                        .collect();
                    raise(s, load_w, format!("{word} {}", names.join("+")), exact);
                }
                WorstLoad::Unproven { bound_w, .. } => {
                    raise(s, bound_w, format!("{word} (bound)"), false);
                }
            }
        }
    }
    status
}

/// A rack, server or power component whose failure alone leaves some service
/// that is whole in normal operation with fewer than min_replicas up.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SinglePoint {
    pub component: String,
    pub kind: &'static str,
    /// (service, replicas left up, min_replicas).
    pub breaks: Vec<(String, u32, u32)>,
}

/// Every rack, power component and server (in that order, each in file
/// order) whose failure alone breaks a service that is whole in normal
/// operation: the single points of failure of the placement, whatever the
/// survive words say.
pub fn single_points(
    inventory: &Inventory,
    services: &Services,
    index: &PlacementIndex,
) -> Vec<SinglePoint> {
    let topology = Topology::new(inventory);
    let candidates = inventory
        .rack_ids()
        .map(|r| (Component::Rack(r), "rack"))
        .chain(
            inventory
                .power_ids()
                .map(|p| (Component::Power(p), "power")),
        )
        .chain(
            inventory
                .server_ids()
                .map(|s| (Component::Server(s), "server")),
        );
    let mut out = Vec::new();
    for (component, kind) in candidates {
        let down = topology.impact(&[component]).down;
        let breaks: Vec<(String, u32, u32)> = index
            .lost(&down)
            .into_iter()
            .filter_map(|(service, lost)| {
                let up = index.up[service.index()];
                let needed = services.service(service).min_replicas;
                (up >= needed && up - lost < needed)
                    .then(|| (services.service(service).name.clone(), up - lost, needed))
            })
            .collect();
        if !breaks.is_empty() {
            out.push(SinglePoint {
                component: inventory.name(component),
                kind,
                breaks,
            });
        }
    }
    out
}
