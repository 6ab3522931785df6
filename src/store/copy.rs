//! Backend-neutral bulk copy: the tables a `banter copy` moves, their columns in one fixed order,
//! and the [`TableCopy`] trait both backends implement.
//!
//! A row travels as a [`CopyRow`]: one JSON value per column, in the order of
//! [`Table::columns`]. Integers are JSON numbers, text is a JSON string, booleans are JSON
//! booleans (SQLite stores them as 0/1, PostgreSQL as `boolean`), and SQL `NULL` is JSON `null`.
//! The column lists are defined here once, so both backends read and write the same shape.

use async_trait::async_trait;
use serde_json::Value;

use super::StoreError;
pub use super::schema::{Column, Kind, TABLES, Table, TableKey};
#[cfg(test)]
use super::schema::{boolean, int_col, text};

/// One row of a table: a value per column, in [`Table::columns`] order.
pub type CopyRow = Vec<Value>;

/// Where to resume reading a table: rows strictly after this key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CopyKey {
    /// After this `seq`.
    Seq(i64),
    /// After this message of this channel.
    ChannelIdx {
        /// The channel SID.
        channel_sid: String,
        /// The message index.
        idx: i64,
    },
}

impl Table {
    /// The keyset key of `row` (a row of this table).
    ///
    /// # Errors
    /// When the key columns are missing or not of the expected type.
    pub fn key_of(&self, row: &[Value]) -> Result<CopyKey, StoreError> {
        match self.key {
            TableKey::Seq => Ok(CopyKey::Seq(int(self, 0, row.first())?)),
            TableKey::ChannelIdx => {
                let sid_at = self.position("channel_sid")?;
                let idx_at = self.position("idx")?;
                let channel_sid = row
                    .get(sid_at)
                    .and_then(Value::as_str)
                    .ok_or_else(|| bad(self, "channel_sid"))?
                    .to_owned();
                Ok(CopyKey::ChannelIdx {
                    channel_sid,
                    idx: int(self, idx_at, row.get(idx_at))?,
                })
            }
        }
    }

    /// The position of the column `name`.
    ///
    /// # Errors
    /// When the table has no such column.
    pub fn position(&self, name: &str) -> Result<usize, StoreError> {
        self.columns
            .iter()
            .position(|c| c.name == name)
            .ok_or_else(|| StoreError::other(format!("{} has no column {name}", self.name)))
    }

    /// The column names joined with `", "`, skipping the first `skip` columns.
    pub fn column_list(&self, skip: usize) -> String {
        self.columns
            .iter()
            .skip(skip)
            .map(|c| c.name)
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Checks that `row` has one value per column.
    ///
    /// # Errors
    /// When the lengths differ.
    pub fn check_width(&self, row: &[Value]) -> Result<(), StoreError> {
        if row.len() == self.columns.len() {
            Ok(())
        } else {
            Err(StoreError::other(format!(
                "{}: row has {} values, expected {}",
                self.name,
                row.len(),
                self.columns.len()
            )))
        }
    }
}

fn int(table: &Table, at: usize, v: Option<&Value>) -> Result<i64, StoreError> {
    v.and_then(Value::as_i64)
        .ok_or_else(|| bad(table, table.columns.get(at).map_or("?", |c| c.name)))
}

fn bad(table: &Table, column: &str) -> StoreError {
    StoreError::other(format!("{}.{column}: unexpected value", table.name))
}

/// A value of a row, checked against its column's [`Kind`] for writing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    /// SQL `NULL`.
    Null,
    /// An integer.
    Int(i64),
    /// Text.
    Text(String),
    /// A boolean.
    Bool(bool),
}

/// Converts `v`, the value of `column` in `table`, into a [`Cell`] of the column's kind.
///
/// # Errors
/// When the value does not fit the column (a string for an integer column, for example).
pub fn cell(table: &Table, column: &Column, v: &Value) -> Result<Cell, StoreError> {
    match (column.kind, v) {
        (_, Value::Null) => Ok(Cell::Null),
        (Kind::Int, Value::Number(n)) => n.as_i64().map(Cell::Int).ok_or_else(|| bad(table, column.name)),
        (Kind::Text, Value::String(s)) => Ok(Cell::Text(s.clone())),
        (Kind::Bool, Value::Bool(b)) => Ok(Cell::Bool(*b)),
        (Kind::Bool, Value::Number(n)) => n
            .as_i64()
            .map(|i| Cell::Bool(i != 0))
            .ok_or_else(|| bad(table, column.name)),
        _ => Err(bad(table, column.name)),
    }
}

/// Bulk reading and writing of whole tables, for moving data between backends. Separate from
/// [`super::Store`]: the server never uses it.
#[async_trait]
pub trait TableCopy: Send + Sync {
    /// The tables to copy, parents before children.
    fn tables(&self) -> &'static [Table] {
        TABLES
    }
    /// How many rows `table` holds.
    async fn count(&self, table: &'static Table) -> Result<u64, StoreError>;
    /// Up to `limit` rows of `table` after `after` (from the start when `None`), in keyset order.
    async fn export(
        &self,
        table: &'static Table,
        after: Option<CopyKey>,
        limit: u32,
    ) -> Result<Vec<CopyRow>, StoreError>;
    /// The row with the greatest keyset key, if any.
    async fn last_row(&self, table: &'static Table) -> Result<Option<CopyRow>, StoreError>;
    /// Inserts `rows` in one transaction, skipping every row that clashes with a stored one on
    /// a unique key; returns how many were inserted. With `keep_seq` the rows keep their `seq`
    /// (and the table's sequence is moved past the greatest one); without it, new rows get
    /// fresh keys in the order given.
    async fn import(&self, table: &'static Table, rows: Vec<CopyRow>, keep_seq: bool) -> Result<u64, StoreError>;
    /// The auth epoch.
    async fn epoch(&self) -> Result<i64, StoreError>;
    /// Raises the auth epoch to at least `epoch`.
    async fn raise_epoch(&self, epoch: i64) -> Result<(), StoreError>;
    /// Marks every change position so far as pruned: the change log is not copied (see
    /// [`super::schema::UNCOPIED`]), so a client resuming from a copied position must
    /// resynchronise, while new positions continue after the copied heads.
    async fn seal_changes(&self) -> Result<(), StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_follow_the_column_kind() {
        let t = &TABLES[0];
        assert_eq!(cell(t, &int_col("x"), &Value::from(3)).ok(), Some(Cell::Int(3)));
        assert_eq!(cell(t, &boolean("x"), &Value::from(1)).ok(), Some(Cell::Bool(true)));
        assert_eq!(cell(t, &text("x"), &Value::Null).ok(), Some(Cell::Null));
        assert!(cell(t, &int_col("x"), &Value::from("3")).is_err());
    }
}
