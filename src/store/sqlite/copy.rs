//! [`TableCopy`] on SQLite: keyset reads on a read connection (SQL in `store::queries::copy`),
//! `insert or ignore` batches on the group-committing writer (one batch per savepoint).

use std::sync::LazyLock;

use async_trait::async_trait;
use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, params};

use super::{SqliteStore, other, query_first, query_rows};
use crate::store::StoreError;
use crate::store::copy::{Cell, CopyKey, CopyRow, TABLES, Table, TableCopy, TableKey, cell};
use crate::store::queries::changes;
use crate::store::queries::copy::{position, reads};
use crate::store::row::{self, Cursor};

/// Per table of [`TABLES`], the insert of a row without and with its `seq` (the same statement
/// for a table without one).
static INSERTS: LazyLock<Vec<[String; 2]>> = LazyLock::new(|| {
    let insert = |table: &Table, skip: usize| {
        let marks = (1..=table.columns.len() - skip)
            .map(|i| format!("?{i}"))
            .collect::<Vec<_>>()
            .join(", ");
        format!(
            "insert or ignore into {} ({}) values ({marks})",
            table.name,
            table.column_list(skip)
        )
    };
    TABLES
        .iter()
        .map(|t| [insert(t, usize::from(t.key == TableKey::Seq)), insert(t, 0)])
        .collect()
});

/// Runs `sql` with `params` and reads every row in the table's column order.
fn select(c: &Connection, table: &Table, sql: &str, params: impl rusqlite::Params) -> Result<Vec<CopyRow>, StoreError> {
    query_rows(c, sql, params, |r| row::copy_row(r, table))
}

fn key_mismatch(table: &Table) -> StoreError {
    StoreError::other(format!("{}: resume key of the wrong kind", table.name))
}

#[async_trait]
impl TableCopy for SqliteStore {
    async fn count(&self, table: &'static Table) -> Result<u64, StoreError> {
        let sql = &reads(table)?.count;
        let n = self
            .read(|c| query_first(c, sql.sqlite(), [], |r| Cursor::new(r, 0).int()))
            .await?;
        u64::try_from(n.unwrap_or(0)).map_err(StoreError::other)
    }

    async fn export(
        &self,
        table: &'static Table,
        after: Option<CopyKey>,
        limit: u32,
    ) -> Result<Vec<CopyRow>, StoreError> {
        let sql = reads(table)?;
        self.read(|c| match (table.key, after) {
            (_, None) => select(c, table, sql.first.sqlite(), params![limit]),
            (TableKey::Seq, Some(CopyKey::Seq(n))) => select(c, table, sql.after.sqlite(), params![n, limit]),
            (TableKey::ChannelIdx, Some(CopyKey::ChannelIdx { channel_sid, idx })) => {
                select(c, table, sql.after.sqlite(), params![channel_sid, idx, limit])
            }
            (TableKey::Seq, Some(CopyKey::ChannelIdx { .. })) | (TableKey::ChannelIdx, Some(CopyKey::Seq(_))) => {
                Err(key_mismatch(table))
            }
        })
        .await
    }

    async fn last_row(&self, table: &'static Table) -> Result<Option<CopyRow>, StoreError> {
        let sql = &reads(table)?.last;
        self.read(|c| Ok(select(c, table, sql.sqlite(), [])?.pop())).await
    }

    async fn import(&self, table: &'static Table, rows: Vec<CopyRow>, keep_seq: bool) -> Result<u64, StoreError> {
        if rows.is_empty() {
            return Ok(0);
        }
        for row in &rows {
            table.check_width(row)?;
        }
        let sql = &INSERTS[position(table)?][usize::from(keep_seq)];
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
        self.write(move |c| {
            let mut s = c.prepare_cached(sql).map_err(other)?;
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

    async fn seal_changes(&self) -> Result<(), StoreError> {
        self.write(|c| {
            c.execute(changes::SEAL.sqlite(), []).map_err(other)?;
            Ok(())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Durability, SqliteStore, open_connection};
    use crate::store::copy::TableCopy;
    use crate::store::schema::table;
    use crate::store::{MemberStore, StoreError, WebhookStore};

    /// Stored values that are not what their column holds are errors for the records and for the
    /// copy alike, never defaults.
    #[tokio::test]
    async fn unreadable_stored_values_are_errors() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("banter.db");
        let store = SqliteStore::open(&path, Durability::Full).expect("open");
        open_connection(&path, false, Durability::Full)
            .expect("connection")
            .execute_batch(
                "insert into services (sid, account_sid, friendly_name, date_created, date_updated, revision, \
                   settings) values ('IS1', 'AC1', 's', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 0, '{}'); \
                 insert into channels (sid, account_sid, service_sid, type, created_by, date_created, date_updated) \
                   values ('CH1', 'AC1', 'IS1', 'public', 'system', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'); \
                 insert into channel_webhooks (sid, account_sid, service_sid, channel_sid, type, configuration, \
                   date_created, date_updated) values ('WH1', 'AC1', 'IS1', 'CH1', 'webhook', 'not json', \
                   '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'); \
                 insert into members (sid, account_sid, service_sid, channel_sid, identity, \
                   last_consumed_message_index, date_created, date_updated) values ('MB1', 'AC1', 'IS1', 'CH1', \
                   'ann', 'seven', '2026-01-01T00:00:00Z', 'yesterday');",
            )
            .expect("rows");
        let unreadable = |e: StoreError| matches!(e, StoreError::Unreadable { .. });
        assert!(store.webhook("CH1", "WH1").await.is_err_and(unreadable));
        assert!(store.member("CH1", "ann").await.is_err_and(unreadable));
        let members = table("members").expect("members table");
        assert!(store.export(members, None, 10).await.is_err_and(unreadable));
        assert_eq!(store.count(members).await.expect("count"), 1);
    }
}
