//! [`TableCopy`] on SQLite: keyset reads on a read connection, `insert or ignore` batches on the
//! group-committing writer (one batch per savepoint).

use async_trait::async_trait;
use rusqlite::types::{Type, Value as SqlValue, ValueRef};
use rusqlite::{Connection, params};
use serde_json::Value;

use super::{SqliteStore, other};
use crate::store::StoreError;
use crate::store::copy::{Cell, CopyKey, CopyRow, Kind, Table, TableCopy, TableKey, cell};

/// Reads one row in the table's column order.
fn read_row(r: &rusqlite::Row<'_>, table: &Table) -> rusqlite::Result<CopyRow> {
    table
        .columns
        .iter()
        .enumerate()
        .map(|(i, col)| {
            Ok(match (r.get_ref(i)?, col.kind) {
                (ValueRef::Null, _) => Value::Null,
                (ValueRef::Integer(n), Kind::Bool) => Value::Bool(n != 0),
                (ValueRef::Integer(n), _) => Value::from(n),
                (ValueRef::Text(t), _) => Value::String(String::from_utf8_lossy(t).into_owned()),
                (ValueRef::Real(_), _) => {
                    return Err(rusqlite::Error::InvalidColumnType(i, col.name.into(), Type::Real));
                }
                (ValueRef::Blob(_), _) => {
                    return Err(rusqlite::Error::InvalidColumnType(i, col.name.into(), Type::Blob));
                }
            })
        })
        .collect()
}

/// Runs `sql` with `params` and reads every row.
fn select(
    c: &Connection,
    table: &Table,
    sql: &str,
    params: &[&dyn rusqlite::ToSql],
) -> Result<Vec<CopyRow>, StoreError> {
    let mut s = c.prepare_cached(sql).map_err(other)?;
    let rows = s
        .query_map(params, |r| read_row(r, table))
        .and_then(Iterator::collect::<rusqlite::Result<Vec<_>>>)
        .map_err(other)?;
    Ok(rows)
}

fn key_mismatch(table: &Table) -> StoreError {
    StoreError::other(format!("{}: resume key of the wrong kind", table.name))
}

#[async_trait]
impl TableCopy for SqliteStore {
    async fn count(&self, table: &'static Table) -> Result<u64, StoreError> {
        self.read(move |c| {
            let n: i64 = c
                .query_row(&format!("select count(*) from {}", table.name), [], |r| r.get(0))
                .map_err(other)?;
            Ok(u64::try_from(n).unwrap_or_default())
        })
        .await
    }

    async fn export(
        &self,
        table: &'static Table,
        after: Option<CopyKey>,
        limit: u32,
    ) -> Result<Vec<CopyRow>, StoreError> {
        self.read(move |c| {
            let cols = table.column_list(0);
            let name = table.name;
            match (table.key, after) {
                (TableKey::Seq, after) => {
                    let bound = match after {
                        None => i64::MIN,
                        Some(CopyKey::Seq(n)) => n,
                        Some(CopyKey::ChannelIdx { .. }) => return Err(key_mismatch(table)),
                    };
                    let sql = format!("select {cols} from {name} where seq > ?1 order by seq limit ?2");
                    select(c, table, &sql, params![bound, limit])
                }
                (TableKey::ChannelIdx, None) => {
                    let sql = format!("select {cols} from {name} order by channel_sid, idx limit ?1");
                    select(c, table, &sql, params![limit])
                }
                (TableKey::ChannelIdx, Some(CopyKey::ChannelIdx { channel_sid, idx })) => {
                    let sql = format!(
                        "select {cols} from {name} where (channel_sid, idx) > (?1, ?2) \
                         order by channel_sid, idx limit ?3"
                    );
                    select(c, table, &sql, params![channel_sid, idx, limit])
                }
                (TableKey::ChannelIdx, Some(CopyKey::Seq(_))) => Err(key_mismatch(table)),
            }
        })
        .await
    }

    async fn last_row(&self, table: &'static Table) -> Result<Option<CopyRow>, StoreError> {
        self.read(move |c| {
            let order = match table.key {
                TableKey::Seq => "seq desc",
                TableKey::ChannelIdx => "channel_sid desc, idx desc",
            };
            let sql = format!(
                "select {} from {} order by {order} limit 1",
                table.column_list(0),
                table.name
            );
            Ok(select(c, table, &sql, &[])?.pop())
        })
        .await
    }

    async fn import(&self, table: &'static Table, rows: Vec<CopyRow>, keep_seq: bool) -> Result<u64, StoreError> {
        if rows.is_empty() {
            return Ok(0);
        }
        for row in &rows {
            table.check_width(row)?;
        }
        let skip = usize::from(table.key == TableKey::Seq && !keep_seq);
        let columns = &table.columns[skip..];
        let values: Vec<Vec<SqlValue>> = rows
            .iter()
            .map(|row| {
                columns
                    .iter()
                    .zip(&row[skip..])
                    .map(|(col, v)| {
                        Ok(match cell(table, col, v)? {
                            Cell::Null => SqlValue::Null,
                            Cell::Int(n) => SqlValue::Integer(n),
                            Cell::Bool(b) => SqlValue::Integer(i64::from(b)),
                            Cell::Text(s) => SqlValue::Text(s),
                        })
                    })
                    .collect::<Result<Vec<_>, StoreError>>()
            })
            .collect::<Result<_, _>>()?;
        let placeholders = (1..=columns.len())
            .map(|i| format!("?{i}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "insert or ignore into {} ({}) values ({placeholders})",
            table.name,
            table.column_list(skip)
        );
        self.write(move |c| {
            let mut s = c.prepare_cached(&sql).map_err(other)?;
            let mut inserted = 0u64;
            for row in values {
                inserted += s.execute(rusqlite::params_from_iter(row)).map_err(other)? as u64;
            }
            Ok(inserted)
        })
        .await
    }

    async fn epoch(&self) -> Result<i64, StoreError> {
        self.read(|c| {
            c.query_row("select coalesce(max(epoch), 0) from auth_epoch", [], |r| r.get(0))
                .map_err(other)
        })
        .await
    }

    async fn raise_epoch(&self, epoch: i64) -> Result<(), StoreError> {
        self.write(move |c| {
            c.execute("update auth_epoch set epoch = max(epoch, ?1) where id = 1", [epoch])
                .map_err(other)?;
            Ok(())
        })
        .await
    }
}
