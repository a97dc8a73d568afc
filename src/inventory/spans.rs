//! Byte offsets of a TOML file as 1-based line and column, and the toml
//! parser's errors located with them.

use std::path::Path;

use super::error::{InputError, Location};

/// Locates byte offsets of one file as 1-based line and column, in O(log lines).
pub(crate) struct Spans<'a> {
    path: &'a Path,
    text: &'a str,
    line_starts: Vec<usize>,
}

impl<'a> Spans<'a> {
    pub fn new(path: &'a Path, text: &'a str) -> Self {
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Spans {
            path,
            text,
            line_starts,
        }
    }

    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&start| start <= offset);
        let start = self.line_starts[line - 1];
        let column = self
            .text
            .get(start..offset)
            .map_or(0, |l| l.chars().count())
            + 1;
        (line, column)
    }

    pub fn location(&self, span: std::ops::Range<usize>) -> Location {
        let (line, column) = self.line_col(span.start);
        Location::at(self.path, line, Some(column))
    }

    pub fn toml_error(&self, error: &toml::de::Error) -> InputError {
        let location = match error.span() {
            Some(span) => self.location(span),
            None => Location::file(self.path),
        };
        let message = match error.message().trim() {
            // The toml parser leaves the message empty for some errors (a
            // control character in a comment): say what is at the spot.
            "" => {
                let found = error
                    .span()
                    .and_then(|span| self.text.get(span.start..)?.chars().next());
                match found {
                    Some(c) if c.is_control() => format!(
                        "TOML does not allow the control character U+{:04X} here",
                        u32::from(c)
                    ),
                    Some(c) => format!("TOML does not allow {c:?} here"),
                    None => "unexpected end of the file".to_string(),
                }
            }
            message => message.to_string(),
        };
        InputError::new(location, message)
    }
}
