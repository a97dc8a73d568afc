//! The CSV files an import writes: cells and whole files, in bytes that
//! depend only on what was mapped.

/// Formats a number for a CSV cell: shortest exact form, no trailing `.0`.
pub(super) fn num(v: f64) -> String {
    format!("{v}")
}

/// One CSV file, rows sorted by their first cell (the id) so that the bytes
/// depend only on what was mapped.
pub(super) fn write_csv(header: &[&str], mut rows: Vec<Vec<String>>) -> String {
    rows.sort();
    let mut writer = csv::Writer::from_writer(Vec::new());
    // Writing to memory cannot fail.
    let _ = writer.write_record(header);
    for row in rows {
        let _ = writer.write_record(&row);
    }
    let bytes = writer.into_inner().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}
