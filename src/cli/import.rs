//! `faultplan import netbox`: read NetBox, map, and write the inventory folder
//! all at once or not at all (`import kubernetes` is import_kubernetes.rs).

use std::path::{Path, PathBuf};

use faultplan::import::netbox::{self, Api, Fields, Models, Options};
use faultplan::import::InventoryFiles;
use faultplan::inventory::{InputError, Location};

use super::args::{NetboxArgs, Source};
use super::exit::Failure;
use super::io::{folder_of, print, write_atomic};

pub(super) fn run(source: Source) -> Result<(), Failure> {
    match source {
        Source::Netbox(args) => netbox(&args),
        Source::Kubernetes(args) => super::import_kubernetes::run(&args),
    }
}

fn netbox(args: &NetboxArgs) -> Result<(), Failure> {
    let replace = check_out(&args.out, args.force)?;
    let options = options(args)?;
    let (data, origin) = match (&args.from, &args.url) {
        (Some(dir), _) => (netbox::from_dir(dir)?, dir.display().to_string()),
        (None, Some(url)) => {
            let token = token(args.token.as_deref())?;
            let api = Api {
                url: url.clone(),
                token,
                page_size: args.page_size,
            };
            (api.fetch()?, url.clone())
        }
        (None, None) => unreachable!("clap requires --url or --from"),
    };
    let imported = netbox::map(&data, &options, &origin)?;
    write_folder(&args.out, &imported.files, replace)?;
    print(&format!(
        "wrote {} ({})\n{}",
        args.out.display(),
        imported
            .files
            .0
            .iter()
            .map(|(name, _)| *name)
            .collect::<Vec<_>>()
            .join(", "),
        imported.summary
    ))
}

/// How NetBox's objects map to the inventory: which roles are servers, which
/// custom fields hold the numbers, and the numbers by device type.
fn options(args: &NetboxArgs) -> Result<Options, Failure> {
    Ok(Options {
        roles: if args.roles.is_empty() {
            Options::default().roles
        } else {
            args.roles.clone()
        },
        fields: Fields {
            cpu: args.cpu_field.clone(),
            mem_gb: args.mem_field.clone(),
            idle_w: args.idle_field.clone(),
            max_w: args.max_field.clone(),
        },
        models: match &args.models {
            Some(path) => Models::load(path)?,
            None => Models::default(),
        },
    })
}

/// The API token: --token, else NETBOX_TOKEN; a blank one is refused.
fn token(given: Option<&str>) -> Result<String, Failure> {
    match given
        .map(str::to_string)
        .or_else(|| std::env::var("NETBOX_TOKEN").ok())
    {
        Some(token) if !token.trim().is_empty() => Ok(token.trim().to_string()),
        _ => Err(InputError::new(
            Location::file(Path::new("--token")),
            "no NetBox API token: set NETBOX_TOKEN (or give --token)",
        )
        .into()),
    }
}

/// Refuses, before anything is read, an --out that is a file or a folder with
/// content (unless --force). Whether the folder's files are replaced in place.
fn check_out(out: &Path, force: bool) -> Result<bool, Failure> {
    let error = |message: &str| -> Failure {
        InputError::new(Location::file(out), format!("--out: {message}")).into()
    };
    if out.exists() && !out.is_dir() {
        return Err(error(
            "not a folder; expected the inventory folder to write",
        ));
    }
    let folder = folder_of(out);
    if !folder.is_dir() {
        return Err(error(&format!(
            "cannot write here: the folder \"{}\" does not exist",
            folder.display()
        )));
    }
    let has_content = out.is_dir()
        && std::fs::read_dir(out)
            .map_err(|e| error(&format!("cannot read the folder: {e}")))?
            .next()
            .is_some();
    if has_content && !force {
        return Err(error(
            "the folder is not empty; --force replaces its inventory files (datacenters.csv, racks.csv, power.csv, servers.csv) and keeps the rest",
        ));
    }
    Ok(has_content)
}

/// A new folder is written in full next to `out` and renamed into place, so
/// that it appears complete or not at all; an existing one has its four files
/// replaced together (a failed rename puts the old ones back).
fn write_folder(out: &Path, files: &InventoryFiles, replace: bool) -> Result<(), Failure> {
    if replace {
        let paths: Vec<(PathBuf, String)> = files
            .0
            .iter()
            .map(|(name, text)| (out.join(name), text.clone()))
            .collect();
        let refs: Vec<(&Path, String)> = paths
            .iter()
            .map(|(path, text)| (path.as_path(), text.clone()))
            .collect();
        return write_atomic(&refs);
    }
    let fail = |e: std::io::Error| -> Failure {
        InputError::new(Location::file(out), format!("cannot write the folder: {e}")).into()
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".faultplan-");
    #[cfg(unix)]
    {
        // As an ordinary new folder would be (the umask applies).
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o777));
    }
    let staging = builder.tempdir_in(folder_of(out)).map_err(fail)?;
    for (name, text) in &files.0 {
        let path = staging.path().join(name);
        std::fs::write(&path, text)
            .and_then(|()| std::fs::File::open(&path)?.sync_all())
            .map_err(fail)?;
    }
    // Renaming onto an empty folder replaces it; `staging` is removed on error.
    std::fs::rename(staging.path(), out).map_err(fail)?;
    let _ = staging.keep();
    Ok(())
}
