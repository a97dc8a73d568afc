//! Reading and writing for every command: loading the inventory and services,
//! printing, refusing outputs that would clobber an input, and writing files
//! atomically. Progress on stderr is in progress.rs.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use faultplan::inventory::{InputError, Inventory, Location, Services};
use faultplan::report::{self, Width, DEFAULT_COLUMNS};

use super::args::{Common, Layout};
use super::exit::Failure;

pub(super) fn print(text: &str) -> Result<(), Failure> {
    let mut stdout = std::io::stdout().lock();
    // A closed pipe (`| head`) is not the user's input error; stop quietly.
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
    Ok(())
}

/// Prints human output at the width the user's terminal and --wide allow.
pub(super) fn print_human(text: &str, width: Width) -> Result<(), Failure> {
    print(&report::fit(text, width))
}

/// 100 columns, or fewer when $COLUMNS or the terminal says so; no limit
/// with --wide.
pub(super) fn width(layout: &Layout) -> Width {
    if layout.wide {
        return Width::Wide;
    }
    let terminal = std::io::stdout()
        .is_terminal()
        .then(|| comfy_table::Table::new().width())
        .flatten()
        .map(usize::from);
    let columns = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .or(terminal)
        // Narrower than this, no table fits however its cells wrap.
        .map_or(DEFAULT_COLUMNS, |c| c.clamp(40, DEFAULT_COLUMNS));
    Width::Columns(columns)
}

pub(super) fn load(inventory: &Path, common: &Common) -> Result<(Inventory, Services), Failure> {
    let inventory = Inventory::load(inventory)?;
    let services = load_services(&inventory, common)?;
    Ok((inventory, services))
}

pub(super) fn load_services(inventory: &Inventory, common: &Common) -> Result<Services, Failure> {
    let path = common
        .services
        .clone()
        .unwrap_or_else(|| inventory.dir.join("services.toml"));
    Ok(Services::load(&path, inventory)?)
}

/// Every file a run that loads `inventory` (and `current`) reads.
pub(super) fn run_inputs(
    inventory: &Path,
    common: &Common,
    current: Option<&Path>,
) -> Vec<PathBuf> {
    let mut inputs: Vec<PathBuf> = Inventory::FILES.iter().map(|f| inventory.join(f)).collect();
    inputs.push(
        common
            .services
            .clone()
            .unwrap_or_else(|| inventory.join("services.toml")),
    );
    inputs.extend(current.map(Path::to_path_buf));
    inputs
}

/// Refuses, before any solving, an output that would replace one of the run's
/// inputs or its other output (data lost without a word), or that cannot be
/// written (found only after a solve of up to 300 s otherwise).
pub(super) fn check_outputs(inputs: &[PathBuf], outputs: &[(&str, &Path)]) -> Result<(), Failure> {
    let mut errors = Vec::new();
    for (i, &(flag, out)) in outputs.iter().enumerate() {
        let error = |message: String| InputError::new(Location::file(out), message);
        let folder = folder_of(out);
        if !folder.is_dir() {
            let what = if folder.exists() {
                "is not a folder"
            } else {
                "does not exist"
            };
            errors.push(error(format!(
                "{flag}: cannot write here: the folder \"{}\" {what}",
                folder.display()
            )));
            continue;
        }
        if out.is_dir() {
            errors.push(error(format!(
                "{flag}: this is a folder; expected the path of a file to write"
            )));
            continue;
        }
        if let Some(input) = inputs.iter().find(|input| same_file(out, input)) {
            errors.push(error(format!(
                "{flag}: refusing to overwrite \"{}\", an input of this run; choose another output path",
                input.display()
            )));
            continue;
        }
        if let Some(&(other, _)) = outputs[..i].iter().find(|(_, o)| same_file(out, o)) {
            errors.push(error(format!(
                "{flag}: the same file as {other}, so one of the two outputs would be lost (the manifest goes to --json, by default --out with a .json extension); give each a path of its own"
            )));
            continue;
        }
        // The only honest test of "writable" is writing: permissions, read-only
        // mounts and ACLs all show up here rather than after the solve.
        if let Err(e) = tempfile::Builder::new()
            .prefix(".faultplan-")
            .tempfile_in(&folder)
        {
            errors.push(error(format!(
                "{flag}: cannot write in the folder \"{}\": {e}",
                folder.display()
            )));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.into())
    }
}

pub(super) fn folder_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Whether two paths name one file, through `..`, symbolic and hard links.
fn same_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    if let (Ok(ma), Ok(mb)) = (std::fs::metadata(a), std::fs::metadata(b)) {
        use std::os::unix::fs::MetadataExt;
        return (ma.dev(), ma.ino()) == (mb.dev(), mb.ino());
    }
    // A file that does not exist yet: compare where it would be created.
    let resolved = |p: &Path| -> Option<PathBuf> {
        if let Ok(path) = p.canonicalize() {
            return Some(path);
        }
        Some(folder_of(p).canonicalize().ok()?.join(p.file_name()?))
    };
    match (resolved(a), resolved(b)) {
        (Some(a), Some(b)) => a == b,
        _ => a == b,
    }
}

/// Writes every file through a temporary file in its folder, renamed into place
/// only once all of them are written; if a rename fails, the files already
/// renamed get their old content back (or are removed), so a run changes both
/// outputs or neither and a reader never sees half a file.
pub(super) fn write_atomic(files: &[(&Path, String)]) -> Result<(), Failure> {
    let fail = |path: &Path, e: std::io::Error| {
        Failure::Input(
            InputError::new(Location::file(path), format!("cannot write the file: {e}")).into(),
        )
    };
    let mut staged = Vec::new();
    for (path, text) in files {
        let mut builder = tempfile::Builder::new();
        builder.prefix(".faultplan-");
        // Readable as an ordinary new file would be (the umask applies), not the
        // owner-only mode temporary files get by default.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(std::fs::Permissions::from_mode(0o666));
        }
        let mut file = builder
            .tempfile_in(folder_of(path))
            .map_err(|e| fail(path, e))?;
        file.write_all(text.as_bytes())
            .and_then(|()| file.as_file().sync_all())
            .map_err(|e| fail(path, e))?;
        staged.push((*path, file));
    }
    let mut replaced: Vec<(&Path, Option<tempfile::NamedTempFile>)> = Vec::new();
    for (path, file) in staged {
        let outcome = backup(path).and_then(|old| match file.persist(path) {
            Ok(_) => Ok(old),
            Err(e) => Err(e.error),
        });
        match outcome {
            Ok(old) => replaced.push((path, old)),
            Err(e) => {
                for (path, old) in replaced.into_iter().rev() {
                    let _ = match old {
                        Some(old) => old.persist(path).map(drop).map_err(|e| e.error),
                        None => std::fs::remove_file(path),
                    };
                }
                return Err(fail(path, e));
            }
        }
    }
    Ok(())
}

/// A copy of the file at `path`, if there is one, next to it (so that restoring
/// it is a rename); deleted when dropped.
fn backup(path: &Path) -> std::io::Result<Option<tempfile::NamedTempFile>> {
    if !path.is_file() {
        return Ok(None);
    }
    let copy = tempfile::Builder::new()
        .prefix(".faultplan-old-")
        .tempfile_in(folder_of(path))?;
    std::fs::copy(path, copy.path())?;
    Ok(Some(copy))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_second_rename_restores_the_first_file() {
        let dir = tempfile::tempdir().unwrap();
        let csv = dir.path().join("out.csv");
        std::fs::write(&csv, "old csv").unwrap();
        // Renaming a file onto a non-empty folder fails after the CSV is in place.
        let json = dir.path().join("out.json");
        std::fs::create_dir(&json).unwrap();
        std::fs::write(json.join("keep"), "x").unwrap();
        let result = write_atomic(&[(&csv, "new csv".into()), (&json, "{}".into())]);
        assert!(matches!(result, Err(Failure::Input(_))));
        assert_eq!(std::fs::read_to_string(&csv).unwrap(), "old csv");
        let mut left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        assert_eq!(left, ["out.csv", "out.json"], "no temporary file is left");
    }

    #[test]
    fn a_failed_second_rename_removes_a_first_file_that_was_new() {
        let dir = tempfile::tempdir().unwrap();
        let csv = dir.path().join("out.csv");
        let json = dir.path().join("out.json");
        std::fs::create_dir(&json).unwrap();
        std::fs::write(json.join("keep"), "x").unwrap();
        assert!(write_atomic(&[(&csv, "new".into()), (&json, "{}".into())]).is_err());
        assert!(!csv.exists());
    }

    #[test]
    fn both_files_are_replaced_when_both_renames_succeed() {
        let dir = tempfile::tempdir().unwrap();
        let csv = dir.path().join("out.csv");
        let json = dir.path().join("out.json");
        std::fs::write(&csv, "old").unwrap();
        assert!(write_atomic(&[(&csv, "a".into()), (&json, "b".into())]).is_ok());
        assert_eq!(std::fs::read_to_string(&csv).unwrap(), "a");
        assert_eq!(std::fs::read_to_string(&json).unwrap(), "b");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
    }
}
