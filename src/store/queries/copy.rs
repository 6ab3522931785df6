//! The bulk copy's reads, per copied table (see [`crate::store::schema::TABLES`]), built once.

use std::sync::LazyLock;

use crate::store::StoreError;
use crate::store::schema::{TABLES, Table, TableKey};
use crate::store::sql::Sql;

/// The reads of one table, every column in [`Table::columns`] order.
#[derive(Debug)]
pub struct TableSql {
    /// How many rows the table holds.
    pub count: Sql,
    /// The first `$1` rows in keyset order.
    pub first: Sql,
    /// The `$N` rows after a key in keyset order: after `seq` `$1` (`$N` = `$2`), or after
    /// channel `$1` and index `$2` (`$N` = `$3`).
    pub after: Sql,
    /// The row with the greatest keyset key.
    pub last: Sql,
}

impl TableSql {
    fn new(table: &Table) -> Self {
        let (cols, name) = (table.column_list(0), table.name);
        let (order, after, desc) = match table.key {
            TableKey::Seq => ("seq", "seq > $1", "seq desc"),
            TableKey::ChannelIdx => (
                "channel_sid, idx",
                "(channel_sid, idx) > ($1, $2)",
                "channel_sid desc, idx desc",
            ),
        };
        let limit = match table.key {
            TableKey::Seq => "$2",
            TableKey::ChannelIdx => "$3",
        };
        Self {
            count: Sql::new(format!("select count(*) from {name}")),
            first: Sql::new(format!("select {cols} from {name} order by {order} limit $1")),
            after: Sql::new(format!(
                "select {cols} from {name} where {after} order by {order} limit {limit}"
            )),
            last: Sql::new(format!("select {cols} from {name} order by {desc} limit 1")),
        }
    }
}

/// The statements of every table of [`TABLES`], in its order.
static READS: LazyLock<Vec<TableSql>> = LazyLock::new(|| TABLES.iter().map(TableSql::new).collect());

/// The position of `table` in [`TABLES`].
///
/// # Errors
/// When `table` is not one of them.
pub fn position(table: &Table) -> Result<usize, StoreError> {
    TABLES
        .iter()
        .position(|t| t.name == table.name)
        .ok_or_else(|| StoreError::other(format!("{} is not a copied table", table.name)))
}

/// The reads of `table`.
///
/// # Errors
/// When `table` is not one of [`TABLES`].
pub fn reads(table: &Table) -> Result<&'static TableSql, StoreError> {
    Ok(&READS[position(table)?])
}
