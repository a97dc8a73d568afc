//! What every output shares: the one table style of human output and how
//! numbers print.

use comfy_table::{presets, Table};

/// A table in the one style every human output uses.
pub(crate) fn table(header: &[&str]) -> Table {
    let mut table = Table::new();
    table
        .load_preset(presets::UTF8_FULL_CONDENSED)
        .set_header(header.to_vec());
    table
}

/// Formats a number without a trailing `.0`, for watts, cores and percentages.
pub(crate) fn num(value: f64) -> String {
    // Beyond 2^52 an f64 has no fraction to round, and `* 100.0` could overflow.
    let rounded = if value.abs() < 4.5e15 {
        (value * 100.0).round() / 100.0
    } else {
        value
    };
    // Display prints a whole f64 without `.0` and without a saturating cast;
    // `+ 0.0` turns -0 into 0.
    format!("{}", rounded + 0.0)
}

#[cfg(test)]
mod tests {
    use super::num;

    #[test]
    fn numbers_print_as_they_are() {
        assert_eq!(num(3.0), "3");
        assert_eq!(num(2.345), "2.35");
        assert_eq!(num(-0.001), "0");
        assert_eq!(num(1e20), "100000000000000000000");
        assert_eq!(num(1e15 + 0.5), "1000000000000000.5");
    }
}
