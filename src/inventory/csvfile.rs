//! Reading the inventory's CSV files by the rules every one of them shares
//! (FORMATS.md): header by name, trimmed cells, empty = not given, `;` lists.

use std::collections::BTreeMap;
use std::path::Path;

use super::error::{Errors, InputError, InputErrors, Location};

/// A CSV file read into memory, with its header resolved.
pub(crate) struct CsvFile<'a> {
    pub path: &'a Path,
    columns: BTreeMap<String, usize>,
    rows: Vec<(usize, Vec<String>)>,
}

/// One data row: cells looked up by header name, errors located at the cell.
pub(crate) struct Row<'f> {
    file: &'f CsvFile<'f>,
    pub line: usize,
    cells: &'f [String],
}

/// Reads a file as text, refusing binary and non-UTF-8 content with a clear message.
pub(crate) fn read_text(path: &Path) -> Result<String, InputError> {
    let bytes = std::fs::read(path)
        .map_err(|e| InputError::new(Location::file(path), format!("cannot read the file: {e}")))?;
    if bytes.contains(&0) {
        return Err(InputError::new(
            Location::file(path),
            "this is a binary file (it contains NUL bytes); expected UTF-8 text",
        ));
    }
    String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = valid.iter().filter(|&&b| b == b'\n').count() + 1;
        let column = valid.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
        InputError::new(
            Location::at(path, line, Some(column)),
            "invalid UTF-8: the file must be UTF-8 text",
        )
    })
}

impl<'a> CsvFile<'a> {
    /// Parses the `text` of `path`, requiring the `required` header names.
    pub fn parse(path: &'a Path, text: &str, required: &[&str]) -> Result<Self, InputErrors> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        let mut records = reader.records();
        let header = match records.next() {
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
        let mut errors = Errors::default();
        let mut columns = BTreeMap::new();
        for (index, name) in header.iter().enumerate() {
            let name = name.trim().to_string();
            if name.is_empty() {
                continue;
            }
            if columns.insert(name.clone(), index).is_some() {
                errors.push(InputError::new(
                    Location::at(path, 1, Some(index + 1)),
                    format!("the header names column \"{name}\" twice"),
                ));
            }
        }
        let missing: Vec<&str> = required
            .iter()
            .copied()
            .filter(|name| !columns.contains_key(*name))
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
        let mut rows = Vec::new();
        for record in records {
            match record {
                Err(e) => errors.push(csv_error(path, e)),
                Ok(record) => {
                    let line = record.position().map_or(0, |p| p.line() as usize);
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
                    rows.push((line, record.iter().map(|c| c.trim().to_string()).collect()));
                }
            }
        }
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

fn csv_error(path: &Path, error: csv::Error) -> InputError {
    let line = error.position().map(|p| p.line() as usize);
    let location = match line {
        Some(line) => Location::at(path, line, None),
        None => Location::file(path),
    };
    InputError::new(location, format!("malformed CSV: {error}"))
}

impl Row<'_> {
    fn index(&self, column: &str) -> Option<usize> {
        self.file.columns.get(column).copied()
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
        let cell = self.cells.get(self.index(column)?)?;
        (!cell.is_empty()).then_some(cell.as_str())
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
            Ok(value) if value.is_finite() && value >= 0.0 => Ok(Some(value)),
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
            Ok(value) if value >= 0.0 && value.fract() == 0.0 && value <= f64::from(u32::MAX) => {
                Ok(Some(value as u32))
            }
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
        for item in cell.split(';').map(str::trim).filter(|s| !s.is_empty()) {
            if items.contains(&item) {
                return Err(self.error(column, format!("\"{item}\" is listed twice")));
            }
            items.push(item);
        }
        Ok(items)
    }
}
