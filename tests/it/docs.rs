//! The command examples of docs/usage.md and docs/ci.md run as they are written, with trycmd:
//! each `$ faultplan ...` line runs against the shipped inventories and the
//! services files of docs/examples/, and what follows it is compared with the
//! output (stdout and stderr; `...` stands for elided lines, `? N` for a
//! non-zero exit code).
//!
//! Times and solve counts vary from run to run: the examples elide them with
//! `[..]`. The one block marked `console,ignore` (trycmd skips it) holds the
//! `--objective servers` and `balance` runs, which take their full 30 s time
//! limit and whose result depends on how far the solver gets in it; this test
//! runs it anyway and checks only its exit codes. So that the examples can
//! write their files, everything runs in trycmd's sandbox: a temporary copy of
//! the inputs the examples read.

use std::path::Path;

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// usage.md with each `plan` block made runnable: its output replaced by `...`
/// (any output), its `? N` exit code kept.
fn with_plan_exit_codes_only(markdown: &str) -> String {
    let mut out = Vec::new();
    let mut in_plan = false;
    for line in markdown.lines() {
        if line == "```console,ignore" {
            in_plan = true;
            out.push("```console".to_string());
            continue;
        }
        if in_plan {
            if line == "```" {
                in_plan = false;
                out.push(String::new());
                out.push(line.to_string());
            } else if line.starts_with("$ ") {
                assert!(
                    line.starts_with("$ faultplan plan "),
                    "only plan examples may be skipped: {line}"
                );
                out.push(line.to_string());
            } else if line.starts_with("? ") {
                out.push(line.to_string());
                out.push("...".to_string());
            } else if out.last().is_some_and(|l| l.starts_with("$ ")) {
                out.push("...".to_string());
            }
            continue;
        }
        out.push(line.to_string());
    }
    out.join("\n")
}

/// Runs the `console` blocks of `docs/<name>` with trycmd, from a sandbox that
/// holds copies of the inputs the examples read.
fn run_doc_examples(name: &str) {
    let root = crate::support::root();
    let tmp = tempfile::tempdir().unwrap();
    let stem = name.trim_end_matches(".md");
    let inputs = tmp.path().join(format!("{stem}.in"));
    copy_dir(&root.join("inventories"), &inputs.join("inventories"));
    copy_dir(&root.join("docs/examples"), &inputs.join("docs/examples"));
    copy_dir(
        &root.join("tests/fixtures/netbox"),
        &inputs.join("tests/fixtures/netbox"),
    );
    // An `.out` folder next to the case asks trycmd for a sandbox.
    std::fs::create_dir(tmp.path().join(format!("{stem}.out"))).unwrap();
    let markdown = std::fs::read_to_string(root.join("docs").join(name)).unwrap();
    let case = tmp.path().join(name);
    std::fs::write(&case, with_plan_exit_codes_only(&markdown)).unwrap();
    // The examples show stderr as a quick run leaves it; a loaded machine
    // must not add a progress line (tests/it/progress.rs tests those).
    trycmd::TestCases::new()
        .env("FAULTPLAN_PROGRESS_SECS", "3600")
        .register_bin(
            "faultplan",
            std::path::Path::new(env!("CARGO_BIN_EXE_faultplan")),
        )
        .case(case);
}

#[test]
fn usage_examples_run_as_written() {
    run_doc_examples("usage.md");
}

/// ci.md's commands name the shipped inventories, so they run in a clone.
#[test]
fn ci_examples_run_as_written() {
    run_doc_examples("ci.md");
}
