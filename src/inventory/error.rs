//! The one error type of the inventory stage: every mistake a user can make in an
//! input file, located by file, line and column.

use std::fmt;
use std::path::{Path, PathBuf};

use super::limits;

/// Where in a user's file something was found. `line` and `column` are 1-based;
/// for CSV files the column is the field number (and the message names the header).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Location {
    pub file: PathBuf,
    pub line: Option<usize>,
    pub column: Option<usize>,
}

impl Location {
    pub fn file(file: &Path) -> Self {
        Location {
            file: file.to_path_buf(),
            line: None,
            column: None,
        }
    }

    pub fn at(file: &Path, line: usize, column: Option<usize>) -> Self {
        Location {
            file: file.to_path_buf(),
            line: Some(line),
            column,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        Ok(())
    }
}

/// One mistake in an input file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{location}: {message}")]
pub struct InputError {
    pub location: Location,
    pub message: String,
}

impl InputError {
    pub fn new(location: Location, message: impl Into<String>) -> Self {
        InputError {
            location,
            message: message.into(),
        }
    }
}

/// Every mistake found while loading: loaders keep going after a bad row so that a
/// user fixes a file in one pass instead of one error per run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct InputErrors(pub Vec<InputError>);

impl fmt::Display for InputErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl From<InputError> for InputErrors {
    fn from(error: InputError) -> Self {
        InputErrors(vec![error])
    }
}

/// Errors kept per loader: enough to fix a file in a few passes, few enough
/// that a file with a million bad rows neither floods the terminal nor memory.
pub(crate) const MAX_ERRORS: usize = 1_000;

/// Collects errors while a loader keeps going.
#[derive(Debug, Default)]
pub(crate) struct Errors {
    kept: Vec<InputError>,
    /// Errors beyond MAX_ERRORS, counted, not kept.
    more: usize,
}

impl Errors {
    pub fn push(&mut self, error: InputError) {
        if self.kept.len() < MAX_ERRORS {
            self.kept.push(error);
        } else {
            self.more += 1;
        }
    }

    /// Ok(value) when nothing went wrong, else every error in file order (the
    /// first MAX_ERRORS found, then one line counting the rest).
    pub fn finish<T>(self, value: T) -> Result<T, InputErrors> {
        if self.kept.is_empty() {
            return Ok(value);
        }
        let mut errors = self.kept;
        errors.sort_by(|a, b| a.location.cmp(&b.location));
        errors.dedup();
        if self.more > 0 {
            let file = errors[errors.len() - 1].location.file.clone();
            errors.push(InputError::new(
                Location::file(&file),
                format!(
                    "{} more {} not shown (only the first {MAX_ERRORS} are); fix these and run again",
                    self.more,
                    if self.more == 1 { "error" } else { "errors" }
                ),
            ));
        }
        Err(InputErrors(errors))
    }
}

/// A `survive` word that cannot be read, or that matches nothing in the
/// inventory. It has no place of its own: callers put it where the word was
/// written (a services.toml cell, `--survive`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SurviveWordError {
    #[error("unknown failure scenario \"{word}\": expected server, rack, room, datacenter, power:<kind>, power:<P>%, power:<P>%:<kind> or custom:<name>")]
    Unknown { word: String },
    #[error("\"{word}\": the custom scenario name is missing")]
    NoCustomName { word: String },
    #[error("\"{word}\": the power component kind is missing")]
    NoPowerKind { word: String },
    #[error("\"{word}\": expected a percentage such as power:50%, found \"{number}%\"")]
    NotAPercentage { word: String, number: String },
    #[error("\"{word}\": the percentage must be strictly between 0 and 100")]
    PercentageOutOfRange { word: String },
    #[error("\"{word}\": expected power:<P>% or power:<P>%:<kind>")]
    BadPercentageKind { word: String },
    /// `why` says what the inventory lacks: a typo must not silently drop a
    /// guarantee.
    #[error("\"{word}\" matches nothing in the inventory: {why}")]
    Unmatched { word: String, why: String },
}

/// Growing a service's replicas past faultplan's limit.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{replicas} × {factor} = {grown} replicas is above faultplan's limit of {limit} (see docs/formats.md, Limits)", limit = limits::REPLICAS)]
pub struct GrowthError {
    pub replicas: u32,
    pub factor: f64,
    pub grown: f64,
}

/// A server added to an inventory under an id the inventory already has.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the id \"{id}\" is already taken")]
pub struct IdTaken {
    pub id: String,
}
