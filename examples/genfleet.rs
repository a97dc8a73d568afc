//! genfleet: a deterministic synthetic fleet generator for faultplan's tests and
//! benchmarks.
//!
//! It writes an inventory folder in the formats of the file contract
//! (datacenters.csv, racks.csv, power.csv, servers.csv), a services.toml and,
//! with `--placement`, a placement.csv that keeps every service at
//! min_replicas when any one rack, or any half of a datacenter's power roots,
//! is lost. It writes the files itself; it uses the faultplan library only to
//! check what it wrote (tight fleets, `--baseline-placement`).
//!
//! ```text
//! cargo run --release --example genfleet -- --preset small --out /tmp/fleet --placement
//! cargo run --release --example genfleet -- --servers 5000 --services 300 --seed 7 --out /tmp/f
//! cargo run --release --example genfleet -- --servers 1000 --services 100 --tightness 0.6 \
//!     --placement --baseline-placement /tmp/greedy.csv --out /tmp/tight
//! cargo run --release --example genfleet -- --preset region --placement --out /tmp/region
//! ```
//!
//! The same arguments give byte-identical files: ChaCha8 seeded from `--seed`,
//! fixed iteration order, no hash-map order, no timestamps.
//!
//! The fleet:
//! - datacenters `dc01`.. each with rooms of 10-20 racks (`room1`..);
//! - racks `dc01-r0001`.. (42U, 48U when they hold more than 30 servers; the top
//!   2U are left to the top-of-rack switches), servers `dc01-r0001-s01`..
//!   stacked from U1 in five shapes (16 to 64 cores, some `ssd`, `nvme`, `gpu`);
//! - ~10% of the servers have one PSU (on the A side), the others one on each side;
//!   ~0.5% are in `maintenance`;
//! - power, per datacenter: four equal roots `utility-a`, `utility-b`, `gen-a`,
//!   `gen-b`; per room and side a UPS fed by `utility-X;gen-X` (transfer switch);
//!   per rack and side a PDU fed by the room's UPS of that side. Every component
//!   is sized so that capacity_w × 0.8 ≥ 1.25 × the max_w of every server below it,
//!   i.e. it carries all of it at full draw when the other side has failed over
//!   onto it, with 25% to spare (PDU rounded up to 100 W, UPS to 1 kW, roots
//!   to 10 kW, 1 kW below 100 kW). Under `power:50%` any two of the four roots
//!   fail together.
//!
//! Services `svc0001`.. have min_replicas 2-5, cpu 0.5-16 per replica in powers
//! of two and 2, 4 or 8 GB per core; ~10% require `ssd`, ~2% `gpu`, ~5% also
//! survive a datacenter (with two datacenters or more). The sum of
//! min_replicas × cpu is brought to `--load` × the fleet's cpu: cpu is scaled
//! down when the base draw exceeds it; otherwise ~15% "large" services (with
//! log-normal weights) get more replicas than 5, as a few big services
//! dominate a real fleet (up to half the servers they may run on; when all of
//! them are capped, the other services grow too).
//!
//! `--tightness T` makes a hard fleet instead (docs/benchmarks.md has the
//! details): each PDU carries, once the other side is lost, the idle draw of
//! the servers left on it plus T + 0.02 of their dynamic range; single-fed
//! servers sit on side A or B; about 5% of the services require `gpu`, 12%
//! `ssd`, 12% are pinned (max_replicas = min_replicas, survive `power:50%`
//! only, so every replica needs a dual-fed server); the services reserve
//! about T of the fleet's cores. The services are made together with a
//! witness placement that proves them feasible (`--placement` writes it,
//! and genfleet checks it with `faultplan::verify::check`).
//!
//! `--preset incident` is a tight fleet (T 0.6 unless `--tightness` says
//! otherwise) the size of issue 23's incident, 80 servers on 4 racks and 25
//! services, with custom row scenarios (scenarios.toml), scarce `hdd` servers,
//! and max_replicas at the witness's count: see genfleet/incident.rs.
//!
//! `--baseline-placement FILE` writes the simple greedy spread's placement
//! and prints what `check` finds in it.
//!
//! The placement (largest cpu first) puts each replica on the least-loaded rack
//! (by cpu used over cpu that can host replicas) and, in it, on the active
//! dual-PSU server with the most free cpu that fits, one replica per server.
//! A service on R eligible racks gets min + c replicas with at most
//! c = ceil(min / (R - 1)) per rack (c = 1 unless min_replicas >= R), so
//! losing a rack leaves min_replicas. Single-PSU servers would go down with
//! side A and are not used. A datacenter-surviving service gets min_replicas
//! in each of the two least-loaded datacenters.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fmt::Write as _;
use std::fs;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, ValueEnum};
use faultplan::inventory::{self as fp, Inventory, Replica, ServerId, ServiceId, Services, Status};
use faultplan::scenarios::{ScenarioSet, DEFAULT_ENUMERATION_LIMIT};
use faultplan::topology::Topology;
use faultplan::verify::{check, CheckOptions, Severity};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

#[path = "genfleet/incident.rs"]
mod incident;

/// Max utilization written for every power component.
const MAX_UTIL: f64 = 0.8;
/// capacity_w × MAX_UTIL ≥ SPARE_NUM/SPARE_DEN × worst-case load (25% spare).
const SPARE_NUM: u64 = 5;
const SPARE_DEN: u64 = 4;
/// Rack units kept free at the top of each rack for the switches.
const TOR_UNITS: u32 = 2;
/// Share of single-PSU servers, and of servers in maintenance.
const SINGLE_PSU_P: f64 = 0.10;
const MAINTENANCE_P: f64 = 0.005;

const SSD: u8 = 1;
const GPU: u8 = 2;
const NVME: u8 = 4;
const LABEL_NAMES: [(u8, &str); 3] = [(GPU, "gpu"), (NVME, "nvme"), (SSD, "ssd")];

struct Shape {
    model: &'static str,
    cpu: u32,
    mem_gb: u32,
    idle_w: u32,
    max_w: u32,
    u: u32,
    weight: u32,
    /// Labels a server of this shape has with probability `label_p`.
    labels: u8,
    label_p: f64,
}

const SHAPES: [Shape; 5] = [
    Shape {
        model: "std-32c-256g",
        cpu: 32,
        mem_gb: 256,
        idle_w: 170,
        max_w: 550,
        u: 1,
        weight: 40,
        labels: SSD,
        label_p: 0.15,
    },
    Shape {
        model: "big-64c-512g",
        cpu: 64,
        mem_gb: 512,
        idle_w: 220,
        max_w: 800,
        u: 1,
        weight: 25,
        labels: 0,
        label_p: 0.0,
    },
    Shape {
        model: "edge-16c-64g",
        cpu: 16,
        mem_gb: 64,
        idle_w: 150,
        max_w: 400,
        u: 1,
        weight: 22,
        labels: SSD,
        label_p: 0.6,
    },
    Shape {
        model: "stor-32c-128g",
        cpu: 32,
        mem_gb: 128,
        idle_w: 200,
        max_w: 600,
        u: 2,
        weight: 10,
        labels: SSD | NVME,
        label_p: 1.0,
    },
    Shape {
        model: "gpu-48c-384g",
        cpu: 48,
        mem_gb: 384,
        idle_w: 250,
        max_w: 900,
        u: 2,
        weight: 3,
        labels: GPU | SSD,
        label_p: 1.0,
    },
];

const CPU_STEPS: [f64; 6] = [0.5, 1.0, 2.0, 4.0, 8.0, 16.0];
const CPU_WEIGHTS: [u32; 6] = [8, 18, 26, 24, 14, 10];
const MIN_REPLICAS: [u32; 4] = [2, 3, 4, 5];
const MIN_WEIGHTS: [u32; 4] = [35, 40, 15, 10];
const MEM_PER_CPU: [f64; 3] = [2.0, 4.0, 8.0];
const MEM_WEIGHTS: [u32; 3] = [3, 4, 3];
const LARGE_P: f64 = 0.15;

const DC_NAMES: [(&str, &str); 10] = [
    ("Paris", "eu-west"),
    ("Frankfurt", "eu-central"),
    ("Amsterdam", "eu-west"),
    ("London", "eu-west"),
    ("Ashburn", "us-east"),
    ("Portland", "us-west"),
    ("Singapore", "ap-southeast"),
    ("Tokyo", "ap-northeast"),
    ("Sydney", "ap-southeast"),
    ("Sao Paulo", "sa-east"),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Preset {
    /// goodbarber-like: 80 servers, 4 racks, 1 datacenter, 10 services, load 0.25
    Tiny,
    /// 1,000 servers, 50 racks, 1 datacenter, 100 services
    Small,
    /// 10,000 servers, 500 racks, 2 datacenters, 500 services
    Medium,
    /// 50,000 servers, 1,250 racks, 5 datacenters, 1,500 services
    Large,
    /// 100,000 servers, 2,500 racks, 10 datacenters, 3,000 services
    Huge,
    /// hard and small, like issue 23's incident: 80 servers, 4 racks, 25
    /// services, tightness 0.6 (unless --tightness is given), custom row
    /// scenarios, scarce ssd/hdd servers, max_replicas
    Incident,
    /// Tight (--tightness 0.3 unless --load or --tightness is given):
    /// 200,000 servers, 5,000 racks, 20 datacenters, 6,000 services
    Region200k,
    /// A region, tight (--tightness 0.3 unless --load or --tightness is given):
    /// 1,000,000 servers, 25,000 racks, 50 datacenters, 30,000 services
    Region,
}

/// Generate a deterministic synthetic fleet (inventory, services.toml, placement) for faultplan.
#[derive(Parser, Debug)]
#[command(name = "genfleet")]
struct Args {
    /// Output folder (created if missing; the generated files are overwritten)
    #[arg(long)]
    out: PathBuf,
    /// Sizes to start from; --servers, --racks, ... given as well override them
    #[arg(long, value_enum)]
    preset: Option<Preset>,
    /// Number of servers [default: 1000]
    #[arg(long)]
    servers: Option<usize>,
    /// Number of racks [default: servers / 20, rounded up]
    #[arg(long)]
    racks: Option<usize>,
    /// Number of datacenters [default: one per 250 racks, 1 to 10]
    #[arg(long)]
    datacenters: Option<usize>,
    /// Number of services [default: servers / 10]
    #[arg(long)]
    services: Option<usize>,
    /// Random seed
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Target sum of min_replicas × cpu, as a fraction of the fleet's cpu (before redundancy) [default: 0.5]
    #[arg(long)]
    load: Option<f64>,
    /// Also write placement.csv: a placement that survives any rack and power:50%
    #[arg(long)]
    placement: bool,
    /// Make a hard fleet, 0 <= T < 1: PDUs that carry a rack at about T of its
    /// cpu when one power side is lost, services reserving about T of the
    /// fleet's cores, scarce labelled servers and services pinned to dual-fed
    /// servers; --load does not apply
    #[arg(long, value_name = "T", conflicts_with = "load")]
    tightness: Option<f64>,
    /// Also write, at this path, the placement of the simple greedy spread (the
    /// baseline `plan` compares itself with), and print what `check` finds in it
    #[arg(long, value_name = "FILE")]
    baseline_placement: Option<PathBuf>,
}

struct Config {
    servers: usize,
    racks: usize,
    dcs: usize,
    services: usize,
    seed: u64,
    load: f64,
    placement: bool,
    tightness: Option<f64>,
    /// `--preset incident`: rows, hdd and max_replicas (see incident.rs).
    incident: bool,
}

fn resolve(args: &Args) -> Result<Config, String> {
    // (servers, racks, datacenters, services, load, tightness)
    type Sizes = (
        usize,
        Option<usize>,
        Option<usize>,
        usize,
        Option<f64>,
        Option<f64>,
    );
    let p: Option<Sizes> = args.preset.map(|p| match p {
        Preset::Tiny => (80, Some(4), Some(1), 10, Some(0.25), None),
        Preset::Small => (1_000, None, None, 100, None, None),
        Preset::Medium => (10_000, None, None, 500, None, None),
        Preset::Large => (50_000, Some(1_250), Some(5), 1_500, None, None),
        Preset::Huge => (100_000, Some(2_500), Some(10), 3_000, None, None),
        Preset::Incident => (80, Some(4), Some(1), 25, None, Some(incident::TIGHTNESS)),
        // Meta-like regions: 40 servers a rack, 250 and 500 racks a datacenter.
        Preset::Region200k => (200_000, Some(5_000), Some(20), 6_000, None, Some(0.3)),
        Preset::Region => (1_000_000, Some(25_000), Some(50), 30_000, None, Some(0.3)),
    });
    let incident = args.preset == Some(Preset::Incident);
    if incident && args.load.is_some() {
        return Err(
            "--load does not apply to --preset incident (it is a tight fleet: use --tightness)"
                .into(),
        );
    }
    let servers = args.servers.or(p.map(|p| p.0)).unwrap_or(1_000);
    if servers == 0 {
        return Err("--servers must be at least 1".into());
    }
    let racks = args
        .racks
        .or(p.and_then(|p| p.1))
        .unwrap_or(servers.div_ceil(20));
    if racks == 0 || racks > servers {
        return Err(format!(
            "--racks must be between 1 and the number of servers ({servers})"
        ));
    }
    let dcs = args
        .datacenters
        .or(p.and_then(|p| p.2))
        .unwrap_or(racks.div_ceil(250).clamp(1, 10));
    if dcs == 0 || dcs > racks {
        return Err(format!(
            "--datacenters must be between 1 and the number of racks ({racks})"
        ));
    }
    let services = args
        .services
        .or(p.map(|p| p.3))
        .unwrap_or((servers / 10).max(1));
    if services == 0 {
        return Err("--services must be at least 1".into());
    }
    let load = args.load.or(p.and_then(|p| p.4)).unwrap_or(0.5);
    if !(load > 0.0 && load <= 1.0) {
        return Err("--load must be in (0, 1]".into());
    }
    // A preset's tightness gives way to an explicit --load.
    let tightness = args
        .tightness
        .or_else(|| args.load.is_none().then(|| p.and_then(|p| p.5)).flatten());
    if let Some(t) = tightness {
        if !(0.0..1.0).contains(&t) {
            return Err("--tightness must be in [0, 1)".into());
        }
    }
    Ok(Config {
        servers,
        racks,
        dcs,
        services,
        seed: args.seed,
        load,
        placement: args.placement,
        tightness,
        incident,
    })
}

struct Dc {
    id: String,
    name: String,
    region: String,
    rooms: usize,
    racks: Range<usize>,
}

struct Rack {
    id: String,
    dc: usize,
    room: usize,
    u_height: u32,
    servers: Range<usize>,
}

struct Server {
    id: String,
    rack: usize,
    shape: usize,
    labels: u8,
    dual_psu: bool,
    /// The side (0 = A, 1 = B) a single-PSU server plugs into.
    side: usize,
    maintenance: bool,
    position: u32,
}

impl Server {
    /// Can host new replicas that survive power:50% (active, one PSU on each side).
    fn eligible(&self) -> bool {
        self.dual_psu && !self.maintenance
    }

    /// Draws from the PDU of `side` once the other side has failed.
    fn feeds(&self, side: usize) -> bool {
        self.dual_psu || self.side == side
    }
}

struct Fleet {
    dcs: Vec<Dc>,
    racks: Vec<Rack>,
    servers: Vec<Server>,
}

fn digits(n: usize) -> usize {
    n.max(1).to_string().len()
}

fn pick(rng: &mut ChaCha8Rng, weights: &[u32]) -> usize {
    let total: u32 = weights.iter().sum();
    let mut x = rng.gen_range(0..total);
    for (i, &w) in weights.iter().enumerate() {
        if x < w {
            return i;
        }
        x -= w;
    }
    unreachable!()
}

fn gen_fleet(cfg: &Config, rng: &mut ChaCha8Rng) -> Fleet {
    let dc_w = digits(cfg.dcs).max(2);
    let max_racks_per_dc = cfg.racks.div_ceil(cfg.dcs);
    let rack_w = digits(max_racks_per_dc).max(4);
    let max_servers_per_rack = cfg.servers.div_ceil(cfg.racks);
    let srv_w = digits(max_servers_per_rack).max(2);

    let mut dcs = Vec::with_capacity(cfg.dcs);
    let mut racks = Vec::with_capacity(cfg.racks);
    let mut servers = Vec::with_capacity(cfg.servers);
    for d in 0..cfg.dcs {
        let id = format!("dc{:0w$}", d + 1, w = dc_w);
        let (city, region) = DC_NAMES[d % DC_NAMES.len()];
        let name = format!("{city} {}", d / DC_NAMES.len() + 1);
        let n_racks = cfg.racks / cfg.dcs + usize::from(d < cfg.racks % cfg.dcs);
        let rooms = n_racks.div_ceil(20).max(1);
        let first_rack = racks.len();
        for j in 0..n_racks {
            let ri = racks.len();
            let rack_id = format!("{id}-r{:0w$}", j + 1, w = rack_w);
            let k = cfg.servers / cfg.racks + usize::from(ri < cfg.servers % cfg.racks);
            let u_height: u32 = if k <= 30 {
                42
            } else if k <= 44 {
                48
            } else {
                k as u32 + 4
            };
            let avail = u_height - TOR_UNITS;
            let mut used = 0u32;
            let first_server = servers.len();
            for s in 0..k {
                let remaining_after = (k - s - 1) as u32;
                let room_for_this = avail - used - remaining_after;
                let weights: Vec<u32> = SHAPES
                    .iter()
                    .map(|sh| if sh.u <= room_for_this { sh.weight } else { 0 })
                    .collect();
                let shape = pick(rng, &weights);
                let sh = &SHAPES[shape];
                let labels = if sh.labels != 0 && rng.gen_bool(sh.label_p) {
                    sh.labels
                } else {
                    0
                };
                let dual_psu = !rng.gen_bool(SINGLE_PSU_P);
                // Only tight fleets draw a side: the default fleets stay byte-identical.
                let side = if cfg.tightness.is_some() && !dual_psu {
                    usize::from(rng.gen_bool(0.5))
                } else {
                    0
                };
                let maintenance = rng.gen_bool(MAINTENANCE_P);
                servers.push(Server {
                    id: format!("{rack_id}-s{:0w$}", s + 1, w = srv_w),
                    rack: ri,
                    shape,
                    labels,
                    dual_psu,
                    side,
                    maintenance,
                    position: used + 1,
                });
                used += sh.u;
            }
            racks.push(Rack {
                id: rack_id,
                dc: d,
                room: j * rooms / n_racks,
                u_height,
                servers: first_server..servers.len(),
            });
        }
        dcs.push(Dc {
            id,
            name,
            region: region.to_string(),
            rooms,
            racks: first_rack..racks.len(),
        });
    }
    Fleet {
        dcs,
        racks,
        servers,
    }
}

/// Eligible servers and racks (active, dual PSU, with every label of the mask),
/// for each of the 8 label masks, overall and per datacenter.
struct Eligibility {
    servers: [usize; 8],
    racks: [usize; 8],
    dc_servers: Vec<[usize; 8]>,
    dc_racks: Vec<[usize; 8]>,
    /// Per rack: bit q set when the rack holds an eligible server for mask q.
    rack_supports: Vec<u8>,
}

fn eligibility(fleet: &Fleet) -> Eligibility {
    let nd = fleet.dcs.len();
    let mut e = Eligibility {
        servers: [0; 8],
        racks: [0; 8],
        dc_servers: vec![[0; 8]; nd],
        dc_racks: vec![[0; 8]; nd],
        rack_supports: vec![0; fleet.racks.len()],
    };
    for (ri, rack) in fleet.racks.iter().enumerate() {
        let mut sup = 0u8;
        for s in &fleet.servers[rack.servers.clone()] {
            if !s.eligible() {
                continue;
            }
            for q in 0..8u8 {
                if s.labels & q == q {
                    e.servers[q as usize] += 1;
                    e.dc_servers[rack.dc][q as usize] += 1;
                    sup |= 1 << q;
                }
            }
        }
        e.rack_supports[ri] = sup;
        for q in 0..8 {
            if sup & (1 << q) != 0 {
                e.racks[q] += 1;
                e.dc_racks[rack.dc][q] += 1;
            }
        }
    }
    e
}

struct Service {
    name: String,
    min: u32,
    cpu: f64,
    mem_per_cpu: f64,
    requires: u8,
    dc_survive: bool,
    large: bool,
    weight: f64,
    /// max_replicas = min_replicas and survive = ["power:50%"] only: every
    /// replica must sit on a dual-fed server.
    pinned: bool,
    /// Also survives every custom row scenario (`--preset incident`).
    rows: bool,
    /// max_replicas, for a service that is not pinned (`--preset incident`).
    max: Option<u32>,
}

impl Service {
    fn mem_gb(&self) -> f64 {
        self.cpu * self.mem_per_cpu
    }
}

/// Can a service with this mask and min_replicas be placed (with room to spare)?
fn feasible(e: &Eligibility, mask: u8, min: u32, dc_survive: bool) -> bool {
    let q = mask as usize;
    let min = min as usize;
    if dc_survive {
        (0..e.dc_racks.len())
            .filter(|&d| e.dc_racks[d][q] >= 2 && e.dc_servers[d][q] >= 2 * min)
            .count()
            >= 2
    } else {
        let r = e.racks[q];
        r >= 2 && e.servers[q] >= 2 * (min + min.div_ceil(r - 1))
    }
}

/// Highest min_replicas a service may grow to: half its eligible servers, minus rack redundancy.
fn growth_cap(e: &Eligibility, s: &Service) -> u32 {
    let q = s.requires as usize;
    let (servers, racks) = (e.servers[q] / 2, e.racks[q]);
    if racks < 2 {
        return s.min;
    }
    ((servers * (racks - 1) / racks) as u32).max(s.min)
}

fn snap_cpu(x: f64) -> f64 {
    let mut best = CPU_STEPS[0];
    for &s in &CPU_STEPS {
        if (s.ln() - x.ln()).abs() < (best.ln() - x.ln()).abs() {
            best = s;
        }
    }
    best
}

fn requested_cpu(services: &[Service]) -> f64 {
    services.iter().map(|s| s.min as f64 * s.cpu).sum()
}

fn gen_services(
    cfg: &Config,
    fleet: &Fleet,
    e: &Eligibility,
    rng: &mut ChaCha8Rng,
) -> Vec<Service> {
    let w = digits(cfg.services).max(4);
    let mut services = Vec::with_capacity(cfg.services);
    for i in 0..cfg.services {
        let min = MIN_REPLICAS[pick(rng, &MIN_WEIGHTS)];
        let cpu = CPU_STEPS[pick(rng, &CPU_WEIGHTS)];
        let mem_per_cpu = MEM_PER_CPU[pick(rng, &MEM_WEIGHTS)];
        let large = rng.gen_bool(LARGE_P);
        // log-normal weight (sigma 1) by Box-Muller
        let (u1, u2): (f64, f64) = (rng.gen(), rng.gen());
        let z = (-2.0 * (1.0 - u1).ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
        let r: f64 = rng.gen();
        let dc_draw = rng.gen_bool(0.05);
        let mut requires = if large {
            0
        } else if r < 0.10 {
            SSD
        } else if r < 0.12 {
            GPU
        } else {
            0
        };
        let mut dc_survive = !large && fleet.dcs.len() >= 2 && dc_draw;
        if dc_survive && !feasible(e, requires, min, true) {
            if feasible(e, 0, min, true) {
                requires = 0;
            } else {
                dc_survive = false;
            }
        }
        if !feasible(e, requires, min, dc_survive) {
            requires = 0;
        }
        services.push(Service {
            name: format!("svc{:0w$}", i + 1, w = w),
            min,
            cpu,
            mem_per_cpu,
            requires,
            dc_survive,
            large,
            weight: z.exp(),
            pinned: false,
            rows: false,
            max: None,
        });
    }

    let fleet_cpu: f64 = fleet
        .servers
        .iter()
        .map(|s| SHAPES[s.shape].cpu as f64)
        .sum();
    let target = cfg.load * fleet_cpu;
    let base = requested_cpu(&services);
    if base > target {
        let f = target / base;
        for s in &mut services {
            s.cpu = snap_cpu(s.cpu * f);
        }
    }
    // Water-filling: give extra replicas to the large services in proportion to
    // their weights (then, if they are all capped, to the others, also by weight)
    // until the target is reached.
    let mut sum = requested_cpu(&services);
    let caps: Vec<u32> = services.iter().map(|s| growth_cap(e, s)).collect();
    let mut extra = vec![0u32; services.len()];
    for phase in 0..2 {
        if sum >= target {
            break;
        }
        let key = |x: u32, w: f64| ((x as f64 + 1.0) / w).to_bits();
        let mut heap: BinaryHeap<Reverse<(u64, usize)>> = services
            .iter()
            .enumerate()
            .filter(|(_, s)| !s.dc_survive && s.large == (phase == 0))
            .map(|(i, s)| Reverse((key(0, s.weight), i)))
            .collect();
        while let Some(Reverse((_, i))) = heap.pop() {
            if sum >= target {
                break;
            }
            let s = &mut services[i];
            if s.min >= caps[i] || sum + s.cpu - target > target - sum {
                continue;
            }
            s.min += 1;
            extra[i] += 1;
            sum += s.cpu;
            heap.push(Reverse((key(extra[i], s.weight), i)));
        }
    }
    services
}

struct Placement {
    /// (service index, server index)
    rows: Vec<(usize, usize)>,
    failed: Vec<String>,
}

fn place(fleet: &Fleet, e: &Eligibility, services: &[Service]) -> Placement {
    let ns = fleet.servers.len();
    let nr = fleet.racks.len();
    let mut free_cpu: Vec<f64> = fleet
        .servers
        .iter()
        .map(|s| SHAPES[s.shape].cpu as f64)
        .collect();
    let mut free_mem: Vec<f64> = fleet
        .servers
        .iter()
        .map(|s| SHAPES[s.shape].mem_gb as f64)
        .collect();
    let mut last_svc = vec![usize::MAX; ns];
    let mut rack_last_svc = vec![usize::MAX; nr];
    let mut rack_count = vec![0usize; nr];
    let mut rack_used = vec![0f64; nr];
    let rack_cap: Vec<f64> = fleet
        .racks
        .iter()
        .map(|r| {
            fleet.servers[r.servers.clone()]
                .iter()
                .filter(|s| s.eligible())
                .map(|s| SHAPES[s.shape].cpu as f64)
                .sum()
        })
        .collect();
    let key = |used: f64, cap: f64| ((used / cap) * 1e9) as u64;
    let mut heaps: Vec<BinaryHeap<Reverse<(u64, usize)>>> = fleet
        .dcs
        .iter()
        .map(|dc| {
            dc.racks
                .clone()
                .filter(|&r| rack_cap[r] > 0.0)
                .map(|r| Reverse((0, r)))
                .collect()
        })
        .collect();

    let mut order: Vec<usize> = (0..services.len()).collect();
    order.sort_by(|&a, &b| services[b].cpu.total_cmp(&services[a].cpu).then(a.cmp(&b)));

    let mut rows = Vec::new();
    let mut failed = Vec::new();
    let all_dcs: Vec<usize> = (0..fleet.dcs.len()).collect();
    for &si in &order {
        let svc = &services[si];
        let (cpu, mem, mask) = (svc.cpu, svc.mem_gb(), svc.requires);
        // (datacenters allowed, replicas, max per rack)
        let mut groups: Vec<(Vec<usize>, usize, usize)> = Vec::new();
        let min = svc.min as usize;
        let q = mask as usize;
        if svc.dc_survive {
            let mut cands: Vec<(f64, usize)> = (0..fleet.dcs.len())
                .filter(|&d| e.dc_racks[d][q] >= 1 && e.dc_servers[d][q] >= min)
                .map(|d| {
                    let r = fleet.dcs[d].racks.clone();
                    let used: f64 = rack_used[r.clone()].iter().sum();
                    let cap: f64 = rack_cap[r].iter().sum();
                    (used / cap, d)
                })
                .collect();
            cands.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            for &(_, d) in cands.iter().take(2) {
                groups.push((vec![d], min, min.div_ceil(e.dc_racks[d][q])));
            }
            if groups.len() < 2 {
                failed.push(svc.name.clone());
                continue;
            }
        } else {
            let r = e.racks[q];
            if r < 2 {
                failed.push(svc.name.clone());
                continue;
            }
            let c = min.div_ceil(r - 1);
            groups.push((all_dcs.clone(), min + c, c));
        }
        let mut complete = true;
        for (allowed, target, per_rack) in groups {
            let mut aside: Vec<(usize, usize)> = Vec::new();
            let mut placed = 0;
            while placed < target {
                let mut best: Option<((u64, usize), usize)> = None;
                for &d in &allowed {
                    if let Some(&Reverse(top)) = heaps[d].peek() {
                        if best.is_none_or(|(b, _)| top < b) {
                            best = Some((top, d));
                        }
                    }
                }
                let Some(((_, r), d)) = best else { break };
                heaps[d].pop();
                if e.rack_supports[r] & (1 << mask) == 0 {
                    aside.push((d, r));
                    continue;
                }
                let mut pick: Option<usize> = None;
                for s in fleet.racks[r].servers.clone() {
                    let srv = &fleet.servers[s];
                    if !srv.eligible()
                        || srv.labels & mask != mask
                        || last_svc[s] == si
                        || free_cpu[s] < cpu
                        || free_mem[s] < mem
                    {
                        continue;
                    }
                    if pick.is_none_or(|p| free_cpu[s] > free_cpu[p]) {
                        pick = Some(s);
                    }
                }
                let Some(s) = pick else {
                    aside.push((d, r));
                    continue;
                };
                free_cpu[s] -= cpu;
                free_mem[s] -= mem;
                last_svc[s] = si;
                rack_used[r] += cpu;
                if rack_last_svc[r] != si {
                    rack_last_svc[r] = si;
                    rack_count[r] = 0;
                }
                rack_count[r] += 1;
                rows.push((si, s));
                placed += 1;
                if rack_count[r] < per_rack {
                    heaps[d].push(Reverse((key(rack_used[r], rack_cap[r]), r)));
                } else {
                    aside.push((d, r));
                }
            }
            for (d, r) in aside {
                heaps[d].push(Reverse((key(rack_used[r], rack_cap[r]), r)));
            }
            if placed < target {
                complete = false;
            }
        }
        if !complete {
            failed.push(svc.name.clone());
        }
    }
    Placement { rows, failed }
}

/// Capacity that carries `load_w` at MAX_UTIL with 25% to spare, rounded up to `step`.
fn size_w(load_w: u64, step: u64) -> u64 {
    // capacity × 0.8 ≥ 1.25 × load  ⇔  capacity ≥ load × 25 / 16
    let need = load_w * SPARE_NUM * 5; // load × 25
    let den = SPARE_DEN * 4 * step; // 16 × step
    need.div_ceil(den) * step
}

fn num(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

/// The label names of a mask; `--preset incident` calls the storage servers'
/// nvme `hdd`.
fn label_list(mask: u8, incident: bool) -> Vec<&'static str> {
    LABEL_NAMES
        .iter()
        .map(|&(b, n)| (b, if incident && b == NVME { "hdd" } else { n }))
        .filter(|(b, _)| mask & b != 0)
        .map(|(_, n)| n)
        .collect()
}

fn csv_writer(dir: &Path, name: &str) -> Result<csv::Writer<fs::File>, String> {
    let path = dir.join(name);
    csv::Writer::from_path(&path).map_err(|e| format!("{}: {e}", path.display()))
}

fn write_all(
    cfg: &Config,
    out: &Path,
    fleet: &Fleet,
    services: &[Service],
    placement: Option<&Placement>,
    pdu_caps: &[[u64; 2]],
) -> Result<(), String> {
    let err = |name: &'static str| {
        let path = out.join(name);
        move |e: csv::Error| format!("{}: {e}", path.display())
    };

    let mut w = csv_writer(out, "datacenters.csv")?;
    w.write_record(["id", "name", "region"])
        .map_err(err("datacenters.csv"))?;
    for dc in &fleet.dcs {
        w.write_record([&dc.id, &dc.name, &dc.region])
            .map_err(err("datacenters.csv"))?;
    }
    w.flush().map_err(|e| e.to_string())?;

    let mut w = csv_writer(out, "racks.csv")?;
    w.write_record(["id", "datacenter", "room", "u_height"])
        .map_err(err("racks.csv"))?;
    for r in &fleet.racks {
        let room = format!("room{}", r.room + 1);
        w.write_record([&r.id, &fleet.dcs[r.dc].id, &room, &r.u_height.to_string()])
            .map_err(err("racks.csv"))?;
    }
    w.flush().map_err(|e| e.to_string())?;

    // Power: max draw per rack, room and datacenter.
    let rack_w: Vec<u64> = fleet
        .racks
        .iter()
        .map(|r| {
            fleet.servers[r.servers.clone()]
                .iter()
                .map(|s| SHAPES[s.shape].max_w as u64)
                .sum()
        })
        .collect();
    let mut w = csv_writer(out, "power.csv")?;
    let e = err("power.csv");
    w.write_record([
        "id",
        "datacenter",
        "kind",
        "feeds_from",
        "capacity_w",
        "max_utilization",
    ])
    .map_err(&e)?;
    let mu = num(MAX_UTIL);
    for dc in &fleet.dcs {
        let dc_w: u64 = dc.racks.clone().map(|r| rack_w[r]).sum();
        let root = size_w(dc_w, if dc_w < 100_000 { 1_000 } else { 10_000 }).to_string();
        for (name, kind) in [
            ("utility-a", "utility"),
            ("utility-b", "utility"),
            ("gen-a", "generator"),
            ("gen-b", "generator"),
        ] {
            w.write_record([
                format!("{}-{name}", dc.id).as_str(),
                &dc.id,
                kind,
                "",
                &root,
                &mu,
            ])
            .map_err(&e)?;
        }
        for room in 0..dc.rooms {
            let room_w: u64 = dc
                .racks
                .clone()
                .filter(|&r| fleet.racks[r].room == room)
                .map(|r| rack_w[r])
                .sum();
            let cap = size_w(room_w, 1_000).to_string();
            for side in ["a", "b"] {
                let id = format!("{}-room{}-ups-{side}", dc.id, room + 1);
                let feeds = format!("{0}-utility-{side};{0}-gen-{side}", dc.id);
                w.write_record([&id, &dc.id, "ups", &feeds, &cap, &mu])
                    .map_err(&e)?;
            }
        }
        for ri in dc.racks.clone() {
            let r = &fleet.racks[ri];
            for (side, name) in ["a", "b"].into_iter().enumerate() {
                let id = format!("{}-pdu-{name}", r.id);
                let feeds = format!("{}-room{}-ups-{name}", dc.id, r.room + 1);
                let cap = pdu_caps[ri][side].to_string();
                w.write_record([&id, &dc.id, "pdu", &feeds, &cap, &mu])
                    .map_err(&e)?;
            }
        }
    }
    w.flush().map_err(|e| e.to_string())?;

    let mut w = csv_writer(out, "servers.csv")?;
    let e = err("servers.csv");
    w.write_record([
        "id", "rack", "cpu", "mem_gb", "psu", "idle_w", "max_w", "labels", "model", "position",
        "u_height", "status",
    ])
    .map_err(&e)?;
    for s in &fleet.servers {
        let r = &fleet.racks[s.rack];
        let sh = &SHAPES[s.shape];
        let psu = if s.dual_psu {
            format!("{0}-pdu-a;{0}-pdu-b", r.id)
        } else {
            format!("{}-pdu-{}", r.id, ["a", "b"][s.side])
        };
        w.write_record([
            s.id.as_str(),
            &r.id,
            &sh.cpu.to_string(),
            &sh.mem_gb.to_string(),
            &psu,
            &sh.idle_w.to_string(),
            &sh.max_w.to_string(),
            &label_list(s.labels, cfg.incident).join(";"),
            sh.model,
            &s.position.to_string(),
            &sh.u.to_string(),
            if s.maintenance {
                "maintenance"
            } else {
                "active"
            },
        ])
        .map_err(&e)?;
    }
    w.flush().map_err(|e| e.to_string())?;

    let mut t = String::new();
    let _ = writeln!(
        t,
        "# generated by genfleet (faultplan examples/genfleet.rs), seed {}",
        cfg.seed
    );
    let _ = writeln!(t, "[defaults]\nsurvive = [\"rack\", \"power:50%\"]");
    for s in services {
        let _ = writeln!(
            t,
            "\n[[service]]\nname = \"{}\"\nmin_replicas = {}",
            s.name, s.min
        );
        let _ = writeln!(t, "cpu = {}\nmem_gb = {}", num(s.cpu), num(s.mem_gb()));
        if s.requires != 0 {
            let labels: Vec<String> = label_list(s.requires, cfg.incident)
                .iter()
                .map(|l| format!("\"{l}\""))
                .collect();
            let _ = writeln!(t, "requires = [{}]", labels.join(", "));
        }
        if s.dc_survive {
            let _ = writeln!(t, "survive = [\"rack\", \"power:50%\", \"datacenter\"]");
        }
        if s.pinned {
            let _ = writeln!(t, "max_replicas = {}\nsurvive = [\"power:50%\"]", s.min);
        }
        if let Some(max) = s.max {
            let _ = writeln!(t, "max_replicas = {max}");
        }
        if s.rows {
            let _ = writeln!(t, "{}", incident::row_survive(fleet));
        }
    }
    let path = out.join("services.toml");
    fs::write(&path, t).map_err(|e| format!("{}: {e}", path.display()))?;
    let path = out.join("scenarios.toml");
    if cfg.incident {
        fs::write(&path, incident::scenarios_toml(fleet))
            .map_err(|e| format!("{}: {e}", path.display()))?;
    } else {
        // the rows of an earlier incident fleet would name racks of another fleet
        let _ = fs::remove_file(&path);
    }

    if let Some(p) = placement {
        let mut rows: Vec<(&str, &str)> = p
            .rows
            .iter()
            .map(|&(si, s)| (services[si].name.as_str(), fleet.servers[s].id.as_str()))
            .collect();
        rows.sort_unstable();
        let mut w = csv_writer(out, "placement.csv")?;
        let e = err("placement.csv");
        w.write_record(["service", "server"]).map_err(&e)?;
        for (svc, srv) in rows {
            w.write_record([svc, srv]).map_err(&e)?;
        }
        w.flush().map_err(|e| e.to_string())?;
    } else {
        // a placement.csv left by an earlier run would not match this fleet
        let _ = fs::remove_file(out.join("placement.csv"));
    }

    let rooms: usize = fleet.dcs.iter().map(|d| d.rooms).sum();
    let readme = format!(
        "Synthetic fleet from faultplan's genfleet example: {} servers in {} racks, {} room(s), {} datacenter(s), \
         {} services{}; made with `cargo run --release --example genfleet -- {}--servers {} --racks {} \
         --datacenters {} --services {} --seed {} {}{} --out DIR`.\n",
        cfg.servers,
        cfg.racks,
        rooms,
        cfg.dcs,
        cfg.services,
        if placement.is_some() { " and a placement" } else { "" },
        if cfg.incident { "--preset incident " } else { "" },
        cfg.servers,
        cfg.racks,
        cfg.dcs,
        cfg.services,
        cfg.seed,
        match cfg.tightness {
            Some(t) => format!("--tightness {t}"),
            None => format!("--load {}", cfg.load),
        },
        if cfg.placement { " --placement" } else { "" },
    );
    let path = out.join("README.md");
    fs::write(&path, readme).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(())
}

/// How far above T a tight PDU lets a rack go: "slightly above T of its cpu",
/// so that the witness placement (and a planner) has a little room.
const TIGHT_MARGIN: f64 = 0.02;
/// Shares of tight services that require `gpu`, require `ssd`, are pinned to
/// dual-fed servers, or also survive a datacenter; the rest are plain.
const TIGHT_GPU_P: f64 = 0.05;
const TIGHT_SSD_P: f64 = 0.12;
const TIGHT_PINNED_P: f64 = 0.12;
const TIGHT_DC_P: f64 = 0.05;
/// A pinned service has at most this many replicas (cpu grows instead), as a
/// service that must sit on dual-fed servers is rarely huge.
const PINNED_MAX: f64 = 48.0;

/// capacity_w of each rack's two PDUs (sides A and B).
///
/// Default: each carries every server of the rack at full draw with 25% to
/// spare. Tight: each side's limit (capacity_w × 0.8) is the idle draw of the
/// servers that fall back on it when the other side is lost (dual-fed and its
/// own single-fed ones) plus T + TIGHT_MARGIN of their active servers' dynamic
/// range, rounded up to 10 W: after a side is lost the rack fits only a little
/// more than T of its cpu (a bit more where the cores are the cheapest in watts).
fn pdu_capacities(fleet: &Fleet, tightness: Option<f64>) -> Vec<[u64; 2]> {
    fleet
        .racks
        .iter()
        .map(|r| {
            let servers = &fleet.servers[r.servers.clone()];
            match tightness {
                None => {
                    let max_w = servers.iter().map(|s| SHAPES[s.shape].max_w as u64).sum();
                    let cap = size_w(max_w, 100);
                    [cap, cap]
                }
                Some(t) => [0, 1].map(|side| {
                    let limit: f64 = servers
                        .iter()
                        .filter(|s| s.feeds(side))
                        .map(|s| {
                            let sh = &SHAPES[s.shape];
                            let dynamic = if s.maintenance {
                                0.0
                            } else {
                                (t + TIGHT_MARGIN) * f64::from(sh.max_w - sh.idle_w)
                            };
                            f64::from(sh.idle_w) + dynamic
                        })
                        .sum();
                    ((limit / MAX_UTIL / 10.0).ceil() as u64 * 10).max(100)
                }),
            }
        })
        .collect()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    // In witness order: the most constrained first.
    Gpu,
    Ssd,
    Pinned,
    Dc,
    Plain,
}

/// The witness placement of a tight fleet, built while its services are made:
/// replicas only on active dual-fed servers (no power:50% set takes one down),
/// each rack's replicas within what its PDUs carry when either side is lost.
struct Witness<'f> {
    fleet: &'f Fleet,
    free_cpu: Vec<f64>,
    free_mem: Vec<f64>,
    /// Per rack: watts its replicas may still add (the smaller side's room).
    budget_w: Vec<f64>,
    /// Per server: the last service placed on it (max_per_server is 1).
    last: Vec<usize>,
    rows: Vec<(usize, usize)>,
}

impl<'f> Witness<'f> {
    fn new(fleet: &'f Fleet, caps: &[[u64; 2]]) -> Self {
        let budget_w = fleet
            .racks
            .iter()
            .zip(caps)
            .map(|(r, cap)| {
                (0..2)
                    .map(|side| {
                        let idle: f64 = fleet.servers[r.servers.clone()]
                            .iter()
                            .filter(|s| s.feeds(side))
                            .map(|s| f64::from(SHAPES[s.shape].idle_w))
                            .sum();
                        // The limit as `check` computes it, less a watt for rounding.
                        cap[side] as f64 * MAX_UTIL - idle - 1.0
                    })
                    .fold(f64::INFINITY, f64::min)
            })
            .collect();
        Witness {
            fleet,
            free_cpu: fleet
                .servers
                .iter()
                .map(|s| f64::from(SHAPES[s.shape].cpu))
                .collect(),
            free_mem: fleet
                .servers
                .iter()
                .map(|s| f64::from(SHAPES[s.shape].mem_gb))
                .collect(),
            budget_w,
            last: vec![usize::MAX; fleet.servers.len()],
            rows: Vec::new(),
        }
    }

    /// Places up to `n` replicas of service `si` in `racks`, at most `per_rack`
    /// in one rack: each on the rack with the most watts left, on its host with
    /// the cheapest cores in watts (then the most free cpu). Returns the
    /// replicas placed per rack used, as (rack, count).
    #[allow(clippy::too_many_arguments)]
    fn put(
        &mut self,
        si: usize,
        cpu: f64,
        mem: f64,
        mask: u8,
        racks: &[usize],
        n: usize,
        per_rack: usize,
    ) -> Vec<(usize, usize)> {
        let key = |w: f64| (w.max(0.0) * 16.0) as u64;
        let mut heap: BinaryHeap<(u64, Reverse<usize>)> = racks
            .iter()
            .map(|&r| (key(self.budget_w[r]), Reverse(r)))
            .collect();
        let mut count = vec![0usize; self.fleet.racks.len()];
        let mut placed = 0;
        while placed < n {
            let Some((k, Reverse(r))) = heap.pop() else {
                break;
            };
            if k != key(self.budget_w[r]) {
                heap.push((key(self.budget_w[r]), Reverse(r)));
                continue;
            }
            let mut pick: Option<(f64, usize)> = None;
            for s in self.fleet.racks[r].servers.clone() {
                let srv = &self.fleet.servers[s];
                let per_core = watts_per_core(&SHAPES[srv.shape]);
                if !srv.eligible()
                    || srv.labels & mask != mask
                    || self.last[s] == si
                    || self.free_cpu[s] < cpu
                    || self.free_mem[s] < mem
                    || cpu * per_core > self.budget_w[r]
                {
                    continue;
                }
                let better = pick.is_none_or(|(w, p)| {
                    per_core < w || (per_core == w && self.free_cpu[s] > self.free_cpu[p])
                });
                if better {
                    pick = Some((per_core, s));
                }
            }
            let Some((per_core, s)) = pick else {
                continue;
            };
            self.free_cpu[s] -= cpu;
            self.free_mem[s] -= mem;
            self.budget_w[r] -= cpu * per_core;
            self.last[s] = si;
            self.rows.push((si, s));
            placed += 1;
            count[r] += 1;
            if count[r] < per_rack {
                heap.push((key(self.budget_w[r]), Reverse(r)));
            }
        }
        racks
            .iter()
            .filter(|&&r| count[r] > 0)
            .map(|&r| (r, count[r]))
            .collect()
    }

    /// Takes back the replicas placed since row `from` (all of one service).
    fn undo(&mut self, from: usize, cpu: f64, mem: f64) {
        for (_, s) in self.rows.drain(from..) {
            let srv = &self.fleet.servers[s];
            self.free_cpu[s] += cpu;
            self.free_mem[s] += mem;
            self.budget_w[srv.rack] += cpu * watts_per_core(&SHAPES[srv.shape]);
            // Only this service's own replicas are undone, and it is placed
            // once: no other service needs to find itself here.
            self.last[s] = usize::MAX;
        }
    }
}

/// Watts one busy core adds to a server's draw.
fn watts_per_core(shape: &Shape) -> f64 {
    f64::from(shape.max_w - shape.idle_w) / f64::from(shape.cpu)
}

/// Services of a tight fleet and the witness placement that proves them
/// feasible: each service's replicas are placed as it is made, and its
/// min_replicas is what its placed replicas still have after the worst failure
/// of its words, so the services ask for no more than the witness provides.
fn gen_tight(
    cfg: &Config,
    fleet: &Fleet,
    caps: &[[u64; 2]],
    t: f64,
    rng: &mut ChaCha8Rng,
) -> (Vec<Service>, Placement) {
    let e = eligibility(fleet);
    // Host cores (active, dual-fed) with every label of each mask.
    let mut host_cores = [0f64; 8];
    for s in fleet.servers.iter().filter(|s| s.eligible()) {
        for q in 0..8u8 {
            if s.labels & q == q {
                host_cores[q as usize] += f64::from(SHAPES[s.shape].cpu);
            }
        }
    }
    let multi_dc = fleet.dcs.len() >= 2;
    let w = digits(cfg.services).max(4);
    // The scarce label's services: gpu, or hdd (the nvme bit) for an incident fleet.
    let (scarce, scarce_p) = if cfg.incident {
        (NVME, incident::HDD_P)
    } else {
        (GPU, TIGHT_GPU_P)
    };
    // (kind, cpu, mem per cpu, weight)
    let mut drawn: Vec<(Kind, f64, f64, f64)> = (0..cfg.services)
        .map(|_| {
            let r: f64 = rng.gen();
            let cpu = CPU_STEPS[pick(rng, &CPU_WEIGHTS)];
            let mem_per_cpu = MEM_PER_CPU[pick(rng, &MEM_WEIGHTS)];
            let (u1, u2): (f64, f64) = (rng.gen(), rng.gen());
            let z = (-2.0 * (1.0 - u1).ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
            let mut kind = if r < scarce_p {
                Kind::Gpu
            } else if r < scarce_p + TIGHT_SSD_P {
                Kind::Ssd
            } else if r < scarce_p + TIGHT_SSD_P + TIGHT_PINNED_P {
                Kind::Pinned
            } else if r < scarce_p + TIGHT_SSD_P + TIGHT_PINNED_P + TIGHT_DC_P && multi_dc {
                Kind::Dc
            } else {
                Kind::Plain
            };
            // A label on fewer than two racks cannot survive a rack.
            if kind == Kind::Gpu && e.racks[scarce as usize] < 2 {
                kind = Kind::Ssd;
            }
            if kind == Kind::Ssd && e.racks[SSD as usize] < 2 {
                kind = Kind::Plain;
            }
            (kind, cpu, mem_per_cpu, z.exp())
        })
        .collect();
    let mask = |kind: Kind| match kind {
        Kind::Gpu => scarce,
        Kind::Ssd => SSD,
        _ => 0,
    };
    // Reserved cpu to aim for, per pool: the labelled services get about T of
    // their scarce servers (ssd half of it: others may use those servers too),
    // the rest share what is left of T × the fleet's cores.
    let fleet_cpu: f64 = fleet
        .servers
        .iter()
        .map(|s| f64::from(SHAPES[s.shape].cpu))
        .sum();
    let has = |k: Kind| drawn.iter().any(|d| d.0 == k);
    let pool_gpu = if has(Kind::Gpu) {
        t * host_cores[scarce as usize]
    } else {
        0.0
    };
    let pool_ssd = if has(Kind::Ssd) {
        0.5 * t * (host_cores[SSD as usize] - host_cores[(SSD | scarce) as usize])
    } else {
        0.0
    };
    let pool_rest = (t * fleet_cpu - pool_gpu - pool_ssd).max(0.0);
    let pool_of = |k: Kind| match k {
        Kind::Gpu => 0,
        Kind::Ssd => 1,
        _ => 2,
    };
    let mut weight_sum = [0f64; 3];
    for d in &drawn {
        weight_sum[pool_of(d.0)] += d.3;
    }
    let pools = [pool_gpu, pool_ssd, pool_rest];
    // (share of the pool in cores, replicas wanted)
    let mut wanted: Vec<(f64, usize)> = Vec::with_capacity(drawn.len());
    for d in drawn.iter_mut() {
        let share = pools[pool_of(d.0)] * d.3 / weight_sum[pool_of(d.0)];
        let q = mask(d.0) as usize;
        let hosts = e.servers[q] as f64;
        let cap = if d.0 == Kind::Pinned {
            PINNED_MAX
        } else {
            (0.6 * hosts).floor()
        }
        .max(2.0);
        let mut n = (share / d.1).round();
        while n > cap && d.1 < 16.0 {
            d.1 *= 2.0;
            n = (share / d.1).round();
        }
        while n < 2.0 && d.1 > 0.5 {
            d.1 /= 2.0;
            n = (share / d.1).round();
        }
        wanted.push((share, n.clamp(2.0, cap) as usize));
    }

    let mut order: Vec<usize> = (0..drawn.len()).collect();
    order.sort_by(|&a, &b| {
        drawn[a]
            .0
            .cmp(&drawn[b].0)
            .then(wanted[b].0.total_cmp(&wanted[a].0))
            .then(a.cmp(&b))
    });
    let mut witness = Witness::new(fleet, caps);
    let mut min = vec![0u32; drawn.len()];
    let mut starved = Vec::new();
    let hosts_in = |q: u8, dc: Option<usize>| -> Vec<usize> {
        (0..fleet.racks.len())
            .filter(|&r| e.rack_supports[r] & (1 << q) != 0)
            .filter(|&r| dc.is_none_or(|d| fleet.racks[r].dc == d))
            .collect()
    };
    let per_rack = |n: usize, racks: usize| (5 * n).div_ceil(4 * racks.max(1)).max(1);
    for &i in &order {
        let (kind, _, mem_per_cpu, _) = drawn[i];
        let q = mask(kind);
        let mut n = wanted[i].1;
        loop {
            let cpu = drawn[i].1;
            let mem = cpu * mem_per_cpu;
            let start = witness.rows.len();
            min[i] = match kind {
                Kind::Pinned => {
                    let racks = hosts_in(q, None);
                    let counts = witness.put(i, cpu, mem, q, &racks, n, n);
                    counts.iter().map(|c| c.1).sum::<usize>() as u32
                }
                Kind::Dc => {
                    // Half in each of the two datacenters with the most watts left.
                    let mut dcs: Vec<(f64, usize)> = (0..fleet.dcs.len())
                        .map(|d| {
                            let room: f64 = fleet.dcs[d]
                                .racks
                                .clone()
                                .map(|r| witness.budget_w[r].max(0.0))
                                .sum();
                            (room, d)
                        })
                        .collect();
                    dcs.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
                    let half = n.div_ceil(2);
                    let mut in_dc = Vec::new();
                    let mut worst_rack = 0;
                    for &(_, d) in dcs.iter().take(2) {
                        let racks = hosts_in(q, Some(d));
                        let counts =
                            witness.put(i, cpu, mem, q, &racks, half, per_rack(half, racks.len()));
                        in_dc.push(counts.iter().map(|c| c.1).sum::<usize>());
                        worst_rack = worst_rack.max(counts.iter().map(|c| c.1).max().unwrap_or(0));
                    }
                    let total: usize = in_dc.iter().sum();
                    let worst = in_dc.iter().copied().max().unwrap_or(0).max(worst_rack);
                    (total - worst) as u32
                }
                _ => {
                    let racks = hosts_in(q, None);
                    let counts = witness.put(i, cpu, mem, q, &racks, n, per_rack(n, racks.len()));
                    let total: usize = counts.iter().map(|c| c.1).sum();
                    (total - counts.iter().map(|c| c.1).max().unwrap_or(0)) as u32
                }
            };
            if min[i] > 0 {
                break;
            }
            // No room left for replicas this size: smaller ones, then fewer.
            witness.undo(start, cpu, mem);
            if drawn[i].1 > 0.5 {
                drawn[i].1 /= 2.0;
            } else if n > 2 {
                n = 2;
            } else {
                break;
            }
        }
        if min[i] == 0 {
            starved.push(i);
        }
    }
    let services = drawn
        .iter()
        .enumerate()
        .map(|(i, &(kind, cpu, mem_per_cpu, weight))| Service {
            name: format!("svc{:0w$}", i + 1, w = w),
            min: min[i],
            cpu,
            mem_per_cpu,
            requires: mask(kind),
            dc_survive: kind == Kind::Dc,
            large: false,
            weight,
            pinned: kind == Kind::Pinned,
            rows: false,
            max: None,
        })
        .collect::<Vec<_>>();
    if !starved.is_empty() {
        let names: Vec<&str> = starved
            .iter()
            .take(10)
            .map(|&i| services[i].name.as_str())
            .collect();
        eprintln!(
            "genfleet: warning: {} service(s) found no room in the witness placement and ask for min_replicas 0: {}",
            starved.len(),
            names.join(", ")
        );
    }
    (
        services,
        Placement {
            rows: witness.rows,
            failed: Vec::new(),
        },
    )
}

/// The simple greedy spread people do by hand, and `plan`'s baseline: largest
/// service first, one replica at a time on the least-loaded rack (cpu reserved
/// over its active servers' cpu), on that rack's server with the most free cpu
/// that fits, until no failure set of the service's words takes more than the
/// replicas beyond min_replicas (or max_replicas is reached, or nothing fits).
/// It does not look at power, nor at which servers a failure takes down before
/// it places a replica there.
fn greedy_spread(inventory: &Inventory, services: &Services) -> fp::Placement {
    let topology = Topology::new(inventory);
    let set = ScenarioSet::expand(inventory, &services.all_words(), DEFAULT_ENUMERATION_LIMIT);
    // Per server: the (scenario, word) pairs whose scenario takes it down.
    let mut hits: Vec<Vec<(usize, usize)>> = vec![Vec::new(); inventory.servers.len()];
    for (i, scenario) in set.scenarios.iter().enumerate() {
        let words: Vec<usize> = scenario
            .words
            .iter()
            .filter(|m| !m.dominated)
            .map(|m| m.word)
            .collect();
        if words.is_empty() {
            continue;
        }
        for s in topology.impact(&scenario.failed).down {
            hits[s.index()].extend(words.iter().map(|&w| (i, w)));
        }
    }
    let active = |s: ServerId| inventory.server(s).status == Status::Active;
    let rack_cpu: Vec<f64> = inventory
        .racks
        .iter()
        .map(|r| {
            r.servers
                .iter()
                .filter(|&&s| active(s))
                .map(|&s| inventory.server(s).cpu)
                .sum()
        })
        .collect();
    let mut rack_used = vec![0f64; inventory.racks.len()];
    let mut free_cpu: Vec<f64> = inventory.servers.iter().map(|s| s.cpu).collect();
    let mut free_mem: Vec<f64> = inventory.servers.iter().map(|s| s.mem_gb).collect();
    let mut on = vec![0u32; inventory.servers.len()];
    let mut loss = vec![0u32; set.scenarios.len()];
    let key = |used: f64, cap: f64| ((used / cap) * 1e9) as u64;

    let mut order: Vec<ServiceId> = services.ids().collect();
    let size = |id: ServiceId| {
        let s = services.service(id);
        s.cpu * f64::from(s.min_replicas)
    };
    order.sort_by(|a, b| size(*b).total_cmp(&size(*a)).then(a.cmp(b)));
    let mut replicas = Vec::new();
    for id in order {
        let service = services.service(id);
        let words: Vec<usize> = service
            .survive
            .iter()
            .filter_map(|w| set.words.iter().position(|x| x == w))
            .collect();
        let mut heap: BinaryHeap<Reverse<(u64, usize)>> = inventory
            .racks
            .iter()
            .enumerate()
            .filter(|(r, _)| rack_cpu[*r] > 0.0)
            .map(|(r, _)| Reverse((key(rack_used[r], rack_cpu[r]), r)))
            .collect();
        let mut placed: Vec<ServerId> = Vec::new();
        let mut touched = Vec::new();
        let mut worst = 0;
        loop {
            let count = placed.len() as u32;
            if count >= service.min_replicas && count - worst >= service.min_replicas {
                break;
            }
            if service.max_replicas.is_some_and(|m| count >= m) {
                break;
            }
            let Some(Reverse((k, r))) = heap.pop() else {
                break;
            };
            if k != key(rack_used[r], rack_cpu[r]) {
                heap.push(Reverse((key(rack_used[r], rack_cpu[r]), r)));
                continue;
            }
            let mut pick: Option<ServerId> = None;
            for &s in &inventory.racks[r].servers {
                let server = inventory.server(s);
                if !active(s)
                    || !server.has_labels(&service.requires)
                    || on[s.index()] >= service.max_per_server
                    || free_cpu[s.index()] + 1e-9 < service.cpu
                    || free_mem[s.index()] + 1e-9 < service.mem_gb
                {
                    continue;
                }
                if pick.is_none_or(|p| free_cpu[s.index()] > free_cpu[p.index()]) {
                    pick = Some(s);
                }
            }
            let Some(s) = pick else {
                continue;
            };
            free_cpu[s.index()] -= service.cpu;
            free_mem[s.index()] -= service.mem_gb;
            rack_used[r] += service.cpu;
            on[s.index()] += 1;
            placed.push(s);
            let mut last = usize::MAX;
            for &(i, w) in &hits[s.index()] {
                // A scenario listed under two of the service's words counts once.
                if i != last && words.contains(&w) {
                    last = i;
                    if loss[i] == 0 {
                        touched.push(i);
                    }
                    loss[i] += 1;
                    worst = worst.max(loss[i]);
                }
            }
            heap.push(Reverse((key(rack_used[r], rack_cpu[r]), r)));
        }
        for i in touched {
            loss[i] = 0;
        }
        for s in placed {
            on[s.index()] = 0;
            replicas.push(Replica {
                service: id,
                server: s,
                line: 0,
            });
        }
    }
    fp::Placement {
        file: None,
        replicas,
    }
    .sorted()
}

/// "N errors (code × count, ...)" of a check report.
fn summarize(report: &faultplan::verify::Report) -> String {
    let mut codes: Vec<(&str, usize)> = Vec::new();
    for f in report
        .findings
        .iter()
        .filter(|f| f.kind.severity() == Severity::Error)
    {
        let code = f.kind.code();
        match codes.iter_mut().find(|(c, _)| *c == code) {
            Some((_, n)) => *n += 1,
            None => codes.push((code, 1)),
        }
    }
    codes.sort_unstable();
    let list: Vec<String> = codes.iter().map(|(c, n)| format!("{c} × {n}")).collect();
    if list.is_empty() {
        format!("{} errors", report.errors())
    } else {
        format!("{} errors ({})", report.errors(), list.join(", "))
    }
}

/// The witness as written to placement.csv; read back from the file unless
/// it has more rows than faultplan reads (a region's), then from `rows`.
fn witness(
    out: &Path,
    inventory: &Inventory,
    services: &Services,
    rows: &[(&str, &str)],
) -> Result<fp::Placement, String> {
    if rows.len() <= faultplan::inventory::limits::CSV_ROWS {
        let path = out.join("placement.csv");
        return fp::Placement::load(&path, inventory, services).map_err(|e| e.to_string());
    }
    let replicas = rows
        .iter()
        .map(|&(service, server)| {
            let service = services
                .lookup(service)
                .ok_or(format!("no service {service}"))?;
            match inventory.lookup(server) {
                Some(fp::Component::Server(server)) => Ok(Replica {
                    service,
                    server,
                    line: 0,
                }),
                _ => Err(format!("no server {server}")),
            }
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(fp::Placement {
        file: None,
        replicas,
    }
    .sorted())
}

/// Loads the written fleet with the faultplan library, checks the generator's
/// placement and writes and checks the greedy spread's. Returns whether the
/// generator's placement (if any) passed.
fn check_with_library(
    out: &Path,
    placement: Option<Vec<(&str, &str)>>,
    baseline: Option<&Path>,
) -> Result<bool, String> {
    let inventory = Inventory::load(out).map_err(|e| e.to_string())?;
    let services =
        Services::load(&out.join("services.toml"), &inventory).map_err(|e| e.to_string())?;
    let mut passed = true;
    if let Some(rows) = placement {
        let witness = witness(out, &inventory, &services, &rows)?;
        let report = check(&inventory, &services, &witness, CheckOptions::default());
        passed = report.passed();
        eprintln!(
            "genfleet: placement.csv (witness): check {}: {}",
            if passed { "passes" } else { "FAILS" },
            summarize(&report)
        );
    }
    if let Some(path) = baseline {
        let spread = greedy_spread(&inventory, &services);
        let text = faultplan::export::placement_csv(&inventory, &services, &spread);
        fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))?;
        let report = check(&inventory, &services, &spread, CheckOptions::default());
        let reserved: f64 = spread
            .replicas
            .iter()
            .map(|r| services.service(r.service).cpu)
            .sum();
        eprintln!(
            "genfleet: {} (greedy spread): {} replicas, {} cpu reserved; check {}: {}",
            path.display(),
            spread.replicas.len(),
            num(reserved),
            if report.passed() { "passes" } else { "fails" },
            summarize(&report)
        );
    }
    Ok(passed)
}

fn main() -> ExitCode {
    run(Args::parse())
}

/// The tests' way in (tests/it/fit.rs includes this file): the same as
/// `genfleet ARGS...` on the command line; true when it wrote the fleet.
#[allow(dead_code)]
pub fn generate(args: &[&str]) -> bool {
    let argv = std::iter::once("genfleet").chain(args.iter().copied());
    run(Args::parse_from(argv)) == ExitCode::SUCCESS
}

fn run(args: Args) -> ExitCode {
    let start = Instant::now();
    let cfg = match resolve(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("genfleet: {e}");
            return ExitCode::from(2);
        }
    };
    if let Err(e) = fs::create_dir_all(&args.out) {
        eprintln!("genfleet: {}: {e}", args.out.display());
        return ExitCode::from(2);
    }
    let mut fleet_rng = ChaCha8Rng::seed_from_u64(cfg.seed);
    let mut svc_rng = ChaCha8Rng::seed_from_u64(cfg.seed);
    svc_rng.set_stream(1);

    let fleet = gen_fleet(&cfg, &mut fleet_rng);
    let caps = pdu_capacities(&fleet, cfg.tightness);
    let (services, placement) = match cfg.tightness {
        Some(t) => {
            let (mut services, witness) = gen_tight(&cfg, &fleet, &caps, t, &mut svc_rng);
            if cfg.incident {
                let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
                rng.set_stream(2);
                incident::apply(&fleet, &mut services, &witness, &mut rng);
            }
            (services, cfg.placement.then_some(witness))
        }
        None => {
            let elig = eligibility(&fleet);
            let services = gen_services(&cfg, &fleet, &elig, &mut svc_rng);
            let placement = cfg.placement.then(|| place(&fleet, &elig, &services));
            (services, placement)
        }
    };
    if let Err(e) = write_all(
        &cfg,
        &args.out,
        &fleet,
        &services,
        placement.as_ref(),
        &caps,
    ) {
        eprintln!("genfleet: {e}");
        return ExitCode::from(2);
    }

    let fleet_cpu: f64 = fleet
        .servers
        .iter()
        .map(|s| SHAPES[s.shape].cpu as f64)
        .sum();
    let wanted = requested_cpu(&services);
    let maint = fleet.servers.iter().filter(|s| s.maintenance).count();
    let single = fleet.servers.iter().filter(|s| !s.dual_psu).count();
    let rooms: usize = fleet.dcs.iter().map(|d| d.rooms).sum();
    let mut line = format!(
        "genfleet: {} servers ({} single-PSU, {} maintenance), {} racks, {} rooms, {} datacenters, {} services; \
         fleet cpu {}, min_replicas cpu {} (load {:.3})",
        fleet.servers.len(),
        single,
        maint,
        fleet.racks.len(),
        rooms,
        fleet.dcs.len(),
        services.len(),
        num(fleet_cpu),
        num(wanted),
        wanted / fleet_cpu,
    );
    if let Some(p) = &placement {
        let placed: f64 = p.rows.iter().map(|&(si, _)| services[si].cpu).sum::<f64>() + 0.0;
        let _ = write!(
            line,
            "; placed {} replicas, {} cpu ({:.3})",
            p.rows.len(),
            num(placed),
            placed / fleet_cpu
        );
    }
    if let Some(t) = cfg.tightness {
        let _ = write!(line, "; tightness {t}");
    }
    let _ = write!(
        line,
        "; {:.2} s -> {}",
        start.elapsed().as_secs_f64(),
        args.out.display()
    );
    eprintln!("{line}");
    if cfg.tightness.is_some() || args.baseline_placement.is_some() {
        let rows = placement.as_ref().map(|p| {
            p.rows
                .iter()
                .map(|&(si, s)| (services[si].name.as_str(), fleet.servers[s].id.as_str()))
                .collect()
        });
        match check_with_library(&args.out, rows, args.baseline_placement.as_deref()) {
            Ok(true) => {}
            Ok(false) => return ExitCode::from(1),
            Err(e) => {
                eprintln!("genfleet: {e}");
                return ExitCode::from(2);
            }
        }
    }
    if let Some(p) = &placement {
        if !p.failed.is_empty() {
            eprintln!(
                "genfleet: error: {} service(s) could not be fully placed (placement.csv is not valid): {}",
                p.failed.len(),
                p.failed.iter().take(10).cloned().collect::<Vec<_>>().join(", ")
            );
            return ExitCode::from(1);
        }
    }
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(args: &[&str]) -> Config {
        let args = Args::try_parse_from(["genfleet", "--out", "x"].iter().chain(args))
            .expect("valid arguments");
        resolve(&args).expect("valid sizes")
    }

    #[test]
    fn the_region_presets_are_tight_regions_unless_told_otherwise() {
        let c = config(&["--preset", "region200k"]);
        assert_eq!(
            (c.servers, c.racks, c.dcs, c.services),
            (200_000, 5_000, 20, 6_000)
        );
        assert_eq!(c.tightness, Some(0.3));
        let c = config(&["--preset", "region"]);
        assert_eq!(
            (c.servers, c.racks, c.dcs, c.services),
            (1_000_000, 25_000, 50, 30_000)
        );
        assert_eq!(c.tightness, Some(0.3));
        assert_eq!(
            config(&["--preset", "region", "--tightness", "0.5"]).tightness,
            Some(0.5)
        );
        assert_eq!(
            config(&["--preset", "region", "--load", "0.5"]).tightness,
            None
        );
        assert_eq!(config(&["--preset", "huge"]).tightness, None);
    }
}
