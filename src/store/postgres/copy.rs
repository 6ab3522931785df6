//! [`TableCopy`] on PostgreSQL: keyset reads (SQL in `store::queries::copy`), and batches
//! inserted by one `insert … select from unnest(…) on conflict do nothing` per table, each in
//! one transaction.

use std::sync::LazyLock;

use async_trait::async_trait;
use tokio_postgres::types::ToSql;

use super::{PgStore, pg_error};
use crate::store::StoreError;
use crate::store::copy::{Cell, CopyKey, CopyRow, Kind, TABLES, Table, TableCopy, TableKey, cell};
use crate::store::queries::changes;
use crate::store::queries::copy::{position, reads};
use crate::store::row::{self, Cursor};

/// The statements that write one table of [`TABLES`].
struct Writes {
    /// The batch insert without and with `seq` (the same statement for a table without one): one
    /// array parameter per column, rows in array order.
    insert: [String; 2],
    /// Moves the table's identity past its greatest `seq` (tables keyed by `seq`).
    setval: String,
}

/// Per table of [`TABLES`], its [`Writes`], built once.
static WRITES: LazyLock<Vec<Writes>> = LazyLock::new(|| {
    let insert = |table: &Table, skip: usize| {
        let arrays = table.columns[skip..]
            .iter()
            .enumerate()
            .map(|(i, col)| {
                let ty = match col.kind {
                    Kind::Int => "bigint",
                    Kind::Text => "text",
                    Kind::Bool => "boolean",
                };
                format!("${}::{ty}[]", i + 1)
            })
            .collect::<Vec<_>>()
            .join(", ");
        let overriding = if table.key == TableKey::Seq && skip == 0 {
            " overriding system value"
        } else {
            ""
        };
        format!(
            "insert into {} ({}){overriding} select * from unnest({arrays}) on conflict do nothing",
            table.name,
            table.column_list(skip)
        )
    };
    TABLES
        .iter()
        .map(|t| Writes {
            insert: [insert(t, usize::from(t.key == TableKey::Seq)), insert(t, 0)],
            setval: format!(
                "select setval(pg_get_serial_sequence('{0}', 'seq'), m) from (select max(seq) as m from {0}) x \
                 where m is not null",
                t.name
            ),
        })
        .collect()
});

/// The values of one column of a batch, as the array its kind is in PostgreSQL.
fn column(table: &Table, at: usize, rows: &[CopyRow]) -> Result<Box<dyn ToSql + Sync + Send>, StoreError> {
    let col = &table.columns[at];
    let cells = rows.iter().map(|row| cell(table, col, &row[at]));
    let wrong = || StoreError::other(format!("{}.{}: value of the wrong type", table.name, col.name));
    Ok(match col.kind {
        Kind::Int => Box::new(
            cells
                .map(|c| match c? {
                    Cell::Null => Ok(None),
                    Cell::Int(n) => Ok(Some(n)),
                    _ => Err(wrong()),
                })
                .collect::<Result<Vec<Option<i64>>, StoreError>>()?,
        ),
        Kind::Text => Box::new(
            cells
                .map(|c| match c? {
                    Cell::Null => Ok(None),
                    Cell::Text(s) => Ok(Some(s)),
                    _ => Err(wrong()),
                })
                .collect::<Result<Vec<Option<String>>, StoreError>>()?,
        ),
        Kind::Bool => Box::new(
            cells
                .map(|c| match c? {
                    Cell::Null => Ok(None),
                    Cell::Bool(b) => Ok(Some(b)),
                    _ => Err(wrong()),
                })
                .collect::<Result<Vec<Option<bool>>, StoreError>>()?,
        ),
    })
}

fn key_mismatch(table: &Table) -> StoreError {
    StoreError::other(format!("{}: resume key of the wrong kind", table.name))
}

impl PgStore {
    async fn select(
        &self,
        table: &Table,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<CopyRow>, StoreError> {
        let rows = self.read(sql, params).await?;
        rows.iter().map(|r| row::copy_row(r, table)).collect()
    }
}

#[async_trait]
impl TableCopy for PgStore {
    async fn count(&self, table: &'static Table) -> Result<u64, StoreError> {
        let rows = self.read(reads(table)?.count.pg(), &[]).await?;
        let n = rows.first().map_or(Ok(0), |r| Cursor::new(r, 0).int())?;
        u64::try_from(n).map_err(StoreError::other)
    }

    async fn export(
        &self,
        table: &'static Table,
        after: Option<CopyKey>,
        limit: u32,
    ) -> Result<Vec<CopyRow>, StoreError> {
        let sql = reads(table)?;
        let limit = i64::from(limit);
        match (table.key, after) {
            (_, None) => self.select(table, sql.first.pg(), &[&limit]).await,
            (TableKey::Seq, Some(CopyKey::Seq(n))) => self.select(table, sql.after.pg(), &[&n, &limit]).await,
            (TableKey::ChannelIdx, Some(CopyKey::ChannelIdx { channel_sid, idx })) => {
                self.select(table, sql.after.pg(), &[&channel_sid, &idx, &limit]).await
            }
            (TableKey::Seq, Some(CopyKey::ChannelIdx { .. })) | (TableKey::ChannelIdx, Some(CopyKey::Seq(_))) => {
                Err(key_mismatch(table))
            }
        }
    }

    async fn last_row(&self, table: &'static Table) -> Result<Option<CopyRow>, StoreError> {
        Ok(self.select(table, reads(table)?.last.pg(), &[]).await?.pop())
    }

    async fn import(&self, table: &'static Table, rows: Vec<CopyRow>, keep_seq: bool) -> Result<u64, StoreError> {
        if rows.is_empty() {
            return Ok(0);
        }
        for row in &rows {
            table.check_width(row)?;
        }
        let writes = &WRITES[position(table)?];
        let seq_table = table.key == TableKey::Seq;
        let skip = usize::from(seq_table && !keep_seq);
        let params = (skip..table.columns.len())
            .map(|at| column(table, at, &rows))
            .collect::<Result<Vec<_>, StoreError>>()?;
        let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p.as_ref() as &(dyn ToSql + Sync)).collect();
        let mut client = self.client().await?;
        let t = client.transaction().await.map_err(pg_error)?;
        let inserted = t
            .execute(writes.insert[usize::from(keep_seq)].as_str(), &refs)
            .await
            .map_err(pg_error)?;
        if seq_table && keep_seq {
            // Rows that kept their keys did not advance the identity: move it past them so
            // rows created later (by the server) get larger keys.
            t.execute(writes.setval.as_str(), &[]).await.map_err(pg_error)?;
        }
        t.commit().await.map_err(pg_error)?;
        Ok(inserted)
    }

    async fn epoch(&self) -> Result<i64, StoreError> {
        let rows = self.read("select coalesce(max(epoch), 0) from auth_epoch", &[]).await?;
        Ok(rows.first().map_or(Ok(0), |r| r.try_get(0))?)
    }

    async fn raise_epoch(&self, epoch: i64) -> Result<(), StoreError> {
        let client = self.client().await?;
        client
            .execute(
                "update auth_epoch set epoch = greatest(epoch, $1) where id = 1",
                &[&epoch],
            )
            .await
            .map_err(pg_error)?;
        Ok(())
    }

    async fn seal_changes(&self) -> Result<(), StoreError> {
        let client = self.client().await?;
        client.execute(changes::SEAL.pg(), &[]).await.map_err(pg_error)?;
        Ok(())
    }
}
