//! Inputs far beyond any real fleet fail fast, with a message that states the
//! limit (docs/formats.md, Limits), in bounded memory. The big inputs are made
//! here, never committed; the runs happen under a 256 MiB address-space limit,
//! so a reader that loaded them whole would fail to allocate instead of passing.

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::support::{baseline, check_args, faultplan, CHECK, INV};

/// Runs `faultplan check` on the inventory in `dir` under a 256 MiB
/// address-space limit; returns (exit code, stderr, seconds).
fn check_bounded(dir: &Path) -> (i32, String, Duration) {
    let program = faultplan(dir).get_program().to_owned();
    let start = Instant::now();
    let output = std::process::Command::new("sh")
        .current_dir(dir)
        .arg("-c")
        .arg("ulimit -v 262144 && exec \"$0\" \"$@\"")
        .arg(program)
        .args(CHECK)
        .output()
        .unwrap();
    let code = output
        .status
        .code()
        .expect("exits with a code, not killed by a signal");
    (
        code,
        String::from_utf8(output.stderr).unwrap(),
        start.elapsed(),
    )
}

#[track_caller]
fn fails_fast(dir: &Path, expected: &str) {
    let (code, stderr, took) = check_bounded(dir);
    assert_eq!(
        (code, stderr.as_str()),
        (2, format!("error: {expected}\n").as_str())
    );
    assert!(took < Duration::from_secs(10), "took {took:?}");
}

#[cfg(unix)]
#[test]
fn a_one_gigabyte_csv_is_refused_without_reading_it() {
    let tmp = baseline().write();
    let file = std::fs::File::create(tmp.path().join("inv/servers.csv")).unwrap();
    // Sparse: a 1 GiB file that costs no disk.
    file.set_len(1 << 30).unwrap();
    fails_fast(
        tmp.path(),
        "inv/servers.csv: the file is larger than 64 MiB, faultplan's limit for this file (see docs/formats.md, Limits)",
    );
}

#[cfg(unix)]
#[test]
fn an_endless_stream_is_cut_at_the_limit() {
    // A device (or pipe) has no size to check first: reading stops at the limit.
    let tmp = baseline().write();
    let racks = tmp.path().join("inv/racks.csv");
    std::fs::remove_file(&racks).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &racks).unwrap();
    fails_fast(
        tmp.path(),
        "inv/racks.csv: the file is larger than 64 MiB, faultplan's limit for this file (see docs/formats.md, Limits)",
    );
}

#[test]
fn a_line_of_a_million_fields_is_refused() {
    let tmp = baseline().write();
    let fields = vec!["x"; 1_000_000].join(",");
    let mut header = String::from("id,rack,cpu,mem_gb,psu,");
    header.push_str(&fields);
    std::fs::write(tmp.path().join("inv/servers.csv"), header + "\n").unwrap();
    fails_fast(
        tmp.path(),
        "inv/servers.csv:1: this line has 1000005 fields; the limit is 1000 (see docs/formats.md, Limits)",
    );
    let mut rows = String::from("id,rack,cpu,mem_gb,psu\ns1,r1,8,32,pa\n");
    rows.push_str(&fields);
    std::fs::write(tmp.path().join("inv/servers.csv"), rows + "\n").unwrap();
    fails_fast(
        tmp.path(),
        "inv/servers.csv:3: this line has 1000000 fields; the limit is 1000 (see docs/formats.md, Limits)",
    );
}

#[test]
fn many_unknown_columns_cost_no_memory() {
    // 998 note columns on 20,000 rows (20 MB): only the known columns are kept.
    let tmp = baseline().write();
    let mut file = std::io::BufWriter::new(
        std::fs::File::create(tmp.path().join("inv/placement.csv")).unwrap(),
    );
    let notes = ",".repeat(997);
    let names: Vec<String> = (0..998).map(|i| format!("note{i}")).collect();
    writeln!(file, "service,server,{}", names.join(",")).unwrap();
    for i in 0..20_000 {
        let server = ["s1", "s2", "s3"][i % 3];
        writeln!(file, "web,{server},note{notes}").unwrap();
    }
    file.flush().unwrap();
    drop(file);
    let (code, stderr, took) = check_bounded(tmp.path());
    // Exit 1: 20,000 replicas break max_per_server; what matters is that it ran.
    assert_eq!(code, 1, "{stderr}");
    assert!(took < Duration::from_secs(60), "took {took:?}");
}

#[test]
fn a_million_services_are_refused() {
    let tmp = baseline().write();
    let mut file = std::io::BufWriter::new(
        std::fs::File::create(tmp.path().join("inv/services.toml")).unwrap(),
    );
    for i in 0..1_000_000 {
        writeln!(
            file,
            "[[service]]\nname = \"s{i}\"\nmin_replicas = 1\ncpu = 1"
        )
        .unwrap();
    }
    file.flush().unwrap();
    drop(file);
    fails_fast(
        tmp.path(),
        "inv/services.toml: the file is larger than 4 MiB, faultplan's limit for this file (see docs/formats.md, Limits)",
    );
    // Within the size limit, the count is limited too.
    std::fs::write(
        tmp.path().join("inv/services.toml"),
        "[[service]]\n".repeat(100_001),
    )
    .unwrap();
    fails_fast(
        tmp.path(),
        "inv/services.toml: 100001 services; faultplan's limit is 100000 (see docs/formats.md, Limits)",
    );
}

#[test]
fn a_cell_listing_many_items_is_read_in_linear_time() {
    let labels: Vec<String> = (0..200_000).map(|i| format!("l{i}")).collect();
    let inv = baseline().edit(
        "servers.csv",
        "s1,r1,8,32,pa;pb,100,200,ssd,",
        &format!("s1,r1,8,32,pa;pb,100,200,{},", labels.join(";")),
    );
    let start = Instant::now();
    let run = inv.run(&CHECK);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn counts_that_would_wrap_are_refused_with_the_limit() {
    // Issue 12: 2147483648 wrapped a u32 in plan's arithmetic.
    let inv = baseline().services(
        r#"
        [[service]]
        name = "web"
        min_replicas = 2000000
        max_replicas = 4000000
        cpu = 0
        max_per_server = 2147483648
        "#,
    );
    let run = inv.run(&["plan", INV, "--out", "p.csv"]);
    assert_eq!(
        (run.code, run.stderr.as_str()),
        (
            2,
            "error: inv/services.toml:3:16: `min_replicas` = 2000000 is above faultplan's limit of 1000000 (see docs/formats.md, Limits)\n\
             error: inv/services.toml:4:16: `max_replicas` = 4000000 is above faultplan's limit of 1000000 (see docs/formats.md, Limits)\n\
             error: inv/services.toml:6:18: `max_per_server` = 2147483648 is above faultplan's limit of 1000 (see docs/formats.md, Limits)\n"
        )
    );
}

#[test]
fn numbers_beyond_the_limit_are_refused_and_numbers_below_print_as_they_are() {
    let inv = baseline().edit(
        "power.csv",
        "u2,dc2,utility,,10000,",
        "u2,dc2,utility,,1e20,",
    );
    let run = inv.run(&CHECK);
    assert_eq!(
        (run.code, run.stderr.as_str()),
        (
            2,
            "error: inv/power.csv:6:5: column \"capacity_w\": 1e20 is above faultplan's limit of 1000000000000000 for a number (see docs/formats.md, Limits)\n\
             error: inv/power.csv:7:4: column \"feeds_from\": power component \"u2\" cannot be used: its own row (inv/power.csv:6:1) has an error\n"
        )
    );
    // At the limit, a number is accepted (report::num prints it in full).
    let inv = baseline().edit(
        "power.csv",
        "u2,dc2,utility,,10000,",
        "u2,dc2,utility,,1e15,",
    );
    let run = inv.run(&check_args(&["--format", "json"]));
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn whole_numbers_beyond_the_limit_are_refused() {
    let inv = baseline().racks(
        "
        id,datacenter,room,u_height
        r1,dc1,a,4294967296
        r2,dc1,b,
        r3,dc2,
        ",
    );
    let run = inv.run(&CHECK);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.starts_with("error: inv/racks.csv:2:4: column \"u_height\": 4294967296 is above faultplan's limit of 1000000 for this column"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_million_bad_rows_report_the_first_thousand_errors() {
    let tmp = baseline().write();
    let mut file = std::io::BufWriter::new(
        std::fs::File::create(tmp.path().join("inv/placement.csv")).unwrap(),
    );
    writeln!(file, "service,server").unwrap();
    for i in 0..1_000_000 {
        writeln!(file, "web,x{i}").unwrap();
    }
    file.flush().unwrap();
    drop(file);
    let (code, stderr, took) = check_bounded(tmp.path());
    assert_eq!(code, 2);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1001, "{}", lines[lines.len() - 1]);
    assert_eq!(
        lines[0],
        "error: inv/placement.csv:2:2: column \"server\": unknown server \"x0\""
    );
    assert_eq!(
        lines[1000],
        "error: inv/placement.csv: 999000 more errors not shown (only the first 1000 are); fix these and run again"
    );
    assert!(took < Duration::from_secs(30), "took {took:?}");
}
