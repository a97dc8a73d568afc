//! Bad input: every mistake exits 2, prints `error: <file>:<line>:<column>: ...`
//! on stderr (nothing on stdout) and never panics (`run_in` asserts that).

use crate::support::{baseline, check_args, Inv, CHECK};

/// Runs `args` on `inv` and asserts exit 2 with exactly these error lines.
#[track_caller]
pub(crate) fn expect_errors_with(inv: &Inv, args: &[&str], expected: &[&str]) {
    let run = inv.run(args);
    let want: String = expected.iter().map(|l| format!("error: {l}\n")).collect();
    assert_eq!(
        (run.code, run.stderr.as_str(), run.stdout.as_str()),
        (2, want.as_str(), ""),
        "args {args:?}"
    );
}

#[track_caller]
pub(crate) fn expect_errors(inv: &Inv, expected: &[&str]) {
    expect_errors_with(inv, &CHECK, expected)
}

#[test]
fn baseline_is_valid_and_passes() {
    // Every test below breaks this inventory in one place: it must be clean itself.
    let run = baseline().run(&CHECK);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(run.stderr, "");
    assert!(
        run.stdout.ends_with("\nPASSED: 0 errors, 1 warning\n"),
        "{}",
        run.stdout
    );
}

// --- CSV structure -------------------------------------------------------------

#[test]
fn missing_required_column() {
    let inv = baseline().servers(
        "
        id,rack,cpu,mem_gb,idle_w
        s1,r1,8,32,100
        ",
    );
    expect_errors(
        &inv,
        &["inv/servers.csv:1: missing required column psu (the header has: id, rack, cpu, mem_gb, idle_w)"],
    );
}

#[test]
fn several_missing_columns_are_named_together() {
    let inv = baseline().power(
        "
        id,kind
        ua,utility
        ",
    );
    expect_errors(
        &inv,
        &["inv/power.csv:1: missing required columns datacenter, capacity_w (the header has: id, kind)"],
    );
}

#[test]
fn unknown_extra_columns_are_ignored() {
    let inv = baseline()
        .edit("servers.csv", "labels,status\n", "labels,status,notes\n")
        .edit(
            "servers.csv",
            "s1,r1,8,32,pa;pb,100,200,ssd,\n",
            "s1,r1,8,32,pa;pb,100,200,ssd,,bought 2019\n",
        )
        .edit(
            "racks.csv",
            "id,datacenter,room",
            "owner,id,datacenter,room",
        )
        .edit("racks.csv", "r1,dc1,a", "ops,r1,dc1,a")
        .edit("racks.csv", "r2,dc1,b", ",r2,dc1,b")
        .edit("racks.csv", "r3,dc2,", "x,r3,dc2,")
        .edit("placement.csv", "service,server", "server,comment,service")
        .edit("placement.csv", "web,s1", "s1,first,web")
        .edit("placement.csv", "web,s2", "s2,,web")
        .edit("placement.csv", "web,s3", "s3,third,web");
    // --wide: the summary line unwrapped, as the assertion quotes it.
    let run = inv.run(&crate::support::check_args(&["--wide"]));
    assert_eq!((run.code, run.stderr.as_str()), (0, ""), "{}", run.stdout);
    assert!(run
        .stdout
        .contains("(3 servers, 3 racks, 6 power components; 1 services, 3 replicas)"));
}

#[test]
fn empty_csv_file() {
    let inv = baseline().raw("racks.csv", b"");
    expect_errors(
        &inv,
        &["inv/racks.csv: the file is empty; expected a header line with the columns id, datacenter"],
    );
}

#[test]
fn row_with_more_fields_than_the_header() {
    let inv = baseline().edit("racks.csv", "r2,dc1,b", "r2,dc1,b,extra");
    expect_errors(
        &inv,
        &["inv/racks.csv:3:4: this row has 4 fields but the header has 3"],
    );
}

#[test]
fn header_naming_a_column_twice() {
    let inv = baseline().edit("racks.csv", "id,datacenter,room", "id,datacenter,id");
    expect_errors(
        &inv,
        &["inv/racks.csv:1:3: the header names column \"id\" twice"],
    );
}

#[test]
fn non_utf8_file() {
    // The column here is the byte position on the line (the bad byte is the 4th),
    // not the field number other CSV errors use.
    let inv = baseline().raw(
        "servers.csv",
        b"id,rack,cpu,mem_gb,psu\ns1,r1,8,32,pa\ns2,\xff\xfe,8,32,pa\n",
    );
    expect_errors(
        &inv,
        &["inv/servers.csv:3:4: invalid UTF-8: the file must be UTF-8 text"],
    );
}

#[test]
fn binary_file_with_nul_bytes() {
    let inv = baseline().raw("racks.csv", b"id,datacenter\nr1,dc1\0\0\x01\x02");
    expect_errors(
        &inv,
        &["inv/racks.csv:2:7: this is a binary file (it contains NUL bytes); expected UTF-8 text"],
    );
}

#[test]
fn missing_inventory_folder() {
    let run = baseline().run(&["check", "nope", "--placement", "inv/placement.csv"]);
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "error: nope: not a folder: expected an inventory folder with datacenters.csv, racks.csv, power.csv and servers.csv\n"
    );
}

#[test]
fn missing_inventory_file() {
    let inv = baseline().without("power.csv");
    let run = inv.run(&CHECK);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .starts_with("error: inv/power.csv: cannot read the file: "),
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
}

#[test]
fn missing_placement_file() {
    let run = baseline().run(&["check", "inv", "--placement", "inv/nope.csv"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .starts_with("error: inv/nope.csv: cannot read the file: "),
        "{}",
        run.stderr
    );
}

#[test]
fn every_error_of_a_file_is_reported_in_one_run() {
    // Loaders keep going after a bad row: the user fixes the file in one pass.
    let inv = baseline()
        .edit("servers.csv", "s1,r1,8,32", "s1,r1,-8,32")
        .edit("servers.csv", "s2,r2,8,32", "s2,r2,8,lots");
    expect_errors(
        &inv,
        &[
            "inv/servers.csv:2:3: column \"cpu\": expected a finite number >= 0, found \"-8\"",
            "inv/servers.csv:3:4: column \"mem_gb\": expected a number, found \"lots\"",
        ],
    );
}

// --- ids -------------------------------------------------------------------------

#[test]
fn empty_id() {
    let inv = baseline().edit("racks.csv", "r3,dc2,\n", "r3,dc2,\n,dc1,c\n");
    expect_errors(
        &inv,
        &["inv/racks.csv:5:1: column \"id\": expected an id, found an empty cell"],
    );
}

#[test]
fn id_with_a_semicolon() {
    let inv = baseline().edit("racks.csv", "r3,dc2,\n", "r3,dc2,\nr;4,dc1,c\n");
    expect_errors(
        &inv,
        &["inv/racks.csv:5:1: column \"id\": an id cannot contain ';', found \"r;4\""],
    );
}

#[test]
fn duplicate_id_within_a_file() {
    let inv = baseline().edit("racks.csv", "r3,dc2,\n", "r3,dc2,\nr1,dc1,c\n");
    expect_errors(
        &inv,
        &["inv/racks.csv:5:1: duplicate id \"r1\": already defined at inv/racks.csv:2:1 (datacenter, rack, server and power ids share one namespace)"],
    );
}

#[test]
fn duplicate_id_across_files_rack_and_server() {
    // A server named like a rack: ids of racks, servers, power and datacenters
    // share one namespace.
    let inv = baseline().edit("servers.csv", "s2,r2,", "r2,r2,");
    expect_errors(
        &inv,
        &["inv/servers.csv:3:1: duplicate id \"r2\": already defined at inv/racks.csv:3:1 (datacenter, rack, server and power ids share one namespace)"],
    );
}

#[test]
fn rack_renamed_to_a_server_id_reports_the_collision_and_the_orphans() {
    // Issue 12: rack r2 renamed to "s1" (a server id). The collision must be
    // reported even though server s1 itself is rejected (its rack is gone).
    let inv = baseline().edit("racks.csv", "r2,dc1,b", "s1,dc1,b");
    expect_errors(
        &inv,
        &[
            "inv/servers.csv:2:1: duplicate id \"s1\": already defined at inv/racks.csv:3:1 (datacenter, rack, server and power ids share one namespace)",
            "inv/servers.csv:3:2: column \"rack\": unknown rack \"r2\"",
        ],
    );
}

#[test]
fn collision_between_two_rejected_rows_is_still_reported() {
    // Both rows have errors of their own; the shared id is a third mistake.
    let inv = baseline().edit("racks.csv", "r3,dc2,", "x,dc9,").edit(
        "power.csv",
        "p2,dc2,pdu,u2,5000,",
        "x,dc2,pdu,u2,-1,",
    );
    expect_errors(
        &inv,
        &[
            "inv/power.csv:7:1: duplicate id \"x\": already defined at inv/racks.csv:4:1 (datacenter, rack, server and power ids share one namespace)",
            "inv/racks.csv:4:2: column \"datacenter\": unknown datacenter \"dc9\"",
            // Only the first problem of a row is reported.
            "inv/servers.csv:4:2: column \"rack\": unknown rack \"r3\"",
        ],
    );
}

#[test]
fn every_file_is_checked_when_one_cannot_be_parsed() {
    // racks.csv lacks a required column: its rows cannot be read, so references
    // to racks are not checked (each would dangle), but every other file's own
    // errors and collisions still are, in one run.
    let inv = baseline()
        .edit("racks.csv", "id,datacenter,room", "id,dc,room")
        .edit("power.csv", "pb,dc1,pdu,ub,5000,", "pb,dc1,pdu,ub,lots,")
        .edit("servers.csv", "s3,r3,", "ua,r3,");
    expect_errors(
        &inv,
        &[
            "inv/power.csv:5:5: column \"capacity_w\": expected a number, found \"lots\"",
            "inv/racks.csv:1: missing required column datacenter (the header has: id, dc, room)",
            "inv/servers.csv:4:1: duplicate id \"ua\": already defined at inv/power.csv:2:1 (datacenter, rack, server and power ids share one namespace)",
        ],
    );
}

#[test]
fn scenario_naming_a_rejected_component_reports_only_its_row() {
    let inv = baseline()
        .edit("power.csv", "p2,dc2,pdu,u2,5000,", "p2,dc2,pdu,u2,,")
        .scenarios(
            r#"
            [[scenario]]
            name = "pdu"
            fail = ["p2", "nope"]
            "#,
        );
    expect_errors(
        &inv,
        &[
            "inv/power.csv:7:5: column \"capacity_w\": expected a number, found an empty cell",
            "inv/scenarios.toml:3:15: unknown id \"nope\": expected a datacenter, rack, server or power component id",
            "inv/servers.csv:4:5: column \"psu\": power component \"p2\" cannot be used: its own row (inv/power.csv:7:1) has an error",
        ],
    );
}

#[test]
fn duplicate_id_across_files_power_and_datacenter() {
    let inv = baseline()
        .edit("power.csv", "\nu2,dc2,", "\ndc2,dc2,")
        .edit("power.csv", "p2,dc2,pdu,u2", "p2,dc2,pdu,dc2");
    // p2 then names a datacenter in feeds_from: that is reported too.
    expect_errors(
        &inv,
        &[
            "inv/power.csv:6:1: duplicate id \"dc2\": already defined at inv/datacenters.csv:3:1 (datacenter, rack, server and power ids share one namespace)",
            "inv/power.csv:7:4: column \"feeds_from\": \"dc2\" is a datacenter (defined at inv/datacenters.csv:3:1), not a power component",
        ],
    );
}

// --- references --------------------------------------------------------------------

#[test]
fn rack_naming_an_unknown_datacenter() {
    let inv = baseline().edit("racks.csv", "r3,dc2,", "r3,dc9,");
    expect_errors(
        &inv,
        &[
            "inv/racks.csv:4:2: column \"datacenter\": unknown datacenter \"dc9\"",
            // The rack is not defined, so its server's reference dangles too.
            "inv/servers.csv:4:2: column \"rack\": rack \"r3\" cannot be used: its own row (inv/racks.csv:4:1) has an error",
        ],
    );
}

#[test]
fn server_naming_an_unknown_rack() {
    let inv = baseline().edit("servers.csv", "s2,r2,", "s2,r9,");
    expect_errors(
        &inv,
        &["inv/servers.csv:3:2: column \"rack\": unknown rack \"r9\""],
    );
}

#[test]
fn server_naming_a_datacenter_as_its_rack() {
    let inv = baseline().edit("servers.csv", "s2,r2,", "s2,dc1,");
    expect_errors(
        &inv,
        &["inv/servers.csv:3:2: column \"rack\": \"dc1\" is a datacenter (defined at inv/datacenters.csv:2:1), not a rack"],
    );
}

#[test]
fn server_psu_naming_an_unknown_power_component() {
    let inv = baseline().edit("servers.csv", "s1,r1,8,32,pa;pb", "s1,r1,8,32,pa;px");
    expect_errors(
        &inv,
        &["inv/servers.csv:2:5: column \"psu\": unknown power component \"px\""],
    );
}

#[test]
fn server_psu_naming_a_rack() {
    let inv = baseline().edit("servers.csv", "s1,r1,8,32,pa;pb", "s1,r1,8,32,r1");
    expect_errors(
        &inv,
        &["inv/servers.csv:2:5: column \"psu\": \"r1\" is a rack (defined at inv/racks.csv:2:1), not a power component"],
    );
}

#[test]
fn server_without_psu() {
    let inv = baseline().edit("servers.csv", "s1,r1,8,32,pa;pb", "s1,r1,8,32,");
    expect_errors(
        &inv,
        &["inv/servers.csv:2:5: column \"psu\": expected at least one power component id"],
    );
}

#[test]
fn feeds_from_naming_an_unknown_power_component() {
    let inv = baseline().edit("power.csv", "pa,dc1,pdu,ua", "pa,dc1,pdu,uz");
    expect_errors(
        &inv,
        &["inv/power.csv:4:4: column \"feeds_from\": unknown power component \"uz\""],
    );
}

#[test]
fn feeds_from_naming_a_rack() {
    let inv = baseline().edit("power.csv", "pa,dc1,pdu,ua", "pa,dc1,pdu,ua;r1");
    expect_errors(
        &inv,
        &["inv/power.csv:4:4: column \"feeds_from\": \"r1\" is a rack (defined at inv/racks.csv:2:1), not a power component"],
    );
}

#[test]
fn power_component_naming_an_unknown_datacenter() {
    let inv = baseline().edit("power.csv", "p2,dc2,", "p2,dc9,");
    expect_errors(
        &inv,
        &[
            "inv/power.csv:7:2: column \"datacenter\": unknown datacenter \"dc9\"",
            "inv/servers.csv:4:5: column \"psu\": power component \"p2\" cannot be used: its own row (inv/power.csv:7:1) has an error",
        ],
    );
}

#[test]
fn server_psu_in_another_datacenter() {
    // s3 is in r3, in dc2; pa is in dc1.
    let inv = baseline().edit("servers.csv", "s3,r3,8,32,p2", "s3,r3,8,32,p2;pa");
    expect_errors(
        &inv,
        &["inv/servers.csv:4:5: column \"psu\": \"pa\" is in datacenter dc1 but rack r3 is in dc2"],
    );
}

// --- the power graph -----------------------------------------------------------------

#[test]
fn cycle_of_two_in_the_power_graph() {
    let inv = baseline()
        .edit("power.csv", "pa,dc1,pdu,ua", "pa,dc1,pdu,ua;pb")
        .edit("power.csv", "pb,dc1,pdu,ub", "pb,dc1,pdu,pa");
    expect_errors(
        &inv,
        &["inv/power.csv:4:4: column \"feeds_from\": the power graph has a cycle: pa -> pb -> pa (each arrow: feeds)"],
    );
}

#[test]
fn cycle_of_three_in_the_power_graph() {
    // ua feeds pa, pa feeds pb, pb feeds ua.
    let inv = baseline()
        .edit("power.csv", "ua,dc1,utility,,", "ua,dc1,utility,pb,")
        .edit("power.csv", "pb,dc1,pdu,ub", "pb,dc1,pdu,pa");
    expect_errors(
        &inv,
        &["inv/power.csv:2:4: column \"feeds_from\": the power graph has a cycle: ua -> pa -> pb -> ua (each arrow: feeds)"],
    );
}

#[test]
fn self_loop_in_the_power_graph() {
    let inv = baseline().edit("power.csv", "ub,dc1,utility,,", "ub,dc1,utility,ub,");
    expect_errors(
        &inv,
        &["inv/power.csv:3:4: column \"feeds_from\": the power graph has a cycle: ub -> ub (each arrow: feeds)"],
    );
}

#[test]
fn repeated_id_in_feeds_from() {
    let inv = baseline().edit("power.csv", "pa,dc1,pdu,ua", "pa,dc1,pdu,ua;ua");
    expect_errors(
        &inv,
        &["inv/power.csv:4:4: column \"feeds_from\": \"ua\" is listed twice"],
    );
}

#[test]
fn repeated_id_in_psu() {
    let inv = baseline().edit("servers.csv", "s1,r1,8,32,pa;pb", "s1,r1,8,32,pa; pa");
    expect_errors(
        &inv,
        &["inv/servers.csv:2:5: column \"psu\": \"pa\" is listed twice"],
    );
}

// --- numbers -------------------------------------------------------------------------------

#[test]
fn negative_number() {
    let inv = baseline().edit("servers.csv", "s1,r1,8,32", "s1,r1,-8,32");
    expect_errors(
        &inv,
        &["inv/servers.csv:2:3: column \"cpu\": expected a finite number >= 0, found \"-8\""],
    );
}

#[test]
fn nan() {
    let inv = baseline().edit("servers.csv", "s2,r2,8,32", "s2,r2,8,NaN");
    expect_errors(
        &inv,
        &["inv/servers.csv:3:4: column \"mem_gb\": expected a finite number >= 0, found \"NaN\""],
    );
}

#[test]
fn infinite_numbers() {
    for inf in ["inf", "-inf", "infinity", "1e999"] {
        let inv = baseline().edit(
            "servers.csv",
            "s3,r3,8,32,p2,100,200",
            &format!("s3,r3,8,32,p2,100,{inf}"),
        );
        expect_errors(
            &inv,
            &[&format!("inv/servers.csv:4:7: column \"max_w\": expected a finite number >= 0, found \"{inf}\"")],
        );
    }
}

#[test]
fn infinite_capacity_of_a_root() {
    let inv = baseline().edit("power.csv", "ua,dc1,utility,,10000", "ua,dc1,utility,,inf");
    expect_errors(
        &inv,
        &[
            "inv/power.csv:2:5: column \"capacity_w\": expected a finite number >= 0, found \"inf\"",
            "inv/power.csv:4:4: column \"feeds_from\": power component \"ua\" cannot be used: its own row (inv/power.csv:2:1) has an error",
        ],
    );
}

#[test]
fn non_numeric_number() {
    let inv = baseline().edit(
        "servers.csv",
        "s2,r2,8,32,pa;pb,100",
        "s2,r2,8,32,pa;pb,lots",
    );
    expect_errors(
        &inv,
        &["inv/servers.csv:3:6: column \"idle_w\": expected a number, found \"lots\""],
    );
}

#[test]
fn empty_required_number() {
    let inv = baseline().edit("servers.csv", "s2,r2,8,32", "s2,r2,,32");
    expect_errors(
        &inv,
        &["inv/servers.csv:3:3: column \"cpu\": expected a number, found an empty cell"],
    );
}

#[test]
fn max_w_below_idle_w() {
    let inv = baseline().edit(
        "servers.csv",
        "s2,r2,8,32,pa;pb,100,200",
        "s2,r2,8,32,pa;pb,100,50",
    );
    expect_errors(
        &inv,
        &["inv/servers.csv:3:7: column \"max_w\": max_w (50) must be >= idle_w (100)"],
    );
}

#[test]
fn max_w_defaults_to_idle_w_and_is_not_an_error() {
    let inv = baseline().edit(
        "servers.csv",
        "s2,r2,8,32,pa;pb,100,200",
        "s2,r2,8,32,pa;pb,100,",
    );
    let run = inv.run(&CHECK);
    assert_eq!((run.code, run.stderr.as_str()), (0, ""));
}

#[test]
fn max_utilization_zero() {
    let inv = baseline().edit(
        "power.csv",
        "u2,dc2,utility,,10000,",
        "u2,dc2,utility,,10000,0",
    );
    expect_errors(
        &inv,
        &[
            "inv/power.csv:6:6: column \"max_utilization\": expected a fraction in (0, 1], found 0",
            "inv/power.csv:7:4: column \"feeds_from\": power component \"u2\" cannot be used: its own row (inv/power.csv:6:1) has an error",
        ],
    );
}

#[test]
fn max_utilization_above_one() {
    let inv = baseline().edit("power.csv", "p2,dc2,pdu,u2,5000,", "p2,dc2,pdu,u2,5000,1.5");
    expect_errors(
        &inv,
        &[
            "inv/power.csv:7:6: column \"max_utilization\": expected a fraction in (0, 1], found 1.5",
            "inv/servers.csv:4:5: column \"psu\": power component \"p2\" cannot be used: its own row (inv/power.csv:7:1) has an error",
        ],
    );
}

#[test]
fn max_utilization_one_is_allowed() {
    let inv = baseline().edit("power.csv", "p2,dc2,pdu,u2,5000,", "p2,dc2,pdu,u2,5000,1");
    let run = inv.run(&CHECK);
    assert_eq!((run.code, run.stderr.as_str()), (0, ""));
}

#[test]
fn unknown_server_status() {
    let inv = baseline().edit(
        "servers.csv",
        "s2,r2,8,32,pa;pb,100,200,,",
        "s2,r2,8,32,pa;pb,100,200,,retired",
    );
    expect_errors(
        &inv,
        &["inv/servers.csv:3:9: column \"status\": expected active, maintenance or offline, found \"retired\""],
    );
}

// --- services.toml -----------------------------------------------------------------------

#[test]
fn unknown_key_in_services_is_an_error() {
    // A typo must not silently weaken a guarantee.
    let inv = baseline().services(
        r#"
        [[service]]
        name = "web"
        min_replica = 2
        cpu = 2
        "#,
    );
    let run = inv.run(&CHECK);
    assert_eq!(run.code, 2);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(
        run.stderr.starts_with(
            "error: inv/services.toml:3:1: unknown field `min_replica`, expected one of "
        ),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("`min_replicas`"), "{}", run.stderr);
}

#[test]
fn unknown_key_in_defaults_is_an_error() {
    let inv = baseline().services(
        r#"
        [defaults]
        surive = ["rack"]

        [[service]]
        name = "web"
        min_replicas = 2
        cpu = 2
        "#,
    );
    let run = inv.run(&CHECK);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .starts_with("error: inv/services.toml:2:1: unknown field `surive`, expected one of "),
        "{}",
        run.stderr
    );
}

#[test]
fn unknown_survive_word() {
    let inv = baseline().services(
        r#"
        [[service]]
        name = "web"
        min_replicas = 2
        cpu = 2
        survive = ["rak"]
        "#,
    );
    expect_errors(
        &inv,
        &["inv/services.toml:5:12: unknown failure scenario \"rak\": expected server, rack, room, datacenter, power:<kind>, power:<P>%, power:<P>%:<kind> or custom:<name>"],
    );
}

#[test]
fn malformed_power_percentages() {
    for (word, message) in [
        (
            "power:0%",
            "\"power:0%\": the percentage must be strictly between 0 and 100",
        ),
        (
            "power:100%",
            "\"power:100%\": the percentage must be strictly between 0 and 100",
        ),
        (
            "power:NaN%",
            "\"power:NaN%\": the percentage must be strictly between 0 and 100",
        ),
        (
            "power:half%",
            "\"power:half%\": expected a percentage such as power:50%, found \"half%\"",
        ),
        (
            "power:50%ups",
            "\"power:50%ups\": expected power:<P>% or power:<P>%:<kind>",
        ),
        ("power:", "\"power:\": the power component kind is missing"),
        (
            "custom:",
            "\"custom:\": the custom scenario name is missing",
        ),
    ] {
        let inv = baseline().services(&format!(
            "
            [[service]]
            name = \"web\"
            min_replicas = 2
            cpu = 2
            survive = [\"{word}\"]
            "
        ));
        expect_errors(&inv, &[&format!("inv/services.toml:5:12: {message}")]);
    }
}

#[test]
fn power_kind_that_no_component_has() {
    let inv = baseline().services(
        r#"
        [[service]]
        name = "web"
        min_replicas = 2
        cpu = 2
        survive = ["rack", "power:ups"]
        "#,
    );
    expect_errors(
        &inv,
        &["inv/services.toml:5:20: \"power:ups\" matches nothing in the inventory: no power component has kind \"ups\" (kinds in power.csv: pdu, utility)"],
    );
}

#[test]
fn power_percent_of_a_kind_that_no_component_has() {
    let inv = baseline().services(
        r#"
        [defaults]
        survive = ["power:50%:ups"]

        [[service]]
        name = "web"
        min_replicas = 2
        cpu = 2
        "#,
    );
    expect_errors(
        &inv,
        &["inv/services.toml:2:12: \"power:50%:ups\" matches nothing in the inventory: no power component has kind \"ups\" (kinds in power.csv: pdu, utility)"],
    );
}

#[test]
fn unknown_custom_scenario_without_scenarios_file() {
    let inv = baseline().services(
        r#"
        [[service]]
        name = "web"
        min_replicas = 2
        cpu = 2
        survive = ["custom:flood"]
        "#,
    );
    expect_errors(
        &inv,
        &["inv/services.toml:5:12: \"custom:flood\" matches nothing in the inventory: no custom scenario \"flood\": the inventory has no scenarios.toml scenarios"],
    );
}

#[test]
fn unknown_custom_scenario_with_scenarios_file() {
    let inv = baseline()
        .scenarios(
            r#"
            [[scenario]]
            name = "fire"
            fail = ["r1"]
            "#,
        )
        .services(
            r#"
            [[service]]
            name = "web"
            min_replicas = 2
            cpu = 2
            survive = ["custom:flood"]
            "#,
        );
    expect_errors(
        &inv,
        &["inv/services.toml:5:12: \"custom:flood\" matches nothing in the inventory: no custom scenario \"flood\" in scenarios.toml (it has: fire)"],
    );
}

#[test]
fn custom_scenario_naming_an_unknown_id() {
    let inv = baseline().scenarios(
        r#"
        [[scenario]]
        name = "fire"
        fail = ["r1", "r7"]
        "#,
    );
    expect_errors(
        &inv,
        &["inv/scenarios.toml:3:15: unknown id \"r7\": expected a datacenter, rack, server or power component id"],
    );
}

#[test]
fn missing_required_service_key() {
    let inv = baseline().services(
        r#"
        [[service]]
        name = "web"
        min_replicas = 2
        "#,
    );
    expect_errors(
        &inv,
        &["inv/services.toml:1:1: service \"web\": missing required key `cpu`"],
    );
}

#[test]
fn duplicate_service_name() {
    let inv = baseline().services(
        r#"
        [[service]]
        name = "web"
        min_replicas = 2
        cpu = 2

        [[service]]
        name = "web"
        min_replicas = 1
        cpu = 1
        "#,
    );
    expect_errors(
        &inv,
        &["inv/services.toml:7:8: duplicate service name \"web\""],
    );
}

#[test]
fn max_replicas_below_min_replicas() {
    let inv = baseline().services(
        r#"
        [[service]]
        name = "web"
        min_replicas = 2
        max_replicas = 1
        cpu = 2
        "#,
    );
    expect_errors(
        &inv,
        &["inv/services.toml:4:16: `max_replicas` (1) is less than `min_replicas` (2): no placement can satisfy it"],
    );
}

#[test]
fn negative_cpu_in_services() {
    let inv = baseline().services(
        r#"
        [[service]]
        name = "web"
        min_replicas = 2
        cpu = -2.5
        "#,
    );
    expect_errors(
        &inv,
        &["inv/services.toml:4:7: `cpu` must be a finite number >= 0, found -2.5"],
    );
}

#[test]
fn services_toml_syntax_error() {
    let inv = baseline().services("[[service]]\nname = \"web\nmin_replicas = 2\n");
    let run = inv.run(&CHECK);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.starts_with("error: inv/services.toml:2:"),
        "{}",
        run.stderr
    );
}

// --- placement.csv -------------------------------------------------------------------------

#[test]
fn unknown_service_in_placement() {
    let inv = baseline().edit("placement.csv", "web,s2", "wbe,s2");
    expect_errors(
        &inv,
        &["inv/placement.csv:3:1: column \"service\": unknown service \"wbe\" (not in inv/services.toml)"],
    );
}

#[test]
fn unknown_server_in_placement() {
    let inv = baseline().edit("placement.csv", "web,s3", "web,s9");
    expect_errors(
        &inv,
        &["inv/placement.csv:4:2: column \"server\": unknown server \"s9\""],
    );
}

#[test]
fn rack_named_as_a_server_in_placement() {
    let inv = baseline().edit("placement.csv", "web,s3", "web,r3");
    expect_errors(
        &inv,
        &["inv/placement.csv:4:2: column \"server\": \"r3\" is not a server"],
    );
}

#[test]
fn placement_without_server_column() {
    let inv = baseline().placement(
        "
        service,host
        web,s1
        ",
    );
    expect_errors(
        &inv,
        &["inv/placement.csv:1: missing required column server (the header has: service, host)"],
    );
}

#[test]
fn unknown_services_file_given_with_services_flag() {
    let run = baseline().run(&check_args(&["--services", "inv/other.toml"]));
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .starts_with("error: inv/other.toml: cannot read the file: "),
        "{}",
        run.stderr
    );
}

// --- usage -----------------------------------------------------------------------------------

#[test]
fn usage_errors_exit_2() {
    let inv = baseline();
    for (args, needle) in [
        (vec!["check", "inv"], "--placement <PLACEMENT>"),
        (vec!["check"], "<INVENTORY>"),
        (vec![], "Usage:"),
        (vec!["chekc", "inv"], "unrecognized subcommand 'chekc'"),
        (
            check_args(&["--format", "xml"]),
            "invalid value 'xml' for '--format <FORMAT>'",
        ),
        (check_args(&["--bogus"]), "unexpected argument '--bogus'"),
        (
            vec!["simulate", "inv", "--placement", "inv/placement.csv"],
            "--fail <ID>",
        ),
        (
            vec!["scenarios", "inv", "--format", "junit"],
            "invalid value 'junit'",
        ),
    ] {
        let run = inv.run(&args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(needle), "{args:?}: {}", run.stderr);
        assert_eq!(run.stdout, "", "{args:?}");
    }
}

#[test]
fn unknown_survive_word_given_to_scenarios() {
    expect_errors_with(
        &baseline(),
        &["scenarios", "inv", "--survive", "rack", "--survive", "power:ups"],
        &["--survive: \"power:ups\" matches nothing in the inventory: no power component has kind \"ups\" (kinds in power.csv: pdu, utility)"],
    );
    expect_errors_with(
        &baseline(),
        &["scenarios", "inv", "--survive", "rakc"],
        &["--survive: unknown failure scenario \"rakc\": expected server, rack, room, datacenter, power:<kind>, power:<P>%, power:<P>%:<kind> or custom:<name>"],
    );
}

#[test]
fn unknown_fail_id_given_to_simulate() {
    expect_errors_with(
        &baseline(),
        &[
            "simulate",
            "inv",
            "--placement",
            "inv/placement.csv",
            "--fail",
            "r1",
            "--fail",
            "r9",
        ],
        &["--fail: unknown id \"r9\": expected a datacenter, rack, server or power component id"],
    );
}
