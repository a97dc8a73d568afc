//! `faultplan import kubernetes`: what runs on a cluster, from saved kubectl
//! output, written atomically as the placement `check --current` reads.

use faultplan::export::placement_csv;
use faultplan::import::kubernetes::{self, Options};

use super::args::KubernetesArgs;
use super::exit::Failure;
use super::io::{check_outputs, load, print, run_inputs, write_atomic};

pub(super) fn run(args: &KubernetesArgs) -> Result<(), Failure> {
    let mut inputs = run_inputs(&args.inventory, &args.common, None);
    inputs.extend([args.nodes.clone(), args.pods.clone()]);
    check_outputs(&inputs, &[("--out", &args.out)])?;
    let (inventory, services) = load(&args.inventory, &args.common)?;
    let nodes = kubernetes::read_nodes(&args.nodes)?;
    let pods = kubernetes::read_pods(&args.pods)?;
    let options = Options {
        service_label: args.service_label.clone(),
    };
    let running = kubernetes::running(&inventory, &services, &nodes, &pods, &options);
    {
        use std::io::Write;
        let mut stderr = std::io::stderr().lock();
        for warning in &running.warnings {
            let _ = writeln!(stderr, "warning: {warning}");
        }
    }
    let text = placement_csv(&inventory, &services, &running.placement);
    write_atomic(&[(&args.out, text)])?;
    let replicas = &running.placement.replicas;
    let count = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
    let mut services_seen: Vec<_> = replicas.iter().map(|r| r.service).collect();
    services_seen.dedup();
    let mut servers: Vec<_> = replicas.iter().map(|r| r.server).collect();
    servers.sort_unstable();
    servers.dedup();
    print(&format!(
        "wrote {}: {} of {} on {}, from {} ({} left out)\n",
        args.out.display(),
        count(replicas.len(), "replica"),
        count(services_seen.len(), "service"),
        count(servers.len(), "server"),
        count(running.pods, "pod"),
        running.pods - replicas.len(),
    ))
}
