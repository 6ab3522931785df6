//! One small abstraction over a result row of either driver, and every record's decoder,
//! written once for both backends.
//!
//! A decoder reads the columns of its record's list (`*_COLUMNS`, in the `identity` and `messaging` submodules) in order through a
//! [`Cursor`]; a query selects exactly that list (see [`columns`]), so the list and the decoder
//! sit side by side and cannot drift. A value that cannot be read (a malformed timestamp, JSON
//! that does not parse, an unknown enum value) is an error naming the column, never a default.

use serde::de::DeserializeOwned;
use serde_json::Value;

mod identity;
mod messaging;

pub use identity::*;
pub use messaging::*;

use crate::store::copy::CopyRow;
use crate::store::schema::{Kind, Table};
use crate::store::{BoxError, StoreError};
use crate::time::{self, Timestamp};

/// The cells of one result row, by position, whatever the driver.
pub trait Cells {
    /// A nullable integer.
    ///
    /// # Errors
    /// When the cell is not an integer.
    fn opt_int(&self, at: usize) -> Result<Option<i64>, StoreError>;
    /// A nullable text.
    ///
    /// # Errors
    /// When the cell is not text.
    fn opt_text(&self, at: usize) -> Result<Option<String>, StoreError>;
    /// A nullable boolean (`0`/`1` on SQLite, `boolean` on PostgreSQL).
    ///
    /// # Errors
    /// When the cell is not a boolean.
    fn opt_bool(&self, at: usize) -> Result<Option<bool>, StoreError>;
}

impl Cells for rusqlite::Row<'_> {
    fn opt_int(&self, at: usize) -> Result<Option<i64>, StoreError> {
        self.get(at).map_err(|e| StoreError::unreadable(at, e))
    }

    fn opt_text(&self, at: usize) -> Result<Option<String>, StoreError> {
        self.get(at).map_err(|e| StoreError::unreadable(at, e))
    }

    fn opt_bool(&self, at: usize) -> Result<Option<bool>, StoreError> {
        self.get(at).map_err(|e| StoreError::unreadable(at, e))
    }
}

impl Cells for tokio_postgres::Row {
    fn opt_int(&self, at: usize) -> Result<Option<i64>, StoreError> {
        self.try_get(at).map_err(|e| StoreError::unreadable(at, e))
    }

    fn opt_text(&self, at: usize) -> Result<Option<String>, StoreError> {
        self.try_get(at).map_err(|e| StoreError::unreadable(at, e))
    }

    fn opt_bool(&self, at: usize) -> Result<Option<bool>, StoreError> {
        self.try_get(at).map_err(|e| StoreError::unreadable(at, e))
    }
}

/// Reads the cells of a row one after the other, from a starting column.
pub struct Cursor<'r, R: Cells + ?Sized> {
    row: &'r R,
    at: usize,
}

impl<'r, R: Cells + ?Sized> Cursor<'r, R> {
    /// Starts reading `row` at column `at`.
    pub fn new(row: &'r R, at: usize) -> Self {
        Self { row, at }
    }

    fn next(&mut self) -> usize {
        self.at += 1;
        self.at - 1
    }

    fn required<T>(&mut self, value: impl FnOnce(&R, usize) -> Result<Option<T>, StoreError>) -> Result<T, StoreError> {
        let at = self.next();
        value(self.row, at)?.ok_or_else(|| StoreError::unreadable(at, "unexpected NULL"))
    }

    /// An integer.
    ///
    /// # Errors
    /// When the cell is NULL or not an integer.
    pub fn int(&mut self) -> Result<i64, StoreError> {
        self.required(|r, at| r.opt_int(at))
    }

    /// A nullable integer.
    ///
    /// # Errors
    /// When the cell is not an integer.
    pub fn opt_int(&mut self) -> Result<Option<i64>, StoreError> {
        let at = self.next();
        self.row.opt_int(at)
    }

    /// A text.
    ///
    /// # Errors
    /// When the cell is NULL or not text.
    pub fn text(&mut self) -> Result<String, StoreError> {
        self.required(|r, at| r.opt_text(at))
    }

    /// A nullable text.
    ///
    /// # Errors
    /// When the cell is not text.
    pub fn opt_text(&mut self) -> Result<Option<String>, StoreError> {
        let at = self.next();
        self.row.opt_text(at)
    }

    /// A boolean.
    ///
    /// # Errors
    /// When the cell is NULL or not a boolean.
    pub fn bool(&mut self) -> Result<bool, StoreError> {
        self.required(|r, at| r.opt_bool(at))
    }

    /// A nullable boolean.
    ///
    /// # Errors
    /// When the cell is not a boolean.
    pub fn opt_bool(&mut self) -> Result<Option<bool>, StoreError> {
        let at = self.next();
        self.row.opt_bool(at)
    }

    /// A timestamp stored as text in the wire format.
    ///
    /// # Errors
    /// When the cell is NULL, not text, or not a timestamp.
    pub fn ts(&mut self) -> Result<Timestamp, StoreError> {
        let at = self.at;
        let text = self.text()?;
        time::parse(&text).map_err(|_| StoreError::unreadable(at, format!("not a timestamp: {text:?}")))
    }

    /// A nullable timestamp.
    ///
    /// # Errors
    /// When the cell is not text, or text that is not a timestamp.
    pub fn opt_ts(&mut self) -> Result<Option<Timestamp>, StoreError> {
        let at = self.at;
        match self.opt_text()? {
            None => Ok(None),
            Some(text) => time::parse(&text)
                .map(Some)
                .map_err(|_| StoreError::unreadable(at, format!("not a timestamp: {text:?}"))),
        }
    }

    /// A JSON document stored as text.
    ///
    /// # Errors
    /// When the cell is NULL, not text, or not a document of type `T`.
    pub fn json<T: DeserializeOwned>(&mut self) -> Result<T, StoreError> {
        let at = self.at;
        let text = self.text()?;
        serde_json::from_str(&text).map_err(|e| StoreError::unreadable(at, e))
    }
}

/// `list` with every column prefixed by `alias.` (for joins), or as it is for an empty alias.
#[must_use]
pub fn columns(list: &[&str], alias: &str) -> String {
    if alias.is_empty() {
        return list.join(", ");
    }
    list.iter()
        .map(|c| format!("{alias}.{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Decodes a whole row of `table` as `banter copy` moves it: every column of
/// [`Table::columns`] from column 0, typed by its [`Kind`], SQL `NULL` as JSON `null`.
///
/// # Errors
/// When a cell is not of its column's kind.
pub fn copy_row(r: &(impl Cells + ?Sized), table: &Table) -> Result<CopyRow, StoreError> {
    let mut c = Cursor::new(r, 0);
    table
        .columns
        .iter()
        .map(|col| {
            Ok(match col.kind {
                Kind::Int => c.opt_int()?.map_or(Value::Null, Value::from),
                Kind::Text => c.opt_text()?.map_or(Value::Null, Value::String),
                Kind::Bool => c.opt_bool()?.map_or(Value::Null, Value::Bool),
            })
        })
        .collect()
}

impl StoreError {
    /// A stored value at column `at` of a row that cannot be read as its record expects.
    pub fn unreadable(at: usize, source: impl Into<BoxError>) -> Self {
        Self::Unreadable {
            column: at,
            source: source.into(),
        }
    }
}
