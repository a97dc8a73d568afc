//! What every output shares: the one table style of human output, the width
//! it fits, and how numbers print.

use comfy_table::{presets, ColumnConstraint, ContentArrangement, Table};

/// Columns human output fits when nothing narrower is asked for: wide
/// enough for the tables, narrow enough for a CI log or a side-by-side
/// terminal.
pub const DEFAULT_COLUMNS: usize = 100;

/// Items of a long list shown before the rest are counted.
pub(crate) const FEW: usize = 10;

/// How wide human output may be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Width {
    /// At most this many columns: cells and long lines wrap, and a long
    /// list shows its first few items and counts the rest.
    Columns(usize),
    /// No limit (`--wide`): every line as long as it is, every list whole.
    Wide,
}

impl Default for Width {
    fn default() -> Self {
        Width::Columns(DEFAULT_COLUMNS)
    }
}

impl Width {
    /// The first items of a list that this width shows, and how many it
    /// leaves out.
    pub(crate) fn few<T>(self, items: &[T], few: usize) -> (&[T], usize) {
        match self {
            Width::Columns(_) if items.len() > few => (&items[..few], items.len() - few),
            _ => (items, 0),
        }
    }
}

/// A table in the one style every human output uses, its cells wrapped to
/// fit `width`.
pub(crate) fn table(header: &[&str], width: Width) -> Table {
    let mut table = Table::new();
    table
        .load_preset(presets::UTF8_FULL_CONDENSED)
        .set_header(header.to_vec());
    if let Width::Columns(columns) = width {
        table
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_width(u16::try_from(columns).unwrap_or(u16::MAX));
    }
    table
}

/// Wrapped cells break between words, never inside one: each column is at
/// least as wide as its longest word (up to a third of the width, and as
/// long as the longest words fit side by side; beyond that a word is cut).
pub(crate) fn keep_words(table: &mut Table, width: Width) {
    let Width::Columns(columns) = width else {
        return;
    };
    let mut longest: Vec<usize> = Vec::new();
    for row in table.header().into_iter().chain(table.row_iter()) {
        for (i, cell) in row.cell_iter().enumerate() {
            let word = cell
                .content()
                .split_whitespace()
                .map(textwrap::core::display_width)
                .max()
                .unwrap_or(0);
            if longest.len() <= i {
                longest.resize(i + 1, 0);
            }
            // The bound counts the cell's padding, one column each side.
            longest[i] = longest[i].max(word.min(columns / 3) + 2);
        }
    }
    // Borders take one column each side of every column; when the longest
    // words do not fit together, the longest give way first.
    let room = columns.saturating_sub(longest.len() + 1);
    while longest.iter().sum::<usize>() > room {
        let Some(widest) = (0..longest.len()).max_by_key(|&i| longest[i]) else {
            break;
        };
        if longest[widest] == 0 {
            break;
        }
        longest[widest] = 0;
    }
    for (i, word) in longest.into_iter().enumerate() {
        if word == 0 {
            continue;
        }
        if let Some(column) = table.column_mut(i) {
            column.set_constraint(ColumnConstraint::LowerBoundary(comfy_table::Width::Fixed(
                u16::try_from(word).unwrap_or(u16::MAX),
            )));
        }
    }
}

/// " (and 3 more: --wide or --format json lists them all)", or nothing.
pub(crate) fn more(left_out: usize) -> String {
    if left_out == 0 {
        String::new()
    } else {
        format!(" (and {left_out} more: --wide or --format json lists them all)")
    }
}

/// Human output with every line longer than `width` wrapped, its
/// continuation indented two columns past the line's own indent. Table
/// lines are left as they are: their cells already wrap.
pub fn fit(text: &str, width: Width) -> String {
    let Width::Columns(columns) = width else {
        return text.to_string();
    };
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let body = line.strip_suffix('\n').unwrap_or(line);
        let is_table = body.starts_with(['┌', '│', '╞', '├', '└', '╭', '╰']);
        if is_table || textwrap::core::display_width(body) <= columns {
            out.push_str(line);
            continue;
        }
        let indent = &body[..body.len() - body.trim_start().len()];
        let hanging = format!("{indent}  ");
        // Ids are full of hyphens: a line breaks between words only.
        let options = textwrap::Options::new(columns)
            .initial_indent(indent)
            .subsequent_indent(&hanging)
            .word_splitter(textwrap::WordSplitter::NoHyphenation);
        out.push_str(&textwrap::fill(body.trim_start(), options));
        if line.ends_with('\n') {
            out.push('\n');
        }
    }
    out
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
    use super::{fit, num, Width};

    #[test]
    fn numbers_print_as_they_are() {
        assert_eq!(num(3.0), "3");
        assert_eq!(num(2.345), "2.35");
        assert_eq!(num(-0.001), "0");
        assert_eq!(num(1e20), "100000000000000000000");
        assert_eq!(num(1e15 + 0.5), "1000000000000000.5");
    }

    #[test]
    fn long_lines_wrap_under_their_indent_and_tables_are_left_alone() {
        let text = "  - one two three four five six\n│ a table line that is long │\nshort\n";
        assert_eq!(
            fit(text, Width::Columns(14)),
            "  - one two\n    three four\n    five six\n│ a table line that is long │\nshort\n"
        );
        assert_eq!(fit(text, Width::Wide), text);
    }
}
