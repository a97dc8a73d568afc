//! pdu_room: one datacenter room where every rack has an A and a B PDU, the
//! shape of issue 11, for benchmarking `power:<P>%:pdu` families.
//!
//! ```text
//! cargo run --release --example pdu_room -- --racks 24 --out /tmp/room24
//! faultplan check /tmp/room24 --placement /tmp/room24/placement.csv
//! ```
//!
//! - datacenter `dc1`, racks `r001`..; two roots `utility-a` and `utility-b`;
//!   per rack a PDU `rNNN-a` fed by utility-a and `rNNN-b` fed by utility-b,
//!   all PDUs of equal capacity;
//! - two dual-fed servers per rack (`rNNN-s1`, `rNNN-s2`, one PSU on each
//!   PDU), 200 W idle, 500 W at full cpu;
//! - one service `svc` with one replica per rack (on `rNNN-s1`), using all the
//!   server's cpu, `min_replicas` = racks / 2 and `survive = ["power:50%:pdu"]`:
//!   half the PDUs can take down both PDUs of half the racks, so it holds
//!   exactly.
//!
//! Every PDU's limit (80% of capacity) holds its rack at full draw when the
//! other side has failed, so `check` passes. With `--tight`, PDUs are rated so
//! that they do not: `check` fails with `power-overload` naming the worst set.
//! Uses only the standard library; the same arguments give the same bytes.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

const IDLE_W: u32 = 200;
const MAX_W: u32 = 500;

fn main() -> ExitCode {
    let mut racks: Option<usize> = None;
    let mut out: Option<PathBuf> = None;
    let mut tight = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--racks" => racks = args.next().and_then(|v| v.parse().ok()),
            "--out" => out = args.next().map(PathBuf::from),
            "--tight" => tight = true,
            _ => {
                eprintln!("usage: pdu_room --racks N --out DIR [--tight]");
                return ExitCode::from(2);
            }
        }
    }
    let (Some(racks), Some(out)) = (racks.filter(|r| *r >= 2), out) else {
        eprintln!("usage: pdu_room --racks N --out DIR [--tight] (N >= 2)");
        return ExitCode::from(2);
    };
    match write(racks, &out, tight) {
        Ok(()) => {
            println!(
                "wrote {} racks, {} PDUs, {} servers to {}",
                racks,
                2 * racks,
                2 * racks,
                out.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {}: {e}", out.display());
            ExitCode::from(2)
        }
    }
}

fn write(racks: usize, out: &std::path::Path, tight: bool) -> std::io::Result<()> {
    std::fs::create_dir_all(out)?;
    let rack_w = 2 * MAX_W;
    // The limit is 80%: rated at 125% of a rack at full draw, a PDU carries its
    // whole rack; rated at 80%, its 640 W limit is below the rack's 700 W
    // (one busy server, one idle).
    let pdu_w = if tight {
        rack_w * 4 / 5
    } else {
        rack_w * 5 / 4
    };
    let utility_w = racks as u32 * rack_w * 5 / 4;
    let mut racks_csv = String::from("id,datacenter\n");
    let mut power = String::from("id,datacenter,kind,feeds_from,capacity_w\n");
    writeln!(power, "utility-a,dc1,utility,,{utility_w}").unwrap();
    writeln!(power, "utility-b,dc1,utility,,{utility_w}").unwrap();
    let mut servers = String::from("id,rack,cpu,mem_gb,psu,idle_w,max_w\n");
    let mut placement = String::from("service,server\n");
    for r in 1..=racks {
        let rack = format!("r{r:03}");
        writeln!(racks_csv, "{rack},dc1").unwrap();
        for side in ["a", "b"] {
            writeln!(power, "{rack}-{side},dc1,pdu,utility-{side},{pdu_w}").unwrap();
        }
        for s in 1..=2 {
            writeln!(
                servers,
                "{rack}-s{s},{rack},16,64,{rack}-a;{rack}-b,{IDLE_W},{MAX_W}"
            )
            .unwrap();
        }
        writeln!(placement, "svc,{rack}-s1").unwrap();
    }
    let services = format!(
        "[[service]]\nname = \"svc\"\nmin_replicas = {}\ncpu = 16\nsurvive = [\"power:50%:pdu\"]\n",
        racks / 2
    );
    std::fs::write(out.join("datacenters.csv"), "id\ndc1\n")?;
    std::fs::write(out.join("racks.csv"), racks_csv)?;
    std::fs::write(out.join("power.csv"), power)?;
    std::fs::write(out.join("servers.csv"), servers)?;
    std::fs::write(out.join("services.toml"), services)?;
    std::fs::write(out.join("placement.csv"), placement)
}
