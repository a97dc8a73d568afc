//! `faultplan export`: a placement as a manifest for deploy tooling (JSON,
//! Ansible, Kubernetes or CSV), printed or written atomically.

use faultplan::export;
use faultplan::inventory::Placement;

use super::args::{ExportArgs, ExportFormat};
use super::exit::Failure;
use super::io::{check_outputs, load, print, run_inputs, write_atomic};

pub(super) fn run(args: ExportArgs) -> Result<(), Failure> {
    let out = args.out.as_deref();
    if let Some(out) = out {
        let mut inputs = run_inputs(&args.inventory, &args.common, None);
        inputs.push(args.placement.clone());
        check_outputs(&inputs, &[("--out", out)])?;
    }
    let (inventory, services) = load(&args.inventory, &args.common)?;
    let placement = Placement::load(&args.placement, &inventory, &services)?;
    let text = match args.format {
        ExportFormat::Json => export::manifest_json(&inventory, &services, &placement, None),
        ExportFormat::Ansible => export::ansible_json(&inventory, &services, &placement)?,
        ExportFormat::AnsibleIni => export::ansible_ini(&inventory, &services, &placement)?,
        ExportFormat::Kubernetes => export::kubernetes_list(&inventory, &services, &placement)?,
        ExportFormat::Csv => export::safe_placement_csv(&inventory, &services, &placement)?,
    };
    match out {
        Some(out) => write_atomic(&[(out, text)]),
        None => print(&text),
    }
}
