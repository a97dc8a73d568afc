//! Reading the inventory's CSV files by the rules every one of them shares
//! (FORMATS.md): header by name, trimmed cells, empty = not given, `;` lists.

use std::collections::BTreeMap;
use std::path::Path;

use super::error::{Errors, InputError, InputErrors, Location};
use super::limits;

/// A CSV file read into memory, with its header resolved.
pub(crate) struct CsvFile<'a> {
    pub path: &'a Path,
    /// Each column the reader knows: its field number in the header, and its
    /// slot in the stored rows.
    columns: BTreeMap<String, (usize, usize)>,
    /// The trimmed cells of the known columns only, one buffer per row: unknown
    /// columns (users' notes) cost no memory, however many there are.
    rows: Vec<(usize, csv::StringRecord)>,
}

/// One data row: cells looked up by header name, errors located at the cell.
pub(crate) struct Row<'f> {
    file: &'f CsvFile<'f>,
    pub line: usize,
    cells: &'f csv::StringRecord,
}

/// Reads a file as text, refusing binary and non-UTF-8 content with a clear
/// message. Reads at most `limit` bytes: a file (or a device, or a pipe) larger
/// than that is refused without reading the rest, so memory stays bounded.
pub(crate) fn read_text(path: &Path, limit: u64) -> Result<String, InputError> {
    use std::io::Read;
    let cannot = |e: std::io::Error| {
        InputError::new(Location::file(path), format!("cannot read the file: {e}"))
    };
    let too_large = || {
        InputError::new(
            Location::file(path),
            format!(
                "the file is larger than {}, faultplan's limit for this file (see docs/formats.md, Limits)",
                limits::bytes(limit)
            ),
        )
    };
    let file = std::fs::File::open(path).map_err(cannot)?;
    let size = file.metadata().map_err(cannot)?.len();
    if size > limit {
        return Err(too_large());
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    if bytes.len() as u64 > limit {
        return Err(too_large());
    }
    // Where the first bad byte is, as line and (byte) column.
    let at = |bad: usize| {
        let before = &bytes[..bad];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let column = before.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
        Location::at(path, line, Some(column))
    };
    if let Some(nul) = bytes.iter().position(|&b| b == 0) {
        return Err(InputError::new(
            at(nul),
            "this is a binary file (it contains NUL bytes); expected UTF-8 text",
        ));
    }
    match std::str::from_utf8(&bytes) {
        Ok(_) => Ok(String::from_utf8(bytes).unwrap_or_default()),
        Err(e) => Err(InputError::new(
            at(e.valid_up_to()),
            "invalid UTF-8: the file must be UTF-8 text",
        )),
    }
}

impl<'a> CsvFile<'a> {
    /// Parses the `text` of `path`, requiring the `required` header names and
    /// keeping those and the `optional` ones.
    pub fn parse(
        path: &'a Path,
        text: &str,
        required: &[&str],
        optional: &[&str],
    ) -> Result<Self, InputErrors> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        let mut records = reader.records();
        let header = read_header(path, records.next(), required)?;
        let mut errors = Errors::default();
        let named = named_columns(path, &header, &mut errors);
        let missing: Vec<&str> = required
            .iter()
            .copied()
            .filter(|name| !named.contains_key(*name))
            .collect();
        let kept: Vec<usize> = required
            .iter()
            .chain(optional)
            .filter_map(|name| named.get(*name).copied())
            .collect();
        let columns = kept
            .iter()
            .enumerate()
            .map(|(slot, &index)| (header[index].trim().to_string(), (index, slot)))
            .collect();
        if !missing.is_empty() {
            errors.push(InputError::new(
                Location::at(path, 1, None),
                format!(
                    "missing required column{} {} (the header has: {})",
                    if missing.len() > 1 { "s" } else { "" },
                    missing.join(", "),
                    header.iter().map(str::trim).collect::<Vec<_>>().join(", ")
                ),
            ));
        }
        let rows = read_rows(path, records, &header, &kept, &mut errors)?;
        errors.finish(CsvFile {
            path,
            columns,
            rows,
        })
    }

    pub fn rows(&self) -> impl Iterator<Item = Row<'_>> {
        self.rows.iter().map(move |(line, cells)| Row {
            file: self,
            line: *line,
            cells,
        })
    }
}

/// The header line: present, well-formed and within the field limit.
fn read_header(
    path: &Path,
    first: Option<Result<csv::StringRecord, csv::Error>>,
    required: &[&str],
) -> Result<csv::StringRecord, InputErrors> {
    let header = match first {
        None => {
            return Err(InputError::new(
                Location::file(path),
                format!(
                    "the file is empty; expected a header line with the columns {}",
                    required.join(", ")
                ),
            )
            .into())
        }
        Some(Err(e)) => return Err(csv_error(path, e).into()),
        Some(Ok(header)) => header,
    };
    if header.len() > limits::CSV_FIELDS {
        return Err(too_many_fields(path, 1, header.len()).into());
    }
    Ok(header)
}

/// The header's non-empty names and their field numbers; a name given twice
/// is an error.
fn named_columns(
    path: &Path,
    header: &csv::StringRecord,
    errors: &mut Errors,
) -> BTreeMap<String, usize> {
    let mut named = BTreeMap::new();
    for (index, name) in header.iter().enumerate() {
        let name = name.trim().to_string();
        if name.is_empty() {
            continue;
        }
        if named.insert(name.clone(), index).is_some() {
            errors.push(InputError::new(
                Location::at(path, 1, Some(index + 1)),
                format!("the header names column \"{name}\" twice"),
            ));
        }
    }
    named
}

/// The data rows: each non-blank one as its line and the trimmed cells of the
/// `kept` fields. A line past the field or row limit stops the reading.
fn read_rows(
    path: &Path,
    records: impl Iterator<Item = Result<csv::StringRecord, csv::Error>>,
    header: &csv::StringRecord,
    kept: &[usize],
    errors: &mut Errors,
) -> Result<Vec<(usize, csv::StringRecord)>, InputErrors> {
    let mut rows = Vec::new();
    for record in records {
        let record = match record {
            Err(e) => {
                errors.push(csv_error(path, e));
                continue;
            }
            Ok(record) => record,
        };
        let line = record.position().map_or(0, |p| p.line() as usize);
        if record.len() > limits::CSV_FIELDS {
            // Unbounded per-row errors would be their own memory problem.
            return Err(too_many_fields(path, line, record.len()).into());
        }
        if record.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        if record.len() > header.len() {
            errors.push(InputError::new(
                Location::at(path, line, Some(header.len() + 1)),
                format!(
                    "this row has {} fields but the header has {}",
                    record.len(),
                    header.len()
                ),
            ));
            continue;
        }
        if rows.len() == limits::CSV_ROWS {
            return Err(InputError::new(
                Location::at(path, line, None),
                format!(
                    "the file has more than {} data rows, faultplan's limit (see docs/formats.md, Limits)",
                    limits::CSV_ROWS
                ),
            )
            .into());
        }
        let cells: csv::StringRecord = kept
            .iter()
            .map(|&i| record.get(i).unwrap_or("").trim())
            .collect();
        rows.push((line, cells));
    }
    Ok(rows)
}

fn too_many_fields(path: &Path, line: usize, fields: usize) -> InputError {
    InputError::new(
        Location::at(path, line, None),
        format!(
            "this line has {fields} fields; the limit is {} (see docs/formats.md, Limits)",
            limits::CSV_FIELDS
        ),
    )
}

fn csv_error(path: &Path, error: csv::Error) -> InputError {
    let line = error.position().map(|p| p.line() as usize);
    let location = match line {
        Some(line) => Location::at(path, line, None),
        None => Location::file(path),
    };
    InputError::new(location, format!("malformed CSV: {error}"))
}

impl Row<'_> {
    /// The column's field number in the header (0-based).
    fn index(&self, column: &str) -> Option<usize> {
        self.file.columns.get(column).map(|&(index, _)| index)
    }

    /// The error location of `column` on this row.
    pub fn at(&self, column: &str) -> Location {
        Location::at(self.file.path, self.line, self.index(column).map(|i| i + 1))
    }

    pub fn error(&self, column: &str, message: impl Into<String>) -> InputError {
        InputError::new(
            self.at(column),
            format!("column \"{column}\": {}", message.into()),
        )
    }

    /// The trimmed cell, or None when the column is absent or the cell is empty.
    pub fn get(&self, column: &str) -> Option<&str> {
        let &(_, slot) = self.file.columns.get(column)?;
        let cell = self.cells.get(slot)?;
        (!cell.is_empty()).then_some(cell)
    }

    pub fn required(&self, column: &str, what: &str) -> Result<&str, InputError> {
        self.get(column)
            .ok_or_else(|| self.error(column, format!("expected {what}, found an empty cell")))
    }

    /// An id: non-empty and without `;` (FORMATS.md).
    pub fn id(&self, column: &str) -> Result<&str, InputError> {
        let id = self.required(column, "an id")?;
        if id.contains(';') {
            return Err(self.error(column, format!("an id cannot contain ';', found \"{id}\"")));
        }
        Ok(id)
    }

    pub fn number(&self, column: &str) -> Result<Option<f64>, InputError> {
        let Some(cell) = self.get(column) else {
            return Ok(None);
        };
        match cell.parse::<f64>() {
            Ok(value) if (0.0..=limits::NUMBER).contains(&value) => {
                Ok(Some(value))
            }
            Ok(value) if value.is_finite() && value >= 0.0 => Err(self.error(
                column,
                format!(
                    "{cell} is above faultplan's limit of {} for a number (see docs/formats.md, Limits)",
                    limits::NUMBER
                ),
            )),
            Ok(_) => Err(self.error(
                column,
                format!("expected a finite number >= 0, found \"{cell}\""),
            )),
            Err(_) => Err(self.error(column, format!("expected a number, found \"{cell}\""))),
        }
    }

    pub fn required_number(&self, column: &str) -> Result<f64, InputError> {
        self.required(column, "a number")?;
        Ok(self.number(column)?.unwrap_or_default())
    }

    pub fn whole_number(&self, column: &str) -> Result<Option<u32>, InputError> {
        let Some(cell) = self.get(column) else {
            return Ok(None);
        };
        // The usual float syntax (`42`, `42.0`, `4.2e1`), as long as it is whole.
        match cell.parse::<f64>() {
            Ok(value) if value >= 0.0 && value.fract() == 0.0 && value <= f64::from(limits::WHOLE) => {
                Ok(Some(value as u32))
            }
            Ok(value) if value >= 0.0 && value.fract() == 0.0 => Err(self.error(
                column,
                format!(
                    "{cell} is above faultplan's limit of {} for this column (see docs/formats.md, Limits)",
                    limits::WHOLE
                ),
            )),
            _ => Err(self.error(
                column,
                format!("expected a whole number >= 0, found \"{cell}\""),
            )),
        }
    }

    /// A `;`-separated list; items are trimmed and empty items dropped.
    /// Repeated items are an error: FORMATS.md says these lists name distinct ids.
    pub fn list(&self, column: &str) -> Result<Vec<&str>, InputError> {
        let Some(cell) = self.get(column) else {
            return Ok(Vec::new());
        };
        let mut items: Vec<&str> = Vec::new();
        // A set, not `items.contains`: a cell of a million items must not take
        // a million squared steps.
        let mut seen = std::collections::BTreeSet::new();
        for item in cell.split(';').map(str::trim).filter(|s| !s.is_empty()) {
            if !seen.insert(item) {
                return Err(self.error(column, format!("\"{item}\" is listed twice")));
            }
            items.push(item);
        }
        Ok(items)
    }
}
